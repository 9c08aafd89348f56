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
    int started;
};

struct st_rpc_server {
    nng_socket sock;
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

static void *worker_main(void *p)
{
    struct worker *w = p;
    struct st_buf resp;
    st_buf_init(&resp);
    for (;;) {
        nng_ctx_recv(w->ctx, w->aio);
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
        nng_aio_set_msg(w->aio, msg);
        nng_ctx_send(w->ctx, w->aio);
        nng_aio_wait(w->aio);
        if (nng_aio_result(w->aio) != 0)
            nng_msg_free(nng_aio_get_msg(w->aio));
    }
    st_buf_fini(&resp);
    return NULL;
}

int st_rpc_server_open(const struct st_rpc_server_opts *opts, st_rpc_server **out, char *err,
                       size_t errlen)
{
    int rv;
    st_rpc_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ST_ENOMEM;
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
        if ((rv = nng_ctx_open(&w->ctx, s->sock)) != 0 ||
            (rv = nng_aio_alloc(&w->aio, NULL, NULL)) != 0) {
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
    nng_close(s->sock);
    for (int i = 0; i < s->nworkers; i++) {
        if (s->workers[i].started)
            pthread_join(s->workers[i].thread, NULL);
        if (s->workers[i].aio)
            nng_aio_free(s->workers[i].aio);
    }
    free(s->workers);
    free(s);
    return from_nng(rv);
err_after_socket:
    nng_close(s->sock);
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
    nng_close(s->sock); /* fails every pending receive with NNG_ECLOSED */
    for (int i = 0; i < s->nworkers; i++) {
        struct worker *w = &s->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        nng_aio_free(w->aio);
    }
    free(s->workers);
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

/* Starts a send (@send) or a receive of call @k and waits for it. The
 * check of `shut` and the start are one step under c->mu: either
 * st_rpc_client_shutdown() sees the operation and cancels it, or it never
 * starts. Returns the nng result. */
static int step(st_rpc_client *c, struct call *k, bool send)
{
    pthread_mutex_lock(&c->mu);
    bool shut = c->shut;
    if (!shut) {
        if (send)
            nng_ctx_send(k->ctx, k->aio);
        else
            nng_ctx_recv(k->ctx, k->aio);
    }
    pthread_mutex_unlock(&c->mu);
    if (shut)
        return NNG_ECANCELED;
    nng_aio_wait(k->aio);
    return nng_aio_result(k->aio);
}

int st_rpc_call_fast(st_rpc_client *c, const void *req, size_t len, int connect_ms, int timeout_ms,
                     struct st_buf *resp)
{
    struct call k = {.aio = NULL};
    nng_msg *msg = NULL;
    bool shut = false;
    int rv = nng_ctx_open(&k.ctx, c->sock);
    if (rv != 0)
        return from_nng(rv);
    nng_ctx_set_ms(k.ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    if ((rv = nng_aio_alloc(&k.aio, NULL, NULL)) != 0)
        goto out_ctx;
    pthread_mutex_lock(&c->mu);
    k.next = c->calls;
    if (k.next != NULL)
        k.next->prev = &k;
    c->calls = &k;
    pthread_mutex_unlock(&c->mu);
    if ((rv = nng_msg_alloc(&msg, 0)) != 0 || (rv = nng_msg_append(msg, req, len)) != 0)
        goto out;
    /* One deadline for both halves. A send completes when req0 hands the
     * request to a connection, so a send that times out was never sent:
     * that is "no connection", not "no answer". */
    int64_t start = mono_ms();
    nng_aio_set_timeout(k.aio, timeout_ms > 0 && connect_ms > 0 && connect_ms < timeout_ms
                                   ? connect_ms
                                   : timeout_ms);
    nng_aio_set_msg(k.aio, msg);
    if ((rv = step(c, &k, true)) != 0) {
        if (rv == NNG_ETIMEDOUT)
            rv = NNG_ECONNREFUSED; /* from_nng(): ST_EUNAVAIL */
        goto out;                  /* msg still ours */
    }
    msg = NULL;
    nng_duration left = timeout_ms;
    if (timeout_ms > 0) {
        int64_t spent = mono_ms() - start;
        left = spent < timeout_ms ? timeout_ms - (nng_duration)spent : 1;
    }
    nng_aio_set_timeout(k.aio, left);
    if ((rv = step(c, &k, false)) != 0)
        goto out;
    msg = nng_aio_get_msg(k.aio);
    st_buf_reset(resp);
    if (st_buf_append(resp, nng_msg_body(msg), nng_msg_len(msg)) != ST_OK)
        rv = NNG_ENOMEM;
out:
    pthread_mutex_lock(&c->mu);
    if (k.prev != NULL)
        k.prev->next = k.next;
    else
        c->calls = k.next;
    if (k.next != NULL)
        k.next->prev = k.prev;
    shut = c->shut;
    pthread_mutex_unlock(&c->mu);
    if (msg)
        nng_msg_free(msg);
    nng_aio_free(k.aio);
out_ctx:
    nng_ctx_close(k.ctx);
    /* A cancelled receive may also surface as a broken connection. */
    if (rv != 0 && shut)
        return ST_ECANCELED;
    return from_nng(rv);
}
