/* The technical-analysis transformations (query_ta.c) and holt_winters
 * (query_hw.c) over small hand-computed series: InfluxDB 1.6's gota
 * algorithms, hold periods, warm-up types, nulls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"
#include "testlib.h"

#define S 1000000000LL

static struct st_qv F(double f) {
    return (struct st_qv){.kind = ST_QV_FLOAT, .f = f};
}

/* Runs @ta over @n values at 1s, 2s, ...; returns the number of points. */
static size_t
run(const struct rq_ta *ta, const struct st_qv *v, size_t n, int64_t *ot, double *out)
{
    int64_t t[16];
    struct st_qv ov[16];
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        t[i] = (int64_t)(i + 1) * S;
    ck_assert_int_eq(rq_ta_transform(ta, t, v, n, ot, ov, &m), ST_OK);
    for (size_t i = 0; i < m; i++) {
        ck_assert_int_eq(ov[i].kind, ST_QV_FLOAT);
        out[i] = ov[i].f;
    }
    return m;
}

START_TEST(test_ema_warmups_and_hold)
{
    struct st_qv v[] = {F(1), F(2), F(3), F(4)};
    int64_t ot[16];
    double out[16];
    /* exponential warm-up: alpha 2/(count+2) until warm; hold = period - 1 */
    struct rq_ta ta = {.tr = RQ_T_EMA, .period = 3, .hold = -1, .warmup = RQ_WARM_EXPONENTIAL};
    ck_assert_uint_eq(run(&ta, v, 4, ot, out), 2);
    ck_assert_int_eq(ot[0], 3 * S);
    ck_assert_double_eq_tol(out[0], 7.0 / 3, 1e-12);
    ck_assert_double_eq_tol(out[1], 19.0 / 6, 1e-12);
    /* simple warm-up: the running mean, then alpha 2/(period+1) */
    ta = (struct rq_ta){.tr = RQ_T_EMA, .period = 3, .hold = 0, .warmup = RQ_WARM_SIMPLE};
    ck_assert_uint_eq(run(&ta, v, 4, ot, out), 4);
    ck_assert_double_eq_tol(out[0], 1, 1e-12);
    ck_assert_double_eq_tol(out[1], 1.5, 1e-12);
    ck_assert_double_eq_tol(out[2], 2, 1e-12);
    ck_assert_double_eq_tol(out[3], 3, 1e-12);
    /* a series shorter than the hold period emits nothing */
    ta.hold = 10;
    ck_assert_uint_eq(run(&ta, v, 4, ot, out), 0);
}
END_TEST

START_TEST(test_nulls_skipped)
{
    struct st_qv v[] = {F(1), {.kind = ST_QV_NULL}, F(2), {.kind = ST_QV_INT, .i = 3}};
    int64_t ot[16];
    double out[16];
    struct rq_ta ta = {.tr = RQ_T_EMA, .period = 3, .hold = 0, .warmup = RQ_WARM_SIMPLE};
    ck_assert_uint_eq(run(&ta, v, 4, ot, out), 3);
    ck_assert_int_eq(ot[1], 3 * S); /* the null row made no point */
    ck_assert_double_eq_tol(out[2], 2, 1e-12);
}
END_TEST

START_TEST(test_ker_ring_from_zeros)
{
    struct st_qv v[] = {F(1), F(3), F(2)};
    int64_t ot[16];
    double out[16];
    struct rq_ta ta = {.tr = RQ_T_KER, .period = 2, .hold = -1};
    ck_assert_uint_eq(run(&ta, v, 3, ot, out), 1);
    ck_assert_double_eq_tol(out[0], 1.0 / 3, 1e-12);
}
END_TEST

START_TEST(test_cmo_none_and_rsi)
{
    struct st_qv v[] = {F(1), F(2), F(1), F(3)};
    int64_t ot[16];
    double out[16];
    struct rq_ta ta = {.tr = RQ_T_CMO, .period = 3, .hold = -1, .warmup = RQ_WARM_NONE};
    ck_assert_uint_eq(run(&ta, v, 4, ot, out), 2);
    ck_assert_double_eq_tol(out[0], 0, 1e-12);
    ck_assert_double_eq_tol(out[1], 50, 1e-12);
    /* RSI: the first change is against 0 (gota); EMAs of period + 1 */
    struct st_qv w[] = {F(2), F(1)};
    ta = (struct rq_ta){.tr = RQ_T_RSI, .period = 2, .hold = 0, .warmup = RQ_WARM_EXPONENTIAL};
    ck_assert_uint_eq(run(&ta, w, 2, ot, out), 2);
    ck_assert_double_eq_tol(out[0], 100, 1e-12);
    ck_assert_double_eq_tol(out[1], 50, 1e-12);
}
END_TEST

START_TEST(test_trix_drops_infinite)
{
    struct st_qv v[] = {F(1), F(2), F(4)};
    int64_t ot[16];
    double out[16];
    struct rq_ta ta = {.tr = RQ_T_TRIX, .period = 1, .hold = 0, .warmup = RQ_WARM_EXPONENTIAL};
    /* period 1: each EMA is its input; the first rate (x / 0) is infinite */
    ck_assert_uint_eq(run(&ta, v, 3, ot, out), 2);
    ck_assert_double_eq_tol(out[0], 100, 1e-12);
    ck_assert_double_eq_tol(out[1], 100, 1e-12);
}
END_TEST

START_TEST(test_holt_winters_shape)
{
    struct st_qv v[12];
    int64_t t[12];
    for (int i = 0; i < 12; i++) {
        t[i] = (int64_t)i * 3600 * S;
        v[i] = F(10 + (i % 4) + 0.5 * i);
    }
    v[5] = (struct st_qv){.kind = ST_QV_NULL};
    int64_t *ot = NULL;
    struct st_qv *ov = NULL;
    size_t n = 0;
    ck_assert_int_eq(rq_hw_transform(3, 4, false, 3600 * S, t, v, 12, &ot, &ov, &n), ST_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(ot[0], 12 * 3600 * S);
    ck_assert_int_eq(ot[2], 14 * 3600 * S);
    for (size_t i = 0; i < n; i++)
        ck_assert(isfinite(ov[i].f));
    free(ot);
    free(ov);
    /* with the fit: every window from the first point, the gap included */
    ck_assert_int_eq(rq_hw_transform(2, 0, true, 3600 * S, t, v, 12, &ot, &ov, &n), ST_OK);
    ck_assert_uint_eq(n, 14);
    ck_assert_int_eq(ot[5], 5 * 3600 * S);
    free(ot);
    free(ov);
    /* fewer points than a season: nothing */
    ck_assert_int_eq(rq_hw_transform(2, 4, false, 3600 * S, t, v, 3, &ot, &ov, &n), ST_OK);
    ck_assert_uint_eq(n, 0);
    free(ot);
    free(ov);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("query_ta");
    TCase *tc = tcase_create("ta");
    tcase_add_test(tc, test_ema_warmups_and_hold);
    tcase_add_test(tc, test_nulls_skipped);
    tcase_add_test(tc, test_ker_ring_from_zeros);
    tcase_add_test(tc, test_cmo_none_and_rsi);
    tcase_add_test(tc, test_trix_drops_infinite);
    tcase_add_test(tc, test_holt_winters_shape);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
