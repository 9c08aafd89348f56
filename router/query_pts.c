/* Aggregates computed on the router from raw points: median, mode,
 * percentile, integral, count(distinct), and the functions that answer
 * several rows per window (distinct, top, bottom, sample).
 *
 * The data nodes answer raw rows (query_raw.c decodes them); the aggregate
 * executor (query_agg.c) puts every point of a field into its (group,
 * window) as an rq_pt with the row it came from, and asks this file for the
 * window's value(s). Every rule here is InfluxDB 1.6's (query/
 * functions.go, call_iterator.go, the *ReduceSlice functions):
 *
 *   median      sort by value; odd count: the middle value; even: lo +
 *               (hi - lo) / 2 of the two middle ones; always a float.
 *   mode        the most frequent value; ties: see mode() below.
 *   percentile  nearest rank: index floor(n * N / 100 + 0.5) - 1 of the
 *               points sorted by value with Go's sort.Sort (not stable: on
 *               equal values the selected time is the one Go's algorithm
 *               leaves there, so rq_go_sort() reproduces it); out of range
 *               (N = 0 with few points): null. A selector: it keeps the
 *               point's time when it is the only column.
 *   integral    trapezoids between consecutive points (a later point at the
 *               same time replaces the earlier), divided by the unit.
 *   distinct    the distinct values in the order of their first time.
 *   top/bottom  the N largest (smallest) values; equal values: the earlier
 *               point first; with tag arguments, first the best point of
 *               each tag combination. Output sorted by time.
 *   sample      N points, sorted by time (InfluxDB picks them at random;
 *               strata takes them evenly spaced in time).
 *
 * Cost: these functions move every point of the range from the data nodes
 * to the router (docs/query-engine.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"

int rq_pts_add(struct rq_pts *ps, int64_t t, const struct st_qv *v, const struct st_qv *row)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 16;
        void *np = realloc(ps->v, cap * sizeof(*ps->v));
        if (np == NULL)
            return ST_ENOMEM;
        ps->v = np;
        ps->cap = cap;
    }
    ps->v[ps->n++] = (struct rq_pt){.t = t, .v = *v, .row = row};
    return ST_OK;
}

void rq_pts_fini(struct rq_pts *ps)
{
    free(ps->v);
    *ps = (struct rq_pts){0};
}

/* Go's sort package (go1.10 .. go1.18), element by element. ------------- */

struct gosort {
    char *base;
    size_t size;
    bool (*less)(const void *a, const void *b);
    char tmp[64];
};

static bool gless(struct gosort *s, size_t i, size_t j)
{
    return s->less(s->base + i * s->size, s->base + j * s->size);
}

static void gswap(struct gosort *s, size_t i, size_t j)
{
    memcpy(s->tmp, s->base + i * s->size, s->size);
    memcpy(s->base + i * s->size, s->base + j * s->size, s->size);
    memcpy(s->base + j * s->size, s->tmp, s->size);
}

static void insertion_sort(struct gosort *s, long a, long b)
{
    for (long i = a + 1; i < b; i++)
        for (long j = i; j > a && gless(s, (size_t)j, (size_t)j - 1); j--)
            gswap(s, (size_t)j, (size_t)j - 1);
}

static void sift_down(struct gosort *s, long lo, long hi, long first)
{
    long root = lo;
    for (;;) {
        long child = 2 * root + 1;
        if (child >= hi)
            return;
        if (child + 1 < hi && gless(s, (size_t)(first + child), (size_t)(first + child + 1)))
            child++;
        if (!gless(s, (size_t)(first + root), (size_t)(first + child)))
            return;
        gswap(s, (size_t)(first + root), (size_t)(first + child));
        root = child;
    }
}

static void heap_sort(struct gosort *s, long a, long b)
{
    long first = a, lo = 0, hi = b - a;
    for (long i = (hi - 1) / 2; i >= 0; i--)
        sift_down(s, i, hi, first);
    for (long i = hi - 1; i >= 0; i--) {
        gswap(s, (size_t)first, (size_t)(first + i));
        sift_down(s, lo, i, first);
    }
}

static void median_of_three(struct gosort *s, long m1, long m0, long m2)
{
    if (gless(s, (size_t)m1, (size_t)m0))
        gswap(s, (size_t)m1, (size_t)m0);
    if (gless(s, (size_t)m2, (size_t)m1)) {
        gswap(s, (size_t)m2, (size_t)m1);
        if (gless(s, (size_t)m1, (size_t)m0))
            gswap(s, (size_t)m1, (size_t)m0);
    }
}

static void do_pivot(struct gosort *s, long lo, long hi, long *midlo, long *midhi)
{
    long m = (long)((unsigned long)(lo + hi) >> 1);
    if (hi - lo > 40) {
        long d = (hi - lo) / 8;
        median_of_three(s, lo, lo + d, lo + 2 * d);
        median_of_three(s, m, m - d, m + d);
        median_of_three(s, hi - 1, hi - 1 - d, hi - 1 - 2 * d);
    }
    median_of_three(s, lo, m, hi - 1);
    long pivot = lo, a = lo + 1, c = hi - 1;
    for (; a < c && gless(s, (size_t)a, (size_t)pivot); a++) {
    }
    long b = a;
    for (;;) {
        for (; b < c && !gless(s, (size_t)pivot, (size_t)b); b++) {
        }
        for (; b < c && gless(s, (size_t)pivot, (size_t)(c - 1)); c--) {
        }
        if (b >= c)
            break;
        gswap(s, (size_t)b, (size_t)(c - 1));
        b++;
        c--;
    }
    bool protect = hi - c < 5;
    if (!protect && hi - c < (hi - lo) / 4) {
        int dups = 0;
        if (!gless(s, (size_t)pivot, (size_t)(hi - 1))) {
            gswap(s, (size_t)c, (size_t)(hi - 1));
            c++;
            dups++;
        }
        if (!gless(s, (size_t)(b - 1), (size_t)pivot)) {
            b--;
            dups++;
        }
        if (!gless(s, (size_t)m, (size_t)pivot)) {
            gswap(s, (size_t)m, (size_t)(b - 1));
            b--;
            dups++;
        }
        protect = dups > 1;
    }
    if (protect) {
        for (;;) {
            for (; a < b && !gless(s, (size_t)(b - 1), (size_t)pivot); b--) {
            }
            for (; a < b && gless(s, (size_t)a, (size_t)pivot); a++) {
            }
            if (a >= b)
                break;
            gswap(s, (size_t)a, (size_t)(b - 1));
            a++;
            b--;
        }
    }
    gswap(s, (size_t)pivot, (size_t)(b - 1));
    *midlo = b - 1;
    *midhi = c;
}

static void quick_sort(struct gosort *s, long a, long b, int depth)
{
    while (b - a > 12) {
        if (depth == 0) {
            heap_sort(s, a, b);
            return;
        }
        depth--;
        long mlo, mhi;
        do_pivot(s, a, b, &mlo, &mhi);
        if (mlo - a < b - mhi) {
            quick_sort(s, a, mlo, depth);
            a = mhi;
        } else {
            quick_sort(s, mhi, b, depth);
            b = mlo;
        }
    }
    if (b - a > 1) {
        for (long i = a + 6; i < b; i++)
            if (gless(s, (size_t)i, (size_t)(i - 6)))
                gswap(s, (size_t)i, (size_t)(i - 6));
        insertion_sort(s, a, b);
    }
}

void rq_go_sort(void *base, size_t n, size_t size, bool (*less)(const void *a, const void *b))
{
    struct gosort s = {.base = base, .size = size, .less = less};
    if (size > sizeof(s.tmp) || n < 2)
        return;
    int depth = 0;
    for (size_t i = n; i > 0; i >>= 1)
        depth++;
    quick_sort(&s, 0, (long)n, depth * 2);
}

/* Values --------------------------------------------------------------- */

static int cmp_qv(const struct st_qv *a, const struct st_qv *b)
{
    switch (a->kind) {
    case ST_QV_FLOAT:
        return a->f < b->f ? -1 : a->f > b->f;
    case ST_QV_INT:
        return a->i < b->i ? -1 : a->i > b->i;
    case ST_QV_UINT:
        return a->u < b->u ? -1 : a->u > b->u;
    case ST_QV_BOOL:
        return (int)a->b - (int)b->b;
    case ST_QV_STRING: {
        size_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
        int c = memcmp(a->s.p, b->s.p, n);
        return c ? c : a->s.len < b->s.len ? -1 : a->s.len > b->s.len;
    }
    default:
        return 0;
    }
}

static double num(const struct st_qv *v)
{
    return v->kind == ST_QV_FLOAT ? v->f : v->kind == ST_QV_INT ? (double)v->i : (double)v->u;
}

static bool numeric(const struct st_qv *v)
{
    return v->kind == ST_QV_FLOAT || v->kind == ST_QV_INT || v->kind == ST_QV_UINT;
}

static bool less_value(const void *a, const void *b)
{
    return cmp_qv(&((const struct rq_pt *)a)->v, &((const struct rq_pt *)b)->v) < 0;
}

static int cmp_time(const void *a, const void *b)
{
    const struct rq_pt *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    /* Equal times: keep the order of arrival (the rows' addresses). */
    return x->row < y->row ? -1 : x->row > y->row;
}

static void sort_time(struct rq_pts *ps)
{
    qsort(ps->v, ps->n, sizeof(*ps->v), cmp_time);
}

static struct st_qv median(struct rq_pts *ps)
{
    struct st_qv null = {.kind = ST_QV_NULL};
    if (ps->n == 0 || !numeric(&ps->v[0].v))
        return null;
    rq_go_sort(ps->v, ps->n, sizeof(*ps->v), less_value);
    const struct st_qv *lo = &ps->v[(ps->n - 1) / 2].v, *hi = &ps->v[ps->n / 2].v;
    double r;
    if (ps->n % 2 == 1)
        r = num(hi);
    else if (lo->kind == ST_QV_INT)
        r = (double)lo->i + (double)(int64_t)((uint64_t)hi->i - (uint64_t)lo->i) / 2;
    else if (lo->kind == ST_QV_UINT)
        r = (double)lo->u + (double)(hi->u - lo->u) / 2;
    else
        r = lo->f + (hi->f - lo->f) / 2;
    return (struct st_qv){.kind = ST_QV_FLOAT, .f = r};
}

/* InfluxDB's *ModeReduceSlice: over the points sorted by value (Go's
 * unstable sort), the longest run of equal values; a run as long as the
 * best so far wins when its first point is not later than the best's last
 * counted point. */
static struct st_qv mode(struct rq_pts *ps)
{
    if (ps->n == 0)
        return (struct st_qv){.kind = ST_QV_NULL};
    sort_time(ps);
    rq_go_sort(ps->v, ps->n, sizeof(*ps->v), less_value);
    size_t most_n = 0, cur_n = 0, most = 0;
    int64_t most_t = ps->v[0].t, cur_t = ps->v[0].t;
    const struct st_qv *cur = &ps->v[0].v;
    for (size_t i = 0; i < ps->n; i++) {
        const struct rq_pt *pt = &ps->v[i];
        if (cmp_qv(&pt->v, cur) != 0) {
            cur_n = 1;
            cur = &pt->v;
            cur_t = pt->t;
            continue;
        }
        cur_n++;
        if (most_n > cur_n || (most_n == cur_n && cur_t > most_t))
            continue;
        most_n = cur_n;
        most = i;
        most_t = pt->t;
    }
    return ps->v[most].v;
}

static struct st_qv percentile(const struct rq_col *col, struct rq_pts *ps, int64_t *t,
                               const struct st_qv **row)
{
    struct st_qv null = {.kind = ST_QV_NULL};
    if (ps->n == 0 || !numeric(&ps->v[0].v))
        return null;
    double x = floor((double)ps->n * col->arg / 100.0 + 0.5) - 1;
    if (x < 0 || x >= (double)ps->n)
        return null;
    size_t i = (size_t)x;
    sort_time(ps);
    rq_go_sort(ps->v, ps->n, sizeof(*ps->v), less_value);
    *t = ps->v[i].t;
    *row = ps->v[i].row;
    return ps->v[i].v;
}

static double linear(int64_t t, int64_t t0, int64_t t1, double v0, double v1)
{
    return (v1 - v0) / (double)(t1 - t0) * (double)(t - t0) + v0;
}

/* The trapezoids of the points of one window, sorted by time (a later
 * point at the same time replaces the earlier one). */
static double trapezoids(const struct rq_pts *ps, double unit)
{
    double sum = 0;
    for (size_t i = 1; i < ps->n; i++)
        if (ps->v[i].t != ps->v[i - 1].t)
            sum += 0.5 * (num(&ps->v[i].v) + num(&ps->v[i - 1].v)) *
                   ((double)(ps->v[i].t - ps->v[i - 1].t) / unit);
    return sum;
}

static struct st_qv integral(const struct rq_col *col, struct rq_pts *ps)
{
    if (ps->n == 0 || !numeric(&ps->v[0].v))
        return (struct st_qv){.kind = ST_QV_NULL};
    sort_time(ps);
    double unit = (double)(col->unit > 0 ? col->unit : 1000000000);
    return (struct st_qv){.kind = ST_QV_FLOAT, .f = trapezoids(ps, unit)};
}

struct st_qv rq_pts_integral(const struct rq_col *col, struct rq_pts *ps, const struct rq_pt *prev,
                             int64_t prev_end, const struct rq_pt *next, int64_t start, int64_t end)
{
    struct st_qv null = {.kind = ST_QV_NULL};
    if (ps->n == 0 || !numeric(&ps->v[0].v))
        return null;
    sort_time(ps);
    double unit = (double)(col->unit > 0 ? col->unit : 1000000000);
    const struct rq_pt *first = &ps->v[0], *last = &ps->v[ps->n - 1];
    double sum = trapezoids(ps, unit);
    if (prev != NULL) {
        /* The previous window ended at the value interpolated at its end. */
        double pv = linear(prev_end, prev->t, first->t, num(&prev->v), num(&first->v));
        sum += 0.5 * (num(&first->v) + pv) * ((double)(first->t - prev_end) / unit);
    }
    if (next != NULL) {
        if (last->t != end) {
            double v = linear(end, last->t, next->t, num(&last->v), num(&next->v));
            sum += 0.5 * (v + num(&last->v)) * ((double)(end - last->t) / unit);
        }
    } else if (last->t == start) {
        return null; /* InfluxDB drops a last window that only has a point at its start */
    }
    return (struct st_qv){.kind = ST_QV_FLOAT, .f = sum};
}

const struct rq_pt *rq_pts_edge(struct rq_pts *ps, bool last)
{
    if (ps->n == 0)
        return NULL;
    sort_time(ps);
    return &ps->v[last ? ps->n - 1 : 0];
}

/* Stable sort of @idx (indexes into @ps) by value. */
static int sort_idx_by_value(const struct rq_pts *ps, size_t *idx)
{
    size_t *tmp = malloc((ps->n ? ps->n : 1) * sizeof(*tmp));
    if (tmp == NULL)
        return ST_ENOMEM;
    for (size_t w = 1; w < ps->n; w *= 2) {
        for (size_t lo = 0; lo < ps->n; lo += 2 * w) {
            size_t mid = lo + w < ps->n ? lo + w : ps->n;
            size_t hi = lo + 2 * w < ps->n ? lo + 2 * w : ps->n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid || b < hi) {
                bool ta = b >= hi || (a < mid && cmp_qv(&ps->v[idx[a]].v, &ps->v[idx[b]].v) <= 0);
                tmp[o++] = ta ? idx[a++] : idx[b++];
            }
        }
        memcpy(idx, tmp, ps->n * sizeof(*idx));
    }
    free(tmp);
    return ST_OK;
}

/* Sorts @ps by time and puts the first point of every distinct value into
 * @first (room for ps->n), in time order. The count, or SIZE_MAX when out
 * of memory. */
static size_t distinct_firsts(struct rq_pts *ps, const struct rq_pt **first)
{
    sort_time(ps);
    size_t *idx = malloc((ps->n ? ps->n : 1) * sizeof(*idx));
    bool *keep = calloc(ps->n ? ps->n : 1, sizeof(*keep));
    size_t n = SIZE_MAX;
    if (idx == NULL || keep == NULL)
        goto out;
    for (size_t i = 0; i < ps->n; i++)
        idx[i] = i;
    if (sort_idx_by_value(ps, idx) != ST_OK)
        goto out;
    /* The first index of each run of equal values is its first time. */
    for (size_t i = 0; i < ps->n; i++)
        if (i == 0 || cmp_qv(&ps->v[idx[i]].v, &ps->v[idx[i - 1]].v) != 0)
            keep[idx[i]] = true;
    n = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (keep[i])
            first[n++] = &ps->v[i];
out:
    free(keep);
    free(idx);
    return n;
}

struct st_qv rq_pts_value(const struct rq_col *col, struct rq_pts *ps, int64_t *t,
                          const struct st_qv **row)
{
    struct st_qv null = {.kind = ST_QV_NULL};
    *row = NULL;
    switch (col->fn) {
    case RQ_FN_MEDIAN:
        return median(ps);
    case RQ_FN_MODE:
        return mode(ps);
    case RQ_FN_PERCENTILE:
        return percentile(col, ps, t, row);
    case RQ_FN_INTEGRAL:
        return integral(col, ps);
    case RQ_FN_COUNT_DISTINCT: {
        const struct rq_pt **first = malloc((ps->n ? ps->n : 1) * sizeof(*first));
        if (first == NULL)
            return null;
        size_t n = distinct_firsts(ps, first);
        free(first);
        return n == SIZE_MAX ? null : (struct st_qv){.kind = ST_QV_INT, .i = (int64_t)n};
    }
    default:
        return null;
    }
}

/* top: larger value first, equal values: earlier time first. */
static int better(const struct rq_col *col, const struct rq_pt *a, const struct rq_pt *b)
{
    int c = cmp_qv(&a->v, &b->v);
    if (col->fn == RQ_FN_BOTTOM)
        c = -c;
    if (c != 0)
        return c > 0 ? -1 : 1;
    return a->t < b->t ? -1 : a->t > b->t;
}

typedef int (*pcmp)(const struct rq_col *col, const struct rq_pt *a, const struct rq_pt *b);

/* Stable merge sort of point pointers with the column as context. */
static int sort_pts(const struct rq_pt **v, size_t n, const struct rq_col *col, pcmp cmp)
{
    if (n < 2)
        return ST_OK;
    const struct rq_pt **tmp = malloc(n * sizeof(*tmp));
    if (tmp == NULL)
        return ST_ENOMEM;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid || b < hi)
                tmp[o++] = b >= hi || (a < mid && cmp(col, v[a], v[b]) <= 0) ? v[a++] : v[b++];
        }
        memcpy(v, tmp, n * sizeof(*v));
    }
    free(tmp);
    return ST_OK;
}

static int cmp_ptime(const struct rq_col *col, const struct rq_pt *x, const struct rq_pt *y)
{
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return better(col, x, y);
}

static bool same_tags(const struct rq_col *col, const struct rq_pt *a, const struct rq_pt *b)
{
    for (size_t i = 0; i < col->nby_tags; i++) {
        const struct st_qv *x = &a->row[col->by_src[i]], *y = &b->row[col->by_src[i]];
        if (x->kind != y->kind || (x->kind == ST_QV_STRING && cmp_qv(x, y) != 0))
            return false;
    }
    return true;
}

static int cmp_tags_better(const struct rq_col *col, const struct rq_pt *x, const struct rq_pt *y)
{
    for (size_t i = 0; i < col->nby_tags; i++) {
        const struct st_qv *u = &x->row[col->by_src[i]], *v = &y->row[col->by_src[i]];
        if (u->kind != v->kind)
            return u->kind < v->kind ? -1 : 1;
        if (u->kind == ST_QV_STRING) {
            int c = cmp_qv(u, v);
            if (c != 0)
                return c;
        }
    }
    return better(col, x, y);
}

int rq_pts_select(const struct rq_col *col, struct rq_pts *ps, const struct rq_pt ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const struct rq_pt **v = malloc((ps->n ? ps->n : 1) * sizeof(*v));
    if (v == NULL)
        return ST_ENOMEM;
    size_t m = 0;
    int rv = ST_OK;
    switch (col->fn) {
    case RQ_FN_DISTINCT:
        m = distinct_firsts(ps, v);
        if (m == SIZE_MAX) {
            free(v);
            return ST_ENOMEM;
        }
        break;
    case RQ_FN_TOP:
    case RQ_FN_BOTTOM:
        sort_time(ps);
        for (size_t i = 0; i < ps->n; i++)
            v[m++] = &ps->v[i];
        if (col->nby_tags > 0) {
            /* The best point of each tag combination. */
            if ((rv = sort_pts(v, m, col, cmp_tags_better)) != ST_OK)
                break;
            size_t k = 0;
            for (size_t i = 0; i < m; i++)
                if (k == 0 || !same_tags(col, v[k - 1], v[i]))
                    v[k++] = v[i];
            m = k;
        }
        if ((rv = sort_pts(v, m, col, better)) != ST_OK)
            break;
        if (col->n > 0 && (size_t)col->n < m)
            m = (size_t)col->n;
        rv = sort_pts(v, m, col, cmp_ptime);
        break;
    case RQ_FN_SAMPLE: {
        sort_time(ps);
        size_t want = col->n > 0 && (size_t)col->n < ps->n ? (size_t)col->n : ps->n;
        for (size_t i = 0; i < want; i++)
            v[m++] = &ps->v[want == ps->n ? i : i * ps->n / want];
        break;
    }
    default:
        break;
    }
    if (rv != ST_OK) {
        free(v);
        return rv;
    }
    *out = v;
    *n = m;
    return ST_OK;
}
