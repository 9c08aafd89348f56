/* The shards of a data node, by id, under one data directory. */
#ifndef ST_STORE_H
#define ST_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "shard.h"

typedef struct st_store st_store;

/* Opens every shard found under @dir/shards. Caller owns the store; free
 * with st_store_close(). Errors are described in @err. */
int st_store_open(const char *dir, const struct st_shard_opts *opts, st_store **out, char *err,
                  size_t errlen);

/* Closes every shard and frees the store. NULL is fine. */
void st_store_close(st_store *st);

/* Finds shard @id (creating it when @create) and takes a reference: the
 * shard stays open until st_store_release(). ST_ENOTFOUND when absent. */
int st_store_acquire(st_store *st, uint64_t id, bool create, st_shard **out, char *err,
                     size_t errlen);
void st_store_release(st_store *st, st_shard *s);

/* Removes shard @id from the store, waits for its users to release it, and
 * deletes its directory. ST_ENOTFOUND when absent. */
int st_store_drop(st_store *st, uint64_t id);

/* Writes every shard's cache into a segment file (clean shutdown: the next
 * start has no WAL to replay). Returns the first error, after trying all. */
int st_store_flush_all(st_store *st);

/* Number of open shards. */
size_t st_store_count(st_store *st);

/* The ids of the open shards, ascending, in *@ids (malloc'ed, caller frees;
 * NULL when *@n is 0). ST_OK or ST_ENOMEM. */
int st_store_ids(st_store *st, uint64_t **ids, size_t *n);

#endif
