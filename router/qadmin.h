/* /query for the statements that manage the catalogue: parse, authorize, run against meta, answer
 * InfluxDB's JSON (st_qadmin_). */
#ifndef ST_QADMIN_H
#define ST_QADMIN_H

#include <stdbool.h>

#include "buf.h"
#include "client.h"
#include "owners.h"
#include "qout.h"
#include "qreg.h"
#include "write.h"

/* One /query request. Everything is borrowed for the call. */
struct st_qctx {
    st_mcli *meta; /* catalogue and commands */
    const char
        *db; /* the db= parameter, may be NULL (SHOW RETENTION POLICIES without ON uses it) */
    const char *user; /* authenticated user name, or NULL when auth is off or no user exists yet */
    bool auth;        /* auth enabled: check privileges (admin statements need an admin user) */
    bool pretty;      /* pretty=true: indented JSON like InfluxDB */
    bool get; /* a GET request: commands still run but each gets InfluxDB's deprecation warning */
    unsigned timeout_ms;        /* deadline per meta command (0: the client's default) */
    st_owners *owners;          /* data node clients for SELECT (NULL: SELECT is refused) */
    const char *rp;             /* the rp= parameter, may be NULL */
    enum st_qout_epoch epoch;   /* epoch=: how times are written */
    enum st_qout_format format; /* JSON, or CSV for Accept: application/csv */
    bool chunked;               /* chunked=true: one body per result (see qout.h) */
    size_t chunk_size;          /* chunk_size= (0: InfluxDB's 10000) */
    const char *params;         /* params=: JSON object of $name values, or NULL */
    unsigned query_timeout_ms;  /* deadline of one SELECT (0: 60 s) */
    uint64_t max_points;        /* points a SELECT may read (0: no limit) */
    uint64_t max_buckets;       /* GROUP BY time windows a SELECT may make (0: no limit) */
    uint64_t max_series; /* series of a measurement in a shard a SELECT may read (0: no limit) */
    const struct st_write_env *write; /* SELECT ... INTO writes here (NULL: INTO refused) */
    st_qreg *qreg; /* running queries: SHOW QUERIES, KILL QUERY (NULL: not answered) */
};

/*
 * Parses and runs @q (NUL-terminated); appends InfluxDB's /query body
 * (JSON or CSV, whole or chunked, as @ctx asks; see qout.h) to @out and
 * sets *@status:
 *
 *  200  {"results":[...]}: one result per statement, in order; a statement
 *       that fails has {"statement_id":N,"error":"..."} and the statements
 *       after it {"statement_id":M,"error":"not executed"}; a statement
 *       strata does not run yet (SHOW SERIES ...) answers "not implemented
 *       yet: SHOW SERIES" and does not stop the others. A query of no statements
 *       answers {}.
 *  400  {"error":"error parsing query: ..."}: @q is not InfluxQL;
 *       {"error":"error parsing query parameters: ..."}: params= is not a
 *       JSON object.
 *  401  {"error":"authorization failed"}: @ctx->user is not in the catalogue.
 *  403  {"error":"error authorizing query: ..."}: with auth, the whole query
 *       is refused before anything runs, as InfluxDB refuses it (see
 *       docs/influxql.md): a non-admin running an admin statement, a
 *       missing privilege, no user when users exist, or anything but CREATE
 *       USER ... WITH ALL PRIVILEGES first while no user exists.
 *  500  meta could not be reached: no catalogue yet ({"error":...}), or a
 *       command failed for want of a leader or an answer (the results, with
 *       that statement's error, so that clients retry).
 *
 * With auth on and no user in the catalogue, call this with @ctx->user
 * NULL: the query may then only start by creating an admin user, and the
 * rest of it runs with admin rights (InfluxDB's bootstrap rule).
 *
 * Returns ST_OK when a body was written (whatever the status), else
 * ST_ENOMEM (@out may hold part of a body: answer 500).
 */
int st_qadmin_run(const struct st_qctx *ctx, const char *q, struct st_buf *out, int *status);

/* st_qadmin_run in two steps, for answers sent while they are made
 * (chunked=true): the status is known once the query is parsed and
 * authorized, before anything runs. */
typedef struct st_qrun st_qrun;

/* Parses and authorizes @q. When the query is refused or answered as a
 * whole (400, 401, 403, 500 without results), appends that body to @out,
 * sets *@status and *@run to NULL; otherwise *@status is 200 and *@run the
 * query to pass to st_qadmin_exec. @ctx and @q must outlive *@run.
 * ST_OK, or ST_ENOMEM. */
int st_qadmin_prepare(const struct st_qctx *ctx, const char *q, struct st_buf *out, int *status,
                      st_qrun **run);

/* Runs every statement of @run. With @sink (chunked only), each complete
 * chunk goes to @sink as soon as it is complete, and the last is appended
 * to @out; otherwise the whole body is appended to @out. *@status as
 * st_qadmin_run sets it (a streamed answer has sent 200 already). Call
 * once. ST_OK, ST_ENOMEM, or what @sink returned. */
int st_qadmin_exec(st_qrun *run, st_qout_sink sink, void *arg, struct st_buf *out, int *status);

/* Frees @run (NULL is fine). */
void st_qadmin_free(st_qrun *run);

#endif
