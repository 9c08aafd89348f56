/* Aggregate SELECTs: partials from the data nodes merged per (series group,
 * window, field), then finalized, filled and cut.
 *
 * Every node answers, per series group, an AggColumn per field (Query.
 * columnar, which the router always asks for) holding the partial of each
 * window, or - a node that predates columns, or a subquery - one Window per
 * window with a FieldPartial per field; both are read (take_series).
 * Partials of the same (group, window, field) from all shards merge
 * exactly (st_agg_merge, InfluxDB's tie rules), in whatever order they
 * arrive. Then, per group in (measurement, tags) order, the windows from
 * the first to the last (GROUP BY time with a fill other than none; the
 * first is the window of the lower time bound, or the first window with data
 * when the query has none) become rows: time, then each aggregate's value,
 * or the fill. A query without GROUP BY time has one window, reported at the
 * lower time bound (0 without one) - or, for a single min/max/first/last, at
 * the time of the value it selected, as InfluxDB does.
 */
#include <stdlib.h>
#include <string.h>

#include "agg_wire.h"
#include "err.h"
#include "query_int.h"

struct slot {
    bool set;
    struct st_agg a;
    struct rq_pts pts; /* points mode: the window's points (query_pts.c) */
};

struct awin {
    int64_t start;
    struct slot *slots; /* one per distinct field */
    struct st_qv *pre;  /* points mode: values computed before the rows (per column), or NULL */
};

#define WINS(g) ((struct awin *)(g)->items)

/* Windows' slots come from slabs (a calloc per window was ~7 % of the
 * router's CPU on cpu-max-all-8); they live until the query ends. */
struct slot_slab {
    struct slot_slab *next;
    size_t used, cap;
    struct slot v[];
};

struct actx {
    struct slot_slab *slabs; /* newest first */
    struct rq_plan *p;
    const char **fields; /* distinct fields of the aggregates */
    size_t nfields;
    size_t *col_field; /* per column: index in fields */
    bool *has_field;   /* per column: the measurement of the group being emitted has its field */
    size_t *field_src; /* points mode: per field, its raw column */
    unsigned want;
    struct rq_groups gs;
    uint64_t points;
    struct st_qres *res; /* points mode: raw strings live in it */
    bool keep_pts;       /* points mode: some column needs the points */
};

static unsigned want_of(enum rq_fn fn)
{
    switch (fn) {
    case RQ_FN_SUM:
    case RQ_FN_MEAN:
        return ST_AGG_SUM;
    case RQ_FN_MIN:
    case RQ_FN_MAX:
    case RQ_FN_SPREAD:
        return ST_AGG_MINMAX;
    case RQ_FN_FIRST:
    case RQ_FN_LAST:
        return ST_AGG_FIRSTLAST;
    case RQ_FN_STDDEV:
        return ST_AGG_MOMENTS;
    default:
        return ST_AGG_COUNT;
    }
}

static Strata__AggregateKind kind_of(enum rq_fn fn)
{
    static const Strata__AggregateKind k[] = {
        [RQ_FN_COUNT] = STRATA__AGGREGATE_KIND__COUNT,
        [RQ_FN_SUM] = STRATA__AGGREGATE_KIND__SUM,
        [RQ_FN_MEAN] = STRATA__AGGREGATE_KIND__MEAN,
        [RQ_FN_MIN] = STRATA__AGGREGATE_KIND__MIN,
        [RQ_FN_MAX] = STRATA__AGGREGATE_KIND__MAX,
        [RQ_FN_FIRST] = STRATA__AGGREGATE_KIND__FIRST,
        [RQ_FN_LAST] = STRATA__AGGREGATE_KIND__LAST,
        [RQ_FN_SPREAD] = STRATA__AGGREGATE_KIND__SPREAD,
        [RQ_FN_STDDEV] = STRATA__AGGREGATE_KIND__STDDEV,
    };
    return k[fn];
}

/* @n zeroed slots from @c's slabs; NULL when out of memory. Slabs grow
 * from 64 slots so that a small query does not zero a big block. */
static struct slot *slots_new(struct actx *c, size_t n)
{
    struct slot_slab *s = c->slabs;
    if (s == NULL || s->cap - s->used < n) {
        size_t cap = s != NULL && s->cap < 4096 ? s->cap * 2 : s != NULL ? 4096 : 64;
        if (cap < n)
            cap = n;
        s = calloc(1, sizeof(*s) + cap * sizeof(struct slot));
        if (s == NULL)
            return NULL;
        s->cap = cap;
        s->next = c->slabs;
        c->slabs = s;
    }
    struct slot *r = &s->v[s->used];
    s->used += n;
    return r;
}

static void slabs_free(struct actx *c)
{
    while (c->slabs != NULL) {
        struct slot_slab *next = c->slabs->next;
        free(c->slabs);
        c->slabs = next;
    }
}

/* The window of @g starting at @start, created in order. */
static struct awin *window_of(struct actx *c, struct rq_group *g, int64_t start)
{
    struct awin *w = g->items;
    size_t lo = 0, hi = g->n;
    if (hi > 0 && w[hi - 1].start < start) {
        lo = hi;
    } else {
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (w[mid].start < start)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < g->n && w[lo].start == start)
            return &w[lo];
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        void *np = realloc(w, cap * sizeof(*w));
        if (np == NULL)
            return NULL;
        g->items = w = np;
        g->cap = cap;
    }
    struct slot *slots = slots_new(c, c->nfields);
    if (slots == NULL)
        return NULL;
    memmove(&w[lo + 1], &w[lo], (g->n - lo) * sizeof(*w));
    w[lo].start = start;
    w[lo].slots = slots;
    w[lo].pre = NULL;
    g->n++;
    return &w[lo];
}

/* The window of @g starting at @start, created in order: tried first at
 * *@hint and the one after it (the entries of a column come in window
 * order); *@hint is then its index. */
static struct awin *window_at(struct actx *c, struct rq_group *g, int64_t start, size_t *hint)
{
    struct awin *w = g->items;
    if (*hint < g->n && w[*hint].start == start)
        return &w[*hint];
    if (*hint + 1 < g->n && w[*hint + 1].start == start)
        return &w[++*hint];
    struct awin *aw = window_of(c, g, start);
    if (aw != NULL)
        *hint = (size_t)(aw - WINS(g));
    return aw;
}

/* The columns of @sr (Query.columnar): entry i of a column is the partial
 * of one window, merged into its slot as a FieldPartial is. */
static int take_columns(struct actx *c, struct rq_group *g, const Strata__SeriesResult *sr)
{
    for (size_t k = 0; k < sr->n_agg_columns; k++) {
        const Strata__AggColumn *col = sr->agg_columns[k];
        for (size_t i = 0; i < col->n_count; i++)
            c->points += col->count[i]; /* the points the data node read for it */
        size_t fi = 0;
        while (fi < c->nfields && strcmp(c->fields[fi], col->field) != 0)
            fi++;
        if (fi == c->nfields || col->type < STRATA__FIELD_TYPE__FLOAT ||
            col->type > STRATA__FIELD_TYPE__BOOLEAN)
            continue;
        struct st_agg_wire_reader rd;
        if (st_agg_wire_reader_init(&rd, col, c->want) != ST_OK)
            return rq_fail(c->p, "a data node sent a malformed aggregate column (%s)", col->field);
        /* descending windows are walked backwards: windows are then appended */
        bool back = rd.n > 1 && col->starts[0] > col->starts[rd.n - 1];
        size_t hint = 0;
        for (size_t j = 0; j < rd.n; j++) {
            size_t i = back ? rd.n - 1 - j : j;
            struct awin *aw = window_at(c, g, col->starts[i], &hint);
            if (aw == NULL)
                return ST_ENOMEM;
            struct slot *s = &aw->slots[fi];
            if (!s->set && rd.type != ST_FIELD_STRING) {
                /* The first partial of the slot: taken as it is. */
                st_agg_wire_get(&rd, i, &s->a);
                s->set = true;
                continue;
            }
            if (!s->set) {
                st_agg_init(&s->a, rd.type, c->want);
                s->set = true;
            }
            if (s->a.type != rd.type)
                continue; /* a second type of the field: kept first */
            struct st_agg t;
            st_agg_wire_get(&rd, i, &t);
            int rv = st_agg_merge(&s->a, &t);
            if (rv != ST_OK)
                return rv;
        }
    }
    return ST_OK;
}

static int take_series(void *arg, const Strata__SeriesResult *sr)
{
    struct actx *c = arg;
    struct rq_group *g = rq_group_of(&c->gs, c->p->ar, sr);
    if (g == NULL)
        return ST_ENOMEM;
    int crv = take_columns(c, g, sr);
    if (crv != ST_OK)
        return crv;
    for (size_t w = 0; w < sr->n_windows; w++) {
        const Strata__Window *win = sr->windows[w];
        struct awin *aw = window_of(c, g, win->start_ns);
        if (aw == NULL)
            return ST_ENOMEM;
        size_t fi = 0;
        for (size_t f = 0; f < win->n_fields; f++) {
            const Strata__FieldPartial *fp = win->fields[f];
            c->points += fp->count; /* the points the data node read for it */
            /* Nodes send the fields in one order: try the next one first. */
            if (fi >= c->nfields || strcmp(c->fields[fi], fp->field) != 0)
                for (fi = 0; fi < c->nfields && strcmp(c->fields[fi], fp->field) != 0;)
                    fi++;
            if (fi == c->nfields || fp->type < STRATA__FIELD_TYPE__FLOAT ||
                fp->type > STRATA__FIELD_TYPE__BOOLEAN) {
                fi = 0;
                continue;
            }
            struct slot *s = &aw->slots[fi++];
            if (!s->set && fp->type != STRATA__FIELD_TYPE__STRING) {
                /* The first partial of the slot: taken as it is (no string
                 * to copy), as merging it into an empty one would. */
                st_agg_wire_from_partial(&s->a, fp, c->want);
                s->set = true;
                continue;
            }
            if (!s->set) {
                st_agg_init(&s->a, (enum st_field_type)fp->type, c->want);
                s->set = true;
            }
            if (s->a.type != (enum st_field_type)fp->type)
                continue; /* a second type of the field: InfluxDB would error; kept first */
            struct st_agg t;
            st_agg_wire_from_partial(&t, fp, c->want);
            int rv = st_agg_merge(&s->a, &t);
            if (rv != ST_OK)
                return rv;
        }
    }
    if (c->p->env->max_points && c->points > c->p->env->max_points)
        return rq_fail(c->p, "max-select-point limit exceeed: (%llu/%llu)",
                       (unsigned long long)c->points, (unsigned long long)c->p->env->max_points);
    return ST_OK;
}

static int64_t window_start(const struct rq_plan *p, int64_t t);

/* Points mode: one value of a field into its window's slot. */
static int feed(struct actx *c, struct slot *s, int64_t t, const struct st_qv *v,
                const struct st_qv *row)
{
    enum st_field_type ft;
    union st_agg_value av;
    switch (v->kind) {
    case ST_QV_FLOAT:
        ft = ST_FIELD_FLOAT;
        av.f = v->f;
        break;
    case ST_QV_INT:
        ft = ST_FIELD_INTEGER;
        av.i = v->i;
        break;
    case ST_QV_UINT:
        ft = ST_FIELD_UNSIGNED;
        av.u = v->u;
        break;
    case ST_QV_BOOL:
        ft = ST_FIELD_BOOLEAN;
        av.b = v->b;
        break;
    case ST_QV_STRING:
        ft = ST_FIELD_STRING;
        av.s.p = v->s.p;
        av.s.len = (uint32_t)v->s.len;
        break;
    default:
        return ST_OK;
    }
    if (!s->set) {
        st_agg_init(&s->a, ft, c->want);
        s->set = true;
    }
    if (s->a.type != ft)
        return ST_OK; /* a second type of the field: kept first, as with partials */
    int rv = st_agg_add(&s->a, t, &av);
    if (rv == ST_OK && c->keep_pts)
        rv = rq_pts_add(&s->pts, t, v, row);
    return rv;
}

/* Points mode: raw rows from the nodes, filtered, fed into their windows. */
static int take_points(void *arg, const Strata__SeriesResult *sr)
{
    struct actx *c = arg;
    struct rq_plan *p = c->p;
    struct rq_group *g = rq_group_of(&c->gs, p->ar, sr);
    struct st_qv *rows;
    size_t n;
    if (g == NULL)
        return ST_ENOMEM;
    int rv = rq_raw_decode(p, c->res, sr, &rows, &n);
    for (size_t r = 0; rv == ST_OK && r < n; r++) {
        const struct st_qv *row = &rows[r * p->ncols];
        int64_t t = row[0].t;
        bool any = false;
        for (size_t f = 0; f < c->nfields && !any; f++)
            any = row[c->field_src[f]].kind != ST_QV_NULL;
        if (!any)
            continue;
        int64_t start = p->interval > 0 ? window_start(p, t) : p->has_tmin ? p->tmin : INT64_MIN;
        struct awin *aw = window_of(c, g, start);
        if (aw == NULL)
            return ST_ENOMEM;
        for (size_t f = 0; rv == ST_OK && f < c->nfields; f++)
            if (row[c->field_src[f]].kind != ST_QV_NULL)
                rv = feed(c, &aw->slots[f], t, &row[c->field_src[f]], row);
    }
    c->points += n;
    if (rv == ST_OK && p->env->max_points && c->points > p->env->max_points)
        return rq_fail(p, "max-select-point limit exceeded: (%llu/%llu)",
                       (unsigned long long)c->points, (unsigned long long)p->env->max_points);
    return rv;
}

static struct st_qv agg_value(const struct st_agg *a, const union st_agg_value *v)
{
    struct st_qv q = {.kind = ST_QV_NULL};
    switch (a->type) {
    case ST_FIELD_FLOAT:
        q.kind = ST_QV_FLOAT;
        q.f = v->f;
        break;
    case ST_FIELD_INTEGER:
        q.kind = ST_QV_INT;
        q.i = v->i;
        break;
    case ST_FIELD_UNSIGNED:
        q.kind = ST_QV_UINT;
        q.u = v->u;
        break;
    case ST_FIELD_BOOLEAN:
        q.kind = ST_QV_BOOL;
        q.b = v->b;
        break;
    case ST_FIELD_STRING:
        q.kind = ST_QV_STRING;
        q.s.p = v->s.p;
        q.s.len = v->s.len;
        break;
    }
    return q;
}

/* The value of aggregate @fn over @a (strings borrowed from @a); *@t is the
 * time of a selected value. */
static struct st_qv finalize(enum rq_fn fn, const struct st_agg *a, int64_t *t)
{
    struct st_qv q = {.kind = ST_QV_NULL};
    union st_agg_value v;
    switch (fn) {
    case RQ_FN_COUNT:
        q.kind = ST_QV_INT;
        q.i = (int64_t)a->count;
        break;
    case RQ_FN_SUM:
        if (a->type == ST_FIELD_INTEGER)
            q = (struct st_qv){.kind = ST_QV_INT, .i = a->isum};
        else if (a->type == ST_FIELD_UNSIGNED)
            q = (struct st_qv){.kind = ST_QV_UINT, .u = a->usum};
        else if (a->type == ST_FIELD_FLOAT)
            q = (struct st_qv){.kind = ST_QV_FLOAT, .f = a->sum};
        break;
    case RQ_FN_MEAN:
        if (a->type != ST_FIELD_STRING && a->type != ST_FIELD_BOOLEAN && a->count > 0)
            q = (struct st_qv){.kind = ST_QV_FLOAT, .f = st_agg_mean(a)};
        break;
    case RQ_FN_MIN:
        if (a->has_minmax) {
            q = agg_value(a, &a->min);
            *t = a->min_t;
        }
        break;
    case RQ_FN_MAX:
        if (a->has_minmax) {
            q = agg_value(a, &a->max);
            *t = a->max_t;
        }
        break;
    case RQ_FN_FIRST:
        if (a->count > 0) {
            q = agg_value(a, &a->first);
            *t = a->first_t;
        }
        break;
    case RQ_FN_LAST:
        if (a->count > 0) {
            q = agg_value(a, &a->last);
            *t = a->last_t;
        }
        break;
    case RQ_FN_SPREAD:
        if (st_agg_spread(a, &v))
            q = agg_value(a, &v);
        break;
    case RQ_FN_STDDEV: {
        double d;
        if (st_agg_stddev(a, &d))
            q = (struct st_qv){.kind = ST_QV_FLOAT, .f = d};
        break;
    }
    default: /* computed from points (query_pts.c) */
        break;
    }
    return q;
}

static int64_t window_start(const struct rq_plan *p, int64_t t)
{
    int64_t start, end;
    rq_window(p, t, &start, &end);
    return start;
}

/* The end of the window starting at @start. */
static int64_t window_end(const struct rq_plan *p, int64_t start)
{
    int64_t s, end;
    rq_window(p, start, &s, &end);
    return end;
}

static bool numeric(const struct st_qv *v)
{
    return v->kind == ST_QV_FLOAT || v->kind == ST_QV_INT || v->kind == ST_QV_UINT;
}

static double as_double(const struct st_qv *v)
{
    return v->kind == ST_QV_FLOAT ? v->f : v->kind == ST_QV_INT ? (double)v->i : (double)v->u;
}

/* fill(linear) of column @c over rows [0, n): nulls between two numbers. */
static void fill_linear(struct st_qseries *s, size_t c)
{
    size_t prev = SIZE_MAX;
    for (size_t r = 0; r < s->nrows; r++) {
        struct st_qv *v = &s->values[r * s->ncolumns + c];
        if (!numeric(v))
            continue;
        if (prev != SIZE_MAX && r > prev + 1) {
            struct st_qv *a = &s->values[prev * s->ncolumns + c];
            int64_t t0 = s->values[prev * s->ncolumns].t, t1 = s->values[r * s->ncolumns].t;
            for (size_t k = prev + 1; k < r; k++) {
                struct st_qv *x = &s->values[k * s->ncolumns + c];
                int64_t tk = s->values[k * s->ncolumns].t;
                double frac = (double)(tk - t0) / (double)(t1 - t0);
                if (a->kind == ST_QV_INT && v->kind == ST_QV_INT) {
                    x->kind = ST_QV_INT;
                    x->i = a->i + (int64_t)((double)(v->i - a->i) * frac);
                } else {
                    x->kind = ST_QV_FLOAT;
                    x->f = as_double(a) + (as_double(v) - as_double(a)) * frac;
                }
            }
        }
        prev = r;
    }
}

/* The window of @g starting at @t, or NULL. */
static struct awin *find_win(struct rq_group *g, int64_t t)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (WINS(g)[mid].start < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->n && WINS(g)[lo].start == t ? &WINS(g)[lo] : NULL;
}

/* Most windows one series may produce with a fill (InfluxDB has no such
 * bound; an unbounded GROUP BY time over years of minutes would otherwise
 * build every empty window). */
#define MAX_FILLED_WINDOWS 10000000u

/* The value fill(N) gives an empty window of @col: N converted to the
 * column's type, as InfluxDB casts it (an integer column truncates, a
 * string column gets "", a boolean one false). */
static struct st_qv fill_number(const struct rq_plan *p, const struct rq_col *col,
                                const struct st_iql_expr *fv)
{
    double d = fv->kind == ST_IQL_E_NUMBER     ? fv->f
               : fv->kind == ST_IQL_E_UNSIGNED ? (double)fv->u
                                               : (double)fv->i;
    int t = rq_field_type(p, col->key);
    enum st_qv_kind kind = ST_QV_FLOAT;
    if (col->fn == RQ_FN_COUNT)
        kind = ST_QV_INT;
    else if (col->fn == RQ_FN_MEAN || col->fn == RQ_FN_STDDEV)
        kind = ST_QV_FLOAT;
    else if (t == STRATA__FIELD_TYPE__INTEGER)
        kind = ST_QV_INT;
    else if (t == STRATA__FIELD_TYPE__UNSIGNED)
        kind = ST_QV_UINT;
    else if (t == STRATA__FIELD_TYPE__STRING)
        kind = ST_QV_STRING;
    else if (t == STRATA__FIELD_TYPE__BOOLEAN)
        kind = ST_QV_BOOL;
    switch (kind) {
    case ST_QV_INT:
        return (struct st_qv){.kind = ST_QV_INT,
                              .i = fv->kind == ST_IQL_E_INTEGER ? fv->i : (int64_t)d};
    case ST_QV_UINT:
        return (struct st_qv){.kind = ST_QV_UINT,
                              .u = fv->kind == ST_IQL_E_UNSIGNED ? fv->u : (uint64_t)d};
    case ST_QV_STRING:
        return (struct st_qv){.kind = ST_QV_STRING, .s = {"", 0}};
    case ST_QV_BOOL:
        return (struct st_qv){.kind = ST_QV_BOOL, .b = false};
    default:
        if (fv->kind == ST_IQL_E_INTEGER)
            return (struct st_qv){.kind = ST_QV_INT, .i = fv->i};
        return (struct st_qv){.kind = ST_QV_FLOAT, .f = d};
    }
}

/* Points mode: the row of the point a selector chose (value @v at @t). */
static const struct st_qv *selected_row(const struct slot *sl, int64_t t, const struct st_qv *v)
{
    for (size_t i = 0; i < sl->pts.n; i++) {
        const struct rq_pt *pt = &sl->pts.v[i];
        if (pt->t != t || pt->v.kind != v->kind)
            continue;
        bool eq = v->kind == ST_QV_FLOAT  ? pt->v.f == v->f
                  : v->kind == ST_QV_INT  ? pt->v.i == v->i
                  : v->kind == ST_QV_UINT ? pt->v.u == v->u
                  : v->kind == ST_QV_BOOL ? pt->v.b == v->b
                  : v->kind == ST_QV_STRING
                      ? pt->v.s.len == v->s.len && memcmp(pt->v.s.p, v->s.p, v->s.len) == 0
                      : false;
        if (eq)
            return pt->row;
    }
    return NULL;
}

/* Points mode: the raw columns of an aggregate row come from the selected
 * point's row. */
static void points_row(const struct rq_plan *p, struct st_qv *row, const struct st_qv *selrow)
{
    for (size_t k = 1; k < p->nout; k++) {
        if (p->cols[k].kind != RQ_COL_AGG && selrow != NULL)
            row[k] = selrow[k];
    }
}

/* Fills one row from window @w (NULL: none) at time @t. */
static int fill_row(struct actx *c, struct st_qres *res, struct st_qseries *s, struct awin *w,
                    int64_t t, bool selector_time)
{
    struct rq_plan *p = c->p;
    const struct st_iql_select *sel = p->sel;
    struct st_qv *row = rq_res_row(res);
    if (row == NULL)
        return ST_ENOMEM;
    int64_t rt = t;
    const struct st_qv *selrow = NULL; /* points mode: the selected point's row */
    for (size_t k = 1; k < p->nout; k++) {
        const struct rq_col *col = &p->cols[k];
        if (col->kind != RQ_COL_AGG)
            continue; /* points mode: a raw column, from selrow below */
        struct slot *sl = w ? &w->slots[c->col_field[k]] : NULL;
        int64_t vt = rt;
        if (!c->has_field[k])
            continue; /* the measurement has no such field: null, never filled */
        if (sl != NULL && sl->set) {
            row[k] = w->pre != NULL && col->fn == RQ_FN_INTEGRAL ? w->pre[k]
                     : RQ_FN_POINTS(col->fn) ? rq_pts_value(col, &sl->pts, &vt, &selrow)
                                             : finalize(col->fn, &sl->a, &vt);
            if (k == p->selector && selrow == NULL)
                selrow = selected_row(sl, vt, &row[k]);
            if (col->fn == RQ_FN_INTEGRAL && p->interval == 0 && sl->a.type == ST_FIELD_FLOAT)
                rt = 0; /* InfluxDB: a float integral() without GROUP BY time is at 0 */
            if (row[k].kind == ST_QV_STRING &&
                (row[k].s.p = rq_res_str(res, row[k].s.p, row[k].s.len)) == NULL)
                return ST_ENOMEM;
        } else if (col->fn == RQ_FN_COUNT && sel->fill == ST_IQL_FILL_NULL) {
            row[k] = (struct st_qv){.kind = ST_QV_INT, .i = 0};
        }
        if (row[k].kind == ST_QV_NULL && sel->fill == ST_IQL_FILL_NUMBER && sel->fill_value)
            row[k] = fill_number(p, col, sel->fill_value);
        if (row[k].kind == ST_QV_NULL && sel->fill == ST_IQL_FILL_PREVIOUS && s->nrows > 1)
            row[k] = s->values[(s->nrows - 2) * s->ncolumns + k];
        if (selector_time)
            rt = vt;
    }
    if (p->points)
        points_row(p, row, selrow);
    row[0] = (struct st_qv){.kind = ST_QV_TIME, .t = rt};
    return ST_OK;
}

/* A row of a filled series in a time zone: its time and window (NULL: a fill). */
struct zrow {
    int64_t t;
    struct awin *w;
};

/* The rows of @g from window @first to window @last as InfluxDB's fill
 * iterator makes them in a time zone, where windows are not one interval
 * apart: the next expected time is the last one plus the interval, moved
 * by the zone's offset change before it when the change is shorter than
 * the interval; a window with data at or before the expected time is
 * written instead of a fill. Ascending (ORDER BY time DESC reverses the
 * list). Caller frees *@out. */
static int zone_rows(struct rq_plan *p, struct rq_group *g, int64_t first, int64_t last,
                     struct zrow **out, size_t *n)
{
    size_t cap = 64, k = 0, i = 0;
    struct zrow *v = malloc(cap * sizeof(*v));
    if (v == NULL)
        return ST_ENOMEM;
    int64_t t = first, off = st_tz_offset_ns(p->tz, t);
    while (i < g->n || t <= last) {
        if (k == MAX_FILLED_WINDOWS) {
            free(v);
            return rq_fail(p,
                           "too many windows (%zu) in one series: narrow the time range, widen "
                           "the GROUP BY time interval, or use fill(none) or LIMIT",
                           k);
        }
        if (k == cap) {
            struct zrow *nv = realloc(v, (cap *= 2) * sizeof(*v));
            if (nv == NULL) {
                free(v);
                return ST_ENOMEM;
            }
            v = nv;
        }
        if (i < g->n && WINS(g)[i].start <= t)
            v[k++] = (struct zrow){WINS(g)[i].start, &WINS(g)[i]}, i++;
        else
            v[k++] = (struct zrow){t, NULL};
        if (t > INT64_MAX - p->interval)
            break;
        t += p->interval;
        int64_t o = st_tz_offset_ns(p->tz, t - 1);
        if (o != off) {
            int64_t diff = off - o;
            if ((diff < 0 ? -diff : diff) < p->interval)
                t += diff;
            off = o;
        }
    }
    *out = v;
    *n = k;
    return ST_OK;
}

/* Writes the rows of @g into a new series of @res, in output order (ORDER
 * BY time DESC walks the windows backwards), stopping after OFFSET + LIMIT
 * rows; cut_rows() then drops the OFFSET. */
static int emit_group(struct actx *c, struct rq_group *g, struct st_qres *res)
{
    struct rq_plan *p = c->p;
    const struct st_iql_select *sel = p->sel;
    int rv = rq_res_series(res, g->name, (const Strata__Tag *const *)g->tags, g->ntags, p->cols,
                           p->nout);
    if (rv != ST_OK)
        return rv;
    struct st_qseries *s = &res->series[res->nseries - 1];
    for (size_t k = 1; k < p->nout; k++)
        c->has_field[k] = rq_meas_has_field(p, g->name, p->cols[k].key);
    bool windows = p->interval > 0 && sel->fill != ST_IQL_FILL_NONE;
    int64_t first = 0;
    size_t nrows = g->n;
    struct zrow *zrows = NULL; /* a zone's windows, listed */
    if (windows && p->tz != NULL) {
        first = p->has_tmin ? window_start(p, p->tmin) : WINS(g)[0].start;
        if ((rv = zone_rows(p, g, first, window_start(p, p->tmax), &zrows, &nrows)) != ST_OK)
            return rv;
    } else if (windows) {
        first = p->has_tmin ? window_start(p, p->tmin) : WINS(g)[0].start;
        int64_t last = window_start(p, p->tmax);
        nrows = last < first ? 0 : (size_t)((uint64_t)(last - first) / (uint64_t)p->interval) + 1;
    } else if (p->interval == 0) {
        nrows = g->n > 0 ? 1 : 0;
    }
    size_t want = nrows;
    if (sel->limit > 0) {
        uint64_t w = (uint64_t)sel->limit + (uint64_t)(sel->offset > 0 ? sel->offset : 0);
        if (w < want)
            want = (size_t)w;
    }
    if (windows && want > MAX_FILLED_WINDOWS)
        return rq_fail(p,
                       "too many windows (%zu) in one series: narrow the time range, widen "
                       "the GROUP BY time interval, or use fill(none) or LIMIT",
                       want);
    bool selector_time = p->interval == 0 && p->selector > 0;
    for (size_t i = 0; rv == ST_OK && i < want; i++) {
        size_t idx = sel->desc ? nrows - 1 - i : i;
        if (zrows != NULL) {
            rv = fill_row(c, res, s, zrows[idx].w, zrows[idx].t, false);
        } else if (windows) {
            int64_t t = first + (int64_t)idx * p->interval;
            rv = fill_row(c, res, s, find_win(g, t), t, false);
        } else {
            struct awin *w = &WINS(g)[idx];
            int64_t t = p->interval > 0 ? w->start : p->has_tmin ? p->tmin : 0;
            rv = fill_row(c, res, s, w, t, selector_time);
        }
    }
    free(zrows);
    if (rv == ST_OK && sel->fill == ST_IQL_FILL_LINEAR)
        for (size_t k = 1; k < p->nout; k++)
            fill_linear(s, k);
    return rv;
}

/* OFFSET on the rows of the last series (emit_group() stopped at OFFSET +
 * LIMIT). */
static void cut_rows(const struct rq_plan *p, struct st_qseries *s)
{
    size_t n = s->ncolumns, off = p->sel->offset > 0 ? (size_t)p->sel->offset : 0;
    if (off >= s->nrows) {
        s->nrows = 0;
        return;
    }
    if (off > 0) {
        memmove(s->values, s->values + off * n, (s->nrows - off) * n * sizeof(*s->values));
        s->nrows -= off;
    }
}

/* Points mode: the same statement as raw rows (every field and tag column
 * the plan needs, no windows: windows are the router's). */
static int fetch_points(struct actx *c, Strata__Query *q)
{
    struct rq_plan *p = c->p;
    Strata__AggregateKind raw = STRATA__AGGREGATE_KIND__RAW;
    const char **fields = rq_alloc(p->ar, p->ncols * sizeof(*fields));
    const char **tags = rq_alloc(p->ar, p->ncols * sizeof(*tags));
    if (fields == NULL || tags == NULL)
        return ST_ENOMEM;
    q->n_fields = q->n_tag_columns = 0;
    for (size_t k = 1; k < p->ncols; k++) {
        const struct rq_col *col = &p->cols[k];
        bool dup = false;
        for (size_t j = 1; j < k && !dup; j++)
            dup = p->cols[j].kind == col->kind && strcmp(p->cols[j].key, col->key) == 0;
        if (dup)
            continue;
        if (col->kind == RQ_COL_FIELD)
            fields[q->n_fields++] = col->key;
        else if (col->kind == RQ_COL_TAG)
            tags[q->n_tag_columns++] = col->key;
    }
    q->fields = (char **)fields;
    q->tag_columns = (char **)tags;
    q->interval_ns = q->offset_ns = 0;
    q->aggregates = &raw;
    q->n_aggregates = 1;
    if (p->filter_expr != NULL && p->sub == NULL)
        q->field_filter = rq_field_cond(p, p->filter_expr);
    return rq_fetch(p, q, take_points, c);
}

/* Points mode with GROUP BY time: integral() crosses windows (the area up
 * to a window's end is interpolated towards the next point), so its values
 * are computed per group before the rows. */
static int integrals(struct actx *c)
{
    struct rq_plan *p = c->p;
    for (size_t k = 1; k < p->nout; k++) {
        const struct rq_col *col = &p->cols[k];
        if (col->kind != RQ_COL_AGG || col->fn != RQ_FN_INTEGRAL)
            continue;
        for (size_t i = 0; i < c->gs.n; i++) {
            struct rq_group *g = c->gs.v[i];
            const struct rq_pt *prev = NULL;
            int64_t prev_end = 0;
            for (size_t w = 0; w < g->n; w++) {
                struct awin *aw = &WINS(g)[w];
                struct slot *sl = &aw->slots[c->col_field[k]];
                if (!sl->set || sl->pts.n == 0)
                    continue;
                const struct rq_pt *next = NULL;
                for (size_t x = w + 1; x < g->n && next == NULL; x++)
                    next = rq_pts_edge(&WINS(g)[x].slots[c->col_field[k]].pts, false);
                if (aw->pre == NULL && (aw->pre = calloc(p->nout, sizeof(*aw->pre))) == NULL)
                    return ST_ENOMEM;
                int64_t end = window_end(p, aw->start);
                aw->pre[k] = rq_pts_integral(col, &sl->pts, prev, prev_end, next, aw->start, end);
                prev = rq_pts_edge(&sl->pts, true);
                prev_end = end;
            }
        }
    }
    return ST_OK;
}

/* Points mode, a function of several rows per window (distinct, top,
 * bottom, sample): the rows of every window with points, in time order
 * (ORDER BY time DESC: backwards), up to OFFSET + LIMIT. */
static int emit_multi(struct actx *c, struct rq_group *g, struct st_qres *res)
{
    struct rq_plan *p = c->p;
    const struct st_iql_select *sel = p->sel;
    const struct rq_col *col = &p->cols[p->multi];
    int rv = rq_res_series(res, g->name, (const Strata__Tag *const *)g->tags, g->ntags, p->cols,
                           p->nout);
    if (rv != ST_OK)
        return rv;
    size_t want = SIZE_MAX;
    if (sel->limit > 0)
        want = (size_t)sel->limit + (size_t)(sel->offset > 0 ? sel->offset : 0);
    struct st_qseries *s = &res->series[res->nseries - 1];
    for (size_t i = 0; rv == ST_OK && i < g->n && s->nrows < want; i++) {
        struct awin *w = &WINS(g)[sel->desc ? g->n - 1 - i : i];
        struct slot *sl = &w->slots[c->col_field[p->multi]];
        const struct rq_pt **pts;
        size_t n;
        if (!sl->set)
            continue;
        if ((rv = rq_pts_select(col, &sl->pts, &pts, &n)) != ST_OK)
            return rv;
        for (size_t j = 0; j < n && s->nrows < want; j++) {
            const struct rq_pt *pt = pts[sel->desc ? n - 1 - j : j];
            struct st_qv *row = rq_res_row(res);
            if (row == NULL) {
                rv = ST_ENOMEM;
                break;
            }
            int64_t t = pt->t;
            if (col->fn == RQ_FN_DISTINCT)
                t = p->interval > 0 ? w->start : p->has_tmin ? p->tmin : 0;
            row[0] = (struct st_qv){.kind = ST_QV_TIME, .t = t};
            row[p->multi] = pt->v;
            for (size_t k = 1; k < p->nout; k++)
                if (p->cols[k].kind != RQ_COL_AGG)
                    row[k] = pt->row[k];
        }
        free(pts);
    }
    return rv;
}

int rq_run_agg(struct rq_plan *p, struct st_qres *res)
{
    struct actx c = {.p = p, .res = res};
    Strata__Query q = STRATA__QUERY__INIT;
    Strata__AggregateKind kinds[16];
    size_t nk = 0;
    int rv = ST_ENOMEM;
    rq_groups_init(&c.gs);
    c.fields = rq_alloc(p->ar, p->ncols * sizeof(*c.fields));
    c.col_field = rq_alloc(p->ar, p->ncols * sizeof(*c.col_field));
    c.has_field = rq_alloc(p->ar, p->ncols * sizeof(*c.has_field));
    c.field_src = rq_alloc(p->ar, p->ncols * sizeof(*c.field_src));
    if (c.fields == NULL || c.col_field == NULL || c.has_field == NULL || c.field_src == NULL)
        goto out;
    for (size_t k = 1; k < p->ncols; k++) {
        const struct rq_col *col = &p->cols[k];
        if (col->kind != RQ_COL_AGG)
            continue; /* points mode: raw columns */
        size_t fi = 0;
        while (fi < c.nfields && strcmp(c.fields[fi], col->key) != 0)
            fi++;
        if (fi == c.nfields) {
            c.field_src[c.nfields] = col->src;
            c.fields[c.nfields++] = col->key;
        }
        c.col_field[k] = fi;
        c.want |= want_of(col->fn);
        c.keep_pts = c.keep_pts || RQ_FN_POINTS(col->fn) || (p->selector > 0 && p->nout > 2);
        if (p->points)
            continue;
        Strata__AggregateKind ak = kind_of(col->fn);
        size_t i = 0;
        while (i < nk && kinds[i] != ak)
            i++;
        if (i == nk && nk < 16)
            kinds[nk++] = ak;
    }
    q.database = (char *)p->db;
    q.retention_policy = (char *)p->rp;
    if (p->mregex != NULL) {
        q.source_case = STRATA__QUERY__SOURCE_MEASUREMENT_REGEX;
        q.measurement_regex = (char *)p->mregex;
    } else {
        q.source_case = STRATA__QUERY__SOURCE_MEASUREMENT;
        q.measurement = (char *)p->measurement;
    }
    q.condition = p->tags;
    q.fields = (char **)c.fields;
    q.n_fields = c.nfields;
    q.min_ns = p->has_tmin ? p->tmin : INT64_MIN;
    q.max_ns = p->has_tmax ? p->tmax : INT64_MAX;
    q.interval_ns = p->interval;
    q.offset_ns = p->offset;
    q.time_zone = p->tz != NULL ? (char *)p->sel->tz : "";
    q.group_by_tags = (char **)p->group_tags;
    q.n_group_by_tags = p->ngroup_tags;
    q.group_by_all = p->group_all;
    q.aggregates = kinds;
    q.n_aggregates = nk;
    q.columnar = true;
    q.max_series = p->env->max_series;
    if (p->points)
        rv = fetch_points(&c, &q);
    else
        rv = rq_fetch(p, &q, take_series, &c);
    if (rv != ST_OK)
        goto out;
    const struct st_iql_select *sel = p->sel;
    rq_groups_sort(&c.gs, sel->desc);
    if (p->points && p->interval > 0 && (rv = integrals(&c)) != ST_OK)
        goto out;
    size_t skip = sel->soffset > 0 ? (size_t)sel->soffset : 0, emitted = 0;
    if (skip > 0 && sel->slimit <= 0)
        goto out; /* InfluxDB 1.6 answers SOFFSET without SLIMIT with no series */
    for (size_t i = 0; rv == ST_OK && i < c.gs.n; i++) {
        if (c.gs.v[i]->n == 0)
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        if (sel->slimit > 0 && emitted == (size_t)sel->slimit)
            break;
        if ((rv = p->multi ? emit_multi(&c, c.gs.v[i], res) : emit_group(&c, c.gs.v[i], res)) !=
            ST_OK)
            break;
        cut_rows(p, &res->series[res->nseries - 1]);
        if (res->series[res->nseries - 1].nrows == 0)
            rq_res_drop_last(res);
        else
            emitted++;
    }
out:
    for (size_t i = 0; i < c.gs.n; i++) {
        struct rq_group *g = c.gs.v[i];
        for (size_t w = 0; w < g->n; w++) {
            for (size_t f = 0; f < c.nfields; f++) {
                st_agg_fini(&WINS(g)[w].slots[f].a);
                rq_pts_fini(&WINS(g)[w].slots[f].pts);
            }
            free(WINS(g)[w].pre);
        }
    }
    slabs_free(&c);
    rq_groups_fini(&c.gs);
    return rv;
}
