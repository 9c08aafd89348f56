/* Round trips of the wire envelopes in proto/ and refusal of bad bytes. */
#include <stdlib.h>
#include <string.h>

#include "data.pb-c.h"
#include "meta.pb-c.h"
#include "testlib.h"

START_TEST(test_proto_write_batch_roundtrip)
{
    static const char points[] = "cpu,host=a v=1 1\ncpu,host=b v=2 2\n";
    Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
    wb.shard_id = 42;
    wb.database = "telemetry";
    wb.retention_policy = "autogen";
    wb.group_start_ns = 0;
    wb.group_end_ns = 3600000000000LL;
    wb.encoding = STRATA__POINT_ENCODING__LINE_PROTOCOL;
    wb.points.data = (uint8_t *)points;
    wb.points.len = sizeof(points) - 1;
    wb.point_count = 2;
    wb.origin = "router-1";
    wb.batch_id = 7;
    Strata__DataRequest req = STRATA__DATA_REQUEST__INIT;
    req.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
    req.write_batch = &wb;

    size_t n = strata__data_request__get_packed_size(&req);
    uint8_t *buf = malloc(n);
    ck_assert_uint_eq(strata__data_request__pack(&req, buf), n);
    Strata__DataRequest *got = strata__data_request__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(got->req_case, STRATA__DATA_REQUEST__REQ_WRITE_BATCH);
    ck_assert_uint_eq(got->write_batch->shard_id, 42);
    ck_assert_str_eq(got->write_batch->database, "telemetry");
    ck_assert_int_eq(got->write_batch->group_end_ns, 3600000000000LL);
    ck_assert_uint_eq(got->write_batch->points.len, sizeof(points) - 1);
    ck_assert_mem_eq(got->write_batch->points.data, points, sizeof(points) - 1);
    ck_assert_uint_eq(got->write_batch->batch_id, 7);
    strata__data_request__free_unpacked(got, NULL);
    free(buf);
}
END_TEST

START_TEST(test_proto_meta_apply_roundtrip)
{
    Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
    cd.name = "plant";
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &cd;
    Strata__ApplyRequest ap = STRATA__APPLY_REQUEST__INIT;
    ap.command = &cmd;
    Strata__MetaRequest req = STRATA__META_REQUEST__INIT;
    req.req_case = STRATA__META_REQUEST__REQ_APPLY;
    req.apply = &ap;

    size_t n = strata__meta_request__get_packed_size(&req);
    uint8_t *buf = malloc(n);
    strata__meta_request__pack(&req, buf);
    Strata__MetaRequest *got = strata__meta_request__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(got->req_case, STRATA__META_REQUEST__REQ_APPLY);
    ck_assert_int_eq(got->apply->command->cmd_case, STRATA__COMMAND__CMD_CREATE_DATABASE);
    ck_assert_str_eq(got->apply->command->create_database->name, "plant");
    ck_assert_ptr_null(got->apply->command->create_database->default_rp);
    strata__meta_request__free_unpacked(got, NULL);
    free(buf);
}
END_TEST

START_TEST(test_proto_error_response_roundtrip)
{
    Strata__Error err = STRATA__ERROR__INIT;
    err.code = STRATA__ERROR_CODE__NOT_LEADER;
    err.message = "not the leader";
    Strata__MetaResponse resp = STRATA__META_RESPONSE__INIT;
    resp.error = &err;
    resp.leader_rpc_addr = "tcp://127.0.0.1:7001";
    size_t n = strata__meta_response__get_packed_size(&resp);
    uint8_t *buf = malloc(n);
    strata__meta_response__pack(&resp, buf);
    Strata__MetaResponse *got = strata__meta_response__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(got->error->code, STRATA__ERROR_CODE__NOT_LEADER);
    ck_assert_str_eq(got->leader_rpc_addr, "tcp://127.0.0.1:7001");
    ck_assert_int_eq(got->resp_case, STRATA__META_RESPONSE__RESP__NOT_SET);
    strata__meta_response__free_unpacked(got, NULL);
    free(buf);
}
END_TEST

START_TEST(test_proto_garbage_is_refused)
{
    /* A truncated message and a wrong wire type must fail, not crash. */
    static const char points[] = "cpu v=1 1\n";
    Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
    wb.points.data = (uint8_t *)points;
    wb.points.len = sizeof(points) - 1;
    wb.database = "db";
    Strata__DataRequest req = STRATA__DATA_REQUEST__INIT;
    req.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
    req.write_batch = &wb;
    size_t n = strata__data_request__get_packed_size(&req);
    uint8_t *buf = malloc(n);
    strata__data_request__pack(&req, buf);
    ck_assert_ptr_null(strata__data_request__unpack(NULL, n - 3, buf));
    static const uint8_t bad[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0x0f};
    ck_assert_ptr_null(strata__data_request__unpack(NULL, sizeof(bad), bad));
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("envelopes");
    tcase_add_test(tc, test_proto_write_batch_roundtrip);
    tcase_add_test(tc, test_proto_meta_apply_roundtrip);
    tcase_add_test(tc, test_proto_error_response_roundtrip);
    tcase_add_test(tc, test_proto_garbage_is_refused);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
