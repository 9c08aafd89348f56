/* Planning of the aggregates computed on the router from raw points
 * (query_pts.c): their arguments, checked with InfluxDB 1.6's messages;
 * selectors that carry raw fields and tags from the selected point's row;
 * and the choice of points mode with the hidden raw columns it reads.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "query_int.h"

static const struct {
    const char *name;
    enum rq_fn fn;
} PFNS[] = {
    {"median", RQ_FN_MEDIAN},     {"mode", RQ_FN_MODE},         {"percentile", RQ_FN_PERCENTILE},
    {"integral", RQ_FN_INTEGRAL}, {"distinct", RQ_FN_DISTINCT}, {"top", RQ_FN_TOP},
    {"bottom", RQ_FN_BOTTOM},     {"sample", RQ_FN_SAMPLE},
};

static const struct st_iql_expr *unparen(const struct st_iql_expr *e)
{
    while (e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    return e;
}

static int nargs_fail(struct rq_plan *p, const struct st_iql_expr *e, const char *expected)
{
    return rq_fail(p, "invalid number of arguments for %s, expected %s, got %zu", e->name, expected,
                   e->nargs);
}

/* The literal of @a as Go's %v would print it in an error. */
static void literal(const struct st_iql_expr *a, char *buf, size_t n)
{
    switch (a->kind) {
    case ST_IQL_E_NUMBER:
        snprintf(buf, n, "%.3f", a->f);
        break;
    case ST_IQL_E_INTEGER:
    case ST_IQL_E_DURATION:
        snprintf(buf, n, "%lld", (long long)a->i);
        break;
    case ST_IQL_E_STRING:
        snprintf(buf, n, "'%s'", a->str);
        break;
    case ST_IQL_E_VARREF:
        snprintf(buf, n, "%s", a->name);
        break;
    default:
        snprintf(buf, n, "?");
        break;
    }
}

int rq_plan_points_call(struct rq_plan *p, const struct st_iql_expr *e, const char *alias)
{
    enum rq_fn fn = 0;
    const struct st_iql_expr *call = e;
    const char *name = alias ? alias : e->name;
    if (strcmp(e->name, "count") == 0) {
        /* count(distinct(x)) */
        call = unparen(e->args[0]);
        if (call->nargs != 1)
            return nargs_fail(p, call, "1");
        fn = RQ_FN_COUNT_DISTINCT;
    } else {
        for (size_t i = 0; i < sizeof(PFNS) / sizeof(PFNS[0]) && fn == 0; i++)
            if (strcmp(e->name, PFNS[i].name) == 0)
                fn = PFNS[i].fn;
        if (fn == 0)
            return ST_ENOTFOUND;
    }
    struct rq_col c = {.kind = RQ_COL_AGG, .fn = fn, .name = name};
    switch (fn) {
    case RQ_FN_MEDIAN:
    case RQ_FN_MODE:
    case RQ_FN_DISTINCT:
        if (e->nargs != 1)
            return nargs_fail(p, e, "1");
        break;
    case RQ_FN_PERCENTILE: {
        if (e->nargs != 2)
            return nargs_fail(p, e, "2");
        const struct st_iql_expr *a = unparen(e->args[1]);
        if (a->kind == ST_IQL_E_NUMBER)
            c.arg = a->f;
        else if (a->kind == ST_IQL_E_INTEGER)
            c.arg = (double)a->i;
        else
            return rq_fail(p, "expected float argument in percentile()");
        break;
    }
    case RQ_FN_INTEGRAL:
        if (e->nargs < 1 || e->nargs > 2)
            return rq_fail(p,
                           "invalid number of arguments for integral, expected at least 1 but no "
                           "more than 2, got %zu",
                           e->nargs);
        c.unit = 1000000000;
        if (e->nargs == 2) {
            const struct st_iql_expr *a = unparen(e->args[1]);
            if (a->kind != ST_IQL_E_DURATION)
                return rq_fail(p, "second argument must be a duration");
            c.unit = a->i;
        }
        break;
    case RQ_FN_SAMPLE: {
        if (e->nargs != 2)
            return nargs_fail(p, e, "2");
        const struct st_iql_expr *a = unparen(e->args[1]);
        if (a->kind != ST_IQL_E_INTEGER)
            return rq_fail(p, "expected integer argument in sample()");
        if (a->i < 1)
            return rq_fail(p, "sample window must be greater than 1, got %lld", (long long)a->i);
        c.n = a->i;
        break;
    }
    case RQ_FN_TOP:
    case RQ_FN_BOTTOM: {
        if (e->nargs < 2)
            return rq_fail(p, "invalid number of arguments for %s, expected at least 2, got %zu",
                           e->name, e->nargs);
        const struct st_iql_expr *a = unparen(e->args[e->nargs - 1]);
        if (a->kind != ST_IQL_E_INTEGER) {
            char lit[64];
            literal(a, lit, sizeof(lit));
            return rq_fail(p, "expected integer as last argument in %s(), found %s", e->name, lit);
        }
        if (a->i <= 0)
            return rq_fail(p, "limit (%lld) in %s function must be at least 1", (long long)a->i,
                           e->name);
        c.n = a->i;
        c.nby_tags = e->nargs - 2;
        if (c.nby_tags > 0) {
            c.by_tags = rq_alloc(p->ar, c.nby_tags * sizeof(*c.by_tags));
            c.by_src = rq_alloc(p->ar, c.nby_tags * sizeof(*c.by_src));
            if (c.by_tags == NULL || c.by_src == NULL)
                return ST_ENOMEM;
        }
        for (size_t i = 0; i < c.nby_tags; i++) {
            const struct st_iql_expr *t = unparen(e->args[i + 1]);
            if (t->kind != ST_IQL_E_VARREF) {
                char lit[64];
                literal(t, lit, sizeof(lit));
                return rq_fail(p, "only fields or tags are allowed in %s(), found %s", e->name,
                               lit);
            }
            if (rq_is_field(p, t->name))
                return rq_fail(p, "not implemented yet: a field as a tag argument of %s()",
                               e->name);
            c.by_tags[i] = t->name;
        }
        break;
    }
    default:
        break;
    }
    const struct st_iql_expr *a = unparen(call->args[0]);
    if (a->kind != ST_IQL_E_VARREF) {
        if (a->kind == ST_IQL_E_CALL)
            return rq_fail(p, "not implemented yet: %s() of %s()", call->name, a->name);
        if ((a->kind == ST_IQL_E_WILDCARD || a->kind == ST_IQL_E_REGEX) && fn != RQ_FN_DISTINCT &&
            fn != RQ_FN_COUNT_DISTINCT)
            return rq_fail(p, "not implemented yet: %s() of a wildcard", call->name);
        return rq_fail(p, "expected field argument in %s()", call->name);
    }
    c.key = a->name;
    int rv = rq_add_col(p, c);
    /* top(x, tag..., N): the tags are columns after the value. */
    for (size_t i = 0; rv == ST_OK && i < c.nby_tags; i++) {
        c.by_src[i] = p->ncols;
        rv = rq_add_col(p, (struct rq_col){.kind = RQ_COL_TAG,
                                           .key = c.by_tags[i],
                                           .name = c.by_tags[i],
                                           .cast = ST_IQL_CAST_TAG});
    }
    return rv;
}

static bool is_selector(enum rq_fn fn)
{
    return fn == RQ_FN_MIN || fn == RQ_FN_MAX || fn == RQ_FN_FIRST || fn == RQ_FN_LAST ||
           fn == RQ_FN_PERCENTILE || fn == RQ_FN_TOP || fn == RQ_FN_BOTTOM || fn == RQ_FN_SAMPLE;
}

int rq_plan_selector_row(struct rq_plan *p)
{
    size_t calls = 0, at = 0;
    for (size_t k = 1; k < p->ncols; k++)
        if (p->cols[k].kind == RQ_COL_AGG) {
            calls++;
            at = k;
        }
    if (calls != 1 || !is_selector(p->cols[at].fn))
        return rq_fail(p, "mixing aggregate and non-aggregate queries is not supported");
    p->selector = at;
    return ST_OK;
}

static int hidden_field(struct rq_plan *p, const char *key, size_t *out)
{
    for (size_t i = 1; i < p->ncols; i++)
        if (p->cols[i].kind == RQ_COL_FIELD && strcmp(p->cols[i].key, key) == 0) {
            *out = i;
            return ST_OK;
        }
    *out = p->ncols;
    return rq_add_col(p, (struct rq_col){.kind = RQ_COL_FIELD, .key = key, .name = key});
}

/* InfluxDB fails when it builds the iterator of a numeric aggregate over
 * a string or boolean field. */
static int check_type(struct rq_plan *p, const struct rq_col *c)
{
    const char *fn = c->fn == RQ_FN_MEAN       ? "mean"
                     : c->fn == RQ_FN_SUM      ? "sum"
                     : c->fn == RQ_FN_INTEGRAL ? "integral"
                                               : NULL;
    if (fn == NULL)
        return ST_OK;
    for (size_t f = 0; f < p->nfields; f++) {
        if (strcmp(p->fields[f], c->key) != 0)
            continue;
        if (p->field_types[f] == STRATA__FIELD_TYPE__STRING)
            return rq_fail(p, "unsupported %s iterator type: *query.stringInterruptIterator", fn);
        if (p->field_types[f] == STRATA__FIELD_TYPE__BOOLEAN)
            return rq_fail(p, "unsupported %s iterator type: *query.booleanInterruptIterator", fn);
    }
    return ST_OK;
}

int rq_plan_points(struct rq_plan *p)
{
    size_t calls = 0, at = 0, multi = 0;
    bool raw = false;
    for (size_t k = 1; k < p->nout; k++) {
        const struct rq_col *c = &p->cols[k];
        if (c->kind != RQ_COL_AGG) {
            raw = true;
            continue;
        }
        calls++;
        at = k;
        int rv = check_type(p, c);
        if (rv != ST_OK)
            return rv;
        p->points = p->points || RQ_FN_POINTS(c->fn);
        if (RQ_FN_MULTI(c->fn))
            multi = k;
    }
    if (calls == 1 && is_selector(p->cols[at].fn) && !RQ_FN_MULTI(p->cols[at].fn))
        p->selector = at;
    if (multi > 0 && calls > 1) {
        const struct rq_col *m = &p->cols[multi];
        if (m->fn == RQ_FN_DISTINCT)
            return rq_fail(p, "aggregate function distinct() cannot be combined with other "
                              "functions or fields");
        return rq_fail(p, "selector function %s() cannot be combined with other functions",
                       m->fn == RQ_FN_TOP      ? "top"
                       : m->fn == RQ_FN_BOTTOM ? "bottom"
                                               : "sample");
    }
    if (multi > 0 && raw && p->cols[multi].fn == RQ_FN_DISTINCT)
        return rq_fail(p, "aggregate function distinct() cannot be combined with other functions "
                          "or fields");
    p->multi = multi;
    p->points = p->points || raw || multi > 0;
    if (!p->points)
        return ST_OK;
    for (size_t k = 1; k < p->nout; k++) {
        if (p->cols[k].kind != RQ_COL_AGG)
            continue;
        size_t src;
        int rv = hidden_field(p, p->cols[k].key, &src);
        if (rv != ST_OK)
            return rv;
        p->cols[k].src = src;
    }
    return ST_OK;
}
