/* The replicated write path (see write.h and docs/router-write.md).
 *
 * One request: parse -> find every point's shard group, creating missing
 * ones (pass 1, times only) -> append each point, as a binary record with
 * its canonical series key and typed values (common/ptbin.h), to its
 * shard's batch (pass 2) -> start one call per (shard, owner) -> finish
 * the calls, queue hints for owners that did not take their batch ->
 * decide each shard's consistency -> one HTTP answer. */
#include "write.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalogue.h"
#include "data.pb-c.h"
#include "err.h"
#include "ptbin.h"

#define MAX_MISSING 64
#define CHUNK_POINTS 1000 /* points parsed and routed at a time */

/* One shard's batch in this request. */
struct sbatch {
    uint64_t shard_id;
    const Strata__ShardGroup *group; /* in the held catalogue */
    const Strata__Shard *shard;
    struct st_buf points; /* binary point records (ptbin.h); kept across requests */
    struct st_buf hint;   /* the same with replay=true, packed on demand */
    uint32_t count;
    unsigned acks, hinted, need;
    uint64_t dropped; /* most points any owner refused */
    char why[256];    /* first owner failure */
    char drop_msg[512];
};

struct call {
    st_rpc_pending *p;
    struct st_owner *w;
    size_t sb;
    long long t0;
};

/* Per-thread state reused across requests. */
struct wctx {
    struct st_lp_batch lp; /* the chunk being routed */
    struct st_buf key, resp;
    struct st_buf errs; /* parse errors of the whole body, newline-separated */
    uint64_t nerrs;
    struct sbatch *sb;
    size_t nsb, capsb;
    struct call *calls;
    size_t ncalls, capcalls;
};

static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *p)
{
    struct wctx *c = p;
    st_lp_batch_fini(&c->lp);
    st_buf_fini(&c->key);
    st_buf_fini(&c->resp);
    st_buf_fini(&c->errs);
    for (size_t i = 0; i < c->capsb; i++) {
        st_buf_fini(&c->sb[i].points);
        st_buf_fini(&c->sb[i].hint);
    }
    free(c->sb);
    free(c->calls);
    free(c);
}

static void ctx_key_init(void)
{
    pthread_key_create(&ctx_key, ctx_free);
}

static struct wctx *ctx_get(void)
{
    pthread_once(&ctx_once, ctx_key_init);
    struct wctx *c = pthread_getspecific(ctx_key);
    if (c != NULL)
        return c;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return NULL;
    st_lp_batch_init(&c->lp);
    st_buf_init(&c->key);
    st_buf_init(&c->resp);
    st_buf_init(&c->errs);
    pthread_setspecific(ctx_key, c);
    return c;
}

int st_consistency_parse(const char *s, enum st_consistency *out)
{
    static const char *const names[] = {"any", "one", "quorum", "all"};
    if (s == NULL || s[0] == '\0') {
        *out = ST_CONSISTENCY_QUORUM;
        return ST_OK;
    }
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum st_consistency)i;
            return ST_OK;
        }
    return ST_EINVAL;
}

static const char *consistency_name(enum st_consistency c)
{
    static const char *const names[] = {"any", "one", "quorum", "all"};
    return names[c];
}

static unsigned needed(enum st_consistency c, unsigned n)
{
    switch (c) {
    case ST_CONSISTENCY_ANY:
    case ST_CONSISTENCY_ONE:
        return 1;
    case ST_CONSISTENCY_QUORUM:
        return n / 2 + 1;
    default:
        return n;
    }
}

/* The batch of shard @s, added if new. NULL on ENOMEM. */
static struct sbatch *batch_for(struct wctx *c, const Strata__ShardGroup *g, const Strata__Shard *s,
                                size_t *hint)
{
    if (*hint < c->nsb && c->sb[*hint].shard_id == s->id)
        return &c->sb[*hint];
    for (size_t i = 0; i < c->nsb; i++)
        if (c->sb[i].shard_id == s->id) {
            *hint = i;
            return &c->sb[i];
        }
    if (c->nsb == c->capsb) {
        size_t cap = c->capsb ? c->capsb * 2 : 8;
        struct sbatch *n = realloc(c->sb, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        for (size_t i = c->capsb; i < cap; i++) {
            memset(&n[i], 0, sizeof(n[i]));
            st_buf_init(&n[i].points);
            st_buf_init(&n[i].hint);
        }
        c->sb = n;
        c->capsb = cap;
    }
    struct sbatch *b = &c->sb[c->nsb];
    *hint = c->nsb++;
    b->shard_id = s->id;
    b->group = g;
    b->shard = s;
    st_buf_reset(&b->points);
    b->count = 0;
    b->acks = b->hinted = 0;
    b->dropped = 0;
    b->why[0] = b->drop_msg[0] = '\0';
    return b;
}

/* Appends @pt, whose canonical series key is @key, to its shard's batch as
 * a binary record (common/ptbin.h): the data node gets typed values and
 * does not parse the point again. */
static int append_point(struct sbatch *b, const struct st_buf *key, const struct st_lp_batch *lp,
                        const struct st_lp_point *pt)
{
    struct st_slice k = {key->p, (uint32_t)key->len};
    int rv = st_ptbin_append(&b->points, k, lp, pt);
    if (rv == ST_OK)
        b->count++;
    return rv;
}

static int64_t group_width(const Strata__RetentionPolicy *rp)
{
    return rp->shard_group_duration_ns > 0 ? rp->shard_group_duration_ns
                                           : st_cat_default_group_duration(rp->duration_ns);
}

static bool expired(const Strata__RetentionPolicy *rp, int64_t t, int64_t now)
{
    return rp->duration_ns > 0 && t < now - rp->duration_ns;
}

static const Strata__ShardGroup *cached_group(const Strata__Catalogue *cat, const char *db,
                                              const char *rp, int64_t t,
                                              const Strata__ShardGroup **last)
{
    if (*last != NULL && st_cat_group_covers(*last, t))
        return *last;
    const Strata__ShardGroup *g = st_cat_group_for(cat, db, rp, t);
    if (g != NULL)
        *last = g;
    return g;
}

/* Pass 1: the aligned starts of groups that points need and the catalogue
 * lacks, one time in each, up to MAX_MISSING. */
static size_t find_missing(const Strata__Catalogue *cat, const struct st_write_req *req,
                           const Strata__RetentionPolicy *rp, const struct st_lp_batch *lp,
                           int64_t *times)
{
    const Strata__ShardGroup *last = NULL;
    int64_t width = group_width(rp);
    int64_t starts[MAX_MISSING];
    size_t n = 0;
    for (size_t i = 0; i < lp->npoints && n < MAX_MISSING; i++) {
        int64_t t = lp->points[i].time;
        if (expired(rp, t, req->now_ns) || cached_group(cat, req->db, req->rp, t, &last))
            continue;
        int64_t s = st_cat_align(t, width);
        size_t k = 0;
        while (k < n && starts[k] != s)
            k++;
        if (k == n) {
            starts[n] = s;
            times[n++] = t;
        }
    }
    return n;
}

static int fail(struct st_write_res *res, int status, const char *msg)
{
    res->status = status;
    st_buf_reset(&res->error);
    return st_buf_puts(&res->error, msg) == ST_OK ? ST_OK : ST_ENOMEM;
}

/* The DataRequest of @b, borrowing from it: @wb is its write_batch. */
static void batch_request(const Strata__Catalogue *cat, const struct st_write_env *env,
                          struct sbatch *b, bool replay, Strata__WriteBatch *wb_,
                          Strata__DataRequest *dr_)
{
    Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    wb.shard_id = b->shard_id;
    wb.shard_group_id = b->group->id;
    wb.database = (char *)b->group->database;
    wb.retention_policy = (char *)b->group->retention_policy;
    wb.group_start_ns = b->group->start_ns;
    wb.group_end_ns = b->group->end_ns;
    wb.encoding = STRATA__POINT_ENCODING__BINARY;
    wb.points.data = (uint8_t *)b->points.p;
    wb.points.len = b->points.len;
    wb.point_count = b->count;
    wb.origin = (char *)(env->origin ? env->origin : "");
    wb.replay = replay;
    dr.catalogue_index = cat->index;
    dr.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
    *wb_ = wb;
    *dr_ = dr;
    dr_->write_batch = wb_;
}

static int pack_batch(const Strata__Catalogue *cat, const struct st_write_env *env,
                      struct sbatch *b, bool replay, struct st_buf *out)
{
    Strata__WriteBatch wb;
    Strata__DataRequest dr;
    batch_request(cat, env, b, replay, &wb, &dr);
    size_t n = strata__data_request__get_packed_size(&dr);
    st_buf_reset(out);
    if (st_buf_reserve(out, n) != ST_OK)
        return ST_ENOMEM;
    strata__data_request__pack(&dr, (uint8_t *)out->p);
    out->len = n;
    return ST_OK;
}

/* @b's request packed straight into an RPC message: no buffer to copy it
 * from. */
static int pack_msg(const Strata__Catalogue *cat, const struct st_write_env *env, struct sbatch *b,
                    st_rpc_msg **out)
{
    Strata__WriteBatch wb;
    Strata__DataRequest dr;
    batch_request(cat, env, b, false, &wb, &dr);
    size_t n = strata__data_request__get_packed_size(&dr);
    if (st_rpc_msg_alloc(n, out) != ST_OK)
        return ST_ENOMEM;
    strata__data_request__pack(&dr, st_rpc_msg_body(*out));
    return ST_OK;
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The fan-out of one request. */
struct fan {
    const struct st_write_env *env;
    const Strata__Catalogue *cat;
    bool hint_failed;   /* some owner's queue refused a batch */
    char hint_err[512]; /* the first such refusal */
};

/* Queues @b for owner @w; false (with the reason in f->hint_err) when the
 * queue refused it. */
static bool hint(struct fan *f, struct sbatch *b, struct st_owner *w)
{
    char err[300] = "";
    int rv = b->hint.len ? ST_OK : pack_batch(f->cat, f->env, b, true, &b->hint);
    if (rv == ST_OK)
        rv = st_owner_hint(w, b->hint.p, b->hint.len, err, sizeof(err));
    if (rv == ST_OK) {
        b->hinted++;
        return true;
    }
    if (!f->hint_failed) {
        f->hint_failed = true;
        snprintf(f->hint_err, sizeof(f->hint_err),
                 "write failed: cannot keep the batch for data node %" PRIu64 ": %s",
                 st_owner_id(w), err[0] ? err : st_strerror(rv));
    }
    return false;
}

/* What an owner's answer means for its batch: 1 taken, 0 refused for
 * good (points dropped or an error about the data), -1 not taken now
 * (queue it). */
static int judge(struct sbatch *b, struct st_buf *resp, uint64_t id)
{
    Strata__DataResponse *r =
        strata__data_response__unpack(NULL, resp->len, (const uint8_t *)resp->p);
    if (r == NULL) {
        snprintf(b->why, sizeof(b->why), "data node %" PRIu64 ": undecodable answer", id);
        return -1;
    }
    Strata__ErrorCode code = r->error ? r->error->code : STRATA__ERROR_CODE__OK;
    const char *msg = r->error && r->error->message ? r->error->message : "";
    int verdict;
    switch (code) {
    case STRATA__ERROR_CODE__OK:
        verdict = 1;
        break;
    case STRATA__ERROR_CODE__PARTIAL_WRITE: {
        verdict = 1;
        uint64_t d = r->resp_case == STRATA__DATA_RESPONSE__RESP_WRITE_BATCH && r->write_batch
                         ? r->write_batch->points_dropped
                         : 0;
        if (d > b->dropped) {
            b->dropped = d;
            const char *why = r->write_batch && r->write_batch->n_point_errors
                                  ? r->write_batch->point_errors[0]
                                  : msg;
            snprintf(b->drop_msg, sizeof(b->drop_msg), "%s", why);
        }
        break;
    }
    default:
        verdict = st_owner_retry_later(code) ? -1 : 0;
        break;
    }
    if (verdict != 1 && b->why[0] == '\0')
        snprintf(b->why, sizeof(b->why), "data node %" PRIu64 ": %s", id, msg);
    strata__data_response__free_unpacked(r, NULL);
    return verdict;
}

static int add_call(struct wctx *c, st_rpc_pending *p, struct st_owner *w, size_t sb)
{
    if (c->ncalls == c->capcalls) {
        size_t cap = c->capcalls ? c->capcalls * 2 : 16;
        struct call *n = realloc(c->calls, cap * sizeof(*n));
        if (n == NULL)
            return ST_ENOMEM;
        c->calls = n;
        c->capcalls = cap;
    }
    c->calls[c->ncalls++] = (struct call){.p = p, .w = w, .sb = sb, .t0 = now_us()};
    return ST_OK;
}

/* Sends every batch to its owners and decides each shard's level. */
static int replicate(struct wctx *c, const struct st_write_req *req, struct fan *f)
{
    const struct st_write_env *env = f->env;
    const Strata__Catalogue *cat = f->cat;
    unsigned timeout = env->timeout_ms ? env->timeout_ms : 10000;
    c->ncalls = 0;
    int rv = ST_OK;
    for (size_t i = 0; i < c->nsb && rv == ST_OK; i++) {
        struct sbatch *b = &c->sb[i];
        st_buf_reset(&b->hint);
        b->need = needed(req->consistency, (unsigned)b->shard->n_owners);
        st_rpc_msg *msg = NULL;
        if ((rv = pack_msg(cat, env, b, &msg)) != ST_OK)
            break;
        /* Each owner's send takes a message: the ones before the last get
         * copies, the last the original. A send waits for the next owner
         * to be known; k == n_owners (w NULL) sends the one waiting. */
        struct st_owner *send_to = NULL;
        for (size_t k = 0; k <= b->shard->n_owners && rv == ST_OK; k++) {
            struct st_owner *w = NULL;
            if (k < b->shard->n_owners) {
                uint64_t id = b->shard->owners[k];
                w = st_owners_get(env->owners, cat, id);
                if (w == NULL) {
                    snprintf(b->why, sizeof(b->why), "data node %" PRIu64 " is not reachable", id);
                    continue;
                }
                const Strata__DataNode *n = st_cat_node(cat, id);
                if (n->status == STRATA__NODE_STATUS__DOWN || st_owner_has_hints(w)) {
                    if (b->why[0] == '\0')
                        snprintf(b->why, sizeof(b->why), "data node %" PRIu64 " (%s) is %s", id,
                                 n->rpc_addr,
                                 n->status == STRATA__NODE_STATUS__DOWN ? "down"
                                                                        : "catching up on hints");
                    hint(f, b, w);
                    continue;
                }
            }
            if (send_to == NULL) {
                send_to = w;
                continue;
            }
            st_rpc_msg *m = msg;
            if (w != NULL && st_rpc_msg_dup(msg, &m) != ST_OK) {
                rv = ST_ENOMEM;
                break;
            }
            if (w == NULL)
                msg = NULL; /* the last send takes the original */
            st_rpc_pending *p;
            if (st_rpc_start_msg(st_owner_client(send_to), m, 1000, (int)timeout, &p) != ST_OK)
                hint(f, b, send_to);
            else if ((rv = add_call(c, p, send_to, i)) != ST_OK)
                st_rpc_finish(p, &c->resp);
            send_to = w;
        }
        st_rpc_msg_free(msg);
    }
    for (size_t i = 0; i < c->ncalls; i++) {
        struct call *k = &c->calls[i];
        struct sbatch *b = &c->sb[k->sb];
        int crv = st_rpc_finish(k->p, &c->resp);
        int verdict = -1;
        if (crv == ST_OK)
            verdict = judge(b, &c->resp, st_owner_id(k->w));
        else if (b->why[0] == '\0')
            snprintf(b->why, sizeof(b->why), "data node %" PRIu64 ": %s", st_owner_id(k->w),
                     crv == ST_EUNAVAIL ? "unreachable" : st_strerror(crv));
        st_owner_observe(k->w, (uint64_t)(now_us() - k->t0), verdict == 1);
        if (verdict == 1)
            b->acks++;
        else if (verdict < 0)
            hint(f, b, k->w);
    }
    return rv;
}

/* Every parse error's text, newline-separated, as InfluxDB joins them. */
static int put_parse_errors(const struct wctx *c, struct st_buf *out)
{
    int rv = ST_OK;
    for (size_t i = 0; i < c->lp.nerrors && rv == ST_OK; i++) {
        struct st_slice s = st_lp_error_text(&c->lp, i);
        if (i > 0)
            rv = st_buf_putc(out, '\n');
        if (rv == ST_OK)
            rv = st_buf_append(out, s.p, s.len);
    }
    return rv;
}

static int answer(struct wctx *c, const struct st_write_req *req, uint64_t expired_n,
                  const struct fan *f, struct st_write_res *res)
{
    uint64_t parse_dropped = c->nerrs;
    uint64_t written = 0, dropped = parse_dropped + expired_n;
    const char *drop_msg = NULL;
    const struct sbatch *unmet = NULL;
    for (size_t i = 0; i < c->nsb; i++) {
        const struct sbatch *b = &c->sb[i];
        res->hinted += b->hinted;
        bool met = b->acks >= b->need ||
                   (req->consistency == ST_CONSISTENCY_ANY && b->acks + b->hinted > 0);
        if (!met) {
            if (unmet == NULL)
                unmet = b;
            continue;
        }
        written += b->count - b->dropped;
        dropped += b->dropped;
        if (b->dropped && drop_msg == NULL)
            drop_msg = b->drop_msg;
    }
    res->points = written;
    res->dropped = dropped;
    if (unmet != NULL) {
        char msg[700];
        snprintf(msg, sizeof(msg),
                 "write failed: consistency level %s not met for shard %" PRIu64
                 ": %u of %zu owners acknowledged, %u needed (%s)%s",
                 consistency_name(req->consistency), unmet->shard_id, unmet->acks,
                 unmet->shard->n_owners, unmet->need, unmet->why[0] ? unmet->why : "no answer",
                 unmet->hinted ? "; the batch is queued for the missing owners" : "");
        return fail(res, 503, msg);
    }
    if (f->hint_failed)
        return fail(res, 503, f->hint_err);
    if (dropped == 0) {
        res->status = 204;
        return ST_OK;
    }
    /* InfluxDB: "partial write: <reason> dropped=N"; parse errors first,
     * all of them, one per line, as InfluxDB joins them. */
    res->status = 400;
    st_buf_reset(&res->error);
    int rv = st_buf_puts(&res->error, "partial write: ");
    if (parse_dropped) {
        if (rv == ST_OK)
            rv = st_buf_append(&res->error, c->errs.p, c->errs.len);
    } else if (expired_n) {
        rv = st_buf_puts(&res->error, "points beyond retention policy");
    } else {
        rv = st_buf_puts(&res->error, drop_msg ? drop_msg : "points dropped");
    }
    if (rv == ST_OK)
        rv = st_buf_printf(&res->error, " dropped=%" PRIu64, dropped);
    return rv == ST_OK ? ST_OK : ST_ENOMEM;
}

/* The catalogue copies one request holds: batches point into any of them,
 * so none is released before the request ends. */
#define MAX_HELD 16
struct held {
    const struct st_mcat *cat[MAX_HELD];
    size_t n;
};

static const Strata__Catalogue *newest(const struct held *h)
{
    return h->cat[h->n - 1]->cat;
}

/* The database and policy exist: ST_OK with res->status still 204, or the
 * refusal in @res. */
static int check_target(const Strata__Catalogue *cat, const struct st_write_req *req,
                        struct st_write_res *res)
{
    char err[600];
    if (st_cat_database(cat, req->db) == NULL) {
        snprintf(err, sizeof(err), "database not found: \"%s\"", req->db);
        return fail(res, 404, err);
    }
    if (st_cat_rp(cat, req->db, req->rp) == NULL) { /* InfluxDB 1.x answers these with 500 */
        if (req->rp && req->rp[0])
            snprintf(err, sizeof(err), "retention policy not found: %s", req->rp);
        else
            snprintf(err, sizeof(err), "default retention policy not set for: %s", req->db);
        return fail(res, 500, err);
    }
    return ST_OK;
}

/* Pass 1 for the parsed chunk: creates the shard groups it needs and the
 * catalogue lacks, then holds the newer catalogue. Refusals go to @res. */
static int ensure_groups(const struct st_write_env *env, const struct st_write_req *req,
                         struct wctx *c, struct held *h, struct st_write_res *res)
{
    char err[512] = "";
    for (int round = 0;; round++) {
        const Strata__RetentionPolicy *rp = st_cat_rp(newest(h), req->db, req->rp);
        if (rp == NULL) /* dropped meanwhile */
            return check_target(newest(h), req, res);
        int64_t times[MAX_MISSING];
        size_t nmiss = find_missing(newest(h), req, rp, &c->lp, times);
        if (nmiss == 0)
            return ST_OK;
        if (round == 100 || h->n == MAX_HELD) /* UNTESTED: groups vanish as fast as made */
            return fail(res, 503, "write failed: shard groups keep disappearing");
        for (size_t i = 0; i < nmiss; i++) {
            struct st_mcli_loc loc;
            int lrv =
                st_mcli_locate(env->meta, req->db, req->rp, 0, times[i], &loc, err, sizeof(err));
            if (lrv == ST_ENOTFOUND)
                return fail(res, 404, err);
            if (lrv != ST_OK) {
                char msg[700];
                snprintf(msg, sizeof(msg), "write failed: cannot create a shard group: %s", err);
                return fail(res, lrv == ST_ENOMEM ? 500 : 503, msg);
            }
        }
        const struct st_mcat *mc = st_mcli_acquire(env->meta);
        if (mc == NULL) /* UNTESTED: had one a moment ago */
            return fail(res, 503, "write failed: no catalogue");
        h->cat[h->n++] = mc;
    }
}

/* Pass 2 for the parsed chunk: every point to its shard's batch. */
static int route_chunk(struct wctx *c, const struct st_write_req *req, const struct held *h,
                       uint64_t *expired_n, struct st_write_res *res)
{
    const Strata__Catalogue *cat = newest(h);
    const Strata__RetentionPolicy *rp = st_cat_rp(cat, req->db, req->rp);
    const Strata__ShardGroup *last = NULL;
    size_t hintidx = 0;
    for (size_t i = 0; i < c->lp.npoints; i++) {
        const struct st_lp_point *pt = &c->lp.points[i];
        if (expired(rp, pt->time, req->now_ns)) {
            (*expired_n)++;
            continue;
        }
        const Strata__ShardGroup *g = cached_group(cat, req->db, req->rp, pt->time, &last);
        if (g == NULL) /* UNTESTED: pass 1 created it */
            return fail(res, 503, "write failed: no shard group");
        st_buf_reset(&c->key);
        if (st_lp_series_key(&c->key, &c->lp, pt) != ST_OK)
            return ST_ENOMEM;
        const Strata__Shard *s = st_cat_shard_for(g, st_series_hash(c->key.p, c->key.len));
        struct sbatch *b = s ? batch_for(c, g, s, &hintidx) : NULL;
        if (b == NULL || append_point(b, &c->key, &c->lp, pt) != ST_OK)
            return ST_ENOMEM;
    }
    return ST_OK;
}

int st_write_run(const struct st_write_env *env, const struct st_write_req *req,
                 struct st_write_res *res)
{
    struct wctx *c = ctx_get();
    if (c == NULL)
        return ST_ENOMEM;
    res->status = 204;
    res->points = res->dropped = res->hinted = 0;
    c->nsb = 0;
    c->nerrs = 0;
    st_buf_reset(&c->errs);
    struct held h = {.n = 0};
    if ((h.cat[0] = st_mcli_acquire(env->meta)) == NULL)
        return fail(res, 503, "write failed: no catalogue from the meta service yet");
    h.n = 1;
    /* The target first: InfluxDB answers a missing database before the
     * body's parse errors. */
    int rv = check_target(newest(&h), req, res);
    uint64_t expired_n = 0, npoints = 0;
    struct st_lp_cursor cur = {0, 1};
    while (rv == ST_OK && res->status == 204 && cur.pos < req->len) {
        /* The body in chunks, so the parse arrays stay small whatever the
         * body's size. */
        st_lp_batch_reset(&c->lp);
        if (st_lp_parse_some(&c->lp, req->body, req->len, req->precision, req->now_ns, &cur,
                             CHUNK_POINTS) != ST_OK) {
            rv = ST_ENOMEM;
            break;
        }
        npoints += c->lp.npoints;
        if (c->lp.nerrors > 0) {
            if ((c->errs.len > 0 && st_buf_putc(&c->errs, '\n') != ST_OK) ||
                put_parse_errors(c, &c->errs) != ST_OK) {
                rv = ST_ENOMEM;
                break;
            }
            c->nerrs += c->lp.nerrors;
        }
        if ((rv = ensure_groups(env, req, c, &h, res)) != ST_OK || res->status != 204)
            break;
        rv = route_chunk(c, req, &h, &expired_n, res);
    }
    if (rv != ST_OK || res->status != 204)
        goto out;
    if (npoints == 0 && c->nerrs > 0) {
        /* Nothing parsed: InfluxDB answers the parse errors alone. */
        st_buf_reset(&res->error);
        rv = st_buf_append(&res->error, c->errs.p, c->errs.len) == ST_OK ? ST_OK : ST_ENOMEM;
        res->status = 400;
        res->dropped = c->nerrs;
        goto out;
    }
    struct fan f = {.env = env, .cat = newest(&h)};
    if ((rv = replicate(c, req, &f)) != ST_OK)
        goto out;
    rv = answer(c, req, expired_n, &f, res);
out:
    for (size_t i = 0; i < h.n; i++)
        st_mcli_release(env->meta, h.cat[i]);
    /* Big requests leave big buffers: trim what one request may keep. */
    for (size_t i = 0; i < c->nsb; i++) {
        if (c->sb[i].points.cap > (8u << 20)) {
            st_buf_fini(&c->sb[i].points);
            st_buf_fini(&c->sb[i].hint);
        }
    }
    if (c->errs.cap > (1u << 20))
        st_buf_fini(&c->errs);
    return rv;
}
