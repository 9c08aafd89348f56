/* Tests of st_mcli against real strata-meta clusters: three processes on
 * free loopback ports per test, killed with SIGKILL where a test says so. */
#include "client.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalogue.h"
#include "err.h"
#include "fake_meta.h"
#include "proc.h"
#include "rpc.h"
#include "testlib.h"

#define NODES 3
#define HOUR_NS (3600LL * 1000000000LL)
/* 2024-01-01T00:00:00Z: shard groups of the tests start around here. */
#define T0 1704067200000000000LL

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- A three-node meta cluster ------------------------------------------ */

struct mnode {
    pid_t pid;     /* 0 when not running */
    int raft, rpc; /* loopback ports */
    char url[64];  /* tcp://127.0.0.1:rpc */
};

static struct {
    char *dir; /* t_tmpdir(); removed at teardown */
    struct mnode n[NODES];
    char members[512];
    const char *addrs[NODES];
} cl;

static bool node_start(int i)
{
    char id[16], dir[512], raft[64], ready[512], log[512];
    snprintf(id, sizeof(id), "%d", i + 1);
    snprintf(dir, sizeof(dir), "%s/n%d", cl.dir, i + 1);
    snprintf(raft, sizeof(raft), "127.0.0.1:%d", cl.n[i].raft);
    snprintf(ready, sizeof(ready), "%s/n%d.ready", cl.dir, i + 1);
    snprintf(log, sizeof(log), "%s/n%d.log", cl.dir, i + 1);
    mkdir(dir, 0755);
    unlink(ready);
    char bin[4096];
    snprintf(bin, sizeof(bin), "%s", t_build_path("meta/strata-meta"));
    char *argv[] = {bin,         "--id",
                    id,          "--dir",
                    dir,         "--raft",
                    raft,        "--listen",
                    cl.n[i].url, "--members",
                    cl.members,  "--election-timeout-ms",
                    "500",       "--node-timeout-ms",
                    "600000",    "--retention-check-ms",
                    "600000",    "--ready-file",
                    ready,       NULL};
    cl.n[i].pid = t_proc_start(argv, log);
    return cl.n[i].pid > 0;
}

/* Starts the three nodes and waits until each one's RPC listens. */
static void cluster_start(void)
{
    ck_assert_msg(access(t_build_path("meta/strata-meta"), X_OK) == 0, "no %s",
                  t_build_path("meta/strata-meta"));
    cl.dir = t_tmpdir("test_meta_client");
    ck_assert_ptr_nonnull(cl.dir);
    size_t len = 0;
    for (int i = 0; i < NODES; i++) {
        cl.n[i].raft = t_free_port();
        cl.n[i].rpc = t_free_port();
        ck_assert(cl.n[i].raft > 0 && cl.n[i].rpc > 0);
        snprintf(cl.n[i].url, sizeof(cl.n[i].url), "tcp://127.0.0.1:%d", cl.n[i].rpc);
        len += (size_t)snprintf(cl.members + len, sizeof(cl.members) - len, "%s%d=127.0.0.1:%d=%s",
                                i ? "," : "", i + 1, cl.n[i].raft, cl.n[i].url);
        cl.addrs[i] = cl.n[i].url;
    }
    for (int i = 0; i < NODES; i++)
        ck_assert(node_start(i));
    for (int i = 0; i < NODES; i++) {
        char ready[512];
        snprintf(ready, sizeof(ready), "%s/n%d.ready", cl.dir, i + 1);
        ck_assert_msg(t_wait_file(ready, cl.n[i].pid, 20000), "meta node %d did not start (%s)",
                      i + 1, cl.dir);
    }
}

static void node_kill(int i)
{
    t_proc_kill(cl.n[i].pid, SIGKILL, true);
    cl.n[i].pid = 0;
}

/* Teardown: kills what is left and removes the directory (kept, with the
 * nodes' logs, when ST_KEEP_TMP is set). */
static void cluster_stop(void)
{
    for (int i = 0; i < NODES; i++)
        if (cl.n[i].pid > 0)
            node_kill(i);
    if (cl.dir != NULL) {
        if (getenv("ST_KEEP_TMP") != NULL)
            fprintf(stderr, "kept %s\n", cl.dir);
        else
            t_rmtree(cl.dir);
        free(cl.dir);
        cl.dir = NULL;
    }
}

/* The index of the raft leader among cl.n, found without the client: a
 * request marked as forwarded already (hops = 1) is applied by the leader
 * and answered NOT_LEADER (naming the leader) by a follower. The command is
 * a DROP DATABASE of a database that does not exist: no change. -1 if no
 * leader shows within @timeout_ms. */
static int find_leader(int timeout_ms)
{
    Strata__DropDatabase dd = STRATA__DROP_DATABASE__INIT;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__ApplyRequest ar = STRATA__APPLY_REQUEST__INIT;
    Strata__MetaRequest req = STRATA__META_REQUEST__INIT;
    dd.name = "no_such_database";
    cmd.cmd_case = STRATA__COMMAND__CMD_DROP_DATABASE;
    cmd.drop_database = &dd;
    ar.command = &cmd;
    req.hops = 1;
    req.req_case = STRATA__META_REQUEST__REQ_APPLY;
    req.apply = &ar;
    uint8_t packed[128];
    size_t len = strata__meta_request__pack(&req, packed);
    struct st_buf raw;
    st_buf_init(&raw);
    int leader = -1;
    long long end = t_now_ms() + timeout_ms;
    while (leader < 0 && t_now_ms() < end) {
        for (int i = 0; i < NODES && leader < 0; i++) {
            st_rpc_client *rpc;
            if (cl.n[i].pid <= 0 || st_rpc_client_open(cl.n[i].url, &rpc) != ST_OK)
                continue;
            if (st_rpc_call(rpc, packed, len, 3000, &raw) == ST_OK) {
                Strata__MetaResponse *r =
                    strata__meta_response__unpack(NULL, raw.len, (uint8_t *)raw.p);
                int code = r && r->error ? (int)r->error->code : 0;
                if (r != NULL && code == STRATA__ERROR_CODE__OK)
                    leader = i;
                else if (r != NULL && code == STRATA__ERROR_CODE__NOT_LEADER && r->leader_id >= 1 &&
                         r->leader_id <= NODES)
                    leader = (int)r->leader_id - 1;
                if (r != NULL)
                    strata__meta_response__free_unpacked(r, NULL);
            }
            st_rpc_client_close(rpc);
        }
        if (leader < 0)
            sleep_ms(100);
    }
    st_buf_fini(&raw);
    return leader;
}

/* ---- Client helpers -------------------------------------------------------- */

struct changes {
    pthread_mutex_t mu;
    unsigned n;          /* on_change calls */
    uint64_t last_index; /* index of the last catalogue seen */
    unsigned backwards;  /* calls whose index was not above the previous one */
};

static void on_change(void *arg, const struct st_mcat *cat)
{
    struct changes *ch = arg;
    pthread_mutex_lock(&ch->mu);
    if (ch->n > 0 && cat->cat->index <= ch->last_index)
        ch->backwards++;
    ch->n++;
    ch->last_index = cat->cat->index;
    pthread_mutex_unlock(&ch->mu);
}

static st_mcli *client_open(const char *const *addrs, size_t n, unsigned watch_ms, unsigned call_ms,
                            struct changes *ch)
{
    struct st_mcli_opts o = {.addrs = addrs,
                             .naddrs = n,
                             .watch_ms = watch_ms,
                             .call_timeout_ms = call_ms,
                             .on_change = ch ? on_change : NULL,
                             .arg = ch};
    st_mcli *c = NULL;
    char err[256] = "";
    ck_assert_msg(st_mcli_open(&o, &c, err, sizeof(err)) == ST_OK, "open: %s", err);
    return c;
}

/* A client on all three nodes in the order given, with a catalogue. */
static st_mcli *client_ready(int first, struct changes *ch)
{
    const char *addrs[NODES];
    for (int i = 0; i < NODES; i++)
        addrs[i] = cl.addrs[(first + i) % NODES];
    st_mcli *c = client_open(addrs, NODES, 5000, 0, ch);
    ck_assert_int_eq(st_mcli_wait(c, 1, 20000), ST_OK);
    return c;
}

static int create_db(st_mcli *c, const char *name, uint32_t rf, int64_t group_ns, unsigned timeout,
                     uint64_t *index, char *err, size_t errlen)
{
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    rp.name = "autogen";
    rp.replication_factor = rf;
    rp.shard_group_duration_ns = group_ns;
    cd.name = (char *)name;
    cd.default_rp = &rp;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &cd;
    Strata__ApplyResponse *resp = NULL;
    int rv = st_mcli_apply(c, &cmd, timeout, &resp, err, errlen);
    if (rv == ST_OK) {
        if (index != NULL)
            *index = resp->index;
        strata__apply_response__free_unpacked(resp, NULL);
    }
    return rv;
}

#define CREATE_DB(c, name, idx)                                                                  \
    do {                                                                                         \
        char e_[256] = "";                                                                       \
        int rv_ = create_db((c), (name), 1, 0, 0, (idx), e_, sizeof(e_));                        \
        ck_assert_msg(rv_ == ST_OK, "create database %s: %s: %s", (name), st_strerror(rv_), e_); \
    } while (0)

static bool has_db(st_mcli *c, const char *name)
{
    const struct st_mcat *s = st_mcli_acquire(c);
    bool yes = s != NULL && st_cat_database(s->cat, name) != NULL;
    st_mcli_release(c, s);
    return yes;
}

static uint64_t register_node(st_mcli *c, const char *rpc_addr)
{
    uint64_t id = 0;
    char err[256] = "";
    int rv = st_mcli_register(c, 0, rpc_addr, NULL, &id, err, sizeof(err));
    ck_assert_msg(rv == ST_OK, "register %s: %s: %s", rpc_addr, st_strerror(rv), err);
    ck_assert_uint_gt(id, 0);
    return id;
}

static long long close_ms(st_mcli *c)
{
    long long t = t_now_ms();
    st_mcli_close(c);
    return t_now_ms() - t;
}

/* ---- Without a server ------------------------------------------------------ */

START_TEST(test_mcli_open_bad_options)
{
    struct st_mcli_opts o = {0};
    st_mcli *c = NULL;
    char err[256] = "";
    ck_assert_int_eq(st_mcli_open(&o, &c, err, sizeof(err)), ST_EINVAL);
    ck_assert(strlen(err) > 0);
    const char *addrs[] = {"tcp://127.0.0.1:1", ""};
    o.addrs = addrs;
    o.naddrs = 2;
    ck_assert_int_eq(st_mcli_open(&o, &c, err, sizeof(err)), ST_EINVAL);
    const char *bad[] = {"nonsense://x"};
    o.addrs = bad;
    o.naddrs = 1;
    ck_assert_int_eq(st_mcli_open(&o, &c, err, sizeof(err)), ST_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "nonsense://x"));
    st_mcli_close(NULL);
}
END_TEST

START_TEST(test_mcli_no_meta_node_answers)
{
    char url[64];
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", t_free_port());
    const char *addrs[] = {url};
    st_mcli *c = client_open(addrs, 1, 0, 1000, NULL);
    ck_assert_ptr_null(st_mcli_acquire(c));
    ck_assert_uint_eq(st_mcli_index(c), 0);
    ck_assert_int_eq(st_mcli_wait(c, 1, 300), ST_ETIMEDOUT);
    char err[512] = "";
    long long t = t_now_ms();
    int rv = create_db(c, "x", 1, 0, 1500, NULL, err, sizeof(err));
    long long ms = t_now_ms() - t;
    ck_assert_msg(rv == ST_EUNAVAIL, "%s: %s", st_strerror(rv), err);
    ck_assert_msg(strstr(err, url) != NULL, "message names the node: %s", err);
    ck_assert_int_lt(ms, 2500);
    struct st_mcli_loc loc;
    t = t_now_ms();
    rv = st_mcli_locate(c, "db", NULL, 1, T0, &loc, err, sizeof(err));
    ck_assert_msg(rv == ST_EUNAVAIL, "%s: %s", st_strerror(rv), err);
    ck_assert_int_lt(t_now_ms() - t, 2000);
    ck_assert_int_lt(close_ms(c), 1000);
}
END_TEST

/* ---- a. apply, and another client sees it -------------------------------- */

START_TEST(test_mcli_apply_seen_by_other_client)
{
    cluster_start();
    struct changes cha = {.mu = PTHREAD_MUTEX_INITIALIZER};
    st_mcli *a = client_ready(0, &cha);
    st_mcli *b = client_ready(2, NULL); /* watches another node */
    uint64_t index = 0;
    CREATE_DB(a, "db0", &index);
    ck_assert_uint_gt(index, 0);
    /* Read-your-writes on A, the watch on B. */
    ck_assert_uint_ge(st_mcli_index(a), index);
    ck_assert(has_db(a, "db0"));
    ck_assert_int_eq(st_mcli_wait(b, index, 10000), ST_OK);
    ck_assert(has_db(b, "db0"));
    pthread_mutex_lock(&cha.mu);
    ck_assert_uint_gt(cha.n, 0);
    ck_assert_uint_ge(cha.last_index, index);
    ck_assert_uint_eq(cha.backwards, 0);
    pthread_mutex_unlock(&cha.mu);

    /* Idempotent: the same database again. */
    CREATE_DB(b, "db0", NULL);

    /* Refused commands carry InfluxDB's words. */
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    Strata__CreateRetentionPolicy crp = STRATA__CREATE_RETENTION_POLICY__INIT;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    rp.name = "r1";
    rp.replication_factor = 1;
    crp.database = "missing";
    crp.rp = &rp;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_RETENTION_POLICY;
    cmd.create_retention_policy = &crp;
    char err[256] = "";
    ck_assert_int_eq(st_mcli_apply(a, &cmd, 0, NULL, err, sizeof(err)), ST_ENOTFOUND);
    ck_assert_msg(strstr(err, "database not found") != NULL, "%s", err);
    ck_assert_int_eq(create_db(a, "", 1, 0, 0, NULL, err, sizeof(err)), ST_EINVAL);
    ck_assert_msg(strstr(err, "database name required") != NULL, "%s", err);

    /* The snapshot a reader holds survives newer installs. */
    const struct st_mcat *held = st_mcli_acquire(b);
    uint64_t held_index = held->cat->index;
    CREATE_DB(b, "db1", &index);
    ck_assert_uint_eq(held->cat->index, held_index);
    ck_assert_ptr_null(st_cat_database(held->cat, "db1"));
    st_mcli_release(b, held);
    ck_assert(has_db(b, "db1"));

    /* Both watches are in a 5 s long poll: close does not wait for it. */
    ck_assert_int_lt(close_ms(a), 1000);
    ck_assert_int_lt(close_ms(b), 1000);
}
END_TEST

/* ---- b. failover ------------------------------------------------------------ */

START_TEST(test_mcli_apply_after_leader_killed)
{
    cluster_start();
    int leader = find_leader(20000);
    if (leader < 0)
        leader = 0; /* the node the watch talks to, at least */
    /* The leader first: the watch and the first attempt go to it. */
    struct changes ch = {.mu = PTHREAD_MUTEX_INITIALIZER};
    st_mcli *c = client_ready(leader, &ch);
    uint64_t before = 0;
    CREATE_DB(c, "before", &before);
    sleep_ms(200); /* the watch is in its long poll on the leader */
    node_kill(leader);

    char err[512] = "";
    uint64_t index = 0;
    long long t = t_now_ms();
    int rv = create_db(c, "after", 1, 0, 15000, &index, err, sizeof(err));
    long long ms = t_now_ms() - t;
    ck_assert_msg(rv == ST_OK, "apply after failover: %s: %s", st_strerror(rv), err);
    ck_assert_msg(ms < 15000, "took %lld ms", ms);
    ck_assert_uint_gt(index, before);
    ck_assert_uint_ge(st_mcli_index(c), index); /* the watch moved on */
    ck_assert(has_db(c, "after"));

    /* It keeps advancing. */
    int failed = 0, behind = 0;
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof(name), "db%d", i);
        uint64_t idx = 0;
        if (create_db(c, name, 1, 0, 10000, &idx, err, sizeof(err)) != ST_OK)
            failed++;
        else if (st_mcli_index(c) < idx || !has_db(c, name))
            behind++;
    }
    ck_assert_int_eq(failed, 0);
    ck_assert_int_eq(behind, 0);
    pthread_mutex_lock(&ch.mu);
    ck_assert_uint_eq(ch.backwards, 0);
    ck_assert_uint_ge(ch.last_index, index);
    pthread_mutex_unlock(&ch.mu);
    fprintf(stderr, "failover: apply after killing node %d took %lld ms\n", leader + 1, ms);
    st_mcli_close(c);
}
END_TEST

/* ---- c. locate: single flight ------------------------------------------- */

struct locator {
    st_mcli *c;
    pthread_barrier_t *go;
    int rv;
    char err[256];
    struct st_mcli_loc loc;
};

static void *locate_main(void *p)
{
    struct locator *l = p;
    pthread_barrier_wait(l->go);
    l->rv = st_mcli_locate(l->c, "db", NULL, 0x9e3779b97f4a7c15ULL, T0 + 1234, &l->loc, l->err,
                           sizeof(l->err));
    return NULL;
}

static size_t live_groups(const Strata__Catalogue *cat, const char *db)
{
    size_t n = 0;
    for (size_t i = 0; i < cat->n_shard_groups; i++)
        n += !cat->shard_groups[i]->deleted && strcmp(cat->shard_groups[i]->database, db) == 0;
    return n;
}

START_TEST(test_mcli_locate_single_flight)
{
    cluster_start();
    st_mcli *c = client_ready(0, NULL);
    CREATE_DB(c, "db", NULL);
    uint64_t node = register_node(c, "tcp://127.0.0.1:1");

    enum { THREADS = 8 };
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    struct locator l[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&l[i], 0, sizeof(l[i]));
        l[i].c = c;
        l[i].go = &go;
        pthread_create(&th[i], NULL, locate_main, &l[i]);
    }
    int failed = 0, differ = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (l[i].rv != ST_OK) {
            fprintf(stderr, "locate %d: %s: %s\n", i, st_strerror(l[i].rv), l[i].err);
            failed++;
        } else if (l[i].loc.group_id != l[0].loc.group_id ||
                   l[i].loc.shard_id != l[0].loc.shard_id) {
            differ++;
        }
    }
    pthread_barrier_destroy(&go);
    ck_assert_int_eq(failed, 0);
    ck_assert_int_eq(differ, 0);
    ck_assert_uint_gt(l[0].loc.group_id, 0);
    ck_assert(l[0].loc.group_start_ns <= T0 + 1234 && T0 + 1234 < l[0].loc.group_end_ns);
    ck_assert_uint_eq(l[0].loc.nowners, 1);
    ck_assert_uint_eq(l[0].loc.owners[0], node);

    /* Exactly one group was created. */
    Strata__Catalogue *cat = NULL;
    char err[256] = "";
    ck_assert_msg(st_mcli_fetch(c, 0, &cat, err, sizeof(err)) == ST_OK, "fetch: %s", err);
    ck_assert_uint_eq(live_groups(cat, "db"), 1);
    strata__catalogue__free_unpacked(cat, NULL);

    /* Now answered from the local copy. */
    struct st_mcli_loc loc;
    ck_assert_int_eq(st_mcli_locate(c, "db", "autogen", 7, T0 + 99, &loc, err, sizeof(err)), ST_OK);
    ck_assert_uint_eq(loc.group_id, l[0].loc.group_id);

    /* Missing database or policy: InfluxDB's /write words, nothing proposed. */
    uint64_t index = st_mcli_index(c);
    ck_assert_int_eq(st_mcli_locate(c, "x", NULL, 1, T0, &loc, err, sizeof(err)), ST_ENOTFOUND);
    ck_assert_str_eq(err, "database not found: \"x\"");
    ck_assert_int_eq(st_mcli_locate(c, "db", "nope", 1, T0, &loc, err, sizeof(err)), ST_ENOTFOUND);
    ck_assert_str_eq(err, "retention policy not found: \"nope\"");
    ck_assert_uint_eq(st_mcli_index(c), index);
    st_mcli_close(c);
}
END_TEST

/* ---- d. placement ----------------------------------------------------------- */

START_TEST(test_mcli_locate_placement_balanced)
{
    cluster_start();
    st_mcli *c = client_ready(1, NULL);
    uint64_t ids[3];
    ids[0] = register_node(c, "tcp://127.0.0.1:1");
    ids[1] = register_node(c, "tcp://127.0.0.1:2");
    ids[2] = register_node(c, "tcp://127.0.0.1:3");
    ck_assert(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    char err[256] = "";
    int rv = create_db(c, "pl", 2, HOUR_NS, 0, NULL, err, sizeof(err));
    ck_assert_msg(rv == ST_OK, "%s", err);

    int failed = 0, wrong = 0;
    for (int h = 0; h < 30; h++) {
        struct st_mcli_loc loc;
        int64_t t = T0 + h * HOUR_NS + 60LL * 1000000000LL;
        if (st_mcli_locate(c, "pl", NULL, (uint64_t)h * 2654435761u, t, &loc, err, sizeof(err)) !=
            ST_OK) {
            fprintf(stderr, "locate hour %d: %s\n", h, err);
            failed++;
        } else if (loc.nowners != 2 || loc.group_start_ns != T0 + h * HOUR_NS ||
                   loc.group_end_ns != T0 + (h + 1) * HOUR_NS) {
            wrong++;
        }
    }
    ck_assert_int_eq(failed, 0);
    ck_assert_int_eq(wrong, 0);

    Strata__Catalogue *cat = NULL;
    ck_assert_msg(st_mcli_fetch(c, 0, &cat, err, sizeof(err)) == ST_OK, "fetch: %s", err);
    ck_assert_uint_eq(live_groups(cat, "pl"), 30);
    size_t per_node[3] = {0}, shards = 0, bad = 0;
    for (size_t g = 0; g < cat->n_shard_groups; g++) {
        const Strata__ShardGroup *sg = cat->shard_groups[g];
        if (sg->deleted || strcmp(sg->database, "pl") != 0)
            continue;
        for (size_t s = 0; s < sg->n_shards; s++) {
            const Strata__Shard *sh = sg->shards[s];
            shards++;
            if (sh->n_owners != 2 || sh->owners[0] == sh->owners[1])
                bad++;
            for (size_t o = 0; o < sh->n_owners; o++)
                for (int k = 0; k < 3; k++)
                    per_node[k] += sh->owners[o] == ids[k];
        }
    }
    strata__catalogue__free_unpacked(cat, NULL);
    fprintf(stderr, "placement: %zu shards, replicas per node %zu %zu %zu\n", shards, per_node[0],
            per_node[1], per_node[2]);
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_ge(shards, 30);
    ck_assert_uint_eq(per_node[0] + per_node[1] + per_node[2], 2 * shards);
    size_t lo = per_node[0], hi = per_node[0];
    for (int k = 1; k < 3; k++) {
        lo = per_node[k] < lo ? per_node[k] : lo;
        hi = per_node[k] > hi ? per_node[k] : hi;
    }
    ck_assert_uint_le(hi - lo, 1);
    st_mcli_close(c);
}
END_TEST

/* ---- e. two of three meta nodes down ---------------------------------- */

struct applier {
    st_mcli *c;
    int rv;
    char err[512];
};

static void *apply_main(void *p)
{
    struct applier *a = p;
    a->rv = create_db(a->c, "late", 1, 0, 20000, NULL, a->err, sizeof(a->err));
    return NULL;
}

START_TEST(test_mcli_majority_down)
{
    cluster_start();
    st_mcli *c = client_ready(0, NULL);
    uint64_t index = 0;
    CREATE_DB(c, "e", &index);
    int leader = find_leader(10000);
    int other = leader == 1 ? 2 : 1;
    node_kill(leader >= 0 ? leader : 0);
    node_kill(other);

    /* The local copy stays. */
    const struct st_mcat *s = st_mcli_acquire(c);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_ge(s->cat->index, index);
    ck_assert_ptr_nonnull(st_cat_database(s->cat, "e"));
    st_mcli_release(c, s);

    /* Reads are served by the survivor. */
    Strata__Catalogue *cat = NULL;
    char err[512] = "";
    int rv = st_mcli_fetch(c, 8000, &cat, err, sizeof(err));
    ck_assert_msg(rv == ST_OK, "fetch: %s: %s", st_strerror(rv), err);
    ck_assert_uint_ge(cat->index, index);
    strata__catalogue__free_unpacked(cat, NULL);

    /* Commands fail within their deadline, saying why. */
    err[0] = '\0';
    long long t = t_now_ms();
    rv = create_db(c, "e2", 1, 0, 3000, NULL, err, sizeof(err));
    long long ms = t_now_ms() - t;
    fprintf(stderr, "majority down: %s after %lld ms: %s\n", st_strerror(rv), ms, err);
    ck_assert_msg(rv == ST_ENOLEADER || rv == ST_EUNAVAIL || rv == ST_ETIMEDOUT, "%s: %s",
                  st_strerror(rv), err);
    ck_assert(strlen(err) > 0);
    ck_assert_msg(strstr(err, "tcp://127.0.0.1:") != NULL, "names the nodes: %s", err);
    ck_assert_int_lt(ms, 5000);

    /* Close ends a call in progress at once. */
    struct applier a = {.c = c, .rv = -1};
    pthread_t th;
    pthread_create(&th, NULL, apply_main, &a);
    sleep_ms(300);
    ck_assert_int_lt(close_ms(c), 1500);
    pthread_join(th, NULL);
    ck_assert_msg(a.rv == ST_ECANCELED, "%s: %s", st_strerror(a.rv), a.err);
}
END_TEST

/* ---- f. register and heartbeat ------------------------------------------ */

START_TEST(test_mcli_register_heartbeat)
{
    cluster_start();
    st_mcli *c = client_ready(0, NULL);
    char err[256] = "";
    uint64_t id = 0, again = 0, other = 0, server_index = 0;
    ck_assert_int_eq(
        st_mcli_register(c, 0, "tcp://127.0.0.1:9001", "127.0.0.1:8086", &id, err, sizeof(err)),
        ST_OK);
    ck_assert_uint_gt(id, 0);
    /* Read-your-writes: the node is in the local copy. */
    const struct st_mcat *s = st_mcli_acquire(c);
    const Strata__DataNode *dn = st_cat_node(s->cat, id);
    ck_assert_ptr_nonnull(dn);
    ck_assert_str_eq(dn->rpc_addr, "tcp://127.0.0.1:9001");
    st_mcli_release(c, s);

    ck_assert_int_eq(
        st_mcli_register(c, id, "tcp://127.0.0.1:9001", "127.0.0.1:8086", &again, err, sizeof(err)),
        ST_OK);
    ck_assert_uint_eq(again, id);
    ck_assert_int_eq(st_mcli_register(c, 0, "tcp://127.0.0.1:9002", NULL, &other, err, sizeof(err)),
                     ST_OK);
    ck_assert_uint_ne(other, id);

    int rv =
        st_mcli_heartbeat(c, id, st_mcli_index(c), NULL, 0, 0, &server_index, err, sizeof(err));
    ck_assert_msg(rv == ST_OK, "heartbeat: %s: %s", st_strerror(rv), err);
    ck_assert_uint_gt(server_index, 0);
    Strata__ShardSize sz = STRATA__SHARD_SIZE__INIT;
    sz.shard_id = 1;
    sz.size_bytes = 4096;
    const Strata__ShardSize *sizes[] = {&sz};
    rv = st_mcli_heartbeat(c, other, 0, sizes, 1, 0, NULL, err, sizeof(err));
    ck_assert_msg(rv == ST_OK, "heartbeat: %s: %s", st_strerror(rv), err);
    rv = st_mcli_heartbeat(c, 9999, 0, NULL, 0, 0, NULL, err, sizeof(err));
    ck_assert_msg(rv == ST_ENOTFOUND, "%s: %s", st_strerror(rv), err);
    ck_assert(strlen(err) > 0);

    /* Membership: removing a member that does not exist is refused. */
    Strata__MetaMember m = STRATA__META_MEMBER__INIT;
    m.id = 99;
    Strata__MembershipResponse *mr = NULL;
    rv = st_mcli_membership(c, STRATA__MEMBERSHIP_OP__REMOVE, &m, 0, &mr, err, sizeof(err));
    ck_assert_msg(rv == ST_ENOTFOUND, "%s: %s", st_strerror(rv), err);
    ck_assert_ptr_null(mr);
    st_mcli_close(c);
}
END_TEST

/* ---- Scripted fakes: what the client proposes, and where ---------------- */

static struct {
    struct t_fake_state *st;
    t_fake *f[2];
} fk;

static void fake_setup(void)
{
    fk.st = t_fake_state_new();
    ck_assert_ptr_nonnull(fk.st);
    for (int i = 0; i < 2; i++) {
        fk.f[i] = t_fake_start(fk.st);
        ck_assert_ptr_nonnull(fk.f[i]);
    }
}

static void fake_teardown(void)
{
    for (int i = 0; i < 2; i++)
        t_fake_stop(fk.f[i]);
    t_fake_state_free(fk.st);
}

START_TEST(test_mcli_fake_locate_proposes_once)
{
    const char *addrs[] = {t_fake_url(fk.f[0])};
    st_mcli *c = client_open(addrs, 1, 5000, 0, NULL);
    CREATE_DB(c, "db", NULL);
    uint64_t node = register_node(c, "tcp://127.0.0.1:1");
    /* Proposals take 300 ms: the eight callers overlap. */
    t_fake_set_apply_delay(fk.st, 300);
    enum { THREADS = 8 };
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    struct locator l[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&l[i], 0, sizeof(l[i]));
        l[i].c = c;
        l[i].go = &go;
        pthread_create(&th[i], NULL, locate_main, &l[i]);
    }
    int failed = 0, differ = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        failed += l[i].rv != ST_OK;
        differ += l[i].loc.group_id != l[0].loc.group_id || l[i].loc.shard_id != l[0].loc.shard_id;
    }
    pthread_barrier_destroy(&go);
    ck_assert_int_eq(failed, 0);
    ck_assert_int_eq(differ, 0);
    ck_assert_uint_eq(l[0].loc.owners[0], node);
    ck_assert_uint_eq(t_fake_applied(fk.st, STRATA__COMMAND__CMD_CREATE_SHARD_GROUP), 1);
    /* Later callers read the local copy. */
    struct st_mcli_loc loc;
    char err[256] = "";
    ck_assert_int_eq(st_mcli_locate(c, "db", NULL, 5, T0 + 1, &loc, err, sizeof(err)), ST_OK);
    ck_assert_uint_eq(loc.group_id, l[0].loc.group_id);
    ck_assert_uint_eq(t_fake_applied(fk.st, STRATA__COMMAND__CMD_CREATE_SHARD_GROUP), 1);
    st_mcli_close(c);
}
END_TEST

START_TEST(test_mcli_fake_verdict_not_retried)
{
    const char *addrs[] = {t_fake_url(fk.f[0]), t_fake_url(fk.f[1])};
    st_mcli *c = client_open(addrs, 2, 5000, 0, NULL);
    CREATE_DB(c, "db", NULL);
    /* No data node: CreateShardGroup's verdict is UNAVAILABLE, committed;
     * the client must not propose it again elsewhere. */
    struct st_mcli_loc loc;
    char err[256] = "";
    uint64_t before = st_mcli_index(c);
    long long t = t_now_ms();
    int rv = st_mcli_locate(c, "db", NULL, 1, T0, &loc, err, sizeof(err));
    ck_assert_msg(rv == ST_EUNAVAIL, "%s: %s", st_strerror(rv), err);
    ck_assert_str_eq(err, "at least one node required");
    ck_assert_int_lt(t_now_ms() - t, 1000);
    /* The verdict took an index: read-your-writes as for a success, so the
     * watch's answer is in before close (it used to arrive during close). */
    ck_assert_uint_gt(st_mcli_index(c), before);
    ck_assert_uint_eq(t_fake_applied(fk.st, STRATA__COMMAND__CMD_CREATE_SHARD_GROUP), 1);
    st_mcli_close(c);
}
END_TEST

START_TEST(test_mcli_fake_not_leader_redirects)
{
    /* The client knows only A; A names B, a member it was not told about. */
    t_fake_set_mode(fk.f[0], T_FAKE_REDIRECT, t_fake_url(fk.f[1]));
    const char *addrs[] = {t_fake_url(fk.f[0])};
    st_mcli *c = client_open(addrs, 1, 5000, 0, NULL);
    CREATE_DB(c, "r1", NULL);
    ck_assert(has_db(c, "r1"));
    ck_assert_uint_eq(t_fake_requests(fk.f[1]), 1);
    /* The next command goes to B directly. */
    CREATE_DB(c, "r2", NULL);
    ck_assert_uint_eq(t_fake_requests(fk.f[1]), 2);
    st_mcli_close(c);
}
END_TEST

START_TEST(test_mcli_fake_no_leader_until_deadline)
{
    t_fake_set_mode(fk.f[0], T_FAKE_NO_LEADER, NULL);
    t_fake_set_mode(fk.f[1], T_FAKE_NO_LEADER, NULL);
    const char *addrs[] = {t_fake_url(fk.f[0]), t_fake_url(fk.f[1])};
    st_mcli *c = client_open(addrs, 2, 5000, 0, NULL);
    char err[512] = "";
    long long t = t_now_ms();
    int rv = create_db(c, "x", 1, 0, 1500, NULL, err, sizeof(err));
    long long ms = t_now_ms() - t;
    ck_assert_msg(rv == ST_ENOLEADER, "%s: %s", st_strerror(rv), err);
    ck_assert_msg(strstr(err, t_fake_url(fk.f[0])) && strstr(err, t_fake_url(fk.f[1])) &&
                      strstr(err, "no leader"),
                  "%s", err);
    ck_assert_msg(ms >= 1400 && ms < 2500, "%lld ms", ms);
    /* Both were asked more than once: it kept trying until the deadline. */
    ck_assert_uint_ge(t_fake_requests(fk.f[1]), 2);
    st_mcli_close(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("meta_client");
    TCase *tc = tcase_create("offline");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mcli_open_bad_options);
    tcase_add_test(tc, test_mcli_no_meta_node_answers);
    suite_add_tcase(s, tc);

    tc = tcase_create("fake");
    tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mcli_fake_locate_proposes_once);
    tcase_add_test(tc, test_mcli_fake_verdict_not_retried);
    tcase_add_test(tc, test_mcli_fake_not_leader_redirects);
    tcase_add_test(tc, test_mcli_fake_no_leader_until_deadline);
    suite_add_tcase(s, tc);

    tc = tcase_create("apply");
    tcase_add_checked_fixture(tc, NULL, cluster_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mcli_apply_seen_by_other_client);
    tcase_add_test(tc, test_mcli_apply_after_leader_killed);
    tcase_add_test(tc, test_mcli_majority_down);
    suite_add_tcase(s, tc);

    tc = tcase_create("locate");
    tcase_add_checked_fixture(tc, NULL, cluster_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mcli_locate_single_flight);
    tcase_add_test(tc, test_mcli_locate_placement_balanced);
    suite_add_tcase(s, tc);

    tc = tcase_create("register");
    tcase_add_checked_fixture(tc, NULL, cluster_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mcli_register_heartbeat);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
