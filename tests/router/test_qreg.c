/* router/qreg: the running-query registry behind SHOW QUERIES and KILL
 * QUERY, and Go's duration format it shows. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "qreg.h"
#include "testlib.h"

struct seen {
    int n;
    uint64_t qid[4];
    char text[4][32];
    bool killed[4];
};

static int collect(void *arg, const struct st_qreg_query *q)
{
    struct seen *s = arg;
    ck_assert_int_lt(s->n, 4);
    ck_assert_int_ge(q->duration_ns, 0);
    s->qid[s->n] = q->qid;
    snprintf(s->text[s->n], sizeof s->text[0], "%s@%s", q->text, q->db);
    s->killed[s->n++] = q->killed;
    return ST_OK;
}

START_TEST(test_qreg_add_kill_remove)
{
    st_qreg *r;
    ck_assert_int_eq(st_qreg_open(&r), ST_OK);
    uint64_t a, b, c;
    const atomic_bool *ka, *kb, *kc;
    ck_assert_int_eq(st_qreg_add(r, "SELECT 1", "db1", &a, &ka), ST_OK);
    ck_assert_int_eq(st_qreg_add(r, "SELECT 2", NULL, &b, &kb), ST_OK);
    ck_assert_int_eq(st_qreg_add(r, "SHOW QUERIES", "db3", &c, &kc), ST_OK);
    ck_assert_uint_eq(a, 1);
    ck_assert_uint_eq(b, 2);
    ck_assert_uint_eq(c, 3);
    ck_assert(st_qreg_kill(r, 2));
    ck_assert(!st_qreg_kill(r, 99));
    ck_assert(!atomic_load(ka));
    ck_assert(atomic_load(kb));
    struct seen s = {0};
    ck_assert_int_eq(st_qreg_each(r, collect, &s), ST_OK);
    ck_assert_int_eq(s.n, 3);
    ck_assert_str_eq(s.text[0], "SELECT 1@db1");
    ck_assert_str_eq(s.text[1], "SELECT 2@");
    ck_assert(!s.killed[0] && s.killed[1] && !s.killed[2]);
    st_qreg_remove(r, 2);
    st_qreg_remove(r, 3);
    ck_assert(!st_qreg_kill(r, 2));
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(st_qreg_each(r, collect, &s), ST_OK);
    ck_assert_int_eq(s.n, 1);
    ck_assert_uint_eq(s.qid[0], 1);
    uint64_t d;
    const atomic_bool *kd;
    ck_assert_int_eq(st_qreg_add(r, "x", "y", &d, &kd), ST_OK);
    ck_assert_uint_eq(d, 4); /* ids are not reused */
    st_qreg_remove(r, 1);
    st_qreg_remove(r, 4);
    st_qreg_close(r);
}
END_TEST

static void dur(int64_t ns, const char *want)
{
    struct st_buf b;
    st_buf_init(&b);
    ck_assert_int_eq(st_qreg_duration(&b, ns), ST_OK);
    ck_assert_str_eq(b.p, want);
    st_buf_fini(&b);
}

START_TEST(test_qreg_duration_as_go)
{
    /* Go's time.Duration.String() */
    dur(0, "0s");
    dur(999, "999ns");
    dur(89000, "89\xc2\xb5s");
    dur(6003, "6.003\xc2\xb5s");
    dur(1500000, "1.5ms");
    dur(1234567, "1.234567ms");
    dur(1000000000, "1s");
    dur(1500000000, "1.5s");
    dur(62500000000, "1m2.5s");
    dur(3723000000000, "1h2m3s");
    dur(3600000000000, "1h0m0s");
    dur(-1500, "-1.5\xc2\xb5s");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("qreg");
    TCase *tc = tcase_create("qreg");
    tcase_add_test(tc, test_qreg_add_kill_remove);
    tcase_add_test(tc, test_qreg_duration_as_go);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return t_run_suite(suite());
}
