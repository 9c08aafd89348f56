/* Private to the shard module: the shard's state, shared by its files. */
#ifndef ST_SHARD_INT_H
#define ST_SHARD_INT_H

#include <pthread.h>

#include "cache.h"
#include "index.h"
#include "segment.h"
#include "shard.h"
#include "wal.h"

/* An open segment file. Precedence: a higher (seq, gen) holds newer data. */
struct seg {
    uint64_t seq; /* flush sequence number */
    uint32_t gen; /* 0 for a flush, +1 per compaction that produced it */
    st_segment *r;
};

#define ST_SHARD_POOL 32 /* scratch states kept for writers */

struct batch_work;

/* A deletion: the values of @series in [@tmin, @tmax] held by segments with
 * seq < @seq are gone (later data is not: it was written after). Kept in
 * <dir>/tombstones until compaction has rewritten every older segment. */
struct tomb {
    uint32_t series;
    int64_t tmin, tmax;
    uint64_t seq;
};

struct st_shard {
    uint64_t id;
    char *dir;
    struct st_shard_opts opts;

    pthread_mutex_t bg_mu;  /* one flush or compaction at a time */
    pthread_rwlock_t gate;  /* writers share it across WAL append + apply; a flush
                               takes it alone to rotate the WAL and swap the cache */
    pthread_mutex_t mu;     /* guards everything below but the WAL */
    pthread_cond_t changed; /* a flush finished, or work for the flusher */
    st_wal *wal;            /* thread-safe on its own */
    st_index *idx;
    st_cache *cache;    /* live: takes writes */
    st_cache *flushing; /* being written to a segment, read-only; or NULL */
    struct seg *segs;   /* sorted by (seq, gen) */
    size_t nsegs, segs_cap;
    uint64_t next_seq;
    uint64_t flush_wal_seq; /* WAL segments before it hold the swapped cache */

    pthread_t flusher;
    int flusher_started;
    int stopping;
    int flush_wanted;
    int busy;                               /* a flush or compaction is running */
    struct batch_work *pool[ST_SHARD_POOL]; /* idle writer scratch states */
    size_t npool;
    char bg_error[640]; /* last background failure, for logs and tests */
    struct tomb *tombs; /* sorted by series; guarded by mu */
    size_t ntombs;
};

/* shard_seg.c */
int st_shard_segments_load(st_shard *s, char *err, size_t errlen);
void st_shard_segments_close(st_shard *s);
void *st_shard_flusher_main(void *arg);

/* shard_seg.c: one flush of the live (or a failed swapped) cache; under
 * bg_mu. */
int st_shard_flush_once(st_shard *s);

/* shard_delete.c */
#define WAL_RECORD_DELETE 2 /* payload: tmin, tmax, then length-prefixed series keys */
int st_shard_tombs_load(st_shard *s, char *err, size_t errlen);
/* Replays a WAL delete record into the cache. */
int st_shard_replay_delete(st_shard *s, const uint8_t *payload, size_t len);
/* Drops tombstones no segment needs any more (after a compaction); under
 * bg_mu, takes mu. */
void st_shard_tombs_prune(st_shard *s);

/* shard_scan.c: st_shard_scan() over @segs[0..@nsegs) (oldest first) and,
 * with @with_caches, the caches. Compaction scans its inputs alone, under
 * bg_mu instead of the shard lock. */
int st_shard_scan_segs(st_shard *s, const struct seg *segs, size_t nsegs, int with_caches,
                       st_shard_reader *rd, uint32_t series, struct st_slice field,
                       enum st_field_type type, int64_t tmin, int64_t tmax,
                       const struct st_shard_scan_cb *cb);

#endif
