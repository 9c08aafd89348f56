/* The Query call: raw reads.
 *
 * A raw query names a measurement, optional fields and a time range; each
 * series of each requested shard becomes one SeriesResult whose rows are the
 * union of the fields' times and whose columns mark with a bitmap which rows
 * hold a value. Aggregates, tag conditions and paging arrive with the query
 * engine issue; until then they answer UNIMPLEMENTED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.pb-c.h"
#include "err.h"
#include "index.h"
#include "service.h"

/* Values of one field of one series. */
struct col {
    char *name;
    enum st_field_type type;
    size_t n, cap;
    int64_t *t;
    union st_value *v; /* strings: malloc'ed copies */
};

struct series {
    char *key;
    struct col *cols;
    size_t ncols;
};

struct collect {
    struct series *series;
    size_t n, cap;
    int failed;
};

static int on_series(void *arg, struct st_slice key)
{
    struct collect *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct series *p = realloc(c->series, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        c->series = p;
        c->cap = cap;
    }
    struct series *s = &c->series[c->n++];
    memset(s, 0, sizeof(*s));
    s->key = strndup(key.p, key.len);
    return s->key ? ST_OK : ST_ENOMEM;
}

static int on_field(void *arg, struct st_slice field, enum st_field_type type)
{
    struct collect *c = arg;
    struct series *s = &c->series[c->n - 1];
    struct col *p = realloc(s->cols, (s->ncols + 1) * sizeof(*p));
    if (p == NULL)
        return ST_ENOMEM;
    s->cols = p;
    struct col *k = &s->cols[s->ncols++];
    memset(k, 0, sizeof(*k));
    k->name = strndup(field.p, field.len);
    k->type = type;
    return k->name ? ST_OK : ST_ENOMEM;
}

static int on_value(void *arg, const struct st_point_value *pv)
{
    struct collect *c = arg;
    struct series *s = &c->series[c->n - 1];
    struct col *k = &s->cols[s->ncols - 1];
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        int64_t *t = realloc(k->t, cap * sizeof(*t));
        if (t == NULL)
            return ST_ENOMEM;
        k->t = t;
        union st_value *v = realloc(k->v, cap * sizeof(*v));
        if (v == NULL)
            return ST_ENOMEM;
        k->v = v;
        k->cap = cap;
    }
    union st_value v = pv->v;
    if (pv->type == ST_FIELD_STRING) {
        char *copy = malloc((size_t)v.s.len + 1);
        if (copy == NULL)
            return ST_ENOMEM;
        memcpy(copy, v.s.p, v.s.len);
        copy[v.s.len] = '\0';
        v.s.p = copy;
    }
    k->t[k->n] = pv->t;
    k->v[k->n++] = v;
    return ST_OK;
}

static void collect_free(struct collect *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct series *s = &c->series[i];
        for (size_t j = 0; j < s->ncols; j++) {
            struct col *k = &s->cols[j];
            if (k->type == ST_FIELD_STRING)
                for (size_t x = 0; x < k->n; x++)
                    free((char *)k->v[x].s.p);
            free(k->name);
            free(k->t);
            free(k->v);
        }
        free(s->cols);
        free(s->key);
    }
    free(c->series);
}

static Strata__FieldType ptype(enum st_field_type t)
{
    switch (t) {
    case ST_FIELD_FLOAT:
        return STRATA__FIELD_TYPE__FLOAT;
    case ST_FIELD_INTEGER:
        return STRATA__FIELD_TYPE__INTEGER;
    case ST_FIELD_UNSIGNED:
        return STRATA__FIELD_TYPE__UNSIGNED;
    case ST_FIELD_STRING:
        return STRATA__FIELD_TYPE__STRING;
    case ST_FIELD_BOOLEAN:
        return STRATA__FIELD_TYPE__BOOLEAN;
    }
    return STRATA__FIELD_TYPE__FIELD_TYPE_UNSPECIFIED;
}

/* Pointers to free after packing. */
struct allocs {
    void **p;
    size_t n, cap;
    int oom;
};

static void *alloc(struct allocs *a, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        void **np = realloc(a->p, cap * sizeof(*np));
        if (np == NULL) {
            a->oom = 1;
            return NULL;
        }
        a->p = np;
        a->cap = cap;
    }
    void *x = calloc(1, size ? size : 1);
    if (x == NULL) {
        a->oom = 1;
        return NULL;
    }
    a->p[a->n++] = x;
    return x;
}

static void allocs_free(struct allocs *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static char *dup_slice(struct allocs *a, struct st_slice x)
{
    char *p = alloc(a, (size_t)x.len + 1);
    if (p && x.len)
        memcpy(p, x.p, x.len);
    return p;
}

/* Splits a canonical series key into measurement and tags (unescaped). */
static void split_key(const char *key, struct allocs *a, Strata__SeriesResult *sr)
{
    struct st_index_key k;
    st_index_key_init(&k);
    if (st_index_key_parse(&k, key, strlen(key)) == ST_OK) {
        sr->measurement = dup_slice(a, k.measurement);
        sr->tags = alloc(a, (k.ntags + 1) * sizeof(*sr->tags));
        for (size_t i = 0; sr->tags && i < k.ntags; i++) {
            Strata__Tag *t = alloc(a, sizeof(*t));
            if (t == NULL)
                break;
            strata__tag__init(t);
            t->key = dup_slice(a, k.tags[i].key);
            t->value = dup_slice(a, k.tags[i].value);
            sr->tags[sr->n_tags++] = t;
        }
    }
    st_index_key_fini(&k);
}

/* Builds the rows of one series: union of times, one column per field. */
static Strata__SeriesResult *build_series(const struct series *s, struct allocs *a)
{
    Strata__SeriesResult *sr = alloc(a, sizeof(*sr));
    if (sr == NULL)
        return NULL;
    strata__series_result__init(sr);
    split_key(s->key, a, sr);
    size_t total = 0;
    for (size_t j = 0; j < s->ncols; j++)
        total += s->cols[j].n;
    int64_t *times = alloc(a, total * sizeof(*times));
    if (times == NULL)
        return NULL;
    size_t nt = 0;
    for (size_t j = 0; j < s->ncols; j++)
        for (size_t x = 0; x < s->cols[j].n; x++)
            times[nt++] = s->cols[j].t[x];
    qsort(times, nt, sizeof(*times), cmp_i64);
    size_t u = 0;
    for (size_t x = 0; x < nt; x++)
        if (u == 0 || times[u - 1] != times[x])
            times[u++] = times[x];
    sr->times = times;
    sr->n_times = u;
    sr->columns = alloc(a, s->ncols * sizeof(*sr->columns));
    if (sr->columns == NULL)
        return NULL;
    for (size_t j = 0; j < s->ncols; j++) {
        const struct col *k = &s->cols[j];
        Strata__Column *c = alloc(a, sizeof(*c));
        if (c == NULL)
            return NULL;
        strata__column__init(c);
        c->name = k->name;
        c->type = ptype(k->type);
        uint8_t *bits = alloc(a, (u + 7) / 8);
        if (bits == NULL)
            return NULL;
        c->present.data = bits;
        c->present.len = (u + 7) / 8;
        double *fv = NULL;
        int64_t *iv = NULL;
        uint64_t *uv = NULL;
        char **sv = NULL;
        protobuf_c_boolean *bv = NULL;
        switch (k->type) {
        case ST_FIELD_FLOAT:
            c->float_values = fv = alloc(a, u * sizeof(*fv));
            c->n_float_values = u;
            break;
        case ST_FIELD_INTEGER:
            c->int_values = iv = alloc(a, u * sizeof(*iv));
            c->n_int_values = u;
            break;
        case ST_FIELD_UNSIGNED:
            c->uint_values = uv = alloc(a, u * sizeof(*uv));
            c->n_uint_values = u;
            break;
        case ST_FIELD_STRING:
            c->string_values = sv = alloc(a, u * sizeof(*sv));
            c->n_string_values = u;
            break;
        case ST_FIELD_BOOLEAN:
            c->bool_values = bv = alloc(a, u * sizeof(*bv));
            c->n_bool_values = u;
            break;
        }
        if (a->oom)
            return NULL;
        size_t x = 0;
        for (size_t row = 0; row < u; row++) {
            if (sv)
                sv[row] = (char *)"";
            if (x < k->n && k->t[x] == times[row]) {
                bits[row / 8] |= (uint8_t)(1u << (row % 8));
                if (fv)
                    fv[row] = k->v[x].f;
                else if (iv)
                    iv[row] = k->v[x].i;
                else if (uv)
                    uv[row] = k->v[x].u;
                else if (sv)
                    sv[row] = (char *)k->v[x].s.p;
                else if (bv)
                    bv[row] = k->v[x].b;
                x++;
            }
        }
        sr->columns[sr->n_columns++] = c;
    }
    return sr;
}

int st_data_query(st_store *st, const Strata__Query *q, struct st_buf *out)
{
    Strata__DataResponse resp = STRATA__DATA_RESPONSE__INIT;
    Strata__QueryResponse qr = STRATA__QUERY_RESPONSE__INIT;
    Strata__Error err = STRATA__ERROR__INIT;
    char msg[512] = "";
    struct collect c = {0};
    struct allocs a = {0};
    int rv = ST_OK;
    err.message = msg;

    int raw = q->n_aggregates == 0 ||
              (q->n_aggregates == 1 && q->aggregates[0] == STRATA__AGGREGATE_KIND__RAW);
    if (!raw || q->source_case != STRATA__QUERY__SOURCE_MEASUREMENT || q->condition ||
        (q->field_condition && q->field_condition[0]) || q->n_group_by_tags || q->cursor.len) {
        err.code = STRATA__ERROR_CODE__UNIMPLEMENTED;
        snprintf(msg, sizeof(msg), "this data node answers raw queries of one measurement only");
        resp.error = &err;
        goto pack;
    }
    struct st_slice m = {q->measurement, (uint32_t)strlen(q->measurement)};
    struct st_slice *fields = NULL;
    if (q->n_fields) {
        fields = alloc(&a, q->n_fields * sizeof(*fields));
        for (size_t i = 0; fields && i < q->n_fields; i++)
            fields[i] = (struct st_slice){q->fields[i], (uint32_t)strlen(q->fields[i])};
    }
    uint64_t *missing = alloc(&a, (q->n_shard_ids + 1) * sizeof(*missing));
    if (a.oom) {
        rv = ST_ENOMEM;
        goto out;
    }
    qr.missing_shard_ids = missing;
    struct st_shard_read_cb cb = {on_series, on_field, on_value, &c};
    for (size_t i = 0; i < q->n_shard_ids; i++) {
        st_shard *s;
        char e[256];
        if (st_store_acquire(st, q->shard_ids[i], false, &s, e, sizeof(e)) != ST_OK) {
            missing[qr.n_missing_shard_ids++] = q->shard_ids[i];
            continue;
        }
        rv = st_shard_read_raw(s, m, fields, q->n_fields, q->min_ns, q->max_ns, &cb);
        st_store_release(st, s);
        if (rv != ST_OK) {
            err.code = STRATA__ERROR_CODE__INTERNAL;
            snprintf(msg, sizeof(msg), "shard %llu: read: %s", (unsigned long long)q->shard_ids[i],
                     st_strerror(rv));
            resp.error = &err;
            goto pack;
        }
    }
    qr.series = alloc(&a, (c.n + 1) * sizeof(*qr.series));
    for (size_t i = 0; qr.series && i < c.n; i++) {
        Strata__SeriesResult *sr = build_series(&c.series[i], &a);
        if (sr == NULL)
            break;
        qr.series[qr.n_series++] = sr;
    }
    if (a.oom) {
        rv = ST_ENOMEM;
        goto out;
    }
    resp.resp_case = STRATA__DATA_RESPONSE__RESP_QUERY;
    resp.query = &qr;
pack:;
    size_t n = strata__data_response__get_packed_size(&resp);
    if ((rv = st_buf_reserve(out, n)) == ST_OK) {
        strata__data_response__pack(&resp, (uint8_t *)out->p + out->len);
        out->len += n;
    }
out:
    collect_free(&c);
    allocs_free(&a);
    return rv;
}
