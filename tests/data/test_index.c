/* Unit tests of data/index: series ids, escaped names, postings, set
 * operations, field types, the log's torn tails and corruption, listings.
 * `test_index --memory N` measures N TSBS-shaped series instead
 * (docs/storage-index.md). */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "index.h"
#include "lineproto.h"
#include "testlib.h"

struct fixture {
    char dir[64];
    char log[96];
    st_index *idx;
    char err[256];
    struct st_buf out; /* what a listing or helper printed */
};
static struct fixture f;

static void setup(void)
{
    snprintf(f.dir, sizeof f.dir, "/tmp/st-index-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f.dir));
    snprintf(f.log, sizeof f.log, "%s/index.log", f.dir);
    st_buf_init(&f.out);
    ck_assert_int_eq(st_index_open(f.dir, &f.idx, f.err, sizeof f.err), ST_OK);
}

static void teardown(void)
{
    st_index_close(f.idx);
    f.idx = NULL;
    st_buf_fini(&f.out);
    DIR *d = opendir(f.dir);
    struct dirent *e;
    char path[400];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", f.dir, e->d_name);
            unlink(path);
        }
    }
    if (d)
        closedir(d);
    rmdir(f.dir);
}

static struct st_slice S(const char *s) {
    struct st_slice x = {s, (uint32_t)strlen(s)};
    return x;
}

static void
REOPEN(void)
{
    st_index_close(f.idx);
    f.idx = NULL;
    ck_assert_msg(st_index_open(f.dir, &f.idx, f.err, sizeof f.err) == ST_OK, "%s", f.err);
}

/* Creates or finds series @key; returns its id. */
static uint32_t ID(const char *key)
{
    uint32_t id = 0;
    int rv = st_index_series_id(f.idx, key, strlen(key), &id, NULL);
    ck_assert_msg(rv == ST_OK, "%s: %s", key, st_strerror(rv));
    return id;
}

static int LOOKUP(const char *key, uint32_t *id)
{
    st_index_read_begin(f.idx);
    int rv = st_index_lookup(f.idx, key, strlen(key), id);
    st_index_read_end(f.idx);
    return rv;
}

static const char *KEY(uint32_t id)
{
    st_index_read_begin(f.idx);
    struct st_slice k = st_index_series_key(f.idx, id);
    st_index_read_end(f.idx);
    st_buf_reset(&f.out);
    st_buf_append(&f.out, k.p, k.len);
    return k.p ? f.out.p : NULL;
}

static struct st_index_stats STATS(void) {
    struct st_index_stats s;
    st_index_read_begin(f.idx);
    st_index_stats(f.idx, &s);
    st_index_read_end(f.idx);
    return s;
}

/* Listings print into f.out: "a|b|c"; tag values "v:1,2|w:3". */
static void
sep(void)
{
    if (f.out.len)
        st_buf_putc(&f.out, '|');
}

static int name_cb(void *arg, struct st_slice name)
{
    (void)arg;
    sep();
    st_buf_append(&f.out, name.p, name.len);
    return ST_OK;
}

static void put_ids(struct st_buf *b, const uint32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        st_buf_printf(b, "%s%u", i ? "," : "", ids[i]);
}

static int value_cb(void *arg, struct st_slice v, const uint32_t *ids, size_t n)
{
    (void)arg;
    sep();
    st_buf_append(&f.out, v.p, v.len);
    st_buf_putc(&f.out, ':');
    put_ids(&f.out, ids, n);
    return ST_OK;
}

static int field_cb(void *arg, struct st_slice name, enum st_field_type t)
{
    (void)arg;
    sep();
    st_buf_printf(&f.out, "%.*s:%s", (int)name.len, name.p, st_field_type_name(t));
    return ST_OK;
}

static const char *MEASUREMENTS(void)
{
    st_buf_reset(&f.out);
    st_index_read_begin(f.idx);
    ck_assert_int_eq(st_index_measurements(f.idx, name_cb, NULL), ST_OK);
    st_index_read_end(f.idx);
    return f.out.p ? f.out.p : "";
}

static const char *TAG_KEYS(const char *m)
{
    st_buf_reset(&f.out);
    st_index_read_begin(f.idx);
    ck_assert_int_eq(st_index_tag_keys(f.idx, S(m), name_cb, NULL), ST_OK);
    st_index_read_end(f.idx);
    return f.out.p ? f.out.p : "";
}

static const char *TAG_VALUES(const char *m, const char *k)
{
    st_buf_reset(&f.out);
    st_index_read_begin(f.idx);
    ck_assert_int_eq(st_index_tag_values(f.idx, S(m), S(k), value_cb, NULL), ST_OK);
    st_index_read_end(f.idx);
    return f.out.p ? f.out.p : "";
}

static const char *FIELDS(const char *m)
{
    st_buf_reset(&f.out);
    st_index_read_begin(f.idx);
    ck_assert_int_eq(st_index_fields(f.idx, S(m), field_cb, NULL), ST_OK);
    st_index_read_end(f.idx);
    return f.out.p ? f.out.p : "";
}

/* "1,2,3": the postings of m/k=v, or the series of m when @k is NULL. */
static const char *POSTINGS(const char *m, const char *k, const char *v)
{
    const uint32_t *ids;
    size_t n;
    st_index_read_begin(f.idx);
    if (k)
        ck_assert_int_eq(st_index_postings(f.idx, S(m), S(k), S(v), &ids, &n), ST_OK);
    else
        ck_assert_int_eq(st_index_measurement_series(f.idx, S(m), &ids, &n), ST_OK);
    ck_assert_ptr_nonnull(ids);
    st_buf_reset(&f.out);
    put_ids(&f.out, ids, n);
    st_index_read_end(f.idx);
    return f.out.p ? f.out.p : "";
}

static void FIELD_OK(const char *m, const char *name, enum st_field_type t)
{
    ck_assert_int_eq(st_index_field(f.idx, S(m), S(name), t, NULL), ST_OK);
}

static void read_file(const char *path, char **p, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    *p = malloc(*n ? *n : 1);
    ck_assert_uint_eq(fread(*p, 1, *n, fp), *n);
    fclose(fp);
}

static void write_file(const char *path, const char *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

/* Opens the log as it is on disk; returns the code, message in f.err. */
static int OPEN_RAW(void)
{
    st_index_close(f.idx);
    f.idx = NULL;
    f.err[0] = '\0';
    return st_index_open(f.dir, &f.idx, f.err, sizeof f.err);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- series ids ---- */

START_TEST(test_index_series_id_create_lookup)
{
    uint32_t id = 0;
    bool created = false;
    ck_assert_int_eq(st_index_series_id(f.idx, "cpu,host=a", 10, &id, &created), ST_OK);
    ck_assert_uint_eq(id, 1);
    ck_assert(created);
    ck_assert_int_eq(st_index_series_id(f.idx, "cpu,host=a", 10, &id, &created), ST_OK);
    ck_assert_uint_eq(id, 1);
    ck_assert(!created);
    ck_assert_uint_eq(ID("cpu,host=b"), 2);
    ck_assert_uint_eq(ID("mem"), 3);
    ck_assert_int_eq(LOOKUP("cpu,host=b", &id), ST_OK);
    ck_assert_uint_eq(id, 2);
    ck_assert_int_eq(LOOKUP("cpu,host=c", &id), ST_ENOTFOUND);
    ck_assert_int_eq(LOOKUP("cpu", &id), ST_ENOTFOUND);
    ck_assert_str_eq(KEY(1), "cpu,host=a");
    ck_assert_str_eq(KEY(3), "mem");
    ck_assert_ptr_null(KEY(0));
    ck_assert_ptr_null(KEY(4));
    ck_assert_uint_eq(STATS().series, 3);
    ck_assert_uint_eq(STATS().measurements, 2);
}
END_TEST

START_TEST(test_index_series_id_refuses_bad_keys)
{
    static const char *bad[] = {
        "",          ",a=b",   "m,a",     "m,a=",       "m,=b",     "m,b=1,a=2",
        "m,a=1,a=1", "m,a=1,", "m,a\\=1", "m,a=1,,b=2", "m,a=1,b=", "m,aa=1,a=2",
    };
    uint32_t id;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(st_index_series_id(f.idx, bad[i], strlen(bad[i]), &id, NULL) == ST_EINVAL,
                      "%s", bad[i]);
    size_t big = ST_INDEX_MAX_KEY + 1;
    char *k = malloc(big);
    memset(k, 'm', big);
    ck_assert_int_eq(st_index_series_id(f.idx, k, big, &id, NULL), ST_EINVAL);
    free(k);
    /* Nothing was created, nothing is listed, and ids start at 1. */
    ck_assert_uint_eq(STATS().series, 0);
    ck_assert_str_eq(MEASUREMENTS(), "");
    ck_assert_str_eq(TAG_KEYS("m"), "");
    ck_assert_uint_eq(ID("m,a=1"), 1);
    ck_assert_str_eq(TAG_VALUES("m", "a"), "1:1");
    ck_assert_str_eq(TAG_KEYS("m"), "a");
}
END_TEST

START_TEST(test_index_ids_stable_across_reopen)
{
    char key[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "m%d,host=h%d,rack=r%d", i % 3, i, i % 7);
        ck_assert_uint_eq(ID(key), (uint32_t)i + 1);
    }
    FIELD_OK("m0", "v", ST_FIELD_FLOAT);
    FIELD_OK("m1", "v", ST_FIELD_INTEGER);
    /* A clean close without sync keeps everything too: the OS has it. */
    REOPEN();
    ck_assert_uint_eq(STATS().series, 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "m%d,host=h%d,rack=r%d", i % 3, i, i % 7);
        uint32_t id;
        ck_assert_int_eq(LOOKUP(key, &id), ST_OK);
        ck_assert_uint_eq(id, (uint32_t)i + 1);
        ck_assert_str_eq(KEY(id), key);
    }
    ck_assert_str_eq(POSTINGS("m1", "rack", "r0"), "8,29,50,71,92,113,134,155,176,197,218,239,"
                                                   "260,281,302,323,344,365,386,407,428,449,470,"
                                                   "491,512,533,554,575,596,617,638,659,680,701,"
                                                   "722,743,764,785,806,827,848,869,890,911,932,"
                                                   "953,974,995");
    ck_assert_str_eq(FIELDS("m1"), "v:integer");
    ck_assert_int_eq(st_index_sync(f.idx), ST_OK);
    REOPEN();
    ck_assert_uint_eq(ID("m9,host=new"), 1001);
    ck_assert_str_eq(FIELDS("m0"), "v:float");
    REOPEN();
    ck_assert_uint_eq(ID("m9,host=new"), 1001);
    ck_assert_str_eq(KEY(1000), "m0,host=h999,rack=r5");
}
END_TEST

static void tsbs_key(char *buf, size_t len, uint32_t i)
{
    snprintf(buf, len, "cpu,arch=x%d,datacenter=us-east-1%c,hostname=host_%u,os=Ubuntu16.%u",
             (int)(i % 2 ? 64 : 86), 'a' + (int)(i % 3), i, i % 5);
}

static int count_cb(void *arg, struct st_slice v, const uint32_t *ids, size_t n)
{
    (void)v;
    (void)ids;
    *(size_t *)arg += n;
    return ST_OK;
}

START_TEST(test_index_100k_series)
{
    enum { N = 100000 };
    char key[128];
    for (uint32_t i = 0; i < N; i++) {
        tsbs_key(key, sizeof key, i);
        ck_assert_uint_eq(ID(key), i + 1);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < N; i += 7) {
            tsbs_key(key, sizeof key, i);
            uint32_t id;
            ck_assert_int_eq(LOOKUP(key, &id), ST_OK);
            ck_assert_uint_eq(id, i + 1);
            ck_assert_str_eq(KEY(id), key);
        }
        const uint32_t *ids;
        size_t n;
        st_index_read_begin(f.idx);
        st_index_measurement_series(f.idx, S("cpu"), &ids, &n);
        ck_assert_uint_eq(n, N);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(ids[i], i + 1);
        st_index_postings(f.idx, S("cpu"), S("os"), S("Ubuntu16.3"), &ids, &n);
        ck_assert_uint_eq(n, N / 5);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(ids[i], 4 + 5 * i);
        st_index_postings(f.idx, S("cpu"), S("hostname"), S("host_77777"), &ids, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(ids[0], 77778);
        st_index_read_end(f.idx);
        ck_assert_str_eq(TAG_KEYS("cpu"), "arch|datacenter|hostname|os");
        size_t values = 0;
        st_index_read_begin(f.idx);
        ck_assert_int_eq(st_index_tag_values(f.idx, S("cpu"), S("hostname"), count_cb, &values),
                         ST_OK);
        st_index_read_end(f.idx);
        ck_assert_uint_eq(values, N);
        REOPEN();
    }
}
END_TEST

/* ---- escaped names ---- */

/* The canonical key of the first point of line protocol @lp. */
static const char *CANON(const char *lp)
{
    struct st_lp_batch b;
    st_lp_batch_init(&b);
    ck_assert_int_eq(st_lp_parse(&b, lp, strlen(lp), ST_PRECISION_NS, 0), ST_OK);
    ck_assert_msg(b.nerrors == 0 && b.npoints == 1, "%s", lp);
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_lp_series_key(&f.out, &b, &b.points[0]), ST_OK);
    st_lp_batch_fini(&b);
    return f.out.p;
}

START_TEST(test_index_key_parse_escapes)
{
    struct st_index_key k;
    st_index_key_init(&k);
    const char *key = "my\\ meas\\,x,a\\=b=c\\,d\\ e,w=\\=x,z\\\\y=v\\\\w";
    ck_assert_int_eq(st_index_key_parse(&k, key, strlen(key)), ST_OK);
    ck_assert_uint_eq(k.ntags, 3);
    ck_assert_uint_eq(k.measurement.len, 9);
    ck_assert_mem_eq(k.measurement.p, "my meas,x", 9);
    ck_assert_uint_eq(k.tags[0].key.len, 3);
    ck_assert_mem_eq(k.tags[0].key.p, "a=b", 3);
    ck_assert_uint_eq(k.tags[0].value.len, 5);
    ck_assert_mem_eq(k.tags[0].value.p, "c,d e", 5);
    /* A value may start with an escaped '='. */
    ck_assert_uint_eq(k.tags[1].key.len, 1);
    ck_assert_uint_eq(k.tags[1].value.len, 2);
    ck_assert_mem_eq(k.tags[1].value.p, "=x", 2);
    /* A backslash before anything but , = or space is a literal byte. */
    ck_assert_uint_eq(k.tags[2].key.len, 4);
    ck_assert_mem_eq(k.tags[2].key.p, "z\\\\y", 4);
    ck_assert_uint_eq(k.tags[2].value.len, 4);
    ck_assert_mem_eq(k.tags[2].value.p, "v\\\\w", 4);
    /* A backslash before a comma escapes it, whatever precedes it, as
     * InfluxDB scans keys: one tag t with value "v\,w=x" here. */
    ck_assert_int_eq(st_index_key_parse(&k, "m,t=v\\\\,w=x", 11), ST_OK);
    ck_assert_uint_eq(k.ntags, 1);
    ck_assert_uint_eq(k.tags[0].value.len, 6);
    ck_assert_mem_eq(k.tags[0].value.p, "v\\,w=x", 6);
    /* A backslash run escapes the comma after it: one measurement "m\,x". */
    ck_assert_int_eq(st_index_key_parse(&k, "m\\\\,x,t=1", 9), ST_OK);
    ck_assert_uint_eq(k.measurement.len, 4);
    ck_assert_mem_eq(k.measurement.p, "m\\,x", 4);
    ck_assert_uint_eq(k.ntags, 1);
    ck_assert_int_eq(st_index_key_parse(&k, "m", 1), ST_OK);
    ck_assert_uint_eq(k.ntags, 0);
    ck_assert_int_eq(st_index_key_parse(&k, "m,a", 3), ST_EINVAL);
    st_index_key_fini(&k);
    st_index_key_fini(&k);
}
END_TEST

START_TEST(test_index_escaped_names)
{
    /* Keys made by the real canonicalizer from line protocol. */
    char k1[128], k2[128], k3[128];
    snprintf(k1, sizeof k1, "%s", CANON("my\\ meas\\,x,a\\=b=c\\,d\\ e v=1"));
    ck_assert_str_eq(k1, "my\\ meas\\,x,a\\=b=c\\,d\\ e");
    snprintf(k2, sizeof k2, "%s", CANON("my\\ meas\\,x,a\\=b=plain,b\\\\s=a\\\\,c v=1"));
    ck_assert_str_eq(k2, "my\\ meas\\,x,a\\=b=plain,b\\\\s=a\\\\,c");
    snprintf(k3, sizeof k3, "%s", CANON("m\\\\\\,x,t==v v=1"));
    ck_assert_str_eq(k3, "m\\\\\\,x,t=\\=v");
    ck_assert_uint_eq(ID(k1), 1);
    ck_assert_uint_eq(ID(k2), 2);
    ck_assert_uint_eq(ID(k3), 3);
    for (int pass = 0; pass < 2; pass++) {
        ck_assert_str_eq(MEASUREMENTS(), "m\\\\,x|my meas,x");
        ck_assert_str_eq(TAG_KEYS("my meas,x"), "a=b|b\\\\s");
        ck_assert_str_eq(TAG_VALUES("my meas,x", "a=b"), "c,d e:1|plain:2");
        ck_assert_str_eq(POSTINGS("my meas,x", "a=b", "c,d e"), "1");
        ck_assert_str_eq(POSTINGS("my meas,x", "b\\\\s", "a\\,c"), "2");
        ck_assert_str_eq(POSTINGS("m\\\\,x", "t", "=v"), "3");
        ck_assert_str_eq(POSTINGS("my meas,x", NULL, NULL), "1,2");
        /* Escaped forms are not names. */
        ck_assert_str_eq(POSTINGS("my\\ meas\\,x", NULL, NULL), "");
        ck_assert_str_eq(POSTINGS("my meas,x", "a\\=b", "c\\,d\\ e"), "");
        ck_assert_str_eq(KEY(1), k1);
        REOPEN();
    }
}
END_TEST

/* ---- postings ---- */

START_TEST(test_index_postings_interleaved)
{
    enum { N = 3000, M = 3, K = 3, V = 20 };
    static uint8_t model[N + 1][1 + K]; /* measurement, then value per key */
    uint64_t s = 88172645463325252ULL;
    char key[128];
    for (uint32_t id = 1; id <= N;) {
        uint8_t t[1 + K];
        for (int j = 0; j <= K; j++)
            t[j] = (uint8_t)(rng_next(&s) % (j ? V : M));
        snprintf(key, sizeof key, "m%u,k0=v%02u,k1=v%02u,k2=v%02u", t[0], t[1], t[2], t[3]);
        bool created;
        uint32_t got;
        ck_assert_int_eq(st_index_series_id(f.idx, key, strlen(key), &got, &created), ST_OK);
        if (!created)
            continue; /* a series seen before */
        ck_assert_uint_eq(got, id);
        memcpy(model[id++], t, sizeof t);
    }
    for (int pass = 0; pass < 2; pass++) {
        st_index_read_begin(f.idx);
        for (int m = 0; m < M; m++) {
            char mn[8], kn[8], vn[8];
            snprintf(mn, sizeof mn, "m%d", m);
            const uint32_t *ids;
            size_t n, want = 0;
            for (int k = 0; k < K; k++) {
                snprintf(kn, sizeof kn, "k%d", k);
                for (int v = 0; v < V; v++) {
                    snprintf(vn, sizeof vn, "v%02d", v);
                    st_index_postings(f.idx, S(mn), S(kn), S(vn), &ids, &n);
                    size_t j = 0;
                    for (uint32_t id = 1; id <= N; id++) {
                        if (model[id][0] != m || model[id][1 + k] != v)
                            continue;
                        ck_assert_uint_lt(j, n);
                        ck_assert_uint_eq(ids[j++], id);
                    }
                    ck_assert_uint_eq(j, n);
                }
            }
            st_index_measurement_series(f.idx, S(mn), &ids, &n);
            for (uint32_t id = 1; id <= N; id++)
                if (model[id][0] == m)
                    ck_assert_uint_eq(ids[want++], id);
            ck_assert_uint_eq(want, n);
        }
        st_index_read_end(f.idx);
        REOPEN();
    }
}
END_TEST

/* ---- set operations ---- */

static size_t rand_set(uint64_t *s, uint32_t *out, size_t max, uint32_t range)
{
    size_t n = (size_t)(rng_next(s) % (max + 1));
    for (size_t i = 0; i < n; i++)
        out[i] = (uint32_t)(rng_next(s) % range) + 1;
    return st_index_normalize(out, n);
}

START_TEST(test_index_set_operations)
{
    const uint32_t a[] = {1, 3, 5, 7, 9}, b[] = {2, 3, 4, 9, 10};
    uint32_t out[16];
    size_t n = st_index_intersect(a, 5, b, 5, out);
    ck_assert_uint_eq(n, 2);
    ck_assert(out[0] == 3 && out[1] == 9);
    n = st_index_union(a, 5, b, 5, out);
    ck_assert_uint_eq(n, 8);
    const uint32_t u[] = {1, 2, 3, 4, 5, 7, 9, 10};
    ck_assert_mem_eq(out, u, sizeof u);
    n = st_index_difference(a, 5, b, 5, out);
    ck_assert_uint_eq(n, 3);
    ck_assert(out[0] == 1 && out[1] == 5 && out[2] == 7);
    ck_assert_uint_eq(st_index_intersect(a, 5, b, 0, out), 0);
    ck_assert_uint_eq(st_index_union(a, 0, b, 0, out), 0);
    ck_assert_uint_eq(st_index_difference(a, 0, b, 5, out), 0);
    ck_assert_uint_eq(st_index_difference(a, 5, b, 0, out), 5);
    uint32_t dup[] = {5, 1, 5, 3, 1, 9};
    ck_assert_uint_eq(st_index_normalize(dup, 6), 4);
    ck_assert(dup[0] == 1 && dup[1] == 3 && dup[2] == 5 && dup[3] == 9);

    /* Random lists against a bitmap, with very unequal sizes too (the
     * galloping paths), and in place where allowed. */
    enum { R = 5000 };
    static uint32_t x[R], y[R], o[2 * R], x2[R];
    static uint8_t in_x[R + 1], in_y[R + 1];
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    for (int round = 0; round < 200; round++) {
        size_t nx = rand_set(&s, x, round % 2 ? 20 : R, R);
        size_t ny = rand_set(&s, y, R, round % 3 ? R : 40);
        memset(in_x, 0, sizeof in_x);
        memset(in_y, 0, sizeof in_y);
        for (size_t i = 0; i < nx; i++)
            in_x[x[i]] = 1;
        for (size_t i = 0; i < ny; i++)
            in_y[y[i]] = 1;
        size_t k, nI = 0, nU = 0, nD = 0;
        for (uint32_t v = 1; v <= R; v++) {
            nI += in_x[v] && in_y[v];
            nU += in_x[v] || in_y[v];
            nD += in_x[v] && !in_y[v];
        }
        k = st_index_intersect(x, nx, y, ny, o);
        ck_assert_uint_eq(k, nI);
        for (size_t i = 0; i < k; i++)
            ck_assert(in_x[o[i]] && in_y[o[i]] && (i == 0 || o[i - 1] < o[i]));
        ck_assert_uint_eq(st_index_intersect(y, ny, x, nx, o), nI);
        k = st_index_union(x, nx, y, ny, o);
        ck_assert_uint_eq(k, nU);
        for (size_t i = 1; i < k; i++)
            ck_assert_uint_lt(o[i - 1], o[i]);
        k = st_index_difference(x, nx, y, ny, o);
        ck_assert_uint_eq(k, nD);
        for (size_t i = 0; i < k; i++)
            ck_assert(in_x[o[i]] && !in_y[o[i]] && (i == 0 || o[i - 1] < o[i]));
        memcpy(x2, x, nx * sizeof *x);
        ck_assert_uint_eq(st_index_difference(x2, nx, y, ny, x2), nD);
        ck_assert_mem_eq(x2, o, nD * sizeof *o);
        memcpy(x2, x, nx * sizeof *x);
        ck_assert_uint_eq(st_index_intersect(x2, nx, y, ny, x2), nI);
    }
}
END_TEST

/* A tag predicate tree evaluated on real postings:
 * (os = 'a' OR os = 'b') AND host != 'h1'. */
START_TEST(test_index_set_operations_on_postings)
{
    ID("cpu,host=h0,os=a");
    ID("cpu,host=h1,os=b");
    ID("cpu,host=h2,os=c");
    ID("cpu,host=h3,os=b");
    ID("mem,host=h1,os=a");
    const uint32_t *a, *b, *h1, *all;
    size_t na, nb, nh1, nall;
    uint32_t or [8], res[8];
    st_index_read_begin(f.idx);
    st_index_postings(f.idx, S("cpu"), S("os"), S("a"), &a, &na);
    st_index_postings(f.idx, S("cpu"), S("os"), S("b"), &b, &nb);
    st_index_postings(f.idx, S("cpu"), S("host"), S("h1"), &h1, &nh1);
    st_index_measurement_series(f.idx, S("cpu"), &all, &nall);
    size_t n = st_index_union(a, na, b, nb, or);
    size_t ne = st_index_difference(all, nall, h1, nh1, res); /* host != 'h1' */
    n = st_index_intersect(or, n, res, ne, res);
    st_index_read_end(f.idx);
    ck_assert_uint_eq(n, 2);
    ck_assert(res[0] == 1 && res[1] == 4);
}
END_TEST

/* ---- fields ---- */

START_TEST(test_index_field_types_and_conflict_text)
{
    enum st_field_type t = 0;
    ck_assert_int_eq(st_index_field(f.idx, S("m"), S("x"), ST_FIELD_FLOAT, &t), ST_OK);
    ck_assert_int_eq(t, ST_FIELD_FLOAT);
    ck_assert_int_eq(st_index_field(f.idx, S("m"), S("x"), ST_FIELD_FLOAT, &t), ST_OK);
    ck_assert_int_eq(st_index_field(f.idx, S("m"), S("x"), ST_FIELD_INTEGER, &t), ST_ETYPE);
    ck_assert_int_eq(t, ST_FIELD_FLOAT);
    st_buf_reset(&f.out);
    ck_assert_int_eq(st_index_field_conflict(&f.out, S("m"), S("x"), ST_FIELD_INTEGER, t), ST_OK);
    ck_assert_str_eq(f.out.p, "field type conflict: input field \"x\" on measurement \"m\" is type "
                              "integer, already exists as type float");
    /* Types are per measurement. */
    FIELD_OK("n", "x", ST_FIELD_STRING);
    FIELD_OK("m", "b", ST_FIELD_BOOLEAN);
    FIELD_OK("m", "u", ST_FIELD_UNSIGNED);
    FIELD_OK("m", "A b,c", ST_FIELD_STRING);
    ck_assert_int_eq(st_index_field(f.idx, S("m"), S(""), ST_FIELD_FLOAT, NULL), ST_EINVAL);
    ck_assert_int_eq(st_index_field(f.idx, S(""), S("x"), ST_FIELD_FLOAT, NULL), ST_EINVAL);
    ck_assert_int_eq(st_index_field(f.idx, S("m"), S("y"), (enum st_field_type)9, NULL), ST_EINVAL);
    for (int pass = 0; pass < 2; pass++) {
        ck_assert_str_eq(FIELDS("m"), "A b,c:string|b:boolean|u:unsigned|x:float");
        ck_assert_str_eq(FIELDS("n"), "x:string");
        ck_assert_str_eq(FIELDS("zz"), "");
        st_index_read_begin(f.idx);
        ck_assert_int_eq(st_index_field_type(f.idx, S("n"), S("x"), &t), ST_OK);
        ck_assert_int_eq(t, ST_FIELD_STRING);
        ck_assert_int_eq(st_index_field_type(f.idx, S("n"), S("y"), &t), ST_ENOTFOUND);
        ck_assert_int_eq(st_index_field_type(f.idx, S("q"), S("x"), &t), ST_ENOTFOUND);
        st_index_read_end(f.idx);
        ck_assert_int_eq(st_index_field(f.idx, S("n"), S("x"), ST_FIELD_BOOLEAN, &t), ST_ETYPE);
        ck_assert_int_eq(t, ST_FIELD_STRING);
        REOPEN();
    }
    /* Measurements with fields but no series are not listed. */
    ck_assert_str_eq(MEASUREMENTS(), "");
}
END_TEST

/* ---- the log ---- */

START_TEST(test_index_torn_tail_every_offset)
{
    ID("cpu,host=a");
    FIELD_OK("cpu", "v", ST_FIELD_FLOAT);
    ID("cpu,host=b");
    ck_assert_int_eq(st_index_sync(f.idx), ST_OK);
    uint64_t start = STATS().log_bytes;
    ck_assert_uint_eq(STATS().synced_bytes, start);
    ID("cpu,host=c");
    uint64_t end = STATS().log_bytes;
    ck_assert_uint_gt(end, start + 9);
    st_index_close(f.idx);
    f.idx = NULL;
    char *full;
    size_t n;
    read_file(f.log, &full, &n);
    ck_assert_uint_eq(n, end);
    for (uint64_t cut = start; cut < end; cut++) {
        write_file(f.log, full, cut);
        ck_assert_msg(OPEN_RAW() == ST_OK, "cut %llu: %s", (unsigned long long)cut, f.err);
        struct st_index_stats s = STATS();
        ck_assert_uint_eq(s.series, 2);
        ck_assert_uint_eq(s.dropped_bytes, cut - start);
        ck_assert_uint_eq(s.log_bytes, start);
        uint32_t id;
        ck_assert_int_eq(LOOKUP("cpu,host=b", &id), ST_OK);
        ck_assert_uint_eq(id, 2);
        ck_assert_int_eq(LOOKUP("cpu,host=c", &id), ST_ENOTFOUND);
        ck_assert_str_eq(FIELDS("cpu"), "v:float");
        /* The cut is on disk and the log goes on from it. */
        struct stat st;
        ck_assert_int_eq(stat(f.log, &st), 0);
        ck_assert_uint_eq((uint64_t)st.st_size, start);
        ck_assert_uint_eq(ID("cpu,host=d"), 3);
        ck_assert_str_eq(POSTINGS("cpu", NULL, NULL), "1,2,3");
    }
    /* Zeros after the last record, as a power loss can leave. */
    char *padded = calloc(1, n + 4096);
    memcpy(padded, full, n);
    write_file(f.log, padded, n + 4096);
    ck_assert_int_eq(OPEN_RAW(), ST_OK);
    ck_assert_uint_eq(STATS().series, 3);
    ck_assert_uint_eq(STATS().dropped_bytes, 4096);
    free(padded);
    free(full);
}
END_TEST

START_TEST(test_index_corruption_in_the_middle_is_reported)
{
    char key[32];
    uint64_t off[11];
    for (int i = 0; i < 10; i++) {
        off[i] = STATS().log_bytes;
        snprintf(key, sizeof key, "cpu,host=h%d", i);
        ID(key);
    }
    off[10] = STATS().log_bytes;
    ck_assert_int_eq(st_index_sync(f.idx), ST_OK);
    st_index_close(f.idx);
    f.idx = NULL;
    char *full;
    size_t n;
    read_file(f.log, &full, &n);

    /* A flipped bit in every byte of the fifth record. */
    for (uint64_t b = off[4]; b < off[5]; b++) {
        full[b] ^= 0x10;
        write_file(f.log, full, n);
        full[b] ^= 0x10;
        ck_assert_int_eq(OPEN_RAW(), ST_ECORRUPT);
        char want[64];
        snprintf(want, sizeof want, "record at offset %llu", (unsigned long long)off[4]);
        ck_assert_msg(strstr(f.err, want) && strstr(f.err, "synced"), "%s", f.err);
    }
    /* A bad header, and a file shorter than what was synced. */
    full[3] ^= 1;
    write_file(f.log, full, n);
    ck_assert_int_eq(OPEN_RAW(), ST_ECORRUPT);
    ck_assert_msg(strstr(f.err, "bad header") != NULL, "%s", f.err);
    full[3] ^= 1;
    write_file(f.log, full, off[9]);
    ck_assert_int_eq(OPEN_RAW(), ST_ECORRUPT);
    ck_assert_msg(strstr(f.err, "shorter than") != NULL, "%s", f.err);
    /* Intact again: all ten. */
    write_file(f.log, full, n);
    ck_assert_int_eq(OPEN_RAW(), ST_OK);
    ck_assert_uint_eq(STATS().series, 10);
    free(full);
}
END_TEST

START_TEST(test_index_unsynced_damage_is_a_tail)
{
    /* Past the synced length a crash may leave any bytes: damage there is
     * cut off with everything after it (docs/storage-index.md). */
    ID("cpu,host=a");
    ck_assert_int_eq(st_index_sync(f.idx), ST_OK);
    uint64_t synced = STATS().log_bytes;
    ID("cpu,host=b");
    ID("cpu,host=c");
    st_index_close(f.idx);
    f.idx = NULL;
    char *full;
    size_t n;
    read_file(f.log, &full, &n);
    full[synced + 12] ^= 0x40;
    write_file(f.log, full, n);
    ck_assert_int_eq(OPEN_RAW(), ST_OK);
    ck_assert_uint_eq(STATS().series, 1);
    ck_assert_uint_eq(STATS().dropped_bytes, n - synced);
    ck_assert_uint_eq(ID("cpu,host=c"), 2);
    free(full);
}
END_TEST

START_TEST(test_index_content_errors_are_corruption)
{
    /* A record with a right CRC but an id out of sequence is not a torn
     * write: it is refused wherever it is. */
    ID("cpu,host=a");
    ID("cpu,host=b");
    st_index_close(f.idx);
    f.idx = NULL;
    char *full;
    size_t n;
    read_file(f.log, &full, &n);
    /* Duplicate the first record after the second one: id 1 again. */
    size_t first_len = (n - 64) / 2;
    char *dup = malloc(n + first_len);
    memcpy(dup, full, n);
    memcpy(dup + n, full + 64, first_len);
    write_file(f.log, dup, n + first_len);
    ck_assert_int_eq(OPEN_RAW(), ST_ECORRUPT);
    ck_assert_msg(strstr(f.err, "out of sequence") != NULL, "%s", f.err);
    free(dup);
    free(full);
}
END_TEST

START_TEST(test_index_failed_write_creates_nothing)
{
    /* A file size limit makes the log's write fail part way: the partial
     * record is undone, nothing is created, and the next id is unchanged. */
    ID("cpu,host=a");
    uint64_t size = STATS().log_bytes;
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = size + 12;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    uint32_t id;
    ck_assert_int_ne(st_index_series_id(f.idx, "cpu,host=b", 10, &id, NULL), ST_OK);
    ck_assert_int_ne(st_index_field(f.idx, S("cpu"), S("a_long_field_name"), ST_FIELD_FLOAT, NULL),
                     ST_OK);
    char msg[256];
    st_index_errmsg(f.idx, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "index log") && strstr(msg, "write"), "%s", msg);
    ck_assert_uint_eq(STATS().log_bytes, size);
    ck_assert_uint_eq(STATS().series, 1);
    ck_assert_int_eq(LOOKUP("cpu,host=b", &id), ST_ENOTFOUND);
    ck_assert_str_eq(TAG_VALUES("cpu", "host"), "a:1");
    ck_assert_str_eq(FIELDS("cpu"), "");
    struct stat st;
    ck_assert_int_eq(stat(f.log, &st), 0);
    ck_assert_uint_eq((uint64_t)st.st_size, size);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    ck_assert_uint_eq(ID("cpu,host=b"), 2);
    FIELD_OK("cpu", "a_long_field_name", ST_FIELD_FLOAT);
    REOPEN();
    ck_assert_uint_eq(ID("cpu,host=b"), 2);
    ck_assert_str_eq(TAG_VALUES("cpu", "host"), "a:1|b:2");
    ck_assert_str_eq(FIELDS("cpu"), "a_long_field_name:float");
}
END_TEST

START_TEST(test_index_open_refuses_other_files)
{
    st_index_close(f.idx);
    f.idx = NULL;
    char junk[100];
    memset(junk, 'x', sizeof junk);
    write_file(f.log, junk, sizeof junk);
    ck_assert_int_eq(OPEN_RAW(), ST_ECORRUPT);
    ck_assert_msg(strstr(f.err, "not an index log") != NULL, "%s", f.err);
    write_file(f.log, "junk", 4);
    ck_assert_int_eq(OPEN_RAW(), ST_ECORRUPT);
    ck_assert_msg(strstr(f.err, "not an index log") != NULL, "%s", f.err);
    /* A header cut short by a crash during creation is written again. */
    write_file(f.log, "STID", 4);
    ck_assert_int_eq(OPEN_RAW(), ST_OK);
    ck_assert_uint_eq(ID("m"), 1);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/nope", f.dir);
    st_index *other = NULL;
    ck_assert_int_ne(st_index_open(missing, &other, f.err, sizeof f.err), ST_OK);
    ck_assert_msg(strstr(f.err, "nope/index.log") != NULL, "%s", f.err);
}
END_TEST

/* ---- listings ---- */

START_TEST(test_index_listing_order)
{
    ID("zeta,a=1,b=2");
    ID("Alpha,x=1");
    ID("alpha,x=1");
    ID("alph,x=1");
    ID("alpha,x=0,y=q");
    ck_assert_str_eq(MEASUREMENTS(), "Alpha|alph|alpha|zeta");
    ck_assert_str_eq(TAG_KEYS("alpha"), "x|y");
    ck_assert_str_eq(TAG_KEYS("nope"), "");
    ck_assert_str_eq(TAG_VALUES("alpha", "x"), "0:5|1:3");
    ck_assert_str_eq(TAG_VALUES("alpha", "nope"), "");

    /* Many values in shuffled order: listings stay sorted whether a value
     * sits in the sorted part or in the tail created since. */
    enum { N = 3000 };
    static uint32_t perm[N];
    for (uint32_t i = 0; i < N; i++)
        perm[i] = i;
    uint64_t s = 12345;
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rng_next(&s) % (i + 1));
        uint32_t t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
    char key[64];
    for (uint32_t i = 0; i < N; i++) {
        snprintf(key, sizeof key, "big,v=%05u", perm[i]);
        ID(key);
        snprintf(key, sizeof key, "f%05u", perm[i]);
        FIELD_OK("big", key, ST_FIELD_INTEGER);
        if (i % 997 == 0 || i == N - 1) {
            /* Check order and count by scanning the printed list. */
            TAG_VALUES("big", "v");
            const char *p = f.out.p;
            uint32_t count = 0;
            char prev[8] = "";
            while (p && *p) {
                char cur[8];
                memcpy(cur, p, 5);
                cur[5] = '\0';
                ck_assert_msg(strcmp(prev, cur) < 0, "%s after %s", cur, prev);
                memcpy(prev, cur, 6);
                count++;
                p = strchr(p, '|');
                p = p ? p + 1 : NULL;
            }
            ck_assert_uint_eq(count, i + 1);
        }
    }
    FIELDS("big");
    ck_assert_uint_eq(f.out.len, (size_t)N * strlen("f00000:integer|") - 1);
    ck_assert(strncmp(f.out.p, "f00000:integer|f00001:integer|", 30) == 0);
    REOPEN();
    TAG_VALUES("big", "v");
    ck_assert(strncmp(f.out.p, "00000:", 6) == 0);
    ck_assert(strstr(f.out.p, "|02999:") != NULL);
}
END_TEST

static int stop_after_two(void *arg, struct st_slice name)
{
    int *n = arg;
    (void)name;
    return ++*n == 2 ? ST_ECANCELED : ST_OK;
}

START_TEST(test_index_listing_stops_on_callback_error)
{
    ID("a");
    ID("b");
    ID("c");
    int n = 0;
    st_index_read_begin(f.idx);
    ck_assert_int_eq(st_index_measurements(f.idx, stop_after_two, &n), ST_ECANCELED);
    st_index_read_end(f.idx);
    ck_assert_int_eq(n, 2);
}
END_TEST

/* ---- concurrency ---- */

struct worker {
    int seed;
    uint32_t ids[2000];
};

static void *create_many(void *arg)
{
    struct worker *w = arg;
    char key[64];
    for (int i = 0; i < 2000; i++) {
        /* Every thread creates the same keys, in different orders. */
        int k = (i * 7 + w->seed * 331) % 2000;
        snprintf(key, sizeof key, "cpu,host=h%d,rack=r%d", k, k % 10);
        if (st_index_series_id(f.idx, key, strlen(key), &w->ids[k], NULL) != ST_OK)
            return "create failed";
        if (i % 100 == 0) {
            const uint32_t *ids;
            size_t n;
            st_index_read_begin(f.idx);
            st_index_postings(f.idx, S("cpu"), S("rack"), S("r3"), &ids, &n);
            for (size_t j = 1; j < n; j++)
                if (ids[j - 1] >= ids[j])
                    return "unsorted postings";
            st_index_read_end(f.idx);
            st_index_sync(f.idx);
        }
        if (st_index_field(f.idx, S("cpu"), S("v"), ST_FIELD_FLOAT, NULL) != ST_OK)
            return "field failed";
    }
    return NULL;
}

START_TEST(test_index_concurrent_creation)
{
    enum { T = 4 };
    static struct worker w[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        w[i].seed = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, create_many, &w[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        void *res;
        pthread_join(th[i], &res);
        ck_assert_msg(res == NULL, "%s", (const char *)res);
    }
    ck_assert_uint_eq(STATS().series, 2000);
    static uint8_t seen[2001];
    for (int k = 0; k < 2000; k++) {
        for (int i = 1; i < T; i++)
            ck_assert_uint_eq(w[i].ids[k], w[0].ids[k]);
        ck_assert(w[0].ids[k] >= 1 && w[0].ids[k] <= 2000 && !seen[w[0].ids[k]]);
        seen[w[0].ids[k]] = 1;
    }
    REOPEN();
    char key[64];
    snprintf(key, sizeof key, "cpu,host=h%d,rack=r%d", 1234, 4);
    uint32_t id;
    ck_assert_int_eq(LOOKUP(key, &id), ST_OK);
    ck_assert_uint_eq(id, w[0].ids[1234]);
}
END_TEST

START_TEST(test_index_stats_memory)
{
    size_t before = STATS().memory_bytes;
    char key[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "cpu,host=h%d", i);
        ID(key);
    }
    size_t after = STATS().memory_bytes;
    ck_assert_uint_gt(after, before);
    REOPEN();
    ck_assert_uint_eq(STATS().memory_bytes, after);
}
END_TEST

static Suite *index_suite(void)
{
    Suite *s = suite_create("index");
    struct {
        const char *name;
        const TTest *t;
    } cases[] = {
        {"series_id", test_index_series_id_create_lookup},
        {"series_id", test_index_series_id_refuses_bad_keys},
        {"open", test_index_ids_stable_across_reopen},
        {"lookup", test_index_100k_series},
        {"key_parse", test_index_key_parse_escapes},
        {"key_parse", test_index_escaped_names},
        {"postings", test_index_postings_interleaved},
        {"set_ops", test_index_set_operations},
        {"set_ops", test_index_set_operations_on_postings},
        {"field", test_index_field_types_and_conflict_text},
        {"log", test_index_torn_tail_every_offset},
        {"log", test_index_corruption_in_the_middle_is_reported},
        {"log", test_index_unsynced_damage_is_a_tail},
        {"log", test_index_content_errors_are_corruption},
        {"log", test_index_failed_write_creates_nothing},
        {"open", test_index_open_refuses_other_files},
        {"listing", test_index_listing_order},
        {"listing", test_index_listing_stops_on_callback_error},
        {"concurrency", test_index_concurrent_creation},
        {"stats", test_index_stats_memory},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, cases[i].t);
        suite_add_tcase(s, tc);
    }
    return s;
}

/* ---- `test_index --memory N`: docs/storage-index.md ---- */

static long rss_kib(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (fp && fgets(line, sizeof line, fp))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (fp)
        fclose(fp);
    return kib;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TSBS cpu-only series key: 10 tags, hostname unique. */
static int tsbs_full_key(char *buf, size_t len, uint32_t i)
{
    static const char *regions[] = {"ap-northeast-1", "ap-southeast-1", "ap-southeast-2",
                                    "eu-central-1",   "eu-west-1",      "sa-east-1",
                                    "us-east-1",      "us-west-1",      "us-west-2"};
    static const char *os[] = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
    static const char *team[] = {"SF", "NYC", "LON", "CHI"};
    static const char *env[] = {"production", "staging", "test"};
    uint32_t r = i % 9;
    return snprintf(buf, len,
                    "cpu,arch=%s,datacenter=%s%c,hostname=host_%u,os=%s,rack=%u,region=%s,"
                    "service=%u,service_environment=%s,service_version=%u,team=%s",
                    i % 2 ? "x86" : "x64", regions[r], 'a' + (int)(i / 9 % 3), i, os[i % 3],
                    i % 100, regions[r], i % 20, env[i % 3], i % 2, team[i % 4]);
}

static int measure(uint32_t n)
{
    char dir[] = "/tmp/st-index-mem-XXXXXX", err[256], path[128];
    /* Keys first, so that neither their memory nor their formatting is
     * counted. */
    char *keys = malloc((size_t)n * 256);
    uint32_t *len = malloc((size_t)n * sizeof *len);
    size_t key_bytes = 0;
    if (keys == NULL || len == NULL || mkdtemp(dir) == NULL)
        return 1;
    for (uint32_t i = 0; i < n; i++)
        key_bytes += len[i] = (uint32_t)tsbs_full_key(keys + (size_t)i * 256, 256, i);
    st_index *idx;
    if (st_index_open(dir, &idx, err, sizeof err) != ST_OK)
        return fprintf(stderr, "%s\n", err), 1;
    long rss0 = rss_kib();
    double t0 = now_s(), slowest = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id;
        double c0 = now_s();
        if (st_index_series_id(idx, keys + (size_t)i * 256, len[i], &id, NULL) != ST_OK ||
            id != i + 1)
            return fprintf(stderr, "create %u failed\n", i), 1;
        double c1 = now_s();
        if (c1 - c0 > slowest)
            slowest = c1 - c0;
    }
    static const char *fields[] = {
        "usage_user", "usage_system",  "usage_idle",  "usage_nice",  "usage_iowait",
        "usage_irq",  "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};
    for (int i = 0; i < 10; i++)
        st_index_field(idx, S("cpu"), S(fields[i]), ST_FIELD_FLOAT, NULL);
    double t1 = now_s();
    st_index_sync(idx);
    long rss1 = rss_kib();
    struct st_index_stats st;
    st_index_read_begin(idx);
    st_index_stats(idx, &st);
    st_index_read_end(idx);
    double t2 = now_s();
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id;
        if (st_index_series_id(idx, keys + (size_t)i * 256, len[i], &id, NULL) != ST_OK ||
            id != i + 1)
            return fprintf(stderr, "lookup %u failed\n", i), 1;
    }
    double t3 = now_s();
    const uint32_t *a, *b;
    size_t na, nb;
    st_index_read_begin(idx);
    st_index_postings(idx, S("cpu"), S("region"), S("us-west-1"), &a, &na);
    st_index_postings(idx, S("cpu"), S("service"), S("7"), &b, &nb);
    uint32_t *out = malloc((na < nb ? na : nb) * sizeof *out + 1);
    double t4 = now_s();
    size_t nr = st_index_intersect(a, na, b, nb, out);
    double t5 = now_s();
    st_index_read_end(idx);
    st_index_close(idx);
    double t6 = now_s();
    if (st_index_open(dir, &idx, err, sizeof err) != ST_OK)
        return fprintf(stderr, "%s\n", err), 1;
    double t7 = now_s();
    printf("series            %u (avg key %.1f bytes, 10 tags, TSBS cpu-only shape)\n", n,
           (double)key_bytes / n);
    printf("RSS growth        %.1f MiB (%.0f bytes/series)\n", (rss1 - rss0) / 1024.0,
           (rss1 - rss0) * 1024.0 / n);
    printf("counted by index  %.1f MiB (%.0f bytes/series)\n", st.memory_bytes / 1048576.0,
           (double)st.memory_bytes / n);
    printf("index.log         %.1f MiB\n", st.log_bytes / 1048576.0);
    printf("create            %.2f s (%.0f ns/series)\n", t1 - t0, (t1 - t0) * 1e9 / n);
    printf("slowest create    %.1f ms\n", slowest * 1e3);
    printf("get existing      %.2f s (%.0f ns/series)\n", t3 - t2, (t3 - t2) * 1e9 / n);
    printf("intersect         %zu x %zu ids -> %zu in %.2f ms\n", na, nb, nr, (t5 - t4) * 1e3);
    printf("reopen (replay)   %.2f s\n", t7 - t6);
    st_index_close(idx);
    free(out);
    free(keys);
    free(len);
    snprintf(path, sizeof path, "%s/index.log", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--memory") == 0)
        return measure((uint32_t)strtoul(argv[2], NULL, 10));
    return t_run_suite(index_suite());
}
