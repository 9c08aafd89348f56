/* Numeric field values and timestamp precisions.
 *
 * Scanning follows InfluxDB 1.x's scanNumber byte for byte, so the same input
 * is accepted or refused with the same reason: a value starts with a digit,
 * '.', '-', 'N' or 'n'; 'i' and 'u' suffixes make integers and unsigned
 * integers; 'e'/'E' anywhere after the first byte makes it scientific; '+'
 * and '-' are allowed only after an 'e'. Conversion is exact: integers by
 * overflow-checked accumulation, floats by the exact fast path (at most 15
 * significant digits and a power of ten up to 22, both exactly representable
 * in a double, so one IEEE multiply or divide rounds correctly) and otherwise
 * by glibc's correctly rounded strtod on a stack copy. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lineproto_int.h"

static inline int is_numeric(char c)
{
    return (c >= '0' && c <= '9') || c == '.';
}

static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Parses a float with Go's strconv.ParseFloat syntax restricted to what the
 * scanner lets through: [-]digits[.digits][(e|E)[+-]digits]. Returns 0 and
 * stores the value, or -1 for a syntax error or an overflow (both reported
 * by InfluxDB as "invalid float"). */
static int parse_float(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    uint64_t mant = 0;
    int digits = 0, frac_digits = 0, saw_digit = 0, saw_dot = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            saw_digit = 1;
            if (mant == 0 && c == '0') {
                if (saw_dot)
                    frac_digits++;
                continue; /* leading zeros are not significant */
            }
            if (digits < 19)
                mant = mant * 10 + (uint64_t)(c - '0');
            digits++;
            if (saw_dot)
                frac_digits++;
        } else if (c == '.' && !saw_dot) {
            saw_dot = 1;
        } else {
            break;
        }
    }
    if (!saw_digit)
        return -1;
    int exp10 = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9')
            return -1;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (exp10 < 100000)
                exp10 = exp10 * 10 + (s[i] - '0');
        if (eneg)
            exp10 = -exp10;
    }
    if (i != n)
        return -1;

    int e = exp10 - frac_digits;
    if (digits <= 15 && e >= -22 && e <= 22) {
        double v = (double)mant;
        v = e < 0 ? v / pow10_exact[-e] : v * pow10_exact[e];
        *out = neg ? -v : v;
        return 0;
    }

    /* Slow path: correctly rounded strtod on a NUL-terminated copy. */
    char stackbuf[128];
    char *tmp = stackbuf;
    if (n >= sizeof(stackbuf)) {
        tmp = malloc(n + 1); /* only for pathological >127-byte numbers */
        if (tmp == NULL)
            return -1; /* UNTESTED: out of memory reads as a bad number */
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *endp;
    errno = 0;
    double v = strtod(tmp, &endp);
    int ok = endp == tmp + n && !isinf(v);
    if (tmp != stackbuf)
        free(tmp);
    if (!ok)
        return -1;
    *out = v;
    return 0;
}

/* Accumulates decimal digits into a uint64; -1 on overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static inline int is_delim(const char *buf, size_t n, size_t j)
{
    return j >= n || buf[j] == ',' || buf[j] == ' ';
}

/* The common shapes, "-?d{1,18}i" and "-?d{1,15}(.d*)?" with at most 15
 * significant digits, read in one pass. Returns 1 when it stored the value
 * (which is then exactly what the full scan would give), 0 to fall back. */
static inline int scan_number_fast(const char *buf, size_t n, size_t i, size_t *end,
                                   struct st_lp_field *f)
{
    size_t j = i;
    int neg = buf[j] == '-';
    j += (size_t)neg;
    size_t d0 = j;
    uint64_t v = 0;
    while (j < n && (unsigned)(buf[j] - '0') < 10 && j - d0 < 19) {
        v = v * 10 + (uint64_t)(buf[j] - '0');
        j++;
    }
    size_t digits = j - d0;
    if (digits == 0 || digits > 18)
        return 0;
    if (j < n && buf[j] == 'i' && is_delim(buf, n, j + 1)) {
        f->type = ST_FIELD_INTEGER;
        f->v.i = neg ? -(int64_t)v : (int64_t)v;
        *end = j + 1;
        return 1;
    }
    size_t frac = 0;
    if (j < n && buf[j] == '.') {
        size_t k = ++j;
        while (j < n && (unsigned)(buf[j] - '0') < 10 && digits + (j - k) < 16) {
            v = v * 10 + (uint64_t)(buf[j] - '0');
            j++;
        }
        frac = j - k;
    }
    if (digits + frac > 15 || !is_delim(buf, n, j))
        return 0;
    double d = (double)v / pow10_exact[frac];
    f->type = ST_FIELD_FLOAT;
    f->v.f = neg ? -d : d;
    *end = j;
    return 1;
}

const char *st_lp_scan_number(const char *buf, size_t n, size_t i, size_t *end,
                              struct st_lp_field *f, char *reason, size_t cap)
{
    if (scan_number_fast(buf, n, i, end, f))
        return NULL;
    return st_lp_scan_number_full(buf, n, i, end, f, reason, cap);
}

const char *st_lp_scan_number_full(const char *buf, size_t n, size_t i, size_t *end,
                                   struct st_lp_field *f, char *reason, size_t cap)
{
    static const char invalid_number[] = "invalid number";
    size_t start = i;
    int is_int = 0, is_uint = 0, decimal = 0, scientific = 0;

    if (i < n && buf[i] == '-') {
        i++;
        if (i == n)
            return invalid_number;
    }
    for (; i < n; i++) {
        char c = buf[i];
        if (c == ',' || c == ' ')
            break;
        if (c == 'i' && i > start && !(is_int || is_uint)) {
            is_int = 1;
            continue;
        }
        if (c == 'u' && i > start && !(is_int || is_uint)) {
            is_uint = 1;
            continue;
        }
        if (c == '.') {
            if (decimal) {
                *end = i;
                return invalid_number;
            }
            decimal = 1;
        }
        if (i > start && (c == 'e' || c == 'E')) {
            scientific = 1;
            continue;
        }
        if ((c == '+' || c == '-') && (buf[i - 1] == 'e' || buf[i - 1] == 'E'))
            continue;
        if (!is_numeric(c)) {
            *end = i;
            return invalid_number;
        }
    }
    *end = i;
    if ((is_int || is_uint) && (decimal || scientific))
        return invalid_number;
    size_t digits = i - start;
    if (is_int)
        digits--;
    if (decimal)
        digits--;
    if (buf[start] == '-')
        digits--;
    if (digits == 0)
        return invalid_number;

    if (is_int || is_uint) {
        if (buf[i - 1] != (is_int ? 'i' : 'u'))
            return invalid_number;
        const char *d = buf + start;
        size_t dn = i - 1 - start;
        int neg = d[0] == '-';
        if (is_uint && neg)
            return invalid_number;
        uint64_t mag;
        int bad = parse_u64(d + neg, dn - (size_t)neg, &mag) != 0;
        if (is_int && !bad)
            bad = neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX;
        if (bad) {
            snprintf(reason, cap,
                     "unable to parse %s %.*s: strconv.Parse%s: parsing \"%.*s\": "
                     "value out of range",
                     is_int ? "integer" : "unsigned", (int)dn, d, is_int ? "Int" : "Uint", (int)dn,
                     d);
            return reason;
        }
        if (is_int) {
            f->type = ST_FIELD_INTEGER;
            f->v.i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        } else {
            f->type = ST_FIELD_UNSIGNED;
            f->v.u = mag;
        }
        return NULL;
    }
    f->type = ST_FIELD_FLOAT;
    if (parse_float(buf + start, i - start, &f->v.f) != 0)
        return "invalid float";
    return NULL;
}

int st_precision_parse(const char *s, enum st_precision *out)
{
    static const struct {
        const char *name;
        enum st_precision p;
    } names[] = {
        {"", ST_PRECISION_NS},  {"n", ST_PRECISION_NS},  {"ns", ST_PRECISION_NS},
        {"u", ST_PRECISION_US}, {"us", ST_PRECISION_US}, {"ms", ST_PRECISION_MS},
        {"s", ST_PRECISION_S},  {"m", ST_PRECISION_M},   {"h", ST_PRECISION_H},
    };
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        if (strcmp(s, names[k].name) == 0) {
            *out = names[k].p;
            return ST_OK;
        }
    }
    return ST_EINVAL;
}

int64_t st_precision_ns(enum st_precision p)
{
    switch (p) {
    case ST_PRECISION_US:
        return 1000;
    case ST_PRECISION_MS:
        return 1000000;
    case ST_PRECISION_S:
        return 1000000000;
    case ST_PRECISION_M:
        return 60LL * 1000000000;
    case ST_PRECISION_H:
        return 3600LL * 1000000000;
    case ST_PRECISION_NS:
    default:
        return 1;
    }
}

const char *st_field_type_name(enum st_field_type t)
{
    switch (t) {
    case ST_FIELD_FLOAT:
        return "float";
    case ST_FIELD_INTEGER:
        return "integer";
    case ST_FIELD_UNSIGNED:
        return "unsigned";
    case ST_FIELD_STRING:
        return "string";
    case ST_FIELD_BOOLEAN:
        return "boolean";
    }
    return "unknown";
}
