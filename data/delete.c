/* The DeleteSeries and DeleteRange calls: resolve the matching series of
 * each shard with the tag predicate, then st_shard_delete() them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.pb-c.h"
#include "delete.h"
#include "err.h"
#include "index.h"
#include "pred.h"
#include "regex.h"

struct ids {
    st_index *idx;
    const st_pred *pred;
    uint32_t *v;
    size_t n, cap;
    int rv;
};

static int on_measurement(void *arg, struct st_slice m)
{
    struct ids *x = arg;
    uint32_t *ids;
    size_t n;
    int rv = st_pred_eval(x->pred, x->idx, m, &ids, &n);
    if (rv != ST_OK)
        return rv;
    if (x->n + n > x->cap) {
        size_t cap = (x->n + n) * 2;
        uint32_t *p = realloc(x->v, cap * sizeof(*p));
        if (p == NULL) {
            free(ids);
            return ST_ENOMEM;
        }
        x->v = p;
        x->cap = cap;
    }
    if (n)
        memcpy(x->v + x->n, ids, n * sizeof(*ids));
    x->n += n;
    free(ids);
    return ST_OK;
}

/* InfluxDB refuses a delete whose WHERE compares a field (a key that is a
 * field of a measurement the delete touches, or any key with a number or
 * boolean, which the router sends as FIELD_FILTER): deletes do not read
 * fields. Checked on every shard, per measurement that exists there,
 * before anything is deleted. (InfluxDB checks the series that its index
 * walk yields, so `tag = 'none' AND field = 1` passes there when no series
 * has the tag value; strata refuses it.) */
static const char FIELDS_REFUSED[] = "fields not supported in WHERE clause during deletion";

/* Whether @e compares a field of @m in @idx, or holds a FIELD_FILTER leaf. */
static bool compares_field(st_index *idx, struct st_slice m, const Strata__TagExpr *e)
{
    if (e == NULL)
        return false;
    switch (e->expr_case) {
    case STRATA__TAG_EXPR__EXPR_AND_EXPR:
        return compares_field(idx, m, e->and_expr->left) ||
               compares_field(idx, m, e->and_expr->right);
    case STRATA__TAG_EXPR__EXPR_OR_EXPR:
        return compares_field(idx, m, e->or_expr->left) ||
               compares_field(idx, m, e->or_expr->right);
    case STRATA__TAG_EXPR__EXPR_COMPARE: {
        if (e->compare->op == STRATA__COMPARE_OP__FIELD_FILTER)
            return true;
        const char *k = e->compare->key ? e->compare->key : "";
        enum st_field_type type;
        return st_index_field_type(idx, m, (struct st_slice){k, (uint32_t)strlen(k)}, &type) ==
               ST_OK;
    }
    default:
        return false;
    }
}

/* Whether @e holds a FIELD_FILTER leaf (the predicate cannot compile). */
static bool has_field_filter(const Strata__TagExpr *e)
{
    if (e == NULL)
        return false;
    switch (e->expr_case) {
    case STRATA__TAG_EXPR__EXPR_AND_EXPR:
        return has_field_filter(e->and_expr->left) || has_field_filter(e->and_expr->right);
    case STRATA__TAG_EXPR__EXPR_OR_EXPR:
        return has_field_filter(e->or_expr->left) || has_field_filter(e->or_expr->right);
    case STRATA__TAG_EXPR__EXPR_COMPARE:
        return e->compare->op == STRATA__COMPARE_OP__FIELD_FILTER;
    default:
        return false;
    }
}

struct key_check {
    st_index *idx;
    const st_re *re;
    const Strata__TagExpr *cond;
    bool refused;
};

static int check_measurement(void *arg, struct st_slice m)
{
    struct key_check *c = arg;
    if (c->re != NULL && !st_re_match(c->re, m.p, m.len))
        return ST_OK;
    if (compares_field(c->idx, m, c->cond)) {
        c->refused = true;
        return ST_EEXIST; /* stops the walk */
    }
    return ST_OK;
}

/* ST_OK, or ST_EINVAL with InfluxDB's message in @msg naming the first
 * shard where the condition compares a field of a measurement it touches. */
static int check_keys(st_store *st, const uint64_t *shard_ids, size_t nshards, const char *meas,
                      const st_re *re, const Strata__TagExpr *cond, char *msg, size_t msglen)
{
    if (cond == NULL)
        return ST_OK;
    for (size_t i = 0; i < nshards; i++) {
        st_shard *s;
        char e[256];
        if (st_store_acquire(st, shard_ids[i], false, &s, e, sizeof(e)) != ST_OK)
            continue;
        struct key_check c = {.idx = st_shard_index(s), .re = re, .cond = cond};
        st_index_read_begin(c.idx);
        if (meas != NULL) {
            struct st_slice name = {meas, (uint32_t)strlen(meas)};
            const uint32_t *ids;
            size_t n = 0;
            if (st_index_measurement_series(c.idx, name, &ids, &n) == ST_OK && n > 0)
                check_measurement(&c, name);
        } else {
            st_index_measurements(c.idx, check_measurement, &c);
        }
        st_index_read_end(c.idx);
        st_store_release(st, s);
        if (c.refused) {
            snprintf(msg, msglen, "shard %llu: %s", (unsigned long long)shard_ids[i],
                     FIELDS_REFUSED);
            return ST_EINVAL;
        }
    }
    return ST_OK;
}

/* The common part of both calls. */
static int run(st_store *st, const uint64_t *shard_ids, size_t nshards, const char *meas,
               const char *meas_re, const Strata__TagExpr *cond, int64_t tmin, int64_t tmax,
               uint64_t *series, uint64_t *missing, size_t *nmissing, Strata__ErrorCode *code,
               char *msg, size_t msglen)
{
    st_pred *pred = NULL;
    st_re *re = NULL;
    int rv;
    *code = STRATA__ERROR_CODE__PARSE_ERROR;
    if (meas_re && (rv = st_re_compile(meas_re, strlen(meas_re), &re, msg, msglen)) != ST_OK)
        goto out;
    *code = STRATA__ERROR_CODE__INVALID_ARGUMENT;
    if ((rv = check_keys(st, shard_ids, nshards, meas, re, cond, msg, msglen)) != ST_OK)
        goto out;
    if (has_field_filter(cond)) /* no measurement it touches is here: nothing to delete */
        goto out;
    *code = STRATA__ERROR_CODE__PARSE_ERROR;
    if ((rv = st_pred_compile(cond, &pred, msg, msglen)) != ST_OK)
        goto out;
    *code = STRATA__ERROR_CODE__INTERNAL;
    for (size_t i = 0; i < nshards && rv == ST_OK; i++) {
        st_shard *s;
        char e[256];
        if (st_store_acquire(st, shard_ids[i], false, &s, e, sizeof(e)) != ST_OK) {
            missing[(*nmissing)++] = shard_ids[i];
            continue;
        }
        struct ids x = {.idx = st_shard_index(s), .pred = pred};
        struct st_slice name = {meas, meas ? (uint32_t)strlen(meas) : 0};
        st_index_read_begin(x.idx);
        rv = st_pred_measurements(x.idx, meas ? &name : NULL, re, on_measurement, &x);
        st_index_read_end(x.idx);
        if (rv == ST_OK)
            rv = st_shard_delete(s, x.v, x.n, tmin, tmax, msg, msglen);
        *series += x.n;
        free(x.v);
        st_store_release(st, s);
    }
    if (rv != ST_OK)
        *code = rv == ST_ENOSPC   ? STRATA__ERROR_CODE__DISK_FULL
                : rv == ST_ENOMEM ? STRATA__ERROR_CODE__OUT_OF_MEMORY
                                  : STRATA__ERROR_CODE__IO_ERROR;
out:
    if (rv != ST_OK && !msg[0])
        snprintf(msg, msglen, "%s", st_strerror(rv));
    st_pred_free(pred);
    st_re_free(re);
    return rv;
}

static int pack(Strata__DataResponse *resp, struct st_buf *out)
{
    size_t n = strata__data_response__get_packed_size(resp);
    int rv = st_buf_reserve(out, n);
    if (rv == ST_OK) {
        strata__data_response__pack(resp, (uint8_t *)out->p + out->len);
        out->len += n;
    }
    return rv;
}

int st_data_delete_series(st_store *st, const Strata__DeleteSeries *q, struct st_buf *out)
{
    Strata__DataResponse resp = STRATA__DATA_RESPONSE__INIT;
    Strata__DeleteSeriesResponse dr = STRATA__DELETE_SERIES_RESPONSE__INIT;
    Strata__Error e = STRATA__ERROR__INIT;
    char msg[512] = "";
    Strata__ErrorCode code;
    uint64_t *missing = calloc(q->n_shard_ids + 1, sizeof(*missing));
    if (missing == NULL)
        return ST_ENOMEM;
    e.message = msg;
    size_t nmissing = 0;
    uint64_t series = 0;
    const char *m =
        q->source_case == STRATA__DELETE_SERIES__SOURCE_MEASUREMENT ? q->measurement : NULL;
    const char *mre = q->source_case == STRATA__DELETE_SERIES__SOURCE_MEASUREMENT_REGEX
                          ? q->measurement_regex
                          : NULL;
    if (run(st, q->shard_ids, q->n_shard_ids, m, mre, q->condition, INT64_MIN, INT64_MAX, &series,
            missing, &nmissing, &code, msg, sizeof(msg)) != ST_OK) {
        e.code = code;
        resp.error = &e;
    } else {
        dr.series_deleted = series;
        dr.missing_shard_ids = missing;
        dr.n_missing_shard_ids = nmissing;
        resp.resp_case = STRATA__DATA_RESPONSE__RESP_DELETE_SERIES;
        resp.delete_series = &dr;
    }
    int rv = pack(&resp, out);
    free(missing);
    return rv;
}

int st_data_delete_range(st_store *st, const Strata__DeleteRange *q, struct st_buf *out)
{
    Strata__DataResponse resp = STRATA__DATA_RESPONSE__INIT;
    Strata__DeleteRangeResponse dr = STRATA__DELETE_RANGE_RESPONSE__INIT;
    Strata__Error e = STRATA__ERROR__INIT;
    char msg[512] = "";
    Strata__ErrorCode code;
    uint64_t *missing = calloc(q->n_shard_ids + 1, sizeof(*missing));
    if (missing == NULL)
        return ST_ENOMEM;
    e.message = msg;
    size_t nmissing = 0;
    uint64_t series = 0;
    const char *m =
        q->source_case == STRATA__DELETE_RANGE__SOURCE_MEASUREMENT ? q->measurement : NULL;
    const char *mre = q->source_case == STRATA__DELETE_RANGE__SOURCE_MEASUREMENT_REGEX
                          ? q->measurement_regex
                          : NULL;
    if (run(st, q->shard_ids, q->n_shard_ids, m, mre, q->condition, q->min_ns, q->max_ns, &series,
            missing, &nmissing, &code, msg, sizeof(msg)) != ST_OK) {
        e.code = code;
        resp.error = &e;
    } else {
        dr.missing_shard_ids = missing;
        dr.n_missing_shard_ids = nmissing;
        resp.resp_case = STRATA__DATA_RESPONSE__RESP_DELETE_RANGE;
        resp.delete_range = &dr;
    }
    int rv = pack(&resp, out);
    free(missing);
    return rv;
}
