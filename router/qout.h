/* The /query answer writer: series and errors of InfluxQL statements as InfluxDB 1.x writes them,
 * JSON (compact or pretty), CSV, whole or chunked (st_qout_). */
#ifndef ST_QOUT_H
#define ST_QOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The body's format: JSON by default, CSV for Accept: application/csv or text/csv. */
enum st_qout_format { ST_QOUT_JSON, ST_QOUT_CSV };

/* The epoch= parameter: how the time column is written. RFC3339 (no
 * epoch=): JSON strings "2006-01-02T15:04:05.999999999Z", CSV nanoseconds.
 * Otherwise an integer, nanoseconds divided by the unit, truncated toward
 * zero like Go's integer division. */
enum st_qout_epoch {
    ST_QOUT_EPOCH_RFC3339 = 0,
    ST_QOUT_EPOCH_NS,
    ST_QOUT_EPOCH_US,
    ST_QOUT_EPOCH_MS,
    ST_QOUT_EPOCH_S,
    ST_QOUT_EPOCH_M,
    ST_QOUT_EPOCH_H
};

/* The epoch for the value of epoch= (@s borrowed; NULL or "" when absent),
 * as InfluxDB's handler reads it: "u", "ms", "s", "m", "h"; any other
 * value, "ns" and "n" too, means nanoseconds. */
enum st_qout_epoch st_qout_epoch_parse(const char *s);

/* How InfluxDB's executor cuts one statement's answer into results. Only a
 * chunked body shows the difference (each result is then a chunk), and a
 * whole body the partial mark of a ROWS series longer than 10000 rows. */
enum st_qout_shape {
    /* SELECT, and the statements InfluxDB runs as one (SHOW SERIES, SHOW
     * FIELD KEYS, SHOW FIELD KEY CARDINALITY, SHOW SERIES EXACT
     * CARDINALITY, SHOW TAG VALUES CARDINALITY WITH KEY ...): a result per
     * series, cut every chunk_size rows; "partial":true on a series that
     * continues in the next result and on every result but the statement's
     * last. A series without rows is not written. */
    ST_QOUT_ROWS,
    /* SHOW TAG KEYS, SHOW TAG VALUES: a result per series, never cut, no
     * partial marks. */
    ST_QOUT_PER_SERIES,
    /* Every other statement: one result holding all its series. */
    ST_QOUT_WHOLE
};

/* One value of a row. Strings are borrowed for the call of st_qout_row. */
enum st_qv_kind {
    ST_QV_NULL,
    ST_QV_FLOAT,
    ST_QV_INT,
    ST_QV_UINT,
    ST_QV_STRING,
    ST_QV_BOOL,
    ST_QV_TIME
};
struct st_qv {
    enum st_qv_kind kind;
    union {
        double f;   /* ST_QV_FLOAT */
        int64_t i;  /* ST_QV_INT */
        uint64_t u; /* ST_QV_UINT */
        bool b;     /* ST_QV_BOOL */
        int64_t t;  /* ST_QV_TIME: nanoseconds since the Unix epoch, UTC */
        struct {
            const char *p; /* ST_QV_STRING: bytes, not NUL-terminated */
            size_t len;
        } s;
    };
};

/* A tag of a series; both strings borrowed for the call. Keys are distinct. */
struct st_qout_tag {
    const char *key, *value;
};

typedef struct st_qout st_qout;

/* Default chunk_size, InfluxDB's DefaultChunkSize; also the length past
 * which a whole body marks a ROWS series "partial":true. */
#define ST_QOUT_CHUNK_SIZE 10000

/*
 * Starts the body of one /query answer. @chunked: chunked=true, each
 * result of InfluxDB's executor is written as a body of its own followed
 * by a newline, and @chunk_size (0: ST_QOUT_CHUNK_SIZE) cuts ROWS series;
 * otherwise @chunk_size is ignored, as InfluxDB ignores chunk_size=
 * without chunked=true. @pretty indents JSON as pretty=true does (CSV
 * ignores it). Caller owns *@out; free with st_qout_free().
 * ST_OK or ST_ENOMEM.
 */
int st_qout_new(enum st_qout_format format, enum st_qout_epoch epoch, bool pretty, bool chunked,
                size_t chunk_size, st_qout **out);

/* Frees @q and every byte not taken yet. NULL is fine. */
void st_qout_free(st_qout *q);

/*
 * The calls for one answer, in this order (anything else is ST_EINVAL):
 *
 *   ( begin_result ( begin_series row* end_series | message )*
 *     [ error ] end_result )*  finish
 *
 * with take() anywhere to collect what is ready. Every statement gets one
 * begin_result/end_result pair, also one without series ({"statement_id":N})
 * and one that failed. The functions return ST_OK, ST_ENOMEM or ST_EINVAL;
 * after ST_ENOMEM the answer is lost: free @q and answer 500.
 */

/* Starts the answer of statement @statement_id, cut into results as @shape says. */
int st_qout_begin_result(st_qout *q, int statement_id, enum st_qout_shape shape);

/* The statement's tz() zone (borrowed until its end_result; NULL: UTC):
 * the time column of its rows is then written in the zone's offset in
 * JSON without epoch= ("2024-01-01T00:00:00-05:00"); epoch= integers and
 * CSV nanoseconds do not change. Call after st_qout_begin_result. */
struct st_tz;
int st_qout_time_zone(st_qout *q, const struct st_tz *tz);

/* Starts a series. @name ("" or NULL for none), @tags (@ntags, any order: they are
 * written sorted by key) and @columns (@ncolumns) are copied as needed.
 * Series of one statement are written in the order they come, assumed
 * distinct (InfluxDB would merge two neighbours of the same name and tags
 * in a whole body). */
int st_qout_begin_series(st_qout *q, const char *name, const struct st_qout_tag *tags, size_t ntags,
                         const char *const *columns, size_t ncolumns);

/* Appends a row of @n values, one per column (@n must be the series'
 * column count). @values are borrowed for the call. A time value in the
 * first column follows the epoch; elsewhere it is written as InfluxDB
 * writes a time it does not convert (RFC3339 in JSON, nanoseconds in CSV).
 * A NaN or infinite float makes InfluxDB's JSON marshal fail: the whole
 * body (a chunk, when chunked) becomes Go's error text, as InfluxDB's. */
int st_qout_row(st_qout *q, const struct st_qv *values, size_t n);

/* Ends the series started last. */
int st_qout_end_series(st_qout *q);

/* Adds {"level":@level,"text":@text} (both copied) to the statement's
 * "messages", written after its series in its last result. CSV drops
 * messages, as InfluxDB's CSV writer does. */
int st_qout_message(st_qout *q, const char *level, const char *text);

/* The statement failed with @msg (copied): its result becomes
 * {"statement_id":N,"error":@msg}. Series and messages not yet written
 * out are dropped, as InfluxDB drops them; with chunked=true, the results
 * already cut stay. CSV drops errors of statements, as InfluxDB does. */
int st_qout_error(st_qout *q, const char *msg);

/* Ends the statement started by st_qout_begin_result. */
int st_qout_end_result(st_qout *q);

/* Appends to @out the bytes ready to send and forgets them: with
 * chunked=true every complete chunk so far (a chunk is complete once what
 * follows it is known, as InfluxDB needs it for its "partial" marks);
 * otherwise nothing, the body is written by st_qout_finish. */
int st_qout_take(st_qout *q, struct st_buf *out);

/* Receives a complete chunk (@n bytes at @p, borrowed for the call) as
 * soon as it is complete. A return other than ST_OK (the client went away:
 * ST_ECANCELED) breaks the writer: the st_qout_ call that completed the
 * chunk returns it, and every call after it fails. */
typedef int (*st_qout_sink)(void *arg, const char *p, size_t n);

/* Chunked only: hands each complete chunk to @fn instead of keeping it for
 * st_qout_take, so that an answer streams while the statements run. Call
 * before the first result. st_qout_finish still appends what is left (the
 * last chunk) to its @out. */
void st_qout_set_sink(st_qout *q, st_qout_sink fn, void *arg);

/* Ends the answer: appends to @out the rest of the body, with InfluxDB's
 * trailing newline for JSON ({} when there were no statements). Call once;
 * @q is then only good for st_qout_free. */
int st_qout_finish(st_qout *q, struct st_buf *out);

/* Appends the body of an answer that failed as a whole (status 4xx/5xx):
 * {"error":@msg} and a newline, indented when @pretty; in CSV "error", a
 * newline, @msg as a CSV field and a newline. ST_OK or ST_ENOMEM. */
int st_qout_error_body(enum st_qout_format format, bool pretty, const char *msg,
                       struct st_buf *out);

#endif
