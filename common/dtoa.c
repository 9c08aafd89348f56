/* Shortest decimal digits of a double, by Raffaello Giulietti's Schubfach
 * ("The Schubfach way to render doubles", 2020; the algorithm of Java 19's
 * Double.toString), with Go's choice of digits rather than Java's.
 *
 * A positive double v = c * 2^q reads back from every real number of its
 * rounding interval R: from halfway to its lower neighbour to halfway to its
 * upper one, the bounds included only when c is even (round half to even).
 * At a power of two above the subnormals the lower neighbour is half as far
 * away, so R is asymmetric. The answer is the decimal in R with the fewest
 * digits, and of those the one nearest to v, the even one on a tie: what
 * Go's strconv gives for precision -1.
 *
 * Let k = floor(log10(width of R)) (3/4 of 2^q at a power of two, else
 * 2^q). At the scale 10^k, R is between 1 and 10 units wide, so it holds at
 * least one integer multiple of 10^k and at most one multiple of 10^(k+1).
 * Thus with s = floor(v / 10^k): if R holds one of the two multiples of
 * 10^(k+1) around s, that one is the answer, as every other decimal of R
 * has a digit worth 10^k or less and so more digits. (The one exception,
 * 9 * 10^k against 10^(k+1), needs s = 9, which only the subnormal
 * 2 * 2^-1074 has, and there 10^(k+1) is the nearer.) Otherwise the answer
 * is s or s + 1 times 10^k, whichever lies in R, or the nearer to v when
 * both do. No search over lengths, no bignums. Java differs only in
 * wanting at least two digits, which this file does not do: Go prints
 * 5e-324 where Java prints 4.9E-324.
 *
 * The comparisons need v and the bounds of R divided by 10^k, times 4 so
 * that the bounds (a quarter or half of 2^q away from v) are integers too.
 * Each is c' * 2^q * 10^-k for an integer c' < 2^55, computed as
 * c' * 2^h * g / 2^127 where g = floor(10^-k * 2^-r) + 1, r chosen to give
 * g 126 bits (dtoa_table.h, which common/dtoa_gen.c writes at build time
 * with exact integer arithmetic), and h in [2, 5] aligns the exponents. The
 * product is rounded to odd: its floor, with the lowest bit set when the
 * discarded fraction is not zero. That keeps every comparison with an even
 * integer (4 s, 4 (s + 1), 4 s10, ...) and every test for an exact tie as
 * it is on the exact quotient, provided the rounding is right. g exceeds
 * 10^-k * 2^-r by at most 1 and c' * 2^h < 2^60, so the computed quotient
 * exceeds the exact one by less than 2^-67: an exact integer stays one, and
 * the paper proves that with 126 bits in g no quotient of a double that is
 * not an integer comes near enough to an integer for the error to carry it
 * across or to hide its fraction in the discarded bits.
 *
 * Integers below 2^53 take a shortcut: their own digits are the shortest. */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dtoa.h"
#include "dtoa_int.h"
#include "dtoa_table.h"

__extension__ typedef unsigned __int128 u128;

/* The significand of the normal doubles with the lowest bits of each
 * binade: 2^52. */
#define C_MIN (UINT64_C(1) << 52)

/* g * cp / 2^127 rounded to odd: the floor of the quotient, its lowest bit
 * set when any bit worth 2^-63 or more of the fraction is. The bits below
 * that would hold only the error of g (g * cp exceeds the exact product by
 * less than cp < 2^60) for a quotient that is an integer, so they are left
 * out. */
static inline uint64_t rop(u128 g, uint64_t cp)
{
    u128 lo = (u128)(uint64_t)g * cp;
    u128 hi = (u128)(uint64_t)(g >> 64) * cp;
    u128 m = hi + (lo >> 64); /* floor(g * cp / 2^64) < 2^124 */
    return (uint64_t)(m >> 63) | (((uint64_t)m & (UINT64_MAX >> 1)) != 0);
}

/* The shortest decimal of c * 2^q as f * 10^*e (f may end in zeros). */
static uint64_t to_decimal(uint64_t c, int q, int *e)
{
    uint64_t excl = c & 1; /* bounds read back as the neighbours: excluded */
    uint64_t cb = c << 2, cbr = cb + 2, cbl;
    int k;
    if (c != C_MIN || q == DTOA_Q_MIN) {
        cbl = cb - 2;
        k = dtoa_log10_pow2(q);
    } else {
        cbl = cb - 1; /* the lower neighbour is half as far */
        k = dtoa_log10_3q_pow2(q);
    }
    const struct dtoa_pow10 *p = &dtoa_pow10[k - DTOA_K_MIN];
    u128 g = (u128)p->hi << 64 | p->lo;
    int h = q + dtoa_log2_pow10(-k) + 2;
    /* v, the lower and the upper bound of R, times 4 / 10^k, rounded to odd */
    uint64_t vb = rop(g, cb << h), vbl = rop(g, cbl << h), vbr = rop(g, cbr << h);
    uint64_t s = vb >> 2, t = s + 1;
    *e = k;

    uint64_t s10 = s / 10 * 10, t10 = s10 + 10;
    bool s10_in = vbl + excl <= s10 << 2, t10_in = (t10 << 2) + excl <= vbr;
    if (s10_in != t10_in) /* both cannot be: R is narrower than 10 */
        return s10_in ? s10 : t10;

    bool s_in = vbl + excl <= s << 2, t_in = (t << 2) + excl <= vbr;
    if (s_in != t_in)
        return s_in ? s : t;
    uint64_t mid = (s + t) << 1; /* (s + 1/2) * 4 */
    return vb < mid || (vb == mid && (s & 1) == 0) ? s : t;
}

/* Writes the 8 decimal digits of @v < 10^8, leading zeros included, in
 * independent halves and quarters rather than one long chain of divisions. */
static inline void put8(char *p, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    uint32_t q[4] = {hi / 100, hi % 100, lo / 100, lo % 100};
    for (int i = 0; i < 4; i++) {
        p[2 * i] = (char)('0' + q[i] / 10);
        p[2 * i + 1] = (char)('0' + q[i] % 10);
    }
}

int st_dtoa_shortest(double a, char d[ST_DTOA_DIGITS], int *e10)
{
    assert(a > 0 && isfinite(a));
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    uint64_t c = bits & (C_MIN - 1);
    int be = (int)(bits >> 52 & 0x7ff);
    int q = DTOA_Q_MIN;
    if (be != 0) {
        c |= C_MIN;
        q = be + DTOA_Q_MIN - 1;
    }

    uint64_t f;
    int e = 0;
    if (q < 0 && q > -53 && (c & ((UINT64_C(1) << -q) - 1)) == 0)
        f = c >> -q; /* an integer below 2^53: nothing shorter is as near */
    else
        f = to_decimal(c, q, &e);

    /* f < 10^17: its 17 digits with leading zeros, then trimmed both ways */
    char t[ST_DTOA_DIGITS];
    uint64_t hi = f / 100000000;
    t[0] = (char)('0' + hi / 100000000);
    put8(t + 1, (uint32_t)(hi % 100000000));
    put8(t + 9, (uint32_t)(f - hi * 100000000));
    int first = hi == 0 ? 9 : 0, last = ST_DTOA_DIGITS - 1;
    while (t[first] == '0')
        first++;
    while (t[last] == '0')
        last--;
    int n = last - first + 1;
    memcpy(d, t + first, (size_t)n);
    *e10 = e + ST_DTOA_DIGITS - 1 - first;
    return n;
}
