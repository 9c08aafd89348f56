/* data/pred: every operator with InfluxDB's empty-string rules, AND/OR,
 * regexes, _name, malformed trees, and st_pred_eval() agreeing with
 * st_pred_match_key() on every series for many generated predicates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.pb-c.h"
#include "err.h"
#include "index.h"
#include "pred.h"
#include "testlib.h"

/*
 * The hand-made series, by id (keys canonical, so escaped):
 *   1 cpu,host=a,region=west
 *   2 cpu,host=b,region=east
 *   3 cpu,host=c                     no region
 *   4 cpu,region=west                no host
 *   5 cpu                            no tags
 *   6 cpu,host=a\ b,region=w\,x      host "a b", region "w,x"
 *   7 cpu,host=ab,rack=1,region=west
 *   8 mem,host=a,region=west
 *   9 mem,host=z
 * then GEN_SERIES generated ones in "disk" and "net" (gen_series()).
 */
static const char *const fixed_keys[] = {
    "cpu,host=a,region=west",
    "cpu,host=b,region=east",
    "cpu,host=c",
    "cpu,region=west",
    "cpu",
    "cpu,host=a\\ b,region=w\\,x",
    "cpu,host=ab,rack=1,region=west",
    "mem,host=a,region=west",
    "mem,host=z",
};
#define NFIXED (sizeof(fixed_keys) / sizeof(fixed_keys[0]))
#define GEN_SERIES 40

/* Tag expressions live in these pools until the test ends. */
#define POOL 4096

struct fixture {
    char dir[64];
    st_index *idx;
    Strata__TagExpr expr[POOL];
    Strata__TagBinary bin[POOL];
    Strata__TagCompare cmp[POOL];
    size_t nexpr, nbin, ncmp;
    char out[4096]; /* EVAL's answer */
};
static struct fixture *f;

/* Appends the canonical key of generated series @i to @b. */
static void gen_series(struct st_buf *b, int i)
{
    char v[32];
    st_buf_puts(b, i % 3 ? "disk" : "net");
    /* Tag keys in sorted order: dc, host, rack, region, seq. */
    if (i % 7 == 0) {
        st_buf_puts(b, ",dc=");
        struct st_slice s = {"a b,c", 5};
        st_lp_escape(b, s, ST_LP_TAG);
    }
    if (i % 5 != 0)
        st_buf_printf(b, ",host=server%d", i % 6);
    if (i % 3 == 0)
        st_buf_printf(b, ",rack=r%d", i % 2);
    if (i % 4 != 1) {
        static const char *const regions[] = {"us-west", "us-east", "eu-central"};
        st_buf_printf(b, ",region=%s", regions[i % 3]);
    }
    snprintf(v, sizeof(v), ",seq=%d", i);
    st_buf_puts(b, v);
}

static void setup(void)
{
    f = calloc(1, sizeof(*f));
    ck_assert_ptr_nonnull(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/st-pred-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    char err[256];
    ck_assert_msg(st_index_open(f->dir, &f->idx, err, sizeof(err)) == ST_OK, "%s", err);
    uint32_t id;
    for (size_t i = 0; i < NFIXED; i++) {
        ck_assert_int_eq(
            st_index_series_id(f->idx, fixed_keys[i], strlen(fixed_keys[i]), &id, NULL), ST_OK);
        ck_assert_uint_eq(id, i + 1);
    }
    struct st_buf b;
    st_buf_init(&b);
    for (int i = 0; i < GEN_SERIES; i++) {
        st_buf_reset(&b);
        gen_series(&b, i);
        ck_assert_msg(st_index_series_id(f->idx, b.p, b.len, &id, NULL) == ST_OK, "%s", b.p);
    }
    st_buf_fini(&b);
}

static void teardown(void)
{
    st_index_close(f->idx);
    char path[128];
    snprintf(path, sizeof(path), "%s/index.log", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
}

/* ---- building TagExprs ---- */

static Strata__TagExpr *CMP(const char *key, Strata__CompareOp op, const char *value)
{
    ck_assert(f->nexpr < POOL && f->ncmp < POOL);
    Strata__TagCompare *c = &f->cmp[f->ncmp++];
    strata__tag_compare__init(c);
    c->key = (char *)key;
    c->op = op;
    c->value = (char *)value;
    Strata__TagExpr *e = &f->expr[f->nexpr++];
    strata__tag_expr__init(e);
    e->expr_case = STRATA__TAG_EXPR__EXPR_COMPARE;
    e->compare = c;
    return e;
}

static Strata__TagExpr *BIN(int is_and, Strata__TagExpr *l, Strata__TagExpr *r)
{
    ck_assert(f->nexpr < POOL && f->nbin < POOL);
    Strata__TagBinary *b = &f->bin[f->nbin++];
    strata__tag_binary__init(b);
    b->left = l;
    b->right = r;
    Strata__TagExpr *e = &f->expr[f->nexpr++];
    strata__tag_expr__init(e);
    if (is_and) {
        e->expr_case = STRATA__TAG_EXPR__EXPR_AND_EXPR;
        e->and_expr = b;
    } else {
        e->expr_case = STRATA__TAG_EXPR__EXPR_OR_EXPR;
        e->or_expr = b;
    }
    return e;
}

#define EQ(k, v) CMP(k, STRATA__COMPARE_OP__EQ, v)
#define NEQ(k, v) CMP(k, STRATA__COMPARE_OP__NEQ, v)
#define RE(k, v) CMP(k, STRATA__COMPARE_OP__REGEX, v)
#define NRE(k, v) CMP(k, STRATA__COMPARE_OP__NREGEX, v)
#define AND(l, r) BIN(1, l, r)
#define OR(l, r) BIN(0, l, r)

static st_pred *COMPILE(const Strata__TagExpr *e)
{
    char err[256] = "";
    st_pred *p = NULL;
    ck_assert_msg(st_pred_compile(e, &p, err, sizeof(err)) == ST_OK, "%s", err);
    return p;
}

/* Compiles @e, expecting @rv; returns the message (static). */
static const char *COMPILE_FAILS(const Strata__TagExpr *e, int rv)
{
    static char err[256];
    err[0] = '\0';
    st_pred *p = (st_pred *)1;
    ck_assert_int_eq(st_pred_compile(e, &p, err, sizeof(err)), rv);
    ck_assert_ptr_null(p);
    return err;
}

static struct st_slice slice_of(const char *s)
{
    struct st_slice x = {s, (uint32_t)strlen(s)};
    return x;
}

/* The ids st_pred_eval() gives for @p over @m, checked to be sorted and
 * unique. */
static uint32_t *ids_of(const st_pred *p, const char *m, size_t *n)
{
    uint32_t *ids = NULL;
    st_index_read_begin(f->idx);
    int rv = st_pred_eval(p, f->idx, slice_of(m), &ids, n);
    st_index_read_end(f->idx);
    ck_assert_int_eq(rv, ST_OK);
    ck_assert_ptr_nonnull(ids);
    for (size_t i = 1; i < *n; i++)
        ck_assert_uint_lt(ids[i - 1], ids[i]);
    return ids;
}

/* "1,4,7": the ids of the series of @m that @e matches. */
static const char *EVAL(const char *m, const Strata__TagExpr *e)
{
    st_pred *p = COMPILE(e);
    size_t n;
    uint32_t *ids = ids_of(p, m, &n);
    size_t len = 0;
    f->out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(f->out + len, sizeof(f->out) - len, "%s%u", i ? "," : "", ids[i]);
    free(ids);
    st_pred_free(p);
    return f->out;
}

#define ALL_CPU "1,2,3,4,5,6,7"

/* ---- st_pred_eval ---- */

START_TEST(test_pred_eval_eq_neq_and_empty_string)
{
    ck_assert_str_eq(EVAL("cpu", EQ("host", "a")), "1");
    ck_assert_str_eq(EVAL("cpu", EQ("host", "ab")), "7");
    /* k = '' is the series without k. */
    ck_assert_str_eq(EVAL("cpu", EQ("host", "")), "4,5");
    ck_assert_str_eq(EVAL("cpu", EQ("rack", "")), "1,2,3,4,5,6");
    /* k != 'v' includes the series without k. */
    ck_assert_str_eq(EVAL("cpu", NEQ("host", "a")), "2,3,4,5,6,7");
    ck_assert_str_eq(EVAL("cpu", NEQ("region", "west")), "2,3,5,6");
    /* k != '' is the series that have k. */
    ck_assert_str_eq(EVAL("cpu", NEQ("host", "")), "1,2,3,6,7");
    ck_assert_str_eq(EVAL("cpu", NEQ("rack", "")), "7");
    /* A value nobody has. */
    ck_assert_str_eq(EVAL("cpu", EQ("host", "nope")), "");
    ck_assert_str_eq(EVAL("cpu", NEQ("host", "nope")), ALL_CPU);
}
END_TEST

START_TEST(test_pred_eval_unknown_key_and_measurement)
{
    ck_assert_str_eq(EVAL("cpu", EQ("zone", "x")), "");
    ck_assert_str_eq(EVAL("cpu", EQ("zone", "")), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", NEQ("zone", "x")), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", NEQ("zone", "")), "");
    ck_assert_str_eq(EVAL("cpu", RE("zone", "x")), "");
    ck_assert_str_eq(EVAL("cpu", RE("zone", "x*")), ALL_CPU); /* matches '' */
    ck_assert_str_eq(EVAL("cpu", NRE("zone", "x")), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", NRE("zone", "x*")), "");
    /* An unknown measurement has no series, whatever the predicate. */
    ck_assert_str_eq(EVAL("gpu", EQ("zone", "")), "");
    ck_assert_str_eq(EVAL("gpu", NEQ("host", "a")), "");
    ck_assert_str_eq(EVAL("gpu", NRE("host", "a")), "");
    ck_assert_str_eq(EVAL("", EQ("host", "")), "");
}
END_TEST

START_TEST(test_pred_eval_regex)
{
    /* Unanchored: "a", "a b" and "ab" all contain an a. */
    ck_assert_str_eq(EVAL("cpu", RE("host", "a")), "1,6,7");
    ck_assert_str_eq(EVAL("cpu", RE("host", "^a$")), "1");
    ck_assert_str_eq(EVAL("cpu", RE("host", "(?i)^A$")), "1");
    ck_assert_str_eq(EVAL("cpu", RE("host", "^a\\s")), "6");
    ck_assert_str_eq(EVAL("cpu", RE("region", ",")), "6");
    /* A regex matching '' also selects the series without the key. */
    ck_assert_str_eq(EVAL("cpu", RE("host", "^$")), "4,5");
    ck_assert_str_eq(EVAL("cpu", RE("host", "^(b|)$")), "2,4,5");
    ck_assert_str_eq(EVAL("cpu", RE("host", ".*")), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", RE("host", "")), ALL_CPU);
    /* !~ is the complement within the measurement. */
    ck_assert_str_eq(EVAL("cpu", NRE("host", "a")), "2,3,4,5");
    ck_assert_str_eq(EVAL("cpu", NRE("host", "^$")), "1,2,3,6,7");
    ck_assert_str_eq(EVAL("cpu", NRE("host", "^(b|)$")), "1,3,6,7");
    ck_assert_str_eq(EVAL("cpu", NRE("host", ".*")), "");
    /* Postings stay per measurement: mem's host=a is id 8, not 1. */
    ck_assert_str_eq(EVAL("mem", RE("host", "^a$")), "8");
    ck_assert_str_eq(EVAL("mem", EQ("host", "a")), "8");
    ck_assert_str_eq(EVAL("mem", EQ("region", "")), "9");
}
END_TEST

START_TEST(test_pred_eval_escaped_names)
{
    /* Values are compared unescaped, as users write them. */
    ck_assert_str_eq(EVAL("cpu", EQ("host", "a b")), "6");
    ck_assert_str_eq(EVAL("cpu", EQ("host", "a\\ b")), "");
    ck_assert_str_eq(EVAL("cpu", EQ("region", "w,x")), "6");
    ck_assert_str_eq(EVAL("cpu", RE("region", "^w,x$")), "6");
}
END_TEST

START_TEST(test_pred_eval_and_or_nested)
{
    ck_assert_str_eq(EVAL("cpu", AND(EQ("host", "a"), EQ("region", "west"))), "1");
    ck_assert_str_eq(EVAL("cpu", AND(NEQ("host", ""), EQ("region", ""))), "3");
    ck_assert_str_eq(EVAL("cpu", AND(EQ("region", "west"), NRE("host", "^a"))), "4");
    ck_assert_str_eq(EVAL("cpu", OR(EQ("host", "b"), EQ("region", "west"))), "1,2,4,7");
    ck_assert_str_eq(EVAL("cpu", OR(EQ("host", ""), EQ("region", ""))), "3,4,5");
    /* Complements on both sides. */
    ck_assert_str_eq(EVAL("cpu", AND(NEQ("host", "a"), NEQ("host", "b"))), "3,4,5,6,7");
    ck_assert_str_eq(EVAL("cpu", OR(NEQ("host", "a"), NEQ("host", "b"))), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", OR(NEQ("host", "a"), EQ("host", "a"))), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", AND(NEQ("host", "a"), EQ("host", "a"))), "");
    ck_assert_str_eq(EVAL("cpu", OR(EQ("host", "a"), NEQ("region", "west"))), "1,2,3,5,6");
    /* (host = a OR host = b) AND (region = west OR region = '') */
    ck_assert_str_eq(EVAL("cpu", AND(OR(EQ("host", "a"), EQ("host", "b")),
                                     OR(EQ("region", "west"), EQ("region", "")))),
                     "1");
    /* ((rack != '' OR host =~ /^a /) AND region != 'east') OR host = c */
    ck_assert_str_eq(
        EVAL("cpu", OR(AND(OR(NEQ("rack", ""), RE("host", "^a ")), NEQ("region", "east")),
                       EQ("host", "c"))),
        "3,6,7");
    /* The same node twice. */
    Strata__TagExpr *x = RE("host", "^(a|b)$");
    ck_assert_str_eq(EVAL("cpu", AND(x, x)), "1,2");
    ck_assert_str_eq(EVAL("cpu", OR(x, x)), "1,2");
}
END_TEST

START_TEST(test_pred_eval_name_and_null)
{
    ck_assert_str_eq(EVAL("cpu", EQ("_name", "cpu")), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", EQ("_name", "mem")), "");
    ck_assert_str_eq(EVAL("cpu", NEQ("_name", "mem")), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", EQ("_name", "")), "");
    ck_assert_str_eq(EVAL("cpu", RE("_name", "^c")), ALL_CPU);
    ck_assert_str_eq(EVAL("cpu", NRE("_name", "^c")), "");
    ck_assert_str_eq(EVAL("cpu", AND(EQ("_name", "cpu"), EQ("host", "a"))), "1");
    ck_assert_str_eq(EVAL("mem", OR(EQ("_name", "cpu"), EQ("host", "z"))), "9");
    /* No TagExpr: everything. A NULL st_pred too. */
    ck_assert_str_eq(EVAL("cpu", NULL), ALL_CPU);
    size_t n;
    uint32_t *ids = ids_of(NULL, "mem", &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ids[0], 8);
    free(ids);
}
END_TEST

/* ---- st_pred_compile ---- */

START_TEST(test_pred_compile_refuses_malformed)
{
    Strata__TagExpr empty = STRATA__TAG_EXPR__INIT;
    ck_assert_str_eq(COMPILE_FAILS(&empty, ST_EINVAL),
                     "tag predicate: expression with no operator set");
    ck_assert_str_eq(COMPILE_FAILS(AND(EQ("a", "b"), NULL), ST_EINVAL),
                     "tag predicate: AND without its right operand");
    ck_assert_str_eq(COMPILE_FAILS(OR(NULL, EQ("a", "b")), ST_EINVAL),
                     "tag predicate: OR without its left operand");
    Strata__TagExpr nobin = STRATA__TAG_EXPR__INIT;
    nobin.expr_case = STRATA__TAG_EXPR__EXPR_AND_EXPR;
    COMPILE_FAILS(&nobin, ST_EINVAL);
    Strata__TagExpr nocmp = STRATA__TAG_EXPR__INIT;
    nocmp.expr_case = STRATA__TAG_EXPR__EXPR_COMPARE;
    ck_assert_str_eq(COMPILE_FAILS(&nocmp, ST_EINVAL), "tag predicate: empty comparison");
    ck_assert_str_eq(
        COMPILE_FAILS(CMP("host", STRATA__COMPARE_OP__COMPARE_OP_UNSPECIFIED, "a"), ST_EINVAL),
        "tag predicate: host: unknown operator 0");
    COMPILE_FAILS(CMP("host", (Strata__CompareOp)9, "a"), ST_EINVAL);
    /* A bad regex deep in the tree, named in the message. */
    ck_assert_str_eq(
        COMPILE_FAILS(OR(EQ("a", "b"), AND(EQ("c", "d"), RE("host", "(a"))), ST_EPARSE),
        "tag predicate: host =~ /(a/: missing closing parenthesis at offset 2");
    ck_assert_str_eq(COMPILE_FAILS(NRE("r", "[x"), ST_EPARSE),
                     "tag predicate: r !~ /[x/: missing terminating ] for character class at "
                     "offset 2");
}
END_TEST

START_TEST(test_pred_compile_depth_limit)
{
    /* A chain of ANDs ST_PRED_MAX_DEPTH deep compiles; one more does not. */
    Strata__TagExpr *e = EQ("host", "a");
    for (int d = 1; d < ST_PRED_MAX_DEPTH; d++)
        e = AND(NEQ("host", "b"), e);
    ck_assert_str_eq(EVAL("cpu", e), "1");
    e = OR(EQ("host", "a"), e);
    ck_assert_str_eq(COMPILE_FAILS(e, ST_EINVAL), "tag predicate: nested deeper than 256");
}
END_TEST

/* ---- st_pred_match_key, and agreement with st_pred_eval ---- */

static bool MATCH_KEY(const Strata__TagExpr *e, const char *key)
{
    st_pred *p = COMPILE(e);
    struct st_index_key k;
    st_index_key_init(&k);
    ck_assert_int_eq(st_index_key_parse(&k, key, strlen(key)), ST_OK);
    bool m = st_pred_match_key(p, &k);
    st_index_key_fini(&k);
    st_pred_free(p);
    return m;
}

START_TEST(test_pred_match_key_rules)
{
    ck_assert(MATCH_KEY(EQ("host", "a b"), "cpu,host=a\\ b"));
    ck_assert(MATCH_KEY(EQ("host", ""), "cpu,region=x"));
    ck_assert(!MATCH_KEY(EQ("host", ""), "cpu,host=a"));
    ck_assert(MATCH_KEY(NEQ("host", "a"), "cpu"));
    ck_assert(MATCH_KEY(RE("host", "^$"), "cpu"));
    ck_assert(!MATCH_KEY(RE("host", "^$"), "cpu,host=a"));
    ck_assert(!MATCH_KEY(NRE("host", "x*"), "cpu"));
    ck_assert(MATCH_KEY(EQ("_name", "my meas"), "my\\ meas,host=a"));
    ck_assert(MATCH_KEY(AND(EQ("a", "1"), OR(EQ("b", "2"), EQ("c", "3"))), "m,a=1,c=3"));
    ck_assert(!MATCH_KEY(AND(EQ("a", "1"), OR(EQ("b", "2"), EQ("c", "3"))), "m,a=1,c=4"));
    ck_assert(MATCH_KEY(NULL, "m"));
    struct st_index_key k;
    st_index_key_init(&k);
    ck_assert_int_eq(st_index_key_parse(&k, "m", 1), ST_OK);
    ck_assert(st_pred_match_key(NULL, &k));
    st_index_key_fini(&k);
}
END_TEST

/* Deterministic pseudo-random numbers (xorshift32). */
static uint32_t rng = 2463534242u;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

static Strata__TagExpr *random_expr(int depth)
{
    static const char *const keys[] = {"host", "host", "region", "region", "rack",
                                       "dc",   "seq",  "zone",   "_name"};
    static const char *const values[] = {"",        "a",          "server1", "server4",
                                         "us-west", "eu-central", "r0",      "a b,c",
                                         "7",       "cpu",        "disk",    "nope"};
    static const char *const regexes[] = {
        "a", "^a$",      "^$",           ".*",           "^(b|)$", "(?i)WEST",  "x*",
        "e", "[02468]$", "^server[1-3]", "^(disk|net)$", ",",      "^us-|^eu-", "1"};
    if (depth > 0 && rnd(3) != 0) {
        Strata__TagExpr *l = random_expr(depth - 1), *r = random_expr(depth - 1);
        return rnd(2) ? AND(l, r) : OR(l, r);
    }
    const char *k = keys[rnd(sizeof(keys) / sizeof(keys[0]))];
    switch (rnd(4)) {
    case 0:
        return EQ(k, values[rnd(sizeof(values) / sizeof(values[0]))]);
    case 1:
        return NEQ(k, values[rnd(sizeof(values) / sizeof(values[0]))]);
    case 2:
        return RE(k, regexes[rnd(sizeof(regexes) / sizeof(regexes[0]))]);
    default:
        return NRE(k, regexes[rnd(sizeof(regexes) / sizeof(regexes[0]))]);
    }
}

/* Checks st_pred_eval() of @p over @m against st_pred_match_key() on each
 * of m's series; returns how many matched. */
static size_t check_agreement(const st_pred *p, const char *m)
{
    size_t n;
    uint32_t *ids = ids_of(p, m, &n);
    struct st_index_key k;
    st_index_key_init(&k);
    const uint32_t *all;
    size_t nall, j = 0;
    st_index_read_begin(f->idx);
    st_index_measurement_series(f->idx, slice_of(m), &all, &nall);
    for (size_t i = 0; i < nall; i++) {
        struct st_slice key = st_index_series_key(f->idx, all[i]);
        ck_assert_int_eq(st_index_key_parse(&k, key.p, key.len), ST_OK);
        bool in_eval = j < n && ids[j] == all[i];
        j += in_eval;
        ck_assert_msg(in_eval == st_pred_match_key(p, &k), "%s: series %u %.*s: eval %d", m, all[i],
                      (int)key.len, key.p, in_eval);
    }
    st_index_read_end(f->idx);
    ck_assert_uint_eq(j, n); /* every id eval gave is a series of m */
    st_index_key_fini(&k);
    free(ids);
    return n;
}

START_TEST(test_pred_eval_agrees_with_match_key)
{
    static const char *const ms[] = {"cpu", "mem", "disk", "net", "gpu"};
    size_t some = 0, none = 0, all = 0, total = 0;
    for (int t = 0; t < 600; t++) {
        f->nexpr = f->nbin = f->ncmp = 0;
        st_pred *p = COMPILE(random_expr(1 + t % 4));
        for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
            const uint32_t *ids;
            size_t nall;
            st_index_read_begin(f->idx);
            st_index_measurement_series(f->idx, slice_of(ms[i]), &ids, &nall);
            st_index_read_end(f->idx);
            size_t n = check_agreement(p, ms[i]);
            total++;
            if (nall == 0)
                continue;
            some += n > 0 && n < nall;
            none += n == 0;
            all += n == nall;
        }
        st_pred_free(p);
    }
    /* The generator exercised every outcome, not just empty sets. */
    ck_assert_uint_gt(some, 200);
    ck_assert_uint_gt(none, 500);
    ck_assert_uint_gt(all, 500);
    ck_assert_uint_eq(total, 3000);
}
END_TEST

/* ---- st_pred_measurements ---- */

static int list_name(void *arg, struct st_slice name)
{
    struct st_buf *b = arg;
    if (b->len)
        st_buf_putc(b, '|');
    st_buf_append(b, name.p, name.len);
    return ST_OK;
}

static int stop_at_first(void *arg, struct st_slice name)
{
    (void)arg;
    (void)name;
    return ST_ECANCELED;
}

START_TEST(test_pred_measurements_select)
{
    struct st_buf b;
    st_buf_init(&b);
    char err[128];
    st_re *re;
    st_index_read_begin(f->idx);
    ck_assert_int_eq(st_pred_measurements(f->idx, NULL, NULL, list_name, &b), ST_OK);
    ck_assert_str_eq(b.p, "cpu|disk|mem|net");
    st_buf_reset(&b);
    struct st_slice mem = slice_of("mem"), gpu = slice_of("gpu");
    ck_assert_int_eq(st_pred_measurements(f->idx, &mem, NULL, list_name, &b), ST_OK);
    ck_assert_str_eq(b.p, "mem");
    st_buf_reset(&b);
    ck_assert_int_eq(st_pred_measurements(f->idx, &gpu, NULL, list_name, &b), ST_OK);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(st_re_compile("e", 1, &re, err, sizeof(err)), ST_OK);
    ck_assert_int_eq(st_pred_measurements(f->idx, NULL, re, list_name, &b), ST_OK);
    ck_assert_str_eq(b.p, "mem|net");
    ck_assert_int_eq(st_pred_measurements(f->idx, NULL, re, stop_at_first, NULL), ST_ECANCELED);
    st_index_read_end(f->idx);
    st_re_free(re);
    st_buf_fini(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pred");
    TCase *tc = tcase_create("st_pred_eval");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pred_eval_eq_neq_and_empty_string);
    tcase_add_test(tc, test_pred_eval_unknown_key_and_measurement);
    tcase_add_test(tc, test_pred_eval_regex);
    tcase_add_test(tc, test_pred_eval_escaped_names);
    tcase_add_test(tc, test_pred_eval_and_or_nested);
    tcase_add_test(tc, test_pred_eval_name_and_null);
    tcase_add_test(tc, test_pred_eval_agrees_with_match_key);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("st_pred_compile");
    tcase_add_checked_fixture(tc2, setup, teardown);
    tcase_add_test(tc2, test_pred_compile_refuses_malformed);
    tcase_add_test(tc2, test_pred_compile_depth_limit);
    suite_add_tcase(s, tc2);
    TCase *tc3 = tcase_create("st_pred_match_key");
    tcase_add_checked_fixture(tc3, setup, teardown);
    tcase_add_test(tc3, test_pred_match_key_rules);
    suite_add_tcase(s, tc3);
    TCase *tc4 = tcase_create("st_pred_measurements");
    tcase_add_checked_fixture(tc4, setup, teardown);
    tcase_add_test(tc4, test_pred_measurements_select);
    suite_add_tcase(s, tc4);
    return t_run_suite(s);
}
