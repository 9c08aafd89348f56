/* InfluxQL expressions: InfluxDB 1.6's ParseExpr, token by token.
 *
 * An expression is unary expressions joined by binary operators, put into
 * a tree by precedence as InfluxDB does it: each new operator walks down
 * the right edge of the tree past the operators of lower precedence and
 * takes the subtree it stops at as its left side (so equal precedences
 * associate to the left). A unary expression is a parenthesised
 * expression, a call name(args), a variable reference db.rp.name::type, a
 * literal, a wildcard *::field, or a sign before a number, a duration, a
 * reference, a call or a parenthesis.
 *
 * Regular expressions are not tokens the lexer can recognise alone ('/'
 * is also a division): as InfluxDB, the parser peeks at the next rune and
 * asks for a regex where the grammar allows one (a field, a call's
 * argument, the right side of =~ and !~, a source, a dimension). That
 * peek reads the lexer behind the token buffer, which gives InfluxDB's
 * quirks: "FROM a,/b/" is "found ,, expected regex" there and here.
 *
 * Failure modes: a syntax error (ST_EPARSE with InfluxDB's message, some
 * of which carry no position: "invalid duration", "missing parameter:
 * x"); out of memory (ST_ENOMEM). Nesting deeper than IQL_MAX_DEPTH or a
 * tree higher than IQL_MAX_HEIGHT is refused with a message of strata's
 * own (InfluxDB would exhaust its stack somewhere further).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "influxql_int.h"

#define NEXT(t, p)                            \
    do {                                      \
        if (((t) = iql_next_nows(p)) == NULL) \
            return ST_ENOMEM;                 \
    } while (0)

#define NEXT_RAW(t, p)                   \
    do {                                 \
        if (((t) = iql_next(p)) == NULL) \
            return ST_ENOMEM;            \
    } while (0)

static int parse_unary(struct iql_parser *p, struct st_iql_expr **out);

struct st_iql_expr *iql_new_expr(struct iql_parser *p, enum st_iql_expr_kind kind)
{
    struct st_iql_expr *e = iql_arena_alloc(p->arena, sizeof *e);
    if (e != NULL) {
        memset(e, 0, sizeof *e);
        e->kind = kind;
        e->height = 1;
    }
    return e;
}

static char *copy_lit(struct iql_parser *p, const struct iql_token *t)
{
    return iql_arena_strndup(p->arena, t->lit.p ? t->lit.p : "", t->lit.len);
}

/* Height of a node over children of heights @a and @b; refused beyond
 * IQL_MAX_HEIGHT. */
static int set_height(struct iql_parser *p, struct st_iql_expr *e, unsigned a, unsigned b)
{
    e->height = 1 + (a > b ? a : b);
    if (e->height > IQL_MAX_HEIGHT)
        return iql_err_plain(p, "expression too deep: more than %d levels", IQL_MAX_HEIGHT);
    return ST_OK;
}

/* Enters a nested expression or subquery at @pos; leave with p->depth--. */
static int enter(struct iql_parser *p, struct iql_pos pos)
{
    if (p->depth >= IQL_MAX_DEPTH) {
        static const char msg[] = "too many nested expressions";
        return iql_err_msg(p, pos, msg, sizeof msg - 1);
    }
    p->depth++;
    return ST_OK;
}

/* Binary operators ----------------------------------------------------------- */

static enum st_iql_op binary_op(enum iql_tok t)
{
    switch (t) {
    case T_ADD:
        return ST_IQL_OP_ADD;
    case T_SUB:
        return ST_IQL_OP_SUB;
    case T_MUL:
        return ST_IQL_OP_MUL;
    case T_DIV:
        return ST_IQL_OP_DIV;
    case T_MOD:
        return ST_IQL_OP_MOD;
    case T_BITWISE_AND:
        return ST_IQL_OP_BITAND;
    case T_BITWISE_OR:
        return ST_IQL_OP_BITOR;
    case T_BITWISE_XOR:
        return ST_IQL_OP_BITXOR;
    case T_AND:
        return ST_IQL_OP_AND;
    case T_OR:
        return ST_IQL_OP_OR;
    case T_EQ:
        return ST_IQL_OP_EQ;
    case T_NEQ:
        return ST_IQL_OP_NEQ;
    case T_EQREGEX:
        return ST_IQL_OP_EQREGEX;
    case T_NEQREGEX:
        return ST_IQL_OP_NEQREGEX;
    case T_LT:
        return ST_IQL_OP_LT;
    case T_LTE:
        return ST_IQL_OP_LTE;
    case T_GT:
        return ST_IQL_OP_GT;
    case T_GTE:
        return ST_IQL_OP_GTE;
    default:
        return 0; /* IN is no operator in InfluxDB 1.6's expressions */
    }
}

static int precedence(enum st_iql_op op)
{
    switch (op) {
    case ST_IQL_OP_OR:
        return 1;
    case ST_IQL_OP_AND:
        return 2;
    case ST_IQL_OP_ADD:
    case ST_IQL_OP_SUB:
    case ST_IQL_OP_BITOR:
    case ST_IQL_OP_BITXOR:
        return 4;
    case ST_IQL_OP_MUL:
    case ST_IQL_OP_DIV:
    case ST_IQL_OP_MOD:
    case ST_IQL_OP_BITAND:
        return 5;
    default:
        return 3; /* comparisons */
    }
}

static int new_binary(struct iql_parser *p, enum st_iql_op op, struct st_iql_expr *lhs,
                      struct st_iql_expr *rhs, struct st_iql_expr **out)
{
    struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_BINARY);
    if (e == NULL)
        return ST_ENOMEM;
    e->op = op;
    e->lhs = lhs;
    e->rhs = rhs;
    *out = e;
    return set_height(p, e, lhs->height, rhs->height);
}

/* After a change below @e on its right edge, its height and those above. */
static int fix_heights(struct iql_parser *p, struct st_iql_expr *e)
{
    if (e == NULL || e->kind != ST_IQL_E_BINARY)
        return ST_OK;
    int rv = fix_heights(p, e->rhs); /* at most 4 levels: one per precedence */
    return rv == ST_OK ? set_height(p, e, e->lhs->height, e->rhs->height) : rv;
}

/* Regexes --------------------------------------------------------------------- */

int iql_parse_regex(struct iql_parser *p, struct st_iql_expr **out)
{
    *out = NULL;
    int32_t c = iql_peek_rune(&p->lx);
    int rv;
    if ((c == ' ' || c == '\t' || c == '\n') && (rv = iql_skip_ws(p)) != ST_OK)
        return rv;
    c = iql_peek_rune(&p->lx);
    if (c == '$') {
        /* A bound parameter could stand for a regex: not without params. */
        const struct iql_token *t;
        NEXT_RAW(t, p);
        iql_unscan(p);
        return ST_OK;
    }
    if (c != '/')
        return ST_OK;
    const struct iql_token *t = iql_next_regex(p);
    if (t == NULL)
        return ST_ENOMEM;
    if (t->tok == T_BADREGEX || t->tok == T_BADESCAPE) {
        struct st_buf msg;
        st_buf_init(&msg);
        rv = st_buf_puts(&msg, t->tok == T_BADREGEX ? "bad regex: " : "bad escape: ");
        if (rv == ST_OK)
            rv = st_buf_append(&msg, t->lit.p ? t->lit.p : "", t->lit.len);
        if (rv == ST_OK)
            rv = iql_err_msg(p, t->pos, msg.p, msg.len);
        st_buf_fini(&msg);
        return rv;
    }
    if (t->tok != T_REGEX)
        return iql_err_expected(p, t, "regex");
    struct st_buf msg;
    st_buf_init(&msg);
    rv = iql_regex_check(t->lit.p ? t->lit.p : "", t->lit.len, &msg);
    if (rv == ST_EPARSE)
        rv = iql_err_msg(p, t->pos, msg.p, msg.len);
    st_buf_fini(&msg);
    if (rv != ST_OK)
        return rv;
    struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_REGEX);
    if (e == NULL || (e->str = copy_lit(p, t)) == NULL)
        return ST_ENOMEM;
    *out = e;
    return ST_OK;
}

/* Identifiers --------------------------------------------------------------------- */

int iql_parse_segments(struct iql_parser *p, const char *seg[3], size_t *n)
{
    const char **all = NULL;
    size_t len = 0, cap = 0;
    const char *ident;
    int rv = iql_parse_ident(p, &ident);
    for (;;) {
        if (rv != ST_OK)
            return rv;
        if ((all = iql_arena_grow(p->arena, all, len, &cap, sizeof *all)) == NULL)
            return ST_ENOMEM;
        all[len++] = ident;
        const struct iql_token *t;
        NEXT_RAW(t, p);
        if (t->tok != T_DOT) {
            iql_unscan(p);
            break;
        }
        int32_t c = iql_peek_rune(&p->lx);
        if (c == '/' || c == ':')
            break; /* a regex or :MEASUREMENT follows: the caller's */
        if (c == '.') {
            ident = ""; /* db..m */
            continue;
        }
        rv = iql_parse_ident(p, &ident);
    }
    if (len > 3) {
        struct st_buf msg;
        st_buf_init(&msg);
        rv = st_buf_puts(&msg, "too many segments in ");
        if (rv == ST_OK)
            rv = iql_quote_segments(&msg, all, len);
        if (rv == ST_OK)
            rv = iql_err_msg(p, (struct iql_pos){0, 0}, msg.p, msg.len);
        st_buf_fini(&msg);
        return rv;
    }
    for (size_t i = 0; i < len; i++)
        seg[i] = all[i];
    *n = len;
    return ST_OK;
}

/* ParseVarRef: segments joined by dots, then an optional ::type. */
static int parse_varref(struct iql_parser *p, struct st_iql_expr **out)
{
    const char *seg[3];
    size_t n;
    int rv = iql_parse_segments(p, seg, &n);
    if (rv != ST_OK)
        return rv;
    struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_VARREF);
    if (e == NULL)
        return ST_ENOMEM;
    if (n == 1) {
        e->name = seg[0];
    } else {
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
            len += strlen(seg[i]) + 1;
        char *name = iql_arena_alloc(p->arena, len);
        if (name == NULL)
            return ST_ENOMEM;
        name[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                strcat(name, ".");
            strcat(name, seg[i]);
        }
        e->name = name;
    }
    const struct iql_token *t;
    NEXT_RAW(t, p);
    if (t->tok != T_DOUBLECOLON) {
        iql_unscan(p);
        *out = e;
        return ST_OK;
    }
    NEXT_RAW(t, p);
    if (t->tok == T_FIELD) {
        e->cast = ST_IQL_CAST_FIELD;
    } else if (t->tok == T_TAG) {
        e->cast = ST_IQL_CAST_TAG;
    } else if (t->tok != T_IDENT) {
        return iql_err_expected(p, t, "float, integer, string, boolean, field, tag");
    } else {
        static const struct {
            const char *name;
            enum st_iql_cast cast;
        } types[] = {{"float", ST_IQL_CAST_FLOAT},
                     {"integer", ST_IQL_CAST_INTEGER},
                     {"unsigned", ST_IQL_CAST_UNSIGNED},
                     {"string", ST_IQL_CAST_STRING},
                     {"boolean", ST_IQL_CAST_BOOLEAN}};
        for (size_t i = 0; i < sizeof types / sizeof types[0] && !e->cast; i++)
            if (t->lit.len == strlen(types[i].name) &&
                strncasecmp(t->lit.p, types[i].name, t->lit.len) == 0)
                e->cast = types[i].cast;
        if (!e->cast)
            return iql_err_expected(p, t, "float, integer, unsigned, string, boolean, field, tag");
    }
    *out = e;
    return ST_OK;
}

/* Calls ---------------------------------------------------------------------------- */

static int add_arg(struct iql_parser *p, struct st_iql_expr *call, size_t *cap,
                   struct st_iql_expr *arg)
{
    struct st_iql_expr **args =
        iql_arena_grow(p->arena, call->args, call->nargs, cap, sizeof *args);
    if (args == NULL)
        return ST_ENOMEM;
    call->args = args;
    args[call->nargs++] = arg;
    return set_height(p, call, call->height - 1, arg->height);
}

/* parseCall: the name and '(' are consumed. The name is lower-cased (ASCII
 * only: Go's strings.ToLower would also fold other letters). */
static int parse_call(struct iql_parser *p, const char *name, struct st_iql_expr **out)
{
    struct st_iql_expr *call = iql_new_expr(p, ST_IQL_E_CALL);
    char *low = iql_arena_strndup(p->arena, name, strlen(name));
    if (call == NULL || low == NULL)
        return ST_ENOMEM;
    for (char *c = low; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    call->name = low;
    size_t cap = 0;
    struct st_iql_expr *arg;
    const struct iql_token *t;
    int rv = iql_parse_regex(p, &arg);
    if (rv != ST_OK)
        return rv;
    if (arg == NULL) {
        NEXT_RAW(t, p);
        if (t->tok == T_RPAREN) {
            *out = call;
            return ST_OK;
        }
        iql_unscan(p);
        if ((rv = iql_parse_expr(p, &arg)) != ST_OK)
            return rv;
    }
    if ((rv = add_arg(p, call, &cap, arg)) != ST_OK)
        return rv;
    for (;;) {
        NEXT(t, p);
        if (t->tok != T_COMMA) {
            iql_unscan(p);
            break;
        }
        if ((rv = iql_parse_regex(p, &arg)) != ST_OK)
            return rv;
        if (arg == NULL && (rv = iql_parse_expr(p, &arg)) != ST_OK)
            return rv;
        if ((rv = add_arg(p, call, &cap, arg)) != ST_OK)
            return rv;
    }
    NEXT_RAW(t, p);
    if (t->tok != T_RPAREN)
        return iql_err_expected(p, t, ")");
    *out = call;
    return ST_OK;
}

/* A call entered at @pos, with the nesting counted. */
static int nested_call(struct iql_parser *p, struct iql_pos pos, const char *name,
                       struct st_iql_expr **out)
{
    int rv = enter(p, pos);
    if (rv != ST_OK)
        return rv;
    rv = parse_call(p, name, out);
    p->depth--;
    return rv;
}

/* Literals -------------------------------------------------------------------------- */

static int number_literal(struct iql_parser *p, const struct iql_token *t, struct st_iql_expr **out)
{
    char *text = copy_lit(p, t);
    if (text == NULL)
        return ST_ENOMEM;
    errno = 0;
    double v = strtod(text, NULL);
    if (errno == ERANGE && isinf(v)) {
        static const char msg[] = "unable to parse number";
        return iql_err_msg(p, t->pos, msg, sizeof msg - 1);
    }
    struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_NUMBER);
    if (e == NULL)
        return ST_ENOMEM;
    e->f = v;
    *out = e;
    return ST_OK;
}

/* An INTEGER token: an int64, or an unsigned beyond INT64_MAX. */
static int integer_literal(struct iql_parser *p, const struct iql_token *t,
                           struct st_iql_expr **out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < t->lit.len; i++) {
        unsigned digit = (unsigned)(t->lit.p[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) {
            static const char msg[] = "unable to parse integer";
            return iql_err_msg(p, t->pos, msg, sizeof msg - 1);
        }
        v = v * 10 + digit;
    }
    struct st_iql_expr *e = iql_new_expr(p, v > INT64_MAX ? ST_IQL_E_UNSIGNED : ST_IQL_E_INTEGER);
    if (e == NULL)
        return ST_ENOMEM;
    if (v > INT64_MAX)
        e->u = v;
    else
        e->i = (int64_t)v;
    *out = e;
    return ST_OK;
}

static int duration_literal(struct iql_parser *p, const struct iql_token *t,
                            struct st_iql_expr **out)
{
    struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_DURATION);
    if (e == NULL)
        return ST_ENOMEM;
    /* InfluxDB returns ParseDuration's error as is: no position. */
    int rv = st_iql_parse_duration(t->lit.p ? t->lit.p : "", t->lit.len, &e->i, p->err);
    *out = e;
    return rv;
}

/* A sign before a unary expression (the sign is consumed). */
static int signed_expr(struct iql_parser *p, bool minus, struct st_iql_expr **out)
{
    const struct iql_token *t;
    NEXT(t, p);
    switch (t->tok) {
    case T_NUMBER:
    case T_INTEGER:
    case T_DURATIONVAL:
    case T_LPAREN:
    case T_IDENT:
        break;
    default:
        return iql_err_expected(p, t, "identifier, number, duration, (");
    }
    iql_unscan(p);
    struct iql_pos pos = t->pos;
    struct st_iql_expr *e;
    int rv = enter(p, pos);
    if (rv != ST_OK)
        return rv;
    rv = parse_unary(p, &e);
    p->depth--;
    if (rv != ST_OK)
        return rv;
    switch (e->kind) {
    case ST_IQL_E_NUMBER:
        if (minus)
            e->f = -e->f;
        break;
    case ST_IQL_E_INTEGER:
    case ST_IQL_E_DURATION:
        if (minus)
            e->i = -e->i; /* both at most INT64_MAX here */
        break;
    case ST_IQL_E_UNSIGNED:
        if (!minus)
            break;
        if (e->u == (uint64_t)INT64_MAX + 1) {
            e->kind = ST_IQL_E_INTEGER;
            e->i = INT64_MIN;
            e->u = 0;
            break;
        }
        return iql_err_plain(p, "constant -%" PRIu64 " underflows int64", e->u);
    default: {
        /* A reference, a call or a parenthesis: -1 * x (or 1 * x). */
        struct st_iql_expr *one = iql_new_expr(p, ST_IQL_E_INTEGER);
        if (one == NULL)
            return ST_ENOMEM;
        one->i = minus ? -1 : 1;
        return new_binary(p, ST_IQL_OP_MUL, one, e, out);
    }
    }
    *out = e;
    return ST_OK;
}

/* Unary expressions ------------------------------------------------------------------ */

/* $name: the literal of its value in params=. */
static int bound_param(struct iql_parser *p, const struct iql_token *t, struct st_iql_expr **out)
{
    if (t->lit.len <= 1)
        return iql_err_plain(p, "empty bound parameter");
    const char *name = t->lit.p + 1;
    size_t len = t->lit.len - 1;
    const struct st_iql_param *v = NULL;
    for (size_t i = 0; i < p->nparams && v == NULL; i++)
        if (strlen(p->params[i].name) == len && memcmp(p->params[i].name, name, len) == 0)
            v = &p->params[i];
    if (v == NULL)
        return iql_err_plain(p, "missing parameter: %.*s", (int)len, name);
    static const enum st_iql_expr_kind kinds[] = {
        [ST_IQL_PARAM_STRING] = ST_IQL_E_STRING,
        [ST_IQL_PARAM_INTEGER] = ST_IQL_E_INTEGER,
        [ST_IQL_PARAM_NUMBER] = ST_IQL_E_NUMBER,
        [ST_IQL_PARAM_BOOLEAN] = ST_IQL_E_BOOLEAN,
    };
    struct st_iql_expr *e = iql_new_expr(p, kinds[v->kind]);
    if (e == NULL)
        return ST_ENOMEM;
    e->i = v->i;
    e->f = v->f;
    e->b = v->b;
    if (v->kind == ST_IQL_PARAM_STRING &&
        (e->str = iql_arena_strndup(p->arena, v->s, strlen(v->s))) == NULL)
        return ST_ENOMEM;
    *out = e;
    return ST_OK;
}

static int parse_unary(struct iql_parser *p, struct st_iql_expr **out)
{
    const struct iql_token *t;
    NEXT(t, p);
    int rv;
    if (t->tok == T_LPAREN) {
        struct iql_pos pos = t->pos;
        struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_PAREN), *sub;
        if (e == NULL)
            return ST_ENOMEM;
        if ((rv = enter(p, pos)) != ST_OK)
            return rv;
        rv = iql_parse_expr(p, &sub);
        p->depth--;
        if (rv != ST_OK)
            return rv;
        NEXT(t, p);
        if (t->tok != T_RPAREN)
            return iql_err_expected(p, t, ")");
        e->lhs = sub;
        *out = e;
        return set_height(p, e, sub->height, 0);
    }
    iql_unscan(p);
    NEXT(t, p);
    struct iql_pos pos = t->pos;
    switch (t->tok) {
    case T_IDENT: {
        const struct iql_token *ident = t; /* still valid after one more token */
        NEXT_RAW(t, p);
        if (t->tok == T_LPAREN) {
            char *name = copy_lit(p, ident);
            return name != NULL ? nested_call(p, pos, name, out) : ST_ENOMEM;
        }
        iql_unscan(p);
        iql_unscan(p);
        return parse_varref(p, out);
    }
    case T_DISTINCT: {
        NEXT_RAW(t, p);
        if (t->tok == T_LPAREN)
            return nested_call(p, pos, "distinct", out);
        if (t->tok != T_WS)
            return iql_err_expected(p, t, "(, identifier");
        NEXT(t, p);
        if (t->tok != T_IDENT)
            return iql_err_expected(p, t, "identifier");
        /* DISTINCT x is the call distinct(x), as InfluxDB rewrites it. */
        struct st_iql_expr *call = iql_new_expr(p, ST_IQL_E_CALL);
        struct st_iql_expr *ref = iql_new_expr(p, ST_IQL_E_VARREF);
        struct st_iql_expr **args = iql_arena_alloc(p->arena, sizeof *args);
        if (call == NULL || ref == NULL || args == NULL || (ref->name = copy_lit(p, t)) == NULL)
            return ST_ENOMEM;
        call->name = "distinct";
        call->args = args;
        call->nargs = 1;
        call->height = 2;
        args[0] = ref;
        *out = call;
        return ST_OK;
    }
    case T_STRING: {
        struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_STRING);
        if (e == NULL || (e->str = copy_lit(p, t)) == NULL)
            return ST_ENOMEM;
        *out = e;
        return ST_OK;
    }
    case T_NUMBER:
        return number_literal(p, t, out);
    case T_INTEGER:
        return integer_literal(p, t, out);
    case T_TRUE:
    case T_FALSE: {
        struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_BOOLEAN);
        if (e == NULL)
            return ST_ENOMEM;
        e->b = t->tok == T_TRUE;
        *out = e;
        return ST_OK;
    }
    case T_DURATIONVAL:
        return duration_literal(p, t, out);
    case T_MUL: {
        struct st_iql_expr *e = iql_new_expr(p, ST_IQL_E_WILDCARD);
        if (e == NULL)
            return ST_ENOMEM;
        NEXT_RAW(t, p);
        if (t->tok == T_DOUBLECOLON) {
            NEXT_RAW(t, p);
            if (t->tok == T_FIELD)
                e->cast = ST_IQL_CAST_FIELD;
            else if (t->tok == T_TAG)
                e->cast = ST_IQL_CAST_TAG;
            else
                return iql_err_expected(p, t, "field, tag");
        } else {
            iql_unscan(p);
        }
        *out = e;
        return ST_OK;
    }
    case T_BOUNDPARAM:
        return bound_param(p, t, out);
    case T_ADD:
    case T_SUB:
        return signed_expr(p, t->tok == T_SUB, out);
    default:
        return iql_err_expected(p, t, "identifier, string, number, bool");
    }
}

/* Binary expressions ------------------------------------------------------------------ */

int iql_parse_expr(struct iql_parser *p, struct st_iql_expr **out)
{
    struct st_iql_expr root; /* a dummy whose right side is the tree */
    memset(&root, 0, sizeof root);
    root.kind = ST_IQL_E_BINARY;
    int rv = parse_unary(p, &root.rhs);
    while (rv == ST_OK) {
        const struct iql_token *t;
        NEXT(t, p);
        enum st_iql_op op = binary_op(t->tok);
        if (op == 0) {
            iql_unscan(p);
            *out = root.rhs;
            return ST_OK;
        }
        struct st_iql_expr *rhs;
        if (op == ST_IQL_OP_EQREGEX || op == ST_IQL_OP_NEQREGEX) {
            if ((rv = iql_parse_regex(p, &rhs)) != ST_OK)
                return rv;
            if (rhs == NULL) {
                NEXT(t, p);
                return iql_err_expected(p, t, "regex");
            }
        } else if ((rv = parse_unary(p, &rhs)) != ST_OK) {
            return rv;
        }
        struct st_iql_expr *node = &root;
        for (;;) {
            struct st_iql_expr *r = node->rhs;
            if (r->kind != ST_IQL_E_BINARY || precedence(r->op) >= precedence(op)) {
                rv = new_binary(p, op, r, rhs, &node->rhs);
                break;
            }
            node = r;
        }
        if (rv == ST_OK)
            rv = fix_heights(p, root.rhs);
    }
    return rv;
}
