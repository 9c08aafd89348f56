/* Private to router/qout*.c: value formatting as Go formats it for InfluxDB's /query. */
#ifndef ST_QOUT_INT_H
#define ST_QOUT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends @v as Go's encoding/json writes a float64 (strconv 'f' with the
 * shortest digits that read back, 'e' when |v| < 1e-6 or >= 1e21, e-07
 * cleaned to e-7). @v must be finite: Go refuses the others. */
int qo_json_float(struct st_buf *b, double v);

/* Appends @v as strconv.FormatFloat(v, 'f', -1, 64): shortest digits, no
 * exponent; NaN, +Inf, -Inf. */
int qo_csv_float(struct st_buf *b, double v);

/* Appends @v in decimal. */
int qo_i64(struct st_buf *b, int64_t v);
int qo_u64(struct st_buf *b, uint64_t v);

/* Appends @ns (nanoseconds since the Unix epoch) as Go formats a time with
 * "2006-01-02T15:04:05.999999999Z07:00" (time.RFC3339Nano), unquoted, in a
 * zone @off seconds east of UTC ("Z" when 0, else "+05:30"). */
int qo_rfc3339(struct st_buf *b, int64_t ns, int32_t off);

/* Appends @s (@len bytes) as Go's encoding/csv writes a field: quoted when
 * empty is false and it holds , " \r \n, is \. or starts with a Unicode
 * space; quotes doubled inside. */
int qo_csv_field(struct st_buf *b, const char *s, size_t len);

/* Appends @s (@len bytes) with , = and space escaped by a backslash, as
 * InfluxDB's models.Tags.HashKey escapes tag keys and values. */
int qo_tag_escape(struct st_buf *b, const char *s, size_t len);

#endif
