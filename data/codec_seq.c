/* The residual packer: m 64-bit words (differences of timestamps or integers,
 * or the values themselves) into a bit stream, in whichever of five modes is
 * smallest for this block. The mode is the stream's first 3 bits:
 *
 * CONST  every word is equal: one signed word.
 * BITS   frame of reference: the smallest word, a width w in 0..64, then each
 *        word minus the smallest in w bits. Handles anything, including
 *        INT64_MIN..INT64_MAX jumps (w = 64).
 * RANGE  like BITS when the words span R = max - min + 1 <= 65536 values,
 *        but k words at a time are one base-R number of ceil(log2(R^k)) bits:
 *        uniform deltas in -5..5 (R = 11) cost 3.47 bits instead of 4.
 * HUFF   a canonical Huffman code over a window of at most 64 consecutive
 *        values, the rest escaped: near the entropy for peaked distributions
 *        (a TSBS walk's deltas: ~2.3 bits) and robust to rare outliers
 *        (a missing timestamp costs one escape, not a wider w for all).
 * SPARSE one value almost everywhere: that value, then the exceptions as
 *        (index, value - base) pairs. Below HUFF's 1 bit per word: a regular
 *        series with one missing point, a gauge that rarely moves.
 *
 * The planner computes the exact cost of each mode and keeps the smallest;
 * the reader (codec_seq_read.c) checks every field it reads (widths, ranges,
 * code lengths, the Kraft sum, codes that lead nowhere) and reports
 * malformed input as false.
 * Signed words are written zig-zagged with their bit length in front
 * (cb_put_lb), so small magnitudes stay short. Modes 5..7 are invalid. */
#include <stdlib.h>
#include <string.h>

#include "codec_bits.h"

#define SIGN (UINT64_C(1) << 63)

/* ---- RANGE: groups of k base-R digits ---------------------------------------- */

/* Encoder and decoder both call this for every RANGE block, and a
 * column's blocks mostly share R: the last answer is kept per thread
 * (computing it was ~6 % of a data node's CPU reading the newest point of
 * 1,000 series). */
const uint64_t *cb_range_group(uint64_t R, unsigned *k)
{
    static _Thread_local struct {
        uint64_t R; /* 0: empty */
        unsigned k;
        uint64_t pows[65];
    } last;
    if (last.R != R) {
        unsigned best_k = 1, best_b = cb_bitlen(R - 1);
        last.pows[0] = 1;
        for (unsigned j = 1; j <= 64; j++) {
            if (last.pows[j - 1] > UINT64_MAX / R)
                break;
            last.pows[j] = last.pows[j - 1] * R;
            unsigned b = cb_bitlen(last.pows[j] - 1);
            if ((uint64_t)b * best_k < (uint64_t)best_b * j) {
                best_k = j;
                best_b = b;
            }
        }
        last.k = best_k;
        last.R = R;
    }
    *k = last.k;
    return last.pows;
}

uint64_t cb_range_cost(size_t m, unsigned k, const uint64_t *pows)
{
    uint64_t bits = (uint64_t)(m / k) * cb_bitlen(pows[k] - 1);
    if (m % k)
        bits += cb_bitlen(pows[m % k] - 1);
    return bits;
}

/* ---- HUFF: window, code lengths, canonical codes ---------------------------- */

/* Sorts @m (<= ST_BLOCK_MAX_POINTS) keys: LSD radix sort by bytes, skipping
 * the bytes all keys share. Faster than qsort() here: block values with a
 * wide range (float bit patterns) made the comparison sort ~3 % of a data
 * node's write-path CPU. */
static void radix_sort(uint64_t *keys, size_t m)
{
    uint32_t count[8][256];
    uint64_t tmp[ST_BLOCK_MAX_POINTS];
    if (m < 2)
        return;
    memset(count, 0, sizeof(count));
    for (size_t i = 0; i < m; i++)
        for (unsigned b = 0; b < 8; b++)
            count[b][(keys[i] >> (8 * b)) & 0xff]++;
    uint64_t *src = keys, *dst = tmp;
    for (unsigned b = 0; b < 8; b++) {
        if (count[b][(keys[0] >> (8 * b)) & 0xff] == m)
            continue; /* every key has this byte: the pass changes nothing */
        uint32_t pos[256], at = 0;
        for (unsigned v = 0; v < 256; v++) {
            pos[v] = at;
            at += count[b][v];
        }
        for (size_t i = 0; i < m; i++)
            dst[pos[(src[i] >> (8 * b)) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, m * sizeof(*keys));
}

/* Huffman code lengths for the @k (<= CB_HUFF_MAX_ALPHA + 1) counts @cnt
 * (zero: symbol unused), none longer than CB_HUFF_MAX_LEN: counts are halved
 * until that holds (never needed below ~1600 values; kept for safety). */
static void huff_lengths(const uint32_t *cnt, unsigned k, uint8_t *lens)
{
    enum { MAXN = 2 * (CB_HUFF_MAX_ALPHA + 1) };
    uint64_t w[MAXN];
    unsigned parent[MAXN], depth[MAXN], leaf[CB_HUFF_MAX_ALPHA + 1];
    bool alive[MAXN];
    uint32_t c[CB_HUFF_MAX_ALPHA + 1];
    memcpy(c, cnt, k * sizeof(*c));
    for (;;) {
        unsigned nodes = 0;
        for (unsigned s = 0; s < k; s++) {
            lens[s] = 0;
            if (c[s] == 0)
                continue;
            leaf[s] = nodes;
            w[nodes] = c[s];
            alive[nodes] = true;
            nodes++;
        }
        if (nodes <= 1) {
            for (unsigned s = 0; s < k; s++)
                lens[s] = c[s] ? 1 : 0;
            return;
        }
        unsigned nleaves = nodes;
        for (unsigned left = nodes; left > 1; left--) {
            unsigned a = MAXN, b = MAXN; /* the two lightest alive nodes, a first */
            for (unsigned i = 0; i < nodes; i++) {
                if (!alive[i])
                    continue;
                if (a == MAXN || w[i] < w[a]) {
                    b = a;
                    a = i;
                } else if (b == MAXN || w[i] < w[b]) {
                    b = i;
                }
            }
            alive[a] = alive[b] = false;
            parent[a] = parent[b] = nodes;
            w[nodes] = w[a] + w[b];
            alive[nodes] = true;
            nodes++;
        }
        /* Parents come after their children: walk down from the root. */
        depth[nodes - 1] = 0;
        unsigned maxd = 0;
        for (unsigned i = nodes - 1; i-- > 0;) {
            depth[i] = depth[parent[i]] + 1;
            if (i < nleaves && depth[i] > maxd)
                maxd = depth[i];
        }
        if (maxd <= CB_HUFF_MAX_LEN) {
            for (unsigned s = 0; s < k; s++)
                if (c[s])
                    lens[s] = (uint8_t)depth[leaf[s]];
            return;
        }
        for (unsigned s = 0; s < k; s++) /* UNTESTED: needs > ~1600 values */
            c[s] = c[s] ? (c[s] + 1) / 2 : 0;
    }
}

/* Canonical codes (as in deflate) for @lens, bit-reversed so that writing
 * them least significant bit first sends the code's first bit first. */
static void huff_codes(const uint8_t *lens, unsigned k, uint16_t *rev)
{
    unsigned bl_count[CB_HUFF_MAX_LEN + 1] = {0}, next[CB_HUFF_MAX_LEN + 1];
    for (unsigned s = 0; s < k; s++)
        bl_count[lens[s]]++;
    bl_count[0] = 0;
    unsigned code = 0;
    for (unsigned b = 1; b <= CB_HUFF_MAX_LEN; b++) {
        code = (code + bl_count[b - 1]) << 1;
        next[b] = code;
    }
    for (unsigned s = 0; s < k; s++) {
        unsigned len = lens[s], c = len ? next[len]++ : 0, r = 0;
        for (unsigned i = 0; i < len; i++)
            r |= ((c >> i) & 1) << (len - 1 - i);
        rev[s] = (uint16_t)r;
    }
}

/* The distinct words of a block in signed order with their counts. */
struct hist {
    uint64_t keys[ST_BLOCK_MAX_POINTS]; /* word ^ SIGN: signed order as unsigned */
    uint32_t cnt[ST_BLOCK_MAX_POINTS];
    size_t d; /* distinct words */
};

#define HIST_DENSE 2048 /* value ranges up to this are counted, not sorted */

static void hist_build(struct hist *h, const uint64_t *r, size_t m)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < m; i++) {
        h->keys[i] = r[i] ^ SIGN;
        lo = h->keys[i] < lo ? h->keys[i] : lo;
        hi = h->keys[i] > hi ? h->keys[i] : hi;
    }
    if (m > 0 && hi - lo < HIST_DENSE) {
        /* Small range (the usual case for deltas): a counting pass gives
         * the same sorted distinct keys as the sort below, much faster. */
        uint32_t counts[HIST_DENSE];
        memset(counts, 0, (size_t)(hi - lo + 1) * sizeof(counts[0]));
        for (size_t i = 0; i < m; i++)
            counts[h->keys[i] - lo]++;
        h->d = 0;
        for (uint64_t v = 0; v <= hi - lo; v++) {
            if (counts[v]) {
                h->keys[h->d] = lo + v;
                h->cnt[h->d++] = counts[v];
            }
        }
        return;
    }
    radix_sort(h->keys, m);
    h->d = 0;
    for (size_t i = 0; i < m; i++) {
        if (h->d && h->keys[h->d - 1] == h->keys[i]) {
            h->cnt[h->d - 1]++;
        } else {
            h->keys[h->d] = h->keys[i];
            h->cnt[h->d++] = 1;
        }
    }
}

/* Plans HUFF: the window of at most CB_HUFF_MAX_ALPHA consecutive values
 * covering the most words, the code over it plus an escape. */
static void plan_huff(const struct hist *hi, struct cb_plan *p)
{
    const uint64_t *keys = hi->keys;
    const uint32_t *cnt = hi->cnt;
    size_t d = hi->d, best_i = 0, best_j = 0, cover = 0, best_cover = 0;
    for (size_t i = 0, j = 0; i < d; i++) {
        while (j < d && keys[j] - keys[i] < CB_HUFF_MAX_ALPHA)
            cover += cnt[j++];
        if (cover > best_cover) {
            best_cover = cover;
            best_i = i;
            best_j = j;
        }
        cover -= cnt[i];
    }
    p->mode = CB_SEQ_HUFF;
    p->base = keys[best_i] ^ SIGN;
    p->alpha = (unsigned)(keys[best_j - 1] - keys[best_i] + 1);
    uint32_t sc[CB_HUFF_MAX_ALPHA + 1] = {0};
    uint64_t esc_bits = 0;
    for (size_t i = 0; i < d; i++) {
        if (i >= best_i && i < best_j) {
            sc[keys[i] - keys[best_i]] = cnt[i];
        } else {
            sc[p->alpha] += cnt[i];
            esc_bits += (uint64_t)cnt[i] * cb_lb_cost(cb_zz(keys[i] ^ SIGN));
        }
    }
    huff_lengths(sc, p->alpha + 1, p->lens);
    uint64_t bits = 3 + cb_lb_cost(cb_zz(p->base)) + 6 + 4 * (p->alpha + 1) + esc_bits;
    for (unsigned s = 0; s <= p->alpha; s++)
        bits += (uint64_t)sc[s] * p->lens[s];
    p->bits = bits;
}

/* Plans SPARSE: the most frequent word as the base, every other word an
 * exception of bitlen(m - 1) index bits and its difference to the base. */
static void plan_sparse(const struct hist *hi, size_t m, struct cb_plan *p)
{
    size_t top = 0;
    for (size_t i = 1; i < hi->d; i++)
        if (hi->cnt[i] > hi->cnt[top])
            top = i;
    p->mode = CB_SEQ_SPARSE;
    p->base = hi->keys[top] ^ SIGN;
    uint64_t bits = 3 + cb_lb_cost(cb_zz(p->base)) + cb_lb_cost(m - hi->cnt[top]);
    unsigned ibits = cb_bitlen(m - 1);
    for (size_t i = 0; i < hi->d; i++)
        if (i != top)
            bits +=
                (uint64_t)hi->cnt[i] * (ibits + cb_lb_cost(cb_zz((hi->keys[i] ^ SIGN) - p->base)));
    p->bits = bits;
}

/* ---- Planning and writing ---------------------------------------------------- */

void cb_seq_plan(const uint64_t *r, size_t m, struct cb_plan *plan)
{
    uint64_t min = r[0], max = r[0];
    for (size_t i = 1; i < m; i++) {
        if (cb_lt(r[i], min))
            min = r[i];
        if (cb_lt(max, r[i]))
            max = r[i];
    }
    uint64_t span = max - min;
    memset(plan, 0, sizeof(*plan));
    plan->base = min;
    if (span == 0) {
        plan->mode = CB_SEQ_CONST;
        plan->bits = 3 + cb_lb_cost(cb_zz(min));
        return;
    }
    plan->mode = CB_SEQ_BITS;
    plan->width = cb_bitlen(span);
    plan->bits = 3 + cb_lb_cost(cb_zz(min)) + 7 + (uint64_t)m * plan->width;
    if (span < CB_RANGE_MAX) {
        unsigned k;
        const uint64_t *pows = cb_range_group(span + 1, &k);
        uint64_t bits = 3 + cb_lb_cost(cb_zz(min)) + cb_lb_cost(span) + cb_range_cost(m, k, pows);
        if (bits < plan->bits) {
            plan->mode = CB_SEQ_RANGE;
            plan->range = span + 1;
            plan->bits = bits;
        }
    }
    struct hist hi;
    struct cb_plan alt;
    hist_build(&hi, r, m);
    memset(&alt, 0, sizeof(alt));
    plan_huff(&hi, &alt);
    if (alt.bits < plan->bits)
        *plan = alt;
    memset(&alt, 0, sizeof(alt));
    plan_sparse(&hi, m, &alt);
    if (alt.bits < plan->bits)
        *plan = alt;
}

void cb_seq_write(struct cb_bw *w, const uint64_t *r, size_t m, const struct cb_plan *p)
{
    cb_put(w, p->mode, 3);
    cb_put_lb(w, cb_zz(p->base));
    switch (p->mode) {
    case CB_SEQ_CONST:
        break;
    case CB_SEQ_BITS:
        cb_put(w, p->width, 7);
        for (size_t i = 0; i < m; i++)
            cb_put(w, r[i] - p->base, p->width);
        break;
    case CB_SEQ_RANGE: {
        unsigned k;
        const uint64_t *pows = cb_range_group(p->range, &k);
        cb_put_lb(w, p->range - 1);
        for (size_t i = 0; i < m; i += k) {
            size_t j = m - i < k ? m - i : k;
            uint64_t g = 0;
            for (size_t t = j; t-- > 0;)
                g = g * p->range + (r[i + t] - p->base);
            cb_put(w, g, cb_bitlen(pows[j] - 1));
        }
        break;
    }
    case CB_SEQ_HUFF: {
        uint16_t rev[CB_HUFF_MAX_ALPHA + 1];
        cb_put(w, p->alpha - 1, 6);
        for (unsigned s = 0; s <= p->alpha; s++)
            cb_put(w, p->lens[s], 4);
        huff_codes(p->lens, p->alpha + 1, rev);
        for (size_t i = 0; i < m; i++) {
            /* In the window exactly as the planner decided: base <= r[i]
             * < base + alpha in signed order (r - base alone could wrap). */
            uint64_t s = r[i] - p->base;
            if (!cb_lt(r[i], p->base) && s < p->alpha) {
                cb_put(w, rev[s], p->lens[s]);
            } else {
                cb_put(w, rev[p->alpha], p->lens[p->alpha]);
                cb_put_lb(w, cb_zz(r[i]));
            }
        }
        break;
    }
    case CB_SEQ_SPARSE: {
        size_t nexc = 0;
        for (size_t i = 0; i < m; i++)
            nexc += r[i] != p->base;
        cb_put_lb(w, nexc);
        for (size_t i = 0; i < m; i++) {
            if (r[i] != p->base) {
                cb_put(w, i, cb_bitlen(m - 1));
                cb_put_lb(w, cb_zz(r[i] - p->base));
            }
        }
        break;
    }
    }
}
