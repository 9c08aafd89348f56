/* Streamed /query answers: a producer thread runs the statements and
 * pushes each complete chunk into a bounded buffer; the connection's thread
 * (st_http_stream.next) takes what is there and sends it.
 *
 * Ownership: the stream owns copies of the context's strings and the
 * query text (the request is gone once the handler returns). The HTTP
 * server calls done() exactly once, after the body was sent or the client
 * went away; done() cancels the producer, joins it and frees everything.
 *
 * Failure: once 200 is sent, an error inside the statements is written in
 * their results, as InfluxDB does; out of memory in the producer cuts the
 * body (next() fails, the server closes the connection).
 */
#include "qstream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct qstream {
    struct st_qctx ctx; /* the strings below, the rest copied */
    char *db, *rp, *user, *params, *q;
    st_qrun *run;
    pthread_t thread;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct st_buf pending; /* made, not yet taken by next() */
    bool finished;         /* the producer wrote its last byte into @pending */
    bool canceled;         /* the client went away: the producer must stop */
    int rv;                /* the producer's result, once @finished */
};

static char *dup_or_null(const char *s, bool *failed)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *failed = true;
    return d;
}

static void qs_free(struct qstream *qs)
{
    st_qadmin_free(qs->run);
    st_buf_fini(&qs->pending);
    pthread_cond_destroy(&qs->cv);
    pthread_mutex_destroy(&qs->mu);
    free(qs->db);
    free(qs->rp);
    free(qs->user);
    free(qs->params);
    free(qs->q);
    free(qs);
}

/* The producer's sink: waits while the client is behind. */
static int push(void *arg, const char *p, size_t n)
{
    struct qstream *qs = arg;
    pthread_mutex_lock(&qs->mu);
    while (qs->pending.len >= ST_QSTREAM_BUFFER && !qs->canceled)
        pthread_cond_wait(&qs->cv, &qs->mu);
    int rv = qs->canceled ? ST_ECANCELED : st_buf_append(&qs->pending, p, n);
    pthread_cond_broadcast(&qs->cv);
    pthread_mutex_unlock(&qs->mu);
    return rv;
}

static void *produce(void *arg)
{
    struct qstream *qs = arg;
    struct st_buf last;
    st_buf_init(&last);
    int status;
    int rv = st_qadmin_exec(qs->run, push, qs, &last, &status);
    pthread_mutex_lock(&qs->mu);
    if (rv == ST_OK)
        rv = st_buf_append(&qs->pending, last.p, last.len);
    qs->rv = rv;
    qs->finished = true;
    pthread_cond_broadcast(&qs->cv);
    pthread_mutex_unlock(&qs->mu);
    st_buf_fini(&last);
    return NULL;
}

static int next(void *arg, struct st_buf *out, bool *end)
{
    struct qstream *qs = arg;
    pthread_mutex_lock(&qs->mu);
    while (qs->pending.len == 0 && !qs->finished)
        pthread_cond_wait(&qs->cv, &qs->mu);
    int rv = qs->finished ? qs->rv : ST_OK;
    if (rv == ST_OK)
        rv = st_buf_append(out, qs->pending.p, qs->pending.len);
    st_buf_reset(&qs->pending);
    *end = qs->finished;
    pthread_cond_broadcast(&qs->cv);
    pthread_mutex_unlock(&qs->mu);
    return rv;
}

static void done(void *arg)
{
    struct qstream *qs = arg;
    pthread_mutex_lock(&qs->mu);
    qs->canceled = true;
    pthread_cond_broadcast(&qs->cv);
    pthread_mutex_unlock(&qs->mu);
    pthread_join(qs->thread, NULL);
    qs_free(qs);
}

int st_qstream_start(const struct st_qctx *ctx, const char *q, struct st_http_resp *resp)
{
    struct qstream *qs = calloc(1, sizeof *qs);
    if (qs == NULL)
        return ST_ENOMEM;
    pthread_mutex_init(&qs->mu, NULL);
    pthread_cond_init(&qs->cv, NULL);
    st_buf_init(&qs->pending);
    bool failed = false;
    qs->ctx = *ctx;
    qs->ctx.db = qs->db = dup_or_null(ctx->db, &failed);
    qs->ctx.rp = qs->rp = dup_or_null(ctx->rp, &failed);
    qs->ctx.user = qs->user = dup_or_null(ctx->user, &failed);
    qs->ctx.params = qs->params = dup_or_null(ctx->params, &failed);
    qs->q = dup_or_null(q, &failed);
    if (failed)
        goto err;
    int status;
    if (st_qadmin_prepare(&qs->ctx, qs->q, &resp->body, &status, &qs->run) != ST_OK)
        goto err;
    resp->status = status;
    if (qs->run == NULL) { /* answered as a whole */
        qs_free(qs);
        return ST_OK;
    }
    if (pthread_create(&qs->thread, NULL, produce, qs) != 0)
        goto err; /* UNTESTED: no thread */
    resp->stream = (struct st_http_stream){.next = next, .done = done, .arg = qs};
    return ST_OK;
err:
    st_buf_reset(&resp->body);
    qs_free(qs);
    return ST_ENOMEM;
}
