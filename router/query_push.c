/* Field conditions pushed to the data nodes (Query.field_filter).
 *
 * The router evaluates the whole router-side WHERE on every row
 * (query_eval.c); the data nodes get the part they can evaluate the same
 * way, so that rows the WHERE drops do not cross the network: comparisons
 * of a field with a literal, joined by AND and OR. Under AND an unpushable
 * side is left out (the pushed side is still necessary for a row to pass);
 * under OR both sides must be pushable. The rules of the comparison are
 * the router's (query_eval.c), so the nodes never drop a row the router
 * would keep.
 */
#include <string.h>

#include "query_int.h"

static const struct st_iql_expr *unparen(const struct st_iql_expr *e)
{
    while (e != NULL && e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    return e;
}

static Strata__FieldOp field_op(enum st_iql_op op, bool flip)
{
    switch (op) {
    case ST_IQL_OP_EQ:
        return STRATA__FIELD_OP__FIELD_EQ;
    case ST_IQL_OP_NEQ:
        return STRATA__FIELD_OP__FIELD_NEQ;
    case ST_IQL_OP_LT:
        return flip ? STRATA__FIELD_OP__FIELD_GT : STRATA__FIELD_OP__FIELD_LT;
    case ST_IQL_OP_LTE:
        return flip ? STRATA__FIELD_OP__FIELD_GTE : STRATA__FIELD_OP__FIELD_LTE;
    case ST_IQL_OP_GT:
        return flip ? STRATA__FIELD_OP__FIELD_LT : STRATA__FIELD_OP__FIELD_GT;
    case ST_IQL_OP_GTE:
        return flip ? STRATA__FIELD_OP__FIELD_LTE : STRATA__FIELD_OP__FIELD_GTE;
    default:
        return STRATA__FIELD_OP__FIELD_OP_UNSPECIFIED;
    }
}

/* The literal @e as a Value, or NULL when it is not one (or no memory). */
static Strata__Value *literal(struct rq_plan *p, const struct st_iql_expr *e)
{
    Strata__Value *v = rq_alloc(p->ar, sizeof(*v));
    if (v == NULL)
        return NULL;
    strata__value__init(v);
    switch (e->kind) {
    case ST_IQL_E_NUMBER:
        v->v_case = STRATA__VALUE__V_FLOAT_VALUE;
        v->float_value = e->f;
        return v;
    case ST_IQL_E_INTEGER:
        v->v_case = STRATA__VALUE__V_INT_VALUE;
        v->int_value = e->i;
        return v;
    case ST_IQL_E_UNSIGNED:
        v->v_case = STRATA__VALUE__V_UINT_VALUE;
        v->uint_value = e->u;
        return v;
    case ST_IQL_E_STRING:
        v->v_case = STRATA__VALUE__V_STRING_VALUE;
        v->string_value = (char *)e->str;
        return v;
    case ST_IQL_E_BOOLEAN:
        v->v_case = STRATA__VALUE__V_BOOL_VALUE;
        v->bool_value = e->b;
        return v;
    default:
        return NULL;
    }
}

/* field <op> literal (either order) as a FieldCompare, or NULL. */
static Strata__FieldCond *compare(struct rq_plan *p, const struct st_iql_expr *e)
{
    const struct st_iql_expr *l = unparen(e->lhs), *r = unparen(e->rhs);
    bool flip = l->kind != ST_IQL_E_VARREF;
    const struct st_iql_expr *ref = flip ? r : l, *lit = flip ? l : r;
    Strata__FieldOp op = field_op(e->op, flip);
    if (op == STRATA__FIELD_OP__FIELD_OP_UNSPECIFIED || ref->kind != ST_IQL_E_VARREF ||
        ref->cast == ST_IQL_CAST_TAG || !rq_is_field(p, ref->name) ||
        (ref->cast != ST_IQL_CAST_NONE && ref->cast != ST_IQL_CAST_FIELD))
        return NULL;
    Strata__Value *v = literal(p, lit);
    Strata__FieldCompare *fc = rq_alloc(p->ar, sizeof(*fc));
    Strata__FieldCond *c = rq_alloc(p->ar, sizeof(*c));
    if (v == NULL || fc == NULL || c == NULL)
        return NULL;
    strata__field_compare__init(fc);
    fc->field = (char *)ref->name;
    fc->op = op;
    fc->value = v;
    strata__field_cond__init(c);
    c->expr_case = STRATA__FIELD_COND__EXPR_COMPARE;
    c->compare = fc;
    return c;
}

Strata__FieldCond *rq_field_cond(struct rq_plan *p, const struct st_iql_expr *e)
{
    e = unparen(e);
    if (e == NULL || e->kind != ST_IQL_E_BINARY)
        return NULL;
    if (e->op != ST_IQL_OP_AND && e->op != ST_IQL_OP_OR)
        return compare(p, e);
    Strata__FieldCond *l = rq_field_cond(p, e->lhs), *r = rq_field_cond(p, e->rhs);
    if (e->op == ST_IQL_OP_AND && (l == NULL || r == NULL))
        return l != NULL ? l : r;
    if (l == NULL || r == NULL)
        return NULL;
    Strata__FieldBinary *b = rq_alloc(p->ar, sizeof(*b));
    Strata__FieldCond *c = rq_alloc(p->ar, sizeof(*c));
    if (b == NULL || c == NULL)
        return NULL;
    strata__field_binary__init(b);
    b->left = l;
    b->right = r;
    strata__field_cond__init(c);
    if (e->op == ST_IQL_OP_AND) {
        c->expr_case = STRATA__FIELD_COND__EXPR_AND_EXPR;
        c->and_expr = b;
    } else {
        c->expr_case = STRATA__FIELD_COND__EXPR_OR_EXPR;
        c->or_expr = b;
    }
    return c;
}
