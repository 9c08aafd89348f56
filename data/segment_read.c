/* Reading a segment file: open, index lookups, batched block reads.
 *
 * Opening reads the header (12 bytes at 0), the footer (64 bytes at the end)
 * and the index section with three preads, checks them and decodes the
 * index into arrays of keys and entries; the index bytes are then freed. The
 * checks are pure functions over memory (check_header, check_footer,
 * parse_index), shared by st_segment_open_mem(), which the fuzzer drives.
 * Checksums come first, so any flipped bit in header, footer or index is
 * reported as corruption of that section; the structure is then checked
 * anyway (keys sorted, blocks tiling the data section exactly, times in
 * order, counts and times agreeing with the footer) because a checksum
 * only proves that the writer's bytes arrived, not that the writer was right.
 *
 * st_segment_read_blocks() keeps up to `depth` readv requests in flight on
 * one io_uring: each reads a payload into the caller's buffer and its CRC
 * trailer into the request. A short read is advanced and resubmitted, -EAGAIN
 * and -EINTR are resubmitted, every completion is marked seen. After the
 * first error nothing new is submitted, but the call waits for every read
 * already in the kernel, because those write into the caller's buffers.
 *
 * A reader never changes after open, so any number of threads may read
 * through it at once; the ring belongs to the caller's st_segment_io (one
 * per thread) or, if none is given, to the call. */
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "err.h"
#include "format.h"
#include "segment_fd.h"

struct st_segment {
    char *path;                     /* for messages; "<memory>" for an image */
    struct st_seg_fd fd;            /* descriptor (pooled); fd.fd -1 for an image */
    const uint8_t *image;           /* st_segment_open_mem(): the borrowed file */
    uint64_t file_size;             /* bytes */
    struct st_segment_key *keys;    /* sorted by (series, field) */
    size_t nkeys;                   /* entries in @keys */
    size_t nseries;                 /* distinct series ids */
    struct st_block_entry *entries; /* every key's entries, in key order */
    size_t nentries;                /* entries in @entries */
    char *names;                    /* field names back to back; keys point in here */
    size_t names_len;               /* bytes in @names */
    int64_t min_time, max_time;     /* from the footer */
    int version;                    /* of the file's format */
};

static int fail_errno(char *err, size_t errlen, int e, const char *op, const char *file,
                      const char *what)
{
    char text[128];
    if (strerror_r(e, text, sizeof(text)) != 0)
        snprintf(text, sizeof(text), "errno %d", e);
    return st_errf(err, errlen, st_from_errno(e), "segment %s: %s: %s: %s", op, file, what, text);
}

#define CORRUPT(...) st_errf(err, errlen, ST_ECORRUPT, "segment open: " __VA_ARGS__)

/* ---- pure checks of the file's parts ------------------------------------- */

static int check_header(const char *path, const uint8_t *h, char *err, size_t errlen)
{
    if (memcmp(h + ST_SEG_HDR_MAGIC, ST_SEG_MAGIC, ST_SEG_MAGIC_LEN) != 0)
        return CORRUPT("%s: header: bad magic (not a segment file)", path);
    if (st_crc32c(0, h, ST_SEG_HDR_CRC) != st_load_le32(h + ST_SEG_HDR_CRC))
        return CORRUPT("%s: header: checksum mismatch", path);
    if (h[ST_SEG_HDR_VERSION] < ST_SEG_VERSION_MIN || h[ST_SEG_HDR_VERSION] > ST_SEG_VERSION ||
        st_load_le16(h + ST_SEG_HDR_FLAGS) != 0)
        return st_errf(err, errlen, ST_EPROTO,
                       "segment open: %s: header: format version %u flags %#x, this build reads "
                       "version %u",
                       path, h[ST_SEG_HDR_VERSION], st_load_le16(h + ST_SEG_HDR_FLAGS),
                       ST_SEG_VERSION);
    return ST_OK;
}

static int check_footer(const char *path, const uint8_t *p, uint64_t file_size,
                        struct st_seg_footer *f, char *err, size_t errlen)
{
    if (memcmp(p + ST_SEG_FTR_MAGIC, ST_SEG_MAGIC, ST_SEG_MAGIC_LEN) != 0)
        return CORRUPT("%s: footer: bad magic (truncated file?)", path);
    if (st_crc32c(0, p, ST_SEG_FTR_CRC) != st_load_le32(p + ST_SEG_FTR_CRC))
        return CORRUPT("%s: footer: checksum mismatch", path);
    if (p[ST_SEG_FTR_VERSION] < ST_SEG_VERSION_MIN || p[ST_SEG_FTR_VERSION] > ST_SEG_VERSION ||
        st_load_le16(p + ST_SEG_FTR_FLAGS) != 0)
        return st_errf(err, errlen, ST_EPROTO,
                       "segment open: %s: footer: format version %u flags %#x, this build reads "
                       "version %u",
                       path, p[ST_SEG_FTR_VERSION], st_load_le16(p + ST_SEG_FTR_FLAGS),
                       ST_SEG_VERSION);
    st_seg_footer_decode(p, f);
    uint64_t end = file_size - ST_SEG_FOOTER_SIZE; /* the caller checked the minimum size */
    if (f->index_offset < ST_SEG_HEADER_SIZE || f->index_offset > end ||
        f->index_size != end - f->index_offset)
        return CORRUPT("%s: footer: index at %llu, %llu bytes, in a file of %llu bytes", path,
                       (unsigned long long)f->index_offset, (unsigned long long)f->index_size,
                       (unsigned long long)file_size);
    if (f->nentries > f->index_size / ST_SEG_ENTRY_V2_MIN || f->nkeys > f->nentries ||
        f->nseries > f->nkeys)
        return CORRUPT("%s: footer: %llu entries, %u keys, %u series in %llu index bytes", path,
                       (unsigned long long)f->nentries, (unsigned)f->nkeys, (unsigned)f->nseries,
                       (unsigned long long)f->index_size);
    return ST_OK;
}

/* Checks the entries of key @k (series @series) starting at @c; @pos is
 * the offset the next block must start at. */
static int parse_entries(const char *path, int version, enum st_field_type type, struct st_cur *c,
                         struct st_block_entry *out, size_t n, size_t k, uint64_t *pos,
                         const struct st_seg_footer *f, char *err, size_t errlen)
{
    for (size_t j = 0; j < n; j++) {
        struct st_block_entry *o = &out[j];
        (void)version; /* one entry format so far */
        st_seg_entry_get_v2(c, type, o, j ? out[j - 1].stats.max_time : 0, *pos);
        if (c->err)
            return CORRUPT("%s: index: key %zu block %zu truncated or malformed", path, k, j);
        const struct st_block_stats *s = &o->stats;
        if (o->offset != *pos || f->index_offset - *pos < (uint64_t)o->size + ST_SEG_BLOCK_TRAILER)
            return CORRUPT("%s: index: key %zu block %zu at %llu+%u, expected at %llu", path, k, j,
                           (unsigned long long)o->offset, (unsigned)o->size,
                           (unsigned long long)*pos);
        if (s->count == 0 || s->min_time > s->max_time ||
            (j > 0 && s->min_time <= out[j - 1].stats.max_time))
            return CORRUPT("%s: index: key %zu block %zu: bad times or count", path, k, j);
        *pos += (uint64_t)o->size + ST_SEG_BLOCK_TRAILER;
    }
    return ST_OK;
}

/* Decodes and checks the index section @p (borrowed) into @r. */
static int parse_index(struct st_segment *r, const uint8_t *p, const struct st_seg_footer *f,
                       char *err, size_t errlen)
{
    const char *path = r->path;
    if (st_crc32c(0, p, f->index_size) != f->index_crc)
        return CORRUPT("%s: index: checksum mismatch", path);
    /* The footer's counts are bounded by the index size: these are small. */
    r->keys = calloc(f->nkeys ? f->nkeys : 1, sizeof(*r->keys));
    r->entries = calloc(f->nentries ? f->nentries : 1, sizeof(*r->entries));
    if (r->keys == NULL || r->entries == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "segment open: %s: out of memory", path);

    struct st_buf names;
    st_buf_init(&names);
    struct st_cur c;
    st_cur_init(&c, p, f->index_size);
    uint64_t pos = ST_SEG_HEADER_SIZE;
    size_t used = 0, nseries = 0;
    const char *prev = NULL;
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    int rv;
    for (size_t k = 0; k < f->nkeys; k++) {
        struct st_segment_key *key = &r->keys[k];
        key->series = st_get_u32(&c);
        uint8_t type = st_get_u8(&c);
        uint16_t len = st_get_u16(&c);
        const char *name = (const char *)st_get_bytes(&c, len);
        uint32_t n = st_get_u32(&c);
        if (c.err)
            rv = CORRUPT("%s: index: key %zu truncated", path, k);
        else if (type < ST_FIELD_FLOAT || type > ST_FIELD_BOOLEAN || len == 0 || n == 0 ||
                 n > f->nentries - used)
            rv = CORRUPT("%s: index: key %zu: type %u, name of %u bytes, %u blocks", path, k, type,
                         len, n);
        else if (k > 0 && st_seg_key_cmp(key[-1].series, prev, key[-1].field.len, key->series, name,
                                         len) >= 0)
            rv = CORRUPT("%s: index: key %zu out of order", path, k);
        else if (st_buf_append(&names, name, len) != ST_OK)
            rv = st_errf(err, errlen, ST_ENOMEM, "segment open: %s: out of memory", path);
        else
            rv = parse_entries(path, r->version, (enum st_field_type)type, &c, r->entries + used, n,
                               k, &pos, f, err, errlen);
        if (rv != ST_OK)
            goto err_after_names;
        nseries += k == 0 || key[-1].series != key->series;
        key->type = (enum st_field_type)type;
        key->field.len = len;
        key->entries = r->entries + used;
        key->nentries = n;
        prev = name;
        if (key->entries[0].stats.min_time < tmin)
            tmin = key->entries[0].stats.min_time;
        if (key->entries[n - 1].stats.max_time > tmax)
            tmax = key->entries[n - 1].stats.max_time;
        used += n;
    }
    if (st_cur_left(&c) != 0 || used != f->nentries || pos != f->index_offset ||
        nseries != f->nseries || tmin != f->min_time || tmax != f->max_time) {
        rv = CORRUPT("%s: index: disagrees with the footer", path);
        goto err_after_names;
    }
    /* The names buffer no longer moves: point the keys into it. */
    r->names = names.p;
    r->names_len = names.len;
    size_t off = 0;
    for (size_t k = 0; k < f->nkeys; k++) {
        r->keys[k].field.p = r->names + off;
        off += r->keys[k].field.len;
    }
    r->nkeys = f->nkeys;
    r->nentries = f->nentries;
    r->nseries = nseries;
    r->min_time = f->min_time;
    r->max_time = f->max_time;
    return ST_OK;

err_after_names:
    st_buf_fini(&names);
    return rv;
}

/* ---- open and close ------------------------------------------------------- */

static struct st_segment *alloc_reader(const char *path)
{
    struct st_segment *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->fd.fd = -1;
    r->path = strdup(path);
    r->fd.path = r->path;
    if (r->path == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

void st_segment_close(st_segment *r)
{
    if (r == NULL)
        return;
    st_seg_fd_close(&r->fd);
    free(r->names);
    free(r->entries);
    free(r->keys);
    free(r->path);
    free(r);
}

/* Reads exactly @n bytes at @off: 0, an errno, or -1 at end of file. */
static int pread_full(int fd, void *p, size_t n, uint64_t off)
{
    char *c = p;
    while (n > 0) {
        ssize_t k = pread(fd, c, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return errno;
        if (k == 0)
            return -1;
        c += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

int st_segment_open(const char *path, st_segment **out, char *err, size_t errlen)
{
    int rv, e;
    uint8_t h[ST_SEG_HEADER_SIZE], ftr[ST_SEG_FOOTER_SIZE];
    struct st_seg_footer f;
    uint8_t *index = NULL;
    struct stat st;
    struct st_segment *r = alloc_reader(path);
    if (r == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "segment open: %s: out of memory", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rv = fail_errno(err, errlen, errno, "open", path, "open");
        goto err_after_alloc;
    }
    st_seg_fd_adopt(&r->fd, fd);
    if ((fd = st_seg_fd_acquire(&r->fd)) < 0) { /* UNTESTED: reopened and failed */
        rv = fail_errno(err, errlen, -fd, "open", path, "open");
        goto err_after_alloc;
    }
    if (fstat(fd, &st) != 0) {
        rv = fail_errno(err, errlen, errno, "open", path, "fstat"); /* UNTESTED */
        goto err_after_alloc;
    }
    r->file_size = (uint64_t)st.st_size;
    if (r->file_size < ST_SEG_MIN_FILE_SIZE) {
        rv = CORRUPT("%s: %llu bytes: too short for a segment", path,
                     (unsigned long long)r->file_size);
        goto err_after_alloc;
    }
    if ((e = pread_full(fd, h, sizeof(h), 0)) != 0 ||
        (e = pread_full(fd, ftr, sizeof(ftr), r->file_size - sizeof(ftr))) != 0)
        goto err_read;
    if ((rv = check_header(path, h, err, errlen)) != ST_OK ||
        (rv = check_footer(path, ftr, r->file_size, &f, err, errlen)) != ST_OK)
        goto err_after_alloc;
    if (h[ST_SEG_HDR_VERSION] != ftr[ST_SEG_FTR_VERSION]) {
        rv = CORRUPT("%s: header version %u, footer version %u", path, h[ST_SEG_HDR_VERSION],
                     ftr[ST_SEG_FTR_VERSION]);
        goto err_after_alloc;
    }
    r->version = h[ST_SEG_HDR_VERSION];
    index = malloc(f.index_size ? f.index_size : 1);
    if (index == NULL) {
        rv = st_errf(err, errlen, ST_ENOMEM, "segment open: %s: out of memory", path);
        goto err_after_alloc;
    }
    if ((e = pread_full(fd, index, f.index_size, f.index_offset)) != 0)
        goto err_read;
    if ((rv = parse_index(r, index, &f, err, errlen)) != ST_OK)
        goto err_after_alloc;
    free(index);
    st_seg_fd_release(&r->fd);
    *out = r;
    return ST_OK;

err_read:
    /* UNTESTED: the file shrank or the disk failed between fstat and pread. */
    rv = e < 0 ? CORRUPT("%s: file ends early", path)
               : fail_errno(err, errlen, e, "open", path, "read");
err_after_alloc:
    free(index);
    if (r->fd.users)
        st_seg_fd_release(&r->fd);
    st_segment_close(r);
    return rv;
}

int st_segment_open_mem(const void *image, size_t len, st_segment **out, char *err, size_t errlen)
{
    const char *path = "<memory>";
    const uint8_t *p = image;
    struct st_seg_footer f;
    int rv;
    struct st_segment *r = alloc_reader(path);
    if (r == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "segment open: %s: out of memory", path);
    r->image = image;
    r->file_size = len;
    if (len < ST_SEG_MIN_FILE_SIZE) {
        rv = CORRUPT("%s: %zu bytes: too short for a segment", path, len);
        goto err_after_alloc;
    }
    if ((rv = check_header(path, p, err, errlen)) != ST_OK ||
        (rv = check_footer(path, p + len - ST_SEG_FOOTER_SIZE, len, &f, err, errlen)) != ST_OK)
        goto err_after_alloc;
    r->version = p[ST_SEG_HDR_VERSION];
    if (r->version != p[len - ST_SEG_FOOTER_SIZE + ST_SEG_FTR_VERSION]) {
        rv = CORRUPT("%s: header and footer versions differ", path);
        goto err_after_alloc;
    }
    if ((rv = parse_index(r, p + f.index_offset, &f, err, errlen)) != ST_OK)
        goto err_after_alloc;
    *out = r;
    return ST_OK;

err_after_alloc:
    st_segment_close(r);
    return rv;
}

/* ---- metadata and lookups ------------------------------------------------- */

void st_segment_info(const st_segment *r, struct st_segment_info *out)
{
    out->path = r->path;
    out->file_size = r->file_size;
    out->min_time = r->min_time;
    out->max_time = r->max_time;
    out->nseries = r->nseries;
    out->nkeys = r->nkeys;
    out->nblocks = r->nentries;
    out->mem_bytes = sizeof(*r) + strlen(r->path) + 1 + r->nkeys * sizeof(*r->keys) +
                     r->nentries * sizeof(*r->entries) + r->names_len;
}

const struct st_segment_key *st_segment_key_at(const st_segment *r, size_t i)
{
    return i < r->nkeys ? &r->keys[i] : NULL;
}

/* The first key not before (@series, @field). */
static size_t lower_bound(const st_segment *r, uint32_t series, const char *field, size_t len)
{
    size_t lo = 0, hi = r->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct st_segment_key *k = &r->keys[mid];
        if (st_seg_key_cmp(k->series, k->field.p, k->field.len, series, field, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t st_segment_series_keys(const st_segment *r, uint32_t series, size_t *first)
{
    size_t lo = lower_bound(r, series, NULL, 0);
    size_t hi = series == UINT32_MAX ? r->nkeys : lower_bound(r, series + 1, NULL, 0);
    *first = lo;
    return hi - lo;
}

int st_segment_find(const st_segment *r, uint32_t series, struct st_slice field,
                    const struct st_segment_key **out)
{
    size_t i = lower_bound(r, series, field.p, field.len);
    if (i == r->nkeys || st_seg_key_cmp(r->keys[i].series, r->keys[i].field.p, r->keys[i].field.len,
                                        series, field.p, field.len) != 0)
        return ST_ENOTFOUND;
    *out = &r->keys[i];
    return ST_OK;
}

size_t st_segment_key_range(const struct st_segment_key *key, int64_t tmin, int64_t tmax,
                            size_t *first)
{
    /* Entries are disjoint and in time order: both ends are monotonic. */
    size_t lo = 0, hi = key->nentries;
    while (lo < hi) { /* first entry ending at or after tmin */
        size_t mid = lo + (hi - lo) / 2;
        if (key->entries[mid].stats.max_time < tmin)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    hi = key->nentries;
    while (end < hi) { /* first entry starting after tmax */
        size_t mid = end + (hi - end) / 2;
        if (key->entries[mid].stats.min_time <= tmax)
            end = mid + 1;
        else
            hi = mid;
    }
    *first = lo;
    return end - lo;
}

/* ---- batched block reads --------------------------------------------------- */

#define IO_DEFAULT_DEPTH 64

/* One block being read: payload into the caller's buffer, CRC into @trailer. */
struct req {
    uint8_t *dst;                          /* caller's buffer */
    uint64_t offset;                       /* of the payload in the file */
    uint32_t size;                         /* payload bytes */
    uint32_t done;                         /* bytes of payload + trailer read so far */
    struct iovec iov[2];                   /* live until the completion */
    uint8_t trailer[ST_SEG_BLOCK_TRAILER]; /* the stored CRC32C */
};

struct st_segment_io {
    struct io_uring ring;
    unsigned depth;       /* requests in flight at most */
    bool ready;           /* @ring is set up (not after a failed submit) */
    struct req *reqs;     /* one per block of the current call */
    size_t reqs_cap;      /* entries allocated in @reqs */
    struct req **requeue; /* requests to submit again, at most @depth */
};

int st_segment_io_open(unsigned depth, st_segment_io **out)
{
    st_segment_io *io = calloc(1, sizeof(*io));
    if (io == NULL)
        return ST_ENOMEM;
    io->depth = depth ? depth : IO_DEFAULT_DEPTH;
    io->requeue = calloc(io->depth, sizeof(*io->requeue));
    int rv = io->requeue ? io_uring_queue_init(io->depth, &io->ring, 0) : -ENOMEM;
    if (rv < 0) {
        free(io->requeue);
        free(io);
        return st_from_errno(-rv);
    }
    io->ready = true;
    *out = io;
    return ST_OK;
}

void st_segment_io_close(st_segment_io *io)
{
    if (io == NULL)
        return;
    if (io->ready)
        io_uring_queue_exit(&io->ring);
    free(io->reqs);
    free(io->requeue);
    free(io);
}

/* Checks the CRC of a block read completely. */
static int check_block(const st_segment *r, const uint8_t *dst, uint64_t offset, uint32_t size,
                       const uint8_t *trailer, char *err, size_t errlen)
{
    uint32_t crc = size ? st_crc32c(0, dst, size) : 0; /* dst may be NULL */
    if (crc != st_load_le32(trailer))
        return st_errf(err, errlen, ST_ECORRUPT,
                       "segment read: %s: block at offset %llu: checksum mismatch", r->path,
                       (unsigned long long)offset);
    return ST_OK;
}

/* Queues the rest of @q's read. There is room: at most depth are queued. */
static void prep(struct io_uring *ring, int fd, struct req *q)
{
    int n = 0;
    if (q->done < q->size)
        q->iov[n++] = (struct iovec){q->dst + q->done, q->size - q->done};
    uint32_t t = q->done > q->size ? q->done - q->size : 0;
    q->iov[n++] = (struct iovec){q->trailer + t, ST_SEG_BLOCK_TRAILER - t};
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_readv(sqe, fd, q->iov, (unsigned)n, q->offset + q->done);
    io_uring_sqe_set_data(sqe, q);
}

/* Handles one completion: done, requeued (returns 1) or failed. */
static int complete(const st_segment *r, struct req *q, int res, int *rv, char *err, size_t errlen)
{
    if (res == -EAGAIN || res == -EINTR)
        return *rv == ST_OK;
    if (*rv != ST_OK)
        return 0;
    if (res < 0) {
        char what[64];
        snprintf(what, sizeof(what), "block at offset %llu", (unsigned long long)q->offset);
        *rv = fail_errno(err, errlen, -res, "read", r->path, what);
    } else if (res == 0) {
        *rv = st_errf(err, errlen, ST_ECORRUPT, "segment read: %s: block at offset %llu: file ends",
                      r->path, (unsigned long long)q->offset);
    } else if ((q->done += (uint32_t)res) < q->size + ST_SEG_BLOCK_TRAILER) {
        return 1; /* short read: the rest later */
    } else {
        *rv = check_block(r, q->dst, q->offset, q->size, q->trailer, err, errlen);
    }
    return 0;
}

static int read_ring(const st_segment *r, int fd, st_segment_io *io,
                     const struct st_block_ref *refs, size_t n, char *err, size_t errlen)
{
    int rv = ST_OK;
    if (!io->ready) { /* UNTESTED: only after a failed io_uring_submit */
        int e = io_uring_queue_init(io->depth, &io->ring, 0);
        if (e < 0)
            return st_errf(err, errlen, st_from_errno(-e), "segment read: %s: io_uring setup",
                           r->path);
        io->ready = true;
    }
    if (n > io->reqs_cap) {
        struct req *reqs = realloc(io->reqs, n * sizeof(*reqs));
        if (reqs == NULL)
            return st_errf(err, errlen, ST_ENOMEM, "segment read: %s: out of memory", r->path);
        io->reqs = reqs;
        io->reqs_cap = n;
    }
    for (size_t i = 0; i < n; i++)
        io->reqs[i] = (struct req){
            .dst = refs[i].dst, .offset = refs[i].entry->offset, .size = refs[i].entry->size};

    size_t next = 0, nrequeue = 0, outstanding = 0;
    for (;;) {
        while (rv == ST_OK && outstanding < io->depth && (nrequeue > 0 || next < n)) {
            prep(&io->ring, fd, nrequeue > 0 ? io->requeue[--nrequeue] : &io->reqs[next++]);
            outstanding++;
        }
        if (outstanding == 0)
            break;
        int s = io_uring_submit_and_wait(&io->ring, 1);
        if (s < 0 && s != -EINTR && s != -EAGAIN && s != -EBUSY) {
            /* UNTESTED: SQEs the kernel did not take stay in the ring and
             * must never run (their requests die with this call): wait for
             * the ones it took and drop the ring; the next call makes one. */
            if (rv == ST_OK)
                rv = st_errf(err, errlen, st_from_errno(-s), "segment read: %s: io_uring submit",
                             r->path);
            outstanding -= io_uring_sq_ready(&io->ring);
            for (; outstanding > 0; outstanding--) {
                struct io_uring_cqe *cqe;
                if (io_uring_wait_cqe(&io->ring, &cqe) != 0)
                    break;
                io_uring_cqe_seen(&io->ring, cqe);
            }
            io_uring_queue_exit(&io->ring);
            io->ready = false;
            return rv;
        }
        struct io_uring_cqe *cqe;
        while (io_uring_peek_cqe(&io->ring, &cqe) == 0) {
            struct req *q = io_uring_cqe_get_data(cqe);
            int res = cqe->res;
            io_uring_cqe_seen(&io->ring, cqe);
            outstanding--;
            if (complete(r, q, res, &rv, err, errlen))
                io->requeue[nrequeue++] = q;
        }
    }
    return rv;
}

int st_segment_read_blocks(const st_segment *r, st_segment_io *io, const struct st_block_ref *refs,
                           size_t n, char *err, size_t errlen)
{
    uintptr_t base = (uintptr_t)r->entries;
    for (size_t i = 0; i < n; i++) {
        uintptr_t e = (uintptr_t)refs[i].entry;
        if (e < base || e >= base + r->nentries * sizeof(*r->entries) ||
            (e - base) % sizeof(*r->entries) != 0 || (refs[i].dst == NULL && refs[i].entry->size))
            return st_errf(err, errlen, ST_EINVAL,
                           "segment read: %s: block %zu is not of this file", r->path, i);
    }
    if (n == 0)
        return ST_OK;
    if (r->image != NULL) {
        for (size_t i = 0; i < n; i++) {
            const struct st_block_entry *e = refs[i].entry;
            if (e->size)
                memcpy(refs[i].dst, r->image + e->offset, e->size);
            int rv = check_block(r, refs[i].dst, e->offset, e->size, r->image + e->offset + e->size,
                                 err, errlen);
            if (rv != ST_OK)
                return rv;
        }
        return ST_OK;
    }
    st_segment_io *tmp = NULL;
    if (io == NULL) {
        int rv = st_segment_io_open(n < IO_DEFAULT_DEPTH ? (unsigned)n : IO_DEFAULT_DEPTH, &tmp);
        if (rv != ST_OK)
            return st_errf(err, errlen, rv, "segment read: %s: io_uring setup: %s", r->path,
                           st_strerror(rv));
        io = tmp;
    }
    /* the descriptor slot is the only mutable part of a reader; the pool's
     * lock guards it */
    struct st_seg_fd *slot = (struct st_seg_fd *)&r->fd;
    int fd = st_seg_fd_acquire(slot);
    int rv = fd < 0 ? fail_errno(err, errlen, -fd, "read", r->path, "reopen")
                    : read_ring(r, fd, io, refs, n, err, errlen);
    if (fd >= 0)
        st_seg_fd_release(slot);
    st_segment_io_close(tmp);
    return rv;
}
