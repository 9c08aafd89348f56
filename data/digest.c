/* The ShardDigest call: compare replicas by their logical content.
 *
 * Every value of the shard in the range is hashed with what identifies it
 * (series key, field name, type, time, value) and the hashes of a time slice
 * are added up modulo 2^64. The sum does not depend on the order of values,
 * on series ids (which differ between replicas), on how the data is split
 * into files, or on compaction; two replicas with the same points give the
 * same digests, and a missing, extra or different value changes its slice's
 * digest (unless hashes collide, 2^-64). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "data.pb-c.h"
#include "digest.h"
#include "err.h"
#include "index.h"

#define MAX_SLICES (1u << 20)

struct dfield {
    size_t off; /* name: offset in collect.names */
    uint32_t len;
    enum st_field_type type;
};

struct dseries {
    uint32_t id;
    struct st_slice key;    /* owned by the index */
    size_t field0, nfields; /* its measurement's fields: collect.fields[field0 ..] */
};

struct dslice {
    uint64_t count, sum;
};

struct digest {
    int64_t lo, hi, width; /* range; slice width (0 = one slice) */
    __int128 base;         /* start of the first slice: lo rounded down to the width */
    struct dslice *slices; /* by slice index from lo's slice */
    size_t nslices;
    uint64_t seed; /* hash of (series key, field, type) */
    uint64_t values;
};

/* Slice index of @t relative to the first slice. */
static size_t slice_of(const struct digest *d, int64_t t)
{
    if (d->width <= 0)
        return 0;
    return (size_t)(((__int128)t - d->base) / d->width);
}

static int on_values(void *arg, const struct st_scan_run *run)
{
    struct digest *d = arg;
    for (size_t i = 0; i < run->n; i++) {
        uint64_t h, t = (uint64_t)run->t[i];
        if (run->type == ST_FIELD_STRING) {
            h = XXH3_64bits_withSeed(run->v.s[i].p, run->v.s[i].len, d->seed ^ t);
        } else {
            uint64_t w[2] = {t, 0};
            switch (run->type) {
            case ST_FIELD_FLOAT:
                memcpy(&w[1], &run->v.f[i], 8);
                break;
            case ST_FIELD_INTEGER:
                w[1] = (uint64_t)run->v.i[i];
                break;
            case ST_FIELD_UNSIGNED:
                w[1] = run->v.u[i];
                break;
            default:
                w[1] = run->v.b[i];
                break;
            }
            h = XXH3_64bits_withSeed(w, sizeof(w), d->seed);
        }
        struct dslice *s = &d->slices[slice_of(d, run->t[i])];
        s->count++;
        s->sum += h;
    }
    d->values += run->n;
    return ST_OK;
}

struct collect {
    st_index *idx;
    struct dseries *v;
    size_t n, cap;
    struct dfield *fields; /* of every measurement, one after the other */
    size_t nfields, fcap;
    struct st_buf names;
};

static int on_field(void *arg, struct st_slice name, enum st_field_type type)
{
    struct collect *c = arg;
    if (c->nfields == c->fcap) {
        size_t cap = c->fcap ? c->fcap * 2 : 16;
        struct dfield *p = realloc(c->fields, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        c->fields = p;
        c->fcap = cap;
    }
    c->fields[c->nfields++] = (struct dfield){c->names.len, name.len, type};
    return st_buf_append(&c->names, name.p, name.len);
}

/* Each measurement: its fields, then its series. */
static int on_measurement(void *arg, struct st_slice m)
{
    struct collect *c = arg;
    size_t field0 = c->nfields;
    int rv = st_index_fields(c->idx, m, on_field, c);
    const uint32_t *ids;
    size_t n = 0;
    if (rv == ST_OK)
        rv = st_index_measurement_series(c->idx, m, &ids, &n);
    for (size_t i = 0; rv == ST_OK && i < n; i++) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 64;
            struct dseries *p = realloc(c->v, cap * sizeof(*p));
            if (p == NULL)
                return ST_ENOMEM;
            c->v = p;
            c->cap = cap;
        }
        c->v[c->n++] = (struct dseries){ids[i], st_index_series_key(c->idx, ids[i]), field0,
                                        c->nfields - field0};
    }
    return rv;
}

static uint64_t dir_bytes(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    uint64_t total = 0;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        if (stat(p, &sb) == 0)
            total += S_ISDIR(sb.st_mode) ? dir_bytes(p) : (uint64_t)sb.st_blocks * 512;
    }
    closedir(d);
    return total;
}

int st_shard_digest(st_shard *s, int64_t lo, int64_t hi, int64_t width, struct st_shard_digest *out,
                    char *err, size_t errlen)
{
    struct digest d = {.lo = lo, .hi = hi, .width = width};
    struct collect c = {.idx = st_shard_index(s)};
    st_buf_init(&c.names);
    st_shard_reader *rd = NULL;
    int rv = ST_OK;
    memset(out, 0, sizeof(*out));
    if (lo > hi || width < 0)
        return st_errf(err, errlen, ST_EINVAL, "bad digest range or slice width");
    __int128 ns = 1;
    d.base = lo;
    if (width > 0) { /* slices aligned to the epoch: floor(lo / width) * width */
        __int128 q = (__int128)lo / width;
        if ((__int128)lo % width < 0)
            q--;
        d.base = q * width;
        ns = ((__int128)hi - d.base) / width + 1;
    }
    if (ns > MAX_SLICES)
        return st_errf(err, errlen, ST_ERANGE, "%lld slices: more than %u",
                       (long long)(ns > INT64_MAX ? INT64_MAX : (int64_t)ns), MAX_SLICES);
    d.nslices = (size_t)ns;
    d.slices = calloc(d.nslices, sizeof(*d.slices));
    if (d.slices == NULL)
        return ST_ENOMEM;
    st_index_read_begin(c.idx);
    rv = st_index_measurements(c.idx, on_measurement, &c);
    struct st_index_stats is;
    st_index_stats(c.idx, &is);
    st_index_read_end(c.idx);
    if (rv == ST_OK)
        rv = st_shard_reader_open(&rd);
    struct st_shard_scan_cb cb = {.values = on_values, .arg = &d};
    for (size_t i = 0; i < c.n && rv == ST_OK; i++) {
        const struct dseries *x = &c.v[i];
        st_shard_read_lock(s);
        for (size_t f = x->field0; f < x->field0 + x->nfields && rv == ST_OK; f++) {
            struct st_slice name = {c.names.p + c.fields[f].off, c.fields[f].len};
            uint8_t t = (uint8_t)c.fields[f].type;
            d.seed = XXH3_64bits(x->key.p, x->key.len);
            d.seed = XXH3_64bits_withSeed(name.p, name.len, d.seed);
            d.seed = XXH3_64bits_withSeed(&t, 1, d.seed);
            rv = st_shard_scan(s, rd, x->id, name, c.fields[f].type, lo, hi, &cb);
            if (rv != ST_OK && st_shard_reader_error(rd)[0])
                st_errf(err, errlen, rv, "%s", st_shard_reader_error(rd));
        }
        st_shard_read_unlock(s);
    }
    if (rv == ST_OK) {
        out->slices = malloc(d.nslices * sizeof(*out->slices));
        if (out->slices == NULL)
            rv = ST_ENOMEM;
    }
    if (rv == ST_OK) {
        for (size_t i = 0; i < d.nslices; i++) {
            struct st_digest_slice *o = &out->slices[i];
            __int128 start = width > 0 ? d.base + (__int128)i * width : lo;
            __int128 end = width > 0 ? start + width : (__int128)hi + 1;
            o->start = start < INT64_MIN ? INT64_MIN : (int64_t)start;
            o->end = end > INT64_MAX ? INT64_MAX : (int64_t)end;
            o->count = d.slices[i].count;
            o->digest = d.slices[i].sum;
        }
        out->nslices = d.nslices;
        out->values = d.values;
        out->series = is.series;
        out->size_bytes = dir_bytes(st_shard_dir(s));
    }
    free(c.fields);
    st_buf_fini(&c.names);
    free(c.v);
    free(d.slices);
    st_shard_reader_close(rd);
    return rv;
}

int st_data_digest(st_store *st, const Strata__ShardDigest *q, struct st_buf *out)
{
    Strata__DataResponse resp = STRATA__DATA_RESPONSE__INIT;
    Strata__ShardDigestResponse dr = STRATA__SHARD_DIGEST_RESPONSE__INIT;
    Strata__Error e = STRATA__ERROR__INIT;
    char msg[512] = "";
    struct st_shard_digest d = {0};
    Strata__DigestSlice *slices = NULL, **ptrs = NULL;
    st_shard *s = NULL;
    e.message = msg;
    int64_t lo = q->time_range ? q->time_range->min_ns : INT64_MIN;
    int64_t hi = q->time_range ? q->time_range->max_ns : INT64_MAX;
    int rv = st_store_acquire(st, q->shard_id, false, &s, msg, sizeof(msg));
    if (rv != ST_OK) {
        e.code = STRATA__ERROR_CODE__NOT_FOUND;
        snprintf(msg, sizeof(msg), "shard %llu: not found", (unsigned long long)q->shard_id);
        goto fail;
    }
    if (q->slice_ns > 0 && q->time_range == NULL) {
        e.code = STRATA__ERROR_CODE__INVALID_ARGUMENT;
        snprintf(msg, sizeof(msg), "slice_ns needs a time_range");
        goto fail;
    }
    rv = st_shard_digest(s, lo, hi, q->slice_ns, &d, msg, sizeof(msg));
    if (rv != ST_OK) {
        e.code = rv == ST_ENOMEM     ? STRATA__ERROR_CODE__OUT_OF_MEMORY
                 : rv == ST_EINVAL   ? STRATA__ERROR_CODE__INVALID_ARGUMENT
                 : rv == ST_ERANGE   ? STRATA__ERROR_CODE__TOO_LARGE
                 : rv == ST_ECORRUPT ? STRATA__ERROR_CODE__CORRUPT
                                     : STRATA__ERROR_CODE__IO_ERROR;
        if (!msg[0])
            snprintf(msg, sizeof(msg), "%s", st_strerror(rv));
        goto fail;
    }
    slices = calloc(d.nslices + 1, sizeof(*slices));
    ptrs = calloc(d.nslices + 1, sizeof(*ptrs));
    if (slices == NULL || ptrs == NULL) {
        e.code = STRATA__ERROR_CODE__OUT_OF_MEMORY;
        snprintf(msg, sizeof(msg), "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < d.nslices; i++) {
        strata__digest_slice__init(&slices[i]);
        slices[i].start_ns = d.slices[i].start;
        slices[i].end_ns = d.slices[i].end;
        slices[i].value_count = d.slices[i].count;
        slices[i].digest = d.slices[i].digest;
        ptrs[i] = &slices[i];
    }
    dr.size_bytes = d.size_bytes;
    dr.series_count = d.series;
    dr.value_count = d.values;
    dr.slices = ptrs;
    dr.n_slices = d.nslices;
    resp.resp_case = STRATA__DATA_RESPONSE__RESP_SHARD_DIGEST;
    resp.shard_digest = &dr;
    goto pack;
fail:
    resp.error = &e;
pack:;
    size_t n = strata__data_response__get_packed_size(&resp);
    rv = st_buf_reserve(out, n);
    if (rv == ST_OK) {
        strata__data_response__pack(&resp, (uint8_t *)out->p + out->len);
        out->len += n;
    }
    if (s)
        st_store_release(st, s);
    free(d.slices);
    free(slices);
    free(ptrs);
    return rv;
}
