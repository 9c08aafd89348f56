/* Commands on shard groups and data nodes.
 *
 * CreateShardGroup is the hot one: routers propose it when a point falls in
 * no group. It is idempotent (several routers may race for the same
 * instant: the first creates, the rest get the same group back and consume
 * no ids). A new group is aligned as InfluxDB aligns it (st_cat_align()) and
 * then clipped so that, for writes, it never overlaps another live group of
 * its policy: a group truncated at T only takes writes before T, so the
 * group created after it starts at T; a policy whose group duration was
 * altered may have neighbours of another width. Placement is placement.c.
 */
#include <stdlib.h>

#include "catalogue_int.h"

#define E_INVALID STRATA__ERROR_CODE__INVALID_ARGUMENT
#define E_NOTFOUND STRATA__ERROR_CODE__NOT_FOUND

size_t cat_mark_deleted(Strata__Catalogue *cat, const char *db, const char *rp, int64_t at)
{
    size_t n = 0;
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        Strata__ShardGroup *g = cat->shard_groups[i];
        if (g->deleted || strcmp(g->database, db) != 0 ||
            (rp != NULL && strcmp(g->retention_policy, rp) != 0))
            continue;
        g->deleted = true;
        g->deleted_at_ns = at;
        n++;
    }
    return n;
}

/* Resolves @db / @rp ("" = default) for a shard-group command, or sets an
 * error result and returns NULL. */
static const Strata__RetentionPolicy *find_rp(const Strata__Catalogue *cat, const char *db,
                                              const char *rp, struct st_cat_result *res)
{
    const Strata__Database *d = st_cat_database(cat, db);
    if (d == NULL) {
        cat_fail(res, E_NOTFOUND, "database not found: %s", db);
        return NULL;
    }
    if (rp[0] == '\0' && d->default_rp[0] == '\0') {
        cat_fail(res, E_NOTFOUND, "default retention policy not set for: %s", db);
        return NULL;
    }
    const Strata__RetentionPolicy *p = st_cat_rp(cat, db, rp);
    if (p == NULL)
        cat_fail(res, E_NOTFOUND, "retention policy not found: %s", rp);
    return p;
}

/* Clips [*start, *end) around @t so it overlaps no live group of db/rp in
 * the instants those take writes. No live group covers @t. */
static void clip(const Strata__Catalogue *cat, const char *db, const char *rp, int64_t t,
                 int64_t *start, int64_t *end)
{
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        if (g->deleted || strcmp(g->retention_policy, rp) != 0 || strcmp(g->database, db) != 0)
            continue;
        int64_t gs = g->start_ns, ge = g->end_ns;
        if (g->truncated_at_ns != 0 && g->truncated_at_ns < ge)
            ge = g->truncated_at_ns;
        if (ge <= gs)
            continue; /* takes no writes at all */
        if (ge <= t && ge > *start)
            *start = ge;
        if (gs > t && gs < *end)
            *end = gs;
    }
}

int cat_create_group(Strata__Catalogue *cat, const Strata__CreateShardGroup *m,
                     struct st_cat_result *res)
{
    const Strata__RetentionPolicy *rp = find_rp(cat, m->database, m->retention_policy, res);
    if (rp == NULL)
        return ST_OK;
    int64_t t = m->timestamp_ns;
    const Strata__ShardGroup *have = st_cat_group_for(cat, m->database, rp->name, t);
    if (have != NULL) {
        res->group = have;
        res->group_id = have->id;
        return ST_OK;
    }
    int64_t width = rp->shard_group_duration_ns;
    int64_t start = st_cat_align(t, width);
    int64_t end = start > INT64_MAX - width ? INT64_MAX : start + width;
    if (t >= end)
        return cat_fail(res, STRATA__ERROR_CODE__OUT_OF_RANGE, "timestamp out of range: %" PRId64,
                        t);
    clip(cat, m->database, rp->name, t, &start, &end);

    Strata__ShardGroup *g = malloc(sizeof *g);
    if (g == NULL)
        return ST_ENOMEM;
    strata__shard_group__init(g);
    g->id = cat->next_shard_group_id;
    g->start_ns = start;
    g->end_ns = end;
    g->database = cat_strdup(m->database);
    g->retention_policy = cat_strdup(rp->name);
    int rv = ST_ENOMEM;
    void *arr = NULL;
    if (g->database == NULL || g->retention_policy == NULL)
        goto err_group;
    if ((rv = cat_place(cat, rp->replication_factor, g)) != ST_OK) {
        if (rv == ST_EUNAVAIL) {
            rv = cat_fail(res, STRATA__ERROR_CODE__UNAVAILABLE, "at least one node required");
        }
        goto err_group;
    }
    rv = ST_ENOMEM;
    if ((arr = cat_grow(cat->shard_groups, cat->n_shard_groups, sizeof *cat->shard_groups)) == NULL)
        goto err_group;
    cat->shard_groups = arr;
    /* The newest group has the largest id: appending keeps the order. */
    cat->shard_groups[cat->n_shard_groups++] = g;
    cat->next_shard_group_id++;
    cat->next_shard_id += g->n_shards;
    res->group = g;
    res->group_id = g->id;
    res->changed = true;
    return ST_OK;

err_group:
    if (g->database == NULL)
        g->database = (char *)protobuf_c_empty_string;
    if (g->retention_policy == NULL)
        g->retention_policy = (char *)protobuf_c_empty_string;
    protobuf_c_message_free_unpacked(&g->base, NULL);
    return rv;
}

int cat_delete_group(Strata__Catalogue *cat, const Strata__DeleteShardGroup *m,
                     struct st_cat_result *res)
{
    const Strata__RetentionPolicy *rp = find_rp(cat, m->database, m->retention_policy, res);
    if (rp == NULL)
        return ST_OK;
    bool found;
    size_t pos = cat_group_pos(cat, m->shard_group_id, &found);
    Strata__ShardGroup *g = found ? cat->shard_groups[pos] : NULL;
    if (g == NULL || strcmp(g->database, m->database) != 0 ||
        strcmp(g->retention_policy, rp->name) != 0)
        return cat_fail(res, E_NOTFOUND, "shard group not found");
    if (g->deleted)
        return ST_OK; /* keeps the first deletion time */
    g->deleted = true;
    g->deleted_at_ns = m->deleted_at_ns;
    res->changed = true;
    return ST_OK;
}

int cat_truncate_groups(Strata__Catalogue *cat, const Strata__TruncateShardGroups *m,
                        struct st_cat_result *res)
{
    int64_t t = m->timestamp_ns;
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        Strata__ShardGroup *g = cat->shard_groups[i];
        /* As InfluxDB: every live group that could take writes at or after
         * t stops at t; a group entirely after t stops at its start. */
        if (g->deleted || t >= g->end_ns || (g->truncated_at_ns != 0 && g->truncated_at_ns <= t))
            continue;
        int64_t at = t > g->start_ns ? t : g->start_ns;
        /* 0 means "not truncated" in the proto: truncating at the epoch
         * instant itself is stored one nanosecond earlier. */
        if (at == 0)
            at = -1;
        if (g->truncated_at_ns == at)
            continue;
        g->truncated_at_ns = at;
        res->changed = true;
    }
    return ST_OK;
}

int cat_add_node(Strata__Catalogue *cat, const Strata__AddDataNode *m, struct st_cat_result *res)
{
    if (m->rpc_addr[0] == '\0')
        return cat_fail(res, E_INVALID, "data node rpc address required");
    for (size_t i = 0; i < cat->n_nodes; i++) {
        Strata__DataNode *n = cat->nodes[i];
        if (strcmp(n->rpc_addr, m->rpc_addr) != 0)
            continue;
        /* Re-registration of a known address: same id; it is alive. */
        if (m->http_addr[0] != '\0' && strcmp(n->http_addr, m->http_addr) != 0) {
            char *h = cat_strdup(m->http_addr);
            if (h == NULL)
                return ST_ENOMEM;
            cat_strfree(n->http_addr);
            n->http_addr = h;
            res->changed = true;
        }
        if (n->status == STRATA__NODE_STATUS__DOWN) {
            n->status = STRATA__NODE_STATUS__UP;
            res->changed = true;
        }
        if (n->last_heartbeat_ns != m->now_ns) {
            n->last_heartbeat_ns = m->now_ns;
            res->changed = true;
        }
        res->assigned_id = n->id;
        return ST_OK;
    }
    Strata__DataNode *n = malloc(sizeof *n);
    if (n == NULL)
        return ST_ENOMEM;
    strata__data_node__init(n);
    n->id = cat->next_node_id;
    n->status = STRATA__NODE_STATUS__UP;
    n->last_heartbeat_ns = m->now_ns;
    n->rpc_addr = cat_strdup(m->rpc_addr);
    n->http_addr = cat_strdup(m->http_addr);
    void *arr = NULL;
    if (n->rpc_addr == NULL || n->http_addr == NULL ||
        (arr = cat_grow(cat->nodes, cat->n_nodes, sizeof *cat->nodes)) == NULL) {
        if (n->rpc_addr == NULL)
            n->rpc_addr = (char *)protobuf_c_empty_string;
        if (n->http_addr == NULL)
            n->http_addr = (char *)protobuf_c_empty_string;
        protobuf_c_message_free_unpacked(&n->base, NULL);
        return ST_ENOMEM;
    }
    cat->nodes = arr;
    cat->nodes[cat->n_nodes++] = n; /* largest id: appending keeps the order */
    cat->next_node_id++;
    res->assigned_id = n->id;
    res->changed = true;
    return ST_OK;
}

int cat_remove_node(Strata__Catalogue *cat, const Strata__RemoveDataNode *m,
                    struct st_cat_result *res)
{
    bool found;
    size_t pos = cat_node_pos(cat, m->node_id, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "node not found");
    uint64_t id = m->node_id;
    if (!m->force) {
        for (size_t i = 0; i < cat->n_shard_groups; i++) {
            const Strata__ShardGroup *g = cat->shard_groups[i];
            for (size_t j = 0; !g->deleted && j < g->n_shards; j++) {
                const Strata__Shard *s = g->shards[j];
                if (s->n_owners == 1 && s->owners[0] == id)
                    return cat_fail(res, STRATA__ERROR_CODE__INVALID_ARGUMENT,
                                    "shard not replicated: shard %" PRIu64
                                    " has no other owner than node %" PRIu64,
                                    s->id, id);
            }
        }
    }
    /* Forget it as an owner everywhere, tombstones included, so that every
     * owner in the catalogue names an existing node. */
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        Strata__ShardGroup *g = cat->shard_groups[i];
        for (size_t j = 0; j < g->n_shards; j++) {
            Strata__Shard *s = g->shards[j];
            for (size_t k = 0; k < s->n_owners; k++) {
                if (s->owners[k] == id) {
                    CAT_REMOVE(s->owners, s->n_owners, k);
                    break;
                }
            }
        }
    }
    Strata__DataNode *n = cat->nodes[pos];
    CAT_REMOVE(cat->nodes, cat->n_nodes, pos);
    protobuf_c_message_free_unpacked(&n->base, NULL);
    res->changed = true;
    return ST_OK;
}

int cat_update_node(Strata__Catalogue *cat, const Strata__UpdateDataNode *m,
                    struct st_cat_result *res)
{
    bool found;
    size_t pos = cat_node_pos(cat, m->node_id, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "node not found");
    if ((int)m->status < 0 || m->status > STRATA__NODE_STATUS__LEAVING)
        return cat_fail(res, E_INVALID, "invalid node status: %d", (int)m->status);
    Strata__DataNode *n = cat->nodes[pos];
    char *rpc = NULL, *http = NULL;
    if (m->rpc_addr[0] != '\0' && (rpc = cat_strdup(m->rpc_addr)) == NULL)
        return ST_ENOMEM;
    if (m->http_addr[0] != '\0' && (http = cat_strdup(m->http_addr)) == NULL) {
        cat_strfree(rpc);
        return ST_ENOMEM;
    }
    if (rpc != NULL) {
        res->changed |= strcmp(rpc, n->rpc_addr) != 0;
        cat_strfree(n->rpc_addr);
        n->rpc_addr = rpc;
    }
    if (http != NULL) {
        res->changed |= strcmp(http, n->http_addr) != 0;
        cat_strfree(n->http_addr);
        n->http_addr = http;
    }
    if (m->status != STRATA__NODE_STATUS__NODE_STATUS_UNSPECIFIED && m->status != n->status) {
        n->status = m->status;
        res->changed = true;
    }
    if (m->last_heartbeat_ns != 0 && m->last_heartbeat_ns != n->last_heartbeat_ns) {
        n->last_heartbeat_ns = m->last_heartbeat_ns;
        res->changed = true;
    }
    return ST_OK;
}

int cat_set_owners(Strata__Catalogue *cat, const Strata__SetShardOwners *m,
                   struct st_cat_result *res)
{
    Strata__Shard *s = (Strata__Shard *)st_cat_shard(cat, m->shard_id, NULL);
    if (s == NULL)
        return cat_fail(res, E_NOTFOUND, "shard not found: %" PRIu64, m->shard_id);
    if (m->n_owners == 0)
        return cat_fail(res, E_INVALID, "shard owners required");
    for (size_t i = 0; i < m->n_owners; i++) {
        if (st_cat_node(cat, m->owners[i]) == NULL)
            return cat_fail(res, E_NOTFOUND, "node not found: %" PRIu64, m->owners[i]);
        for (size_t j = 0; j < i; j++)
            if (m->owners[j] == m->owners[i])
                return cat_fail(res, E_INVALID, "duplicate shard owner: %" PRIu64, m->owners[i]);
    }
    if (s->n_owners == m->n_owners &&
        memcmp(s->owners, m->owners, m->n_owners * sizeof *m->owners) == 0)
        return ST_OK;
    uint64_t *o = malloc(m->n_owners * sizeof *o);
    if (o == NULL)
        return ST_ENOMEM;
    memcpy(o, m->owners, m->n_owners * sizeof *o);
    free(s->owners);
    s->owners = o;
    s->n_owners = m->n_owners;
    res->changed = true;
    return ST_OK;
}
