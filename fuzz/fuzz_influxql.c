/* libFuzzer target: the InfluxQL parser on any bytes. Checks invariants
 * besides "no crash": a parse succeeds or fails with a message, every
 * statement prints, its text is a piece of the input, printing then
 * parsing a catalogue statement gives the same statement back, and so does
 * it for a data statement (SELECT ... DELETE) whenever its printed form
 * parses at all. InfluxDB's printed form of those does not always parse:
 * fill(1e+06), INTO :MEASUREMENT for INTO "", FROM "" printed as nothing,
 * SHOW MEASUREMENTS ON with its database unquoted, call names printed
 * bare ("select"(x) as select(x)). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "influxql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether @n bytes at @needle occur in the @size bytes at @hay (either
 * may hold NUL bytes). */
static int has(const char *hay, size_t size, const char *needle, size_t n)
{
    for (size_t i = 0; n <= size && i + n <= size; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Whether two statements are the same (what st_iql_stmt_string shows). */
static int same(const struct st_iql_stmt *a, const struct st_iql_stmt *b)
{
    struct st_buf x, y;
    st_buf_init(&x);
    st_buf_init(&y);
    int eq = st_iql_stmt_string(a, &x) == ST_OK && st_iql_stmt_string(b, &y) == ST_OK &&
             x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0) && a->kind == b->kind;
    st_buf_fini(&x);
    st_buf_fini(&y);
    return eq;
}

/* Whether @st prints the same after a print/parse round (or its printed
 * form does not parse, see above). */
static int stable(const struct st_iql_stmt *st)
{
    struct st_buf text, err;
    st_buf_init(&text);
    st_buf_init(&err);
    struct st_iql_query *q = NULL;
    int ok = st_iql_stmt_string(st, &text) == ST_OK;
    int rv = ok ? st_iql_parse(text.p, text.len, &q, &err) : ST_ENOMEM;
    if (rv == ST_OK)
        ok = q->n == 1 && same(st, &q->stmts[0]);
    st_iql_free(q);
    st_buf_fini(&text);
    st_buf_fini(&err);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* NUL-terminated exact-size copy: ASan sees any read past the end. */
    char *in = malloc(size + 1);
    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    struct st_iql_query *q = NULL;
    struct st_buf err, s;
    st_buf_init(&err);
    st_buf_init(&s);
    int rv = st_iql_parse(in, size, &q, &err);
    if (rv == ST_EPARSE) {
        /* Most messages end with " at line L, char C"; some of InfluxDB's
         * have no position ("invalid duration", "fill must be ..."). */
        if (err.len == 0)
            abort();
    } else if (rv == ST_OK) {
        for (size_t i = 0; i < q->n; i++) {
            const struct st_iql_stmt *st = &q->stmts[i];
            if (st->what == NULL || st->what[0] == '\0' || st->text == NULL ||
                !has(in, size, st->text, st->text_len))
                abort();
            bool data_stmt = st->kind >= ST_IQL_SELECT;
            if (data_stmt && st->sel == NULL && st->kind != ST_IQL_SHOW_SHARDS &&
                st->kind != ST_IQL_SHOW_SHARD_GROUPS && st->kind != ST_IQL_DROP_MEASUREMENT)
                abort();
            st_buf_reset(&s);
            if (st_iql_stmt_string(st, &s) != ST_OK)
                abort();
            /* Round trip: the printed form of a catalogue statement (with
             * a placeholder for redacted passwords) parses to the same. */
            if (st->kind == ST_IQL_UNSUPPORTED || st->kind == ST_IQL_CREATE_USER ||
                st->kind == ST_IQL_SET_PASSWORD)
                continue;
            struct st_iql_query *again = NULL;
            struct st_buf err2;
            st_buf_init(&err2);
            int rv2 = st_iql_parse(s.p, s.len, &again, &err2);
            if (rv2 == ST_OK && again->n != 1)
                abort();
            if (rv2 == ST_OK && !same(st, &again->stmts[0])) {
                /* A data statement may need one more round: fill(-0)
                 * prints "fill(-0)" but reads back as the integer 0. */
                if (!data_stmt || !stable(&again->stmts[0]))
                    abort();
            }
            /* CREATE DATABASE prints Go durations ("1.5s") that InfluxQL
             * does not read back, and a WITH with nothing to print; the
             * data statements: see above. */
            if (rv2 != ST_OK && rv2 != ST_ENOMEM && st->kind != ST_IQL_CREATE_DATABASE &&
                !data_stmt)
                abort();
            st_iql_free(again);
            st_buf_fini(&err2);
        }
    } else if (rv != ST_ENOMEM) {
        abort();
    }
    st_iql_free(q);
    st_buf_fini(&err);
    st_buf_fini(&s);
    free(in);
    return 0;
}
