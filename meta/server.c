/* st_msrv lifecycle: start and stop a meta node.
 *
 * Start, in order: copy the configuration, create the (empty) catalogue
 * state, start raft (which restores the last snapshot into the state during
 * st_mraft_start() and replays the log once the leader names the commit
 * index), start the leader loop, and only then open the RPC endpoint, so
 * that every request finds raft running.
 *
 * Stop, in reverse: wake watchers (they answer "not changed" at once), close
 * the RPC endpoint (it waits for running handlers; one in a raft proposal
 * waits at most the apply timeout), join the leader loop, stop raft, close
 * the forwarding clients and free the state. Nothing calls into st_mraft
 * after st_mraft_stop(): the handlers and the loop are gone by then. */
#include "server_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

int64_t msrv_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t msrv_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void msrv_deadline(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void msrv_log(const st_msrv *s, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fprintf per line: stdio locks the stream, lines never interleave. */
    fprintf(stderr, "strata-meta %" PRIu64 ": %s\n", s->id, line);
}

static int copy_config(st_msrv *s, const struct st_msrv_config *cfg, char *err, size_t errlen)
{
    if (cfg->id == 0 || cfg->dir == NULL || cfg->raft_addr == NULL || cfg->listen == NULL)
        return st_errf(err, errlen, ST_EINVAL,
                       "meta: id, dir, raft address and listen URL "
                       "are required");
    if (strlen(cfg->listen) > ST_MREQ_MAX_ADDR)
        return st_errf(err, errlen, ST_EINVAL, "meta: listen URL longer than %d bytes",
                       ST_MREQ_MAX_ADDR);
    s->id = cfg->id;
    snprintf(s->listen, sizeof(s->listen), "%s", cfg->listen);
    s->apply_ms = cfg->apply_timeout_ms ? cfg->apply_timeout_ms : ST_MSRV_APPLY_MS;
    s->node_timeout_ms = cfg->node_timeout_ms ? cfg->node_timeout_ms : ST_MSRV_NODE_TIMEOUT_MS;
    s->retention_ms =
        cfg->retention_check_ms ? cfg->retention_check_ms : ST_MSRV_RETENTION_CHECK_MS;
    s->default_rf = cfg->default_replication ? cfg->default_replication : 1;
    if (cfg->nmembers == 0)
        return ST_OK;
    s->members = calloc(cfg->nmembers, sizeof(*s->members));
    if (s->members == NULL)
        return ST_ENOMEM;
    s->nmembers = cfg->nmembers;
    for (size_t i = 0; i < cfg->nmembers; i++) {
        const struct st_msrv_member *m = &cfg->members[i];
        if (m->id == 0 || m->raft_addr == NULL || m->rpc_url == NULL ||
            strlen(m->raft_addr) >= ST_MRAFT_ADDR_MAX || strlen(m->rpc_url) > ST_MREQ_MAX_ADDR)
            return st_errf(err, errlen, ST_EINVAL,
                           "meta: member %zu: id, raft address (< %d bytes) and RPC URL "
                           "(<= %d bytes) are required",
                           i + 1, ST_MRAFT_ADDR_MAX, ST_MREQ_MAX_ADDR);
        for (size_t j = 0; j < i; j++)
            if (s->members[j].id == m->id)
                return st_errf(err, errlen, ST_EINVAL, "meta: member id %" PRIu64 " twice", m->id);
        s->members[i].id = m->id;
        snprintf(s->members[i].raft_addr, sizeof(s->members[i].raft_addr), "%s", m->raft_addr);
        snprintf(s->members[i].rpc_url, sizeof(s->members[i].rpc_url), "%s", m->rpc_url);
    }
    return ST_OK;
}

static void free_node(st_msrv *s)
{
    msrv_peers_close(s);
    msrv_state_fini(&s->state);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s->seen);
    free(s->members);
    free(s);
}

/* Stops and joins the leader loop. */
static void stop_loop(st_msrv *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    if (s->loop_started)
        pthread_join(s->loop, NULL);
    s->loop_started = false;
}

int st_msrv_start(const struct st_msrv_config *cfg, st_msrv **out, char *err, size_t errlen)
{
    int rv;
    st_msrv *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "meta: out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if ((rv = msrv_state_init(&s->state)) != ST_OK) {
        st_errf(err, errlen, rv, "meta: catalogue: %s", st_strerror(rv));
        goto err_after_alloc;
    }
    if ((rv = copy_config(s, cfg, err, errlen)) != ST_OK)
        goto err_after_alloc;

    struct st_mraft_member *rm = NULL;
    if (s->nmembers > 0 && (rm = calloc(s->nmembers, sizeof(*rm))) == NULL) {
        rv = st_errf(err, errlen, ST_ENOMEM, "meta: out of memory");
        goto err_after_alloc;
    }
    for (size_t i = 0; i < s->nmembers; i++)
        rm[i] = (struct st_mraft_member){s->members[i].id, s->members[i].raft_addr};
    struct st_mraft_config rc = {
        .id = s->id,
        .dir = cfg->dir,
        .address = cfg->raft_addr,
        .members = rm,
        .nmembers = s->nmembers,
        .election_timeout_ms =
            cfg->election_timeout_ms ? cfg->election_timeout_ms : ST_MSRV_ELECTION_MS,
        .heartbeat_timeout_ms =
            cfg->heartbeat_timeout_ms ? cfg->heartbeat_timeout_ms : ST_MSRV_HEARTBEAT_MS,
        .snapshot_threshold =
            cfg->snapshot_threshold ? cfg->snapshot_threshold : ST_MSRV_SNAPSHOT_THRESHOLD,
        .snapshot_trailing =
            cfg->snapshot_trailing ? cfg->snapshot_trailing : ST_MSRV_SNAPSHOT_TRAILING,
        /* A restarted or partitioned peer is reconnected within 250 ms
         * rather than raft_uv's 1 s (docs/meta-raft.md: catch-up time). */
        .connect_retry_ms = 250,
    };
    struct st_mraft_fsm fsm = msrv_state_fsm(&s->state);
    rv = st_mraft_start(&rc, &fsm, &s->raft, err, errlen);
    free(rm);
    if (rv != ST_OK)
        goto err_after_alloc;

    if (pthread_create(&s->loop, NULL, msrv_leader_main, s) != 0) {
        rv = st_errf(err, errlen, ST_ENOMEM, "meta: cannot start the leader loop thread");
        goto err_after_raft; /* UNTESTED */
    }
    s->loop_started = true;

    struct st_rpc_server_opts ro = {
        .url = s->listen,
        .workers = cfg->workers > 0 ? cfg->workers : ST_MSRV_WORKERS,
        .max_msg = 16u << 20, /* requests are small; a heartbeat of 1M shards fits */
        .handler = msrv_handle,
        .arg = s,
    };
    if ((rv = st_rpc_server_open(&ro, &s->rpc, err, errlen)) != ST_OK)
        goto err_after_loop;
    *out = s;
    return ST_OK;

err_after_loop:
    stop_loop(s);
err_after_raft:
    st_mraft_stop(s->raft);
err_after_alloc:
    free_node(s);
    return rv;
}

int st_msrv_port(const st_msrv *s)
{
    return st_rpc_server_port(s->rpc);
}

void st_msrv_stop(st_msrv *s)
{
    if (s == NULL)
        return;
    msrv_state_stop(&s->state);
    st_rpc_server_close(s->rpc);
    stop_loop(s);
    st_mraft_stop(s->raft);
    free_node(s);
}
