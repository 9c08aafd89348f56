/* InfluxQL regexes over PCRE2.
 *
 * A compiled st_re is a pcre2_code (JIT-compiled when possible) and a match
 * context carrying the work limits; both are only read after compilation,
 * which is what lets any number of threads match one st_re at once. What a
 * match writes (the offsets, the interpreter's backtracking frames) lives
 * in match data that each call creates for itself with room for one offset
 * pair: a boolean match needs no captures.
 *
 * Why per call. Measured on this project's VM (2 vCPUs, PCRE2 10.42, JIT,
 * a 4-alternative pattern against 5-13 byte values, ns per match):
 * pcre2_match_data_create_from_pattern() per call 29, create(1) per call
 * 27, a per-thread cache behind a pthread key 21, a pool of 8 slots taken
 * with atomic exchange 26 alone but 90-120 with two threads (the slots'
 * cache line bounces). The per-thread cache saves ~6 ns but needs process
 * state (a key, its destructor) that outlives every st_re; per call is
 * within 30% of it and owns nothing. Without JIT per-call creation costs
 * more (~80 vs ~46 ns: the interpreter allocates its frame vector in each
 * new match data), but every platform strata runs on has the JIT.
 *
 * Failure modes. A match that exceeds the match or heap limit returns
 * false (regex.h). The JIT runs on a 32 KiB machine stack; a long subject
 * can exhaust it (PCRE2_ERROR_JIT_STACKLIMIT) on a pattern that is not
 * pathological at all, so that one error retries with the interpreter,
 * whose frames live on the heap under ST_RE_HEAP_LIMIT.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdlib.h>

#include "err.h"

struct st_re {
    pcre2_code *code;          /* compiled pattern, JIT code attached if any */
    pcre2_match_context *mctx; /* work limits; read-only after compile */
};

/* Go's regexp semantics where PCRE2 differs by default: $ is end of text
 * only; the subject may hold invalid UTF-8 (a tag value is any bytes); \C
 * (one code unit, can split a character) is not RE2 syntax. */
#define COMPILE_OPTIONS \
    (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C)

int st_re_compile(const char *pattern, size_t len, st_re **out, char *err, size_t errlen)
{
    int rv;
    *out = NULL;
    st_re *re = calloc(1, sizeof(*re));
    if (re == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "regex: out of memory"); /* UNTESTED */
    /* Lines end at \n alone, as in Go (. matches \r), whatever newline
     * convention this PCRE2 was built with. */
    pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
    if (cctx == NULL) {
        rv = st_errf(err, errlen, ST_ENOMEM, "regex: out of memory"); /* UNTESTED */
        goto err_after_alloc;
    }
    pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
    int code;
    PCRE2_SIZE off;
    re->code =
        pcre2_compile((PCRE2_SPTR)(len ? pattern : ""), len, COMPILE_OPTIONS, &code, &off, cctx);
    pcre2_compile_context_free(cctx);
    if (re->code == NULL) {
        if (code == PCRE2_ERROR_HEAP_FAILED) {
            rv = st_errf(err, errlen, ST_ENOMEM, "regex: out of memory"); /* UNTESTED */
            goto err_after_alloc;
        }
        PCRE2_UCHAR text[256];
        int n = pcre2_get_error_message(code, text, sizeof(text)); /* truncates to fit */
        const char *msg = n == PCRE2_ERROR_BADDATA ? "invalid pattern" : (const char *)text;
        rv = st_errf(err, errlen, ST_EPARSE, "%s at offset %zu", msg, (size_t)off);
        goto err_after_alloc;
    }
    /* No JIT for this CPU or build, or no memory for it: the interpreter
     * gives the same answers. */
    (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
    re->mctx = pcre2_match_context_create(NULL);
    if (re->mctx == NULL) {
        rv = st_errf(err, errlen, ST_ENOMEM, "regex: out of memory"); /* UNTESTED */
        goto err_after_code;
    }
    pcre2_set_match_limit(re->mctx, ST_RE_MATCH_LIMIT);
    pcre2_set_heap_limit(re->mctx, ST_RE_HEAP_LIMIT);
    *out = re;
    return ST_OK;

err_after_code:
    pcre2_code_free(re->code);
err_after_alloc:
    free(re);
    return rv;
}

bool st_re_match(const st_re *re, const char *s, size_t len)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (md == NULL)
        return false; /* UNTESTED: out of memory counts as no match */
    PCRE2_SPTR subject = (PCRE2_SPTR)(len ? s : "");
    int rc = pcre2_match(re->code, subject, len, 0, 0, md, re->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(re->code, subject, len, 0, PCRE2_NO_JIT, md, re->mctx);
    pcre2_match_data_free(md);
    /* 0 means a match whose captures did not fit the one offset pair. */
    return rc >= 0;
}

void st_re_free(st_re *re)
{
    if (re == NULL)
        return;
    pcre2_match_context_free(re->mctx);
    pcre2_code_free(re->code);
    free(re);
}
