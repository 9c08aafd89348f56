/* The bump allocator of parsed queries: chunks freed all at once. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "influxql_int.h"

#define CHUNK_MIN 4096

struct chunk {
    struct chunk *next;
    size_t cap, used;
    _Alignas(max_align_t) unsigned char mem[];
};

struct iql_arena {
    struct chunk *head;
};

int iql_arena_new(struct iql_arena **out)
{
    struct iql_arena *a = calloc(1, sizeof *a);
    if (a == NULL)
        return ST_ENOMEM;
    *out = a;
    return ST_OK;
}

void iql_arena_free(struct iql_arena *a)
{
    if (a == NULL)
        return;
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *iql_arena_alloc(struct iql_arena *a, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    struct chunk *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        if (cap > SIZE_MAX - sizeof *c)
            return NULL;
        c = malloc(sizeof *c + cap);
        if (c == NULL)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->mem + c->used;
    c->used += n;
    return p;
}

char *iql_arena_strndup(struct iql_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *d = iql_arena_alloc(a, n + 1);
    if (d == NULL)
        return NULL;
    if (n > 0)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void *iql_arena_grow(struct iql_arena *a, void *arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? 2 * *cap : 4;
    if (ncap > SIZE_MAX / size)
        return NULL; /* UNTESTED: no query is that large */
    void *grown = iql_arena_alloc(a, ncap * size);
    if (grown == NULL)
        return NULL;
    if (n > 0)
        memcpy(grown, arr, n * size);
    *cap = ncap;
    return grown;
}
