/* InfluxQL: the statements of a /query request, parsed as InfluxDB 1.6 parses them (st_iql_). */
#ifndef ST_INFLUXQL_H
#define ST_INFLUXQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * st_iql_parse() turns the q= text of a /query request into a list of
 * statements, or into InfluxDB's parse error ("found FOO, expected SELECT,
 * ... at line 1, char 1"), with InfluxDB 1.6's tokens, positions and words
 * (docs/influxql.md).
 *
 * The statements that manage the catalogue and those that read or delete
 * data (SELECT, SHOW MEASUREMENTS ... DELETE, the cardinality statements)
 * are parsed completely, the latter into struct st_iql_select. The few
 * others InfluxQL has (SHOW QUERIES, continuous queries, subscriptions,
 * EXPLAIN ...) are recognised by their leading keywords and kept as
 * ST_IQL_UNSUPPORTED with their text, so that an executor can answer "not
 * implemented yet" for them alone. Adding a statement means adding a kind,
 * its fields and a handler in the parse tree of influxql_parse.c.
 */

enum st_iql_kind {
    ST_IQL_UNSUPPORTED = 0, /* valid InfluxQL this version does not run: what, text */
    ST_IQL_CREATE_DATABASE, /* name; with, rp, rp_name */
    ST_IQL_DROP_DATABASE,   /* name */
    ST_IQL_SHOW_DATABASES,  /* - */
    ST_IQL_CREATE_RP,       /* name ON db; rp (duration and replication always set) */
    ST_IQL_ALTER_RP,        /* name ON db; rp (at least one option set) */
    ST_IQL_DROP_RP,         /* name ON db */
    ST_IQL_SHOW_RPS,        /* db, NULL when there is no ON clause */
    ST_IQL_CREATE_USER,     /* name, password, admin */
    ST_IQL_DROP_USER,       /* name */
    ST_IQL_SET_PASSWORD,    /* name, password */
    ST_IQL_GRANT,           /* priv ON db TO name */
    ST_IQL_GRANT_ADMIN,     /* GRANT ALL PRIVILEGES TO name */
    ST_IQL_REVOKE,          /* priv ON db FROM name */
    ST_IQL_REVOKE_ADMIN,    /* REVOKE ALL PRIVILEGES FROM name */
    ST_IQL_SHOW_USERS,      /* - */
    ST_IQL_SHOW_GRANTS,     /* SHOW GRANTS FOR name */
    /* Statements that read or delete data; their clauses are in @sel. */
    ST_IQL_SELECT,            /* sel: everything */
    ST_IQL_SHOW_MEASUREMENTS, /* db (ON), sel: measurement or measurement_regex (WITH
                                 MEASUREMENT), cond, desc, limit, offset */
    ST_IQL_SHOW_TAG_KEYS,     /* db, sel: sources, cond, desc, limit, offset, slimit, soffset */
    ST_IQL_SHOW_TAG_VALUES,   /* db, sel: sources, tag_key_op/tag_keys/tag_key_regex, cond,
                                 desc, limit, offset */
    ST_IQL_SHOW_FIELD_KEYS,   /* db, sel: sources, desc, limit, offset */
    ST_IQL_SHOW_SERIES,       /* db, sel: sources, cond, desc, limit, offset */
    ST_IQL_SHOW_SHARDS,       /* - */
    ST_IQL_SHOW_SHARD_GROUPS, /* - */
    ST_IQL_DROP_MEASUREMENT,  /* name */
    ST_IQL_DROP_SERIES,       /* sel: sources, cond (at least one of them) */
    ST_IQL_DELETE,            /* sel: sources, cond (at least one of them) */
    /* SHOW ... [EXACT] CARDINALITY: db (ON), exact, sel: sources, cond, dims
     * (GROUP BY), limit, offset; TAG VALUES also tag_key_op/tag_keys/tag_key_regex. */
    ST_IQL_SHOW_SERIES_CARDINALITY,
    ST_IQL_SHOW_MEASUREMENT_CARDINALITY,
    ST_IQL_SHOW_TAG_KEY_CARDINALITY,
    ST_IQL_SHOW_TAG_VALUES_CARDINALITY,
    ST_IQL_SHOW_FIELD_KEY_CARDINALITY,
};

/* ---- Expressions (SELECT fields, WHERE, GROUP BY, calls) ----------------
 *
 * InfluxDB's AST, one node type for all: a node's kind says which members
 * are meaningful. Everything lives in the query's arena. As InfluxDB, the
 * parser turns a unary minus before a number or duration into a negative
 * literal and before anything else into -1 * x (a BINARY MUL), and
 * "DISTINCT x" into the call distinct(x). A bound parameter ($x) becomes
 * the literal of the value params= gives it (st_iql_parse_params()); one
 * without a value is a parse error ("missing parameter: x"), so
 * ST_IQL_E_BOUNDPARAM never comes out of the parser. */

enum st_iql_expr_kind {
    ST_IQL_E_VARREF = 1, /* name, cast: a field or tag ("host", "value"::float, "time") */
    ST_IQL_E_WILDCARD,   /* cast: *, *::field, *::tag */
    ST_IQL_E_REGEX,      /* str: /re/ as written between the slashes (a FROM or field regex too) */
    ST_IQL_E_CALL,       /* name (lower case, as InfluxDB keeps it), args, nargs */
    ST_IQL_E_BINARY,     /* op, lhs, rhs */
    ST_IQL_E_PAREN,      /* lhs: ( expr ) */
    ST_IQL_E_INTEGER,    /* i: 42 (a fitting int64) */
    ST_IQL_E_UNSIGNED,   /* u: an integer literal beyond INT64_MAX */
    ST_IQL_E_NUMBER,     /* f: 4.2 */
    ST_IQL_E_STRING,     /* str: 'text' (unescaped) */
    ST_IQL_E_BOOLEAN,    /* b: true, false */
    ST_IQL_E_DURATION,   /* i: 10m as ns */
    ST_IQL_E_BOUNDPARAM, /* name: $param (never made by the parser, see above) */
};

/* Binary operators, InfluxDB's precedence: OR < AND < comparisons <
 * + - | ^ < * / % & . */
enum st_iql_op {
    ST_IQL_OP_ADD = 1,
    ST_IQL_OP_SUB,
    ST_IQL_OP_MUL,
    ST_IQL_OP_DIV,
    ST_IQL_OP_MOD,
    ST_IQL_OP_BITAND,
    ST_IQL_OP_BITOR,
    ST_IQL_OP_BITXOR,
    ST_IQL_OP_AND,
    ST_IQL_OP_OR,
    ST_IQL_OP_EQ,
    ST_IQL_OP_NEQ,
    ST_IQL_OP_EQREGEX,
    ST_IQL_OP_NEQREGEX,
    ST_IQL_OP_LT,
    ST_IQL_OP_LTE,
    ST_IQL_OP_GT,
    ST_IQL_OP_GTE,
};

/* A VarRef's or wildcard's ::type (0: none given). */
enum st_iql_cast {
    ST_IQL_CAST_NONE = 0,
    ST_IQL_CAST_FLOAT,
    ST_IQL_CAST_INTEGER,
    ST_IQL_CAST_UNSIGNED,
    ST_IQL_CAST_STRING,
    ST_IQL_CAST_BOOLEAN,
    ST_IQL_CAST_FIELD,
    ST_IQL_CAST_TAG,
};

struct st_iql_expr {
    enum st_iql_expr_kind kind;
    enum st_iql_op op;             /* BINARY */
    enum st_iql_cast cast;         /* VARREF, WILDCARD */
    const char *name;              /* VARREF, CALL, BOUNDPARAM */
    const char *str;               /* STRING, REGEX */
    int64_t i;                     /* INTEGER, DURATION */
    uint64_t u;                    /* UNSIGNED */
    double f;                      /* NUMBER */
    bool b;                        /* BOOLEAN */
    struct st_iql_expr *lhs, *rhs; /* BINARY; PAREN uses lhs */
    struct st_iql_expr **args;     /* CALL */
    size_t nargs;
    unsigned height; /* of the tree below, 1 for a leaf; the parser refuses trees higher than
                        10000, so recursive walkers are bounded */
};

/* One SELECT column: an expression and its AS alias (NULL if none). */
struct st_iql_field {
    struct st_iql_expr *expr;
    const char *alias;
};

/* One FROM source: a measurement (name, or regex when given as /re/), with
 * optional db and rp (db.rp.m, db..m, rp.m), or a subquery. */
struct st_iql_source {
    const char *db;            /* NULL: the db= parameter */
    const char *rp;            /* NULL: the database's default policy */
    const char *name;          /* measurement name, or NULL with regex or sub */
    const char *regex;         /* measurement regex text, or NULL */
    struct st_iql_select *sub; /* subquery, or NULL */
};

enum st_iql_fill {
    ST_IQL_FILL_NULL = 0, /* the default */
    ST_IQL_FILL_NONE,
    ST_IQL_FILL_PREVIOUS,
    ST_IQL_FILL_LINEAR,
    ST_IQL_FILL_NUMBER, /* fill_value */
};

/* SHOW TAG VALUES ... WITH KEY <op> */
enum st_iql_key_op {
    ST_IQL_KEY_EQ = 1, /* = key: tag_keys[0] */
    ST_IQL_KEY_NEQ,    /* != key: tag_keys[0] */
    ST_IQL_KEY_IN,     /* IN (k1, k2): tag_keys */
    ST_IQL_KEY_REGEX,  /* =~ /re/: tag_key_regex */
    ST_IQL_KEY_NREGEX, /* !~ /re/: tag_key_regex */
};

/* The clauses of a SELECT, and of the SHOW / DROP / DELETE statements that
 * take some of them. Absent clauses are NULL / 0; -1 means "not given" for
 * the four limits. */
struct st_iql_select {
    struct st_iql_field *fields; /* SELECT */
    size_t nfields;
    const char *into_db, *into_rp, *into_measurement; /* INTO, NULL when absent; the measurement
                                                         is "" for :MEASUREMENT (refused by
                                                         the executor) */
    struct st_iql_source *sources;                    /* FROM */
    size_t nsources;
    struct st_iql_expr *cond;  /* WHERE, as written (time terms included) */
    struct st_iql_expr **dims; /* GROUP BY: time(...) calls, tag VarRefs, wildcards, regexes */
    size_t ndims;
    enum st_iql_fill fill;
    struct st_iql_expr *fill_value;         /* FILL_NUMBER: an INTEGER or NUMBER literal */
    bool desc;                              /* ORDER BY time DESC (or ORDER BY DESC) */
    int64_t limit, offset, slimit, soffset; /* -1 when not given */
    const char *tz;                         /* tz('Europe/Paris'), NULL when not given */
    /* SHOW MEASUREMENTS WITH MEASUREMENT = name | =~ /re/ */
    const char *measurement, *measurement_regex;
    /* SHOW TAG VALUES WITH KEY ... */
    enum st_iql_key_op tag_key_op;
    const char **tag_keys;
    size_t ntag_keys;
    const char *tag_key_regex;
};

/* InfluxQL privileges; the values are those of proto/meta.proto's Privilege
 * (READ and WRITE are bits, ALL both). */
enum st_iql_priv {
    ST_IQL_NO_PRIVILEGES = 0,
    ST_IQL_READ = 1,
    ST_IQL_WRITE = 2,
    ST_IQL_ALL_PRIVILEGES = 3,
};

/* Options of a retention policy: CREATE DATABASE ... WITH, CREATE and
 * ALTER RETENTION POLICY. Durations are ns; INF is 0. */
struct st_iql_rp_opts {
    bool has_duration;
    int64_t duration_ns;
    bool has_replication;
    int replication; /* 1 .. INT32_MAX */
    bool has_shard_duration;
    int64_t shard_duration_ns; /* > 0 when given to CREATE/ALTER RETENTION POLICY */
    bool is_default;           /* DEFAULT (RP statements) */
};

/* One statement. Which fields are meaningful depends on @kind (see
 * enum st_iql_kind); the others are NULL, false or 0. Strings are
 * NUL-terminated and owned by the query. */
struct st_iql_stmt {
    enum st_iql_kind kind;
    const char *name;     /* the database, policy or user the statement is about */
    const char *db;       /* ON db */
    const char *password; /* CREATE USER, SET PASSWORD */
    bool admin;           /* CREATE USER ... WITH ALL PRIVILEGES */
    bool with;            /* CREATE DATABASE: a WITH clause was given */
    const char *rp_name;  /* CREATE DATABASE ... WITH NAME, else NULL */
    struct st_iql_rp_opts rp;
    enum st_iql_priv priv;     /* GRANT, REVOKE */
    bool exact;                /* SHOW ... EXACT CARDINALITY */
    struct st_iql_select *sel; /* SELECT, SHOW MEASUREMENTS ... DELETE (see the kinds) */
    const char *what;          /* its leading keywords, "SHOW MEASUREMENTS" (every kind) */
    const char *text;          /* the statement as written, no ';' (every kind) */
    size_t text_len;
};

/* A parsed query: its statements in order. */
struct st_iql_query {
    size_t n;
    struct st_iql_stmt *stmts;
    void *mem; /* private: the arena holding everything above */
};

/* Parses @text (@len bytes, borrowed; need not be NUL-terminated). On ST_OK
 * *@out is the query (no statements for an empty or ";" text); the caller
 * owns it: st_iql_free(). ST_EPARSE: the text is not InfluxQL; InfluxDB's
 * message (without the "error parsing query: " prefix) is appended to @err.
 * ST_ENOMEM. */
int st_iql_parse(const char *text, size_t len, struct st_iql_query **out, struct st_buf *err);

/* A value of params= for $name, as InfluxDB's handler decodes the JSON:
 * strings, integers (numbers without '.'), floats and booleans. */
enum st_iql_param_kind {
    ST_IQL_PARAM_STRING,
    ST_IQL_PARAM_INTEGER,
    ST_IQL_PARAM_NUMBER,
    ST_IQL_PARAM_BOOLEAN
};
struct st_iql_param {
    const char *name; /* without the '$' */
    enum st_iql_param_kind kind;
    const char *s; /* STRING */
    int64_t i;     /* INTEGER */
    double f;      /* NUMBER */
    bool b;        /* BOOLEAN */
};

/* st_iql_parse() with the bound parameters @params (@n, borrowed for the
 * call): each $name in an expression becomes the literal of its value. */
int st_iql_parse_params(const char *text, size_t len, const struct st_iql_param *params, size_t n,
                        struct st_iql_query **out, struct st_buf *err);

/* Whether InfluxDB 1.6 answers the cardinality statement @s with its
 * estimate (one series, column "cardinality estimation", over every policy)
 * rather than running it as a SELECT: SHOW SERIES or MEASUREMENT
 * CARDINALITY without EXACT, FROM, WHERE, GROUP BY, LIMIT or OFFSET. */
bool st_iql_card_estimate(const struct st_iql_stmt *s);

/* Frees @q and everything it holds. NULL is fine. */
void st_iql_free(struct st_iql_query *q);

/* Appends the statement as InfluxDB 1.6 prints it in messages (String() of
 * its AST: "CREATE USER bob WITH PASSWORD [REDACTED]", identifiers quoted
 * when needed); an UNSUPPORTED statement as written. Where the AST keeps
 * less than InfluxDB's, the data statements print what it keeps: "ORDER BY
 * time DESC" or nothing, distinct(x) for DISTINCT x, WITH MEASUREMENT
 * without its db and rp. ST_OK or ST_ENOMEM. */
int st_iql_stmt_string(const struct st_iql_stmt *s, struct st_buf *out);

/* Appends expression @e as InfluxDB 1.6 prints it (String() of its AST):
 * identifiers quoted when needed, "x"::float, 'strings' escaped, /regex/,
 * durations as 10m, numbers with three decimals (1.500), calls as
 * name(a, b), binary expressions as "a + b". ST_OK or ST_ENOMEM. */
int st_iql_expr_string(const struct st_iql_expr *e, struct st_buf *out);

/* Appends @s as an InfluxQL identifier: bare if it can be, else in double
 * quotes with \n, \\ and \" escaped (InfluxDB's QuoteIdent). */
int st_iql_quote_ident(struct st_buf *out, const char *s);

/* Appends @ns as an InfluxQL duration literal: "0s", "1w", "36h", "1500ms",
 * "15u", "7ns" (InfluxDB's FormatDuration). */
int st_iql_fmt_duration(struct st_buf *out, int64_t ns);

/* Appends @ns as Go's time.Duration prints it: "0s", "168h0m0s", "1.5s",
 * "1µs" (SHOW RETENTION POLICIES uses this form). */
int st_iql_go_duration(struct st_buf *out, int64_t ns);

/* "NO PRIVILEGES", "READ", "WRITE", "ALL PRIVILEGES" (static). */
const char *st_iql_priv_name(enum st_iql_priv p);

/* InfluxDB's parser of duration literals ("1h30m", "7d", "10ns"): ST_OK
 * with *@ns, or ST_EPARSE with InfluxDB's message in @err ("invalid
 * duration", "overflowed duration ..."). @s is @len bytes. */
int st_iql_parse_duration(const char *s, size_t len, int64_t *ns, struct st_buf *err);

/* Go's utf8.DecodeRune, which InfluxDB's text handling follows: the rune
 * at @p (@n > 0 bytes) in *@r and its size; an invalid byte (bad lead or
 * continuation, overlong form, surrogate, truncated sequence) is U+FFFD of
 * size 1. */
size_t st_iql_utf8_decode(const unsigned char *p, size_t n, int32_t *r);

#endif
