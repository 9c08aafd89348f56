/*
 * The read side of the index: canonical key splitting, sorted listings,
 * posting lists and the set operations that evaluate tag predicates.
 *
 * Listings come out in byte order without sorting everything each time:
 * each dict keeps its entries sorted up to nsorted, and the few created
 * since (at most an eighth, see st_index_dict_order()) are sorted into a
 * scratch array and merged in on the fly. Entries that no series joined
 * (left by a failed creation) are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "index_int.h"

#define NONE UINT32_MAX
#define ORDER_MIN_TAIL 64

/* ---- canonical keys ---- */

void st_index_key_init(struct st_index_key *k)
{
    memset(k, 0, sizeof *k);
    st_buf_init(&k->text);
}

void st_index_key_fini(struct st_index_key *k)
{
    free(k->tags);
    k->tags = NULL;
    k->ntags = k->tags_cap = 0;
    st_buf_fini(&k->text);
}

/* The first unescaped @c in [from, to), or @to. A byte is escaped when the
 * byte before it is a backslash (common/lineproto.c scan_to()). */
static size_t find_sep(const char *s, size_t from, size_t to, char c)
{
    for (size_t i = from; i < to; i++)
        if (s[i] == c && (i == 0 || s[i - 1] != '\\'))
            return i;
    return to;
}

/* Byte order, shorter first on a common prefix (Go's string order). */
static int name_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (na > nb) - (na < nb);
}

/* Appends the unescaped @s to k->text and points @out at it. The caller
 * reserved room for the whole key, so the text never moves. */
static void put_name(struct st_index_key *k, const char *s, size_t n, enum st_lp_kind kind,
                     struct st_slice *out)
{
    size_t off = k->text.len;
    struct st_slice raw = {s, (uint32_t)n};
    st_lp_unescape(&k->text, raw, kind); /* cannot fail: reserved */
    out->p = k->text.p + off;
    out->len = (uint32_t)(k->text.len - off);
}

int st_index_key_parse(struct st_index_key *k, const char *key, size_t len)
{
    st_buf_reset(&k->text);
    k->ntags = 0;
    if (len == 0 || len > ST_INDEX_MAX_KEY || key[0] == ',')
        return ST_EINVAL;
    /* Unescaping only shortens: the names fit in @len bytes. */
    if (st_buf_reserve(&k->text, len) != ST_OK)
        return ST_ENOMEM;
    size_t end = find_sep(key, 0, len, ',');
    put_name(k, key, end, ST_LP_MEASUREMENT, &k->measurement);
    const char *prev = NULL; /* the previous raw tag key */
    size_t prev_len = 0;
    while (end < len) {
        size_t start = end + 1;
        end = find_sep(key, start, len, ',');
        size_t eq = find_sep(key, start, end, '=');
        if (eq == start || eq + 1 >= end)
            return ST_EINVAL; /* no key, no '=' or no value */
        if (prev && name_cmp(prev, prev_len, key + start, eq - start) >= 0)
            return ST_EINVAL; /* not sorted, or a key twice */
        prev = key + start;
        prev_len = eq - start;
        if (k->ntags == k->tags_cap) {
            size_t cap = k->tags_cap ? k->tags_cap * 2 : 16;
            struct st_index_tag *t = realloc(k->tags, cap * sizeof *t);
            if (t == NULL)
                return ST_ENOMEM;
            k->tags = t;
            k->tags_cap = cap;
        }
        struct st_index_tag *t = &k->tags[k->ntags++];
        put_name(k, key + start, eq - start, ST_LP_TAG, &t->key);
        put_name(k, key + eq + 1, end - eq - 1, ST_LP_TAG, &t->value);
    }
    return ST_OK;
}

/* ---- sorted dicts ---- */

struct sortent {
    const char *p;
    uint32_t len;
    uint32_t ent;
};

static int sortent_cmp(const void *a, const void *b)
{
    const struct sortent *x = a, *y = b;
    return name_cmp(x->p, x->len, y->p, y->len);
}

static struct st_slice ent_name(const void *ents, size_t stride, uint32_t i)
{
    return *(const struct st_slice *)((const char *)ents + (size_t)i * stride);
}

/* The unsorted tail of @d, sorted, in a malloc'ed array; NULL on ENOMEM. */
static struct sortent *sorted_tail(const struct st_dict *d, const void *ents, size_t stride)
{
    uint32_t n = d->n - d->nsorted;
    struct sortent *t = malloc((n ? n : 1) * sizeof *t);
    if (t == NULL)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        struct st_slice s = ent_name(ents, stride, d->nsorted + i);
        t[i].p = s.p;
        t[i].len = s.len;
        t[i].ent = d->nsorted + i;
    }
    qsort(t, n, sizeof *t, sortent_cmp);
    return t;
}

/* Calls @visit for the merge of d->order and the sorted tail @t, in name
 * order, until it returns non-ST_OK. */
static int merge(const struct st_dict *d, const void *ents, size_t stride, const struct sortent *t,
                 int (*visit)(void *ctx, uint32_t ent), void *ctx)
{
    uint32_t i = 0, j = 0, nt = d->n - d->nsorted;
    int rv = ST_OK;
    while (rv == ST_OK && (i < d->nsorted || j < nt)) {
        bool take_tail = i == d->nsorted;
        if (!take_tail && j < nt) {
            struct st_slice s = ent_name(ents, stride, d->order[i]);
            take_tail = name_cmp(t[j].p, t[j].len, s.p, s.len) < 0;
        }
        rv = visit(ctx, take_tail ? t[j++].ent : d->order[i++]);
    }
    return rv;
}

struct collect {
    uint32_t *out;
    uint32_t n;
};

static int collect(void *ctx, uint32_t ent)
{
    struct collect *c = ctx;
    c->out[c->n++] = ent;
    return ST_OK;
}

int st_index_dict_order(struct st_dict *d, const void *ents, size_t stride, size_t *mem)
{
    uint32_t tail = d->n - d->nsorted;
    if (tail <= ORDER_MIN_TAIL || tail <= d->nsorted / 8)
        return ST_OK;
    struct sortent *t = sorted_tail(d, ents, stride);
    uint32_t *order = malloc((size_t)d->n * sizeof *order);
    if (t == NULL || order == NULL) {
        free(t);
        free(order);
        return ST_ENOMEM;
    }
    struct collect c = {order, 0};
    merge(d, ents, stride, t, collect, &c);
    free(t);
    free(d->order);
    *mem += ((size_t)d->n - d->nsorted) * sizeof *order;
    d->order = order;
    d->nsorted = d->n;
    return ST_OK;
}

int st_index_dict_each(const struct st_dict *d, const void *ents, size_t stride,
                       int (*visit)(void *ctx, uint32_t ent), void *ctx)
{
    struct sortent *t = sorted_tail(d, ents, stride);
    if (t == NULL)
        return ST_ENOMEM;
    int rv = merge(d, ents, stride, t, visit, ctx);
    free(t);
    return rv;
}

/* ---- listings ---- */

struct each {
    const void *ents;
    st_index_name_cb name_cb;
    st_index_value_cb value_cb;
    st_index_field_cb field_cb;
    void *arg;
};

static int visit_meas(void *ctx, uint32_t i)
{
    struct each *e = ctx;
    const struct st_meas *m = (const struct st_meas *)e->ents + i;
    return m->series.n ? e->name_cb(e->arg, m->name) : ST_OK;
}

static int visit_tkey(void *ctx, uint32_t i)
{
    struct each *e = ctx;
    const struct st_tkey *tk = (const struct st_tkey *)e->ents + i;
    return tk->nlive ? e->name_cb(e->arg, tk->name) : ST_OK;
}

static int visit_tvalue(void *ctx, uint32_t i)
{
    struct each *e = ctx;
    const struct st_tvalue *v = (const struct st_tvalue *)e->ents + i;
    if (v->ids.n == 0)
        return ST_OK;
    const uint32_t *ids;
    size_t n;
    st_index_plist_view(&v->ids, &ids, &n);
    return e->value_cb(e->arg, v->name, ids, n);
}

static int visit_field(void *ctx, uint32_t i)
{
    struct each *e = ctx;
    const struct st_field *f = (const struct st_field *)e->ents + i;
    return e->field_cb(e->arg, f->name, f->type);
}

int st_index_measurements(st_index *idx, st_index_name_cb cb, void *arg)
{
    struct each e = {.ents = idx->m, .name_cb = cb, .arg = arg};
    return st_index_dict_each(&idx->mdict, idx->m, sizeof *idx->m, visit_meas, &e);
}

static const struct st_tkey *find_tkey(const st_index *idx, struct st_slice m, struct st_slice k)
{
    const struct st_meas *ms = st_index_meas(idx, m);
    if (ms == NULL)
        return NULL;
    uint32_t i = st_index_dict_find(&ms->kdict, ms->k, sizeof *ms->k, k, st_index_name_hash(k));
    return i == NONE ? NULL : &ms->k[i];
}

int st_index_tag_keys(st_index *idx, struct st_slice measurement, st_index_name_cb cb, void *arg)
{
    const struct st_meas *m = st_index_meas(idx, measurement);
    if (m == NULL)
        return ST_OK;
    struct each e = {.ents = m->k, .name_cb = cb, .arg = arg};
    return st_index_dict_each(&m->kdict, m->k, sizeof *m->k, visit_tkey, &e);
}

int st_index_tag_values(st_index *idx, struct st_slice measurement, struct st_slice tag_key,
                        st_index_value_cb cb, void *arg)
{
    const struct st_tkey *tk = find_tkey(idx, measurement, tag_key);
    if (tk == NULL)
        return ST_OK;
    struct each e = {.ents = tk->v, .value_cb = cb, .arg = arg};
    return st_index_dict_each(&tk->dict, tk->v, sizeof *tk->v, visit_tvalue, &e);
}

int st_index_fields(st_index *idx, struct st_slice measurement, st_index_field_cb cb, void *arg)
{
    const struct st_meas *m = st_index_meas(idx, measurement);
    if (m == NULL)
        return ST_OK;
    struct each e = {.ents = m->f, .field_cb = cb, .arg = arg};
    return st_index_dict_each(&m->fdict, m->f, sizeof *m->f, visit_field, &e);
}

/* ---- posting lists ---- */

static const uint32_t no_ids[1];

int st_index_postings(st_index *idx, struct st_slice measurement, struct st_slice tag_key,
                      struct st_slice tag_value, const uint32_t **ids, size_t *n)
{
    *ids = no_ids;
    *n = 0;
    const struct st_tkey *tk = find_tkey(idx, measurement, tag_key);
    if (tk == NULL)
        return ST_OK;
    uint32_t i = st_index_dict_find(&tk->dict, tk->v, sizeof *tk->v, tag_value,
                                    st_index_name_hash(tag_value));
    if (i != NONE && tk->v[i].ids.n)
        st_index_plist_view(&tk->v[i].ids, ids, n);
    return ST_OK;
}

int st_index_measurement_series(st_index *idx, struct st_slice measurement, const uint32_t **ids,
                                size_t *n)
{
    *ids = no_ids;
    *n = 0;
    const struct st_meas *m = st_index_meas(idx, measurement);
    if (m != NULL && m->series.n)
        st_index_plist_view(&m->series, ids, n);
    return ST_OK;
}

/* ---- set operations ---- */

/* The first index in [lo, n) whose id is >= @x: gallops from @lo, then
 * bisects, so walking a short list through a long one costs
 * O(short * log(long / short)). */
static size_t seek(const uint32_t *b, size_t lo, size_t n, uint32_t x)
{
    size_t step = 1, hi = lo;
    while (hi < n && b[hi] < x) {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    if (hi > n)
        hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t st_index_intersect(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, uint32_t *out)
{
    if (na > nb) {
        const uint32_t *t = a;
        a = b, b = t;
        size_t tn = na;
        na = nb, nb = tn;
    }
    /* Each id written consumes one of @a and one of @b, so @out may alias
     * either input: writes never overtake reads. */
    size_t k = 0, j = 0;
    if (na * 16 < nb) {
        for (size_t i = 0; i < na && j < nb; i++) {
            j = seek(b, j, nb, a[i]);
            if (j < nb && b[j] == a[i])
                out[k++] = b[j++];
        }
        return k;
    }
    size_t i = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (b[j] < a[i])
            j++;
        else
            out[k++] = a[i++], j++;
    }
    return k;
}

size_t st_index_union(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, uint32_t *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            out[k++] = a[i++];
        else if (b[j] < a[i])
            out[k++] = b[j++];
        else
            out[k++] = a[i++], j++;
    }
    while (i < na)
        out[k++] = a[i++];
    while (j < nb)
        out[k++] = b[j++];
    return k;
}

size_t st_index_difference(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           uint32_t *out)
{
    size_t j = 0, k = 0;
    for (size_t i = 0; i < na; i++) {
        if (j < nb && b[j] < a[i])
            j = seek(b, j, nb, a[i]);
        if (j < nb && b[j] == a[i])
            continue;
        out[k++] = a[i];
    }
    return k;
}

static int id_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t st_index_normalize(uint32_t *ids, size_t n)
{
    if (n < 2)
        return n;
    qsort(ids, n, sizeof *ids, id_cmp);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (ids[i] != ids[k - 1])
            ids[k++] = ids[i];
    return k;
}

int st_index_field_conflict(struct st_buf *out, struct st_slice measurement, struct st_slice field,
                            enum st_field_type input, enum st_field_type existing)
{
    return st_buf_printf(out,
                         "field type conflict: input field \"%.*s\" on measurement \"%.*s\" is "
                         "type %s, already exists as type %s",
                         (int)field.len, field.p ? field.p : "", (int)measurement.len,
                         measurement.p ? measurement.p : "", st_field_type_name(input),
                         st_field_type_name(existing));
}
