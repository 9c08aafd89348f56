/* A strata-meta cluster of real processes for end-to-end tests, and meta RPC helpers. */
#include "mcluster.h"

#include <check.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "proc.h"
#include "testlib.h"

void mc_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Configures @n nodes (the first @nboot bootstrap together) with @extra
 * arguments (NULL-terminated, may be NULL). Starts nothing. */
struct cluster *mc_new(int n, int nboot, const char *const *extra)
{
    struct cluster *c = calloc(1, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    c->tmp = t_tmpdir("meta-server");
    ck_assert_ptr_nonnull(c->tmp);
    c->n = n;
    c->nboot = nboot;
    for (int i = 0; extra && extra[i]; i++)
        c->extra[c->nextra++] = extra[i];
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        struct node *nd = &c->nodes[i];
        int rp = t_free_port(), qp = t_free_port();
        ck_assert(rp > 0 && qp > 0);
        nd->id = (uint64_t)i + 1;
        snprintf(nd->raft, sizeof(nd->raft), "127.0.0.1:%d", rp);
        snprintf(nd->url, sizeof(nd->url), "tcp://127.0.0.1:%d", qp);
        snprintf(nd->dir, sizeof(nd->dir), "%s/n%d", c->tmp, i + 1);
        snprintf(nd->ready, sizeof(nd->ready), "%s/n%d.ready", c->tmp, i + 1);
        snprintf(nd->log, sizeof(nd->log), "%s/n%d.log", c->tmp, i + 1);
        ck_assert_int_eq(st_rpc_client_open(nd->url, &nd->cli), ST_OK);
        if (i < nboot)
            off += (size_t)snprintf(c->members + off, sizeof(c->members) - off, "%s%d=%s=%s",
                                    i ? "," : "", i + 1, nd->raft, nd->url);
    }
    return c;
}

/* Starts node @i (from its directory if it has one) and waits until it
 * listens. */
void mc_start_node(struct cluster *c, int i)
{
    struct node *nd = &c->nodes[i];
    char id[16];
    snprintf(id, sizeof(id), "%d", i + 1);
    const char *argv[40] = {t_build_path("meta/strata-meta"),
                            "--id",
                            id,
                            "--dir",
                            nd->dir,
                            "--raft",
                            nd->raft,
                            "--listen",
                            nd->url,
                            "--ready-file",
                            nd->ready};
    int a = 11;
    if (i < c->nboot) {
        argv[a++] = "--members";
        argv[a++] = c->members;
    }
    for (int k = 0; k < c->nextra; k++)
        argv[a++] = c->extra[k];
    argv[a] = NULL;
    unlink(nd->ready);
    nd->pid = t_proc_start((char *const *)argv, nd->log);
    ck_assert_int_gt(nd->pid, 0);
    if (!t_wait_file(nd->ready, nd->pid, START_MS)) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "cat %s >&2", nd->log);
        (void)!system(cmd);
        ck_abort_msg("strata-meta %d did not start", i + 1);
    }
}

/* Stops node @i with @sig; SIGTERM must end it with exit status 0. */
void mc_stop_node(struct cluster *c, int i, int sig)
{
    struct node *nd = &c->nodes[i];
    if (nd->pid <= 0)
        return;
    int st = t_proc_kill(nd->pid, sig, true);
    nd->pid = 0;
    if (sig == SIGTERM)
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "strata-meta %d: SIGTERM gave status 0x%x (see %s)", i + 1, st, nd->log);
}

void mc_start(struct cluster *c)
{
    for (int i = 0; i < c->n; i++)
        mc_start_node(c, i);
}

void mc_free(struct cluster *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->n; i++) {
        if (c->nodes[i].pid > 0)
            t_proc_kill(c->nodes[i].pid, SIGKILL, true);
        st_rpc_client_close(c->nodes[i].cli);
    }
    t_rmtree(c->tmp);
    free(c->tmp);
    free(c);
}

/* ---- Talking to a node ------------------------------------------------------- */

/* Sends @q; the decoded answer (caller frees), or NULL if none came. */
Strata__MetaResponse *mc_call(st_rpc_client *cli, const Strata__MetaRequest *q, int ms)
{
    size_t n = strata__meta_request__get_packed_size(q);
    uint8_t *buf = malloc(n + 1);
    struct st_buf resp;
    Strata__MetaResponse *r = NULL;
    st_buf_init(&resp);
    strata__meta_request__pack(q, buf);
    if (st_rpc_call(cli, buf, n, ms, &resp) == ST_OK)
        r = strata__meta_response__unpack(NULL, resp.len, (uint8_t *)resp.p);
    free(buf);
    st_buf_fini(&resp);
    return r;
}

void mc_free_resp(Strata__MetaResponse *r)
{
    if (r)
        strata__meta_response__free_unpacked(r, NULL);
}

/* The error code of @r; -1 when there was no answer. */
int mc_code(const Strata__MetaResponse *r)
{
    if (r == NULL)
        return -1;
    return r->error ? (int)r->error->code : 0;
}

const char *mc_message(const Strata__MetaResponse *r)
{
    return r && r->error && r->error->message ? r->error->message : "";
}

/* Worth trying again, elsewhere or later. */
bool mc_retryable(int c)
{
    return c == -1 || c == STRATA__ERROR_CODE__NOT_LEADER || c == STRATA__ERROR_CODE__NO_LEADER ||
           c == STRATA__ERROR_CODE__UNAVAILABLE || c == STRATA__ERROR_CODE__TIMEOUT;
}

Strata__MetaResponse *mc_apply(st_rpc_client *cli, const Strata__Command *cmd, int ms)
{
    Strata__MetaRequest q = STRATA__META_REQUEST__INIT;
    Strata__ApplyRequest a = STRATA__APPLY_REQUEST__INIT;
    a.command = (Strata__Command *)cmd;
    q.req_case = STRATA__META_REQUEST__REQ_APPLY;
    q.apply = &a;
    return mc_call(cli, &q, ms);
}

Strata__MetaResponse *mc_create_db(st_rpc_client *cli, const char *name, int ms)
{
    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
    cd.name = (char *)name;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &cd;
    return mc_apply(cli, &cmd, ms);
}

Strata__MetaResponse *mc_heartbeat(st_rpc_client *cli, uint64_t id, uint32_t hops, int ms)
{
    Strata__MetaRequest q = STRATA__META_REQUEST__INIT;
    Strata__HeartbeatRequest h = STRATA__HEARTBEAT_REQUEST__INIT;
    h.node_id = id;
    q.hops = hops;
    q.req_case = STRATA__META_REQUEST__REQ_HEARTBEAT;
    q.heartbeat = &h;
    return mc_call(cli, &q, ms);
}

Strata__MetaResponse *mc_register(st_rpc_client *cli, uint64_t id, const char *rpc, int ms)
{
    Strata__MetaRequest q = STRATA__META_REQUEST__INIT;
    Strata__RegisterNodeRequest rn = STRATA__REGISTER_NODE_REQUEST__INIT;
    rn.node_id = id;
    rn.rpc_addr = (char *)rpc;
    rn.http_addr = (char *)"127.0.0.1:8086";
    q.req_case = STRATA__META_REQUEST__REQ_REGISTER_NODE;
    q.register_node = &rn;
    return mc_call(cli, &q, ms);
}

Strata__MetaResponse *mc_get_cat(st_rpc_client *cli, int ms)
{
    Strata__MetaRequest q = STRATA__META_REQUEST__INIT;
    Strata__GetCatalogueRequest g = STRATA__GET_CATALOGUE_REQUEST__INIT;
    q.req_case = STRATA__META_REQUEST__REQ_GET_CATALOGUE;
    q.get_catalogue = &g;
    return mc_call(cli, &q, ms);
}

/* The raw GetCatalogue answer: equal bytes mean equal catalogues. */
bool mc_get_cat_raw(st_rpc_client *cli, struct st_buf *out)
{
    Strata__MetaRequest q = STRATA__META_REQUEST__INIT;
    Strata__GetCatalogueRequest g = STRATA__GET_CATALOGUE_REQUEST__INIT;
    q.req_case = STRATA__META_REQUEST__REQ_GET_CATALOGUE;
    q.get_catalogue = &g;
    uint8_t buf[64];
    size_t n = strata__meta_request__pack(&q, buf);
    return st_rpc_call(cli, buf, n, CALL_MS, out) == ST_OK;
}

/* The catalogue index of node @cli, 0 when it does not answer. */
uint64_t mc_index(st_rpc_client *cli)
{
    Strata__MetaResponse *r = mc_get_cat(cli, CALL_MS);
    uint64_t i = mc_code(r) == 0 && r->get_catalogue ? r->get_catalogue->catalogue->index : 0;
    mc_free_resp(r);
    return i;
}

/* The node that leads now: the one answering a forwarded (hops=1) heartbeat
 * of an unknown node with NOT_FOUND, which only the leader does, without a
 * raft entry. -1 if none within @ms. */
int mc_find_leader(struct cluster *c, int ms, int probe_ms)
{
    long long end = t_now_ms() + ms;
    do {
        for (int i = 0; i < c->n; i++) {
            if (c->nodes[i].pid <= 0)
                continue;
            Strata__MetaResponse *r = mc_heartbeat(c->nodes[i].cli, UNKNOWN_NODE, 1, probe_ms);
            int rc = mc_code(r);
            mc_free_resp(r);
            if (rc == STRATA__ERROR_CODE__NOT_FOUND)
                return i;
        }
        mc_sleep_ms(10);
    } while (t_now_ms() < end);
    return -1;
}

/* Waits for a leader and for every running node's catalogue to record the
 * bootstrap members (the leader's first proposals), so that the catalogue
 * index moves only with the test's own changes from here on. Returns the
 * leader's index. */
int mc_ready(struct cluster *c)
{
    int leader = mc_find_leader(c, LEADER_MS, CALL_MS);
    ck_assert_int_ge(leader, 0);
    long long end = t_now_ms() + LEADER_MS;
    for (int i = 0; i < c->nboot; i++) {
        bool ok = c->nodes[i].pid <= 0;
        while (!ok && t_now_ms() < end) {
            Strata__MetaResponse *r = mc_get_cat(c->nodes[i].cli, CALL_MS);
            ok = mc_code(r) == 0 && r->get_catalogue->catalogue->n_meta_members == (size_t)c->nboot;
            mc_free_resp(r);
            if (!ok)
                mc_sleep_ms(20);
        }
        ck_assert_msg(ok, "node %d: the catalogue does not record the members", i + 1);
    }
    return leader;
}

/* Applies @cmd through any running node until it is answered by a leader
 * (not a retryable error) or @ms pass. */
Strata__MetaResponse *mc_apply_any(struct cluster *c, const Strata__Command *cmd, int ms)
{
    long long end = t_now_ms() + ms;
    for (int k = 0;; k++) {
        struct node *nd = &c->nodes[k % c->n];
        if (nd->pid <= 0)
            continue;
        Strata__MetaResponse *r = mc_apply(nd->cli, cmd, CALL_MS);
        if (!mc_retryable(mc_code(r)) || t_now_ms() >= end)
            return r;
        mc_free_resp(r);
        mc_sleep_ms(20);
    }
}

/* What every running node holds, to stderr: for failure messages. */
void mc_dump(struct cluster *c)
{
    for (int i = 0; i < c->n; i++) {
        if (c->nodes[i].pid <= 0)
            continue;
        Strata__MetaResponse *r = mc_get_cat(c->nodes[i].cli, CALL_MS);
        if (mc_code(r) != 0) {
            fprintf(stderr, "  node %d: code %d %s\n", i + 1, mc_code(r), mc_message(r));
        } else {
            const Strata__Catalogue *k = r->get_catalogue->catalogue;
            fprintf(stderr,
                    "  node %d: index %" PRIu64 " term %" PRIu64
                    " databases %zu data nodes %zu groups %zu meta members %zu\n",
                    i + 1, k->index, k->term, k->n_databases, k->n_nodes, k->n_shard_groups,
                    k->n_meta_members);
        }
        mc_free_resp(r);
    }
}

/* Waits until every running node's GetCatalogue answer is byte-equal to
 * each other's (and to @want if not NULL); leaves it in @out. */
bool mc_converge(struct cluster *c, const struct st_buf *want, struct st_buf *out, int ms)
{
    long long end = t_now_ms() + ms;
    struct st_buf b;
    st_buf_init(&b);
    bool same;
    do {
        same = true;
        st_buf_reset(out);
        for (int i = 0; i < c->n && same; i++) {
            if (c->nodes[i].pid <= 0)
                continue;
            if (!mc_get_cat_raw(c->nodes[i].cli, &b)) {
                same = false;
                break;
            }
            if (out->len == 0 && want == NULL)
                st_buf_append(out, b.p, b.len);
            const struct st_buf *ref = want ? want : out;
            same = b.len == ref->len && memcmp(b.p, ref->p, b.len) == 0;
        }
        if (same && want != NULL)
            st_buf_append(out, want->p, want->len);
        if (!same)
            mc_sleep_ms(50);
    } while (!same && t_now_ms() < end);
    st_buf_fini(&b);
    if (!same)
        mc_dump(c);
    return same;
}

Strata__Catalogue *mc_decode_cat(const struct st_buf *raw)
{
    Strata__MetaResponse *r = strata__meta_response__unpack(NULL, raw->len, (uint8_t *)raw->p);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(mc_code(r), 0);
    ck_assert_ptr_nonnull(r->get_catalogue);
    Strata__Catalogue *cat = r->get_catalogue->catalogue;
    r->get_catalogue->catalogue = NULL;
    mc_free_resp(r);
    return cat;
}
