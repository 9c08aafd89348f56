/* st_mraft internals shared by mraft.c (lifecycle, loop, FSM glue) and mraft_op.c (requests). */
#ifndef ST_MRAFT_INT_H
#define ST_MRAFT_INT_H

#include <pthread.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdatomic.h>
#include <uv.h>

#include "mraft.h"

/* raft_uv 0.15 assumes that the length of every entry is a multiple of 8:
 * it pads entries when it writes them (to disk and to the wire) but its
 * readers skip padding only where a length is not a multiple of 8 and sum
 * the unpadded lengths for a batch, so the second entry of a batch with an
 * odd-sized first one is read from the wrong offset (found by strata-meta's
 * end-to-end tests: a follower catching up applied garbage, a restarted
 * server failed to load a closed segment). dqlite pads its commands for
 * the same reason. st_mraft_apply() therefore appends 1 to MRAFT_PAD bytes,
 * each holding their count (PKCS#7 style), and the FSM glue strips them
 * again, so the application sees exactly the bytes it proposed. */
#define MRAFT_PAD 8

enum op_kind {
    OP_APPLY,   /* raft_apply of buf */
    OP_BARRIER, /* raft_barrier */
    OP_ADD,     /* raft_add of id/address as spare */
    OP_ASSIGN,  /* raft_assign of id to role */
    OP_REMOVE,  /* raft_remove of id */
    OP_QUERY,   /* read leader and state */
    OP_MEMBERS  /* copy the configuration */
};

/* One request from a caller thread to the loop thread.
 *
 * Two references: the caller's (dropped when it returns, done or timed out)
 * and the loop's (dropped by op_complete()). Whoever drops the last one
 * frees the op, so a caller that times out never leaves the loop thread
 * with a dangling pointer. Fields marked (mu) are guarded by r->mu; inputs
 * are written before the op is queued and read-only after; outputs are
 * written by the loop thread before `done` and read by the caller after. */
struct op {
    enum op_kind kind;
    struct st_mraft *r;
    struct op *next;                 /* pending queue (mu) */
    struct op *fprev, *fnext;        /* in-flight list (loop thread) */
    bool in_flight;                  /* on the in-flight list (loop thread) */
    int refs;                        /* (mu) */
    bool done;                       /* outputs are valid (mu) */
    bool abandoned;                  /* the caller gave up (mu) */
    int rv;                          /* ST_OK or ST_E* (mu) */
    struct raft_buffer buf;          /* OP_APPLY: raft_malloc'ed; ours until raft_apply takes it */
    uint64_t id;                     /* OP_ADD, OP_ASSIGN, OP_REMOVE */
    char address[ST_MRAFT_ADDR_MAX]; /* OP_ADD */
    int role;                        /* OP_ASSIGN */
    uint64_t index;                  /* out: OP_APPLY log index */
    void *result;                    /* out: OP_APPLY FSM result, ours until handed over */
    uint64_t leader_id;              /* out: OP_QUERY and failures */
    char leader_addr[ST_MRAFT_ADDR_MAX]; /* out */
    bool is_leader;                      /* out: OP_QUERY */
    struct st_mraft_member *members;     /* out: OP_MEMBERS, one malloc'ed block */
    size_t nmembers;                     /* out: OP_MEMBERS */
    union {
        struct raft_apply apply;
        struct raft_barrier barrier;
        struct raft_change change;
    } req; /* the raft request; req.*.data points back at the op */
};

struct st_mraft {
    /* Loop thread only, after start. */
    uv_loop_t loop;
    uv_async_t async;                   /* wakes the loop to drain `queue` */
    uv_check_t check;                   /* publishes `applied` every iteration */
    struct raft_uv_transport transport; /* raft_uv_tcp */
    struct raft_io io;                  /* raft_uv */
    struct raft_fsm rfsm;               /* glue to `fsm` */
    struct raft raft;
    struct st_mraft_fsm fsm; /* the application's callbacks (copied) */
    struct op *flight;       /* in-flight ops, handed to raft */
    bool closing;            /* raft_close() called */
    pthread_t thread;

    /* Any thread. */
    pthread_mutex_t mu;
    pthread_cond_t cond;             /* an op completed, or a caller left (CLOCK_MONOTONIC) */
    struct op *qhead, *qtail;        /* pending ops (mu) */
    bool stopping;                   /* st_mraft_stop() called (mu) */
    unsigned callers;                /* public calls in progress (mu) */
    _Atomic uint64_t applied;        /* last applied index */
    uint64_t id;                     /* this server's id (read-only) */
    char address[ST_MRAFT_ADDR_MAX]; /* (read-only) */
    char dir[4096];                  /* (read-only) */
};

/* mraft_op.c, loop thread: runs every queued op (or cancels them when
 * stopping), then calls raft_close() when stopping. */
void mraft_drain(struct st_mraft *r);

/* mraft_op.c, loop thread: completes every in-flight op with @rv (after the
 * loop ended; raft normally completes them itself on close). */
void mraft_cancel_flight(struct st_mraft *r, int rv);

/* mraft_op.c, loop thread: the in-flight OP_APPLY proposed at @index, or NULL. */
struct op *mraft_find_apply(struct st_mraft *r, uint64_t index);

/* mraft.c, loop thread: raft_close() is done; closes what is left. */
void mraft_close_cb(struct raft *rf);

/* Maps a raft error code to ST_E*. */
int mraft_err(int rv);

#endif
