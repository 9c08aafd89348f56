/* The meta client library: lifecycle and the local copy of the catalogue.
 *
 * The local copy is a refcounted immutable snapshot (struct mcli_snap): the
 * unpacked Strata__Catalogue plus a count of references. The client's
 * current copy holds one; st_mcli_acquire() takes another under the mutex,
 * st_mcli_release() drops it and frees the snapshot at zero. Installing a
 * newer catalogue swaps the pointer under the mutex and drops the client's
 * reference to the old one, so readers never wait for the network and a
 * reader holding an old snapshot keeps it intact until it lets go. A
 * catalogue whose index is not above the current one is never installed: a
 * lagging meta node cannot move the copy back in time. Waiters
 * (st_mcli_wait(), read-your-writes after a command) wake only once the
 * watch thread's on_change has returned for the catalogue (`ready`), so a
 * caller's own change has also reached the application's caches by then.
 *
 * The watch thread (client_watch.c) installs what the meta nodes send;
 * commands with failover are client_call.c; st_mcli_locate() is
 * client_locate.c.
 *
 * Close: sets `stopping` (calls check it between attempts and while they
 * wait), shuts down every peer's st_rpc_client so that requests in flight,
 * the watch's long poll included, end at once with ST_ECANCELED, waits for
 * the calls in progress to leave, joins the watch thread and frees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_int.h"
#include "err.h"

long long mcli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool mcli_wait_until(st_mcli *c, long long deadline_ms)
{
    long long now = mcli_now_ms();
    if (now >= deadline_ms)
        return false;
    /* The condition variable runs on CLOCK_MONOTONIC (see open). */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = ts.tv_nsec + (deadline_ms - now) % 1000 * 1000000;
    ts.tv_sec += (time_t)((deadline_ms - now) / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    return true;
}

int mcli_enter(st_mcli *c, char *err, size_t errlen)
{
    pthread_mutex_lock(&c->mu);
    bool stopping = c->stopping;
    if (!stopping)
        c->ncalls++;
    pthread_mutex_unlock(&c->mu);
    if (stopping)
        return st_errf(err, errlen, ST_ECANCELED, "meta client: closing");
    return ST_OK;
}

void mcli_leave(st_mcli *c)
{
    pthread_mutex_lock(&c->mu);
    c->ncalls--;
    if (c->ncalls == 0 && c->stopping)
        pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void mcli_peer_ok(st_mcli *c, size_t i)
{
    pthread_mutex_lock(&c->mu);
    c->peers[i].ok_ms = mcli_now_ms();
    pthread_mutex_unlock(&c->mu);
}

void mcli_peer_failed(st_mcli *c, size_t i)
{
    pthread_mutex_lock(&c->mu);
    c->peers[i].fail_ms = mcli_now_ms();
    pthread_mutex_unlock(&c->mu);
}

bool mcli_peer_alive(const st_mcli *c, size_t i)
{
    return c->peers[i].ok_ms != 0 && c->peers[i].ok_ms >= c->peers[i].fail_ms;
}

static void snap_free(struct mcli_snap *s)
{
    if (s == NULL)
        return;
    strata__catalogue__free_unpacked(s->cat, NULL);
    free(s);
}

int mcli_install(st_mcli *c, Strata__Catalogue *cat, const struct st_mcat **out)
{
    if (out != NULL)
        *out = NULL;
    struct mcli_snap *s = malloc(sizeof(*s));
    if (s == NULL) {
        strata__catalogue__free_unpacked(cat, NULL); /* UNTESTED: out of memory */
        return ST_ENOMEM;
    }
    s->cat = cat;
    s->pub.cat = cat;
    s->refs = out != NULL ? 2 : 1;
    struct mcli_snap *old = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->cur == NULL || cat->index > c->cur->cat->index) {
        old = c->cur;
        c->cur = s;
        if (old != NULL && --old->refs != 0)
            old = NULL; /* a reader still holds it; its release frees it */
        if (out != NULL) {
            *out = &s->pub;
        } else {
            c->ready = cat->index;
            pthread_cond_broadcast(&c->cv);
        }
        s = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    snap_free(s); /* not newer: dropped */
    snap_free(old);
    return ST_OK;
}

void mcli_ready(st_mcli *c, uint64_t index)
{
    pthread_mutex_lock(&c->mu);
    if (index > c->ready)
        c->ready = index;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

const struct st_mcat *st_mcli_acquire(st_mcli *c)
{
    pthread_mutex_lock(&c->mu);
    struct mcli_snap *s = c->cur;
    if (s != NULL)
        s->refs++;
    pthread_mutex_unlock(&c->mu);
    return s != NULL ? &s->pub : NULL;
}

void st_mcli_release(st_mcli *c, const struct st_mcat *cat)
{
    if (cat == NULL)
        return;
    struct mcli_snap *s = (struct mcli_snap *)cat; /* pub is the first member */
    pthread_mutex_lock(&c->mu);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&c->mu);
    if (last)
        snap_free(s);
}

uint64_t st_mcli_index(st_mcli *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t index = c->cur != NULL ? c->cur->cat->index : 0;
    pthread_mutex_unlock(&c->mu);
    return index;
}

void mcli_wait_index(st_mcli *c, uint64_t index, long long deadline_ms)
{
    pthread_mutex_lock(&c->mu);
    while (!c->stopping && (c->cur == NULL || c->ready < index))
        if (!mcli_wait_until(c, deadline_ms))
            break;
    pthread_mutex_unlock(&c->mu);
}

int st_mcli_wait(st_mcli *c, uint64_t min_index, unsigned timeout_ms)
{
    long long deadline = mcli_now_ms() + timeout_ms;
    int rv = ST_OK;
    pthread_mutex_lock(&c->mu);
    while (min_index > 0 && (c->cur == NULL || c->ready < min_index)) {
        if (c->stopping) {
            rv = ST_ECANCELED;
            break;
        }
        if (!mcli_wait_until(c, deadline)) {
            rv = ST_ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rv;
}

static int check_opts(const struct st_mcli_opts *o, char *err, size_t errlen)
{
    if (o == NULL || o->addrs == NULL || o->naddrs == 0)
        return st_errf(err, errlen, ST_EINVAL, "meta client: at least one meta address required");
    if (o->naddrs > MCLI_MAX_ADDRS)
        return st_errf(err, errlen, ST_EINVAL, "meta client: at most %d meta addresses",
                       MCLI_MAX_ADDRS);
    for (size_t i = 0; i < o->naddrs; i++)
        if (o->addrs[i] == NULL || o->addrs[i][0] == '\0')
            return st_errf(err, errlen, ST_EINVAL, "meta client: meta address %zu is empty", i);
    return ST_OK;
}

/* Frees what open built; the watch thread is not running. */
static void client_free(st_mcli *c)
{
    for (size_t i = 0; i < c->npeers; i++) {
        st_rpc_client_close(c->peers[i].rpc);
        free(c->peers[i].url);
    }
    free(c->peers);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int st_mcli_open(const struct st_mcli_opts *opts, st_mcli **out, char *err, size_t errlen)
{
    int rv = check_opts(opts, err, errlen);
    if (rv != ST_OK)
        return rv;
    st_mcli *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "meta client: out of memory");
    c->call_timeout_ms = opts->call_timeout_ms ? opts->call_timeout_ms : 10000;
    c->watch_ms = opts->watch_ms ? opts->watch_ms : 10000;
    c->on_change = opts->on_change;
    c->arg = opts->arg;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        goto err_after_alloc; /* UNTESTED: out of memory */
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int crv = pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (crv != 0)
        goto err_after_alloc; /* UNTESTED: out of memory */
    if (pthread_mutex_init(&c->mu, NULL) != 0)
        goto err_after_cond; /* UNTESTED: out of memory */
    c->cap = opts->naddrs + MCLI_MAX_EXTRA;
    c->peers = calloc(c->cap, sizeof(*c->peers));
    if (c->peers == NULL)
        goto err_after_mutex;
    for (size_t i = 0; i < opts->naddrs; i++) {
        struct mcli_peer *p = &c->peers[i];
        if ((p->url = strdup(opts->addrs[i])) == NULL)
            goto err_after_peers;
        c->npeers++;
        if ((rv = st_rpc_client_open(p->url, &p->rpc)) != ST_OK) {
            rv = st_errf(err, errlen, rv == ST_ENOMEM ? ST_ENOMEM : ST_EINVAL,
                         "meta client: bad meta address %s: %s", p->url, st_strerror(rv));
            client_free(c);
            return rv;
        }
    }
    if (pthread_create(&c->watch, NULL, mcli_watch_main, c) != 0)
        goto err_after_peers; /* UNTESTED: no threads left */
    c->watch_started = true;
    *out = c;
    return ST_OK;

err_after_peers:
    client_free(c);
    return st_errf(err, errlen, ST_ENOMEM, "meta client: out of memory");
err_after_mutex:
    pthread_mutex_destroy(&c->mu);
err_after_cond:
    pthread_cond_destroy(&c->cv);
err_after_alloc:
    free(c);
    return st_errf(err, errlen, ST_ENOMEM, "meta client: out of memory");
}

void st_mcli_close(st_mcli *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    pthread_cond_broadcast(&c->cv);
    size_t n = c->npeers; /* no peer is added once stopping is set */
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < n; i++)
        st_rpc_client_shutdown(c->peers[i].rpc);
    pthread_mutex_lock(&c->mu);
    while (c->ncalls > 0)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    if (c->watch_started)
        pthread_join(c->watch, NULL);
    /* Snapshots must have been released (see client.h): only the client's
     * own reference to the current one is left. */
    if (c->cur != NULL && --c->cur->refs == 0)
        snap_free(c->cur);
    client_free(c);
}
