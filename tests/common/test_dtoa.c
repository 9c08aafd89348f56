/* Shortest digits of doubles: st_dtoa_shortest against an oracle built from
 * glibc's exactly rounded printf and strtod (the algorithm router/qout_fmt.c
 * used before common/dtoa.c, checked against InfluxDB's answers), over
 * random bit patterns, every power of two and of ten and their neighbours,
 * subnormals, short decimals, and known outputs of Go's strconv. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtoa.h"
#include "testlib.h"

/* The random patterns tried. The oracle takes about 5 us a value, more
 * under AddressSanitizer, and the suite runs this test under both. */
#if defined(__SANITIZE_ADDRESS__)
#define RANDOM_N 600000
#else
#define RANDOM_N 1000000
#endif

/* The oracle ------------------------------------------------------------------------------- */

/* Digits of a positive finite double: d[0..n), value d0.d1d2... * 10^e. */
struct digits {
    char d[24];
    int n;
    int e;
};

/* Reads the digits and exponent out of printf's "%.*e" text. */
static void parse_e(const char *s, struct digits *x)
{
    x->n = 0;
    for (; *s != 'e'; s++)
        if (*s != '.')
            x->d[x->n++] = *s;
    x->e = atoi(s + 1);
}

static double read_back(const struct digits *x)
{
    char s[48];
    snprintf(s, sizeof s, "%c.%.*se%d", x->d[0], x->n - 1, x->d + 1, x->e);
    return strtod(s, NULL);
}

/* Steps @x one unit of its last digit toward @up, keeping its length. */
static void step(struct digits *x, bool up)
{
    int i = x->n - 1;
    if (up) {
        while (i >= 0 && x->d[i] == '9')
            x->d[i--] = '0';
        if (i < 0) { /* 9.99 -> 10.0: 1.00 one decade up */
            x->d[0] = '1';
            x->e++;
        } else {
            x->d[i]++;
        }
        return;
    }
    while (x->d[i] == '0')
        x->d[i--] = '9';
    x->d[i]--;
    if (x->d[0] == '0') { /* 1.00 -> 0.99: 9.99 one decade down */
        memset(x->d, '9', (size_t)x->n);
        x->e--;
    }
}

/* The @n-digit decimal Go would take for @a, if one reads back as @a. */
static bool try_len(double a, int n, struct digits *x)
{
    char s[48];
    snprintf(s, sizeof s, "%.*e", n - 1, a);
    parse_e(s, x);
    double r = strtod(s, NULL);
    if (r == a)
        return true;
    step(x, r < a);
    return read_back(x) == a;
}

/* For a normal double any decimal of at most 15 digits that reads back is
 * the only one of its length and what %.14e rounds to; otherwise 16 digits
 * (rounded, else the neighbour on the other side), otherwise 17. Subnormals
 * try every length. */
static void oracle(double a, struct digits *x)
{
    if (a >= DBL_MIN) {
        if (!try_len(a, 15, x) && !try_len(a, 16, x))
            try_len(a, 17, x);
    } else {
        for (int n = 1; n <= 17 && !try_len(a, n, x); n++)
            ;
    }
    while (x->n > 1 && x->d[x->n - 1] == '0')
        x->n--;
}

/* Helpers ---------------------------------------------------------------------------------- */

/* Fails the test unless st_dtoa_shortest(@a) gives the oracle's digits and
 * writes nothing past them. */
static void check(double a)
{
    struct digits want;
    oracle(a, &want);
    char d[ST_DTOA_DIGITS + 1];
    memset(d, 'x', sizeof d);
    int e = 12345;
    int n = st_dtoa_shortest(a, d, &e);
    bool ok = n == want.n && e == want.e && memcmp(d, want.d, (size_t)n) == 0;
    for (int i = n; ok && i <= ST_DTOA_DIGITS; i++)
        ok = d[i] == 'x';
    if (!ok) {
        uint64_t bits;
        memcpy(&bits, &a, sizeof bits);
        ck_abort_msg("%.17g (0x%016" PRIx64 "): got %.*s e%d, want %.*s e%d", a, bits,
                     n > 0 && n <= ST_DTOA_DIGITS ? n : 0, d, e, want.n, want.d, want.e);
    }
}

/* Fails the test unless @a gives exactly @digits and @e10. */
static void expect(double a, const char *digits, int e10)
{
    check(a);
    char d[ST_DTOA_DIGITS];
    int e;
    int n = st_dtoa_shortest(a, d, &e);
    ck_assert_msg(n == (int)strlen(digits) && memcmp(d, digits, (size_t)n) == 0 && e == e10,
                  "%.17g: got %.*s e%d, want %s e%d", a, n, d, e, digits, e10);
}

static double from_bits(uint64_t bits)
{
    double a;
    memcpy(&a, &bits, sizeof a);
    return a;
}

/* xorshift64: a fixed sequence, so a failure reproduces. */
static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Tests ------------------------------------------------------------------------------------ */

START_TEST(test_dtoa_known_outputs)
{
    expect(0.1, "1", -1);
    expect(5e-324, "5", -324);
    expect(1e-323, "1", -323); /* 2 * 2^-1074 */
    expect(DBL_MAX, "17976931348623157", 308);
    expect(DBL_MIN, "22250738585072014", -308);
    expect(strtod("9007199254740993", NULL), "9007199254740992", 15);
    volatile double a = 0.1, b = 0.2;
    expect(a + b, "30000000000000004", -1);
    expect(0.3, "3", -1);
    expect(1e23, "1", 23); /* the double is 99999999999999991611392 */
    expect(8.41e21, "841", 21);
    expect(123.456, "123456", 2);
    expect(1, "1", 0);
    expect(100, "1", 2);
    expect(1e15, "1", 15);
    expect(1.5e300, "15", 300);
    expect(ldexp(1, 63), "9223372036854776", 18);
    expect(47.123456789012345, "47123456789012344", 1);
    expect(1.0000000000000002, "10000000000000002", 0);
    expect(2.2250738585072009e-308, "2225073858507201", -308); /* the largest subnormal */
    expect(from_bits(3), "15", -323);
    /* Exact ties between two 17-digit decimals, broken to even. */
    expect(ldexp((double)((UINT64_C(1) << 52) + 1), -2), "11258999068426242", 15);
    expect(ldexp((double)((UINT64_C(1) << 52) + 3), -2), "11258999068426248", 15);
}
END_TEST

START_TEST(test_dtoa_limits)
{
    check(DBL_MIN);
    check(DBL_MAX);
    check(nextafter(DBL_MAX, 0));
    check(nextafter(DBL_MIN, 0));
    check(nextafter(DBL_MIN, 1));
    check(from_bits(1));                            /* the smallest subnormal */
    check(from_bits((UINT64_C(1) << 52) - 1));      /* the largest */
    check(from_bits((UINT64_C(1) << 52) + 1));      /* DBL_MIN's upper neighbour */
    check(from_bits(UINT64_C(0x7fe0000000000000))); /* 2^1023, asymmetric */
}
END_TEST

START_TEST(test_dtoa_powers_of_two)
{
    for (int e = -1074; e <= 1023; e++) {
        double a = ldexp(1, e);
        check(a);
        if (e > -1074)
            check(nextafter(a, 0));
        check(nextafter(a, INFINITY)); /* finite: 2^1023 < DBL_MAX */
    }
}
END_TEST

START_TEST(test_dtoa_powers_of_ten)
{
    for (int k = -323; k <= 308; k++) {
        char s[16];
        snprintf(s, sizeof s, "1e%d", k);
        double a = strtod(s, NULL);
        check(a);
        if (k > -323)
            check(nextafter(a, 0));
        if (a < DBL_MAX)
            check(nextafter(a, INFINITY));
    }
}
END_TEST

START_TEST(test_dtoa_integers_and_fractions)
{
    for (int k = 1; k <= 100000; k++) {
        check(k);
        check(k / 10.0);
        check(k / 100.0);
    }
}
END_TEST

START_TEST(test_dtoa_random_bits)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < RANDOM_N; i++) {
        double a = from_bits(next(&x) >> 1); /* positive */
        if (a != 0 && isfinite(a))
            check(a);
    }
}
END_TEST

START_TEST(test_dtoa_random_subnormals)
{
    uint64_t x = 0x2545f4914f6cdd1du;
    for (uint64_t c = 1; c <= 20000; c++) /* the widest relative intervals */
        check(from_bits(c));
    for (int i = 0; i < 20000; i++) {
        uint64_t c = next(&x) & ((UINT64_C(1) << 52) - 1);
        if (c != 0)
            check(from_bits(c));
    }
}
END_TEST

/* In [2^50, 2^51) the doubles with an odd significand end in .25 or .75:
 * halfway between two 17-digit decimals that both read back. */
START_TEST(test_dtoa_ties)
{
    uint64_t x = 0x0123456789abcdefu;
    for (int i = 0; i < 20000; i++) {
        uint64_t c = (UINT64_C(1) << 52 | next(&x)) & ((UINT64_C(1) << 53) - 1);
        check(ldexp((double)(c | 1), -2));
    }
}
END_TEST

/* Decimals of 1 to 17 digits and what strtod makes of them: values whose
 * shortest form is short, like the ones people store, and ties. */
START_TEST(test_dtoa_random_decimals)
{
    uint64_t x = 0x1234567887654321u;
    for (int i = 0; i < 200000; i++) {
        uint64_t r = next(&x), p = 1;
        int n = 1 + (int)(r % 17);
        for (int j = 0; j < n; j++)
            p *= 10;
        /* the exponent of the last digit: mostly near 0, else anywhere */
        int e = (r >> 8 & 1) != 0 ? (int)((r >> 16) % 41) - 20 : (int)((r >> 16) % 641) - 330;
        char s[48];
        snprintf(s, sizeof s, "%" PRIu64 "e%d", next(&x) % p, e);
        double a = strtod(s, NULL);
        if (a != 0 && isfinite(a))
            check(a);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dtoa");
    TCase *tc = tcase_create("shortest");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dtoa_known_outputs);
    tcase_add_test(tc, test_dtoa_limits);
    tcase_add_test(tc, test_dtoa_powers_of_two);
    tcase_add_test(tc, test_dtoa_powers_of_ten);
    tcase_add_test(tc, test_dtoa_integers_and_fractions);
    tcase_add_test(tc, test_dtoa_random_bits);
    tcase_add_test(tc, test_dtoa_random_subnormals);
    tcase_add_test(tc, test_dtoa_ties);
    tcase_add_test(tc, test_dtoa_random_decimals);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
