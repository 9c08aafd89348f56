/* libFuzzer target: the number scanner's fast path must agree with the
 * literal translation of InfluxDB's scanNumber on every input it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 256)
        return 0;
    /* As in a line: the value follows "=" and starts like a number. */
    char c = (char)data[0];
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'N' || c == 'n'))
        return 0;
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    buf[0] = '=';
    memcpy(buf + 1, data, size);
    size++;
    struct st_lp_field a, b;
    char ra[512], rb[512];
    size_t ea = 0, eb = 0;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    const char *xa = st_lp_scan_number(buf, size, 1, &ea, &a, ra, sizeof(ra));
    const char *xb = st_lp_scan_number_full(buf, size, 1, &eb, &b, rb, sizeof(rb));
    if ((xa == NULL) != (xb == NULL))
        abort();
    if (xa == NULL) {
        if (ea != eb || a.type != b.type)
            abort();
        if (a.type == ST_FIELD_FLOAT && memcmp(&a.v.f, &b.v.f, sizeof(double)) != 0)
            abort();
        if (a.type == ST_FIELD_INTEGER && a.v.i != b.v.i)
            abort();
        if (a.type == ST_FIELD_UNSIGNED && a.v.u != b.v.u)
            abort();
    } else if (strcmp(xa, xb) != 0) {
        abort();
    }
    free(buf);
    return 0;
}
