/* Time zones from TZif files (RFC 8536), read as Go's time package reads
 * them: the v2+ 64-bit data when present (else the v1 32-bit data), leap
 * seconds ignored, and the footer's POSIX TZ rule for instants at or after
 * the last transition. Before the first transition the zone is Go's "first
 * zone" (the first standard-time type). */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

#define NS 1000000000LL
#define MIN_TIME (INT64_MIN + 2) /* influxql.MinTime */
#define MAX_TIME (INT64_MAX - 1) /* influxql.MaxTime */
#define MAX_FILE (256 * 1024)

/* One date of a POSIX rule: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d. */
struct tz_date {
    char kind; /* 'J', 'n' or 'M' */
    int day, week, mon;
    int32_t time; /* seconds after local midnight (may be negative or > 24 h) */
};

struct tz_rule {
    bool ok;                  /* the footer parsed */
    bool has_dst;             /* else a fixed offset */
    int32_t std_off, dst_off; /* seconds east of UTC */
    struct tz_date start, end;
};

struct st_tz {
    int64_t *tx;      /* transition instants, ascending */
    uint8_t *tx_type; /* the type in force from tx[i] */
    size_t ntx;
    int32_t *off; /* per type: UTC offset */
    bool *dst;    /* per type: is DST */
    size_t ntypes;
    size_t first; /* the type before the first transition */
    struct tz_rule rule;
};

/* ---- POSIX TZ rules ------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const char *rule_name(const char *s)
{
    if (*s == '<') {
        const char *e = strchr(s, '>');
        return e != NULL && e > s + 1 ? e + 1 : NULL;
    }
    const char *p = s;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

static const char *rule_num(const char *s, int max, int *out)
{
    int v = 0, n = 0;
    while (is_digit(*s) && n < 4)
        v = v * 10 + (*s++ - '0'), n++;
    if (n == 0 || v > max)
        return NULL;
    *out = v;
    return s;
}

/* [+-]hh[:mm[:ss]] in seconds; hours up to 167 (Go's limit). */
static const char *rule_time(const char *s, int32_t *out)
{
    int sign = 1, h, m = 0, sec = 0;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if ((s = rule_num(s, 167, &h)) == NULL)
        return NULL;
    if (*s == ':' && (s = rule_num(s + 1, 59, &m)) != NULL && *s == ':')
        s = rule_num(s + 1, 59, &sec);
    if (s == NULL)
        return NULL;
    *out = sign * (h * 3600 + m * 60 + sec);
    return s;
}

static const char *rule_date(const char *s, struct tz_date *d)
{
    d->time = 7200;
    if (*s == 'J') {
        d->kind = 'J';
        if ((s = rule_num(s + 1, 365, &d->day)) == NULL || d->day < 1)
            return NULL;
    } else if (*s == 'M') {
        d->kind = 'M';
        if ((s = rule_num(s + 1, 12, &d->mon)) == NULL || d->mon < 1 || *s != '.' ||
            (s = rule_num(s + 1, 5, &d->week)) == NULL || d->week < 1 || *s != '.' ||
            (s = rule_num(s + 1, 6, &d->day)) == NULL)
            return NULL;
    } else {
        d->kind = 'n';
        if ((s = rule_num(s, 365, &d->day)) == NULL)
            return NULL;
    }
    if (*s == '/')
        s = rule_time(s + 1, &d->time);
    return s;
}

static void parse_rule(const char *s, struct tz_rule *r)
{
    memset(r, 0, sizeof(*r));
    int32_t t;
    if ((s = rule_name(s)) == NULL || (s = rule_time(s, &t)) == NULL)
        return;
    r->std_off = -t; /* POSIX offsets count west of UTC */
    if (*s == '\0') {
        r->ok = true;
        return;
    }
    if ((s = rule_name(s)) == NULL)
        return;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*s != ',' && *s != '\0') {
        if ((s = rule_time(s, &t)) == NULL)
            return;
        r->dst_off = -t;
    }
    if (*s == '\0')
        s = ",M3.2.0,M11.1.0"; /* Go's default rule */
    if (*s != ',' || (s = rule_date(s + 1, &r->start)) == NULL || *s != ',' ||
        (s = rule_date(s + 1, &r->end)) == NULL || *s != '\0')
        return;
    r->ok = true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void st_tz_civil(int64_t days, int *year, int *month, int *day)
{
    /* civil_from_days (H. Hinnant's algorithm) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (*month <= 2));
}

static int64_t year_of_days(int64_t days)
{
    int y, m, d;
    st_tz_civil(days, &y, &m, &d);
    return y;
}

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Local seconds (since 1970 on the zone's clock) of date @d in year @y. */
static int64_t date_local(const struct tz_date *d, int64_t y)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day;
    if (d->kind == 'J') {
        day = days_from_civil(y, 1, 1) + d->day - 1 + (is_leap(y) && d->day >= 60);
    } else if (d->kind == 'n') {
        day = days_from_civil(y, 1, 1) + d->day;
    } else {
        int64_t first = days_from_civil(y, d->mon, 1);
        int dow = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
        int dom = ((d->day - dow) % 7 + 7) % 7;     /* 0-based day of the first such weekday */
        int len = mdays[d->mon - 1] + (d->mon == 2 && is_leap(y));
        for (int w = 1; w < d->week && dom + 7 < len; w++)
            dom += 7;
        day = first + dom;
    }
    return day * 86400 + d->time;
}

/* The offset of rule @r at @sec and the period [*@from, *@to) it holds for. */
static int32_t rule_lookup(const struct tz_rule *r, int64_t sec, int64_t *from, int64_t *to)
{
    if (!r->has_dst) {
        *from = INT64_MIN;
        *to = INT64_MAX;
        return r->std_off;
    }
    /* The changes of the years around @sec, in time order (an end before a
     * start at the same instant, so the start wins). */
    struct {
        int64_t at;
        int32_t off;
    } ev[6];
    int64_t y = year_of_days((sec + r->std_off) / 86400 - ((sec + r->std_off) % 86400 < 0));
    int n = 0;
    for (int64_t k = y - 1; k <= y + 1; k++) {
        ev[n].at = date_local(&r->end, k) - r->dst_off;
        ev[n++].off = r->std_off;
        ev[n].at = date_local(&r->start, k) - r->std_off;
        ev[n++].off = r->dst_off;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && ev[j - 1].at > ev[j].at; j--) {
            int64_t a = ev[j].at;
            int32_t o = ev[j].off;
            ev[j] = ev[j - 1];
            ev[j - 1].at = a;
            ev[j - 1].off = o;
        }
    int i = n - 1;
    while (i >= 0 && ev[i].at > sec)
        i--;
    *from = i >= 0 ? ev[i].at : INT64_MIN;
    *to = i + 1 < n ? ev[i + 1].at : INT64_MAX;
    /* Before the first change of year y - 1 (not reached for a sane @sec):
     * the offset the first change leaves. */
    return i >= 0 ? ev[i].off : (ev[0].off == r->std_off ? r->dst_off : r->std_off);
}

/* ---- Lookup ---------------------------------------------------------------- */

/* The offset at @sec and the period [*@from, *@to) it holds for. */
static int32_t lookup(const struct st_tz *z, int64_t sec, int64_t *from, int64_t *to)
{
    *from = INT64_MIN;
    *to = INT64_MAX;
    if (z == NULL)
        return 0;
    if (z->ntx == 0 || sec < z->tx[0]) {
        if (z->ntx > 0)
            *to = z->tx[0];
        return z->off[z->first];
    }
    size_t lo = 0, hi = z->ntx; /* the last transition <= sec */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sec < z->tx[mid]) {
            *to = z->tx[mid];
            hi = mid;
        } else {
            lo = mid;
        }
    }
    *from = z->tx[lo];
    if (lo == z->ntx - 1 && z->rule.ok) {
        int64_t rf, rt;
        int32_t off = rule_lookup(&z->rule, sec, &rf, &rt);
        *from = rf > *from ? rf : *from;
        *to = rt;
        return off;
    }
    return z->off[z->tx_type[lo]];
}

int32_t st_tz_offset(const struct st_tz *z, int64_t sec)
{
    int64_t from, to;
    return lookup(z, sec, &from, &to);
}

int64_t st_tz_offset_ns(const struct st_tz *z, int64_t ns)
{
    if (z == NULL)
        return 0;
    int64_t sec = ns / NS - (ns % NS < 0); /* Go's time.Unix(0, ns): floor */
    return (int64_t)st_tz_offset(z, sec) * NS;
}

int64_t st_tz_from_local(const struct st_tz *z, int64_t local)
{
    int64_t from, to;
    int32_t off = lookup(z, local, &from, &to);
    if (off != 0) {
        int64_t utc = local - off;
        if (utc < from || utc >= to)
            off = st_tz_offset(z, utc);
    }
    return local - off;
}

void st_tz_window(const struct st_tz *z, int64_t interval, int64_t offset, int64_t t,
                  int64_t *start, int64_t *end)
{
    t -= offset;
    int64_t zone = st_tz_offset_ns(z, t);
    __int128 dt = ((__int128)t + zone) % interval;
    if (dt < 0)
        dt += interval;
    int64_t s = (__int128)MIN_TIME + dt >= t ? MIN_TIME : (int64_t)(t - dt);
    if (z != NULL) {
        int64_t o = zone - st_tz_offset_ns(z, s); /* a change between s and t */
        if (o != 0 && (o < 0 ? -o : o) < interval && s != MIN_TIME)
            s += o;
    }
    int64_t rest = (int64_t)(interval - dt);
    int64_t e = (__int128)MAX_TIME - rest <= t ? MAX_TIME : t + rest;
    if (z != NULL && e != MAX_TIME) {
        int64_t eo = st_tz_offset_ns(z, e);
        int64_t o = zone - eo;
        /* Clocks going back: the repeated time belongs to this window;
         * forward: move the end back only when the change is inside it. */
        if (o != 0 && (o < 0 ? -o : o) < interval && (o > 0 || st_tz_offset_ns(z, e + o) == eo))
            e += o;
    }
    *start = s + offset;
    *end = e > MAX_TIME - offset ? MAX_TIME : e + offset; /* Go wraps; we saturate */
}

/* ---- Loading --------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses TZif data @p (@n bytes) into @z. */
static int parse(const unsigned char *p, size_t n, struct st_tz *z)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return ST_ECORRUPT;
    bool v2 = p[4] >= '2';
    size_t tsize = 4;
    for (int pass = 0; pass < 2; pass++) {
        if (n < 44 || memcmp(p, "TZif", 4) != 0)
            return ST_ECORRUPT;
        size_t isut = be32(p + 20), isstd = be32(p + 24), leap = be32(p + 28);
        size_t ntx = be32(p + 32), ntypes = be32(p + 36), nchars = be32(p + 40);
        size_t len = ntx * tsize + ntx + ntypes * 6 + nchars + leap * (tsize + 4) + isstd + isut;
        if (ntypes == 0 || ntypes > 256 || ntx > MAX_FILE || len > n - 44)
            return ST_ECORRUPT;
        if (v2 && pass == 0) { /* skip the 32-bit data */
            p += 44 + len;
            n -= 44 + len;
            tsize = 8;
            continue;
        }
        const unsigned char *d = p + 44;
        z->tx = malloc((ntx ? ntx : 1) * sizeof(*z->tx));
        z->tx_type = malloc(ntx ? ntx : 1);
        z->off = malloc(ntypes * sizeof(*z->off));
        z->dst = malloc(ntypes * sizeof(*z->dst));
        if (z->tx == NULL || z->tx_type == NULL || z->off == NULL || z->dst == NULL)
            return ST_ENOMEM;
        for (size_t i = 0; i < ntx; i++) {
            z->tx[i] = tsize == 8 ? be64(d + i * 8) : (int32_t)be32(d + i * 4);
            z->tx_type[i] = d[ntx * tsize + i];
            if (z->tx_type[i] >= ntypes || (i > 0 && z->tx[i] < z->tx[i - 1]))
                return ST_ECORRUPT;
        }
        const unsigned char *ti = d + ntx * tsize + ntx;
        for (size_t i = 0; i < ntypes; i++) {
            z->off[i] = (int32_t)be32(ti + i * 6);
            z->dst[i] = ti[i * 6 + 4] != 0;
        }
        z->ntx = ntx;
        z->ntypes = ntypes;
        /* Go's lookupFirstZone: type 0 unless a transition uses it; then
         * the standard type before the first transition's DST type, or
         * the first standard type. */
        bool used = false;
        for (size_t i = 0; i < ntx && !used; i++)
            used = z->tx_type[i] == 0;
        z->first = 0;
        if (used) {
            bool found = false;
            if (ntx > 0 && z->dst[z->tx_type[0]])
                for (size_t i = z->tx_type[0]; i-- > 0 && !found;)
                    if (!z->dst[i])
                        z->first = i, found = true;
            for (size_t i = 0; i < ntypes && !found; i++)
                if (!z->dst[i])
                    z->first = i, found = true;
        }
        /* The footer: "\n<rule>\n" after the v2+ data. */
        const unsigned char *f = d + len, *fe = p + n;
        if (v2 && f < fe && *f == '\n') {
            const unsigned char *nl = memchr(f + 1, '\n', (size_t)(fe - f - 1));
            if (nl != NULL && nl - f - 1 < 128) {
                char rule[128];
                memcpy(rule, f + 1, (size_t)(nl - f - 1));
                rule[nl - f - 1] = '\0';
                parse_rule(rule, &z->rule);
            }
        }
        return ST_OK;
    }
    return ST_ECORRUPT;
}

/* Reads @path whole into a new buffer. */
static int read_file(const char *path, unsigned char **out, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOMEM ? ST_ENOMEM : ST_ENOTFOUND;
    unsigned char *b = malloc(MAX_FILE);
    size_t len = 0;
    int rv = b == NULL ? ST_ENOMEM : ST_OK;
    while (rv == ST_OK && len < MAX_FILE) {
        ssize_t got = read(fd, b + len, MAX_FILE - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rv = ST_ENOTFOUND; /* a directory, say */
        else if (got == 0)
            break;
        else
            len += (size_t)got;
    }
    close(fd);
    if (rv != ST_OK) {
        free(b);
        return rv;
    }
    *out = b;
    *n = len;
    return ST_OK;
}

int st_tz_load(const char *name, struct st_tz **out)
{
    static const char *const dirs[] = {"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/",
                                       "/usr/lib/locale/TZ/"};
    *out = NULL;
    if (name[0] == '\0' || strcmp(name, "UTC") == 0)
        return ST_OK;
    bool local = strcmp(name, "Local") == 0;
    if (strstr(name, "..") != NULL || name[0] == '/' || name[0] == '\\')
        return ST_ENOTFOUND;
    unsigned char *data = NULL;
    size_t n = 0;
    int rv = ST_ENOTFOUND;
    if (local) {
        rv = read_file("/etc/localtime", &data, &n);
        if (rv == ST_ENOTFOUND)
            return ST_OK; /* Go: UTC */
    }
    for (size_t i = 0; !local && rv == ST_ENOTFOUND && i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[512];
        size_t dl = strlen(dirs[i]), nl = strlen(name);
        if (dl + nl >= sizeof path)
            break;
        memcpy(path, dirs[i], dl);
        memcpy(path + dl, name, nl + 1);
        rv = read_file(path, &data, &n);
    }
    if (rv != ST_OK)
        return rv;
    struct st_tz *z = calloc(1, sizeof(*z));
    rv = z == NULL ? ST_ENOMEM : parse(data, n, z);
    free(data);
    if (rv != ST_OK) {
        st_tz_free(z);
        return rv;
    }
    *out = z;
    return ST_OK;
}

void st_tz_free(struct st_tz *z)
{
    if (z == NULL)
        return;
    free(z->tx);
    free(z->tx_type);
    free(z->off);
    free(z->dst);
    free(z);
}
