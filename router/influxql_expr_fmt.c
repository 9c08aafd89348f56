/* Printing expressions and the data statements as InfluxDB 1.6's String()
 * methods do (InfluxDB puts them in authorization errors, and the fuzzer
 * parses them back). The walk recurses; the parser bounds the height of
 * expressions and the nesting of subqueries. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "influxql_int.h"

const char *iql_op_name(enum st_iql_op op)
{
    switch (op) {
    case ST_IQL_OP_ADD:
        return "+";
    case ST_IQL_OP_SUB:
        return "-";
    case ST_IQL_OP_MUL:
        return "*";
    case ST_IQL_OP_DIV:
        return "/";
    case ST_IQL_OP_MOD:
        return "%";
    case ST_IQL_OP_BITAND:
        return "&";
    case ST_IQL_OP_BITOR:
        return "|";
    case ST_IQL_OP_BITXOR:
        return "^";
    case ST_IQL_OP_AND:
        return "AND";
    case ST_IQL_OP_OR:
        return "OR";
    case ST_IQL_OP_EQ:
        return "=";
    case ST_IQL_OP_NEQ:
        return "!=";
    case ST_IQL_OP_EQREGEX:
        return "=~";
    case ST_IQL_OP_NEQREGEX:
        return "!~";
    case ST_IQL_OP_LT:
        return "<";
    case ST_IQL_OP_LTE:
        return "<=";
    case ST_IQL_OP_GT:
        return ">";
    case ST_IQL_OP_GTE:
        return ">=";
    }
    return "";
}

static const char *cast_name(enum st_iql_cast c)
{
    switch (c) {
    case ST_IQL_CAST_FLOAT:
        return "float";
    case ST_IQL_CAST_INTEGER:
        return "integer";
    case ST_IQL_CAST_UNSIGNED:
        return "unsigned";
    case ST_IQL_CAST_STRING:
        return "string";
    case ST_IQL_CAST_BOOLEAN:
        return "boolean";
    case ST_IQL_CAST_FIELD:
        return "field";
    case ST_IQL_CAST_TAG:
        return "tag";
    default:
        return "";
    }
}

/* @s between @quote characters, with newlines, backslashes and the quote
 * escaped (InfluxDB's qiReplacer and qsReplacer). */
static int put_quoted(struct st_buf *out, const char *s, char quote)
{
    int rv = st_buf_putc(out, quote);
    for (; rv == ST_OK && *s; s++) {
        if (*s == '\n')
            rv = st_buf_puts(out, "\\n");
        else if (*s == '\\' || *s == quote)
            rv = st_buf_printf(out, "\\%c", *s);
        else
            rv = st_buf_putc(out, *s);
    }
    return rv == ST_OK ? st_buf_putc(out, quote) : rv;
}

int iql_quote_segments(struct st_buf *out, const char *const *seg, size_t n)
{
    int rv = ST_OK;
    for (size_t i = 0; rv == ST_OK && i < n; i++) {
        bool empty = seg[i][0] == '\0', edge = i == 0 || i == n - 1;
        if (i > 0)
            rv = st_buf_putc(out, '.');
        if (rv != ST_OK)
            break;
        /* Every segment but the last is quoted, and an empty one at either
         * end; an empty one in the middle stays empty ("db".."m"). */
        if (empty && !edge)
            continue;
        if (!empty && i == n - 1)
            rv = st_iql_quote_ident(out, seg[i]);
        else
            rv = put_quoted(out, seg[i], '"');
    }
    return rv;
}

/* Go's %v of a float64: the shortest digits that read back, in %e form
 * when the exponent is below -4 or at least 6. */
static int put_go_float(struct st_buf *out, double v)
{
    char e[40];
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(e, sizeof e, "%.*e", digits - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    snprintf(e, sizeof e, "%.*e", digits - 1, v);
    const char *x = strchr(e, 'e');
    int exp = x != NULL ? atoi(x + 1) : 0;
    if (exp < -4 || exp >= 6)
        return st_buf_puts(out, e);
    int decimals = digits - 1 - exp;
    return st_buf_printf(out, "%.*f", decimals > 0 ? decimals : 0, v);
}

static int put_regex(struct st_buf *out, const char *re)
{
    int rv = st_buf_putc(out, '/');
    for (; rv == ST_OK && *re; re++)
        rv = *re == '/' ? st_buf_puts(out, "\\/") : st_buf_putc(out, *re);
    return rv == ST_OK ? st_buf_putc(out, '/') : rv;
}

int st_iql_expr_string(const struct st_iql_expr *e, struct st_buf *out)
{
    int rv;
    switch (e->kind) {
    case ST_IQL_E_VARREF:
        rv = st_iql_quote_ident(out, e->name);
        if (rv == ST_OK && e->cast != ST_IQL_CAST_NONE)
            rv = st_buf_printf(out, "::%s", cast_name(e->cast));
        return rv;
    case ST_IQL_E_WILDCARD:
        if (e->cast == ST_IQL_CAST_FIELD || e->cast == ST_IQL_CAST_TAG)
            return st_buf_printf(out, "*::%s", cast_name(e->cast));
        return st_buf_putc(out, '*');
    case ST_IQL_E_REGEX:
        return put_regex(out, e->str);
    case ST_IQL_E_CALL:
        rv = st_buf_printf(out, "%s(", e->name);
        for (size_t i = 0; rv == ST_OK && i < e->nargs; i++) {
            if (i > 0)
                rv = st_buf_puts(out, ", ");
            if (rv == ST_OK)
                rv = st_iql_expr_string(e->args[i], out);
        }
        return rv == ST_OK ? st_buf_putc(out, ')') : rv;
    case ST_IQL_E_BINARY:
        rv = st_iql_expr_string(e->lhs, out);
        if (rv == ST_OK)
            rv = st_buf_printf(out, " %s ", iql_op_name(e->op));
        return rv == ST_OK ? st_iql_expr_string(e->rhs, out) : rv;
    case ST_IQL_E_PAREN:
        rv = st_buf_putc(out, '(');
        if (rv == ST_OK)
            rv = st_iql_expr_string(e->lhs, out);
        return rv == ST_OK ? st_buf_putc(out, ')') : rv;
    case ST_IQL_E_INTEGER:
        return st_buf_printf(out, "%" PRId64, e->i);
    case ST_IQL_E_UNSIGNED:
        return st_buf_printf(out, "%" PRIu64, e->u);
    case ST_IQL_E_NUMBER:
        return st_buf_printf(out, "%.3f", e->f); /* Go's FormatFloat(f, 'f', 3) */
    case ST_IQL_E_STRING:
        return put_quoted(out, e->str, '\'');
    case ST_IQL_E_BOOLEAN:
        return st_buf_puts(out, e->b ? "true" : "false");
    case ST_IQL_E_DURATION:
        return st_iql_fmt_duration(out, e->i);
    case ST_IQL_E_BOUNDPARAM:
        rv = st_buf_putc(out, '$');
        return rv == ST_OK ? st_iql_quote_ident(out, e->name) : rv;
    }
    return ST_EINVAL;
}

/* Statements ---------------------------------------------------------------------------- */

static int put_select(const struct st_iql_select *sel, struct st_buf *out);

/* InfluxDB's Measurement.String(). */
static int put_measurement(struct st_buf *out, const char *db, const char *rp, const char *name,
                           const char *regex)
{
    int rv = ST_OK;
    if (db != NULL) {
        rv = st_iql_quote_ident(out, db);
        if (rv == ST_OK)
            rv = st_buf_putc(out, '.');
    }
    if (rv == ST_OK && rp != NULL)
        rv = st_iql_quote_ident(out, rp);
    if (rv == ST_OK && (db != NULL || rp != NULL))
        rv = st_buf_putc(out, '.');
    if (rv == ST_OK && name != NULL && name[0] != '\0')
        rv = st_iql_quote_ident(out, name);
    else if (rv == ST_OK && regex != NULL)
        rv = put_regex(out, regex);
    return rv;
}

static int put_sources(const struct st_iql_select *sel, struct st_buf *out)
{
    int rv = sel->nsources > 0 ? st_buf_puts(out, " FROM ") : ST_OK;
    for (size_t i = 0; rv == ST_OK && i < sel->nsources; i++) {
        const struct st_iql_source *src = &sel->sources[i];
        if (i > 0)
            rv = st_buf_puts(out, ", ");
        if (rv != ST_OK)
            break;
        if (src->sub != NULL) {
            rv = st_buf_putc(out, '(');
            if (rv == ST_OK)
                rv = put_select(src->sub, out);
            if (rv == ST_OK)
                rv = st_buf_putc(out, ')');
        } else {
            rv = put_measurement(out, src->db, src->rp, src->name, src->regex);
        }
    }
    return rv;
}

static int put_where(const struct st_iql_select *sel, struct st_buf *out)
{
    if (sel->cond == NULL)
        return ST_OK;
    int rv = st_buf_puts(out, " WHERE ");
    return rv == ST_OK ? st_iql_expr_string(sel->cond, out) : rv;
}

/* ORDER BY, LIMIT and OFFSET; the AST keeps only the direction. */
static int put_tail(const struct st_iql_select *sel, struct st_buf *out)
{
    int rv = sel->desc ? st_buf_puts(out, " ORDER BY time DESC") : ST_OK;
    if (rv == ST_OK && sel->limit > 0)
        rv = st_buf_printf(out, " LIMIT %" PRId64, sel->limit);
    if (rv == ST_OK && sel->offset > 0)
        rv = st_buf_printf(out, " OFFSET %" PRId64, sel->offset);
    return rv;
}

static int put_fill(const struct st_iql_select *sel, struct st_buf *out)
{
    switch (sel->fill) {
    case ST_IQL_FILL_NONE:
        return st_buf_puts(out, " fill(none)");
    case ST_IQL_FILL_PREVIOUS:
        return st_buf_puts(out, " fill(previous)");
    case ST_IQL_FILL_LINEAR:
        return st_buf_puts(out, " fill(linear)");
    case ST_IQL_FILL_NUMBER: {
        int rv = st_buf_puts(out, " fill(");
        if (rv == ST_OK && sel->fill_value->kind == ST_IQL_E_NUMBER)
            rv = put_go_float(out, sel->fill_value->f);
        else if (rv == ST_OK)
            rv = st_buf_printf(out, "%" PRId64, sel->fill_value->i);
        return rv == ST_OK ? st_buf_putc(out, ')') : rv;
    }
    default:
        return ST_OK;
    }
}

static int put_dims(const struct st_iql_select *sel, struct st_buf *out)
{
    int rv = ST_OK;
    for (size_t i = 0; rv == ST_OK && i < sel->ndims; i++) {
        rv = st_buf_puts(out, i == 0 ? " GROUP BY " : ", ");
        if (rv == ST_OK)
            rv = st_iql_expr_string(sel->dims[i], out);
    }
    return rv;
}

static int put_select(const struct st_iql_select *sel, struct st_buf *out)
{
    int rv = st_buf_puts(out, "SELECT ");
    for (size_t i = 0; rv == ST_OK && i < sel->nfields; i++) {
        if (i > 0)
            rv = st_buf_puts(out, ", ");
        if (rv == ST_OK)
            rv = st_iql_expr_string(sel->fields[i].expr, out);
        if (rv == ST_OK && sel->fields[i].alias != NULL && sel->fields[i].alias[0] != '\0') {
            rv = st_buf_puts(out, " AS ");
            if (rv == ST_OK)
                rv = st_iql_quote_ident(out, sel->fields[i].alias);
        }
    }
    if (rv == ST_OK && sel->into_measurement != NULL) {
        rv = st_buf_puts(out, " INTO ");
        if (rv == ST_OK)
            rv = put_measurement(out, sel->into_db, sel->into_rp, sel->into_measurement, NULL);
        if (rv == ST_OK && sel->into_measurement[0] == '\0')
            rv = st_buf_puts(out, ":MEASUREMENT");
    }
    if (rv == ST_OK)
        rv = put_sources(sel, out);
    if (rv == ST_OK)
        rv = put_where(sel, out);
    if (rv == ST_OK)
        rv = put_dims(sel, out);
    if (rv == ST_OK)
        rv = put_fill(sel, out);
    if (rv == ST_OK)
        rv = put_tail(sel, out);
    if (rv == ST_OK && sel->slimit > 0)
        rv = st_buf_printf(out, " SLIMIT %" PRId64, sel->slimit);
    if (rv == ST_OK && sel->soffset > 0)
        rv = st_buf_printf(out, " SOFFSET %" PRId64, sel->soffset);
    if (rv == ST_OK && sel->tz != NULL) /* Go's LoadLocation("") is UTC */
        rv = st_buf_printf(out, " TZ('%s')", sel->tz[0] != '\0' ? sel->tz : "UTC");
    return rv;
}

static int put_on(const struct st_iql_stmt *s, struct st_buf *out, bool quote)
{
    if (s->db == NULL || s->db[0] == '\0')
        return ST_OK;
    int rv = st_buf_puts(out, " ON ");
    if (rv != ST_OK)
        return rv;
    /* SHOW MEASUREMENTS prints its database unquoted, as InfluxDB does. */
    return quote ? st_iql_quote_ident(out, s->db) : st_buf_puts(out, s->db);
}

static int put_tag_key_expr(const struct st_iql_select *sel, struct st_buf *out)
{
    static const char *const ops[] = {
        [ST_IQL_KEY_EQ] = "=",     [ST_IQL_KEY_NEQ] = "!=",    [ST_IQL_KEY_IN] = "IN",
        [ST_IQL_KEY_REGEX] = "=~", [ST_IQL_KEY_NREGEX] = "!~",
    };
    int rv = st_buf_printf(out, " WITH KEY %s ", ops[sel->tag_key_op]);
    if (rv != ST_OK)
        return rv;
    switch (sel->tag_key_op) {
    case ST_IQL_KEY_REGEX:
    case ST_IQL_KEY_NREGEX:
        return put_regex(out, sel->tag_key_regex);
    case ST_IQL_KEY_IN:
        rv = st_buf_putc(out, '(');
        for (size_t i = 0; rv == ST_OK && i < sel->ntag_keys; i++) {
            if (i > 0)
                rv = st_buf_puts(out, ", ");
            if (rv == ST_OK)
                rv = st_iql_quote_ident(out, sel->tag_keys[i]);
        }
        return rv == ST_OK ? st_buf_putc(out, ')') : rv;
    default:
        return st_iql_quote_ident(out, sel->tag_keys[0]);
    }
}

/* SHOW <what> [EXACT] CARDINALITY [ON db] [FROM ...] [WITH KEY ...] [WHERE
 * ...] [GROUP BY ...] [LIMIT n] [OFFSET n]. */
static int put_cardinality(const struct st_iql_stmt *s, struct st_buf *out)
{
    static const char *const names[] = {
        [ST_IQL_SHOW_SERIES_CARDINALITY] = "SHOW SERIES",
        [ST_IQL_SHOW_MEASUREMENT_CARDINALITY] = "SHOW MEASUREMENT",
        [ST_IQL_SHOW_TAG_KEY_CARDINALITY] = "SHOW TAG KEY",
        [ST_IQL_SHOW_TAG_VALUES_CARDINALITY] = "SHOW TAG VALUES",
        [ST_IQL_SHOW_FIELD_KEY_CARDINALITY] = "SHOW FIELD KEY",
    };
    const struct st_iql_select *sel = s->sel;
    int rv = st_buf_printf(out, "%s%s CARDINALITY", names[s->kind], s->exact ? " EXACT" : "");
    if (rv == ST_OK)
        rv = put_on(s, out, true);
    if (rv == ST_OK)
        rv = put_sources(sel, out);
    if (rv == ST_OK && s->kind == ST_IQL_SHOW_TAG_VALUES_CARDINALITY)
        rv = put_tag_key_expr(sel, out);
    if (rv == ST_OK)
        rv = put_where(sel, out);
    if (rv == ST_OK)
        rv = put_dims(sel, out);
    if (rv == ST_OK && sel->limit > 0)
        rv = st_buf_printf(out, " LIMIT %" PRId64, sel->limit);
    if (rv == ST_OK && sel->offset > 0)
        rv = st_buf_printf(out, " OFFSET %" PRId64, sel->offset);
    return rv;
}

int iql_data_stmt_string(const struct st_iql_stmt *s, struct st_buf *out)
{
    const struct st_iql_select *sel = s->sel;
    int rv;
    switch (s->kind) {
    case ST_IQL_SELECT:
        return put_select(sel, out);
    case ST_IQL_SHOW_MEASUREMENTS:
        rv = st_buf_puts(out, "SHOW MEASUREMENTS");
        if (rv == ST_OK)
            rv = put_on(s, out, false);
        if (rv == ST_OK && (sel->measurement != NULL || sel->measurement_regex != NULL)) {
            rv = st_buf_puts(out, sel->measurement_regex != NULL ? " WITH MEASUREMENT =~ "
                                                                 : " WITH MEASUREMENT = ");
            if (rv == ST_OK)
                rv = put_measurement(out, NULL, NULL, sel->measurement, sel->measurement_regex);
        }
        break;
    case ST_IQL_SHOW_TAG_KEYS:
        rv = st_buf_puts(out, "SHOW TAG KEYS");
        break;
    case ST_IQL_SHOW_TAG_VALUES:
        rv = st_buf_puts(out, "SHOW TAG VALUES");
        break;
    case ST_IQL_SHOW_FIELD_KEYS:
        rv = st_buf_puts(out, "SHOW FIELD KEYS");
        break;
    case ST_IQL_SHOW_SERIES:
        rv = st_buf_puts(out, "SHOW SERIES");
        break;
    case ST_IQL_SHOW_SHARDS:
        return st_buf_puts(out, "SHOW SHARDS");
    case ST_IQL_SHOW_SHARD_GROUPS:
        return st_buf_puts(out, "SHOW SHARD GROUPS");
    case ST_IQL_DROP_MEASUREMENT:
        rv = st_buf_puts(out, "DROP MEASUREMENT ");
        return rv == ST_OK ? st_iql_quote_ident(out, s->name) : rv;
    case ST_IQL_DROP_SERIES:
    case ST_IQL_DELETE:
        rv = st_buf_puts(out, s->kind == ST_IQL_DELETE ? "DELETE" : "DROP SERIES");
        if (rv == ST_OK)
            rv = put_sources(sel, out);
        return rv == ST_OK ? put_where(sel, out) : rv;
    case ST_IQL_SHOW_SERIES_CARDINALITY:
    case ST_IQL_SHOW_MEASUREMENT_CARDINALITY:
    case ST_IQL_SHOW_TAG_KEY_CARDINALITY:
    case ST_IQL_SHOW_TAG_VALUES_CARDINALITY:
    case ST_IQL_SHOW_FIELD_KEY_CARDINALITY:
        return put_cardinality(s, out);
    default:
        return ST_EINVAL;
    }
    /* The SHOW statements: ON, FROM, WITH KEY, WHERE, ORDER BY, LIMIT,
     * OFFSET, SLIMIT, SOFFSET, those they have. */
    if (rv == ST_OK && s->kind != ST_IQL_SHOW_MEASUREMENTS)
        rv = put_on(s, out, true);
    if (rv == ST_OK)
        rv = put_sources(sel, out);
    if (rv == ST_OK && s->kind == ST_IQL_SHOW_TAG_VALUES)
        rv = put_tag_key_expr(sel, out);
    if (rv == ST_OK)
        rv = put_where(sel, out);
    if (rv == ST_OK)
        rv = put_tail(sel, out);
    if (rv == ST_OK && sel->slimit > 0)
        rv = st_buf_printf(out, " SLIMIT %" PRId64, sel->slimit);
    if (rv == ST_OK && sel->soffset > 0)
        rv = st_buf_printf(out, " SOFFSET %" PRId64, sel->soffset);
    return rv;
}
