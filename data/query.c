/* The Query call: the data node's query executor.
 *
 * Plan: for every requested shard, the series of the measurement(s) that
 * match the tag condition (index postings, data/pred.c), with the requested
 * fields. Each series is put in a group by its GROUP BY tag values; the
 * (group, series, shard) items are sorted, so a group's items are adjacent
 * and groups come out in a fixed order that paging can resume from.
 *
 * Execute: one group at a time (query_agg.c: partial aggregates per window,
 * answered from block statistics where a block lies inside one window;
 * query_raw.c: rows in time order). A page holds about max_points windows
 * or rows; the cursor names the group and how many of its windows/rows were
 * sent, so the next call recomputes only from there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "err.h"
#include "index.h"
#include "pred.h"
#include "query_int.h"
#include "regex.h"
#include "tz.h"
#include "service.h"
#include "store.h"

#define DEFAULT_MAX_POINTS 50000
#define DEFAULT_DEADLINE_MS 60000
#define CURSOR_MAGIC 0x53545131u /* "STQ1" */

/* ---- Arena ---------------------------------------------------------------- */

#define ARENA_FIRST 4096           /* the first chunk; each next one doubles */
#define ARENA_MAX_CHUNK (1u << 20) /* up to this */
#define ARENA_ALIGN 16

struct q_chunk {
    struct q_chunk *next;
    _Alignas(ARENA_ALIGN) unsigned char mem[]; /* zeroed by calloc */
};

void *q_alloc(struct q_arena *a, size_t size)
{
    size = size ? (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1) : ARENA_ALIGN;
    if (a->chunks != NULL && size <= a->size - a->used) {
        void *x = a->chunks->mem + a->used;
        a->used += size;
        return x;
    }
    size_t want = a->next ? a->next : ARENA_FIRST;
    if (size > want / 4) {
        /* big: a chunk of its own, behind the one being carved */
        struct q_chunk *c = calloc(1, sizeof(*c) + size);
        if (c == NULL) {
            a->oom = 1;
            return NULL;
        }
        if (a->chunks != NULL) {
            c->next = a->chunks->next;
            a->chunks->next = c;
        } else {
            c->next = NULL;
            a->chunks = c;
            a->used = a->size = size;
        }
        return c->mem;
    }
    struct q_chunk *c = calloc(1, sizeof(*c) + want);
    if (c == NULL) {
        a->oom = 1;
        return NULL;
    }
    c->next = a->chunks;
    a->chunks = c;
    a->size = want;
    a->used = size;
    a->next = want < ARENA_MAX_CHUNK ? want * 2 : want;
    return c->mem;
}

char *q_strdup(struct q_arena *a, const char *p, size_t len)
{
    char *s = q_alloc(a, len + 1);
    if (s && len)
        memcpy(s, p, len);
    return s;
}

void q_arena_free(struct q_arena *a)
{
    for (struct q_chunk *c = a->chunks, *next; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    memset(a, 0, sizeof(*a));
}

/* ---- Helpers shared by the group executors -------------------------------- */

static int slice_cmp(struct st_slice a, struct st_slice b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

static int col_cmp(const void *x, const void *y)
{
    const struct q_col *a = x, *b = y;
    int c = slice_cmp(a->name, b->name);
    return c ? c : (int)a->type - (int)b->type;
}

long q_col_find(const struct q_col *cols, size_t ncols, struct st_slice name,
                enum st_field_type type)
{
    size_t lo = 0, hi = ncols;
    struct q_col key = {name, type};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = col_cmp(&cols[mid], &key);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int q_group_cols(struct q_plan *p, size_t first, size_t n, struct q_col **cols, size_t *ncols)
{
    size_t total = 0;
    for (size_t i = first; i < first + n; i++)
        total += p->items[i].nfields;
    struct q_col *c = q_alloc(p->arena, (total + 1) * sizeof(*c));
    if (c == NULL)
        return ST_ENOMEM;
    size_t k = 0;
    for (size_t i = first; i < first + n; i++)
        for (size_t j = 0; j < p->items[i].nfields; j++)
            c[k++] = (struct q_col){p->items[i].fields[j].name, p->items[i].fields[j].type};
    qsort(c, k, sizeof(*c), col_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || col_cmp(&c[u - 1], &c[i]) != 0)
            c[u++] = c[i];
    *cols = c;
    *ncols = u;
    return ST_OK;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int q_check_deadline(struct q_plan *p)
{
    if (now_ns() <= p->deadline_ns)
        return ST_OK;
    return st_errf(p->err, p->errlen, ST_ETIMEDOUT, "query timeout: the deadline of %u ms passed",
                   p->q->deadline_ms ? p->q->deadline_ms : DEFAULT_DEADLINE_MS);
}

/* ---- Planning -------------------------------------------------------------- */

struct meas_list {
    struct q_arena *arena;
    const st_re *re;
    struct st_slice *names;
    size_t n, cap;
};

static int on_measurement(void *arg, struct st_slice name)
{
    struct meas_list *m = arg;
    if (!st_re_match(m->re, name.p, name.len))
        return ST_OK;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct st_slice *p = realloc(m->names, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        m->names = p;
        m->cap = cap;
    }
    char *copy = q_strdup(m->arena, name.p, name.len);
    if (copy == NULL)
        return ST_ENOMEM;
    m->names[m->n++] = (struct st_slice){copy, name.len};
    return ST_OK;
}

struct field_list {
    struct q_arena *arena;
    struct q_field *f;
    size_t n, cap;
};

static int field_push(struct field_list *fl, struct st_slice name, enum st_field_type type)
{
    if (fl->n == fl->cap) {
        size_t cap = fl->cap ? fl->cap * 2 : 16;
        struct q_field *p = q_alloc(fl->arena, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        if (fl->n)
            memcpy(p, fl->f, fl->n * sizeof(*p));
        fl->f = p;
        fl->cap = cap;
    }
    char *copy = q_strdup(fl->arena, name.p, name.len);
    if (copy == NULL)
        return ST_ENOMEM;
    fl->f[fl->n++] = (struct q_field){{copy, name.len}, type};
    return ST_OK;
}

static int on_field(void *arg, struct st_slice name, enum st_field_type type)
{
    return field_push(arg, name, type);
}

struct item_list {
    struct q_item *v;
    size_t n, cap;
};

static int item_push(struct item_list *l, const struct q_item *it)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct q_item *p = realloc(l->v, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = *it;
    return ST_OK;
}

/* The series of one measurement of one shard, inside an index read
 * section. */
static int plan_measurement(struct q_plan *p, size_t shard, st_index *idx, const st_pred *pred,
                            struct st_slice m, struct item_list *items)
{
    const Strata__Query *q = p->q;
    struct field_list fl = {.arena = p->arena};
    int rv = ST_OK;
    if (q->n_fields == 0) {
        rv = st_index_fields(idx, m, on_field, &fl);
    } else {
        for (size_t i = 0; i < q->n_fields && rv == ST_OK; i++) {
            struct st_slice f = {q->fields[i], (uint32_t)strlen(q->fields[i])};
            enum st_field_type t;
            if (st_index_field_type(idx, m, f, &t) == ST_OK)
                rv = field_push(&fl, f, t);
        }
    }
    if (rv != ST_OK || fl.n == 0)
        return rv;
    uint32_t *ids = NULL;
    size_t n = 0;
    if ((rv = st_pred_eval(pred, idx, m, &ids, &n)) != ST_OK)
        return rv;
    if (q->max_series > 0 && n > q->max_series) {
        /* InfluxDB counts the series of one measurement in one shard */
        snprintf(p->err, p->errlen, "max-select-series limit exceeded: (%zu/%llu)", n,
                 (unsigned long long)q->max_series);
        free(ids);
        return ST_EINVAL;
    }
    for (size_t i = 0; i < n && rv == ST_OK; i++) {
        struct q_item it = {.shard = shard,
                            .series = ids[i],
                            .key = st_index_series_key(idx, ids[i]),
                            .fields = fl.f,
                            .nfields = fl.n};
        if (it.key.p)
            rv = item_push(items, &it);
    }
    free(ids);
    return rv;
}

static int plan_shard(struct q_plan *p, size_t shard, const st_pred *pred, const st_re *mre,
                      struct item_list *items)
{
    const Strata__Query *q = p->q;
    st_index *idx = st_shard_index(p->shards[shard]);
    struct meas_list ml = {.arena = p->arena, .re = mre};
    int rv = ST_OK;
    st_index_read_begin(idx);
    if (mre)
        rv = st_index_measurements(idx, on_measurement, &ml);
    else
        rv = plan_measurement(p, shard, idx, pred,
                              (struct st_slice){q->measurement, (uint32_t)strlen(q->measurement)},
                              items);
    for (size_t i = 0; i < ml.n && rv == ST_OK; i++)
        rv = plan_measurement(p, shard, idx, pred, ml.names[i], items);
    st_index_read_end(idx);
    free(ml.names);
    return rv;
}

/* The group key of a series: measurement, then per GROUP BY tag its value
 * ("" when the series lacks it), NUL-separated; the series key itself for
 * GROUP BY *. */
static int group_key(struct q_plan *p, struct st_index_key *k, struct q_item *it,
                     struct st_buf *tmp)
{
    const Strata__Query *q = p->q;
    if (q->group_by_all) {
        it->gkey = it->key;
        return ST_OK;
    }
    int rv = st_index_key_parse(k, it->key.p, it->key.len);
    if (rv != ST_OK)
        return rv;
    st_buf_reset(tmp);
    rv = st_buf_append(tmp, k->measurement.p, k->measurement.len);
    for (size_t g = 0; g < q->n_group_by_tags && rv == ST_OK; g++) {
        const char *want = q->group_by_tags[g];
        size_t wl = strlen(want);
        rv = st_buf_append(tmp, "\0", 1);
        for (size_t t = 0; t < k->ntags && rv == ST_OK; t++)
            if (k->tags[t].key.len == wl && memcmp(k->tags[t].key.p, want, wl) == 0)
                rv = st_buf_append(tmp, k->tags[t].value.p, k->tags[t].value.len);
    }
    if (rv != ST_OK)
        return rv;
    char *g = q_strdup(p->arena, tmp->p, tmp->len);
    if (g == NULL)
        return ST_ENOMEM;
    it->gkey = (struct st_slice){g, (uint32_t)tmp->len};
    return ST_OK;
}

static int item_cmp(const void *x, const void *y)
{
    const struct q_item *a = x, *b = y;
    int c = slice_cmp(a->gkey, b->gkey);
    if (c)
        return c;
    if ((c = slice_cmp(a->key, b->key)))
        return c;
    return (a->shard > b->shard) - (a->shard < b->shard);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- The group's SeriesResult header --------------------------------------- */

/* Measurement and tags of the group of @it: the GROUP BY tags with their
 * values (sorted by key), or every tag for GROUP BY *. */
static int group_header(struct q_plan *p, const struct q_item *it, Strata__SeriesResult *sr)
{
    const Strata__Query *q = p->q;
    struct st_index_key k;
    st_index_key_init(&k);
    int rv = st_index_key_parse(&k, it->key.p, it->key.len);
    if (rv != ST_OK)
        goto out;
    sr->measurement = q_strdup(p->arena, k.measurement.p, k.measurement.len);
    size_t ntags = q->group_by_all ? k.ntags : q->n_group_by_tags;
    sr->tags = q_alloc(p->arena, (ntags + 1) * sizeof(*sr->tags));
    if (sr->measurement == NULL || sr->tags == NULL) {
        rv = ST_ENOMEM;
        goto out;
    }
    if (q->group_by_all) {
        for (size_t t = 0; t < k.ntags; t++) {
            Strata__Tag *tag = q_alloc(p->arena, sizeof(*tag));
            if (tag == NULL) {
                rv = ST_ENOMEM;
                goto out;
            }
            strata__tag__init(tag);
            tag->key = q_strdup(p->arena, k.tags[t].key.p, k.tags[t].key.len);
            tag->value = q_strdup(p->arena, k.tags[t].value.p, k.tags[t].value.len);
            sr->tags[sr->n_tags++] = tag;
        }
    } else {
        char **keys = q_alloc(p->arena, (ntags + 1) * sizeof(*keys));
        if (keys == NULL) {
            rv = ST_ENOMEM;
            goto out;
        }
        if (ntags)
            memcpy(keys, q->group_by_tags, ntags * sizeof(*keys));
        qsort(keys, ntags, sizeof(*keys), str_cmp);
        for (size_t g = 0; g < ntags; g++) {
            if (g > 0 && strcmp(keys[g - 1], keys[g]) == 0)
                continue;
            Strata__Tag *tag = q_alloc(p->arena, sizeof(*tag));
            if (tag == NULL) {
                rv = ST_ENOMEM;
                goto out;
            }
            strata__tag__init(tag);
            tag->key = keys[g];
            tag->value = (char *)"";
            for (size_t t = 0; t < k.ntags; t++)
                if (strlen(keys[g]) == k.tags[t].key.len &&
                    memcmp(k.tags[t].key.p, keys[g], k.tags[t].key.len) == 0)
                    tag->value = q_strdup(p->arena, k.tags[t].value.p, k.tags[t].value.len);
            sr->tags[sr->n_tags++] = tag;
        }
    }
    rv = p->arena->oom ? ST_ENOMEM : ST_OK;
out:
    st_index_key_fini(&k);
    return rv;
}

/* ---- The call -------------------------------------------------------------- */

static bool is_raw(const Strata__Query *q)
{
    return q->n_aggregates == 0 ||
           (q->n_aggregates == 1 && q->aggregates[0] == STRATA__AGGREGATE_KIND__RAW);
}

/* Checks the request; ST_OK or ST_EINVAL / ST_ENOTSUP-like codes with a
 * message. */
static int validate(struct q_plan *p, Strata__ErrorCode *code)
{
    const Strata__Query *q = p->q;
    *code = STRATA__ERROR_CODE__INVALID_ARGUMENT;
    if (q->source_case != STRATA__QUERY__SOURCE_MEASUREMENT &&
        q->source_case != STRATA__QUERY__SOURCE_MEASUREMENT_REGEX)
        return st_errf(p->err, p->errlen, ST_EINVAL, "query names no measurement");
    if (q->interval_ns < 0 ||
        (q->interval_ns > 0 && (q->offset_ns < 0 || q->offset_ns >= q->interval_ns)))
        return st_errf(p->err, p->errlen, ST_EINVAL, "bad window: interval %lld ns, offset %lld ns",
                       (long long)q->interval_ns, (long long)q->offset_ns);
    if (q->field_condition && q->field_condition[0]) {
        *code = STRATA__ERROR_CODE__UNIMPLEMENTED;
        return st_errf(p->err, p->errlen, ST_EINVAL,
                       "field conditions are evaluated by the router, not by data nodes yet");
    }
    if (q->interval_ns > 0 && q->time_zone != NULL && q->time_zone[0] != '\0') {
        int rv = st_tz_load(q->time_zone, &p->tz);
        if (rv == ST_ENOMEM)
            return rv;
        if (rv != ST_OK)
            return st_errf(p->err, p->errlen, ST_EINVAL, "unknown time zone %s", q->time_zone);
    }
    p->want = 0;
    p->stats_minmax = q->interval_ns > 0;
    if (is_raw(q))
        return ST_OK;
    for (size_t i = 0; i < q->n_aggregates; i++) {
        switch (q->aggregates[i]) {
        case STRATA__AGGREGATE_KIND__COUNT:
            p->want |= ST_AGG_COUNT;
            break;
        case STRATA__AGGREGATE_KIND__SUM:
        case STRATA__AGGREGATE_KIND__MEAN:
            p->want |= ST_AGG_SUM;
            break;
        case STRATA__AGGREGATE_KIND__MIN:
        case STRATA__AGGREGATE_KIND__MAX:
            p->want |= ST_AGG_MINMAX;
            break;
        case STRATA__AGGREGATE_KIND__SPREAD:
            p->want |= ST_AGG_MINMAX;
            break;
        case STRATA__AGGREGATE_KIND__FIRST:
        case STRATA__AGGREGATE_KIND__LAST:
            p->want |= ST_AGG_FIRSTLAST;
            break;
        case STRATA__AGGREGATE_KIND__STDDEV:
            p->want |= ST_AGG_MOMENTS | ST_AGG_SUM;
            break;
        default:
            return st_errf(p->err, p->errlen, ST_EINVAL,
                           "aggregate %d: not one a data node computes (RAW must be alone)",
                           (int)q->aggregates[i]);
        }
    }
    /* SPREAD alone needs no times: min/max values from block stats suffice */
    bool only_spread = true;
    for (size_t i = 0; i < q->n_aggregates; i++)
        if (q->aggregates[i] == STRATA__AGGREGATE_KIND__MIN ||
            q->aggregates[i] == STRATA__AGGREGATE_KIND__MAX)
            only_spread = false;
    if (only_spread)
        p->stats_minmax = true;
    return ST_OK;
}

static Strata__ErrorCode code_of(int rv)
{
    switch (rv) {
    case ST_ENOMEM:
        return STRATA__ERROR_CODE__OUT_OF_MEMORY;
    case ST_ETIMEDOUT:
        return STRATA__ERROR_CODE__TIMEOUT;
    case ST_ECORRUPT:
        return STRATA__ERROR_CODE__CORRUPT;
    case ST_EINVAL:
        return STRATA__ERROR_CODE__INVALID_ARGUMENT;
    case ST_EPARSE:
        return STRATA__ERROR_CODE__PARSE_ERROR;
    case ST_EIO:
        return STRATA__ERROR_CODE__IO_ERROR;
    default:
        return STRATA__ERROR_CODE__INTERNAL;
    }
}

/* The cursor: group ordinal and windows/rows of it already sent. */
static int cursor_decode(const ProtobufCBinaryData *c, uint64_t *group, uint64_t *skip)
{
    *group = *skip = 0;
    if (c->len == 0)
        return ST_OK;
    if (c->len != 20)
        return ST_EINVAL;
    uint32_t magic;
    memcpy(&magic, c->data, 4);
    memcpy(group, c->data + 4, 8);
    memcpy(skip, c->data + 12, 8);
    return magic == CURSOR_MAGIC ? ST_OK : ST_EINVAL;
}

static uint8_t *cursor_encode(struct q_arena *a, uint64_t group, uint64_t skip)
{
    uint8_t *c = q_alloc(a, 20);
    if (c) {
        uint32_t magic = CURSOR_MAGIC;
        memcpy(c, &magic, 4);
        memcpy(c + 4, &group, 8);
        memcpy(c + 12, &skip, 8);
    }
    return c;
}

static int execute(struct q_plan *p, Strata__QueryResponse *qr)
{
    const Strata__Query *q = p->q;
    uint64_t g0, skip;
    if (cursor_decode(&q->cursor, &g0, &skip) != ST_OK)
        return st_errf(p->err, p->errlen, ST_EINVAL, "bad cursor");
    uint64_t budget = q->max_points ? q->max_points : DEFAULT_MAX_POINTS;
    size_t ngroups = 0;
    for (size_t i = 0; i < p->nitems; i++)
        if (i == 0 || slice_cmp(p->items[i - 1].gkey, p->items[i].gkey) != 0)
            ngroups++;
    qr->series = q_alloc(p->arena, (ngroups + 1) * sizeof(*qr->series));
    if (qr->series == NULL)
        return ST_ENOMEM;
    bool raw = is_raw(q);
    uint64_t g = 0;
    int rv = ST_OK;
    for (size_t i = 0; i < p->nitems && rv == ST_OK; g++) {
        size_t n = 1;
        while (i + n < p->nitems && slice_cmp(p->items[i].gkey, p->items[i + n].gkey) == 0)
            n++;
        if (g < g0) {
            i += n;
            continue;
        }
        if (budget == 0) { /* the page is full: continue from this group */
            qr->more = true;
            qr->cursor.data = cursor_encode(p->arena, g, 0);
            qr->cursor.len = 20;
            break;
        }
        Strata__SeriesResult *sr = q_alloc(p->arena, sizeof(*sr));
        if (sr == NULL)
            return ST_ENOMEM;
        strata__series_result__init(sr);
        if ((rv = group_header(p, &p->items[i], sr)) != ST_OK)
            break;
        uint64_t used = 0;
        bool more = false;
        uint64_t sk = g == g0 ? skip : 0;
        rv = raw ? q_group_raw(p, i, n, sr, sk, budget, &used, &more)
                 : q_group_agg(p, i, n, sr, sk, budget, &used, &more);
        if (rv != ST_OK)
            break;
        if (sr->n_windows || sr->n_agg_columns || sr->n_times)
            qr->series[qr->n_series++] = sr;
        budget -= used < budget ? used : budget;
        if (more) {
            qr->more = true;
            qr->cursor.data = cursor_encode(p->arena, g, sk + used);
            qr->cursor.len = 20;
            break;
        }
        i += n;
        if ((rv = q_check_deadline(p)) != ST_OK)
            break;
    }
    if (rv == ST_OK && p->arena->oom)
        rv = ST_ENOMEM;
    return rv;
}

int st_data_query(st_store *st, st_shard_reader_pool *readers, const Strata__Query *q,
                  struct st_buf *out)
{
    Strata__DataResponse resp = STRATA__DATA_RESPONSE__INIT;
    Strata__QueryResponse qr = STRATA__QUERY_RESPONSE__INIT;
    Strata__QueryStats stats = STRATA__QUERY_STATS__INIT;
    Strata__Error err = STRATA__ERROR__INIT;
    char msg[512] = "";
    struct q_arena arena = {0};
    struct q_plan p = {.q = q, .arena = &arena, .err = msg, .errlen = sizeof(msg)};
    struct item_list items = {0};
    st_pred *pred = NULL;
    st_re *mre = NULL;
    Strata__ErrorCode code = STRATA__ERROR_CODE__INTERNAL;
    int rv;
    err.message = msg;
    p.stats = &stats;
    p.deadline_ns =
        now_ns() + (int64_t)(q->deadline_ms ? q->deadline_ms : DEFAULT_DEADLINE_MS) * 1000000;
    p.tmin = q->min_ns;
    p.tmax = q->max_ns;

    if ((rv = validate(&p, &code)) != ST_OK)
        goto fail;
    code = STRATA__ERROR_CODE__PARSE_ERROR;
    if ((rv = st_pred_compile(q->condition, &pred, msg, sizeof(msg))) != ST_OK)
        goto fail;
    if (q->source_case == STRATA__QUERY__SOURCE_MEASUREMENT_REGEX &&
        (rv = st_re_compile(q->measurement_regex, strlen(q->measurement_regex), &mre, msg,
                            sizeof(msg))) != ST_OK)
        goto fail;
    code = STRATA__ERROR_CODE__INTERNAL;
    p.shards = q_alloc(&arena, (q->n_shard_ids + 1) * sizeof(*p.shards));
    qr.missing_shard_ids = q_alloc(&arena, (q->n_shard_ids + 1) * sizeof(uint64_t));
    if (arena.oom) {
        rv = ST_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < q->n_shard_ids; i++) {
        char e[256];
        if (st_store_acquire(st, q->shard_ids[i], false, &p.shards[p.nshards], e, sizeof(e)) !=
            ST_OK)
            qr.missing_shard_ids[qr.n_missing_shard_ids++] = q->shard_ids[i];
        else
            p.nshards++;
    }
    for (size_t i = 0; i < p.nshards && rv == ST_OK; i++)
        rv = plan_shard(&p, i, pred, mre, &items);
    if (rv != ST_OK)
        goto fail;
    struct st_index_key k;
    struct st_buf tmp;
    st_index_key_init(&k);
    st_buf_init(&tmp);
    for (size_t i = 0; i < items.n && rv == ST_OK; i++)
        rv = group_key(&p, &k, &items.v[i], &tmp);
    st_index_key_fini(&k);
    st_buf_fini(&tmp);
    if (rv != ST_OK)
        goto fail;
    if (items.n)
        qsort(items.v, items.n, sizeof(*items.v), item_cmp);
    p.items = items.v;
    p.nitems = items.n;
    if (p.tmin <= p.tmax && p.nitems) {
        if ((rv = st_shard_reader_get(readers, &p.rd)) != ST_OK)
            goto fail;
        if ((rv = execute(&p, &qr)) != ST_OK)
            goto fail;
    }
    qr.stats = &stats;
    resp.resp_case = STRATA__DATA_RESPONSE__RESP_QUERY;
    resp.query = &qr;
    goto pack;
fail:
    if (rv == ST_ENOMEM && !msg[0])
        snprintf(msg, sizeof(msg), "out of memory");
    if (!msg[0])
        snprintf(msg, sizeof(msg), "%s", st_strerror(rv));
    err.code = code != STRATA__ERROR_CODE__INTERNAL ? code : code_of(rv);
    resp.error = &err;
pack:;
    size_t n = strata__data_response__get_packed_size(&resp);
    rv = st_buf_reserve(out, n);
    if (rv == ST_OK) {
        strata__data_response__pack(&resp, (uint8_t *)out->p + out->len);
        out->len += n;
    }
    st_shard_reader_put(readers, p.rd);
    for (size_t i = 0; i < p.nshards; i++)
        st_store_release(st, p.shards[i]);
    st_pred_free(pred);
    st_re_free(mre);
    st_tz_free(p.tz);
    free(items.v);
    q_arena_free(&arena);
    return rv;
}
