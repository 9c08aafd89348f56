/* st_msrv forwarding: a leader-only request reaching another node.
 *
 * A client may send a change to any meta node. A node that does not lead
 * forwards it, once, to the leader raft names: it marks the request hops=1,
 * sends it with the leader's RPC client (one per URL, opened on first use
 * and kept until stop) and passes the leader's answer through unchanged, so
 * the client sees exactly what the leader said. A forwarded request (hops
 * >= 1) that reaches a node which does not lead either (leadership moved on
 * the way) is answered NOT_LEADER with the leader this node knows, never
 * forwarded again: no request circulates.
 *
 * The leader's RPC URL comes from the catalogue's meta_members (kept in line
 * with the raft configuration by the leader loop), falling back to the
 * --members list for a cluster whose catalogue does not know them yet.
 *
 * Failures: no leader known (an election is running, or a majority is down)
 * is NO_LEADER; a leader that does not answer within the apply timeout plus a
 * margin is UNAVAILABLE naming it, and since the request may have reached it,
 * the message says the outcome is unknown. */
#include "server_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

bool msrv_member_url(st_msrv *s, uint64_t id, char *url, size_t n)
{
    bool found = false;
    pthread_mutex_lock(&s->state.mu);
    const Strata__Catalogue *cat = st_cat_catalogue(s->state.cat);
    for (size_t i = 0; i < cat->n_meta_members && !found; i++) {
        const Strata__MetaMember *m = cat->meta_members[i];
        if (m->id == id && m->rpc_addr[0] != '\0') {
            snprintf(url, n, "%s", m->rpc_addr);
            found = true;
        }
    }
    pthread_mutex_unlock(&s->state.mu);
    for (size_t i = 0; i < s->nmembers && !found; i++) {
        if (s->members[i].id == id) {
            snprintf(url, n, "%s", s->members[i].rpc_url);
            found = true;
        }
    }
    if (!found && id == s->id) {
        snprintf(url, n, "%s", s->listen);
        found = true;
    }
    return found;
}

size_t msrv_member_count(st_msrv *s)
{
    struct st_mraft_member *m = NULL;
    size_t n = 0;
    if (st_mraft_members(s->raft, &m, &n) != ST_OK)
        n = s->nmembers;
    free(m);
    return n > 0 ? n : 1;
}

void msrv_fail_not_leader(st_msrv *s, struct msrv_reply *r)
{
    uint64_t leader;
    st_mraft_leader(s->raft, &leader, NULL, 0);
    if (leader == 0 || leader == s->id) {
        /* No leader, or this node just lost its leadership. */
        size_t n = msrv_member_count(s);
        msrv_reply_fail(r, STRATA__ERROR_CODE__NO_LEADER,
                        "no meta leader: election in progress or no quorum (a majority, %zu of "
                        "%zu meta nodes, must be up and reachable)",
                        n / 2 + 1, n);
        return;
    }
    r->resp.leader_id = leader;
    if (msrv_member_url(s, leader, r->leader_addr, sizeof(r->leader_addr)))
        r->resp.leader_rpc_addr = r->leader_addr;
    msrv_reply_fail(r, STRATA__ERROR_CODE__NOT_LEADER,
                    "meta node %" PRIu64 " is not the leader; the leader is %" PRIu64 " (%s)",
                    s->id, leader, r->leader_addr[0] ? r->leader_addr : "address unknown");
}

/* The client for @url, opened on first use. NULL on error. */
static st_rpc_client *peer(st_msrv *s, const char *url)
{
    st_rpc_client *c = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->npeers && c == NULL; i++)
        if (strcmp(s->peers[i].url, url) == 0)
            c = s->peers[i].cli;
    if (c == NULL) {
        struct msrv_peer *p = realloc(s->peers, (s->npeers + 1) * sizeof(*p));
        if (p != NULL) {
            s->peers = p;
            if (st_rpc_client_open(url, &c) == ST_OK) {
                snprintf(p[s->npeers].url, sizeof(p[s->npeers].url), "%s", url);
                p[s->npeers++].cli = c;
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    return c;
}

void msrv_peers_close(st_msrv *s)
{
    for (size_t i = 0; i < s->npeers; i++)
        st_rpc_client_close(s->peers[i].cli);
    free(s->peers);
    s->peers = NULL;
    s->npeers = 0;
}

int msrv_forward(st_msrv *s, Strata__MetaRequest *q, struct st_buf *resp)
{
    struct msrv_reply r;
    msrv_reply_init(&r);
    uint64_t leader;
    st_mraft_leader(s->raft, &leader, NULL, 0);
    if (q->hops > 0 || leader == 0 || leader == s->id) {
        msrv_fail_not_leader(s, &r);
        return msrv_reply_pack(&r, resp);
    }
    char url[ST_MREQ_MAX_ADDR + 1];
    if (!msrv_member_url(s, leader, url, sizeof(url))) {
        msrv_reply_fail(&r, STRATA__ERROR_CODE__UNAVAILABLE,
                        "meta leader %" PRIu64 " has no known RPC address: it is neither in "
                        "the catalogue's meta members nor in --members",
                        leader);
        return msrv_reply_pack(&r, resp);
    }
    st_rpc_client *c = peer(s, url);
    struct st_buf req;
    st_buf_init(&req);
    q->hops = 1;
    size_t n = strata__meta_request__get_packed_size(q);
    int rv = c != NULL ? st_buf_reserve(&req, n) : ST_ENOMEM;
    if (rv != ST_OK) {
        st_buf_fini(&req);
        msrv_reply_fail(&r, STRATA__ERROR_CODE__OUT_OF_MEMORY, "meta: out of memory");
        return msrv_reply_pack(&r, resp);
    }
    strata__meta_request__pack(q, (uint8_t *)req.p);
    req.len = n;
    /* Membership waits for two raft changes, the rest for one proposal. */
    int timeout =
        (int)s->apply_ms * (q->req_case == STRATA__META_REQUEST__REQ_MEMBERSHIP ? 3 : 1) + 1000;
    rv = st_rpc_call_fast(c, req.p, req.len, 1000, timeout, resp); /* the leader's answer, as is */
    st_buf_fini(&req);
    if (rv == ST_OK)
        return ST_OK;
    st_buf_reset(resp);
    msrv_reply_fail(&r, STRATA__ERROR_CODE__UNAVAILABLE,
                    "meta leader %" PRIu64 " at %s did not answer the forwarded %s within %d ms "
                    "(%s): the outcome is unknown",
                    leader, url, st_mreq_name(q->req_case), timeout, st_strerror(rv));
    return msrv_reply_pack(&r, resp);
}
