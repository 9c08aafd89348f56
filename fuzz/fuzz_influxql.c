/* libFuzzer target: the InfluxQL parser on any bytes. Checks invariants
 * besides "no crash": a parse succeeds or fails with a message in
 * InfluxDB's form, every statement prints, an unsupported statement's text
 * is a piece of the input, and printing then parsing a catalogue statement
 * gives the same statement back. */
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
        if (err.len == 0 || !has(err.p, err.len, " at line ", 9))
            abort();
    } else if (rv == ST_OK) {
        for (size_t i = 0; i < q->n; i++) {
            const struct st_iql_stmt *st = &q->stmts[i];
            if (st->kind == ST_IQL_UNSUPPORTED &&
                (st->what == NULL || st->what[0] == '\0' || !has(in, size, st->text, st->text_len)))
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
            if (rv2 == ST_OK && (again->n != 1 || !same(st, &again->stmts[0])))
                abort();
            /* CREATE DATABASE prints Go durations ("1.5s") that InfluxQL
             * does not read back, and a WITH with nothing to print. */
            if (rv2 != ST_OK && rv2 != ST_ENOMEM && st->kind != ST_IQL_CREATE_DATABASE)
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
