/* Time zones: offsets from the system's TZif files (tzdata) before and after
 * known transitions, the footer's POSIX rule far in the future, Go's choice
 * for skipped wall times, and InfluxDB's zone-aligned windows. */
#include <stdlib.h>

#include "err.h"
#include "testlib.h"
#include "tz.h"

#define H 3600
#define NS 1000000000LL

/* Unix seconds of a UTC date and time (proleptic Gregorian). */
static int64_t utc(int64_t y, int mo, int d, int h, int mi, int s)
{
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return days * 86400 + h * 3600 + mi * 60 + s;
}

static struct st_tz *load(const char *name)
{
    struct st_tz *z = NULL;
    ck_assert_int_eq(st_tz_load(name, &z), ST_OK);
    ck_assert_ptr_nonnull(z);
    return z;
}

START_TEST(test_tz_new_york)
{
    struct st_tz *z = load("America/New_York");
    ck_assert_int_eq(st_tz_offset(z, utc(2020, 3, 8, 6, 59, 59)), -5 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2020, 3, 8, 7, 0, 0)), -4 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2020, 11, 1, 5, 59, 59)), -4 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2020, 11, 1, 6, 0, 0)), -5 * H);
    ck_assert_int_eq(st_tz_offset_ns(z, utc(2020, 3, 8, 7, 0, 0) * NS - 1), -5 * H * NS);
    ck_assert_int_eq(st_tz_offset_ns(z, utc(2020, 3, 8, 7, 0, 0) * NS), -4 * H * NS);
    /* Before 1883 (local mean time, -4:56:02) and far before any data. */
    ck_assert_int_eq(st_tz_offset(z, utc(1800, 1, 1, 0, 0, 0)), -(4 * H + 56 * 60 + 2));
    st_tz_free(z);
}
END_TEST

START_TEST(test_tz_fixed_and_utc)
{
    struct st_tz *z = load("Asia/Kolkata");
    ck_assert_int_eq(st_tz_offset(z, utc(2024, 1, 1, 0, 0, 0)), 5 * H + 1800);
    ck_assert_int_eq(st_tz_offset(z, utc(2200, 6, 1, 0, 0, 0)), 5 * H + 1800);
    st_tz_free(z);
    z = load("Etc/GMT+5"); /* POSIX sign: five hours west */
    ck_assert_int_eq(st_tz_offset(z, utc(2024, 1, 1, 0, 0, 0)), -5 * H);
    st_tz_free(z);
    struct st_tz *u = (struct st_tz *)1;
    ck_assert_int_eq(st_tz_load("UTC", &u), ST_OK);
    ck_assert_ptr_null(u);
    ck_assert_int_eq(st_tz_load("", &u), ST_OK);
    ck_assert_ptr_null(u);
    ck_assert_int_eq(st_tz_offset(NULL, 12345), 0);
    ck_assert_int_eq(st_tz_offset_ns(NULL, 12345), 0);
    z = load("Etc/UTC");
    ck_assert_int_eq(st_tz_offset(z, utc(2024, 7, 1, 0, 0, 0)), 0);
    ck_assert_int_eq(st_tz_offset(z, utc(2300, 7, 1, 0, 0, 0)), 0);
    st_tz_free(z);
    ck_assert_int_eq(st_tz_load("Mars/Olympus", &u), ST_ENOTFOUND);
    ck_assert_int_eq(st_tz_load("../etc/passwd", &u), ST_ENOTFOUND);
    ck_assert_int_eq(st_tz_load("/etc/passwd", &u), ST_ENOTFOUND);
    ck_assert_int_eq(st_tz_load("America", &u), ST_ENOTFOUND); /* a directory */
    ck_assert_int_eq(st_tz_load("zone.tab", &u), ST_ECORRUPT);
}
END_TEST

START_TEST(test_tz_london)
{
    struct st_tz *z = load("Europe/London");
    ck_assert_int_eq(st_tz_offset(z, utc(2024, 1, 15, 12, 0, 0)), 0);
    ck_assert_int_eq(st_tz_offset(z, utc(2024, 3, 31, 0, 59, 59)), 0);
    ck_assert_int_eq(st_tz_offset(z, utc(2024, 3, 31, 1, 0, 0)), H);
    ck_assert_int_eq(st_tz_offset(z, utc(2024, 10, 27, 0, 59, 59)), H);
    ck_assert_int_eq(st_tz_offset(z, utc(2024, 10, 27, 1, 0, 0)), 0);
    st_tz_free(z);
}
END_TEST

/* After 2037 the files hold no transitions: the footer's rule answers. */
START_TEST(test_tz_footer_rule)
{
    struct st_tz *z = load("America/New_York"); /* EST5EDT,M3.2.0,M11.1.0 */
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 1, 1, 0, 0, 0)), -5 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 3, 14, 6, 59, 59)), -5 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 3, 14, 7, 0, 0)), -4 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 11, 7, 5, 59, 59)), -4 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 11, 7, 6, 0, 0)), -5 * H);
    st_tz_free(z);
    z = load("Europe/London"); /* GMT0BST,M3.5.0/1,M10.5.0 */
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 3, 28, 0, 59, 59)), 0);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 3, 28, 1, 0, 0)), H);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 10, 31, 0, 59, 59)), H);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 10, 31, 1, 0, 0)), 0);
    st_tz_free(z);
    z = load("Australia/Sydney"); /* southern: DST across the new year */
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 1, 1, 0, 0, 0)), 11 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 7, 1, 0, 0, 0)), 10 * H);
    ck_assert_int_eq(st_tz_offset(z, utc(2100, 12, 31, 23, 0, 0)), 11 * H);
    st_tz_free(z);
}
END_TEST

START_TEST(test_tz_from_local)
{
    struct st_tz *z = load("America/New_York");
    ck_assert_int_eq(st_tz_from_local(z, utc(2024, 1, 1, 0, 0, 0)), utc(2024, 1, 1, 5, 0, 0));
    ck_assert_int_eq(st_tz_from_local(z, utc(2024, 7, 1, 0, 0, 0)), utc(2024, 7, 1, 4, 0, 0));
    /* 02:30 does not exist on 2020-03-08: Go answers 01:30 EST. */
    ck_assert_int_eq(st_tz_from_local(z, utc(2020, 3, 8, 2, 30, 0)), utc(2020, 3, 8, 6, 30, 0));
    /* 01:30 happens twice on 2020-11-01: Go takes the first (EDT). */
    ck_assert_int_eq(st_tz_from_local(z, utc(2020, 11, 1, 1, 30, 0)), utc(2020, 11, 1, 5, 30, 0));
    ck_assert_int_eq(st_tz_from_local(NULL, 77), 77);
    st_tz_free(z);
}
END_TEST

START_TEST(test_tz_window)
{
    struct st_tz *z = load("America/New_York");
    int64_t s, e, day = 24 * H * NS, hour = H * NS;
    /* Local midnights; the day of the spring change has 23 hours. */
    st_tz_window(z, day, 0, utc(2020, 3, 8, 12, 0, 0) * NS, &s, &e);
    ck_assert_int_eq(s, utc(2020, 3, 8, 5, 0, 0) * NS);
    ck_assert_int_eq(e, utc(2020, 3, 9, 4, 0, 0) * NS);
    st_tz_window(z, day, 0, utc(2020, 3, 8, 6, 0, 0) * NS, &s, &e);
    ck_assert_int_eq(s, utc(2020, 3, 8, 5, 0, 0) * NS);
    ck_assert_int_eq(e, utc(2020, 3, 9, 4, 0, 0) * NS);
    /* The autumn day has 25. */
    st_tz_window(z, day, 0, utc(2020, 11, 2, 4, 30, 0) * NS, &s, &e);
    ck_assert_int_eq(s, utc(2020, 11, 1, 4, 0, 0) * NS);
    ck_assert_int_eq(e, utc(2020, 11, 2, 5, 0, 0) * NS);
    /* time(1h) is UTC hours: a change of a whole interval never moves it. */
    st_tz_window(z, hour, 0, utc(2020, 3, 8, 7, 30, 0) * NS, &s, &e);
    ck_assert_int_eq(s, utc(2020, 3, 8, 7, 0, 0) * NS);
    ck_assert_int_eq(e, utc(2020, 3, 8, 8, 0, 0) * NS);
    st_tz_free(z);
    z = load("Asia/Kolkata");
    st_tz_window(z, hour, 0, utc(2024, 1, 1, 0, 10, 0) * NS, &s, &e);
    ck_assert_int_eq(s, utc(2023, 12, 31, 23, 30, 0) * NS);
    ck_assert_int_eq(e, utc(2024, 1, 1, 0, 30, 0) * NS);
    st_tz_window(z, day, 2 * hour, utc(2024, 1, 1, 0, 10, 0) * NS, &s, &e);
    ck_assert_int_eq(s, utc(2023, 12, 31, 20, 30, 0) * NS);
    ck_assert_int_eq(e, utc(2024, 1, 1, 20, 30, 0) * NS);
    st_tz_free(z);
    /* No zone: plain UTC alignment. */
    st_tz_window(NULL, hour, 0, -1, &s, &e);
    ck_assert_int_eq(s, -hour);
    ck_assert_int_eq(e, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tz");
    TCase *tc = tcase_create("tz");
    tcase_add_test(tc, test_tz_new_york);
    tcase_add_test(tc, test_tz_fixed_and_utc);
    tcase_add_test(tc, test_tz_london);
    tcase_add_test(tc, test_tz_footer_rule);
    tcase_add_test(tc, test_tz_from_local);
    tcase_add_test(tc, test_tz_window);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
