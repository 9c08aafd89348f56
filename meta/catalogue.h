/* The cluster catalogue: strata-meta's deterministic raft state machine and read helpers. */
#ifndef ST_CATALOGUE_H
#define ST_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "meta.pb-c.h"

/*
 * The state is one Strata__Catalogue (proto/meta.proto); every raft log
 * entry is one packed Strata__Command, applied by st_cat_apply(). Applying is
 * deterministic: no clock, no randomness, no dependence on memory addresses;
 * two st_cat that applied the same entries encode byte-identical snapshots.
 *
 * Errors are results. A command that is invalid for the state (database not
 * found, user exists, ...) or cannot be decoded still "applies": the state is
 * unchanged except index and term, and the result carries a
 * Strata__ErrorCode and InfluxDB's words. The functions themselves fail only
 * on bad arguments (ST_EINVAL) or out of memory (ST_ENOMEM).
 *
 * Threads: an st_cat belongs to one thread (strata-meta's loop thread). The
 * read helpers (st_cat_group_for() ...) work on any decoded
 * Strata__Catalogue, so the meta client library uses them on its own copy.
 *
 * Time semantics (docs/meta-catalogue.md):
 * - a shard group covers [start_ns, end_ns); a group truncated at T
 *   (truncated_at_ns != 0) takes no new writes at or after T: for writes it
 *   covers [start_ns, min(end_ns, T)), while queries still read all of it;
 * - new groups are aligned as InfluxDB aligns them: to multiples of the
 *   policy's shard-group duration since 0001-01-01T00:00:00Z (Go's zero
 *   time), which for durations dividing a day is the same as since the Unix
 *   epoch, and puts 7-day groups on Mondays.
 */

/* InfluxDB's minimum retention policy duration (and shard-group duration). */
#define ST_CAT_HOUR_NS (3600LL * 1000000000LL)
#define ST_CAT_DAY_NS (24 * ST_CAT_HOUR_NS)

/* The outcome of one applied command. */
struct st_cat_result {
    int code;          /* a Strata__ErrorCode: STRATA__ERROR_CODE__OK on success */
    char message[512]; /* InfluxDB-worded error text; "" on success */
    bool changed;      /* the state changed beyond index and term */
    uint64_t group_id; /* CreateShardGroup: the group covering the instant, else 0 */
    /* CreateShardGroup: that group, borrowed from the state; valid until the
     * next st_cat_apply(), st_cat_decode() or st_cat_free(). Else NULL. */
    const Strata__ShardGroup *group;
    uint64_t assigned_id; /* AddDataNode: the node's id (new or existing), else 0 */
};

typedef struct st_cat st_cat;

/* Allocates an empty catalogue (index 0, next ids 1). Caller owns the result;
 * free with st_cat_free(). ST_OK or ST_ENOMEM. */
int st_cat_new(st_cat **out);

/* Frees @c and everything it holds. NULL is fine. */
void st_cat_free(st_cat *c);

/* Applies the packed Strata__Command @cmd (@len bytes, borrowed) committed at
 * raft @index and @term, and fills @res (caller-allocated). @index must be
 * above st_cat_index(): otherwise ST_EINVAL and nothing changes. Invalid
 * commands are results (see above): the return value is ST_OK for them.
 * ST_ENOMEM: out of memory; the state is unchanged except that index/term may
 * already have advanced (a raft state machine cannot continue anyway). */
int st_cat_apply(st_cat *c, uint64_t index, uint64_t term, const uint8_t *cmd, size_t len,
                 struct st_cat_result *res);

/* Appends the packed Strata__Catalogue (the raft snapshot, what GetCatalogue
 * returns) to @out. The encoding is cached until the next change, so calling
 * this after every apply costs one copy. ST_OK or ST_ENOMEM. */
int st_cat_encode(st_cat *c, struct st_buf *out);

/* Replaces the state with the packed Strata__Catalogue @p (@len bytes,
 * borrowed), e.g. a raft snapshot. The catalogue is validated: lists sorted
 * and unique, ids below the next_* counters, live groups naming existing
 * policies, owners naming existing nodes, valid enum values. Unknown fields
 * (from a newer version) are dropped. ST_ECORRUPT (state unchanged) if it
 * does not decode or validate, ST_ENOMEM. */
int st_cat_decode(st_cat *c, const uint8_t *p, size_t len);

/* Raft index of the last applied command (0 = nothing applied). */
uint64_t st_cat_index(const st_cat *c);

/* The state, borrowed: valid until the next st_cat_apply(), st_cat_decode()
 * or st_cat_free(). Never modify it. */
const Strata__Catalogue *st_cat_catalogue(const st_cat *c);

/* Validates a decoded catalogue as st_cat_decode() does. Writes why it is
 * invalid into @err (@errlen bytes; may be NULL). ST_OK or ST_ECORRUPT. */
int st_cat_validate(const Strata__Catalogue *cat, char *err, size_t errlen);

/*
 * Read helpers on a decoded Strata__Catalogue. Every returned pointer is
 * borrowed from @cat and valid as long as @cat is.
 */

/* The database @name, or NULL. Binary search. */
const Strata__Database *st_cat_database(const Strata__Catalogue *cat, const char *name);

/* The retention policy @rp of @db; NULL or "" = the database's default.
 * NULL if either does not exist (or no default is set). */
const Strata__RetentionPolicy *st_cat_rp(const Strata__Catalogue *cat, const char *db,
                                         const char *rp);

/* The data node @id, or NULL. Binary search. */
const Strata__DataNode *st_cat_node(const Strata__Catalogue *cat, uint64_t id);

/* The shard group @id, or NULL (deleted ones too). Binary search. */
const Strata__ShardGroup *st_cat_group(const Strata__Catalogue *cat, uint64_t id);

/* True if @g takes writes at @t: not deleted, start <= t < end, and not
 * truncated at or before @t. */
bool st_cat_group_covers(const Strata__ShardGroup *g, int64_t t);

/* The group of @db / @rp (NULL or "" = default policy) that takes writes at
 * @t (st_cat_group_covers()), or NULL: the router then proposes a
 * CreateShardGroup. Linear in the number of groups. */
const Strata__ShardGroup *st_cat_group_for(const Strata__Catalogue *cat, const char *db,
                                           const char *rp, int64_t t);

/* The shard of @g for a series whose key hashes to @series_hash:
 * shards[hash % n_shards]. NULL if the group has no shards. */
const Strata__Shard *st_cat_shard_for(const Strata__ShardGroup *g, uint64_t series_hash);

/* The shard @id and, through @group if not NULL, its group; NULL if none. */
const Strata__Shard *st_cat_shard(const Strata__Catalogue *cat, uint64_t id,
                                  const Strata__ShardGroup **group);

/* Retention: writes to @ids (up to @cap) the ids of live groups whose policy
 * has a duration D > 0 and whose end_ns <= @now_ns - D, in id order. Returns
 * how many there are (may exceed @cap). The leader proposes a
 * DeleteShardGroup for each. */
size_t st_cat_expired_groups(const Strata__Catalogue *cat, int64_t now_ns, uint64_t *ids,
                             size_t cap);

/* Liveness: writes to @ids (up to @cap) the ids of UP data nodes whose
 * last_heartbeat_ns < @now_ns - @timeout_ns, in id order. Returns how many
 * there are (may exceed @cap). The leader proposes UpdateDataNode DOWN. */
size_t st_cat_down_nodes(const Strata__Catalogue *cat, int64_t now_ns, int64_t timeout_ns,
                         uint64_t *ids, size_t cap);

/* InfluxDB's default shard-group duration for a policy of @duration_ns:
 * 0 (forever) or >= 180 days -> 7 days, >= 2 days -> 1 day, else 1 hour. */
int64_t st_cat_default_group_duration(int64_t duration_ns);

/* The start of the group of width @group_ns (> 0) containing @t, aligned as
 * InfluxDB aligns it (see above); saturates at INT64_MIN. */
int64_t st_cat_align(int64_t t, int64_t group_ns);

#endif
