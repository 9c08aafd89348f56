/* JSON as InfluxDB's /query writes it: Go's string escaping and indentation (st_qjson_). */
#ifndef ST_QJSON_H
#define ST_QJSON_H

#include <stddef.h>

#include "buf.h"

/* Appends @s (@len bytes) as a JSON string escaped as Go's encoding/json
 * does: \" \\ \n \r \t, other control bytes and < > & as \u00XX, U+2028
 * and U+2029 as \u2028 \u2029, each invalid UTF-8 byte as \ufffd. */
int st_qjson_str(struct st_buf *out, const char *s, size_t len);

/* Appends compact JSON @json (@len bytes, as built by st_qjson_str and
 * punctuation, no whitespace outside strings) re-indented as Go's
 * json.MarshalIndent(v, "", "    ") prints it: one member or element per
 * line, four spaces per level, "key": value, empty {} and [] kept. */
int st_qjson_indent(struct st_buf *out, const char *json, size_t len);

#endif
