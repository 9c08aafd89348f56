/* A small blocking HTTP/1.1 client for end-to-end tests. */
#include "httpc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static bool send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

/* Decodes a chunked body in place; returns its length. */
static size_t dechunk(char *b, size_t n)
{
    size_t in = 0, out = 0;
    while (in < n) {
        char *end;
        unsigned long sz = strtoul(b + in, &end, 16);
        char *nl = strstr(end, "\r\n");
        if (nl == NULL)
            break;
        in = (size_t)(nl - b) + 2;
        if (sz == 0 || in + sz > n)
            break;
        memmove(b + out, b + in, sz);
        out += sz;
        in += sz + 2;
    }
    b[out] = '\0';
    return out;
}

struct t_http_resp t_http(int port, const char *method, const char *path, const void *body,
                          size_t len, const struct t_http_opts *opts)
{
    struct t_http_resp r = {.status = -1};
    struct t_http_opts o = opts ? *opts : (struct t_http_opts){0};
    int timeout = o.timeout_ms ? o.timeout_ms : 30000;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return r;
    }
    char head[4096];
    int hn;
    if (o.chunked)
        hn = snprintf(head, sizeof(head),
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                      "Transfer-Encoding: chunked\r\n%s\r\n",
                      method, path, port, o.extra_headers ? o.extra_headers : "");
    else
        hn = snprintf(head, sizeof(head),
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                      "Content-Length: %zu\r\n%s\r\n",
                      method, path, port, len, o.extra_headers ? o.extra_headers : "");
    bool ok = send_all(fd, head, (size_t)hn);
    if (ok && o.chunked) {
        /* Chunks of at most 1000 bytes, then the last chunk. */
        for (size_t off = 0; ok && off < len; off += 1000) {
            size_t n = len - off < 1000 ? len - off : 1000;
            char sz[32];
            int k = snprintf(sz, sizeof(sz), "%zx\r\n", n);
            ok = send_all(fd, sz, (size_t)k) && send_all(fd, (const char *)body + off, n) &&
                 send_all(fd, "\r\n", 2);
        }
        ok = ok && send_all(fd, "0\r\n\r\n", 5);
    } else if (ok && len > 0) {
        ok = send_all(fd, body, len);
    }
    /* Read to EOF (Connection: close), even after a failed send: the
     * server may answer early (413) and close. */
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout) <= 0)
            break;
        if (n + 4096 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t k = recv(fd, buf + n, cap - n - 1, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    buf[n] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (sep == NULL || sscanf(buf, "HTTP/1.%*d %d", &r.status) != 1) {
        r.status = -1;
        free(buf);
        return r;
    }
    /* Skip interim 100 Continue answers. */
    while (r.status == 100) {
        char *next = sep + 4;
        char *s2 = strstr(next, "\r\n\r\n");
        if (s2 == NULL || sscanf(next, "HTTP/1.%*d %d", &r.status) != 1) {
            r.status = -1;
            free(buf);
            return r;
        }
        memmove(buf, next, n - (size_t)(next - buf) + 1);
        n -= (size_t)(next - buf);
        sep = strstr(buf, "\r\n\r\n");
    }
    size_t hlen = (size_t)(sep - buf) + 2;
    r.headers = strndup(buf, hlen);
    r.body_len = n - hlen - 2;
    r.body = malloc(r.body_len + 1);
    memcpy(r.body, sep + 4, r.body_len);
    r.body[r.body_len] = '\0';
    char te[64];
    if (t_http_header(&r, "Transfer-Encoding", te, sizeof(te)) && strcasecmp(te, "chunked") == 0)
        r.body_len = dechunk(r.body, r.body_len);
    free(buf);
    return r;
}

bool t_http_header(const struct t_http_resp *r, const char *name, char *out, size_t outlen)
{
    if (r->headers == NULL)
        return false;
    size_t nl = strlen(name);
    for (const char *p = strstr(r->headers, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        const char *h = p + 2;
        if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
            h += nl + 1;
            while (*h == ' ')
                h++;
            const char *e = strstr(h, "\r\n");
            size_t n = e ? (size_t)(e - h) : strlen(h);
            if (n >= outlen)
                n = outlen - 1;
            memcpy(out, h, n);
            out[n] = '\0';
            return true;
        }
    }
    return false;
}

void t_http_free(struct t_http_resp *r)
{
    free(r->headers);
    free(r->body);
    r->headers = r->body = NULL;
}

void t_http_urlencode(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < outlen; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
}
