/* The data RPC's WriteBatch handler: both point encodings, the refusals of
 * malformed binary batches and unknown encodings, and equal error texts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data.pb-c.h"
#include "err.h"
#include "lineproto.h"
#include "ptbin.h"
#include "service.h"
#include "testlib.h"

static char dir[64];
static st_store *st;
static struct st_data_service svc;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-svcw-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char err[512] = "";
    struct st_shard_opts o = {.cache_max_bytes = 16u << 20};
    ck_assert_msg(st_store_open(dir, &o, &st, err, sizeof(err)) == ST_OK, "%s", err);
    memset(&svc, 0, sizeof(svc));
    svc.store = st;
}

static void teardown(void)
{
    st_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Encodes @lp as binary records into @out, as a router does. */
static void to_binary(const char *lp, struct st_buf *out)
{
    struct st_lp_batch b;
    struct st_buf key;
    st_lp_batch_init(&b);
    st_buf_init(&key);
    ck_assert_int_eq(st_lp_parse(&b, lp, strlen(lp), ST_PRECISION_NS, 0), ST_OK);
    for (size_t i = 0; i < b.npoints; i++) {
        st_buf_reset(&key);
        ck_assert_int_eq(st_lp_series_key(&key, &b, &b.points[i]), ST_OK);
        struct st_slice k = {key.p, (uint32_t)key.len};
        ck_assert_int_eq(st_ptbin_append(out, k, &b, &b.points[i]), ST_OK);
    }
    st_buf_fini(&key);
    st_lp_batch_fini(&b);
}

/* Sends a WriteBatch for @shard; returns the decoded answer (caller frees). */
static Strata__DataResponse *send(uint64_t shard, int encoding, const char *pts, size_t len)
{
    Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
    wb.shard_id = shard;
    wb.database = "db";
    wb.retention_policy = "autogen";
    wb.encoding = (Strata__PointEncoding)encoding;
    wb.points.data = (uint8_t *)pts;
    wb.points.len = len;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    dr.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
    dr.write_batch = &wb;
    struct st_buf req, resp;
    st_buf_init(&req);
    st_buf_init(&resp);
    ck_assert_int_eq(st_buf_reserve(&req, strata__data_request__get_packed_size(&dr)), ST_OK);
    req.len = strata__data_request__pack(&dr, (uint8_t *)req.p);
    ck_assert_int_eq(st_data_service_handle(&svc, (const uint8_t *)req.p, req.len, &resp), ST_OK);
    Strata__DataResponse *r =
        strata__data_response__unpack(NULL, resp.len, (const uint8_t *)resp.p);
    ck_assert_ptr_nonnull(r);
    st_buf_fini(&req);
    st_buf_fini(&resp);
    return r;
}

static int code(const Strata__DataResponse *r)
{
    return r->error ? (int)r->error->code : STRATA__ERROR_CODE__OK;
}

START_TEST(test_both_encodings_same_answers)
{
    const char *first = "m,h=a v=1 1\n";
    const char *second = "m,h=a v=2i 2\nm,h=b v=3 3\nm,time=x v=4 4\n";
    struct st_buf bin;
    st_buf_init(&bin);
    /* Shard 1 by line protocol, shard 2 by binary records: same answers. */
    Strata__DataResponse *a = send(1, STRATA__POINT_ENCODING__LINE_PROTOCOL, first, strlen(first));
    to_binary(first, &bin);
    Strata__DataResponse *b = send(2, STRATA__POINT_ENCODING__BINARY, bin.p, bin.len);
    ck_assert_int_eq(code(a), STRATA__ERROR_CODE__OK);
    ck_assert_int_eq(code(b), STRATA__ERROR_CODE__OK);
    ck_assert_uint_eq(b->write_batch->points_written, 1);
    strata__data_response__free_unpacked(a, NULL);
    strata__data_response__free_unpacked(b, NULL);

    a = send(1, STRATA__POINT_ENCODING__LINE_PROTOCOL, second, strlen(second));
    st_buf_reset(&bin);
    to_binary(second, &bin);
    b = send(2, STRATA__POINT_ENCODING__BINARY, bin.p, bin.len);
    ck_assert_int_eq(code(a), STRATA__ERROR_CODE__PARTIAL_WRITE);
    ck_assert_int_eq(code(b), STRATA__ERROR_CODE__PARTIAL_WRITE);
    ck_assert_str_eq(b->error->message, a->error->message);
    ck_assert_str_eq(b->error->message,
                     "partial write: field type conflict: input field \"v\" on measurement \"m\" "
                     "is type integer, already exists as type float dropped=2");
    ck_assert_uint_eq(b->write_batch->n_point_errors, a->write_batch->n_point_errors);
    for (size_t i = 0; i < a->write_batch->n_point_errors; i++)
        ck_assert_str_eq(b->write_batch->point_errors[i], a->write_batch->point_errors[i]);
    ck_assert_uint_eq(b->write_batch->points_written, 1);
    ck_assert_uint_eq(b->write_batch->points_dropped, 2);
    strata__data_response__free_unpacked(a, NULL);
    strata__data_response__free_unpacked(b, NULL);
    st_buf_fini(&bin);
}
END_TEST

START_TEST(test_refusals)
{
    /* A truncated binary batch: refused whole. */
    struct st_buf bin;
    st_buf_init(&bin);
    to_binary("m v=1 1\nm v=2 2\n", &bin);
    Strata__DataResponse *r = send(1, STRATA__POINT_ENCODING__BINARY, bin.p, bin.len - 1);
    ck_assert_int_eq(code(r), STRATA__ERROR_CODE__CORRUPT);
    ck_assert_str_eq(r->error->message,
                     "write failed: malformed binary point batch, nothing written");
    strata__data_response__free_unpacked(r, NULL);
    /* Line protocol bytes labelled binary: refused too. */
    r = send(1, STRATA__POINT_ENCODING__BINARY, "m v=1 1\n", 8);
    ck_assert_int_eq(code(r), STRATA__ERROR_CODE__CORRUPT);
    strata__data_response__free_unpacked(r, NULL);
    /* An unknown encoding: refused before the shard is created. */
    r = send(9, 7, bin.p, bin.len);
    ck_assert_int_eq(code(r), STRATA__ERROR_CODE__INVALID_ARGUMENT);
    ck_assert_str_eq(r->error->message, "write failed: unknown point encoding 7");
    strata__data_response__free_unpacked(r, NULL);
    char path[128];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/shards/9", dir);
    ck_assert_int_ne(stat(path, &sb), 0);
    /* Nothing of the refused batches was written: the good one goes in whole. */
    r = send(1, STRATA__POINT_ENCODING__BINARY, bin.p, bin.len);
    ck_assert_int_eq(code(r), STRATA__ERROR_CODE__OK);
    ck_assert_uint_eq(r->write_batch->points_written, 2);
    strata__data_response__free_unpacked(r, NULL);
    st_buf_fini(&bin);
}
END_TEST

static Suite *service_write_suite(void)
{
    Suite *s = suite_create("service_write");
    TCase *tc = tcase_create("write");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_both_encodings_same_answers);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return t_run_suite(service_write_suite());
}
