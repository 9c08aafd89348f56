/* Request bodies: gzip inflating with an output limit, form-urlencoded parameters.
 * Pure functions over memory, tested through the server and on their own. */
#define ZLIB_CONST
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "http_int.h"

#define OUT_STEP (64 * 1024) /* output grows by at least this much */
#define IN_STEP (1u << 30)   /* zlib counts input in uInt */

int st_http_gunzip(const char *in, size_t len, size_t max, struct st_buf *out, char *err,
                   size_t errlen)
{
    if (len < 10) /* Go reads the 10-byte header before looking at it */
        return st_errf(err, errlen, ST_ECORRUPT, "unexpected EOF");
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return st_errf(err, errlen, ST_ENOMEM, "gzip: out of memory"); /* UNTESTED */
    size_t base = out->len;                                            /* output counts from here */
    size_t off = 0; /* input handed to zlib so far */
    int rv;
    for (;;) {
        if (z.avail_in == 0 && off < len) {
            size_t n = len - off < IN_STEP ? len - off : IN_STEP;
            z.next_in = (const Bytef *)in + off;
            z.avail_in = (uInt)n;
            off += n;
        }
        if (out->cap - out->len <= 1 && (rv = st_buf_reserve(out, OUT_STEP)) != ST_OK) {
            st_errf(err, errlen, rv, "gzip: out of memory"); /* UNTESTED */
            break;
        }
        /* Room for one byte past the limit tells "exactly max" from "more". */
        size_t room = out->cap - out->len - 1;
        size_t allow = max - (out->len - base);
        if (allow < SIZE_MAX)
            allow++;
        if (room > allow)
            room = allow;
        if (room > UINT_MAX)
            room = UINT_MAX;
        z.next_out = (Bytef *)out->p + out->len;
        z.avail_out = (uInt)room;
        int zr = inflate(&z, Z_NO_FLUSH);
        out->len += room - z.avail_out;
        out->p[out->len] = '\0';
        if (out->len - base > max) {
            rv = ST_ERANGE;
            break;
        }
        if (zr == Z_STREAM_END) {
            if (z.avail_in == 0 && off == len) {
                rv = ST_OK;
                break;
            }
            inflateReset(&z); /* the next member of a multi-member file */
            continue;
        }
        if (zr == Z_OK)
            continue;
        if (zr == Z_BUF_ERROR) {
            /* There is always output room, so zlib wants input that is not there. */
            rv = st_errf(err, errlen, ST_ECORRUPT, "unexpected EOF"); /* Go's text */
            break;
        }
        if (zr == Z_MEM_ERROR) {
            rv = st_errf(err, errlen, ST_ENOMEM, "gzip: out of memory"); /* UNTESTED */
            break;
        }
        /* The texts of Go's compress/gzip, which InfluxDB answers with. */
        const char *m = z.msg ? z.msg : "";
        rv = st_errf(err, errlen, ST_ECORRUPT, "%s",
                     strstr(m, "header") ? "gzip: invalid header"
                     : strstr(m, "data check") || strstr(m, "length check")
                         ? "gzip: invalid checksum"
                         : "flate: corrupt input");
        break;
    }
    inflateEnd(&z);
    return rv;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes @s in place ('+' is a space, %XX a byte). False on a bad escape. */
static bool unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%') {
            int hi = hexval(r[1]);
            int lo = hi < 0 ? -1 : hexval(r[2]);
            if (lo < 0)
                return false;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return true;
}

int st_http_form_parse(struct st_http_form *f, const char *body, size_t len)
{
    size_t max_pairs = 1;
    for (size_t i = 0; i < len; i++)
        max_pairs += body[i] == '&';
    f->mem = malloc(len + 1);
    f->kv = calloc(max_pairs, sizeof(*f->kv));
    f->n = 0;
    if (f->mem == NULL || f->kv == NULL) {
        st_http_form_fini(f);
        return ST_ENOMEM;
    }
    if (len)
        memcpy(f->mem, body, len);
    f->mem[len] = '\0';
    char *p = f->mem, *end = f->mem + len;
    for (;;) {
        char *amp = memchr(p, '&', (size_t)(end - p));
        char *seg_end = amp ? amp : end;
        *seg_end = '\0';
        if (seg_end > p) {
            char *eq = memchr(p, '=', (size_t)(seg_end - p));
            char *value = seg_end; /* "" when there is no '=' */
            if (eq) {
                *eq = '\0';
                value = eq + 1;
            }
            if (unescape(p) && unescape(value)) {
                f->kv[f->n].name = p;
                f->kv[f->n].value = value;
                f->n++;
            }
        }
        if (amp == NULL)
            break;
        p = amp + 1;
    }
    return ST_OK;
}

const char *st_http_form_get(const struct st_http_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->kv[i].name, name) == 0)
            return f->kv[i].value;
    return NULL;
}

void st_http_form_fini(struct st_http_form *f)
{
    free(f->mem);
    free(f->kv);
    f->mem = NULL;
    f->kv = NULL;
    f->n = 0;
}
