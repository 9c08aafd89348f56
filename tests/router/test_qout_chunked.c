/* router/qout: chunked bodies and take().
 * Every expected body was recorded from InfluxDB 1.6 (influxd 1.6.7) with
 * curl, on the data in t_qout.c; the comment next to each names the query
 * and its parameters. The few cases InfluxDB cannot be made to show from
 * outside say where in its code they come from. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t_qout.h"
#include "testlib.h"

/* Chunked ----------------------------------------------------------------------- */

#define CHUNKED(size) open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, false, true, (size))

START_TEST(test_chunked_rows_cut_and_partial)
{
    CHUNKED(2);
    ck_by_host(0);
    /* SELECT v FROM ck GROUP BY host &chunked=true&chunk_size=2 */
    BODY_IS(
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":\"a\"},"
        "\"columns\":[\"time\",\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000001Z\",1],[\"1970-"
        "01-01T00:00:00.000000002Z\",2]],\"partial\":true}],\"partial\":true}]}\n"
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":\"a\"},"
        "\"columns\":[\"time\",\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000003Z\",3],[\"1970-"
        "01-01T00:00:00.000000004Z\",4]],\"partial\":true}],\"partial\":true}]}\n"
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":\"a\"},"
        "\"columns\":[\"time\",\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000005Z\",5]]}],"
        "\"partial\":true}]}\n"
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":\"b\"},"
        "\"columns\":[\"time\",\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000006Z\",6],[\"1970-"
        "01-01T00:00:00.000000007Z\",7]]}],\"partial\":true}]}\n"
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":\"c\"},"
        "\"columns\":[\"time\",\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000008Z\",8]]}]}]}\n");
}
END_TEST

START_TEST(test_chunked_statements)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_NS, false, true, 2);
    ck_statements();
    /* ...four statements... &chunked=true&chunk_size=2&epoch=ns */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":"
            "\"a\"},\"columns\":[\"time\",\"v\"],\"values\":[[1,1],[2,2]],\"partial\":true}],"
            "\"partial\":true}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":"
            "\"a\"},\"columns\":[\"time\",\"v\"],\"values\":[[3,3],[4,4]],\"partial\":true}],"
            "\"partial\":true}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":"
            "\"a\"},\"columns\":[\"time\",\"v\"],\"values\":[[5,5]]}],\"partial\":true}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":"
            "\"b\"},\"columns\":[\"time\",\"v\"],\"values\":[[6,6],[7,7]]}],\"partial\":true}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":"
            "\"c\"},\"columns\":[\"time\",\"v\"],\"values\":[[8,8]]}]}]}\n"
            "{\"results\":[{\"statement_id\":1,\"series\":[{\"name\":\"ck\",\"columns\":[\"time\","
            "\"v\"],\"values\":[[8,8]]}]}]}\n"
            "{\"results\":[{\"statement_id\":2}]}\n"
            "{\"results\":[{\"statement_id\":3,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":"
            "\"b\"},\"columns\":[\"time\",\"v\"],\"values\":[[6,6],[7,7]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_chunked_statements)
{
    open_q(ST_QOUT_CSV, ST_QOUT_EPOCH_RFC3339, false, true, 2);
    ck_statements();
    /* ...four statements... &chunked=true&chunk_size=2 (CSV) */
    BODY_IS("name,tags,time,v\n"
            "ck,host=a,1,1\n"
            "ck,host=a,2,2\n"
            "ck,host=a,3,3\n"
            "ck,host=a,4,4\n"
            "ck,host=a,5,5\n"
            "ck,host=b,6,6\n"
            "ck,host=b,7,7\n"
            "ck,host=c,8,8\n"
            "\n"
            "name,tags,time,v\n"
            "ck,,8,8\n"
            "\n"
            "name,tags,time,v\n"
            "ck,host=b,6,6\n"
            "ck,host=b,7,7\n");
}
END_TEST

START_TEST(test_chunked_pretty)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, true, true, 0);
    RESULT(0, ROWS);
    ck_series(NULL, 8, 8);
    END_RESULT();
    /* SELECT v FROM ck WHERE host='c' &chunked=true&pretty=true */
    BODY_IS("{\n"
            "    \"results\": [\n"
            "        {\n"
            "            \"statement_id\": 0,\n"
            "            \"series\": [\n"
            "                {\n"
            "                    \"name\": \"ck\",\n"
            "                    \"columns\": [\n"
            "                        \"time\",\n"
            "                        \"v\"\n"
            "                    ],\n"
            "                    \"values\": [\n"
            "                        [\n"
            "                            \"1970-01-01T00:00:00.000000008Z\",\n"
            "                            8\n"
            "                        ]\n"
            "                    ]\n"
            "                }\n"
            "            ]\n"
            "        }\n"
            "    ]\n"
            "}\n");
}
END_TEST

START_TEST(test_chunked_per_series)
{
    CHUNKED(1);
    show_tag_keys(0);
    /* SHOW TAG KEYS &chunked=true&chunk_size=1 */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"columns\":["
            "\"tagKey\"],\"values\":[[\"host\"]]}]}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":["
            "\"tagKey\"],\"values\":[[\"host\"],[\"region\"]]}]}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":["
            "\"tagKey\"],\"values\":[[\"host\"]]}]}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"we,ird\",\"columns\":["
            "\"tagKey\"],\"values\":[[\"t k\"],[\"z\"]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_chunked_per_series)
{
    open_q(ST_QOUT_CSV, ST_QOUT_EPOCH_RFC3339, false, true, 1);
    show_tag_keys(0);
    /* SHOW TAG KEYS &chunked=true&chunk_size=1 (CSV) */
    BODY_IS("name,tags,tagKey\n"
            "ck,,host\n"
            "cpu,,host\n"
            "cpu,,region\n"
            "mem,,host\n"
            "\"we,ird\",,t k\n"
            "\"we,ird\",,z\n");
}
END_TEST

START_TEST(test_chunked_whole)
{
    CHUNKED(1);
    show_databases(0);
    /* SHOW DATABASES &chunked=true&chunk_size=1 */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"databases\",\"columns\":["
            "\"name\"],\"values\":[[\"db\"],[\"_internal\"],[\"db2\"]]}]}]}\n");
}
END_TEST

START_TEST(test_chunked_messages)
{
    CHUNKED(0);
    create_database_get(0);
    /* CREATE DATABASE db2 &chunked=true, by GET */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"messages\":[{\"level\":\"warning\",\"text\":"
            "\"deprecated use of 'CREATE DATABASE db2' in a read only context, please use a POST "
            "request instead\"}]}]}\n");
}
END_TEST

START_TEST(test_chunked_errors)
{
    /* InfluxDB 1.6's executor answers "not executed" with the failed
     * statement's id; the writer writes what it is given. */
    CHUNKED(0);
    RESULT(0, ROWS);
    OK(st_qout_error(q, "unsupported mean iterator type: *query.stringInterruptIterator"));
    END_RESULT();
    RESULT(0, ROWS);
    OK(st_qout_error(q, "not executed"));
    END_RESULT();
    /* SELECT mean(s) FROM cpu; SELECT used FROM mem &chunked=true */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"error\":\"unsupported mean iterator type: "
            "*query.stringInterruptIterator\"}]}\n"
            "{\"results\":[{\"statement_id\":0,\"error\":\"not executed\"}]}\n");
}
END_TEST

START_TEST(test_chunked_error_drops_pending_rows)
{
    /* SELECT v FROM b2 GROUP BY *; SELECT used FROM mem &chunked=true&
     * chunk_size=100000, with [coordinator] query-timeout = "2s": twelve
     * results of 100000 rows, "partial" both, then
     * {"results":[{"statement_id":0,"error":"query-timeout limit exceeded"}]};
     * the rows read after the last cut are not written. The same at
     * chunk_size=2: */
    CHUNKED(2);
    RESULT(0, ROWS);
    SERIES("b2", NOTAGS, COLS("time", "v"));
    for (int i = 1; i <= 5; i++)
        ROW(QT((int64_t)i * 1000), QF(i));
    OK(st_qout_error(q, "query-timeout limit exceeded"));
    END_RESULT();
    RESULT(0, ROWS);
    OK(st_qout_error(q, "not executed"));
    END_RESULT();
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"b2\",\"columns\":[\"time\","
            "\"v\"],\"values\":[[\"1970-01-01T00:00:00.000001Z\",1],[\"1970-01-01T00:00:00."
            "000002Z\",2]],\"partial\":true}],\"partial\":true}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"b2\",\"columns\":[\"time\","
            "\"v\"],\"values\":[[\"1970-01-01T00:00:00.000003Z\",3],[\"1970-01-01T00:00:00."
            "000004Z\",4]],\"partial\":true}],\"partial\":true}]}\n"
            "{\"results\":[{\"statement_id\":0,\"error\":\"query-timeout limit exceeded\"}]}\n"
            "{\"results\":[{\"statement_id\":0,\"error\":\"not executed\"}]}\n");
}
END_TEST

START_TEST(test_chunked_default_size)
{
    /* SELECT v FROM big &chunked=true: 10000 rows, then 1 */
    struct st_buf want;
    st_buf_init(&want);
    static const char head[] = "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"big\","
                               "\"columns\":[\"time\",\"v\"],\"values\":[";
    OK(st_buf_puts(&want, head));
    big_values(&want, 1, 10000);
    OK(st_buf_puts(&want, "],\"partial\":true}],\"partial\":true}]}\n"));
    OK(st_buf_puts(&want, head));
    big_values(&want, 10001, 10001);
    OK(st_buf_puts(&want, "]}]}]}\n"));
    CHUNKED(0);
    big(10001, 0);
    check_bytes(finish_body(), want.p, want.len);
    st_buf_fini(&want);
}
END_TEST

START_TEST(test_take)
{
    /* take() hands out each chunk once it is complete, finish() the rest. */
    CHUNKED(2);
    RESULT(0, ROWS);
    SERIES("ck", NOTAGS, COLS("time", "v"));
    ROW(QT(1), QF(1));
    ROW(QT(2), QF(2));
    OK(st_qout_take(q, &out));
    ck_assert_uint_eq(out.len, 0); /* two rows, maybe the last */
    ROW(QT(3), QF(3));
    OK(st_qout_take(q, &out));
    ck_assert_ptr_nonnull(
        strstr(out.p, "[\"1970-01-01T00:00:00.000000002Z\",2]],\"partial\":true}"));
    ck_assert_ptr_null(strstr(out.p, "000000003Z"));
    size_t n = out.len;
    OK(st_qout_take(q, &out));
    ck_assert_uint_eq(out.len, n);
    END_SERIES();
    END_RESULT();
    OK(st_qout_finish(q, &out));
    ck_assert_ptr_nonnull(strstr(out.p + n, "000000003Z\",3]]}]}]}\n"));
}
END_TEST

START_TEST(test_take_whole_gives_nothing)
{
    JSON();
    cpu_all(0);
    OK(st_qout_take(q, &out));
    ck_assert_uint_eq(out.len, 0);
}
END_TEST

START_TEST(test_chunked_take_matches_finish)
{
    struct st_buf want;
    st_buf_init(&want);
    CHUNKED(3);
    big(100, 0);
    OK(st_qout_finish(q, &want));
    teardown();
    CHUNKED(3);
    big(100, 7);
    check_bytes(finish_body(), want.p, want.len);
    st_buf_fini(&want);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("qout_chunked");
    const TTest *tests[] = {test_chunked_rows_cut_and_partial,
                            test_chunked_statements,
                            test_csv_chunked_statements,
                            test_chunked_pretty,
                            test_chunked_per_series,
                            test_csv_chunked_per_series,
                            test_chunked_whole,
                            test_chunked_messages,
                            test_chunked_errors,
                            test_chunked_error_drops_pending_rows,
                            test_chunked_default_size,
                            test_take,
                            test_take_whole_gives_nothing,
                            test_chunked_take_matches_finish};
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        TCase *tc = tcase_create(tests[i]->name);
        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_add_test(tc, tests[i]);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return t_run_suite(suite());
}
