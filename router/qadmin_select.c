/* SELECT in /query: run it through the query engine, write its series. */
#include <string.h>
#include <time.h>

#include "err.h"
#include "qadmin_int.h"
#include "query.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int qa_select(struct qa_run *r, const struct st_iql_stmt *s)
{
    const struct st_qctx *ctx = r->ctx;
    if (ctx->owners == NULL) {
        int rv = st_buf_puts(&r->err, "not implemented yet: SELECT");
        return rv == ST_OK ? QA_FAIL : rv;
    }
    struct st_query_env env = {.meta = ctx->meta,
                               .owners = ctx->owners,
                               .timeout_ms = ctx->query_timeout_ms,
                               .max_points = ctx->max_points,
                               .max_buckets = ctx->max_buckets};
    struct st_query_req req = {.db = ctx->db, .rp = ctx->rp, .now_ns = now_ns()};
    struct st_qres *res = NULL;
    int rv = st_query_select(&env, &req, s->sel, &res, &r->err);
    if (rv == ST_EINVAL)
        return QA_FAIL;
    if (rv == ST_EUNAVAIL)
        return QA_FAIL_META;
    if (rv != ST_OK)
        return rv;
    rv = st_qout_time_zone(r->out, res->tz);
    for (size_t i = 0; rv == ST_OK && i < res->nseries; i++) {
        const struct st_qseries *q = &res->series[i];
        rv = st_qout_begin_series(r->out, q->name, q->tags, q->ntags, q->columns, q->ncolumns);
        for (size_t row = 0; rv == ST_OK && row < q->nrows; row++)
            rv = st_qout_row(r->out, &q->values[row * q->ncolumns], q->ncolumns);
        if (rv == ST_OK)
            rv = st_qout_end_series(r->out);
    }
    st_qres_free(res);
    return rv;
}
