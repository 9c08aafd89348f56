/* Request/response RPC over nng (req/rep with contexts), bytes in and out. */
#ifndef ST_RPC_H
#define ST_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Handles one request. @req (borrowed, valid during the call) holds @len
 * bytes; the handler appends its response to @resp (empty on entry) and
 * returns ST_OK. Any other return drops the request without an answer (the
 * caller's deadline fires): handlers answer errors in the response message.
 * Called from several worker threads at once. */
typedef int (*st_rpc_handler)(void *arg, const uint8_t *req, size_t len, struct st_buf *resp);

typedef struct st_rpc_server st_rpc_server;

struct st_rpc_server_opts {
    const char *url; /* "tcp://127.0.0.1:7100"; port 0 picks a free port */
    int workers;     /* concurrent requests (threads); default 16 */
    size_t max_msg;  /* largest request accepted; default 256 MiB */
    st_rpc_handler handler;
    void *arg; /* passed to handler */
};

/* Listens on opts->url and starts the workers. Caller owns the server; stop
 * and free it with st_rpc_server_close(). On error writes a message into
 * @err (size @errlen). */
int st_rpc_server_open(const struct st_rpc_server_opts *opts, st_rpc_server **out, char *err,
                       size_t errlen);

/* The TCP port actually bound (useful after port 0). */
int st_rpc_server_port(const st_rpc_server *s);

/* Stops accepting, waits for running handlers to return, frees. NULL is fine. */
void st_rpc_server_close(st_rpc_server *s);

typedef struct st_rpc_client st_rpc_client;

/* Dials @url in the background (reconnecting as needed). Caller owns the
 * client; free with st_rpc_client_close(). Thread-safe: each call uses its
 * own nng context. Requests are never re-sent by nng (resend time is
 * infinite): a timed-out call is the caller's to retry. */
int st_rpc_client_open(const char *url, st_rpc_client **out);
void st_rpc_client_close(st_rpc_client *c);

/* Ends the calls in progress on other threads at once and refuses later
 * ones (both return ST_ECANCELED), without freeing @c: for an owner that
 * must interrupt its own threads before st_rpc_client_close(), which is
 * still needed. Thread-safe; twice is fine. */
void st_rpc_client_shutdown(st_rpc_client *c);

/* Sends @len bytes of @req (borrowed) and waits up to @timeout_ms in all for
 * the answer, which replaces the content of @resp. ST_OK; ST_EUNAVAIL: no
 * connection took the request within the deadline (it was not sent), or the
 * connection broke while waiting for the answer (it may have been
 * processed); ST_ETIMEDOUT: sent, no answer in time (outcome unknown);
 * ST_ECANCELED (st_rpc_client_shutdown()), ST_ENOMEM or ST_EPROTO. */
int st_rpc_call(st_rpc_client *c, const void *req, size_t len, int timeout_ms, struct st_buf *resp);

/* st_rpc_call() that fails fast: ST_EUNAVAIL as soon as no connection has
 * taken the request within @connect_ms (<= @timeout_ms), for a caller with
 * other servers to try (a dead server's connection is gone, while a live
 * one answers within @timeout_ms). */
int st_rpc_call_fast(st_rpc_client *c, const void *req, size_t len, int connect_ms, int timeout_ms,
                     struct st_buf *resp);

/* A call started without waiting for it (st_rpc_start()). */
typedef struct st_rpc_pending st_rpc_pending;

/* Starts st_rpc_call_fast() of @req (copied) and returns at once: a caller
 * can have calls to several servers in flight. ST_OK with *@out, which must
 * be finished with st_rpc_finish(); otherwise nothing was started
 * (ST_ECANCELED after shutdown, ST_ENOMEM). */
int st_rpc_start(st_rpc_client *c, const void *req, size_t len, int connect_ms, int timeout_ms,
                 st_rpc_pending **out);

/* A request built in place, for a caller that would otherwise pack it into
 * a buffer only for st_rpc_start() to copy it (a router's megabyte write
 * batches: one copy less per request). */
typedef struct st_rpc_msg st_rpc_msg;

/* A message of @len bytes to fill through st_rpc_msg_body(). Caller owns
 * it until st_rpc_start_msg() takes it; st_rpc_msg_free() otherwise.
 * ST_OK or ST_ENOMEM. */
int st_rpc_msg_alloc(size_t len, st_rpc_msg **out);
void *st_rpc_msg_body(st_rpc_msg *m);
/* A copy of @m, for a request that goes to several servers. */
int st_rpc_msg_dup(const st_rpc_msg *m, st_rpc_msg **out);
void st_rpc_msg_free(st_rpc_msg *m);

/* st_rpc_start() of @m, which it takes whatever it returns. */
int st_rpc_start_msg(st_rpc_client *c, st_rpc_msg *m, int connect_ms, int timeout_ms,
                     st_rpc_pending **out);

/* Waits for @p's end and frees it: the answer in @resp and the result of
 * st_rpc_call_fast(). */
int st_rpc_finish(st_rpc_pending *p, struct st_buf *resp);

#endif
