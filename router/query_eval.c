/* WHERE terms evaluated on the router, row by row: comparisons of fields
 * (and of tags mixed with them) with literals, AND, OR, arithmetic.
 *
 * InfluxDB's rules: a comparison with a missing value is false; numbers
 * compare as numbers whatever their type (integer with float); strings
 * (fields and tags) and booleans only for = and != (InfluxDB 1.6 answers
 * `host > 'a'` and `state < 'z'` with nothing); =~ and !~ match strings
 * against a regex. The expression is compiled once per statement: every
 * field or tag it names becomes a (possibly hidden) column of the row, so
 * evaluation does no lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"
#include "regex.h"

struct rq_filter {
    enum { F_COL, F_LIT, F_REGEX, F_BIN } kind;
    enum st_iql_op op;
    size_t col;
    struct st_qv lit;
    st_re *re;
    struct rq_filter *l, *r;
};

void rq_filter_free(struct rq_filter *f)
{
    if (f == NULL)
        return;
    rq_filter_free(f->l);
    rq_filter_free(f->r);
    st_re_free(f->re);
    free(f);
}

/* The column of @p holding field or tag @name, added hidden if missing. */
static int column_for(struct rq_plan *p, const struct st_iql_expr *v, size_t *out)
{
    bool tag =
        v->cast == ST_IQL_CAST_TAG || (v->cast != ST_IQL_CAST_FIELD && !rq_is_field(p, v->name));
    enum rq_col_kind kind = tag ? RQ_COL_TAG : RQ_COL_FIELD;
    for (size_t i = 1; i < p->ncols; i++)
        if (p->cols[i].kind == kind && strcmp(p->cols[i].key, v->name) == 0) {
            *out = i;
            return ST_OK;
        }
    *out = p->ncols;
    return rq_add_col(p, (struct rq_col){.kind = kind, .key = v->name, .name = v->name});
}

int rq_filter_compile(struct rq_plan *p, const struct st_iql_expr *e, struct rq_filter **out)
{
    *out = NULL;
    while (e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    struct rq_filter *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return ST_ENOMEM;
    int rv = ST_OK;
    switch (e->kind) {
    case ST_IQL_E_VARREF:
        f->kind = F_COL;
        rv = column_for(p, e, &f->col);
        break;
    case ST_IQL_E_INTEGER:
    case ST_IQL_E_DURATION:
        f->kind = F_LIT;
        f->lit = (struct st_qv){.kind = ST_QV_INT, .i = e->i};
        break;
    case ST_IQL_E_UNSIGNED:
        f->kind = F_LIT;
        f->lit = (struct st_qv){.kind = ST_QV_UINT, .u = e->u};
        break;
    case ST_IQL_E_NUMBER:
        f->kind = F_LIT;
        f->lit = (struct st_qv){.kind = ST_QV_FLOAT, .f = e->f};
        break;
    case ST_IQL_E_BOOLEAN:
        f->kind = F_LIT;
        f->lit = (struct st_qv){.kind = ST_QV_BOOL, .b = e->b};
        break;
    case ST_IQL_E_STRING:
        f->kind = F_LIT;
        f->lit.kind = ST_QV_STRING;
        f->lit.s.p = e->str;
        f->lit.s.len = strlen(e->str);
        break;
    case ST_IQL_E_REGEX: {
        char msg[256] = "";
        f->kind = F_REGEX;
        if (st_re_compile(e->str, strlen(e->str), &f->re, msg, sizeof(msg)) != ST_OK)
            rv = rq_fail(p, "invalid regular expression /%s/: %s", e->str, msg);
        break;
    }
    case ST_IQL_E_BINARY:
        f->kind = F_BIN;
        f->op = e->op;
        rv = rq_filter_compile(p, e->lhs, &f->l);
        if (rv == ST_OK)
            rv = rq_filter_compile(p, e->rhs, &f->r);
        break;
    default:
        rv = rq_fail(p, "not implemented yet: this kind of condition in WHERE");
        break;
    }
    if (rv != ST_OK) {
        rq_filter_free(f);
        return rv;
    }
    *out = f;
    return ST_OK;
}

static bool is_num(const struct st_qv *v)
{
    return v->kind == ST_QV_FLOAT || v->kind == ST_QV_INT || v->kind == ST_QV_UINT;
}

static double num(const struct st_qv *v)
{
    return v->kind == ST_QV_FLOAT ? v->f : v->kind == ST_QV_INT ? (double)v->i : (double)v->u;
}

static struct st_qv eval(const struct rq_filter *f, const struct st_qv *row);

static struct st_qv boolean(bool b)
{
    return (struct st_qv){.kind = ST_QV_BOOL, .b = b};
}

static struct st_qv compare(enum st_iql_op op, const struct st_qv *a, const struct st_qv *b)
{
    int c;
    if (is_num(a) && is_num(b)) {
        if (a->kind == ST_QV_INT && b->kind == ST_QV_INT)
            c = a->i < b->i ? -1 : a->i > b->i;
        else {
            double x = num(a), y = num(b);
            c = x < y ? -1 : x > y;
        }
    } else if (a->kind == ST_QV_STRING && b->kind == ST_QV_STRING &&
               (op == ST_IQL_OP_EQ || op == ST_IQL_OP_NEQ)) {
        size_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
        c = memcmp(a->s.p, b->s.p, n);
        if (c == 0)
            c = a->s.len < b->s.len ? -1 : a->s.len > b->s.len;
    } else if (a->kind == ST_QV_BOOL && b->kind == ST_QV_BOOL &&
               (op == ST_IQL_OP_EQ || op == ST_IQL_OP_NEQ)) {
        c = a->b != b->b;
    } else {
        return boolean(false);
    }
    switch (op) {
    case ST_IQL_OP_EQ:
        return boolean(c == 0);
    case ST_IQL_OP_NEQ:
        return boolean(c != 0);
    case ST_IQL_OP_LT:
        return boolean(c < 0);
    case ST_IQL_OP_LTE:
        return boolean(c <= 0);
    case ST_IQL_OP_GT:
        return boolean(c > 0);
    case ST_IQL_OP_GTE:
        return boolean(c >= 0);
    default:
        return boolean(false);
    }
}

static struct st_qv arith(enum st_iql_op op, const struct st_qv *a, const struct st_qv *b)
{
    struct st_qv null = {.kind = ST_QV_NULL};
    if (!is_num(a) || !is_num(b))
        return null;
    if (a->kind == ST_QV_INT && b->kind == ST_QV_INT) {
        int64_t x = a->i, y = b->i;
        switch (op) {
        case ST_IQL_OP_ADD:
            return (struct st_qv){.kind = ST_QV_INT, .i = (int64_t)((uint64_t)x + (uint64_t)y)};
        case ST_IQL_OP_SUB:
            return (struct st_qv){.kind = ST_QV_INT, .i = (int64_t)((uint64_t)x - (uint64_t)y)};
        case ST_IQL_OP_MUL:
            return (struct st_qv){.kind = ST_QV_INT, .i = (int64_t)((uint64_t)x * (uint64_t)y)};
        case ST_IQL_OP_DIV:
            return (struct st_qv){.kind = ST_QV_FLOAT, .f = y == 0 ? 0 : (double)x / (double)y};
        case ST_IQL_OP_MOD:
            return y == 0 || (x == INT64_MIN && y == -1)
                       ? null
                       : (struct st_qv){.kind = ST_QV_INT, .i = x % y};
        default:
            return null;
        }
    }
    double x = num(a), y = num(b);
    switch (op) {
    case ST_IQL_OP_ADD:
        return (struct st_qv){.kind = ST_QV_FLOAT, .f = x + y};
    case ST_IQL_OP_SUB:
        return (struct st_qv){.kind = ST_QV_FLOAT, .f = x - y};
    case ST_IQL_OP_MUL:
        return (struct st_qv){.kind = ST_QV_FLOAT, .f = x * y};
    case ST_IQL_OP_DIV:
        return (struct st_qv){.kind = ST_QV_FLOAT, .f = y == 0 ? 0 : x / y};
    default:
        return null;
    }
}

static struct st_qv eval(const struct rq_filter *f, const struct st_qv *row)
{
    switch (f->kind) {
    case F_COL:
        return row[f->col];
    case F_LIT:
        return f->lit;
    case F_REGEX:
        return (struct st_qv){.kind = ST_QV_NULL};
    case F_BIN:
        break;
    }
    switch (f->op) {
    case ST_IQL_OP_AND:
        return boolean(rq_filter_match(f->l, row) && rq_filter_match(f->r, row));
    case ST_IQL_OP_OR:
        return boolean(rq_filter_match(f->l, row) || rq_filter_match(f->r, row));
    case ST_IQL_OP_EQREGEX:
    case ST_IQL_OP_NEQREGEX: {
        const struct rq_filter *re = f->r->kind == F_REGEX ? f->r : f->l;
        const struct rq_filter *x = re == f->r ? f->l : f->r;
        struct st_qv v = eval(x, row);
        if (re->re == NULL || v.kind != ST_QV_STRING)
            return boolean(false);
        bool m = st_re_match(re->re, v.s.p, v.s.len);
        return boolean(f->op == ST_IQL_OP_EQREGEX ? m : !m);
    }
    case ST_IQL_OP_EQ:
    case ST_IQL_OP_NEQ:
    case ST_IQL_OP_LT:
    case ST_IQL_OP_LTE:
    case ST_IQL_OP_GT:
    case ST_IQL_OP_GTE: {
        struct st_qv a = eval(f->l, row), b = eval(f->r, row);
        return compare(f->op, &a, &b);
    }
    default: {
        struct st_qv a = eval(f->l, row), b = eval(f->r, row);
        return arith(f->op, &a, &b);
    }
    }
}

bool rq_filter_match(const struct rq_filter *f, const struct st_qv *row)
{
    struct st_qv v = eval(f, row);
    return v.kind == ST_QV_BOOL && v.b;
}
