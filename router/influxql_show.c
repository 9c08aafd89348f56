/* The SHOW statements about series, measurements, tags and fields, SHOW
 * SHARDS and SHARD GROUPS, DROP MEASUREMENT, DROP SERIES and DELETE, as
 * InfluxDB 1.6 parses them. Their clauses are SELECT's (influxql_select.c)
 * in a fixed order per statement; ON db goes to stmt->db, the rest to
 * stmt->sel.
 *
 * The cardinality statements (SHOW SERIES / MEASUREMENT / TAG KEY / TAG
 * VALUES / FIELD KEY [EXACT] CARDINALITY) share one grammar after their
 * name: [ON db] [FROM sources] [WITH KEY ..., TAG VALUES only] [WHERE]
 * [GROUP BY] [LIMIT] [OFFSET], as InfluxDB 1.6's parser reads them.
 *
 * Failure modes: ST_EPARSE with InfluxDB's message, ST_ENOMEM.
 */
#include <string.h>

#include "err.h"
#include "influxql_int.h"

#define NEXT(t, p)                            \
    do {                                      \
        if (((t) = iql_next_nows(p)) == NULL) \
            return ST_ENOMEM;                 \
    } while (0)

/* A new sel for @s of @kind. */
static int begin(struct iql_parser *p, struct st_iql_stmt *s, enum st_iql_kind kind)
{
    s->kind = kind;
    s->sel = iql_new_select(p);
    return s->sel != NULL ? ST_OK : ST_ENOMEM;
}

/* [ON db] */
static int parse_on(struct iql_parser *p, struct st_iql_stmt *s)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_ON)
        return iql_parse_ident(p, &s->db);
    iql_unscan(p);
    return ST_OK;
}

/* [FROM sources], without subqueries. */
static int parse_from(struct iql_parser *p, struct st_iql_select *sel)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_FROM)
        return iql_parse_sources(p, false, sel);
    iql_unscan(p);
    return ST_OK;
}

/* [ORDER BY ...] [LIMIT n] [OFFSET n] */
static int parse_tail(struct iql_parser *p, struct st_iql_select *sel)
{
    int rv = iql_parse_order_by(p, &sel->desc);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_LIMIT, &sel->limit);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_OFFSET, &sel->offset);
    return rv;
}

static int parse_tag_key_expr(struct iql_parser *p, struct st_iql_select *sel);

/* A cardinality statement of @kind whose [EXACT] CARDINALITY was just read
 * (the path names it up to EXACT): the rest of its clauses. */
static int cardinality(struct iql_parser *p, struct st_iql_stmt *s, enum st_iql_kind kind,
                       bool exact)
{
    if (p->last != T_CARDINALITY && iql_append_path(p, T_CARDINALITY) != ST_OK)
        return ST_ENOMEM; /* UNTESTED: the path buffer is large enough */
    p->last = T_CARDINALITY;
    int rv = begin(p, s, kind);
    s->exact = exact;
    if (rv == ST_OK)
        rv = parse_on(p, s);
    if (rv == ST_OK)
        rv = parse_from(p, s->sel);
    if (rv == ST_OK && kind == ST_IQL_SHOW_TAG_VALUES_CARDINALITY)
        rv = parse_tag_key_expr(p, s->sel);
    if (rv == ST_OK)
        rv = iql_parse_condition(p, &s->sel->cond);
    if (rv == ST_OK)
        rv = iql_parse_dimensions(p, s->sel);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_LIMIT, &s->sel->limit);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_OFFSET, &s->sel->offset);
    return rv;
}

/* SHOW TAG KEY / FIELD KEY: [EXACT] CARDINALITY. */
static int key_cardinality(struct iql_parser *p, struct st_iql_stmt *s, enum st_iql_kind kind)
{
    const struct iql_token *t;
    NEXT(t, p);
    bool exact = t->tok == T_EXACT;
    if (exact)
        NEXT(t, p);
    if (t->tok != T_CARDINALITY)
        return iql_err_expected(p, t, exact ? "CARDINALITY" : "EXACT, CARDINALITY");
    if (exact && iql_append_path(p, T_EXACT) != ST_OK)
        return ST_ENOMEM; /* UNTESTED: the path buffer is large enough */
    return cardinality(p, s, kind, exact);
}

int iql_parse_show_measurement_card(struct iql_parser *p, struct st_iql_stmt *s)
{
    /* The tree read EXACT or CARDINALITY (p->last). */
    bool exact = p->last == T_EXACT;
    if (exact) {
        const struct iql_token *t;
        NEXT(t, p);
        if (t->tok != T_CARDINALITY)
            return iql_err_expected(p, t, "CARDINALITY");
    }
    return cardinality(p, s, ST_IQL_SHOW_MEASUREMENT_CARDINALITY, exact);
}

int iql_parse_show_tag_key_card(struct iql_parser *p, struct st_iql_stmt *s)
{
    return key_cardinality(p, s, ST_IQL_SHOW_TAG_KEY_CARDINALITY);
}

int iql_parse_show_field_key_card(struct iql_parser *p, struct st_iql_stmt *s)
{
    return key_cardinality(p, s, ST_IQL_SHOW_FIELD_KEY_CARDINALITY);
}

bool st_iql_card_estimate(const struct st_iql_stmt *s)
{
    if (s->kind != ST_IQL_SHOW_SERIES_CARDINALITY && s->kind != ST_IQL_SHOW_MEASUREMENT_CARDINALITY)
        return false;
    const struct st_iql_select *sel = s->sel;
    return !s->exact && sel->nsources == 0 && sel->cond == NULL && sel->ndims == 0 &&
           sel->limit <= 0 && sel->offset <= 0;
}

int iql_parse_show_measurements(struct iql_parser *p, struct st_iql_stmt *s)
{
    int rv = begin(p, s, ST_IQL_SHOW_MEASUREMENTS);
    if (rv == ST_OK)
        rv = parse_on(p, s);
    if (rv != ST_OK)
        return rv;
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_WITH) {
        if ((rv = iql_parse_token(p, T_MEASUREMENT)) != ST_OK)
            return rv;
        NEXT(t, p);
        if (t->tok != T_EQ && t->tok != T_EQREGEX)
            return iql_err_expected(p, t, "=, =~");
        /* Either operator takes a name or a regex; db and rp are ignored. */
        struct st_iql_source src;
        if ((rv = iql_parse_source(p, false, &src)) != ST_OK)
            return rv;
        s->sel->measurement = src.name;
        s->sel->measurement_regex = src.regex;
    } else {
        iql_unscan(p);
    }
    rv = iql_parse_condition(p, &s->sel->cond);
    return rv == ST_OK ? parse_tail(p, s->sel) : rv;
}

int iql_parse_show_tag_keys(struct iql_parser *p, struct st_iql_stmt *s)
{
    int rv = begin(p, s, ST_IQL_SHOW_TAG_KEYS);
    if (rv == ST_OK)
        rv = parse_on(p, s);
    if (rv == ST_OK)
        rv = parse_from(p, s->sel);
    if (rv == ST_OK)
        rv = iql_parse_condition(p, &s->sel->cond);
    if (rv == ST_OK)
        rv = parse_tail(p, s->sel);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_SLIMIT, &s->sel->slimit);
    if (rv == ST_OK)
        rv = iql_parse_opt_int(p, T_SOFFSET, &s->sel->soffset);
    return rv;
}

/* WITH KEY = k | != k | =~ /re/ | !~ /re/ | IN (k1, k2) */
static int parse_tag_key_expr(struct iql_parser *p, struct st_iql_select *sel)
{
    int rv = iql_parse_token(p, T_WITH);
    if (rv == ST_OK)
        rv = iql_parse_token(p, T_KEY);
    if (rv != ST_OK)
        return rv;
    const struct iql_token *t;
    NEXT(t, p);
    switch (t->tok) {
    case T_IN: {
        NEXT(t, p);
        if (t->tok != T_LPAREN)
            return iql_err_expected(p, t, "(");
        size_t cap = 0;
        for (;;) {
            const char *key;
            if ((rv = iql_parse_ident(p, &key)) != ST_OK)
                return rv;
            const char **keys =
                iql_arena_grow(p->arena, sel->tag_keys, sel->ntag_keys, &cap, sizeof *keys);
            if (keys == NULL)
                return ST_ENOMEM;
            sel->tag_keys = keys;
            keys[sel->ntag_keys++] = key;
            NEXT(t, p);
            if (t->tok != T_COMMA)
                break;
        }
        if (t->tok != T_RPAREN)
            return iql_err_expected(p, t, ")");
        sel->tag_key_op = ST_IQL_KEY_IN;
        return ST_OK;
    }
    case T_EQ:
    case T_NEQ: {
        sel->tag_key_op = t->tok == T_EQ ? ST_IQL_KEY_EQ : ST_IQL_KEY_NEQ;
        const char **keys = iql_arena_alloc(p->arena, sizeof *keys);
        if (keys == NULL)
            return ST_ENOMEM;
        sel->tag_keys = keys;
        sel->ntag_keys = 1;
        return iql_parse_ident(p, &keys[0]);
    }
    case T_EQREGEX:
    case T_NEQREGEX: {
        sel->tag_key_op = t->tok == T_EQREGEX ? ST_IQL_KEY_REGEX : ST_IQL_KEY_NREGEX;
        struct st_iql_expr *re;
        if ((rv = iql_parse_regex(p, &re)) != ST_OK)
            return rv;
        if (re == NULL) {
            NEXT(t, p);
            return iql_err_expected(p, t, "regex");
        }
        sel->tag_key_regex = re->str;
        return ST_OK;
    }
    default:
        return iql_err_expected(p, t, "IN, =, =~");
    }
}

int iql_parse_show_tag_values(struct iql_parser *p, struct st_iql_stmt *s)
{
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_EXACT) {
        NEXT(t, p);
        if (t->tok != T_CARDINALITY)
            return iql_err_expected(p, t, "CARDINALITY");
        if (iql_append_path(p, T_EXACT) != ST_OK)
            return ST_ENOMEM; /* UNTESTED: the path buffer is large enough */
        return cardinality(p, s, ST_IQL_SHOW_TAG_VALUES_CARDINALITY, true);
    }
    if (t->tok == T_CARDINALITY)
        return cardinality(p, s, ST_IQL_SHOW_TAG_VALUES_CARDINALITY, false);
    iql_unscan(p);
    int rv = begin(p, s, ST_IQL_SHOW_TAG_VALUES);
    if (rv == ST_OK)
        rv = parse_on(p, s);
    if (rv == ST_OK)
        rv = parse_from(p, s->sel);
    if (rv == ST_OK)
        rv = parse_tag_key_expr(p, s->sel);
    if (rv == ST_OK)
        rv = iql_parse_condition(p, &s->sel->cond);
    return rv == ST_OK ? parse_tail(p, s->sel) : rv;
}

int iql_parse_show_field_keys(struct iql_parser *p, struct st_iql_stmt *s)
{
    int rv = begin(p, s, ST_IQL_SHOW_FIELD_KEYS);
    if (rv == ST_OK)
        rv = parse_on(p, s);
    if (rv == ST_OK)
        rv = parse_from(p, s->sel);
    return rv == ST_OK ? parse_tail(p, s->sel) : rv;
}

int iql_parse_show_series(struct iql_parser *p, struct st_iql_stmt *s)
{
    /* SHOW SERIES EXACT without CARDINALITY is SHOW SERIES in InfluxDB. */
    const struct iql_token *t;
    NEXT(t, p);
    bool exact = t->tok == T_EXACT;
    if (!exact)
        iql_unscan(p);
    NEXT(t, p);
    if (t->tok == T_CARDINALITY) {
        if (exact && iql_append_path(p, T_EXACT) != ST_OK)
            return ST_ENOMEM; /* UNTESTED: the path buffer is large enough */
        return cardinality(p, s, ST_IQL_SHOW_SERIES_CARDINALITY, exact);
    }
    iql_unscan(p);
    int rv = begin(p, s, ST_IQL_SHOW_SERIES);
    if (rv == ST_OK)
        rv = parse_on(p, s);
    if (rv == ST_OK)
        rv = parse_from(p, s->sel);
    if (rv == ST_OK)
        rv = iql_parse_condition(p, &s->sel->cond);
    return rv == ST_OK ? parse_tail(p, s->sel) : rv;
}

int iql_parse_show_shards(struct iql_parser *p, struct st_iql_stmt *s)
{
    (void)p;
    s->kind = ST_IQL_SHOW_SHARDS;
    return ST_OK;
}

int iql_parse_show_shard_groups(struct iql_parser *p, struct st_iql_stmt *s)
{
    (void)p;
    s->kind = ST_IQL_SHOW_SHARD_GROUPS;
    return ST_OK;
}

int iql_parse_drop_measurement(struct iql_parser *p, struct st_iql_stmt *s)
{
    s->kind = ST_IQL_DROP_MEASUREMENT;
    return iql_parse_ident(p, &s->name);
}

/* DROP SERIES and DELETE: [FROM sources] [WHERE cond], at least one; the
 * sources may name neither a database nor a policy. */
static int parse_delete_series(struct iql_parser *p, struct st_iql_stmt *s, enum st_iql_kind kind)
{
    int rv = begin(p, s, kind);
    if (rv != ST_OK)
        return rv;
    struct st_iql_select *sel = s->sel;
    const struct iql_token *t;
    NEXT(t, p);
    if (t->tok == T_FROM) {
        if ((rv = iql_parse_sources(p, false, sel)) != ST_OK)
            return rv;
        const char *msg = NULL; /* InfluxDB reports the last offence */
        for (size_t i = 0; i < sel->nsources; i++) {
            if (sel->sources[i].db != NULL)
                msg = "database not supported";
            if (sel->sources[i].rp != NULL)
                msg = "retention policy not supported";
        }
        if (msg != NULL)
            return iql_err_msg(p, (struct iql_pos){0, 0}, msg, strlen(msg));
    } else {
        iql_unscan(p);
    }
    if ((rv = iql_parse_condition(p, &sel->cond)) != ST_OK)
        return rv;
    if (sel->cond == NULL && sel->nsources == 0) {
        NEXT(t, p); /* the token that was neither FROM nor WHERE */
        return iql_err_expected(p, t, "FROM, WHERE");
    }
    return ST_OK;
}

int iql_parse_drop_series(struct iql_parser *p, struct st_iql_stmt *s)
{
    return parse_delete_series(p, s, ST_IQL_DROP_SERIES);
}

int iql_parse_delete(struct iql_parser *p, struct st_iql_stmt *s)
{
    return parse_delete_series(p, s, ST_IQL_DELETE);
}
