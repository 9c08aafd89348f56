/* Data nodes in a cluster, with real processes: one strata-meta and two
 * strata-data started with --meta. They register and keep their id across
 * restarts, are marked DOWN when silent and UP when back, and drop the
 * shards the catalogue deletes (retention) or gives to another node. */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "catalogue.h"
#include "client.h"
#include "data.pb-c.h"
#include "err.h"
#include "proc.h"
#include "rpc.h"
#include "testlib.h"

#define NDATA 2

struct cluster {
    char *dir;
    char meta_url[64], meta_raft[64];
    pid_t meta;
    pid_t data[NDATA];
    char data_url[NDATA][64];
    char data_dir[NDATA][4096];
    st_mcli *mc;
};

static pid_t start_meta(struct cluster *c)
{
    char mdir[4200], ready[4200], log[4200], members[256];
    snprintf(mdir, sizeof(mdir), "%s/meta-1", c->dir);
    snprintf(ready, sizeof(ready), "%s/meta-1.ready", c->dir);
    snprintf(log, sizeof(log), "%s/meta-1.log", c->dir);
    snprintf(members, sizeof(members), "1=%s=%s", c->meta_raft, c->meta_url);
    unlink(ready);
    char *argv[] = {(char *)t_build_path("meta/strata-meta"),
                    "--id",
                    "1",
                    "--dir",
                    mdir,
                    "--raft",
                    c->meta_raft,
                    "--listen",
                    c->meta_url,
                    "--members",
                    members,
                    "--node-timeout-ms",
                    "1500",
                    "--retention-check-ms",
                    "300",
                    "--ready-file",
                    ready,
                    NULL};
    pid_t pid = t_proc_start(argv, log);
    ck_assert_msg(t_wait_file(ready, pid, 20000), "strata-meta did not start (see %s)", log);
    return pid;
}

static pid_t start_data(struct cluster *c, int i)
{
    char ready[4200], log[4200];
    snprintf(ready, sizeof(ready), "%s/data-%d.ready", c->dir, i + 1);
    snprintf(log, sizeof(log), "%s/data-%d.log", c->dir, i + 1);
    unlink(ready);
    char *argv[] = {(char *)t_build_path("data/strata-data"),
                    "--dir",
                    c->data_dir[i],
                    "--listen",
                    c->data_url[i],
                    "--meta",
                    c->meta_url,
                    "--heartbeat-ms",
                    "200",
                    "--drop-grace-ms",
                    "1000",
                    "--workers",
                    "4",
                    "--ready-file",
                    ready,
                    NULL};
    pid_t pid = t_proc_start(argv, log);
    ck_assert_msg(t_wait_file(ready, pid, 20000), "strata-data did not start (see %s)", log);
    return pid;
}

static void cluster_up(struct cluster *c)
{
    memset(c, 0, sizeof(*c));
    c->dir = t_tmpdir("strata-agent");
    ck_assert_ptr_nonnull(c->dir);
    snprintf(c->meta_url, sizeof(c->meta_url), "tcp://127.0.0.1:%d", t_free_port());
    snprintf(c->meta_raft, sizeof(c->meta_raft), "127.0.0.1:%d", t_free_port());
    c->meta = start_meta(c);
    for (int i = 0; i < NDATA; i++) {
        snprintf(c->data_url[i], sizeof(c->data_url[i]), "tcp://127.0.0.1:%d", t_free_port());
        snprintf(c->data_dir[i], sizeof(c->data_dir[i]), "%s/data-%d", c->dir, i + 1);
        c->data[i] = start_data(c, i);
    }
    const char *addrs[] = {c->meta_url};
    char err[256] = "";
    struct st_mcli_opts o = {.addrs = addrs, .naddrs = 1, .watch_ms = 1000};
    ck_assert_int_eq(st_mcli_open(&o, &c->mc, err, sizeof(err)), ST_OK);
}

static void cluster_down(struct cluster *c)
{
    st_mcli_close(c->mc);
    for (int i = 0; i < NDATA; i++)
        t_proc_kill(c->data[i], SIGTERM, true);
    t_proc_kill(c->meta, SIGTERM, true);
    if (getenv("ST_KEEP_TMP") == NULL)
        t_rmtree(c->dir);
    free(c->dir);
}

/* The catalogue node with @url, or NULL. */
static const Strata__DataNode *node_by_url(const Strata__Catalogue *cat, const char *url)
{
    for (size_t i = 0; i < cat->n_nodes; i++)
        if (strcmp(cat->nodes[i]->rpc_addr, url) == 0)
            return cat->nodes[i];
    return NULL;
}

/* Waits until data node @i is in the catalogue with @status; returns its id. */
static uint64_t wait_node(struct cluster *c, int i, Strata__NodeStatus status, int timeout_ms)
{
    long long end = t_now_ms() + timeout_ms;
    while (t_now_ms() < end) {
        const struct st_mcat *m = st_mcli_acquire(c->mc);
        if (m) {
            const Strata__DataNode *n = node_by_url(m->cat, c->data_url[i]);
            uint64_t id = n && n->status == status ? n->id : 0;
            st_mcli_release(c->mc, m);
            if (id)
                return id;
        }
        usleep(50000);
    }
    return 0;
}

static void apply(struct cluster *c, const Strata__Command *cmd, Strata__ApplyResponse **resp)
{
    char err[512] = "";
    int rv = st_mcli_apply(c->mc, cmd, 10000, resp, err, sizeof(err));
    ck_assert_msg(rv == ST_OK, "apply: %s: %s", st_strerror(rv), err);
}

static void create_db(struct cluster *c, const char *name)
{
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    rp.name = "short";
    rp.duration_ns = ST_CAT_HOUR_NS;
    rp.shard_group_duration_ns = ST_CAT_HOUR_NS;
    rp.replication_factor = 1;
    Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
    cd.name = (char *)name;
    cd.default_rp = &rp;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &cd;
    apply(c, &cmd, NULL);
}

static int shard_exists(struct cluster *c, int i, uint64_t shard)
{
    char path[4300];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/shards/%llu", c->data_dir[i], (unsigned long long)shard);
    return stat(path, &sb) == 0;
}

/* Writes one point of @g into @shard on data node @i through the data RPC. */
static void write_point(struct cluster *c, int i, const Strata__ShardGroup *g, uint64_t shard)
{
    char lp[128];
    snprintf(lp, sizeof(lp), "m,host=a v=1 %lld\n", (long long)g->start_ns + 1);
    Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
    wb.shard_id = shard;
    wb.shard_group_id = g->id;
    wb.database = g->database;
    wb.retention_policy = g->retention_policy;
    wb.group_start_ns = g->start_ns;
    wb.group_end_ns = g->end_ns;
    wb.points.data = (uint8_t *)lp;
    wb.points.len = strlen(lp);
    wb.point_count = 1;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    dr.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
    dr.write_batch = &wb;
    struct st_buf req, resp;
    st_buf_init(&req);
    st_buf_init(&resp);
    ck_assert_int_eq(st_buf_reserve(&req, strata__data_request__get_packed_size(&dr)), ST_OK);
    req.len = strata__data_request__pack(&dr, (uint8_t *)req.p);
    st_rpc_client *rc;
    ck_assert_int_eq(st_rpc_client_open(c->data_url[i], &rc), ST_OK);
    ck_assert_int_eq(st_rpc_call(rc, req.p, req.len, 5000, &resp), ST_OK);
    Strata__DataResponse *r =
        strata__data_response__unpack(NULL, resp.len, (const uint8_t *)resp.p);
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(r->error == NULL || r->error->code == STRATA__ERROR_CODE__OK, "write: %s",
                  r->error ? r->error->message : "");
    ck_assert_uint_eq(r->write_batch->points_written, 1);
    strata__data_response__free_unpacked(r, NULL);
    st_rpc_client_close(rc);
    st_buf_fini(&req);
    st_buf_fini(&resp);
}

static int node_index(struct cluster *c, const Strata__Catalogue *cat, uint64_t id)
{
    const Strata__DataNode *n = st_cat_node(cat, id);
    for (int i = 0; n && i < NDATA; i++)
        if (strcmp(n->rpc_addr, c->data_url[i]) == 0)
            return i;
    return -1;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits until @pred(c, i, shard) is @want; true if it became so. */
static int wait_shard(struct cluster *c, int i, uint64_t shard, int want, int timeout_ms)
{
    long long end = t_now_ms() + timeout_ms;
    while (t_now_ms() < end) {
        if (shard_exists(c, i, shard) == want)
            return 1;
        usleep(50000);
    }
    return shard_exists(c, i, shard) == want;
}

START_TEST(registers_and_keeps_its_id)
{
    struct cluster c;
    cluster_up(&c);
    uint64_t id[NDATA];
    for (int i = 0; i < NDATA; i++) {
        id[i] = wait_node(&c, i, STRATA__NODE_STATUS__UP, 15000);
        ck_assert_msg(id[i] != 0, "data node %d did not register", i + 1);
    }
    ck_assert_uint_ne(id[0], id[1]);

    /* Silent for longer than --node-timeout-ms: DOWN, not removed. */
    t_proc_kill(c.data[0], SIGKILL, true);
    ck_assert_uint_eq(wait_node(&c, 0, STRATA__NODE_STATUS__DOWN, 15000), id[0]);

    /* Back from the same directory: the same node, UP again. */
    c.data[0] = start_data(&c, 0);
    ck_assert_uint_eq(wait_node(&c, 0, STRATA__NODE_STATUS__UP, 15000), id[0]);
    const struct st_mcat *m = st_mcli_acquire(c.mc);
    ck_assert_uint_eq(m->cat->n_nodes, NDATA);
    st_mcli_release(c.mc, m);
    cluster_down(&c);
}
END_TEST

START_TEST(drops_deleted_and_moved_shards)
{
    struct cluster c;
    cluster_up(&c);
    for (int i = 0; i < NDATA; i++)
        ck_assert_uint_ne(wait_node(&c, i, STRATA__NODE_STATUS__UP, 15000), 0);
    create_db(&c, "db");

    /* A live group and one older than the policy's 1 h retention. */
    char err[512] = "";
    struct st_mcli_loc live, old;
    int64_t now = wall_ns();
    ck_assert_int_eq(st_mcli_locate(c.mc, "db", "", 1, now, &live, err, sizeof(err)), ST_OK);
    /* The old group is created before retention can see it: 3 h back, a
     * check every 300 ms deletes it soon after, so write right away. */
    ck_assert_int_eq(
        st_mcli_locate(c.mc, "db", "", 1, now - 3 * ST_CAT_HOUR_NS, &old, err, sizeof(err)), ST_OK);

    const struct st_mcat *m = st_mcli_acquire(c.mc);
    const Strata__ShardGroup *gl = st_cat_group(m->cat, live.group_id);
    const Strata__ShardGroup *go = st_cat_group(m->cat, old.group_id);
    ck_assert_ptr_nonnull(gl);
    ck_assert_ptr_nonnull(go);
    ck_assert_uint_eq(gl->n_shards, NDATA); /* one shard per live node */
    uint64_t live_shard[NDATA], old_shard[NDATA];
    int live_owner[NDATA], old_owner[NDATA];
    for (size_t s = 0; s < NDATA; s++) {
        live_shard[s] = gl->shards[s]->id;
        live_owner[s] = node_index(&c, m->cat, gl->shards[s]->owners[0]);
        ck_assert_int_ge(live_owner[s], 0);
        write_point(&c, live_owner[s], gl, live_shard[s]);
        old_shard[s] = go->shards[s]->id;
        old_owner[s] = node_index(&c, m->cat, go->shards[s]->owners[0]);
        ck_assert_int_ge(old_owner[s], 0);
        if (!go->deleted)
            write_point(&c, old_owner[s], go, old_shard[s]);
    }
    /* A shard meta has never heard of (written without meta) stays. */
    uint64_t stranger = 1000000;
    write_point(&c, 0, gl, stranger);
    st_mcli_release(c.mc, m);

    /* Retention deletes the old group; its owners drop its shards. */
    for (size_t s = 0; s < NDATA; s++)
        ck_assert_msg(wait_shard(&c, old_owner[s], old_shard[s], 0, 15000),
                      "shard %llu of the expired group is still on data-%d",
                      (unsigned long long)old_shard[s], old_owner[s] + 1);

    /* Move the first live shard to the other node: after the grace period
     * the old owner drops it; the other live shard stays where it is. */
    int from = live_owner[0], to = 1 - from;
    m = st_mcli_acquire(c.mc);
    uint64_t to_id = 0;
    for (size_t i = 0; i < m->cat->n_nodes; i++)
        if (strcmp(m->cat->nodes[i]->rpc_addr, c.data_url[to]) == 0)
            to_id = m->cat->nodes[i]->id;
    st_mcli_release(c.mc, m);
    Strata__SetShardOwners so = STRATA__SET_SHARD_OWNERS__INIT;
    so.shard_id = live_shard[0];
    so.n_owners = 1;
    so.owners = &to_id;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_SET_SHARD_OWNERS;
    cmd.set_shard_owners = &so;
    apply(&c, &cmd, NULL);
    ck_assert_msg(wait_shard(&c, from, live_shard[0], 0, 15000),
                  "data-%d kept shard %llu after it was moved", from + 1,
                  (unsigned long long)live_shard[0]);
    ck_assert(shard_exists(&c, live_owner[1], live_shard[1]));
    ck_assert(shard_exists(&c, 0, stranger));
    cluster_down(&c);
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("data_agent");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, registers_and_keeps_its_id);
    tcase_add_test(tc, drops_deleted_and_moved_shards);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
