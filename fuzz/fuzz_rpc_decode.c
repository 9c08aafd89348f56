/* libFuzzer target: decoding of the RPC envelopes (DataRequest, MetaRequest
 * and their responses) from arbitrary bytes, and re-encoding what decodes.
 * The request handlers get their own targets with the servers. */
#include <stdint.h>
#include <stdlib.h>

#include "agg_wire.h"
#include "data.pb-c.h"
#include "err.h"
#include "meta.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a router does with the AggColumns of an answer: check each one as
 * it would (every statistic asked), then read every entry and its strings. */
static void read_columns(const Strata__DataResponse *r)
{
    if (r->resp_case != STRATA__DATA_RESPONSE__RESP_QUERY)
        return;
    volatile size_t sink = 0;
    for (size_t s = 0; s < r->query->n_series; s++)
        for (size_t k = 0; k < r->query->series[s]->n_agg_columns; k++) {
            struct st_agg_wire_reader rd;
            if (st_agg_wire_reader_init(&rd, r->query->series[s]->agg_columns[k],
                                        ST_AGG_SUM | ST_AGG_MINMAX | ST_AGG_FIRSTLAST |
                                            ST_AGG_MOMENTS) != ST_OK)
                continue;
            for (size_t i = 0; i < rd.n; i++) {
                struct st_agg a;
                sink += (size_t)st_agg_wire_get(&rd, i, &a);
                if (a.type != ST_FIELD_STRING)
                    continue;
                for (uint32_t j = 0; j < a.first.s.len; j++)
                    sink += (unsigned char)a.first.s.p[j];
                for (uint32_t j = 0; j < a.last.s.len; j++)
                    sink += (unsigned char)a.last.s.p[j];
            }
        }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ProtobufCMessageDescriptor *const descs[] = {
        &strata__data_request__descriptor,
        &strata__data_response__descriptor,
        &strata__meta_request__descriptor,
        &strata__meta_response__descriptor,
    };
    if (size == 0)
        return 0;
    /* The first byte picks the message type. */
    const ProtobufCMessageDescriptor *d = descs[data[0] % 4];
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, size - 1, data + 1);
    if (m == NULL)
        return 0;
    if (d == &strata__data_response__descriptor)
        read_columns((const Strata__DataResponse *)m);
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL || protobuf_c_message_pack(m, buf) != n)
        abort();
    /* Re-decoding is exercised too, but not required to succeed: protobuf-c
     * keeps unknown fields (even malformed ones, such as field number 0) and
     * writes them back verbatim. */
    ProtobufCMessage *again = protobuf_c_message_unpack(d, NULL, n, buf);
    if (again != NULL)
        protobuf_c_message_free_unpacked(again, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    free(buf);
    return 0;
}
