/* common/regex: InfluxQL regexes matched unanchored like Go's regexp.MatchString. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "regex.h"
#include "testlib.h"

/* Compiles @pattern (NUL-terminated) or fails the test. */
static st_re *RE(const char *pattern)
{
    char err[256] = "";
    st_re *re = NULL;
    int rv = st_re_compile(pattern, strlen(pattern), &re, err, sizeof(err));
    ck_assert_msg(rv == ST_OK, "/%s/: %s", pattern, err);
    return re;
}

/* Whether @pattern matches @s (both NUL-terminated). */
static bool MATCH(const char *pattern, const char *s)
{
    st_re *re = RE(pattern);
    bool m = st_re_match(re, s, strlen(s));
    st_re_free(re);
    return m;
}

/* Compiles a bad @pattern; returns the error text in a static buffer. */
static const char *COMPILE_ERROR(const char *pattern)
{
    static char err[256];
    st_re *re = NULL;
    err[0] = '\0';
    int rv = st_re_compile(pattern, strlen(pattern), &re, err, sizeof(err));
    ck_assert_msg(rv == ST_EPARSE, "/%s/ compiled (%d)", pattern, rv);
    ck_assert_ptr_null(re);
    return err;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

START_TEST(test_re_match_unanchored)
{
    ck_assert(MATCH("us", "us-west-1"));
    ck_assert(MATCH("west", "us-west-1"));
    ck_assert(MATCH("-1", "us-west-1"));
    ck_assert(!MATCH("east", "us-west-1"));
    ck_assert(MATCH("a|z", "xyz"));
    ck_assert(MATCH("server0[1-3]", "host=server02.example"));
    ck_assert(!MATCH("x", ""));
}
END_TEST

START_TEST(test_re_match_anchors)
{
    ck_assert(MATCH("^us", "us-west"));
    ck_assert(!MATCH("^us", "eu-us"));
    ck_assert(MATCH("west$", "us-west"));
    ck_assert(!MATCH("west$", "us-west-1"));
    /* Go: $ without (?m) is the end of the text, not before a final \n. */
    ck_assert(!MATCH("west$", "us-west\n"));
    ck_assert(MATCH("(?m)west$", "us-west\n"));
    ck_assert(MATCH("^$", ""));
    ck_assert(!MATCH("^$", "a"));
    ck_assert(MATCH("^us-west$", "us-west"));
    ck_assert(MATCH("\\Aus", "us"));
    ck_assert(MATCH("us\\z", "us"));
    ck_assert(MATCH("\\bwest\\b", "us-west-1"));
}
END_TEST

START_TEST(test_re_match_flags_and_classes)
{
    ck_assert(MATCH("(?i)SERVER", "server01"));
    ck_assert(!MATCH("SERVER", "server01"));
    ck_assert(MATCH("(?i)^é", "École")); /* Unicode case folding, as Go */
    ck_assert(MATCH("^\\d+$", "12345"));
    ck_assert(!MATCH("^\\d+$", "123a5"));
    ck_assert(!MATCH("\\d", "\xd9\xa1")); /* U+0661: Go's \d is ASCII only */
    ck_assert(MATCH("^\\w+$", "cpu_total0"));
    ck_assert(!MATCH("^\\w+$", "cpu-total"));
    ck_assert(MATCH("\\s", "a b"));
    ck_assert(MATCH("^[[:alpha:]]+$", "abc"));
    ck_assert(MATCH("^\\p{Greek}+$", "αβγ"));
    ck_assert(!MATCH("a.b", "a\nb")); /* . excludes \n unless (?s) */
    ck_assert(MATCH("(?s)a.b", "a\nb"));
    ck_assert(MATCH("^a.b$", "a\rb")); /* only \n ends a line, as in Go */
    ck_assert(MATCH("(?m)^b", "a\nb"));
    ck_assert(!MATCH("(?m)^b", "a\rb"));
    ck_assert(MATCH("^.$", "é")); /* one character, two bytes */
    ck_assert(MATCH("^(?:a|b){2,3}$", "aba"));
    ck_assert(MATCH("\\Q.*\\E", "x.*y"));
    ck_assert(!MATCH("\\Q.*\\E", "xy"));
}
END_TEST

START_TEST(test_re_match_empty_pattern_matches_everything)
{
    st_re *re = NULL;
    char err[64];
    ck_assert_int_eq(st_re_compile("", 0, &re, err, sizeof(err)), ST_OK);
    ck_assert(st_re_match(re, "", 0));
    ck_assert(st_re_match(re, "anything", 8));
    ck_assert(st_re_match(re, NULL, 0));
    st_re_free(re);
    /* A NULL pattern of length 0 is the empty pattern too. */
    ck_assert_int_eq(st_re_compile(NULL, 0, &re, err, sizeof(err)), ST_OK);
    ck_assert(st_re_match(re, "x", 1));
    st_re_free(re);
}
END_TEST

START_TEST(test_re_compile_error_text)
{
    ck_assert_str_eq(COMPILE_ERROR("(abc"), "missing closing parenthesis at offset 4");
    ck_assert_str_eq(COMPILE_ERROR("ab)"), "unmatched closing parenthesis at offset 2");
    ck_assert_ptr_nonnull(strstr(COMPILE_ERROR("[a"), "missing terminating ]"));
    ck_assert_ptr_nonnull(strstr(COMPILE_ERROR("a{2,1}"), "out of order"));
    ck_assert_ptr_nonnull(strstr(COMPILE_ERROR("*a"), "at offset 0"));
    /* \C (a single byte inside a character) is not RE2 syntax. */
    ck_assert_ptr_nonnull(strstr(COMPILE_ERROR("a\\Cb"), "\\C"));
    /* A pattern must be UTF-8, as in Go. */
    ck_assert_ptr_nonnull(strstr(COMPILE_ERROR("a\xff"), "UTF-8"));
    /* A NULL or short buffer is fine. */
    st_re *re;
    ck_assert_int_eq(st_re_compile("(", 1, &re, NULL, 0), ST_EPARSE);
    char small[8];
    ck_assert_int_eq(st_re_compile("(", 1, &re, small, sizeof(small)), ST_EPARSE);
    ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

START_TEST(test_re_slices_not_nul_terminated)
{
    /* Neither the pattern nor the subject ends with a NUL. */
    static const char pat[6] = {'a', 'b', 'c', 'd', 'e', 'f'};
    static const char subj[7] = {'x', 'x', 'a', 'b', 'c', 'y', 'y'};
    char err[128];
    st_re *re;
    ck_assert_int_eq(st_re_compile(pat, 3, &re, err, sizeof(err)), ST_OK); /* /abc/ */
    ck_assert(!st_re_match(re, subj, 4));                                  /* "xxab" */
    ck_assert(st_re_match(re, subj, 5));                                   /* "xxabc" */
    ck_assert(st_re_match(re, subj + 2, 3));                               /* "abc" */
    ck_assert(!st_re_match(re, subj + 3, 4));                              /* "bcyy" */
    st_re_free(re);
    /* $ is the end of the slice, not of the memory behind it. */
    static const char anch[4] = {'a', 'b', '$', '!'};
    ck_assert_int_eq(st_re_compile(anch, 3, &re, err, sizeof(err)), ST_OK); /* /ab$/ */
    ck_assert(st_re_match(re, subj + 2, 2));                                /* "ab" */
    ck_assert(!st_re_match(re, subj + 2, 3));                               /* "abc" */
    st_re_free(re);
    /* A cut in the middle of a pattern is a compile error, not an overrun. */
    static const char open[3] = {'(', 'a', ')'};
    ck_assert_int_eq(st_re_compile(open, 2, &re, err, sizeof(err)), ST_EPARSE);
}
END_TEST

START_TEST(test_re_match_invalid_utf8_subject)
{
    /* Tag values are any bytes: invalid UTF-8 never fails the match itself. */
    st_re *re = RE("abc");
    ck_assert(st_re_match(re,
                          "\xff\xfe"
                          "abc",
                          5));
    ck_assert(!st_re_match(re, "\xff", 1));
    st_re_free(re);
    re = RE("^x");
    ck_assert(!st_re_match(re, "\xc3", 1));
    st_re_free(re);
}
END_TEST

START_TEST(test_re_match_limit_pathological_is_no_match)
{
    /* Exponential backtracking in PCRE2 (linear in RE2): gives up as no
     * match within the limit instead of running for minutes. */
    char subj[64];
    memset(subj, 'a', sizeof(subj) - 1);
    subj[sizeof(subj) - 2] = '!';
    subj[sizeof(subj) - 1] = '\0';
    st_re *re = RE("^(\\w+\\s?)*$");
    double t0 = now_s();
    ck_assert(!st_re_match(re, subj, strlen(subj)));
    ck_assert_msg(now_s() - t0 < 2.0, "the limit did not stop the match");
    st_re_free(re);
    re = RE("(a|aa)+$");
    t0 = now_s();
    ck_assert(!st_re_match(re, subj, strlen(subj)));
    ck_assert(now_s() - t0 < 2.0);
    st_re_free(re);
}
END_TEST

START_TEST(test_re_match_long_subject)
{
    /* 60 KiB (near ST_INDEX_MAX_KEY) through a group repeated per byte:
     * deeper than the JIT's 32 KiB stack, answered by the interpreter. */
    size_t n = 60 * 1024;
    char *s = malloc(n);
    ck_assert_ptr_nonnull(s);
    memset(s, 'a', n - 1);
    s[n - 1] = 'c';
    st_re *re = RE("^(a|b)*c$");
    ck_assert(st_re_match(re, s, n));
    ck_assert(!st_re_match(re, s, n - 1));
    st_re_free(re);
    re = RE("c");
    ck_assert(st_re_match(re, s, n));
    st_re_free(re);
    free(s);
}
END_TEST

struct worker {
    const st_re *re;
    int wrong;
};

static void *match_many(void *arg)
{
    struct worker *w = arg;
    static const char *const yes[] = {"us-west-1", "eu-central-17", "US-EAST-2"};
    static const char *const no[] = {"us-west", "asia-1", ""};
    for (int i = 0; i < 20000; i++) {
        const char *y = yes[i % 3], *n = no[i % 3];
        if (!st_re_match(w->re, y, strlen(y)) || st_re_match(w->re, n, strlen(n)))
            w->wrong++;
    }
    return NULL;
}

START_TEST(test_re_match_concurrent_threads)
{
    st_re *re = RE("(?i)^(us|eu)-[a-z]+-\\d+$");
    pthread_t t[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){re, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, match_many, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].wrong, 0);
    }
    st_re_free(re);
    st_re_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("regex");
    TCase *tc = tcase_create("st_re_match");
    tcase_add_test(tc, test_re_match_unanchored);
    tcase_add_test(tc, test_re_match_anchors);
    tcase_add_test(tc, test_re_match_flags_and_classes);
    tcase_add_test(tc, test_re_match_empty_pattern_matches_everything);
    tcase_add_test(tc, test_re_slices_not_nul_terminated);
    tcase_add_test(tc, test_re_match_invalid_utf8_subject);
    tcase_add_test(tc, test_re_match_limit_pathological_is_no_match);
    tcase_add_test(tc, test_re_match_long_subject);
    tcase_add_test(tc, test_re_match_concurrent_threads);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("st_re_compile");
    tcase_add_test(tc2, test_re_compile_error_text);
    suite_add_tcase(s, tc2);
    return t_run_suite(s);
}
