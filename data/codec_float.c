/* Float columns: Gorilla XOR compression (Pelkonen et al., "Gorilla: A Fast,
 * Scalable, In-Memory Time Series Database", VLDB 2015, section 4.1.2), with
 * two alternatives the encoder picks when they are smaller:
 *
 * - integral: every value is an integer in [-2^53, 2^53] (not -0.0), as
 *   InfluxDB floats written without a decimal point often are: the values go
 *   through the int64 column codec, where a random walk costs ~3 bits.
 * - raw: the 8-byte bit patterns, for noise Gorilla would expand.
 *
 * Gorilla works on the 64-bit patterns, so NaN payloads, infinities, -0.0
 * and denormals round-trip bit for bit. Its stream (LSB-first bit order, see
 * codec_bits.h): the first value's 64 bits, then per value the XOR x with the
 * previous one as
 *   '0'                             x == 0
 *   '1' '0' <meaningful bits>       x fits the previous window (leading and
 *                                   trailing zero counts at least as large)
 *   '1' '1' <5: leading zeros, at most 31> <6: meaningful bit count, 64 as 0>
 *           <meaningful bits>       a new window.
 * The decoder refuses a window reuse before any window, a window wider than
 * 64 bits, a truncated stream, and anything after the stream's padding. */
#include <math.h>

#include "codec_bits.h"
#include "err.h"

#define INTEGRAL_MAX 9007199254740992.0 /* 2^53: every integer up to it is a double */

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double f64_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

static unsigned ctz64(uint64_t x) /* x != 0 */
{
    return cb_bitlen(x & (0 - x)) - 1;
}

static void gorilla_write(struct cb_bw *w, const double *v, size_t n)
{
    uint64_t prev = f64_bits(v[0]);
    unsigned pl = 0, pt = 0;
    bool have = false; /* a window (pl, pt) was sent */
    cb_put(w, prev, 64);
    for (size_t i = 1; i < n; i++) {
        uint64_t cur = f64_bits(v[i]), x = cur ^ prev;
        prev = cur;
        if (x == 0) {
            cb_put(w, 0, 1);
            continue;
        }
        unsigned lead = 64 - cb_bitlen(x), trail = ctz64(x);
        if (lead > 31)
            lead = 31;
        if (have && lead >= pl && trail >= pt) {
            cb_put(w, 1, 1);
            cb_put(w, 0, 1);
            cb_put(w, x >> pt, 64 - pl - pt);
        } else {
            unsigned sig = 64 - lead - trail;
            cb_put(w, 1, 1);
            cb_put(w, 1, 1);
            cb_put(w, lead, 5);
            cb_put(w, sig & 63, 6);
            cb_put(w, x >> trail, sig);
            pl = lead;
            pt = trail;
            have = true;
        }
    }
}

static bool gorilla_read(struct cb_br *b, double *v, size_t n)
{
    uint64_t prev = cb_get(b, 64);
    unsigned pl = 0, pt = 0;
    bool have = false;
    v[0] = f64_from_bits(prev);
    for (size_t i = 1; i < n && !b->err; i++) {
        if (cb_get(b, 1)) {
            unsigned sig;
            if (cb_get(b, 1) == 0) {
                if (!have)
                    return false;
                sig = 64 - pl - pt;
            } else {
                unsigned lead = (unsigned)cb_get(b, 5);
                sig = (unsigned)cb_get(b, 6);
                if (sig == 0)
                    sig = 64;
                if (lead + sig > 64)
                    return false;
                pl = lead;
                pt = 64 - lead - sig;
                have = true;
            }
            prev ^= cb_get(b, sig) << pt; /* pt <= 63: sig >= 1 */
        }
        v[i] = f64_from_bits(prev);
    }
    return !b->err;
}

/* True when every value survives a trip through int64_t (and -0.0 is not
 * among them: it would come back as +0.0). */
static bool integral(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double d = v[i];
        if (!(d >= -INTEGRAL_MAX && d <= INTEGRAL_MAX) || d != (double)(int64_t)d)
            return false;
        if (d == 0 && signbit(d))
            return false;
    }
    return true;
}

int st_codec_float_encode(struct st_buf *out, const double *v, size_t n)
{
    if (n > ST_BLOCK_MAX_POINTS)
        return ST_EINVAL;
    size_t start = out->len, raw = 1 + (n < 128 ? 1 : 2) + 8 * n;
    int rv = cb_put_head(out, ST_CODEC_FLOAT_GORILLA, n);
    if (rv == ST_OK && n > 0) {
        struct cb_bw w;
        cb_bw_init(&w, out);
        gorilla_write(&w, v, n);
        rv = cb_bw_finish(&w);
    }
    if (rv == ST_OK && n > 0 && integral(v, n)) {
        /* Encode as integers after the Gorilla column; keep the smaller. */
        int64_t iv[ST_BLOCK_MAX_POINTS];
        for (size_t i = 0; i < n; i++)
            iv[i] = (int64_t)v[i];
        size_t mid = out->len;
        rv = st_buf_putc(out, (char)ST_CODEC_FLOAT_INTEGRAL);
        if (rv == ST_OK)
            rv = st_codec_int_encode(out, iv, n);
        if (rv == ST_OK && out->len - mid < mid - start) {
            memmove(out->p + start, out->p + mid, out->len - mid);
            out->len = start + (out->len - mid);
        } else {
            out->len = mid;
        }
    }
    if (rv == ST_OK && out->len - start > raw) {
        out->len = start;
        rv = cb_put_head(out, ST_CODEC_FLOAT_RAW, n);
        for (size_t i = 0; rv == ST_OK && i < n; i++) {
            uint8_t x[8];
            uint64_t u = f64_bits(v[i]);
            for (unsigned b = 0; b < 8; b++)
                x[b] = (uint8_t)(u >> (8 * b));
            rv = st_buf_append(out, x, sizeof(x));
        }
    }
    if (rv != ST_OK) /* UNTESTED: out of memory */
        out->len = start;
    if (out->cap)
        out->p[out->len] = '\0';
    return rv;
}

int st_codec_float_decode(const uint8_t *p, size_t len, double *v, size_t cap, size_t *n)
{
    uint8_t tag;
    size_t count, off;
    if (len > 0 && p[0] == ST_CODEC_FLOAT_INTEGRAL) {
        int64_t iv[ST_BLOCK_MAX_POINTS];
        int rv = st_codec_int_decode(p + 1, len - 1, iv,
                                     cap < ST_BLOCK_MAX_POINTS ? cap : ST_BLOCK_MAX_POINTS, &count);
        if (rv != ST_OK)
            return rv;
        for (size_t i = 0; i < count; i++) {
            if (iv[i] < -(INT64_C(1) << 53) || iv[i] > INT64_C(1) << 53)
                return ST_ECORRUPT;
            v[i] = (double)iv[i];
        }
        *n = count;
        return ST_OK;
    }
    int rv = cb_col_head(p, len, ST_CODEC_KIND_FLOAT, cap, &tag, &count, &off);
    if (rv != ST_OK)
        return rv;
    if (tag == ST_CODEC_FLOAT_RAW) {
        if (len - off != count * 8)
            return ST_ECORRUPT;
        for (size_t i = 0; i < count; i++) {
            uint64_t x = 0;
            for (unsigned b = 8; b-- > 0;)
                x = x << 8 | p[off + 8 * i + b];
            v[i] = f64_from_bits(x);
        }
    } else if (tag == ST_CODEC_FLOAT_GORILLA) {
        struct cb_br b;
        cb_br_init(&b, p + off, len - off);
        if (count > 0 && !gorilla_read(&b, v, count))
            return ST_ECORRUPT;
        if (!cb_br_done(&b))
            return ST_ECORRUPT;
    } else {
        return ST_ECORRUPT;
    }
    *n = count;
    return ST_OK;
}
