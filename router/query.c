/* SELECT: from the statement to a plan per source, then run it.
 *
 * For each FROM source: resolve database and policy; take the time range
 * out of WHERE; find the shards; read the source's field keys (and tag
 * keys for *) from their owners; classify the rest of WHERE as a tag filter;
 * turn the SELECT list into output columns (raw fields and tags, or
 * aggregates of fields); then run the aggregate or raw executor. What is
 * not supported yet fails the statement with "not implemented yet: ...",
 * never with a wrong answer (docs/query-engine.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalogue.h"
#include "err.h"
#include "query_int.h"
#include "regex.h"

static const struct {
    const char *name;
    enum rq_fn fn;
} FNS[] = {
    {"count", RQ_FN_COUNT}, {"sum", RQ_FN_SUM},       {"mean", RQ_FN_MEAN},
    {"min", RQ_FN_MIN},     {"max", RQ_FN_MAX},       {"first", RQ_FN_FIRST},
    {"last", RQ_FN_LAST},   {"spread", RQ_FN_SPREAD}, {"stddev", RQ_FN_STDDEV},
};

/* InfluxQL functions strata does not compute yet (known to InfluxDB). */
static const char *const LATER[] = {
    "derivative",
    "non_negative_derivative",
    "difference",
    "non_negative_difference",
    "moving_average",
    "cumulative_sum",
    "elapsed",
    "abs",
    "ceil",
    "floor",
    "round",
    "sqrt",
    "pow",
    "log",
    "log2",
    "log10",
    "ln",
    "exp",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "holt_winters",
    "holt_winters_with_fit",
    "chande_momentum_oscillator",
    "exponential_moving_average",
    "double_exponential_moving_average",
    "triple_exponential_moving_average",
    "relative_strength_index",
    "triple_exponential_derivative",
    "kaufmans_efficiency_ratio",
    "kaufmans_adaptive_moving_average",
};

static const struct st_iql_expr *unparen(const struct st_iql_expr *e)
{
    while (e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    return e;
}

int rq_add_col(struct rq_plan *p, struct rq_col c)
{
    size_t *cap = &p->cols_cap;
    if (p->ncols == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct rq_col *n = rq_alloc(p->ar, ncap * sizeof(*n));
        if (n == NULL)
            return ST_ENOMEM;
        if (p->ncols)
            memcpy(n, p->cols, p->ncols * sizeof(*n));
        p->cols = n;
        *cap = ncap;
    }
    p->cols[p->ncols++] = c;
    return ST_OK;
}

static bool is_group_tag(const struct rq_plan *p, const char *key)
{
    for (size_t i = 0; i < p->ngroup_tags; i++)
        if (strcmp(p->group_tags[i], key) == 0)
            return true;
    return false;
}

/* SELECT * (or *::field, *::tag) and SELECT /re/ (@re borrowed, NULL for *):
 * fields and tags, sorted together by name; tags that are GROUP BY keys are
 * not columns, and no tag is with GROUP BY * or GROUP BY /re/ (InfluxDB). */
static int add_wildcard(struct rq_plan *p, enum st_iql_cast cast, const st_re *re)
{
    size_t f = 0, t = 0;
    bool fields = cast != ST_IQL_CAST_TAG,
         tags = cast != ST_IQL_CAST_FIELD && !p->group_all && p->ngroup_res == 0;
    for (;;) {
        const char *fk = fields && f < p->nfields ? p->fields[f] : NULL;
        const char *tk = tags && t < p->ntag_keys ? p->tag_keys[t] : NULL;
        if (fk == NULL && tk == NULL)
            return ST_OK;
        struct rq_col c = {0};
        if (tk == NULL || (fk != NULL && strcmp(fk, tk) <= 0)) {
            c.kind = RQ_COL_FIELD;
            c.key = c.name = fk;
            f++;
        } else {
            t++;
            if (is_group_tag(p, tk))
                continue;
            c.kind = RQ_COL_TAG;
            c.key = c.name = tk;
        }
        if (re != NULL && !st_re_match(re, c.key, strlen(c.key)))
            continue;
        int rv = rq_add_col(p, c);
        if (rv != ST_OK)
            return rv;
    }
}

/* fn(*) and fn(/re/): one column per matching field, named fn_field, over
 * the fields whose type the function takes. */
static int expand_call(struct rq_plan *p, const struct st_iql_expr *e, enum rq_fn fn,
                       const struct st_iql_expr *a, const char *alias)
{
    st_re *re = NULL;
    if (a->kind == ST_IQL_E_REGEX) {
        char msg[256] = "";
        if (st_re_compile(a->str, strlen(a->str), &re, msg, sizeof(msg)) != ST_OK)
            return rq_fail(p, "invalid regular expression /%s/: %s", a->str, msg);
    }
    bool any_type = fn == RQ_FN_COUNT || fn == RQ_FN_FIRST || fn == RQ_FN_LAST;
    int rv = ST_OK;
    for (size_t f = 0; rv == ST_OK && f < p->nfields; f++) {
        Strata__FieldType t = p->field_types[f];
        bool number = t == STRATA__FIELD_TYPE__FLOAT || t == STRATA__FIELD_TYPE__INTEGER ||
                      t == STRATA__FIELD_TYPE__UNSIGNED;
        if (!any_type && !number &&
            !((fn == RQ_FN_MIN || fn == RQ_FN_MAX) && t == STRATA__FIELD_TYPE__BOOLEAN))
            continue;
        if (re != NULL && !st_re_match(re, p->fields[f], strlen(p->fields[f])))
            continue;
        char name[512];
        snprintf(name, sizeof(name), "%s_%s", alias ? alias : e->name, p->fields[f]);
        struct rq_col c = {.kind = RQ_COL_AGG, .key = p->fields[f], .fn = fn};
        if ((c.name = rq_strdup(p->ar, name, strlen(name))) == NULL)
            rv = ST_ENOMEM;
        else
            rv = rq_add_col(p, c);
    }
    st_re_free(re);
    return rv;
}

static int plan_call(struct rq_plan *p, const struct st_iql_expr *e, const char *alias)
{
    for (size_t i = 0; i < sizeof(FNS) / sizeof(FNS[0]); i++) {
        if (strcmp(e->name, FNS[i].name) != 0)
            continue;
        if (e->nargs != 1)
            return rq_fail(p, "invalid number of arguments for %s, expected 1, got %zu", e->name,
                           e->nargs);
        const struct st_iql_expr *a = unparen(e->args[0]);
        if (a->kind == ST_IQL_E_WILDCARD || a->kind == ST_IQL_E_REGEX)
            return expand_call(p, e, FNS[i].fn, a, alias);
        if (a->kind == ST_IQL_E_CALL && FNS[i].fn == RQ_FN_COUNT &&
            strcmp(a->name, "distinct") == 0)
            return rq_plan_points_call(p, e, alias);
        if (a->kind != ST_IQL_E_VARREF) {
            if (a->kind == ST_IQL_E_CALL)
                return rq_fail(p, "not implemented yet: %s() of %s()", e->name, a->name);
            return rq_fail(p, "expected field argument in %s()", e->name);
        }
        enum rq_fn fn = FNS[i].fn;
        int t = rq_field_type(p, a->name);
        bool str = t == STRATA__FIELD_TYPE__STRING, boolean = t == STRATA__FIELD_TYPE__BOOLEAN;
        if (((str || boolean) &&
             (fn == RQ_FN_SUM || fn == RQ_FN_MEAN || fn == RQ_FN_SPREAD || fn == RQ_FN_STDDEV)) ||
            (str && (fn == RQ_FN_MIN || fn == RQ_FN_MAX)))
            return rq_fail(p, "unsupported %s iterator type: *query.%sInterruptIterator", e->name,
                           str ? "string" : "boolean");
        struct rq_col c = {.kind = RQ_COL_AGG, .key = a->name, .fn = fn};
        c.name = alias ? alias : e->name;
        return rq_add_col(p, c);
    }
    int rv = rq_plan_points_call(p, e, alias);
    if (rv != ST_ENOTFOUND)
        return rv;
    for (size_t i = 0; i < sizeof(LATER) / sizeof(LATER[0]); i++)
        if (strcmp(e->name, LATER[i]) == 0)
            return rq_fail(p, "not implemented yet: %s()", e->name);
    return rq_fail(p, "undefined function %s()", e->name);
}

/* Renames duplicate column names as InfluxDB does: max, max_1, max_2. */
static int dedup_names(struct rq_plan *p)
{
    for (size_t i = 1; i < p->ncols; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(p->cols[j].name, p->cols[i].name) == 0;
        for (int n = 1; dup; n++) {
            char name[512];
            snprintf(name, sizeof(name), "%s_%d", p->cols[i].name, n);
            dup = false;
            for (size_t j = 0; j < p->ncols && !dup; j++)
                dup = j != i && strcmp(p->cols[j].name, name) == 0;
            if (!dup) {
                p->cols[i].name = rq_strdup(p->ar, name, strlen(name));
                if (p->cols[i].name == NULL)
                    return ST_ENOMEM;
            }
        }
    }
    return ST_OK;
}

static int plan_fields(struct rq_plan *p)
{
    const struct st_iql_select *sel = p->sel;
    bool only_time = true;
    for (size_t i = 0; i < sel->nfields && only_time; i++) {
        const struct st_iql_expr *e = unparen(sel->fields[i].expr);
        only_time = e->kind == ST_IQL_E_VARREF && strcasecmp(e->name, "time") == 0;
    }
    if (only_time)
        return rq_fail(p, "at least 1 non-time field must be queried");
    int rv = rq_add_col(p, (struct rq_col){.kind = RQ_COL_TIME, .name = "time"});
    bool raw = false, agg = false, plain_raw = false; /* plain_raw: a field or tag, not in a call */
    for (size_t i = 0; rv == ST_OK && i < sel->nfields; i++) {
        const struct st_iql_expr *e = unparen(sel->fields[i].expr);
        const char *alias = sel->fields[i].alias;
        size_t before = p->ncols;
        if (rq_x_is_expr(e)) {
            rv = rq_x_field(p, e, alias, plan_call, &raw, &agg);
            continue;
        }
        switch (e->kind) {
        case ST_IQL_E_CALL:
            agg = true;
            rv = plan_call(p, e, alias);
            break;
        case ST_IQL_E_WILDCARD:
            raw = plain_raw = true;
            rv = add_wildcard(p, e->cast, NULL);
            break;
        case ST_IQL_E_VARREF: {
            raw = true;
            if (strcasecmp(e->name, "time") == 0)
                break; /* the time column is always first */
            plain_raw = true;
            bool tag = e->cast == ST_IQL_CAST_TAG ||
                       (e->cast != ST_IQL_CAST_FIELD && !rq_is_field(p, e->name));
            struct rq_col c = {.kind = tag ? RQ_COL_TAG : RQ_COL_FIELD, .key = e->name};
            c.name = alias ? alias : e->name;
            c.cast = e->cast;
            rv = rq_add_col(p, c);
            break;
        }
        case ST_IQL_E_REGEX: {
            st_re *re = NULL;
            char msg[256] = "";
            raw = plain_raw = true;
            if (st_re_compile(e->str, strlen(e->str), &re, msg, sizeof(msg)) != ST_OK) {
                rv = rq_fail(p, "invalid regular expression /%s/: %s", e->str, msg);
                break;
            }
            rv = add_wildcard(p, ST_IQL_CAST_NONE, re);
            st_re_free(re);
            break;
        }
        default:
            rv = rq_fail(p, "not implemented yet: expressions in the SELECT list");
            break;
        }
        if (rv == ST_OK)
            rv = rq_x_pass(p, before);
    }
    if (rv == ST_OK)
        rv = rq_x_finish(p);
    if (rv != ST_OK)
        return rv;
    if (raw && agg && (rv = rq_plan_selector_row(p)) != ST_OK)
        return rv;
    if (p->x_raw_trans && (p->x_raw_plain || plain_raw))
        return rq_fail(p, "mixing aggregate and non-aggregate queries is not supported");
    p->aggregate = agg;
    if (!agg && p->interval > 0)
        return rq_fail(p, "GROUP BY requires at least one aggregate function");
    bool any = false;
    for (size_t i = 1; i < p->ncols; i++)
        any = any || p->cols[i].kind != RQ_COL_TAG;
    if (!any && !agg)
        return ST_ENOTFOUND; /* only tags, or unknown names: InfluxDB answers no series */
    return dedup_names(p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int plan_dims(struct rq_plan *p, int64_t now)
{
    (void)now;
    const struct st_iql_select *sel = p->sel;
    p->group_tags = rq_alloc(p->ar, (sel->ndims ? sel->ndims : 1) * sizeof(*p->group_tags));
    if (p->group_tags == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < sel->ndims; i++) {
        const struct st_iql_expr *d = unparen(sel->dims[i]);
        if (d->kind == ST_IQL_E_CALL && strcmp(d->name, "time") == 0) {
            if (p->interval > 0)
                return rq_fail(p, "multiple time dimensions not allowed");
            if (d->nargs < 1 || d->nargs > 2 || unparen(d->args[0])->kind != ST_IQL_E_DURATION)
                return rq_fail(p, "time dimension expected 1 or 2 arguments");
            p->interval = unparen(d->args[0])->i;
            if (p->interval < 0)
                return rq_fail(p, "time dimension must have positive interval");
            /* time(0s) groups nothing by time, as in InfluxDB. */
            if (d->nargs == 2) {
                const struct st_iql_expr *o = unparen(d->args[1]);
                if (o->kind == ST_IQL_E_DURATION || o->kind == ST_IQL_E_INTEGER)
                    p->offset = o->i;
                else if (o->kind == ST_IQL_E_CALL && strcmp(o->name, "now") == 0)
                    return rq_fail(p, "not implemented yet: time(interval, now())");
                else
                    return rq_fail(p, "time dimension offset must be duration or now()");
                p->offset %= p->interval;
                if (p->offset < 0)
                    p->offset += p->interval;
            }
        } else if (d->kind == ST_IQL_E_VARREF) {
            if (!is_group_tag(p, d->name))
                p->group_tags[p->ngroup_tags++] = d->name;
        } else if (d->kind == ST_IQL_E_WILDCARD || d->kind == ST_IQL_E_REGEX) {
            /* GROUP BY * is GROUP BY every tag key of the sources, as
             * InfluxDB expands it: a series without one of them is in the
             * group of "" for it (tags {"dc":""}), like GROUP BY /re/. */
            const char **res = rq_alloc(p->ar, (p->ngroup_res + 1) * sizeof(*res));
            if (res == NULL)
                return ST_ENOMEM;
            if (p->ngroup_res)
                memcpy(res, p->group_res, p->ngroup_res * sizeof(*res));
            res[p->ngroup_res++] = d->kind == ST_IQL_E_REGEX ? d->str : "";
            p->group_res = res;
        } else {
            return rq_fail(p, "only time() calls allowed in dimensions");
        }
    }
    if (p->ngroup_tags > 1)
        qsort(p->group_tags, p->ngroup_tags, sizeof(*p->group_tags), cmp_str);
    return ST_OK;
}

/* Whether the SELECT list calls a function (an aggregate or selector
 * query, or a transformation) anywhere. */
static bool expr_has_call(const struct st_iql_expr *e)
{
    if (e == NULL)
        return false;
    if (e->kind == ST_IQL_E_CALL)
        return true;
    return expr_has_call(e->lhs) || expr_has_call(e->rhs);
}

static bool has_call(const struct st_iql_select *sel)
{
    for (size_t i = 0; i < sel->nfields; i++)
        if (expr_has_call(sel->fields[i].expr))
            return true;
    return false;
}

/* Limits the time range to the bounds of @req (a subquery's outer range). */
static void apply_bounds(struct rq_plan *p, const struct st_query_req *req)
{
    if (req->has_tmin && (!p->has_tmin || p->tmin < req->tmin)) {
        p->tmin = req->tmin;
        p->has_tmin = true;
    }
    if (req->has_tmax && (!p->has_tmax || p->tmax > req->tmax)) {
        p->tmax = req->tmax;
        p->has_tmax = true;
    }
}

/* FROM (SELECT ...): the time range and dimensions of the outer statement,
 * then the inner statement's result as the source (query_sub.c). */
static int prepare_sub(struct rq_plan *p, const struct st_iql_source *src,
                       const struct st_query_req *req, const struct st_iql_expr **rest, bool *skip)
{
    int rv = rq_split_time(p, p->sel->cond, req->now_ns, rest);
    if (rv == ST_OK)
        rv = plan_dims(p, req->now_ns);
    if (rv == ST_ENOTFOUND)
        *skip = true;
    if (rv != ST_OK)
        return rv == ST_ENOTFOUND ? ST_OK : rv;
    apply_bounds(p, req);
    if (p->interval > 0 && !p->has_tmax) {
        p->tmax = req->now_ns;
        p->has_tmax = true;
    }
    if (p->has_tmin && p->has_tmax && p->tmin > p->tmax) {
        *skip = true;
        return ST_OK;
    }
    p->db = req->db;
    p->measurement = "";
    return rq_sub_run(p, src->sub, req);
}

/* Plans source @src up to its schema. *@skip: nothing to read (empty
 * time range, time under OR). */
static int prepare_source(struct rq_plan *p, const struct st_iql_source *src,
                          const struct st_query_req *req, const struct st_iql_expr **rest,
                          bool *skip)
{
    const struct st_iql_select *sel = p->sel;
    *skip = false;
    if (src->sub != NULL)
        return prepare_sub(p, src, req, rest, skip);
    p->db = src->db != NULL && src->db[0] ? src->db : req->db;
    if (p->db == NULL || p->db[0] == '\0')
        return rq_fail(p, "database name required");
    const Strata__Database *db = st_cat_database(p->cat, p->db);
    if (db == NULL)
        return rq_fail(p, "database not found: %s", p->db);
    p->rp = src->rp != NULL && src->rp[0]   ? src->rp
            : req->rp != NULL && req->rp[0] ? req->rp
                                            : db->default_rp;
    if (p->rp == NULL || p->rp[0] == '\0' || st_cat_rp(p->cat, p->db, p->rp) == NULL)
        return rq_fail(p, "retention policy not found: %s", p->rp ? p->rp : "");
    p->measurement = src->name;
    p->mregex = src->regex;
    int rv = rq_split_time(p, sel->cond, req->now_ns, rest);
    if (rv == ST_OK)
        rv = plan_dims(p, req->now_ns);
    if (rv == ST_ENOTFOUND)
        *skip = true;
    if (rv != ST_OK)
        return rv == ST_ENOTFOUND ? ST_OK : rv;
    apply_bounds(p, req);
    if (req->keep_tags && !has_call(sel))
        p->group_all = true; /* a raw subquery: rows keep their series' tags */
    if (p->interval > 0 && !p->has_tmax) {
        p->tmax = req->now_ns;
        p->has_tmax = true;
    }
    if (p->has_tmin && p->has_tmax && p->tmin > p->tmax) {
        *skip = true; /* an empty range reads nothing */
        return ST_OK;
    }
    bool wildcard = p->group_all || p->ngroup_res > 0;
    for (size_t i = 0; i < sel->nfields; i++) {
        enum st_iql_expr_kind k = unparen(sel->fields[i].expr)->kind;
        wildcard = wildcard || k == ST_IQL_E_WILDCARD || k == ST_IQL_E_REGEX;
    }
    if ((rv = rq_find_shards(p)) != ST_OK)
        return rv;
    return rq_load_schema(p, wildcard);
}

/* Plans the rest of a prepared source and runs it. */
static int run_source(struct rq_plan *p, const struct st_iql_expr *rest, struct st_qres *res)
{
    const struct st_iql_expr *tags, *filter;
    int rv;
    if ((rv = rq_split_cond(p, rest, &tags, &filter)) != ST_OK ||
        (rv = rq_tag_expr(p, tags, &p->tags)) != ST_OK || (rv = rq_group_regex(p)) != ST_OK ||
        (rv = plan_fields(p)) != ST_OK)
        return rv == ST_ENOTFOUND ? ST_OK : rv;
    p->nout = p->ncols;
    if (p->aggregate && p->interval > 0 && p->env->max_buckets > 0) {
        /* InfluxDB's max-select-buckets: the windows from the lower bound
         * (the earliest time when there is none) to the upper bound. */
        int64_t lo = p->has_tmin ? p->tmin : INT64_MIN + 1, hi = p->tmax;
        __int128 w0 =
            (__int128)lo - (((__int128)lo - p->offset) % p->interval + p->interval) % p->interval;
        __int128 buckets = ((__int128)hi - w0) / p->interval + 1;
        if (p->tz != NULL) { /* (last - first + interval) / interval of the zone's windows */
            int64_t first, last, end;
            rq_window(p, lo, &first, &end);
            rq_window(p, hi, &last, &end);
            buckets = ((__int128)last - first + p->interval) / p->interval;
        }
        if (buckets > (__int128)p->env->max_buckets)
            return rq_fail(p, "max-select-buckets limit exceeded: (%lld/%llu)",
                           buckets > INT64_MAX ? (long long)INT64_MAX : (long long)buckets,
                           (unsigned long long)p->env->max_buckets);
    }
    /* The range grew (query_expr.c); a subquery's inner result stays as run. */
    if (p->x_cut && p->sub == NULL && (rv = rq_find_shards(p)) != ST_OK)
        return rv;
    if (p->aggregate && filter != NULL)
        p->points = true; /* field conditions: aggregated from raw points */
    if (filter != NULL && (rv = rq_filter_compile(p, filter, &p->filter)) != ST_OK)
        return rv;
    p->filter_expr = filter;
    if (p->aggregate && (rv = rq_plan_points(p)) != ST_OK)
        return rv;
    size_t first = res->nseries;
    if (p->nshards == 0)
        rv = ST_OK;
    else
        rv = p->aggregate ? rq_run_agg(p, res) : rq_run_raw(p, res);
    if (rv == ST_OK)
        rv = rq_x_apply(p, res, first);
    rq_filter_free(p->filter);
    p->filter = NULL;
    return rv;
}

/* Several sources: InfluxDB expands * and fn(*) over the fields (and tags)
 * of all of them, so every plan gets the union of their schemas. */
static int union_schemas(struct rq_plan *plans, const bool *skip, size_t n)
{
    size_t nf = 0, nt = 0;
    for (size_t i = 0; i < n; i++)
        if (!skip[i]) {
            nf += plans[i].nfields;
            nt += plans[i].ntag_keys;
        }
    struct rq_plan *p0 = &plans[0];
    const char **f = rq_alloc(p0->ar, (nf ? nf : 1) * sizeof(*f));
    Strata__FieldType *ft = rq_alloc(p0->ar, (nf ? nf : 1) * sizeof(*ft));
    const char **t = rq_alloc(p0->ar, (nt ? nt : 1) * sizeof(*t));
    if (f == NULL || ft == NULL || t == NULL)
        return ST_ENOMEM;
    size_t mf = 0, mt = 0;
    for (size_t i = 0; i < n; i++) {
        if (skip[i])
            continue;
        for (size_t k = 0; k < plans[i].nfields; k++) {
            size_t j = 0;
            while (j < mf && strcmp(f[j], plans[i].fields[k]) < 0)
                j++;
            if (j < mf && strcmp(f[j], plans[i].fields[k]) == 0)
                continue;
            memmove(&f[j + 1], &f[j], (mf - j) * sizeof(*f));
            memmove(&ft[j + 1], &ft[j], (mf - j) * sizeof(*ft));
            f[j] = plans[i].fields[k];
            ft[j] = plans[i].field_types[k];
            mf++;
        }
        for (size_t k = 0; k < plans[i].ntag_keys; k++) {
            size_t j = 0;
            while (j < mt && strcmp(t[j], plans[i].tag_keys[k]) < 0)
                j++;
            if (j < mt && strcmp(t[j], plans[i].tag_keys[k]) == 0)
                continue;
            memmove(&t[j + 1], &t[j], (mt - j) * sizeof(*t));
            t[j] = plans[i].tag_keys[k];
            mt++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        plans[i].fields = f;
        plans[i].field_types = ft;
        plans[i].nfields = mf;
        plans[i].tag_keys = t;
        plans[i].ntag_keys = mt;
    }
    return ST_OK;
}

static int cmp_series(const void *a, const void *b)
{
    const struct st_qseries *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    for (size_t i = 0; c == 0 && i < x->ntags && i < y->ntags; i++)
        if ((c = strcmp(x->tags[i].key, y->tags[i].key)) == 0)
            c = strcmp(x->tags[i].value, y->tags[i].value);
    return c;
}

/* InfluxDB's check of WHERE: a term joined by AND / OR must be a
 * comparison, a boolean or a parenthesised condition. */
static int check_cond(struct rq_plan *p, const struct st_iql_expr *e)
{
    if (e == NULL)
        return ST_OK;
    switch (e->kind) {
    case ST_IQL_E_PAREN:
        return check_cond(p, e->lhs);
    case ST_IQL_E_BOOLEAN:
        return ST_OK;
    case ST_IQL_E_BINARY:
        if (e->op == ST_IQL_OP_AND || e->op == ST_IQL_OP_OR) {
            int rv = check_cond(p, e->lhs);
            return rv == ST_OK ? check_cond(p, e->rhs) : rv;
        }
        if (e->op >= ST_IQL_OP_EQ)
            return ST_OK;
        break;
    default:
        break;
    }
    struct st_buf b;
    st_buf_init(&b);
    int rv = st_iql_expr_string(e, &b);
    if (rv == ST_OK)
        rv = rq_fail(p, "invalid condition expression: %s", b.p);
    st_buf_fini(&b);
    return rv;
}

int st_query_select(const struct st_query_env *env, const struct st_query_req *req,
                    const struct st_iql_select *sel, struct st_qres **out, struct st_buf *err)
{
    struct st_qres *res = NULL;
    struct rq_arena *ar = NULL;
    const struct st_mcat *mc = st_mcli_acquire(env->meta);
    int rv = ST_OK;
    *out = NULL;
    if (mc == NULL) {
        rv = st_buf_puts(err, "no catalogue from the meta service yet");
        return rv == ST_OK ? ST_EUNAVAIL : rv;
    }
    if ((rv = rq_res_new(&res)) != ST_OK || (rv = rq_arena_new(&ar)) != ST_OK)
        goto out;
    struct rq_plan base = {.ar = ar,
                           .cat = mc->cat,
                           .env = env,
                           .err = err,
                           .deadline_ms =
                               rq_mono_ms() + (env->timeout_ms ? env->timeout_ms : 60000),
                           .sel = sel};
    if (sel->tz != NULL) {
        /* Loaded once: windows, time literals and the answer's times. */
        rv = st_tz_load(sel->tz, &res->tz);
        if (rv != ST_OK && rv != ST_ENOMEM)
            rv = rq_fail(&base, "unable to find time zone %s", sel->tz);
        if (rv != ST_OK)
            goto out;
        base.tz = res->tz;
    }
    if (sel->nsources == 0) {
        rv = rq_fail(&base, "not implemented yet: SELECT without FROM");
        goto out;
    }
    if ((rv = check_cond(&base, sel->cond)) != ST_OK)
        goto out;
    struct rq_plan *plans = rq_alloc(ar, sel->nsources * sizeof(*plans));
    const struct st_iql_expr **rest = rq_alloc(ar, sel->nsources * sizeof(*rest));
    bool *skip = rq_alloc(ar, sel->nsources * sizeof(*skip));
    if (plans == NULL || rest == NULL || skip == NULL) {
        rv = ST_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < sel->nsources; i++)
        plans[i] = base;
    res->implicit_tags = req->keep_tags && !has_call(sel);
    for (size_t i = 0; rv == ST_OK && i < sel->nsources; i++)
        rv = prepare_source(&plans[i], &sel->sources[i], req, &rest[i], &skip[i]);
    if (rv == ST_OK && sel->nsources > 1)
        rv = union_schemas(plans, skip, sel->nsources);
    for (size_t i = 0; rv == ST_OK && i < sel->nsources; i++)
        if (!skip[i])
            rv = run_source(&plans[i], rest[i], res);
    if (rv == ST_OK && sel->nsources > 1)
        if (res->nseries > 1)
            qsort(res->series, res->nseries, sizeof(*res->series), cmp_series);
    for (size_t i = 0; plans != NULL && i < sel->nsources; i++) {
        st_qres_free(plans[i].sub);
        rq_x_free(&plans[i]);
    }
out:
    rq_arena_free(ar);
    st_mcli_release(env->meta, mc);
    if (rv != ST_OK) {
        st_qres_free(res);
        return rv;
    }
    *out = res;
    return ST_OK;
}
