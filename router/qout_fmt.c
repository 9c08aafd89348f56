/* Values of /query answers formatted as Go formats them in InfluxDB 1.x.
 *
 * Floats: Go prints the shortest decimal that reads back as the same
 * float64, the nearest one when two have that length (strconv, precision
 * -1). The digits come from common/dtoa.c (Schubfach: a few 128-bit
 * multiplications against a table of powers of ten, exact for every
 * double, subnormals and the asymmetric intervals at powers of two
 * included); this file only lays them out in Go's 'f' and 'e' formats.
 *
 * Times: nanoseconds split with floor division into days and the time of
 * day; the civil date comes from Howard Hinnant's days_from_civil inverse.
 * An int64 of nanoseconds spans the years 1677 to 2262, so the year always
 * has four digits, as Go prints years 0 to 9999.
 */
#include <math.h>
#include <string.h>

#include "dtoa.h"
#include "err.h"
#include "influxql.h"
#include "qout_int.h"
#include "tz.h"

/* Digits of a positive finite double: d[0..n), value d0.d1d2... * 10^e. */
struct digits {
    char d[ST_DTOA_DIGITS];
    int n;
    int e;
};

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
    int e = x->e < 0 ? -x->e : x->e;
    p[k++] = 'e';
    p[k++] = x->e < 0 ? '-' : '+';
    if (e >= 100)
        p[k++] = (char)('0' + e / 100);
    if (e >= 10 || x->e >= 0)
        p[k++] = (char)('0' + e / 10 % 10);
    p[k++] = (char)('0' + e % 10);
    return k;
}

static int put_float(struct st_buf *b, double v, bool json)
{
    char p[FLOAT_MAX];
    struct digits x = {.d = "0", .n = 1, .e = 0};
    double a = fabs(v);
    if (a != 0)
        x.n = st_dtoa_shortest(a, x.d, &x.e);
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
