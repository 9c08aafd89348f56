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
    /* the pending block of (series, field, type): n points */
    uint32_t series;
    struct st_slice field;
    enum st_field_type type;
    size_t n;
    int64_t ts[ST_BLOCK_MAX_POINTS];
    union {
        double f[ST_BLOCK_MAX_POINTS];
        int64_t i[ST_BLOCK_MAX_POINTS];
        uint64_t u[ST_BLOCK_MAX_POINTS];
        bool b[ST_BLOCK_MAX_POINTS];
        struct st_slice s[ST_BLOCK_MAX_POINTS];
    } v;
    size_t soff[ST_BLOCK_MAX_POINTS]; /* strings: offset of each in sarena */
    struct st_buf sarena;             /* strings of the pending block, copied */
    char *err;
    size_t errlen;
    uint64_t values;
    /* compaction's block copies */
    st_segment_io *io;
    struct st_buf raw;
    uint64_t copied;
};

/* Encodes and appends the pending block. */
static int sb_flush_block(struct seg_build *sb)
{
    size_t n = sb->n;
    if (n == 0)
        return ST_OK;
    struct st_block_stats st;
    st_block_stats_init(&st);
    union st_codec_in in;
    for (size_t k = 0; k < n; k++) {
        union st_stat_value sv = {.u = 0};
        switch (sb->type) {
        case ST_FIELD_FLOAT:
            sv.f = sb->v.f[k];
            break;
        case ST_FIELD_INTEGER:
            sv.i = sb->v.i[k];
            break;
        case ST_FIELD_UNSIGNED:
            sv.u = sb->v.u[k];
            break;
        case ST_FIELD_BOOLEAN:
            sv.u = sb->v.b[k];
            break;
        case ST_FIELD_STRING:
            sb->v.s[k] = (struct st_slice){sb->sarena.p + sb->soff[k], sb->v.s[k].len};
            break;
        }
        st_block_stats_add(&st, sb->type, sb->ts[k], sv);
    }
    switch (sb->type) {
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
    int rv = st_codec_block_encode(&sb->block, sb->type, sb->ts, in, n);
    if (rv == ST_OK)
        rv = st_segment_writer_add(sb->w, sb->series, sb->field, sb->type, &st, sb->block.p,
                                   sb->block.len, sb->err, sb->errlen);
    sb->values += n;
    sb->n = 0;
    st_buf_reset(&sb->sarena);
    return rv;
}

/* Starts the blocks of another key; the previous one must be flushed. */
static void sb_key(struct seg_build *sb, uint32_t series, struct st_slice field,
                   enum st_field_type type)
{
    sb->series = series;
    sb->field = field;
    sb->type = type;
    sb->n = 0;
    st_buf_reset(&sb->sarena);
}

/* Appends one point to the pending block, writing it out when full. */
static int sb_put(struct seg_build *sb, int64_t t, const union st_value *v)
{
    size_t k = sb->n;
    sb->ts[k] = t;
    switch (sb->type) {
    case ST_FIELD_FLOAT:
        sb->v.f[k] = v->f;
        break;
    case ST_FIELD_INTEGER:
        sb->v.i[k] = v->i;
        break;
    case ST_FIELD_UNSIGNED:
        sb->v.u[k] = v->u;
        break;
    case ST_FIELD_BOOLEAN:
        sb->v.b[k] = v->b;
        break;
    case ST_FIELD_STRING:
        sb->soff[k] = sb->sarena.len;
        sb->v.s[k].len = v->s.len;
        if (st_buf_append(&sb->sarena, v->s.p, v->s.len) != ST_OK)
            return ST_ENOMEM;
        break;
    }
    if (++sb->n == ST_BLOCK_MAX_POINTS)
        return sb_flush_block(sb);
    return ST_OK;
}

static int write_view(const struct st_cache_view *cv, void *arg)
{
    struct seg_build *sb = arg;
    sb_key(sb, cv->series, cv->field, cv->type);
    int rv = ST_OK;
    for (size_t i = 0; i < cv->n && rv == ST_OK; i++)
        rv = sb_put(sb, cv->t[i], &cv->v[i]);
    return rv == ST_OK ? sb_flush_block(sb) : rv;
}

/* Compaction copies a block that nothing overlaps as it is, without
 * decoding and encoding it again, when it is at least half full (smaller
 * ones are merged with their neighbours into fuller blocks). */
static bool copy_ok(void *arg, const struct st_block_stats *st)
{
    (void)arg;
    return st->count >= ST_BLOCK_MAX_POINTS / 2;
}

static int copy_block(void *arg, enum st_field_type type, const struct st_scan_block *b)
{
    struct seg_build *sb = arg;
    int rv = sb_flush_block(sb); /* what came before it, in time order */
    if (rv != ST_OK)
        return rv;
    if (st_buf_reserve(&sb->raw, b->entry->size) != ST_OK)
        return ST_ENOMEM;
    struct st_block_ref ref = {b->entry, sb->raw.p};
    rv = st_segment_read_blocks(b->seg, sb->io, &ref, 1, sb->err, sb->errlen);
    if (rv == ST_OK)
        rv = st_segment_writer_add(sb->w, sb->series, sb->field, type, &b->entry->stats, sb->raw.p,
                                   b->entry->size, sb->err, sb->errlen);
    sb->values += b->entry->stats.count;
    sb->copied++;
    return rv;
}

/* Compaction: the merged runs of a key, re-blocked. */
static int write_run(void *arg, const struct st_scan_run *run)
{
    struct seg_build *sb = arg;
    int rv = ST_OK;
    for (size_t i = 0; i < run->n && rv == ST_OK; i++) {
        union st_value v = {.s = {NULL, 0}};
        switch (run->type) {
        case ST_FIELD_FLOAT:
            v.f = run->v.f[i];
            break;
        case ST_FIELD_INTEGER:
            v.i = run->v.i[i];
            break;
        case ST_FIELD_UNSIGNED:
            v.u = run->v.u[i];
            break;
        case ST_FIELD_BOOLEAN:
            v.b = run->v.b[i];
            break;
        case ST_FIELD_STRING:
            v.s = run->v.s[i];
            break;
        }
        rv = sb_put(sb, run->t[i], &v);
    }
    return rv;
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
    st_buf_init(&sb->sarena);
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
    st_buf_fini(&sb->sarena);
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
int st_shard_flush_once(st_shard *s)
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
    st_shard_reader *rd = NULL;
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
    int rv = sb ? st_shard_reader_open(&rd) : ST_ENOMEM;
    if (rv == ST_OK)
        rv = st_segment_io_open(8, &sb->io);
    if (rv == ST_OK)
        rv = st_segment_writer_open(path, &w, err, sizeof(err));
    if (rv != ST_OK)
        goto out;
    st_buf_init(&sb->block);
    st_buf_init(&sb->sarena);
    st_buf_init(&sb->raw);
    sb->w = w;
    sb->err = err;
    sb->errlen = sizeof(err);
    /* One key at a time through the merging scanner: newer segments win at
     * equal times. */
    struct st_shard_scan_cb scb = {copy_ok, copy_block, write_run, sb};
    for (size_t i = 0; i < u && rv == ST_OK; i++) {
        const struct st_segment_key *sk = NULL;
        for (size_t j = n; j-- > 0 && sk == NULL;)
            if (st_segment_find(in[j].r, keys[i].series, keys[i].field, &sk) != ST_OK)
                sk = NULL;
        sb_key(sb, keys[i].series, keys[i].field, sk->type);
        rv = st_shard_scan_segs(s, in, n, 0, rd, keys[i].series, keys[i].field, sk->type, INT64_MIN,
                                INT64_MAX, &scb);
        if (rv == ST_OK)
            rv = sb_flush_block(sb);
        else if (st_shard_reader_error(rd)[0])
            snprintf(err, sizeof(err), "%s", st_shard_reader_error(rd));
    }
    st_buf_fini(&sb->block);
    st_buf_fini(&sb->sarena);
    st_buf_fini(&sb->raw);
    st_segment_io_close(sb->io);
    sb->io = NULL;
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
    st_shard_tombs_prune(s);
out:
    if (rv != ST_OK)
        snprintf(s->bg_error, sizeof(s->bg_error), "compaction: %s",
                 err[0] ? err : st_strerror(rv));
    st_shard_reader_close(rd);
    if (sb)
        st_segment_io_close(sb->io);
    free(sb);
    free(keys);
    return rv;
}

int st_shard_flush(st_shard *s)
{
    pthread_mutex_lock(&s->bg_mu);
    int rv = st_shard_flush_once(s);
    pthread_mutex_unlock(&s->bg_mu);
    return rv;
}

int st_shard_compact(st_shard *s)
{
    pthread_mutex_lock(&s->bg_mu);
    pthread_mutex_lock(&s->mu);
    size_t n = s->nsegs;
    int tombs = s->ntombs > 0;
    pthread_mutex_unlock(&s->mu);
    /* one segment is rewritten too when tombstones hide some of its data */
    int rv = n >= 2 || (n == 1 && tombs) ? compact(s, n) : ST_OK;
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
        st_shard_flush_once(s);
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
