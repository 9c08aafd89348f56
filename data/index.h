/* The per-shard series and schema index: series keys to dense ids, tag postings, field types. */
#ifndef ST_INDEX_H
#define ST_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "lineproto.h"

/*
 * Names. A series key is the canonical, escaped key of common/lineproto
 * (st_lp_series_key()): "my\ meas\,x,a\=b=c\,d\ e". Every other name that
 * goes in or comes out (measurement, tag key, tag value, field name) is
 * UNESCAPED, as users see it: "my meas,x", "a=b", "c,d e".
 *
 * Ids. Series ids are uint32, dense, from 1, in creation order. Because a new
 * series always gets the largest id so far, every id list (a measurement's
 * series, a tag value's postings) is sorted ascending and only ever appended.
 *
 * Concurrency. One pthread rwlock inside:
 * - Creating functions, st_index_series_id() and st_index_field(), lock by
 *   themselves: shared to find an existing entry (the common case, so writes
 *   of known series run alongside queries), exclusive only to create one.
 *   Any thread may call them, but never inside a read section (deadlock).
 * - Every other function marked "Read" must be called inside a read
 *   section, st_index_read_begin() .. st_index_read_end(), by any number of
 *   threads at once. What a Read function lends (id lists, names passed to
 *   callbacks) is valid until the read section ends; series keys stay valid
 *   until st_index_close(). Keep sections short and free of I/O: creation
 *   waits for them (glibc's rwlock prefers readers). To resolve a batch of
 *   keys, st_index_lookup() them in one section, then st_index_series_id()
 *   the misses after it.
 * - st_index_sync() and st_index_errmsg() may be called from any thread at
 *   any time, also inside a read section; a sync never blocks creation for
 *   the length of an fsync.
 * - st_index_close() must not race with any other call.
 *
 * Durability. Creations are appended to <dir>/index.log (one write() each,
 * no fsync). st_index_sync() makes everything created before it durable.
 * After a crash the log may lose an unsynced tail, and series replayed from
 * the WAL may then get other ids than before. That is safe under two rules
 * the shard keeps (docs/storage-index.md):
 *   1. WAL records carry series keys and field names, never ids or types
 *      taken from the index, so a WAL replay re-creates lost entries.
 *   2. The shard calls st_index_sync() before it writes a segment file (the
 *      only durable thing that holds series ids) and before it trims its
 *      WAL. So every id a segment references is in the synced log prefix,
 *      and st_index_open() restores it with the same id.
 */

/* Longest series key, measurement, tag or field name accepted (InfluxDB's
 * limit on series keys). */
#define ST_INDEX_MAX_KEY 65535

typedef struct st_index st_index;

/* Opens the index of the shard directory @dir (borrowed; it must exist),
 * creating <dir>/index.log or replaying it. A torn tail past the synced
 * length is cut off (st_index_stats().dropped_bytes says how much); a bad
 * record inside the synced length, a bad header or an inconsistent record
 * fails with ST_ECORRUPT. Caller owns the index; free with st_index_close().
 * On error writes a message into @err (size @errlen). ST_OK, ST_ENOMEM,
 * ST_ECORRUPT, or a failed system call's code (ST_ENOTFOUND for a missing
 * @dir, ST_EIO, ST_ENOSPC, ...). */
int st_index_open(const char *dir, st_index **out, char *err, size_t errlen);

/* Closes the log and frees the index. Does not sync: call st_index_sync()
 * first when the shard needs that. NULL is fine. */
void st_index_close(st_index *idx);

/* fdatasyncs the log, then records the synced length in the log's header.
 * ST_OK, ST_EIO or ST_ENOSPC. */
int st_index_sync(st_index *idx);

/* Starts and ends a read section (a shared lock). Not recursive. */
void st_index_read_begin(st_index *idx);
void st_index_read_end(st_index *idx);

/* Returns the id of the series with canonical key @key (@len bytes,
 * borrowed; copied when created), creating it when it is new. *@created
 * (may be NULL) tells which. ST_OK, ST_EINVAL (not a canonical key: empty
 * measurement, a tag without '=' or value, tags not sorted, or longer than
 * ST_INDEX_MAX_KEY), ST_ENOMEM, ST_EIO or ST_ENOSPC (log write failed,
 * nothing created). Not inside a read section. */
int st_index_series_id(st_index *idx, const char *key, size_t len, uint32_t *id, bool *created);

/* Read. The id of series @key. ST_OK or ST_ENOTFOUND. */
int st_index_lookup(st_index *idx, const char *key, size_t len, uint32_t *id);

/* Read. The canonical key of series @id, valid until st_index_close();
 * {NULL, 0} for an unknown id. */
struct st_slice st_index_series_key(st_index *idx, uint32_t id);

/* Gets or creates field @field of @measurement (both unescaped, borrowed)
 * with type @type. ST_OK when it is new or has that type; ST_ETYPE when it
 * already has another type, stored in *@existing (may be NULL); ST_EINVAL
 * for an empty or too long name or a bad type; ST_ENOMEM, ST_EIO or
 * ST_ENOSPC. Not inside a read section. */
int st_index_field(st_index *idx, struct st_slice measurement, struct st_slice field,
                   enum st_field_type type, enum st_field_type *existing);

/* Read. The type of an existing field. ST_OK or ST_ENOTFOUND. */
int st_index_field_type(st_index *idx, struct st_slice measurement, struct st_slice field,
                        enum st_field_type *type);

/* Appends InfluxDB's text for a refused field to @out: `field type
 * conflict: input field "x" on measurement "m" is type integer, already
 * exists as type float`. Names unescaped, borrowed. ST_OK or ST_ENOMEM. */
int st_index_field_conflict(struct st_buf *out, struct st_slice measurement, struct st_slice field,
                            enum st_field_type input, enum st_field_type existing);

/* Listing callbacks. Names and ids are lent for the call. A return other
 * than ST_OK stops the listing, which returns that value. A callback may
 * call Read functions; it must not create. */
typedef int (*st_index_name_cb)(void *arg, struct st_slice name);
typedef int (*st_index_value_cb)(void *arg, struct st_slice value, const uint32_t *ids, size_t n);
typedef int (*st_index_field_cb)(void *arg, struct st_slice name, enum st_field_type type);

/* Read. Measurements that have series, in byte order. ST_OK, ST_ENOMEM or
 * what @cb returned. */
int st_index_measurements(st_index *idx, st_index_name_cb cb, void *arg);

/* Read. Tag keys of @measurement, in byte order; nothing for an unknown
 * measurement. */
int st_index_tag_keys(st_index *idx, struct st_slice measurement, st_index_name_cb cb, void *arg);

/* Read. Values of @tag_key in @measurement, in byte order, each with its
 * sorted postings: a regex predicate is evaluated by matching values here
 * and merging their ids (st_index_normalize()). */
int st_index_tag_values(st_index *idx, struct st_slice measurement, struct st_slice tag_key,
                        st_index_value_cb cb, void *arg);

/* Read. Fields of @measurement with their types, in byte order. */
int st_index_fields(st_index *idx, struct st_slice measurement, st_index_field_cb cb, void *arg);

/* Read. The sorted ids of the series of @measurement that have
 * @tag_key=@tag_value, lent until the read section ends. An unknown name
 * gives an empty list (*@n = 0, *@ids not NULL). Always ST_OK. */
int st_index_postings(st_index *idx, struct st_slice measurement, struct st_slice tag_key,
                      struct st_slice tag_value, const uint32_t **ids, size_t *n);

/* Read. The sorted ids of all series of @measurement, lent as above. */
int st_index_measurement_series(st_index *idx, struct st_slice measurement, const uint32_t **ids,
                                size_t *n);

/* Set operations on sorted, duplicate-free id lists (borrowed), writing a
 * sorted, duplicate-free result into @out and returning its length. These
 * evaluate tag predicates: AND is intersect, OR is union, k != v is the
 * measurement's series minus the postings of k=v.
 * intersect: @out holds min(na, nb) ids; it may be @a or @b.
 * union: @out holds na + nb ids; it must not overlap @a or @b.
 * difference (a minus b): @out holds na ids; it may be @a. */
size_t st_index_intersect(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                          uint32_t *out);
size_t st_index_union(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, uint32_t *out);
size_t st_index_difference(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                           uint32_t *out);

/* Sorts @ids in place and drops duplicates; returns the new length. The
 * union of many lists: concatenate them, then normalize. */
size_t st_index_normalize(uint32_t *ids, size_t n);

/* A canonical series key split into unescaped parts; reusable, it stops
 * allocating once warm. */
struct st_index_tag {
    struct st_slice key;   /* unescaped */
    struct st_slice value; /* unescaped */
};
struct st_index_key {
    struct st_slice measurement; /* unescaped */
    struct st_index_tag *tags;   /* in key order */
    size_t ntags, tags_cap;
    struct st_buf text; /* holds the unescaped names */
};

/* Initializes an empty key; allocates nothing. */
void st_index_key_init(struct st_index_key *k);

/* Frees it. Safe after init, and twice. */
void st_index_key_fini(struct st_index_key *k);

/* Splits canonical key @key (@len bytes, borrowed) into @k, replacing its
 * content; the slices point into @k and stay valid until the next parse.
 * A separator is a ',' (or the '=' of a tag) whose previous byte is not a
 * backslash, as InfluxDB scans keys. ST_OK, ST_EINVAL (see
 * st_index_series_id()) or ST_ENOMEM. */
int st_index_key_parse(struct st_index_key *k, const char *key, size_t len);

/* Counters, for monitoring and tests. */
struct st_index_stats {
    uint32_t series;        /* series created */
    uint32_t measurements;  /* measurements that have series */
    size_t memory_bytes;    /* heap held by the index's structures */
    uint64_t log_bytes;     /* size of index.log */
    uint64_t synced_bytes;  /* its length at the last st_index_sync() */
    uint64_t dropped_bytes; /* torn tail cut off by st_index_open() */
};

/* Read. Fills @out. */
void st_index_stats(st_index *idx, struct st_index_stats *out);

/* Copies the message of the last failed creation or sync ("index log
 * /d/index.log: write: No space left on device") into @buf (size @len);
 * an empty string if none. Any thread, any time. */
void st_index_errmsg(st_index *idx, char *buf, size_t len);

#endif
