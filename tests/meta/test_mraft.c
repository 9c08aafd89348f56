/* Tests of st_mraft: real raft_uv servers, three or four in one process, on 127.0.0.1. */
#include "mraft.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "testlib.h"

#ifndef ELECTION_MS
#define ELECTION_MS 300 /* -DELECTION_MS=1000 to measure production timings */
#endif
#define HEARTBEAT_MS 50
#define APPLY_MS 5000
#define MAXNODES 4

/* ---- A toy FSM: an array of the int64 values applied, with their index --- */

struct toy {
    pthread_mutex_t mu;
    int64_t *vals; /* values in apply order */
    uint64_t *idx; /* log index of each */
    size_t n, cap;
    uint64_t max_term; /* largest term seen by apply */
    unsigned restores; /* restore calls */
};

static int toy_push(struct toy *t, int64_t v, uint64_t index)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        int64_t *vals = realloc(t->vals, cap * sizeof(*vals));
        if (vals == NULL)
            return ST_ENOMEM;
        t->vals = vals;
        uint64_t *idx = realloc(t->idx, cap * sizeof(*idx));
        if (idx == NULL)
            return ST_ENOMEM;
        t->idx = idx;
        t->cap = cap;
    }
    t->vals[t->n] = v;
    t->idx[t->n] = index;
    t->n++;
    return ST_OK;
}

/* Result: a malloc'ed size_t, the number of values after this one. */
static int toy_apply(void *arg, uint64_t index, uint64_t term, const void *buf, size_t len,
                     void **result)
{
    struct toy *t = arg;
    int64_t v;
    /* An int64 value, then (test_mraft_odd_sizes) a tail of any length
     * whose byte k is (uint8_t)(v + k): an entry read at a wrong offset
     * fails here. */
    ck_assert_uint_ge(len, sizeof(v));
    memcpy(&v, buf, sizeof(v));
    for (size_t k = sizeof(v); k < len; k++)
        ck_assert_uint_eq(((const uint8_t *)buf)[k], (uint8_t)(v + (int64_t)k));
    pthread_mutex_lock(&t->mu);
    int rv = toy_push(t, v, index);
    if (term > t->max_term)
        t->max_term = term;
    size_t *res = malloc(sizeof(*res));
    if (res != NULL)
        *res = t->n;
    pthread_mutex_unlock(&t->mu);
    *result = res;
    return rv;
}

/* Snapshot: u64 count, then count × (i64 value, u64 index), host order. */
static int toy_snapshot(void *arg, struct st_buf *out)
{
    struct toy *t = arg;
    pthread_mutex_lock(&t->mu);
    uint64_t n = t->n;
    int rv = st_buf_append(out, &n, sizeof(n));
    for (size_t i = 0; rv == ST_OK && i < t->n; i++) {
        rv = st_buf_append(out, &t->vals[i], sizeof(int64_t));
        if (rv == ST_OK)
            rv = st_buf_append(out, &t->idx[i], sizeof(uint64_t));
    }
    pthread_mutex_unlock(&t->mu);
    return rv;
}

static int toy_restore(void *arg, const void *buf, size_t len)
{
    struct toy *t = arg;
    const char *p = buf;
    uint64_t n;
    if (len < sizeof(n))
        return ST_ECORRUPT;
    memcpy(&n, p, sizeof(n));
    if (len != sizeof(n) + n * 16)
        return ST_ECORRUPT;
    pthread_mutex_lock(&t->mu);
    t->n = 0;
    for (uint64_t i = 0; i < n; i++) {
        int64_t v;
        uint64_t index;
        memcpy(&v, p + 8 + i * 16, 8);
        memcpy(&index, p + 16 + i * 16, 8);
        ck_assert_int_eq(toy_push(t, v, index), ST_OK);
    }
    t->restores++;
    pthread_mutex_unlock(&t->mu);
    return ST_OK;
}

static void toy_free_result(void *arg, void *result)
{
    (void)arg;
    free(result);
}

static size_t toy_count(struct toy *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->n;
    pthread_mutex_unlock(&t->mu);
    return n;
}

/* ---- The cluster fixture ------------------------------------------------- */

struct node {
    uint64_t id;
    char addr[32];
    char dir[256];
    struct toy toy;
    st_mraft *r; /* NULL when stopped */
};

static struct cluster {
    char root[128];
    struct node n[MAXNODES];
    struct st_mraft_member members[3]; /* the bootstrap voters: nodes 0..2 */
    unsigned threshold, trailing;      /* snapshot settings, 0: defaults */
} C;

static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void setup(void)
{
    memset(&C, 0, sizeof(C));
    snprintf(C.root, sizeof(C.root), "/tmp/st_mraft_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(C.root));
    char root[sizeof(C.root)];
    memcpy(root, C.root, sizeof(root));
    for (int i = 0; i < MAXNODES; i++) {
        struct node *n = &C.n[i];
        n->id = (uint64_t)i + 1;
        snprintf(n->addr, sizeof(n->addr), "127.0.0.1:%d", free_port());
        snprintf(n->dir, sizeof(n->dir), "%s/node%d", root, i + 1);
        pthread_mutex_init(&n->toy.mu, NULL);
        if (i < 3) {
            C.members[i].id = n->id;
            C.members[i].address = n->addr;
        }
    }
}

static void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char sub[512];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void node_stop(int i)
{
    st_mraft_stop(C.n[i].r);
    C.n[i].r = NULL;
}

static void teardown(void)
{
    for (int i = 0; i < MAXNODES; i++) {
        node_stop(i);
        free(C.n[i].toy.vals);
        free(C.n[i].toy.idx);
        pthread_mutex_destroy(&C.n[i].toy.mu);
    }
    rm_rf(C.root);
}

/* Starts node @i with an empty toy FSM; @bootstrap gives it the 3 voters. */
static void node_start(int i, bool bootstrap)
{
    struct node *n = &C.n[i];
    char err[256] = "";
    pthread_mutex_lock(&n->toy.mu);
    n->toy.n = 0;
    n->toy.max_term = 0;
    n->toy.restores = 0;
    pthread_mutex_unlock(&n->toy.mu);
    struct st_mraft_fsm fsm = {.apply = toy_apply,
                               .snapshot = toy_snapshot,
                               .restore = toy_restore,
                               .free_result = toy_free_result,
                               .arg = &n->toy};
    struct st_mraft_config cfg = {.id = n->id,
                                  .dir = n->dir,
                                  .address = n->addr,
                                  .members = bootstrap ? C.members : NULL,
                                  .nmembers = bootstrap ? 3 : 0,
                                  .election_timeout_ms = ELECTION_MS,
                                  .heartbeat_timeout_ms = HEARTBEAT_MS,
                                  .snapshot_threshold = C.threshold,
                                  .snapshot_trailing = C.trailing,
                                  .install_snapshot_timeout_ms = 2000,
                                  .connect_retry_ms = 100};
    int rv = st_mraft_start(&cfg, &fsm, &n->r, err, sizeof(err));
    ck_assert_msg(rv == ST_OK, "start node %d: %s", i + 1, err);
}

/* Waits until a running node is the leader and every other running voter
 * names it; returns its slot. */
static int wait_leader(unsigned timeout_ms)
{
    double end = now_ms() + timeout_ms;
    while (now_ms() < end) {
        for (int i = 0; i < MAXNODES; i++) {
            if (C.n[i].r == NULL || !st_mraft_is_leader(C.n[i].r))
                continue;
            bool agreed = true;
            for (int j = 0; j < 3; j++) {
                uint64_t id = 0;
                if (j != i && C.n[j].r != NULL) {
                    st_mraft_leader(C.n[j].r, &id, NULL, 0);
                    agreed = agreed && id == C.n[i].id;
                }
            }
            if (agreed)
                return i;
        }
        sleep_ms(10);
    }
    ck_abort_msg("no leader after %u ms", timeout_ms);
    return -1;
}

/* Applies @v on node @i; ST_OK or the error. Checks the result on success. */
static int apply_on(int i, int64_t v, unsigned timeout_ms, uint64_t *index)
{
    void *res = NULL;
    int rv = st_mraft_apply(C.n[i].r, &v, sizeof(v), timeout_ms, index, &res);
    if (rv == ST_OK) {
        ck_assert_ptr_nonnull(res);
        free(res);
    } else {
        ck_assert_ptr_null(res);
    }
    return rv;
}

/* Applies @v on whichever node leads, retrying through elections. */
static void apply_any(int64_t v)
{
    double end = now_ms() + 10000;
    while (now_ms() < end) {
        for (int i = 0; i < MAXNODES; i++) {
            if (C.n[i].r == NULL)
                continue;
            int rv = apply_on(i, v, APPLY_MS, NULL);
            if (rv == ST_OK)
                return;
            ck_assert_msg(rv == ST_ENOTLEADER || rv == ST_ENOLEADER, "apply: %s", st_strerror(rv));
        }
        sleep_ms(20);
    }
    ck_abort_msg("could not apply %lld", (long long)v);
}

/* Waits until node @i's toy holds exactly 0..@n-1 (the test values). */
static void wait_values(int i, size_t n, unsigned timeout_ms)
{
    double end = now_ms() + timeout_ms;
    while (toy_count(&C.n[i].toy) < n && now_ms() < end)
        sleep_ms(10);
    struct toy *t = &C.n[i].toy;
    pthread_mutex_lock(&t->mu);
    ck_assert_msg(t->n == n, "node %d has %zu values, want %zu", i + 1, t->n, n);
    for (size_t k = 0; k < n; k++) {
        ck_assert_int_eq(t->vals[k], (int64_t)k);
        if (k > 0)
            ck_assert_uint_gt(t->idx[k], t->idx[k - 1]);
    }
    pthread_mutex_unlock(&t->mu);
}

static int follower_of(int leader)
{
    for (int i = 0; i < 3; i++)
        if (i != leader && C.n[i].r != NULL)
            return i;
    return -1;
}

/* ---- Tests --------------------------------------------------------------- */

START_TEST(test_mraft_apply_replicates)
{
    for (int i = 0; i < 3; i++)
        node_start(i, true);
    double t0 = now_ms();
    int l = wait_leader(10000);
    fprintf(stderr, "mraft: first leader (node %d) after %.0f ms\n", l + 1, now_ms() - t0);

    t0 = now_ms();
    for (int64_t v = 0; v < 100; v++) {
        uint64_t index;
        void *res = NULL;
        ck_assert_int_eq(st_mraft_apply(C.n[l].r, &v, sizeof(v), APPLY_MS, &index, &res), ST_OK);
        ck_assert_ptr_nonnull(res);
        ck_assert_uint_eq(*(size_t *)res, (size_t)v + 1); /* the FSM's result reached us */
        free(res);
        /* The index returned is the one the FSM saw for this entry. */
        pthread_mutex_lock(&C.n[l].toy.mu);
        ck_assert_uint_eq(C.n[l].toy.idx[v], index);
        pthread_mutex_unlock(&C.n[l].toy.mu);
        ck_assert_uint_ge(st_mraft_applied_index(C.n[l].r), index);
    }
    fprintf(stderr, "mraft: 100 applies in %.0f ms\n", now_ms() - t0);
    ck_assert_uint_gt(C.n[l].toy.max_term, 0);
    for (int i = 0; i < 3; i++)
        wait_values(i, 100, 5000);

    /* A follower refuses and names the leader. */
    int f = follower_of(l);
    int64_t v = 1000;
    ck_assert_int_eq(apply_on(f, v, APPLY_MS, NULL), ST_ENOTLEADER);
    uint64_t id;
    char addr[64];
    st_mraft_leader(C.n[f].r, &id, addr, sizeof(addr));
    ck_assert_uint_eq(id, C.n[l].id);
    ck_assert_str_eq(addr, C.n[l].addr);
    ck_assert(!st_mraft_is_leader(C.n[f].r));
    ck_assert_int_eq(st_mraft_barrier(C.n[f].r, APPLY_MS), ST_ENOTLEADER);
    ck_assert_int_eq(st_mraft_barrier(C.n[l].r, APPLY_MS), ST_OK);

    struct st_mraft_member *m;
    size_t nm;
    ck_assert_int_eq(st_mraft_members(C.n[f].r, &m, &nm), ST_OK);
    ck_assert_uint_eq(nm, 3);
    for (size_t i = 0; i < nm; i++)
        ck_assert_str_eq(m[i].address, C.n[m[i].id - 1].addr);
    free(m);
}
END_TEST

/* Applies @v followed by a tail of @tail bytes (see toy_apply) on node @i. */
static void apply_sized(int i, int64_t v, size_t tail)
{
    uint8_t buf[64];
    ck_assert_uint_le(sizeof(v) + tail, sizeof(buf));
    memcpy(buf, &v, sizeof(v));
    for (size_t k = sizeof(v); k < sizeof(v) + tail; k++)
        buf[k] = (uint8_t)(v + (int64_t)k);
    void *res = NULL;
    ck_assert_int_eq(st_mraft_apply(C.n[i].r, buf, sizeof(v) + tail, APPLY_MS, NULL, &res), ST_OK);
    free(res);
}

/* raft_uv 0.15 reads a batch of entries correctly only when every length is
 * a multiple of 8 (mraft_int.h, MRAFT_PAD): entries of every length, sent in
 * batches to a follower that lagged behind and reloaded from disk, must
 * reach the FSM as they were proposed. */
START_TEST(test_mraft_odd_sizes)
{
    for (int i = 0; i < 3; i++)
        node_start(i, true);
    int l = wait_leader(10000);
    int f = follower_of(l);
    node_stop(f);
    for (int64_t v = 0; v < 40; v++)
        apply_sized(l, v, (size_t)v % 17);
    node_start(f, false); /* catches up through multi-entry AppendEntries */
    wait_values(f, 40, 10000);
    for (int i = 0; i < 3; i++) {
        node_stop(i); /* every server reloads its log from disk */
        node_start(i, false);
    }
    wait_leader(10000);
    for (int i = 0; i < 3; i++)
        wait_values(i, 40, 10000);
}
END_TEST

START_TEST(test_mraft_leader_failover)
{
    for (int i = 0; i < 3; i++)
        node_start(i, true);
    int l = wait_leader(10000);
    for (int64_t v = 0; v < 20; v++)
        ck_assert_int_eq(apply_on(l, v, APPLY_MS, NULL), ST_OK);

    double t0 = now_ms();
    node_stop(l);
    double stopped = now_ms();
    int l2 = wait_leader(10000);
    fprintf(stderr, "mraft: stop took %.0f ms; new leader (node %d) %.0f ms after the stop\n",
            stopped - t0, l2 + 1, now_ms() - stopped);
    ck_assert_int_ne(l2, l);
    for (int64_t v = 20; v < 40; v++)
        apply_any(v);
    for (int i = 0; i < 3; i++)
        if (i != l)
            wait_values(i, 40, 5000);

    /* The old leader restarts from its directory alone and catches up. */
    node_start(l, false);
    wait_values(l, 40, 10000);
    apply_any(40);
    for (int i = 0; i < 3; i++)
        wait_values(i, 41, 5000);
}
END_TEST

static bool has_snapshot(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        found = found || strncmp(e->d_name, "snapshot-", 9) == 0;
    closedir(d);
    return found;
}

START_TEST(test_mraft_snapshot_restart)
{
    C.threshold = 16;
    C.trailing = 4;
    for (int i = 0; i < 3; i++)
        node_start(i, true);
    int l = wait_leader(10000);
    for (int64_t v = 0; v < 100; v++)
        ck_assert_int_eq(apply_on(l, v, APPLY_MS, NULL), ST_OK);
    for (int i = 0; i < 3; i++)
        wait_values(i, 100, 5000);
    int f = follower_of(l);
    ck_assert(has_snapshot(C.n[f].dir));

    /* Restart a follower: snapshot + log. Members given again are ignored. */
    node_stop(f);
    node_start(f, true);
    wait_values(f, 100, 10000);
    ck_assert_uint_ge(C.n[f].toy.restores, 1);

    /* Stopped while the leader moves past a snapshot and trims its log: the
     * follower comes back through InstallSnapshot. */
    node_stop(f);
    for (int64_t v = 100; v < 160; v++)
        ck_assert_int_eq(apply_on(l, v, APPLY_MS, NULL), ST_OK);
    double t0 = now_ms();
    node_start(f, false);
    wait_values(f, 160, 15000);
    fprintf(stderr, "mraft: follower caught up 60 entries in %.0f ms (%u restores)\n",
            now_ms() - t0, C.n[f].toy.restores);
    ck_assert_uint_ge(C.n[f].toy.restores, 1);
    ck_assert_uint_ge(st_mraft_applied_index(C.n[f].r), 160);
}
END_TEST

START_TEST(test_mraft_no_quorum_fails)
{
    for (int i = 0; i < 3; i++)
        node_start(i, true);
    int l = wait_leader(10000);
    ck_assert_int_eq(apply_on(l, 0, APPLY_MS, NULL), ST_OK);
    for (int i = 0; i < 3; i++)
        if (i != l)
            node_stop(i);

    /* The lone leader cannot commit: an error within the timeout, no hang. */
    double t0 = now_ms();
    int rv = apply_on(l, 1, 2000, NULL);
    double took = now_ms() - t0;
    fprintf(stderr, "mraft: apply without quorum: %s after %.0f ms\n", st_strerror(rv), took);
    ck_assert(rv == ST_ETIMEDOUT || rv == ST_EUNAVAIL || rv == ST_ENOLEADER);
    ck_assert_double_lt(took, 2500);

    /* Once it has stepped down, refusals are immediate. */
    sleep_ms(3 * ELECTION_MS);
    t0 = now_ms();
    rv = apply_on(l, 2, 2000, NULL);
    ck_assert_int_eq(rv, ST_ENOLEADER);
    ck_assert_double_lt(now_ms() - t0, 500);
    ck_assert_uint_eq(toy_count(&C.n[l].toy), 1);
}
END_TEST

START_TEST(test_mraft_add_remove_voter)
{
    for (int i = 0; i < 3; i++)
        node_start(i, true);
    node_start(3, false); /* the newcomer starts empty */
    int l = wait_leader(10000);
    for (int64_t v = 0; v < 10; v++)
        ck_assert_int_eq(apply_on(l, v, APPLY_MS, NULL), ST_OK);

    double t0 = now_ms();
    ck_assert_int_eq(st_mraft_add_voter(C.n[l].r, 4, C.n[3].addr, 15000), ST_OK);
    fprintf(stderr, "mraft: add voter took %.0f ms\n", now_ms() - t0);
    ck_assert_int_eq(st_mraft_add_voter(C.n[l].r, 4, C.n[3].addr, 15000), ST_OK); /* again */
    struct st_mraft_member *m;
    size_t nm;
    ck_assert_int_eq(st_mraft_members(C.n[l].r, &m, &nm), ST_OK);
    ck_assert_uint_eq(nm, 4);
    free(m);
    for (int64_t v = 10; v < 20; v++)
        ck_assert_int_eq(apply_on(l, v, APPLY_MS, NULL), ST_OK);
    wait_values(3, 20, 5000);
    ck_assert_int_eq(apply_on(3, 99, APPLY_MS, NULL), ST_ENOTLEADER);

    ck_assert_int_eq(st_mraft_remove(C.n[l].r, 4, 10000), ST_OK);
    ck_assert_int_eq(st_mraft_remove(C.n[l].r, 4, 10000), ST_ENOTFOUND);
    ck_assert_int_eq(st_mraft_members(C.n[l].r, &m, &nm), ST_OK);
    ck_assert_uint_eq(nm, 3);
    for (size_t i = 0; i < nm; i++)
        ck_assert_uint_ne(m[i].id, 4);
    free(m);
    node_stop(3);
    ck_assert_int_eq(apply_on(l, 20, APPLY_MS, NULL), ST_OK);
    for (int i = 0; i < 3; i++)
        wait_values(i, 21, 5000);
}
END_TEST

struct worker {
    int node;
    int64_t base;
    int rv;
};

static void *apply_worker(void *arg)
{
    struct worker *w = arg;
    for (int64_t k = 0; k < 25 && w->rv == ST_OK; k++)
        w->rv = apply_on(w->node, w->base + k, APPLY_MS, NULL);
    return NULL;
}

/* Node @i's values, copied (caller frees), and their count. */
static int64_t *values_of(int i, size_t *n)
{
    struct toy *t = &C.n[i].toy;
    pthread_mutex_lock(&t->mu);
    int64_t *v = malloc((t->n ? t->n : 1) * sizeof(*v));
    ck_assert_ptr_nonnull(v);
    memcpy(v, t->vals, t->n * sizeof(*v));
    *n = t->n;
    pthread_mutex_unlock(&t->mu);
    return v;
}

START_TEST(test_mraft_concurrent_and_timeouts)
{
    for (int i = 0; i < 3; i++)
        node_start(i, true);
    int l = wait_leader(10000);

    /* Four threads propose at once. */
    struct worker w[4];
    pthread_t th[4];
    for (int k = 0; k < 4; k++) {
        w[k] = (struct worker){.node = l, .base = (k + 1) * 1000, .rv = ST_OK};
        ck_assert_int_eq(pthread_create(&th[k], NULL, apply_worker, &w[k]), 0);
    }
    for (int k = 0; k < 4; k++) {
        pthread_join(th[k], NULL);
        ck_assert_int_eq(w[k].rv, ST_OK);
    }

    /* Callers that give up at once: the loop finishes or drops their ops
     * later and frees the results (ASan watches). */
    int timedout = 0;
    for (int64_t v = 0; v < 40; v++) {
        int rv = apply_on(l, 9000 + v, (unsigned)(v % 2), NULL);
        ck_assert_msg(rv == ST_OK || rv == ST_ETIMEDOUT, "apply: %s", st_strerror(rv));
        timedout += rv == ST_ETIMEDOUT;
    }
    fprintf(stderr, "mraft: %d of 40 zero-timeout applies timed out\n", timedout);
    ck_assert_int_eq(st_mraft_barrier(C.n[l].r, APPLY_MS), ST_OK);

    /* Every node holds the same sequence, with the 100 concurrent values. */
    size_t n;
    int64_t *lv = values_of(l, &n);
    ck_assert_uint_ge(n, 100);
    int64_t sum = 0;
    for (size_t k = 0; k < n; k++)
        sum += lv[k] < 9000 ? lv[k] : 0;
    ck_assert_int_eq(sum, 100 * 2500 + 4 * 300); /* sum of (k+1)*1000*25 + 0..24 */
    for (int i = 0; i < 3; i++) {
        double end = now_ms() + 5000;
        while (toy_count(&C.n[i].toy) < n && now_ms() < end)
            sleep_ms(10);
        size_t m;
        int64_t *v = values_of(i, &m);
        ck_assert_uint_eq(m, n);
        ck_assert_mem_eq(v, lv, n * sizeof(*v));
        free(v);
    }
    free(lv);
}
END_TEST

START_TEST(test_mraft_start_bad_config)
{
    char err[256] = "";
    st_mraft *r = NULL;
    struct st_mraft_fsm fsm = {
        .apply = toy_apply, .snapshot = toy_snapshot, .restore = toy_restore};
    struct st_mraft_config cfg = {.id = 0, .dir = C.n[0].dir, .address = C.n[0].addr};
    ck_assert_int_eq(st_mraft_start(&cfg, &fsm, &r, err, sizeof(err)), ST_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_str_ne(err, "");
}
END_TEST

/* One TCase per behaviour, each on a fresh cluster. */
static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *mraft_suite(void)
{
    Suite *s = suite_create("mraft");
    tcase_add_test(tcase(s, "apply"), test_mraft_apply_replicates);
    tcase_add_test(tcase(s, "failover"), test_mraft_leader_failover);
    tcase_add_test(tcase(s, "snapshot"), test_mraft_snapshot_restart);
    tcase_add_test(tcase(s, "quorum"), test_mraft_no_quorum_fails);
    tcase_add_test(tcase(s, "membership"), test_mraft_add_remove_voter);
    tcase_add_test(tcase(s, "concurrent"), test_mraft_concurrent_and_timeouts);
    tcase_add_test(tcase(s, "start"), test_mraft_start_bad_config);
    tcase_add_test(tcase(s, "odd_sizes"), test_mraft_odd_sizes);
    return s;
}

int main(void)
{
    /* Neither libuv nor raft ignores SIGPIPE: a peer that dies mid-write
     * would kill the process (docs/meta-raft.md). */
    signal(SIGPIPE, SIG_IGN);
    return t_run_suite(mraft_suite());
}
