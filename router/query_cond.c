/* The tag part of a WHERE clause, as a TagExpr for the data nodes.
 *
 * After the time terms are taken out (query_time.c), what is left must be
 * comparisons of tags with strings (=, !=) or regexes (=~, !~), joined by
 * AND and OR, with parentheses: the data nodes select series with it. An
 * identifier is a field when the source has a field of that name (as
 * InfluxDB decides), else a tag; comparisons of fields are refused for now
 * with a clear error (docs/query-engine.md). A tag compared with '' matches
 * series without the tag, as in InfluxDB.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool rq_is_field(const struct rq_plan *p, const char *name)
{
    return p->nfields > 0 &&
           bsearch(&name, p->fields, p->nfields, sizeof(*p->fields), cmp_str) != NULL;
}

int rq_field_type(const struct rq_plan *p, const char *name)
{
    if (p->nfields == 0)
        return -1;
    const char **k = bsearch(&name, p->fields, p->nfields, sizeof(*p->fields), cmp_str);
    return k != NULL ? (int)p->field_types[k - p->fields] : -1;
}

static const struct st_iql_expr *unparen(const struct st_iql_expr *e)
{
    while (e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    return e;
}

static Strata__CompareOp compare_op(enum st_iql_op op, bool regex)
{
    switch (op) {
    case ST_IQL_OP_EQ:
        return regex ? STRATA__COMPARE_OP__REGEX : STRATA__COMPARE_OP__EQ;
    case ST_IQL_OP_NEQ:
        return regex ? STRATA__COMPARE_OP__NREGEX : STRATA__COMPARE_OP__NEQ;
    case ST_IQL_OP_EQREGEX:
        return regex ? STRATA__COMPARE_OP__REGEX : STRATA__COMPARE_OP__COMPARE_OP_UNSPECIFIED;
    case ST_IQL_OP_NEQREGEX:
        return regex ? STRATA__COMPARE_OP__NREGEX : STRATA__COMPARE_OP__COMPARE_OP_UNSPECIFIED;
    default:
        return STRATA__COMPARE_OP__COMPARE_OP_UNSPECIFIED;
    }
}

static int leaf(struct rq_plan *p, const struct st_iql_expr *e, Strata__TagExpr **out)
{
    const struct st_iql_expr *l = unparen(e->lhs), *r = unparen(e->rhs);
    if (l->kind != ST_IQL_E_VARREF) {
        const struct st_iql_expr *t = l;
        l = r;
        r = t;
    }
    if (l->kind != ST_IQL_E_VARREF)
        return rq_fail(p, "unsupported condition: only comparisons of tags are supported yet");
    if (rq_is_field(p, l->name) && l->cast != ST_IQL_CAST_TAG)
        return rq_fail(p, "not implemented yet: conditions on fields (%s)", l->name);
    bool regex = r->kind == ST_IQL_E_REGEX;
    Strata__CompareOp op = compare_op(e->op, regex);
    if (p->deleting && !regex && r->kind != ST_IQL_E_STRING) /* InfluxDB: a field filter */
        op = STRATA__COMPARE_OP__FIELD_FILTER;
    else if (p->deleting && l->cast == ST_IQL_CAST_FIELD)
        op = STRATA__COMPARE_OP__FIELD_FILTER;
    if (op == STRATA__COMPARE_OP__COMPARE_OP_UNSPECIFIED ||
        (!regex && r->kind != ST_IQL_E_STRING && op != STRATA__COMPARE_OP__FIELD_FILTER))
        return rq_fail(p,
                       "unsupported condition on tag %s: compare tags with strings (=, !=) or "
                       "regular expressions (=~, !~)",
                       l->name);
    Strata__TagExpr *x = rq_alloc(p->ar, sizeof(*x));
    Strata__TagCompare *c = rq_alloc(p->ar, sizeof(*c));
    if (x == NULL || c == NULL)
        return ST_ENOMEM;
    strata__tag_expr__init(x);
    strata__tag_compare__init(c);
    c->key = (char *)l->name;
    c->op = op;
    c->value = (char *)(r->kind == ST_IQL_E_STRING || regex ? r->str : "");
    x->expr_case = STRATA__TAG_EXPR__EXPR_COMPARE;
    x->compare = c;
    *out = x;
    return ST_OK;
}

int rq_tag_expr(struct rq_plan *p, const struct st_iql_expr *e, Strata__TagExpr **out)
{
    *out = NULL;
    if (e == NULL)
        return ST_OK;
    e = unparen(e);
    if (e->kind != ST_IQL_E_BINARY)
        return rq_fail(p, "unsupported condition: only comparisons of tags are supported yet");
    if (e->op != ST_IQL_OP_AND && e->op != ST_IQL_OP_OR)
        return leaf(p, e, out);
    Strata__TagExpr *x = rq_alloc(p->ar, sizeof(*x));
    Strata__TagBinary *b = rq_alloc(p->ar, sizeof(*b));
    if (x == NULL || b == NULL)
        return ST_ENOMEM;
    strata__tag_expr__init(x);
    strata__tag_binary__init(b);
    int rv = rq_tag_expr(p, e->lhs, &b->left);
    if (rv == ST_OK)
        rv = rq_tag_expr(p, e->rhs, &b->right);
    if (rv != ST_OK)
        return rv;
    if (e->op == ST_IQL_OP_AND) {
        x->expr_case = STRATA__TAG_EXPR__EXPR_AND_EXPR;
        x->and_expr = b;
    } else {
        x->expr_case = STRATA__TAG_EXPR__EXPR_OR_EXPR;
        x->or_expr = b;
    }
    *out = x;
    return ST_OK;
}

/* Whether @e is made only of tag comparisons the data nodes evaluate. */
static bool tag_only(const struct rq_plan *p, const struct st_iql_expr *e)
{
    e = unparen(e);
    if (e->kind != ST_IQL_E_BINARY)
        return false;
    if (e->op == ST_IQL_OP_AND || e->op == ST_IQL_OP_OR)
        return tag_only(p, e->lhs) && tag_only(p, e->rhs);
    const struct st_iql_expr *l = unparen(e->lhs), *r = unparen(e->rhs);
    if (l->kind != ST_IQL_E_VARREF) {
        const struct st_iql_expr *t = l;
        l = r;
        r = t;
    }
    if (l->kind != ST_IQL_E_VARREF || (rq_is_field(p, l->name) && l->cast != ST_IQL_CAST_TAG) ||
        l->cast == ST_IQL_CAST_FIELD)
        return false;
    bool regex = r->kind == ST_IQL_E_REGEX;
    return compare_op(e->op, regex) != STRATA__COMPARE_OP__COMPARE_OP_UNSPECIFIED &&
           (regex || r->kind == ST_IQL_E_STRING);
}

static int and_of(struct rq_plan *p, const struct st_iql_expr *a, const struct st_iql_expr *b,
                  const struct st_iql_expr **out)
{
    if (a == NULL || b == NULL) {
        *out = a != NULL ? a : b;
        return ST_OK;
    }
    struct st_iql_expr *n = rq_alloc(p->ar, sizeof(*n));
    if (n == NULL)
        return ST_ENOMEM;
    n->kind = ST_IQL_E_BINARY;
    n->op = ST_IQL_OP_AND;
    n->lhs = (struct st_iql_expr *)a;
    n->rhs = (struct st_iql_expr *)b;
    *out = n;
    return ST_OK;
}

int rq_split_cond(struct rq_plan *p, const struct st_iql_expr *e, const struct st_iql_expr **tags,
                  const struct st_iql_expr **rest)
{
    *tags = *rest = NULL;
    if (e == NULL)
        return ST_OK;
    const struct st_iql_expr *u = unparen(e);
    if (u->kind == ST_IQL_E_BINARY && u->op == ST_IQL_OP_AND) {
        const struct st_iql_expr *lt, *lr, *rt, *rr;
        int rv = rq_split_cond(p, u->lhs, &lt, &lr);
        if (rv == ST_OK)
            rv = rq_split_cond(p, u->rhs, &rt, &rr);
        if (rv == ST_OK)
            rv = and_of(p, lt, rt, tags);
        if (rv == ST_OK)
            rv = and_of(p, lr, rr, rest);
        return rv;
    }
    if (tag_only(p, u))
        *tags = u;
    else
        *rest = u;
    return ST_OK;
}
