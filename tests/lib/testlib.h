/* Helpers shared by strata's Check tests (t_ prefix). */
#ifndef ST_TESTLIB_H
#define ST_TESTLIB_H

#include <check.h>
#include <stddef.h>

/* Runs @s with Check in fork mode and returns the process exit status:
 * 0 when every test passed. */
int t_run_suite(Suite *s);

/* Path of a file under the build tree (ST_BUILD_DIR, set by ctest) or the
 * source tree (ST_SOURCE_DIR). Returns a static buffer. */
const char *t_build_path(const char *rel);
const char *t_source_path(const char *rel);

/* Runs @argv (argv[0] a path) with @input on its stdin; captures stdout into
 * a malloc'ed NUL-terminated string (*@out, caller frees) and returns the
 * exit status, or -1 if it could not run or did not exit normally. */
int t_run_capture(char *const argv[], const char *input, size_t input_len, char **out);

#endif
