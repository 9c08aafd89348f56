/* strata-router: the InfluxDB 1.x HTTP API of a strata cluster.
 *
 *   strata-router --meta URL[,URL...] [--http HOST:PORT] [--dir DIR]
 *                 [--auth] [--max-body-bytes N] [--idle-timeout-s S]
 *                 [--write-timeout-ms MS] [--meta-timeout-ms MS]
 *                 [--hh-max-bytes N] [--ready-file PATH]
 *
 * --http defaults to 127.0.0.1:8086 (port 0 picks a free one). --dir holds
 * the hinted-handoff queues (default ./strata-router). --ready-file is
 * written (tmp + rename) once the HTTP port listens and the first catalogue
 * has arrived; it holds "http://HOST:PORT" and a newline. SIGTERM or SIGINT
 * stops the router: the HTTP server first (requests in progress finish),
 * then the replayers. See docs/router-api.md. */
#define _GNU_SOURCE /* mallopt */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "err.h"
#include "http.h"
#include "router.h"

#define MAX_META 16

static void usage(void)
{
    fputs("usage: strata-router --meta URL[,URL...] [--http HOST:PORT] [--dir DIR] [--auth]\n"
          "                     [--max-body-bytes N] [--idle-timeout-s S]\n"
          "                     [--write-timeout-ms MS] [--meta-timeout-ms MS]\n"
          "                     [--hh-max-bytes N] [--query-timeout-ms MS]\n"
          "                     [--max-select-point N] [--max-select-buckets N]\n"
          "                     [--max-select-series N]\n"
          "                     [--ready-file PATH]\n",
          stderr);
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || v > max)
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
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int write_ready(const char *path, const char *host, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "http://%s:%d\n", host, port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static void mkdirs(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    mkdir(buf, 0755);
}

int main(int argc, char **argv)
{
    const char *meta = NULL, *http = "127.0.0.1:8086", *dir = "strata-router", *ready = NULL;
    struct st_router_opts ro = {0};
    struct st_http_opts ho = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--auth") == 0) {
            ro.auth = true;
            continue;
        }
        if (i + 1 >= argc) {
            usage();
            return 2;
        }
        const char *v = argv[++i];
        unsigned long long n = 0;
        if (strcmp(a, "--meta") == 0)
            meta = v;
        else if (strcmp(a, "--http") == 0)
            http = v;
        else if (strcmp(a, "--dir") == 0)
            dir = v;
        else if (strcmp(a, "--ready-file") == 0)
            ready = v;
        else if (strcmp(a, "--max-body-bytes") == 0 && parse_u64(v, 1ull << 40, &n) == 0)
            ho.max_body = (size_t)n;
        else if (strcmp(a, "--idle-timeout-s") == 0 && parse_u64(v, 86400, &n) == 0)
            ho.idle_timeout_s = (unsigned)n;
        else if (strcmp(a, "--write-timeout-ms") == 0 && parse_u64(v, 3600000, &n) == 0)
            ro.write_timeout_ms = (unsigned)n;
        else if (strcmp(a, "--meta-timeout-ms") == 0 && parse_u64(v, 3600000, &n) == 0)
            ro.meta_timeout_ms = (unsigned)n;
        else if (strcmp(a, "--hh-max-bytes") == 0 && parse_u64(v, 1ull << 50, &n) == 0)
            ro.hh_max_bytes = n;
        else if (strcmp(a, "--query-timeout-ms") == 0 && parse_u64(v, 86400000, &n) == 0)
            ro.query_timeout_ms = (unsigned)n;
        else if (strcmp(a, "--max-select-point") == 0 && parse_u64(v, UINT64_MAX >> 10, &n) == 0)
            ro.max_select_point = n;
        else if (strcmp(a, "--max-select-buckets") == 0 && parse_u64(v, UINT64_MAX >> 10, &n) == 0)
            ro.max_select_buckets = n;
        else if (strcmp(a, "--max-select-series") == 0 && parse_u64(v, UINT64_MAX >> 10, &n) == 0)
            ro.max_select_series = n;
        else {
            fprintf(stderr, "strata-router: bad option %s %s\n", a, v);
            usage();
            return 2;
        }
    }
    if (meta == NULL) {
        usage();
        return 2;
    }
    char metabuf[4096], host[256];
    const char *urls[MAX_META];
    snprintf(metabuf, sizeof(metabuf), "%s", meta);
    for (char *save = NULL, *t = strtok_r(metabuf, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        if (ro.nmeta == MAX_META) {
            fprintf(stderr, "strata-router: at most %d meta URLs\n", MAX_META);
            return 2;
        }
        urls[ro.nmeta++] = t;
    }
    const char *colon = strrchr(http, ':');
    if (colon == NULL || (size_t)(colon - http) >= sizeof(host)) {
        fprintf(stderr, "strata-router: --http wants HOST:PORT, not %s\n", http);
        return 2;
    }
    memcpy(host, http, (size_t)(colon - http));
    host[colon - http] = '\0';
    ho.addr = host;
    ho.port = atoi(colon + 1);
    ro.meta = urls;
    ro.dir = dir;
    mkdirs(dir);

    /* Two malloc arenas: every connection has its own thread, and an arena
     * per thread keeps each one's high-water mark of request buffers
     * (docs/bench-router.md measured the difference). */
    mallopt(M_ARENA_MAX, 2);
    /* Bodies and batches are hundreds of kilobytes: keep them on the heap
     * rather than a fresh mmap, and its page faults, per request. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);

    /* Peers die: a write to their socket must not kill the router. The
     * stop signals are taken by sigwait() below, on this thread only. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    char err[512] = "";
    st_router *r = NULL;
    st_http_server *srv = NULL;
    int rv = st_router_open(&ro, &r, err, sizeof(err));
    if (rv != ST_OK) {
        fprintf(stderr, "strata-router: %s\n", err[0] ? err : st_strerror(rv));
        return 1;
    }
    ho.handler = st_router_handle;
    ho.arg = r;
    if ((rv = st_http_open(&ho, &srv, err, sizeof(err))) != ST_OK) {
        fprintf(stderr, "strata-router: %s\n", err[0] ? err : st_strerror(rv));
        st_router_close(r);
        return 1;
    }
    fprintf(stderr, "strata-router: listening on http://%s:%d, meta %s, auth %s\n", host,
            st_http_port(srv), meta, ro.auth ? "on" : "off");
    struct timespec zero = {0, 0};
    int sig = 0;
    while (st_router_wait_ready(r, 1000) != ST_OK) {
        fprintf(stderr, "strata-router: waiting for the catalogue from %s\n", meta);
        if ((sig = sigtimedwait(&stop, NULL, &zero)) > 0)
            goto stopping;
    }
    if (ready != NULL && write_ready(ready, host, st_http_port(srv)) != 0)
        fprintf(stderr, "strata-router: cannot write %s: %s\n", ready, strerror(errno));
    sigwait(&stop, &sig);
stopping:
    fprintf(stderr, "strata-router: signal %d, stopping\n", sig);
    st_http_close(srv);
    st_router_close(r);
    return 0;
}
