/* Unit tests of meta/request (st_mreq_decode): what a meta node accepts off the wire. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "request.h"
#include "testlib.h"

#define OK STRATA__ERROR_CODE__OK
#define PROTO STRATA__ERROR_CODE__PROTOCOL_ERROR
#define BAD STRATA__ERROR_CODE__INVALID_ARGUMENT

struct fixture {
    Strata__MetaRequest *q; /* the last decoded request */
    Strata__ErrorCode code; /* and its verdict */
    char msg[256];
};
static struct fixture f;

static void teardown(void)
{
    st_mreq_free(f.q);
    f.q = NULL;
}

/* Decodes @len raw bytes; returns the verdict's code (OK when accepted). */
static int DECODE_RAW(const void *p, size_t len)
{
    st_mreq_free(f.q);
    f.q = NULL;
    f.code = OK;
    int rv = st_mreq_decode(p, len, &f.q, &f.code, f.msg, sizeof(f.msg));
    ck_assert_int_eq(rv == ST_OK, f.code == OK);
    ck_assert_int_eq(rv == ST_OK, f.q != NULL);
    if (rv != ST_OK)
        ck_assert_str_ne(f.msg, "");
    return f.code;
}

/* Packs @q and decodes it. */
static int DECODE(const Strata__MetaRequest *q)
{
    size_t n = strata__meta_request__get_packed_size(q);
    uint8_t *buf = malloc(n + 1);
    ck_assert_ptr_nonnull(buf);
    strata__meta_request__pack(q, buf);
    int c = DECODE_RAW(buf, n);
    free(buf);
    return c;
}

static Strata__MetaRequest req(Strata__MetaRequest__ReqCase c, void *member)
{
    Strata__MetaRequest q = STRATA__META_REQUEST__INIT;
    q.req_case = c;
    q.get_catalogue = member; /* every member of the oneof shares one pointer */
    return q;
}

START_TEST(test_request_malformed)
{
    ck_assert_int_eq(DECODE_RAW("\xff\xff\xff", 3), PROTO);
    ck_assert_str_eq(f.msg, "MetaRequest: cannot decode");
    ck_assert_int_eq(DECODE_RAW("", 0), PROTO);
    ck_assert_str_eq(f.msg, "MetaRequest: no request set");
    /* hops alone is no request either */
    ck_assert_int_eq(DECODE_RAW("\x38\x01", 2), PROTO);
    /* A field numbered 0 (tag 0 in two bytes) is refused, not kept. */
    ck_assert_int_eq(DECODE_RAW("\x12\x02\x08\x00\x80\x00\x00", 7), PROTO);
    ck_assert_str_eq(f.msg, "MetaRequest: field number 0");
}
END_TEST

START_TEST(test_request_reads)
{
    Strata__GetCatalogueRequest g = STRATA__GET_CATALOGUE_REQUEST__INIT;
    g.min_index = 42;
    Strata__MetaRequest q = req(STRATA__META_REQUEST__REQ_GET_CATALOGUE, &g);
    ck_assert_int_eq(DECODE(&q), OK);
    ck_assert_uint_eq(f.q->get_catalogue->min_index, 42);

    Strata__WatchRequest w = STRATA__WATCH_REQUEST__INIT;
    w.after_index = 7;
    w.timeout_ms = 600000;
    q = req(STRATA__META_REQUEST__REQ_WATCH, &w);
    ck_assert_int_eq(DECODE(&q), OK);
    ck_assert_uint_eq(f.q->watch->timeout_ms, ST_MREQ_MAX_WATCH_MS); /* capped */
    w.timeout_ms = 1500;
    ck_assert_int_eq(DECODE(&q), OK);
    ck_assert_uint_eq(f.q->watch->timeout_ms, 1500);
}
END_TEST

START_TEST(test_request_apply)
{
    Strata__ApplyRequest a = STRATA__APPLY_REQUEST__INIT;
    Strata__MetaRequest q = req(STRATA__META_REQUEST__REQ_APPLY, &a);
    ck_assert_int_eq(DECODE(&q), BAD);
    ck_assert_str_eq(f.msg, "ApplyRequest: command required");

    Strata__Command cmd = STRATA__COMMAND__INIT;
    a.command = &cmd;
    ck_assert_int_eq(DECODE(&q), BAD);
    ck_assert_str_eq(f.msg, "ApplyRequest: command: no command set");

    Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    char name[ST_MREQ_MAX_NAME + 2];
    memset(name, 'x', sizeof(name) - 1);
    name[ST_MREQ_MAX_NAME] = '\0';
    cd.name = name;
    cd.default_rp = &rp;
    rp.name = (char *)"autogen";
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &cd;
    ck_assert_int_eq(DECODE(&q), OK); /* 4 KiB exactly */
    cd.name = (char *)"db";
    rp.name = name;
    name[ST_MREQ_MAX_NAME] = 'x';
    name[ST_MREQ_MAX_NAME + 1] = '\0';
    ck_assert_int_eq(DECODE(&q), BAD); /* nested, one byte over */
    ck_assert_str_eq(f.msg, "RetentionPolicy.name: longer than 4096 bytes");

    /* Unknown enum values anywhere. */
    Strata__Grant g = STRATA__GRANT__INIT;
    g.user = (char *)"u";
    g.database = (char *)"db";
    g.privilege = 9;
    cmd.cmd_case = STRATA__COMMAND__CMD_GRANT;
    cmd.grant = &g;
    ck_assert_int_eq(DECODE(&q), BAD);
    ck_assert_str_eq(f.msg, "Grant.privilege: unknown value 9");
    g.privilege = STRATA__PRIVILEGE__ALL;
    ck_assert_int_eq(DECODE(&q), OK);

    Strata__UpdateDataNode u = STRATA__UPDATE_DATA_NODE__INIT;
    u.node_id = 1;
    u.status = 4;
    cmd.cmd_case = STRATA__COMMAND__CMD_UPDATE_DATA_NODE;
    cmd.update_data_node = &u;
    ck_assert_int_eq(DECODE(&q), BAD);
    u.status = STRATA__NODE_STATUS__DOWN;
    ck_assert_int_eq(DECODE(&q), OK);

    /* Meta members are the leader's to record. */
    Strata__RemoveMetaMember rm = STRATA__REMOVE_META_MEMBER__INIT;
    rm.id = 2;
    cmd.cmd_case = STRATA__COMMAND__CMD_REMOVE_META_MEMBER;
    cmd.remove_meta_member = &rm;
    ck_assert_int_eq(DECODE(&q), BAD);
}
END_TEST

START_TEST(test_request_data_nodes)
{
    char addr[ST_MREQ_MAX_ADDR + 2];
    memset(addr, 'a', sizeof(addr) - 1);
    addr[ST_MREQ_MAX_ADDR] = '\0';
    Strata__RegisterNodeRequest rn = STRATA__REGISTER_NODE_REQUEST__INIT;
    Strata__MetaRequest q = req(STRATA__META_REQUEST__REQ_REGISTER_NODE, &rn);
    ck_assert_int_eq(DECODE(&q), BAD);
    ck_assert_str_eq(f.msg, "RegisterNodeRequest: data node rpc address required");
    rn.rpc_addr = addr;
    ck_assert_int_eq(DECODE(&q), OK); /* 256 bytes exactly */
    addr[ST_MREQ_MAX_ADDR] = 'a';
    addr[ST_MREQ_MAX_ADDR + 1] = '\0';
    ck_assert_int_eq(DECODE(&q), BAD);
    ck_assert_str_eq(f.msg, "RegisterNodeRequest.rpc_addr: longer than 256 bytes");
    rn.rpc_addr = (char *)"tcp://10.0.0.1:8089";
    rn.http_addr = addr;
    ck_assert_int_eq(DECODE(&q), BAD);

    Strata__HeartbeatRequest h = STRATA__HEARTBEAT_REQUEST__INIT;
    q = req(STRATA__META_REQUEST__REQ_HEARTBEAT, &h);
    ck_assert_int_eq(DECODE(&q), BAD);
    ck_assert_str_eq(f.msg, "HeartbeatRequest: node id required");
    h.node_id = 3;
    q.hops = 1;
    ck_assert_int_eq(DECODE(&q), OK);
    ck_assert_uint_eq(f.q->hops, 1);
}
END_TEST

START_TEST(test_request_membership)
{
    Strata__MembershipRequest m = STRATA__MEMBERSHIP_REQUEST__INIT;
    Strata__MetaMember mm = STRATA__META_MEMBER__INIT;
    Strata__MetaRequest q = req(STRATA__META_REQUEST__REQ_MEMBERSHIP, &m);
    ck_assert_int_eq(DECODE(&q), BAD); /* op UNSPECIFIED */
    m.op = 3;
    ck_assert_int_eq(DECODE(&q), BAD);
    ck_assert_str_eq(f.msg, "MembershipRequest.op: unknown value 3");
    m.op = STRATA__MEMBERSHIP_OP__REMOVE;
    ck_assert_int_eq(DECODE(&q), BAD);
    ck_assert_str_eq(f.msg, "MembershipRequest: member id required");
    m.member = &mm;
    mm.id = 2;
    ck_assert_int_eq(DECODE(&q), OK);
    m.op = STRATA__MEMBERSHIP_OP__ADD_VOTER;
    ck_assert_int_eq(DECODE(&q), BAD);
    mm.raft_addr = (char *)"127.0.0.1:7002";
    mm.rpc_addr = (char *)"tcp://127.0.0.1:7102";
    ck_assert_int_eq(DECODE(&q), OK);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("st_mreq_decode");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_request_malformed);
    tcase_add_test(tc, test_request_reads);
    tcase_add_test(tc, test_request_apply);
    tcase_add_test(tc, test_request_data_nodes);
    tcase_add_test(tc, test_request_membership);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return t_run_suite(suite());
}
