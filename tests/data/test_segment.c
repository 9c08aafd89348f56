/* Unit tests of data/segment: write, open, find, batched reads, corruption,
 * truncation, ordering rules and exact statistics. Blocks are random bytes:
 * the segment never looks inside them. */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "err.h"
#include "format.h"
#include "segment.h"
#include "testlib.h"

/* A block as the test wrote it. */
struct mblock {
    uint32_t series;
    const char *field;
    enum st_field_type type;
    struct st_block_stats st;
    uint8_t *data;
    uint32_t len;
};

struct fixture {
    char dir[64];   /* mkdtemp directory, removed in teardown */
    char path[128]; /* the segment under test, in @dir */
    char err[512];  /* the last error message */
    struct mblock *m;
    size_t nm;
    uint64_t rng;
    st_segment *r;
    st_segment_io *io;
};
static struct fixture f;

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    strcpy(f.dir, "/tmp/test_segment.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f.dir));
    snprintf(f.path, sizeof(f.path), "%s/1.seg", f.dir);
    f.rng = 0x9E3779B97F4A7C15ull;
}

static void teardown(void)
{
    st_segment_close(f.r);
    st_segment_io_close(f.io);
    for (size_t i = 0; i < f.nm; i++)
        free(f.m[i].data);
    free(f.m);
    DIR *d = opendir(f.dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    char p[512];
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", f.dir, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(f.dir);
}

/* xorshift64*: deterministic test data. */
static uint64_t rnd(void)
{
    f.rng ^= f.rng >> 12;
    f.rng ^= f.rng << 25;
    f.rng ^= f.rng >> 27;
    return f.rng * 2685821657736338717ull;
}

static struct st_slice S(const char *s) {
    struct st_slice x = {s, (uint32_t)strlen(s)};
    return x;
}

static size_t
dir_entries(void)
{
    DIR *d = opendir(f.dir);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    uint8_t *p = malloc((size_t)st.st_size + 1);
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(read(fd, p, (size_t)st.st_size), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return p;
}

static void spew(const char *path, const void *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, p, len), (ssize_t)len);
    close(fd);
}

/* Random statistics of a block of @type starting at @t0. Strings keep only
 * times and count, as the segment stores them. */
static struct st_block_stats random_stats(enum st_field_type type, int64_t t0)
{
    struct st_block_stats s;
    memset(&s, 0, sizeof(s));
    s.min_time = t0;
    s.max_time = t0 + (int64_t)(rnd() % 900);
    s.count = 1 + (uint32_t)(rnd() % 1000);
    if (type != ST_FIELD_STRING) {
        s.sum = (double)(int64_t)rnd() / 7.0;
        if (type != ST_FIELD_FLOAT) { /* floats keep no integer sum */
            s.isum_lo = rnd();
            s.isum_hi = (int64_t)(rnd() % 1000) - 500;
        }
        s.min.u = rnd();
        s.max.u = rnd();
        s.first.u = rnd();
        s.last.u = rnd();
    }
    return s;
}

/* Builds the blocks of @nseries series x the first @nfields of fields x
 * @nblocks blocks, payloads of 0..@maxlen-1 random bytes, in write order. */
static void make_model(size_t nseries, size_t nfields, size_t nblocks, uint32_t maxlen)
{
    static const char *const fields[] = {"a", "ab", "b", "temp", "zz"}; /* sorted bytewise */
    static const enum st_field_type types[] = {ST_FIELD_FLOAT, ST_FIELD_INTEGER, ST_FIELD_UNSIGNED,
                                               ST_FIELD_STRING, ST_FIELD_BOOLEAN};
    ck_assert_uint_le(nfields, 5);
    f.nm = nseries * nfields * nblocks;
    f.m = calloc(f.nm, sizeof(*f.m));
    size_t i = 0;
    for (size_t s = 0; s < nseries; s++)
        for (size_t k = 0; k < nfields; k++)
            for (size_t b = 0; b < nblocks; b++, i++) {
                struct mblock *m = &f.m[i];
                m->series = (uint32_t)(s * 7 + 3);
                m->field = fields[k];
                m->type = types[(k + s) % 5];
                m->st = random_stats(m->type, 1600000000000000000LL + (int64_t)b * 1000);
                m->len = (uint32_t)(rnd() % maxlen);
                m->data = malloc(m->len + 1);
                for (uint32_t j = 0; j < m->len; j++)
                    m->data[j] = (uint8_t)rnd();
            }
}

static void write_model(const char *path)
{
    st_segment_writer *w;
    ck_assert_int_eq(st_segment_writer_open(path, &w, f.err, sizeof(f.err)), ST_OK);
    for (size_t i = 0; i < f.nm; i++) {
        const struct mblock *m = &f.m[i];
        ck_assert_msg(st_segment_writer_add(w, m->series, S(m->field), m->type, &m->st, m->data,
                                            m->len, f.err, sizeof(f.err)) == ST_OK,
                      "%s", f.err);
    }
    ck_assert_msg(st_segment_writer_finish(w, f.err, sizeof(f.err)) == ST_OK, "%s", f.err);
}

#define OPEN() \
    ck_assert_msg(st_segment_open(f.path, &f.r, f.err, sizeof(f.err)) == ST_OK, "%s", f.err)

static void assert_stats_eq(const struct st_block_stats *a, const struct st_block_stats *b)
{
    ck_assert_int_eq(a->min_time, b->min_time);
    ck_assert_int_eq(a->max_time, b->max_time);
    ck_assert_uint_eq(a->count, b->count);
    ck_assert_uint_eq(st_f64_bits(a->sum), st_f64_bits(b->sum));
    ck_assert_uint_eq(a->isum_lo, b->isum_lo);
    ck_assert_int_eq(a->isum_hi, b->isum_hi);
    ck_assert_uint_eq(a->min.u, b->min.u);
    ck_assert_uint_eq(a->max.u, b->max.u);
    ck_assert_uint_eq(a->first.u, b->first.u);
    ck_assert_uint_eq(a->last.u, b->last.u);
}

/* The entry the reader holds for model block @i. */
static const struct st_block_entry *entry_of(size_t i)
{
    const struct st_segment_key *k;
    ck_assert_int_eq(st_segment_find(f.r, f.m[i].series, S(f.m[i].field), &k), ST_OK);
    size_t first = i;
    while (first > 0 && f.m[first - 1].series == f.m[i].series &&
           strcmp(f.m[first - 1].field, f.m[i].field) == 0)
        first--;
    ck_assert_uint_lt(i - first, k->nentries);
    return &k->entries[i - first];
}

/* ---- writer and reader round trip ----------------------------------------- */

START_TEST(test_segment_round_trip_many_series)
{
    make_model(2000, 3, 3, 300);
    write_model(f.path);
    ck_assert_uint_eq(dir_entries(), 1); /* no .tmp left */
    OPEN();
    struct st_segment_info info;
    st_segment_info(f.r, &info);
    ck_assert_str_eq(info.path, f.path);
    ck_assert_uint_eq(info.nseries, 2000);
    ck_assert_uint_eq(info.nkeys, 6000);
    ck_assert_uint_eq(info.nblocks, 18000);
    struct stat st;
    ck_assert_int_eq(stat(f.path, &st), 0);
    ck_assert_uint_eq(info.file_size, (uint64_t)st.st_size);
    ck_assert_int_eq(info.min_time, 1600000000000000000LL);
    ck_assert_uint_gt(info.mem_bytes, 18000 * sizeof(struct st_block_entry));
    int64_t tmax = INT64_MIN;
    for (size_t i = 0; i < f.nm; i++)
        tmax = f.m[i].st.max_time > tmax ? f.m[i].st.max_time : tmax;
    ck_assert_int_eq(info.max_time, tmax);

    /* Iteration gives the keys in write order, with their entries. */
    size_t i = 0;
    for (size_t k = 0; k < info.nkeys; k++) {
        const struct st_segment_key *key = st_segment_key_at(f.r, k);
        ck_assert_uint_eq(key->series, f.m[i].series);
        ck_assert_uint_eq(key->field.len, strlen(f.m[i].field));
        ck_assert(memcmp(key->field.p, f.m[i].field, key->field.len) == 0);
        ck_assert_int_eq(key->type, f.m[i].type);
        ck_assert_uint_eq(key->nentries, 3);
        for (size_t e = 0; e < key->nentries; e++, i++) {
            ck_assert_uint_eq(key->entries[e].size, f.m[i].len);
            assert_stats_eq(&key->entries[e].stats, &f.m[i].st);
        }
    }
    ck_assert_uint_eq(i, f.nm);
    ck_assert_ptr_null(st_segment_key_at(f.r, info.nkeys));
}
END_TEST

START_TEST(test_segment_find)
{
    make_model(50, 5, 2, 40);
    write_model(f.path);
    OPEN();
    const struct st_segment_key *k;
    for (size_t i = 0; i < f.nm; i++)
        ck_assert(entry_of(i)->stats.min_time == f.m[i].st.min_time);
    ck_assert_int_eq(st_segment_find(f.r, 3, S("ab"), &k), ST_OK);
    ck_assert_uint_eq(k->series, 3);
    ck_assert_int_eq(st_segment_find(f.r, 3, S("abc"), &k), ST_ENOTFOUND);
    ck_assert_int_eq(st_segment_find(f.r, 3, S(""), &k), ST_ENOTFOUND);
    ck_assert_int_eq(st_segment_find(f.r, 4, S("a"), &k), ST_ENOTFOUND);
    ck_assert_int_eq(st_segment_find(f.r, UINT32_MAX, S("a"), &k), ST_ENOTFOUND);
    ck_assert_int_eq(st_segment_find(f.r, 0, S("a"), &k), ST_ENOTFOUND);

    size_t first;
    ck_assert_uint_eq(st_segment_series_keys(f.r, 10, &first), 5);
    ck_assert_uint_eq(first, 5);
    ck_assert_uint_eq(st_segment_key_at(f.r, first)->series, 10);
    ck_assert_uint_eq(st_segment_key_at(f.r, first + 4)->series, 10);
    ck_assert_uint_eq(st_segment_series_keys(f.r, 11, &first), 0);
    ck_assert_uint_eq(st_segment_series_keys(f.r, UINT32_MAX, &first), 0);
    ck_assert_uint_eq(st_segment_series_keys(f.r, 3 + 49 * 7, &first), 5);
    ck_assert_uint_eq(first, 245);
}
END_TEST

START_TEST(test_segment_key_range)
{
    /* One key, blocks [0,9] [20,29] [40,49] [60,69]. */
    st_segment_writer *w;
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    for (int b = 0; b < 4; b++) {
        struct st_block_stats s = {.min_time = b * 20, .max_time = b * 20 + 9, .count = 10};
        ck_assert_int_eq(st_segment_writer_add(w, 1, S("v"), ST_FIELD_FLOAT, &s, "x", 1, NULL, 0),
                         ST_OK);
    }
    ck_assert_int_eq(st_segment_writer_finish(w, NULL, 0), ST_OK);
    OPEN();
    const struct st_segment_key *k;
    ck_assert_int_eq(st_segment_find(f.r, 1, S("v"), &k), ST_OK);
    static const struct {
        int64_t tmin, tmax;
        size_t first, n;
    } c[] = {{INT64_MIN, INT64_MAX, 0, 4},
             {0, 0, 0, 1},
             {9, 20, 0, 2},
             {10, 19, 1, 0},
             {10, 20, 1, 1},
             {25, 65, 1, 3},
             {70, 100, 4, 0},
             {-5, -1, 0, 0},
             {69, 69, 3, 1},
             {30, 10, 2, 0}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        size_t first;
        size_t n = st_segment_key_range(k, c[i].tmin, c[i].tmax, &first);
        ck_assert_uint_eq(n, c[i].n);
        if (n)
            ck_assert_uint_eq(first, c[i].first);
    }
}
END_TEST

START_TEST(test_segment_empty_is_valid)
{
    st_segment_writer *w;
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    ck_assert_int_eq(st_segment_writer_finish(w, f.err, sizeof(f.err)), ST_OK);
    OPEN();
    struct st_segment_info info;
    st_segment_info(f.r, &info);
    ck_assert_uint_eq(info.file_size, ST_SEG_MIN_FILE_SIZE);
    ck_assert_uint_eq(info.nkeys + info.nseries + info.nblocks, 0);
    ck_assert_int_eq(info.min_time, INT64_MAX);
    ck_assert_int_eq(info.max_time, INT64_MIN);
    const struct st_segment_key *k;
    ck_assert_int_eq(st_segment_find(f.r, 1, S("v"), &k), ST_ENOTFOUND);
    size_t first;
    ck_assert_uint_eq(st_segment_series_keys(f.r, 1, &first), 0);
    ck_assert_ptr_null(st_segment_key_at(f.r, 0));
    ck_assert_int_eq(st_segment_read_blocks(f.r, NULL, NULL, 0, f.err, sizeof(f.err)), ST_OK);
}
END_TEST

START_TEST(test_segment_large_block)
{
    /* Bigger than the writer's buffer: written around it. */
    make_model(3, 1, 2, 10);
    f.m[2].len = 3u << 20;
    f.m[2].data = realloc(f.m[2].data, f.m[2].len);
    for (uint32_t j = 0; j < f.m[2].len; j++)
        f.m[2].data[j] = (uint8_t)(j * 31 + 7);
    write_model(f.path);
    OPEN();
    uint8_t *dst = malloc(f.m[2].len);
    struct st_block_ref ref = {entry_of(2), dst};
    ck_assert_int_eq(st_segment_read_blocks(f.r, NULL, &ref, 1, f.err, sizeof(f.err)), ST_OK);
    ck_assert(memcmp(dst, f.m[2].data, f.m[2].len) == 0);
    free(dst);
}
END_TEST

/* ---- batched reads --------------------------------------------------------- */

/* Reads @n random distinct model blocks in one call, in random order, and
 * compares. */
static void read_random(st_segment *r, st_segment_io *io, size_t n)
{
    size_t *pick = malloc(f.nm * sizeof(*pick));
    for (size_t i = 0; i < f.nm; i++)
        pick[i] = i;
    for (size_t i = 0; i < n; i++) { /* partial Fisher-Yates */
        size_t j = i + rnd() % (f.nm - i);
        size_t t = pick[i];
        pick[i] = pick[j];
        pick[j] = t;
    }
    struct st_block_ref *refs = malloc(n * sizeof(*refs));
    st_segment *keep = f.r;
    f.r = r;
    for (size_t i = 0; i < n; i++) {
        refs[i].entry = entry_of(pick[i]);
        refs[i].dst = malloc(f.m[pick[i]].len + 1);
        memset(refs[i].dst, 0xAA, f.m[pick[i]].len + 1);
    }
    f.r = keep;
    ck_assert_msg(st_segment_read_blocks(r, io, refs, n, f.err, sizeof(f.err)) == ST_OK, "%s",
                  f.err);
    for (size_t i = 0; i < n; i++) {
        const struct mblock *m = &f.m[pick[i]];
        ck_assert(memcmp(refs[i].dst, m->data, m->len) == 0);
        ck_assert_uint_eq(((uint8_t *)refs[i].dst)[m->len], 0xAA); /* nothing beyond */
        free(refs[i].dst);
    }
    free(refs);
    free(pick);
}

START_TEST(test_segment_read_blocks_batch_random_order)
{
    make_model(2000, 3, 3, 300);
    write_model(f.path);
    OPEN();
    ck_assert_int_eq(st_segment_io_open(0, &f.io), ST_OK);
    read_random(f.r, f.io, 500); /* 64 in flight, refilled as they complete */
    read_random(f.r, f.io, 500); /* the io is reusable */
    read_random(f.r, NULL, 500); /* a ring for the call */
    st_segment_io *small;
    ck_assert_int_eq(st_segment_io_open(3, &small), ST_OK);
    read_random(f.r, small, 100);
    st_segment_io_close(small);

    /* The same from a memory image. */
    size_t len;
    uint8_t *img = slurp(f.path, &len);
    st_segment *mr;
    ck_assert_int_eq(st_segment_open_mem(img, len, &mr, f.err, sizeof(f.err)), ST_OK);
    read_random(mr, NULL, 500);
    st_segment_close(mr);
    free(img);
}
END_TEST

/* Many readers under a descriptor cap: never more open than the cap (no
 * read runs between calls), every read still right. */
static size_t count_fds(void)
{
    size_t n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

START_TEST(test_segment_fd_limit)
{
    make_model(50, 2, 2, 100);
    write_model(f.path);
    ck_assert_int_eq(st_segment_io_open(0, &f.io), ST_OK);
    size_t base = count_fds();
    st_segment_set_fd_limit(3);
    st_segment *rs[10];
    for (int i = 0; i < 10; i++) {
        ck_assert_msg(st_segment_open(f.path, &rs[i], f.err, sizeof(f.err)) == ST_OK, "%s", f.err);
        ck_assert_uint_le(st_segment_open_fds(), 3);
    }
    ck_assert_uint_le(count_fds(), base + 3);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 10; i++) {
            read_random(rs[(i * 7) % 10], f.io, 20);
            ck_assert_uint_le(st_segment_open_fds(), 3);
        }
    ck_assert_uint_le(count_fds(), base + 3);
    st_segment_set_fd_limit(0);
    for (int i = 0; i < 10; i++)
        read_random(rs[i], f.io, 5); /* reopened as needed, none closed now */
    ck_assert_uint_eq(st_segment_open_fds(), 10);
    for (int i = 0; i < 10; i++)
        st_segment_close(rs[i]);
    ck_assert_uint_eq(st_segment_open_fds(), 0);
    ck_assert_uint_eq(count_fds(), base);
}
END_TEST

struct thread_arg {
    st_segment *r;
    const struct mblock *m;
    size_t nm;
    size_t start;
    int ok;
};

/* Reads every 4th block through its own io, 100 at a time. No Check asserts
 * here: Check's assertions are for the main thread. */
static void *reader_thread(void *p)
{
    struct thread_arg *a = p;
    st_segment_io *io;
    if (st_segment_io_open(16, &io) != ST_OK)
        return NULL;
    struct st_block_ref refs[100];
    uint8_t *bufs[100];
    size_t idx[100];
    a->ok = 1;
    size_t n = 0;
    for (size_t i = a->start; i < a->nm && a->ok; i += 4) {
        const struct st_segment_key *k;
        if (st_segment_find(a->r, a->m[i].series, S(a->m[i].field), &k) != ST_OK) {
            a->ok = 0;
            break;
        }
        size_t e = 0;
        while (k->entries[e].stats.min_time != a->m[i].st.min_time)
            e++;
        idx[n] = i;
        bufs[n] = malloc(a->m[i].len + 1);
        refs[n] = (struct st_block_ref){&k->entries[e], bufs[n]};
        if (++n == 100 || i + 4 >= a->nm) {
            if (st_segment_read_blocks(a->r, io, refs, n, NULL, 0) != ST_OK)
                a->ok = 0;
            for (size_t j = 0; j < n; j++) {
                if (memcmp(bufs[j], a->m[idx[j]].data, a->m[idx[j]].len) != 0)
                    a->ok = 0;
                free(bufs[j]);
            }
            n = 0;
        }
    }
    for (size_t j = 0; j < n; j++)
        free(bufs[j]);
    st_segment_io_close(io);
    return NULL;
}

START_TEST(test_segment_read_blocks_threads_share_reader)
{
    make_model(300, 3, 3, 200);
    write_model(f.path);
    OPEN();
    pthread_t t[4];
    struct thread_arg a[4];
    for (size_t i = 0; i < 4; i++) {
        a[i] = (struct thread_arg){f.r, f.m, f.nm, i, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader_thread, &a[i]), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(a[i].ok, 1);
    }
}
END_TEST

START_TEST(test_segment_read_blocks_foreign_entry_refused)
{
    make_model(2, 1, 1, 10);
    write_model(f.path);
    OPEN();
    st_segment *other;
    ck_assert_int_eq(st_segment_open(f.path, &other, f.err, sizeof(f.err)), ST_OK);
    uint8_t buf[16];
    struct st_block_ref ref = {st_segment_key_at(other, 0)->entries, buf};
    ck_assert_int_eq(st_segment_read_blocks(f.r, NULL, &ref, 1, f.err, sizeof(f.err)), ST_EINVAL);
    struct st_block_entry copy = *st_segment_key_at(f.r, 0)->entries;
    ref.entry = &copy;
    ck_assert_int_eq(st_segment_read_blocks(f.r, NULL, &ref, 1, f.err, sizeof(f.err)), ST_EINVAL);
    st_segment_close(other);
}
END_TEST

START_TEST(test_segment_read_blocks_file_shrank)
{
    /* The file loses its tail after open: the read comes back short, is
     * resubmitted, then hits the end. */
    make_model(1, 1, 3, 10);
    f.m[2].len = 5000;
    f.m[2].data = realloc(f.m[2].data, 5000);
    memset(f.m[2].data, 7, 5000);
    write_model(f.path);
    OPEN();
    ck_assert_int_eq(truncate(f.path, (off_t)(entry_of(2)->offset + 2000)), 0);
    uint8_t *dst = malloc(5000);
    struct st_block_ref refs[2] = {{entry_of(0), malloc(16)}, {entry_of(2), dst}};
    ck_assert_int_eq(st_segment_read_blocks(f.r, NULL, refs, 2, f.err, sizeof(f.err)), ST_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(f.err, "file ends"));
    ck_assert_ptr_nonnull(strstr(f.err, f.path));
    free(refs[0].dst);
    free(dst);
}
END_TEST

/* ---- ordering and lifecycle of the writer ---------------------------------- */

START_TEST(test_segment_add_out_of_order_refused)
{
    st_segment_writer *w;
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    struct st_block_stats s = {.min_time = 100, .max_time = 200, .count = 5};
#define ADD(series, field, type, tmin, tmax)   \
    (s.min_time = (tmin), s.max_time = (tmax), \
     st_segment_writer_add(w, (series), S(field), (type), &s, "blk", 3, f.err, sizeof(f.err)))
    ck_assert_int_eq(ADD(5, "b", ST_FIELD_FLOAT, 100, 200), ST_OK);
    ck_assert_int_eq(ADD(4, "z", ST_FIELD_FLOAT, 300, 400), ST_EINVAL); /* series back */
    ck_assert_ptr_nonnull(strstr(f.err, "after series 5"));
    ck_assert_int_eq(ADD(5, "a", ST_FIELD_FLOAT, 300, 400), ST_EINVAL);   /* field back */
    ck_assert_int_eq(ADD(5, "b", ST_FIELD_FLOAT, 200, 300), ST_EINVAL);   /* overlaps */
    ck_assert_int_eq(ADD(5, "b", ST_FIELD_FLOAT, 150, 160), ST_EINVAL);   /* time back */
    ck_assert_int_eq(ADD(5, "b", ST_FIELD_INTEGER, 300, 400), ST_EINVAL); /* type changes */
    ck_assert_int_eq(ADD(5, "b", ST_FIELD_FLOAT, 400, 300), ST_EINVAL);   /* min > max */
    ck_assert_int_eq(ADD(6, "", ST_FIELD_FLOAT, 100, 200), ST_EINVAL);    /* no name */
    ck_assert_int_eq(ADD(6, "a", (enum st_field_type)0, 100, 200), ST_EINVAL);
    ck_assert_int_eq(ADD(6, "a", (enum st_field_type)6, 100, 200), ST_EINVAL);
    s.count = 0;
    ck_assert_int_eq(ADD(6, "a", ST_FIELD_FLOAT, 100, 200), ST_EINVAL);
    s.count = 5;
    s.min_time = 500;
    s.max_time = 600;
    ck_assert_int_eq(
        st_segment_writer_add(w, 6, S("a"), ST_FIELD_FLOAT, &s, NULL, 5, f.err, sizeof(f.err)),
        ST_EINVAL);
    /* The writer is still good. */
    ck_assert_int_eq(ADD(5, "b", ST_FIELD_FLOAT, 201, 300), ST_OK);
    ck_assert_int_eq(ADD(5, "ba", ST_FIELD_STRING, 0, 0), ST_OK);
    ck_assert_int_eq(ADD(6, "a", ST_FIELD_FLOAT, -5, 5), ST_OK);
#undef ADD
    ck_assert_int_eq(st_segment_writer_finish(w, f.err, sizeof(f.err)), ST_OK);
    OPEN();
    struct st_segment_info info;
    st_segment_info(f.r, &info);
    ck_assert_uint_eq(info.nblocks, 4);
    ck_assert_uint_eq(info.nkeys, 3);
    ck_assert_uint_eq(info.nseries, 2);
    ck_assert_int_eq(info.min_time, -5);
    ck_assert_int_eq(info.max_time, 300);
}
END_TEST

START_TEST(test_segment_abort_leaves_nothing)
{
    make_model(20, 2, 2, 100);
    st_segment_writer *w;
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    for (size_t i = 0; i < f.nm; i++)
        ck_assert_int_eq(st_segment_writer_add(w, f.m[i].series, S(f.m[i].field), f.m[i].type,
                                               &f.m[i].st, f.m[i].data, f.m[i].len, NULL, 0),
                         ST_OK);
    ck_assert_uint_eq(dir_entries(), 1); /* the .tmp */
    st_segment_writer_abort(w);
    ck_assert_uint_eq(dir_entries(), 0);
    st_segment_writer_abort(NULL);
    ck_assert_int_eq(st_segment_open(f.path, &f.r, f.err, sizeof(f.err)), ST_ENOTFOUND);
}
END_TEST

START_TEST(test_segment_publish_never_replaces)
{
    st_segment_writer *w, *w2;
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    /* A second writer of the same name collides on the temporary file. */
    ck_assert_int_eq(st_segment_writer_open(f.path, &w2, f.err, sizeof(f.err)), ST_EEXIST);
    ck_assert_ptr_nonnull(strstr(f.err, ".tmp"));
    ck_assert_int_eq(st_segment_writer_finish(w, f.err, sizeof(f.err)), ST_OK);
    /* Publishing over an existing segment fails and cleans up. */
    make_model(1, 1, 1, 10);
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    ck_assert_int_eq(
        st_segment_writer_add(w, 1, S("a"), ST_FIELD_FLOAT, &f.m[0].st, "x", 1, NULL, 0), ST_OK);
    ck_assert_int_eq(st_segment_writer_finish(w, f.err, sizeof(f.err)), ST_EEXIST);
    ck_assert_uint_eq(dir_entries(), 1);
    OPEN();
    struct st_segment_info info;
    st_segment_info(f.r, &info);
    ck_assert_uint_eq(info.nblocks, 0); /* the first, empty one */
    /* A directory that does not exist. */
    char bad[256];
    snprintf(bad, sizeof(bad), "%s/no/such.seg", f.dir);
    ck_assert_int_eq(st_segment_writer_open(bad, &w, f.err, sizeof(f.err)), ST_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(f.err, "no/such.seg.tmp"));
}
END_TEST

START_TEST(test_segment_write_error_poisons_writer)
{
    /* Files may not grow past 64 KiB: write() fails with EFBIG. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim = {64 << 10, 64 << 10};
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim.rlim_max = old.rlim_max;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    make_model(1, 1, 1, 10);
    st_segment_writer *w;
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    uint8_t *big = calloc(1, 2u << 20);
    struct st_block_stats s = f.m[0].st;
    int rv = st_segment_writer_add(w, 1, S("a"), ST_FIELD_FLOAT, &s, big, 2u << 20, f.err,
                                   sizeof(f.err));
    ck_assert_int_eq(rv, ST_EIO);
    ck_assert_ptr_nonnull(strstr(f.err, "1.seg.tmp: write"));
    s.min_time = s.max_time + 1;
    s.max_time = s.min_time;
    ck_assert_int_eq(
        st_segment_writer_add(w, 1, S("a"), ST_FIELD_FLOAT, &s, "x", 1, f.err, sizeof(f.err)),
        ST_EIO);
    ck_assert_ptr_nonnull(strstr(f.err, "failed earlier"));
    ck_assert_int_eq(st_segment_writer_finish(w, f.err, sizeof(f.err)), ST_EIO);
    ck_assert_uint_eq(dir_entries(), 0);
    /* The same when the index is what no longer fits. */
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    for (uint32_t i = 0; i < 1000; i++)
        ck_assert_int_eq(
            st_segment_writer_add(w, i, S("a"), ST_FIELD_FLOAT, &f.m[0].st, "x", 1, NULL, 0),
            ST_OK);
    int rv2 = st_segment_writer_finish(w, f.err, sizeof(f.err));
    setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_int_eq(rv2, ST_EIO);
    ck_assert_uint_eq(dir_entries(), 0);
    free(big);
}
END_TEST

/* ---- corruption ------------------------------------------------------------ */

/* A small file of every field type: 3 series x 5 fields x 2 blocks. */
static uint8_t *small_file(size_t *len)
{
    make_model(3, 5, 2, 24);
    write_model(f.path);
    return slurp(f.path, len);
}

START_TEST(test_segment_flipped_bit_in_metadata_detected)
{
    size_t len;
    uint8_t *img = small_file(&len);
    uint64_t index_off = st_load_le64(img + len - ST_SEG_FOOTER_SIZE + ST_SEG_FTR_INDEX_OFFSET);
    ck_assert_uint_gt(len - index_off, 3 * 5 * 2 * ST_SEG_ENTRY_V2_MIN);
    char flip[160];
    snprintf(flip, sizeof(flip), "%s/flip.seg", f.dir);
    size_t checked = 0;
    for (size_t pos = 0; pos < len; pos++) {
        if (pos >= ST_SEG_HEADER_SIZE && pos < index_off)
            continue; /* blocks: checked when read */
        const char *section = pos < ST_SEG_HEADER_SIZE         ? "header"
                              : pos < len - ST_SEG_FOOTER_SIZE ? "index"
                                                               : "footer";
        for (int bit = 0; bit < 8; bit++) {
            img[pos] ^= (uint8_t)(1u << bit);
            st_segment *r = NULL;
            int rv = st_segment_open_mem(img, len, &r, f.err, sizeof(f.err));
            ck_assert_msg(rv == ST_ECORRUPT, "byte %zu bit %d: %d", pos, bit, rv);
            ck_assert_msg(strstr(f.err, section) != NULL, "byte %zu: %s", pos, f.err);
            if (bit == (int)(pos % 8)) { /* and once per byte through a file */
                spew(flip, img, len);
                rv = st_segment_open(flip, &r, f.err, sizeof(f.err));
                ck_assert_msg(rv == ST_ECORRUPT, "file byte %zu: %d", pos, rv);
                ck_assert_ptr_nonnull(strstr(f.err, flip));
                ck_assert_ptr_nonnull(strstr(f.err, section));
            }
            img[pos] ^= (uint8_t)(1u << bit);
            checked++;
        }
    }
    ck_assert_uint_eq(checked, 8 * (ST_SEG_HEADER_SIZE + len - index_off));
    st_segment *r;
    ck_assert_int_eq(st_segment_open_mem(img, len, &r, f.err, sizeof(f.err)), ST_OK);
    st_segment_close(r);
    free(img);
}
END_TEST

START_TEST(test_segment_flipped_bit_in_block_detected_at_read)
{
    size_t len;
    uint8_t *img = small_file(&len);
    size_t b = 7;
    while (f.m[b].len == 0)
        b++;
    OPEN();
    const struct st_block_entry *e = entry_of(b);
    uint64_t off = e->offset;
    uint32_t size = e->size;
    st_segment_close(f.r);
    f.r = NULL;
    char name[64];
    snprintf(name, sizeof(name), "offset %llu", (unsigned long long)off);
    uint8_t dst[64];
    for (size_t pos = off; pos < off + size + ST_SEG_BLOCK_TRAILER; pos++) {
        img[pos] ^= (uint8_t)(1u << (pos % 8));
        spew(f.path, img, len);
        img[pos] ^= (uint8_t)(1u << (pos % 8));
        OPEN(); /* the index is intact */
        struct st_block_ref refs[2] = {{entry_of(0), dst + 32}, {entry_of(b), dst}};
        ck_assert_int_eq(st_segment_read_blocks(f.r, NULL, refs, 2, f.err, sizeof(f.err)),
                         ST_ECORRUPT);
        ck_assert_ptr_nonnull(strstr(f.err, name));
        ck_assert_ptr_nonnull(strstr(f.err, "checksum"));
        st_segment_close(f.r);
        f.r = NULL;
        /* The same from memory. */
        img[pos] ^= 0x80;
        st_segment *r;
        ck_assert_int_eq(st_segment_open_mem(img, len, &r, f.err, sizeof(f.err)), ST_OK);
        refs[1].entry = st_segment_key_at(r, b / 2)->entries + b % 2;
        ck_assert_int_eq(st_segment_read_blocks(r, NULL, &refs[1], 1, f.err, sizeof(f.err)),
                         ST_ECORRUPT);
        st_segment_close(r);
        img[pos] ^= 0x80;
    }
    free(img);
}
END_TEST

START_TEST(test_segment_truncated_refused)
{
    size_t len;
    uint8_t *img = small_file(&len);
    char cut[160];
    snprintf(cut, sizeof(cut), "%s/cut.seg", f.dir);
    for (size_t n = 0; n < len; n++) {
        st_segment *r = NULL;
        ck_assert_int_eq(st_segment_open_mem(img, n, &r, f.err, sizeof(f.err)), ST_ECORRUPT);
        spew(cut, img, n);
        ck_assert_msg(st_segment_open(cut, &r, f.err, sizeof(f.err)) == ST_ECORRUPT, "length %zu",
                      n);
    }
    /* Bytes appended after the footer too. */
    img[len] = 0;
    st_segment *r = NULL;
    ck_assert_int_eq(st_segment_open_mem(img, len + 1, &r, f.err, sizeof(f.err)), ST_ECORRUPT);
    free(img);
}
END_TEST

START_TEST(test_segment_newer_version_refused)
{
    size_t len;
    uint8_t *img = small_file(&len);
    st_segment *r = NULL;
    /* A newer footer with a good checksum. */
    uint8_t *ftr = img + len - ST_SEG_FOOTER_SIZE;
    ftr[ST_SEG_FTR_VERSION] = ST_SEG_VERSION + 1;
    st_store_le32(ftr + ST_SEG_FTR_CRC, st_crc32c(0, ftr, ST_SEG_FTR_CRC));
    char want[64];
    snprintf(want, sizeof(want), "footer: format version %d", ST_SEG_VERSION + 1);
    ck_assert_int_eq(st_segment_open_mem(img, len, &r, f.err, sizeof(f.err)), ST_EPROTO);
    ck_assert_ptr_nonnull(strstr(f.err, want));
    /* A newer header with a good checksum. */
    img[ST_SEG_HDR_VERSION] = ST_SEG_VERSION + 1;
    st_store_le32(img + ST_SEG_HDR_CRC, st_crc32c(0, img, ST_SEG_HDR_CRC));
    snprintf(want, sizeof(want), "header: format version %d", ST_SEG_VERSION + 1);
    ck_assert_int_eq(st_segment_open_mem(img, len, &r, f.err, sizeof(f.err)), ST_EPROTO);
    ck_assert_ptr_nonnull(strstr(f.err, want));
    /* Unknown flags are a newer format too. */
    img[ST_SEG_HDR_VERSION] = ST_SEG_VERSION;
    img[ST_SEG_HDR_FLAGS] = 1;
    st_store_le32(img + ST_SEG_HDR_CRC, st_crc32c(0, img, ST_SEG_HDR_CRC));
    ck_assert_int_eq(st_segment_open_mem(img, len, &r, f.err, sizeof(f.err)), ST_EPROTO);
    free(img);
}
END_TEST

/* Recomputes the index and footer checksums of @img after an edit, so the
 * structure checks behind them get to see it. */
static void recrc(uint8_t *img, size_t len)
{
    uint8_t *ftr = img + len - ST_SEG_FOOTER_SIZE;
    uint64_t off = st_load_le64(ftr + ST_SEG_FTR_INDEX_OFFSET);
    uint64_t size = st_load_le64(ftr + ST_SEG_FTR_INDEX_SIZE);
    if (off <= len && size <= len - off)
        st_store_le32(ftr + ST_SEG_FTR_INDEX_CRC, st_crc32c(0, img + off, size));
    st_store_le32(ftr + ST_SEG_FTR_CRC, st_crc32c(0, ftr, ST_SEG_FTR_CRC));
}

START_TEST(test_segment_structure_checked_behind_checksums)
{
    size_t len;
    uint8_t *img = small_file(&len);
    uint8_t *ftr = img + len - ST_SEG_FOOTER_SIZE;
    size_t idx = st_load_le64(ftr + ST_SEG_FTR_INDEX_OFFSET);
    size_t ent0 = idx + ST_SEG_KEY_FIXED + 1; /* key 0 is (3, "a") */
    static const struct {
        size_t at;       /* 0: index-relative @off; 1: footer-relative */
        size_t off;      /* where to store */
        int width;       /* 1, 4 or 8 bytes */
        uint64_t value;  /* what */
        const char *msg; /* expected in the error */
    } c[] = {
        {0, ST_SEG_KEY_SERIES, 4, 1000, "key 1 out of order"},
        {0, ST_SEG_KEY_TYPE, 1, 9, "key 0: type 9"},
        {0, ST_SEG_KEY_TYPE, 1, 0, "key 0: type 0"},
        {0, ST_SEG_KEY_FIXED + 1 - 4, 4, 0, "key 0: type 1, name of 1 bytes, 0 blocks"},
        {0, ST_SEG_KEY_FIXED + 1 - 4, 4, 3, "index: key"},
        {0, ST_SEG_KEY_FIXED + 1 - 4, 4, 1000, "1000 blocks"},
        /* version 2 entries (format.h): key 0's are floats; @off counts
         * varints: 0 min time, 1 span, 2 size, 3 count, 4 entry 1's min */
        {2, 2, 1, 0x7f, "block 0 at"}, /* a later block then lies past the index */
        {2, 3, 1, 0, "key 0 block 0: bad"},
        {2, 4, 1, 0, "key 0 block 1: bad"},
        {2, 2, 1, 0x80, "index: key"}, /* a varint that runs into the next */
        {1, ST_SEG_FTR_NSERIES, 4, 2, "disagrees with the footer"},
        {1, ST_SEG_FTR_NKEYS, 4, 14, "disagrees with the footer"},
        {1, ST_SEG_FTR_NENTRIES, 8, 31, "disagrees with the footer"},
        {1, ST_SEG_FTR_NENTRIES, 8, 29, "key 14: type"},
        {1, ST_SEG_FTR_NENTRIES, 8, 1000000, "1000000 entries"},
        {1, ST_SEG_FTR_MIN_TIME, 8, 0, "disagrees with the footer"},
        {1, ST_SEG_FTR_MAX_TIME, 8, 1, "disagrees with the footer"},
        {1, ST_SEG_FTR_INDEX_OFFSET, 8, 11, "index at 11"},
        {1, ST_SEG_FTR_INDEX_SIZE, 8, 5, "in a file of"},
    };
    /* where the varints of key 0's entries start */
    size_t vpos[5], at = ent0;
    for (int v = 0; v < 5; v++) {
        if (v == 4)
            at += 40; /* the float stats of entry 0 */
        vpos[v] = at;
        while (img[at] & 0x80)
            at++;
        at++;
    }
    uint8_t *copy = malloc(len);
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        memcpy(copy, img, len);
        uint8_t *p = c[i].at == 0   ? copy + idx + c[i].off
                     : c[i].at == 2 ? copy + vpos[c[i].off]
                                    : copy + len - ST_SEG_FOOTER_SIZE + c[i].off;
        if (c[i].width == 1)
            *p = (uint8_t)c[i].value;
        else if (c[i].width == 4)
            st_store_le32(p, (uint32_t)c[i].value);
        else
            st_store_le64(p, c[i].value);
        recrc(copy, len);
        st_segment *r = NULL;
        ck_assert_msg(st_segment_open_mem(copy, len, &r, f.err, sizeof(f.err)) == ST_ECORRUPT,
                      "case %zu", i);
        ck_assert_msg(strstr(f.err, c[i].msg) != NULL, "case %zu: %s", i, f.err);
    }
    /* Garbage between the index and the footer. */
    memcpy(copy, img, len);
    st_store_le64(copy + len - ST_SEG_FOOTER_SIZE + ST_SEG_FTR_INDEX_OFFSET, idx - 1);
    st_store_le64(copy + len - ST_SEG_FOOTER_SIZE + ST_SEG_FTR_INDEX_SIZE,
                  len - ST_SEG_FOOTER_SIZE - idx + 1);
    recrc(copy, len);
    st_segment *r = NULL;
    ck_assert_int_eq(st_segment_open_mem(copy, len, &r, f.err, sizeof(f.err)), ST_ECORRUPT);
    free(copy);
    free(img);
}
END_TEST

/* ---- statistics ------------------------------------------------------------ */

START_TEST(test_segment_stats_round_trip_exact)
{
    union st_stat_value nan_payload = {.u = 0x7FF8000000ABCDEFull};
    union st_stat_value negzero = {.f = -0.0};
    struct st_block_stats s[] = {
        {.min_time = INT64_MIN,
         .max_time = INT64_MIN,
         .count = 1,
         .sum = -0.0,
         .min = nan_payload,
         .max = negzero,
         .first = {.f = NAN},
         .last = {.f = -INFINITY}},
        {.min_time = -1,
         .max_time = 5,
         .count = UINT32_MAX,
         .sum = 1e308,
         .isum_lo = UINT64_MAX,
         .isum_hi = INT64_MIN,
         .min = {.i = INT64_MIN},
         .max = {.i = INT64_MAX},
         .first = {.i = -1},
         .last = {.i = 0}},
        {.min_time = 6,
         .max_time = INT64_MAX,
         .count = 2,
         .sum = nan_payload.f,
         .isum_lo = 1,
         .isum_hi = INT64_MAX,
         .min = {.u = 0},
         .max = {.u = UINT64_MAX},
         .first = {.u = UINT64_MAX},
         .last = {.u = 1}},
    };
    st_segment_writer *w;
    ck_assert_int_eq(st_segment_writer_open(f.path, &w, f.err, sizeof(f.err)), ST_OK);
    /* Values are 64 bits whatever the type: the segment does not interpret them. */
    ck_assert_int_eq(st_segment_writer_add(w, 1, S("f"), ST_FIELD_FLOAT, &s[0], "", 0, NULL, 0),
                     ST_OK);
    for (size_t i = 1; i < 3; i++)
        ck_assert_int_eq(
            st_segment_writer_add(w, 1, S("i"), ST_FIELD_INTEGER, &s[i], "", 0, NULL, 0), ST_OK);
    /* Strings keep times and count only. */
    ck_assert_int_eq(st_segment_writer_add(w, 2, S("s"), ST_FIELD_STRING, &s[1], "abc", 3, NULL, 0),
                     ST_OK);
    ck_assert_int_eq(st_segment_writer_finish(w, f.err, sizeof(f.err)), ST_OK);
    OPEN();
    const struct st_segment_key *k;
    ck_assert_int_eq(st_segment_find(f.r, 1, S("f"), &k), ST_OK);
    assert_stats_eq(&k->entries[0].stats, &s[0]);
    ck_assert_int_eq(st_segment_find(f.r, 1, S("i"), &k), ST_OK);
    assert_stats_eq(&k->entries[0].stats, &s[1]);
    assert_stats_eq(&k->entries[1].stats, &s[2]);
    ck_assert_uint_eq(k->entries[0].size, 0);
    ck_assert_int_eq(st_segment_find(f.r, 2, S("s"), &k), ST_OK);
    struct st_block_stats z = {.min_time = -1, .max_time = 5, .count = UINT32_MAX};
    assert_stats_eq(&k->entries[0].stats, &z);
}
END_TEST

START_TEST(test_block_stats_add)
{
    struct st_block_stats s;
    /* Integers: the exact sum needs more than 64 bits. */
    st_block_stats_init(&s);
    for (int i = 0; i < 3; i++)
        st_block_stats_add(&s, ST_FIELD_INTEGER, 10 + i, (union st_stat_value){.i = INT64_MAX});
    st_block_stats_add(&s, ST_FIELD_INTEGER, 20, (union st_stat_value){.i = INT64_MIN});
    /* 3 * (2^63 - 1) - 2^63 = 2^64 - 3 */
    ck_assert_int_eq(s.isum_hi, 0);
    ck_assert_uint_eq(s.isum_lo, UINT64_MAX - 2);
    ck_assert_int_eq(s.min.i, INT64_MIN);
    ck_assert_int_eq(s.max.i, INT64_MAX);
    ck_assert_int_eq(s.first.i, INT64_MAX);
    ck_assert_int_eq(s.last.i, INT64_MIN);
    ck_assert_int_eq(s.min_time, 10);
    ck_assert_int_eq(s.max_time, 20);
    ck_assert_uint_eq(s.count, 4);
    st_block_stats_init(&s);
    for (int i = 0; i < 3; i++)
        st_block_stats_add(&s, ST_FIELD_INTEGER, i, (union st_stat_value){.i = INT64_MIN});
    ck_assert_int_eq(s.isum_hi, -2); /* -3 * 2^63 = -2 * 2^64 + 2^63 */
    ck_assert_uint_eq(s.isum_lo, 1ull << 63);
    ck_assert_int_eq(s.min.i, INT64_MIN);

    /* Unsigned. */
    st_block_stats_init(&s);
    st_block_stats_add(&s, ST_FIELD_UNSIGNED, 1, (union st_stat_value){.u = UINT64_MAX});
    st_block_stats_add(&s, ST_FIELD_UNSIGNED, 2, (union st_stat_value){.u = UINT64_MAX});
    st_block_stats_add(&s, ST_FIELD_UNSIGNED, 3, (union st_stat_value){.u = 5});
    ck_assert_int_eq(s.isum_hi, 2);
    ck_assert_uint_eq(s.isum_lo, 3);
    ck_assert_uint_eq(s.min.u, 5);
    ck_assert_uint_eq(s.max.u, UINT64_MAX);

    /* Floats: NaN does not win min or max unless it is all there is. */
    st_block_stats_init(&s);
    st_block_stats_add(&s, ST_FIELD_FLOAT, 1, (union st_stat_value){.f = NAN});
    ck_assert(isnan(s.min.f) && isnan(s.max.f));
    st_block_stats_add(&s, ST_FIELD_FLOAT, 2, (union st_stat_value){.f = 2.5});
    st_block_stats_add(&s, ST_FIELD_FLOAT, 3, (union st_stat_value){.f = NAN});
    st_block_stats_add(&s, ST_FIELD_FLOAT, 4, (union st_stat_value){.f = -1.0});
    st_block_stats_add(&s, ST_FIELD_FLOAT, 5, (union st_stat_value){.f = 3.0});
    st_block_stats_add(&s, ST_FIELD_FLOAT, 6, (union st_stat_value){.f = -1.0});
    ck_assert_double_eq(s.min.f, -1.0);
    ck_assert_double_eq(s.max.f, 3.0);
    ck_assert(isnan(s.first.f));
    ck_assert_double_eq(s.last.f, -1.0);
    ck_assert(isnan(s.sum));
    ck_assert_uint_eq(s.isum_lo, 0);

    /* Booleans count their trues; strings only times and count. */
    st_block_stats_init(&s);
    st_block_stats_add(&s, ST_FIELD_BOOLEAN, 1, (union st_stat_value){.u = 7});
    st_block_stats_add(&s, ST_FIELD_BOOLEAN, 2, (union st_stat_value){.u = 0});
    st_block_stats_add(&s, ST_FIELD_BOOLEAN, 3, (union st_stat_value){.u = 1});
    ck_assert_uint_eq(s.isum_lo, 2);
    ck_assert_uint_eq(s.min.u, 0);
    ck_assert_uint_eq(s.max.u, 1);
    ck_assert_uint_eq(s.first.u, 1);
    ck_assert_double_eq(s.sum, 2.0);
    st_block_stats_init(&s);
    st_block_stats_add(&s, ST_FIELD_STRING, 5, (union st_stat_value){.u = 9});
    st_block_stats_add(&s, ST_FIELD_STRING, 6, (union st_stat_value){.u = 9});
    ck_assert_uint_eq(s.count, 2);
    ck_assert_uint_eq(s.first.u | s.last.u | s.min.u | s.max.u | s.isum_lo, 0);
    ck_assert_int_eq(s.max_time, 6);
}
END_TEST

static Suite *segment_suite(void)
{
    Suite *s = suite_create("segment");
    TCase *tc = tcase_create("writer_reader");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_segment_round_trip_many_series);
    tcase_add_test(tc, test_segment_find);
    tcase_add_test(tc, test_segment_key_range);
    tcase_add_test(tc, test_segment_empty_is_valid);
    tcase_add_test(tc, test_segment_large_block);
    suite_add_tcase(s, tc);

    tc = tcase_create("read_blocks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_segment_read_blocks_batch_random_order);
    tcase_add_test(tc, test_segment_fd_limit);
    tcase_add_test(tc, test_segment_read_blocks_threads_share_reader);
    tcase_add_test(tc, test_segment_read_blocks_foreign_entry_refused);
    tcase_add_test(tc, test_segment_read_blocks_file_shrank);
    suite_add_tcase(s, tc);

    tc = tcase_create("writer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_segment_add_out_of_order_refused);
    tcase_add_test(tc, test_segment_abort_leaves_nothing);
    tcase_add_test(tc, test_segment_publish_never_replaces);
    tcase_add_test(tc, test_segment_write_error_poisons_writer);
    suite_add_tcase(s, tc);

    tc = tcase_create("corruption");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_segment_flipped_bit_in_metadata_detected);
    tcase_add_test(tc, test_segment_flipped_bit_in_block_detected_at_read);
    tcase_add_test(tc, test_segment_truncated_refused);
    tcase_add_test(tc, test_segment_newer_version_refused);
    tcase_add_test(tc, test_segment_structure_checked_behind_checksums);
    suite_add_tcase(s, tc);

    tc = tcase_create("stats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_segment_stats_round_trip_exact);
    tcase_add_test(tc, test_block_stats_add);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return t_run_suite(segment_suite());
}
