/* Memory of the query engine: the statement arena and the result's series. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "query_int.h"

struct rq_chunk {
    struct rq_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct rq_arena {
    struct rq_chunk *head;
};

int rq_arena_new(struct rq_arena **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? ST_OK : ST_ENOMEM;
}

void rq_arena_free(struct rq_arena *a)
{
    if (a == NULL)
        return;
    for (struct rq_chunk *c = a->head, *n; c != NULL; c = n) {
        n = c->next;
        free(c);
    }
    free(a);
}

void *rq_alloc(struct rq_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct rq_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > 32768 ? n : 32768;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *rq_strdup(struct rq_arena *a, const char *s, size_t n)
{
    char *d = rq_alloc(a, n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* The result's private part: its arena and the capacity of each series. */
struct qres_mem {
    struct rq_arena *ar;
    size_t series_cap;
    size_t rows_cap; /* of the last series */
};

static struct qres_mem *mem_of(struct st_qres *r)
{
    return r->mem;
}

void st_qres_free(struct st_qres *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nseries; i++)
        free(r->series[i].values);
    free(r->series);
    st_tz_free(r->tz);
    struct qres_mem *m = r->mem;
    if (m != NULL) {
        rq_arena_free(m->ar);
        free(m);
    }
    free(r);
}

int rq_res_new(struct st_qres **out)
{
    struct st_qres *r = calloc(1, sizeof(*r));
    struct qres_mem *m = calloc(1, sizeof(*m));
    if (r == NULL || m == NULL || rq_arena_new(&m->ar) != ST_OK) {
        free(r);
        free(m);
        return ST_ENOMEM;
    }
    r->mem = m;
    *out = r;
    return ST_OK;
}

const char *rq_res_str(struct st_qres *res, const char *s, size_t len)
{
    return rq_strdup(mem_of(res)->ar, s, len);
}

int rq_res_series(struct st_qres *res, const char *name, const Strata__Tag *const *tags,
                  size_t ntags, const struct rq_col *cols, size_t ncols)
{
    struct qres_mem *m = mem_of(res);
    if (res->nseries == m->series_cap) {
        size_t cap = m->series_cap ? m->series_cap * 2 : 8;
        void *np = realloc(res->series, cap * sizeof(*res->series));
        if (np == NULL)
            return ST_ENOMEM;
        res->series = np;
        m->series_cap = cap;
    }
    struct st_qseries *s = &res->series[res->nseries];
    memset(s, 0, sizeof(*s));
    s->name = rq_strdup(m->ar, name, strlen(name));
    s->columns = rq_alloc(m->ar, ncols * sizeof(*s->columns));
    if (s->name == NULL || s->columns == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < ncols; i++)
        if ((s->columns[i] = rq_strdup(m->ar, cols[i].name, strlen(cols[i].name))) == NULL)
            return ST_ENOMEM;
    s->ncolumns = ncols;
    bool any_tag = false;
    for (size_t i = 0; i < ncols; i++)
        any_tag = any_tag || cols[i].kind == RQ_COL_TAG;
    if (any_tag) {
        bool *is_tag = rq_alloc(m->ar, ncols * sizeof(*is_tag));
        if (is_tag == NULL)
            return ST_ENOMEM;
        for (size_t i = 0; i < ncols; i++)
            is_tag[i] = cols[i].kind == RQ_COL_TAG;
        s->is_tag = is_tag;
    }
    if (ntags > 0) {
        s->tags = rq_alloc(m->ar, ntags * sizeof(*s->tags));
        if (s->tags == NULL)
            return ST_ENOMEM;
        for (size_t i = 0; i < ntags; i++) {
            s->tags[i].key = rq_strdup(m->ar, tags[i]->key, strlen(tags[i]->key));
            s->tags[i].value = rq_strdup(m->ar, tags[i]->value, strlen(tags[i]->value));
            if (s->tags[i].key == NULL || s->tags[i].value == NULL)
                return ST_ENOMEM;
        }
        s->ntags = ntags;
    }
    res->nseries++;
    m->rows_cap = 0;
    return ST_OK;
}

void rq_res_drop_last(struct st_qres *res)
{
    struct st_qseries *s = &res->series[--res->nseries];
    free(s->values);
    memset(s, 0, sizeof(*s));
}

struct st_qv *rq_res_row(struct st_qres *res)
{
    struct qres_mem *m = mem_of(res);
    struct st_qseries *s = &res->series[res->nseries - 1];
    if (s->nrows == m->rows_cap) {
        size_t cap = m->rows_cap ? m->rows_cap * 2 : 16;
        void *np = realloc(s->values, cap * s->ncolumns * sizeof(*s->values));
        if (np == NULL)
            return NULL;
        s->values = np;
        m->rows_cap = cap;
    }
    struct st_qv *row = &s->values[s->nrows * s->ncolumns];
    memset(row, 0, s->ncolumns * sizeof(*row));
    s->nrows++;
    return row;
}

int rq_fail(struct rq_plan *p, const char *fmt, ...)
{
    va_list ap;
    char msg[1024];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    st_buf_reset(p->err);
    return st_buf_puts(p->err, msg) == ST_OK ? ST_EINVAL : ST_ENOMEM;
}

void *rq_res_alloc(struct st_qres *res, size_t n)
{
    return rq_alloc(mem_of(res)->ar, n);
}
