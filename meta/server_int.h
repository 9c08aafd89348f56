/* st_msrv internals shared by server*.c: the node, the catalogue state, replies. */
#ifndef ST_MSRV_INT_H
#define ST_MSRV_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "catalogue.h"
#include "meta.pb-c.h"
#include "mraft.h"
#include "request.h"
#include "rpc.h"
#include "server.h"

/* ---- The replicated state (server_fsm.c) --------------------------------- */

/* The catalogue and what readers on RPC threads wait on. The FSM callbacks
 * run on the raft loop thread and take @mu; nobody holds @mu while calling
 * into st_mraft (the loop thread would deadlock on it). */
struct msrv_state {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* broadcast after every apply and restore, and on stop (monotonic) */
    st_cat *cat;         /* (mu) */
    bool stopping;       /* (mu) watchers answer at once */
};

/* Initializes @st with an empty catalogue. ST_OK or ST_ENOMEM; on error
 * msrv_state_fini() is still safe. */
int msrv_state_init(struct msrv_state *st);
void msrv_state_fini(struct msrv_state *st);

/* Wakes every watcher for good (they answer "not changed"). */
void msrv_state_stop(struct msrv_state *st);

/* The st_mraft callbacks over @st (borrowed for the life of raft). */
struct st_mraft_fsm msrv_state_fsm(struct msrv_state *st);

/* What an applied command hands back to the handler that proposed it: self
 * contained, since st_cat's result borrows the state until the next apply. */
struct msrv_result {
    int code;                  /* Strata__ErrorCode of the command */
    char message[512];         /* InfluxDB-worded error text, "" on success */
    uint64_t assigned_id;      /* AddDataNode: the node's id */
    Strata__ShardGroup *group; /* CreateShardGroup: a copy of the group (owned), else NULL */
};

/* Frees @r and its group. NULL is fine. */
void msrv_result_free(struct msrv_result *r);

/* ---- Replies and the read path (server_read.c) ---------------------------- */

/* A MetaResponse under construction; strings it points to live in it. */
struct msrv_reply {
    Strata__MetaResponse resp;
    Strata__Error error;
    char msg[1024];
    char leader_addr[ST_MREQ_MAX_ADDR + 1];
};

void msrv_reply_init(struct msrv_reply *r);

/* Sets the error of @r (printf-style message). */
void msrv_reply_fail(struct msrv_reply *r, Strata__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends the packed response to @out. ST_OK or ST_ENOMEM. */
int msrv_reply_pack(const struct msrv_reply *r, struct st_buf *out);

/* Answers GetCatalogue from @st into @out (empty on entry): the catalogue,
 * or STALE_CATALOGUE when its index is below @q->min_index. The envelope is
 * written by hand around st_cat_encode()'s cached bytes (no unpack/repack).
 * ST_OK or ST_ENOMEM. */
int msrv_answer_catalogue(struct msrv_state *st, const Strata__GetCatalogueRequest *q,
                          struct st_buf *out);

/* Answers Watch: waits until the index exceeds @q->after_index (0: at once)
 * or @q->timeout_ms passes (changed=false), or the node stops. */
int msrv_answer_watch(struct msrv_state *st, const Strata__WatchRequest *q, struct st_buf *out);

/* Answers RegisterNode with @node_id and the local catalogue. */
int msrv_answer_register(struct msrv_state *st, uint64_t node_id, struct st_buf *out);

/* The local catalogue index. */
uint64_t msrv_state_index(struct msrv_state *st);

/* ---- The node (server.c) -------------------------------------------------- */

struct msrv_member {
    uint64_t id;
    char raft_addr[ST_MRAFT_ADDR_MAX];
    char rpc_url[ST_MREQ_MAX_ADDR + 1];
};

/* One RPC client per meta RPC URL we forwarded to; kept until stop. */
struct msrv_peer {
    char url[ST_MREQ_MAX_ADDR + 1];
    st_rpc_client *cli;
};

/* When the leader last heard from a data node (monotonic ns). */
struct msrv_seen {
    uint64_t id;
    int64_t mono_ns;
};

struct st_msrv {
    uint64_t id;
    char listen[ST_MREQ_MAX_ADDR + 1];
    struct msrv_member *members; /* --members, owned */
    size_t nmembers;
    unsigned apply_ms, node_timeout_ms, retention_ms;
    unsigned default_rf; /* --default-replication (>= 1) */

    struct msrv_state state;
    st_mraft *raft;
    st_rpc_server *rpc;
    pthread_t loop;
    bool loop_started;
    /* The leader loop's barrier of this term of leadership is done: every
     * entry committed before it is in the local catalogue. */
    atomic_bool caught_up;

    pthread_mutex_t mu;      /* guards the fields below */
    pthread_cond_t cond;     /* wakes the leader loop on stop (monotonic) */
    bool stopping;           /* (mu) */
    struct msrv_peer *peers; /* (mu) */
    size_t npeers;           /* (mu) */
    struct msrv_seen *seen;  /* (mu) sorted by id */
    size_t nseen, capseen;   /* (mu) */
};

/* Clocks: wall-clock ns for commands (they go into the catalogue),
 * monotonic ns for timeouts. */
int64_t msrv_wall_ns(void);
int64_t msrv_mono_ns(void);

/* @ms from now on CLOCK_MONOTONIC, for pthread_cond_timedwait() on the
 * condition variables above (created with that clock). */
void msrv_deadline(struct timespec *ts, unsigned ms);

/* One line to stderr, prefixed "strata-meta N: ". */
void msrv_log(const st_msrv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Proposals (server_fsm.c) --------------------------------------------- */

/* Packs @cmd (borrowed) and proposes it with the node's apply timeout. On
 * ST_OK *@res is the applied command's result, owned by the caller
 * (msrv_result_free()); its code may still be an error of the command.
 * Other returns are st_mraft_apply()'s. */
int msrv_propose(st_msrv *s, const Strata__Command *cmd, uint64_t *index, struct msrv_result **res);

/* Fills @r for a failed st_mraft call @rv made for @what ("apply", ...):
 * NOT_LEADER with the leader, NO_LEADER, TIMEOUT/UNAVAILABLE saying the
 * outcome is unknown, ... */
void msrv_fail_raft(st_msrv *s, struct msrv_reply *r, int rv, const char *what);

/* ---- Forwarding (server_fwd.c) ------------------------------------------- */

/* The meta RPC URL of raft member @id: catalogue meta_members first, then
 * --members. false if unknown. */
bool msrv_member_url(st_msrv *s, uint64_t id, char *url, size_t n);

/* Number of raft members (voters and others) as this node sees them, at
 * least 1. */
size_t msrv_member_count(st_msrv *s);

/* Answers a leader-only request @q (packed: @req, @len) that this node
 * cannot serve: forwards it once to the leader and passes the leader's
 * answer through, or answers NOT_LEADER / NO_LEADER / UNAVAILABLE. */
int msrv_forward(st_msrv *s, Strata__MetaRequest *q, struct st_buf *resp);

/* Sets NOT_LEADER (leader known) or NO_LEADER on @r. */
void msrv_fail_not_leader(st_msrv *s, struct msrv_reply *r);

/* Closes every peer client. */
void msrv_peers_close(st_msrv *s);

/* ---- The RPC handler (server_rpc.c) ---------------------------------------- */

/* st_rpc_handler over an st_msrv (@arg). */
int msrv_handle(void *arg, const uint8_t *req, size_t len, struct st_buf *resp);

/* ---- The leader loop (server_leader.c) ------------------------------------ */

void *msrv_leader_main(void *arg);

/* Records that data node @id was heard from now. ST_OK or ST_ENOMEM. */
int msrv_seen(st_msrv *s, uint64_t id);

#endif
