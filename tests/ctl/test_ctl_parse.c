/* End-to-end tests of `stratactl parse`: runs the real binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char *out;
static int status;

static void teardown(void)
{
    free(out);
    out = NULL;
}

/* Runs stratactl with @args (NULL-terminated, after "parse") on @input. */
static void run(const char *input, const char *a1, const char *a2, const char *a3, const char *a4)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", t_build_path("ctl/stratactl"));
    char *argv[] = {path, "parse", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    free(out);
    status = t_run_capture(argv, input, strlen(input), &out);
    ck_assert_ptr_nonnull(out);
}

START_TEST(test_ctl_parse_prints_points)
{
    run("cpu,z=1,host=a\\ b v=1.5,n=-2i,u=3u,s=\"q\\\"x\",b=T 1600000000000000000\n", NULL, NULL,
        NULL, NULL);
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(out,
                     "{\"line\":1,\"measurement\":\"cpu\",\"tags\":{\"host\":\"a b\",\"z\":\"1\"},"
                     "\"fields\":{\"v\":{\"type\":\"float\",\"value\":1.5},"
                     "\"n\":{\"type\":\"integer\",\"value\":-2},"
                     "\"u\":{\"type\":\"unsigned\",\"value\":3},"
                     "\"s\":{\"type\":\"string\",\"value\":\"q\\\"x\"},"
                     "\"b\":{\"type\":\"boolean\",\"value\":true}},"
                     "\"time\":1600000000000000000,\"series_key\":\"cpu,host=a\\\\ b,z=1\"}\n");
}
END_TEST

START_TEST(test_ctl_parse_bad_line_exit_1)
{
    run("a v=1 1\nbad\nb v=2 2\n", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(status, 1);
    ck_assert_ptr_nonnull(
        strstr(out, "{\"line\":2,\"error\":\"unable to parse 'bad': missing fields\"}\n"));
    /* The good lines around it are still printed, in line order. */
    char *a = strstr(out, "\"measurement\":\"a\"");
    char *bad = strstr(out, "\"line\":2");
    char *b = strstr(out, "\"measurement\":\"b\"");
    ck_assert(a && bad && b && a < bad && bad < b);
}
END_TEST

START_TEST(test_ctl_parse_precision_and_now)
{
    run("m v=1 3\nm v=2\n", "--precision", "s", "--now", "1700000000999999999");
    ck_assert_int_eq(status, 0);
    ck_assert_ptr_nonnull(strstr(out, "\"time\":3000000000,"));
    ck_assert_ptr_nonnull(strstr(out, "\"time\":1700000000000000000,"));
    run("m v=1 3\n", "--precision", "us", NULL, NULL);
    ck_assert_ptr_nonnull(strstr(out, "\"time\":3000,"));
}
END_TEST

START_TEST(test_ctl_parse_usage_errors_exit_2)
{
    run("m v=1\n", "--precision", "weeks", NULL, NULL);
    ck_assert_int_eq(status, 2);
    run("", "/nonexistent/file.lp", NULL, NULL, NULL);
    ck_assert_int_eq(status, 2);
    run("", "--bogus", NULL, NULL, NULL);
    ck_assert_int_eq(status, 2);
}
END_TEST

START_TEST(test_ctl_parse_duplicate_field_last_wins)
{
    run("m f=1,f=2i 5\n", NULL, NULL, NULL, NULL);
    ck_assert_int_eq(status, 0);
    ck_assert_ptr_nonnull(strstr(out, "\"fields\":{\"f\":{\"type\":\"integer\",\"value\":2}}"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ctl_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_ctl_parse_prints_points);
    tcase_add_test(tc, test_ctl_parse_bad_line_exit_1);
    tcase_add_test(tc, test_ctl_parse_precision_and_now);
    tcase_add_test(tc, test_ctl_parse_usage_errors_exit_2);
    tcase_add_test(tc, test_ctl_parse_duplicate_field_last_wins);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
