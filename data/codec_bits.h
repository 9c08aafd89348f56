/* Bit streams, varints and the residual packer shared by the block codecs;
 * private to data/codec_*.c. */
#ifndef ST_CODEC_BITS_H
#define ST_CODEC_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "codec.h"

/* ---- Integers ------------------------------------------------------------- */

/* Bits needed to write @u: 0 for 0, 64 for values >= 2^63. */
static inline unsigned cb_bitlen(uint64_t u)
{
    unsigned n = 0;
    for (unsigned s = 32; s > 0; s /= 2) {
        if (u >> s) {
            u >>= s;
            n += s;
        }
    }
    return n + (unsigned)u;
}

/* Zig-zag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ... on two's complement bits. */
static inline uint64_t cb_zz(uint64_t u)
{
    return (u << 1) ^ (0 - (u >> 63));
}

static inline uint64_t cb_unzz(uint64_t z)
{
    return (z >> 1) ^ (0 - (z & 1));
}

/* Signed order of two's complement words. */
static inline bool cb_lt(uint64_t a, uint64_t b)
{
    return (a ^ (UINT64_C(1) << 63)) < (b ^ (UINT64_C(1) << 63));
}

/* ---- Byte varints (LEB128) -------------------------------------------------- */

/* Appends @v as 1..10 bytes. ST_OK or ST_ENOMEM. */
static inline int cb_put_uvarint(struct st_buf *b, uint64_t v)
{
    uint8_t x[10];
    size_t n = 0;
    while (v >= 0x80) {
        x[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    x[n++] = (uint8_t)v;
    return st_buf_append(b, x, n);
}

/* Reads a varint at p[*off] (borrowed, @len bytes) and advances *@off.
 * False for a truncated varint, more than 10 bytes, or a value >= 2^64. */
static inline bool cb_get_uvarint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*off >= len)
            return false;
        uint8_t c = p[(*off)++];
        if (i == 9 && c > 1)
            return false;
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* ---- Bit streams ---------------------------------------------------------- */

/* A bit writer appending to a st_buf: bits go in least significant first,
 * bytes in order. Errors are sticky and reported by cb_bw_finish(). */
struct cb_bw {
    struct st_buf *out; /* borrowed */
    uint64_t acc;       /* pending bits, fewer than 8 between calls */
    unsigned nacc;      /* number of pending bits */
    unsigned nstage;    /* bytes in @stage */
    int err;            /* first error, ST_OK if none */
    uint8_t stage[64];  /* bytes not yet appended to @out */
};

static inline void cb_bw_init(struct cb_bw *w, struct st_buf *out)
{
    w->out = out;
    w->acc = 0;
    w->nacc = 0;
    w->nstage = 0;
    w->err = 0;
}

static inline void cb_bw_flush_stage(struct cb_bw *w)
{
    if (w->err == 0 && w->nstage)
        w->err = st_buf_append(w->out, w->stage, w->nstage);
    w->nstage = 0;
}

/* Writes the low @n (<= 64) bits of @v. */
static inline void cb_put(struct cb_bw *w, uint64_t v, unsigned n)
{
    if (n > 56) {
        cb_put(w, v, 32);
        v >>= 32;
        n -= 32;
    }
    if (n == 0)
        return;
    w->acc |= (v & ((UINT64_C(1) << n) - 1)) << w->nacc;
    w->nacc += n;
    while (w->nacc >= 8) {
        if (w->nstage == sizeof(w->stage))
            cb_bw_flush_stage(w);
        w->stage[w->nstage++] = (uint8_t)w->acc;
        w->acc >>= 8;
        w->nacc -= 8;
    }
}

/* Pads the last byte with zero bits and appends everything: ST_OK or the
 * first error (ST_ENOMEM). */
static inline int cb_bw_finish(struct cb_bw *w)
{
    if (w->nacc)
        cb_put(w, 0, 8 - w->nacc);
    cb_bw_flush_stage(w);
    return w->err;
}

/* A bounds-checked bit reader over borrowed bytes. A read past the end sets
 * @err and returns 0; the caller checks @err when it suits it. */
struct cb_br {
    const uint8_t *p; /* borrowed input */
    size_t len;       /* bytes in @p */
    size_t pos;       /* next byte to load */
    uint64_t acc;     /* loaded bits not yet consumed; acc < 2^nacc */
    unsigned nacc;
    bool err;
};

static inline void cb_br_init(struct cb_br *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->acc = 0;
    r->nacc = 0;
    r->err = false;
}

/* Reads @n (<= 64) bits. */
static inline uint64_t cb_get(struct cb_br *r, unsigned n)
{
    if (n > 56) {
        uint64_t lo = cb_get(r, 32);
        return lo | cb_get(r, n - 32) << 32;
    }
    while (r->nacc < n) {
        if (r->pos >= r->len) {
            r->err = true;
            return 0;
        }
        r->acc |= (uint64_t)r->p[r->pos++] << r->nacc;
        r->nacc += 8;
    }
    uint64_t v = r->acc & ((UINT64_C(1) << n) - 1);
    r->acc >>= n;
    r->nacc -= n;
    return v;
}

/* Bits left to read. */
static inline uint64_t cb_br_left(const struct cb_br *r)
{
    return (uint64_t)(r->len - r->pos) * 8 + r->nacc;
}

/* True when the stream was read to its end without error and the padding
 * of the last byte is zero: a decoder accepts nothing after its data. */
static inline bool cb_br_done(const struct cb_br *r)
{
    return !r->err && r->pos == r->len && r->acc == 0;
}

/* A 64-bit word as its bit length in 7 bits then its bits: 7..71 bits. */
static inline void cb_put_lb(struct cb_bw *w, uint64_t u)
{
    unsigned n = cb_bitlen(u);
    cb_put(w, n, 7);
    cb_put(w, u, n);
}

static inline unsigned cb_lb_cost(uint64_t u)
{
    return 7 + cb_bitlen(u);
}

static inline uint64_t cb_get_lb(struct cb_br *r)
{
    unsigned n = (unsigned)cb_get(r, 7);
    if (n > 64) {
        r->err = true;
        return 0;
    }
    return cb_get(r, n);
}

/* ---- Residual packer (codec_seq.c) ------------------------------------------
 *
 * Packs m 64-bit words (two's complement residuals: differences, or values)
 * into a bit stream, choosing the smallest of five modes. The count is not
 * written: the reader knows it. */

#define CB_HUFF_MAX_ALPHA 64 /* values in the Huffman window at most */
#define CB_HUFF_MAX_LEN 15   /* longest code */
#define CB_RANGE_MAX 65536   /* largest R of the RANGE mode */

struct cb_plan {
    unsigned mode;  /* CB_SEQ_* */
    uint64_t base;  /* smallest value, the constant, the window start or the usual value */
    unsigned width; /* BITS: bits per value */
    uint64_t range; /* RANGE: values lie in [base, base + range) */
    unsigned alpha; /* HUFF: window size, symbol alpha is the escape */
    uint8_t lens[CB_HUFF_MAX_ALPHA + 1]; /* HUFF: code length per symbol, 0 unused */
    uint64_t bits;                       /* the cost of the whole sequence in bits */
};

enum { CB_SEQ_CONST = 0, CB_SEQ_BITS = 1, CB_SEQ_RANGE = 2, CB_SEQ_HUFF = 3, CB_SEQ_SPARSE = 4 };

/* Chooses how to pack @r[0..m) (borrowed, 1 <= m <= ST_BLOCK_MAX_POINTS)
 * and returns the plan with its cost. */
void cb_seq_plan(const uint64_t *r, size_t m, struct cb_plan *plan);

/* Writes @r[0..m) as @plan (from cb_seq_plan over the same values) says. */
void cb_seq_write(struct cb_bw *w, const uint64_t *r, size_t m, const struct cb_plan *plan);

/* The RANGE group size for @R (2..CB_RANGE_MAX): the k in 1..64 with
 * R^k <= 2^64 - 1 that minimizes bits(R^k - 1) / k, smallest k on ties, in
 * *@k; returns the powers of R, pows[0..k], valid until the next call on
 * this thread. */
const uint64_t *cb_range_group(uint64_t R, unsigned *k);

/* Bits of @m words in RANGE groups of @k with the powers @pows. */
uint64_t cb_range_cost(size_t m, unsigned k, const uint64_t *pows);

/* Reads @m words into @r (caller-owned). False on malformed input
 * (codec_seq_read.c). */
bool cb_seq_read(struct cb_br *b, uint64_t *r, size_t m);

/* As cb_seq_read, but @r gets the running sums of the words from @start:
 * r[i] = start + w[0] + ... + w[i] (modulo 2^64). Undoing one order of
 * differences while decoding saves a second pass over @r. */
bool cb_seq_read_sums(struct cb_br *b, uint64_t *r, size_t m, uint64_t start);

/* ---- Integer-like columns (codec_ts.c) ---------------------------------------
 *
 * Time, int, uint and bool columns share one layout: tag (kind << 4 |
 * ST_CODEC_RAW or _DIFFk), varint n, then either n raw words or a bit stream
 * with the first k values of the difference sequences and the packed rest. */

/* Appends the column of @n (<= ST_BLOCK_MAX_POINTS) words @v (borrowed) with
 * the cheapest encoding; on error @out keeps its length. */
int cb_words_encode(struct st_buf *out, unsigned kind, const uint64_t *v, size_t n);

/* Decodes such a column of @kind into @v (caller-owned, room for @cap). */
int cb_words_decode(const uint8_t *p, size_t len, unsigned kind, uint64_t *v, size_t cap,
                    size_t *n);

/* Reads the tag and count at the start of a column: ST_OK with *@off just
 * after them, ST_ECORRUPT (empty, a tag not of @kind (unless @kind < 0),
 * count > ST_BLOCK_MAX_POINTS) or ST_ERANGE (count > @cap). */
int cb_col_head(const uint8_t *p, size_t len, int kind, size_t cap, uint8_t *tag, size_t *n,
                size_t *off);

/* Appends a tag and a count. */
int cb_put_head(struct st_buf *out, uint8_t tag, size_t n);

#endif
