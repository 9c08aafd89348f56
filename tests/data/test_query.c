/* The query executor (data/query*.c) through st_data_query(): tag
 * predicates, raw rows, windows with offsets, partial aggregates checked
 * against a brute-force model, block statistics, group by, limit/offset,
 * order and paging; the columnar answer (Query.columnar) against the
 * Window one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "agg_wire.h"
#include "data.pb-c.h"
#include "delete.h"
#include "schema.h"
#include "err.h"
#include "service.h"
#include "store.h"
#include "testlib.h"

static char dir[64];
static st_store *st;
/* One idle reader at most: every query of a test reuses the same reader
 * (and io_uring), as the service's workers do. */
static st_shard_reader_pool *readers;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-query-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char err[512] = "";
    struct st_shard_opts o = {.cache_max_bytes = 64u << 20};
    ck_assert_msg(st_store_open(dir, &o, &st, err, sizeof(err)) == ST_OK, "%s", err);
    ck_assert_int_eq(st_shard_reader_pool_open(1, &readers), ST_OK);
}

static void teardown(void)
{
    st_shard_reader_pool_close(readers);
    st_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_lp(uint64_t shard, const char *lp)
{
    st_shard *s;
    char err[256];
    ck_assert_int_eq(st_store_acquire(st, shard, true, &s, err, sizeof(err)), ST_OK);
    struct st_shard_write_result res = {0};
    st_buf_init(&res.errors);
    ck_assert_int_eq(st_shard_write(s, lp, strlen(lp), &res), ST_OK);
    ck_assert_msg(res.dropped == 0, "%.*s", (int)res.errors.len, res.errors.p);
    st_buf_fini(&res.errors);
    st_store_release(st, s);
}

static void flush_compact(uint64_t shard, int compact)
{
    st_shard *s;
    char err[256];
    ck_assert_int_eq(st_store_acquire(st, shard, false, &s, err, sizeof(err)), ST_OK);
    ck_assert_int_eq(st_shard_flush(s), ST_OK);
    if (compact)
        ck_assert_int_eq(st_shard_compact(s), ST_OK);
    st_store_release(st, s);
}

/* Runs @q with the pool's reader, or with one of its own when @pool is
 * NULL; returns the unpacked DataResponse (caller frees). */
static Strata__DataResponse *run_with(st_shard_reader_pool *pool, const Strata__Query *q)
{
    struct st_buf out;
    st_buf_init(&out);
    ck_assert_int_eq(st_data_query(st, pool, q, &out), ST_OK);
    Strata__DataResponse *r = strata__data_response__unpack(NULL, out.len, (const uint8_t *)out.p);
    ck_assert_ptr_nonnull(r);
    st_buf_fini(&out);
    return r;
}

static Strata__DataResponse *run(const Strata__Query *q)
{
    return run_with(readers, q);
}

static Strata__QueryResponse *ok(Strata__DataResponse *r)
{
    ck_assert_msg(r->error == NULL || r->error->code == 0, "error %d: %s",
                  r->error ? r->error->code : 0, r->error ? r->error->message : "");
    ck_assert_ptr_nonnull(r->query);
    return r->query;
}

static uint64_t shard1[] = {1};
static uint64_t shards12[] = {1, 2};

static void base_query(Strata__Query *q, const char *m)
{
    strata__query__init(q);
    q->n_shard_ids = 1;
    q->shard_ids = shard1;
    q->source_case = STRATA__QUERY__SOURCE_MEASUREMENT;
    q->measurement = (char *)m;
    q->min_ns = INT64_MIN;
    q->max_ns = INT64_MAX;
}

static const char *tag_of(const Strata__SeriesResult *sr, const char *k)
{
    for (size_t i = 0; i < sr->n_tags; i++)
        if (strcmp(sr->tags[i]->key, k) == 0)
            return sr->tags[i]->value;
    return NULL;
}

/* ---- tag predicates and raw rows ------------------------------------------ */

static void write_hosts(void)
{
    write_lp(1, "cpu,host=a,dc=x v=1,s=\"p\" 10\n"
                "cpu,host=b,dc=x v=2 10\n"
                "cpu,host=c,dc=y v=3 20\n"
                "cpu,dc=y v=4 30\n"
                "cpu,host=a,dc=x v=5 40\n"
                "mem,host=a used=7i 10\n");
}

static Strata__TagExpr *cmp_expr(Strata__TagExpr *e, Strata__TagCompare *c, const char *k,
                                 Strata__CompareOp op, const char *v)
{
    strata__tag_expr__init(e);
    strata__tag_compare__init(c);
    c->key = (char *)k;
    c->op = op;
    c->value = (char *)v;
    e->expr_case = STRATA__TAG_EXPR__EXPR_COMPARE;
    e->compare = c;
    return e;
}

START_TEST(test_query_raw_predicate_and_tag_columns)
{
    write_hosts();
    Strata__Query q;
    base_query(&q, "cpu");
    char *fields[] = {"v"};
    q.fields = fields;
    q.n_fields = 1;
    char *tcols[] = {"host"};
    q.tag_columns = tcols;
    q.n_tag_columns = 1;
    Strata__TagExpr e;
    Strata__TagCompare c;
    q.condition = cmp_expr(&e, &c, "host", STRATA__COMPARE_OP__NREGEX, "^b$");
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    /* no GROUP BY: one group of a, c and the host-less series, by time */
    ck_assert_uint_eq(qr->n_series, 1);
    Strata__SeriesResult *sr = qr->series[0];
    ck_assert_str_eq(sr->measurement, "cpu");
    ck_assert_uint_eq(sr->n_times, 4);
    int64_t want_t[] = {10, 20, 30, 40};
    double want_v[] = {1, 3, 4, 5};
    const char *want_h[] = {"a", "c", "", "a"};
    ck_assert_uint_eq(sr->n_columns, 1);
    ck_assert_uint_eq(sr->n_tag_columns, 1);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(sr->times[i], want_t[i]);
        ck_assert_double_eq(sr->columns[0]->float_values[i], want_v[i]);
        ck_assert_str_eq(sr->tag_columns[0]->values[i], want_h[i]);
    }
    strata__data_response__free_unpacked(r, NULL);

    /* host = '' selects the series without host */
    q.condition = cmp_expr(&e, &c, "host", STRATA__COMPARE_OP__EQ, "");
    r = run(&q);
    qr = ok(r);
    ck_assert_uint_eq(qr->series[0]->n_times, 1);
    ck_assert_int_eq(qr->series[0]->times[0], 30);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* Query.field_filter drops rows on the node: v > 2 OR s = "p", then a
 * second query with AND and a type mismatch (a string compared with a
 * number is false), and the series keys that order rows at one time. */
START_TEST(test_query_raw_field_condition)
{
    write_hosts();
    Strata__Query q;
    base_query(&q, "cpu");
    char *fields[] = {"v", "s"};
    q.fields = fields;
    q.n_fields = 2;
    Strata__Value two = STRATA__VALUE__INIT, p = STRATA__VALUE__INIT;
    two.v_case = STRATA__VALUE__V_INT_VALUE; /* an integer literal against float values */
    two.int_value = 2;
    p.v_case = STRATA__VALUE__V_STRING_VALUE;
    p.string_value = "p";
    Strata__FieldCompare gt = STRATA__FIELD_COMPARE__INIT, eq = STRATA__FIELD_COMPARE__INIT;
    gt.field = "v";
    gt.op = STRATA__FIELD_OP__FIELD_GT;
    gt.value = &two;
    eq.field = "s";
    eq.op = STRATA__FIELD_OP__FIELD_EQ;
    eq.value = &p;
    Strata__FieldCond cgt = STRATA__FIELD_COND__INIT, ceq = STRATA__FIELD_COND__INIT,
                      both = STRATA__FIELD_COND__INIT;
    cgt.expr_case = STRATA__FIELD_COND__EXPR_COMPARE;
    cgt.compare = &gt;
    ceq.expr_case = STRATA__FIELD_COND__EXPR_COMPARE;
    ceq.compare = &eq;
    Strata__FieldBinary b = STRATA__FIELD_BINARY__INIT;
    b.left = &cgt;
    b.right = &ceq;
    both.expr_case = STRATA__FIELD_COND__EXPR_OR_EXPR;
    both.or_expr = &b;
    q.field_filter = &both;
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    ck_assert_uint_eq(qr->n_series, 1);
    Strata__SeriesResult *sr = qr->series[0];
    /* v=1 with s="p" (host a, 10), v=3, v=4, v=5; v=2 (host b) dropped */
    ck_assert_uint_eq(sr->n_times, 4);
    int64_t want_t[] = {10, 20, 30, 40};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(sr->times[i], want_t[i]);
    ck_assert_uint_eq(sr->n_row_series, 4);
    ck_assert_uint_eq(sr->n_series_keys, 3);
    strata__data_response__free_unpacked(r, NULL);

    /* AND, and a string field compared with a number: false */
    eq.field = "v";
    eq.op = STRATA__FIELD_OP__FIELD_NEQ;
    eq.value = &p;
    both.expr_case = STRATA__FIELD_COND__EXPR_AND_EXPR;
    both.and_expr = &b;
    gt.field = "s";
    r = run(&q);
    qr = ok(r);
    ck_assert(qr->n_series == 0 || qr->series[0]->n_times == 0);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* A filter that is an AND of comparisons reads the other fields only over
 * the times that can pass: none when no value passes. */
START_TEST(test_query_raw_filter_reads_the_rest_where_it_passes)
{
    const int64_t T0 = 1000000000000LL;
    char lp[128];
    for (int i = 0; i < 3000; i++) {
        snprintf(lp, sizeof(lp), "nf,h=a f=%d.0,g=%di,k=%di %lld\n", i % 100, i, -i,
                 (long long)(T0 + i * 1000000LL));
        write_lp(1, lp);
    }
    flush_compact(1, 1);
    Strata__Query q;
    base_query(&q, "nf");
    Strata__Value lit = STRATA__VALUE__INIT;
    lit.v_case = STRATA__VALUE__V_FLOAT_VALUE;
    lit.float_value = 98.5; /* only f = 99 passes: i = 99, 199, ... */
    Strata__FieldCompare gt = STRATA__FIELD_COMPARE__INIT;
    gt.field = "f";
    gt.op = STRATA__FIELD_OP__FIELD_GT;
    gt.value = &lit;
    Strata__FieldCond c = STRATA__FIELD_COND__INIT;
    c.expr_case = STRATA__FIELD_COND__EXPR_COMPARE;
    c.compare = &gt;
    q.field_filter = &c;
    q.max_ns = T0 + 1500 * 1000000LL; /* 1501 points: two blocks or more per field */
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    ck_assert_uint_eq(qr->n_series, 1);
    ck_assert_uint_eq(qr->series[0]->n_times, 15); /* 99, 199, ..., 1499 */
    ck_assert_int_eq(qr->series[0]->times[0], T0 + 99 * 1000000LL);
    uint64_t all = qr->stats->blocks_decoded;
    strata__data_response__free_unpacked(r, NULL);
    lit.float_value = 1000; /* nothing passes: only f is read */
    r = run(&q);
    qr = ok(r);
    ck_assert(qr->n_series == 0 || qr->series[0]->n_times == 0);
    ck_assert_uint_lt(qr->stats->blocks_decoded, all);
    ck_assert_uint_le(qr->stats->blocks_decoded * 3, all + 2);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

START_TEST(test_query_raw_group_by_limit_order)
{
    write_hosts();
    Strata__Query q;
    base_query(&q, "cpu");
    char *gb[] = {"host"};
    q.group_by_tags = gb;
    q.n_group_by_tags = 1;
    q.descending = true;
    q.limit = 1;
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    /* groups: host="" , a, b, c */
    ck_assert_uint_eq(qr->n_series, 4);
    ck_assert_str_eq(tag_of(qr->series[0], "host"), "");
    ck_assert_str_eq(tag_of(qr->series[1], "host"), "a");
    ck_assert_uint_eq(qr->series[1]->n_times, 1);
    ck_assert_int_eq(qr->series[1]->times[0], 40); /* newest first */
    /* columns: s (string) and v, s present only at t=10 */
    ck_assert_uint_eq(qr->series[1]->n_columns, 2);
    strata__data_response__free_unpacked(r, NULL);

    q.descending = false;
    q.offset = 1;
    r = run(&q);
    qr = ok(r);
    ck_assert_uint_eq(qr->n_series, 1); /* only host=a has a second row */
    ck_assert_int_eq(qr->series[0]->times[0], 40);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

START_TEST(test_query_measurement_regex_and_errors)
{
    write_hosts();
    Strata__Query q;
    base_query(&q, NULL);
    q.source_case = STRATA__QUERY__SOURCE_MEASUREMENT_REGEX;
    q.measurement_regex = "^(cpu|mem)$";
    q.group_by_all = true;
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    ck_assert_uint_eq(qr->n_series, 4 + 1); /* 4 cpu series, 1 mem */
    ck_assert_str_eq(qr->series[4]->measurement, "mem");
    strata__data_response__free_unpacked(r, NULL);

    q.measurement_regex = "(";
    r = run(&q);
    ck_assert_ptr_nonnull(r->error);
    ck_assert_int_eq(r->error->code, STRATA__ERROR_CODE__PARSE_ERROR);
    strata__data_response__free_unpacked(r, NULL);

    base_query(&q, "cpu");
    q.interval_ns = 10;
    q.offset_ns = 10;
    r = run(&q);
    ck_assert_ptr_nonnull(r->error);
    ck_assert_int_eq(r->error->code, STRATA__ERROR_CODE__INVALID_ARGUMENT);
    strata__data_response__free_unpacked(r, NULL);

    /* a missing shard is reported, the others answered */
    base_query(&q, "cpu");
    uint64_t ids[] = {1, 99};
    q.shard_ids = ids;
    q.n_shard_ids = 2;
    r = run(&q);
    qr = ok(r);
    ck_assert_uint_eq(qr->n_missing_shard_ids, 1);
    ck_assert_uint_eq(qr->missing_shard_ids[0], 99);
    ck_assert_uint_eq(qr->n_series, 1);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* SHOW SERIES FROM cpu on shard 1: the number of series listed, and
 * whether one of them has host=@host. */
static size_t show_series(const char *host, bool *found)
{
    Strata__SchemaQuery sq = STRATA__SCHEMA_QUERY__INIT;
    sq.shard_ids = shard1;
    sq.n_shard_ids = 1;
    sq.kind = STRATA__SCHEMA_KIND__SERIES;
    sq.source_case = STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT;
    sq.measurement = "cpu";
    struct st_buf out;
    st_buf_init(&out);
    ck_assert_int_eq(st_data_schema(st, &sq, &out), ST_OK);
    Strata__DataResponse *r = strata__data_response__unpack(NULL, out.len, (uint8_t *)out.p);
    ck_assert_ptr_null(r->error);
    size_t n = r->schema_query->n_entries;
    char want[32];
    snprintf(want, sizeof(want), "host=%s", host);
    *found = false;
    for (size_t i = 0; i < n; i++)
        if (strstr(r->schema_query->entries[i]->value, want))
            *found = true;
    strata__data_response__free_unpacked(r, NULL);
    st_buf_fini(&out);
    return n;
}

START_TEST(test_query_delete_series_and_range)
{
    write_hosts();
    struct st_buf out;
    st_buf_init(&out);
    /* DROP SERIES FROM cpu WHERE host = 'b' */
    Strata__DeleteSeries ds = STRATA__DELETE_SERIES__INIT;
    Strata__TagExpr e;
    Strata__TagCompare c;
    ds.shard_ids = shard1;
    ds.n_shard_ids = 1;
    ds.source_case = STRATA__DELETE_SERIES__SOURCE_MEASUREMENT;
    ds.measurement = "cpu";
    ds.condition = cmp_expr(&e, &c, "host", STRATA__COMPARE_OP__EQ, "b");
    ck_assert_int_eq(st_data_delete_series(st, &ds, &out), ST_OK);
    Strata__DataResponse *r = strata__data_response__unpack(NULL, out.len, (uint8_t *)out.p);
    ck_assert_ptr_null(r->error);
    ck_assert_uint_eq(r->delete_series->series_deleted, 1);
    strata__data_response__free_unpacked(r, NULL);
    bool found;
    ck_assert_uint_eq(show_series("b", &found), 3); /* SHOW SERIES forgets it */
    ck_assert(!found);
    /* DELETE FROM cpu WHERE host = 'a' AND time >= 30 AND time <= 45 */
    Strata__DeleteRange dr = STRATA__DELETE_RANGE__INIT;
    dr.shard_ids = shard1;
    dr.n_shard_ids = 1;
    dr.source_case = STRATA__DELETE_RANGE__SOURCE_MEASUREMENT;
    dr.measurement = "cpu";
    dr.condition = cmp_expr(&e, &c, "host", STRATA__COMPARE_OP__EQ, "a");
    dr.min_ns = 30;
    dr.max_ns = 45;
    out.len = 0;
    ck_assert_int_eq(st_data_delete_range(st, &dr, &out), ST_OK);
    r = strata__data_response__unpack(NULL, out.len, (uint8_t *)out.p);
    ck_assert_ptr_null(r->error);
    strata__data_response__free_unpacked(r, NULL);
    st_buf_fini(&out);
    /* what is left: a@10, c@20, (no host)@30; a@40 and b@10 are gone */
    Strata__Query q;
    base_query(&q, "cpu");
    char *fields[] = {"v"};
    q.fields = fields;
    q.n_fields = 1;
    r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    ck_assert_uint_eq(qr->n_series, 1);
    ck_assert_uint_eq(qr->series[0]->n_times, 3);
    ck_assert_int_eq(qr->series[0]->times[0], 10);
    ck_assert_double_eq(qr->series[0]->columns[0]->float_values[0], 1);
    ck_assert_int_eq(qr->series[0]->times[2], 30);
    strata__data_response__free_unpacked(r, NULL);
    /* writes after the delete are kept, and the series is back */
    write_lp(1, "cpu,host=b,dc=x v=9 50\n");
    ck_assert_uint_eq(show_series("b", &found), 4);
    ck_assert(found);
    flush_compact(1, 1);
    r = run(&q);
    qr = ok(r);
    ck_assert_uint_eq(qr->series[0]->n_times, 4);
    ck_assert_int_eq(qr->series[0]->times[3], 50);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* ---- aggregates against a model ------------------------------------------- */

#define NPTS 5000
#define NHOST 3
static double fv[NHOST][NPTS];
static int64_t iv[NHOST][NPTS];
static const int64_t T0 = 1000000000000LL; /* points every 1 ms from T0 */

static void write_model(int rounds_flush)
{
    char *lp = malloc(NPTS * 96);
    for (int h = 0; h < NHOST; h++) {
        size_t len = 0;
        for (int i = 0; i < NPTS; i++) {
            fv[h][i] = (double)(rand() % 100000) / 7.0 - 3000;
            iv[h][i] = rand() % 2000 - 1000;
            len += (size_t)sprintf(lp + len, "m,host=h%d f=%.17g,i=%lldi %lld\n", h, fv[h][i],
                                   (long long)iv[h][i], (long long)(T0 + i * 1000000LL));
            if (rounds_flush && i % 1700 == 1699) {
                lp[len] = '\0';
                write_lp(i < NPTS / 2 ? 1 : 2, lp);
                len = 0;
                flush_compact(i < NPTS / 2 ? 1 : 2, 0);
            }
        }
        lp[len] = '\0';
        if (len)
            write_lp(2, lp);
    }
    free(lp);
    if (rounds_flush)
        flush_compact(1, 1);
}

static const Strata__FieldPartial *partial(const Strata__Window *w, const char *f)
{
    for (size_t i = 0; i < w->n_fields; i++)
        if (strcmp(w->fields[i]->field, f) == 0)
            return w->fields[i];
    return NULL;
}

/* Checks every window of @qr (one group of all hosts) against the model. */
static void check_windows(const Strata__QueryResponse *qr, int64_t lo, int64_t hi, int64_t interval,
                          int64_t offset)
{
    ck_assert_uint_eq(qr->n_series, 1);
    const Strata__SeriesResult *sr = qr->series[0];
    size_t nw = 0;
    int64_t first_start = INT64_MIN;
    for (int64_t t = lo; t <= hi; t += 1000000) {
        int64_t d = t - offset, m = ((d % interval) + interval) % interval, ws = t - m;
        if (ws != first_start) {
            first_start = ws;
            nw++;
        }
    }
    ck_assert_uint_eq(sr->n_windows, nw);
    for (size_t w = 0; w < sr->n_windows; w++) {
        const Strata__Window *win = sr->windows[w];
        int64_t ws = win->start_ns, we = ws + interval;
        uint64_t cnt = 0;
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        int64_t isum = 0, imin = INT64_MAX, imax = INT64_MIN, first_t = INT64_MAX, last_t = 0;
        int64_t ifirst = 0, ilast = 0;
        for (int h = 0; h < NHOST; h++)
            for (int i = 0; i < NPTS; i++) {
                int64_t t = T0 + i * 1000000LL;
                if (t < ws || t >= we || t < lo || t > hi)
                    continue;
                cnt++;
                sum += fv[h][i];
                mn = fmin(mn, fv[h][i]);
                mx = fmax(mx, fv[h][i]);
                isum += iv[h][i];
                if (iv[h][i] < imin)
                    imin = iv[h][i];
                if (iv[h][i] > imax)
                    imax = iv[h][i];
                /* first: earliest time, ties: larger value */
                if (t < first_t || (t == first_t && iv[h][i] > ifirst)) {
                    first_t = t;
                    ifirst = iv[h][i];
                }
                if (t > last_t || (t == last_t && iv[h][i] > ilast)) {
                    last_t = t;
                    ilast = iv[h][i];
                }
            }
        const Strata__FieldPartial *pf = partial(win, "f"), *pi = partial(win, "i");
        ck_assert_ptr_nonnull(pf);
        ck_assert_ptr_nonnull(pi);
        ck_assert_uint_eq(pf->count, cnt);
        ck_assert_uint_eq(pi->count, cnt);
        ck_assert_msg(fabs(pf->sum - sum) <= 1e-9 * fabs(sum) + 1e-6, "sum %g vs %g", pf->sum, sum);
        ck_assert_int_eq(pi->int_sum, isum);
        ck_assert_double_eq(pf->min->float_value, mn);
        ck_assert_double_eq(pf->max->float_value, mx);
        ck_assert_int_eq(pi->min->int_value, imin);
        ck_assert_int_eq(pi->max->int_value, imax);
        ck_assert_int_eq(pi->first_time_ns, first_t);
        ck_assert_int_eq(pi->first->int_value, ifirst);
        ck_assert_int_eq(pi->last_time_ns, last_t);
        ck_assert_int_eq(pi->last->int_value, ilast);
    }
}

START_TEST(test_query_aggregates_match_model)
{
    srand(77);
    write_model(1);
    Strata__Query q;
    base_query(&q, "m");
    q.shard_ids = shards12;
    q.n_shard_ids = 2;
    Strata__AggregateKind aggs[] = {STRATA__AGGREGATE_KIND__COUNT, STRATA__AGGREGATE_KIND__SUM,
                                    STRATA__AGGREGATE_KIND__MIN,   STRATA__AGGREGATE_KIND__MAX,
                                    STRATA__AGGREGATE_KIND__FIRST, STRATA__AGGREGATE_KIND__LAST};
    q.aggregates = aggs;
    q.n_aggregates = 6;
    int64_t intervals[] = {7000000, 60000000, 1500000000, 100000000000LL};
    for (int k = 0; k < 4; k++) {
        q.interval_ns = intervals[k];
        q.offset_ns = k == 1 ? 13000000 : 0;
        q.min_ns = T0 + 123456789LL * k;
        q.max_ns = T0 + (NPTS - 1) * 1000000LL - 98765432LL * k;
        Strata__DataResponse *r = run(&q);
        check_windows(ok(r), q.min_ns, q.max_ns, q.interval_ns, q.offset_ns);
        if (k == 3) /* windows wider than blocks: whole blocks from stats */
            ck_assert_uint_gt(r->query->stats->blocks_from_stats, 0);
        strata__data_response__free_unpacked(r, NULL);
    }
}
END_TEST

START_TEST(test_query_stddev_and_no_window)
{
    srand(78);
    write_model(0);
    Strata__Query q;
    base_query(&q, "m");
    q.shard_ids = shards12;
    q.n_shard_ids = 2;
    char *gb[] = {"host"};
    q.group_by_tags = gb;
    q.n_group_by_tags = 1;
    Strata__AggregateKind aggs[] = {STRATA__AGGREGATE_KIND__STDDEV, STRATA__AGGREGATE_KIND__MIN};
    q.aggregates = aggs;
    q.n_aggregates = 2;
    q.min_ns = 0;
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    ck_assert_uint_eq(qr->n_series, NHOST);
    for (int h = 0; h < NHOST; h++) {
        const Strata__SeriesResult *sr = qr->series[h];
        ck_assert_uint_eq(sr->n_windows, 1);
        ck_assert_int_eq(sr->windows[0]->start_ns, 0); /* min_ns without windows */
        const Strata__FieldPartial *pf = partial(sr->windows[0], "f");
        double mean = 0, m2 = 0, mn = INFINITY;
        int64_t mn_t = 0;
        for (int i = 0; i < NPTS; i++)
            mean += fv[h][i];
        mean /= NPTS;
        for (int i = 0; i < NPTS; i++) {
            m2 += (fv[h][i] - mean) * (fv[h][i] - mean);
            if (fv[h][i] < mn) {
                mn = fv[h][i];
                mn_t = T0 + i * 1000000LL;
            }
        }
        ck_assert_uint_eq(pf->count, NPTS);
        ck_assert(fabs(pf->mean - mean) <= 1e-9 * fabs(mean) + 1e-9);
        ck_assert(fabs(pf->m2 - m2) <= 1e-9 * m2);
        ck_assert_double_eq(pf->min->float_value, mn);
        ck_assert_int_eq(pf->min_time_ns, mn_t); /* exact time: blocks were decoded */
    }
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* ORDER BY time DESC LIMIT n reads the newest blocks only, and gets the
 * same rows as reading everything. */
START_TEST(test_query_desc_limit_reads_the_end)
{
    srand(80);
    write_model(1);
    Strata__Query q;
    base_query(&q, "m");
    q.shard_ids = shards12;
    q.n_shard_ids = 2;
    char *gb[] = {"host"};
    q.group_by_tags = gb;
    q.n_group_by_tags = 1;
    q.descending = true;
    q.limit = 7;
    q.offset = 2;
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    ck_assert_uint_eq(qr->n_series, NHOST);
    for (int h = 0; h < NHOST; h++) {
        const Strata__SeriesResult *sr = qr->series[h];
        ck_assert_uint_eq(sr->n_times, 7);
        for (int k = 0; k < 7; k++) {
            int i = NPTS - 1 - 2 - k;
            ck_assert_int_eq(sr->times[k], T0 + i * 1000000LL);
            const Strata__Column *col = sr->columns[0]; /* f */
            ck_assert_str_eq(col->name, "f");
            ck_assert_double_eq(col->float_values[k], fv[h][i]);
        }
    }
    /* 3 hosts x 2 fields x 2 shards: a block or two each, not all ~5 per field */
    ck_assert_uint_le(qr->stats->blocks_decoded, 3 * 2 * 2 * 2);
    strata__data_response__free_unpacked(r, NULL);
    /* a range that ends before the newest data */
    q.max_ns = T0 + 100 * 1000000LL;
    q.offset = 0;
    q.limit = 3;
    r = run(&q);
    qr = ok(r);
    ck_assert_int_eq(qr->series[0]->times[0], T0 + 100 * 1000000LL);
    ck_assert_int_eq(qr->series[0]->times[2], T0 + 98 * 1000000LL);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* DESC LIMIT 1 (lastpoint): the newest value of each field, from block
 * statistics when the block is whole in a segment, from the cache when a
 * newer or overwriting point is there. */
START_TEST(test_query_desc_limit_one_from_stats)
{
    char lp[256];
    for (int i = 0; i < 2000; i++) { /* two or more blocks per field, flushed */
        snprintf(lp, sizeof(lp), "lp,h=a f=%d.5,i=%di,u=%du,b=%s,s=\"x%d\" %lld\n", i, -i, i,
                 i % 2 ? "true" : "false", i, (long long)(T0 + i * 1000000LL));
        write_lp(1, lp);
        snprintf(lp, sizeof(lp), "lp,h=b f=%d.25,i=%di %lld\n", i, i,
                 (long long)(T0 + i * 1000000LL));
        write_lp(1, lp);
    }
    flush_compact(1, 1);
    /* h=b: the newest point overwritten in the cache, and one older field
     * newer than it in the cache */
    snprintf(lp, sizeof(lp), "lp,h=b f=-7.5 %lld\n", (long long)(T0 + 1999 * 1000000LL));
    write_lp(1, lp);
    Strata__Query q;
    base_query(&q, "lp");
    char *gb[] = {"h"};
    q.group_by_tags = gb;
    q.n_group_by_tags = 1;
    q.descending = true;
    q.limit = 1;
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    ck_assert_uint_eq(qr->n_series, 2);
    const Strata__SeriesResult *a = qr->series[0], *b = qr->series[1];
    ck_assert_str_eq(tag_of(a, "h"), "a");
    ck_assert_uint_eq(a->n_times, 1);
    ck_assert_int_eq(a->times[0], T0 + 1999 * 1000000LL);
    for (size_t c = 0; c < a->n_columns; c++) {
        const Strata__Column *col = a->columns[c];
        if (strcmp(col->name, "f") == 0)
            ck_assert_double_eq(col->float_values[0], 1999.5);
        else if (strcmp(col->name, "i") == 0)
            ck_assert_int_eq(col->int_values[0], -1999);
        else if (strcmp(col->name, "u") == 0)
            ck_assert_uint_eq(col->uint_values[0], 1999);
        else if (strcmp(col->name, "b") == 0)
            ck_assert(col->bool_values[0]);
        else if (strcmp(col->name, "s") == 0)
            ck_assert_str_eq(col->string_values[0], "x1999");
    }
    ck_assert_uint_eq(b->n_times, 1);
    for (size_t c = 0; c < b->n_columns; c++) {
        const Strata__Column *col = b->columns[c];
        if (strcmp(col->name, "f") == 0)
            ck_assert_double_eq(col->float_values[0], -7.5); /* the overwrite */
        else if (strcmp(col->name, "i") == 0)
            ck_assert_int_eq(col->int_values[0], 1999);
    }
    /* the segment blocks of a (f, i, u, b) came from their statistics */
    ck_assert_uint_ge(qr->stats->blocks_from_stats, 4);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* ---- paging ---------------------------------------------------------------- */

START_TEST(test_query_paging_concatenates)
{
    srand(79);
    write_model(1);
    Strata__Query q;
    base_query(&q, "m");
    q.shard_ids = shards12;
    q.n_shard_ids = 2;
    char *gb[] = {"host"};
    q.group_by_tags = gb;
    q.n_group_by_tags = 1;
    for (int agg = 0; agg < 2; agg++) {
        Strata__AggregateKind aggs[] = {STRATA__AGGREGATE_KIND__COUNT};
        q.aggregates = agg ? aggs : NULL;
        q.n_aggregates = agg ? 1 : 0;
        q.interval_ns = agg ? 10000000 : 0;
        q.max_points = 0;
        q.cursor.len = 0;
        Strata__DataResponse *all = run(&q);
        Strata__QueryResponse *qa = ok(all);
        ck_assert(!qa->more);
        ck_assert_uint_eq(qa->n_series, NHOST);
        /* pages of 333 rows/windows */
        q.max_points = 333;
        size_t g = 0, row = 0, pages = 0;
        uint8_t cur[64];
        for (;;) {
            Strata__DataResponse *r = run(&q);
            Strata__QueryResponse *qr = ok(r);
            pages++;
            for (size_t s = 0; s < qr->n_series; s++) {
                const Strata__SeriesResult *sr = qr->series[s];
                const Strata__SeriesResult *ref = qa->series[g];
                ck_assert_str_eq(tag_of(sr, "host"), tag_of(ref, "host"));
                size_t n = agg ? sr->n_windows : sr->n_times;
                for (size_t i = 0; i < n; i++, row++) {
                    if (agg)
                        ck_assert_int_eq(sr->windows[i]->start_ns, ref->windows[row]->start_ns);
                    else
                        ck_assert_int_eq(sr->times[i], ref->times[row]);
                }
                if (row == (agg ? ref->n_windows : ref->n_times)) {
                    g++;
                    row = 0;
                }
            }
            int more = qr->more;
            if (more) {
                ck_assert_uint_le(qr->cursor.len, sizeof(cur));
                memcpy(cur, qr->cursor.data, qr->cursor.len);
                q.cursor.data = cur;
                q.cursor.len = qr->cursor.len;
            }
            strata__data_response__free_unpacked(r, NULL);
            if (!more)
                break;
        }
        ck_assert_uint_eq(g, NHOST);
        ck_assert_uint_gt(pages, 3);
        strata__data_response__free_unpacked(all, NULL);
    }
}
END_TEST

/* ---- columns (Query.columnar) = windows ------------------------------------ */

static bool same_val(enum st_field_type t, const union st_agg_value *x, const union st_agg_value *y)
{
    switch (t) {
    case ST_FIELD_FLOAT:
        return memcmp(&x->f, &y->f, sizeof(x->f)) == 0;
    case ST_FIELD_INTEGER:
        return x->i == y->i;
    case ST_FIELD_UNSIGNED:
        return x->u == y->u;
    case ST_FIELD_BOOLEAN:
        return x->b == y->b;
    case ST_FIELD_STRING:
        return x->s.len == y->s.len && memcmp(x->s.p, y->s.p, x->s.len) == 0;
    }
    return false;
}

/* @a (from a column) holds what @b (from a FieldPartial) holds. */
static void same_agg(const struct st_agg *a, const struct st_agg *b)
{
    unsigned w = a->want;
    ck_assert_int_eq(a->type, b->type);
    ck_assert_uint_eq(a->count, b->count);
    if (w & ST_AGG_SUM) {
        ck_assert(memcmp(&a->sum, &b->sum, sizeof(a->sum)) == 0);
        if (a->type == ST_FIELD_INTEGER)
            ck_assert_int_eq(a->isum, b->isum);
        if (a->type == ST_FIELD_UNSIGNED)
            ck_assert_uint_eq(a->usum, b->usum);
    }
    if (w & ST_AGG_MOMENTS) {
        ck_assert(memcmp(&a->mean, &b->mean, sizeof(a->mean)) == 0);
        ck_assert(memcmp(&a->m2, &b->m2, sizeof(a->m2)) == 0);
    }
    if (w & ST_AGG_MINMAX) {
        ck_assert_int_eq(a->has_minmax, b->has_minmax);
        if (a->has_minmax) {
            ck_assert(same_val(a->type, &a->min, &b->min));
            ck_assert(same_val(a->type, &a->max, &b->max));
            ck_assert_int_eq(a->min_t, b->min_t);
            ck_assert_int_eq(a->max_t, b->max_t);
        }
    }
    if (w & ST_AGG_FIRSTLAST) {
        ck_assert(same_val(a->type, &a->first, &b->first));
        ck_assert(same_val(a->type, &a->last, &b->last));
        ck_assert_int_eq(a->first_t, b->first_t);
        ck_assert_int_eq(a->last_t, b->last_t);
    }
}

/* The page @c (columns) holds exactly the partials of page @w (windows),
 * in the same window order; returns the partials compared. */
static size_t same_page(const Strata__QueryResponse *w, const Strata__QueryResponse *c,
                        unsigned want)
{
    size_t total = 0;
    ck_assert_int_eq(w->more, c->more);
    ck_assert_uint_eq(w->cursor.len, c->cursor.len);
    if (w->cursor.len)
        ck_assert(memcmp(w->cursor.data, c->cursor.data, w->cursor.len) == 0);
    ck_assert_uint_eq(w->n_series, c->n_series);
    for (size_t s = 0; s < w->n_series; s++) {
        const Strata__SeriesResult *sw = w->series[s], *sc = c->series[s];
        ck_assert_str_eq(sw->measurement, sc->measurement);
        ck_assert_uint_eq(sw->n_tags, sc->n_tags);
        for (size_t t = 0; t < sw->n_tags; t++)
            ck_assert_str_eq(sw->tags[t]->value, sc->tags[t]->value);
        ck_assert_uint_eq(sw->n_agg_columns, 0);
        ck_assert_uint_eq(sc->n_windows, 0);
        size_t npartials = 0, nentries = 0;
        for (size_t k = 0; k < sw->n_windows; k++)
            npartials += sw->windows[k]->n_fields;
        for (size_t k = 0; k < sc->n_agg_columns; k++) {
            const Strata__AggColumn *col = sc->agg_columns[k];
            if (k > 0) /* sorted by (field, type) */
                ck_assert(strcmp(sc->agg_columns[k - 1]->field, col->field) < 0 ||
                          (strcmp(sc->agg_columns[k - 1]->field, col->field) == 0 &&
                           sc->agg_columns[k - 1]->type < col->type));
            struct st_agg_wire_reader rd;
            ck_assert_int_eq(st_agg_wire_reader_init(&rd, col, want), ST_OK);
            size_t win = 0;
            for (size_t i = 0; i < rd.n; i++, nentries++) {
                struct st_agg a, b;
                int64_t start = st_agg_wire_get(&rd, i, &a);
                while (win < sw->n_windows && sw->windows[win]->start_ns != start)
                    win++; /* in window order */
                ck_assert_uint_lt(win, sw->n_windows);
                const Strata__FieldPartial *fp = NULL;
                for (size_t f = 0; f < sw->windows[win]->n_fields && fp == NULL; f++)
                    if (strcmp(sw->windows[win]->fields[f]->field, col->field) == 0 &&
                        sw->windows[win]->fields[f]->type == col->type)
                        fp = sw->windows[win]->fields[f];
                ck_assert_ptr_nonnull(fp);
                st_agg_wire_from_partial(&b, fp, want);
                same_agg(&a, &b);
                win++;
            }
        }
        ck_assert_uint_eq(nentries, npartials);
        total += nentries;
    }
    return total;
}

/* @q answered page by page in both forms gives the same partials. */
static size_t same_both_forms(Strata__Query *q, unsigned want)
{
    size_t total = 0;
    uint8_t cur[64];
    q->cursor.len = 0;
    for (;;) {
        q->columnar = false;
        Strata__DataResponse *rw = run(q);
        q->columnar = true;
        Strata__DataResponse *rc = run(q);
        q->columnar = false;
        total += same_page(ok(rw), ok(rc), want);
        bool more = rw->query->more;
        if (more) {
            ck_assert_uint_le(rw->query->cursor.len, sizeof(cur));
            memcpy(cur, rw->query->cursor.data, rw->query->cursor.len);
            q->cursor.data = cur;
            q->cursor.len = rw->query->cursor.len;
        }
        strata__data_response__free_unpacked(rw, NULL);
        strata__data_response__free_unpacked(rc, NULL);
        if (!more)
            break;
    }
    q->cursor.len = 0;
    return total;
}

START_TEST(test_query_columns_equal_windows)
{
    srand(81);
    write_model(1);
    /* every type; ties across shards at equal times; -0 and +0 */
    write_lp(1, "x,host=a s=\"bb\",b=true,u=5u,z=-0,f=1 1000\n"
                "x,host=a s=\"a\",b=false,u=7u,z=0,f=2 2000\n"
                "x,host=b s=\"\",b=false,u=18446744073709551615u,z=0,i=9223372036854775807i 1000\n"
                "x,host=b s=\"zz\",b=true,u=1u,z=-0,i=1i 61000000000\n");
    write_lp(2, "x,host=a s=\"c\",b=false,u=5u,z=0,f=1 1000\n"
                "x,host=a s=\"longer than the others\",b=true,u=2u,z=-0 3000\n"
                "x,host=b s=\"zz\",b=false,u=3u,z=0,i=1i 61000000000\n");
    flush_compact(2, 0);
    Strata__AggregateKind all[] = {STRATA__AGGREGATE_KIND__COUNT, STRATA__AGGREGATE_KIND__SUM,
                                   STRATA__AGGREGATE_KIND__MEAN,  STRATA__AGGREGATE_KIND__MIN,
                                   STRATA__AGGREGATE_KIND__MAX,   STRATA__AGGREGATE_KIND__FIRST,
                                   STRATA__AGGREGATE_KIND__LAST,  STRATA__AGGREGATE_KIND__SPREAD,
                                   STRATA__AGGREGATE_KIND__STDDEV};
    unsigned want_all = ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST | ST_AGG_MOMENTS;
    Strata__AggregateKind cm[] = {STRATA__AGGREGATE_KIND__COUNT, STRATA__AGGREGATE_KIND__MAX};
    char *gb[] = {"host"};
    Strata__Query q;
    for (int m = 0; m < 2; m++) {
        base_query(&q, m ? "x" : "m");
        q.shard_ids = shards12;
        q.n_shard_ids = 2;
        for (int k = 0; k < 12; k++) {
            q.aggregates = k % 3 == 2 ? cm : all;
            q.n_aggregates = k % 3 == 2 ? 2 : 9;
            unsigned want = k % 3 == 2 ? ST_AGG_MINMAX : want_all;
            q.interval_ns = (int64_t[]){0, 7000000, 1500000000, 60000000000LL}[k % 4];
            q.min_ns = q.interval_ns ? 0 : INT64_MIN;
            q.group_by_tags = k % 2 ? gb : NULL;
            q.n_group_by_tags = k % 2 ? 1 : 0;
            q.group_by_all = k == 6;
            q.descending = k % 5 == 1;
            q.limit = k == 5 ? 40 : 0;
            q.offset = k == 5 ? 1 : 0;
            q.max_points = k % 4 == 1 ? 97 : 0;
            size_t n = same_both_forms(&q, want);
            ck_assert_msg(n > 0, "query %d of %d: no partial", k, m);
        }
    }
    /* only what the aggregates need travels */
    base_query(&q, "m");
    q.aggregates = cm;
    q.n_aggregates = 2;
    q.interval_ns = 60000000;
    q.min_ns = 0;
    q.columnar = true;
    Strata__DataResponse *r = run(&q);
    const Strata__AggColumn *col = ok(r)->series[0]->agg_columns[0];
    ck_assert_uint_gt(col->n_starts, 0);
    ck_assert_uint_eq(col->n_count, col->n_starts);
    ck_assert_uint_eq(col->max->n_times, col->n_starts);
    ck_assert_uint_eq(col->n_sum + col->n_int_sum + col->n_mean + col->n_m2, 0);
    ck_assert_ptr_null(col->first);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* ---- readers reused across queries ---------------------------------------- */

/* The packed answer of @q, with the pool's reader or a fresh one. */
static void query_bytes(st_shard_reader_pool *pool, const Strata__Query *q, struct st_buf *out)
{
    st_buf_reset(out);
    ck_assert_int_eq(st_data_query(st, pool, q, out), ST_OK);
}

/* Every query, pooled or not, answers the same bytes, statistics included. */
static void same_answers(Strata__Query *q)
{
    struct st_buf a, b;
    st_buf_init(&a);
    st_buf_init(&b);
    for (int agg = 0; agg < 2; agg++) {
        Strata__AggregateKind aggs[] = {STRATA__AGGREGATE_KIND__COUNT, STRATA__AGGREGATE_KIND__MAX};
        q->aggregates = agg ? aggs : NULL;
        q->n_aggregates = agg ? 2 : 0;
        q->interval_ns = agg ? 10000000 : 0;
        for (int round = 0; round < 2; round++) {
            query_bytes(readers, q, &a);
            query_bytes(NULL, q, &b);
            ck_assert_uint_eq(a.len, b.len);
            ck_assert(memcmp(a.p, b.p, a.len) == 0);
        }
    }
    st_buf_fini(&a);
    st_buf_fini(&b);
}

/* Descriptors of this process open on files that no longer exist. */
static int deleted_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        char path[64], target[512];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t len = readlink(path, target, sizeof(target) - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        if (strstr(target, " (deleted)") != NULL && strstr(target, dir) != NULL)
            n++;
    }
    return n;
}

START_TEST(test_query_reader_reused_across_compaction_and_drop)
{
    srand(81);
    write_model(1); /* shard 2: several segments and a cache */
    Strata__Query q;
    base_query(&q, "m");
    q.shard_ids = shards12;
    q.n_shard_ids = 2;
    char *gb[] = {"host"};
    q.group_by_tags = gb;
    q.n_group_by_tags = 1;
    same_answers(&q);
    /* compaction replaces shard 2's segment files under the pooled reader */
    flush_compact(2, 1);
    same_answers(&q);
    ck_assert_int_eq(deleted_fds(), 0);
    /* a dropped shard, created again with other data */
    ck_assert_int_eq(st_store_drop(st, 2), ST_OK);
    char lp[128];
    snprintf(lp, sizeof(lp), "m,host=h9 f=1.5,i=2i %lld\n", (long long)T0);
    write_lp(2, lp);
    flush_compact(2, 0);
    same_answers(&q);
    ck_assert_int_eq(deleted_fds(), 0);
    q.shard_ids = shards12 + 1;
    q.n_shard_ids = 1;
    q.aggregates = NULL;
    q.n_aggregates = 0;
    q.interval_ns = 0;
    Strata__DataResponse *r = run(&q);
    Strata__QueryResponse *qr = ok(r);
    ck_assert_uint_eq(qr->n_series, 1);
    ck_assert_str_eq(tag_of(qr->series[0], "host"), "h9");
    ck_assert_uint_eq(qr->series[0]->n_times, 1);
    strata__data_response__free_unpacked(r, NULL);
}
END_TEST

/* A reader comes back from the pool with its counters reset, and a pool
 * keeps at most max_idle readers. */
START_TEST(test_query_reader_pool_get_put)
{
    st_shard_reader_pool *pool;
    ck_assert_int_eq(st_shard_reader_pool_open(1, &pool), ST_OK);
    st_shard_reader *a, *b, *c;
    ck_assert_int_eq(st_shard_reader_get(pool, &a), ST_OK);
    ck_assert_int_eq(st_shard_reader_get(pool, &b), ST_OK);
    ck_assert_ptr_ne(a, b);
    st_shard_reader_put(pool, a);
    st_shard_reader_put(pool, b); /* the pool is full: closed */
    ck_assert_int_eq(st_shard_reader_get(pool, &c), ST_OK);
    ck_assert_ptr_eq(c, a);
    struct st_shard_reader_stats rs;
    st_shard_reader_stats(c, &rs);
    ck_assert_uint_eq(rs.blocks_decoded + rs.blocks_from_stats + rs.values, 0);
    ck_assert_str_eq(st_shard_reader_error(c), "");
    st_shard_reader_put(pool, c);
    st_shard_reader_put(NULL, NULL);
    ck_assert_int_eq(st_shard_reader_get(NULL, &c), ST_OK);
    st_shard_reader_put(NULL, c);
    st_shard_reader_pool_close(pool);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("query");
    TCase *tc = tcase_create("query");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_query_raw_predicate_and_tag_columns);
    tcase_add_test(tc, test_query_raw_field_condition);
    tcase_add_test(tc, test_query_raw_filter_reads_the_rest_where_it_passes);
    tcase_add_test(tc, test_query_raw_group_by_limit_order);
    tcase_add_test(tc, test_query_measurement_regex_and_errors);
    tcase_add_test(tc, test_query_delete_series_and_range);
    tcase_add_test(tc, test_query_aggregates_match_model);
    tcase_add_test(tc, test_query_stddev_and_no_window);
    tcase_add_test(tc, test_query_paging_concatenates);
    tcase_add_test(tc, test_query_columns_equal_windows);
    tcase_add_test(tc, test_query_desc_limit_reads_the_end);
    tcase_add_test(tc, test_query_desc_limit_one_from_stats);
    tcase_add_test(tc, test_query_reader_reused_across_compaction_and_drop);
    tcase_add_test(tc, test_query_reader_pool_get_put);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
