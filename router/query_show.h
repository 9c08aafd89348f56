/* The data statements other than SELECT: SHOW MEASUREMENTS / TAG KEYS / TAG VALUES / FIELD KEYS /
 * SERIES, their cardinality forms, DROP MEASUREMENT, DROP SERIES and DELETE (st_query_). */
#ifndef ST_QUERY_SHOW_H
#define ST_QUERY_SHOW_H

#include "buf.h"
#include "influxql.h"
#include "query.h"

/*
 * st_query_show() answers a SHOW statement about the data of a database
 * (docs/show-statements.md) from the data nodes' indexes: one live owner
 * per shard, with the failover of SELECT; a shard no owner holds is empty.
 * The answer has InfluxDB 1.6's series, columns, order and LIMIT/OFFSET.
 *
 * st_query_delete() runs DROP MEASUREMENT, DROP SERIES or DELETE on every
 * owner of every shard of the database the statement touches: a delete
 * must reach every replica. An owner the catalogue marks DOWN fails the
 * statement before anything is sent; an owner that fails during the call
 * fails it after the others applied it (deletes are idempotent: run the
 * statement again once the node is back).
 */

/* Runs @s (a SHOW MEASUREMENTS ... SHOW SERIES statement or a cardinality
 * one, borrowed). ST_OK: *@out is the result, owned by the caller
 * (st_qres_free()). ST_EINVAL: the statement failed, InfluxDB's message in
 * @err. ST_EUNAVAIL: no catalogue, or no owner of a shard answered
 * (message in @err). ST_ENOMEM. */
int st_query_show(const struct st_query_env *env, const struct st_query_req *req,
                  const struct st_iql_stmt *s, struct st_qres **out, struct st_buf *err);

/* Runs @s (DROP MEASUREMENT, DROP SERIES or DELETE, borrowed). ST_OK when
 * every owner applied it; ST_EINVAL with the reason in @err (a bad
 * condition, an owner down or failing); ST_EUNAVAIL: no catalogue;
 * ST_ENOMEM. */
int st_query_delete(const struct st_query_env *env, const struct st_query_req *req,
                    const struct st_iql_stmt *s, struct st_buf *err);

#endif
