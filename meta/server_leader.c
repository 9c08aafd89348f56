/* st_msrv's leader loop: the catalogue changes nobody asks for.
 *
 * One thread per node ticks every TICK_MS. On every node it notices who
 * leads and logs changes. While this node leads, and once a barrier has
 * confirmed that every entry of earlier terms is applied locally, it
 *
 * (a) keeps the catalogue's meta_members in line with the raft
 *     configuration: a member raft has but the catalogue lacks is added
 *     when its RPC URL is known (--members), one the catalogue has but raft
 *     no longer has is removed. This records the bootstrap members of a
 *     fresh cluster and repairs a Membership call interrupted between its
 *     raft change and its catalogue record;
 * (b) marks DOWN every UP data node not heard from for --node-timeout-ms.
 *     Heartbeats are kept only in the leader's memory (msrv_seen()), so a
 *     new leader knows nothing: a node's last contact counts as no earlier
 *     than the moment this node became leader, which gives every node a
 *     full timeout to reach the new leader;
 * (c) every --retention-check-ms, deletes the shard groups whose retention
 *     has passed (st_cat_expired_groups()).
 *
 * Each change is an ordinary proposal with the apply timeout; one that
 * fails is simply tried again on a later tick. Commands carry wall-clock
 * times (they end up in the catalogue); timeouts use the monotonic clock. */
#include "server_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

#define TICK_MS 200
#define RECONCILE_MS 1000
#define RETENTION_BATCH 256 /* groups deleted per check; the rest next time */
#define MS 1000000LL

/* The loop's own view, on its thread only. */
struct lead {
    uint64_t leader;        /* leader raft names, 0 if none */
    bool leading;           /* this node leads */
    bool ready;             /* barrier done in this term of leadership */
    int64_t since;          /* monotonic ns when this node became leader */
    int64_t last_reconcile; /* monotonic ns */
    int64_t last_retention; /* monotonic ns */
};

/* ---- Heartbeats heard (any thread) ----------------------------------------- */

/* Index of @id in the sorted table, or where it would go. */
static size_t seen_pos(const st_msrv *s, uint64_t id)
{
    size_t lo = 0, hi = s->nseen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->seen[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int msrv_seen(st_msrv *s, uint64_t id)
{
    int64_t now = msrv_mono_ns();
    int rv = ST_OK;
    pthread_mutex_lock(&s->mu);
    size_t pos = seen_pos(s, id);
    if (pos < s->nseen && s->seen[pos].id == id) {
        s->seen[pos].mono_ns = now;
        goto out;
    }
    if (s->nseen == s->capseen) {
        size_t cap = s->capseen ? 2 * s->capseen : 16;
        struct msrv_seen *p = realloc(s->seen, cap * sizeof(*p));
        if (p == NULL) {
            rv = ST_ENOMEM; /* UNTESTED */
            goto out;
        }
        s->seen = p;
        s->capseen = cap;
    }
    memmove(&s->seen[pos + 1], &s->seen[pos], (s->nseen - pos) * sizeof(*s->seen));
    s->seen[pos] = (struct msrv_seen){id, now};
    s->nseen++;
out:
    pthread_mutex_unlock(&s->mu);
    return rv;
}

/* When @id was last heard from, 0 if never. */
static int64_t seen_at(st_msrv *s, uint64_t id)
{
    pthread_mutex_lock(&s->mu);
    size_t pos = seen_pos(s, id);
    int64_t t = pos < s->nseen && s->seen[pos].id == id ? s->seen[pos].mono_ns : 0;
    pthread_mutex_unlock(&s->mu);
    return t;
}

/* ---- The checks (loop thread, while leading) --------------------------------- */

static void propose_logged(st_msrv *s, const Strata__Command *cmd, const char *what)
{
    uint64_t index = 0;
    struct msrv_result *res = NULL;
    int rv = msrv_propose(s, cmd, &index, &res);
    if (rv != ST_OK)
        msrv_log(s, "%s: %s (will retry)", what, st_strerror(rv));
    else if (res->code != STRATA__ERROR_CODE__OK)
        msrv_log(s, "%s: refused: %s", what, res->message);
    msrv_result_free(res);
}

/* (a) catalogue meta_members := raft configuration. */
static void reconcile_members(st_msrv *s)
{
    struct st_mraft_member *rm = NULL;
    size_t nrm = 0;
    if (st_mraft_members(s->raft, &rm, &nrm) != ST_OK)
        return;
    /* Ids to remove from the catalogue, gathered under the lock. */
    uint64_t *gone = NULL;
    size_t ngone = 0;
    bool *recorded = calloc(nrm ? nrm : 1, sizeof(*recorded));
    if (recorded == NULL)
        goto out;
    pthread_mutex_lock(&s->state.mu);
    const Strata__Catalogue *cat = st_cat_catalogue(s->state.cat);
    gone = calloc(cat->n_meta_members ? cat->n_meta_members : 1, sizeof(*gone));
    for (size_t i = 0; gone != NULL && i < cat->n_meta_members; i++) {
        bool in_raft = false;
        for (size_t j = 0; j < nrm; j++) {
            if (rm[j].id == cat->meta_members[i]->id) {
                in_raft = true;
                recorded[j] = true;
            }
        }
        if (!in_raft)
            gone[ngone++] = cat->meta_members[i]->id;
    }
    pthread_mutex_unlock(&s->state.mu);
    if (gone == NULL)
        goto out;

    Strata__Command cmd = STRATA__COMMAND__INIT;
    char what[512];
    for (size_t j = 0; j < nrm; j++) {
        Strata__MetaMember m = STRATA__META_MEMBER__INIT;
        Strata__AddMetaMember add = STRATA__ADD_META_MEMBER__INIT;
        const struct msrv_member *cfg = NULL;
        for (size_t k = 0; k < s->nmembers; k++)
            if (s->members[k].id == rm[j].id)
                cfg = &s->members[k];
        if (recorded[j] || cfg == NULL)
            continue; /* recorded, or its RPC URL is unknown here */
        m.id = rm[j].id;
        m.raft_addr = (char *)rm[j].address; /* only read by the pack */
        m.rpc_addr = (char *)cfg->rpc_url;
        add.member = &m;
        cmd.cmd_case = STRATA__COMMAND__CMD_ADD_META_MEMBER;
        cmd.add_meta_member = &add;
        snprintf(what, sizeof(what), "recording meta member %" PRIu64 " (%s, %s)", m.id,
                 m.raft_addr, m.rpc_addr);
        msrv_log(s, "%s", what);
        propose_logged(s, &cmd, what);
    }
    for (size_t i = 0; i < ngone; i++) {
        Strata__RemoveMetaMember rem = STRATA__REMOVE_META_MEMBER__INIT;
        rem.id = gone[i];
        cmd.cmd_case = STRATA__COMMAND__CMD_REMOVE_META_MEMBER;
        cmd.remove_meta_member = &rem;
        snprintf(what, sizeof(what),
                 "forgetting meta member %" PRIu64 " (not in the raft configuration)", rem.id);
        msrv_log(s, "%s", what);
        propose_logged(s, &cmd, what);
    }
out:
    free(gone);
    free(recorded);
    free(rm);
}

/* (b) UP data nodes silent for the node timeout -> DOWN. */
static void check_liveness(st_msrv *s, const struct lead *L)
{
    int64_t now = msrv_mono_ns(), timeout = (int64_t)s->node_timeout_ms * MS;
    if (now - L->since <= timeout)
        return; /* nobody can be overdue yet in this term */
    uint64_t *up = NULL;
    size_t nup = 0;
    pthread_mutex_lock(&s->state.mu);
    const Strata__Catalogue *cat = st_cat_catalogue(s->state.cat);
    if (cat->n_nodes > 0 && (up = malloc(cat->n_nodes * sizeof(*up))) != NULL)
        for (size_t i = 0; i < cat->n_nodes; i++)
            if (cat->nodes[i]->status == STRATA__NODE_STATUS__UP)
                up[nup++] = cat->nodes[i]->id;
    pthread_mutex_unlock(&s->state.mu);
    for (size_t i = 0; i < nup; i++) {
        int64_t last = seen_at(s, up[i]);
        if (last < L->since)
            last = L->since;
        if (now - last <= timeout)
            continue;
        Strata__Command cmd = STRATA__COMMAND__INIT;
        Strata__UpdateDataNode upd = STRATA__UPDATE_DATA_NODE__INIT;
        upd.node_id = up[i];
        upd.status = STRATA__NODE_STATUS__DOWN;
        cmd.cmd_case = STRATA__COMMAND__CMD_UPDATE_DATA_NODE;
        cmd.update_data_node = &upd;
        char what[128];
        snprintf(what, sizeof(what), "data node %" PRIu64 " silent for %lld ms: marking DOWN",
                 up[i], (long long)((now - last) / MS));
        msrv_log(s, "%s", what);
        propose_logged(s, &cmd, what);
    }
    free(up);
}

/* (c) expired shard groups -> DeleteShardGroup. */
static void check_retention(st_msrv *s)
{
    struct victim {
        uint64_t id;
        char *db, *rp;
    } v[RETENTION_BATCH];
    uint64_t ids[RETENTION_BATCH];
    int64_t now = msrv_wall_ns();
    size_t n = 0;
    pthread_mutex_lock(&s->state.mu);
    const Strata__Catalogue *cat = st_cat_catalogue(s->state.cat);
    size_t found = st_cat_expired_groups(cat, now, ids, RETENTION_BATCH);
    for (size_t i = 0; i < found && i < RETENTION_BATCH; i++) {
        const Strata__ShardGroup *g = st_cat_group(cat, ids[i]);
        if (g == NULL)
            continue;
        v[n] = (struct victim){ids[i], strdup(g->database), strdup(g->retention_policy)};
        if (v[n].db == NULL || v[n].rp == NULL) {
            free(v[n].db); /* UNTESTED: out of memory, next check */
            free(v[n].rp);
            break;
        }
        n++;
    }
    pthread_mutex_unlock(&s->state.mu);
    for (size_t i = 0; i < n; i++) {
        Strata__Command cmd = STRATA__COMMAND__INIT;
        Strata__DeleteShardGroup del = STRATA__DELETE_SHARD_GROUP__INIT;
        del.database = v[i].db;
        del.retention_policy = v[i].rp;
        del.shard_group_id = v[i].id;
        del.deleted_at_ns = now;
        cmd.cmd_case = STRATA__COMMAND__CMD_DELETE_SHARD_GROUP;
        cmd.delete_shard_group = &del;
        char what[256];
        snprintf(what, sizeof(what), "retention: deleting shard group %" PRIu64 " of %.80s.%.80s",
                 v[i].id, v[i].db, v[i].rp);
        msrv_log(s, "%s", what);
        propose_logged(s, &cmd, what);
        free(v[i].db);
        free(v[i].rp);
    }
}

/* ---- The loop ------------------------------------------------------------------ */

static void tick(st_msrv *s, struct lead *L)
{
    uint64_t leader;
    st_mraft_leader(s->raft, &leader, NULL, 0);
    bool leading = st_mraft_is_leader(s->raft);
    int64_t now = msrv_mono_ns();
    if (leader != L->leader) {
        char url[ST_MREQ_MAX_ADDR + 1] = "";
        if (leader == 0)
            msrv_log(s, "no meta leader known");
        else if (msrv_member_url(s, leader, url, sizeof(url)))
            msrv_log(s, "meta leader is %" PRIu64 " (%s)", leader, url);
        else
            msrv_log(s, "meta leader is %" PRIu64, leader);
        L->leader = leader;
    }
    if (leading != L->leading) {
        msrv_log(s, leading ? "became the leader" : "no longer the leader");
        L->leading = leading;
        L->ready = false;
        atomic_store(&s->caught_up, false);
        L->since = now;
        L->last_reconcile = 0;
        L->last_retention = now;
    }
    if (!leading)
        return;
    if (!L->ready) {
        /* Everything committed in earlier terms is applied here after it. */
        if (st_mraft_barrier(s->raft, s->apply_ms) != ST_OK)
            return;
        L->ready = true;
        atomic_store(&s->caught_up, true);
    }
    if (L->last_reconcile == 0 || now - L->last_reconcile >= RECONCILE_MS * MS) {
        L->last_reconcile = now;
        reconcile_members(s);
    }
    check_liveness(s, L);
    if (now - L->last_retention >= (int64_t)s->retention_ms * MS) {
        L->last_retention = now;
        check_retention(s);
    }
}

void *msrv_leader_main(void *arg)
{
    st_msrv *s = arg;
    struct lead L = {0};
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        struct timespec deadline;
        msrv_deadline(&deadline, TICK_MS);
        pthread_cond_timedwait(&s->cond, &s->mu, &deadline);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->mu);
        tick(s, &L);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}
