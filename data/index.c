/*
 * The per-shard index in memory: series, measurements, tags and fields.
 *
 * Happy path of a new series. st_index_series_id() hashes the key once and
 * probes the series dict under the shared lock; nearly every call ends
 * there. On a miss it takes the exclusive lock, probes again (another
 * writer may have won), splits the key into unescaped names and prepares
 * everything the series needs: room in the series array, its dict and the
 * arena; its measurement, tag key and tag value entries, created when new;
 * room for one more id in each posting list it joins. Only then is the log
 * record written (index_log.c), and the commit that follows cannot fail, so
 * the log and memory always agree. Ids grow, so every posting list stays
 * sorted by appending.
 *
 * Failure modes. ENOMEM while preparing leaves at worst entries that no
 * series joined; listings skip them and the next creation reuses them. A
 * failed log write is undone by the log (ftruncate) and nothing is
 * committed. A malformed key is refused before anything is touched. Field
 * creation follows the same prepare, log, commit order.
 *
 * Memory. Names and keys are copied once into an arena of 256 KiB chunks
 * that never move, which is why series keys can be lent until close. A tag
 * value is 32 bytes plus its name; its first id lives inline, so the
 * million unique values of a high-cardinality tag cost no allocation each.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "index_int.h"

#define NONE UINT32_MAX
#define ARENA_CHUNK (256 * 1024)

static void *mem_realloc(st_index *idx, void *p, size_t old, size_t size)
{
    void *np = realloc(p, size);
    if (np != NULL)
        idx->mem = idx->mem - old + size;
    return np;
}

/* Grows array @p of @size-byte elements so that it holds @need, by half
 * again at least. Returns the array, maybe moved, or NULL (@p kept). */
static void *grow(st_index *idx, void *p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap)
        return p;
    uint64_t ncap = *cap < 4 ? 4 : (uint64_t)*cap + *cap / 2;
    if (ncap < need)
        ncap = need;
    if (ncap > UINT32_MAX)
        ncap = UINT32_MAX;
    void *np = mem_realloc(idx, p, (size_t)*cap * size, (size_t)ncap * size);
    if (np != NULL)
        *cap = (uint32_t)ncap;
    return np;
}

/* Makes sure the next arena_put() of @n bytes cannot fail. */
static int arena_reserve(st_index *idx, size_t n)
{
    struct st_chunk *c = idx->arena;
    if (c != NULL && c->cap - c->used >= n)
        return ST_OK;
    size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
    c = malloc(sizeof *c + cap);
    if (c == NULL)
        return ST_ENOMEM;
    idx->mem += sizeof *c + cap;
    c->cap = cap;
    c->used = 0;
    c->next = idx->arena;
    idx->arena = c;
    return ST_OK;
}

/* Copies @s into the arena, after arena_reserve(). */
static struct st_slice arena_put(st_index *idx, struct st_slice s)
{
    struct st_chunk *c = idx->arena;
    char *p = c->data + c->used;
    if (s.len)
        memcpy(p, s.p, s.len);
    c->used += s.len;
    struct st_slice out = {p, s.len};
    return out;
}

void st_index_plist_view(const struct st_plist *pl, const uint32_t **ids, size_t *n)
{
    *ids = pl->cap ? pl->u.ids : &pl->u.one;
    *n = pl->n;
}

/* Makes sure the next plist_push() cannot fail. */
static int plist_reserve(st_index *idx, struct st_plist *pl)
{
    if (pl->cap == 0) {
        if (pl->n == 0)
            return ST_OK;
        uint32_t *ids = mem_realloc(idx, NULL, 0, 4 * sizeof *ids);
        if (ids == NULL)
            return ST_ENOMEM;
        ids[0] = pl->u.one;
        pl->u.ids = ids;
        pl->cap = 4;
        return ST_OK;
    }
    uint32_t *ids = grow(idx, pl->u.ids, &pl->cap, pl->n + 1, sizeof *ids);
    if (ids == NULL)
        return ST_ENOMEM;
    pl->u.ids = ids;
    return ST_OK;
}

static void plist_push(struct st_plist *pl, uint32_t id)
{
    if (pl->cap == 0)
        pl->u.one = id, pl->n = 1;
    else
        pl->u.ids[pl->n++] = id;
}

static void plist_free(st_index *idx, struct st_plist *pl)
{
    if (pl->cap) {
        free(pl->u.ids);
        idx->mem -= (size_t)pl->cap * sizeof(uint32_t);
    }
}

uint32_t st_index_name_hash(struct st_slice name)
{
    return (uint32_t)st_series_hash(name.p, name.len);
}

uint32_t st_index_dict_find(const struct st_dict *d, const void *ents, size_t stride,
                            struct st_slice name, uint32_t hash)
{
    if (d->slots == NULL)
        return NONE;
    for (uint32_t i = hash & d->mask;; i = (i + 1) & d->mask) {
        struct st_dslot s = d->slots[i];
        if (s.ent == 0)
            return NONE;
        if (s.hash != hash)
            continue;
        const struct st_slice *e =
            (const struct st_slice *)((const char *)ents + (size_t)(s.ent - 1) * stride);
        if (e->len == name.len && memcmp(e->p, name.p, name.len) == 0)
            return s.ent - 1;
    }
}

/* Makes sure the next dict_put() cannot fail: doubles the slots when one
 * more entry would load them past 3/4. */
static int dict_reserve(st_index *idx, struct st_dict *d)
{
    uint64_t nslots = d->slots ? (uint64_t)d->mask + 1 : 0;
    if (((uint64_t)d->n + 1) * 4 <= nslots * 3)
        return ST_OK;
    uint64_t grown = nslots ? nslots * 2 : 8;
    if (grown > (uint64_t)UINT32_MAX + 1)
        return ST_ENOMEM; /* UNTESTED: 3 billion entries */
    struct st_dslot *s = calloc((size_t)grown, sizeof *s);
    if (s == NULL)
        return ST_ENOMEM;
    uint32_t mask = (uint32_t)(grown - 1);
    for (uint64_t i = 0; i < nslots; i++) {
        struct st_dslot o = d->slots[i];
        if (o.ent == 0)
            continue;
        uint32_t j = o.hash & mask;
        while (s[j].ent)
            j = (j + 1) & mask;
        s[j] = o;
    }
    free(d->slots);
    idx->mem += (size_t)(grown - nslots) * sizeof *s;
    d->slots = s;
    d->mask = mask;
    return ST_OK;
}

/* Adds entry d->n, after dict_reserve(). */
static void dict_put(struct st_dict *d, uint32_t hash)
{
    uint32_t i = hash & d->mask;
    while (d->slots[i].ent)
        i = (i + 1) & d->mask;
    d->slots[i].ent = ++d->n;
    d->slots[i].hash = hash;
}

static void dict_free(st_index *idx, struct st_dict *d)
{
    if (d->slots)
        idx->mem -= ((size_t)d->mask + 1) * sizeof *d->slots;
    idx->mem -= (size_t)d->nsorted * sizeof *d->order;
    free(d->slots);
    free(d->order);
}

/* Prepares a named entry: after it, add_entry() cannot fail. The caller
 * has made room for entry d->n in its array. */
static int prepare_entry(st_index *idx, struct st_dict *d, const void *ents, size_t stride,
                         uint32_t name_len)
{
    int rv = dict_reserve(idx, d);
    if (rv == ST_OK)
        rv = st_index_dict_order(d, ents, stride, &idx->mem);
    if (rv == ST_OK)
        rv = arena_reserve(idx, name_len);
    return rv;
}

/* Adds entry d->n named @name (copied), its other fields zero; returns its
 * index. */
static uint32_t add_entry(st_index *idx, struct st_dict *d, void *ents, size_t stride,
                          struct st_slice name, uint32_t hash)
{
    uint32_t i = d->n;
    char *e = (char *)ents + (size_t)i * stride;
    memset(e, 0, stride);
    *(struct st_slice *)e = arena_put(idx, name);
    dict_put(d, hash);
    return i;
}

/* The typed get-or-create of measurement, tag key and tag value entries.
 * An entry made here and then not joined by a series stays, unlisted. */
#define GET_OR_ADD(idx, d, arr, cap, name, out)                                    \
    do {                                                                           \
        uint32_t h_ = st_index_name_hash(name);                                    \
        uint32_t i_ = st_index_dict_find((d), (arr), sizeof *(arr), (name), h_);   \
        if (i_ == NONE) {                                                          \
            void *a_ = grow((idx), (arr), (cap), (d)->n + 1, sizeof *(arr));       \
            if (a_ == NULL)                                                        \
                return ST_ENOMEM;                                                  \
            (arr) = a_;                                                            \
            int rv_ = prepare_entry((idx), (d), (arr), sizeof *(arr), (name).len); \
            if (rv_ != ST_OK)                                                      \
                return rv_;                                                        \
            i_ = add_entry((idx), (d), (arr), sizeof *(arr), (name), h_);          \
        }                                                                          \
        *(out) = i_;                                                               \
    } while (0)

static int meas_get(st_index *idx, struct st_slice name, uint32_t *out)
{
    GET_OR_ADD(idx, &idx->mdict, idx->m, &idx->mcap, name, out);
    return ST_OK;
}

static int tkey_get(st_index *idx, struct st_meas *m, struct st_slice name, uint32_t *out)
{
    GET_OR_ADD(idx, &m->kdict, m->k, &m->kcap, name, out);
    return ST_OK;
}

static int tvalue_get(st_index *idx, struct st_tkey *tk, struct st_slice name, uint32_t *out)
{
    GET_OR_ADD(idx, &tk->dict, tk->v, &tk->cap, name, out);
    return ST_OK;
}

const struct st_meas *st_index_meas(const st_index *idx, struct st_slice name)
{
    uint32_t i =
        st_index_dict_find(&idx->mdict, idx->m, sizeof *idx->m, name, st_index_name_hash(name));
    return i == NONE ? NULL : &idx->m[i];
}

static uint32_t series_find(const st_index *idx, struct st_slice key, uint32_t hash)
{
    return st_index_dict_find(&idx->sdict, idx->series, sizeof *idx->series, key, hash);
}

/* Creates series @key (hash @hash) with the next id; with @log, writes its
 * record between prepare and commit. Under the exclusive lock. */
static int series_create(st_index *idx, struct st_slice key, uint32_t hash, bool log, uint32_t *id)
{
    if (idx->nseries >= UINT32_MAX - 1)
        return ST_ERANGE; /* UNTESTED: 4 billion series */
    int rv = st_index_key_parse(&idx->key, key.p, key.len);
    if (rv != ST_OK)
        return rv;
    const struct st_index_key *k = &idx->key;
    if (k->ntags > UINT32_MAX / 2)
        return ST_EINVAL; /* UNTESTED: cannot fit in a 64 KiB key */

    struct st_slice *s = grow(idx, idx->series, &idx->series_cap, idx->nseries + 1, sizeof *s);
    if (s == NULL)
        return ST_ENOMEM;
    idx->series = s;
    if ((rv = dict_reserve(idx, &idx->sdict)) != ST_OK)
        return rv;
    uint32_t mi;
    if ((rv = meas_get(idx, k->measurement, &mi)) != ST_OK)
        return rv;
    if ((rv = plist_reserve(idx, &idx->m[mi].series)) != ST_OK)
        return rv;
    uint32_t *pend = idx->pend;
    if (k->ntags * 2 > idx->pend_cap) {
        pend = grow(idx, pend, &idx->pend_cap, (uint32_t)k->ntags * 2, sizeof *pend);
        if (pend == NULL)
            return ST_ENOMEM;
        idx->pend = pend;
    }
    for (size_t t = 0; t < k->ntags; t++) {
        struct st_meas *m = &idx->m[mi];
        if ((rv = tkey_get(idx, m, k->tags[t].key, &pend[2 * t])) != ST_OK)
            return rv;
        struct st_tkey *tk = &m->k[pend[2 * t]];
        if ((rv = tvalue_get(idx, tk, k->tags[t].value, &pend[2 * t + 1])) != ST_OK)
            return rv;
        if ((rv = plist_reserve(idx, &tk->v[pend[2 * t + 1]].ids)) != ST_OK)
            return rv;
    }
    /* The key goes last: the arena's head chunk must still have the room. */
    if ((rv = arena_reserve(idx, key.len)) != ST_OK)
        return rv;
    if (log && (rv = st_index_log_series(idx, idx->nseries + 1, key)) != ST_OK)
        return rv;

    /* Commit: nothing below can fail. */
    uint32_t nid = idx->nseries + 1;
    idx->series[idx->nseries++] = arena_put(idx, key);
    dict_put(&idx->sdict, hash);
    struct st_meas *m = &idx->m[mi];
    plist_push(&m->series, nid);
    for (size_t t = 0; t < k->ntags; t++) {
        struct st_tkey *tk = &m->k[pend[2 * t]];
        struct st_tvalue *v = &tk->v[pend[2 * t + 1]];
        if (v->ids.n == 0)
            tk->nlive++;
        plist_push(&v->ids, nid);
    }
    *id = nid;
    return ST_OK;
}

static bool type_valid(enum st_field_type t)
{
    return t >= ST_FIELD_FLOAT && t <= ST_FIELD_BOOLEAN;
}

/* Gets or creates a field; with @log, writes its record before adding it.
 * Under the exclusive lock. */
static int field_create(st_index *idx, struct st_slice mname, struct st_slice fname,
                        enum st_field_type type, bool log, enum st_field_type *existing)
{
    uint32_t mi;
    int rv = meas_get(idx, mname, &mi);
    if (rv != ST_OK)
        return rv;
    struct st_meas *m = &idx->m[mi];
    uint32_t h = st_index_name_hash(fname);
    uint32_t fi = st_index_dict_find(&m->fdict, m->f, sizeof *m->f, fname, h);
    if (fi != NONE) {
        if (existing)
            *existing = m->f[fi].type;
        return m->f[fi].type == type ? ST_OK : ST_ETYPE;
    }
    struct st_field *f = grow(idx, m->f, &m->fcap, m->fdict.n + 1, sizeof *f);
    if (f == NULL)
        return ST_ENOMEM;
    m->f = f;
    if ((rv = prepare_entry(idx, &m->fdict, m->f, sizeof *m->f, fname.len)) != ST_OK)
        return rv;
    if (log && (rv = st_index_log_field(idx, mname, fname, type)) != ST_OK)
        return rv;
    fi = add_entry(idx, &m->fdict, m->f, sizeof *m->f, fname, h);
    m->f[fi].type = type;
    if (existing)
        *existing = type;
    return ST_OK;
}

int st_index_apply_series(st_index *idx, uint32_t id, const char *key, uint32_t len)
{
    struct st_slice k = {key, len};
    uint32_t h = (uint32_t)st_series_hash(key, len);
    if (id != idx->nseries + 1 || len > ST_INDEX_MAX_KEY || series_find(idx, k, h) != NONE)
        return ST_ECORRUPT;
    uint32_t got;
    int rv = series_create(idx, k, h, false, &got);
    return rv == ST_EINVAL || rv == ST_ERANGE ? ST_ECORRUPT : rv;
}

int st_index_apply_field(st_index *idx, struct st_slice m, struct st_slice f,
                         enum st_field_type type)
{
    if (!type_valid(type) || m.len == 0 || f.len == 0 || m.len > ST_INDEX_MAX_KEY ||
        f.len > ST_INDEX_MAX_KEY)
        return ST_ECORRUPT;
    int rv = field_create(idx, m, f, type, false, NULL);
    return rv == ST_ETYPE ? ST_ECORRUPT : rv;
}

void st_index_set_err(st_index *idx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&idx->err_mu);
    vsnprintf(idx->errmsg, sizeof idx->errmsg, fmt, ap);
    pthread_mutex_unlock(&idx->err_mu);
    va_end(ap);
}

void st_index_errmsg(st_index *idx, char *buf, size_t len)
{
    if (len == 0)
        return;
    pthread_mutex_lock(&idx->err_mu);
    snprintf(buf, len, "%s", idx->errmsg);
    pthread_mutex_unlock(&idx->err_mu);
}

/* Frees the structures; the locks are the caller's. */
static void destroy(st_index *idx)
{
    st_index_log_close(idx);
    for (uint32_t i = 0; i < idx->mdict.n; i++) {
        struct st_meas *m = &idx->m[i];
        for (uint32_t j = 0; j < m->kdict.n; j++) {
            struct st_tkey *tk = &m->k[j];
            for (uint32_t v = 0; v < tk->dict.n; v++)
                plist_free(idx, &tk->v[v].ids);
            dict_free(idx, &tk->dict);
            free(tk->v);
        }
        plist_free(idx, &m->series);
        dict_free(idx, &m->kdict);
        dict_free(idx, &m->fdict);
        free(m->k);
        free(m->f);
    }
    dict_free(idx, &idx->mdict);
    dict_free(idx, &idx->sdict);
    free(idx->m);
    free(idx->series);
    free(idx->pend);
    while (idx->arena) {
        struct st_chunk *next = idx->arena->next;
        free(idx->arena);
        idx->arena = next;
    }
    st_index_key_fini(&idx->key);
    st_buf_fini(&idx->rec);
}

int st_index_open(const char *dir, st_index **out, char *err, size_t errlen)
{
    int rv = ST_ENOMEM;
    st_index *idx = calloc(1, sizeof *idx);
    if (idx == NULL)
        goto err;
    idx->fd = -1;
    st_index_key_init(&idx->key);
    st_buf_init(&idx->rec);
    if (pthread_rwlock_init(&idx->lock, NULL) != 0)
        goto err_after_alloc; /* UNTESTED */
    if (pthread_mutex_init(&idx->sync_mu, NULL) != 0)
        goto err_after_lock; /* UNTESTED */
    if (pthread_mutex_init(&idx->err_mu, NULL) != 0)
        goto err_after_sync_mu; /* UNTESTED */
    if ((rv = st_index_log_open(idx, dir, err, errlen)) != ST_OK)
        goto err_after_err_mu;
    *out = idx;
    return ST_OK;

err_after_err_mu:
    destroy(idx);
    pthread_mutex_destroy(&idx->err_mu);
err_after_sync_mu:
    pthread_mutex_destroy(&idx->sync_mu);
err_after_lock:
    pthread_rwlock_destroy(&idx->lock);
err_after_alloc:
    free(idx);
err:
    if (rv == ST_ENOMEM)
        snprintf(err, errlen, "index open %s: %s", dir, st_strerror(rv));
    return rv;
}

void st_index_close(st_index *idx)
{
    if (idx == NULL)
        return;
    destroy(idx);
    pthread_mutex_destroy(&idx->err_mu);
    pthread_mutex_destroy(&idx->sync_mu);
    pthread_rwlock_destroy(&idx->lock);
    free(idx);
}

int st_index_sync(st_index *idx)
{
    return st_index_log_sync(idx);
}

void st_index_read_begin(st_index *idx)
{
    pthread_rwlock_rdlock(&idx->lock);
}

void st_index_read_end(st_index *idx)
{
    pthread_rwlock_unlock(&idx->lock);
}

int st_index_series_id(st_index *idx, const char *key, size_t len, uint32_t *id, bool *created)
{
    if (len == 0 || len > ST_INDEX_MAX_KEY)
        return ST_EINVAL;
    struct st_slice k = {key, (uint32_t)len};
    uint32_t h = (uint32_t)st_series_hash(key, len);
    pthread_rwlock_rdlock(&idx->lock);
    uint32_t i = series_find(idx, k, h);
    pthread_rwlock_unlock(&idx->lock);
    int rv = ST_OK;
    bool made = false;
    if (i != NONE) {
        *id = i + 1;
    } else {
        pthread_rwlock_wrlock(&idx->lock);
        i = series_find(idx, k, h);
        if (i != NONE) {
            *id = i + 1;
        } else {
            rv = series_create(idx, k, h, true, id);
            made = rv == ST_OK;
        }
        pthread_rwlock_unlock(&idx->lock);
    }
    if (created)
        *created = made;
    return rv;
}

int st_index_lookup(st_index *idx, const char *key, size_t len, uint32_t *id)
{
    struct st_slice k = {key, (uint32_t)len};
    if (len > ST_INDEX_MAX_KEY)
        return ST_ENOTFOUND;
    uint32_t i = series_find(idx, k, (uint32_t)st_series_hash(key, len));
    if (i == NONE)
        return ST_ENOTFOUND;
    *id = i + 1;
    return ST_OK;
}

struct st_slice st_index_series_key(st_index *idx, uint32_t id)
{
    struct st_slice none = {NULL, 0};
    return id == 0 || id > idx->nseries ? none : idx->series[id - 1];
}

int st_index_field(st_index *idx, struct st_slice measurement, struct st_slice field,
                   enum st_field_type type, enum st_field_type *existing)
{
    if (!type_valid(type) || measurement.len == 0 || field.len == 0 ||
        measurement.len > ST_INDEX_MAX_KEY || field.len > ST_INDEX_MAX_KEY)
        return ST_EINVAL;
    enum st_field_type have;
    pthread_rwlock_rdlock(&idx->lock);
    int rv = st_index_field_type(idx, measurement, field, &have);
    pthread_rwlock_unlock(&idx->lock);
    if (rv == ST_ENOTFOUND) {
        pthread_rwlock_wrlock(&idx->lock);
        rv = field_create(idx, measurement, field, type, true, &have);
        pthread_rwlock_unlock(&idx->lock);
    } else if (have != type) {
        rv = ST_ETYPE;
    }
    if (existing && (rv == ST_OK || rv == ST_ETYPE))
        *existing = have;
    return rv;
}

int st_index_field_type(st_index *idx, struct st_slice measurement, struct st_slice field,
                        enum st_field_type *type)
{
    const struct st_meas *m = st_index_meas(idx, measurement);
    if (m == NULL)
        return ST_ENOTFOUND;
    uint32_t i =
        st_index_dict_find(&m->fdict, m->f, sizeof *m->f, field, st_index_name_hash(field));
    if (i == NONE)
        return ST_ENOTFOUND;
    *type = m->f[i].type;
    return ST_OK;
}

void st_index_stats(st_index *idx, struct st_index_stats *out)
{
    memset(out, 0, sizeof *out);
    out->series = idx->nseries;
    for (uint32_t i = 0; i < idx->mdict.n; i++)
        out->measurements += idx->m[i].series.n > 0;
    out->memory_bytes = idx->mem + sizeof *idx;
    out->log_bytes = atomic_load(&idx->size);
    out->synced_bytes = atomic_load(&idx->synced);
    out->dropped_bytes = idx->dropped;
}
