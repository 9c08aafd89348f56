/* st_mraft lifecycle: start (bootstrap or restart), the loop thread, stop, FSM glue.
 *
 * Happy path. st_mraft_start() builds, on the caller's thread and before any
 * loop runs, a libuv loop, raft_uv's TCP transport and disk I/O over
 * cfg->dir, and the raft instance; it bootstraps a pristine directory with
 * the member list (raft_bootstrap() itself refuses with RAFT_CANTBOOTSTRAP
 * when the directory holds state, which we take as "restart"), then
 * raft_start() loads the snapshot and the log. Only then does the loop thread
 * start, and from that moment every raft call happens on it: creating the
 * thread publishes everything written before.
 *
 * Requests from other threads go through mraft_op.c's queue; the FSM glue
 * below adapts raft_fsm (version 2, so that snapshot buffers stay ours and
 * are released in snapshot_finalize) to st_mraft_fsm and routes apply
 * results to the op that proposed the entry.
 *
 * Stop. st_mraft_stop() marks the server stopping and wakes the loop; the
 * loop cancels queued ops and calls raft_close(), which fails the requests
 * raft holds (their callbacks complete our ops), then closes raft_uv and the
 * transport; the loop ends when the last handle is closed. The stopping
 * thread joins the loop thread, waits for callers still inside public calls
 * to leave, and frees everything.
 *
 * Failure while starting: a raft instance that was initialized must still
 * be closed through raft_close() and a loop run, as in stop. */
#include "mraft_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

/* ---- FSM glue (loop thread) --------------------------------------------- */

/* Term of the entry at @index in raft's in-memory log, 0 if not there. The
 * log is a public circular buffer in raft.h (struct raft_log); raft 0.15 has
 * no accessor for an entry's term. */
static uint64_t entry_term(const struct raft *rf, raft_index index)
{
    const struct raft_log *l = &rf->log;
    size_t n;
    if (l->size == 0 || index <= l->offset)
        return 0;
    n = l->back >= l->front ? l->back - l->front : l->size - l->front + l->back;
    if (index - l->offset > n)
        return 0;
    return l->entries[(l->front + (index - l->offset - 1)) % l->size].term;
}

static int fsm_apply(struct raft_fsm *rfsm, const struct raft_buffer *buf, void **result)
{
    struct st_mraft *r = rfsm->data;
    /* raft 0.15 applies last_applied+1 and advances last_applied after. */
    raft_index index = raft_last_applied(&r->raft) + 1;
    void *res = NULL;
    /* Strip st_mraft_apply()'s padding (mraft_int.h); an entry without
     * valid padding is not ours and goes to the FSM as it is. */
    size_t len = buf->len;
    if (len >= MRAFT_PAD && len % MRAFT_PAD == 0) {
        unsigned pad = ((const unsigned char *)buf->base)[len - 1];
        if (pad >= 1 && pad <= MRAFT_PAD)
            len -= pad;
    }
    int rv = r->fsm.apply(r->fsm.arg, index, entry_term(&r->raft, index), buf->base, len, &res);
    *result = NULL;
    if (rv != 0) {
        if (res != NULL && r->fsm.free_result != NULL)
            r->fsm.free_result(r->fsm.arg, res);
        return RAFT_IOERR; /* UNTESTED: raft retries the entry later */
    }
    atomic_store(&r->applied, index);
    /* Raft drops the result of an entry no local request waits for; keep it
     * on our op instead so that it is either handed over or freed. */
    struct op *op = mraft_find_apply(r, index);
    if (op != NULL)
        op->result = res;
    else if (res != NULL && r->fsm.free_result != NULL)
        r->fsm.free_result(r->fsm.arg, res);
    return 0;
}

static int fsm_snapshot(struct raft_fsm *rfsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct st_mraft *r = rfsm->data;
    struct st_buf b;
    struct raft_buffer *arr = malloc(sizeof(*arr));
    if (arr == NULL)
        return RAFT_NOMEM;
    st_buf_init(&b);
    int rv = r->fsm.snapshot(r->fsm.arg, &b);
    if (rv == ST_OK && b.p == NULL)
        rv = st_buf_reserve(&b, 1); /* raft wants a buffer, even an empty one */
    if (rv != ST_OK) {
        st_buf_fini(&b);
        free(arr);
        return rv == ST_ENOMEM ? RAFT_NOMEM : RAFT_IOERR;
    }
    arr[0].base = b.p; /* freed in fsm_snapshot_finalize */
    arr[0].len = b.len;
    *bufs = arr;
    *n_bufs = 1;
    return 0;
}

/* Version 2: raft calls this after every successful fsm_snapshot, written or
 * not, and never frees the buffers itself. */
static int fsm_snapshot_finalize(struct raft_fsm *rfsm, struct raft_buffer *bufs[],
                                 unsigned *n_bufs)
{
    (void)rfsm;
    for (unsigned i = 0; i < *n_bufs; i++)
        free((*bufs)[i].base);
    free(*bufs);
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

/* Raft hands over the snapshot buffer: on success we release it. */
static int fsm_restore(struct raft_fsm *rfsm, struct raft_buffer *buf)
{
    struct st_mraft *r = rfsm->data;
    int rv = r->fsm.restore(r->fsm.arg, buf->base, buf->len);
    if (rv != ST_OK)
        return rv == ST_ENOMEM ? RAFT_NOMEM : RAFT_CORRUPT; /* UNTESTED */
    raft_free(buf->base);
    /* raft sets last_applied to the snapshot's index after restore returns. */
    return 0;
}

/* ---- Loop thread --------------------------------------------------------- */

static void async_cb(uv_async_t *h)
{
    mraft_drain(h->data);
}

static void *loop_main(void *arg)
{
    struct st_mraft *r = arg;
    uv_run(&r->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* After every loop iteration: raft also advances last_applied for barriers,
 * configuration changes and installed snapshots, which the FSM never sees. */
static void check_cb(uv_check_t *h)
{
    struct st_mraft *r = h->data;
    if (!r->closing)
        atomic_store(&r->applied, raft_last_applied(&r->raft));
}

static void handle_close_cb(uv_handle_t *h)
{
    (void)h;
}

/* raft_close() done: raft_uv and the transport may go; the loop ends once
 * our own handles are closed too. */
void mraft_close_cb(struct raft *rf)
{
    struct st_mraft *r = rf->data;
    raft_uv_close(&r->io);
    raft_uv_tcp_close(&r->transport);
    uv_close((uv_handle_t *)&r->check, handle_close_cb);
    uv_close((uv_handle_t *)&r->async, handle_close_cb);
}

static void start_fail_close_cb(struct raft *rf)
{
    (void)rf;
}

/* ---- Start and stop ------------------------------------------------------ */

static int mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp))
        return ST_EINVAL;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return st_from_errno(errno);
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return st_from_errno(errno);
    return ST_OK;
}

static int bootstrap(struct st_mraft *r, const struct st_mraft_config *cfg, char *err,
                     size_t errlen)
{
    struct raft_configuration conf;
    int rv;
    raft_configuration_init(&conf);
    for (size_t i = 0; i < cfg->nmembers; i++) {
        const struct st_mraft_member *m = &cfg->members[i];
        rv = raft_configuration_add(&conf, m->id, m->address, RAFT_VOTER);
        if (rv != 0) {
            raft_configuration_close(&conf);
            return st_errf(err, errlen, mraft_err(rv), "mraft: member %llu (%s): %s",
                           (unsigned long long)m->id, m->address, raft_strerror(rv));
        }
    }
    rv = raft_bootstrap(&r->raft, &conf);
    raft_configuration_close(&conf);
    if (rv == RAFT_CANTBOOTSTRAP)
        return ST_OK; /* the directory holds state: restart from it */
    if (rv != 0)
        return st_errf(err, errlen, mraft_err(rv), "mraft: bootstrap %s: %s", r->dir,
                       raft_errmsg(&r->raft));
    return ST_OK;
}

static void free_server(struct st_mraft *r)
{
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static int init_sync(struct st_mraft *r)
{
    pthread_condattr_t ca;
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        return ST_ENOMEM;
    if (pthread_condattr_init(&ca) != 0)
        goto err_after_mutex;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&r->cond, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        goto err_after_mutex;
    }
    pthread_condattr_destroy(&ca);
    return ST_OK;

err_after_mutex: /* UNTESTED */
    pthread_mutex_destroy(&r->mu);
    return ST_ENOMEM;
}

int st_mraft_start(const struct st_mraft_config *cfg, const struct st_mraft_fsm *fsm,
                   st_mraft **out, char *err, size_t errlen)
{
    struct st_mraft *r;
    int rv;

    *out = NULL;
    if (cfg == NULL || fsm == NULL || fsm->apply == NULL || fsm->snapshot == NULL ||
        fsm->restore == NULL || cfg->id == 0 || cfg->dir == NULL || cfg->address == NULL)
        return st_errf(err, errlen, ST_EINVAL, "mraft: incomplete configuration");
    if (strlen(cfg->address) >= ST_MRAFT_ADDR_MAX || strlen(cfg->dir) >= sizeof(r->dir))
        return st_errf(err, errlen, ST_EINVAL, "mraft: address or directory too long");
    if ((rv = mkdir_p(cfg->dir)) != ST_OK)
        return st_errf(err, errlen, rv, "mraft: mkdir %s: %s", cfg->dir, st_strerror(rv));

    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "mraft: out of memory");
    if (init_sync(r) != ST_OK) {
        free(r); /* UNTESTED */
        return st_errf(err, errlen, ST_ENOMEM, "mraft: mutex init failed");
    }
    r->fsm = *fsm;
    r->id = cfg->id;
    snprintf(r->address, sizeof(r->address), "%s", cfg->address);
    snprintf(r->dir, sizeof(r->dir), "%s", cfg->dir);

    if ((rv = uv_loop_init(&r->loop)) != 0) {
        rv = st_errf(err, errlen, ST_EIO, "mraft: uv_loop_init: %s", uv_strerror(rv));
        goto err_after_alloc; /* UNTESTED */
    }
    if ((rv = raft_uv_tcp_init(&r->transport, &r->loop)) != 0) {
        rv = st_errf(err, errlen, mraft_err(rv), "mraft: tcp transport: %s", raft_strerror(rv));
        goto err_after_loop; /* UNTESTED */
    }
    if ((rv = raft_uv_init(&r->io, &r->loop, r->dir, &r->transport)) != 0) {
        rv = st_errf(err, errlen, mraft_err(rv), "mraft: raft_uv %s: %s", r->dir, r->io.errmsg);
        goto err_after_transport;
    }
    raft_uv_set_connect_retry_delay(&r->io, cfg->connect_retry_ms ? cfg->connect_retry_ms : 1000);
    r->rfsm.version = 2;
    r->rfsm.data = r;
    r->rfsm.apply = fsm_apply;
    r->rfsm.snapshot = fsm_snapshot;
    r->rfsm.restore = fsm_restore;
    r->rfsm.snapshot_finalize = fsm_snapshot_finalize;
    if ((rv = raft_init(&r->raft, &r->io, &r->rfsm, r->id, r->address)) != 0) {
        rv = st_errf(err, errlen, mraft_err(rv), "mraft: raft_init: %s", raft_errmsg(&r->raft));
        goto err_after_io;
    }
    r->raft.data = r;
    raft_set_election_timeout(&r->raft, cfg->election_timeout_ms ? cfg->election_timeout_ms : 1000);
    raft_set_heartbeat_timeout(&r->raft,
                               cfg->heartbeat_timeout_ms ? cfg->heartbeat_timeout_ms : 100);
    raft_set_snapshot_threshold(&r->raft, cfg->snapshot_threshold ? cfg->snapshot_threshold : 1024);
    raft_set_snapshot_trailing(&r->raft, cfg->snapshot_trailing ? cfg->snapshot_trailing : 128);
    raft_set_install_snapshot_timeout(
        &r->raft, cfg->install_snapshot_timeout_ms ? cfg->install_snapshot_timeout_ms : 3000);

    if (cfg->nmembers > 0 && (rv = bootstrap(r, cfg, err, errlen)) != ST_OK)
        goto err_after_raft;
    if ((rv = raft_start(&r->raft)) != 0) {
        rv = st_errf(err, errlen, mraft_err(rv), "mraft: start %s: %s", r->dir,
                     raft_errmsg(&r->raft));
        goto err_after_raft;
    }
    atomic_store(&r->applied, raft_last_applied(&r->raft));
    if ((rv = uv_async_init(&r->loop, &r->async, async_cb)) != 0) {
        rv = st_errf(err, errlen, ST_ENOMEM, "mraft: uv_async_init: %s", uv_strerror(rv));
        goto err_after_raft; /* UNTESTED */
    }
    r->async.data = r;
    uv_check_init(&r->loop, &r->check);
    r->check.data = r;
    uv_check_start(&r->check, check_cb);
    if (pthread_create(&r->thread, NULL, loop_main, r) != 0) {
        rv = st_errf(err, errlen, ST_ENOMEM, "mraft: cannot start the loop thread");
        uv_close((uv_handle_t *)&r->check, handle_close_cb); /* UNTESTED */
        uv_close((uv_handle_t *)&r->async, handle_close_cb);
        goto err_after_raft;
    }
    *out = r;
    return ST_OK;

err_after_raft:
    /* raft_close() closes raft_uv (and through it the transport); their
     * memory goes once the loop has run the close to its end. */
    raft_close(&r->raft, start_fail_close_cb);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    raft_uv_close(&r->io);
    raft_uv_tcp_close(&r->transport);
    uv_loop_close(&r->loop);
    free_server(r);
    return rv;
err_after_io:
    raft_uv_close(&r->io);
err_after_transport:
    raft_uv_tcp_close(&r->transport);
err_after_loop:
    uv_run(&r->loop, UV_RUN_DEFAULT);
    uv_loop_close(&r->loop);
err_after_alloc:
    free_server(r);
    return rv;
}

void st_mraft_stop(st_mraft *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
    pthread_join(r->thread, NULL);

    /* The loop has ended: raft completed what it held; anything left is
     * canceled here, on this thread, which now owns the loop's state. */
    mraft_cancel_flight(r, ST_ECANCELED);
    mraft_drain(r);
    uv_loop_close(&r->loop);

    pthread_mutex_lock(&r->mu);
    while (r->callers > 0)
        pthread_cond_wait(&r->cond, &r->mu);
    pthread_mutex_unlock(&r->mu);
    free_server(r);
}

/* The raft code's meaning, in strata's words. */
int mraft_err(int rv)
{
    switch (rv) {
    case 0:
        return ST_OK;
    case RAFT_NOMEM:
        return ST_ENOMEM;
    case RAFT_NOTLEADER:
        return ST_ENOTLEADER;
    case RAFT_LEADERSHIPLOST:
    case RAFT_CANTCHANGE:
    case RAFT_BUSY:
    case RAFT_NOCONNECTION:
        return ST_EUNAVAIL;
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED:
        return ST_ECANCELED;
    case RAFT_BADID:
    case RAFT_NOTFOUND:
        return ST_ENOTFOUND;
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
        return ST_EEXIST;
    case RAFT_BADROLE:
    case RAFT_INVALID:
    case RAFT_MALFORMED:
    case RAFT_NAMETOOLONG:
        return ST_EINVAL;
    case RAFT_CORRUPT:
        return ST_ECORRUPT;
    case RAFT_TOOBIG:
    case RAFT_TOOMANY:
        return ST_ERANGE;
    case RAFT_NOSPACE:
        return ST_ENOSPC;
    default:
        return ST_EIO;
    }
}
