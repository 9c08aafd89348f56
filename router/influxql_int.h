/* InfluxQL internals shared by the lexer, the parser and the printer (iql_ prefix). */
#ifndef ST_INFLUXQL_INT_H
#define ST_INFLUXQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "influxql.h"

/* Tokens, in InfluxDB 1.6's order and with its names (iql_tok_name()). */
enum iql_tok {
    T_ILLEGAL,
    T_EOF,
    T_WS,
    T_COMMENT,
    /* literals */
    T_IDENT,
    T_BOUNDPARAM,
    T_NUMBER,
    T_INTEGER,
    T_DURATIONVAL,
    T_STRING,
    T_BADSTRING,
    T_BADESCAPE,
    T_TRUE,
    T_FALSE,
    T_REGEX,
    T_BADREGEX,
    /* operators */
    T_ADD,
    T_SUB,
    T_MUL,
    T_DIV,
    T_MOD,
    T_BITWISE_AND,
    T_BITWISE_OR,
    T_BITWISE_XOR,
    T_AND,
    T_OR,
    T_IN,
    T_EQ,
    T_NEQ,
    T_EQREGEX,
    T_NEQREGEX,
    T_LT,
    T_LTE,
    T_GT,
    T_GTE,
    /* punctuation */
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_COLON,
    T_DOUBLECOLON,
    T_SEMICOLON,
    T_DOT,
    /* keywords, T_ALL .. T_WRITE */
    T_ALL,
    T_ALTER,
    T_ANALYZE,
    T_ANY,
    T_AS,
    T_ASC,
    T_BEGIN,
    T_BY,
    T_CARDINALITY,
    T_CREATE,
    T_CONTINUOUS,
    T_DATABASE,
    T_DATABASES,
    T_DEFAULT,
    T_DELETE,
    T_DESC,
    T_DESTINATIONS,
    T_DIAGNOSTICS,
    T_DISTINCT,
    T_DROP,
    T_DURATION,
    T_END,
    T_EVERY,
    T_EXACT,
    T_EXPLAIN,
    T_FIELD,
    T_FOR,
    T_FROM,
    T_GRANT,
    T_GRANTS,
    T_GROUP,
    T_GROUPS,
    T_INF,
    T_INSERT,
    T_INTO,
    T_KEY,
    T_KEYS,
    T_KILL,
    T_LIMIT,
    T_MEASUREMENT,
    T_MEASUREMENTS,
    T_NAME,
    T_OFFSET,
    T_ON,
    T_ORDER,
    T_PASSWORD,
    T_POLICY,
    T_POLICIES,
    T_PRIVILEGES,
    T_QUERIES,
    T_QUERY,
    T_READ,
    T_REPLICATION,
    T_RESAMPLE,
    T_RETENTION,
    T_REVOKE,
    T_SELECT,
    T_SERIES,
    T_SET,
    T_SHOW,
    T_SHARD,
    T_SHARDS,
    T_SLIMIT,
    T_SOFFSET,
    T_STATS,
    T_SUBSCRIPTION,
    T_SUBSCRIPTIONS,
    T_TAG,
    T_TO,
    T_USER,
    T_USERS,
    T_VALUES,
    T_WHERE,
    T_WITH,
    T_WRITE,
    T_MAX
};

/* The token's name as InfluxDB prints it when a token has no literal text
 * ("EOF", "SELECT", ";"); "" for the few it has no name for. */
const char *iql_tok_name(enum iql_tok t);

/* The keyword token spelled by @s (@len bytes, any case), or T_IDENT. */
enum iql_tok iql_lookup(const char *s, size_t len);

/* Zero-based line and character (in runes) of a token, as InfluxDB counts. */
struct iql_pos {
    int line;
    int ch;
};

/* One rune read from the input, with where it was. */
struct iql_rune {
    int32_t ch;         /* 0 is the end (a NUL byte reads as 0 too, as in InfluxDB) */
    struct iql_pos pos; /* position before the rune */
    size_t off;         /* byte offset where it starts */
};

/*
 * The rune reader and scanner: a port of the read/unread discipline of
 * InfluxDB's scanner (a ring of the last 3 runes that can be pushed back),
 * because InfluxDB's error positions depend on it (e.g. the end of input
 * after an identifier is reported one character past it).
 */
struct iql_lexer {
    const unsigned char *p; /* input, borrowed */
    size_t len, off;        /* size and next byte to decode */
    struct iql_rune ring[3];
    int i, n;           /* ring index of the last rune read; runes pushed back */
    struct iql_pos pos; /* position of the next new rune */
    bool eof;           /* the end was read once: it is counted once */
};

/* A token with its literal text. @lit is owned by whoever embeds the token
 * (the parser's ring of 3 tokens); keywords and punctuation have none. */
struct iql_token {
    enum iql_tok tok;
    struct iql_pos pos;
    size_t off; /* byte offset of the rune the scan started at */
    struct st_buf lit;
};

void iql_lex_init(struct iql_lexer *lx, const char *text, size_t len);

/* Scans the next token into @t (its lit is reset first). ST_OK or ST_ENOMEM. */
int iql_scan(struct iql_lexer *lx, struct iql_token *t);

/* Skips a regular expression whose opening '/' was just scanned, up to the
 * closing '/' (escaped "\/" does not close), the end of the line or of the
 * input, as InfluxDB's ScanRegex would consume it. */
void iql_skip_regex(struct iql_lexer *lx);

/* The next rune without consuming it, as InfluxDB's parser peeks at the
 * reader behind its token buffer (peekRune): reading the end counts it. */
int32_t iql_peek_rune(struct iql_lexer *lx);

/* InfluxDB's ScanRegex, for a '/' that is the next rune: T_REGEX with the
 * text between the slashes ("\/" unescaped) at the position of the rune
 * before the '/', or T_BADREGEX (no literal) when the input or the line
 * ends first. ST_OK or ST_ENOMEM. */
int iql_scan_regex(struct iql_lexer *lx, struct iql_token *t);

/* Appends @r as UTF-8 (invalid runes as U+FFFD). */
int iql_utf8_put(struct st_buf *b, int32_t r);

/* A bump allocator: everything a query holds lives in one arena. */
struct iql_arena;
int iql_arena_new(struct iql_arena **out);
void iql_arena_free(struct iql_arena *a);
void *iql_arena_alloc(struct iql_arena *a, size_t n);
char *iql_arena_strndup(struct iql_arena *a, const char *s, size_t n);

/* Room for one more item in the arena array @arr of @n items of @size
 * bytes (*@cap allocated): @arr itself, or a copy twice as large (the old
 * one stays in the arena). NULL: out of memory. */
void *iql_arena_grow(struct iql_arena *a, void *arr, size_t n, size_t *cap, size_t size);

/*
 * The parser: InfluxDB's bufScanner (a ring of the last 3 tokens that can
 * be pushed back) over the lexer, the arena of the query being built, and
 * the error. Every parse function returns ST_OK, ST_EPARSE (the message is
 * in @err) or ST_ENOMEM.
 */
struct iql_parser {
    struct iql_lexer lx;
    struct iql_token ring[3];
    int i, n;
    struct iql_arena *arena;
    struct st_buf *err;
    const char *text;                  /* the whole input */
    size_t stmt_off;                   /* byte offset of the statement being parsed */
    char path[64];                     /* its leading keywords, "SHOW TAG KEYS" */
    enum iql_tok last;                 /* the last keyword of the path */
    int depth;                         /* nesting of expressions and subqueries being parsed */
    const struct st_iql_param *params; /* params=, for $name */
    size_t nparams;
};

/* Limits that keep the recursive parser and the walkers of the AST off the
 * end of the stack (InfluxDB has none): nested parentheses, calls and
 * subqueries, and the height of an expression tree. */
#define IQL_MAX_DEPTH 1000
#define IQL_MAX_HEIGHT 10000

/* The next token (whitespace and comments included); valid until three
 * more are scanned. NULL: out of memory. */
const struct iql_token *iql_next(struct iql_parser *p);

/* The next token that is not whitespace or a comment. */
const struct iql_token *iql_next_nows(struct iql_parser *p);

/* Pushes the last token back. */
void iql_unscan(struct iql_parser *p);

/* InfluxDB's bufScanner.ScanRegex: a pushed-back token if there is one
 * (whatever it is), else iql_scan_regex(). NULL: out of memory. */
const struct iql_token *iql_next_regex(struct iql_parser *p);

/* Consumes the next token if it is whitespace (consumeWhitespace). */
int iql_skip_ws(struct iql_parser *p);

/* "found <token>, expected <expected> at line L, char C" into p->err;
 * returns ST_EPARSE (ST_ENOMEM if the message could not be built). */
int iql_err_expected(struct iql_parser *p, const struct iql_token *t, const char *expected);

/* "<msg> at line L, char C"; returns ST_EPARSE. */
int iql_err_msg(struct iql_parser *p, struct iql_pos pos, const char *msg, size_t len);

/* InfluxDB's errors that carry no position ("fill must be a function
 * call", "invalid duration"): printf-style @fmt; returns ST_EPARSE. */
int iql_err_plain(struct iql_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* InfluxDB's ParseIdent: an identifier, copied into the arena. */
int iql_parse_ident(struct iql_parser *p, const char **out);

/* Consumes the token @want or fails with "expected <its name>". */
int iql_parse_token(struct iql_parser *p, enum iql_tok want);

/* Appends keyword @t to p->path. ST_OK or ST_ERANGE. */
int iql_append_path(struct iql_parser *p, enum iql_tok t);

/* Handlers of statements strata does not run yet (influxql_other.c): they
 * check what is cheap to check and keep the statement as UNSUPPORTED.
 * iql_skip_rest() keeps the rest of the statement unchecked; @naming: an
 * EXACT or CARDINALITY next is added to the statement's name. */
int iql_skip_unsupported(struct iql_parser *p, struct st_iql_stmt *s);
int iql_skip_rest(struct iql_parser *p, struct st_iql_stmt *s, bool naming);
int iql_parse_noargs(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_explain(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_kill_query(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_drop_shard(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_drop_cq(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_stats(struct iql_parser *p, struct st_iql_stmt *s);

/* Expressions (influxql_expr.c), InfluxDB's ParseExpr and its parts. */
struct st_iql_expr *iql_new_expr(struct iql_parser *p, enum st_iql_expr_kind kind);
int iql_parse_expr(struct iql_parser *p, struct st_iql_expr **out);
/* parseRegex: a /regex/ if one comes next, else *@out is NULL. */
int iql_parse_regex(struct iql_parser *p, struct st_iql_expr **out);
/* parseSegmentedIdents: 1 to 3 identifiers separated by dots ("db..m"
 * gives an empty one); *@n is their number. */
int iql_parse_segments(struct iql_parser *p, const char *seg[3], size_t *n);

/* Go's regexp.Compile syntax check (influxql_regex.c): ST_OK, or
 * ST_EPARSE with "error parsing regexp: <what>: `<where>`" appended to
 * @err, or ST_ENOMEM. */
int iql_regex_check(const char *re, size_t len, struct st_buf *err);

/* Whether Go's time.LoadLocation knows the zone @name (influxql_select.c). */
bool iql_tz_exists(const char *name);

/* The data statements (influxql_select.c, influxql_show.c). */
struct st_iql_select *iql_new_select(struct iql_parser *p);
/* SELECT after its keyword (INTO is accepted in subqueries too, as
 * InfluxDB 1.6 does). */
int iql_parse_select_body(struct iql_parser *p, struct st_iql_select **out);
int iql_parse_sources(struct iql_parser *p, bool subqueries, struct st_iql_select *sel);
int iql_parse_source(struct iql_parser *p, bool subqueries, struct st_iql_source *out);
int iql_parse_condition(struct iql_parser *p, struct st_iql_expr **out);
int iql_parse_dimensions(struct iql_parser *p, struct st_iql_select *sel);
int iql_parse_order_by(struct iql_parser *p, bool *desc);
int iql_parse_opt_int(struct iql_parser *p, enum iql_tok t, int64_t *out);
int iql_parse_select(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_delete(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_drop_series(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_drop_measurement(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_measurements(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_tag_keys(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_tag_values(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_field_keys(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_series(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_shards(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_measurement_card(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_tag_key_card(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_field_key_card(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_shard_groups(struct iql_parser *p, struct st_iql_stmt *s);

/* Printing (influxql_expr_fmt.c): InfluxDB's QuoteIdent of several
 * segments ("too many segments in ..."), and the data statements. */
int iql_quote_segments(struct st_buf *out, const char *const *seg, size_t n);
const char *iql_op_name(enum st_iql_op op); /* "+", "AND", "=~" ... */
int iql_data_stmt_string(const struct st_iql_stmt *s, struct st_buf *out);

/* Handlers of the catalogue statements (influxql_admin.c); the leading
 * keywords are consumed. */
int iql_parse_create_database(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_drop_database(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_databases(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_create_rp(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_alter_rp(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_drop_rp(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_rps(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_create_user(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_drop_user(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_set_password(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_grant(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_revoke(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_users(struct iql_parser *p, struct st_iql_stmt *s);
int iql_parse_show_grants(struct iql_parser *p, struct st_iql_stmt *s);

#endif
