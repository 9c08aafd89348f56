/* The write-ahead log of one shard: durable, group-committed appends of typed records. */
#ifndef ST_WAL_H
#define ST_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* ---- On-disk format (docs/storage-wal.md) --------------------------------
 *
 * A WAL is a directory of segment files named by their sequence number,
 * "%08llu.wal" (00000001.wal, ...), numbered from 1 without gaps.
 *
 * Segment header, ST_WAL_HEADER_SIZE bytes, little-endian:
 *   0  "STWAL"   magic
 *   5  u8        version (ST_WAL_VERSION)
 *   6  u16       reserved, zero
 *   8  u64       sequence number, equal to the file's name
 *   16 u32       CRC32C of bytes 0..15
 *
 * Then frames, each:
 *   0  u32       payload length
 *   4  u32       CRC32C of the length bytes, the type byte and the payload
 *                (bytes 0..3 and 8..8+length: everything but the CRC itself)
 *   8  u8        type
 *   9  payload
 *
 * Every write of the group commit is one batch: a batch frame
 * (type ST_WAL_TYPE_BATCH, ST_WAL_BATCH_PAYLOAD bytes: u32 record count,
 * u32 bytes of record frames that follow, u64 durable offset) and then its
 * record frames (types 1..ST_WAL_TYPE_MAX). The durable offset is how many
 * bytes of this segment the writer knew to be on disk (fdatasync'ed) when it
 * wrote the batch; replay uses it to tell a torn tail from corruption. A
 * batch replays whole or not at all. */

#define ST_WAL_MAGIC "STWAL"
#define ST_WAL_VERSION 1
#define ST_WAL_HEADER_SIZE 20
#define ST_WAL_FRAME_HEADER 9
#define ST_WAL_TYPE_MAX 0xEF   /* record types are 1..0xEF; 0 and 0xF0.. are reserved */
#define ST_WAL_TYPE_BATCH 0xFF /* internal: the frame that opens a batch */
#define ST_WAL_BATCH_PAYLOAD 16
#define ST_WAL_BATCH_FRAME (ST_WAL_FRAME_HEADER + ST_WAL_BATCH_PAYLOAD)
#define ST_WAL_MAX_PAYLOAD (64u << 20) /* largest record payload */

/* ---- Pure encoding and scanning (wal_format.c: no I/O) ----------------- */

/* Appends a segment header for segment @seq to @b. ST_OK or ST_ENOMEM. */
int st_wal_encode_header(struct st_buf *b, uint64_t seq);

/* Appends a batch frame announcing @count record frames of @bytes bytes in
 * all, written when @durable bytes of the segment were on disk. */
int st_wal_encode_batch(struct st_buf *b, uint32_t count, uint32_t bytes, uint64_t durable);

/* Fills the ST_WAL_BATCH_FRAME bytes at @out with a batch frame, as above. */
void st_wal_batch_frame(uint8_t *out, uint32_t count, uint32_t bytes, uint64_t durable);

/* Appends one record frame (@payload borrowed, copied). ST_OK, ST_ENOMEM, or
 * ST_EINVAL for a type outside 1..ST_WAL_TYPE_MAX or a payload larger than
 * ST_WAL_MAX_PAYLOAD. */
int st_wal_encode_record(struct st_buf *b, uint8_t type, const void *payload, size_t len);

/* Fills the ST_WAL_FRAME_HEADER bytes of a frame of @type over @len bytes
 * at @payload (borrowed), CRC included, for a writer that sends the header
 * and the payload from separate buffers. Checks nothing. */
void st_wal_frame_header(uint8_t *hdr, uint8_t type, const void *payload, uint32_t len);

/* Bytes a record frame of @len payload bytes takes. */
static inline size_t st_wal_record_size(size_t len)
{
    return ST_WAL_FRAME_HEADER + len;
}

/* One record found by the scanner. */
struct st_wal_record {
    uint8_t type;
    uint32_t len;
    const uint8_t *payload; /* points into the scanned buffer (borrowed) */
    size_t off;             /* offset of the record's frame in the buffer */
};

/* How a scan ended. */
enum st_wal_end {
    ST_WAL_END_NONE = 0, /* not yet */
    ST_WAL_END_CLEAN,    /* the data ends after a complete batch */
    ST_WAL_END_TORN,     /* the data from end_off on was never known durable: cut it */
    ST_WAL_END_CORRUPT,  /* damaged data that had been durable: report, never skip */
};

/* A scan of one segment held in memory. Fields below "results" are for the
 * caller to read; the others are private. */
struct st_wal_scan {
    const uint8_t *p; /* the segment's bytes (borrowed) */
    size_t len;
    size_t off;    /* next frame */
    uint32_t left; /* records of the current batch not yet returned */
    bool started;  /* the header has been looked at */
    /* results */
    bool header_ok;      /* the segment header is valid; seq is set */
    uint64_t seq;        /* the segment's sequence number from its header */
    uint64_t batches;    /* complete batches seen */
    enum st_wal_end end; /* set once st_wal_scan_next() returned false */
    size_t end_off;      /* bytes of good data: the tail is cut here (TORN) */
    size_t bad_off;      /* TORN/CORRUPT: the first bad frame (or header) */
    size_t proof_off;    /* CORRUPT: a later batch written after bad_off was durable */
    const char *reason;  /* TORN/CORRUPT: static text saying what is wrong at bad_off */
};

/* Starts a scan of @len bytes at @p (borrowed until the scan is dropped). */
void st_wal_scan_init(struct st_wal_scan *s, const void *p, size_t len);

/* Returns true and fills @rec with the next record, or returns false at the
 * end with s->end and the offsets set. A batch is verified entirely (every
 * frame's CRC) before its first record is returned. Damage at offset B is
 * CORRUPT when a later intact batch frame records a durable offset beyond B
 * (the writer had seen B on disk before writing it), TORN otherwise. */
bool st_wal_scan_next(struct st_wal_scan *s, struct st_wal_record *rec);

/* ---- The log ------------------------------------------------------------ */

typedef struct st_wal st_wal;

enum st_wal_sync_mode {
    ST_WAL_SYNC_ALWAYS = 0, /* an append returns after its batch is fdatasync'ed */
    ST_WAL_SYNC_INTERVAL,   /* an append returns after the write; fdatasync at most
                             * every sync_interval_ms: a machine crash (not a process
                             * crash) loses up to that much acknowledged data */
};

/* Options; a zeroed struct means the defaults. */
struct st_wal_opts {
    uint64_t segment_size;           /* rotate past this; 0 = 64 MiB; 4 KiB..1 GiB */
    enum st_wal_sync_mode sync_mode; /* default ST_WAL_SYNC_ALWAYS */
    uint32_t sync_interval_ms;       /* ST_WAL_SYNC_INTERVAL only; 0 = 100 ms */
};

/* Opens the WAL in directory @dir (borrowed; created if missing, its parent
 * must exist) and starts a new segment after the existing ones, which are
 * kept for st_wal_remove_before(). Run st_wal_replay() on @dir first: open
 * does not read old segments, and a torn tail left in one would read as
 * corruption once it is no longer the last segment. @opts is borrowed; NULL
 * means the defaults. The directory is locked (flock) until close: a second
 * open, here or in another process, fails with ST_EUNAVAIL. Caller owns *@out;
 * free with st_wal_close(). ST_OK, ST_EINVAL, ST_EUNAVAIL, ST_ENOMEM, ST_EIO,
 * ST_ENOSPC, ... */
int st_wal_open(const char *dir, const struct st_wal_opts *opts, st_wal **out);

/* Writes the queued records, marks the end of the segment as durable, stops
 * the WAL thread and frees @w. No append, rotate or remove may be running or
 * start. Returns ST_OK or the error of the final write or fdatasync (the WAL
 * is freed all the same). NULL is fine. */
int st_wal_close(st_wal *w);

/* Appends one record of @type (1..ST_WAL_TYPE_MAX) and blocks until it is
 * durable (ST_WAL_SYNC_ALWAYS) or written (ST_WAL_SYNC_INTERVAL). Borrows
 * @payload until it returns. Thread-safe: concurrent appends share one
 * write and one fdatasync (group commit); records of one thread keep their
 * order. ST_OK, ST_EINVAL (bad type, payload over ST_WAL_MAX_PAYLOAD), or
 * the I/O error: after ST_ENOSPC or a failed write the batch is cut off the
 * file and the WAL stays usable; if even that fails, or an fdatasync fails
 * in ST_WAL_SYNC_INTERVAL mode, every later append returns the error. */
int st_wal_append(st_wal *w, uint8_t type, const void *payload, size_t len);

/* Closes the current segment and starts the next; *@seq is the new segment's
 * number. Every append that returned before this call is in a segment below
 * *@seq, every append that starts after it returns is in *@seq or later
 * (appends running concurrently may land on either side: a caller that
 * flushes its cache exactly up to *@seq must hold its writers off around
 * the call). If the current segment holds no record it is kept and its
 * number returned. Thread-safe. */
int st_wal_rotate(st_wal *w, uint64_t *seq);

/* Deletes the segments numbered below @seq, never the current one. ST_OK or
 * the I/O error (st_wal_errmsg() says which file). Thread-safe. */
int st_wal_remove_before(st_wal *w, uint64_t seq);

/* Bytes in all live segment files, the current one included. Thread-safe. */
uint64_t st_wal_size(st_wal *w);

/* Copies the description of the last error (empty if none) into @buf of
 * @size bytes, NUL-terminated. Thread-safe. */
void st_wal_errmsg(st_wal *w, char *buf, size_t size);

/* ---- Recovery ------------------------------------------------------------ */

/* Called once per record in log order; @payload is valid until it returns.
 * Anything but ST_OK stops the replay and is returned. */
typedef int (*st_wal_replay_cb)(uint8_t type, const uint8_t *payload, size_t len, void *arg);

struct st_wal_replay_report {
    uint64_t segments;  /* segment files read */
    uint64_t first_seq; /* their numbers; 0 when there were none */
    uint64_t last_seq;
    uint64_t records;         /* records passed to the callback */
    uint64_t bytes;           /* their payload bytes */
    bool tail_truncated;      /* the last segment ended in a torn tail, now cut */
    uint64_t tail_offset;     /* where it was cut (0: the file was removed) */
    uint64_t truncated_bytes; /* bytes cut */
    char message[320];        /* why replay failed, naming file and offset; or "" */
};

/* Reads every segment of the WAL in @dir (borrowed) in order and calls @cb
 * with @arg for each record (@cb may be NULL: check and repair only). Cuts
 * a torn tail off the last segment (and only the last: a non-last segment
 * must be whole), durably. Returns ST_OK (also when @dir does not exist:
 * nothing to replay), ST_ECORRUPT with a message naming the file and offset
 * when data that had been durable is damaged, or a segment is missing or
 * misnamed; the I/O error; or what @cb returned. Fills *@report in every
 * case. Run it before st_wal_open(). */
int st_wal_replay(const char *dir, st_wal_replay_cb cb, void *arg,
                  struct st_wal_replay_report *report);

#endif
