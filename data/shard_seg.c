/* A shard's segment files: flush, compaction and reads.
 *
 * Flush. When the live cache passes its size limit the flusher thread swaps
 * it for an empty one (under the lock) and rotates the WAL, so that every
 * record of the swapped cache lies in WAL segments older than the rotation
 * point. It sorts the swapped cache, writes it as segment (seq, 0) outside
 * the lock, syncs the index (segments refer to series ids), publishes the
 * file atomically, then installs it and drops the swapped cache under the
 * lock, and only then removes the WAL segments before the rotation point.
 * A crash before publishing leaves the WAL complete; after it, replay puts
 * the same values in the cache again, which is harmless (equal values).
 *
 * Compaction. With ST_SHARD_COMPACT_AT segments or more, the flusher merges
 * them all into one, named after the newest input with gen + 1: inputs and
 * output cover the same data, and a segment flushed meanwhile keeps a higher
 * seq, so precedence is preserved. Inputs are deleted after the output is
 * published; a crash in between leaves duplicates of equal values.
 *
 * Reads take values oldest first into a scratch cache, whose last-write-wins
 * sort then gives each time its newest value. */
#define _GNU_SOURCE /* dirfd */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "err.h"
#include "shard_int.h"

#define ST_SHARD_COMPACT_AT 4

static void seg_path(const st_shard *s, uint64_t seq, uint32_t gen, char *out, size_t len)
{
    snprintf(out, len, "%s/seg-%016" PRIx64 "-%08" PRIx32 ".tsm", s->dir, seq, gen);
}

static size_t seg_nkeys(const st_segment *r)
{
    struct st_segment_info in;
    st_segment_info(r, &in);
    return in.nkeys;
}

static int seg_cmp(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return (x->gen > y->gen) - (x->gen < y->gen);
}

static int add_seg(st_shard *s, uint64_t seq, uint32_t gen, st_segment *r)
{
    if (s->nsegs == s->segs_cap) {
        size_t cap = s->segs_cap ? s->segs_cap * 2 : 8;
        struct seg *p = realloc(s->segs, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        s->segs = p;
        s->segs_cap = cap;
    }
    s->segs[s->nsegs++] = (struct seg){seq, gen, r};
    qsort(s->segs, s->nsegs, sizeof(*s->segs), seg_cmp);
    if (seq >= s->next_seq)
        s->next_seq = seq + 1;
    return ST_OK;
}

int st_shard_segments_load(st_shard *s, char *err, size_t errlen)
{
    DIR *d = opendir(s->dir);
    if (d == NULL) {
        snprintf(err, errlen, "shard %" PRIu64 ": %s: %s", s->id, s->dir, strerror(errno));
        return st_from_errno(errno);
    }
    int rv = ST_OK;
    struct dirent *de;
    char path[4096];
    while (rv == ST_OK && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 4 && strcmp(de->d_name + n - 4, ".tmp") == 0) {
            /* A flush or compaction that did not finish: its data is elsewhere. */
            snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
            unlink(path);
            continue;
        }
        uint64_t seq;
        uint32_t gen;
        char tail[8];
        if (sscanf(de->d_name, "seg-%16" SCNx64 "-%8" SCNx32 "%7s", &seq, &gen, tail) != 3 ||
            strcmp(tail, ".tsm") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
        st_segment *r;
        rv = st_segment_open(path, &r, err, errlen);
        if (rv == ST_OK && (rv = add_seg(s, seq, gen, r)) != ST_OK)
            st_segment_close(r);
    }
    closedir(d);
    if (s->next_seq == 0)
        s->next_seq = 1;
    return rv;
}

void st_shard_segments_close(st_shard *s)
{
    for (size_t i = 0; i < s->nsegs; i++)
        st_segment_close(s->segs[i].r);
    free(s->segs);
    s->segs = NULL;
    s->nsegs = s->segs_cap = 0;
}

/* ---- Writing a segment from a cache ------------------------------------- */

struct seg_build {
    st_segment_writer *w;
    struct st_buf block;
    int64_t ts[ST_BLOCK_MAX_POINTS];
    union {
        double f[ST_BLOCK_MAX_POINTS];
        int64_t i[ST_BLOCK_MAX_POINTS];
        uint64_t u[ST_BLOCK_MAX_POINTS];
        bool b[ST_BLOCK_MAX_POINTS];
        struct st_slice s[ST_BLOCK_MAX_POINTS];
    } v;
    char *err;
    size_t errlen;
    uint64_t values;
};

static int write_view(const struct st_cache_view *cv, void *arg)
{
    struct seg_build *sb = arg;
    for (size_t off = 0; off < cv->n;) {
        size_t n = cv->n - off < ST_BLOCK_MAX_POINTS ? cv->n - off : ST_BLOCK_MAX_POINTS;
        struct st_block_stats st;
        st_block_stats_init(&st);
        union st_codec_in in;
        for (size_t k = 0; k < n; k++) {
            const union st_value *v = &cv->v[off + k];
            union st_stat_value sv = {.u = 0};
            sb->ts[k] = cv->t[off + k];
            switch (cv->type) {
            case ST_FIELD_FLOAT:
                sb->v.f[k] = sv.f = v->f;
                break;
            case ST_FIELD_INTEGER:
                sb->v.i[k] = sv.i = v->i;
                break;
            case ST_FIELD_UNSIGNED:
                sb->v.u[k] = sv.u = v->u;
                break;
            case ST_FIELD_BOOLEAN:
                sb->v.b[k] = v->b;
                sv.u = v->b;
                break;
            case ST_FIELD_STRING:
                sb->v.s[k] = v->s;
                break;
            }
            st_block_stats_add(&st, cv->type, sb->ts[k], sv);
        }
        switch (cv->type) {
        case ST_FIELD_FLOAT:
            in.f = sb->v.f;
            break;
        case ST_FIELD_INTEGER:
            in.i = sb->v.i;
            break;
        case ST_FIELD_UNSIGNED:
            in.u = sb->v.u;
            break;
        case ST_FIELD_BOOLEAN:
            in.b = sb->v.b;
            break;
        default:
            in.s = sb->v.s;
            break;
        }
        st_buf_reset(&sb->block);
        int rv = st_codec_block_encode(&sb->block, cv->type, sb->ts, in, n);
        if (rv == ST_OK)
            rv = st_segment_writer_add(sb->w, cv->series, cv->field, cv->type, &st, sb->block.p,
                                       sb->block.len, sb->err, sb->errlen);
        if (rv != ST_OK)
            return rv;
        sb->values += n;
        off += n;
    }
    return ST_OK;
}

/* Writes @c (sorted, not modified meanwhile) as segment (@seq, @gen) and
 * opens it. */
static int write_segment(st_shard *s, st_cache *c, uint64_t seq, uint32_t gen, st_segment **out,
                         char *err, size_t errlen)
{
    char path[4096];
    seg_path(s, seq, gen, path, sizeof(path));
    struct seg_build *sb = calloc(1, sizeof(*sb));
    if (sb == NULL)
        return ST_ENOMEM;
    st_buf_init(&sb->block);
    sb->err = err;
    sb->errlen = errlen;
    int rv = st_segment_writer_open(path, &sb->w, err, errlen);
    if (rv == ST_OK) {
        rv = st_cache_each(c, write_view, sb);
        /* Segments refer to series ids: make the index durable first. */
        if (rv == ST_OK)
            rv = st_index_sync(s->idx);
        if (rv == ST_OK)
            rv = st_segment_writer_finish(sb->w, err, errlen);
        else
            st_segment_writer_abort(sb->w);
    }
    if (rv == ST_OK)
        rv = st_segment_open(path, out, err, errlen);
    st_buf_fini(&sb->block);
    free(sb);
    return rv;
}

static int sort_all(const struct st_cache_view *v, void *arg)
{
    (void)v;
    (void)arg;
    return ST_OK;
}

/* Moves the live cache into a segment; retries a swapped cache whose
 * previous flush failed (disk full, I/O error) before taking a new one. */
static int flush_once(st_shard *s)
{
    char err[512] = "";
    int rv = ST_OK;
    pthread_rwlock_wrlock(&s->gate);
    pthread_mutex_lock(&s->mu);
    if (s->flushing == NULL) {
        if (st_cache_values(s->cache) == 0) {
            pthread_mutex_unlock(&s->mu);
            pthread_rwlock_unlock(&s->gate);
            return ST_OK;
        }
        st_cache *fresh;
        rv = st_cache_open(&fresh);
        if (rv == ST_OK && (rv = st_wal_rotate(s->wal, &s->flush_wal_seq)) != ST_OK)
            st_cache_close(fresh);
        if (rv != ST_OK) {
            pthread_mutex_unlock(&s->mu);
            pthread_rwlock_unlock(&s->gate);
            return rv;
        }
        /* Sorted now, under the lock: afterwards readers and this thread
         * only read the swapped cache. */
        st_cache_each(s->cache, sort_all, NULL);
        s->flushing = s->cache;
        s->cache = fresh;
    }
    uint64_t seq = s->next_seq++, wal_seq = s->flush_wal_seq;
    pthread_mutex_unlock(&s->mu);
    pthread_rwlock_unlock(&s->gate);

    st_segment *r = NULL;
    rv = write_segment(s, s->flushing, seq, 0, &r, err, sizeof(err));

    pthread_mutex_lock(&s->mu);
    if (rv == ST_OK && (rv = add_seg(s, seq, 0, r)) != ST_OK)
        st_segment_close(r);
    if (rv == ST_OK) {
        st_cache_close(s->flushing);
        s->flushing = NULL;
        s->bg_error[0] = '\0';
    } else {
        /* The swapped cache stays readable and is retried next time; its
         * WAL segments stay until then. */
        snprintf(s->bg_error, sizeof(s->bg_error), "flush: %s", err[0] ? err : st_strerror(rv));
    }
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
    if (rv == ST_OK)
        rv = st_wal_remove_before(s->wal, wal_seq);
    return rv;
}

/* ---- Reading segments ---------------------------------------------------- */

/* Decodes the blocks of one key overlapping [tmin, tmax] into @into. */
static int load_from(st_segment *r, st_segment_io *io, const struct st_segment_key *key,
                     int64_t tmin, int64_t tmax, st_cache *into)
{
    size_t first, n = st_segment_key_range(key, tmin, tmax, &first);
    if (n == 0)
        return ST_OK;
    int rv = ST_OK;
    char err[256];
    size_t total = 0;
    for (size_t k = 0; k < n; k++)
        total += key->entries[first + k].size;
    uint8_t *buf = malloc(total ? total : 1);
    struct st_block_ref *refs = malloc(n * sizeof(*refs));
    int64_t *ts = malloc(ST_BLOCK_MAX_POINTS * sizeof(*ts));
    union st_value *vals = malloc(ST_BLOCK_MAX_POINTS * sizeof(*vals));
    double *f = malloc(ST_BLOCK_MAX_POINTS * sizeof(double) * 2); /* largest of the types */
    struct st_buf arena;
    st_buf_init(&arena);
    if (!buf || !refs || !ts || !vals || !f) {
        rv = ST_ENOMEM;
        goto out;
    }
    size_t off = 0;
    for (size_t k = 0; k < n; k++) {
        refs[k].entry = &key->entries[first + k];
        refs[k].dst = buf + off;
        off += key->entries[first + k].size;
    }
    if ((rv = st_segment_read_blocks(r, io, refs, n, err, sizeof(err))) != ST_OK)
        goto out;
    for (size_t k = 0; k < n && rv == ST_OK; k++) {
        union st_codec_out o;
        o.f = f; /* every member aliases the same scratch array */
        size_t cnt;
        st_buf_reset(&arena);
        rv = st_codec_block_decode(refs[k].dst, refs[k].entry->size, key->type, ts, o, &arena,
                                   ST_BLOCK_MAX_POINTS, &cnt);
        for (size_t x = 0; x < cnt && rv == ST_OK; x++) {
            if (ts[x] < tmin || ts[x] > tmax)
                continue;
            union st_value v;
            switch (key->type) {
            case ST_FIELD_FLOAT:
                v.f = ((double *)f)[x];
                break;
            case ST_FIELD_INTEGER:
                v.i = ((int64_t *)(void *)f)[x];
                break;
            case ST_FIELD_UNSIGNED:
                v.u = ((uint64_t *)(void *)f)[x];
                break;
            case ST_FIELD_BOOLEAN:
                v.b = ((bool *)(void *)f)[x];
                break;
            case ST_FIELD_STRING: {
                const struct st_codec_str *cs = &((struct st_codec_str *)(void *)f)[x];
                v.s.p = arena.p ? arena.p + cs->off : "";
                v.s.len = cs->len;
                break;
            }
            }
            rv = st_cache_put(into, key->series, key->field, key->type, ts[x], &v);
        }
    }
out:
    st_buf_fini(&arena);
    free(f);
    free(vals);
    free(ts);
    free(refs);
    free(buf);
    return rv;
}

int st_shard_segments_load_key(st_shard *s, st_segment_io *io, uint32_t series,
                               struct st_slice field, int64_t tmin, int64_t tmax, st_cache *into)
{
    int rv = ST_OK;
    for (size_t i = 0; i < s->nsegs && rv == ST_OK; i++) {
        const struct st_segment_key *key;
        if (st_segment_find(s->segs[i].r, series, field, &key) != ST_OK)
            continue;
        rv = load_from(s->segs[i].r, io, key, tmin, tmax, into);
    }
    return rv;
}

/* ---- Compaction ---------------------------------------------------------- */

struct key_ref {
    uint32_t series;
    struct st_slice field;
};

static int key_ref_cmp(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    if (x->series != y->series)
        return x->series < y->series ? -1 : 1;
    uint32_t n = x->field.len < y->field.len ? x->field.len : y->field.len;
    int c = memcmp(x->field.p, y->field.p, n);
    if (c)
        return c;
    return (x->field.len > y->field.len) - (x->field.len < y->field.len);
}

/* Merges segs[0..n) into one segment. The caller holds bg_mu: the list of
 * segments changes only under it, so the inputs stay in place without the
 * shard lock, and no flush appends behind them meanwhile. */
static int compact(st_shard *s, size_t n)
{
    char err[512] = "";
    struct seg *in = s->segs; /* stable while bg_mu is held */
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++)
        nkeys += seg_nkeys(in[i].r);
    struct key_ref *keys = malloc((nkeys ? nkeys : 1) * sizeof(*keys));
    st_segment_io *io = NULL;
    if (keys == NULL)
        return ST_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < seg_nkeys(in[i].r); j++) {
            const struct st_segment_key *sk = st_segment_key_at(in[i].r, j);
            keys[k++] = (struct key_ref){sk->series, sk->field};
        }
    qsort(keys, k, sizeof(*keys), key_ref_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || key_ref_cmp(&keys[u - 1], &keys[i]) != 0)
            keys[u++] = keys[i];

    uint64_t seq = in[n - 1].seq;
    uint32_t gen = in[n - 1].gen + 1;
    char path[4096];
    seg_path(s, seq, gen, path, sizeof(path));
    st_segment_writer *w = NULL;
    struct seg_build *sb = calloc(1, sizeof(*sb));
    int rv = sb ? st_segment_io_open(0, &io) : ST_ENOMEM;
    if (rv == ST_OK)
        rv = st_segment_writer_open(path, &w, err, sizeof(err));
    if (rv != ST_OK)
        goto out;
    st_buf_init(&sb->block);
    sb->w = w;
    sb->err = err;
    sb->errlen = sizeof(err);
    /* One key at a time through a scratch cache: oldest segment first, so
     * its last-write-wins sort keeps the newest value of each time. */
    for (size_t i = 0; i < u && rv == ST_OK; i++) {
        st_cache *tmp;
        if ((rv = st_cache_open(&tmp)) != ST_OK)
            break;
        for (size_t j = 0; j < n && rv == ST_OK; j++) {
            const struct st_segment_key *sk;
            if (st_segment_find(in[j].r, keys[i].series, keys[i].field, &sk) == ST_OK)
                rv = load_from(in[j].r, io, sk, INT64_MIN, INT64_MAX, tmp);
        }
        if (rv == ST_OK)
            rv = st_cache_each(tmp, write_view, sb);
        st_cache_close(tmp);
    }
    st_buf_fini(&sb->block);
    if (rv == ST_OK)
        rv = st_segment_writer_finish(w, err, sizeof(err));
    else
        st_segment_writer_abort(w);
    w = NULL;
    st_segment *r = NULL;
    if (rv == ST_OK)
        rv = st_segment_open(path, &r, err, sizeof(err));
    if (rv != ST_OK)
        goto out;

    /* Swap inputs for the output, then delete the input files. */
    char(*old)[4096] = malloc(n * sizeof(*old));
    pthread_mutex_lock(&s->mu);
    st_segment **closing = malloc(n * sizeof(*closing));
    for (size_t i = 0; i < n; i++) {
        if (old)
            seg_path(s, s->segs[i].seq, s->segs[i].gen, old[i], sizeof(old[i]));
        if (closing)
            closing[i] = s->segs[i].r;
    }
    memmove(s->segs, s->segs + n, (s->nsegs - n) * sizeof(*s->segs));
    s->nsegs -= n;
    rv = add_seg(s, seq, gen, r);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        if (closing)
            st_segment_close(closing[i]);
        if (old)
            unlink(old[i]);
    }
    free(closing);
    free(old);
out:
    if (rv != ST_OK)
        snprintf(s->bg_error, sizeof(s->bg_error), "compaction: %s",
                 err[0] ? err : st_strerror(rv));
    st_segment_io_close(io);
    free(sb);
    free(keys);
    return rv;
}

int st_shard_flush(st_shard *s)
{
    pthread_mutex_lock(&s->bg_mu);
    int rv = flush_once(s);
    pthread_mutex_unlock(&s->bg_mu);
    return rv;
}

int st_shard_compact(st_shard *s)
{
    pthread_mutex_lock(&s->bg_mu);
    pthread_mutex_lock(&s->mu);
    size_t n = s->nsegs;
    pthread_mutex_unlock(&s->mu);
    int rv = n >= 2 ? compact(s, n) : ST_OK;
    pthread_mutex_unlock(&s->bg_mu);
    return rv;
}

void *st_shard_flusher_main(void *arg)
{
    st_shard *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stopping && !s->flush_wanted)
            pthread_cond_wait(&s->changed, &s->mu);
        if (s->stopping)
            break;
        s->flush_wanted = 0;
        s->busy = 1;
        pthread_mutex_unlock(&s->mu);
        pthread_mutex_lock(&s->bg_mu);
        flush_once(s);
        pthread_mutex_lock(&s->mu);
        size_t n = s->nsegs;
        pthread_mutex_unlock(&s->mu);
        if (n >= ST_SHARD_COMPACT_AT)
            compact(s, n);
        pthread_mutex_unlock(&s->bg_mu);
        pthread_mutex_lock(&s->mu);
        s->busy = 0;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}
