/* Growable byte buffer. Growth doubles, so appends are amortized O(1) and a
 * buffer reused across batches stops allocating once it is warm. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void st_buf_init(struct st_buf *b)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

void st_buf_fini(struct st_buf *b)
{
    free(b->p);
    st_buf_init(b);
}

int st_buf_reserve(struct st_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return ST_OK;
    if (need < b->len) /* overflow */
        return ST_ENOMEM;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return ST_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL)
        return ST_ENOMEM;
    b->p = p;
    b->cap = cap;
    return ST_OK;
}

int st_buf_append(struct st_buf *b, const void *src, size_t n)
{
    int rv = st_buf_reserve(b, n);
    if (rv != ST_OK)
        return rv;
    if (n)
        memcpy(b->p + b->len, src, n);
    b->len += n;
    b->p[b->len] = '\0';
    return ST_OK;
}

int st_buf_puts(struct st_buf *b, const char *s)
{
    return st_buf_append(b, s, strlen(s));
}

int st_buf_putc(struct st_buf *b, char c)
{
    return st_buf_append(b, &c, 1);
}

int st_buf_printf(struct st_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ST_EINVAL;
    int rv = st_buf_reserve(b, (size_t)n);
    if (rv != ST_OK)
        return rv;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return ST_OK;
}

int st_array_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return ST_OK;
    size_t ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL)
        return ST_ENOMEM;
    *arr = p;
    *cap = ncap;
    return ST_OK;
}
