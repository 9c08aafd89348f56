/* Internals of router/qadmin: one run of a query, and the statement executors. */
#ifndef ST_QADMIN_INT_H
#define ST_QADMIN_INT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "buf.h"
#include "client.h"
#include "influxql.h"
#include "qadmin.h"
#include "qout.h"

/* What an executor answers besides ST_OK and ST_ENOMEM. */
#define QA_FAIL ST_EINVAL        /* the statement failed: error in err; status stays 200 */
#define QA_FAIL_META ST_EUNAVAIL /* meta was unreachable: error in err; status 500 */

struct qa_run {
    const struct st_qctx *ctx;
    /* With auth, the requesting user when it is not an admin (SHOW
     * DATABASES lists only what it may read or write); borrowed from
     * @auth_cat. NULL: everything is visible. */
    const Strata__User *viewer;
    st_qout *out;              /* the answer: executors write their series into it */
    struct st_buf err;         /* the statement's error */
    const atomic_bool *killed; /* KILL QUERY of this query (NULL: never) */
};

/* Whether @s is a statement this executor does not run: it answers "not
 * implemented yet: <what>" for it, guards nothing and goes on with the
 * next statement. Only the statements the parser keeps as UNSUPPORTED. */
static inline bool qa_not_run(const struct st_iql_stmt *s)
{
    return s->kind == ST_IQL_UNSUPPORTED;
}

/* Runs @s. ST_OK (a result, maybe series), QA_FAIL, QA_FAIL_META or
 * ST_ENOMEM. */
int qa_exec(struct qa_run *r, const struct st_iql_stmt *s);

/* SELECT (qadmin_select.c): QA_FAIL, QA_FAIL_META, ST_OK or ST_ENOMEM. */
int qa_select(struct qa_run *r, const struct st_iql_stmt *s);

/* qadmin_show.c: SHOW MEASUREMENTS / TAG KEYS / TAG VALUES / FIELD KEYS /
 * SERIES (and their cardinality forms), DROP MEASUREMENT / DROP SERIES /
 * DELETE, SHOW SHARDS / SHARD GROUPS. QA_FAIL, QA_FAIL_META, ST_OK or
 * ST_ENOMEM. */
int qa_show_data(struct qa_run *r, const struct st_iql_stmt *s);
int qa_delete(struct qa_run *r, const struct st_iql_stmt *s);
int qa_show_shards(struct qa_run *r, const struct st_iql_stmt *s);

#endif
