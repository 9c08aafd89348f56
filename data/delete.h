/* The DeleteSeries and DeleteRange calls of the data RPC. */
#ifndef ST_DELETE_H
#define ST_DELETE_H

#include "buf.h"
#include "store.h"

struct Strata__DeleteSeries;
struct Strata__DeleteRange;

/* DROP SERIES / DROP MEASUREMENT: every value of the matching series of
 * each requested shard. Packs a DataResponse into @out; ST_OK unless out
 * of memory. The series stay in the shard's index (SHOW SERIES still lists
 * them; see docs/data-node.md). */
int st_data_delete_series(st_store *st, const struct Strata__DeleteSeries *q, struct st_buf *out);

/* DELETE FROM ... WHERE time: the values of the matching series in the
 * range. values_deleted is not counted (0). */
int st_data_delete_range(st_store *st, const struct Strata__DeleteRange *q, struct st_buf *out);

#endif
