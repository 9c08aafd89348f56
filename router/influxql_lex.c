/* The InfluxQL lexer.
 *
 * InfluxDB reports a parse error at the position of the offending token, and
 * clients show (and tests compare) those positions, so this lexer keeps
 * InfluxDB 1.6's exact reading discipline rather than a cleaner one: runes
 * are read one at a time from a ring of the last three, any of which can be
 * pushed back; the end of the input is a rune (0) that can be read several
 * times but moves the position only the first time; "\r\n" and a lone "\r"
 * read as "\n"; an invalid UTF-8 byte reads as U+FFFD; a NUL byte reads as
 * the end-of-input rune, as in InfluxDB, whose scanner may then read past
 * it ("SHOW USERS\0x" is the identifier "USERSx" there). Every scanning
 * function below reads and pushes back in the same order as InfluxDB's, so
 * that positions and literals match byte for byte (tests/router/
 * test_influxql.c holds the cases checked against a real InfluxDB 1.6).
 *
 * Literal text goes into the token's buffer: identifiers unquoted and
 * unescaped, strings unescaped, numbers and durations as written, and for
 * an illegal character the character itself (InfluxDB prints it in "found
 * X"). Keywords carry no text: the parser prints their names.
 */
#include <string.h>

#include "err.h"
#include "influxql_int.h"

#define EOF_RUNE 0
#define MICRO_SIGN 0xB5 /* µ, accepted in durations */

static const char *const TOK_NAMES[T_MAX] = {
    [T_ILLEGAL] = "ILLEGAL",
    [T_EOF] = "EOF",
    [T_WS] = "WS",
    [T_IDENT] = "IDENT",
    [T_NUMBER] = "NUMBER",
    [T_DURATIONVAL] = "DURATIONVAL",
    [T_STRING] = "STRING",
    [T_BADSTRING] = "BADSTRING",
    [T_BADESCAPE] = "BADESCAPE",
    [T_TRUE] = "TRUE",
    [T_FALSE] = "FALSE",
    [T_REGEX] = "REGEX",
    [T_ADD] = "+",
    [T_SUB] = "-",
    [T_MUL] = "*",
    [T_DIV] = "/",
    [T_MOD] = "%",
    [T_BITWISE_AND] = "&",
    [T_BITWISE_OR] = "|",
    [T_BITWISE_XOR] = "^",
    [T_AND] = "AND",
    [T_OR] = "OR",
    [T_IN] = "IN",
    [T_EQ] = "=",
    [T_NEQ] = "!=",
    [T_EQREGEX] = "=~",
    [T_NEQREGEX] = "!~",
    [T_LT] = "<",
    [T_LTE] = "<=",
    [T_GT] = ">",
    [T_GTE] = ">=",
    [T_LPAREN] = "(",
    [T_RPAREN] = ")",
    [T_COMMA] = ",",
    [T_COLON] = ":",
    [T_DOUBLECOLON] = "::",
    [T_SEMICOLON] = ";",
    [T_DOT] = ".",
    [T_ALL] = "ALL",
    [T_ALTER] = "ALTER",
    [T_ANALYZE] = "ANALYZE",
    [T_ANY] = "ANY",
    [T_AS] = "AS",
    [T_ASC] = "ASC",
    [T_BEGIN] = "BEGIN",
    [T_BY] = "BY",
    [T_CARDINALITY] = "CARDINALITY",
    [T_CREATE] = "CREATE",
    [T_CONTINUOUS] = "CONTINUOUS",
    [T_DATABASE] = "DATABASE",
    [T_DATABASES] = "DATABASES",
    [T_DEFAULT] = "DEFAULT",
    [T_DELETE] = "DELETE",
    [T_DESC] = "DESC",
    [T_DESTINATIONS] = "DESTINATIONS",
    [T_DIAGNOSTICS] = "DIAGNOSTICS",
    [T_DISTINCT] = "DISTINCT",
    [T_DROP] = "DROP",
    [T_DURATION] = "DURATION",
    [T_END] = "END",
    [T_EVERY] = "EVERY",
    [T_EXACT] = "EXACT",
    [T_EXPLAIN] = "EXPLAIN",
    [T_FIELD] = "FIELD",
    [T_FOR] = "FOR",
    [T_FROM] = "FROM",
    [T_GRANT] = "GRANT",
    [T_GRANTS] = "GRANTS",
    [T_GROUP] = "GROUP",
    [T_GROUPS] = "GROUPS",
    [T_INF] = "INF",
    [T_INSERT] = "INSERT",
    [T_INTO] = "INTO",
    [T_KEY] = "KEY",
    [T_KEYS] = "KEYS",
    [T_KILL] = "KILL",
    [T_LIMIT] = "LIMIT",
    [T_MEASUREMENT] = "MEASUREMENT",
    [T_MEASUREMENTS] = "MEASUREMENTS",
    [T_NAME] = "NAME",
    [T_OFFSET] = "OFFSET",
    [T_ON] = "ON",
    [T_ORDER] = "ORDER",
    [T_PASSWORD] = "PASSWORD",
    [T_POLICY] = "POLICY",
    [T_POLICIES] = "POLICIES",
    [T_PRIVILEGES] = "PRIVILEGES",
    [T_QUERIES] = "QUERIES",
    [T_QUERY] = "QUERY",
    [T_READ] = "READ",
    [T_REPLICATION] = "REPLICATION",
    [T_RESAMPLE] = "RESAMPLE",
    [T_RETENTION] = "RETENTION",
    [T_REVOKE] = "REVOKE",
    [T_SELECT] = "SELECT",
    [T_SERIES] = "SERIES",
    [T_SET] = "SET",
    [T_SHOW] = "SHOW",
    [T_SHARD] = "SHARD",
    [T_SHARDS] = "SHARDS",
    [T_SLIMIT] = "SLIMIT",
    [T_SOFFSET] = "SOFFSET",
    [T_STATS] = "STATS",
    [T_SUBSCRIPTION] = "SUBSCRIPTION",
    [T_SUBSCRIPTIONS] = "SUBSCRIPTIONS",
    [T_TAG] = "TAG",
    [T_TO] = "TO",
    [T_USER] = "USER",
    [T_USERS] = "USERS",
    [T_VALUES] = "VALUES",
    [T_WHERE] = "WHERE",
    [T_WITH] = "WITH",
    [T_WRITE] = "WRITE",
};

const char *iql_tok_name(enum iql_tok t)
{
    if ((int)t < 0 || t >= T_MAX || TOK_NAMES[t] == NULL)
        return "";
    return TOK_NAMES[t];
}

enum iql_tok iql_lookup(const char *s, size_t len)
{
    /* Keywords are ASCII and an unquoted identifier is ASCII too, so an
     * ASCII case-insensitive comparison is InfluxDB's strings.ToLower. */
    char low[16];
    if (len == 0 || len >= sizeof low)
        return T_IDENT;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        low[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    low[len] = '\0';
    for (int t = T_ALL; t <= T_WRITE; t++)
        if (strcmp(TOK_NAMES[t], low) == 0)
            return (enum iql_tok)t;
    if (strcmp(low, "AND") == 0)
        return T_AND;
    if (strcmp(low, "OR") == 0)
        return T_OR;
    if (strcmp(low, "IN") == 0)
        return T_IN;
    if (strcmp(low, "TRUE") == 0)
        return T_TRUE;
    if (strcmp(low, "FALSE") == 0)
        return T_FALSE;
    return T_IDENT;
}

/* UTF-8 ------------------------------------------------------------------ */

size_t st_iql_utf8_decode(const unsigned char *p, size_t n, int32_t *r)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    size_t need;
    int32_t v;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *r = 0xFFFD;
        return 1;
    }
    if (n < need || p[1] < lo || p[1] > hi) {
        *r = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < need; i++) {
        if (i > 1 && (p[i] < 0x80 || p[i] > 0xBF)) {
            *r = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (p[i] & 0x3F);
    }
    *r = v;
    return need;
}

int iql_utf8_put(struct st_buf *b, int32_t r)
{
    char s[4];
    size_t n;
    if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        r = 0xFFFD;
    if (r < 0x80) {
        s[0] = (char)r, n = 1;
    } else if (r < 0x800) {
        s[0] = (char)(0xC0 | (r >> 6)), s[1] = (char)(0x80 | (r & 0x3F)), n = 2;
    } else if (r < 0x10000) {
        s[0] = (char)(0xE0 | (r >> 12)), s[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        s[2] = (char)(0x80 | (r & 0x3F)), n = 3;
    } else {
        s[0] = (char)(0xF0 | (r >> 18)), s[1] = (char)(0x80 | ((r >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((r >> 6) & 0x3F)), s[3] = (char)(0x80 | (r & 0x3F)), n = 4;
    }
    return st_buf_append(b, s, n);
}

/* The rune reader --------------------------------------------------------- */

void iql_lex_init(struct iql_lexer *lx, const char *text, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->p = (const unsigned char *)text;
    lx->len = len;
}

static const struct iql_rune *curr(const struct iql_lexer *lx)
{
    return &lx->ring[(lx->i - lx->n + 3) % 3];
}

static void unread(struct iql_lexer *lx)
{
    lx->n++;
}

static const struct iql_rune *rd(struct iql_lexer *lx)
{
    if (lx->n > 0) {
        lx->n--;
        return curr(lx);
    }
    size_t start = lx->off;
    int32_t ch = EOF_RUNE;
    if (lx->off < lx->len) {
        lx->off += st_iql_utf8_decode(lx->p + lx->off, lx->len - lx->off, &ch);
        if (ch == '\r') {
            if (lx->off < lx->len && lx->p[lx->off] == '\n')
                lx->off++;
            ch = '\n';
        }
    }
    lx->i = (lx->i + 1) % 3;
    struct iql_rune *r = &lx->ring[lx->i];
    r->ch = ch;
    r->pos = lx->pos;
    r->off = start;
    if (ch == '\n') {
        lx->pos.line++;
        lx->pos.ch = 0;
    } else if (!lx->eof) {
        lx->pos.ch++;
    }
    if (ch == EOF_RUNE)
        lx->eof = true;
    return r;
}

/* The next rune, for code that only looks at its value. */
static int32_t rdc(struct iql_lexer *lx)
{
    return rd(lx)->ch;
}

static bool is_ws(int32_t c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static bool is_letter(int32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int32_t c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_char(int32_t c)
{
    return is_letter(c) || is_digit(c) || c == '_';
}

/* Scanning functions ----------------------------------------------------- */

static void skip_until_newline(struct iql_lexer *lx)
{
    for (;;) {
        int32_t c = rdc(lx);
        if (c == '\n' || c == EOF_RUNE)
            return;
    }
}

/* false: the input ended inside the comment. */
static bool skip_until_end_comment(struct iql_lexer *lx)
{
    for (;;) {
        int32_t c = rdc(lx);
        if (c == '*') {
            for (;;) {
                int32_t c2 = rdc(lx);
                if (c2 == '/')
                    return true;
                if (c2 == EOF_RUNE)
                    return false;
                if (c2 != '*')
                    break;
            }
        } else if (c == EOF_RUNE) {
            return false;
        }
    }
}

static int scan_whitespace(struct iql_lexer *lx, struct iql_token *t)
{
    const struct iql_rune *r = curr(lx);
    t->tok = T_WS;
    t->pos = r->pos;
    int rv = iql_utf8_put(&t->lit, r->ch);
    for (;;) {
        int32_t c = rdc(lx);
        if (c == EOF_RUNE)
            break;
        if (!is_ws(c)) {
            unread(lx);
            break;
        }
        if (rv == ST_OK)
            rv = iql_utf8_put(&t->lit, c);
    }
    return rv;
}

/* InfluxDB's ScanString: the opening quote is the next rune. Returns
 * T_STRING, T_BADSTRING (unterminated, or a newline inside) or T_BADESCAPE
 * (lit is then the backslash and the bad character). */
static enum iql_tok scan_quoted(struct iql_lexer *lx, struct st_buf *lit, int *rv)
{
    int32_t ending = rdc(lx);
    if (ending == EOF_RUNE)
        return T_BADSTRING;
    for (;;) {
        int32_t c = rdc(lx);
        if (c == ending)
            return T_STRING;
        if (c == EOF_RUNE || c == '\n')
            return T_BADSTRING;
        if (c == '\\') {
            int32_t c1 = rdc(lx);
            int32_t out;
            if (c1 == 'n')
                out = '\n';
            else if (c1 == '\\' || c1 == '"' || c1 == '\'')
                out = c1;
            else {
                st_buf_reset(lit);
                if ((*rv = st_buf_putc(lit, '\\')) == ST_OK)
                    *rv = iql_utf8_put(lit, c1);
                return T_BADESCAPE;
            }
            if (*rv == ST_OK)
                *rv = iql_utf8_put(lit, out);
        } else if (*rv == ST_OK) {
            *rv = iql_utf8_put(lit, c);
        }
    }
}

/* scanString: called with the opening quote just read. */
static int scan_string(struct iql_lexer *lx, struct iql_token *t)
{
    int rv = ST_OK;
    unread(lx);
    t->pos = curr(lx)->pos; /* InfluxDB's: the rune before the quote */
    t->tok = scan_quoted(lx, &t->lit, &rv);
    if (t->tok == T_BADESCAPE)
        t->pos = curr(lx)->pos;
    return rv;
}

/* ScanBareIdent: appends identifier characters; stops before the first
 * other one, or after reading the end. */
static int scan_bare_ident(struct iql_lexer *lx, struct st_buf *lit)
{
    int rv = ST_OK;
    for (;;) {
        int32_t c = rdc(lx);
        if (c == EOF_RUNE)
            break;
        if (!is_ident_char(c)) {
            unread(lx);
            break;
        }
        if (rv == ST_OK)
            rv = st_buf_putc(lit, (char)c);
    }
    return rv;
}

static int scan_ident(struct iql_lexer *lx, struct iql_token *t, bool lookup)
{
    int rv = ST_OK;
    t->pos = rd(lx)->pos;
    unread(lx);
    for (;;) {
        int32_t c = rdc(lx);
        if (c == EOF_RUNE) {
            break;
        } else if (c == '"') {
            struct iql_pos pos = t->pos;
            st_buf_reset(&t->lit);
            rv = scan_string(lx, t);
            if (t->tok == T_STRING) {
                t->tok = T_IDENT;
                t->pos = pos;
            }
            return rv;
        } else if (is_ident_char(c)) {
            unread(lx);
            if (rv == ST_OK)
                rv = scan_bare_ident(lx, &t->lit);
        } else {
            unread(lx);
            break;
        }
    }
    t->tok = T_IDENT;
    if (lookup) {
        enum iql_tok k = iql_lookup(t->lit.p ? t->lit.p : "", t->lit.len);
        if (k != T_IDENT) {
            t->tok = k;
            st_buf_reset(&t->lit);
        }
    }
    return rv;
}

static int scan_digits(struct iql_lexer *lx, struct st_buf *lit)
{
    int rv = ST_OK;
    for (;;) {
        int32_t c = rdc(lx);
        if (!is_digit(c)) {
            unread(lx);
            return rv;
        }
        if (rv == ST_OK)
            rv = st_buf_putc(lit, (char)c);
    }
}

/* scanNumber: the current rune is a digit, or a '.' followed by one. */
static int scan_number(struct iql_lexer *lx, struct iql_token *t)
{
    const struct iql_rune *r = curr(lx);
    t->pos = r->pos;
    if (r->ch == '.') {
        int32_t c1 = rdc(lx);
        unread(lx);
        if (!is_digit(c1)) {
            t->tok = T_ILLEGAL;
            return st_buf_putc(&t->lit, '.');
        }
        unread(lx);
    } else {
        unread(lx);
    }
    int rv = scan_digits(lx, &t->lit);
    bool decimal = false;
    int32_t c0 = rdc(lx);
    if (c0 == '.') {
        decimal = true;
        int32_t c1 = rdc(lx);
        if (is_digit(c1)) {
            if (rv == ST_OK)
                rv = st_buf_putc(&t->lit, '.');
            if (rv == ST_OK)
                rv = st_buf_putc(&t->lit, (char)c1);
            if (rv == ST_OK)
                rv = scan_digits(lx, &t->lit);
        } else {
            unread(lx);
        }
    } else {
        unread(lx);
    }
    if (decimal) {
        t->tok = T_NUMBER;
        return rv;
    }
    c0 = rdc(lx);
    if (!is_letter(c0) && c0 != MICRO_SIGN) {
        unread(lx);
        t->tok = T_INTEGER;
        return rv;
    }
    if (rv == ST_OK)
        rv = iql_utf8_put(&t->lit, c0);
    for (;;) {
        int32_t c1 = rdc(lx);
        if (!is_letter(c1) && c1 != MICRO_SIGN) {
            unread(lx);
            break;
        }
        if (rv == ST_OK)
            rv = iql_utf8_put(&t->lit, c1);
    }
    for (;;) {
        int32_t c1 = rdc(lx);
        if (!is_letter(c1) && c1 != MICRO_SIGN && !is_digit(c1)) {
            unread(lx);
            break;
        }
        if (rv == ST_OK)
            rv = iql_utf8_put(&t->lit, c1);
    }
    t->tok = T_DURATIONVAL;
    return rv;
}

/* One of the two-rune operators: @c1 completes @two, else push back. */
static enum iql_tok pick(struct iql_lexer *lx, int32_t want, enum iql_tok two, enum iql_tok one)
{
    if (rdc(lx) == want)
        return two;
    unread(lx);
    return one;
}

int iql_scan(struct iql_lexer *lx, struct iql_token *t)
{
    st_buf_reset(&t->lit);
    const struct iql_rune *r = rd(lx);
    int32_t c0 = r->ch;
    t->pos = r->pos;
    t->off = r->off;
    t->tok = T_ILLEGAL;

    if (is_ws(c0))
        return scan_whitespace(lx, t);
    if (is_letter(c0) || c0 == '_') {
        unread(lx);
        return scan_ident(lx, t, true);
    }
    if (is_digit(c0))
        return scan_number(lx, t);

    int32_t c1;
    switch (c0) {
    case EOF_RUNE:
        t->tok = T_EOF;
        return ST_OK;
    case '"':
        unread(lx);
        return scan_ident(lx, t, true);
    case '\'':
        return scan_string(lx, t);
    case '.':
        c1 = rdc(lx);
        unread(lx);
        if (is_digit(c1))
            return scan_number(lx, t);
        t->tok = T_DOT;
        return ST_OK;
    case '$': {
        struct iql_pos pos = t->pos;
        int rv = scan_ident(lx, t, false);
        if (t->tok == T_IDENT)
            t->tok = T_BOUNDPARAM;
        t->pos = pos;
        /* InfluxDB prefixes the literal with the '$'. */
        if (rv == ST_OK && (rv = st_buf_reserve(&t->lit, 1)) == ST_OK) {
            memmove(t->lit.p + 1, t->lit.p, t->lit.len + 1);
            t->lit.p[0] = '$';
            t->lit.len++;
        }
        return rv;
    }
    case '+':
        t->tok = T_ADD;
        return ST_OK;
    case '-':
        if (rdc(lx) == '-') {
            skip_until_newline(lx);
            t->tok = T_COMMENT;
            return ST_OK;
        }
        unread(lx);
        t->tok = T_SUB;
        return ST_OK;
    case '*':
        t->tok = T_MUL;
        return ST_OK;
    case '/':
        if (rdc(lx) == '*') {
            t->tok = skip_until_end_comment(lx) ? T_COMMENT : T_ILLEGAL;
            return ST_OK;
        }
        unread(lx);
        t->tok = T_DIV;
        return ST_OK;
    case '%':
        t->tok = T_MOD;
        return ST_OK;
    case '&':
        t->tok = T_BITWISE_AND;
        return ST_OK;
    case '|':
        t->tok = T_BITWISE_OR;
        return ST_OK;
    case '^':
        t->tok = T_BITWISE_XOR;
        return ST_OK;
    case '=':
        t->tok = pick(lx, '~', T_EQREGEX, T_EQ);
        return ST_OK;
    case '!':
        c1 = rdc(lx);
        if (c1 == '=') {
            t->tok = T_NEQ;
            return ST_OK;
        }
        if (c1 == '~') {
            t->tok = T_NEQREGEX;
            return ST_OK;
        }
        unread(lx);
        break; /* ILLEGAL "!" */
    case '>':
        t->tok = pick(lx, '=', T_GTE, T_GT);
        return ST_OK;
    case '<':
        c1 = rdc(lx);
        if (c1 == '=') {
            t->tok = T_LTE;
            return ST_OK;
        }
        if (c1 == '>') {
            t->tok = T_NEQ;
            return ST_OK;
        }
        unread(lx);
        t->tok = T_LT;
        return ST_OK;
    case '(':
        t->tok = T_LPAREN;
        return ST_OK;
    case ')':
        t->tok = T_RPAREN;
        return ST_OK;
    case ',':
        t->tok = T_COMMA;
        return ST_OK;
    case ';':
        t->tok = T_SEMICOLON;
        return ST_OK;
    case ':':
        t->tok = pick(lx, ':', T_DOUBLECOLON, T_COLON);
        return ST_OK;
    default:
        break;
    }
    t->tok = T_ILLEGAL;
    return iql_utf8_put(&t->lit, c0);
}

int32_t iql_peek_rune(struct iql_lexer *lx)
{
    int32_t c = rdc(lx);
    if (c != EOF_RUNE)
        unread(lx);
    return c;
}

int iql_scan_regex(struct iql_lexer *lx, struct iql_token *t)
{
    /* InfluxDB's ScanRegex: the position is that of the rune before the
     * '/' (the reader's current rune), the literal is the text between the
     * slashes with "\/" unescaped; at the end of the input or of the line
     * the token is BADREGEX with no literal. */
    const struct iql_rune *r = curr(lx);
    st_buf_reset(&t->lit);
    t->pos = r->pos;
    t->off = r->off;
    t->tok = T_BADREGEX;
    if (rdc(lx) != '/')
        return ST_OK; /* UNTESTED: the parser asks only when a '/' is next */
    int rv = ST_OK;
    for (;;) {
        int32_t c = rdc(lx);
        if (c == '/')
            break;
        if (c == EOF_RUNE || c == '\n') {
            st_buf_reset(&t->lit);
            return ST_OK;
        }
        if (c == '\\') {
            int32_t c1 = rdc(lx);
            if (c1 == EOF_RUNE) {
                st_buf_reset(&t->lit);
                return ST_OK;
            }
            if (c1 != '/') {
                unread(lx);
                c1 = '\\';
            }
            c = c1;
        }
        if (rv == ST_OK)
            rv = iql_utf8_put(&t->lit, c);
    }
    t->tok = T_REGEX;
    return rv;
}

void iql_skip_regex(struct iql_lexer *lx)
{
    for (;;) {
        int32_t c = rdc(lx);
        if (c == '/' || c == EOF_RUNE)
            return;
        if (c == '\n') {
            unread(lx);
            return;
        }
        if (c == '\\' && rdc(lx) != '/')
            unread(lx);
    }
}
