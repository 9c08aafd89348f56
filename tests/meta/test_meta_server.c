/* End-to-end tests of strata-meta: real processes on loopback, spoken to over the meta RPC. */
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalogue.h"
#include "err.h"
#include "mcluster.h"
#include "proc.h"
#include "testlib.h"

#define FAILOVER_MAX_MS 3000 /* the target for a new leader after SIGKILL, default timeouts */

static struct cluster *C; /* the current test's cluster, for teardown */

/* mc_new(), remembered for teardown. */
static struct cluster *cluster_new(int n, int nboot, const char *const *extra)
{
    C = mc_new(n, nboot, extra);
    return C;
}

static void teardown(void)
{
    mc_free(C);
    C = NULL;
}

/* ---- a. failover under load ---------------------------------------------------- */

#define FAILOVER_DBS 4096

struct writer {
    struct cluster *c;
    atomic_bool stop;
    atomic_int acked_count;
    bool acked[FAILOVER_DBS];
    int refused; /* non-retryable errors: must stay 0 */
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    st_rpc_client *cli[MAXN];
    for (int i = 0; i < w->c->n; i++)
        if (st_rpc_client_open(w->c->nodes[i].url, &cli[i]) != ST_OK)
            return NULL;
    int k = 0;
    for (int i = 0; i < FAILOVER_DBS && !atomic_load(&w->stop); i++) {
        char name[32];
        snprintf(name, sizeof(name), "db_%d", i);
        while (!atomic_load(&w->stop)) {
            /* Any node: the writer does not know who leads or who died. */
            Strata__MetaResponse *r = mc_create_db(cli[k % w->c->n], name, 1000);
            int rc = mc_code(r);
            mc_free_resp(r);
            if (rc == 0) {
                w->acked[i] = true;
                atomic_fetch_add(&w->acked_count, 1);
                break;
            }
            if (!mc_retryable(rc)) {
                w->refused++;
                break;
            }
            k++;
            mc_sleep_ms(5);
        }
    }
    for (int i = 0; i < w->c->n; i++)
        st_rpc_client_close(cli[i]);
    return NULL;
}

static void wait_acks(struct writer *w, int n, int ms)
{
    long long end = t_now_ms() + ms;
    while (atomic_load(&w->acked_count) < n && t_now_ms() < end)
        mc_sleep_ms(10);
    ck_assert_int_ge(atomic_load(&w->acked_count), n);
}

START_TEST(test_failover)
{
    struct cluster *c = cluster_new(3, 3, NULL); /* default timeouts: election 500 ms */
    mc_start(c);
    mc_ready(c);

    struct writer *w = calloc(1, sizeof(*w));
    w->c = c;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, w), 0);
    wait_acks(w, 30, 20000);

    int old = mc_find_leader(c, LEADER_MS, CALL_MS);
    ck_assert_int_ge(old, 0);
    long long t0 = t_now_ms();
    mc_stop_node(c, old, SIGKILL);
    int leader = mc_find_leader(c, 20000, 300);
    long long failover = t_now_ms() - t0;
    ck_assert_int_ge(leader, 0);
    fprintf(stderr,
            "test_meta_server: failover after SIGKILL of leader %d: %lld ms (new leader %d)\n",
            old + 1, failover, leader + 1);

    int before = atomic_load(&w->acked_count);
    wait_acks(w, before + 30, 20000);
    atomic_store(&w->stop, true);
    pthread_join(th, NULL);
    ck_assert_int_eq(w->refused, 0);

    /* Both survivors hold every acknowledged database. */
    struct st_buf cat;
    st_buf_init(&cat);
    ck_assert_msg(mc_converge(c, NULL, &cat, 20000), "survivors did not converge");
    Strata__Catalogue *k = mc_decode_cat(&cat);
    int missing = 0, acked = 0;
    for (int i = 0; i < FAILOVER_DBS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "db_%d", i);
        if (w->acked[i]) {
            acked++;
            missing += st_cat_database(k, name) == NULL;
        }
    }
    fprintf(stderr, "test_meta_server: %d databases acknowledged, %d missing, index %" PRIu64 "\n",
            acked, missing, k->index);
    ck_assert_int_eq(missing, 0);
    strata__catalogue__free_unpacked(k, NULL);

    /* The killed node restarts from its directory and catches up. */
    mc_start_node(c, old);
    struct st_buf again;
    st_buf_init(&again);
    ck_assert_msg(mc_converge(c, &cat, &again, 30000), "restarted node did not catch up");
    st_buf_fini(&again);
    st_buf_fini(&cat);
    free(w);
    ck_assert_int_lt(failover, FAILOVER_MAX_MS);
}
END_TEST

/* ---- b. snapshots and restarts -------------------------------------------------- */

static int count_snapshots(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strncmp(e->d_name, "snapshot-", 9) == 0;
    closedir(d);
    return n;
}

START_TEST(test_snapshot_restart)
{
    static const char *const extra[] = {"--snapshot-threshold", "64", "--snapshot-trailing", "16",
                                        NULL};
    struct cluster *c = cluster_new(3, 3, extra);
    mc_start(c);
    int leader = mc_ready(c);
    int failed = 0;
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof(name), "snap_%03d", i);
        Strata__Command cmd = STRATA__COMMAND__INIT;
        Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
        cd.name = name;
        cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
        cmd.create_database = &cd;
        Strata__MetaResponse *r = mc_apply_any(c, &cmd, 10000);
        failed += mc_code(r) != 0;
        mc_free_resp(r);
    }
    ck_assert_int_eq(failed, 0);
    struct st_buf before, after;
    st_buf_init(&before);
    st_buf_init(&after);
    ck_assert(mc_converge(c, NULL, &before, 20000));
    Strata__Catalogue *k = mc_decode_cat(&before);
    ck_assert_uint_eq(k->n_databases, 300);
    uint64_t index = k->index;
    strata__catalogue__free_unpacked(k, NULL);
    for (int i = 0; i < 3; i++)
        ck_assert_int_ge(count_snapshots(c->nodes[i].dir), 1);

    /* One follower: clean stop, restart from snapshot + log. */
    int f = (leader + 1) % 3;
    mc_stop_node(c, f, SIGTERM);
    mc_start_node(c, f);
    ck_assert_msg(mc_converge(c, &before, &after, 20000), "follower restart changed the catalogue");

    /* The whole cluster. */
    for (int i = 0; i < 3; i++)
        mc_stop_node(c, i, SIGTERM);
    mc_start(c);
    ck_assert_msg(mc_converge(c, &before, &after, 30000), "cluster restart changed the catalogue");
    ck_assert_uint_eq(mc_index(c->nodes[0].cli), index);
    /* And it still takes changes. */
    Strata__MetaResponse *r = mc_create_db(c->nodes[0].cli, "after_restart", 10000);
    for (long long end = t_now_ms() + 15000; mc_retryable(mc_code(r)) && t_now_ms() < end;) {
        mc_free_resp(r);
        mc_sleep_ms(50);
        r = mc_create_db(c->nodes[0].cli, "after_restart", 10000);
    }
    ck_assert_int_eq(mc_code(r), 0);
    ck_assert_uint_gt(r->apply->index, index);
    mc_free_resp(r);
    st_buf_fini(&before);
    st_buf_fini(&after);
}
END_TEST

/* ---- c. concurrent CreateShardGroup ------------------------------------------------ */

struct racer {
    const char *url;
    pthread_barrier_t *go;
    int64_t t;
    int code;
    uint64_t group;
};

static void *racer_main(void *arg)
{
    struct racer *rc = arg;
    st_rpc_client *cli;
    rc->code = -2;
    if (st_rpc_client_open(rc->url, &cli) != ST_OK)
        return NULL;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__CreateShardGroup sg = STRATA__CREATE_SHARD_GROUP__INIT;
    sg.database = (char *)"race";
    sg.timestamp_ns = rc->t;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_SHARD_GROUP;
    cmd.create_shard_group = &sg;
    /* Warm the connection so that both requests leave at once. */
    mc_free_resp(mc_get_cat(cli, CALL_MS));
    pthread_barrier_wait(rc->go);
    long long end = t_now_ms() + 15000;
    Strata__MetaResponse *r;
    while (mc_retryable(rc->code = mc_code(r = mc_apply(cli, &cmd, 5000))) && t_now_ms() < end) {
        mc_free_resp(r);
        mc_sleep_ms(20);
    }
    if (rc->code == 0 && r->apply && r->apply->shard_group)
        rc->group = r->apply->shard_group->id;
    mc_free_resp(r);
    st_rpc_client_close(cli);
    return NULL;
}

START_TEST(test_concurrent_shard_group)
{
    struct cluster *c = cluster_new(3, 3, NULL);
    mc_start(c);
    int leader = mc_ready(c);
    Strata__MetaResponse *r = mc_create_db(c->nodes[0].cli, "race", 10000);
    ck_assert_int_eq(mc_code(r), 0);
    mc_free_resp(r);
    r = mc_register(c->nodes[1].cli, 0, "tcp://127.0.0.1:1", 10000);
    ck_assert_int_eq(mc_code(r), 0);
    ck_assert_uint_gt(r->register_node->node_id, 0);
    mc_free_resp(r);

    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    int64_t t = 1700000000LL * 1000000000LL + 12345;
    struct racer a = {c->nodes[leader].url, &go, t, 0, 0};
    struct racer b = {c->nodes[(leader + 1) % 3].url, &go, t, 0, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, racer_main, &a);
    pthread_create(&tb, NULL, racer_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&go);
    ck_assert_int_eq(a.code, 0);
    ck_assert_int_eq(b.code, 0);
    ck_assert_uint_gt(a.group, 0);
    ck_assert_uint_eq(a.group, b.group);

    struct st_buf raw;
    st_buf_init(&raw);
    ck_assert(mc_converge(c, NULL, &raw, 10000));
    Strata__Catalogue *k = mc_decode_cat(&raw);
    ck_assert_uint_eq(k->n_shard_groups, 1);
    ck_assert_uint_eq(k->shard_groups[0]->id, a.group);
    ck_assert(st_cat_group_covers(k->shard_groups[0], t));
    strata__catalogue__free_unpacked(k, NULL);
    st_buf_fini(&raw);
}
END_TEST

/* ---- d. a majority down ----------------------------------------------------------- */

START_TEST(test_minority)
{
    static const char *const extra[] = {"--apply-timeout-ms", "2000", NULL};
    struct cluster *c = cluster_new(3, 3, extra);
    mc_start(c);
    int leader = mc_ready(c);
    Strata__MetaResponse *r = mc_create_db(c->nodes[leader].cli, "kept", 10000);
    ck_assert_int_eq(mc_code(r), 0);
    uint64_t index = r->apply->index;
    mc_free_resp(r);
    struct st_buf raw;
    st_buf_init(&raw);
    ck_assert(mc_converge(c, NULL, &raw, 10000));

    /* Kill both followers: the survivor is the leader, without a quorum. */
    for (int i = 0; i < 3; i++)
        if (i != leader)
            mc_stop_node(c, i, SIGKILL);
    st_rpc_client *cli = c->nodes[leader].cli;
    long long t0 = t_now_ms();
    r = mc_create_db(cli, "lost", 2000 + 4000);
    long long took = t_now_ms() - t0;
    int rc = mc_code(r);
    fprintf(stderr, "test_meta_server: apply without quorum: code %d after %lld ms: %s\n", rc, took,
            mc_message(r));
    ck_assert_msg(rc == STRATA__ERROR_CODE__NO_LEADER || rc == STRATA__ERROR_CODE__UNAVAILABLE ||
                      rc == STRATA__ERROR_CODE__TIMEOUT,
                  "code %d", rc);
    ck_assert_str_ne(mc_message(r), "");
    ck_assert_int_lt(took, 2000 + 2000);
    mc_free_resp(r);

    /* Reads still work from the survivor and hold what was committed. */
    Strata__MetaResponse *g = mc_get_cat(cli, CALL_MS);
    ck_assert_int_eq(mc_code(g), 0);
    ck_assert_ptr_nonnull(st_cat_database(g->get_catalogue->catalogue, "kept"));
    ck_assert_ptr_null(st_cat_database(g->get_catalogue->catalogue, "lost"));
    ck_assert_uint_ge(g->get_catalogue->catalogue->index, index);
    mc_free_resp(g);

    /* Once it stepped down: NO_LEADER at once, in words. */
    long long end = t_now_ms() + 10000;
    do {
        t0 = t_now_ms();
        r = mc_create_db(cli, "lost", 6000);
        took = t_now_ms() - t0;
        rc = mc_code(r);
        if (rc != STRATA__ERROR_CODE__NO_LEADER)
            mc_free_resp(r);
    } while (rc != STRATA__ERROR_CODE__NO_LEADER && t_now_ms() < end);
    ck_assert_int_eq(rc, STRATA__ERROR_CODE__NO_LEADER);
    ck_assert_ptr_nonnull(strstr(mc_message(r), "no meta leader"));
    ck_assert_int_lt(took, 1000);
    mc_free_resp(r);
    st_buf_fini(&raw);
}
END_TEST

/* ---- e. data node liveness ---------------------------------------------------------- */

/* Status of data node @id as node @cli sees it. */
static int node_status(st_rpc_client *cli, uint64_t id)
{
    Strata__MetaResponse *r = mc_get_cat(cli, CALL_MS);
    int st = -1;
    if (mc_code(r) == 0) {
        const Strata__DataNode *n = st_cat_node(r->get_catalogue->catalogue, id);
        st = n ? (int)n->status : -1;
    }
    mc_free_resp(r);
    return st;
}

static long long wait_status(st_rpc_client *cli, uint64_t id, int want, int ms)
{
    long long t0 = t_now_ms(), end = t0 + ms;
    while (node_status(cli, id) != want) {
        if (t_now_ms() >= end)
            return -1;
        mc_sleep_ms(50);
    }
    return t_now_ms() - t0;
}

START_TEST(test_liveness)
{
    static const char *const extra[] = {"--node-timeout-ms", "1500", NULL};
    struct cluster *c = cluster_new(3, 3, extra);
    mc_start(c);
    int leader = mc_ready(c);
    st_rpc_client *f = c->nodes[(leader + 1) % 3].cli; /* a follower: forwards */

    Strata__MetaResponse *r = mc_register(f, 0, "tcp://127.0.0.1:1", 10000);
    ck_assert_int_eq(mc_code(r), 0);
    uint64_t id = r->register_node->node_id;
    ck_assert_uint_gt(id, 0);
    const Strata__DataNode *n = st_cat_node(r->register_node->catalogue, id);
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(n->status, STRATA__NODE_STATUS__UP);
    ck_assert_str_eq(n->rpc_addr, "tcp://127.0.0.1:1");
    uint64_t index = r->register_node->catalogue->index;
    mc_free_resp(r);

    /* Re-registering the same address gives the same id, without an entry. */
    r = mc_register(f, id, "tcp://127.0.0.1:1", 10000);
    ck_assert_int_eq(mc_code(r), 0);
    ck_assert_uint_eq(r->register_node->node_id, id);
    ck_assert_uint_eq(r->register_node->catalogue->index, index);
    mc_free_resp(r);

    /* Heartbeats are not raft entries. */
    int bad = 0;
    long long last_hb = 0;
    for (int i = 0; i < 5; i++) {
        if (i > 0)
            mc_sleep_ms(200);
        r = mc_heartbeat(f, id, 0, CALL_MS);
        last_hb = t_now_ms();
        bad += mc_code(r) != 0 || r->heartbeat == NULL || r->heartbeat->catalogue_index != index;
        mc_free_resp(r);
    }
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(node_status(f, id), STRATA__NODE_STATUS__UP);

    /* Silence -> DOWN after the node timeout (1.5 s) plus a tick or two. */
    ck_assert_int_ge(wait_status(f, id, STRATA__NODE_STATUS__DOWN, 10000), 0);
    long long down = t_now_ms() - last_hb;
    fprintf(stderr, "test_meta_server: data node DOWN %lld ms after its last heartbeat\n", down);
    ck_assert_int_ge(down, 1500);
    ck_assert_int_lt(down, 5000);

    /* A heartbeat -> UP again. */
    r = mc_heartbeat(f, id, 0, 10000);
    ck_assert_int_eq(mc_code(r), 0);
    ck_assert_uint_gt(r->heartbeat->catalogue_index, index);
    mc_free_resp(r);
    ck_assert_int_ge(wait_status(f, id, STRATA__NODE_STATUS__UP, 5000), 0);

    /* Unknown ids. */
    r = mc_heartbeat(f, UNKNOWN_NODE, 0, CALL_MS);
    ck_assert_int_eq(mc_code(r), STRATA__ERROR_CODE__NOT_FOUND);
    ck_assert_str_eq(mc_message(r), "data node 424242 is not in the catalogue");
    mc_free_resp(r);
    r = mc_register(f, UNKNOWN_NODE, "tcp://127.0.0.1:2", CALL_MS);
    ck_assert_int_eq(mc_code(r), STRATA__ERROR_CODE__NOT_FOUND);
    mc_free_resp(r);
}
END_TEST

/* ---- f. retention, on a single-node cluster ----------------------------------------- */

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t create_group(st_rpc_client *cli, int64_t t)
{
    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__CreateShardGroup sg = STRATA__CREATE_SHARD_GROUP__INIT;
    sg.database = (char *)"ret";
    sg.timestamp_ns = t;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_SHARD_GROUP;
    cmd.create_shard_group = &sg;
    Strata__MetaResponse *r = mc_apply(cli, &cmd, 10000);
    ck_assert_int_eq(mc_code(r), 0);
    ck_assert_ptr_nonnull(r->apply->shard_group);
    uint64_t id = r->apply->shard_group->id;
    mc_free_resp(r);
    return id;
}

START_TEST(test_retention_single_node)
{
    static const char *const extra[] = {"--retention-check-ms", "300", NULL};
    struct cluster *c = cluster_new(1, 1, extra);
    mc_start(c);
    ck_assert_int_eq(mc_ready(c), 0);
    st_rpc_client *cli = c->nodes[0].cli;

    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    rp.name = (char *)"hour";
    rp.duration_ns = ST_CAT_HOUR_NS;
    rp.shard_group_duration_ns = ST_CAT_HOUR_NS;
    rp.replication_factor = 1;
    cd.name = (char *)"ret";
    cd.default_rp = &rp;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &cd;
    Strata__MetaResponse *r = mc_apply(cli, &cmd, 10000);
    ck_assert_int_eq(mc_code(r), 0);
    mc_free_resp(r);
    r = mc_register(cli, 0, "tcp://127.0.0.1:1", 10000);
    ck_assert_int_eq(mc_code(r), 0);
    mc_free_resp(r);

    int64_t now = wall_ns();
    long long t0 = t_now_ms();
    uint64_t old = create_group(cli, now - 3 * ST_CAT_HOUR_NS);
    uint64_t cur = create_group(cli, now);
    ck_assert_uint_ne(old, cur);

    bool deleted = false;
    for (long long end = t_now_ms() + 10000; !deleted && t_now_ms() < end;) {
        Strata__MetaResponse *g = mc_get_cat(cli, CALL_MS);
        if (mc_code(g) == 0) {
            const Strata__ShardGroup *og = st_cat_group(g->get_catalogue->catalogue, old);
            deleted = og != NULL && og->deleted && og->deleted_at_ns >= now;
            const Strata__ShardGroup *cg = st_cat_group(g->get_catalogue->catalogue, cur);
            ck_assert(cg != NULL && !cg->deleted);
        }
        mc_free_resp(g);
        if (!deleted)
            mc_sleep_ms(50);
    }
    long long took = t_now_ms() - t0;
    fprintf(stderr, "test_meta_server: expired group deleted after %lld ms\n", took);
    ck_assert(deleted);
    ck_assert_int_lt(took, 3000);
}
END_TEST

/* ---- g. adding a voter ---------------------------------------------------------------- */

START_TEST(test_add_voter)
{
    struct cluster *c = cluster_new(4, 3, NULL); /* node 4 starts without --members */
    mc_start(c);
    mc_ready(c);
    int failed = 0;
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "v%d", i);
        Strata__MetaResponse *r = mc_create_db(c->nodes[i % 3].cli, name, 10000);
        failed += mc_code(r) != 0;
        mc_free_resp(r);
    }
    ck_assert_int_eq(failed, 0);
    ck_assert_uint_eq(mc_index(c->nodes[3].cli), 0); /* empty, waiting */

    Strata__MetaRequest q = STRATA__META_REQUEST__INIT;
    Strata__MembershipRequest m = STRATA__MEMBERSHIP_REQUEST__INIT;
    Strata__MetaMember mm = STRATA__META_MEMBER__INIT;
    mm.id = 4;
    mm.raft_addr = c->nodes[3].raft;
    mm.rpc_addr = c->nodes[3].url;
    m.op = STRATA__MEMBERSHIP_OP__ADD_VOTER;
    m.member = &mm;
    q.req_case = STRATA__META_REQUEST__REQ_MEMBERSHIP;
    q.membership = &m;
    Strata__MetaResponse *r = mc_call(c->nodes[1].cli, &q, 30000);
    ck_assert_msg(mc_code(r) == 0, "ADD_VOTER: %d %s", mc_code(r), mc_message(r));
    ck_assert_uint_eq(r->membership->n_members, 4);
    ck_assert_uint_eq(r->membership->members[3]->id, 4);
    ck_assert_str_eq(r->membership->members[3]->rpc_addr, c->nodes[3].url);
    mc_free_resp(r);

    struct st_buf raw;
    st_buf_init(&raw);
    ck_assert_msg(mc_converge(c, NULL, &raw, 20000), "the new member did not catch up");
    Strata__Catalogue *k = mc_decode_cat(&raw);
    ck_assert_ptr_nonnull(st_cat_database(k, "v4"));
    ck_assert_uint_eq(k->n_meta_members, 4);
    strata__catalogue__free_unpacked(k, NULL);
    /* It forwards changes like any member. */
    r = mc_create_db(c->nodes[3].cli, "via_new", 10000);
    ck_assert_int_eq(mc_code(r), 0);
    mc_free_resp(r);
    st_buf_fini(&raw);
}
END_TEST

/* ---- Bad requests over the wire ---------------------------------------------------------- */

START_TEST(test_bad_requests)
{
    struct cluster *c = cluster_new(1, 1, NULL);
    mc_start(c);
    ck_assert_int_eq(mc_ready(c), 0);
    st_rpc_client *cli = c->nodes[0].cli;

    struct st_buf resp;
    st_buf_init(&resp);
    ck_assert_int_eq(st_rpc_call(cli, "\xff\xff\xff", 3, CALL_MS, &resp), ST_OK);
    Strata__MetaResponse *r = strata__meta_response__unpack(NULL, resp.len, (uint8_t *)resp.p);
    ck_assert_int_eq(mc_code(r), STRATA__ERROR_CODE__PROTOCOL_ERROR);
    mc_free_resp(r);
    st_buf_fini(&resp);

    Strata__MetaRequest q = STRATA__META_REQUEST__INIT;
    r = mc_call(cli, &q, CALL_MS);
    ck_assert_int_eq(mc_code(r), STRATA__ERROR_CODE__PROTOCOL_ERROR);
    ck_assert_str_eq(mc_message(r), "MetaRequest: no request set");
    mc_free_resp(r);

    Strata__ApplyRequest a = STRATA__APPLY_REQUEST__INIT;
    q.req_case = STRATA__META_REQUEST__REQ_APPLY;
    q.apply = &a;
    r = mc_call(cli, &q, CALL_MS);
    ck_assert_int_eq(mc_code(r), STRATA__ERROR_CODE__INVALID_ARGUMENT);
    mc_free_resp(r);

    /* A command the catalogue refuses: its code and InfluxDB's words. */
    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__CreateShardGroup sg = STRATA__CREATE_SHARD_GROUP__INIT;
    sg.database = (char *)"nope";
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_SHARD_GROUP;
    cmd.create_shard_group = &sg;
    r = mc_apply(cli, &cmd, 10000);
    ck_assert_int_eq(mc_code(r), STRATA__ERROR_CODE__NOT_FOUND);
    ck_assert_str_eq(mc_message(r), "database not found: nope");
    mc_free_resp(r);

    /* Watch: times out unchanged, or answers at once when behind. */
    uint64_t index = mc_index(cli);
    Strata__WatchRequest wr = STRATA__WATCH_REQUEST__INIT;
    wr.after_index = index;
    wr.timeout_ms = 300;
    q.req_case = STRATA__META_REQUEST__REQ_WATCH;
    q.watch = &wr;
    long long t0 = t_now_ms();
    r = mc_call(cli, &q, CALL_MS);
    ck_assert_int_eq(mc_code(r), 0);
    ck_assert(!r->watch->changed);
    ck_assert_int_ge(t_now_ms() - t0, 250);
    mc_free_resp(r);
    wr.after_index = index - 1;
    r = mc_call(cli, &q, CALL_MS);
    ck_assert(r->watch->changed);
    ck_assert_uint_eq(r->watch->catalogue->index, index);
    mc_free_resp(r);

    /* GetCatalogue ahead of the node: STALE_CATALOGUE. */
    Strata__GetCatalogueRequest g = STRATA__GET_CATALOGUE_REQUEST__INIT;
    g.min_index = index + 100;
    q.req_case = STRATA__META_REQUEST__REQ_GET_CATALOGUE;
    q.get_catalogue = &g;
    r = mc_call(cli, &q, CALL_MS);
    ck_assert_int_eq(mc_code(r), STRATA__ERROR_CODE__STALE_CATALOGUE);
    mc_free_resp(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("meta_server");
    struct {
        const char *name;
        const TTest *fn;
    } cases[] = {
        {"failover", test_failover},
        {"snapshot", test_snapshot_restart},
        {"concurrent", test_concurrent_shard_group},
        {"minority", test_minority},
        {"liveness", test_liveness},
        {"retention", test_retention_single_node},
        {"add_voter", test_add_voter},
        {"bad_requests", test_bad_requests},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return t_run_suite(suite());
}
