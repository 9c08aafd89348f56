/* Shard copy: serves snapshots of shards in chunks (the ShardCopy RPC) and pulls one from a peer.
 */
#ifndef ST_COPY_H
#define ST_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rpc.h"
#include "store.h"

#define ST_COPY_DEFAULT_CHUNK (4u << 20) /* max_chunk_bytes = 0 */
#define ST_COPY_MAX_CHUNK (64u << 20)    /* larger requests are served this much */
#define ST_COPY_IDLE_MS (10 * 60 * 1000) /* an unused session is dropped after this */
#define ST_COPY_DONE_MS (60 * 1000)      /* a finished one, after this (a lost last answer) */
#define ST_COPY_MAX_SESSIONS 16          /* more starts answer UNAVAILABLE */

/* ---- Server: the ShardCopy RPC (docs/shard-copy.md) ---------------------- */

typedef struct st_copy st_copy;

/* Opens the session table of the node whose data directory is @datadir
 * (borrowed; created if missing). Snapshots live in <datadir>/snapshots/,
 * next to <datadir>/shards/ so that they can hard-link segment files; what
 * an earlier run left there is deleted now. One st_copy per data directory.
 * Caller owns *@out; free with st_copy_close(). ST_OK, ST_ENOMEM or the I/O
 * error. */
int st_copy_open(const char *datadir, st_copy **out);

/* Deletes every session's snapshot and frees @c. No st_copy_handle() may be
 * running or start. NULL is fine. */
void st_copy_close(st_copy *c);

/* Answers one ShardCopy request (@req borrowed) against the shards of @st
 * (borrowed) by appending a packed DataResponse, resp_case SHARD_COPY, to
 * @out. An empty token snapshots the shard (st_shard_snapshot) and answers
 * its first chunk; a token answers the chunk it names, the same bytes every
 * time. Errors travel in DataResponse.error: NOT_FOUND (no such shard; a
 * token whose session expired: start again), INVALID_ARGUMENT (a token not
 * made here, or of another shard), UNAVAILABLE (ST_COPY_MAX_SESSIONS
 * copies running), IO_ERROR, DISK_FULL, OUT_OF_MEMORY. Returns ST_OK, or
 * ST_ENOMEM when even the answer cannot be built. Thread-safe. */
struct Strata__ShardCopy;
int st_copy_handle(st_copy *c, st_store *st, const struct Strata__ShardCopy *req,
                   struct st_buf *out);

/* Sessions held now (running, or finished and kept for a lost answer). Also
 * drops the expired ones. Thread-safe. */
size_t st_copy_count(st_copy *c);

/* For tests: how long an unused session (@idle_ms, default ST_COPY_IDLE_MS)
 * and a finished one (@done_ms, default ST_COPY_DONE_MS) are kept. */
void st_copy_set_timeouts(st_copy *c, int64_t idle_ms, int64_t done_ms);

/* ---- Client: pull a shard from a peer ------------------------------------ */

/* Options of st_copy_fetch_with(); a zeroed struct means the defaults. */
struct st_copy_fetch_opts {
    uint32_t max_chunk_bytes; /* asked of the server; 0: its default (4 MiB) */
    int call_timeout_ms;      /* per chunk; 0: 30000 */
    int attempts;             /* tries per chunk before giving up; 0: 5 */
};

/* Copies shard @shard_id from the node behind @cl (borrowed) into the new
 * directory @dst_dir (borrowed; must not exist, its parent must), ready
 * for st_shard_open(). Files are written in "<dst_dir>.part", each chunk
 * and each whole file checked against its CRC32C, fsynced with their
 * directories, and renamed to @dst_dir at the end: @dst_dir either does not
 * exist or holds the complete snapshot. A failed call (transport error,
 * CRC mismatch, UNAVAILABLE ...) is retried with the same token. On error
 * "<dst_dir>.part" is removed and @err (@errlen bytes) says why: ST_EEXIST,
 * ST_ENOTFOUND (no such shard there, or the session expired: call again),
 * ST_ECORRUPT (a chunk kept failing its CRC, or a file its whole-file CRC),
 * ST_EPROTO (answers that do not fit together), ST_ETIMEDOUT, ST_EUNAVAIL,
 * the local I/O error, ... */
int st_copy_fetch(st_rpc_client *cl, uint64_t shard_id, const char *dst_dir, char *err,
                  size_t errlen);
int st_copy_fetch_with(st_rpc_client *cl, uint64_t shard_id, const char *dst_dir,
                       const struct st_copy_fetch_opts *opts, char *err, size_t errlen);

#endif
