/* A data node's life in the cluster: register, heartbeat, drop the shards it no longer owns. */
#ifndef ST_AGENT_H
#define ST_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * strata-data runs one agent when started with --meta (docs/data-node.md,
 * "In a cluster"). Its thread:
 *  - registers the node with strata-meta (RegisterNode) until that succeeds,
 *    and keeps the id meta assigned in <dir>/node.id, so a restarted node is
 *    the same node;
 *  - heartbeats every heartbeat_ms; meta marks a silent node DOWN and a node
 *    that heartbeats again UP;
 *  - reconciles the local shards with the catalogue (kept fresh by the meta
 *    client library's watch): a shard whose group is deleted (retention,
 *    DROP DATABASE, DROP RETENTION POLICY) is dropped at once; a shard the
 *    catalogue gives to other nodes only, or no longer knows, is dropped
 *    once that has been so for drop_grace_ms, so that a shard being copied
 *    in by a rebalance, or a catalogue change in flight, never loses data.
 *    Shards newer than anything the catalogue knows (id >= next_shard_id)
 *    are left alone.
 * The node serves reads and writes whether or not meta answers.
 */

typedef struct st_agent st_agent;

struct st_agent_opts {
    const char *const *meta; /* meta RPC URLs */
    size_t nmeta;            /* >= 1 */
    const char *dir;         /* the data directory (node.id lives here) */
    const char *rpc_addr;    /* this node's data RPC URL as other nodes reach it */
    const char *http_addr;   /* host:port of its HTTP endpoint, or NULL */
    unsigned heartbeat_ms;   /* 0: 1000 */
    unsigned drop_grace_ms;  /* 0: 300000 (5 minutes) */
};

/* Starts the agent's thread on @store (borrowed; must outlive the agent).
 * Returns at once: registration happens in the background. ST_EINVAL (bad
 * options or an unreadable node.id, message in @err), ST_ENOMEM. */
int st_agent_start(const struct st_agent_opts *opts, st_store *store, st_agent **out, char *err,
                   size_t errlen);

/* Stops the thread and frees @a. NULL is fine. */
void st_agent_stop(st_agent *a);

/* The node id meta assigned (0 until registered). */
uint64_t st_agent_node_id(st_agent *a);

#endif
