/* Unit tests of data/cache: put, sort, last write wins, types, order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "err.h"
#include "testlib.h"

static st_cache *c;

static void setup(void)
{
    ck_assert_int_eq(st_cache_open(&c), ST_OK);
}

static void teardown(void)
{
    st_cache_close(c);
    c = NULL;
}

static struct st_slice S(const char *s) {
    struct st_slice x = {s, (uint32_t)strlen(s)};
    return x;
}

static void
PUT_F(uint32_t series, const char *field, int64_t t, double f)
{
    union st_value v = {.f = f};
    ck_assert_int_eq(st_cache_put(c, series, S(field), ST_FIELD_FLOAT, t, &v), ST_OK);
}

START_TEST(test_cache_put_find_sorted)
{
    PUT_F(1, "v", 10, 1.0);
    PUT_F(1, "v", 20, 2.0);
    PUT_F(1, "v", 30, 3.0);
    struct st_cache_view v;
    ck_assert_int_eq(st_cache_find(c, 1, S("v"), &v), ST_OK);
    ck_assert_uint_eq(v.n, 3);
    ck_assert_int_eq(v.t[0], 10);
    ck_assert_double_eq(v.v[2].f, 3.0);
    ck_assert_int_eq(st_cache_find(c, 2, S("v"), &v), ST_ENOTFOUND);
    ck_assert_int_eq(st_cache_find(c, 1, S("w"), &v), ST_ENOTFOUND);
}
END_TEST

START_TEST(test_cache_unsorted_last_write_wins)
{
    /* Out of order with duplicates: the value put last wins per time. */
    PUT_F(7, "v", 30, 3.0);
    PUT_F(7, "v", 10, 1.0);
    PUT_F(7, "v", 20, 2.0);
    PUT_F(7, "v", 10, 11.0);
    PUT_F(7, "v", 30, 33.0);
    PUT_F(7, "v", 30, 333.0);
    PUT_F(7, "v", -5, -1.0);
    struct st_cache_view v;
    ck_assert_int_eq(st_cache_find(c, 7, S("v"), &v), ST_OK);
    ck_assert_uint_eq(v.n, 4);
    int64_t wt[] = {-5, 10, 20, 30};
    double wv[] = {-1.0, 11.0, 2.0, 333.0};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(v.t[i], wt[i]);
        ck_assert_double_eq(v.v[i].f, wv[i]);
    }
    /* Appending after a sort keeps working. */
    PUT_F(7, "v", 20, 22.0);
    ck_assert_int_eq(st_cache_find(c, 7, S("v"), &v), ST_OK);
    ck_assert_uint_eq(v.n, 4);
    ck_assert_double_eq(v.v[2].f, 22.0);
}
END_TEST

/* A read sorts an entry in place; writes after it must still fit: the
 * sorted arrays keep the entry's capacity (an overflow, found by ASan). */
START_TEST(test_cache_put_after_sorting_read)
{
    union st_value v;
    struct st_cache_view view;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 20; i++) { /* 5 merge passes: sorted into the new arrays */
            v.i = i;
            ck_assert_int_eq(
                st_cache_put(c, 1, S("f"), ST_FIELD_INTEGER, (i * 7919) % 101 + round * 1000, &v),
                ST_OK);
        }
        ck_assert_int_eq(st_cache_find(c, 1, S("f"), &view), ST_OK);
        for (size_t k = 1; k < view.n; k++)
            ck_assert_int_lt(view.t[k - 1], view.t[k]);
    }
    ck_assert_uint_eq(view.n, 4 * 20);
}
END_TEST

START_TEST(test_cache_large_random_matches_reference)
{
    /* 20,000 puts at random times in 0..4999: compare with a direct table. */
    enum { N = 20000, T = 5000 };
    double *ref = malloc(T * sizeof(*ref));
    char *set = calloc(T, 1);
    uint64_t r = 12345;
    for (int i = 0; i < N; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        int64_t t = (int64_t)((r >> 33) % T);
        PUT_F(3, "x", t, (double)i);
        ref[t] = (double)i;
        set[t] = 1;
    }
    struct st_cache_view v;
    ck_assert_int_eq(st_cache_find(c, 3, S("x"), &v), ST_OK);
    size_t k = 0;
    for (int64_t t = 0; t < T; t++) {
        if (!set[t])
            continue;
        ck_assert_uint_lt(k, v.n);
        ck_assert_int_eq(v.t[k], t);
        ck_assert_double_eq(v.v[k].f, ref[t]);
        k++;
    }
    ck_assert_uint_eq(k, v.n);
    free(ref);
    free(set);
}
END_TEST

START_TEST(test_cache_types_and_strings)
{
    union st_value v = {.i = 5};
    ck_assert_int_eq(st_cache_put(c, 1, S("n"), ST_FIELD_INTEGER, 1, &v), ST_OK);
    v.f = 1.5;
    ck_assert_int_eq(st_cache_put(c, 1, S("n"), ST_FIELD_FLOAT, 2, &v), ST_ETYPE);
    char buf[16];
    strcpy(buf, "hello");
    v.s = S(buf);
    ck_assert_int_eq(st_cache_put(c, 1, S("s"), ST_FIELD_STRING, 1, &v), ST_OK);
    strcpy(buf, "XXXXX"); /* the cache copied the string */
    v.s = S("");
    ck_assert_int_eq(st_cache_put(c, 1, S("s"), ST_FIELD_STRING, 2, &v), ST_OK);
    struct st_cache_view w;
    ck_assert_int_eq(st_cache_find(c, 1, S("s"), &w), ST_OK);
    ck_assert_int_eq(w.type, ST_FIELD_STRING);
    ck_assert_uint_eq(w.v[0].s.len, 5);
    ck_assert_int_eq(memcmp(w.v[0].s.p, "hello", 5), 0);
    ck_assert_uint_eq(w.v[1].s.len, 0);
    ck_assert_uint_eq(st_cache_values(c), 3);
    ck_assert_uint_eq(st_cache_entries(c), 2);
}
END_TEST

struct seen {
    uint32_t series[64];
    char fields[64][8];
    size_t n;
};

static int collect(const struct st_cache_view *v, void *arg)
{
    struct seen *s = arg;
    s->series[s->n] = v->series;
    snprintf(s->fields[s->n], sizeof(s->fields[0]), "%.*s", (int)v->field.len, v->field.p);
    s->n++;
    return ST_OK;
}

START_TEST(test_cache_each_in_series_field_order)
{
    PUT_F(2, "b", 1, 1);
    PUT_F(1, "z", 1, 1);
    PUT_F(2, "a", 1, 1);
    PUT_F(1, "a", 1, 1);
    for (uint32_t s = 100; s > 10; s -= 10)
        PUT_F(s, "q", 1, 1);
    struct seen seen = {0};
    ck_assert_int_eq(st_cache_each(c, collect, &seen), ST_OK);
    ck_assert_uint_eq(seen.n, 13);
    ck_assert(seen.series[0] == 1 && strcmp(seen.fields[0], "a") == 0);
    ck_assert(seen.series[1] == 1 && strcmp(seen.fields[1], "z") == 0);
    ck_assert(seen.series[2] == 2 && strcmp(seen.fields[2], "a") == 0);
    ck_assert(seen.series[3] == 2 && strcmp(seen.fields[3], "b") == 0);
    for (size_t i = 5; i < seen.n; i++)
        ck_assert_uint_lt(seen.series[i - 1], seen.series[i]);
    ck_assert_uint_gt(st_cache_bytes(c), 0);
}
END_TEST

START_TEST(test_cache_many_entries_grow_table)
{
    for (uint32_t s = 1; s <= 5000; s++) {
        PUT_F(s, "f1", s, s);
        PUT_F(s, "f2", s, -(double)s);
    }
    for (uint32_t s = 1; s <= 5000; s += 97) {
        struct st_cache_view v;
        ck_assert_int_eq(st_cache_find(c, s, S("f2"), &v), ST_OK);
        ck_assert_double_eq(v.v[0].f, -(double)s);
    }
    ck_assert_uint_eq(st_cache_entries(c), 10000);
}
END_TEST

/* Values live in runs of at most a few hundred slots: a delete across
 * runs that were never joined, appends after it (in and out of order), and
 * memory that follows the values put instead of doubling in lockstep (a
 * regular workload grew every entry's array in the same batch, and the cache
 * held twice its values' size when a flush began). */
START_TEST(test_cache_runs_delete_and_memory)
{
    for (int t = 0; t < 1000; t++)
        PUT_F(3, "v", t, (double)t);
    uint32_t ids[] = {3};
    ck_assert_uint_eq(st_cache_delete(c, ids, 1, 300, 699), 400);
    PUT_F(3, "v", 1000, 1000.0);
    PUT_F(3, "v", 500, -500.0);
    PUT_F(3, "v", 0, -1.0);
    struct st_cache_view v;
    ck_assert_int_eq(st_cache_find(c, 3, S("v"), &v), ST_OK);
    ck_assert_uint_eq(v.n, 602);
    for (size_t i = 1; i < v.n; i++)
        ck_assert_int_lt(v.t[i - 1], v.t[i]);
    ck_assert_double_eq(v.v[0].f, -1.0);
    ck_assert_int_eq(v.t[300], 500);
    ck_assert_double_eq(v.v[300].f, -500.0);
    ck_assert_int_eq(v.t[601], 1000);

    /* 500 entries of 600 values each: 24 bytes a value, plus slack under
     * one run per entry. Doubled arrays would hold 1024 slots each. */
    st_cache *d;
    ck_assert_int_eq(st_cache_open(&d), ST_OK);
    for (int t = 0; t < 600; t++) {
        for (uint32_t s = 1; s <= 500; s++) {
            union st_value x = {.f = t};
            ck_assert_int_eq(st_cache_put(d, s, S("v"), ST_FIELD_FLOAT, t, &x), ST_OK);
        }
    }
    size_t values = (size_t)500 * 600 * (sizeof(int64_t) + sizeof(union st_value));
    ck_assert_uint_gt(st_cache_bytes(d), values);
    ck_assert_uint_lt(st_cache_bytes(d), values + (size_t)500 * 256 * 24 + (1u << 20));
    st_cache_close(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cache_put_find_sorted);
    tcase_add_test(tc, test_cache_unsorted_last_write_wins);
    tcase_add_test(tc, test_cache_put_after_sorting_read);
    tcase_add_test(tc, test_cache_large_random_matches_reference);
    tcase_add_test(tc, test_cache_types_and_strings);
    tcase_add_test(tc, test_cache_each_in_series_field_order);
    tcase_add_test(tc, test_cache_many_entries_grow_table);
    tcase_add_test(tc, test_cache_runs_delete_and_memory);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
