/* libFuzzer: the router's own parsing of HTTP request bodies: form-urlencoded
 * parameters (POST /query) and gzip inflation with a size limit. The
 * request line and headers are libmicrohttpd's. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct st_http_form f = {0};
    if (st_http_form_parse(&f, (const char *)data, size) == ST_OK) {
        const char *q = st_http_form_get(&f, "q");
        if (q != NULL && strlen(q) > size)
            __builtin_trap();
        st_http_form_get(&f, "db");
    }
    st_http_form_fini(&f);

    struct st_buf out;
    st_buf_init(&out);
    char err[256];
    int rv = st_http_gunzip((const char *)data, size, 1u << 20, &out, err, sizeof(err));
    if (rv == ST_OK && out.len > (1u << 20))
        __builtin_trap();
    st_buf_fini(&out);
    return 0;
}
