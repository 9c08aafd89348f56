/* Partial aggregates on the wire: a common/agg.h st_agg as the
 * FieldPartial a data node sends per window, or as an entry of the
 * AggColumn it sends per field when the query asks for columns
 * (docs/wire-protocol.md). Shared by the data node's executor and the
 * router (its merge and its subqueries) (st_agg_wire_). */
#ifndef ST_AGG_WIRE_H
#define ST_AGG_WIRE_H

#include <stddef.h>

#include "agg.h"
#include "data.pb-c.h"

/* Allocates @n bytes that live as long as the message (an arena). */
typedef void *(*st_agg_wire_alloc)(void *ctx, size_t n);

/* The reverse: a borrowed st_agg tracking @want that holds @fp (its
 * strings point into @fp), as the router merges it. */
void st_agg_wire_from_partial(struct st_agg *a, const Strata__FieldPartial *fp, unsigned want);

/* The FieldPartial of @a for field @field (borrowed, must outlive the
 * message) with the statistics @want (ST_AGG_*) asks for; messages and
 * string copies come from @alloc(@ctx, n). NULL when it fails. */
Strata__FieldPartial *st_agg_wire_partial(const struct st_agg *a, unsigned want, const char *field,
                                          st_agg_wire_alloc alloc, void *ctx);

/* Builds one AggColumn, entry by entry. Its memory comes from the
 * allocator; nothing to free. */
struct st_agg_wire_col {
    Strata__AggColumn *col; /* the message */
    unsigned want;          /* statistics filled: st_agg_init()'s mask of want for the type */
    size_t cap;             /* entries the arrays hold */
    size_t first_cap;       /* bytes at first.string_bytes */
    size_t last_cap;        /* bytes at last.string_bytes */
    st_agg_wire_alloc alloc;
    void *ctx;
};

/* Starts the column of field @field (borrowed, must outlive the message)
 * of type @type, with room for @n entries and the arrays that @want
 * (ST_AGG_*) needs. ST_OK or ST_ENOMEM. */
int st_agg_wire_col_init(struct st_agg_wire_col *b, const char *field, enum st_field_type type,
                         unsigned want, size_t n, st_agg_wire_alloc alloc, void *ctx);

/* Appends the partial @a of the window starting at @start (strings are
 * copied). ST_OK; ST_EINVAL when the column is full, @a has another type
 * or tracks less than the column; ST_ENOMEM. */
int st_agg_wire_col_add(struct st_agg_wire_col *b, int64_t start, const struct st_agg *a);

/* Reads the entries of an AggColumn (borrowed; it must outlive the reader
 * and what st_agg_wire_get() gives). */
struct st_agg_wire_reader {
    const Strata__AggColumn *col;
    enum st_field_type type;
    unsigned want; /* st_agg_init()'s mask of the wanted statistics for the type */
    size_t n;      /* entries */
};

/* Checks that @col has a known type and, for each of its n_starts
 * entries, an entry in every array that @want (ST_AGG_*) needs, with
 * string offsets inside their bytes. ST_OK or ST_EINVAL (malformed). */
int st_agg_wire_reader_init(struct st_agg_wire_reader *r, const Strata__AggColumn *col,
                            unsigned want);

/* Entry @i (< r->n) into *@a, initialized here as st_agg_init(type,
 * want) would and filled: a borrowed partial (strings point into the
 * message; no st_agg_fini() needed) to merge into another one, or to take
 * as it is when it holds no string. Returns the window start. */
int64_t st_agg_wire_get(const struct st_agg_wire_reader *r, size_t i, struct st_agg *a);

/* The wire type of a field type. */
Strata__FieldType st_agg_wire_type(enum st_field_type t);

#endif
