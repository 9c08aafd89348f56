/* Unit tests of common/agg: every type, InfluxDB's tie rules, bulk adders and
 * block statistics against point-by-point feeding, exact merges of random
 * splits, wrapping sums, owned strings, NaN, and the finalizers. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "err.h"
#include "testlib.h"

#define ALL (ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST | ST_AGG_MOMENTS)
#define NOMOM (ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST)
#define NAGG 8

struct fixture {
    struct st_agg a[NAGG];
};
static struct fixture f;

static void setup(void)
{
    memset(&f, 0, sizeof(f));
}

static void teardown(void)
{
    for (int i = 0; i < NAGG; i++)
        st_agg_fini(&f.a[i]);
}

/* ---- helpers ------------------------------------------------------------- */

/* Deterministic PRNG (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static size_t rnd_below(size_t n)
{
    return (size_t)(rnd() % n);
}

static union st_agg_value F(double x) {
    return (union st_agg_value){.f = x};
} static union st_agg_value I(int64_t x) {
    return (union st_agg_value){.i = x};
} static union st_agg_value U(uint64_t x) {
    return (union st_agg_value){.u = x};
} static union st_agg_value B(bool x) {
    return (union st_agg_value){.b = x};
} static union st_agg_value S(const char *x) {
    return (union st_agg_value){.s = {x, (uint32_t)strlen(x)}};
}

#define ADDV(a, t, v)                                       \
    do {                                                    \
        union st_agg_value v_ = (v);                        \
        ck_assert_int_eq(st_agg_add((a), (t), &v_), ST_OK); \
    } while (0)

/* Whether two doubles are equal within @rel relative to max(|x|, |y|, @floor). */
static bool
close_to(double x, double y, double rel, double floor_)
{
    if (isnan(x) || isnan(y))
        return isnan(x) && isnan(y);
    double m = fmax(fmax(fabs(x), fabs(y)), floor_);
    return fabs(x - y) <= rel * m;
}

static bool value_eq(enum st_field_type type, union st_agg_value x, union st_agg_value y)
{
    switch (type) {
    case ST_FIELD_FLOAT:
        return memcmp(&x.f, &y.f, sizeof(double)) == 0 || (isnan(x.f) && isnan(y.f));
    case ST_FIELD_INTEGER:
        return x.i == y.i;
    case ST_FIELD_UNSIGNED:
        return x.u == y.u;
    case ST_FIELD_BOOLEAN:
        return x.b == y.b;
    case ST_FIELD_STRING:
        return x.s.len == y.s.len && (x.s.len == 0 || memcmp(x.s.p, y.s.p, x.s.len) == 0);
    }
    return false;
}

/* Asserts the selectors of @x and @y are equal, values and times. */
static void assert_selectors_eq(const struct st_agg *x, const struct st_agg *y)
{
    ck_assert_uint_eq(x->count, y->count);
    if (x->want & ST_AGG_MINMAX) {
        ck_assert_int_eq(x->has_minmax, y->has_minmax);
        if (x->has_minmax) {
            ck_assert(value_eq(x->type, x->min, y->min));
            ck_assert(value_eq(x->type, x->max, y->max));
            ck_assert_int_eq(x->min_t, y->min_t);
            ck_assert_int_eq(x->max_t, y->max_t);
        }
    }
    if ((x->want & ST_AGG_FIRSTLAST) && x->count) {
        ck_assert(value_eq(x->type, x->first, y->first));
        ck_assert(value_eq(x->type, x->last, y->last));
        ck_assert_int_eq(x->first_t, y->first_t);
        ck_assert_int_eq(x->last_t, y->last_t);
    }
}

/* Asserts @x and @y agree: counts and integer sums exactly, selectors
 * exactly, the double sum within @sum_tol of @sum_scale, and mean/m2 within
 * 1e-12 relative. */
static void assert_agg_eq(const struct st_agg *x, const struct st_agg *y, double sum_tol,
                          double sum_scale)
{
    ck_assert_int_eq(x->type, y->type);
    assert_selectors_eq(x, y);
    ck_assert_int_eq(x->isum, y->isum);
    ck_assert_uint_eq(x->usum, y->usum);
    if (sum_tol == 0)
        ck_assert(memcmp(&x->sum, &y->sum, sizeof(double)) == 0);
    else
        ck_assert_msg(fabs(x->sum - y->sum) <= sum_tol * sum_scale, "sum %.17g vs %.17g", x->sum,
                      y->sum);
    if ((x->want & ST_AGG_MOMENTS) && x->count) {
        /* The mean's rounding is relative to the spread of the values, which
         * can be far larger than a mean near 0. */
        double spread = sqrt(fmax(x->m2, y->m2) / (double)x->count);
        ck_assert_msg(close_to(x->mean, y->mean, 1e-12, spread), "mean %.17g vs %.17g", x->mean,
                      y->mean);
        ck_assert_msg(close_to(x->m2, y->m2, 1e-12, 1e-300), "m2 %.17g vs %.17g", x->m2, y->m2);
        double sx, sy;
        ck_assert_int_eq(st_agg_stddev(x, &sx), st_agg_stddev(y, &sy));
        if (x->count >= 2)
            ck_assert(close_to(sx, sy, 1e-12, 1e-300));
    }
}

/* Random test data of one type: n points in non-decreasing time, with
 * duplicate times and repeated values so the tie rules are exercised. */
struct data {
    enum st_field_type type;
    size_t n;
    int64_t *t;
    double *f;
    int64_t *i;
    uint64_t *u;
    bool *b;
    struct st_slice *s;
    char *sbytes;
};

static const char *const words[] = {"", "a", "ab", "abc", "b", "ba", "zz", "\xff", "a\0b"};

static void data_make(struct data *d, enum st_field_type type, size_t n, bool small_ints)
{
    memset(d, 0, sizeof(*d));
    d->type = type;
    d->n = n;
    d->t = malloc(n * sizeof(*d->t));
    d->f = malloc(n * sizeof(*d->f));
    d->i = malloc(n * sizeof(*d->i));
    d->u = malloc(n * sizeof(*d->u));
    d->b = malloc(n * sizeof(*d->b));
    d->s = malloc(n * sizeof(*d->s));
    d->sbytes = malloc(n * 4 + 1);
    ck_assert(d->t && d->f && d->i && d->u && d->b && d->s && d->sbytes);
    int64_t t = 1000;
    for (size_t k = 0; k < n; k++) {
        t += (int64_t)rnd_below(3); /* steps of 0 give duplicate times */
        d->t[k] = t;
        d->f[k] = small_ints ? (double)((int64_t)rnd_below(41) - 20)
                             : ((double)(int64_t)rnd() / 9.2e18) * 1e3 + 5;
        d->i[k] = small_ints ? (int64_t)rnd_below(41) - 20 : (int64_t)rnd();
        d->u[k] = small_ints ? rnd_below(41) : rnd();
        d->b[k] = rnd() & 1;
        size_t w = rnd_below(sizeof(words) / sizeof(words[0]));
        size_t len = w == 8 ? 3 : strlen(words[w]);
        memcpy(d->sbytes + 4 * k, words[w], len);
        d->s[k] = (struct st_slice){d->sbytes + 4 * k, (uint32_t)len};
    }
}

static void data_free(struct data *d)
{
    free(d->t);
    free(d->f);
    free(d->i);
    free(d->u);
    free(d->b);
    free(d->s);
    free(d->sbytes);
}

static union st_agg_value data_value(const struct data *d, size_t k)
{
    switch (d->type) {
    case ST_FIELD_FLOAT:
        return F(d->f[k]);
    case ST_FIELD_INTEGER:
        return I(d->i[k]);
    case ST_FIELD_UNSIGNED:
        return U(d->u[k]);
    case ST_FIELD_BOOLEAN:
        return B(d->b[k]);
    case ST_FIELD_STRING:
        return (union st_agg_value){.s = d->s[k]};
    }
    return I(0);
}

/* Feeds d[lo, hi) to @a with the bulk adder of its type. */
static void bulk(struct st_agg *a, const struct data *d, size_t lo, size_t hi)
{
    int rv = ST_EINVAL;
    const int64_t *t = d->t + lo;
    size_t n = hi - lo;
    switch (d->type) {
    case ST_FIELD_FLOAT:
        rv = st_agg_add_f64(a, t, d->f + lo, n);
        break;
    case ST_FIELD_INTEGER:
        rv = st_agg_add_i64(a, t, d->i + lo, n);
        break;
    case ST_FIELD_UNSIGNED:
        rv = st_agg_add_u64(a, t, d->u + lo, n);
        break;
    case ST_FIELD_BOOLEAN:
        rv = st_agg_add_bool(a, t, d->b + lo, n);
        break;
    case ST_FIELD_STRING:
        rv = st_agg_add_str(a, t, d->s + lo, n);
        break;
    }
    ck_assert_int_eq(rv, ST_OK);
}

static void each_point(struct st_agg *a, const struct data *d, size_t lo, size_t hi)
{
    for (size_t k = lo; k < hi; k++) {
        union st_agg_value v = data_value(d, k);
        ck_assert_int_eq(st_agg_add(a, d->t[k], &v), ST_OK);
    }
}

static const enum st_field_type types[] = {ST_FIELD_FLOAT, ST_FIELD_INTEGER, ST_FIELD_UNSIGNED,
                                           ST_FIELD_BOOLEAN, ST_FIELD_STRING};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* ---- init ---------------------------------------------------------------- */

START_TEST(test_init_masks_wants_by_type)
{
    st_agg_init(&f.a[0], ST_FIELD_FLOAT, ST_AGG_MOMENTS);
    ck_assert_uint_eq(f.a[0].want, ST_AGG_COUNT | ST_AGG_SUM | ST_AGG_MOMENTS);
    st_agg_init(&f.a[1], ST_FIELD_BOOLEAN, ALL);
    ck_assert_uint_eq(f.a[1].want, ST_AGG_COUNT | ST_AGG_MINMAX | ST_AGG_FIRSTLAST);
    st_agg_init(&f.a[2], ST_FIELD_STRING, ALL);
    ck_assert_uint_eq(f.a[2].want, ST_AGG_COUNT | ST_AGG_FIRSTLAST);
    st_agg_init(&f.a[3], ST_FIELD_INTEGER, 0);
    ck_assert_uint_eq(f.a[3].want, ST_AGG_COUNT);
}
END_TEST

START_TEST(test_init_empty_finalizers)
{
    st_agg_init(&f.a[0], ST_FIELD_FLOAT, ALL);
    double sd;
    union st_agg_value sp;
    ck_assert_uint_eq(f.a[0].count, 0);
    ck_assert(isnan(st_agg_mean(&f.a[0])));
    ck_assert(!st_agg_stddev(&f.a[0], &sd));
    ck_assert(!st_agg_spread(&f.a[0], &sp));
    ck_assert(!f.a[0].has_minmax);
}
END_TEST

START_TEST(test_fini_twice_and_zeroed)
{
    struct st_agg z;
    memset(&z, 0, sizeof(z));
    st_agg_fini(&z);
    st_agg_init(&f.a[0], ST_FIELD_STRING, ST_AGG_FIRSTLAST);
    ADDV(&f.a[0], 1, S("hello"));
    st_agg_fini(&f.a[0]);
    st_agg_fini(&f.a[0]);
}
END_TEST

/* ---- adding, every type -------------------------------------------------- */

START_TEST(test_add_float)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_FLOAT, ALL);
    ADDV(a, 10, F(2.5));
    ADDV(a, 20, F(-1.0));
    ADDV(a, 30, F(4.0));
    ck_assert_uint_eq(a->count, 3);
    ck_assert_double_eq(a->sum, 5.5);
    ck_assert_double_eq(a->min.f, -1.0);
    ck_assert_int_eq(a->min_t, 20);
    ck_assert_double_eq(a->max.f, 4.0);
    ck_assert_int_eq(a->max_t, 30);
    ck_assert_double_eq(a->first.f, 2.5);
    ck_assert_int_eq(a->first_t, 10);
    ck_assert_double_eq(a->last.f, 4.0);
    ck_assert_int_eq(a->last_t, 30);
    ck_assert(close_to(st_agg_mean(a), 5.5 / 3, 1e-15, 0));
    ck_assert(close_to(a->mean, 5.5 / 3, 1e-15, 0));
    union st_agg_value sp;
    ck_assert(st_agg_spread(a, &sp));
    ck_assert_double_eq(sp.f, 5.0);
    ck_assert_int_eq(a->isum, 0);
    ck_assert_uint_eq(a->usum, 0);
}
END_TEST

START_TEST(test_add_integer)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_INTEGER, ALL);
    ADDV(a, 30, I(7));
    ADDV(a, 10, I(-3)); /* calls may come in any time order */
    ADDV(a, 20, I(5));
    ck_assert_uint_eq(a->count, 3);
    ck_assert_int_eq(a->isum, 9);
    ck_assert_double_eq(a->sum, 9.0);
    ck_assert_int_eq(a->min.i, -3);
    ck_assert_int_eq(a->min_t, 10);
    ck_assert_int_eq(a->max.i, 7);
    ck_assert_int_eq(a->max_t, 30);
    ck_assert_int_eq(a->first.i, -3);
    ck_assert_int_eq(a->first_t, 10);
    ck_assert_int_eq(a->last.i, 7);
    ck_assert_int_eq(a->last_t, 30);
    ck_assert_double_eq(st_agg_mean(a), 3.0);
    union st_agg_value sp;
    ck_assert(st_agg_spread(a, &sp));
    ck_assert_int_eq(sp.i, 10);
}
END_TEST

START_TEST(test_add_unsigned)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_UNSIGNED, ALL);
    ADDV(a, 1, U(UINT64_MAX)); /* compared as unsigned: the largest */
    ADDV(a, 2, U(1));
    ck_assert_uint_eq(a->min.u, 1);
    ck_assert_uint_eq(a->max.u, UINT64_MAX);
    ck_assert_uint_eq(a->usum, 0); /* wrapped */
    ck_assert_double_eq(a->sum, 18446744073709551616.0);
    union st_agg_value sp;
    ck_assert(st_agg_spread(a, &sp));
    ck_assert_uint_eq(sp.u, UINT64_MAX - 1);
    ck_assert_uint_eq(a->first.u, UINT64_MAX);
    ck_assert_uint_eq(a->last.u, 1);
}
END_TEST

START_TEST(test_add_boolean)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_BOOLEAN, ALL);
    ADDV(a, 5, B(true));
    ADDV(a, 6, B(false));
    ADDV(a, 7, B(true));
    ck_assert_uint_eq(a->count, 3);
    ck_assert(!a->min.b);
    ck_assert_int_eq(a->min_t, 6);
    ck_assert(a->max.b);
    ck_assert_int_eq(a->max_t, 5);
    ck_assert(a->first.b);
    ck_assert(a->last.b);
    ck_assert_int_eq(a->last_t, 7);
    ck_assert_double_eq(a->sum, 0); /* not summed */
    union st_agg_value sp;
    double sd;
    ck_assert(!st_agg_spread(a, &sp));
    ck_assert(!st_agg_stddev(a, &sd));
}
END_TEST

START_TEST(test_add_string)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_STRING, ALL);
    ADDV(a, 20, S("middle"));
    ADDV(a, 10, S("early"));
    ADDV(a, 30, S("late"));
    ck_assert_uint_eq(a->count, 3);
    ck_assert_uint_eq(a->first.s.len, 5);
    ck_assert(memcmp(a->first.s.p, "early", 5) == 0);
    ck_assert_int_eq(a->first_t, 10);
    ck_assert(memcmp(a->last.s.p, "late", 4) == 0);
    ck_assert_int_eq(a->last_t, 30);
    ck_assert(!a->has_minmax);
}
END_TEST

START_TEST(test_add_wrong_type_is_einval)
{
    int64_t t = 1;
    double fv = 1;
    int64_t iv = 1;
    uint64_t uv = 1;
    bool bv = true;
    struct st_slice sv = {"x", 1};
    st_agg_init(&f.a[0], ST_FIELD_INTEGER, ALL);
    ck_assert_int_eq(st_agg_add_f64(&f.a[0], &t, &fv, 1), ST_EINVAL);
    ck_assert_int_eq(st_agg_add_u64(&f.a[0], &t, &uv, 1), ST_EINVAL);
    ck_assert_int_eq(st_agg_add_bool(&f.a[0], &t, &bv, 1), ST_EINVAL);
    ck_assert_int_eq(st_agg_add_str(&f.a[0], &t, &sv, 1), ST_EINVAL);
    st_agg_init(&f.a[1], ST_FIELD_FLOAT, ALL);
    ck_assert_int_eq(st_agg_add_i64(&f.a[1], &t, &iv, 1), ST_EINVAL);
    ck_assert_uint_eq(f.a[0].count + f.a[1].count, 0);
    st_agg_init(&f.a[2], (enum st_field_type)99, ALL);
    ck_assert_int_eq(st_agg_add(&f.a[2], 1, &(union st_agg_value){.i = 1}), ST_EINVAL);
}
END_TEST

START_TEST(test_add_count_only_without_times)
{
    double v[4] = {1, 2, 3, 4};
    st_agg_init(&f.a[0], ST_FIELD_FLOAT, ST_AGG_SUM);
    ck_assert_int_eq(st_agg_add_f64(&f.a[0], NULL, v, 4), ST_OK);
    ck_assert_uint_eq(f.a[0].count, 4);
    ck_assert_double_eq(f.a[0].sum, 10);
    ck_assert_int_eq(st_agg_add_f64(&f.a[0], NULL, v, 0), ST_OK);
    ck_assert_uint_eq(f.a[0].count, 4);
}
END_TEST

/* ---- InfluxDB tie rules -------------------------------------------------- */

/* Feeds the points in the given order and in reverse to a fresh pair. */
static void feed_both_orders(enum st_field_type type, const int64_t *t, const union st_agg_value *v,
                             size_t n)
{
    st_agg_fini(&f.a[0]);
    st_agg_fini(&f.a[1]);
    st_agg_init(&f.a[0], type, ALL);
    st_agg_init(&f.a[1], type, ALL);
    for (size_t k = 0; k < n; k++) {
        ck_assert_int_eq(st_agg_add(&f.a[0], t[k], &v[k]), ST_OK);
        ck_assert_int_eq(st_agg_add(&f.a[1], t[n - 1 - k], &v[n - 1 - k]), ST_OK);
    }
    assert_selectors_eq(&f.a[0], &f.a[1]);
}

START_TEST(test_ties_min_max_equal_values_earlier_time)
{
    int64_t t[] = {30, 10, 20};
    union st_agg_value v[] = {I(5), I(5), I(5)};
    feed_both_orders(ST_FIELD_INTEGER, t, v, 3);
    ck_assert_int_eq(f.a[0].min_t, 10);
    ck_assert_int_eq(f.a[0].max_t, 10);

    union st_agg_value fv[] = {F(-2), F(-2), F(-2)};
    feed_both_orders(ST_FIELD_FLOAT, t, fv, 3);
    ck_assert_int_eq(f.a[0].min_t, 10);
    ck_assert_int_eq(f.a[0].max_t, 10);

    union st_agg_value uv[] = {U(9), U(9), U(1)};
    feed_both_orders(ST_FIELD_UNSIGNED, t, uv, 3);
    ck_assert_int_eq(f.a[0].max_t, 10);
    ck_assert_int_eq(f.a[0].min_t, 20);

    union st_agg_value bv[] = {B(true), B(false), B(false)};
    feed_both_orders(ST_FIELD_BOOLEAN, t, bv, 3);
    ck_assert(!f.a[0].min.b);
    ck_assert_int_eq(f.a[0].min_t, 10);
    ck_assert(f.a[0].max.b);
    ck_assert_int_eq(f.a[0].max_t, 30);
}
END_TEST

START_TEST(test_ties_first_last_equal_times_larger_value)
{
    int64_t t[] = {10, 10, 20, 20};
    union st_agg_value iv[] = {I(1), I(3), I(2), I(-4)};
    feed_both_orders(ST_FIELD_INTEGER, t, iv, 4);
    ck_assert_int_eq(f.a[0].first.i, 3);
    ck_assert_int_eq(f.a[0].last.i, 2);

    union st_agg_value fv[] = {F(1.5), F(0.5), F(-1), F(7)};
    feed_both_orders(ST_FIELD_FLOAT, t, fv, 4);
    ck_assert_double_eq(f.a[0].first.f, 1.5);
    ck_assert_double_eq(f.a[0].last.f, 7);

    union st_agg_value uv[] = {U(1), U(UINT64_MAX), U(UINT64_MAX), U(2)};
    feed_both_orders(ST_FIELD_UNSIGNED, t, uv, 4);
    ck_assert_uint_eq(f.a[0].first.u, UINT64_MAX);
    ck_assert_uint_eq(f.a[0].last.u, UINT64_MAX);

    /* Strings: bytewise, so "b" > "abc" and "\xff" > "z". */
    union st_agg_value sv[] = {S("abc"), S("b"), S("z"), S("\xff")};
    feed_both_orders(ST_FIELD_STRING, t, sv, 4);
    ck_assert_uint_eq(f.a[0].first.s.len, 1);
    ck_assert_int_eq(f.a[0].first.s.p[0], 'b');
    ck_assert_uint_eq(f.a[0].last.s.len, 1);
    ck_assert_int_eq((unsigned char)f.a[0].last.s.p[0], 0xff);

    /* A prefix is smaller: "ab" < "abc". */
    union st_agg_value pv[] = {S("ab"), S("abc")};
    int64_t pt[] = {5, 5};
    feed_both_orders(ST_FIELD_STRING, pt, pv, 2);
    ck_assert_uint_eq(f.a[0].first.s.len, 3);
    ck_assert_uint_eq(f.a[0].last.s.len, 3);
}
END_TEST

START_TEST(test_ties_boolean_first_false_last_true)
{
    /* InfluxDB's BooleanFirstReduce keeps false, BooleanLastReduce true. */
    int64_t t[] = {10, 10, 20, 20};
    union st_agg_value bv[] = {B(true), B(false), B(false), B(true)};
    feed_both_orders(ST_FIELD_BOOLEAN, t, bv, 4);
    ck_assert(!f.a[0].first.b);
    ck_assert_int_eq(f.a[0].first_t, 10);
    ck_assert(f.a[0].last.b);
    ck_assert_int_eq(f.a[0].last_t, 20);
}
END_TEST

START_TEST(test_ties_earlier_time_beats_value)
{
    /* first/last are by time first: a smaller value at an earlier time wins. */
    int64_t t[] = {10, 20};
    union st_agg_value iv[] = {I(-100), I(100)};
    feed_both_orders(ST_FIELD_INTEGER, t, iv, 2);
    ck_assert_int_eq(f.a[0].first.i, -100);
    ck_assert_int_eq(f.a[0].last.i, 100);
}
END_TEST

/* ---- bulk adders equal per-point adds ------------------------------------ */

START_TEST(test_bulk_equals_points)
{
    for (size_t ti = 0; ti < NTYPES; ti++) {
        for (int round = 0; round < 20; round++) {
            struct data d;
            size_t n = 1 + rnd_below(300);
            data_make(&d, types[ti], n, round & 1);
            unsigned wants[] = {ALL, NOMOM, ST_AGG_MINMAX, ST_AGG_FIRSTLAST, ST_AGG_SUM};
            unsigned want = wants[round % 5];
            st_agg_init(&f.a[0], types[ti], want);
            st_agg_init(&f.a[1], types[ti], want);
            st_agg_init(&f.a[2], types[ti], want);
            each_point(&f.a[0], &d, 0, n);
            bulk(&f.a[1], &d, 0, n);       /* one call */
            for (size_t lo = 0; lo < n;) { /* random chunks */
                size_t hi = lo + 1 + rnd_below(40);
                hi = hi > n ? n : hi;
                bulk(&f.a[2], &d, lo, hi);
                lo = hi;
            }
            /* Same feeding order: the double sums are bit-identical. */
            assert_agg_eq(&f.a[0], &f.a[1], 0, 0);
            assert_agg_eq(&f.a[0], &f.a[2], 0, 0);
            st_agg_fini(&f.a[0]);
            st_agg_fini(&f.a[1]);
            st_agg_fini(&f.a[2]);
            data_free(&d);
        }
    }
}
END_TEST

START_TEST(test_bulk_chunks_out_of_order)
{
    /* Chunks fed newest first still give the same selectors. */
    for (size_t ti = 0; ti < NTYPES; ti++) {
        struct data d;
        size_t n = 200;
        data_make(&d, types[ti], n, true);
        st_agg_init(&f.a[0], types[ti], ALL);
        st_agg_init(&f.a[1], types[ti], ALL);
        bulk(&f.a[0], &d, 0, n);
        for (size_t hi = n; hi > 0;) {
            size_t lo = hi > 25 ? hi - 25 : 0;
            bulk(&f.a[1], &d, lo, hi);
            hi = lo;
        }
        assert_selectors_eq(&f.a[0], &f.a[1]);
        ck_assert_int_eq(f.a[0].isum, f.a[1].isum);
        ck_assert_uint_eq(f.a[0].usum, f.a[1].usum);
        ck_assert_double_eq(f.a[0].sum, f.a[1].sum); /* small integers: exact */
        st_agg_fini(&f.a[0]);
        st_agg_fini(&f.a[1]);
        data_free(&d);
    }
}
END_TEST

/* ---- block statistics ---------------------------------------------------- */

/* The statistics of d[lo, hi) as a segment would store them. */
static struct st_agg_block block_of(const struct data *d, size_t lo, size_t hi)
{
    struct st_agg tmp;
    st_agg_init(&tmp, d->type, NOMOM);
    each_point(&tmp, d, lo, hi);
    struct st_agg_block b = {.min_time = d->t[lo],
                             .max_time = d->t[hi - 1],
                             .count = hi - lo,
                             .sum = tmp.sum,
                             .isum = tmp.isum,
                             .usum = tmp.usum,
                             .min = tmp.min,
                             .max = tmp.max,
                             .first = data_value(d, lo),
                             .last = data_value(d, hi - 1)};
    st_agg_fini(&tmp);
    return b;
}

START_TEST(test_block_equals_points)
{
    for (size_t ti = 0; ti < NTYPES; ti++) {
        for (int round = 0; round < 10; round++) {
            struct data d;
            size_t n = 200;
            data_make(&d, types[ti], n, true);
            /* Blocks of one series have distinct times. */
            for (size_t k = 0; k < n; k++)
                d.t[k] = 1000 + 10 * (int64_t)k;
            st_agg_init(&f.a[0], types[ti], NOMOM);
            st_agg_init(&f.a[1], types[ti], NOMOM);
            each_point(&f.a[0], &d, 0, n);
            for (size_t lo = 0; lo < n;) {
                size_t hi = lo + 1 + rnd_below(50);
                hi = hi > n ? n : hi;
                struct st_agg_block b = block_of(&d, lo, hi);
                if (rnd() & 1) {
                    ck_assert_int_eq(st_agg_add_block(&f.a[1], &b), ST_OK);
                } else {
                    bulk(&f.a[1], &d, lo, hi);
                }
                lo = hi;
            }
            struct st_agg *p = &f.a[0], *q = &f.a[1];
            ck_assert_uint_eq(p->count, q->count);
            ck_assert_int_eq(p->isum, q->isum);
            ck_assert_uint_eq(p->usum, q->usum);
            ck_assert_double_eq(p->sum, q->sum); /* small integers: exact */
            ck_assert(value_eq(p->type, p->first, q->first));
            ck_assert(value_eq(p->type, p->last, q->last));
            ck_assert_int_eq(p->first_t, q->first_t);
            ck_assert_int_eq(p->last_t, q->last_t);
            ck_assert_int_eq(p->has_minmax, q->has_minmax);
            if (p->has_minmax) {
                ck_assert(value_eq(p->type, p->min, q->min));
                ck_assert(value_eq(p->type, p->max, q->max));
                /* A block's min/max time is its min_time: never later. */
                ck_assert_int_le(q->min_t, p->min_t);
                ck_assert_int_le(q->max_t, p->max_t);
            }
            st_agg_fini(&f.a[0]);
            st_agg_fini(&f.a[1]);
            data_free(&d);
        }
    }
}
END_TEST

START_TEST(test_block_min_time_is_minmax_time)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_INTEGER, NOMOM);
    struct st_agg_block b = {.min_time = 100,
                             .max_time = 200,
                             .count = 3,
                             .sum = 6,
                             .isum = 6,
                             .min = I(1),
                             .max = I(3),
                             .first = I(2),
                             .last = I(1)};
    ck_assert_int_eq(st_agg_add_block(a, &b), ST_OK);
    ck_assert_int_eq(a->min_t, 100);
    ck_assert_int_eq(a->max_t, 100);
    ck_assert_int_eq(a->first_t, 100);
    ck_assert_int_eq(a->last_t, 200);
    ck_assert_int_eq(a->last.i, 1);
    ck_assert_int_eq(a->isum, 6);
    ck_assert_uint_eq(a->count, 3);
}
END_TEST

START_TEST(test_block_rejects_moments_and_bad_span)
{
    struct st_agg_block b = {.min_time = 1, .max_time = 2, .count = 1};
    st_agg_init(&f.a[0], ST_FIELD_FLOAT, ST_AGG_MOMENTS);
    ck_assert_int_eq(st_agg_add_block(&f.a[0], &b), ST_EINVAL);
    st_agg_init(&f.a[1], ST_FIELD_FLOAT, NOMOM);
    b.min_time = 3;
    ck_assert_int_eq(st_agg_add_block(&f.a[1], &b), ST_EINVAL);
    b.min_time = 1;
    b.count = 0;
    ck_assert_int_eq(st_agg_add_block(&f.a[1], &b), ST_OK);
    ck_assert_uint_eq(f.a[1].count, 0);
}
END_TEST

START_TEST(test_block_all_nan_has_no_minmax)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_FLOAT, NOMOM);
    struct st_agg_block b = {.min_time = 1,
                             .max_time = 2,
                             .count = 2,
                             .sum = NAN,
                             .min = F(NAN),
                             .max = F(NAN),
                             .first = F(NAN),
                             .last = F(NAN)};
    ck_assert_int_eq(st_agg_add_block(a, &b), ST_OK);
    ck_assert(!a->has_minmax);
    ADDV(a, 5, F(3));
    ck_assert(a->has_minmax);
    ck_assert_double_eq(a->min.f, 3);
    ck_assert_int_eq(a->min_t, 5);
}
END_TEST

START_TEST(test_block_string_first_last_copied)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_STRING, ST_AGG_FIRSTLAST);
    char *x = strdup("first-value"), *y = strdup("last-value");
    struct st_agg_block b = {.min_time = 1,
                             .max_time = 9,
                             .count = 4,
                             .first = {.s = {x, (uint32_t)strlen(x)}},
                             .last = {.s = {y, (uint32_t)strlen(y)}}};
    ck_assert_int_eq(st_agg_add_block(a, &b), ST_OK);
    free(x);
    free(y);
    ck_assert_uint_eq(a->first.s.len, 11);
    ck_assert(memcmp(a->first.s.p, "first-value", 11) == 0);
    ck_assert(memcmp(a->last.s.p, "last-value", 10) == 0);
    ck_assert_uint_eq(a->count, 4);
}
END_TEST

/* ---- merge --------------------------------------------------------------- */

/* Splits d into @parts random contiguous-or-not partitions, aggregates each
 * with random bulk chunks, merges them in random order and compares with one
 * aggregate over everything. */
static void merge_round(enum st_field_type type, unsigned want, size_t n, bool small)
{
    struct data d;
    data_make(&d, type, n, small);
    enum { PARTS = 5 };
    struct st_agg whole, part[PARTS], merged;
    st_agg_init(&whole, type, want);
    st_agg_init(&merged, type, want);
    for (int p = 0; p < PARTS; p++)
        st_agg_init(&part[p], type, want);
    bulk(&whole, &d, 0, n);
    /* Each chunk goes to a random part: parts interleave in time. */
    double abs_sum = 0;
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo + 1 + rnd_below(30);
        hi = hi > n ? n : hi;
        bulk(&part[rnd_below(PARTS)], &d, lo, hi);
        lo = hi;
    }
    for (size_t k = 0; k < n; k++)
        abs_sum += type == ST_FIELD_FLOAT      ? fabs(d.f[k])
                   : type == ST_FIELD_INTEGER  ? fabs((double)d.i[k])
                   : type == ST_FIELD_UNSIGNED ? (double)d.u[k]
                                               : 0;
    int order[PARTS] = {0, 1, 2, 3, 4};
    for (int p = PARTS - 1; p > 0; p--) {
        int q = (int)rnd_below((size_t)p + 1), tmp = order[p];
        order[p] = order[q];
        order[q] = tmp;
    }
    for (int p = 0; p < PARTS; p++)
        ck_assert_int_eq(st_agg_merge(&merged, &part[order[p]]), ST_OK);
    /* Free the parts before comparing: merged owns its strings. */
    for (int p = 0; p < PARTS; p++)
        st_agg_fini(&part[p]);
    assert_agg_eq(&whole, &merged, 1e-15 * (double)n, abs_sum);
    if (small) /* integer-valued doubles: sums are exact in any order */
        ck_assert_double_eq(whole.sum, merged.sum);
    st_agg_fini(&whole);
    st_agg_fini(&merged);
    data_free(&d);
}

START_TEST(test_merge_random_splits_equal_whole)
{
    for (size_t ti = 0; ti < NTYPES; ti++)
        for (int round = 0; round < 30; round++)
            merge_round(types[ti], round % 3 ? ALL : NOMOM, 1 + rnd_below(500), round & 1);
}
END_TEST

START_TEST(test_merge_moments_large_offset)
{
    /* Values around 1e9 with small spread: naive sum-of-squares would lose
     * everything; Welford/Chan keep stddev to 1e-12 relative. */
    enum { N = 10000 };
    static double v[N];
    static int64_t t[N];
    double mean = 0;
    for (int k = 0; k < N; k++) {
        v[k] = 1e9 + (double)(k % 7) * 0.25;
        t[k] = k;
        mean += v[k];
    }
    mean /= N;
    double ss = 0;
    for (int k = 0; k < N; k++)
        ss += (v[k] - mean) * (v[k] - mean);
    double want = sqrt(ss / (N - 1));
    st_agg_init(&f.a[0], ST_FIELD_FLOAT, ST_AGG_MOMENTS);
    st_agg_init(&f.a[1], ST_FIELD_FLOAT, ST_AGG_MOMENTS);
    st_agg_init(&f.a[2], ST_FIELD_FLOAT, ST_AGG_MOMENTS);
    ck_assert_int_eq(st_agg_add_f64(&f.a[0], t, v, 3333), ST_OK);
    ck_assert_int_eq(st_agg_add_f64(&f.a[1], t + 3333, v + 3333, N - 3333), ST_OK);
    ck_assert_int_eq(st_agg_merge(&f.a[2], &f.a[1]), ST_OK);
    ck_assert_int_eq(st_agg_merge(&f.a[2], &f.a[0]), ST_OK);
    double sd;
    ck_assert(st_agg_stddev(&f.a[2], &sd));
    ck_assert_msg(close_to(sd, want, 1e-12, 0), "%.17g vs %.17g", sd, want);
    ck_assert(close_to(f.a[2].mean, mean, 1e-15, 0));
}
END_TEST

START_TEST(test_merge_rejects_mismatch)
{
    st_agg_init(&f.a[0], ST_FIELD_FLOAT, ALL);
    st_agg_init(&f.a[1], ST_FIELD_INTEGER, ALL);
    ADDV(&f.a[1], 1, I(1));
    ck_assert_int_eq(st_agg_merge(&f.a[0], &f.a[1]), ST_EINVAL);
    st_agg_init(&f.a[2], ST_FIELD_FLOAT, ST_AGG_SUM);
    ADDV(&f.a[2], 1, F(1));
    ck_assert_int_eq(st_agg_merge(&f.a[0], &f.a[2]), ST_EINVAL); /* lacks MINMAX... */
    ck_assert_int_eq(st_agg_merge(&f.a[0], &f.a[0]), ST_EINVAL);
    ck_assert_uint_eq(f.a[0].count, 0);
    /* A partial that tracks more than asked is fine. */
    st_agg_init(&f.a[3], ST_FIELD_FLOAT, ST_AGG_SUM);
    ADDV(&f.a[0], 2, F(2));
    ck_assert_int_eq(st_agg_merge(&f.a[3], &f.a[0]), ST_OK);
    ck_assert_uint_eq(f.a[3].count, 1);
    ck_assert_double_eq(f.a[3].sum, 2);
}
END_TEST

START_TEST(test_merge_empty)
{
    st_agg_init(&f.a[0], ST_FIELD_INTEGER, ALL);
    st_agg_init(&f.a[1], ST_FIELD_INTEGER, ALL);
    ck_assert_int_eq(st_agg_merge(&f.a[0], &f.a[1]), ST_OK); /* empty into empty */
    ck_assert_uint_eq(f.a[0].count, 0);
    ADDV(&f.a[1], 7, I(4));
    ck_assert_int_eq(st_agg_merge(&f.a[0], &f.a[1]), ST_OK); /* into empty */
    ck_assert_int_eq(f.a[0].first.i, 4);
    ck_assert_int_eq(f.a[0].min_t, 7);
    ck_assert_double_eq(f.a[0].mean, 4);
    st_agg_reset(&f.a[1]);
    ck_assert_int_eq(st_agg_merge(&f.a[0], &f.a[1]), ST_OK); /* empty into full */
    ck_assert_uint_eq(f.a[0].count, 1);
    ck_assert_double_eq(f.a[0].mean, 4);
    ck_assert_double_eq(f.a[0].m2, 0);
}
END_TEST

/* ---- wrapping sums ------------------------------------------------------- */

START_TEST(test_sum_integer_wraps_at_int64_max)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_INTEGER, ST_AGG_SUM);
    ADDV(a, 1, I(INT64_MAX));
    ADDV(a, 2, I(1));
    ck_assert_int_eq(a->isum, INT64_MIN);
    ck_assert_double_eq(a->sum, 9223372036854775808.0); /* the double sum does not wrap */
    ADDV(a, 3, I(-1));
    ck_assert_int_eq(a->isum, INT64_MAX);

    /* The same through the bulk adder, a block and a merge. */
    int64_t t[3] = {1, 2, 3}, v[3] = {INT64_MAX, INT64_MAX, 2};
    st_agg_init(&f.a[1], ST_FIELD_INTEGER, ST_AGG_SUM);
    ck_assert_int_eq(st_agg_add_i64(&f.a[1], t, v, 3), ST_OK);
    ck_assert_int_eq(f.a[1].isum, 0); /* 2*(2^63-1)+2 = 2^64 */
    struct st_agg_block b = {.min_time = 5, .max_time = 6, .count = 1, .isum = INT64_MIN};
    ck_assert_int_eq(st_agg_add_block(&f.a[1], &b), ST_OK);
    ck_assert_int_eq(f.a[1].isum, INT64_MIN);
    ck_assert_int_eq(st_agg_add_block(&f.a[1], &b), ST_OK);
    ck_assert_int_eq(f.a[1].isum, 0);
    ADDV(&f.a[1], 7, I(INT64_MIN));
    st_agg_init(&f.a[2], ST_FIELD_INTEGER, ST_AGG_SUM);
    ck_assert_int_eq(st_agg_merge(&f.a[2], &f.a[1]), ST_OK);
    ck_assert_int_eq(st_agg_merge(&f.a[2], &f.a[1]), ST_OK);
    ck_assert_int_eq(f.a[2].isum, 0);

    /* INT64_MIN + INT64_MIN wraps to 0 as well; negative wrap. */
    st_agg_init(&f.a[3], ST_FIELD_INTEGER, ST_AGG_SUM);
    ADDV(&f.a[3], 1, I(INT64_MIN));
    ADDV(&f.a[3], 2, I(-1));
    ck_assert_int_eq(f.a[3].isum, INT64_MAX);
}
END_TEST

START_TEST(test_sum_unsigned_wraps)
{
    uint64_t v[3] = {UINT64_MAX, 2, UINT64_MAX};
    int64_t t[3] = {1, 2, 3};
    st_agg_init(&f.a[0], ST_FIELD_UNSIGNED, ST_AGG_SUM);
    ck_assert_int_eq(st_agg_add_u64(&f.a[0], t, v, 2), ST_OK);
    ck_assert_uint_eq(f.a[0].usum, 1);
    st_agg_init(&f.a[1], ST_FIELD_UNSIGNED, ST_AGG_SUM);
    ck_assert_int_eq(st_agg_add_u64(&f.a[1], t + 2, v + 2, 1), ST_OK);
    ck_assert_int_eq(st_agg_merge(&f.a[0], &f.a[1]), ST_OK);
    ck_assert_uint_eq(f.a[0].usum, 0);
    ck_assert_double_eq(f.a[0].sum, 2 * 18446744073709551616.0);
}
END_TEST

START_TEST(test_spread_integer_wraps_like_go)
{
    st_agg_init(&f.a[0], ST_FIELD_INTEGER, ST_AGG_MINMAX);
    ADDV(&f.a[0], 1, I(INT64_MIN));
    ADDV(&f.a[0], 2, I(INT64_MAX));
    union st_agg_value sp;
    ck_assert(st_agg_spread(&f.a[0], &sp));
    ck_assert_int_eq(sp.i, -1); /* Go: math.MaxInt64 - math.MinInt64 == -1 */
}
END_TEST

/* ---- strings ------------------------------------------------------------- */

START_TEST(test_strings_survive_caller_free)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_STRING, ST_AGG_FIRSTLAST);
    for (int k = 0; k < 50; k++) {
        char *s = malloc(64);
        int len = snprintf(s, 64, "value-%d-%s", k, k % 2 ? "odd-and-longer" : "e");
        ADDV(a, 100 + k, ((union st_agg_value){.s = {s, (uint32_t)len}}));
        memset(s, 'X', 64); /* ASan flags a later read; the memset catches a stale one */
        free(s);
    }
    ck_assert_uint_eq(a->count, 50);
    ck_assert_uint_eq(a->first.s.len, strlen("value-0-e"));
    ck_assert(memcmp(a->first.s.p, "value-0-e", a->first.s.len) == 0);
    ck_assert(memcmp(a->last.s.p, "value-49-odd-and-longer", a->last.s.len) == 0);

    /* Bulk with malloc'd slices, then merge, freeing each source at once. */
    struct st_slice sl[3];
    int64_t t[3] = {1, 2, 300};
    const char *src[3] = {"zeta", "eta", "omega"};
    for (int k = 0; k < 3; k++)
        sl[k] = (struct st_slice){strdup(src[k]), (uint32_t)strlen(src[k])};
    st_agg_init(&f.a[1], ST_FIELD_STRING, ST_AGG_FIRSTLAST);
    ck_assert_int_eq(st_agg_add_str(&f.a[1], t, sl, 3), ST_OK);
    for (int k = 0; k < 3; k++)
        free((char *)sl[k].p);
    ck_assert_int_eq(st_agg_merge(a, &f.a[1]), ST_OK);
    st_agg_fini(&f.a[1]);
    ck_assert_int_eq(a->first_t, 1);
    ck_assert(memcmp(a->first.s.p, "zeta", 4) == 0);
    ck_assert_int_eq(a->last_t, 300);
    ck_assert_uint_eq(a->last.s.len, 5);
    ck_assert(memcmp(a->last.s.p, "omega", 5) == 0);
}
END_TEST

START_TEST(test_strings_empty_and_reuse)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_STRING, ST_AGG_FIRSTLAST);
    ADDV(a, 1, S(""));
    ck_assert_uint_eq(a->first.s.len, 0);
    ck_assert_ptr_nonnull(a->first.s.p);
    ADDV(a, 2, S("a somewhat longer string value"));
    uint32_t cap = a->last_cap;
    ck_assert_uint_ge(cap, 30);
    char *buf = a->last_buf;
    ADDV(a, 3, S("short"));
    ck_assert_ptr_eq(a->last_buf, buf); /* no new allocation for a shorter value */
    /* reset keeps the buffers for the next window */
    st_agg_reset(a);
    ck_assert_uint_eq(a->count, 0);
    ck_assert_ptr_eq(a->last_buf, buf);
    ck_assert_uint_eq(a->last_cap, cap);
    ADDV(a, 9, S("next"));
    ck_assert_ptr_eq(a->last_buf, buf);
    ck_assert(memcmp(a->last.s.p, "next", 4) == 0);
    ck_assert(memcmp(a->first.s.p, "next", 4) == 0);
}
END_TEST

/* ---- NaN ----------------------------------------------------------------- */

START_TEST(test_nan_skipped_by_min_max)
{
    struct st_agg *a = &f.a[0];
    st_agg_init(a, ST_FIELD_FLOAT, ALL);
    ADDV(a, 1, F(NAN));
    ck_assert_uint_eq(a->count, 1);
    ck_assert(!a->has_minmax);
    ck_assert(isnan(a->first.f)); /* first is by time */
    ADDV(a, 2, F(5));
    ADDV(a, 3, F(NAN));
    ADDV(a, 4, F(-5));
    ck_assert_uint_eq(a->count, 4);
    ck_assert(a->has_minmax);
    ck_assert_double_eq(a->min.f, -5);
    ck_assert_double_eq(a->max.f, 5);
    ck_assert(isnan(a->sum)); /* sum, mean and stddev propagate NaN */
    ck_assert(isnan(st_agg_mean(a)));
    double sd;
    ck_assert(st_agg_stddev(a, &sd));
    ck_assert(isnan(sd));

    /* Bulk: NaN first in the array, and everywhere. */
    double v[5] = {NAN, 3, NAN, 1, 3};
    int64_t t[5] = {1, 2, 3, 4, 5};
    st_agg_init(&f.a[1], ST_FIELD_FLOAT, ST_AGG_MINMAX);
    ck_assert_int_eq(st_agg_add_f64(&f.a[1], t, v, 5), ST_OK);
    ck_assert_double_eq(f.a[1].min.f, 1);
    ck_assert_int_eq(f.a[1].min_t, 4);
    ck_assert_double_eq(f.a[1].max.f, 3);
    ck_assert_int_eq(f.a[1].max_t, 2);
    double nans[3] = {NAN, NAN, NAN};
    st_agg_init(&f.a[2], ST_FIELD_FLOAT, ALL);
    ck_assert_int_eq(st_agg_add_f64(&f.a[2], t, nans, 3), ST_OK);
    ck_assert(!f.a[2].has_minmax);
    union st_agg_value sp;
    ck_assert(!st_agg_spread(&f.a[2], &sp));
    /* merging an all-NaN partial leaves min/max alone */
    ck_assert_int_eq(st_agg_merge(a, &f.a[2]), ST_OK);
    ck_assert_double_eq(a->min.f, -5);
    ck_assert_uint_eq(a->count, 7);
}
END_TEST

START_TEST(test_nan_loses_first_last_ties)
{
    int64_t t[] = {10, 10, 20, 20};
    union st_agg_value v[] = {F(NAN), F(1), F(2), F(NAN)};
    feed_both_orders(ST_FIELD_FLOAT, t, v, 4);
    ck_assert_double_eq(f.a[0].first.f, 1);
    ck_assert_double_eq(f.a[0].last.f, 2);
    /* -0 < +0 in ties, so the sign does not depend on order either. */
    union st_agg_value z[] = {F(-0.0), F(0.0), F(0.0), F(-0.0)};
    feed_both_orders(ST_FIELD_FLOAT, t, z, 4);
    ck_assert(!signbit(f.a[0].first.f));
    ck_assert(!signbit(f.a[0].last.f));
    /* min/max: -0 == +0, earlier time wins; at one time -0 is the min. */
    ck_assert(signbit(f.a[0].min.f));
    ck_assert_int_eq(f.a[0].min_t, 10);
    ck_assert(!signbit(f.a[0].max.f));
    ck_assert_int_eq(f.a[0].max_t, 10);
    /* and the bulk adder agrees with point-by-point feeding */
    double zv[] = {0.0, -0.0, 0.0, -0.0};
    st_agg_init(&f.a[2], ST_FIELD_FLOAT, ALL);
    ck_assert_int_eq(st_agg_add_f64(&f.a[2], t, zv, 4), ST_OK);
    assert_selectors_eq(&f.a[0], &f.a[2]);
}
END_TEST

/* ---- finalizers ---------------------------------------------------------- */

START_TEST(test_stddev_one_point_is_null)
{
    st_agg_init(&f.a[0], ST_FIELD_FLOAT, ST_AGG_MOMENTS);
    ADDV(&f.a[0], 1, F(42));
    double sd = -1;
    ck_assert(!st_agg_stddev(&f.a[0], &sd));
    ck_assert_double_eq(sd, -1); /* untouched */
    ck_assert_double_eq(st_agg_mean(&f.a[0]), 42);
    /* without MOMENTS there is no stddev at all */
    st_agg_init(&f.a[1], ST_FIELD_FLOAT, ST_AGG_SUM);
    ADDV(&f.a[1], 1, F(1));
    ADDV(&f.a[1], 2, F(2));
    ck_assert(!st_agg_stddev(&f.a[1], &sd));
}
END_TEST

START_TEST(test_stddev_sample)
{
    /* 2 4 4 4 5 5 7 9: mean 5, sum of squares 32, sample stddev sqrt(32/7). */
    int64_t v[] = {2, 4, 4, 4, 5, 5, 7, 9}, t[8];
    for (int k = 0; k < 8; k++)
        t[k] = k;
    st_agg_init(&f.a[0], ST_FIELD_INTEGER, ST_AGG_MOMENTS);
    ck_assert_int_eq(st_agg_add_i64(&f.a[0], t, v, 8), ST_OK);
    double sd;
    ck_assert(st_agg_stddev(&f.a[0], &sd));
    ck_assert(close_to(sd, sqrt(32.0 / 7), 1e-15, 0));
    ck_assert_double_eq(st_agg_mean(&f.a[0]), 5);
    /* two equal points: 0 */
    st_agg_init(&f.a[1], ST_FIELD_UNSIGNED, ST_AGG_MOMENTS);
    ADDV(&f.a[1], 1, U(3));
    ADDV(&f.a[1], 2, U(3));
    ck_assert(st_agg_stddev(&f.a[1], &sd));
    ck_assert_double_eq(sd, 0);
}
END_TEST

START_TEST(test_mean_of_integers_is_double_sum)
{
    /* InfluxDB's mean of integers divides a float64 by the count. */
    st_agg_init(&f.a[0], ST_FIELD_INTEGER, ST_AGG_SUM);
    ADDV(&f.a[0], 1, I(1));
    ADDV(&f.a[0], 2, I(2));
    ck_assert_double_eq(st_agg_mean(&f.a[0]), 1.5);
    st_agg_init(&f.a[1], ST_FIELD_INTEGER, ST_AGG_SUM);
    ADDV(&f.a[1], 1, I(INT64_MAX));
    ADDV(&f.a[1], 2, I(INT64_MAX));
    ck_assert_double_eq(st_agg_mean(&f.a[1]), 9223372036854775808.0);
}
END_TEST

START_TEST(test_spread_types)
{
    union st_agg_value sp;
    st_agg_init(&f.a[0], ST_FIELD_FLOAT, ST_AGG_SUM); /* no MINMAX: no spread */
    ADDV(&f.a[0], 1, F(1));
    ck_assert(!st_agg_spread(&f.a[0], &sp));
    st_agg_init(&f.a[1], ST_FIELD_STRING, ALL);
    ADDV(&f.a[1], 1, S("x"));
    ck_assert(!st_agg_spread(&f.a[1], &sp));
    st_agg_init(&f.a[2], ST_FIELD_UNSIGNED, ST_AGG_MINMAX);
    ADDV(&f.a[2], 1, U(10));
    ck_assert(st_agg_spread(&f.a[2], &sp));
    ck_assert_uint_eq(sp.u, 0);
    ADDV(&f.a[2], 1, U(3));
    ck_assert(st_agg_spread(&f.a[2], &sp));
    ck_assert_uint_eq(sp.u, 7);
}
END_TEST

static Suite *agg_suite(void)
{
    Suite *s = suite_create("agg");
    struct {
        const char *name;
        const TTest *t;
    } cases[] = {
        {"init", test_init_masks_wants_by_type},
        {"init", test_init_empty_finalizers},
        {"init", test_fini_twice_and_zeroed},
        {"add", test_add_float},
        {"add", test_add_integer},
        {"add", test_add_unsigned},
        {"add", test_add_boolean},
        {"add", test_add_string},
        {"add", test_add_wrong_type_is_einval},
        {"add", test_add_count_only_without_times},
        {"ties", test_ties_min_max_equal_values_earlier_time},
        {"ties", test_ties_first_last_equal_times_larger_value},
        {"ties", test_ties_boolean_first_false_last_true},
        {"ties", test_ties_earlier_time_beats_value},
        {"bulk", test_bulk_equals_points},
        {"bulk", test_bulk_chunks_out_of_order},
        {"block", test_block_equals_points},
        {"block", test_block_min_time_is_minmax_time},
        {"block", test_block_rejects_moments_and_bad_span},
        {"block", test_block_all_nan_has_no_minmax},
        {"block", test_block_string_first_last_copied},
        {"merge", test_merge_random_splits_equal_whole},
        {"merge", test_merge_moments_large_offset},
        {"merge", test_merge_rejects_mismatch},
        {"merge", test_merge_empty},
        {"sums", test_sum_integer_wraps_at_int64_max},
        {"sums", test_sum_unsigned_wraps},
        {"sums", test_spread_integer_wraps_like_go},
        {"strings", test_strings_survive_caller_free},
        {"strings", test_strings_empty_and_reuse},
        {"nan", test_nan_skipped_by_min_max},
        {"nan", test_nan_loses_first_last_ties},
        {"finalize", test_stddev_one_point_is_null},
        {"finalize", test_stddev_sample},
        {"finalize", test_mean_of_integers_is_double_sum},
        {"finalize", test_spread_types},
    };
    TCase *tc = NULL;
    const char *cur = "";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(cur, cases[i].name) != 0) {
            cur = cases[i].name;
            tc = tcase_create(cur);
            tcase_add_checked_fixture(tc, setup, teardown);
            suite_add_tcase(s, tc);
        }
        tcase_add_test(tc, cases[i].t);
    }
    return s;
}

int main(void)
{
    return t_run_suite(agg_suite());
}
