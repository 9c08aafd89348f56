/* Scans: the merged values of one (series, field) of a shard, in time order.
 *
 * The sources are the segment files (oldest first), the cache being flushed
 * and the live cache; at equal times the newest source wins. A k-way merge
 * walks them by their next time ("head"): the head of a segment's next,
 * still encoded block is its min_time (exact: the block's first point).
 *
 * - When the smallest head is an encoded block, and every other source's
 *   head lies after the block's max_time, the block is alone in its time
 *   span: if it lies inside the queried range and the caller accepts its
 *   span, it is handed over as its statistics without being read.
 *   Otherwise it is decoded.
 * - When the smallest head is a point and no other source has a point before
 *   the next head, a whole run is handed over without copying: the common
 *   case (one segment after compaction, disjoint flushes) is one callback per
 *   block. Points that several sources hold at one time are merged one by one
 *   into an output buffer.
 *
 * Blocks to decode are read ahead in io_uring batches of up to READ_AHEAD
 * blocks per segment, skipping the blocks that will probably be answered
 * from their statistics. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"
#include "shard_int.h"

#define READ_AHEAD 32
#define OUT_CAP 1024
/* Scratch a pooled reader may keep between requests. */
#define ST_SHARD_READER_KEEP (4u << 20)

/* One source of the merge. */
struct src {
    int is_seg;
    /* segment */
    const st_segment *r;
    const struct st_segment_key *key;
    size_t ent, ent_end;      /* next encoded entry; end of the entries in range */
    size_t fetch_lo, nfetch;  /* entries [fetch_lo, fetch_lo + nfetch) read ahead */
    int64_t boff[READ_AHEAD]; /* their offset in buf, -1 = not read */
    uint8_t *buf;
    size_t buf_cap;
    /* decoded block, or the cache view */
    int decoded; /* a block is decoded and pos < n */
    size_t pos, n;
    int64_t *t;
    void *v;               /* typed array of the block */
    struct st_slice *strs; /* strings of the block */
    struct st_buf arena;
    const int64_t *ct; /* cache */
    const union st_value *cv;
    /* deleted ranges of this segment's data (tombstones), [2k, 2k+1] */
    int64_t *dels;
    size_t ndels, dels_cap;
};

struct st_shard_reader {
    st_segment_io *io;
    struct src *srcs;
    size_t cap;
    /* output buffer of merged points */
    int64_t ot[OUT_CAP];
    union {
        double f[OUT_CAP];
        int64_t i[OUT_CAP];
        uint64_t u[OUT_CAP];
        bool b[OUT_CAP];
        struct st_slice s[OUT_CAP];
    } ov;
    size_t on;
    enum st_field_type type;
    struct st_shard_reader_stats stats;
    char err[256];
};

int st_shard_reader_open(st_shard_reader **out)
{
    st_shard_reader *rd = calloc(1, sizeof(*rd));
    if (rd == NULL)
        return ST_ENOMEM;
    int rv = st_segment_io_open(0, &rd->io);
    if (rv != ST_OK) {
        free(rd);
        return rv;
    }
    *out = rd;
    return ST_OK;
}

static void src_free(struct src *x)
{
    free(x->dels);
    free(x->buf);
    free(x->t);
    free(x->v);
    free(x->strs);
    st_buf_fini(&x->arena);
}

static void free_srcs(st_shard_reader *rd)
{
    for (size_t i = 0; i < rd->cap; i++)
        src_free(&rd->srcs[i]);
    free(rd->srcs);
    rd->srcs = NULL;
    rd->cap = 0;
}

void st_shard_reader_close(st_shard_reader *rd)
{
    if (rd == NULL)
        return;
    free_srcs(rd);
    st_segment_io_close(rd->io);
    free(rd);
}

/* Bytes of scratch the reader's sources keep between scans. */
static size_t scratch_bytes(const st_shard_reader *rd)
{
    size_t n = rd->cap * sizeof(*rd->srcs);
    for (size_t i = 0; i < rd->cap; i++) {
        const struct src *x = &rd->srcs[i];
        n += x->buf_cap + x->arena.cap + x->dels_cap * 2 * sizeof(*x->dels);
        if (x->t != NULL)
            n += ST_BLOCK_MAX_POINTS *
                 (sizeof(*x->t) + sizeof(struct st_codec_str) + sizeof(*x->strs));
    }
    return n;
}

/* ---- The pool --------------------------------------------------------------
 *
 * Setting up an io_uring costs a syscall, two mmaps and, at teardown, two
 * munmaps whose TLB shootdowns reach every core: about as much as a small
 * query itself. The query workers therefore share a few readers. A reader
 * holds no segment file descriptor and no mapping of a segment between scans
 * (st_segment_read_blocks() takes the descriptor for the one call), and its
 * sources are set up afresh by every scan, so the pointers into segments and
 * caches they keep from an earlier request are never read again: a segment
 * replaced by compaction, or a shard dropped, between two requests leaves
 * nothing behind in the reader. What carries over is only the ring and the
 * decode buffers; the counters and the error message are reset on get. */

struct st_shard_reader_pool {
    pthread_mutex_t mu;
    size_t max_idle;
    size_t nidle;           /* under mu */
    st_shard_reader **idle; /* [max_idle], under mu; the last one is the warmest */
};

int st_shard_reader_pool_open(size_t max_idle, st_shard_reader_pool **out)
{
    st_shard_reader_pool *pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return ST_ENOMEM;
    pool->max_idle = max_idle;
    pool->idle = calloc(max_idle ? max_idle : 1, sizeof(*pool->idle));
    if (pool->idle == NULL || pthread_mutex_init(&pool->mu, NULL) != 0) {
        free(pool->idle); /* UNTESTED: out of memory */
        free(pool);
        return ST_ENOMEM;
    }
    *out = pool;
    return ST_OK;
}

void st_shard_reader_pool_close(st_shard_reader_pool *pool)
{
    if (pool == NULL)
        return;
    for (size_t i = 0; i < pool->nidle; i++)
        st_shard_reader_close(pool->idle[i]);
    pthread_mutex_destroy(&pool->mu);
    free(pool->idle);
    free(pool);
}

int st_shard_reader_get(st_shard_reader_pool *pool, st_shard_reader **out)
{
    st_shard_reader *rd = NULL;
    if (pool != NULL) {
        pthread_mutex_lock(&pool->mu);
        if (pool->nidle > 0)
            rd = pool->idle[--pool->nidle];
        pthread_mutex_unlock(&pool->mu);
    }
    if (rd == NULL)
        return st_shard_reader_open(out);
    rd->stats = (struct st_shard_reader_stats){0};
    rd->err[0] = '\0';
    rd->on = 0;
    *out = rd;
    return ST_OK;
}

void st_shard_reader_put(st_shard_reader_pool *pool, st_shard_reader *rd)
{
    if (rd == NULL)
        return;
    if (pool == NULL) {
        st_shard_reader_close(rd);
        return;
    }
    /* A query over many segments or large blocks may have grown the
     * scratch: keep the ring, not the memory. */
    if (scratch_bytes(rd) > ST_SHARD_READER_KEEP)
        free_srcs(rd);
    pthread_mutex_lock(&pool->mu);
    bool keep = pool->nidle < pool->max_idle;
    if (keep)
        pool->idle[pool->nidle++] = rd;
    pthread_mutex_unlock(&pool->mu);
    if (!keep)
        st_shard_reader_close(rd);
}

const char *st_shard_reader_error(const st_shard_reader *rd)
{
    return rd->err;
}

void st_shard_reader_stats(const st_shard_reader *rd, struct st_shard_reader_stats *out)
{
    *out = rd->stats;
}

void st_shard_read_lock(st_shard *s)
{
    pthread_mutex_lock(&s->mu);
}

void st_shard_read_unlock(st_shard *s)
{
    pthread_mutex_unlock(&s->mu);
}

/* Makes room for @n sources; keeps their scratch arrays across scans. */
static int reserve_srcs(st_shard_reader *rd, size_t n)
{
    if (n <= rd->cap)
        return ST_OK;
    struct src *p = realloc(rd->srcs, n * sizeof(*p));
    if (p == NULL)
        return ST_ENOMEM;
    memset(p + rd->cap, 0, (n - rd->cap) * sizeof(*p));
    for (size_t i = rd->cap; i < n; i++)
        st_buf_init(&p[i].arena);
    rd->srcs = p;
    rd->cap = n;
    return ST_OK;
}

static int64_t head(const struct src *x, int64_t tmax)
{
    int64_t h;
    if (x->decoded)
        h = x->t[x->pos];
    else if (x->is_seg && x->ent < x->ent_end)
        h = x->key->entries[x->ent].stats.min_time;
    else
        return INT64_MAX;
    return h <= tmax ? h : INT64_MAX;
}

/* Moves @x past its current point. */
static void advance(struct src *x)
{
    if (++x->pos < x->n)
        return;
    x->decoded = 0;
    if (x->is_seg)
        x->ent++;
}

static int flush_out(st_shard_reader *rd, const struct st_shard_scan_cb *cb)
{
    if (rd->on == 0)
        return ST_OK;
    struct st_scan_run run = {.type = rd->type, .n = rd->on, .t = rd->ot};
    run.v.f = rd->ov.f; /* every member aliases the same storage */
    switch (rd->type) {
    case ST_FIELD_INTEGER:
        run.v.i = rd->ov.i;
        break;
    case ST_FIELD_UNSIGNED:
        run.v.u = rd->ov.u;
        break;
    case ST_FIELD_BOOLEAN:
        run.v.b = rd->ov.b;
        break;
    case ST_FIELD_STRING:
        run.v.s = rd->ov.s;
        break;
    case ST_FIELD_FLOAT:
        break;
    }
    rd->on = 0;
    rd->stats.values += run.n;
    return cb->values(cb->arg, &run);
}

/* Appends point @i of source @x to the output buffer. */
static int out_push(st_shard_reader *rd, const struct src *x, size_t i,
                    const struct st_shard_scan_cb *cb)
{
    size_t o = rd->on;
    rd->ot[o] = x->t[i];
    if (x->cv) {
        const union st_value *v = &x->cv[i];
        switch (rd->type) {
        case ST_FIELD_FLOAT:
            rd->ov.f[o] = v->f;
            break;
        case ST_FIELD_INTEGER:
            rd->ov.i[o] = v->i;
            break;
        case ST_FIELD_UNSIGNED:
            rd->ov.u[o] = v->u;
            break;
        case ST_FIELD_BOOLEAN:
            rd->ov.b[o] = v->b;
            break;
        case ST_FIELD_STRING:
            rd->ov.s[o] = v->s;
            break;
        }
    } else {
        switch (rd->type) {
        case ST_FIELD_FLOAT:
            rd->ov.f[o] = ((const double *)x->v)[i];
            break;
        case ST_FIELD_INTEGER:
            rd->ov.i[o] = ((const int64_t *)x->v)[i];
            break;
        case ST_FIELD_UNSIGNED:
            rd->ov.u[o] = ((const uint64_t *)x->v)[i];
            break;
        case ST_FIELD_BOOLEAN:
            rd->ov.b[o] = ((const bool *)x->v)[i];
            break;
        case ST_FIELD_STRING:
            rd->ov.s[o] = x->strs[i];
            break;
        }
    }
    if (++rd->on == OUT_CAP)
        return flush_out(rd, cb);
    return ST_OK;
}

/* Hands points [pos, end) of a decoded block to the callback in place. */
static int emit_direct(st_shard_reader *rd, struct src *x, size_t end,
                       const struct st_shard_scan_cb *cb)
{
    struct st_scan_run run = {.type = rd->type, .n = end - x->pos, .t = x->t + x->pos};
    switch (rd->type) {
    case ST_FIELD_FLOAT:
        run.v.f = (const double *)x->v + x->pos;
        break;
    case ST_FIELD_INTEGER:
        run.v.i = (const int64_t *)x->v + x->pos;
        break;
    case ST_FIELD_UNSIGNED:
        run.v.u = (const uint64_t *)x->v + x->pos;
        break;
    case ST_FIELD_BOOLEAN:
        run.v.b = (const bool *)x->v + x->pos;
        break;
    case ST_FIELD_STRING:
        run.v.s = x->strs + x->pos;
        break;
    }
    x->pos = end - 1;
    advance(x);
    rd->stats.values += run.n;
    return cb->values(cb->arg, &run);
}

/* Whether a deleted range of @x overlaps [a, b]. */
static bool deleted_any(const struct src *x, int64_t a, int64_t b)
{
    for (size_t k = 0; k < x->ndels; k++)
        if (x->dels[2 * k] <= b && x->dels[2 * k + 1] >= a)
            return true;
    return false;
}

/* Whether one deleted range of @x covers all of [a, b]. */
static bool deleted_all(const struct src *x, int64_t a, int64_t b)
{
    for (size_t k = 0; k < x->ndels; k++)
        if (x->dels[2 * k] <= a && x->dels[2 * k + 1] >= b)
            return true;
    return false;
}

static bool whole_block_ok(const struct src *x, const struct st_block_entry *e, int64_t tmin,
                           int64_t tmax, const struct st_shard_scan_cb *cb)
{
    return cb->stats_ok && e->stats.min_time >= tmin && e->stats.max_time <= tmax &&
           !deleted_any(x, e->stats.min_time, e->stats.max_time) &&
           cb->stats_ok(cb->arg, &e->stats);
}

/* Drops the decoded points of @x that tombstones delete. */
static size_t drop_deleted(struct src *x, enum st_field_type type, size_t n)
{
    size_t esz = type == ST_FIELD_BOOLEAN  ? sizeof(bool)
                 : type == ST_FIELD_STRING ? sizeof(struct st_codec_str)
                                           : 8;
    uint8_t *v = x->v;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (deleted_any(x, x->t[i], x->t[i]))
            continue;
        x->t[out] = x->t[i];
        memmove(v + out * esz, v + i * esz, esz);
        if (type == ST_FIELD_STRING)
            x->strs[out] = x->strs[i];
        out++;
    }
    return out;
}

/* Reads entry x->ent and the next blocks that will likely need decoding. */
static int fetch(st_shard_reader *rd, struct src *x, int64_t tmin, int64_t tmax,
                 const struct st_shard_scan_cb *cb)
{
    struct st_block_ref refs[READ_AHEAD];
    size_t total = 0, nref = 0;
    x->fetch_lo = x->ent;
    x->nfetch = 0;
    for (size_t e = x->ent; e < x->ent_end && x->nfetch < READ_AHEAD; e++) {
        const struct st_block_entry *be = &x->key->entries[e];
        x->boff[x->nfetch++] = -1;
        if (e != x->ent && (whole_block_ok(x, be, tmin, tmax, cb) ||
                            deleted_all(x, be->stats.min_time, be->stats.max_time)))
            continue;
        x->boff[x->nfetch - 1] = (int64_t)total;
        total += be->size;
        refs[nref++].entry = be;
    }
    if (total > x->buf_cap) {
        uint8_t *p = realloc(x->buf, total);
        if (p == NULL)
            return ST_ENOMEM;
        x->buf = p;
        x->buf_cap = total;
    }
    for (size_t k = 0, j = 0; k < x->nfetch; k++)
        if (x->boff[k] >= 0)
            refs[j++].dst = x->buf + x->boff[k];
    return st_segment_read_blocks(x->r, rd->io, refs, nref, rd->err, sizeof(rd->err));
}

/* Decodes entry x->ent; skips to its first point >= @tmin. */
static int decode(st_shard_reader *rd, struct src *x, int64_t tmin, int64_t tmax,
                  const struct st_shard_scan_cb *cb)
{
    int rv;
    if (x->t == NULL) {
        x->t = malloc(ST_BLOCK_MAX_POINTS * sizeof(*x->t));
        x->v = malloc(ST_BLOCK_MAX_POINTS * sizeof(struct st_codec_str));
        x->strs = malloc(ST_BLOCK_MAX_POINTS * sizeof(*x->strs));
        if (!x->t || !x->v || !x->strs)
            return ST_ENOMEM;
    }
    if (x->ent < x->fetch_lo || x->ent >= x->fetch_lo + x->nfetch ||
        x->boff[x->ent - x->fetch_lo] < 0)
        if ((rv = fetch(rd, x, tmin, tmax, cb)) != ST_OK)
            return rv;
    const struct st_block_entry *be = &x->key->entries[x->ent];
    union st_codec_out o;
    o.f = x->v;
    st_buf_reset(&x->arena);
    size_t n;
    rv = st_codec_block_decode(x->buf + x->boff[x->ent - x->fetch_lo], be->size, x->key->type, x->t,
                               o, &x->arena, ST_BLOCK_MAX_POINTS, &n);
    if (rv != ST_OK) {
        struct st_segment_info info;
        st_segment_info(x->r, &info);
        return st_errf(rd->err, sizeof(rd->err), rv, "%s: block at offset %llu: %s", info.path,
                       (unsigned long long)be->offset, st_strerror(rv));
    }
    if (x->key->type == ST_FIELD_STRING) {
        const struct st_codec_str *cs = x->v;
        for (size_t i = 0; i < n; i++)
            x->strs[i] = (struct st_slice){x->arena.p ? x->arena.p + cs[i].off : "", cs[i].len};
    }
    if (x->ndels)
        n = drop_deleted(x, x->key->type, n);
    size_t pos = 0;
    while (pos < n && x->t[pos] < tmin)
        pos++;
    x->pos = pos;
    x->n = n;
    x->decoded = pos < n;
    rd->stats.blocks_decoded++;
    if (!x->decoded)
        x->ent++;
    return ST_OK;
}

/* The ranges of @series that tombstones delete from a segment of @seq. */
static int collect_dels(const st_shard *s, struct src *x, uint32_t series, uint64_t seq)
{
    x->ndels = 0;
    size_t lo = 0, hi = s->ntombs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->tombs[mid].series < series)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < s->ntombs && s->tombs[i].series == series; i++) {
        if (s->tombs[i].seq <= seq)
            continue;
        if (x->ndels == x->dels_cap) {
            size_t cap = x->dels_cap ? x->dels_cap * 2 : 4;
            int64_t *p = realloc(x->dels, cap * 2 * sizeof(*p));
            if (p == NULL)
                return ST_ENOMEM;
            x->dels = p;
            x->dels_cap = cap;
        }
        x->dels[2 * x->ndels] = s->tombs[i].tmin;
        x->dels[2 * x->ndels + 1] = s->tombs[i].tmax;
        x->ndels++;
    }
    return ST_OK;
}

/* Sets up the sources of (@series, @field) that hold values of @type in
 * [@tmin, @tmax]; returns how many. */
static int open_sources(st_shard *s, const struct seg *segs, size_t nsegs, int with_caches,
                        st_shard_reader *rd, uint32_t series, struct st_slice field,
                        enum st_field_type type, int64_t tmin, int64_t tmax, size_t *nsrc)
{
    int rv = reserve_srcs(rd, nsegs + 2);
    if (rv != ST_OK)
        return rv;
    size_t n = 0;
    for (size_t i = 0; i < nsegs; i++) {
        const struct st_segment_key *key;
        if (st_segment_find(segs[i].r, series, field, &key) != ST_OK || key->type != type)
            continue;
        size_t first, cnt = st_segment_key_range(key, tmin, tmax, &first);
        if (cnt == 0)
            continue;
        struct src *x = &rd->srcs[n++];
        if ((rv = collect_dels(s, x, series, segs[i].seq)) != ST_OK)
            return rv;
        x->is_seg = 1;
        x->r = segs[i].r;
        x->key = key;
        x->ent = first;
        x->ent_end = first + cnt;
        x->nfetch = 0;
        x->decoded = 0;
        x->cv = NULL;
        x->ct = NULL;
    }
    st_cache *mem[2] = {s->flushing, s->cache};
    for (int c = 0; c < 2 && with_caches; c++) {
        struct st_cache_view v;
        if (mem[c] == NULL || st_cache_find(mem[c], series, field, &v) != ST_OK || v.type != type)
            continue;
        size_t lo = 0, hi = v.n;
        while (lo < hi) { /* first index with t >= tmin */
            size_t mid = lo + (hi - lo) / 2;
            if (v.t[mid] < tmin)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == v.n || v.t[lo] > tmax)
            continue;
        struct src *x = &rd->srcs[n++];
        x->ndels = 0;
        x->is_seg = 0;
        x->decoded = 1;
        x->ct = v.t;
        x->cv = v.v;
        x->pos = lo;
        x->n = v.n;
        /* head() and advance() read t[]: point it at the cache's times */
        x->key = NULL;
    }
    *nsrc = n;
    return ST_OK;
}

bool st_shard_time_bounds(st_shard *s, int64_t *min, int64_t *max)
{
    bool any = false;
    int64_t lo = INT64_MAX, hi = INT64_MIN, a, b;
    for (size_t i = 0; i < s->nsegs; i++) {
        struct st_segment_info info;
        st_segment_info(s->segs[i].r, &info);
        if (info.nblocks == 0)
            continue;
        lo = info.min_time < lo ? info.min_time : lo;
        hi = info.max_time > hi ? info.max_time : hi;
        any = true;
    }
    st_cache *mem[2] = {s->flushing, s->cache};
    for (int c = 0; c < 2; c++)
        if (mem[c] && st_cache_time_bounds(mem[c], &a, &b)) {
            lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
            any = true;
        }
    *min = lo;
    *max = hi;
    return any;
}

int st_shard_scan(st_shard *s, st_shard_reader *rd, uint32_t series, struct st_slice field,
                  enum st_field_type type, int64_t tmin, int64_t tmax,
                  const struct st_shard_scan_cb *cb)
{
    return st_shard_scan_segs(s, s->segs, s->nsegs, 1, rd, series, field, type, tmin, tmax, cb);
}

int st_shard_scan_segs(st_shard *s, const struct seg *segs, size_t nsegs, int with_caches,
                       st_shard_reader *rd, uint32_t series, struct st_slice field,
                       enum st_field_type type, int64_t tmin, int64_t tmax,
                       const struct st_shard_scan_cb *cb)
{
    size_t n;
    rd->err[0] = '\0';
    rd->on = 0;
    rd->type = type;
    int rv = open_sources(s, segs, nsegs, with_caches, rd, series, field, type, tmin, tmax, &n);
    if (rv != ST_OK || n == 0)
        return rv;
    struct src *srcs = rd->srcs;
    /* Cache sources keep their own times in ct; alias t to them while the
     * scan runs, and restore the scratch array afterwards. */
    int64_t *saved_t[2] = {NULL, NULL};
    size_t nc = 0;
    for (size_t i = 0; i < n; i++)
        if (!srcs[i].is_seg) {
            saved_t[nc++] = srcs[i].t;
            srcs[i].t = (int64_t *)srcs[i].ct;
        }
    for (;;) {
        int64_t m = INT64_MAX;
        for (size_t i = 0; i < n; i++) {
            int64_t h = head(&srcs[i], tmax);
            if (h < m)
                m = h;
        }
        if (m == INT64_MAX)
            break;
        /* An encoded block at the smallest head goes first, newest first. */
        struct src *blk = NULL;
        size_t bi = 0;
        for (size_t i = n; i-- > 0;)
            if (!srcs[i].decoded && head(&srcs[i], tmax) == m) {
                blk = &srcs[i];
                bi = i;
                break;
            }
        if (blk) {
            const struct st_block_entry *e = &blk->key->entries[blk->ent];
            int alone = 1;
            for (size_t i = 0; i < n && alone; i++)
                if (i != bi && head(&srcs[i], tmax) <= e->stats.max_time)
                    alone = 0;
            if ((rv = flush_out(rd, cb)) != ST_OK)
                break;
            if (deleted_all(blk, e->stats.min_time, e->stats.max_time)) {
                blk->ent++;
                continue;
            }
            if (alone && whole_block_ok(blk, e, tmin, tmax, cb)) {
                blk->ent++;
                rd->stats.blocks_from_stats++;
                rd->stats.values += e->stats.count;
                struct st_scan_block sb = {blk->r, e};
                if ((rv = cb->stats(cb->arg, type, &sb)) != ST_OK)
                    break;
                continue;
            }
            if ((rv = decode(rd, blk, tmin, tmax, cb)) != ST_OK)
                break;
            continue;
        }
        /* Points at m: the newest source wins; the others skip theirs. */
        struct src *win = NULL;
        size_t ties = 0;
        int64_t next = INT64_MAX; /* smallest head of the other sources */
        for (size_t i = n; i-- > 0;) {
            int64_t h = head(&srcs[i], tmax);
            if (h == m) {
                if (win == NULL)
                    win = &srcs[i];
                ties++;
            } else if (h < next) {
                next = h;
            }
        }
        if (ties == 1) {
            /* A run of win's points before next (and <= tmax). */
            size_t end = win->pos;
            int64_t lim = next <= tmax ? next - 1 : tmax;
            while (end < win->n && win->t[end] <= lim)
                end++;
            if (win->is_seg) {
                if ((rv = flush_out(rd, cb)) != ST_OK ||
                    (rv = emit_direct(rd, win, end, cb)) != ST_OK)
                    break;
            } else {
                while (win->pos < end && rv == ST_OK) {
                    rv = out_push(rd, win, win->pos, cb);
                    win->pos++;
                }
                if (win->pos == win->n)
                    win->decoded = 0;
                if (rv != ST_OK)
                    break;
            }
            continue;
        }
        if ((rv = out_push(rd, win, win->pos, cb)) != ST_OK)
            break;
        for (size_t i = 0; i < n; i++)
            if (srcs[i].decoded && srcs[i].t[srcs[i].pos] == m)
                advance(&srcs[i]);
    }
    if (rv == ST_OK)
        rv = flush_out(rd, cb);
    nc = 0;
    for (size_t i = 0; i < n; i++)
        if (!srcs[i].is_seg) {
            srcs[i].t = saved_t[nc++];
            srcs[i].ct = NULL;
            srcs[i].cv = NULL;
        }
    return rv;
}
