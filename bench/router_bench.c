/* Write benchmark through the HTTP API: strata (1 meta, 1 data, 1 router)
 * side by side with InfluxDB 1.x and VictoriaMetrics, same data, same loader.
 *
 *   router_bench --strata BUILD_DIR [--hosts 100] [--lines 864000]
 *                [--batch 5000] [--conns 4] [--only strata|influxdb|vm]
 *                [--cache-max-bytes N]   (the data node's, default its own)
 *
 * For each target: start it on free loopback ports in a fresh temporary
 * directory, CREATE DATABASE bench, send the TSBS cpu-only data set (100
 * hosts x 1 day at 10 s = 864,000 lines, 10 fields each) in --batch-line
 * POST /write bodies over --conns keep-alive connections, and print lines/s,
 * fields/s, failed requests, the peak resident memory of the target's
 * processes summed (VmHWM) and their CPU seconds. Then stop it. Not a
 * test: the numbers go to docs/bench-router.md. */
#define _DEFAULT_SOURCE /* prctl, mkdtemp, strncasecmp */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "tsbs.h"

#define MAXPROC 4

static struct st_buf data;
static size_t *line_off;
static long nlines, batch = 5000;
static atomic_long next_batch, failed;
static int http_port;
static const char *cache_max; /* --cache-max-bytes of the data node, or NULL: its default */

struct target {
    const char *name;
    pid_t pids[MAXPROC];
    int npids;
    char dir[256];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &n) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static pid_t spawn(struct target *t, char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid > 0 && t->npids < MAXPROC)
        t->pids[t->npids++] = pid;
    return pid;
}

/* ---- a keep-alive HTTP/1.1 client ---- */

struct conn {
    int fd;
    char buf[65536];
    size_t len;
};

static bool conn_open(struct conn *c)
{
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* One request; the status, or -1 when the connection broke. The body of an
 * error answer goes to @err (truncated). */
static int request(struct conn *c, const char *method, const char *path, const char *body,
                   size_t len, char *err, size_t errlen)
{
    char head[512];
    int hn = snprintf(head, sizeof(head),
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n"
                      "Content-Type: text/plain\r\n\r\n",
                      method, path, len);
    if (!send_all(c->fd, head, (size_t)hn) || (len && !send_all(c->fd, body, len)))
        return -1;
    c->len = 0;
    char *hend = NULL;
    while (hend == NULL) {
        if (c->len + 1 >= sizeof(c->buf))
            return -1;
        ssize_t k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
        if (k <= 0)
            return -1;
        c->len += (size_t)k;
        c->buf[c->len] = '\0';
        hend = strstr(c->buf, "\r\n\r\n");
    }
    int status = -1;
    sscanf(c->buf, "HTTP/1.%*d %d", &status);
    size_t clen = 0;
    for (char *p = c->buf; p < hend; p++)
        if ((*p == 'C' || *p == 'c') && strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtoul(p + 15, NULL, 10);
    size_t have = c->len - (size_t)(hend + 4 - c->buf);
    size_t hdr = (size_t)(hend + 4 - c->buf);
    while (have < clen) {
        char tmp[65536];
        ssize_t k = recv(c->fd, tmp, sizeof(tmp), 0);
        if (k <= 0)
            return -1;
        if (hdr + have + (size_t)k < sizeof(c->buf) - 1)
            memcpy(c->buf + hdr + have, tmp, (size_t)k);
        have += (size_t)k;
    }
    if (err && errlen) {
        size_t n = clen < errlen - 1 ? clen : errlen - 1;
        if (hdr + n > sizeof(c->buf) - 1)
            n = sizeof(c->buf) - 1 - hdr;
        memcpy(err, c->buf + hdr, n);
        err[n] = '\0';
    }
    return status;
}

static int one_request(const char *method, const char *path, const char *body, char *err,
                       size_t errlen)
{
    struct conn c;
    if (!conn_open(&c))
        return -1;
    int st = request(&c, method, path, body, body ? strlen(body) : 0, err, errlen);
    close(c.fd);
    return st;
}

static bool wait_status(const char *method, const char *path, int want, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (one_request(method, path, NULL, NULL, 0) == want)
            return true;
        sleep_ms(100);
    }
    return false;
}

static void *loader(void *arg)
{
    (void)arg;
    struct conn c;
    bool open = conn_open(&c);
    char err[512];
    for (;;) {
        long b = atomic_fetch_add(&next_batch, 1);
        long first = b * batch;
        if (first >= nlines)
            break;
        long last = first + batch < nlines ? first + batch : nlines;
        size_t end = last < nlines ? line_off[last] : data.len;
        int st = -1;
        for (int attempt = 0; attempt < 2 && st < 0; attempt++) {
            if (!open)
                open = conn_open(&c);
            st = open ? request(&c, "POST", "/write?db=bench&precision=ns",
                                data.p + line_off[first], end - line_off[first], err, sizeof(err))
                      : -1;
            if (st < 0 && open) {
                close(c.fd);
                open = false;
            }
        }
        if (st != 204) {
            if (atomic_fetch_add(&failed, 1) == 0)
                fprintf(stderr, "router_bench: a write got %d: %s\n", st, err);
        }
    }
    if (open)
        close(c.fd);
    return NULL;
}

/* ---- per-process figures ---- */

static long vm_hwm_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static double cpu_s(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     */
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

static void stop(struct target *t)
{
    for (int i = t->npids - 1; i >= 0; i--) {
        kill(t->pids[i], SIGTERM);
        for (int w = 0; w < 300; w++) {
            if (waitpid(t->pids[i], NULL, WNOHANG) == t->pids[i])
                break;
            if (w == 299) {
                kill(t->pids[i], SIGKILL);
                waitpid(t->pids[i], NULL, 0);
            }
            sleep_ms(100);
        }
    }
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "router_bench: could not remove %s\n", t->dir);
}

/* ---- the targets ---- */

static bool wait_file(const char *path, int timeout_ms)
{
    struct stat st;
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (stat(path, &st) == 0)
            return true;
        sleep_ms(100);
    }
    return false;
}

static bool start_strata(struct target *t, const char *build)
{
    char bin[3][512], p[5][64], members[256], d[6][300];
    snprintf(bin[0], sizeof(bin[0]), "%s/meta/strata-meta", build);
    snprintf(bin[1], sizeof(bin[1]), "%s/data/strata-data", build);
    snprintf(bin[2], sizeof(bin[2]), "%s/router/strata-router", build);
    int raft = free_port(), mrpc = free_port(), drpc = free_port();
    http_port = free_port();
    snprintf(p[0], sizeof(p[0]), "127.0.0.1:%d", raft);
    snprintf(p[1], sizeof(p[1]), "tcp://127.0.0.1:%d", mrpc);
    snprintf(p[2], sizeof(p[2]), "tcp://127.0.0.1:%d", drpc);
    snprintf(p[3], sizeof(p[3]), "127.0.0.1:%d", http_port);
    snprintf(members, sizeof(members), "1=%s=%s", p[0], p[1]);
    const char *names[] = {"meta", "data", "router", "meta.ready", "data.ready", "router.ready"};
    for (int i = 0; i < 6; i++)
        snprintf(d[i], sizeof(d[i]), "%s/%s", t->dir, names[i]);
    char logs[3][300];
    for (int i = 0; i < 3; i++)
        snprintf(logs[i], sizeof(logs[i]), "%s/%s.log", t->dir, names[i]);
    char *meta[] = {bin[0],     "--id", "1",         "--dir", d[0],           "--raft", p[0],
                    "--listen", p[1],   "--members", members, "--ready-file", d[3],     NULL};
    char *dnode[12] = {bin[1],   "--dir", d[1],           "--listen", p[2],
                       "--meta", p[1],    "--ready-file", d[4]};
    if (cache_max != NULL) {
        dnode[9] = "--cache-max-bytes";
        dnode[10] = (char *)cache_max;
    }
    char *router[] = {bin[2],  "--meta", p[1],           "--http", p[3],
                      "--dir", d[2],     "--ready-file", d[5],     NULL};
    if (spawn(t, meta, logs[0]) <= 0 || !wait_file(d[3], 20000))
        return false;
    if (spawn(t, dnode, logs[1]) <= 0 || !wait_file(d[4], 20000))
        return false;
    if (spawn(t, router, logs[2]) <= 0 || !wait_file(d[5], 20000))
        return false;
    return wait_status("GET", "/health", 200, 20000);
}

static bool start_influxdb(struct target *t)
{
    char conf[300], log[300];
    http_port = free_port();
    int bind_port = free_port();
    snprintf(conf, sizeof(conf), "%s/influxdb.conf", t->dir);
    snprintf(log, sizeof(log), "%s/influxd.log", t->dir);
    FILE *f = fopen(conf, "w");
    if (f == NULL)
        return false;
    fprintf(f,
            "reporting-disabled = true\nbind-address = \"127.0.0.1:%d\"\n"
            "[meta]\n  dir = \"%s/meta\"\n"
            "[data]\n  dir = \"%s/data\"\n  wal-dir = \"%s/wal\"\n  query-log-enabled = false\n"
            "[monitor]\n  store-enabled = false\n"
            "[http]\n  enabled = true\n  bind-address = \"127.0.0.1:%d\"\n  log-enabled = false\n"
            "  max-body-size = 0\n",
            bind_port, t->dir, t->dir, t->dir, http_port);
    fclose(f);
    char *argv[] = {"/usr/bin/influxd", "-config", conf, NULL};
    if (spawn(t, argv, log) <= 0)
        return false;
    return wait_status("GET", "/ping", 204, 30000);
}

static bool start_vm(struct target *t)
{
    char path[300], listen[64], log[300];
    http_port = free_port();
    snprintf(path, sizeof(path), "-storageDataPath=%s/vm", t->dir);
    snprintf(listen, sizeof(listen), "-httpListenAddr=127.0.0.1:%d", http_port);
    snprintf(log, sizeof(log), "%s/vm.log", t->dir);
    char *argv[] = {"/usr/bin/victoria-metrics", path, listen, "-retentionPeriod=100y", NULL};
    if (spawn(t, argv, log) <= 0)
        return false;
    return wait_status("GET", "/health", 200, 30000);
}

struct result {
    const char *name;
    double lines_s, fields_s, mem_mb, cpu;
    long failures;
    bool ran;
};

static void run(struct target *t, const char *build, int conns, struct result *res)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/router_bench.XXXXXX");
    if (mkdtemp(t->dir) == NULL) {
        perror("mkdtemp");
        return;
    }
    bool ok = strcmp(t->name, "strata") == 0     ? start_strata(t, build)
              : strcmp(t->name, "influxdb") == 0 ? start_influxdb(t)
                                                 : start_vm(t);
    char err[512] = "";
    if (ok && strcmp(t->name, "vm") != 0) {
        int st = one_request("POST", "/query?q=CREATE+DATABASE+bench", NULL, err, sizeof(err));
        ok = st == 200;
        if (!ok)
            fprintf(stderr, "router_bench: %s: CREATE DATABASE: %d %s\n", t->name, st, err);
    }
    if (!ok) {
        fprintf(stderr, "router_bench: %s did not start (logs in %s)\n", t->name, t->dir);
        return;
    }
    double cpu0 = 0;
    for (int i = 0; i < t->npids; i++)
        cpu0 += cpu_s(t->pids[i]);
    atomic_store(&next_batch, 0);
    atomic_store(&failed, 0);
    pthread_t th[64];
    double t0 = now_s();
    for (int i = 0; i < conns; i++)
        pthread_create(&th[i], NULL, loader, NULL);
    for (int i = 0; i < conns; i++)
        pthread_join(th[i], NULL);
    double secs = now_s() - t0;
    if (strcmp(t->name, "vm") == 0)
        one_request("GET", "/internal/force_flush", NULL, NULL, 0);
    double cpu = 0;
    long kb = 0;
    printf("%s:", t->name);
    for (int i = 0; i < t->npids; i++) {
        long k = vm_hwm_kb(t->pids[i]);
        kb += k;
        cpu += cpu_s(t->pids[i]);
        printf(" pid %d peak %.1f MB;", (int)t->pids[i], (double)k / 1024);
    }
    printf("\n");
    res->name = t->name;
    res->lines_s = (double)nlines / secs;
    res->fields_s = res->lines_s * 10;
    res->failures = atomic_load(&failed);
    res->mem_mb = (double)kb / 1024;
    res->cpu = cpu - cpu0;
    res->ran = true;
    stop(t);
}

int main(int argc, char **argv)
{
    const char *build = NULL, *only = NULL;
    int hosts = 100, conns = 4;
    nlines = 864000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--strata") == 0)
            build = argv[i + 1];
        else if (strcmp(argv[i], "--hosts") == 0)
            hosts = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--lines") == 0)
            nlines = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--conns") == 0)
            conns = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--only") == 0)
            only = argv[i + 1];
        else if (strcmp(argv[i], "--cache-max-bytes") == 0)
            cache_max = argv[i + 1];
    }
    if (build == NULL || hosts <= 0 || nlines <= 0 || batch <= 0 || conns <= 0 || conns > 64) {
        fprintf(stderr, "usage: router_bench --strata BUILD_DIR [--hosts 100] [--lines 864000] "
                        "[--batch 5000] [--conns 4] [--only strata|influxdb|vm] "
                        "[--cache-max-bytes N]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct st_tsbs g;
    st_buf_init(&data);
    line_off = malloc((size_t)nlines * sizeof(*line_off));
    if (line_off == NULL || st_tsbs_init(&g, hosts, 1) != ST_OK)
        return 1;
    for (long i = 0; i < nlines; i++) {
        line_off[i] = data.len;
        if (st_tsbs_next(&g, &data) != ST_OK)
            return 1;
    }
    st_tsbs_fini(&g);
    printf("router_bench: %ld lines (%ld fields, %.1f MB) in batches of %ld over %d keep-alive "
           "connections\n",
           nlines, nlines * 10, (double)data.len / 1e6, batch, conns);
    const char *names[] = {"strata", "influxdb", "vm"};
    struct result res[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        if (only && strcmp(only, names[i]) != 0)
            continue;
        struct target t = {.name = names[i]};
        run(&t, build, conns, &res[i]);
    }
    printf("\n| target | lines/s | fields/s | failed requests | peak RSS (MB, all processes) | CPU "
           "s |\n|---|---|---|---|---|---|\n");
    for (int i = 0; i < 3; i++)
        if (res[i].ran)
            printf("| %s | %.0f | %.0f | %ld | %.0f | %.1f |\n", res[i].name, res[i].lines_s,
                   res[i].fields_s, res[i].failures, res[i].mem_mb, res[i].cpu);
    for (int i = 1; i < 3; i++)
        if (res[0].ran && res[i].ran)
            printf("strata / %s: fields/s %.2fx, peak memory %.2fx\n", res[i].name,
                   res[0].fields_s / res[i].fields_s, res[0].mem_mb / res[i].mem_mb);
    free(line_off);
    st_buf_fini(&data);
    return 0;
}
