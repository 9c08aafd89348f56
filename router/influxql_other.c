/* Statements strata does not run yet: SHOW QUERIES, continuous queries,
 * subscriptions, KILL QUERY, DROP SHARD,
 * EXPLAIN ...
 *
 * They are valid InfluxQL, so a query holding one must parse, and the
 * executor answers "not implemented yet" for that statement alone. Each is
 * kept as ST_IQL_UNSUPPORTED with its leading keywords and its text.
 *
 * Statements with a short fixed grammar (SHOW QUERIES, KILL QUERY 12, DROP
 * CONTINUOUS QUERY q ON db ...) are parsed exactly, with InfluxDB's
 * errors, and EXPLAIN parses its SELECT completely. The others (CREATE
 * CONTINUOUS QUERY, the subscriptions) get the
 * checks InfluxDB makes on their first tokens, then their tokens are
 * skipped up to the next ';' or the end, with no further checks. Skipping
 * must not stop at a ';' inside a regular expression, which the lexer
 * cannot tell from a division without the grammar: a '/' starts a regex
 * when the token before it cannot end an operand (a keyword, '(', ',', an
 * operator), else it is a division.
 */
#include <string.h>

#include "err.h"
#include "influxql_int.h"

#define NEXT(t, p)                            \
    do {                                      \
        if (((t) = iql_next_nows(p)) == NULL) \
            return ST_ENOMEM;                 \
    } while (0)

/* Records the statement from its first token up to @end (trailing
 * whitespace trimmed). */
static int keep(struct iql_parser *p, struct st_iql_stmt *s, size_t end)
{
    while (end > p->stmt_off && strchr(" \t\r\n", p->text[end - 1]) != NULL)
        end--;
    s->kind = ST_IQL_UNSUPPORTED;
    s->text_len = end - p->stmt_off;
    s->text = iql_arena_strndup(p->arena, p->text + p->stmt_off, s->text_len);
    s->what = iql_arena_strndup(p->arena, p->path, strlen(p->path));
    return s->text && s->what ? ST_OK : ST_ENOMEM;
}

/* Keeps a statement whose last token was just parsed: it ends where the
 * next token starts. */
static int keep_here(struct iql_parser *p, struct st_iql_stmt *s)
{
    const struct iql_token *t;
    NEXT(t, p);
    iql_unscan(p);
    return keep(p, s, t->off);
}

/* Whether a '/' after @prev starts a regex rather than a division. */
static bool regex_may_follow(enum iql_tok prev)
{
    switch (prev) {
    case T_IDENT:
    case T_BOUNDPARAM:
    case T_NUMBER:
    case T_INTEGER:
    case T_DURATIONVAL:
    case T_STRING:
    case T_TRUE:
    case T_FALSE:
    case T_REGEX:
    case T_RPAREN:
    case T_MUL:
        return false;
    default:
        return true;
    }
}

int iql_skip_unsupported(struct iql_parser *p, struct st_iql_stmt *s)
{
    return iql_skip_rest(p, s, true);
}

int iql_skip_rest(struct iql_parser *p, struct st_iql_stmt *s, bool naming)
{
    enum iql_tok prev = p->last;
    for (;;) {
        const struct iql_token *t;
        NEXT(t, p);
        if (t->tok == T_SEMICOLON || t->tok == T_EOF) {
            iql_unscan(p);
            return keep(p, s, t->off);
        }
        if (naming && (t->tok == T_EXACT || t->tok == T_CARDINALITY))
            naming = iql_append_path(p, t->tok) == ST_OK;
        else
            naming = false;
        /* The lexer stands right after the '/' only if no token is pushed
         * back, which is always so here. */
        if (t->tok == T_DIV && regex_may_follow(prev) && p->n == 0) {
            iql_skip_regex(&p->lx);
            prev = T_REGEX;
            continue;
        }
        prev = t->tok;
    }
}

int iql_parse_noargs(struct iql_parser *p, struct st_iql_stmt *s)
{
    return keep_here(p, s);
}

int iql_parse_explain(struct iql_parser *p, struct st_iql_stmt *s)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_ANALYZE)
        (void)iql_append_path(p, T_ANALYZE);
    else
        iql_unscan(p);
    NEXT(t, p);
    if (t->tok != T_SELECT)
        return iql_err_expected(p, t, "SELECT");
    struct st_iql_select *sel;
    int rv = iql_parse_select_body(p, &sel);
    return rv == ST_OK ? keep_here(p, s) : rv;
}

/* InfluxDB's ParseUInt64. */
static int parse_uint64(struct iql_parser *p)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != T_INTEGER)
        return iql_err_expected(p, t, "integer");
    uint64_t v = 0;
    for (size_t i = 0; i < t->lit.len; i++) {
        unsigned digit = (unsigned)(t->lit.p[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) {
            struct st_buf msg;
            st_buf_init(&msg);
            int rv = st_buf_puts(&msg, "strconv.ParseUint: parsing \"");
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
    return ST_OK;
}

int iql_parse_kill_query(struct iql_parser *p, struct st_iql_stmt *s)
{
    int rv = parse_uint64(p);
    if (rv != ST_OK)
        return rv;
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_ON) {
        const char *host;
        if ((rv = iql_parse_ident(p, &host)) != ST_OK)
            return rv;
    } else {
        iql_unscan(p);
    }
    return keep_here(p, s);
}

int iql_parse_drop_shard(struct iql_parser *p, struct st_iql_stmt *s)
{
    int rv = parse_uint64(p);
    return rv == ST_OK ? keep_here(p, s) : rv;
}

/* DROP CONTINUOUS QUERY name ON db */
int iql_parse_drop_cq(struct iql_parser *p, struct st_iql_stmt *s)
{
    const char *name;
    int rv = iql_parse_ident(p, &name);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_ON);
    if (rv == ST_OK)
        rv = iql_parse_ident(p, &name);
    return rv == ST_OK ? keep_here(p, s) : rv;
}

/* SHOW STATS and SHOW DIAGNOSTICS [FOR 'module'] */
int iql_parse_show_stats(struct iql_parser *p, struct st_iql_stmt *s)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_FOR) {
        NEXT(t, p);
        if (t->tok != T_STRING)
            return iql_err_expected(p, t, "string");
    } else {
        iql_unscan(p);
    }
    return keep_here(p, s);
}
