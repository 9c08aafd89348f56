/* The nng RPC layer: round trips, concurrency, deadlines, dead servers. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "rpc.h"
#include "proc.h"
#include "testlib.h"

/* Echoes the request reversed; "sleep" makes it wait 1.5 s first. */
static int handler(void *arg, const uint8_t *req, size_t len, struct st_buf *resp)
{
    (void)arg;
    if (len == 5 && memcmp(req, "sleep", 5) == 0) {
        struct timespec ts = {1, 500000000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < len; i++)
        st_buf_putc(resp, (char)req[len - 1 - i]);
    return ST_OK;
}

static st_rpc_server *srv;
static char url[64];

static void setup(void)
{
    char err[256];
    struct st_rpc_server_opts o = {.url = "tcp://127.0.0.1:0", .workers = 4, .handler = handler};
    ck_assert_int_eq(st_rpc_server_open(&o, &srv, err, sizeof(err)), ST_OK);
    ck_assert_int_gt(st_rpc_server_port(srv), 0);
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", st_rpc_server_port(srv));
}

static void teardown(void)
{
    st_rpc_server_close(srv);
}

START_TEST(test_rpc_call_roundtrip)
{
    st_rpc_client *c;
    struct st_buf r;
    st_buf_init(&r);
    ck_assert_int_eq(st_rpc_client_open(url, &c), ST_OK);
    ck_assert_int_eq(st_rpc_call(c, "hello", 5, 5000, &r), ST_OK);
    ck_assert_str_eq(r.p, "olleh");
    /* A large message. */
    size_t n = 4 << 20;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i % 251);
    ck_assert_int_eq(st_rpc_call(c, big, n, 10000, &r), ST_OK);
    ck_assert_uint_eq(r.len, n);
    ck_assert_int_eq((unsigned char)r.p[0], (unsigned char)big[n - 1]);
    free(big);
    st_buf_fini(&r);
    st_rpc_client_close(c);
}
END_TEST

struct caller {
    st_rpc_client *c;
    int id, ok;
};

static void *call_many(void *p)
{
    struct caller *k = p;
    struct st_buf r;
    st_buf_init(&r);
    for (int i = 0; i < 200; i++) {
        char msg[32], want[32];
        int n = snprintf(msg, sizeof(msg), "t%d-%d", k->id, i);
        for (int j = 0; j < n; j++)
            want[j] = msg[n - 1 - j];
        want[n] = '\0';
        if (st_rpc_call(k->c, msg, (size_t)n, 5000, &r) == ST_OK && strcmp(r.p, want) == 0)
            k->ok++;
    }
    st_buf_fini(&r);
    return NULL;
}

START_TEST(test_rpc_concurrent_callers_share_a_client)
{
    st_rpc_client *c;
    ck_assert_int_eq(st_rpc_client_open(url, &c), ST_OK);
    pthread_t th[8];
    struct caller k[8];
    for (int i = 0; i < 8; i++) {
        k[i] = (struct caller){.c = c, .id = i};
        pthread_create(&th[i], NULL, call_many, &k[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(k[i].ok, 200);
    }
    st_rpc_client_close(c);
}
END_TEST

START_TEST(test_rpc_deadline)
{
    st_rpc_client *c;
    struct st_buf r;
    st_buf_init(&r);
    ck_assert_int_eq(st_rpc_client_open(url, &c), ST_OK);
    ck_assert_int_eq(st_rpc_call(c, "sleep", 5, 300, &r), ST_ETIMEDOUT);
    /* Other calls still work while that handler sleeps. */
    ck_assert_int_eq(st_rpc_call(c, "ab", 2, 5000, &r), ST_OK);
    ck_assert_str_eq(r.p, "ba");
    st_buf_fini(&r);
    st_rpc_client_close(c);
}
END_TEST

START_TEST(test_rpc_no_server_unavailable)
{
    st_rpc_client *c;
    struct st_buf r;
    st_buf_init(&r);
    char dead[64];
    /* A port that was just free: nobody listens there. */
    snprintf(dead, sizeof(dead), "tcp://127.0.0.1:%d", st_rpc_server_port(srv));
    st_rpc_server_close(srv);
    srv = NULL;
    ck_assert_int_eq(st_rpc_client_open(dead, &c), ST_OK);
    /* No connection ever took the request: it was not sent. The deadline
     * covers the whole call, not each half. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(st_rpc_call(c, "x", 1, 300, &r), ST_EUNAVAIL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_lt(ms, 500);
    st_buf_fini(&r);
    st_rpc_client_close(c);
}
END_TEST

START_TEST(test_rpc_call_fast)
{
    st_rpc_client *c;
    struct st_buf r;
    st_buf_init(&r);
    ck_assert_int_eq(st_rpc_client_open(url, &c), ST_OK);
    /* Connected: the connect bound does not cut a slow answer short. */
    ck_assert_int_eq(st_rpc_call_fast(c, "sleep", 5, 100, 5000, &r), ST_OK);
    ck_assert_str_eq(r.p, "peels");
    st_rpc_client_close(c);
    /* Nobody listens: ST_EUNAVAIL after the connect bound, not the deadline. */
    char dead[64];
    snprintf(dead, sizeof(dead), "tcp://127.0.0.1:%d", st_rpc_server_port(srv));
    st_rpc_server_close(srv);
    srv = NULL;
    ck_assert_int_eq(st_rpc_client_open(dead, &c), ST_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(st_rpc_call_fast(c, "x", 1, 200, 5000, &r), ST_EUNAVAIL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_lt(ms, 1000);
    st_buf_fini(&r);
    st_rpc_client_close(c);
}
END_TEST

struct sleeper {
    st_rpc_client *c;
    int rv;
};

static void *call_sleep(void *p)
{
    struct sleeper *k = p;
    struct st_buf r;
    st_buf_init(&r);
    k->rv = st_rpc_call(k->c, "sleep", 5, 10000, &r);
    st_buf_fini(&r);
    return NULL;
}

START_TEST(test_rpc_shutdown_interrupts_calls)
{
    struct sleeper k = {.rv = -1};
    ck_assert_int_eq(st_rpc_client_open(url, &k.c), ST_OK);
    pthread_t th;
    struct timespec t0, t1, pause = {0, 200000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_create(&th, NULL, call_sleep, &k);
    nanosleep(&pause, NULL);
    st_rpc_client_shutdown(k.c);
    pthread_join(th, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_eq(k.rv, ST_ECANCELED);
    ck_assert_int_lt(ms, 1000); /* the handler sleeps 1.5 s */
    /* Later calls fail at once; shutting down twice is fine. */
    struct st_buf r;
    st_buf_init(&r);
    ck_assert_int_eq(st_rpc_call(k.c, "ab", 2, 5000, &r), ST_ECANCELED);
    st_rpc_client_shutdown(k.c);
    st_buf_fini(&r);
    st_rpc_client_close(k.c);
}
END_TEST

/* Calls started together run together: three 1.5 s calls end in well
 * under 4.5 s, each with its own answer, and a dead server among them
 * fails on its own. */
START_TEST(test_rpc_start_runs_calls_concurrently)
{
    st_rpc_client *c, *dead;
    st_rpc_pending *p[4];
    ck_assert_int_eq(st_rpc_client_open(url, &c), ST_OK);
    ck_assert_int_eq(st_rpc_client_open("tcp://127.0.0.1:1", &dead), ST_OK);
    long long t0 = t_now_ms();
    ck_assert_int_eq(st_rpc_start(c, "sleep", 5, 200, 5000, &p[0]), ST_OK);
    ck_assert_int_eq(st_rpc_start(c, "sleep", 5, 200, 5000, &p[1]), ST_OK);
    ck_assert_int_eq(st_rpc_start(dead, "x", 1, 200, 5000, &p[2]), ST_OK);
    ck_assert_int_eq(st_rpc_start(c, "sleep", 5, 200, 5000, &p[3]), ST_OK);
    struct st_buf r;
    st_buf_init(&r);
    ck_assert_int_eq(st_rpc_finish(p[0], &r), ST_OK);
    ck_assert_str_eq(r.p, "peels");
    ck_assert_int_eq(st_rpc_finish(p[1], &r), ST_OK);
    ck_assert_int_eq(st_rpc_finish(p[2], &r), ST_EUNAVAIL);
    ck_assert_int_eq(st_rpc_finish(p[3], &r), ST_OK);
    ck_assert_str_eq(r.p, "peels");
    ck_assert_int_lt(t_now_ms() - t0, 4000);
    /* After shutdown nothing starts. */
    st_rpc_client_shutdown(c);
    ck_assert_int_eq(st_rpc_start(c, "ab", 2, 200, 5000, &p[0]), ST_ECANCELED);
    st_buf_fini(&r);
    st_rpc_client_close(dead);
    st_rpc_client_close(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rpc");
    TCase *tc = tcase_create("rpc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rpc_call_roundtrip);
    tcase_add_test(tc, test_rpc_concurrent_callers_share_a_client);
    tcase_add_test(tc, test_rpc_deadline);
    tcase_add_test(tc, test_rpc_no_server_unavailable);
    tcase_add_test(tc, test_rpc_call_fast);
    tcase_add_test(tc, test_rpc_shutdown_interrupts_calls);
    tcase_add_test(tc, test_rpc_start_runs_calls_concurrently);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
