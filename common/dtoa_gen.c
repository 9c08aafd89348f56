/* Build-time generator of common/dtoa.c's table of powers of ten.
 *
 * Usage: dtoa_gen OUT.h. For every decimal exponent k in [DTOA_K_MIN,
 * DTOA_K_MAX] it writes g = floor(beta) + 1 where 10^-k = beta * 2^r and
 * 2^125 <= beta < 2^126, so r = floor(log2(10^-k)) - 125. The values come
 * from exact integer arithmetic on numbers of up to ~1100 bits (a small
 * bignum below): 10^-k shifted when k <= 0, and 2^-r divided by 10^k by
 * long division when k > 0. Before writing anything it also checks the
 * multiply-and-shift logarithms of dtoa_int.h against exact comparisons of
 * powers of two and ten over every exponent dtoa.c passes them, and the
 * shifts dtoa.c derives from them, so a wrong constant fails the build
 * rather than a conversion. Exits 1 on any failure. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dtoa_int.h"

__extension__ typedef unsigned __int128 u128;

/* A nonnegative integer of up to LIMBS * 32 bits, least significant first. */
#define LIMBS 48
struct big {
    uint32_t w[LIMBS];
};

static void big_set(struct big *a, uint32_t v)
{
    memset(a, 0, sizeof *a);
    a->w[0] = v;
}

/* a *= m; false when the product does not fit. */
static bool big_mul(struct big *a, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t t = (uint64_t)a->w[i] * m + carry;
        a->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    return carry == 0;
}

/* The number of bits of @a: 0 for 0. */
static int big_bits(const struct big *a)
{
    for (int i = LIMBS - 1; i >= 0; i--)
        for (int b = 31; b >= 0; b--)
            if (a->w[i] >> b & 1)
                return i * 32 + b + 1;
    return 0;
}

/* a <<= n; false when bits would be shifted out. */
static bool big_shl(struct big *a, int n)
{
    if (big_bits(a) + n > LIMBS * 32)
        return false;
    int words = n / 32, bits = n % 32;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint32_t hi = i - words >= 0 ? a->w[i - words] : 0;
        uint32_t lo = i - words - 1 >= 0 ? a->w[i - words - 1] : 0;
        a->w[i] = bits == 0 ? hi : hi << bits | lo >> (32 - bits);
    }
    return true;
}

/* a >>= n, truncating. */
static void big_shr(struct big *a, int n)
{
    int words = n / 32, bits = n % 32;
    for (int i = 0; i < LIMBS; i++) {
        uint32_t lo = i + words < LIMBS ? a->w[i + words] : 0;
        uint32_t hi = i + words + 1 < LIMBS ? a->w[i + words + 1] : 0;
        a->w[i] = bits == 0 ? lo : lo >> bits | hi << (32 - bits);
    }
}

static int big_cmp(const struct big *a, const struct big *b)
{
    for (int i = LIMBS - 1; i >= 0; i--)
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

/* a -= b, for a >= b. */
static void big_sub(struct big *a, const struct big *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t t = (uint64_t)a->w[i] - b->w[i] - borrow;
        a->w[i] = (uint32_t)t;
        borrow = t >> 63;
    }
}

/* a = m * 2^e2 * 10^e10 for e2, e10 >= 0; false when it does not fit. */
static bool big_make(struct big *a, uint32_t m, int e2, int e10)
{
    big_set(a, m);
    for (; e10 >= 9; e10 -= 9)
        if (!big_mul(a, 1000000000))
            return false;
    for (; e10 > 0; e10--)
        if (!big_mul(a, 10))
            return false;
    return big_shl(a, e2);
}

/* The low 128 bits of @a, false when it has more. */
static bool big_u128(const struct big *a, u128 *v)
{
    for (int i = 4; i < LIMBS; i++)
        if (a->w[i] != 0)
            return false;
    *v = (u128)a->w[3] << 96 | (u128)a->w[2] << 64 | (u128)a->w[1] << 32 | a->w[0];
    return true;
}

/* Sign of m * 2^e2 - 10^e10, exactly, for any signs of the exponents: the
 * negative powers move to the other side. */
static int cmp_pow(uint32_t m, int e2, int e10)
{
    struct big l, r;
    if (!big_make(&l, m, e2 > 0 ? e2 : 0, e10 < 0 ? -e10 : 0) ||
        !big_make(&r, 1, e2 < 0 ? -e2 : 0, e10 > 0 ? e10 : 0)) {
        fprintf(stderr, "dtoa_gen: bignum too small\n");
        return 2; /* neither -1, 0 nor 1: fails every check */
    }
    return big_cmp(&l, &r);
}

/* 10^k <= m * 2^e2 < 10^(k+1) */
static bool is_log10(int k, uint32_t m, int e2)
{
    int lo = cmp_pow(m, e2, k), hi = cmp_pow(m, e2, k + 1);
    return (lo == 0 || lo == 1) && hi == -1;
}

static bool check_logs(void)
{
    for (int q = DTOA_Q_MIN; q <= DTOA_Q_MAX; q++) {
        if (dtoa_log10_pow2(q) < DTOA_K_MIN || dtoa_log10_pow2(q) > DTOA_K_MAX ||
            dtoa_log10_3q_pow2(q) < DTOA_K_MIN || dtoa_log10_3q_pow2(q) > DTOA_K_MAX) {
            fprintf(stderr, "dtoa_gen: k out of the table at q = %d\n", q);
            return false;
        }
        /* dtoa.c shifts significands of up to 55 bits left by h: at most 5 */
        for (int i = 0; i < 2; i++) {
            int k = i == 0 ? dtoa_log10_pow2(q) : dtoa_log10_3q_pow2(q);
            int h = q + dtoa_log2_pow10(-k) + 2;
            if (h < 2 || h > 5) {
                fprintf(stderr, "dtoa_gen: shift %d out of [2, 5] at q = %d\n", h, q);
                return false;
            }
        }
        if (!is_log10(dtoa_log10_pow2(q), 1, q) || !is_log10(dtoa_log10_3q_pow2(q), 3, q - 2)) {
            fprintf(stderr, "dtoa_gen: a log10 of a power of two is wrong at q = %d\n", q);
            return false;
        }
    }
    for (int k = DTOA_K_MIN; k <= DTOA_K_MAX; k++) {
        int f = dtoa_log2_pow10(-k); /* 2^f <= 10^-k < 2^(f+1) */
        int lo = cmp_pow(1, f, -k), hi = cmp_pow(1, f + 1, -k);
        if (!((lo == 0 || lo == -1) && hi == 1)) {
            fprintf(stderr, "dtoa_gen: log2(10^%d) is wrong\n", -k);
            return false;
        }
    }
    return true;
}

/* g for 10^-k, as the header of this file describes it. */
static bool make_g(int k, u128 *g)
{
    int r = dtoa_log2_pow10(-k) - 125;
    struct big b;
    if (k <= 0) { /* beta = 10^-k / 2^r */
        if (!big_make(&b, 1, r < 0 ? -r : 0, -k))
            return false;
        big_shr(&b, r > 0 ? r : 0);
        if (!big_u128(&b, g))
            return false;
    } else { /* beta = 2^-r / 10^k with -r > 0: long division, bit by bit */
        struct big d, rem;
        if (!big_make(&d, 1, 0, k))
            return false;
        int top = big_bits(&d) - 1; /* 2^top < d: d is no power of two */
        big_make(&rem, 1, top, 0);  /* the quotient so far is 0 */
        u128 quot = 0;
        for (int i = top; i < -r; i++) {
            if (quot >> 127 || !big_shl(&rem, 1))
                return false;
            quot <<= 1;
            if (big_cmp(&rem, &d) >= 0) {
                big_sub(&rem, &d);
                quot |= 1;
            }
        }
        *g = quot;
    }
    if (*g >> 125 != 1) /* beta outside [2^125, 2^126) */
        return false;
    *g += 1;
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dtoa_gen OUT.h\n");
        return 1;
    }
    if (!check_logs())
        return 1;
    FILE *f = fopen(argv[1], "w");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    fprintf(f,
            "/* Generated by common/dtoa_gen.c at build time; do not edit. For k from\n"
            " * DTOA_K_MIN: floor(10^-k * 2^-r) + 1 with r chosen so that it has 126 bits. */\n"
            "static const struct dtoa_pow10 dtoa_pow10[%d] = {\n",
            DTOA_K_MAX - DTOA_K_MIN + 1);
    for (int k = DTOA_K_MIN; k <= DTOA_K_MAX; k++) {
        u128 g;
        if (!make_g(k, &g)) {
            fprintf(stderr, "dtoa_gen: cannot compute g for k = %d\n", k);
            fclose(f);
            remove(argv[1]);
            return 1;
        }
        fprintf(f, "    {0x%016llxu, 0x%016llxu}, /* %d */\n", (unsigned long long)(g >> 64),
                (unsigned long long)g, k);
    }
    fprintf(f, "};\n");
    if (fclose(f) != 0) {
        perror(argv[1]);
        remove(argv[1]);
        return 1;
    }
    return 0;
}
