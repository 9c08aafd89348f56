/* Expressions in the SELECT list: arithmetic, math functions and the
 * transformations (derivative, difference, moving_average, cumulative_sum,
 * elapsed), computed on the router after the executors.
 *
 * Planning turns every SELECT field that is an expression into an output
 * column over "leaves" - raw fields and tags, or aggregate calls - which
 * the raw or aggregate executor computes as ordinary (exec) columns. Then
 * rq_x_apply() rewrites each series the executor produced: one output
 * column per SELECT field, a copy of an exec column or the expression's
 * value per row. A transformation turns the stream of its argument's
 * non-null values (in row order) into its own points; when a statement has
 * one, the output rows are the union of the columns' times (InfluxDB joins
 * its iterators by time the same way) and LIMIT / OFFSET apply to them
 * afterwards.
 *
 * InfluxDB 1.6's rules: integer +, -, *, %, &, |, ^ stay integers (wrapping);
 * / is a float division; anything with a float is a float; division (and
 * modulo) by zero gives 0; null in, null out. A column is named after the
 * fields and calls of its expression joined by "_" (literals left out).
 * Math functions keep integers for abs, ceil, floor and round and answer
 * floats otherwise; a NaN result is null. derivative: (v - prev) / (elapsed
 * / unit), unit the argument, else the GROUP BY interval, else 1s;
 * difference keeps the type; non_negative_* drop the negative points;
 * moving_average keeps a running sum over the last N points; cumulative_sum
 * a running sum; elapsed the time since the previous point in units
 * (integer, 1ns by default). Points at the time of the previous one are
 * skipped by derivative and difference.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "query_int.h"

enum xkind { X_COL = 1, X_LIT, X_BIN, X_MATH, X_TRANS };

enum xmath {
    M_ABS = 1,
    M_CEIL,
    M_FLOOR,
    M_ROUND,
    M_SQRT,
    M_POW,
    M_LOG,
    M_LOG2,
    M_LOG10,
    M_LN,
    M_EXP,
    M_SIN,
    M_COS,
    M_TAN,
    M_ASIN,
    M_ACOS,
    M_ATAN,
    M_ATAN2,
};

struct rq_x {
    enum xkind kind;
    size_t col;       /* X_COL: exec column */
    struct st_qv lit; /* X_LIT */
    enum st_iql_op op;
    enum xmath math;
    enum rq_trans tr;
    struct rq_x *a, *b; /* operands */
    int64_t unit;       /* derivative, elapsed */
    int64_t n;          /* moving_average */
    struct rq_ta ta;    /* technical analysis (query_ta.c) */
    /* X_TRANS inside an expression: its value at each row of the series
     * being rewritten (NULL outside rq_x_apply), null where it emits none. */
    struct st_qv *rows;
};

static const struct {
    const char *name;
    enum xmath m;
    size_t nargs;
} MATH[] = {
    {"abs", M_ABS, 1},     {"ceil", M_CEIL, 1},   {"floor", M_FLOOR, 1}, {"round", M_ROUND, 1},
    {"sqrt", M_SQRT, 1},   {"pow", M_POW, 2},     {"log", M_LOG, 2},     {"log2", M_LOG2, 1},
    {"log10", M_LOG10, 1}, {"ln", M_LN, 1},       {"exp", M_EXP, 1},     {"sin", M_SIN, 1},
    {"cos", M_COS, 1},     {"tan", M_TAN, 1},     {"asin", M_ASIN, 1},   {"acos", M_ACOS, 1},
    {"atan", M_ATAN, 1},   {"atan2", M_ATAN2, 2},
};

static const struct {
    const char *name;
    enum rq_trans t;
} TRANS[] = {
    {"derivative", RQ_T_DERIVATIVE},
    {"non_negative_derivative", RQ_T_NN_DERIVATIVE},
    {"difference", RQ_T_DIFFERENCE},
    {"non_negative_difference", RQ_T_NN_DIFFERENCE},
    {"moving_average", RQ_T_MOVING_AVERAGE},
    {"cumulative_sum", RQ_T_CUMULATIVE_SUM},
    {"elapsed", RQ_T_ELAPSED},
    {"exponential_moving_average", RQ_T_EMA},
    {"double_exponential_moving_average", RQ_T_DEMA},
    {"triple_exponential_moving_average", RQ_T_TEMA},
    {"relative_strength_index", RQ_T_RSI},
    {"triple_exponential_derivative", RQ_T_TRIX},
    {"kaufmans_efficiency_ratio", RQ_T_KER},
    {"kaufmans_adaptive_moving_average", RQ_T_KAMA},
    {"chande_momentum_oscillator", RQ_T_CMO},
    {"holt_winters", RQ_T_HOLT_WINTERS},
    {"holt_winters_with_fit", RQ_T_HOLT_WINTERS_FIT},
};

static const struct st_iql_expr *unparen(const struct st_iql_expr *e)
{
    while (e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    return e;
}

static int math_of(const char *name)
{
    for (size_t i = 0; i < sizeof(MATH) / sizeof(MATH[0]); i++)
        if (strcmp(MATH[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int trans_of(const char *name)
{
    for (size_t i = 0; i < sizeof(TRANS) / sizeof(TRANS[0]); i++)
        if (strcmp(TRANS[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* InfluxDB's column name of an expression: the names of its references and
 * calls joined by "_". */
static void xname(const struct st_iql_expr *e, char *buf, size_t cap)
{
    e = unparen(e);
    if (e->kind == ST_IQL_E_VARREF || e->kind == ST_IQL_E_CALL) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s%s", len ? "_" : "", e->name);
    } else if (e->kind == ST_IQL_E_BINARY) {
        xname(e->lhs, buf, cap);
        xname(e->rhs, buf, cap);
    }
}

static int add_out(struct rq_plan *p, struct rq_out o)
{
    if (p->nouts == p->outs_cap) {
        size_t cap = p->outs_cap ? p->outs_cap * 2 : 8;
        struct rq_out *n = rq_alloc(p->ar, cap * sizeof(*n));
        if (n == NULL)
            return ST_ENOMEM;
        if (p->nouts)
            memcpy(n, p->outs, p->nouts * sizeof(*n));
        p->outs = n;
        p->outs_cap = cap;
    }
    p->outs[p->nouts++] = o;
    return ST_OK;
}

int rq_x_pass(struct rq_plan *p, size_t from)
{
    int rv = ST_OK;
    for (size_t k = from; rv == ST_OK && k < p->ncols; k++)
        rv = add_out(p, (struct rq_out){.name = p->cols[k].name, .col = k});
    return rv;
}

bool rq_x_is_expr(const struct st_iql_expr *e)
{
    e = unparen(e);
    if (e->kind == ST_IQL_E_BINARY)
        return true;
    return e->kind == ST_IQL_E_CALL && (math_of(e->name) >= 0 || trans_of(e->name) >= 0);
}

struct xctx {
    struct rq_plan *p;
    rq_call_fn plan_call;
    bool *raw, *agg;
};

static int compile(struct xctx *c, const struct st_iql_expr *e, bool root, struct rq_x **out);

/* A reference to a field or tag: a (hidden) exec column. */
static int leaf_ref(struct xctx *c, const struct st_iql_expr *e, struct rq_x *x)
{
    struct rq_plan *p = c->p;
    bool tag =
        e->cast == ST_IQL_CAST_TAG || (e->cast != ST_IQL_CAST_FIELD && !rq_is_field(p, e->name));
    *c->raw = true;
    x->kind = X_COL;
    x->col = p->ncols;
    return rq_add_col(p, (struct rq_col){.kind = tag ? RQ_COL_TAG : RQ_COL_FIELD,
                                         .key = e->name,
                                         .name = e->name,
                                         .cast = e->cast});
}

/* An aggregate call: an exec column planned as if it stood alone. */
static int leaf_call(struct xctx *c, const struct st_iql_expr *e, struct rq_x *x)
{
    struct rq_plan *p = c->p;
    size_t before = p->ncols;
    int rv = c->plan_call(p, e, NULL);
    if (rv != ST_OK)
        return rv;
    if (p->ncols != before + 1)
        return rq_fail(p, "not implemented yet: %s() with several columns in an expression",
                       e->name);
    *c->agg = true;
    x->kind = X_COL;
    x->col = before;
    return ST_OK;
}

/* holt_winters(agg, N, S): InfluxDB's checks. */
static int hw_args(struct rq_plan *p, const struct st_iql_expr *e, struct rq_x *x)
{
    if (e->nargs != 3)
        return rq_fail(p, "invalid number of arguments for %s, expected 3, got %zu", e->name,
                       e->nargs);
    const struct st_iql_expr *n = unparen(e->args[1]), *s = unparen(e->args[2]);
    if (n->kind != ST_IQL_E_INTEGER)
        return rq_fail(p, "expected integer argument as second arg in %s", e->name);
    if (n->i <= 0)
        return rq_fail(p, "second arg to %s must be greater than 0, got %lld", e->name,
                       (long long)n->i);
    if (s->kind != ST_IQL_E_INTEGER)
        return rq_fail(p, "expected integer argument as third arg in %s", e->name);
    if (s->i < 0)
        return rq_fail(p, "third arg to %s cannot be negative, got %lld", e->name, (long long)s->i);
    const struct st_iql_expr *a = unparen(e->args[0]);
    if (a->kind != ST_IQL_E_CALL || math_of(a->name) >= 0 || trans_of(a->name) >= 0)
        return rq_fail(p, "must use aggregate function with %s", e->name);
    x->n = n->i;
    x->unit = s->i; /* the season */
    return ST_OK;
}

static int compile_trans(struct xctx *c, const struct st_iql_expr *e, struct rq_x *x)
{
    struct rq_plan *p = c->p;
    enum rq_trans t = TRANS[trans_of(e->name)].t;
    x->kind = X_TRANS;
    x->tr = t;
    bool unit_arg = t == RQ_T_DERIVATIVE || t == RQ_T_NN_DERIVATIVE || t == RQ_T_ELAPSED;
    if (RQ_T_IS_TA(t)) {
        int rv = rq_ta_args(p, e, t, &x->ta);
        if (rv != ST_OK)
            return rv;
    } else if (RQ_T_IS_HW(t)) {
        int rv = hw_args(p, e, x);
        if (rv != ST_OK)
            return rv;
    } else if (t == RQ_T_MOVING_AVERAGE) {
        if (e->nargs != 2)
            return rq_fail(p, "invalid number of arguments for moving_average, expected 2, got %zu",
                           e->nargs);
        const struct st_iql_expr *n = unparen(e->args[1]);
        if (n->kind != ST_IQL_E_INTEGER)
            return rq_fail(p, "second argument for moving_average must be an integer");
        if (n->i <= 1)
            return rq_fail(p, "moving_average window must be greater than 1, got %lld",
                           (long long)n->i);
        x->n = n->i;
    } else if (unit_arg) {
        if (e->nargs < 1 || e->nargs > 2)
            return rq_fail(p,
                           "invalid number of arguments for %s, expected at least 1 but no more "
                           "than 2, got %zu",
                           e->name, e->nargs);
        if (e->nargs == 2) {
            const struct st_iql_expr *u = unparen(e->args[1]);
            if (u->kind != ST_IQL_E_DURATION)
                return rq_fail(p, "second argument to %s must be a duration, got %s", e->name,
                               "a literal");
            x->unit = u->i;
        }
    } else if (e->nargs != 1) {
        return rq_fail(p, "invalid number of arguments for %s, expected 1, got %zu", e->name,
                       e->nargs);
    }
    if (e->nargs == 0)
        return rq_fail(p, "invalid number of arguments for %s, expected 1, got 0", e->name);
    const struct st_iql_expr *a = unparen(e->args[0]);
    x->a = calloc(1, sizeof(*x->a));
    if (x->a == NULL)
        return ST_ENOMEM;
    if (a->kind == ST_IQL_E_CALL && math_of(a->name) < 0 && trans_of(a->name) < 0) {
        if (p->interval == 0)
            return rq_fail(p, "%s aggregate requires a GROUP BY interval", e->name);
        int rv = leaf_call(c, a, x->a);
        if (rv != ST_OK)
            return rv;
        if (t == RQ_T_DERIVATIVE || t == RQ_T_NN_DERIVATIVE)
            x->unit = x->unit ? x->unit : p->interval;
    } else if (a->kind == ST_IQL_E_VARREF) {
        if (p->interval > 0)
            return rq_fail(p, "aggregate function required inside the call to %s", e->name);
        int rv = RQ_T_IS_TA(t) ? rq_ta_check_type(p, e->name, rq_field_type(p, a->name)) : ST_OK;
        p->x_raw_trans = true;
        if (rv == ST_OK)
            rv = leaf_ref(c, a, x->a);
        if (rv != ST_OK)
            return rv;
    } else {
        return rq_fail(p, "not implemented yet: %s() of this argument", e->name);
    }
    if ((t == RQ_T_DERIVATIVE || t == RQ_T_NN_DERIVATIVE) && x->unit == 0)
        x->unit = 1000000000;
    if (t == RQ_T_ELAPSED && x->unit == 0)
        x->unit = 1;
    p->has_trans = true;
    p->x_extend = p->x_extend || (t != RQ_T_CUMULATIVE_SUM && !RQ_T_IS_HW(t) &&
                                  x->a->kind == X_COL && p->cols[x->a->col].kind == RQ_COL_AGG);
    return ST_OK;
}

/* The type InfluxDB's type mapper gives an operand (NULL: a number, a call
 * or unknown). */
static const char *operand_type(const struct rq_plan *p, const struct st_iql_expr *e)
{
    e = unparen(e);
    if (e->kind == ST_IQL_E_STRING)
        return "string";
    if (e->kind == ST_IQL_E_BOOLEAN)
        return "boolean";
    if (e->kind != ST_IQL_E_VARREF)
        return NULL;
    for (size_t f = 0; f < p->nfields; f++)
        if (strcmp(p->fields[f], e->name) == 0) {
            switch (p->field_types[f]) {
            case STRATA__FIELD_TYPE__STRING:
                return "string";
            case STRATA__FIELD_TYPE__BOOLEAN:
                return "boolean";
            case STRATA__FIELD_TYPE__INTEGER:
                return "integer";
            case STRATA__FIELD_TYPE__UNSIGNED:
                return "unsigned";
            default:
                return "float";
            }
        }
    return NULL;
}

static int operand_string(const struct rq_plan *p, const struct st_iql_expr *e, struct st_buf *b)
{
    int rv = st_iql_expr_string(e, b);
    const struct st_iql_expr *u = unparen(e);
    const char *t = operand_type(p, e);
    if (rv == ST_OK && u->kind == ST_IQL_E_VARREF && u->cast == ST_IQL_CAST_NONE && t != NULL) {
        if ((rv = st_buf_puts(b, "::")) == ST_OK)
            rv = st_buf_puts(b, t);
    }
    return rv;
}

/* InfluxDB refuses arithmetic on strings and booleans when it plans. */
static int type_check(struct rq_plan *p, const struct st_iql_expr *e)
{
    static const char *const OPS[] = {
        [ST_IQL_OP_ADD] = "+",   [ST_IQL_OP_SUB] = "-",   [ST_IQL_OP_MUL] = "*",
        [ST_IQL_OP_DIV] = "/",   [ST_IQL_OP_MOD] = "%",   [ST_IQL_OP_BITAND] = "&",
        [ST_IQL_OP_BITOR] = "|", [ST_IQL_OP_BITXOR] = "^"};
    const char *lt = operand_type(p, e->lhs), *rt = operand_type(p, e->rhs);
    bool bad = (lt != NULL && (strcmp(lt, "string") == 0 || strcmp(lt, "boolean") == 0)) ||
               (rt != NULL && (strcmp(rt, "string") == 0 || strcmp(rt, "boolean") == 0));
    if (!bad || lt == NULL || rt == NULL)
        return ST_OK;
    struct st_buf b;
    st_buf_init(&b);
    int rv = operand_string(p, e->lhs, &b);
    if (rv == ST_OK && (rv = st_buf_puts(&b, " ")) == ST_OK &&
        (rv = st_buf_puts(&b, OPS[e->op])) == ST_OK && (rv = st_buf_puts(&b, " ")) == ST_OK)
        rv = operand_string(p, e->rhs, &b);
    if (rv == ST_OK)
        rv = rq_fail(p, "type error: %s: incompatible types: %s and %s", b.p, lt, rt);
    st_buf_fini(&b);
    return rv;
}

static int compile(struct xctx *c, const struct st_iql_expr *e, bool root, struct rq_x **out)
{
    struct rq_plan *p = c->p;
    e = unparen(e);
    struct rq_x *x = calloc(1, sizeof(*x));
    int rv = ST_OK;
    if (x == NULL)
        return ST_ENOMEM;
    *out = x;
    switch (e->kind) {
    case ST_IQL_E_INTEGER:
    case ST_IQL_E_DURATION:
        x->kind = X_LIT;
        x->lit = (struct st_qv){.kind = ST_QV_INT, .i = e->i};
        break;
    case ST_IQL_E_UNSIGNED:
        x->kind = X_LIT;
        x->lit = (struct st_qv){.kind = ST_QV_UINT, .u = e->u};
        break;
    case ST_IQL_E_NUMBER:
        x->kind = X_LIT;
        x->lit = (struct st_qv){.kind = ST_QV_FLOAT, .f = e->f};
        break;
    case ST_IQL_E_STRING:
    case ST_IQL_E_BOOLEAN:
        x->kind = X_LIT; /* null in arithmetic */
        break;
    case ST_IQL_E_VARREF:
        p->x_raw_plain = true;
        rv = leaf_ref(c, e, x);
        break;
    case ST_IQL_E_WILDCARD:
        rv = rq_fail(p, "unable to use wildcard in a binary expression");
        break;
    case ST_IQL_E_BINARY:
        if (e->op < ST_IQL_OP_ADD || e->op > ST_IQL_OP_BITXOR) {
            rv = rq_fail(p, "not implemented yet: comparisons in the SELECT list");
            break;
        }
        x->kind = X_BIN;
        x->op = e->op;
        if ((rv = type_check(p, e)) == ST_OK && (rv = compile(c, e->lhs, false, &x->a)) == ST_OK)
            rv = compile(c, e->rhs, false, &x->b);
        break;
    case ST_IQL_E_CALL: {
        int m = math_of(e->name);
        if (m >= 0) {
            size_t want = MATH[m].nargs;
            if (e->nargs != want) {
                rv = rq_fail(p, "invalid number of arguments for %s, expected %zu, got %zu",
                             e->name, want, e->nargs);
                break;
            }
            x->kind = X_MATH;
            x->math = MATH[m].m;
            if ((rv = compile(c, e->args[0], false, &x->a)) == ST_OK && want == 2)
                rv = compile(c, e->args[1], false, &x->b);
        } else if (trans_of(e->name) >= 0) {
            enum rq_trans t = TRANS[trans_of(e->name)].t;
            if (!root && (RQ_T_IS_HW(t) || RQ_T_IS_TA(t)))
                rv = rq_fail(p, "not implemented yet: %s() inside an expression", e->name);
            else
                rv = compile_trans(c, e, x);
        } else {
            rv = leaf_call(c, e, x);
        }
        break;
    }
    default:
        rv = rq_fail(p, "not implemented yet: this expression in the SELECT list");
        break;
    }
    return rv;
}

static void xfree(struct rq_x *x)
{
    if (x == NULL)
        return;
    xfree(x->a);
    xfree(x->b);
    free(x->rows);
    free(x);
}

/* Whether @x is or holds a transformation: its rows are the points the
 * transformation emits, not every row of the series. */
static bool holds_trans(const struct rq_x *x)
{
    return x != NULL && (x->kind == X_TRANS || holds_trans(x->a) || holds_trans(x->b));
}

void rq_x_free(struct rq_plan *p)
{
    for (size_t i = 0; i < p->nouts; i++)
        xfree(p->outs[i].x);
    p->nouts = 0;
}

int rq_x_field(struct rq_plan *p, const struct st_iql_expr *e, const char *alias,
               rq_call_fn plan_call, bool *raw, bool *agg)
{
    struct xctx c = {.p = p, .plan_call = plan_call, .raw = raw, .agg = agg};
    struct rq_out o = {.name = alias};
    if (o.name == NULL) {
        char buf[512] = "";
        xname(e, buf, sizeof(buf));
        if ((o.name = rq_strdup(p->ar, buf, strlen(buf))) == NULL)
            return ST_ENOMEM;
    }
    p->has_x = true;
    int rv = compile(&c, e, true, &o.x);
    if (rv == ST_OK && (rv = add_out(p, o)) == ST_OK)
        return ST_OK;
    xfree(o.x);
    return rv;
}

int rq_x_finish(struct rq_plan *p)
{
    if (!p->has_x)
        return ST_OK;
    /* Duplicate output names get _1, _2 as in InfluxDB. */
    for (size_t i = 1; i < p->nouts; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(p->outs[j].name, p->outs[i].name) == 0;
        for (int n = 1; dup; n++) {
            char name[512];
            snprintf(name, sizeof(name), "%s_%d", p->outs[i].name, n);
            dup = false;
            for (size_t j = 0; j < p->nouts && !dup; j++)
                dup = j != i && strcmp(p->outs[j].name, name) == 0;
            if (!dup && (p->outs[i].name = rq_strdup(p->ar, name, strlen(name))) == NULL)
                return ST_ENOMEM;
        }
    }
    if (p->has_trans && p->interval > 0 && p->has_tmin && p->x_extend) {
        /* Transformations of windows but cumulative_sum read the window
         * before the range too (InfluxDB 1.6): the first row of the range
         * then has a previous point. Rows before the range are dropped. */
        p->x_tmin = p->tmin;
        p->x_cut = true;
        p->tmin -= p->interval;
    }
    if (p->has_trans) {
        /* LIMIT and OFFSET count the transformed rows. */
        struct st_iql_select *s = rq_alloc(p->ar, sizeof(*s));
        if (s == NULL)
            return ST_ENOMEM;
        *s = *p->sel;
        s->limit = s->offset = -1;
        p->user_sel = p->sel;
        p->sel = s;
    }
    return ST_OK;
}

/* Evaluation ------------------------------------------------------------- */

static bool isnum(const struct st_qv *v)
{
    return v->kind == ST_QV_FLOAT || v->kind == ST_QV_INT || v->kind == ST_QV_UINT;
}

static double dbl(const struct st_qv *v)
{
    return v->kind == ST_QV_FLOAT ? v->f : v->kind == ST_QV_INT ? (double)v->i : (double)v->u;
}

static struct st_qv fl(double f)
{
    if (isnan(f))
        return (struct st_qv){.kind = ST_QV_NULL};
    return (struct st_qv){.kind = ST_QV_FLOAT, .f = f};
}

static struct st_qv in(int64_t i)
{
    return (struct st_qv){.kind = ST_QV_INT, .i = i};
}

struct st_qv rq_x_arith(enum st_iql_op op, const struct st_qv *a, const struct st_qv *b)
{
    struct st_qv null = {.kind = ST_QV_NULL};
    if (!isnum(a) || !isnum(b))
        return null;
    if (a->kind == ST_QV_INT && b->kind == ST_QV_INT) {
        uint64_t x = (uint64_t)a->i, y = (uint64_t)b->i;
        switch (op) {
        case ST_IQL_OP_ADD:
            return in((int64_t)(x + y));
        case ST_IQL_OP_SUB:
            return in((int64_t)(x - y));
        case ST_IQL_OP_MUL:
            return in((int64_t)(x * y));
        case ST_IQL_OP_DIV:
            return fl(b->i == 0 ? 0 : (double)a->i / (double)b->i);
        case ST_IQL_OP_MOD:
            return in(b->i == 0 || (a->i == INT64_MIN && b->i == -1) ? 0 : a->i % b->i);
        case ST_IQL_OP_BITAND:
            return in((int64_t)(x & y));
        case ST_IQL_OP_BITOR:
            return in((int64_t)(x | y));
        case ST_IQL_OP_BITXOR:
            return in((int64_t)(x ^ y));
        default:
            return null;
        }
    }
    double x = dbl(a), y = dbl(b);
    switch (op) {
    case ST_IQL_OP_ADD:
        return fl(x + y);
    case ST_IQL_OP_SUB:
        return fl(x - y);
    case ST_IQL_OP_MUL:
        return fl(x * y);
    case ST_IQL_OP_DIV:
        return fl(y == 0 ? 0 : x / y);
    case ST_IQL_OP_MOD:
        return fl(y == 0 ? 0 : fmod(x, y));
    default:
        return null;
    }
}

static struct st_qv math1(enum xmath m, const struct st_qv *a, const struct st_qv *b)
{
    struct st_qv null = {.kind = ST_QV_NULL};
    if (!isnum(a) || (b != NULL && !isnum(b)))
        return null;
    bool integer = a->kind != ST_QV_FLOAT;
    double x = dbl(a);
    switch (m) {
    case M_ABS:
        if (a->kind == ST_QV_INT)
            return in(a->i < 0 ? (int64_t)(0 - (uint64_t)a->i) : a->i);
        return integer ? *a : fl(fabs(x));
    case M_CEIL:
        return integer ? *a : fl(ceil(x));
    case M_FLOOR:
        return integer ? *a : fl(floor(x));
    case M_ROUND:
        return integer ? *a : fl(round(x));
    case M_SQRT:
        return fl(sqrt(x));
    case M_POW:
        return fl(pow(x, dbl(b)));
    case M_LOG:
        return fl(log(x) / log(dbl(b)));
    case M_LOG2:
        return fl(log2(x));
    case M_LOG10:
        return fl(log10(x));
    case M_LN:
        return fl(log(x));
    case M_EXP:
        return fl(exp(x));
    case M_SIN:
        return fl(sin(x));
    case M_COS:
        return fl(cos(x));
    case M_TAN:
        return fl(tan(x));
    case M_ASIN:
        return fl(asin(x));
    case M_ACOS:
        return fl(acos(x));
    case M_ATAN:
        return fl(atan(x));
    case M_ATAN2:
        return fl(atan2(x, dbl(b)));
    }
    return null;
}

/* The value of @x at row @r (@row its values). */
static struct st_qv eval(const struct rq_x *x, const struct st_qv *row, size_t r)
{
    struct st_qv a, b;
    switch (x->kind) {
    case X_COL:
        return row[x->col];
    case X_LIT:
        return x->lit;
    case X_BIN:
        a = eval(x->a, row, r);
        b = eval(x->b, row, r);
        return rq_x_arith(x->op, &a, &b);
    case X_MATH:
        a = eval(x->a, row, r);
        if (x->b == NULL)
            return math1(x->math, &a, NULL);
        b = eval(x->b, row, r);
        return math1(x->math, &a, &b);
    case X_TRANS:
        if (x->rows != NULL)
            return x->rows[r];
        break;
    }
    return (struct st_qv){.kind = ST_QV_NULL};
}

/* The points of one output column over the rows of a series. */
struct stream {
    int64_t *t;
    struct st_qv *v;
    size_t n;
};

int rq_x_transform(enum rq_trans tr, int64_t unit, int64_t n, bool desc, const int64_t *t,
                   const struct st_qv *v, size_t nin, int64_t *ot, struct st_qv *ov, size_t *nout)
{
    size_t m = 0;
    bool have = false;
    int64_t pt = 0;
    struct st_qv pv = {0}, sum = {.kind = ST_QV_NULL};
    double *buf = NULL;
    size_t pos = 0, fill = 0;
    if (tr == RQ_T_MOVING_AVERAGE && (buf = calloc((size_t)n, sizeof(*buf))) == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < nin; i++) {
        const struct st_qv *x = &v[i];
        if (!isnum(x))
            continue;
        switch (tr) {
        case RQ_T_DERIVATIVE:
        case RQ_T_NN_DERIVATIVE:
        case RQ_T_DIFFERENCE:
        case RQ_T_NN_DIFFERENCE:
            if (have && t[i] == pt)
                continue; /* only the first point at a time */
            if (have) {
                struct st_qv d = rq_x_arith(ST_IQL_OP_SUB, x, &pv);
                bool neg = dbl(&d) < 0;
                if (tr == RQ_T_DERIVATIVE || tr == RQ_T_NN_DERIVATIVE) {
                    int64_t el = desc ? pt - t[i] : t[i] - pt;
                    d = fl(dbl(&d) / ((double)el / (double)unit));
                }
                if (!(neg && (tr == RQ_T_NN_DERIVATIVE || tr == RQ_T_NN_DIFFERENCE))) {
                    ot[m] = t[i];
                    ov[m++] = d;
                }
            }
            break;
        case RQ_T_MOVING_AVERAGE:
            /* The sum of the ring buffer in slot order, as InfluxDB adds it
             * (a running sum would round differently). */
            if (fill < (size_t)n)
                fill++;
            buf[pos] = dbl(x);
            pos = (pos + 1) % (size_t)n;
            if (fill == (size_t)n) {
                double msum = 0;
                for (size_t k = 0; k < (size_t)n; k++)
                    msum += buf[k];
                ot[m] = t[i];
                ov[m++] = fl(msum / (double)n);
            }
            break;
        case RQ_T_CUMULATIVE_SUM:
            sum = sum.kind == ST_QV_NULL ? *x : rq_x_arith(ST_IQL_OP_ADD, &sum, x);
            ot[m] = t[i];
            ov[m++] = sum;
            break;
        case RQ_T_ELAPSED:
            if (have) {
                ot[m] = t[i];
                ov[m++] = in((t[i] - pt) / unit);
            }
            break;
        default:
            break; /* the TA functions: rq_ta_transform() */
        }
        have = true;
        pt = t[i];
        pv = *x;
    }
    free(buf);
    *nout = m;
    return ST_OK;
}

/* Computes every transformation inside @x over the rows of @s into its
 * rows[] (the points it emits, put back on the rows of their times). */
static int nested_trans(struct rq_x *x, const struct st_qseries *s, bool desc)
{
    if (x == NULL)
        return ST_OK;
    int rv = nested_trans(x->a, s, desc);
    if (rv == ST_OK)
        rv = nested_trans(x->b, s, desc);
    if (rv != ST_OK || x->kind != X_TRANS)
        return rv;
    size_t nr = s->nrows, nc = s->ncolumns, n = nr ? nr : 1, m = 0;
    int64_t *t = malloc(n * sizeof(*t)), *ot = malloc(n * sizeof(*ot));
    struct st_qv *v = malloc(n * sizeof(*v)), *ov = malloc(n * sizeof(*ov));
    free(x->rows);
    x->rows = calloc(n, sizeof(*x->rows)); /* ST_QV_NULL is 0 */
    rv = t && ot && v && ov && x->rows ? ST_OK : ST_ENOMEM;
    for (size_t r = 0; rv == ST_OK && r < nr; r++) {
        t[r] = s->values[r * nc].t;
        v[r] = eval(x->a, &s->values[r * nc], r);
    }
    if (rv == ST_OK)
        rv = rq_x_transform(x->tr, x->unit, x->n, desc, t, v, nr, ot, ov, &m);
    /* The points come at the times of input rows, in row order. */
    for (size_t r = 0, k = 0; rv == ST_OK && r < nr && k < m; r++)
        if (t[r] == ot[k])
            x->rows[r] = ov[k++];
    free(t);
    free(ot);
    free(v);
    free(ov);
    return rv;
}

/* Whether the expression @x has a point at row @r: InfluxDB joins the
 * iterators of its operands by time, so a column (a window, a raw row)
 * has one at every row, a transformation where it emits, a literal none. */
static bool emits(const struct rq_x *x, size_t r)
{
    if (x == NULL)
        return false;
    switch (x->kind) {
    case X_COL:
        return true;
    case X_LIT:
        return false;
    case X_TRANS:
        return x->rows != NULL && x->rows[r].kind != ST_QV_NULL;
    default:
        return emits(x->a, r) || emits(x->b, r);
    }
}

/* Whether a transformation inside @x emits at row @r. */
static bool trans_emits(const struct rq_x *x, size_t r)
{
    if (x == NULL)
        return false;
    if (x->kind == X_TRANS)
        return x->rows != NULL && x->rows[r].kind != ST_QV_NULL;
    return trans_emits(x->a, r) || trans_emits(x->b, r);
}

static int stream_of(const struct rq_plan *p, const struct rq_out *o, const struct st_qseries *s,
                     bool desc, struct stream *st)
{
    int64_t p_interval = p->interval;
    size_t nr = s->nrows, nc = s->ncolumns;
    st->t = malloc((nr ? nr : 1) * sizeof(*st->t));
    st->v = malloc((nr ? nr : 1) * sizeof(*st->v));
    if (st->t == NULL || st->v == NULL)
        return ST_ENOMEM;
    if (o->x != NULL && o->x->kind != X_TRANS && holds_trans(o->x)) {
        /* An expression over transformations (derivative(mean(v)) * 8):
         * its points are the rows where one of its operands has one. */
        int rv = nested_trans(o->x, s, desc);
        if (rv != ST_OK)
            return rv;
        st->n = 0;
        for (size_t r = 0; r < nr; r++) {
            if (!emits(o->x, r))
                continue;
            /* The window read before the range: only what a
             * transformation emits there (as for a transformation alone). */
            if (p->x_cut && s->values[r * nc].t < p->x_tmin && !trans_emits(o->x, r))
                continue;
            st->t[st->n] = s->values[r * nc].t;
            st->v[st->n++] = eval(o->x, &s->values[r * nc], r);
        }
        return ST_OK;
    }
    if (o->x == NULL || o->x->kind != X_TRANS) {
        for (size_t r = 0; r < nr; r++) {
            const struct st_qv *row = &s->values[r * nc];
            st->t[r] = row[0].t;
            st->v[r] = o->x ? eval(o->x, row, r) : row[o->col];
        }
        st->n = nr;
        return ST_OK;
    }
    struct st_qv *in_v = malloc((nr ? nr : 1) * sizeof(*in_v));
    if (in_v == NULL)
        return ST_ENOMEM;
    for (size_t r = 0; r < nr; r++) {
        st->t[r] = s->values[r * nc].t;
        in_v[r] = eval(o->x->a, &s->values[r * nc], r);
    }
    int64_t *in_t = malloc((nr ? nr : 1) * sizeof(*in_t));
    int rv = ST_ENOMEM;
    if (in_t != NULL) {
        memcpy(in_t, st->t, nr * sizeof(*in_t));
        if (RQ_T_IS_HW(o->x->tr)) {
            free(st->t);
            free(st->v);
            st->t = NULL;
            st->v = NULL;
            rv = rq_hw_transform(o->x->n, o->x->unit, o->x->tr == RQ_T_HOLT_WINTERS_FIT, p_interval,
                                 in_t, in_v, nr, &st->t, &st->v, &st->n);
        } else if (RQ_T_IS_TA(o->x->tr))
            rv = rq_ta_transform(&o->x->ta, in_t, in_v, nr, st->t, st->v, &st->n);
        else
            rv = rq_x_transform(o->x->tr, o->x->unit, o->x->n, desc, in_t, in_v, nr, st->t, st->v,
                                &st->n);
    }
    free(in_t);
    free(in_v);
    return rv;
}

static void fill_trans(const struct rq_plan *p, const struct st_iql_select *sel, struct st_qv *vals,
                       size_t nrows, size_t no)
{
    for (size_t k = 0; k < p->nouts; k++) {
        if (!holds_trans(p->outs[k].x))
            continue;
        for (size_t r = 0; r < nrows; r++) {
            struct st_qv *v = &vals[r * no + k + 1];
            if (v->kind != ST_QV_NULL)
                continue;
            if (sel->fill == ST_IQL_FILL_PREVIOUS && r > 0)
                *v = vals[(r - 1) * no + k + 1];
            else if (sel->fill == ST_IQL_FILL_NUMBER && sel->fill_value != NULL)
                *v = sel->fill_value->kind == ST_IQL_E_NUMBER ? fl(sel->fill_value->f)
                                                              : in(sel->fill_value->i);
        }
    }
}

/* Rewrites series [@first, res->nseries) from exec columns to the output
 * columns. */
int rq_x_apply(struct rq_plan *p, struct st_qres *res, size_t first)
{
    if (!p->has_x)
        return ST_OK;
    const struct st_iql_select *sel = p->user_sel ? p->user_sel : p->sel;
    bool desc = sel->desc;
    size_t no = p->nouts + 1, kept = first;
    for (size_t i = first; i < res->nseries; i++) {
        struct st_qseries *s = &res->series[i];
        struct stream *st = calloc(p->nouts, sizeof(*st));
        const char **cols = rq_res_alloc(res, no * sizeof(*cols));
        size_t *at = calloc(p->nouts, sizeof(*at));
        struct st_qv *vals = NULL;
        size_t nrows = 0, cap = 0;
        int rv = st == NULL || cols == NULL || at == NULL ? ST_ENOMEM : ST_OK;
        for (size_t k = 0; rv == ST_OK && k < p->nouts; k++)
            rv = stream_of(p, &p->outs[k], s, desc, &st[k]);
        /* The union of the streams' times, in row order. */
        for (;;) {
            if (rv != ST_OK)
                break;
            bool any = false;
            int64_t t = 0;
            for (size_t k = 0; k < p->nouts; k++) {
                if (at[k] >= st[k].n)
                    continue;
                int64_t tk = st[k].t[at[k]];
                if (!any || (desc ? tk > t : tk < t))
                    t = tk;
                any = true;
            }
            if (!any)
                break;
            if (p->x_cut && t < p->x_tmin) {
                /* The window before the range: InfluxDB keeps what a
                 * transformation emits there (a TA function with hold
                 * period 0), not the other columns. */
                bool keep = false;
                for (size_t k = 0; k < p->nouts; k++) {
                    if (at[k] >= st[k].n || st[k].t[at[k]] != t)
                        continue;
                    if (holds_trans(p->outs[k].x))
                        keep = true;
                    else
                        at[k]++;
                }
                if (!keep)
                    continue;
            }
            if (nrows == cap) {
                cap = cap ? cap * 2 : 16;
                void *np = realloc(vals, cap * no * sizeof(*vals));
                if (np == NULL) {
                    rv = ST_ENOMEM;
                    break;
                }
                vals = np;
            }
            struct st_qv *row = &vals[nrows++ * no];
            row[0] = (struct st_qv){.kind = ST_QV_TIME, .t = t};
            for (size_t k = 0; k < p->nouts; k++) {
                row[k + 1] = (struct st_qv){.kind = ST_QV_NULL};
                if (at[k] < st[k].n && st[k].t[at[k]] == t)
                    row[k + 1] = st[k].v[at[k]++];
            }
        }
        for (size_t k = 0; st != NULL && k < p->nouts; k++) {
            free(st[k].t);
            free(st[k].v);
        }
        free(st);
        free(at);
        if (rv != ST_OK) {
            free(vals);
            return rv;
        }
        cols[0] = "time";
        for (size_t k = 0; k < p->nouts; k++)
            cols[k + 1] = rq_res_str(res, p->outs[k].name, strlen(p->outs[k].name));
        /* fill(previous) and fill(number) reach a transformation's column
         * in rows that another column made (InfluxDB fills the joined
         * rows). */
        if (p->has_trans && p->interval > 0 &&
            (sel->fill == ST_IQL_FILL_PREVIOUS || sel->fill == ST_IQL_FILL_NUMBER))
            fill_trans(p, sel, vals, nrows, no);
        /* LIMIT and OFFSET after a transformation. */
        if (p->user_sel != NULL) {
            size_t off = sel->offset > 0 ? (size_t)sel->offset : 0;
            off = off < nrows ? off : nrows;
            if (off > 0)
                memmove(vals, vals + off * no, (nrows - off) * no * sizeof(*vals));
            nrows -= off;
            if (sel->limit > 0 && (size_t)sel->limit < nrows)
                nrows = (size_t)sel->limit;
        }
        free(s->values);
        s->values = vals;
        s->nrows = nrows;
        s->columns = cols;
        s->ncolumns = no;
        if (nrows > 0)
            res->series[kept++] = *s;
        else
            free(s->values);
    }
    res->nseries = kept;
    return ST_OK;
}
