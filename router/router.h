/* strata-router: the InfluxDB 1.x HTTP endpoints on top of meta, owners and the write path. */
#ifndef ST_ROUTER_H
#define ST_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

/*
 * A router holds no data of its own: the catalogue comes from meta (a
 * watched local copy), points go to data nodes. Its one piece of disk
 * state is the hinted-handoff queues under opts.dir, replayed after a
 * restart (docs/router-write.md).
 *
 * Endpoints (docs/router-api.md): POST /write, POST /api/v2/write,
 * GET|POST /query, GET|HEAD /ping, GET /health, GET /metrics.
 */

typedef struct st_router st_router;

struct st_router_opts {
    const char *const *meta; /* meta RPC URLs */
    size_t nmeta;
    const char *dir;             /* hinted-handoff queues live in DIR/hh */
    bool auth;                   /* require credentials (users from the catalogue) */
    unsigned write_timeout_ms;   /* deadline of the owners' answers; 0: 10000 */
    unsigned meta_timeout_ms;    /* deadline of a meta command; 0: 10000 */
    uint64_t hh_max_bytes;       /* bound of each data node's queue; 0: 1 GiB */
    unsigned query_timeout_ms;   /* deadline of one SELECT; 0: 60000 */
    uint64_t max_select_point;   /* points a SELECT may read; 0: no limit (InfluxDB's default) */
    uint64_t max_select_buckets; /* GROUP BY time windows a SELECT may make; 0: no limit */
    uint64_t max_select_series;  /* series per measurement and shard a SELECT may read; 0: none */
};

int st_router_open(const struct st_router_opts *opts, st_router **out, char *err, size_t errlen);

/* Waits up to @timeout_ms for the first catalogue. ST_OK or ST_ETIMEDOUT. */
int st_router_wait_ready(st_router *r, unsigned timeout_ms);

/* Stops the replayers and the meta client, frees. The HTTP server must be
 * closed first. NULL is fine. */
void st_router_close(st_router *r);

/* The st_http_handler of every endpoint; @arg is the st_router. */
void st_router_handle(void *arg, const struct st_http_req *req, struct st_http_resp *resp);

#endif
