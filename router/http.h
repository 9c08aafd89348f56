/* The routers' HTTP/1.1 server on libmicrohttpd: whole decoded bodies in, one response out. */
#ifndef ST_HTTP_H
#define ST_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * libmicrohttpd does the protocol: keep-alive, `Expect: 100-continue`,
 * chunked request bodies, the idle timeout. This module adds what every
 * endpoint shares (docs/router-http.md):
 *   - the body is collected whole and, with `Content-Encoding: gzip`,
 *     inflated; a body over opts.max_body (before or after inflating) is
 *     answered 413 {"error":"Request Entity Too Large"} without calling
 *     the handler; a Content-Length over the limit is answered before the
 *     body is read (no 100 Continue is sent);
 *   - a bad gzip body is answered 400 without calling the handler;
 *   - every response carries `Request-Id` and `X-Request-Id` (a fresh UUID
 *     per request), `X-Influxdb-Version` and `X-Influxdb-Build`, as
 *     InfluxDB 1.x does.
 * The handler runs on one of the server's threads and may block (a write
 * waits for its owners): each connection has its own thread.
 */

typedef struct st_http_server st_http_server;

/* One request, valid during the handler call only. */
struct st_http_req {
    const char *method;     /* "GET", "POST", "HEAD", ... */
    const char *path;       /* URL path without the query string, e.g. "/write" */
    const char *body;       /* the decoded body (inflated if gzip), NUL-terminated; "" if none */
    size_t body_len;        /* bytes in body, not counting the NUL */
    const char *request_id; /* the UUID sent back in Request-Id */
    void *impl;             /* private to http.c */
};

/* A parameter of the query string or, for a POST whose Content-Type is
 * application/x-www-form-urlencoded, of the body (the body wins, as in Go's
 * Request.FormValue, which InfluxDB uses), percent-decoded. NULL when
 * absent. Valid during the handler call. */
const char *st_http_param(const struct st_http_req *r, const char *name);

/* A parameter of the query string only (InfluxDB reads u and p there). */
const char *st_http_query_param(const struct st_http_req *r, const char *name);

/* A request header (case-insensitive name), or NULL. */
const char *st_http_header(const struct st_http_req *r, const char *name);

/* A body made while it is sent: the handler sets st_http_resp.stream and
 * the server sends the status and headers at once, then the parts @next
 * gives, with HTTP/1.1 chunked transfer encoding. */
struct st_http_stream {
    /* Appends the next part of the body to @out, blocking until there is
     * one, and sets *@end after the last (@out may then be empty). Runs on
     * the connection's thread. Anything but ST_OK closes the connection:
     * the client sees a body cut short. */
    int (*next)(void *arg, struct st_buf *out, bool *end);
    /* Called once, when the server is done with the stream: the body was
     * sent, the client went away, the request was a HEAD, or the response
     * could not be built. @arg is then the handler's to free. */
    void (*done)(void *arg);
    void *arg;
};

/* The handler's answer. The server initializes it: status 200, content type
 * "application/json", empty body, no stream, no extra headers. The server
 * sends no body and no Content-Type with a 204 or 304, no body for a HEAD
 * request, and a status outside 200..599 as 500. */
#define ST_HTTP_MAX_HEADERS 8
struct st_http_resp {
    int status;
    const char *content_type; /* static string or NULL for none (sent on 204 too, as InfluxDB) */
    struct st_buf body;       /* appended by the handler; freed by the server */
    struct st_http_stream stream; /* next != NULL: the body is this stream, @body is ignored */
    size_t nheaders;
    struct {
        char name[64];
        char value[1024];
    } headers[ST_HTTP_MAX_HEADERS];
};

/* Adds a response header (copied; truncated to the fixed sizes). ST_OK or
 * ST_ERANGE when ST_HTTP_MAX_HEADERS are already set. */
int st_http_resp_header(struct st_http_resp *resp, const char *name, const char *value);

/* Sets status and the InfluxDB error body {"error":"<msg>"} (JSON-escaped),
 * and the header X-Influxdb-Error: <msg> (once, truncated), as InfluxDB does.
 * ST_OK or ST_ENOMEM. */
int st_http_resp_error(struct st_http_resp *resp, int status, const char *msg);

typedef void (*st_http_handler)(void *arg, const struct st_http_req *req,
                                struct st_http_resp *resp);

struct st_http_opts {
    const char *addr;        /* listen address, e.g. "127.0.0.1" or "0.0.0.0" */
    int port;                /* 0: a free port (see st_http_port()) */
    size_t max_body;         /* largest body, raw or inflated; 0: 25,000,000 (InfluxDB's) */
    unsigned idle_timeout_s; /* a connection silent this long is closed; 0: 60 */
    unsigned max_conns;      /* 0: 1000 */
    const char *version;     /* X-Influxdb-Version; NULL: "1.8.10" */
    st_http_handler handler;
    void *arg;
};

/* Binds and starts serving. Caller owns the server (st_http_close()).
 * On error a message in @err. */
int st_http_open(const struct st_http_opts *opts, st_http_server **out, char *err, size_t errlen);

/* The TCP port actually bound. */
int st_http_port(const st_http_server *s);

/* Stops listening, waits for handlers in progress, frees. NULL is fine. */
void st_http_close(st_http_server *s);

#endif
