/* Shard digests: equal content gives equal digests whatever the write order,
 * series ids, flushes and compactions; a changed, missing or extra value
 * changes its slice and only its slice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.pb-c.h"
#include "digest.h"
#include "err.h"
#include "store.h"
#include "testlib.h"

static char dir[64];
static st_store *st;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-digest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char err[512] = "";
    struct st_shard_opts o = {.cache_max_bytes = 64u << 20};
    ck_assert_msg(st_store_open(dir, &o, &st, err, sizeof(err)) == ST_OK, "%s", err);
}

static void teardown(void)
{
    st_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static st_shard *shard(uint64_t id)
{
    st_shard *s;
    char err[256];
    ck_assert_int_eq(st_store_acquire(st, id, true, &s, err, sizeof(err)), ST_OK);
    st_store_release(st, s); /* the store keeps it open */
    return s;
}

static void put(uint64_t id, const char *lp)
{
    struct st_shard_write_result res = {0};
    st_buf_init(&res.errors);
    ck_assert_int_eq(st_shard_write(shard(id), lp, strlen(lp), &res), ST_OK);
    ck_assert_uint_eq(res.dropped, 0);
    st_buf_fini(&res.errors);
}

/* Line i of the data set: 3 series, every type, 100 s of points. */
static void line(char *buf, size_t len, int i, const char *override)
{
    snprintf(buf, len, "m,host=h%d f=%d.5,i=%di,u=%du,b=%s,s=\"x%d\" %lld\n", i % 3, i, i * 3,
             i * 7, i % 2 ? "true" : "false", i, (long long)(i / 3) * 1000000000LL);
    if (override)
        snprintf(buf, len, "%s", override);
}

static void digest(uint64_t id, struct st_shard_digest *d)
{
    char err[256] = "";
    ck_assert_msg(
        st_shard_digest(shard(id), 0, 99999999999LL, 10000000000LL, d, err, sizeof(err)) == ST_OK,
        "%s", err);
    ck_assert_uint_eq(d->nslices, 10);
}

START_TEST(test_digest_equal_content_equal_digest)
{
    char buf[256];
    /* shard 1: in order, one batch per line, flushes and a compaction */
    for (int i = 0; i < 300; i++) {
        line(buf, sizeof(buf), i, NULL);
        put(1, buf);
        if (i % 97 == 96)
            ck_assert_int_eq(st_shard_flush(shard(1)), ST_OK);
    }
    ck_assert_int_eq(st_shard_compact(shard(1)), ST_OK);
    /* shard 2: reverse order (other series ids), a value first written
     * wrong then overwritten, everything in the cache */
    put(2, "m,host=h2 f=999 2000000000\n");
    for (int i = 299; i >= 0; i--) {
        line(buf, sizeof(buf), i, NULL);
        put(2, buf);
    }
    struct st_shard_digest a, b;
    digest(1, &a);
    digest(2, &b);
    ck_assert_uint_eq(a.values, 300 * 5);
    ck_assert_uint_eq(a.values, b.values);
    ck_assert_uint_eq(a.series, 3);
    for (size_t k = 0; k < a.nslices; k++) {
        ck_assert_int_eq(a.slices[k].start, (int64_t)k * 10000000000LL);
        ck_assert_uint_eq(a.slices[k].count, b.slices[k].count);
        ck_assert_uint_eq(a.slices[k].digest, b.slices[k].digest);
    }
    ck_assert_uint_gt(a.size_bytes, 0);
    free(b.slices);

    /* one value changed in slice 4 (t = 45 s): only that slice differs */
    put(2, "m,host=h1 i=1i 45000000000\n");
    digest(2, &b);
    for (size_t k = 0; k < a.nslices; k++) {
        ck_assert_uint_eq(a.slices[k].count, b.slices[k].count);
        if (k == 4)
            ck_assert_uint_ne(a.slices[k].digest, b.slices[k].digest);
        else
            ck_assert_uint_eq(a.slices[k].digest, b.slices[k].digest);
    }
    free(b.slices);

    /* an extra value in slice 9 changes its count and digest */
    put(2, "m,host=h0 extra=1 95000000000\n");
    digest(2, &b);
    ck_assert_uint_eq(b.slices[9].count, a.slices[9].count + 1);
    ck_assert_uint_ne(b.slices[9].digest, a.slices[9].digest);
    free(b.slices);
    free(a.slices);
}
END_TEST

START_TEST(test_digest_rpc)
{
    put(1, "m v=1 5\nm v=2 15\n");
    Strata__ShardDigest q = STRATA__SHARD_DIGEST__INIT;
    Strata__TimeRange tr = STRATA__TIME_RANGE__INIT;
    tr.min_ns = 3;
    tr.max_ns = 24;
    q.shard_id = 1;
    q.time_range = &tr;
    q.slice_ns = 10;
    struct st_buf out;
    st_buf_init(&out);
    ck_assert_int_eq(st_data_digest(st, &q, &out), ST_OK);
    Strata__DataResponse *r = strata__data_response__unpack(NULL, out.len, (uint8_t *)out.p);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_null(r->error);
    ck_assert_uint_eq(r->shard_digest->n_slices, 3); /* [0,10) [10,20) [20,30) */
    ck_assert_int_eq(r->shard_digest->slices[0]->start_ns, 0);
    ck_assert_uint_eq(r->shard_digest->slices[0]->value_count, 1);
    ck_assert_uint_eq(r->shard_digest->slices[2]->value_count, 0);
    ck_assert_uint_eq(r->shard_digest->value_count, 2);
    strata__data_response__free_unpacked(r, NULL);
    /* an unknown shard */
    q.shard_id = 77;
    out.len = 0;
    ck_assert_int_eq(st_data_digest(st, &q, &out), ST_OK);
    r = strata__data_response__unpack(NULL, out.len, (uint8_t *)out.p);
    ck_assert_ptr_nonnull(r->error);
    ck_assert_int_eq(r->error->code, STRATA__ERROR_CODE__NOT_FOUND);
    strata__data_response__free_unpacked(r, NULL);
    st_buf_fini(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("digest");
    TCase *tc = tcase_create("digest");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_digest_equal_content_equal_digest);
    tcase_add_test(tc, test_digest_rpc);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
