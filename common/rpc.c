/* nng req/rep RPC.
 *
 * Server: one rep socket, one nng context per worker thread. A worker loops
 * receive -> handle -> send on its context; since every context serves one
 * request at a time, a slow handler (a write waiting for its WAL group
 * commit) holds only its own worker. Close stops the socket, which fails
 * every pending receive, and joins the workers.
 *
 * Client: one req socket dialing in the background; every call opens its own
 * context, so calls from many threads proceed concurrently. The resend time
 * is infinite (DESIGN.md: a resent write could be applied twice) and every
 * receive has a deadline (an aio's timeout is infinite by default). One
 * deadline covers send and receive; a send that times out found no
 * connection, so the request was never sent (ST_EUNAVAIL, safe to retry
 * elsewhere). st_rpc_client_shutdown() cancels the calls in progress (each
 * registers its aio with the client), which is how an owner interrupts its
 * threads before freeing. */
#include "rpc.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "err.h"

struct worker {
    struct st_rpc_server *srv;
    pthread_t thread;
    nng_ctx ctx;
    nng_aio *aio;
    bool ctx_open;
    int started;
};

struct st_rpc_server {
    nng_socket sock;
    pthread_mutex_t mu; /* orders starting worker operations with close */
    bool closing;       /* under mu */
    nng_listener listener;
    st_rpc_handler handler;
    void *arg;
    int nworkers;
    struct worker *workers;
    int port;
};

static int from_nng(int rv)
{
    switch (rv) {
    case 0:
        return ST_OK;
    case NNG_ENOMEM:
        return ST_ENOMEM;
    case NNG_ETIMEDOUT:
        return ST_ETIMEDOUT;
    case NNG_ECLOSED:
    case NNG_ECANCELED:
        return ST_ECANCELED;
    case NNG_ECONNREFUSED:
    case NNG_ECONNRESET:
    case NNG_ECONNSHUT:
    case NNG_EADDRINVAL:
    case NNG_EUNREACHABLE:
        return ST_EUNAVAIL;
    default:
        return ST_EPROTO;
    }
}

/* Starts a receive (msg NULL) or a send on the worker's context unless the
 * server is closing; the check and the start are one step under srv->mu, so
 * st_rpc_server_close() either cancels the operation or it never starts.
 * Returns false when closing. */
static bool worker_start(struct worker *w, nng_msg *msg)
{
    pthread_mutex_lock(&w->srv->mu);
    bool closing = w->srv->closing;
    if (!closing) {
        if (msg == NULL) {
            nng_ctx_recv(w->ctx, w->aio);
        } else {
            nng_aio_set_msg(w->aio, msg);
            nng_ctx_send(w->ctx, w->aio);
        }
    }
    pthread_mutex_unlock(&w->srv->mu);
    return !closing;
}

static void *worker_main(void *p)
{
    struct worker *w = p;
    struct st_buf resp;
    st_buf_init(&resp);
    for (;;) {
        if (!worker_start(w, NULL))
            break;
        nng_aio_wait(w->aio);
        int rv = nng_aio_result(w->aio);
        if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
            break;
        if (rv != 0)
            continue;
        nng_msg *msg = nng_aio_get_msg(w->aio);
        st_buf_reset(&resp);
        rv = w->srv->handler(w->srv->arg, nng_msg_body(msg), nng_msg_len(msg), &resp);
        if (rv != ST_OK) {
            nng_msg_free(msg);
            continue;
        }
        /* Reuse the request message for the response. */
        nng_msg_clear(msg);
        if (nng_msg_append(msg, resp.p ? resp.p : "", resp.len) != 0) {
            nng_msg_free(msg); /* UNTESTED: out of memory; the caller times out */
            continue;
        }
        if (!worker_start(w, msg)) {
            nng_msg_free(msg);
            break;
        }
        nng_aio_wait(w->aio);
        if (nng_aio_result(w->aio) != 0)
            nng_msg_free(nng_aio_get_msg(w->aio));
    }
    st_buf_fini(&resp);
    return NULL;
}

/* Stops the workers before the socket closes: nng 1.5 panics when a context
 * sends while its socket is being torn down (a handler that was still running
 * when nng_close() came), so every operation is cancelled, no new one starts,
 * and the threads are joined; only then do the contexts and socket go. */
static void stop_workers(st_rpc_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    for (int i = 0; i < s->nworkers; i++)
        if (s->workers[i].aio != NULL)
            nng_aio_cancel(s->workers[i].aio);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->nworkers; i++) {
        struct worker *w = &s->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        if (w->aio != NULL)
            nng_aio_free(w->aio);
        if (w->ctx_open)
            nng_ctx_close(w->ctx);
    }
}

int st_rpc_server_open(const struct st_rpc_server_opts *opts, st_rpc_server **out, char *err,
                       size_t errlen)
{
    int rv;
    st_rpc_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ST_ENOMEM;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s); /* UNTESTED: out of memory */
        return ST_ENOMEM;
    }
    s->handler = opts->handler;
    s->arg = opts->arg;
    s->nworkers = opts->workers > 0 ? opts->workers : 16;
    if ((rv = nng_rep0_open(&s->sock)) != 0) {
        snprintf(err, errlen, "rpc: open socket: %s", nng_strerror(rv));
        free(s);
        return from_nng(rv);
    }
    nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, opts->max_msg ? opts->max_msg : 256u << 20);
    if ((rv = nng_listen(s->sock, opts->url, &s->listener, 0)) != 0) {
        snprintf(err, errlen, "rpc: listen on %s: %s", opts->url, nng_strerror(rv));
        goto err_after_socket;
    }
    nng_sockaddr sa;
    if (nng_listener_get_addr(s->listener, NNG_OPT_LOCADDR, &sa) == 0 && sa.s_family == NNG_AF_INET)
        s->port = ntohs(sa.s_in.sa_port);
    s->workers = calloc((size_t)s->nworkers, sizeof(*s->workers));
    if (s->workers == NULL) {
        rv = NNG_ENOMEM;
        goto err_after_socket;
    }
    for (int i = 0; i < s->nworkers; i++) {
        struct worker *w = &s->workers[i];
        w->srv = s;
        if ((rv = nng_ctx_open(&w->ctx, s->sock)) != 0) {
            snprintf(err, errlen, "rpc: context: %s", nng_strerror(rv));
            goto err_after_workers;
        }
        w->ctx_open = true;
        if ((rv = nng_aio_alloc(&w->aio, NULL, NULL)) != 0) {
            snprintf(err, errlen, "rpc: context: %s", nng_strerror(rv));
            goto err_after_workers;
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, errlen, "rpc: cannot start worker thread");
            rv = NNG_ENOMEM;
            goto err_after_workers;
        }
        w->started = 1;
    }
    *out = s;
    return ST_OK;

err_after_workers:
    stop_workers(s);
    nng_close(s->sock);
    free(s->workers);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return from_nng(rv);
err_after_socket:
    nng_close(s->sock);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return from_nng(rv);
}

int st_rpc_server_port(const st_rpc_server *s)
{
    return s->port;
}

void st_rpc_server_close(st_rpc_server *s)
{
    if (s == NULL)
        return;
    stop_workers(s);
    nng_close(s->sock);
    free(s->workers);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* One call in progress: its aio, in the client's list so that
 * st_rpc_client_shutdown() can cancel it. */
struct call {
    nng_ctx ctx;
    nng_aio *aio;
    struct call *prev, *next;
};

struct st_rpc_client {
    nng_socket sock;
    pthread_mutex_t mu;
    bool shut;          /* st_rpc_client_shutdown() was called (under mu) */
    struct call *calls; /* in progress (under mu) */
};

int st_rpc_client_open(const char *url, st_rpc_client **out)
{
    st_rpc_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return ST_ENOMEM;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c); /* UNTESTED: out of memory */
        return ST_ENOMEM;
    }
    int rv = nng_req0_open(&c->sock);
    if (rv != 0)
        goto err_after_mutex;
    nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 256u << 20);
    nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 50);
    nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000);
    rv = nng_dial(c->sock, url, NULL, NNG_FLAG_NONBLOCK);
    if (rv != 0) {
        nng_close(c->sock);
        goto err_after_mutex;
    }
    *out = c;
    return ST_OK;

err_after_mutex:
    pthread_mutex_destroy(&c->mu);
    free(c);
    return from_nng(rv);
}

void st_rpc_client_shutdown(st_rpc_client *c)
{
    /* Cancelling the operations, rather than closing the socket under them,
     * follows nng's advice to stop every aio before nng_close(): nng 1.5
     * can hang in nng_close() racing with operations in progress (nng
     * issues 1543, 1813). The socket is closed by st_rpc_client_close(). */
    pthread_mutex_lock(&c->mu);
    c->shut = true;
    for (struct call *k = c->calls; k != NULL; k = k->next)
        nng_aio_cancel(k->aio);
    pthread_mutex_unlock(&c->mu);
}

void st_rpc_client_close(st_rpc_client *c)
{
    if (c == NULL)
        return;
    /* Known hazard of nng 1.5.2 that no call order here avoids: a message
     * (a late answer to a cancelled or timed-out call) arriving while
     * nng_close() tears the connection down can leave the TCP transport's
     * receive unfinished (its rxaio is closed between the message's header
     * and body), and nng_close() then waits for the pipe's reaper forever.
     * Fixed upstream after 1.5.2 (nanomsg/nng#1636, "Finish receive aio on
     * close"; issue #616). Owners therefore avoid closing while an answer
     * is expected: the meta client waits for the watch to see its own
     * commands (meta/client_call.c). */
    nng_close(c->sock);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int st_rpc_call(st_rpc_client *c, const void *req, size_t len, int timeout_ms, struct st_buf *resp)
{
    return st_rpc_call_fast(c, req, len, timeout_ms, timeout_ms, resp);
}

int st_rpc_call_fast(st_rpc_client *c, const void *req, size_t len, int connect_ms, int timeout_ms,
                     struct st_buf *resp)
{
    st_rpc_pending *p;
    int rv = st_rpc_start(c, req, len, connect_ms, timeout_ms, &p);
    if (rv != ST_OK)
        return rv;
    return st_rpc_finish(p, resp);
}

/* A call in flight. Its aio's callback moves it from sending to receiving
 * and finally marks it done; st_rpc_finish() waits for that. */
struct st_rpc_pending {
    st_rpc_client *c;
    struct call k;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool sending;   /* the aio is sending (else receiving); callback only */
    bool done;      /* under mu */
    int rv;         /* nng result, under mu */
    nng_msg *reply; /* the answer when rv == 0 */
    int64_t start;  /* mono_ms() at start */
    int timeout_ms;
};

static void pending_done(st_rpc_pending *p, int rv)
{
    pthread_mutex_lock(&p->mu);
    p->rv = rv;
    p->done = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* The aio callback (an nng thread). One deadline covers both halves. A send
 * completes when req0 hands the request to a connection, so a send that
 * times out was never sent: that is "no connection", not "no answer". */
static void pending_cb(void *arg)
{
    st_rpc_pending *p = arg;
    int rv = nng_aio_result(p->k.aio);
    if (p->sending) {
        if (rv != 0) {
            nng_msg *msg = nng_aio_get_msg(p->k.aio);
            if (msg != NULL)
                nng_msg_free(msg); /* still ours: never sent */
            pending_done(p, rv == NNG_ETIMEDOUT ? NNG_ECONNREFUSED : rv);
            return;
        }
        p->sending = false;
        nng_duration left = p->timeout_ms;
        if (p->timeout_ms > 0) {
            int64_t spent = mono_ms() - p->start;
            left = spent < p->timeout_ms ? p->timeout_ms - (nng_duration)spent : 1;
        }
        nng_aio_set_timeout(p->k.aio, left);
        /* The check of `shut` and the start are one step under c->mu:
         * either st_rpc_client_shutdown() sees the receive and cancels it,
         * or it never starts. */
        pthread_mutex_lock(&p->c->mu);
        bool shut = p->c->shut;
        if (!shut)
            nng_ctx_recv(p->k.ctx, p->k.aio);
        pthread_mutex_unlock(&p->c->mu);
        if (shut)
            pending_done(p, NNG_ECANCELED);
        return;
    }
    if (rv == 0)
        p->reply = nng_aio_get_msg(p->k.aio);
    pending_done(p, rv);
}

/* An st_rpc_msg is an nng message: the type only hides nng from callers. */
int st_rpc_msg_alloc(size_t len, st_rpc_msg **out)
{
    nng_msg *m;
    if (nng_msg_alloc(&m, len) != 0)
        return ST_ENOMEM;
    *out = (st_rpc_msg *)m;
    return ST_OK;
}

void *st_rpc_msg_body(st_rpc_msg *m)
{
    return nng_msg_body((nng_msg *)m);
}

int st_rpc_msg_dup(const st_rpc_msg *m, st_rpc_msg **out)
{
    nng_msg *d;
    if (nng_msg_dup(&d, (const nng_msg *)m) != 0)
        return ST_ENOMEM;
    *out = (st_rpc_msg *)d;
    return ST_OK;
}

void st_rpc_msg_free(st_rpc_msg *m)
{
    if (m != NULL)
        nng_msg_free((nng_msg *)m);
}

int st_rpc_start(st_rpc_client *c, const void *req, size_t len, int connect_ms, int timeout_ms,
                 st_rpc_pending **out)
{
    st_rpc_msg *m;
    if (st_rpc_msg_alloc(len, &m) != ST_OK)
        return ST_ENOMEM;
    if (len > 0)
        memcpy(st_rpc_msg_body(m), req, len);
    return st_rpc_start_msg(c, m, connect_ms, timeout_ms, out);
}

int st_rpc_start_msg(st_rpc_client *c, st_rpc_msg *m, int connect_ms, int timeout_ms,
                     st_rpc_pending **out)
{
    nng_msg *msg = (nng_msg *)m;
    st_rpc_pending *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        nng_msg_free(msg);
        return ST_ENOMEM;
    }
    p->c = c;
    p->timeout_ms = timeout_ms;
    p->sending = true;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    int rv = nng_ctx_open(&p->k.ctx, c->sock);
    if (rv != 0)
        goto err_sync;
    nng_ctx_set_ms(p->k.ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    if ((rv = nng_aio_alloc(&p->k.aio, pending_cb, p)) != 0)
        goto err_ctx;
    p->start = mono_ms();
    nng_aio_set_timeout(p->k.aio, timeout_ms > 0 && connect_ms > 0 && connect_ms < timeout_ms
                                      ? connect_ms
                                      : timeout_ms);
    nng_aio_set_msg(p->k.aio, msg);
    pthread_mutex_lock(&c->mu);
    if (c->shut) {
        pthread_mutex_unlock(&c->mu);
        rv = NNG_ECANCELED;
        goto err_aio;
    }
    p->k.next = c->calls;
    if (p->k.next != NULL)
        p->k.next->prev = &p->k;
    c->calls = &p->k;
    nng_ctx_send(p->k.ctx, p->k.aio);
    pthread_mutex_unlock(&c->mu);
    *out = p;
    return ST_OK;

err_aio:
    nng_aio_free(p->k.aio);
err_ctx:
    nng_ctx_close(p->k.ctx);
err_sync:
    nng_msg_free(msg);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return rv == NNG_ECANCELED ? ST_ECANCELED : from_nng(rv);
}

int st_rpc_finish(st_rpc_pending *p, struct st_buf *resp)
{
    st_rpc_client *c = p->c;
    pthread_mutex_lock(&p->mu);
    while (!p->done)
        pthread_cond_wait(&p->cv, &p->mu);
    int rv = p->rv;
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_lock(&c->mu);
    if (p->k.prev != NULL)
        p->k.prev->next = p->k.next;
    else
        c->calls = p->k.next;
    if (p->k.next != NULL)
        p->k.next->prev = p->k.prev;
    bool shut = c->shut;
    pthread_mutex_unlock(&c->mu);
    nng_aio_free(p->k.aio); /* waits for the callback to return */
    nng_ctx_close(p->k.ctx);
    if (rv == 0 && p->reply != NULL) {
        st_buf_reset(resp);
        if (st_buf_append(resp, nng_msg_body(p->reply), nng_msg_len(p->reply)) != ST_OK)
            rv = NNG_ENOMEM;
    }
    if (p->reply != NULL)
        nng_msg_free(p->reply);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    /* A cancelled receive may also surface as a broken connection. */
    if (rv != 0 && shut)
        return ST_ECANCELED;
    return from_nng(rv);
}
