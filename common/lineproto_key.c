/* Escaping, unescaping and canonical series keys. */
#include <string.h>

#include <xxhash.h>

#include "err.h"
#include "lineproto.h"

/* Whether "\<c>" unescapes to <c> for this kind of name. */
static int unescapes(enum st_lp_kind kind, char c)
{
    switch (kind) {
    case ST_LP_MEASUREMENT:
    case ST_LP_FIELD_KEY:
        return c == ',' || c == ' ' || c == '=' || c == '"';
    case ST_LP_TAG:
        return c == ',' || c == ' ' || c == '=';
    case ST_LP_STRING:
        return c == '"' || c == '\\';
    }
    return 0;
}

/* Whether <c> must be written "\<c>" for this kind of name. */
static int needs_escape(enum st_lp_kind kind, char c)
{
    switch (kind) {
    case ST_LP_MEASUREMENT:
        return c == ',' || c == ' ';
    case ST_LP_TAG:
    case ST_LP_FIELD_KEY:
        return c == ',' || c == ' ' || c == '=';
    case ST_LP_STRING:
        return c == '"' || c == '\\';
    }
    return 0;
}

int st_lp_unescape(struct st_buf *out, struct st_slice s, enum st_lp_kind kind)
{
    if (!memchr(s.p, '\\', s.len))
        return st_buf_append(out, s.p, s.len);
    int rv = st_buf_reserve(out, s.len);
    if (rv != ST_OK)
        return rv;
    char *w = out->p + out->len;
    for (uint32_t i = 0; i < s.len; i++) {
        if (s.p[i] == '\\' && i + 1 < s.len && unescapes(kind, s.p[i + 1]))
            i++;
        *w++ = s.p[i];
    }
    out->len = (size_t)(w - out->p);
    out->p[out->len] = '\0';
    return ST_OK;
}

int st_lp_escape(struct st_buf *out, struct st_slice s, enum st_lp_kind kind)
{
    int rv = st_buf_reserve(out, (size_t)s.len * 2);
    if (rv != ST_OK)
        return rv;
    char *w = out->p + out->len;
    for (uint32_t i = 0; i < s.len; i++) {
        if (needs_escape(kind, s.p[i]))
            *w++ = '\\';
        *w++ = s.p[i];
    }
    out->len = (size_t)(w - out->p);
    out->p[out->len] = '\0';
    return ST_OK;
}

/* Appends the measurement in canonical form: unescaped, then escaped. */
static int put_measurement(struct st_buf *out, struct st_slice m)
{
    if (!memchr(m.p, '\\', m.len))
        return st_buf_append(out, m.p, m.len);
    size_t mark = out->len;
    int rv = st_lp_unescape(out, m, ST_LP_MEASUREMENT);
    if (rv != ST_OK)
        return rv;
    /* Re-escape the unescaped copy in place of itself: unescaping only
     * shortens, so copy it aside first within the same buffer's tail. */
    size_t ulen = out->len - mark;
    rv = st_buf_reserve(out, ulen * 3);
    if (rv != ST_OK)
        return rv;
    char *tmp = out->p + mark + ulen * 2; /* scratch past the final size */
    memmove(tmp, out->p + mark, ulen);
    out->len = mark;
    struct st_slice u = {tmp, (uint32_t)ulen};
    char *w = out->p + mark;
    for (uint32_t i = 0; i < u.len; i++) {
        if (needs_escape(ST_LP_MEASUREMENT, u.p[i]))
            *w++ = '\\';
        *w++ = u.p[i];
    }
    out->len = (size_t)(w - out->p);
    out->p[out->len] = '\0';
    return ST_OK;
}

int st_lp_series_key(struct st_buf *out, const struct st_lp_batch *b, const struct st_lp_point *pt)
{
    int rv = put_measurement(out, pt->measurement);
    /* Tags were sorted at parse time. Their written form is canonical but
     * for one case: ',' and ' ' must be escaped and any other backslash is a
     * literal byte, yet a value may start with an unescaped '=', which the
     * canonical form escapes (as InfluxDB's SHOW SERIES shows it). */
    for (uint32_t k = 0; rv == ST_OK && k < pt->ntags; k++) {
        const struct st_lp_tag *t = &b->tags[pt->tag0 + k];
        size_t need = (size_t)t->key.len + t->value.len + 3;
        rv = st_buf_reserve(out, need);
        if (rv != ST_OK)
            break;
        char *w = out->p + out->len;
        *w++ = ',';
        memcpy(w, t->key.p, t->key.len);
        w += t->key.len;
        *w++ = '=';
        if (t->value.len && t->value.p[0] == '=')
            *w++ = '\\';
        memcpy(w, t->value.p, t->value.len);
        w += t->value.len;
        out->len = (size_t)(w - out->p);
        out->p[out->len] = '\0';
    }
    return rv;
}

uint64_t st_series_hash(const void *key, size_t len)
{
    return (uint64_t)XXH3_64bits(key, len);
}
