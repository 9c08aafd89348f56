/* Binary point encoding: parsed line-protocol points as self-delimiting records.
 *
 * The router parses a client's line protocol once and sends each data node
 * its points in this form (WriteBatch.encoding = BINARY, data node WAL
 * record WAL_RECORD_BIN), so the node gets typed values without parsing
 * text again. A batch is a plain concatenation of records; any subset of a
 * batch's records, in any order, is again a batch. The layout is in
 * docs/wire-protocol.md ("Binary point encoding"). */
#ifndef ST_PTBIN_H
#define ST_PTBIN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "lineproto.h"

/* Bytes of a record's length prefix (u32 little-endian, the bytes after it). */
#define ST_PTBIN_HDR 4u

/* Appends the record of @pt (borrowed, with its tags and fields in @b) to
 * @out. @key is the point's canonical series key exactly as
 * st_lp_series_key() built it (borrowed): it goes into the record as is, so
 * the data node files the point under the very key the router hashed.
 * Reserves the record's room once: no allocation while @out has room.
 * ST_OK, ST_ENOMEM, or ST_EINVAL when @key does not match @pt's tags (a bug
 * in the caller); on error @out keeps its length. */
int st_ptbin_append(struct st_buf *out, struct st_slice key, const struct st_lp_batch *b,
                    const struct st_lp_point *pt);

/* Decodes a batch of records and appends its points to @b, as st_lp_parse()
 * would have parsed the same points written as canonical line protocol:
 * measurement, tag keys and values, field keys and string values still
 * escaped, values typed, tags sorted, times in ns. Each point's `line` is
 * its whole record (length prefix included), so concatenating the `line`s
 * of some points makes a valid batch; `line_no` is the record's 1-based
 * position. Borrows @data: the slices point into it.
 *
 * @data comes from outside (RPC, WAL files): everything is checked, and
 * ST_ECORRUPT means some record is malformed (truncated, a length or count
 * past its record, an unknown type, a bad boolean, a time outside the line
 * protocol's range, a series key whose separators are not where its tag
 * lengths say, bytes left over). Then no point of the batch is kept: @b is
 * as before the call, and *@bad_off (if not NULL) is the byte offset of the
 * bad record. Otherwise ST_OK or ST_ENOMEM. */
int st_ptbin_decode(struct st_lp_batch *b, const char *data, size_t len, size_t *bad_off);

/* st_ptbin_decode() of @data in pieces, to bound @b's memory: decodes
 * records from @cur on (its pos a byte offset, its line_no the number of
 * the record there; {0, 1} starts a batch) until @b holds @max_points
 * points or @data ends, and moves @cur past them. On ST_ECORRUPT nothing
 * of this call is kept and @cur is not moved: *@bad_off (if not NULL) is
 * the bad record's offset. */
int st_ptbin_decode_some(struct st_lp_batch *b, const char *data, size_t len,
                         struct st_lp_cursor *cur, size_t max_points, size_t *bad_off);

/* The canonical series key stored in the record of @pt, which must be a
 * point st_ptbin_decode() produced. Borrowed from the decoded data. */
struct st_slice st_ptbin_series_key(const struct st_lp_point *pt);

#endif
