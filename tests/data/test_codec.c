/* Unit tests of data/codec: round trips of every column type with edge
 * values, refusal of malformed input (every truncation, every single-bit
 * flip, hand-made bad fields), and the compression of TSBS-like data
 * (figures in docs/storage-codecs.md). The residual packer has its own
 * tests in test_codec_seq.c. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_bits.h"
#include "err.h"
#include "lineproto.h"
#include "testlib.h"
#include "tsbs.h"

#define MAXP ST_BLOCK_MAX_POINTS

struct fixture {
    struct st_buf out;   /* the encoding under test */
    struct st_buf arena; /* decoded strings */
    uint64_t rng;        /* xorshift64 state, fixed seed */
};
static struct fixture f;

static void setup(void)
{
    st_buf_init(&f.out);
    st_buf_init(&f.arena);
    f.rng = 0x2545F4914F6CDD1Dull;
}

static void teardown(void)
{
    st_buf_fini(&f.out);
    st_buf_fini(&f.arena);
}

static uint64_t rnd(void)
{
    f.rng ^= f.rng << 13;
    f.rng ^= f.rng >> 7;
    f.rng ^= f.rng << 17;
    return f.rng;
}

/* A standard normal deviate (Box-Muller). */
static double gauss(void)
{
    double u1 = ((double)(rnd() >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(rnd() >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static const uint8_t *OUT(void)
{
    return (const uint8_t *)f.out.p;
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

/* ---- Decoding anything, for the damage checks ------------------------------ */

/* Decodes @p (@len bytes) as a column of @kind, or as a block of @type when
 * @kind is ST_CODEC_KIND_BLOCK. Returns the decoder's answer. */
static int decode_as(unsigned kind, enum st_field_type type, const uint8_t *p, size_t len)
{
    int64_t ts[MAXP];
    union {
        double f[MAXP];
        int64_t i[MAXP];
        uint64_t u[MAXP];
        bool b[MAXP];
        struct st_codec_str s[MAXP];
    } v;
    size_t n = 0;
    struct st_buf arena;
    st_buf_init(&arena);
    int rv;
    switch (kind) {
    case ST_CODEC_KIND_TIME:
        rv = st_codec_ts_decode(p, len, ts, MAXP, &n);
        break;
    case ST_CODEC_KIND_FLOAT:
        rv = st_codec_float_decode(p, len, v.f, MAXP, &n);
        break;
    case ST_CODEC_KIND_INT:
        rv = st_codec_int_decode(p, len, v.i, MAXP, &n);
        break;
    case ST_CODEC_KIND_UINT:
        rv = st_codec_uint_decode(p, len, v.u, MAXP, &n);
        break;
    case ST_CODEC_KIND_BOOL:
        rv = st_codec_bool_decode(p, len, v.b, MAXP, &n);
        break;
    case ST_CODEC_KIND_STRING:
        rv = st_codec_str_decode(p, len, &arena, v.s, MAXP, &n);
        break;
    default: {
        union st_codec_out o;
        if (type == ST_FIELD_STRING)
            o.s = v.s;
        else
            o.u = v.u;
        rv = st_codec_block_decode(p, len, type, ts, o, &arena, MAXP, &n);
    }
    }
    if (rv == ST_OK && kind == ST_CODEC_KIND_STRING)
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_le(v.s[i].off + v.s[i].len, arena.len);
    if (rv == ST_OK) {
        size_t c;
        ck_assert_int_eq(st_codec_count(p, len, &c), ST_OK);
        ck_assert_uint_eq(c, n);
    }
    st_buf_fini(&arena);
    return rv;
}

/* Checks the encoding in f.out against damage: every truncation must be
 * ST_ECORRUPT, every single-bit flip ST_ECORRUPT or a clean decode. Copies go
 * into exactly sized heap buffers so that ASan sees any overread. Long
 * encodings get every bit of their first 64 bytes and a stride elsewhere. */
static void check_damage(unsigned kind, enum st_field_type type)
{
    size_t len = f.out.len;
    uint8_t *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    for (size_t l = 0; l < len; l++) {
        uint8_t *t = malloc(l ? l : 1);
        memcpy(t, f.out.p, l);
        ck_assert_int_eq(decode_as(kind, type, t, l), ST_ECORRUPT);
        free(t);
    }
    size_t stride = len > 1024 ? 13 : 1;
    for (size_t bit = 0; bit < len * 8; bit += bit < 512 ? 1 : stride) {
        memcpy(copy, f.out.p, len);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int rv = decode_as(kind, type, copy, len);
        ck_assert_msg(rv == ST_OK || rv == ST_ECORRUPT, "bit %zu: %d", bit, rv);
    }
    free(copy);
}

/* ---- Round trips ------------------------------------------------------------- */

/* Each encodes @n values into f.out, decodes, compares, checks the count
 * and damage, and returns the encoded size. */
static size_t RT_TS(const int64_t *v, size_t n)
{
    int64_t got[MAXP];
    size_t m = 9999;
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_codec_ts_encode(&f.out, v, n), ST_OK);
    ck_assert_int_eq(st_codec_ts_decode(OUT(), f.out.len, got, MAXP, &m), ST_OK);
    ck_assert_uint_eq(m, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(got[i], v[i]);
    return f.out.len;
}

static size_t RT_F(const double *v, size_t n)
{
    double got[MAXP];
    size_t m = 9999;
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_codec_float_encode(&f.out, v, n), ST_OK);
    ck_assert_int_eq(st_codec_float_decode(OUT(), f.out.len, got, MAXP, &m), ST_OK);
    ck_assert_uint_eq(m, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(bits_of(got[i]) == bits_of(v[i]), "value %zu: %a != %a", i, got[i], v[i]);
    return f.out.len;
}

static size_t RT_I(const int64_t *v, size_t n)
{
    int64_t got[MAXP];
    size_t m = 9999;
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_codec_int_encode(&f.out, v, n), ST_OK);
    ck_assert_int_eq(st_codec_int_decode(OUT(), f.out.len, got, MAXP, &m), ST_OK);
    ck_assert_uint_eq(m, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(got[i], v[i]);
    return f.out.len;
}

static size_t RT_U(const uint64_t *v, size_t n)
{
    uint64_t got[MAXP];
    size_t m = 9999;
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_codec_uint_encode(&f.out, v, n), ST_OK);
    ck_assert_int_eq(st_codec_uint_decode(OUT(), f.out.len, got, MAXP, &m), ST_OK);
    ck_assert_uint_eq(m, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(got[i], v[i]);
    return f.out.len;
}

static size_t RT_B(const bool *v, size_t n)
{
    bool got[MAXP];
    size_t m = 9999;
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_codec_bool_encode(&f.out, v, n), ST_OK);
    ck_assert_int_eq(st_codec_bool_decode(OUT(), f.out.len, got, MAXP, &m), ST_OK);
    ck_assert_uint_eq(m, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(got[i], v[i]);
    return f.out.len;
}

static size_t RT_S(const struct st_slice *v, size_t n)
{
    struct st_codec_str got[MAXP];
    size_t m = 9999;
    st_buf_reset(&f.out);
    st_buf_reset(&f.arena);
    ck_assert_int_eq(st_codec_str_encode(&f.out, v, n), ST_OK);
    ck_assert_int_eq(st_codec_str_decode(OUT(), f.out.len, &f.arena, got, MAXP, &m), ST_OK);
    ck_assert_uint_eq(m, n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(got[i].len, v[i].len);
        ck_assert(v[i].len == 0 || memcmp(f.arena.p + got[i].off, v[i].p, v[i].len) == 0);
    }
    return f.out.len;
}

/* ---- Timestamps ------------------------------------------------------------- */

START_TEST(test_codec_ts_fixed_interval_costs_bytes_per_block)
{
    int64_t t[MAXP];
    for (size_t i = 0; i < MAXP; i++)
        t[i] = 1451606400000000000LL + (int64_t)i * 10000000000LL;
    ck_assert_uint_le(RT_TS(t, MAXP), 20);
    ck_assert_int_eq(OUT()[0], ST_CODEC_KIND_TIME << 4 | ST_CODEC_DIFF1); /* CONST deltas */
    check_damage(ST_CODEC_KIND_TIME, 0);
    /* A missing point is two escapes, not a wider field for everyone. */
    for (size_t i = 500; i < MAXP; i++)
        t[i] += 10000000000LL;
    ck_assert_uint_le(RT_TS(t, MAXP), 40);
    check_damage(ST_CODEC_KIND_TIME, 0);
}
END_TEST

START_TEST(test_codec_ts_few_points)
{
    int64_t t[3] = {-5, 7, 7};
    ck_assert_uint_eq(RT_TS(NULL, 0), 2);
    check_damage(ST_CODEC_KIND_TIME, 0);
    RT_TS(t, 1);
    check_damage(ST_CODEC_KIND_TIME, 0);
    RT_TS(t, 2);
    check_damage(ST_CODEC_KIND_TIME, 0);
    RT_TS(t, 3);
    check_damage(ST_CODEC_KIND_TIME, 0);
}
END_TEST

START_TEST(test_codec_ts_irregular_negative_equal)
{
    int64_t t[MAXP];
    int64_t x = -1000000000000LL;
    for (size_t i = 0; i < MAXP; i++) {
        x += (int64_t)(rnd() % 3 == 0 ? 0 : rnd() % 2000000); /* equal times too */
        t[i] = x;
    }
    RT_TS(t, MAXP);
    check_damage(ST_CODEC_KIND_TIME, 0);
    for (size_t i = 0; i < MAXP; i++) /* unsorted, anything goes */
        t[i] = (int64_t)(rnd() % 1000) - 500;
    RT_TS(t, MAXP);
    for (size_t i = 0; i < MAXP; i++)
        t[i] = 42;
    ck_assert_uint_le(RT_TS(t, MAXP), 8);
}
END_TEST

START_TEST(test_codec_ts_extreme_jumps)
{
    int64_t t[MAXP];
    for (size_t i = 0; i < MAXP; i++)
        t[i] = i % 2 ? INT64_MAX : INT64_MIN;
    RT_TS(t, MAXP);
    ck_assert_uint_le(f.out.len, 150); /* deltas alternate -1, 1 (wrapping): 1 bit each */
    for (size_t i = 0; i < MAXP; i++)
        t[i] = (int64_t)rnd();
    ck_assert_uint_le(RT_TS(t, MAXP), 3 + 8 * MAXP); /* raw fallback bounds it */
    check_damage(ST_CODEC_KIND_TIME, 0);
    int64_t e[] = {INT64_MIN, INT64_MAX, 0, -1, INT64_MIN, INT64_MIN + 1, INT64_MAX, 1};
    RT_TS(e, 8);
    check_damage(ST_CODEC_KIND_TIME, 0);
}
END_TEST

START_TEST(test_codec_ts_refuses_more_than_a_block)
{
    int64_t t[MAXP + 1] = {0};
    st_buf_putc(&f.out, 'x');
    ck_assert_int_eq(st_codec_ts_encode(&f.out, t, MAXP + 1), ST_EINVAL);
    ck_assert_uint_eq(f.out.len, 1);
    RT_TS(t, MAXP);
    int64_t got[10];
    size_t n;
    ck_assert_int_eq(st_codec_ts_decode(OUT(), f.out.len, got, 10, &n), ST_ERANGE);
}
END_TEST

/* ---- Floats ---------------------------------------------------------------- */

START_TEST(test_codec_float_special_values_bit_exact)
{
    double v[] = {
        from_bits(0x7ff8000000000123ull), /* quiet NaN with payload */
        from_bits(0x7ff0000000000001ull), /* signalling NaN */
        from_bits(0xfff8000000000000ull), /* negative NaN */
        INFINITY,
        -INFINITY,
        -0.0,
        0.0,
        DBL_MIN,
        DBL_MAX,
        -DBL_MAX,
        DBL_TRUE_MIN,
        from_bits(0x000fffffffffffffull), /* largest denormal */
        -DBL_TRUE_MIN,
        1.0,
        -0.0,
        9007199254740993.0,
        0.1,
    };
    size_t n = sizeof(v) / sizeof(v[0]);
    for (size_t k = 1; k <= n; k++) {
        RT_F(v, k);
        check_damage(ST_CODEC_KIND_FLOAT, 0);
    }
    RT_F(NULL, 0);
    check_damage(ST_CODEC_KIND_FLOAT, 0);
}
END_TEST

START_TEST(test_codec_float_walk_and_constant)
{
    double v[MAXP], x = 50.0;
    for (size_t i = 0; i < MAXP; i++)
        v[i] = 3.0;
    ck_assert_uint_le(RT_F(v, MAXP), 12); /* integral: a constant int column */
    ck_assert_int_eq(OUT()[0], ST_CODEC_FLOAT_INTEGRAL);
    for (size_t i = 0; i < MAXP; i++)
        v[i] = 3.25;
    ck_assert_uint_le(RT_F(v, MAXP), 3 + 8 + 125); /* Gorilla: 1 bit per repeat */
    for (size_t i = 0; i < MAXP; i++) {
        x += gauss();
        x = x < 0 ? 0 : x > 100 ? 100 : x;
        v[i] = x;
    }
    RT_F(v, MAXP);
    ck_assert_int_eq(OUT()[0], ST_CODEC_FLOAT_GORILLA);
    check_damage(ST_CODEC_KIND_FLOAT, 0);
    for (size_t i = 0; i < MAXP; i++)
        v[i] = from_bits(rnd());
    ck_assert_uint_eq(RT_F(v, MAXP), 3 + 8 * MAXP);
    ck_assert_int_eq(OUT()[0], ST_CODEC_FLOAT_RAW);
    check_damage(ST_CODEC_KIND_FLOAT, 0);
}
END_TEST

START_TEST(test_codec_float_integral_values_use_integers)
{
    double v[MAXP];
    int64_t x = 50;
    for (size_t i = 0; i < MAXP; i++) {
        x += (int64_t)(rnd() % 11) - 5;
        v[i] = (double)x;
    }
    size_t size = RT_F(v, MAXP);
    ck_assert_int_eq(OUT()[0], ST_CODEC_FLOAT_INTEGRAL);
    ck_assert_uint_le(size, 450);
    check_damage(ST_CODEC_KIND_FLOAT, 0);
    v[7] = -0.0; /* would come back as +0.0 through integers */
    RT_F(v, MAXP);
    ck_assert_int_ne(OUT()[0], ST_CODEC_FLOAT_INTEGRAL);
    v[7] = 9007199254740992.0; /* 2^53 still counts */
    v[8] = -9007199254740992.0;
    RT_F(v, MAXP);
    ck_assert_int_eq(OUT()[0], ST_CODEC_FLOAT_INTEGRAL);
    /* An integral column holding 2^53 + 1 (not a double) is corrupt. */
    int64_t big = (INT64_C(1) << 53) + 1;
    size_t n;
    st_buf_reset(&f.out);
    st_buf_putc(&f.out, (char)ST_CODEC_FLOAT_INTEGRAL);
    ck_assert_int_eq(st_codec_int_encode(&f.out, &big, 1), ST_OK);
    ck_assert_int_eq(st_codec_float_decode(OUT(), f.out.len, v, MAXP, &n), ST_ECORRUPT);
}
END_TEST

/* ---- Integers and booleans ------------------------------------------------------ */

START_TEST(test_codec_int_edge_values)
{
    int64_t e[] = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1};
    size_t n = sizeof(e) / sizeof(e[0]);
    for (size_t k = 0; k <= n; k++) {
        RT_I(e, k);
        check_damage(ST_CODEC_KIND_INT, 0);
    }
    uint64_t u[] = {UINT64_MAX, 0, 1, UINT64_MAX - 1, 1ull << 63, 0, UINT64_MAX};
    for (size_t k = 0; k <= sizeof(u) / sizeof(u[0]); k++) {
        RT_U(u, k);
        check_damage(ST_CODEC_KIND_UINT, 0);
    }
}
END_TEST

START_TEST(test_codec_int_constant_and_linear_are_tiny)
{
    int64_t v[MAXP];
    for (size_t i = 0; i < MAXP; i++)
        v[i] = -123456789;
    ck_assert_uint_le(RT_I(v, MAXP), 10);
    check_damage(ST_CODEC_KIND_INT, 0);
    uint64_t u[MAXP];
    for (size_t i = 0; i < MAXP; i++)
        u[i] = UINT64_MAX - 1000 * i; /* a counter running down: constant delta */
    ck_assert_uint_le(RT_U(u, MAXP), 16);
    check_damage(ST_CODEC_KIND_UINT, 0);
}
END_TEST

START_TEST(test_codec_int_random_walk_near_entropy)
{
    int64_t v[MAXP], x = 50;
    for (size_t i = 0; i < MAXP; i++) {
        x += (int64_t)(rnd() % 11) - 5;
        v[i] = x;
    }
    /* log2(11) = 3.46 bits per delta; RANGE packs 17 deltas in 59 bits. */
    ck_assert_uint_le(RT_I(v, MAXP) * 8, MAXP * 3.5 + 64);
    check_damage(ST_CODEC_KIND_INT, 0);
    double w = 50;
    for (size_t i = 0; i < MAXP; i++) { /* TSBS's own walk: N(0,1) steps, truncated */
        w += gauss();
        w = w < 0 ? 0 : w > 100 ? 100 : w;
        v[i] = (int64_t)w;
    }
    ck_assert_uint_le(RT_I(v, MAXP) * 8, MAXP * 2.45 + 64); /* entropy ~2.3 */
    check_damage(ST_CODEC_KIND_INT, 0);
    for (size_t i = 0; i < MAXP; i++)
        v[i] = (int64_t)rnd();
    ck_assert_uint_le(RT_I(v, MAXP), 3 + 8 * MAXP);
    check_damage(ST_CODEC_KIND_INT, 0);
}
END_TEST

START_TEST(test_codec_bool_patterns)
{
    bool b[MAXP];
    for (size_t i = 0; i < MAXP; i++)
        b[i] = true;
    ck_assert_uint_le(RT_B(b, MAXP), 6);
    check_damage(ST_CODEC_KIND_BOOL, 0);
    for (size_t i = 0; i < MAXP; i++)
        b[i] = rnd() & 1;
    ck_assert_uint_le(RT_B(b, MAXP), 3 + MAXP / 8 + 4);
    check_damage(ST_CODEC_KIND_BOOL, 0);
    RT_B(b, 1);
    check_damage(ST_CODEC_KIND_BOOL, 0);
    RT_B(NULL, 0);
    /* A packed value of 2 is not a boolean. */
    uint64_t two[2] = {0, 2};
    st_buf_reset(&f.out);
    ck_assert_int_eq(cb_words_encode(&f.out, ST_CODEC_KIND_BOOL, two, 2), ST_OK);
    size_t n;
    ck_assert_int_eq(st_codec_bool_decode(OUT(), f.out.len, b, MAXP, &n), ST_ECORRUPT);
}
END_TEST

/* ---- Strings -------------------------------------------------------------------- */

START_TEST(test_codec_str_edge_values)
{
    static const char nul[] = "a\0b\0\0c";
    struct st_slice v[] = {{"", 0}, {nul, sizeof(nul)}, {"x", 1}, {"", 0}};
    for (size_t k = 0; k <= 4; k++) {
        RT_S(v, k);
        check_damage(ST_CODEC_KIND_STRING, 0);
    }
    ck_assert_int_eq(OUT()[0], ST_CODEC_STR_RAW);
}
END_TEST

START_TEST(test_codec_str_long_and_repetitive_use_zstd)
{
    enum { LONG = 70000 };
    char *big = malloc(LONG);
    for (size_t i = 0; i < LONG; i++)
        big[i] = (char)('a' + i % 7);
    struct st_slice v[MAXP];
    for (size_t i = 0; i < MAXP; i++) {
        v[i].p = i == 3 ? big : i % 2 ? "GET /index.html 200" : "POST /api/v1/write 204";
        v[i].len = i == 3 ? LONG : (uint32_t)strlen(v[i].p);
    }
    size_t size = RT_S(v, MAXP);
    ck_assert_int_eq(OUT()[0], ST_CODEC_STR_ZSTD);
    ck_assert_uint_lt(size, 2000);
    check_damage(ST_CODEC_KIND_STRING, 0);
    /* A few random bytes do not compress: raw. */
    char *noise = malloc(MAXP * 8);
    for (size_t i = 0; i < MAXP * 8; i++)
        noise[i] = (char)rnd();
    for (size_t i = 0; i < 4; i++) {
        v[i].p = noise + 16 * i;
        v[i].len = 16;
    }
    RT_S(v, 4);
    ck_assert_int_eq(OUT()[0], ST_CODEC_STR_RAW);
    check_damage(ST_CODEC_KIND_STRING, 0);
    /* More than ST_CODEC_MAX_STR_BYTES in one block is refused. */
    for (size_t i = 0; i < MAXP; i++) {
        v[i].p = big;
        v[i].len = LONG;
    }
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_codec_str_encode(&f.out, v, MAXP), ST_EINVAL);
    ck_assert_uint_eq(f.out.len, 0);
    free(noise);
    free(big);
}
END_TEST

START_TEST(test_codec_str_arena_collects_blocks)
{
    struct st_slice a[] = {{"one", 3}, {"two", 3}}, b[] = {{"three", 5}};
    struct st_codec_str s[4];
    size_t n1, n2;
    ck_assert_int_eq(st_codec_str_encode(&f.out, a, 2), ST_OK);
    size_t cut = f.out.len;
    ck_assert_int_eq(st_codec_str_encode(&f.out, b, 1), ST_OK);
    st_buf_puts(&f.arena, "keep");
    ck_assert_int_eq(st_codec_str_decode(OUT(), cut, &f.arena, s, 4, &n1), ST_OK);
    ck_assert_int_eq(
        st_codec_str_decode(OUT() + cut, f.out.len - cut, &f.arena, s + n1, 4 - n1, &n2), ST_OK);
    ck_assert_uint_eq(n1 + n2, 3);
    ck_assert_str_eq(f.arena.p, "keeponetwothree");
    ck_assert_uint_eq(s[2].off, 10);
    /* A failed decode leaves the arena as it was. */
    ck_assert_int_eq(st_codec_str_decode(OUT(), cut - 1, &f.arena, s, 4, &n1), ST_ECORRUPT);
    ck_assert_str_eq(f.arena.p, "keeponetwothree");
    ck_assert_int_eq(st_codec_str_decode(OUT(), cut, &f.arena, s, 1, &n1), ST_ERANGE);
}
END_TEST

/* ---- Blocks, counts, dispatch -------------------------------------------------- */

START_TEST(test_codec_block_every_type)
{
    int64_t ts[MAXP], i64[MAXP];
    double fl[MAXP];
    uint64_t u64[MAXP];
    bool bo[MAXP];
    struct st_slice st[MAXP];
    static const char abc[] = "abc";
    for (size_t i = 0; i < MAXP; i++) {
        ts[i] = (int64_t)i * 1000 + (int64_t)(rnd() % 3);
        fl[i] = (double)i / 3;
        i64[i] = -(int64_t)i * 7;
        u64[i] = rnd() % 100;
        bo[i] = i % 3 == 0;
        st[i].p = abc + i % 4;
        st[i].len = (uint32_t)(3 - i % 4);
    }
    enum st_field_type types[] = {ST_FIELD_FLOAT, ST_FIELD_INTEGER, ST_FIELD_UNSIGNED,
                                  ST_FIELD_STRING, ST_FIELD_BOOLEAN};
    union st_codec_in in[] = {{.f = fl}, {.i = i64}, {.u = u64}, {.s = st}, {.b = bo}};
    for (size_t t = 0; t < 5; t++) {
        size_t sizes[] = {0, 1, 2, 999, MAXP};
        for (size_t k = 0; k < 5; k++) {
            size_t n = sizes[k], got_n, cnt;
            st_buf_reset(&f.out);
            st_buf_reset(&f.arena);
            ck_assert_int_eq(st_codec_block_encode(&f.out, types[t], ts, in[t], n), ST_OK);
            ck_assert_int_eq(st_codec_count(OUT(), f.out.len, &cnt), ST_OK);
            ck_assert_uint_eq(cnt, n);
            int64_t gts[MAXP];
            union {
                double f[MAXP];
                int64_t i[MAXP];
                uint64_t u[MAXP];
                bool b[MAXP];
                struct st_codec_str s[MAXP];
            } g;
            union st_codec_out o;
            o.u = g.u;
            if (types[t] == ST_FIELD_STRING)
                o.s = g.s;
            ck_assert_int_eq(
                st_codec_block_decode(OUT(), f.out.len, types[t], gts, o, &f.arena, MAXP, &got_n),
                ST_OK);
            ck_assert_uint_eq(got_n, n);
            for (size_t i = 0; i < n; i++) {
                ck_assert_int_eq(gts[i], ts[i]);
                switch (types[t]) {
                case ST_FIELD_FLOAT:
                    ck_assert(bits_of(g.f[i]) == bits_of(fl[i]));
                    break;
                case ST_FIELD_INTEGER:
                    ck_assert_int_eq(g.i[i], i64[i]);
                    break;
                case ST_FIELD_UNSIGNED:
                    ck_assert_uint_eq(g.u[i], u64[i]);
                    break;
                case ST_FIELD_STRING:
                    ck_assert_uint_eq(g.s[i].len, st[i].len);
                    ck_assert(memcmp(f.arena.p + g.s[i].off, st[i].p, st[i].len) == 0);
                    break;
                case ST_FIELD_BOOLEAN:
                    ck_assert_int_eq(g.b[i], bo[i]);
                    break;
                }
            }
            /* Any other type is refused, a small array too. */
            enum st_field_type other = types[(t + 1) % 5];
            ck_assert_int_eq(
                st_codec_block_decode(OUT(), f.out.len, other, gts, o, &f.arena, MAXP, &got_n),
                ST_ECORRUPT);
            if (n > 0)
                ck_assert_int_eq(st_codec_block_decode(OUT(), f.out.len, types[t], gts, o, &f.arena,
                                                       n - 1, &got_n),
                                 ST_ERANGE);
            if (n <= 2 || n == MAXP)
                check_damage(ST_CODEC_KIND_BLOCK, types[t]);
        }
    }
    ck_assert_int_eq(st_codec_block_encode(&f.out, ST_FIELD_FLOAT, ts, in[0], MAXP + 1), ST_EINVAL);
    ck_assert_int_eq(st_codec_block_encode(&f.out, (enum st_field_type)9, ts, in[0], 1), ST_EINVAL);
}
END_TEST

START_TEST(test_codec_count_and_split)
{
    int64_t ts[3] = {1, 2, 3};
    double v[3] = {1, 2, 3.5};
    union st_codec_in in = {.f = v};
    ck_assert_int_eq(st_codec_block_encode(&f.out, ST_FIELD_FLOAT, ts, in, 3), ST_OK);
    const uint8_t *tp, *vp;
    size_t tl, vl, n;
    ck_assert_int_eq(st_codec_block_split(OUT(), f.out.len, ST_FIELD_FLOAT, &tp, &tl, &vp, &vl, &n),
                     ST_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_ptr_eq(vp + vl, OUT() + f.out.len);
    ck_assert_int_eq(st_codec_count(tp, tl, &n), ST_OK);
    ck_assert_int_eq(st_codec_count(vp, vl, &n), ST_OK);
    ck_assert_uint_eq(n, 3);
    /* Unknown tags, a count over the maximum, a bad varint. */
    const uint8_t bad[][12] = {
        {0x00, 1},
        {0x14, 1},
        {0x23, 1},
        {0x62, 1},
        {0x11, 0xe9, 7},
        /* 1001 */ {0x11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_eq(st_codec_count(bad[i], sizeof(bad[i]), &n), ST_ECORRUPT);
    ck_assert_int_eq(st_codec_count(OUT(), 0, &n), ST_ECORRUPT);
    /* Trailing bytes after a column are corruption. */
    double got[3];
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_codec_float_encode(&f.out, v, 3), ST_OK);
    st_buf_putc(&f.out, 0);
    ck_assert_int_eq(st_codec_float_decode(OUT(), f.out.len, got, 3, &n), ST_ECORRUPT);
    /* So is a non-zero padding bit. */
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_codec_ts_encode(&f.out, ts, 1), ST_OK);
    f.out.p[f.out.len - 1] |= (char)0x80;
    ck_assert_int_eq(st_codec_ts_decode(OUT(), f.out.len, ts, 3, &n), ST_ECORRUPT);
}
END_TEST

/* ---- Compression on TSBS-like data ------------------------------------------------ */

/* Encodes @nser series of @npts points (times @t, values @v per series, laid
 * out series after series) in blocks of MAXP and returns the bytes of the
 * timestamp columns, value columns and whole blocks. */
struct sizes {
    size_t ts, vals, blocks, points;
};

static void measure(const int64_t *t, union st_codec_in v, enum st_field_type type, size_t npts,
                    struct sizes *s)
{
    for (size_t i = 0; i < npts; i += MAXP) {
        size_t n = npts - i < MAXP ? npts - i : MAXP;
        union st_codec_in w = v;
        if (type == ST_FIELD_FLOAT)
            w.f += i;
        else
            w.i += i;
        st_buf_reset(&f.out);
        ck_assert_int_eq(st_codec_ts_encode(&f.out, t + i, n), ST_OK);
        s->ts += f.out.len;
        st_buf_reset(&f.out);
        ck_assert_int_eq(st_codec_values_encode(&f.out, type, w, n), ST_OK);
        s->vals += f.out.len;
        st_buf_reset(&f.out);
        ck_assert_int_eq(st_codec_block_encode(&f.out, type, t + i, w, n), ST_OK);
        s->blocks += f.out.len;
        s->points += n;
    }
}

static void report(const char *what, const struct sizes *s)
{
    printf("codec %-28s %zu points: ts %.3f bits, values %.3f bits, block %.4f bytes/value\n", what,
           s->points, 8.0 * s->ts / s->points, 8.0 * s->vals / s->points,
           (double)s->blocks / s->points);
}

START_TEST(test_codec_tsbs_compression)
{
    /* bench/tsbs.h's generator: one host, so each series sees the walk's
     * own steps (the generator shares one walk between hosts). */
    enum { LINES = 10000, FIELDS = 10 };
    struct st_tsbs g;
    struct st_buf body;
    struct st_lp_batch batch;
    ck_assert_int_eq(st_tsbs_init(&g, 1, 7), ST_OK);
    st_buf_init(&body);
    st_lp_batch_init(&batch);
    for (int i = 0; i < LINES; i++)
        ck_assert_int_eq(st_tsbs_next(&g, &body), ST_OK);
    st_tsbs_fini(&g);
    ck_assert_int_eq(st_lp_parse(&batch, body.p, body.len, ST_PRECISION_NS, 0), ST_OK);
    ck_assert_uint_eq(batch.npoints, LINES);
    int64_t *t = malloc(LINES * sizeof(*t)), *v = malloc(LINES * sizeof(*v));
    double *d = malloc(LINES * sizeof(*d));
    struct sizes gen = {0}, walk = {0}, fwalk = {0};
    for (int k = 0; k < FIELDS; k++) {
        for (int i = 0; i < LINES; i++) {
            const struct st_lp_point *pt = &batch.points[i];
            t[i] = pt->time;
            ck_assert_int_eq(batch.fields[pt->field0 + k].type, ST_FIELD_INTEGER);
            v[i] = batch.fields[pt->field0 + k].v.i;
        }
        measure(t, (union st_codec_in){.i = v}, ST_FIELD_INTEGER, LINES, &gen);
    }
    /* TSBS's own cpu fields: a float walk with N(0, 1) steps clamped to
     * 0..100, written as int64 by truncation; and the float walk itself. */
    for (int k = 0; k < FIELDS; k++) {
        double x = (double)(rnd() % 100);
        for (int i = 0; i < LINES; i++) {
            x += gauss();
            x = x < 0 ? 0 : x > 100 ? 100 : x;
            d[i] = x;
            v[i] = (int64_t)x;
        }
        measure(t, (union st_codec_in){.i = v}, ST_FIELD_INTEGER, LINES, &walk);
        measure(t, (union st_codec_in){.f = d}, ST_FIELD_FLOAT, LINES, &fwalk);
    }
    report("tsbs.h ints (steps -5..5)", &gen);
    report("TSBS ints (N(0,1) walk)", &walk);
    report("float walk (N(0,1))", &fwalk);
    ck_assert_double_le(8.0 * gen.ts / gen.points, 0.2);
    ck_assert_double_le(8.0 * gen.vals / gen.points, 3.55);
    ck_assert_double_le((double)gen.blocks / gen.points, 0.47);
    ck_assert_double_le((double)walk.blocks / walk.points, 0.32);
    ck_assert_double_le(8.0 * fwalk.vals / fwalk.points, 64.5);
    free(t);
    free(v);
    free(d);
    st_lp_batch_fini(&batch);
    st_buf_fini(&body);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    struct {
        const char *name;
        const TTest *t;
    } cases[] = {
        {"ts", test_codec_ts_fixed_interval_costs_bytes_per_block},
        {"ts", test_codec_ts_few_points},
        {"ts", test_codec_ts_irregular_negative_equal},
        {"ts", test_codec_ts_extreme_jumps},
        {"ts", test_codec_ts_refuses_more_than_a_block},
        {"float", test_codec_float_special_values_bit_exact},
        {"float", test_codec_float_walk_and_constant},
        {"float", test_codec_float_integral_values_use_integers},
        {"int", test_codec_int_edge_values},
        {"int", test_codec_int_constant_and_linear_are_tiny},
        {"int", test_codec_int_random_walk_near_entropy},
        {"bool", test_codec_bool_patterns},
        {"str", test_codec_str_edge_values},
        {"str", test_codec_str_long_and_repetitive_use_zstd},
        {"str", test_codec_str_arena_collects_blocks},
        {"block", test_codec_block_every_type},
        {"block", test_codec_count_and_split},
        {"compression", test_codec_tsbs_compression},
    };
    TCase *tc = NULL;
    const char *cur = "";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(cur, cases[i].name) != 0) {
            cur = cases[i].name;
            tc = tcase_create(cur);
            tcase_add_checked_fixture(tc, setup, teardown);
            tcase_set_timeout(tc, 120);
            suite_add_tcase(s, tc);
        }
        tcase_add_test(tc, cases[i].t);
    }
    return s;
}

int main(void)
{
    return t_run_suite(codec_suite());
}
