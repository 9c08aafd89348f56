/* The shards of a data node. A shard lives in <dir>/shards/<id>; the store
 * keeps a small table of open shards with reference counts so that a drop
 * waits for the writes and reads running on the shard. */
#define _GNU_SOURCE /* nftw's FTW_DEPTH | FTW_PHYS */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

struct slot {
    uint64_t id;
    st_shard *shard;
    int refs;
};

struct st_store {
    char *dir;
    struct st_shard_opts opts;
    pthread_mutex_t mu;
    pthread_cond_t released;
    struct slot *slots;
    size_t n, cap;
};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void shard_path(const st_store *st, uint64_t id, char *out, size_t len)
{
    snprintf(out, len, "%s/shards/%llu", st->dir, (unsigned long long)id);
}

static int add_slot(st_store *st, uint64_t id, st_shard *s)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        struct slot *p = realloc(st->slots, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        st->slots = p;
        st->cap = cap;
    }
    st->slots[st->n++] = (struct slot){.id = id, .shard = s};
    return ST_OK;
}

static struct slot *find(st_store *st, uint64_t id)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->slots[i].id == id)
            return &st->slots[i];
    return NULL;
}

int st_store_open(const char *dir, const struct st_shard_opts *opts, st_store **out, char *err,
                  size_t errlen)
{
    int rv = ST_OK;
    st_store *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return ST_ENOMEM;
    st->opts = *opts;
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->released, NULL);
    if ((st->dir = strdup(dir)) == NULL) {
        rv = ST_ENOMEM;
        goto err;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/shards", dir);
    if ((mkdir(dir, 0755) != 0 && errno != EEXIST) || (mkdir(path, 0755) != 0 && errno != EEXIST)) {
        snprintf(err, errlen, "data dir %s: %s", path, strerror(errno));
        rv = st_from_errno(errno);
        goto err;
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        snprintf(err, errlen, "data dir %s: %s", path, strerror(errno));
        rv = st_from_errno(errno);
        goto err;
    }
    struct dirent *de;
    while (rv == ST_OK && (de = readdir(d)) != NULL) {
        char *end;
        unsigned long long id = strtoull(de->d_name, &end, 10);
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end != '\0')
            continue;
        st_shard *s;
        shard_path(st, id, path, sizeof(path));
        rv = st_shard_open(path, id, &st->opts, &s, err, errlen);
        if (rv == ST_OK && (rv = add_slot(st, id, s)) != ST_OK)
            st_shard_close(s);
    }
    closedir(d);
    if (rv != ST_OK)
        goto err;
    *out = st;
    return ST_OK;
err:
    st_store_close(st);
    return rv;
}

void st_store_close(st_store *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->n; i++)
        st_shard_close(st->slots[i].shard);
    free(st->slots);
    pthread_cond_destroy(&st->released);
    pthread_mutex_destroy(&st->mu);
    free(st->dir);
    free(st);
}

int st_store_acquire(st_store *st, uint64_t id, bool create, st_shard **out, char *err,
                     size_t errlen)
{
    int rv = ST_OK;
    pthread_mutex_lock(&st->mu);
    struct slot *sl = find(st, id);
    if (sl == NULL && !create) {
        rv = ST_ENOTFOUND;
    } else if (sl == NULL) {
        /* Opening under the store lock serializes shard creation: rare. */
        char path[4096];
        st_shard *s;
        shard_path(st, id, path, sizeof(path));
        rv = st_shard_open(path, id, &st->opts, &s, err, errlen);
        if (rv == ST_OK && (rv = add_slot(st, id, s)) != ST_OK)
            st_shard_close(s);
        sl = rv == ST_OK ? &st->slots[st->n - 1] : NULL;
    }
    if (sl) {
        sl->refs++;
        *out = sl->shard;
    }
    pthread_mutex_unlock(&st->mu);
    return rv;
}

void st_store_release(st_store *st, st_shard *s)
{
    pthread_mutex_lock(&st->mu);
    /* A shard is only taken out of the table once its count is zero, so
     * the slot of a shard still referenced is always there. */
    struct slot *sl = find(st, st_shard_id(s));
    if (sl)
        sl->refs--;
    pthread_cond_broadcast(&st->released);
    pthread_mutex_unlock(&st->mu);
}

int st_store_drop(st_store *st, uint64_t id)
{
    pthread_mutex_lock(&st->mu);
    struct slot *sl = find(st, id);
    if (sl == NULL) {
        pthread_mutex_unlock(&st->mu);
        return ST_ENOTFOUND;
    }
    /* Wait until nobody uses the shard, then take it out of the table. */
    while (sl->refs > 0) {
        pthread_cond_wait(&st->released, &st->mu);
        sl = find(st, id);
    }
    st_shard *s = sl->shard;
    *sl = st->slots[--st->n];
    pthread_mutex_unlock(&st->mu);

    st_shard_close(s);
    char path[4096];
    shard_path(st, id, path, sizeof(path));
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        return st_from_errno(errno);
    return ST_OK;
}

size_t st_store_count(st_store *st)
{
    pthread_mutex_lock(&st->mu);
    size_t n = st->n;
    pthread_mutex_unlock(&st->mu);
    return n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int st_store_ids(st_store *st, uint64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    pthread_mutex_lock(&st->mu);
    uint64_t *v = st->n ? malloc(st->n * sizeof(*v)) : NULL;
    if (st->n && v == NULL) {
        pthread_mutex_unlock(&st->mu);
        return ST_ENOMEM;
    }
    for (size_t i = 0; i < st->n; i++)
        v[i] = st->slots[i].id;
    *n = st->n;
    pthread_mutex_unlock(&st->mu);
    if (*n > 1)
        qsort(v, *n, sizeof(*v), cmp_u64);
    *ids = v;
    return ST_OK;
}

int st_store_flush_all(st_store *st)
{
    int first = ST_OK;
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->n; i++) {
        int rv = st_shard_flush(st->slots[i].shard);
        if (first == ST_OK)
            first = rv;
    }
    pthread_mutex_unlock(&st->mu);
    return first;
}
