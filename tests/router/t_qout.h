/* Helpers of tests/router/test_qout*.c: a st_qout per test, values and
 * calls that read like the statements they answer, and the data those
 * statements were recorded from on InfluxDB 1.6 (t_qout.c). */
#ifndef T_QOUT_H
#define T_QOUT_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "qout.h"

extern st_qout *q;        /* the writer of the test */
extern struct st_buf out; /* what it wrote */

/* Opens q; the checked fixture's teardown() frees it. */
void open_q(enum st_qout_format f, enum st_qout_epoch e, bool pretty, bool chunked,
            size_t chunk_size);
void teardown(void);

#define JSON() open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, false, false, 0)
#define CSV() open_q(ST_QOUT_CSV, ST_QOUT_EPOCH_RFC3339, false, false, 0)
#define CHUNKED(size) open_q(ST_QOUT_JSON, ST_QOUT_EPOCH_RFC3339, false, true, (size))

#define QN                 \
    {                      \
        .kind = ST_QV_NULL \
    }
#define QF(x)                         \
    {                                 \
        .kind = ST_QV_FLOAT, .f = (x) \
    }
#define QI(x)                       \
    {                               \
        .kind = ST_QV_INT, .i = (x) \
    }
#define QU(x)                        \
    {                                \
        .kind = ST_QV_UINT, .u = (x) \
    }
#define QB(x)                        \
    {                                \
        .kind = ST_QV_BOOL, .b = (x) \
    }
#define QT(x)                        \
    {                                \
        .kind = ST_QV_TIME, .t = (x) \
    }
#define QS(x)                                            \
    {                                                    \
        .kind = ST_QV_STRING, .s = {(x), sizeof(x) - 1 } \
    }

#define OK(call) ck_assert_int_eq((call), ST_OK)
#define RESULT(id, shape) OK(st_qout_begin_result(q, (id), ST_QOUT_##shape))
#define END_RESULT() OK(st_qout_end_result(q))
#define NOTAGS NULL, 0
#define TAGS(...)                              \
    (const struct st_qout_tag[]){__VA_ARGS__}, \
        sizeof((const struct st_qout_tag[]){__VA_ARGS__}) / sizeof(struct st_qout_tag)
#define COLS(...)                       \
    (const char *const[]){__VA_ARGS__}, \
        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)
#define SERIES(name, tags, cols) OK(st_qout_begin_series(q, (name), tags, cols))
#define ROW(...)                                           \
    OK(st_qout_row(q, (const struct st_qv[]){__VA_ARGS__}, \
                   sizeof((const struct st_qv[]){__VA_ARGS__}) / sizeof(struct st_qv)))
#define END_SERIES() OK(st_qout_end_series(q))

/* Finishes the answer into out, which must then be @want (a literal). */
#define BODY_IS(want) check_bytes(finish_body(), (want), sizeof(want) - 1)
const struct st_buf *finish_body(void);

/* Fails the test unless @got holds exactly @n bytes @want. */
void check_bytes(const struct st_buf *got, const char *want, size_t n);

/* The statements, each answered as statement @id (see t_qout.c). */
void cpu_all(int id);                 /* SELECT * FROM cpu */
void cpu_mean_by_host_region(int id); /* SELECT mean(v) FROM cpu GROUP BY host,region */
void cpu_mean_by_region(int id);      /* SELECT mean(v) FROM cpu GROUP BY region */
void cpu_mean_by_host(int id);        /* SELECT mean(v) FROM cpu GROUP BY host */
void mem_used(int id);                /* SELECT used FROM mem */
void nothing(int id);                 /* SELECT * FROM nope */
void ck_by_host(int id);              /* SELECT v FROM ck GROUP BY host */
void ck_statements(void);             /* four statements on ck, ids 0..3 */
void create_database_get(int id);     /* CREATE DATABASE db2, by GET: a warning */
void show_databases(int id);          /* SHOW DATABASES */
void show_users(int id);              /* SHOW USERS, no users */
void show_tag_keys(int id);           /* SHOW TAG KEYS */

/* A series of ck: tag host=@host (NULL: no tags), time and value @from..@to. */
void ck_series(const char *host, int from, int to);

/* SELECT v FROM big (statement 0): time and value 1..@n; take() every
 * @take_every rows into out (0: never). */
void big(size_t n, size_t take_every);

/* Appends the JSON rows of big from @from to @to, comma separated. */
void big_values(struct st_buf *b, size_t from, size_t to);

#endif
