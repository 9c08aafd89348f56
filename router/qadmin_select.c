/* SELECT in /query: run it through the query engine, write its series. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "qadmin_int.h"
#include "qjson.h"
#include "query.h"

/* TEMPORARY value writer until router/qout lands. */
static int put_value(struct st_buf *b, const struct st_qv *v, const char *epoch)
{
    switch (v->kind) {
    case ST_QV_NULL:
        return st_buf_puts(b, "null");
    case ST_QV_FLOAT:
        return st_buf_printf(b, "%.17g", v->f);
    case ST_QV_INT:
        return st_buf_printf(b, "%" PRId64, v->i);
    case ST_QV_UINT:
        return st_buf_printf(b, "%" PRIu64, v->u);
    case ST_QV_BOOL:
        return st_buf_puts(b, v->b ? "true" : "false");
    case ST_QV_STRING:
        return st_qjson_str(b, v->s.p, v->s.len);
    case ST_QV_TIME:
        if (epoch != NULL && epoch[0] != '\0')
            return st_buf_printf(b, "%" PRId64, v->t);
        {
            time_t secs = (time_t)(v->t / 1000000000);
            struct tm tm;
            gmtime_r(&secs, &tm);
            char s[64];
            strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
            return st_buf_printf(b, "\"%sZ\"", s);
        }
    }
    return ST_OK;
}

static int put_series(struct st_buf *b, const struct st_qseries *s, const char *epoch)
{
    int rv = st_buf_puts(b, "{\"name\":");
    if (rv == ST_OK)
        rv = st_qjson_str(b, s->name, strlen(s->name));
    if (rv == ST_OK && s->ntags > 0) {
        rv = st_buf_puts(b, ",\"tags\":{");
        for (size_t i = 0; rv == ST_OK && i < s->ntags; i++) {
            if (i > 0)
                rv = st_buf_putc(b, ',');
            if (rv == ST_OK)
                rv = st_qjson_str(b, s->tags[i].key, strlen(s->tags[i].key));
            if (rv == ST_OK)
                rv = st_buf_putc(b, ':');
            if (rv == ST_OK)
                rv = st_qjson_str(b, s->tags[i].value, strlen(s->tags[i].value));
        }
        if (rv == ST_OK)
            rv = st_buf_putc(b, '}');
    }
    if (rv == ST_OK)
        rv = st_buf_puts(b, ",\"columns\":[");
    for (size_t i = 0; rv == ST_OK && i < s->ncolumns; i++) {
        if (i > 0)
            rv = st_buf_putc(b, ',');
        if (rv == ST_OK)
            rv = st_qjson_str(b, s->columns[i], strlen(s->columns[i]));
    }
    if (rv == ST_OK)
        rv = st_buf_puts(b, "],\"values\":[");
    for (size_t r = 0; rv == ST_OK && r < s->nrows; r++) {
        rv = st_buf_puts(b, r > 0 ? ",[" : "[");
        for (size_t c = 0; rv == ST_OK && c < s->ncolumns; c++) {
            if (c > 0)
                rv = st_buf_putc(b, ',');
            if (rv == ST_OK)
                rv = put_value(b, &s->values[r * s->ncolumns + c], epoch);
        }
        if (rv == ST_OK)
            rv = st_buf_putc(b, ']');
    }
    return rv == ST_OK ? st_buf_puts(b, "]}") : rv;
}

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
                               .max_points = ctx->max_points};
    struct st_query_req req = {.db = ctx->db, .rp = ctx->rp, .now_ns = now_ns()};
    struct st_qres *res = NULL;
    int rv = st_query_select(&env, &req, s->sel, &res, &r->err);
    if (rv == ST_EINVAL)
        return QA_FAIL;
    if (rv == ST_EUNAVAIL)
        return QA_FAIL_META;
    if (rv != ST_OK)
        return rv;
    for (size_t i = 0; rv == ST_OK && i < res->nseries; i++) {
        if (i > 0)
            rv = st_buf_putc(&r->series, ',');
        if (rv == ST_OK)
            rv = put_series(&r->series, &res->series[i], ctx->epoch);
    }
    st_qres_free(res);
    return rv;
}
