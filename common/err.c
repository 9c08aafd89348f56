/* Error code strings and errno translation. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static const char *const err_text[] = {[ST_OK] = "success",
#define ST_ERR_TEXT(name, text) [ST_##name] = text,
                                       ST_ERRNO_MAP(ST_ERR_TEXT)
#undef ST_ERR_TEXT
};

const char *st_strerror(int rv)
{
    if (rv < 0 || rv >= ST_ERR_MAX)
        return "unknown error";
    return err_text[rv];
}

int st_from_errno(int err)
{
    switch (err) {
    case 0:
        return ST_OK;
    case ENOMEM:
        return ST_ENOMEM;
    case EINVAL:
        return ST_EINVAL;
    case ENOENT:
        return ST_ENOTFOUND;
    case EEXIST:
        return ST_EEXIST;
    case ENOSPC:
    case EDQUOT:
        return ST_ENOSPC;
    case ETIMEDOUT:
        return ST_ETIMEDOUT;
    case ECANCELED:
        return ST_ECANCELED;
    case ERANGE:
        return ST_ERANGE;
    default:
        return ST_EIO;
    }
}

int st_errf(char *err, size_t errlen, int rv, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rv;
}
