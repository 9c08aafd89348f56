/* A thread-safe replicated state machine on canonical raft 0.15 (libraft, raft_uv). */
#ifndef ST_MRAFT_H
#define ST_MRAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* st_mraft hides libraft from the rest of strata-meta (docs/meta-raft.md).
 *
 * One st_mraft is one raft server: its own libuv loop running in its own
 * thread, a raft_uv log and snapshots in a directory, and a TCP transport.
 * Every public function may be called from any thread except the loop thread
 * itself (that is, not from inside the FSM callbacks); requests are handed
 * to the loop thread through a queue and uv_async_send().
 *
 * The process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) before starting
 * a node: neither libuv nor raft does, and a write to a peer that just died
 * would otherwise kill the process. */

typedef struct st_mraft st_mraft;

/* The application's state machine. Every callback runs on the loop thread,
 * one at a time, so the FSM needs no lock against itself; it needs one only
 * for its own readers on other threads. */
struct st_mraft_fsm {
    /* Applies the committed command at @index (written in @term). @buf is
     * borrowed for the call. May set *@result to an object handed back to
     * the st_mraft_apply() caller that proposed the entry on this node; when
     * there is none (a follower, a replay, a caller that timed out or gave
     * NULL), the result is released with @free_result. Return non-zero only
     * for a fatal error (out of memory): raft then stops applying and tries
     * the same entry again later. A bad command is a result, not an error. */
    int (*apply)(void *arg, uint64_t index, uint64_t term, const void *buf, size_t len,
                 void **result);
    /* Appends the whole state to @out (initialized and empty). ST_OK or an
     * ST_E* code (raft skips this snapshot). */
    int (*snapshot)(void *arg, struct st_buf *out);
    /* Replaces the whole state with the snapshot @buf (borrowed). ST_OK or an
     * ST_E* code. */
    int (*restore)(void *arg, const void *buf, size_t len);
    /* Frees an apply result nobody collected. May be NULL when apply never
     * sets a result. */
    void (*free_result)(void *arg, void *result);
    void *arg; /* passed to every callback */
};

/* One server of the configuration. */
struct st_mraft_member {
    uint64_t id;         /* raft server id, > 0 */
    const char *address; /* "127.0.0.1:port": raft_uv's TCP address */
};

#define ST_MRAFT_ADDR_MAX 64 /* longest address, NUL included */

struct st_mraft_config {
    uint64_t id;                           /* this server's id, > 0 */
    const char *dir;                       /* data directory, created if missing */
    const char *address;                   /* "ip:port" to listen on and advertise */
    const struct st_mraft_member *members; /* initial voters, used to bootstrap */
    size_t nmembers;                       /* 0: join later through add_voter */
    unsigned election_timeout_ms;          /* 0: 1000 */
    unsigned heartbeat_timeout_ms;         /* 0: 100 */
    unsigned snapshot_threshold;           /* entries between snapshots; 0: 1024 */
    unsigned snapshot_trailing;            /* entries kept after one; 0: 128 */
    unsigned install_snapshot_timeout_ms;  /* 0: 3000 (raft's own default is 30 s) */
    unsigned connect_retry_ms;             /* pause between reconnects to a peer; 0: 1000 */
};

/* Starts a server. Creates @cfg->dir if needed. A directory without raft
 * state is bootstrapped with @cfg->members (when nmembers > 0); one with
 * state restarts from it (snapshot + log) and the member list is ignored.
 * Borrows @cfg and @fsm (copied). On success *@out is the server (stop it
 * with st_mraft_stop()); on error a message goes to @err (@errlen bytes,
 * may be NULL). */
int st_mraft_start(const struct st_mraft_config *cfg, const struct st_mraft_fsm *fsm,
                   st_mraft **out, char *err, size_t errlen);

/* Closes raft, stops the loop thread and frees @r. Calls blocked in other
 * threads return ST_ECANCELED (or their raft outcome) before it returns; no
 * call may start on @r once st_mraft_stop() has been called. NULL is a
 * no-op. */
void st_mraft_stop(st_mraft *r);

/* Proposes @buf (@len bytes, copied) and waits up to @timeout_ms for it to be
 * committed and applied to the local FSM. On ST_OK, *@index (may be NULL) is
 * its log index and *@result (may be NULL) the FSM's result, owned by the
 * caller. Errors: ST_ENOTLEADER (another server leads: st_mraft_leader()),
 * ST_ENOLEADER (an election is running), ST_ETIMEDOUT and ST_EUNAVAIL
 * (leadership lost: the entry may or may not commit later), ST_ECANCELED
 * (stopping), ST_ENOMEM. */
int st_mraft_apply(st_mraft *r, const void *buf, size_t len, unsigned timeout_ms, uint64_t *index,
                   void **result);

/* Appends a barrier and waits until it is applied: every entry committed
 * before it is then in the local FSM. Leader only; errors as st_mraft_apply. */
int st_mraft_barrier(st_mraft *r, unsigned timeout_ms);

/* The last known leader: *@id is 0 when none is known; @addr (may be NULL)
 * receives its address, "" when none. */
void st_mraft_leader(st_mraft *r, uint64_t *id, char *addr, size_t addrlen);

/* Whether this server is the leader right now. */
bool st_mraft_is_leader(st_mraft *r);

/* The index of the last entry applied to the local FSM (0 before any). */
uint64_t st_mraft_applied_index(st_mraft *r);

/* Adds server @id at @address (copied) as a spare, waits for that change to
 * commit, then promotes it to voter (raft first catches its log up) and
 * waits for that change too. The new server must be running, started with
 * no members. Leader only. A server already present or already a voter is
 * not an error. On ST_ETIMEDOUT the server may stay a spare. */
int st_mraft_add_voter(st_mraft *r, uint64_t id, const char *address, unsigned timeout_ms);

/* Removes server @id from the configuration and waits for the change to
 * commit. Leader only. ST_ENOTFOUND if it is not a member. */
int st_mraft_remove(st_mraft *r, uint64_t id, unsigned timeout_ms);

/* The current configuration as seen by this server (voters, standbys and
 * spares alike). *@out is one malloc'ed block (addresses included): the
 * caller frees it with free(). */
int st_mraft_members(st_mraft *r, struct st_mraft_member **out, size_t *n);

#endif
