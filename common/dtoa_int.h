/* Private to common/dtoa.c and its table generator common/dtoa_gen.c: the
 * exponent ranges and the integer logarithms both of them rely on. */
#ifndef ST_DTOA_INT_H
#define ST_DTOA_INT_H

#include <stdint.h>

/* A positive finite double is c * 2^q with 0 < c < 2^53 and q in
 * [DTOA_Q_MIN, DTOA_Q_MAX]; c >= 2^52 unless q is DTOA_Q_MIN (subnormals). */
#define DTOA_Q_MIN (-1074)
#define DTOA_Q_MAX 971

/* The decimal exponents k that dtoa.c scales by 10^-k: floor(log10(2^q))
 * and floor(log10(3/4 * 2^q)) over the range of q. */
#define DTOA_K_MIN (-324)
#define DTOA_K_MAX 292

/* 10^-k = beta * 2^r with 2^125 <= beta < 2^126; the table holds
 * g = floor(beta) + 1 for every k, as two 64-bit halves. */
struct dtoa_pow10 {
    uint64_t hi; /* g >> 64 */
    uint64_t lo; /* the low 64 bits of g */
};

/* Integer logarithms by a multiply and a shift, with the constants
 * floor(log10(2) * 2^32), floor(log10(3/4) * 2^32) and floor(log2(10) * 2^32).
 * They are exact only over a range of arguments: dtoa_gen.c checks them with
 * exact integer arithmetic for every q in [DTOA_Q_MIN, DTOA_Q_MAX] and every
 * -k, and fails the build otherwise. The shifts of negative products rely on
 * GCC's and clang's arithmetic right shift (floor division by 2^32). */

/* floor(log10(2^q)) */
static inline int dtoa_log10_pow2(int q)
{
    return (int)((int64_t)q * 1292913986 >> 32);
}

/* floor(log10(3/4 * 2^q)) */
static inline int dtoa_log10_3q_pow2(int q)
{
    return (int)(((int64_t)q * 1292913986 - 536607788) >> 32);
}

/* floor(log2(10^e)) */
static inline int dtoa_log2_pow10(int e)
{
    return (int)((int64_t)e * 14267572527 >> 32);
}

#endif
