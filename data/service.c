/* The data RPC service.
 *
 * Each call decodes one DataRequest, dispatches on its oneof, and encodes one
 * DataResponse whose error says what went wrong in words a router can pass
 * on. Calls not implemented yet answer UNIMPLEMENTED. Writes create their
 * shard on first use, so a data node can be driven without a meta service
 * (tests, and the crash test in chaos/). */
#include "service.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.pb-c.h"
#include "delete.h"
#include "digest.h"
#include "err.h"
#include "schema.h"

/* Response under construction; strings it points to live until packed. */
struct reply {
    Strata__DataResponse resp;
    Strata__Error error;
    char msg[2048];
};

static void reply_init(struct reply *r)
{
    strata__data_response__init(&r->resp);
    strata__error__init(&r->error);
    r->msg[0] = '\0';
    r->error.message = r->msg;
}

static void fail(struct reply *r, Strata__ErrorCode code, const char *fmt, const char *detail)
{
    r->error.code = code;
    snprintf(r->msg, sizeof(r->msg), fmt, detail);
    r->resp.error = &r->error;
}

static int pack(struct reply *r, struct st_buf *out)
{
    size_t n = strata__data_response__get_packed_size(&r->resp);
    int rv = st_buf_reserve(out, n);
    if (rv != ST_OK)
        return rv;
    strata__data_response__pack(&r->resp, (uint8_t *)out->p + out->len);
    out->len += n;
    return ST_OK;
}

static Strata__ErrorCode code_of(int rv)
{
    switch (rv) {
    case ST_ENOTFOUND:
        return STRATA__ERROR_CODE__NOT_FOUND;
    case ST_ENOSPC:
        return STRATA__ERROR_CODE__DISK_FULL;
    case ST_ECORRUPT:
        return STRATA__ERROR_CODE__CORRUPT;
    case ST_EINVAL:
        return STRATA__ERROR_CODE__INVALID_ARGUMENT;
    case ST_ETIMEDOUT:
        return STRATA__ERROR_CODE__TIMEOUT;
    default:
        return STRATA__ERROR_CODE__INTERNAL;
    }
}

static int do_write(st_store *st, const Strata__WriteBatch *wb, struct reply *r, struct st_buf *out)
{
    Strata__WriteBatchResponse wr = STRATA__WRITE_BATCH_RESPONSE__INIT;
    struct st_shard_write_result res = {0};
    st_buf_init(&res.errors);
    char err[512] = "";
    st_shard *s;
    int rv;
    bool bin = wb->encoding == STRATA__POINT_ENCODING__BINARY;
    if (!bin && wb->encoding != STRATA__POINT_ENCODING__LINE_PROTOCOL) {
        snprintf(err, sizeof(err), "write failed: unknown point encoding %d", (int)wb->encoding);
        fail(r, STRATA__ERROR_CODE__INVALID_ARGUMENT, "%s", err);
        goto out;
    }
    rv = st_store_acquire(st, wb->shard_id, true, &s, err, sizeof(err));
    if (rv != ST_OK) {
        fail(r, code_of(rv), "%s", err[0] ? err : st_strerror(rv));
        goto out;
    }
    /* Routers send binary records; line protocol stays accepted (hinted
     * handoff queues written before the upgrade, tools, tests). */
    const char *pts = (const char *)wb->points.data;
    rv = bin ? st_shard_write_bin(s, pts, wb->points.len, &res)
             : st_shard_write(s, pts, wb->points.len, &res);
    st_store_release(st, s);
    if (bin && rv == ST_ECORRUPT) {
        fail(r, STRATA__ERROR_CODE__CORRUPT, "%s",
             "write failed: malformed binary point batch, nothing written");
        goto out;
    }
    if (rv != ST_OK) {
        fail(r, code_of(rv), "write failed: %s", st_strerror(rv));
        goto out;
    }
    wr.points_written = res.written;
    wr.points_dropped = res.dropped;
    /* One message per line of res.errors (already distinct), at most 100. */
    char *lines[100];
    size_t nl = 0;
    for (char *p = res.errors.p; p && *p && nl < 100;) {
        lines[nl++] = p;
        char *e = strchr(p, '\n');
        if (e == NULL)
            break;
        *e = '\0';
        p = e + 1;
    }
    wr.point_errors = lines;
    wr.n_point_errors = nl;
    if (res.dropped) {
        r->error.code = STRATA__ERROR_CODE__PARTIAL_WRITE;
        snprintf(r->msg, sizeof(r->msg), "partial write: %s dropped=%" PRIu64,
                 nl ? lines[0] : "points dropped", res.dropped);
        r->resp.error = &r->error;
    }
    r->resp.resp_case = STRATA__DATA_RESPONSE__RESP_WRITE_BATCH;
    r->resp.write_batch = &wr;
out:
    rv = pack(r, out);
    st_buf_fini(&res.errors);
    return rv;
}

int st_data_service_handle(void *arg, const uint8_t *req, size_t len, struct st_buf *resp)
{
    struct st_data_service *svc = arg;
    st_store *st = svc->store;
    struct reply r;
    reply_init(&r);
    Strata__DataRequest *q = strata__data_request__unpack(NULL, len, req);
    if (q == NULL) {
        fail(&r, STRATA__ERROR_CODE__PROTOCOL_ERROR, "%s", "cannot decode DataRequest");
        return pack(&r, resp);
    }
    int rv;
    char err[512] = "";
    switch (q->req_case) {
    case STRATA__DATA_REQUEST__REQ_WRITE_BATCH:
        rv = do_write(st, q->write_batch, &r, resp);
        break;
    case STRATA__DATA_REQUEST__REQ_QUERY:
        rv = st_data_query(st, svc->readers, q->query, resp);
        break;
    case STRATA__DATA_REQUEST__REQ_SCHEMA_QUERY:
        rv = st_data_schema(st, q->schema_query, resp);
        break;
    case STRATA__DATA_REQUEST__REQ_SHARD_COPY:
        rv = st_copy_handle(svc->copy, st, q->shard_copy, resp);
        break;
    case STRATA__DATA_REQUEST__REQ_DELETE_SERIES:
        rv = st_data_delete_series(st, q->delete_series, resp);
        break;
    case STRATA__DATA_REQUEST__REQ_DELETE_RANGE:
        rv = st_data_delete_range(st, q->delete_range, resp);
        break;
    case STRATA__DATA_REQUEST__REQ_SHARD_DIGEST:
        rv = st_data_digest(st, q->shard_digest, resp);
        break;
    case STRATA__DATA_REQUEST__REQ_CREATE_SHARD: {
        Strata__CreateShardResponse cr = STRATA__CREATE_SHARD_RESPONSE__INIT;
        st_shard *s;
        rv = st_store_acquire(st, q->create_shard->shard_id, true, &s, err, sizeof(err));
        if (rv == ST_OK)
            st_store_release(st, s);
        else
            fail(&r, code_of(rv), "%s", err[0] ? err : st_strerror(rv));
        r.resp.resp_case = STRATA__DATA_RESPONSE__RESP_CREATE_SHARD;
        r.resp.create_shard = &cr;
        rv = pack(&r, resp);
        break;
    }
    case STRATA__DATA_REQUEST__REQ_DROP_SHARD: {
        Strata__DropShardResponse dr = STRATA__DROP_SHARD_RESPONSE__INIT;
        rv = st_store_drop(st, q->drop_shard->shard_id);
        if (rv != ST_OK && rv != ST_ENOTFOUND)
            fail(&r, code_of(rv), "drop shard: %s", st_strerror(rv));
        dr.existed = rv == ST_OK;
        r.resp.resp_case = STRATA__DATA_RESPONSE__RESP_DROP_SHARD;
        r.resp.drop_shard = &dr;
        rv = pack(&r, resp);
        break;
    }
    case STRATA__DATA_REQUEST__REQ_PING: {
        Strata__PingResponse pr = STRATA__PING_RESPONSE__INIT;
        r.resp.resp_case = STRATA__DATA_RESPONSE__RESP_PING;
        r.resp.ping = &pr;
        rv = pack(&r, resp);
        break;
    }
    default:
        fail(&r, STRATA__ERROR_CODE__UNIMPLEMENTED, "%s", "call not implemented by this data node");
        rv = pack(&r, resp);
        break;
    }
    strata__data_request__free_unpacked(q, NULL);
    return rv;
}
