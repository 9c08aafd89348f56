/* InfluxQL regular expressions (=~ /re/, !~ /re/) over PCRE2, matched unanchored like Go's RE2. */
#ifndef ST_REGEX_H
#define ST_REGEX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * InfluxDB 1.x compiles the text between the slashes with Go's regexp
 * package (RE2 syntax) and tests it with MatchString: unanchored, so /us/
 * matches "us-west"; ^ and $ anchor only when written. strata compiles the
 * same text with PCRE2 in UTF-8 mode with options that make the common
 * syntax behave as in Go (docs/tag-predicates.md lists the differences):
 * $ matches only at the very end (PCRE2_DOLLAR_ENDONLY), \d \w \s and
 * [[:alpha:]] are ASCII-only as in Go, (?i) folds Unicode case, \C is
 * refused, and subjects that are not valid UTF-8 are matched rather than
 * refused (PCRE2_MATCH_INVALID_UTF).
 *
 * Work limit. A match gives up after ST_RE_MATCH_LIMIT backtracking steps,
 * ST_RE_HEAP_LIMIT KiB of backtracking memory, or when the JIT's 32 KiB
 * machine stack overflows and the interpreter then also hits a limit. A
 * match that gives up counts as NO match: a pathological pattern such as
 * /^(\w+\s?)*$/ against a long non-matching value costs a bounded amount
 * of work (milliseconds) and matches nothing, instead of pinning a core.
 * RE2 cannot backtrack, so InfluxDB has no such case: the limit is the price
 * of PCRE2's backtracking, and only patterns that RE2 runs in linear time
 * but PCRE2 does not can see it.
 */
#define ST_RE_MATCH_LIMIT 1000000u /* pcre2_set_match_limit() */
#define ST_RE_HEAP_LIMIT 32768u    /* KiB; pcre2_set_heap_limit() */

typedef struct st_re st_re;

/* Compiles @pattern (@len bytes, borrowed, need not be NUL-terminated; the
 * empty pattern matches everything). JIT-compiles it when PCRE2 has a JIT
 * for this CPU, else matches with the interpreter (same results, slower).
 * Caller owns *@out; free with st_re_free(). On error writes PCRE2's
 * message and the byte offset into @err (@errlen bytes; may be NULL):
 * "missing closing parenthesis at offset 3". ST_OK, ST_EPARSE (bad
 * pattern) or ST_ENOMEM. */
int st_re_compile(const char *pattern, size_t len, st_re **out, char *err, size_t errlen);

/* Whether @re matches anywhere in @s (@len bytes, borrowed, need not be
 * NUL-terminated). Any number of threads may match one st_re at once: the
 * compiled pattern and its limits are read-only, and each call creates its
 * own one-pair match data (a ~120-byte malloc/free: ~27 ns a match on a
 * short value against ~21 ns with a per-thread cache, measured with JIT
 * on this project's VM; see docs/tag-predicates.md). A match that hits the
 * work limit, or whose match data cannot be allocated, returns false. */
bool st_re_match(const st_re *re, const char *s, size_t len);

/* Frees @re. NULL is fine. */
void st_re_free(st_re *re);

#endif
