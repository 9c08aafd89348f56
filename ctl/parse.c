/* stratactl parse: shows what the cluster would make of line protocol.
 *
 * Reads the whole input, parses it with the same parser the routers use, and
 * prints, in line order, one JSON object per point:
 *   {"line":1,"measurement":"cpu","tags":{"host":"a"},
 *    "fields":{"v":{"type":"float","value":1.5}},"time":1600000000000000000,
 *    "series_key":"cpu,host=a"}
 * or per bad line: {"line":2,"error":"unable to parse '...': missing fields"}.
 * Names are unescaped; a field written twice on a line shows its last value,
 * as InfluxDB stores it. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "err.h"
#include "json.h"
#include "lineproto.h"

static int read_all(FILE *f, struct st_buf *out)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (st_buf_append(out, chunk, n) != ST_OK)
            return ST_ENOMEM;
    return ferror(f) ? ST_EIO : ST_OK;
}

/* Appends "name": unescaped name as a JSON string. */
static int put_name(struct st_buf *o, struct st_buf *tmp, struct st_slice s, enum st_lp_kind kind)
{
    st_buf_reset(tmp);
    int rv = st_lp_unescape(tmp, s, kind);
    return rv ? rv : st_json_str(o, tmp->p ? tmp->p : "", tmp->len);
}

static int slice_eq_unescaped(struct st_buf *a, struct st_buf *b, struct st_slice x,
                              struct st_slice y)
{
    st_buf_reset(a);
    st_buf_reset(b);
    if (st_lp_unescape(a, x, ST_LP_FIELD_KEY) || st_lp_unescape(b, y, ST_LP_FIELD_KEY))
        return 0;
    return a->len == b->len && memcmp(a->p ? a->p : "", b->p ? b->p : "", a->len) == 0;
}

static int put_point(struct st_buf *o, const struct st_lp_batch *b, const struct st_lp_point *pt,
                     struct st_buf *tmp, struct st_buf *tmp2)
{
    int rv = st_buf_printf(o, "{\"line\":%" PRIu32 ",\"measurement\":", pt->line_no);
    rv = rv ? rv : put_name(o, tmp, pt->measurement, ST_LP_MEASUREMENT);
    rv = rv ? rv : st_buf_puts(o, ",\"tags\":{");
    for (uint32_t k = 0; rv == ST_OK && k < pt->ntags; k++) {
        const struct st_lp_tag *t = &b->tags[pt->tag0 + k];
        rv = k ? st_buf_putc(o, ',') : ST_OK;
        rv = rv ? rv : put_name(o, tmp, t->key, ST_LP_TAG);
        rv = rv ? rv : st_buf_putc(o, ':');
        rv = rv ? rv : put_name(o, tmp, t->value, ST_LP_TAG);
    }
    rv = rv ? rv : st_buf_puts(o, "},\"fields\":{");
    int first = 1;
    for (uint32_t k = 0; rv == ST_OK && k < pt->nfields; k++) {
        const struct st_lp_field *f = &b->fields[pt->field0 + k];
        int later = 0; /* the last of equal keys wins */
        for (uint32_t j = k + 1; j < pt->nfields && !later; j++)
            later = slice_eq_unescaped(tmp, tmp2, f->key, b->fields[pt->field0 + j].key);
        if (later)
            continue;
        rv = first ? ST_OK : st_buf_putc(o, ',');
        first = 0;
        rv = rv ? rv : put_name(o, tmp, f->key, ST_LP_FIELD_KEY);
        rv =
            rv ? rv : st_buf_printf(o, ":{\"type\":\"%s\",\"value\":", st_field_type_name(f->type));
        if (rv)
            break;
        switch (f->type) {
        case ST_FIELD_FLOAT:
            rv = st_json_double(o, f->v.f);
            break;
        case ST_FIELD_INTEGER:
            rv = st_buf_printf(o, "%" PRId64, f->v.i);
            break;
        case ST_FIELD_UNSIGNED:
            rv = st_buf_printf(o, "%" PRIu64, f->v.u);
            break;
        case ST_FIELD_BOOLEAN:
            rv = st_buf_puts(o, f->v.b ? "true" : "false");
            break;
        case ST_FIELD_STRING:
            rv = put_name(o, tmp, f->v.s, ST_LP_STRING);
            break;
        }
        rv = rv ? rv : st_buf_putc(o, '}');
    }
    rv = rv ? rv : st_buf_printf(o, "},\"time\":%" PRId64 ",\"series_key\":", pt->time);
    if (rv == ST_OK) {
        st_buf_reset(tmp);
        rv = st_lp_series_key(tmp, b, pt);
        rv = rv ? rv : st_json_str(o, tmp->p ? tmp->p : "", tmp->len);
    }
    return rv ? rv : st_buf_puts(o, "}\n");
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int st_ctl_parse(int argc, char **argv, FILE *out, FILE *err)
{
    enum st_precision prec = ST_PRECISION_NS;
    int64_t now = now_ns();
    const char *path = "-";
    int status = 2, npaths = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--precision") == 0 && i + 1 < argc) {
            if (st_precision_parse(argv[++i], &prec) != ST_OK) {
                fprintf(err,
                        "stratactl parse: unknown precision '%s' (use ns, u, us, ms, s, m or h)\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            now = strtoll(argv[++i], &end, 10);
            if (errno || *end || end == argv[i]) {
                fprintf(err, "stratactl parse: --now wants nanoseconds, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(err, "usage: stratactl parse [--precision P] [--now NS] [FILE|-]\n");
            return 2;
        } else {
            path = argv[i];
            npaths++;
        }
    }
    if (npaths > 1) {
        fprintf(err, "usage: stratactl parse [--precision P] [--now NS] [FILE|-]\n");
        return 2;
    }

    struct st_buf in, o, tmp, tmp2;
    struct st_lp_batch b;
    st_buf_init(&in);
    st_buf_init(&o);
    st_buf_init(&tmp);
    st_buf_init(&tmp2);
    st_lp_batch_init(&b);

    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(err, "stratactl parse: %s: %s\n", path, strerror(errno));
        goto out;
    }
    int rv = read_all(f, &in);
    if (f != stdin)
        fclose(f);
    if (rv != ST_OK) {
        fprintf(err, "stratactl parse: %s: %s\n", path, st_strerror(rv));
        goto out;
    }
    rv = st_lp_parse(&b, in.p ? in.p : "", in.len, prec, now);
    /* Points and errors each come in line order: merge them. */
    size_t p = 0, e = 0;
    while (rv == ST_OK && (p < b.npoints || e < b.nerrors)) {
        st_buf_reset(&o);
        if (e < b.nerrors && (p == b.npoints || b.errors[e].line_no < b.points[p].line_no)) {
            struct st_slice t = st_lp_error_text(&b, e);
            rv = st_buf_printf(&o, "{\"line\":%" PRIu32 ",\"error\":", b.errors[e].line_no);
            rv = rv ? rv : st_json_str(&o, t.p, t.len);
            rv = rv ? rv : st_buf_puts(&o, "}\n");
            e++;
        } else {
            rv = put_point(&o, &b, &b.points[p], &tmp, &tmp2);
            p++;
        }
        if (rv == ST_OK && fwrite(o.p, 1, o.len, out) != o.len)
            rv = ST_EIO;
    }
    if (rv != ST_OK) {
        fprintf(err, "stratactl parse: %s\n", st_strerror(rv));
        goto out;
    }
    status = b.nerrors ? 1 : 0;
out:
    st_lp_batch_fini(&b);
    st_buf_fini(&tmp2);
    st_buf_fini(&tmp);
    st_buf_fini(&o);
    st_buf_fini(&in);
    return status;
}
