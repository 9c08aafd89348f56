/* strata-data: a data node. Owns shards, serves the data RPC over nng.
 *
 *   strata-data --dir DIR [--listen URL] [--meta ADDRS] [--advertise URL]
 *               [--http-addr HOST:PORT] [--heartbeat-ms MS] [--drop-grace-ms MS]
 *               [--cache-max-bytes N] [--sync-interval-ms MS] [--workers N]
 *               [--max-open-segments N] [--ready-file PATH]
 *
 * --meta lists the meta RPC URLs, comma-separated: the node then registers,
 * heartbeats and drops the shards the catalogue no longer gives it (agent.h).
 * --advertise is the URL other nodes reach this one at (default: the listen
 * URL with the port actually bound).
 *
 * --max-open-segments caps the descriptors of segment files held open at
 * once (default: half the process's descriptor limit).
 *
 * Runs until SIGTERM or SIGINT, then stops serving, flushes every shard's
 * cache into a segment file (so the next start replays no WAL) and closes.
 * Everything acknowledged is in the WAL already: a SIGKILL loses nothing. */
#define _GNU_SOURCE /* mallopt */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent.h"
#include "err.h"
#include "rpc.h"
#include "segment.h"
#include "service.h"
#include "store.h"

static void usage(void)
{
    fputs("usage: strata-data --dir DIR [--listen tcp://127.0.0.1:8089] [--meta URL,URL...]\n"
          "                   [--advertise URL] [--http-addr HOST:PORT] [--heartbeat-ms MS]\n"
          "                   [--drop-grace-ms MS] [--cache-max-bytes N]\n"
          "                   [--sync-interval-ms MS] [--workers N]\n"
          "                   [--max-open-segments N] [--ready-file PATH]\n",
          stderr);
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    switch (*end) {
    case 'k':
    case 'K':
        v <<= 10;
        end++;
        break;
    case 'm':
    case 'M':
        v <<= 20;
        end++;
        break;
    case 'g':
    case 'G':
        v <<= 30;
        end++;
        break;
    }
    if (*end)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* Written after listening, renamed into place: readers never see half. */
static int write_ready(const char *ready, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", ready);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    int bad = fprintf(f, "tcp://127.0.0.1:%d\n", port) < 0;
    bad |= fclose(f) != 0;
    return bad || rename(tmp, ready) != 0 ? -1 : 0;
}

/* The URL other nodes reach us at: --advertise, else the listen URL with
 * the port actually bound (and this host's name for a wildcard address). */
static void advertised(const char *advertise, const char *listen, int port, char *out, size_t len)
{
    if (advertise) {
        snprintf(out, len, "%s", advertise);
        return;
    }
    const char *host = strstr(listen, "://");
    host = host ? host + 3 : listen;
    const char *colon = strrchr(host, ':');
    int hlen = colon ? (int)(colon - host) : (int)strlen(host);
    char name[256];
    if (hlen == 0 || (hlen == 1 && host[0] == '*') || strncmp(host, "0.0.0.0", (size_t)hlen) == 0) {
        if (gethostname(name, sizeof(name)) != 0)
            snprintf(name, sizeof(name), "localhost");
        name[sizeof(name) - 1] = '\0';
        host = name;
        hlen = (int)strlen(name);
    }
    snprintf(out, len, "tcp://%.*s:%d", hlen, host, port);
}

/* Splits --meta's comma-separated URLs and starts the cluster agent. */
static int start_agent(char *meta, const char *advertise, const char *listen, int port,
                       const char *http_addr, const char *dir, unsigned heartbeat_ms,
                       unsigned drop_grace_ms, st_store *st, st_agent **out)
{
    const char *urls[16];
    size_t n = 0;
    for (char *save = NULL, *u = strtok_r(meta, ",", &save); u && n < 16;
         u = strtok_r(NULL, ",", &save))
        urls[n++] = u;
    char self[512], err[512] = "";
    advertised(advertise, listen, port, self, sizeof(self));
    struct st_agent_opts ao = {.meta = urls,
                               .nmeta = n,
                               .dir = dir,
                               .rpc_addr = self,
                               .http_addr = http_addr,
                               .heartbeat_ms = heartbeat_ms,
                               .drop_grace_ms = drop_grace_ms};
    int rv = st_agent_start(&ao, st, out, err, sizeof(err));
    if (rv != ST_OK)
        fprintf(stderr, "strata-data: %s\n", err[0] ? err : st_strerror(rv));
    else
        fprintf(stderr, "strata-data: joining the cluster through %zu meta node(s) as %s\n", n,
                self);
    return rv;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *listen = "tcp://127.0.0.1:8089", *ready = NULL;
    char *meta = NULL;
    const char *advertise = NULL, *http_addr = NULL;
    unsigned heartbeat_ms = 0, drop_grace_ms = 0;
    struct st_shard_opts so = {0};
    int workers = 16;
    size_t max_segments = 0;
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
        max_segments = (size_t)nofile.rlim_cur / 2;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && strcmp(a, "--dir") == 0)
            dir = v;
        else if (v && strcmp(a, "--listen") == 0)
            listen = v;
        else if (v && strcmp(a, "--meta") == 0)
            meta = argv[i + 1];
        else if (v && strcmp(a, "--advertise") == 0)
            advertise = v;
        else if (v && strcmp(a, "--http-addr") == 0)
            http_addr = v;
        else if (v && strcmp(a, "--heartbeat-ms") == 0)
            heartbeat_ms = (unsigned)atoi(v);
        else if (v && strcmp(a, "--drop-grace-ms") == 0)
            drop_grace_ms = (unsigned)atoi(v);
        else if (v && strcmp(a, "--cache-max-bytes") == 0) {
            if (parse_size(v, &so.cache_max_bytes) != 0) {
                fprintf(stderr, "strata-data: bad --cache-max-bytes '%s'\n", v);
                return 2;
            }
        } else if (v && strcmp(a, "--sync-interval-ms") == 0)
            so.sync_interval_ms = atoi(v);
        else if (v && strcmp(a, "--workers") == 0)
            workers = atoi(v);
        else if (v && strcmp(a, "--ready-file") == 0)
            ready = v;
        else if (v && strcmp(a, "--max-open-segments") == 0) {
            if (parse_size(v, &max_segments) != 0 || max_segments == 0) {
                fprintf(stderr, "strata-data: bad --max-open-segments '%s'\n", v);
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (dir == NULL) {
        usage();
        return 2;
    }
    /* Request bodies are megabytes: keep them on the heap instead of a fresh
     * mmap (and its page faults) for every request. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    /* Few malloc arenas: with one per worker thread, memory a worker
     * allocates for the cache is freed by the flusher into another arena's
     * lists, and every arena keeps growing fresh pages (page faults were 7 %
     * of the write path's CPU). One arena per two cores measured best on
     * 2 cores (docs/data-node.md). */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_ARENA_MAX, ncpu > 2 ? (int)(ncpu / 2) : 1);
    /* A peer's death must not kill us; signals are taken by sigwait below. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    st_segment_set_fd_limit(max_segments);
    char err[1024] = "";
    st_store *st;
    int rv = st_store_open(dir, &so, &st, err, sizeof(err));
    if (rv != ST_OK) {
        fprintf(stderr, "strata-data: %s\n", err[0] ? err : st_strerror(rv));
        return 1;
    }
    st_copy *copy;
    if ((rv = st_copy_open(dir, &copy)) != ST_OK) {
        fprintf(stderr, "strata-data: snapshots: %s\n", st_strerror(rv));
        st_store_close(st);
        return 1;
    }
    /* One scan reader (and io_uring) per worker at most, reused across
     * requests (docs/data-node.md). */
    st_shard_reader_pool *readers;
    if ((rv = st_shard_reader_pool_open(workers > 0 ? (size_t)workers : 16, &readers)) != ST_OK) {
        fprintf(stderr, "strata-data: reader pool: %s\n", st_strerror(rv));
        st_copy_close(copy);
        st_store_close(st);
        return 1;
    }
    struct st_data_service svc = {.store = st, .copy = copy, .readers = readers};
    st_rpc_server *srv = NULL;
    st_agent *agent = NULL;
    int status = 1;
    struct st_rpc_server_opts ro = {
        .url = listen, .workers = workers, .handler = st_data_service_handle, .arg = &svc};
    rv = st_rpc_server_open(&ro, &srv, err, sizeof(err));
    if (rv != ST_OK) {
        fprintf(stderr, "strata-data: %s\n", err);
        goto out;
    }
    fprintf(stderr, "strata-data: serving %s (port %d), %zu shards in %s\n", listen,
            st_rpc_server_port(srv), st_store_count(st), dir);
    if (meta && start_agent(meta, advertise, listen, st_rpc_server_port(srv), http_addr, dir,
                            heartbeat_ms, drop_grace_ms, st, &agent) != ST_OK)
        goto out;
    if (ready && write_ready(ready, st_rpc_server_port(srv)) != 0) {
        fprintf(stderr, "strata-data: cannot write %s\n", ready);
        goto out;
    }
    int sig;
    sigwait(&set, &sig);
    fprintf(stderr, "strata-data: signal %d, shutting down\n", sig);
    status = 0;
out:
    st_agent_stop(agent);
    st_rpc_server_close(srv);
    st_shard_reader_pool_close(readers);
    st_copy_close(copy);
    rv = st_store_flush_all(st);
    if (rv != ST_OK)
        fprintf(stderr, "strata-data: flush at shutdown: %s (the WAL keeps the data)\n",
                st_strerror(rv));
    st_store_close(st);
    return status;
}
