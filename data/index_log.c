/*
 * index.log: the index's append-only log (format in index_int.h and
 * docs/storage-index.md).
 *
 * Happy path. st_index_open() creates the file with its header (fsynced,
 * and the directory too) or replays it record by record through the same
 * creation code as live writes, so ids come back in the same order. Each
 * new series or field appends one CRC32C-framed record with one pwrite() at
 * the end, under the index's exclusive lock, without fsync: the WAL holds
 * the points, and a WAL replay re-creates whatever series the log lost.
 * st_index_sync() fdatasyncs, then writes the synced length into the older
 * of the header's two sync slots and fdatasyncs again.
 *
 * Failure modes.
 * - Crash or power loss: a tail past the synced length may be torn, zeroed
 *   or missing. Replay stops at the first record that is short, too long or
 *   fails its CRC; past the synced length that is the torn tail, which is cut
 *   off (and the cut fsynced, so stale bytes cannot reappear after new
 *   appends).
 * - The same inside the synced length, a file shorter than it, a bad header
 *   or a record whose CRC is right but whose content is not (an id out of
 *   sequence, a key that does not parse, a field with two types): that is
 *   corruption, and open fails with ST_ECORRUPT and the offset.
 * - A failed append (ENOSPC, EIO) is cut back with ftruncate so that a
 *   half record cannot sit before later good ones; if that fails too the
 *   index refuses further creations (ST_EIO) until it is reopened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "err.h"
#include "index_int.h"

#define READ_CHUNK (1024 * 1024)

_Static_assert(ST_INDEX_LOG_RECORD_HEADER + ST_INDEX_LOG_MAX_PAYLOAD <= READ_CHUNK,
               "a record fits in the replay buffer");

static void put32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

static void put64(char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (char)(v >> (8 * i));
}

static uint32_t get32(const char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | (unsigned char)p[i];
    return v;
}

static uint64_t get64(const char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Formats "index log <path>: <what>: <strerror>" for @err and returns the
 * ST_E* code of errno @e. */
static int os_err(char *err, size_t errlen, const char *path, const char *what, int e)
{
    char text[128];
    if (strerror_r(e, text, sizeof text) != 0)
        snprintf(text, sizeof text, "errno %d", e);
    snprintf(err, errlen, "index log %s: %s: %s", path, what, text);
    return st_from_errno(e);
}

/* The same into the index's errmsg. */
static int idx_os_err(st_index *idx, const char *what, int e)
{
    char msg[sizeof idx->errmsg];
    int rv = os_err(msg, sizeof msg, idx->path, what, e);
    st_index_set_err(idx, "%s", msg);
    return rv;
}

static int write_all(int fd, const char *p, size_t n, uint64_t off, size_t *done)
{
    *done = 0;
    while (*done < n) {
        ssize_t w = pwrite(fd, p + *done, n - *done, (off_t)(off + *done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        *done += (size_t)w;
    }
    return 0;
}

/* A sync slot: seq, synced length, CRC. */
static void slot_encode(char *p, uint64_t seq, uint64_t synced)
{
    put64(p, seq);
    put64(p + 8, synced);
    put32(p + 16, st_crc32c(0, p, 16));
    put32(p + 20, 0);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int e = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return e;
}

/* Writes a fresh header over whatever short start a crash during creation
 * left, and makes it and the file's name durable. */
static int create_header(st_index *idx, const char *dir, char *err, size_t errlen)
{
    char h[ST_INDEX_LOG_HEADER];
    memset(h, 0, sizeof h);
    memcpy(h, ST_INDEX_LOG_MAGIC, 8);
    put32(h + 8, ST_INDEX_LOG_VERSION);
    put32(h + 12, st_crc32c(0, h, 12));
    slot_encode(h + ST_INDEX_LOG_SLOT0, 0, ST_INDEX_LOG_HEADER);
    slot_encode(h + ST_INDEX_LOG_SLOT0 + ST_INDEX_LOG_SLOT_SIZE, 0, ST_INDEX_LOG_HEADER);
    size_t done;
    int e = write_all(idx->fd, h, sizeof h, 0, &done);
    if (e != 0)
        return os_err(err, errlen, idx->path, "write header", e);
    if (ftruncate(idx->fd, ST_INDEX_LOG_HEADER) != 0 || fsync(idx->fd) != 0)
        return os_err(err, errlen, idx->path, "sync header", errno);
    if ((e = fsync_dir(dir)) != 0)
        return os_err(err, errlen, idx->path, "sync directory", e);
    atomic_store(&idx->size, ST_INDEX_LOG_HEADER);
    atomic_store(&idx->synced, ST_INDEX_LOG_HEADER);
    idx->seq = 0;
    return ST_OK;
}

/* Checks the header and takes the newer valid sync slot. */
static int read_header(st_index *idx, uint64_t size, char *err, size_t errlen)
{
    char h[ST_INDEX_LOG_HEADER];
    ssize_t got = pread(idx->fd, h, sizeof h, 0);
    if (got != (ssize_t)sizeof h)
        return os_err(err, errlen, idx->path, "read header", got < 0 ? errno : EIO);
    if (memcmp(h, ST_INDEX_LOG_MAGIC, 8) != 0 || get32(h + 12) != st_crc32c(0, h, 12)) {
        snprintf(err, errlen, "index log %s: bad header: not an index log", idx->path);
        return ST_ECORRUPT;
    }
    if (get32(h + 8) != ST_INDEX_LOG_VERSION) {
        snprintf(err, errlen, "index log %s: version %u is not supported (this is %d)", idx->path,
                 get32(h + 8), ST_INDEX_LOG_VERSION);
        return ST_ECORRUPT;
    }
    bool found = false;
    for (int i = 0; i < 2; i++) {
        const char *s = h + ST_INDEX_LOG_SLOT0 + i * ST_INDEX_LOG_SLOT_SIZE;
        if (get32(s + 16) != st_crc32c(0, s, 16))
            continue;
        if (!found || get64(s) > idx->seq) {
            idx->seq = get64(s);
            atomic_store(&idx->synced, get64(s + 8));
        }
        found = true;
    }
    uint64_t synced = atomic_load(&idx->synced);
    if (!found || synced < ST_INDEX_LOG_HEADER) {
        snprintf(err, errlen, "index log %s: bad header: no valid sync slot", idx->path);
        return ST_ECORRUPT;
    }
    if (size < synced) {
        snprintf(err, errlen,
                 "index log %s: %llu bytes, shorter than the %llu bytes synced: "
                 "synced series are lost",
                 idx->path, (unsigned long long)size, (unsigned long long)synced);
        return ST_ECORRUPT;
    }
    return ST_OK;
}

/* A window on the file for replay. */
struct reader {
    int fd;
    char *buf; /* READ_CHUNK bytes */
    uint64_t off;
    size_t len;
    uint64_t size;
};

/* Makes file bytes [pos, pos + n) available and returns them, or NULL
 * (*@e = 0) when they go past the end, or NULL with errno in *@e. */
static const char *rd_get(struct reader *r, uint64_t pos, size_t n, int *e)
{
    *e = 0;
    if (pos + n > r->size)
        return NULL;
    if (pos >= r->off && pos + n <= r->off + r->len)
        return r->buf + (pos - r->off);
    size_t want = r->size - pos < READ_CHUNK ? (size_t)(r->size - pos) : READ_CHUNK;
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(r->fd, r->buf + got, want - got, (off_t)(pos + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            *e = k < 0 ? errno : EIO; /* UNTESTED: file shrank under us */
            return NULL;
        }
        got += (size_t)k;
    }
    r->off = pos;
    r->len = got;
    return r->buf;
}

/* Applies one CRC-valid record. ST_OK, ST_ENOMEM or ST_ECORRUPT with the
 * reason in @why. */
static int apply(st_index *idx, const char *rec, uint32_t len, const char **why)
{
    const char *p = rec + ST_INDEX_LOG_RECORD_HEADER;
    int rv;
    switch ((unsigned char)rec[8]) {
    case ST_INDEX_REC_SERIES:
        *why = "bad series record";
        if (len < 5)
            return ST_ECORRUPT;
        rv = st_index_apply_series(idx, get32(p), p + 4, len - 4);
        if (rv == ST_ECORRUPT)
            *why = "series record out of sequence, duplicate or unparsable";
        return rv;
    case ST_INDEX_REC_FIELD: {
        *why = "bad field record";
        if (len < 5 || get32(p + 1) > len - 5)
            return ST_ECORRUPT;
        struct st_slice m = {p + 5, get32(p + 1)};
        struct st_slice f = {p + 5 + m.len, len - 5 - m.len};
        return st_index_apply_field(idx, m, f, (enum st_field_type)(unsigned char)p[0]);
    }
    default:
        *why = "unknown record type";
        return ST_ECORRUPT;
    }
}

/* Replays the records after the header; cuts a torn tail off. */
static int replay(st_index *idx, uint64_t size, char *err, size_t errlen)
{
    struct reader r = {.fd = idx->fd, .buf = malloc(READ_CHUNK), .size = size};
    if (r.buf == NULL)
        return ST_ENOMEM;
    uint64_t pos = ST_INDEX_LOG_HEADER;
    const char *bad = NULL;
    int rv = ST_OK, e = 0;
    while (pos < size) {
        const char *h = rd_get(&r, pos, ST_INDEX_LOG_RECORD_HEADER, &e);
        if (h == NULL) {
            bad = "torn record header";
            break;
        }
        uint32_t len = get32(h + 4);
        if (len > ST_INDEX_LOG_MAX_PAYLOAD) {
            bad = "bad record length";
            break;
        }
        const char *rec = rd_get(&r, pos, ST_INDEX_LOG_RECORD_HEADER + len, &e);
        if (rec == NULL) {
            bad = "torn record";
            break;
        }
        if (get32(rec) != st_crc32c(0, rec + 4, ST_INDEX_LOG_RECORD_HEADER - 4 + len)) {
            bad = "checksum mismatch";
            break;
        }
        const char *why = "";
        if ((rv = apply(idx, rec, len, &why)) != ST_OK) {
            if (rv == ST_ECORRUPT)
                snprintf(err, errlen, "index log %s: record at offset %llu: %s", idx->path,
                         (unsigned long long)pos, why);
            goto out;
        }
        pos += ST_INDEX_LOG_RECORD_HEADER + len;
    }
    if (e != 0) {
        rv = os_err(err, errlen, idx->path, "read", e);
        goto out;
    }
    uint64_t synced = atomic_load(&idx->synced);
    if (bad != NULL && pos < synced) {
        snprintf(err, errlen,
                 "index log %s: record at offset %llu: %s, inside the %llu bytes synced", idx->path,
                 (unsigned long long)pos, bad, (unsigned long long)synced);
        rv = ST_ECORRUPT;
        goto out;
    }
    if (bad != NULL) {
        if (ftruncate(idx->fd, (off_t)pos) != 0 || fsync(idx->fd) != 0) {
            rv = os_err(err, errlen, idx->path, "cut torn tail", errno);
            goto out;
        }
        idx->dropped = size - pos;
    }
    atomic_store(&idx->size, pos);
out:
    free(r.buf);
    return rv;
}

int st_index_log_open(st_index *idx, const char *dir, char *err, size_t errlen)
{
    size_t n = strlen(dir) + sizeof("/" ST_INDEX_LOG_NAME);
    idx->path = malloc(n);
    if (idx->path == NULL)
        return ST_ENOMEM;
    snprintf(idx->path, n, "%s/%s", dir, ST_INDEX_LOG_NAME);
    idx->fd = open(idx->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (idx->fd < 0)
        return os_err(err, errlen, idx->path, "open", errno);
    struct stat st;
    if (fstat(idx->fd, &st) != 0)
        return os_err(err, errlen, idx->path, "stat", errno); /* UNTESTED */
    if (st.st_size < ST_INDEX_LOG_HEADER) {
        /* Creation writes the header in one pwrite() before anything else:
         * a crash may leave a prefix of it, or zeros, and nothing else. */
        char h[ST_INDEX_LOG_HEADER] = {0}, zero[ST_INDEX_LOG_HEADER] = {0};
        size_t have = (size_t)st.st_size, m = have < 8 ? have : 8;
        if (pread(idx->fd, h, have, 0) != (ssize_t)have ||
            (memcmp(h, zero, have) != 0 && memcmp(h, ST_INDEX_LOG_MAGIC, m) != 0)) {
            snprintf(err, errlen, "index log %s: bad header: not an index log", idx->path);
            return ST_ECORRUPT;
        }
        return create_header(idx, dir, err, errlen);
    }
    int rv = read_header(idx, (uint64_t)st.st_size, err, errlen);
    if (rv == ST_OK)
        rv = replay(idx, (uint64_t)st.st_size, err, errlen);
    return rv;
}

void st_index_log_close(st_index *idx)
{
    if (idx->fd >= 0)
        close(idx->fd);
    idx->fd = -1;
    free(idx->path);
    idx->path = NULL;
}

/* Appends the record in idx->rec (its header still to fill in). Under the
 * exclusive lock. */
static int append(st_index *idx, uint8_t type)
{
    if (atomic_load(&idx->broken)) {
        st_index_set_err(idx, "index log %s: a failed write could not be undone; reopen the index",
                         idx->path);
        return ST_EIO;
    }
    char *p = idx->rec.p;
    uint32_t len = (uint32_t)(idx->rec.len - ST_INDEX_LOG_RECORD_HEADER);
    put32(p + 4, len);
    p[8] = (char)type;
    put32(p, st_crc32c(0, p + 4, idx->rec.len - 4));
    uint64_t off = atomic_load(&idx->size);
    size_t done;
    int e = write_all(idx->fd, p, idx->rec.len, off, &done);
    if (e == 0) {
        atomic_store(&idx->size, off + idx->rec.len);
        return ST_OK;
    }
    int rv = idx_os_err(idx, "write", e);
    if (done > 0 && ftruncate(idx->fd, (off_t)off) != 0) {
        atomic_store(&idx->broken, true); /* UNTESTED: needs a failing ftruncate */
        idx_os_err(idx, "undo a partial write (creation stopped until reopen)", errno);
    }
    return rv;
}

/* Starts idx->rec with room for the header and @payload bytes. */
static int start_record(st_index *idx, size_t payload)
{
    st_buf_reset(&idx->rec);
    int rv = st_buf_reserve(&idx->rec, ST_INDEX_LOG_RECORD_HEADER + payload);
    if (rv == ST_OK)
        idx->rec.len = ST_INDEX_LOG_RECORD_HEADER;
    return rv;
}

int st_index_log_series(st_index *idx, uint32_t id, struct st_slice key)
{
    int rv = start_record(idx, 4 + (size_t)key.len);
    if (rv != ST_OK)
        return rv;
    put32(idx->rec.p + idx->rec.len, id);
    idx->rec.len += 4;
    st_buf_append(&idx->rec, key.p, key.len); /* reserved above */
    return append(idx, ST_INDEX_REC_SERIES);
}

int st_index_log_field(st_index *idx, struct st_slice m, struct st_slice f, enum st_field_type type)
{
    int rv = start_record(idx, 5 + (size_t)m.len + f.len);
    if (rv != ST_OK)
        return rv;
    char *p = idx->rec.p + idx->rec.len;
    p[0] = (char)type;
    put32(p + 1, m.len);
    idx->rec.len += 5;
    st_buf_append(&idx->rec, m.p, m.len); /* reserved above */
    st_buf_append(&idx->rec, f.p, f.len);
    return append(idx, ST_INDEX_REC_FIELD);
}

int st_index_log_sync(st_index *idx)
{
    int rv = ST_OK;
    pthread_mutex_lock(&idx->sync_mu);
    uint64_t size = atomic_load(&idx->size);
    if (fdatasync(idx->fd) != 0) {
        rv = idx_os_err(idx, "fdatasync", errno);
        goto out;
    }
    if (size == atomic_load(&idx->synced))
        goto out;
    char slot[ST_INDEX_LOG_SLOT_SIZE];
    uint64_t seq = idx->seq + 1;
    slot_encode(slot, seq, size);
    size_t done;
    int e = write_all(idx->fd, slot, sizeof slot,
                      ST_INDEX_LOG_SLOT0 + (seq & 1) * ST_INDEX_LOG_SLOT_SIZE, &done);
    if (e == 0 && fdatasync(idx->fd) != 0)
        e = errno;
    if (e != 0) {
        rv = idx_os_err(idx, "write sync slot", e); /* UNTESTED */
        goto out;
    }
    idx->seq = seq;
    atomic_store(&idx->synced, size);
out:
    pthread_mutex_unlock(&idx->sync_mu);
    return rv;
}
