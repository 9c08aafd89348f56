/* Private to the line-protocol module: number scanning and conversion. */
#ifndef ST_LINEPROTO_INT_H
#define ST_LINEPROTO_INT_H

#include "lineproto.h"

/* Scans a numeric field value starting at @buf[@i] exactly as InfluxDB 1.x
 * does (scanNumber), converts it, and stores the type and value in @f.
 * On success sets *@end to the index of the delimiter after the value and
 * returns NULL; on error returns the reason, or writes it into @reason (size
 * @cap) and returns @reason for reasons that quote the input. */
const char *st_lp_scan_number(const char *buf, size_t n, size_t i, size_t *end,
                              struct st_lp_field *f, char *reason, size_t cap);

/* The same without the fast path for common shapes: the literal translation
 * of InfluxDB's scanNumber. Exposed so that a fuzz target can check that
 * both give the same answer. */
const char *st_lp_scan_number_full(const char *buf, size_t n, size_t i, size_t *end,
                                   struct st_lp_field *f, char *reason, size_t cap);

#endif
