/* A shard on a data node: WAL + cache + index + segment files in one directory. */
#ifndef ST_SHARD_H
#define ST_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cache.h"
#include "lineproto.h"

typedef struct st_shard st_shard;

struct st_shard_opts {
    size_t cache_max_bytes; /* flush the cache into a segment beyond this; default 32 MiB */
    int sync_interval_ms;   /* 0 (default): fdatasync before every ack; else at most this often */
};

/* Opens (creating if needed) the shard in @dir and replays its WAL into the
 * cache. Caller owns the shard; free with st_shard_close(). On error a
 * message naming the file is written to @err. */
int st_shard_open(const char *dir, uint64_t id, const struct st_shard_opts *opts, st_shard **out,
                  char *err, size_t errlen);

/* Flushes nothing, closes files, frees. The WAL keeps what the cache held. */
void st_shard_close(st_shard *s);

uint64_t st_shard_id(const st_shard *s);
/* The shard's directory (owned by the shard). */
const char *st_shard_dir(const st_shard *s);

/* Outcome of a write. errors holds one InfluxDB-style message per distinct
 * reason ("field type conflict: input field ..."), '\n'-separated. */
struct st_shard_write_result {
    uint64_t written;
    uint64_t dropped;
    struct st_buf errors; /* caller inits and frees */
};

/* Writes a batch of line protocol with a nanosecond timestamp on every line
 * (borrowed). Points that cannot be stored (bad line, no timestamp, field
 * type conflict, a tag or lone field named "time") are dropped and counted;
 * the others are durable when this returns ST_OK (per the sync mode).
 * Thread-safe; concurrent writers share WAL group commits. */
int st_shard_write(st_shard *s, const char *lp, size_t len, struct st_shard_write_result *res);

/* The same for a batch of binary point records (common/ptbin.h; borrowed).
 * The batch is checked whole first: ST_ECORRUPT, with nothing written, when
 * any record is malformed. The WAL keeps the accepted records as they are. */
int st_shard_write_bin(st_shard *s, const char *bin, size_t len, struct st_shard_write_result *res);

/* One series' value of one field at one time, as a reader sees it. */
struct st_point_value {
    int64_t t;
    enum st_field_type type;
    union st_value v; /* strings valid during the callback */
};

/* Calls @cb for each series of @measurement (unescaped, borrowed) in series
 * key order with its canonical key, then for each requested field (NULL =
 * all fields of the measurement) every value in [@tmin, @tmax] in time
 * order. Called under the shard's read lock: @cb must not call back into
 * the shard. */
struct st_shard_read_cb {
    int (*series)(void *arg, struct st_slice key);
    int (*field)(void *arg, struct st_slice field, enum st_field_type type);
    int (*value)(void *arg, const struct st_point_value *pv);
    void *arg;
};
int st_shard_read_raw(st_shard *s, struct st_slice measurement, const struct st_slice *fields,
                      size_t nfields, int64_t tmin, int64_t tmax,
                      const struct st_shard_read_cb *cb);

/* ---- Scans: what the query executor reads ------------------------------- */

/* A run of values of one (series, field): @n >= 1 points, times ascending and
 * distinct, values in the array of the field's type. Borrowed for the
 * callback only. */
struct st_scan_run {
    enum st_field_type type;
    size_t n;
    const int64_t *t;
    union {
        const double *f;
        const int64_t *i;
        const uint64_t *u;
        const bool *b;
        const struct st_slice *s;
    } v;
};

struct st_block_stats; /* segment.h */
struct st_block_entry; /* segment.h */
typedef struct st_segment st_segment;

/* A whole block a scan hands over without decoding it: the file and the
 * entry (offset, size, statistics), for its statistics or its raw bytes
 * (st_segment_read_blocks()). Valid for the callback. */
struct st_scan_block {
    const st_segment *seg;
    const struct st_block_entry *entry;
};

/* What a scan hands over, in time order: runs of values, and whole blocks
 * when @stats_ok accepts the block (NULL: never). A block is offered only
 * when it lies inside the scanned range, no other data of the key falls
 * inside its span and no tombstone touches it, so its statistics are
 * exactly the merged values there. A non-ST_OK return stops the scan,
 * which returns it (ST_ECANCELED is the usual "enough"). */
struct st_shard_scan_cb {
    bool (*stats_ok)(void *arg, const struct st_block_stats *stats);
    int (*stats)(void *arg, enum st_field_type type, const struct st_scan_block *b);
    int (*values)(void *arg, const struct st_scan_run *run);
    void *arg;
};

/* Per-thread scratch of scans: an io_uring and decode buffers, reused across
 * scans and shards. Caller owns it; free with st_shard_reader_close(). */
typedef struct st_shard_reader st_shard_reader;
int st_shard_reader_open(st_shard_reader **out);
void st_shard_reader_close(st_shard_reader *rd);
/* A few idle readers that query workers share, so that a request does not
 * set up and tear down an io_uring of its own. Thread-safe. A reader keeps
 * no segment descriptor or mapping between scans, so it may outlive the
 * shards and segment files it read (compaction, drops). @max_idle readers
 * are kept at most (the number of workers is right); the others are closed
 * when given back. Caller owns the pool; free with
 * st_shard_reader_pool_close() once no reader is out. */
typedef struct st_shard_reader_pool st_shard_reader_pool;
int st_shard_reader_pool_open(size_t max_idle, st_shard_reader_pool **out);
void st_shard_reader_pool_close(st_shard_reader_pool *pool);
/* An idle reader of @pool, with its counters and error reset, or a new one
 * (always a new one when @pool is NULL). The caller owns it until
 * st_shard_reader_put(). ST_OK, ST_ENOMEM or the ring's setup error. */
int st_shard_reader_get(st_shard_reader_pool *pool, st_shard_reader **out);
/* Gives @rd (NULL is fine) back to @pool, or closes it when the pool is full
 * or NULL. Never while a scan on it is running. Large scratch buffers are
 * freed first. */
void st_shard_reader_put(st_shard_reader_pool *pool, st_shard_reader *rd);
/* What the reader's scans did so far. */
struct st_shard_reader_stats {
    uint64_t blocks_decoded;    /* segment blocks read and decoded */
    uint64_t blocks_from_stats; /* blocks handed over as statistics */
    uint64_t values;            /* values handed over (in runs or in statistics) */
};
void st_shard_reader_stats(const st_shard_reader *rd, struct st_shard_reader_stats *out);
/* The message of the last failed scan ("segment ...: block at offset ..."). */
const char *st_shard_reader_error(const st_shard_reader *rd);

/* Scans hold the shard lock: it keeps the caches and the segment list still,
 * and stops writers, so hold it for one series at a time. Never inside an
 * index read section (writers take the lock, then the index). */
void st_shard_read_lock(st_shard *s);
void st_shard_read_unlock(st_shard *s);

/* Hands @cb the merged values of (@series, @field) of @type in [@tmin,
 * @tmax], in time order: newer writes win at equal times. Values of other
 * types (none unless a field was deleted and re-created) are skipped. Under
 * st_shard_read_lock(). ST_OK, what @cb returned, ST_ENOMEM, or a read error
 * (ST_ECORRUPT, ST_EIO ...; see st_shard_reader_error()). */
int st_shard_scan(st_shard *s, st_shard_reader *rd, uint32_t series, struct st_slice field,
                  enum st_field_type type, int64_t tmin, int64_t tmax,
                  const struct st_shard_scan_cb *cb);

/* The smallest and largest time the shard may hold (segments and caches;
 * deleted data may widen it). False when it holds nothing. Under
 * st_shard_read_lock(). */
bool st_shard_time_bounds(st_shard *s, int64_t *min, int64_t *max);

/* The shard's index, for the executor's series and schema lookups (see the
 * locking rules in index.h). Valid while the shard is open. */
struct st_index *st_shard_index(st_shard *s);

/* Deletes the values of every field of the series @ids (@n of them) in
 * [@tmin, @tmax]: DELETE / DROP SERIES. Data written after it returns is
 * kept. Durable when it returns ST_OK (a tombstone file and a WAL record);
 * compaction removes the data from the files. Errors are described in
 * @err. */
int st_shard_delete(st_shard *s, const uint32_t *ids, size_t n, int64_t tmin, int64_t tmax,
                    char *err, size_t errlen);

/* The series that DROP SERIES removed (a delete over all time) and that
 * hold no value written since: sorted, malloc'ed into *@ids (caller
 * frees). Schema listings leave them out, as InfluxDB removes them from
 * its index; they stay in this shard's index, ready to be written again. */
int st_shard_dropped(st_shard *s, uint32_t **ids, size_t *n);

/* Writes the cache into a segment file now (normally the background
 * flusher does it past cache_max_bytes). ST_OK also when there is nothing. */
int st_shard_flush(st_shard *s);

/* Merges all segment files into one now (normally done in the background
 * once ST_SHARD_COMPACT_AT files exist). */
int st_shard_compact(st_shard *s);

/* Counters for tests and metrics. */
struct st_shard_stats {
    size_t segments;
    size_t cache_bytes;
    size_t cache_values;
    int flushing;
    char bg_error[640]; /* last background flush/compaction failure, "" if none */
};
void st_shard_stats(st_shard *s, struct st_shard_stats *out);

#endif
