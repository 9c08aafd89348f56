/* Hinted handoff queue: segment files of CRC-checked records, an ack offset.
 *
 * The whole index is in memory: the segments' start offsets and valid
 * sizes. Appends go to the last segment (a new one past HH_SEG_MAX) and are
 * fdatasync'ed before returning. The replayer reads the record at the ack
 * offset with pread; acking past a segment's end unlinks it. */
#include "hh.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "err.h"

#define HH_SEG_MAX (16u << 20)
#define HH_HDR 8u
#define HH_MAX_RECORD (256u << 20)

struct hh_seg {
    uint64_t start; /* offset of its first byte */
    uint64_t size;  /* bytes of whole, valid records */
    uint64_t nrec;  /* records in it */
};

struct st_hh {
    pthread_mutex_t mu;
    char *dir;
    uint64_t max_bytes;
    struct hh_seg *segs;
    size_t nsegs, cap;
    int wfd;          /* the last segment, for appends; -1 if none */
    int rfd;          /* the segment being read; -1 if none */
    uint64_t rstart;  /* start offset of rfd's segment */
    uint64_t head;    /* first unreplayed byte */
    uint64_t tail;    /* next append */
    uint64_t records; /* unreplayed */
    int ackfd;
};

static void seg_path(const st_hh *q, uint64_t start, char *out, size_t n)
{
    snprintf(out, n, "%s/%020" PRIu64 ".hh", q->dir, start);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int cmp_seg(const void *a, const void *b)
{
    const struct hh_seg *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int push_seg(st_hh *q, uint64_t start)
{
    if (q->nsegs == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        struct hh_seg *s = realloc(q->segs, cap * sizeof(*s));
        if (s == NULL)
            return ST_ENOMEM;
        q->segs = s;
        q->cap = cap;
    }
    q->segs[q->nsegs++] = (struct hh_seg){.start = start};
    return ST_OK;
}

/* Counts @s's valid records from its file; cuts a torn or corrupt tail.
 * Returns true when the file was whole. */
static bool scan_seg(st_hh *q, struct hh_seg *s, char *err, size_t errlen)
{
    char path[4096];
    seg_path(q, s->start, path, sizeof(path));
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        st_errf(err, errlen, ST_EIO, "hinted handoff: %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    fstat(fd, &st);
    uint64_t off = 0, len = (uint64_t)st.st_size;
    uint8_t hdr[HH_HDR];
    uint8_t *buf = NULL;
    bool whole = true;
    while (off < len) {
        if (len - off < HH_HDR || pread(fd, hdr, HH_HDR, (off_t)off) != HH_HDR) {
            whole = false;
            break;
        }
        uint32_t n = get32(hdr);
        if (n > HH_MAX_RECORD || len - off - HH_HDR < n) {
            whole = false;
            break;
        }
        uint8_t *nb = realloc(buf, n ? n : 1);
        if (nb == NULL) {
            whole = false;
            break;
        }
        buf = nb;
        if (pread(fd, buf, n, (off_t)(off + HH_HDR)) != (ssize_t)n ||
            st_crc32c(0, buf, n) != get32(hdr + 4)) {
            whole = false;
            break;
        }
        off += HH_HDR + n;
        s->nrec++;
    }
    free(buf);
    s->size = off;
    if (!whole) {
        st_errf(err, errlen, ST_ECORRUPT,
                "hinted handoff: %s: cut at byte %" PRIu64 " of %" PRIu64
                " (a torn or corrupt record)",
                path, off, len);
        if (ftruncate(fd, (off_t)off) != 0 || fdatasync(fd) != 0)
            st_errf(err, errlen, ST_EIO, "hinted handoff: %s: cannot cut: %s", path,
                    strerror(errno));
    }
    close(fd);
    return whole;
}

static int load(st_hh *q, char *err, size_t errlen)
{
    DIR *d = opendir(q->dir);
    if (d == NULL)
        return st_errf(err, errlen, ST_EIO, "hinted handoff: %s: %s", q->dir, strerror(errno));
    struct dirent *e;
    int rv = ST_OK;
    while (rv == ST_OK && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n != 23 || strcmp(e->d_name + 20, ".hh") != 0)
            continue;
        rv = push_seg(q, strtoull(e->d_name, NULL, 10));
    }
    closedir(d);
    if (rv != ST_OK)
        return rv;
    if (q->nsegs > 0)
        qsort(q->segs, q->nsegs, sizeof(q->segs[0]), cmp_seg);
    /* A segment cut short ends the queue: later ones start at offsets
     * that no longer follow on, so they go. */
    for (size_t i = 0; i < q->nsegs; i++) {
        if (scan_seg(q, &q->segs[i], err, errlen) && i + 1 < q->nsegs &&
            q->segs[i].start + q->segs[i].size == q->segs[i + 1].start)
            continue;
        for (size_t j = i + 1; j < q->nsegs; j++) {
            char path[4096];
            seg_path(q, q->segs[j].start, path, sizeof(path));
            unlink(path);
        }
        q->nsegs = i + 1;
        break;
    }
    return ST_OK;
}

static void read_ack(st_hh *q)
{
    char buf[32] = {0};
    ssize_t n = pread(q->ackfd, buf, sizeof(buf) - 1, 0);
    q->head = n > 0 ? strtoull(buf, NULL, 10) : 0;
}

static void write_ack(st_hh *q)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%020" PRIu64 "\n", q->head);
    if (pwrite(q->ackfd, buf, (size_t)n, 0) != n)
        return; /* a stale ack only replays batches again */
}

static int open_wfd(st_hh *q)
{
    char path[4096];
    seg_path(q, q->segs[q->nsegs - 1].start, path, sizeof(path));
    q->wfd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    return q->wfd < 0 ? st_from_errno(errno) : ST_OK;
}

int st_hh_open(const char *dir, uint64_t max_bytes, st_hh **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return st_errf(err, errlen, ST_EIO, "hinted handoff: mkdir %s: %s", dir, strerror(errno));
    st_hh *q = calloc(1, sizeof(*q));
    if (q == NULL || (q->dir = strdup(dir)) == NULL) {
        free(q);
        return ST_ENOMEM;
    }
    pthread_mutex_init(&q->mu, NULL);
    q->max_bytes = max_bytes ? max_bytes : (1ull << 30);
    q->wfd = q->rfd = -1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/ack", dir);
    q->ackfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (q->ackfd < 0) {
        st_errf(err, errlen, ST_EIO, "hinted handoff: %s: %s", path, strerror(errno));
        goto fail;
    }
    char lerr[512] = "";
    int rv = load(q, lerr, sizeof(lerr));
    if (rv != ST_OK) {
        st_errf(err, errlen, rv, "%s", lerr);
        goto fail;
    }
    if (lerr[0])
        st_errf(err, errlen, ST_OK, "%s", lerr); /* reported, not fatal */
    read_ack(q);
    if (q->nsegs > 0) {
        struct hh_seg *last = &q->segs[q->nsegs - 1];
        q->tail = last->start + last->size;
        if (q->head < q->segs[0].start)
            q->head = q->segs[0].start;
        if (q->head > q->tail)
            q->head = q->tail;
        if (open_wfd(q) != ST_OK) {
            st_errf(err, errlen, ST_EIO, "hinted handoff: %s: %s", dir, strerror(errno));
            goto fail;
        }
    } else {
        q->tail = q->head;
    }
    /* Unreplayed records: those ending after head. Acks fall on record
     * boundaries, so counting whole segments and the head one is exact
     * enough for /metrics; walk the head segment to be precise. */
    for (size_t i = 0; i < q->nsegs; i++)
        if (q->segs[i].start >= q->head)
            q->records += q->segs[i].nrec;
    for (size_t i = 0; i < q->nsegs; i++) {
        struct hh_seg *s = &q->segs[i];
        if (s->start < q->head && q->head < s->start + s->size) {
            seg_path(q, s->start, path, sizeof(path));
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            uint64_t off = 0;
            uint8_t hdr[HH_HDR];
            while (fd >= 0 && off < s->size && pread(fd, hdr, HH_HDR, (off_t)off) == HH_HDR) {
                off += HH_HDR + get32(hdr);
                if (s->start + off > q->head)
                    q->records++;
            }
            if (fd >= 0)
                close(fd);
        }
    }
    *out = q;
    return ST_OK;

fail:
    st_hh_close(q);
    return ST_EIO;
}

void st_hh_close(st_hh *q)
{
    if (q == NULL)
        return;
    if (q->wfd >= 0)
        close(q->wfd);
    if (q->rfd >= 0)
        close(q->rfd);
    if (q->ackfd >= 0)
        close(q->ackfd);
    pthread_mutex_destroy(&q->mu);
    free(q->segs);
    free(q->dir);
    free(q);
}

/* A new last segment starting at the tail; mu held. */
static int rotate(st_hh *q)
{
    int rv = push_seg(q, q->tail);
    if (rv != ST_OK)
        return rv;
    if (q->wfd >= 0)
        close(q->wfd);
    if ((rv = open_wfd(q)) != ST_OK) {
        q->nsegs--;
        return rv;
    }
    int dfd = open(q->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return ST_OK;
}

int st_hh_append(st_hh *q, const void *p, size_t len, char *err, size_t errlen)
{
    if (len > HH_MAX_RECORD)
        return st_errf(err, errlen, ST_EINVAL, "hinted handoff: a batch of %zu bytes is too big",
                       len);
    uint8_t *rec = malloc(HH_HDR + len);
    if (rec == NULL)
        return ST_ENOMEM;
    put32(rec, (uint32_t)len);
    put32(rec + 4, st_crc32c(0, p, len));
    if (len > 0)
        memcpy(rec + HH_HDR, p, len);
    int rv = ST_OK;
    pthread_mutex_lock(&q->mu);
    if (q->tail - q->head + HH_HDR + len > q->max_bytes) {
        rv = st_errf(err, errlen, ST_ENOSPC,
                     "hinted handoff queue %s is full (%" PRIu64 " of %" PRIu64 " bytes)", q->dir,
                     q->tail - q->head, q->max_bytes);
        goto out;
    }
    if (q->nsegs == 0 || q->segs[q->nsegs - 1].size + HH_HDR + len > HH_SEG_MAX) {
        if (q->nsegs == 0 || q->segs[q->nsegs - 1].size > 0) {
            if ((rv = rotate(q)) != ST_OK) {
                st_errf(err, errlen, rv, "hinted handoff: %s: new segment: %s", q->dir,
                        strerror(errno));
                goto out;
            }
        }
    }
    struct hh_seg *s = &q->segs[q->nsegs - 1];
    ssize_t n = pwrite(q->wfd, rec, HH_HDR + len, (off_t)s->size);
    if (n != (ssize_t)(HH_HDR + len) || fdatasync(q->wfd) != 0) {
        int e = n < 0 ? errno : (errno ? errno : EIO);
        if (ftruncate(q->wfd, (off_t)s->size) != 0)
            e = errno;
        rv = st_errf(err, errlen, e == ENOSPC ? ST_ENOSPC : ST_EIO, "hinted handoff: %s: %s",
                     q->dir, strerror(e));
        goto out;
    }
    s->size += HH_HDR + len;
    s->nrec++;
    q->tail += HH_HDR + len;
    q->records++;
out:
    pthread_mutex_unlock(&q->mu);
    free(rec);
    return rv;
}

int st_hh_peek(st_hh *q, struct st_buf *out, uint64_t *next)
{
    int rv = ST_ENOTFOUND;
    pthread_mutex_lock(&q->mu);
    if (q->head >= q->tail)
        goto out;
    size_t i = 0;
    while (i + 1 < q->nsegs && q->segs[i].start + q->segs[i].size <= q->head)
        i++;
    struct hh_seg *s = &q->segs[i];
    if (q->rfd < 0 || q->rstart != s->start) {
        char path[4096];
        if (q->rfd >= 0)
            close(q->rfd);
        seg_path(q, s->start, path, sizeof(path));
        q->rfd = open(path, O_RDONLY | O_CLOEXEC);
        q->rstart = s->start;
        if (q->rfd < 0) {
            rv = ST_EIO;
            goto out;
        }
    }
    uint8_t hdr[HH_HDR];
    uint64_t off = q->head - s->start;
    rv = ST_EIO;
    if (pread(q->rfd, hdr, HH_HDR, (off_t)off) != HH_HDR)
        goto out;
    uint32_t n = get32(hdr);
    st_buf_reset(out);
    if (st_buf_reserve(out, n) != ST_OK) {
        rv = ST_ENOMEM;
        goto out;
    }
    if (pread(q->rfd, out->p, n, (off_t)(off + HH_HDR)) != (ssize_t)n ||
        st_crc32c(0, out->p, n) != get32(hdr + 4))
        goto out;
    out->len = n;
    out->p[n] = '\0';
    *next = q->head + HH_HDR + n;
    rv = ST_OK;
out:
    pthread_mutex_unlock(&q->mu);
    return rv;
}

void st_hh_ack(st_hh *q, uint64_t next)
{
    pthread_mutex_lock(&q->mu);
    if (next > q->head && next <= q->tail) {
        q->head = next;
        if (q->records > 0)
            q->records--;
        /* Segments wholly replayed go, except the one appends go to. */
        size_t drop = 0;
        while (drop + 1 < q->nsegs && q->segs[drop].start + q->segs[drop].size <= q->head) {
            char path[4096];
            seg_path(q, q->segs[drop].start, path, sizeof(path));
            unlink(path);
            if (q->rfd >= 0 && q->rstart == q->segs[drop].start) {
                close(q->rfd);
                q->rfd = -1;
            }
            drop++;
        }
        if (drop > 0) {
            memmove(q->segs, q->segs + drop, (q->nsegs - drop) * sizeof(q->segs[0]));
            q->nsegs -= drop;
        }
        write_ack(q);
    }
    pthread_mutex_unlock(&q->mu);
}

uint64_t st_hh_bytes(st_hh *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t n = q->tail - q->head;
    pthread_mutex_unlock(&q->mu);
    return n;
}

uint64_t st_hh_records(st_hh *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t n = q->records;
    pthread_mutex_unlock(&q->mu);
    return n;
}
