/* Commands with failover: one MetaRequest, whichever meta node answers.
 *
 * Happy path: the request goes to the hinted peer (the leader named by the
 * last NOT_LEADER, else the last node that answered), which answers it (a
 * follower forwards a command to the leader itself). The response's error
 * is OK and the call returns it.
 *
 * Failure modes, within the call's deadline:
 * - NOT_LEADER naming an address: the next attempt goes there. An address
 *   that is not in the list (a meta member added later) gets a new peer, up
 *   to MCLI_MAX_EXTRA of them. NOT_LEADER without an address counts as "no
 *   leader".
 * - NO_LEADER (an election), UNAVAILABLE (starting or stopping), TIMEOUT
 *   (the commit did not happen in time), CANCELED (the node is shutting
 *   down), OUT_OF_MEMORY, no answer, a broken connection, an undecodable
 *   answer: the next node. After each full round without a final answer the
 *   call pauses briefly, so that an election can finish.
 * - Any other error code, and any code on an ApplyResponse that carries the
 *   index the command was decided at, is the command's verdict (database not
 *   found, ...): mapped to an ST_E* code, the server's InfluxDB-worded
 *   message in err, returned without another attempt; one decided at an
 *   index first waits, like a success, for the local copy to reach it.
 * - The deadline passes: ST_ENOLEADER if a node said there is no leader,
 *   else ST_ETIMEDOUT if a request may have been processed (sent but not
 *   answered, or answered TIMEOUT / UNAVAILABLE, which strata-meta uses for
 *   "outcome unknown"), else ST_EUNAVAIL (no node took the request); the
 *   message names every node tried and what it did last.
 *
 * An attempt waits at most MCLI_CONNECT_MS for a connection to take the
 * request (a killed node has none: the next node is tried a second later,
 * not at the attempt's deadline) and MCLI_ATTEMPT_MS in all (membership
 * changes: MCLI_MEMBERSHIP_ATTEMPT_MS). A node that could not be reached is
 * "suspect" until it answers again: rounds try it after the others.
 * Commands may reach the leader twice (an attempt timed out, or the
 * connection broke, after the command was committed); every catalogue
 * command is idempotent or fails harmlessly when repeated (client.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "err.h"

/* Maps a final (not retried) error code of a response to an ST_E* code. */
static int map_code(int code)
{
    switch (code) {
    case STRATA__ERROR_CODE__OK:
        return ST_OK;
    case STRATA__ERROR_CODE__NOT_FOUND:
        return ST_ENOTFOUND;
    case STRATA__ERROR_CODE__ALREADY_EXISTS:
        return ST_EEXIST;
    case STRATA__ERROR_CODE__INVALID_ARGUMENT:
    case STRATA__ERROR_CODE__PARSE_ERROR:
        return ST_EINVAL;
    case STRATA__ERROR_CODE__OUT_OF_RANGE:
        return ST_ERANGE;
    case STRATA__ERROR_CODE__NO_LEADER:
    case STRATA__ERROR_CODE__NOT_LEADER:
        return ST_ENOLEADER;
    case STRATA__ERROR_CODE__UNAVAILABLE:
        return ST_EUNAVAIL;
    case STRATA__ERROR_CODE__TIMEOUT:
        return ST_ETIMEDOUT;
    case STRATA__ERROR_CODE__CANCELED:
        return ST_ECANCELED;
    case STRATA__ERROR_CODE__OUT_OF_MEMORY:
        return ST_ENOMEM;
    case STRATA__ERROR_CODE__CORRUPT:
        return ST_ECORRUPT;
    case STRATA__ERROR_CODE__PROTOCOL_ERROR:
    case STRATA__ERROR_CODE__UNIMPLEMENTED:
        return ST_EPROTO;
    default:
        return ST_EIO;
    }
}

/* Codes after which another node (or the same one later) may succeed. */
static bool retryable(int code)
{
    switch (code) {
    case STRATA__ERROR_CODE__NOT_LEADER:
    case STRATA__ERROR_CODE__NO_LEADER:
    case STRATA__ERROR_CODE__UNAVAILABLE:
    case STRATA__ERROR_CODE__TIMEOUT:
    case STRATA__ERROR_CODE__CANCELED:
    case STRATA__ERROR_CODE__OUT_OF_MEMORY:
        return true;
    default:
        return false;
    }
}

/* What one node did last, for the message when the deadline passes. */
static const char *code_text(int code)
{
    switch (code) {
    case STRATA__ERROR_CODE__NOT_LEADER:
        return "not the leader, leader unknown";
    case STRATA__ERROR_CODE__NO_LEADER:
        return "no leader";
    case STRATA__ERROR_CODE__UNAVAILABLE:
        return "unavailable";
    case STRATA__ERROR_CODE__TIMEOUT:
        return "commit timed out";
    case STRATA__ERROR_CODE__CANCELED:
        return "shutting down";
    default:
        return "out of memory";
    }
}

/* The peer for @url: an existing one, or a new one if there is room.
 * Returns its index, or -1. */
static long peer_for(st_mcli *c, const char *url)
{
    long found = -1;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->npeers && found < 0; i++)
        if (strcmp(c->peers[i].url, url) == 0)
            found = (long)i;
    if (found < 0 && !c->stopping && c->npeers < c->cap) {
        struct mcli_peer *p = &c->peers[c->npeers];
        if ((p->url = strdup(url)) != NULL) {
            if (st_rpc_client_open(url, &p->rpc) == ST_OK) {
                found = (long)c->npeers++;
            } else {
                free(p->url); /* UNTESTED: a bad URL in a NOT_LEADER answer */
                p->url = NULL;
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

/* One round: the hinted peer first, then the others from there on, those
 * that answered last time before the suspect ones. Returns how many. */
static size_t round_order(st_mcli *c, size_t *order, size_t cap)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->npeers < cap ? c->npeers : cap, k = 0;
    size_t first = c->hint < n ? c->hint : 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; j < n; j++) {
            size_t i = (first + j) % n;
            bool suspect = c->peers[i].fail_ms != 0 && !mcli_peer_alive(c, i);
            if ((pass == 0) != suspect)
                order[k++] = i;
        }
    pthread_mutex_unlock(&c->mu);
    return k;
}

/* What the attempts of one call found. */
struct attempts {
    /* Per peer: what it did last (static text), NULL if not tried. */
    const char *status[MCLI_MAX_ADDRS + MCLI_MAX_EXTRA];
    size_t max_peer; /* 1 + the largest peer index tried */
    bool no_leader;  /* a node said there is no leader */
    bool unknown;    /* a request may have been processed */
};

static void note(struct attempts *a, size_t peer, const char *status)
{
    if (peer < sizeof(a->status) / sizeof(a->status[0])) {
        a->status[peer] = status;
        if (peer + 1 > a->max_peer)
            a->max_peer = peer + 1;
    }
}

/* The message when the deadline passes. */
static int give_up(st_mcli *c, const char *what, const struct attempts *a, long long budget_ms,
                   char *err, size_t errlen)
{
    int rv = a->no_leader ? ST_ENOLEADER : a->unknown ? ST_ETIMEDOUT : ST_EUNAVAIL;
    const char *why = a->no_leader ? "no meta leader"
                      : a->unknown ? "outcome unknown, no meta node confirmed it"
                                   : "no meta node answers";
    if (err == NULL || errlen == 0)
        return rv;
    int n =
        snprintf(err, errlen, "meta client: %s: %s within %lld ms; tried", what, why, budget_ms);
    size_t len = n > 0 ? (size_t)n : 0;
    bool any = false;
    for (size_t i = 0; i < a->max_peer && len < errlen; i++) {
        if (a->status[i] == NULL)
            continue;
        pthread_mutex_lock(&c->mu);
        const char *url = c->peers[i].url;
        pthread_mutex_unlock(&c->mu);
        n = snprintf(err + len, errlen - len, "%s %s (%s)", any ? "," : "", url, a->status[i]);
        len += n > 0 ? (size_t)n : 0;
        any = true;
    }
    if (!any && len < errlen)
        snprintf(err + len, errlen - len, " no node: the deadline passed first");
    return rv;
}

/* One attempt at peer @i. Returns ST_OK with *@out set (final answer, OK or
 * not), or an ST_E* code: try elsewhere. */
static int attempt(st_mcli *c, size_t i, const struct st_buf *req, long long cap_ms,
                   long long deadline_ms, struct st_buf *raw, Strata__MetaResponse **out)
{
    pthread_mutex_lock(&c->mu);
    st_rpc_client *rpc = c->peers[i].rpc;
    pthread_mutex_unlock(&c->mu);
    long long left = deadline_ms - mcli_now_ms();
    if (left > cap_ms)
        left = cap_ms;
    if (left < 1)
        left = 1;
    int rv =
        st_rpc_call_fast(rpc, req->p, req->len,
                         (int)(left < MCLI_CONNECT_MS ? left : MCLI_CONNECT_MS), (int)left, raw);
    if (rv != ST_OK) {
        if (rv == ST_EUNAVAIL)
            mcli_peer_failed(c, i);
        return rv;
    }
    *out = strata__meta_response__unpack(NULL, raw->len, (const uint8_t *)raw->p);
    if (*out == NULL)
        return ST_EPROTO; /* UNTESTED: a peer that is not a meta node */
    mcli_peer_ok(c, i);
    return ST_OK;
}

/* The index an ApplyResponse's command was decided at; 0 if none. */
static uint64_t decided_at(const Strata__MetaResponse *r)
{
    if (r->resp_case != STRATA__META_RESPONSE__RESP_APPLY || r->apply == NULL)
        return 0;
    return r->apply->index;
}

/* Handles a final or retryable answer of peer @i. Returns ST_OK (the
 * answer is the result), an ST_E* final error, or -1: retry, with *@next
 * set to a peer to try next or left alone. */
static int judge(st_mcli *c, size_t i, Strata__MetaResponse *r, struct attempts *a, long *next,
                 char *err, size_t errlen)
{
    int code = r->error != NULL ? (int)r->error->code : STRATA__ERROR_CODE__OK;
    if (code == STRATA__ERROR_CODE__OK) {
        pthread_mutex_lock(&c->mu);
        c->hint = i;
        pthread_mutex_unlock(&c->mu);
        return ST_OK;
    }
    /* An ApplyResponse with an index is the command's verdict, committed at
     * that index: final whatever its code (CreateShardGroup with no data
     * node up is UNAVAILABLE "at least one node required"). */
    bool verdict = decided_at(r) != 0;
    if (verdict || !retryable(code)) {
        const char *msg = r->error->message;
        if (msg != NULL && msg[0] != '\0')
            return st_errf(err, errlen, map_code(code), "%s", msg);
        return st_errf(err, errlen, map_code(code), "meta: %s", st_strerror(map_code(code)));
    }
    if (code == STRATA__ERROR_CODE__NOT_LEADER && r->leader_rpc_addr != NULL &&
        r->leader_rpc_addr[0] != '\0') {
        long l = peer_for(c, r->leader_rpc_addr);
        if (l >= 0 && (size_t)l != i) {
            pthread_mutex_lock(&c->mu);
            c->hint = (size_t)l;
            pthread_mutex_unlock(&c->mu);
            *next = l;
            note(a, i, "not the leader");
            return -1;
        }
    }
    if (code == STRATA__ERROR_CODE__NOT_LEADER || code == STRATA__ERROR_CODE__NO_LEADER)
        a->no_leader = true;
    /* strata-meta answers TIMEOUT and UNAVAILABLE when a proposal's outcome
     * is unknown (not committed in time, leadership lost, forwarding to a
     * leader that did not answer). */
    if (code == STRATA__ERROR_CODE__TIMEOUT || code == STRATA__ERROR_CODE__UNAVAILABLE)
        a->unknown = true;
    note(a, i, code_text(code));
    return -1;
}

int mcli_call(st_mcli *c, const char *what, Strata__MetaRequest *req, long long deadline_ms,
              Strata__MetaResponse **out, char *err, size_t errlen)
{
    struct st_buf packed, raw;
    st_buf_init(&packed);
    st_buf_init(&raw);
    struct attempts a = {0};
    long long budget = deadline_ms - mcli_now_ms();
    size_t size = strata__meta_request__get_packed_size(req);
    int rv = st_buf_reserve(&packed, size);
    if (rv != ST_OK)
        goto out; /* UNTESTED: out of memory */
    packed.len = strata__meta_request__pack(req, (uint8_t *)packed.p);
    size_t order[MCLI_MAX_ADDRS + MCLI_MAX_EXTRA];
    long long cap = req->req_case == STRATA__META_REQUEST__REQ_MEMBERSHIP
                        ? MCLI_MEMBERSHIP_ATTEMPT_MS
                        : MCLI_ATTEMPT_MS;
    for (;;) {
        size_t n = round_order(c, order, sizeof(order) / sizeof(order[0]));
        size_t redirects = 0;
        for (size_t k = 0; k < n; k++) {
            long next = (long)order[k];
            while (next >= 0) {
                size_t i = (size_t)next;
                next = -1;
                pthread_mutex_lock(&c->mu);
                bool stopping = c->stopping;
                pthread_mutex_unlock(&c->mu);
                if (stopping) {
                    rv = st_errf(err, errlen, ST_ECANCELED, "meta client: %s: closing", what);
                    goto out;
                }
                if (mcli_now_ms() >= deadline_ms)
                    goto deadline;
                Strata__MetaResponse *r = NULL;
                rv = attempt(c, i, &packed, cap, deadline_ms, &raw, &r);
                if (rv != ST_OK) {
                    /* ST_EUNAVAIL: not sent, or the connection broke after
                     * (the kill of a leader that had committed it): unknown
                     * too, but a later attempt settles it. */
                    a.unknown |= rv == ST_ETIMEDOUT;
                    note(&a, i, rv == ST_ETIMEDOUT ? "no answer" : st_strerror(rv));
                    continue;
                }
                rv = judge(c, i, r, &a, &next, err, errlen);
                if (rv >= 0) {
                    if (rv == ST_OK) {
                        *out = r;
                        goto out;
                    }
                    uint64_t index = decided_at(r);
                    strata__meta_response__free_unpacked(r, NULL);
                    /* A verdict is committed at its index like a success:
                     * read-your-writes as mcli_apply() does for one. Besides
                     * consistency, this lets the watch receive the long
                     * poll answer that the commit triggers before the
                     * caller goes on; a caller that closes the client at
                     * once would otherwise close the socket while that
                     * answer arrives, which can hang nng_close() (see
                     * st_rpc_client_close()). */
                    if (index != 0)
                        mcli_wait_index(c, index, deadline_ms);
                    goto out;
                }
                strata__meta_response__free_unpacked(r, NULL);
                if (next >= 0 && ++redirects > n + MCLI_MAX_EXTRA)
                    next = -1; /* nodes naming each other: wait for the round's end */
            }
        }
        pthread_mutex_lock(&c->mu);
        long long pause = mcli_now_ms() + MCLI_ROUND_PAUSE_MS;
        if (pause > deadline_ms)
            pause = deadline_ms;
        while (!c->stopping && mcli_wait_until(c, pause))
            ;
        pthread_mutex_unlock(&c->mu);
        if (mcli_now_ms() >= deadline_ms)
            goto deadline;
    }
deadline:
    rv = give_up(c, what, &a, budget, err, errlen);
out:
    st_buf_fini(&packed);
    st_buf_fini(&raw);
    return rv;
}

/* The call's deadline from a timeout in ms (0: the client's default). */
static long long deadline_of(const st_mcli *c, unsigned timeout_ms)
{
    return mcli_now_ms() + (timeout_ms ? timeout_ms : c->call_timeout_ms);
}

/* Unexpected payload of an OK answer. */
static int bad_answer(Strata__MetaResponse *r, const char *what, char *err, size_t errlen)
{
    strata__meta_response__free_unpacked(r, NULL); /* UNTESTED: a broken server */
    return st_errf(err, errlen, ST_EPROTO, "meta client: %s: answer without a result", what);
}

int mcli_apply(st_mcli *c, const Strata__Command *cmd, long long deadline_ms,
               Strata__ApplyResponse **resp, char *err, size_t errlen)
{
    Strata__ApplyRequest ar = STRATA__APPLY_REQUEST__INIT;
    Strata__MetaRequest req = STRATA__META_REQUEST__INIT;
    ar.command = (Strata__Command *)cmd; /* only packed */
    req.req_case = STRATA__META_REQUEST__REQ_APPLY;
    req.apply = &ar;
    Strata__MetaResponse *r = NULL;
    int rv = mcli_call(c, "apply", &req, deadline_ms, &r, err, errlen);
    if (rv != ST_OK)
        return rv;
    if (r->resp_case != STRATA__META_RESPONSE__RESP_APPLY || r->apply == NULL)
        return bad_answer(r, "apply", err, errlen);
    Strata__ApplyResponse *a = r->apply;
    r->apply = NULL; /* detached: unpacked messages are separate allocations */
    r->resp_case = STRATA__META_RESPONSE__RESP__NOT_SET;
    strata__meta_response__free_unpacked(r, NULL);
    mcli_wait_index(c, a->index, deadline_ms);
    if (resp != NULL)
        *resp = a;
    else
        strata__apply_response__free_unpacked(a, NULL);
    return ST_OK;
}

int st_mcli_apply(st_mcli *c, const Strata__Command *cmd, unsigned timeout_ms,
                  Strata__ApplyResponse **resp, char *err, size_t errlen)
{
    if (cmd == NULL)
        return st_errf(err, errlen, ST_EINVAL, "meta client: apply: no command");
    int rv = mcli_enter(c, err, errlen);
    if (rv != ST_OK)
        return rv;
    rv = mcli_apply(c, cmd, deadline_of(c, timeout_ms), resp, err, errlen);
    mcli_leave(c);
    return rv;
}

int st_mcli_register(st_mcli *c, uint64_t node_id, const char *rpc_addr, const char *http_addr,
                     uint64_t *assigned, char *err, size_t errlen)
{
    if (rpc_addr == NULL || rpc_addr[0] == '\0')
        return st_errf(err, errlen, ST_EINVAL, "data node rpc address required");
    int rv = mcli_enter(c, err, errlen);
    if (rv != ST_OK)
        return rv;
    long long deadline = deadline_of(c, 0);
    Strata__RegisterNodeRequest rr = STRATA__REGISTER_NODE_REQUEST__INIT;
    Strata__MetaRequest req = STRATA__META_REQUEST__INIT;
    rr.node_id = node_id;
    rr.rpc_addr = (char *)rpc_addr; /* only packed */
    rr.http_addr = (char *)(http_addr != NULL ? http_addr : "");
    req.req_case = STRATA__META_REQUEST__REQ_REGISTER_NODE;
    req.register_node = &rr;
    Strata__MetaResponse *r = NULL;
    if ((rv = mcli_call(c, "register", &req, deadline, &r, err, errlen)) != ST_OK)
        goto out;
    if (r->resp_case != STRATA__META_RESPONSE__RESP_REGISTER_NODE || r->register_node == NULL ||
        r->register_node->node_id == 0) {
        rv = bad_answer(r, "register", err, errlen);
        goto out;
    }
    if (assigned != NULL)
        *assigned = r->register_node->node_id;
    /* Read-your-writes: the node finds itself in the local copy. */
    if (r->register_node->catalogue != NULL)
        mcli_wait_index(c, r->register_node->catalogue->index, deadline);
    strata__meta_response__free_unpacked(r, NULL);
out:
    mcli_leave(c);
    return rv;
}

int st_mcli_heartbeat(st_mcli *c, uint64_t node_id, uint64_t catalogue_index,
                      const Strata__ShardSize *const *sizes, size_t nsizes, unsigned timeout_ms,
                      uint64_t *server_index, char *err, size_t errlen)
{
    if (nsizes > 0 && sizes == NULL)
        return st_errf(err, errlen, ST_EINVAL, "meta client: heartbeat: sizes missing");
    int rv = mcli_enter(c, err, errlen);
    if (rv != ST_OK)
        return rv;
    Strata__HeartbeatRequest hr = STRATA__HEARTBEAT_REQUEST__INIT;
    Strata__MetaRequest req = STRATA__META_REQUEST__INIT;
    hr.node_id = node_id;
    hr.catalogue_index = catalogue_index;
    hr.n_shard_sizes = nsizes;
    hr.shard_sizes = (Strata__ShardSize **)sizes; /* only packed */
    req.req_case = STRATA__META_REQUEST__REQ_HEARTBEAT;
    req.heartbeat = &hr;
    Strata__MetaResponse *r = NULL;
    long long deadline = mcli_now_ms() + (timeout_ms ? timeout_ms : 2000);
    if ((rv = mcli_call(c, "heartbeat", &req, deadline, &r, err, errlen)) != ST_OK)
        goto out;
    if (r->resp_case != STRATA__META_RESPONSE__RESP_HEARTBEAT || r->heartbeat == NULL) {
        rv = bad_answer(r, "heartbeat", err, errlen);
        goto out;
    }
    if (server_index != NULL)
        *server_index = r->heartbeat->catalogue_index;
    strata__meta_response__free_unpacked(r, NULL);
out:
    mcli_leave(c);
    return rv;
}

int st_mcli_membership(st_mcli *c, Strata__MembershipOp op, const Strata__MetaMember *member,
                       unsigned timeout_ms, Strata__MembershipResponse **resp, char *err,
                       size_t errlen)
{
    if (member == NULL || member->id == 0)
        return st_errf(err, errlen, ST_EINVAL, "meta member id required");
    int rv = mcli_enter(c, err, errlen);
    if (rv != ST_OK)
        return rv;
    Strata__MembershipRequest mr = STRATA__MEMBERSHIP_REQUEST__INIT;
    Strata__MetaRequest req = STRATA__META_REQUEST__INIT;
    mr.op = op;
    mr.member = (Strata__MetaMember *)member; /* only packed */
    req.req_case = STRATA__META_REQUEST__REQ_MEMBERSHIP;
    req.membership = &mr;
    Strata__MetaResponse *r = NULL;
    if ((rv = mcli_call(c, "membership", &req, deadline_of(c, timeout_ms), &r, err, errlen)) !=
        ST_OK)
        goto out;
    if (r->resp_case != STRATA__META_RESPONSE__RESP_MEMBERSHIP || r->membership == NULL) {
        rv = bad_answer(r, "membership", err, errlen);
        goto out;
    }
    if (resp != NULL) {
        *resp = r->membership;
        r->membership = NULL;
        r->resp_case = STRATA__META_RESPONSE__RESP__NOT_SET;
    }
    strata__meta_response__free_unpacked(r, NULL);
out:
    mcli_leave(c);
    return rv;
}

int st_mcli_fetch(st_mcli *c, unsigned timeout_ms, Strata__Catalogue **out, char *err,
                  size_t errlen)
{
    if (out == NULL)
        return st_errf(err, errlen, ST_EINVAL, "meta client: fetch: no result pointer");
    int rv = mcli_enter(c, err, errlen);
    if (rv != ST_OK)
        return rv;
    Strata__GetCatalogueRequest gr = STRATA__GET_CATALOGUE_REQUEST__INIT;
    Strata__MetaRequest req = STRATA__META_REQUEST__INIT;
    req.req_case = STRATA__META_REQUEST__REQ_GET_CATALOGUE;
    req.get_catalogue = &gr;
    Strata__MetaResponse *r = NULL;
    if ((rv = mcli_call(c, "fetch", &req, deadline_of(c, timeout_ms), &r, err, errlen)) != ST_OK)
        goto out;
    if (r->resp_case != STRATA__META_RESPONSE__RESP_GET_CATALOGUE || r->get_catalogue == NULL ||
        r->get_catalogue->catalogue == NULL) {
        rv = bad_answer(r, "fetch", err, errlen);
        goto out;
    }
    *out = r->get_catalogue->catalogue;
    r->get_catalogue->catalogue = NULL;
    strata__meta_response__free_unpacked(r, NULL);
out:
    mcli_leave(c);
    return rv;
}
