/*
 * Tag predicates: a TagExpr from the wire compiled into a flat node array
 * (root first, children after their parent) with copied names and compiled
 * regexes, evaluated either over a shard's index (st_pred_eval) or over one
 * parsed series key (st_pred_match_key).
 *
 * Evaluation over the index works on id sets relative to the measurement's
 * series, each held either as a list of ids or as the complement of one
 * (neg). Leaves produce whichever is cheaper: k != 'v' is "not the
 * postings of k = v", so it costs the postings, not the measurement's whole
 * series list. AND combines the two forms with one set operation
 * (intersect, difference or union: A AND NOT B = A - B), and OR is AND by
 * De Morgan, flipping the flags. Only a result that is still a complement
 * at the root is subtracted from the measurement's series. Lists lent by
 * the index (postings) are used in place; owned buffers are reused as the
 * output of intersect and difference, which may overwrite their input.
 *
 * A regex leaf runs the regex once per value of its tag key
 * (st_index_tag_values) and merges the postings of the values it keeps.
 * Each series has at most one value per key, so "series whose value
 * matches, plus the series without the key" (a regex that matches '')
 * is the complement of "series whose value does not match": either way
 * one pass over the values and one list.
 *
 * Failure modes: malformed trees and bad regexes are refused at compile
 * time with a message naming the node; evaluation can only run out of
 * memory, and then frees what it holds.
 */
#include "pred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.pb-c.h"
#include "err.h"

enum kind { K_ALL, K_AND, K_OR, K_EQ, K_NEQ, K_REGEX, K_NREGEX };

struct node {
    enum kind kind;
    bool name;             /* the key is "_name": compares the measurement */
    bool empty;            /* K_REGEX / K_NREGEX: the regex matches "" */
    size_t left, right;    /* K_AND / K_OR: children, indexes into nodes */
    struct st_slice key;   /* unescaped tag key, in text */
    struct st_slice value; /* literal, or the regex's source for messages */
    st_re *re;             /* K_REGEX / K_NREGEX */
};

struct st_pred {
    struct node *nodes; /* nodes[0] is the root */
    size_t n;
    char *text; /* every key and value, NUL-terminated */
};

static const char *op_text(enum kind k)
{
    switch (k) {
    case K_EQ:
        return "=";
    case K_NEQ:
        return "!=";
    case K_REGEX:
        return "=~";
    case K_NREGEX:
        return "!~";
    default:
        return "?";
    }
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* ---- compile ---- */

/* Checks the shape of @e and counts its nodes and text bytes. */
static int measure(const Strata__TagExpr *e, int depth, size_t *nodes, size_t *text, char *err,
                   size_t errlen)
{
    if (depth > ST_PRED_MAX_DEPTH)
        return st_errf(err, errlen, ST_EINVAL, "tag predicate: nested deeper than %d",
                       ST_PRED_MAX_DEPTH);
    switch (e->expr_case) {
    case STRATA__TAG_EXPR__EXPR_AND_EXPR:
    case STRATA__TAG_EXPR__EXPR_OR_EXPR: {
        const Strata__TagBinary *b =
            e->expr_case == STRATA__TAG_EXPR__EXPR_AND_EXPR ? e->and_expr : e->or_expr;
        const char *op = e->expr_case == STRATA__TAG_EXPR__EXPR_AND_EXPR ? "AND" : "OR";
        if (b == NULL || b->left == NULL || b->right == NULL)
            return st_errf(err, errlen, ST_EINVAL, "tag predicate: %s without its %s operand", op,
                           b && b->left ? "right" : "left");
        (*nodes)++;
        int rv = measure(b->left, depth + 1, nodes, text, err, errlen);
        return rv ? rv : measure(b->right, depth + 1, nodes, text, err, errlen);
    }
    case STRATA__TAG_EXPR__EXPR_COMPARE: {
        const Strata__TagCompare *c = e->compare;
        if (c == NULL)
            return st_errf(err, errlen, ST_EINVAL, "tag predicate: empty comparison");
        if (c->op < STRATA__COMPARE_OP__EQ || c->op > STRATA__COMPARE_OP__NREGEX)
            return st_errf(err, errlen, ST_EINVAL, "tag predicate: %s: unknown operator %d",
                           str_or_empty(c->key), (int)c->op);
        (*nodes)++;
        *text += strlen(str_or_empty(c->key)) + strlen(str_or_empty(c->value)) + 2;
        return ST_OK;
    }
    default:
        return st_errf(err, errlen, ST_EINVAL, "tag predicate: expression with no operator set");
    }
}

/* Copies @s to *@text (advanced past its NUL) and returns its slice. */
static struct st_slice put_text(char **text, const char *s)
{
    size_t n = strlen(s);
    struct st_slice out = {*text, (uint32_t)n};
    memcpy(*text, s, n + 1);
    *text += n + 1;
    return out;
}

/* Fills nodes from *@next on with @e (measured already). */
static int build(st_pred *p, const Strata__TagExpr *e, size_t *next, char **text, char *err,
                 size_t errlen)
{
    struct node *nd = &p->nodes[(*next)++];
    if (e->expr_case != STRATA__TAG_EXPR__EXPR_COMPARE) {
        const Strata__TagBinary *b;
        if (e->expr_case == STRATA__TAG_EXPR__EXPR_AND_EXPR) {
            nd->kind = K_AND;
            b = e->and_expr;
        } else {
            nd->kind = K_OR;
            b = e->or_expr;
        }
        nd->left = *next;
        int rv = build(p, b->left, next, text, err, errlen);
        if (rv != ST_OK)
            return rv;
        nd->right = *next;
        return build(p, b->right, next, text, err, errlen);
    }
    const Strata__TagCompare *c = e->compare;
    static const enum kind kinds[] = {
        [STRATA__COMPARE_OP__EQ] = K_EQ,
        [STRATA__COMPARE_OP__NEQ] = K_NEQ,
        [STRATA__COMPARE_OP__REGEX] = K_REGEX,
        [STRATA__COMPARE_OP__NREGEX] = K_NREGEX,
    };
    nd->kind = kinds[c->op];
    nd->key = put_text(text, str_or_empty(c->key));
    nd->value = put_text(text, str_or_empty(c->value));
    nd->name = nd->key.len == 5 && memcmp(nd->key.p, "_name", 5) == 0;
    if (nd->kind == K_REGEX || nd->kind == K_NREGEX) {
        char msg[256];
        int rv = st_re_compile(nd->value.p, nd->value.len, &nd->re, msg, sizeof(msg));
        if (rv != ST_OK)
            return st_errf(err, errlen, rv, "tag predicate: %s %s /%s/: %s", nd->key.p,
                           op_text(nd->kind), nd->value.p, msg);
        nd->empty = st_re_match(nd->re, "", 0);
    }
    return ST_OK;
}

int st_pred_compile(const struct Strata__TagExpr *e, st_pred **out, char *err, size_t errlen)
{
    int rv;
    *out = NULL;
    size_t nodes = 0, text = 0;
    if (e != NULL && (rv = measure(e, 1, &nodes, &text, err, errlen)) != ST_OK)
        return rv;
    st_pred *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "tag predicate: out of memory");
    p->nodes = calloc(nodes ? nodes : 1, sizeof(*p->nodes));
    p->text = malloc(text ? text : 1);
    if (p->nodes == NULL || p->text == NULL) {
        rv = st_errf(err, errlen, ST_ENOMEM, "tag predicate: out of memory");
        goto err_after_alloc;
    }
    if (e == NULL) {
        p->nodes[0].kind = K_ALL;
        p->n = 1;
    } else {
        char *t = p->text;
        if ((rv = build(p, e, &p->n, &t, err, errlen)) != ST_OK)
            goto err_after_alloc;
    }
    *out = p;
    return ST_OK;

err_after_alloc:
    st_pred_free(p);
    return rv;
}

void st_pred_free(st_pred *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        st_re_free(p->nodes[i].re);
    free(p->nodes);
    free(p->text);
    free(p);
}

/* ---- one value ---- */

static bool slice_eq(struct st_slice a, struct st_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Whether comparison leaf @nd holds for @value; @present says whether the
 * series has the tag at all (absent behaves as ''). */
static bool leaf_holds(const struct node *nd, struct st_slice value, bool present)
{
    switch (nd->kind) {
    case K_EQ:
        return slice_eq(value, nd->value);
    case K_NEQ:
        return !slice_eq(value, nd->value);
    case K_REGEX:
        return present ? st_re_match(nd->re, value.p, value.len) : nd->empty;
    case K_NREGEX:
        return !(present ? st_re_match(nd->re, value.p, value.len) : nd->empty);
    default:
        return true;
    }
}

static bool match_node(const st_pred *p, size_t i, const struct st_index_key *k)
{
    const struct node *nd = &p->nodes[i];
    switch (nd->kind) {
    case K_ALL:
        return true;
    case K_AND:
        return match_node(p, nd->left, k) && match_node(p, nd->right, k);
    case K_OR:
        return match_node(p, nd->left, k) || match_node(p, nd->right, k);
    default:
        break;
    }
    if (nd->name)
        return leaf_holds(nd, k->measurement, true);
    /* Tags are few: a scan beats sorting out escaped versus unescaped order. */
    for (size_t t = 0; t < k->ntags; t++)
        if (slice_eq(k->tags[t].key, nd->key))
            return leaf_holds(nd, k->tags[t].value, true);
    struct st_slice none = {"", 0};
    return leaf_holds(nd, none, false);
}

bool st_pred_match_key(const st_pred *p, const struct st_index_key *k)
{
    return p == NULL || match_node(p, 0, k);
}

/* ---- evaluation over the index ---- */

/* A set of the measurement's series: @ids, or all series but @ids (neg). */
struct set {
    const uint32_t *ids; /* sorted, no duplicates */
    size_t n;
    uint32_t *own; /* the buffer behind ids when we allocated it, else NULL (lent) */
    bool neg;
};

static void set_free(struct set *s)
{
    free(s->own);
    s->own = NULL;
}

static uint32_t *alloc_ids(size_t n)
{
    return malloc((n ? n : 1) * sizeof(uint32_t));
}

/* A buffer for a result of at most @n ids that may overwrite @a: a's own
 * buffer when it has one. */
static uint32_t *out_over(struct set *a, size_t n)
{
    if (a->own) {
        uint32_t *p = a->own;
        a->own = NULL;
        return p;
    }
    return alloc_ids(n);
}

/* *@r = @a AND @b; consumes both. */
static int set_and(struct set *a, struct set *b, struct set *r)
{
    uint32_t *out;
    size_t n;
    bool neg = false;
    if (!a->neg && !b->neg) {
        /* Either input may be overwritten: take whichever is owned. */
        struct set *over = a->own ? a : b;
        out = out_over(over, a->n < b->n ? a->n : b->n);
        if (out == NULL)
            goto err_nomem;
        n = st_index_intersect(a->ids, a->n, b->ids, b->n, out);
    } else if (!a->neg || !b->neg) {
        /* pos - neg: keep what the positive side has and the other lacks. */
        struct set *pos = a->neg ? b : a, *other = a->neg ? a : b;
        out = out_over(pos, pos->n);
        if (out == NULL)
            goto err_nomem;
        n = st_index_difference(pos->ids, pos->n, other->ids, other->n, out);
    } else {
        /* NOT x AND NOT y = NOT (x OR y) */
        out = alloc_ids(a->n + b->n);
        if (out == NULL)
            goto err_nomem;
        n = st_index_union(a->ids, a->n, b->ids, b->n, out);
        neg = true;
    }
    set_free(a);
    set_free(b);
    *r = (struct set){out, n, out, neg};
    return ST_OK;

err_nomem:
    set_free(a);
    set_free(b);
    return ST_ENOMEM;
}

/* Postings of the values of one key, merged. */
struct gather {
    const st_re *re; /* keep values where st_re_match() == @want; NULL: keep all */
    bool want;
    uint32_t *ids;
    size_t n, cap;
};

static int gather_value(void *arg, struct st_slice value, const uint32_t *ids, size_t n)
{
    struct gather *g = arg;
    if (g->re && st_re_match(g->re, value.p, value.len) != g->want)
        return ST_OK;
    if (g->n + n > g->cap) {
        size_t cap = g->cap ? g->cap : 64;
        while (cap < g->n + n)
            cap *= 2;
        uint32_t *p = realloc(g->ids, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        g->ids = p;
        g->cap = cap;
    }
    memcpy(g->ids + g->n, ids, n * sizeof(*ids));
    g->n += n;
    return ST_OK;
}

/* *@r = the series of @m whose value of @key passes @re (all that have
 * the key when @re is NULL). */
static int gather_key(st_index *idx, struct st_slice m, struct st_slice key, const st_re *re,
                      bool want, struct set *r)
{
    struct gather g = {.re = re, .want = want};
    int rv = st_index_tag_values(idx, m, key, gather_value, &g);
    if (rv != ST_OK) {
        free(g.ids);
        return rv;
    }
    if (g.ids == NULL && (g.ids = alloc_ids(0)) == NULL)
        return ST_ENOMEM;
    g.n = st_index_normalize(g.ids, g.n);
    *r = (struct set){g.ids, g.n, g.ids, false};
    return ST_OK;
}

static int eval_node(const st_pred *p, size_t i, st_index *idx, struct st_slice m, struct set *r)
{
    const struct node *nd = &p->nodes[i];
    static const uint32_t none[1];
    *r = (struct set){none, 0, NULL, false};
    int rv;
    switch (nd->kind) {
    case K_ALL:
        r->neg = true;
        return ST_OK;
    case K_AND:
    case K_OR: {
        struct set a, b;
        if ((rv = eval_node(p, nd->left, idx, m, &a)) != ST_OK)
            return rv;
        if ((rv = eval_node(p, nd->right, idx, m, &b)) != ST_OK) {
            set_free(&a);
            return rv;
        }
        if (nd->kind == K_AND)
            return set_and(&a, &b, r);
        /* x OR y = NOT (NOT x AND NOT y) */
        a.neg = !a.neg;
        b.neg = !b.neg;
        if ((rv = set_and(&a, &b, r)) == ST_OK)
            r->neg = !r->neg;
        return rv;
    }
    default:
        break;
    }
    if (nd->name) {
        r->neg = leaf_holds(nd, m, true); /* every series, or none */
        return ST_OK;
    }
    switch (nd->kind) {
    case K_EQ:
    case K_NEQ:
        if (nd->value.len) {
            st_index_postings(idx, m, nd->key, nd->value, &r->ids, &r->n);
            r->neg = nd->kind == K_NEQ;
            return ST_OK;
        }
        /* k = '' is the series without k; k != '' those with it. */
        if ((rv = gather_key(idx, m, nd->key, NULL, true, r)) == ST_OK)
            r->neg = nd->kind == K_EQ;
        return rv;
    default:
        /* Keep the values the regex's empty-string answer does not already
         * decide, and complement when that answer says the rest match. */
        if ((rv = gather_key(idx, m, nd->key, nd->re, !nd->empty, r)) == ST_OK)
            r->neg = (nd->kind == K_REGEX) == nd->empty;
        return rv;
    }
}

int st_pred_eval(const st_pred *p, st_index *idx, struct st_slice measurement, uint32_t **ids,
                 size_t *n)
{
    *ids = NULL;
    *n = 0;
    struct set r = {NULL, 0, NULL, true}; /* NULL predicate: all */
    int rv;
    if (p != NULL && (rv = eval_node(p, 0, idx, measurement, &r)) != ST_OK)
        return rv;
    uint32_t *out;
    size_t len;
    if (r.neg) {
        const uint32_t *all;
        size_t nall;
        st_index_measurement_series(idx, measurement, &all, &nall);
        if ((out = alloc_ids(nall)) == NULL) {
            set_free(&r);
            return ST_ENOMEM;
        }
        len = st_index_difference(all, nall, r.ids, r.n, out);
        set_free(&r);
    } else if (r.own) {
        out = r.own;
        len = r.n;
    } else {
        if ((out = alloc_ids(r.n)) == NULL)
            return ST_ENOMEM;
        memcpy(out, r.ids, r.n * sizeof(*out));
        len = r.n;
    }
    *ids = out;
    *n = len;
    return ST_OK;
}

/* ---- measurements ---- */

struct mfilter {
    const st_re *re;
    st_index_name_cb cb;
    void *arg;
};

static int mfilter_cb(void *arg, struct st_slice name)
{
    struct mfilter *f = arg;
    return st_re_match(f->re, name.p, name.len) ? f->cb(f->arg, name) : ST_OK;
}

int st_pred_measurements(st_index *idx, const struct st_slice *name, const st_re *re,
                         st_index_name_cb cb, void *arg)
{
    if (name != NULL) {
        const uint32_t *ids;
        size_t n;
        st_index_measurement_series(idx, *name, &ids, &n);
        return n ? cb(arg, *name) : ST_OK;
    }
    if (re == NULL)
        return st_index_measurements(idx, cb, arg);
    struct mfilter f = {re, cb, arg};
    return st_index_measurements(idx, mfilter_cb, &f);
}
