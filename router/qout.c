/* The /query answer writer.
 *
 * InfluxDB 1.x writes /query in two steps. Its executor sends "results" to
 * the HTTP handler: a SELECT one per series, cut every chunk_size rows,
 * each marked "partial" when anything of the statement follows; SHOW TAG
 * KEYS/VALUES one per series; other statements one holding everything
 * (st_qout_shape). The handler then either marshals each result as a body
 * of its own (chunked=true), or merges the results of a statement (rows of
 * a cut series appended to its first piece, which keeps that piece's
 * "partial") and marshals the whole response at the end.
 *
 * This writer renders rows straight into bytes as they come, to the exact
 * bytes of both paths:
 *
 *  - whole body: @body holds {"results":[ and every result so far; a
 *    failed statement cuts its result back to @mark and writes its error
 *    instead. finish() closes it and indents it for pretty=true.
 *  - chunked: @body holds the pending result, the one whose "partial" mark
 *    is not known yet (it is known when the next row, series or the end of
 *    the statement comes). commit() wraps it into {"results":[...]} and
 *    moves it to @ready, which take() hands out.
 *
 * CSV follows InfluxDB's csvFormatter, which keeps the statement of the
 * last header it wrote across chunks: a header (after an empty line but
 * for the first) when a statement with series starts, and again within a
 * result whose series change columns. It writes neither messages nor
 * statement errors.
 *
 * Go's JSON encoder refuses NaN and infinities: InfluxDB then writes the
 * marshal error instead of the response (of the chunk, when chunked). The
 * first such value is remembered in @poison and replaces the output when
 * it is written.
 *
 * Out of memory leaves the object BROKEN: every later call fails.
 */
#include "qout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "qjson.h"
#include "qout_int.h"
#include "tz.h"

enum state { IDLE, IN_RESULT, IN_SERIES, FAILED, FINISHED, BROKEN };

struct st_qout {
    enum st_qout_format fmt;
    int64_t div;       /* epoch divisor of the time column, 0 for RFC3339 */
    bool pretty;       /* JSON indented */
    bool chunked;      /* a body per result */
    size_t chunk_size; /* ROWS: rows per result (whole body: where "partial" marks start) */

    struct st_buf ready;    /* chunked: complete chunks not taken yet */
    struct st_buf body;     /* whole: the body so far; chunked: the pending result's series */
    struct st_buf msgs;     /* JSON messages of the open statement, joined by commas */
    struct st_buf hdr;      /* JSON: the open series object up to its columns; CSV: header line */
    struct st_buf prev_hdr; /* CSV: header of the series before it in the same result */
    struct st_buf rowpfx;   /* CSV: "name,tags" of the open series */
    struct st_buf tmp;      /* scratch: a chunk before indentation, CSV tags */

    enum state state;
    enum st_qout_shape shape; /* of the open statement */
    int stmt;                 /* statement_id of the open statement */
    size_t nresults;          /* statements begun */
    size_t mark;              /* @body offset where the open statement's result starts */
    size_t nseries;           /* series in the open result (whole) or pending result */
    size_t ncols;             /* columns of the open series */
    size_t rows;              /* rows of the open series */
    size_t piece_rows;        /* rows of the open series in the pending result */
    bool started;             /* the open series is in @body */
    const struct st_tz *tz;   /* the open statement's tz() (borrowed), NULL: UTC */
    const char *poison;       /* "NaN", "+Inf", "-Inf": @body cannot be marshaled */
    size_t poison_at;         /* @body offset of that value */
    int csv_stmt;             /* CSV: statement of the last header written, -1 for none */
    int csv_saved;            /* @csv_stmt when the pending/open result began */

    st_qout_sink sink; /* chunked: receives each chunk as it completes (NULL: take()) */
    void *sink_arg;
};

static const char MARSHAL_ERR[] =
    "json: error calling MarshalJSON for type httpd.Response: json: error calling MarshalJSON "
    "for type *query.Result: json: unsupported value: ";

enum st_qout_epoch st_qout_epoch_parse(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return ST_QOUT_EPOCH_RFC3339;
    static const struct {
        const char *name;
        enum st_qout_epoch e;
    } units[] = {{"u", ST_QOUT_EPOCH_US},
                 {"ms", ST_QOUT_EPOCH_MS},
                 {"s", ST_QOUT_EPOCH_S},
                 {"m", ST_QOUT_EPOCH_M},
                 {"h", ST_QOUT_EPOCH_H}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(s, units[i].name) == 0)
            return units[i].e;
    return ST_QOUT_EPOCH_NS;
}

int st_qout_new(enum st_qout_format format, enum st_qout_epoch epoch, bool pretty, bool chunked,
                size_t chunk_size, st_qout **out)
{
    static const int64_t divs[] = {0, 1, 1000, 1000000, 1000000000, 60000000000, 3600000000000};
    if ((unsigned)epoch >= sizeof divs / sizeof divs[0] || (unsigned)format > ST_QOUT_CSV)
        return ST_EINVAL;
    st_qout *q = calloc(1, sizeof *q);
    if (q == NULL)
        return ST_ENOMEM;
    q->fmt = format;
    q->div = divs[epoch];
    q->pretty = pretty && format == ST_QOUT_JSON;
    q->chunked = chunked;
    q->chunk_size = chunked && chunk_size > 0 ? chunk_size : ST_QOUT_CHUNK_SIZE;
    q->csv_stmt = q->csv_saved = -1;
    *out = q;
    return ST_OK;
}

void st_qout_free(st_qout *q)
{
    if (q == NULL)
        return;
    st_buf_fini(&q->ready);
    st_buf_fini(&q->body);
    st_buf_fini(&q->msgs);
    st_buf_fini(&q->hdr);
    st_buf_fini(&q->prev_hdr);
    st_buf_fini(&q->rowpfx);
    st_buf_fini(&q->tmp);
    free(q);
}

void st_qout_set_sink(st_qout *q, st_qout_sink fn, void *arg)
{
    q->sink = fn;
    q->sink_arg = arg;
}

/* Marks @q broken on out of memory (or a sink that refused a chunk). */
static int done(st_qout *q, int rv)
{
    if (rv != ST_OK)
        q->state = BROKEN;
    return rv;
}

static bool json(const st_qout *q)
{
    return q->fmt == ST_QOUT_JSON;
}

static void cut_to(struct st_buf *b, size_t len)
{
    if (b->cap > 0) {
        b->len = len;
        b->p[len] = '\0';
    }
}

/* Appends "," unless @b's object or array has just been opened. */
static int comma(struct st_buf *b)
{
    char last = b->len > 0 ? b->p[b->len - 1] : '{';
    return last == '{' || last == '[' ? ST_OK : st_buf_putc(b, ',');
}

static int json_cstr(struct st_buf *b, const char *s)
{
    return st_qjson_str(b, s, strlen(s));
}

/* Appends compact JSON @src to @out as InfluxDB writes a marshaled body. */
static int put_body(const st_qout *q, struct st_buf *out, const struct st_buf *src)
{
    int rv;
    if (q->poison != NULL) {
        rv = st_buf_puts(out, MARSHAL_ERR);
        if (rv == ST_OK)
            rv = st_buf_puts(out, q->poison);
    } else {
        rv = q->pretty ? st_qjson_indent(out, src->p, src->len)
                       : st_buf_append(out, src->p, src->len);
    }
    return rv == ST_OK ? st_buf_putc(out, '\n') : rv;
}

static int put_messages(st_qout *q, struct st_buf *b)
{
    if (q->msgs.len == 0)
        return ST_OK;
    int rv = st_buf_puts(b, ",\"messages\":[");
    if (rv == ST_OK)
        rv = st_buf_append(b, q->msgs.p, q->msgs.len);
    return rv == ST_OK ? st_buf_putc(b, ']') : rv;
}

/* Chunked: writes the pending result as a body of its own. @last: the
 * statement's last result, which carries its messages. */
static int commit(st_qout *q, bool partial, bool last)
{
    int rv = ST_OK;
    if (json(q)) {
        struct st_buf *t = &q->tmp;
        st_buf_reset(t);
        rv = st_buf_printf(t, "{\"results\":[{\"statement_id\":%d", q->stmt);
        if (rv == ST_OK)
            rv = st_buf_append(t, q->body.p, q->body.len);
        if (rv == ST_OK && q->nseries > 0)
            rv = st_buf_putc(t, ']');
        if (rv == ST_OK && last)
            rv = put_messages(q, t);
        if (rv == ST_OK && partial)
            rv = st_buf_puts(t, ",\"partial\":true");
        if (rv == ST_OK)
            rv = st_buf_puts(t, "}]}");
        if (rv == ST_OK)
            rv = put_body(q, &q->ready, t);
    } else {
        rv = st_buf_append(&q->ready, q->body.p, q->body.len);
    }
    st_buf_reset(&q->body);
    q->nseries = 0;
    q->poison = NULL;
    q->csv_saved = q->csv_stmt;
    if (rv == ST_OK && q->sink != NULL && q->ready.len > 0) {
        rv = q->sink(q->sink_arg, q->ready.p, q->ready.len);
        st_buf_reset(&q->ready);
    }
    return rv;
}

int st_qout_begin_result(st_qout *q, int statement_id, enum st_qout_shape shape)
{
    if (q->state != IDLE)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    q->stmt = statement_id;
    q->shape = shape;
    q->tz = NULL;
    q->nseries = 0;
    q->csv_saved = q->csv_stmt;
    st_buf_reset(&q->msgs);
    int rv = ST_OK;
    if (json(q) && !q->chunked)
        rv = st_buf_puts(&q->body, q->nresults == 0 ? "{\"results\":[" : ",");
    q->mark = q->body.len;
    if (rv == ST_OK && json(q) && !q->chunked)
        rv = st_buf_printf(&q->body, "{\"statement_id\":%d", statement_id);
    q->nresults++;
    q->state = IN_RESULT;
    return done(q, rv);
}

/* Indices of @tags sorted by key, as Go writes a map and models.NewTags sorts. */
static int sort_tags(const struct st_qout_tag *tags, size_t n, size_t **out)
{
    size_t *ix = malloc((n ? n : 1) * sizeof *ix);
    if (ix == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && strcmp(tags[ix[j - 1]].key, tags[i].key) > 0; j--)
            ix[j] = ix[j - 1];
        ix[j] = i;
    }
    *out = ix;
    return ST_OK;
}

/* {"name":...,"tags":{...},"columns":[...] of a series, each member only when not empty. */
static int json_head(st_qout *q, const char *name, const struct st_qout_tag *tags, const size_t *ix,
                     size_t ntags, const char *const *cols, size_t ncols)
{
    struct st_buf *b = &q->hdr;
    int rv = st_buf_putc(b, '{');
    if (rv == ST_OK && name[0] != '\0') {
        rv = st_buf_puts(b, "\"name\":");
        if (rv == ST_OK)
            rv = json_cstr(b, name);
    }
    for (size_t i = 0; rv == ST_OK && i < ntags; i++) {
        rv = comma(b);
        if (rv == ST_OK && i == 0)
            rv = st_buf_puts(b, "\"tags\":{");
        if (rv == ST_OK)
            rv = json_cstr(b, tags[ix[i]].key);
        if (rv == ST_OK)
            rv = st_buf_putc(b, ':');
        if (rv == ST_OK)
            rv = json_cstr(b, tags[ix[i]].value);
        if (rv == ST_OK && i == ntags - 1)
            rv = st_buf_putc(b, '}');
    }
    for (size_t i = 0; rv == ST_OK && i < ncols; i++) {
        rv = comma(b);
        if (rv == ST_OK && i == 0)
            rv = st_buf_puts(b, "\"columns\":[");
        if (rv == ST_OK)
            rv = json_cstr(b, cols[i]);
        if (rv == ST_OK && i == ncols - 1)
            rv = st_buf_putc(b, ']');
    }
    return rv;
}

static int csv_cstr(struct st_buf *b, const char *s)
{
    return qo_csv_field(b, s, strlen(s));
}

/* The header line and the "name,tags" cells of a series. Tags with an
 * empty value are left out, as models.Tags.HashKey leaves them out. */
static int csv_head(st_qout *q, const char *name, const struct st_qout_tag *tags, const size_t *ix,
                    size_t ntags, const char *const *cols, size_t ncols)
{
    int rv = st_buf_puts(&q->hdr, "name,tags");
    for (size_t i = 0; rv == ST_OK && i < ncols; i++) {
        rv = st_buf_putc(&q->hdr, ',');
        if (rv == ST_OK)
            rv = csv_cstr(&q->hdr, cols[i]);
    }
    if (rv == ST_OK)
        rv = st_buf_putc(&q->hdr, '\n');
    struct st_buf *t = &q->tmp;
    st_buf_reset(t);
    for (size_t i = 0; rv == ST_OK && i < ntags; i++) {
        const struct st_qout_tag *g = &tags[ix[i]];
        if (g->value[0] == '\0')
            continue;
        if (t->len > 0)
            rv = st_buf_putc(t, ',');
        if (rv == ST_OK)
            rv = qo_tag_escape(t, g->key, strlen(g->key));
        if (rv == ST_OK)
            rv = st_buf_putc(t, '=');
        if (rv == ST_OK)
            rv = qo_tag_escape(t, g->value, strlen(g->value));
    }
    if (rv == ST_OK)
        rv = csv_cstr(&q->rowpfx, name);
    if (rv == ST_OK)
        rv = st_buf_putc(&q->rowpfx, ',');
    return rv == ST_OK ? qo_csv_field(&q->rowpfx, t->p ? t->p : "", t->len) : rv;
}

/* Opens the series in @body: JSON its head, CSV its header when due. */
static int open_series(st_qout *q)
{
    struct st_buf *b = &q->body;
    int rv = ST_OK;
    if (json(q)) {
        rv = st_buf_puts(b, q->nseries == 0 ? ",\"series\":[" : ",");
        if (rv == ST_OK)
            rv = st_buf_append(b, q->hdr.p, q->hdr.len);
    } else if (q->nseries == 0 ? q->stmt != q->csv_stmt
                               : q->hdr.len != q->prev_hdr.len ||
                                     memcmp(q->hdr.p, q->prev_hdr.p, q->hdr.len) != 0) {
        if (q->nseries > 0 || q->csv_stmt >= 0)
            rv = st_buf_putc(b, '\n');
        if (rv == ST_OK)
            rv = st_buf_append(b, q->hdr.p, q->hdr.len);
        q->csv_stmt = q->stmt;
    }
    if (rv == ST_OK && !json(q)) {
        st_buf_reset(&q->prev_hdr);
        rv = st_buf_append(&q->prev_hdr, q->hdr.p, q->hdr.len);
    }
    q->nseries++;
    q->piece_rows = 0;
    q->started = true;
    return rv;
}

/* The open series enters the pending or open result. */
static int start_series(st_qout *q)
{
    int rv = ST_OK;
    if (q->chunked && q->nseries > 0 && q->shape != ST_QOUT_WHOLE)
        rv = commit(q, q->shape == ST_QOUT_ROWS, false);
    return rv == ST_OK ? open_series(q) : rv;
}

int st_qout_begin_series(st_qout *q, const char *name, const struct st_qout_tag *tags, size_t ntags,
                         const char *const *columns, size_t ncolumns)
{
    if (q->state != IN_RESULT)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    if (name == NULL)
        name = "";
    size_t *ix = NULL;
    int rv = sort_tags(tags, ntags, &ix);
    if (rv != ST_OK)
        return done(q, rv);
    st_buf_reset(&q->hdr);
    st_buf_reset(&q->rowpfx);
    rv = json(q) ? json_head(q, name, tags, ix, ntags, columns, ncolumns)
                 : csv_head(q, name, tags, ix, ntags, columns, ncolumns);
    free(ix);
    q->ncols = ncolumns;
    q->rows = 0;
    q->started = false;
    q->state = IN_SERIES;
    if (rv == ST_OK && q->shape != ST_QOUT_ROWS) /* ROWS: a series exists from its first row */
        rv = start_series(q);
    return done(q, rv);
}

int st_qout_time_zone(st_qout *q, const struct st_tz *tz)
{
    if (q->state != IN_RESULT)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    q->tz = tz;
    return ST_OK;
}

/* A time value: the first column follows epoch=; InfluxDB converts no other
 * (and writes only the first in the statement's tz() zone). */
static int put_time(st_qout *q, struct st_buf *b, int64_t t, size_t col)
{
    if (col == 0 && q->div != 0)
        return qo_i64(b, t / q->div);
    if (!json(q))
        return qo_i64(b, t);
    int rv = st_buf_putc(b, '"');
    if (rv == ST_OK)
        rv = qo_rfc3339(b, t, col == 0 ? (int32_t)(st_tz_offset_ns(q->tz, t) / 1000000000) : 0);
    return rv == ST_OK ? st_buf_putc(b, '"') : rv;
}

static int put_value(st_qout *q, struct st_buf *b, const struct st_qv *v, size_t col)
{
    switch (v->kind) {
    case ST_QV_NULL:
        return json(q) ? st_buf_puts(b, "null") : ST_OK;
    case ST_QV_FLOAT:
        if (!json(q))
            return qo_csv_float(b, v->f);
        if (isfinite(v->f))
            return qo_json_float(b, v->f);
        if (q->poison == NULL) {
            q->poison = isnan(v->f) ? "NaN" : v->f > 0 ? "+Inf" : "-Inf";
            q->poison_at = b->len;
        }
        return st_buf_puts(b, "null");
    case ST_QV_INT:
        return qo_i64(b, v->i);
    case ST_QV_UINT:
        return qo_u64(b, v->u);
    case ST_QV_STRING:
        return json(q) ? st_qjson_str(b, v->s.p, v->s.len) : qo_csv_field(b, v->s.p, v->s.len);
    case ST_QV_BOOL:
        return st_buf_puts(b, v->b ? "true" : "false");
    case ST_QV_TIME:
        return put_time(q, b, v->t, col);
    }
    return ST_EINVAL;
}

int st_qout_row(st_qout *q, const struct st_qv *values, size_t n)
{
    if (q->state != IN_SERIES || n != q->ncols)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    struct st_buf *b = &q->body;
    int rv = ST_OK;
    if (!q->started) {
        rv = start_series(q);
    } else if (q->chunked && q->shape == ST_QOUT_ROWS && q->piece_rows >= q->chunk_size) {
        /* The emitter cuts the series once a row past chunk_size comes. */
        if (json(q))
            rv = st_buf_puts(b, "],\"partial\":true}");
        if (rv == ST_OK)
            rv = commit(q, true, false);
        if (rv == ST_OK)
            rv = open_series(q);
    }
    if (rv == ST_OK && json(q) && q->piece_rows == 0) {
        rv = comma(b);
        if (rv == ST_OK)
            rv = st_buf_puts(b, "\"values\":[[");
    } else if (rv == ST_OK) {
        rv = json(q) ? st_buf_puts(b, ",[") : st_buf_append(b, q->rowpfx.p, q->rowpfx.len);
    }
    for (size_t i = 0; rv == ST_OK && i < n; i++) {
        if (i > 0 || !json(q))
            rv = st_buf_putc(b, ',');
        if (rv == ST_OK)
            rv = put_value(q, b, &values[i], i);
    }
    if (rv == ST_OK)
        rv = st_buf_putc(b, json(q) ? ']' : '\n');
    q->rows++;
    q->piece_rows++;
    return done(q, rv);
}

int st_qout_end_series(st_qout *q)
{
    if (q->state != IN_SERIES)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    q->state = IN_RESULT;
    int rv = ST_OK;
    if (q->started && json(q)) {
        if (q->piece_rows > 0)
            rv = st_buf_putc(&q->body, ']');
        /* Whole body: the handler appended the rest of a cut series to its
         * first piece, which keeps the emitter's "partial". */
        if (rv == ST_OK && !q->chunked && q->shape == ST_QOUT_ROWS && q->rows > q->chunk_size)
            rv = st_buf_puts(&q->body, ",\"partial\":true");
        if (rv == ST_OK)
            rv = st_buf_putc(&q->body, '}');
    }
    return done(q, rv);
}

int st_qout_message(st_qout *q, const char *level, const char *text)
{
    if (q->state != IN_RESULT)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    if (!json(q))
        return ST_OK;
    struct st_buf *b = &q->msgs;
    int rv = b->len > 0 ? st_buf_putc(b, ',') : ST_OK;
    if (rv == ST_OK)
        rv = st_buf_puts(b, "{\"level\":");
    if (rv == ST_OK)
        rv = json_cstr(b, level);
    if (rv == ST_OK)
        rv = st_buf_puts(b, ",\"text\":");
    if (rv == ST_OK)
        rv = json_cstr(b, text);
    if (rv == ST_OK)
        rv = st_buf_putc(b, '}');
    return done(q, rv);
}

int st_qout_error(st_qout *q, const char *msg)
{
    if (q->state != IN_RESULT && q->state != IN_SERIES)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    q->state = FAILED;
    cut_to(&q->body, q->mark);
    if (q->poison != NULL && q->poison_at >= q->mark)
        q->poison = NULL;
    st_buf_reset(&q->msgs);
    q->nseries = 0;
    q->csv_stmt = q->csv_saved;
    if (!json(q))
        return ST_OK;
    int rv = q->chunked ? ST_OK : st_buf_printf(&q->body, "{\"statement_id\":%d", q->stmt);
    if (rv == ST_OK)
        rv = st_buf_puts(&q->body, ",\"error\":");
    if (rv == ST_OK)
        rv = json_cstr(&q->body, msg);
    if (rv == ST_OK && !q->chunked)
        rv = st_buf_putc(&q->body, '}');
    return done(q, rv);
}

int st_qout_end_result(st_qout *q)
{
    if (q->state != IN_RESULT && q->state != FAILED)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    bool failed = q->state == FAILED;
    q->state = IDLE;
    int rv = ST_OK;
    if (q->chunked)
        rv = commit(q, false, !failed);
    else if (json(q) && !failed) {
        if (q->nseries > 0)
            rv = st_buf_putc(&q->body, ']');
        if (rv == ST_OK)
            rv = put_messages(q, &q->body);
        if (rv == ST_OK)
            rv = st_buf_putc(&q->body, '}');
    }
    return done(q, rv);
}

int st_qout_take(st_qout *q, struct st_buf *out)
{
    if (q->state == BROKEN)
        return ST_ENOMEM;
    int rv = st_buf_append(out, q->ready.p, q->ready.len);
    if (rv == ST_OK)
        st_buf_reset(&q->ready);
    return rv;
}

int st_qout_finish(st_qout *q, struct st_buf *out)
{
    if (q->state != IDLE)
        return q->state == BROKEN ? ST_ENOMEM : ST_EINVAL;
    q->state = FINISHED;
    if (q->chunked || !json(q)) {
        int rv = st_qout_take(q, out);
        return rv == ST_OK ? st_buf_append(out, q->body.p, q->body.len) : rv;
    }
    int rv = st_buf_puts(&q->body, q->nresults == 0 ? "{}" : "]}");
    return rv == ST_OK ? put_body(q, out, &q->body) : rv;
}

int st_qout_error_body(enum st_qout_format format, bool pretty, const char *msg, struct st_buf *out)
{
    int rv;
    if (format == ST_QOUT_CSV) {
        rv = st_buf_puts(out, "error\n");
        if (rv == ST_OK)
            rv = csv_cstr(out, msg);
        return rv == ST_OK ? st_buf_putc(out, '\n') : rv;
    }
    struct st_buf t;
    st_buf_init(&t);
    rv = st_buf_puts(&t, "{\"error\":");
    if (rv == ST_OK)
        rv = json_cstr(&t, msg);
    if (rv == ST_OK)
        rv = st_buf_putc(&t, '}');
    if (rv == ST_OK)
        rv = pretty ? st_qjson_indent(out, t.p, t.len) : st_buf_append(out, t.p, t.len);
    if (rv == ST_OK)
        rv = st_buf_putc(out, '\n');
    st_buf_fini(&t);
    return rv;
}
