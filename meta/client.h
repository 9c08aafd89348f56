/* The meta client library: a fresh local copy of the catalogue, and commands with failover. */
#ifndef ST_MCLI_H
#define ST_MCLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.pb-c.h"

/*
 * Used by routers, data nodes and stratactl (docs/meta-client.md).
 *
 * An st_mcli talks to the meta nodes listed at open (nng URLs of their meta
 * RPC, any order). A background thread keeps a local copy of the catalogue
 * fresh through WatchRequest long polls, moving to the next meta node when
 * one does not answer; every read (st_mcli_acquire(), st_mcli_locate() in
 * the common case) is answered from that copy without a network call.
 *
 * Commands go to whichever meta node answers; a follower forwards them to
 * the leader. On NOT_LEADER the client tries the leader it names, on
 * NO_LEADER / UNAVAILABLE / no answer it tries the next node, pausing
 * briefly between rounds, until the call's deadline. A command whose outcome
 * is unknown (the deadline passed after it was sent) fails with
 * ST_ETIMEDOUT: the caller decides whether to retry (every catalogue command
 * is idempotent or fails harmlessly when repeated).
 *
 * Threads: every function is thread-safe. Snapshots returned by
 * st_mcli_acquire() are immutable and reference counted: hold one for the
 * length of a request (a batch of points, a query), not longer.
 */

typedef struct st_mcli st_mcli;

/* An immutable decoded catalogue at one index. */
struct st_mcat {
    const Strata__Catalogue *cat; /* never NULL; cat->index is its index */
};

struct st_mcli_opts {
    const char *const *addrs; /* meta RPC URLs, "tcp://127.0.0.1:8091" */
    size_t naddrs;            /* >= 1 */
    unsigned call_timeout_ms; /* default deadline of one command; 0: 10000 */
    unsigned watch_ms;        /* long-poll length asked of the server; 0: 10000 */
    /* Called on the watch thread after each new catalogue is installed (may
     * be NULL). @cat is valid during the call only. Must not call
     * st_mcli_close(). st_mcli_wait() and the read-your-writes wait of
     * commands return only after on_change has returned for the catalogue
     * they wait for, so on_change must not wait for them either. */
    void (*on_change)(void *arg, const struct st_mcat *cat);
    void *arg;
};

/* Copies @opts and starts the watch thread. Does not wait for a catalogue
 * (see st_mcli_wait()); fails only on bad options (ST_EINVAL, message in
 * @err) or ST_ENOMEM. Caller owns the client; free with st_mcli_close(). */
int st_mcli_open(const struct st_mcli_opts *opts, st_mcli **out, char *err, size_t errlen);

/* Stops the watch thread, waits for calls in flight on other threads to end
 * (they return ST_ECANCELED early), frees. Snapshots still held must be
 * released before. NULL is fine. */
void st_mcli_close(st_mcli *c);

/* Waits up to @timeout_ms until the local copy's index is >= @min_index
 * (1: any catalogue at all). ST_OK or ST_ETIMEDOUT. */
int st_mcli_wait(st_mcli *c, uint64_t min_index, unsigned timeout_ms);

/* The local copy: NULL before the first catalogue has arrived. Release it
 * with st_mcli_release(). */
const struct st_mcat *st_mcli_acquire(st_mcli *c);
void st_mcli_release(st_mcli *c, const struct st_mcat *cat);

/* Index of the local copy (0 = none yet). */
uint64_t st_mcli_index(st_mcli *c);

/* Proposes @cmd (borrowed) with a deadline of @timeout_ms (0: the default).
 * On ST_OK, *@resp (may be NULL) is the ApplyResponse, owned by the caller
 * (strata__apply_response__free_unpacked(resp, NULL)); the local copy is
 * then brought up to the committed index before returning (best effort
 * within the deadline), so a caller reads its own writes.
 * Errors: the command was refused (database not found, ...): ST_EINVAL,
 * ST_ENOTFOUND or ST_EEXIST, with the server's InfluxDB-worded message in
 * @err; no leader reachable before the deadline: ST_ENOLEADER (e.g. 2 of 3
 * meta nodes down) or ST_EUNAVAIL (no meta node answers), with a message
 * naming the nodes tried; ST_ETIMEDOUT (outcome unknown); ST_ECANCELED;
 * ST_ENOMEM. */
int st_mcli_apply(st_mcli *c, const Strata__Command *cmd, unsigned timeout_ms,
                  Strata__ApplyResponse **resp, char *err, size_t errlen);

/* Where a point goes or a query reads: the shard for (@db, @rp, series hash,
 * time) and its owners, copied out of the catalogue. */
#define ST_MCLI_MAX_OWNERS 16
struct st_mcli_loc {
    uint64_t group_id;
    int64_t group_start_ns, group_end_ns;
    uint64_t shard_id;
    size_t nowners;
    uint64_t owners[ST_MCLI_MAX_OWNERS];
};

/* Fills @loc for a point of series hash @hash at @t in @db / @rp (NULL or ""
 * = the database's default policy). Answered from the local copy when a
 * group covers @t; otherwise proposes CreateShardGroup, and concurrent
 * callers (threads of this process) needing the same group share one
 * proposal. ST_ENOTFOUND (database or policy does not exist; InfluxDB's
 * message in @err, e.g. `database not found: "x"`), or st_mcli_apply()'s
 * errors. */
int st_mcli_locate(st_mcli *c, const char *db, const char *rp, uint64_t hash, int64_t t,
                   struct st_mcli_loc *loc, char *err, size_t errlen);

/* Data nodes: registers this node (@node_id 0 = new) with its data RPC URL
 * and HTTP address (may be NULL); *@assigned is its id to remember. Errors
 * as st_mcli_apply(). */
int st_mcli_register(st_mcli *c, uint64_t node_id, const char *rpc_addr, const char *http_addr,
                     uint64_t *assigned, char *err, size_t errlen);

/* Data nodes: one liveness report (every second or so). @sizes may be NULL
 * when @nsizes is 0. *@server_index (may be NULL) is the meta node's
 * catalogue index. Uses a short deadline (@timeout_ms, 0: 2000). */
int st_mcli_heartbeat(st_mcli *c, uint64_t node_id, uint64_t catalogue_index,
                      const Strata__ShardSize *const *sizes, size_t nsizes, unsigned timeout_ms,
                      uint64_t *server_index, char *err, size_t errlen);

/* stratactl: adds (ADD_VOTER) or removes (REMOVE) a meta member. On ST_OK,
 * *@resp (may be NULL) is owned by the caller
 * (strata__membership_response__free_unpacked). Errors as st_mcli_apply(). */
int st_mcli_membership(st_mcli *c, Strata__MembershipOp op, const Strata__MetaMember *member,
                       unsigned timeout_ms, Strata__MembershipResponse **resp, char *err,
                       size_t errlen);

/* One GetCatalogue from any meta node, bypassing the local copy (stratactl,
 * tests). *@out owned by the caller (strata__catalogue__free_unpacked). */
int st_mcli_fetch(st_mcli *c, unsigned timeout_ms, Strata__Catalogue **out, char *err,
                  size_t errlen);

#endif
