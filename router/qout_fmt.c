/* Values of /query answers formatted as Go formats them in InfluxDB 1.x.
 *
 * Floats: Go prints the shortest decimal that reads back as the same
 * float64, the nearest one when two have that length (strconv, precision
 * -1). C has no such conversion, so the digits come from glibc's exactly
 * rounded printf and are checked with strtod: for a normal double any
 * decimal of at most 15 digits that reads back is the only one of its
 * length and is what %.14e rounds to (15 digits are closer together than
 * a double's rounding interval is wide), so 15 digits with trailing zeros
 * trimmed are the shortest when they read back; otherwise 16 digits (the
 * rounded ones, else their neighbour on the other side of the value, as
 * Go takes it at the edge of an asymmetric interval), otherwise 17, which
 * always read back. Subnormals have wider intervals and try every length.
 *
 * Times: nanoseconds split with floor division into days and the time of
 * day; the civil date comes from Howard Hinnant's days_from_civil inverse.
 * An int64 of nanoseconds spans the years 1677 to 2262, so the year always
 * has four digits, as Go prints years 0 to 9999.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "influxql.h"
#include "qout_int.h"
#include "tz.h"

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

static void shortest(double a, struct digits *x)
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

/* Room for any float64 in 'f' format: 309 integer digits, or "0." and 323
 * zeros and 17 digits, and a sign. */
#define FLOAT_MAX 352

static size_t fmt_f(char *p, bool neg, const struct digits *x)
{
    size_t k = 0;
    int dp = x->e + 1; /* digits before the point */
    if (neg)
        p[k++] = '-';
    if (dp <= 0) {
        p[k++] = '0';
    } else {
        for (int i = 0; i < dp; i++)
            p[k++] = i < x->n ? x->d[i] : '0';
    }
    if (dp < x->n) {
        p[k++] = '.';
        for (int i = dp; i < 0; i++)
            p[k++] = '0';
        for (int i = dp < 0 ? 0 : dp; i < x->n; i++)
            p[k++] = x->d[i];
    }
    return k;
}

/* Go's 'e' format with the exponent as encoding/json leaves it: at least
 * two digits when positive, e-07 cleaned to e-7. */
static size_t fmt_e(char *p, bool neg, const struct digits *x)
{
    size_t k = 0;
    if (neg)
        p[k++] = '-';
    p[k++] = x->d[0];
    if (x->n > 1) {
        p[k++] = '.';
        memcpy(p + k, x->d + 1, (size_t)x->n - 1);
        k += (size_t)x->n - 1;
    }
    int e = x->e;
    k += (size_t)sprintf(p + k, e < 0 ? "e-%d" : "e+%02d", e < 0 ? -e : e);
    return k;
}

static int put_float(struct st_buf *b, double v, bool json)
{
    char p[FLOAT_MAX];
    struct digits x = {.d = "0", .n = 1, .e = 0};
    double a = fabs(v);
    if (a != 0)
        shortest(a, &x);
    bool e = json && a != 0 && (a < 1e-6 || a >= 1e21);
    size_t k = e ? fmt_e(p, signbit(v), &x) : fmt_f(p, signbit(v), &x);
    return st_buf_append(b, p, k);
}

int qo_json_float(struct st_buf *b, double v)
{
    return put_float(b, v, true);
}

int qo_csv_float(struct st_buf *b, double v)
{
    if (isnan(v))
        return st_buf_puts(b, "NaN");
    if (isinf(v))
        return st_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    return put_float(b, v, false);
}

int qo_u64(struct st_buf *b, uint64_t v)
{
    char p[20];
    size_t k = sizeof p;
    do
        p[--k] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return st_buf_append(b, p + k, sizeof p - k);
}

int qo_i64(struct st_buf *b, int64_t v)
{
    if (v >= 0)
        return qo_u64(b, (uint64_t)v);
    int rv = st_buf_putc(b, '-');
    return rv == ST_OK ? qo_u64(b, -(uint64_t)v) : rv;
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

int qo_rfc3339(struct st_buf *b, int64_t ns, int32_t off)
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0)
        frac += 1000000000, sec--;
    sec += off; /* the zone's wall clock */
    int64_t days = sec / 86400, sod = sec % 86400;
    if (sod < 0)
        sod += 86400, days--;
    int year, month, day;
    st_tz_civil(days, &year, &month, &day);

    char p[32] = "0000-00-00T00:00:00";
    put2(p, year / 100);
    put2(p + 2, year % 100);
    put2(p + 5, month);
    put2(p + 8, day);
    put2(p + 11, (int)(sod / 3600));
    put2(p + 14, (int)(sod / 60 % 60));
    put2(p + 17, (int)(sod % 60));
    size_t k = 19;
    if (frac != 0) {
        p[k++] = '.';
        for (int64_t div = 100000000; frac != 0; div /= 10) {
            p[k++] = (char)('0' + frac / div);
            frac %= div;
        }
    }
    if (off == 0) {
        p[k++] = 'Z';
    } else { /* Go's Z07:00: minutes truncated, seconds dropped */
        int zm = off / 60;
        p[k++] = zm < 0 ? '-' : '+';
        zm = zm < 0 ? -zm : zm;
        put2(p + k, zm / 60 % 100);
        p[k + 2] = ':';
        put2(p + k + 3, zm % 60);
        k += 5;
    }
    return st_buf_append(b, p, k);
}

/* Go's unicode.IsSpace. */
static bool is_space(int32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}

static bool needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return false;
    if (len == 2 && s[0] == '\\' && s[1] == '.')
        return true;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    int32_t r;
    st_iql_utf8_decode((const unsigned char *)s, len, &r);
    return is_space(r);
}

int qo_csv_field(struct st_buf *b, const char *s, size_t len)
{
    if (!needs_quotes(s, len))
        return st_buf_append(b, s, len);
    int rv = st_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; rv == ST_OK && i < len; i++) {
        if (s[i] != '"')
            continue;
        rv = st_buf_append(b, s + start, i + 1 - start); /* the quote, doubled below */
        start = i;
    }
    if (rv == ST_OK)
        rv = st_buf_append(b, s + start, len - start);
    return rv == ST_OK ? st_buf_putc(b, '"') : rv;
}

int qo_tag_escape(struct st_buf *b, const char *s, size_t len)
{
    int rv = ST_OK;
    size_t start = 0;
    for (size_t i = 0; rv == ST_OK && i < len; i++) {
        if (s[i] != ',' && s[i] != '=' && s[i] != ' ')
            continue;
        rv = st_buf_append(b, s + start, i - start);
        if (rv == ST_OK)
            rv = st_buf_putc(b, '\\');
        start = i;
    }
    return rv == ST_OK ? st_buf_append(b, s + start, len - start) : rv;
}
