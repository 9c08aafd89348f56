/* Replica comparison: a shard's logical content hashed per time slice. */
#ifndef ST_DIGEST_H
#define ST_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "shard.h"
#include "store.h"

struct st_digest_slice {
    int64_t start;   /* inclusive, aligned to the epoch (a multiple of the width) */
    int64_t end;     /* exclusive */
    uint64_t count;  /* field values in the slice */
    uint64_t digest; /* sum of the values' hashes, modulo 2^64 */
};

struct st_shard_digest {
    uint64_t size_bytes;            /* on disk, of the shard directory */
    uint64_t series;                /* series in the index */
    uint64_t values;                /* field values in [lo, hi] */
    struct st_digest_slice *slices; /* malloc'ed; caller frees */
    size_t nslices;
};

/* Digests the values of shard @s in [@lo,
 * @hi], in slices of @width ns aligned to the epoch (0: one slice). At most
 * 2^20 slices (ST_ERANGE). A value hashes its series key, field name, type,
 * time and value, so equal content gives equal digests whatever the files,
 * series ids and compactions. Takes the shard lock one series at a time. */
int st_shard_digest(st_shard *s, int64_t lo, int64_t hi, int64_t width, struct st_shard_digest *out,
                    char *err, size_t errlen);

/* The ShardDigest call: packs a DataResponse into @out. */
struct Strata__ShardDigest;
int st_data_digest(st_store *st, const struct Strata__ShardDigest *q, struct st_buf *out);

#endif
