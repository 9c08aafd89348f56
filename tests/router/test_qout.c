/* router/qout: whole bodies, statement errors, messages, the error body.
 * Every expected body was recorded from InfluxDB 1.6 (influxd 1.6.7) with
 * curl, on the data in t_qout.c; the comment next to each names the query
 * and its parameters. The few cases InfluxDB cannot be made to show from
 * outside say where in its code they come from. The statement errors after
 * rows come from a server started with [coordinator] query-timeout = "2s"
 * and 2,000,000 points in b2. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t_qout.h"
#include "testlib.h"

/* Whole bodies ----------------------------------------------------------------- */

START_TEST(test_json_values_of_each_type)
{
    JSON();
    cpu_all(0);
    /* SELECT * FROM cpu */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
            "\"b\",\"host\",\"i\",\"region\",\"s\",\"v\"],\"values\":[[\"2020-01-01T00:00:00Z\","
            "true,\"a\",3,\"west\",\"hi\",1.5],[\"2020-01-01T00:00:01.5Z\",false,\"a\",-4,\"west\","
            "\"x\\u003cy\\u003e\\u0026\\\"q\\\"\",2],[\"2020-01-01T00:00:02Z\",null,\"b\",5,null,"
            "null,0.1],[\"2020-01-01T00:00:03.000000001Z\",null,\"b\",6,null,null,1e+21],[\"2020-"
            "01-01T00:00:04.123Z\",null,\"b\",null,null,null,1e-7]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_values_of_each_type)
{
    CSV();
    cpu_all(0);
    /* SELECT * FROM cpu */
    BODY_IS("name,tags,time,b,host,i,region,s,v\n"
            "cpu,,1577836800000000000,true,a,3,west,hi,1.5\n"
            "cpu,,1577836801500000000,false,a,-4,west,\"x<y>&\"\"q\"\"\",2\n"
            "cpu,,1577836802000000000,,b,5,,,0.1\n"
            "cpu,,1577836803000000001,,b,6,,,1000000000000000000000\n"
            "cpu,,1577836804123000000,,b,,,,0.0000001\n");
}
END_TEST

START_TEST(test_json_tags_sorted)
{
    JSON();
    cpu_mean_by_host_region(0);
    /* SELECT mean(v) FROM cpu GROUP BY host,region */
    BODY_IS(
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":\"a\","
        "\"region\":\"west\"},\"columns\":[\"time\",\"mean\"],\"values\":[[\"1970-01-01T00:00:"
        "00Z\",1.75]]},{\"name\":\"cpu\",\"tags\":{\"host\":\"b\",\"region\":\"\"},\"columns\":["
        "\"time\",\"mean\"],\"values\":[[\"1970-01-01T00:00:00Z\",333333333333333300000]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_tags_quoted)
{
    CSV();
    cpu_mean_by_host_region(0);
    /* SELECT mean(v) FROM cpu GROUP BY host,region */
    BODY_IS("name,tags,time,mean\n"
            "cpu,\"host=a,region=west\",0,1.75\n"
            "cpu,host=b,0,333333333333333300000\n");
}
END_TEST

START_TEST(test_json_empty_tag_value_kept)
{
    JSON();
    cpu_mean_by_region(0);
    /* SELECT mean(v) FROM cpu GROUP BY region */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{\"region\":"
            "\"\"},\"columns\":[\"time\",\"mean\"],\"values\":[[\"1970-01-01T00:00:00Z\","
            "333333333333333300000]]},{\"name\":\"cpu\",\"tags\":{\"region\":\"west\"},\"columns\":"
            "[\"time\",\"mean\"],\"values\":[[\"1970-01-01T00:00:00Z\",1.75]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_empty_tag_value_left_out)
{
    CSV();
    cpu_mean_by_region(0);
    /* SELECT mean(v) FROM cpu GROUP BY region */
    BODY_IS("name,tags,time,mean\n"
            "cpu,,0,333333333333333300000\n"
            "cpu,region=west,0,1.75\n");
}
END_TEST

START_TEST(test_json_statements)
{
    JSON();
    cpu_mean_by_host(0);
    nothing(1);
    mem_used(2);
    /* SELECT mean(v) FROM cpu GROUP BY host; SELECT * FROM nope; SELECT used FROM mem
     * (SELECT used: the same series without the host column) */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":"
            "\"a\"},\"columns\":[\"time\",\"mean\"],\"values\":[[\"1970-01-01T00:00:00Z\",1.75]]},{"
            "\"name\":\"cpu\",\"tags\":{\"host\":\"b\"},\"columns\":[\"time\",\"mean\"],\"values\":"
            "[[\"1970-01-01T00:00:00Z\",333333333333333300000]]}]},{\"statement_id\":1},{"
            "\"statement_id\":2,\"series\":[{\"name\":\"mem\",\"columns\":[\"time\",\"used\"],"
            "\"values\":[[\"1969-12-31T23:59:58.5Z\",10],[\"1969-12-31T23:59:59.999999999Z\","
            "12345678.125],[\"1970-01-01T00:00:00Z\",0.000001]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_statements_blank_line_between)
{
    CSV();
    cpu_mean_by_host(0);
    nothing(1);
    mem_used(2);
    /* SELECT mean(v) FROM cpu GROUP BY host; SELECT * FROM nope; SELECT used FROM mem */
    BODY_IS("name,tags,time,mean\n"
            "cpu,host=a,0,1.75\n"
            "cpu,host=b,0,333333333333333300000\n"
            "\n"
            "name,tags,time,used\n"
            "mem,,-1500000000,10\n"
            "mem,,-1,12345678.125\n"
            "mem,,0,0.000001\n");
}
END_TEST

static void mem_then_error(void)
{
    mem_used(0);
    RESULT(1, ROWS);
    OK(st_qout_error(q, "unsupported mean iterator type: *query.stringInterruptIterator"));
    END_RESULT();
}

START_TEST(test_json_statement_error)
{
    JSON();
    mem_then_error();
    /* SELECT used FROM mem; SELECT mean(s) FROM cpu */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":[\"time\","
            "\"used\"],\"values\":[[\"1969-12-31T23:59:58.5Z\",10],[\"1969-12-31T23:59:59."
            "999999999Z\",12345678.125],[\"1970-01-01T00:00:00Z\",0.000001]]}]},{\"statement_id\":"
            "1,\"error\":\"unsupported mean iterator type: *query.stringInterruptIterator\"}]}\n");
}
END_TEST

START_TEST(test_csv_statement_error_not_written)
{
    CSV();
    mem_then_error();
    /* SELECT used FROM mem; SELECT mean(s) FROM cpu */
    BODY_IS("name,tags,time,used\n"
            "mem,,-1500000000,10\n"
            "mem,,-1,12345678.125\n"
            "mem,,0,0.000001\n");
}
END_TEST

/* Statement 0 of b2 (2,000,000 points, v=i at i µs) cut short after
 * rows were written: b2 rows 1..n, then the error. */
static void b2_timed_out(int id, int n)
{
    RESULT(id, ROWS);
    SERIES("b2", NOTAGS, COLS("time", "v"));
    for (int i = 1; i <= n; i++)
        ROW(QT((int64_t)i * 1000), QF(i));
    OK(st_qout_error(q, "query-timeout limit exceeded"));
    END_RESULT();
}

START_TEST(test_error_drops_series)
{
    JSON();
    b2_timed_out(0, 1000);
    /* SELECT v FROM b2, with [coordinator] query-timeout = "2s" */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"error\":\"query-timeout limit exceeded\"}]}\n");
}
END_TEST

START_TEST(test_error_drops_messages)
{
    /* From InfluxDB's statement executor: a statement that fails returns
     * its error alone, the warnings it had gathered are not sent. */
    JSON();
    RESULT(0, WHOLE);
    SERIES("m", NOTAGS, COLS("time", "v"));
    ROW(QT(0), QF(INFINITY)); /* dropped with the series: no marshal error */
    END_SERIES();
    OK(st_qout_message(q, "warning", "w"));
    OK(st_qout_error(q, "boom"));
    END_RESULT();
    BODY_IS("{\"results\":[{\"statement_id\":0,\"error\":\"boom\"}]}\n");
}
END_TEST

START_TEST(test_csv_error_drops_series)
{
    CSV();
    mem_used(0);
    b2_timed_out(1, 1000);
    /* SELECT used FROM mem; SELECT v, v*2, v*3 FROM b2, with query-timeout
     * = "2s" (CSV): the failed statement leaves no header, no blank line */
    BODY_IS("name,tags,time,used\n"
            "mem,,-1500000000,10\n"
            "mem,,-1,12345678.125\n"
            "mem,,0,0.000001\n");
}
END_TEST

START_TEST(test_csv_error_keeps_statement_state)
{
    /* The failed statement wrote no header: the next one starts its block
     * as the first does, the one after it with a blank line. */
    CSV();
    b2_timed_out(0, 3);
    mem_used(1);
    mem_used(2);
    BODY_IS("name,tags,time,used\nmem,,-1500000000,10\nmem,,-1,12345678.125\nmem,,0,0.000001\n"
            "\nname,tags,time,used\nmem,,-1500000000,10\nmem,,-1,12345678.125\nmem,,0,0.000001\n");
}
END_TEST

START_TEST(test_json_messages)
{
    JSON();
    create_database_get(0);
    /* CREATE DATABASE db2, by GET */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"messages\":[{\"level\":\"warning\",\"text\":"
            "\"deprecated use of 'CREATE DATABASE db2' in a read only context, please use a POST "
            "request instead\"}]}]}\n");
}
END_TEST

START_TEST(test_csv_messages_not_written)
{
    CSV();
    create_database_get(0);
    /* CREATE DATABASE db2, by GET */
    BODY_IS("");
}
END_TEST

START_TEST(test_pretty)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, true, false, 0);
    show_databases(0);
    create_database_get(1);
    /* SHOW DATABASES; CREATE DATABASE db2 &pretty=true, by GET */
    BODY_IS("{\n"
            "    \"results\": [\n"
            "        {\n"
            "            \"statement_id\": 0,\n"
            "            \"series\": [\n"
            "                {\n"
            "                    \"name\": \"databases\",\n"
            "                    \"columns\": [\n"
            "                        \"name\"\n"
            "                    ],\n"
            "                    \"values\": [\n"
            "                        [\n"
            "                            \"db\"\n"
            "                        ],\n"
            "                        [\n"
            "                            \"_internal\"\n"
            "                        ],\n"
            "                        [\n"
            "                            \"db2\"\n"
            "                        ]\n"
            "                    ]\n"
            "                }\n"
            "            ]\n"
            "        },\n"
            "        {\n"
            "            \"statement_id\": 1,\n"
            "            \"messages\": [\n"
            "                {\n"
            "                    \"level\": \"warning\",\n"
            "                    \"text\": \"deprecated use of 'CREATE DATABASE db2' in a read "
            "only context, please use a POST request instead\"\n"
            "                }\n"
            "            ]\n"
            "        }\n"
            "    ]\n"
            "}\n");
}
END_TEST

START_TEST(test_series_without_rows)
{
    JSON();
    show_users(0);
    /* SHOW USERS */
    BODY_IS(
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"columns\":[\"user\",\"admin\"]}]}]}\n");
}
END_TEST

START_TEST(test_csv_series_without_rows)
{
    CSV();
    show_users(0);
    show_users(1);
    /* SHOW USERS; SHOW USERS */
    BODY_IS("name,tags,user,admin\n"
            "\n"
            "name,tags,user,admin\n");
}
END_TEST

START_TEST(test_pretty_series_without_rows)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, true, false, 0);
    show_users(0);
    /* SHOW USERS &pretty=true */
    BODY_IS("{\n"
            "    \"results\": [\n"
            "        {\n"
            "            \"statement_id\": 0,\n"
            "            \"series\": [\n"
            "                {\n"
            "                    \"columns\": [\n"
            "                        \"user\",\n"
            "                        \"admin\"\n"
            "                    ]\n"
            "                }\n"
            "            ]\n"
            "        }\n"
            "    ]\n"
            "}\n");
}
END_TEST

START_TEST(test_series_without_name)
{
    JSON();
    RESULT(0, WHOLE);
    SERIES("", NOTAGS, COLS("name", "duration", "shardGroupDuration", "replicaN", "default"));
    ROW(QS("autogen"), QS("0s"), QS("168h0m0s"), QI(1), QB(true));
    END_SERIES();
    END_RESULT();
    /* SHOW RETENTION POLICIES */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"columns\":[\"name\",\"duration\","
            "\"shardGroupDuration\",\"replicaN\",\"default\"],\"values\":[[\"autogen\",\"0s\","
            "\"168h0m0s\",1,true]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_header_again_when_columns_change)
{
    CSV();
    RESULT(0, WHOLE);
    SERIES("build", NOTAGS, COLS("Branch", "Build Time", "Commit", "Version"));
    ROW(QS("unknown"), QS(""), QS("unknown"), QS("1.6.7~rc0"));
    END_SERIES();
    SERIES("config", NOTAGS, COLS("bind-address", "reporting-enabled"));
    ROW(QS("127.0.0.1:46925"), QB(false));
    END_SERIES();
    END_RESULT();
    /* The first two series of SHOW DIAGNOSTICS (CSV) */
    BODY_IS("name,tags,Branch,Build Time,Commit,Version\n"
            "build,,unknown,,unknown,1.6.7~rc0\n"
            "\n"
            "name,tags,bind-address,reporting-enabled\n"
            "config,,127.0.0.1:46925,false\n");
}
END_TEST

START_TEST(test_whole_ignores_chunk_size)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_NS, false, false, 2);
    ck_statements();
    /* ...four statements... &chunk_size=2&epoch=ns, without chunked=true */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":"
            "\"a\"},\"columns\":[\"time\",\"v\"],\"values\":[[1,1],[2,2],[3,3],[4,4],[5,5]]},{"
            "\"name\":\"ck\",\"tags\":{\"host\":\"b\"},\"columns\":[\"time\",\"v\"],\"values\":[[6,"
            "6],[7,7]]},{\"name\":\"ck\",\"tags\":{\"host\":\"c\"},\"columns\":[\"time\",\"v\"],"
            "\"values\":[[8,8]]}]},{\"statement_id\":1,\"series\":[{\"name\":\"ck\",\"columns\":["
            "\"time\",\"v\"],\"values\":[[8,8]]}]},{\"statement_id\":2},{\"statement_id\":3,"
            "\"series\":[{\"name\":\"ck\",\"tags\":{\"host\":\"b\"},\"columns\":[\"time\",\"v\"],"
            "\"values\":[[6,6],[7,7]]}]}]}\n");
}
END_TEST

START_TEST(test_whole_per_series)
{
    JSON();
    show_tag_keys(0);
    /* SHOW TAG KEYS */
    BODY_IS(
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"columns\":[\"tagKey\"],"
        "\"values\":[[\"host\"]]},{\"name\":\"cpu\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]"
        ",[\"region\"]]},{\"name\":\"mem\",\"columns\":[\"tagKey\"],\"values\":[[\"host\"]]},{"
        "\"name\":\"we,ird\",\"columns\":[\"tagKey\"],\"values\":[[\"t k\"],[\"z\"]]}]}]}\n");
}
END_TEST

START_TEST(test_whole_partial_past_10000_rows)
{
    /* SELECT v FROM big (10001 points): the series keeps the "partial"
     * of its first 10000-row piece; LIMIT 10000 has none. */
    struct st_buf want;
    st_buf_init(&want);
    OK(st_buf_puts(&want, "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"big\","
                          "\"columns\":[\"time\",\"v\"],\"values\":["));
    big_values(&want, 1, 10001);
    OK(st_buf_puts(&want, "],\"partial\":true}]}]}\n"));
    JSON();
    big(10001, 0);
    check_bytes(finish_body(), want.p, want.len);
    st_buf_fini(&want);
}
END_TEST

START_TEST(test_whole_10000_rows_not_partial)
{
    struct st_buf want;
    st_buf_init(&want);
    OK(st_buf_puts(&want, "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"big\","
                          "\"columns\":[\"time\",\"v\"],\"values\":["));
    big_values(&want, 1, 10000);
    OK(st_buf_puts(&want, "]}]}]}\n"));
    JSON();
    big(10000, 0);
    /* SELECT v FROM big LIMIT 10000 */
    check_bytes(finish_body(), want.p, want.len);
    st_buf_fini(&want);
}
END_TEST

START_TEST(test_empty_query)
{
    /* ; : no statements */
    JSON();
    BODY_IS("{}\n");
}
END_TEST

START_TEST(test_empty_query_csv)
{
    CSV();
    BODY_IS("");
}
END_TEST

START_TEST(test_empty_query_chunked)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, false, true, 0);
    BODY_IS("");
}
END_TEST

START_TEST(test_empty_query_pretty)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, true, false, 0);
    BODY_IS("{}\n");
}
END_TEST

/* Misuse and the error body ---------------------------------------------------- */

START_TEST(test_calls_out_of_order)
{
    JSON();
    const struct st_qv v[] = {QF(1)};
    ck_assert_int_eq(st_qout_end_result(q), ST_EINVAL);
    ck_assert_int_eq(st_qout_begin_series(q, "m", NULL, 0, COLS("v")), ST_EINVAL);
    RESULT(0, ROWS);
    ck_assert_int_eq(st_qout_begin_result(q, 1, ST_QOUT_ROWS), ST_EINVAL);
    ck_assert_int_eq(st_qout_row(q, v, 1), ST_EINVAL);
    SERIES("m", NOTAGS, COLS("time", "v"));
    ck_assert_int_eq(st_qout_row(q, v, 1), ST_EINVAL); /* two columns */
    ck_assert_int_eq(st_qout_end_result(q), ST_EINVAL);
    ck_assert_int_eq(st_qout_finish(q, &out), ST_EINVAL);
    END_SERIES();
    END_RESULT();
    BODY_IS("{\"results\":[{\"statement_id\":0}]}\n");
    ck_assert_int_eq(st_qout_begin_result(q, 1, ST_QOUT_ROWS), ST_EINVAL);
    st_qout *x;
    ck_assert_int_eq(st_qout_new(ST_QOUT_JSON, (enum st_qout_epoch)99, false, false, 0, &x),
                     ST_EINVAL);
}
END_TEST

START_TEST(test_error_body)
{
    static const char msg[] = "error parsing query: found EOF, expected identifier at line 1, "
                              "char 15";
    struct st_buf b;
    st_buf_init(&b);
    OK(st_qout_error_body(ST_QOUT_JSON, false, msg, &b));
    /* SELECT * FROM (400) */
    check_bytes(
        &b,
        "{\"error\":\"error parsing query: found EOF, expected identifier at line 1, char 15\"}\n",
        sizeof("{\"error\":\"error parsing query: found EOF, expected identifier at line 1, char "
               "15\"}\n") -
            1);
    st_buf_reset(&b);
    OK(st_qout_error_body(ST_QOUT_JSON, true, msg, &b));
    /* SELECT * FROM &pretty=true (400) */
    check_bytes(&b,
                "{\n"
                "    \"error\": \"error parsing query: found EOF, expected identifier at line 1, "
                "char 15\"\n"
                "}\n",
                sizeof("{\n"
                       "    \"error\": \"error parsing query: found EOF, expected identifier at "
                       "line 1, char 15\"\n"
                       "}\n") -
                    1);
    st_buf_reset(&b);
    OK(st_qout_error_body(ST_QOUT_CSV, false, msg, &b));
    /* SELECT * FROM (400, CSV) */
    check_bytes(
        &b,
        "error\n"
        "\"error parsing query: found EOF, expected identifier at line 1, char 15\"\n",
        sizeof("error\n"
               "\"error parsing query: found EOF, expected identifier at line 1, char 15\"\n") -
            1);
    st_buf_reset(&b);
    OK(st_qout_error_body(ST_QOUT_JSON, false, "missing required parameter \"q\"", &b));
    /* no q= (400) */
    check_bytes(&b, "{\"error\":\"missing required parameter \\\"q\\\"\"}\n",
                sizeof("{\"error\":\"missing required parameter \\\"q\\\"\"}\n") - 1);
    st_buf_fini(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("qout");
    const TTest *tests[] = {test_json_values_of_each_type,
                            test_csv_values_of_each_type,
                            test_json_tags_sorted,
                            test_csv_tags_quoted,
                            test_json_empty_tag_value_kept,
                            test_csv_empty_tag_value_left_out,
                            test_json_statements,
                            test_csv_statements_blank_line_between,
                            test_json_statement_error,
                            test_csv_statement_error_not_written,
                            test_error_drops_series,
                            test_error_drops_messages,
                            test_csv_error_drops_series,
                            test_csv_error_keeps_statement_state,
                            test_json_messages,
                            test_csv_messages_not_written,
                            test_pretty,
                            test_series_without_rows,
                            test_csv_series_without_rows,
                            test_pretty_series_without_rows,
                            test_series_without_name,
                            test_csv_header_again_when_columns_change,
                            test_whole_ignores_chunk_size,
                            test_whole_per_series,
                            test_whole_partial_past_10000_rows,
                            test_whole_10000_rows_not_partial,
                            test_empty_query,
                            test_empty_query_csv,
                            test_empty_query_chunked,
                            test_empty_query_pretty,
                            test_calls_out_of_order,
                            test_error_body};
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
