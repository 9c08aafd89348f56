/* Binary point encoding (see ptbin.h and docs/wire-protocol.md).
 *
 * One record:
 *
 *   u32 LE   body length (the bytes after this field)
 *   varint   key length, then the canonical series key
 *   varint   measurement length (the key's first bytes)
 *   varint   tag count, then per tag: varint key length, varint value length
 *            (tag i is ",<key>=<value>" in the series key, in order)
 *   i64 LE   time, ns
 *   varint   field count (>= 1), then per field: varint key length, key
 *            bytes (escaped as line protocol), one type byte (enum
 *            st_field_type), the value: float 8 bytes LE (IEEE 754 bits),
 *            integer zig-zag varint, unsigned varint, boolean one byte 0/1,
 *            string varint length + bytes (still escaped as line protocol)
 *
 * Why this shape. The data node needs the measurement, the tags (only to
 * refuse a tag named "time") and the series key; sending the key whole and
 * the tags as lengths into it gives all three without scanning for
 * separators or rebuilding the key, and the fixed-size prefix makes every
 * record skippable and the point's `line` trivially its own bytes. Names
 * stay escaped because the node's code unescapes them where it needs the
 * plain form (field keys for the index, string values for the cache), as it
 * did with line protocol. Times are fixed 8 bytes: ns since the epoch need
 * 9 bytes as a varint. Small integers, the common case, take one byte.
 *
 * Decoding parses outside input. Every length is checked against the bytes
 * left in its record before use, counts are bounded by what the record can
 * hold before any array grows (so a forged count cannot make the batch
 * allocate more than a few times the input's size, as with line
 * protocol), and a record must end exactly where its length says. */
#include "ptbin.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Same range as the line-protocol parser (InfluxDB's MinNanoTime and
 * MaxNanoTime): INT64_MIN marks "no timestamp" on the data node. */
#define MIN_TIME (INT64_MIN + 2)
#define MAX_TIME (INT64_MAX - 1)

/* Smallest encodings, for bounding counts before allocating: a tag is at
 * least ",k=v" in the key; a field at least a length byte, one key byte,
 * the type byte and one value byte. */
#define MIN_TAG_KEY_BYTES 4u
#define MIN_FIELD_BYTES 4u

/* ---- Little-endian cursor helpers -------------------------------------- */

static inline uint8_t *put_varint(uint8_t *w, uint64_t v)
{
    while (v >= 0x80) {
        *w++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *w++ = (uint8_t)v;
    return w;
}

static inline uint8_t *put_u32(uint8_t *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w[i] = (uint8_t)(v >> (8 * i));
    return w + 4;
}

static inline uint8_t *put_u64(uint8_t *w, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        w[i] = (uint8_t)(v >> (8 * i));
    return w + 8;
}

static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t u)
{
    return (int64_t)((u >> 1) ^ (0 - (u & 1)));
}

/* A read cursor over one record. */
struct rd {
    const uint8_t *p;
    const uint8_t *end;
};

static inline size_t left(const struct rd *r)
{
    return (size_t)(r->end - r->p);
}

/* Reads a varint of at most 64 bits; false when truncated or too long. */
static inline bool get_varint(struct rd *r, uint64_t *out)
{
    const uint8_t *p = r->p;
    if (p < r->end && *p < 0x80) { /* the common case: one byte */
        *out = *p;
        r->p = p + 1;
        return true;
    }
    uint64_t v = 0;
    for (unsigned s = 0; s < 64 && p < r->end; s += 7) {
        uint8_t c = *p++;
        if (s == 63 && c > 1)
            return false; /* past 64 bits */
        v |= (uint64_t)(c & 0x7f) << s;
        if (c < 0x80) {
            *out = v;
            r->p = p;
            return true;
        }
    }
    return false;
}

/* Reads a length and checks that many bytes are left in the record. */
static inline bool get_len(struct rd *r, uint32_t *out)
{
    uint64_t v;
    if (!get_varint(r, &v) || v > left(r))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* Reads a count (no bytes follow it directly, so only its size is
 * checked). */
static inline bool get_count(struct rd *r, uint32_t *out)
{
    uint64_t v;
    if (!get_varint(r, &v) || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* ---- Encoding ----------------------------------------------------------- */

int st_ptbin_append(struct st_buf *out, struct st_slice key, const struct st_lp_batch *b,
                    const struct st_lp_point *pt)
{
    /* Where the tags sit in the key: st_lp_series_key() writes each as
     * ",<key>=<value>", escaping a value's leading '='. */
    uint64_t tags_len = 0;
    for (uint32_t k = 0; k < pt->ntags; k++) {
        const struct st_lp_tag *t = &b->tags[pt->tag0 + k];
        tags_len +=
            2 + (uint64_t)t->key.len + t->value.len + (t->value.len && t->value.p[0] == '=');
    }
    if (tags_len >= key.len)
        return ST_EINVAL; /* no measurement left: not this point's key */
    uint32_t mlen = (uint32_t)(key.len - tags_len);
    /* Worst case size, reserved once: 5 bytes per u32 varint, 10 per
     * 64-bit one. */
    size_t need = ST_PTBIN_HDR + 5 + (size_t)key.len + 5 + 5 + (size_t)pt->ntags * 10 + 8 + 5;
    for (uint32_t k = 0; k < pt->nfields; k++) {
        const struct st_lp_field *f = &b->fields[pt->field0 + k];
        need += 5 + (size_t)f->key.len + 1 + 10;
        if (f->type == ST_FIELD_STRING)
            need += f->v.s.len;
    }
    if (need - ST_PTBIN_HDR > UINT32_MAX) /* UNTESTED: a point of 4 GiB */
        return ST_EINVAL;
    if (st_buf_reserve(out, need) != ST_OK)
        return ST_ENOMEM;

    uint8_t *rec = (uint8_t *)out->p + out->len;
    uint8_t *w = rec + ST_PTBIN_HDR;
    w = put_varint(w, key.len);
    memcpy(w, key.p, key.len);
    w += key.len;
    w = put_varint(w, mlen);
    w = put_varint(w, pt->ntags);
    for (uint32_t k = 0; k < pt->ntags; k++) {
        const struct st_lp_tag *t = &b->tags[pt->tag0 + k];
        w = put_varint(w, t->key.len);
        w = put_varint(w, (uint64_t)t->value.len + (t->value.len && t->value.p[0] == '='));
    }
    w = put_u64(w, (uint64_t)pt->time);
    w = put_varint(w, pt->nfields);
    for (uint32_t k = 0; k < pt->nfields; k++) {
        const struct st_lp_field *f = &b->fields[pt->field0 + k];
        w = put_varint(w, f->key.len);
        memcpy(w, f->key.p, f->key.len);
        w += f->key.len;
        *w++ = (uint8_t)f->type;
        switch (f->type) {
        case ST_FIELD_FLOAT: {
            uint64_t bits;
            memcpy(&bits, &f->v.f, sizeof(bits));
            w = put_u64(w, bits);
            break;
        }
        case ST_FIELD_INTEGER:
            w = put_varint(w, zigzag(f->v.i));
            break;
        case ST_FIELD_UNSIGNED:
            w = put_varint(w, f->v.u);
            break;
        case ST_FIELD_BOOLEAN:
            *w++ = f->v.b ? 1 : 0;
            break;
        case ST_FIELD_STRING:
            w = put_varint(w, f->v.s.len);
            memcpy(w, f->v.s.p, f->v.s.len);
            w += f->v.s.len;
            break;
        }
    }
    put_u32(rec, (uint32_t)(w - rec - ST_PTBIN_HDR));
    out->len += (size_t)(w - rec);
    out->p[out->len] = '\0';
    return ST_OK;
}

/* ---- Decoding ----------------------------------------------------------- */

/* Decodes the tags of a record: their lengths are read from @r, their
 * bytes found in @key after the measurement. */
static int decode_tags(struct st_lp_batch *b, struct rd *r, struct st_slice key, uint32_t mlen,
                       uint32_t ntags)
{
    uint32_t pos = mlen;
    for (uint32_t k = 0; k < ntags; k++) {
        struct st_lp_tag *t = &b->tags[b->ntags + k]; /* b->tags may be NULL when ntags is 0 */
        uint32_t kl, vl;
        if (!get_count(r, &kl) || !get_count(r, &vl) || kl == 0 || vl == 0)
            return ST_ECORRUPT;
        uint64_t end = (uint64_t)pos + 2 + kl + vl;
        if (end > key.len || key.p[pos] != ',' || key.p[pos + 1 + kl] != '=')
            return ST_ECORRUPT;
        t->key.p = key.p + pos + 1;
        t->key.len = kl;
        t->value.p = key.p + pos + 2 + kl;
        t->value.len = vl;
        pos = (uint32_t)end;
    }
    return pos == key.len ? ST_OK : ST_ECORRUPT;
}

static int decode_fields(struct st_lp_batch *b, struct rd *r, uint32_t nfields)
{
    struct st_lp_field *fields = b->fields + b->nfields;
    for (uint32_t k = 0; k < nfields; k++) {
        struct st_lp_field *f = &fields[k];
        uint32_t kl;
        if (!get_len(r, &kl) || kl == 0 || left(r) - kl < 2)
            return ST_ECORRUPT; /* also room for the type and a value byte */
        f->key.p = (const char *)r->p;
        f->key.len = kl;
        r->p += kl;
        uint8_t type = *r->p++;
        uint64_t u;
        switch (type) {
        case ST_FIELD_FLOAT:
            if (left(r) < 8)
                return ST_ECORRUPT;
            u = get_u64(r->p);
            memcpy(&f->v.f, &u, sizeof(u));
            r->p += 8;
            break;
        case ST_FIELD_INTEGER:
            if (!get_varint(r, &u))
                return ST_ECORRUPT;
            f->v.i = unzigzag(u);
            break;
        case ST_FIELD_UNSIGNED:
            if (!get_varint(r, &f->v.u))
                return ST_ECORRUPT;
            break;
        case ST_FIELD_BOOLEAN:
            if (*r->p > 1)
                return ST_ECORRUPT;
            f->v.b = *r->p++ == 1;
            break;
        case ST_FIELD_STRING:
            if (!get_len(r, &f->v.s.len))
                return ST_ECORRUPT;
            f->v.s.p = (const char *)r->p;
            r->p += f->v.s.len;
            break;
        default:
            return ST_ECORRUPT;
        }
        f->type = (enum st_field_type)type;
    }
    return ST_OK;
}

/* Decodes the record @rec (@len bytes, length prefix included, which the
 * caller checked) as point number @no. */
static int decode_record(struct st_lp_batch *b, const uint8_t *rec, size_t len, uint32_t no)
{
    struct rd r = {rec + ST_PTBIN_HDR, rec + len};
    uint32_t klen, mlen, ntags, nfields;
    if (!get_len(&r, &klen) || klen == 0)
        return ST_ECORRUPT;
    struct st_slice key = {(const char *)r.p, klen};
    r.p += klen;
    if (!get_count(&r, &mlen) || mlen == 0 || mlen > klen || !get_count(&r, &ntags) ||
        ntags > (klen - mlen) / MIN_TAG_KEY_BYTES)
        return ST_ECORRUPT;
    if (b->npoints == b->points_cap &&
        st_array_grow((void **)&b->points, &b->points_cap, b->npoints + 1, sizeof(*b->points)))
        return ST_ENOMEM;
    if (st_array_grow((void **)&b->tags, &b->tags_cap, b->ntags + ntags, sizeof(*b->tags)))
        return ST_ENOMEM;
    int rv = decode_tags(b, &r, key, mlen, ntags);
    if (rv != ST_OK)
        return rv;
    if (left(&r) < 8)
        return ST_ECORRUPT;
    int64_t t = (int64_t)get_u64(r.p);
    r.p += 8;
    if (t < MIN_TIME || t > MAX_TIME || !get_count(&r, &nfields) || nfields == 0 ||
        nfields > left(&r) / MIN_FIELD_BYTES)
        return ST_ECORRUPT;
    if (st_array_grow((void **)&b->fields, &b->fields_cap, b->nfields + nfields,
                      sizeof(*b->fields)))
        return ST_ENOMEM;
    if ((rv = decode_fields(b, &r, nfields)) != ST_OK)
        return rv;
    if (r.p != r.end)
        return ST_ECORRUPT; /* bytes the record does not account for */
    struct st_lp_point *pt = &b->points[b->npoints++];
    pt->measurement.p = key.p;
    pt->measurement.len = mlen;
    pt->line.p = (const char *)rec;
    pt->line.len = (uint32_t)len;
    pt->tag0 = (uint32_t)b->ntags;
    pt->ntags = ntags;
    pt->field0 = (uint32_t)b->nfields;
    pt->nfields = nfields;
    pt->line_no = no;
    pt->time = t;
    b->ntags += ntags;
    b->nfields += nfields;
    return ST_OK;
}

int st_ptbin_decode_some(struct st_lp_batch *b, const char *data, size_t len,
                         struct st_lp_cursor *cur, size_t max_points, size_t *bad_off)
{
    size_t np0 = b->npoints, nt0 = b->ntags, nf0 = b->nfields;
    const uint8_t *p = (const uint8_t *)data;
    size_t off = cur->pos;
    uint32_t no = cur->line_no;
    int rv = ST_OK;
    while (off < len && b->npoints - np0 < max_points) {
        /* A record longer than a slice can say is refused too: `line` is
         * a st_slice. */
        if (len - off < ST_PTBIN_HDR || get_u32(p + off) > len - off - ST_PTBIN_HDR ||
            get_u32(p + off) > UINT32_MAX - ST_PTBIN_HDR || no == UINT32_MAX) {
            rv = ST_ECORRUPT;
            goto fail;
        }
        size_t rlen = ST_PTBIN_HDR + (size_t)get_u32(p + off);
        if ((rv = decode_record(b, p + off, rlen, no)) != ST_OK)
            goto fail;
        no++;
        off += rlen;
    }
    cur->pos = off;
    cur->line_no = no;
    return ST_OK;

fail:
    b->npoints = np0;
    b->ntags = nt0;
    b->nfields = nf0;
    if (rv == ST_ECORRUPT && bad_off != NULL)
        *bad_off = off;
    return rv;
}

int st_ptbin_decode(struct st_lp_batch *b, const char *data, size_t len, size_t *bad_off)
{
    struct st_lp_cursor cur = {0, 1};
    return st_ptbin_decode_some(b, data, len, &cur, SIZE_MAX, bad_off);
}

struct st_slice st_ptbin_series_key(const struct st_lp_point *pt)
{
    struct rd r = {(const uint8_t *)pt->line.p + ST_PTBIN_HDR,
                   (const uint8_t *)pt->line.p + pt->line.len};
    uint64_t klen = 0;
    get_varint(&r, &klen); /* checked when the record was decoded */
    struct st_slice key = {(const char *)r.p, (uint32_t)klen};
    return key;
}
