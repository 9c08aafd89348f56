/* Crash test of strata-data: SIGKILL at random moments, nothing acknowledged lost.
 *
 *   crash_data STRATA_DATA_BINARY [--kills N] [--seed S]
 *
 * Starts a real strata-data on a free loopback port with a small cache (so
 * it flushes and compacts often), and a writer thread that sends batches of
 * points over the data RPC and remembers which batches were acknowledged.
 * Batches alternate between the two point encodings (line protocol, and
 * binary records as routers send them), so the WAL mixes both record kinds.
 * The main thread kills the node with SIGKILL at random moments N times
 * (default 25), restarting it each time, while the writer keeps going. Then
 * it restarts the node once more and reads everything back:
 *   - every point of every acknowledged batch is there with its value;
 *   - every point that is there (acknowledged or not: a batch can be durable
 *     without its ack reaching us) has the value its batch wrote;
 *   - nothing else is there.
 * Values are a function of (series, time), so a wrong or torn value shows.
 * Prints "N passed, M failed" and exits non-zero on any failure. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "data.pb-c.h"
#include "err.h"
#include "lineproto.h"
#include "ptbin.h"
#include "rpc.h"

#define SERIES 50          /* series per batch */
#define TIMES 4            /* timestamps per series per batch */
#define MAX_BATCHES 200000 /* bound on the writer */

static const char *binary;
static char dir[256], url[64], ready[300];
static pid_t child;
static atomic_int stop_writer;
static atomic_int acked[MAX_BATCHES]; /* 1 = acknowledged */
static atomic_int sent_batches;

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int64_t base_time = 1700000000000000000LL;

/* The point (series s, batch b, k-th time) and its values. */
static int64_t point_time(int b, int k)
{
    return base_time + ((int64_t)b * TIMES + k) * 1000000000LL;
}

static double fval(int s, int64_t t)
{
    return (double)(s * 7919 + (t / 1000000000LL) % 100003) / 8.0;
}

static int64_t ival(int s, int64_t t)
{
    return (int64_t)s * 1000003 - (t / 1000000000LL);
}

static void die(const char *what)
{
    fprintf(stderr, "crash_data: %s: %s\n", what, strerror(errno));
    if (child > 0)
        kill(child, SIGKILL);
    exit(2);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("free port");
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void start_node(void)
{
    unlink(ready);
    child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        char log[300];
        snprintf(log, sizeof(log), "%s/node.log", dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
        }
        char data[300];
        snprintf(data, sizeof(data), "%s/data", dir);
        execl(binary, binary, "--dir", data, "--listen", url, "--ready-file", ready,
              "--cache-max-bytes", "256k", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 3000; i++) { /* up to 30 s: replay of a big WAL */
        if (access(ready, F_OK) == 0)
            return;
        int st;
        if (waitpid(child, &st, WNOHANG) == child) {
            fprintf(stderr, "crash_data: strata-data exited at start (see %s/node.log)\n", dir);
            exit(1);
        }
        sleep_us(10000);
    }
    fprintf(stderr, "crash_data: strata-data not ready after 30 s\n");
    kill(child, SIGKILL);
    exit(1);
}

static void kill_node(void)
{
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    child = 0;
}

static void make_batch(int b, struct st_buf *lp)
{
    st_buf_reset(lp);
    for (int s = 0; s < SERIES; s++)
        for (int k = 0; k < TIMES; k++) {
            int64_t t = point_time(b, k);
            st_buf_printf(
                lp, "crash,s=s%d,grp=g%d f=%.17g,i=%" PRId64 "i,str=\"b%d\",ok=%s %" PRId64 "\n", s,
                s % 3, fval(s, t), ival(s, t), b, (b + s) % 2 ? "true" : "false", t);
        }
}

/* Re-encodes the line protocol in @lp as binary records in @bin, as a
 * router would. */
static void to_binary(const struct st_buf *lp, struct st_lp_batch *b, struct st_buf *key,
                      struct st_buf *bin)
{
    st_lp_batch_reset(b);
    st_buf_reset(bin);
    if (st_lp_parse(b, lp->p, lp->len, ST_PRECISION_NS, 0) != ST_OK || b->nerrors)
        die("parse");
    for (size_t i = 0; i < b->npoints; i++) {
        st_buf_reset(key);
        if (st_lp_series_key(key, b, &b->points[i]) != ST_OK)
            die("series key");
        struct st_slice k = {key->p, (uint32_t)key->len};
        if (st_ptbin_append(bin, k, b, &b->points[i]) != ST_OK)
            die("encode");
    }
}

static void *writer(void *arg)
{
    (void)arg;
    st_rpc_client *c;
    if (st_rpc_client_open(url, &c) != ST_OK)
        die("client");
    struct st_buf lp, resp, req, key, bin;
    struct st_lp_batch parsed;
    st_lp_batch_init(&parsed);
    st_buf_init(&key);
    st_buf_init(&bin);
    st_buf_init(&lp);
    st_buf_init(&resp);
    st_buf_init(&req);
    for (int b = 0; b < MAX_BATCHES && !atomic_load(&stop_writer); b++) {
        make_batch(b, &lp);
        Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
        wb.shard_id = 1;
        wb.database = "db";
        wb.retention_policy = "autogen";
        if (b % 2) {
            to_binary(&lp, &parsed, &key, &bin);
            wb.encoding = STRATA__POINT_ENCODING__BINARY;
            wb.points.data = (uint8_t *)bin.p;
            wb.points.len = bin.len;
        } else {
            wb.points.data = (uint8_t *)lp.p;
            wb.points.len = lp.len;
        }
        Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
        dr.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
        dr.write_batch = &wb;
        st_buf_reset(&req);
        st_buf_reserve(&req, strata__data_request__get_packed_size(&dr));
        req.len = strata__data_request__pack(&dr, (uint8_t *)req.p);
        atomic_store(&sent_batches, b + 1);
        if (st_rpc_call(c, req.p, req.len, 2000, &resp) != ST_OK)
            continue; /* unknown outcome: maybe durable, maybe not */
        Strata__DataResponse *r =
            strata__data_response__unpack(NULL, resp.len, (const uint8_t *)resp.p);
        if (r && (r->error == NULL || r->error->code == STRATA__ERROR_CODE__OK) &&
            r->resp_case == STRATA__DATA_RESPONSE__RESP_WRITE_BATCH &&
            r->write_batch->points_written == SERIES * TIMES)
            atomic_store(&acked[b], 1);
        else if (r && r->error)
            fprintf(stderr, "crash_data: batch %d refused: %s\n", b, r->error->message);
        if (r)
            strata__data_response__free_unpacked(r, NULL);
    }
    st_buf_fini(&lp);
    st_buf_fini(&key);
    st_buf_fini(&bin);
    st_lp_batch_fini(&parsed);
    st_buf_fini(&resp);
    st_buf_fini(&req);
    st_rpc_client_close(c);
    return NULL;
}

/* What the read found per (series, batch, k): 0 absent, 1 right, 2 wrong. */
static unsigned char *found;

static size_t slot(int s, int b, int k)
{
    return ((size_t)b * SERIES + (size_t)s) * TIMES + (size_t)k;
}

static int check_row(int s, int64_t t, const Strata__SeriesResult *sr, size_t row)
{
    int64_t rel = (t - base_time) / 1000000000LL;
    int b = (int)(rel / TIMES), k = (int)(rel % TIMES);
    if (t < base_time || (t - base_time) % 1000000000LL || b >= atomic_load(&sent_batches))
        return -1;
    int ok = 1, seen = 0;
    for (size_t c = 0; c < sr->n_columns; c++) {
        const Strata__Column *col = sr->columns[c];
        if (col->present.len && !(col->present.data[row / 8] & (1u << (row % 8))))
            continue;
        seen++;
        if (strcmp(col->name, "f") == 0)
            ok &= col->n_float_values > row && col->float_values[row] == fval(s, t);
        else if (strcmp(col->name, "i") == 0)
            ok &= col->n_int_values > row && col->int_values[row] == ival(s, t);
        else if (strcmp(col->name, "str") == 0) {
            char want[32];
            snprintf(want, sizeof(want), "b%d", b);
            ok &= col->n_string_values > row && strcmp(col->string_values[row], want) == 0;
        } else if (strcmp(col->name, "ok") == 0)
            ok &= col->n_bool_values > row && col->bool_values[row] == ((b + s) % 2 != 0);
        else
            ok = 0;
    }
    ok &= seen == 4; /* a point is written whole: all four fields or none */
    found[slot(s, b, k)] = ok ? 1 : 2;
    return ok ? 0 : -1;
}

/* Reads every point back, series by series (GROUP BY *), page by page. */
static int verify(int *bad_points)
{
    st_rpc_client *c;
    if (st_rpc_client_open(url, &c) != ST_OK)
        die("client");
    Strata__Query q = STRATA__QUERY__INIT;
    uint64_t shard = 1;
    q.shard_ids = &shard;
    q.n_shard_ids = 1;
    q.source_case = STRATA__QUERY__SOURCE_MEASUREMENT;
    q.measurement = "crash";
    q.min_ns = INT64_MIN + 2;
    q.max_ns = INT64_MAX - 1;
    q.group_by_all = 1;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    dr.req_case = STRATA__DATA_REQUEST__REQ_QUERY;
    dr.query = &q;
    struct st_buf req, resp;
    st_buf_init(&req);
    st_buf_init(&resp);
    uint8_t cursor[64];
    int rv = 0, more = 1;
    *bad_points = 0;
    while (more && rv == 0) {
        req.len = 0;
        st_buf_reserve(&req, strata__data_request__get_packed_size(&dr));
        req.len = strata__data_request__pack(&dr, (uint8_t *)req.p);
        resp.len = 0;
        if (st_rpc_call(c, req.p, req.len, 60000, &resp) != ST_OK) {
            fprintf(stderr, "crash_data: query failed\n");
            rv = -1;
            break;
        }
        Strata__DataResponse *r = strata__data_response__unpack(NULL, resp.len, (uint8_t *)resp.p);
        if (r == NULL || (r->error && r->error->code != STRATA__ERROR_CODE__OK) ||
            r->resp_case != STRATA__DATA_RESPONSE__RESP_QUERY) {
            fprintf(stderr, "crash_data: query error: %s\n",
                    r && r->error ? r->error->message : "bad response");
            if (r)
                strata__data_response__free_unpacked(r, NULL);
            rv = -1;
            break;
        }
        for (size_t i = 0; i < r->query->n_series; i++) {
            const Strata__SeriesResult *sr = r->query->series[i];
            int s = -1;
            for (size_t t = 0; t < sr->n_tags; t++)
                if (strcmp(sr->tags[t]->key, "s") == 0)
                    s = atoi(sr->tags[t]->value + 1);
            if (s < 0 || s >= SERIES) {
                (*bad_points)++;
                continue;
            }
            for (size_t row = 0; row < sr->n_times; row++)
                if (check_row(s, sr->times[row], sr, row) != 0)
                    (*bad_points)++;
        }
        more = r->query->more && r->query->cursor.len <= sizeof(cursor);
        if (more) {
            memcpy(cursor, r->query->cursor.data, r->query->cursor.len);
            q.cursor.data = cursor;
            q.cursor.len = r->query->cursor.len;
        }
        strata__data_response__free_unpacked(r, NULL);
    }
    st_buf_fini(&req);
    st_buf_fini(&resp);
    st_rpc_client_close(c);
    return rv;
}

/* Counts segment files of shard 1, and those made by compaction (gen > 0). */
static void count_segments(int *all, int *compacted)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/data/shards/1", dir);
    *all = *compacted = 0;
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        unsigned long long seq;
        unsigned gen;
        if (sscanf(de->d_name, "seg-%16llx-%8x.tsm", &seq, &gen) == 2) {
            (*all)++;
            *compacted += gen > 0;
        }
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    int kills = 25;
    unsigned seed = (unsigned)time(NULL);
    if (argc < 2) {
        fprintf(stderr, "usage: crash_data STRATA_DATA [--kills N] [--seed S]\n");
        return 2;
    }
    binary = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--kills") == 0)
            kills = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = (unsigned)strtoul(argv[i + 1], NULL, 10);
    }
    srand(seed);
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof(dir), "/tmp/strata-crash-XXXXXX");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp");
    snprintf(ready, sizeof(ready), "%s/ready", dir);
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
    printf("crash_data: seed %u, %d kills, dir %s, %s\n", seed, kills, dir, url);

    start_node();
    pthread_t w;
    pthread_create(&w, NULL, writer, NULL);
    for (int k = 0; k < kills; k++) {
        /* Mostly 50-450 ms of writes; every fifth run lasts 1-3 s so that
         * flushes and compactions get far enough to be killed midway. */
        if (k % 5 == 4)
            sleep_us(1000000 + rand() % 2000000);
        else
            sleep_us(50000 + rand() % 400000);
        kill_node();
        start_node();
    }
    sleep_us(200000);
    atomic_store(&stop_writer, 1);
    pthread_join(w, NULL);
    /* A last kill and restart before reading: replay once more. Give the
     * node up to 60 s to compact what the kills left behind. */
    kill_node();
    start_node();
    int segs, compacted;
    for (int i = 0; i < 600; i++) {
        count_segments(&segs, &compacted);
        if (compacted > 0)
            break;
        sleep_us(100000);
    }

    int sent = atomic_load(&sent_batches), nacked = 0;
    found = calloc((size_t)sent * SERIES * TIMES + 1, 1);
    int bad = 0;
    if (verify(&bad) != 0) {
        kill_node();
        printf("0 passed, 1 failed\n");
        return 1;
    }
    long lost = 0, wrong = 0;
    for (int b = 0; b < sent; b++) {
        nacked += atomic_load(&acked[b]);
        for (int s = 0; s < SERIES; s++)
            for (int k = 0; k < TIMES; k++) {
                unsigned char f = found[slot(s, b, k)];
                if (atomic_load(&acked[b]) && f != 1)
                    lost++;
                if (f == 2)
                    wrong++;
            }
    }
    kill_node();
    count_segments(&segs, &compacted);
    printf("crash_data: %d batches sent, %d acknowledged, %d kills; lost %ld acknowledged "
           "points, %ld wrong points, %d unexpected rows; %d segment files (%d compacted)\n",
           sent, nacked, kills, lost, wrong, bad, segs, compacted);
    /* The small cache must have flushed and compacted along the way. */
    int ok = lost == 0 && wrong == 0 && bad == 0 && nacked > 0 && segs > 0 && compacted > 0;
    if (ok) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "crash_data: could not remove %s\n", dir);
    } else {
        fprintf(stderr, "crash_data: kept %s for inspection\n", dir);
    }
    printf("%d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    return ok ? 0 : 1;
}
