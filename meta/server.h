/* A strata-meta node: the catalogue replicated by raft and served over the meta RPC. */
#ifndef ST_MSRV_H
#define ST_MSRV_H

#include <stddef.h>
#include <stdint.h>

/*
 * One st_msrv is one meta node (docs/meta-server.md): an st_mraft raft
 * server whose state machine is an st_cat catalogue, an nng RPC endpoint
 * answering MetaRequest with MetaResponse, and a leader loop that, while
 * this node leads, keeps the catalogue's meta members in line with the raft
 * configuration, marks silent data nodes DOWN and deletes expired shard
 * groups.
 *
 * Reads (GetCatalogue, Watch) are answered from the local catalogue on any
 * node. Changes (Apply, RegisterNode, Heartbeat, Membership) are served by
 * the leader; another node forwards them once to the leader it knows.
 *
 * The process must ignore SIGPIPE before st_msrv_start() (see mraft.h).
 */

typedef struct st_msrv st_msrv;

/* A meta member: raft id and both its addresses. */
struct st_msrv_member {
    uint64_t id;           /* raft server id, > 0 */
    const char *raft_addr; /* raft transport "host:port" */
    const char *rpc_url;   /* meta RPC nng URL, "tcp://host:port" */
};

/* Defaults (a 0 in the config selects them). */
#define ST_MSRV_ELECTION_MS 500
#define ST_MSRV_HEARTBEAT_MS 50
#define ST_MSRV_SNAPSHOT_THRESHOLD 1024
#define ST_MSRV_SNAPSHOT_TRAILING 128
#define ST_MSRV_APPLY_MS 5000
#define ST_MSRV_NODE_TIMEOUT_MS 10000
#define ST_MSRV_RETENTION_CHECK_MS 60000
#define ST_MSRV_WORKERS 64

struct st_msrv_config {
    uint64_t id;                          /* this node's raft id, > 0 */
    const char *dir;                      /* raft log and snapshots, created if missing */
    const char *raft_addr;                /* raft "host:port" to listen on and advertise */
    const char *listen;                   /* meta RPC nng URL; port 0 picks one */
    const struct st_msrv_member *members; /* bootstraps a fresh dir; ignored on restart */
    size_t nmembers;                      /* 0: start empty, wait for ADD_VOTER */
    unsigned election_timeout_ms;         /* 0: ST_MSRV_ELECTION_MS */
    unsigned heartbeat_timeout_ms;        /* 0: ST_MSRV_HEARTBEAT_MS */
    unsigned snapshot_threshold;          /* 0: ST_MSRV_SNAPSHOT_THRESHOLD */
    unsigned snapshot_trailing;           /* 0: ST_MSRV_SNAPSHOT_TRAILING */
    unsigned apply_timeout_ms;            /* commit wait of one proposal; 0: ST_MSRV_APPLY_MS */
    unsigned node_timeout_ms;             /* data node silence before DOWN; 0: default */
    unsigned retention_check_ms;          /* period of the retention scan; 0: default */
    int workers;                          /* RPC worker threads; 0: ST_MSRV_WORKERS */
    unsigned default_replication;         /* RF of a CREATE DATABASE that names none; 0: 1 */
};

/* Starts the node: raft (bootstrap or restart from @cfg->dir), the leader
 * loop, then the RPC endpoint. Borrows @cfg (everything is copied). On
 * success *@out is the node; the caller stops and frees it with
 * st_msrv_stop(). On error a message goes to @err (@errlen bytes, may be
 * NULL): ST_EINVAL (bad config), ST_ENOMEM, or the raft/RPC error. */
int st_msrv_start(const struct st_msrv_config *cfg, st_msrv **out, char *err, size_t errlen);

/* The TCP port the RPC endpoint listens on (useful after port 0). */
int st_msrv_port(const st_msrv *s);

/* Stops answering (watchers are woken and answered at once; handlers in a
 * raft proposal finish it, at most the apply timeout), stops the leader loop
 * and raft, and frees @s. NULL is a no-op. */
void st_msrv_stop(st_msrv *s);

#endif
