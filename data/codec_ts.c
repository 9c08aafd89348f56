/* Integer-like columns (timestamps, int64, uint64, booleans) and the
 * timestamp codec on top of them.
 *
 * A column of n 64-bit words is stored as its difference sequence of some
 * order k in 0..2: order 0 is the values, order 1 the deltas, order 2 the
 * delta-of-deltas. The first k words of the differenced array (v0, then the
 * first delta) go in front, the remaining n - k residuals through the
 * residual packer (codec_seq.c). All arithmetic wraps modulo 2^64, so any
 * sequence round-trips, INT64_MIN..INT64_MAX jumps included; timestamps need
 * not be sorted or distinct.
 *
 * The encoder costs every order exactly and keeps the cheapest, or n raw
 * 8-byte words if that is smaller still. Timestamps at a fixed interval are
 * order 1 with a CONST residual stream (the interval): ~18 bytes per block,
 * and a missing point costs two escapes of order 2. A random walk is order
 * 1, noise order 0.
 *
 * The decoder checks the tag, the count against ST_BLOCK_MAX_POINTS and the
 * caller's capacity, every packed field, and that the bit stream ends
 * exactly at the end of the input with zero padding. */
#include "codec_bits.h"
#include "err.h"

int cb_put_head(struct st_buf *out, uint8_t tag, size_t n)
{
    int rv = st_buf_append(out, &tag, 1);
    return rv != ST_OK ? rv : cb_put_uvarint(out, n);
}

int cb_col_head(const uint8_t *p, size_t len, int kind, size_t cap, uint8_t *tag, size_t *n,
                size_t *off)
{
    uint64_t count;
    *off = 0;
    if (len == 0)
        return ST_ECORRUPT;
    *tag = p[(*off)++];
    if (kind >= 0 && *tag >> 4 != kind)
        return ST_ECORRUPT;
    if (!cb_get_uvarint(p, len, off, &count) || count > ST_BLOCK_MAX_POINTS)
        return ST_ECORRUPT;
    if (count > cap)
        return ST_ERANGE;
    *n = (size_t)count;
    return ST_OK;
}

/* Replaces @r[0..n) by its differences of order @k, in place. */
static void diff(uint64_t *r, size_t n, unsigned k)
{
    for (unsigned j = 0; j < k; j++)
        for (size_t i = n; i-- > j + 1;)
            r[i] -= r[i - 1];
}

/* Undoes diff(). */
static void integrate(uint64_t *r, size_t n, unsigned k)
{
    for (unsigned j = k; j-- > 0;)
        for (size_t i = j + 1; i < n; i++)
            r[i] += r[i - 1];
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Bits of order @k's stream for @v; leaves the residuals in @r and the plan
 * of the packed part in @plan. */
static uint64_t order_cost(const uint64_t *v, size_t n, unsigned k, uint64_t *r,
                           struct cb_plan *plan)
{
    size_t heads = min_size(k, n);
    uint64_t bits = 0;
    memcpy(r, v, n * sizeof(*r));
    diff(r, n, k);
    for (size_t j = 0; j < heads; j++)
        bits += cb_lb_cost(cb_zz(r[j]));
    if (n > heads) {
        cb_seq_plan(r + heads, n - heads, plan);
        bits += plan->bits;
    }
    return bits;
}

int cb_words_encode(struct st_buf *out, unsigned kind, const uint64_t *v, size_t n)
{
    if (n > ST_BLOCK_MAX_POINTS)
        return ST_EINVAL;
    uint64_t ra[ST_BLOCK_MAX_POINTS], rb[ST_BLOCK_MAX_POINTS];
    uint64_t *r = ra, *tmp = rb; /* r: residuals of the best order so far */
    struct cb_plan plan, tplan;
    unsigned best = 0;                     /* 0 raw, 1 + k for order k */
    uint64_t best_bytes = (uint64_t)n * 8; /* raw */
    /* Order 1 first: telemetry is mostly smooth, and a near-constant delta
     * (timestamps, counters) cannot be beaten by much, so the other orders
     * are skipped then. */
    static const unsigned orders[3] = {1, 2, 0};
    for (unsigned o = 0; o < 3 && n > 0; o++) {
        unsigned k = orders[o];
        uint64_t bytes = (order_cost(v, n, k, tmp, &tplan) + 7) / 8;
        if (bytes < best_bytes || (best == 0 && bytes == best_bytes) ||
            (bytes == best_bytes && k < best - 1)) {
            best = 1 + k;
            best_bytes = bytes;
            plan = tplan;
            uint64_t *x = r;
            r = tmp;
            tmp = x;
        }
        if (best && best_bytes <= 16)
            break;
    }
    size_t start = out->len;
    int rv = cb_put_head(out, (uint8_t)(kind << 4 | (best ? ST_CODEC_DIFF0 + best - 1 : 0)), n);
    if (rv == ST_OK && best == 0) {
        for (size_t i = 0; rv == ST_OK && i < n; i++) {
            uint8_t x[8];
            for (unsigned b = 0; b < 8; b++)
                x[b] = (uint8_t)(v[i] >> (8 * b));
            rv = st_buf_append(out, x, sizeof(x));
        }
    } else if (rv == ST_OK) {
        unsigned k = best - 1;
        size_t heads = min_size(k, n);
        struct cb_bw w;
        cb_bw_init(&w, out);
        for (size_t j = 0; j < heads; j++)
            cb_put_lb(&w, cb_zz(r[j]));
        if (n > heads)
            cb_seq_write(&w, r + heads, n - heads, &plan);
        rv = cb_bw_finish(&w);
    }
    if (rv != ST_OK) {
        out->len = start; /* UNTESTED: out of memory */
        if (out->cap)
            out->p[start] = '\0';
    }
    return rv;
}

int cb_words_decode(const uint8_t *p, size_t len, unsigned kind, uint64_t *v, size_t cap, size_t *n)
{
    uint8_t tag;
    size_t count, off;
    int rv = cb_col_head(p, len, (int)kind, cap, &tag, &count, &off);
    if (rv != ST_OK)
        return rv;
    unsigned enc = tag & 0xf;
    if (enc == ST_CODEC_RAW) {
        if (len - off != count * 8)
            return ST_ECORRUPT;
        for (size_t i = 0; i < count; i++) {
            uint64_t x = 0;
            for (unsigned b = 8; b-- > 0;)
                x = x << 8 | p[off + 8 * i + b];
            v[i] = x;
        }
        *n = count;
        return ST_OK;
    }
    if (enc < ST_CODEC_DIFF0 || enc > ST_CODEC_DIFF2)
        return ST_ECORRUPT;
    unsigned k = enc - ST_CODEC_DIFF0;
    size_t heads = min_size(k, count);
    struct cb_br b;
    cb_br_init(&b, p + off, len - off);
    for (size_t j = 0; j < heads; j++)
        v[j] = cb_unzz(cb_get_lb(&b));
    if (b.err)
        return ST_ECORRUPT;
    /* Order 1 and 2 read the residuals as running sums from the last head:
     * the values for order 1, the deltas for order 2, which one pass of
     * integrate() then sums. */
    if (count > heads && !(k == 0 ? cb_seq_read(&b, v + heads, count - heads)
                                  : cb_seq_read_sums(&b, v + heads, count - heads, v[heads - 1])))
        return ST_ECORRUPT;
    if (!cb_br_done(&b))
        return ST_ECORRUPT;
    if (k == 2)
        integrate(v, count, 1);
    *n = count;
    return ST_OK;
}

/* int64_t and uint64_t arrays are read and written through each other:
 * corresponding signed and unsigned types may alias (C11 6.5p7), and the
 * exact-width types are two's complement without padding. */
int st_codec_ts_encode(struct st_buf *out, const int64_t *v, size_t n)
{
    return cb_words_encode(out, ST_CODEC_KIND_TIME, (const uint64_t *)v, n);
}

int st_codec_ts_decode(const uint8_t *p, size_t len, int64_t *v, size_t cap, size_t *n)
{
    return cb_words_decode(p, len, ST_CODEC_KIND_TIME, (uint64_t *)v, cap, n);
}
