/* strata-router end to end: 1 meta, 3 data nodes (RF 2), 2 routers, all
 * real processes on loopback. Writes go through HTTP; what each replica
 * holds is read from the data nodes directly (the query engine is a later
 * issue), shard by shard. */
#include <inttypes.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "catalogue.h"
#include "client.h"
#include "data.pb-c.h"
#include "err.h"
#include "httpc.h"
#include "proc.h"
#include "rpc.h"
#include "testlib.h"

#define NDATA 3
#define NROUTER 2
#define MAX_BODY 2000000

struct cluster {
    char *dir;
    char meta_url[64], meta_raft[64];
    pid_t meta;
    pid_t data[NDATA];
    char data_url[NDATA][64];
    pid_t router[NROUTER];
    int http[NROUTER];
    st_mcli *mc;
};

static struct cluster C;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static pid_t start_meta(void)
{
    char mdir[4200], ready[4200], log[4200], members[256];
    snprintf(mdir, sizeof(mdir), "%s/meta-1", C.dir);
    snprintf(ready, sizeof(ready), "%s/meta-1.ready", C.dir);
    snprintf(log, sizeof(log), "%s/meta-1.log", C.dir);
    snprintf(members, sizeof(members), "1=%s=%s", C.meta_raft, C.meta_url);
    char *argv[] = {(char *)t_build_path("meta/strata-meta"),
                    "--id",
                    "1",
                    "--dir",
                    mdir,
                    "--raft",
                    C.meta_raft,
                    "--listen",
                    C.meta_url,
                    "--members",
                    members,
                    "--node-timeout-ms",
                    "1500",
                    "--default-replication",
                    "2",
                    "--ready-file",
                    ready,
                    NULL};
    pid_t pid = t_proc_start(argv, log);
    ck_assert_msg(t_wait_file(ready, pid, 20000), "strata-meta did not start (see %s)", log);
    return pid;
}

static void start_data(int i)
{
    char ddir[4200], ready[4200], log[4200];
    snprintf(ddir, sizeof(ddir), "%s/data-%d", C.dir, i + 1);
    snprintf(ready, sizeof(ready), "%s/data-%d.ready", C.dir, i + 1);
    snprintf(log, sizeof(log), "%s/data-%d.log", C.dir, i + 1);
    unlink(ready);
    char *argv[] = {(char *)t_build_path("data/strata-data"),
                    "--dir",
                    ddir,
                    "--listen",
                    C.data_url[i],
                    "--meta",
                    C.meta_url,
                    "--heartbeat-ms",
                    "200",
                    "--workers",
                    "4",
                    "--ready-file",
                    ready,
                    NULL};
    C.data[i] = t_proc_start(argv, log);
    ck_assert_msg(t_wait_file(ready, C.data[i], 20000), "strata-data did not start (see %s)", log);
}

static void start_router_args(int j, const char *extra_flag, const char *extra_value);

static void start_router(int j)
{
    start_router_args(j, NULL, NULL);
}

static void start_router_args(int j, const char *extra_flag, const char *extra_value)
{
    char rdir[4200], ready[4200], log[4200], http[64], maxb[32];
    snprintf(rdir, sizeof(rdir), "%s/router-%d", C.dir, j + 1);
    snprintf(ready, sizeof(ready), "%s/router-%d.ready", C.dir, j + 1);
    snprintf(log, sizeof(log), "%s/router-%d.log", C.dir, j + 1);
    snprintf(http, sizeof(http), "127.0.0.1:%d", C.http[j]);
    snprintf(maxb, sizeof(maxb), "%d", MAX_BODY);
    unlink(ready);
    char *argv[] = {(char *)t_build_path("router/strata-router"),
                    "--meta",
                    C.meta_url,
                    "--http",
                    http,
                    "--dir",
                    rdir,
                    "--max-body-bytes",
                    maxb,
                    "--write-timeout-ms",
                    "5000",
                    "--ready-file",
                    ready,
                    (char *)extra_flag,
                    (char *)extra_value,
                    NULL};
    C.router[j] = t_proc_start(argv, log);
    ck_assert_msg(t_wait_file(ready, C.router[j], 20000), "strata-router did not start (see %s)",
                  log);
}

/* Every data node UP in the catalogue (or @want_up of them). */
static void wait_up(size_t want_up)
{
    long long end = t_now_ms() + 20000;
    size_t up = 0;
    while (t_now_ms() < end) {
        st_mcli_wait(C.mc, 1, 1000);
        const struct st_mcat *m = st_mcli_acquire(C.mc);
        up = 0;
        if (m != NULL) {
            for (size_t i = 0; i < m->cat->n_nodes; i++)
                up += m->cat->nodes[i]->status == STRATA__NODE_STATUS__UP;
            st_mcli_release(C.mc, m);
        }
        if (up == want_up)
            return;
        sleep_ms(100);
    }
    ck_abort_msg("%zu data nodes up, want %zu", up, want_up);
}

static void setup(void)
{
    memset(&C, 0, sizeof(C));
    C.dir = t_tmpdir("strata-router");
    ck_assert_ptr_nonnull(C.dir);
    snprintf(C.meta_url, sizeof(C.meta_url), "tcp://127.0.0.1:%d", t_free_port());
    snprintf(C.meta_raft, sizeof(C.meta_raft), "127.0.0.1:%d", t_free_port());
    C.meta = start_meta();
    const char *addrs[] = {C.meta_url};
    char err[256] = "";
    struct st_mcli_opts o = {.addrs = addrs, .naddrs = 1, .watch_ms = 1000};
    ck_assert_int_eq(st_mcli_open(&o, &C.mc, err, sizeof(err)), ST_OK);
    for (int i = 0; i < NDATA; i++) {
        snprintf(C.data_url[i], sizeof(C.data_url[i]), "tcp://127.0.0.1:%d", t_free_port());
        start_data(i);
    }
    wait_up(NDATA);
    for (int j = 0; j < NROUTER; j++) {
        C.http[j] = t_free_port();
        start_router(j);
    }
}

static void teardown(void)
{
    st_mcli_close(C.mc);
    for (int j = 0; j < NROUTER; j++)
        if (C.router[j] > 0)
            t_proc_kill(C.router[j], SIGTERM, true);
    for (int i = 0; i < NDATA; i++)
        if (C.data[i] > 0)
            t_proc_kill(C.data[i], SIGTERM, true);
    t_proc_kill(C.meta, SIGTERM, true);
    if (getenv("ST_KEEP_TMP") == NULL)
        t_rmtree(C.dir);
    free(C.dir);
}

/* POST /query with q=@q; returns the answer. */
static struct t_http_resp query(int j, const char *q)
{
    char body[4096] = "q=";
    t_http_urlencode(q, body + 2, sizeof(body) - 2);
    struct t_http_opts o = {.extra_headers = "Content-Type: application/x-www-form-urlencoded\r\n"};
    return t_http(C.http[j], "POST", "/query", body, strlen(body), &o);
}

static void create_db(const char *name)
{
    char q[256];
    snprintf(q, sizeof(q), "CREATE DATABASE %s", name);
    struct t_http_resp r = query(0, q);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"results\":[{\"statement_id\":0}]}\n");
    t_http_free(&r);
    /* Both routers know it before writes go out. */
    ck_assert_int_eq(st_mcli_wait(C.mc, st_mcli_index(C.mc), 5000), ST_OK);
    sleep_ms(300);
}

static struct t_http_resp write_lines(int j, const char *params, const char *body, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "/write?%s", params);
    return t_http(C.http[j], "POST", path, body, len, NULL);
}

/* @n lines of measurement @m over 50 series, distinct times from @t0. */
static char *make_lines(const char *m, int n, int64_t t0, size_t *len)
{
    size_t cap = (size_t)n * 80 + 1;
    char *b = malloc(cap);
    size_t o = 0;
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(b + o, cap - o, "%s,host=h%02d v=%di %" PRId64 "\n", m, i % 50, i,
                              t0 + (int64_t)i * 1000);
    *len = o;
    return b;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Points of measurement @m in shard @shard as data node @node holds them;
 * -1 when the node does not answer. */
static int64_t replica_count(int node, uint64_t shard, const char *db, const char *m)
{
    st_rpc_client *cli;
    ck_assert_int_eq(st_rpc_client_open(C.data_url[node], &cli), ST_OK);
    Strata__Query q = STRATA__QUERY__INIT;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    char *fields[] = {"v"};
    Strata__AggregateKind aggs[] = {STRATA__AGGREGATE_KIND__COUNT};
    q.n_shard_ids = 1;
    q.shard_ids = &shard;
    q.database = (char *)db;
    q.retention_policy = "autogen";
    q.source_case = STRATA__QUERY__SOURCE_MEASUREMENT;
    q.measurement = (char *)m;
    q.n_fields = 1;
    q.fields = fields;
    q.min_ns = 0;
    q.max_ns = INT64_MAX - 1;
    q.n_aggregates = 1;
    q.aggregates = aggs;
    dr.req_case = STRATA__DATA_REQUEST__REQ_QUERY;
    dr.query = &q;
    size_t n = strata__data_request__get_packed_size(&dr);
    uint8_t *buf = malloc(n);
    strata__data_request__pack(&dr, buf);
    struct st_buf resp;
    st_buf_init(&resp);
    int64_t count = -1;
    if (st_rpc_call(cli, buf, n, 10000, &resp) == ST_OK) {
        Strata__DataResponse *r =
            strata__data_response__unpack(NULL, resp.len, (const uint8_t *)resp.p);
        ck_assert_ptr_nonnull(r);
        ck_assert_msg(r->error == NULL || r->error->code == 0, "query: %s",
                      r->error ? r->error->message : "");
        count = 0;
        for (size_t s = 0; r->query && s < r->query->n_series; s++)
            for (size_t w = 0; w < r->query->series[s]->n_windows; w++)
                for (size_t f = 0; f < r->query->series[s]->windows[w]->n_fields; f++)
                    count += (int64_t)r->query->series[s]->windows[w]->fields[f]->count;
        ck_assert_int_eq(r->query ? r->query->more : 0, 0);
        strata__data_response__free_unpacked(r, NULL);
    }
    st_buf_fini(&resp);
    free(buf);
    st_rpc_client_close(cli);
    return count;
}

static int node_index(const Strata__Catalogue *cat, uint64_t id)
{
    const Strata__DataNode *n = st_cat_node(cat, id);
    for (int i = 0; n && i < NDATA; i++)
        if (strcmp(n->rpc_addr, C.data_url[i]) == 0)
            return i;
    return -1;
}

/* Checks that every replica of every shard of @db holds the same number of
 * points of @m, and returns the total (one replica per shard). */
static int64_t check_replicas(const char *db, const char *m)
{
    ck_assert_int_eq(st_mcli_wait(C.mc, 1, 5000), ST_OK);
    const struct st_mcat *mc = st_mcli_acquire(C.mc);
    int64_t total = 0;
    for (size_t g = 0; g < mc->cat->n_shard_groups; g++) {
        const Strata__ShardGroup *sg = mc->cat->shard_groups[g];
        if (strcmp(sg->database, db) != 0 || sg->deleted)
            continue;
        for (size_t s = 0; s < sg->n_shards; s++) {
            const Strata__Shard *sh = sg->shards[s];
            int64_t first = -2;
            for (size_t k = 0; k < sh->n_owners; k++) {
                int node = node_index(mc->cat, sh->owners[k]);
                ck_assert_int_ge(node, 0);
                int64_t n = replica_count(node, sh->id, db, m);
                ck_assert_msg(n >= 0, "data node %d did not answer", node + 1);
                if (first == -2)
                    first = n;
                ck_assert_msg(n == first,
                              "%s: shard %" PRIu64 ": replica on data-%d holds %" PRId64
                              ", another %" PRId64,
                              m, sh->id, node + 1, n, first);
            }
            total += first > 0 ? first : 0;
        }
    }
    st_mcli_release(C.mc, mc);
    return total;
}

/* Sum of a metric family's samples in router @j's /metrics. */
static double metric_sum(int j, const char *name)
{
    struct t_http_resp r = t_http(C.http[j], "GET", "/metrics", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    double sum = 0;
    size_t nl = strlen(name);
    for (char *line = r.body; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, nl) == 0 && (line[nl] == '{' || line[nl] == ' ')) {
            char *sp = strchr(line, ' ');
            if (sp)
                sum += strtod(sp + 1, NULL);
        }
    }
    t_http_free(&r);
    return sum;
}

static void wait_hints_drained(int j)
{
    long long end = t_now_ms() + 30000;
    while (t_now_ms() < end && metric_sum(j, "strata_router_hinted_handoff_batches") > 0)
        sleep_ms(200);
    ck_assert_msg(metric_sum(j, "strata_router_hinted_handoff_batches") == 0,
                  "hinted handoff of router-%d did not drain", j + 1);
}

START_TEST(test_ping_health_metrics)
{
    struct t_http_resp r = t_http(C.http[0], "GET", "/ping", NULL, 0, NULL);
    char v[128], id[128], id2[128];
    ck_assert_int_eq(r.status, 204);
    ck_assert(t_http_header(&r, "X-Influxdb-Version", v, sizeof(v)));
    ck_assert(t_http_header(&r, "Request-Id", id, sizeof(id)));
    t_http_free(&r);
    r = t_http(C.http[0], "HEAD", "/ping", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 204);
    ck_assert(t_http_header(&r, "Request-Id", id2, sizeof(id2)));
    ck_assert_str_ne(id, id2);
    t_http_free(&r);
    r = t_http(C.http[1], "GET", "/health", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"pass\""));
    t_http_free(&r);
    r = t_http(C.http[0], "GET", "/metrics", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "strata_router_http_requests_total{endpoint=\"ping\""));
    t_http_free(&r);
    r = t_http(C.http[0], "GET", "/nowhere", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 404);
    t_http_free(&r);
}
END_TEST

START_TEST(test_write_errors_and_partial_write)
{
    struct t_http_resp r = write_lines(0, "db=nosuch", "m v=1", 5);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.body, "{\"error\":\"database not found: \\\"nosuch\\\"\"}\n");
    t_http_free(&r);
    r = write_lines(0, "", "m v=1", 5);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.body, "{\"error\":\"database is required\"}\n");
    t_http_free(&r);
    create_db("w");
    /* InfluxDB 1.x reads an unknown precision as ns, and answers an
     * unknown policy with 500. */
    r = write_lines(0, "db=w&precision=fortnight", "m v=1", 5);
    ck_assert_int_eq(r.status, 204);
    t_http_free(&r);
    r = write_lines(0, "db=w&rp=nosuch", "m v=1", 5);
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(r.body, "{\"error\":\"retention policy not found: nosuch\"}\n");
    t_http_free(&r);
    r = write_lines(0, "db=w&consistency=most", "m v=1", 5);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.body, "{\"error\":\"invalid consistency level\"}\n");
    t_http_free(&r);
    r = t_http(C.http[0], "GET", "/write?db=w", NULL, 0, NULL);
    ck_assert_int_eq(r.status, 405);
    t_http_free(&r);

    /* 5,000 lines, 3 of them bad: the good ones are written. */
    size_t len;
    char *body = make_lines("pw", 5000, wall_ns() - 3600000000000LL, &len);
    char *bad[] = {"pw,host=x v= 1\n", "pw,host=y\n", "pw v=1,=2\n"};
    size_t blen = len + 64;
    char *b2 = malloc(blen);
    size_t o = 0, line = 0;
    for (char *p = body; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = (size_t)(nl - p) + 1;
        if (line == 100 || line == 2500 || line == 4990) {
            /* replace this line by a bad one */
            const char *bl = bad[line == 100 ? 0 : line == 2500 ? 1 : 2];
            memcpy(b2 + o, bl, strlen(bl));
            o += strlen(bl);
        } else {
            memcpy(b2 + o, p, n);
            o += n;
        }
        p = nl + 1;
        line++;
    }
    r = write_lines(0, "db=w", b2, o);
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(strstr(r.body, "partial write") && strstr(r.body, "dropped=3"), "%s", r.body);
    t_http_free(&r);
    ck_assert_int_eq(check_replicas("w", "pw"), 4997);

    /* All lines bad: 400 with the parse errors, nothing written. */
    r = write_lines(1, "db=w", "pw v=\npw,host=a\n", 16);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "unable to parse"));
    t_http_free(&r);
    free(body);
    free(b2);
}
END_TEST

static void *gz(const char *p, size_t n, size_t *out)
{
    z_stream z = {0};
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n);
    unsigned char *b = malloc(cap);
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)n;
    z.next_out = b;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out = cap - z.avail_out;
    deflateEnd(&z);
    return b;
}

START_TEST(test_gzip_chunked_and_too_large)
{
    create_db("enc");
    int64_t t0 = wall_ns() - 7200000000000LL;
    size_t len, zlen;
    char *body = make_lines("gz", 3000, t0, &len);
    void *z = gz(body, len, &zlen);
    struct t_http_opts o = {.extra_headers = "Content-Encoding: gzip\r\n"};
    struct t_http_resp r = t_http(C.http[0], "POST", "/write?db=enc", z, zlen, &o);
    ck_assert_int_eq(r.status, 204);
    t_http_free(&r);
    ck_assert_int_eq(check_replicas("enc", "gz"), 3000);
    free(body);
    free(z);

    body = make_lines("ch", 2000, t0, &len);
    struct t_http_opts ch = {.chunked = true};
    r = t_http(C.http[1], "POST", "/write?db=enc", body, len, &ch);
    ck_assert_int_eq(r.status, 204);
    t_http_free(&r);
    ck_assert_int_eq(check_replicas("enc", "ch"), 2000);
    free(body);

    body = make_lines("big", 60000, t0, &len);
    ck_assert_uint_gt(len, MAX_BODY);
    r = t_http(C.http[0], "POST", "/write?db=enc", body, len, NULL);
    ck_assert_int_eq(r.status, 413);
    t_http_free(&r);
    ck_assert_int_eq(check_replicas("enc", "big"), 0);
    free(body);
}
END_TEST

/* The consistency levels with one of three data nodes stopped, hinted
 * handoff (also across a SIGKILLed router), and the replicas converging. */
START_TEST(test_consistency_and_hinted_handoff)
{
    create_db("c");
    int64_t t0 = wall_ns() - 600000000000LL;
    size_t len;
    /* Create the shard group while everyone is up. */
    char *body = make_lines("warm", 300, t0, &len);
    struct t_http_resp r = write_lines(0, "db=c&consistency=all", body, len);
    ck_assert_int_eq(r.status, 204);
    t_http_free(&r);
    free(body);

    t_proc_kill(C.data[2], SIGTERM, true);
    C.data[2] = 0;
    struct {
        const char *level;
        int want;
    } cases[] = {{"quorum", 503}, {"one", 204}, {"all", 503}, {"any", 204}};
    for (size_t i = 0; i < 4; i++) {
        char m[32], params[64];
        snprintf(m, sizeof(m), "c_%s", cases[i].level);
        snprintf(params, sizeof(params), "db=c&consistency=%s", cases[i].level);
        body = make_lines(m, 600, t0, &len);
        r = write_lines(0, params, body, len);
        ck_assert_msg(r.status == cases[i].want, "%s: %d %s", cases[i].level, r.status, r.body);
        if (cases[i].want == 503)
            ck_assert_msg(strstr(r.body, "consistency level"), "%s", r.body);
        t_http_free(&r);
        free(body);
    }
    ck_assert_double_gt(metric_sum(0, "strata_router_hinted_handoff_batches"), 0);
    /* The router dies with hints queued and comes back: nothing is lost. */
    t_proc_kill(C.router[0], SIGKILL, true);
    start_router(0);
    ck_assert_double_gt(metric_sum(0, "strata_router_hinted_handoff_batches"), 0);
    start_data(2);
    wait_up(NDATA);
    wait_hints_drained(0);
    ck_assert_int_eq(check_replicas("c", "warm"), 300);
    ck_assert_int_eq(check_replicas("c", "c_one"), 600);
    ck_assert_int_eq(check_replicas("c", "c_any"), 600);
    /* Refused at quorum and all: the live owners have their points and the
     * replicas agree after the replay; counts are whatever got in. */
    check_replicas("c", "c_quorum");
    check_replicas("c", "c_all");
}
END_TEST

/* SELECT reads each shard from one live owner: with an owner killed (not
 * yet DOWN in the catalogue) the next owner answers and nothing is missing;
 * with every owner of some shard gone the statement fails clearly. The
 * router's query limits answer InfluxDB's errors. */
START_TEST(test_select_failover_and_limits)
{
    create_db("q");
    int64_t t0 = wall_ns() - 3600000000000LL;
    size_t len;
    char *body = make_lines("m", 3000, t0, &len);
    struct t_http_resp r = write_lines(0, "db=q&consistency=all", body, len);
    ck_assert_int_eq(r.status, 204);
    t_http_free(&r);
    free(body);
    const char *count = "SELECT count(v), sum(v) FROM q..m";
    const char *want = ",3000,4498500]]}]}]}\n"; /* sum of 0..2999 */
    r = query(0, count);
    ck_assert_msg(r.status == 200 && strstr(r.body, want), "%d %s", r.status, r.body);
    t_http_free(&r);

    /* chunked=true: streamed, one JSON object per line, every row once. */
    {
        struct t_http_resp c = t_http(C.http[0], "GET",
                                      "/query?chunked=true&chunk_size=7&q=SELECT+v+FROM+q..m+WHERE+"
                                      "host+%3D+%27h07%27%3BSELECT+count(v)+FROM+q..m",
                                      NULL, 0, NULL);
        ck_assert_int_eq(c.status, 200);
        char te[64] = "";
        ck_assert(t_http_header(&c, "Transfer-Encoding", te, sizeof te));
        ck_assert_str_eq(te, "chunked");
        int lines = 0, partial = 0, values = 0;
        for (const char *p = c.body; *p; p = strchr(p, '\n') + 1) {
            ck_assert_msg(strchr(p, '\n') != NULL, "unterminated line: %s", p);
            lines++;
            partial += strncmp(strchr(p, '\n') - 17, "\"partial\":true}]}", 17) == 0;
            for (const char *v = strstr(p, "\"values\":[["); v && v < strchr(p, '\n');
                 v = strstr(v + 1, "],["))
                values++;
        }
        /* 60 rows of h07 cut every 7: 9 chunks (8 partial), then count(). */
        ck_assert_msg(lines == 10 && partial == 8 && values == 61, "%d %d %d: %s", lines, partial,
                      values, c.body);
        ck_assert_msg(strstr(c.body, "{\"results\":[{\"statement_id\":1,") != NULL &&
                          strstr(c.body, ",3000]]}]}]}\n") != NULL,
                      "%s", c.body);
        t_http_free(&c);
    }

    t_proc_kill(C.data[1], SIGKILL, true);
    C.data[1] = 0;
    r = query(0, count);
    ck_assert_msg(r.status == 200 && strstr(r.body, want), "one owner down: %d %s", r.status,
                  r.body);
    t_http_free(&r);
    r = query(0, "SELECT v FROM q..m WHERE host = 'h07'");
    ck_assert_int_eq(r.status, 200);
    int rows = 0;
    for (const char *p = strstr(r.body, "\"values\""); p && (p = strstr(p, "],[")); p++)
        rows++;
    ck_assert_msg(rows + 1 == 60, "h07 rows %d: %s", rows + 1, r.body);
    t_http_free(&r);

    /* Limits (InfluxDB's messages, its typo included). */
    t_proc_kill(C.router[1], SIGTERM, true);
    start_router_args(1, "--max-select-point", "100");
    r = query(1, "SELECT v FROM q..m");
    ck_assert_msg(strstr(r.body, "max-select-point limit exceeed: ("), "%s", r.body);
    t_http_free(&r);
    r = query(1, count);
    ck_assert_msg(strstr(r.body, "max-select-point limit exceeed: ("), "%s", r.body);
    t_http_free(&r);
    t_proc_kill(C.router[1], SIGTERM, true);
    start_router_args(1, "--max-select-buckets", "10");
    r = query(1, "SELECT count(v) FROM q..m WHERE time > now() - 1h GROUP BY time(1m)");
    ck_assert_msg(strstr(r.body, "max-select-buckets limit exceeded: (61/10)"), "%s", r.body);
    t_http_free(&r);
    t_proc_kill(C.router[1], SIGTERM, true);
    start_router_args(1, "--max-select-series", "5");
    r = query(1, "SELECT count(v) FROM q..m"); /* 50 series over the group's shards */
    ck_assert_msg(strstr(r.body, "{\"statement_id\":0,\"error\":\"max-select-series limit "
                                 "exceeded: (") &&
                      strstr(r.body, "/5)\"}"),
                  "%s", r.body);
    t_http_free(&r);
    r = query(1, "SELECT count(v) FROM q..m WHERE host = 'h07'");
    ck_assert_msg(r.status == 200 && strstr(r.body, ",60]]}]}]}"), "%s", r.body);
    t_http_free(&r);

    /* Two of three nodes gone with RF 2: some shard has no owner left. */
    t_proc_kill(C.data[0], SIGKILL, true);
    C.data[0] = 0;
    r = query(0, count);
    ck_assert_msg(r.status == 500 && strstr(r.body, "no owner answered"), "%d %s", r.status,
                  r.body);
    t_http_free(&r);
}
END_TEST

/* A full hinted-handoff queue fails the writes that need it, clearly,
 * even when the consistency level is met. */
START_TEST(test_hinted_handoff_queue_full)
{
    create_db("full");
    int64_t t0 = wall_ns() - 900000000000LL;
    size_t len;
    char *body = make_lines("warm", 100, t0, &len);
    struct t_http_resp r = write_lines(0, "db=full", body, len);
    ck_assert_int_eq(r.status, 204);
    t_http_free(&r);
    free(body);
    /* Router 2 again, with room for a few batches per node. */
    t_proc_kill(C.router[1], SIGTERM, true);
    start_router_args(1, "--hh-max-bytes", "20000");
    t_proc_kill(C.data[1], SIGTERM, true);
    C.data[1] = 0;
    int full = 0, ok = 0;
    for (int i = 0; i < 10; i++) {
        body = make_lines("f", 200, t0 + i * 1000000000LL, &len);
        r = write_lines(1, "db=full&consistency=one", body, len);
        if (r.status == 503 && strstr(r.body, "hinted handoff queue") && strstr(r.body, "is full"))
            full++;
        else if (r.status == 204)
            ok++;
        else
            ck_abort_msg("unexpected answer %d %s", r.status, r.body);
        t_http_free(&r);
        free(body);
    }
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(full, 0);
    ck_assert_double_gt(metric_sum(1, "strata_router_hinted_handoff_bytes"), 0);
    ck_assert_double_le(metric_sum(1, "strata_router_hinted_handoff_bytes"), 20000);
}
END_TEST

struct writer {
    int router;
    int64_t t0;
    int batches, ok;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (int b = 0; b < w->batches; b++) {
        char *body = malloc(250 * 64);
        size_t o = 0;
        for (int i = 0; i < 250; i++)
            o += (size_t)snprintf(body + o, 250 * 64 - o, "same,host=a v=%d %" PRId64 "\n", i,
                                  w->t0 + ((int64_t)b * 250 + i) * 2000);
        struct t_http_resp r = write_lines(w->router, "db=two", body, o);
        w->ok += r.status == 204;
        t_http_free(&r);
        free(body);
    }
    return NULL;
}

START_TEST(test_two_routers_same_series)
{
    create_db("two");
    int64_t t0 = wall_ns() - 1800000000000LL;
    struct writer w[2] = {{.router = 0, .t0 = t0, .batches = 20},
                          {.router = 1, .t0 = t0 + 1000, .batches = 20}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, writer_main, &w[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(w[0].ok, 20);
    ck_assert_int_eq(w[1].ok, 20);
    ck_assert_int_eq(check_replicas("two", "same"), 2 * 20 * 250);
}
END_TEST

/* POST /query?db=@db with q=@q. */
static struct t_http_resp query_db(const char *db, const char *q)
{
    char body[4096];
    int n = snprintf(body, sizeof(body), "db=%s&q=", db);
    t_http_urlencode(q, body + n, sizeof(body) - (size_t)n);
    struct t_http_opts o = {.extra_headers = "Content-Type: application/x-www-form-urlencoded\r\n"};
    return t_http(C.http[0], "POST", "/query", body, strlen(body), &o);
}

static void query_ok(const char *db, const char *q)
{
    struct t_http_resp r = query_db(db, q);
    ck_assert_msg(r.status == 200 && strcmp(r.body, "{\"results\":[{\"statement_id\":0}]}\n") == 0,
                  "%s: %d %s", q, r.status, r.body);
    t_http_free(&r);
}

/* DELETE and DROP SERIES reach every replica (RF 2: every owner of every
 * shard is read back); with an owner stopped they fail clearly, and run
 * again once it is back they leave the replicas equal. */
START_TEST(test_delete_every_replica)
{
    create_db("del");
    int64_t t0 = wall_ns() - 600000000000LL;
    size_t len;
    char *body = make_lines("dm", 500, t0, &len); /* 50 hosts, 10 points each */
    struct t_http_resp r = write_lines(0, "db=del&consistency=all", body, len);
    ck_assert_int_eq(r.status, 204);
    t_http_free(&r);
    free(body);
    ck_assert_int_eq(check_replicas("del", "dm"), 500);
    /* SHOW SHARDS: a series per database, every shard with both owners. */
    r = query_db("del", "SHOW SHARDS");
    ck_assert_msg(strstr(r.body, "{\"name\":\"del\",\"columns\":[\"id\",\"database\","
                                 "\"retention_policy\",\"shard_group\",\"start_time\","
                                 "\"end_time\",\"expiry_time\",\"owners\"],\"values\":[["),
                  "%s", r.body);
    const char *own = r.body; /* after start_time, end_time and expiry_time */
    for (int i = 0; i < 3 && own != NULL; i++)
        if ((own = strstr(own, "Z\",\"")) != NULL)
            own += 4;
    ck_assert_ptr_nonnull(own);
    unsigned a, b;
    ck_assert_msg(sscanf(own, "%u,%u\"", &a, &b) == 2 && a != b, "%s", r.body);
    t_http_free(&r);
    r = query_db("del", "SHOW SHARD GROUPS");
    ck_assert_msg(strstr(r.body, "{\"name\":\"shard groups\",\"columns\":[\"id\","
                                 "\"database\",\"retention_policy\",\"start_time\","
                                 "\"end_time\",\"expiry_time\"],\"values\":[[") &&
                      strstr(r.body, ",\"del\",\"autogen\",\""),
                  "%s", r.body);
    t_http_free(&r);

    query_ok("del", "DELETE FROM dm WHERE host = 'h01'");
    ck_assert_int_eq(check_replicas("del", "dm"), 490);
    query_ok("del", "DROP SERIES FROM dm WHERE host =~ /^h0/");
    ck_assert_int_eq(check_replicas("del", "dm"), 400);
    char q[256];
    snprintf(q, sizeof(q), "DELETE FROM dm WHERE host = 'h10' AND time < %" PRId64,
             t0 + 10 * 1000 + 1); /* the first point of h10 only (t0 + 10 us) */
    query_ok("del", q);
    ck_assert_int_eq(check_replicas("del", "dm"), 399);
    r = query_db("del", "SHOW SERIES FROM dm WHERE host = 'h05'");
    ck_assert_str_eq(r.body, "{\"results\":[{\"statement_id\":0}]}\n");
    t_http_free(&r);

    /* An owner is down: the statement fails and says which node. */
    t_proc_kill(C.data[2], SIGTERM, true);
    C.data[2] = 0;
    r = query_db("del", "DELETE FROM dm WHERE host = 'h20'");
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.body, "\"error\":\"") && strstr(r.body, "data node"), "%s", r.body);
    t_http_free(&r);
    /* Back: the same statement again leaves every replica without h20. */
    start_data(2);
    wait_up(NDATA);
    /* The router learns that the node is UP from its own copy of the
     * catalogue, which may lag the test's by a watch round: until then it
     * still refuses, as it should. */
    for (long long end = t_now_ms() + 15000;;) {
        r = query_db("del", "DELETE FROM dm WHERE host = 'h20'");
        bool down = strstr(r.body, "is down") != NULL;
        if (!down || t_now_ms() > end)
            break;
        t_http_free(&r);
        sleep_ms(200);
    }
    ck_assert_msg(r.status == 200 && strcmp(r.body, "{\"results\":[{\"statement_id\":0}]}\n") == 0,
                  "%d %s", r.status, r.body);
    t_http_free(&r);
    ck_assert_int_eq(check_replicas("del", "dm"), 389);
    query_ok("del", "DROP MEASUREMENT dm");
    ck_assert_int_eq(check_replicas("del", "dm"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("router_e2e");
    TCase *tc = tcase_create("router_e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_ping_health_metrics);
    tcase_add_test(tc, test_write_errors_and_partial_write);
    tcase_add_test(tc, test_gzip_chunked_and_too_large);
    tcase_add_test(tc, test_consistency_and_hinted_handoff);
    tcase_add_test(tc, test_two_routers_same_series);
    tcase_add_test(tc, test_hinted_handoff_queue_full);
    tcase_add_test(tc, test_select_failover_and_limits);
    tcase_add_test(tc, test_delete_every_replica);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
