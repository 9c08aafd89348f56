/* st_agg <-> Strata__FieldPartial and Strata__AggColumn (agg_wire.h). */
#include "agg_wire.h"

#include <stdint.h>
#include <string.h>

#include "err.h"

Strata__FieldType st_agg_wire_type(enum st_field_type t)
{
    switch (t) {
    case ST_FIELD_FLOAT:
        return STRATA__FIELD_TYPE__FLOAT;
    case ST_FIELD_INTEGER:
        return STRATA__FIELD_TYPE__INTEGER;
    case ST_FIELD_UNSIGNED:
        return STRATA__FIELD_TYPE__UNSIGNED;
    case ST_FIELD_STRING:
        return STRATA__FIELD_TYPE__STRING;
    case ST_FIELD_BOOLEAN:
        return STRATA__FIELD_TYPE__BOOLEAN;
    }
    return STRATA__FIELD_TYPE__FIELD_TYPE_UNSPECIFIED;
}

/* A Value message of @v of @type (a string is copied). */
static Strata__Value *value(enum st_field_type type, const union st_agg_value *v,
                            st_agg_wire_alloc alloc, void *ctx)
{
    Strata__Value *m = alloc(ctx, sizeof(*m));
    if (m == NULL)
        return NULL;
    strata__value__init(m);
    switch (type) {
    case ST_FIELD_FLOAT:
        m->v_case = STRATA__VALUE__V_FLOAT_VALUE;
        m->float_value = v->f;
        break;
    case ST_FIELD_INTEGER:
        m->v_case = STRATA__VALUE__V_INT_VALUE;
        m->int_value = v->i;
        break;
    case ST_FIELD_UNSIGNED:
        m->v_case = STRATA__VALUE__V_UINT_VALUE;
        m->uint_value = v->u;
        break;
    case ST_FIELD_BOOLEAN:
        m->v_case = STRATA__VALUE__V_BOOL_VALUE;
        m->bool_value = v->b;
        break;
    case ST_FIELD_STRING: {
        char *s = alloc(ctx, (size_t)v->s.len + 1);
        if (s == NULL)
            return NULL;
        if (v->s.len)
            memcpy(s, v->s.p, v->s.len);
        s[v->s.len] = '\0';
        m->v_case = STRATA__VALUE__V_STRING_VALUE;
        m->string_value = s;
        break;
    }
    }
    return m;
}

Strata__FieldPartial *st_agg_wire_partial(const struct st_agg *a, unsigned want, const char *field,
                                          st_agg_wire_alloc alloc, void *ctx)
{
    Strata__FieldPartial *fp = alloc(ctx, sizeof(*fp));
    if (fp == NULL)
        return NULL;
    strata__field_partial__init(fp);
    fp->field = (char *)field;
    fp->type = st_agg_wire_type(a->type);
    fp->count = a->count;
    if (want & ST_AGG_SUM) {
        fp->sum = a->sum;
        fp->int_sum = a->isum;
        fp->uint_sum = a->usum;
    }
    if ((want & ST_AGG_MINMAX) && a->has_minmax) {
        if ((fp->min = value(a->type, &a->min, alloc, ctx)) == NULL ||
            (fp->max = value(a->type, &a->max, alloc, ctx)) == NULL)
            return NULL;
        fp->min_time_ns = a->min_t;
        fp->max_time_ns = a->max_t;
    }
    if (want & ST_AGG_FIRSTLAST) {
        if ((fp->first = value(a->type, &a->first, alloc, ctx)) == NULL ||
            (fp->last = value(a->type, &a->last, alloc, ctx)) == NULL)
            return NULL;
        fp->first_time_ns = a->first_t;
        fp->last_time_ns = a->last_t;
    }
    if (want & ST_AGG_MOMENTS) {
        fp->mean = a->mean;
        fp->m2 = a->m2;
    }
    return fp;
}

/* ---- Columns ----------------------------------------------------------- */

/* The statistics a partial of @type tracks when @want is asked. */
static unsigned type_want(enum st_field_type type, unsigned want)
{
    struct st_agg a;
    st_agg_init(&a, type, want); /* allocates nothing */
    return a.want;
}

/* An array of b->cap elements of @size bytes. */
static void *array(struct st_agg_wire_col *b, size_t size)
{
    return b->alloc(b->ctx, size * (b->cap ? b->cap : 1));
}

/* A selector's values with room for b->cap entries of @type; strings get
 * *@strcap bytes to start with. */
static Strata__AggValues *values_new(struct st_agg_wire_col *b, enum st_field_type type,
                                     size_t *strcap)
{
    Strata__AggValues *v = b->alloc(b->ctx, sizeof(*v));
    if (v == NULL)
        return NULL;
    strata__agg_values__init(v);
    void *vals = NULL;
    switch (type) {
    case ST_FIELD_FLOAT:
        vals = v->float_values = array(b, sizeof(*v->float_values));
        break;
    case ST_FIELD_INTEGER:
        vals = v->int_values = array(b, sizeof(*v->int_values));
        break;
    case ST_FIELD_UNSIGNED:
        vals = v->uint_values = array(b, sizeof(*v->uint_values));
        break;
    case ST_FIELD_BOOLEAN:
        vals = v->bool_values = array(b, sizeof(*v->bool_values));
        break;
    case ST_FIELD_STRING:
        *strcap = 16 * b->cap + 64;
        if ((v->string_bytes.data = b->alloc(b->ctx, *strcap)) != NULL)
            vals = v->string_ends = array(b, sizeof(*v->string_ends));
        break;
    }
    if (vals == NULL || (v->times = array(b, sizeof(*v->times))) == NULL)
        return NULL;
    return v;
}

int st_agg_wire_col_init(struct st_agg_wire_col *b, const char *field, enum st_field_type type,
                         unsigned want, size_t n, st_agg_wire_alloc alloc, void *ctx)
{
    memset(b, 0, sizeof(*b));
    b->want = type_want(type, want);
    b->cap = n;
    b->alloc = alloc;
    b->ctx = ctx;
    Strata__AggColumn *c = alloc(ctx, sizeof(*c));
    if (c == NULL)
        return ST_ENOMEM;
    strata__agg_column__init(c);
    c->field = (char *)field;
    c->type = st_agg_wire_type(type);
    b->col = c;
    if ((c->starts = array(b, sizeof(*c->starts))) == NULL ||
        (c->count = array(b, sizeof(*c->count))) == NULL)
        return ST_ENOMEM;
    if (b->want & ST_AGG_SUM) {
        if ((c->sum = array(b, sizeof(*c->sum))) == NULL)
            return ST_ENOMEM;
        if (type == ST_FIELD_INTEGER && (c->int_sum = array(b, sizeof(*c->int_sum))) == NULL)
            return ST_ENOMEM;
        if (type == ST_FIELD_UNSIGNED && (c->uint_sum = array(b, sizeof(*c->uint_sum))) == NULL)
            return ST_ENOMEM;
    }
    size_t unused;
    if ((b->want & ST_AGG_MINMAX) && ((c->min = values_new(b, type, &unused)) == NULL ||
                                      (c->max = values_new(b, type, &unused)) == NULL))
        return ST_ENOMEM;
    if ((b->want & ST_AGG_FIRSTLAST) && ((c->first = values_new(b, type, &b->first_cap)) == NULL ||
                                         (c->last = values_new(b, type, &b->last_cap)) == NULL))
        return ST_ENOMEM;
    if ((b->want & ST_AGG_MOMENTS) && ((c->mean = array(b, sizeof(*c->mean))) == NULL ||
                                       (c->m2 = array(b, sizeof(*c->m2))) == NULL))
        return ST_ENOMEM;
    return ST_OK;
}

/* Appends (@t, @v) to @vs; a string is copied into its bytes, which grow
 * by doubling (*@strcap). */
static int values_put(struct st_agg_wire_col *b, Strata__AggValues *vs, size_t *strcap, int64_t t,
                      const union st_agg_value *v)
{
    enum st_field_type type = (enum st_field_type)b->col->type;
    switch (type) {
    case ST_FIELD_FLOAT:
        vs->float_values[vs->n_float_values++] = v->f;
        break;
    case ST_FIELD_INTEGER:
        vs->int_values[vs->n_int_values++] = v->i;
        break;
    case ST_FIELD_UNSIGNED:
        vs->uint_values[vs->n_uint_values++] = v->u;
        break;
    case ST_FIELD_BOOLEAN:
        vs->bool_values[vs->n_bool_values++] = v->b;
        break;
    case ST_FIELD_STRING: {
        size_t len = vs->string_bytes.len, need = len + v->s.len;
        if (need > UINT32_MAX)
            return ST_EINVAL;
        if (need > *strcap) {
            size_t cap = *strcap * 2 > need ? *strcap * 2 : need;
            uint8_t *p = b->alloc(b->ctx, cap);
            if (p == NULL)
                return ST_ENOMEM;
            if (len)
                memcpy(p, vs->string_bytes.data, len);
            vs->string_bytes.data = p; /* the old bytes stay in the arena */
            *strcap = cap;
        }
        if (v->s.len)
            memcpy(vs->string_bytes.data + len, v->s.p, v->s.len);
        vs->string_bytes.len = need;
        vs->string_ends[vs->n_string_ends++] = (uint32_t)need;
        break;
    }
    }
    vs->times[vs->n_times++] = t;
    return ST_OK;
}

int st_agg_wire_col_add(struct st_agg_wire_col *b, int64_t start, const struct st_agg *a)
{
    Strata__AggColumn *c = b->col;
    if (c->n_starts == b->cap || st_agg_wire_type(a->type) != c->type || (b->want & ~a->want) != 0)
        return ST_EINVAL;
    size_t i = c->n_starts;
    int rv;
    if (b->want & ST_AGG_MINMAX) {
        static const union st_agg_value zero;
        bool has = a->has_minmax;
        if (!has) {
            size_t bytes = (b->cap + 7) / 8;
            if (c->minmax_absent.data == NULL) {
                if ((c->minmax_absent.data = b->alloc(b->ctx, bytes)) == NULL)
                    return ST_ENOMEM;
                memset(c->minmax_absent.data, 0, bytes);
                c->minmax_absent.len = bytes;
            }
            c->minmax_absent.data[i / 8] |= (uint8_t)(1u << (i % 8));
        }
        if ((rv = values_put(b, c->min, NULL, has ? a->min_t : 0, has ? &a->min : &zero)) !=
                ST_OK ||
            (rv = values_put(b, c->max, NULL, has ? a->max_t : 0, has ? &a->max : &zero)) != ST_OK)
            return rv;
    }
    if (b->want & ST_AGG_FIRSTLAST) {
        if ((rv = values_put(b, c->first, &b->first_cap, a->first_t, &a->first)) != ST_OK ||
            (rv = values_put(b, c->last, &b->last_cap, a->last_t, &a->last)) != ST_OK)
            return rv;
    }
    if (c->sum != NULL)
        c->sum[c->n_sum++] = a->sum;
    if (c->int_sum != NULL)
        c->int_sum[c->n_int_sum++] = a->isum;
    if (c->uint_sum != NULL)
        c->uint_sum[c->n_uint_sum++] = a->usum;
    if (c->mean != NULL) {
        c->mean[c->n_mean++] = a->mean;
        c->m2[c->n_m2++] = a->m2;
    }
    c->count[c->n_count++] = a->count;
    c->starts[c->n_starts++] = start;
    return ST_OK;
}

static bool field_type_of(Strata__FieldType t, enum st_field_type *out)
{
    switch (t) {
    case STRATA__FIELD_TYPE__FLOAT:
        *out = ST_FIELD_FLOAT;
        return true;
    case STRATA__FIELD_TYPE__INTEGER:
        *out = ST_FIELD_INTEGER;
        return true;
    case STRATA__FIELD_TYPE__UNSIGNED:
        *out = ST_FIELD_UNSIGNED;
        return true;
    case STRATA__FIELD_TYPE__STRING:
        *out = ST_FIELD_STRING;
        return true;
    case STRATA__FIELD_TYPE__BOOLEAN:
        *out = ST_FIELD_BOOLEAN;
        return true;
    default:
        return false;
    }
}

/* Whether @v holds @n values of @type (times and the typed array, string
 * ends non-decreasing within the bytes). A column without entries may
 * leave it out. */
static bool values_ok(const Strata__AggValues *v, enum st_field_type type, size_t n)
{
    if (v == NULL)
        return n == 0;
    if (v->n_times != n)
        return false;
    switch (type) {
    case ST_FIELD_FLOAT:
        return v->n_float_values == n;
    case ST_FIELD_INTEGER:
        return v->n_int_values == n;
    case ST_FIELD_UNSIGNED:
        return v->n_uint_values == n;
    case ST_FIELD_BOOLEAN:
        return v->n_bool_values == n;
    case ST_FIELD_STRING:
        if (v->n_string_ends != n)
            return false;
        for (size_t i = 0, prev = 0; i < n; prev = v->string_ends[i++])
            if (v->string_ends[i] < prev || v->string_ends[i] > v->string_bytes.len)
                return false;
        return true;
    }
    return false;
}

int st_agg_wire_reader_init(struct st_agg_wire_reader *r, const Strata__AggColumn *col,
                            unsigned want)
{
    memset(r, 0, sizeof(*r));
    enum st_field_type type;
    if (!field_type_of(col->type, &type))
        return ST_EINVAL;
    size_t n = col->n_starts;
    unsigned w = type_want(type, want);
    if (col->n_count != n)
        return ST_EINVAL;
    if ((w & ST_AGG_SUM) && (col->n_sum != n || (type == ST_FIELD_INTEGER && col->n_int_sum != n) ||
                             (type == ST_FIELD_UNSIGNED && col->n_uint_sum != n)))
        return ST_EINVAL;
    if ((w & ST_AGG_MINMAX) &&
        (!values_ok(col->min, type, n) || !values_ok(col->max, type, n) ||
         (col->minmax_absent.len != 0 && col->minmax_absent.len < (n + 7) / 8)))
        return ST_EINVAL;
    if ((w & ST_AGG_FIRSTLAST) &&
        (!values_ok(col->first, type, n) || !values_ok(col->last, type, n)))
        return ST_EINVAL;
    if ((w & ST_AGG_MOMENTS) && (col->n_mean != n || col->n_m2 != n))
        return ST_EINVAL;
    r->col = col;
    r->type = type;
    r->want = w;
    r->n = n;
    return ST_OK;
}

/* Value @i of @vs. */
static void value_get(enum st_field_type type, const Strata__AggValues *vs, size_t i,
                      union st_agg_value *out)
{
    switch (type) {
    case ST_FIELD_FLOAT:
        out->f = vs->float_values[i];
        break;
    case ST_FIELD_INTEGER:
        out->i = vs->int_values[i];
        break;
    case ST_FIELD_UNSIGNED:
        out->u = vs->uint_values[i];
        break;
    case ST_FIELD_BOOLEAN:
        out->b = vs->bool_values[i] != 0;
        break;
    case ST_FIELD_STRING: {
        uint32_t from = i ? vs->string_ends[i - 1] : 0;
        out->s.p = (const char *)vs->string_bytes.data + from;
        out->s.len = vs->string_ends[i] - from;
        break;
    }
    }
}

int64_t st_agg_wire_get(const struct st_agg_wire_reader *r, size_t i, struct st_agg *a)
{
    const Strata__AggColumn *c = r->col;
    /* st_agg_init(a, r->type, r->want), inline: r->want is masked already */
    *a = (struct st_agg){.type = r->type, .want = r->want};
    a->count = c->count[i];
    if (r->want & ST_AGG_SUM) {
        a->sum = c->sum[i];
        if (r->type == ST_FIELD_INTEGER)
            a->isum = c->int_sum[i];
        else if (r->type == ST_FIELD_UNSIGNED)
            a->usum = c->uint_sum[i];
    }
    if (r->want & ST_AGG_MOMENTS) {
        a->mean = c->mean[i];
        a->m2 = c->m2[i];
    }
    if ((r->want & ST_AGG_MINMAX) &&
        (c->minmax_absent.len == 0 || !(c->minmax_absent.data[i / 8] & (1u << (i % 8))))) {
        a->has_minmax = true;
        value_get(r->type, c->min, i, &a->min);
        value_get(r->type, c->max, i, &a->max);
        a->min_t = c->min->times[i];
        a->max_t = c->max->times[i];
    }
    if (r->want & ST_AGG_FIRSTLAST) {
        value_get(r->type, c->first, i, &a->first);
        value_get(r->type, c->last, i, &a->last);
        a->first_t = c->first->times[i];
        a->last_t = c->last->times[i];
    }
    return c->starts[i];
}

static void from_value(const Strata__Value *v, union st_agg_value *out)
{
    switch (v->v_case) {
    case STRATA__VALUE__V_FLOAT_VALUE:
        out->f = v->float_value;
        break;
    case STRATA__VALUE__V_INT_VALUE:
        out->i = v->int_value;
        break;
    case STRATA__VALUE__V_UINT_VALUE:
        out->u = v->uint_value;
        break;
    case STRATA__VALUE__V_BOOL_VALUE:
        out->b = v->bool_value;
        break;
    case STRATA__VALUE__V_STRING_VALUE:
        out->s.p = v->string_value;
        out->s.len = (uint32_t)strlen(v->string_value);
        break;
    default:
        break;
    }
}

void st_agg_wire_from_partial(struct st_agg *a, const Strata__FieldPartial *fp, unsigned want)
{
    st_agg_init(a, (enum st_field_type)fp->type, want);
    a->count = fp->count;
    a->sum = fp->sum;
    a->isum = fp->int_sum;
    a->usum = fp->uint_sum;
    a->mean = fp->mean;
    a->m2 = fp->m2;
    if (fp->min != NULL && fp->max != NULL) {
        a->has_minmax = true;
        from_value(fp->min, &a->min);
        from_value(fp->max, &a->max);
        a->min_t = fp->min_time_ns;
        a->max_t = fp->max_time_ns;
    }
    if (fp->first != NULL && fp->last != NULL) {
        from_value(fp->first, &a->first);
        from_value(fp->last, &a->last);
        a->first_t = fp->first_time_ns;
        a->last_t = fp->last_time_ns;
    }
}
