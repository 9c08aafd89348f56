/* Data nodes as write targets: clients, hinted-handoff queues and replayers.
 *
 * The owners live in a small array under one mutex, appended to and never
 * removed, so an st_owner pointer stays valid until st_owners_close().
 * A replayer thread per queue loops: take the oldest batch, send it to the
 * node (replay=true), ack it when the node answered (even with an error
 * about the points: a refusal is final and a second send would get the
 * same), wait and retry when the node did not answer. */
#include "owners.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalogue.h"
#include "data.pb-c.h"
#include "err.h"
#include "hh.h"

#define OWN_MAX 1024
#define LAT_BUCKETS 12

/* Latency bucket bounds in microseconds (Prometheus `le`). */
static const uint64_t lat_le[LAT_BUCKETS] = {250,   500,   1000,   2500,   5000,    10000,
                                             25000, 50000, 100000, 250000, 1000000, 5000000};

struct st_owner {
    st_owners *set;
    uint64_t id;
    pthread_mutex_t mu; /* addr, client, retired, hh, replayer */
    char addr[256];
    st_rpc_client *client;
    st_rpc_client *retired[8]; /* clients of earlier addresses, closed at the end */
    size_t nretired;
    st_hh *hh; /* opened on first hint or at start when a queue exists */
    pthread_t replayer;
    bool replaying;
    pthread_cond_t cv; /* wakes the replayer: new hint or stop */
    /* statistics */
    atomic_uint_fast64_t calls, failures, lat_sum_us, lat[LAT_BUCKETS + 1];
    atomic_uint_fast64_t replayed, replay_failures, hinted;
};

struct st_owners {
    pthread_mutex_t mu;
    struct st_owner *own[OWN_MAX];
    size_t n;
    char *hh_dir;
    uint64_t hh_max;
    unsigned timeout_ms;
    st_mcli *meta;
    atomic_bool stopping;
};

static struct st_owner *owner_new(st_owners *o, uint64_t id)
{
    struct st_owner *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->set = o;
    w->id = id;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    return w;
}

/* The owner of @id, created if new; o->mu held. */
static struct st_owner *owner_find(st_owners *o, uint64_t id, bool create)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->own[i]->id == id)
            return o->own[i];
    if (!create || o->n == OWN_MAX)
        return NULL;
    struct st_owner *w = owner_new(o, id);
    if (w != NULL)
        o->own[o->n++] = w;
    return w;
}

/* Points @w's client at @addr; w->mu held. */
static int set_addr(struct st_owner *w, const char *addr)
{
    if (w->client != NULL && strcmp(w->addr, addr) == 0)
        return ST_OK;
    st_rpc_client *c;
    int rv = st_rpc_client_open(addr, &c);
    if (rv != ST_OK)
        return rv;
    if (w->client != NULL) {
        if (w->nretired == sizeof(w->retired) / sizeof(w->retired[0])) {
            /* Many moves of one node: the oldest client is surely idle. */
            st_rpc_client_close(w->retired[0]);
            memmove(w->retired, w->retired + 1, (w->nretired - 1) * sizeof(w->retired[0]));
            w->nretired--;
        }
        w->retired[w->nretired++] = w->client;
    }
    w->client = c;
    snprintf(w->addr, sizeof(w->addr), "%s", addr);
    return ST_OK;
}

static void sleep_ms(struct st_owner *w, unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&w->mu);
    if (!atomic_load(&w->set->stopping))
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    pthread_mutex_unlock(&w->mu);
}

/* Refreshes the node's address from the meta client's catalogue. False
 * when the node is unknown (removed from the cluster). */
static bool refresh_addr(struct st_owner *w)
{
    const struct st_mcat *cat = st_mcli_acquire(w->set->meta);
    if (cat == NULL)
        return w->client != NULL;
    const Strata__DataNode *n = st_cat_node(cat->cat, w->id);
    bool ok = n != NULL;
    if (ok) {
        pthread_mutex_lock(&w->mu);
        ok = set_addr(w, n->rpc_addr) == ST_OK;
        pthread_mutex_unlock(&w->mu);
    }
    st_mcli_release(w->set->meta, cat);
    return ok;
}

/* Sends one queued batch. True when it is done with (acked). */
static bool replay_one(struct st_owner *w, struct st_buf *req, struct st_buf *resp)
{
    if (!refresh_addr(w))
        return false;
    int rv = st_rpc_call_fast(st_owner_client(w), req->p, req->len, 1000, w->set->timeout_ms, resp);
    if (rv != ST_OK)
        return false;
    Strata__DataResponse *r =
        strata__data_response__unpack(NULL, resp->len, (const uint8_t *)resp->p);
    if (r == NULL)
        return false;
    Strata__ErrorCode code = r->error ? r->error->code : STRATA__ERROR_CODE__OK;
    strata__data_response__free_unpacked(r, NULL);
    if (st_owner_retry_later(code))
        return false; /* the node may take it later */
    if (code != STRATA__ERROR_CODE__OK && code != STRATA__ERROR_CODE__PARTIAL_WRITE) {
        fprintf(stderr,
                "strata-router: hinted handoff to data node %" PRIu64
                ": batch refused (code %d), dropped from the queue\n",
                w->id, (int)code);
        atomic_fetch_add(&w->replay_failures, 1);
    }
    return true;
}

bool st_owner_retry_later(Strata__ErrorCode code)
{
    switch (code) {
    case STRATA__ERROR_CODE__UNAVAILABLE:
    case STRATA__ERROR_CODE__TIMEOUT:
    case STRATA__ERROR_CODE__DISK_FULL:
    case STRATA__ERROR_CODE__OUT_OF_MEMORY:
    case STRATA__ERROR_CODE__CANCELED:
    case STRATA__ERROR_CODE__IO_ERROR:
    case STRATA__ERROR_CODE__STALE_CATALOGUE:
        return true;
    default:
        return false;
    }
}

static void *replayer_main(void *arg)
{
    struct st_owner *w = arg;
    struct st_buf req, resp;
    st_buf_init(&req);
    st_buf_init(&resp);
    unsigned backoff = 100;
    while (!atomic_load(&w->set->stopping)) {
        uint64_t next;
        int rv = st_hh_peek(w->hh, &req, &next);
        if (rv == ST_ENOTFOUND) {
            sleep_ms(w, 1000); /* st_owner_hint() wakes it */
            continue;
        }
        if (rv != ST_OK) {
            fprintf(stderr, "strata-router: hinted handoff for data node %" PRIu64 ": %s\n", w->id,
                    st_strerror(rv));
            sleep_ms(w, 5000);
            continue;
        }
        if (replay_one(w, &req, &resp)) {
            st_hh_ack(w->hh, next);
            atomic_fetch_add(&w->replayed, 1);
            backoff = 100;
            continue;
        }
        sleep_ms(w, backoff);
        backoff = backoff < 2000 ? backoff * 2 : 2000;
    }
    st_buf_fini(&req);
    st_buf_fini(&resp);
    return NULL;
}

/* Opens @w's queue and starts its replayer; w->mu held. */
static int start_hh(struct st_owner *w, char *err, size_t errlen)
{
    if (w->hh != NULL)
        return ST_OK;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%" PRIu64, w->set->hh_dir, w->id);
    int rv = st_hh_open(dir, w->set->hh_max, &w->hh, err, errlen);
    if (rv != ST_OK)
        return rv;
    if (err && err[0])
        fprintf(stderr, "strata-router: %s\n", err);
    if (pthread_create(&w->replayer, NULL, replayer_main, w) != 0) {
        st_hh_close(w->hh);
        w->hh = NULL;
        return st_errf(err, errlen, ST_ENOMEM, "hinted handoff: cannot start a thread");
    }
    w->replaying = true;
    return ST_OK;
}

int st_owners_open(const struct st_owners_opts *opts, st_owners **out, char *err, size_t errlen)
{
    st_owners *o = calloc(1, sizeof(*o));
    if (o == NULL || (o->hh_dir = strdup(opts->hh_dir)) == NULL) {
        free(o);
        return ST_ENOMEM;
    }
    pthread_mutex_init(&o->mu, NULL);
    o->hh_max = opts->hh_max_bytes;
    o->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 10000;
    o->meta = opts->meta;
    if (mkdir(o->hh_dir, 0755) != 0 && errno != EEXIST) {
        st_errf(err, errlen, ST_EIO, "hinted handoff: mkdir %s: %s", o->hh_dir, strerror(errno));
        st_owners_close(o);
        return ST_EIO;
    }
    DIR *d = opendir(o->hh_dir);
    if (d == NULL) { /* no queues yet */
        *out = o;
        return ST_OK;
    }
    struct dirent *e;
    int rv = ST_OK;
    while (rv == ST_OK && (e = readdir(d)) != NULL) {
        char *end;
        uint64_t id = strtoull(e->d_name, &end, 10);
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end != '\0' || id == 0)
            continue;
        struct st_owner *w = owner_find(o, id, true);
        if (w == NULL) {
            rv = ST_ENOMEM;
            break;
        }
        pthread_mutex_lock(&w->mu);
        rv = start_hh(w, err, errlen);
        pthread_mutex_unlock(&w->mu);
    }
    closedir(d);
    if (rv != ST_OK) {
        st_owners_close(o);
        return rv;
    }
    *out = o;
    return ST_OK;
}

void st_owners_close(st_owners *o)
{
    if (o == NULL)
        return;
    atomic_store(&o->stopping, true);
    for (size_t i = 0; i < o->n; i++) {
        struct st_owner *w = o->own[i];
        pthread_mutex_lock(&w->mu);
        pthread_cond_broadcast(&w->cv);
        st_rpc_client *c = w->client;
        pthread_mutex_unlock(&w->mu);
        if (c != NULL)
            st_rpc_client_shutdown(c);
    }
    for (size_t i = 0; i < o->n; i++) {
        struct st_owner *w = o->own[i];
        if (w->replaying)
            pthread_join(w->replayer, NULL);
        st_hh_close(w->hh);
        st_rpc_client_close(w->client);
        for (size_t k = 0; k < w->nretired; k++)
            st_rpc_client_close(w->retired[k]);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
    }
    pthread_mutex_destroy(&o->mu);
    free(o->hh_dir);
    free(o);
}

struct st_owner *st_owners_get(st_owners *o, const Strata__Catalogue *cat, uint64_t id)
{
    const Strata__DataNode *n = st_cat_node(cat, id);
    if (n == NULL)
        return NULL;
    pthread_mutex_lock(&o->mu);
    struct st_owner *w = owner_find(o, id, true);
    pthread_mutex_unlock(&o->mu);
    if (w == NULL)
        return NULL;
    pthread_mutex_lock(&w->mu);
    int rv = set_addr(w, n->rpc_addr);
    bool ok = rv == ST_OK && w->client != NULL;
    pthread_mutex_unlock(&w->mu);
    return ok ? w : NULL;
}

st_rpc_client *st_owner_client(struct st_owner *w)
{
    pthread_mutex_lock(&w->mu);
    st_rpc_client *c = w->client;
    pthread_mutex_unlock(&w->mu);
    return c;
}

uint64_t st_owner_id(const struct st_owner *w)
{
    return w->id;
}

bool st_owner_has_hints(struct st_owner *w)
{
    pthread_mutex_lock(&w->mu);
    st_hh *hh = w->hh;
    pthread_mutex_unlock(&w->mu);
    return hh != NULL && st_hh_records(hh) > 0;
}

int st_owner_hint(struct st_owner *w, const void *req, size_t len, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    int rv = start_hh(w, err, errlen);
    st_hh *hh = w->hh;
    pthread_mutex_unlock(&w->mu);
    if (rv != ST_OK)
        return rv;
    rv = st_hh_append(hh, req, len, err, errlen);
    if (rv == ST_OK) {
        atomic_fetch_add(&w->hinted, 1);
        pthread_mutex_lock(&w->mu);
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    return rv;
}

void st_owner_observe(struct st_owner *w, uint64_t micros, bool ok)
{
    atomic_fetch_add(&w->calls, 1);
    if (!ok)
        atomic_fetch_add(&w->failures, 1);
    atomic_fetch_add(&w->lat_sum_us, micros);
    size_t b = 0;
    while (b < LAT_BUCKETS && micros > lat_le[b])
        b++;
    atomic_fetch_add(&w->lat[b], 1);
}

int st_owners_metrics(st_owners *o, struct st_buf *out)
{
    pthread_mutex_lock(&o->mu);
    size_t n = o->n;
    pthread_mutex_unlock(&o->mu);
    int rv = st_buf_puts(out, "# HELP strata_router_owner_write_seconds Latency of write batches "
                              "sent to a data node.\n"
                              "# TYPE strata_router_owner_write_seconds histogram\n");
    for (size_t i = 0; i < n && rv == ST_OK; i++) {
        struct st_owner *w = o->own[i];
        uint64_t cum = 0;
        for (size_t b = 0; b <= LAT_BUCKETS && rv == ST_OK; b++) {
            cum += atomic_load(&w->lat[b]);
            if (b < LAT_BUCKETS)
                rv = st_buf_printf(out,
                                   "strata_router_owner_write_seconds_bucket{node=\"%" PRIu64
                                   "\",le=\"%g\"} %" PRIu64 "\n",
                                   w->id, (double)lat_le[b] / 1e6, cum);
            else
                rv = st_buf_printf(out,
                                   "strata_router_owner_write_seconds_bucket{node=\"%" PRIu64
                                   "\",le=\"+Inf\"} %" PRIu64 "\n",
                                   w->id, cum);
        }
        if (rv == ST_OK)
            rv = st_buf_printf(out,
                               "strata_router_owner_write_seconds_sum{node=\"%" PRIu64 "\"} %.6f\n"
                               "strata_router_owner_write_seconds_count{node=\"%" PRIu64
                               "\"} %" PRIu64 "\n",
                               w->id, (double)atomic_load(&w->lat_sum_us) / 1e6, w->id,
                               (uint64_t)atomic_load(&w->calls));
    }
    struct {
        const char *name, *help, *type;
        int what;
    } series[] = {
        {"strata_router_owner_write_failures_total",
         "Write batches a data node did not acknowledge.", "counter", 0},
        {"strata_router_hinted_handoff_bytes", "Bytes queued for a data node (hinted handoff).",
         "gauge", 1},
        {"strata_router_hinted_handoff_batches", "Batches queued for a data node.", "gauge", 2},
        {"strata_router_hinted_handoff_queued_total", "Batches ever queued for a data node.",
         "counter", 3},
        {"strata_router_hinted_handoff_replayed_total", "Queued batches delivered.", "counter", 4},
        {"strata_router_hinted_handoff_refused_total",
         "Queued batches the data node refused (dropped).", "counter", 5},
    };
    for (size_t k = 0; k < sizeof(series) / sizeof(series[0]) && rv == ST_OK; k++) {
        rv = st_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", series[k].name, series[k].help,
                           series[k].name, series[k].type);
        for (size_t i = 0; i < n && rv == ST_OK; i++) {
            struct st_owner *w = o->own[i];
            pthread_mutex_lock(&w->mu);
            st_hh *hh = w->hh;
            pthread_mutex_unlock(&w->mu);
            uint64_t v = 0;
            switch (series[k].what) {
            case 0:
                v = atomic_load(&w->failures);
                break;
            case 1:
                v = hh ? st_hh_bytes(hh) : 0;
                break;
            case 2:
                v = hh ? st_hh_records(hh) : 0;
                break;
            case 3:
                v = atomic_load(&w->hinted);
                break;
            case 4:
                v = atomic_load(&w->replayed);
                break;
            default:
                v = atomic_load(&w->replay_failures);
                break;
            }
            rv = st_buf_printf(out, "%s{node=\"%" PRIu64 "\"} %" PRIu64 "\n", series[k].name, w->id,
                               v);
        }
    }
    return rv;
}
