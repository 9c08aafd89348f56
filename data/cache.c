/* The shard's write cache.
 *
 * Points arrive in batches, mostly in time order per series. Each (series,
 * field) pair has an entry holding its values in arrival order, in a list of
 * runs: two parallel arrays, times and values, of at most RUN_MAX slots
 * each. An open-addressing table maps the pair's hash to its entry.
 * Readers ask for an entry sorted: its runs are joined into one array of
 * exactly its size; an entry that only ever received increasing times is
 * then sorted; otherwise a stable merge sort runs and equal times collapse
 * to the value put last (last write wins, as InfluxDB).
 *
 * Runs instead of one array doubled as it fills: the entries of a regular
 * workload (every series, every 10 s) grow in lockstep, so doubled arrays
 * all doubled in the same batch and the cache held twice its limit, half of
 * it empty slots, when the flush began (49 MB for a 32 MiB limit under
 * router_bench). With runs the slack is under one run per entry.
 * Strings are copied into an arena of large chunks, so a put allocates only
 * when an array or a chunk grows. The cache is not thread-safe: the shard
 * holds its lock around every call. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define ARENA_CHUNK (64 * 1024)
#define RUN_MIN 16  /* slots of an entry's first run */
#define RUN_MAX 256 /* and of its later runs once it has this many values */

/* A run: @cap slots, @n used, the arrays in the same allocation. */
struct run {
    struct run *next;
    size_t n, cap;
    int64_t *t;
    union st_value *v;
};

struct entry {
    uint32_t series;
    enum st_field_type type;
    char *field; /* owned, NUL-terminated */
    uint32_t field_len;
    uint64_t hash;
    bool sorted;             /* times strictly increasing across the runs */
    size_t n;                /* values in all runs */
    int64_t last_t;          /* the largest time when sorted; may be stale after a delete */
    struct run *head, *tail; /* owned; NULL when nothing was put */
};

struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
};

struct st_cache {
    struct entry **entries; /* in creation order */
    size_t nentries, entries_cap;
    uint32_t *table; /* entry index + 1, 0 = empty; size is a power of two */
    size_t table_size;
    struct chunk *chunks;
    size_t bytes;         /* memory held */
    size_t values;        /* values put */
    int64_t min_t, max_t; /* of every value put (deletes do not shrink them) */
};

static size_t run_bytes(size_t cap)
{
    return sizeof(struct run) + cap * (sizeof(int64_t) + sizeof(union st_value));
}

static struct run *run_new(size_t cap)
{
    struct run *r = malloc(run_bytes(cap));
    if (r == NULL)
        return NULL;
    r->next = NULL;
    r->n = 0;
    r->cap = cap;
    r->t = (int64_t *)(r + 1);
    r->v = (union st_value *)(r->t + cap);
    return r;
}

static void free_runs(struct run *r)
{
    while (r) {
        struct run *next = r->next;
        free(r);
        r = next;
    }
}

int st_cache_open(st_cache **out)
{
    st_cache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return ST_ENOMEM;
    c->table_size = 1024;
    c->table = calloc(c->table_size, sizeof(*c->table));
    if (c->table == NULL) {
        free(c);
        return ST_ENOMEM;
    }
    c->bytes = sizeof(*c) + c->table_size * sizeof(*c->table);
    *out = c;
    return ST_OK;
}

void st_cache_close(st_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nentries; i++) {
        struct entry *e = c->entries[i];
        free(e->field);
        free_runs(e->head);
        free(e);
    }
    free(c->entries);
    free(c->table);
    while (c->chunks) {
        struct chunk *next = c->chunks->next;
        free(c->chunks);
        c->chunks = next;
    }
    free(c);
}

static uint64_t key_hash(uint32_t series, struct st_slice field)
{
    /* Mix the series id into the field's hash. */
    uint64_t h = st_series_hash(field.p, field.len);
    return h ^ ((uint64_t)series * 0x9E3779B97F4A7C15ull);
}

static struct entry *lookup(const st_cache *c, uint32_t series, struct st_slice field, uint64_t h,
                            size_t *slot)
{
    size_t mask = c->table_size - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t x = c->table[i];
        if (x == 0) {
            *slot = i;
            return NULL;
        }
        struct entry *e = c->entries[x - 1];
        if (e->hash == h && e->series == series && e->field_len == field.len &&
            memcmp(e->field, field.p, field.len) == 0)
            return e;
    }
}

static int grow_table(st_cache *c)
{
    size_t size = c->table_size * 2;
    uint32_t *t = calloc(size, sizeof(*t));
    if (t == NULL)
        return ST_ENOMEM;
    for (size_t k = 0; k < c->nentries; k++) {
        size_t i = c->entries[k]->hash & (size - 1);
        while (t[i])
            i = (i + 1) & (size - 1);
        t[i] = (uint32_t)(k + 1);
    }
    free(c->table);
    c->bytes += (size - c->table_size) * sizeof(*t);
    c->table = t;
    c->table_size = size;
    return ST_OK;
}

static struct entry *add_entry(st_cache *c, uint32_t series, struct st_slice field,
                               enum st_field_type type, uint64_t h)
{
    if ((c->nentries + 1) * 2 > c->table_size && grow_table(c) != ST_OK)
        return NULL;
    if (c->nentries == c->entries_cap) {
        size_t cap = c->entries_cap ? c->entries_cap * 2 : 256;
        struct entry **p = realloc(c->entries, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        c->bytes += (cap - c->entries_cap) * sizeof(*p);
        c->entries = p;
        c->entries_cap = cap;
    }
    struct entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->field = malloc((size_t)field.len + 1);
    if (e->field == NULL) {
        free(e);
        return NULL;
    }
    memcpy(e->field, field.p, field.len);
    e->field[field.len] = '\0';
    e->field_len = field.len;
    e->series = series;
    e->type = type;
    e->hash = h;
    e->sorted = true;
    c->entries[c->nentries++] = e;
    size_t slot = 0;
    lookup(c, series, field, h, &slot);
    c->table[slot] = (uint32_t)c->nentries;
    c->bytes += sizeof(*e) + field.len + 1;
    return e;
}

/* Copies @s into the arena; the copy lives until the cache is closed. */
static int arena_copy(st_cache *c, struct st_slice s, struct st_slice *out)
{
    struct chunk *k = c->chunks;
    if (k == NULL || k->cap - k->used < s.len) {
        size_t cap = s.len > ARENA_CHUNK ? s.len : ARENA_CHUNK;
        k = malloc(sizeof(*k) + cap);
        if (k == NULL)
            return ST_ENOMEM;
        k->cap = cap;
        k->used = 0;
        k->next = c->chunks;
        c->chunks = k;
        c->bytes += sizeof(*k) + cap;
    }
    if (s.len)
        memcpy(k->data + k->used, s.p, s.len);
    out->p = k->data + k->used;
    out->len = s.len;
    k->used += s.len;
    return ST_OK;
}

int st_cache_put(st_cache *c, uint32_t series, struct st_slice field, enum st_field_type type,
                 int64_t t, const union st_value *v)
{
    uint64_t h = key_hash(series, field);
    size_t slot;
    struct entry *e = lookup(c, series, field, h, &slot);
    if (e == NULL && (e = add_entry(c, series, field, type, h)) == NULL)
        return ST_ENOMEM;
    if (e->type != type)
        return ST_ETYPE;
    struct run *r = e->tail;
    if (r == NULL || r->n == r->cap) {
        size_t cap = e->n < RUN_MIN ? RUN_MIN : e->n < RUN_MAX ? e->n : RUN_MAX;
        struct run *nr = run_new(cap);
        if (nr == NULL)
            return ST_ENOMEM;
        c->bytes += run_bytes(cap);
        if (r)
            r->next = nr;
        else
            e->head = nr;
        e->tail = nr;
    }
    union st_value val = *v;
    if (type == ST_FIELD_STRING && arena_copy(c, v->s, &val.s) != ST_OK)
        return ST_ENOMEM;
    if (e->n > 0 && t <= e->last_t)
        e->sorted = false;
    e->last_t = t;
    r = e->tail;
    r->t[r->n] = t;
    r->v[r->n] = val;
    r->n++;
    e->n++;
    if (c->values++ == 0 || t < c->min_t)
        c->min_t = t;
    if (c->values == 1 || t > c->max_t)
        c->max_t = t;
    return ST_OK;
}

size_t st_cache_bytes(const st_cache *c)
{
    return c->bytes;
}

bool st_cache_time_bounds(const st_cache *c, int64_t *min, int64_t *max)
{
    if (c->values == 0)
        return false;
    *min = c->min_t;
    *max = c->max_t;
    return true;
}

size_t st_cache_values(const st_cache *c)
{
    return c->values;
}

size_t st_cache_entries(const st_cache *c)
{
    return c->nentries;
}

/* Joins @e's runs into one of exactly its size, so that a reader sees
 * plain arrays. */
static int join_runs(st_cache *c, struct entry *e)
{
    if (e->head == e->tail)
        return ST_OK;
    struct run *j = run_new(e->n);
    if (j == NULL)
        return ST_ENOMEM;
    for (struct run *r = e->head; r; r = r->next) {
        memcpy(j->t + j->n, r->t, r->n * sizeof(*r->t));
        memcpy(j->v + j->n, r->v, r->n * sizeof(*r->v));
        j->n += r->n;
        c->bytes -= run_bytes(r->cap);
    }
    free_runs(e->head);
    c->bytes += run_bytes(j->cap);
    e->head = e->tail = j;
    return ST_OK;
}

/* Stable bottom-up merge sort of (t, v) by t, then keep the last value of
 * each run of equal times. @e has one run. */
static int sort_run(st_cache *c, struct entry *e)
{
    struct run *r = e->head;
    size_t n = r->n;
    /* The sorted arrays may become the entry's run. */
    struct run *r2 = run_new(n);
    if (r2 == NULL)
        return ST_ENOMEM;
    int64_t *ts = r->t, *td = r2->t;
    union st_value *vs = r->v, *vd = r2->v;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) {
                if (ts[b] < ts[a]) {
                    td[k] = ts[b];
                    vd[k++] = vs[b++];
                } else {
                    td[k] = ts[a];
                    vd[k++] = vs[a++];
                }
            }
            while (a < mid) {
                td[k] = ts[a];
                vd[k++] = vs[a++];
            }
            while (b < hi) {
                td[k] = ts[b];
                vd[k++] = vs[b++];
            }
        }
        int64_t *tt = ts;
        ts = td;
        td = tt;
        union st_value *vv = vs;
        vs = vd;
        vd = vv;
    }
    /* ts/vs hold the sorted data; keep the run that holds them. */
    if (ts == r2->t) {
        r2->n = n;
        c->bytes += run_bytes(r2->cap);
        c->bytes -= run_bytes(r->cap);
        free(r);
        e->head = e->tail = r = r2;
    } else {
        free(r2);
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && r->t[i + 1] == r->t[i])
            continue; /* a later value for the same time follows */
        r->t[out] = r->t[i];
        r->v[out++] = r->v[i];
    }
    r->n = e->n = out;
    e->sorted = true;
    if (out > 0)
        e->last_t = r->t[out - 1]; /* the largest now, not the one put last */
    return ST_OK;
}

static int view_of(st_cache *c, struct entry *e, struct st_cache_view *out)
{
    int rv = join_runs(c, e);
    if (rv == ST_OK && !e->sorted && e->n > 0)
        rv = sort_run(c, e);
    if (rv != ST_OK)
        return rv;
    out->series = e->series;
    out->field.p = e->field;
    out->field.len = e->field_len;
    out->type = e->type;
    out->n = e->n;
    out->t = e->head ? e->head->t : NULL;
    out->v = e->head ? e->head->v : NULL;
    return ST_OK;
}

int st_cache_find(st_cache *c, uint32_t series, struct st_slice field, struct st_cache_view *out)
{
    size_t slot;
    struct entry *e = lookup(c, series, field, key_hash(series, field), &slot);
    if (e == NULL)
        return ST_ENOTFOUND;
    return view_of(c, e, out);
}

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
    if (x->series != y->series)
        return x->series < y->series ? -1 : 1;
    uint32_t n = x->field_len < y->field_len ? x->field_len : y->field_len;
    int c = memcmp(x->field, y->field, n);
    if (c)
        return c;
    return (x->field_len > y->field_len) - (x->field_len < y->field_len);
}

int st_cache_each(st_cache *c, int (*cb)(const struct st_cache_view *v, void *arg), void *arg)
{
    if (c->nentries == 0)
        return ST_OK;
    struct entry **order = malloc(c->nentries * sizeof(*order));
    if (order == NULL)
        return ST_ENOMEM;
    memcpy(order, c->entries, c->nentries * sizeof(*order));
    qsort(order, c->nentries, sizeof(*order), entry_cmp);
    int rv = ST_OK;
    for (size_t i = 0; i < c->nentries && rv == ST_OK; i++) {
        struct st_cache_view v;
        rv = view_of(c, order[i], &v);
        if (rv == ST_OK)
            rv = cb(&v, arg);
    }
    free(order);
    return rv;
}

static bool has_id(const uint32_t *ids, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] == id)
            return true;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

size_t st_cache_delete(st_cache *c, const uint32_t *ids, size_t n, int64_t tmin, int64_t tmax)
{
    size_t removed = 0;
    for (size_t i = 0; i < c->nentries; i++) {
        struct entry *e = c->entries[i];
        if (!has_id(ids, n, e->series))
            continue;
        for (struct run *r = e->head; r; r = r->next) {
            size_t out = 0;
            for (size_t k = 0; k < r->n; k++) {
                if (r->t[k] >= tmin && r->t[k] <= tmax)
                    continue;
                r->t[out] = r->t[k];
                r->v[out++] = r->v[k];
            }
            removed += r->n - out;
            e->n -= r->n - out;
            r->n = out;
        }
    }
    c->values -= removed < c->values ? removed : c->values;
    return removed;
}
