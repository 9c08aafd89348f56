/* Parsers of the statements that manage the catalogue: databases, retention
 * policies, users and privileges. Each follows InfluxDB 1.6's grammar,
 * token by token, including where it pushes a token back, so that errors
 * name the same token at the same place. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "influxql_int.h"

/* The next token, or ST_ENOMEM out of the calling function. */
#define NEXT(t, p)                            \
    do {                                      \
        if (((t) = iql_next_nows(p)) == NULL) \
            return ST_ENOMEM;                 \
    } while (0)

/* InfluxDB's ParseInt(min, max): an INTEGER literal within the bounds. */
static int parse_int(struct iql_parser *p, int64_t min, int64_t max, int *out)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != T_INTEGER)
        return iql_err_expected(p, t, "integer");
    int64_t v = 0;
    for (size_t i = 0; i < t->lit.len; i++) {
        int digit = t->lit.p[i] - '0';
        if (v > (INT64_MAX - digit) / 10) {
            struct st_buf msg;
            st_buf_init(&msg);
            int rv = st_buf_puts(&msg, "strconv.Atoi: parsing \"");
            if (rv == ST_OK)
                rv = st_buf_append(&msg, t->lit.p, t->lit.len);
            if (rv == ST_OK)
                rv = st_buf_puts(&msg, "\": value out of range");
            if (rv == ST_OK)
                rv = iql_err_msg(p, t->pos, msg.p, msg.len);
            st_buf_fini(&msg);
            return rv;
        }
        v = v * 10 + digit;
    }
    if (v < min || v > max) {
        char msg[160];
        int n = snprintf(msg, sizeof msg, "invalid value %lld: must be %lld <= n <= %lld",
                         (long long)v, (long long)min, (long long)max);
        return iql_err_msg(p, t->pos, msg, (size_t)n);
    }
    *out = (int)v;
    return ST_OK;
}

/* InfluxDB's ParseDuration: a duration literal, or INF (0). */
static int parse_duration(struct iql_parser *p, int64_t *out)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_INF) {
        *out = 0;
        return ST_OK;
    }
    if (t->tok != T_DURATIONVAL)
        return iql_err_expected(p, t, "duration");
    struct st_buf msg;
    st_buf_init(&msg);
    int rv = st_iql_parse_duration(t->lit.p, t->lit.len, out, &msg);
    if (rv == ST_EPARSE)
        rv = iql_err_msg(p, t->pos, msg.p, msg.len);
    st_buf_fini(&msg);
    return rv;
}

/* SHARD DURATION's value: INF is refused. */
static int parse_shard_duration(struct iql_parser *p, int64_t *out)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_INF) {
        static const char msg[] = "invalid duration INF for shard duration";
        return iql_err_msg(p, t->pos, msg, sizeof msg - 1);
    }
    iql_unscan(p);
    return parse_duration(p, out);
}

static int parse_string(struct iql_parser *p, const char **out)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != T_STRING)
        return iql_err_expected(p, t, "string");
    *out = iql_arena_strndup(p->arena, t->lit.p ? t->lit.p : "", t->lit.len);
    return *out ? ST_OK : ST_ENOMEM;
}

/* Consumes @want if it comes next; *@seen says whether it did. */
static int maybe(struct iql_parser *p, enum iql_tok want, bool *seen)
{
    const struct iql_token *t;
    NEXT(t, p);
    *seen = t->tok == want;
    if (!*seen)
        iql_unscan(p);
    return ST_OK;
}

/* "<ident> ON <ident>" */
static int parse_name_on_db(struct iql_parser *p, struct st_iql_stmt *s)
{
    int rv = iql_parse_ident(p, &s->name);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_ON);
    if (rv == ST_OK)
        rv = iql_parse_ident(p, &s->db);
    return rv;
}

int iql_parse_create_database(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_CREATE_DATABASE;
    int rv = iql_parse_ident(p, &s->name);
    bool seen;
    if (rv != ST_OK || (rv = maybe(p, T_WITH, &seen)) != ST_OK || !seen)
        return rv;

    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != T_DURATION && t->tok != T_NAME && t->tok != T_REPLICATION && t->tok != T_SHARD)
        return iql_err_expected(p, t, "DURATION, NAME, REPLICATION, SHARD");
    iql_unscan(p);
    s->with = true;

    if ((rv = maybe(p, T_DURATION, &seen)) != ST_OK)
        return rv;
    if (seen) {
        if ((rv = parse_duration(p, &s->rp.duration_ns)) != ST_OK)
            return rv;
        s->rp.has_duration = true;
    }
    if ((rv = maybe(p, T_REPLICATION, &seen)) != ST_OK)
        return rv;
    if (seen) {
        if ((rv = parse_int(p, 1, INT32_MAX, &s->rp.replication)) != ST_OK)
            return rv;
        s->rp.has_replication = true;
    }
    if ((rv = maybe(p, T_SHARD, &seen)) != ST_OK)
        return rv;
    if (seen) {
        /* INF is accepted here (0: the default), unlike in the RP statements. */
        if ((rv = iql_parse_token(p, T_DURATION)) != ST_OK ||
            (rv = parse_duration(p, &s->rp.shard_duration_ns)) != ST_OK)
            return rv;
        s->rp.has_shard_duration = true;
    }
    if ((rv = maybe(p, T_NAME, &seen)) != ST_OK)
        return rv;
    if (seen)
        rv = iql_parse_ident(p, &s->rp_name);
    return rv;
}

int iql_parse_drop_database(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_DROP_DATABASE;
    return iql_parse_ident(p, &s->name);
}

int iql_parse_show_databases(struct iql_parser *p, struct st_iql_stmt *s)
{
    (void)p;
    s->kind = ST_IQL_SHOW_DATABASES;
    return ST_OK;
}

int iql_parse_create_rp(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_CREATE_RP;
    int rv = parse_name_on_db(p, s);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_DURATION);
    if (rv == ST_OK)
        rv = parse_duration(p, &s->rp.duration_ns);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_REPLICATION);
    if (rv == ST_OK)
        rv = parse_int(p, 1, INT32_MAX, &s->rp.replication);
    if (rv != ST_OK)
        return rv;
    s->rp.has_duration = s->rp.has_replication = true;
    bool seen;
    if ((rv = maybe(p, T_SHARD, &seen)) != ST_OK)
        return rv;
    if (seen) {
        if ((rv = iql_parse_token(p, T_DURATION)) != ST_OK ||
            (rv = parse_shard_duration(p, &s->rp.shard_duration_ns)) != ST_OK)
            return rv;
        s->rp.has_shard_duration = true;
    }
    if ((rv = maybe(p, T_DEFAULT, &seen)) != ST_OK)
        return rv;
    s->rp.is_default = seen;
    return ST_OK;
}

int iql_parse_alter_rp(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_ALTER_RP;
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_DEFAULT)
        s->name = "default"; /* a static string outlives the query too */
    else if (t->tok == T_IDENT)
        s->name = iql_arena_strndup(p->arena, t->lit.p ? t->lit.p : "", t->lit.len);
    else
        return iql_err_expected(p, t, "identifier");
    if (s->name == NULL)
        return ST_ENOMEM;
    int rv = iql_parse_token(p, T_ON);
    if (rv == ST_OK)
        rv = iql_parse_ident(p, &s->db);
    if (rv != ST_OK)
        return rv;

    bool found_any = false, found[T_MAX] = {false};
    for (;;) {
        NEXT(t, p);
        enum iql_tok tok = t->tok;
        if (found[tok]) {
            char msg[64];
            int n = snprintf(msg, sizeof msg, "found duplicate %s option", iql_tok_name(tok));
            return iql_err_msg(p, t->pos, msg, (size_t)n);
        }
        switch (tok) {
        case T_DURATION:
            rv = parse_duration(p, &s->rp.duration_ns);
            s->rp.has_duration = true;
            break;
        case T_REPLICATION:
            rv = parse_int(p, 1, INT32_MAX, &s->rp.replication);
            s->rp.has_replication = true;
            break;
        case T_SHARD:
            rv = iql_parse_token(p, T_DURATION);
            if (rv == ST_OK)
                rv = parse_shard_duration(p, &s->rp.shard_duration_ns);
            s->rp.has_shard_duration = true;
            break;
        case T_DEFAULT:
            s->rp.is_default = true;
            break;
        default:
            if (!found_any)
                return iql_err_expected(p, t, "DURATION, REPLICATION, SHARD, DEFAULT");
            iql_unscan(p);
            return ST_OK;
        }
        if (rv != ST_OK)
            return rv;
        found[tok] = found_any = true;
    }
}

int iql_parse_drop_rp(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_DROP_RP;
    return parse_name_on_db(p, s);
}

int iql_parse_show_rps(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_SHOW_RPS;
    bool seen;
    int rv = maybe(p, T_ON, &seen);
    if (rv == ST_OK && seen)
        rv = iql_parse_ident(p, &s->db);
    return rv;
}

int iql_parse_create_user(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_CREATE_USER;
    int rv = iql_parse_ident(p, &s->name);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_WITH);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_PASSWORD);
    if (rv == ST_OK)
        rv = parse_string(p, &s->password);
    bool seen;
    if (rv != ST_OK || (rv = maybe(p, T_WITH, &seen)) != ST_OK || !seen)
        return rv;
    if ((rv = iql_parse_token(p, T_ALL)) == ST_OK &&
        (rv = iql_parse_token(p, T_PRIVILEGES)) == ST_OK)
        s->admin = true;
    return rv;
}

int iql_parse_drop_user(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_DROP_USER;
    return iql_parse_ident(p, &s->name);
}

int iql_parse_set_password(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_SET_PASSWORD;
    int rv = iql_parse_ident(p, &s->name);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_EQ);
    if (rv == ST_OK)
        rv = parse_string(p, &s->password);
    return rv;
}

static int parse_privilege(struct iql_parser *p, enum st_iql_priv *out)
{
    const struct iql_token *t;
    NEXT(t, p);
    switch (t->tok) {
    case T_READ:
        *out = ST_IQL_READ;
        return ST_OK;
    case T_WRITE:
        *out = ST_IQL_WRITE;
        return ST_OK;
    case T_ALL: {
        bool seen;
        *out = ST_IQL_ALL_PRIVILEGES;
        return maybe(p, T_PRIVILEGES, &seen);
    }
    default:
        return iql_err_expected(p, t, "READ, WRITE, ALL [PRIVILEGES]");
    }
}

/* GRANT and REVOKE: <priv> ON <db> TO|FROM <user>, or ALL [PRIVILEGES]
 * TO|FROM <user> (the admin flag). */
static int parse_grant_revoke(struct iql_parser *p, struct st_iql_stmt *s, enum iql_tok to,
                              enum st_iql_kind on_kind, enum st_iql_kind admin_kind)
{
    int rv = parse_privilege(p, &s->priv);
    if (rv != ST_OK)
        return rv;
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_ON) {
        s->kind = on_kind;
        rv = iql_parse_ident(p, &s->db);
        if (rv == ST_OK)
            rv = iql_parse_token(p, to);
        if (rv == ST_OK)
            rv = iql_parse_ident(p, &s->name);
        return rv;
    }
    if (t->tok == to) {
        if (s->priv != ST_IQL_ALL_PRIVILEGES)
            return iql_err_expected(p, t, "ON");
        s->kind = admin_kind;
        return iql_parse_ident(p, &s->name);
    }
    if (s->priv == ST_IQL_ALL_PRIVILEGES)
        return iql_err_expected(p, t, to == T_TO ? "ON, TO" : "ON, FROM");
    return iql_err_expected(p, t, "ON");
}

int iql_parse_grant(struct iql_parser *p, struct st_iql_stmt *s)
{
    return parse_grant_revoke(p, s, T_TO, ST_IQL_GRANT, ST_IQL_GRANT_ADMIN);
}

int iql_parse_revoke(struct iql_parser *p, struct st_iql_stmt *s)
{
    return parse_grant_revoke(p, s, T_FROM, ST_IQL_REVOKE, ST_IQL_REVOKE_ADMIN);
}

int iql_parse_show_users(struct iql_parser *p, struct st_iql_stmt *s)
{
    (void)p;
    s->kind = ST_IQL_SHOW_USERS;
    return ST_OK;
}

int iql_parse_show_grants(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_SHOW_GRANTS;
    return iql_parse_ident(p, &s->name);
}
