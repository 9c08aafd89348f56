#include "testlib.h"
#include "lineproto.h"
START_TEST(test_placeholder) { ck_assert_int_eq(1, 1); }
END_TEST
int main(void) { Suite *s = suite_create("lineproto"); TCase *tc = tcase_create("x"); tcase_add_test(tc, test_placeholder); suite_add_tcase(s, tc); return t_run_suite(s); }
