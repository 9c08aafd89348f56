/* Shard snapshots and the ShardCopy RPC: consistency under writes, chunks,
 * resent tokens, corruption, expiry. The RPC server here decodes the
 * DataRequest and calls st_copy_handle() itself, as the data service does. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "copy.h"
#include "data.pb-c.h"
#include "err.h"
#include "index.h"
#include "rpc.h"
#include "shard.h"
#include "shard_snap.h"
#include "store.h"
#include "testlib.h"
#include "wal.h"

#define SHARD 7

static char dir[64]; /* the node's data directory */
static char path[256];
static st_store *store;
static st_copy *copy;
static st_shard *src; /* shard SHARD, held for the test */
static st_rpc_server *srv;
static st_rpc_client *cli;

/* What the server does to its answers, for the tests of failures. */
static atomic_int calls;        /* requests handled so far */
static atomic_int corrupt_from; /* answers [from, from + count) get a flipped data byte */
static atomic_int corrupt_count;
static atomic_int bad_file_crc; /* every whole-file CRC is wrong */
static atomic_int drop_at;      /* this request gets no answer (the caller times out) */

/* Decodes @resp, lets @edit change it, packs it again. */
static void rewrite(struct st_buf *resp, void (*edit)(Strata__ShardCopyResponse *))
{
    Strata__DataResponse *d =
        strata__data_response__unpack(NULL, resp->len, (const uint8_t *)resp->p);
    ck_assert_ptr_nonnull(d);
    if (d->shard_copy)
        edit(d->shard_copy);
    st_buf_reset(resp);
    size_t n = strata__data_response__get_packed_size(d);
    ck_assert_int_eq(st_buf_reserve(resp, n), ST_OK);
    strata__data_response__pack(d, (uint8_t *)resp->p);
    resp->len = n;
    strata__data_response__free_unpacked(d, NULL);
}

static void flip_data(Strata__ShardCopyResponse *cr)
{
    if (cr->data.len > 0)
        cr->data.data[cr->data.len / 2] ^= 0x10;
    else
        cr->crc32c ^= 1;
}

static void flip_file_crc(Strata__ShardCopyResponse *cr)
{
    if (cr->file_done)
        cr->file_crc32c ^= 1;
}

static int handler(void *arg, const uint8_t *req, size_t len, struct st_buf *resp)
{
    (void)arg;
    Strata__DataRequest *q = strata__data_request__unpack(NULL, len, req);
    if (q == NULL || q->req_case != STRATA__DATA_REQUEST__REQ_SHARD_COPY) {
        strata__data_request__free_unpacked(q, NULL);
        return ST_EPROTO;
    }
    int rv = st_copy_handle(copy, store, q->shard_copy, resp);
    strata__data_request__free_unpacked(q, NULL);
    int n = atomic_fetch_add(&calls, 1);
    if (rv == ST_OK && n >= corrupt_from && n < corrupt_from + corrupt_count)
        rewrite(resp, flip_data);
    if (rv == ST_OK && bad_file_crc)
        rewrite(resp, flip_file_crc);
    return n == drop_at ? ST_EIO : rv;
}

static void setup(void)
{
    char err[512] = "";
    snprintf(dir, sizeof(dir), "/tmp/st-copy-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct st_shard_opts o = {.cache_max_bytes = 64u << 20};
    ck_assert_msg(st_store_open(dir, &o, &store, err, sizeof(err)) == ST_OK, "%s", err);
    ck_assert_int_eq(st_copy_open(dir, &copy), ST_OK);
    ck_assert_msg(st_store_acquire(store, SHARD, true, &src, err, sizeof(err)) == ST_OK, "%s", err);
    struct st_rpc_server_opts ro = {.url = "tcp://127.0.0.1:0", .workers = 4, .handler = handler};
    ck_assert_msg(st_rpc_server_open(&ro, &srv, err, sizeof(err)) == ST_OK, "%s", err);
    char url[64];
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", st_rpc_server_port(srv));
    ck_assert_int_eq(st_rpc_client_open(url, &cli), ST_OK);
    calls = 0;
    corrupt_from = corrupt_count = 0;
    bad_file_crc = 0;
    drop_at = -1;
}

static void teardown(void)
{
    st_rpc_client_close(cli);
    st_rpc_server_close(srv);
    st_copy_close(copy);
    st_store_release(store, src);
    st_store_close(store);
    /* nng frees a closed socket's dialer on its reaper thread: without
     * this, a child exiting right after teardown can race the reaper and
     * LeakSanitizer reports nng's objects (seen once under load). */
    nng_fini();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *P(const char *rel)
{
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    return path;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Writes @n points of series cpu,host=h<host> from time @t0 on, one apart:
 * a float, an integer and a string field, each a function of the time that
 * compresses poorly, so that the files take many small chunks. */
static void WRITE(st_shard *s, int host, int64_t t0, int n)
{
    struct st_buf lp;
    st_buf_init(&lp);
    for (int i = 0; i < n; i++) {
        long long t = (long long)(t0 + i), h = (t * 2654435761LL) % 1000003;
        st_buf_printf(&lp, "cpu,host=h%d v=%lld.%03lld,n=%lldi,s=\"x%lld\" %lld\n", host, h,
                      h % 997, h * 7919, h % 9973, t * 1000 + h % 1000);
    }
    struct st_shard_write_result res = {0};
    st_buf_init(&res.errors);
    ck_assert_int_eq(st_shard_write(s, lp.p, lp.len, &res), ST_OK);
    ck_assert_uint_eq(res.written, (uint64_t)n);
    st_buf_fini(&res.errors);
    st_buf_fini(&lp);
}

/* Deletes the values of series @key in [@tmin, @tmax]. */
static void DELETE(st_shard *s, const char *key, int64_t tmin, int64_t tmax)
{
    char err[512] = "";
    uint32_t id;
    st_index *idx = st_shard_index(s);
    st_index_read_begin(idx);
    int rv = st_index_lookup(idx, key, strlen(key), &id);
    st_index_read_end(idx);
    ck_assert_int_eq(rv, ST_OK);
    ck_assert_msg(st_shard_delete(s, &id, 1, tmin, tmax, err, sizeof(err)) == ST_OK, "%s", err);
}

/* The source shard: two flushed segments, a delete that hides part of one
 * (a tombstone), and unflushed WAL data. */
static void FILL(void)
{
    WRITE(src, 1, 1000, 1000);
    ck_assert_int_eq(st_shard_flush(src), ST_OK);
    WRITE(src, 2, 1000, 1000);
    WRITE(src, 1, 1200, 50); /* overwrites flushed times with equal values */
    ck_assert_int_eq(st_shard_flush(src), ST_OK);
    DELETE(src, "cpu,host=h2", 1200 * 1000, 1500 * 1000);
    WRITE(src, 3, 5000, 600);
    WRITE(src, 1, 9000, 20);
    struct st_shard_stats st;
    st_shard_stats(src, &st);
    ck_assert_uint_eq(st.segments, 2);
    ck_assert_uint_gt(st.cache_values, 0);
    ck_assert(access(P("shards/7/tombstones"), F_OK) == 0);
}

/* Everything in measurement cpu as text. */
static int d_series(void *arg, struct st_slice key)
{
    return st_buf_printf(arg, "[%.*s]", (int)key.len, key.p);
}

static int d_field(void *arg, struct st_slice field, enum st_field_type type)
{
    return st_buf_printf(arg, "%.*s(%d):", (int)field.len, field.p, (int)type);
}

static int d_value(void *arg, const struct st_point_value *pv)
{
    struct st_buf *b = arg;
    switch (pv->type) {
    case ST_FIELD_FLOAT:
        return st_buf_printf(b, "%lld=%.17g;", (long long)pv->t, pv->v.f);
    case ST_FIELD_INTEGER:
        return st_buf_printf(b, "%lld=%lld;", (long long)pv->t, (long long)pv->v.i);
    case ST_FIELD_STRING:
        return st_buf_printf(b, "%lld='%.*s';", (long long)pv->t, (int)pv->v.s.len, pv->v.s.p);
    default:
        return st_buf_printf(b, "%lld=?;", (long long)pv->t);
    }
}

static char *dump(st_shard *s)
{
    struct st_buf b;
    st_buf_init(&b);
    st_buf_puts(&b, "");
    struct st_shard_read_cb cb = {d_series, d_field, d_value, &b};
    struct st_slice m = {"cpu", 3};
    ck_assert_int_eq(st_shard_read_raw(s, m, NULL, 0, INT64_MIN, INT64_MAX, &cb), ST_OK);
    return b.p; /* caller frees */
}

static st_shard *open_copy(const char *d)
{
    char err[512] = "";
    st_shard *s;
    struct st_shard_opts o = {.cache_max_bytes = 64u << 20};
    ck_assert_msg(st_shard_open(d, SHARD, &o, &s, err, sizeof(err)) == ST_OK, "%s", err);
    return s;
}

/* The copy in @d holds exactly what the source holds now. */
static void SAME_AS_SOURCE(const char *d)
{
    st_shard *s = open_copy(d);
    char *want = dump(src), *got = dump(s);
    ck_assert_uint_gt(strlen(want), 10000);
    /* Not ck_assert_str_eq: the texts are too long for Check's message. */
    ck_assert_msg(strcmp(got, want) == 0, "the copy differs from the source (%zu vs %zu bytes)",
                  strlen(got), strlen(want));
    free(want);
    free(got);
    st_shard_close(s);
}

static size_t count_entries(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", d);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    unsigned long n = 0;
    ck_assert_int_eq(fscanf(p, "%lu", &n), 1);
    pclose(p);
    return n;
}

/* ---- Writers running during a snapshot or a copy ------------------------- */

#define WRITERS 2

struct writers {
    st_shard *s;
    pthread_t th[WRITERS + 1];
    atomic_int stop;
    atomic_llong acked[WRITERS]; /* times 0..acked-1 of writer w are acknowledged */
};

struct writer_arg {
    struct writers *ws;
    int w;
};
static struct writer_arg wargs[WRITERS];

static void *writer_main(void *p)
{
    struct writer_arg *a = p;
    struct st_buf lp;
    st_buf_init(&lp);
    struct st_shard_write_result res = {0};
    st_buf_init(&res.errors);
    long long t = 0;
    while (!a->ws->stop) {
        st_buf_reset(&lp);
        for (int i = 0; i < 40; i++, t++)
            st_buf_printf(&lp, "load,w=%d v=%lldi %lld\n", a->w, t, t);
        if (st_shard_write(a->ws->s, lp.p, lp.len, &res) != ST_OK || res.dropped)
            break;
        a->ws->acked[a->w] = t;
    }
    st_buf_fini(&res.errors);
    st_buf_fini(&lp);
    return NULL;
}

/* Flushes and compacts now and then, so that segments come and go. */
static void *flusher_main(void *p)
{
    struct writers *ws = p;
    for (int i = 0; !ws->stop; i++) {
        sleep_ms(3);
        st_shard_flush(ws->s);
        if (i % 4 == 3)
            st_shard_compact(ws->s);
    }
    return NULL;
}

static void writers_start(struct writers *ws, st_shard *s)
{
    memset(ws, 0, sizeof(*ws));
    ws->s = s;
    for (int w = 0; w < WRITERS; w++) {
        wargs[w] = (struct writer_arg){ws, w};
        ck_assert_int_eq(pthread_create(&ws->th[w], NULL, writer_main, &wargs[w]), 0);
    }
    ck_assert_int_eq(pthread_create(&ws->th[WRITERS], NULL, flusher_main, ws), 0);
    while (ws->acked[0] < 400 || ws->acked[WRITERS - 1] < 400)
        sleep_ms(1);
}

static void writers_stop(struct writers *ws)
{
    ws->stop = 1;
    for (int w = 0; w <= WRITERS; w++)
        pthread_join(ws->th[w], NULL);
}

/* Checks that every point of load,w=<w> below @acked[w] is in @s, right. */
struct load_check {
    long long acked[WRITERS];
    long long seen[WRITERS];
    int w;
    int bad;
};

static int l_series(void *arg, struct st_slice key)
{
    struct load_check *lc = arg;
    lc->w = key.p[key.len - 1] - '0';
    return ST_OK;
}

static int l_field(void *arg, struct st_slice field, enum st_field_type type)
{
    (void)arg;
    (void)field;
    (void)type;
    return ST_OK;
}

static int l_value(void *arg, const struct st_point_value *pv)
{
    struct load_check *lc = arg;
    if (lc->w < 0 || lc->w >= WRITERS || pv->v.i != pv->t)
        lc->bad++;
    else if (pv->t < lc->acked[lc->w])
        lc->seen[lc->w]++;
    return ST_OK;
}

static void HAS_ACKED(const char *d, const long long *acked)
{
    st_shard *s = open_copy(d);
    struct load_check lc = {.w = -1};
    memcpy(lc.acked, acked, sizeof(lc.acked));
    struct st_shard_read_cb cb = {l_series, l_field, l_value, &lc};
    struct st_slice m = {"load", 4};
    ck_assert_int_eq(st_shard_read_raw(s, m, NULL, 0, INT64_MIN, INT64_MAX, &cb), ST_OK);
    ck_assert_int_eq(lc.bad, 0);
    for (int w = 0; w < WRITERS; w++)
        ck_assert_int_eq(lc.seen[w], acked[w]);
    st_shard_close(s);
}

/* ---- st_shard_snapshot ----------------------------------------------------- */

START_TEST(test_shard_snapshot_has_everything)
{
    char err[512] = "";
    FILL();
    ck_assert_msg(st_shard_snapshot(src, P("snap"), err, sizeof(err)) == ST_OK, "%s", err);
    ck_assert(!exists(P("snap.part")));
    ck_assert(exists(P("snap/index.log")));
    ck_assert(exists(P("snap/tombstones")));
    ck_assert_uint_ge(count_entries(P("snap/wal")), 1);
    /* Segments are hard links of the shard's files. */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "test $(find %s/snap -name 'seg-*.tsm' -links 2 | wc -l) -eq 2",
             dir);
    ck_assert_int_eq(system(cmd), 0);
    SAME_AS_SOURCE(P("snap"));
    /* The source goes on as before. */
    WRITE(src, 4, 1, 10);
    ck_assert_int_eq(st_shard_flush(src), ST_OK);
    ck_assert_int_eq(st_shard_snapshot_remove(P("snap")), ST_OK);
    ck_assert(!exists(P("snap")));
}
END_TEST

START_TEST(test_shard_snapshot_refuses_an_existing_dir)
{
    char err[512] = "";
    ck_assert_int_eq(mkdir(P("snap"), 0755), 0);
    ck_assert_int_eq(st_shard_snapshot(src, P("snap"), err, sizeof(err)), ST_EEXIST);
    ck_assert_ptr_nonnull(strstr(err, "exists"));
    /* A ".part" left by a crash is replaced. */
    ck_assert_int_eq(mkdir(P("snap2.part"), 0755), 0);
    ck_assert_int_eq(mkdir(P("snap2.part/junk"), 0755), 0);
    WRITE(src, 1, 1, 5);
    ck_assert_msg(st_shard_snapshot(src, P("snap2"), err, sizeof(err)) == ST_OK, "%s", err);
    ck_assert(!exists(P("snap2.part")));
    ck_assert(!exists(P("snap2/junk")));
}
END_TEST

/* Snapshots taken while writers append and segments are flushed and
 * compacted hold every point acknowledged before each snapshot started. */
START_TEST(test_shard_snapshot_during_writes_flushes_compactions)
{
    char err[512] = "", d[256];
    struct st_shard_opts o = {.cache_max_bytes = 32u << 10};
    st_shard *s;
    snprintf(d, sizeof(d), "%s/busy", dir);
    ck_assert_msg(st_shard_open(d, 99, &o, &s, err, sizeof(err)) == ST_OK, "%s", err);
    static struct writers ws;
    writers_start(&ws, s);
    for (int i = 0; i < 12; i++) {
        long long acked[WRITERS];
        for (int w = 0; w < WRITERS; w++)
            acked[w] = ws.acked[w];
        char snap[256];
        snprintf(snap, sizeof(snap), "%s/busy-snap%d", dir, i);
        ck_assert_msg(st_shard_snapshot(s, snap, err, sizeof(err)) == ST_OK, "%s", err);
        /* The WAL was copied at a batch boundary: nothing torn to cut. */
        char wal[300];
        struct st_wal_replay_report rep;
        snprintf(wal, sizeof(wal), "%s/wal", snap);
        ck_assert_msg(st_wal_replay(wal, NULL, NULL, &rep) == ST_OK, "%s", rep.message);
        ck_assert(!rep.tail_truncated);
        ck_assert_uint_gt(rep.records, 0);
        HAS_ACKED(snap, acked);
        st_shard_snapshot_remove(snap);
    }
    writers_stop(&ws);
    struct st_shard_stats st;
    st_shard_stats(s, &st);
    ck_assert_str_eq(st.bg_error, "");
    st_shard_close(s);
}
END_TEST

/* ---- st_copy_handle -------------------------------------------------------- */

/* Calls st_copy_handle() directly; returns the decoded answer (free it
 * with strata__data_response__free_unpacked) and its packed bytes. */
static Strata__DataResponse *HANDLE(uint64_t shard, const void *token, size_t token_len,
                                    uint32_t max_chunk, struct st_buf *packed)
{
    Strata__ShardCopy req = STRATA__SHARD_COPY__INIT;
    req.shard_id = shard;
    req.token.data = (uint8_t *)token;
    req.token.len = token_len;
    req.max_chunk_bytes = max_chunk;
    st_buf_reset(packed);
    ck_assert_int_eq(st_copy_handle(copy, store, &req, packed), ST_OK);
    Strata__DataResponse *d =
        strata__data_response__unpack(NULL, packed->len, (const uint8_t *)packed->p);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->resp_case, STRATA__DATA_RESPONSE__RESP_SHARD_COPY);
    return d;
}

static int code(const Strata__DataResponse *d)
{
    return d->error ? (int)d->error->code : 0;
}

START_TEST(test_copy_handle_resent_token_same_chunk)
{
    FILL();
    struct st_buf a, b, c;
    st_buf_init(&a);
    st_buf_init(&b);
    st_buf_init(&c);
    Strata__DataResponse *first = HANDLE(SHARD, NULL, 0, 1000, &a);
    ck_assert_int_eq(code(first), 0);
    const Strata__ShardCopyResponse *cr = first->shard_copy;
    ck_assert_str_eq(cr->file_name, "index.log"); /* files go by name */
    ck_assert_uint_eq(cr->offset, 0);
    ck_assert(cr->file_done);
    ck_assert(!cr->done);
    ck_assert_uint_gt(cr->total_size, 40000);
    ck_assert_uint_eq(cr->token.len, 32);
    /* Chunk 1, twice; chunk 2 from its token; chunk 1 again. */
    Strata__DataResponse *d1 = HANDLE(SHARD, cr->token.data, cr->token.len, 1000, &b);
    Strata__DataResponse *d2 = HANDLE(SHARD, cr->token.data, cr->token.len, 1000, &c);
    ck_assert_int_eq(code(d1), 0);
    ck_assert_uint_eq(b.len, c.len);
    ck_assert(memcmp(b.p, c.p, b.len) == 0);
    ck_assert_str_eq(d1->shard_copy->file_name, "seg-0000000000000001-00000000.tsm");
    ck_assert_uint_eq(d1->shard_copy->offset, 0);
    ck_assert_uint_eq(d1->shard_copy->data.len, 1000);
    Strata__DataResponse *d3 =
        HANDLE(SHARD, d1->shard_copy->token.data, d1->shard_copy->token.len, 1000, &c);
    ck_assert_uint_eq(d3->shard_copy->offset, 1000);
    Strata__DataResponse *d4 = HANDLE(SHARD, cr->token.data, cr->token.len, 1000, &c);
    ck_assert_uint_eq(b.len, c.len);
    ck_assert(memcmp(b.p, c.p, b.len) == 0);
    /* A new start is a new session. */
    Strata__DataResponse *other = HANDLE(SHARD, NULL, 0, 0, &c);
    ck_assert_int_eq(code(other), 0);
    ck_assert(memcmp(other->shard_copy->token.data, cr->token.data, 16) != 0);
    ck_assert_uint_eq(st_copy_count(copy), 2);
    ck_assert_uint_eq(count_entries(P("snapshots")), 2);
    Strata__DataResponse *all[] = {first, d1, d2, d3, d4, other};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        strata__data_response__free_unpacked(all[i], NULL);
    st_buf_fini(&a);
    st_buf_fini(&b);
    st_buf_fini(&c);
}
END_TEST

START_TEST(test_copy_handle_bad_requests)
{
    WRITE(src, 1, 1, 5);
    struct st_buf b;
    st_buf_init(&b);
    Strata__DataResponse *d = HANDLE(12345, NULL, 0, 0, &b);
    ck_assert_int_eq(code(d), STRATA__ERROR_CODE__NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(d->error->message, "shard 12345"));
    strata__data_response__free_unpacked(d, NULL);

    d = HANDLE(SHARD, "short", 5, 0, &b);
    ck_assert_int_eq(code(d), STRATA__ERROR_CODE__INVALID_ARGUMENT);
    strata__data_response__free_unpacked(d, NULL);

    Strata__DataResponse *start = HANDLE(SHARD, NULL, 0, 10, &b);
    ck_assert_int_eq(code(start), 0);
    uint8_t tok[32];
    memcpy(tok, start->shard_copy->token.data, 32);
    strata__data_response__free_unpacked(start, NULL);
    /* Another shard's id in the request. */
    d = HANDLE(SHARD + 1, tok, 32, 0, &b);
    ck_assert_int_eq(code(d), STRATA__ERROR_CODE__INVALID_ARGUMENT);
    strata__data_response__free_unpacked(d, NULL);
    /* A chunk past the end. */
    uint8_t far[32];
    memcpy(far, tok, 32);
    far[31] = 0x7f;
    d = HANDLE(SHARD, far, 32, 0, &b);
    ck_assert_int_eq(code(d), STRATA__ERROR_CODE__INVALID_ARGUMENT);
    strata__data_response__free_unpacked(d, NULL);
    /* An unknown session. */
    far[0] ^= 0xff;
    far[31] = 0;
    d = HANDLE(SHARD, far, 32, 0, &b);
    ck_assert_int_eq(code(d), STRATA__ERROR_CODE__NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(d->error->message, "start again"));
    strata__data_response__free_unpacked(d, NULL);
    st_buf_fini(&b);
}
END_TEST

START_TEST(test_copy_handle_sessions_expire)
{
    FILL();
    st_copy_set_timeouts(copy, 200, 300);
    struct st_buf b;
    st_buf_init(&b);
    /* Idle: NOT_FOUND, snapshot gone. */
    Strata__DataResponse *d = HANDLE(SHARD, NULL, 0, 0, &b);
    uint8_t tok[32];
    memcpy(tok, d->shard_copy->token.data, 32);
    strata__data_response__free_unpacked(d, NULL);
    ck_assert_uint_eq(count_entries(P("snapshots")), 1);
    sleep_ms(400);
    d = HANDLE(SHARD, tok, 32, 0, &b);
    ck_assert_int_eq(code(d), STRATA__ERROR_CODE__NOT_FOUND);
    strata__data_response__free_unpacked(d, NULL);
    ck_assert_uint_eq(st_copy_count(copy), 0);
    ck_assert_uint_eq(count_entries(P("snapshots")), 0);

    /* Finished: the last chunk can be asked again for a while. */
    d = HANDLE(SHARD, NULL, 0, 0, &b);
    uint64_t chunks = 1, total = d->shard_copy->data.len;
    while (!d->shard_copy->done) {
        memcpy(tok, d->shard_copy->token.data, 32);
        strata__data_response__free_unpacked(d, NULL);
        d = HANDLE(SHARD, tok, 32, 0, &b);
        ck_assert_int_eq(code(d), 0);
        chunks++;
        total += d->shard_copy->data.len;
    }
    ck_assert_uint_eq(total, d->shard_copy->total_size);
    ck_assert_uint_eq(d->shard_copy->token.len, 0);
    ck_assert(d->shard_copy->file_done);
    strata__data_response__free_unpacked(d, NULL);
    ck_assert_uint_ge(chunks, 3); /* index, 2 segments, WAL */
    d = HANDLE(SHARD, tok, 32, 0, &b);
    ck_assert_int_eq(code(d), 0);
    ck_assert(d->shard_copy->done);
    strata__data_response__free_unpacked(d, NULL);
    ck_assert_uint_eq(st_copy_count(copy), 1);
    sleep_ms(500);
    ck_assert_uint_eq(st_copy_count(copy), 0);
    ck_assert_uint_eq(count_entries(P("snapshots")), 0);
    st_buf_fini(&b);
}
END_TEST

START_TEST(test_copy_handle_limits_sessions)
{
    WRITE(src, 1, 1, 5);
    struct st_buf b;
    st_buf_init(&b);
    for (int i = 0; i < ST_COPY_MAX_SESSIONS; i++) {
        Strata__DataResponse *d = HANDLE(SHARD, NULL, 0, 0, &b);
        ck_assert_int_eq(code(d), 0);
        strata__data_response__free_unpacked(d, NULL);
    }
    Strata__DataResponse *d = HANDLE(SHARD, NULL, 0, 0, &b);
    ck_assert_int_eq(code(d), STRATA__ERROR_CODE__UNAVAILABLE);
    strata__data_response__free_unpacked(d, NULL);
    ck_assert_uint_eq(count_entries(P("snapshots")), ST_COPY_MAX_SESSIONS);
    st_buf_fini(&b);
}
END_TEST

/* ---- st_copy_open ------------------------------------------------------------ */

START_TEST(test_copy_open_removes_stale_snapshots)
{
    ck_assert_int_eq(mkdir(P("snapshots/0123"), 0755), 0);
    ck_assert_int_eq(mkdir(P("snapshots/0123/wal"), 0755), 0);
    ck_assert_int_eq(mkdir(P("snapshots/4567.part"), 0755), 0);
    FILE *f = fopen(P("snapshots/0123/wal/00000001.wal"), "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    st_copy_close(copy);
    ck_assert_int_eq(st_copy_open(dir, &copy), ST_OK);
    ck_assert_uint_eq(count_entries(P("snapshots")), 0);
    ck_assert_uint_eq(st_copy_count(copy), 0);
}
END_TEST

/* ---- st_copy_fetch ------------------------------------------------------------ */

static int FETCH(const char *rel, uint32_t max_chunk, int timeout_ms, char *err, size_t errlen)
{
    struct st_copy_fetch_opts o = {.max_chunk_bytes = max_chunk, .call_timeout_ms = timeout_ms};
    char d[256];
    snprintf(d, sizeof(d), "%s/%s", dir, rel);
    return st_copy_fetch_with(cli, SHARD, d, &o, err, errlen);
}

START_TEST(test_copy_fetch_small_chunks)
{
    char err[512] = "";
    FILL();
    ck_assert_msg(FETCH("dst", 1000, 0, err, sizeof(err)) == ST_OK, "%s", err);
    ck_assert_int_gt(calls, 40);
    ck_assert(!exists(P("dst.part")));
    ck_assert(exists(P("dst/index.log")));
    ck_assert(exists(P("dst/tombstones")));
    ck_assert_uint_ge(count_entries(P("dst/wal")), 1);
    SAME_AS_SOURCE(P("dst"));
    /* The session is finished, kept only for a lost last answer. */
    ck_assert_uint_eq(st_copy_count(copy), 1);
}
END_TEST

START_TEST(test_copy_fetch_default_chunks)
{
    char err[512] = "";
    FILL();
    ck_assert_msg(st_copy_fetch(cli, SHARD, P("dst"), err, sizeof(err)) == ST_OK, "%s", err);
    SAME_AS_SOURCE(P("dst"));
}
END_TEST

START_TEST(test_copy_fetch_retries_a_corrupt_chunk)
{
    char err[512] = "";
    FILL();
    corrupt_from = 3;
    corrupt_count = 2; /* two tries fail, the third passes */
    ck_assert_msg(FETCH("dst", 1000, 0, err, sizeof(err)) == ST_OK, "%s", err);
    SAME_AS_SOURCE(P("dst"));
}
END_TEST

START_TEST(test_copy_fetch_detects_a_corrupt_chunk)
{
    char err[512] = "";
    FILL();
    corrupt_from = 3;
    corrupt_count = 1000;
    ck_assert_int_eq(FETCH("dst", 1000, 0, err, sizeof(err)), ST_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "fails its CRC"));
    ck_assert(!exists(P("dst")));
    ck_assert(!exists(P("dst.part")));
}
END_TEST

START_TEST(test_copy_fetch_detects_a_bad_file_crc)
{
    char err[512] = "";
    FILL();
    bad_file_crc = 1;
    ck_assert_int_eq(FETCH("dst", 1000, 0, err, sizeof(err)), ST_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "whole-file CRC"));
    ck_assert(!exists(P("dst")));
    ck_assert(!exists(P("dst.part")));
}
END_TEST

START_TEST(test_copy_fetch_resends_after_a_lost_answer)
{
    char err[512] = "";
    FILL();
    drop_at = 5; /* handled, but the answer never comes: the client resends */
    ck_assert_msg(FETCH("dst", 1000, 500, err, sizeof(err)) == ST_OK, "%s", err);
    SAME_AS_SOURCE(P("dst"));
}
END_TEST

START_TEST(test_copy_fetch_refusals)
{
    char err[512] = "";
    WRITE(src, 1, 1, 5);
    ck_assert_int_eq(mkdir(P("dst"), 0755), 0);
    ck_assert_int_eq(FETCH("dst", 0, 0, err, sizeof(err)), ST_EEXIST);
    struct st_copy_fetch_opts o = {0};
    ck_assert_int_eq(st_copy_fetch_with(cli, 4242, P("other"), &o, err, sizeof(err)), ST_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "shard 4242: not found"));
    ck_assert(!exists(P("other")));
    ck_assert(!exists(P("other.part")));
}
END_TEST

START_TEST(test_copy_fetch_during_writes)
{
    char err[512] = "";
    FILL();
    static struct writers ws;
    writers_start(&ws, src);
    long long acked[WRITERS];
    for (int w = 0; w < WRITERS; w++)
        acked[w] = ws.acked[w];
    int rv = FETCH("dst", 4096, 0, err, sizeof(err));
    writers_stop(&ws);
    ck_assert_msg(rv == ST_OK, "%s", err);
    HAS_ACKED(P("dst"), acked);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("copy");
    struct {
        const char *name;
        const TTest *tests[8];
    } cases[] = {
        {"st_shard_snapshot",
         {test_shard_snapshot_has_everything, test_shard_snapshot_refuses_an_existing_dir,
          test_shard_snapshot_during_writes_flushes_compactions}},
        {"st_copy_handle",
         {test_copy_handle_resent_token_same_chunk, test_copy_handle_bad_requests,
          test_copy_handle_sessions_expire, test_copy_handle_limits_sessions}},
        {"st_copy_open", {test_copy_open_removes_stale_snapshots}},
        {"st_copy_fetch",
         {test_copy_fetch_small_chunks, test_copy_fetch_default_chunks,
          test_copy_fetch_retries_a_corrupt_chunk, test_copy_fetch_detects_a_corrupt_chunk,
          test_copy_fetch_detects_a_bad_file_crc, test_copy_fetch_resends_after_a_lost_answer,
          test_copy_fetch_refusals, test_copy_fetch_during_writes}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        for (size_t k = 0; k < 8 && cases[i].tests[k]; k++)
            tcase_add_test(tc, cases[i].tests[k]);
        suite_add_tcase(s, tc);
    }
    return t_run_suite(s);
}
