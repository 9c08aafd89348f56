/* Hinted handoff: a durable, bounded FIFO of write batches for one data node. */
#ifndef ST_HH_H
#define ST_HH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * When an owner of a shard does not take a batch, the router keeps the
 * batch here, on its own disk, and a replayer sends it when the owner is
 * back (docs/router-write.md says why router-local). One queue per data
 * node, in its own directory:
 *
 *   DIR/<first offset, 20 digits>.hh   segment files of records
 *       [u32 payload length][u32 CRC32C of payload][payload]
 *   DIR/ack                            the offset replayed up to (a hint:
 *                                      replaying a batch twice is harmless)
 *
 * Offsets are logical bytes since the queue was created. st_hh_append()
 * returns after fdatasync: a hint is as durable as an acknowledged write.
 * A torn tail (crash during an append) is cut off at open; a bad CRC in the
 * middle ends the queue there, reported through @err at open.
 *
 * Thread-safe: appenders and one reader (the replayer) share a queue.
 */

typedef struct st_hh st_hh;

/* Opens or creates the queue in @dir (created if missing) holding at most
 * @max_bytes of unreplayed records (0: 1 GiB). Caller owns it. */
int st_hh_open(const char *dir, uint64_t max_bytes, st_hh **out, char *err, size_t errlen);

/* Closes (does not delete) the queue. NULL is fine. */
void st_hh_close(st_hh *q);

/* Appends one record (@len bytes, copied) durably. ST_ENOSPC when it would
 * take the queue over its bound (message in @err); ST_EIO on a write or
 * sync failure (the record is then not in the queue). */
int st_hh_append(st_hh *q, const void *p, size_t len, char *err, size_t errlen);

/* The oldest unreplayed record into @out (replacing its content) and its
 * end offset into *@next, for st_hh_ack(). ST_ENOTFOUND when empty. */
int st_hh_peek(st_hh *q, struct st_buf *out, uint64_t *next);

/* Marks everything before @next replayed; removes segment files wholly
 * replayed. */
void st_hh_ack(st_hh *q, uint64_t next);

/* Bytes of unreplayed records (what counts against the bound). */
uint64_t st_hh_bytes(st_hh *q);

/* Number of unreplayed records. */
uint64_t st_hh_records(st_hh *q);

#endif
