/* Unit tests of the residual packer shared by data/codec's integer-like
 * columns (codec_seq.c, private API in codec_bits.h): each mode is chosen
 * where it should be, its cost estimate is exact, and malformed fields are
 * refused. */
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

int main(void)
{
    Suite *s = suite_create("codec_seq");
    TCase *tc = tcase_create("seq");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_codec_seq_chooses_each_mode);
    tcase_add_test(tc, test_codec_seq_rejects_bad_fields);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
