/* st_mcli_locate(): the shard and owners for a point, creating its shard
 * group on demand with one proposal per group per process.
 *
 * Happy path: a group of (db, rp) takes writes at t in the local copy
 * (st_cat_group_for()); the shard is st_cat_shard_for(group, hash); its
 * owners are copied out. No lock is held beyond acquiring the snapshot and
 * no network call is made.
 *
 * No group yet: the database and policy must exist in the local copy
 * (otherwise ST_ENOTFOUND with InfluxDB's /write wording, and nothing is
 * proposed: an invalid command would still take a raft log entry). Then a
 * CreateShardGroup is proposed. Single flight: the threads of this process
 * that need the group with the same (db, resolved policy, aligned start)
 * find the first one's proposal in `pending` and wait for it instead of
 * proposing again; the proposer publishes the ApplyResponse's group to
 * them. CreateShardGroup is idempotent on the server as well, so routers
 * in other processes racing for the same group get the same one.
 *
 * Failure modes: the proposal fails (no leader, no data node up: ...) and
 * every waiter returns that error; the group returned does not cover a
 * waiter's t (a truncated group shares the aligned start): the waiter
 * starts over with the newer local copy; the deadline passes while waiting:
 * ST_ETIMEDOUT; close: ST_ECANCELED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "client_int.h"
#include "err.h"

static int fill(const Strata__ShardGroup *g, uint64_t hash, struct st_mcli_loc *loc, char *err,
                size_t errlen)
{
    const Strata__Shard *s = st_cat_shard_for(g, hash);
    if (s == NULL) /* UNTESTED: the catalogue validates that live groups have shards */
        return st_errf(err, errlen, ST_ECORRUPT, "shard group %llu has no shards",
                       (unsigned long long)g->id);
    loc->group_id = g->id;
    loc->group_start_ns = g->start_ns;
    loc->group_end_ns = g->end_ns;
    loc->shard_id = s->id;
    loc->nowners = s->n_owners < ST_MCLI_MAX_OWNERS ? s->n_owners : ST_MCLI_MAX_OWNERS;
    memcpy(loc->owners, s->owners, loc->nowners * sizeof(loc->owners[0]));
    return ST_OK;
}

/* What the local copy says: ST_OK with @loc filled; ST_ENOTFOUND (message
 * in @err); or 1: no group yet, with the resolved policy name (*@rp_name,
 * malloc'ed) and the aligned start of the group to create. */
static int look(const Strata__Catalogue *cat, const char *db, const char *rp, uint64_t hash,
                int64_t t, struct st_mcli_loc *loc, char **rp_name, int64_t *start, char *err,
                size_t errlen)
{
    const Strata__ShardGroup *g = st_cat_group_for(cat, db, rp, t);
    if (g != NULL)
        return fill(g, hash, loc, err, errlen);
    if (st_cat_database(cat, db) == NULL)
        return st_errf(err, errlen, ST_ENOTFOUND, "database not found: \"%s\"", db);
    const Strata__RetentionPolicy *p = st_cat_rp(cat, db, rp);
    if (p == NULL && (rp == NULL || rp[0] == '\0'))
        return st_errf(err, errlen, ST_ENOTFOUND, "default retention policy not set for: \"%s\"",
                       db);
    if (p == NULL)
        return st_errf(err, errlen, ST_ENOTFOUND, "retention policy not found: \"%s\"", rp);
    if ((*rp_name = strdup(p->name)) == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "meta client: out of memory");
    int64_t width = p->shard_group_duration_ns > 0 ? p->shard_group_duration_ns
                                                   : st_cat_default_group_duration(p->duration_ns);
    *start = st_cat_align(t, width);
    return 1;
}

static struct mcli_pending *find_pending(st_mcli *c, const char *db, const char *rp, int64_t start)
{
    for (struct mcli_pending *p = c->pending; p != NULL; p = p->next)
        if (p->start == start && strcmp(p->db, db) == 0 && strcmp(p->rp, rp) == 0)
            return p;
    return NULL;
}

/* Drops a reference to @p; mu held. Returns @p to free after unlocking when
 * it was the last one, else NULL. */
static struct mcli_pending *unref(struct mcli_pending *p)
{
    return --p->refs == 0 ? p : NULL;
}

static void pending_free(struct mcli_pending *p)
{
    if (p == NULL)
        return;
    if (p->resp != NULL)
        strata__apply_response__free_unpacked(p->resp, NULL);
    free(p->db);
    free(p->rp);
    free(p);
}

/* The outcome of a finished proposal for a caller at @t: ST_OK (filled),
 * its error, or 1: its group does not cover @t, start over. mu held. */
static int outcome(const struct mcli_pending *p, uint64_t hash, int64_t t, struct st_mcli_loc *loc,
                   char *err, size_t errlen)
{
    if (p->rv != ST_OK)
        return st_errf(err, errlen, p->rv, "%s", p->err);
    const Strata__ShardGroup *g = p->resp != NULL ? p->resp->shard_group : NULL;
    if (g == NULL || !st_cat_group_covers(g, t))
        return 1;
    return fill(g, hash, loc, err, errlen);
}

/* Waits for the proposal @p someone else made; mu held. */
static int wait_for(st_mcli *c, struct mcli_pending *p, uint64_t hash, int64_t t,
                    long long deadline, struct st_mcli_loc *loc, char *err, size_t errlen)
{
    while (!p->done && !c->stopping)
        if (!mcli_wait_until(c, deadline))
            break;
    if (p->done)
        return outcome(p, hash, t, loc, err, errlen);
    if (c->stopping)
        return st_errf(err, errlen, ST_ECANCELED, "meta client: locate: closing");
    return st_errf(err, errlen, ST_ETIMEDOUT,
                   "meta client: locate: shard group for %s.%s still being created", p->db, p->rp);
}

/* Proposes CreateShardGroup for @p (registered in c->pending, mu not held)
 * and publishes the outcome to the waiters. */
static int propose(st_mcli *c, struct mcli_pending *p, uint64_t hash, int64_t t, long long deadline,
                   struct st_mcli_loc *loc, char *err, size_t errlen)
{
    Strata__CreateShardGroup csg = STRATA__CREATE_SHARD_GROUP__INIT;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    csg.database = p->db;
    csg.retention_policy = p->rp;
    csg.timestamp_ns = t;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_SHARD_GROUP;
    cmd.create_shard_group = &csg;
    Strata__ApplyResponse *resp = NULL;
    int rv = mcli_apply(c, &cmd, deadline, &resp, p->err, sizeof(p->err));
    pthread_mutex_lock(&c->mu);
    for (struct mcli_pending **pp = &c->pending; *pp != NULL; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    p->done = true;
    p->rv = rv;
    p->resp = resp;
    pthread_cond_broadcast(&c->cv);
    rv = outcome(p, hash, t, loc, err, errlen);
    struct mcli_pending *last = unref(p);
    pthread_mutex_unlock(&c->mu);
    pending_free(last);
    return rv;
}

/* One pass: 1 means start over with a fresher local copy. */
static int locate_once(st_mcli *c, const char *db, const char *rp, uint64_t hash, int64_t t,
                       long long deadline, struct st_mcli_loc *loc, char *err, size_t errlen)
{
    const struct st_mcat *snap = st_mcli_acquire(c);
    if (snap == NULL) {
        mcli_wait_index(c, 1, deadline);
        if ((snap = st_mcli_acquire(c)) == NULL)
            return st_errf(err, errlen, ST_EUNAVAIL,
                           "meta client: locate: no catalogue received from meta yet");
    }
    char *rp_name = NULL;
    int64_t start = 0;
    int rv = look(snap->cat, db, rp, hash, t, loc, &rp_name, &start, err, errlen);
    st_mcli_release(c, snap);
    if (rv != 1)
        return rv;

    pthread_mutex_lock(&c->mu);
    struct mcli_pending *p = find_pending(c, db, rp_name, start);
    if (p != NULL) {
        free(rp_name);
        p->refs++;
        rv = wait_for(c, p, hash, t, deadline, loc, err, errlen);
        struct mcli_pending *last = unref(p);
        pthread_mutex_unlock(&c->mu);
        pending_free(last);
        return rv;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->db = strdup(db)) == NULL) {
        pthread_mutex_unlock(&c->mu);
        free(p); /* UNTESTED: out of memory */
        free(rp_name);
        return st_errf(err, errlen, ST_ENOMEM, "meta client: out of memory");
    }
    p->rp = rp_name;
    p->start = start;
    p->refs = 1;
    p->next = c->pending;
    c->pending = p;
    pthread_mutex_unlock(&c->mu);
    return propose(c, p, hash, t, deadline, loc, err, errlen);
}

int st_mcli_locate(st_mcli *c, const char *db, const char *rp, uint64_t hash, int64_t t,
                   struct st_mcli_loc *loc, char *err, size_t errlen)
{
    if (db == NULL || db[0] == '\0')
        return st_errf(err, errlen, ST_EINVAL, "database name required");
    if (loc == NULL)
        return st_errf(err, errlen, ST_EINVAL, "meta client: locate: no result pointer");
    int rv = mcli_enter(c, err, errlen);
    if (rv != ST_OK)
        return rv;
    long long deadline = mcli_now_ms() + c->call_timeout_ms;
    while ((rv = locate_once(c, db, rp, hash, t, deadline, loc, err, errlen)) == 1) {
        if (mcli_now_ms() >= deadline) {
            rv = st_errf(err, errlen, ST_ETIMEDOUT,
                         "meta client: locate: no shard group covers %lld in time", (long long)t);
            break;
        }
        /* Rare (a truncated group): give the watch a moment, do not spin. */
        pthread_mutex_lock(&c->mu);
        mcli_wait_until(c, mcli_now_ms() + 20);
        pthread_mutex_unlock(&c->mu);
    }
    mcli_leave(c);
    return rv;
}
