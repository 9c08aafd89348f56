/* Series groups of an answer, by (measurement, tags). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"
#include "regex.h"

void rq_groups_init(struct rq_groups *gs)
{
    memset(gs, 0, sizeof(*gs));
    st_buf_init(&gs->key);
}

void rq_groups_fini(struct rq_groups *gs)
{
    for (size_t i = 0; i < gs->n; i++)
        free(gs->v[i]->items);
    free(gs->v);
    free(gs->table);
    st_buf_fini(&gs->key);
    memset(gs, 0, sizeof(*gs));
}

static uint64_t fnv(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static int series_key(struct st_buf *b, const Strata__SeriesResult *sr)
{
    st_buf_reset(b);
    int rv = st_buf_append(b, sr->measurement, strlen(sr->measurement) + 1);
    for (size_t i = 0; rv == ST_OK && i < sr->n_tags; i++) {
        rv = st_buf_append(b, sr->tags[i]->key, strlen(sr->tags[i]->key) + 1);
        if (rv == ST_OK)
            rv = st_buf_append(b, sr->tags[i]->value, strlen(sr->tags[i]->value) + 1);
    }
    return rv;
}

static int grow_table(struct rq_groups *gs)
{
    size_t cap = gs->tcap ? gs->tcap * 2 : 64;
    struct rq_group **t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < gs->n; i++) {
        size_t j = gs->v[i]->hash & (cap - 1);
        while (t[j] != NULL)
            j = (j + 1) & (cap - 1);
        t[j] = gs->v[i];
    }
    free(gs->table);
    gs->table = t;
    gs->tcap = cap;
    return ST_OK;
}

static struct rq_group *new_group(struct rq_groups *gs, struct rq_arena *ar,
                                  const Strata__SeriesResult *sr, uint64_t h)
{
    struct rq_group *g = rq_alloc(ar, sizeof(*g));
    if (g == NULL || (g->key = rq_strdup(ar, gs->key.p, gs->key.len)) == NULL)
        return NULL;
    g->keylen = gs->key.len;
    g->hash = h;
    g->name = g->key;
    g->ntags = sr->n_tags;
    g->tags = rq_alloc(ar, (sr->n_tags + 1) * sizeof(*g->tags));
    if (g->tags == NULL)
        return NULL;
    for (size_t i = 0; i < sr->n_tags; i++) {
        Strata__Tag *t = rq_alloc(ar, sizeof(*t));
        if (t == NULL)
            return NULL;
        strata__tag__init(t);
        t->key = rq_strdup(ar, sr->tags[i]->key, strlen(sr->tags[i]->key));
        t->value = rq_strdup(ar, sr->tags[i]->value, strlen(sr->tags[i]->value));
        if (t->key == NULL || t->value == NULL)
            return NULL;
        g->tags[i] = t;
    }
    if (gs->n == gs->cap) {
        size_t cap = gs->cap ? gs->cap * 2 : 16;
        void *np = realloc(gs->v, cap * sizeof(*gs->v));
        if (np == NULL)
            return NULL;
        gs->v = np;
        gs->cap = cap;
    }
    gs->v[gs->n++] = g;
    return g;
}

struct rq_group *rq_group_of(struct rq_groups *gs, struct rq_arena *ar,
                             const Strata__SeriesResult *sr)
{
    if (series_key(&gs->key, sr) != ST_OK)
        return NULL;
    uint64_t h = fnv(gs->key.p, gs->key.len);
    if ((gs->n + 1) * 2 > gs->tcap && grow_table(gs) != ST_OK)
        return NULL;
    size_t j = h & (gs->tcap - 1);
    for (; gs->table[j] != NULL; j = (j + 1) & (gs->tcap - 1)) {
        struct rq_group *g = gs->table[j];
        if (g->hash == h && g->keylen == gs->key.len && memcmp(g->key, gs->key.p, g->keylen) == 0)
            return g;
    }
    struct rq_group *g = new_group(gs, ar, sr, h);
    if (g != NULL)
        gs->table[j] = g;
    return g;
}

static int cmp_group(const void *a, const void *b)
{
    const struct rq_group *x = *(struct rq_group *const *)a, *y = *(struct rq_group *const *)b;
    size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->keylen < y->keylen ? -1 : x->keylen > y->keylen);
}

void rq_groups_sort(struct rq_groups *gs, bool desc)
{
    if (gs->n > 1)
        qsort(gs->v, gs->n, sizeof(*gs->v), cmp_group);
    /* ORDER BY time DESC lists the series in reverse order too (InfluxDB). */
    for (size_t i = 0; desc && i < gs->n / 2; i++) {
        struct rq_group *t = gs->v[i];
        gs->v[i] = gs->v[gs->n - 1 - i];
        gs->v[gs->n - 1 - i] = t;
    }
}

int rq_group_regex(struct rq_plan *p)
{
    if (p->ngroup_res == 0)
        return ST_OK;
    size_t cap = p->ngroup_tags + p->ntag_keys;
    const char **tags = rq_alloc(p->ar, (cap ? cap : 1) * sizeof(*tags));
    st_re **res = calloc(p->ngroup_res, sizeof(*res));
    int rv = tags == NULL || res == NULL ? ST_ENOMEM : ST_OK;
    for (size_t i = 0; rv == ST_OK && i < p->ngroup_res; i++) {
        char msg[256] = "";
        const char *pat = p->group_res[i];
        if (st_re_compile(pat, strlen(pat), &res[i], msg, sizeof(msg)) != ST_OK)
            rv = rq_fail(p, "invalid regular expression /%s/: %s", pat, msg);
    }
    /* Both lists are sorted: merge them, adding the matching tag keys. */
    size_t n = 0, a = 0, b = 0;
    while (rv == ST_OK && (a < p->ngroup_tags || b < p->ntag_keys)) {
        const char *x = a < p->ngroup_tags ? p->group_tags[a] : NULL;
        const char *y = b < p->ntag_keys ? p->tag_keys[b] : NULL;
        int c = x == NULL ? 1 : y == NULL ? -1 : strcmp(x, y);
        if (c <= 0) {
            tags[n++] = x;
            a++;
            b += c == 0;
            continue;
        }
        b++;
        bool match = false;
        for (size_t i = 0; !match && i < p->ngroup_res; i++)
            match = st_re_match(res[i], y, strlen(y));
        if (match)
            tags[n++] = y;
    }
    for (size_t i = 0; res != NULL && i < p->ngroup_res; i++)
        st_re_free(res[i]);
    free(res);
    if (rv == ST_OK) {
        p->group_tags = tags;
        p->ngroup_tags = n;
    }
    return rv;
}
