/* The query engine's pieces that need no cluster: time literals, the time
 * range of WHERE, the split of WHERE into tag and router-side terms, and
 * the router-side filter. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"
#include "testlib.h"

START_TEST(test_parse_time)
{
    int64_t ns;
    ck_assert_int_eq(rq_parse_time("2024-01-01T00:00:00Z", NULL, &ns), ST_OK);
    ck_assert_int_eq(ns, 1704067200000000000LL);
    ck_assert_int_eq(rq_parse_time("2024-01-01T00:00:00.5Z", NULL, &ns), ST_OK);
    ck_assert_int_eq(ns, 1704067200500000000LL);
    ck_assert_int_eq(rq_parse_time("2024-01-01T01:00:00+01:00", NULL, &ns), ST_OK);
    ck_assert_int_eq(ns, 1704067200000000000LL);
    ck_assert_int_eq(rq_parse_time("2024-01-01 00:00:01.000000001", NULL, &ns), ST_OK);
    ck_assert_int_eq(ns, 1704067201000000001LL);
    ck_assert_int_eq(rq_parse_time("2024-01-02", NULL, &ns), ST_OK);
    ck_assert_int_eq(ns, 1704153600000000000LL);
    ck_assert_int_eq(rq_parse_time("1969-12-31T23:59:59Z", NULL, &ns), ST_OK);
    ck_assert_int_eq(ns, -1000000000LL);
    ck_assert_int_eq(rq_parse_time("2024-13-01", NULL, &ns), ST_EINVAL);
    ck_assert_int_eq(rq_parse_time("2024-01-01T00:00:00", NULL, &ns), ST_EINVAL);
    ck_assert_int_eq(rq_parse_time("yesterday", NULL, &ns), ST_EINVAL);
    /* With tz(): times without a zone are wall-clock times of the zone. */
    struct st_tz *tz = NULL;
    ck_assert_int_eq(st_tz_load("America/New_York", &tz), ST_OK);
    ck_assert_int_eq(rq_parse_time("2024-01-01 00:00:00.5", tz, &ns), ST_OK);
    ck_assert_int_eq(ns, 1704085200500000000LL);
    ck_assert_int_eq(rq_parse_time("2024-07-01", tz, &ns), ST_OK);
    ck_assert_int_eq(ns, 1719806400000000000LL);
    ck_assert_int_eq(rq_parse_time("2024-01-01T00:00:00Z", tz, &ns), ST_OK);
    ck_assert_int_eq(ns, 1704067200000000000LL);
    st_tz_free(tz);
}
END_TEST

static struct rq_arena *ar;

/* Tiny AST builders in the test's arena (the parser is tested elsewhere). */
static struct st_iql_expr *node(enum st_iql_expr_kind k)
{
    struct st_iql_expr *e = rq_alloc(ar, sizeof(*e));
    e->kind = k;
    return e;
}

static struct st_iql_expr *ref(const char *name)
{
    struct st_iql_expr *e = node(ST_IQL_E_VARREF);
    e->name = name;
    return e;
}

static struct st_iql_expr *str(enum st_iql_expr_kind k, const char *s)
{
    struct st_iql_expr *e = node(k);
    e->str = s;
    return e;
}

static struct st_iql_expr *num(double f)
{
    struct st_iql_expr *e = node(ST_IQL_E_NUMBER);
    e->f = f;
    return e;
}

static struct st_iql_expr *bin(enum st_iql_op op, struct st_iql_expr *l, struct st_iql_expr *r)
{
    struct st_iql_expr *e = node(ST_IQL_E_BINARY);
    e->op = op;
    e->lhs = l;
    e->rhs = r;
    return e;
}

static struct st_buf err;
static const char *fields[] = {"usage", "value"};

static struct rq_plan plan(void)
{
    struct rq_plan p = {.ar = ar, .err = &err, .fields = fields, .nfields = 2};
    return p;
}

static void setup(void)
{
    ck_assert_int_eq(rq_arena_new(&ar), ST_OK);
    st_buf_init(&err);
}

static void teardown(void)
{
    rq_arena_free(ar);
    st_buf_fini(&err);
}

START_TEST(test_split_time)
{
    struct rq_plan p = plan();
    /* time >= '2024-01-01' AND host = 'a' AND time < now() - 1h */
    struct st_iql_expr *now = node(ST_IQL_E_CALL);
    now->name = "now";
    struct st_iql_expr *hour = node(ST_IQL_E_DURATION);
    hour->i = 3600000000000LL;
    struct st_iql_expr *host = bin(ST_IQL_OP_EQ, ref("host"), str(ST_IQL_E_STRING, "a"));
    struct st_iql_expr *cond =
        bin(ST_IQL_OP_AND,
            bin(ST_IQL_OP_AND, bin(ST_IQL_OP_GTE, ref("time"), str(ST_IQL_E_STRING, "2024-01-01")),
                host),
            bin(ST_IQL_OP_LT, ref("time"), bin(ST_IQL_OP_SUB, now, hour)));
    const struct st_iql_expr *rest;
    int64_t t_now = 1704153600000000000LL;
    ck_assert_int_eq(rq_split_time(&p, cond, t_now, &rest), ST_OK);
    ck_assert(p.has_tmin && p.has_tmax);
    ck_assert_int_eq(p.tmin, 1704067200000000000LL);
    ck_assert_int_eq(p.tmax, t_now - 3600000000000LL - 1);
    ck_assert_ptr_eq(rest, host);

    /* Reversed operands and a strict lower bound: '...' < time. */
    struct rq_plan q = plan();
    struct st_iql_expr *c2 = bin(ST_IQL_OP_LT, str(ST_IQL_E_STRING, "2024-01-01"), ref("time"));
    ck_assert_int_eq(rq_split_time(&q, c2, t_now, &rest), ST_OK);
    ck_assert(q.has_tmin && !q.has_tmax);
    ck_assert_int_eq(q.tmin, 1704067200000000001LL);
    ck_assert_ptr_null(rest);

    /* time under OR selects nothing (InfluxDB 1.6), without an error. */
    struct rq_plan r = plan();
    struct st_iql_expr *c3 = bin(ST_IQL_OP_OR, host, c2);
    size_t errlen = err.len;
    ck_assert_int_eq(rq_split_time(&r, c3, t_now, &rest), ST_ENOTFOUND);
    ck_assert_uint_eq(err.len, errlen);
}
END_TEST

START_TEST(test_split_cond_and_filter)
{
    struct rq_plan p = plan();
    /* (host = 'a' OR host =~ /b/) AND usage > 90 AND region != 'x' */
    struct st_iql_expr *hosts =
        bin(ST_IQL_OP_OR, bin(ST_IQL_OP_EQ, ref("host"), str(ST_IQL_E_STRING, "a")),
            bin(ST_IQL_OP_EQREGEX, ref("host"), str(ST_IQL_E_REGEX, "b")));
    struct st_iql_expr *usage = bin(ST_IQL_OP_GT, ref("usage"), num(90));
    struct st_iql_expr *region = bin(ST_IQL_OP_NEQ, ref("region"), str(ST_IQL_E_STRING, "x"));
    struct st_iql_expr *cond = bin(ST_IQL_OP_AND, bin(ST_IQL_OP_AND, hosts, usage), region);
    const struct st_iql_expr *tags, *rest;
    ck_assert_int_eq(rq_split_cond(&p, cond, &tags, &rest), ST_OK);
    ck_assert_ptr_eq(rest, usage);
    ck_assert_int_eq(tags->op, ST_IQL_OP_AND);
    ck_assert_ptr_eq(tags->lhs, hosts);
    ck_assert_ptr_eq(tags->rhs, region);
    Strata__TagExpr *x;
    ck_assert_int_eq(rq_tag_expr(&p, tags, &x), ST_OK);
    ck_assert_int_eq(x->expr_case, STRATA__TAG_EXPR__EXPR_AND_EXPR);
    ck_assert_int_eq(x->and_expr->left->expr_case, STRATA__TAG_EXPR__EXPR_OR_EXPR);
    ck_assert_int_eq(x->and_expr->left->or_expr->right->compare->op, STRATA__COMPARE_OP__REGEX);
    ck_assert_int_eq(x->and_expr->right->compare->op, STRATA__COMPARE_OP__NEQ);

    /* The router-side part: usage > 90 OR host = 'z', over hidden columns. */
    ck_assert_int_eq(rq_add_col(&p, (struct rq_col){.kind = RQ_COL_TIME, .name = "time"}), ST_OK);
    struct st_iql_expr *f =
        bin(ST_IQL_OP_OR, usage, bin(ST_IQL_OP_EQ, ref("host"), str(ST_IQL_E_STRING, "z")));
    struct rq_filter *flt;
    ck_assert_int_eq(rq_filter_compile(&p, f, &flt), ST_OK);
    ck_assert_uint_eq(p.ncols, 3);
    ck_assert_int_eq(p.cols[1].kind, RQ_COL_FIELD);
    ck_assert_int_eq(p.cols[2].kind, RQ_COL_TAG);
    struct st_qv row[3] = {{.kind = ST_QV_TIME}, {.kind = ST_QV_FLOAT, .f = 91}, {0}};
    ck_assert(rq_filter_match(flt, row));
    row[1].f = 90;
    ck_assert(!rq_filter_match(flt, row));
    row[1] = (struct st_qv){.kind = ST_QV_INT, .i = 95}; /* integers compare with floats */
    ck_assert(rq_filter_match(flt, row));
    row[1].kind = ST_QV_NULL; /* a missing value compares false */
    ck_assert(!rq_filter_match(flt, row));
    row[2] = (struct st_qv){.kind = ST_QV_STRING, .s = {.p = "z", .len = 1}};
    ck_assert(rq_filter_match(flt, row));
    rq_filter_free(flt);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("query_parts");
    TCase *tc = tcase_create("query_parts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_parse_time);
    tcase_add_test(tc, test_split_time);
    tcase_add_test(tc, test_split_cond_and_filter);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
