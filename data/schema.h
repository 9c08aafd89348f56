/* The SchemaQuery call: SHOW MEASUREMENTS / TAG KEYS / TAG VALUES / FIELD KEYS / SERIES from shard
 * indexes. */
#ifndef ST_SCHEMA_H
#define ST_SCHEMA_H

#include "buf.h"
#include "index.h"
#include "shard.h"
#include "store.h"

/*
 * Answers @q over the shards it names that this node holds, into @out as a
 * packed DataResponse (resp_case RESP_SCHEMA_QUERY); shards the node does
 * not hold are listed in missing_shard_ids. Entries from all shards are
 * sorted by (measurement, key, value, type) in byte order and
 * de-duplicated; with a limit, at most that many are returned and
 * truncated says that some were left out. Per kind (proto/data.proto):
 *   MEASUREMENTS  measurement
 *   TAG_KEYS      measurement, key
 *   TAG_VALUES    measurement, key, value: the keys named in tag_keys and
 *                 those matching tag_key_regex (one of the two is needed)
 *   FIELD_KEYS    measurement, key, type
 *   SERIES        measurement, value = the canonical series key
 * The source selects measurements (one by name, those matching a regex, or
 * all). A condition (st_pred) keeps only matching series: a measurement
 * is listed when one of its series matches, a tag key when a matching
 * series has it, a tag value when a matching series has it, a field key
 * when its measurement has a matching series in the same shard (SHOW FIELD
 * KEYS has no WHERE in InfluxQL; a router sends none).
 *
 * time_range is ignored: the answer comes from the index, which knows
 * every series and field a shard ever had, as InfluxDB 1.x's SHOW queries
 * do without a time condition. The shards a router picks by time bound it.
 *
 * Errors travel in DataResponse.error: INVALID_ARGUMENT for an unknown
 * kind, TAG_VALUES without keys or a malformed condition; PARSE_ERROR for
 * a bad regex; OUT_OF_MEMORY. Returns ST_OK, or ST_ENOMEM when even the
 * response could not be packed. Thread-safe: shards are acquired from the
 * store and their indexes read in read sections.
 */
struct Strata__SchemaQuery;
int st_data_schema(st_store *st, const struct Strata__SchemaQuery *q, struct st_buf *out);

#endif
