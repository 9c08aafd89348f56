/* The data nodes a router writes to: RPC clients, hinted handoff, per-node statistics. */
#ifndef ST_OWNERS_H
#define ST_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "common.pb-c.h"
#include "rpc.h"

/*
 * One st_owner per data node id the router has sent to, created on first
 * use and kept for the process's life (so callers hold plain pointers).
 * Each has an nng client to the node's rpc_addr from the catalogue (a new
 * client when the address changes; old ones are closed at the end), a
 * hinted-handoff queue in DIR/<node id>/ opened on first need, and a
 * replayer thread that sends queued batches, in order, once the node
 * answers again (docs/router-write.md).
 */

typedef struct st_owners st_owners;
struct st_owner;

struct st_owners_opts {
    const char *hh_dir;    /* DIR: one queue directory per node under it (created) */
    uint64_t hh_max_bytes; /* bound of each node's queue; 0: 1 GiB */
    unsigned timeout_ms;   /* deadline of a replayed batch; 0: 10000 */
    st_mcli *meta;         /* for node addresses while replaying (borrowed) */
};

/* Opens queues left by an earlier run (their replayers start at once).
 * Caller owns the set (st_owners_close()). */
int st_owners_open(const struct st_owners_opts *opts, st_owners **out, char *err, size_t errlen);

/* Stops the replayers and frees everything. NULL is fine. */
void st_owners_close(st_owners *o);

/* The owner for data node @id, with its client pointed at the node's
 * address in @cat. NULL when @id is not in @cat or out of memory. */
struct st_owner *st_owners_get(st_owners *o, const Strata__Catalogue *cat, uint64_t id);

/* The node's client (valid while the st_owners lives). */
st_rpc_client *st_owner_client(struct st_owner *w);
uint64_t st_owner_id(const struct st_owner *w);

/* True while batches wait in the node's queue: new batches for the node go
 * to the queue too, behind them, so a replay never overwrites newer data. */
bool st_owner_has_hints(struct st_owner *w);

/* Queues a batch (a packed DataRequest) for the node, durably. ST_ENOSPC
 * when the queue is full; other errors as st_hh_append(). */
int st_owner_hint(struct st_owner *w, const void *req, size_t len, char *err, size_t errlen);

/* Whether a data node's answer @code means "not now, later" (UNAVAILABLE,
 * TIMEOUT, DISK_FULL, OUT_OF_MEMORY, CANCELED, IO_ERROR, STALE_CATALOGUE):
 * the batch is queued or kept for another try, not dropped. */
bool st_owner_retry_later(Strata__ErrorCode code);

/* Records one direct write call: its latency and whether it succeeded. */
void st_owner_observe(struct st_owner *w, uint64_t micros, bool ok);

/* Appends Prometheus text for every owner: write calls, failures, latency
 * histogram, hinted-handoff bytes and records, replayed batches. */
int st_owners_metrics(st_owners *o, struct st_buf *out);

#endif
