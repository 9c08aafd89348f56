/* Unit tests of data/wal: framing (pure), append and replay, group commit
 * under concurrency, rotation, torn tails, corruption, sync modes, ENOSPC. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "err.h"
#include "testlib.h"
#include "wal.h"

/* What a replay delivered. */
struct got {
    size_t n;
    uint8_t type[20000];
    char *payload[20000]; /* malloc'ed copies, NUL-terminated */
    size_t len[20000];
    int fail_at; /* the callback returns ST_EIO at this record (1-based); 0: never */
};

struct fixture {
    char root[64]; /* the temp dir */
    char dir[256]; /* the WAL's dir, root/wal */
    st_wal *w;
    struct got got;
    struct st_wal_replay_report rep;
    struct st_buf buf;
    bool mounted;
    char mnt[128];
};
static struct fixture f;

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[512];
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void got_reset(void)
{
    for (size_t i = 0; i < f.got.n; i++)
        free(f.got.payload[i]);
    f.got.n = 0;
    f.got.fail_at = 0;
}

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    snprintf(f.root, sizeof(f.root), "/tmp/st-wal-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f.root));
    snprintf(f.dir, sizeof(f.dir), "%s/wal", f.root);
    st_buf_init(&f.buf);
}

static void teardown(void)
{
    if (f.w)
        st_wal_close(f.w);
    got_reset();
    st_buf_fini(&f.buf);
    if (f.mounted)
        umount2(f.mnt, MNT_DETACH);
    rm_rf(f.root);
}

/* ---- Verbs ---------------------------------------------------------------- */

static void OPEN_WITH(const struct st_wal_opts *o)
{
    ck_assert_int_eq(st_wal_open(f.dir, o, &f.w), ST_OK);
}
#define OPEN() OPEN_WITH(NULL)

static void CLOSE(void)
{
    ck_assert_int_eq(st_wal_close(f.w), ST_OK);
    f.w = NULL;
}

static void APPEND(uint8_t type, const char *s)
{
    ck_assert_int_eq(st_wal_append(f.w, type, s, strlen(s)), ST_OK);
}

static uint64_t ROTATE(void)
{
    uint64_t seq = 0;
    ck_assert_int_eq(st_wal_rotate(f.w, &seq), ST_OK);
    return seq;
}

static int collect(uint8_t type, const uint8_t *payload, size_t len, void *arg)
{
    struct got *g = arg;
    ck_assert_uint_lt(g->n, sizeof(g->type));
    if (g->fail_at && g->n + 1 == (size_t)g->fail_at)
        return ST_EIO;
    g->type[g->n] = type;
    g->payload[g->n] = malloc(len + 1);
    memcpy(g->payload[g->n], payload, len);
    g->payload[g->n][len] = '\0';
    g->len[g->n] = len;
    g->n++;
    return ST_OK;
}

/* Replays f.dir into f.got (reset first); returns what replay returned. */
static int REPLAY(void)
{
    got_reset();
    return st_wal_replay(f.dir, collect, &f.got, &f.rep);
}

static const char *SEG(uint64_t seq)
{
    static char path[300];
    snprintf(path, sizeof(path), "%s/%08llu.wal", f.dir, (unsigned long long)seq);
    return path;
}

static bool EXISTS(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static off_t SIZE(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* Reads the whole file into f.buf. */
static void LOAD(const char *path)
{
    st_buf_reset(&f.buf);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        ck_assert_int_eq(st_buf_append(&f.buf, chunk, k), ST_OK);
    fclose(fp);
}

static void STORE(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static void APPEND_FILE(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "ab");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static void FLIP(const char *path, off_t off, int bit)
{
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    unsigned char c;
    ck_assert_int_eq(pread(fd, &c, 1, off), 1);
    c ^= (unsigned char)(1u << bit);
    ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

/* Offset of the frame of the @i-th record (0-based) in segment bytes @p/@n. */
static size_t record_off(const void *p, size_t n, size_t i)
{
    struct st_wal_scan s;
    struct st_wal_record r;
    st_wal_scan_init(&s, p, n);
    for (size_t k = 0; st_wal_scan_next(&s, &r); k++)
        if (k == i)
            return r.off;
    ck_abort_msg("record %zu not found", i);
    return 0;
}

/* ---- Format (pure) ---------------------------------------------------------- */

/* A segment built in memory: header and batches, each of @per records. */
struct mem {
    struct st_buf b;
    size_t batch_off[16];
    size_t nbatches;
};

/* Appends a batch of @n records "b<batch>r<i>" declaring @durable bytes
 * durable (UINT64_MAX: everything before the batch, as SYNC_ALWAYS). */
static void mem_batch(struct mem *m, uint32_t n, uint64_t durable)
{
    struct st_buf recs;
    st_buf_init(&recs);
    for (uint32_t i = 0; i < n; i++) {
        char s[32];
        snprintf(s, sizeof(s), "b%zur%u-payload", m->nbatches, i);
        ck_assert_int_eq(st_wal_encode_record(&recs, (uint8_t)(1 + i % 3), s, strlen(s)), ST_OK);
    }
    m->batch_off[m->nbatches++] = m->b.len;
    if (durable == UINT64_MAX)
        durable = m->b.len;
    ck_assert_int_eq(st_wal_encode_batch(&m->b, n, (uint32_t)recs.len, durable), ST_OK);
    ck_assert_int_eq(st_buf_append(&m->b, recs.p, recs.len), ST_OK);
    st_buf_fini(&recs);
}

static void mem_init(struct mem *m, uint64_t seq)
{
    memset(m, 0, sizeof(*m));
    st_buf_init(&m->b);
    ck_assert_int_eq(st_wal_encode_header(&m->b, seq), ST_OK);
}

/* Scans @n bytes at @p: returns the number of records, the scan in *@s. */
static size_t scan(const void *p, size_t n, struct st_wal_scan *s)
{
    struct st_wal_record r;
    size_t k = 0;
    st_wal_scan_init(s, p, n);
    while (st_wal_scan_next(s, &r)) {
        ck_assert_ptr_eq(r.payload, (const uint8_t *)p + r.off + ST_WAL_FRAME_HEADER);
        ck_assert_uint_le(r.off + ST_WAL_FRAME_HEADER + r.len, n);
        k++;
    }
    ck_assert_int_ne(s->end, ST_WAL_END_NONE);
    return k;
}

START_TEST(test_wal_format_round_trip)
{
    struct st_buf b;
    st_buf_init(&b);
    ck_assert_int_eq(st_wal_encode_header(&b, 7), ST_OK);
    ck_assert_uint_eq(b.len, ST_WAL_HEADER_SIZE);
    ck_assert_mem_eq(b.p, "STWAL", 5);
    struct st_buf recs;
    st_buf_init(&recs);
    ck_assert_int_eq(st_wal_encode_record(&recs, 1, "hello", 5), ST_OK);
    ck_assert_int_eq(st_wal_encode_record(&recs, ST_WAL_TYPE_MAX, "", 0), ST_OK);
    ck_assert_uint_eq(recs.len, st_wal_record_size(5) + st_wal_record_size(0));
    ck_assert_int_eq(st_wal_encode_batch(&b, 2, (uint32_t)recs.len, b.len), ST_OK);
    st_buf_append(&b, recs.p, recs.len);
    ck_assert_int_eq(st_wal_encode_batch(&b, 0, 0, b.len), ST_OK); /* empty batch */
    st_buf_reset(&recs);
    ck_assert_int_eq(st_wal_encode_record(&recs, 42, "world!", 6), ST_OK);
    ck_assert_int_eq(st_wal_encode_batch(&b, 1, (uint32_t)recs.len, ST_WAL_HEADER_SIZE), ST_OK);
    st_buf_append(&b, recs.p, recs.len);

    struct st_wal_scan s;
    struct st_wal_record r;
    st_wal_scan_init(&s, b.p, b.len);
    ck_assert(st_wal_scan_next(&s, &r));
    ck_assert_uint_eq(r.type, 1);
    ck_assert_uint_eq(r.len, 5);
    ck_assert_mem_eq(r.payload, "hello", 5);
    ck_assert_uint_eq(r.off, ST_WAL_HEADER_SIZE + ST_WAL_BATCH_FRAME);
    ck_assert(st_wal_scan_next(&s, &r));
    ck_assert_uint_eq(r.type, ST_WAL_TYPE_MAX);
    ck_assert_uint_eq(r.len, 0);
    ck_assert(st_wal_scan_next(&s, &r));
    ck_assert_uint_eq(r.type, 42);
    ck_assert_mem_eq(r.payload, "world!", 6);
    ck_assert(!st_wal_scan_next(&s, &r));
    ck_assert_int_eq(s.end, ST_WAL_END_CLEAN);
    ck_assert_uint_eq(s.end_off, b.len);
    ck_assert(s.header_ok);
    ck_assert_uint_eq(s.seq, 7);
    ck_assert_uint_eq(s.batches, 3);
    ck_assert(!st_wal_scan_next(&s, &r)); /* stays ended */

    /* Bad arguments are refused, not encoded. */
    size_t len = recs.len;
    ck_assert_int_eq(st_wal_encode_record(&recs, 0, "x", 1), ST_EINVAL);
    ck_assert_int_eq(st_wal_encode_record(&recs, ST_WAL_TYPE_MAX + 1, "x", 1), ST_EINVAL);
    ck_assert_int_eq(st_wal_encode_record(&recs, ST_WAL_TYPE_BATCH, "x", 1), ST_EINVAL);
    ck_assert_int_eq(st_wal_encode_record(&recs, 1, "x", (size_t)ST_WAL_MAX_PAYLOAD + 1),
                     ST_EINVAL);
    ck_assert_uint_eq(recs.len, len);
    st_buf_fini(&recs);
    st_buf_fini(&b);
}
END_TEST

START_TEST(test_wal_format_header_cases)
{
    struct st_wal_scan s;
    uint8_t zeros[200] = {0};
    ck_assert_uint_eq(scan(zeros, 0, &s), 0); /* created, header never written */
    ck_assert_int_eq(s.end, ST_WAL_END_TORN);
    ck_assert_uint_eq(s.end_off, 0);
    ck_assert_uint_eq(scan(zeros, sizeof(zeros), &s), 0);
    ck_assert_int_eq(s.end, ST_WAL_END_TORN);

    struct mem m;
    mem_init(&m, 3);
    ck_assert_uint_eq(scan(m.b.p, 10, &s), 0); /* half a header */
    ck_assert_int_eq(s.end, ST_WAL_END_TORN);
    ck_assert_uint_eq(scan(m.b.p, m.b.len, &s), 0); /* header only: clean */
    ck_assert_int_eq(s.end, ST_WAL_END_CLEAN);
    ck_assert_uint_eq(s.seq, 3);
    st_buf_append(&m.b, zeros, sizeof(zeros)); /* preallocated space */
    ck_assert_uint_eq(scan(m.b.p, m.b.len, &s), 0);
    ck_assert_int_eq(s.end, ST_WAL_END_TORN);
    ck_assert_uint_eq(s.end_off, ST_WAL_HEADER_SIZE);

    /* An intact header of another version is an error, never a torn tail. */
    struct mem v;
    mem_init(&v, 1);
    mem_batch(&v, 1, UINT64_MAX);
    v.b.p[5] = 2;
    uint32_t crc = st_crc32c(0, v.b.p, 16);
    for (int i = 0; i < 4; i++)
        v.b.p[16 + i] = (char)(crc >> (8 * i));
    ck_assert_uint_eq(scan(v.b.p, v.b.len, &s), 0);
    ck_assert_int_eq(s.end, ST_WAL_END_CORRUPT);
    ck_assert_str_eq(s.reason, "unsupported segment version");

    /* A damaged header followed by a batch that was written after it was
     * durable (every batch is: the header is synced at creation). */
    v.b.p[5] = 1;
    v.b.p[9] ^= 4;
    ck_assert_uint_eq(scan(v.b.p, v.b.len, &s), 0);
    ck_assert_int_eq(s.end, ST_WAL_END_CORRUPT);
    ck_assert_uint_eq(s.bad_off, 0);
    ck_assert_uint_eq(s.proof_off, ST_WAL_HEADER_SIZE);
    st_buf_fini(&v.b);
    st_buf_fini(&m.b);
}
END_TEST

/* Cut inside the last batch at every offset, or zero its bytes from there
 * on: the earlier batches replay, the rest is a torn tail at its start. */
START_TEST(test_wal_format_torn_every_offset)
{
    struct mem m;
    mem_init(&m, 1);
    mem_batch(&m, 2, UINT64_MAX);
    mem_batch(&m, 1, UINT64_MAX);
    mem_batch(&m, 3, UINT64_MAX);
    size_t start = m.batch_off[2];
    char *copy = malloc(m.b.len);
    for (size_t cut = start + 1; cut < m.b.len; cut++) {
        struct st_wal_scan s;
        ck_assert_uint_eq(scan(m.b.p, cut, &s), 3);
        ck_assert_int_eq(s.end, ST_WAL_END_TORN);
        ck_assert_uint_eq(s.end_off, start);
        /* Cutting there leaves a segment that scans clean. */
        ck_assert_uint_eq(scan(m.b.p, s.end_off, &s), 3);
        ck_assert_int_eq(s.end, ST_WAL_END_CLEAN);

        memcpy(copy, m.b.p, m.b.len);
        memset(copy + cut, 0, m.b.len - cut);
        ck_assert_uint_eq(scan(copy, m.b.len, &s), 3);
        ck_assert_int_eq(s.end, ST_WAL_END_TORN);
        ck_assert_uint_eq(s.end_off, start);
    }
    free(copy);
    st_buf_fini(&m.b);
}
END_TEST

/* Sectors of the last write reach the disk in any order: a batch that lost
 * a middle record but kept its last one is still a torn tail. */
START_TEST(test_wal_format_torn_out_of_order)
{
    struct mem m;
    mem_init(&m, 1);
    mem_batch(&m, 1, UINT64_MAX);
    mem_batch(&m, 3, UINT64_MAX);
    size_t r1 = record_off(m.b.p, m.b.len, 2); /* the middle record of batch 2 */
    size_t r2 = record_off(m.b.p, m.b.len, 3);
    memset(m.b.p + r1, 0, r2 - r1);
    struct st_wal_scan s;
    ck_assert_uint_eq(scan(m.b.p, m.b.len, &s), 1);
    ck_assert_int_eq(s.end, ST_WAL_END_TORN);
    ck_assert_uint_eq(s.end_off, m.batch_off[1]);
    ck_assert_uint_eq(s.bad_off, r1);
    st_buf_fini(&m.b);
}
END_TEST

/* One bit flipped anywhere in a batch that a later batch declares durable. */
START_TEST(test_wal_format_corrupt_every_byte)
{
    struct mem m;
    mem_init(&m, 1);
    mem_batch(&m, 2, UINT64_MAX);
    mem_batch(&m, 2, UINT64_MAX);
    mem_batch(&m, 1, UINT64_MAX);
    for (size_t i = m.batch_off[1]; i < m.batch_off[2]; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            m.b.p[i] ^= (char)(1 << bit);
            struct st_wal_scan s;
            ck_assert_uint_eq(scan(m.b.p, m.b.len, &s), 2);
            ck_assert_int_eq(s.end, ST_WAL_END_CORRUPT);
            ck_assert_uint_eq(s.end_off, m.batch_off[1]);
            ck_assert_uint_ge(s.bad_off, m.batch_off[1]);
            ck_assert_uint_le(s.bad_off, i);
            ck_assert_uint_eq(s.proof_off, m.batch_off[2]);
            ck_assert_ptr_nonnull(s.reason);
            m.b.p[i] ^= (char)(1 << bit);
        }
    }
    st_buf_fini(&m.b);
}
END_TEST

/* Interval mode: later batches written before the damaged one was synced
 * prove nothing; one written after it was synced does. */
START_TEST(test_wal_format_durable_offset_decides)
{
    struct mem m;
    mem_init(&m, 1);
    mem_batch(&m, 1, ST_WAL_HEADER_SIZE);
    mem_batch(&m, 1, ST_WAL_HEADER_SIZE); /* batch 0 not yet synced */
    size_t r = record_off(m.b.p, m.b.len, 0);
    m.b.p[r + ST_WAL_FRAME_HEADER] ^= 1;
    struct st_wal_scan s;
    ck_assert_uint_eq(scan(m.b.p, m.b.len, &s), 0);
    ck_assert_int_eq(s.end, ST_WAL_END_TORN);
    ck_assert_uint_eq(s.end_off, m.batch_off[0]);
    mem_batch(&m, 1, m.batch_off[1]); /* written after batch 0 was synced */
    ck_assert_uint_eq(scan(m.b.p, m.b.len, &s), 0);
    ck_assert_int_eq(s.end, ST_WAL_END_CORRUPT);
    ck_assert_uint_eq(s.proof_off, m.batch_off[2]);
    st_buf_fini(&m.b);
}
END_TEST

START_TEST(test_wal_format_garbage_tail)
{
    struct mem m;
    mem_init(&m, 1);
    mem_batch(&m, 2, UINT64_MAX);
    size_t good = m.b.len;
    unsigned x = 12345;
    for (int i = 0; i < 100000; i++) {
        x = x * 1103515245u + 12345u;
        st_buf_putc(&m.b, (char)(x >> 16));
    }
    struct st_wal_scan s;
    ck_assert_uint_eq(scan(m.b.p, m.b.len, &s), 2);
    ck_assert_int_eq(s.end, ST_WAL_END_TORN);
    ck_assert_uint_eq(s.end_off, good);
    st_buf_fini(&m.b);
}
END_TEST

/* ---- Append and replay --------------------------------------------------- */

START_TEST(test_wal_append_replay)
{
    ck_assert_int_eq(REPLAY(), ST_OK); /* no directory yet: nothing to do */
    ck_assert_uint_eq(f.rep.segments, 0);
    OPEN();
    APPEND(1, "cpu,host=a value=1 10");
    APPEND(2, "");
    APPEND(ST_WAL_TYPE_MAX, "mem,host=b used=3i 20");
    ck_assert_uint_gt(st_wal_size(f.w), ST_WAL_HEADER_SIZE);
    CLOSE();
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 3);
    ck_assert_str_eq(f.got.payload[0], "cpu,host=a value=1 10");
    ck_assert_uint_eq(f.got.type[0], 1);
    ck_assert_uint_eq(f.got.len[1], 0);
    ck_assert_uint_eq(f.got.type[1], 2);
    ck_assert_str_eq(f.got.payload[2], "mem,host=b used=3i 20");
    ck_assert_uint_eq(f.rep.records, 3);
    ck_assert_uint_eq(f.rep.bytes, 21 + 21);
    ck_assert_uint_eq(f.rep.segments, 1);
    ck_assert_uint_eq(f.rep.first_seq, 1);
    ck_assert_uint_eq(f.rep.last_seq, 1);
    ck_assert(!f.rep.tail_truncated);
    ck_assert_str_eq(f.rep.message, "");
}
END_TEST

START_TEST(test_wal_append_invalid)
{
    OPEN();
    ck_assert_int_eq(st_wal_append(f.w, 0, "x", 1), ST_EINVAL);
    ck_assert_int_eq(st_wal_append(f.w, ST_WAL_TYPE_MAX + 1, "x", 1), ST_EINVAL);
    ck_assert_int_eq(st_wal_append(f.w, 1, NULL, 1), ST_EINVAL);
    ck_assert_int_eq(st_wal_append(f.w, 1, "x", (size_t)ST_WAL_MAX_PAYLOAD + 1), ST_EINVAL);
    ck_assert_int_eq(st_wal_append(f.w, 1, NULL, 0), ST_OK);
    struct st_wal_opts o = {.segment_size = 100};
    st_wal *w2;
    ck_assert_int_eq(st_wal_open(f.dir, &o, &w2), ST_EINVAL);
    o.segment_size = 0;
    o.sync_mode = 7;
    ck_assert_int_eq(st_wal_open(f.dir, &o, &w2), ST_EINVAL);
    /* Locked: a second open and a replay are refused while it is open. */
    ck_assert_int_eq(st_wal_open(f.dir, NULL, &w2), ST_EUNAVAIL);
    ck_assert_int_eq(REPLAY(), ST_EUNAVAIL);
    ck_assert_ptr_nonnull(strstr(f.rep.message, "locked"));
    CLOSE();
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 1);
}
END_TEST

static void payload_of(char *s, size_t i)
{
    size_t n = i % 700;
    for (size_t k = 0; k < n; k++)
        s[k] = (char)('a' + (i + k) % 26);
    s[n] = '\0';
}

START_TEST(test_wal_append_many)
{
    OPEN();
    char s[800];
    for (size_t i = 0; i < 5000; i++) {
        payload_of(s, i);
        ck_assert_int_eq(st_wal_append(f.w, (uint8_t)(1 + i % 200), s, strlen(s)), ST_OK);
    }
    uint64_t size = st_wal_size(f.w);
    CLOSE();
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 5000);
    for (size_t i = 0; i < 5000; i++) {
        payload_of(s, i);
        ck_assert_str_eq(f.got.payload[i], s);
        ck_assert_uint_eq(f.got.type[i], 1 + i % 200);
    }
    /* The close marker is the only thing st_wal_size() did not count. */
    ck_assert_uint_eq(SIZE(SEG(1)), size + ST_WAL_BATCH_FRAME);
}
END_TEST

#define THREADS 8
#define PER_THREAD 500

struct writer {
    st_wal *w;
    int id;
    int fails;
};

static void *writer_main(void *arg)
{
    struct writer *wr = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char s[64];
        snprintf(s, sizeof(s), "%d %d %0*d", wr->id, i, (i * 7 + wr->id) % 40, 0);
        if (st_wal_append(wr->w, (uint8_t)(1 + wr->id), s, strlen(s)) != ST_OK)
            wr->fails++;
    }
    return NULL;
}

static void run_writers(st_wal *w)
{
    pthread_t t[THREADS];
    struct writer wr[THREADS];
    for (int i = 0; i < THREADS; i++) {
        wr[i] = (struct writer){w, i, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, writer_main, &wr[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(wr[i].fails, 0);
    }
}

/* Every record of every thread is there, each thread's in its own order. */
static void check_writers(void)
{
    ck_assert_uint_eq(f.got.n, THREADS * PER_THREAD);
    int next[THREADS] = {0};
    for (size_t k = 0; k < f.got.n; k++) {
        int id, i;
        ck_assert_int_eq(sscanf(f.got.payload[k], "%d %d", &id, &i), 2);
        ck_assert_int_ge(id, 0);
        ck_assert_int_lt(id, THREADS);
        ck_assert_uint_eq(f.got.type[k], 1 + id);
        ck_assert_int_eq(i, next[id]);
        next[id]++;
    }
}

START_TEST(test_wal_append_concurrent)
{
    OPEN();
    run_writers(f.w);
    CLOSE();
    ck_assert_int_eq(REPLAY(), ST_OK);
    check_writers();
    /* Group commit: records of several threads shared batches (and fsyncs). */
    LOAD(SEG(1));
    struct st_wal_scan sc;
    ck_assert_uint_eq(scan(f.buf.p, f.buf.len, &sc), THREADS * PER_THREAD);
    ck_assert_uint_lt(sc.batches, THREADS * PER_THREAD);
    fprintf(stderr, "test_wal_append_concurrent: %d records in %llu batches\n",
            THREADS * PER_THREAD, (unsigned long long)sc.batches);
}
END_TEST

START_TEST(test_wal_append_concurrent_rotating)
{
    struct st_wal_opts o = {.segment_size = 8192};
    OPEN_WITH(&o);
    run_writers(f.w);
    CLOSE();
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_gt(f.rep.segments, 5);
    check_writers();
}
END_TEST

START_TEST(test_wal_sync_interval)
{
    struct st_wal_opts o = {.sync_mode = ST_WAL_SYNC_INTERVAL, .sync_interval_ms = 5};
    OPEN_WITH(&o);
    run_writers(f.w);
    struct timespec ts = {0, 30 * 1000000};
    nanosleep(&ts, NULL); /* a timed sync runs while idle */
    APPEND(1, "after the pause");
    CLOSE();
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, THREADS * PER_THREAD + 1);
    ck_assert_str_eq(f.got.payload[f.got.n - 1], "after the pause");
    f.got.n--;
    free(f.got.payload[f.got.n]);
    check_writers();
}
END_TEST

/* ---- Rotation, removal, reopening ------------------------------------------ */

START_TEST(test_wal_rotate_remove_before)
{
    OPEN();
    ck_assert_uint_eq(ROTATE(), 1); /* nothing in segment 1 yet: kept */
    APPEND(1, "a");
    ck_assert_uint_eq(ROTATE(), 2);
    ck_assert_uint_eq(ROTATE(), 2);
    APPEND(1, "b");
    ck_assert_uint_eq(ROTATE(), 3);
    APPEND(1, "c");
    ck_assert(EXISTS(SEG(1)) && EXISTS(SEG(2)) && EXISTS(SEG(3)));
    uint64_t before = st_wal_size(f.w);
    ck_assert_uint_eq(before, SIZE(SEG(1)) + SIZE(SEG(2)) + SIZE(SEG(3)));
    ck_assert_int_eq(st_wal_remove_before(f.w, 3), ST_OK);
    ck_assert(!EXISTS(SEG(1)) && !EXISTS(SEG(2)) && EXISTS(SEG(3)));
    ck_assert_uint_eq(st_wal_size(f.w), SIZE(SEG(3)));
    /* Never the current segment. */
    ck_assert_int_eq(st_wal_remove_before(f.w, 100), ST_OK);
    ck_assert(EXISTS(SEG(3)));
    APPEND(1, "d");
    CLOSE();
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 2);
    ck_assert_str_eq(f.got.payload[0], "c");
    ck_assert_str_eq(f.got.payload[1], "d");
    ck_assert_uint_eq(f.rep.first_seq, 3);
}
END_TEST

START_TEST(test_wal_rotate_by_size)
{
    struct st_wal_opts o = {.segment_size = 4096};
    OPEN_WITH(&o);
    char s[101];
    memset(s, 'x', 100);
    s[100] = '\0';
    for (int i = 0; i < 200; i++) {
        s[0] = (char)('0' + i % 10);
        APPEND(1, s);
    }
    CLOSE();
    for (uint64_t q = 1; EXISTS(SEG(q)); q++)
        ck_assert_int_le(SIZE(SEG(q)), 4096 + ST_WAL_BATCH_FRAME); /* + close marker */
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_ge(f.rep.segments, 6);
    ck_assert_uint_eq(f.got.n, 200);
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq(f.got.payload[i][0], '0' + i % 10);
}
END_TEST

/* Reopening starts a new segment after the old ones. */
START_TEST(test_wal_reopen_appends_new_segment)
{
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(REPLAY(), ST_OK);
        ck_assert_uint_eq(f.got.n, (size_t)round * 2);
        OPEN();
        char s[16];
        snprintf(s, sizeof(s), "r%d-1", round);
        APPEND(1, s);
        snprintf(s, sizeof(s), "r%d-2", round);
        APPEND(1, s);
        CLOSE();
    }
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.rep.segments, 3);
    ck_assert_str_eq(f.got.payload[0], "r0-1");
    ck_assert_str_eq(f.got.payload[3], "r1-2");
    ck_assert_str_eq(f.got.payload[5], "r2-2");
}
END_TEST

/* ---- Torn tails ---------------------------------------------------------- */

/* Cut the last segment at every offset inside the last record's batch:
 * replay gives the earlier records, cuts the tail, and the WAL goes on. */
START_TEST(test_wal_replay_torn_tail_every_offset)
{
    OPEN();
    APPEND(1, "one");
    APPEND(1, "two");
    APPEND(1, "three");
    APPEND(2, "the last record, which gets torn");
    CLOSE();
    LOAD(SEG(1));
    size_t len = f.buf.len;
    char *orig = malloc(len);
    memcpy(orig, f.buf.p, len);
    size_t last = record_off(orig, len, 3) - ST_WAL_BATCH_FRAME; /* its batch */
    size_t end = len - ST_WAL_BATCH_FRAME;                       /* before the close marker */
    for (size_t cut = last + 1; cut < end; cut++) {
        rm_rf(f.dir);
        mkdir(f.dir, 0755);
        STORE(SEG(1), orig, cut);
        ck_assert_int_eq(REPLAY(), ST_OK);
        ck_assert_uint_eq(f.got.n, 3);
        ck_assert_str_eq(f.got.payload[2], "three");
        ck_assert(f.rep.tail_truncated);
        ck_assert_uint_eq(f.rep.tail_offset, last);
        ck_assert_uint_eq(f.rep.truncated_bytes, cut - last);
        ck_assert_int_eq(SIZE(SEG(1)), (off_t)last);
        OPEN();
        APPEND(3, "after");
        CLOSE();
        ck_assert_int_eq(REPLAY(), ST_OK);
        ck_assert_uint_eq(f.got.n, 4);
        ck_assert_str_eq(f.got.payload[3], "after");
        ck_assert(!f.rep.tail_truncated);
    }
    free(orig);
}
END_TEST

START_TEST(test_wal_replay_zeros_and_garbage_tail)
{
    OPEN();
    APPEND(1, "a");
    APPEND(1, "b");
    CLOSE();
    off_t good = SIZE(SEG(1));
    char tail[4096];
    memset(tail, 0, sizeof(tail));
    APPEND_FILE(SEG(1), tail, sizeof(tail));
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 2);
    ck_assert(f.rep.tail_truncated);
    ck_assert_uint_eq(f.rep.truncated_bytes, sizeof(tail));
    ck_assert_int_eq(SIZE(SEG(1)), good);
    for (size_t i = 0; i < sizeof(tail); i++)
        tail[i] = (char)(i * 131 + 7);
    APPEND_FILE(SEG(1), tail, sizeof(tail));
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 2);
    ck_assert(f.rep.tail_truncated);
    ck_assert_int_eq(SIZE(SEG(1)), good);
    ck_assert_int_eq(REPLAY(), ST_OK); /* and now it is clean */
    ck_assert(!f.rep.tail_truncated);
}
END_TEST

/* A segment created by a rotation whose header never reached the disk. */
START_TEST(test_wal_replay_torn_header_removed)
{
    OPEN();
    APPEND(1, "a");
    CLOSE();
    STORE(SEG(2), "STW", 3);
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 1);
    ck_assert(f.rep.tail_truncated);
    ck_assert(!EXISTS(SEG(2)));
    OPEN();
    APPEND(1, "b");
    CLOSE();
    ck_assert(EXISTS(SEG(2)));
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 2);
}
END_TEST

/* ---- Corruption ----------------------------------------------------------- */

static void check_corrupt_msg(const char *file, size_t off)
{
    char want[64];
    ck_assert_ptr_nonnull(strstr(f.rep.message, file));
    snprintf(want, sizeof(want), "offset %zu:", off);
    ck_assert_msg(strstr(f.rep.message, want) != NULL, "message \"%s\" lacks \"%s\"", f.rep.message,
                  want);
}

START_TEST(test_wal_replay_corrupt_middle)
{
    OPEN();
    for (int i = 0; i < 10; i++)
        APPEND(1, "some record payload");
    CLOSE();
    LOAD(SEG(1));
    size_t r2 = record_off(f.buf.p, f.buf.len, 2);
    FLIP(SEG(1), (off_t)(r2 + ST_WAL_FRAME_HEADER + 3), 5);
    off_t size = SIZE(SEG(1));
    ck_assert_int_eq(REPLAY(), ST_ECORRUPT);
    check_corrupt_msg("00000001.wal", r2);
    ck_assert_uint_eq(f.got.n, 2);        /* what came before was replayed */
    ck_assert_int_eq(SIZE(SEG(1)), size); /* and nothing was cut */
    FLIP(SEG(1), (off_t)(r2 + ST_WAL_FRAME_HEADER + 3), 5);

    /* The length field of a record: an impossible length. */
    FLIP(SEG(1), (off_t)(r2 + 2), 7);
    ck_assert_int_eq(REPLAY(), ST_ECORRUPT);
    check_corrupt_msg("00000001.wal", r2);
    FLIP(SEG(1), (off_t)(r2 + 2), 7);

    /* The last record: after a clean close the close marker vouches for it. */
    size_t r9 = record_off(f.buf.p, f.buf.len, 9);
    FLIP(SEG(1), (off_t)(r9 + 4), 0);
    ck_assert_int_eq(REPLAY(), ST_ECORRUPT);
    check_corrupt_msg("00000001.wal", r9);
    FLIP(SEG(1), (off_t)(r9 + 4), 0);
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert_uint_eq(f.got.n, 10);
}
END_TEST

START_TEST(test_wal_replay_corrupt_non_last_segment)
{
    OPEN();
    APPEND(1, "a");
    APPEND(1, "b");
    ROTATE();
    APPEND(1, "c");
    CLOSE();
    LOAD(SEG(1));
    size_t r1 = record_off(f.buf.p, f.buf.len, 1);
    FLIP(SEG(1), (off_t)(r1 + ST_WAL_FRAME_HEADER), 0);
    ck_assert_int_eq(REPLAY(), ST_ECORRUPT);
    check_corrupt_msg("00000001.wal", r1);
    FLIP(SEG(1), (off_t)(r1 + ST_WAL_FRAME_HEADER), 0);

    /* A non-last segment that ends early is no torn tail either. */
    ck_assert_int_eq(truncate(SEG(1), (off_t)(r1 + 3)), 0);
    ck_assert_int_eq(REPLAY(), ST_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(f.rep.message, "not the last"));
    ck_assert_int_eq(SIZE(SEG(1)), (off_t)(r1 + 3));
}
END_TEST

START_TEST(test_wal_replay_missing_or_misnamed_segment)
{
    OPEN();
    APPEND(1, "a");
    ROTATE();
    APPEND(1, "b");
    ROTATE();
    APPEND(1, "c");
    CLOSE();
    char s2[300], s3[300];
    snprintf(s2, sizeof(s2), "%s", SEG(2));
    snprintf(s3, sizeof(s3), "%s", SEG(3));
    ck_assert_int_eq(rename(s2, SEG(7)), 0);
    ck_assert_int_eq(REPLAY(), ST_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(f.rep.message, "00000002.wal: missing"));
    ck_assert_int_eq(rename(s3, s2), 0);
    ck_assert_int_eq(unlink(SEG(7)), 0);
    ck_assert_int_eq(REPLAY(), ST_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(f.rep.message, "header says segment 3"));
}
END_TEST

START_TEST(test_wal_replay_callback_error_stops)
{
    OPEN();
    APPEND(1, "a");
    APPEND(1, "b");
    APPEND(1, "c");
    CLOSE();
    got_reset();
    f.got.fail_at = 2;
    ck_assert_int_eq(st_wal_replay(f.dir, collect, &f.got, &f.rep), ST_EIO);
    ck_assert_uint_eq(f.got.n, 1);
    ck_assert_ptr_nonnull(strstr(f.rep.message, "00000001.wal"));
}
END_TEST

/* ---- kill -9 ----------------------------------------------------------------- */

#define KILL_THREADS 4

struct killer {
    st_wal *w;
    int id;
    int next; /* first number to append */
    int ack;  /* pipe: "id i\n" after each acknowledged append */
};

static void *killer_main(void *arg)
{
    struct killer *k = arg;
    for (int i = k->next;; i++) {
        char s[32];
        int n = snprintf(s, sizeof(s), "%d %d\n", k->id, i);
        if (st_wal_append(k->w, 1, s, (size_t)n) != ST_OK)
            _exit(3);
        if (write(k->ack, s, (size_t)n) != n)
            _exit(4);
    }
    return NULL;
}

/* A process appending from several threads is killed at a random instant,
 * five times over: replay finds every acknowledged record, in order. */
START_TEST(test_wal_append_kill9_keeps_acked)
{
    unsigned seed = 7;
    for (int round = 0; round < 5; round++) {
        ck_assert_int_eq(REPLAY(), ST_OK);
        int have[KILL_THREADS] = {0};
        for (size_t k = 0; k < f.got.n; k++) {
            int id, i;
            ck_assert_int_eq(sscanf(f.got.payload[k], "%d %d", &id, &i), 2);
            ck_assert_int_eq(i, have[id]);
            have[id]++;
        }
        int fds[2];
        ck_assert_int_eq(pipe(fds), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            st_wal *w;
            if (st_wal_open(f.dir, NULL, &w) != ST_OK)
                _exit(2);
            pthread_t t[KILL_THREADS];
            struct killer k[KILL_THREADS];
            for (int i = 0; i < KILL_THREADS; i++) {
                k[i] = (struct killer){w, i, have[i], fds[1]};
                pthread_create(&t[i], NULL, killer_main, &k[i]);
            }
            pthread_join(t[0], NULL);
            _exit(5);
        }
        close(fds[1]);
        seed = seed * 1103515245u + 12345u;
        struct timespec ts = {0, (long)(50 + (seed >> 16) % 200) * 1000000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFSIGNALED(status));
        /* Everything acknowledged before the kill. */
        int acked[KILL_THREADS];
        for (int i = 0; i < KILL_THREADS; i++)
            acked[i] = have[i] - 1;
        FILE *fp = fdopen(fds[0], "r");
        int id, i;
        while (fscanf(fp, "%d %d", &id, &i) == 2)
            acked[id] = i;
        fclose(fp);
        ck_assert_int_eq(REPLAY(), ST_OK);
        int seen[KILL_THREADS] = {0};
        for (size_t k = 0; k < f.got.n; k++) {
            ck_assert_int_eq(sscanf(f.got.payload[k], "%d %d", &id, &i), 2);
            ck_assert_int_eq(i, seen[id]);
            seen[id]++;
        }
        for (int t = 0; t < KILL_THREADS; t++)
            ck_assert_int_gt(seen[t], acked[t]);
    }
    ck_assert_uint_eq(f.rep.segments, 5);
    ck_assert_uint_gt(f.got.n, 100);
}
END_TEST

/* ---- A full disk ------------------------------------------------------------ */

START_TEST(test_wal_append_enospc)
{
    snprintf(f.mnt, sizeof(f.mnt), "%s/small", f.root);
    ck_assert_int_eq(mkdir(f.mnt, 0755), 0);
    if (mount("tmpfs", f.mnt, "tmpfs", 0, "size=256k") != 0) {
        fprintf(stderr, "test_wal_append_enospc: skipped, cannot mount tmpfs: %s\n",
                strerror(errno));
        return;
    }
    f.mounted = true;
    snprintf(f.dir, sizeof(f.dir), "%s/wal", f.mnt);
    char filler[256];
    snprintf(filler, sizeof(filler), "%s/filler", f.mnt);
    static char pad[96 * 1024];
    STORE(filler, pad, sizeof(pad));

    OPEN();
    static char rec[8192];
    int ok = 0, rv;
    for (;;) {
        memset(rec, 'a' + ok % 26, sizeof(rec));
        if ((rv = st_wal_append(f.w, 1, rec, sizeof(rec))) != ST_OK)
            break;
        ok++;
        ck_assert_int_lt(ok, 1000);
    }
    ck_assert_int_eq(rv, ST_ENOSPC);
    char msg[256];
    st_wal_errmsg(f.w, msg, sizeof(msg));
    ck_assert_ptr_nonnull(strstr(msg, "no space"));
    ck_assert_int_eq(st_wal_append(f.w, 1, rec, sizeof(rec)), ST_ENOSPC);
    /* The failed batches were cut off: room again, and the WAL goes on. */
    ck_assert_int_eq(unlink(filler), 0);
    for (int i = 0; i < 5; i++) {
        memset(rec, 'A' + i, sizeof(rec));
        ck_assert_int_eq(st_wal_append(f.w, 2, rec, sizeof(rec)), ST_OK);
    }
    CLOSE();
    ck_assert_int_eq(REPLAY(), ST_OK);
    ck_assert(!f.rep.tail_truncated);
    ck_assert_uint_eq(f.got.n, (size_t)ok + 5);
    for (int i = 0; i < ok; i++)
        ck_assert_int_eq(f.got.payload[i][8191], 'a' + i % 26);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(f.got.payload[ok + i][0], 'A' + i);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wal");
    struct {
        const char *name;
        const TTest *tests[12];
    } cases[] = {
        {"format",
         {test_wal_format_round_trip, test_wal_format_header_cases,
          test_wal_format_torn_every_offset, test_wal_format_torn_out_of_order,
          test_wal_format_corrupt_every_byte, test_wal_format_durable_offset_decides,
          test_wal_format_garbage_tail}},
        {"append",
         {test_wal_append_replay, test_wal_append_invalid, test_wal_append_many,
          test_wal_append_concurrent, test_wal_append_concurrent_rotating, test_wal_sync_interval,
          test_wal_append_enospc}},
        {"rotate",
         {test_wal_rotate_remove_before, test_wal_rotate_by_size,
          test_wal_reopen_appends_new_segment}},
        {"replay",
         {test_wal_replay_torn_tail_every_offset, test_wal_replay_zeros_and_garbage_tail,
          test_wal_replay_torn_header_removed, test_wal_replay_corrupt_middle,
          test_wal_replay_corrupt_non_last_segment, test_wal_replay_missing_or_misnamed_segment,
          test_wal_replay_callback_error_stops, test_wal_append_kill9_keeps_acked}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        for (size_t k = 0; k < 12 && cases[i].tests[k] != NULL; k++)
            tcase_add_test(tc, cases[i].tests[k]);
        suite_add_tcase(s, tc);
    }
    return t_run_suite(s);
}
