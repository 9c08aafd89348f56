/* Deleting data: DROP SERIES and DELETE ... WHERE time.
 *
 * A delete of series S over [tmin, tmax] must remove what is stored now and
 * nothing written later. Three places hold data:
 * - the live cache: the values are removed from it at once;
 * - segment files (immutable): a tombstone (S, tmin, tmax, seq) hides the
 *   values of segments with a sequence number below seq, that is those
 *   written before the delete; compaction drops them for good, and a
 *   tombstone goes away once no older segment remains;
 * - the WAL: a delete record, replayed in order, removes from the rebuilt
 *   cache what records before it put there, and nothing after.
 * A pending flush is finished first, so no cache is half way to a segment.
 *
 * Order: the tombstone file is made durable first, then the WAL record; a
 * crash between the two leaves segment data deleted and cached data not,
 * for a delete that was never acknowledged. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "err.h"
#include "shard_int.h"

#define TOMB_MAGIC 0x42544d53u /* "SMTB" little-endian */
#define TOMB_VERSION 1u
#define TOMB_REC 28 /* series u32, tmin i64, tmax i64, seq u64 */

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int tomb_cmp(const void *a, const void *b)
{
    const struct tomb *x = a, *y = b;
    if (x->series != y->series)
        return x->series < y->series ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Writes @t[0..n) as <dir>/tombstones, atomically and durably. */
static int tombs_save(st_shard *s, const struct tomb *t, size_t n, char *err, size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/tombstones", s->dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n == 0) {
        if (unlink(path) != 0 && errno != ENOENT)
            return st_errf(err, errlen, st_from_errno(errno), "%s: %s", path, strerror(errno));
        return ST_OK;
    }
    size_t len = 12 + n * TOMB_REC + 4;
    uint8_t *buf = malloc(len);
    if (buf == NULL)
        return ST_ENOMEM;
    put32(buf, TOMB_MAGIC);
    put32(buf + 4, TOMB_VERSION);
    put32(buf + 8, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = buf + 12 + i * TOMB_REC;
        put32(r, t[i].series);
        put64(r + 4, (uint64_t)t[i].tmin);
        put64(r + 12, (uint64_t)t[i].tmax);
        put64(r + 20, t[i].seq);
    }
    put32(buf + len - 4, st_crc32c(0, buf, len - 4));
    int rv = ST_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len || fdatasync(fd) != 0) {
        int e = fd < 0 || errno ? errno : EIO;
        rv = st_errf(err, errlen, st_from_errno(e), "%s: %s", tmp, strerror(e));
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    if (rv == ST_OK && rename(tmp, path) != 0)
        rv = st_errf(err, errlen, st_from_errno(errno), "%s: %s", path, strerror(errno));
    if (rv == ST_OK) {
        int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    } else {
        unlink(tmp);
    }
    return rv;
}

int st_shard_tombs_load(st_shard *s, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/tombstones", s->dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? ST_OK
                   : st_errf(err, errlen, st_from_errno(errno), "%s: %s", path, strerror(errno));
    off_t size = lseek(fd, 0, SEEK_END);
    uint8_t *buf = size > 0 ? malloc((size_t)size) : NULL;
    int rv = ST_OK;
    if (buf == NULL || pread(fd, buf, (size_t)size, 0) != size) {
        rv = st_errf(err, errlen, buf ? ST_EIO : ST_ECORRUPT, "%s: cannot read", path);
        goto out;
    }
    size_t n = size >= 16 ? get32(buf + 8) : 0;
    if (size < 16 || get32(buf) != TOMB_MAGIC || get32(buf + 4) != TOMB_VERSION ||
        (size_t)size != 12 + n * TOMB_REC + 4 ||
        get32(buf + size - 4) != st_crc32c(0, buf, (size_t)size - 4)) {
        rv = st_errf(err, errlen, ST_ECORRUPT, "%s: bad header, length or checksum", path);
        goto out;
    }
    s->tombs = malloc(n * sizeof(*s->tombs));
    if (s->tombs == NULL) {
        rv = ST_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = buf + 12 + i * TOMB_REC;
        s->tombs[i] =
            (struct tomb){get32(r), (int64_t)get64(r + 4), (int64_t)get64(r + 12), get64(r + 20)};
    }
    s->ntombs = n;
    qsort(s->tombs, n, sizeof(*s->tombs), tomb_cmp);
out:
    free(buf);
    close(fd);
    return rv;
}

void st_shard_tombs_prune(st_shard *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t oldest = s->nsegs ? s->segs[0].seq : UINT64_MAX;
    for (size_t i = 1; i < s->nsegs; i++)
        if (s->segs[i].seq < oldest)
            oldest = s->segs[i].seq;
    size_t k = 0;
    for (size_t i = 0; i < s->ntombs; i++)
        if (s->tombs[i].seq > oldest) /* some segment older than it remains */
            s->tombs[k++] = s->tombs[i];
    if (k != s->ntombs) {
        char err[256];
        if (tombs_save(s, s->tombs, k, err, sizeof(err)) == ST_OK)
            s->ntombs = k;
        /* else: keep them all; they are correct, only redundant */
    }
    pthread_mutex_unlock(&s->mu);
}

static int id_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int st_shard_delete(st_shard *s, const uint32_t *ids, size_t n, int64_t tmin, int64_t tmax,
                    char *err, size_t errlen)
{
    if (n == 0 || tmin > tmax)
        return ST_OK;
    uint32_t *sorted = malloc(n * sizeof(*sorted));
    struct st_buf rec;
    st_buf_init(&rec);
    if (sorted == NULL)
        return ST_ENOMEM;
    memcpy(sorted, ids, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), id_cmp);
    int rv = ST_OK;
    pthread_mutex_lock(&s->bg_mu);
    if (s->flushing && (rv = st_shard_flush_once(s)) != ST_OK) {
        st_errf(err, errlen, rv, "flush before delete: %s", s->bg_error);
        goto out;
    }
    /* tombstones name series ids: make them durable first */
    if ((rv = st_index_sync(s->idx)) != ST_OK) {
        st_index_errmsg(s->idx, err, errlen);
        goto out;
    }
    uint8_t hdr[16];
    put64(hdr, (uint64_t)tmin);
    put64(hdr + 8, (uint64_t)tmax);
    rv = st_buf_append(&rec, hdr, sizeof(hdr));
    st_index_read_begin(s->idx);
    for (size_t i = 0; i < n && rv == ST_OK; i++) {
        struct st_slice key = st_index_series_key(s->idx, sorted[i]);
        uint8_t l[4];
        put32(l, key.len);
        if ((rv = st_buf_append(&rec, l, 4)) == ST_OK)
            rv = st_buf_append(&rec, key.p, key.len);
    }
    st_index_read_end(s->idx);
    if (rv != ST_OK)
        goto out;

    pthread_rwlock_wrlock(&s->gate);
    pthread_mutex_lock(&s->mu);
    struct tomb *t = malloc((s->ntombs + n) * sizeof(*t));
    if (t == NULL) {
        rv = ST_ENOMEM;
    } else {
        if (s->ntombs)
            memcpy(t, s->tombs, s->ntombs * sizeof(*t));
        for (size_t i = 0; i < n; i++)
            t[s->ntombs + i] = (struct tomb){sorted[i], tmin, tmax, s->next_seq};
        qsort(t, s->ntombs + n, sizeof(*t), tomb_cmp);
        rv = tombs_save(s, t, s->ntombs + n, err, errlen);
    }
    if (rv == ST_OK) {
        free(s->tombs);
        s->tombs = t;
        s->ntombs += n;
        t = NULL;
        rv = st_wal_append(s->wal, WAL_RECORD_DELETE, rec.p, rec.len);
        if (rv != ST_OK)
            st_errf(err, errlen, rv, "wal: %s", st_strerror(rv));
        st_cache_delete(s->cache, sorted, n, tmin, tmax);
    }
    free(t);
    pthread_mutex_unlock(&s->mu);
    pthread_rwlock_unlock(&s->gate);
out:
    pthread_mutex_unlock(&s->bg_mu);
    st_buf_fini(&rec);
    free(sorted);
    return rv;
}

int st_shard_replay_delete(st_shard *s, const uint8_t *p, size_t len)
{
    if (len < 16)
        return ST_ECORRUPT;
    int64_t tmin = (int64_t)get64(p), tmax = (int64_t)get64(p + 8);
    size_t cap = 16, n = 0;
    uint32_t *ids = malloc(cap * sizeof(*ids));
    if (ids == NULL)
        return ST_ENOMEM;
    int rv = ST_OK;
    st_index_read_begin(s->idx);
    for (size_t off = 16; off < len && rv == ST_OK;) {
        uint32_t kl;
        if (len - off < 4 || len - off - 4 < (kl = get32(p + off))) {
            rv = ST_ECORRUPT;
            break;
        }
        uint32_t id;
        if (st_index_lookup(s->idx, (const char *)p + off + 4, kl, &id) == ST_OK) {
            if (n == cap) {
                uint32_t *x = realloc(ids, (cap *= 2) * sizeof(*ids));
                if (x == NULL) {
                    rv = ST_ENOMEM;
                    break;
                }
                ids = x;
            }
            ids[n++] = id;
        }
        off += 4 + kl;
    }
    st_index_read_end(s->idx);
    if (rv == ST_OK && n) {
        qsort(ids, n, sizeof(*ids), id_cmp);
        pthread_mutex_lock(&s->mu);
        st_cache_delete(s->cache, ids, n, tmin, tmax);
        pthread_mutex_unlock(&s->mu);
    }
    free(ids);
    return rv;
}

/* ---- Dropped series ------------------------------------------------------ */

static int stop_at_first(void *arg, const struct st_scan_run *run)
{
    (void)run;
    *(bool *)arg = true;
    return ST_ECANCELED;
}

struct field_names {
    struct st_slice *names;
    enum st_field_type *types;
    size_t n, cap;
    struct st_buf text;
};

static int collect_field(void *arg, struct st_slice name, enum st_field_type type)
{
    struct field_names *f = arg;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        struct st_slice *p = realloc(f->names, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        f->names = p;
        enum st_field_type *t = realloc(f->types, cap * sizeof(*t));
        if (t == NULL)
            return ST_ENOMEM;
        f->types = t;
        f->cap = cap;
    }
    f->names[f->n] = (struct st_slice){(const char *)(uintptr_t)f->text.len, name.len};
    f->types[f->n++] = type;
    return st_buf_append(&f->text, name.p, name.len);
}

/* Whether series @id has any value left (under mu). */
static int series_has_data(st_shard *s, st_shard_reader *rd, uint32_t id, bool *any)
{
    struct field_names f = {0};
    struct st_index_key k;
    st_buf_init(&f.text);
    st_index_key_init(&k);
    *any = false;
    st_index_read_begin(s->idx);
    struct st_slice key = st_index_series_key(s->idx, id);
    int rv = key.p ? st_index_key_parse(&k, key.p, key.len) : ST_ENOTFOUND;
    if (rv == ST_OK)
        rv = st_index_fields(s->idx, k.measurement, collect_field, &f);
    st_index_read_end(s->idx);
    struct st_shard_scan_cb cb = {.values = stop_at_first, .arg = any};
    for (size_t i = 0; i < f.n && rv == ST_OK && !*any; i++) {
        struct st_slice name = {f.text.p + (uintptr_t)f.names[i].p, f.names[i].len};
        rv = st_shard_scan(s, rd, id, name, f.types[i], INT64_MIN, INT64_MAX, &cb);
        if (rv == ST_ECANCELED)
            rv = ST_OK;
    }
    free(f.names);
    free(f.types);
    st_buf_fini(&f.text);
    st_index_key_fini(&k);
    return rv == ST_ENOTFOUND ? ST_OK : rv;
}

int st_shard_dropped(st_shard *s, uint32_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    st_shard_reader *rd = NULL;
    int rv = ST_OK;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->ntombs && rv == ST_OK; i++) {
        const struct tomb *t = &s->tombs[i];
        if (t->tmin != INT64_MIN || t->tmax != INT64_MAX || (*n && (*ids)[*n - 1] == t->series))
            continue;
        if (rd == NULL && (rv = st_shard_reader_open(&rd)) != ST_OK)
            break;
        bool any;
        if ((rv = series_has_data(s, rd, t->series, &any)) != ST_OK || any)
            continue;
        uint32_t *p = realloc(*ids, (*n + 1) * sizeof(*p));
        if (p == NULL) {
            rv = ST_ENOMEM;
            break;
        }
        *ids = p;
        (*ids)[(*n)++] = t->series; /* tombs are sorted by series */
    }
    pthread_mutex_unlock(&s->mu);
    st_shard_reader_close(rd);
    if (rv != ST_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rv;
}
