/* The shard's in-memory write cache: recent points per (series, field). */
#ifndef ST_CACHE_H
#define ST_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lineproto.h"

/* A field value. Strings borrow memory owned by whoever made the value; the
 * cache copies them in st_cache_put(). */
union st_value {
    double f;
    int64_t i;
    uint64_t u;
    bool b;
    struct st_slice s;
};

typedef struct st_cache st_cache;

/* Creates an empty cache. Caller owns it; free with st_cache_close(). */
int st_cache_open(st_cache **out);

/* Frees the cache and everything in it. NULL is fine. */
void st_cache_close(st_cache *c);

/* Appends one value of @field (borrowed, copied) of @series at @t.
 * Returns ST_OK, ST_ENOMEM, or ST_ETYPE when the field already holds values
 * of another type in this cache (the caller checks types against the index
 * first; this is the last line of defence). Not thread-safe: the shard
 * serializes writers and readers. */
int st_cache_put(st_cache *c, uint32_t series, struct st_slice field, enum st_field_type type,
                 int64_t t, const union st_value *v);

/* Bytes of memory the cache holds (arrays and copied strings). */
size_t st_cache_bytes(const st_cache *c);

/* Number of values put, and of (series, field) entries. */
size_t st_cache_values(const st_cache *c);
/* The smallest and largest time put (false when nothing was). */
bool st_cache_time_bounds(const st_cache *c, int64_t *min, int64_t *max);
size_t st_cache_entries(const st_cache *c);

/* A sorted, deduplicated view of one entry: times ascending, one value per
 * time (the last one put wins). Valid until the next st_cache_put() or the
 * cache is closed. */
struct st_cache_view {
    uint32_t series;
    struct st_slice field; /* owned by the cache */
    enum st_field_type type;
    size_t n;
    const int64_t *t;
    const union st_value *v;
};

/* Finds the entry of (@series, @field) and sorts it. ST_OK, ST_ENOTFOUND
 * or ST_ENOMEM. */
int st_cache_find(st_cache *c, uint32_t series, struct st_slice field, struct st_cache_view *out);

/* Calls @cb for every entry in (series, field name) order, each sorted as
 * in st_cache_find(). Stops at the first non-ST_OK return of @cb and
 * returns it. Used to flush the cache into a segment file. */
int st_cache_each(st_cache *c, int (*cb)(const struct st_cache_view *v, void *arg), void *arg);

/* Removes the values in [@tmin, @tmax] of every field of the series in
 * @ids (sorted, @n of them); returns how many. Memory is kept (and still
 * counted) until the cache is closed. Keeps entries sorted if they were. */
size_t st_cache_delete(st_cache *c, const uint32_t *ids, size_t n, int64_t tmin, int64_t tmax);

#endif
