/* Internals of the query engine (rq_ prefix): plan, conditions, fetch, merge. */
#ifndef ST_QUERY_INT_H
#define ST_QUERY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "data.pb-c.h"
#include "meta.pb-c.h"
#include "query.h"
#include "tz.h"

/* Memory of one statement: a bump allocator of zeroed chunks. */
struct rq_arena;
int rq_arena_new(struct rq_arena **out);
void rq_arena_free(struct rq_arena *a);
void *rq_alloc(struct rq_arena *a, size_t n); /* zeroed; NULL: out of memory */
char *rq_strdup(struct rq_arena *a, const char *s, size_t n);

/* What an output column holds. */
enum rq_col_kind {
    RQ_COL_TIME = 1, /* the time column */
    RQ_COL_FIELD,    /* raw: a field's value */
    RQ_COL_TAG,      /* raw: a tag's value */
    RQ_COL_AGG,      /* aggregate: fn over field */
};

/* The aggregates computed from partials (data nodes compute them). */
enum rq_fn {
    RQ_FN_COUNT = 1,
    RQ_FN_SUM,
    RQ_FN_MEAN,
    RQ_FN_MIN,
    RQ_FN_MAX,
    RQ_FN_FIRST,
    RQ_FN_LAST,
    RQ_FN_SPREAD,
    RQ_FN_STDDEV,
    /* Computed on the router from raw points (query_pts.c). */
    RQ_FN_MEDIAN,
    RQ_FN_MODE,
    RQ_FN_PERCENTILE,
    RQ_FN_INTEGRAL,
    RQ_FN_COUNT_DISTINCT,
    RQ_FN_DISTINCT, /* several rows per window from here on */
    RQ_FN_TOP,
    RQ_FN_BOTTOM,
    RQ_FN_SAMPLE,
};

/* Whether @fn needs the window's points (not only partials), and whether it
 * answers several rows per window. */
#define RQ_FN_POINTS(fn) ((fn) >= RQ_FN_MEDIAN)
#define RQ_FN_MULTI(fn) ((fn) >= RQ_FN_DISTINCT)

struct rq_col {
    enum rq_col_kind kind;
    const char *name; /* the column's name in the answer */
    const char *key;  /* FIELD, TAG, AGG: the field or tag key */
    enum rq_fn fn;    /* AGG */
    enum st_iql_cast cast;
    /* Points mode (rq_plan.points): */
    size_t src;           /* AGG: the (hidden) raw column of the field's values */
    double arg;           /* PERCENTILE: N */
    int64_t unit;         /* INTEGRAL: the unit in ns */
    int64_t n;            /* TOP, BOTTOM, SAMPLE: N */
    const char **by_tags; /* TOP, BOTTOM: tag arguments (best point per tag set) */
    size_t nby_tags;
    size_t *by_src; /* TOP, BOTTOM: their raw columns */
};

/* One source measurement (or regex) of a statement, resolved. */
struct rq_plan {
    struct rq_arena *ar;
    const Strata__Catalogue *cat;
    const struct st_query_env *env;
    struct st_buf *err;
    int64_t deadline_ms; /* monotonic */
    const char *db, *rp;
    const char *measurement, *mregex; /* one of them */
    int64_t tmin, tmax;               /* inclusive */
    bool has_tmin, has_tmax;
    Strata__TagExpr *tags; /* tag filter, NULL = all series */
    bool deleting;         /* DELETE / DROP SERIES: rq_tag_expr sends FIELD_FILTER leaves */
    bool aggregate;        /* aggregate query (else raw) */
    bool points;           /* aggregate from raw points on the router (query_pts.c) */
    size_t selector; /* the lone selector column (its point's time and row are the row's), or 0 */
    size_t multi;    /* points: the column of a function of several rows per window, or 0 */
    /* Expressions (query_expr.c): when has_x, the executors' columns are
     * inputs and outs[] are the answer's columns. */
    struct rq_out *outs;
    size_t nouts, outs_cap;
    bool has_x, has_trans;
    bool x_raw_trans, x_raw_plain; /* a transformation of a raw field; a raw field outside one */
    bool x_extend, x_cut; /* transformations of windows: read one window before the range */
    int64_t x_tmin;       /* x_cut: rows before it are dropped */
    const struct st_iql_select *user_sel; /* has_trans: the statement (sel has no LIMIT) */
    int64_t interval, offset;             /* GROUP BY time */
    const struct st_tz *tz;               /* tz(): windows and time literals; NULL: UTC */
    const char **group_tags;              /* GROUP BY tag keys, sorted */
    size_t ngroup_tags;
    bool group_all;         /* GROUP BY * */
    const char **group_res; /* GROUP BY /regex/ patterns, expanded by rq_group_regex() */
    size_t ngroup_res;
    struct rq_col *cols; /* output columns, time first, then hidden ones (filter inputs) */
    size_t ncols, cols_cap;
    size_t nout;                           /* the first nout columns are the answer's */
    struct rq_filter *filter;              /* router-side WHERE part (fields), NULL = none */
    const struct st_iql_expr *filter_expr; /* its expression (pushed in part to the nodes) */
    const struct st_iql_select *sel;
    /* Schema of the source over the shards read. */
    const char **fields; /* field keys, sorted */
    Strata__FieldType *field_types;
    size_t nfields;
    const char **tag_keys; /* tag keys, sorted */
    size_t ntag_keys;
    /* Which measurement has which field ("measurement\0field" keys,
     * sorted): a column of a field its measurement lacks is null. */
    const char **mfields;
    size_t nmfields;
    /* FROM (SELECT ...): the inner statement's result, which stands for
     * the shards (query_sub.c); NULL for a measurement source. */
    struct st_qres *sub;
    /* Shards to read, and which owner to ask next. */
    struct rq_shard *shards;
    size_t nshards;
};

struct rq_shard {
    uint64_t id;
    const Strata__Shard *shard;
    size_t next_owner; /* index in shard->owners of the next owner to try */
    bool absent;       /* an owner answered that it does not hold the shard */
};

/* Time ----------------------------------------------------------------- */

/* Parses a time string as InfluxDB accepts it in WHERE clauses:
 * RFC3339 with optional fraction and zone, "2006-01-02 15:04:05[.999999999]"
 * or "2006-01-02"; the last two are wall-clock times of @tz (tz(), NULL:
 * UTC), as Go's time.ParseInLocation reads them. ST_OK or ST_EINVAL. */
int rq_parse_time(const char *s, const struct st_tz *tz, int64_t *ns);

/* GROUP BY time (p->interval > 0): the window [*@start, *@end) holding @t,
 * InfluxDB's IteratorOptions.Window() on p->tz's wall clock. */
void rq_window(const struct rq_plan *p, int64_t t, int64_t *start, int64_t *end);

/* Splits @cond into the time range (AND-ed time comparisons) and the rest:
 * *@rest is @cond without its time terms (NULL when nothing is left).
 * ST_OK, ST_ENOTFOUND (time compared under an OR: InfluxDB 1.6 selects
 * nothing), ST_EINVAL (message in p->err) or ST_ENOMEM. */
int rq_split_time(struct rq_plan *p, const struct st_iql_expr *cond, int64_t now,
                  const struct st_iql_expr **rest);

/* Conditions --------------------------------------------------------------- */

/* Whether @name is a field of the source (p->fields). */
bool rq_is_field(const struct rq_plan *p, const char *name);
/* Whether measurement @m of the source has field @f. */
bool rq_meas_has_field(const struct rq_plan *p, const char *m, const char *f);
/* The type (Strata__FieldType) of field @name of the source, or -1. */
int rq_field_type(const struct rq_plan *p, const char *name);

/* Turns @e (no time terms; only tag comparisons joined by AND / OR) into a
 * TagExpr in p->ar. ST_OK, ST_EINVAL (a field or unsupported term: message
 * in p->err) or ST_ENOMEM. */
int rq_tag_expr(struct rq_plan *p, const struct st_iql_expr *e, Strata__TagExpr **out);

/* Splits @e (no time terms) at its top-level ANDs into the terms that only
 * compare tags (*@tags, sent to the data nodes) and the others (*@rest,
 * evaluated on the router). Either may be NULL. */
int rq_split_cond(struct rq_plan *p, const struct st_iql_expr *e, const struct st_iql_expr **tags,
                  const struct st_iql_expr **rest);

/* Router-side filters (query_eval.c). Compiling adds the fields and tags
 * the expression reads as hidden columns of @p. */
struct rq_filter;
int rq_filter_compile(struct rq_plan *p, const struct st_iql_expr *e, struct rq_filter **out);

/* The part of the router-side WHERE @e the data nodes can evaluate on raw
 * rows (query_push.c), in p's arena; NULL: none (or no memory: the nodes
 * then send every row, which the router filters anyway). */
Strata__FieldCond *rq_field_cond(struct rq_plan *p, const struct st_iql_expr *e);
bool rq_filter_match(const struct rq_filter *f, const struct st_qv *row);
void rq_filter_free(struct rq_filter *f);

/* Appends an output column (cols grows in p->ar). */
int rq_add_col(struct rq_plan *p, struct rq_col c);

/* Fetch ---------------------------------------------------------------------- */

/* Collects the shards of p->db / p->rp whose groups overlap the time range. */
int rq_find_shards(struct rq_plan *p);

/* Reads the field keys (and, with @tags, the tag keys) of the source over
 * the shards into p->fields / p->tag_keys. */
int rq_load_schema(struct rq_plan *p, bool tags);

/* Sends @q (its shard_ids are filled per node) to one owner of every shard,
 * pages through the answers, and hands each SeriesResult to @fn. Retries
 * the shards of an owner that fails on their next owner. ST_OK,
 * ST_EUNAVAIL (message in p->err), ST_ETIMEDOUT, the error of @fn, or
 * ST_ENOMEM. */
typedef int (*rq_series_fn)(void *arg, const Strata__SeriesResult *sr);
int rq_fetch(struct rq_plan *p, Strata__Query *q, rq_series_fn fn, void *arg);

/* Subqueries (query_sub.c) ------------------------------------------------------ */

/* Runs the inner statement @sub within p's time range into p->sub and sets
 * p's schema from its columns and tags. ST_OK, ST_EINVAL / ST_EUNAVAIL
 * (message in p->err) or ST_ENOMEM. */
int rq_sub_run(struct rq_plan *p, const struct st_iql_select *sub, const struct st_query_req *req);

/* rq_fetch() for a subquery source: answers @q from p->sub as a data node
 * would answer it from a shard. */
int rq_sub_fetch(struct rq_plan *p, Strata__Query *q, rq_series_fn fn, void *arg);

/* Sends the schema listing @sq (its shard_ids are filled per node) to one
 * owner of every shard of p->shards, with the failover of rq_fetch(), and
 * hands every entry of every answer to @fn (entries of different nodes
 * come unsorted and may repeat). ST_OK, ST_EUNAVAIL (message in p->err),
 * ST_ETIMEDOUT, the error of @fn, or ST_ENOMEM. */
typedef int (*rq_entry_fn)(void *arg, const Strata__SchemaEntry *e);
int rq_list(struct rq_plan *p, Strata__SchemaQuery *sq, rq_entry_fn fn, void *arg);

/* Series groups ---------------------------------------------------------------
 * The groups of an answer by (measurement, tags), found by hash as pages
 * arrive from any node; items are the executor's (windows or rows). */
struct rq_group {
    char *key; /* measurement \0 key \0 value \0 ... */
    size_t keylen;
    uint64_t hash;
    const char *name;
    Strata__Tag **tags;
    size_t ntags;
    void *items; /* malloc'ed by the executor, freed by rq_groups_fini() */
    size_t n, cap;
};

struct rq_groups {
    struct rq_group **v;
    size_t n, cap;
    struct rq_group **table; /* open addressing */
    size_t tcap;
    struct st_buf key;
};

void rq_groups_init(struct rq_groups *gs);
void rq_groups_fini(struct rq_groups *gs); /* frees the tables and every group's items */
/* The group of @sr (created in @ar on first sight); NULL: out of memory. */
struct rq_group *rq_group_of(struct rq_groups *gs, struct rq_arena *ar,
                             const Strata__SeriesResult *sr);
/* Sorts the groups by (measurement, tags). */
void rq_groups_sort(struct rq_groups *gs, bool desc);
/* GROUP BY /regex/: adds the source's tag keys (p->tag_keys) matching one of
 * p->group_res to p->group_tags (kept sorted, without duplicates), as
 * InfluxDB expands a regex dimension. ST_OK, ST_EINVAL (a bad pattern:
 * message in p->err) or ST_ENOMEM. */
int rq_group_regex(struct rq_plan *p);

/* Points mode (query_pts.c) ------------------------------------------------
 * Aggregates computed on the router from every raw point of a window. */

/* One point of a window: time, value (strings borrowed from the result) and
 * the raw row it came from (p->ncols values, in the plan's arena). */
struct rq_pt {
    int64_t t;
    struct st_qv v;
    const struct st_qv *row;
};

struct rq_pts {
    struct rq_pt *v; /* malloc'ed; rq_pts_fini() frees it */
    size_t n, cap;
};

int rq_pts_add(struct rq_pts *ps, int64_t t, const struct st_qv *v, const struct st_qv *row);
void rq_pts_fini(struct rq_pts *ps);

/* The one-row value of @col (a RQ_FN_POINTS, not RQ_FN_MULTI, function) over
 * the points of a window (sorted in place); *@t is set to the selected
 * point's time for a selector (percentile) and *@row to its row. */
struct st_qv rq_pts_value(const struct rq_col *col, struct rq_pts *ps, int64_t *t,
                          const struct st_qv **row);

/* integral() of a window with GROUP BY time, as InfluxDB's streaming
 * reducer computes it: the area from the end of the previous window with
 * points (@prev: its last point, @prev_end its end; NULL: none) and up to
 * the window's @end, interpolated towards @next (the next window's first
 * point; NULL: none). */
struct st_qv rq_pts_integral(const struct rq_col *col, struct rq_pts *ps, const struct rq_pt *prev,
                             int64_t prev_end, const struct rq_pt *next, int64_t start,
                             int64_t end);
/* The first (or @last) point of @ps by time (sorted in place); NULL if empty. */
const struct rq_pt *rq_pts_edge(struct rq_pts *ps, bool last);

/* The points a RQ_FN_MULTI function selects from a window, in output order
 * (pointers into @ps, which is sorted in place); caller frees *@out. */
int rq_pts_select(const struct rq_col *col, struct rq_pts *ps, const struct rq_pt ***out,
                  size_t *n);

/* Go's sort.Sort (go1.10 .. go1.18: quicksort, heapsort, insertion sort):
 * InfluxDB 1.6 sorts with it, and which of equal points ends where (the time
 * percentile() answers) depends on that algorithm. */
void rq_go_sort(void *base, size_t n, size_t size, bool (*less)(const void *a, const void *b));

/* Plans fn(...) of the functions computed from points (query_plan_pts.c);
 * ST_ENOTFOUND when @e is not one of them. */
int rq_plan_points_call(struct rq_plan *p, const struct st_iql_expr *e, const char *alias);
/* Aggregates mixed with raw fields and tags: allowed with one selector,
 * whose point's row gives the raw columns (else InfluxDB's error). */
int rq_plan_selector_row(struct rq_plan *p);
/* After the columns and the filter: chooses points mode when needed and adds
 * the hidden raw columns it reads. */
int rq_plan_points(struct rq_plan *p);

/* Expressions in the SELECT list (query_expr.c) ----------------------------- */

struct rq_x;
struct rq_out {
    const char *name;
    size_t col;     /* a copy of this exec column when x is NULL */
    struct rq_x *x; /* else: the expression over exec columns */
};
typedef int (*rq_call_fn)(struct rq_plan *p, const struct st_iql_expr *e, const char *alias);

/* Whether SELECT field @e is an expression (arithmetic, math, transformation). */
bool rq_x_is_expr(const struct st_iql_expr *e);
/* Plans expression @e: its leaves become exec columns (calls planned with
 * @plan_call); *@raw / *@agg say whether it reads raw fields / aggregates. */
int rq_x_field(struct rq_plan *p, const struct st_iql_expr *e, const char *alias,
               rq_call_fn plan_call, bool *raw, bool *agg);
/* Output columns copying the exec columns [@from, p->ncols). */
int rq_x_pass(struct rq_plan *p, size_t from);
/* After the SELECT list: output names deduplicated; with a transformation,
 * p->sel becomes a copy without LIMIT / OFFSET (applied by rq_x_apply). */
int rq_x_finish(struct rq_plan *p);
/* Rewrites the series [@first, res->nseries) into the output columns. */
int rq_x_apply(struct rq_plan *p, struct st_qres *res, size_t first);
void rq_x_free(struct rq_plan *p);
/* InfluxDB's arithmetic of two values (null when either is not a number). */
struct st_qv rq_x_arith(enum st_iql_op op, const struct st_qv *a, const struct st_qv *b);
enum rq_trans {
    RQ_T_DERIVATIVE = 1,
    RQ_T_NN_DERIVATIVE,
    RQ_T_DIFFERENCE,
    RQ_T_NN_DIFFERENCE,
    RQ_T_MOVING_AVERAGE,
    RQ_T_CUMULATIVE_SUM,
    RQ_T_ELAPSED,
    /* The technical-analysis functions (query_ta.c). */
    RQ_T_EMA,
    RQ_T_DEMA,
    RQ_T_TEMA,
    RQ_T_RSI,
    RQ_T_TRIX,
    RQ_T_KER,
    RQ_T_KAMA,
    RQ_T_CMO,
    RQ_T_HOLT_WINTERS, /* query_hw.c */
    RQ_T_HOLT_WINTERS_FIT,
};
#define RQ_T_IS_TA(t) ((t) >= RQ_T_EMA && (t) <= RQ_T_CMO)
#define RQ_T_IS_HW(t) ((t) == RQ_T_HOLT_WINTERS || (t) == RQ_T_HOLT_WINTERS_FIT)
/* Transformation @tr over the points (@t, @v) of @nin
 * rows, nulls skipped: the result points into @ot / @ov (room for @nin). */
int rq_x_transform(enum rq_trans tr, int64_t unit, int64_t n, bool desc, const int64_t *t,
                   const struct st_qv *v, size_t nin, int64_t *ot, struct st_qv *ov, size_t *nout);

/* Technical analysis (query_ta.c): InfluxDB 1.6's transformations over
 * the gota algorithms. */
enum rq_warmup { RQ_WARM_EXPONENTIAL = 0, RQ_WARM_SIMPLE, RQ_WARM_NONE };
struct rq_ta {
    enum rq_trans tr;
    int64_t period;
    int64_t hold; /* -1: the algorithm's warm-up count */
    enum rq_warmup warmup;
};
/* Checks the arguments of the TA call @e (period, hold period, warm-up
 * type) as InfluxDB does and fills *@ta. ST_OK, ST_EINVAL (InfluxDB's
 * message in p->err) or ST_ENOMEM. */
int rq_ta_args(struct rq_plan *p, const struct st_iql_expr *e, enum rq_trans tr, struct rq_ta *ta);
/* InfluxDB's error for a TA function of a string or boolean field (@type a
 * Strata__FieldType), or ST_OK. */
int rq_ta_check_type(struct rq_plan *p, const char *fn, int type);
/* Runs @ta over the points (@t, @v) of @nin rows, nulls skipped: the
 * emitted points go to @ot / @ov (room for @nin), *@nout of them. ST_OK or
 * ST_ENOMEM. */
int rq_ta_transform(const struct rq_ta *ta, const int64_t *t, const struct st_qv *v, size_t nin,
                    int64_t *ot, struct st_qv *ov, size_t *nout);

/* holt_winters(): forecasts @h points (season @m, GROUP BY @interval)
 * from the points (@t, @v) of @nin rows, nulls skipped; with @fit the
 * fitted values too. Caller owns *@ot and *@ov (free()); ST_OK or
 * ST_ENOMEM. */
int rq_hw_transform(int64_t h, int64_t m, bool fit, int64_t interval, const int64_t *t,
                    const struct st_qv *v, size_t nin, int64_t **ot, struct st_qv **ov,
                    size_t *nout);

/* Memory in the result (zeroed; NULL when out of memory). */
void *rq_res_alloc(struct st_qres *res, size_t n);

/* Decodes the raw rows of @sr into p->ncols values each (fields and tags of
 * the plan's columns; strings copied into @res), keeping those that pass
 * p->filter. *@rows is in p->ar. */
int rq_raw_decode(struct rq_plan *p, struct st_qres *res, const Strata__SeriesResult *sr,
                  struct st_qv **rows, size_t *n);

/* Execution ---------------------------------------------------------------- */

/* Runs an aggregate / raw plan and appends its series to @res. */
int rq_run_agg(struct rq_plan *p, struct st_qres *res);
int rq_run_raw(struct rq_plan *p, struct st_qres *res);

/* A new empty result. */
int rq_res_new(struct st_qres **out);
/* Removes the last series (no rows, or cut by SLIMIT). */
void rq_res_drop_last(struct st_qres *res);

/* Appends a series to @res (name, tags and columns copied into its memory);
 * rows are appended with rq_res_row(). */
int rq_res_series(struct st_qres *res, const char *name, const Strata__Tag *const *tags,
                  size_t ntags, const struct rq_col *cols, size_t ncols);
/* A new row of the last series: ncolumns values, all NULL; NULL on ENOMEM. */
struct st_qv *rq_res_row(struct st_qres *res);
/* Copies a string into the result's memory. */
const char *rq_res_str(struct st_qres *res, const char *s, size_t len);

/* Sets a statement error (returns ST_EINVAL, or ST_ENOMEM). */
int rq_fail(struct rq_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int64_t rq_mono_ms(void);

#endif
