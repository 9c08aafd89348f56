/* Growable byte buffer: the one place strata appends bytes to memory. */
#ifndef ST_BUF_H
#define ST_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A caller-embedded buffer. @p is NUL-terminated whenever cap > 0, so text
 * built here can be printed directly. */
struct st_buf {
    char *p;    /* bytes; owned by the buffer */
    size_t len; /* bytes in use, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
};

/* Initializes an empty buffer; allocates nothing. */
void st_buf_init(struct st_buf *b);

/* Frees the memory. Safe on a zeroed or initialized buffer, twice too. */
void st_buf_fini(struct st_buf *b);

/* Makes room for @extra more bytes (plus the NUL). ST_OK or ST_ENOMEM. */
int st_buf_reserve(struct st_buf *b, size_t extra);

/* Grows the array *@arr of *@cap elements of @elem bytes to hold @need,
 * doubling from 64 (kept when it is big enough): parse arrays reused
 * across requests stop allocating. ST_OK or ST_ENOMEM (*@arr unchanged). */
int st_array_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* Appends @n bytes copied from @src. ST_OK or ST_ENOMEM. */
int st_buf_append(struct st_buf *b, const void *src, size_t n);

/* Appends a NUL-terminated string (copied). */
int st_buf_puts(struct st_buf *b, const char *s);

/* Appends one byte. */
int st_buf_putc(struct st_buf *b, char c);

/* Appends printf-formatted text. ST_OK, ST_ENOMEM or ST_EINVAL. */
int st_buf_printf(struct st_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forgets the content, keeps the memory. */
static inline void st_buf_reset(struct st_buf *b)
{
    b->len = 0;
    if (b->cap)
        b->p[0] = '\0';
}

#endif
