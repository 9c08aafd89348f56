/* Shortest decimal digits of a double, as Go's strconv.FormatFloat(v, 'e', -1, 64) picks them
 * (st_dtoa_). */
#ifndef ST_DTOA_H
#define ST_DTOA_H

/* Most digits the shortest form of a double ever needs. */
#define ST_DTOA_DIGITS 17

/* Writes to @d the shortest decimal that reads back (round to nearest, ties
 * to even) as @a, a positive finite nonzero double, and returns its number
 * of digits n: @a reads back from d[0].d[1]...d[n-1] * 10^*e10. Of the
 * decimals of that length that read back, it is the one nearest to the
 * exact value of @a, the even one on a tie. d[0] is not '0', d[n-1] is not
 * '0' (n > 1), and @d is not NUL-terminated. */
int st_dtoa_shortest(double a, char d[ST_DTOA_DIGITS], int *e10);

#endif
