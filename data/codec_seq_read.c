/* Reading the residual packer's streams (codec_seq.c has the format):
 * cb_seq_read and cb_seq_read_sums, the second adding each word to the
 * previous value as it goes, which undoes one order of differences without
 * a second pass over the column.
 *
 * CONST, BITS, RANGE and SPARSE are short loops over cb_get. HUFF, the
 * mode of TSBS-like deltas and so the one queries spend their time in, has
 * a table indexed by the next 8 bits of input whose entries hold up to
 * three codes, a main loop that refills a word at a time and takes those
 * codes at once, a tail loop for the last bytes, and a slow step for what
 * the table does not cover (codes longer than 8 bits, the escape, the last
 * two words), which walks a code bit by bit as zlib's puff does. Tables
 * are cached per thread, keyed by the code lengths.
 *
 * Every field is checked as it is read: a width over 64, a RANGE span out
 * of range or a group too large, SPARSE indices out of order, an empty or
 * oversubscribed code, a code that leads nowhere, input that ends early,
 * modes 5..7. Each makes the read return false; nothing is read outside
 * the input. The HUFF reader accepts exactly what a bit-by-bit reader
 * accepts and stops at the same bit (tests/data/test_codec_seq.c compares
 * them). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codec_bits.h"

/* The HUFF decoding table has 2^HUFF_BITS entries. */
#define HUFF_BITS 8
#define HUFF_MASK ((UINT64_C(1) << HUFF_BITS) - 1)

/* Decoders cached per thread (see huff_get). */
#define HUFF_CACHE 64

/* A table entry describes the codes at the start of its index, read least
 * significant bit first:
 *
 *   bits 0..3    with n > 0 the total length of the first n codes; with
 *                n = 0 the length of the escape's code if the index starts
 *                with it, else 0 (a code longer than the index, or none)
 *   bits 4..5    zero, so that a shift by the entry is a shift by bits 0..3
 *   bits 6..23   the n symbols, 6 bits each, the first lowest
 *   bits 24..25  n, 0..3: the codes the fast loop takes at once, all of
 *                window symbols (< alpha <= 64) and all within the index */
#define E_TOTAL(e) (63u & (e))
#define E_SYM(e, j) (((e) >> (6 + 6 * (j))) & 63)
#define E_N(e) ((e) >> 24)
_Static_assert(HUFF_BITS <= 15 && CB_HUFF_MAX_ALPHA <= 64,
               "an entry holds lengths in 4 bits and window symbols in 6");

/* A canonical code as the decoder walks it: the method of zlib's puff.c
 * (count and symbol, one bit at a time) for the long codes, and a table
 * that yields up to three short codes per lookup. */
struct huff_dec {
    uint16_t count[CB_HUFF_MAX_LEN + 1];    /* codes of each length */
    uint16_t symbol[CB_HUFF_MAX_ALPHA + 1]; /* symbols by (length, value) */
    uint8_t lens[CB_HUFF_MAX_ALPHA + 1];    /* code length by symbol */
    unsigned alpha;                         /* window symbols; alpha is the escape */
    uint32_t table[1u << HUFF_BITS];
};

/* @code's low @len bits in the opposite order. */
static unsigned bit_reverse(unsigned code, unsigned len)
{
    unsigned r = 0;
    for (unsigned i = 0; i < len; i++, code >>= 1)
        r = r << 1 | (code & 1);
    return r;
}

/* Sets h->table[f] = @e for every index f whose low @len bits are @low. */
static void table_fill(struct huff_dec *h, unsigned low, unsigned len, uint32_t e)
{
    for (unsigned f = low; f < (1u << HUFF_BITS); f += 1u << len)
        h->table[f] = e;
}

/* Fills h->table from count and symbol (built by huff_build): first each
 * code alone, then the pairs of window symbols that fit in the index, then
 * the triples; each level overwrites the indices it covers. */
static void huff_build_table(struct huff_dec *h)
{
    struct {
        unsigned rev; /* the code in reading order */
        unsigned len;
        unsigned sym;
    } c[CB_HUFF_MAX_ALPHA + 1];
    unsigned nc = 0, first = 0, index = 0; /* first code of this length, its symbol's index */
    memset(h->table, 0, sizeof(h->table));
    for (unsigned len = 1; len <= HUFF_BITS; len++) {
        for (unsigned k = 0; k < h->count[len]; k++) {
            unsigned sym = h->symbol[index + k], rev = bit_reverse(first + k, len);
            if (sym < h->alpha) {
                table_fill(h, rev, len, 1u << 24 | sym << 6 | len);
                c[nc].rev = rev;
                c[nc].len = len;
                c[nc].sym = sym;
                nc++;
            } else {
                table_fill(h, rev, len, len);
            }
        }
        index += h->count[len];
        first = (first + h->count[len]) << 1;
    }
    /* The window's codes come by length: the inner loops stop at the first
     * that is too long. */
    for (unsigned a = 0; a < nc; a++) {
        for (unsigned b = 0; b < nc && c[a].len + c[b].len <= HUFF_BITS; b++) {
            unsigned l2 = c[a].len + c[b].len, low2 = c[a].rev | c[b].rev << c[a].len;
            uint32_t e2 = c[b].sym << 12 | c[a].sym << 6;
            table_fill(h, low2, l2, 2u << 24 | e2 | l2);
            for (unsigned t = 0; t < nc && l2 + c[t].len <= HUFF_BITS; t++) {
                unsigned l3 = l2 + c[t].len;
                table_fill(h, low2 | c[t].rev << l2, l3, 3u << 24 | c[t].sym << 18 | e2 | l3);
            }
        }
    }
}

/* Builds the decoder for @lens of symbols 0..@alpha (alpha is the escape);
 * false when no symbol has a code or the lengths oversubscribe the code
 * space (Kraft sum > 1). Incomplete codes are fine: reading an unassigned
 * code fails then. */
static bool huff_build(struct huff_dec *h, const uint8_t *lens, unsigned alpha)
{
    unsigned k = alpha + 1;
    memset(h->count, 0, sizeof(h->count));
    for (unsigned s = 0; s < k; s++)
        h->count[lens[s]]++;
    if (h->count[0] == k)
        return false;
    int left = 1;
    for (unsigned len = 1; len <= CB_HUFF_MAX_LEN; len++) {
        left = 2 * left - h->count[len];
        if (left < 0)
            return false;
    }
    uint16_t offs[CB_HUFF_MAX_LEN + 1];
    offs[1] = 0;
    for (unsigned len = 1; len < CB_HUFF_MAX_LEN; len++)
        offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
    for (unsigned s = 0; s < k; s++)
        if (lens[s])
            h->symbol[offs[lens[s]]++] = (uint16_t)s;
    memcpy(h->lens, lens, k);
    h->alpha = alpha;
    huff_build_table(h);
    return true;
}

/* This thread's cache of HUFF_CACHE decoders (alpha 0: an empty slot),
 * allocated on its first HUFF block and freed when the thread exits; NULL
 * when out of memory. Not static thread-local storage: that is zeroed for
 * every thread the process starts, decoding or not. */
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static bool cache_key_ok;

static void cache_key_make(void)
{
    cache_key_ok = pthread_key_create(&cache_key, free) == 0;
}

static struct huff_dec *huff_cache(void)
{
    static _Thread_local struct huff_dec *cache;
    if (cache == NULL) {
        pthread_once(&cache_once, cache_key_make);
        if (!cache_key_ok) /* UNTESTED: out of keys */
            return NULL;
        struct huff_dec *c = calloc(HUFF_CACHE, sizeof(*c));
        if (c == NULL || pthread_setspecific(cache_key, c) != 0) {
            free(c); /* UNTESTED: out of memory */
            return NULL;
        }
        cache = c;
    }
    return cache;
}

/* The decoder for @lens of symbols 0..@alpha, from this thread's cache or
 * built into it, or into @spare (caller-owned) when there is no cache;
 * NULL when huff_build refuses the lengths. Valid until the next call on
 * this thread.
 *
 * Blocks of a column mostly share their code lengths (89 distinct sets
 * among the 9,000 blocks of 100 TSBS hosts), and a query's blocks are often
 * small (100 to 200 values where a cache flush cut a series): building the
 * table for each block cost more than decoding with it. Direct mapped by a
 * hash of the lengths: 72 % of the blocks of query_bench's TSBS queries
 * find their table (82 % with 128 slots, at twice the memory). */
static const struct huff_dec *huff_get(const uint8_t *lens, unsigned alpha, struct huff_dec *spare)
{
    struct huff_dec *cache = huff_cache(), *h = spare;
    if (cache != NULL) {
        uint32_t hash = alpha;
        for (unsigned s = 0; s <= alpha; s++)
            hash = (hash ^ lens[s]) * UINT32_C(0x9E3779B1);
        h = &cache[(hash >> 16) % HUFF_CACHE];
        if (h->alpha == alpha && memcmp(h->lens, lens, alpha + 1) == 0)
            return h;
    }
    if (!huff_build(h, lens, alpha)) {
        h->alpha = 0;
        return NULL;
    }
    return h;
}

/* The next symbol, one bit at a time, or -1 for an unassigned code or the
 * end of input. */
static int huff_decode_slow(struct cb_br *b, const struct huff_dec *h)
{
    int code = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= CB_HUFF_MAX_LEN; len++) {
        code |= (int)cb_get(b, 1);
        int count = h->count[len];
        if (code - first < count)
            return b->err ? -1 : h->symbol[index + (code - first)];
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

/* Reads one word the slow way into *@x: loads whole bytes into the
 * reader's accumulator (as cb_get would), looks the first code up or walks
 * it bit by bit, and reads an escaped value. False on malformed input. */
static bool huff_step(struct cb_br *b, const struct huff_dec *h, uint64_t base, uint64_t *x)
{
    while (b->nacc < HUFF_BITS && b->pos < b->len) {
        b->acc |= (uint64_t)b->p[b->pos++] << b->nacc;
        b->nacc += 8;
    }
    uint32_t e = h->table[b->acc & HUFF_MASK];
    int s;
    if (E_N(e) == 0 && E_TOTAL(e) == 0) {
        s = huff_decode_slow(b, h);
    } else {
        s = E_N(e) ? (int)E_SYM(e, 0) : (int)h->alpha;
        if (h->lens[s] > b->nacc) {
            s = huff_decode_slow(b, h); /* past the end of input: it fails */
        } else {
            b->acc >>= h->lens[s];
            b->nacc -= h->lens[s];
        }
    }
    if (s < 0)
        return false;
    *x = (unsigned)s < h->alpha ? base + (unsigned)s : cb_unzz(cb_get_lb(b));
    return !b->err;
}

/* 8 bytes at @p as a little-endian word. */
static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Writes the symbols of entry @e (n > 0) at @q as words, or with @sum as
 * running sums from *@run, and returns n. Three words are written, n kept:
 * the next entry overwrites the rest, so @q needs room for three. */
static inline __attribute__((always_inline)) unsigned emit(uint64_t *q, uint32_t e, uint64_t base,
                                                           bool sum, uint64_t *run)
{
    uint64_t d0 = base + E_SYM(e, 0), d1 = base + E_SYM(e, 1), d2 = base + E_SYM(e, 2);
    unsigned n = E_N(e);
    if (sum) {
        uint64_t a0 = *run + d0, a1 = a0 + d1, a2 = a1 + d2;
        q[0] = a0;
        q[1] = a1;
        q[2] = a2;
        /* a0, a1 or a2 without a branch on n: it is not predictable */
        *run = a0 + (d1 & (0 - (uint64_t)(n >> 1))) + (d2 & (0 - (uint64_t)(n >> 1 & n)));
    } else {
        q[0] = d0;
        q[1] = d1;
        q[2] = d2;
    }
    return n;
}

/* One huff_step with huff_read's local state handed to @b and back (acc
 * masked to b's invariant, acc < 2^nacc). */
static inline __attribute__((always_inline)) bool slow_step(struct cb_br *b,
                                                            const struct huff_dec *h, uint64_t base,
                                                            size_t *pos, uint64_t *acc,
                                                            unsigned *nacc, uint64_t *x)
{
    b->pos = *pos;
    b->acc = *acc & ((UINT64_C(1) << *nacc) - 1);
    b->nacc = *nacc;
    if (!huff_step(b, h, base, x))
        return false;
    *pos = b->pos;
    *acc = b->acc;
    *nacc = b->nacc;
    return true;
}

/* Reads @m HUFF words into @r, or with @sum their running sums from
 * @run (see cb_seq_read_sums). Inlined into huff_read_words and
 * huff_read_sums so that @sum is a constant in each.
 *
 * The main loop runs while 8 bytes of input and 3 words of output remain.
 * It refills the accumulator a word at a time, so that it holds at least
 * 56 bits: every table entry's codes fit, and the next lookup can index
 * with what is left after a step (>= 48 bits) while the refill of that step
 * completes, which takes the refill off the chain of dependent operations
 * (lookup, shift, lookup) that bounds the loop's speed. The bytes that fit
 * whole are counted (nacc ends in 56..63); the bits of the next byte that
 * spill above nacc are the stream's own bits at their own place, so loading
 * them again later ORs in the same bits. Above nacc the accumulator may
 * thus hold bits not counted yet: they are masked off before the state goes
 * back to @b, whose invariant is acc < 2^nacc.
 *
 * The tail loop does the same with bytes and checks that an entry's codes
 * are within the input; the last two words, escapes and codes longer than
 * the table take one word per step through @b (huff_step). The reader's
 * state lives in locals otherwise (the compiler keeps them in registers;
 * through @b every step was a load and a store). */
static inline __attribute__((always_inline)) bool huff_read(struct cb_br *b,
                                                            const struct huff_dec *h, uint64_t base,
                                                            uint64_t *r, size_t m, bool sum,
                                                            uint64_t run)
{
    const uint8_t *p = b->p;
    const uint32_t *table = h->table;
    size_t len = b->len, pos = b->pos, lim = len > 7 ? len - 7 : 0;
    uint64_t acc = b->acc, x;
    unsigned nacc = b->nacc;
    uint64_t *q = r, *qend = r + m, *q3 = m > 2 ? qend - 2 : r;
    while (q < q3 && pos < lim) {
        acc |= load_le64(p + pos) << nacc;
        pos += (63 - nacc) >> 3;
        nacc |= 56;
        uint32_t e = table[acc & HUFF_MASK];
        while (E_N(e) != 0) {
            q += emit(q, e, base, sum, &run);
            acc >>= E_TOTAL(e);
            nacc -= E_TOTAL(e);
            if (q >= q3 || pos >= lim)
                break;
            e = table[acc & HUFF_MASK];
            acc |= load_le64(p + pos) << nacc;
            pos += (63 - nacc) >> 3;
            nacc |= 56;
        }
        if (E_N(e) == 0) {
            if (!slow_step(b, h, base, &pos, &acc, &nacc, &x))
                return false;
            *q++ = sum ? (run += x) : x;
        }
    }
    while (q < qend) {
        while (nacc < 56 && pos < len) {
            acc |= (uint64_t)p[pos++] << nacc;
            nacc += 8;
        }
        uint32_t e = table[acc & HUFF_MASK];
        if (q < q3 && E_N(e) != 0 && E_TOTAL(e) <= nacc) {
            q += emit(q, e, base, sum, &run);
            acc >>= E_TOTAL(e);
            nacc -= E_TOTAL(e);
            continue;
        }
        if (!slow_step(b, h, base, &pos, &acc, &nacc, &x))
            return false;
        *q++ = sum ? (run += x) : x;
    }
    /* Whole bytes loaded ahead go back to the input: the reader ends where
     * a bit-by-bit one would, and cb_br_done refuses bytes after the data. */
    pos -= nacc / 8;
    nacc %= 8;
    b->pos = pos;
    b->acc = acc & ((UINT64_C(1) << nacc) - 1);
    b->nacc = nacc;
    return true;
}

static bool huff_read_words(struct cb_br *b, const struct huff_dec *h, uint64_t base, uint64_t *r,
                            size_t m)
{
    return huff_read(b, h, base, r, m, false, 0);
}

static bool huff_read_sums(struct cb_br *b, const struct huff_dec *h, uint64_t base, uint64_t *r,
                           size_t m, uint64_t run)
{
    return huff_read(b, h, base, r, m, true, run);
}

/* The body of cb_seq_read (@sum false) and cb_seq_read_sums (@sum true,
 * from @run). */
static bool seq_read(struct cb_br *b, uint64_t *r, size_t m, bool sum, uint64_t run)
{
    unsigned mode = (unsigned)cb_get(b, 3);
    uint64_t base = cb_unzz(cb_get_lb(b));
    if (b->err)
        return false;
    switch (mode) {
    case CB_SEQ_CONST:
        if (sum) {
            /* Two chains: one add per word was the loop's bound. */
            uint64_t a = run + base, c = run + 2 * base, step = 2 * base;
            size_t i = 0;
            for (; i + 1 < m; i += 2, a += step, c += step) {
                r[i] = a;
                r[i + 1] = c;
            }
            if (i < m)
                r[i] = a;
        } else {
            for (size_t i = 0; i < m; i++)
                r[i] = base;
        }
        return true;
    case CB_SEQ_BITS: {
        unsigned w = (unsigned)cb_get(b, 7);
        if (b->err || w > 64 || (uint64_t)m * w > cb_br_left(b))
            return false;
        for (size_t i = 0; i < m; i++) {
            uint64_t x = base + cb_get(b, w);
            r[i] = sum ? (run += x) : x;
        }
        return !b->err;
    }
    case CB_SEQ_RANGE: {
        uint64_t span = cb_get_lb(b);
        if (b->err || span == 0 || span >= CB_RANGE_MAX)
            return false;
        uint64_t R = span + 1;
        unsigned k;
        const uint64_t *pows = cb_range_group(R, &k);
        if (cb_range_cost(m, k, pows) > cb_br_left(b))
            return false;
        for (size_t i = 0; i < m; i += k) {
            size_t j = m - i < k ? m - i : k;
            uint64_t g = cb_get(b, cb_bitlen(pows[j] - 1));
            if (g >= pows[j])
                return false;
            for (size_t t = 0; t < j; t++) {
                uint64_t x = base + g % R;
                r[i + t] = sum ? (run += x) : x;
                g /= R;
            }
        }
        return !b->err;
    }
    case CB_SEQ_SPARSE: {
        uint64_t nexc = cb_get_lb(b);
        unsigned ibits = cb_bitlen(m - 1);
        size_t next = 0; /* words before this index are filled */
        if (b->err || nexc > m)
            return false;
        for (uint64_t e = 0; e < nexc; e++) {
            uint64_t i = cb_get(b, ibits);
            if (b->err || i < next || i >= m)
                return false;
            while (next < i)
                r[next++] = sum ? (run += base) : base;
            uint64_t x = base + cb_unzz(cb_get_lb(b));
            r[next++] = sum ? (run += x) : x;
        }
        while (next < m)
            r[next++] = sum ? (run += base) : base;
        return !b->err;
    }
    case CB_SEQ_HUFF: {
        uint8_t lens[CB_HUFF_MAX_ALPHA + 1];
        unsigned alpha = (unsigned)cb_get(b, 6) + 1;
        for (unsigned s = 0; s <= alpha; s++)
            lens[s] = (uint8_t)cb_get(b, 4);
        const struct huff_dec *h;
        struct huff_dec spare;
        if (b->err || (h = huff_get(lens, alpha, &spare)) == NULL)
            return false;
        return sum ? huff_read_sums(b, h, base, r, m, run) : huff_read_words(b, h, base, r, m);
    }
    }
    return false; /* modes 5..7 */
}

bool cb_seq_read(struct cb_br *b, uint64_t *r, size_t m)
{
    return seq_read(b, r, m, false, 0);
}

bool cb_seq_read_sums(struct cb_br *b, uint64_t *r, size_t m, uint64_t start)
{
    return seq_read(b, r, m, true, start);
}
