/* libFuzzer target: the binary point decoder (common/ptbin) on any bytes, as
 * data nodes get them from RPC and WAL files. Checks invariants besides "no
 * crash": a refused batch leaves the batch as it was, every slice lies
 * inside the input, every point has a measurement and fields, its series key
 * rebuilds, and a point encoded again decodes to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lineproto.h"
#include "ptbin.h"

static int inside(struct st_slice s, const char *in, size_t size)
{
    return s.len == 0 || (s.p >= in && s.p + s.len <= in + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct st_lp_batch b, again;
    static struct st_buf key, enc;
    /* Exact-size copy so ASan sees any read past the end. */
    char *in = malloc(size ? size : 1);
    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    st_lp_batch_reset(&b);
    size_t bad = SIZE_MAX;
    int rv = st_ptbin_decode(&b, in, size, &bad);
    if (rv == ST_ECORRUPT) {
        if (b.npoints || b.ntags || b.nfields || bad >= size)
            abort();
        goto out;
    }
    if (rv != ST_OK)
        abort();
    size_t off = 0;
    for (size_t p = 0; p < b.npoints; p++) {
        const struct st_lp_point *pt = &b.points[p];
        if (pt->nfields == 0 || pt->measurement.len == 0 || pt->line.p != in + off ||
            !inside(pt->line, in, size) || !inside(pt->measurement, in, size))
            abort();
        off += pt->line.len;
        struct st_slice k = st_ptbin_series_key(pt);
        if (!inside(k, in, size) || k.p != pt->measurement.p)
            abort();
        for (uint32_t t = 0; t < pt->ntags; t++)
            if (!inside(b.tags[pt->tag0 + t].key, k.p, k.len) ||
                !inside(b.tags[pt->tag0 + t].value, k.p, k.len))
                abort();
        for (uint32_t t = 0; t < pt->nfields; t++) {
            const struct st_lp_field *f = &b.fields[pt->field0 + t];
            if (!inside(f->key, in, size) || f->key.len == 0 ||
                (f->type == ST_FIELD_STRING && !inside(f->v.s, in, size)))
                abort();
        }
        st_buf_reset(&key);
        if (st_lp_series_key(&key, &b, pt) != ST_OK)
            abort();
        /* Encoded again from its own key, the point decodes to the same
         * values (the bytes may differ: varints need not be minimal). A tag
         * value starting with '=' is one the encoder would have escaped:
         * the key cannot be this point's, skip it. */
        int eq_lead = 0;
        for (uint32_t t = 0; t < pt->ntags; t++)
            eq_lead |= b.tags[pt->tag0 + t].value.p[0] == '=';
        st_buf_reset(&enc);
        if (eq_lead)
            continue;
        if (st_ptbin_append(&enc, k, &b, pt) != ST_OK)
            abort();
        st_lp_batch_reset(&again);
        if (st_ptbin_decode(&again, enc.p, enc.len, NULL) != ST_OK || again.npoints != 1 ||
            again.points[0].nfields != pt->nfields || again.points[0].time != pt->time)
            abort();
        for (uint32_t t = 0; t < pt->nfields; t++) {
            const struct st_lp_field *x = &b.fields[pt->field0 + t], *y = &again.fields[t];
            if (x->type != y->type || x->key.len != y->key.len ||
                memcmp(x->key.p, y->key.p, x->key.len) != 0)
                abort();
            int same = x->type == ST_FIELD_STRING
                           ? x->v.s.len == y->v.s.len && memcmp(x->v.s.p, y->v.s.p, x->v.s.len) == 0
                       : x->type == ST_FIELD_BOOLEAN ? x->v.b == y->v.b
                       : x->type == ST_FIELD_FLOAT   ? memcmp(&x->v.f, &y->v.f, 8) == 0
                                                     : x->v.u == y->v.u;
            if (!same)
                abort();
        }
    }
    if (off != size)
        abort();
out:
    free(in);
    return 0;
}
