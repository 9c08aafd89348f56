/* Unit tests of router/influxql's data statements: the AST that SELECT,
 * SHOW MEASUREMENTS ... DELETE parse into, field by field, and their
 * printed forms as a real InfluxDB 1.6.7 prints them (403 messages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "influxql.h"
#include "testlib.h"

static struct st_iql_query *q;
static struct st_buf err, out;

static void setup(void)
{
    q = NULL;
    st_buf_init(&err);
    st_buf_init(&out);
}

static void teardown(void)
{
    st_iql_free(q);
    q = NULL;
    st_buf_fini(&err);
    st_buf_fini(&out);
}

static int PARSE(const char *text)
{
    st_iql_free(q);
    q = NULL;
    st_buf_reset(&err);
    return st_iql_parse(text, strlen(text), &q, &err);
}

/* The one statement of @text, of @kind. */
static const struct st_iql_stmt *ONE(const char *text, enum st_iql_kind kind)
{
    int rv = PARSE(text);
    ck_assert_msg(rv == ST_OK, "%s: %s", text, err.p ? err.p : "");
    ck_assert_uint_eq(q->n, 1);
    ck_assert_msg(q->stmts[0].kind == kind, "%s: kind %d", text, q->stmts[0].kind);
    return &q->stmts[0];
}

/* The sel of the one SELECT of @text. */
static const struct st_iql_select *SEL(const char *text)
{
    return ONE(text, ST_IQL_SELECT)->sel;
}

/* @e printed. */
static const char *STR(const struct st_iql_expr *e)
{
    st_buf_reset(&out);
    ck_assert_int_eq(st_iql_expr_string(e, &out), ST_OK);
    return out.p;
}

static void check_ref(const struct st_iql_expr *e, const char *name, enum st_iql_cast cast)
{
    ck_assert_int_eq(e->kind, ST_IQL_E_VARREF);
    ck_assert_str_eq(e->name, name);
    ck_assert_int_eq(e->cast, cast);
}

START_TEST(test_select_fields)
{
    const struct st_iql_select *s =
        SEL("SELECT mean(\"value\") AS m, *::field, /^c.*/, \"a b\"::Float, -b, 1.5 + 2 * 3, "
            "DISTINCT host, 'it\\'s', true, -10m, 18446744073709551615, * FROM cpu");
    ck_assert_uint_eq(s->nfields, 12);
    const struct st_iql_field *f = s->fields;
    ck_assert_int_eq(f[0].expr->kind, ST_IQL_E_CALL);
    ck_assert_str_eq(f[0].expr->name, "mean");
    ck_assert_uint_eq(f[0].expr->nargs, 1);
    check_ref(f[0].expr->args[0], "value", ST_IQL_CAST_NONE);
    ck_assert_str_eq(f[0].alias, "m");
    ck_assert_int_eq(f[1].expr->kind, ST_IQL_E_WILDCARD);
    ck_assert_int_eq(f[1].expr->cast, ST_IQL_CAST_FIELD);
    ck_assert_ptr_null(f[1].alias);
    ck_assert_int_eq(f[2].expr->kind, ST_IQL_E_REGEX);
    ck_assert_str_eq(f[2].expr->str, "^c.*");
    check_ref(f[3].expr, "a b", ST_IQL_CAST_FLOAT);
    /* -b is -1 * b */
    ck_assert_int_eq(f[4].expr->kind, ST_IQL_E_BINARY);
    ck_assert_int_eq(f[4].expr->op, ST_IQL_OP_MUL);
    ck_assert_int_eq(f[4].expr->lhs->kind, ST_IQL_E_INTEGER);
    ck_assert_int_eq(f[4].expr->lhs->i, -1);
    check_ref(f[4].expr->rhs, "b", ST_IQL_CAST_NONE);
    /* 1.5 + (2 * 3) */
    const struct st_iql_expr *e = f[5].expr;
    ck_assert_int_eq(e->op, ST_IQL_OP_ADD);
    ck_assert_int_eq(e->lhs->kind, ST_IQL_E_NUMBER);
    ck_assert(e->lhs->f == 1.5);
    ck_assert_int_eq(e->rhs->op, ST_IQL_OP_MUL);
    ck_assert_int_eq(e->rhs->lhs->i, 2);
    ck_assert_int_eq(e->rhs->rhs->i, 3);
    ck_assert_uint_eq(e->height, 3);
    /* DISTINCT host is distinct(host) */
    ck_assert_int_eq(f[6].expr->kind, ST_IQL_E_CALL);
    ck_assert_str_eq(f[6].expr->name, "distinct");
    check_ref(f[6].expr->args[0], "host", ST_IQL_CAST_NONE);
    ck_assert_int_eq(f[7].expr->kind, ST_IQL_E_STRING);
    ck_assert_str_eq(f[7].expr->str, "it's");
    ck_assert_int_eq(f[8].expr->kind, ST_IQL_E_BOOLEAN);
    ck_assert(f[8].expr->b);
    ck_assert_int_eq(f[9].expr->kind, ST_IQL_E_DURATION);
    ck_assert_int_eq(f[9].expr->i, -600000000000LL);
    ck_assert_int_eq(f[10].expr->kind, ST_IQL_E_UNSIGNED);
    ck_assert(f[10].expr->u == UINT64_MAX);
    ck_assert_int_eq(f[11].expr->kind, ST_IQL_E_WILDCARD);
    ck_assert_int_eq(f[11].expr->cast, ST_IQL_CAST_NONE);
    ck_assert_uint_eq(s->nsources, 1);
    ck_assert_str_eq(s->sources[0].name, "cpu");
    ck_assert_ptr_null(s->sources[0].db);
    ck_assert_ptr_null(s->sources[0].rp);
    ck_assert_ptr_null(s->cond);
    ck_assert_uint_eq(s->ndims, 0);
    ck_assert_int_eq(s->fill, ST_IQL_FILL_NULL);
    ck_assert(!s->desc);
    ck_assert_int_eq(s->limit, -1);
    ck_assert_int_eq(s->offset, -1);
    ck_assert_int_eq(s->slimit, -1);
    ck_assert_int_eq(s->soffset, -1);
    ck_assert_ptr_null(s->tz);
    ck_assert_ptr_null(s->into_measurement);

    /* Casts, literals at their limits, calls with several arguments. */
    s = SEL("SELECT a::integer, b::unsigned, c::string, d::boolean, e::tag, \"f\"::field, "
            "-9223372036854775808, top(x, host, 3), count(), Now() FROM m");
    check_ref(s->fields[0].expr, "a", ST_IQL_CAST_INTEGER);
    check_ref(s->fields[1].expr, "b", ST_IQL_CAST_UNSIGNED);
    check_ref(s->fields[2].expr, "c", ST_IQL_CAST_STRING);
    check_ref(s->fields[3].expr, "d", ST_IQL_CAST_BOOLEAN);
    check_ref(s->fields[4].expr, "e", ST_IQL_CAST_TAG);
    check_ref(s->fields[5].expr, "f", ST_IQL_CAST_FIELD);
    ck_assert_int_eq(s->fields[6].expr->kind, ST_IQL_E_INTEGER);
    ck_assert(s->fields[6].expr->i == INT64_MIN);
    ck_assert_uint_eq(s->fields[7].expr->nargs, 3);
    ck_assert_int_eq(s->fields[7].expr->args[2]->i, 3);
    ck_assert_uint_eq(s->fields[8].expr->nargs, 0);
    ck_assert_str_eq(s->fields[9].expr->name, "now");
}
END_TEST

START_TEST(test_select_where_precedence)
{
    /* OR < AND < comparisons < + - | ^ < * / % & */
    const struct st_iql_select *s =
        SEL("SELECT v FROM m WHERE a = 1 OR b > 2 + 3 * c AND host =~ /x/ AND time >= now() - 1h");
    const struct st_iql_expr *c = s->cond;
    ck_assert_int_eq(c->op, ST_IQL_OP_OR);
    ck_assert_int_eq(c->lhs->op, ST_IQL_OP_EQ);
    const struct st_iql_expr *and2 = c->rhs;
    ck_assert_int_eq(and2->op, ST_IQL_OP_AND);
    ck_assert_int_eq(and2->lhs->op, ST_IQL_OP_AND);
    const struct st_iql_expr *gt = and2->lhs->lhs;
    ck_assert_int_eq(gt->op, ST_IQL_OP_GT);
    ck_assert_int_eq(gt->rhs->op, ST_IQL_OP_ADD);
    ck_assert_int_eq(gt->rhs->rhs->op, ST_IQL_OP_MUL);
    const struct st_iql_expr *re = and2->lhs->rhs;
    ck_assert_int_eq(re->op, ST_IQL_OP_EQREGEX);
    ck_assert_int_eq(re->rhs->kind, ST_IQL_E_REGEX);
    ck_assert_str_eq(re->rhs->str, "x");
    const struct st_iql_expr *t = and2->rhs;
    ck_assert_int_eq(t->op, ST_IQL_OP_GTE);
    check_ref(t->lhs, "time", ST_IQL_CAST_NONE);
    ck_assert_int_eq(t->rhs->op, ST_IQL_OP_SUB);
    ck_assert_int_eq(t->rhs->lhs->kind, ST_IQL_E_CALL);
    ck_assert_int_eq(t->rhs->rhs->kind, ST_IQL_E_DURATION);
    ck_assert_int_eq(t->rhs->rhs->i, 3600000000000LL);

    /* Equal precedences associate to the left; parentheses stay. */
    s = SEL("SELECT v FROM m WHERE (a - b - c) <> d % e & f | g ^ h");
    c = s->cond;
    ck_assert_int_eq(c->op, ST_IQL_OP_NEQ);
    ck_assert_int_eq(c->lhs->kind, ST_IQL_E_PAREN);
    ck_assert_int_eq(c->lhs->lhs->op, ST_IQL_OP_SUB);
    ck_assert_int_eq(c->lhs->lhs->lhs->op, ST_IQL_OP_SUB);
    ck_assert_int_eq(c->rhs->op, ST_IQL_OP_BITXOR);
    ck_assert_int_eq(c->rhs->lhs->op, ST_IQL_OP_BITOR);
    ck_assert_int_eq(c->rhs->lhs->lhs->op, ST_IQL_OP_BITAND);
    ck_assert_int_eq(c->rhs->lhs->lhs->lhs->op, ST_IQL_OP_MOD);
    ck_assert_str_eq(STR(c), "(a - b - c) != d % e & f | g ^ h");
    s = SEL("SELECT v FROM m WHERE a !~ /b/ AND c <= 1 AND d < 2.5");
    ck_assert_int_eq(s->cond->lhs->lhs->op, ST_IQL_OP_NEQREGEX);
    ck_assert_int_eq(s->cond->lhs->rhs->op, ST_IQL_OP_LTE);
    ck_assert_int_eq(s->cond->rhs->op, ST_IQL_OP_LT);
    ck_assert_int_eq(SEL("SELECT v FROM m WHERE a / b")->cond->op, ST_IQL_OP_DIV);
}
END_TEST

START_TEST(test_select_sources_into)
{
    const struct st_iql_select *s =
        SEL("SELECT v INTO \"db\".rp.out FROM db.rp.m, db..m, rp.m, /^c/, db./x/, db.rp./y/, "
            "(SELECT max(v) FROM n GROUP BY time(1m)), \"a.b\"");
    ck_assert_str_eq(s->into_db, "db");
    ck_assert_str_eq(s->into_rp, "rp");
    ck_assert_str_eq(s->into_measurement, "out");
    ck_assert_uint_eq(s->nsources, 8);
    const struct st_iql_source *src = s->sources;
    ck_assert_str_eq(src[0].db, "db");
    ck_assert_str_eq(src[0].rp, "rp");
    ck_assert_str_eq(src[0].name, "m");
    ck_assert_str_eq(src[1].db, "db");
    ck_assert_ptr_null(src[1].rp);
    ck_assert_str_eq(src[1].name, "m");
    ck_assert_ptr_null(src[2].db);
    ck_assert_str_eq(src[2].rp, "rp");
    ck_assert_ptr_null(src[3].name);
    ck_assert_str_eq(src[3].regex, "^c");
    /* db./x/ names a policy, as in InfluxDB */
    ck_assert_ptr_null(src[4].db);
    ck_assert_str_eq(src[4].rp, "db");
    ck_assert_str_eq(src[4].regex, "x");
    ck_assert_str_eq(src[5].db, "db");
    ck_assert_str_eq(src[5].rp, "rp");
    ck_assert_str_eq(src[5].regex, "y");
    ck_assert_ptr_nonnull(src[6].sub);
    ck_assert_ptr_null(src[6].name);
    ck_assert_str_eq(src[6].sub->fields[0].expr->name, "max");
    ck_assert_uint_eq(src[6].sub->ndims, 1);
    ck_assert_str_eq(src[7].name, "a.b");

    s = SEL("SELECT v INTO rp.:MEASUREMENT FROM /./");
    ck_assert_ptr_null(s->into_db);
    ck_assert_str_eq(s->into_rp, "rp");
    ck_assert_str_eq(s->into_measurement, "");
    s = SEL("SELECT v INTO db..:MEASUREMENT FROM m");
    ck_assert_str_eq(s->into_db, "db");
    ck_assert_ptr_null(s->into_rp);
    ck_assert_str_eq(s->into_measurement, "");
    s = SEL("SELECT v INTO out FROM m");
    ck_assert_ptr_null(s->into_db);
    ck_assert_ptr_null(s->into_rp);
    ck_assert_str_eq(s->into_measurement, "out");
}
END_TEST

START_TEST(test_select_group_fill_order_limits)
{
    const struct st_iql_select *s =
        SEL("SELECT mean(v) FROM m GROUP BY time(10m, -5m), host, *, /^r/ fill(previous) "
            "ORDER BY time DESC LIMIT 10 OFFSET 20 SLIMIT 3 SOFFSET 4 tz('UTC')");
    ck_assert_uint_eq(s->ndims, 4);
    const struct st_iql_expr *t = s->dims[0];
    ck_assert_int_eq(t->kind, ST_IQL_E_CALL);
    ck_assert_str_eq(t->name, "time");
    ck_assert_uint_eq(t->nargs, 2);
    ck_assert_int_eq(t->args[0]->i, 600000000000LL);
    ck_assert_int_eq(t->args[1]->kind, ST_IQL_E_DURATION);
    ck_assert_int_eq(t->args[1]->i, -300000000000LL);
    check_ref(s->dims[1], "host", ST_IQL_CAST_NONE);
    ck_assert_int_eq(s->dims[2]->kind, ST_IQL_E_WILDCARD);
    ck_assert_int_eq(s->dims[3]->kind, ST_IQL_E_REGEX);
    ck_assert_int_eq(s->fill, ST_IQL_FILL_PREVIOUS);
    ck_assert(s->desc);
    ck_assert_int_eq(s->limit, 10);
    ck_assert_int_eq(s->offset, 20);
    ck_assert_int_eq(s->slimit, 3);
    ck_assert_int_eq(s->soffset, 4);
    ck_assert_str_eq(s->tz, "UTC");

    static const struct {
        const char *q;
        enum st_iql_fill fill;
        enum st_iql_expr_kind kind;
        double v;
    } fills[] = {
        {"SELECT v FROM m fill(none)", ST_IQL_FILL_NONE, 0, 0},
        {"SELECT v FROM m fill(linear)", ST_IQL_FILL_LINEAR, 0, 0},
        {"SELECT v FROM m fill(null)", ST_IQL_FILL_NULL, 0, 0},
        {"SELECT v FROM m fill(\"null\")", ST_IQL_FILL_NULL, 0, 0},
        {"SELECT v FROM m FILL(0)", ST_IQL_FILL_NUMBER, ST_IQL_E_INTEGER, 0},
        {"SELECT v FROM m fill(-7)", ST_IQL_FILL_NUMBER, ST_IQL_E_INTEGER, -7},
        {"SELECT v FROM m fill(-1.5)", ST_IQL_FILL_NUMBER, ST_IQL_E_NUMBER, -1.5},
    };
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
        s = SEL(fills[i].q);
        ck_assert_msg(s->fill == fills[i].fill, "%s", fills[i].q);
        if (fills[i].fill != ST_IQL_FILL_NUMBER) {
            ck_assert_ptr_null(s->fill_value);
            continue;
        }
        ck_assert_int_eq(s->fill_value->kind, fills[i].kind);
        if (fills[i].kind == ST_IQL_E_INTEGER)
            ck_assert(s->fill_value->i == (int64_t)fills[i].v);
        else
            ck_assert(s->fill_value->f == fills[i].v);
    }
    ck_assert(SEL("SELECT v FROM m ORDER BY DESC")->desc);
    ck_assert(!SEL("SELECT v FROM m ORDER BY time ASC")->desc);
    ck_assert(!SEL("SELECT v FROM m ORDER BY time")->desc);
    s = SEL("SELECT v FROM m LIMIT 0 OFFSET 99999999999999999999");
    ck_assert_int_eq(s->limit, 0);
    ck_assert(s->offset == INT64_MAX);
    /* WHERE is kept as written, time terms included. */
    s = SEL("SELECT v FROM m WHERE time > '2020-01-01T00:00:00Z' GROUP BY time(1h)");
    ck_assert_int_eq(s->cond->op, ST_IQL_OP_GT);
    ck_assert_int_eq(s->cond->rhs->kind, ST_IQL_E_STRING);
}
END_TEST

START_TEST(test_show_statements)
{
    const struct st_iql_stmt *s =
        ONE("SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /^c/ WHERE a = 'b' LIMIT 2 OFFSET 3",
            ST_IQL_SHOW_MEASUREMENTS);
    ck_assert_str_eq(s->db, "db");
    ck_assert_ptr_null(s->sel->measurement);
    ck_assert_str_eq(s->sel->measurement_regex, "^c");
    ck_assert_int_eq(s->sel->cond->op, ST_IQL_OP_EQ);
    ck_assert_int_eq(s->sel->limit, 2);
    ck_assert_int_eq(s->sel->offset, 3);
    s = ONE("SHOW MEASUREMENTS WITH MEASUREMENT = db.rp.cpu", ST_IQL_SHOW_MEASUREMENTS);
    ck_assert_ptr_null(s->db);
    ck_assert_str_eq(s->sel->measurement, "cpu");
    ck_assert_ptr_null(s->sel->measurement_regex);
    ck_assert_int_eq(s->sel->limit, -1);

    s = ONE("SHOW TAG KEYS ON db FROM cpu, /^m/ WHERE host = 'a' ORDER BY time DESC LIMIT 1 "
            "OFFSET 2 SLIMIT 3 SOFFSET 4",
            ST_IQL_SHOW_TAG_KEYS);
    ck_assert_str_eq(s->db, "db");
    ck_assert_uint_eq(s->sel->nsources, 2);
    ck_assert_str_eq(s->sel->sources[1].regex, "^m");
    ck_assert(s->sel->desc);
    ck_assert_int_eq(s->sel->soffset, 4);

    s = ONE("SHOW TAG VALUES FROM cpu WITH KEY IN (host, \"a b\") WHERE x = 1",
            ST_IQL_SHOW_TAG_VALUES);
    ck_assert_int_eq(s->sel->tag_key_op, ST_IQL_KEY_IN);
    ck_assert_uint_eq(s->sel->ntag_keys, 2);
    ck_assert_str_eq(s->sel->tag_keys[0], "host");
    ck_assert_str_eq(s->sel->tag_keys[1], "a b");
    static const struct {
        const char *q;
        enum st_iql_key_op op;
        const char *key, *regex;
    } keys[] = {
        {"SHOW TAG VALUES WITH KEY = host", ST_IQL_KEY_EQ, "host", NULL},
        {"SHOW TAG VALUES WITH KEY != host", ST_IQL_KEY_NEQ, "host", NULL},
        {"SHOW TAG VALUES WITH KEY =~ /h.*/", ST_IQL_KEY_REGEX, NULL, "h.*"},
        {"SHOW TAG VALUES WITH KEY !~ /h/", ST_IQL_KEY_NREGEX, NULL, "h"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        s = ONE(keys[i].q, ST_IQL_SHOW_TAG_VALUES);
        ck_assert_int_eq(s->sel->tag_key_op, keys[i].op);
        if (keys[i].key != NULL) {
            ck_assert_uint_eq(s->sel->ntag_keys, 1);
            ck_assert_str_eq(s->sel->tag_keys[0], keys[i].key);
        } else {
            ck_assert_str_eq(s->sel->tag_key_regex, keys[i].regex);
        }
    }

    s = ONE("SHOW FIELD KEYS ON \"my db\" FROM cpu LIMIT 5", ST_IQL_SHOW_FIELD_KEYS);
    ck_assert_str_eq(s->db, "my db");
    ck_assert_str_eq(s->sel->sources[0].name, "cpu");
    ck_assert_int_eq(s->sel->limit, 5);
    s = ONE("SHOW SERIES ON db FROM cpu WHERE host = 'a' OFFSET 1", ST_IQL_SHOW_SERIES);
    ck_assert_str_eq(s->db, "db");
    ck_assert_ptr_nonnull(s->sel->cond);
    ck_assert_int_eq(s->sel->offset, 1);
    ck_assert_ptr_null(ONE("SHOW SERIES EXACT", ST_IQL_SHOW_SERIES)->db);
    ONE("SHOW SHARDS", ST_IQL_SHOW_SHARDS);
    ONE("SHOW SHARD GROUPS", ST_IQL_SHOW_SHARD_GROUPS);
    /* The cardinality statements: their name, EXACT and clauses. */
    s = ONE("SHOW SERIES EXACT CARDINALITY ON db FROM /x;y/ WHERE a = 'b' GROUP BY c LIMIT 2 "
            "OFFSET 1",
            ST_IQL_SHOW_SERIES_CARDINALITY);
    ck_assert_str_eq(s->what, "SHOW SERIES EXACT CARDINALITY");
    ck_assert(s->exact);
    ck_assert_str_eq(s->db, "db");
    ck_assert_str_eq(s->sel->sources[0].regex, "x;y");
    ck_assert_ptr_nonnull(s->sel->cond);
    ck_assert_uint_eq(s->sel->ndims, 1);
    ck_assert_int_eq(s->sel->limit, 2);
    ck_assert_int_eq(s->sel->offset, 1);
    ck_assert(!st_iql_card_estimate(s));
    s = ONE("SHOW SERIES CARDINALITY", ST_IQL_SHOW_SERIES_CARDINALITY);
    ck_assert(!s->exact);
    ck_assert(st_iql_card_estimate(s));
    ck_assert(!st_iql_card_estimate(
        ONE("SHOW SERIES CARDINALITY FROM m", ST_IQL_SHOW_SERIES_CARDINALITY)));
    s = ONE("SHOW MEASUREMENT CARDINALITY ON db", ST_IQL_SHOW_MEASUREMENT_CARDINALITY);
    ck_assert_str_eq(s->what, "SHOW MEASUREMENT CARDINALITY");
    ck_assert(st_iql_card_estimate(s));
    s = ONE("SHOW MEASUREMENT EXACT CARDINALITY WHERE a = 'b'",
            ST_IQL_SHOW_MEASUREMENT_CARDINALITY);
    ck_assert_str_eq(s->what, "SHOW MEASUREMENT EXACT CARDINALITY");
    ck_assert(s->exact);
    s = ONE("SHOW TAG VALUES CARDINALITY WITH KEY = k", ST_IQL_SHOW_TAG_VALUES_CARDINALITY);
    ck_assert_str_eq(s->what, "SHOW TAG VALUES CARDINALITY");
    ck_assert_int_eq(s->sel->tag_key_op, ST_IQL_KEY_EQ);
    ck_assert_str_eq(s->sel->tag_keys[0], "k");
    s = ONE("SHOW TAG VALUES EXACT CARDINALITY FROM m WITH KEY IN (a, b)",
            ST_IQL_SHOW_TAG_VALUES_CARDINALITY);
    ck_assert_str_eq(s->what, "SHOW TAG VALUES EXACT CARDINALITY");
    ck_assert_uint_eq(s->sel->ntag_keys, 2);
    ck_assert(!st_iql_card_estimate(s));
    s = ONE("SHOW TAG KEY EXACT CARDINALITY FROM m", ST_IQL_SHOW_TAG_KEY_CARDINALITY);
    ck_assert_str_eq(s->what, "SHOW TAG KEY EXACT CARDINALITY");
    s = ONE("SHOW FIELD KEY CARDINALITY", ST_IQL_SHOW_FIELD_KEY_CARDINALITY);
    ck_assert_str_eq(s->what, "SHOW FIELD KEY CARDINALITY");
    ck_assert(!st_iql_card_estimate(s));
}
END_TEST

START_TEST(test_drop_delete)
{
    const struct st_iql_stmt *s = ONE("DROP MEASUREMENT \"my m\"", ST_IQL_DROP_MEASUREMENT);
    ck_assert_str_eq(s->name, "my m");
    s = ONE("DROP SERIES FROM cpu, /^m/ WHERE host = 'a'", ST_IQL_DROP_SERIES);
    ck_assert_uint_eq(s->sel->nsources, 2);
    ck_assert_ptr_nonnull(s->sel->cond);
    s = ONE("DROP SERIES WHERE host = 'a'", ST_IQL_DROP_SERIES);
    ck_assert_uint_eq(s->sel->nsources, 0);
    s = ONE("DELETE FROM cpu", ST_IQL_DELETE);
    ck_assert_ptr_null(s->sel->cond);
    ck_assert_str_eq(s->sel->sources[0].name, "cpu");
    s = ONE("DELETE WHERE time < '2020-01-01'", ST_IQL_DELETE);
    ck_assert_uint_eq(s->sel->nsources, 0);
    ck_assert_int_eq(s->sel->cond->op, ST_IQL_OP_LT);
}
END_TEST

/* Every statement keeps its leading keywords and its text. */
START_TEST(test_what_and_text)
{
    ck_assert_int_eq(PARSE("SELECT * FROM /;/ ; show tag values with key = a;DROP SERIES "
                           "WHERE a =~ /;/ -- c\n;  EXPLAIN SELECT a FROM b  "),
                     ST_OK);
    ck_assert_uint_eq(q->n, 4);
    static const struct {
        enum st_iql_kind kind;
        const char *what, *text;
    } want[] = {
        {ST_IQL_SELECT, "SELECT", "SELECT * FROM /;/"},
        {ST_IQL_SHOW_TAG_VALUES, "SHOW TAG VALUES", "show tag values with key = a"},
        {ST_IQL_DROP_SERIES, "DROP SERIES", "DROP SERIES WHERE a =~ /;/ -- c"},
        {ST_IQL_UNSUPPORTED, "EXPLAIN", "EXPLAIN SELECT a FROM b"},
    };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(q->stmts[i].kind, want[i].kind);
        ck_assert_str_eq(q->stmts[i].what, want[i].what);
        ck_assert_str_eq(q->stmts[i].text, want[i].text);
        ck_assert_uint_eq(q->stmts[i].text_len, strlen(want[i].text));
    }
}
END_TEST

/* Nesting and tree height are bounded so that recursive code over the AST
 * stays off the end of the stack. */
START_TEST(test_limits)
{
    struct st_buf text;
    st_buf_init(&text);
    for (int n = 1000; n <= 1001; n++) {
        st_buf_reset(&text);
        ck_assert_int_eq(st_buf_puts(&text, "SELECT "), ST_OK);
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(st_buf_putc(&text, '('), ST_OK);
        ck_assert_int_eq(st_buf_putc(&text, 'a'), ST_OK);
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(st_buf_putc(&text, ')'), ST_OK);
        ck_assert_int_eq(st_buf_puts(&text, " FROM m"), ST_OK);
        int rv = PARSE(text.p);
        if (n == 1000) {
            ck_assert_int_eq(rv, ST_OK);
            ck_assert_uint_eq(q->stmts[0].sel->fields[0].expr->height, 1001);
        } else {
            ck_assert_int_eq(rv, ST_EPARSE);
            ck_assert_str_eq(err.p, "too many nested expressions at line 1, char 1008");
        }
    }
    for (int n = 9999; n <= 10000; n++) {
        st_buf_reset(&text);
        ck_assert_int_eq(st_buf_puts(&text, "SELECT a FROM m WHERE a"), ST_OK);
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(st_buf_puts(&text, "+a"), ST_OK);
        int rv = PARSE(text.p);
        if (n < 10000) {
            ck_assert_int_eq(rv, ST_OK);
            ck_assert_uint_eq(q->stmts[0].sel->cond->height, 10000);
        } else {
            ck_assert_int_eq(rv, ST_EPARSE);
            ck_assert_str_eq(err.p, "expression too deep: more than 10000 levels");
        }
    }
    /* Subqueries nest as deep as expressions. */
    st_buf_reset(&text);
    ck_assert_int_eq(st_buf_puts(&text, "SELECT a FROM "), ST_OK);
    for (int i = 0; i < 1001; i++)
        ck_assert_int_eq(st_buf_puts(&text, "(SELECT a FROM "), ST_OK);
    ck_assert_int_eq(PARSE(text.p), ST_EPARSE);
    ck_assert(strncmp(err.p, "too many nested subqueries at line 1, char ", 43) == 0);
    st_buf_fini(&text);
}
END_TEST

START_TEST(test_expr_string)
{
    const struct st_iql_select *s =
        SEL("SELECT \"a b\"::float + -c * (d - 1.5) AS x, count(/x\\/y/, 'q\\'\\n\\\\', 1500ms) "
            "FROM m WHERE \"select\" != -5m OR t = false");
    ck_assert_str_eq(STR(s->fields[0].expr), "\"a b\"::float + -1 * c * (d - 1.500)");
    ck_assert_str_eq(STR(s->fields[1].expr), "count(/x\\/y/, 'q\\'\\n\\\\', 1500ms)");
    ck_assert_str_eq(STR(s->cond), "\"select\" != -5m OR t = false");
    /* A bound parameter never comes out of the parser, but prints. */
    struct st_iql_expr bp = {.kind = ST_IQL_E_BOUNDPARAM, .name = "a b", .height = 1};
    ck_assert_str_eq(STR(&bp), "$\"a b\"");
}
END_TEST

/* Statements as InfluxDB 1.6 prints them (its 403 messages). */
static const struct {
    const char *q, *str;
} STRINGS[] = {
    {"SELECT a FROM m", "SELECT a FROM m"},
    {"SELECT a FROM m LIMIT 99999999999999999999", "SELECT a FROM m LIMIT 9223372036854775807"},
    {"DELETE FROM a", "DELETE FROM a"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT = /x/", "SHOW MEASUREMENTS WITH MEASUREMENT =~ /x/"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT =~ x", "SHOW MEASUREMENTS WITH MEASUREMENT = x"},
    {"SELECT a FROM (SELECT b FROM c)", "SELECT a FROM (SELECT b FROM c)"},
    {"SELECT a INTO b FROM c", "SELECT a INTO b FROM c"},
    {"SELECT a INTO b.:MEASUREMENT FROM c", "SELECT a INTO b.:MEASUREMENT FROM c"},
    {"SELECT a INTO a.b.:MEASUREMENT FROM c", "SELECT a INTO a.b.:MEASUREMENT FROM c"},
    {"SELECT a INTO b :MEASUREMENT FROM c", "SELECT a INTO b.:MEASUREMENT FROM c"},
    {"SELECT * FROM a GROUP BY *", "SELECT * FROM a GROUP BY *"},
    {"SELECT a FROM (SELECT b INTO c FROM d)", "SELECT a FROM (SELECT b INTO c FROM d)"},
    {"SELECT -a FROM m", "SELECT -1 * a FROM m"},
    {"SELECT -\"a\" FROM m", "SELECT -1 * a FROM m"},
    {"SELECT -9223372036854775808 FROM m", "SELECT -9223372036854775808 FROM m"},
    {"SELECT 18446744073709551615 FROM m", "SELECT 18446744073709551615 FROM m"},
    {"SELECT +18446744073709551615 FROM m", "SELECT 18446744073709551615 FROM m"},
    {"SELECT +a, +1, +1.5, +1h FROM m", "SELECT 1 * a, 1, 1.500, 1h FROM m"},
    {"SELECT distinct(a) FROM m", "SELECT distinct(a) FROM m"},
    {"SELECT count() FROM m", "SELECT count() FROM m"},
    {"SELECT count(/a/) FROM m", "SELECT count(/a/) FROM m"},
    {"SELECT /a/ FROM m", "SELECT /a/ FROM m"},
    {"SELECT a,/b/ FROM m", "SELECT a, /b/ FROM m"},
    {"SELECT a FROM m WHERE a =~ /b/ AND c !~ /d/", "SELECT a FROM m WHERE a =~ /b/ AND c !~ /d/"},
    {"SELECT a FROM m GROUP BY time(10m, -5m)", "SELECT a FROM m GROUP BY time(10m, -5m)"},
    {"SELECT a FROM m GROUP BY /x/, b", "SELECT a FROM m GROUP BY /x/, b"},
    {"SELECT a FROM m GROUP BY a + 1", "SELECT a FROM m GROUP BY a + 1"},
    {"SELECT a FROM m GROUP BY 1", "SELECT a FROM m GROUP BY 1"},
    {"SELECT a FROM m fill(-1)", "SELECT a FROM m fill(-1)"},
    {"SELECT a FROM m fill(-1.5)", "SELECT a FROM m fill(-1.5)"},
    {"SELECT a FROM m fill(null)", "SELECT a FROM m"},
    {"SELECT a FROM m fill(\"null\")", "SELECT a FROM m"},
    {"SELECT a FROM m fill(1000000.5)", "SELECT a FROM m fill(1.0000005e+06)"},
    {"SELECT a FROM m fill(123456.5)", "SELECT a FROM m fill(123456.5)"},
    {"SELECT a FROM m fill(0.00001)", "SELECT a FROM m fill(1e-05)"},
    {"SELECT a FROM m fill(0.0001)", "SELECT a FROM m fill(0.0001)"},
    {"SELECT a FROM m fill(1.0)", "SELECT a FROM m fill(1)"},
    {"SELECT a FROM m fill(-0.0)", "SELECT a FROM m fill(-0)"},
    {"SELECT a FROM m fill(0.1)", "SELECT a FROM m fill(0.1)"},
    {"SELECT a FROM m fill(100000000000000000000000.0)", "SELECT a FROM m fill(1e+23)"},
    {"SELECT a FROM m ORDER BY \"time\" desc", "SELECT a FROM m ORDER BY time DESC"},
    {"SELECT a FROM m ORDER BY time DESC", "SELECT a FROM m ORDER BY time DESC"},
    {"SELECT a FROM m tz('')", "SELECT a FROM m TZ('UTC')"},
    {"SELECT a FROM m tz('Local')", "SELECT a FROM m TZ('Local')"},
    {"SELECT \"a b\"::float, *::tag, -a, -(a), 1.5 + 2 * 3 AS \"x y\", count(distinct(a)), "
     "mean(/c/) FROM m",
     "SELECT \"a b\"::float, *::tag, -1 * a, -1 * (a), 1.500 + 2 * 3 AS \"x y\", "
     "count(distinct(a)), mean(/c/) FROM m"},
    {"SELECT a % b & c | d ^ e - f / g FROM m", "SELECT a % b & c | d ^ e - f / g FROM m"},
    {"SELECT a + b * c - d FROM m", "SELECT a + b * c - d FROM m"},
    {"SELECT a * b + c * d FROM m", "SELECT a * b + c * d FROM m"},
    {"SELECT count(*), top(a, 3), percentile(a, 99.9), now() FROM m",
     "SELECT count(*), top(a, 3), percentile(a, 99.900), now() FROM m"},
    {"SELECT a FROM m WHERE time > now() - 1h AND host !~ /x/ OR NOT = 1",
     "SELECT a FROM m WHERE time > now() - 1h AND host !~ /x/ OR NOT = 1"},
    {"SELECT a FROM m WHERE time > 1h", "SELECT a FROM m WHERE time > 1h"},
    {"SELECT a FROM m WHERE a", "SELECT a FROM m WHERE a"},
    {"SELECT a FROM m WHERE (a)", "SELECT a FROM m WHERE (a)"},
    {"SELECT a FROM m WHERE a = true", "SELECT a FROM m WHERE a = true"},
    {"SELECT a::tag FROM m", "SELECT a::tag FROM m"},
    {"SELECT a::INTEGER FROM m", "SELECT a::integer FROM m"},
    {"SELECT a::String, b::BOOLEAN, c::FIELD FROM m",
     "SELECT a::string, b::boolean, c::field FROM m"},
    {"SELECT \"a.b\".c FROM m", "SELECT \"a.b.c\" FROM m"},
    {"SELECT a.b.c FROM m", "SELECT \"a.b.c\" FROM m"},
    {"SELECT a..b FROM m", "SELECT \"a..b\" FROM m"},
    {"SELECT a. b FROM m", "SELECT \"a.b\" FROM m"},
    {"SELECT MEAN(a), Sum(b) FROM m", "SELECT mean(a), sum(b) FROM m"},
    {"SELECT \"MEAN\"(a) FROM m", "SELECT mean(a) FROM m"},
    {"SELECT a FROM \"select\", \"a b\", \"1a\"", "SELECT a FROM \"select\", \"a b\", \"1a\""},
    {"SELECT a AS \"\" FROM m", "SELECT a FROM m"},
    {"SELECT a FROM \"\"", "SELECT a FROM "},
    {"SELECT a INTO \"\" FROM x", "SELECT a INTO :MEASUREMENT FROM x"},
    {"SELECT a INTO db.rp.m FROM x", "SELECT a INTO db.rp.m FROM x"},
    {"SELECT a INTO rp.:MEASUREMENT FROM x", "SELECT a INTO rp.:MEASUREMENT FROM x"},
    {"SELECT a INTO db..:MEASUREMENT FROM x", "SELECT a INTO db..:MEASUREMENT FROM x"},
    {"SELECT a INTO \"d b\".\"r p\".\"m m\" FROM x",
     "SELECT a INTO \"d b\".\"r p\".\"m m\" FROM x"},
    {"SELECT a FROM (SELECT b FROM c WHERE d = 1), e",
     "SELECT a FROM (SELECT b FROM c WHERE d = 1), e"},
    {"SELECT a FROM (SELECT b FROM (SELECT c FROM d))",
     "SELECT a FROM (SELECT b FROM (SELECT c FROM d))"},
    {"SELECT a FROM m fill(none)", "SELECT a FROM m fill(none)"},
    {"SELECT a FROM m fill(previous)", "SELECT a FROM m fill(previous)"},
    {"SELECT a FROM m fill(linear)", "SELECT a FROM m fill(linear)"},
    {"SELECT a FROM m fill(null)", "SELECT a FROM m"},
    {"SELECT a FROM m fill(3)", "SELECT a FROM m fill(3)"},
    {"SELECT a FROM m LIMIT 0 OFFSET 0", "SELECT a FROM m"},
    {"SELECT a FROM m WHERE s = 'a\\\\b\\'c\\nd'", "SELECT a FROM m WHERE s = 'a\\\\b\\'c\\nd'"},
    {"SELECT \"a\\\"b\" AS \"select\" FROM \"in\"", "SELECT \"a\\\"b\" AS \"select\" FROM \"in\""},
    {"SELECT a FROM m WHERE \"a\\\\b\" = 1", "SELECT a FROM m WHERE \"a\\\\b\" = 1"},
    {"SELECT a /* c */ FROM m", "SELECT a FROM m"},
    {"SELECT a -- c\n FROM m", "SELECT a FROM m"},
    {"SELECT a FROM m -- end", "SELECT a FROM m"},
    {"SELECT time FROM m", "SELECT time FROM m"},
    {"SELECT * FROM m WHERE time >= '2020-01-01T00:00:00Z' AND time < now()",
     "SELECT * FROM m WHERE time >= '2020-01-01T00:00:00Z' AND time < now()"},
    {"SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(1m) fill(0)",
     "SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(1m) fill(0)"},
    {"SELECT a FROM m WHERE a = 1 OR b = 2 AND c = 3",
     "SELECT a FROM m WHERE a = 1 OR b = 2 AND c = 3"},
    {"SELECT a FROM m WHERE (a = 1 OR b = 2) AND c = 3",
     "SELECT a FROM m WHERE (a = 1 OR b = 2) AND c = 3"},
    {"SELECT a FROM m WHERE a + b * c = d - e / f", "SELECT a FROM m WHERE a + b * c = d - e / f"},
    {"SELECT -1 * -2 FROM m", "SELECT -1 * -2 FROM m"},
    {"SELECT 2 * -a FROM m", "SELECT 2 * -1 * a FROM m"},
    {"SELECT a - -b * c FROM m", "SELECT a - -1 * b * c FROM m"},
    {"SELECT a FROM m WHERE a = -1h", "SELECT a FROM m WHERE a = -1h"},
    {"SELECT a FROM m WHERE a = - 1", "SELECT a FROM m WHERE a = -1"},
    {"SELECT a FROM m WHERE a = -count(b)", "SELECT a FROM m WHERE a = -1 * count(b)"},
    {"SELECT *, * FROM m", "SELECT *, * FROM m"},
    {"SELECT *::field, *::tag FROM m", "SELECT *::field, *::tag FROM m"},
    {"SELECT a , b FROM m", "SELECT a, b FROM m"},
    {"SELECT a AS b, c FROM m", "SELECT a AS b, c FROM m"},
    {"SELECT a , /b/ FROM m", "SELECT a, /b/ FROM m"},
    {"SELECT a,/b/ FROM m", "SELECT a, /b/ FROM m"},
    {"SELECT x FROM a, /b/", "SELECT x FROM a, /b/"},
    {"SELECT x FROM a./b/", "SELECT x FROM a./b/"},
    {"SELECT x FROM a.b./c/", "SELECT x FROM a.b./c/"},
    {"SELECT x FROM /a/, b", "SELECT x FROM /a/, b"},
    {"SELECT x FROM /a/ , b", "SELECT x FROM /a/, b"},
    {"SELECT count(/a/, /b/) FROM m", "SELECT count(/a/, /b/) FROM m"},
    {"SELECT count( /a/ ) FROM m", "SELECT count(/a/) FROM m"},
    {"SELECT count(a , b) FROM m", "SELECT count(a, b) FROM m"},
    {"SELECT count(a, /b/) FROM m", "SELECT count(a, /b/) FROM m"},
    {"SELECT count(a,/b/) FROM m", "SELECT count(a, /b/) FROM m"},
    {"SELECT count(a ) FROM m", "SELECT count(a) FROM m"},
    {"SELECT count( ) FROM m", "SELECT count() FROM m"},
    {"SELECT a FROM m WHERE a=~/x/", "SELECT a FROM m WHERE a =~ /x/"},
    {"SELECT a FROM m WHERE a =~/x/", "SELECT a FROM m WHERE a =~ /x/"},
    {"SELECT a FROM m WHERE a=~ /x/", "SELECT a FROM m WHERE a =~ /x/"},
    {"SELECT a FROM m WHERE a =~ /x\\/y/", "SELECT a FROM m WHERE a =~ /x\\/y/"},
    {"SELECT a FROM m WHERE a =~ /x\\\\/y/", "SELECT a FROM m WHERE a =~ /x\\\\/y/"},
    {"SELECT a FROM m WHERE a =~ /\\d+/", "SELECT a FROM m WHERE a =~ /\\d+/"},
    {"SELECT a FROM m WHERE a =~ /a/ + 1", "SELECT a FROM m WHERE a =~ /a/ + 1"},
    {"SELECT a FROM m WHERE a =~ //", "SELECT a FROM m WHERE a =~ //"},
    {"SELECT a FROM m GROUP BY time(1m), /x/", "SELECT a FROM m GROUP BY time(1m), /x/"},
    {"SELECT a FROM m GROUP BY \"a b\", c::tag", "SELECT a FROM m GROUP BY \"a b\", c::tag"},
    {"SELECT a FROM m GROUP BY time(1m) , a", "SELECT a FROM m GROUP BY time(1m), a"},
    {"SELECT a FROM m GROUP BY a ,b", "SELECT a FROM m GROUP BY a, b"},
    {"SELECT a FROM m GROUP BY *::tag", "SELECT a FROM m GROUP BY *::tag"},
    {"SELECT a FROM m WHERE a = 'x' GROUP BY b fill(none) ORDER BY time DESC LIMIT 1 OFFSET 1 "
     "SLIMIT 1 SOFFSET 1 tz('UTC')",
     "SELECT a FROM m WHERE a = 'x' GROUP BY b fill(none) ORDER BY time DESC LIMIT 1 OFFSET 1 "
     "SLIMIT 1 SOFFSET 1 TZ('UTC')"},
    {"SELECT a FROM m LIMIT 0", "SELECT a FROM m"},
    {"SELECT a FROM m LIMIT 01", "SELECT a FROM m LIMIT 1"},
    {"SHOW MEASUREMENTS ON \"d b\" WITH MEASUREMENT = m WHERE a = 1 ORDER BY time DESC LIMIT 1 "
     "OFFSET 2",
     "SHOW MEASUREMENTS ON d b WITH MEASUREMENT = m WHERE a = 1 ORDER BY time DESC LIMIT 1 OFFSET "
     "2"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT =~ /x/", "SHOW MEASUREMENTS WITH MEASUREMENT =~ /x/"},
    {"show measurements with measurement =~ x", "SHOW MEASUREMENTS WITH MEASUREMENT = x"},
    {"SHOW MEASUREMENTS WITH MEASUREMENT = \"a b\"",
     "SHOW MEASUREMENTS WITH MEASUREMENT = \"a b\""},
    {"SHOW MEASUREMENTS WITH MEASUREMENT = \"\"", "SHOW MEASUREMENTS WITH MEASUREMENT = "},
    {"SHOW MEASUREMENTS LIMIT 1 OFFSET 1", "SHOW MEASUREMENTS LIMIT 1 OFFSET 1"},
    {"SHOW TAG KEYS ON db FROM a, /b/ WHERE x = 1 ORDER BY time DESC LIMIT 1 OFFSET 1 SLIMIT 1 "
     "SOFFSET 1",
     "SHOW TAG KEYS ON db FROM a, /b/ WHERE x = 1 ORDER BY time DESC LIMIT 1 OFFSET 1 SLIMIT 1 "
     "SOFFSET 1"},
    {"SHOW TAG KEYS ON \"d b\"", "SHOW TAG KEYS ON \"d b\""},
    {"SHOW TAG KEYS FROM db.rp.m", "SHOW TAG KEYS FROM db.rp.m"},
    {"SHOW TAG VALUES ON db FROM m WITH KEY IN (a, \"b c\") WHERE x = 1 LIMIT 1 OFFSET 2",
     "SHOW TAG VALUES ON db FROM m WITH KEY IN (a, \"b c\") WHERE x = 1 LIMIT 1 OFFSET 2"},
    {"SHOW TAG VALUES WITH KEY = \"select\"", "SHOW TAG VALUES WITH KEY = \"select\""},
    {"SHOW TAG VALUES WITH KEY != a", "SHOW TAG VALUES WITH KEY != a"},
    {"SHOW TAG VALUES WITH KEY =~ /a/", "SHOW TAG VALUES WITH KEY =~ /a/"},
    {"SHOW TAG VALUES WITH KEY !~ /a/", "SHOW TAG VALUES WITH KEY !~ /a/"},
    {"SHOW TAG VALUES WITH KEY = a ORDER BY time DESC",
     "SHOW TAG VALUES WITH KEY = a ORDER BY time DESC"},
    {"SHOW TAG VALUES WITH KEY =~ /a/ WHERE b =~ /c/",
     "SHOW TAG VALUES WITH KEY =~ /a/ WHERE b =~ /c/"},
    {"SHOW FIELD KEYS", "SHOW FIELD KEYS"},
    {"SHOW FIELD KEYS FROM a, b", "SHOW FIELD KEYS FROM a, b"},
    {"SHOW FIELD KEYS ON \"a b\"", "SHOW FIELD KEYS ON \"a b\""},
    {"SHOW SERIES ON db FROM m WHERE a=1 ORDER BY time DESC LIMIT 1 OFFSET 1",
     "SHOW SERIES ON db FROM m WHERE a = 1 ORDER BY time DESC LIMIT 1 OFFSET 1"},
    {"SHOW SERIES", "SHOW SERIES"},
    {"SHOW SERIES EXACT ON db", "SHOW SERIES ON db"},
    {"SHOW SERIES EXACT", "SHOW SERIES"},
    {"SHOW SERIES FROM /a/ WHERE \"host\" = 'x'", "SHOW SERIES FROM /a/ WHERE host = 'x'"},
    {"SHOW SHARDS", "SHOW SHARDS"},
    {"SHOW SHARD GROUPS", "SHOW SHARD GROUPS"},
    {"DROP MEASUREMENT \"a b\"", "DROP MEASUREMENT \"a b\""},
    {"DROP SERIES FROM m, /x/ WHERE a = 1", "DROP SERIES FROM m, /x/ WHERE a = 1"},
    {"DROP SERIES WHERE a = 1", "DROP SERIES WHERE a = 1"},
    {"DELETE FROM m WHERE time < 1", "DELETE FROM m WHERE time < 1"},
    {"DELETE WHERE time < 1", "DELETE WHERE time < 1"},
    {"DELETE FROM m, n", "DELETE FROM m, n"},
    {"DELETE FROM /x/", "DELETE FROM /x/"},
    {"SELECT a FROM m WHERE a =~\n/x/", "SELECT a FROM m WHERE a =~ /x/"},
    {"SELECT a FROM m WHERE b = .5", "SELECT a FROM m WHERE b = 0.500"},
    {"SELECT a FROM m WHERE b = 5.", "SELECT a FROM m WHERE b = 5.000"},
    {"SELECT a FROM m WHERE b = 0s", "SELECT a FROM m WHERE b = 0s"},
    {"SELECT a FROM m WHERE b = 1w2d", "SELECT a FROM m WHERE b = 9d"},
    {"SELECT a FROM m WHERE b = 1500ms", "SELECT a FROM m WHERE b = 1500ms"},
    {"SELECT a FROM m WHERE b = 90s", "SELECT a FROM m WHERE b = 90s"},
    {"SELECT a FROM m WHERE b = 1u", "SELECT a FROM m WHERE b = 1u"},
    {"SELECT a FROM m WHERE b = 7ns", "SELECT a FROM m WHERE b = 7ns"},
    {"SELECT a FROM m WHERE b = 1.0005", "SELECT a FROM m WHERE b = 1.000"},
    {"SELECT a FROM m WHERE b = 2.0015", "SELECT a FROM m WHERE b = 2.002"},
    {"SELECT a FROM m WHERE b = 0.0005", "SELECT a FROM m WHERE b = 0.001"},
    {"SELECT a FROM m WHERE b = 123456789.123456789", "SELECT a FROM m WHERE b = 123456789.123"},
    {"SELECT a FROM m WHERE b = true AND c = false",
     "SELECT a FROM m WHERE b = true AND c = false"},
    {"SELECT a FROM m WHERE b = TRUE", "SELECT a FROM m WHERE b = true"},
    {"SELECT a FROM m WHERE \"true\" = 1", "SELECT a FROM m WHERE \"true\" = 1"},
    {"SELECT DISTINCT(a, b) FROM m", "SELECT distinct(a, b) FROM m"},
    {"SELECT a FROM m WHERE a AND b OR c AND d", "SELECT a FROM m WHERE a AND b OR c AND d"},
    {"SELECT a FROM m WHERE a < b = c", "SELECT a FROM m WHERE a < b = c"},
    {"SELECT a FROM m WHERE a = 1 ;", "SELECT a FROM m WHERE a = 1"},
    {"SELECT a FROM m WHERE a = 1 ; ;", "SELECT a FROM m WHERE a = 1"},
    {"SELECT a FROM m WHERE a = (1 + (2 * (3)))", "SELECT a FROM m WHERE a = (1 + (2 * (3)))"},
    {"SELECT a FROM m WHERE a::tag = 'x'", "SELECT a FROM m WHERE a::tag = 'x'"},
    {"SELECT a FROM m WHERE time > '2020-01-01' - 1h",
     "SELECT a FROM m WHERE time > '2020-01-01' - 1h"},
    {"SELECT a FROM m WHERE time > now() - 1h AND time < now() + 1h",
     "SELECT a FROM m WHERE time > now() - 1h AND time < now() + 1h"},
    {"SELECT a FROM m WHERE a = b GROUP BY c", "SELECT a FROM m WHERE a = b GROUP BY c"},
    {"SELECT a FROM m WHERE a..b = 1", "SELECT a FROM m WHERE \"a..b\" = 1"},
    {"SELECT a FROM db.\"rp\".m", "SELECT a FROM db.rp.m"},
    {"SELECT a FROM \"db\"..\"m\"", "SELECT a FROM db..m"},
    {"SELECT a FROM db..rp", "SELECT a FROM db..rp"},
    {"SELECT a FROM \"select\"", "SELECT a FROM \"select\""},
    {"SELECT a FROM m , n", "SELECT a FROM m, n"},
    {"SELECT a FROM m WHERE a = 1 -- x", "SELECT a FROM m WHERE a = 1"},
    {"SELECT a FROM m WHERE a = 1 /* x */ GROUP BY b", "SELECT a FROM m WHERE a = 1 GROUP BY b"},
    {"SELECT a /* x */ AS b FROM m", "SELECT a AS b FROM m"},
    {"SELECT a AS /* x */ b FROM m", "SELECT a AS b FROM m"},
    {"SELECT count(a /* x */) FROM m", "SELECT count(a) FROM m"},
    {"SELECT a FROM m GROUP BY time(1m)fill(none)", "SELECT a FROM m GROUP BY time(1m) fill(none)"},
    {"SELECT a FROM m GROUP BY time(1m)/**/fill(none)",
     "SELECT a FROM m GROUP BY time(1m) fill(none)"},
    {"SELECT a FROM m GROUP BY b/**/, c", "SELECT a FROM m GROUP BY b, c"},
    {"SELECT a FROM m GROUP BY b /**/ , c", "SELECT a FROM m GROUP BY b, c"},
    {"SELECT a FROM m LIMIT/**/1", "SELECT a FROM m LIMIT 1"},
    {"SELECT a::float/**/ FROM m", "SELECT a::float FROM m"},
    {"show series exact cardinality on \"my db\" from cpu where a='b' group by c limit 2 offset 1",
     "SHOW SERIES EXACT CARDINALITY ON \"my db\" FROM cpu WHERE a = 'b' GROUP BY c LIMIT 2 "
     "OFFSET 1"},
    {"SHOW SERIES CARDINALITY", "SHOW SERIES CARDINALITY"},
    {"SHOW MEASUREMENT CARDINALITY ON db", "SHOW MEASUREMENT CARDINALITY ON db"},
    {"SHOW MEASUREMENT EXACT CARDINALITY FROM /c/", "SHOW MEASUREMENT EXACT CARDINALITY FROM /c/"},
    {"SHOW TAG KEY EXACT CARDINALITY FROM cpu LIMIT 0", "SHOW TAG KEY EXACT CARDINALITY FROM cpu"},
    {"SHOW TAG VALUES CARDINALITY FROM cpu WITH KEY =~ /h/ WHERE a = 'b'",
     "SHOW TAG VALUES CARDINALITY FROM cpu WITH KEY =~ /h/ WHERE a = 'b'"},
    {"SHOW TAG VALUES EXACT CARDINALITY WITH KEY IN (a, \"b c\")",
     "SHOW TAG VALUES EXACT CARDINALITY WITH KEY IN (a, \"b c\")"},
    {"SHOW FIELD KEY CARDINALITY ON db FROM rp.m", "SHOW FIELD KEY CARDINALITY ON db FROM rp.m"},
};

START_TEST(test_stmt_string_as_influxdb)
{
    for (size_t i = 0; i < sizeof STRINGS / sizeof STRINGS[0]; i++) {
        int rv = PARSE(STRINGS[i].q);
        ck_assert_msg(rv == ST_OK, "%s: %s", STRINGS[i].q, err.p ? err.p : "");
        ck_assert_uint_eq(q->n, 1);
        st_buf_reset(&out);
        ck_assert_int_eq(st_iql_stmt_string(&q->stmts[0], &out), ST_OK);
        ck_assert_msg(strcmp(out.p, STRINGS[i].str) == 0, "%s:\n got %s\nwant %s", STRINGS[i].q,
                      out.p, STRINGS[i].str);
    }
    /* Zones come from the system's tz database, as in InfluxDB. */
    if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) == 0) {
        ck_assert_int_eq(PARSE("SELECT a FROM m tz('Europe/Paris')"), ST_OK);
        ck_assert_str_eq(q->stmts[0].sel->tz, "Europe/Paris");
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("influxql_select");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"fields", test_select_fields},
        {"where_precedence", test_select_where_precedence},
        {"sources_into", test_select_sources_into},
        {"group_fill_order_limits", test_select_group_fill_order_limits},
        {"show", test_show_statements},
        {"drop_delete", test_drop_delete},
        {"what_and_text", test_what_and_text},
        {"limits", test_limits},
        {"expr_string", test_expr_string},
        {"stmt_string", test_stmt_string_as_influxdb},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return t_run_suite(suite());
}
