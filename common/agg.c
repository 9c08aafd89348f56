/* Partial aggregates.
 *
 * The happy path: a data node decodes a block into typed arrays and hands
 * them to st_agg_add_f64() and friends, or hands a whole block's statistics
 * to st_agg_add_block(); the router st_agg_merge()s the partials of every
 * shard and finalizes with st_agg_mean(), st_agg_stddev(), st_agg_spread()
 * or the fields of the struct.
 *
 * A bulk call does each tracked statistic in its own loop over the arrays:
 * the exact integer sums are plain additions that the compiler vectorizes;
 * the double sum is one addition per value in feeding order (InfluxDB's
 * FloatSumReduce order; reordering would change the rounding, so it is not
 * vectorized); min/max is one branchy scan that remembers indexes; first and
 * last only look at the points that share the earliest and the latest time.
 * Moments of a call are computed in two passes (mean, then squared
 * deviations) and combined with the running ones as Chan et al. combine two
 * partitions, which is also what st_agg_merge() does. The per-point
 * st_agg_add() is a bulk call of one point.
 *
 * Every update goes through the same order: first/last (the only step that
 * can fail: copying a string), moments, sums, min/max, and the count last,
 * because "count == 0" means "no first/last yet" and is the weight of the
 * running moments. So ST_ENOMEM leaves the aggregate as it was.
 *
 * Selectors compare with strict weak orders (see the tie rules in agg.h), so
 * a scan of one call followed by one comparison with the running value gives
 * exactly what point-by-point feeding gives, and merges commute. */
#include "agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* int64 <-> uint64 two's complement without implementation-defined casts. */
static inline uint64_t i64_bits(int64_t v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    return u;
}

static inline int64_t i64_from_bits(uint64_t u)
{
    int64_t v;
    memcpy(&v, &u, sizeof(v));
    return v;
}

/* ---- Orders ------------------------------------------------------------- */

static int slice_cmp(struct st_slice x, struct st_slice y)
{
    uint32_t n = x.len < y.len ? x.len : y.len;
    int c = n ? memcmp(x.p, y.p, n) : 0;
    if (c != 0)
        return c;
    return (x.len > y.len) - (x.len < y.len);
}

/* The value order of min() and max(): <0, 0 or >0. Never sees NaN. */
static int value_cmp(enum st_field_type type, const union st_agg_value *x,
                     const union st_agg_value *y)
{
    switch (type) {
    case ST_FIELD_FLOAT:
        return (x->f > y->f) - (x->f < y->f);
    case ST_FIELD_INTEGER:
        return (x->i > y->i) - (x->i < y->i);
    case ST_FIELD_UNSIGNED:
        return (x->u > y->u) - (x->u < y->u);
    case ST_FIELD_BOOLEAN:
        return (int)x->b - (int)y->b;
    case ST_FIELD_STRING:
        return slice_cmp(x->s, y->s);
    }
    return 0;
}

/* Whether float @x beats @y in a first/last tie ("larger wins"). InfluxDB
 * compares with >; this extends it to a strict weak order so that ties do
 * not depend on feeding order: NaN is below everything, -0 below +0. */
static inline bool f64_tie_gt(double x, double y)
{
    if (isnan(x))
        return false;
    if (isnan(y))
        return true;
    if (x != y)
        return x > y;
    return !signbit(x) && signbit(y);
}

/* Whether @x beats @y for first() (@last false) or last() at equal times. */
static bool tie_wins(enum st_field_type type, const union st_agg_value *x,
                     const union st_agg_value *y, bool last)
{
    switch (type) {
    case ST_FIELD_FLOAT:
        return f64_tie_gt(x->f, y->f);
    case ST_FIELD_BOOLEAN: /* BooleanFirstReduce: false wins; BooleanLastReduce: true */
        return last ? x->b && !y->b : !x->b && y->b;
    default:
        return value_cmp(type, x, y) > 0;
    }
}

/* Whether float @x beats @y for min() (@min) or max() when they compare
 * equal at equal times: only -0 and +0 do, and -0 counts as the smaller, so
 * the sign of a zero does not depend on feeding order either. */
static inline bool zero_tie(enum st_field_type type, const union st_agg_value *x,
                            const union st_agg_value *y, bool min)
{
    if (type != ST_FIELD_FLOAT || signbit(x->f) == signbit(y->f))
        return false;
    return min ? signbit(x->f) != 0 : signbit(y->f) != 0;
}

/* ---- Offering one candidate to the running selectors -------------------- */

static void offer_min(struct st_agg *a, const union st_agg_value *v, int64_t t)
{
    int c = a->has_minmax ? value_cmp(a->type, v, &a->min) : -1;
    if (c < 0 ||
        (c == 0 && (t < a->min_t || (t == a->min_t && zero_tie(a->type, v, &a->min, true))))) {
        a->min = *v;
        a->min_t = t;
    }
}

static void offer_max(struct st_agg *a, const union st_agg_value *v, int64_t t)
{
    int c = a->has_minmax ? value_cmp(a->type, v, &a->max) : 1;
    if (c > 0 ||
        (c == 0 && (t < a->max_t || (t == a->max_t && zero_tie(a->type, v, &a->max, false))))) {
        a->max = *v;
        a->max_t = t;
    }
}

/* offer_minmax for integer types (@M the union member, i or u): the same
 * order without the type switch, on the path of every window of min() and
 * max(). */
#define OFFER_MINMAX_INT(a, M, mn, mn_t, mx, mx_t)         \
    do {                                                   \
        if (!(a)->has_minmax || (mn) < (a)->min.M ||       \
            ((mn) == (a)->min.M && (mn_t) < (a)->min_t)) { \
            (a)->min.M = (mn);                             \
            (a)->min_t = (mn_t);                           \
        }                                                  \
        if (!(a)->has_minmax || (mx) > (a)->max.M ||       \
            ((mx) == (a)->max.M && (mx_t) < (a)->max_t)) { \
            (a)->max.M = (mx);                             \
            (a)->max_t = (mx_t);                           \
        }                                                  \
        (a)->has_minmax = true;                            \
    } while (0)

/* Offers a min and a max candidate (NaN ones are skipped by the callers). */
static void offer_minmax(struct st_agg *a, const union st_agg_value *mn, int64_t mn_t,
                         const union st_agg_value *mx, int64_t mx_t)
{
    offer_min(a, mn, mn_t);
    offer_max(a, mx, mx_t);
    a->has_minmax = true;
}

static bool first_wins(const struct st_agg *a, const union st_agg_value *v, int64_t t)
{
    return a->count == 0 || t < a->first_t ||
           (t == a->first_t && tie_wins(a->type, v, &a->first, false));
}

static bool last_wins(const struct st_agg *a, const union st_agg_value *v, int64_t t)
{
    return a->count == 0 || t > a->last_t ||
           (t == a->last_t && tie_wins(a->type, v, &a->last, true));
}

/* Makes room for @len bytes of string at *@buf, keeping the bytes there
 * (@cur, the value that points into the buffer, follows a move). */
static int str_reserve(char **buf, uint32_t *cap, union st_agg_value *cur, uint32_t len)
{
    if (len <= *cap)
        return ST_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < len)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        ncap = len;
    char *p = realloc(*buf, ncap);
    if (p == NULL)
        return ST_ENOMEM; /* UNTESTED: no fault injection in tests/lib yet */
    *buf = p;
    *cap = (uint32_t)ncap;
    cur->s.p = p;
    return ST_OK;
}

/* Copies string @v into the reserved buffer @buf and makes it *@dst. */
static void str_take(char *buf, union st_agg_value *dst, const union st_agg_value *v)
{
    if (v->s.len)
        memcpy(buf, v->s.p, v->s.len);
    dst->s.p = buf ? buf : "";
    dst->s.len = v->s.len;
}

/* Offers a first and a last candidate; strings are copied when they win. On
 * ST_ENOMEM nothing changed. Must run before a->count is updated. */
static int offer_firstlast(struct st_agg *a, const union st_agg_value *fv, int64_t ft,
                           const union st_agg_value *lv, int64_t lt)
{
    bool wf = first_wins(a, fv, ft);
    bool wl = last_wins(a, lv, lt);
    if (a->type == ST_FIELD_STRING) {
        int rv;
        if (wf && (rv = str_reserve(&a->first_buf, &a->first_cap, &a->first, fv->s.len)) != 0)
            return rv;
        if (wl && (rv = str_reserve(&a->last_buf, &a->last_cap, &a->last, lv->s.len)) != 0)
            return rv;
        if (wf)
            str_take(a->first_buf, &a->first, fv);
        if (wl)
            str_take(a->last_buf, &a->last, lv);
    } else {
        if (wf)
            a->first = *fv;
        if (wl)
            a->last = *lv;
    }
    if (wf)
        a->first_t = ft;
    if (wl)
        a->last_t = lt;
    return ST_OK;
}

/* ---- Moments ------------------------------------------------------------ */

/* Combines the running moments (weight a->count) with a partition of @nb
 * values, mean @mean_b and m2 @m2_b (Chan, Golub, LeVeque 1979). Must run
 * before a->count is updated. */
static void moments_combine(struct st_agg *a, uint64_t nb, double mean_b, double m2_b)
{
    if (nb == 0)
        return;
    if (a->count == 0) {
        a->mean = mean_b;
        a->m2 = m2_b;
        return;
    }
    double na = (double)a->count, nbd = (double)nb, n = na + nbd;
    double d = mean_b - a->mean;
    a->mean += d * (nbd / n);
    a->m2 += m2_b + d * d * (na * nbd / n);
}

/* Two passes over the values of one call: their mean, then the sum of
 * squared deviations with the rounding correction of the corrected two-pass
 * algorithm (Chan, Golub, LeVeque 1983). Then combined with the running ones. */
#define MOMENTS(a, v, n)                                     \
    do {                                                     \
        double s_ = 0, d_ = 0, d2_ = 0;                      \
        for (size_t i_ = 0; i_ < (n); i_++)                  \
            s_ += (double)(v)[i_];                           \
        double mc_ = s_ / (double)(n);                       \
        for (size_t i_ = 0; i_ < (n); i_++) {                \
            double e_ = (double)(v)[i_] - mc_;               \
            d_ += e_;                                        \
            d2_ += e_ * e_;                                  \
        }                                                    \
        double m2c_ = d2_ - d_ * d_ / (double)(n);           \
        moments_combine((a), (n), mc_, m2c_ < 0 ? 0 : m2c_); \
    } while (0)

/* ---- Scans of one call -------------------------------------------------- */

/* Sets *@imin and *@imax to the indexes of the smallest and the largest of
 * v[@i0..@n), the earliest on equal values (times are non-decreasing). With
 * a NaN at v[i] both comparisons are false, so NaN is skipped when v[@i0]
 * is a number. Branch-free (the winners kept in registers, picked with
 * conditional moves): on TSBS's 6-value windows the branches of a scan
 * that compared against v[winner] mispredicted about once a window, and
 * the scan was a third of a data node's CPU on cpu-max-all-8. */
#define SCAN_MINMAX(T, v, i0, n, imin, imax)         \
    do {                                             \
        size_t lo_ = (i0), hi_ = (i0);               \
        T mn_ = (v)[i0], mx_ = mn_;                  \
        for (size_t i_ = (i0) + 1; i_ < (n); i_++) { \
            T x_ = (v)[i_];                          \
            bool lt_ = x_<mn_, gt_ = x_> mx_;        \
            mn_ = lt_ ? x_ : mn_;                    \
            lo_ = lt_ ? i_ : lo_;                    \
            mx_ = gt_ ? x_ : mx_;                    \
            hi_ = gt_ ? i_ : hi_;                    \
        }                                            \
        *(imin) = lo_;                               \
        *(imax) = hi_;                               \
    } while (0)

/* Sets *@ifirst to the index first() picks among the points at the earliest
 * time t[0] and *@ilast to the one last() picks among the points at the
 * latest time t[n-1], scanning forward as point-by-point feeding would:
 * WINS_FIRST(x, y) and WINS_LAST(x, y) say whether x beats y on a tie. */
#define PICK_FIRST_LAST(t, v, n, WINS_FIRST, WINS_LAST, ifirst, ilast) \
    do {                                                               \
        size_t f_ = 0, s_ = (n)-1;                                     \
        for (size_t i_ = 1; i_ < (n) && (t)[i_] == (t)[0]; i_++)       \
            if (WINS_FIRST((v)[i_], (v)[f_]))                          \
                f_ = i_;                                               \
        while (s_ > 0 && (t)[s_ - 1] == (t)[(n)-1])                    \
            s_--;                                                      \
        size_t l_ = s_;                                                \
        for (size_t i_ = s_ + 1; i_ < (n); i_++)                       \
            if (WINS_LAST((v)[i_], (v)[l_]))                           \
                l_ = i_;                                               \
        *(ifirst) = f_;                                                \
        *(ilast) = l_;                                                 \
    } while (0)

#define GT(x, y) ((x) > (y))
#define BOOL_FIRST_WINS(x, y) (!(x) && (y))
#define BOOL_LAST_WINS(x, y) ((x) && !(y))
#define STR_GT(x, y) (slice_cmp((x), (y)) > 0)

/* ---- Lifecycle ---------------------------------------------------------- */

static unsigned type_wants(enum st_field_type type)
{
    switch (type) {
    case ST_FIELD_FLOAT:
    case ST_FIELD_INTEGER:
    case ST_FIELD_UNSIGNED:
        return ST_AGG_COUNT | ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST | ST_AGG_MOMENTS;
    case ST_FIELD_BOOLEAN:
        return ST_AGG_COUNT | ST_AGG_MINMAX | ST_AGG_FIRSTLAST;
    case ST_FIELD_STRING:
        return ST_AGG_COUNT | ST_AGG_FIRSTLAST;
    }
    return ST_AGG_COUNT;
}

void st_agg_init(struct st_agg *a, enum st_field_type type, unsigned want)
{
    memset(a, 0, sizeof(*a));
    a->type = type;
    want |= ST_AGG_COUNT;
    if (want & ST_AGG_MOMENTS)
        want |= ST_AGG_SUM;
    a->want = want & type_wants(type);
}

void st_agg_fini(struct st_agg *a)
{
    free(a->first_buf);
    free(a->last_buf);
    a->first_buf = a->last_buf = NULL;
    a->first_cap = a->last_cap = 0;
    a->first.s.p = a->last.s.p = NULL;
    a->first.s.len = a->last.s.len = 0;
    a->count = 0;
}

void st_agg_reset(struct st_agg *a)
{
    struct st_agg keep = *a;
    st_agg_init(a, keep.type, keep.want);
    a->first_buf = keep.first_buf;
    a->last_buf = keep.last_buf;
    a->first_cap = keep.first_cap;
    a->last_cap = keep.last_cap;
}

/* ---- Adding ------------------------------------------------------------- */

int st_agg_add(struct st_agg *a, int64_t t, const union st_agg_value *v)
{
    switch (a->type) {
    case ST_FIELD_FLOAT:
        return st_agg_add_f64(a, &t, &v->f, 1);
    case ST_FIELD_INTEGER:
        return st_agg_add_i64(a, &t, &v->i, 1);
    case ST_FIELD_UNSIGNED:
        return st_agg_add_u64(a, &t, &v->u, 1);
    case ST_FIELD_BOOLEAN:
        return st_agg_add_bool(a, &t, &v->b, 1);
    case ST_FIELD_STRING:
        return st_agg_add_str(a, &t, &v->s, 1);
    }
    return ST_EINVAL;
}

int st_agg_add_f64(struct st_agg *a, const int64_t *t, const double *v, size_t n)
{
    if (a->type != ST_FIELD_FLOAT)
        return ST_EINVAL;
    if (n == 0)
        return ST_OK;
    if (a->want & ST_AGG_FIRSTLAST) {
        size_t f, l;
        PICK_FIRST_LAST(t, v, n, f64_tie_gt, f64_tie_gt, &f, &l);
        union st_agg_value fv = {.f = v[f]}, lv = {.f = v[l]};
        offer_firstlast(a, &fv, t[f], &lv, t[l]);
    }
    if (a->want & ST_AGG_MOMENTS)
        MOMENTS(a, v, n);
    if (a->want & ST_AGG_SUM) {
        double s = a->sum;
        for (size_t i = 0; i < n; i++)
            s += v[i];
        a->sum = s;
    }
    if (a->want & ST_AGG_MINMAX) {
        size_t i0 = 0;
        while (i0 < n && isnan(v[i0]))
            i0++;
        if (i0 < n) {
            size_t lo, hi;
            SCAN_MINMAX(double, v, i0, n, &lo, &hi);
            /* zero_tie() among the points at the same time as the winners */
            for (size_t i = lo + 1; i < n && t[i] == t[lo]; i++)
                if (v[i] == v[lo] && signbit(v[i]) && !signbit(v[lo]))
                    lo = i;
            for (size_t i = hi + 1; i < n && t[i] == t[hi]; i++)
                if (v[i] == v[hi] && !signbit(v[i]) && signbit(v[hi]))
                    hi = i;
            union st_agg_value mn = {.f = v[lo]}, mx = {.f = v[hi]};
            offer_minmax(a, &mn, t[lo], &mx, t[hi]);
        }
    }
    a->count += n;
    return ST_OK;
}

int st_agg_add_i64(struct st_agg *a, const int64_t *t, const int64_t *v, size_t n)
{
    if (a->type != ST_FIELD_INTEGER)
        return ST_EINVAL;
    if (n == 0)
        return ST_OK;
    if (a->want & ST_AGG_FIRSTLAST) {
        size_t f, l;
        PICK_FIRST_LAST(t, v, n, GT, GT, &f, &l);
        union st_agg_value fv = {.i = v[f]}, lv = {.i = v[l]};
        offer_firstlast(a, &fv, t[f], &lv, t[l]);
    }
    if (a->want & ST_AGG_MOMENTS)
        MOMENTS(a, v, n);
    if (a->want & ST_AGG_SUM) {
        double s = a->sum;
        for (size_t i = 0; i < n; i++)
            s += (double)v[i];
        a->sum = s;
        uint64_t is = i64_bits(a->isum); /* unsigned: wraps without UB */
        for (size_t i = 0; i < n; i++)
            is += (uint64_t)v[i];
        a->isum = i64_from_bits(is);
    }
    if (a->want & ST_AGG_MINMAX) {
        size_t lo, hi;
        SCAN_MINMAX(int64_t, v, 0, n, &lo, &hi);
        OFFER_MINMAX_INT(a, i, v[lo], t[lo], v[hi], t[hi]);
    }
    a->count += n;
    return ST_OK;
}

int st_agg_add_u64(struct st_agg *a, const int64_t *t, const uint64_t *v, size_t n)
{
    if (a->type != ST_FIELD_UNSIGNED)
        return ST_EINVAL;
    if (n == 0)
        return ST_OK;
    if (a->want & ST_AGG_FIRSTLAST) {
        size_t f, l;
        PICK_FIRST_LAST(t, v, n, GT, GT, &f, &l);
        union st_agg_value fv = {.u = v[f]}, lv = {.u = v[l]};
        offer_firstlast(a, &fv, t[f], &lv, t[l]);
    }
    if (a->want & ST_AGG_MOMENTS)
        MOMENTS(a, v, n);
    if (a->want & ST_AGG_SUM) {
        double s = a->sum;
        for (size_t i = 0; i < n; i++)
            s += (double)v[i];
        a->sum = s;
        uint64_t us = a->usum;
        for (size_t i = 0; i < n; i++)
            us += v[i];
        a->usum = us;
    }
    if (a->want & ST_AGG_MINMAX) {
        size_t lo, hi;
        SCAN_MINMAX(uint64_t, v, 0, n, &lo, &hi);
        OFFER_MINMAX_INT(a, u, v[lo], t[lo], v[hi], t[hi]);
    }
    a->count += n;
    return ST_OK;
}

int st_agg_add_bool(struct st_agg *a, const int64_t *t, const bool *v, size_t n)
{
    if (a->type != ST_FIELD_BOOLEAN)
        return ST_EINVAL;
    if (n == 0)
        return ST_OK;
    if (a->want & ST_AGG_FIRSTLAST) {
        size_t f, l;
        PICK_FIRST_LAST(t, v, n, BOOL_FIRST_WINS, BOOL_LAST_WINS, &f, &l);
        union st_agg_value fv = {.b = v[f]}, lv = {.b = v[l]};
        offer_firstlast(a, &fv, t[f], &lv, t[l]);
    }
    if (a->want & ST_AGG_MINMAX) {
        /* min: the first false, else the first true; max the other way. */
        size_t lo = n, hi = n;
        for (size_t i = 0; i < n && (lo == n || hi == n); i++) {
            if (v[i]) {
                if (hi == n)
                    hi = i;
            } else if (lo == n) {
                lo = i;
            }
        }
        if (lo == n)
            lo = 0;
        if (hi == n)
            hi = 0;
        union st_agg_value mn = {.b = v[lo]}, mx = {.b = v[hi]};
        offer_minmax(a, &mn, t[lo], &mx, t[hi]);
    }
    a->count += n;
    return ST_OK;
}

int st_agg_add_str(struct st_agg *a, const int64_t *t, const struct st_slice *v, size_t n)
{
    if (a->type != ST_FIELD_STRING)
        return ST_EINVAL;
    if (n == 0)
        return ST_OK;
    if (a->want & ST_AGG_FIRSTLAST) {
        size_t f, l;
        PICK_FIRST_LAST(t, v, n, STR_GT, STR_GT, &f, &l);
        union st_agg_value fv = {.s = v[f]}, lv = {.s = v[l]};
        int rv = offer_firstlast(a, &fv, t[f], &lv, t[l]);
        if (rv != ST_OK)
            return rv;
    }
    a->count += n;
    return ST_OK;
}

int st_agg_add_block(struct st_agg *a, const struct st_agg_block *b)
{
    if ((a->want & ST_AGG_MOMENTS) || b->min_time > b->max_time)
        return ST_EINVAL;
    if (b->count == 0)
        return ST_OK;
    if (a->want & ST_AGG_FIRSTLAST) {
        int rv = offer_firstlast(a, &b->first, b->min_time, &b->last, b->max_time);
        if (rv != ST_OK)
            return rv;
    }
    if (a->want & ST_AGG_SUM) {
        a->sum += b->sum;
        a->isum = i64_from_bits(i64_bits(a->isum) + i64_bits(b->isum));
        a->usum += b->usum;
    }
    if ((a->want & ST_AGG_MINMAX) &&
        !(a->type == ST_FIELD_FLOAT && (isnan(b->min.f) || isnan(b->max.f))))
        offer_minmax(a, &b->min, b->min_time, &b->max, b->min_time);
    a->count += b->count;
    return ST_OK;
}

int st_agg_merge(struct st_agg *into, const struct st_agg *from)
{
    if (into == from || into->type != from->type || (into->want & ~from->want) != 0)
        return ST_EINVAL;
    if (from->count == 0)
        return ST_OK;
    if (into->want & ST_AGG_FIRSTLAST) {
        int rv = offer_firstlast(into, &from->first, from->first_t, &from->last, from->last_t);
        if (rv != ST_OK)
            return rv;
    }
    if (into->want & ST_AGG_MOMENTS)
        moments_combine(into, from->count, from->mean, from->m2);
    if (into->want & ST_AGG_SUM) {
        into->sum += from->sum;
        into->isum = i64_from_bits(i64_bits(into->isum) + i64_bits(from->isum));
        into->usum += from->usum;
    }
    if ((into->want & ST_AGG_MINMAX) && from->has_minmax)
        offer_minmax(into, &from->min, from->min_t, &from->max, from->max_t);
    into->count += from->count;
    return ST_OK;
}

/* ---- Finalizing --------------------------------------------------------- */

double st_agg_mean(const struct st_agg *a)
{
    if (a->count == 0)
        return NAN;
    return a->sum / (double)a->count;
}

bool st_agg_stddev(const struct st_agg *a, double *out)
{
    if (!(a->want & ST_AGG_MOMENTS) || a->count < 2)
        return false;
    *out = sqrt(a->m2 / (double)(a->count - 1));
    return true;
}

bool st_agg_spread(const struct st_agg *a, union st_agg_value *out)
{
    if (!(a->want & ST_AGG_MINMAX) || !a->has_minmax)
        return false;
    switch (a->type) {
    case ST_FIELD_FLOAT:
        out->f = a->max.f - a->min.f;
        return true;
    case ST_FIELD_INTEGER:
        out->i = i64_from_bits(i64_bits(a->max.i) - i64_bits(a->min.i));
        return true;
    case ST_FIELD_UNSIGNED:
        out->u = a->max.u - a->min.u;
        return true;
    default:
        return false;
    }
}
