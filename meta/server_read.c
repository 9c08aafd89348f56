/* st_msrv's read path: GetCatalogue, Watch and the catalogue-carrying answers.
 *
 * A catalogue answer is the catalogue's encoding (st_cat_encode() keeps it
 * cached until the next change) wrapped in its envelope. The envelope is a
 * handful of bytes, written by hand in front of the catalogue in the same
 * buffer: decoding the catalogue just to have protobuf-c encode it again
 * would cost a full unpack and pack of a possibly megabyte-sized message on
 * every read and every watch wake-up. The layouts:
 *
 *   GetCatalogue:  MetaResponse{4: GetCatalogueResponse{1: catalogue}}
 *   Watch:         MetaResponse{5: WatchResponse{1: true, 2: catalogue}}
 *   RegisterNode:  MetaResponse{7: RegisterNodeResponse{1: id, 2: catalogue}}
 *
 * An error answer has no catalogue and goes through protobuf-c. The fuzz
 * target fuzz_meta_rpc decodes every answer it produces again. */
#include "server_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"

void msrv_reply_init(struct msrv_reply *r)
{
    strata__meta_response__init(&r->resp);
    strata__error__init(&r->error);
    r->msg[0] = '\0';
    r->leader_addr[0] = '\0';
    r->error.message = r->msg;
}

void msrv_reply_fail(struct msrv_reply *r, Strata__ErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
    r->error.code = code;
    r->resp.error = &r->error;
}

int msrv_reply_pack(const struct msrv_reply *r, struct st_buf *out)
{
    size_t n = strata__meta_response__get_packed_size(&r->resp);
    int rv = st_buf_reserve(out, n);
    if (rv != ST_OK)
        return rv;
    strata__meta_response__pack(&r->resp, (uint8_t *)out->p + out->len);
    out->len += n;
    return ST_OK;
}

/* ---- Hand-written envelopes ------------------------------------------------ */

/* Tag of a length-delimited field; protobuf-c numbers oneof cases by field. */
#define TAG_LEN(field) ((uint8_t)(((field) << 3) | 2))
#define TAG_VARINT(field) ((uint8_t)((field) << 3))
#define MAX_HEAD 40 /* two tags, two lengths and one varint field: at most 34 */

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static size_t varint_len(uint64_t v)
{
    uint8_t tmp[10];
    return put_varint(tmp, v);
}

/* @out holds exactly one encoded catalogue: wraps it in place into
 * MetaResponse{@resp_field: {@pre..., @cat_field: catalogue}}, where @pre
 * (@npre bytes) are the inner message's fields before the catalogue. */
static int wrap_catalogue(struct st_buf *out, unsigned resp_field, const uint8_t *pre, size_t npre,
                          unsigned cat_field)
{
    uint8_t head[MAX_HEAD];
    size_t cat = out->len;
    size_t inner = npre + 1 + varint_len(cat) + cat;
    size_t h = 0;
    head[h++] = TAG_LEN(resp_field);
    h += put_varint(head + h, inner);
    if (npre > 0)
        memcpy(head + h, pre, npre);
    h += npre;
    head[h++] = TAG_LEN(cat_field);
    h += put_varint(head + h, cat);
    int rv = st_buf_reserve(out, h);
    if (rv != ST_OK)
        return rv;
    memmove(out->p + h, out->p, cat);
    memcpy(out->p, head, h);
    out->len += h;
    out->p[out->len] = '\0';
    return ST_OK;
}

/* Encodes the catalogue into @out (empty) under the lock. */
static int encode(struct msrv_state *st, struct st_buf *out)
{
    pthread_mutex_lock(&st->mu);
    int rv = st_cat_encode(st->cat, out);
    pthread_mutex_unlock(&st->mu);
    return rv;
}

static int fail_pack(Strata__ErrorCode code, const char *msg, struct st_buf *out)
{
    struct msrv_reply r;
    msrv_reply_init(&r);
    msrv_reply_fail(&r, code, "%s", msg);
    st_buf_reset(out);
    return msrv_reply_pack(&r, out);
}

int msrv_answer_catalogue(struct msrv_state *st, const Strata__GetCatalogueRequest *q,
                          struct st_buf *out)
{
    pthread_mutex_lock(&st->mu);
    uint64_t index = st_cat_index(st->cat);
    int rv = index >= q->min_index ? st_cat_encode(st->cat, out) : ST_OK;
    pthread_mutex_unlock(&st->mu);
    if (index < q->min_index) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "catalogue index %" PRIu64 " is behind the requested %" PRIu64
                 " on this meta node: retry or ask another",
                 index, q->min_index);
        return fail_pack(STRATA__ERROR_CODE__STALE_CATALOGUE, msg, out);
    }
    if (rv == ST_OK)
        rv = wrap_catalogue(out, STRATA__META_RESPONSE__RESP_GET_CATALOGUE, NULL, 0, 1);
    if (rv != ST_OK)
        return fail_pack(STRATA__ERROR_CODE__OUT_OF_MEMORY, "meta: out of memory", out);
    return ST_OK;
}

int msrv_answer_watch(struct msrv_state *st, const Strata__WatchRequest *q, struct st_buf *out)
{
    uint32_t ms = q->timeout_ms < ST_MREQ_MAX_WATCH_MS ? q->timeout_ms : ST_MREQ_MAX_WATCH_MS;
    struct timespec deadline;
    msrv_deadline(&deadline, ms);
    int rv = ST_OK;
    pthread_mutex_lock(&st->mu);
    bool changed;
    for (;;) {
        changed = q->after_index == 0 || st_cat_index(st->cat) > q->after_index;
        if (changed || st->stopping)
            break;
        if (pthread_cond_timedwait(&st->cond, &st->mu, &deadline) != 0)
            break; /* timed out (the only error timedwait returns here) */
    }
    if (!changed)
        changed = st_cat_index(st->cat) > q->after_index;
    if (changed)
        rv = st_cat_encode(st->cat, out);
    pthread_mutex_unlock(&st->mu);
    if (rv != ST_OK)
        return fail_pack(STRATA__ERROR_CODE__OUT_OF_MEMORY, "meta: out of memory", out);
    if (!changed) {
        struct msrv_reply r;
        Strata__WatchResponse w = STRATA__WATCH_RESPONSE__INIT;
        msrv_reply_init(&r);
        r.resp.resp_case = STRATA__META_RESPONSE__RESP_WATCH;
        r.resp.watch = &w;
        return msrv_reply_pack(&r, out);
    }
    static const uint8_t changed_true[] = {TAG_VARINT(1), 1}; /* WatchResponse.changed */
    if (wrap_catalogue(out, STRATA__META_RESPONSE__RESP_WATCH, changed_true, sizeof(changed_true),
                       2) != ST_OK)
        return fail_pack(STRATA__ERROR_CODE__OUT_OF_MEMORY, "meta: out of memory", out);
    return ST_OK;
}

int msrv_answer_register(struct msrv_state *st, uint64_t node_id, struct st_buf *out)
{
    uint8_t pre[11];
    size_t n = 0;
    pre[n++] = TAG_VARINT(1); /* RegisterNodeResponse.node_id */
    n += put_varint(pre + n, node_id);
    if (encode(st, out) != ST_OK ||
        wrap_catalogue(out, STRATA__META_RESPONSE__RESP_REGISTER_NODE, pre, n, 2) != ST_OK)
        return fail_pack(STRATA__ERROR_CODE__OUT_OF_MEMORY, "meta: out of memory", out);
    return ST_OK;
}
