/* Error codes shared by every strata module, from one X-macro table. */
#ifndef ST_ERR_H
#define ST_ERR_H

#include <stddef.h>

/* X(name, text): functions return int, ST_OK or one of these. */
#define ST_ERRNO_MAP(X)                  \
    X(ENOMEM, "out of memory")           \
    X(EINVAL, "invalid argument")        \
    X(EIO, "I/O error")                  \
    X(ECORRUPT, "data is corrupt")       \
    X(ENOTFOUND, "not found")            \
    X(EEXIST, "already exists")          \
    X(EPARSE, "parse error")             \
    X(ETYPE, "field type conflict")      \
    X(ERANGE, "value out of range")      \
    X(ENOSPC, "no space left on device") \
    X(ETIMEDOUT, "timed out")            \
    X(ECANCELED, "canceled")             \
    X(EUNAVAIL, "unavailable")           \
    X(ENOTLEADER, "not the leader")      \
    X(ENOLEADER, "no leader")            \
    X(EPROTO, "protocol error")          \
    X(EPERM, "permission denied")

enum {
    ST_OK = 0,
#define ST_ERR_ENUM(name, text) ST_##name,
    ST_ERRNO_MAP(ST_ERR_ENUM)
#undef ST_ERR_ENUM
        ST_ERR_MAX
};

/* Returns a static string describing @rv (ST_OK or an ST_E* code). */
const char *st_strerror(int rv);

/* Writes a printf-formatted message into @err (@errlen bytes; @err may be
 * NULL) and returns @rv, for one-line error exits:
 * `return st_errf(err, errlen, ST_ECORRUPT, "%s: bad footer", path);` */
int st_errf(char *err, size_t errlen, int rv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Maps a positive errno value to an ST_E* code (ENOMEM -> ST_ENOMEM, ...).
 * Called once, at the syscall wrapper. */
int st_from_errno(int err);

#endif
