/* Partial aggregates of one field: fed on data nodes, merged exactly and finalized on routers. */
#ifndef ST_AGG_H
#define ST_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lineproto.h"

/* One value; the member that counts follows the field type: f for floats, i
 * for integers, u for unsigned, b for booleans, s for strings. */
union st_agg_value {
    double f;
    int64_t i;
    uint64_t u;
    bool b;
    struct st_slice s;
};

/* What an aggregate tracks (a bitmask). The count is always tracked.
 * ST_AGG_MOMENTS implies ST_AGG_SUM. Strings support FIRSTLAST only, booleans
 * MINMAX and FIRSTLAST; st_agg_init() drops the bits a type does not support. */
enum {
    ST_AGG_COUNT = 1u << 0,     /* count() (always on) */
    ST_AGG_SUM = 1u << 1,       /* sum(), mean() */
    ST_AGG_MINMAX = 1u << 2,    /* min(), max(), spread() */
    ST_AGG_FIRSTLAST = 1u << 3, /* first(), last() */
    ST_AGG_MOMENTS = 1u << 4,   /* stddev(): Welford mean and m2 */
};

/* The partial aggregate of one field (one type) in one (series group, time
 * window). Public and caller-embedded so that arrays of them are cheap; read
 * the fields directly, change them only through the functions below. It owns
 * the copies of string first/last values: do not copy the struct by
 * assignment (merge into an empty one instead), free it with st_agg_fini().
 *
 * InfluxDB 1.x tie rules (query/call_iterator.go, *MinReduce ... *LastReduce)
 * make the selectors independent of feeding and merge order:
 *   min: smaller value; equal values: earlier time.
 *   max: larger value; equal values: earlier time.
 *   first: earlier time; equal times: larger value (strings bytewise;
 *          booleans: false wins).
 *   last: later time; equal times: larger value (booleans: true wins).
 * Booleans order false < true. Floats: NaN never becomes min or max (it is
 * skipped there; has_minmax stays false if every value is NaN) and loses
 * every first/last tie; sum, mean and stddev propagate it (IEEE). InfluxDB
 * never stores NaN, so none of this is observable through its API. -0 and
 * +0 are equal values, but at equal times -0 is the smaller one, so the sign
 * of a zero does not depend on order either. */
struct st_agg {
    enum st_field_type type;  /* of every value fed; fixed at init */
    unsigned want;            /* ST_AGG_* bits tracked (as masked by st_agg_init) */
    bool has_minmax;          /* min/max hold a value (false while empty or all NaN) */
    uint64_t count;           /* values fed, NaN included */
    double sum;               /* SUM, numbers: sum of the values as doubles, in feeding order */
    int64_t isum;             /* SUM, INTEGER: exact sum, wrapping on overflow like InfluxDB */
    uint64_t usum;            /* SUM, UNSIGNED: exact sum, wrapping on overflow */
    double mean;              /* MOMENTS: running mean (Welford; Chan et al. to merge) */
    double m2;                /* MOMENTS: sum of squared differences from mean */
    union st_agg_value min;   /* MINMAX, when has_minmax: smallest value */
    union st_agg_value max;   /* MINMAX, when has_minmax: largest value */
    int64_t min_t, max_t;     /* their times (after block stats: a time inside the block) */
    union st_agg_value first; /* FIRSTLAST, when count > 0: value at the earliest time */
    union st_agg_value last;  /* FIRSTLAST, when count > 0: value at the latest time */
    int64_t first_t, last_t;  /* their times */
    char *first_buf;          /* owned copy of a string first (first.s points here) */
    char *last_buf;           /* owned copy of a string last (last.s points here) */
    uint32_t first_cap;       /* bytes allocated at first_buf */
    uint32_t last_cap;        /* bytes allocated at last_buf */
};

/* Statistics of a whole block of one series and field, as a segment index
 * stores them (data/segment.h: isum = the low 64 bits of the 128-bit sum,
 * usum the same bits unsigned; booleans in b, not u). */
struct st_agg_block {
    int64_t min_time;         /* time of the block's first point */
    int64_t max_time;         /* time of its last point, >= min_time */
    uint64_t count;           /* points; 0 adds nothing */
    double sum;               /* numbers: sum as doubles */
    int64_t isum;             /* INTEGER: exact sum, wrapped */
    uint64_t usum;            /* UNSIGNED: exact sum, wrapped */
    union st_agg_value min;   /* smallest value (floats: NaN means "all NaN") */
    union st_agg_value max;   /* largest value */
    union st_agg_value first; /* value at min_time (strings: borrowed, copied) */
    union st_agg_value last;  /* value at max_time (strings: borrowed, copied) */
};

/* Starts an empty aggregate of values of @type tracking @want (ST_AGG_*
 * bits; unsupported bits are dropped, MOMENTS adds SUM). Allocates nothing;
 * only on a fresh or finished struct (it would leak string buffers). */
void st_agg_init(struct st_agg *a, enum st_field_type type, unsigned want);

/* Frees the string copies. Safe on a zeroed struct, after init, and twice. */
void st_agg_fini(struct st_agg *a);

/* Empties @a (same type and want) and keeps its string buffers, so an array
 * of aggregates reused for window after window stops allocating. */
void st_agg_reset(struct st_agg *a);

/* Adds the value @v (borrowed; a string is copied when it becomes first or
 * last, and must not point into @a) at time @t. The member of @v read
 * follows a->type. ST_OK, ST_ENOMEM (strings only; @a is then unchanged) or
 * ST_EINVAL for an unknown type. */
int st_agg_add(struct st_agg *a, int64_t t, const union st_agg_value *v);

/* Bulk adders for decoded blocks: the points (t[i], v[i]) for i < @n, in
 * non-decreasing time order within one call (calls may come in any order).
 * The result equals @n calls of st_agg_add() except for rounding in mean/m2.
 * Borrow @t and @v; @t may be NULL when want has neither MINMAX nor
 * FIRSTLAST. ST_EINVAL when a->type is not the adder's type; the string
 * adder may return ST_ENOMEM (then @a is unchanged). */
int st_agg_add_f64(struct st_agg *a, const int64_t *t, const double *v, size_t n);
int st_agg_add_i64(struct st_agg *a, const int64_t *t, const int64_t *v, size_t n);
int st_agg_add_u64(struct st_agg *a, const int64_t *t, const uint64_t *v, size_t n);
int st_agg_add_bool(struct st_agg *a, const int64_t *t, const bool *v, size_t n);
int st_agg_add_str(struct st_agg *a, const int64_t *t, const struct st_slice *v, size_t n);

/* Adds a whole block from its statistics @b (borrowed; string first/last
 * copied). The block's min and max get b->min_time as their time: min_t and
 * max_t are then only a time inside the block, not the time of the value.
 * When those times matter (selecting min() with other fields or with time),
 * the caller must decode the block instead. The double sum is added as one
 * term. ST_EINVAL when @a tracks MOMENTS (stddev needs every value) or
 * min_time > max_time; ST_ENOMEM (strings; @a unchanged). */
int st_agg_add_block(struct st_agg *a, const struct st_agg_block *b);

/* Merges @from (borrowed, unchanged) into @into: counts and sums add (the
 * integer sums wrap), moments combine (Chan et al.), selectors follow the tie
 * rules above, so any merge order gives the same counts, sums of integers
 * and selectors. ST_EINVAL when the types differ, when @from does not track
 * everything @into wants, or when they are the same struct; ST_ENOMEM
 * (strings; @into unchanged). */
int st_agg_merge(struct st_agg *into, const struct st_agg *from);

/* mean(): sum / count as InfluxDB computes it (the sum of the values as
 * doubles over the count). NaN when empty. Needs SUM. */
double st_agg_mean(const struct st_agg *a);

/* stddev(): sample standard deviation sqrt(m2 / (count - 1)) into *@out.
 * False when @a does not track MOMENTS or has fewer than 2 values: InfluxDB
 * 1.x then emits NaN, which its cursor turns into a null value in the row
 * (FloatStddevReduceSlice, query/cursor.go NullFloat) - the router must emit
 * null, not drop or fill the window. */
bool st_agg_stddev(const struct st_agg *a, double *out);

/* spread(): max - min in the field's type into *@out (f for floats; i for
 * integers, wrapping like Go's int64 subtraction; u for unsigned). False when
 * there is no min/max (empty, all NaN, no MINMAX) or for strings and
 * booleans, which InfluxDB's spread() refuses. */
bool st_agg_spread(const struct st_agg *a, union st_agg_value *out);

#endif
