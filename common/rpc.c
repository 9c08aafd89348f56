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
 * receive has a deadline (an aio's timeout is infinite by default). */
#include "rpc.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct st_rpc_client {
    nng_socket sock;
};

int st_rpc_client_open(const char *url, st_rpc_client **out)
{
    st_rpc_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return ST_ENOMEM;
    int rv = nng_req0_open(&c->sock);
    if (rv != 0) {
        free(c);
        return from_nng(rv);
    }
    nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 256u << 20);
    nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 50);
    nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000);
    rv = nng_dial(c->sock, url, NULL, NNG_FLAG_NONBLOCK);
    if (rv != 0) {
        nng_close(c->sock);
        free(c);
        return from_nng(rv);
    }
    *out = c;
    return ST_OK;
}

void st_rpc_client_close(st_rpc_client *c)
{
    if (c == NULL)
        return;
    nng_close(c->sock);
    free(c);
}

int st_rpc_call(st_rpc_client *c, const void *req, size_t len, int timeout_ms, struct st_buf *resp)
{
    nng_ctx ctx;
    nng_aio *aio = NULL;
    nng_msg *msg = NULL;
    int rv = nng_ctx_open(&ctx, c->sock);
    if (rv != 0)
        return from_nng(rv);
    nng_ctx_set_ms(ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0)
        goto out;
    if ((rv = nng_msg_alloc(&msg, 0)) != 0 || (rv = nng_msg_append(msg, req, len)) != 0)
        goto out;
    nng_aio_set_timeout(aio, timeout_ms);
    nng_aio_set_msg(aio, msg);
    nng_ctx_send(ctx, aio);
    nng_aio_wait(aio);
    if ((rv = nng_aio_result(aio)) != 0)
        goto out; /* msg still ours */
    msg = NULL;
    nng_aio_set_timeout(aio, timeout_ms);
    nng_ctx_recv(ctx, aio);
    nng_aio_wait(aio);
    if ((rv = nng_aio_result(aio)) != 0)
        goto out;
    msg = nng_aio_get_msg(aio);
    st_buf_reset(resp);
    if (st_buf_append(resp, nng_msg_body(msg), nng_msg_len(msg)) != ST_OK)
        rv = NNG_ENOMEM;
out:
    if (msg)
        nng_msg_free(msg);
    if (aio)
        nng_aio_free(aio);
    nng_ctx_close(ctx);
    return from_nng(rv);
}
