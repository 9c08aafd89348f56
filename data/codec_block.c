/* Blocks (a timestamps column and a values column behind one tag), point
 * counts without decoding, and dispatch by field type. */
#include "codec_bits.h"
#include "err.h"

/* The column kind of field @type, or -1 for an unknown type. */
static int kind_of(enum st_field_type type)
{
    switch (type) {
    case ST_FIELD_FLOAT:
        return ST_CODEC_KIND_FLOAT;
    case ST_FIELD_INTEGER:
        return ST_CODEC_KIND_INT;
    case ST_FIELD_UNSIGNED:
        return ST_CODEC_KIND_UINT;
    case ST_FIELD_STRING:
        return ST_CODEC_KIND_STRING;
    case ST_FIELD_BOOLEAN:
        return ST_CODEC_KIND_BOOL;
    }
    return -1;
}

/* True for every column tag a decoder accepts. */
static bool known_column(uint8_t tag)
{
    switch (tag >> 4) {
    case ST_CODEC_KIND_TIME:
    case ST_CODEC_KIND_INT:
    case ST_CODEC_KIND_UINT:
    case ST_CODEC_KIND_BOOL:
        return (tag & 0xf) <= ST_CODEC_DIFF2;
    case ST_CODEC_KIND_FLOAT:
        return tag == ST_CODEC_FLOAT_RAW || tag == ST_CODEC_FLOAT_GORILLA;
    case ST_CODEC_KIND_STRING:
        return tag == ST_CODEC_STR_RAW || tag == ST_CODEC_STR_ZSTD;
    }
    return false;
}

/* The count of a column, checking its tag is known and of @kind (if >= 0). */
static int column_count(const uint8_t *p, size_t len, int kind, size_t *n)
{
    uint8_t tag;
    size_t off;
    if (len > 0 && p[0] == ST_CODEC_FLOAT_INTEGRAL) {
        if (kind >= 0 && kind != ST_CODEC_KIND_FLOAT)
            return ST_ECORRUPT;
        return column_count(p + 1, len - 1, ST_CODEC_KIND_INT, n);
    }
    int rv = cb_col_head(p, len, kind, ST_BLOCK_MAX_POINTS, &tag, n, &off);
    if (rv == ST_OK && !known_column(tag))
        rv = ST_ECORRUPT;
    return rv;
}

int st_codec_block_split(const uint8_t *p, size_t len, enum st_field_type type, const uint8_t **ts,
                         size_t *ts_len, const uint8_t **vals, size_t *vals_len, size_t *n)
{
    uint64_t tlen;
    size_t off = 1, nt, nv;
    int kind = kind_of(type);
    if (kind < 0 || len == 0 || p[0] != ST_CODEC_BLOCK || !cb_get_uvarint(p, len, &off, &tlen) ||
        tlen > len - off)
        return ST_ECORRUPT;
    *ts = p + off;
    *ts_len = (size_t)tlen;
    *vals = p + off + tlen;
    *vals_len = len - off - (size_t)tlen;
    if (column_count(*ts, *ts_len, ST_CODEC_KIND_TIME, &nt) != ST_OK ||
        column_count(*vals, *vals_len, kind, &nv) != ST_OK || nt != nv)
        return ST_ECORRUPT;
    *n = nt;
    return ST_OK;
}

int st_codec_count(const uint8_t *p, size_t len, size_t *n)
{
    if (len > 0 && p[0] == ST_CODEC_BLOCK) {
        uint64_t tlen;
        size_t off = 1;
        if (!cb_get_uvarint(p, len, &off, &tlen) || tlen > len - off)
            return ST_ECORRUPT;
        return column_count(p + off, (size_t)tlen, ST_CODEC_KIND_TIME, n);
    }
    return column_count(p, len, -1, n);
}

int st_codec_values_encode(struct st_buf *out, enum st_field_type type, union st_codec_in v,
                           size_t n)
{
    switch (type) {
    case ST_FIELD_FLOAT:
        return st_codec_float_encode(out, v.f, n);
    case ST_FIELD_INTEGER:
        return st_codec_int_encode(out, v.i, n);
    case ST_FIELD_UNSIGNED:
        return st_codec_uint_encode(out, v.u, n);
    case ST_FIELD_STRING:
        return st_codec_str_encode(out, v.s, n);
    case ST_FIELD_BOOLEAN:
        return st_codec_bool_encode(out, v.b, n);
    }
    return ST_EINVAL;
}

int st_codec_values_decode(const uint8_t *p, size_t len, enum st_field_type type,
                           union st_codec_out v, struct st_buf *arena, size_t cap, size_t *n)
{
    switch (type) {
    case ST_FIELD_FLOAT:
        return st_codec_float_decode(p, len, v.f, cap, n);
    case ST_FIELD_INTEGER:
        return st_codec_int_decode(p, len, v.i, cap, n);
    case ST_FIELD_UNSIGNED:
        return st_codec_uint_decode(p, len, v.u, cap, n);
    case ST_FIELD_STRING:
        return arena ? st_codec_str_decode(p, len, arena, v.s, cap, n) : ST_EINVAL;
    case ST_FIELD_BOOLEAN:
        return st_codec_bool_decode(p, len, v.b, cap, n);
    }
    return ST_EINVAL;
}

int st_codec_block_encode(struct st_buf *out, enum st_field_type type, const int64_t *ts,
                          union st_codec_in v, size_t n)
{
    if (kind_of(type) < 0 || n > ST_BLOCK_MAX_POINTS)
        return ST_EINVAL;
    size_t start = out->len;
    int rv = st_buf_putc(out, (char)ST_CODEC_BLOCK);
    size_t tstart = out->len;
    if (rv == ST_OK)
        rv = st_codec_ts_encode(out, ts, n);
    if (rv == ST_OK) {
        /* Insert the timestamps column's length in front of it. */
        size_t tlen = out->len - tstart;
        size_t vlen = (cb_bitlen(tlen) + 6) / 7; /* tlen >= 2 */
        rv = st_buf_reserve(out, vlen);
        if (rv == ST_OK) {
            memmove(out->p + tstart + vlen, out->p + tstart, tlen);
            for (size_t i = 0; i < vlen; i++)
                out->p[tstart + i] =
                    (char)(uint8_t)(((tlen >> (7 * i)) & 0x7f) | (i + 1 < vlen ? 0x80 : 0));
            out->len += vlen;
            out->p[out->len] = '\0';
        }
    }
    if (rv == ST_OK)
        rv = st_codec_values_encode(out, type, v, n);
    if (rv != ST_OK) { /* UNTESTED: out of memory */
        out->len = start;
        if (out->cap)
            out->p[start] = '\0';
    }
    return rv;
}

int st_codec_block_decode(const uint8_t *p, size_t len, enum st_field_type type, int64_t *ts,
                          union st_codec_out v, struct st_buf *arena, size_t cap, size_t *n)
{
    const uint8_t *tp, *vp;
    size_t tlen, vlen, count, nt, nv;
    int rv = st_codec_block_split(p, len, type, &tp, &tlen, &vp, &vlen, &count);
    if (rv != ST_OK)
        return rv;
    if (count > cap)
        return ST_ERANGE;
    if ((rv = st_codec_ts_decode(tp, tlen, ts, cap, &nt)) != ST_OK)
        return rv;
    if ((rv = st_codec_values_decode(vp, vlen, type, v, arena, cap, &nv)) != ST_OK)
        return rv;
    if (nt != nv) /* split checked the counts: only a bug gets here */
        return ST_ECORRUPT;
    *n = nt;
    return ST_OK;
}
