/* Lookups on a Strata__Catalogue: binary searches over its sorted lists,
 * the group covering an instant, InfluxDB's time alignment, and the
 * retention and liveness scans the leader runs. Pure functions: they read
 * only their arguments, so routers use them on their own catalogue copy. */
#include "catalogue_int.h"

/* Seconds from 0001-01-01T00:00:00Z (Go's zero time, InfluxDB's alignment
 * origin) to the Unix epoch. */
#define GO_ZERO_TO_EPOCH_S 62135596800ULL

/* Binary search of @name in @items (sorted by name), where each item's name
 * is the char * at @name_off; the insertion point when absent. */
static size_t name_pos(void *const *items, size_t n, size_t name_off, const char *name, bool *found)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(*(char *const *)((const char *)items[mid] + name_off), name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

size_t cat_db_pos(const Strata__Catalogue *cat, const char *name, bool *found)
{
    return name_pos((void *const *)cat->databases, cat->n_databases,
                    offsetof(Strata__Database, name), name, found);
}

size_t cat_rp_pos(const Strata__Database *db, const char *name, bool *found)
{
    return name_pos((void *const *)db->retention_policies, db->n_retention_policies,
                    offsetof(Strata__RetentionPolicy, name), name, found);
}

size_t cat_user_pos(const Strata__Catalogue *cat, const char *name, bool *found)
{
    return name_pos((void *const *)cat->users, cat->n_users, offsetof(Strata__User, name), name,
                    found);
}

/* Binary search of @id in an id-sorted array of messages whose first member
 * after the base is the uint64 id (DataNode, ShardGroup, MetaMember). */
#define ID_POS(arr, n, key, found)               \
    do {                                         \
        size_t lo_ = 0, hi_ = (n);               \
        while (lo_ < hi_) {                      \
            size_t mid_ = lo_ + (hi_ - lo_) / 2; \
            if ((arr)[mid_]->id == (key)) {      \
                *(found) = true;                 \
                return mid_;                     \
            }                                    \
            if ((arr)[mid_]->id < (key))         \
                lo_ = mid_ + 1;                  \
            else                                 \
                hi_ = mid_;                      \
        }                                        \
        *(found) = false;                        \
        return lo_;                              \
    } while (0)

size_t cat_node_pos(const Strata__Catalogue *cat, uint64_t id, bool *found)
{
    ID_POS(cat->nodes, cat->n_nodes, id, found);
}

size_t cat_group_pos(const Strata__Catalogue *cat, uint64_t id, bool *found)
{
    ID_POS(cat->shard_groups, cat->n_shard_groups, id, found);
}

size_t cat_member_pos(const Strata__Catalogue *cat, uint64_t id, bool *found)
{
    ID_POS(cat->meta_members, cat->n_meta_members, id, found);
}

const Strata__Database *st_cat_database(const Strata__Catalogue *cat, const char *name)
{
    bool found;
    size_t i = cat_db_pos(cat, name ? name : "", &found);
    return found ? cat->databases[i] : NULL;
}

const Strata__RetentionPolicy *st_cat_rp(const Strata__Catalogue *cat, const char *db,
                                         const char *rp)
{
    const Strata__Database *d = st_cat_database(cat, db);
    if (d == NULL)
        return NULL;
    if (rp == NULL || rp[0] == '\0')
        rp = d->default_rp;
    if (rp[0] == '\0')
        return NULL;
    bool found;
    size_t i = cat_rp_pos(d, rp, &found);
    return found ? d->retention_policies[i] : NULL;
}

const Strata__DataNode *st_cat_node(const Strata__Catalogue *cat, uint64_t id)
{
    bool found;
    size_t i = cat_node_pos(cat, id, &found);
    return found ? cat->nodes[i] : NULL;
}

const Strata__ShardGroup *st_cat_group(const Strata__Catalogue *cat, uint64_t id)
{
    bool found;
    size_t i = cat_group_pos(cat, id, &found);
    return found ? cat->shard_groups[i] : NULL;
}

bool st_cat_group_covers(const Strata__ShardGroup *g, int64_t t)
{
    if (g->deleted || t < g->start_ns || t >= g->end_ns)
        return false;
    return g->truncated_at_ns == 0 || t < g->truncated_at_ns;
}

const Strata__ShardGroup *st_cat_group_for(const Strata__Catalogue *cat, const char *db,
                                           const char *rp, int64_t t)
{
    const Strata__Database *d = st_cat_database(cat, db);
    if (d == NULL)
        return NULL;
    if (rp == NULL || rp[0] == '\0')
        rp = d->default_rp;
    /* Newest first: after a truncation the newest group is the one that
     * takes writes, and recent instants are the common case. */
    for (size_t i = cat->n_shard_groups; i-- > 0;) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        if (st_cat_group_covers(g, t) && strcmp(g->retention_policy, rp) == 0 &&
            strcmp(g->database, d->name) == 0)
            return g;
    }
    return NULL;
}

const Strata__Shard *st_cat_shard_for(const Strata__ShardGroup *g, uint64_t series_hash)
{
    if (g->n_shards == 0)
        return NULL;
    return g->shards[series_hash % g->n_shards];
}

const Strata__Shard *st_cat_shard(const Strata__Catalogue *cat, uint64_t id,
                                  const Strata__ShardGroup **group)
{
    /* Linear: only admin commands (SetShardOwners) look shards up by id. */
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        for (size_t j = 0; j < g->n_shards; j++) {
            if (g->shards[j]->id == id) {
                if (group != NULL)
                    *group = g;
                return g->shards[j];
            }
        }
    }
    return NULL;
}

size_t st_cat_expired_groups(const Strata__Catalogue *cat, int64_t now_ns, uint64_t *ids,
                             size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        if (g->deleted)
            continue;
        const Strata__RetentionPolicy *rp = st_cat_rp(cat, g->database, g->retention_policy);
        if (rp == NULL || rp->duration_ns <= 0 || now_ns < INT64_MIN + rp->duration_ns)
            continue;
        if (g->end_ns <= now_ns - rp->duration_ns) {
            if (n < cap)
                ids[n] = g->id;
            n++;
        }
    }
    return n;
}

size_t st_cat_down_nodes(const Strata__Catalogue *cat, int64_t now_ns, int64_t timeout_ns,
                         uint64_t *ids, size_t cap)
{
    size_t n = 0;
    if (timeout_ns < 0 || now_ns < INT64_MIN + timeout_ns)
        return 0;
    for (size_t i = 0; i < cat->n_nodes; i++) {
        const Strata__DataNode *d = cat->nodes[i];
        if (d->status == STRATA__NODE_STATUS__UP && d->last_heartbeat_ns < now_ns - timeout_ns) {
            if (n < cap)
                ids[n] = d->id;
            n++;
        }
    }
    return n;
}

int64_t st_cat_default_group_duration(int64_t duration_ns)
{
    if (duration_ns == 0 || duration_ns >= 180 * ST_CAT_DAY_NS)
        return 7 * ST_CAT_DAY_NS;
    if (duration_ns >= 2 * ST_CAT_DAY_NS)
        return ST_CAT_DAY_NS;
    return ST_CAT_HOUR_NS;
}

int64_t cat_normalise_group_duration(int64_t group_ns, int64_t duration_ns)
{
    if (group_ns == 0)
        return st_cat_default_group_duration(duration_ns);
    if (group_ns < ST_CAT_HOUR_NS)
        return ST_CAT_HOUR_NS;
    return group_ns;
}

/* (a * b) mod m without overflow, for a, b < m < 2^63. */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    uint64_t r = 0;
    while (b > 0) {
        if (b & 1)
            r = (r + a) % m;
        a = (a * 2) % m;
        b >>= 1;
    }
    return r;
}

int64_t st_cat_align(int64_t t, int64_t group_ns)
{
    uint64_t d = (uint64_t)group_ns;
    uint64_t off = mulmod(GO_ZERO_TO_EPOCH_S % d, 1000000000ULL % d, d);
    int64_t tm = t % group_ns;
    if (tm < 0)
        tm += group_ns;
    uint64_t r = ((uint64_t)tm + off) % d;
    if (t < INT64_MIN + (int64_t)r)
        return INT64_MIN;
    return t - (int64_t)r;
}
