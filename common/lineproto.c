/* Line protocol batch parser.
 *
 * The happy path: st_lp_parse() walks the body line by line; each line is
 * parsed in one left-to-right pass into a point whose measurement, tags and
 * fields are slices of the body, appended to the batch's arrays. Numbers are
 * converted while scanning; nothing is unescaped or copied, so a warm batch
 * parses without allocating.
 *
 * Compatibility: every decision mirrors InfluxDB 1.x's models package
 * (scanLine, scanKey, scanTags, scanFields, scanNumber, scanBoolean,
 * scanTime) so the same input is accepted or refused with the same reason,
 * quirks included: in measurements and tags a byte after a backslash is never
 * a delimiter, even when the backslash is itself escaped; in the field block
 * a backslash always consumes the next byte. The reasons are InfluxDB's text.
 * Deliberate differences (see docs/line-protocol.md): unsigned values with
 * the 'u' suffix are accepted (InfluxDB OSS 1.x refuses them), a CR before
 * the LF is dropped, and "us" is a precision.
 *
 * Failure: a bad line appends an error ("unable to parse '<line>': <reason>")
 * with its line number, rolls back whatever the line had appended, and the
 * parser goes on with the next line; only ST_ENOMEM stops it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lineproto_int.h"

#define MAX_KEY_LENGTH 65535

/* Per-body parse state. */
struct parser {
    struct st_lp_batch *b;
    int64_t mult;         /* ns per timestamp unit */
    int64_t default_time; /* receive time truncated to the precision */
    const char *err;      /* reason of the last ST_EPARSE */
    char reason[512];     /* room for reasons that quote the input */
};

static int push_tag(struct st_lp_batch *b, const char *base, size_t k0, size_t k1, size_t v0,
                    size_t v1)
{
    if (b->ntags == b->tags_cap &&
        st_array_grow((void **)&b->tags, &b->tags_cap, b->ntags + 1, sizeof(*b->tags)))
        return ST_ENOMEM;
    struct st_lp_tag *t = &b->tags[b->ntags++];
    t->key.p = base + k0;
    t->key.len = (uint32_t)(k1 - k0);
    t->value.p = base + v0;
    t->value.len = (uint32_t)(v1 - v0);
    return ST_OK;
}

static struct st_lp_field *push_field(struct st_lp_batch *b)
{
    if (b->nfields == b->fields_cap &&
        st_array_grow((void **)&b->fields, &b->fields_cap, b->nfields + 1, sizeof(*b->fields)))
        return NULL;
    return &b->fields[b->nfields++];
}

static inline int is_numeric_start(char c)
{
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'N' || c == 'n';
}

static inline int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\0';
}

static size_t skip_ws(const char *buf, size_t n, size_t i)
{
    while (i < n && is_ws(buf[i]))
        i++;
    return i;
}

/* bytes.Compare on two slices. */
static inline int slice_cmp(struct st_slice a, struct st_slice b)
{
    if (a.len && b.len && a.p[0] != b.p[0])
        return (unsigned char)a.p[0] - (unsigned char)b.p[0];
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.p, b.p, n);
    if (c)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

/* Sorts a point's tags by key and reports whether two keys are equal.
 * Tags usually arrive sorted: one pass checks that, and finds duplicates;
 * only unsorted tags pay for an insertion sort and a second pass. */
static int sort_tags(struct st_lp_tag *t, size_t n)
{
    size_t i = 1;
    for (; i < n; i++) {
        int c = slice_cmp(t[i - 1].key, t[i].key);
        if (c == 0)
            return -1;
        if (c > 0)
            break;
    }
    if (i == n)
        return 0;
    for (; i < n; i++) {
        struct st_lp_tag x = t[i];
        size_t j = i;
        while (j > 0 && slice_cmp(t[j - 1].key, x.key) > 0) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = x;
    }
    for (i = 1; i < n; i++)
        if (slice_cmp(t[i - 1].key, t[i].key) == 0)
            return -1;
    return 0;
}

/* Byte classes of the scanners: which bytes stop a scan. */
enum {
    CLS_MEASUREMENT = 1, /* , space */
    CLS_TAG_KEY = 2,     /* , space = */
    CLS_TAG_VALUE = 4,   /* , space = */
    CLS_FIELDS = 8,      /* , space = " \\ */
};

static const uint8_t byte_class[256] = {
    [','] = CLS_MEASUREMENT | CLS_TAG_KEY | CLS_TAG_VALUE | CLS_FIELDS,
    [' '] = CLS_MEASUREMENT | CLS_TAG_KEY | CLS_TAG_VALUE | CLS_FIELDS,
    ['='] = CLS_TAG_KEY | CLS_TAG_VALUE | CLS_FIELDS,
    ['"'] = CLS_FIELDS,
    ['\\'] = CLS_FIELDS,
};

/* The first index j >= @i whose byte is in class @cls and is not escaped,
 * or @n. In measurements and tags InfluxDB takes a byte as escaped when the
 * byte before it is a backslash, whatever precedes that backslash: so a
 * run of backslashes escapes the byte after the run. Needs @i >= 1. */
static inline size_t scan_to(const char *buf, size_t n, size_t i, unsigned cls)
{
    if (i < n && buf[i - 1] == '\\')
        goto escaped;
    while (i < n) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\\') {
        escaped:
            while (i < n && buf[i] == '\\')
                i++;
            i++; /* the escaped byte */
            continue;
        }
        if (byte_class[c] & cls)
            return i;
        i++;
    }
    return n;
}

/* Each scan_* step returns ST_OK, ST_EPARSE with ps->err set to InfluxDB's
 * reason, or ST_ENOMEM. */
#define FAIL(text)        \
    do {                  \
        ps->err = (text); \
        return ST_EPARSE; \
    } while (0)

/* Measurement and tags (scanKey). On success *@pos is the index of the
 * space that ends the key and the point's measurement and tags are set. */
static int scan_key(struct parser *ps, const char *buf, size_t n, size_t *pos, size_t *key_len,
                    struct st_lp_point *pt)
{
    struct st_lp_batch *b = ps->b;
    size_t start = skip_ws(buf, n, *pos), i = start;

    /* scanMeasurement */
    if (i >= n || buf[i] == ',')
        FAIL("missing measurement");
    i = scan_to(buf, n, i + 1, CLS_MEASUREMENT);
    if (i >= n)
        FAIL("missing fields");
    int tags = buf[i] == ',';
    pt->measurement.p = buf + start;
    pt->measurement.len = (uint32_t)(i - start);
    pt->tag0 = (uint32_t)b->ntags;
    pt->ntags = 0;

    /* scanTags: key=value pairs until an unescaped space. */
    while (tags) {
        size_t k0 = ++i; /* past the comma */
        if (i >= n || buf[i] == ' ' || buf[i] == ',' || buf[i] == '=')
            FAIL("missing tag key");
        i = scan_to(buf, n, i + 1, CLS_TAG_KEY);
        if (i >= n || buf[i] != '=')
            FAIL("missing tag value");
        size_t k1 = i++, v0 = i;
        if (i >= n || buf[i] == ',' || buf[i] == ' ')
            FAIL("missing tag value");
        i = scan_to(buf, n, i + 1, CLS_TAG_VALUE);
        if (i >= n)
            FAIL("missing fields");
        if (buf[i] == '=')
            FAIL("invalid tag format");
        tags = buf[i] == ',';
        if (push_tag(b, buf, k0, k1, v0, i) != ST_OK)
            return ST_ENOMEM;
        pt->ntags++;
    }
    if (pt->ntags > 1 && sort_tags(b->tags + pt->tag0, pt->ntags) != 0)
        FAIL("duplicate tags");
    if (i - start > MAX_KEY_LENGTH) {
        snprintf(ps->reason, sizeof(ps->reason), "max key length exceeded: %zu > %d", i - start,
                 MAX_KEY_LENGTH);
        FAIL(ps->reason);
    }
    *pos = i;
    *key_len = i - start;
    return ST_OK;
}

/* scanBoolean from @i; sets the field on success. */
static const char *scan_bool(const char *buf, size_t n, size_t i, size_t *end,
                             struct st_lp_field *f)
{
    size_t start = i;
    char c = buf[i];
    if (c != 't' && c != 'f' && c != 'T' && c != 'F')
        return "invalid boolean";
    for (i++; i < n && buf[i] != ',' && buf[i] != ' '; i++)
        ;
    *end = i;
    size_t len = i - start;
    const char *s = buf + start;
    f->type = ST_FIELD_BOOLEAN;
    f->v.b = c == 't' || c == 'T';
    if (len == 1)
        return NULL;
    int ok;
    switch (c) {
    case 't':
        ok = len == 4 && memcmp(s, "true", 4) == 0;
        break;
    case 'T':
        ok = len == 4 && (memcmp(s, "TRUE", 4) == 0 || memcmp(s, "True", 4) == 0);
        break;
    case 'f':
        ok = len == 5 && memcmp(s, "false", 5) == 0;
        break;
    default:
        ok = len == 5 && (memcmp(s, "FALSE", 5) == 0 || memcmp(s, "False", 5) == 0);
        break;
    }
    return ok ? NULL : "invalid boolean";
}

/* Ends a string value that began with a quote at @v0 and runs to @i. */
static void end_string(struct st_lp_field *f, const char *buf, size_t v0, size_t i)
{
    /* InfluxDB reads a string as the value's bytes minus the first and
     * last byte, so anything after the closing quote stays in. */
    f->v.s.p = buf + v0 + 1;
    f->v.s.len = (uint32_t)(i - v0 >= 2 ? i - v0 - 2 : 0);
}

/* The field block (scanFields). On success *@pos is just past the block. */
static int scan_fields(struct parser *ps, const char *buf, size_t n, size_t *pos,
                       struct st_lp_point *pt)
{
    struct st_lp_batch *b = ps->b;
    size_t i = skip_ws(buf, n, *pos), k0 = i;
    size_t equals = 0, commas = 0;
    int quoted = 0;
    size_t str = SIZE_MAX; /* index of a string field being scanned */
    size_t str0 = 0;       /* where its value starts */
    const char *err;

    pt->field0 = (uint32_t)b->nfields;
    pt->nfields = 0;
    while (i < n) {
        char c = buf[i];
        if (!(byte_class[(unsigned char)c] & CLS_FIELDS)) {
            i++;
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            i += 2;
            continue;
        }
        if (c == '"' && equals > commas) {
            quoted = !quoted;
            i++;
            continue;
        }
        if (c == '=' && !quoted) {
            equals++;
            if ((buf[i - 1] == ' ' || buf[i - 1] == ',') && buf[i - 2] != '\\')
                FAIL("missing field key");
            if (i + 1 >= n || buf[i + 1] == ',' || buf[i + 1] == ' ')
                FAIL("missing field value");
            if (str != SIZE_MAX) { /* "a="x"=1": the line fails below */
                end_string(&b->fields[str], buf, str0, i);
                str = SIZE_MAX;
            }
            struct st_lp_field *f = push_field(b);
            if (f == NULL)
                return ST_ENOMEM;
            pt->nfields++;
            f->key.p = buf + k0;
            f->key.len = (uint32_t)(i - k0);
            char v = buf[i + 1];
            if (is_numeric_start(v)) {
                err = st_lp_scan_number(buf, n, i + 1, &i, f, ps->reason, sizeof(ps->reason));
                if (err)
                    FAIL(err);
                continue;
            }
            if (v != '"') {
                err = scan_bool(buf, n, i + 1, &i, f);
                if (err)
                    FAIL(err);
                continue;
            }
            f->type = ST_FIELD_STRING;
            str = b->nfields - 1;
            str0 = i + 1;
        }
        if (c == ',' && !quoted) {
            commas++;
            if (str != SIZE_MAX) {
                end_string(&b->fields[str], buf, str0, i);
                str = SIZE_MAX;
            }
            k0 = i + 1;
        }
        if (c == ' ' && !quoted)
            break;
        i++;
    }
    if (quoted)
        FAIL("unbalanced quotes");
    if (equals == 0 || commas != equals - 1)
        FAIL("invalid field format");
    if (str != SIZE_MAX)
        end_string(&b->fields[str], buf, str0, i);
    /* InfluxDB splits the block again with scanTo, which takes any '='
     * after a backslash as escaped: a key ending in an escaped backslash
     * ("a\\=1") swallows its '='. Alone it is refused; followed by more
     * fields InfluxDB silently stores a mangled key, which we refuse too. */
    for (uint32_t k = 0; k < pt->nfields; k++) {
        struct st_slice key = b->fields[pt->field0 + k].key;
        if (key.len && key.p[key.len - 1] == '\\') {
            size_t from = (size_t)(key.p - buf);
            snprintf(ps->reason, sizeof(ps->reason), "invalid value: field-key=%.*s",
                     (int)(i - from), key.p);
            FAIL(ps->reason);
        }
    }
    *pos = i;
    return ST_OK;
}

/* strconv.ParseInt(ts, 10, 64) with Go's error text. */
static int parse_ts(struct parser *ps, const char *s, size_t len, int64_t *out)
{
    int neg = s[0] == '-';
    uint64_t v = 0;
    int bad = len == (size_t)neg, range = 0;
    for (size_t k = (size_t)neg; k < len && !bad; k++) {
        uint64_t d = (uint64_t)(s[k] - '0');
        if (v > (UINT64_MAX - d) / 10)
            range = 1;
        else
            v = v * 10 + d;
    }
    if (!bad && !range)
        range = neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX;
    if (bad || range) {
        snprintf(ps->reason, sizeof(ps->reason), "strconv.ParseInt: parsing \"%.*s\": %s", (int)len,
                 s, bad ? "invalid syntax" : "value out of range");
        FAIL(ps->reason);
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return ST_OK;
}

#define MIN_NANO_TIME (INT64_MIN + 2)
#define MAX_NANO_TIME (INT64_MAX - 1)

/* The optional timestamp (scanTime, SafeCalcTime). */
static int scan_time(struct parser *ps, const char *buf, size_t n, size_t i, int64_t *out)
{
    size_t start = skip_ws(buf, n, i);
    for (i = start; i < n && buf[i] != '\n' && buf[i] != ' '; i++) {
        if (i == start && buf[i] == '-')
            continue;
        if (buf[i] < '0' || buf[i] > '9')
            FAIL("bad timestamp");
    }
    if (i == start) {
        *out = ps->default_time;
        return ST_OK;
    }
    int64_t ts;
    if (parse_ts(ps, buf + start, i - start, &ts) != ST_OK)
        return ST_EPARSE;
    int64_t t;
    if (ps->mult == 1 || ts == 0) {
        t = ts;
    } else if (ts == INT64_MIN || __builtin_mul_overflow(ts, ps->mult, &t)) {
        goto out_of_range;
    }
    if (t < MIN_NANO_TIME || t > MAX_NANO_TIME)
        goto out_of_range;
    for (; i < n; i++)
        if (buf[i] != ' ')
            FAIL("point is invalid");
    *out = t;
    return ST_OK;

out_of_range:
    snprintf(ps->reason, sizeof(ps->reason), "time outside range %lld - %lld",
             (long long)MIN_NANO_TIME, (long long)MAX_NANO_TIME);
    FAIL(ps->reason);
}

static int add_error(struct parser *ps, const char *line, size_t len, uint32_t line_no,
                     const char *reason)
{
    struct st_lp_batch *b = ps->b;
    if (b->nerrors == b->errors_cap &&
        st_array_grow((void **)&b->errors, &b->errors_cap, b->nerrors + 1, sizeof(*b->errors)))
        return ST_ENOMEM;
    size_t off = b->errtext.len;
    if (st_buf_puts(&b->errtext, "unable to parse '") || st_buf_append(&b->errtext, line, len) ||
        st_buf_puts(&b->errtext, "': "))
        return ST_ENOMEM;
    size_t roff = b->errtext.len;
    if (st_buf_puts(&b->errtext, reason))
        return ST_ENOMEM;
    struct st_lp_error *e = &b->errors[b->nerrors++];
    e->line_no = line_no;
    e->msg_off = (uint32_t)off;
    e->msg_len = (uint32_t)(b->errtext.len - off);
    e->reason_off = (uint32_t)roff;
    return ST_OK;
}

/* Parses one line (leading whitespace skipped, no newline). */
static int parse_point(struct parser *ps, const char *buf, size_t n, uint32_t line_no)
{
    struct st_lp_batch *b = ps->b;
    size_t ntags = b->ntags, nfields = b->nfields, pos = 0, key_len = 0;
    if (b->npoints == b->points_cap &&
        st_array_grow((void **)&b->points, &b->points_cap, b->npoints + 1, sizeof(*b->points)))
        return ST_ENOMEM;
    struct st_lp_point *pt = &b->points[b->npoints];
    int rv = scan_key(ps, buf, n, &pos, &key_len, pt);
    if (rv == ST_OK)
        rv = scan_fields(ps, buf, n, &pos, pt);
    /* Each field is stored under "<key>#!~#<field>": bound its length. */
    for (uint32_t k = 0; rv == ST_OK && k < pt->nfields; k++) {
        size_t sz = key_len + 4 + b->fields[pt->field0 + k].key.len;
        if (sz > MAX_KEY_LENGTH) {
            snprintf(ps->reason, sizeof(ps->reason), "max key length exceeded: %zu > %d", sz,
                     MAX_KEY_LENGTH);
            ps->err = ps->reason;
            rv = ST_EPARSE;
        }
    }
    if (rv == ST_OK)
        rv = scan_time(ps, buf, n, pos, &pt->time);
    if (rv != ST_OK) {
        b->ntags = ntags;
        b->nfields = nfields;
        return rv == ST_EPARSE ? add_error(ps, buf, n, line_no, ps->err) : rv;
    }
    pt->line.p = buf;
    pt->line.len = (uint32_t)n;
    pt->line_no = line_no;
    b->npoints++;
    return ST_OK;
}

/* scanLine: the end of the line that starts at @pos. A newline inside a
 * quoted field value, or after a backslash, does not end the line. Counts
 * the newlines it steps over in *@extra_lines. */
static size_t scan_line(const char *buf, size_t len, size_t pos, uint32_t *extra_lines)
{
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    /* Without quotes or backslashes the first newline ends the line. */
    if (!memchr(buf + pos, '"', end - pos) && !memchr(buf + pos, '\\', end - pos))
        return end;

    size_t i = pos, equals = 0, commas = 0;
    int quoted = 0, fields = 0;
    while (i < len) {
        char c = buf[i];
        if (c == '\\' && i + 2 < len) {
            if (buf[i + 1] == '\n')
                (*extra_lines)++;
            i += 2;
            continue;
        }
        if (c == ' ')
            fields = 1;
        if (fields) {
            if (!quoted && c == '=') {
                i++;
                equals++;
                continue;
            } else if (!quoted && c == ',') {
                i++;
                commas++;
                continue;
            } else if (c == '"' && equals > commas) {
                i++;
                quoted = !quoted;
                continue;
            }
        }
        if (c == '\n') {
            if (!quoted)
                break;
            (*extra_lines)++;
        }
        i++;
    }
    return i;
}

void st_lp_batch_init(struct st_lp_batch *b)
{
    memset(b, 0, sizeof(*b));
    st_buf_init(&b->errtext);
}

void st_lp_batch_fini(struct st_lp_batch *b)
{
    free(b->points);
    free(b->tags);
    free(b->fields);
    free(b->errors);
    st_buf_fini(&b->errtext);
    st_lp_batch_init(b);
}

void st_lp_batch_reset(struct st_lp_batch *b)
{
    b->npoints = b->ntags = b->nfields = b->nerrors = 0;
    st_buf_reset(&b->errtext);
}

int st_lp_parse(struct st_lp_batch *b, const char *body, size_t len, enum st_precision precision,
                int64_t now_ns)
{
    struct st_lp_cursor cur = {0, 1};
    return st_lp_parse_some(b, body, len, precision, now_ns, &cur, SIZE_MAX);
}

int st_lp_parse_some(struct st_lp_batch *b, const char *body, size_t len,
                     enum st_precision precision, int64_t now_ns, struct st_lp_cursor *cur,
                     size_t max_points)
{
    struct parser ps = {.b = b, .mult = st_precision_ns(precision)};
    /* Like InfluxDB, a point without a timestamp gets the receive time
     * truncated to the precision. */
    ps.default_time = now_ns - now_ns % ps.mult;
    if (now_ns % ps.mult < 0)
        ps.default_time -= ps.mult;

    size_t pos = cur->pos;
    uint32_t line_no = cur->line_no ? cur->line_no : 1;
    int rv = ST_OK;
    while (pos < len && b->npoints < max_points) {
        uint32_t extra = 0;
        size_t end = scan_line(body, len, pos, &extra);
        const char *line = body + pos;
        size_t n = end - pos;
        uint32_t this_line = line_no;
        pos = end + 1;
        line_no += 1 + extra;

        size_t start = skip_ws(line, n, 0);
        if (start >= n || line[start] == '#')
            continue;
        /* Windows line ends: the CR of a CRLF is not part of the line. */
        if (line[n - 1] == '\r')
            n--;
        if (start >= n)
            continue;
        if ((rv = parse_point(&ps, line + start, n - start, this_line)) != ST_OK)
            break;
    }
    cur->pos = pos < len ? pos : len;
    cur->line_no = line_no;
    return rv;
}
