/* Writing a segment file, and block statistics.
 *
 * The happy path: st_segment_writer_open() creates "<path>.tmp" exclusively
 * and buffers the header. Each st_segment_writer_add() checks the order of
 * (series, field, time), appends the block and its CRC32C to a 1 MiB
 * user-space buffer (written with plain write()s when full: the file is
 * written once, front to back, so io_uring would buy nothing here) and
 * appends its index entry to the in-memory index, which is already in file
 * order because blocks arrive in key order. st_segment_writer_finish()
 * writes the rest of the data, the index and the footer, fdatasyncs, links
 * the temporary file to the final name (link() fails instead of replacing a
 * segment that exists: segments are immutable), unlinks the temporary name
 * and fsyncs the directory.
 *
 * Failure modes: a block out of order or with inconsistent statistics is
 * refused before anything is buffered, so the writer stays usable. An I/O
 * error (ENOSPC, EIO) poisons the writer: later adds return it and finish
 * fails. Whatever fails in finish, the temporary file is removed and nothing
 * is published; a crash at any point leaves at most a "*.tmp" file (or, after
 * the link and before the unlink, a complete segment plus its .tmp name),
 * which the shard removes when it opens. */
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "err.h"
#include "format.h"

/* Data is written to the file in chunks of about this size. */
#define WRITE_BUF_SIZE (1u << 20)

struct st_segment_writer {
    int fd;              /* the temporary file, -1 once closed */
    char *path;          /* final name */
    char *tmp;           /* "<path>.tmp" */
    struct st_buf out;   /* data not yet written */
    struct st_buf index; /* the index section so far */
    uint64_t offset;     /* file offset of the next block (written + buffered) */
    int failed;          /* first I/O error; final */
    bool have_key;       /* a key record is open in @index */
    uint32_t series;     /* the open key */
    struct st_buf field; /*   its field name */
    enum st_field_type type;
    size_t n_pos;        /* offset in @index of the open key's u32 entry count */
    uint32_t key_blocks; /* entries of the open key so far */
    int64_t last_time;   /* max_time of the open key's last block */
    uint64_t nentries;   /* totals for the footer */
    uint32_t nkeys;
    uint32_t nseries;
    int64_t min_time;
    int64_t max_time;
};

/* Formats "<what>: <strerror(e)>" for a failed syscall and returns its code. */
static int fail_errno(char *err, size_t errlen, int e, const char *file, const char *what)
{
    char text[128];
    if (strerror_r(e, text, sizeof(text)) != 0)
        snprintf(text, sizeof(text), "errno %d", e);
    return st_errf(err, errlen, st_from_errno(e), "segment write: %s: %s: %s", file, what, text);
}

/* ---- statistics ---------------------------------------------------------- */

void st_block_stats_init(struct st_block_stats *s)
{
    memset(s, 0, sizeof(*s));
}

/* Adds @v (sign-extended when @is_signed) to the 128-bit sum hi:lo. */
static void isum_add(struct st_block_stats *s, uint64_t v, bool is_signed)
{
    uint64_t lo = s->isum_lo + v;
    uint64_t hi = st_i64_bits(s->isum_hi) + (lo < s->isum_lo);
    if (is_signed && (v >> 63))
        hi += UINT64_MAX;
    s->isum_lo = lo;
    s->isum_hi = st_i64_from_bits(hi);
}

void st_block_stats_add(struct st_block_stats *s, enum st_field_type type, int64_t t,
                        union st_stat_value v)
{
    bool first = s->count == 0;
    switch (type) {
    case ST_FIELD_FLOAT:
        s->sum += v.f;
        if (first || (isnan(s->min.f) && !isnan(v.f))) {
            s->min = s->max = v;
        } else {
            if (v.f < s->min.f)
                s->min = v;
            if (v.f > s->max.f)
                s->max = v;
        }
        break;
    case ST_FIELD_INTEGER:
        s->sum += (double)v.i;
        isum_add(s, st_i64_bits(v.i), true);
        if (first || v.i < s->min.i)
            s->min = v;
        if (first || v.i > s->max.i)
            s->max = v;
        break;
    case ST_FIELD_BOOLEAN: /* an unsigned 0 or 1 */
        v.u = v.u != 0;
        /* fall through */
    case ST_FIELD_UNSIGNED:
        s->sum += (double)v.u;
        isum_add(s, v.u, false);
        if (first || v.u < s->min.u)
            s->min = v;
        if (first || v.u > s->max.u)
            s->max = v;
        break;
    case ST_FIELD_STRING:
        v.u = 0;
        break;
    }
    if (first) {
        s->min_time = t;
        s->first = v;
    }
    s->max_time = t;
    s->last = v;
    s->count++;
}

/* ---- writer ---------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Writes the buffered data. On error poisons the writer. */
static int flush_out(st_segment_writer *w, char *err, size_t errlen)
{
    int e = write_all(w->fd, w->out.p, w->out.len);
    if (e != 0)
        return w->failed = fail_errno(err, errlen, e, w->tmp, "write");
    st_buf_reset(&w->out);
    return ST_OK;
}

static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s != NULL) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

static void free_writer(st_segment_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    st_buf_fini(&w->out);
    st_buf_fini(&w->index);
    st_buf_fini(&w->field);
    free(w->tmp);
    free(w->path);
    free(w);
}

int st_segment_writer_open(const char *path, st_segment_writer **out, char *err, size_t errlen)
{
    int rv;
    st_segment_writer *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return st_errf(err, errlen, ST_ENOMEM, "segment write: %s: out of memory", path);
    w->fd = -1;
    st_buf_init(&w->out);
    st_buf_init(&w->index);
    st_buf_init(&w->field);
    w->min_time = INT64_MAX;
    w->max_time = INT64_MIN;
    w->path = concat(path, "");
    w->tmp = concat(path, ".tmp");
    if (w->path == NULL || w->tmp == NULL || st_buf_reserve(&w->out, WRITE_BUF_SIZE) != ST_OK) {
        rv = st_errf(err, errlen, ST_ENOMEM, "segment write: %s: out of memory", path);
        goto err_after_alloc;
    }

    uint8_t h[ST_SEG_HEADER_SIZE];
    st_seg_header_encode(h);
    st_buf_append(&w->out, h, sizeof(h)); /* reserved above: cannot fail */
    w->offset = ST_SEG_HEADER_SIZE;

    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        rv = fail_errno(err, errlen, errno, w->tmp, "create");
        goto err_after_alloc;
    }
    *out = w;
    return ST_OK;

err_after_alloc:
    free_writer(w);
    return rv;
}

/* Checks @s of a (@type) block against the writer's position. */
static int check_add(const st_segment_writer *w, uint32_t series, struct st_slice field,
                     enum st_field_type type, const struct st_block_stats *s, const void *block,
                     size_t len, int *order, char *err, size_t errlen)
{
    if (type < ST_FIELD_FLOAT || type > ST_FIELD_BOOLEAN)
        return st_errf(err, errlen, ST_EINVAL, "segment write: %s: bad field type %d", w->path,
                       (int)type);
    if (field.len == 0 || field.len > ST_SEG_MAX_FIELD_NAME || len > UINT32_MAX ||
        (block == NULL && len > 0))
        return st_errf(err, errlen, ST_EINVAL,
                       "segment write: %s: field name of %u bytes or block of %zu bytes", w->path,
                       (unsigned)field.len, len);
    if (s->count == 0 || s->min_time > s->max_time)
        return st_errf(err, errlen, ST_EINVAL,
                       "segment write: %s: block stats with %u points from %lld to %lld", w->path,
                       (unsigned)s->count, (long long)s->min_time, (long long)s->max_time);
    *order = w->have_key
                 ? st_seg_key_cmp(series, field.p, field.len, w->series, w->field.p, w->field.len)
                 : 1;
    if (*order < 0)
        return st_errf(err, errlen, ST_EINVAL,
                       "segment write: %s: series %u field '%.*s' added after series %u field "
                       "'%.*s'",
                       w->path, (unsigned)series, (int)field.len, field.p, (unsigned)w->series,
                       (int)w->field.len, w->field.p);
    if (*order == 0 && type != w->type)
        return st_errf(err, errlen, ST_EINVAL,
                       "segment write: %s: series %u field '%.*s' is %s, block is %s", w->path,
                       (unsigned)series, (int)field.len, field.p, st_field_type_name(w->type),
                       st_field_type_name(type));
    if (*order == 0 && s->min_time <= w->last_time)
        return st_errf(err, errlen, ST_EINVAL,
                       "segment write: %s: series %u field '%.*s': block from %lld overlaps the "
                       "previous one ending at %lld",
                       w->path, (unsigned)series, (int)field.len, field.p, (long long)s->min_time,
                       (long long)w->last_time);
    if ((*order > 0 && w->nkeys == UINT32_MAX) || (*order == 0 && w->key_blocks == UINT32_MAX))
        return st_errf(err, errlen, ST_EINVAL, "segment write: %s: too many keys or blocks",
                       w->path);
    return ST_OK;
}

/* Appends the index entry of a block (version 2, format.h); @prev_max is
 * the max_time of the key's previous block (0 for its first). Stats the
 * type does not keep are zeroed so that files are canonical. */
static void put_entry(struct st_buf *b, enum st_field_type type, const struct st_block_stats *s,
                      uint32_t size, int64_t prev_max)
{
    struct st_block_entry e = {.size = size, .stats = *s};
    if (type == ST_FIELD_STRING) {
        memset(&e.stats, 0, sizeof(e.stats));
        e.stats.min_time = s->min_time;
        e.stats.max_time = s->max_time;
        e.stats.count = s->count;
    } else if (type == ST_FIELD_FLOAT) {
        e.stats.isum_lo = 0;
        e.stats.isum_hi = 0;
    }
    st_seg_entry_put_v2(b, type, &e, prev_max); /* the caller reserved room */
}

/* Closes the open key record: patches its entry count. */
static void close_key(st_segment_writer *w)
{
    if (w->have_key)
        st_store_le32((uint8_t *)w->index.p + w->n_pos, w->key_blocks);
}

/* Opens a key record for (@series, @field, @type) in the index. The caller
 * has reserved room in @index and @field: nothing here can fail. */
static void open_key(st_segment_writer *w, uint32_t series, struct st_slice field,
                     enum st_field_type type)
{
    st_buf_reset(&w->field);
    st_buf_append(&w->field, field.p, field.len);
    st_put_u32(&w->index, series);
    st_put_u8(&w->index, (uint8_t)type);
    st_put_u16(&w->index, (uint16_t)field.len);
    st_buf_append(&w->index, field.p, field.len);
    st_put_u32(&w->index, 0); /* entry count, patched by close_key() */
    if (!w->have_key || series != w->series)
        w->nseries++;
    w->have_key = true;
    w->series = series;
    w->type = type;
    w->n_pos = w->index.len - 4;
    w->key_blocks = 0;
    w->nkeys++;
}

int st_segment_writer_add(st_segment_writer *w, uint32_t series, struct st_slice field,
                          enum st_field_type type, const struct st_block_stats *stats,
                          const void *block, size_t len, char *err, size_t errlen)
{
    if (w->failed)
        return st_errf(err, errlen, w->failed, "segment write: %s: failed earlier: %s", w->tmp,
                       st_strerror(w->failed));
    int order = 0, rv;
    if ((rv = check_add(w, series, field, type, stats, block, len, &order, err, errlen)) != ST_OK)
        return rv;

    /* Memory first: after this, only I/O can fail. */
    if (st_buf_reserve(&w->index, ST_SEG_KEY_FIXED + field.len + ST_SEG_ENTRY_V2_MAX) != ST_OK ||
        st_buf_reserve(&w->field, field.len) != ST_OK)
        return st_errf(err, errlen, ST_ENOMEM, "segment write: %s: out of memory", w->path);
    if (order > 0) {
        close_key(w);
        open_key(w, series, field, type);
    }
    put_entry(&w->index, type, stats, (uint32_t)len, w->key_blocks ? w->last_time : 0);
    w->key_blocks++;
    w->last_time = stats->max_time;
    w->nentries++;
    if (stats->min_time < w->min_time)
        w->min_time = stats->min_time;
    if (stats->max_time > w->max_time)
        w->max_time = stats->max_time;

    uint8_t trailer[ST_SEG_BLOCK_TRAILER];
    st_store_le32(trailer, len ? st_crc32c(0, block, len) : 0);
    w->offset += len + ST_SEG_BLOCK_TRAILER;
    if (w->out.len + len + ST_SEG_BLOCK_TRAILER > WRITE_BUF_SIZE) {
        if ((rv = flush_out(w, err, errlen)) != ST_OK)
            return rv;
        if (len + ST_SEG_BLOCK_TRAILER > WRITE_BUF_SIZE) {
            int e = write_all(w->fd, block, len);
            if (e != 0)
                return w->failed = fail_errno(err, errlen, e, w->tmp, "write");
            len = 0;
        }
    }
    st_buf_append(&w->out, block, len); /* within the reserved buffer */
    st_buf_append(&w->out, trailer, sizeof(trailer));
    return ST_OK;
}

/* fsyncs the directory holding @path, so that a new name in it is durable. */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? concat(".", "") : strndup(path, (size_t)(slash - path) + 1);
    if (dir == NULL)
        return ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = fd < 0 || fsync(fd) != 0 ? errno : 0;
    if (fd >= 0)
        close(fd);
    free(dir);
    return e;
}

int st_segment_writer_finish(st_segment_writer *w, char *err, size_t errlen)
{
    int rv = w->failed, e;
    if (rv != ST_OK) {
        st_errf(err, errlen, rv, "segment write: %s: failed earlier: %s", w->tmp, st_strerror(rv));
        goto err_remove_tmp;
    }
    close_key(w);

    struct st_seg_footer ftr = {.index_offset = w->offset,
                                .index_size = w->index.len,
                                .nentries = w->nentries,
                                .nkeys = w->nkeys,
                                .nseries = w->nseries,
                                .min_time = w->min_time,
                                .max_time = w->max_time,
                                .index_crc =
                                    w->index.len ? st_crc32c(0, w->index.p, w->index.len) : 0};
    uint8_t f[ST_SEG_FOOTER_SIZE];
    st_seg_footer_encode(f, &ftr);

    if ((rv = flush_out(w, err, errlen)) != ST_OK)
        goto err_remove_tmp;
    if ((e = write_all(w->fd, w->index.p, w->index.len)) != 0 ||
        (e = write_all(w->fd, f, sizeof(f))) != 0) {
        rv = fail_errno(err, errlen, e, w->tmp, "write");
        goto err_remove_tmp;
    }
    if (fdatasync(w->fd) != 0) {
        rv = fail_errno(err, errlen, errno, w->tmp, "fdatasync");
        goto err_remove_tmp;
    }
    e = close(w->fd) != 0 ? errno : 0;
    w->fd = -1;
    if (e != 0) {
        rv = fail_errno(err, errlen, e, w->tmp, "close");
        goto err_remove_tmp;
    }
    if (link(w->tmp, w->path) != 0) {
        rv = fail_errno(err, errlen, errno, w->path, "publish (link)");
        goto err_remove_tmp;
    }
    unlink(w->tmp);
    if ((e = sync_dir(w->path)) != 0) {
        /* UNTESTED: nothing published may be half durable: take it back. */
        rv = fail_errno(err, errlen, e, w->path, "fsync directory");
        unlink(w->path);
        goto err_free;
    }
    free_writer(w);
    return ST_OK;

err_remove_tmp:
    unlink(w->tmp);
err_free:
    free_writer(w);
    return rv;
}

void st_segment_writer_abort(st_segment_writer *w)
{
    if (w == NULL)
        return;
    unlink(w->tmp);
    free_writer(w);
}
