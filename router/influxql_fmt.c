/* Printing statements, identifiers and durations as InfluxDB 1.6 does. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "influxql_int.h"

const char *st_iql_priv_name(enum st_iql_priv p)
{
    switch (p) {
    case ST_IQL_READ:
        return "READ";
    case ST_IQL_WRITE:
        return "WRITE";
    case ST_IQL_ALL_PRIVILEGES:
        return "ALL PRIVILEGES";
    default:
        return "NO PRIVILEGES";
    }
}

static bool needs_quotes(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || iql_lookup(s, len) != T_IDENT)
        return true;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && (i == 0 || c < '0' || c > '9'))
            return true;
    }
    return false;
}

int st_iql_quote_ident(struct st_buf *out, const char *s)
{
    if (!needs_quotes(s))
        return st_buf_puts(out, s);
    int rv = st_buf_putc(out, '"');
    for (const char *c = s; rv == ST_OK && *c; c++) {
        if (*c == '\n')
            rv = st_buf_puts(out, "\\n");
        else if (*c == '\\' || *c == '"')
            rv = st_buf_printf(out, "\\%c", *c);
        else
            rv = st_buf_putc(out, *c);
    }
    return rv == ST_OK ? st_buf_putc(out, '"') : rv;
}

#define NS_US 1000LL
#define NS_MS 1000000LL
#define NS_S 1000000000LL
#define NS_M (60 * NS_S)
#define NS_H (60 * NS_M)
#define NS_D (24 * NS_H)
#define NS_W (7 * NS_D)

int st_iql_fmt_duration(struct st_buf *out, int64_t d)
{
    static const struct {
        int64_t unit;
        const char *suffix;
    } units[] = {{NS_W, "w"}, {NS_D, "d"},   {NS_H, "h"}, {NS_M, "m"},
                 {NS_S, "s"}, {NS_MS, "ms"}, {NS_US, "u"}};
    if (d == 0)
        return st_buf_puts(out, "0s");
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (d % units[i].unit == 0)
            return st_buf_printf(out, "%" PRId64 "%s", d / units[i].unit, units[i].suffix);
    return st_buf_printf(out, "%" PRId64 "ns", d);
}

/* Go's fmtFrac: writes the fraction of @v / 10^@prec before @w (omitting
 * trailing zeros, and the point if all are), returns the new start and
 * leaves the integer part in *@v. */
static char *fmt_frac(char *w, uint64_t *v, int prec)
{
    bool print = false;
    for (int i = 0; i < prec; i++) {
        unsigned digit = (unsigned)(*v % 10);
        print = print || digit != 0;
        if (print)
            *--w = (char)('0' + digit);
        *v /= 10;
    }
    if (print)
        *--w = '.';
    return w;
}

static char *fmt_int(char *w, uint64_t v)
{
    if (v == 0)
        *--w = '0';
    while (v > 0) {
        *--w = (char)('0' + v % 10);
        v /= 10;
    }
    return w;
}

int st_iql_go_duration(struct st_buf *out, int64_t d)
{
    char buf[40];
    char *end = buf + sizeof buf, *w = end;
    bool neg = d < 0;
    uint64_t u = neg ? 0 - (uint64_t)d : (uint64_t)d;
    if (u < (uint64_t)NS_S) {
        int prec;
        *--w = 's';
        if (u == 0)
            return st_buf_puts(out, "0s");
        if (u < (uint64_t)NS_US) {
            prec = 0;
            *--w = 'n';
        } else if (u < (uint64_t)NS_MS) {
            prec = 3;
            *--w = (char)0xB5; /* µ: 0xC2 0xB5 */
            *--w = (char)0xC2;
        } else {
            prec = 6;
            *--w = 'm';
        }
        w = fmt_frac(w, &u, prec);
        w = fmt_int(w, u);
    } else {
        *--w = 's';
        w = fmt_frac(w, &u, 9);
        w = fmt_int(w, u % 60);
        u /= 60;
        if (u > 0) {
            *--w = 'm';
            w = fmt_int(w, u % 60);
            u /= 60;
            if (u > 0) {
                *--w = 'h';
                w = fmt_int(w, u);
            }
        }
    }
    if (neg)
        *--w = '-';
    return st_buf_append(out, w, (size_t)(end - w));
}

/* Pieces of a statement: text, "<pre><identifier>", "<pre><duration>". */
static int put(struct st_buf *out, const char *text)
{
    return st_buf_puts(out, text);
}

static int put_ident(struct st_buf *out, const char *pre, const char *ident)
{
    int rv = st_buf_puts(out, pre);
    return rv == ST_OK ? st_iql_quote_ident(out, ident) : rv;
}

static int put_dur(struct st_buf *out, const char *pre, int64_t d, bool go)
{
    int rv = st_buf_puts(out, pre);
    if (rv != ST_OK)
        return rv;
    return go ? st_iql_go_duration(out, d) : st_iql_fmt_duration(out, d);
}

static int create_database(const struct st_iql_stmt *s, struct st_buf *out)
{
    int rv = put_ident(out, "CREATE DATABASE ", s->name);
    if (rv != ST_OK || !s->with)
        return rv;
    rv = put(out, " WITH");
    if (rv == ST_OK && s->rp.has_duration)
        rv = put_dur(out, " DURATION ", s->rp.duration_ns, true);
    if (rv == ST_OK && s->rp.has_replication)
        rv = st_buf_printf(out, " REPLICATION %d", s->rp.replication);
    if (rv == ST_OK && s->rp.shard_duration_ns > 0)
        rv = put_dur(out, " SHARD DURATION ", s->rp.shard_duration_ns, true);
    if (rv == ST_OK && s->rp_name != NULL && s->rp_name[0] != '\0')
        rv = put_ident(out, " NAME ", s->rp_name);
    return rv;
}

static int rp_statement(const struct st_iql_stmt *s, struct st_buf *out, const char *verb)
{
    int rv = put_ident(out, verb, s->name);
    if (rv == ST_OK)
        rv = put_ident(out, " ON ", s->db);
    if (rv == ST_OK && s->rp.has_duration)
        rv = put_dur(out, " DURATION ", s->rp.duration_ns, false);
    if (rv == ST_OK && s->rp.has_replication)
        rv = st_buf_printf(out, " REPLICATION %d", s->rp.replication);
    /* CREATE prints a shard duration only when positive, ALTER when given. */
    bool shard =
        s->kind == ST_IQL_CREATE_RP ? s->rp.shard_duration_ns > 0 : s->rp.has_shard_duration;
    if (rv == ST_OK && shard)
        rv = put_dur(out, " SHARD DURATION ", s->rp.shard_duration_ns, false);
    if (rv == ST_OK && s->rp.is_default)
        rv = put(out, " DEFAULT");
    return rv;
}

static int grant_revoke(const struct st_iql_stmt *s, struct st_buf *out, const char *verb,
                        const char *to)
{
    int rv = st_buf_printf(out, "%s %s", verb, st_iql_priv_name(s->priv));
    if (rv == ST_OK)
        rv = put_ident(out, " ON ", s->db);
    if (rv == ST_OK)
        rv = put_ident(out, to, s->name);
    return rv;
}

int st_iql_stmt_string(const struct st_iql_stmt *s, struct st_buf *out)
{
    int rv;
    switch (s->kind) {
    case ST_IQL_UNSUPPORTED:
    default: /* the data statements keep their text until their printer lands */
        return st_buf_append(out, s->text, s->text_len);
    case ST_IQL_CREATE_DATABASE:
        return create_database(s, out);
    case ST_IQL_DROP_DATABASE:
        return put_ident(out, "DROP DATABASE ", s->name);
    case ST_IQL_SHOW_DATABASES:
        return put(out, "SHOW DATABASES");
    case ST_IQL_CREATE_RP:
        return rp_statement(s, out, "CREATE RETENTION POLICY ");
    case ST_IQL_ALTER_RP:
        return rp_statement(s, out, "ALTER RETENTION POLICY ");
    case ST_IQL_DROP_RP:
        rv = put_ident(out, "DROP RETENTION POLICY ", s->name);
        return rv == ST_OK ? put_ident(out, " ON ", s->db) : rv;
    case ST_IQL_SHOW_RPS:
        rv = put(out, "SHOW RETENTION POLICIES");
        if (rv == ST_OK && s->db != NULL && s->db[0] != '\0')
            rv = put_ident(out, " ON ", s->db);
        return rv;
    case ST_IQL_CREATE_USER:
        rv = put_ident(out, "CREATE USER ", s->name);
        if (rv == ST_OK)
            rv = put(out, " WITH PASSWORD [REDACTED]");
        if (rv == ST_OK && s->admin)
            rv = put(out, " WITH ALL PRIVILEGES");
        return rv;
    case ST_IQL_DROP_USER:
        return put_ident(out, "DROP USER ", s->name);
    case ST_IQL_SET_PASSWORD:
        rv = put_ident(out, "SET PASSWORD FOR ", s->name);
        return rv == ST_OK ? put(out, " = [REDACTED]") : rv;
    case ST_IQL_GRANT:
        return grant_revoke(s, out, "GRANT", " TO ");
    case ST_IQL_GRANT_ADMIN:
        return put_ident(out, "GRANT ALL PRIVILEGES TO ", s->name);
    case ST_IQL_REVOKE:
        return grant_revoke(s, out, "REVOKE", " FROM ");
    case ST_IQL_REVOKE_ADMIN:
        return put_ident(out, "REVOKE ALL PRIVILEGES FROM ", s->name);
    case ST_IQL_SHOW_USERS:
        return put(out, "SHOW USERS");
    case ST_IQL_SHOW_GRANTS:
        return put_ident(out, "SHOW GRANTS FOR ", s->name);
    case ST_IQL_SELECT:
    case ST_IQL_SHOW_MEASUREMENTS:
    case ST_IQL_SHOW_TAG_KEYS:
    case ST_IQL_SHOW_TAG_VALUES:
    case ST_IQL_SHOW_FIELD_KEYS:
    case ST_IQL_SHOW_SERIES:
    case ST_IQL_SHOW_SHARDS:
    case ST_IQL_SHOW_SHARD_GROUPS:
    case ST_IQL_DROP_MEASUREMENT:
    case ST_IQL_DROP_SERIES:
    case ST_IQL_DELETE:
    case ST_IQL_SHOW_SERIES_CARDINALITY:
    case ST_IQL_SHOW_MEASUREMENT_CARDINALITY:
    case ST_IQL_SHOW_TAG_KEY_CARDINALITY:
    case ST_IQL_SHOW_TAG_VALUES_CARDINALITY:
    case ST_IQL_SHOW_FIELD_KEY_CARDINALITY:
        return iql_data_stmt_string(s, out);
    }
    return ST_EINVAL;
}
