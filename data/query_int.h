/* Private to the query executor (query.c, query_agg.c, query_raw.c). */
#ifndef ST_QUERY_INT_H
#define ST_QUERY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data.pb-c.h"
#include "shard.h"

/* Memory of one query, freed at once: the plan and the packed response's
 * members. A bump allocator over zeroed chunks: an answer of N windows is
 * 4N small objects, and one malloc each was most of the allocator's time. */
struct q_chunk;
struct q_arena {
    struct q_chunk *chunks; /* newest first; the first one is being carved */
    size_t used, size;      /* bytes carved from / in the first chunk */
    size_t next;            /* size of the next regular chunk */
    int oom;                /* an allocation failed: the query fails with ST_ENOMEM */
};
void *q_alloc(struct q_arena *a, size_t size); /* zeroed; NULL (and oom) on failure */
char *q_strdup(struct q_arena *a, const char *p, size_t len);
void q_arena_free(struct q_arena *a);

/* A field of a measurement in one shard. */
struct q_field {
    struct st_slice name; /* in the arena */
    enum st_field_type type;
};

/* One series of one shard, assigned to a group. */
struct q_item {
    struct st_slice gkey; /* group key: measurement NUL value NUL ... (arena) */
    size_t shard;         /* index into q_plan.shards */
    uint32_t series;
    struct st_slice key;          /* canonical series key, owned by the shard's index */
    const struct q_field *fields; /* the requested fields of its measurement there */
    size_t nfields;
};

/* An output column: one (field, type) of a group. */
struct q_col {
    struct st_slice name;
    enum st_field_type type;
};

struct q_plan {
    const Strata__Query *q;
    struct q_arena *arena;
    st_shard **shards; /* acquired */
    size_t nshards;
    struct q_item *items; /* sorted by (group key, series key, shard) */
    size_t nitems;
    int64_t tmin, tmax;
    unsigned want;       /* ST_AGG_* flags of the aggregates asked */
    bool stats_minmax;   /* block stats may answer min/max (times not needed) */
    struct st_tz *tz;    /* Query.time_zone, NULL: UTC (owned) */
    st_shard_reader *rd; /* scratch of scans */
    int64_t deadline_ns; /* CLOCK_MONOTONIC */
    Strata__QueryStats *stats;
    char *err; /* message of a failure */
    size_t errlen;
};

/* Columns of the items [@first, @first + @n): the distinct (field, type)
 * pairs, sorted by name then type, into *@cols (arena). */
int q_group_cols(struct q_plan *p, size_t first, size_t n, struct q_col **cols, size_t *ncols);
/* The column index of (@name, @type) in @cols, or -1. */
long q_col_find(const struct q_col *cols, size_t ncols, struct st_slice name,
                enum st_field_type type);
/* ST_ETIMEDOUT once the deadline passed. */
int q_check_deadline(struct q_plan *p);

/* Computes one group's result into @sr: aggregate windows (query_agg.c)
 * or raw rows (query_raw.c). @skip windows/rows of the group were sent in
 * earlier pages; at most @budget are added; *@more is set when some are
 * left. *@used counts what was added. */
int q_group_agg(struct q_plan *p, size_t first, size_t n, Strata__SeriesResult *sr, uint64_t skip,
                uint64_t budget, uint64_t *used, bool *more);
int q_group_raw(struct q_plan *p, size_t first, size_t n, Strata__SeriesResult *sr, uint64_t skip,
                uint64_t budget, uint64_t *used, bool *more);

#endif
