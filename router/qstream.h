/* /query answers sent while the statements run (chunked=true): st_qstream_. */
#ifndef ST_QSTREAM_H
#define ST_QSTREAM_H

#include "http.h"
#include "qadmin.h"

/*
 * Answers @q as st_qadmin_run would with @ctx->chunked set, but streamed:
 * a query refused as a whole gets its status and body in @resp at once;
 * otherwise @resp becomes a 200 whose body (st_http_resp.stream) is made
 * by a thread of its own, each chunk sent as soon as it is complete, as
 * InfluxDB flushes every chunk. At most ST_QSTREAM_BUFFER bytes wait for
 * a slow client; past that the statements wait. When the client goes
 * away the statements stop at their next chunk.
 *
 * @ctx and @q are copied. ST_OK (@resp is set), or ST_ENOMEM (nothing in
 * @resp: answer 500).
 */
int st_qstream_start(const struct st_qctx *ctx, const char *q, struct st_http_resp *resp);

#define ST_QSTREAM_BUFFER ((size_t)1024 * 1024)

#endif
