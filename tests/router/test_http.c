/* Tests of router/http (st_http): a real server on loopback in this process,
 * raw TCP sockets as the client, and the body helpers on their own. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"
#include "http.h"
#include "http_int.h"
#include "testlib.h"

#define MAX_BODY 1024
#define TOO_LARGE "{\"error\":\"Request Entity Too Large\"}\n"

/* One client connection with its unread input. */
struct conn {
    int fd;
    struct st_buf in;
};

/* The last response read. */
struct resp {
    int status;
    char head[4096];    /* status line and headers */
    struct st_buf body; /* de-chunked */
};

struct fixture {
    st_http_server *srv;
    int port;
    atomic_int calls;    /* handler calls */
    atomic_int blocked;  /* handlers waiting in /block */
    atomic_bool release; /* lets /block return */
    atomic_int parts;    /* parts /stream made */
    atomic_bool go;      /* lets /stream make its second part */
    atomic_int done;     /* /stream bodies the server is done with */
    struct resp r;
};
static struct fixture f;

static const char *or_null(const char *v)
{
    return v ? v : "<null>";
}

/* /stream?n=N: a body of N parts "part-I\n"; the second waits up to 5 s
 * for f.go and is "late\n" when it does not come. */
struct stream {
    int i, n;
};

static int stream_next(void *arg, struct st_buf *out, bool *end)
{
    struct stream *st = arg;
    if (st->i == 1) {
        for (int i = 0; i < 500 && !atomic_load(&f.go); i++)
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        if (!atomic_load(&f.go))
            st_buf_puts(out, "late\n");
    }
    st_buf_printf(out, "part-%d\n", st->i++);
    atomic_fetch_add(&f.parts, 1);
    *end = st->i == st->n;
    return ST_OK;
}

static void stream_done(void *arg)
{
    free(arg);
    atomic_fetch_add(&f.done, 1);
}

/* Echoes the request as text; a few paths do something else. */
static void handler(void *arg, const struct st_http_req *req, struct st_http_resp *resp)
{
    (void)arg;
    atomic_fetch_add(&f.calls, 1);
    if (strcmp(req->path, "/block") == 0) {
        atomic_fetch_add(&f.blocked, 1);
        for (int i = 0; i < 1000 && !atomic_load(&f.release); i++)
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    } else if (strcmp(req->path, "/nocontent") == 0) {
        resp->status = 204;
        st_buf_puts(&resp->body, "dropped by the server");
        return;
    } else if (strcmp(req->path, "/error") == 0) {
        st_http_resp_error(resp, 400, "bad \"thing\"");
        return;
    } else if (strcmp(req->path, "/stream") == 0) {
        struct stream *st = calloc(1, sizeof *st);
        ck_assert_ptr_nonnull(st);
        st->n = atoi(or_null(st_http_param(req, "n")));
        st_buf_puts(&resp->body, "ignored: the stream is the body");
        resp->content_type = "text/plain";
        resp->stream = (struct st_http_stream){.next = stream_next, .done = stream_done, .arg = st};
        return;
    }
    resp->content_type = "text/plain";
    st_http_resp_header(resp, "X-Custom", "yes");
    st_buf_printf(
        &resp->body, "method=%s\npath=%s\nq=%s\ndb=%s\np=%s\nflag=%s\nx-test=%s\nlen=%zu\n\n",
        req->method, req->path, or_null(st_http_param(req, "q")), or_null(st_http_param(req, "db")),
        or_null(st_http_param(req, "p")), or_null(st_http_param(req, "flag")),
        or_null(st_http_header(req, "x-TEST")), req->body_len);
    st_buf_append(&resp->body, req->body, req->body_len);
}

static void start(size_t max_body, unsigned idle_s, const char *version)
{
    struct st_http_opts o = {
        .addr = "127.0.0.1",
        .port = 0,
        .max_body = max_body,
        .idle_timeout_s = idle_s,
        .version = version,
        .handler = handler,
    };
    char err[256] = "";
    ck_assert_msg(st_http_open(&o, &f.srv, err, sizeof(err)) == ST_OK, "%s", err);
    f.port = st_http_port(f.srv);
    ck_assert_int_gt(f.port, 0);
}

static void stop(void)
{
    atomic_store(&f.release, true);
    st_http_close(f.srv);
    f.srv = NULL;
}

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    st_buf_init(&f.r.body);
    start(MAX_BODY, 10, NULL);
}

static void teardown(void)
{
    stop();
    st_buf_fini(&f.r.body);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- the client ---------------------------------------------------------- */

static struct conn CONNECT(void) {
    struct conn c = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
    ck_assert_int_ge(c.fd, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f.port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    st_buf_init(&c.in);
    return c;
}

static void
DISCONNECT(struct conn *c)
{
    close(c->fd);
    st_buf_fini(&c->in);
}

static void SEND(struct conn *c, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        ck_assert_msg(w > 0, "send: %s", strerror(errno));
        s += w;
        n -= (size_t)w;
    }
}

static void SENDS(struct conn *c, const char *s)
{
    SEND(c, s, strlen(s));
}

/* Reads more input; false on EOF, error or the 5 s receive timeout. */
static bool fill(struct conn *c)
{
    char tmp[4096];
    ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
    if (n <= 0)
        return false;
    st_buf_append(&c->in, tmp, (size_t)n);
    return true;
}

static void consume(struct conn *c, size_t n)
{
    memmove(c->in.p, c->in.p + n, c->in.len - n);
    c->in.len -= n;
    c->in.p[c->in.len] = '\0';
}

/* Waits for a "\r\n"-terminated line at the start of the input; its length. */
static bool line(struct conn *c, size_t *len)
{
    char *eol;
    while (c->in.len == 0 || (eol = strstr(c->in.p, "\r\n")) == NULL)
        if (!fill(c))
            return false;
    *len = (size_t)(eol - c->in.p);
    return true;
}

/* The value of response header @name in r->head (a static copy), or NULL. */
static const char *HEADER(const struct resp *r, const char *name)
{
    static char value[256];
    size_t n = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *h = p + 2;
        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            h += n + 1;
            while (*h == ' ')
                h++;
            size_t len = strcspn(h, "\r");
            snprintf(value, sizeof(value), "%.*s", (int)len, h);
            return value;
        }
    }
    return NULL;
}

/* Reads one response into f.r (the body of a chunked one de-chunked);
 * @head_req: the request was HEAD. Its status, or -1 when the connection
 * ends first. */
static int READ(struct conn *c, bool head_req)
{
    struct resp *r = &f.r;
    r->status = -1;
    r->head[0] = '\0';
    st_buf_reset(&r->body);
    char *end;
    while (c->in.len == 0 || (end = strstr(c->in.p, "\r\n\r\n")) == NULL)
        if (!fill(c))
            return -1;
    size_t hlen = (size_t)(end - c->in.p) + 4;
    ck_assert_uint_lt(hlen, sizeof(r->head));
    memcpy(r->head, c->in.p, hlen);
    r->head[hlen] = '\0';
    consume(c, hlen);
    ck_assert_int_eq(sscanf(r->head, "HTTP/1.%*d %d", &r->status), 1);
    if (r->status / 100 == 1 || r->status == 204 || r->status == 304 || head_req)
        return r->status;
    const char *te = HEADER(r, "Transfer-Encoding");
    if (te && strcasecmp(te, "chunked") == 0) {
        for (;;) {
            size_t len;
            if (!line(c, &len))
                return -1;
            size_t size = strtoul(c->in.p, NULL, 16);
            consume(c, len + 2);
            if (size == 0)
                break;
            while (c->in.len < size + 2)
                if (!fill(c))
                    return -1;
            st_buf_append(&r->body, c->in.p, size);
            consume(c, size + 2);
        }
        for (size_t len = 1; len > 0; consume(c, len + 2)) /* trailers */
            if (!line(c, &len))
                return -1;
        return r->status;
    }
    const char *cl = HEADER(r, "Content-Length");
    if (cl) {
        size_t n = strtoul(cl, NULL, 10);
        while (c->in.len < n)
            if (!fill(c))
                return -1;
        st_buf_append(&r->body, c->in.p, n);
        consume(c, n);
        return r->status;
    }
    while (fill(c)) /* the body ends with the connection */
        ;
    st_buf_append(&r->body, c->in.p, c->in.len);
    consume(c, c->in.len);
    return r->status;
}

/* Sends @raw and reads the response. */
static int REQUEST(struct conn *c, const char *raw)
{
    SENDS(c, raw);
    return READ(c, strncmp(raw, "HEAD ", 5) == 0);
}

/* True when the server closes @c within @secs (reads return 0 or fail
 * other than by timing out). */
static bool CLOSED_WITHIN(struct conn *c, double secs)
{
    double deadline = now_s() + secs;
    while (now_s() < deadline) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        char tmp[256];
        ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return true;
    }
    return false;
}

/* Whether the echoed body contains the line @kv ("q=SHOW DATABASES"). */
static bool ECHOED(const char *kv)
{
    char want[512];
    snprintf(want, sizeof(want), "\n%s\n", kv);
    const char *body = f.r.body.p ? f.r.body.p : "";
    return strncmp(body, want + 1, strlen(want) - 1) == 0 || strstr(body, want) != NULL;
}

/* The echoed request body (after the blank line). */
static const char *ECHO_BODY(void)
{
    char *p = f.r.body.p ? strstr(f.r.body.p, "\n\n") : NULL;
    ck_assert_ptr_nonnull(p);
    return p + 2;
}

/* Compresses @n bytes of @p with gzip framing into @out. */
static void GZIP(const void *p, size_t n, struct st_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    st_buf_reset(out);
    ck_assert_int_eq(st_buf_reserve(out, bound), ST_OK);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->p;
    z.avail_out = (uInt)bound;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->len = bound - z.avail_out;
    deflateEnd(&z);
}

/* POSTs @body with extra header lines @hdrs ("Name: v\r\n..."). */
static int POST(struct conn *c, const char *path, const char *hdrs, const void *body, size_t n)
{
    char head[512];
    snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: t\r\n%sContent-Length: %zu\r\n\r\n",
             path, hdrs, n);
    SENDS(c, head);
    SEND(c, body, n);
    return READ(c, false);
}

/* --- st_http_param ------------------------------------------------------- */

START_TEST(test_http_param_query_string)
{
    struct conn c = CONNECT();
    ck_assert_int_eq(
        REQUEST(&c, "GET /query?q=SHOW%20DATABASES&db=a+b&flag HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert(ECHOED("method=GET"));
    ck_assert(ECHOED("path=/query"));
    ck_assert(ECHOED("q=SHOW DATABASES"));
    ck_assert(ECHOED("db=a b"));
    ck_assert(ECHOED("p=<null>"));
    ck_assert(ECHOED("flag="));
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_param_form_body)
{
    struct conn c = CONNECT();
    const char *form = "q=SELECT+1%2B1+FROM+%22m%22&db=frombody&p=secret&bad=%zz";
    ck_assert_int_eq(POST(&c, "/query?db=fromurl",
                          "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n",
                          form, strlen(form)),
                     200);
    ck_assert(ECHOED("q=SELECT 1+1 FROM \"m\""));
    ck_assert(ECHOED("db=frombody")); /* the body wins, as Go's FormValue */
    ck_assert(ECHOED("p=secret"));
    ck_assert_str_eq(ECHO_BODY(), form); /* the handler still sees the raw body */

    /* Another content type: the body is no form. */
    ck_assert_int_eq(POST(&c, "/query", "Content-Type: text/plain\r\n", "q=x", 3), 200);
    ck_assert(ECHOED("q=<null>"));
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_param_long_url)
{
    /* A GET /query carries the whole query in its URL: 40 kB must fit. */
    struct st_buf raw;
    st_buf_init(&raw);
    st_buf_puts(&raw, "GET /query?q=");
    for (int i = 0; i < 40000; i++)
        st_buf_putc(&raw, 'a');
    st_buf_puts(&raw, "&db=x HTTP/1.1\r\nHost: t\r\n\r\n");
    struct conn c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, raw.p), 200);
    ck_assert(ECHOED("db=x"));
    ck_assert_ptr_nonnull(strstr(f.r.body.p, "q=aaaaaaaaaa"));
    ck_assert_uint_gt(f.r.body.len, 40000);
    st_buf_fini(&raw);
    DISCONNECT(&c);
}
END_TEST

/* --- st_http_header ------------------------------------------------------ */

START_TEST(test_http_header_case_insensitive)
{
    struct conn c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, "GET / HTTP/1.1\r\nHost: t\r\nX-Test: hello\r\n\r\n"), 200);
    ck_assert(ECHOED("x-test=hello"));
    ck_assert_int_eq(REQUEST(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert(ECHOED("x-test=<null>"));
    DISCONNECT(&c);
}
END_TEST

/* --- the protocol (st_http_open) ----------------------------------------- */

START_TEST(test_http_keep_alive)
{
    struct conn c = CONNECT();
    char ids[3][64];
    for (int i = 0; i < 3; i++) {
        char raw[128];
        snprintf(raw, sizeof(raw), "GET /n%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
        ck_assert_int_eq(REQUEST(&c, raw), 200);
        char path[32];
        snprintf(path, sizeof(path), "path=/n%d", i);
        ck_assert(ECHOED(path));
        snprintf(ids[i], sizeof(ids[i]), "%s", or_null(HEADER(&f.r, "Request-Id")));
    }
    ck_assert_str_ne(ids[0], ids[1]);
    ck_assert_str_ne(ids[1], ids[2]);
    ck_assert_int_eq(atomic_load(&f.calls), 3);
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_chunked_body)
{
    struct conn c = CONNECT();
    SENDS(&c, "POST /write HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    SENDS(&c, "5\r\ncpu v\r\n");
    SENDS(&c, "a\r\nalue=1 100\r\n");
    SENDS(&c, "1\r\n\n\r\n0\r\n\r\n");
    ck_assert_int_eq(READ(&c, false), 200);
    ck_assert(ECHOED("len=16"));
    ck_assert_str_eq(ECHO_BODY(), "cpu value=1 100\n");
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_expect_continue)
{
    struct conn c = CONNECT();
    SENDS(&c, "POST /write HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
              "Content-Length: 5\r\n\r\n");
    ck_assert_int_eq(READ(&c, false), 100);
    ck_assert_int_eq(atomic_load(&f.calls), 0);
    SENDS(&c, "hello");
    ck_assert_int_eq(READ(&c, false), 200);
    ck_assert_str_eq(ECHO_BODY(), "hello");
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_too_large_content_length)
{
    /* Answered from the headers alone: no 100 Continue, no body read. */
    struct conn c = CONNECT();
    SENDS(&c, "POST /write HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
              "Content-Length: 1025\r\n\r\n");
    ck_assert_int_eq(READ(&c, false), 413);
    ck_assert_str_eq(f.r.body.p, TOO_LARGE);
    ck_assert_str_eq(or_null(HEADER(&f.r, "Content-Type")), "application/json");
    ck_assert_ptr_nonnull(HEADER(&f.r, "Request-Id"));
    ck_assert(CLOSED_WITHIN(&c, 5));
    DISCONNECT(&c);

    /* Without Expect, and a length that does not fit in 64 bits. */
    c = CONNECT();
    SENDS(&c, "POST /write HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n");
    int st = READ(&c, false);
    ck_assert(st == 413 || st == 400); /* MHD itself may refuse the number */
    DISCONNECT(&c);

    /* Exactly the limit is fine. */
    c = CONNECT();
    char *body = malloc(MAX_BODY);
    memset(body, 'x', MAX_BODY);
    ck_assert_int_eq(POST(&c, "/write", "", body, MAX_BODY), 200);
    free(body);
    ck_assert(ECHOED("len=1024"));
    ck_assert_int_eq(atomic_load(&f.calls), 1);
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_too_large_chunked)
{
    struct conn c = CONNECT();
    SENDS(&c, "POST /write HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    char chunk[600];
    memset(chunk, 'y', sizeof(chunk));
    for (int i = 0; i < 3; i++) {
        SENDS(&c, "258\r\n"); /* 600 */
        SEND(&c, chunk, sizeof(chunk));
        SENDS(&c, "\r\n");
    }
    SENDS(&c, "0\r\n\r\n");
    ck_assert_int_eq(READ(&c, false), 413);
    ck_assert_str_eq(f.r.body.p, TOO_LARGE);
    ck_assert_int_eq(atomic_load(&f.calls), 0);
    /* The body was read to its end, so the connection stays usable. */
    ck_assert_int_eq(REQUEST(&c, "GET /after HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_int_eq(atomic_load(&f.calls), 1);
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_gzip_body)
{
    struct conn c = CONNECT();
    struct st_buf gz;
    st_buf_init(&gz);
    const char *text = "cpu,host=a value=1 100\ncpu,host=b value=2 100\n";
    GZIP(text, strlen(text), &gz);
    ck_assert_int_eq(POST(&c, "/write", "Content-Encoding: gzip\r\n", gz.p, gz.len), 200);
    ck_assert_str_eq(ECHO_BODY(), text);

    /* Exactly max_body once inflated is fine; one byte more is not. */
    char *big = malloc(MAX_BODY + 1);
    memset(big, 'z', MAX_BODY + 1);
    GZIP(big, MAX_BODY, &gz);
    ck_assert_uint_lt(gz.len, MAX_BODY);
    ck_assert_int_eq(POST(&c, "/write", "Content-Encoding: gzip\r\n", gz.p, gz.len), 200);
    ck_assert(ECHOED("len=1024"));
    GZIP(big, MAX_BODY + 1, &gz);
    ck_assert_int_eq(POST(&c, "/write", "Content-Encoding: gzip\r\n", gz.p, gz.len), 413);
    ck_assert_str_eq(f.r.body.p, TOO_LARGE);
    ck_assert_int_eq(atomic_load(&f.calls), 2);
    free(big);

    /* Not gzip at all, and a truncated stream: 400, handler not called. */
    ck_assert_int_eq(POST(&c, "/write", "Content-Encoding: gzip\r\n", "plain text", 10), 400);
    ck_assert_str_eq(f.r.body.p, "{\"error\":\"gzip: invalid header\"}\n");
    GZIP(text, strlen(text), &gz);
    ck_assert_int_eq(POST(&c, "/write", "Content-Encoding: gzip\r\n", gz.p, gz.len - 6), 400);
    ck_assert_str_eq(f.r.body.p, "{\"error\":\"unexpected EOF\"}\n");
    ck_assert_int_eq(atomic_load(&f.calls), 2);
    st_buf_fini(&gz);
    DISCONNECT(&c);
}
END_TEST

static bool is_uuid_v4(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-'))
            return false;
        if (!dash && strchr("0123456789abcdef", s[i]) == NULL)
            return false;
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

START_TEST(test_http_response_headers)
{
    struct conn c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    char id[64];
    snprintf(id, sizeof(id), "%s", or_null(HEADER(&f.r, "Request-Id")));
    ck_assert_msg(is_uuid_v4(id), "%s", id);
    ck_assert_str_eq(or_null(HEADER(&f.r, "X-Request-Id")), id);
    ck_assert_str_eq(or_null(HEADER(&f.r, "X-Influxdb-Version")), "1.8.10");
    ck_assert_str_eq(or_null(HEADER(&f.r, "X-Influxdb-Build")), "OSS");
    ck_assert_str_eq(or_null(HEADER(&f.r, "X-Custom")), "yes");
    ck_assert_str_eq(or_null(HEADER(&f.r, "Content-Type")), "text/plain");
    ck_assert_int_eq(REQUEST(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_ne(or_null(HEADER(&f.r, "Request-Id")), id);
    ck_assert_str_eq(or_null(HEADER(&f.r, "X-Request-Id")), HEADER(&f.r, "Request-Id"));

    /* An error from the handler: JSON body and X-Influxdb-Error. */
    ck_assert_int_eq(REQUEST(&c, "GET /error HTTP/1.1\r\nHost: t\r\n\r\n"), 400);
    ck_assert_str_eq(f.r.body.p, "{\"error\":\"bad \\\"thing\\\"\"}\n");
    ck_assert_str_eq(or_null(HEADER(&f.r, "X-Influxdb-Error")), "bad \"thing\"");
    ck_assert_str_eq(or_null(HEADER(&f.r, "Content-Type")), "application/json");
    DISCONNECT(&c);

    stop();
    start(MAX_BODY, 10, "1.8.10-strata");
    c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_eq(or_null(HEADER(&f.r, "X-Influxdb-Version")), "1.8.10-strata");
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_no_content_and_head)
{
    struct conn c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, "GET /nocontent HTTP/1.1\r\nHost: t\r\n\r\n"), 204);
    ck_assert_str_eq(or_null(HEADER(&f.r, "Content-Type")), "application/json"); /* as InfluxDB */
    ck_assert_ptr_nonnull(HEADER(&f.r, "Request-Id"));
    const char *cl = HEADER(&f.r, "Content-Length");
    ck_assert(cl == NULL || strcmp(cl, "0") == 0);
    /* HEAD: headers only. */
    ck_assert_int_eq(REQUEST(&c, "HEAD /ping HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_eq(or_null(HEADER(&f.r, "X-Influxdb-Build")), "OSS");
    /* No stray body bytes on the connection: the next answer parses. */
    ck_assert_int_eq(REQUEST(&c, "GET /next HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert(ECHOED("path=/next"));
    ck_assert_uint_eq(c.in.len, 0);
    ck_assert_int_eq(atomic_load(&f.calls), 3);
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_idle_timeout)
{
    stop();
    start(MAX_BODY, 1, NULL);
    struct conn c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert(CLOSED_WITHIN(&c, 5));
    DISCONNECT(&c);
    /* A connection that never sends anything too. */
    c = CONNECT();
    ck_assert(CLOSED_WITHIN(&c, 5));
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_close_with_idle_connection)
{
    struct conn c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    double t0 = now_s();
    st_http_close(f.srv);
    f.srv = NULL;
    ck_assert_double_lt(now_s() - t0, 2.0);
    ck_assert(CLOSED_WITHIN(&c, 2));
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_blocked_handler_does_not_block_others)
{
    struct conn a = CONNECT(), b = CONNECT();
    SENDS(&a, "GET /block HTTP/1.1\r\nHost: t\r\n\r\n");
    for (int i = 0; i < 500 && atomic_load(&f.blocked) == 0; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    ck_assert_int_eq(atomic_load(&f.blocked), 1);
    ck_assert_int_eq(REQUEST(&b, "GET /other HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert(ECHOED("path=/other"));
    struct pollfd p = {.fd = a.fd, .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 0), 0); /* a is still waiting */
    atomic_store(&f.release, true);
    ck_assert_int_eq(READ(&a, false), 200);
    ck_assert(ECHOED("path=/block"));
    DISCONNECT(&a);
    DISCONNECT(&b);
}
END_TEST

START_TEST(test_http_open_errors)
{
    struct st_http_opts o = {.addr = "127.0.0.1", .port = f.port, .handler = handler};
    st_http_server *s = (st_http_server *)1;
    char err[256] = "";
    ck_assert_int_eq(st_http_open(&o, &s, err, sizeof(err)), ST_EIO); /* port taken */
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "http: listen on 127.0.0.1:") == err, "%s", err);
    o.port = 0;
    o.addr = "no such host.invalid";
    ck_assert_int_eq(st_http_open(&o, &s, err, sizeof(err)), ST_EINVAL);
    o.addr = "127.0.0.1";
    o.handler = NULL;
    ck_assert_int_eq(st_http_open(&o, &s, err, sizeof(err)), ST_EINVAL);
    st_http_close(NULL);
}
END_TEST

/* --- streamed bodies ----------------------------------------------------- */

/* Waits up to 5 s for @n /stream bodies to be done with. */
static bool DONE_COUNT(int n)
{
    for (int i = 0; i < 500 && atomic_load(&f.done) < n; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    return atomic_load(&f.done) == n;
}

START_TEST(test_http_stream_sent_while_made)
{
    struct conn c = CONNECT();
    SENDS(&c, "GET /stream?n=3 HTTP/1.1\r\nHost: t\r\n\r\n");
    /* The first part arrives while the second is still waiting for it. */
    while (c.in.len == 0 || strstr(c.in.p, "part-0\n") == NULL)
        ck_assert_msg(fill(&c), "the first part did not come before the second was made");
    ck_assert_ptr_null(strstr(c.in.p, "part-1"));
    ck_assert_int_eq(atomic_load(&f.parts), 1);
    atomic_store(&f.go, true);
    ck_assert_int_eq(READ(&c, false), 200);
    ck_assert_str_eq(or_null(HEADER(&f.r, "Transfer-Encoding")), "chunked");
    ck_assert_str_eq(or_null(HEADER(&f.r, "Content-Type")), "text/plain");
    ck_assert_ptr_nonnull(HEADER(&f.r, "X-Request-Id"));
    ck_assert_str_eq(f.r.body.p, "part-0\npart-1\npart-2\n");
    ck_assert(DONE_COUNT(1));
    /* The connection stays usable. */
    ck_assert_int_eq(REQUEST(&c, "GET /after HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert(ECHOED("path=/after"));
    DISCONNECT(&c);
}
END_TEST

START_TEST(test_http_stream_client_goes_away)
{
    atomic_store(&f.go, true);
    struct conn c = CONNECT();
    SENDS(&c, "GET /stream?n=100000000 HTTP/1.1\r\nHost: t\r\n\r\n");
    while (c.in.len < 100000)
        ck_assert(fill(&c));
    DISCONNECT(&c);
    /* The server stops asking for parts and lets the stream go. */
    ck_assert(DONE_COUNT(1));
    int parts = atomic_load(&f.parts);
    ck_assert_int_lt(parts, 100000000);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    ck_assert_int_eq(atomic_load(&f.parts), parts);
    /* Another client is served. */
    c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, "GET /stream?n=2 HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert_str_eq(f.r.body.p, "part-0\npart-1\n");
    DISCONNECT(&c);
    ck_assert(DONE_COUNT(2));
}
END_TEST

START_TEST(test_http_stream_head)
{
    struct conn c = CONNECT();
    ck_assert_int_eq(REQUEST(&c, "HEAD /stream?n=3 HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert(DONE_COUNT(1));
    ck_assert_int_eq(atomic_load(&f.parts), 0);
    ck_assert_int_eq(REQUEST(&c, "GET /next HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    ck_assert(ECHOED("path=/next"));
    DISCONNECT(&c);
}
END_TEST

/* --- response helpers and body helpers, without a server ----------------- */

START_TEST(test_http_resp_helpers)
{
    struct st_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    st_buf_init(&resp.body);
    for (int i = 0; i < ST_HTTP_MAX_HEADERS; i++)
        ck_assert_int_eq(st_http_resp_header(&resp, "X-A", "v"), ST_OK);
    ck_assert_int_eq(st_http_resp_header(&resp, "X-B", "v"), ST_ERANGE);
    char longv[2000];
    memset(longv, 'v', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    resp.nheaders = 0;
    ck_assert_int_eq(st_http_resp_header(&resp, "X-Long", longv), ST_OK);
    ck_assert_uint_eq(strlen(resp.headers[0].value), sizeof(resp.headers[0].value) - 1);
    st_buf_puts(&resp.body, "old");
    ck_assert_int_eq(st_http_resp_error(&resp, 500, "one\ntwo"), ST_OK);
    ck_assert_int_eq(st_http_resp_error(&resp, 503, "again"), ST_OK);
    ck_assert_int_eq(resp.status, 503);
    ck_assert_str_eq(resp.body.p, "{\"error\":\"again\"}\n");
    ck_assert_uint_eq(resp.nheaders, 2); /* X-Influxdb-Error set once */
    ck_assert_str_eq(resp.headers[1].value, "again");
    st_buf_fini(&resp.body);
}
END_TEST

START_TEST(test_http_form_parse)
{
    struct st_http_form form;
    memset(&form, 0, sizeof(form));
    const char *body = "&a=1&&b&c=x%3Dy+z&a=2&bad=%4&=e&d=%41%62";
    ck_assert_int_eq(st_http_form_parse(&form, body, strlen(body)), ST_OK);
    ck_assert_str_eq(st_http_form_get(&form, "a"), "1"); /* the first wins */
    ck_assert_str_eq(st_http_form_get(&form, "b"), "");
    ck_assert_str_eq(st_http_form_get(&form, "c"), "x=y z");
    ck_assert_ptr_null(st_http_form_get(&form, "bad"));
    ck_assert_str_eq(st_http_form_get(&form, ""), "e");
    ck_assert_str_eq(st_http_form_get(&form, "d"), "Ab");
    ck_assert_ptr_null(st_http_form_get(&form, "zz"));
    st_http_form_fini(&form);
    ck_assert_int_eq(st_http_form_parse(&form, "", 0), ST_OK);
    ck_assert_uint_eq(form.n, 0);
    st_http_form_fini(&form);
    st_http_form_fini(&form);
}
END_TEST

START_TEST(test_http_gunzip)
{
    struct st_buf gz, out;
    st_buf_init(&gz);
    st_buf_init(&out);
    char *big = malloc(300000);
    for (size_t i = 0; i < 300000; i++)
        big[i] = (char)('a' + (i * 7919 % 26));
    GZIP(big, 300000, &gz);
    char err[128];
    ck_assert_int_eq(st_http_gunzip(gz.p, gz.len, 300000, &out, err, sizeof(err)), ST_OK);
    ck_assert_uint_eq(out.len, 300000);
    ck_assert_int_eq(memcmp(out.p, big, 300000), 0);
    st_buf_reset(&out);
    ck_assert_int_eq(st_http_gunzip(gz.p, gz.len, 299999, &out, err, sizeof(err)), ST_ERANGE);
    ck_assert_uint_le(out.len, 300000);

    /* Two members one after the other read as one body. */
    struct st_buf two;
    st_buf_init(&two);
    GZIP("abc", 3, &gz);
    st_buf_append(&two, gz.p, gz.len);
    GZIP("def", 3, &gz);
    st_buf_append(&two, gz.p, gz.len);
    st_buf_reset(&out);
    ck_assert_int_eq(st_http_gunzip(two.p, two.len, 100, &out, err, sizeof(err)), ST_OK);
    ck_assert_str_eq(out.p, "abcdef");
    /* Garbage after a member is an error. */
    st_buf_puts(&two, "junk");
    st_buf_reset(&out);
    ck_assert_int_eq(st_http_gunzip(two.p, two.len, 100, &out, err, sizeof(err)), ST_ECORRUPT);
    ck_assert_str_eq(err, "gzip: invalid header");
    st_buf_fini(&two);
    st_buf_fini(&gz);
    st_buf_fini(&out);
    free(big);
}
END_TEST

START_TEST(test_http_uuid)
{
    char a[ST_HTTP_ID_LEN + 1], b[ST_HTTP_ID_LEN + 1];
    st_http_uuid(a);
    st_http_uuid(b);
    ck_assert_msg(is_uuid_v4(a), "%s", a);
    ck_assert_msg(is_uuid_v4(b), "%s", b);
    ck_assert_str_ne(a, b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("st_http_param");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_http_param_query_string);
    tcase_add_test(tc, test_http_param_form_body);
    tcase_add_test(tc, test_http_param_long_url);
    suite_add_tcase(s, tc);

    tc = tcase_create("st_http_header");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_http_header_case_insensitive);
    suite_add_tcase(s, tc);

    tc = tcase_create("st_http_open");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_http_keep_alive);
    tcase_add_test(tc, test_http_chunked_body);
    tcase_add_test(tc, test_http_expect_continue);
    tcase_add_test(tc, test_http_too_large_content_length);
    tcase_add_test(tc, test_http_too_large_chunked);
    tcase_add_test(tc, test_http_gzip_body);
    tcase_add_test(tc, test_http_response_headers);
    tcase_add_test(tc, test_http_no_content_and_head);
    tcase_add_test(tc, test_http_idle_timeout);
    tcase_add_test(tc, test_http_blocked_handler_does_not_block_others);
    tcase_add_test(tc, test_http_open_errors);
    tcase_add_test(tc, test_http_stream_sent_while_made);
    tcase_add_test(tc, test_http_stream_client_goes_away);
    tcase_add_test(tc, test_http_stream_head);
    suite_add_tcase(s, tc);

    tc = tcase_create("st_http_close");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_http_close_with_idle_connection);
    suite_add_tcase(s, tc);

    tc = tcase_create("st_http_resp");
    tcase_add_test(tc, test_http_resp_helpers);
    suite_add_tcase(s, tc);

    tc = tcase_create("body");
    tcase_add_test(tc, test_http_form_parse);
    tcase_add_test(tc, test_http_gunzip);
    tcase_add_test(tc, test_http_uuid);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return t_run_suite(suite());
}
