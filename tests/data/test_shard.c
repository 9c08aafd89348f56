/* The shard: writes, refusals, replay, flush, compaction, merged reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "index.h"
#include "lineproto.h"
#include "ptbin.h"
#include "shard.h"
#include "testlib.h"

static char dir[64];
static st_shard *sh;
static struct st_shard_write_result res;

static void open_shard(void)
{
    char err[512] = "";
    struct st_shard_opts o = {.cache_max_bytes = 64u << 20};
    ck_assert_msg(st_shard_open(dir, 1, &o, &sh, err, sizeof(err)) == ST_OK, "%s", err);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-shard-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    open_shard();
    st_buf_init(&res.errors);
}

static void teardown(void)
{
    st_shard_close(sh);
    st_buf_fini(&res.errors);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static int WRITE(const char *lp)
{
    res.written = res.dropped = 0;
    st_buf_reset(&res.errors);
    return st_shard_write(sh, lp, strlen(lp), &res);
}

/* Writes @lp as the router sends it: parsed, then as binary records. */
static int WRITE_BIN(const char *lp)
{
    struct st_lp_batch b;
    struct st_buf key, bin;
    st_lp_batch_init(&b);
    st_buf_init(&key);
    st_buf_init(&bin);
    ck_assert_int_eq(st_lp_parse(&b, lp, strlen(lp), ST_PRECISION_NS, 0), ST_OK);
    ck_assert_uint_eq(b.nerrors, 0);
    for (size_t i = 0; i < b.npoints; i++) {
        st_buf_reset(&key);
        ck_assert_int_eq(st_lp_series_key(&key, &b, &b.points[i]), ST_OK);
        struct st_slice k = {key.p, (uint32_t)key.len};
        ck_assert_int_eq(st_ptbin_append(&bin, k, &b, &b.points[i]), ST_OK);
    }
    res.written = res.dropped = 0;
    st_buf_reset(&res.errors);
    int rv = st_shard_write_bin(sh, bin.p ? bin.p : "", bin.len, &res);
    st_buf_fini(&bin);
    st_buf_fini(&key);
    st_lp_batch_fini(&b);
    return rv;
}

/* Reads field @f of measurement @m into "t=v;" text, series by series. */
struct out {
    char text[8192];
    size_t len;
};

static int o_series(void *arg, struct st_slice key)
{
    struct out *o = arg;
    o->len +=
        (size_t)snprintf(o->text + o->len, sizeof(o->text) - o->len, "[%.*s]", (int)key.len, key.p);
    return ST_OK;
}

static int o_field(void *arg, struct st_slice field, enum st_field_type type)
{
    struct out *o = arg;
    o->len += (size_t)snprintf(o->text + o->len, sizeof(o->text) - o->len,
                               "%.*s(%s):", (int)field.len, field.p, st_field_type_name(type));
    return ST_OK;
}

static int o_value(void *arg, const struct st_point_value *pv)
{
    struct out *o = arg;
    char v[64];
    switch (pv->type) {
    case ST_FIELD_FLOAT:
        snprintf(v, sizeof(v), "%g", pv->v.f);
        break;
    case ST_FIELD_INTEGER:
        snprintf(v, sizeof(v), "%lld", (long long)pv->v.i);
        break;
    case ST_FIELD_UNSIGNED:
        snprintf(v, sizeof(v), "%llu", (unsigned long long)pv->v.u);
        break;
    case ST_FIELD_BOOLEAN:
        snprintf(v, sizeof(v), "%s", pv->v.b ? "t" : "f");
        break;
    case ST_FIELD_STRING:
        snprintf(v, sizeof(v), "'%.*s'", (int)pv->v.s.len, pv->v.s.p);
        break;
    }
    o->len += (size_t)snprintf(o->text + o->len, sizeof(o->text) - o->len, "%lld=%s;",
                               (long long)pv->t, v);
    return ST_OK;
}

static const char *READ(const char *m, int64_t tmin, int64_t tmax)
{
    static struct out o;
    o.len = 0;
    o.text[0] = '\0';
    struct st_shard_read_cb cb = {o_series, o_field, o_value, &o};
    struct st_slice ms = {m, (uint32_t)strlen(m)};
    ck_assert_int_eq(st_shard_read_raw(sh, ms, NULL, 0, tmin, tmax, &cb), ST_OK);
    return o.text;
}

#define ALL INT64_MIN, INT64_MAX

START_TEST(test_shard_write_read)
{
    ck_assert_int_eq(WRITE("m,h=b v=2 20\nm,h=a v=1,s=\"x\" 10\nm,h=a v=3 30\n"), ST_OK);
    ck_assert_uint_eq(res.written, 3);
    ck_assert_str_eq(READ("m", ALL),
                     "[m,h=a]s(string):10='x';v(float):10=1;30=3;[m,h=b]v(float):20=2;");
    ck_assert_str_eq(READ("m", 15, 30), "[m,h=a]v(float):30=3;[m,h=b]v(float):20=2;");
    ck_assert_str_eq(READ("none", ALL), "");
}
END_TEST

START_TEST(test_shard_refusals_keep_good_points)
{
    ck_assert_int_eq(WRITE("m v=1 1\n"), ST_OK);
    ck_assert_int_eq(WRITE("m v=2i 2\nm v=3 3\nm,time=x v=4 4\nm time=5 5\nm time=6,v=6 6\n"
                           "bad\nm v=7\n"),
                     ST_OK);
    ck_assert_uint_eq(res.written, 2);
    ck_assert_uint_eq(res.dropped, 5);
    ck_assert_ptr_nonnull(strstr(res.errors.p, "field type conflict: input field \"v\" on "
                                               "measurement \"m\" is type integer, already "
                                               "exists as type float"));
    ck_assert_ptr_nonnull(strstr(res.errors.p, "invalid tag key: input tag \"time\""));
    ck_assert_ptr_nonnull(strstr(res.errors.p, "invalid field name: input field \"time\""));
    ck_assert_ptr_nonnull(strstr(res.errors.p, "unable to parse 'bad': missing fields"));
    ck_assert_ptr_nonnull(strstr(res.errors.p, "missing timestamp"));
    ck_assert_str_eq(READ("m", ALL), "[m]v(float):1=1;3=3;6=6;");
}
END_TEST

START_TEST(test_shard_replay_after_reopen)
{
    ck_assert_int_eq(WRITE("m,h=a v=1,n=5i,u=7u,b=t,s=\"q\\\"x\" 10\nm,h=a v=2 10\n"), ST_OK);
    st_shard_close(sh);
    open_shard();
    ck_assert_str_eq(READ("m", ALL), "[m,h=a]b(boolean):10=t;n(integer):10=5;s(string):10='q\"x';"
                                     "u(unsigned):10=7;v(float):10=2;");
}
END_TEST

/* Binary batches: the same refusals with the same messages as line
 * protocol; the WAL keeps only the accepted records, and replay reads a WAL
 * mixing both record kinds. */
START_TEST(test_shard_binary_batches)
{
    ck_assert_int_eq(WRITE("m v=1 1\n"), ST_OK);
    ck_assert_int_eq(WRITE_BIN("m v=2i 2\nm v=3 3\nm,time=x v=4 4\nm time=5 5\nm time=6,v=6 6\n"
                               "m\\ x,h\\=a=b\\,c s=\"q\\\"x\",b=t,u=7u,n=-5i,v=8 8\n"),
                     ST_OK);
    ck_assert_uint_eq(res.written, 3);
    ck_assert_uint_eq(res.dropped, 3);
    const char *want = "field type conflict: input field \"v\" on measurement \"m\" is type "
                       "integer, already exists as type float\n"
                       "invalid tag key: input tag \"time\" on measurement \"m\" is invalid\n"
                       "invalid field name: input field \"time\" on measurement \"m\" is invalid";
    ck_assert_str_eq(res.errors.p, want);
    /* The same refusals through line protocol give the same text. */
    ck_assert_int_eq(WRITE("m v=2i 2\nm,time=x v=4 4\nm time=5 5\n"), ST_OK);
    ck_assert_str_eq(res.errors.p, want);
    /* A malformed batch is refused whole. */
    ck_assert_int_eq(st_shard_write_bin(sh, "\x05\0\0\0\x01m\x01\0\0", 9, &res), ST_ECORRUPT);
    const char *m = "[m]v(float):1=1;3=3;6=6;";
    const char *mx = "[m\\ x,h\\=a=b\\,c]b(boolean):8=t;n(integer):8=-5;s(string):8='q\"x';"
                     "u(unsigned):8=7;v(float):8=8;";
    ck_assert_str_eq(READ("m", ALL), m);
    ck_assert_str_eq(READ("m x", ALL), mx);
    st_shard_close(sh);
    open_shard();
    ck_assert_str_eq(READ("m", ALL), m);
    ck_assert_str_eq(READ("m x", ALL), mx);
}
END_TEST

START_TEST(test_shard_flush_compact_precedence)
{
    /* Three generations of the same times: newer writes must win whether
     * they sit in the cache, in a newer segment or in a compacted one. */
    struct st_buf big;
    st_buf_init(&big);
    for (int t = 0; t < 2500; t++)
        st_buf_printf(&big, "m v=%d %d\n", t, t);
    ck_assert_int_eq(st_shard_write(sh, big.p, big.len, &res), ST_OK);
    ck_assert_int_eq(st_shard_flush(sh), ST_OK);
    ck_assert_int_eq(WRITE("m v=-1 5\nm v=-2 2000\n"), ST_OK);
    ck_assert_int_eq(st_shard_flush(sh), ST_OK);
    ck_assert_int_eq(WRITE("m v=-3 5\n"), ST_OK);
    struct st_shard_stats st;
    st_shard_stats(sh, &st);
    ck_assert_uint_eq(st.segments, 2);
    ck_assert_str_eq(READ("m", 4, 6), "[m]v(float):4=4;5=-3;6=6;");
    ck_assert_str_eq(READ("m", 1999, 2001), "[m]v(float):1999=1999;2000=-2;2001=2001;");
    ck_assert_int_eq(st_shard_compact(sh), ST_OK);
    st_shard_stats(sh, &st);
    ck_assert_uint_eq(st.segments, 1);
    ck_assert_str_eq(st.bg_error, "");
    ck_assert_str_eq(READ("m", 4, 6), "[m]v(float):4=4;5=-3;6=6;");
    ck_assert_int_eq(st_shard_flush(sh), ST_OK);
    /* After a restart: segments only, WAL trimmed. */
    st_shard_close(sh);
    open_shard();
    ck_assert_str_eq(READ("m", 4, 6), "[m]v(float):4=4;5=-3;6=6;");
    ck_assert_str_eq(READ("m", 1999, 2001), "[m]v(float):1999=1999;2000=-2;2001=2001;");
    ck_assert_str_eq(READ("m", 2499, 3000), "[m]v(float):2499=2499;");
    st_buf_fini(&big);
}
END_TEST

static int c_series(void *arg, struct st_slice key)
{
    (void)key;
    ((size_t *)arg)[0]++;
    return ST_OK;
}

static int c_field(void *arg, struct st_slice field, enum st_field_type type)
{
    (void)arg, (void)field, (void)type;
    return ST_OK;
}

/* Counts the series (n[0]) and values (n[1]) of @m, and sums their float
 * values (*sum). */
static double sum;
static int c_value(void *arg, const struct st_point_value *pv)
{
    ((size_t *)arg)[1]++;
    if (pv->type == ST_FIELD_FLOAT)
        sum += pv->v.f;
    return ST_OK;
}

static void COUNT(const char *m, size_t *series, size_t *values)
{
    size_t n[2] = {0, 0};
    sum = 0;
    struct st_shard_read_cb cb = {c_series, c_field, c_value, n};
    struct st_slice ms = {m, (uint32_t)strlen(m)};
    ck_assert_int_eq(st_shard_read_raw(sh, ms, NULL, 0, ALL, &cb), ST_OK);
    *series = n[0];
    *values = n[1];
}

/* The shard parses (or decodes) a batch a few hundred points at a time:
 * refusals on both sides of those chunks keep every good point, the WAL
 * keeps exactly the accepted ones, and a corrupt binary record late in a
 * batch refuses all of it before any series is created. */
START_TEST(test_shard_batches_span_chunks)
{
    struct st_buf lp;
    st_buf_init(&lp);
    double want = 0;
    for (int i = 0; i < 1500; i++) {
        if (i == 3 || i == 1100)
            st_buf_printf(&lp, "bad line %d\n", i);
        else if (i == 600)
            st_buf_printf(&lp, "c,h=h%d v=1i %d\n", i % 7, i);
        else if (i == 1400)
            st_buf_printf(&lp, "c,time=x v=1 %d\n", i);
        else {
            st_buf_printf(&lp, "c,h=h%d v=%d %d\n", i % 7, i, i);
            want += i;
        }
    }
    ck_assert_int_eq(st_shard_write(sh, lp.p, lp.len, &res), ST_OK);
    ck_assert_uint_eq(res.written, 1496);
    ck_assert_uint_eq(res.dropped, 4);
    ck_assert_ptr_nonnull(strstr(res.errors.p, "unable to parse 'bad line 1100'"));
    ck_assert_ptr_nonnull(strstr(res.errors.p, "field type conflict"));
    size_t ns, nv;
    COUNT("c", &ns, &nv);
    ck_assert_uint_eq(ns, 7);
    ck_assert_uint_eq(nv, 1496);
    ck_assert_double_eq(sum, want);
    st_shard_close(sh);
    open_shard();
    COUNT("c", &ns, &nv);
    ck_assert_uint_eq(nv, 1496);
    ck_assert_double_eq(sum, want);

    /* Binary: a conflict past the first chunk drops that point alone. */
    st_buf_reset(&lp);
    for (int i = 0; i < 1300; i++)
        st_buf_printf(&lp, "d,h=h%d v=%d%s %d\n", i % 5, i, i == 900 ? "i" : "", i);
    ck_assert_int_eq(WRITE_BIN(lp.p), ST_OK);
    ck_assert_uint_eq(res.written, 1299);
    ck_assert_uint_eq(res.dropped, 1);
    COUNT("d", &ns, &nv);
    ck_assert_uint_eq(nv, 1299);

    /* Binary: record 1201 of 1300 is cut short. */
    struct st_lp_batch b;
    struct st_buf key, bin;
    st_lp_batch_init(&b);
    st_buf_init(&key);
    st_buf_init(&bin);
    st_buf_reset(&lp);
    for (int i = 0; i < 1300; i++)
        st_buf_printf(&lp, "e,h=h%d v=%d %d\n", i, i, i);
    ck_assert_int_eq(st_lp_parse(&b, lp.p, lp.len, ST_PRECISION_NS, 0), ST_OK);
    size_t bad_at = 0;
    for (size_t i = 0; i < b.npoints; i++) {
        if (i == 1200)
            bad_at = bin.len;
        st_buf_reset(&key);
        ck_assert_int_eq(st_lp_series_key(&key, &b, &b.points[i]), ST_OK);
        struct st_slice k = {key.p, (uint32_t)key.len};
        ck_assert_int_eq(st_ptbin_append(&bin, k, &b, &b.points[i]), ST_OK);
    }
    bin.p[bad_at] = 2; /* the record's length: 2 bytes, too short for a point */
    ck_assert_int_eq(st_shard_write_bin(sh, bin.p, bin.len, &res), ST_ECORRUPT);
    COUNT("e", &ns, &nv);
    ck_assert_uint_eq(nv, 0);
    uint32_t id;
    ck_assert_int_eq(st_index_lookup(st_shard_index(sh), "e,h=h0", 6, &id), ST_ENOTFOUND);
    st_buf_fini(&bin);
    st_buf_fini(&key);
    st_lp_batch_fini(&b);
    st_buf_fini(&lp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shard");
    TCase *tc = tcase_create("shard");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_shard_write_read);
    tcase_add_test(tc, test_shard_refusals_keep_good_points);
    tcase_add_test(tc, test_shard_replay_after_reopen);
    tcase_add_test(tc, test_shard_binary_batches);
    tcase_add_test(tc, test_shard_flush_compact_precedence);
    tcase_add_test(tc, test_shard_batches_span_chunks);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
