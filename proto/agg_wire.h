/* Partial aggregates on the wire: a common/agg.h st_agg as the
 * FieldPartial a data node sends (docs/wire-protocol.md). Shared by the
 * data node's executor and the router's subqueries (st_agg_wire_). */
#ifndef ST_AGG_WIRE_H
#define ST_AGG_WIRE_H

#include <stddef.h>

#include "agg.h"
#include "data.pb-c.h"

/* Allocates @n bytes that live as long as the message (an arena). */
typedef void *(*st_agg_wire_alloc)(void *ctx, size_t n);

/* The FieldPartial of @a for field @field (borrowed, must outlive the
 * message) with the statistics @want (ST_AGG_*) asks for; messages and
 * string copies come from @alloc(@ctx, n). NULL when it fails. */
Strata__FieldPartial *st_agg_wire_partial(const struct st_agg *a, unsigned want, const char *field,
                                          st_agg_wire_alloc alloc, void *ctx);

/* The wire type of a field type. */
Strata__FieldType st_agg_wire_type(enum st_field_type t);

#endif
