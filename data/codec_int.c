/* Integer, unsigned and boolean columns: thin wrappers over the integer-like
 * column of codec_ts.c (differences of order 0..2, residuals packed by
 * codec_seq.c). A TSBS-like random walk picks order 1 (the deltas) packed
 * with RANGE or HUFF; constant values cost a few bytes; booleans come out as
 * a bitmap (BITS of width 1) or CONST. */
#include "codec_bits.h"
#include "err.h"

/* int64_t and uint64_t may alias (C11 6.5p7): see codec_ts.c. */
int st_codec_int_encode(struct st_buf *out, const int64_t *v, size_t n)
{
    return cb_words_encode(out, ST_CODEC_KIND_INT, (const uint64_t *)v, n);
}

int st_codec_int_decode(const uint8_t *p, size_t len, int64_t *v, size_t cap, size_t *n)
{
    return cb_words_decode(p, len, ST_CODEC_KIND_INT, (uint64_t *)v, cap, n);
}

int st_codec_uint_encode(struct st_buf *out, const uint64_t *v, size_t n)
{
    return cb_words_encode(out, ST_CODEC_KIND_UINT, v, n);
}

int st_codec_uint_decode(const uint8_t *p, size_t len, uint64_t *v, size_t cap, size_t *n)
{
    return cb_words_decode(p, len, ST_CODEC_KIND_UINT, v, cap, n);
}

int st_codec_bool_encode(struct st_buf *out, const bool *v, size_t n)
{
    uint64_t w[ST_BLOCK_MAX_POINTS];
    if (n > ST_BLOCK_MAX_POINTS)
        return ST_EINVAL;
    for (size_t i = 0; i < n; i++)
        w[i] = v[i] ? 1 : 0;
    return cb_words_encode(out, ST_CODEC_KIND_BOOL, w, n);
}

int st_codec_bool_decode(const uint8_t *p, size_t len, bool *v, size_t cap, size_t *n)
{
    uint64_t w[ST_BLOCK_MAX_POINTS];
    size_t count;
    int rv = cb_words_decode(p, len, ST_CODEC_KIND_BOOL, w,
                             cap < ST_BLOCK_MAX_POINTS ? cap : ST_BLOCK_MAX_POINTS, &count);
    if (rv != ST_OK)
        return rv;
    for (size_t i = 0; i < count; i++) {
        if (w[i] > 1)
            return ST_ECORRUPT;
        v[i] = w[i] == 1;
    }
    *n = count;
    return ST_OK;
}
