/* st_msrv's RPC handler: one MetaRequest in, one MetaResponse out.
 *
 * Every request is decoded and validated by st_mreq_decode() first; a bad
 * one is answered PROTOCOL_ERROR or INVALID_ARGUMENT. Reads (GetCatalogue,
 * Watch) are answered from the local catalogue on any node
 * (server_read.c). Changes are served by the leader and forwarded by the
 * others (server_fwd.c):
 *
 * - Apply: the command is proposed to raft; the answer is OK only once
 *   st_mraft_apply() returned ST_OK, i.e. the entry is committed and applied
 *   here. A command the catalogue refuses is answered with its code and
 *   InfluxDB's message (and the index at which it was refused).
 * - RegisterNode: AddDataNode for a new node (the catalogue deduplicates by
 *   rpc address), UpdateDataNode to UP with the new addresses for a known
 *   one, nothing when nothing would change. Answers the id and catalogue.
 * - Heartbeat: recorded in the leader's memory only (server_leader.c turns
 *   silence into DOWN); a raft entry is proposed only to bring a DOWN node
 *   back UP. One entry per heartbeat would wake every watcher every second.
 * - Membership: the raft configuration change first, then the catalogue
 *   record (AddMetaMember / RemoveMetaMember); for the leader removing
 *   itself, the record first, since it stops leading once the change commits.
 *
 * Raft failures map to NOT_LEADER / NO_LEADER (retry elsewhere), TIMEOUT and
 * UNAVAILABLE (the outcome is unknown: the entry may still commit). */
#include "server_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/* The status of data node @id in the local catalogue and, for a
 * registration @reg, whether it would change nothing. A leader elected a
 * moment ago may not have applied every committed entry yet: on a miss
 * before the leader loop's barrier of this term is done, it waits for a
 * barrier of its own and looks again (after it, a miss is a miss: no raft
 * entry per unknown heartbeat). ST_OK, ST_ENOTFOUND, or the barrier's raft
 * error. */
static int lookup_node(st_msrv *s, uint64_t id, const Strata__RegisterNodeRequest *reg,
                       Strata__NodeStatus *status, bool *unchanged)
{
    int attempts = atomic_load(&s->caught_up) ? 1 : 2;
    for (int attempt = 0; attempt < attempts; attempt++) {
        int rv;
        if (attempt == 1 && (rv = st_mraft_barrier(s->raft, s->apply_ms)) != ST_OK)
            return rv;
        pthread_mutex_lock(&s->state.mu);
        const Strata__DataNode *n = st_cat_node(st_cat_catalogue(s->state.cat), id);
        if (n != NULL) {
            *status = n->status;
            if (reg != NULL)
                *unchanged =
                    (n->status == STRATA__NODE_STATUS__UP ||
                     n->status == STRATA__NODE_STATUS__LEAVING) &&
                    strcmp(n->rpc_addr, reg->rpc_addr) == 0 &&
                    (reg->http_addr[0] == '\0' || strcmp(n->http_addr, reg->http_addr) == 0);
        }
        pthread_mutex_unlock(&s->state.mu);
        if (n != NULL)
            return ST_OK;
    }
    return ST_ENOTFOUND;
}

/* Answers @r for a failed lookup_node(). */
static void fail_lookup(st_msrv *s, struct msrv_reply *r, int rv, uint64_t id)
{
    if (rv == ST_ENOTFOUND)
        msrv_reply_fail(r, STRATA__ERROR_CODE__NOT_FOUND,
                        "data node %" PRIu64 " is not in the catalogue", id);
    else
        msrv_fail_raft(s, r, rv, "barrier");
}

/* Proposes @cmd and turns a failure into @r's error. ST_OK: applied without
 * error, *@res (may be NULL) is the result, owned by the caller. */
static int propose(st_msrv *s, const Strata__Command *cmd, const char *what, struct msrv_reply *r,
                   uint64_t *index, struct msrv_result **res)
{
    struct msrv_result *out = NULL;
    int rv = msrv_propose(s, cmd, index, &out);
    if (rv != ST_OK) {
        msrv_fail_raft(s, r, rv, what);
        return rv;
    }
    if (out->code != STRATA__ERROR_CODE__OK) {
        msrv_reply_fail(r, out->code, "%s", out->message);
        rv = ST_EINVAL;
    }
    if (res != NULL && rv == ST_OK)
        *res = out;
    else
        msrv_result_free(out);
    return rv;
}

/* The leader fills in the cluster's default replication factor
 * (--default-replication) where a CreateDatabase names none, so the log
 * entry holds the concrete value and every replica applies the same.
 * @cmd is the request's (owned by the RPC layer); @spec is storage for a
 * policy put in its place. */
static void fill_default_rf(st_msrv *s, Strata__Command *cmd, Strata__RetentionPolicy *spec)
{
    if (cmd == NULL || cmd->cmd_case != STRATA__COMMAND__CMD_CREATE_DATABASE ||
        cmd->create_database == NULL)
        return;
    Strata__CreateDatabase *cd = cmd->create_database;
    /* Only a new database gets the cluster's default: for an existing one
     * the command must compare with what exists, as written. */
    pthread_mutex_lock(&s->state.mu);
    bool exists = st_cat_database(st_cat_catalogue(s->state.cat), cd->name) != NULL;
    pthread_mutex_unlock(&s->state.mu);
    if (exists)
        return;
    if (cd->default_rp == NULL) {
        spec->name = "autogen";
        cd->default_rp = spec;
    }
    if (cd->default_rp->replication_factor == 0)
        cd->default_rp->replication_factor = s->default_rf;
}

static int do_apply(st_msrv *s, const Strata__ApplyRequest *a, struct st_buf *resp)
{
    struct msrv_reply r;
    Strata__ApplyResponse ar = STRATA__APPLY_RESPONSE__INIT;
    Strata__RetentionPolicy spec = STRATA__RETENTION_POLICY__INIT;
    struct msrv_result *res = NULL;
    uint64_t index = 0;
    msrv_reply_init(&r);
    fill_default_rf(s, a->command, &spec);
    int rv = msrv_propose(s, a->command, &index, &res);
    if (a->command != NULL && a->command->cmd_case == STRATA__COMMAND__CMD_CREATE_DATABASE &&
        a->command->create_database->default_rp == &spec)
        a->command->create_database->default_rp = NULL; /* not the request's to free */
    if (rv != ST_OK) {
        msrv_fail_raft(s, &r, rv, "apply");
    } else {
        /* The command's own verdict, with the index it was decided at. */
        ar.index = index;
        ar.shard_group = res->group;
        ar.assigned_id = res->assigned_id;
        r.resp.resp_case = STRATA__META_RESPONSE__RESP_APPLY;
        r.resp.apply = &ar;
        if (res->code != STRATA__ERROR_CODE__OK)
            msrv_reply_fail(&r, res->code, "%s", res->message);
    }
    rv = msrv_reply_pack(&r, resp);
    msrv_result_free(res);
    return rv;
}

static int do_register(st_msrv *s, const Strata__RegisterNodeRequest *q, struct st_buf *resp)
{
    struct msrv_reply r;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__AddDataNode add = STRATA__ADD_DATA_NODE__INIT;
    Strata__UpdateDataNode upd = STRATA__UPDATE_DATA_NODE__INIT;
    struct msrv_result *res = NULL;
    uint64_t id = q->node_id, index;
    bool unchanged = false;
    msrv_reply_init(&r);
    if (id == 0) {
        add.rpc_addr = q->rpc_addr;
        add.http_addr = q->http_addr;
        add.now_ns = msrv_wall_ns();
        cmd.cmd_case = STRATA__COMMAND__CMD_ADD_DATA_NODE;
        cmd.add_data_node = &add;
    } else {
        Strata__NodeStatus status;
        int rv = lookup_node(s, id, q, &status, &unchanged);
        if (rv != ST_OK) {
            fail_lookup(s, &r, rv, id);
            return msrv_reply_pack(&r, resp);
        }
        /* A LEAVING node keeps its status: it is being drained. */
        upd.node_id = id;
        upd.status = status == STRATA__NODE_STATUS__LEAVING
                         ? STRATA__NODE_STATUS__NODE_STATUS_UNSPECIFIED
                         : STRATA__NODE_STATUS__UP;
        upd.rpc_addr = q->rpc_addr;
        upd.http_addr = q->http_addr;
        upd.last_heartbeat_ns = msrv_wall_ns();
        cmd.cmd_case = STRATA__COMMAND__CMD_UPDATE_DATA_NODE;
        cmd.update_data_node = &upd;
    }
    if (!unchanged) {
        if (propose(s, &cmd, "register node", &r, &index, &res) != ST_OK)
            return msrv_reply_pack(&r, resp);
        if (id == 0)
            id = res->assigned_id;
        msrv_result_free(res);
    }
    msrv_seen(s, id); /* out of memory here only shortens the node's grace */
    return msrv_answer_register(&s->state, id, resp);
}

static int do_heartbeat(st_msrv *s, const Strata__HeartbeatRequest *q, struct st_buf *resp)
{
    struct msrv_reply r;
    Strata__HeartbeatResponse hr = STRATA__HEARTBEAT_RESPONSE__INIT;
    Strata__NodeStatus status;
    uint64_t index;
    msrv_reply_init(&r);
    int rv = lookup_node(s, q->node_id, NULL, &status, NULL);
    if (rv != ST_OK) {
        fail_lookup(s, &r, rv, q->node_id);
        return msrv_reply_pack(&r, resp);
    }
    msrv_seen(s, q->node_id);
    if (status == STRATA__NODE_STATUS__DOWN) {
        Strata__Command cmd = STRATA__COMMAND__INIT;
        Strata__UpdateDataNode upd = STRATA__UPDATE_DATA_NODE__INIT;
        upd.node_id = q->node_id;
        upd.status = STRATA__NODE_STATUS__UP;
        upd.last_heartbeat_ns = msrv_wall_ns();
        cmd.cmd_case = STRATA__COMMAND__CMD_UPDATE_DATA_NODE;
        cmd.update_data_node = &upd;
        msrv_log(s, "data node %" PRIu64 " heartbeats again: proposing UP", q->node_id);
        if (propose(s, &cmd, "heartbeat (node back UP)", &r, &index, NULL) != ST_OK)
            return msrv_reply_pack(&r, resp);
    }
    hr.catalogue_index = msrv_state_index(&s->state);
    r.resp.resp_case = STRATA__META_RESPONSE__RESP_HEARTBEAT;
    r.resp.heartbeat = &hr;
    return msrv_reply_pack(&r, resp);
}

static bool in_catalogue(st_msrv *s, uint64_t id)
{
    pthread_mutex_lock(&s->state.mu);
    const Strata__Catalogue *cat = st_cat_catalogue(s->state.cat);
    bool found = false;
    for (size_t i = 0; i < cat->n_meta_members && !found; i++)
        found = cat->meta_members[i]->id == id;
    pthread_mutex_unlock(&s->state.mu);
    return found;
}

static int do_membership(st_msrv *s, const Strata__MembershipRequest *q, struct st_buf *resp)
{
    struct msrv_reply r;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__AddMetaMember add = STRATA__ADD_META_MEMBER__INIT;
    Strata__RemoveMetaMember rem = STRATA__REMOVE_META_MEMBER__INIT;
    const Strata__MetaMember *m = q->member;
    uint64_t index = 0;
    int rv;
    msrv_reply_init(&r);
    if (q->op == STRATA__MEMBERSHIP_OP__ADD_VOTER) {
        if (strlen(m->raft_addr) >= ST_MRAFT_ADDR_MAX) {
            msrv_reply_fail(&r, STRATA__ERROR_CODE__INVALID_ARGUMENT,
                            "meta member raft address longer than %d bytes", ST_MRAFT_ADDR_MAX - 1);
            return msrv_reply_pack(&r, resp);
        }
        msrv_log(s, "adding meta member %" PRIu64 " (%s, %s) as a voter", m->id, m->raft_addr,
                 m->rpc_addr);
        if ((rv = st_mraft_add_voter(s->raft, m->id, m->raft_addr, s->apply_ms)) != ST_OK) {
            msrv_fail_raft(s, &r, rv, "add voter");
            return msrv_reply_pack(&r, resp);
        }
        add.member = (Strata__MetaMember *)m;
        cmd.cmd_case = STRATA__COMMAND__CMD_ADD_META_MEMBER;
        cmd.add_meta_member = &add;
        if (propose(s, &cmd, "add meta member", &r, &index, NULL) != ST_OK)
            return msrv_reply_pack(&r, resp);
    } else {
        bool self = m->id == s->id;
        rem.id = m->id;
        cmd.cmd_case = STRATA__COMMAND__CMD_REMOVE_META_MEMBER;
        cmd.remove_meta_member = &rem;
        msrv_log(s, "removing meta member %" PRIu64, m->id);
        if (self && propose(s, &cmd, "remove meta member", &r, &index, NULL) != ST_OK)
            return msrv_reply_pack(&r, resp);
        rv = st_mraft_remove(s->raft, m->id, s->apply_ms);
        if (rv == ST_ENOTFOUND && !self && !in_catalogue(s, m->id)) {
            msrv_reply_fail(&r, STRATA__ERROR_CODE__NOT_FOUND,
                            "meta member %" PRIu64 " is not a member", m->id);
            return msrv_reply_pack(&r, resp);
        }
        if (rv != ST_OK && rv != ST_ENOTFOUND) {
            msrv_fail_raft(s, &r, rv, "remove member");
            return msrv_reply_pack(&r, resp);
        }
        if (!self && propose(s, &cmd, "remove meta member", &r, &index, NULL) != ST_OK)
            return msrv_reply_pack(&r, resp);
    }
    /* The members as recorded now; packed under the lock they borrow from. */
    Strata__MembershipResponse mr = STRATA__MEMBERSHIP_RESPONSE__INIT;
    mr.index = index;
    r.resp.resp_case = STRATA__META_RESPONSE__RESP_MEMBERSHIP;
    r.resp.membership = &mr;
    pthread_mutex_lock(&s->state.mu);
    const Strata__Catalogue *cat = st_cat_catalogue(s->state.cat);
    mr.members = cat->meta_members;
    mr.n_members = cat->n_meta_members;
    rv = msrv_reply_pack(&r, resp);
    pthread_mutex_unlock(&s->state.mu);
    return rv;
}

int msrv_handle(void *arg, const uint8_t *req, size_t len, struct st_buf *resp)
{
    st_msrv *s = arg;
    struct msrv_reply r;
    Strata__MetaRequest *q;
    Strata__ErrorCode code;
    msrv_reply_init(&r);
    if (st_mreq_decode(req, len, &q, &code, r.msg, sizeof(r.msg)) != ST_OK) {
        r.error.code = code;
        r.resp.error = &r.error;
        return msrv_reply_pack(&r, resp);
    }
    int rv;
    switch (q->req_case) {
    case STRATA__META_REQUEST__REQ_GET_CATALOGUE:
        rv = msrv_answer_catalogue(&s->state, q->get_catalogue, resp);
        break;
    case STRATA__META_REQUEST__REQ_WATCH:
        rv = msrv_answer_watch(&s->state, q->watch, resp);
        break;
    default:
        if (!st_mraft_is_leader(s->raft))
            rv = msrv_forward(s, q, resp);
        else if (q->req_case == STRATA__META_REQUEST__REQ_APPLY)
            rv = do_apply(s, q->apply, resp);
        else if (q->req_case == STRATA__META_REQUEST__REQ_REGISTER_NODE)
            rv = do_register(s, q->register_node, resp);
        else if (q->req_case == STRATA__META_REQUEST__REQ_HEARTBEAT)
            rv = do_heartbeat(s, q->heartbeat, resp);
        else
            rv = do_membership(s, q->membership, resp);
        break;
    }
    st_mreq_free(q);
    return rv;
}
