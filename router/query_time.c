/* The time range of a WHERE clause, and time literals.
 *
 * InfluxDB takes the time range from the comparisons of `time` joined by
 * AND at the top of the condition (inside parentheses too): time > t,
 * time >= t, time < t, time <= t, time = t, with t a string ('2020-01-01T
 * 00:00:00Z', '2020-01-01 00:00:00', '2020-01-01'), an integer or duration
 * (ns since the epoch), now(), or sums and differences of those with
 * durations. A strict bound moves by 1 ns to make it inclusive. A time
 * comparison under OR is an error, as in InfluxDB ("invalid time
 * condition"? InfluxDB 1.6 answers differently depending on the shape; we
 * refuse every such query with one message).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "query_int.h"

static bool is_time_ref(const struct st_iql_expr *e)
{
    while (e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    return e->kind == ST_IQL_E_VARREF && strcasecmp(e->name, "time") == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int rq_parse_time(const char *s, const struct st_tz *tz, int64_t *ns)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    size_t len = strlen(s);
    if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return ST_EINVAL;
    const char *p = s + 10;
    int64_t frac = 0, zone = 0;
    bool local = true; /* no zone in the text: a wall-clock time of @tz */
    if (*p != '\0') {
        if ((*p != 'T' && *p != ' ') || strlen(p) < 9 || !digits(p + 1, 2, &h) || p[3] != ':' ||
            !digits(p + 4, 2, &mi) || p[6] != ':' || !digits(p + 7, 2, &sec))
            return ST_EINVAL;
        bool rfc = *p == 'T';
        p += 9;
        if (*p == '.') {
            p++;
            int n = 0;
            while (*p >= '0' && *p <= '9') {
                if (n < 9)
                    frac = frac * 10 + (*p - '0');
                n++;
                p++;
            }
            if (n == 0)
                return ST_EINVAL;
            for (; n < 9; n++)
                frac *= 10;
        }
        if (rfc) {
            local = false;
            if (*p == 'Z' || *p == 'z') {
                p++;
            } else if (*p == '+' || *p == '-') {
                int zh, zm;
                if (!digits(p + 1, 2, &zh) || p[3] != ':' || !digits(p + 4, 2, &zm))
                    return ST_EINVAL;
                zone = (int64_t)(zh * 3600 + zm * 60) * (*p == '-' ? -1 : 1);
                p += 6;
            } else {
                return ST_EINVAL;
            }
        }
        if (*p != '\0')
            return ST_EINVAL;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return ST_EINVAL;
    int64_t secs =
        days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - zone;
    if (local && tz != NULL)
        secs = st_tz_from_local(tz, secs);
    if (secs > INT64_MAX / 1000000000 - 1 || secs < INT64_MIN / 1000000000 + 1)
        return ST_EINVAL;
    *ns = secs * 1000000000 + frac;
    return ST_OK;
}

void rq_window(const struct rq_plan *p, int64_t t, int64_t *start, int64_t *end)
{
    st_tz_window(p->tz, p->interval, p->offset, t, start, end);
}

/* The value of a time operand in ns. */
static int time_value(struct rq_plan *p, const struct st_iql_expr *e, int64_t now, int64_t *out)
{
    switch (e->kind) {
    case ST_IQL_E_PAREN:
        return time_value(p, e->lhs, now, out);
    case ST_IQL_E_STRING:
        if (rq_parse_time(e->str, p->tz, out) != ST_OK)
            return rq_fail(
                p, "invalid operation: time and *influxql.StringLiteral are not compatible");
        return ST_OK;
    case ST_IQL_E_INTEGER:
    case ST_IQL_E_DURATION:
        *out = e->i;
        return ST_OK;
    case ST_IQL_E_NUMBER:
        *out = (int64_t)e->f;
        return ST_OK;
    case ST_IQL_E_CALL:
        if (strcmp(e->name, "now") == 0 && e->nargs == 0) {
            *out = now;
            return ST_OK;
        }
        break;
    case ST_IQL_E_BINARY:
        if (e->op == ST_IQL_OP_ADD || e->op == ST_IQL_OP_SUB) {
            int64_t a, b;
            int rv = time_value(p, e->lhs, now, &a);
            if (rv == ST_OK)
                rv = time_value(p, e->rhs, now, &b);
            if (rv == ST_OK)
                *out = e->op == ST_IQL_OP_ADD ? a + b : a - b;
            return rv;
        }
        break;
    default:
        break;
    }
    return rq_fail(p, "invalid time comparison");
}

static enum st_iql_op flip(enum st_iql_op op)
{
    switch (op) {
    case ST_IQL_OP_LT:
        return ST_IQL_OP_GT;
    case ST_IQL_OP_LTE:
        return ST_IQL_OP_GTE;
    case ST_IQL_OP_GT:
        return ST_IQL_OP_LT;
    case ST_IQL_OP_GTE:
        return ST_IQL_OP_LTE;
    default:
        return op;
    }
}

static void lower(struct rq_plan *p, int64_t t)
{
    if (!p->has_tmin || t > p->tmin)
        p->tmin = t;
    p->has_tmin = true;
}

static void upper(struct rq_plan *p, int64_t t)
{
    if (!p->has_tmax || t < p->tmax)
        p->tmax = t;
    p->has_tmax = true;
}

static bool mentions_time(const struct st_iql_expr *e)
{
    if (e == NULL)
        return false;
    if (is_time_ref(e))
        return true;
    if (e->kind == ST_IQL_E_BINARY)
        return mentions_time(e->lhs) || mentions_time(e->rhs);
    if (e->kind == ST_IQL_E_PAREN)
        return mentions_time(e->lhs);
    return false;
}

int rq_split_time(struct rq_plan *p, const struct st_iql_expr *cond, int64_t now,
                  const struct st_iql_expr **rest)
{
    *rest = NULL;
    if (cond == NULL)
        return ST_OK;
    const struct st_iql_expr *e = cond;
    while (e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    if (e->kind == ST_IQL_E_BINARY && e->op == ST_IQL_OP_AND) {
        const struct st_iql_expr *l, *r;
        int rv = rq_split_time(p, e->lhs, now, &l);
        if (rv == ST_OK)
            rv = rq_split_time(p, e->rhs, now, &r);
        if (rv != ST_OK)
            return rv;
        if (l == NULL || r == NULL) {
            *rest = l != NULL ? l : r;
            return ST_OK;
        }
        struct st_iql_expr *n = rq_alloc(p->ar, sizeof(*n));
        if (n == NULL)
            return ST_ENOMEM;
        *n = *e;
        n->lhs = (struct st_iql_expr *)l;
        n->rhs = (struct st_iql_expr *)r;
        *rest = n;
        return ST_OK;
    }
    if (e->kind == ST_IQL_E_BINARY && (is_time_ref(e->lhs) || is_time_ref(e->rhs))) {
        bool left = is_time_ref(e->lhs);
        enum st_iql_op op = left ? e->op : flip(e->op);
        int64_t t;
        int rv = time_value(p, left ? e->rhs : e->lhs, now, &t);
        if (rv != ST_OK)
            return rv;
        switch (op) {
        case ST_IQL_OP_GT:
            lower(p, t == INT64_MAX ? t : t + 1);
            break;
        case ST_IQL_OP_GTE:
            lower(p, t);
            break;
        case ST_IQL_OP_LT:
            upper(p, t == INT64_MIN ? t : t - 1);
            break;
        case ST_IQL_OP_LTE:
            upper(p, t);
            break;
        case ST_IQL_OP_EQ:
            lower(p, t);
            upper(p, t);
            break;
        default:
            return rq_fail(p, "invalid time comparison operator: %s",
                           op == ST_IQL_OP_NEQ ? "!=" : "?");
        }
        return ST_OK;
    }
    if (mentions_time(e))
        return ST_ENOTFOUND; /* time under OR: InfluxDB 1.6 answers no series */
    *rest = e;
    return ST_OK;
}
