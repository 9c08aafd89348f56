/* Unit tests of the residual packer shared by data/codec's integer-like
 * columns (codec_seq.c, codec_seq_read.c, private API in codec_bits.h):
 * each mode is chosen where it should be, its cost estimate is exact,
 * malformed fields are refused, the HUFF reader agrees with a bit-by-bit
 * reference on any stream, and the running sums are those of the words. */
#include <stdlib.h>
#include <string.h>

#include "codec_bits.h"
#include "err.h"
#include "testlib.h"

#define MAXP ST_BLOCK_MAX_POINTS

struct fixture {
    struct st_buf out; /* the bit stream under test */
    uint64_t rng;      /* xorshift64 state, fixed seed */
};
static struct fixture f;

static void setup(void)
{
    st_buf_init(&f.out);
    f.rng = 0x2545F4914F6CDD1Dull;
}

static void teardown(void)
{
    st_buf_fini(&f.out);
}

static uint64_t rnd(void)
{
    f.rng ^= f.rng << 13;
    f.rng ^= f.rng >> 7;
    f.rng ^= f.rng << 17;
    return f.rng;
}

static const uint8_t *OUT(void)
{
    return (const uint8_t *)f.out.p;
}

/* Plans @r[0..m), writes it, checks the size against the plan's cost and
 * reads it back; returns the mode chosen. */
static unsigned PLAN(const uint64_t *r, size_t m)
{
    struct cb_plan p;
    cb_seq_plan(r, m, &p);
    /* The plan's cost is exact: write and compare. */
    st_buf_reset(&f.out);
    struct cb_bw w;
    cb_bw_init(&w, &f.out);
    cb_seq_write(&w, r, m, &p);
    ck_assert_int_eq(cb_bw_finish(&w), ST_OK);
    ck_assert_uint_eq(f.out.len, (p.bits + 7) / 8);
    uint64_t got[MAXP];
    struct cb_br b;
    cb_br_init(&b, OUT(), f.out.len);
    ck_assert(cb_seq_read(&b, got, m));
    ck_assert(cb_br_done(&b));
    ck_assert_int_eq(memcmp(got, r, m * sizeof(*r)), 0);
    return p.mode;
}

START_TEST(test_codec_seq_chooses_each_mode)
{
    uint64_t r[MAXP];
    for (size_t i = 0; i < MAXP; i++)
        r[i] = (uint64_t)-7;
    ck_assert_uint_eq(PLAN(r, MAXP), CB_SEQ_CONST);
    for (size_t i = 0; i < MAXP; i++)
        r[i] = rnd() >> 24; /* 40 bits of noise */
    ck_assert_uint_eq(PLAN(r, MAXP), CB_SEQ_BITS);
    for (size_t i = 0; i < MAXP; i++)
        r[i] = (uint64_t)((int64_t)(rnd() % 11) - 5);
    ck_assert_uint_eq(PLAN(r, MAXP), CB_SEQ_RANGE);
    for (size_t i = 0; i < MAXP; i++) /* peaked, with rare huge outliers */
        r[i] = rnd() % 4 ? 0 : rnd() % 50 ? 1 : rnd();
    ck_assert_uint_eq(PLAN(r, MAXP), CB_SEQ_HUFF);
    /* Codes from 1 bit to past the decoder's 10-bit lookup table, so both
     * its table and its bit-by-bit walk are used. */
    /* Fibonacci counts (1, 1, 2, 3, 5, ...) make the deepest Huffman tree. */
    size_t fill = 0;
    uint64_t v = 0;
    for (uint64_t a = 1, b = 1; fill + a <= MAXP; v++, b = a + b, a = b - a)
        for (uint64_t j = 0; j < a; j++)
            r[fill++] = v;
    while (fill < MAXP)
        r[fill++] = v - 1;                  /* the most frequent */
    for (size_t i = MAXP - 1; i > 0; i--) { /* shuffled */
        size_t j = rnd() % (i + 1);
        uint64_t t = r[i];
        r[i] = r[j];
        r[j] = t;
    }
    struct cb_plan gp;
    cb_seq_plan(r, MAXP, &gp);
    unsigned longest = 0;
    for (unsigned s = 0; s <= gp.alpha; s++)
        longest = gp.lens[s] > longest ? gp.lens[s] : longest;
    ck_assert_uint_gt(longest, 10);
    ck_assert_uint_eq(PLAN(r, MAXP), CB_SEQ_HUFF);
    for (size_t m = 1; m <= 40; m++) /* short streams: the table peeks past the end */
        PLAN(r, m);
    for (size_t i = 0; i < MAXP; i++) /* one usual value, rare exceptions */
        r[i] = i % 300 == 7 ? rnd() : 5;
    ck_assert_uint_eq(PLAN(r, MAXP), CB_SEQ_SPARSE);
    /* A window next to INT64_MAX with values near INT64_MIN: r - base
     * wraps into the window's numbers but the value must be escaped. */
    for (size_t i = 0; i < MAXP; i++)
        r[i] = i % 50 ? (uint64_t)INT64_MAX - rnd() % 40 : (uint64_t)INT64_MIN + rnd() % 20;
    PLAN(r, MAXP);
    for (size_t m = 1; m <= 70; m++) { /* every RANGE group tail */
        for (size_t i = 0; i < m; i++)
            r[i] = rnd() % 3;
        PLAN(r, m);
    }
}
END_TEST

START_TEST(test_codec_seq_rejects_bad_fields)
{
    uint64_t got[4];
    struct cb_br b;
    uint8_t buf[32];
    struct cb_bw w;
    /* BITS with width 65. */
    st_buf_reset(&f.out);
    cb_bw_init(&w, &f.out);
    cb_put(&w, CB_SEQ_BITS, 3);
    cb_put_lb(&w, 0);
    cb_put(&w, 65, 7);
    cb_put(&w, 0, 64);
    cb_put(&w, 0, 64);
    cb_bw_finish(&w);
    cb_br_init(&b, OUT(), f.out.len);
    ck_assert(!cb_seq_read(&b, got, 1));
    /* A length prefix over 64. */
    memset(buf, 0xff, sizeof(buf));
    cb_br_init(&b, buf, sizeof(buf));
    ck_assert(!cb_seq_read(&b, got, 1));
    /* RANGE with a span of 0 and of 65536. */
    for (uint64_t span = 0; span <= 65536; span += 65536) {
        st_buf_reset(&f.out);
        cb_bw_init(&w, &f.out);
        cb_put(&w, CB_SEQ_RANGE, 3);
        cb_put_lb(&w, 0);
        cb_put_lb(&w, span);
        cb_put(&w, 0, 64);
        cb_bw_finish(&w);
        cb_br_init(&b, OUT(), f.out.len);
        ck_assert(!cb_seq_read(&b, got, 1));
    }
    /* Modes 5..7 do not exist. */
    for (unsigned mode = 5; mode < 8; mode++) {
        st_buf_reset(&f.out);
        cb_bw_init(&w, &f.out);
        cb_put(&w, mode, 3);
        cb_put_lb(&w, 0);
        cb_put(&w, 0, 64);
        cb_bw_finish(&w);
        cb_br_init(&b, OUT(), f.out.len);
        ck_assert(!cb_seq_read(&b, got, 1));
    }
    /* SPARSE: more exceptions than words, indices not increasing. */
    const uint64_t sp[2][3] = {{5, 0, 1}, {2, 1, 1}}; /* nexc, first index, second index */
    for (int t = 0; t < 2; t++) {
        st_buf_reset(&f.out);
        cb_bw_init(&w, &f.out);
        cb_put(&w, CB_SEQ_SPARSE, 3);
        cb_put_lb(&w, 0);
        cb_put_lb(&w, sp[t][0]);
        cb_put(&w, sp[t][1], 2);
        cb_put_lb(&w, 1);
        cb_put(&w, sp[t][2], 2);
        cb_put_lb(&w, 1);
        cb_bw_finish(&w);
        cb_br_init(&b, OUT(), f.out.len);
        ck_assert(!cb_seq_read(&b, got, 4));
    }
    /* HUFF: oversubscribed (three codes of length 1), none, incomplete. */
    const uint8_t lens[3][3] = {{1, 1, 1}, {0, 0, 0}, {2, 0, 0}};
    for (int t = 0; t < 3; t++) {
        st_buf_reset(&f.out);
        cb_bw_init(&w, &f.out);
        cb_put(&w, CB_SEQ_HUFF, 3);
        cb_put_lb(&w, 0);
        cb_put(&w, 1, 6); /* alphabet 2 + escape */
        for (int s = 0; s < 3; s++)
            cb_put(&w, lens[t][s], 4);
        cb_put(&w, 0xff, 8); /* code 11...: unassigned in the incomplete code */
        cb_bw_finish(&w);
        cb_br_init(&b, OUT(), f.out.len);
        ck_assert(!cb_seq_read(&b, got, 1));
    }
}
END_TEST

/* ---- HUFF against a reference reader ------------------------------------------
 *
 * The reader decodes HUFF with a table of up to three codes per lookup,
 * word-at-a-time refills, a tail loop, a slow path and a per-thread cache
 * of tables. The reference below is the plainest reading of the format
 * (docs/storage-codecs.md): puff's bit-by-bit walk over canonical codes.
 * On any stream, valid or damaged, both must agree on success, on every
 * word, and on where the stream ends. */

/* Reads a HUFF stream of @m words into @r; *@done: cb_br_done after it. */
static bool ref_huff(const uint8_t *p, size_t len, uint64_t *r, size_t m, bool *done)
{
    struct cb_br b;
    cb_br_init(&b, p, len);
    *done = false;
    if (cb_get(&b, 3) != CB_SEQ_HUFF)
        return false;
    uint64_t base = cb_unzz(cb_get_lb(&b));
    unsigned alpha = (unsigned)cb_get(&b, 6) + 1;
    uint8_t lens[CB_HUFF_MAX_ALPHA + 1];
    unsigned count[CB_HUFF_MAX_LEN + 1] = {0}, symbol[CB_HUFF_MAX_ALPHA + 1],
                                     offs[CB_HUFF_MAX_LEN + 2];
    for (unsigned s = 0; s <= alpha; s++)
        count[lens[s] = (uint8_t)cb_get(&b, 4)]++;
    if (b.err || count[0] == alpha + 1)
        return false;
    int left = 1;
    for (unsigned l = 1; l <= CB_HUFF_MAX_LEN; l++)
        if ((left = 2 * left - (int)count[l]) < 0)
            return false;
    offs[1] = 0;
    for (unsigned l = 1; l <= CB_HUFF_MAX_LEN; l++)
        offs[l + 1] = offs[l] + count[l];
    for (unsigned s = 0; s <= alpha; s++)
        if (lens[s])
            symbol[offs[lens[s]]++] = s;
    for (size_t i = 0; i < m; i++) {
        unsigned code = 0, first = 0, index = 0, l;
        for (l = 1; l <= CB_HUFF_MAX_LEN; l++) {
            code |= (unsigned)cb_get(&b, 1);
            if (b.err)
                return false;
            if (code - first < count[l])
                break;
            index += count[l];
            first = (first + count[l]) << 1;
            code <<= 1;
        }
        if (l > CB_HUFF_MAX_LEN)
            return false;
        unsigned s = symbol[index + (code - first)];
        r[i] = s < alpha ? base + s : cb_unzz(cb_get_lb(&b));
        if (b.err)
            return false;
    }
    *done = cb_br_done(&b);
    return true;
}

/* Decodes @p with cb_seq_read and cb_seq_read_sums and with ref_huff, and
 * checks that they agree. */
static void AGREE(const uint8_t *p, size_t len, size_t m)
{
    uint64_t want[MAXP], got[MAXP], sums[MAXP];
    bool done, ok = ref_huff(p, len, want, m, &done);
    /* Exactly sized heap copies: ASan sees a read past the end. */
    uint8_t *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, p, len);
    struct cb_br b;
    cb_br_init(&b, copy, len);
    if (len == 0 || (copy[0] & 7) != CB_SEQ_HUFF) { /* damage changed the mode */
        (void)cb_seq_read(&b, got, m);
        free(copy);
        return;
    }
    ck_assert_int_eq(cb_seq_read(&b, got, m), ok);
    if (ok) {
        ck_assert_int_eq(memcmp(got, want, m * sizeof(*got)), 0);
        ck_assert_int_eq(cb_br_done(&b), done);
    }
    uint64_t start = rnd();
    cb_br_init(&b, copy, len);
    ck_assert_int_eq(cb_seq_read_sums(&b, sums, m, start), ok);
    if (ok) {
        size_t i = 0;
        while (i < m && sums[i] == (start += want[i])) /* one check: Check logs each */
            i++;
        ck_assert_uint_eq(i, m);
        ck_assert_int_eq(cb_br_done(&b), done);
    }
    free(copy);
}

/* Random code lengths for symbols 0..@alpha: each symbol, in random order,
 * gets a length from 1..@maxlen (short ones likelier) while the Kraft sum
 * stays <= 1, or 0; the escape is used with probability 1/2. The code may
 * be incomplete. Returns the number of symbols with a code. */
static unsigned random_lens(unsigned alpha, unsigned maxlen, uint8_t *lens)
{
    unsigned order[CB_HUFF_MAX_ALPHA + 1], used = 0;
    uint64_t room = UINT64_C(1) << CB_HUFF_MAX_LEN; /* 2^15 * (1 - Kraft sum) */
    for (unsigned s = 0; s <= alpha; s++)
        order[s] = s;
    for (unsigned s = alpha; s > 0; s--) {
        unsigned j = (unsigned)(rnd() % (s + 1)), t = order[s];
        order[s] = order[j];
        order[j] = t;
    }
    memset(lens, 0, alpha + 1);
    for (unsigned k = 0; k <= alpha; k++) {
        unsigned s = order[k];
        if (s == alpha && rnd() % 2)
            continue;
        unsigned l = 1 + (unsigned)(rnd() % maxlen);
        if (rnd() % 2)
            l = 1 + (l - 1) / 2;
        while (l <= CB_HUFF_MAX_LEN && (UINT64_C(1) << (CB_HUFF_MAX_LEN - l)) > room)
            l++;
        if (l > CB_HUFF_MAX_LEN)
            break;
        lens[s] = (uint8_t)l;
        room -= UINT64_C(1) << (CB_HUFF_MAX_LEN - l);
        used++;
    }
    return used;
}

/* Writes a HUFF stream of @m words drawn from the symbols @lens codes (the
 * escape as a random 64-bit word) with cb_seq_write, into f.out. */
static void write_huff(const uint8_t *lens, unsigned alpha, uint64_t base, uint64_t *r, size_t m)
{
    unsigned coded[CB_HUFF_MAX_ALPHA + 1], n = 0;
    for (unsigned s = 0; s <= alpha; s++)
        if (lens[s])
            coded[n++] = s;
    for (size_t i = 0; i < m; i++) {
        unsigned s = coded[rnd() % n];
        uint64_t v = base + s;
        if (s == alpha) /* an escaped word outside the window */
            do
                v = rnd() >> (rnd() % 64);
            while (!cb_lt(v, base) && v - base < alpha);
        r[i] = v;
    }
    struct cb_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.mode = CB_SEQ_HUFF;
    plan.base = base;
    plan.alpha = alpha;
    memcpy(plan.lens, lens, alpha + 1);
    st_buf_reset(&f.out);
    struct cb_bw w;
    cb_bw_init(&w, &f.out);
    cb_seq_write(&w, r, m, &plan);
    ck_assert_int_eq(cb_bw_finish(&w), ST_OK);
}

START_TEST(test_codec_seq_huff_matches_reference)
{
    uint64_t r[MAXP];
    uint8_t lens[CB_HUFF_MAX_ALPHA + 1];
    for (int trial = 0; trial < 3000; trial++) {
        /* Small alphabets of short codes fill the table with pairs and
         * triples; long ones (up to 15 bits) need the bit walk. */
        unsigned alpha = 1 + (unsigned)(trial % 3 ? rnd() % 12 : rnd() % CB_HUFF_MAX_ALPHA);
        unsigned maxlen = trial % 4 ? 1 + (unsigned)(rnd() % 8) : CB_HUFF_MAX_LEN;
        if (random_lens(alpha, maxlen, lens) == 0)
            continue;
        /* Every size around the reader's limits: 1..3 words, a tail under
         * 8 bytes, a whole block. */
        size_t m = trial % 5 == 0 ? 1 + (size_t)(rnd() % 8) : 1 + (size_t)(rnd() % MAXP);
        uint64_t base = rnd() % 4 ? (uint64_t)(int64_t)(rnd() % 200) - 100 : rnd();
        write_huff(lens, alpha, base, r, m);
        const uint8_t *p = OUT();
        size_t len = f.out.len;
        AGREE(p, len, m);
        /* Damage: one flipped bit, a truncation, a byte more, and words
         * asked for beyond those written. */
        uint8_t *d = malloc(len + 1);
        ck_assert_ptr_nonnull(d);
        memcpy(d, p, len);
        size_t bit = (size_t)(rnd() % (len * 8));
        d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        AGREE(d, len, m);
        memcpy(d, p, len);
        AGREE(d, (size_t)(rnd() % len), m);
        d[len] = (uint8_t)rnd();
        AGREE(d, len + 1, m);
        if (m < MAXP)
            AGREE(p, len, m + 1 + (size_t)(rnd() % (MAXP - m)));
        free(d);
    }
}
END_TEST

START_TEST(test_codec_seq_huff_random_bits)
{
    /* A valid header, then noise: the codes decode to anything, escapes
     * to arbitrary lengths, and the stream may end anywhere. */
    uint8_t lens[CB_HUFF_MAX_ALPHA + 1], buf[1200];
    for (int trial = 0; trial < 2000; trial++) {
        unsigned alpha = 1 + (unsigned)(rnd() % (trial % 2 ? 8 : CB_HUFF_MAX_ALPHA));
        if (random_lens(alpha, 1 + (unsigned)(rnd() % CB_HUFF_MAX_LEN), lens) == 0)
            continue;
        st_buf_reset(&f.out);
        struct cb_bw w;
        cb_bw_init(&w, &f.out);
        cb_put(&w, CB_SEQ_HUFF, 3);
        cb_put_lb(&w, cb_zz(rnd()));
        cb_put(&w, alpha - 1, 6);
        for (unsigned s = 0; s <= alpha; s++)
            cb_put(&w, lens[s], 4);
        size_t nbits = (size_t)(rnd() % 8000);
        for (size_t i = 0; i < nbits; i++)
            cb_put(&w, rnd() >> 63, 1);
        ck_assert_int_eq(cb_bw_finish(&w), ST_OK);
        ck_assert_uint_le(f.out.len, sizeof(buf));
        memcpy(buf, OUT(), f.out.len);
        AGREE(buf, f.out.len, 1 + (size_t)(rnd() % MAXP));
    }
}
END_TEST

START_TEST(test_codec_seq_huff_tables_per_code)
{
    /* Streams of alternating codes share the reader's cached tables: each
     * must be decoded with its own, also after a refused code (whose
     * failed build must not leave a table behind). */
    uint64_t r[3][MAXP], got[MAXP];
    uint8_t lens[3][CB_HUFF_MAX_ALPHA + 1] = {{1, 2, 3, 3}, {2, 2, 2, 2}, {3, 3, 2, 1}};
    struct st_buf streams[3];
    for (int k = 0; k < 3; k++) {
        write_huff(lens[k], 3, 10, r[k], MAXP);
        st_buf_init(&streams[k]);
        ck_assert_int_eq(st_buf_append(&streams[k], OUT(), f.out.len), ST_OK);
    }
    uint8_t bad[8];
    for (int round = 0; round < 20; round++) {
        int k = (int)(rnd() % 3);
        struct cb_br b;
        cb_br_init(&b, (const uint8_t *)streams[k].p, streams[k].len);
        ck_assert(cb_seq_read(&b, got, MAXP));
        ck_assert(cb_br_done(&b));
        ck_assert_int_eq(memcmp(got, r[k], sizeof(got)), 0);
        /* The same lengths as stream k but one more of length 1:
         * oversubscribed. */
        st_buf_reset(&f.out);
        struct cb_bw w;
        cb_bw_init(&w, &f.out);
        cb_put(&w, CB_SEQ_HUFF, 3);
        cb_put_lb(&w, 0);
        cb_put(&w, 2, 6);
        for (int s = 0; s < 4; s++)
            cb_put(&w, s == 3 ? 1 : lens[k][s], 4);
        cb_put(&w, 0, 16);
        cb_bw_finish(&w);
        ck_assert_uint_le(f.out.len, sizeof(bad));
        memcpy(bad, OUT(), f.out.len);
        cb_br_init(&b, bad, f.out.len);
        ck_assert(!cb_seq_read(&b, got, 4));
    }
    for (int k = 0; k < 3; k++)
        st_buf_fini(&streams[k]);
}
END_TEST

START_TEST(test_codec_seq_sums_every_mode)
{
    /* cb_seq_read_sums is the running sum of cb_seq_read, in every mode
     * and at every length around the HUFF reader's limits. */
    uint64_t r[MAXP], got[MAXP];
    for (int trial = 0; trial < 400; trial++) {
        size_t m = 1 + (size_t)(trial < 40 ? (uint64_t)trial : rnd() % MAXP);
        for (size_t i = 0; i < m; i++) {
            switch (trial % 5) {
            case 0:
                r[i] = 7;
                break;
            case 1:
                r[i] = rnd();
                break;
            case 2:
                r[i] = rnd() % 11;
                break;
            case 3:
                r[i] = rnd() % 4 ? rnd() % 3 : rnd() % 50 ? 9 : rnd();
                break;
            default:
                r[i] = i % 97 == 3 ? rnd() : (uint64_t)-2;
            }
        }
        PLAN(r, m);
        uint64_t start = rnd(), sum = start;
        struct cb_br b;
        cb_br_init(&b, OUT(), f.out.len);
        ck_assert(cb_seq_read_sums(&b, got, m, start));
        ck_assert(cb_br_done(&b));
        size_t i = 0;
        while (i < m && got[i] == (sum += r[i]))
            i++;
        ck_assert_uint_eq(i, m);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("codec_seq");
    TCase *tc = tcase_create("seq");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_codec_seq_chooses_each_mode);
    tcase_add_test(tc, test_codec_seq_rejects_bad_fields);
    tcase_add_test(tc, test_codec_seq_huff_matches_reference);
    tcase_add_test(tc, test_codec_seq_huff_random_bits);
    tcase_add_test(tc, test_codec_seq_huff_tables_per_code);
    tcase_add_test(tc, test_codec_seq_sums_every_mode);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
