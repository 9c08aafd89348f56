/* libFuzzer target: the block decoders of data/codec on arbitrary bytes.
 *
 * The first byte picks what to do. Below 0x80 its value modulo 11 picks a
 * decoder (timestamps, float, int, uint, bool, string columns, or a block of
 * one of the five field types) for the remaining bytes; whatever decodes is
 * counted (st_codec_count must agree), encoded again, and decoded again, and
 * must come back equal, bit for bit. From 0x80 on the remaining bytes become
 * values instead (8-byte words, or a walk of signed byte steps when bit 6 is
 * set) that are encoded and must decode to themselves: the encoders' choice
 * of mode is fuzzed too. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXP ST_BLOCK_MAX_POINTS

/* Decoded or generated values of any type. */
struct vals {
    int64_t ts[MAXP];
    union {
        double f[MAXP];
        int64_t i[MAXP];
        uint64_t u[MAXP];
        bool b[MAXP];
    } v;
    struct st_codec_str s[MAXP];
    struct st_slice sl[MAXP];
    struct st_buf arena;
    size_t n;
};

static const enum st_field_type types[] = {ST_FIELD_FLOAT, ST_FIELD_INTEGER, ST_FIELD_UNSIGNED,
                                           ST_FIELD_STRING, ST_FIELD_BOOLEAN};

/* Decodes @p as what @sel (0..10) picks into @x. */
static int decode(unsigned sel, const uint8_t *p, size_t len, struct vals *x)
{
    union st_codec_out o;
    switch (sel) {
    case 0:
        return st_codec_ts_decode(p, len, x->ts, MAXP, &x->n);
    case 1:
        return st_codec_float_decode(p, len, x->v.f, MAXP, &x->n);
    case 2:
        return st_codec_int_decode(p, len, x->v.i, MAXP, &x->n);
    case 3:
        return st_codec_uint_decode(p, len, x->v.u, MAXP, &x->n);
    case 4:
        return st_codec_bool_decode(p, len, x->v.b, MAXP, &x->n);
    case 5:
        return st_codec_str_decode(p, len, &x->arena, x->s, MAXP, &x->n);
    default:
        if (types[sel - 6] == ST_FIELD_STRING)
            o.s = x->s;
        else
            o.u = x->v.u;
        return st_codec_block_decode(p, len, types[sel - 6], x->ts, o, &x->arena, MAXP, &x->n);
    }
}

/* Encodes what @x holds as @sel picks into @out. */
static int encode(unsigned sel, struct vals *x, struct st_buf *out)
{
    bool str = sel == 5 || (sel >= 6 && types[sel - 6] == ST_FIELD_STRING);
    if (str)
        for (size_t i = 0; i < x->n; i++) {
            x->sl[i].p = x->arena.p + x->s[i].off;
            x->sl[i].len = x->s[i].len;
        }
    union st_codec_in in;
    if (str)
        in.s = x->sl;
    else
        in.u = x->v.u;
    switch (sel) {
    case 0:
        return st_codec_ts_encode(out, x->ts, x->n);
    case 1:
        return st_codec_float_encode(out, x->v.f, x->n);
    case 2:
        return st_codec_int_encode(out, x->v.i, x->n);
    case 3:
        return st_codec_uint_encode(out, x->v.u, x->n);
    case 4:
        return st_codec_bool_encode(out, x->v.b, x->n);
    case 5:
        return st_codec_str_encode(out, x->sl, x->n);
    default:
        return st_codec_block_encode(out, types[sel - 6], x->ts, in, x->n);
    }
}

/* Aborts unless @a and @b hold the same values for @sel. */
static void same(unsigned sel, const struct vals *a, const struct vals *b)
{
    if (a->n != b->n)
        abort();
    bool ts = sel == 0 || sel >= 6;
    if (ts && memcmp(a->ts, b->ts, a->n * sizeof(a->ts[0])) != 0)
        abort();
    enum st_field_type t = sel >= 6   ? types[sel - 6]
                           : sel == 5 ? ST_FIELD_STRING
                           : sel == 4 ? ST_FIELD_BOOLEAN
                                      : ST_FIELD_FLOAT; /* 64-bit words: compared as bits */
    if (sel == 0)
        return;
    for (size_t i = 0; i < a->n; i++) {
        switch (t) {
        case ST_FIELD_STRING:
            if (a->s[i].len != b->s[i].len ||
                memcmp(a->arena.p + a->s[i].off, b->arena.p + b->s[i].off, a->s[i].len) != 0)
                abort();
            break;
        case ST_FIELD_BOOLEAN:
            if (a->v.b[i] != b->v.b[i])
                abort();
            break;
        default:
            if (a->v.u[i] != b->v.u[i])
                abort();
        }
    }
}

/* Fills @x from the bytes for the encoder round trip. */
static void generate(unsigned sel, bool walk, const uint8_t *p, size_t len, struct vals *x)
{
    bool str = sel == 5 || (sel >= 6 && types[sel - 6] == ST_FIELD_STRING);
    x->n = 0;
    if (str) { /* a length byte, then that many bytes (as far as there are) */
        size_t off = 0;
        while (off < len && x->n < MAXP) {
            size_t l = p[off++];
            if (l > len - off)
                l = len - off;
            x->s[x->n].off = x->arena.len;
            x->s[x->n].len = (uint32_t)l;
            if (st_buf_append(&x->arena, p + off, l) != ST_OK)
                abort();
            off += l;
            x->n++;
        }
    }
    uint64_t acc = 0;
    size_t step = walk ? 1 : 8, n = len / step;
    if (n > MAXP)
        n = MAXP;
    for (size_t i = 0; i < n; i++) {
        uint64_t w = 0;
        if (walk) {
            acc += (uint64_t)(int64_t)(int8_t)p[i];
            w = acc;
        } else {
            for (unsigned b = 0; b < 8; b++)
                w |= (uint64_t)p[8 * i + b] << (8 * b);
        }
        memcpy(&x->ts[i], &w, sizeof(w));
        x->v.u[i] = w;
        x->v.b[i] = w & 1;
    }
    if (!str)
        x->n = n;
    else if (sel >= 6)
        for (size_t i = n; i < x->n; i++) /* times for strings beyond the words */
            x->ts[i] = (int64_t)i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned sel = data[0] % 11;
    struct vals *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    struct st_buf out;
    if (a == NULL || b == NULL)
        abort();
    st_buf_init(&a->arena);
    st_buf_init(&b->arena);
    st_buf_init(&out);
    if (data[0] < 0x80) {
        /* Decode; what decodes must survive a re-encode. */
        int rv = decode(sel, data + 1, size - 1, a);
        if (rv != ST_OK && rv != ST_ECORRUPT)
            abort();
        if (rv == ST_OK) {
            size_t n;
            if (st_codec_count(data + 1, size - 1, &n) != ST_OK || n != a->n)
                abort();
        }
        if (rv != ST_OK)
            goto done;
    } else {
        generate(sel, data[0] & 0x40, data + 1, size - 1, a);
    }
    if (encode(sel, a, &out) != ST_OK)
        abort();
    if (decode(sel, (const uint8_t *)out.p, out.len, b) != ST_OK)
        abort();
    same(sel, a, b);
done:
    st_buf_fini(&out);
    st_buf_fini(&a->arena);
    st_buf_fini(&b->arena);
    free(a);
    free(b);
    return 0;
}
