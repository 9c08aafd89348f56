/* st_msrv's raft state machine: st_cat behind a mutex, results, proposals.
 *
 * Every committed entry reaches fsm_apply() on the raft loop thread, on
 * every node. It applies the command to the catalogue under the state's
 * mutex, builds a self-contained result (the shard group of a
 * CreateShardGroup is deep-copied: st_cat lends it only until the next
 * apply) and wakes every watcher. st_mraft hands the result to the handler
 * that proposed the entry on this node, or frees it through free_result.
 *
 * Snapshots are st_cat_encode() (cached bytes), restores st_cat_decode(),
 * which validates before it replaces the state: a bad snapshot leaves the
 * catalogue as it was and raft reports the failure. */
#include "server_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

int msrv_state_init(struct msrv_state *st)
{
    memset(st, 0, sizeof(*st));
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return ST_ENOMEM; /* UNTESTED */
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rv = pthread_cond_init(&st->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rv != 0)
        return ST_ENOMEM; /* UNTESTED */
    pthread_mutex_init(&st->mu, NULL);
    return st_cat_new(&st->cat);
}

void msrv_state_fini(struct msrv_state *st)
{
    st_cat_free(st->cat);
    st->cat = NULL;
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->mu);
}

void msrv_state_stop(struct msrv_state *st)
{
    pthread_mutex_lock(&st->mu);
    st->stopping = true;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->mu);
}

uint64_t msrv_state_index(struct msrv_state *st)
{
    pthread_mutex_lock(&st->mu);
    uint64_t i = st_cat_index(st->cat);
    pthread_mutex_unlock(&st->mu);
    return i;
}

void msrv_result_free(struct msrv_result *r)
{
    if (r == NULL)
        return;
    if (r->group != NULL)
        strata__shard_group__free_unpacked(r->group, NULL);
    free(r);
}

/* A deep copy of @g through its encoding. NULL on out of memory. */
static Strata__ShardGroup *copy_group(const Strata__ShardGroup *g)
{
    size_t n = strata__shard_group__get_packed_size(g);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return NULL;
    strata__shard_group__pack(g, buf);
    Strata__ShardGroup *copy = strata__shard_group__unpack(NULL, n, buf);
    free(buf);
    return copy;
}

static int fsm_apply(void *arg, uint64_t index, uint64_t term, const void *buf, size_t len,
                     void **result)
{
    struct msrv_state *st = arg;
    struct msrv_result *res = calloc(1, sizeof(*res));
    if (res == NULL)
        return ST_ENOMEM; /* UNTESTED: raft retries the entry */
    struct st_cat_result cr;
    pthread_mutex_lock(&st->mu);
    int rv = st_cat_apply(st->cat, index, term, buf, len, &cr);
    if (rv == ST_OK) {
        res->code = cr.code;
        snprintf(res->message, sizeof(res->message), "%s", cr.message);
        res->assigned_id = cr.assigned_id;
        if (cr.group != NULL && (res->group = copy_group(cr.group)) == NULL) {
            /* UNTESTED: the entry is applied; only its answer is lost. */
            res->code = STRATA__ERROR_CODE__OUT_OF_MEMORY;
            snprintf(res->message, sizeof(res->message),
                     "meta: applied, but out of memory copying shard group %" PRIu64, cr.group_id);
        }
    }
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->mu);
    if (rv == ST_EINVAL) {
        /* UNTESTED: an index at or below the state's, i.e. already applied
         * (raft never does this): answer the proposer rather than stall raft. */
        res->code = STRATA__ERROR_CODE__INTERNAL;
        snprintf(res->message, sizeof(res->message),
                 "meta: entry %" PRIu64 " is at or below the catalogue's index", index);
        rv = ST_OK;
    }
    if (rv != ST_OK) {
        free(res); /* UNTESTED: st_cat out of memory, fatal for raft */
        return rv;
    }
    *result = res;
    return ST_OK;
}

static int fsm_snapshot(void *arg, struct st_buf *out)
{
    struct msrv_state *st = arg;
    pthread_mutex_lock(&st->mu);
    int rv = st_cat_encode(st->cat, out);
    pthread_mutex_unlock(&st->mu);
    return rv;
}

static int fsm_restore(void *arg, const void *buf, size_t len)
{
    struct msrv_state *st = arg;
    pthread_mutex_lock(&st->mu);
    int rv = st_cat_decode(st->cat, buf, len);
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->mu);
    return rv;
}

static void fsm_free_result(void *arg, void *result)
{
    (void)arg;
    msrv_result_free(result);
}

struct st_mraft_fsm msrv_state_fsm(struct msrv_state *st)
{
    struct st_mraft_fsm f = {.apply = fsm_apply,
                             .snapshot = fsm_snapshot,
                             .restore = fsm_restore,
                             .free_result = fsm_free_result,
                             .arg = st};
    return f;
}

int msrv_propose(st_msrv *s, const Strata__Command *cmd, uint64_t *index, struct msrv_result **res)
{
    size_t n = strata__command__get_packed_size(cmd);
    uint8_t *buf = malloc(n ? n : 1);
    void *result = NULL;
    *res = NULL;
    if (buf == NULL)
        return ST_ENOMEM;
    strata__command__pack(cmd, buf);
    int rv = st_mraft_apply(s->raft, buf, n, s->apply_ms, index, &result);
    free(buf);
    if (rv == ST_OK && result == NULL)
        rv = ST_ENOMEM; /* UNTESTED: the FSM could not build a result */
    if (rv == ST_OK)
        *res = result;
    return rv;
}

void msrv_fail_raft(st_msrv *s, struct msrv_reply *r, int rv, const char *what)
{
    switch (rv) {
    case ST_ENOTLEADER:
    case ST_ENOLEADER:
        msrv_fail_not_leader(s, r);
        break;
    case ST_ETIMEDOUT:
        msrv_reply_fail(r, STRATA__ERROR_CODE__TIMEOUT,
                        "meta %s: not committed within %u ms (no quorum?): the outcome is "
                        "unknown, it may still be applied",
                        what, s->apply_ms);
        break;
    case ST_EUNAVAIL:
        msrv_reply_fail(r, STRATA__ERROR_CODE__UNAVAILABLE,
                        "meta %s: meta node %" PRIu64 " lost its leadership (or raft was busy) "
                        "before the entry committed: the outcome is unknown, it may still be "
                        "applied",
                        what, s->id);
        break;
    case ST_ECANCELED:
        msrv_reply_fail(r, STRATA__ERROR_CODE__UNAVAILABLE,
                        "meta %s: meta node %" PRIu64 " is stopping: the outcome is unknown", what,
                        s->id);
        break;
    case ST_ENOMEM:
        msrv_reply_fail(r, STRATA__ERROR_CODE__OUT_OF_MEMORY, "meta %s: out of memory", what);
        break;
    case ST_ENOTFOUND:
        msrv_reply_fail(r, STRATA__ERROR_CODE__NOT_FOUND, "meta %s: not a raft member", what);
        break;
    default:
        msrv_reply_fail(r, STRATA__ERROR_CODE__INTERNAL, "meta %s: %s", what, st_strerror(rv));
        break;
    }
}
