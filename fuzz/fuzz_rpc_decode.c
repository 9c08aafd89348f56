/* libFuzzer target: decoding of the RPC envelopes (DataRequest, MetaRequest
 * and their responses) from arbitrary bytes, and re-encoding what decodes.
 * The request handlers get their own targets with the servers. */
#include <stdint.h>
#include <stdlib.h>

#include "data.pb-c.h"
#include "meta.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
