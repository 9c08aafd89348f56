/* Private parts of the meta client library, shared by meta/client*.c. */
#ifndef ST_MCLI_INT_H
#define ST_MCLI_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "client.h"
#include "rpc.h"

/* Meta addresses accepted at open (3 or 5 in practice). */
#define MCLI_MAX_ADDRS 64
/* Addresses learned from NOT_LEADER answers that were not in the list given
 * at open (a meta member added later). Bounded: a misbehaving server cannot
 * make the client open sockets without end. */
#define MCLI_MAX_EXTRA 8
/* Per-attempt deadline: an apply waits up to 5 s on the server for its
 * commit. */
#define MCLI_ATTEMPT_MS 6000
/* A membership change waits for two raft changes (and a follower forwarding
 * it waits three apply timeouts): give an attempt the call's whole deadline. */
#define MCLI_MEMBERSHIP_ATTEMPT_MS 16000
/* How long an attempt waits for a connection to take its request. A killed
 * node's connection is gone at once and the dialer retries at least every
 * second (common/rpc.c), so a node without one after this is down: try the
 * next instead of spending the attempt's whole deadline on it. */
#define MCLI_CONNECT_MS 1000
/* The watch's GetCatalogue deadline. */
#define MCLI_GET_MS 3000
/* The watch's rpc deadline is the long poll plus this margin
 * (docs/wire-protocol.md). */
#define MCLI_WATCH_MARGIN_MS 5000
/* Pause after each full round of meta nodes that gave no answer or no
 * leader, and the watch thread's backoff bounds. */
#define MCLI_ROUND_PAUSE_MS 200
#define MCLI_BACKOFF_MIN_MS 100
#define MCLI_BACKOFF_MAX_MS 500

/* One meta node. The array of peers never moves and a peer is never removed
 * before st_mcli_close(), so a pointer to one stays valid. */
struct mcli_peer {
    char *url;          /* meta RPC URL; owned */
    st_rpc_client *rpc; /* owned; shut down by st_mcli_close() */
    long long ok_ms;    /* monotonic ms of its last answer; 0: never (under mu) */
    long long fail_ms;  /* monotonic ms it was last unreachable; 0: never (under mu) */
};

/* A refcounted immutable catalogue. */
struct mcli_snap {
    struct st_mcat pub;     /* first: st_mcli_release() casts back */
    Strata__Catalogue *cat; /* owned */
    unsigned long refs;     /* the client's current copy holds one (under mu) */
};

/* One CreateShardGroup in flight, shared by the threads needing the same
 * group (st_mcli_locate()'s single flight). */
struct mcli_pending {
    struct mcli_pending *next;   /* in st_mcli.pending while not done */
    char *db, *rp;               /* database and resolved policy name; owned */
    int64_t start;               /* aligned start of the group wanted */
    bool done;                   /* the proposal returned */
    int rv;                      /* its result */
    char err[256];               /* its message when rv != ST_OK */
    Strata__ApplyResponse *resp; /* its answer when ST_OK; owned */
    unsigned refs;               /* proposer + waiters; freed at 0 (under mu) */
};

struct st_mcli {
    pthread_mutex_t mu;
    /* Broadcast on every event: new catalogue, proposal done, stopping, a
     * call ended. Waiters re-check their own condition. */
    pthread_cond_t cv;
    struct mcli_peer *peers; /* naddrs + MCLI_MAX_EXTRA slots */
    size_t npeers;           /* in use (under mu; grows only) */
    size_t cap;              /* slots */
    size_t hint;             /* peer to try first: the leader or the last that answered (mu) */
    struct mcli_snap *cur;   /* the local copy; NULL before the first one (mu) */
    /* Index of the newest catalogue that is installed and that on_change
     * has returned from: what st_mcli_wait() and read-your-writes wait for,
     * so that a caller's own change has reached on_change too (mu). */
    uint64_t ready;
    struct mcli_pending *pending; /* CreateShardGroup proposals in flight (mu) */
    bool stopping;                /* st_mcli_close() started (mu) */
    unsigned ncalls;              /* calls in progress on other threads (mu) */
    unsigned call_timeout_ms;
    unsigned watch_ms;
    void (*on_change)(void *arg, const struct st_mcat *cat);
    void *arg;
    pthread_t watch;
    bool watch_started;
};

/* Monotonic milliseconds. */
long long mcli_now_ms(void);

/* Waits on c->cv until @deadline_ms (monotonic) at the latest; c->mu held.
 * Returns false when the deadline has passed. */
bool mcli_wait_until(st_mcli *c, long long deadline_ms);

/* Registers a call in progress: ST_ECANCELED (message in @err) if the
 * client is stopping. Every ST_OK must be paired with mcli_leave(). */
int mcli_enter(st_mcli *c, char *err, size_t errlen);
void mcli_leave(st_mcli *c);

/* Installs @cat (takes ownership in every case) as the local copy if its
 * index is above the current one (or there is none); frees it otherwise.
 * When installed and @out is not NULL, *@out is the new snapshot with one
 * reference for the caller (release with st_mcli_release()), and the caller
 * calls mcli_ready() with its index once on_change has seen it; with @out
 * NULL the catalogue is ready at once. ST_OK or ST_ENOMEM. */
int mcli_install(st_mcli *c, Strata__Catalogue *cat, const struct st_mcat **out);

/* Marks the catalogue at @index as seen by on_change and wakes waiters. */
void mcli_ready(st_mcli *c, uint64_t index);

/* Bookkeeping of a peer's reachability (takes mu). */
void mcli_peer_ok(st_mcli *c, size_t i);
void mcli_peer_failed(st_mcli *c, size_t i);
/* True if peer @i answered more recently than it failed; mu held. */
bool mcli_peer_alive(const st_mcli *c, size_t i);

/* Sends the MetaRequest @req to the meta nodes with failover (client_call.c)
 * until one gives a final answer or @deadline_ms (monotonic) passes. On
 * ST_OK *@out is the response with error OK (caller frees with
 * strata__meta_response__free_unpacked()). A final error answer is mapped
 * to an ST_E* code with the server's message in @err. @what names the call
 * in messages ("apply"). */
int mcli_call(st_mcli *c, const char *what, Strata__MetaRequest *req, long long deadline_ms,
              Strata__MetaResponse **out, char *err, size_t errlen);

/* st_mcli_apply() with an absolute deadline, for a caller already inside
 * mcli_enter(). */
int mcli_apply(st_mcli *c, const Strata__Command *cmd, long long deadline_ms,
               Strata__ApplyResponse **resp, char *err, size_t errlen);

/* Waits until the local copy's index is >= @index or @deadline_ms passes
 * (read-your-writes, best effort). */
void mcli_wait_index(st_mcli *c, uint64_t index, long long deadline_ms);

/* The watch thread's body (client_watch.c); @arg is the st_mcli. */
void *mcli_watch_main(void *arg);

#endif
