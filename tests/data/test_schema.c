/* data/schema: SchemaQuery listings over a store's shards, with conditions,
 * sources, de-duplication across shards, limits, missing shards, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.pb-c.h"
#include "err.h"
#include "schema.h"
#include "store.h"
#include "testlib.h"

/* Two shards. cpu,host=a,region=west is in both; mem's field "free" is an
 * integer in shard 1 and a float in shard 2. Shard 99 does not exist. */
static const char shard1[] = "cpu,host=a,region=west usage=1 1000\n"
                             "cpu,host=b,region=east usage=2,idle=3i 1000\n"
                             "cpu,host=c usage=1 1000\n"
                             "mem,host=a free=1i 1000\n"
                             "disk\\ io,host=a,path=/dev/sda reads=1u 1000\n";
static const char shard2[] = "cpu,host=a,region=west usage=5 2000\n"
                             "cpu,host=d,region=north usage=1,state=\"x\" 2000\n"
                             "mem,host=b free=2 2000\n"
                             "net,host=a,iface=eth0 rx=1i 2000\n";

#define POOL 64

static struct {
    char dir[64];
    st_store *st;
    Strata__SchemaQuery q;
    uint64_t shard_ids[3];
    char *tag_keys[4];
    Strata__TagExpr expr[POOL];
    Strata__TagBinary bin[POOL];
    Strata__TagCompare cmp[POOL];
    size_t nexpr, nbin, ncmp;
    Strata__DataResponse *resp; /* the last answer, unpacked */
    char out[8192];             /* the last answer's entries, as text */
} f;

static void write_shard(uint64_t id, const char *lp)
{
    char err[256] = "";
    st_shard *s;
    ck_assert_msg(st_store_acquire(f.st, id, true, &s, err, sizeof(err)) == ST_OK, "%s", err);
    struct st_shard_write_result res = {0};
    st_buf_init(&res.errors);
    ck_assert_int_eq(st_shard_write(s, lp, strlen(lp), &res), ST_OK);
    ck_assert_msg(res.dropped == 0, "%s", res.errors.p);
    st_buf_fini(&res.errors);
    st_store_release(f.st, s);
}

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    snprintf(f.dir, sizeof(f.dir), "/tmp/st-schema-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f.dir));
    char err[256] = "";
    struct st_shard_opts o = {.cache_max_bytes = 64u << 20};
    ck_assert_msg(st_store_open(f.dir, &o, &f.st, err, sizeof(err)) == ST_OK, "%s", err);
    write_shard(1, shard1);
    write_shard(2, shard2);
    /* Every query starts as: all kinds' defaults over shards 1, 2, 99. */
    strata__schema_query__init(&f.q);
    f.shard_ids[0] = 1;
    f.shard_ids[1] = 2;
    f.shard_ids[2] = 99;
    f.q.shard_ids = f.shard_ids;
    f.q.n_shard_ids = 3;
    f.q.database = (char *)"db";
}

static void teardown(void)
{
    if (f.resp)
        strata__data_response__free_unpacked(f.resp, NULL);
    st_store_close(f.st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f.dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- conditions ---- */

static Strata__TagExpr *CMP(const char *key, Strata__CompareOp op, const char *value)
{
    ck_assert(f.nexpr < POOL && f.ncmp < POOL);
    Strata__TagCompare *c = &f.cmp[f.ncmp++];
    strata__tag_compare__init(c);
    c->key = (char *)key;
    c->op = op;
    c->value = (char *)value;
    Strata__TagExpr *e = &f.expr[f.nexpr++];
    strata__tag_expr__init(e);
    e->expr_case = STRATA__TAG_EXPR__EXPR_COMPARE;
    e->compare = c;
    return e;
}

static Strata__TagExpr *AND(Strata__TagExpr *l, Strata__TagExpr *r)
{
    ck_assert(f.nexpr < POOL && f.nbin < POOL);
    Strata__TagBinary *b = &f.bin[f.nbin++];
    strata__tag_binary__init(b);
    b->left = l;
    b->right = r;
    Strata__TagExpr *e = &f.expr[f.nexpr++];
    strata__tag_expr__init(e);
    e->expr_case = STRATA__TAG_EXPR__EXPR_AND_EXPR;
    e->and_expr = b;
    return e;
}

#define EQ(k, v) CMP(k, STRATA__COMPARE_OP__EQ, v)
#define NEQ(k, v) CMP(k, STRATA__COMPARE_OP__NEQ, v)
#define RE(k, v) CMP(k, STRATA__COMPARE_OP__REGEX, v)

/* ---- running ---- */

static const char *type_name(Strata__FieldType t)
{
    static const char *const names[] = {"?", "float", "integer", "unsigned", "string", "boolean"};
    return (unsigned)t < 6 ? names[t] : "?";
}

/* Runs f.q; returns the entries as "m[.key][=value][:type]" joined by ';'
 * (f.resp keeps the whole answer). Fails the test on an error answer. */
static const char *RUN(Strata__SchemaKind kind)
{
    f.q.kind = kind;
    struct st_buf out;
    st_buf_init(&out);
    ck_assert_int_eq(st_data_schema(f.st, &f.q, &out), ST_OK);
    if (f.resp)
        strata__data_response__free_unpacked(f.resp, NULL);
    f.resp = strata__data_response__unpack(NULL, out.len, (const uint8_t *)out.p);
    st_buf_fini(&out);
    ck_assert_ptr_nonnull(f.resp);
    ck_assert_msg(f.resp->error == NULL || f.resp->error->code == STRATA__ERROR_CODE__OK, "%s",
                  f.resp->error ? f.resp->error->message : "");
    ck_assert_int_eq(f.resp->resp_case, STRATA__DATA_RESPONSE__RESP_SCHEMA_QUERY);
    const Strata__SchemaQueryResponse *r = f.resp->schema_query;
    ck_assert_uint_eq(r->n_missing_shard_ids, 1);
    ck_assert_uint_eq(r->missing_shard_ids[0], 99);
    size_t len = 0;
    f.out[0] = '\0';
    for (size_t i = 0; i < r->n_entries; i++) {
        const Strata__SchemaEntry *e = r->entries[i];
        len += (size_t)snprintf(f.out + len, sizeof(f.out) - len, "%s%s", i ? ";" : "",
                                e->measurement);
        if (e->key[0])
            len += (size_t)snprintf(f.out + len, sizeof(f.out) - len, ".%s", e->key);
        if (e->value[0])
            len += (size_t)snprintf(f.out + len, sizeof(f.out) - len, "=%s", e->value);
        if (e->type)
            len += (size_t)snprintf(f.out + len, sizeof(f.out) - len, ":%s", type_name(e->type));
        ck_assert_uint_lt(len, sizeof(f.out));
    }
    return f.out;
}

/* Runs f.q expecting an error answer with @code; returns its message. */
static const char *RUN_FAILS(Strata__SchemaKind kind, Strata__ErrorCode code)
{
    f.q.kind = kind;
    struct st_buf out;
    st_buf_init(&out);
    ck_assert_int_eq(st_data_schema(f.st, &f.q, &out), ST_OK);
    if (f.resp)
        strata__data_response__free_unpacked(f.resp, NULL);
    f.resp = strata__data_response__unpack(NULL, out.len, (const uint8_t *)out.p);
    st_buf_fini(&out);
    ck_assert_ptr_nonnull(f.resp);
    ck_assert_ptr_nonnull(f.resp->error);
    ck_assert_int_eq(f.resp->error->code, code);
    return f.resp->error->message;
}

static void SOURCE_NAME(const char *m)
{
    f.q.source_case = STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT;
    f.q.measurement = (char *)m;
}

static void SOURCE_REGEX(const char *re)
{
    f.q.source_case = STRATA__SCHEMA_QUERY__SOURCE_MEASUREMENT_REGEX;
    f.q.measurement_regex = (char *)re;
}

/* ---- tests ---- */

START_TEST(test_schema_measurements)
{
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "cpu;disk io;mem;net");
    ck_assert(!f.resp->schema_query->truncated);
    SOURCE_REGEX("^(cpu|net)$");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "cpu;net");
    SOURCE_REGEX("e"); /* unanchored */
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "mem;net");
    SOURCE_NAME("mem");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "mem");
    SOURCE_NAME("gpu");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "");
}
END_TEST

START_TEST(test_schema_measurements_with_condition)
{
    /* host=b lives in cpu (shard 1) and mem (shard 2). */
    f.q.condition = EQ("host", "b");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "cpu;mem");
    /* region = '': measurements with a series lacking region. */
    f.q.condition = EQ("region", "");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "cpu;disk io;mem;net");
    f.q.condition = NEQ("region", "");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "cpu");
    f.q.condition = AND(EQ("host", "a"), RE("_name", "^(mem|net)$"));
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "mem;net");
}
END_TEST

START_TEST(test_schema_tag_keys)
{
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_KEYS),
                     "cpu.host;cpu.region;disk io.host;disk io.path;mem.host;net.host;net.iface");
    /* Only keys that a matching series has: host=c has no region. */
    f.q.condition = EQ("host", "c");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_KEYS), "cpu.host");
    f.q.condition = EQ("region", "west");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_KEYS), "cpu.host;cpu.region");
    f.q.condition = EQ("host", "a");
    SOURCE_REGEX("^(disk io|net)$");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_KEYS),
                     "disk io.host;disk io.path;net.host;net.iface");
}
END_TEST

START_TEST(test_schema_tag_values)
{
    f.tag_keys[0] = (char *)"host";
    f.q.tag_keys = f.tag_keys;
    f.q.n_tag_keys = 1;
    SOURCE_NAME("cpu");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_VALUES),
                     "cpu.host=a;cpu.host=b;cpu.host=c;cpu.host=d");
    /* region != 'west' keeps host=c, which has no region at all. */
    f.q.condition = NEQ("region", "west");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_VALUES), "cpu.host=b;cpu.host=c;cpu.host=d");
    f.q.condition = RE("region", "^$");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_VALUES), "cpu.host=c");
    /* Keys listed in any order come out sorted; a key twice is listed once. */
    f.q.condition = NULL;
    f.tag_keys[0] = (char *)"iface";
    f.tag_keys[1] = (char *)"host";
    f.tag_keys[2] = (char *)"iface";
    f.q.n_tag_keys = 3;
    SOURCE_NAME("net");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_VALUES), "net.host=a;net.iface=eth0");
}
END_TEST

START_TEST(test_schema_tag_values_key_regex)
{
    f.q.tag_key_regex = (char *)"^(host|region)$";
    f.q.condition = EQ("host", "a");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_VALUES),
                     "cpu.host=a;cpu.region=west;disk io.host=a;mem.host=a;net.host=a");
    /* tag_keys and the regex together: the union. */
    f.tag_keys[0] = (char *)"path";
    f.q.tag_keys = f.tag_keys;
    f.q.n_tag_keys = 1;
    f.q.tag_key_regex = (char *)"^reg";
    f.q.condition = NULL;
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__TAG_VALUES),
                     "cpu.region=east;cpu.region=north;cpu.region=west;disk io.path=/dev/sda");
}
END_TEST

START_TEST(test_schema_field_keys)
{
    /* mem.free is an integer in shard 1 and a float in shard 2: both. */
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__FIELD_KEYS),
                     "cpu.idle:integer;cpu.state:string;cpu.usage:float;disk io.reads:unsigned;"
                     "mem.free:float;mem.free:integer;net.rx:integer");
    /* Per shard: host=d is in shard 2 only, whose cpu has no idle. */
    f.q.condition = EQ("host", "d");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__FIELD_KEYS), "cpu.state:string;cpu.usage:float");
    f.q.condition = NEQ("host", "");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__FIELD_KEYS),
                     "cpu.idle:integer;cpu.state:string;cpu.usage:float;disk io.reads:unsigned;"
                     "mem.free:float;mem.free:integer;net.rx:integer");
    f.q.condition = EQ("host", "b");
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__FIELD_KEYS),
                     "cpu.idle:integer;cpu.usage:float;mem.free:float");
}
END_TEST

START_TEST(test_schema_series)
{
    /* cpu,host=a,region=west is in both shards: listed once. */
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__SERIES),
                     "cpu=cpu,host=a,region=west;cpu=cpu,host=b,region=east;cpu=cpu,host=c;"
                     "cpu=cpu,host=d,region=north;disk io=disk\\ io,host=a,path=/dev/sda;"
                     "mem=mem,host=a;mem=mem,host=b;net=net,host=a,iface=eth0");
    f.q.condition = AND(RE("host", "^[ab]$"), NEQ("_name", "disk io"));
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__SERIES),
                     "cpu=cpu,host=a,region=west;cpu=cpu,host=b,region=east;mem=mem,host=a;"
                     "mem=mem,host=b;net=net,host=a,iface=eth0");
    SOURCE_NAME("disk io");
    f.q.condition = NULL;
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__SERIES), "disk io=disk\\ io,host=a,path=/dev/sda");
}
END_TEST

START_TEST(test_schema_limit_truncates)
{
    f.q.limit = 2;
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "cpu;disk io");
    ck_assert(f.resp->schema_query->truncated);
    f.q.limit = 4;
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "cpu;disk io;mem;net");
    ck_assert(!f.resp->schema_query->truncated);
    /* The limit counts distinct entries: the duplicate series does not use
     * up two places. */
    f.q.limit = 2;
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__SERIES),
                     "cpu=cpu,host=a,region=west;cpu=cpu,host=b,region=east");
    ck_assert(f.resp->schema_query->truncated);
}
END_TEST

START_TEST(test_schema_no_shards_held)
{
    f.shard_ids[0] = 99;
    f.q.n_shard_ids = 1;
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "");
    /* A flushed shard answers from the same index. */
    f.q.n_shard_ids = 3;
    f.shard_ids[0] = 1;
    st_shard *s;
    char err[128];
    ck_assert_int_eq(st_store_acquire(f.st, 1, false, &s, err, sizeof(err)), ST_OK);
    ck_assert_int_eq(st_shard_flush(s), ST_OK);
    st_store_release(f.st, s);
    ck_assert_str_eq(RUN(STRATA__SCHEMA_KIND__MEASUREMENTS), "cpu;disk io;mem;net");
}
END_TEST

START_TEST(test_schema_bad_requests)
{
    ck_assert_str_eq(RUN_FAILS(STRATA__SCHEMA_KIND__SCHEMA_KIND_UNSPECIFIED,
                               STRATA__ERROR_CODE__INVALID_ARGUMENT),
                     "schema query: unknown kind 0");
    ck_assert_str_eq(
        RUN_FAILS(STRATA__SCHEMA_KIND__TAG_VALUES, STRATA__ERROR_CODE__INVALID_ARGUMENT),
        "schema query: TAG_VALUES needs tag_keys or tag_key_regex");
    SOURCE_REGEX("(cpu");
    ck_assert_str_eq(RUN_FAILS(STRATA__SCHEMA_KIND__MEASUREMENTS, STRATA__ERROR_CODE__PARSE_ERROR),
                     "measurement regex /(cpu/: missing closing parenthesis at offset 4");
    f.q.source_case = STRATA__SCHEMA_QUERY__SOURCE__NOT_SET;
    f.q.tag_key_regex = (char *)"[";
    ck_assert_str_eq(RUN_FAILS(STRATA__SCHEMA_KIND__TAG_VALUES, STRATA__ERROR_CODE__PARSE_ERROR),
                     "tag key regex /[/: missing terminating ] for character class at offset 1");
    f.q.tag_key_regex = (char *)"";
    f.q.condition = RE("host", "a)");
    ck_assert_str_eq(RUN_FAILS(STRATA__SCHEMA_KIND__SERIES, STRATA__ERROR_CODE__PARSE_ERROR),
                     "tag predicate: host =~ /a)/: unmatched closing parenthesis at offset 1");
    f.q.condition = AND(EQ("host", "a"), NULL);
    ck_assert_str_eq(RUN_FAILS(STRATA__SCHEMA_KIND__SERIES, STRATA__ERROR_CODE__INVALID_ARGUMENT),
                     "tag predicate: AND without its right operand");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("st_data_schema");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schema_measurements);
    tcase_add_test(tc, test_schema_measurements_with_condition);
    tcase_add_test(tc, test_schema_tag_keys);
    tcase_add_test(tc, test_schema_tag_values);
    tcase_add_test(tc, test_schema_tag_values_key_regex);
    tcase_add_test(tc, test_schema_field_keys);
    tcase_add_test(tc, test_schema_series);
    tcase_add_test(tc, test_schema_limit_truncates);
    tcase_add_test(tc, test_schema_no_shards_held);
    tcase_add_test(tc, test_schema_bad_requests);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
