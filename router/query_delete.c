/* DROP MEASUREMENT, DROP SERIES and DELETE: a DeleteSeries or DeleteRange
 * call to every owner of every shard of the database they touch.
 *
 * The happy path: the statement becomes one request per source (a
 * measurement, a regex, or all measurements) with its tag condition and,
 * for DELETE, its time range; the shards are those of every retention
 * policy of the database whose groups overlap the range; each owner node
 * gets one call with all its shards, the calls of all nodes at once.
 *
 * A delete must disappear from every replica, so reads never find it on
 * one owner and not on another. Before sending, every owner must be known
 * and not DOWN in the catalogue, else the statement fails and nothing is
 * sent. A node that fails during the call (unreachable, timeout, an
 * error) fails the statement with its reason after the other nodes
 * applied it: the replicas then differ until the statement runs again
 * (deletes are idempotent). A node that answers that it does not hold a
 * shard has nothing of it to delete. A condition on a key that is not a
 * tag key of a measurement it touches is refused by the nodes before they
 * delete anything, with InfluxDB's "shard N: fields not supported in WHERE
 * clause during deletion", passed on as it is. docs/show-statements.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "err.h"
#include "query_int.h"
#include "query_show.h"
#include "rpc.h"

/* One node's call. */
struct dnode {
    uint64_t id;
    uint64_t *shard_ids;
    size_t nshards, cap;
    st_rpc_pending *pending;
};

struct del {
    struct rq_plan p;
    struct dnode *nodes;
    size_t nn;
};

static int add_shard(struct del *d, uint64_t node, uint64_t shard)
{
    size_t k = 0;
    while (k < d->nn && d->nodes[k].id != node)
        k++;
    if (k == d->nn) {
        struct dnode *nv = realloc(d->nodes, (d->nn + 1) * sizeof(*nv));
        if (nv == NULL)
            return ST_ENOMEM;
        d->nodes = nv;
        memset(&d->nodes[d->nn++], 0, sizeof(*nv));
        d->nodes[k].id = node;
    }
    struct dnode *n = &d->nodes[k];
    if (n->nshards == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 16;
        uint64_t *v = realloc(n->shard_ids, cap * sizeof(*v));
        if (v == NULL)
            return ST_ENOMEM;
        n->shard_ids = v;
        n->cap = cap;
    }
    n->shard_ids[n->nshards++] = shard;
    return ST_OK;
}

/* Every owner of every shard of p->db in the time range, grouped by node;
 * fails when an owner is unknown or DOWN. */
static int plan_nodes(struct del *d)
{
    struct rq_plan *p = &d->p;
    const Strata__Catalogue *cat = p->cat;
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        if (g->deleted || strcmp(g->database, p->db) != 0)
            continue;
        if ((p->has_tmax && g->start_ns > p->tmax) || (p->has_tmin && g->end_ns <= p->tmin))
            continue;
        for (size_t k = 0; k < g->n_shards; k++) {
            const Strata__Shard *sh = g->shards[k];
            for (size_t o = 0; o < sh->n_owners; o++) {
                const Strata__DataNode *n = st_cat_node(cat, sh->owners[o]);
                if (n == NULL || n->status == STRATA__NODE_STATUS__DOWN)
                    return rq_fail(p,
                                   "data node %" PRIu64 ", an owner of shard %" PRIu64
                                   ", is down: nothing was deleted (a delete must reach every "
                                   "replica; run it again when the node is back)",
                                   sh->owners[o], sh->id);
                int rv = add_shard(d, sh->owners[o], sh->id);
                if (rv != ST_OK)
                    return rv;
            }
        }
    }
    return ST_OK;
}

static void set_ids(Strata__DataRequest *dr, uint64_t *ids, size_t n)
{
    if (dr->req_case == STRATA__DATA_REQUEST__REQ_DELETE_SERIES) {
        dr->delete_series->shard_ids = ids;
        dr->delete_series->n_shard_ids = n;
    } else {
        dr->delete_range->shard_ids = ids;
        dr->delete_range->n_shard_ids = n;
    }
}

static int remaining_ms(const struct rq_plan *p)
{
    int64_t left = p->deadline_ms - rq_mono_ms();
    return left > 0 ? (int)left : 0;
}

/* Sends @dr to every planned node at once; the first failure is the
 * statement's error, once every call has ended. */
static int send_all(struct del *d, Strata__DataRequest *dr)
{
    struct rq_plan *p = &d->p;
    struct st_buf req, resp;
    st_buf_init(&req);
    st_buf_init(&resp);
    char why[512] = "", refused[512] = "";
    int rv = ST_OK;
    for (size_t k = 0; k < d->nn; k++) {
        struct dnode *n = &d->nodes[k];
        struct st_owner *w = st_owners_get(p->env->owners, p->cat, n->id);
        if (w == NULL) {
            if (!why[0])
                snprintf(why, sizeof(why), "data node %" PRIu64 " is not reachable", n->id);
            continue;
        }
        set_ids(dr, n->shard_ids, n->nshards);
        size_t len = strata__data_request__get_packed_size(dr);
        st_buf_reset(&req);
        if (st_buf_reserve(&req, len) != ST_OK) {
            rv = ST_ENOMEM;
            break;
        }
        strata__data_request__pack(dr, (uint8_t *)req.p);
        req.len = len;
        int left = remaining_ms(p);
        int srv = left > 0
                      ? st_rpc_start(st_owner_client(w), req.p, req.len, 1000, left, &n->pending)
                      : ST_ETIMEDOUT;
        if (srv != ST_OK) {
            n->pending = NULL;
            if (!why[0])
                snprintf(why, sizeof(why), "data node %" PRIu64 ": %s", n->id, st_strerror(srv));
        }
    }
    for (size_t k = 0; k < d->nn; k++) {
        struct dnode *n = &d->nodes[k];
        if (n->pending == NULL)
            continue;
        int frv = st_rpc_finish(n->pending, &resp);
        n->pending = NULL;
        if (frv != ST_OK) {
            if (!why[0])
                snprintf(why, sizeof(why), "data node %" PRIu64 ": %s", n->id,
                         frv == ST_EUNAVAIL ? "unreachable" : st_strerror(frv));
            continue;
        }
        Strata__DataResponse *r =
            strata__data_response__unpack(NULL, resp.len, (const uint8_t *)resp.p);
        if (r == NULL) {
            if (!why[0])
                snprintf(why, sizeof(why), "data node %" PRIu64 ": bad answer", n->id);
            continue;
        }
        if (r->error != NULL && r->error->code == STRATA__ERROR_CODE__INVALID_ARGUMENT &&
            !refused[0])
            snprintf(refused, sizeof(refused), "%s",
                     r->error->message && r->error->message[0] ? r->error->message : "error");
        else if (r->error != NULL && r->error->code != STRATA__ERROR_CODE__OK && !why[0])
            snprintf(why, sizeof(why), "data node %" PRIu64 ": %s", n->id,
                     r->error->message && r->error->message[0] ? r->error->message : "error");
        strata__data_response__free_unpacked(r, NULL);
    }
    st_buf_fini(&req);
    st_buf_fini(&resp);
    if (rv == ST_OK && refused[0]) /* InfluxDB's refusal, checked before deleting */
        rv = rq_fail(p, "%s", refused);
    else if (rv == ST_OK && why[0])
        rv = rq_fail(p,
                     "delete incomplete: %s; the other owners applied it: run the statement "
                     "again",
                     why);
    return rv;
}

/* One request for one source (measurement @name, @regex, or all). */
static int delete_source(struct del *d, const char *name, const char *regex, bool range)
{
    struct rq_plan *p = &d->p;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    Strata__DeleteSeries ds = STRATA__DELETE_SERIES__INIT;
    Strata__DeleteRange rg = STRATA__DELETE_RANGE__INIT;
    dr.catalogue_index = p->cat->index;
    if (range) {
        rg.database = (char *)p->db;
        if (regex != NULL) {
            rg.source_case = STRATA__DELETE_RANGE__SOURCE_MEASUREMENT_REGEX;
            rg.measurement_regex = (char *)regex;
        } else if (name != NULL) {
            rg.source_case = STRATA__DELETE_RANGE__SOURCE_MEASUREMENT;
            rg.measurement = (char *)name;
        }
        rg.condition = p->tags;
        rg.min_ns = p->has_tmin ? p->tmin : INT64_MIN;
        rg.max_ns = p->has_tmax ? p->tmax : INT64_MAX;
        dr.req_case = STRATA__DATA_REQUEST__REQ_DELETE_RANGE;
        dr.delete_range = &rg;
    } else {
        ds.database = (char *)p->db;
        if (regex != NULL) {
            ds.source_case = STRATA__DELETE_SERIES__SOURCE_MEASUREMENT_REGEX;
            ds.measurement_regex = (char *)regex;
        } else if (name != NULL) {
            ds.source_case = STRATA__DELETE_SERIES__SOURCE_MEASUREMENT;
            ds.measurement = (char *)name;
        }
        ds.condition = p->tags;
        dr.req_case = STRATA__DATA_REQUEST__REQ_DELETE_SERIES;
        dr.delete_series = &ds;
    }
    return send_all(d, &dr);
}

static int run(struct del *d, const struct st_query_req *req, const struct st_iql_stmt *s)
{
    struct rq_plan *p = &d->p;
    p->db = req->db != NULL ? req->db : "";
    if (st_cat_database(p->cat, p->db) == NULL) /* also without db=, as InfluxDB 1.6 */
        return rq_fail(p, "database not found: %s", p->db);
    if (s->kind == ST_IQL_DROP_MEASUREMENT) {
        int rv = plan_nodes(d);
        return rv == ST_OK ? delete_source(d, s->name, NULL, false) : rv;
    }
    const struct st_iql_select *sel = s->sel;
    const struct st_iql_expr *rest = NULL;
    int rv = rq_split_time(p, sel->cond, req->now_ns, &rest);
    if (rv != ST_OK)
        return rv;
    if (s->kind == ST_IQL_DROP_SERIES && (p->has_tmin || p->has_tmax))
        return rq_fail(p, "DROP SERIES doesn't support time in WHERE clause");
    if ((rv = rq_tag_expr(p, rest, &p->tags)) != ST_OK)
        return rv;
    if (p->has_tmin && p->has_tmax && p->tmin > p->tmax)
        return ST_OK;
    if ((rv = plan_nodes(d)) != ST_OK || d->nn == 0)
        return rv;
    bool range = s->kind == ST_IQL_DELETE;
    if (sel->nsources == 0)
        return delete_source(d, NULL, NULL, range);
    for (size_t i = 0; rv == ST_OK && i < sel->nsources; i++)
        rv = delete_source(d, sel->sources[i].name, sel->sources[i].regex, range);
    return rv;
}

int st_query_delete(const struct st_query_env *env, const struct st_query_req *req,
                    const struct st_iql_stmt *s, struct st_buf *err)
{
    const struct st_mcat *mc = st_mcli_acquire(env->meta);
    if (mc == NULL) {
        int rv = st_buf_puts(err, "no catalogue from the meta service yet");
        return rv == ST_OK ? ST_EUNAVAIL : rv;
    }
    struct rq_arena *ar = NULL;
    struct del d = {0};
    int rv = rq_arena_new(&ar);
    if (rv == ST_OK) {
        d.p = (struct rq_plan){.ar = ar,
                               .cat = mc->cat,
                               .env = env,
                               .err = err,
                               .deadline_ms =
                                   rq_mono_ms() + (env->timeout_ms ? env->timeout_ms : 60000),
                               .sel = s->sel,
                               .deleting = true};
        rv = run(&d, req, s);
    }
    for (size_t k = 0; k < d.nn; k++)
        free(d.nodes[k].shard_ids);
    free(d.nodes);
    rq_arena_free(ar);
    st_mcli_release(env->meta, mc);
    return rv;
}
