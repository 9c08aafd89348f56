/* strata-meta: a meta node. Holds the cluster catalogue in raft, serves the meta RPC.
 *
 *   strata-meta --id N --dir DIR --raft HOST:PORT --listen tcp://HOST:PORT
 *               [--members LIST] [--election-timeout-ms 500]
 *               [--heartbeat-timeout-ms 50] [--snapshot-threshold 1024]
 *               [--snapshot-trailing 128] [--apply-timeout-ms 5000]
 *               [--node-timeout-ms 10000] [--retention-check-ms 60000]
 *               [--workers 64] [--default-replication 1] [--ready-file PATH]
 *
 * LIST is comma-separated ID=RAFTHOST:PORT=RPCURL, the same on every node,
 * e.g. 1=127.0.0.1:7001=tcp://127.0.0.1:7101,2=127.0.0.1:7002=tcp://...
 * It bootstraps a fresh directory and is ignored on restart (raft refuses to
 * bootstrap a directory with state); it also names the RPC URLs of members
 * the catalogue does not know yet. Without --members the node starts empty
 * and waits to be added by a MembershipRequest ADD_VOTER.
 *
 * --ready-file is written (tmp + rename) once the RPC endpoint listens; it
 * holds the RPC URL and a newline. SIGTERM or SIGINT stops the node cleanly
 * (exit 0). See docs/meta-server.md. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "server.h"

#define MAX_MEMBERS 16

static void usage(void)
{
    fputs("usage: strata-meta --id N --dir DIR --raft HOST:PORT --listen tcp://HOST:PORT\n"
          "                   [--members ID=RAFTHOST:PORT=RPCURL,...]\n"
          "                   [--election-timeout-ms 500] [--heartbeat-timeout-ms 50]\n"
          "                   [--snapshot-threshold 1024] [--snapshot-trailing 128]\n"
          "                   [--apply-timeout-ms 5000] [--node-timeout-ms 10000]\n"
          "                   [--retention-check-ms 60000] [--workers 64]\n"
          "                   [--default-replication 1] [--ready-file PATH]\n",
          stderr);
}

/* A positive decimal number up to @max. */
static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Splits @list (modified in place) into @m; returns how many, -1 if bad. */
static int parse_members(char *list, struct st_msrv_member *m, int cap)
{
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *raft = strchr(tok, '=');
        char *url = raft ? strchr(raft + 1, '=') : NULL;
        unsigned long long id;
        if (n == cap || url == NULL)
            return -1;
        *raft++ = '\0';
        *url++ = '\0';
        if (parse_num(tok, UINT64_MAX, &id) != 0 || *raft == '\0' || *url == '\0')
            return -1;
        m[n++] = (struct st_msrv_member){id, raft, url};
    }
    return n;
}

/* The RPC URL with the port actually bound (--listen may say port 0). */
static void bound_url(const char *listen, int port, char *out, size_t n)
{
    const char *colon = strrchr(listen, ':');
    int host = colon ? (int)(colon - listen) : (int)strlen(listen);
    snprintf(out, n, "%.*s:%d", host, listen, port);
}

static int write_ready(const char *path, const char *url)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    int bad = fprintf(f, "%s\n", url) < 0;
    bad |= fclose(f) != 0;
    return bad || rename(tmp, path) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct st_msrv_config cfg = {0};
    struct st_msrv_member members[MAX_MEMBERS];
    const char *ready = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i];
        char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long num = 0;
        struct {
            const char *flag;
            unsigned *dst;
        } nums[] = {
            {"--election-timeout-ms", &cfg.election_timeout_ms},
            {"--heartbeat-timeout-ms", &cfg.heartbeat_timeout_ms},
            {"--snapshot-threshold", &cfg.snapshot_threshold},
            {"--snapshot-trailing", &cfg.snapshot_trailing},
            {"--apply-timeout-ms", &cfg.apply_timeout_ms},
            {"--node-timeout-ms", &cfg.node_timeout_ms},
            {"--retention-check-ms", &cfg.retention_check_ms},
            {"--default-replication", &cfg.default_replication},
        };
        bool done = false;
        if (v == NULL) {
            usage();
            return 2;
        }
        for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]) && !done; k++) {
            if (strcmp(a, nums[k].flag) != 0)
                continue;
            if (parse_num(v, 86400000, &num) != 0) {
                fprintf(stderr, "strata-meta: bad %s '%s' (a positive number)\n", a, v);
                return 2;
            }
            *nums[k].dst = (unsigned)num;
            done = true;
        }
        if (done)
            continue;
        if (strcmp(a, "--id") == 0) {
            if (parse_num(v, UINT64_MAX, &num) != 0) {
                fprintf(stderr, "strata-meta: bad --id '%s' (a positive number)\n", v);
                return 2;
            }
            cfg.id = num;
        } else if (strcmp(a, "--workers") == 0) {
            if (parse_num(v, 4096, &num) != 0) {
                fprintf(stderr, "strata-meta: bad --workers '%s' (1 to 4096)\n", v);
                return 2;
            }
            cfg.workers = (int)num;
        } else if (strcmp(a, "--dir") == 0) {
            cfg.dir = v;
        } else if (strcmp(a, "--raft") == 0) {
            cfg.raft_addr = v;
        } else if (strcmp(a, "--listen") == 0) {
            cfg.listen = v;
        } else if (strcmp(a, "--ready-file") == 0) {
            ready = v;
        } else if (strcmp(a, "--members") == 0) {
            int n = parse_members(v, members, MAX_MEMBERS);
            if (n <= 0) {
                fprintf(stderr,
                        "strata-meta: bad --members: want up to %d of "
                        "ID=RAFTHOST:PORT=RPCURL, comma-separated\n",
                        MAX_MEMBERS);
                return 2;
            }
            cfg.members = members;
            cfg.nmembers = (size_t)n;
        } else {
            usage();
            return 2;
        }
    }
    if (cfg.id == 0 || cfg.dir == NULL || cfg.raft_addr == NULL || cfg.listen == NULL) {
        usage();
        return 2;
    }

    /* A peer's death must not kill us (raft and libuv do not ignore
     * SIGPIPE); SIGTERM and SIGINT are taken by sigwait below, so every
     * thread started from here on blocks them. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    char err[1024] = "";
    st_msrv *s;
    int rv = st_msrv_start(&cfg, &s, err, sizeof(err));
    if (rv != ST_OK) {
        fprintf(stderr, "strata-meta: %s\n", err[0] ? err : st_strerror(rv));
        return 1;
    }
    char url[512];
    bound_url(cfg.listen, st_msrv_port(s), url, sizeof(url));
    fprintf(stderr,
            "strata-meta %" PRIu64 ": serving %s, raft %s, dir %s, %zu bootstrap members%s\n",
            cfg.id, url, cfg.raft_addr, cfg.dir, cfg.nmembers,
            cfg.nmembers ? " (ignored if the dir has state)" : " (waiting to be added)");
    if (ready != NULL && write_ready(ready, url) != 0) {
        fprintf(stderr, "strata-meta: cannot write %s\n", ready);
        st_msrv_stop(s);
        return 1;
    }
    int sig;
    sigwait(&set, &sig);
    fprintf(stderr, "strata-meta %" PRIu64 ": signal %d, shutting down\n", cfg.id, sig);
    st_msrv_stop(s);
    return 0;
}
