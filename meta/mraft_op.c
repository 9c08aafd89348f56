/* st_mraft requests: callers queue an op, the loop thread runs it against raft.
 *
 * A public call allocates an op (two references: its own and the loop's),
 * appends it to r's queue under r->mu and wakes the loop with
 * uv_async_send() (sent under the mutex, so it never races with the handle's
 * close on stop). Sends coalesce, so the loop drains the whole queue each
 * time. An op that raft answers at once (a query, a refused proposal) is
 * completed right away; one that raft accepts goes on the in-flight list
 * until raft's callback completes it.
 *
 * The caller waits on r->cond with a deadline. If it times out it marks the
 * op abandoned and drops its reference: a queued abandoned op is never
 * proposed, and one already in raft is completed and freed by the loop when
 * raft answers, its FSM result freed with fsm.free_result. Whoever drops
 * the last reference frees the op, always under r->mu.
 *
 * Results of applied entries do not travel through raft: the FSM glue in
 * mraft.c finds the in-flight OP_APPLY of that index (mraft_find_apply())
 * and stores the result on it, because raft silently drops the result of an
 * entry that has no local request. */
#include "mraft_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

/* ---- Op lifetime (any thread) -------------------------------------------- */

static struct op *op_new(struct st_mraft *r, enum op_kind kind)
{
    struct op *op = calloc(1, sizeof(*op));
    if (op == NULL)
        return NULL;
    op->kind = kind;
    op->r = r;
    op->refs = 2;
    return op;
}

/* Releases what an op still owns. Called with r->mu held, refs at 0. */
static void op_free(struct op *op)
{
    struct st_mraft *r = op->r;
    if (op->buf.base != NULL)
        raft_free(op->buf.base);
    if (op->result != NULL && r->fsm.free_result != NULL)
        r->fsm.free_result(r->fsm.arg, op->result);
    free(op->members);
    free(op);
}

static void op_unref_locked(struct op *op)
{
    if (--op->refs == 0)
        op_free(op);
}

/* Queues @op and wakes the loop. ST_ECANCELED (op freed) when stopping. */
static int op_submit(struct st_mraft *r, struct op *op)
{
    pthread_mutex_lock(&r->mu);
    if (r->stopping) {
        op->refs = 1;
        op_unref_locked(op);
        pthread_mutex_unlock(&r->mu);
        return ST_ECANCELED;
    }
    if (r->qtail != NULL)
        r->qtail->next = op;
    else
        r->qhead = op;
    r->qtail = op;
    uv_async_send(&r->async);
    pthread_mutex_unlock(&r->mu);
    return ST_OK;
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits for @op until @deadline. Returns with r->mu held and the op's
 * outcome; on timeout the op is abandoned (the loop will free it). The
 * caller reads the outputs, then calls op_release(). */
static int op_wait(struct st_mraft *r, struct op *op, const struct timespec *deadline)
{
    pthread_mutex_lock(&r->mu);
    while (!op->done) {
        if (pthread_cond_timedwait(&r->cond, &r->mu, deadline) != 0 && !op->done) {
            op->abandoned = true;
            return ST_ETIMEDOUT;
        }
    }
    return op->rv;
}

/* Drops the caller's reference and the mutex taken by op_wait(). */
static void op_release(struct st_mraft *r, struct op *op)
{
    op_unref_locked(op);
    pthread_mutex_unlock(&r->mu);
}

/* Every public call that queues ops brackets itself with these, so that
 * st_mraft_stop() can wait for it to leave before freeing r. */
static void enter(struct st_mraft *r)
{
    pthread_mutex_lock(&r->mu);
    r->callers++;
    pthread_mutex_unlock(&r->mu);
}

static int leave(struct st_mraft *r, int rv)
{
    pthread_mutex_lock(&r->mu);
    if (--r->callers == 0)
        pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    return rv;
}

/* Submits @op and waits for it until @deadline. A negative return is a
 * refused submission (-ST_ECANCELED, op already freed, mutex not held);
 * otherwise it is op_wait()'s outcome, the mutex is held for reading the
 * outputs and the caller must call op_release(). */
static int op_run(struct st_mraft *r, struct op *op, const struct timespec *deadline)
{
    int rv = op_submit(r, op);
    if (rv != ST_OK)
        return -rv; /* negative: nothing to release */
    return op_wait(r, op, deadline);
}

/* ---- Loop thread --------------------------------------------------------- */

static void flight_add(struct st_mraft *r, struct op *op)
{
    op->fprev = NULL;
    op->fnext = r->flight;
    if (r->flight != NULL)
        r->flight->fprev = op;
    r->flight = op;
    op->in_flight = true;
}

static void flight_del(struct st_mraft *r, struct op *op)
{
    if (op->fprev != NULL)
        op->fprev->fnext = op->fnext;
    else
        r->flight = op->fnext;
    if (op->fnext != NULL)
        op->fnext->fprev = op->fprev;
    op->in_flight = false;
}

struct op *mraft_find_apply(struct st_mraft *r, uint64_t index)
{
    for (struct op *op = r->flight; op != NULL; op = op->fnext)
        if (op->kind == OP_APPLY && op->index == index)
            return op;
    return NULL;
}

/* Publishes @op's outcome and drops the loop's reference. */
static void op_complete(struct st_mraft *r, struct op *op, int rv)
{
    if (op->in_flight)
        flight_del(r, op);
    pthread_mutex_lock(&r->mu);
    op->rv = rv;
    op->done = true;
    pthread_cond_broadcast(&r->cond);
    op_unref_locked(op); /* frees it, result included, if the caller left */
    pthread_mutex_unlock(&r->mu);
}

/* Fills the leader fields of @op from raft's view. */
static void read_leader(struct st_mraft *r, struct op *op)
{
    raft_id id = 0;
    const char *addr = NULL;
    raft_leader(&r->raft, &id, &addr);
    op->leader_id = id;
    snprintf(op->leader_addr, sizeof(op->leader_addr), "%s", addr != NULL ? addr : "");
    op->is_leader = raft_state(&r->raft) == RAFT_LEADER;
}

/* A proposal raft refused at once: name the leader if one is known. */
static int refused(struct st_mraft *r, struct op *op, int raft_rv)
{
    if (raft_rv != RAFT_NOTLEADER)
        return mraft_err(raft_rv);
    read_leader(r, op);
    return op->leader_id != 0 ? ST_ENOTLEADER : ST_ENOLEADER;
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    struct op *op = req->data;
    (void)result; /* always NULL: the glue keeps results on the op */
    if (status != 0)
        read_leader(op->r, op);
    op_complete(op->r, op, mraft_err(status));
}

static void barrier_cb(struct raft_barrier *req, int status)
{
    struct op *op = req->data;
    op_complete(op->r, op, mraft_err(status));
}

static void change_cb(struct raft_change *req, int status)
{
    struct op *op = req->data;
    op_complete(op->r, op, mraft_err(status));
}

/* Copies raft's configuration into one malloc'ed block. */
static int copy_members(struct st_mraft *r, struct op *op)
{
    const struct raft_configuration *c = &r->raft.configuration;
    size_t bytes = c->n * sizeof(struct st_mraft_member);
    for (unsigned i = 0; i < c->n; i++)
        bytes += strlen(c->servers[i].address) + 1;
    op->members = malloc(bytes ? bytes : 1);
    if (op->members == NULL)
        return ST_ENOMEM;
    char *s = (char *)(op->members + c->n);
    for (unsigned i = 0; i < c->n; i++) {
        size_t n = strlen(c->servers[i].address) + 1;
        memcpy(s, c->servers[i].address, n);
        op->members[i].id = c->servers[i].id;
        op->members[i].address = s;
        s += n;
    }
    op->nmembers = c->n;
    return ST_OK;
}

/* Runs one op on the loop thread: completes it or hands it to raft. */
static void run_op(struct st_mraft *r, struct op *op)
{
    int rv;
    pthread_mutex_lock(&r->mu);
    bool abandoned = op->abandoned;
    pthread_mutex_unlock(&r->mu);
    if (abandoned) {
        op_complete(r, op, ST_ETIMEDOUT);
        return;
    }
    switch (op->kind) {
    case OP_APPLY:
        op->req.apply.data = op;
        rv = raft_apply(&r->raft, &op->req.apply, &op->buf, 1, apply_cb);
        if (rv == 0) {
            op->buf.base = NULL; /* raft owns it now */
            op->index = op->req.apply.index;
        }
        break;
    case OP_BARRIER:
        op->req.barrier.data = op;
        rv = raft_barrier(&r->raft, &op->req.barrier, barrier_cb);
        break;
    case OP_ADD:
        op->req.change.data = op;
        rv = raft_add(&r->raft, &op->req.change, op->id, op->address, change_cb);
        break;
    case OP_ASSIGN:
        op->req.change.data = op;
        rv = raft_assign(&r->raft, &op->req.change, op->id, op->role, change_cb);
        break;
    case OP_REMOVE:
        op->req.change.data = op;
        rv = raft_remove(&r->raft, &op->req.change, op->id, change_cb);
        break;
    case OP_QUERY:
        read_leader(r, op);
        op_complete(r, op, ST_OK);
        return;
    case OP_MEMBERS:
        op_complete(r, op, copy_members(r, op));
        return;
    default:
        op_complete(r, op, ST_EINVAL);
        return;
    }
    if (rv != 0) {
        op_complete(r, op, refused(r, op, rv));
        return;
    }
    flight_add(r, op);
}

void mraft_drain(struct st_mraft *r)
{
    pthread_mutex_lock(&r->mu);
    struct op *op = r->qhead;
    bool stopping = r->stopping;
    r->qhead = r->qtail = NULL;
    pthread_mutex_unlock(&r->mu);

    while (op != NULL) {
        struct op *next = op->next;
        if (stopping || r->closing)
            op_complete(r, op, ST_ECANCELED);
        else
            run_op(r, op);
        op = next;
    }
    if (stopping && !r->closing) {
        r->closing = true;
        /* Fails what raft holds: apply, barrier and change callbacks run. */
        raft_close(&r->raft, mraft_close_cb);
    }
}

void mraft_cancel_flight(struct st_mraft *r, int rv)
{
    while (r->flight != NULL)
        op_complete(r, r->flight, rv); /* UNTESTED: raft completes them on close */
}

/* ---- Public calls -------------------------------------------------------- */

int st_mraft_apply(st_mraft *r, const void *buf, size_t len, unsigned timeout_ms, uint64_t *index,
                   void **result)
{
    struct timespec deadline;
    struct op *op;
    int rv;

    if (index != NULL)
        *index = 0;
    if (result != NULL)
        *result = NULL;
    deadline_after(&deadline, timeout_ms);
    if ((op = op_new(r, OP_APPLY)) == NULL)
        return ST_ENOMEM;
    /* Padded to a multiple of 8 (mraft_int.h: MRAFT_PAD). */
    size_t pad = MRAFT_PAD - len % MRAFT_PAD;
    op->buf.len = len + pad;
    op->buf.base = raft_malloc(op->buf.len);
    if (op->buf.base == NULL) {
        free(op);
        return ST_ENOMEM;
    }
    if (len > 0)
        memcpy(op->buf.base, buf, len);
    memset((char *)op->buf.base + len, (int)pad, pad);

    enter(r);
    rv = op_run(r, op, &deadline);
    if (rv < 0)
        return leave(r, -rv);
    if (rv == ST_OK) {
        if (index != NULL)
            *index = op->index;
        if (result != NULL) {
            *result = op->result;
            op->result = NULL;
        }
    }
    op_release(r, op);
    return leave(r, rv);
}

int st_mraft_barrier(st_mraft *r, unsigned timeout_ms)
{
    struct timespec deadline;
    struct op *op;
    int rv;

    deadline_after(&deadline, timeout_ms);
    if ((op = op_new(r, OP_BARRIER)) == NULL)
        return ST_ENOMEM;
    enter(r);
    rv = op_run(r, op, &deadline);
    if (rv < 0)
        return leave(r, -rv);
    op_release(r, op);
    return leave(r, rv);
}

/* A query answered by the loop; *@out gets the op's leader fields. Queries
 * wait at most a second: the loop never blocks for long. */
static int query(st_mraft *r, struct op *out)
{
    struct timespec deadline;
    struct op *op;
    int rv;

    deadline_after(&deadline, 1000);
    if ((op = op_new(r, OP_QUERY)) == NULL)
        return ST_ENOMEM;
    enter(r);
    rv = op_run(r, op, &deadline);
    if (rv < 0)
        return leave(r, -rv);
    if (rv == ST_OK) {
        out->leader_id = op->leader_id;
        memcpy(out->leader_addr, op->leader_addr, sizeof(out->leader_addr));
        out->is_leader = op->is_leader;
    }
    op_release(r, op);
    return leave(r, rv);
}

void st_mraft_leader(st_mraft *r, uint64_t *id, char *addr, size_t addrlen)
{
    struct op q = {0};
    if (query(r, &q) != ST_OK)
        q.leader_id = 0;
    if (id != NULL)
        *id = q.leader_id;
    if (addr != NULL && addrlen > 0)
        snprintf(addr, addrlen, "%s", q.leader_id != 0 ? q.leader_addr : "");
}

bool st_mraft_is_leader(st_mraft *r)
{
    struct op q = {0};
    return query(r, &q) == ST_OK && q.is_leader;
}

uint64_t st_mraft_applied_index(st_mraft *r)
{
    return atomic_load(&r->applied);
}

/* Runs one membership change and waits for it to commit. */
static int change(st_mraft *r, enum op_kind kind, uint64_t id, const char *address, int role,
                  const struct timespec *deadline)
{
    struct op *op = op_new(r, kind);
    int rv;
    if (op == NULL)
        return ST_ENOMEM;
    op->id = id;
    op->role = role;
    if (address != NULL)
        snprintf(op->address, sizeof(op->address), "%s", address);
    enter(r);
    rv = op_run(r, op, deadline);
    if (rv < 0)
        return leave(r, -rv);
    op_release(r, op);
    return leave(r, rv);
}

int st_mraft_add_voter(st_mraft *r, uint64_t id, const char *address, unsigned timeout_ms)
{
    struct timespec deadline;
    int rv;
    if (id == 0 || address == NULL || strlen(address) >= ST_MRAFT_ADDR_MAX)
        return ST_EINVAL;
    deadline_after(&deadline, timeout_ms);
    rv = change(r, OP_ADD, id, address, 0, &deadline);
    if (rv != ST_OK && rv != ST_EEXIST)
        return rv;
    rv = change(r, OP_ASSIGN, id, NULL, RAFT_VOTER, &deadline);
    return rv == ST_EINVAL ? ST_OK : rv; /* RAFT_BADROLE: already a voter */
}

int st_mraft_remove(st_mraft *r, uint64_t id, unsigned timeout_ms)
{
    struct timespec deadline;
    deadline_after(&deadline, timeout_ms);
    return change(r, OP_REMOVE, id, NULL, 0, &deadline);
}

int st_mraft_members(st_mraft *r, struct st_mraft_member **out, size_t *n)
{
    struct timespec deadline;
    struct op *op;
    int rv;

    *out = NULL;
    *n = 0;
    deadline_after(&deadline, 1000);
    if ((op = op_new(r, OP_MEMBERS)) == NULL)
        return ST_ENOMEM;
    enter(r);
    rv = op_run(r, op, &deadline);
    if (rv < 0)
        return leave(r, -rv);
    if (rv == ST_OK) {
        *out = op->members;
        *n = op->nmembers;
        op->members = NULL;
    }
    op_release(r, op);
    return leave(r, rv);
}
