/* Fixture and data of tests/router/test_qout*.c. The data is what was
 * written to InfluxDB 1.6 to record the expected bodies:
 *
 *   cpu,host=a,region=west v=1.5,i=3i,s="hi",b=true 1577836800000000000
 *   cpu,host=a,region=west v=2,i=-4i,s="x<y>&\"q\"",b=false 1577836801500000000
 *   cpu,host=b v=0.1,i=5i 1577836802000000000
 *   cpu,host=b v=1e21,i=6i 1577836803000000001
 *   cpu,host=b v=1e-7 1577836804123000000
 *   mem,host=a used=10 -1500000000
 *   mem,host=a used=12345678.125 -1
 *   mem,host=a used=0.000001 0
 *   ck,host=a v=1 1 ... ck,host=a v=5 5, ck,host=b v=6 6, v=7 7, ck,host=c v=8 8
 *   big v=1 1 ... big v=10001 10001
 */
#include "t_qout.h"

#include <stdio.h>
#include <string.h>

st_qout *q;
struct st_buf out;

void open_q(enum st_qout_format f, enum st_qout_epoch e, bool pretty, bool chunked,
            size_t chunk_size)
{
    st_buf_init(&out);
    ck_assert_int_eq(st_qout_new(f, e, pretty, chunked, chunk_size, &q), ST_OK);
}

void teardown(void)
{
    st_qout_free(q);
    q = NULL;
    st_buf_fini(&out);
}

const struct st_buf *finish_body(void)
{
    OK(st_qout_finish(q, &out));
    return &out;
}

void check_bytes(const struct st_buf *got, const char *want, size_t n)
{
    const char *p = got->p ? got->p : "";
    ck_assert_msg(got->len == n && memcmp(p, want, n) == 0,
                  "got %zu bytes:\n%s\nwant %zu bytes:\n%s", got->len, p, n, want);
}

/* SELECT * FROM cpu */
void cpu_all(int id)
{
    RESULT(id, ROWS);
    SERIES("cpu", NOTAGS, COLS("time", "b", "host", "i", "region", "s", "v"));
    ROW(QT(1577836800000000000), QB(true), QS("a"), QI(3), QS("west"), QS("hi"), QF(1.5));
    ROW(QT(1577836801500000000), QB(false), QS("a"), QI(-4), QS("west"), QS("x<y>&\"q\""), QF(2));
    ROW(QT(1577836802000000000), QN, QS("b"), QI(5), QN, QN, QF(0.1));
    ROW(QT(1577836803000000001), QN, QS("b"), QI(6), QN, QN, QF(1e21));
    ROW(QT(1577836804123000000), QN, QS("b"), QN, QN, QN, QF(1e-7));
    END_SERIES();
    END_RESULT();
}

static void mean_series(const struct st_qout_tag *tags, size_t ntags, double mean)
{
    OK(st_qout_begin_series(q, "cpu", tags, ntags, COLS("time", "mean")));
    ROW(QT(0), QF(mean));
    END_SERIES();
}

/* SELECT mean(v) FROM cpu GROUP BY host,region (tags given unsorted) */
void cpu_mean_by_host_region(int id)
{
    RESULT(id, ROWS);
    mean_series(TAGS({"region", "west"}, {"host", "a"}), 1.75);
    mean_series(TAGS({"region", ""}, {"host", "b"}), 333333333333333300000.0);
    END_RESULT();
}

/* SELECT mean(v) FROM cpu GROUP BY region */
void cpu_mean_by_region(int id)
{
    RESULT(id, ROWS);
    mean_series(TAGS({"region", ""}), 333333333333333300000.0);
    mean_series(TAGS({"region", "west"}), 1.75);
    END_RESULT();
}

/* SELECT mean(v) FROM cpu GROUP BY host */
void cpu_mean_by_host(int id)
{
    RESULT(id, ROWS);
    mean_series(TAGS({"host", "a"}), 1.75);
    mean_series(TAGS({"host", "b"}), 333333333333333300000.0);
    END_RESULT();
}

/* SELECT used FROM mem */
void mem_used(int id)
{
    RESULT(id, ROWS);
    SERIES("mem", NOTAGS, COLS("time", "used"));
    ROW(QT(-1500000000), QF(10));
    ROW(QT(-1), QF(12345678.125));
    ROW(QT(0), QF(0.000001));
    END_SERIES();
    END_RESULT();
}

/* A statement without series: SELECT * FROM nope */
void nothing(int id)
{
    RESULT(id, ROWS);
    END_RESULT();
}

void ck_series(const char *host, int from, int to)
{
    if (host != NULL)
        SERIES("ck", TAGS({"host", host}), COLS("time", "v"));
    else
        SERIES("ck", NOTAGS, COLS("time", "v"));
    for (int i = from; i <= to; i++)
        ROW(QT(i), QF(i));
    END_SERIES();
}

/* SELECT v FROM ck GROUP BY host: a 1..5, b 6..7, c 8 */
void ck_by_host(int id)
{
    RESULT(id, ROWS);
    ck_series("a", 1, 5);
    ck_series("b", 6, 7);
    ck_series("c", 8, 8);
    END_RESULT();
}

/* SELECT v FROM ck GROUP BY host; SELECT v FROM ck WHERE host='c';
 * SELECT * FROM nope; SELECT v FROM ck WHERE host='b' GROUP BY host */
void ck_statements(void)
{
    ck_by_host(0);
    RESULT(1, ROWS);
    ck_series(NULL, 8, 8);
    END_RESULT();
    nothing(2);
    RESULT(3, ROWS);
    ck_series("b", 6, 7);
    END_RESULT();
}

const char DEPRECATED[] = "deprecated use of 'CREATE DATABASE db2' in a read only context, "
                          "please use a POST request instead";

/* CREATE DATABASE db2, by GET */
void create_database_get(int id)
{
    RESULT(id, WHOLE);
    OK(st_qout_message(q, "warning", DEPRECATED));
    END_RESULT();
}

/* SHOW DATABASES */
void show_databases(int id)
{
    RESULT(id, WHOLE);
    SERIES("databases", NOTAGS, COLS("name"));
    ROW(QS("db"));
    ROW(QS("_internal"));
    ROW(QS("db2"));
    END_SERIES();
    END_RESULT();
}

/* SHOW USERS, no users */
void show_users(int id)
{
    RESULT(id, WHOLE);
    SERIES("", NOTAGS, COLS("user", "admin"));
    END_SERIES();
    END_RESULT();
}

/* SHOW TAG KEYS */
void show_tag_keys(int id)
{
    RESULT(id, PER_SERIES);
    SERIES("ck", NOTAGS, COLS("tagKey"));
    ROW(QS("host"));
    END_SERIES();
    SERIES("cpu", NOTAGS, COLS("tagKey"));
    ROW(QS("host"));
    ROW(QS("region"));
    END_SERIES();
    SERIES("mem", NOTAGS, COLS("tagKey"));
    ROW(QS("host"));
    END_SERIES();
    SERIES("we,ird", NOTAGS, COLS("tagKey"));
    ROW(QS("t k"));
    ROW(QS("z"));
    END_SERIES();
    END_RESULT();
}

/* SELECT v FROM big, time and value 1..n */
void big(size_t n, size_t take_every)
{
    RESULT(0, ROWS);
    SERIES("big", NOTAGS, COLS("time", "v"));
    for (size_t i = 1; i <= n; i++) {
        ROW(QT((int64_t)i), QF((double)i));
        if (take_every && i % take_every == 0)
            OK(st_qout_take(q, &out));
    }
    END_SERIES();
    END_RESULT();
}

void big_values(struct st_buf *b, size_t from, size_t to)
{
    for (size_t i = from; i <= to; i++) {
        char t[64];
        snprintf(t, sizeof t, "%09zu", i);
        size_t k = strlen(t);
        while (t[k - 1] == '0')
            t[--k] = '\0';
        OK(st_buf_printf(b, "%s[\"1970-01-01T00:00:00.%sZ\",%zu]", i > from ? "," : "", t, i));
    }
}
