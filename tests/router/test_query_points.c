/* The query engine's pure parts of router-side functions: Go's sort, the
 * functions computed from points (median, mode, percentile, integral, top,
 * bottom, distinct, sample), the transformations and the arithmetic of the
 * SELECT list - each against InfluxDB 1.6's rules. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"
#include "testlib.h"

#define S 1000000000LL

struct fixture {
    struct rq_pts ps;
    struct st_qv rows[64]; /* one "row" per point: its value, for the selectors */
};

static struct fixture f;

static void setup(void)
{
    memset(&f, 0, sizeof(f));
}

static void teardown(void)
{
    rq_pts_fini(&f.ps);
}

static void ADD_F(int64_t t, double v)
{
    size_t i = f.ps.n;
    f.rows[i] = (struct st_qv){.kind = ST_QV_FLOAT, .f = v};
    ck_assert_int_eq(rq_pts_add(&f.ps, t, &f.rows[i], &f.rows[i]), ST_OK);
}

static void ADD_I(int64_t t, int64_t v)
{
    size_t i = f.ps.n;
    f.rows[i] = (struct st_qv){.kind = ST_QV_INT, .i = v};
    ck_assert_int_eq(rq_pts_add(&f.ps, t, &f.rows[i], &f.rows[i]), ST_OK);
}

static struct st_qv VALUE(enum rq_fn fn, double arg, int64_t *t) {
    struct rq_col c = {.kind = RQ_COL_AGG, .fn = fn, .arg = arg, .unit = S};
    const struct st_qv *row;
    *t = -1;
    return rq_pts_value(&c, &f.ps, t, &row);
}

static bool
less_int(const void *a, const void *b)
{
    return *(const int *)a < *(const int *)b;
}

START_TEST(test_go_sort_sorts)
{
    int v[300];
    srand(7);
    for (size_t n = 0; n < 300; n += 13) {
        for (size_t i = 0; i < n; i++)
            v[i] = rand() % 10; /* many duplicates: the protect path */
        rq_go_sort(v, n, sizeof(v[0]), less_int);
        for (size_t i = 1; i < n; i++)
            ck_assert_int_le(v[i - 1], v[i]);
    }
}
END_TEST

START_TEST(test_median_even_odd)
{
    int64_t t;
    ADD_I(1, 4);
    ADD_I(2, 1);
    ADD_I(3, 8);
    struct st_qv v = VALUE(RQ_FN_MEDIAN, 0, &t);
    ck_assert_int_eq(v.kind, ST_QV_FLOAT); /* integers answer floats */
    ck_assert(v.f == 4);
    ADD_I(4, 5);
    v = VALUE(RQ_FN_MEDIAN, 0, &t);
    ck_assert(v.f == 4.5);   /* lo + (hi - lo) / 2 */
    ck_assert_int_eq(t, -1); /* not a selector: the window's time */
}
END_TEST

START_TEST(test_mode_ties)
{
    int64_t t;
    /* 7 and 3 twice each. Sorted by value: 3@20 3@40 7@10 7@30 9@50; the
     * run of 7 reaches 2 and starts (10) before the 3s' last point (40):
     * InfluxDB's *ModeReduceSlice then takes it. */
    ADD_I(10, 7);
    ADD_I(20, 3);
    ADD_I(30, 7);
    ADD_I(40, 3);
    ADD_I(50, 9);
    struct st_qv v = VALUE(RQ_FN_MODE, 0, &t);
    ck_assert_int_eq(v.kind, ST_QV_INT);
    ck_assert_int_eq(v.i, 7);
}
END_TEST

START_TEST(test_percentile_nearest_rank)
{
    int64_t t;
    for (int i = 0; i < 10; i++)
        ADD_F((10 - i) * S, i); /* value i at time 10 - i */
    struct st_qv v = VALUE(RQ_FN_PERCENTILE, 90, &t);
    ck_assert(v.f == 8);        /* floor(10 * 0.9 + 0.5) - 1 = 8 */
    ck_assert_int_eq(t, 2 * S); /* a selector keeps the point's time */
    v = VALUE(RQ_FN_PERCENTILE, 100, &t);
    ck_assert(v.f == 9);
    v = VALUE(RQ_FN_PERCENTILE, 4, &t); /* floor(0.4 + 0.5) - 1 = -1 */
    ck_assert_int_eq(v.kind, ST_QV_NULL);
}
END_TEST

START_TEST(test_integral_trapezoids)
{
    int64_t t;
    ADD_F(0, 0);
    ADD_F(2 * S, 2);
    ADD_F(2 * S, 4); /* at the same time: the start of the next trapezoid */
    ADD_F(4 * S, 4);
    struct st_qv v = VALUE(RQ_FN_INTEGRAL, 0, &t);
    ck_assert(v.f == 0.5 * (0 + 2) * 2 + 0.5 * (4 + 4) * 2);
}
END_TEST

START_TEST(test_integral_across_windows)
{
    /* Window [10 s, 20 s) holds 12 s = 2; the previous window [0, 10 s)
     * ended with 8 s = 0, the next point is 22 s = 12. */
    struct rq_pt prev = {.t = 8 * S, .v = {.kind = ST_QV_FLOAT, .f = 0}};
    struct rq_pt next = {.t = 22 * S, .v = {.kind = ST_QV_FLOAT, .f = 12}};
    struct rq_col c = {.kind = RQ_COL_AGG, .fn = RQ_FN_INTEGRAL, .unit = S};
    ADD_F(12 * S, 2);
    struct st_qv v = rq_pts_integral(&c, &f.ps, &prev, 10 * S, &next, 10 * S, 20 * S);
    /* From 10 s (interpolated 1) to 12 s, then to 20 s (interpolated 10). */
    double want = 0.5 * (2 + 1) * 2 + 0.5 * (10 + 2) * 8;
    ck_assert(v.kind == ST_QV_FLOAT && v.f > want - 1e-9 && v.f < want + 1e-9);
    /* The last window with only a point at its start has no row. */
    rq_pts_fini(&f.ps);
    ADD_F(10 * S, 2);
    v = rq_pts_integral(&c, &f.ps, NULL, 0, NULL, 10 * S, 20 * S);
    ck_assert_int_eq(v.kind, ST_QV_NULL);
}
END_TEST

static size_t SELECT_PTS(enum rq_fn fn, int64_t n, const struct rq_pt ***out)
{
    struct rq_col c = {.kind = RQ_COL_AGG, .fn = fn, .n = n};
    size_t m;
    ck_assert_int_eq(rq_pts_select(&c, &f.ps, out, &m), ST_OK);
    return m;
}

START_TEST(test_top_bottom_ties_and_order)
{
    const struct rq_pt **v;
    ADD_I(50, 5);
    ADD_I(10, 9);
    ADD_I(40, 9);
    ADD_I(30, 9);
    ADD_I(20, 1);
    size_t n = SELECT_PTS(RQ_FN_TOP, 2, &v);
    ck_assert_uint_eq(n, 2);
    /* The two earliest 9s, then in time order. */
    ck_assert_int_eq(v[0]->t, 10);
    ck_assert_int_eq(v[1]->t, 30);
    free(v);
    n = SELECT_PTS(RQ_FN_BOTTOM, 2, &v);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(v[0]->t, 20);
    ck_assert_int_eq(v[1]->t, 50);
    free(v);
    n = SELECT_PTS(RQ_FN_TOP, 10, &v); /* N beyond the points: all */
    ck_assert_uint_eq(n, 5);
    free(v);
}
END_TEST

START_TEST(test_distinct_first_occurrence)
{
    const struct rq_pt **v;
    ADD_I(30, 2);
    ADD_I(10, 5);
    ADD_I(20, 2);
    ADD_I(40, 5);
    ADD_I(50, 1);
    size_t n = SELECT_PTS(RQ_FN_DISTINCT, 0, &v);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(v[0]->v.i, 5);
    ck_assert_int_eq(v[1]->v.i, 2);
    ck_assert_int_eq(v[2]->v.i, 1);
    free(v);
    int64_t t;
    struct st_qv c = VALUE(RQ_FN_COUNT_DISTINCT, 0, &t);
    ck_assert_int_eq(c.i, 3);
}
END_TEST

START_TEST(test_sample_count_and_order)
{
    const struct rq_pt **v;
    for (int i = 0; i < 10; i++)
        ADD_F(100 - i, i);
    size_t n = SELECT_PTS(RQ_FN_SAMPLE, 4, &v);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 1; i < n; i++)
        ck_assert_int_lt(v[i - 1]->t, v[i]->t);
    free(v);
}
END_TEST

/* Transformations ---------------------------------------------------------- */

static size_t TRANSFORM(enum rq_trans tr, int64_t unit, int64_t n, const int64_t *t,
                        const struct st_qv *v, size_t nin, int64_t *ot, struct st_qv *ov)
{
    size_t m;
    ck_assert_int_eq(rq_x_transform(tr, unit, n, false, t, v, nin, ot, ov, &m), ST_OK);
    return m;
}

#define FV(x) ((struct st_qv){.kind = ST_QV_FLOAT, .f = (x)})
#define IV(x) ((struct st_qv){.kind = ST_QV_INT, .i = (x)})
#define NV ((struct st_qv){.kind = ST_QV_NULL})

START_TEST(test_derivative_rules)
{
    int64_t t[] = {0, 10 * S, 10 * S, 20 * S, 30 * S};
    struct st_qv v[] = {FV(0), FV(5), FV(100), NV, FV(1)};
    int64_t ot[5];
    struct st_qv ov[5];
    /* The second point at 10 s is skipped, the null too. */
    size_t m = TRANSFORM(RQ_T_DERIVATIVE, S, 0, t, v, 5, ot, ov);
    ck_assert_uint_eq(m, 2);
    ck_assert_int_eq(ot[0], 10 * S);
    ck_assert(ov[0].f == 0.5);
    ck_assert_int_eq(ot[1], 30 * S);
    ck_assert(ov[1].f == -0.2);
    m = TRANSFORM(RQ_T_NN_DERIVATIVE, 10 * S, 0, t, v, 5, ot, ov);
    ck_assert_uint_eq(m, 1);
    ck_assert(ov[0].f == 5);
}
END_TEST

START_TEST(test_difference_keeps_integers)
{
    int64_t t[] = {1, 2, 3};
    struct st_qv v[] = {IV(10), IV(4), IV(6)};
    int64_t ot[3];
    struct st_qv ov[3];
    size_t m = TRANSFORM(RQ_T_DIFFERENCE, 0, 0, t, v, 3, ot, ov);
    ck_assert_uint_eq(m, 2);
    ck_assert_int_eq(ov[0].kind, ST_QV_INT);
    ck_assert_int_eq(ov[0].i, -6);
    ck_assert_int_eq(ov[1].i, 2);
    m = TRANSFORM(RQ_T_NN_DIFFERENCE, 0, 0, t, v, 3, ot, ov);
    ck_assert_uint_eq(m, 1);
    ck_assert_int_eq(ot[0], 3);
}
END_TEST

START_TEST(test_moving_average_cumulative_elapsed)
{
    int64_t t[] = {1 * S, 2 * S, 3 * S, 5 * S};
    struct st_qv v[] = {IV(1), IV(2), IV(6), IV(10)};
    int64_t ot[4];
    struct st_qv ov[4];
    size_t m = TRANSFORM(RQ_T_MOVING_AVERAGE, 0, 3, t, v, 4, ot, ov);
    ck_assert_uint_eq(m, 2);
    ck_assert_int_eq(ot[0], 3 * S);
    ck_assert(ov[0].kind == ST_QV_FLOAT && ov[0].f == 3);
    ck_assert(ov[1].f == 6);
    m = TRANSFORM(RQ_T_CUMULATIVE_SUM, 0, 0, t, v, 4, ot, ov);
    ck_assert_uint_eq(m, 4);
    ck_assert_int_eq(ov[3].kind, ST_QV_INT);
    ck_assert_int_eq(ov[3].i, 19);
    m = TRANSFORM(RQ_T_ELAPSED, S, 0, t, v, 4, ot, ov);
    ck_assert_uint_eq(m, 3);
    ck_assert_int_eq(ov[2].kind, ST_QV_INT);
    ck_assert_int_eq(ov[2].i, 2);
}
END_TEST

START_TEST(test_arith_types)
{
    struct st_qv a = IV(7), b = IV(2), z = IV(0), x = FV(1.5);
    struct st_qv r = rq_x_arith(ST_IQL_OP_DIV, &a, &b);
    ck_assert(r.kind == ST_QV_FLOAT && r.f == 3.5); /* integer division is a float */
    r = rq_x_arith(ST_IQL_OP_MOD, &a, &b);
    ck_assert(r.kind == ST_QV_INT && r.i == 1);
    r = rq_x_arith(ST_IQL_OP_DIV, &a, &z);
    ck_assert(r.kind == ST_QV_FLOAT && r.f == 0); /* division by zero: 0 */
    r = rq_x_arith(ST_IQL_OP_MOD, &a, &z);
    ck_assert(r.kind == ST_QV_INT && r.i == 0);
    r = rq_x_arith(ST_IQL_OP_ADD, &a, &x);
    ck_assert(r.kind == ST_QV_FLOAT && r.f == 8.5);
    r = rq_x_arith(ST_IQL_OP_BITXOR, &a, &b);
    ck_assert(r.kind == ST_QV_INT && r.i == 5);
    struct st_qv big = IV(INT64_MAX), one = IV(1);
    r = rq_x_arith(ST_IQL_OP_ADD, &big, &one);
    ck_assert(r.kind == ST_QV_INT && r.i == INT64_MIN); /* wraps like Go */
    struct st_qv n = NV;
    r = rq_x_arith(ST_IQL_OP_ADD, &a, &n);
    ck_assert_int_eq(r.kind, ST_QV_NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("query_points");
    TCase *tc = tcase_create("points");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_go_sort_sorts);
    tcase_add_test(tc, test_median_even_odd);
    tcase_add_test(tc, test_mode_ties);
    tcase_add_test(tc, test_percentile_nearest_rank);
    tcase_add_test(tc, test_integral_trapezoids);
    tcase_add_test(tc, test_integral_across_windows);
    tcase_add_test(tc, test_top_bottom_ties_and_order);
    tcase_add_test(tc, test_distinct_first_occurrence);
    tcase_add_test(tc, test_sample_count_and_order);
    suite_add_tcase(s, tc);
    TCase *tx = tcase_create("expressions");
    tcase_add_test(tx, test_derivative_rules);
    tcase_add_test(tx, test_difference_keeps_integers);
    tcase_add_test(tx, test_moving_average_cumulative_elapsed);
    tcase_add_test(tx, test_arith_types);
    suite_add_tcase(s, tx);
    return t_run_suite(s);
}
