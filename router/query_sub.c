/* FROM (SELECT ...): subqueries.
 *
 * The inner statement runs through the engine (st_query_select() on the
 * same environment), limited to the outer statement's time range as
 * InfluxDB limits it. Its series then play the part of a shard: the outer
 * plan's schema is the inner result's columns (fields) and tags, and
 * rq_sub_fetch() answers the Strata__Query the outer executors
 * (query_agg.c, query_raw.c) would send to data nodes, with the same
 * partial aggregates (common/agg.h) or raw rows a data node computes. The
 * partials come as Windows even when the query asks for columns, as an
 * older data node answers: the router reads both forms, and this keeps the
 * Window form it reads for such nodes in use (and tested). So
 * an outer statement gets every feature of the engine: fill, ORDER BY,
 * LIMIT, router-side field filters, and subqueries of subqueries.
 */
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "agg_wire.h"
#include "err.h"
#include "query_int.h"
#include "regex.h"

/* The value of tag @key for row @r of series @s: the series' tag, else a
 * tag the inner statement selected as a column ("" when neither). @r is
 * SIZE_MAX for the series as a whole (no tag columns looked at). Strings
 * of a result are NUL-terminated (rq_strdup). */
static const char *row_tag(const struct st_qseries *s, size_t r, const char *key)
{
    for (size_t i = 0; i < s->ntags; i++)
        if (strcmp(s->tags[i].key, key) == 0)
            return s->tags[i].value;
    if (r != SIZE_MAX && s->is_tag != NULL)
        for (size_t c = 1; c < s->ncolumns; c++)
            if (s->is_tag[c] && strcmp(s->columns[c], key) == 0) {
                const struct st_qv *v = &s->values[r * s->ncolumns + c];
                return v->kind == ST_QV_STRING ? v->s.p : "";
            }
    return "";
}

/* Whether series @s passes @e (NULL: every series). ST_OK or ST_EINVAL. */
static int tag_match(struct rq_plan *p, const Strata__TagExpr *e, const struct st_qseries *s,
                     size_t r, bool *ok)
{
    *ok = true;
    if (e == NULL)
        return ST_OK;
    switch (e->expr_case) {
    case STRATA__TAG_EXPR__EXPR_AND_EXPR:
    case STRATA__TAG_EXPR__EXPR_OR_EXPR: {
        const Strata__TagBinary *b =
            e->expr_case == STRATA__TAG_EXPR__EXPR_AND_EXPR ? e->and_expr : e->or_expr;
        bool l = false;
        int rv = tag_match(p, b->left, s, r, &l);
        bool rr = false;
        if (rv == ST_OK)
            rv = tag_match(p, b->right, s, r, &rr);
        *ok = e->expr_case == STRATA__TAG_EXPR__EXPR_AND_EXPR ? l && rr : l || rr;
        return rv;
    }
    case STRATA__TAG_EXPR__EXPR_COMPARE: {
        const Strata__TagCompare *c = e->compare;
        const char *v = row_tag(s, r, c->key);
        if (c->op == STRATA__COMPARE_OP__EQ || c->op == STRATA__COMPARE_OP__NEQ) {
            *ok = (strcmp(v, c->value) == 0) == (c->op == STRATA__COMPARE_OP__EQ);
            return ST_OK;
        }
        st_re *re = NULL;
        char msg[256] = "";
        if (st_re_compile(c->value, strlen(c->value), &re, msg, sizeof(msg)) != ST_OK)
            return rq_fail(p, "invalid regular expression /%s/: %s", c->value, msg);
        *ok = st_re_match(re, v, strlen(v)) == (c->op == STRATA__COMPARE_OP__REGEX);
        st_re_free(re);
        return ST_OK;
    }
    default:
        return ST_OK;
    }
}

static Strata__FieldType type_of(const struct st_qv *v)
{
    switch (v->kind) {
    case ST_QV_INT:
        return STRATA__FIELD_TYPE__INTEGER;
    case ST_QV_UINT:
        return STRATA__FIELD_TYPE__UNSIGNED;
    case ST_QV_STRING:
        return STRATA__FIELD_TYPE__STRING;
    case ST_QV_BOOL:
        return STRATA__FIELD_TYPE__BOOLEAN;
    default:
        return STRATA__FIELD_TYPE__FLOAT;
    }
}

/* @v as a value of type @t; false when it is null or does not convert
 * (numbers convert among themselves, as a fill value or a mean may have
 * given a column rows of two number types). */
static bool convert(const struct st_qv *v, Strata__FieldType t, union st_agg_value *out)
{
    bool num = v->kind == ST_QV_FLOAT || v->kind == ST_QV_INT || v->kind == ST_QV_UINT;
    double d = v->kind == ST_QV_FLOAT ? v->f : v->kind == ST_QV_INT ? (double)v->i : (double)v->u;
    switch (t) {
    case STRATA__FIELD_TYPE__FLOAT:
        out->f = d;
        return num;
    case STRATA__FIELD_TYPE__INTEGER:
        out->i = v->kind == ST_QV_INT ? v->i : (int64_t)d;
        return num;
    case STRATA__FIELD_TYPE__UNSIGNED:
        out->u = v->kind == ST_QV_UINT ? v->u : (uint64_t)d;
        return num;
    case STRATA__FIELD_TYPE__BOOLEAN:
        out->b = v->b;
        return v->kind == ST_QV_BOOL;
    case STRATA__FIELD_TYPE__STRING:
        out->s = (struct st_slice){v->s.p, (uint32_t)v->s.len};
        return v->kind == ST_QV_STRING;
    default:
        return false;
    }
}

static enum st_field_type ftype(Strata__FieldType t)
{
    switch (t) {
    case STRATA__FIELD_TYPE__INTEGER:
        return ST_FIELD_INTEGER;
    case STRATA__FIELD_TYPE__UNSIGNED:
        return ST_FIELD_UNSIGNED;
    case STRATA__FIELD_TYPE__STRING:
        return ST_FIELD_STRING;
    case STRATA__FIELD_TYPE__BOOLEAN:
        return ST_FIELD_BOOLEAN;
    default:
        return ST_FIELD_FLOAT;
    }
}

/* Appends @k to the array (no check for duplicates). */
static int append_key(struct rq_plan *p, const char ***keys, size_t *n, size_t *cap, const char *k)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        const char **nk = rq_alloc(p->ar, nc * sizeof(*nk));
        if (nk == NULL)
            return ST_ENOMEM;
        if (*n)
            memcpy(nk, *keys, *n * sizeof(*nk));
        *keys = nk;
        *cap = nc;
    }
    (*keys)[(*n)++] = k;
    return ST_OK;
}

/* Appends @k unless the array holds it. */
static int add_key(struct rq_plan *p, const char ***keys, size_t *n, size_t *cap, const char *k)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*keys)[i], k) == 0)
            return ST_OK;
    return append_key(p, keys, n, cap, k);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_pair(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int c = strcmp(x, y);
    return c != 0 ? c : strcmp(x + strlen(x) + 1, y + strlen(y) + 1);
}

/* The outer plan's schema from the inner result: its columns but time are
 * fields (typed by their first value), the tags of its series are tags. */
/* Whether @key is a tag the (raw) inner statement @sub groups by, or it
 * groups by every tag. */
static bool grouped_by(const struct st_iql_select *sub, const char *key)
{
    for (size_t i = 0; i < sub->ndims; i++) {
        const struct st_iql_expr *d = sub->dims[i];
        while (d->kind == ST_IQL_E_PAREN)
            d = d->lhs;
        if (d->kind == ST_IQL_E_WILDCARD ||
            (d->kind == ST_IQL_E_VARREF && strcmp(d->name, key) == 0))
            return true;
    }
    return false;
}

static int schema(struct rq_plan *p, const struct st_qres *res, const struct st_iql_select *sub,
                  bool implicit)
{
    size_t cf = 0, ct = 0, cm = 0;
    const char **f = NULL, **t = NULL, **mf = NULL;
    size_t nf = 0, nt = 0, nm = 0;
    for (size_t i = 0; i < res->nseries; i++) {
        const struct st_qseries *s = &res->series[i];
        for (size_t c = 1; c < s->ncolumns; c++) {
            if (s->is_tag != NULL && s->is_tag[c]) {
                if (add_key(p, &t, &nt, &ct, s->columns[c]) != ST_OK)
                    return ST_ENOMEM;
                continue;
            }
            if (add_key(p, &f, &nf, &cf, s->columns[c]) != ST_OK)
                return ST_ENOMEM;
            size_t ml = strlen(s->name), kl = strlen(s->columns[c]);
            char *pair = rq_alloc(p->ar, ml + kl + 2);
            const char *cpair = pair;
            if (pair == NULL)
                return ST_ENOMEM;
            memcpy(pair, s->name, ml + 1);
            memcpy(pair + ml + 1, s->columns[c], kl + 1);
            bool dup = false;
            for (size_t k = 0; k < nm && !dup; k++)
                dup = cmp_pair(&mf[k], &cpair) == 0;
            if (!dup && append_key(p, &mf, &nm, &cm, cpair) != ST_OK)
                return ST_ENOMEM;
        }
        /* A raw inner statement keeps every series tag for the outer
         * GROUP BY and WHERE, but only its dimensions are its tags for *. */
        for (size_t k = 0; k < s->ntags; k++)
            if ((!implicit || grouped_by(sub, s->tags[k].key)) &&
                add_key(p, &t, &nt, &ct, s->tags[k].key) != ST_OK)
                return ST_ENOMEM;
    }
    if (nf)
        qsort(f, nf, sizeof(*f), cmp_str);
    if (nt)
        qsort(t, nt, sizeof(*t), cmp_str);
    if (nm)
        qsort(mf, nm, sizeof(*mf), cmp_pair);
    Strata__FieldType *ft = rq_alloc(p->ar, (nf ? nf : 1) * sizeof(*ft));
    if (ft == NULL)
        return ST_ENOMEM;
    for (size_t k = 0; k < nf; k++) {
        ft[k] = STRATA__FIELD_TYPE__FLOAT;
        bool found = false;
        for (size_t i = 0; i < res->nseries && !found; i++) {
            const struct st_qseries *s = &res->series[i];
            for (size_t c = 1; c < s->ncolumns && !found; c++) {
                if (strcmp(s->columns[c], f[k]) != 0)
                    continue;
                for (size_t r = 0; r < s->nrows && !found; r++) {
                    const struct st_qv *v = &s->values[r * s->ncolumns + c];
                    if (v->kind != ST_QV_NULL) {
                        ft[k] = type_of(v);
                        found = true;
                    }
                }
            }
        }
    }
    p->fields = f;
    p->field_types = ft;
    p->nfields = nf;
    p->tag_keys = t;
    p->ntag_keys = nt;
    p->mfields = mf;
    p->nmfields = nm;
    return ST_OK;
}

int rq_sub_run(struct rq_plan *p, const struct st_iql_select *sub, const struct st_query_req *req)
{
    struct st_query_req in = *req;
    in.has_tmin = p->has_tmin;
    in.tmin = p->tmin;
    in.has_tmax = p->has_tmax;
    in.tmax = p->tmax;
    in.keep_tags = true;
    int rv = st_query_select(p->env, &in, sub, &p->sub, p->err);
    if (rv != ST_OK)
        return rv;
    p->nshards = 1; /* the inner result stands for the shards */
    return schema(p, p->sub, sub, p->sub->implicit_tags);
}

/* A row of a group: which series and row of the inner result. */
struct srow {
    int64_t t;
    size_t s, r;
};

/* One group of the outer query: the inner rows sharing its grouped tags. */
struct sgroup {
    const char *name;
    Strata__Tag **tags;
    size_t ntags;
    struct srow *rows;
    size_t n, cap;
};

static int cmp_row(const void *a, const void *b)
{
    const struct srow *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return x->r < y->r ? -1 : x->r > y->r;
}

static bool same_group(const struct sgroup *g, const char *name, Strata__Tag *const *tags,
                       size_t ntags)
{
    if (strcmp(g->name, name) != 0 || g->ntags != ntags)
        return false;
    for (size_t i = 0; i < ntags; i++)
        if (strcmp(g->tags[i]->key, tags[i]->key) != 0 ||
            strcmp(g->tags[i]->value, tags[i]->value) != 0)
            return false;
    return true;
}

static int cmp_tag(const void *a, const void *b)
{
    return strcmp((*(Strata__Tag *const *)a)->key, (*(Strata__Tag *const *)b)->key);
}

/* The grouped tags of series @s as the data node gives them: every tag
 * with GROUP BY *, else each GROUP BY key ("" when the series lacks it),
 * sorted by key. */
static int group_tags(struct rq_plan *p, const Strata__Query *q, const struct st_qseries *s,
                      size_t r, Strata__Tag ***out, size_t *n)
{
    size_t ncoltags = 0;
    for (size_t c = 1; q->group_by_all && r != SIZE_MAX && s->is_tag && c < s->ncolumns; c++)
        ncoltags += s->is_tag[c];
    size_t want = q->group_by_all ? s->ntags + ncoltags : q->n_group_by_tags;
    Strata__Tag **tags = rq_alloc(p->ar, (want + 1) * sizeof(*tags));
    if (tags == NULL)
        return ST_ENOMEM;
    size_t m = 0;
    for (size_t i = 0, c = 1; i < want; i++) {
        const char *key;
        if (!q->group_by_all) {
            key = q->group_by_tags[i];
        } else if (i < s->ntags) {
            key = s->tags[i].key;
        } else {
            while (!s->is_tag[c])
                c++;
            key = s->columns[c++];
        }
        bool dup = false;
        for (size_t j = 0; j < m && !dup; j++)
            dup = strcmp(tags[j]->key, key) == 0;
        if (dup)
            continue;
        Strata__Tag *t = rq_alloc(p->ar, sizeof(*t));
        if (t == NULL)
            return ST_ENOMEM;
        strata__tag__init(t);
        t->key = (char *)key;
        t->value = (char *)row_tag(s, r, key);
        tags[m++] = t;
    }
    if (m > 1)
        qsort(tags, m, sizeof(*tags), cmp_tag);
    *out = tags;
    *n = m;
    return ST_OK;
}

/* Column index of @name in series @s, or 0 (time: never a field). */
static size_t column_of(const struct st_qseries *s, const char *name)
{
    for (size_t c = 1; c < s->ncolumns; c++)
        if (strcmp(s->columns[c], name) == 0)
            return c;
    return 0;
}

static void *arena_alloc(void *ctx, size_t n)
{
    return rq_alloc(ctx, n);
}

static unsigned want_of(const Strata__Query *q)
{
    unsigned w = ST_AGG_COUNT;
    for (size_t i = 0; i < q->n_aggregates; i++) {
        switch (q->aggregates[i]) {
        case STRATA__AGGREGATE_KIND__SUM:
        case STRATA__AGGREGATE_KIND__MEAN:
            w |= ST_AGG_SUM;
            break;
        case STRATA__AGGREGATE_KIND__MIN:
        case STRATA__AGGREGATE_KIND__MAX:
        case STRATA__AGGREGATE_KIND__SPREAD:
            w |= ST_AGG_MINMAX;
            break;
        case STRATA__AGGREGATE_KIND__FIRST:
        case STRATA__AGGREGATE_KIND__LAST:
            w |= ST_AGG_FIRSTLAST;
            break;
        case STRATA__AGGREGATE_KIND__STDDEV:
            w |= ST_AGG_MOMENTS;
            break;
        default:
            break;
        }
    }
    return w;
}

/* The start of @t's window: @q's interval and offset are @p's (rq_window). */
static int64_t window_of(const struct rq_plan *p, const Strata__Query *q, int64_t t)
{
    if (q->interval_ns <= 0)
        return q->min_ns;
    int64_t start, end;
    rq_window(p, t, &start, &end);
    return start;
}

/* The windows of one group: partials per (window, field). */
static int emit_agg(struct rq_plan *p, const Strata__Query *q, const struct st_qres *res,
                    const struct srow *rows, size_t n, Strata__SeriesResult *sr)
{
    unsigned want = want_of(q);
    size_t nf = q->n_fields;
    Strata__FieldType *types = rq_alloc(p->ar, (nf ? nf : 1) * sizeof(*types));
    struct st_agg *aggs = calloc(nf ? nf : 1, sizeof(*aggs));
    sr->windows = rq_alloc(p->ar, (n + 1) * sizeof(*sr->windows));
    if (types == NULL || aggs == NULL || sr->windows == NULL) {
        free(aggs);
        return ST_ENOMEM;
    }
    for (size_t f = 0; f < nf; f++) {
        int t = rq_field_type(p, q->fields[f]);
        types[f] = t < 0 ? STRATA__FIELD_TYPE__FLOAT : (Strata__FieldType)t;
        st_agg_init(&aggs[f], ftype(types[f]), want);
    }
    int rv = ST_OK;
    for (size_t i = 0; i < n && rv == ST_OK;) {
        int64_t w = window_of(p, q, rows[i].t);
        for (; i < n && window_of(p, q, rows[i].t) == w && rv == ST_OK; i++) {
            const struct st_qseries *s = &res->series[rows[i].s];
            for (size_t f = 0; f < nf && rv == ST_OK; f++) {
                size_t c = column_of(s, q->fields[f]);
                union st_agg_value v;
                if (c > 0 && convert(&s->values[rows[i].r * s->ncolumns + c], types[f], &v))
                    rv = st_agg_add(&aggs[f], rows[i].t, &v);
            }
        }
        if (rv != ST_OK)
            break;
        Strata__Window *win = rq_alloc(p->ar, sizeof(*win));
        if (win == NULL) {
            rv = ST_ENOMEM;
            break;
        }
        strata__window__init(win);
        win->start_ns = w;
        if ((win->fields = rq_alloc(p->ar, (nf + 1) * sizeof(*win->fields))) == NULL) {
            rv = ST_ENOMEM;
            break;
        }
        for (size_t f = 0; f < nf; f++) {
            if (aggs[f].count == 0)
                continue;
            Strata__FieldPartial *fp =
                st_agg_wire_partial(&aggs[f], want, q->fields[f], arena_alloc, p->ar);
            if (fp == NULL) {
                rv = ST_ENOMEM;
                break;
            }
            win->fields[win->n_fields++] = fp;
            st_agg_reset(&aggs[f]);
        }
        if (win->n_fields > 0)
            sr->windows[sr->n_windows++] = win;
    }
    for (size_t f = 0; f < nf; f++)
        st_agg_fini(&aggs[f]);
    free(aggs);
    return rv;
}

/* The raw rows of one group: times, a column per field, tag columns. */
static int emit_raw(struct rq_plan *p, const Strata__Query *q, const struct st_qres *res,
                    const struct srow *rows, size_t n, Strata__SeriesResult *sr)
{
    sr->times = rq_alloc(p->ar, (n + 1) * sizeof(*sr->times));
    sr->columns = rq_alloc(p->ar, (q->n_fields + 1) * sizeof(*sr->columns));
    sr->tag_columns = rq_alloc(p->ar, (q->n_tag_columns + 1) * sizeof(*sr->tag_columns));
    if (sr->times == NULL || sr->columns == NULL || sr->tag_columns == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < n; i++)
        sr->times[i] = rows[i].t;
    sr->n_times = n;
    for (size_t f = 0; f < q->n_fields; f++) {
        Strata__Column *col = rq_alloc(p->ar, sizeof(*col));
        if (col == NULL)
            return ST_ENOMEM;
        strata__column__init(col);
        col->name = q->fields[f];
        int t = rq_field_type(p, q->fields[f]);
        col->type = t < 0 ? STRATA__FIELD_TYPE__FLOAT : (Strata__FieldType)t;
        col->present.len = n / 8 + 1;
        col->present.data = rq_alloc(p->ar, col->present.len);
        void *vals = rq_alloc(p->ar, (n + 1) * sizeof(uint64_t));
        if (col->present.data == NULL || vals == NULL)
            return ST_ENOMEM;
        memset(col->present.data, 0, col->present.len);
        memset(vals, 0, (n + 1) * sizeof(uint64_t));
        switch (col->type) {
        case STRATA__FIELD_TYPE__INTEGER:
            col->int_values = vals;
            col->n_int_values = n;
            break;
        case STRATA__FIELD_TYPE__UNSIGNED:
            col->uint_values = vals;
            col->n_uint_values = n;
            break;
        case STRATA__FIELD_TYPE__BOOLEAN:
            col->bool_values = vals;
            col->n_bool_values = n;
            break;
        case STRATA__FIELD_TYPE__STRING:
            col->string_values = vals;
            col->n_string_values = n;
            break;
        default:
            col->float_values = vals;
            col->n_float_values = n;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            const struct st_qseries *s = &res->series[rows[i].s];
            size_t c = column_of(s, q->fields[f]);
            union st_agg_value v;
            if (c == 0 || !convert(&s->values[rows[i].r * s->ncolumns + c], col->type, &v)) {
                if (col->type == STRATA__FIELD_TYPE__STRING)
                    col->string_values[i] = "";
                continue;
            }
            col->present.data[i / 8] |= (uint8_t)(1u << (i % 8));
            switch (col->type) {
            case STRATA__FIELD_TYPE__INTEGER:
                col->int_values[i] = v.i;
                break;
            case STRATA__FIELD_TYPE__UNSIGNED:
                col->uint_values[i] = v.u;
                break;
            case STRATA__FIELD_TYPE__BOOLEAN:
                col->bool_values[i] = v.b;
                break;
            case STRATA__FIELD_TYPE__STRING:
                if ((col->string_values[i] = rq_strdup(p->ar, v.s.p, v.s.len)) == NULL)
                    return ST_ENOMEM;
                break;
            default:
                col->float_values[i] = v.f;
                break;
            }
        }
        sr->columns[sr->n_columns++] = col;
    }
    for (size_t k = 0; k < q->n_tag_columns; k++) {
        Strata__TagColumn *tc = rq_alloc(p->ar, sizeof(*tc));
        if (tc == NULL)
            return ST_ENOMEM;
        strata__tag_column__init(tc);
        if ((tc->values = rq_alloc(p->ar, (n + 1) * sizeof(*tc->values))) == NULL)
            return ST_ENOMEM;
        tc->key = q->tag_columns[k];
        for (size_t i = 0; i < n; i++)
            tc->values[i] = (char *)row_tag(&res->series[rows[i].s], rows[i].r, q->tag_columns[k]);
        tc->n_values = n;
        sr->tag_columns[sr->n_tag_columns++] = tc;
    }
    return ST_OK;
}

/* The group of (@name, @tags), created when new. NULL: out of memory. */
static struct sgroup *group_of(struct sgroup **gs, size_t *ng, size_t *cap, const char *name,
                               Strata__Tag **tags, size_t ntags)
{
    for (size_t g = *ng; g-- > 0;)
        if (same_group(&(*gs)[g], name, tags, ntags))
            return &(*gs)[g];
    if (*ng == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct sgroup *n = realloc(*gs, nc * sizeof(*n));
        if (n == NULL)
            return NULL;
        *gs = n;
        *cap = nc;
    }
    (*gs)[*ng] = (struct sgroup){.name = name, .tags = tags, .ntags = ntags};
    return &(*gs)[(*ng)++];
}

static int add_row(struct sgroup *g, struct srow row)
{
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        struct srow *n = realloc(g->rows, nc * sizeof(*n));
        if (n == NULL)
            return ST_ENOMEM;
        g->rows = n;
        g->cap = nc;
    }
    g->rows[g->n++] = row;
    return ST_OK;
}

int rq_sub_fetch(struct rq_plan *p, Strata__Query *q, rq_series_fn fn, void *arg)
{
    const struct st_qres *res = p->sub;
    struct sgroup *gs = NULL;
    size_t ng = 0, gcap = 0;
    int rv = ST_OK;
    for (size_t i = 0; i < res->nseries && rv == ST_OK; i++) {
        const struct st_qseries *s = &res->series[i];
        /* Tags selected as columns vary per row: group and filter rows. */
        bool per_row = s->is_tag != NULL;
        struct sgroup *g = NULL;
        if (!per_row) {
            bool ok;
            Strata__Tag **tags;
            size_t ntags;
            if ((rv = tag_match(p, q->condition, s, SIZE_MAX, &ok)) != ST_OK || !ok)
                continue;
            if ((rv = group_tags(p, q, s, SIZE_MAX, &tags, &ntags)) != ST_OK)
                break;
            if ((g = group_of(&gs, &ng, &gcap, s->name, tags, ntags)) == NULL) {
                rv = ST_ENOMEM;
                break;
            }
        }
        for (size_t r = 0; r < s->nrows && rv == ST_OK; r++) {
            int64_t t = s->values[r * s->ncolumns].t;
            if (t < q->min_ns || t > q->max_ns)
                continue;
            if (per_row) {
                bool ok;
                Strata__Tag **tags;
                size_t ntags;
                if ((rv = tag_match(p, q->condition, s, r, &ok)) != ST_OK || !ok)
                    continue;
                if ((rv = group_tags(p, q, s, r, &tags, &ntags)) != ST_OK)
                    break;
                if ((g = group_of(&gs, &ng, &gcap, s->name, tags, ntags)) == NULL) {
                    rv = ST_ENOMEM;
                    break;
                }
            }
            rv = add_row(g, (struct srow){t, i, r});
        }
    }
    bool raw = q->n_aggregates == 1 && q->aggregates[0] == STRATA__AGGREGATE_KIND__RAW;
    for (size_t g = 0; g < ng && rv == ST_OK; g++) {
        struct srow *rows = gs[g].rows;
        size_t n = gs[g].n;
        if (n == 0)
            continue;
        qsort(rows, n, sizeof(*rows), cmp_row);
        if (q->descending)
            for (size_t i = 0; i < n / 2; i++) {
                struct srow t = rows[i];
                rows[i] = rows[n - 1 - i];
                rows[n - 1 - i] = t;
            }
        Strata__SeriesResult sr = STRATA__SERIES_RESULT__INIT;
        sr.measurement = (char *)gs[g].name;
        sr.tags = gs[g].tags;
        sr.n_tags = gs[g].ntags;
        rv = raw ? emit_raw(p, q, res, rows, n, &sr) : emit_agg(p, q, res, rows, n, &sr);
        if (rv == ST_OK)
            rv = fn(arg, &sr);
    }
    for (size_t g = 0; g < ng; g++)
        free(gs[g].rows);
    free(gs);
    return rv;
}
