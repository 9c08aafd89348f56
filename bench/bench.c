/* Shared parts of the HTTP benchmarks (router_bench, query_bench).
 *
 * Every target runs on free loopback ports in its own temporary directory,
 * with default settings, and dies with the bench (PR_SET_PDEATHSIG). The
 * HTTP client is deliberately small: one request at a time per connection,
 * Content-Length or chunked answers, no pipelining. */
#define _DEFAULT_SOURCE /* prctl, mkdtemp, strncasecmp */
#include "bench.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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

#include "err.h"
#include "tsbs.h"

double st_bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void st_bench_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

bool st_bench_make_dir(struct st_bench_target *t, const char *tmpl)
{
    snprintf(t->dir, sizeof(t->dir), "%s", tmpl);
    if (mkdtemp(t->dir) == NULL) {
        perror("mkdtemp");
        return false;
    }
    return true;
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

static pid_t spawn(struct st_bench_target *t, char *const argv[], const char *log)
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
    if (pid > 0 && t->npids < ST_BENCH_MAXPROC)
        t->pids[t->npids++] = pid;
    return pid;
}

/* ---- the HTTP client ---- */

bool st_bench_conn_open(struct st_bench_conn *c, int port)
{
    if (c->in.cap == 0) {
        st_buf_init(&c->in);
        st_buf_init(&c->body);
    }
    st_buf_reset(&c->in);
    c->port = port;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
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

void st_bench_conn_close(struct st_bench_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    st_buf_fini(&c->in);
    st_buf_fini(&c->body);
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

/* Receives more bytes into c->in. false on EOF or error. */
static bool recv_more(struct st_bench_conn *c)
{
    if (st_buf_reserve(&c->in, 65536) != ST_OK)
        return false;
    ssize_t k = recv(c->fd, c->in.p + c->in.len, c->in.cap - 1 - c->in.len, 0);
    if (k <= 0)
        return false;
    c->in.len += (size_t)k;
    c->in.p[c->in.len] = '\0';
    return true;
}

/* Makes sure c->in holds @n bytes from offset @at. */
static bool need(struct st_bench_conn *c, size_t at, size_t n)
{
    while (c->in.len < at + n)
        if (!recv_more(c))
            return false;
    return true;
}

/* Reads a chunked body starting at c->in offset @at into c->body. */
static bool read_chunked(struct st_bench_conn *c, size_t at)
{
    for (;;) {
        char *eol;
        while ((eol = strstr(c->in.p + at, "\r\n")) == NULL)
            if (!recv_more(c))
                return false;
        size_t size = strtoul(c->in.p + at, NULL, 16);
        at = (size_t)(eol + 2 - c->in.p);
        if (!need(c, at, size + 2))
            return false;
        if (size == 0) /* no trailers from the servers we talk to */
            return true;
        if (st_buf_append(&c->body, c->in.p + at, size) != ST_OK)
            return false;
        at += size + 2;
    }
}

int st_bench_request(struct st_bench_conn *c, const char *method, const char *path,
                     const char *body, size_t len)
{
    char head[8192];
    int hn = snprintf(head, sizeof(head),
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n"
                      "Content-Type: text/plain\r\n\r\n",
                      method, path, len);
    if (hn < 0 || (size_t)hn >= sizeof(head))
        return -1;
    if (c->fd < 0 || !send_all(c->fd, head, (size_t)hn) || (len && !send_all(c->fd, body, len)))
        return -1;
    st_buf_reset(&c->in);
    st_buf_reset(&c->body);
    char *hend = NULL;
    while (hend == NULL) {
        if (!recv_more(c))
            return -1;
        hend = strstr(c->in.p, "\r\n\r\n");
    }
    int status = -1;
    sscanf(c->in.p, "HTTP/1.%*d %d", &status);
    size_t clen = 0, hdr = (size_t)(hend + 4 - c->in.p);
    bool chunked = false;
    for (char *p = c->in.p; p < hend; p++) {
        if (p != c->in.p && p[-1] != '\n')
            continue;
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtoul(p + 15, NULL, 10);
        else if (strncasecmp(p, "Transfer-Encoding:", 18) == 0 && strstr(p, "chunked") != NULL &&
                 strstr(p, "chunked") < strstr(p, "\r\n"))
            chunked = true;
    }
    if (chunked) {
        if (!read_chunked(c, hdr))
            return -1;
    } else {
        if (!need(c, hdr, clen) || st_buf_append(&c->body, c->in.p + hdr, clen) != ST_OK)
            return -1;
    }
    if (c->body.cap == 0 && st_buf_reserve(&c->body, 1) != ST_OK)
        return -1;
    return status;
}

int st_bench_one_request(int port, const char *method, const char *path, const char *body,
                         char *err, size_t errlen)
{
    struct st_bench_conn c = {.fd = -1};
    int st = -1;
    if (st_bench_conn_open(&c, port))
        st = st_bench_request(&c, method, path, body, body ? strlen(body) : 0);
    if (err && errlen)
        snprintf(err, errlen, "%s", st >= 0 && c.body.p ? c.body.p : "");
    st_bench_conn_close(&c);
    return st;
}

int st_bench_urlencode(struct st_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rv = ST_OK;
    for (; *s && rv == ST_OK; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            rv = st_buf_putc(out, (char)ch);
        else if (ch == ' ')
            rv = st_buf_putc(out, '+');
        else
            rv = st_buf_printf(out, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
    }
    return rv;
}

static bool wait_status(int port, const char *method, const char *path, int want, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (st_bench_one_request(port, method, path, NULL, NULL, 0) == want)
            return true;
        st_bench_sleep_ms(100);
    }
    return false;
}

static bool wait_file(const char *path, int timeout_ms)
{
    struct stat st;
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (stat(path, &st) == 0)
            return true;
        st_bench_sleep_ms(100);
    }
    return false;
}

/* ---- per-process figures ---- */

long st_bench_vm_hwm_kb(pid_t pid)
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

double st_bench_cpu_s(pid_t pid)
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
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
     * stime */
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

/* ---- the targets ---- */

void st_bench_stop(struct st_bench_target *t)
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
            st_bench_sleep_ms(100);
        }
    }
    t->npids = 0;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", t->dir);
}

bool st_bench_start_strata(struct st_bench_target *t, const char *build, int ndata,
                           const char *cache_max)
{
    char bin[3][512], raft[64], mrpc[64], http[64], members[256], mdir[300], mready[300];
    char rdir[300], rready[300], log[300];
    if (ndata < 1 || ndata > ST_BENCH_MAXPROC - 2)
        return false;
    snprintf(bin[0], sizeof(bin[0]), "%s/meta/strata-meta", build);
    snprintf(bin[1], sizeof(bin[1]), "%s/data/strata-data", build);
    snprintf(bin[2], sizeof(bin[2]), "%s/router/strata-router", build);
    t->port = free_port();
    snprintf(raft, sizeof(raft), "127.0.0.1:%d", free_port());
    snprintf(mrpc, sizeof(mrpc), "tcp://127.0.0.1:%d", free_port());
    snprintf(http, sizeof(http), "127.0.0.1:%d", t->port);
    snprintf(members, sizeof(members), "1=%s=%s", raft, mrpc);
    snprintf(mdir, sizeof(mdir), "%s/meta", t->dir);
    snprintf(mready, sizeof(mready), "%s/meta.ready", t->dir);
    snprintf(log, sizeof(log), "%s/meta.log", t->dir);
    char *meta[] = {bin[0],     "--id", "1",         "--dir", mdir,           "--raft", raft,
                    "--listen", mrpc,   "--members", members, "--ready-file", mready,   NULL};
    if (spawn(t, meta, log) <= 0 || !wait_file(mready, 20000))
        return false;
    /* Data nodes one after the other, so that they register in order and
     * every one is UP before the first shard group is placed. */
    for (int i = 0; i < ndata; i++) {
        char ddir[300], dready[300], drpc[64];
        snprintf(ddir, sizeof(ddir), "%s/data%d", t->dir, i);
        snprintf(dready, sizeof(dready), "%s/data%d.ready", t->dir, i);
        snprintf(drpc, sizeof(drpc), "tcp://127.0.0.1:%d", free_port());
        snprintf(log, sizeof(log), "%s/data%d.log", t->dir, i);
        char *dnode[12] = {bin[1],   "--dir", ddir,           "--listen", drpc,
                           "--meta", mrpc,    "--ready-file", dready};
        if (cache_max != NULL) {
            dnode[9] = "--cache-max-bytes";
            dnode[10] = (char *)cache_max;
        }
        if (spawn(t, dnode, log) <= 0 || !wait_file(dready, 20000))
            return false;
    }
    snprintf(rdir, sizeof(rdir), "%s/router", t->dir);
    snprintf(rready, sizeof(rready), "%s/router.ready", t->dir);
    snprintf(log, sizeof(log), "%s/router.log", t->dir);
    char *router[] = {bin[2],  "--meta", mrpc,           "--http", http,
                      "--dir", rdir,     "--ready-file", rready,   NULL};
    if (spawn(t, router, log) <= 0 || !wait_file(rready, 20000))
        return false;
    return wait_status(t->port, "GET", "/health", 200, 20000);
}

bool st_bench_start_influxdb(struct st_bench_target *t)
{
    char conf[300], log[300];
    t->port = free_port();
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
            bind_port, t->dir, t->dir, t->dir, t->port);
    fclose(f);
    char *argv[] = {"/usr/bin/influxd", "-config", conf, NULL};
    if (spawn(t, argv, log) <= 0)
        return false;
    return wait_status(t->port, "GET", "/ping", 204, 30000);
}

bool st_bench_start_vm(struct st_bench_target *t)
{
    char path[300], listen[64], log[300];
    t->port = free_port();
    snprintf(path, sizeof(path), "-storageDataPath=%s/vm", t->dir);
    snprintf(listen, sizeof(listen), "-httpListenAddr=127.0.0.1:%d", t->port);
    snprintf(log, sizeof(log), "%s/vm.log", t->dir);
    char *argv[] = {"/usr/bin/victoria-metrics", path, listen, "-retentionPeriod=100y", NULL};
    if (spawn(t, argv, log) <= 0)
        return false;
    return wait_status(t->port, "GET", "/health", 200, 30000);
}

/* ---- the data set and its loader ---- */

int st_bench_data_init(struct st_bench_data *d, int hosts, long nlines)
{
    struct st_tsbs g;
    st_buf_init(&d->text);
    d->nlines = nlines;
    d->line_off = malloc((size_t)nlines * sizeof(*d->line_off));
    if (d->line_off == NULL)
        return ST_ENOMEM;
    int rv = st_tsbs_init(&g, hosts, 1);
    for (long i = 0; rv == ST_OK && i < nlines; i++) {
        d->line_off[i] = d->text.len;
        rv = st_tsbs_next(&g, &d->text);
    }
    st_tsbs_fini(&g);
    return rv;
}

void st_bench_data_fini(struct st_bench_data *d)
{
    free(d->line_off);
    d->line_off = NULL;
    st_buf_fini(&d->text);
}

struct load {
    const struct st_bench_data *d;
    int port;
    long batch;
    atomic_long next_batch; /* next batch to send */
    atomic_long failed;     /* requests answered with anything but 204 */
};

static void *loader(void *arg)
{
    struct load *l = arg;
    const struct st_bench_data *d = l->d;
    struct st_bench_conn c = {.fd = -1};
    bool open = st_bench_conn_open(&c, l->port);
    for (;;) {
        long b = atomic_fetch_add(&l->next_batch, 1);
        long first = b * l->batch;
        if (first >= d->nlines)
            break;
        long last = first + l->batch < d->nlines ? first + l->batch : d->nlines;
        size_t end = last < d->nlines ? d->line_off[last] : d->text.len;
        int st = -1;
        for (int attempt = 0; attempt < 2 && st < 0; attempt++) {
            if (!open)
                open = st_bench_conn_open(&c, l->port);
            st = open ? st_bench_request(&c, "POST", "/write?db=bench&precision=ns",
                                         d->text.p + d->line_off[first], end - d->line_off[first])
                      : -1;
            if (st < 0 && open) {
                close(c.fd);
                c.fd = -1;
                open = false;
            }
        }
        if (st != 204 && atomic_fetch_add(&l->failed, 1) == 0)
            fprintf(stderr, "bench: a write got %d: %.300s\n", st,
                    st >= 0 && c.body.p ? c.body.p : "");
    }
    st_bench_conn_close(&c);
    return NULL;
}

long st_bench_load(const struct st_bench_data *d, int port, long batch, int conns)
{
    struct load l = {.d = d, .port = port, .batch = batch};
    pthread_t th[64];
    int started = 0;
    atomic_store(&l.next_batch, 0);
    atomic_store(&l.failed, 0);
    for (int i = 0; i < conns && i < 64; i++)
        if (pthread_create(&th[started], NULL, loader, &l) == 0)
            started++;
    if (started == 0)
        loader(&l);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    return atomic_load(&l.failed);
}
