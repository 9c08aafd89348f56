/* libFuzzer target: the data node's RPC handler, st_data_service_handle(),
 * fed raw DataRequest bytes against one real store.
 *
 * At start-up the target opens an st_store in a fresh temporary directory
 * and fills shard 1 with a few hundred points of several measurements, tag
 * sets and field types (float, integer, unsigned, string, boolean) in three
 * rounds: two flushed into segment files and one left in the cache, with
 * overlapping times and a deleted range, so that queries merge segments,
 * cache and tombstones. Every input is then handled like a request off the
 * wire, and the answer must decode as a DataResponse whose oneof matches
 * the request when it reports success; anything else aborts.
 *
 * The store lives across inputs (that is how the node runs), so the target
 * keeps the fuzzer from turning it into a disk filler or a slow query
 * farm. Before the handler sees an input, the target decodes it itself and
 *  - skips (returns 0 for) a WriteBatch larger than MAX_WRITE_BYTES or
 *    aimed at a shard outside 1..MAX_SHARD (a write creates its shard), a
 *    CreateShard or DropShard of a shard outside 1..MAX_SHARD (no thousands
 *    of shard directories), and every ShardCopy (it hard-links a snapshot
 *    of the shard and keeps it until an idle timeout);
 *  - clamps a Query to at most MAX_POINTS rows/windows per page, a deadline
 *    of at most MAX_DEADLINE_MS, and an interval giving at most MAX_WINDOWS
 *    windows over [min_ns, max_ns]; and a ShardDigest to at most
 *    MAX_WINDOWS slices;
 *  - then re-packs the request and hands the handler those bytes. Inputs
 *    that do not decode go to the handler as they are (it must answer
 *    PROTOCOL_ERROR).
 * Writes and deletes are accounted; once MAX_MUTATED_BYTES went in, or once
 * shard 1 was dropped or had a delete, the store is closed, removed and
 * rebuilt, so the disk stays bounded and queries keep finding the seeded
 * data. This makes the target stateful: a crash may need the inputs before
 * it (run with -runs over the corpus to reproduce). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.pb-c.h"
#include "err.h"
#include "service.h"
#include "store.h"

#define MAX_SHARD 4
#define MAX_WRITE_BYTES 4096
#define MAX_MUTATED_BYTES (16u << 20)
#define DELETE_COST 4096 /* accounted per delete: a tombstone and a WAL record */
#define MAX_POINTS 10000
#define MAX_DEADLINE_MS 1000
#define MAX_WINDOWS 100000

/* Times of the seeded data: T0 + k * STEP, k in 0..ROUNDS_END. */
#define T0 INT64_C(1600000000000000000)
#define STEP INT64_C(10000000000)

struct fuzz_state {
    char dir[256];    /* the store's directory */
    st_store *st;     /* open store; NULL before the first input */
    st_copy *copy;    /* ShardCopy sessions (the target sends none) */
    uint64_t mutated; /* bytes written or deleted since the store was built */
    bool rebuild;     /* rebuild before the next input */
    struct st_buf req;
    struct st_buf resp;
};

static struct fuzz_state fz;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Handles @req (borrowed) through the service and checks the answer decodes;
 * returns the decoded response (caller frees) or aborts. */
static Strata__DataResponse *call(const uint8_t *req, size_t len)
{
    st_buf_reset(&fz.resp);
    struct st_data_service svc = {.store = fz.st, .copy = fz.copy};
    int rv = st_data_service_handle(&svc, req, len, &fz.resp);
    if (rv != ST_OK) {
        fprintf(stderr, "fuzz_data_service: handler returned %s\n", st_strerror(rv));
        abort();
    }
    Strata__DataResponse *r =
        strata__data_response__unpack(NULL, fz.resp.len, (const uint8_t *)fz.resp.p);
    if (r == NULL) {
        fprintf(stderr, "fuzz_data_service: response of %zu bytes does not decode\n", fz.resp.len);
        abort();
    }
    return r;
}

/* Packs @dr into fz.req; returns false when out of memory. */
static bool pack_request(const Strata__DataRequest *dr)
{
    size_t n = strata__data_request__get_packed_size(dr);
    st_buf_reset(&fz.req);
    if (st_buf_reserve(&fz.req, n) != ST_OK)
        return false;
    fz.req.len = strata__data_request__pack(dr, (uint8_t *)fz.req.p);
    return true;
}

/* Setup requests must succeed: the seeded data is what the corpus expects. */
static void setup_call(const Strata__DataRequest *dr)
{
    if (!pack_request(dr))
        abort();
    Strata__DataResponse *r = call((const uint8_t *)fz.req.p, fz.req.len);
    if (r->error && r->error->code != STRATA__ERROR_CODE__OK) {
        fprintf(stderr, "fuzz_data_service: setup: %s\n", r->error->message);
        abort();
    }
    strata__data_response__free_unpacked(r, NULL);
}

static void setup_write(const struct st_buf *lp)
{
    Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
    wb.shard_id = 1;
    wb.database = "db";
    wb.retention_policy = "autogen";
    wb.points.data = (uint8_t *)lp->p;
    wb.points.len = lp->len;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    dr.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
    dr.write_batch = &wb;
    setup_call(&dr);
}

static void setup_flush(void)
{
    st_shard *s;
    char err[256] = "";
    if (st_store_acquire(fz.st, 1, false, &s, err, sizeof(err)) != ST_OK ||
        st_shard_flush(s) != ST_OK) {
        fprintf(stderr, "fuzz_data_service: flush: %s\n", err);
        abort();
    }
    st_store_release(fz.st, s);
}

/* One round of points at k in [k0, k1): cpu (float, integer, boolean) on
 * six hosts in two regions, one without a rack tag; mem (unsigned, string)
 * on four hosts; disk (integer) on two paths, not in round 1, so that its
 * blocks do not overlap and can be answered from their statistics; and a
 * measurement whose name and tags need escaping. Values depend on the round
 * so that overlapping rounds overwrite each other. */
static void seed_round(struct st_buf *lp, int round, int k0, int k1)
{
    st_buf_reset(lp);
    for (int k = k0; k < k1; k++) {
        int64_t t = T0 + k * STEP;
        for (int h = 0; h < 6; h++) {
            char rack[16] = "";
            if (h != 5)
                snprintf(rack, sizeof(rack), ",rack=%d", h % 3);
            st_buf_printf(lp, "cpu,host=h%d,region=%s%s usage=%d.%d,idle=%di,up=%s %" PRId64 "\n",
                          h, h % 2 ? "eu" : "us", rack, (k * 7 + h) % 100, round,
                          100 - (k + h) % 100, (k + h) % 3 ? "true" : "false", t);
        }
        for (int h = 0; h < 4; h++)
            st_buf_printf(lp, "mem,host=h%d used=%du,note=\"r%d k%d\" %" PRId64 "\n", h,
                          k * 1000 + h, round, k, t);
        for (int p = 0; p < 2 && round != 1; p++)
            st_buf_printf(lp, "disk,host=h0,path=/p%d free=%di %" PRId64 "\n", p,
                          -k * (p + 1) + round, t);
        if (k % 4 == 0)
            st_buf_printf(lp, "net\\ io,if=eth\\=0,note=a\\,b rx=%di,tx=%d.5 %" PRId64 "\n", k, k,
                          t);
    }
}

static void seed(void)
{
    struct st_buf lp;
    st_buf_init(&lp);
    seed_round(&lp, 0, 0, 16);
    setup_write(&lp);
    setup_flush();
    seed_round(&lp, 1, 12, 28);
    setup_write(&lp);
    setup_flush();
    seed_round(&lp, 2, 26, 38);
    setup_write(&lp);
    st_buf_fini(&lp);

    /* A tombstone over a range that spans both segments and the cache. */
    uint64_t shard1 = 1;
    Strata__TagCompare c = STRATA__TAG_COMPARE__INIT;
    c.key = "host";
    c.op = STRATA__COMPARE_OP__EQ;
    c.value = "h4";
    Strata__TagExpr e = STRATA__TAG_EXPR__INIT;
    e.expr_case = STRATA__TAG_EXPR__EXPR_COMPARE;
    e.compare = &c;
    Strata__DeleteRange del = STRATA__DELETE_RANGE__INIT;
    del.n_shard_ids = 1;
    del.shard_ids = &shard1;
    del.database = "db";
    del.source_case = STRATA__DELETE_RANGE__SOURCE_MEASUREMENT;
    del.measurement = "cpu";
    del.condition = &e;
    del.min_ns = T0 + 10 * STEP;
    del.max_ns = T0 + 30 * STEP;
    Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
    dr.req_case = STRATA__DATA_REQUEST__REQ_DELETE_RANGE;
    dr.delete_range = &del;
    setup_call(&dr);
}

static void store_close(void)
{
    st_copy_close(fz.copy);
    fz.copy = NULL;
    st_store_close(fz.st);
    fz.st = NULL;
    nftw(fz.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* (Re)creates the directory and the store, and seeds shard 1. */
static void store_build(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fz.dir, sizeof(fz.dir), "%s/st-fuzz-service-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(fz.dir) == NULL) {
        perror("fuzz_data_service: mkdtemp");
        abort();
    }
    /* A small cache: fuzzed writes reach background flushes and compaction.
     * Syncs are batched: durability is not what this target checks. */
    struct st_shard_opts o = {.cache_max_bytes = 256u << 10, .sync_interval_ms = 1000};
    char err[512] = "";
    if (st_store_open(fz.dir, &o, &fz.st, err, sizeof(err)) != ST_OK ||
        st_copy_open(fz.dir, &fz.copy) != ST_OK) {
        fprintf(stderr, "fuzz_data_service: store open: %s\n", err);
        abort();
    }
    seed();
    fz.mutated = 0;
    fz.rebuild = false;
}

static void at_exit(void)
{
    if (fz.st)
        store_close();
    st_buf_fini(&fz.req);
    st_buf_fini(&fz.resp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    st_buf_init(&fz.req);
    st_buf_init(&fz.resp);
    store_build();
    atexit(at_exit);
    return 0;
}

static bool shard_ok(uint64_t id)
{
    return id >= 1 && id <= MAX_SHARD;
}

static bool names_shard1(const uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == 1)
            return true;
    return false;
}

/* |hi - lo| / @n rounded up, as a width giving at most @n windows. */
static int64_t min_width(int64_t lo, int64_t hi, int64_t n)
{
    if (hi <= lo)
        return 0;
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    return (int64_t)(span / (uint64_t)n + 1);
}

static void clamp_query(Strata__Query *q)
{
    if (q->max_points == 0 || q->max_points > MAX_POINTS)
        q->max_points = MAX_POINTS;
    if (q->deadline_ms == 0 || q->deadline_ms > MAX_DEADLINE_MS)
        q->deadline_ms = MAX_DEADLINE_MS;
    int64_t w = min_width(q->min_ns, q->max_ns, MAX_WINDOWS);
    /* A wider interval keeps a valid offset valid (0 <= offset < interval). */
    if (q->interval_ns > 0 && q->interval_ns < w)
        q->interval_ns = w;
}

/* Applies the limits of the essay at the top; false = skip the input. */
static bool admit(Strata__DataRequest *dr)
{
    switch (dr->req_case) {
    case STRATA__DATA_REQUEST__REQ_WRITE_BATCH:
        if (dr->write_batch->points.len > MAX_WRITE_BYTES || !shard_ok(dr->write_batch->shard_id))
            return false;
        fz.mutated += dr->write_batch->points.len;
        return true;
    case STRATA__DATA_REQUEST__REQ_CREATE_SHARD:
        return shard_ok(dr->create_shard->shard_id);
    case STRATA__DATA_REQUEST__REQ_DROP_SHARD:
        if (!shard_ok(dr->drop_shard->shard_id))
            return false;
        fz.rebuild |= dr->drop_shard->shard_id == 1;
        return true;
    case STRATA__DATA_REQUEST__REQ_SHARD_COPY:
        return false;
    case STRATA__DATA_REQUEST__REQ_DELETE_SERIES:
        fz.mutated += DELETE_COST;
        fz.rebuild |= names_shard1(dr->delete_series->shard_ids, dr->delete_series->n_shard_ids);
        return true;
    case STRATA__DATA_REQUEST__REQ_DELETE_RANGE:
        fz.mutated += DELETE_COST;
        fz.rebuild |= names_shard1(dr->delete_range->shard_ids, dr->delete_range->n_shard_ids);
        return true;
    case STRATA__DATA_REQUEST__REQ_QUERY:
        clamp_query(dr->query);
        return true;
    case STRATA__DATA_REQUEST__REQ_SHARD_DIGEST: {
        Strata__ShardDigest *d = dr->shard_digest;
        if (d->time_range && d->slice_ns > 0) {
            int64_t w = min_width(d->time_range->min_ns, d->time_range->max_ns, MAX_WINDOWS);
            if (d->slice_ns < w)
                d->slice_ns = w;
        }
        return true;
    }
    default:
        return true;
    }
}

/* The response member that answers request member @req_case. */
static Strata__DataResponse__RespCase resp_case_of(Strata__DataRequest__ReqCase req_case)
{
    switch (req_case) {
    case STRATA__DATA_REQUEST__REQ_WRITE_BATCH:
        return STRATA__DATA_RESPONSE__RESP_WRITE_BATCH;
    case STRATA__DATA_REQUEST__REQ_QUERY:
        return STRATA__DATA_RESPONSE__RESP_QUERY;
    case STRATA__DATA_REQUEST__REQ_SCHEMA_QUERY:
        return STRATA__DATA_RESPONSE__RESP_SCHEMA_QUERY;
    case STRATA__DATA_REQUEST__REQ_SHARD_COPY:
        return STRATA__DATA_RESPONSE__RESP_SHARD_COPY;
    case STRATA__DATA_REQUEST__REQ_SHARD_DIGEST:
        return STRATA__DATA_RESPONSE__RESP_SHARD_DIGEST;
    case STRATA__DATA_REQUEST__REQ_CREATE_SHARD:
        return STRATA__DATA_RESPONSE__RESP_CREATE_SHARD;
    case STRATA__DATA_REQUEST__REQ_DROP_SHARD:
        return STRATA__DATA_RESPONSE__RESP_DROP_SHARD;
    case STRATA__DATA_REQUEST__REQ_DELETE_SERIES:
        return STRATA__DATA_RESPONSE__RESP_DELETE_SERIES;
    case STRATA__DATA_REQUEST__REQ_DELETE_RANGE:
        return STRATA__DATA_RESPONSE__RESP_DELETE_RANGE;
    case STRATA__DATA_REQUEST__REQ_PING:
        return STRATA__DATA_RESPONSE__RESP_PING;
    default:
        return STRATA__DATA_RESPONSE__RESP__NOT_SET;
    }
}

/* A success (no error, OK or PARTIAL_WRITE) answers with the member matching
 * the request (proto/data.proto, DataResponse). */
static void check_answer(const Strata__DataRequest *dr, const Strata__DataResponse *r)
{
    Strata__ErrorCode code = r->error ? r->error->code : STRATA__ERROR_CODE__OK;
    if (code != STRATA__ERROR_CODE__OK && code != STRATA__ERROR_CODE__PARTIAL_WRITE)
        return;
    if (r->resp_case != resp_case_of(dr->req_case)) {
        fprintf(stderr, "fuzz_data_service: request %d answered with member %d, code %d\n",
                (int)dr->req_case, (int)r->resp_case, (int)code);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fz.rebuild || fz.mutated > MAX_MUTATED_BYTES) {
        store_close();
        store_build();
    }
    Strata__DataRequest *dr = strata__data_request__unpack(NULL, size, data);
    if (dr == NULL) {
        Strata__DataResponse *r = call(data, size);
        if (r->error == NULL || r->error->code != STRATA__ERROR_CODE__PROTOCOL_ERROR)
            abort();
        strata__data_response__free_unpacked(r, NULL);
        return 0;
    }
    if (admit(dr) && pack_request(dr)) {
        Strata__DataResponse *r = call((const uint8_t *)fz.req.p, fz.req.len);
        check_answer(dr, r);
        strata__data_response__free_unpacked(r, NULL);
    }
    strata__data_request__free_unpacked(dr, NULL);
    return 0;
}
