/* proto/agg_wire: st_agg partials as AggColumn entries, through pack and
 * unpack, give back exactly what went in (every aggregate kind and field
 * type, strings, NaN, -0, windows without min/max, empty columns), merge as
 * the originals do, and malformed columns are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agg_wire.h"
#include "err.h"
#include "testlib.h"

/* Allocations of one message, freed at once. */
struct tarena {
    void **v;
    size_t n, cap;
};

static void *talloc(void *ctx, size_t n)
{
    struct tarena *a = ctx;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = realloc(a->v, a->cap * sizeof(*a->v));
        ck_assert_ptr_nonnull(a->v);
    }
    void *p = calloc(1, n ? n : 1);
    ck_assert_ptr_nonnull(p);
    a->v[a->n++] = p;
    return p;
}

static void tarena_free(struct tarena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

static bool same_bits(double x, double y)
{
    return memcmp(&x, &y, sizeof(x)) == 0;
}

static bool same_value(enum st_field_type t, const union st_agg_value *x,
                       const union st_agg_value *y)
{
    switch (t) {
    case ST_FIELD_FLOAT:
        return same_bits(x->f, y->f);
    case ST_FIELD_INTEGER:
        return x->i == y->i;
    case ST_FIELD_UNSIGNED:
        return x->u == y->u;
    case ST_FIELD_BOOLEAN:
        return x->b == y->b;
    case ST_FIELD_STRING:
        return x->s.len == y->s.len && (x->s.len == 0 || memcmp(x->s.p, y->s.p, x->s.len) == 0);
    }
    return false;
}

/* Whether @got holds every statistic of @want as @exp does. */
static void check_same(const struct st_agg *exp, const struct st_agg *got)
{
    ck_assert_int_eq(got->type, exp->type);
    ck_assert_uint_eq(got->want, exp->want);
    ck_assert_uint_eq(got->count, exp->count);
    if (exp->want & ST_AGG_SUM) {
        ck_assert(same_bits(got->sum, exp->sum));
        if (exp->type == ST_FIELD_INTEGER)
            ck_assert_int_eq(got->isum, exp->isum);
        if (exp->type == ST_FIELD_UNSIGNED)
            ck_assert_uint_eq(got->usum, exp->usum);
    }
    if (exp->want & ST_AGG_MOMENTS) {
        ck_assert(same_bits(got->mean, exp->mean));
        ck_assert(same_bits(got->m2, exp->m2));
    }
    if (exp->want & ST_AGG_MINMAX) {
        ck_assert_int_eq(got->has_minmax, exp->has_minmax);
        if (exp->has_minmax) {
            ck_assert(same_value(exp->type, &got->min, &exp->min));
            ck_assert(same_value(exp->type, &got->max, &exp->max));
            ck_assert_int_eq(got->min_t, exp->min_t);
            ck_assert_int_eq(got->max_t, exp->max_t);
        }
    }
    if ((exp->want & ST_AGG_FIRSTLAST) && exp->count > 0) {
        ck_assert(same_value(exp->type, &got->first, &exp->first));
        ck_assert(same_value(exp->type, &got->last, &exp->last));
        ck_assert_int_eq(got->first_t, exp->first_t);
        ck_assert_int_eq(got->last_t, exp->last_t);
    }
}

static const char *const strs[] = {"",
                                   "a",
                                   "zz",
                                   "hello, world",
                                   "a\0b",
                                   "\xff\xfe",
                                   ("longer string value that goes past the first buffer size "
                                    "of the column so that the bytes grow more than once ...")};

/* Value @k of type @t: every kind of corner (NaN, +-0, extremes). */
static union st_agg_value value_of(enum st_field_type t, unsigned k)
{
    union st_agg_value v;
    memset(&v, 0, sizeof(v));
    switch (t) {
    case ST_FIELD_FLOAT: {
        static const double f[] = {1.5, -0.0, 0.0, NAN, -7.25, 1e300, -1e-300, 3.0};
        v.f = f[k % 8];
        break;
    }
    case ST_FIELD_INTEGER: {
        static const int64_t i[] = {5, INT64_MAX, INT64_MIN, -1, 0, 42, 7};
        v.i = i[k % 7];
        break;
    }
    case ST_FIELD_UNSIGNED: {
        static const uint64_t u[] = {5, UINT64_MAX, 0, 1, 1ull << 63, 9};
        v.u = u[k % 6];
        break;
    }
    case ST_FIELD_BOOLEAN:
        v.b = (k * 7 + 3) % 3 == 0;
        break;
    case ST_FIELD_STRING: {
        const char *s = strs[k % 7];
        v.s.p = s;
        v.s.len = (uint32_t)(k % 7 == 4 ? 3 : strlen(s));
        break;
    }
    }
    return v;
}

#define NWIN 23

/* The partials of NWIN windows of type @t tracking @want: window w gets
 * w % 5 + 1 points at times with ties; window 3 of floats is all NaN. */
static void make_partials(struct st_agg *aggs, enum st_field_type t, unsigned want)
{
    for (unsigned w = 0; w < NWIN; w++) {
        st_agg_init(&aggs[w], t, want);
        for (unsigned k = 0; k < w % 5 + 1; k++) {
            union st_agg_value v = value_of(t, w * 3 + k);
            if (t == ST_FIELD_FLOAT && w == 3)
                v.f = NAN;
            ck_assert_int_eq(st_agg_add(&aggs[w], 1000 * (int64_t)w + k / 2, &v), ST_OK);
        }
    }
}

/* Packs @col alone, unpacks it into *@out (free with
 * strata__agg_column__free_unpacked). */
static Strata__AggColumn *round_trip(const Strata__AggColumn *col)
{
    size_t n = strata__agg_column__get_packed_size(col);
    uint8_t *buf = malloc(n ? n : 1);
    ck_assert_uint_eq(strata__agg_column__pack(col, buf), n);
    Strata__AggColumn *got = strata__agg_column__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(got);
    free(buf);
    return got;
}

static const enum st_field_type types[] = {ST_FIELD_FLOAT, ST_FIELD_INTEGER, ST_FIELD_UNSIGNED,
                                           ST_FIELD_STRING, ST_FIELD_BOOLEAN};
static const unsigned wants[] = {
    ST_AGG_COUNT,
    ST_AGG_SUM,
    ST_AGG_MINMAX,
    ST_AGG_FIRSTLAST,
    ST_AGG_MOMENTS | ST_AGG_SUM,
    ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST | ST_AGG_MOMENTS,
};

START_TEST(test_agg_wire_column_round_trip)
{
    for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++)
        for (size_t wi = 0; wi < sizeof(wants) / sizeof(wants[0]); wi++) {
            enum st_field_type t = types[ti];
            struct st_agg aggs[NWIN];
            make_partials(aggs, t, wants[wi]);
            struct tarena ar = {0};
            struct st_agg_wire_col b;
            ck_assert_int_eq(st_agg_wire_col_init(&b, "f", t, wants[wi], NWIN, talloc, &ar), ST_OK);
            for (unsigned w = 0; w < NWIN; w++) /* descending windows */
                ck_assert_int_eq(
                    st_agg_wire_col_add(&b, 1000 * (int64_t)(NWIN - 1 - w), &aggs[NWIN - 1 - w]),
                    ST_OK);
            /* full */
            ck_assert_int_eq(st_agg_wire_col_add(&b, 0, &aggs[0]), ST_EINVAL);
            Strata__AggColumn *got = round_trip(b.col);
            ck_assert_str_eq(got->field, "f");
            ck_assert_int_eq(got->type, st_agg_wire_type(t));
            /* only the arrays the statistics need */
            ck_assert_uint_eq(got->n_count, NWIN);
            ck_assert_uint_eq(got->n_sum, (aggs[0].want & ST_AGG_SUM) ? NWIN : 0);
            ck_assert_uint_eq(got->n_mean, (aggs[0].want & ST_AGG_MOMENTS) ? NWIN : 0);
            ck_assert_uint_eq(got->n_int_sum,
                              (aggs[0].want & ST_AGG_SUM) && t == ST_FIELD_INTEGER ? NWIN : 0);
            ck_assert(((aggs[0].want & ST_AGG_MINMAX) != 0) == (got->min != NULL));
            ck_assert(((aggs[0].want & ST_AGG_FIRSTLAST) != 0) == (got->first != NULL));
            struct st_agg_wire_reader rd;
            ck_assert_int_eq(st_agg_wire_reader_init(&rd, got, wants[wi]), ST_OK);
            ck_assert_uint_eq(rd.n, NWIN);
            for (size_t i = 0; i < NWIN; i++) {
                struct st_agg a;
                ck_assert_int_eq(st_agg_wire_get(&rd, i, &a), 1000 * (int64_t)(NWIN - 1 - i));
                check_same(&aggs[NWIN - 1 - i], &a);
            }
            if (t == ST_FIELD_FLOAT && (aggs[0].want & ST_AGG_MINMAX)) {
                ck_assert(!aggs[3].has_minmax); /* all NaN: flagged absent */
                ck_assert_uint_gt(got->minmax_absent.len, 0);
            }
            /* asking less than was sent reads fine; asking more is refused
             * when the type has the statistic */
            ck_assert_int_eq(st_agg_wire_reader_init(&rd, got, ST_AGG_COUNT), ST_OK);
            unsigned all = ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST | ST_AGG_MOMENTS;
            struct st_agg probe;
            st_agg_init(&probe, t, all);
            ck_assert_int_eq(st_agg_wire_reader_init(&rd, got, all),
                             probe.want == aggs[0].want ? ST_OK : ST_EINVAL);
            strata__agg_column__free_unpacked(got, NULL);
            tarena_free(&ar);
            for (unsigned w = 0; w < NWIN; w++)
                st_agg_fini(&aggs[w]);
        }
}
END_TEST

/* Merging the entries read back gives what merging the originals gives,
 * bit for bit, in both orders (first/last and min/max ties across
 * partials, -0/+0, NaN). */
START_TEST(test_agg_wire_merge_equals_originals)
{
    unsigned all = ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST | ST_AGG_MOMENTS;
    for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
        enum st_field_type t = types[ti];
        struct st_agg parts[NWIN];
        for (unsigned w = 0; w < NWIN; w++) { /* every part at the same few times: ties */
            st_agg_init(&parts[w], t, all);
            for (unsigned k = 0; k < w % 3 + 1; k++) {
                union st_agg_value v = value_of(t, w + k * 5);
                ck_assert_int_eq(st_agg_add(&parts[w], (int64_t)((w + k) % 4), &v), ST_OK);
            }
        }
        struct tarena ar = {0};
        struct st_agg_wire_col b;
        ck_assert_int_eq(st_agg_wire_col_init(&b, "f", t, all, NWIN, talloc, &ar), ST_OK);
        for (unsigned w = 0; w < NWIN; w++)
            ck_assert_int_eq(st_agg_wire_col_add(&b, 0, &parts[w]), ST_OK);
        Strata__AggColumn *got = round_trip(b.col);
        struct st_agg_wire_reader rd;
        ck_assert_int_eq(st_agg_wire_reader_init(&rd, got, all), ST_OK);
        for (int order = 0; order < 2; order++) {
            struct st_agg exp, m;
            st_agg_init(&exp, t, all);
            st_agg_init(&m, t, all);
            for (unsigned j = 0; j < NWIN; j++) {
                unsigned w = order ? NWIN - 1 - j : j;
                struct st_agg e;
                st_agg_wire_get(&rd, w, &e);
                ck_assert_int_eq(st_agg_merge(&exp, &parts[w]), ST_OK);
                ck_assert_int_eq(st_agg_merge(&m, &e), ST_OK);
            }
            check_same(&exp, &m);
            st_agg_fini(&exp);
            st_agg_fini(&m);
        }
        strata__agg_column__free_unpacked(got, NULL);
        tarena_free(&ar);
        for (unsigned w = 0; w < NWIN; w++)
            st_agg_fini(&parts[w]);
    }
}
END_TEST

START_TEST(test_agg_wire_empty_column)
{
    unsigned all = ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST | ST_AGG_MOMENTS;
    for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
        struct tarena ar = {0};
        struct st_agg_wire_col b;
        ck_assert_int_eq(st_agg_wire_col_init(&b, "e", types[ti], all, 0, talloc, &ar), ST_OK);
        Strata__AggColumn *got = round_trip(b.col);
        struct st_agg_wire_reader rd;
        ck_assert_int_eq(st_agg_wire_reader_init(&rd, got, all), ST_OK);
        ck_assert_uint_eq(rd.n, 0);
        strata__agg_column__free_unpacked(got, NULL);
        /* the selectors left out altogether */
        Strata__AggColumn bare = STRATA__AGG_COLUMN__INIT;
        bare.type = st_agg_wire_type(types[ti]);
        ck_assert_int_eq(st_agg_wire_reader_init(&rd, &bare, all), ST_OK);
        tarena_free(&ar);
    }
}
END_TEST

START_TEST(test_agg_wire_malformed_refused)
{
    struct st_agg a[2];
    st_agg_init(&a[0], ST_FIELD_STRING, ST_AGG_FIRSTLAST);
    st_agg_init(&a[1], ST_FIELD_STRING, ST_AGG_FIRSTLAST);
    union st_agg_value v = {.s = {"abc", 3}};
    ck_assert_int_eq(st_agg_add(&a[0], 1, &v), ST_OK);
    ck_assert_int_eq(st_agg_add(&a[1], 2, &v), ST_OK);
    struct tarena ar = {0};
    struct st_agg_wire_col b;
    ck_assert_int_eq(
        st_agg_wire_col_init(&b, "s", ST_FIELD_STRING, ST_AGG_FIRSTLAST, 2, talloc, &ar), ST_OK);
    ck_assert_int_eq(st_agg_wire_col_add(&b, 0, &a[0]), ST_OK);
    ck_assert_int_eq(st_agg_wire_col_add(&b, 10, &a[1]), ST_OK);
    Strata__AggColumn *c = b.col;
    struct st_agg_wire_reader rd;
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, c, ST_AGG_FIRSTLAST), ST_OK);
    c->first->string_ends[1] = 99; /* past the bytes */
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, c, ST_AGG_FIRSTLAST), ST_EINVAL);
    c->first->string_ends[1] = 2; /* decreasing */
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, c, ST_AGG_FIRSTLAST), ST_EINVAL);
    c->first->string_ends[1] = 6;
    c->n_count = 1; /* a short array */
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, c, ST_AGG_FIRSTLAST), ST_EINVAL);
    c->n_count = 2;
    c->last->n_times = 1;
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, c, ST_AGG_FIRSTLAST), ST_EINVAL);
    c->last->n_times = 2;
    c->type = STRATA__FIELD_TYPE__FIELD_TYPE_UNSPECIFIED;
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, c, ST_AGG_FIRSTLAST), ST_EINVAL);
    c->type = STRATA__FIELD_TYPE__STRING;
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, c, ST_AGG_FIRSTLAST), ST_OK);
    /* another type, or a partial that tracks less, does not go in */
    struct st_agg f;
    st_agg_init(&f, ST_FIELD_FLOAT, ST_AGG_FIRSTLAST);
    struct st_agg_wire_col b2;
    ck_assert_int_eq(
        st_agg_wire_col_init(&b2, "s", ST_FIELD_STRING, ST_AGG_FIRSTLAST, 2, talloc, &ar), ST_OK);
    ck_assert_int_eq(st_agg_wire_col_add(&b2, 0, &f), ST_EINVAL);
    struct st_agg few;
    st_agg_init(&few, ST_FIELD_STRING, ST_AGG_COUNT);
    ck_assert_int_eq(st_agg_wire_col_add(&b2, 0, &few), ST_EINVAL);
    /* min/max absent bits must cover every entry */
    struct st_agg x;
    st_agg_init(&x, ST_FIELD_FLOAT, ST_AGG_MINMAX);
    union st_agg_value nan = {.f = NAN};
    ck_assert_int_eq(st_agg_add(&x, 5, &nan), ST_OK);
    struct st_agg_wire_col b3;
    ck_assert_int_eq(st_agg_wire_col_init(&b3, "x", ST_FIELD_FLOAT, ST_AGG_MINMAX, 9, talloc, &ar),
                     ST_OK);
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(st_agg_wire_col_add(&b3, i, &x), ST_OK);
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, b3.col, ST_AGG_MINMAX), ST_OK);
    b3.col->minmax_absent.len = 1;
    ck_assert_int_eq(st_agg_wire_reader_init(&rd, b3.col, ST_AGG_MINMAX), ST_EINVAL);
    st_agg_fini(&a[0]);
    st_agg_fini(&a[1]);
    tarena_free(&ar);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agg_wire");
    TCase *tc = tcase_create("columns");
    tcase_add_test(tc, test_agg_wire_column_round_trip);
    tcase_add_test(tc, test_agg_wire_merge_equals_originals);
    tcase_add_test(tc, test_agg_wire_empty_column);
    tcase_add_test(tc, test_agg_wire_malformed_refused);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
