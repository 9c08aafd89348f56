/* A shard: the write path, WAL replay and raw reads.
 *
 * Write: parse the batch (canonical line protocol, ns timestamps) or decode
 * it (binary point records, common/ptbin.h: the router's parse), then under
 * the shard lock resolve each point: series key -> series id in the index,
 * each field's type checked (and recorded) in the index. Points that fail are
 * dropped with InfluxDB's message. The accepted lines go to the WAL as one
 * record, outside the lock, so that concurrent writers share a group commit;
 * once the record is durable the points are applied to the cache under the
 * lock again and the writer is answered. A crash before the WAL append loses
 * only unacknowledged points; after it, replay applies the record again.
 * The batch is parsed a chunk of points at a time, twice (to resolve, then
 * to apply): a writer's scratch memory stays at a chunk's size instead of
 * a whole batch's (~5 MB for 5,000 lines of 10 fields and 10 tags).
 *
 * Replay: at open, every WAL record is parsed (or decoded) and applied
 * exactly like a write, without the WAL append. A binary record that does
 * not decode passed its CRC, so it is damage the WAL cannot explain: the
 * replay fails with ST_ECORRUPT, as for a bad delete record. Applying
 * twice is harmless: the cache keeps one value per (series, field, time),
 * the last.
 *
 * Reads merge the sources oldest first, so newer values win at equal times:
 * segment files in sequence order, then the cache being flushed, then the
 * live cache. */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np: writers of the gate first */
#include "shard.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "ptbin.h"
#include "shard_int.h"

#define WAL_RECORD_LP 1  /* payload: canonical line protocol, ns timestamps */
#define WAL_RECORD_BIN 3 /* payload: binary point records (ptbin.h) */
#define WRITE_CHUNK 512  /* points parsed (or decoded) at a time */

/* Scratch state of one write or replayed record. */
struct batch_work {
    struct st_lp_batch b; /* the chunk being worked on */
    uint32_t *ids;        /* per point of the whole body: series id, 0 = dropped */
    size_t ids_cap;
    size_t npoints; /* points of the whole body resolved so far */
    size_t nerrors; /* lines of the whole body that did not parse */
    struct st_buf key, name, meas, payload, str;
    struct st_shard_write_result *res;
    const struct st_lp_point *schema_ok; /* last point whose fields passed the index */
    bool bin;                            /* b came from binary records, not text */
};

static void work_init(struct batch_work *w, struct st_shard_write_result *res)
{
    memset(w, 0, sizeof(*w));
    st_lp_batch_init(&w->b);
    st_buf_init(&w->key);
    st_buf_init(&w->name);
    st_buf_init(&w->meas);
    st_buf_init(&w->payload);
    st_buf_init(&w->str);
    w->res = res;
}

static void work_fini(struct batch_work *w)
{
    st_lp_batch_fini(&w->b);
    free(w->ids);
    st_buf_fini(&w->key);
    st_buf_fini(&w->name);
    st_buf_fini(&w->meas);
    st_buf_fini(&w->payload);
    st_buf_fini(&w->str);
}

/* The unescaped form of @s: @s itself when it has no backslash, else a copy
 * in @scratch (valid until the scratch is reused). */
static struct st_slice unescaped(struct st_slice s, enum st_lp_kind kind, struct st_buf *scratch)
{
    if (!memchr(s.p, '\\', s.len))
        return s;
    st_buf_reset(scratch);
    if (st_lp_unescape(scratch, s, kind) != ST_OK)
        return s; /* UNTESTED: out of memory: keep the escaped name */
    struct st_slice u = {scratch->p, (uint32_t)scratch->len};
    return u;
}

static int slice_is(struct st_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* Adds @msg to the result's errors unless an equal line is there already. */
static void add_error(struct st_shard_write_result *res, const char *msg)
{
    if (res == NULL)
        return;
    size_t n = strlen(msg);
    const char *p = res->errors.p;
    for (size_t off = 0; p && off < res->errors.len;) {
        const char *nl = memchr(p + off, '\n', res->errors.len - off);
        size_t len = nl ? (size_t)(nl - (p + off)) : res->errors.len - off;
        if (len == n && memcmp(p + off, msg, n) == 0)
            return;
        off += len + 1;
    }
    if (res->errors.len)
        st_buf_putc(&res->errors, '\n');
    st_buf_puts(&res->errors, msg);
}

/* Resolves one point under the lock: 0 when dropped, else its series id. */
static uint32_t prepare_point(st_shard *s, struct batch_work *w, const struct st_lp_point *pt)
{
    const struct st_lp_batch *b = &w->b;
    char msg[1024];
    st_buf_reset(&w->meas);
    struct st_slice m = unescaped(pt->measurement, ST_LP_MEASUREMENT, &w->meas);

    if (pt->time == INT64_MIN) {
        add_error(w->res, "missing timestamp: the data node wants one on every line");
        return 0;
    }
    for (uint32_t k = 0; k < pt->ntags; k++) {
        if (slice_is(b->tags[pt->tag0 + k].key, "time")) {
            snprintf(msg, sizeof(msg),
                     "invalid tag key: input tag \"time\" on measurement \"%.*s\" is invalid",
                     (int)m.len, m.p);
            add_error(w->res, msg);
            return 0;
        }
    }
    /* Telemetry batches repeat one schema line after line: a point with
     * the measurement and the field names and types of the last point that
     * passed needs no index lookups for its fields. */
    const struct st_lp_point *prev = w->schema_ok;
    int same = prev && prev->nfields == pt->nfields &&
               prev->measurement.len == pt->measurement.len &&
               memcmp(prev->measurement.p, pt->measurement.p, pt->measurement.len) == 0;
    for (uint32_t k = 0; same && k < pt->nfields; k++) {
        const struct st_lp_field *a = &b->fields[prev->field0 + k], *c = &b->fields[pt->field0 + k];
        same = a->type == c->type && a->key.len == c->key.len &&
               memcmp(a->key.p, c->key.p, a->key.len) == 0;
    }
    uint32_t nreal = same ? 1 : 0;
    for (uint32_t k = 0; !same && k < pt->nfields; k++) {
        const struct st_lp_field *f = &b->fields[pt->field0 + k];
        struct st_slice name = unescaped(f->key, ST_LP_FIELD_KEY, &w->name);
        if (slice_is(name, "time"))
            continue; /* InfluxDB drops a field named time */
        nreal++;
        enum st_field_type existing;
        int rv = st_index_field(s->idx, m, name, f->type, &existing);
        if (rv == ST_ETYPE) {
            st_buf_reset(&w->str);
            if (st_index_field_conflict(&w->str, m, name, f->type, existing) == ST_OK)
                add_error(w->res, w->str.p);
            return 0;
        }
        if (rv != ST_OK) {
            add_error(w->res, st_strerror(rv));
            return 0;
        }
    }
    if (nreal == 0) {
        snprintf(msg, sizeof(msg),
                 "invalid field name: input field \"time\" on measurement \"%.*s\" is invalid",
                 (int)m.len, m.p);
        add_error(w->res, msg);
        return 0;
    }
    w->schema_ok = pt;
    /* A binary record carries the canonical key the router hashed. */
    struct st_slice key;
    if (w->bin) {
        key = st_ptbin_series_key(pt);
    } else {
        st_buf_reset(&w->key);
        if (st_lp_series_key(&w->key, b, pt) != ST_OK)
            return 0;
        key.p = w->key.p;
        key.len = (uint32_t)w->key.len;
    }
    uint32_t id;
    bool created;
    if (st_index_series_id(s->idx, key.p, key.len, &id, &created) != ST_OK) {
        add_error(w->res, "cannot create series");
        return 0;
    }
    return id;
}

/* The next chunk of @data from @cur into w->b: at most WRITE_CHUNK points,
 * so that a writer's scratch arrays stay small whatever the batch's size
 * (whole 5,000-line batches took ~5 MB per writer). */
static int next_chunk(struct batch_work *w, const char *data, size_t len, struct st_lp_cursor *cur)
{
    st_lp_batch_reset(&w->b);
    if (w->bin)
        return st_ptbin_decode_some(&w->b, data, len, cur, WRITE_CHUNK, NULL);
    /* INT64_MIN as "now" marks lines without a timestamp (it is outside the
     * valid range, so no written timestamp can equal it). */
    return st_lp_parse_some(&w->b, data, len, ST_PRECISION_NS, INT64_MIN, cur, WRITE_CHUNK);
}

/* Parses @data (line protocol, or binary records when @bin) a chunk at a
 * time and resolves every point (under the lock) into w->ids. A binary
 * batch is all or nothing: one bad record refuses it (ST_ECORRUPT), as it
 * cannot come from a router, and it is checked whole before any series is
 * created. */
static int prepare(st_shard *s, struct batch_work *w, bool bin, const char *data, size_t len)
{
    w->bin = bin;
    w->npoints = 0;
    w->nerrors = 0;
    int rv = ST_OK;
    struct st_lp_cursor cur = {0, 1};
    while (bin && rv == ST_OK && cur.pos < len)
        rv = next_chunk(w, data, len, &cur);
    cur = (struct st_lp_cursor){0, 1};
    while (rv == ST_OK && cur.pos < len) {
        if ((rv = next_chunk(w, data, len, &cur)) != ST_OK)
            break;
        for (size_t e = 0; e < w->b.nerrors; e++) {
            struct st_slice t = st_lp_error_text(&w->b, e);
            char msg[1024];
            snprintf(msg, sizeof(msg), "%.*s", (int)t.len, t.p);
            add_error(w->res, msg);
        }
        w->nerrors += w->b.nerrors;
        size_t need = w->npoints + w->b.npoints;
        if (need > w->ids_cap &&
            st_array_grow((void **)&w->ids, &w->ids_cap, need, sizeof(*w->ids)) != ST_OK) {
            rv = ST_ENOMEM;
            break;
        }
        /* schema_ok points into this chunk's arrays. */
        w->schema_ok = NULL;
        pthread_mutex_lock(&s->mu);
        for (size_t p = 0; p < w->b.npoints; p++)
            w->ids[w->npoints + p] = prepare_point(s, w, &w->b.points[p]);
        pthread_mutex_unlock(&s->mu);
        w->npoints = need;
    }
    return rv;
}

/* Applies the accepted points of the chunk in w->b, whose first point is
 * the body's point @first, to the cache (under the lock). */
static int apply_chunk(st_shard *s, struct batch_work *w, size_t first)
{
    int rv = ST_OK;
    const uint32_t *ids = w->ids + first;
    pthread_mutex_lock(&s->mu);
    for (size_t p = 0; p < w->b.npoints && rv == ST_OK; p++) {
        if (ids[p] == 0)
            continue;
        const struct st_lp_point *pt = &w->b.points[p];
        for (uint32_t k = 0; k < pt->nfields && rv == ST_OK; k++) {
            const struct st_lp_field *f = &w->b.fields[pt->field0 + k];
            struct st_slice name = unescaped(f->key, ST_LP_FIELD_KEY, &w->name);
            if (slice_is(name, "time"))
                continue;
            union st_value v;
            switch (f->type) {
            case ST_FIELD_FLOAT:
                v.f = f->v.f;
                break;
            case ST_FIELD_INTEGER:
                v.i = f->v.i;
                break;
            case ST_FIELD_UNSIGNED:
                v.u = f->v.u;
                break;
            case ST_FIELD_BOOLEAN:
                v.b = f->v.b;
                break;
            case ST_FIELD_STRING:
                st_buf_reset(&w->str);
                if (st_lp_unescape(&w->str, f->v.s, ST_LP_STRING) != ST_OK) {
                    rv = ST_ENOMEM;
                    continue;
                }
                v.s.p = w->str.p ? w->str.p : "";
                v.s.len = (uint32_t)w->str.len;
                break;
            }
            rv = st_cache_put(s->cache, ids[p], name, f->type, pt->time, &v);
        }
    }
    if (s->flusher_started && st_cache_bytes(s->cache) > s->opts.cache_max_bytes &&
        !s->flush_wanted) {
        s->flush_wanted = 1;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->mu);
    return rv;
}

/* Applies the accepted points of @data, resolved by prepare(), a chunk at
 * a time: the body is parsed (or decoded) again, which costs less than
 * keeping every point's arrays. */
static int apply(st_shard *s, struct batch_work *w, const char *data, size_t len)
{
    int rv = ST_OK;
    size_t first = 0;
    struct st_lp_cursor cur = {0, 1};
    while (rv == ST_OK && cur.pos < len) {
        if ((rv = next_chunk(w, data, len, &cur)) != ST_OK)
            break;
        if (first + w->b.npoints > w->npoints)
            return ST_ECORRUPT; /* UNTESTED: parsing is deterministic */
        rv = apply_chunk(s, w, first);
        first += w->b.npoints;
    }
    return rv;
}

/* The accepted lines (or records) of @data, resolved by prepare(), into
 * w->payload: what the WAL keeps when some points were dropped. */
static int accepted_payload(struct batch_work *w, const char *data, size_t len)
{
    st_buf_reset(&w->payload);
    size_t first = 0;
    struct st_lp_cursor cur = {0, 1};
    while (cur.pos < len) {
        int rv = next_chunk(w, data, len, &cur);
        if (rv != ST_OK)
            return rv;
        for (size_t p = 0; p < w->b.npoints && first + p < w->npoints; p++) {
            if (w->ids[first + p] == 0)
                continue;
            const struct st_slice line = w->b.points[p].line;
            if (st_buf_append(&w->payload, line.p, line.len) != ST_OK ||
                (!w->bin && st_buf_putc(&w->payload, '\n') != ST_OK))
                return ST_ENOMEM;
        }
        first += w->b.npoints;
    }
    return ST_OK;
}

/* Memory stays bounded: while a flush runs and the live cache has grown
 * past its limit again, writers wait for the flush to finish. */
static void wait_for_room(st_shard *s)
{
    pthread_mutex_lock(&s->mu);
    while (s->flusher_started && !s->stopping && s->flushing &&
           st_cache_bytes(s->cache) > s->opts.cache_max_bytes && s->bg_error[0] == '\0')
        pthread_cond_wait(&s->changed, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

static int replay_record(uint8_t type, const uint8_t *payload, size_t len, void *arg)
{
    st_shard *s = arg;
    if (type == WAL_RECORD_DELETE)
        return st_shard_replay_delete(s, payload, len);
    if (type != WAL_RECORD_LP && type != WAL_RECORD_BIN)
        return ST_OK; /* UNTESTED: records of a newer version are skipped */
    struct batch_work w;
    work_init(&w, NULL);
    int rv = prepare(s, &w, type == WAL_RECORD_BIN, (const char *)payload, len);
    if (rv == ST_OK)
        rv = apply(s, &w, (const char *)payload, len);
    work_fini(&w);
    return rv;
}

/* Writers borrow scratch state from a small pool so that its arrays, once
 * grown, are reused: fresh large allocations cost page faults per batch. */
static struct batch_work *work_get(st_shard *s, struct st_shard_write_result *res)
{
    struct batch_work *w = NULL;
    pthread_mutex_lock(&s->mu);
    if (s->npool > 0)
        w = s->pool[--s->npool];
    pthread_mutex_unlock(&s->mu);
    if (w == NULL) {
        w = malloc(sizeof(*w));
        if (w == NULL)
            return NULL;
        work_init(w, res);
    }
    st_lp_batch_reset(&w->b);
    w->res = res;
    return w;
}

static void work_put(st_shard *s, struct batch_work *w)
{
    pthread_mutex_lock(&s->mu);
    if (s->npool < ST_SHARD_POOL) {
        s->pool[s->npool++] = w;
        w = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (w) {
        work_fini(w);
        free(w);
    }
}

static int write_points(st_shard *s, bool bin, const char *data, size_t len,
                        struct st_shard_write_result *res)
{
    struct batch_work *wp = work_get(s, res);
    if (wp == NULL)
        return ST_ENOMEM;
    wait_for_room(s);
    int rv = prepare(s, wp, bin, data, len);
    if (rv != ST_OK)
        goto out;
    /* The WAL record holds the accepted points; the whole body when all
     * were. A point's `line` is its line (without the newline) or its whole
     * binary record, and records concatenate as they are. */
    size_t accepted = 0;
    for (size_t p = 0; p < wp->npoints; p++)
        accepted += wp->ids[p] != 0;
    res->dropped += wp->npoints - accepted + wp->nerrors;
    if (accepted == 0)
        goto out;
    const char *rec = data;
    size_t rec_len = len;
    if (accepted != wp->npoints || wp->nerrors) {
        if ((rv = accepted_payload(wp, data, len)) != ST_OK)
            goto out;
        rec = wp->payload.p;
        rec_len = wp->payload.len;
    }
    /* The gate keeps a flush from rotating the WAL and swapping the cache
     * between this append and its apply: the record and its values always
     * land on the same side of a flush. Writers share it, so group commit
     * still gathers them. */
    pthread_rwlock_rdlock(&s->gate);
    rv = st_wal_append(s->wal, bin ? WAL_RECORD_BIN : WAL_RECORD_LP, rec, rec_len);
    if (rv == ST_OK)
        rv = apply(s, wp, data, len);
    pthread_rwlock_unlock(&s->gate);
    if (rv == ST_OK)
        res->written += accepted;
out:
    work_put(s, wp);
    return rv;
}

int st_shard_write(st_shard *s, const char *lp, size_t len, struct st_shard_write_result *res)
{
    return write_points(s, false, lp, len, res);
}

int st_shard_write_bin(st_shard *s, const char *bin, size_t len, struct st_shard_write_result *res)
{
    return write_points(s, true, bin, len, res);
}

int st_shard_open(const char *dir, uint64_t id, const struct st_shard_opts *opts, st_shard **out,
                  char *err, size_t errlen)
{
    int rv;
    st_shard *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ST_ENOMEM;
    s->id = id;
    s->opts = *opts;
    if (s->opts.cache_max_bytes == 0)
        s->opts.cache_max_bytes = 32u << 20;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->bg_mu, NULL);
    pthread_cond_init(&s->changed, NULL);
    pthread_rwlockattr_t ga;
    pthread_rwlockattr_init(&ga);
    pthread_rwlockattr_setkind_np(&ga, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->gate, &ga);
    pthread_rwlockattr_destroy(&ga);
    s->dir = strdup(dir);
    if (s->dir == NULL) {
        rv = ST_ENOMEM;
        goto err_after_alloc;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        rv = st_from_errno(errno);
        snprintf(err, errlen, "shard %llu: mkdir %s: %s", (unsigned long long)id, dir,
                 strerror(errno));
        goto err_after_alloc;
    }
    if ((rv = st_cache_open(&s->cache)) != ST_OK)
        goto err_after_alloc;
    if ((rv = st_index_open(dir, &s->idx, err, errlen)) != ST_OK)
        goto err_after_alloc;
    if ((rv = st_shard_segments_load(s, err, errlen)) != ST_OK)
        goto err_after_alloc;
    if ((rv = st_shard_tombs_load(s, err, errlen)) != ST_OK)
        goto err_after_alloc;
    char waldir[4096];
    snprintf(waldir, sizeof(waldir), "%s/wal", dir);
    struct st_wal_replay_report report;
    rv = st_wal_replay(waldir, replay_record, s, &report);
    if (rv != ST_OK) {
        snprintf(err, errlen, "shard %llu: WAL replay: %s", (unsigned long long)id,
                 report.message[0] ? report.message : st_strerror(rv));
        goto err_after_alloc;
    }
    struct st_wal_opts wo = {0};
    if (opts->sync_interval_ms > 0) {
        wo.sync_mode = ST_WAL_SYNC_INTERVAL;
        wo.sync_interval_ms = opts->sync_interval_ms;
    }
    if ((rv = st_wal_open(waldir, &wo, &s->wal)) != ST_OK) {
        snprintf(err, errlen, "shard %llu: WAL open: %s", (unsigned long long)id, st_strerror(rv));
        goto err_after_alloc;
    }
    if (pthread_create(&s->flusher, NULL, st_shard_flusher_main, s) != 0) {
        snprintf(err, errlen, "shard %llu: cannot start the flusher", (unsigned long long)id);
        rv = ST_ENOMEM;
        goto err_after_alloc;
    }
    s->flusher_started = 1;
    /* A replay may have filled the cache past its limit, or a crash may
     * have left segments waiting for compaction: wake the flusher. */
    if (st_cache_bytes(s->cache) > s->opts.cache_max_bytes || s->nsegs >= 4) {
        pthread_mutex_lock(&s->mu);
        s->flush_wanted = 1;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->mu);
    }
    *out = s;
    return ST_OK;

err_after_alloc:
    st_wal_close(s->wal);
    st_shard_segments_close(s);
    st_index_close(s->idx);
    st_cache_close(s->cache);
    pthread_cond_destroy(&s->changed);
    pthread_rwlock_destroy(&s->gate);
    pthread_mutex_destroy(&s->bg_mu);
    pthread_mutex_destroy(&s->mu);
    free(s->tombs);
    free(s->dir);
    free(s);
    return rv;
}

void st_shard_close(st_shard *s)
{
    if (s == NULL)
        return;
    if (s->flusher_started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->flusher, NULL);
    }
    st_wal_close(s->wal);
    st_shard_segments_close(s);
    st_index_close(s->idx);
    st_cache_close(s->cache);
    st_cache_close(s->flushing);
    for (size_t i = 0; i < s->npool; i++) {
        work_fini(s->pool[i]);
        free(s->pool[i]);
    }
    pthread_cond_destroy(&s->changed);
    pthread_rwlock_destroy(&s->gate);
    pthread_mutex_destroy(&s->bg_mu);
    pthread_mutex_destroy(&s->mu);
    free(s->tombs);
    free(s->dir);
    free(s);
}

void st_shard_stats(st_shard *s, struct st_shard_stats *out)
{
    pthread_mutex_lock(&s->mu);
    out->segments = s->nsegs;
    out->cache_bytes = st_cache_bytes(s->cache);
    out->cache_values = st_cache_values(s->cache);
    out->flushing = s->flushing != NULL;
    snprintf(out->bg_error, sizeof(out->bg_error), "%s", s->bg_error);
    pthread_mutex_unlock(&s->mu);
}

uint64_t st_shard_id(const st_shard *s)
{
    return s->id;
}

const char *st_shard_dir(const st_shard *s)
{
    return s->dir;
}

struct field_list {
    struct st_slice names[256];
    enum st_field_type types[256];
    size_t n;
};

static int list_field(void *arg, struct st_slice name, enum st_field_type type)
{
    struct field_list *fl = arg;
    if (fl->n < 256) {
        fl->names[fl->n] = name;
        fl->types[fl->n++] = type;
    }
    return ST_OK;
}

struct key_order {
    uint32_t id;
    struct st_slice key;
};

static int key_cmp(const void *a, const void *b)
{
    const struct key_order *x = a, *y = b;
    uint32_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.p, y->key.p, n);
    if (c)
        return c;
    return (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

/* Turns the runs of a scan into st_shard_read_cb calls. */
struct raw_scan {
    const struct st_shard_read_cb *cb;
    struct st_slice key, field;
    int announced, field_announced;
};

static int raw_values(void *arg, const struct st_scan_run *run)
{
    struct raw_scan *r = arg;
    int rv = ST_OK;
    if (!r->announced && (rv = r->cb->series(r->cb->arg, r->key)) != ST_OK)
        return rv;
    r->announced = 1;
    if (!r->field_announced && (rv = r->cb->field(r->cb->arg, r->field, run->type)) != ST_OK)
        return rv;
    r->field_announced = 1;
    for (size_t i = 0; i < run->n && rv == ST_OK; i++) {
        struct st_point_value pv = {.t = run->t[i], .type = run->type};
        switch (run->type) {
        case ST_FIELD_FLOAT:
            pv.v.f = run->v.f[i];
            break;
        case ST_FIELD_INTEGER:
            pv.v.i = run->v.i[i];
            break;
        case ST_FIELD_UNSIGNED:
            pv.v.u = run->v.u[i];
            break;
        case ST_FIELD_BOOLEAN:
            pv.v.b = run->v.b[i];
            break;
        case ST_FIELD_STRING:
            pv.v.s = run->v.s[i];
            break;
        }
        rv = r->cb->value(r->cb->arg, &pv);
    }
    return rv;
}

struct st_index *st_shard_index(st_shard *s)
{
    return s->idx;
}

int st_shard_read_raw(st_shard *s, struct st_slice measurement, const struct st_slice *fields,
                      size_t nfields, int64_t tmin, int64_t tmax, const struct st_shard_read_cb *cb)
{
    int rv = ST_OK;
    struct key_order *order = NULL;
    struct field_list fl = {.n = 0};
    st_shard_reader *rd = NULL;
    pthread_mutex_lock(&s->mu);
    st_index_read_begin(s->idx);
    const uint32_t *ids;
    size_t nids;
    if (st_index_measurement_series(s->idx, measurement, &ids, &nids) != ST_OK || nids == 0)
        goto out;
    if (nfields == 0) {
        st_index_fields(s->idx, measurement, list_field, &fl);
    } else {
        for (size_t k = 0; k < nfields && fl.n < 256; k++) {
            enum st_field_type t;
            if (st_index_field_type(s->idx, measurement, fields[k], &t) == ST_OK) {
                fl.names[fl.n] = fields[k];
                fl.types[fl.n++] = t;
            }
        }
    }
    order = malloc(nids * sizeof(*order));
    if (order == NULL) {
        rv = ST_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nids; i++) {
        order[i].id = ids[i];
        order[i].key = st_index_series_key(s->idx, ids[i]);
    }
    qsort(order, nids, sizeof(*order), key_cmp);
    if ((rv = st_shard_reader_open(&rd)) != ST_OK)
        goto out;
    struct st_shard_scan_cb scb = {.values = raw_values};
    for (size_t i = 0; i < nids && rv == ST_OK; i++) {
        struct raw_scan r = {.cb = cb, .key = order[i].key};
        scb.arg = &r;
        for (size_t k = 0; k < fl.n && rv == ST_OK; k++) {
            r.field = fl.names[k];
            r.field_announced = 0;
            rv = st_shard_scan(s, rd, order[i].id, fl.names[k], fl.types[k], tmin, tmax, &scb);
        }
    }
out:
    st_index_read_end(s->idx);
    pthread_mutex_unlock(&s->mu);
    st_shard_reader_close(rd);
    free(order);
    return rv;
}
