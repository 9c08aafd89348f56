/*
 * The routers' HTTP server: libmicrohttpd underneath, whole bodies in, one
 * buffered response out (docs/router-http.md).
 *
 * Happy path. MHD runs a listening thread plus one thread per connection and
 * calls on_request() several times per request on the connection's thread:
 * first when the headers are in (*con_cls == NULL: we allocate a struct
 * request and draw its id), then once per piece of body (*upload_data_size >
 * 0: the piece is copied into rq->body and marked consumed), and last with
 * *upload_data_size == 0 once the body is complete (MHD has undone any
 * chunked framing). On that last call the body is inflated when gzip, form
 * parameters are parsed, the handler runs, and its answer is queued as one
 * buffer that MHD frees. MHD sends it, keeps the connection alive or not, and
 * calls on_completed(), which frees the request.
 *
 * Failure modes.
 * - A Content-Length over max_body is answered 413 on the first call. With a
 *   response queued before the body, MHD sends no `100 Continue`, reads no
 *   body and closes the connection after the answer.
 * - A chunked body that grows over max_body is dropped as it arrives (memory
 *   stays bounded), the rest is read and discarded, and the last call answers
 *   413 without calling the handler.
 * - gzip that inflates past max_body: 413; gzip that does not inflate: 400.
 * - Out of memory while collecting or parsing: 500 (UNTESTED); when not even
 *   the answer can be built, MHD_NO makes MHD close the connection.
 * - A client silent for idle_timeout_s is disconnected by MHD, and a
 *   connection past max_conns is accepted and closed at once.
 * st_http_close() (MHD_stop_daemon()) shuts every connection's socket down
 * and joins the threads, so a handler in progress finishes first.
 */
#include "http.h"

#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "err.h"
#include "http_int.h"
#include "json.h"

#define DEFAULT_MAX_BODY 25000000 /* InfluxDB's max-body-size */
#define DEFAULT_IDLE_S 60
#define DEFAULT_MAX_CONNS 1000
#define DEFAULT_VERSION "1.8.10"
/* MHD's per-connection pool: the request line and headers must fit in it
 * (a GET /query?q=... carries the whole query in its URL). */
#define CONN_MEMORY ((size_t)128 * 1024)
/* A Content-Length reserves at most this much up front; more grows on use. */
#define PRERESERVE ((size_t)1024 * 1024)
/* Bytes MHD asks of a streamed body at a time. */
#define STREAM_BLOCK ((size_t)64 * 1024)
#define TOO_LARGE "Request Entity Too Large" /* InfluxDB 1.x: http.StatusText(413) */

struct st_http_server {
    struct MHD_Daemon *d;
    st_http_handler handler;
    void *arg;
    size_t max_body;
    int port;             /* bound */
    char version[64];     /* X-Influxdb-Version */
    pthread_mutex_t lock; /* guards the two below */
    bool log_capture;     /* copy MHD's messages into log_last (during open) */
    char log_last[256];   /* MHD's last message, without the newline */
};

/* One request, from its headers to on_completed(). */
struct request {
    st_http_server *s;
    struct MHD_Connection *conn;
    struct st_buf body;       /* the raw body so far */
    int verdict;              /* 0, or the status to answer without the handler */
    const char *verdict_msg;  /* its error text */
    bool answered;            /* a response is queued already */
    struct st_http_form form; /* parameters of a form body */
    char id[ST_HTTP_ID_LEN + 1];
};

/* MHD's error log goes to stderr, one line per message. */
static void on_log(void *cls, const char *fmt, va_list ap)
{
    st_http_server *s = cls;
    va_list copy;
    va_copy(copy, ap);
    flockfile(stderr);
    fputs("http: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
    funlockfile(stderr);
    pthread_mutex_lock(&s->lock);
    if (s->log_capture) {
        vsnprintf(s->log_last, sizeof(s->log_last), fmt, copy);
        s->log_last[strcspn(s->log_last, "\r\n")] = '\0';
    }
    pthread_mutex_unlock(&s->lock);
    va_end(copy);
}

int st_http_resp_header(struct st_http_resp *resp, const char *name, const char *value)
{
    if (resp->nheaders >= ST_HTTP_MAX_HEADERS)
        return ST_ERANGE;
    snprintf(resp->headers[resp->nheaders].name, sizeof(resp->headers[0].name), "%s", name);
    char *v = resp->headers[resp->nheaders].value;
    snprintf(v, sizeof(resp->headers[0].value), "%s", value);
    for (; *v; v++) /* as Go's net/http: a line break in a value becomes a space */
        if (*v == '\r' || *v == '\n')
            *v = ' ';
    resp->nheaders++;
    return ST_OK;
}

int st_http_resp_error(struct st_http_resp *resp, int status, const char *msg)
{
    resp->status = status;
    resp->content_type = "application/json";
    st_buf_reset(&resp->body);
    int rv;
    if ((rv = st_buf_puts(&resp->body, "{\"error\":")) != ST_OK ||
        (rv = st_json_str(&resp->body, msg, strlen(msg))) != ST_OK ||
        (rv = st_buf_puts(&resp->body, "}\n")) != ST_OK)
        return rv;
    /* InfluxDB ends its JSON bodies with a newline (a json.Encoder) and repeats the message in
     * X-Influxdb-Error; set it once. */
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (strcasecmp(resp->headers[i].name, "X-Influxdb-Error") == 0) {
            snprintf(resp->headers[i].value, sizeof(resp->headers[i].value), "%s", msg);
            return ST_OK;
        }
    }
    st_http_resp_header(resp, "X-Influxdb-Error", msg); /* no room: the body says it */
    return ST_OK;
}

static void resp_init(struct st_http_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    resp->content_type = "application/json";
    st_buf_init(&resp->body);
}

const char *st_http_header(const struct st_http_req *r, const char *name)
{
    const struct request *rq = r->impl;
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *st_http_query_param(const struct st_http_req *r, const char *name)
{
    const struct request *rq = r->impl;
    const char *v = NULL;
    size_t vlen = 0;
    if (MHD_lookup_connection_value_n(rq->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
                                      &vlen) == MHD_YES)
        return v ? v : ""; /* "?name" alone has no value */
    return NULL;
}

const char *st_http_param(const struct st_http_req *r, const char *name)
{
    const struct request *rq = r->impl;
    const char *v = st_http_form_get(&rq->form, name);
    return v != NULL ? v : st_http_query_param(r, name);
}

/* A streamed body on its way out: what @s.next gave and MHD has not
 * taken yet. */
struct stream {
    struct st_http_stream s;
    struct st_buf pend;
    size_t off; /* bytes of @pend already handed to MHD */
    bool end;   /* @s.next said nothing follows @pend */
};

/* MHD's content reader: copies the next bytes of the stream into @buf. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    while (st->off == st->pend.len) {
        if (st->end)
            return MHD_CONTENT_READER_END_OF_STREAM;
        st_buf_reset(&st->pend);
        st->off = 0;
        if (st->s.next(st->s.arg, &st->pend, &st->end) != ST_OK)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = st->pend.len - st->off;
    if (n > max)
        n = max;
    memcpy(buf, st->pend.p + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    st->s.done(st->s.arg);
    st_buf_fini(&st->pend);
    free(st);
}

/* The response for a streamed body; calls @s->done when it cannot. */
static struct MHD_Response *stream_response(const struct st_http_stream *s)
{
    struct stream *st = calloc(1, sizeof *st);
    if (st == NULL) {
        s->done(s->arg); /* UNTESTED: out of memory */
        return NULL;
    }
    st->s = *s;
    st_buf_init(&st->pend);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK,
                                                               stream_read, st, stream_free);
    if (r == NULL)
        stream_free(st); /* UNTESTED: out of memory */
    return r;
}

/* Queues @resp (its body is taken over by MHD when there is one). MHD_NO when
 * the response cannot be built: MHD then closes the connection. */
static enum MHD_Result respond(struct request *rq, const char *method, struct st_http_resp *resp)
{
    const st_http_server *s = rq->s;
    int status = resp->status;
    if (status < 200 || status > 599)
        status = 500; /* a handler bug; 1xx would confuse the client */
    bool bodyless = status == 204 || status == 304;
    struct st_http_stream stream = resp->stream; /* owned here from now on */
    memset(&resp->stream, 0, sizeof resp->stream);
    bool streamed = stream.next != NULL;
    bool send_body = !bodyless && strcmp(method, "HEAD") != 0 && (streamed || resp->body.len > 0);
    if (streamed && !send_body) {
        stream.done(stream.arg);
        streamed = false;
    }
    struct MHD_Response *r;
    if (streamed) {
        r = stream_response(&stream);
    } else if (send_body) {
        r = MHD_create_response_from_buffer(resp->body.len, resp->body.p, MHD_RESPMEM_MUST_FREE);
        if (r)
            st_buf_init(&resp->body); /* MHD frees it */
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (r == NULL)
        return MHD_NO; /* UNTESTED: out of memory */
    /* A header MHD refuses (a CR or LF in it) is left out. */
    if (resp->content_type) /* InfluxDB sends one with 204 too */
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, "Request-Id", rq->id);
    MHD_add_response_header(r, "X-Request-Id", rq->id);
    MHD_add_response_header(r, "X-Influxdb-Build", "OSS");
    MHD_add_response_header(r, "X-Influxdb-Version", s->version);
    for (size_t i = 0; i < resp->nheaders && i < ST_HTTP_MAX_HEADERS; i++)
        MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(rq->conn, (unsigned int)status, r);
    MHD_destroy_response(r);
    rq->answered = true;
    return ret;
}

/* Answers an error built here, without the handler. */
static enum MHD_Result respond_error(struct request *rq, const char *method, int status,
                                     const char *msg)
{
    struct st_http_resp resp;
    resp_init(&resp);
    st_http_resp_error(&resp, status, msg); /* UNTESTED: on ENOMEM the body stays short */
    enum MHD_Result ret = respond(rq, method, &resp);
    st_buf_fini(&resp.body);
    return ret;
}

/* Parses a decimal Content-Length; a value too big for size_t is SIZE_MAX. */
static size_t parse_length(const char *v)
{
    size_t n = 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        size_t d = (size_t)(*v - '0');
        if (n > (SIZE_MAX - d) / 10)
            return SIZE_MAX;
        n = n * 10 + d;
    }
    return n;
}

/* The first call of a request: its headers are in, no body yet. */
static enum MHD_Result begin(st_http_server *s, struct MHD_Connection *conn, const char *method,
                             void **con_cls)
{
    struct request *rq = calloc(1, sizeof(*rq));
    if (rq == NULL)
        return MHD_NO; /* UNTESTED: out of memory closes the connection */
    rq->s = s;
    rq->conn = conn;
    st_buf_init(&rq->body);
    st_http_uuid(rq->id);
    *con_cls = rq;
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == NULL)
        return MHD_YES;
    size_t len = parse_length(cl);
    if (len > s->max_body)
        return respond_error(rq, method, 413, TOO_LARGE);
    /* A failed reservation is retried, and reported, when the body arrives. */
    st_buf_reserve(&rq->body, len < PRERESERVE ? len : PRERESERVE);
    return MHD_YES;
}

/* A piece of body. */
static void collect(struct request *rq, const char *data, size_t n)
{
    if (rq->verdict || rq->answered)
        return;
    if (n > rq->s->max_body - rq->body.len) {
        rq->verdict = 413;
        rq->verdict_msg = TOO_LARGE;
        st_buf_fini(&rq->body);
        return;
    }
    if (st_buf_append(&rq->body, data, n) != ST_OK) {
        rq->verdict = 500; /* UNTESTED */
        rq->verdict_msg = st_strerror(ST_ENOMEM);
        st_buf_fini(&rq->body);
    }
}

static bool is_gzip(const char *enc)
{
    return enc && (strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0);
}

static bool is_form(const char *type)
{
    static const char form[] = "application/x-www-form-urlencoded";
    if (type == NULL || strncasecmp(type, form, sizeof(form) - 1) != 0)
        return false;
    char next = type[sizeof(form) - 1];
    return next == '\0' || next == ';' || next == ' ';
}

/* The last call: the whole body is in. */
static enum MHD_Result finish(struct request *rq, const char *url, const char *method)
{
    if (rq->verdict)
        return respond_error(rq, method, rq->verdict, rq->verdict_msg);
    struct MHD_Connection *conn = rq->conn;
    const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");
    if (is_gzip(enc) && rq->body.len > 0) {
        char msg[160];
        struct st_buf out;
        st_buf_init(&out);
        int rv = st_http_gunzip(rq->body.p, rq->body.len, rq->s->max_body, &out, msg, sizeof(msg));
        st_buf_fini(&rq->body);
        rq->body = out;
        if (rv != ST_OK) {
            st_buf_fini(&rq->body);
            if (rv == ST_ERANGE)
                return respond_error(rq, method, 413, TOO_LARGE);
            return respond_error(rq, method, rv == ST_ECORRUPT ? 400 : 500, msg);
        }
    }
    const char *body = rq->body.p ? rq->body.p : "";
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (strcmp(method, "POST") == 0 && is_form(type) &&
        st_http_form_parse(&rq->form, body, rq->body.len) != ST_OK)
        return respond_error(rq, method, 500, st_strerror(ST_ENOMEM)); /* UNTESTED */

    struct st_http_req req = {
        .method = method,
        .path = url,
        .body = body,
        .body_len = rq->body.len,
        .request_id = rq->id,
        .impl = rq,
    };
    struct st_http_resp resp;
    resp_init(&resp);
    rq->s->handler(rq->s->arg, &req, &resp);
    enum MHD_Result ret = respond(rq, method, &resp);
    st_buf_fini(&resp.body);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct request *rq = *con_cls;
    (void)version;
    if (rq == NULL)
        return begin(cls, conn, method, con_cls);
    if (*upload_size > 0) {
        collect(rq, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->answered)
        return MHD_YES;
    return finish(rq, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (rq == NULL)
        return;
    st_buf_fini(&rq->body);
    st_http_form_fini(&rq->form);
    free(rq);
    *con_cls = NULL;
}

/* Resolves @addr (NULL or "": every IPv4 address) and @port into @ss. */
static int resolve(const char *addr, int port, struct sockaddr_storage *ss, char *err,
                   size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    bool any = addr == NULL || addr[0] == '\0';
    hints.ai_family = any ? AF_INET : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char serv[16];
    snprintf(serv, sizeof(serv), "%d", port);
    int g = getaddrinfo(any ? NULL : addr, serv, &hints, &res);
    if (g != 0)
        return st_errf(err, errlen, ST_EINVAL, "http: address %s: %s", addr, gai_strerror(g));
    if (res->ai_addrlen > sizeof(*ss)) {
        freeaddrinfo(res); /* UNTESTED: cannot happen with AF_INET/AF_INET6 */
        return st_errf(err, errlen, ST_EINVAL, "http: address %s: unsupported", addr);
    }
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return ST_OK;
}

int st_http_open(const struct st_http_opts *opts, st_http_server **out, char *err, size_t errlen)
{
    *out = NULL;
    if (opts->handler == NULL)
        return st_errf(err, errlen, ST_EINVAL, "http: no handler");
    if (opts->port < 0 || opts->port > 65535)
        return st_errf(err, errlen, ST_EINVAL, "http: port %d out of range", opts->port);
    struct sockaddr_storage ss;
    int rv = resolve(opts->addr, opts->port, &ss, err, errlen);
    if (rv != ST_OK)
        return rv;

    st_http_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "http: out of memory");
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        rv = st_errf(err, errlen, ST_ENOMEM, "http: mutex init failed"); /* UNTESTED */
        goto err_after_alloc;
    }
    s->handler = opts->handler;
    s->arg = opts->arg;
    s->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
    snprintf(s->version, sizeof(s->version), "%s", opts->version ? opts->version : DEFAULT_VERSION);
    unsigned int idle = opts->idle_timeout_s ? opts->idle_timeout_s : DEFAULT_IDLE_S;
    unsigned int conns = opts->max_conns ? opts->max_conns : DEFAULT_MAX_CONNS;

    /* Thread per connection, since a handler may block for a long time (a
     * write waits for its owners); poll() rather than select() so that
     * descriptors past FD_SETSIZE work. */
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    pthread_mutex_lock(&s->lock);
    s->log_capture = true;
    pthread_mutex_unlock(&s->lock);
    struct MHD_OptionItem limits[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)idle, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)conns, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)CONN_MEMORY, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    /* The logger first, so that MHD's complaints about the rest reach it. */
    s->d = MHD_start_daemon(flags, (uint16_t)opts->port, NULL, NULL, on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, on_log, s, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, s, MHD_OPTION_ARRAY, limits, MHD_OPTION_END);
    pthread_mutex_lock(&s->lock);
    s->log_capture = false;
    pthread_mutex_unlock(&s->lock);
    if (s->d == NULL) {
        rv = st_errf(err, errlen, ST_EIO, "http: listen on %s:%d: %s", opts->addr ? opts->addr : "",
                     opts->port, s->log_last[0] ? s->log_last : "cannot start");
        goto err_after_mutex;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info && info->port ? info->port : opts->port;
    *out = s;
    return ST_OK;

err_after_mutex:
    pthread_mutex_destroy(&s->lock);
err_after_alloc:
    free(s);
    return rv;
}

int st_http_port(const st_http_server *s)
{
    return s->port;
}

void st_http_close(st_http_server *s)
{
    if (s == NULL)
        return;
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
