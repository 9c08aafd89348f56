/* A small blocking HTTP/1.1 client for end-to-end tests (t_http_). */
#ifndef ST_TEST_HTTPC_H
#define ST_TEST_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

/* One answer. body is NUL-terminated and malloc'ed; headers is the raw
 * header block (malloc'ed). Free with t_http_free(). */
struct t_http_resp {
    int status; /* -1: no answer (connection refused, timeout, garbage) */
    char *headers;
    char *body;
    size_t body_len;
};

struct t_http_opts {
    const char *extra_headers; /* "Name: value\r\n..." or NULL */
    bool chunked;              /* send the body with Transfer-Encoding: chunked */
    int timeout_ms;            /* 0: 30000 */
};

/* Sends METHOD @path (with query string) to 127.0.0.1:@port with @body
 * (@len bytes, may be NULL), "Connection: close", and reads the whole
 * answer. */
struct t_http_resp t_http(int port, const char *method, const char *path, const void *body,
                          size_t len, const struct t_http_opts *opts);

/* The value of header @name (case-insensitive) in @r, copied into @out;
 * false when absent. */
bool t_http_header(const struct t_http_resp *r, const char *name, char *out, size_t outlen);

void t_http_free(struct t_http_resp *r);

/* Percent-encodes @s into @out (application/x-www-form-urlencoded value). */
void t_http_urlencode(const char *s, char *out, size_t outlen);

#endif
