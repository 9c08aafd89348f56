/* Raw queries: the rows of a group in time order.
 *
 * Each series of the group is read field by field into columns; its rows
 * are the union of its fields' times. The rows of all series are then
 * ordered by time (ties: series key order), cut to [offset, offset + limit)
 * and the page, and packed as times + typed columns with a presence bitmap.
 * A series needs no more than the first (ascending) or last (descending)
 * offset + limit (or page) values of each field, so its scans stop there;
 * descending scans probe backwards from the newest data (scan_field). */
#include <stdlib.h>
#include <string.h>

#include "agg_wire.h"
#include "err.h"
#include "index.h"
#include "query_int.h"
#include "segment.h"

union rval {
    double f;
    int64_t i;
    uint64_t u;
    bool b;
    struct {
        size_t off; /* in the group's string buffer */
        uint32_t len;
    } s;
};

/* The values of one field of one series. */
struct rcol {
    size_t col; /* output column */
    size_t n, cap;
    int64_t *t;
    union rval *v;
};

struct rseries {
    const struct q_item *it;
    struct rcol *cols;
    size_t ncols;
    int64_t *times; /* union of the columns' times */
    size_t ntimes;
    int32_t *at; /* ntimes x ncols: value index of (row, column), -1 = none */
};

struct raw_group {
    struct q_plan *p;
    const struct q_col *cols;
    size_t ncols;
    struct rseries *series;
    size_t nseries;
    struct st_buf strings;
    struct rcol *cur;
    uint64_t cap_values; /* per field; 0 = all */
};

/* One output row: series and row index within it. */
struct rref {
    int64_t t;
    uint32_t s, r;
};

static int rcol_push(struct raw_group *g, struct rcol *c, int64_t t, const union rval *v)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        int64_t *nt = realloc(c->t, cap * sizeof(*nt));
        if (nt == NULL)
            return ST_ENOMEM;
        c->t = nt;
        union rval *nv = realloc(c->v, cap * sizeof(*nv));
        if (nv == NULL)
            return ST_ENOMEM;
        c->v = nv;
        c->cap = cap;
    }
    (void)g;
    c->t[c->n] = t;
    c->v[c->n++] = *v;
    return ST_OK;
}

static int on_values(void *arg, const struct st_scan_run *run)
{
    struct raw_group *g = arg;
    struct rcol *c = g->cur;
    int rv = ST_OK;
    for (size_t i = 0; i < run->n && rv == ST_OK; i++) {
        if (g->cap_values && c->n >= g->cap_values)
            return ST_ECANCELED;
        union rval v;
        switch (run->type) {
        case ST_FIELD_FLOAT:
            v.f = run->v.f[i];
            break;
        case ST_FIELD_INTEGER:
            v.i = run->v.i[i];
            break;
        case ST_FIELD_UNSIGNED:
            v.u = run->v.u[i];
            break;
        case ST_FIELD_BOOLEAN:
            v.b = run->v.b[i];
            break;
        case ST_FIELD_STRING:
            v.s.off = g->strings.len;
            v.s.len = run->v.s[i].len;
            if (st_buf_append(&g->strings, run->v.s[i].p, run->v.s[i].len) != ST_OK)
                return ST_ENOMEM;
            break;
        }
        rv = rcol_push(g, c, run->t[i], &v);
    }
    return rv;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Rows of one series: the union of its columns' times and where each
 * column's value of a row is. */
static int build_rows(struct rseries *s)
{
    size_t total = 0;
    for (size_t c = 0; c < s->ncols; c++)
        total += s->cols[c].n;
    s->times = malloc((total ? total : 1) * sizeof(*s->times));
    if (s->times == NULL)
        return ST_ENOMEM;
    size_t k = 0;
    for (size_t c = 0; c < s->ncols; c++) {
        if (s->cols[c].n)
            memcpy(s->times + k, s->cols[c].t, s->cols[c].n * sizeof(int64_t));
        k += s->cols[c].n;
    }
    qsort(s->times, k, sizeof(*s->times), cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || s->times[u - 1] != s->times[i])
            s->times[u++] = s->times[i];
    s->ntimes = u;
    s->at = malloc((u * s->ncols + 1) * sizeof(*s->at));
    if (s->at == NULL)
        return ST_ENOMEM;
    for (size_t c = 0; c < s->ncols; c++) {
        const struct rcol *col = &s->cols[c];
        size_t x = 0;
        for (size_t r = 0; r < u; r++) {
            if (x < col->n && col->t[x] == s->times[r])
                s->at[r * s->ncols + c] = (int32_t)x++;
            else
                s->at[r * s->ncols + c] = -1;
        }
    }
    return ST_OK;
}

/* The value of field @name in row @r of series @s; false when it has none. */
static bool row_value(const struct raw_group *g, const struct rseries *s, size_t r,
                      const char *name, enum st_field_type *type, union rval *v)
{
    size_t nl = strlen(name);
    for (size_t k = 0; k < s->ncols; k++) {
        const struct q_col *qc = &g->cols[s->cols[k].col];
        if (qc->name.len != nl || memcmp(qc->name.p, name, nl) != 0)
            continue;
        int32_t x = s->at[r * s->ncols + k];
        if (x < 0)
            continue; /* another type of the field may have it */
        *type = qc->type;
        *v = s->cols[k].v[x];
        return true;
    }
    return false;
}

/* field <op> literal with the router's rules (router/query_eval.c). */
static bool field_compare(const struct raw_group *g, enum st_field_type t, const union rval *v,
                          const Strata__FieldCompare *fc)
{
    const Strata__Value *lit = fc->value;
    if (lit == NULL)
        return false;
    int c;
    bool vnum = t == ST_FIELD_FLOAT || t == ST_FIELD_INTEGER || t == ST_FIELD_UNSIGNED;
    bool lnum = lit->v_case == STRATA__VALUE__V_FLOAT_VALUE ||
                lit->v_case == STRATA__VALUE__V_INT_VALUE ||
                lit->v_case == STRATA__VALUE__V_UINT_VALUE;
    if (vnum && lnum) {
        if (t == ST_FIELD_INTEGER && lit->v_case == STRATA__VALUE__V_INT_VALUE) {
            c = v->i < lit->int_value ? -1 : v->i > lit->int_value;
        } else {
            double x = t == ST_FIELD_FLOAT     ? v->f
                       : t == ST_FIELD_INTEGER ? (double)v->i
                                               : (double)v->u;
            double y = lit->v_case == STRATA__VALUE__V_FLOAT_VALUE ? lit->float_value
                       : lit->v_case == STRATA__VALUE__V_INT_VALUE ? (double)lit->int_value
                                                                   : (double)lit->uint_value;
            c = x < y ? -1 : x > y;
        }
    } else if (t == ST_FIELD_STRING && lit->v_case == STRATA__VALUE__V_STRING_VALUE &&
               (fc->op == STRATA__FIELD_OP__FIELD_EQ || fc->op == STRATA__FIELD_OP__FIELD_NEQ)) {
        /* InfluxDB compares strings for equality only: `s < 'z'` is false */
        const char *a = g->strings.p + v->s.off, *b = lit->string_value;
        size_t al = v->s.len, bl = strlen(b), n = al < bl ? al : bl;
        c = n ? memcmp(a, b, n) : 0;
        if (c == 0)
            c = al < bl ? -1 : al > bl;
    } else if (t == ST_FIELD_BOOLEAN && lit->v_case == STRATA__VALUE__V_BOOL_VALUE &&
               (fc->op == STRATA__FIELD_OP__FIELD_EQ || fc->op == STRATA__FIELD_OP__FIELD_NEQ)) {
        c = v->b != lit->bool_value;
    } else {
        return false;
    }
    switch (fc->op) {
    case STRATA__FIELD_OP__FIELD_EQ:
        return c == 0;
    case STRATA__FIELD_OP__FIELD_NEQ:
        return c != 0;
    case STRATA__FIELD_OP__FIELD_LT:
        return c < 0;
    case STRATA__FIELD_OP__FIELD_LTE:
        return c <= 0;
    case STRATA__FIELD_OP__FIELD_GT:
        return c > 0;
    case STRATA__FIELD_OP__FIELD_GTE:
        return c >= 0;
    default:
        return false;
    }
}

/* Whether row @r of series @s passes @fc (Query.field_filter). */
static bool cond_match(const struct raw_group *g, const Strata__FieldCond *fc,
                       const struct rseries *s, size_t r)
{
    switch (fc->expr_case) {
    case STRATA__FIELD_COND__EXPR_AND_EXPR:
        return fc->and_expr->left != NULL && fc->and_expr->right != NULL &&
               cond_match(g, fc->and_expr->left, s, r) && cond_match(g, fc->and_expr->right, s, r);
    case STRATA__FIELD_COND__EXPR_OR_EXPR:
        return fc->or_expr->left != NULL && fc->or_expr->right != NULL &&
               (cond_match(g, fc->or_expr->left, s, r) || cond_match(g, fc->or_expr->right, s, r));
    case STRATA__FIELD_COND__EXPR_COMPARE: {
        enum st_field_type t;
        union rval v;
        return row_value(g, s, r, fc->compare->field, &t, &v) &&
               field_compare(g, t, &v, fc->compare);
    }
    default:
        return true;
    }
}

/* Whether @fc is one comparison or an AND of comparisons: then a row
 * passes only at a time where every compared field has a passing value. */
static bool and_chain(const Strata__FieldCond *fc)
{
    if (fc == NULL)
        return false;
    if (fc->expr_case == STRATA__FIELD_COND__EXPR_COMPARE)
        return fc->compare->field != NULL;
    if (fc->expr_case == STRATA__FIELD_COND__EXPR_AND_EXPR)
        return and_chain(fc->and_expr->left) && and_chain(fc->and_expr->right);
    return false;
}

static bool compared(const Strata__FieldCond *fc, struct st_slice name)
{
    if (fc->expr_case == STRATA__FIELD_COND__EXPR_AND_EXPR)
        return compared(fc->and_expr->left, name) || compared(fc->and_expr->right, name);
    return fc->expr_case == STRATA__FIELD_COND__EXPR_COMPARE &&
           strlen(fc->compare->field) == name.len &&
           memcmp(fc->compare->field, name.p, name.len) == 0;
}

/* Narrows [*lo, *hi] to the times where every comparison of the AND chain
 * @fc can pass, from the columns of @s read so far (the compared fields);
 * false when no time can. */
static bool passing_window(const struct raw_group *g, const Strata__FieldCond *fc,
                           const struct rseries *s, int64_t *lo, int64_t *hi)
{
    if (fc->expr_case == STRATA__FIELD_COND__EXPR_AND_EXPR)
        return passing_window(g, fc->and_expr->left, s, lo, hi) &&
               passing_window(g, fc->and_expr->right, s, lo, hi);
    const char *name = fc->compare->field;
    size_t nl = strlen(name);
    bool any = false;
    int64_t first = 0, last = 0;
    for (size_t k = 0; k < s->ncols; k++) {
        const struct rcol *c = &s->cols[k];
        const struct q_col *qc = &g->cols[c->col];
        if (qc->name.len != nl || memcmp(qc->name.p, name, nl) != 0)
            continue;
        for (size_t i = 0; i < c->n; i++) {
            if (!field_compare(g, qc->type, &c->v[i], fc->compare))
                continue;
            first = !any || c->t[i] < first ? c->t[i] : first;
            last = !any || c->t[i] > last ? c->t[i] : last;
            any = true;
        }
    }
    if (!any)
        return false;
    *lo = first > *lo ? first : *lo;
    *hi = last < *hi ? last : *hi;
    return *lo <= *hi;
}

static int rref_asc(const void *a, const void *b)
{
    const struct rref *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->s > y->s) - (x->s < y->s);
}

/* Newest first; at one time, the series in reverse key order (InfluxDB). */
static int rref_desc(const void *a, const void *b)
{
    const struct rref *x = a, *y = b;
    if (x->t != y->t)
        return x->t > y->t ? -1 : 1;
    return (x->s < y->s) - (x->s > y->s);
}

/* Packs rows @refs[0..n) into @sr. */
static int pack_rows(struct raw_group *g, const struct rref *refs, size_t n,
                     Strata__SeriesResult *sr)
{
    struct q_plan *p = g->p;
    struct q_arena *a = p->arena;
    const Strata__Query *q = p->q;
    sr->times = q_alloc(a, (n + 1) * sizeof(*sr->times));
    sr->columns = q_alloc(a, (g->ncols + 1) * sizeof(*sr->columns));
    sr->tag_columns = q_alloc(a, (q->n_tag_columns + 1) * sizeof(*sr->tag_columns));
    if (a->oom)
        return ST_ENOMEM;
    for (size_t r = 0; r < n; r++)
        sr->times[r] = refs[r].t;
    sr->n_times = n;
    /* The series of the rows, by key, for the router's merge. */
    sr->row_series = q_alloc(a, (n + 1) * sizeof(*sr->row_series));
    sr->series_keys = q_alloc(a, (g->nseries + 1) * sizeof(*sr->series_keys));
    uint32_t *slot = q_alloc(a, (g->nseries + 1) * sizeof(*slot));
    if (a->oom)
        return ST_ENOMEM;
    for (size_t s = 0; s < g->nseries; s++)
        slot[s] = UINT32_MAX;
    for (size_t r = 0; r < n; r++) {
        uint32_t s = refs[r].s;
        if (slot[s] == UINT32_MAX) {
            slot[s] = (uint32_t)sr->n_series_keys;
            sr->series_keys[sr->n_series_keys++] =
                (ProtobufCBinaryData){g->series[s].it->key.len, (uint8_t *)g->series[s].it->key.p};
        }
        sr->row_series[r] = slot[s];
    }
    sr->n_row_series = n;
    for (size_t c = 0; c < g->ncols; c++) {
        Strata__Column *col = q_alloc(a, sizeof(*col));
        uint8_t *bits = q_alloc(a, (n + 7) / 8);
        if (col == NULL || bits == NULL)
            return ST_ENOMEM;
        strata__column__init(col);
        col->name = (char *)g->cols[c].name.p;
        col->type = st_agg_wire_type(g->cols[c].type);
        col->present.data = bits;
        col->present.len = (n + 7) / 8;
        size_t esz = g->cols[c].type == ST_FIELD_STRING    ? sizeof(char *)
                     : g->cols[c].type == ST_FIELD_BOOLEAN ? sizeof(protobuf_c_boolean)
                                                           : sizeof(int64_t);
        void *vals = q_alloc(a, (n + 1) * esz);
        if (vals == NULL)
            return ST_ENOMEM;
        for (size_t r = 0; r < n; r++) {
            const struct rseries *s = &g->series[refs[r].s];
            const union rval *v = NULL;
            for (size_t k = 0; k < s->ncols; k++)
                if (s->cols[k].col == c && s->at[refs[r].r * s->ncols + k] >= 0)
                    v = &s->cols[k].v[s->at[refs[r].r * s->ncols + k]];
            if (v)
                bits[r / 8] |= (uint8_t)(1u << (r % 8));
            switch (g->cols[c].type) {
            case ST_FIELD_FLOAT:
                ((double *)vals)[r] = v ? v->f : 0;
                break;
            case ST_FIELD_INTEGER:
                ((int64_t *)vals)[r] = v ? v->i : 0;
                break;
            case ST_FIELD_UNSIGNED:
                ((uint64_t *)vals)[r] = v ? v->u : 0;
                break;
            case ST_FIELD_BOOLEAN:
                ((protobuf_c_boolean *)vals)[r] = v ? v->b : 0;
                break;
            case ST_FIELD_STRING:
                ((char **)vals)[r] =
                    v ? q_strdup(a, g->strings.p + v->s.off, v->s.len) : (char *)"";
                break;
            }
        }
        switch (g->cols[c].type) {
        case ST_FIELD_FLOAT:
            col->float_values = vals;
            col->n_float_values = n;
            break;
        case ST_FIELD_INTEGER:
            col->int_values = vals;
            col->n_int_values = n;
            break;
        case ST_FIELD_UNSIGNED:
            col->uint_values = vals;
            col->n_uint_values = n;
            break;
        case ST_FIELD_BOOLEAN:
            col->bool_values = vals;
            col->n_bool_values = n;
            break;
        case ST_FIELD_STRING:
            col->string_values = vals;
            col->n_string_values = n;
            break;
        }
        sr->columns[sr->n_columns++] = col;
    }
    /* tag columns: each row's series' value of the tag */
    struct st_index_key k;
    st_index_key_init(&k);
    int rv = ST_OK;
    for (size_t t = 0; t < q->n_tag_columns && rv == ST_OK; t++) {
        Strata__TagColumn *tc = q_alloc(a, sizeof(*tc));
        char **vals = q_alloc(a, (n + 1) * sizeof(*vals));
        char **per_series = q_alloc(a, (g->nseries + 1) * sizeof(*per_series));
        if (tc == NULL || vals == NULL || per_series == NULL) {
            rv = ST_ENOMEM;
            break;
        }
        strata__tag_column__init(tc);
        tc->key = q->tag_columns[t];
        size_t wl = strlen(tc->key);
        for (size_t s = 0; s < g->nseries && rv == ST_OK; s++) {
            const struct q_item *it = g->series[s].it;
            per_series[s] = (char *)"";
            if ((rv = st_index_key_parse(&k, it->key.p, it->key.len)) != ST_OK)
                break;
            for (size_t x = 0; x < k.ntags; x++)
                if (k.tags[x].key.len == wl && memcmp(k.tags[x].key.p, tc->key, wl) == 0)
                    per_series[s] = q_strdup(a, k.tags[x].value.p, k.tags[x].value.len);
        }
        for (size_t r = 0; r < n; r++)
            vals[r] = per_series[refs[r].s];
        tc->values = vals;
        tc->n_values = n;
        sr->tag_columns[sr->n_tag_columns++] = tc;
    }
    st_index_key_fini(&k);
    if (rv == ST_OK && a->oom)
        rv = ST_ENOMEM;
    return rv;
}

/* The newest value of a field only (ORDER BY time DESC LIMIT 1, TSBS's
 * lastpoint): a block the scan can hand over whole - no other data inside
 * its span, no tombstone (st_shard_scan_cb) - gives its newest point from
 * its statistics (the value at max_time) instead of being decoded; runs
 * come in time order, so each one replaces what came before. Not for
 * strings: their statistics hold no value. */
static bool last_stats_ok(void *arg, const struct st_block_stats *st)
{
    (void)arg;
    (void)st;
    return true;
}

static int last_stats(void *arg, enum st_field_type type, const struct st_scan_block *blk)
{
    struct raw_group *g = arg;
    const struct st_block_stats *st = &blk->entry->stats;
    union rval v;
    switch (type) {
    case ST_FIELD_FLOAT:
        v.f = st->last.f;
        break;
    case ST_FIELD_INTEGER:
        v.i = st->last.i;
        break;
    case ST_FIELD_UNSIGNED:
        v.u = st->last.u;
        break;
    case ST_FIELD_BOOLEAN:
        v.b = st->last.u != 0;
        break;
    default:
        return ST_EINVAL; /* strings never take this path */
    }
    g->cur->n = 0;
    return rcol_push(g, g->cur, st->max_time, &v);
}

static int last_values(void *arg, const struct st_scan_run *run)
{
    struct raw_group *g = arg;
    if (run->n == 0)
        return ST_OK;
    struct st_scan_run tail = *run;
    size_t i = run->n - 1;
    tail.n = 1;
    tail.t = run->t + i;
    switch (run->type) {
    case ST_FIELD_FLOAT:
        tail.v.f = run->v.f + i;
        break;
    case ST_FIELD_INTEGER:
        tail.v.i = run->v.i + i;
        break;
    case ST_FIELD_UNSIGNED:
        tail.v.u = run->v.u + i;
        break;
    case ST_FIELD_BOOLEAN:
        tail.v.b = run->v.b + i;
        break;
    case ST_FIELD_STRING:
        return ST_EINVAL;
    }
    g->cur->n = 0;
    return on_values(g, &tail);
}

/* Reads field @f of item @it into g->cur: all of [tmin, tmax] (ascending,
 * stopping at @want values), or for a descending read the last @want values
 * found by probing ever wider spans back from the newest data (about 1/256
 * of the shard's time span first, then 4 times wider), so that "ORDER BY
 * time DESC LIMIT n" does not read the whole shard. */
static int scan_field(struct q_plan *p, struct raw_group *g, st_shard *sh, const struct q_item *it,
                      size_t f, uint64_t want, int64_t lo, int64_t hi)
{
    struct st_shard_scan_cb cb = {NULL, NULL, on_values, g};
    struct st_slice name = it->fields[f].name;
    enum st_field_type type = it->fields[f].type;
    int64_t a, b;
    if (p->q->descending && want == 1 && type != ST_FIELD_STRING) {
        struct st_shard_scan_cb last = {last_stats_ok, last_stats, last_values, g};
        g->cap_values = 0;
        g->cur->n = 0;
        return st_shard_scan(sh, p->rd, it->series, name, type, lo, hi, &last);
    }
    if (!p->q->descending || want == 0 || want == UINT64_MAX || !st_shard_time_bounds(sh, &a, &b)) {
        g->cap_values = p->q->descending ? 0 : want;
        return st_shard_scan(sh, p->rd, it->series, name, type, lo, hi, &cb);
    }
    lo = a > lo ? a : lo;
    hi = b < hi ? b : hi;
    if (lo > hi)
        return ST_OK;
    g->cap_values = 0;
    uint64_t span = (uint64_t)hi - (uint64_t)lo, d = span / 256 + 1;
    struct rcol *c = g->cur;
    for (;;) {
        int64_t start = d >= span ? lo : (int64_t)((uint64_t)hi - d);
        c->n = 0;
        int rv = st_shard_scan(sh, p->rd, it->series, name, type, start, hi, &cb);
        if (rv != ST_OK)
            return rv;
        if (c->n >= want || start == lo)
            break;
        d = d > span / 4 ? span : d * 4;
    }
    if (c->n > want) { /* keep the newest */
        memmove(c->t, c->t + (c->n - want), want * sizeof(*c->t));
        memmove(c->v, c->v + (c->n - want), want * sizeof(*c->v));
        c->n = want;
    }
    return ST_OK;
}

int q_group_raw(struct q_plan *p, size_t first, size_t n, Strata__SeriesResult *sr, uint64_t skip,
                uint64_t budget, uint64_t *used, bool *more)
{
    const Strata__Query *q = p->q;
    struct raw_group g = {.p = p};
    struct rref *refs = NULL;
    st_buf_init(&g.strings);
    int rv = q_group_cols(p, first, n, (struct q_col **)&g.cols, &g.ncols);
    if (rv != ST_OK)
        goto out;
    /* rows this page may need: the group's [offset + skip, + budget), and
     * never past offset + limit; one more tells whether more remain */
    uint64_t want = q->offset + skip + budget + 1;
    if (q->limit && q->offset + q->limit < want)
        want = q->offset + q->limit;
    if (q->field_filter != NULL)
        want = UINT64_MAX; /* rows the condition drops do not count */
    g.series = calloc(n, sizeof(*g.series));
    if (g.series == NULL) {
        rv = ST_ENOMEM;
        goto out;
    }
    for (size_t i = first; i < first + n && rv == ST_OK; i++) {
        const struct q_item *it = &p->items[i];
        struct rseries *s = &g.series[g.nseries++];
        s->it = it;
        s->cols = calloc(it->nfields ? it->nfields : 1, sizeof(*s->cols));
        if (s->cols == NULL) {
            rv = ST_ENOMEM;
            break;
        }
        st_shard *sh = p->shards[it->shard];
        st_shard_read_lock(sh);
        /* With a filter that is an AND of comparisons, the compared fields
         * are read first: the others are read only over the span of times
         * that can pass (nothing when none can: high-cpu-1's usage_user >
         * 90 mostly matches nothing). */
        bool narrow = and_chain(q->field_filter);
        int64_t lo = p->tmin, hi = p->tmax;
        for (int pass = narrow ? 0 : 1; pass < 2 && rv == ST_OK; pass++) {
            if (pass == 1 && narrow && !passing_window(&g, q->field_filter, s, &lo, &hi))
                break;
            for (size_t f = 0; f < it->nfields && rv == ST_OK; f++) {
                if (narrow && compared(q->field_filter, it->fields[f].name) != (pass == 0))
                    continue;
                long c = q_col_find(g.cols, g.ncols, it->fields[f].name, it->fields[f].type);
                if (c < 0)
                    continue;
                g.cur = &s->cols[s->ncols++];
                g.cur->col = (size_t)c;
                rv = scan_field(p, &g, sh, it, f, want, lo, hi);
                if (rv == ST_ECANCELED)
                    rv = ST_OK;
                else if (rv != ST_OK && rv != ST_ENOMEM && st_shard_reader_error(p->rd)[0])
                    st_errf(p->err, p->errlen, rv, "shard %llu: %s",
                            (unsigned long long)st_shard_id(sh), st_shard_reader_error(p->rd));
            }
        }
        st_shard_read_unlock(sh);
        p->stats->series_read++;
        if (rv == ST_OK)
            rv = build_rows(s);
        if (rv == ST_OK)
            rv = q_check_deadline(p);
    }
    if (rv != ST_OK)
        goto out;
    size_t total = 0;
    for (size_t s = 0; s < g.nseries; s++)
        total += g.series[s].ntimes;
    refs = malloc((total ? total : 1) * sizeof(*refs));
    if (refs == NULL) {
        rv = ST_ENOMEM;
        goto out;
    }
    size_t k = 0;
    for (size_t s = 0; s < g.nseries; s++)
        for (size_t r = 0; r < g.series[s].ntimes; r++)
            if (q->field_filter == NULL || cond_match(&g, q->field_filter, &g.series[s], r))
                refs[k++] = (struct rref){g.series[s].times[r], (uint32_t)s, (uint32_t)r};
    qsort(refs, k, sizeof(*refs), q->descending ? rref_desc : rref_asc);
    uint64_t lo = q->offset + skip, hi = k;
    if (q->limit && q->offset + q->limit < hi)
        hi = q->offset + q->limit;
    if (lo > hi)
        lo = hi;
    uint64_t take = hi - lo < budget ? hi - lo : budget;
    *used = take;
    *more = lo + take < hi;
    rv = pack_rows(&g, refs + lo, (size_t)take, sr);
    struct st_shard_reader_stats rs;
    st_shard_reader_stats(p->rd, &rs);
    p->stats->blocks_decoded = rs.blocks_decoded;
    p->stats->blocks_from_stats = rs.blocks_from_stats;
    p->stats->values_scanned = rs.values;
out:
    for (size_t s = 0; s < g.nseries; s++) {
        for (size_t c = 0; c < g.series[s].ncols; c++) {
            free(g.series[s].cols[c].t);
            free(g.series[s].cols[c].v);
        }
        free(g.series[s].cols);
        free(g.series[s].times);
        free(g.series[s].at);
    }
    free(g.series);
    free(refs);
    st_buf_fini(&g.strings);
    return rv;
}
