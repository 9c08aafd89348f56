/* Shard snapshots: a consistent, crash-safe copy of a shard's files.
 *
 * These prototypes belong with the shard's API in shard.h (they are part of
 * the shard module, implemented in shard_snap.c); they live in their own
 * header only until shard.h takes them in. */
#ifndef ST_SHARD_SNAP_H
#define ST_SHARD_SNAP_H

#include <stddef.h>

#include "shard.h"

/* Makes a snapshot of shard @s in directory @dst_dir (borrowed), which must
 * not exist; its parent must. The snapshot is a shard directory that
 * st_shard_open() opens, holding every point acknowledged by
 * st_shard_write() before this call (and maybe some written during it).
 * Segment files are hard-linked (copied when @dst_dir is on another file
 * system); index.log and the WAL segments are copied. Writes and reads go
 * on meanwhile; flushes and compactions wait until it returns.
 *
 * Crash-safe: the files are built in "<dst_dir>.part", fsynced, and renamed
 * to @dst_dir, so @dst_dir either does not exist or is complete and durable.
 * On error nothing is left behind and a message naming the file is written
 * to @err (@errlen bytes). ST_OK, ST_EEXIST (@dst_dir exists), ST_ENOSPC,
 * ST_EIO, ST_ENOMEM, ... Thread-safe; borrows @s, which must stay open. */
int st_shard_snapshot(st_shard *s, const char *dst_dir, char *err, size_t errlen);

/* Deletes the snapshot in @dir (borrowed) with everything in it, and a
 * "<dir>.part" left by a crash in st_shard_snapshot(). ST_OK also when
 * neither exists; else the error of the first removal that failed. */
int st_shard_snapshot_remove(const char *dir);

#endif
