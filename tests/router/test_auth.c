/* Unit tests of router/auth: bcrypt hashes, credentials of a request, the
 * authentication and privilege rules, and the cache of verified pairs. */
#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "auth_int.h"
#include "err.h"
#include "testlib.h"

/* SHA-256 ------------------------------------------------------------------------ */

static const char *HEX(const unsigned char *d, size_t n)
{
    static char out[129];
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return out;
}

START_TEST(test_sha256_fips_vectors)
{
    struct auth_sha256 s;
    unsigned char d[32];
    auth_sha256_init(&s);
    auth_sha256_final(&s, d);
    ck_assert_str_eq(HEX(d, 32),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    auth_sha256_init(&s);
    auth_sha256_update(&s, "abc", 3);
    auth_sha256_final(&s, d);
    ck_assert_str_eq(HEX(d, 32),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    auth_sha256_init(&s);
    auth_sha256_update(&s, two, strlen(two));
    auth_sha256_final(&s, d);
    ck_assert_str_eq(HEX(d, 32),
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    auth_sha256_init(&s); /* a million 'a', in uneven pieces */
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    while (left > 0) {
        size_t n = left < sizeof a ? left : sizeof a;
        auth_sha256_update(&s, a, n);
        left -= n;
    }
    auth_sha256_final(&s, d);
    ck_assert_str_eq(HEX(d, 32),
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* Hashes --------------------------------------------------------------------------- */

START_TEST(test_hash_and_verify)
{
    char h1[128], h2[128];
    ck_assert_int_eq(st_auth_hash("s3cret", h1, sizeof h1), ST_OK);
    ck_assert_int_eq(st_auth_hash("s3cret", h2, sizeof h2), ST_OK);
    ck_assert_uint_eq(strlen(h1), 60);
    ck_assert(strncmp(h1, "$2b$10$", 7) == 0);
    ck_assert_str_ne(h1, h2); /* a fresh salt each time */
    ck_assert(st_auth_verify("s3cret", h1));
    ck_assert(st_auth_verify("s3cret", h2));
    ck_assert(!st_auth_verify("S3cret", h1));
    ck_assert(!st_auth_verify("", h1));
    ck_assert(!st_auth_verify("s3cret", ""));
    ck_assert(!st_auth_verify("s3cret", "*"));
    ck_assert(!st_auth_verify("s3cret", "$2b$10$tooshort"));
    ck_assert(!st_auth_verify("s3cret", NULL));
    /* Empty passwords are passwords too (InfluxDB accepts them). */
    ck_assert_int_eq(st_auth_hash("", h1, sizeof h1), ST_OK);
    ck_assert(st_auth_verify("", h1));
    ck_assert(!st_auth_verify("x", h1));
    /* Too small an output buffer. */
    ck_assert_int_eq(st_auth_hash("x", h1, 60), ST_ERANGE);
}
END_TEST

/* Credentials ------------------------------------------------------------------------- */

START_TEST(test_creds_parse)
{
    struct st_auth_creds c;
    /* alice:secret */
    ck_assert_int_eq(st_auth_creds_parse("Basic YWxpY2U6c2VjcmV0", NULL, NULL, &c), ST_OK);
    ck_assert(c.present);
    ck_assert_str_eq(c.user, "alice");
    ck_assert_str_eq(c.pass, "secret");
    ck_assert_int_eq(st_auth_creds_parse("basic YWxpY2U6c2VjcmV0", NULL, NULL, &c), ST_OK);
    ck_assert(c.present);
    /* a:b:c: the password keeps its colons */
    ck_assert_int_eq(st_auth_creds_parse("Basic YTpiOmM=", NULL, NULL, &c), ST_OK);
    ck_assert_str_eq(c.user, "a");
    ck_assert_str_eq(c.pass, "b:c");
    /* ":pw" reads, with an empty user (st_auth_check: "username required") */
    ck_assert_int_eq(st_auth_creds_parse("Basic OnB3", NULL, NULL, &c), ST_OK);
    ck_assert(c.present);
    ck_assert_str_eq(c.user, "");
    /* "bob:" reads, with an empty password */
    ck_assert_int_eq(st_auth_creds_parse("Basic Ym9iOg==", NULL, NULL, &c), ST_OK);
    ck_assert(c.present);
    ck_assert_str_eq(c.pass, "");
    /* no colon, bad base64, missing padding, other schemes: no credentials */
    static const char *none[] = {"Basic Ym9i", "Basic !!!!", "Basic Ym9iOg",
                                 "Basic",      "Basic ",     "Bearer abc.def.ghi",
                                 "Digest x",   "",           "Token bob"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        ck_assert_int_eq(st_auth_creds_parse(none[i], NULL, NULL, &c), ST_OK);
        ck_assert_msg(!c.present, "%s", none[i]);
    }
    ck_assert_int_eq(st_auth_creds_parse(NULL, NULL, NULL, &c), ST_OK);
    ck_assert(!c.present);
    /* Token u:p (InfluxDB 1.8's 2.x compatibility) */
    ck_assert_int_eq(st_auth_creds_parse("Token bob:pw:x", NULL, NULL, &c), ST_OK);
    ck_assert(c.present);
    ck_assert_str_eq(c.user, "bob");
    ck_assert_str_eq(c.pass, "pw:x");
    /* u and p win over the header when both are non-empty */
    ck_assert_int_eq(st_auth_creds_parse("Basic YWxpY2U6c2VjcmV0", "carl", "pw", &c), ST_OK);
    ck_assert_str_eq(c.user, "carl");
    ck_assert_str_eq(c.pass, "pw");
    ck_assert_int_eq(st_auth_creds_parse("Basic YWxpY2U6c2VjcmV0", "carl", "", &c), ST_OK);
    ck_assert_str_eq(c.user, "alice");
    ck_assert_int_eq(st_auth_creds_parse(NULL, "carl", NULL, &c), ST_OK);
    ck_assert(!c.present);
    /* longer than the fields */
    char big[400];
    memset(big, 'u', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(st_auth_creds_parse(NULL, big, "pw", &c), ST_ERANGE);
    ck_assert(!c.present);
}
END_TEST

/* The checks ---------------------------------------------------------------------------- */

#define NUSERS 3
struct fixture {
    Strata__Catalogue cat;
    Strata__User users[NUSERS], *uptr[NUSERS];
    Strata__UserPrivilege privs[3], *bob_privs[2], *carl_privs[1];
    char hashes[NUSERS][128];
    st_auth *a;
    char msg[256];
};
static struct fixture f;

static void user(int i, const char *name, const char *pw, bool admin)
{
    strata__user__init(&f.users[i]);
    f.users[i].name = (char *)name;
    ck_assert_int_eq(st_auth_hash(pw, f.hashes[i], sizeof f.hashes[i]), ST_OK);
    f.users[i].password_hash = f.hashes[i];
    f.users[i].admin = admin;
    f.uptr[i] = &f.users[i];
}

static void priv(int i, const char *db, Strata__Privilege p)
{
    strata__user_privilege__init(&f.privs[i]);
    f.privs[i].database = (char *)db;
    f.privs[i].privilege = p;
}

static void setup(void)
{
    memset(&f, 0, sizeof f);
    strata__catalogue__init(&f.cat);
    /* sorted by name, as the catalogue keeps them */
    user(0, "admin", "adminpw", true);
    user(1, "bob", "bobpw", false);
    user(2, "carl", "carlpw", false);
    priv(0, "x", STRATA__PRIVILEGE__READ);
    priv(1, "y", STRATA__PRIVILEGE__WRITE);
    priv(2, "z", STRATA__PRIVILEGE__ALL);
    f.bob_privs[0] = &f.privs[0];
    f.bob_privs[1] = &f.privs[1];
    f.users[1].privileges = f.bob_privs;
    f.users[1].n_privileges = 2;
    f.carl_privs[0] = &f.privs[2];
    f.users[2].privileges = f.carl_privs;
    f.users[2].n_privileges = 1;
    f.cat.users = f.uptr;
    f.cat.n_users = NUSERS;
    ck_assert_int_eq(st_auth_open(&f.a), ST_OK);
}

static void teardown(void)
{
    st_auth_close(f.a);
}

/* Checks @user / @pw for @need on @db; returns the code, message in f.msg. */
static int CHECK(const char *user, const char *pw, const char *db, enum st_auth_need need)
{
    struct st_auth_creds c = {.present = true};
    snprintf(c.user, sizeof c.user, "%s", user);
    snprintf(c.pass, sizeof c.pass, "%s", pw);
    f.msg[0] = '\0';
    return st_auth_check(f.a, &f.cat, &c, db, need, f.msg, sizeof f.msg);
}

START_TEST(test_check_authentication)
{
    struct st_auth_creds none = {.present = false};
    ck_assert_int_eq(
        st_auth_check(f.a, &f.cat, &none, NULL, ST_AUTH_NEED_NONE, f.msg, sizeof f.msg), ST_EINVAL);
    ck_assert_str_eq(f.msg, "unable to parse authentication credentials");
    ck_assert_int_eq(CHECK("", "pw", NULL, ST_AUTH_NEED_NONE), ST_EINVAL);
    ck_assert_str_eq(f.msg, "username required");
    ck_assert_int_eq(CHECK("ghost", "pw", NULL, ST_AUTH_NEED_NONE), ST_EINVAL);
    ck_assert_str_eq(f.msg, "authorization failed");
    ck_assert_int_eq(CHECK("bob", "wrong", NULL, ST_AUTH_NEED_NONE), ST_EINVAL);
    ck_assert_str_eq(f.msg, "authorization failed");
    ck_assert_int_eq(CHECK("bob", "", NULL, ST_AUTH_NEED_NONE), ST_EINVAL);
    ck_assert_int_eq(CHECK("Bob", "bobpw", NULL, ST_AUTH_NEED_NONE), ST_EINVAL);
    ck_assert_int_eq(CHECK("bob", "bobpw", NULL, ST_AUTH_NEED_NONE), ST_OK);
    ck_assert_uint_eq(st_auth_cache_len(f.a), 1);
    /* a NULL message buffer is fine */
    struct st_auth_creds c = {.present = true, .user = "bob", .pass = "bad"};
    ck_assert_int_eq(st_auth_check(f.a, &f.cat, &c, NULL, ST_AUTH_NEED_NONE, NULL, 0), ST_EINVAL);
}
END_TEST

START_TEST(test_check_privileges)
{
    ck_assert_int_eq(CHECK("admin", "adminpw", NULL, ST_AUTH_NEED_ADMIN), ST_OK);
    ck_assert_int_eq(CHECK("admin", "adminpw", "any", ST_AUTH_NEED_WRITE), ST_OK);
    ck_assert_int_eq(CHECK("admin", "adminpw", "any", ST_AUTH_NEED_READ), ST_OK);
    ck_assert_int_eq(CHECK("bob", "bobpw", NULL, ST_AUTH_NEED_ADMIN), ST_EPERM);
    ck_assert_str_eq(f.msg, "\"bob\" user is not an admin");
    ck_assert_int_eq(CHECK("bob", "bobpw", "x", ST_AUTH_NEED_READ), ST_OK);
    ck_assert_int_eq(CHECK("bob", "bobpw", "x", ST_AUTH_NEED_WRITE), ST_EPERM);
    ck_assert_str_eq(f.msg, "\"bob\" user is not authorized to write to database \"x\"");
    ck_assert_int_eq(CHECK("bob", "bobpw", "y", ST_AUTH_NEED_WRITE), ST_OK);
    ck_assert_int_eq(CHECK("bob", "bobpw", "y", ST_AUTH_NEED_READ), ST_EPERM);
    ck_assert_str_eq(f.msg, "\"bob\" user is not authorized to read from database \"y\"");
    ck_assert_int_eq(CHECK("bob", "bobpw", "z", ST_AUTH_NEED_READ), ST_EPERM);
    ck_assert_int_eq(CHECK("bob", "bobpw", NULL, ST_AUTH_NEED_WRITE), ST_EPERM);
    ck_assert_str_eq(f.msg, "\"bob\" user is not authorized to write to database \"\"");
    ck_assert_int_eq(CHECK("carl", "carlpw", "z", ST_AUTH_NEED_READ), ST_OK);
    ck_assert_int_eq(CHECK("carl", "carlpw", "z", ST_AUTH_NEED_WRITE), ST_OK);
    ck_assert_int_eq(CHECK("carl", "carlpw", "x", ST_AUTH_NEED_READ), ST_EPERM);
    ck_assert_int_eq(CHECK("carl", "carlpw", "any", ST_AUTH_NEED_NONE), ST_OK);
    /* names are quoted as Go's %q does */
    f.privs[1].database = "a\"b";
    ck_assert_int_eq(CHECK("bob", "bobpw", "q\"r", ST_AUTH_NEED_WRITE), ST_EPERM);
    ck_assert_str_eq(f.msg, "\"bob\" user is not authorized to write to database \"q\\\"r\"");
    /* st_auth_user and st_auth_may directly */
    ck_assert_ptr_eq(st_auth_user(&f.cat, "carl"), &f.users[2]);
    ck_assert_ptr_null(st_auth_user(&f.cat, "dave"));
    ck_assert(st_auth_may(&f.users[1], "x", ST_AUTH_NEED_NONE));
    ck_assert(!st_auth_may(&f.users[1], "x", ST_AUTH_NEED_ADMIN));
}
END_TEST

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

START_TEST(test_cache_hits_and_invalidation)
{
    long long t0 = now_us();
    ck_assert_int_eq(CHECK("bob", "bobpw", NULL, ST_AUTH_NEED_NONE), ST_OK);
    long long bcrypt_us = now_us() - t0;
    t0 = now_us();
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(CHECK("bob", "bobpw", NULL, ST_AUTH_NEED_NONE), ST_OK);
    long long cached_us = (now_us() - t0) / 10;
    ck_assert_msg(cached_us * 5 < bcrypt_us, "cached %lld us, bcrypt %lld us", cached_us,
                  bcrypt_us);
    /* another password for a cached user is checked with bcrypt, and fails */
    ck_assert_int_eq(CHECK("bob", "other", NULL, ST_AUTH_NEED_NONE), ST_EINVAL);
    ck_assert_int_eq(CHECK("bob", "bobpw", NULL, ST_AUTH_NEED_NONE), ST_OK);

    /* SET PASSWORD: the catalogue's hash changes; the old password no longer
     * passes, the new one does. */
    char fresh[128];
    ck_assert_int_eq(st_auth_hash("newpw", fresh, sizeof fresh), ST_OK);
    f.users[1].password_hash = fresh;
    ck_assert_int_eq(CHECK("bob", "bobpw", NULL, ST_AUTH_NEED_NONE), ST_EINVAL);
    ck_assert_int_eq(CHECK("bob", "newpw", NULL, ST_AUTH_NEED_NONE), ST_OK);
    /* DROP USER: gone from the catalogue means gone, cache or not. */
    f.cat.n_users = 1; /* admin only */
    ck_assert_int_eq(CHECK("bob", "newpw", NULL, ST_AUTH_NEED_NONE), ST_EINVAL);
    ck_assert_str_eq(f.msg, "authorization failed");
}
END_TEST

START_TEST(test_cache_is_bounded)
{
    /* sha256-crypt at its lowest cost keeps this fast; st_auth_verify takes
     * any method libxcrypt knows. */
    enum { N = ST_AUTH_CACHE_MAX + 100 };
    Strata__User *users = calloc(N, sizeof *users);
    Strata__User **ptrs = calloc(N, sizeof *ptrs);
    char(*names)[16] = calloc(N, sizeof *names);
    ck_assert(users && ptrs && names);
    struct crypt_data *cd = calloc(1, sizeof *cd);
    const char *h = crypt_rn("pw", "$5$rounds=1000$saltsalt$", cd, sizeof *cd);
    ck_assert_ptr_nonnull(h);
    char *hash = strdup(h);
    for (int i = 0; i < N; i++) {
        strata__user__init(&users[i]);
        snprintf(names[i], sizeof names[i], "u%05d", i);
        users[i].name = names[i];
        users[i].password_hash = hash;
        ptrs[i] = &users[i];
    }
    f.cat.users = ptrs;
    f.cat.n_users = N;
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(CHECK(names[i], "pw", NULL, ST_AUTH_NEED_NONE), ST_OK);
    ck_assert_uint_eq(st_auth_cache_len(f.a), ST_AUTH_CACHE_MAX);
    /* the evicted ones still authenticate (with the slow path) */
    ck_assert_int_eq(CHECK(names[0], "pw", NULL, ST_AUTH_NEED_NONE), ST_OK);
    ck_assert_uint_eq(st_auth_cache_len(f.a), ST_AUTH_CACHE_MAX);
    free(hash);
    free(cd);
    free(names);
    free(ptrs);
    free(users);
}
END_TEST

static void *checker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        struct st_auth_creds c = {.present = true};
        snprintf(c.user, sizeof c.user, "%s", i % 2 ? "bob" : "carl");
        snprintf(c.pass, sizeof c.pass, "%s", i % 2 ? "bobpw" : "carlpw");
        if (st_auth_check(f.a, &f.cat, &c, "x", ST_AUTH_NEED_READ, NULL, 0) !=
            (i % 2 ? ST_OK : ST_EPERM))
            return (void *)1;
    }
    return NULL;
}

START_TEST(test_cache_threads)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, checker, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *res;
        pthread_join(t[i], &res);
        ck_assert_ptr_null(res);
    }
    ck_assert_uint_eq(st_auth_cache_len(f.a), 2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("auth");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"sha256", test_sha256_fips_vectors},
        {"hash", test_hash_and_verify},
        {"creds", test_creds_parse},
        {"authentication", test_check_authentication},
        {"privileges", test_check_privileges},
        {"cache", test_cache_hits_and_invalidation},
        {"cache_bound", test_cache_is_bounded},
        {"cache_threads", test_cache_threads},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return t_run_suite(suite());
}
