/* libFuzzer target: strata-meta's RPC request decoder (st_mreq_decode) and
 * its read path, on arbitrary bytes as they would arrive off the wire.
 *
 * At start-up the target builds one in-memory catalogue state (the same
 * struct msrv_state the server's FSM fills) holding data nodes, databases
 * with policies, shard groups, a user and meta members. Every input is then
 * decoded as a MetaRequest:
 *   - refused: there must be no request, an error code and a message, and
 *     the error answer must pack and decode;
 *   - accepted: it must still be accepted after a pack/decode round trip
 *     (validation sees what the leader would see after forwarding), and
 *     GetCatalogue, Watch (timeout forced to 0) and the RegisterNode answer
 *     run against the state. Their answers, whose envelope is written by
 *     hand, must decode, and a catalogue in them must encode to exactly the
 *     state's st_cat_encode() bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "server_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct msrv_state state;
static bool ready;
static struct st_buf cat_bytes; /* the state's encoding */

static void apply_cmd(const Strata__Command *cmd)
{
    size_t n = strata__command__get_packed_size(cmd);
    uint8_t *buf = malloc(n + 1);
    struct st_cat_result r;
    if (buf == NULL)
        abort();
    strata__command__pack(cmd, buf);
    if (st_cat_apply(state.cat, st_cat_index(state.cat) + 1, 1, buf, n, &r) != ST_OK ||
        r.code != STRATA__ERROR_CODE__OK)
        abort();
    free(buf);
}

static void populate(void)
{
    Strata__Command cmd = STRATA__COMMAND__INIT;
    static const char *const addrs[] = {"tcp://10.0.0.1:8089", "tcp://10.0.0.2:8089"};
    for (int i = 0; i < 2; i++) {
        Strata__AddDataNode m = STRATA__ADD_DATA_NODE__INIT;
        m.rpc_addr = (char *)addrs[i];
        m.now_ns = 1;
        cmd.cmd_case = STRATA__COMMAND__CMD_ADD_DATA_NODE;
        cmd.add_data_node = &m;
        apply_cmd(&cmd);
    }
    for (uint64_t id = 1; id <= 3; id++) {
        Strata__MetaMember mm = STRATA__META_MEMBER__INIT;
        Strata__AddMetaMember am = STRATA__ADD_META_MEMBER__INIT;
        char raft[32], rpc[48];
        snprintf(raft, sizeof(raft), "127.0.0.1:700%d", (int)id);
        snprintf(rpc, sizeof(rpc), "tcp://127.0.0.1:710%d", (int)id);
        mm.id = id;
        mm.raft_addr = raft;
        mm.rpc_addr = rpc;
        am.member = &mm;
        cmd.cmd_case = STRATA__COMMAND__CMD_ADD_META_MEMBER;
        cmd.add_meta_member = &am;
        apply_cmd(&cmd);
    }
    Strata__CreateDatabase db = STRATA__CREATE_DATABASE__INIT;
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    rp.name = (char *)"week";
    rp.duration_ns = 7 * ST_CAT_DAY_NS;
    rp.replication_factor = 2;
    db.name = (char *)"telegraf";
    db.default_rp = &rp;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &db;
    apply_cmd(&cmd);
    for (int i = 0; i < 3; i++) {
        Strata__CreateShardGroup sg = STRATA__CREATE_SHARD_GROUP__INIT;
        sg.database = (char *)"telegraf";
        sg.timestamp_ns = 1700000000LL * 1000000000LL + i * ST_CAT_DAY_NS;
        cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_SHARD_GROUP;
        cmd.create_shard_group = &sg;
        apply_cmd(&cmd);
    }
    Strata__CreateUser u = STRATA__CREATE_USER__INIT;
    u.name = (char *)"admin";
    u.password_hash = (char *)"$2a$10$abcdefghijklmnopqrstuv";
    u.admin = true;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_USER;
    cmd.create_user = &u;
    apply_cmd(&cmd);
}

static void setup(void)
{
    if (msrv_state_init(&state) != ST_OK)
        abort();
    populate();
    st_buf_init(&cat_bytes);
    if (st_cat_encode(state.cat, &cat_bytes) != ST_OK)
        abort();
    ready = true;
}

/* @c (from an answer) must encode to the state's bytes. */
static void check_catalogue(const Strata__Catalogue *c)
{
    if (c == NULL)
        abort();
    size_t n = strata__catalogue__get_packed_size(c);
    uint8_t *buf = malloc(n + 1);
    if (buf == NULL)
        abort();
    strata__catalogue__pack(c, buf);
    if (n != cat_bytes.len || memcmp(buf, cat_bytes.p, n) != 0)
        abort();
    free(buf);
}

/* Decodes an answer; aborts unless it is well-formed. */
static Strata__MetaResponse *decode_answer(const struct st_buf *out)
{
    Strata__MetaResponse *r = strata__meta_response__unpack(NULL, out->len, (uint8_t *)out->p);
    if (r == NULL)
        abort();
    if (r->error != NULL && r->error->code != STRATA__ERROR_CODE__OK &&
        r->error->message[0] == '\0')
        abort(); /* every error says why */
    return r;
}

static void answer(Strata__MetaRequest *q, struct st_buf *out)
{
    uint64_t index = st_cat_index(state.cat);
    Strata__MetaResponse *r;
    switch (q->req_case) {
    case STRATA__META_REQUEST__REQ_GET_CATALOGUE:
        if (msrv_answer_catalogue(&state, q->get_catalogue, out) != ST_OK)
            abort();
        r = decode_answer(out);
        if (q->get_catalogue->min_index > index) {
            if (r->error == NULL || r->error->code != STRATA__ERROR_CODE__STALE_CATALOGUE)
                abort();
        } else {
            if (r->resp_case != STRATA__META_RESPONSE__RESP_GET_CATALOGUE)
                abort();
            check_catalogue(r->get_catalogue->catalogue);
        }
        break;
    case STRATA__META_REQUEST__REQ_WATCH:
        q->watch->timeout_ms = 0;
        if (msrv_answer_watch(&state, q->watch, out) != ST_OK)
            abort();
        r = decode_answer(out);
        if (r->resp_case != STRATA__META_RESPONSE__RESP_WATCH)
            abort();
        if (r->watch->changed != (q->watch->after_index == 0 || index > q->watch->after_index))
            abort();
        if (r->watch->changed)
            check_catalogue(r->watch->catalogue);
        break;
    case STRATA__META_REQUEST__REQ_REGISTER_NODE:
        if (msrv_answer_register(&state, q->register_node->node_id, out) != ST_OK)
            abort();
        r = decode_answer(out);
        if (r->resp_case != STRATA__META_RESPONSE__RESP_REGISTER_NODE ||
            r->register_node->node_id != q->register_node->node_id)
            abort();
        check_catalogue(r->register_node->catalogue);
        break;
    default:
        return; /* leader-only: needs raft */
    }
    strata__meta_response__free_unpacked(r, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        setup();
    Strata__MetaRequest *q;
    Strata__ErrorCode code;
    char msg[512];
    struct st_buf out;
    st_buf_init(&out);
    if (st_mreq_decode(data, size, &q, &code, msg, sizeof(msg)) != ST_OK) {
        if (q != NULL || code == STRATA__ERROR_CODE__OK || msg[0] == '\0')
            abort();
        struct msrv_reply r;
        msrv_reply_init(&r);
        msrv_reply_fail(&r, code, "%s", msg);
        if (msrv_reply_pack(&r, &out) != ST_OK)
            abort();
        strata__meta_response__free_unpacked(decode_answer(&out), NULL);
        st_buf_fini(&out);
        return 0;
    }
    /* What a follower forwards must be accepted by the leader too. */
    q->hops = 1;
    size_t n = strata__meta_request__get_packed_size(q);
    uint8_t *buf = malloc(n + 1);
    Strata__MetaRequest *again;
    if (buf == NULL)
        abort();
    strata__meta_request__pack(q, buf);
    if (st_mreq_decode(buf, n, &again, &code, msg, sizeof(msg)) != ST_OK)
        abort();
    st_mreq_free(again);
    free(buf);
    answer(q, &out);
    st_mreq_free(q);
    st_buf_fini(&out);
    return 0;
}
