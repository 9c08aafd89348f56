/* Aggregate queries: per (group, window, field) partial aggregates.
 *
 * Every series of the group is scanned field by field; each run of values is
 * cut at window boundaries and fed to that window's st_agg. A block that lies
 * inside one window is taken from its statistics without decoding when the
 * aggregates allow it: not for stddev (needs every value), not for min/max
 * without windows (their times are then part of the answer and statistics
 * do not hold them), not for strings beyond count. The windows are sent as
 * a Window per window or, when the query asks (Query.columnar), as an
 * AggColumn per (field, type) (proto/agg_wire.h). */
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "agg_wire.h"
#include "err.h"
#include "query_int.h"
#include "segment.h"
#include "tz.h"

/* One window of the group: its aggregates, one per column. */
struct row {
    int64_t start;
    struct st_agg *aggs;
};

struct agg_group {
    struct q_plan *p;
    const struct q_col *cols;
    size_t ncols;
    struct row *rows;
    size_t nrows, cap;
    uint32_t *table; /* open addressing: window start -> row index + 1 */
    size_t tcap;     /* power of two */
    /* the scan in progress */
    size_t col;
    int64_t cur_start, cur_end; /* window [start, end) of cur_row */
    size_t cur_row;
    struct st_agg *cur;
};

/* Window start of @t (UTC): t - ((t - offset) mod interval), mod >= 0. */
static int64_t window_start(const Strata__Query *q, int64_t t)
{
    if (q->interval_ns <= 0)
        return q->min_ns;
    if (q->interval_ns < (INT64_C(1) << 61) && q->offset_ns >= 0 && q->offset_ns < q->interval_ns &&
        t > -(INT64_C(1) << 61) &&
        t < (INT64_C(1) << 61)) { /* no overflow: 64-bit, not a 128-bit modulo call */
        int64_t m = (t - q->offset_ns) % q->interval_ns;
        return t - (m < 0 ? m + q->interval_ns : m);
    }
    __int128 d = (__int128)t - q->offset_ns;
    __int128 m = d % q->interval_ns;
    if (m < 0)
        m += q->interval_ns;
    return (int64_t)((__int128)t - m);
}

/* The window holding @t: [*@start, *@end), the end saturated. A time
 * zone's windows are not all interval_ns long; their end is the next
 * window's start (the points between a start and its end all fall in it,
 * which a scan relies on when it stops looking up windows). */
static void window_of(const struct q_plan *p, int64_t t, int64_t *start, int64_t *end)
{
    const Strata__Query *q = p->q;
    if (q->interval_ns > 0 && p->tz != NULL) {
        st_tz_window(p->tz, q->interval_ns, q->offset_ns, t, start, end);
        if (*end <= t || *start > t) /* not InfluxDB's shape: look this point up alone */
            *end = t + 1;
        return;
    }
    *start = window_start(q, t);
    if (q->interval_ns <= 0 || *start > INT64_MAX - q->interval_ns)
        *end = INT64_MAX;
    else
        *end = *start + q->interval_ns;
}

static uint64_t hash64(int64_t x)
{
    uint64_t h = (uint64_t)x * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static int grow_table(struct agg_group *g)
{
    size_t cap = g->tcap ? g->tcap * 2 : 64;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return ST_ENOMEM;
    for (size_t r = 0; r < g->nrows; r++) {
        size_t i = hash64(g->rows[r].start) & (cap - 1);
        while (t[i])
            i = (i + 1) & (cap - 1);
        t[i] = (uint32_t)r + 1;
    }
    free(g->table);
    g->table = t;
    g->tcap = cap;
    return ST_OK;
}

/* The row of window @start in *@out, created when new. */
static int find_row(struct agg_group *g, int64_t start, size_t *out)
{
    if (g->tcap == 0 || (g->nrows + 1) * 2 > g->tcap)
        if (grow_table(g) != ST_OK)
            return ST_ENOMEM;
    size_t i = hash64(start) & (g->tcap - 1);
    while (g->table[i]) {
        struct row *r = &g->rows[g->table[i] - 1];
        if (r->start == start) {
            *out = g->table[i] - 1;
            return ST_OK;
        }
        i = (i + 1) & (g->tcap - 1);
    }
    if (g->nrows == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct row *p = realloc(g->rows, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        g->rows = p;
        g->cap = cap;
    }
    struct st_agg *aggs = malloc(g->ncols * sizeof(*aggs));
    if (aggs == NULL)
        return ST_ENOMEM;
    for (size_t c = 0; c < g->ncols; c++)
        st_agg_init(&aggs[c], g->cols[c].type, g->p->want);
    g->rows[g->nrows] = (struct row){start, aggs};
    *out = g->nrows;
    g->table[i] = (uint32_t)++g->nrows;
    return ST_OK;
}

static int enter_window(struct agg_group *g, int64_t t)
{
    /* A scan mostly moves on to the next window: it starts where the
     * current one ends, and its row is usually the next one (the first
     * series makes the rows in time order, the others find them again).
     * TSBS's 1-minute windows hold 6 values each: a division and a hash
     * lookup per window cost more than aggregating them. */
    const Strata__Query *q = g->p->q;
    if (g->cur != NULL && q->interval_ns > 0 && g->p->tz == NULL && t >= g->cur_end &&
        (uint64_t)t - (uint64_t)g->cur_end < (uint64_t)q->interval_ns &&
        g->cur_end <= INT64_MAX - q->interval_ns && g->cur_row + 1 < g->nrows &&
        g->rows[g->cur_row + 1].start == g->cur_end) {
        g->cur_row++;
        g->cur_start = g->cur_end;
        g->cur_end += q->interval_ns;
        g->cur = &g->rows[g->cur_row].aggs[g->col];
        return ST_OK;
    }
    int64_t start, end;
    window_of(g->p, t, &start, &end);
    size_t row;
    int rv = find_row(g, start, &row);
    if (rv != ST_OK)
        return rv;
    g->cur_row = row;
    g->cur_start = start > t ? t : start;
    g->cur_end = end;
    g->cur = &g->rows[row].aggs[g->col];
    return ST_OK;
}

static bool on_stats_ok(void *arg, const struct st_block_stats *st)
{
    int64_t min_time = st->min_time, max_time = st->max_time;
    struct agg_group *g = arg;
    const struct q_plan *p = g->p;
    enum st_field_type type = g->cols[g->col].type;
    if (p->want & ST_AGG_MOMENTS)
        return false;
    if ((p->want & ST_AGG_MINMAX) && !p->stats_minmax)
        return false;
    if (type == ST_FIELD_STRING && (p->want & ~(unsigned)ST_AGG_COUNT))
        return false;
    int64_t start, end;
    window_of(p, min_time, &start, &end);
    return max_time < end;
}

static int on_stats(void *arg, enum st_field_type type, const struct st_scan_block *blk)
{
    struct agg_group *g = arg;
    const struct st_block_stats *st = &blk->entry->stats;
    int rv;
    if ((st->min_time < g->cur_start || st->min_time >= g->cur_end || g->cur == NULL) &&
        (rv = enter_window(g, st->min_time)) != ST_OK)
        return rv;
    struct st_agg_block b = {.min_time = st->min_time,
                             .max_time = st->max_time,
                             .count = st->count,
                             .sum = st->sum,
                             .isum = (int64_t)st->isum_lo,
                             .usum = st->isum_lo};
    switch (type) {
    case ST_FIELD_FLOAT:
        b.min.f = st->min.f;
        b.max.f = st->max.f;
        b.first.f = st->first.f;
        b.last.f = st->last.f;
        break;
    case ST_FIELD_INTEGER:
        b.min.i = st->min.i;
        b.max.i = st->max.i;
        b.first.i = st->first.i;
        b.last.i = st->last.i;
        break;
    case ST_FIELD_UNSIGNED:
        b.min.u = st->min.u;
        b.max.u = st->max.u;
        b.first.u = st->first.u;
        b.last.u = st->last.u;
        break;
    case ST_FIELD_BOOLEAN:
        b.min.b = st->min.u != 0;
        b.max.b = st->max.u != 0;
        b.first.b = st->first.u != 0;
        b.last.b = st->last.u != 0;
        break;
    case ST_FIELD_STRING: /* count only (on_stats_ok) */
        b.first.s = b.last.s = b.min.s = b.max.s = (struct st_slice){"", 0};
        break;
    }
    return st_agg_add_block(g->cur, &b);
}

static int on_values(void *arg, const struct st_scan_run *run)
{
    struct agg_group *g = arg;
    size_t i = 0;
    int rv = ST_OK;
    while (i < run->n && rv == ST_OK) {
        int64_t t = run->t[i];
        if ((t < g->cur_start || t >= g->cur_end || g->cur == NULL) &&
            (rv = enter_window(g, t)) != ST_OK)
            break;
        /* the points of this window: the end by galloping from i (windows
         * of a few points are common: TSBS's hold 6), then a binary search */
        size_t lo = i + 1, hi = run->n;
        if (run->t[run->n - 1] >= g->cur_end) {
            size_t step = 1; /* everything before lo is in the window */
            while (lo + step < hi && run->t[lo + step - 1] < g->cur_end) {
                lo += step;
                step *= 2;
            }
            if (lo + step < hi)
                hi = lo + step; /* t[lo + step - 1] is past the window */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (run->t[mid] < g->cur_end)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        } else {
            lo = run->n;
        }
        size_t n = lo - i;
        switch (run->type) {
        case ST_FIELD_FLOAT:
            rv = st_agg_add_f64(g->cur, run->t + i, run->v.f + i, n);
            break;
        case ST_FIELD_INTEGER:
            rv = st_agg_add_i64(g->cur, run->t + i, run->v.i + i, n);
            break;
        case ST_FIELD_UNSIGNED:
            rv = st_agg_add_u64(g->cur, run->t + i, run->v.u + i, n);
            break;
        case ST_FIELD_BOOLEAN:
            rv = st_agg_add_bool(g->cur, run->t + i, run->v.b + i, n);
            break;
        case ST_FIELD_STRING:
            rv = st_agg_add_str(g->cur, run->t + i, run->v.s + i, n);
            break;
        }
        i = lo;
    }
    return rv;
}

static int row_cmp_asc(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static int row_cmp_desc(const void *a, const void *b)
{
    return row_cmp_asc(b, a);
}

static void *arena_alloc(void *ctx, size_t n)
{
    return q_alloc(ctx, n);
}

/* Windows [from, to) of the sorted rows into @sr. */
static int emit_rows(struct agg_group *g, size_t from, size_t to, Strata__SeriesResult *sr)
{
    struct q_plan *p = g->p;
    sr->windows = q_alloc(p->arena, (to - from + 1) * sizeof(*sr->windows));
    if (sr->windows == NULL)
        return ST_ENOMEM;
    for (size_t r = from; r < to; r++) {
        Strata__Window *w = q_alloc(p->arena, sizeof(*w));
        if (w == NULL)
            return ST_ENOMEM;
        strata__window__init(w);
        w->start_ns = g->rows[r].start;
        w->fields = q_alloc(p->arena, (g->ncols + 1) * sizeof(*w->fields));
        if (w->fields == NULL)
            return ST_ENOMEM;
        for (size_t c = 0; c < g->ncols; c++) {
            const struct st_agg *ag = &g->rows[r].aggs[c];
            if (ag->count == 0)
                continue;
            /* the column's name is NUL-terminated in the arena */
            Strata__FieldPartial *fp =
                st_agg_wire_partial(ag, p->want, g->cols[c].name.p, arena_alloc, p->arena);
            if (fp == NULL)
                return ST_ENOMEM;
            w->fields[w->n_fields++] = fp;
        }
        sr->windows[sr->n_windows++] = w;
    }
    return p->arena->oom ? ST_ENOMEM : ST_OK;
}

/* Windows [from, to) of the sorted rows into @sr as columns
 * (Query.columnar): one AggColumn per column with a value there. */
static int emit_columns(struct agg_group *g, size_t from, size_t to, Strata__SeriesResult *sr)
{
    struct q_plan *p = g->p;
    sr->agg_columns = q_alloc(p->arena, (g->ncols + 1) * sizeof(*sr->agg_columns));
    if (sr->agg_columns == NULL)
        return ST_ENOMEM;
    for (size_t c = 0; c < g->ncols; c++) {
        size_t n = 0;
        for (size_t r = from; r < to; r++)
            n += g->rows[r].aggs[c].count != 0;
        if (n == 0)
            continue;
        struct st_agg_wire_col b;
        /* the column's name is NUL-terminated in the arena */
        int rv = st_agg_wire_col_init(&b, g->cols[c].name.p, g->cols[c].type, p->want, n,
                                      arena_alloc, p->arena);
        for (size_t r = from; r < to && rv == ST_OK; r++)
            if (g->rows[r].aggs[c].count != 0)
                rv = st_agg_wire_col_add(&b, g->rows[r].start, &g->rows[r].aggs[c]);
        if (rv != ST_OK)
            return rv;
        sr->agg_columns[sr->n_agg_columns++] = b.col;
    }
    return p->arena->oom ? ST_ENOMEM : ST_OK;
}

int q_group_agg(struct q_plan *p, size_t first, size_t n, Strata__SeriesResult *sr, uint64_t skip,
                uint64_t budget, uint64_t *used, bool *more)
{
    const Strata__Query *q = p->q;
    struct agg_group g = {.p = p};
    int rv = q_group_cols(p, first, n, (struct q_col **)&g.cols, &g.ncols);
    if (rv != ST_OK)
        return rv;
    struct st_shard_scan_cb cb = {on_stats_ok, on_stats, on_values, &g};
    for (size_t i = first; i < first + n && rv == ST_OK; i++) {
        const struct q_item *it = &p->items[i];
        st_shard *s = p->shards[it->shard];
        st_shard_read_lock(s);
        for (size_t f = 0; f < it->nfields && rv == ST_OK; f++) {
            long c = q_col_find(g.cols, g.ncols, it->fields[f].name, it->fields[f].type);
            if (c < 0)
                continue;
            g.col = (size_t)c;
            g.cur = NULL;
            rv = st_shard_scan(s, p->rd, it->series, it->fields[f].name, it->fields[f].type,
                               p->tmin, p->tmax, &cb);
            if (rv != ST_OK && rv != ST_ENOMEM && st_shard_reader_error(p->rd)[0])
                st_errf(p->err, p->errlen, rv, "shard %llu: %s", (unsigned long long)st_shard_id(s),
                        st_shard_reader_error(p->rd));
        }
        st_shard_read_unlock(s);
        p->stats->series_read++;
        if (rv == ST_OK)
            rv = q_check_deadline(p);
    }
    if (rv == ST_OK) {
        if (g.nrows)
            qsort(g.rows, g.nrows, sizeof(*g.rows), q->descending ? row_cmp_desc : row_cmp_asc);
        /* this group's windows: [offset, offset + limit), minus what earlier
         * pages sent, at most budget */
        uint64_t lo = q->offset + skip, hi = g.nrows;
        if (q->limit && q->offset + q->limit < hi)
            hi = q->offset + q->limit;
        if (lo > hi)
            lo = hi;
        uint64_t take = hi - lo < budget ? hi - lo : budget;
        *used = take;
        *more = lo + take < hi;
        rv = q->columnar ? emit_columns(&g, (size_t)lo, (size_t)(lo + take), sr)
                         : emit_rows(&g, (size_t)lo, (size_t)(lo + take), sr);
    }
    struct st_shard_reader_stats rs;
    st_shard_reader_stats(p->rd, &rs);
    p->stats->blocks_decoded = rs.blocks_decoded;
    p->stats->blocks_from_stats = rs.blocks_from_stats;
    p->stats->values_scanned = rs.values;
    for (size_t r = 0; r < g.nrows; r++) {
        for (size_t c = 0; c < g.ncols; c++)
            st_agg_fini(&g.rows[r].aggs[c]);
        free(g.rows[r].aggs);
    }
    free(g.rows);
    free(g.table);
    return rv;
}
