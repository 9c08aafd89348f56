/* The query engine: SELECT across shards, merged on the router (st_query_). */
#ifndef ST_QUERY_H
#define ST_QUERY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "influxql.h"
#include "owners.h"
#include "qout.h"
#include "tz.h"

/*
 * st_query_select() runs one SELECT (docs/query-engine.md): it finds the
 * shard groups of the source's policy that overlap the WHERE time range,
 * asks one live owner of each shard (another owner when one fails) for
 * partial aggregates or raw rows, merges the answers exactly, then applies
 * fill, LIMIT/OFFSET and SLIMIT/SOFFSET and builds the series InfluxDB
 * would answer.
 *
 * The result is a list of series (name, tags, columns, rows of values),
 * owned by the caller (st_qres_free()); its strings live in the result.
 */

struct st_query_env {
    st_mcli *meta;             /* catalogue (borrowed) */
    st_owners *owners;         /* data node clients (borrowed) */
    unsigned timeout_ms;       /* deadline of the whole statement; 0: 60000 */
    uint64_t max_points;       /* refuse a statement that reads more points; 0: no limit */
    uint64_t max_buckets;      /* refuse a GROUP BY time of more windows; 0: no limit */
    uint64_t max_series;       /* refuse a statement over more series of one measurement in a
                                * shard (InfluxDB's max-select-series); 0: no limit */
    const atomic_bool *killed; /* KILL QUERY: stop at the next data node call (NULL: never) */
};

struct st_query_req {
    /* Bounds the statement's time range is limited to (a subquery's, by
     * its outer statement's), inclusive. */
    bool has_tmin, has_tmax;
    int64_t tmin, tmax;
    /* The statement is a subquery: a raw one keeps every series' tags (its
     * rows are grouped by series), as the outer statement may group or
     * filter by any of them, as in InfluxDB. */
    bool keep_tags;
    const char *db; /* the db= parameter (NULL or "": none) */
    const char *rp; /* the rp= parameter (NULL or "": the database's default) */
    int64_t now_ns; /* now() of the query */
};

struct st_qseries {
    const char *name;
    struct st_qout_tag *tags; /* sorted by key; NULL when ntags is 0 */
    size_t ntags;
    const char **columns; /* "time" first */
    size_t ncolumns;
    const bool *is_tag;   /* per column: a tag selected as a column (NULL: none is) */
    struct st_qv *values; /* nrows * ncolumns, row-major */
    size_t nrows;
};

struct st_qres {
    struct st_qseries *series;
    size_t nseries;
    bool implicit_tags; /* series tags kept for a subquery (st_query_req.keep_tags), not grouped */
    struct st_tz *tz;   /* the statement's tz() zone (owned; NULL: UTC): its rows' times are
                         * written in it (st_qout_time_zone) */
    void *mem;          /* private */
};

/* Runs @sel (a SELECT statement, borrowed). ST_OK: *@out is the result (may
 * hold no series). ST_EINVAL: the statement failed; InfluxDB's message is in
 * @err (the statement's "error"). ST_EUNAVAIL: no owner of some shard
 * answered (message in @err). ST_ENOMEM. */
int st_query_select(const struct st_query_env *env, const struct st_query_req *req,
                    const struct st_iql_select *sel, struct st_qres **out, struct st_buf *err);

/* Frees @r and everything it holds. NULL is fine. */
void st_qres_free(struct st_qres *r);

#endif
