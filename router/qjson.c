/* Go-compatible JSON output for /query answers. */
#include "qjson.h"

#include "err.h"
#include "influxql.h"

static const char HEX[] = "0123456789abcdef";

int st_qjson_str(struct st_buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    int rv = st_buf_putc(out, '"');
    if (len == 0)
        return rv == ST_OK ? st_buf_putc(out, '"') : rv;
    size_t start = 0, i = 0;
    while (rv == ST_OK && i < len) {
        unsigned char b = p[i];
        if (b < 0x80) {
            if (b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&') {
                i++;
                continue;
            }
            rv = st_buf_append(out, s + start, i - start);
            if (rv != ST_OK)
                break;
            char esc[7] = {'\\', 0};
            size_t n = 2;
            switch (b) {
            case '"':
            case '\\':
                esc[1] = (char)b;
                break;
            case '\n':
                esc[1] = 'n';
                break;
            case '\r':
                esc[1] = 'r';
                break;
            case '\t':
                esc[1] = 't';
                break;
            default:
                esc[1] = 'u', esc[2] = '0', esc[3] = '0';
                esc[4] = HEX[b >> 4], esc[5] = HEX[b & 0xF];
                n = 6;
            }
            rv = st_buf_append(out, esc, n);
            start = ++i;
            continue;
        }
        int32_t r;
        size_t size = st_iql_utf8_decode(p + i, len - i, &r);
        if ((r == 0xFFFD && size == 1) || r == 0x2028 || r == 0x2029) {
            rv = st_buf_append(out, s + start, i - start);
            if (rv == ST_OK)
                rv = st_buf_puts(out, r == 0x2028   ? "\\u2028"
                                      : r == 0x2029 ? "\\u2029"
                                                    : "\\ufffd");
            i += size;
            start = i;
            continue;
        }
        i += size;
    }
    if (rv == ST_OK)
        rv = st_buf_append(out, s + start, len - start);
    return rv == ST_OK ? st_buf_putc(out, '"') : rv;
}

static int newline(struct st_buf *out, int depth)
{
    int rv = st_buf_putc(out, '\n');
    for (int i = 0; rv == ST_OK && i < depth; i++)
        rv = st_buf_puts(out, "    ");
    return rv;
}

int st_qjson_indent(struct st_buf *out, const char *json, size_t len)
{
    int depth = 0, rv = ST_OK;
    bool in_str = false, esc = false, need_indent = false;
    for (size_t i = 0; rv == ST_OK && i < len; i++) {
        char c = json[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            rv = st_buf_putc(out, c);
            continue;
        }
        if (need_indent && c != '}' && c != ']') {
            need_indent = false;
            depth++;
            if ((rv = newline(out, depth)) != ST_OK)
                break;
        }
        switch (c) {
        case '"':
            in_str = true;
            rv = st_buf_putc(out, c);
            break;
        case '{':
        case '[':
            need_indent = true; /* {} and [] stay empty */
            rv = st_buf_putc(out, c);
            break;
        case ',':
            rv = st_buf_putc(out, c);
            if (rv == ST_OK)
                rv = newline(out, depth);
            break;
        case ':':
            rv = st_buf_puts(out, ": ");
            break;
        case '}':
        case ']':
            if (need_indent) {
                need_indent = false;
            } else {
                depth--;
                rv = newline(out, depth);
            }
            if (rv == ST_OK)
                rv = st_buf_putc(out, c);
            break;
        default:
            rv = st_buf_putc(out, c);
        }
    }
    return rv;
}
