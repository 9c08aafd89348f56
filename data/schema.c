/*
 * The SchemaQuery call (schema.h): listings of a shard index's
 * measurements, tag keys, tag values, field keys and series.
 *
 * Each held shard is acquired and its index read in one read section; the
 * entries found are copied (measurement once per shard, names into a
 * chunked arena whose strings never move), because what the index lends
 * dies with the section. After each shard the entries are sorted by
 * (measurement, key, value, type) and de-duplicated, and with a limit cut
 * to limit + 1, so memory follows the distinct answer plus one shard's
 * raw listing, and one more entry than the limit tells whether anything
 * was cut. The response points into the arena and is packed in one piece.
 *
 * A condition (st_pred) is evaluated once per measurement into the ids of
 * its matching series, then:
 *   TAG_KEYS    walks those series' keys until every tag key of the
 *               measurement was seen (usually after a few series);
 *   TAG_VALUES  walks the values of each selected key and keeps those
 *               whose postings meet the matching ids: O(values of the key
 *               x log(matching series)), whatever the condition's width;
 *   SERIES      lists the matching ids' keys.
 *
 * Failure modes: a bad request (kind, regex, condition) answers an error
 * before any shard is touched; an allocation failure in a listing drops
 * what was collected and answers OUT_OF_MEMORY.
 */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_wire.h"
#include "data.pb-c.h"
#include "err.h"
#include "pred.h"
#include "regex.h"

#define ARENA_CHUNK (64 * 1024)

struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
};

/* One entry; every name NUL-terminated (in the arena, or ""). */
struct ent {
    struct st_slice m, k, v;
    enum st_field_type type; /* FIELD_KEYS, else 0 */
};

struct listing {
    const Strata__SchemaQuery *q;
    const st_pred *pred; /* NULL: no condition */
    const st_re *key_re; /* TAG_VALUES: tag_key_regex, or NULL */
    st_index *idx;       /* the shard being read */
    struct chunk *arena;
    struct ent *e;
    size_t n, cap;
    struct st_slice m;   /* current measurement, copied */
    const uint32_t *ids; /* its series matching the condition (pred only) */
    size_t nids;
    uint32_t *scratch;     /* nids ids: output of intersections */
    struct st_slice *keys; /* TAG_KEYS / TAG_VALUES: the keys to visit */
    size_t nkeys, keys_cap;
    struct st_slice key;      /* TAG_VALUES: the key being listed */
    struct st_index_key pkey; /* a parsed series key */
    const uint32_t *dropped;  /* the shard's dropped series (st_shard_dropped) */
    size_t ndropped;
    bool filtered; /* a condition or dropped series: list from L->ids */
};

static const struct st_slice empty = {"", 0};

static struct st_slice slice_of(const char *s)
{
    struct st_slice x = {s ? s : "", s ? (uint32_t)strlen(s) : 0};
    return x;
}

/* Byte order, shorter first on a common prefix (the index's order). */
static int slice_cmp(struct st_slice a, struct st_slice b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static int ent_cmp(const void *x, const void *y)
{
    const struct ent *a = x, *b = y;
    int c = slice_cmp(a->m, b->m);
    if (c == 0)
        c = slice_cmp(a->k, b->k);
    if (c == 0)
        c = slice_cmp(a->v, b->v);
    return c ? c : (a->type > b->type) - (a->type < b->type);
}

/* ---- collecting ---- */

/* A NUL-terminated copy of @s that lives until the listing is freed. */
static int copy(struct listing *L, struct st_slice s, struct st_slice *out)
{
    if (s.len == 0) {
        *out = empty;
        return ST_OK;
    }
    size_t need = (size_t)s.len + 1;
    struct chunk *c = L->arena;
    if (c == NULL || c->cap - c->used < need) {
        size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        if ((c = malloc(sizeof(*c) + cap)) == NULL)
            return ST_ENOMEM;
        c->next = L->arena;
        c->used = 0;
        c->cap = cap;
        L->arena = c;
    }
    char *p = c->data + c->used;
    memcpy(p, s.p, s.len);
    p[s.len] = '\0';
    c->used += need;
    *out = (struct st_slice){p, s.len};
    return ST_OK;
}

/* Adds (current measurement, @k, @v, @type), copying @k and @v. */
static int add(struct listing *L, struct st_slice k, struct st_slice v, enum st_field_type type)
{
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 256;
        struct ent *e = realloc(L->e, cap * sizeof(*e));
        if (e == NULL)
            return ST_ENOMEM;
        L->e = e;
        L->cap = cap;
    }
    struct ent *e = &L->e[L->n];
    e->m = L->m;
    e->type = type;
    int rv = copy(L, k, &e->k);
    if (rv == ST_OK && (rv = copy(L, v, &e->v)) == ST_OK)
        L->n++;
    return rv;
}

/* Sorts, drops duplicates, keeps at most @keep entries (0: all). */
static void compact(struct listing *L, size_t keep)
{
    if (L->n > 1)
        qsort(L->e, L->n, sizeof(*L->e), ent_cmp);
    size_t u = 0;
    for (size_t i = 0; i < L->n; i++)
        if (u == 0 || ent_cmp(&L->e[u - 1], &L->e[i]) != 0)
            L->e[u++] = L->e[i];
    L->n = keep && u > keep ? keep : u;
}

static void listing_fini(struct listing *L)
{
    while (L->arena) {
        struct chunk *c = L->arena;
        L->arena = c->next;
        free(c);
    }
    free(L->e);
    free(L->keys);
    st_index_key_fini(&L->pkey);
}

/* ---- per kind ---- */

static int keys_append(struct listing *L, struct st_slice name)
{
    if (L->nkeys == L->keys_cap) {
        size_t cap = L->keys_cap ? L->keys_cap * 2 : 16;
        struct st_slice *k = realloc(L->keys, cap * sizeof(*k));
        if (k == NULL)
            return ST_ENOMEM;
        L->keys = k;
        L->keys_cap = cap;
    }
    L->keys[L->nkeys++] = name;
    return ST_OK;
}

static int push_key(void *arg, struct st_slice name)
{
    return keys_append(arg, name);
}

static int push_key_matching(void *arg, struct st_slice name)
{
    struct listing *L = arg;
    return st_re_match(L->key_re, name.p, name.len) ? keys_append(L, name) : ST_OK;
}

static int add_key(void *arg, struct st_slice name)
{
    return add(arg, name, empty, 0);
}

static int add_field(void *arg, struct st_slice name, enum st_field_type type)
{
    return add(arg, name, empty, type);
}

static int add_value(void *arg, struct st_slice value, const uint32_t *ids, size_t n)
{
    struct listing *L = arg;
    if (L->filtered && st_index_intersect(ids, n, L->ids, L->nids, L->scratch) == 0)
        return ST_OK;
    return add(L, L->key, value, 0);
}

/* The index of @key in the sorted L->keys, or L->nkeys. */
static size_t find_key(const struct listing *L, struct st_slice key)
{
    size_t lo = 0, hi = L->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = slice_cmp(L->keys[mid], key);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return L->nkeys;
}

/* TAG_KEYS under a condition: the measurement's keys that one of the
 * matching series has. */
static int tag_keys_of_series(struct listing *L)
{
    int rv;
    L->nkeys = 0;
    if ((rv = st_index_tag_keys(L->idx, L->m, push_key, L)) != ST_OK || L->nkeys == 0)
        return rv;
    bool *seen = calloc(L->nkeys + 1, sizeof(*seen)); /* seen[nkeys]: not found */
    if (seen == NULL)
        return ST_ENOMEM;
    size_t left = L->nkeys;
    for (size_t i = 0; i < L->nids && left; i++) {
        struct st_slice key = st_index_series_key(L->idx, L->ids[i]);
        if ((rv = st_index_key_parse(&L->pkey, key.p, key.len)) != ST_OK)
            goto out; /* UNTESTED: the index holds canonical keys only */
        for (size_t t = 0; t < L->pkey.ntags; t++) {
            size_t j = find_key(L, L->pkey.tags[t].key);
            left -= j < L->nkeys && !seen[j];
            seen[j] = true;
        }
    }
    for (size_t i = 0; i < L->nkeys && rv == ST_OK; i++)
        if (seen[i])
            rv = add(L, L->keys[i], empty, 0);
out:
    free(seen);
    return rv;
}

/* TAG_VALUES: the values of the keys named and of those matching. */
static int tag_values(struct listing *L)
{
    const Strata__SchemaQuery *q = L->q;
    int rv = ST_OK;
    L->nkeys = 0;
    for (size_t i = 0; i < q->n_tag_keys && rv == ST_OK; i++)
        rv = keys_append(L, slice_of(q->tag_keys[i]));
    if (rv == ST_OK && L->key_re)
        rv = st_index_tag_keys(L->idx, L->m, push_key_matching, L);
    if (rv != ST_OK || L->nkeys == 0)
        return rv;
    if (L->filtered && (L->scratch = malloc((L->nids + 1) * sizeof(*L->scratch))) == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < L->nkeys && rv == ST_OK; i++) {
        L->key = L->keys[i];
        rv = st_index_tag_values(L->idx, L->m, L->key, add_value, L);
    }
    free(L->scratch);
    L->scratch = NULL;
    return rv;
}

/* The series of measurement @name to list, into L->ids (*@owned when
 * malloc'ed): those matching the condition, less the dropped ones. */
static int measurement_ids(struct listing *L, struct st_slice name, uint32_t **owned)
{
    int rv;
    if (L->pred) {
        if ((rv = st_pred_eval(L->pred, L->idx, name, owned, &L->nids)) != ST_OK)
            return rv;
        L->ids = *owned;
    } else {
        st_index_measurement_series(L->idx, name, &L->ids, &L->nids);
    }
    if (L->ndropped && L->nids) {
        uint32_t *live = malloc(L->nids * sizeof(*live));
        if (live == NULL)
            return ST_ENOMEM;
        L->nids = st_index_difference(L->ids, L->nids, L->dropped, L->ndropped, live);
        free(*owned);
        *owned = live;
        L->ids = live;
    }
    return ST_OK;
}

static int on_measurement(void *arg, struct st_slice name)
{
    struct listing *L = arg;
    uint32_t *ids = NULL;
    int rv;
    L->ids = NULL;
    L->nids = 0;
    if ((rv = measurement_ids(L, name, &ids)) != ST_OK || L->nids == 0)
        goto out;
    /* name is lent by the index; entries keep the copy. */
    if ((rv = copy(L, name, &L->m)) != ST_OK)
        goto out;
    switch (L->q->kind) {
    case STRATA__SCHEMA_KIND__MEASUREMENTS:
        rv = add(L, empty, empty, 0);
        break;
    case STRATA__SCHEMA_KIND__TAG_KEYS:
        rv = L->filtered ? tag_keys_of_series(L) : st_index_tag_keys(L->idx, name, add_key, L);
        break;
    case STRATA__SCHEMA_KIND__TAG_VALUES:
        rv = tag_values(L);
        break;
    case STRATA__SCHEMA_KIND__FIELD_KEYS:
        rv = st_index_fields(L->idx, name, add_field, L);
        break;
    default: /* SERIES, checked by the caller */
        for (size_t i = 0; i < L->nids && rv == ST_OK; i++)
            rv = add(L, empty, st_index_series_key(L->idx, L->ids[i]), 0);
        break;
    }
out:
    free(ids);
    L->ids = NULL;
    L->nids = 0;
    return rv;
}

/* ---- the call ---- */

static Strata__ErrorCode code_of(int rv)
{
    switch (rv) {
    case ST_EINVAL:
        return STRATA__ERROR_CODE__INVALID_ARGUMENT;
    case ST_EPARSE:
        return STRATA__ERROR_CODE__PARSE_ERROR;
    case ST_ENOMEM:
        return STRATA__ERROR_CODE__OUT_OF_MEMORY;
    default:
        return STRATA__ERROR_CODE__INTERNAL;
    }
}

/* Reads shard @s's index into @L. */
static int list_shard(struct listing *L, st_shard *s, const struct st_slice *name, const st_re *mre)
{
    uint32_t *dropped;
    int rv = st_shard_dropped(s, &dropped, &L->ndropped);
    if (rv != ST_OK)
        return rv;
    L->dropped = dropped;
    L->filtered = L->pred != NULL || L->ndropped > 0;
    L->idx = st_shard_index(s);
    st_index_read_begin(L->idx);
    rv = st_pred_measurements(L->idx, name, mre, on_measurement, L);
    st_index_read_end(L->idx);
    free(dropped);
    L->dropped = NULL;
    L->ndropped = 0;
    return rv;
}

static int pack(Strata__DataResponse *resp, struct st_buf *out)
{
    size_t n = strata__data_response__get_packed_size(resp);
    int rv = st_buf_reserve(out, n);
    if (rv != ST_OK)
        return rv;
    strata__data_response__pack(resp, (uint8_t *)out->p + out->len);
    out->len += n;
    return ST_OK;
}

int st_data_schema(st_store *st, const struct Strata__SchemaQuery *q, struct st_buf *out)
{
    Strata__DataResponse resp = STRATA__DATA_RESPONSE__INIT;
    Strata__SchemaQueryResponse sr = STRATA__SCHEMA_QUERY_RESPONSE__INIT;
    Strata__Error error = STRATA__ERROR__INIT;
    char msg[512] = "";
    struct listing L = {.q = q};
    st_index_key_init(&L.pkey);
    st_pred *pred = NULL;
    st_re *mre = NULL, *kre = NULL;
    uint64_t *missing = NULL;
    Strata__SchemaEntry *ents = NULL;
    Strata__SchemaEntry **ptrs = NULL;
    struct st_slice mname, *name = NULL; /* FROM one measurement */
    char emsg[320];
    int rv = ST_OK;
    error.message = msg;
    bool key_regex = q->tag_key_regex && q->tag_key_regex[0];
    /* Keep one entry past the limit: it tells whether the limit cut. */
    size_t keep = q->limit && q->limit < SIZE_MAX ? (size_t)q->limit + 1 : 0;

    if (q->kind < STRATA__SCHEMA_KIND__MEASUREMENTS || q->kind > STRATA__SCHEMA_KIND__SERIES) {
        rv = st_errf(msg, sizeof(msg), ST_EINVAL, "schema query: unknown kind %d", (int)q->kind);
        goto fail;
    }
    if (q->kind == STRATA__SCHEMA_KIND__TAG_VALUES && q->n_tag_keys == 0 && !key_regex) {
        rv = st_errf(msg, sizeof(msg), ST_EINVAL,
                     "schema query: TAG_VALUES needs tag_keys or tag_key_regex");
        goto fail;
    }
    if (q->source_case == STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT_REGEX) {
        struct st_slice re = slice_of(q->measurement_regex);
        if ((rv = st_re_compile(re.p, re.len, &mre, emsg, sizeof(emsg))) != ST_OK) {
            st_errf(msg, sizeof(msg), rv, "measurement regex /%s/: %s", re.p, emsg);
            goto fail;
        }
    }
    if (q->kind == STRATA__SCHEMA_KIND__TAG_VALUES && key_regex &&
        (rv = st_re_compile(q->tag_key_regex, strlen(q->tag_key_regex), &kre, emsg,
                            sizeof(emsg))) != ST_OK) {
        st_errf(msg, sizeof(msg), rv, "tag key regex /%s/: %s", q->tag_key_regex, emsg);
        goto fail;
    }
    if (q->condition && (rv = st_pred_compile(q->condition, &pred, msg, sizeof(msg))) != ST_OK)
        goto fail;
    L.pred = pred;
    L.key_re = kre;
    if (q->source_case == STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT) {
        mname = slice_of(q->measurement);
        name = &mname;
    }
    if ((missing = malloc((q->n_shard_ids + 1) * sizeof(*missing))) == NULL) {
        rv = ST_ENOMEM;
        goto fail_nomem;
    }
    sr.missing_shard_ids = missing;
    for (size_t i = 0; i < q->n_shard_ids; i++) {
        st_shard *s;
        rv = st_store_acquire(st, q->shard_ids[i], false, &s, emsg, sizeof(emsg));
        if (rv == ST_ENOTFOUND) {
            missing[sr.n_missing_shard_ids++] = q->shard_ids[i];
            continue;
        }
        if (rv != ST_OK) { /* UNTESTED: only a create can fail otherwise */
            st_errf(msg, sizeof(msg), rv, "shard %llu: %s", (unsigned long long)q->shard_ids[i],
                    emsg);
            goto fail;
        }
        rv = list_shard(&L, s, name, mre);
        st_store_release(st, s);
        if (rv == ST_ENOMEM)
            goto fail_nomem;
        if (rv != ST_OK) { /* UNTESTED: listings fail only for memory */
            st_errf(msg, sizeof(msg), rv, "shard %llu: schema: %s",
                    (unsigned long long)q->shard_ids[i], st_strerror(rv));
            goto fail;
        }
        compact(&L, keep);
    }
    if (q->limit && L.n > q->limit) {
        L.n = (size_t)q->limit;
        sr.truncated = 1;
    }
    ents = calloc(L.n + 1, sizeof(*ents));
    ptrs = calloc(L.n + 1, sizeof(*ptrs));
    if (ents == NULL || ptrs == NULL) {
        rv = ST_ENOMEM;
        goto fail_nomem;
    }
    for (size_t i = 0; i < L.n; i++) {
        strata__schema_entry__init(&ents[i]);
        ents[i].measurement = (char *)L.e[i].m.p;
        ents[i].key = (char *)L.e[i].k.p;
        ents[i].value = (char *)L.e[i].v.p;
        ents[i].type = st_agg_wire_type(L.e[i].type);
        ptrs[i] = &ents[i];
    }
    sr.entries = ptrs;
    sr.n_entries = L.n;
    resp.resp_case = STRATA__DATA_RESPONSE__RESP_SCHEMA_QUERY;
    resp.schema_query = &sr;
    goto done;

fail_nomem:
    /* Drop what was collected so that the error itself can be packed. */
    listing_fini(&L);
    L = (struct listing){.q = q};
    st_errf(msg, sizeof(msg), rv, "schema query: out of memory");
fail:
    error.code = code_of(rv);
    resp.error = &error;
done:
    rv = pack(&resp, out);
    free(ents);
    free(ptrs);
    free(missing);
    listing_fini(&L);
    st_pred_free(pred);
    st_re_free(kre);
    st_re_free(mre);
    return rv;
}
