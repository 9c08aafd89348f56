/* Shard snapshots: a consistent copy of a shard directory while it serves.
 *
 * Happy path. Under bg_mu no flush or compaction runs, so the set of files
 * stays still: no segment appears or disappears, the cache is not swapped,
 * and no WAL segment is rotated away or removed. Holding it, the snapshot
 *   1. hard-links every segment file: they are immutable once published
 *      (link(2) of a complete file; see segment_write.c);
 *   2. syncs the index (st_index_sync) and then copies index.log. Segments
 *      refer to series ids, and a flush syncs the index before it writes a
 *      segment, so the synced prefix already covers every id that a linked
 *      segment holds; the sync here makes sure the copied header says so.
 *      Appends go on while the file is copied (creating a series does not
 *      wait for bg_mu). A record caught half-written lies past the synced
 *      length, where st_index_open() treats a bad record as a torn tail and
 *      cuts it; the WAL replay re-creates the series it described. Only
 *      flushes and deletes sync the index, both under bg_mu, so the sync
 *      slots of the header are not rewritten under the copy (a torn slot
 *      would be ignored in favour of the other one anyway).
 *   2b. copies the tombstones file of pending deletes, if any: only deletes
 *      and compactions rewrite it, and both hold bg_mu; the series ids it
 *      names were synced by the delete before it was written.
 *   3. copies the WAL. Writers append concurrently, and a copy that raced a
 *      batch write could hold a batch with a hole followed by a later batch
 *      whose frame declares the hole's bytes durable. WAL replay reads that
 *      as damage to durable data (ST_ECORRUPT, docs/storage-wal.md), not as
 *      a torn tail. So the snapshot takes the gate for writing just long
 *      enough to list the WAL segments and take their sizes: writers hold
 *      the gate across their append, so with it held every append has
 *      returned, and the WAL thread writes nothing (rotation happens only
 *      in a flush or inside an append). Each file then ends on a batch
 *      boundary. After the gate is released new batches only go past those
 *      sizes (a failed batch is cut back to where it started, also past
 *      them), so the first `size` bytes of every segment stay as they were
 *      and are copied without the lock. The copy of the newest segment
 *      therefore scans clean, and every append acknowledged before the call
 *      is in it or in an older segment.
 * Every point acknowledged before the call is in a linked segment (flushed
 * before bg_mu was taken: its WAL may be gone) or in a copied WAL segment
 * (not flushed: its WAL segment cannot be removed while bg_mu is held).
 *
 * Crash safety. Everything is built in "<dst>.part": copies are fsynced, the
 * directories too, then "<dst>.part" is renamed to <dst> and the parent
 * fsynced. A crash leaves at most a ".part" directory, which the next
 * snapshot to the same place (or st_shard_snapshot_remove()) deletes.
 *
 * Failure modes. Any error removes "<dst>.part" and returns with a message
 * naming the file; the shard itself is never changed. A file system without
 * hard links between the two directories (EXDEV, EPERM, ...) gets copies. */
#define _GNU_SOURCE /* nftw's FTW_DEPTH | FTW_PHYS */
#include "shard_snap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "shard_int.h"

#define INDEX_LOG "index.log"   /* the index's file in the shard (index_int.h) */
#define WAL_DIR "wal"           /* the shard's WAL directory (shard.c) */
#define TOMBSTONES "tombstones" /* pending deletes (shard_delete.c) */
#define COPY_BUF (1u << 20)
#define PATH_LEN 4096

/* A WAL segment to copy: its name and the bytes to take. */
struct wal_file {
    char name[32];
    uint64_t size;
};

/* The state of one snapshot. */
struct snap {
    st_shard *s;         /* borrowed */
    char part[PATH_LEN]; /* "<dst>.part", where the files are built */
    char *buf;           /* COPY_BUF bytes of copy buffer */
    struct wal_file *wal;
    size_t nwal;
    char *err;
    size_t errlen;
};

static int os_err(struct snap *sn, int e, const char *what, const char *path)
{
    return st_errf(sn->err, sn->errlen, st_from_errno(e), "shard %" PRIu64 " snapshot: %s %s: %s",
                   sn->s->id, what, path, strerror(e));
}

/* Writes "<a>/<b>" into @out (PATH_LEN bytes); ST_EINVAL when too long. */
static int join(struct snap *sn, char *out, const char *a, const char *b)
{
    if ((size_t)snprintf(out, PATH_LEN, "%s/%s", a, b) < PATH_LEN)
        return ST_OK;
    return st_errf(sn->err, sn->errlen, ST_EINVAL,
                   "shard %" PRIu64 " snapshot: path too long: %s/%s", sn->s->id, a, b);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Removes @path and everything under it; a missing @path is fine. */
static int remove_tree(const char *path)
{
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        return st_from_errno(errno);
    return ST_OK;
}

int st_shard_snapshot_remove(const char *dir)
{
    char part[PATH_LEN];
    if ((size_t)snprintf(part, sizeof(part), "%s.part", dir) >= sizeof(part))
        return ST_EINVAL;
    int rv = remove_tree(dir);
    int rv2 = remove_tree(part);
    return rv != ST_OK ? rv : rv2;
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int e = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return e;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copies the first @limit bytes of @src to the new file @dst (all of @src
 * when @limit is UINT64_MAX) and fsyncs the copy. */
static int copy_file(struct snap *sn, const char *src, const char *dst, uint64_t limit)
{
    int rv = ST_OK, e;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return os_err(sn, errno, "open", src);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        rv = os_err(sn, errno, "create", dst);
        goto out_in;
    }
    uint64_t done = 0;
    while (done < limit) {
        size_t want = limit - done < COPY_BUF ? (size_t)(limit - done) : COPY_BUF;
        ssize_t k = read(in, sn->buf, want);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rv = os_err(sn, errno, "read", src);
            goto out_out;
        }
        if (k == 0)
            break;
        if ((e = write_all(out, sn->buf, (size_t)k)) != 0) {
            rv = os_err(sn, e, "write", dst);
            goto out_out;
        }
        done += (uint64_t)k;
    }
    if (limit != UINT64_MAX && done != limit) {
        /* UNTESTED: the bytes below a size taken under the gate never go away. */
        rv = st_errf(sn->err, sn->errlen, ST_EIO,
                     "shard %" PRIu64 " snapshot: %s: %" PRIu64 " bytes, expected %" PRIu64,
                     sn->s->id, src, done, limit);
        goto out_out;
    }
    if (fsync(out) != 0)
        rv = os_err(sn, errno, "fsync", dst);
out_out:
    close(out);
out_in:
    close(in);
    return rv;
}

/* A hard link to the immutable file @src, or a copy where links fail. */
static int link_or_copy(struct snap *sn, const char *src, const char *dst)
{
    if (link(src, dst) == 0)
        return ST_OK;
    if (errno == EXDEV || errno == EPERM || errno == EMLINK || errno == EOPNOTSUPP)
        return copy_file(sn, src, dst, UINT64_MAX); /* UNTESTED: needs a second file system */
    return os_err(sn, errno, "link", src);
}

static bool is_segment_name(const char *name)
{
    size_t n = strlen(name);
    return n > 8 && strncmp(name, "seg-", 4) == 0 && strcmp(name + n - 4, ".tsm") == 0;
}

/* Step 1: every published segment file (under bg_mu: the set is still). */
static int link_segments(struct snap *sn)
{
    DIR *d = opendir(sn->s->dir);
    if (d == NULL)
        return os_err(sn, errno, "list", sn->s->dir);
    int rv = ST_OK;
    struct dirent *de;
    char src[PATH_LEN], dst[PATH_LEN];
    while (rv == ST_OK && (errno = 0, de = readdir(d)) != NULL) {
        if (!is_segment_name(de->d_name))
            continue;
        if ((rv = join(sn, src, sn->s->dir, de->d_name)) == ST_OK &&
            (rv = join(sn, dst, sn->part, de->d_name)) == ST_OK)
            rv = link_or_copy(sn, src, dst);
    }
    if (rv == ST_OK && errno != 0)
        rv = os_err(sn, errno, "list", sn->s->dir); /* UNTESTED */
    closedir(d);
    return rv;
}

/* Step 2: the index, synced first. */
static int copy_index(struct snap *sn)
{
    int rv = st_index_sync(sn->s->idx);
    if (rv != ST_OK) {
        char msg[512];
        st_index_errmsg(sn->s->idx, msg, sizeof(msg));
        return st_errf(sn->err, sn->errlen, rv, "shard %" PRIu64 " snapshot: index sync: %s",
                       sn->s->id, msg[0] ? msg : st_strerror(rv));
    }
    char src[PATH_LEN], dst[PATH_LEN];
    if ((rv = join(sn, src, sn->s->dir, INDEX_LOG)) != ST_OK ||
        (rv = join(sn, dst, sn->part, INDEX_LOG)) != ST_OK)
        return rv;
    return copy_file(sn, src, dst, UINT64_MAX);
}

/* Step 2b: the tombstones of pending deletes, when there are any. They are
 * rewritten (a new file renamed into place) only by a delete or a
 * compaction, both under bg_mu: the file is still. */
static int copy_tombstones(struct snap *sn)
{
    char src[PATH_LEN], dst[PATH_LEN];
    struct stat st;
    int rv;
    if ((rv = join(sn, src, sn->s->dir, TOMBSTONES)) != ST_OK ||
        (rv = join(sn, dst, sn->part, TOMBSTONES)) != ST_OK)
        return rv;
    if (lstat(src, &st) != 0)
        return errno == ENOENT ? ST_OK : os_err(sn, errno, "stat", src);
    return copy_file(sn, src, dst, UINT64_MAX);
}

static bool is_wal_name(const char *name)
{
    size_t n = strspn(name, "0123456789");
    return n > 0 && strcmp(name + n, ".wal") == 0;
}

/* Lists the WAL segments with their sizes. Called with the gate held for
 * writing, so every segment ends on a batch boundary. */
static int list_wal(struct snap *sn, const char *waldir)
{
    DIR *d = opendir(waldir);
    if (d == NULL)
        return os_err(sn, errno, "list", waldir);
    int rv = ST_OK;
    size_t cap = 0;
    struct dirent *de;
    while (rv == ST_OK && (errno = 0, de = readdir(d)) != NULL) {
        if (!is_wal_name(de->d_name) || strlen(de->d_name) >= sizeof(sn->wal->name))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, 0) != 0) {
            rv = os_err(sn, errno, "stat", de->d_name); /* UNTESTED */
            break;
        }
        if (sn->nwal == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            struct wal_file *p = realloc(sn->wal, ncap * sizeof(*p));
            if (p == NULL) {
                rv = ST_ENOMEM;
                break;
            }
            sn->wal = p;
            cap = ncap;
        }
        struct wal_file *f = &sn->wal[sn->nwal++];
        size_t nl = strlen(de->d_name); /* < sizeof(f->name): checked above */
        memcpy(f->name, de->d_name, nl + 1);
        f->size = (uint64_t)st.st_size;
    }
    if (rv == ST_OK && errno != 0)
        rv = os_err(sn, errno, "list", waldir); /* UNTESTED */
    closedir(d);
    return rv;
}

/* Step 3: the WAL, sizes fixed under the gate, bytes copied after it. */
static int copy_wal(struct snap *sn)
{
    char waldir[PATH_LEN], dstwal[PATH_LEN], src[PATH_LEN], dst[PATH_LEN];
    int rv;
    if ((rv = join(sn, waldir, sn->s->dir, WAL_DIR)) != ST_OK ||
        (rv = join(sn, dstwal, sn->part, WAL_DIR)) != ST_OK)
        return rv;
    pthread_rwlock_wrlock(&sn->s->gate);
    rv = list_wal(sn, waldir);
    pthread_rwlock_unlock(&sn->s->gate);
    for (size_t i = 0; i < sn->nwal && rv == ST_OK; i++) {
        if ((rv = join(sn, src, waldir, sn->wal[i].name)) == ST_OK &&
            (rv = join(sn, dst, dstwal, sn->wal[i].name)) == ST_OK)
            rv = copy_file(sn, src, dst, sn->wal[i].size);
    }
    return rv;
}

/* Makes the built directory durable and moves it to @dst. */
static int publish(struct snap *sn, const char *dst)
{
    char path[PATH_LEN];
    int e, rv;
    if ((rv = join(sn, path, sn->part, WAL_DIR)) != ST_OK)
        return rv;
    if ((e = fsync_path(path, O_DIRECTORY)) != 0)
        return os_err(sn, e, "fsync", path);
    if ((e = fsync_path(sn->part, O_DIRECTORY)) != 0)
        return os_err(sn, e, "fsync", sn->part);
    if (rename(sn->part, dst) != 0)
        return os_err(sn, errno, "rename to", dst);
    /* The parent directory: where the new name lives. */
    snprintf(path, sizeof(path), "%s", dst);
    char *slash = strrchr(path, '/');
    if (slash == path)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(path, sizeof(path), ".");
    if ((e = fsync_path(path, O_DIRECTORY)) != 0) {
        rv = os_err(sn, e, "fsync", path); /* UNTESTED */
        remove_tree(dst);
        return rv;
    }
    return ST_OK;
}

int st_shard_snapshot(st_shard *s, const char *dst_dir, char *err, size_t errlen)
{
    struct snap sn = {.s = s, .err = err, .errlen = errlen};
    struct stat st;
    char path[PATH_LEN];
    int rv;
    if ((size_t)snprintf(sn.part, sizeof(sn.part), "%s.part", dst_dir) >= sizeof(sn.part))
        return st_errf(err, errlen, ST_EINVAL, "shard %" PRIu64 " snapshot: path too long: %s",
                       s->id, dst_dir);
    if (lstat(dst_dir, &st) == 0)
        return st_errf(err, errlen, ST_EEXIST, "shard %" PRIu64 " snapshot: %s exists", s->id,
                       dst_dir);
    /* A ".part" is what a crash left of an earlier snapshot to this place. */
    if ((rv = remove_tree(sn.part)) != ST_OK)
        return st_errf(err, errlen, rv, "shard %" PRIu64 " snapshot: removing %s: %s", s->id,
                       sn.part, st_strerror(rv));
    if (mkdir(sn.part, 0755) != 0)
        return os_err(&sn, errno, "mkdir", sn.part);
    if ((rv = join(&sn, path, sn.part, WAL_DIR)) != ST_OK)
        goto err_after_mkdir;
    if (mkdir(path, 0755) != 0) {
        rv = os_err(&sn, errno, "mkdir", path); /* UNTESTED */
        goto err_after_mkdir;
    }
    if ((sn.buf = malloc(COPY_BUF)) == NULL) {
        rv = st_errf(err, errlen, ST_ENOMEM, "shard %" PRIu64 " snapshot: out of memory", s->id);
        goto err_after_mkdir;
    }

    pthread_mutex_lock(&s->bg_mu);
    rv = link_segments(&sn);
    if (rv == ST_OK)
        rv = copy_index(&sn);
    if (rv == ST_OK)
        rv = copy_tombstones(&sn);
    if (rv == ST_OK)
        rv = copy_wal(&sn);
    pthread_mutex_unlock(&s->bg_mu);

    if (rv == ST_OK)
        rv = publish(&sn, dst_dir);
    if (rv != ST_OK)
        goto err_after_mkdir;
    free(sn.wal);
    free(sn.buf);
    return ST_OK;

err_after_mkdir:
    remove_tree(sn.part);
    free(sn.wal);
    free(sn.buf);
    return rv;
}
