/* Immutable segment files of a shard: encoded blocks per (series, field) with
 * per-block statistics in an index, written once and read in io_uring batches. */
#ifndef ST_SEGMENT_H
#define ST_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lineproto.h"

/* ---- Block statistics ----------------------------------------------------- */

/* A 64-bit statistic value; the member that counts follows the field type:
 * f for floats, i for integers, u for unsigned and booleans (0 or 1). Strings
 * have none (all zero). */
union st_stat_value {
    double f;
    int64_t i;
    uint64_t u;
};

/* What a query needs to answer count, sum, mean, min, max, first and last
 * over a whole block without decoding it. The points of a block are in time
 * order with distinct times, so first is the value at min_time and last the
 * value at max_time. */
struct st_block_stats {
    int64_t min_time;          /* time of the first point */
    int64_t max_time;          /* time of the last point, >= min_time */
    uint32_t count;            /* points in the block, >= 1 */
    double sum;                /* numbers and booleans: sum as a double, in time order */
    uint64_t isum_lo;          /* integers, unsigned, booleans: the exact sum as a 128-bit */
    int64_t isum_hi;           /*   two's complement integer (hi:lo); 0 for floats, strings */
    union st_stat_value min;   /* smallest value; floats ignore NaN unless all are NaN */
    union st_stat_value max;   /* largest value, the same way */
    union st_stat_value first; /* value at min_time */
    union st_stat_value last;  /* value at max_time */
};

/* Starts statistics of an empty block (count 0). */
void st_block_stats_init(struct st_block_stats *s);

/* Adds the point (@t, @v) of a field of @type; points come in increasing
 * time order. Strings count and move the times only. The caller may fill
 * st_block_stats itself instead: the segment stores what it is given. */
void st_block_stats_add(struct st_block_stats *s, enum st_field_type type, int64_t t,
                        union st_stat_value v);

/* ---- Writer --------------------------------------------------------------- */

typedef struct st_segment_writer st_segment_writer;

/* Starts a new segment that will be published as @path (borrowed, copied):
 * it is written as "<path>.tmp", created exclusively (ST_EEXIST if a stale
 * one is there: the shard removes *.tmp when it opens). Caller owns the
 * writer; st_segment_writer_finish() or _abort() frees it. On error a
 * message naming the file goes to @err (may be NULL). Not thread-safe. */
int st_segment_writer_open(const char *path, st_segment_writer **out, char *err, size_t errlen);

/* Appends one encoded block (@block, @len bytes, borrowed and copied; opaque
 * here) of (@series, @field, @type) with its statistics (borrowed, copied;
 * for strings only times and count are kept). Blocks come in (series, field
 * name bytes, time) order, a field keeps one type, count >= 1, min_time <=
 * max_time, and a block starts after the previous block of its field ends:
 * otherwise ST_EINVAL and nothing is written (the writer stays usable). An
 * I/O error (ST_EIO, ST_ENOSPC, ...) is final: only _finish (which then
 * fails) or _abort remain. */
int st_segment_writer_add(st_segment_writer *w, uint32_t series, struct st_slice field,
                          enum st_field_type type, const struct st_block_stats *stats,
                          const void *block, size_t len, char *err, size_t errlen);

/* Writes the index and footer, fdatasyncs, publishes the file under its
 * final name (never replacing an existing file: ST_EEXIST) and fsyncs the
 * directory: after ST_OK the segment survives a crash. Frees @w whatever
 * happens; on error the temporary file is removed. */
int st_segment_writer_finish(st_segment_writer *w, char *err, size_t errlen);

/* Drops the temporary file and frees @w. NULL is fine. */
void st_segment_writer_abort(st_segment_writer *w);

/* ---- Reader --------------------------------------------------------------- */

typedef struct st_segment st_segment;

/* One block as the index describes it. */
struct st_block_entry {
    uint64_t offset;             /* file offset of the payload */
    uint32_t size;               /* payload bytes (the CRC trailer is not counted) */
    struct st_block_stats stats; /* includes min_time, max_time and count */
};

/* One (series, field) of a segment and its blocks. */
struct st_segment_key {
    uint32_t series;
    enum st_field_type type;
    struct st_slice field;                /* name, owned by the reader */
    const struct st_block_entry *entries; /* in time order, disjoint; owned by the reader */
    size_t nentries;                      /* >= 1 */
};

/* Opens the segment at @path (borrowed): checks header, footer and index
 * checksums and structure (ST_ECORRUPT naming the file and section, ST_EPROTO
 * for a newer format) and loads the index into memory; block checksums are
 * checked when blocks are read. Costs 3 preads and a parse of the index; the
 * reader holds one file descriptor until st_segment_close(). Caller owns the
 * result; free with st_segment_close(). A reader is immutable: any number of
 * threads may use it at once. */
int st_segment_open(const char *path, st_segment **out, char *err, size_t errlen);

/* The same over a whole segment file held in memory: borrows @image until
 * st_segment_close(); blocks are then read from it. Holds no descriptor. */
int st_segment_open_mem(const void *image, size_t len, st_segment **out, char *err, size_t errlen);

/* Closes the descriptor and frees the index. NULL is fine. */
void st_segment_close(st_segment *r);

/* What a reader knows about its file. */
struct st_segment_info {
    const char *path;   /* owned by the reader; "<memory>" for _open_mem */
    uint64_t file_size; /* bytes */
    int64_t min_time;   /* of all blocks; INT64_MAX when there are none */
    int64_t max_time;   /* of all blocks; INT64_MIN when there are none */
    size_t nseries;     /* distinct series ids */
    size_t nkeys;       /* (series, field) pairs */
    size_t nblocks;     /* block entries */
    size_t mem_bytes;   /* memory the reader holds (the decoded index) */
};

void st_segment_info(const st_segment *r, struct st_segment_info *out);

/* Key @i in (series, field name) order, or NULL if @i >= nkeys. Valid until
 * st_segment_close(). */
const struct st_segment_key *st_segment_key_at(const st_segment *r, size_t i);

/* The keys of @series are st_segment_key_at(r, *first + k) for k < the
 * returned count (0 if the series is absent). */
size_t st_segment_series_keys(const st_segment *r, uint32_t series, size_t *first);

/* Finds (@series, @field (borrowed)): ST_OK with *@out valid until
 * st_segment_close(), or ST_ENOTFOUND. */
int st_segment_find(const st_segment *r, uint32_t series, struct st_slice field,
                    const struct st_segment_key **out);

/* Of @key's entries, those overlapping [@tmin, @tmax] are entries[*first +
 * k] for k < the returned count. Binary search. */
size_t st_segment_key_range(const struct st_segment_key *key, int64_t tmin, int64_t tmax,
                            size_t *first);

/* Caps the file descriptors that all segment readers of the process hold
 * at once (0, the default: no cap). Past it, the least recently used idle
 * readers close theirs and reopen it at their next read; readers busy in a
 * read keep theirs, so the cap may be passed briefly by the number of
 * concurrent reads. Any thread. */
void st_segment_set_fd_limit(size_t n);
/* Descriptors segment readers hold now. */
size_t st_segment_open_fds(void);

/* ---- Batched block reads -------------------------------------------------- */

/* An io_uring and its request array, reused across reads. Belongs to one
 * thread (a query worker keeps one) and serves any number of readers. Holds
 * one file descriptor (the ring). */
typedef struct st_segment_io st_segment_io;

/* @depth: reads in flight at once (0 means 64). Caller owns the result; free
 * with st_segment_io_close(). ST_OK, ST_ENOMEM or the ring's setup error. */
int st_segment_io_open(unsigned depth, st_segment_io **out);

/* NULL is fine. Never call it while a read on @io is running. */
void st_segment_io_close(st_segment_io *io);

/* A block to read: @entry comes from this reader's index (borrowed), @dst
 * (caller-owned) has room for entry->size bytes. */
struct st_block_ref {
    const struct st_block_entry *entry;
    void *dst;
};

/* Reads the @n blocks of @refs (borrowed) into their buffers, up to the io's
 * depth at once in one io_uring, and checks each block's CRC. With @io NULL a
 * ring is set up for this call alone (a few syscalls and one descriptor more:
 * fine for a one-off, a worker should keep an io). ST_OK; ST_ECORRUPT (a
 * checksum mismatch or a file shorter than its index says, naming the file
 * and block offset in @err); ST_EINVAL for an entry not of this reader; an
 * I/O error. On error the content of every @dst is unspecified. */
int st_segment_read_blocks(const st_segment *r, st_segment_io *io, const struct st_block_ref *refs,
                           size_t n, char *err, size_t errlen);

#endif
