/* Shard copy over the ShardCopy RPC: the serving side's sessions, and the
 * client that pulls a shard into a new directory (docs/shard-copy.md).
 *
 * Server, happy path. A call with an empty token starts a session: a random
 * 128-bit id, a snapshot of the shard in <datadir>/snapshots/<id in hex>
 * (st_shard_snapshot: hard links and copies, taken under the shard's
 * background lock), and the snapshot's files sorted by name with their
 * sizes. The chunk size is fixed by that first call. The files are cut into
 * chunks in order, a file of n bytes into ceil(n / chunk) chunks (an empty
 * one into one empty chunk), so chunk k names the same bytes for the whole
 * life of the session, and a token is just (session id, shard id, k): a
 * resent token is answered from the same immutable files with the same
 * bytes. Each answer carries the token of chunk k + 1, or none and `done`
 * on the last chunk.
 *
 * A file's CRC32C is extended as its chunks are served in order; a retry
 * does not extend it twice (the covered length must equal the chunk's
 * offset), and if chunks were somehow asked out of order the last chunk
 * computes it from the whole file instead.
 *
 * Sessions end when unused for ST_COPY_IDLE_MS (then NOT_FOUND: start
 * again), or ST_COPY_DONE_MS after the last chunk was served: the proto
 * gives no token to acknowledge `done` with, so a finished session is kept a
 * little while for a client whose last answer was lost. Expired sessions are
 * dropped by the next call (no timer thread); their snapshot directories are
 * deleted then, and at st_copy_open() after a restart. A handler holds a
 * reference to its session while it reads, so a sweep never deletes files
 * being served.
 *
 * Client. st_copy_fetch() asks chunk after chunk, resending the same token
 * on a failed call, and writes each chunk at its offset into
 * "<dst>.part/<file name>" after checking its CRC; at the end of each file
 * it checks the whole-file CRC and fsyncs it. After the last chunk it checks
 * the total size, fsyncs the directories, renames "<dst>.part" to <dst> and
 * fsyncs the parent. Any failure removes "<dst>.part". */
#define _GNU_SOURCE /* nftw's FTW_DEPTH | FTW_PHYS, getrandom */
#include "copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "data.pb-c.h"
#include "err.h"
#include "shard_snap.h"

#define ID_LEN 16
#define TOKEN_LEN (ID_LEN + 8 + 8) /* session id, shard id, chunk index (LE) */
#define READ_BUF (1u << 20)
#define MAX_DEPTH 4       /* directory levels listed in a snapshot */
#define MAX_NAME 255      /* longest file name accepted from a server */
#define MAX_FILES 1000000 /* files accepted from a server */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return st_from_errno(errno);
    int rv = fsync(fd) == 0 ? ST_OK : st_from_errno(errno);
    close(fd);
    return rv;
}

/* Reads exactly @n bytes at @off of @fd into @p. */
static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (char *)p + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return st_from_errno(errno);
        if (k == 0)
            return ST_EIO; /* UNTESTED: snapshot files do not shrink */
        got += (size_t)k;
    }
    return ST_OK;
}

/* ---- Server ---------------------------------------------------------------- */

/* One file of a snapshot. */
struct file {
    char *name;       /* relative to the snapshot directory */
    uint64_t size;    /* bytes */
    uint64_t first;   /* index of its first chunk */
    uint64_t crc_off; /* bytes that crc covers, from 0; under the session's mu */
    uint32_t crc;     /* CRC32C of the first crc_off bytes */
};

struct session {
    struct session *next;
    uint8_t id[ID_LEN];
    uint64_t shard_id;
    char *dir;          /* the snapshot: <datadir>/snapshots/<hex id> */
    struct file *files; /* sorted by name */
    size_t nfiles, files_cap;
    uint64_t nchunks;   /* chunks of all files */
    uint64_t total;     /* bytes of all files */
    uint32_t chunk;     /* bytes per chunk, fixed by the first call */
    pthread_mutex_t mu; /* the files' running CRCs */
    /* Under the table's lock: */
    int refs;        /* handlers using the session now */
    int64_t last_ms; /* last use */
    bool finished;   /* the last chunk was served */
};

struct st_copy {
    char *snapdir; /* <datadir>/snapshots */
    pthread_mutex_t mu;
    struct session *sessions; /* under mu */
    size_t n;                 /* sessions, plus starts under way; under mu */
    int64_t idle_ms, done_ms;
};

static void session_free(struct session *ss)
{
    if (ss == NULL)
        return;
    if (ss->dir)
        st_shard_snapshot_remove(ss->dir);
    for (size_t i = 0; i < ss->nfiles; i++)
        free(ss->files[i].name);
    free(ss->files);
    free(ss->dir);
    pthread_mutex_destroy(&ss->mu);
    free(ss);
}

/* Takes the expired sessions out of the table (under c->mu) into a list
 * that the caller frees after unlocking. */
static struct session *take_expired(st_copy *c)
{
    int64_t now = now_ms();
    struct session *dead = NULL, **pp = &c->sessions;
    while (*pp) {
        struct session *ss = *pp;
        int64_t limit = ss->finished ? c->done_ms : c->idle_ms;
        if (ss->refs == 0 && now - ss->last_ms > limit) {
            *pp = ss->next;
            c->n--;
            ss->next = dead;
            dead = ss;
        } else {
            pp = &ss->next;
        }
    }
    return dead;
}

static void free_list(struct session *list)
{
    while (list) {
        struct session *next = list->next;
        session_free(list);
        list = next;
    }
}

static void sweep(st_copy *c)
{
    pthread_mutex_lock(&c->mu);
    struct session *dead = take_expired(c);
    pthread_mutex_unlock(&c->mu);
    free_list(dead);
}

int st_copy_open(const char *datadir, st_copy **out)
{
    int rv = ST_OK;
    st_copy *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return ST_ENOMEM;
    pthread_mutex_init(&c->mu, NULL);
    c->idle_ms = ST_COPY_IDLE_MS;
    c->done_ms = ST_COPY_DONE_MS;
    size_t n = strlen(datadir) + sizeof("/snapshots");
    if ((c->snapdir = malloc(n)) == NULL) {
        rv = ST_ENOMEM;
        goto err;
    }
    snprintf(c->snapdir, n, "%s/snapshots", datadir);
    if ((mkdir(datadir, 0755) != 0 && errno != EEXIST) ||
        (mkdir(c->snapdir, 0755) != 0 && errno != EEXIST)) {
        rv = st_from_errno(errno);
        goto err;
    }
    /* Sessions do not survive a restart: their snapshots are garbage. */
    DIR *d = opendir(c->snapdir);
    if (d == NULL) {
        rv = st_from_errno(errno);
        goto err;
    }
    struct dirent *de;
    char path[4096];
    while (rv == ST_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", c->snapdir, de->d_name);
        rv = st_shard_snapshot_remove(path);
    }
    closedir(d);
    if (rv != ST_OK)
        goto err;
    *out = c;
    return ST_OK;
err:
    st_copy_close(c);
    return rv;
}

void st_copy_close(st_copy *c)
{
    if (c == NULL)
        return;
    free_list(c->sessions);
    pthread_mutex_destroy(&c->mu);
    free(c->snapdir);
    free(c);
}

void st_copy_set_timeouts(st_copy *c, int64_t idle_ms, int64_t done_ms)
{
    pthread_mutex_lock(&c->mu);
    c->idle_ms = idle_ms;
    c->done_ms = done_ms;
    pthread_mutex_unlock(&c->mu);
}

size_t st_copy_count(st_copy *c)
{
    pthread_mutex_lock(&c->mu);
    struct session *dead = take_expired(c);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    free_list(dead);
    return n;
}

static int add_file(struct session *ss, const char *rel, uint64_t size)
{
    if (ss->nfiles == ss->files_cap) {
        size_t cap = ss->files_cap ? 2 * ss->files_cap : 16;
        struct file *p = realloc(ss->files, cap * sizeof(*p));
        if (p == NULL)
            return ST_ENOMEM;
        ss->files = p;
        ss->files_cap = cap;
    }
    char *name = strdup(rel);
    if (name == NULL)
        return ST_ENOMEM;
    ss->files[ss->nfiles++] = (struct file){.name = name, .size = size};
    return ST_OK;
}

/* Adds the regular files under ss->dir/@rel ("" for the top), recursively. */
static int list_files(struct session *ss, const char *rel, int depth)
{
    char path[4096], sub[4096];
    snprintf(path, sizeof(path), "%s%s%s", ss->dir, rel[0] ? "/" : "", rel);
    DIR *d = opendir(path);
    if (d == NULL)
        return st_from_errno(errno);
    int rv = ST_OK;
    struct dirent *de;
    while (rv == ST_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rv = st_from_errno(errno); /* UNTESTED */
            break;
        }
        snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH)
            rv = list_files(ss, sub, depth + 1);
        else if (S_ISREG(st.st_mode))
            rv = add_file(ss, sub, (uint64_t)st.st_size);
    }
    closedir(d);
    return rv;
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->name, ((const struct file *)b)->name);
}

static uint64_t file_chunks(const struct file *f, uint32_t chunk)
{
    return f->size == 0 ? 1 : (f->size + chunk - 1) / chunk;
}

/* Answer under construction; what it points to lives until it is packed. */
struct reply {
    Strata__DataResponse resp;
    Strata__Error error;
    Strata__ShardCopyResponse copy;
    uint8_t token[TOKEN_LEN];
    uint8_t *data; /* the chunk; owned */
    char msg[1024];
};

static int fail(struct reply *r, Strata__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct reply *r, Strata__ErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
    r->error.code = code;
    r->resp.error = &r->error;
    return ST_OK;
}

static Strata__ErrorCode code_of(int rv)
{
    switch (rv) {
    case ST_ENOTFOUND:
        return STRATA__ERROR_CODE__NOT_FOUND;
    case ST_ENOSPC:
        return STRATA__ERROR_CODE__DISK_FULL;
    case ST_ENOMEM:
        return STRATA__ERROR_CODE__OUT_OF_MEMORY;
    case ST_ECORRUPT:
        return STRATA__ERROR_CODE__CORRUPT;
    case ST_EINVAL:
        return STRATA__ERROR_CODE__INVALID_ARGUMENT;
    case ST_EIO:
        return STRATA__ERROR_CODE__IO_ERROR;
    default:
        return STRATA__ERROR_CODE__INTERNAL;
    }
}

static int random_id(uint8_t *id)
{
    size_t got = 0;
    while (got < ID_LEN) {
        ssize_t k = getrandom(id + got, ID_LEN - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return st_from_errno(errno); /* UNTESTED: kernels before 3.17 */
        got += (size_t)k;
    }
    return ST_OK;
}

/* Snapshots the shard and registers a session holding a reference. */
static void start(st_copy *c, st_store *st, const Strata__ShardCopy *req, struct reply *r,
                  struct session **out)
{
    char err[768] = "";
    st_shard *s = NULL;
    pthread_mutex_lock(&c->mu);
    bool full = c->n >= ST_COPY_MAX_SESSIONS;
    if (!full)
        c->n++; /* the place is taken now, the session comes below */
    pthread_mutex_unlock(&c->mu);
    if (full) {
        fail(r, STRATA__ERROR_CODE__UNAVAILABLE,
             "shard copy: %d copies are running on this node; retry later", ST_COPY_MAX_SESSIONS);
        return;
    }
    struct session *ss = calloc(1, sizeof(*ss));
    int rv = ss ? ST_OK : ST_ENOMEM;
    if (rv == ST_OK) {
        pthread_mutex_init(&ss->mu, NULL);
        ss->shard_id = req->shard_id;
        ss->chunk = req->max_chunk_bytes == 0 ? ST_COPY_DEFAULT_CHUNK : req->max_chunk_bytes;
        if (ss->chunk > ST_COPY_MAX_CHUNK)
            ss->chunk = ST_COPY_MAX_CHUNK;
        rv = random_id(ss->id);
    }
    if (rv == ST_OK) {
        size_t n = strlen(c->snapdir) + 2 + 2 * ID_LEN;
        if ((ss->dir = malloc(n)) == NULL) {
            rv = ST_ENOMEM;
        } else {
            size_t o = (size_t)snprintf(ss->dir, n, "%s/", c->snapdir);
            for (int i = 0; i < ID_LEN; i++)
                o += (size_t)snprintf(ss->dir + o, n - o, "%02x", ss->id[i]);
        }
    }
    if (rv == ST_OK &&
        (rv = st_store_acquire(st, req->shard_id, false, &s, err, sizeof(err))) == ST_ENOTFOUND)
        snprintf(err, sizeof(err), "shard %" PRIu64 ": not found", req->shard_id);
    if (rv == ST_OK) {
        rv = st_shard_snapshot(s, ss->dir, err, sizeof(err));
        st_store_release(st, s);
        if (rv != ST_OK) {
            free(ss->dir); /* nothing left there to remove */
            ss->dir = NULL;
        }
    }
    if (rv == ST_OK && (rv = list_files(ss, "", 0)) != ST_OK)
        snprintf(err, sizeof(err), "listing snapshot %s: %s", ss->dir, st_strerror(rv));
    if (rv == ST_OK) {
        qsort(ss->files, ss->nfiles, sizeof(*ss->files), file_cmp);
        for (size_t i = 0; i < ss->nfiles; i++) {
            ss->files[i].first = ss->nchunks;
            ss->nchunks += file_chunks(&ss->files[i], ss->chunk);
            ss->total += ss->files[i].size;
        }
        if (ss->nfiles == 0) { /* UNTESTED: a shard always has its index */
            rv = ST_EIO;
            snprintf(err, sizeof(err), "snapshot %s holds no file", ss->dir);
        }
    }
    pthread_mutex_lock(&c->mu);
    if (rv == ST_OK) {
        ss->refs = 1;
        ss->last_ms = now_ms();
        ss->next = c->sessions;
        c->sessions = ss;
    } else {
        c->n--;
    }
    pthread_mutex_unlock(&c->mu);
    if (rv != ST_OK) {
        fail(r, code_of(rv), "shard copy: %s", err[0] ? err : st_strerror(rv));
        session_free(ss);
        return;
    }
    *out = ss;
}

/* Finds the session of @token and takes a reference; NULL when unknown. */
static struct session *lookup(st_copy *c, const uint8_t *token)
{
    pthread_mutex_lock(&c->mu);
    struct session *ss = c->sessions;
    while (ss && memcmp(ss->id, token, ID_LEN) != 0)
        ss = ss->next;
    if (ss)
        ss->refs++;
    pthread_mutex_unlock(&c->mu);
    return ss;
}

static void release(st_copy *c, struct session *ss, bool finished)
{
    pthread_mutex_lock(&c->mu);
    ss->refs--;
    ss->last_ms = now_ms();
    ss->finished |= finished;
    pthread_mutex_unlock(&c->mu);
}

/* CRC32C of the whole file @path. */
static int whole_crc(const char *path, uint64_t size, uint32_t *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return st_from_errno(errno);
    char *buf = malloc(READ_BUF);
    int rv = buf ? ST_OK : ST_ENOMEM;
    uint32_t crc = 0;
    for (uint64_t off = 0; rv == ST_OK && off < size;) {
        size_t n = size - off < READ_BUF ? (size_t)(size - off) : READ_BUF;
        if ((rv = pread_all(fd, buf, n, off)) == ST_OK)
            crc = st_crc32c(crc, buf, n);
        off += n;
    }
    free(buf);
    close(fd);
    *out = crc;
    return rv;
}

/* Fills the answer with chunk @k of @ss. */
static void serve(struct session *ss, uint64_t k, struct reply *r, bool *finished)
{
    /* The file holding chunk k: the last one whose first chunk is <= k. */
    size_t lo = 0, hi = ss->nfiles;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ss->files[mid].first <= k)
            lo = mid;
        else
            hi = mid;
    }
    struct file *f = &ss->files[lo];
    uint64_t off = (k - f->first) * ss->chunk;
    size_t len = f->size - off < ss->chunk ? (size_t)(f->size - off) : ss->chunk;
    bool file_done = k + 1 == f->first + file_chunks(f, ss->chunk);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", ss->dir, f->name);

    int rv = ST_OK;
    if ((r->data = malloc(len ? len : 1)) == NULL) {
        fail(r, STRATA__ERROR_CODE__OUT_OF_MEMORY, "shard copy: out of memory");
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        rv = st_from_errno(errno); /* UNTESTED: the snapshot is ours alone */
    if (rv == ST_OK) {
        rv = pread_all(fd, r->data, len, off);
        close(fd);
    }
    if (rv != ST_OK) {
        fail(r, code_of(rv), "shard copy: reading %s: %s", path, st_strerror(rv));
        return;
    }
    uint32_t crc = st_crc32c(0, r->data, len);
    uint32_t file_crc = 0;
    bool have_file_crc = false;
    pthread_mutex_lock(&ss->mu);
    if (f->crc_off == off) {
        f->crc = st_crc32c(f->crc, r->data, len);
        f->crc_off += len;
    }
    if (file_done && f->crc_off == f->size) {
        file_crc = f->crc;
        have_file_crc = true;
    }
    pthread_mutex_unlock(&ss->mu);
    if (file_done && !have_file_crc && (rv = whole_crc(path, f->size, &file_crc)) != ST_OK) {
        fail(r, code_of(rv), "shard copy: reading %s: %s", path, st_strerror(rv));
        return;
    }

    Strata__ShardCopyResponse *cr = &r->copy;
    cr->file_name = f->name;
    cr->file_size = f->size;
    cr->offset = off;
    cr->data.data = r->data;
    cr->data.len = len;
    cr->crc32c = crc;
    cr->file_done = file_done;
    cr->file_crc32c = file_done ? file_crc : 0;
    cr->total_size = ss->total;
    cr->done = k + 1 == ss->nchunks;
    if (!cr->done) {
        memcpy(r->token, ss->id, ID_LEN);
        put64(r->token + ID_LEN, ss->shard_id);
        put64(r->token + ID_LEN + 8, k + 1);
        cr->token.data = r->token;
        cr->token.len = TOKEN_LEN;
    }
    *finished = cr->done;
}

int st_copy_handle(st_copy *c, st_store *st, const Strata__ShardCopy *req, struct st_buf *out)
{
    struct reply r;
    strata__data_response__init(&r.resp);
    strata__error__init(&r.error);
    strata__shard_copy_response__init(&r.copy);
    r.data = NULL;
    r.msg[0] = '\0';
    r.error.message = r.msg;
    r.resp.resp_case = STRATA__DATA_RESPONSE__RESP_SHARD_COPY;
    r.resp.shard_copy = &r.copy;

    sweep(c);
    struct session *ss = NULL;
    uint64_t k = 0;
    if (req == NULL) {
        fail(&r, STRATA__ERROR_CODE__INVALID_ARGUMENT, "shard copy: no request");
    } else if (req->token.len == 0) {
        start(c, st, req, &r, &ss);
    } else if (req->token.len != TOKEN_LEN || get64(req->token.data + ID_LEN) != req->shard_id) {
        fail(&r, STRATA__ERROR_CODE__INVALID_ARGUMENT,
             "shard copy: the token was not made for shard %" PRIu64, req->shard_id);
    } else if ((ss = lookup(c, req->token.data)) == NULL) {
        fail(&r, STRATA__ERROR_CODE__NOT_FOUND,
             "shard copy: shard %" PRIu64 ": unknown or expired token; start again", req->shard_id);
    } else if ((k = get64(req->token.data + ID_LEN + 8)) >= ss->nchunks) {
        fail(&r, STRATA__ERROR_CODE__INVALID_ARGUMENT,
             "shard copy: the token names chunk %" PRIu64 " of %" PRIu64, k, ss->nchunks);
    }
    if (ss) {
        bool finished = false;
        if (r.resp.error == NULL)
            serve(ss, k, &r, &finished);
        release(c, ss, finished);
    }
    size_t n = strata__data_response__get_packed_size(&r.resp);
    int rv = st_buf_reserve(out, n);
    if (rv == ST_OK) {
        strata__data_response__pack(&r.resp, (uint8_t *)out->p + out->len);
        out->len += n;
    }
    free(r.data);
    return rv;
}

/* ---- Client ---------------------------------------------------------------- */

struct fetch {
    st_rpc_client *cl;           /* borrowed */
    struct st_copy_fetch_opts o; /* defaults filled in */
    uint64_t shard_id;
    char part[4096]; /* "<dst>.part" */
    char *err;
    size_t errlen;
    /* The file being received; fd < 0 between files. */
    int fd;
    char name[MAX_NAME + 1];
    uint64_t size, written;
    uint32_t crc;
    /* The whole copy. */
    bool started;
    uint64_t total, received;
    size_t nfiles;
};

static int ferr(struct fetch *f, int rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ferr(struct fetch *f, int rv, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return st_errf(f->err, f->errlen, rv, "shard copy %" PRIu64 ": %s", f->shard_id, msg);
}

/* A relative path of plain components ([A-Za-z0-9._-], no "." or ".."):
 * whatever a server sends, the files stay inside the directory. */
static bool safe_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > MAX_NAME)
        return false;
    const char *p = name;
    for (int depth = 0;; depth++) {
        size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789._-");
        if (len == 0 || depth >= MAX_DEPTH || (len == 1 && p[0] == '.') ||
            (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (p[len] == '\0')
            return true;
        if (p[len] != '/')
            return false;
        p += len + 1;
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void remove_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int fsync_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag != FTW_DP && flag != FTW_D)
        return 0; /* files were fsynced as they were finished */
    int rv = fsync_dir(path);
    return rv == ST_OK ? 0 : rv;
}

/* The directory that holds @path, into @out. */
static void parent_of(const char *path, char *out, size_t len)
{
    snprintf(out, len, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash == out)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(out, len, ".");
}

/* What a server's error code means here, and whether to ask again. */
static int code_to_st(Strata__ErrorCode code, bool *retry)
{
    *retry = false;
    switch (code) {
    case STRATA__ERROR_CODE__NOT_FOUND:
        return ST_ENOTFOUND;
    case STRATA__ERROR_CODE__INVALID_ARGUMENT:
        return ST_EINVAL;
    case STRATA__ERROR_CODE__CORRUPT:
        return ST_ECORRUPT;
    case STRATA__ERROR_CODE__DISK_FULL:
        return ST_ENOSPC;
    case STRATA__ERROR_CODE__UNAVAILABLE:
        *retry = true;
        return ST_EUNAVAIL;
    case STRATA__ERROR_CODE__TIMEOUT:
        *retry = true;
        return ST_ETIMEDOUT;
    case STRATA__ERROR_CODE__CANCELED:
        *retry = true;
        return ST_ECANCELED;
    case STRATA__ERROR_CODE__OUT_OF_MEMORY:
        *retry = true;
        return ST_ENOMEM;
    case STRATA__ERROR_CODE__IO_ERROR:
        *retry = true;
        return ST_EIO;
    default:
        return ST_EPROTO; /* INTERNAL, UNIMPLEMENTED (an older node), ... */
    }
}

static void backoff(int attempt)
{
    int64_t ms = (int64_t)50 << (attempt < 6 ? attempt : 6);
    if (ms > 2000)
        ms = 2000;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Asks for the chunk of @token (empty: start) until an answer decodes, is
 * not a retryable error and passes its chunk CRC. Caller owns *@out; free
 * with strata__data_response__free_unpacked(). */
static int call_chunk(struct fetch *f, const struct st_buf *token, Strata__DataResponse **out)
{
    Strata__ShardCopy sc = STRATA__SHARD_COPY__INIT;
    sc.shard_id = f->shard_id;
    sc.token.data = (uint8_t *)token->p;
    sc.token.len = token->len;
    sc.max_chunk_bytes = f->o.max_chunk_bytes;
    Strata__DataRequest q = STRATA__DATA_REQUEST__INIT;
    q.req_case = STRATA__DATA_REQUEST__REQ_SHARD_COPY;
    q.shard_copy = &sc;
    size_t qn = strata__data_request__get_packed_size(&q);
    uint8_t *qb = malloc(qn);
    if (qb == NULL)
        return ferr(f, ST_ENOMEM, "out of memory");
    strata__data_request__pack(&q, qb);

    struct st_buf resp;
    st_buf_init(&resp);
    char why[640] = "";
    int rv = ST_OK, tries = 0;
    for (int attempt = 0; attempt < f->o.attempts; attempt++) {
        if (attempt > 0)
            backoff(attempt);
        tries++;
        bool retry = true;
        if ((rv = st_rpc_call(f->cl, qb, qn, f->o.call_timeout_ms, &resp)) != ST_OK) {
            snprintf(why, sizeof(why), "call failed: %s", st_strerror(rv));
            continue;
        }
        Strata__DataResponse *d =
            strata__data_response__unpack(NULL, resp.len, (const uint8_t *)resp.p);
        if (d == NULL) {
            rv = ST_EPROTO;
            snprintf(why, sizeof(why), "the answer does not decode");
            continue;
        }
        if (d->error && d->error->code != STRATA__ERROR_CODE__OK) {
            rv = code_to_st(d->error->code, &retry);
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
                &strata__error_code__descriptor, d->error->code);
            snprintf(why, sizeof(why), "the node answered %s: %s", ev ? ev->name : "an error",
                     d->error->message ? d->error->message : "");
            strata__data_response__free_unpacked(d, NULL);
            if (!retry)
                break;
            continue;
        }
        if (d->resp_case != STRATA__DATA_RESPONSE__RESP_SHARD_COPY || d->shard_copy == NULL) {
            rv = ST_EPROTO;
            snprintf(why, sizeof(why), "the answer is not a ShardCopyResponse");
            strata__data_response__free_unpacked(d, NULL);
            break;
        }
        const Strata__ShardCopyResponse *cr = d->shard_copy;
        if (st_crc32c(0, cr->data.data, cr->data.len) != cr->crc32c) {
            rv = ST_ECORRUPT;
            snprintf(why, sizeof(why), "the chunk of %.300s at offset %" PRIu64 " fails its CRC",
                     cr->file_name ? cr->file_name : "?", cr->offset);
            strata__data_response__free_unpacked(d, NULL);
            continue;
        }
        *out = d;
        break;
    }
    if (rv != ST_OK)
        ferr(f, rv, "%s (%d call%s)", why, tries, tries == 1 ? "" : "s");
    st_buf_fini(&resp);
    free(qb);
    return rv;
}

/* Creates the directories on the way to @name inside the .part directory. */
static int make_parents(struct fetch *f, const char *name)
{
    char path[sizeof(f->part) + MAX_NAME + 2];
    size_t base = strlen(f->part) + 1;
    snprintf(path, sizeof(path), "%s/%s", f->part, name);
    for (char *p = path + base; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return ferr(f, st_from_errno(errno), "mkdir %s: %s", path, strerror(errno));
        *p = '/';
    }
    return ST_OK;
}

/* Starts receiving the file of @cr. */
static int open_file(struct fetch *f, const Strata__ShardCopyResponse *cr)
{
    const char *name = cr->file_name ? cr->file_name : "";
    if (!safe_name(name))
        return ferr(f, ST_EPROTO, "refusing the file name \"%.300s\"", name);
    if (cr->offset != 0)
        return ferr(f, ST_EPROTO, "%s starts at offset %" PRIu64, name, cr->offset);
    if (++f->nfiles > MAX_FILES)
        return ferr(f, ST_EPROTO, "more than %d files", MAX_FILES);
    int rv = make_parents(f, name);
    if (rv != ST_OK)
        return rv;
    char path[sizeof(f->part) + MAX_NAME + 2];
    snprintf(path, sizeof(path), "%s/%s", f->part, name);
    f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->fd < 0 && errno == EEXIST)
        return ferr(f, ST_EPROTO, "%s was sent twice", name);
    if (f->fd < 0)
        return ferr(f, st_from_errno(errno), "create %s: %s", path, strerror(errno));
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->size = cr->file_size;
    f->written = 0;
    f->crc = 0;
    return ST_OK;
}

/* Checks chunk @cr against what came before and writes it. */
static int apply_chunk(struct fetch *f, const Strata__ShardCopyResponse *cr)
{
    int rv;
    if (!f->started) {
        f->started = true;
        f->total = cr->total_size;
    } else if (cr->total_size != f->total) {
        return ferr(f, ST_EPROTO, "the snapshot size changed from %" PRIu64 " to %" PRIu64,
                    f->total, cr->total_size);
    }
    if (f->fd < 0 && (rv = open_file(f, cr)) != ST_OK)
        return rv;
    const char *name = cr->file_name ? cr->file_name : "";
    size_t len = cr->data.len;
    if (strcmp(name, f->name) != 0 || cr->file_size != f->size)
        return ferr(f, ST_EPROTO, "a chunk of %.300s while %s is unfinished", name, f->name);
    if (cr->offset != f->written || len > f->size - f->written || len > f->total - f->received)
        return ferr(f, ST_EPROTO,
                    "%s: chunk at offset %" PRIu64 " (%zu bytes) after %" PRIu64 " of %" PRIu64
                    " bytes",
                    f->name, cr->offset, len, f->written, f->size);
    if (len == 0 && !cr->file_done)
        return ferr(f, ST_EPROTO, "%s: an empty chunk that does not end the file", f->name);
    for (size_t done = 0; done < len;) {
        ssize_t w = pwrite(f->fd, cr->data.data + done, len - done, (off_t)(cr->offset + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            return ferr(f, st_from_errno(e), "write %s/%s: %s", f->part, f->name, strerror(e));
        }
        done += (size_t)w;
    }
    f->crc = st_crc32c(f->crc, cr->data.data, len);
    f->written += len;
    f->received += len;
    if (cr->file_done) {
        if (f->written != f->size)
            return ferr(f, ST_EPROTO, "%s ends after %" PRIu64 " of %" PRIu64 " bytes", f->name,
                        f->written, f->size);
        if (f->crc != cr->file_crc32c)
            return ferr(f, ST_ECORRUPT, "%s fails its whole-file CRC", f->name);
        if (fsync(f->fd) != 0)
            return ferr(f, st_from_errno(errno), "fsync %s/%s: %s", f->part, f->name,
                        strerror(errno));
        close(f->fd);
        f->fd = -1;
    }
    if (cr->done && (f->fd >= 0 || f->received != f->total))
        return ferr(f, ST_EPROTO, "done after %" PRIu64 " of %" PRIu64 " bytes", f->received,
                    f->total);
    if (!cr->done && cr->token.len == 0)
        return ferr(f, ST_EPROTO, "no token to continue with");
    return ST_OK;
}

/* Makes the received directory durable and moves it to @dst. */
static int publish(struct fetch *f, const char *dst)
{
    char parent[4096];
    int rv = nftw(f->part, fsync_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rv != 0)
        return ferr(f, rv > 0 ? rv : st_from_errno(errno), "fsync %s", f->part);
    if (rename(f->part, dst) != 0)
        return ferr(f, st_from_errno(errno), "rename %s: %s", f->part, strerror(errno));
    parent_of(dst, parent, sizeof(parent));
    if ((rv = fsync_dir(parent)) != ST_OK) {
        remove_tree(dst); /* UNTESTED */
        return ferr(f, rv, "fsync %s", parent);
    }
    return ST_OK;
}

int st_copy_fetch_with(st_rpc_client *cl, uint64_t shard_id, const char *dst_dir,
                       const struct st_copy_fetch_opts *opts, char *err, size_t errlen)
{
    struct fetch f = {.cl = cl, .shard_id = shard_id, .err = err, .errlen = errlen, .fd = -1};
    if (opts)
        f.o = *opts;
    if (f.o.call_timeout_ms <= 0)
        f.o.call_timeout_ms = 30000;
    if (f.o.attempts <= 0)
        f.o.attempts = 5;
    if ((size_t)snprintf(f.part, sizeof(f.part), "%s.part", dst_dir) >= sizeof(f.part) - 300)
        return ferr(&f, ST_EINVAL, "path too long: %s", dst_dir);
    struct stat st;
    if (lstat(dst_dir, &st) == 0)
        return ferr(&f, ST_EEXIST, "%s exists", dst_dir);
    remove_tree(f.part); /* what a crash left of an earlier fetch */
    if (mkdir(f.part, 0755) != 0)
        return ferr(&f, st_from_errno(errno), "mkdir %s: %s", f.part, strerror(errno));

    struct st_buf token;
    st_buf_init(&token);
    int rv = ST_OK;
    for (bool done = false; !done && rv == ST_OK;) {
        Strata__DataResponse *d = NULL;
        if ((rv = call_chunk(&f, &token, &d)) != ST_OK)
            break;
        const Strata__ShardCopyResponse *cr = d->shard_copy;
        rv = apply_chunk(&f, cr);
        done = cr->done;
        st_buf_reset(&token);
        if (rv == ST_OK && !done)
            rv = st_buf_append(&token, cr->token.data, cr->token.len);
        strata__data_response__free_unpacked(d, NULL);
        if (rv == ST_ENOMEM)
            ferr(&f, rv, "out of memory"); /* UNTESTED */
    }
    st_buf_fini(&token);
    if (rv == ST_OK)
        rv = publish(&f, dst_dir);
    if (f.fd >= 0)
        close(f.fd);
    if (rv != ST_OK)
        remove_tree(f.part);
    return rv;
}

int st_copy_fetch(st_rpc_client *cl, uint64_t shard_id, const char *dst_dir, char *err,
                  size_t errlen)
{
    return st_copy_fetch_with(cl, shard_id, dst_dir, NULL, err, errlen);
}
