/* Unit tests of common/lineproto: structure, values, escapes, errors, keys.
 * Cases recorded from real InfluxDB 1.6 live in test_lineproto_influxdb.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lineproto.h"
#include "testlib.h"

struct fixture {
    struct st_lp_batch b;
    struct st_buf tmp;
};
static struct fixture f;

static void setup(void)
{
    st_lp_batch_init(&f.b);
    st_buf_init(&f.tmp);
}

static void teardown(void)
{
    st_buf_fini(&f.tmp);
    st_lp_batch_fini(&f.b);
}

#define NOW 1700000000123456789LL

/* Parses @s (a C string) with precision @p into a fresh batch. */
static void parse_prec(const char *s, enum st_precision p)
{
    st_lp_batch_reset(&f.b);
    ck_assert_int_eq(st_lp_parse(&f.b, s, strlen(s), p, NOW), ST_OK);
}
#define PARSE(s) parse_prec((s), ST_PRECISION_NS)

static const struct st_lp_point *PT(size_t i)
{
    ck_assert_uint_lt(i, f.b.npoints);
    return &f.b.points[i];
}

static const struct st_lp_field *FIELD(size_t p, size_t k)
{
    ck_assert_uint_lt(k, PT(p)->nfields);
    return &f.b.fields[PT(p)->field0 + k];
}

static const struct st_lp_tag *TAG(size_t p, size_t k)
{
    ck_assert_uint_lt(k, PT(p)->ntags);
    return &f.b.tags[PT(p)->tag0 + k];
}

/* The unescaped text of @s as a NUL-terminated string (valid until next). */
static const char *UN(struct st_slice s, enum st_lp_kind kind)
{
    st_buf_reset(&f.tmp);
    ck_assert_int_eq(st_lp_unescape(&f.tmp, s, kind), ST_OK);
    return f.tmp.p ? f.tmp.p : "";
}

static const char *RAW(struct st_slice s)
{
    st_buf_reset(&f.tmp);
    st_buf_append(&f.tmp, s.p, s.len);
    return f.tmp.p ? f.tmp.p : "";
}

static const char *KEY(size_t p)
{
    st_buf_reset(&f.tmp);
    ck_assert_int_eq(st_lp_series_key(&f.tmp, &f.b, PT(p)), ST_OK);
    return f.tmp.p;
}

static const char *REASON(size_t i)
{
    ck_assert_uint_lt(i, f.b.nerrors);
    return RAW(st_lp_error_reason(&f.b, i));
}

/* Asserts that @s is one bad line refused with @reason. */
#define BAD(s, reason)                         \
    do {                                       \
        PARSE(s);                              \
        ck_assert_uint_eq(f.b.npoints, 0);     \
        ck_assert_uint_eq(f.b.nerrors, 1);     \
        ck_assert_str_eq(REASON(0), (reason)); \
    } while (0)

/* ---- structure ---------------------------------------------------------- */

START_TEST(test_parse_full_point)
{
    PARSE("cpu,host=a,region=west value=1.5,n=-3i,u=7u,s=\"x\",b=true 1600000000000000000\n");
    ck_assert_uint_eq(f.b.nerrors, 0);
    ck_assert_uint_eq(f.b.npoints, 1);
    ck_assert_str_eq(RAW(PT(0)->measurement), "cpu");
    ck_assert_uint_eq(PT(0)->ntags, 2);
    ck_assert_str_eq(RAW(TAG(0, 0)->key), "host");
    ck_assert_str_eq(RAW(TAG(0, 0)->value), "a");
    ck_assert_str_eq(RAW(TAG(0, 1)->key), "region");
    ck_assert_uint_eq(PT(0)->nfields, 5);
    ck_assert_int_eq(FIELD(0, 0)->type, ST_FIELD_FLOAT);
    ck_assert_double_eq(FIELD(0, 0)->v.f, 1.5);
    ck_assert_int_eq(FIELD(0, 1)->type, ST_FIELD_INTEGER);
    ck_assert_int_eq(FIELD(0, 1)->v.i, -3);
    ck_assert_int_eq(FIELD(0, 2)->type, ST_FIELD_UNSIGNED);
    ck_assert_uint_eq(FIELD(0, 2)->v.u, 7);
    ck_assert_int_eq(FIELD(0, 3)->type, ST_FIELD_STRING);
    ck_assert_str_eq(RAW(FIELD(0, 3)->v.s), "x");
    ck_assert_int_eq(FIELD(0, 4)->type, ST_FIELD_BOOLEAN);
    ck_assert(FIELD(0, 4)->v.b);
    ck_assert_int_eq(PT(0)->time, 1600000000000000000LL);
    ck_assert_uint_eq(PT(0)->line_no, 1);
}
END_TEST

START_TEST(test_parse_missing_timestamp_takes_now)
{
    PARSE("m f=1");
    ck_assert_int_eq(PT(0)->time, NOW);
    parse_prec("m f=1", ST_PRECISION_S);
    ck_assert_int_eq(PT(0)->time, 1700000000000000000LL);
    parse_prec("m f=1", ST_PRECISION_H);
    ck_assert_int_eq(PT(0)->time, NOW - NOW % 3600000000000LL);
    parse_prec("m f=1", ST_PRECISION_US);
    ck_assert_int_eq(PT(0)->time, 1700000000123456000LL);
}
END_TEST

START_TEST(test_parse_precisions)
{
    static const struct {
        enum st_precision p;
        int64_t mult;
    } c[] = {{ST_PRECISION_NS, 1},          {ST_PRECISION_US, 1000},
             {ST_PRECISION_MS, 1000000},    {ST_PRECISION_S, 1000000000},
             {ST_PRECISION_M, 60000000000}, {ST_PRECISION_H, 3600000000000}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        parse_prec("m f=1 7\nm f=1 -2", c[i].p);
        ck_assert_uint_eq(f.b.npoints, 2);
        ck_assert_int_eq(PT(0)->time, 7 * c[i].mult);
        ck_assert_int_eq(PT(1)->time, -2 * c[i].mult);
    }
    enum st_precision p;
    ck_assert_int_eq(st_precision_parse("us", &p), ST_OK);
    ck_assert_int_eq(p, ST_PRECISION_US);
    ck_assert_int_eq(st_precision_parse("u", &p), ST_OK);
    ck_assert_int_eq(p, ST_PRECISION_US);
    ck_assert_int_eq(st_precision_parse("n", &p), ST_OK);
    ck_assert_int_eq(p, ST_PRECISION_NS);
    ck_assert_int_eq(st_precision_parse("", &p), ST_OK);
    ck_assert_int_eq(p, ST_PRECISION_NS);
    ck_assert_int_eq(st_precision_parse("ms", &p), ST_OK);
    ck_assert_int_eq(p, ST_PRECISION_MS);
    ck_assert_int_eq(st_precision_parse("x", &p), ST_EINVAL);
    ck_assert_int_eq(st_precision_parse("sec", &p), ST_EINVAL);
}
END_TEST

START_TEST(test_parse_time_range)
{
    parse_prec("m f=1 9223372036854775807", ST_PRECISION_S);
    ck_assert_str_eq(REASON(0), "time outside range -9223372036854775806 - 9223372036854775806");
    BAD("m f=1 -9223372036854775808",
        "time outside range -9223372036854775806 - 9223372036854775806");
    PARSE("m f=1 9223372036854775806");
    ck_assert_int_eq(PT(0)->time, 9223372036854775806LL);
    BAD("m f=1 99999999999999999999",
        "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
    BAD("m f=1 -", "strconv.ParseInt: parsing \"-\": invalid syntax");
    BAD("m f=1 12a", "bad timestamp");
    BAD("m f=1 1 2", "point is invalid");
    PARSE("m f=1 1   ");
    ck_assert_uint_eq(f.b.npoints, 1);
}
END_TEST

START_TEST(test_parse_blank_comment_crlf)
{
    PARSE("\n\n  \t\n# a comment f=1\n   # indented comment\r\nm f=1\r\nm f=2 5\r\n\nm f=3");
    ck_assert_uint_eq(f.b.nerrors, 0);
    ck_assert_uint_eq(f.b.npoints, 3);
    ck_assert_uint_eq(PT(0)->line_no, 6);
    ck_assert_int_eq(PT(1)->time, 5);
    ck_assert_uint_eq(PT(2)->line_no, 9);
    PARSE("");
    ck_assert_uint_eq(f.b.npoints + f.b.nerrors, 0);
}
END_TEST

START_TEST(test_parse_bad_lines_keep_good_ones)
{
    PARSE("a f=1\nbad\nb f=2\nc f=\nd f=4 4");
    ck_assert_uint_eq(f.b.npoints, 3);
    ck_assert_uint_eq(f.b.nerrors, 2);
    ck_assert_str_eq(RAW(PT(0)->measurement), "a");
    ck_assert_str_eq(RAW(PT(1)->measurement), "b");
    ck_assert_str_eq(RAW(PT(2)->measurement), "d");
    ck_assert_uint_eq(f.b.errors[0].line_no, 2);
    ck_assert_uint_eq(f.b.errors[1].line_no, 4);
    ck_assert_str_eq(RAW(st_lp_error_text(&f.b, 0)), "unable to parse 'bad': missing fields");
    ck_assert_str_eq(RAW(st_lp_error_text(&f.b, 1)), "unable to parse 'c f=': missing field value");
    /* Nothing of a bad line stays in the arrays. */
    ck_assert_uint_eq(f.b.nfields, 3);
}
END_TEST

START_TEST(test_parse_structure_errors)
{
    BAD("cpu", "missing fields");
    BAD("cpu,", "missing tag key");
    BAD("cpu,t", "missing tag value");
    BAD("cpu,t=", "missing tag value");
    BAD("cpu,t=v", "missing fields");
    BAD(",t=v f=1", "missing measurement");
    BAD("cpu,t=a=b f=1", "invalid tag format");
    BAD("cpu,=a f=1", "missing tag key");
    BAD("cpu,t=a,=b f=1", "missing tag key");
    BAD("cpu f", "invalid field format");
    BAD("cpu f=", "missing field value");
    BAD("cpu =1", "missing field key");
    BAD("cpu f=1,=2", "missing field key");
    BAD("cpu f=1,g", "invalid field format");
    BAD("cpu f=1,", "invalid field format");
    BAD("cpu f=1,,g=2", "invalid field format");
    BAD("cpu f=,g=1", "missing field value");
    BAD("cpu f=\"abc", "unbalanced quotes");
    BAD("cpu,a=1,a=2 f=1", "duplicate tags");
    BAD("cpu,b=1,a=2,b=3 f=1", "duplicate tags");
}
END_TEST

/* ---- values ------------------------------------------------------------- */

START_TEST(test_parse_floats)
{
    static const struct {
        const char *v;
        double want;
    } c[] = {{"1", 1},
             {"-1", -1},
             {"1.5", 1.5},
             {"1e5", 1e5},
             {"1E-3", 1e-3},
             {"-1.5e+10", -1.5e10},
             {"1.e5", 1e5},
             {".5", .5},
             {"-.5", -.5},
             {"1.", 1},
             {"0", 0},
             {"0.1", 0.1},
             {"3.141592653589793", 3.141592653589793},
             {"1.7976931348623157e308", 1.7976931348623157e308},
             {"4.9e-324", 4.9e-324},
             {"123456789012345678901234567890", 123456789012345678901234567890.0},
             {"0.000000000000000000000000000001", 1e-30},
             {"1e-400", 0}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "m f=%s", c[i].v);
        PARSE(line);
        ck_assert_msg(f.b.nerrors == 0, "%s: %s", line, f.b.nerrors ? REASON(0) : "");
        ck_assert_int_eq(FIELD(0, 0)->type, ST_FIELD_FLOAT);
        ck_assert_msg(FIELD(0, 0)->v.f == c[i].want, "%s gave %.17g", c[i].v, FIELD(0, 0)->v.f);
    }
    BAD("m f=1e400", "invalid float");
    BAD("m f=1e", "invalid float");
    BAD("m f=1e5e5", "invalid float");
    BAD("m f=1.1.1", "invalid number");
    BAD("m f=1-2", "invalid number");
    BAD("m f=0x10", "invalid number");
    BAD("m f=1_000", "invalid number");
    BAD("m f=nan", "invalid number");
    BAD("m f=NaN", "invalid number");
    BAD("m f=-inf", "invalid number");
    BAD("m f=inf", "invalid boolean");
    BAD("m f=+1", "invalid boolean");
    BAD("m f=-", "invalid number");
    BAD("m f=.", "invalid number");
}
END_TEST

START_TEST(test_parse_integers)
{
    PARSE("m a=9223372036854775807i,b=-9223372036854775808i,c=0i,d=-0i,e=007i");
    ck_assert_uint_eq(f.b.nerrors, 0);
    ck_assert_int_eq(FIELD(0, 0)->v.i, INT64_MAX);
    ck_assert_int_eq(FIELD(0, 1)->v.i, INT64_MIN);
    ck_assert_int_eq(FIELD(0, 2)->v.i, 0);
    ck_assert_int_eq(FIELD(0, 3)->v.i, 0);
    ck_assert_int_eq(FIELD(0, 4)->v.i, 7);
    BAD("m f=9223372036854775808i",
        "unable to parse integer 9223372036854775808: strconv.ParseInt: parsing "
        "\"9223372036854775808\": value out of range");
    BAD("m f=-9223372036854775809i",
        "unable to parse integer -9223372036854775809: strconv.ParseInt: parsing "
        "\"-9223372036854775809\": value out of range");
    BAD("m f=1i5", "invalid number");
    BAD("m f=1.5i", "invalid number");
    BAD("m f=1e5i", "invalid number");
    BAD("m f=-i", "invalid number");
    BAD("m f=1ii", "invalid number");

    PARSE("m a=18446744073709551615u,b=0u");
    ck_assert_uint_eq(f.b.nerrors, 0);
    ck_assert_int_eq(FIELD(0, 0)->type, ST_FIELD_UNSIGNED);
    ck_assert_uint_eq(FIELD(0, 0)->v.u, UINT64_MAX);
    ck_assert_uint_eq(FIELD(0, 1)->v.u, 0);
    BAD("m f=18446744073709551616u",
        "unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing "
        "\"18446744073709551616\": value out of range");
    BAD("m f=-1u", "invalid number");
    BAD("m f=1.5u", "invalid number");
}
END_TEST

START_TEST(test_parse_booleans)
{
    static const char *const yes[] = {"t", "T", "true", "True", "TRUE"};
    static const char *const no[] = {"f", "F", "false", "False", "FALSE"};
    static const char *const bad[] = {"tRUE", "fals", "yes", "tru", "truee", "FaLsE"};
    char line[64];
    for (size_t i = 0; i < 5; i++) {
        snprintf(line, sizeof(line), "m a=%s,b=%s", yes[i], no[i]);
        PARSE(line);
        ck_assert_uint_eq(f.b.nerrors, 0);
        ck_assert_int_eq(FIELD(0, 0)->type, ST_FIELD_BOOLEAN);
        ck_assert(FIELD(0, 0)->v.b);
        ck_assert(!FIELD(0, 1)->v.b);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(line, sizeof(line), "m a=%s", bad[i]);
        BAD(line, "invalid boolean");
    }
}
END_TEST

START_TEST(test_parse_strings)
{
    PARSE("m a=\"\",b=\"with \\\"quote\\\"\",c=\"back\\\\slash\",d=\"has,comma and space\","
          "e=\"has=equals\"");
    ck_assert_uint_eq(f.b.nerrors, 0);
    ck_assert_uint_eq(PT(0)->nfields, 5);
    ck_assert_str_eq(UN(FIELD(0, 0)->v.s, ST_LP_STRING), "");
    ck_assert_str_eq(UN(FIELD(0, 1)->v.s, ST_LP_STRING), "with \"quote\"");
    ck_assert_str_eq(UN(FIELD(0, 2)->v.s, ST_LP_STRING), "back\\slash");
    ck_assert_str_eq(UN(FIELD(0, 3)->v.s, ST_LP_STRING), "has,comma and space");
    ck_assert_str_eq(UN(FIELD(0, 4)->v.s, ST_LP_STRING), "has=equals");

    /* A newline inside quotes does not end the line. */
    PARSE("m s=\"line\nbreak\" 5\nm f=1 6\nbad");
    ck_assert_uint_eq(f.b.npoints, 2);
    ck_assert_str_eq(UN(FIELD(0, 0)->v.s, ST_LP_STRING), "line\nbreak");
    ck_assert_int_eq(PT(1)->time, 6);
    ck_assert_uint_eq(PT(1)->line_no, 3);
    ck_assert_uint_eq(f.b.errors[0].line_no, 4);
}
END_TEST

/* ---- escapes, keys and hashes ------------------------------------------- */

START_TEST(test_parse_escapes)
{
    PARSE("my\\ meas\\,x=y,tag\\ key=tag\\,val\\=ue,p=c:\\path f\\ k\\,\\==1");
    ck_assert_uint_eq(f.b.nerrors, 0);
    ck_assert_str_eq(UN(PT(0)->measurement, ST_LP_MEASUREMENT), "my meas,x=y");
    ck_assert_str_eq(UN(TAG(0, 1)->key, ST_LP_TAG), "tag key");
    ck_assert_str_eq(UN(TAG(0, 1)->value, ST_LP_TAG), "tag,val=ue");
    ck_assert_str_eq(UN(TAG(0, 0)->value, ST_LP_TAG), "c:\\path");
    ck_assert_str_eq(UN(FIELD(0, 0)->key, ST_LP_FIELD_KEY), "f k,=");
    /* A backslash before a delimiter escapes it even when it is escaped. */
    PARSE("a\\\\,b f=1");
    ck_assert_uint_eq(f.b.nerrors, 0);
    ck_assert_str_eq(RAW(PT(0)->measurement), "a\\\\,b");
    /* A tag value may start with '='. */
    PARSE("m,t==x f=1");
    ck_assert_uint_eq(f.b.nerrors, 0);
    ck_assert_str_eq(RAW(TAG(0, 0)->value), "=x");
}
END_TEST

START_TEST(test_series_key_sorts_tags)
{
    PARSE("cpu,zone=b,host=a,region=x\\ y f=1\ncpu,host=a,region=x\\ y,zone=b g=2");
    ck_assert_uint_eq(f.b.npoints, 2);
    ck_assert_str_eq(KEY(0), "cpu,host=a,region=x\\ y,zone=b");
    ck_assert_str_eq(KEY(1), "cpu,host=a,region=x\\ y,zone=b");
    PARSE("m\\ x f=1\nm f=1");
    ck_assert_str_eq(KEY(0), "m\\ x");
    ck_assert_str_eq(KEY(1), "m");
}
END_TEST

START_TEST(test_escape_roundtrip)
{
    static const char *const names[] = {"plain", "a b", "a,b", "a=b", "c:\\x", "a\\,b", ""};
    static const enum st_lp_kind kinds[] = {ST_LP_MEASUREMENT, ST_LP_TAG, ST_LP_FIELD_KEY,
                                            ST_LP_STRING};
    struct st_buf esc;
    st_buf_init(&esc);
    for (size_t k = 0; k < 4; k++) {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            st_buf_reset(&esc);
            struct st_slice s = {names[i], (uint32_t)strlen(names[i])};
            ck_assert_int_eq(st_lp_escape(&esc, s, kinds[k]), ST_OK);
            struct st_slice e = {esc.p, (uint32_t)esc.len};
            ck_assert_str_eq(UN(e, kinds[k]), names[i]);
        }
    }
    st_buf_fini(&esc);
}
END_TEST

START_TEST(test_series_hash_is_stable)
{
    /* Shard placement depends on this hash: it must never change. */
    ck_assert_uint_eq(st_series_hash("", 0), 0x2d06800538d394c2ull);
    const char *k = "cpu,host=a";
    uint64_t h = st_series_hash(k, strlen(k));
    ck_assert_uint_eq(h, st_series_hash("cpu,host=a", 10));
    ck_assert_uint_ne(h, st_series_hash("cpu,host=b", 10));
}
END_TEST

START_TEST(test_parse_reuses_memory)
{
    PARSE("m,a=1,b=2 f=1,g=2\nm,a=1,b=2 f=1,g=2\n");
    struct st_lp_point *points = f.b.points;
    struct st_lp_field *fields = f.b.fields;
    for (int i = 0; i < 100; i++)
        PARSE("m,a=1,b=2 f=1,g=2\nm,a=1,b=2 f=1,g=2\n");
    ck_assert_ptr_eq(points, f.b.points);
    ck_assert_ptr_eq(fields, f.b.fields);
}
END_TEST

START_TEST(test_parse_max_key_length)
{
    size_t n = 70000;
    char *s = malloc(n + 16);
    memset(s, 'a', n);
    memcpy(s + n, " f=1", 5);
    PARSE(s);
    ck_assert_str_eq(REASON(0), "max key length exceeded: 70000 > 65535");
    memset(s, 'a', 65532);
    memcpy(s + 65532, " f=1", 5);
    PARSE(s);
    ck_assert_str_eq(REASON(0), "max key length exceeded: 65537 > 65535");
    free(s);
}
END_TEST

START_TEST(test_parse_string_then_equals_across_growth)
{
    /* Line 1 fills 63 of the first 64 field slots; on line 2 a string value
     * is still open when a second '=' pushes a field and grows the array.
     * Found by fuzz_lineproto (a stale pointer into the old array). */
    char body[2048];
    size_t n = 0;
    n += (size_t)snprintf(body + n, sizeof(body) - n, "m ");
    for (int k = 0; k < 63; k++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%sf%d=1", k ? "," : "", k);
    snprintf(body + n, sizeof(body) - n, "\nm a=\"x\"=1\nm b=\"y\"");
    PARSE(body);
    ck_assert_uint_eq(f.b.npoints, 2);
    ck_assert_uint_eq(f.b.nerrors, 1);
    ck_assert_str_eq(REASON(0), "invalid field format");
    ck_assert_str_eq(UN(FIELD(1, 0)->v.s, ST_LP_STRING), "y");
}
END_TEST

/* A body parsed in pieces gives what one parse gives: the same points,
 * errors and line numbers, with a quoted newline inside a piece's last line. */
START_TEST(test_parse_some_in_pieces)
{
    const char body[] = "a v=1 1\nbad\n# c\nb v=\"x\ny\" 2\nc v=2 3\n\nd v= 4\ne v=3 5";
    size_t len = strlen(body);
    struct st_lp_batch whole, piece;
    st_lp_batch_init(&whole);
    st_lp_batch_init(&piece);
    ck_assert_int_eq(st_lp_parse(&whole, body, len, ST_PRECISION_NS, 0), ST_OK);
    ck_assert_uint_eq(whole.npoints, 4);
    ck_assert_uint_eq(whole.nerrors, 2);
    struct st_lp_cursor cur = {0, 1};
    size_t np = 0, ne = 0, rounds = 0;
    while (cur.pos < len) {
        st_lp_batch_reset(&piece);
        ck_assert_int_eq(st_lp_parse_some(&piece, body, len, ST_PRECISION_NS, 0, &cur, 1), ST_OK);
        ck_assert_uint_le(piece.npoints, 1);
        for (size_t i = 0; i < piece.npoints; i++, np++) {
            ck_assert_int_eq(piece.points[i].time, whole.points[np].time);
            ck_assert_uint_eq(piece.points[i].line_no, whole.points[np].line_no);
        }
        for (size_t i = 0; i < piece.nerrors; i++, ne++) {
            ck_assert_uint_eq(piece.errors[i].line_no, whole.errors[ne].line_no);
            struct st_slice a = st_lp_error_text(&piece, i), b = st_lp_error_text(&whole, ne);
            ck_assert(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
        }
        rounds++;
    }
    ck_assert_uint_eq(np, 4);
    ck_assert_uint_eq(ne, 2);
    ck_assert_uint_ge(rounds, 4);
    st_lp_batch_fini(&whole);
    st_lp_batch_fini(&piece);
}
END_TEST

static Suite *lineproto_suite(void)
{
    Suite *s = suite_create("lineproto");
    struct {
        const char *name;
        const TTest *t;
    } cases[] = {
        {"structure", test_parse_full_point},
        {"structure", test_parse_missing_timestamp_takes_now},
        {"structure", test_parse_precisions},
        {"structure", test_parse_time_range},
        {"structure", test_parse_blank_comment_crlf},
        {"structure", test_parse_bad_lines_keep_good_ones},
        {"structure", test_parse_structure_errors},
        {"structure", test_parse_reuses_memory},
        {"structure", test_parse_max_key_length},
        {"structure", test_parse_some_in_pieces},
        {"values", test_parse_floats},
        {"values", test_parse_integers},
        {"values", test_parse_booleans},
        {"values", test_parse_strings},
        {"values", test_parse_string_then_equals_across_growth},
        {"keys", test_parse_escapes},
        {"keys", test_series_key_sorts_tags},
        {"keys", test_escape_roundtrip},
        {"keys", test_series_hash_is_stable},
    };
    TCase *tc = NULL;
    const char *cur = "";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(cur, cases[i].name) != 0) {
            cur = cases[i].name;
            tc = tcase_create(cur);
            tcase_add_checked_fixture(tc, setup, teardown);
            suite_add_tcase(s, tc);
        }
        tcase_add_test(tc, cases[i].t);
    }
    return s;
}

int main(void)
{
    return t_run_suite(lineproto_suite());
}
