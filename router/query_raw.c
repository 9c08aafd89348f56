/* Raw SELECTs: rows from every shard merged by time per series group.
 *
 * Each node answers rows per series group (times, a column per field and
 * type with a presence bitmap, tag columns); the router copies them into
 * the group's rows, sorts each group by time (stable, so rows of one answer
 * keep their order at equal times), then applies ORDER BY, OFFSET and LIMIT
 * per group and SOFFSET/SLIMIT over groups. LIMIT and OFFSET are pushed to
 * the nodes as LIMIT + OFFSET rows per group, which every node can apply
 * to its own part without losing a row of the merged answer.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"

struct rctx {
    struct rq_plan *p;
    struct st_qres *res; /* strings of the rows are copied into its memory */
    struct rq_groups gs;
    uint64_t rows;
};

static bool present(const Strata__Column *c, size_t i)
{
    if (c->present.len == 0)
        return true;
    return i / 8 < c->present.len && (c->present.data[i / 8] >> (i % 8)) & 1;
}

static int column_value(struct rctx *c, const Strata__Column *col, size_t i, struct st_qv *out)
{
    if (!present(col, i))
        return ST_OK;
    switch (col->type) {
    case STRATA__FIELD_TYPE__FLOAT:
        if (i < col->n_float_values)
            *out = (struct st_qv){.kind = ST_QV_FLOAT, .f = col->float_values[i]};
        break;
    case STRATA__FIELD_TYPE__INTEGER:
        if (i < col->n_int_values)
            *out = (struct st_qv){.kind = ST_QV_INT, .i = col->int_values[i]};
        break;
    case STRATA__FIELD_TYPE__UNSIGNED:
        if (i < col->n_uint_values)
            *out = (struct st_qv){.kind = ST_QV_UINT, .u = col->uint_values[i]};
        break;
    case STRATA__FIELD_TYPE__BOOLEAN:
        if (i < col->n_bool_values)
            *out = (struct st_qv){.kind = ST_QV_BOOL, .b = col->bool_values[i]};
        break;
    case STRATA__FIELD_TYPE__STRING:
        if (i < col->n_string_values) {
            size_t len = strlen(col->string_values[i]);
            out->kind = ST_QV_STRING;
            out->s.p = rq_res_str(c->res, col->string_values[i], len);
            out->s.len = len;
            if (out->s.p == NULL)
                return ST_ENOMEM;
        }
        break;
    default:
        break;
    }
    return ST_OK;
}

/* A ::type cast as InfluxDB applies it: numbers convert between float,
 * integer and unsigned (truncating toward zero); any other mismatch reads
 * as no value. */
static void apply_cast(enum st_iql_cast cast, struct st_qv *v)
{
    if (v->kind == ST_QV_NULL)
        return;
    bool num = v->kind == ST_QV_FLOAT || v->kind == ST_QV_INT || v->kind == ST_QV_UINT;
    double d = v->kind == ST_QV_FLOAT ? v->f : v->kind == ST_QV_INT ? (double)v->i : (double)v->u;
    switch (cast) {
    case ST_IQL_CAST_FLOAT:
        *v = num ? (struct st_qv){.kind = ST_QV_FLOAT, .f = d} : (struct st_qv){0};
        break;
    case ST_IQL_CAST_INTEGER:
        if (v->kind == ST_QV_FLOAT)
            *v = (struct st_qv){.kind = ST_QV_INT, .i = (int64_t)v->f};
        else if (v->kind == ST_QV_UINT)
            *v = (struct st_qv){.kind = ST_QV_INT, .i = (int64_t)v->u};
        else if (v->kind != ST_QV_INT)
            *v = (struct st_qv){0};
        break;
    case ST_IQL_CAST_UNSIGNED:
        if (v->kind == ST_QV_FLOAT)
            *v = (struct st_qv){.kind = ST_QV_UINT, .u = (uint64_t)v->f};
        else if (v->kind == ST_QV_INT)
            *v = (struct st_qv){.kind = ST_QV_UINT, .u = (uint64_t)v->i};
        else if (v->kind != ST_QV_UINT)
            *v = (struct st_qv){0};
        break;
    case ST_IQL_CAST_STRING:
        if (v->kind != ST_QV_STRING)
            *v = (struct st_qv){0};
        break;
    case ST_IQL_CAST_BOOLEAN:
        if (v->kind != ST_QV_BOOL)
            *v = (struct st_qv){0};
        break;
    default:
        break;
    }
}

static int take_series(void *arg, const Strata__SeriesResult *sr)
{
    struct rctx *c = arg;
    struct rq_plan *p = c->p;
    struct rq_group *g = rq_group_of(&c->gs, p->ar, sr);
    if (g == NULL)
        return ST_ENOMEM;
    /* A row: the plan's columns, then the key of the series it comes from
     * (a string in the answer's memory, or null), for the merge order. */
    size_t n = p->ncols + 1;
    const char **keys = rq_alloc(p->ar, (sr->n_series_keys + 1) * sizeof(*keys));
    if (keys == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < sr->n_series_keys; i++)
        if ((keys[i] = rq_res_str(c->res, (const char *)sr->series_keys[i].data,
                                  sr->series_keys[i].len)) == NULL)
            return ST_ENOMEM;
    /* Where each output column comes from in this answer. */
    const Strata__Column **src = rq_alloc(p->ar, n * sizeof(*src));
    const Strata__TagColumn **tsrc = rq_alloc(p->ar, n * sizeof(*tsrc));
    if (src == NULL || tsrc == NULL)
        return ST_ENOMEM;
    for (size_t k = 0; k < p->ncols; k++) {
        src[k] = NULL;
        tsrc[k] = NULL;
        if (p->cols[k].kind == RQ_COL_FIELD) {
            for (size_t i = 0; i < sr->n_columns && src[k] == NULL; i++)
                if (strcmp(sr->columns[i]->name, p->cols[k].key) == 0)
                    src[k] = sr->columns[i];
        } else if (p->cols[k].kind == RQ_COL_TAG) {
            for (size_t i = 0; i < sr->n_tag_columns && tsrc[k] == NULL; i++)
                if (strcmp(sr->tag_columns[i]->key, p->cols[k].key) == 0)
                    tsrc[k] = sr->tag_columns[i];
        }
    }
    if (g->n + sr->n_times > g->cap) {
        size_t cap = g->cap ? g->cap : 64;
        while (cap < g->n + sr->n_times)
            cap *= 2;
        void *np = realloc(g->items, cap * n * sizeof(struct st_qv));
        if (np == NULL)
            return ST_ENOMEM;
        g->items = np;
        g->cap = cap;
    }
    for (size_t r = 0; r < sr->n_times; r++) {
        struct st_qv *row = (struct st_qv *)g->items + g->n * n;
        memset(row, 0, n * sizeof(*row));
        row[0] = (struct st_qv){.kind = ST_QV_TIME, .t = sr->times[r]};
        if (r < sr->n_row_series && sr->row_series[r] < sr->n_series_keys) {
            const char *key = keys[sr->row_series[r]];
            row[n - 1] = (struct st_qv){.kind = ST_QV_STRING, .s = {key, strlen(key)}};
        }
        bool any = false;
        for (size_t k = 1; k < p->ncols; k++) {
            if (src[k] != NULL) {
                if (column_value(c, src[k], r, &row[k]) != ST_OK)
                    return ST_ENOMEM;
                apply_cast(p->cols[k].cast, &row[k]);
                any = any || (k < p->nout && row[k].kind != ST_QV_NULL);
            } else if (tsrc[k] != NULL && r < tsrc[k]->n_values && tsrc[k]->values[r][0]) {
                size_t len = strlen(tsrc[k]->values[r]);
                row[k].kind = ST_QV_STRING;
                row[k].s.len = len;
                if ((row[k].s.p = rq_res_str(c->res, tsrc[k]->values[r], len)) == NULL)
                    return ST_ENOMEM;
            }
        }
        if (any && (p->filter == NULL || rq_filter_match(p->filter, row)))
            g->n++;
    }
    c->rows += sr->n_times;
    if (p->env->max_points && c->rows > p->env->max_points)
        return rq_fail(p, "max-select-point limit exceeed: (%llu/%llu)",
                       (unsigned long long)c->rows, (unsigned long long)p->env->max_points);
    return ST_OK;
}

/* The order of rows @x and @y of @n columns: time, then the key of their
 * series (the last column), both reversed with @desc, as InfluxDB orders
 * rows of several series. */
static int row_cmp(const struct st_qv *x, const struct st_qv *y, size_t n, bool desc)
{
    int c = (x->t > y->t) - (x->t < y->t);
    if (c == 0) {
        const struct st_qv *kx = &x[n - 1], *ky = &y[n - 1];
        if (kx->kind == ST_QV_STRING && ky->kind == ST_QV_STRING)
            c = strcmp(kx->s.p, ky->s.p);
    }
    return desc ? -c : c;
}

/* Stable merge sort of rows of @n columns (row_cmp order). */
static int sort_rows(struct st_qv *rows, size_t nrows, size_t n, bool desc)
{
    if (nrows < 2)
        return ST_OK;
    bool sorted = true;
    for (size_t i = 1; i < nrows && sorted; i++)
        sorted = row_cmp(&rows[(i - 1) * n], &rows[i * n], n, desc) <= 0;
    if (sorted)
        return ST_OK;
    struct st_qv *tmp = malloc(nrows * n * sizeof(*tmp));
    if (tmp == NULL)
        return ST_ENOMEM;
    for (size_t width = 1; width < nrows; width *= 2) {
        for (size_t lo = 0; lo < nrows; lo += 2 * width) {
            size_t mid = lo + width < nrows ? lo + width : nrows;
            size_t hi = lo + 2 * width < nrows ? lo + 2 * width : nrows;
            size_t a = lo, b = mid, o = lo;
            while (a < mid || b < hi) {
                bool take_a =
                    b >= hi || (a < mid && row_cmp(&rows[a * n], &rows[b * n], n, desc) <= 0);
                size_t from = take_a ? a++ : b++;
                memcpy(&tmp[o++ * n], &rows[from * n], n * sizeof(*tmp));
            }
        }
        memcpy(rows, tmp, nrows * n * sizeof(*tmp));
    }
    free(tmp);
    return ST_OK;
}

int rq_run_raw(struct rq_plan *p, struct st_qres *res)
{
    const struct st_iql_select *sel = p->sel;
    struct rctx c = {.p = p, .res = res};
    Strata__Query q = STRATA__QUERY__INIT;
    q.max_series = p->env->max_series;
    Strata__AggregateKind raw = STRATA__AGGREGATE_KIND__RAW;
    int rv = ST_ENOMEM;
    rq_groups_init(&c.gs);
    const char **fields = rq_alloc(p->ar, p->ncols * sizeof(*fields));
    const char **tags = rq_alloc(p->ar, p->ncols * sizeof(*tags));
    if (fields == NULL || tags == NULL)
        goto out;
    for (size_t k = 1; k < p->ncols; k++) {
        const struct rq_col *col = &p->cols[k];
        if (col->kind == RQ_COL_FIELD)
            fields[q.n_fields++] = col->key;
        else if (col->kind == RQ_COL_TAG)
            tags[q.n_tag_columns++] = col->key;
    }
    q.database = (char *)p->db;
    q.retention_policy = (char *)p->rp;
    if (p->mregex != NULL) {
        q.source_case = STRATA__QUERY__SOURCE_MEASUREMENT_REGEX;
        q.measurement_regex = (char *)p->mregex;
    } else {
        q.source_case = STRATA__QUERY__SOURCE_MEASUREMENT;
        q.measurement = (char *)p->measurement;
    }
    q.condition = p->tags;
    q.fields = (char **)fields;
    q.tag_columns = (char **)tags;
    q.min_ns = p->has_tmin ? p->tmin : INT64_MIN;
    q.max_ns = p->has_tmax ? p->tmax : INT64_MAX;
    q.group_by_tags = (char **)p->group_tags;
    q.n_group_by_tags = p->ngroup_tags;
    q.group_by_all = p->group_all;
    q.aggregates = &raw;
    q.n_aggregates = 1;
    q.descending = sel->desc;
    /* InfluxDB 1.6 answers OFFSET without LIMIT with one row per series. */
    uint64_t limit = sel->limit > 0 ? (uint64_t)sel->limit : sel->offset > 0 ? 1 : 0;
    if (p->filter_expr != NULL && p->sub == NULL)
        q.field_filter = rq_field_cond(p, p->filter_expr);
    if (limit > 0 && p->filter == NULL)
        q.limit = limit + (uint64_t)(sel->offset > 0 ? sel->offset : 0);
    if ((rv = rq_fetch(p, &q, take_series, &c)) != ST_OK)
        goto out;
    rq_groups_sort(&c.gs, sel->desc);
    size_t skip = sel->soffset > 0 ? (size_t)sel->soffset : 0, emitted = 0;
    if (skip > 0 && sel->slimit <= 0)
        goto out; /* InfluxDB 1.6 answers SOFFSET without SLIMIT with no series */
    for (size_t i = 0; i < c.gs.n; i++) {
        struct rq_group *g = c.gs.v[i];
        if (g->n == 0)
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        if (sel->slimit > 0 && emitted == (size_t)sel->slimit)
            break;
        struct st_qv *rows = g->items;
        if ((rv = sort_rows(rows, g->n, p->ncols + 1, sel->desc)) != ST_OK)
            goto out;
        size_t from = sel->offset > 0 ? (size_t)sel->offset : 0, to = g->n;
        if (limit > 0 && from + (size_t)limit < to)
            to = from + (size_t)limit;
        if (from >= to)
            continue;
        /* Without GROUP BY tags the series has no tags. */
        size_t ntags = p->ngroup_tags || p->group_all ? g->ntags : 0;
        if ((rv = rq_res_series(res, g->name, (const Strata__Tag *const *)g->tags, ntags, p->cols,
                                p->nout)) != ST_OK)
            goto out;
        for (size_t r = from; r < to; r++) {
            struct st_qv *row = rq_res_row(res);
            if (row == NULL) {
                rv = ST_ENOMEM;
                goto out;
            }
            memcpy(row, &rows[r * (p->ncols + 1)], p->nout * sizeof(*row));
        }
        emitted++;
    }
    rv = ST_OK;
out:
    rq_groups_fini(&c.gs);
    return rv;
}

int rq_raw_decode(struct rq_plan *p, struct st_qres *res, const Strata__SeriesResult *sr,
                  struct st_qv **rows, size_t *n)
{
    struct rctx c = {.p = p, .res = res};
    size_t nc = p->ncols;
    *rows = NULL;
    *n = 0;
    const Strata__Column **src = rq_alloc(p->ar, nc * sizeof(*src));
    const Strata__TagColumn **tsrc = rq_alloc(p->ar, nc * sizeof(*tsrc));
    struct st_qv *out = rq_alloc(p->ar, (sr->n_times ? sr->n_times : 1) * nc * sizeof(*out));
    if (src == NULL || tsrc == NULL || out == NULL)
        return ST_ENOMEM;
    for (size_t k = 1; k < nc; k++) {
        if (p->cols[k].kind == RQ_COL_FIELD) {
            for (size_t i = 0; i < sr->n_columns && src[k] == NULL; i++)
                if (strcmp(sr->columns[i]->name, p->cols[k].key) == 0)
                    src[k] = sr->columns[i];
        } else if (p->cols[k].kind == RQ_COL_TAG) {
            for (size_t i = 0; i < sr->n_tag_columns && tsrc[k] == NULL; i++)
                if (strcmp(sr->tag_columns[i]->key, p->cols[k].key) == 0)
                    tsrc[k] = sr->tag_columns[i];
        }
    }
    size_t m = 0;
    for (size_t r = 0; r < sr->n_times; r++) {
        struct st_qv *row = &out[m * nc];
        row[0] = (struct st_qv){.kind = ST_QV_TIME, .t = sr->times[r]};
        for (size_t k = 1; k < nc; k++) {
            row[k] = (struct st_qv){.kind = ST_QV_NULL};
            if (src[k] != NULL) {
                if (column_value(&c, src[k], r, &row[k]) != ST_OK)
                    return ST_ENOMEM;
            } else if (tsrc[k] != NULL && r < tsrc[k]->n_values && tsrc[k]->values[r][0]) {
                size_t len = strlen(tsrc[k]->values[r]);
                row[k].kind = ST_QV_STRING;
                row[k].s.len = len;
                if ((row[k].s.p = rq_res_str(res, tsrc[k]->values[r], len)) == NULL)
                    return ST_ENOMEM;
            }
        }
        if (p->filter == NULL || rq_filter_match(p->filter, row))
            m++;
    }
    *rows = out;
    *n = m;
    return ST_OK;
}
