/* Decoding and validation of one meta RPC request (MetaRequest) off the wire. */
#ifndef ST_MREQ_H
#define ST_MREQ_H

#include <stddef.h>
#include <stdint.h>

#include "meta.pb-c.h"

/*
 * Everything strata-meta's RPC handler relies on about a request is checked
 * here, before any of it reaches the catalogue or raft:
 * - it decodes, and exactly one request member is set;
 * - every enum value anywhere in it is one the proto names;
 * - every string is bounded: addresses (fields named *_addr) to
 *   ST_MREQ_MAX_ADDR bytes, everything else (names, password hashes) to
 *   ST_MREQ_MAX_NAME bytes;
 * - ApplyRequest carries a Command with exactly one command set;
 * - RegisterNode names an rpc address, Heartbeat a node id, Membership an op
 *   and a member with an id (ADD_VOTER: with its raft and RPC addresses);
 * - a Watch timeout above ST_MREQ_MAX_WATCH_MS is lowered to it (not an
 *   error: the client only waits less).
 */

#define ST_MREQ_MAX_ADDR 256        /* bytes of an address (rpc_addr, http_addr, raft_addr) */
#define ST_MREQ_MAX_NAME 4096       /* bytes of any other string */
#define ST_MREQ_MAX_WATCH_MS 30000u /* longest long poll a server grants */

/* Decodes the packed MetaRequest @p (@len bytes, borrowed) and validates it.
 * On ST_OK, *@out is the request; the caller owns it and frees it with
 * st_mreq_free(). Otherwise *@out is NULL, *@code is the Strata__ErrorCode to
 * answer (PROTOCOL_ERROR: does not decode or no request set;
 * INVALID_ARGUMENT: a value is missing, unknown or too long) and @msg (@msglen
 * bytes, may be NULL) says why; the return value is ST_EPROTO or ST_EINVAL.
 * protobuf-c does not tell out of memory from malformed input: both are
 * PROTOCOL_ERROR. */
int st_mreq_decode(const uint8_t *p, size_t len, Strata__MetaRequest **out, Strata__ErrorCode *code,
                   char *msg, size_t msglen);

/* Frees a request from st_mreq_decode(). NULL is fine. */
void st_mreq_free(Strata__MetaRequest *q);

/* The request kind's name ("GetCatalogue", "Apply", ...) for messages;
 * "unknown" for an unset or unknown case. Static string. */
const char *st_mreq_name(Strata__MetaRequest__ReqCase c);

#endif
