/* Scripted in-process meta nodes: st_cat behind st_rpc_server, no raft. */
#include "fake_meta.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalogue.h"
#include "err.h"
#include "rpc.h"

#define NCASES 32

struct t_fake_state {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC; broadcast after every apply */
    st_cat *cat;
    unsigned delay_ms;
    unsigned applied[NCASES];
};

struct t_fake {
    struct t_fake_state *st;
    st_rpc_server *srv;
    char url[64];
    enum t_fake_mode mode; /* under st->mu */
    char leader[128];      /* T_FAKE_REDIRECT's answer (under st->mu) */
    unsigned requests;     /* under st->mu */
    bool stopping;         /* t_fake_stop() started: long polls end (under st->mu) */
};

struct t_fake_state *t_fake_state_new(void)
{
    struct t_fake_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&st->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&st->mu, NULL);
    if (st_cat_new(&st->cat) != ST_OK) {
        t_fake_state_free(st);
        return NULL;
    }
    return st;
}

void t_fake_state_free(struct t_fake_state *st)
{
    if (st == NULL)
        return;
    st_cat_free(st->cat);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

void t_fake_set_apply_delay(struct t_fake_state *st, unsigned ms)
{
    pthread_mutex_lock(&st->mu);
    st->delay_ms = ms;
    pthread_mutex_unlock(&st->mu);
}

unsigned t_fake_applied(struct t_fake_state *st, int cmd_case)
{
    pthread_mutex_lock(&st->mu);
    unsigned n = cmd_case >= 0 && cmd_case < NCASES ? st->applied[cmd_case] : 0;
    pthread_mutex_unlock(&st->mu);
    return n;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int pack(Strata__MetaResponse *r, struct st_buf *out)
{
    size_t n = strata__meta_response__get_packed_size(r);
    int rv = st_buf_reserve(out, n);
    if (rv != ST_OK)
        return rv;
    out->len = strata__meta_response__pack(r, (uint8_t *)out->p);
    return ST_OK;
}

/* Applies @cmd to the shared state; st->mu held. */
static int apply(struct t_fake_state *st, const Strata__Command *cmd, struct st_cat_result *res,
                 uint64_t *index)
{
    uint8_t buf[4096];
    size_t len = strata__command__get_packed_size(cmd);
    if (len > sizeof(buf))
        return ST_EINVAL;
    strata__command__pack(cmd, buf);
    *index = st_cat_index(st->cat) + 1;
    int rv = st_cat_apply(st->cat, *index, 1, buf, len, res);
    if (rv == ST_OK && cmd->cmd_case < NCASES)
        st->applied[cmd->cmd_case]++;
    pthread_cond_broadcast(&st->cv);
    return rv;
}

/* Waits for an index above @after for up to @ms; st->mu held. */
static void watch_wait(t_fake *f, uint64_t after, unsigned ms)
{
    struct t_fake_state *st = f->st;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    while (st_cat_index(st->cat) <= after && !f->stopping)
        if (pthread_cond_timedwait(&st->cv, &st->mu, &ts) != 0)
            break;
}

/* A leader's answer to a change; st->mu held. */
static int change(struct t_fake_state *st, const Strata__MetaRequest *q, Strata__MetaResponse *r,
                  Strata__Error *e, struct st_buf *out)
{
    Strata__ApplyResponse ar = STRATA__APPLY_RESPONSE__INIT;
    Strata__RegisterNodeResponse rr = STRATA__REGISTER_NODE_RESPONSE__INIT;
    Strata__HeartbeatResponse hr = STRATA__HEARTBEAT_RESPONSE__INIT;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    Strata__AddDataNode add = STRATA__ADD_DATA_NODE__INIT;
    struct st_cat_result res;
    uint64_t index = 0;
    switch (q->req_case) {
    case STRATA__META_REQUEST__REQ_APPLY:
        if (apply(st, q->apply->command, &res, &index) != ST_OK)
            return ST_EIO;
        ar.index = index;
        ar.shard_group = (Strata__ShardGroup *)res.group; /* packed below, under the lock */
        ar.assigned_id = res.assigned_id;
        r->resp_case = STRATA__META_RESPONSE__RESP_APPLY;
        r->apply = &ar;
        break;
    case STRATA__META_REQUEST__REQ_REGISTER_NODE:
        if (q->register_node->node_id != 0 &&
            st_cat_node(st_cat_catalogue(st->cat), q->register_node->node_id) != NULL) {
            res.code = STRATA__ERROR_CODE__OK;
            res.assigned_id = q->register_node->node_id;
        } else {
            add.rpc_addr = q->register_node->rpc_addr;
            add.http_addr = q->register_node->http_addr;
            add.now_ns = 1;
            cmd.cmd_case = STRATA__COMMAND__CMD_ADD_DATA_NODE;
            cmd.add_data_node = &add;
            if (apply(st, &cmd, &res, &index) != ST_OK)
                return ST_EIO;
        }
        rr.node_id = res.assigned_id;
        rr.catalogue = (Strata__Catalogue *)st_cat_catalogue(st->cat);
        r->resp_case = STRATA__META_RESPONSE__RESP_REGISTER_NODE;
        r->register_node = &rr;
        break;
    default: /* heartbeat */
        res.code = STRATA__ERROR_CODE__OK;
        if (st_cat_node(st_cat_catalogue(st->cat), q->heartbeat->node_id) == NULL) {
            res.code = STRATA__ERROR_CODE__NOT_FOUND;
            snprintf(res.message, sizeof(res.message), "data node is not in the catalogue");
        }
        hr.catalogue_index = st_cat_index(st->cat);
        r->resp_case = STRATA__META_RESPONSE__RESP_HEARTBEAT;
        r->heartbeat = &hr;
        break;
    }
    if (res.code != STRATA__ERROR_CODE__OK) {
        e->code = res.code;
        e->message = res.message;
        r->error = e;
    }
    return pack(r, out);
}

static int handle(void *arg, const uint8_t *req, size_t len, struct st_buf *out)
{
    t_fake *f = arg;
    struct t_fake_state *st = f->st;
    Strata__MetaRequest *q = strata__meta_request__unpack(NULL, len, req);
    if (q == NULL)
        return ST_EPROTO; /* no answer */
    Strata__MetaResponse r = STRATA__META_RESPONSE__INIT;
    Strata__Error e = STRATA__ERROR__INIT;
    Strata__GetCatalogueResponse gr = STRATA__GET_CATALOGUE_RESPONSE__INIT;
    Strata__WatchResponse wr = STRATA__WATCH_RESPONSE__INIT;
    int rv;
    pthread_mutex_lock(&st->mu);
    f->requests++;
    enum t_fake_mode mode = f->mode;
    if (q->req_case == STRATA__META_REQUEST__REQ_GET_CATALOGUE) {
        gr.catalogue = (Strata__Catalogue *)st_cat_catalogue(st->cat);
        r.resp_case = STRATA__META_RESPONSE__RESP_GET_CATALOGUE;
        r.get_catalogue = &gr;
        rv = pack(&r, out);
    } else if (q->req_case == STRATA__META_REQUEST__REQ_WATCH) {
        watch_wait(f, q->watch->after_index, q->watch->timeout_ms);
        if (st_cat_index(st->cat) > q->watch->after_index) {
            wr.changed = true;
            wr.catalogue = (Strata__Catalogue *)st_cat_catalogue(st->cat);
        }
        r.resp_case = STRATA__META_RESPONSE__RESP_WATCH;
        r.watch = &wr;
        rv = pack(&r, out);
    } else if (mode == T_FAKE_REDIRECT) {
        e.code = STRATA__ERROR_CODE__NOT_LEADER;
        e.message = "not the leader";
        r.error = &e;
        r.leader_id = 9;
        r.leader_rpc_addr = f->leader;
        rv = pack(&r, out);
    } else if (mode == T_FAKE_NO_LEADER) {
        e.code = STRATA__ERROR_CODE__NO_LEADER;
        e.message = "no meta leader (fake)";
        r.error = &e;
        rv = pack(&r, out);
    } else {
        unsigned delay = st->delay_ms;
        if (delay > 0) {
            pthread_mutex_unlock(&st->mu);
            sleep_ms(delay);
            pthread_mutex_lock(&st->mu);
        }
        rv = change(st, q, &r, &e, out);
    }
    pthread_mutex_unlock(&st->mu);
    strata__meta_request__free_unpacked(q, NULL);
    return rv;
}

t_fake *t_fake_start(struct t_fake_state *st)
{
    t_fake *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->st = st;
    f->mode = T_FAKE_LEADER;
    char err[256];
    struct st_rpc_server_opts o = {
        .url = "tcp://127.0.0.1:0", .workers = 32, .handler = handle, .arg = f};
    if (st_rpc_server_open(&o, &f->srv, err, sizeof(err)) != ST_OK) {
        free(f);
        return NULL;
    }
    snprintf(f->url, sizeof(f->url), "tcp://127.0.0.1:%d", st_rpc_server_port(f->srv));
    return f;
}

void t_fake_stop(t_fake *f)
{
    if (f == NULL)
        return;
    /* Long polls hold workers: wake them so that close can join. */
    pthread_mutex_lock(&f->st->mu);
    f->stopping = true;
    pthread_cond_broadcast(&f->st->cv);
    pthread_mutex_unlock(&f->st->mu);
    st_rpc_server_close(f->srv);
    free(f);
}

const char *t_fake_url(const t_fake *f)
{
    return f->url;
}

void t_fake_set_mode(t_fake *f, enum t_fake_mode mode, const char *leader_url)
{
    pthread_mutex_lock(&f->st->mu);
    f->mode = mode;
    snprintf(f->leader, sizeof(f->leader), "%s", leader_url ? leader_url : "");
    pthread_mutex_unlock(&f->st->mu);
}

unsigned t_fake_requests(t_fake *f)
{
    pthread_mutex_lock(&f->st->mu);
    unsigned n = f->requests;
    pthread_mutex_unlock(&f->st->mu);
    return n;
}
