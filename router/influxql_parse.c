/* The InfluxQL parser: statements separated by ';', dispatched on their
 * leading keywords.
 *
 * A query is a list of statements separated by semicolons (empty ones are
 * skipped). Each statement starts with a path of keywords through a static
 * tree (SHOW -> RETENTION -> POLICIES) ending at a handler, in InfluxDB
 * 1.6's order: when a token matches no branch, the error lists the
 * branches in that order ("expected CONTINUOUS, DATABASES, ..."), which is
 * InfluxDB's message. A handler parses the rest of its statement and leaves
 * the ';' or the end for the loop, which demands one of them next ("found
 * x, expected ;").
 *
 * The data statements have their handlers in influxql_select.c and
 * influxql_show.c; statements strata does not run yet have handlers in
 * influxql_other.c that keep them as ST_IQL_UNSUPPORTED. Every statement
 * gets its leading keywords (what) and its text.
 *
 * Failure modes: a syntax error fails the whole query (ST_EPARSE, as
 * InfluxDB answers 400 for it); out of memory fails it with ST_ENOMEM.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "influxql_int.h"

/* Token stream ------------------------------------------------------------ */

const struct iql_token *iql_next(struct iql_parser *p)
{
    if (p->n > 0) {
        p->n--;
        return &p->ring[(p->i - p->n + 3) % 3];
    }
    p->i = (p->i + 1) % 3;
    if (iql_scan(&p->lx, &p->ring[p->i]) != ST_OK)
        return NULL;
    return &p->ring[p->i];
}

const struct iql_token *iql_next_nows(struct iql_parser *p)
{
    for (;;) {
        const struct iql_token *t = iql_next(p);
        if (t == NULL || (t->tok != T_WS && t->tok != T_COMMENT))
            return t;
    }
}

void iql_unscan(struct iql_parser *p)
{
    p->n++;
}

const struct iql_token *iql_next_regex(struct iql_parser *p)
{
    if (p->n > 0) {
        p->n--;
        return &p->ring[(p->i - p->n + 3) % 3];
    }
    p->i = (p->i + 1) % 3;
    if (iql_scan_regex(&p->lx, &p->ring[p->i]) != ST_OK)
        return NULL;
    return &p->ring[p->i];
}

int iql_skip_ws(struct iql_parser *p)
{
    const struct iql_token *t = iql_next(p);
    if (t == NULL)
        return ST_ENOMEM;
    if (t->tok != T_WS)
        iql_unscan(p);
    return ST_OK;
}

/* Errors -------------------------------------------------------------------- */

static int put_pos(struct st_buf *b, struct iql_pos pos)
{
    return st_buf_printf(b, " at line %d, char %d", pos.line + 1, pos.ch + 1);
}

int iql_err_expected(struct iql_parser *p, const struct iql_token *t, const char *expected)
{
    struct st_buf *b = p->err;
    int rv = st_buf_puts(b, "found ");
    if (rv == ST_OK && t->lit.len > 0)
        rv = st_buf_append(b, t->lit.p, t->lit.len);
    else if (rv == ST_OK)
        rv = st_buf_puts(b, iql_tok_name(t->tok));
    if (rv == ST_OK)
        rv = st_buf_printf(b, ", expected %s", expected);
    if (rv == ST_OK)
        rv = put_pos(b, t->pos);
    return rv == ST_OK ? ST_EPARSE : rv;
}

int iql_err_msg(struct iql_parser *p, struct iql_pos pos, const char *msg, size_t len)
{
    int rv = st_buf_append(p->err, msg, len);
    if (rv == ST_OK)
        rv = put_pos(p->err, pos);
    return rv == ST_OK ? ST_EPARSE : rv;
}

int iql_err_plain(struct iql_parser *p, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    int rv = n < 0 ? ST_EINVAL : st_buf_reserve(p->err, (size_t)n);
    if (rv == ST_OK) {
        vsnprintf(p->err->p + p->err->len, (size_t)n + 1, fmt, again);
        p->err->len += (size_t)n;
    }
    va_end(again);
    va_end(ap);
    return rv == ST_OK ? ST_EPARSE : rv;
}

/* Helpers shared by the handlers ------------------------------------------- */

int iql_parse_ident(struct iql_parser *p, const char **out)
{
    const struct iql_token *t = iql_next_nows(p);
    if (t == NULL)
        return ST_ENOMEM;
    if (t->tok != T_IDENT)
        return iql_err_expected(p, t, "identifier");
    *out = iql_arena_strndup(p->arena, t->lit.p ? t->lit.p : "", t->lit.len);
    return *out ? ST_OK : ST_ENOMEM;
}

int iql_parse_token(struct iql_parser *p, enum iql_tok want)
{
    const struct iql_token *t = iql_next_nows(p);
    if (t == NULL)
        return ST_ENOMEM;
    if (t->tok != want)
        return iql_err_expected(p, t, iql_tok_name(want));
    return ST_OK;
}

int iql_append_path(struct iql_parser *p, enum iql_tok t)
{
    size_t len = strlen(p->path), cap = sizeof p->path;
    int n = snprintf(p->path + len, cap - len, "%s%s", len ? " " : "", iql_tok_name(t));
    return n < 0 || (size_t)n >= cap - len ? ST_ERANGE : ST_OK;
}

/* The statement tree --------------------------------------------------------- */

typedef int (*handler_fn)(struct iql_parser *p, struct st_iql_stmt *s);

struct node {
    enum iql_tok tok;
    const struct node *sub; /* branches, in InfluxDB's order; NULL on a leaf */
    size_t nsub;
    handler_fn fn; /* leaf: its handler */
};

#define LEAF(t, f)    \
    {                 \
        t, NULL, 0, f \
    }
#define BRANCH(t, arr)                             \
    {                                              \
        t, arr, sizeof(arr) / sizeof(arr[0]), NULL \
    }
#define SKIP iql_skip_unsupported
#define NOARGS iql_parse_noargs

static const struct node SHOW_CONTINUOUS[] = {LEAF(T_QUERIES, NOARGS)};
static const struct node SHOW_FIELD[] = {LEAF(T_KEY, iql_parse_show_field_key_card),
                                         LEAF(T_KEYS, iql_parse_show_field_keys)};
static const struct node SHOW_GRANTS[] = {LEAF(T_FOR, iql_parse_show_grants)};
static const struct node SHOW_MEASUREMENT[] = {
    LEAF(T_EXACT, iql_parse_show_measurement_card),
    LEAF(T_CARDINALITY, iql_parse_show_measurement_card)};
static const struct node SHOW_RETENTION[] = {LEAF(T_POLICIES, iql_parse_show_rps)};
static const struct node SHOW_SHARD[] = {LEAF(T_GROUPS, iql_parse_show_shard_groups)};
static const struct node SHOW_TAG[] = {LEAF(T_KEY, iql_parse_show_tag_key_card),
                                       LEAF(T_KEYS, iql_parse_show_tag_keys),
                                       LEAF(T_VALUES, iql_parse_show_tag_values)};
static const struct node SHOW[] = {
    BRANCH(T_CONTINUOUS, SHOW_CONTINUOUS),
    LEAF(T_DATABASES, iql_parse_show_databases),
    LEAF(T_DIAGNOSTICS, iql_parse_show_stats),
    BRANCH(T_FIELD, SHOW_FIELD),
    BRANCH(T_GRANTS, SHOW_GRANTS),
    BRANCH(T_MEASUREMENT, SHOW_MEASUREMENT),
    LEAF(T_MEASUREMENTS, iql_parse_show_measurements),
    LEAF(T_QUERIES, NOARGS),
    BRANCH(T_RETENTION, SHOW_RETENTION),
    LEAF(T_SERIES, iql_parse_show_series),
    BRANCH(T_SHARD, SHOW_SHARD),
    LEAF(T_SHARDS, iql_parse_show_shards),
    LEAF(T_STATS, iql_parse_show_stats),
    LEAF(T_SUBSCRIPTIONS, NOARGS),
    BRANCH(T_TAG, SHOW_TAG),
    LEAF(T_USERS, iql_parse_show_users),
};
static const struct node CREATE_CONTINUOUS[] = {LEAF(T_QUERY, SKIP)};
static const struct node CREATE_RETENTION[] = {LEAF(T_POLICY, iql_parse_create_rp)};
static const struct node CREATE[] = {
    BRANCH(T_CONTINUOUS, CREATE_CONTINUOUS),
    LEAF(T_DATABASE, iql_parse_create_database),
    LEAF(T_USER, iql_parse_create_user),
    BRANCH(T_RETENTION, CREATE_RETENTION),
    LEAF(T_SUBSCRIPTION, SKIP),
};
static const struct node DROP_CONTINUOUS[] = {LEAF(T_QUERY, iql_parse_drop_cq)};
static const struct node DROP_RETENTION[] = {LEAF(T_POLICY, iql_parse_drop_rp)};
static const struct node DROP[] = {
    BRANCH(T_CONTINUOUS, DROP_CONTINUOUS),
    LEAF(T_DATABASE, iql_parse_drop_database),
    LEAF(T_MEASUREMENT, iql_parse_drop_measurement),
    BRANCH(T_RETENTION, DROP_RETENTION),
    LEAF(T_SERIES, iql_parse_drop_series),
    LEAF(T_SHARD, iql_parse_drop_shard),
    LEAF(T_SUBSCRIPTION, SKIP),
    LEAF(T_USER, iql_parse_drop_user),
};
static const struct node ALTER_RETENTION[] = {LEAF(T_POLICY, iql_parse_alter_rp)};
static const struct node ALTER[] = {BRANCH(T_RETENTION, ALTER_RETENTION)};
static const struct node SET_PASSWORD[] = {LEAF(T_FOR, iql_parse_set_password)};
static const struct node SET[] = {BRANCH(T_PASSWORD, SET_PASSWORD)};
static const struct node KILL[] = {LEAF(T_QUERY, iql_parse_kill_query)};
static const struct node ROOT[] = {
    LEAF(T_SELECT, iql_parse_select),
    LEAF(T_DELETE, iql_parse_delete),
    BRANCH(T_SHOW, SHOW),
    BRANCH(T_CREATE, CREATE),
    BRANCH(T_DROP, DROP),
    LEAF(T_EXPLAIN, iql_parse_explain),
    LEAF(T_GRANT, iql_parse_grant),
    LEAF(T_REVOKE, iql_parse_revoke),
    BRANCH(T_ALTER, ALTER),
    BRANCH(T_SET, SET),
    BRANCH(T_KILL, KILL),
};

/* Records the leading keywords and the text of the statement just parsed:
 * up to where the next token starts, trailing whitespace trimmed. */
static int keep_text(struct iql_parser *p, struct st_iql_stmt *s)
{
    const struct iql_token *t = iql_next_nows(p);
    if (t == NULL)
        return ST_ENOMEM;
    iql_unscan(p);
    size_t end = t->off;
    while (end > p->stmt_off && strchr(" \t\r\n", p->text[end - 1]) != NULL)
        end--;
    s->text_len = end - p->stmt_off;
    s->text = iql_arena_strndup(p->arena, p->text + p->stmt_off, s->text_len);
    s->what = iql_arena_strndup(p->arena, p->path, strlen(p->path));
    return s->text && s->what ? ST_OK : ST_ENOMEM;
}

static int parse_statement(struct iql_parser *p, struct st_iql_stmt *s)
{
    const struct node *nodes = ROOT;
    size_t n = sizeof ROOT / sizeof ROOT[0];
    p->path[0] = '\0';
    for (bool first = true;; first = false) {
        const struct iql_token *t = iql_next_nows(p);
        if (t == NULL)
            return ST_ENOMEM;
        if (first)
            p->stmt_off = t->off;
        const struct node *hit = NULL;
        for (size_t i = 0; i < n && hit == NULL; i++)
            if (nodes[i].tok == t->tok)
                hit = &nodes[i];
        if (hit == NULL) {
            struct st_buf keys;
            st_buf_init(&keys);
            int rv = ST_OK;
            for (size_t i = 0; rv == ST_OK && i < n; i++)
                rv = st_buf_printf(&keys, "%s%s", i ? ", " : "", iql_tok_name(nodes[i].tok));
            if (rv == ST_OK)
                rv = iql_err_expected(p, t, keys.p);
            st_buf_fini(&keys);
            return rv;
        }
        if (iql_append_path(p, hit->tok) != ST_OK)
            return ST_ENOMEM; /* UNTESTED: the tree is never that deep */
        p->last = hit->tok;
        if (hit->sub == NULL) {
            int rv = hit->fn(p, s);
            return rv == ST_OK && s->text == NULL ? keep_text(p, s) : rv;
        }
        nodes = hit->sub;
        n = hit->nsub;
    }
}

/* The query ---------------------------------------------------------------- */

int st_iql_parse(const char *text, size_t len, struct st_iql_query **out, struct st_buf *err)
{
    return st_iql_parse_params(text, len, NULL, 0, out, err);
}

int st_iql_parse_params(const char *text, size_t len, const struct st_iql_param *params,
                        size_t nparams, struct st_iql_query **out, struct st_buf *err)
{
    struct iql_parser p;
    memset(&p, 0, sizeof p);
    p.params = params;
    p.nparams = nparams;
    for (int i = 0; i < 3; i++)
        st_buf_init(&p.ring[i].lit);
    iql_lex_init(&p.lx, text, len);
    p.err = err;
    p.text = text;

    struct st_iql_stmt *stmts = NULL;
    size_t n = 0, cap = 0;
    struct st_iql_query *q = NULL;
    int rv = iql_arena_new(&p.arena);
    if (rv != ST_OK)
        goto done;

    bool semi = true;
    for (;;) {
        const struct iql_token *t = iql_next_nows(&p);
        if (t == NULL) {
            rv = ST_ENOMEM;
            goto done;
        }
        if (t->tok == T_EOF)
            break;
        if (t->tok == T_SEMICOLON) {
            semi = true;
            continue;
        }
        if (!semi) {
            rv = iql_err_expected(&p, t, ";");
            goto done;
        }
        iql_unscan(&p);
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 4;
            void *grown = realloc(stmts, ncap * sizeof *stmts);
            if (grown == NULL) {
                rv = ST_ENOMEM;
                goto done;
            }
            stmts = grown;
            cap = ncap;
        }
        memset(&stmts[n], 0, sizeof stmts[n]);
        if ((rv = parse_statement(&p, &stmts[n])) != ST_OK)
            goto done;
        n++;
        semi = false;
    }

    q = iql_arena_alloc(p.arena, sizeof *q);
    struct st_iql_stmt *kept = iql_arena_alloc(p.arena, n ? n * sizeof *kept : 1);
    if (q == NULL || kept == NULL) {
        rv = ST_ENOMEM;
        goto done;
    }
    if (n > 0)
        memcpy(kept, stmts, n * sizeof *kept);
    q->n = n;
    q->stmts = kept;
    q->mem = p.arena;
    p.arena = NULL;
    *out = q;

done:
    free(stmts);
    iql_arena_free(p.arena);
    for (int i = 0; i < 3; i++)
        st_buf_fini(&p.ring[i].lit);
    return rv;
}

void st_iql_free(struct st_iql_query *q)
{
    if (q != NULL)
        iql_arena_free(q->mem); /* q lives in its own arena */
}

/* Durations ------------------------------------------------------------------ */

#define NS_US 1000LL
#define NS_MS 1000000LL
#define NS_S 1000000000LL
#define NS_M (60 * NS_S)
#define NS_H (60 * NS_M)
#define NS_D (24 * NS_H)
#define NS_W (7 * NS_D)

int st_iql_parse_duration(const char *s, size_t len, int64_t *ns, struct st_buf *err)
{
    /* Runes, as InfluxDB's ParseDuration iterates them. */
    int32_t a[64];
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t off = 0; off < len; n++) {
        if (n == sizeof a / sizeof a[0])
            goto invalid; /* UNTESTED: no valid duration is that long */
        off += st_iql_utf8_decode(u + off, len - off, &a[n]);
    }
    if (n < 2)
        goto invalid;
    /* Sums wrap as Go's int64 do; a negative total is reported as an
     * overflow, as InfluxDB does (so some overflows go unnoticed there and
     * here alike). */
    uint64_t d = 0;
    size_t i = 0;
    bool neg = false;
    if (a[0] == '-') {
        neg = true;
        i++;
    }
    while (i < n) {
        size_t start = i;
        uint64_t measure = 0;
        bool big = false;
        for (; i < n && a[i] >= '0' && a[i] <= '9'; i++) {
            if (measure > (uint64_t)(INT64_MAX - (a[i] - '0')) / 10)
                big = true;
            measure = measure * 10 + (uint64_t)(a[i] - '0');
        }
        if (i >= n || i == start || big)
            goto invalid;
        uint64_t unit;
        switch (a[i]) {
        case 'n':
            if (i + 1 < n && a[i + 1] == 's') {
                d += measure;
                i += 2;
                continue;
            }
            goto invalid;
        case 'u':
        case 0xB5:
            unit = NS_US;
            break;
        case 'm':
            if (i + 1 < n && a[i + 1] == 's') {
                d += measure * NS_MS;
                i += 2;
                continue;
            }
            unit = NS_M;
            break;
        case 's':
            unit = NS_S;
            break;
        case 'h':
            unit = NS_H;
            break;
        case 'd':
            unit = NS_D;
            break;
        case 'w':
            unit = NS_W;
            break;
        default:
            goto invalid;
        }
        d += measure * unit;
        i++;
    }
    if ((int64_t)d < 0 && !neg) {
        int rv = st_buf_puts(err, "overflowed duration ");
        if (rv == ST_OK)
            rv = st_buf_append(err, s, len);
        if (rv == ST_OK)
            rv = st_buf_puts(err, ": choose a smaller duration or INF");
        return rv == ST_OK ? ST_EPARSE : rv;
    }
    *ns = neg ? (int64_t)(0 - d) : (int64_t)d;
    return ST_OK;
invalid : {
    int rv = st_buf_puts(err, "invalid duration");
    return rv == ST_OK ? ST_EPARSE : rv;
}
}
