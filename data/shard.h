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
    size_t cache_max_bytes; /* flush the cache into a segment beyond this; default 64 MiB */
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
