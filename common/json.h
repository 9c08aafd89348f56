/* JSON output helpers: strings with escaping, numbers that round-trip. */
#ifndef ST_JSON_H
#define ST_JSON_H

#include <stddef.h>

#include "buf.h"

/* Appends @s (@len bytes, copied) as a quoted JSON string. Control bytes,
 * quotes and backslashes are escaped; other bytes are copied, so UTF-8 stays
 * UTF-8. ST_OK or ST_ENOMEM. */
int st_json_str(struct st_buf *out, const char *s, size_t len);

/* Appends the shortest decimal that reads back as the same double. A
 * non-finite value (not valid JSON) is written as null. */
int st_json_double(struct st_buf *out, double v);

#endif
