/* String columns. The body is every length as a varint, then every string's
 * bytes back to back: lengths and text apart compress better than
 * interleaved. The body is stored as is (ST_CODEC_STR_RAW) or, when that is
 * smaller, as one zstd frame (ST_CODEC_STR_ZSTD) preceded by the body's size
 * as a varint.
 *
 * Decoding appends the strings' bytes to the caller's arena and describes
 * them by (offset, length), so no value costs an allocation. A zstd body is
 * decompressed straight into the arena and the text moved down over the
 * lengths. The decoder bounds the body (ST_CODEC_MAX_STR_BYTES plus the
 * varints), requires the frame's declared content size to be that bound-
 * checked size before allocating, requires the frame to fill the input
 * exactly, and requires the lengths to add up to exactly the text. */
#include <stdlib.h>
#include <zstd.h>

#include "codec_bits.h"
#include "err.h"

#define ZSTD_LEVEL 3     /* zstd's default: blocks are encoded once, read many times */
#define ZSTD_MIN_BODY 32 /* smaller bodies are stored raw without trying */
#define MAX_VARINT32 5   /* bytes of a varint of a 32-bit length */
#define MAX_BODY ((size_t)ST_CODEC_MAX_STR_BYTES + MAX_VARINT32 * ST_BLOCK_MAX_POINTS)

int st_codec_str_encode(struct st_buf *out, const struct st_slice *v, size_t n)
{
    if (n > ST_BLOCK_MAX_POINTS)
        return ST_EINVAL;
    size_t text = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].len > ST_CODEC_MAX_STR_BYTES - text)
            return ST_EINVAL;
        text += v[i].len;
    }
    size_t start = out->len;
    int rv = cb_put_head(out, ST_CODEC_STR_RAW, n);
    size_t body = out->len;
    for (size_t i = 0; rv == ST_OK && i < n; i++)
        rv = cb_put_uvarint(out, v[i].len);
    for (size_t i = 0; rv == ST_OK && i < n; i++)
        rv = st_buf_append(out, v[i].p, v[i].len);
    size_t blen = out->len - body;
    if (rv == ST_OK && blen >= ZSTD_MIN_BODY) {
        size_t bound = ZSTD_compressBound(blen);
        void *z = malloc(bound);
        if (z != NULL) { /* UNTESTED: without memory the raw column stays */
            size_t zlen = ZSTD_compress(z, bound, out->p + body, blen, ZSTD_LEVEL);
            size_t vlen = (cb_bitlen(blen) + 6) / 7; /* varint of blen (> 0) */
            if (!ZSTD_isError(zlen) && vlen + zlen < blen) {
                out->len = start;
                rv = cb_put_head(out, ST_CODEC_STR_ZSTD, n);
                if (rv == ST_OK)
                    rv = cb_put_uvarint(out, blen);
                if (rv == ST_OK)
                    rv = st_buf_append(out, z, zlen);
            }
            free(z);
        }
    }
    if (rv != ST_OK) { /* UNTESTED: out of memory */
        out->len = start;
        if (out->cap)
            out->p[start] = '\0';
    }
    return rv;
}

int st_codec_str_decode(const uint8_t *p, size_t len, struct st_buf *arena, struct st_codec_str *v,
                        size_t cap, size_t *n)
{
    uint8_t tag;
    size_t count, off, a0 = arena->len;
    int rv = cb_col_head(p, len, ST_CODEC_KIND_STRING, cap, &tag, &count, &off);
    if (rv != ST_OK)
        return rv;
    const uint8_t *body;
    size_t blen;
    if (tag == ST_CODEC_STR_RAW) {
        body = p + off;
        blen = len - off;
    } else if (tag == ST_CODEC_STR_ZSTD) {
        uint64_t want;
        if (!cb_get_uvarint(p, len, &off, &want) || want > MAX_BODY)
            return ST_ECORRUPT;
        const uint8_t *src = p + off;
        size_t slen = len - off;
        if (ZSTD_getFrameContentSize(src, slen) != want ||
            ZSTD_findFrameCompressedSize(src, slen) != slen)
            return ST_ECORRUPT;
        blen = (size_t)want;
        if ((rv = st_buf_reserve(arena, blen)) != ST_OK)
            return rv; /* UNTESTED: out of memory */
        size_t got = ZSTD_decompress(arena->p + a0, blen, src, slen);
        if (ZSTD_isError(got) || got != blen)
            goto corrupt;
        body = (const uint8_t *)arena->p + a0;
    } else {
        return ST_ECORRUPT;
    }
    size_t boff = 0, text = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t l;
        if (!cb_get_uvarint(body, blen, &boff, &l) || l > ST_CODEC_MAX_STR_BYTES - text)
            goto corrupt;
        v[i].off = a0 + text;
        v[i].len = (uint32_t)l;
        text += (size_t)l;
    }
    if (text != blen - boff)
        goto corrupt;
    if (tag == ST_CODEC_STR_RAW) {
        if ((rv = st_buf_append(arena, body + boff, text)) != ST_OK)
            return rv; /* UNTESTED: out of memory */
    } else {
        memmove(arena->p + a0, arena->p + a0 + boff, text);
        arena->len = a0 + text;
        arena->p[arena->len] = '\0';
    }
    *n = count;
    return ST_OK;
corrupt:
    if (arena->cap)
        arena->p[a0] = '\0';
    return ST_ECORRUPT;
}
