/* st_agg -> Strata__FieldPartial (agg_wire.h). */
#include "agg_wire.h"

#include <string.h>

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
