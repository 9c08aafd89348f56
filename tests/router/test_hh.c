/* The hinted-handoff queue: order, durability across reopen, torn tails,
 * the bound, segment rotation and removal. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "hh.h"
#include "proc.h"
#include "testlib.h"

static char *dir;

static void setup(void)
{
    dir = t_tmpdir("hh");
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    t_rmtree(dir);
    free(dir);
}

static int count_segments(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".hh") != NULL;
    closedir(d);
    return n;
}

/* Pops every record, checking it is "rec-<i>" for i from @first on. */
static int drain(st_hh *q, int first)
{
    struct st_buf b;
    st_buf_init(&b);
    uint64_t next;
    int i = first, bad = 0;
    while (st_hh_peek(q, &b, &next) == ST_OK) {
        char want[32];
        snprintf(want, sizeof(want), "rec-%d", i++);
        bad += strcmp(b.p, want) != 0;
        st_hh_ack(q, next);
    }
    st_buf_fini(&b);
    ck_assert_int_eq(bad, 0);
    return i - first;
}

static void append_n(st_hh *q, int from, int n)
{
    char err[256];
    for (int i = from; i < from + n; i++) {
        char rec[32];
        int len = snprintf(rec, sizeof(rec), "rec-%d", i);
        ck_assert_int_eq(st_hh_append(q, rec, (size_t)len, err, sizeof(err)), ST_OK);
    }
}

START_TEST(test_hh_fifo_and_reopen)
{
    char err[256];
    st_hh *q;
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    struct st_buf b;
    st_buf_init(&b);
    uint64_t next;
    ck_assert_int_eq(st_hh_peek(q, &b, &next), ST_ENOTFOUND);
    append_n(q, 0, 10);
    ck_assert_uint_eq(st_hh_records(q), 10);
    ck_assert_uint_eq(st_hh_bytes(q), 10 * 8 + 10 * 5);
    /* Replay three, then "crash": the rest is there after a reopen. */
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(st_hh_peek(q, &b, &next), ST_OK);
        st_hh_ack(q, next);
    }
    st_hh_close(q);
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    ck_assert_uint_eq(st_hh_records(q), 7);
    append_n(q, 10, 5);
    ck_assert_int_eq(drain(q, 3), 12);
    ck_assert_uint_eq(st_hh_bytes(q), 0);
    st_hh_close(q);
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    ck_assert_uint_eq(st_hh_records(q), 0);
    ck_assert_int_eq(st_hh_peek(q, &b, &next), ST_ENOTFOUND);
    st_buf_fini(&b);
    st_hh_close(q);
}
END_TEST

START_TEST(test_hh_torn_tail_is_cut)
{
    char err[256];
    st_hh *q;
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    append_n(q, 0, 4);
    st_hh_close(q);
    /* Half a record at the end, as a crash during an append leaves it. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/%020d.hh", dir, 0);
    int fd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\x20\0\0\0abcd", 8), 8);
    close(fd);
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    ck_assert_ptr_nonnull(strstr(err, "cut at byte"));
    ck_assert_uint_eq(st_hh_records(q), 4);
    append_n(q, 4, 2);
    ck_assert_int_eq(drain(q, 0), 6);
    st_hh_close(q);
    /* A flipped bit in a record's payload ends the queue before it. */
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    append_n(q, 0, 3);
    st_hh_close(q);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    fd = open(path, O_RDWR);
    ck_assert_int_eq(pwrite(fd, "X", 1, st.st_size - 1), 1);
    close(fd);
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    ck_assert_uint_eq(st_hh_records(q), 2);
    ck_assert_int_eq(drain(q, 0), 2);
    st_hh_close(q);
}
END_TEST

START_TEST(test_hh_bound)
{
    char err[256];
    st_hh *q;
    ck_assert_int_eq(st_hh_open(dir, 100, &q, err, sizeof(err)), ST_OK);
    append_n(q, 0, 7); /* 7 * 13 = 91 bytes */
    ck_assert_int_eq(st_hh_append(q, "rec-7", 5, err, sizeof(err)), ST_ENOSPC);
    ck_assert_ptr_nonnull(strstr(err, "is full"));
    ck_assert_uint_eq(st_hh_records(q), 7);
    /* Replaying frees room. */
    struct st_buf b;
    st_buf_init(&b);
    uint64_t next;
    ck_assert_int_eq(st_hh_peek(q, &b, &next), ST_OK);
    st_hh_ack(q, next);
    ck_assert_int_eq(st_hh_append(q, "rec-7", 5, err, sizeof(err)), ST_OK);
    ck_assert_int_eq(drain(q, 1), 7);
    st_buf_fini(&b);
    st_hh_close(q);
}
END_TEST

START_TEST(test_hh_segments_rotate_and_go)
{
    char err[256];
    st_hh *q;
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    size_t len = 1u << 20;
    char *big = malloc(len);
    int bad = 0;
    for (int i = 0; i < 40; i++) {
        memset(big, 'a' + i % 26, len);
        bad += st_hh_append(q, big, len, err, sizeof(err)) != ST_OK;
    }
    ck_assert_int_eq(bad, 0);
    ck_assert_int_ge(count_segments(), 3);
    st_hh_close(q);
    ck_assert_int_eq(st_hh_open(dir, 0, &q, err, sizeof(err)), ST_OK);
    ck_assert_uint_eq(st_hh_records(q), 40);
    struct st_buf b;
    st_buf_init(&b);
    uint64_t next;
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(st_hh_peek(q, &b, &next), ST_OK);
        bad += b.len != len || b.p[0] != 'a' + i % 26 || b.p[len - 1] != 'a' + i % 26;
        st_hh_ack(q, next);
    }
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(count_segments(), 1); /* the one appends go to */
    st_buf_fini(&b);
    free(big);
    st_hh_close(q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hh");
    TCase *tc = tcase_create("hh");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hh_fifo_and_reopen);
    tcase_add_test(tc, test_hh_torn_tail_is_cut);
    tcase_add_test(tc, test_hh_bound);
    tcase_add_test(tc, test_hh_segments_rotate_and_go);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
