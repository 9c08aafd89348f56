/* Private to the WAL module: directory helpers shared by wal.c and wal_replay.c. */
#ifndef ST_WAL_INT_H
#define ST_WAL_INT_H

#include <stddef.h>
#include <stdint.h>

/* Writes the file name of segment @seq ("%08llu.wal") into @name. */
void st_wal_seg_name(char *name, size_t size, uint64_t seq);

/* Lists the segment numbers in the directory @dirfd (borrowed), ascending.
 * Caller owns *@out; free with free(). ST_OK, ST_ENOMEM or the I/O error. */
int st_wal_list_segments(int dirfd, uint64_t **out, size_t *n);

/* Takes the WAL's lock (flock on @dirfd, released when it is closed).
 * ST_OK, ST_EUNAVAIL when someone else holds it, or the I/O error. */
int st_wal_lock_dir(int dirfd);

/* fsync(2), retried on EINTR. */
int st_wal_fsync_fd(int fd);

#endif
