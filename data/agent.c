/* A data node's life in the cluster: register, heartbeat, drop the shards it no longer owns. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalogue.h"
#include "client.h"
#include "err.h"

/* A local shard the catalogue does not give to this node, since when. */
struct orphan {
    uint64_t id;
    int64_t since_ms;
};

struct st_agent {
    st_store *store;
    st_mcli *mcli;
    char *dir, *rpc_addr, *http_addr;
    unsigned heartbeat_ms, drop_grace_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stopping;
    uint64_t node_id;  /* under mu: 0 until registered */
    uint64_t known_id; /* from node.id at start (0: new node) */
    struct orphan *orphans;
    size_t norphans;
    int64_t last_error_log_ms;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Logs at most one failure every 10 s: meta can be down for long. */
static void log_error(st_agent *a, const char *what, int rv, const char *err)
{
    int64_t t = now_ms();
    if (a->last_error_log_ms && t - a->last_error_log_ms < 10000)
        return;
    a->last_error_log_ms = t;
    fprintf(stderr, "strata-data: meta: %s: %s\n", what, err[0] ? err : st_strerror(rv));
}

static int read_node_id(const char *dir, uint64_t *id, char *err, size_t errlen)
{
    char path[4096], buf[64];
    snprintf(path, sizeof(path), "%s/node.id", dir);
    *id = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errno == ENOENT ? ST_OK
                               : st_errf(err, errlen, ST_EINVAL, "%s: %s", path, strerror(errno));
    bool ok = fgets(buf, sizeof(buf), f) != NULL;
    fclose(f);
    char *end;
    errno = 0;
    unsigned long long v = ok ? strtoull(buf, &end, 10) : 0;
    if (!ok || errno || v == 0 || (*end && *end != '\n'))
        return st_errf(err, errlen, ST_EINVAL, "%s: not a node id", path);
    *id = v;
    return ST_OK;
}

/* Writes node.id durably: temporary file, fsync, rename, fsync the directory. */
static int write_node_id(const char *dir, uint64_t id)
{
    char path[4096], tmp[4200], buf[32];
    snprintf(path, sizeof(path), "%s/node.id", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", id);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return st_from_errno(errno);
    if (write(fd, buf, (size_t)n) != n || fsync(fd) != 0) {
        int rv = st_from_errno(errno ? errno : EIO);
        close(fd);
        unlink(tmp);
        return rv;
    }
    close(fd);
    if (rename(tmp, path) != 0)
        return st_from_errno(errno);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return ST_OK;
}

static void do_register(st_agent *a)
{
    char err[512] = "";
    uint64_t id = 0;
    int rv =
        st_mcli_register(a->mcli, a->known_id, a->rpc_addr, a->http_addr, &id, err, sizeof(err));
    if (rv != ST_OK) {
        log_error(a, "register", rv, err);
        return;
    }
    if (id != a->known_id) {
        if ((rv = write_node_id(a->dir, id)) != ST_OK) {
            /* Without node.id a restart would register a second node. */
            log_error(a, "cannot write node.id", rv, "");
            return;
        }
        a->known_id = id;
    }
    pthread_mutex_lock(&a->mu);
    a->node_id = id;
    pthread_mutex_unlock(&a->mu);
    a->last_error_log_ms = 0;
    fprintf(stderr, "strata-data: registered with meta as data node %" PRIu64 " (%s)\n", id,
            a->rpc_addr);
}

static void do_heartbeat(st_agent *a)
{
    char err[512] = "";
    int rv = st_mcli_heartbeat(a->mcli, a->node_id, st_mcli_index(a->mcli), NULL, 0, 0, NULL, err,
                               sizeof(err));
    if (rv == ST_ENOTFOUND)
        log_error(a, "heartbeat refused: this node is not in the catalogue (removed?)", rv, err);
    else if (rv != ST_OK)
        log_error(a, "heartbeat", rv, err);
    else
        a->last_error_log_ms = 0;
}

static bool owns(const Strata__Shard *sh, uint64_t node)
{
    for (size_t i = 0; i < sh->n_owners; i++)
        if (sh->owners[i] == node)
            return true;
    return false;
}

static int64_t orphan_since(st_agent *a, uint64_t id, int64_t t, struct orphan *next, size_t *nn)
{
    int64_t since = t;
    for (size_t i = 0; i < a->norphans; i++)
        if (a->orphans[i].id == id)
            since = a->orphans[i].since_ms;
    next[(*nn)++] = (struct orphan){.id = id, .since_ms = since};
    return since;
}

static void drop(st_agent *a, uint64_t id, const char *why)
{
    int rv = st_store_drop(a->store, id);
    if (rv == ST_OK || rv == ST_ENOTFOUND)
        fprintf(stderr, "strata-data: dropped shard %" PRIu64 ": %s\n", id, why);
    else
        fprintf(stderr, "strata-data: dropping shard %" PRIu64 " (%s): %s\n", id, why,
                st_strerror(rv));
}

/* Compares the local shards with the catalogue and drops what is not ours. */
static void reconcile(st_agent *a)
{
    const struct st_mcat *mc = st_mcli_acquire(a->mcli);
    if (mc == NULL)
        return;
    const Strata__Catalogue *cat = mc->cat;
    uint64_t *ids = NULL;
    size_t n = 0, nn = 0;
    struct orphan *next = NULL;
    if (st_store_ids(a->store, &ids, &n) != ST_OK || (n && !(next = calloc(n, sizeof(*next)))))
        goto out;
    int64_t t = now_ms();
    for (size_t i = 0; i < n; i++) {
        const Strata__ShardGroup *g = NULL;
        const Strata__Shard *sh = st_cat_shard(cat, ids[i], &g);
        if (sh && g && g->deleted) {
            drop(a, ids[i], "its shard group was deleted");
            continue;
        }
        if (sh == NULL && ids[i] >= cat->next_shard_id)
            continue; /* newer than our catalogue copy */
        if (sh && owns(sh, a->node_id))
            continue;
        int64_t since = orphan_since(a, ids[i], t, next, &nn);
        if (t - since >= (int64_t)a->drop_grace_ms) {
            nn--;
            drop(a, ids[i],
                 sh ? "the catalogue gives it to other nodes" : "the catalogue no longer knows it");
        }
    }
    free(a->orphans);
    a->orphans = next;
    a->norphans = nn;
    next = NULL;
out:
    free(next);
    free(ids);
    st_mcli_release(a->mcli, mc);
}

static void *run(void *arg)
{
    st_agent *a = arg;
    int64_t next_beat = 0;
    pthread_mutex_lock(&a->mu);
    while (!a->stopping) {
        pthread_mutex_unlock(&a->mu);
        int64_t t = now_ms();
        if (a->node_id == 0) {
            do_register(a);
        } else if (t >= next_beat) {
            do_heartbeat(a);
            next_beat = t + a->heartbeat_ms;
        }
        /* Every tick, not only on catalogue changes: a write may recreate
         * a shard of a group deleted a moment before. */
        if (a->node_id != 0)
            reconcile(a);
        pthread_mutex_lock(&a->mu);
        if (a->stopping)
            break;
        /* Sleep until the next heartbeat, or 1 s while unregistered; a
         * catalogue change wakes us early (on_change). */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait = a->node_id ? next_beat - now_ms() : 1000;
        if (wait < 1)
            wait = 1;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&a->wake, &a->mu, &ts);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

static void on_change(void *arg, const struct st_mcat *cat)
{
    (void)cat;
    st_agent *a = arg;
    pthread_mutex_lock(&a->mu);
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->mu);
}

int st_agent_start(const struct st_agent_opts *o, st_store *store, st_agent **out, char *err,
                   size_t errlen)
{
    *out = NULL;
    if (o->nmeta == 0 || o->dir == NULL || o->rpc_addr == NULL)
        return st_errf(err, errlen, ST_EINVAL, "agent: meta addresses, dir and rpc_addr needed");
    st_agent *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return ST_ENOMEM;
    a->store = store;
    a->heartbeat_ms = o->heartbeat_ms ? o->heartbeat_ms : 1000;
    a->drop_grace_ms = o->drop_grace_ms ? o->drop_grace_ms : 300000;
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&a->wake, &ca);
    pthread_condattr_destroy(&ca);
    int rv = ST_ENOMEM;
    a->dir = strdup(o->dir);
    a->rpc_addr = strdup(o->rpc_addr);
    a->http_addr = strdup(o->http_addr ? o->http_addr : "");
    if (!a->dir || !a->rpc_addr || !a->http_addr)
        goto fail;
    if ((rv = read_node_id(o->dir, &a->known_id, err, errlen)) != ST_OK)
        goto fail;
    struct st_mcli_opts mo = {.addrs = o->meta,
                              .naddrs = o->nmeta,
                              .call_timeout_ms = 3000, /* bounds how long a stop waits for a call */
                              .on_change = on_change,
                              .arg = a};
    if ((rv = st_mcli_open(&mo, &a->mcli, err, errlen)) != ST_OK)
        goto fail;
    if (pthread_create(&a->thread, NULL, run, a) != 0) {
        rv = ST_ENOMEM;
        goto fail;
    }
    *out = a;
    return ST_OK;
fail:
    st_mcli_close(a->mcli);
    free(a->dir);
    free(a->rpc_addr);
    free(a->http_addr);
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->mu);
    free(a);
    return rv;
}

void st_agent_stop(st_agent *a)
{
    if (a == NULL)
        return;
    pthread_mutex_lock(&a->mu);
    a->stopping = true;
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->mu);
    /* A register or heartbeat in flight ends within its deadline (3 s). */
    pthread_join(a->thread, NULL);
    st_mcli_close(a->mcli);
    free(a->orphans);
    free(a->dir);
    free(a->rpc_addr);
    free(a->http_addr);
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

uint64_t st_agent_node_id(st_agent *a)
{
    pthread_mutex_lock(&a->mu);
    uint64_t id = a->node_id;
    pthread_mutex_unlock(&a->mu);
    return id;
}
