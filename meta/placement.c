/* Shard placement for new shard groups: a pure function of the catalogue.
 *
 * A new group gets one shard per UP data node (at least one), so every node
 * takes a share of the group's writes. Each shard gets min(RF, #UP)
 * distinct UP owners. Owners are chosen greedily, shard by shard: the
 * least-loaded UP nodes, where a node's load is the number of shard replicas
 * it owns in live (not deleted) groups of the whole cluster, counting the
 * replicas already given out in this group; ties go to the lower node id.
 * Picking the k least-loaded nodes and adding one to each never widens the
 * spread between the most and the least loaded node beyond one, so when the
 * UP set is stable every node owns the same number of replicas +-1. A node
 * that joins starts at load 0 and so receives new shards first; moving
 * existing shards is the rebalance's job (stratactl), not placement's.
 * DOWN and LEAVING nodes receive nothing.
 */
#include <stdlib.h>

#include "catalogue_int.h"

struct load {
    uint64_t id; /* data node id */
    uint64_t n;  /* live replicas it owns */
    bool taken;  /* already an owner of the shard being placed */
};

/* Index of node @id in @l (sorted by id), or @n if absent. */
static size_t load_find(const struct load *l, size_t n, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l[mid].id == id)
            return mid;
        if (l[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n;
}

static Strata__Shard *new_shard(uint64_t id, uint64_t group_id, size_t owners)
{
    Strata__Shard *s = malloc(sizeof *s);
    if (s == NULL)
        return NULL;
    strata__shard__init(s);
    s->id = id;
    s->shard_group_id = group_id;
    s->owners = calloc(owners, sizeof *s->owners);
    if (s->owners == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

int cat_place(const Strata__Catalogue *cat, uint32_t rf, Strata__ShardGroup *g)
{
    size_t n_up = 0;
    for (size_t i = 0; i < cat->n_nodes; i++)
        n_up += cat->nodes[i]->status == STRATA__NODE_STATUS__UP;
    if (n_up == 0)
        return ST_EUNAVAIL;
    struct load *l = calloc(n_up, sizeof *l);
    if (l == NULL)
        return ST_ENOMEM;
    for (size_t i = 0, j = 0; i < cat->n_nodes; i++)
        if (cat->nodes[i]->status == STRATA__NODE_STATUS__UP)
            l[j++].id = cat->nodes[i]->id;
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *sg = cat->shard_groups[i];
        for (size_t j = 0; !sg->deleted && j < sg->n_shards; j++) {
            const Strata__Shard *s = sg->shards[j];
            for (size_t k = 0; k < s->n_owners; k++) {
                size_t at = load_find(l, n_up, s->owners[k]);
                if (at < n_up)
                    l[at].n++;
            }
        }
    }

    size_t k = rf < 1 ? 1 : (rf < n_up ? rf : n_up);
    int rv = ST_ENOMEM;
    g->shards = calloc(n_up, sizeof *g->shards);
    if (g->shards == NULL)
        goto out;
    for (size_t s = 0; s < n_up; s++) {
        Strata__Shard *sh = new_shard(cat->next_shard_id + s, g->id, k);
        if (sh == NULL)
            goto out; /* g->shards holds what was built; the caller frees g */
        g->shards[g->n_shards++] = sh;
        for (size_t i = 0; i < n_up; i++)
            l[i].taken = false;
        for (size_t o = 0; o < k; o++) {
            size_t best = n_up;
            for (size_t i = 0; i < n_up; i++)
                if (!l[i].taken && (best == n_up || l[i].n < l[best].n))
                    best = i; /* strict <: the lower id wins a tie */
            l[best].taken = true;
            l[best].n++;
            sh->owners[sh->n_owners++] = l[best].id;
        }
    }
    rv = ST_OK;
out:
    free(l);
    return rv;
}
