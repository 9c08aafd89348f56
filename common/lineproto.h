/* InfluxDB 1.x line protocol: a zero-copy batch parser and canonical series keys. */
#ifndef ST_LINEPROTO_H
#define ST_LINEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A borrowed byte range inside the caller's input. Not NUL-terminated. */
struct st_slice {
    const char *p;
    uint32_t len;
};

enum st_field_type {
    ST_FIELD_FLOAT = 1,
    ST_FIELD_INTEGER = 2,
    ST_FIELD_UNSIGNED = 3,
    ST_FIELD_STRING = 4,
    ST_FIELD_BOOLEAN = 5,
};

/* Returns "float", "integer", "unsigned", "string" or "boolean". */
const char *st_field_type_name(enum st_field_type t);

/* Timestamp precisions of /write?precision= ("n"/"ns", "u"/"us", "ms", "s",
 * "m", "h"). */
enum st_precision {
    ST_PRECISION_NS = 0,
    ST_PRECISION_US,
    ST_PRECISION_MS,
    ST_PRECISION_S,
    ST_PRECISION_M,
    ST_PRECISION_H,
};

/* Parses a precision name (borrows @s). An empty string means ns, as in
 * InfluxDB. ST_OK or ST_EINVAL for an unknown name. */
int st_precision_parse(const char *s, enum st_precision *out);

/* Nanoseconds in one unit of @p. */
int64_t st_precision_ns(enum st_precision p);

/* Tag as written: key and value still escaped (\, \= \  stay in). */
struct st_lp_tag {
    struct st_slice key;
    struct st_slice value;
};

/* Field as written: the key still escaped; a string value is the bytes
 * between the quotes, still escaped (\" and \\ stay in). */
struct st_lp_field {
    struct st_slice key;
    enum st_field_type type;
    union {
        double f;
        int64_t i;
        uint64_t u;
        bool b;
        struct st_slice s;
    } v;
};

/* One parsed point. Its tags are batch->tags[tag0 .. tag0+ntags), sorted by
 * key; its fields are batch->fields[field0 .. field0+nfields) in input order
 * (a key written twice appears twice: the last one wins). */
struct st_lp_point {
    struct st_slice measurement; /* escaped, as written */
    struct st_slice line;        /* the whole line, for error reports */
    uint32_t tag0, ntags;
    uint32_t field0, nfields;
    uint32_t line_no; /* 1-based line number in the body */
    int64_t time;     /* nanoseconds since the epoch */
};

/* A line that did not parse. */
struct st_lp_error {
    uint32_t line_no;    /* 1-based line number in the body */
    uint32_t msg_off;    /* InfluxDB's text, "unable to parse '<line>': <reason>", */
    uint32_t msg_len;    /*   at batch->errtext.p + msg_off */
    uint32_t reason_off; /* the <reason> part alone, inside the same text */
};

/* Caller-embedded parse result. Its arrays grow geometrically and are kept
 * across st_lp_batch_reset(), so a batch reused for many bodies stops
 * allocating: parsing does not allocate per point or per field. */
struct st_lp_batch {
    struct st_lp_point *points;
    size_t npoints, points_cap;
    struct st_lp_tag *tags;
    size_t ntags, tags_cap;
    struct st_lp_field *fields;
    size_t nfields, fields_cap;
    struct st_lp_error *errors;
    size_t nerrors, errors_cap;
    struct st_buf errtext; /* error messages, concatenated */
};

/* Initializes an empty batch; allocates nothing. */
void st_lp_batch_init(struct st_lp_batch *b);

/* Frees the batch's arrays. Safe after init, and twice. */
void st_lp_batch_fini(struct st_lp_batch *b);

/* Forgets points and errors, keeps the memory. */
void st_lp_batch_reset(struct st_lp_batch *b);

/* Parses a line-protocol body and appends its points and errors to @b.
 * Borrows @body: the points' slices point into it and stay valid while it
 * lives. Points without a timestamp get @now_ns truncated to @precision, as
 * InfluxDB does. Returns ST_OK (even when some lines were bad: see
 * b->nerrors) or ST_ENOMEM. */
int st_lp_parse(struct st_lp_batch *b, const char *body, size_t len, enum st_precision precision,
                int64_t now_ns);

/* Where st_lp_parse_some() goes on: a byte offset in the body and the
 * 1-based number of the line starting there. {0, 1} starts a body. */
struct st_lp_cursor {
    size_t pos;
    uint32_t line_no;
};

/* st_lp_parse() of a body in pieces, to bound the batch's memory: parses
 * lines from @cur on until the batch holds @max_points points or the body
 * ends, and moves @cur past them. Done when cur->pos == @len. Line numbers
 * and errors read as if the whole body had been parsed at once (reset the
 * batch between pieces as needed). ST_OK or ST_ENOMEM. */
int st_lp_parse_some(struct st_lp_batch *b, const char *body, size_t len,
                     enum st_precision precision, int64_t now_ns, struct st_lp_cursor *cur,
                     size_t max_points);

/* The full InfluxDB error text of error @i ("unable to parse ...").
 * Valid until the batch is reset or freed. */
static inline struct st_slice st_lp_error_text(const struct st_lp_batch *b, size_t i)
{
    struct st_slice s = {b->errtext.p + b->errors[i].msg_off, b->errors[i].msg_len};
    return s;
}

/* The reason part of error @i ("missing fields", "invalid boolean", ...). */
static inline struct st_slice st_lp_error_reason(const struct st_lp_batch *b, size_t i)
{
    const struct st_lp_error *e = &b->errors[i];
    struct st_slice s = {b->errtext.p + e->reason_off, e->msg_len - (e->reason_off - e->msg_off)};
    return s;
}

/* Which escapes a name kind understands when unescaped. */
enum st_lp_kind {
    ST_LP_MEASUREMENT, /* \, and \  (and \= is read as =) */
    ST_LP_TAG,         /* tag keys and values: \, \= and \  */
    ST_LP_FIELD_KEY,   /* \, \= \  and \" */
    ST_LP_STRING,      /* string field values: \" and \\ */
};

/* Appends the unescaped form of @s to @out. ST_OK or ST_ENOMEM. */
int st_lp_unescape(struct st_buf *out, struct st_slice s, enum st_lp_kind kind);

/* Appends @s (unescaped text) escaped for line protocol as @kind. */
int st_lp_escape(struct st_buf *out, struct st_slice s, enum st_lp_kind kind);

/* Appends the canonical series key of @pt to @out: the measurement with
 * canonical escaping, then ",key=value" for each tag in sorted key order,
 * escaped as line protocol. Equal series give equal keys, whatever order the
 * tags were written in. ST_OK or ST_ENOMEM. */
int st_lp_series_key(struct st_buf *out, const struct st_lp_batch *b, const struct st_lp_point *pt);

/* The 64-bit hash of a series key that routers and data nodes share to pick
 * a shard (XXH3-64, seed 0; stable across versions). */
uint64_t st_series_hash(const void *key, size_t len);

#endif
