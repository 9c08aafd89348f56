/* router/qout: values, times and epochs, floats, NaN and infinities, CSV
 * quoting and tag escaping.
 * Every expected body was recorded from InfluxDB 1.6 (influxd 1.6.7) with
 * curl; the comment next to each names the query, the data written is
 * above each group. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "t_qout.h"
#include "testlib.h"
#include "tz.h"

/* Times and epochs -------------------------------------------------------------- */

/* mem,host=a used=10 -1500000000, used=12345678.125 -1, used=0.000001 0;
 * SELECT * FROM mem */
static void mem_all(void)
{
    RESULT(0, ROWS);
    SERIES("mem", NOTAGS, COLS("time", "host", "used"));
    ROW(QT(-1500000000), QS("a"), QF(10));
    ROW(QT(-1), QS("a"), QF(12345678.125));
    ROW(QT(0), QS("a"), QF(0.000001));
    END_SERIES();
    END_RESULT();
}

START_TEST(test_time_rfc3339_before_1970)
{
    JSON();
    mem_all();
    BODY_IS(
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":[\"time\","
        "\"host\",\"used\"],\"values\":[[\"1969-12-31T23:59:58.5Z\",\"a\",10],[\"1969-12-31T23:59:"
        "59.999999999Z\",\"a\",12345678.125],[\"1970-01-01T00:00:00Z\",\"a\",0.000001]]}]}]}\n");
}
END_TEST

/* tzdst,host=a v=48 / 49 / 50 at 2024-10-27T00:00:00Z, 00:30, 01:00 (London
 * leaves BST at 01:00 UTC); SELECT v FROM tzdst ... tz('Europe/London'):
 * only the time column is in the zone; epoch= and CSV do not change. */
START_TEST(test_time_zone_of_statement)
{
    struct st_tz *tz = NULL;
    OK(st_tz_load("Europe/London", &tz));
    JSON();
    RESULT(0, ROWS);
    OK(st_qout_time_zone(q, tz));
    SERIES("tzdst", NOTAGS, COLS("time", "v", "t"));
    ROW(QT(1729987200000000000), QI(48), QT(1729987200000000000));
    ROW(QT(1729989000500000000), QI(49), QT(0));
    ROW(QT(1729990800000000000), QI(50), QT(0));
    END_SERIES();
    END_RESULT();
    RESULT(1, ROWS); /* the zone is the statement's */
    SERIES("tzdst", NOTAGS, COLS("time", "v"));
    ROW(QT(1729987200000000000), QI(48));
    END_SERIES();
    END_RESULT();
    BODY_IS(
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"tzdst\",\"columns\":[\"time\","
        "\"v\",\"t\"],\"values\":[[\"2024-10-27T01:00:00+01:00\",48,\"2024-10-27T00:00:00Z\"],"
        "[\"2024-10-27T01:30:00.5+01:00\",49,\"1970-01-01T00:00:00Z\"],[\"2024-10-27T01:00:00Z\","
        "50,\"1970-01-01T00:00:00Z\"]]}]},{\"statement_id\":1,\"series\":[{\"name\":\"tzdst\","
        "\"columns\":[\"time\",\"v\"],\"values\":[[\"2024-10-27T00:00:00Z\",48]]}]}]}\n");
    st_tz_free(tz);
    tz = NULL;
    OK(st_tz_load("Asia/Kolkata", &tz));
    st_qout_free(q);
    q = NULL;
    st_buf_fini(&out);
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_MS, false, false, 0);
    RESULT(0, ROWS);
    OK(st_qout_time_zone(q, tz));
    SERIES("cpu", NOTAGS, COLS("time", "count"));
    ROW(QT(1704067200000000000), QI(1));
    END_SERIES();
    END_RESULT();
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\","
            "\"count\"],\"values\":[[1704067200000,1]]}]}]}\n");
    st_tz_free(tz);
}
END_TEST

START_TEST(test_epochs_truncate_toward_zero)
{
    static const struct {
        const char *param;
        const char *want;
    } cases[] = {
        {"ns", "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":["
               "\"time\",\"host\",\"used\"],\"values\":[[-1500000000,\"a\",10],[-1,\"a\",12345678."
               "125],[0,\"a\",0.000001]]}]}]}\n"},
        {"u", "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":["
              "\"time\",\"host\",\"used\"],\"values\":[[-1500000,\"a\",10],[0,\"a\",12345678.125],["
              "0,\"a\",0.000001]]}]}]}\n"},
        {"ms", "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":["
               "\"time\",\"host\",\"used\"],\"values\":[[-1500,\"a\",10],[0,\"a\",12345678.125],[0,"
               "\"a\",0.000001]]}]}]}\n"},
        {"s", "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":["
              "\"time\",\"host\",\"used\"],\"values\":[[-1,\"a\",10],[0,\"a\",12345678.125],[0,"
              "\"a\",0.000001]]}]}]}\n"},
        {"m", "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":["
              "\"time\",\"host\",\"used\"],\"values\":[[0,\"a\",10],[0,\"a\",12345678.125],[0,"
              "\"a\",0.000001]]}]}]}\n"},
        {"h", "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":["
              "\"time\",\"host\",\"used\"],\"values\":[[0,\"a\",10],[0,\"a\",12345678.125],[0,"
              "\"a\",0.000001]]}]}]}\n"},
        {"foo", "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\",\"columns\":["
                "\"time\",\"host\",\"used\"],\"values\":[[-1500000000,\"a\",10],[-1,\"a\",12345678."
                "125],[0,\"a\",0.000001]]}]}]}\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* SELECT * FROM mem &epoch=<param> */
        open_q(ST_QOUT_JSON, st_qout_epoch_parse(cases[i].param), false, false, 0);
        mem_all();
        check_bytes(finish_body(), cases[i].want, strlen(cases[i].want));
        teardown();
    }
}
END_TEST

START_TEST(test_csv_time_nanoseconds)
{
    CSV();
    mem_all();
    /* SELECT * FROM mem (CSV) */
    BODY_IS("name,tags,time,host,used\n"
            "mem,,-1500000000,a,10\n"
            "mem,,-1,a,12345678.125\n"
            "mem,,0,a,0.000001\n");
}
END_TEST

START_TEST(test_csv_epoch)
{
    open_q(ST_QOUT_CSV, ST_QOUT_EPOCH_S, false, false, 0);
    mem_all();
    /* SELECT * FROM mem &epoch=s (CSV) */
    BODY_IS("name,tags,time,host,used\n"
            "mem,,-1,a,10\n"
            "mem,,0,a,12345678.125\n"
            "mem,,0,a,0.000001\n");
}
END_TEST

/* ext v=1 -9223372036854775806, v=2 9223372036854775806, v=3
 * -86400000000001, v=4 951782400000000000, v=5 -5400000000000, v=6 1000000,
 * v=7 -1000000; SELECT v FROM ext WHERE time >= -9223372036854775806 AND
 * time <= 9223372036854775806 */
static void ext(void)
{
    static const int64_t t[] = {
        -9223372036854775806, -86400000000001,    -5400000000000, -1000000, 1000000,
        951782400000000000,   9223372036854775806};
    static const double v[] = {1, 3, 5, 7, 6, 4, 2};
    RESULT(0, ROWS);
    SERIES("ext", NOTAGS, COLS("time", "v"));
    for (size_t i = 0; i < 7; i++)
        ROW(QT(t[i]), QF(v[i]));
    END_SERIES();
    END_RESULT();
}

START_TEST(test_time_extremes)
{
    static const struct {
        enum st_qout_epoch e;
        const char *want;
    } cases[] = {
        {ST_QOUT_EPOCH_RFC3339,
         "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ext\",\"columns\":[\"time\","
         "\"v\"],\"values\":[[\"1677-09-21T00:12:43.145224194Z\",1],[\"1969-12-30T23:59:59."
         "999999999Z\",3],[\"1969-12-31T22:30:00Z\",5],[\"1969-12-31T23:59:59.999Z\",7],[\"1970-01-"
         "01T00:00:00.001Z\",6],[\"2000-02-29T00:00:00Z\",4],[\"2262-04-11T23:47:16.854775806Z\",2]"
         "]}]}]}\n"},
        {ST_QOUT_EPOCH_US,
         "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ext\",\"columns\":[\"time\","
         "\"v\"],\"values\":[[-9223372036854775,1],[-86400000000,3],[-5400000000,5],[-1000,7],["
         "1000,6],[951782400000000,4],[9223372036854775,2]]}]}]}\n"},
        {ST_QOUT_EPOCH_MS,
         "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ext\",\"columns\":[\"time\","
         "\"v\"],\"values\":[[-9223372036854,1],[-86400000,3],[-5400000,5],[-1,7],[1,6],["
         "951782400000,4],[9223372036854,2]]}]}]}\n"},
        {ST_QOUT_EPOCH_S, "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ext\","
                          "\"columns\":[\"time\",\"v\"],\"values\":[[-9223372036,1],[-86400,3],[-"
                          "5400,5],[0,7],[0,6],[951782400,4],[9223372036,2]]}]}]}\n"},
        {ST_QOUT_EPOCH_M, "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ext\","
                          "\"columns\":[\"time\",\"v\"],\"values\":[[-153722867,1],[-1440,3],[-90,"
                          "5],[0,7],[0,6],[15863040,4],[153722867,2]]}]}]}\n"},
        {ST_QOUT_EPOCH_H, "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ext\","
                          "\"columns\":[\"time\",\"v\"],\"values\":[[-2562047,1],[-24,3],[-1,5],[0,"
                          "7],[0,6],[264384,4],[2562047,2]]}]}]}\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        open_q(ST_QOUT_JSON, cases[i].e, false, false, 0);
        ext();
        check_bytes(finish_body(), cases[i].want, strlen(cases[i].want));
        teardown();
    }
    open_q(ST_QOUT_CSV, ST_QOUT_EPOCH_H, false, false, 0);
    ext();
    /* &epoch=h (CSV) */
    BODY_IS("name,tags,time,v\n"
            "ext,,-2562047,1\n"
            "ext,,-24,3\n"
            "ext,,-1,5\n"
            "ext,,0,7\n"
            "ext,,0,6\n"
            "ext,,264384,4\n"
            "ext,,2562047,2\n");
}
END_TEST

START_TEST(test_time_int64_min)
{
    /* Below InfluxDB's smallest time; Go's time.Unix(0, math.MinInt64).UTC()
     * formats as this. */
    JSON();
    RESULT(0, ROWS);
    SERIES("m", NOTAGS, COLS("time", "t"));
    ROW(QT(INT64_MIN), QT(INT64_MAX));
    END_SERIES();
    END_RESULT();
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"m\",\"columns\":[\"time\","
            "\"t\"],\"values\":[[\"1677-09-21T00:12:43.145224192Z\","
            "\"2262-04-11T23:47:16.854775807Z\"]]}]}]}\n");
}
END_TEST

START_TEST(test_epoch_only_first_column)
{
    /* convertToEpoch converts v[0] only; CSV writes any other time in ns. */
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_S, false, false, 0);
    RESULT(0, WHOLE);
    SERIES("m", NOTAGS, COLS("time", "t"));
    ROW(QT(1500000000), QT(1500000000));
    END_SERIES();
    END_RESULT();
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"m\",\"columns\":[\"time\","
            "\"t\"],\"values\":[[1,\"1970-01-01T00:00:01.5Z\"]]}]}]}\n");
    teardown();
    open_q(ST_QOUT_CSV, ST_QOUT_EPOCH_S, false, false, 0);
    RESULT(0, WHOLE);
    SERIES("m", NOTAGS, COLS("time", "t"));
    ROW(QT(1500000000), QT(1500000000));
    END_SERIES();
    END_RESULT();
    BODY_IS("name,tags,time,t\nm,,1,1500000000\n");
}
END_TEST

START_TEST(test_epoch_parse)
{
    ck_assert_int_eq(st_qout_epoch_parse(NULL), ST_QOUT_EPOCH_RFC3339);
    ck_assert_int_eq(st_qout_epoch_parse(""), ST_QOUT_EPOCH_RFC3339);
    ck_assert_int_eq(st_qout_epoch_parse("n"), ST_QOUT_EPOCH_NS);
    ck_assert_int_eq(st_qout_epoch_parse("ns"), ST_QOUT_EPOCH_NS);
    ck_assert_int_eq(st_qout_epoch_parse("u"), ST_QOUT_EPOCH_US);
    ck_assert_int_eq(st_qout_epoch_parse("us"), ST_QOUT_EPOCH_NS); /* not InfluxDB's "u" */
    ck_assert_int_eq(st_qout_epoch_parse("ms"), ST_QOUT_EPOCH_MS);
    ck_assert_int_eq(st_qout_epoch_parse("s"), ST_QOUT_EPOCH_S);
    ck_assert_int_eq(st_qout_epoch_parse("m"), ST_QOUT_EPOCH_M);
    ck_assert_int_eq(st_qout_epoch_parse("h"), ST_QOUT_EPOCH_H);
}
END_TEST

/* Numbers ---------------------------------------------------------------------------- */

/* fl v=<each>, times 1..28, then fl i=9223372036854775807i,j=-9223372036854775808i 100;
 * SELECT * FROM fl */
static const double FLOATS[] = {1e20,
                                1e21,
                                123456789012345678901.0,
                                1e-6,
                                9.999e-7,
                                5e-324,
                                1.7976931348623157e308,
                                0.30000000000000004,
                                100,
                                1.5e300,
                                2.5e-10,
                                123.456,
                                -1e-300,
                                -2.2250738585072014e-308,
                                1e23,
                                9007199254740993.0,
                                0.000123,
                                1e-5,
                                12345678901234567.0,
                                4.35,
                                2.675,
                                1e100,
                                1e-100,
                                3.0e-7,
                                8.41e21,
                                1.0000000000000002,
                                -0.0,
                                33.333333333333336};

static void fl(void)
{
    RESULT(0, ROWS);
    SERIES("fl", NOTAGS, COLS("time", "i", "j", "v"));
    for (size_t i = 0; i < sizeof FLOATS / sizeof FLOATS[0]; i++)
        ROW(QT((int64_t)i + 1), QN, QN, QF(FLOATS[i]));
    ROW(QT(100), QI(INT64_MAX), QI(INT64_MIN), QN);
    END_SERIES();
    END_RESULT();
}

START_TEST(test_json_floats_as_go)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_NS, false, false, 0);
    fl();
    /* SELECT * FROM fl &epoch=ns */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"fl\",\"columns\":[\"time\","
            "\"i\",\"j\",\"v\"],\"values\":[[1,null,null,100000000000000000000],[2,null,null,1e+21]"
            ",[3,null,null,123456789012345680000],[4,null,null,0.000001],[5,null,null,9.999e-7],[6,"
            "null,null,5e-324],[7,null,null,1.7976931348623157e+308],[8,null,null,0."
            "30000000000000004],[9,null,null,100],[10,null,null,1.5e+300],[11,null,null,2.5e-10],["
            "12,null,null,123.456],[13,null,null,-1e-300],[14,null,null,-2.2250738585072014e-308],["
            "15,null,null,1e+23],[16,null,null,9007199254740992],[17,null,null,0.000123],[18,null,"
            "null,0.00001],[19,null,null,12345678901234568],[20,null,null,4.35],[21,null,null,2."
            "675],[22,null,null,1e+100],[23,null,null,1e-100],[24,null,null,3e-7],[25,null,null,8."
            "41e+21],[26,null,null,1.0000000000000002],[27,null,null,-0],[28,null,null,33."
            "333333333333336],[100,9223372036854775807,-9223372036854775808,null]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_floats_as_go)
{
    CSV();
    fl();
    /* SELECT * FROM fl (CSV) */
    BODY_IS("name,tags,time,i,j,v\n"
            "fl,,1,,,100000000000000000000\n"
            "fl,,2,,,1000000000000000000000\n"
            "fl,,3,,,123456789012345680000\n"
            "fl,,4,,,0.000001\n"
            "fl,,5,,,0.0000009999\n"
            "fl,,6,,,0."
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000000000000000000000000000000000000005\n"
            "fl,,7,,,"
            "17976931348623157000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000000000000000000000000\n"
            "fl,,8,,,0.30000000000000004\n"
            "fl,,9,,,100\n"
            "fl,,10,,,"
            "15000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000\n"
            "fl,,11,,,0.00000000025\n"
            "fl,,12,,,123.456\n"
            "fl,,13,,,-0."
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000000000000001\n"
            "fl,,14,,,-0."
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000000000000000000000022250738585072014\n"
            "fl,,15,,,100000000000000000000000\n"
            "fl,,16,,,9007199254740992\n"
            "fl,,17,,,0.000123\n"
            "fl,,18,,,0.00001\n"
            "fl,,19,,,12345678901234568\n"
            "fl,,20,,,4.35\n"
            "fl,,21,,,2.675\n"
            "fl,,22,,,"
            "10000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000000000000\n"
            "fl,,23,,,0."
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "00000000000001\n"
            "fl,,24,,,0.0000003\n"
            "fl,,25,,,8410000000000000000000\n"
            "fl,,26,,,1.0000000000000002\n"
            "fl,,27,,,-0\n"
            "fl,,28,,,33.333333333333336\n"
            "fl,,100,9223372036854775807,-9223372036854775808,\n");
}
END_TEST

START_TEST(test_unsigned)
{
    /* Not in InfluxDB 1.6 builds: Go's encoders write a uint64 in decimal. */
    JSON();
    RESULT(0, WHOLE);
    SERIES("u", NOTAGS, COLS("u"));
    ROW(QU(UINT64_MAX));
    END_SERIES();
    END_RESULT();
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"u\",\"columns\":[\"u\"],"
            "\"values\":[[18446744073709551615]]}]}]}\n");
}
END_TEST

/* huge v=1.7e308 1, huge v=1 2 */
static void huge(int id, double sign)
{
    RESULT(id, ROWS);
    SERIES("huge", NOTAGS, COLS("time", "v"));
    ROW(QT(1), QF(sign * 1.7e308 * 10));
    ROW(QT(2), QF(sign * 10));
    END_SERIES();
    END_RESULT();
}

START_TEST(test_json_infinity_fails_the_body)
{
    JSON();
    huge(0, 1);
    /* SELECT v * 10 FROM huge */
    BODY_IS("json: error calling MarshalJSON for type httpd.Response: json: error calling "
            "MarshalJSON for type *query.Result: json: unsupported value: +Inf\n");
}
END_TEST

START_TEST(test_json_infinity_fails_its_chunk)
{
    CHUNKED(1);
    huge(0, 1);
    /* SELECT v * 10 FROM huge &chunked=true&chunk_size=1 */
    BODY_IS("json: error calling MarshalJSON for type httpd.Response: json: error calling "
            "MarshalJSON for type *query.Result: json: unsupported value: +Inf\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"huge\",\"columns\":["
            "\"time\",\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000002Z\",10]]}]}]}\n");
}
END_TEST

START_TEST(test_pretty_infinity)
{
    open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, true, false, 0);
    huge(0, -1);
    /* SELECT -v * 10 FROM huge &pretty=true */
    BODY_IS("json: error calling MarshalJSON for type httpd.Response: json: error calling "
            "MarshalJSON for type *query.Result: json: unsupported value: -Inf\n");
}
END_TEST

START_TEST(test_csv_infinity)
{
    CSV();
    RESULT(0, ROWS);
    SERIES("huge", NOTAGS, COLS("time", "v", "v_1"));
    ROW(QT(1), QF(-INFINITY), QF(INFINITY));
    ROW(QT(2), QF(-10), QF(10));
    END_SERIES();
    END_RESULT();
    /* SELECT -v * 10, v * 10 FROM huge (CSV) */
    BODY_IS("name,tags,time,v,v_1\n"
            "huge,,1,-Inf,+Inf\n"
            "huge,,2,-10,10\n");
}
END_TEST

START_TEST(test_infinity_in_a_later_statement)
{
    JSON();
    RESULT(0, ROWS);
    ck_series(NULL, 1, 8);
    END_RESULT();
    huge(1, -1);
    /* SELECT v FROM ck; SELECT -v * 10 FROM huge */
    BODY_IS("json: error calling MarshalJSON for type httpd.Response: json: error calling "
            "MarshalJSON for type *query.Result: json: unsupported value: -Inf\n");
    teardown();
    CHUNKED(1);
    RESULT(0, ROWS);
    ck_series(NULL, 1, 2);
    END_RESULT();
    huge(1, -1);
    /* SELECT v FROM ck LIMIT 2; SELECT -v * 10 FROM huge &chunked=true&chunk_size=1 */
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"columns\":[\"time\","
            "\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000001Z\",1]],\"partial\":true}],"
            "\"partial\":true}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"ck\",\"columns\":[\"time\","
            "\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000002Z\",2]]}]}]}\n"
            "json: error calling MarshalJSON for type httpd.Response: json: error calling "
            "MarshalJSON for type *query.Result: json: unsupported value: -Inf\n"
            "{\"results\":[{\"statement_id\":1,\"series\":[{\"name\":\"huge\",\"columns\":["
            "\"time\",\"v\"],\"values\":[[\"1970-01-01T00:00:00.000000002Z\",-10]]}]}]}\n");
}
END_TEST

START_TEST(test_nan)
{
    /* InfluxDB 1.6 turns NaN results into null before they reach its
     * writer; a NaN given fails the body as Go's encoder does. */
    JSON();
    RESULT(0, WHOLE);
    SERIES("n", NOTAGS, COLS("v"));
    ROW(QF(NAN));
    END_SERIES();
    END_RESULT();
    BODY_IS("json: error calling MarshalJSON for type httpd.Response: json: error calling "
            "MarshalJSON for type *query.Result: json: unsupported value: NaN\n");
    teardown();
    CSV();
    RESULT(0, WHOLE);
    SERIES("n", NOTAGS, COLS("v"));
    ROW(QF(NAN));
    END_SERIES();
    END_RESULT();
    BODY_IS("name,tags,v\nn,,NaN\n");
}
END_TEST

/* Strings, names and tags ------------------------------------------------------------ */

/* we\,ird,t\ k=a\,b\ c\=d,z=q\"x s="a,b",s2=" lead",s3="line1\nline2",
 *     s4="q\"q",s5="\\.",s6="tab\tx",v=0.5 10
 * we\,ird,t\ k=plain,z=é s="",s2="\\",s3="x",v=-0 20
 * SELECT * FROM "we,ird" GROUP BY * */
static void weird(void)
{
    RESULT(0, ROWS);
    SERIES("we,ird", TAGS({"z", "q\\\"x"}, {"t k", "a,b c=d"}),
           COLS("time", "s", "s2", "s3", "s4", "s5", "s6", "v"));
    ROW(QT(10), QS("a,b"), QS(" lead"), QS("line1\\nline2"), QS("q\"q"), QS("\\."), QS("tab\\tx"),
        QF(0.5));
    END_SERIES();
    SERIES("we,ird", TAGS({"t k", "plain"}, {"z", "\xc3\xa9"}),
           COLS("time", "s", "s2", "s3", "s4", "s5", "s6", "v"));
    ROW(QT(20), QS(""), QS("\\"), QS("x"), QN, QN, QN, QF(-0.0));
    END_SERIES();
    END_RESULT();
}

START_TEST(test_json_names_tags_strings)
{
    JSON();
    weird();
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"we,ird\",\"tags\":{\"t "
            "k\":\"a,b "
            "c=d\",\"z\":\"q\\\\\\\"x\"},\"columns\":[\"time\",\"s\",\"s2\",\"s3\",\"s4\",\"s5\","
            "\"s6\",\"v\"],\"values\":[[\"1970-01-01T00:00:00.00000001Z\",\"a,b\",\" "
            "lead\",\"line1\\\\nline2\",\"q\\\"q\",\"\\\\.\",\"tab\\\\tx\",0.5]]},{\"name\":\"we,"
            "ird\",\"tags\":{\"t k\":\"plain\",\"z\":\"\xc3"
            "\xa9"
            "\"},\"columns\":[\"time\",\"s\",\"s2\",\"s3\",\"s4\",\"s5\",\"s6\",\"v\"],\"values\":["
            "[\"1970-01-01T00:00:00.00000002Z\",\"\",\"\\\\\",\"x\",null,null,null,-0]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_quoting_and_tag_escapes)
{
    CSV();
    weird();
    BODY_IS("name,tags,time,s,s2,s3,s4,s5,s6,v\n"
            "\"we,ird\",\"t\\ k=a\\,b\\ c\\=d,z=q\\\"\"x\",10,\"a,b\",\" "
            "lead\",line1\\nline2,\"q\"\"q\",\"\\.\",tab\\tx,0.5\n"
            "\"we,ird\",\"t\\ k=plain,z=\xc3"
            "\xa9"
            "\",20,,\\,x,,,,-0\n");
}
END_TEST

/* A line with a newline, a tab, U+00A0, a CR, U+2028 and an invalid byte in
 * strings: nl s="l1<LF>l2",t="<TAB>tab",u="<U+00A0>nb",w="cr<CR>x",
 * x="<U+2028>ls",y="a<FF>b" 5; SELECT * FROM nl */
static void nl(void)
{
    RESULT(0, ROWS);
    SERIES("nl", NOTAGS, COLS("time", "s", "t", "u", "w", "x", "y"));
    ROW(QT(5), QS("l1\nl2"), QS("\ttab"), QS("\xc2\xa0nb"), QS("cr\rx"), QS("\xe2\x80\xa8ls"),
        QS("a\xff"
           "b"));
    END_SERIES();
    END_RESULT();
}

START_TEST(test_json_control_and_unicode)
{
    JSON();
    nl();
    BODY_IS("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"nl\",\"columns\":[\"time\","
            "\"s\",\"t\",\"u\",\"w\",\"x\",\"y\"],\"values\":[[\"1970-01-01T00:00:00.000000005Z\","
            "\"l1\\nl2\",\"\\ttab\",\"\xc2"
            "\xa0"
            "nb\",\"cr\\rx\",\"\\u2028ls\",\"a\\ufffdb\"]]}]}]}\n");
}
END_TEST

START_TEST(test_csv_control_and_unicode)
{
    CSV();
    nl();
    BODY_IS("name,tags,time,s,t,u,w,x,y\n"
            "nl,,5,\"l1\n"
            "l2\",\"\ttab\",\"\xc2"
            "\xa0"
            "nb\",\"cr\rx\",\"\xe2"
            "\x80"
            "\xa8"
            "ls\",a\xff"
            "b\n");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("qout_values");
    const TTest *tests[] = {test_time_rfc3339_before_1970,
                            test_time_zone_of_statement,
                            test_epochs_truncate_toward_zero,
                            test_csv_time_nanoseconds,
                            test_csv_epoch,
                            test_time_extremes,
                            test_time_int64_min,
                            test_epoch_only_first_column,
                            test_epoch_parse,
                            test_json_floats_as_go,
                            test_csv_floats_as_go,
                            test_unsigned,
                            test_json_infinity_fails_the_body,
                            test_json_infinity_fails_its_chunk,
                            test_pretty_infinity,
                            test_csv_infinity,
                            test_infinity_in_a_later_statement,
                            test_nan,
                            test_json_names_tags_strings,
                            test_csv_quoting_and_tag_escapes,
                            test_json_control_and_unicode,
                            test_csv_control_and_unicode};
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
