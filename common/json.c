/* JSON output helpers. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"

int st_json_str(struct st_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rv = st_buf_reserve(out, len + 2);
    if (rv != ST_OK)
        return rv;
    rv = st_buf_putc(out, '"');
    for (size_t i = 0; i < len && rv == ST_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            rv = st_buf_append(out, "\\\"", 2);
            break;
        case '\\':
            rv = st_buf_append(out, "\\\\", 2);
            break;
        case '\n':
            rv = st_buf_append(out, "\\n", 2);
            break;
        case '\r':
            rv = st_buf_append(out, "\\r", 2);
            break;
        case '\t':
            rv = st_buf_append(out, "\\t", 2);
            break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                rv = st_buf_append(out, e, 6);
            } else {
                rv = st_buf_putc(out, (char)c);
            }
        }
    }
    return rv == ST_OK ? st_buf_putc(out, '"') : rv;
}

int st_json_double(struct st_buf *out, double v)
{
    if (!isfinite(v))
        return st_buf_puts(out, "null");
    char tmp[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return st_buf_puts(out, tmp);
}
