/* The shard's merging scanner against a model: random overlapping writes,
 * flushes and compactions; every scan must give the model's last-write-wins
 * values, and whole-block statistics must add up to the same totals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "segment.h"
#include "shard.h"
#include "testlib.h"

#define SPAN 6000 /* distinct times (in µs) a key may hold */

static char dir[64];
static st_shard *sh;
static st_shard_reader *rd;

/* model[t] = value + 1 of field v at time t µs, 0 = none */
static int64_t model[SPAN];
static char smodel[SPAN][8];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-scan-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char err[512] = "";
    struct st_shard_opts o = {.cache_max_bytes = 64u << 20};
    ck_assert_msg(st_shard_open(dir, 1, &o, &sh, err, sizeof(err)) == ST_OK, "%s", err);
    ck_assert_int_eq(st_shard_reader_open(&rd), ST_OK);
    memset(model, 0, sizeof(model));
    memset(smodel, 0, sizeof(smodel));
}

static void teardown(void)
{
    st_shard_reader_close(rd);
    st_shard_close(sh);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* What a scan saw. */
struct seen {
    int64_t last_t; /* strictly increasing across runs and blocks */
    uint64_t count, blocks, runs;
    int64_t isum;
    int strings;
    uint64_t bad; /* values out of order or unlike the model */
};

static bool always(void *arg, const struct st_block_stats *st)
{
    (void)arg;
    (void)st;
    return true;
}

static int on_stats(void *arg, enum st_field_type type, const struct st_scan_block *b)
{
    struct seen *s = arg;
    const struct st_block_stats *st = &b->entry->stats;
    if (type != ST_FIELD_INTEGER || st->min_time <= s->last_t)
        s->bad++;
    s->last_t = st->max_time;
    s->count += st->count;
    s->isum += (int64_t)st->isum_lo;
    s->blocks++;
    return ST_OK;
}

/* Per-value checks count failures instead of asserting: every Check
 * assertion costs a write() to the test's log. */
static int on_values(void *arg, const struct st_scan_run *run)
{
    struct seen *s = arg;
    s->runs++;
    for (size_t i = 0; i < run->n; i++) {
        if (run->t[i] <= s->last_t)
            s->bad++;
        s->last_t = run->t[i];
        int64_t t = run->t[i] / 1000;
        if (t < 0 || t >= SPAN) {
            s->bad++;
            continue;
        }
        if (s->strings) {
            if (run->type != ST_FIELD_STRING || run->v.s[i].len != strlen(smodel[t]) ||
                memcmp(run->v.s[i].p, smodel[t], run->v.s[i].len) != 0)
                s->bad++;
        } else {
            if (run->type != ST_FIELD_INTEGER || model[t] != run->v.i[i] + 1)
                s->bad++;
            s->isum += run->v.i[i];
        }
        s->count++;
    }
    return ST_OK;
}

/* Scans [lo, hi] µs with and without statistics and checks both. */
static void check_range(int64_t lo, int64_t hi)
{
    uint64_t want_n = 0;
    int64_t want_sum = 0;
    uint64_t want_sn = 0;
    for (int64_t t = lo; t <= hi; t++) {
        if (model[t]) {
            want_n++;
            want_sum += model[t] - 1;
        }
        if (smodel[t][0])
            want_sn++;
    }
    struct st_slice fv = {"v", 1}, fs = {"s", 1};
    for (int stats = 0; stats < 2; stats++) {
        struct seen s = {.last_t = INT64_MIN};
        struct st_shard_scan_cb cb = {stats ? always : NULL, on_stats, on_values, &s};
        st_shard_read_lock(sh);
        int rv = st_shard_scan(sh, rd, 1, fv, ST_FIELD_INTEGER, lo * 1000, hi * 1000, &cb);
        st_shard_read_unlock(sh);
        ck_assert_msg(rv == ST_OK, "%s", st_shard_reader_error(rd));
        ck_assert_uint_eq(s.bad, 0);
        ck_assert_uint_eq(s.count, want_n);
        ck_assert_int_eq(s.isum, want_sum);
        if (!stats)
            ck_assert_uint_eq(s.blocks, 0);
    }
    struct seen s = {.last_t = INT64_MIN, .strings = 1};
    struct st_shard_scan_cb cb = {NULL, on_stats, on_values, &s};
    st_shard_read_lock(sh);
    int rv = st_shard_scan(sh, rd, 1, fs, ST_FIELD_STRING, lo * 1000, hi * 1000, &cb);
    st_shard_read_unlock(sh);
    ck_assert_msg(rv == ST_OK, "%s", st_shard_reader_error(rd));
    ck_assert_uint_eq(s.bad, 0);
    ck_assert_uint_eq(s.count, want_sn);
}

/* Writes @n points at random times in [base, base + width) µs. */
static void write_round(int n, int base, int width)
{
    size_t cap = (size_t)n * 64 + 1;
    char *lp = malloc(cap);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        int t = base + rand() % width;
        long long v = rand() % 2000001 - 1000000;
        model[t] = v + 1;
        int with_s = rand() % 3 == 0;
        if (with_s)
            snprintf(smodel[t], sizeof(smodel[t]), "x%d", rand() % 1000);
        len += (size_t)snprintf(lp + len, cap - len, "m,k=a v=%lldi%s%s%s %lld\n", v,
                                with_s ? ",s=\"" : "", with_s ? smodel[t] : "", with_s ? "\"" : "",
                                (long long)t * 1000);
    }
    struct st_shard_write_result res = {0};
    st_buf_init(&res.errors);
    ck_assert_int_eq(st_shard_write(sh, lp, len, &res), ST_OK);
    ck_assert_uint_eq(res.dropped, 0);
    st_buf_fini(&res.errors);
    free(lp);
}

START_TEST(test_scan_matches_model)
{
    srand(1234 + (unsigned)_i);
    for (int round = 0; round < 14; round++) {
        /* mostly advancing time with some late and overlapping writes */
        int base = round * 350 % (SPAN - 2500);
        int width = rand() % 4 == 0 ? SPAN - base : 2500;
        write_round(1500 + rand() % 1500, base, width);
        int act = rand() % 4;
        if (act == 1 || act == 2)
            ck_assert_int_eq(st_shard_flush(sh), ST_OK);
        if (act == 2 && rand() % 2)
            ck_assert_int_eq(st_shard_compact(sh), ST_OK);
        check_range(0, SPAN - 1);
        for (int k = 0; k < 4; k++) {
            int64_t a = rand() % SPAN, b = rand() % SPAN;
            check_range(a < b ? a : b, a < b ? b : a);
        }
    }
    ck_assert_int_eq(st_shard_flush(sh), ST_OK);
    ck_assert_int_eq(st_shard_compact(sh), ST_OK);
    check_range(0, SPAN - 1);
}
END_TEST

/* Deletes of random ranges between writes, flushes, compactions and
 * reopenings (tombstone file and WAL delete records): deleted values are
 * gone, values written after a delete stay. */
START_TEST(test_scan_deletes_match_model)
{
    srand(4321 + (unsigned)_i);
    char err[512] = "";
    for (int round = 0; round < 16; round++) {
        int base = round * 300 % (SPAN - 2500);
        write_round(1000 + rand() % 1500, base, rand() % 3 == 0 ? SPAN - base : 2500);
        if (rand() % 2) {
            int64_t a = rand() % SPAN, b = a + rand() % 1500;
            if (b >= SPAN)
                b = SPAN - 1;
            uint32_t id = 1;
            ck_assert_msg(st_shard_delete(sh, &id, 1, a * 1000, b * 1000 + 999, err, sizeof(err)) ==
                              ST_OK,
                          "%s", err);
            for (int64_t t = a; t <= b; t++) {
                model[t] = 0;
                smodel[t][0] = '\0';
            }
        }
        int act = rand() % 5;
        if (act == 1 || act == 2)
            ck_assert_int_eq(st_shard_flush(sh), ST_OK);
        if (act == 2)
            ck_assert_int_eq(st_shard_compact(sh), ST_OK);
        if (act == 3) { /* reopen: tombstones and WAL delete records replay */
            st_shard_close(sh);
            struct st_shard_opts o = {.cache_max_bytes = 64u << 20};
            ck_assert_msg(st_shard_open(dir, 1, &o, &sh, err, sizeof(err)) == ST_OK, "%s", err);
        }
        check_range(0, SPAN - 1);
        int64_t a = rand() % SPAN, b = rand() % SPAN;
        check_range(a < b ? a : b, a < b ? b : a);
    }
    ck_assert_int_eq(st_shard_flush(sh), ST_OK);
    ck_assert_int_eq(st_shard_compact(sh), ST_OK);
    check_range(0, SPAN - 1);
}
END_TEST

/* After compaction into disjoint blocks, a full-range scan that accepts
 * statistics decodes nothing. */
START_TEST(test_scan_whole_blocks_from_stats)
{
    write_round(3000, 0, SPAN);
    ck_assert_int_eq(st_shard_flush(sh), ST_OK);
    write_round(3000, 0, SPAN);
    ck_assert_int_eq(st_shard_flush(sh), ST_OK);
    ck_assert_int_eq(st_shard_compact(sh), ST_OK);
    struct seen s = {.last_t = INT64_MIN};
    struct st_shard_scan_cb cb = {always, on_stats, on_values, &s};
    st_shard_read_lock(sh);
    ck_assert_int_eq(
        st_shard_scan(sh, rd, 1, (struct st_slice){"v", 1}, ST_FIELD_INTEGER, 0, INT64_MAX, &cb),
        ST_OK);
    st_shard_read_unlock(sh);
    ck_assert_uint_gt(s.blocks, 1);
    ck_assert_uint_eq(s.runs, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scan");
    TCase *tc = tcase_create("scan");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_scan_matches_model, 0, 4);
    tcase_add_test(tc, test_scan_whole_blocks_from_stats);
    tcase_add_loop_test(tc, test_scan_deletes_match_model, 0, 4);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
