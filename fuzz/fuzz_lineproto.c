/* libFuzzer target: the line-protocol parser and series keys on any bytes.
 * Checks invariants besides "no crash": every point has fields, every slice
 * lies inside the input, and every error names a line that exists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lineproto.h"

static int inside(struct st_slice s, const uint8_t *data, size_t size)
{
    return s.len == 0 ||
           ((const uint8_t *)s.p >= data && (const uint8_t *)s.p + s.len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct st_lp_batch b;
    static struct st_buf key;
    /* Exact-size copy so ASan sees any read past the end. */
    char *in = malloc(size ? size : 1);
    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    st_lp_batch_reset(&b);
    enum st_precision prec = (enum st_precision)(size % 6);
    if (st_lp_parse(&b, in, size, prec, 1700000000000000000LL) != ST_OK)
        abort();
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += in[i] == '\n';
    for (size_t p = 0; p < b.npoints; p++) {
        const struct st_lp_point *pt = &b.points[p];
        if (pt->nfields == 0 || pt->measurement.len == 0 || pt->line_no > lines)
            abort();
        if (!inside(pt->measurement, (uint8_t *)in, size))
            abort();
        for (uint32_t k = 0; k < pt->ntags; k++)
            if (!inside(b.tags[pt->tag0 + k].key, (uint8_t *)in, size) ||
                !inside(b.tags[pt->tag0 + k].value, (uint8_t *)in, size))
                abort();
        for (uint32_t k = 0; k < pt->nfields; k++) {
            const struct st_lp_field *f = &b.fields[pt->field0 + k];
            if (!inside(f->key, (uint8_t *)in, size) ||
                (f->type == ST_FIELD_STRING && !inside(f->v.s, (uint8_t *)in, size)))
                abort();
        }
        st_buf_reset(&key);
        if (st_lp_series_key(&key, &b, pt) != ST_OK)
            abort();
        (void)st_series_hash(key.p, key.len);
    }
    for (size_t e = 0; e < b.nerrors; e++)
        if (b.errors[e].line_no == 0 || b.errors[e].line_no > lines)
            abort();
    free(in);
    return 0;
}
