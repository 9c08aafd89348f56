/* strata-router's endpoints: dispatch, auth, /write, /api/v2/write, /query,
 * /ping, /health, /metrics. Answers are InfluxDB 1.x's (docs/router-api.md). */
#include "router.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "catalogue.h"
#include "client.h"
#include "err.h"
#include "json.h"
#include "owners.h"
#include "qadmin.h"
#include "qstream.h"
#include "write.h"

#define VERSION "1.8.10"

enum endpoint { EP_WRITE, EP_WRITE_V2, EP_QUERY, EP_PING, EP_HEALTH, EP_METRICS, EP_OTHER, EP_N };
static const char *const ep_names[EP_N] = {"write",  "api_v2_write", "query", "ping",
                                           "health", "metrics",      "other"};

struct st_router {
    st_mcli *meta;
    st_owners *owners;
    st_auth *auth;
    bool auth_on;
    unsigned write_timeout_ms, meta_timeout_ms, query_timeout_ms;
    uint64_t max_select_point, max_select_buckets, max_select_series;
    char origin[64];
    struct st_write_env into_env; /* SELECT ... INTO writes through the write path */
    st_qreg *qreg;                /* running queries (SHOW QUERIES, KILL QUERY) */
    /* statistics for /metrics */
    atomic_uint_fast64_t requests[EP_N], status_2xx[EP_N], status_4xx[EP_N], status_5xx[EP_N];
    atomic_uint_fast64_t points_written, points_dropped, write_bytes, hinted_batches;
    atomic_int_fast64_t in_flight;
};

int st_router_open(const struct st_router_opts *opts, st_router **out, char *err, size_t errlen)
{
    st_router *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return ST_ENOMEM;
    r->auth_on = opts->auth;
    r->write_timeout_ms = opts->write_timeout_ms ? opts->write_timeout_ms : 10000;
    r->meta_timeout_ms = opts->meta_timeout_ms ? opts->meta_timeout_ms : 10000;
    r->query_timeout_ms = opts->query_timeout_ms;
    r->max_select_point = opts->max_select_point;
    r->max_select_buckets = opts->max_select_buckets;
    r->max_select_series = opts->max_select_series;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(r->origin, sizeof(r->origin), "router-%ld-%lld", (long)getpid(),
             (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
    struct st_mcli_opts mo = {
        .addrs = opts->meta, .naddrs = opts->nmeta, .call_timeout_ms = r->meta_timeout_ms};
    int rv = st_mcli_open(&mo, &r->meta, err, errlen);
    if (rv != ST_OK)
        goto fail;
    char hh[4096];
    snprintf(hh, sizeof(hh), "%s/hh", opts->dir);
    struct st_owners_opts oo = {.hh_dir = hh,
                                .hh_max_bytes = opts->hh_max_bytes,
                                .timeout_ms = r->write_timeout_ms,
                                .meta = r->meta};
    if ((rv = st_owners_open(&oo, &r->owners, err, errlen)) != ST_OK)
        goto fail;
    if ((rv = st_auth_open(&r->auth)) != ST_OK) {
        st_errf(err, errlen, rv, "router: auth cache: %s", st_strerror(rv));
        goto fail;
    }
    if ((rv = st_qreg_open(&r->qreg)) != ST_OK) {
        st_errf(err, errlen, rv, "router: query registry: %s", st_strerror(rv));
        goto fail;
    }
    r->into_env = (struct st_write_env){.meta = r->meta,
                                        .owners = r->owners,
                                        .timeout_ms = r->write_timeout_ms,
                                        .origin = r->origin};
    *out = r;
    return ST_OK;
fail:
    st_router_close(r);
    return rv;
}

int st_router_wait_ready(st_router *r, unsigned timeout_ms)
{
    return st_mcli_wait(r->meta, 1, timeout_ms);
}

void st_router_close(st_router *r)
{
    if (r == NULL)
        return;
    st_owners_close(r->owners);
    st_auth_close(r->auth);
    st_qreg_close(r->qreg);
    st_mcli_close(r->meta);
    free(r);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* InfluxDB 1.x refuses JWT bearer tokens with this text (sic). */
static bool bearer(const struct st_http_req *req, struct st_http_resp *resp)
{
    const char *a = st_http_header(req, "Authorization");
    if (a == NULL || strncmp(a, "Bearer ", 7) != 0)
        return false;
    st_http_resp_error(resp, 401, "bearer auth disabld");
    st_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"InfluxDB\"");
    return true;
}

/* Authenticates a request needing @need on @db. False when @resp already
 * holds the refusal. *@user gets the user name (NULL with auth off). */
static bool authorize(st_router *r, const struct st_http_req *req, struct st_http_resp *resp,
                      const char *db, enum st_auth_need need, struct st_auth_creds *creds)
{
    memset(creds, 0, sizeof(*creds));
    if (!r->auth_on)
        return true;
    if (bearer(req, resp))
        return false;
    st_auth_creds_parse(st_http_header(req, "Authorization"), st_http_query_param(req, "u"),
                        st_http_query_param(req, "p"), creds);
    const struct st_mcat *mc = st_mcli_acquire(r->meta);
    if (mc == NULL) {
        st_http_resp_error(resp, 503, "no catalogue from the meta service yet");
        return false;
    }
    char msg[512] = "";
    /* InfluxDB lets everything through until the first user exists. */
    int rv = ST_OK;
    if (mc->cat->n_users > 0) {
        /* A missing database is a 404 for any authenticated user. */
        bool known = db == NULL || st_cat_database(mc->cat, db) != NULL;
        rv = st_auth_check(r->auth, mc->cat, creds, db, known ? need : ST_AUTH_NEED_NONE, msg,
                           sizeof(msg));
    }
    st_mcli_release(r->meta, mc);
    if (rv == ST_OK)
        return true;
    st_http_resp_error(resp, rv == ST_EPERM ? 403 : 401, msg[0] ? msg : "authorization failed");
    if (rv != ST_EPERM)
        st_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"InfluxDB\"");
    return false;
}

static void do_write(st_router *r, const struct st_http_req *req, struct st_http_resp *resp,
                     const char *db, const char *rp, const char *precision)
{
    struct st_write_req w = {.db = db, .rp = rp, .body = req->body, .len = req->body_len};
    if (db == NULL || db[0] == '\0') {
        st_http_resp_error(resp, 400, "database is required");
        return;
    }
    struct st_auth_creds creds;
    if (!authorize(r, req, resp, db, ST_AUTH_NEED_WRITE, &creds))
        return;
    /* InfluxDB 1.x reads an unknown precision as nanoseconds. */
    if (st_precision_parse(precision ? precision : "", &w.precision) != ST_OK)
        w.precision = ST_PRECISION_NS;
    const char *cons = st_http_param(req, "consistency");
    if (st_consistency_parse(cons, &w.consistency) != ST_OK) {
        st_http_resp_error(resp, 400, "invalid consistency level");
        return;
    }
    w.now_ns = now_ns();
    struct st_write_env env = {.meta = r->meta,
                               .owners = r->owners,
                               .timeout_ms = r->write_timeout_ms,
                               .origin = r->origin};
    struct st_write_res res;
    st_buf_init(&res.error);
    atomic_fetch_add(&r->write_bytes, req->body_len);
    if (st_write_run(&env, &w, &res) != ST_OK) {
        st_http_resp_error(resp, 500, "write failed: out of memory");
    } else if (res.status == 204) {
        resp->status = 204;
    } else {
        st_http_resp_error(resp, res.status, res.error.p ? res.error.p : "write failed");
    }
    atomic_fetch_add(&r->points_written, res.points);
    atomic_fetch_add(&r->points_dropped, res.dropped);
    atomic_fetch_add(&r->hinted_batches, res.hinted);
    st_buf_fini(&res.error);
}

/* /api/v2/write?bucket=db[/rp]&org=&precision=ns|us|ms|s, InfluxDB 1.8's
 * forward-compatibility API. */
static void do_write_v2(st_router *r, const struct st_http_req *req, struct st_http_resp *resp)
{
    const char *bucket = st_http_param(req, "bucket");
    if (bucket == NULL || bucket[0] == '\0') {
        st_http_resp_error(resp, 400, "bucket is required");
        return;
    }
    char db[256], rp[256] = "";
    const char *slash = strchr(bucket, '/');
    size_t n = slash ? (size_t)(slash - bucket) : strlen(bucket);
    if (n >= sizeof(db) || (slash && strlen(slash + 1) >= sizeof(rp))) {
        st_http_resp_error(resp, 400, "bucket name too long");
        return;
    }
    memcpy(db, bucket, n);
    db[n] = '\0';
    if (slash)
        snprintf(rp, sizeof(rp), "%s", slash + 1);
    const char *prec = st_http_param(req, "precision");
    if (prec != NULL && strcmp(prec, "us") == 0)
        prec = "u";
    else if (prec != NULL && strcmp(prec, "ns") == 0)
        prec = "n";
    do_write(r, req, resp, db, rp[0] ? rp : NULL, prec);
}

/* The body format the Accept header asks for, as InfluxDB 1.x reads it. */
static enum st_qout_format query_format(const struct st_http_req *req)
{
    const char *accept = st_http_header(req, "Accept");
    if (accept != NULL &&
        (strcmp(accept, "application/csv") == 0 || strcmp(accept, "text/csv") == 0))
        return ST_QOUT_CSV;
    return ST_QOUT_JSON;
}

/* q= without the white space around it (InfluxDB trims it): a copy to free. */
static char *trimmed_query(const char *q)
{
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || *q == '\v' || *q == '\f')
        q++;
    size_t n = strlen(q);
    while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t' || q[n - 1] == '\n' || q[n - 1] == '\r' ||
                     q[n - 1] == '\v' || q[n - 1] == '\f'))
        n--;
    return strndup(q, n);
}

static void do_query(st_router *r, const struct st_http_req *req, struct st_http_resp *resp)
{
    const char *qp = st_http_param(req, "q");
    enum st_qout_format format = query_format(req);
    if (qp == NULL || strspn(qp, " \t\n\r\v\f") == strlen(qp)) {
        st_http_resp_error(resp, 400, "missing required parameter \"q\"");
        return;
    }
    struct st_auth_creds creds;
    memset(&creds, 0, sizeof(creds));
    const char *user = NULL;
    if (r->auth_on && bearer(req, resp))
        return;
    if (r->auth_on) {
        st_auth_creds_parse(st_http_header(req, "Authorization"), st_http_query_param(req, "u"),
                            st_http_query_param(req, "p"), &creds);
        const struct st_mcat *mc = st_mcli_acquire(r->meta);
        if (mc == NULL) {
            st_http_resp_error(resp, 503, "no catalogue from the meta service yet");
            return;
        }
        /* With no user at all, only the first admin may be created: the
         * statement executor decides, without credentials. */
        bool no_users = mc->cat->n_users == 0;
        char msg[512] = "";
        int rv = no_users ? ST_OK
                          : st_auth_check(r->auth, mc->cat, &creds, NULL, ST_AUTH_NEED_NONE, msg,
                                          sizeof(msg));
        st_mcli_release(r->meta, mc);
        if (rv != ST_OK) {
            st_http_resp_error(resp, 401, msg[0] ? msg : "authorization failed");
            st_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"InfluxDB\"");
            return;
        }
        user = no_users ? NULL : creds.user;
    }
    const char *pretty = st_http_param(req, "pretty");
    const char *chunked = st_http_param(req, "chunked");
    const char *chunk_size = st_http_param(req, "chunk_size");
    long long cs = chunk_size != NULL ? strtoll(chunk_size, NULL, 10) : 0;
    struct st_qctx ctx = {.meta = r->meta,
                          .db = st_http_param(req, "db"),
                          .user = user,
                          .auth = r->auth_on,
                          .pretty = pretty != NULL && strcmp(pretty, "true") == 0,
                          .get = strcmp(req->method, "GET") == 0,
                          .timeout_ms = r->meta_timeout_ms,
                          .owners = r->owners,
                          .rp = st_http_param(req, "rp"),
                          .query_timeout_ms = r->query_timeout_ms,
                          .max_points = r->max_select_point,
                          .max_buckets = r->max_select_buckets,
                          .max_series = r->max_select_series,
                          .epoch = st_qout_epoch_parse(st_http_param(req, "epoch")),
                          .format = format,
                          .chunked = chunked != NULL && strcmp(chunked, "true") == 0,
                          .chunk_size = cs > 0 ? (size_t)cs : 0,
                          .params = st_http_param(req, "params"),
                          .write = &r->into_env,
                          .qreg = r->qreg};
    char *q = trimmed_query(qp);
    if (ctx.chunked) { /* each chunk is sent as soon as it is complete */
        if (q == NULL || st_qstream_start(&ctx, q, resp) != ST_OK)
            st_http_resp_error(resp, 500, "query failed: out of memory");
        else if (format == ST_QOUT_CSV)
            resp->content_type = "text/csv";
        free(q);
        return;
    }
    int status = 200;
    if (q == NULL || st_qadmin_run(&ctx, q, &resp->body, &status) != ST_OK) {
        free(q);
        st_buf_reset(&resp->body);
        st_http_resp_error(resp, 500, "query failed: out of memory");
        return;
    }
    free(q);
    resp->status = status;
    if (format == ST_QOUT_CSV)
        resp->content_type = "text/csv";
}

static void do_ping(const struct st_http_req *req, struct st_http_resp *resp)
{
    const char *verbose = st_http_param(req, "verbose");
    if (verbose != NULL && strcmp(verbose, "true") == 0 && strcmp(req->method, "HEAD") != 0) {
        resp->status = 200;
        st_buf_puts(&resp->body, "{\"version\":\"" VERSION "\"}\n");
        return;
    }
    resp->status = 204;
}

static void do_health(st_router *r, struct st_http_resp *resp)
{
    const struct st_mcat *mc = st_mcli_acquire(r->meta);
    size_t up = 0, nodes = 0;
    if (mc != NULL) {
        nodes = mc->cat->n_nodes;
        for (size_t i = 0; i < nodes; i++)
            up += mc->cat->nodes[i]->status == STRATA__NODE_STATUS__UP;
        st_mcli_release(r->meta, mc);
    }
    bool ok = mc != NULL && up > 0;
    const char *msg = ok           ? "ready for queries and writes"
                      : mc == NULL ? "no catalogue from the meta service yet"
                                   : "no data node is up";
    resp->status = ok ? 200 : 503;
    /* InfluxDB 1.8's shape, so health checks written for it work. */
    st_buf_printf(&resp->body,
                  "{\"name\":\"influxdb\",\"message\":\"%s\",\"status\":\"%s\","
                  "\"checks\":[],\"version\":\"" VERSION "\"}\n",
                  msg, ok ? "pass" : "fail");
    if (!ok)
        fprintf(stderr, "strata-router: /health: %s (%zu data nodes, %zu up)\n", msg, nodes, up);
}

static void do_metrics(st_router *r, struct st_http_resp *resp)
{
    struct st_buf *b = &resp->body;
    resp->content_type = "text/plain; version=0.0.4";
    st_buf_puts(b, "# HELP strata_router_http_requests_total HTTP requests by endpoint and "
                   "status class.\n# TYPE strata_router_http_requests_total counter\n");
    for (int e = 0; e < EP_N; e++) {
        st_buf_printf(
            b, "strata_router_http_requests_total{endpoint=\"%s\",code=\"2xx\"} %" PRIu64 "\n",
            ep_names[e], (uint64_t)atomic_load(&r->status_2xx[e]));
        st_buf_printf(
            b, "strata_router_http_requests_total{endpoint=\"%s\",code=\"4xx\"} %" PRIu64 "\n",
            ep_names[e], (uint64_t)atomic_load(&r->status_4xx[e]));
        st_buf_printf(
            b, "strata_router_http_requests_total{endpoint=\"%s\",code=\"5xx\"} %" PRIu64 "\n",
            ep_names[e], (uint64_t)atomic_load(&r->status_5xx[e]));
    }
    st_buf_printf(b,
                  "# HELP strata_router_points_written_total Points acknowledged at the "
                  "requested consistency level.\n"
                  "# TYPE strata_router_points_written_total counter\n"
                  "strata_router_points_written_total %" PRIu64 "\n"
                  "# HELP strata_router_points_dropped_total Points refused (parse errors, "
                  "retention, type conflicts).\n"
                  "# TYPE strata_router_points_dropped_total counter\n"
                  "strata_router_points_dropped_total %" PRIu64 "\n"
                  "# HELP strata_router_write_bytes_total Bytes of /write bodies.\n"
                  "# TYPE strata_router_write_bytes_total counter\n"
                  "strata_router_write_bytes_total %" PRIu64 "\n"
                  "# HELP strata_router_requests_in_flight HTTP requests being handled.\n"
                  "# TYPE strata_router_requests_in_flight gauge\n"
                  "strata_router_requests_in_flight %" PRId64 "\n"
                  "# HELP strata_router_catalogue_index Index of the local catalogue copy.\n"
                  "# TYPE strata_router_catalogue_index gauge\n"
                  "strata_router_catalogue_index %" PRIu64 "\n",
                  (uint64_t)atomic_load(&r->points_written),
                  (uint64_t)atomic_load(&r->points_dropped), (uint64_t)atomic_load(&r->write_bytes),
                  (int64_t)atomic_load(&r->in_flight), st_mcli_index(r->meta));
    st_owners_metrics(r->owners, b);
}

static enum endpoint endpoint_of(const char *path)
{
    if (strcmp(path, "/write") == 0)
        return EP_WRITE;
    if (strcmp(path, "/api/v2/write") == 0)
        return EP_WRITE_V2;
    if (strcmp(path, "/query") == 0)
        return EP_QUERY;
    if (strcmp(path, "/ping") == 0)
        return EP_PING;
    if (strcmp(path, "/health") == 0)
        return EP_HEALTH;
    if (strcmp(path, "/metrics") == 0)
        return EP_METRICS;
    return EP_OTHER;
}

/* Go's net/http answer to a method a route does not take. */
static void not_allowed(struct st_http_resp *resp, const char *allow)
{
    st_http_resp_header(resp, "Allow", allow);
    resp->status = 405;
    resp->content_type = "text/plain; charset=utf-8";
    st_buf_puts(&resp->body, "Method Not Allowed\n");
}

static bool method_is(const struct st_http_req *req, const char *a, const char *b)
{
    return strcmp(req->method, a) == 0 || (b != NULL && strcmp(req->method, b) == 0);
}

/* Decodes the JSON string at @p (after its opening quote) into @out. */
static void json_unquote(const char *p, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *p && *p != '"' && o + 4 < outlen; p++) {
        if (*p != '\\') {
            out[o++] = *p;
            continue;
        }
        p++;
        if (*p == 'u' && p[1] && p[2] && p[3] && p[4]) {
            unsigned cp = (unsigned)strtoul((char[]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | cp >> 6);
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xE0 | cp >> 12);
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            p += 4;
        } else if (*p) {
            out[o++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p;
        } else {
            break;
        }
    }
    out[o] = '\0';
}

/* InfluxDB repeats an error in X-Influxdb-Error, except on 401. Answers
 * built by the statement executor carry only the body: add it from there. */
static void error_header(struct st_http_resp *resp)
{
    static const char name[] = "X-Influxdb-Error";
    size_t at = resp->nheaders;
    for (size_t i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            at = i;
    if (resp->status == 401 && at < resp->nheaders) {
        memmove(&resp->headers[at], &resp->headers[at + 1],
                (resp->nheaders - at - 1) * sizeof(resp->headers[0]));
        resp->nheaders--;
        return;
    }
    static const char prefix[] = "{\"error\":\"";
    if (resp->status < 400 || resp->status == 401 || at < resp->nheaders ||
        resp->body.len < sizeof(prefix) || strncmp(resp->body.p, prefix, sizeof(prefix) - 1) != 0)
        return;
    char msg[sizeof(resp->headers[0].value)];
    json_unquote(resp->body.p + sizeof(prefix) - 1, msg, sizeof(msg));
    st_http_resp_header(resp, name, msg);
}

void st_router_handle(void *arg, const struct st_http_req *req, struct st_http_resp *resp)
{
    st_router *r = arg;
    enum endpoint ep = endpoint_of(req->path);
    atomic_fetch_add(&r->in_flight, 1);
    atomic_fetch_add(&r->requests[ep], 1);
    if (ep != EP_OTHER && strcmp(req->method, "OPTIONS") == 0) {
        resp->status = 200; /* CORS preflight, as InfluxDB */
        resp->content_type = NULL;
        ep = EP_N;
    }
    switch (ep) {
    case EP_WRITE:
        if (!method_is(req, "POST", NULL))
            not_allowed(resp, "OPTIONS, POST");
        else
            do_write(r, req, resp, st_http_param(req, "db"), st_http_param(req, "rp"),
                     st_http_param(req, "precision"));
        break;
    case EP_WRITE_V2:
        if (!method_is(req, "POST", NULL))
            not_allowed(resp, "OPTIONS, POST");
        else
            do_write_v2(r, req, resp);
        break;
    case EP_QUERY:
        if (!method_is(req, "GET", "POST"))
            not_allowed(resp, "GET, OPTIONS, POST");
        else
            do_query(r, req, resp);
        break;
    case EP_PING:
        if (!method_is(req, "GET", "HEAD"))
            not_allowed(resp, "GET, HEAD");
        else
            do_ping(req, resp);
        break;
    case EP_HEALTH:
        do_health(r, resp);
        break;
    case EP_METRICS:
        do_metrics(r, resp);
        break;
    case EP_N:
        ep = EP_OTHER; /* answered above */
        break;
    default:
        resp->status = 404;
        resp->content_type = "text/plain; charset=utf-8";
        st_buf_puts(&resp->body, "404 page not found\n");
        break;
    }
    error_header(resp);
    if (resp->status < 300)
        atomic_fetch_add(&r->status_2xx[ep], 1);
    else if (resp->status < 500)
        atomic_fetch_add(&r->status_4xx[ep], 1);
    else
        atomic_fetch_add(&r->status_5xx[ep], 1);
    atomic_fetch_sub(&r->in_flight, 1);
}
