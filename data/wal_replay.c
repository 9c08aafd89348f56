/* Recovery of the WAL: reads every segment in order, cuts a torn tail off the
 * last one, reports damage to durable data; and the directory helpers that
 * st_wal_open() shares. The decisions (what is torn, what is corrupt) are
 * made by the pure scanner in wal_format.c; this file does the I/O. Reading
 * a segment reads the whole file into one buffer, reused from segment to
 * segment: segments are bounded by the size limit (64 MiB by default). */
#define _GNU_SOURCE
#include "wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "wal_int.h"

/* ---- Directory helpers --------------------------------------------------- */

void st_wal_seg_name(char *name, size_t size, uint64_t seq)
{
    snprintf(name, size, "%08" PRIu64 ".wal", seq);
}

/* Parses "<digits>.wal" into *@seq. */
static bool parse_st_wal_seg_name(const char *name, uint64_t *seq)
{
    size_t n = 0;
    uint64_t v = 0;
    while (name[n] >= '0' && name[n] <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(name[n] - '0');
        n++;
    }
    if (n == 0 || strcmp(name + n, ".wal") != 0 || v == 0)
        return false;
    *seq = v;
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists the segment numbers in @dirfd, ascending. Caller frees *@out. */
int st_wal_list_segments(int dirfd, uint64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int fd = dup(dirfd);
    if (fd < 0)
        return st_from_errno(errno);
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int rv = st_from_errno(errno);
        close(fd);
        return rv;
    }
    rewinddir(d);
    uint64_t *v = NULL;
    size_t len = 0, cap = 0;
    int rv = ST_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t seq;
        if (!parse_st_wal_seg_name(e->d_name, &seq))
            continue;
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            uint64_t *nv = realloc(v, ncap * sizeof(*v));
            if (nv == NULL) {
                rv = ST_ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        v[len++] = seq;
    }
    closedir(d);
    if (rv != ST_OK) {
        free(v);
        return rv;
    }
    if (len > 1)
        qsort(v, len, sizeof(*v), cmp_u64);
    *out = v;
    *n = len;
    return ST_OK;
}

int st_wal_lock_dir(int dirfd)
{
    if (flock(dirfd, LOCK_EX | LOCK_NB) == 0)
        return ST_OK;
    return errno == EWOULDBLOCK ? ST_EUNAVAIL : st_from_errno(errno);
}

int st_wal_fsync_fd(int fd)
{
    while (fsync(fd) != 0) {
        if (errno != EINTR)
            return st_from_errno(errno);
    }
    return ST_OK;
}

/* ---- Replay --------------------------------------------------------------- */

static int read_file(int dirfd, const char *name, struct st_buf *b)
{
    st_buf_reset(b);
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return st_from_errno(errno);
    int rv = ST_OK;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rv = st_from_errno(errno);
        goto out;
    }
    if ((rv = st_buf_reserve(b, (size_t)st.st_size)) != ST_OK)
        goto out;
    for (;;) {
        if (b->cap - b->len < 2 && (rv = st_buf_reserve(b, 65536)) != ST_OK)
            goto out;
        ssize_t k = pread(fd, b->p + b->len, b->cap - 1 - b->len, (off_t)b->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rv = st_from_errno(errno);
            goto out;
        }
        if (k == 0)
            break;
        b->len += (size_t)k;
    }
out:
    close(fd);
    return rv;
}

/* Cuts segment @name to @len bytes durably; removes it when not even its
 * header is left. */
static int cut_tail(int dirfd, const char *name, size_t len)
{
    if (len < ST_WAL_HEADER_SIZE) {
        if (unlinkat(dirfd, name, 0) != 0)
            return st_from_errno(errno);
        return st_wal_fsync_fd(dirfd);
    }
    int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return st_from_errno(errno);
    int rv = ftruncate(fd, (off_t)len) == 0 ? st_wal_fsync_fd(fd) : st_from_errno(errno);
    close(fd);
    return rv;
}

#define REPORT(...) snprintf(rep->message, sizeof(rep->message), __VA_ARGS__)

/* Replays one segment; @last says whether a torn tail may be cut. */
static int replay_one(int dirfd, const char *dir, uint64_t seq, bool last, struct st_buf *b,
                      st_wal_replay_cb cb, void *arg, struct st_wal_replay_report *rep)
{
    char name[32];
    st_wal_seg_name(name, sizeof(name), seq);
    int rv = read_file(dirfd, name, b);
    if (rv != ST_OK) {
        REPORT("wal %s/%s: read: %s", dir, name, st_strerror(rv));
        return rv;
    }
    struct st_wal_scan s;
    struct st_wal_record rec;
    st_wal_scan_init(&s, b->p, b->len);
    while (st_wal_scan_next(&s, &rec)) {
        if (s.seq != seq) {
            REPORT("wal %s/%s: offset 8: header says segment %" PRIu64, dir, name, s.seq);
            return ST_ECORRUPT;
        }
        if (cb != NULL && (rv = cb(rec.type, rec.payload, rec.len, arg)) != ST_OK) {
            REPORT("wal %s/%s: offset %zu: replay of a record of type %u failed: %s", dir, name,
                   rec.off, rec.type, st_strerror(rv));
            return rv;
        }
        rep->records++;
        rep->bytes += rec.len;
    }
    if (s.header_ok && s.seq != seq) {
        REPORT("wal %s/%s: offset 8: header says segment %" PRIu64, dir, name, s.seq);
        return ST_ECORRUPT;
    }
    switch (s.end) {
    case ST_WAL_END_CLEAN:
        return ST_OK;
    case ST_WAL_END_TORN:
        if (!last) {
            REPORT("wal %s/%s: offset %zu: %s in a segment that is not the last", dir, name,
                   s.bad_off, s.reason);
            return ST_ECORRUPT;
        }
        if ((rv = cut_tail(dirfd, name, s.end_off)) != ST_OK) {
            REPORT("wal %s/%s: cutting the torn tail at offset %zu: %s", dir, name, s.end_off,
                   st_strerror(rv));
            return rv;
        }
        rep->tail_truncated = true;
        rep->tail_offset = s.end_off < ST_WAL_HEADER_SIZE ? 0 : s.end_off;
        rep->truncated_bytes = b->len - rep->tail_offset;
        return ST_OK;
    default:
        if (s.proof_off)
            REPORT("wal %s/%s: offset %zu: %s (in the batch at offset %zu; the batch at offset %zu "
                   "was written after it was durable)",
                   dir, name, s.bad_off, s.reason, s.end_off, s.proof_off);
        else
            REPORT("wal %s/%s: offset %zu: %s", dir, name, s.bad_off, s.reason);
        return ST_ECORRUPT;
    }
}

int st_wal_replay(const char *dir, st_wal_replay_cb cb, void *arg, struct st_wal_replay_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        if (errno == ENOENT)
            return ST_OK;
        int rv = st_from_errno(errno);
        REPORT("wal %s: open: %s", dir, strerror(errno));
        return rv;
    }
    uint64_t *seqs = NULL;
    size_t n = 0;
    struct st_buf b;
    st_buf_init(&b);
    int rv = st_wal_lock_dir(dirfd);
    if (rv != ST_OK) {
        REPORT("wal %s: %s", dir,
               rv == ST_EUNAVAIL ? "in use (locked by an open WAL)" : st_strerror(rv));
        goto out;
    }
    if ((rv = st_wal_list_segments(dirfd, &seqs, &n)) != ST_OK) {
        REPORT("wal %s: list: %s", dir, st_strerror(rv));
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && seqs[i] != seqs[i - 1] + 1) {
            char name[32];
            st_wal_seg_name(name, sizeof(name), seqs[i - 1] + 1);
            REPORT("wal %s/%s: missing (segments %" PRIu64 " and %" PRIu64 " exist)", dir, name,
                   seqs[i - 1], seqs[i]);
            rv = ST_ECORRUPT;
            goto out;
        }
        if ((rv = replay_one(dirfd, dir, seqs[i], i + 1 == n, &b, cb, arg, rep)) != ST_OK)
            goto out;
        if (rep->segments++ == 0)
            rep->first_seq = seqs[i];
        rep->last_seq = seqs[i];
    }
out:
    st_buf_fini(&b);
    free(seqs);
    close(dirfd);
    return rv;
}
