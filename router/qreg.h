/* The queries a router is running, for SHOW QUERIES and KILL QUERY (st_qreg_). */
#ifndef ST_QREG_H
#define ST_QREG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/*
 * Every /query request registers its text while it runs; SHOW QUERIES lists
 * them with InfluxDB's columns (qid, query, database, duration, status) and
 * KILL QUERY n marks one killed: its statements stop at their next data
 * node call with "query interrupted", as InfluxDB's do. Ids start at 1 and
 * are this router's own (InfluxDB's are per server too). Thread-safe.
 */
typedef struct st_qreg st_qreg;

int st_qreg_open(st_qreg **out);
void st_qreg_close(st_qreg *r); /* NULL is fine; no query may be registered */

/* Registers a running query (@text and @db copied; @db may be NULL).
 * *@killed is set when it is killed, until st_qreg_remove. ST_OK or
 * ST_ENOMEM. */
int st_qreg_add(st_qreg *r, const char *text, const char *db, uint64_t *qid,
                const atomic_bool **killed);

void st_qreg_remove(st_qreg *r, uint64_t qid);

/* Marks @qid killed; false when no such query runs. */
bool st_qreg_kill(st_qreg *r, uint64_t qid);

/* One running query, borrowed for the callback. */
struct st_qreg_query {
    uint64_t qid;
    const char *text;
    const char *db;      /* "" when none */
    int64_t duration_ns; /* since it was registered */
    bool killed;
};

/* Calls @fn for every running query, oldest first, under the registry's
 * lock (@fn must not call st_qreg_*). Stops at the first non-ST_OK. */
int st_qreg_each(st_qreg *r, int (*fn)(void *arg, const struct st_qreg_query *q), void *arg);

/* Appends @ns as Go's time.Duration.String() writes it ("89µs", "1.5s",
 * "2m3.5s"), as InfluxDB shows a query's duration. */
int st_qreg_duration(struct st_buf *out, int64_t ns);

#endif
