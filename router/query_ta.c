/* The technical-analysis transformations of InfluxQL: exponential_moving_average,
 * double_/triple_exponential_moving_average, relative_strength_index,
 * triple_exponential_derivative, kaufmans_efficiency_ratio,
 * kaufmans_adaptive_moving_average and chande_momentum_oscillator.
 *
 * InfluxDB 1.6 computes them with the "gota" algorithms (query/internal/gota)
 * wrapped in reducers (query/functions.go): every point of the argument's
 * stream (non-null values, in row order, ORDER BY time DESC included) is
 * added to the algorithm, and the point is emitted, at its time, once more
 * than "hold period" points were added; the hold period defaults (-1) to
 * the algorithm's warm-up count. This file reproduces those algorithms
 * operation for operation, so that the floating-point results are the same:
 *
 *   EMA: alpha 2 / (period + 1); during the warm-up (the first period
 *        points) 'exponential' uses alpha 2 / (count + 2) and 'simple' the
 *        running mean; the first point is its own average.
 *   DEMA 2*e1 - e2, TEMA 3*e1 - 3*e2 + e3: each EMA fed with the previous
 *        one's output ('simple': only once the previous one is warm).
 *   RSI: EMAs (period + 1, alpha 1 / period) of the ups and downs against
 *        the previous value (0 before the first point, as in gota);
 *        100 - 100 / (1 + up / down).
 *   TRIX: the rate of change in percent of a triple EMA; an infinite rate
 *        (the first point) is not emitted.
 *   KER: |v - v[period ago]| / sum of |changes| over a ring of period
 *        points (starting from zeros); 0 when either is 0.
 *   KAMA: last + sc * (v - last), sc = (er * (2/3 - 2/31) + 2/31)^2, last
 *        reset to the previous value until KER is warm.
 *   CMO 'none' (the default): sums of ups and downs over a ring of period -
 *        1 changes, 100 * (up - down) / (up + down); with a warm-up type,
 *        the RSI-like smoothed form (gota's CMOS).
 *
 * Not reproduced: a NaN result (0/0, e.g. RSI of a constant series) is
 * dropped here; InfluxDB fails to encode it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"

static const struct st_iql_expr *unparen(const struct st_iql_expr *e)
{
    while (e->kind == ST_IQL_E_PAREN)
        e = e->lhs;
    return e;
}

/* Arguments ------------------------------------------------------------- */

int rq_ta_args(struct rq_plan *p, const struct st_iql_expr *e, enum rq_trans tr, struct rq_ta *ta)
{
    const char *name = e->name;
    bool kaufmans = tr == RQ_T_KER || tr == RQ_T_KAMA;
    size_t max = kaufmans ? 3 : 4;
    *ta = (struct rq_ta){.tr = tr, .hold = -1, .warmup = RQ_WARM_EXPONENTIAL};
    if (tr == RQ_T_CMO)
        ta->warmup = RQ_WARM_NONE;
    if (e->nargs < 2 || e->nargs > max)
        return rq_fail(p,
                       "invalid number of arguments for %s, expected at least 2 but no more "
                       "than %zu, got %zu",
                       name, max, e->nargs);
    const struct st_iql_expr *a = unparen(e->args[1]);
    if (a->kind != ST_IQL_E_INTEGER)
        return rq_fail(p, "%s period must be an integer", name);
    if (a->i < 1)
        return rq_fail(p, "%s period must be greater than or equal to 1", name);
    ta->period = a->i;
    if (e->nargs >= 3) {
        a = unparen(e->args[2]);
        if (a->kind != ST_IQL_E_INTEGER)
            return rq_fail(p, "%s hold period must be an integer", name);
        if (tr == RQ_T_TRIX && a->i < 1 && a->i != -1)
            return rq_fail(p, "%s hold period must be greater than or equal to 1", name);
        if (a->i < 0 && a->i != -1)
            return rq_fail(p, "%s hold period must be greater than or equal to 0", name);
        ta->hold = a->i;
    }
    if (e->nargs >= 4) {
        a = unparen(e->args[3]);
        if (a->kind != ST_IQL_E_STRING)
            return rq_fail(p, "%s warmup type must be a string", name);
        if (strcmp(a->str, "exponential") == 0)
            ta->warmup = RQ_WARM_EXPONENTIAL;
        else if (strcmp(a->str, "simple") == 0)
            ta->warmup = RQ_WARM_SIMPLE;
        else if (tr == RQ_T_CMO && strcmp(a->str, "none") == 0)
            ta->warmup = RQ_WARM_NONE;
        else if (tr == RQ_T_CMO)
            return rq_fail(p, "%s warmup type must be one of: 'none' 'exponential' 'simple'", name);
        else
            return rq_fail(p, "%s warmup type must be one of: 'exponential' 'simple'", name);
    }
    return ST_OK;
}

int rq_ta_check_type(struct rq_plan *p, const char *fn, int type)
{
    const char *it = type == STRATA__FIELD_TYPE__STRING    ? "string"
                     : type == STRATA__FIELD_TYPE__BOOLEAN ? "boolean"
                                                           : NULL;
    if (it == NULL)
        return ST_OK;
    char name[64];
    size_t i = 0;
    for (; fn[i] != '\0' && i + 1 < sizeof(name); i++)
        name[i] = fn[i] == '_' ? ' ' : fn[i];
    name[i] = '\0';
    return rq_fail(p, "unsupported %s iterator type: *query.%sInterruptIterator", name, it);
}

/* Algorithms ------------------------------------------------------------- */

struct ema {
    int64_t period, count;
    double last, alpha;
    bool simple;
};

static void ema_init(struct ema *e, int64_t period, bool simple)
{
    *e = (struct ema){.period = period, .alpha = 2 / (double)(period + 1), .simple = simple};
}

static bool ema_warmed(const struct ema *e)
{
    return e->count == e->period;
}

static double ema_add(struct ema *e, double v)
{
    double avg;
    if (e->count == 0)
        avg = v;
    else if (!ema_warmed(e) && e->simple)
        avg = (e->last * (double)e->count + v) / (double)(e->count + 1);
    else if (!ema_warmed(e))
        avg = (v - e->last) * (2 / (double)(e->count + 2)) + e->last;
    else
        avg = (v - e->last) * e->alpha + e->last;
    e->last = avg;
    if (e->count < e->period)
        e->count++;
    return avg;
}

/* A ring of (price, change) points: KER and CMO. */
struct ring {
    double *price, *diff;
    size_t n, idx; /* idx: the newest */
    int64_t count;
    double a, b; /* KER: noise; CMO: sums of ups and downs */
};

struct algo {
    enum rq_trans tr;
    bool simple, ring_cmo;
    struct ema e[3];
    double last; /* RSI, CMOS: the previous value; TRIX: the previous output; KAMA */
    int64_t trix_count;
    struct ring r;
};

static int algo_init(struct algo *g, const struct rq_ta *ta)
{
    memset(g, 0, sizeof(*g));
    g->tr = ta->tr;
    g->simple = ta->warmup == RQ_WARM_SIMPLE;
    for (int i = 0; i < 3; i++)
        ema_init(&g->e[i], ta->period, g->simple);
    if (ta->tr == RQ_T_RSI || (ta->tr == RQ_T_CMO && ta->warmup != RQ_WARM_NONE)) {
        for (int i = 0; i < 2; i++) {
            ema_init(&g->e[i], ta->period + 1, g->simple);
            g->e[i].alpha = 1 / (double)ta->period;
        }
    }
    if (ta->tr == RQ_T_KER || ta->tr == RQ_T_KAMA)
        g->r.n = (size_t)ta->period;
    else if (ta->tr == RQ_T_CMO && ta->warmup == RQ_WARM_NONE)
        g->r.n = (size_t)ta->period - 1;
    g->ring_cmo = ta->tr == RQ_T_CMO && ta->warmup == RQ_WARM_NONE;
    if (g->r.n > 0) {
        g->r.price = calloc(g->r.n, sizeof(double));
        g->r.diff = calloc(g->r.n, sizeof(double));
        if (g->r.price == NULL || g->r.diff == NULL)
            return ST_ENOMEM;
    }
    return ST_OK;
}

static void algo_fini(struct algo *g)
{
    free(g->r.price);
    free(g->r.diff);
}

/* The hold period by default: gota's WarmCount(). */
static int64_t warm_count(const struct rq_ta *ta)
{
    int64_t n = ta->period;
    bool simple = ta->warmup == RQ_WARM_SIMPLE;
    switch (ta->tr) {
    case RQ_T_EMA:
        return n - 1;
    case RQ_T_DEMA:
        return simple ? 2 * (n - 1) : n - 1;
    case RQ_T_TEMA:
        return simple ? 3 * (n - 1) : n - 1;
    case RQ_T_TRIX:
        return simple ? 3 * (n - 1) + 1 : n;
    case RQ_T_CMO:
        return ta->warmup == RQ_WARM_NONE ? n - 1 : n;
    default: /* RSI, KER, KAMA */
        return n;
    }
}

static double ker_add(struct ring *r, double v)
{
    size_t old = r->idx + 1 >= r->n ? 0 : r->idx + 1;
    double signal = fabs(v - r->price[old]);
    double diff = fabs(v - r->price[r->idx]);
    r->a -= r->diff[old];
    r->a += diff;
    r->idx = old;
    r->price[old] = v;
    r->diff[old] = diff;
    if (r->count != (int64_t)r->n + 1)
        r->count++;
    if (signal == 0 || r->a == 0)
        return 0;
    return signal / r->a;
}

static double cmo_add(struct ring *r, double v)
{
    if (r->n == 0)
        return NAN; /* period 1: gota indexes an empty ring (InfluxDB panics) */
    size_t old = r->idx + 1 == r->n ? 0 : r->idx + 1;
    double diff = 0, out = 0;
    if (r->count != 0) {
        diff = v - r->price[r->idx];
        if (diff > 0)
            r->a += diff;
        else if (diff < 0)
            r->b -= diff;
    }
    if (r->a != 0 || r->b != 0)
        out = 100.0 * ((r->a - r->b) / (r->a + r->b));
    if (r->diff[old] > 0)
        r->a -= r->diff[old];
    else if (r->diff[old] < 0)
        r->b += r->diff[old];
    r->price[old] = v;
    r->diff[old] = diff;
    r->idx = old;
    if (r->count != (int64_t)r->n + 2)
        r->count++;
    return out;
}

static double algo_add(struct algo *g, double v)
{
    double a1, a2, a3, up = 0, down = 0;
    switch (g->tr) {
    case RQ_T_EMA:
        return ema_add(&g->e[0], v);
    case RQ_T_DEMA:
        a1 = ema_add(&g->e[0], v);
        a2 = ema_warmed(&g->e[0]) || !g->simple ? ema_add(&g->e[1], a1) : a1;
        return 2 * a1 - a2;
    case RQ_T_TEMA:
        a1 = ema_add(&g->e[0], v);
        a2 = ema_warmed(&g->e[0]) || !g->simple ? ema_add(&g->e[1], a1) : a1;
        a3 = ema_warmed(&g->e[1]) || !g->simple ? ema_add(&g->e[2], a2) : a2;
        return 3 * a1 - 3 * a2 + a3;
    case RQ_T_TRIX: {
        double cur = ema_add(&g->e[0], v);
        if (ema_warmed(&g->e[0]) || !g->simple) {
            cur = ema_add(&g->e[1], cur);
            if (ema_warmed(&g->e[1]) || !g->simple)
                cur = ema_add(&g->e[2], cur);
        }
        double rate = ((cur / g->last) - 1) * 100;
        g->last = cur;
        if (g->trix_count != 2 && ema_warmed(&g->e[2]))
            g->trix_count++;
        return rate;
    }
    case RQ_T_RSI:
    case RQ_T_CMO:
        if (g->ring_cmo)
            return cmo_add(&g->r, v);
        if (v > g->last)
            up = v - g->last;
        else if (v < g->last)
            down = g->last - v;
        ema_add(&g->e[0], up);
        ema_add(&g->e[1], down);
        g->last = v;
        up = g->e[0].last;
        down = g->e[1].last;
        if (g->tr == RQ_T_RSI)
            return 100 - (100 / (1 + up / down));
        return 100.0 * ((up - down) / (up + down));
    case RQ_T_KER:
        return ker_add(&g->r, v);
    case RQ_T_KAMA: {
        if (g->r.count != (int64_t)g->r.n + 1)
            g->last = g->r.price[g->r.idx];
        double er = ker_add(&g->r, v);
        /* Go folds the constants exactly: 2/3 - 2/31 = 56/93. */
        double x = er * (56.0 / 93.0) + 2.0 / 31.0;
        double sc = x * x;
        g->last = g->last + sc * (v - g->last);
        return g->last;
    }
    default:
        return NAN;
    }
}

int rq_ta_transform(const struct rq_ta *ta, const int64_t *t, const struct st_qv *v, size_t nin,
                    int64_t *ot, struct st_qv *ov, size_t *nout)
{
    struct algo g;
    int rv = algo_init(&g, ta);
    int64_t hold = ta->hold == -1 ? warm_count(ta) : ta->hold;
    /* gota keeps the hold period as a uint32. */
    uint32_t hold32 = (uint32_t)hold, count = 0;
    size_t m = 0;
    for (size_t i = 0; rv == ST_OK && i < nin; i++) {
        double x;
        if (v[i].kind == ST_QV_FLOAT)
            x = v[i].f;
        else if (v[i].kind == ST_QV_INT)
            x = (double)v[i].i;
        else if (v[i].kind == ST_QV_UINT)
            x = (double)v[i].u;
        else
            continue;
        double r = algo_add(&g, x);
        count++;
        if (count <= hold32 || isnan(r))
            continue;
        if (isinf(r) && (ta->tr == RQ_T_TRIX || ta->tr == RQ_T_KER || ta->tr == RQ_T_KAMA))
            continue;
        ot[m] = t[i];
        ov[m++] = (struct st_qv){.kind = ST_QV_FLOAT, .f = r};
    }
    algo_fini(&g);
    *nout = m;
    return rv;
}
