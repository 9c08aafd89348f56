/* The WAL of one shard: group commit on io_uring, rotation, recovery.
 *
 * Happy path. st_wal_append() runs in the caller's thread: it builds the
 * record's 9-byte frame header (the CRC is computed here, in parallel across
 * appenders), queues a request that borrows the payload, wakes the WAL
 * thread and sleeps until the request is done. The WAL thread, which alone
 * owns the current segment's fd and the io_uring, takes every queued record
 * (up to 511, or up to the segment limit), puts a batch frame in front and
 * submits one writev of all of them linked (IOSQE_IO_LINK) to one fsync with
 * IORING_FSYNC_DATASYNC; when both completions are in, it marks the requests
 * done and wakes their threads. While it writes, new appends queue up and
 * form the next batch: under load every fdatasync serves everyone who came
 * while the previous one ran. A dedicated thread rather than a leader elected
 * among the appenders keeps the ring and the fd in one thread, and lets the
 * thread also run interval syncs on a timer. The payloads are written from
 * the callers' memory: nothing is copied.
 *
 * ST_WAL_SYNC_INTERVAL: the fsync is not linked; requests complete after the
 * write, and the thread runs an fsync when data is unsynced and
 * sync_interval_ms have passed since the last one.
 *
 * Each batch frame records the segment's durable offset (synced bytes) at
 * the time it is written; wal_format.c explains how replay uses it to tell
 * a torn tail from corruption. Segments rotate when the next batch would
 * pass the size limit; the old one is synced and closed first, the new one
 * gets its header fdatasync'ed and the directory fsync'ed before any record
 * goes in. A clean close appends an empty batch that declares the whole
 * segment durable. Open always starts a new segment: old segments are never
 * written again, only replayed and removed.
 *
 * Failure modes. Short writes are advanced and resubmitted (the linked fsync
 * then completes with -ECANCELED and is resubmitted with the rest); -EAGAIN
 * and -EINTR are retried. A failed write or fdatasync (ENOSPC, EIO) fails
 * every request of the batch with the error, and the batch is cut off the
 * file (ftruncate to where it started, then fdatasync): the file ends on a
 * batch boundary again and the WAL stays usable. If the cut fails too, or an
 * fdatasync fails in interval mode (where acknowledged data may be gone),
 * the WAL is broken: the error sticks and every later append returns it;
 * the shard must close and replay. A crash at any instant leaves every
 * acknowledged batch (ALWAYS mode) on disk; a batch being written may be
 * torn, and replay cuts it.
 *
 * Setup I/O (directory listing, segment creation) and replay (wal_replay.c)
 * use plain syscalls: they are rare and not on the path of an append. */
#define _GNU_SOURCE
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "wal_int.h"

#define DEFAULT_SEGMENT (64u << 20)
#define MIN_SEGMENT 4096u
#define MAX_SEGMENT (1u << 30)
#define DEFAULT_INTERVAL_MS 100u
#define MAX_BATCH_RECORDS 511        /* 1 + 2 * 511 iovecs <= IOV_MAX */
#define MAX_BATCH_BYTES (256u << 20) /* fits the u32 of the batch frame */
#define RING_DEPTH 8

enum req_kind { REQ_RECORD, REQ_ROTATE };

/* One caller waiting in st_wal_append() or st_wal_rotate(); on its stack. */
struct req {
    struct req *next;
    enum req_kind kind;
    uint8_t hdr[ST_WAL_FRAME_HEADER]; /* the record's frame header */
    const void *payload;              /* borrowed from the caller */
    uint32_t len;
    uint64_t seq; /* REQ_ROTATE: the new segment */
    int rv;
    bool done;
};

struct seg {
    uint64_t seq;
    uint64_t bytes;
};

/* An io_uring operation; user_data points at it. */
struct op {
    int res;
    bool seen;
};

struct st_wal {
    char *dir;
    int dirfd; /* holds the flock */
    struct st_wal_opts opts;

    pthread_mutex_t mu;  /* guards the fields up to the thread's own */
    pthread_cond_t work; /* the WAL thread waits here */
    pthread_cond_t done; /* appenders wait here */
    struct req *head, **tailp;
    bool stopping;
    int broken;       /* sticky error; ST_OK while the WAL is usable */
    struct seg *segs; /* live segments, ascending; the last is current */
    size_t nsegs, segs_cap;
    char errmsg[256];

    /* Owned by the WAL thread once it runs. */
    pthread_t thread;
    bool thread_started;
    struct io_uring ring;
    bool ring_ok;
    int fd;           /* the current segment */
    uint64_t seq;     /* its number */
    uint64_t end;     /* bytes in it */
    uint64_t synced;  /* bytes of it known durable */
    uint64_t batches; /* batches in it */
    struct timespec last_sync;
    struct iovec iov[1 + 2 * MAX_BATCH_RECORDS];
    uint8_t batch[ST_WAL_BATCH_FRAME];
};

/* ---- Small helpers -------------------------------------------------------- */

static int pwrite_all(int fd, const void *p, size_t n, off_t off)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = pwrite(fd, c, n, off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return st_from_errno(errno);
        }
        c += k;
        n -= (size_t)k;
        off += k;
    }
    return ST_OK;
}

static void set_err(st_wal *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(st_wal *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&w->mu);
    vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
    pthread_mutex_unlock(&w->mu);
    va_end(ap);
}

/* Creates segment @seq in @dirfd with its header, durably (file and
 * directory entry). On success *@fd is open for writing. */
static int create_segment(int dirfd, uint64_t seq, int *fd, char *err, size_t errlen)
{
    char name[32];
    st_wal_seg_name(name, sizeof(name), seq);
    struct st_buf b;
    st_buf_init(&b);
    int rv = st_wal_encode_header(&b, seq);
    if (rv != ST_OK)
        goto err_after_buf;
    int f = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f < 0) {
        rv = st_from_errno(errno);
        snprintf(err, errlen, "create %s: %s", name, strerror(errno));
        goto err_after_buf;
    }
    rv = pwrite_all(f, b.p, b.len, 0);
    if (rv == ST_OK && fdatasync(f) != 0)
        rv = st_from_errno(errno);
    if (rv == ST_OK)
        rv = st_wal_fsync_fd(dirfd);
    if (rv != ST_OK) {
        snprintf(err, errlen, "create %s: %s", name, st_strerror(rv));
        goto err_after_open;
    }
    st_buf_fini(&b);
    *fd = f;
    return ST_OK;

err_after_open:
    close(f);
    unlinkat(dirfd, name, 0);
err_after_buf:
    st_buf_fini(&b);
    return rv;
}

/* ---- io_uring ------------------------------------------------------------ */

/* Waits for the completions of @ops (NULL entries skipped), marking each
 * seen. Returns ST_OK or the error of io_uring_wait_cqe itself. */
static int reap(st_wal *w, struct op *a, struct op *b)
{
    int want = (a != NULL) + (b != NULL);
    while (want > 0) {
        struct io_uring_cqe *cqe;
        int ret = io_uring_wait_cqe(&w->ring, &cqe);
        if (ret == -EINTR || ret == -EAGAIN)
            continue;
        if (ret < 0)
            return st_from_errno(-ret); /* UNTESTED: the ring itself failed */
        struct op *o = io_uring_cqe_get_data(cqe);
        o->res = cqe->res;
        o->seen = true;
        io_uring_cqe_seen(&w->ring, cqe);
        want--;
    }
    return ST_OK;
}

static int submit(st_wal *w)
{
    for (;;) {
        int ret = io_uring_submit(&w->ring);
        if (ret >= 0)
            return ST_OK;
        if (ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
            return st_from_errno(-ret); /* UNTESTED */
    }
}

/* fdatasync of the current segment through the ring. */
static int uring_fsync(st_wal *w)
{
    for (;;) {
        struct op op = {0};
        struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
        io_uring_prep_fsync(sqe, w->fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data(sqe, &op);
        int rv = submit(w);
        if (rv == ST_OK)
            rv = reap(w, &op, NULL);
        if (rv != ST_OK)
            return rv;
        if (op.res == -EAGAIN || op.res == -EINTR)
            continue;
        return op.res < 0 ? st_from_errno(-op.res) : ST_OK;
    }
}

/* Writes @total bytes from w->iov[0..@niov) at @off, then fdatasyncs if
 * @sync, advancing over short writes. w->iov is consumed. */
static int uring_write(st_wal *w, int niov, uint64_t off, size_t total, bool sync)
{
    struct iovec *iov = w->iov;
    size_t done = 0;
    int stalls = 0;
    while (done < total) {
        /* Every SQE the ring has is free: we never leave one behind. */
        struct op wop = {0}, sop = {0};
        struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
        io_uring_prep_writev(sqe, w->fd, iov, (unsigned)niov, off + done);
        io_uring_sqe_set_data(sqe, &wop);
        if (sync) {
            sqe->flags |= IOSQE_IO_LINK;
            sqe = io_uring_get_sqe(&w->ring);
            io_uring_prep_fsync(sqe, w->fd, IORING_FSYNC_DATASYNC);
            io_uring_sqe_set_data(sqe, &sop);
        }
        int rv = submit(w);
        if (rv == ST_OK)
            rv = reap(w, &wop, sync ? &sop : NULL);
        if (rv != ST_OK)
            return rv;
        if (wop.res == -EAGAIN || wop.res == -EINTR)
            continue;
        if (wop.res < 0)
            return st_from_errno(-wop.res);
        if (wop.res == 0 && ++stalls > 3)
            return ST_EIO; /* UNTESTED: a regular file that accepts nothing */
        size_t k = (size_t)wop.res;
        done += k;
        if (done == total) {
            /* The fsync ran after the whole write: its result counts. */
            if (!sync || sop.res == 0)
                return ST_OK;
            if (sop.res == -EAGAIN || sop.res == -EINTR || sop.res == -ECANCELED)
                return uring_fsync(w); /* UNTESTED: retried on its own */
            return st_from_errno(-sop.res);
        }
        /* Short write: the linked fsync was cancelled. Skip what went out. */
        while (niov > 0 && k >= iov->iov_len) {
            k -= iov->iov_len;
            iov++;
            niov--;
        }
        if (niov > 0) {
            iov->iov_base = (char *)iov->iov_base + k;
            iov->iov_len -= k;
        }
    }
    return ST_OK;
}

/* ---- The WAL thread ------------------------------------------------------- */

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Records the current segment's size for st_wal_size(). Under w->mu. */
static void account(st_wal *w)
{
    w->segs[w->nsegs - 1].bytes = w->end;
}

/* Interval mode: syncs what was written. A failure breaks the WAL, since
 * acknowledged data may be lost. Thread only. */
static int sync_now(st_wal *w)
{
    if (w->synced == w->end)
        return ST_OK;
    int rv = uring_fsync(w);
    if (rv != ST_OK) {
        /* UNTESTED: an fdatasync that fails (EIO) */
        set_err(w, "wal %s: segment %" PRIu64 ": fdatasync: %s; acknowledged writes may be lost",
                w->dir, w->seq, st_strerror(rv));
        pthread_mutex_lock(&w->mu);
        w->broken = rv;
        pthread_mutex_unlock(&w->mu);
        return rv;
    }
    w->synced = w->end;
    clock_gettime(CLOCK_MONOTONIC, &w->last_sync);
    return ST_OK;
}

/* Writes one batch of @n records (the chain starting at @first) plus its
 * batch frame at the end of the segment. On failure, cuts the batch off
 * again. Thread only. */
static int write_batch(st_wal *w, struct req *first, uint32_t n, size_t bytes)
{
    bool always = w->opts.sync_mode == ST_WAL_SYNC_ALWAYS;
    st_wal_batch_frame(w->batch, n, (uint32_t)bytes, w->synced);
    int niov = 0;
    w->iov[niov++] = (struct iovec){w->batch, ST_WAL_BATCH_FRAME};
    struct req *r = first;
    for (uint32_t i = 0; i < n; i++, r = r->next) {
        w->iov[niov++] = (struct iovec){r->hdr, ST_WAL_FRAME_HEADER};
        if (r->len > 0)
            w->iov[niov++] = (struct iovec){(void *)r->payload, r->len};
    }
    size_t total = ST_WAL_BATCH_FRAME + bytes;
    int rv = uring_write(w, niov, w->end, total, always);
    if (rv == ST_OK) {
        w->end += total;
        w->batches++;
        if (always) {
            w->synced = w->end;
            clock_gettime(CLOCK_MONOTONIC, &w->last_sync);
        }
        return ST_OK;
    }
    /* Cut the failed batch off so that the file ends on a batch boundary. */
    int cut = ftruncate(w->fd, (off_t)w->end) == 0 ? ST_OK : st_from_errno(errno);
    if (cut == ST_OK && fdatasync(w->fd) != 0)
        cut = st_from_errno(errno);
    if (cut != ST_OK) {
        /* UNTESTED: the cut fails too */
        set_err(w, "wal %s: segment %" PRIu64 ": write at %" PRIu64 ": %s; cutting it off: %s",
                w->dir, w->seq, w->end, st_strerror(rv), st_strerror(cut));
        pthread_mutex_lock(&w->mu);
        w->broken = rv;
        pthread_mutex_unlock(&w->mu);
    } else {
        w->synced = w->end; /* the fdatasync of the cut covered everything before */
        set_err(w, "wal %s: segment %" PRIu64 ": write at %" PRIu64 ": %s", w->dir, w->seq, w->end,
                st_strerror(rv));
    }
    return rv;
}

/* Starts segment seq + 1 after syncing the current one. On failure the
 * current segment stays. Thread only (and close, once the thread is gone). */
static int rotate(st_wal *w)
{
    int rv = sync_now(w);
    if (rv != ST_OK)
        return rv;
    char err[200] = "";
    int fd;
    if ((rv = create_segment(w->dirfd, w->seq + 1, &fd, err, sizeof(err))) != ST_OK) {
        set_err(w, "wal %s: rotate: %s", w->dir, err);
        return rv;
    }
    pthread_mutex_lock(&w->mu);
    if (w->nsegs == w->segs_cap) {
        size_t ncap = w->segs_cap * 2;
        struct seg *ns = realloc(w->segs, ncap * sizeof(*ns));
        if (ns == NULL) {
            pthread_mutex_unlock(&w->mu);
            char name[32];
            st_wal_seg_name(name, sizeof(name), w->seq + 1);
            close(fd);
            unlinkat(w->dirfd, name, 0);
            return ST_ENOMEM;
        }
        w->segs = ns;
        w->segs_cap = ncap;
    }
    w->segs[w->nsegs++] = (struct seg){w->seq + 1, ST_WAL_HEADER_SIZE};
    pthread_mutex_unlock(&w->mu);
    close(w->fd);
    w->fd = fd;
    w->seq++;
    w->end = w->synced = ST_WAL_HEADER_SIZE;
    w->batches = 0;
    return ST_OK;
}

/* Completes the @n requests from @first with @rv. Under w->mu. */
static void complete(st_wal *w, struct req *first, uint32_t n, int rv)
{
    for (uint32_t i = 0; i < n; i++) {
        struct req *next = first->next;
        first->rv = rv;
        first->done = true;
        first = next;
    }
    pthread_cond_broadcast(&w->done);
}

/* Waits for work; in interval mode wakes up when a sync is due. Under mu. */
static void wait_work(st_wal *w)
{
    if (w->opts.sync_mode == ST_WAL_SYNC_INTERVAL && w->synced < w->end && w->broken == ST_OK) {
        struct timespec t = w->last_sync;
        uint64_t ns = (uint64_t)t.tv_nsec + (uint64_t)w->opts.sync_interval_ms * 1000000u;
        t.tv_sec += (time_t)(ns / 1000000000u);
        t.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&w->work, &w->mu, &t);
    } else {
        pthread_cond_wait(&w->work, &w->mu);
    }
}

static bool sync_due(st_wal *w)
{
    if (w->opts.sync_mode != ST_WAL_SYNC_INTERVAL || w->synced == w->end)
        return false;
    uint64_t last = (uint64_t)w->last_sync.tv_sec * 1000 + (uint64_t)w->last_sync.tv_nsec / 1000000;
    return mono_ms() >= last + w->opts.sync_interval_ms;
}

static void *wal_thread(void *arg)
{
    st_wal *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (sync_due(w) && w->broken == ST_OK) {
            pthread_mutex_unlock(&w->mu);
            sync_now(w);
            pthread_mutex_lock(&w->mu);
            continue;
        }
        struct req *r = w->head;
        if (r == NULL) {
            if (w->stopping)
                break;
            wait_work(w);
            continue;
        }
        if (w->broken != ST_OK) {
            /* Fail everything queued; appends see the error themselves. */
            w->head = r->next;
            if (w->head == NULL)
                w->tailp = &w->head;
            complete(w, r, 1, w->broken);
            continue;
        }
        if (r->kind == REQ_ROTATE) {
            w->head = r->next;
            if (w->head == NULL)
                w->tailp = &w->head;
            pthread_mutex_unlock(&w->mu);
            int rv = w->batches == 0 ? ST_OK : rotate(w);
            pthread_mutex_lock(&w->mu);
            r->seq = w->seq;
            complete(w, r, 1, rv);
            continue;
        }
        /* Rotate first when this record would push a used segment past the limit. */
        size_t first = st_wal_record_size(r->len);
        if (w->batches > 0 && w->end + ST_WAL_BATCH_FRAME + first > w->opts.segment_size) {
            pthread_mutex_unlock(&w->mu);
            int rv = rotate(w);
            pthread_mutex_lock(&w->mu);
            if (rv != ST_OK) {
                /* UNTESTED: the records wait no longer; the old segment stays. */
                w->head = r->next;
                if (w->head == NULL)
                    w->tailp = &w->head;
                complete(w, r, 1, rv);
            }
            continue;
        }
        /* Take every queued record that fits this batch. */
        uint32_t n = 0;
        size_t bytes = 0;
        struct req *last = NULL, *q = r;
        while (q != NULL && q->kind == REQ_RECORD && n < MAX_BATCH_RECORDS) {
            size_t sz = st_wal_record_size(q->len);
            if (n > 0 && (w->end + ST_WAL_BATCH_FRAME + bytes + sz > w->opts.segment_size ||
                          bytes + sz > MAX_BATCH_BYTES))
                break;
            bytes += sz;
            n++;
            last = q;
            q = q->next;
        }
        w->head = q;
        if (q == NULL)
            w->tailp = &w->head;
        last->next = NULL;
        pthread_mutex_unlock(&w->mu);
        int rv = write_batch(w, r, n, bytes);
        pthread_mutex_lock(&w->mu);
        account(w);
        complete(w, r, n, rv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- Public API ---------------------------------------------------------- */

static int check_opts(const struct st_wal_opts *in, struct st_wal_opts *o)
{
    memset(o, 0, sizeof(*o));
    if (in != NULL)
        *o = *in;
    if (o->segment_size == 0)
        o->segment_size = DEFAULT_SEGMENT;
    if (o->segment_size < MIN_SEGMENT || o->segment_size > MAX_SEGMENT)
        return ST_EINVAL;
    if (o->sync_mode != ST_WAL_SYNC_ALWAYS && o->sync_mode != ST_WAL_SYNC_INTERVAL)
        return ST_EINVAL;
    if (o->sync_interval_ms == 0)
        o->sync_interval_ms = DEFAULT_INTERVAL_MS;
    return ST_OK;
}

/* Creates @dir if missing and makes its entry durable. */
static int make_dir(const char *dir)
{
    if (mkdir(dir, 0755) != 0)
        return errno == EEXIST ? ST_OK : st_from_errno(errno);
    char *parent = strdup(dir);
    if (parent == NULL)
        return ST_ENOMEM;
    for (size_t n = strlen(parent); n > 1 && parent[n - 1] == '/'; n--)
        parent[n - 1] = '\0';
    char *slash = strrchr(parent, '/');
    const char *p = slash == NULL ? "." : slash == parent ? "/" : parent;
    if (slash != NULL && slash != parent)
        *slash = '\0';
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rv = fd < 0 ? st_from_errno(errno) : st_wal_fsync_fd(fd);
    if (fd >= 0)
        close(fd);
    free(parent);
    return rv;
}

int st_wal_open(const char *dir, const struct st_wal_opts *opts, st_wal **out)
{
    int rv;
    *out = NULL;
    st_wal *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return ST_ENOMEM;
    w->dirfd = -1;
    w->fd = -1;
    if ((rv = check_opts(opts, &w->opts)) != ST_OK)
        goto err_after_alloc;
    if ((w->dir = strdup(dir)) == NULL) {
        rv = ST_ENOMEM;
        goto err_after_alloc;
    }
    if ((rv = make_dir(dir)) != ST_OK)
        goto err_after_alloc;
    if ((w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rv = st_from_errno(errno);
        goto err_after_alloc;
    }
    if ((rv = st_wal_lock_dir(w->dirfd)) != ST_OK)
        goto err_after_dir;

    /* The existing segments stay live until st_wal_remove_before(). */
    uint64_t *seqs;
    size_t n;
    if ((rv = st_wal_list_segments(w->dirfd, &seqs, &n)) != ST_OK)
        goto err_after_dir;
    w->segs_cap = n + 16;
    w->segs = calloc(w->segs_cap, sizeof(*w->segs));
    if (w->segs == NULL) {
        free(seqs);
        rv = ST_ENOMEM;
        goto err_after_dir;
    }
    for (size_t i = 0; i < n; i++) {
        char name[32];
        struct stat st;
        st_wal_seg_name(name, sizeof(name), seqs[i]);
        w->segs[i].seq = seqs[i];
        if (fstatat(w->dirfd, name, &st, 0) == 0)
            w->segs[i].bytes = (uint64_t)st.st_size;
    }
    w->nsegs = n;
    w->seq = n ? seqs[n - 1] + 1 : 1;
    free(seqs);

    int ret = io_uring_queue_init(RING_DEPTH, &w->ring, 0);
    if (ret < 0) {
        rv = st_from_errno(-ret);
        goto err_after_segs;
    }
    w->ring_ok = true;
    char err[200];
    if ((rv = create_segment(w->dirfd, w->seq, &w->fd, err, sizeof(err))) != ST_OK)
        goto err_after_ring;
    w->segs[w->nsegs++] = (struct seg){w->seq, ST_WAL_HEADER_SIZE};
    w->end = w->synced = ST_WAL_HEADER_SIZE;
    clock_gettime(CLOCK_MONOTONIC, &w->last_sync);

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, &ca);
    pthread_cond_init(&w->done, NULL);
    pthread_condattr_destroy(&ca);
    w->tailp = &w->head;
    if (pthread_create(&w->thread, NULL, wal_thread, w) != 0) {
        rv = ST_ENOMEM; /* UNTESTED */
        goto err_after_sync;
    }
    w->thread_started = true;
    *out = w;
    return ST_OK;

err_after_sync:
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->mu);
    close(w->fd);
    st_wal_seg_name(err, sizeof(err), w->seq);
    unlinkat(w->dirfd, err, 0);
err_after_ring:
    io_uring_queue_exit(&w->ring);
err_after_segs:
    free(w->segs);
err_after_dir:
    close(w->dirfd);
err_after_alloc:
    free(w->dir);
    free(w);
    return rv;
}

int st_wal_close(st_wal *w)
{
    if (w == NULL)
        return ST_OK;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);

    /* The thread is gone: its state is ours. Mark the segment durable to its
     * end with an empty batch, so that replay can tell damage to its last
     * batches from a torn tail. */
    int rv = w->broken;
    if (rv == ST_OK)
        rv = sync_now(w);
    if (rv == ST_OK)
        rv = write_batch(w, NULL, 0, 0);
    if (rv == ST_OK)
        rv = sync_now(w);
    close(w->fd);
    io_uring_queue_exit(&w->ring);
    close(w->dirfd);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->mu);
    free(w->segs);
    free(w->dir);
    free(w);
    return rv;
}

/* Queues @r and waits until the WAL thread completed it. */
static int run(st_wal *w, struct req *r)
{
    pthread_mutex_lock(&w->mu);
    int rv = w->broken != ST_OK ? w->broken : w->stopping ? ST_ECANCELED : ST_OK;
    if (rv == ST_OK) {
        r->next = NULL;
        *w->tailp = r;
        w->tailp = &r->next;
        pthread_cond_signal(&w->work);
        while (!r->done)
            pthread_cond_wait(&w->done, &w->mu);
        rv = r->rv;
    }
    pthread_mutex_unlock(&w->mu);
    return rv;
}

int st_wal_append(st_wal *w, uint8_t type, const void *payload, size_t len)
{
    if (type == 0 || type > ST_WAL_TYPE_MAX || len > ST_WAL_MAX_PAYLOAD ||
        (payload == NULL && len > 0))
        return ST_EINVAL;
    struct req r = {.kind = REQ_RECORD, .payload = payload, .len = (uint32_t)len};
    st_wal_frame_header(r.hdr, type, len ? payload : "", (uint32_t)len);
    return run(w, &r);
}

int st_wal_rotate(st_wal *w, uint64_t *seq)
{
    struct req r = {.kind = REQ_ROTATE};
    int rv = run(w, &r);
    if (rv == ST_OK)
        *seq = r.seq;
    return rv;
}

int st_wal_remove_before(st_wal *w, uint64_t seq)
{
    /* Take the victims off the list first, so that the unlinks run unlocked. */
    pthread_mutex_lock(&w->mu);
    size_t k = 0;
    while (k + 1 < w->nsegs && w->segs[k].seq < seq)
        k++;
    uint64_t *victims = k ? malloc(k * sizeof(*victims)) : NULL;
    if (k && victims == NULL) {
        pthread_mutex_unlock(&w->mu);
        return ST_ENOMEM;
    }
    for (size_t i = 0; i < k; i++)
        victims[i] = w->segs[i].seq;
    memmove(w->segs, w->segs + k, (w->nsegs - k) * sizeof(*w->segs));
    w->nsegs -= k;
    pthread_mutex_unlock(&w->mu);

    int rv = ST_OK;
    for (size_t i = 0; i < k && rv == ST_OK; i++) {
        char name[32];
        st_wal_seg_name(name, sizeof(name), victims[i]);
        if (unlinkat(w->dirfd, name, 0) != 0 && errno != ENOENT) {
            rv = st_from_errno(errno); /* UNTESTED */
            set_err(w, "wal %s: remove %s: %s", w->dir, name, strerror(errno));
        }
    }
    /* Oldest first: a crash halfway leaves a contiguous run of segments. */
    if (k && rv == ST_OK && (rv = st_wal_fsync_fd(w->dirfd)) != ST_OK)
        set_err(w, "wal %s: fsync of the directory: %s", w->dir, st_strerror(rv));
    free(victims);
    return rv;
}

uint64_t st_wal_size(st_wal *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t n = 0;
    for (size_t i = 0; i < w->nsegs; i++)
        n += w->segs[i].bytes;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void st_wal_errmsg(st_wal *w, char *buf, size_t size)
{
    if (size == 0)
        return;
    pthread_mutex_lock(&w->mu);
    snprintf(buf, size, "%s", w->errmsg);
    pthread_mutex_unlock(&w->mu);
}
