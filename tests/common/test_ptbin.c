/* Unit tests of common/ptbin: the binary point records routers send and data
 * nodes decode. The reference for every decoded point is what the data node
 * got before the encoding existed: the parse of the canonical line the
 * router wrote (series key, the fields as written, the time in ns). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lineproto.h"
#include "ptbin.h"
#include "testlib.h"

#define NOW 1700000000123456789LL

struct fixture {
    struct st_lp_batch in;  /* the client's body, parsed */
    struct st_lp_batch ref; /* the canonical lines, parsed */
    struct st_lp_batch dec; /* the binary batch, decoded */
    struct st_buf key, canon, bin, sub;
};
static struct fixture f;

static void setup(void)
{
    st_lp_batch_init(&f.in);
    st_lp_batch_init(&f.ref);
    st_lp_batch_init(&f.dec);
    st_buf_init(&f.key);
    st_buf_init(&f.canon);
    st_buf_init(&f.bin);
    st_buf_init(&f.sub);
}

static void teardown(void)
{
    st_lp_batch_fini(&f.in);
    st_lp_batch_fini(&f.ref);
    st_lp_batch_fini(&f.dec);
    st_buf_fini(&f.key);
    st_buf_fini(&f.canon);
    st_buf_fini(&f.bin);
    st_buf_fini(&f.sub);
}

/* Parses @body (every line ends " <time>" or has no time) and builds both
 * the canonical line protocol and the binary batch of its points, as the
 * router does. */
static void encode(const char *body)
{
    st_lp_batch_reset(&f.in);
    st_buf_reset(&f.canon);
    st_buf_reset(&f.bin);
    ck_assert_int_eq(st_lp_parse(&f.in, body, strlen(body), ST_PRECISION_NS, NOW), ST_OK);
    ck_assert_uint_eq(f.in.nerrors, 0);
    for (size_t i = 0; i < f.in.npoints; i++) {
        const struct st_lp_point *pt = &f.in.points[i];
        st_buf_reset(&f.key);
        ck_assert_int_eq(st_lp_series_key(&f.key, &f.in, pt), ST_OK);
        struct st_slice k = {f.key.p, (uint32_t)f.key.len};
        ck_assert_int_eq(st_ptbin_append(&f.bin, k, &f.in, pt), ST_OK);
        /* The fields as written: from the first key to the last space
         * (the tests' lines all end with a time), or to the line end. */
        const char *f0 = f.in.fields[pt->field0].key.p;
        const char *end = pt->line.p + pt->line.len;
        const char *sp = end;
        while (sp > f0 && sp[-1] != ' ')
            sp--;
        const char *fe =
            sp > f0 && sp[-1] == ' ' && sp < end && (*sp == '-' || (*sp >= '0' && *sp <= '9'))
                ? sp - 1
                : end;
        st_buf_append(&f.canon, f.key.p, f.key.len);
        st_buf_printf(&f.canon, " %.*s %lld\n", (int)(fe - f0), f0, (long long)pt->time);
    }
    st_lp_batch_reset(&f.ref);
    ck_assert_int_eq(st_lp_parse(&f.ref, f.canon.p, f.canon.len, ST_PRECISION_NS, INT64_MIN),
                     ST_OK);
    ck_assert_uint_eq(f.ref.nerrors, 0);
    ck_assert_uint_eq(f.ref.npoints, f.in.npoints);
}

static void assert_slice_eq(struct st_slice a, struct st_slice b)
{
    ck_assert_uint_eq(a.len, b.len);
    ck_assert(a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Point @i of the decoded batch equals point @j of the reference. */
static void assert_same_point(size_t i, size_t j)
{
    const struct st_lp_point *d = &f.dec.points[i], *r = &f.ref.points[j];
    assert_slice_eq(d->measurement, r->measurement);
    ck_assert_int_eq(d->time, r->time);
    ck_assert_uint_eq(d->ntags, r->ntags);
    for (uint32_t k = 0; k < d->ntags; k++) {
        assert_slice_eq(f.dec.tags[d->tag0 + k].key, f.ref.tags[r->tag0 + k].key);
        assert_slice_eq(f.dec.tags[d->tag0 + k].value, f.ref.tags[r->tag0 + k].value);
    }
    ck_assert_uint_eq(d->nfields, r->nfields);
    for (uint32_t k = 0; k < d->nfields; k++) {
        const struct st_lp_field *a = &f.dec.fields[d->field0 + k];
        const struct st_lp_field *b = &f.ref.fields[r->field0 + k];
        assert_slice_eq(a->key, b->key);
        ck_assert_int_eq(a->type, b->type);
        switch (a->type) {
        case ST_FIELD_FLOAT:
            ck_assert(memcmp(&a->v.f, &b->v.f, sizeof(double)) == 0);
            break;
        case ST_FIELD_INTEGER:
            ck_assert_int_eq(a->v.i, b->v.i);
            break;
        case ST_FIELD_UNSIGNED:
            ck_assert_uint_eq(a->v.u, b->v.u);
            break;
        case ST_FIELD_BOOLEAN:
            ck_assert_int_eq(a->v.b, b->v.b);
            break;
        case ST_FIELD_STRING:
            assert_slice_eq(a->v.s, b->v.s);
            break;
        }
    }
    /* The record's key is the reference's series key, and rebuilding the
     * key from the decoded tags gives it too. */
    st_buf_reset(&f.key);
    ck_assert_int_eq(st_lp_series_key(&f.key, &f.ref, r), ST_OK);
    struct st_slice rk = {f.key.p, (uint32_t)f.key.len};
    assert_slice_eq(st_ptbin_series_key(d), rk);
    st_buf_reset(&f.sub);
    ck_assert_int_eq(st_lp_series_key(&f.sub, &f.dec, d), ST_OK);
    struct st_slice dk = {f.sub.p, (uint32_t)f.sub.len};
    assert_slice_eq(dk, rk);
}

/* Encodes @body, decodes it and compares every point with the reference. */
static void roundtrip(const char *body)
{
    encode(body);
    st_lp_batch_reset(&f.dec);
    ck_assert_int_eq(st_ptbin_decode(&f.dec, f.bin.p, f.bin.len, NULL), ST_OK);
    ck_assert_uint_eq(f.dec.npoints, f.ref.npoints);
    size_t off = 0;
    for (size_t i = 0; i < f.dec.npoints; i++) {
        const struct st_lp_point *d = &f.dec.points[i];
        ck_assert_ptr_eq(d->line.p, f.bin.p + off); /* line = the whole record */
        ck_assert_uint_eq(d->line_no, i + 1);
        off += d->line.len;
        assert_same_point(i, i);
    }
    ck_assert_uint_eq(off, f.bin.len);
}

START_TEST(test_every_field_type)
{
    roundtrip("cpu,host=a,region=eu f=1.5,i=-42i,u=42u,b=true,s=\"hello\" 1000\n"
              "cpu,host=a f=-0.0,g=1e308,h=5e-324,k=-1.7976931348623157e308 -5\n"
              "cpu,host=a i=-9223372036854775808i,j=9223372036854775807i,z=0i 0\n"
              "cpu,host=a u=18446744073709551615u,v=0u,w=127u,x=128u 9223372036854775806\n"
              "cpu,host=a t=t,T=T,tr=true,F=FALSE,fa=f,fal=false -9223372036854775806\n"
              "cpu,host=a s=\"\",e=\"\\\"\",long=\"" /* a string longer than 127 bytes */
              "0123456789012345678901234567890123456789012345678901234567890123456789"
              "0123456789012345678901234567890123456789012345678901234567890123456789\" 7\n");
}
END_TEST

START_TEST(test_escapes)
{
    roundtrip(
        "m\\ x\\,y,t\\ a=v\\=1,t\\,b=x\\ y,u=\\=lead f\\ k=\"s \\\"q\\\" \\\\ z\",g\\=h=1i 5\n"
        "m\\=e,a=b f=1 6\nm,t==x f=1 8\n"
        "weird\\\\back,k=v\\\\w x=\"a\\\\\" 7\n");
}
END_TEST

START_TEST(test_empty_tags_and_no_time)
{
    roundtrip("m f=1 1\nm f=2\nm,a=1 f=3 3\n");
    ck_assert_uint_eq(f.dec.points[0].ntags, 0);
    ck_assert_int_eq(f.dec.points[1].time, NOW);
}
END_TEST

START_TEST(test_many_fields_and_tags)
{
    struct st_buf body;
    st_buf_init(&body);
    st_buf_puts(&body, "wide");
    for (int t = 0; t < 100; t++)
        st_buf_printf(&body, ",tag%03d=value%d", t, t);
    st_buf_putc(&body, ' ');
    for (int k = 0; k < 300; k++) {
        static const char *const v[] = {"%d.25", "%di", "%du", "\"s%d\"", "true"};
        st_buf_printf(&body, "%sf%d=", k ? "," : "", k);
        st_buf_printf(&body, v[k % 5], k * 1000);
    }
    st_buf_puts(&body, " 123\n");
    st_buf_puts(&body, "wide,tag000=value0 f0=0.25,f0=1i 1\n"); /* a key written twice */
    roundtrip(body.p);
    ck_assert_uint_eq(f.dec.points[0].nfields, 300);
    ck_assert_uint_eq(f.dec.points[0].ntags, 100);
    ck_assert_uint_eq(f.dec.points[1].nfields, 2);
    st_buf_fini(&body);
}
END_TEST

/* Records concatenate: any subset, in any order, is a batch. */
START_TEST(test_subsets)
{
    roundtrip("a,x=1 f=1 1\nb,x=2 g=2i 2\nc,x=3 h=\"3\" 3\nd,x=4 i=true 4\ne f=5u 5\n");
    const size_t pick[] = {4, 2, 0, 3};
    st_buf_reset(&f.sub);
    struct st_buf sub;
    st_buf_init(&sub);
    for (size_t i = 0; i < 4; i++) {
        struct st_slice l = f.dec.points[pick[i]].line;
        st_buf_append(&sub, l.p, l.len);
    }
    struct st_lp_batch d2;
    st_lp_batch_init(&d2);
    ck_assert_int_eq(st_ptbin_decode(&d2, sub.p, sub.len, NULL), ST_OK);
    ck_assert_uint_eq(d2.npoints, 4);
    /* Compare through the fixture: move the subset's points in place. */
    struct st_lp_batch keep = f.dec;
    f.dec = d2;
    for (size_t i = 0; i < 4; i++)
        assert_same_point(i, pick[i]);
    f.dec = keep;
    st_lp_batch_fini(&d2);
    st_buf_fini(&sub);
}
END_TEST

/* A decode appends; a refused batch leaves the batch as it was. */
START_TEST(test_refusal_keeps_batch)
{
    roundtrip("a,x=1 f=1 1\nb,x=2 g=2i 2\n");
    size_t np = f.dec.npoints, nt = f.dec.ntags, nf = f.dec.nfields;
    ck_assert_int_eq(st_ptbin_decode(&f.dec, f.bin.p, f.bin.len, NULL), ST_OK);
    ck_assert_uint_eq(f.dec.npoints, 2 * np);
    /* The last field of the second record (g=2i) made a boolean of 4. */
    f.bin.p[f.bin.len - 2] = ST_FIELD_BOOLEAN;
    size_t bad = 0;
    ck_assert_int_eq(st_ptbin_decode(&f.dec, f.bin.p, f.bin.len, &bad), ST_ECORRUPT);
    ck_assert_uint_eq(bad, f.dec.points[0].line.len);
    ck_assert_uint_eq(f.dec.npoints, 2 * np);
    ck_assert_uint_eq(f.dec.ntags, 2 * nt);
    ck_assert_uint_eq(f.dec.nfields, 2 * nf);
}
END_TEST

/* Every prefix of a batch is refused unless it ends at a record boundary. */
START_TEST(test_truncation)
{
    roundtrip("cpu,host=a,region=eu f=1.5,i=-42i,u=42u,b=true,s=\"hello\" 1000\n"
              "m f=2 2\nm,a=b s=\"x y\" 3\n");
    size_t b1 = f.dec.points[0].line.len, b2 = b1 + f.dec.points[1].line.len;
    for (size_t n = 0; n < f.bin.len; n++) {
        struct st_lp_batch d;
        st_lp_batch_init(&d);
        char *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
        memcpy(copy, f.bin.p, n);
        size_t bad = SIZE_MAX;
        int rv = st_ptbin_decode(&d, copy, n, &bad);
        if (n == 0 || n == b1 || n == b2) {
            ck_assert_int_eq(rv, ST_OK);
            ck_assert_uint_eq(d.npoints, n == 0 ? 0 : n == b1 ? 1 : 2);
        } else {
            ck_assert_int_eq(rv, ST_ECORRUPT);
            ck_assert_uint_eq(d.npoints, 0);
            ck_assert_uint_eq(bad, n < b1 ? 0 : n < b2 ? b1 : b2);
        }
        free(copy);
        st_lp_batch_fini(&d);
    }
}
END_TEST

/* Damage anywhere is refused or decodes to something in bounds; never a
 * crash or an overread (run under ASan). */
START_TEST(test_any_byte_damage)
{
    roundtrip("cpu,host=a,region=eu f=1.5,i=-42i,u=42u,b=true,s=\"hello\" 1000\n"
              "m,a=\\=b f=2 2\n");
    static const uint8_t masks[] = {0x01, 0x02, 0x10, 0x40, 0x80, 0xff};
    char *copy = malloc(f.bin.len);
    for (size_t i = 0; i < f.bin.len; i++)
        for (size_t m = 0; m < sizeof(masks); m++) {
            memcpy(copy, f.bin.p, f.bin.len);
            copy[i] = (char)(copy[i] ^ masks[m]);
            struct st_lp_batch d;
            st_lp_batch_init(&d);
            int rv = st_ptbin_decode(&d, copy, f.bin.len, NULL);
            ck_assert(rv == ST_OK || rv == ST_ECORRUPT);
            for (size_t p = 0; rv == ST_OK && p < d.npoints; p++) {
                const struct st_lp_point *pt = &d.points[p];
                ck_assert(pt->nfields > 0 && pt->measurement.len > 0);
                struct st_slice k = st_ptbin_series_key(pt);
                ck_assert(k.p >= copy && k.p + k.len <= copy + f.bin.len);
            }
            st_lp_batch_fini(&d);
        }
    free(copy);
}
END_TEST

/* A hand-made record: body bytes @body (@n) behind their length prefix. */
static int decode_body(const uint8_t *body, size_t n)
{
    uint8_t rec[256];
    ck_assert_uint_le(n + 4, sizeof(rec));
    rec[0] = (uint8_t)n;
    rec[1] = rec[2] = rec[3] = 0;
    memcpy(rec + 4, body, n);
    st_lp_batch_reset(&f.dec);
    return st_ptbin_decode(&f.dec, (const char *)rec, n + 4, NULL);
}

#define T8 0x10, 0, 0, 0, 0, 0, 0, 0 /* time 16 */

START_TEST(test_handmade_records)
{
    /* key "m,a=b", measurement 1, one tag (1, 1), time, one float field */
    const uint8_t ok[] = {5, 'm', ',', 'a', '=', 'b', 1, 1, 1, 1,    T8,  1,
                          1, 'f', 1,   0,   0,   0,   0, 0, 0, 0xf0, 0x3f};
    ck_assert_int_eq(decode_body(ok, sizeof(ok)), ST_OK);
    ck_assert_uint_eq(f.dec.npoints, 1);
    ck_assert(f.dec.fields[0].v.f == 1.0);
    ck_assert_int_eq(f.dec.points[0].time, 16);
#define TRY(expect, ...)                                     \
    do {                                                     \
        const uint8_t x[] = {__VA_ARGS__};                   \
        ck_assert_int_eq(decode_body(x, sizeof(x)), expect); \
    } while (0)
    /* separators not where the tag lengths say */
    TRY(ST_ECORRUPT, 5, 'm', ';', 'a', '=', 'b', 1, 1, 1, 1, T8, 1, 1, 'f', 5, 1);
    TRY(ST_ECORRUPT, 5, 'm', ',', 'a', ':', 'b', 1, 1, 1, 1, T8, 1, 1, 'f', 5, 1);
    TRY(ST_ECORRUPT, 5, 'm', ',', 'a', '=', 'b', 1, 1, 1, 2, T8, 1, 1, 'f', 5, 1);
    TRY(ST_ECORRUPT, 5, 'm', ',', 'a', '=', 'b', 2, 1, 1, 1, T8, 1, 1, 'f', 5, 1);
    TRY(ST_ECORRUPT, 5, 'm', ',', 'a', '=', 'b', 1, 0, T8, 1, 1, 'f', 5, 1);       /* tags unsaid */
    TRY(ST_ECORRUPT, 5, 'm', ',', 'a', '=', 'b', 0, 1, 1, 1, T8, 1, 1, 'f', 5, 1); /* empty m */
    TRY(ST_ECORRUPT, 5, 'm', ',', 'a', '=', 'b', 6, 0, T8, 1, 1, 'f', 5, 1);       /* m > key */
    TRY(ST_ECORRUPT, 0, 1, 0, T8, 1, 1, 'f', 5, 1);                                /* no key */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0xff, 0xff, 0xff, 0xff, 0x0f, T8, 1, 1, 'f', 5, 1); /* ntags */
    /* fields */
    TRY(ST_OK, 1, 'm', 1, 0, T8, 1, 1, 'f', 5, 1);
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 0);                    /* no field */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 2, 1, 'f', 5, 1);      /* count past the record */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 5, 2);      /* boolean 2 */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 0, 1);      /* type 0 */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 6, 1);      /* type 6 */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 0, 'f', 5, 1, 1);   /* empty field key */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 1, 0, 0);   /* short float */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 4, 3, 'a'); /* string past the record */
    TRY(ST_OK, 1, 'm', 1, 0, T8, 1, 1, 'f', 4, 0);            /* empty string */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 5, 1, 0);   /* a byte left over */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 2, 0x80);   /* truncated varint */
    /* an 11-byte varint, and a 10-byte one past 64 bits */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
        0x80, 0x80, 0x00);
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, T8, 1, 1, 'f', 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x02);
    TRY(ST_OK, 1, 'm', 1, 0, T8, 1, 1, 'f', 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x01);
    ck_assert_uint_eq(f.dec.fields[0].v.u, UINT64_MAX);
    /* times outside the line protocol's range */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 1, 1, 'f', 5, 1); /* INT64_MIN */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 1, 1, 'f', 5, 1); /* MIN + 1 */
    TRY(ST_OK, 1, 'm', 1, 0, 2, 0, 0, 0, 0, 0, 0, 0x80, 1, 1, 'f', 5, 1);       /* MIN + 2 */
    TRY(ST_ECORRUPT, 1, 'm', 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 1, 'f', 5, 1);
#undef TRY
    /* the length prefix: past the input, and a batch with a short tail */
    const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 1, 'm'};
    st_lp_batch_reset(&f.dec);
    ck_assert_int_eq(st_ptbin_decode(&f.dec, (const char *)big, sizeof(big), NULL), ST_ECORRUPT);
    ck_assert_int_eq(st_ptbin_decode(&f.dec, (const char *)big, 3, NULL), ST_ECORRUPT);
}
END_TEST

/* The encoder refuses a key that cannot be the point's. */
START_TEST(test_encoder_checks_key)
{
    encode("m,abc=def f=1 1\n");
    size_t len = f.bin.len;
    struct st_slice k = {"m,abc=def", 8}; /* no room for the measurement */
    ck_assert_int_eq(st_ptbin_append(&f.bin, k, &f.in, &f.in.points[0]), ST_EINVAL);
    ck_assert_uint_eq(f.bin.len, len);
}
END_TEST

static Suite *ptbin_suite(void)
{
    Suite *s = suite_create("ptbin");
    TCase *tc = tcase_create("ptbin");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_every_field_type);
    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_empty_tags_and_no_time);
    tcase_add_test(tc, test_many_fields_and_tags);
    tcase_add_test(tc, test_subsets);
    tcase_add_test(tc, test_refusal_keeps_batch);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_any_byte_damage);
    tcase_add_test(tc, test_handmade_records);
    tcase_add_test(tc, test_encoder_checks_key);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return t_run_suite(ptbin_suite());
}
