/* SELECT and the clauses the data statements share, as InfluxDB 1.6 parses
 * them.
 *
 * A SELECT is, in this order and each optional but the first and FROM:
 * fields, INTO target, FROM sources, WHERE condition, GROUP BY dimensions,
 * fill(...), ORDER BY, LIMIT, OFFSET, SLIMIT, SOFFSET, tz(...). A clause
 * out of order is left for the statement loop, which then reports "found
 * LIMIT, expected ;" as InfluxDB does. fill() and tz() are parsed as
 * expressions and checked afterwards, which is why their errors carry no
 * position ("fill must be a function call"). The WHERE condition is kept
 * as written: time terms are for the executor to pull out.
 *
 * Failure modes: ST_EPARSE with InfluxDB's message, ST_ENOMEM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "influxql_int.h"
#include "tz.h"

#define NEXT(t, p)                            \
    do {                                      \
        if (((t) = iql_next_nows(p)) == NULL) \
            return ST_ENOMEM;                 \
    } while (0)

#define NEXT_RAW(t, p)                   \
    do {                                 \
        if (((t) = iql_next(p)) == NULL) \
            return ST_ENOMEM;            \
    } while (0)

struct st_iql_select *iql_new_select(struct iql_parser *p)
{
    struct st_iql_select *sel = iql_arena_alloc(p->arena, sizeof *sel);
    if (sel != NULL) {
        memset(sel, 0, sizeof *sel);
        sel->limit = sel->offset = sel->slimit = sel->soffset = -1;
    }
    return sel;
}

/* Whether the token is the identifier @word in any case (Go's
 * strings.ToLower(lit) == word, for an ASCII word). */
static bool is_word(const struct iql_token *t, const char *word)
{
    return t->tok == T_IDENT && t->lit.len == strlen(word) &&
           strncasecmp(t->lit.p, word, t->lit.len) == 0;
}

/* An empty db or rp ("db..m") is no db or rp. */
static const char *opt(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Fields --------------------------------------------------------------------------- */

/* InfluxDB's validateField: the last comparison or logical operator met
 * walking the field's tree (0 if none). */
static enum st_iql_op bad_operator(const struct st_iql_expr *e, enum st_iql_op bad)
{
    switch (e->kind) {
    case ST_IQL_E_BINARY:
        switch (e->op) {
        case ST_IQL_OP_EQ:
        case ST_IQL_OP_NEQ:
        case ST_IQL_OP_EQREGEX:
        case ST_IQL_OP_NEQREGEX:
        case ST_IQL_OP_LT:
        case ST_IQL_OP_LTE:
        case ST_IQL_OP_GT:
        case ST_IQL_OP_GTE:
        case ST_IQL_OP_AND:
        case ST_IQL_OP_OR:
            return e->op;
        default:
            return bad_operator(e->rhs, bad_operator(e->lhs, bad));
        }
    case ST_IQL_E_PAREN:
        return bad_operator(e->lhs, bad);
    case ST_IQL_E_CALL:
        for (size_t i = 0; i < e->nargs; i++)
            bad = bad_operator(e->args[i], bad);
        return bad;
    default:
        return bad;
    }
}

static int parse_field(struct iql_parser *p, struct st_iql_field *f)
{
    int rv = iql_parse_regex(p, &f->expr);
    if (rv != ST_OK)
        return rv;
    const struct iql_token *t;
    if (f->expr == NULL) {
        NEXT(t, p);
        struct iql_pos pos = t->pos;
        iql_unscan(p);
        if ((rv = iql_parse_expr(p, &f->expr)) != ST_OK)
            return rv;
        enum st_iql_op bad = bad_operator(f->expr, 0);
        if (bad != 0)
            return iql_err_plain(p,
                                 "invalid operator %s in SELECT clause at line %d, char %d; "
                                 "operator is intended for WHERE clause",
                                 iql_op_name(bad), pos.line + 1, pos.ch + 1);
    }
    NEXT(t, p);
    if (t->tok == T_AS)
        rv = iql_parse_ident(p, &f->alias);
    else
        iql_unscan(p);
    return rv == ST_OK ? iql_skip_ws(p) : rv;
}

static int parse_fields(struct iql_parser *p, struct st_iql_select *sel)
{
    size_t cap = 0;
    for (;;) {
        struct st_iql_field f = {NULL, NULL};
        int rv = parse_field(p, &f);
        if (rv != ST_OK)
            return rv;
        struct st_iql_field *fields =
            iql_arena_grow(p->arena, sel->fields, sel->nfields, &cap, sizeof *fields);
        if (fields == NULL)
            return ST_ENOMEM;
        sel->fields = fields;
        fields[sel->nfields++] = f;
        const struct iql_token *t;
        NEXT_RAW(t, p);
        if (t->tok != T_COMMA) {
            iql_unscan(p);
            return ST_OK;
        }
    }
}

/* INTO [db.][rp.]measurement, or [db.]rp.:MEASUREMENT (name ""). */
static int parse_target(struct iql_parser *p, struct st_iql_select *sel)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != T_INTO) {
        iql_unscan(p);
        return ST_OK;
    }
    const char *seg[3];
    size_t n;
    int rv = iql_parse_segments(p, seg, &n);
    if (rv != ST_OK)
        return rv;
    if (n < 3 && iql_peek_rune(&p->lx) == ':') {
        if ((rv = iql_parse_token(p, T_COLON)) != ST_OK ||
            (rv = iql_parse_token(p, T_MEASUREMENT)) != ST_OK)
            return rv;
        seg[n++] = "";
    }
    sel->into_measurement = seg[n - 1];
    if (n >= 2)
        sel->into_rp = opt(seg[n - 2]);
    if (n == 3)
        sel->into_db = opt(seg[0]);
    return ST_OK;
}

/* Sources ------------------------------------------------------------------------------ */

int iql_parse_source(struct iql_parser *p, bool subqueries, struct st_iql_source *src)
{
    memset(src, 0, sizeof *src);
    struct st_iql_expr *re;
    int rv = iql_parse_regex(p, &re);
    if (rv != ST_OK)
        return rv;
    if (re != NULL) {
        src->regex = re->str;
        return ST_OK;
    }
    const struct iql_token *t;
    if (subqueries) {
        NEXT(t, p);
        if (t->tok == T_LPAREN) {
            struct iql_pos pos = t->pos;
            if ((rv = iql_parse_token(p, T_SELECT)) != ST_OK)
                return rv;
            if (p->depth >= IQL_MAX_DEPTH) {
                static const char msg[] = "too many nested subqueries";
                return iql_err_msg(p, pos, msg, sizeof msg - 1);
            }
            p->depth++;
            rv = iql_parse_select_body(p, &src->sub);
            p->depth--;
            return rv == ST_OK ? iql_parse_token(p, T_RPAREN) : rv;
        }
        iql_unscan(p);
    }
    const char *seg[3];
    size_t n;
    if ((rv = iql_parse_segments(p, seg, &n)) != ST_OK)
        return rv;
    if (n == 3) {
        src->db = opt(seg[0]);
        src->rp = opt(seg[1]);
        src->name = seg[2];
        return ST_OK;
    }
    if ((rv = iql_parse_regex(p, &re)) != ST_OK)
        return rv;
    if (re != NULL) {
        /* db.rp./re/ or rp./re/ */
        src->regex = re->str;
        src->rp = opt(seg[n - 1]);
        if (n == 2)
            src->db = opt(seg[0]);
    } else {
        src->name = seg[n - 1];
        if (n == 2)
            src->rp = opt(seg[0]);
    }
    return ST_OK;
}

int iql_parse_sources(struct iql_parser *p, bool subqueries, struct st_iql_select *sel)
{
    size_t cap = 0;
    for (;;) {
        struct st_iql_source src;
        int rv = iql_parse_source(p, subqueries, &src);
        if (rv != ST_OK)
            return rv;
        struct st_iql_source *all =
            iql_arena_grow(p->arena, sel->sources, sel->nsources, &cap, sizeof *all);
        if (all == NULL)
            return ST_ENOMEM;
        sel->sources = all;
        all[sel->nsources++] = src;
        const struct iql_token *t;
        NEXT(t, p);
        if (t->tok != T_COMMA) {
            iql_unscan(p);
            return ST_OK;
        }
    }
}

/* Clauses ------------------------------------------------------------------------------- */

int iql_parse_condition(struct iql_parser *p, struct st_iql_expr **out)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != T_WHERE) {
        iql_unscan(p);
        return ST_OK;
    }
    return iql_parse_expr(p, out);
}

int iql_parse_dimensions(struct iql_parser *p, struct st_iql_select *sel)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != T_GROUP) {
        iql_unscan(p);
        return ST_OK;
    }
    NEXT(t, p);
    if (t->tok != T_BY)
        return iql_err_expected(p, t, "BY");
    size_t cap = 0;
    for (;;) {
        struct st_iql_expr *dim;
        int rv = iql_parse_regex(p, &dim);
        if (rv == ST_OK && dim == NULL && (rv = iql_parse_expr(p, &dim)) == ST_OK)
            rv = iql_skip_ws(p);
        if (rv != ST_OK)
            return rv;
        struct st_iql_expr **dims =
            iql_arena_grow(p->arena, sel->dims, sel->ndims, &cap, sizeof *dims);
        if (dims == NULL)
            return ST_ENOMEM;
        sel->dims = dims;
        dims[sel->ndims++] = dim;
        NEXT_RAW(t, p);
        if (t->tok != T_COMMA) {
            iql_unscan(p);
            return ST_OK;
        }
    }
}

/* The argument of fill() as InfluxDB matches it: by its printed form. */
static int fill_is(const struct st_iql_expr *arg, const char *word, bool *yes)
{
    struct st_buf b;
    st_buf_init(&b);
    int rv = st_iql_expr_string(arg, &b);
    *yes = rv == ST_OK && b.len == strlen(word) && memcmp(b.p, word, b.len) == 0;
    st_buf_fini(&b);
    return rv;
}

static int parse_fill(struct iql_parser *p, struct st_iql_select *sel)
{
    const struct iql_token *t;
    NEXT(t, p);
    bool fill = is_word(t, "fill");
    iql_unscan(p);
    if (!fill)
        return ST_OK;
    struct st_iql_expr *e;
    int rv = iql_parse_expr(p, &e);
    if (rv != ST_OK)
        return rv;
    if (e->kind != ST_IQL_E_CALL)
        return iql_err_plain(p, "fill must be a function call");
    if (e->nargs != 1)
        return iql_err_plain(p, "fill requires an argument, e.g.: 0, null, none, previous, linear");
    static const struct {
        const char *word;
        enum st_iql_fill fill;
    } words[] = {{"null", ST_IQL_FILL_NULL},
                 {"none", ST_IQL_FILL_NONE},
                 {"previous", ST_IQL_FILL_PREVIOUS},
                 {"linear", ST_IQL_FILL_LINEAR}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        bool yes;
        if ((rv = fill_is(e->args[0], words[i].word, &yes)) != ST_OK)
            return rv;
        if (yes) {
            sel->fill = words[i].fill;
            return ST_OK;
        }
    }
    if (e->args[0]->kind != ST_IQL_E_INTEGER && e->args[0]->kind != ST_IQL_E_NUMBER)
        return iql_err_plain(p, "expected number argument in fill()");
    sel->fill = ST_IQL_FILL_NUMBER;
    sel->fill_value = e->args[0];
    return ST_OK;
}

/* One ORDER BY field after the first: name [ASC|DESC]. */
static int parse_sort_field(struct iql_parser *p, bool *desc)
{
    const char *name;
    int rv = iql_parse_ident(p, &name);
    if (rv != ST_OK)
        return rv;
    const struct iql_token *t;
    NEXT(t, p);
    *desc = t->tok == T_DESC;
    if (t->tok != T_ASC && t->tok != T_DESC)
        iql_unscan(p);
    return ST_OK;
}

int iql_parse_order_by(struct iql_parser *p, bool *desc)
{
    static const char only_time[] = "only ORDER BY time supported at this time";
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != T_ORDER) {
        iql_unscan(p);
        return ST_OK;
    }
    NEXT(t, p);
    if (t->tok != T_BY)
        return iql_err_expected(p, t, "BY");
    NEXT(t, p);
    int rv;
    if (t->tok == T_ASC || t->tok == T_DESC) {
        *desc = t->tok == T_DESC;
    } else if (t->tok == T_IDENT) {
        bool time = t->lit.len == 4 && memcmp(t->lit.p, "time", 4) == 0;
        iql_unscan(p);
        if ((rv = parse_sort_field(p, desc)) != ST_OK)
            return rv;
        if (!time)
            return iql_err_plain(p, "%s", only_time);
    } else {
        return iql_err_expected(p, t, "identifier, ASC, DESC");
    }
    size_t n = 1;
    for (;; n++) {
        NEXT(t, p);
        if (t->tok != T_COMMA) {
            iql_unscan(p);
            break;
        }
        bool ignored;
        if ((rv = parse_sort_field(p, &ignored)) != ST_OK)
            return rv;
    }
    return n > 1 ? iql_err_plain(p, "%s", only_time) : ST_OK;
}

int iql_parse_opt_int(struct iql_parser *p, enum iql_tok tok, int64_t *out)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok != tok) {
        iql_unscan(p);
        return ST_OK;
    }
    NEXT(t, p);
    if (t->tok != T_INTEGER)
        return iql_err_expected(p, t, "integer");
    /* Go's ParseInt saturates, and InfluxDB ignores its error. */
    int64_t v = 0;
    for (size_t i = 0; i < t->lit.len; i++) {
        int digit = t->lit.p[i] - '0';
        v = v > (INT64_MAX - digit) / 10 ? INT64_MAX : v * 10 + digit;
    }
    *out = v;
    return ST_OK;
}

bool iql_tz_exists(const char *name)
{
    struct st_tz *tz = NULL;
    int rv = st_tz_load(name, &tz); /* Go's time.LoadLocation, without ZONEINFO */
    st_tz_free(tz);
    return rv == ST_OK;
}

static int parse_tz(struct iql_parser *p, struct st_iql_select *sel)
{
    const struct iql_token *t;
    NEXT(t, p);
    bool tz = is_word(t, "tz");
    iql_unscan(p);
    if (!tz)
        return ST_OK;
    struct st_iql_expr *e;
    int rv = iql_parse_expr(p, &e);
    if (rv != ST_OK)
        return rv;
    if (e->kind != ST_IQL_E_CALL)
        return iql_err_plain(p, "tz must be a function call");
    if (e->nargs != 1)
        return iql_err_plain(p, "tz requires exactly one argument");
    if (e->args[0]->kind != ST_IQL_E_STRING)
        return iql_err_plain(p, "expected string argument in tz()");
    if (!iql_tz_exists(e->args[0]->str))
        return iql_err_plain(p, "unable to find time zone %s", e->args[0]->str);
    sel->tz = e->args[0]->str;
    return ST_OK;
}

/* SELECT ----------------------------------------------------------------------------------- */

int iql_parse_select_body(struct iql_parser *p, struct st_iql_select **out)
{
    struct st_iql_select *sel = iql_new_select(p);
    if (sel == NULL)
        return ST_ENOMEM;
    int rv = parse_fields(p, sel);
    if (rv == ST_OK)
        rv = parse_target(p, sel);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_FROM);
    if (rv == ST_OK)
        rv = iql_parse_sources(p, true, sel);
    if (rv == ST_OK)
        rv = iql_parse_condition(p, &sel->cond);
    if (rv == ST_OK)
        rv = iql_parse_dimensions(p, sel);
    if (rv == ST_OK)
        rv = parse_fill(p, sel);
    if (rv == ST_OK)
        rv = iql_parse_order_by(p, &sel->desc);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_LIMIT, &sel->limit);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_OFFSET, &sel->offset);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_SLIMIT, &sel->slimit);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_SOFFSET, &sel->soffset);
    if (rv == ST_OK)
        rv = parse_tz(p, sel);
    *out = sel;
    return rv;
}

int iql_parse_select(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_SELECT;
    return iql_parse_select_body(p, &s->sel);
}
