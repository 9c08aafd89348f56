/* The replicated write path: line protocol in, batches per shard out to every owner. */
#ifndef ST_WRITE_H
#define ST_WRITE_H

#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "lineproto.h"
#include "owners.h"

/*
 * st_write_run() takes one /write body: parses it, finds each point's
 * shard group (creating missing groups through meta, once per group) and
 * shard (series hash), appends the point in canonical line protocol to its
 * shard's batch, sends every batch to each of the shard's owners at once
 * and waits until the consistency level is decided for every shard. An
 * owner that is DOWN, has batches queued, or does not answer gets the batch
 * in its hinted-handoff queue instead (docs/router-write.md).
 *
 * Memory: the parse arrays and batch buffers live in a per-thread context
 * reused across requests, so a steady stream of requests allocates nothing
 * per point or per field.
 */

enum st_consistency {
    ST_CONSISTENCY_ANY,
    ST_CONSISTENCY_ONE,
    ST_CONSISTENCY_QUORUM,
    ST_CONSISTENCY_ALL,
};

/* "any", "one", "quorum" (also "" or NULL: the default), "all".
 * ST_OK or ST_EINVAL. */
int st_consistency_parse(const char *s, enum st_consistency *out);

struct st_write_env {
    st_mcli *meta;
    st_owners *owners;
    unsigned timeout_ms; /* deadline of the owners' answers; 0: 10000 */
    const char *origin;  /* this router's id (WriteBatch.origin) */
};

struct st_write_req {
    const char *db;
    const char *rp; /* NULL or "": the database's default */
    enum st_precision precision;
    enum st_consistency consistency;
    const char *body;
    size_t len;
    int64_t now_ns; /* for points without a timestamp and for retention */
};

struct st_write_res {
    int status;          /* HTTP status: 204, 400, 404, 500, 503 */
    struct st_buf error; /* the "error" text when status is not 204 (caller-initialized) */
    uint64_t points;     /* points written (acknowledged at the level) */
    uint64_t dropped;    /* points refused (parse errors, beyond retention, type conflicts) */
    uint64_t hinted;     /* batches queued for owners */
};

/* Runs one write. Returns ST_OK when @res says what to answer (even an
 * error); ST_ENOMEM otherwise. */
int st_write_run(const struct st_write_env *env, const struct st_write_req *req,
                 struct st_write_res *res);

#endif
