/* The data RPC: decodes DataRequest, runs it against the store, encodes DataResponse. */
#ifndef ST_SERVICE_H
#define ST_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "copy.h"
#include "shard.h"
#include "store.h"

/* What the RPC handler serves: the shards, and the ShardCopy sessions. */
struct st_data_service {
    st_store *store;
    st_copy *copy;
    st_shard_reader_pool *readers; /* scan readers the workers share; NULL: one per query */
};

/* An st_rpc_handler: @arg is a struct st_data_service. Always answers (errors travel in
 * DataResponse.error), so it returns ST_OK unless out of memory. */
int st_data_service_handle(void *arg, const uint8_t *req, size_t len, struct st_buf *resp);

/* Answers a Query into @out as a packed DataResponse. Scans with a reader
 * of @readers (borrowed; NULL: a reader of its own, set up and torn down
 * for this call). Implemented in query.c. */
struct Strata__Query;
int st_data_query(st_store *st, st_shard_reader_pool *readers, const struct Strata__Query *q,
                  struct st_buf *out);

#endif
