/* SELECT in /query: run it through the query engine, write its series
 * (or, with INTO, write its rows back as points through the write path). */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "dtoa.h"
#include "err.h"
#include "qadmin_int.h"
#include "query.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* SELECT ... INTO ----------------------------------------------------------------------------- */

/* Appends finite @f as a line-protocol float in the fewest digits that read
 * back as @f, d[.ddd][e-x] ("4.75e1" for 47.5): InfluxDB's points keep the
 * float exactly, so what matters is the value the write path reads, not how
 * the text spells it. */
static int put_float(struct st_buf *b, double f)
{
    if (f == 0)
        return st_buf_puts(b, signbit(f) ? "-0" : "0");
    char p[ST_DTOA_DIGITS + 2];
    size_t k = 0;
    if (f < 0)
        p[k++] = '-';
    char d[ST_DTOA_DIGITS];
    int e;
    int n = st_dtoa_shortest(fabs(f), d, &e);
    p[k++] = d[0];
    if (n > 1) {
        p[k++] = '.';
        memcpy(p + k, d + 1, (size_t)n - 1);
        k += (size_t)n - 1;
    }
    int rv = st_buf_append(b, p, k);
    return rv == ST_OK && e != 0 ? st_buf_printf(b, "e%d", e) : rv;
}

/* Appends @v as a line-protocol field value; false when InfluxDB could not
 * store it (NaN, infinities: NewPoint refuses the point). */
static bool put_field_value(struct st_buf *b, const struct st_qv *v, int *rv)
{
    switch (v->kind) {
    case ST_QV_FLOAT:
        if (!isfinite(v->f))
            return false;
        *rv = put_float(b, v->f);
        return true;
    case ST_QV_INT:
        *rv = st_buf_printf(b, "%" PRId64 "i", v->i);
        return true;
    case ST_QV_TIME:
        *rv = st_buf_printf(b, "%" PRId64 "i", v->t);
        return true;
    case ST_QV_UINT:
        *rv = st_buf_printf(b, "%" PRIu64 "u", v->u);
        return true;
    case ST_QV_BOOL:
        *rv = st_buf_puts(b, v->b ? "true" : "false");
        return true;
    case ST_QV_STRING:
        *rv = st_buf_putc(b, '"');
        if (*rv == ST_OK)
            *rv = st_lp_escape(b, (struct st_slice){v->s.p, (uint32_t)v->s.len}, ST_LP_STRING);
        if (*rv == ST_OK)
            *rv = st_buf_putc(b, '"');
        return true;
    case ST_QV_NULL:
        break;
    }
    return false;
}

static int put_name(struct st_buf *b, const char *s, enum st_lp_kind kind)
{
    return st_lp_escape(b, (struct st_slice){s, (uint32_t)strlen(s)}, kind);
}

/* Appends the points of @q as line protocol, as InfluxDB's
 * convertRowToPoints makes them: measurement @m (the series' own name for
 * :MEASUREMENT), the series' tags, every non-time column with a value as a
 * field (tags selected as columns become fields), the row's time. A row
 * without any value, or with a value InfluxDB cannot store, is dropped. */
static int into_lines(const struct st_qseries *q, const char *m, struct st_buf *b, uint64_t *n)
{
    int rv = ST_OK;
    for (size_t row = 0; rv == ST_OK && row < q->nrows; row++) {
        const struct st_qv *v = &q->values[row * q->ncolumns];
        if (v[0].kind != ST_QV_TIME && v[0].kind != ST_QV_INT)
            continue;
        size_t start = b->len;
        rv = put_name(b, m[0] != '\0' ? m : q->name, ST_LP_MEASUREMENT);
        for (size_t t = 0; rv == ST_OK && t < q->ntags; t++) {
            if (q->tags[t].value == NULL || q->tags[t].value[0] == '\0')
                continue; /* an empty tag value is no tag */
            rv = st_buf_putc(b, ',');
            if (rv == ST_OK)
                rv = put_name(b, q->tags[t].key, ST_LP_TAG);
            if (rv == ST_OK)
                rv = st_buf_putc(b, '=');
            if (rv == ST_OK)
                rv = put_name(b, q->tags[t].value, ST_LP_TAG);
        }
        size_t nfields = 0;
        bool storable = true;
        for (size_t c = 1; rv == ST_OK && storable && c < q->ncolumns; c++) {
            if (v[c].kind == ST_QV_NULL || strcmp(q->columns[c], "time") == 0)
                continue;
            rv = st_buf_putc(b, nfields++ ? ',' : ' ');
            if (rv == ST_OK)
                rv = put_name(b, q->columns[c], ST_LP_FIELD_KEY);
            if (rv == ST_OK)
                rv = st_buf_putc(b, '=');
            if (rv == ST_OK)
                storable = put_field_value(b, &v[c], &rv);
        }
        if (rv == ST_OK && (nfields == 0 || !storable)) {
            b->len = start; /* InfluxDB drops points it cannot store */
            if (b->p != NULL)
                b->p[start] = '\0';
            continue;
        }
        if (rv == ST_OK)
            rv = st_buf_printf(b, " %" PRId64 "\n", v[0].kind == ST_QV_TIME ? v[0].t : v[0].i);
        if (rv == ST_OK)
            (*n)++;
    }
    return rv;
}

/* Writes the rows of @res into the INTO target of @sel and answers
 * InfluxDB's {"name":"result","columns":["time","written"],...}. */
static int into(struct qa_run *r, const struct st_iql_select *sel, const struct st_qres *res,
                int64_t now)
{
    const struct st_qctx *ctx = r->ctx;
    const char *db = sel->into_db != NULL && sel->into_db[0] != '\0' ? sel->into_db : ctx->db;
    if (db == NULL || db[0] == '\0') {
        int rv = st_buf_puts(&r->err, "no database in target");
        return rv == ST_OK ? QA_FAIL : rv;
    }
    struct st_buf body;
    st_buf_init(&body);
    uint64_t n = 0;
    int rv = ST_OK;
    for (size_t i = 0; rv == ST_OK && i < res->nseries; i++)
        rv = into_lines(&res->series[i], sel->into_measurement, &body, &n);
    struct st_write_res wr = {.status = 204};
    st_buf_init(&wr.error);
    if (rv == ST_OK && n > 0) {
        struct st_write_req w = {.db = db,
                                 .rp = sel->into_rp,
                                 .precision = ST_PRECISION_NS,
                                 .consistency = ST_CONSISTENCY_QUORUM,
                                 .body = body.p,
                                 .len = body.len,
                                 .now_ns = now};
        rv = st_write_run(ctx->write, &w, &wr);
    }
    if (rv == ST_OK && wr.status == 404) {
        rv = st_buf_printf(&r->err, "database not found: %s", db);
        rv = rv == ST_OK ? QA_FAIL : rv;
    } else if (rv == ST_OK && wr.status != 204) {
        rv = st_buf_puts(&r->err, wr.error.p != NULL ? wr.error.p : "write failed");
        rv = rv == ST_OK ? (wr.status >= 500 ? QA_FAIL_META : QA_FAIL) : rv;
    } else if (rv == ST_OK) {
        static const char *const cols[] = {"time", "written"};
        struct st_qv row[2] = {{.kind = ST_QV_TIME, .t = 0}, {.kind = ST_QV_INT, .i = (int64_t)n}};
        rv = st_qout_begin_series(r->out, "result", NULL, 0, cols, 2);
        if (rv == ST_OK)
            rv = st_qout_row(r->out, row, 2);
        if (rv == ST_OK)
            rv = st_qout_end_series(r->out);
    }
    st_buf_fini(&wr.error);
    st_buf_fini(&body);
    return rv;
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
                               .max_buckets = ctx->max_buckets,
                               .max_series = ctx->max_series,
                               .killed = r->killed};
    if (s->sel->into_measurement != NULL && ctx->write == NULL) {
        int rv = st_buf_puts(&r->err, "not implemented yet: SELECT INTO");
        return rv == ST_OK ? QA_FAIL : rv;
    }
    struct st_query_req req = {.db = ctx->db, .rp = ctx->rp, .now_ns = now_ns()};
    struct st_qres *res = NULL;
    const struct st_iql_select *sel = s->sel;
    struct st_iql_select none;
    if (sel->into_measurement != NULL && sel->fill == ST_IQL_FILL_NULL) {
        /* Rows of nulls write nothing: skip making them (InfluxDB answers
         * SELECT max(v) INTO ... GROUP BY time(1s) over all time, which
         * would be billions of empty windows with fill(null)). */
        none = *sel;
        none.fill = ST_IQL_FILL_NONE;
        sel = &none;
    }
    int rv = st_query_select(&env, &req, sel, &res, &r->err);
    if (rv == ST_EINVAL)
        return QA_FAIL;
    if (rv == ST_EUNAVAIL)
        return QA_FAIL_META;
    if (rv != ST_OK)
        return rv;
    if (s->sel->into_measurement != NULL) {
        rv = into(r, s->sel, res, req.now_ns);
        st_qres_free(res);
        return rv;
    }
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
