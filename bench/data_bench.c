/* Write and query benchmark of one strata-data through its RPC, TSBS
 * cpu-only data.
 *
 *   data_bench STRATA_DATA [--hosts 100] [--lines 864000] [--batch 5000] [--clients 4]
 *              [--queries 0]
 *
 * Starts strata-data on a free loopback port in a temporary directory,
 * generates the data set (100 hosts x 1 day at 10 s = 864,000 lines, 8.64 M
 * fields by default), sends it in batches of --batch lines from --clients
 * threads (each batch is one WriteBatch, acknowledged after fdatasync), and
 * prints points/s and fields/s. With --queries N it then times N runs of
 * three queries, one after another from one client (see the query phase
 * below), and prints their median and p90 latency and work counters. Then
 * it stops the node with SIGTERM (which flushes the cache into segment
 * files) and prints the bytes per field of the shard's segment files, index
 * and WAL. Not a test: numbers go to docs/. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "data.pb-c.h"
#include "err.h"
#include "rpc.h"
#include "tsbs.h"

static struct st_buf data;
static size_t *line_off; /* start of each line */
static long nlines, batch = 5000;
static atomic_long next_batch;
static atomic_long failed;
static char url[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *client(void *arg)
{
    (void)arg;
    st_rpc_client *c;
    struct st_buf req, resp;
    st_buf_init(&req);
    st_buf_init(&resp);
    if (st_rpc_client_open(url, &c) != ST_OK)
        return NULL;
    for (;;) {
        long b = atomic_fetch_add(&next_batch, 1);
        long first = b * batch;
        if (first >= nlines)
            break;
        long last = first + batch < nlines ? first + batch : nlines;
        size_t end = last < nlines ? line_off[last] : data.len;
        Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
        wb.shard_id = 1;
        wb.database = "bench";
        wb.retention_policy = "autogen";
        wb.points.data = (uint8_t *)data.p + line_off[first];
        wb.points.len = end - line_off[first];
        Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
        dr.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
        dr.write_batch = &wb;
        st_buf_reset(&req);
        st_buf_reserve(&req, strata__data_request__get_packed_size(&dr));
        req.len = strata__data_request__pack(&dr, (uint8_t *)req.p);
        Strata__DataResponse *r = NULL;
        if (st_rpc_call(c, req.p, req.len, 60000, &resp) != ST_OK ||
            (r = strata__data_response__unpack(NULL, resp.len, (uint8_t *)resp.p)) == NULL ||
            (r->error && r->error->code != STRATA__ERROR_CODE__OK))
            atomic_fetch_add(&failed, 1);
        if (r)
            strata__data_response__free_unpacked(r, NULL);
    }
    st_rpc_client_close(c);
    st_buf_fini(&req);
    st_buf_fini(&resp);
    return NULL;
}

/* ---- Query phase ------------------------------------------------------------
 *
 * Times three queries against the data just written, each --queries times,
 * sequentially from one client; a run's latency covers every page of its
 * answer (following QueryResponse.cursor), from the first send to the
 * decoded last page:
 *  (a) TSBS single-groupby-1-1-1: MAX(usage_user) of one host over one hour
 *      in 1-minute windows; host and minute-aligned hour drawn at random
 *      (fixed seed) inside the written span, as TSBS draws them;
 *  (b) COUNT of every field of every cpu series in one window over the
 *      first 24 h (or the whole span if shorter);
 *  (c) the last 100 points of one host, all fields, newest first.
 * tsbs.c writes line L at start + (L / hosts) * step, hosts round-robin, so
 * the span is [start, start + (ceil(lines / hosts) - 1) * step]. */

#define MINUTE_NS INT64_C(60000000000)
#define HOUR_NS (60 * MINUTE_NS)

struct qrun {
    double ms;           /* latency of the run */
    uint64_t decoded;    /* QueryStats.blocks_decoded, summed over pages */
    uint64_t from_stats; /* QueryStats.blocks_from_stats, summed over pages */
    uint64_t windows;    /* windows received */
    uint64_t rows;       /* raw rows received */
    uint64_t count;      /* sum of FieldPartial.count (COUNT query) */
    int pages;           /* responses it took; 0 = the run failed */
};

/* Runs @q (its cursor is overwritten) to its last page. ST_OK, an RPC
 * error, or ST_EINVAL when the node answered an error (printed once). */
static int run_query(st_rpc_client *c, Strata__Query *q, struct qrun *out)
{
    struct st_buf req, resp, cursor;
    st_buf_init(&req);
    st_buf_init(&resp);
    st_buf_init(&cursor);
    memset(out, 0, sizeof(*out));
    q->cursor.data = NULL;
    q->cursor.len = 0;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    dr.req_case = STRATA__DATA_REQUEST__REQ_QUERY;
    dr.query = q;
    double t0 = now_s();
    int rv = ST_OK;
    for (bool more = true; more && rv == ST_OK;) {
        st_buf_reset(&req);
        if ((rv = st_buf_reserve(&req, strata__data_request__get_packed_size(&dr))) != ST_OK)
            break;
        req.len = strata__data_request__pack(&dr, (uint8_t *)req.p);
        if ((rv = st_rpc_call(c, req.p, req.len, 60000, &resp)) != ST_OK)
            break;
        Strata__DataResponse *r =
            strata__data_response__unpack(NULL, resp.len, (const uint8_t *)resp.p);
        if (r == NULL || (r->error && r->error->code != STRATA__ERROR_CODE__OK) ||
            r->resp_case != STRATA__DATA_RESPONSE__RESP_QUERY) {
            static bool told;
            if (!told)
                fprintf(stderr, "data_bench: query failed: %s\n",
                        r && r->error ? r->error->message : "bad response");
            told = true;
            rv = ST_EINVAL;
        } else {
            const Strata__QueryResponse *qr = r->query;
            for (size_t i = 0; i < qr->n_series; i++) {
                const Strata__SeriesResult *sr = qr->series[i];
                out->windows += sr->n_windows;
                out->rows += sr->n_times;
                for (size_t w = 0; w < sr->n_windows; w++)
                    for (size_t f = 0; f < sr->windows[w]->n_fields; f++)
                        out->count += sr->windows[w]->fields[f]->count;
            }
            if (qr->stats) {
                out->decoded += qr->stats->blocks_decoded;
                out->from_stats += qr->stats->blocks_from_stats;
            }
            more = qr->more;
            st_buf_reset(&cursor);
            if (more && (rv = st_buf_append(&cursor, qr->cursor.data, qr->cursor.len)) == ST_OK) {
                q->cursor.data = (uint8_t *)cursor.p;
                q->cursor.len = cursor.len;
            }
        }
        out->pages++;
        if (r)
            strata__data_response__free_unpacked(r, NULL);
    }
    out->ms = (now_s() - t0) * 1e3;
    if (rv != ST_OK)
        out->pages = 0; /* a failed run counts in no figure */
    q->cursor.data = NULL;
    q->cursor.len = 0;
    st_buf_fini(&req);
    st_buf_fini(&resp);
    st_buf_fini(&cursor);
    return rv;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @p (0..100) of the sorted @v[@n]. */
static double percentile(const double *v, int n, int p)
{
    int k = (p * n + 99) / 100;
    return v[k > 0 ? k - 1 : 0];
}

/* "2016-01-01T00:00:00Z" of @ns (whole seconds). */
static const char *iso(int64_t ns, char *buf, size_t len)
{
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static void print_runs(const char *name, struct qrun *runs, int n, int nfailed)
{
    double *ms = malloc((size_t)(n ? n : 1) * sizeof(*ms));
    double dec = 0, fs = 0, win = 0, rows = 0, cnt = 0, pages = 0;
    int ok = 0;
    for (int i = 0; i < n; i++) {
        if (runs[i].pages == 0)
            continue;
        ms[ok++] = runs[i].ms;
        dec += (double)runs[i].decoded;
        fs += (double)runs[i].from_stats;
        win += (double)runs[i].windows;
        rows += (double)runs[i].rows;
        cnt += (double)runs[i].count;
        pages += runs[i].pages;
    }
    if (ms == NULL || ok == 0) {
        printf("%s: no successful run (%d failed)\n", name, nfailed);
        free(ms);
        return;
    }
    qsort(ms, (size_t)ok, sizeof(*ms), cmp_double);
    printf("%s: median %.3f ms, p90 %.3f ms (min %.3f, max %.3f; %d runs, %d failed)\n", name,
           percentile(ms, ok, 50), percentile(ms, ok, 90), ms[0], ms[ok - 1], ok, nfailed);
    printf("    per run (mean): blocks_decoded %.1f, blocks_from_stats %.1f, windows %.1f, rows "
           "%.1f, pages %.1f",
           dec / ok, fs / ok, win / ok, rows / ok, pages / ok);
    if (cnt > 0)
        printf(", values counted %.0f", cnt / ok);
    printf("\n");
    free(ms);
}

static uint64_t qrand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Runs the three queries @n times each against shard 1 and prints them. */
static void query_phase(int n, int hosts, long lines)
{
    st_rpc_client *c;
    if (st_rpc_client_open(url, &c) != ST_OK) {
        fprintf(stderr, "data_bench: cannot open a query client\n");
        return;
    }
    struct st_tsbs g;
    if (st_tsbs_init(&g, hosts, 42) != ST_OK)
        return;
    int64_t first = g.start_ns, step = g.step_ns;
    hosts = g.hosts;
    st_tsbs_fini(&g);
    long nh = lines < hosts ? lines : hosts; /* hosts that got a line */
    int64_t steps = (lines + hosts - 1) / hosts;
    int64_t last = first + (steps - 1) * step;
    struct qrun *runs = calloc((size_t)n, sizeof(*runs));
    if (runs == NULL || nh <= 0) {
        free(runs);
        st_rpc_client_close(c);
        return;
    }
    char b1[32], b2[32];
    printf("queries: span [%" PRId64 ", %" PRId64 "] = %s .. %s (%" PRId64 " steps of %" PRId64
           " s, %ld hosts), %d runs each, one client\n",
           first, last, iso(first, b1, sizeof(b1)), iso(last, b2, sizeof(b2)), steps,
           step / 1000000000, nh, n);

    uint64_t shard = 1, rng = 0x2545F4914F6CDD1Dull;
    char host[32], *usage_user[] = {"usage_user"};
    Strata__TagCompare cmp = STRATA__TAG_COMPARE__INIT;
    cmp.key = "hostname";
    cmp.op = STRATA__COMPARE_OP__EQ;
    cmp.value = host;
    Strata__TagExpr by_host = STRATA__TAG_EXPR__INIT;
    by_host.expr_case = STRATA__TAG_EXPR__EXPR_COMPARE;
    by_host.compare = &cmp;
    Strata__Query base = STRATA__QUERY__INIT;
    base.shard_ids = &shard;
    base.n_shard_ids = 1;
    base.database = "bench";
    base.retention_policy = "autogen";
    base.source_case = STRATA__QUERY__SOURCE_MEASUREMENT;
    base.measurement = "cpu";

    /* (a) single-groupby-1-1-1 */
    Strata__AggregateKind max = STRATA__AGGREGATE_KIND__MAX;
    int64_t minutes = (last - first) / MINUTE_NS; /* hour starts: minutes 0 .. minutes-60 */
    int nfailed = 0;
    for (int i = 0; i < n; i++) {
        Strata__Query q = base;
        snprintf(host, sizeof(host), "host_%d", (int)(qrand(&rng) % (uint64_t)nh));
        q.condition = &by_host;
        q.fields = usage_user;
        q.n_fields = 1;
        q.aggregates = &max;
        q.n_aggregates = 1;
        q.interval_ns = MINUTE_NS;
        q.min_ns = first;
        q.max_ns = last;
        if (minutes >= 60) {
            q.min_ns = first + (int64_t)(qrand(&rng) % (uint64_t)(minutes - 59)) * MINUTE_NS;
            q.max_ns = q.min_ns + HOUR_NS - 1;
        }
        if (i == 0)
            printf("(a) range: a minute-aligned hour in the span%s; run 1: %s [%s, %s]\n",
                   minutes >= 60 ? "" : " (shorter than 1 h: the whole span)", host,
                   iso(q.min_ns, b1, sizeof(b1)), iso(q.max_ns, b2, sizeof(b2)));
        nfailed += run_query(c, &q, &runs[i]) != ST_OK;
    }
    print_runs("(a) single-groupby-1-1-1 MAX(usage_user), 1 host, 1 h, 1 min windows", runs, n,
               nfailed);

    /* (b) COUNT of all fields, all series, one window over <= 24 h */
    Strata__AggregateKind count = STRATA__AGGREGATE_KIND__COUNT;
    int64_t bmax = last - first >= 24 * HOUR_NS ? first + 24 * HOUR_NS - 1 : last;
    printf("(b) range: [%s, %s] (%.2f h)\n", iso(first, b1, sizeof(b1)), iso(bmax, b2, sizeof(b2)),
           (double)(bmax - first + 1) / (double)HOUR_NS);
    nfailed = 0;
    for (int i = 0; i < n; i++) {
        Strata__Query q = base;
        q.aggregates = &count;
        q.n_aggregates = 1;
        q.min_ns = first;
        q.max_ns = bmax;
        nfailed += run_query(c, &q, &runs[i]) != ST_OK;
    }
    print_runs("(b) COUNT(*) of cpu, all hosts, 1 window", runs, n, nfailed);

    /* (c) last 100 points of one host */
    printf("(c) range: the whole span, a random host, ORDER BY time DESC LIMIT 100\n");
    nfailed = 0;
    for (int i = 0; i < n; i++) {
        Strata__Query q = base;
        snprintf(host, sizeof(host), "host_%d", (int)(qrand(&rng) % (uint64_t)nh));
        q.condition = &by_host;
        q.min_ns = first;
        q.max_ns = last;
        q.descending = true;
        q.limit = 100;
        nfailed += run_query(c, &q, &runs[i]) != ST_OK;
    }
    print_runs("(c) raw: last 100 points of 1 host, all fields", runs, n, nfailed);
    free(runs);
    st_rpc_client_close(c);
}

static long long dir_bytes(const char *path, const char *prefix)
{
    long long total = 0;
    DIR *d = opendir(path);
    struct dirent *de;
    char p[1024];
    struct stat st;
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            total += dir_bytes(p, prefix);
        else if (prefix == NULL || strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            total += st.st_size;
    }
    if (d)
        closedir(d);
    return total;
}

int main(int argc, char **argv)
{
    int hosts = 100, clients = 4, queries = 0;
    nlines = 864000;
    if (argc < 2) {
        fprintf(stderr, "usage: data_bench STRATA_DATA [--hosts H] [--lines N] [--batch B] "
                        "[--clients C] [--queries Q]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--hosts") == 0)
            hosts = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--lines") == 0)
            nlines = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--clients") == 0)
            clients = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--queries") == 0)
            queries = atoi(argv[i + 1]);
    }
    signal(SIGPIPE, SIG_IGN);
    struct st_tsbs g;
    if (st_tsbs_init(&g, hosts, 42) != ST_OK)
        return 1;
    st_buf_init(&data);
    line_off = malloc((size_t)nlines * sizeof(*line_off));
    for (long k = 0; k < nlines; k++) {
        line_off[k] = data.len;
        if (st_tsbs_next(&g, &data) != ST_OK)
            return 1;
    }
    st_tsbs_fini(&g);

    char dir[] = "/tmp/strata-bench-XXXXXX", ready[128], ddir[128];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(ready, sizeof(ready), "%s/ready", dir);
    snprintf(ddir, sizeof(ddir), "%s/data", dir);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &alen);
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ntohs(a.sin_port));
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        execl(argv[1], argv[1], "--dir", ddir, "--listen", url, "--ready-file", ready,
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000 && access(ready, F_OK) != 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }

    double t0 = now_s();
    pthread_t th[64];
    clients = clients < 1 ? 1 : clients > 64 ? 64 : clients;
    for (int i = 0; i < clients; i++)
        pthread_create(&th[i], NULL, client, NULL);
    for (int i = 0; i < clients; i++)
        pthread_join(th[i], NULL);
    double el = now_s() - t0;
    long fields = nlines * 10;
    printf("data_bench: %ld lines (%.1f MB), batches of %ld, %d clients, %ld failed batches\n",
           nlines, (double)data.len / 1e6, batch, clients, (long)atomic_load(&failed));
    printf("write: %.2f s, %.0f points/s, %.0f fields/s\n", el, (double)nlines / el,
           (double)fields / el);

    if (queries > 0)
        query_phase(queries, hosts, nlines);

    double t1 = now_s();
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char sdir[200];
    snprintf(sdir, sizeof(sdir), "%s/shards/1", ddir);
    long long seg = dir_bytes(sdir, "seg-"), idx = dir_bytes(sdir, "index"),
              all = dir_bytes(sdir, NULL);
    printf("shutdown (flush): %.2f s\n", now_s() - t1);
    printf("disk: segments %lld B = %.3f B/field; index %lld B; shard total %lld B = %.3f "
           "B/field\n",
           seg, (double)seg / (double)fields, idx, all, (double)all / (double)fields);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
