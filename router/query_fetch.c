/* Which shards a statement reads, and asking their owners.
 *
 * The shards are those of every live group of the policy that overlaps the
 * time range. Each is read from one owner: the first one that is not DOWN,
 * then, when that owner fails (no answer, a retryable error, or the shard
 * missing there), the next one. Shards going to the same node share one
 * call per round; the calls of a round run concurrently. All pages of a
 * node's answer are gathered before any is used, so a node that fails
 * half-way is retried elsewhere without counting anything twice.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalogue.h"
#include "err.h"
#include "query_int.h"
#include "rpc.h"

int64_t rq_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rq_find_shards(struct rq_plan *p)
{
    const Strata__Catalogue *cat = p->cat;
    size_t n = 0;
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        if (g->deleted || strcmp(g->database, p->db) != 0 ||
            strcmp(g->retention_policy, p->rp) != 0)
            continue;
        if ((p->has_tmax && g->start_ns > p->tmax) || (p->has_tmin && g->end_ns <= p->tmin))
            continue;
        n += g->n_shards;
    }
    p->shards = n ? rq_alloc(p->ar, n * sizeof(*p->shards)) : NULL;
    if (n && p->shards == NULL)
        return ST_ENOMEM;
    p->nshards = 0;
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        if (g->deleted || strcmp(g->database, p->db) != 0 ||
            strcmp(g->retention_policy, p->rp) != 0)
            continue;
        if ((p->has_tmax && g->start_ns > p->tmax) || (p->has_tmin && g->end_ns <= p->tmin))
            continue;
        for (size_t k = 0; k < g->n_shards; k++) {
            struct rq_shard *s = &p->shards[p->nshards++];
            s->id = g->shards[k]->id;
            s->shard = g->shards[k];
            s->next_owner = 0;
        }
    }
    return ST_OK;
}

/* Answers are unpacked into an arena of their own: an aggregate answer is
 * thousands of small messages (a Window, its FieldPartials, their Values),
 * and one malloc each, then one free each, was a good part of a query's
 * time. The whole answer is freed at once. */
struct pb_chunk {
    struct pb_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct pb_arena {
    ProtobufCAllocator a;
    struct pb_chunk *head;
    size_t next_cap;
};

static void *pba_alloc(void *arg, size_t n)
{
    struct pb_arena *ar = arg;
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct pb_chunk *c = ar->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = ar->next_cap > n ? ar->next_cap : n;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->next = ar->head;
        c->used = 0;
        c->cap = cap;
        ar->head = c;
        if (ar->next_cap < (64u << 20))
            ar->next_cap *= 2;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static void pba_free(void *arg, void *p)
{
    (void)arg;
    (void)p; /* freed with the arena */
}

static void pba_destroy(struct pb_arena *ar)
{
    if (ar == NULL)
        return;
    for (struct pb_chunk *c = ar->head, *n; c != NULL; c = n) {
        n = c->next;
        free(c);
    }
    free(ar);
}

/* Unpacks one answer into a new arena (*@arena, free with pba_destroy()).
 * NULL when it is not a DataResponse or memory ran out. */
static Strata__DataResponse *unpack(const struct st_buf *b, struct pb_arena **arena)
{
    struct pb_arena *ar = calloc(1, sizeof(*ar));
    *arena = NULL;
    if (ar == NULL)
        return NULL;
    ar->a.alloc = pba_alloc;
    ar->a.free = pba_free;
    ar->a.allocator_data = ar;
    ar->next_cap = 2 * b->len + 4096;
    Strata__DataResponse *r = strata__data_response__unpack(&ar->a, b->len, (const uint8_t *)b->p);
    if (r == NULL) {
        pba_destroy(ar);
        return NULL;
    }
    *arena = ar;
    return r;
}

/* The responses of one request to all shards, with their arenas. */
struct rq_resps {
    Strata__DataResponse **r;
    struct pb_arena **ar;
    size_t n, cap;
};

static void resps_free(struct rq_resps *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        pba_destroy(rs->ar[i]);
    free(rs->r);
    free(rs->ar);
    memset(rs, 0, sizeof(*rs));
}

/* Takes @r and its arena @ar; on ST_ENOMEM they are freed. */
static int resps_add(struct rq_resps *rs, Strata__DataResponse *r, struct pb_arena *ar)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        void *np = realloc(rs->r, cap * sizeof(*rs->r));
        void *na = np ? realloc(rs->ar, cap * sizeof(*rs->ar)) : NULL;
        if (np != NULL)
            rs->r = np;
        if (na == NULL) {
            pba_destroy(ar);
            return ST_ENOMEM;
        }
        rs->ar = na;
        rs->cap = cap;
    }
    rs->r[rs->n] = r;
    rs->ar[rs->n++] = ar;
    return ST_OK;
}

/* One node's share of a round. */
struct rq_node {
    uint64_t id;
    struct st_owner *owner;
    uint64_t *shard_ids;
    size_t nshards;
    st_rpc_pending *pending;
    struct rq_resps pages;
    char why[256]; /* why it failed, "" if it did not */
};

static void set_ids(Strata__DataRequest *dr, uint64_t *ids, size_t n)
{
    if (dr->req_case == STRATA__DATA_REQUEST__REQ_QUERY) {
        dr->query->shard_ids = ids;
        dr->query->n_shard_ids = n;
    } else {
        dr->schema_query->shard_ids = ids;
        dr->schema_query->n_shard_ids = n;
    }
}

static int pack(Strata__DataRequest *dr, struct st_buf *out)
{
    size_t n = strata__data_request__get_packed_size(dr);
    st_buf_reset(out);
    if (st_buf_reserve(out, n) != ST_OK)
        return ST_ENOMEM;
    strata__data_request__pack(dr, (uint8_t *)out->p);
    out->len = n;
    return ST_OK;
}

/* KILL QUERY reached this statement: it stops before its next call. */
static bool killed(const struct rq_plan *p)
{
    return p->env->killed != NULL && atomic_load(p->env->killed);
}

static int remaining_ms(const struct rq_plan *p)
{
    int64_t left = p->deadline_ms - rq_mono_ms();
    return left > 0 ? (int)left : 0;
}

/* Checks one page; ST_OK with *@more and *@cur when it is an answer. */
static int judge(struct rq_node *nd, Strata__DataResponse *r, bool *more, ProtobufCBinaryData *cur)
{
    *more = false;
    if (r->error != NULL && r->error->code == STRATA__ERROR_CODE__INVALID_ARGUMENT) {
        /* The statement's fault (max-select-series): the node's text as is */
        snprintf(nd->why, sizeof(nd->why), "%s", r->error->message ? r->error->message : "error");
        return ST_EINVAL;
    }
    if (r->error != NULL && r->error->code != STRATA__ERROR_CODE__OK) {
        snprintf(nd->why, sizeof(nd->why), "data node %" PRIu64 ": %s", nd->id,
                 r->error->message ? r->error->message : "error");
        return st_owner_retry_later(r->error->code) ||
                       r->error->code == STRATA__ERROR_CODE__NOT_FOUND
                   ? ST_EUNAVAIL
                   : ST_EINVAL;
    }
    if (r->resp_case == STRATA__DATA_RESPONSE__RESP_QUERY && r->query->more) {
        *more = true;
        *cur = r->query->cursor;
    }
    return ST_OK;
}

/* Gathers the rest of a node's pages after the first. */
static int page_on(struct rq_plan *p, Strata__DataRequest *dr, struct rq_node *nd,
                   struct st_buf *req, struct st_buf *resp, ProtobufCBinaryData cur)
{
    for (;;) {
        dr->query->cursor = cur;
        set_ids(dr, nd->shard_ids, nd->nshards);
        if (pack(dr, req) != ST_OK)
            return ST_ENOMEM;
        if (killed(p)) {
            snprintf(nd->why, sizeof(nd->why), "query interrupted");
            return ST_EINVAL;
        }
        int left = remaining_ms(p);
        if (left == 0)
            return ST_ETIMEDOUT;
        int rv = st_rpc_call(st_owner_client(nd->owner), req->p, req->len, left, resp);
        if (rv != ST_OK) {
            snprintf(nd->why, sizeof(nd->why), "data node %" PRIu64 ": %s", nd->id,
                     st_strerror(rv));
            return rv == ST_ETIMEDOUT ? rv : ST_EUNAVAIL;
        }
        struct pb_arena *ar;
        Strata__DataResponse *r = unpack(resp, &ar);
        if (r == NULL) {
            snprintf(nd->why, sizeof(nd->why), "data node %" PRIu64 ": bad answer", nd->id);
            return ST_EUNAVAIL;
        }
        if (resps_add(&nd->pages, r, ar) != ST_OK)
            return ST_ENOMEM;
        bool more;
        if ((rv = judge(nd, r, &more, &cur)) != ST_OK || !more)
            return rv;
    }
}

/* The owner to ask for @s next: the next one not DOWN, else the next one. */
static int pick_owner(struct rq_plan *p, struct rq_shard *s, uint64_t *id)
{
    const Strata__Shard *sh = s->shard;
    while (s->next_owner < sh->n_owners) {
        const Strata__DataNode *n = st_cat_node(p->cat, sh->owners[s->next_owner]);
        if (n != NULL && n->status != STRATA__NODE_STATUS__DOWN) {
            *id = sh->owners[s->next_owner];
            return ST_OK;
        }
        s->next_owner++;
    }
    return ST_ENOTFOUND;
}

/* Marks every shard of @nd as failed there; they go to their next owner. */
static void failed(struct rq_plan *p, const struct rq_node *nd, const uint64_t *ids, size_t n)
{
    (void)nd;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < p->nshards; k++)
            if (p->shards[k].id == ids[i])
                p->shards[k].next_owner++;
}

/* Sends @dr to one owner of every shard; on ST_OK @out holds every page. */
static int call_owners(struct rq_plan *p, Strata__DataRequest *dr, struct rq_resps *out)
{
    int rv = ST_OK;
    bool *done = calloc(p->nshards ? p->nshards : 1, sizeof(*done));
    struct rq_node *nodes = calloc(p->nshards ? p->nshards : 1, sizeof(*nodes));
    uint64_t *ids = calloc(p->nshards ? p->nshards : 1, sizeof(*ids));
    struct st_buf req, resp;
    st_buf_init(&req);
    st_buf_init(&resp);
    char last_why[256] = "";
    if (done == NULL || nodes == NULL || ids == NULL) {
        rv = ST_ENOMEM;
        goto out;
    }
    for (;;) {
        /* Plan the round: pending shards by owner. */
        size_t nn = 0, nid = 0;
        for (size_t i = 0; i < p->nshards; i++) {
            if (done[i])
                continue;
            uint64_t id;
            if (pick_owner(p, &p->shards[i], &id) != ST_OK) {
                /* An owner that does not hold the shard never received a
                 * point of it (the catalogue names an owner only once it
                 * holds its copy, docs/query-engine.md): when no other
                 * owner answered, the shard is read as empty. */
                if (p->shards[i].absent) {
                    done[i] = true;
                    continue;
                }
                rv = rq_fail(p, "shard %" PRIu64 ": no owner answered%s%s", p->shards[i].id,
                             last_why[0] ? ": " : "", last_why);
                if (rv == ST_EINVAL)
                    rv = ST_EUNAVAIL;
                goto out;
            }
            size_t k = 0;
            while (k < nn && nodes[k].id != id)
                k++;
            if (k == nn) {
                memset(&nodes[nn], 0, sizeof(nodes[nn]));
                nodes[nn++].id = id;
            }
            (void)nid;
        }
        if (nn == 0)
            break;
        /* Shard ids grouped per node in one array. */
        size_t at = 0;
        for (size_t k = 0; k < nn; k++) {
            nodes[k].shard_ids = ids + at;
            for (size_t i = 0; i < p->nshards; i++) {
                uint64_t id;
                if (!done[i] && pick_owner(p, &p->shards[i], &id) == ST_OK && id == nodes[k].id)
                    ids[at++] = p->shards[i].id;
            }
            nodes[k].nshards = (size_t)(ids + at - nodes[k].shard_ids);
        }
        /* Start every node's first page. */
        for (size_t k = 0; k < nn; k++) {
            struct rq_node *nd = &nodes[k];
            nd->owner = st_owners_get(p->env->owners, p->cat, nd->id);
            if (nd->owner == NULL) {
                snprintf(nd->why, sizeof(nd->why), "data node %" PRIu64 " is not reachable",
                         nd->id);
                continue;
            }
            if (dr->req_case == STRATA__DATA_REQUEST__REQ_QUERY) {
                dr->query->cursor.data = NULL;
                dr->query->cursor.len = 0;
            }
            set_ids(dr, nd->shard_ids, nd->nshards);
            if ((rv = pack(dr, &req)) != ST_OK)
                goto out;
            if (killed(p)) {
                rv = rq_fail(p, "query interrupted");
                goto out;
            }
            int left = remaining_ms(p);
            if (left == 0) {
                rv = ST_ETIMEDOUT;
                goto out;
            }
            int srv =
                st_rpc_start(st_owner_client(nd->owner), req.p, req.len, 1000, left, &nd->pending);
            if (srv != ST_OK) {
                nd->pending = NULL;
                snprintf(nd->why, sizeof(nd->why), "data node %" PRIu64 ": %s", nd->id,
                         st_strerror(srv));
            }
        }
        /* Finish them; a failed node's shards go to their next owner. */
        int hard = ST_OK;
        for (size_t k = 0; k < nn; k++) {
            struct rq_node *nd = &nodes[k];
            int nrv = ST_EUNAVAIL;
            if (nd->pending != NULL) {
                nrv = st_rpc_finish(nd->pending, &resp);
                nd->pending = NULL;
                if (nrv == ST_OK) {
                    struct pb_arena *ar;
                    Strata__DataResponse *r = unpack(&resp, &ar);
                    bool more = false;
                    ProtobufCBinaryData cur = {0, NULL};
                    if (r == NULL) {
                        nrv = ST_EUNAVAIL;
                    } else if (resps_add(&nd->pages, r, ar) != ST_OK) {
                        nrv = ST_ENOMEM;
                    } else {
                        nrv = judge(nd, r, &more, &cur);
                    }
                    if (nrv == ST_OK && more && hard == ST_OK)
                        nrv = page_on(p, dr, nd, &req, &resp, cur);
                } else {
                    snprintf(nd->why, sizeof(nd->why), "data node %" PRIu64 ": %s", nd->id,
                             nrv == ST_EUNAVAIL ? "unreachable" : st_strerror(nrv));
                    if (nrv != ST_ETIMEDOUT)
                        nrv = ST_EUNAVAIL;
                }
            }
            if (nrv == ST_OK) {
                /* Shards the node did not hold go to their next owner. */
                for (size_t i = 0; i < nd->pages.n; i++) {
                    Strata__DataResponse *r = nd->pages.r[i];
                    const uint64_t *miss = NULL;
                    size_t nmiss = 0;
                    if (r->resp_case == STRATA__DATA_RESPONSE__RESP_QUERY) {
                        miss = r->query->missing_shard_ids;
                        nmiss = r->query->n_missing_shard_ids;
                    } else if (r->resp_case == STRATA__DATA_RESPONSE__RESP_SCHEMA_QUERY) {
                        miss = r->schema_query->missing_shard_ids;
                        nmiss = r->schema_query->n_missing_shard_ids;
                    }
                    failed(p, nd, miss, nmiss);
                    for (size_t m = 0; m < nmiss; m++)
                        for (size_t j = 0; j < p->nshards; j++)
                            if (p->shards[j].id == miss[m])
                                p->shards[j].absent = true;
                    for (size_t m = 0; m < nmiss; m++)
                        snprintf(last_why, sizeof(last_why),
                                 "data node %" PRIu64 " does not hold it", nd->id);
                }
                for (size_t i = 0; i < nd->nshards; i++)
                    for (size_t s = 0; s < p->nshards; s++) {
                        uint64_t id;
                        if (p->shards[s].id == nd->shard_ids[i] &&
                            pick_owner(p, &p->shards[s], &id) == ST_OK && id == nd->id)
                            done[s] = true;
                    }
                size_t moved = 0;
                for (; moved < nd->pages.n && hard == ST_OK; moved++) {
                    struct pb_arena *ar = nd->pages.ar[moved];
                    nd->pages.ar[moved] = NULL; /* resps_add owns it now */
                    if (resps_add(out, nd->pages.r[moved], ar) != ST_OK)
                        hard = ST_ENOMEM;
                }
            } else if (nrv == ST_EINVAL) {
                hard = rq_fail(p, "%s", nd->why);
            } else if (nrv == ST_ENOMEM || nrv == ST_ETIMEDOUT) {
                hard = nrv;
            } else {
                memcpy(last_why, nd->why, sizeof(last_why));
                failed(p, nd, nd->shard_ids, nd->nshards);
            }
            resps_free(&nd->pages);
        }
        if (hard != ST_OK) {
            rv = hard;
            if (rv == ST_ETIMEDOUT)
                rv = rq_fail(p, "query-timeout limit exceeded");
            goto out;
        }
    }
out:
    if (nodes != NULL)
        for (size_t k = 0; k < p->nshards; k++) {
            if (nodes[k].pending != NULL)
                st_rpc_finish(nodes[k].pending, &resp);
            resps_free(&nodes[k].pages);
        }
    free(nodes);
    free(ids);
    free(done);
    st_buf_fini(&req);
    st_buf_fini(&resp);
    return rv;
}

int rq_fetch(struct rq_plan *p, Strata__Query *q, rq_series_fn fn, void *arg)
{
    if (p->sub != NULL)
        return rq_sub_fetch(p, q, fn, arg);
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    dr.catalogue_index = p->cat->index;
    dr.req_case = STRATA__DATA_REQUEST__REQ_QUERY;
    dr.query = q;
    q->deadline_ms = (uint32_t)remaining_ms(p);
    struct rq_resps rs = {0};
    int rv = p->nshards ? call_owners(p, &dr, &rs) : ST_OK;
    for (size_t i = 0; rv == ST_OK && i < rs.n; i++) {
        const Strata__QueryResponse *qr = rs.r[i]->query;
        for (size_t s = 0; rv == ST_OK && qr != NULL && s < qr->n_series; s++)
            rv = fn(arg, qr->series[s]);
    }
    resps_free(&rs);
    q->shard_ids = NULL;
    q->n_shard_ids = 0;
    return rv;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted, de-duplicated keys of one kind from the pages of a listing. */
static int collect_keys(struct rq_plan *p, const struct rq_resps *rs, const char ***keys,
                        Strata__FieldType **types, size_t *n)
{
    size_t total = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->r[i]->schema_query != NULL)
            total += rs->r[i]->schema_query->n_entries;
    const char **k = rq_alloc(p->ar, (total ? total : 1) * sizeof(*k));
    Strata__FieldType *t = rq_alloc(p->ar, (total ? total : 1) * sizeof(*t));
    if (k == NULL || t == NULL)
        return ST_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const Strata__SchemaQueryResponse *sq = rs->r[i]->schema_query;
        for (size_t e = 0; sq != NULL && e < sq->n_entries; e++) {
            const char *key = rq_strdup(p->ar, sq->entries[e]->key, strlen(sq->entries[e]->key));
            if (key == NULL)
                return ST_ENOMEM;
            k[m] = key;
            t[m++] = sq->entries[e]->type;
        }
    }
    /* Sort keys (types follow) by insertion into a sorted run. */
    for (size_t i = 1; i < m; i++) {
        const char *kk = k[i];
        Strata__FieldType tt = t[i];
        size_t j = i;
        while (j > 0 && strcmp(k[j - 1], kk) > 0) {
            k[j] = k[j - 1];
            t[j] = t[j - 1];
            j--;
        }
        k[j] = kk;
        t[j] = tt;
    }
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || strcmp(k[u - 1], k[i]) != 0) {
            k[u] = k[i];
            t[u++] = t[i];
        }
    (void)cmp_str;
    *keys = k;
    if (types != NULL)
        *types = t;
    *n = u;
    return ST_OK;
}

static int cmp_cstr(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int c = strcmp(x, y);
    return c != 0 ? c : strcmp(x + strlen(x) + 1, y + strlen(y) + 1);
}

/* p->mfields from a FIELD_KEYS listing. */
static int collect_mfields(struct rq_plan *p, const struct rq_resps *rs)
{
    size_t total = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->r[i]->schema_query != NULL)
            total += rs->r[i]->schema_query->n_entries;
    const char **k = rq_alloc(p->ar, (total ? total : 1) * sizeof(*k));
    if (k == NULL)
        return ST_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const Strata__SchemaQueryResponse *sq = rs->r[i]->schema_query;
        for (size_t e = 0; sq != NULL && e < sq->n_entries; e++) {
            const Strata__SchemaEntry *en = sq->entries[e];
            size_t ml = strlen(en->measurement), kl = strlen(en->key);
            char *pair = rq_alloc(p->ar, ml + kl + 2);
            if (pair == NULL)
                return ST_ENOMEM;
            memcpy(pair, en->measurement, ml + 1);
            memcpy(pair + ml + 1, en->key, kl + 1);
            k[m++] = pair;
        }
    }
    if (m > 1)
        qsort(k, m, sizeof(*k), cmp_cstr);
    p->mfields = k;
    p->nmfields = m;
    return ST_OK;
}

bool rq_meas_has_field(const struct rq_plan *p, const char *m, const char *f)
{
    size_t ml = strlen(m), fl = strlen(f);
    char stack[512], *key = ml + fl + 2 <= sizeof(stack) ? stack : malloc(ml + fl + 2);
    if (key == NULL)
        return true;
    memcpy(key, m, ml + 1);
    memcpy(key + ml + 1, f, fl + 1);
    const char *kp = key;
    bool found = p->nmfields > 0 &&
                 bsearch(&kp, p->mfields, p->nmfields, sizeof(*p->mfields), cmp_cstr) != NULL;
    if (key != stack)
        free(key);
    return found;
}

static int listing(struct rq_plan *p, Strata__SchemaKind kind, struct rq_resps *rs)
{
    Strata__SchemaQuery sq = STRATA__SCHEMA_QUERY__INIT;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    Strata__TimeRange tr = STRATA__TIME_RANGE__INIT;
    sq.database = (char *)p->db;
    sq.kind = kind;
    if (p->mregex != NULL) {
        sq.source_case = STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT_REGEX;
        sq.measurement_regex = (char *)p->mregex;
    } else {
        sq.source_case = STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT;
        sq.measurement = (char *)p->measurement;
    }
    tr.min_ns = p->has_tmin ? p->tmin : INT64_MIN;
    tr.max_ns = p->has_tmax ? p->tmax : INT64_MAX;
    sq.time_range = &tr;
    dr.catalogue_index = p->cat->index;
    dr.req_case = STRATA__DATA_REQUEST__REQ_SCHEMA_QUERY;
    dr.schema_query = &sq;
    return p->nshards ? call_owners(p, &dr, rs) : ST_OK;
}

int rq_load_schema(struct rq_plan *p, bool tags)
{
    struct rq_resps rs = {0};
    int rv = listing(p, STRATA__SCHEMA_KIND__FIELD_KEYS, &rs);
    if (rv == ST_OK)
        rv = collect_keys(p, &rs, &p->fields, &p->field_types, &p->nfields);
    if (rv == ST_OK)
        rv = collect_mfields(p, &rs);
    resps_free(&rs);
    if (rv == ST_OK && tags) {
        rv = listing(p, STRATA__SCHEMA_KIND__TAG_KEYS, &rs);
        if (rv == ST_OK)
            rv = collect_keys(p, &rs, &p->tag_keys, NULL, &p->ntag_keys);
        resps_free(&rs);
    }
    return rv;
}

int rq_list(struct rq_plan *p, Strata__SchemaQuery *sq, rq_entry_fn fn, void *arg)
{
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    dr.catalogue_index = p->cat->index;
    dr.req_case = STRATA__DATA_REQUEST__REQ_SCHEMA_QUERY;
    dr.schema_query = sq;
    struct rq_resps rs = {0};
    int rv = p->nshards ? call_owners(p, &dr, &rs) : ST_OK;
    for (size_t i = 0; rv == ST_OK && i < rs.n; i++) {
        const Strata__SchemaQueryResponse *r = rs.r[i]->schema_query;
        for (size_t e = 0; rv == ST_OK && r != NULL && e < r->n_entries; e++)
            rv = fn(arg, r->entries[e]);
    }
    resps_free(&rs);
    sq->shard_ids = NULL;
    sq->n_shard_ids = 0;
    return rv;
}
