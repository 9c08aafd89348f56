/* The watch thread: keeps the local copy of the catalogue fresh.
 *
 * Happy path: the thread talks to one meta node at a time. It first asks
 * for the whole catalogue (GetCatalogue, short deadline: this also proves
 * that a connection exists), installs it, and then loops on long polls,
 * WatchRequest{after_index = local index, timeout_ms = watch_ms} with an
 * rpc deadline of watch_ms + 5 s. The node answers as soon as its
 * catalogue is newer (the thread installs it and calls on_change) or after
 * watch_ms with changed = false (the thread asks again).
 *
 * Failure modes: no answer, a broken connection (a killed node breaks it at
 * once, which ends the long poll with ST_EUNAVAIL), an error answer (the
 * node is stopping) or an undecodable one: the thread moves to the next
 * node in round-robin order, skipping nodes that calls found unreachable
 * while another one may do, and starts again with GetCatalogue, after a
 * backoff of 100 ms doubling to 500 ms (reset by the first answer). Going
 * back in time is impossible: mcli_install() keeps only newer catalogues.
 *
 * Stopping: st_mcli_close() sets `stopping` and shuts down the peers'
 * st_rpc_clients, which ends a long poll in progress at once; backoff
 * sleeps wait on the client's condition variable, which close broadcasts.
 */
#include <stdlib.h>

#include "client_int.h"
#include "err.h"

static bool is_stopping(st_mcli *c)
{
    pthread_mutex_lock(&c->mu);
    bool s = c->stopping;
    pthread_mutex_unlock(&c->mu);
    return s;
}

/* Sleeps @ms, or less if the client closes. */
static void nap(st_mcli *c, unsigned ms)
{
    long long until = mcli_now_ms() + ms;
    pthread_mutex_lock(&c->mu);
    while (!c->stopping && mcli_wait_until(c, until))
        ;
    pthread_mutex_unlock(&c->mu);
}

/* Installs @cat (takes ownership) and calls on_change if it was newer. */
static void deliver(st_mcli *c, Strata__Catalogue *cat)
{
    const struct st_mcat *snap = NULL;
    if (mcli_install(c, cat, c->on_change != NULL ? &snap : NULL) != ST_OK)
        return; /* UNTESTED: out of memory; the next answer brings it again */
    if (snap != NULL) {
        c->on_change(c->arg, snap);
        mcli_ready(c, snap->cat->index);
        st_mcli_release(c, snap);
    }
}

/* The next peer after @i: the first one calls did not find unreachable,
 * else simply the next one. */
static size_t next_peer(st_mcli *c, size_t i)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->npeers, next = (i + 1) % n;
    for (size_t j = 1; j <= n; j++) {
        size_t k = (i + j) % n;
        if (c->peers[k].fail_ms == 0 || mcli_peer_alive(c, k)) {
            next = k;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return next;
}

/* The catalogue carried by an OK answer, detached from it (NULL if none). */
static Strata__Catalogue *take_catalogue(Strata__MetaResponse *r, bool poll)
{
    Strata__Catalogue *cat = NULL;
    if (!poll && r->resp_case == STRATA__META_RESPONSE__RESP_GET_CATALOGUE &&
        r->get_catalogue != NULL) {
        cat = r->get_catalogue->catalogue;
        r->get_catalogue->catalogue = NULL;
    } else if (poll && r->resp_case == STRATA__META_RESPONSE__RESP_WATCH && r->watch != NULL &&
               r->watch->changed) {
        cat = r->watch->catalogue;
        r->watch->catalogue = NULL;
    }
    return cat;
}

/* One GetCatalogue (@poll false) or long poll (@poll true) to peer @i.
 * ST_OK if it answered, else why not. */
static int ask(st_mcli *c, size_t i, bool poll, struct st_buf *raw)
{
    Strata__GetCatalogueRequest get = STRATA__GET_CATALOGUE_REQUEST__INIT;
    Strata__WatchRequest watch = STRATA__WATCH_REQUEST__INIT;
    Strata__MetaRequest req = STRATA__META_REQUEST__INIT;
    long long timeout = MCLI_GET_MS;
    if (poll) {
        watch.after_index = st_mcli_index(c);
        watch.timeout_ms = c->watch_ms;
        req.req_case = STRATA__META_REQUEST__REQ_WATCH;
        req.watch = &watch;
        timeout = (long long)c->watch_ms + MCLI_WATCH_MARGIN_MS;
    } else {
        req.req_case = STRATA__META_REQUEST__REQ_GET_CATALOGUE;
        req.get_catalogue = &get;
    }
    uint8_t packed[64]; /* a WatchRequest packs into ~20 bytes */
    size_t len = strata__meta_request__pack(&req, packed);
    pthread_mutex_lock(&c->mu);
    st_rpc_client *rpc = c->peers[i].rpc;
    pthread_mutex_unlock(&c->mu);
    int rv = st_rpc_call_fast(rpc, packed, len, MCLI_CONNECT_MS,
                              timeout > 0x7fffffff ? 0x7fffffff : (int)timeout, raw);
    if (rv != ST_OK) {
        if (rv == ST_EUNAVAIL)
            mcli_peer_failed(c, i);
        return rv;
    }
    Strata__MetaResponse *r = strata__meta_response__unpack(NULL, raw->len, (uint8_t *)raw->p);
    if (r == NULL)
        return ST_EPROTO; /* UNTESTED: a peer that is not a meta node */
    mcli_peer_ok(c, i);
    if (r->error != NULL && r->error->code != STRATA__ERROR_CODE__OK) {
        strata__meta_response__free_unpacked(r, NULL);
        return ST_EUNAVAIL; /* starting or stopping: try another node */
    }
    Strata__Catalogue *cat = take_catalogue(r, poll);
    strata__meta_response__free_unpacked(r, NULL);
    if (cat != NULL)
        deliver(c, cat);
    return ST_OK;
}

void *mcli_watch_main(void *arg)
{
    st_mcli *c = arg;
    struct st_buf raw;
    st_buf_init(&raw);
    size_t i = 0;
    bool connected = false; /* peer i answered: long polls from now on */
    unsigned backoff = 0;
    while (!is_stopping(c)) {
        if (ask(c, i, connected, &raw) == ST_OK) {
            connected = true;
            backoff = 0;
            /* after_index 0 is answered at once: do not spin on an empty
             * catalogue. */
            if (st_mcli_index(c) == 0)
                nap(c, MCLI_BACKOFF_MIN_MS);
            continue;
        }
        connected = false;
        i = next_peer(c, i);
        backoff = backoff == 0 ? MCLI_BACKOFF_MIN_MS : backoff * 2;
        if (backoff > MCLI_BACKOFF_MAX_MS)
            backoff = MCLI_BACKOFF_MAX_MS;
        nap(c, backoff);
    }
    st_buf_fini(&raw);
    return NULL;
}
