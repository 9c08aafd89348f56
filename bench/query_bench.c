/* Query benchmark: TSBS cpu-only query types against strata with 1 and 3
 * data nodes, InfluxDB 1.x and VictoriaMetrics, on the same data.
 *
 *   query_bench --strata BUILD_DIR [--hosts 100] [--queries 50] [--warmup 5]
 *               [--check 10] [--seed 42] [--settle 5]
 *               [--only strata1|strata3|influxdb|vm[,...]] [--types T1,T2,...]
 *               [--vm-cache]
 *
 * For each target in turn: start it on free loopback ports in a fresh
 * temporary directory (1 meta + N data nodes + 1 router for strata, RF 1),
 * CREATE DATABASE bench, load the TSBS cpu-only data set (--hosts hosts x 1
 * day at 10 s, as router_bench), wait --settle seconds, then run every
 * query type: --warmup queries, then --queries timed ones, one after the
 * other over one keep-alive connection. Hosts and time windows come from a
 * seeded RNG, so every target answers the same sequence. The InfluxQL is
 * TSBS's ("influx" target, cmd/tsbs_generate_queries/databases/influx), the
 * PromQL TSBS's "victoriametrics" target; types TSBS has no PromQL for are
 * n/a there. VictoriaMetrics gets nocache=1 unless --vm-cache, so that it
 * does not answer from its rollup result cache (strata has none).
 *
 * Answers are checked: an error (HTTP status or an "error" in the JSON)
 * marks the type "not supported" on that target; empty answers are
 * counted; the first --check answers of each type from strata are compared
 * with InfluxDB's, value by value (numbers with a relative tolerance of
 * 1e-9). Not a test: the numbers go to docs/bench-query.md. */
#define _DEFAULT_SOURCE /* strdup */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "err.h"

enum { TGT_STRATA1, TGT_STRATA3, TGT_INFLUXDB, TGT_VM, NTARGETS };
static const char *const tgt_names[NTARGETS] = {"strata1", "strata3", "influxdb", "vm"};

enum { Q_SG111, Q_SG5112, Q_MAXALL8, Q_DG1, Q_HIGHCPU1, Q_LASTPOINT, Q_GOL, Q_GOL_DESC, NTYPES };
static const char *const type_names[NTYPES] = {"single-groupby-1-1-1",
                                               "single-groupby-5-1-12",
                                               "cpu-max-all-8",
                                               "double-groupby-1",
                                               "high-cpu-1",
                                               "lastpoint",
                                               "groupby-orderby-limit",
                                               "groupby-orderby-limit-desc"};

static const char *const metrics[] = {
    "usage_user", "usage_system",  "usage_idle",  "usage_nice",  "usage_iowait",
    "usage_irq",  "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};

#define DATA_START 1451606400LL /* 2016-01-01T00:00:00Z, st_tsbs's first timestamp */

/* One generated query: the /query path for InfluxQL targets, the
 * /api/v1/query_range path for VictoriaMetrics (NULL: no equivalent). */
struct query {
    char *iql;  /* the InfluxQL, for the report */
    char *path; /* /query?db=bench&q=... */
    char *prom; /* /api/v1/query_range?..., or NULL */
};

/* Per target and type: latencies and what the answers looked like. */
struct stats {
    double *lat;      /* seconds, one per timed query */
    int n;            /* timed queries run */
    int empty;        /* answers without series */
    bool ran;         /* the type was run on this target */
    bool unsupported; /* an answer was an error */
    char err[256];    /* the first error */
    char **sample;    /* bodies of the first --check answers (strata, InfluxDB) */
};

struct bench {
    int hosts, nq, warmup, check, settle;
    uint64_t seed;
    bool vm_cache;
    int64_t data_end;        /* seconds: end of the data set */
    struct query *q[NTYPES]; /* warmup + nq queries per type */
    struct stats st[NTARGETS][NTYPES];
    bool want_type[NTYPES];
};

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random window of @len seconds inside the data set, as TSBS's
 * MustRandWindow (start uniform, truncated to seconds by RFC3339). */
static int64_t rand_start(uint64_t *s, const struct bench *b, int64_t len)
{
    int64_t span = b->data_end - DATA_START - len;
    return DATA_START + (span > 0 ? (int64_t)(rng_next(s) % (uint64_t)span) : 0);
}

static void rfc3339(char *out, size_t n, int64_t secs)
{
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* @k distinct random hosts into @h. */
static void rand_hosts(uint64_t *s, int hosts, int k, int *h)
{
    for (int i = 0; i < k; i++) {
        bool dup;
        do {
            h[i] = (int)(rng_next(s) % (uint64_t)hosts);
            dup = false;
            for (int j = 0; j < i; j++)
                dup |= h[j] == h[i];
        } while (dup);
    }
}

/* TSBS's host condition: (hostname = 'host_1' or hostname = 'host_2'). */
static int iql_hosts(struct st_buf *q, const int *h, int k)
{
    int rv = st_buf_putc(q, '(');
    for (int i = 0; rv == ST_OK && i < k; i++)
        rv = st_buf_printf(q, "%shostname = 'host_%d'", i ? " or " : "", h[i]);
    return rv == ST_OK ? st_buf_putc(q, ')') : rv;
}

/* TSBS's VictoriaMetrics selector: cpu_m{hostname='h'} for one metric,
 * {__name__=~'cpu_(m1|m2)', hostname=~'h1|h2'} for several. */
static int prom_select(struct st_buf *p, int nmetrics, const int *h, int k)
{
    int rv = ST_OK;
    if (nmetrics == 1) {
        rv = st_buf_printf(p, "cpu_%s{", metrics[0]);
    } else {
        rv = st_buf_puts(p, "{__name__=~'cpu_(");
        for (int i = 0; rv == ST_OK && i < nmetrics; i++)
            rv = st_buf_printf(p, "%s%s", i ? "|" : "", metrics[i]);
        if (rv == ST_OK)
            rv = st_buf_printf(p, ")'%s", k ? ", " : "");
    }
    if (rv == ST_OK && k == 1)
        rv = st_buf_printf(p, "hostname='host_%d'", h[0]);
    for (int i = 0; rv == ST_OK && k > 1 && i < k; i++)
        rv = st_buf_printf(p, "%shost_%d%s", i ? "|" : "hostname=~'", h[i], i == k - 1 ? "'" : "");
    return rv == ST_OK ? st_buf_putc(p, '}') : rv;
}

/* Generates query @type into @out. ST_OK or ST_ENOMEM. */
static int make_query(struct bench *b, uint64_t *s, int type, struct query *out)
{
    struct st_buf q, p, u;
    char t0[32], t1[32];
    int h[8], nm = 1, nh = 0, rv = ST_OK;
    int64_t len = 3600, start = 0, step = 60;
    const char *agg = "max";
    st_buf_init(&q);
    st_buf_init(&p);
    st_buf_init(&u);
    switch (type) {
    case Q_SG111:
    case Q_SG5112:
    case Q_MAXALL8:
        nm = type == Q_SG111 ? 1 : type == Q_SG5112 ? 5 : 10;
        nh = type == Q_MAXALL8 ? 8 : 1;
        len = type == Q_SG111 ? 3600 : type == Q_SG5112 ? 12 * 3600 : 8 * 3600;
        if (nh > b->hosts)
            nh = b->hosts;
        start = rand_start(s, b, len);
        rand_hosts(s, b->hosts, nh, h);
        rfc3339(t0, sizeof(t0), start);
        rfc3339(t1, sizeof(t1), start + len);
        rv = st_buf_puts(&q, "SELECT ");
        for (int i = 0; rv == ST_OK && i < nm; i++)
            rv = st_buf_printf(&q, "%smax(%s)", i ? (type == Q_MAXALL8 ? "," : ", ") : "",
                               metrics[i]);
        if (rv == ST_OK)
            rv = st_buf_puts(&q, " from cpu where ");
        if (rv == ST_OK)
            rv = iql_hosts(&q, h, nh);
        if (rv == ST_OK)
            rv = st_buf_printf(&q, " and time >= '%s' and time < '%s' group by time(1m)", t0, t1);
        step = type == Q_MAXALL8 ? 3600 : 60;
        break;
    case Q_DG1:
        len = 12 * 3600;
        start = rand_start(s, b, len);
        rfc3339(t0, sizeof(t0), start);
        rfc3339(t1, sizeof(t1), start + len);
        rv = st_buf_printf(&q,
                           "SELECT mean(usage_user) from cpu where time >= '%s' and time < '%s' "
                           "group by time(1h),hostname",
                           t0, t1);
        agg = "avg";
        step = 3600;
        break;
    case Q_HIGHCPU1:
        len = 12 * 3600;
        start = rand_start(s, b, len);
        rand_hosts(s, b->hosts, 1, h);
        rfc3339(t0, sizeof(t0), start);
        rfc3339(t1, sizeof(t1), start + len);
        rv = st_buf_printf(&q,
                           "SELECT * from cpu where usage_user > 90.0 and (hostname = 'host_%d') "
                           "and time >= '%s' and time < '%s'",
                           h[0], t0, t1);
        break;
    case Q_LASTPOINT:
        rv = st_buf_puts(&q, "SELECT * from cpu group by \"hostname\" order by time desc limit 1");
        break;
    case Q_GOL:
    case Q_GOL_DESC:
        start = rand_start(s, b, 3600);
        rfc3339(t1, sizeof(t1), start + 3600);
        rv = st_buf_printf(&q,
                           "SELECT max(usage_user) from cpu WHERE time < '%s' group by time(1m)%s",
                           t1, type == Q_GOL ? " limit 5" : " ORDER BY time DESC LIMIT 5");
        break;
    }
    if (rv == ST_OK)
        rv = st_buf_puts(&u, "/query?db=bench&q=");
    if (rv == ST_OK)
        rv = st_bench_urlencode(&u, q.p);
    out->iql = rv == ST_OK ? strdup(q.p) : NULL;
    out->path = rv == ST_OK ? strdup(u.p) : NULL;
    out->prom = NULL;
    if (rv == ST_OK && type <= Q_DG1) {
        /* max(max_over_time(SEL[1m])) by (__name__), TSBS's GroupByTime. */
        st_buf_reset(&u);
        rv = st_buf_printf(&p, "%s(%s_over_time(", agg, agg);
        if (rv == ST_OK)
            rv = prom_select(&p, nm, h, nh);
        if (rv == ST_OK)
            rv = st_buf_printf(&p, "[%s])) by (__name__%s)", step == 60 ? "1m" : "1h",
                               type == Q_DG1 ? ", hostname" : "");
        if (rv == ST_OK)
            rv = st_buf_puts(&u, "/api/v1/query_range?query=");
        if (rv == ST_OK)
            rv = st_bench_urlencode(&u, p.p);
        if (rv == ST_OK)
            rv = st_buf_printf(&u, "&start=%" PRId64 "&end=%" PRId64 "&step=%" PRId64 "%s", start,
                               start + len, step, b->vm_cache ? "" : "&nocache=1");
        out->prom = rv == ST_OK ? strdup(u.p) : NULL;
        if (out->prom == NULL)
            rv = ST_ENOMEM;
    }
    if (out->iql == NULL || out->path == NULL)
        rv = ST_ENOMEM;
    st_buf_fini(&q);
    st_buf_fini(&p);
    st_buf_fini(&u);
    return rv;
}

/* ---- answers ---- */

static bool is_error(int status, const char *body, int target)
{
    if (status != 200)
        return true;
    if (target == TGT_VM)
        return strstr(body, "\"status\":\"success\"") == NULL;
    return strstr(body, "\"error\"") != NULL;
}

static bool is_empty(const char *body, int target)
{
    if (target == TGT_VM)
        return strstr(body, "\"result\":[]") != NULL;
    return strstr(body, "\"series\"") == NULL;
}

static bool num_equal(double a, double b)
{
    if (a == b)
        return true;
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= 1e-9 * m;
}

/* Compares two JSON values; on a difference writes where to @why. */
static bool json_same(json_t *a, json_t *b, char *why, size_t n, const char *path)
{
    char sub[512];
    if (json_is_number(a) && json_is_number(b)) {
        if (num_equal(json_number_value(a), json_number_value(b)))
            return true;
        snprintf(why, n, "%s: %.17g vs %.17g", path, json_number_value(a), json_number_value(b));
        return false;
    }
    if (json_typeof(a) != json_typeof(b)) {
        snprintf(why, n, "%s: JSON types differ", path);
        return false;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) {
            snprintf(why, n, "%s: %zu vs %zu elements", path, json_array_size(a),
                     json_array_size(b));
            return false;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (!json_same(json_array_get(a, i), json_array_get(b, i), why, n, sub))
                return false;
        }
        return true;
    }
    if (json_is_object(a)) {
        const char *key;
        json_t *v;
        json_object_foreach(a, key, v)
        {
            snprintf(sub, sizeof(sub), "%s.%s", path, key);
            json_t *w = json_object_get(b, key);
            if (w == NULL) {
                snprintf(why, n, "%s: only in strata", sub);
                return false;
            }
            if (!json_same(v, w, why, n, sub))
                return false;
        }
        json_object_foreach(b, key, v)
        {
            if (json_object_get(a, key) == NULL) {
                snprintf(why, n, "%s.%s: only in InfluxDB", path, key);
                return false;
            }
        }
        return true;
    }
    if (json_is_string(a) && strcmp(json_string_value(a), json_string_value(b)) != 0) {
        snprintf(why, n, "%s: \"%.60s\" vs \"%.60s\"", path, json_string_value(a),
                 json_string_value(b));
        return false;
    }
    return true; /* null, true, false of equal type */
}

/* ---- running one target ---- */

static void run_type(struct bench *b, struct st_bench_conn *c, int target, int type)
{
    struct stats *st = &b->st[target][type];
    st->ran = true;
    for (int i = 0; i < b->warmup + b->nq; i++) {
        struct query *q = &b->q[type][i];
        const char *path = target == TGT_VM ? q->prom : q->path;
        double t0 = st_bench_now_s();
        int status = st_bench_request(c, "GET", path, NULL, 0);
        double dt = st_bench_now_s() - t0;
        if (status < 0) { /* the server closed the connection: reopen, retry once */
            close(c->fd);
            c->fd = -1;
            if (st_bench_conn_open(c, c->port)) {
                t0 = st_bench_now_s();
                status = st_bench_request(c, "GET", path, NULL, 0);
                dt = st_bench_now_s() - t0;
            }
        }
        const char *body = status >= 0 && c->body.p ? c->body.p : "";
        if (is_error(status, body, target)) {
            st->unsupported = true;
            snprintf(st->err, sizeof(st->err), "HTTP %d: %.200s", status, body);
            return;
        }
        if (i < b->warmup)
            continue;
        int k = i - b->warmup;
        st->lat[st->n++] = dt;
        st->empty += is_empty(body, target);
        if (target != TGT_VM && k < b->check)
            st->sample[k] = strdup(body);
    }
}

static bool start_target(struct st_bench_target *t, int target, const char *build)
{
    char err[512] = "";
    bool ok = target == TGT_STRATA1    ? st_bench_start_strata(t, build, 1, NULL)
              : target == TGT_STRATA3  ? st_bench_start_strata(t, build, 3, NULL)
              : target == TGT_INFLUXDB ? st_bench_start_influxdb(t)
                                       : st_bench_start_vm(t);
    if (ok && target != TGT_VM) {
        int st = st_bench_one_request(t->port, "POST", "/query?q=CREATE+DATABASE+bench", NULL, err,
                                      sizeof(err));
        ok = st == 200;
        if (!ok)
            fprintf(stderr, "query_bench: %s: CREATE DATABASE: %d %s\n", t->name, st, err);
    }
    return ok;
}

static void run_target(struct bench *b, int target, const char *build,
                       const struct st_bench_data *d)
{
    struct st_bench_target t = {.name = tgt_names[target]};
    if (!st_bench_make_dir(&t, "/tmp/query_bench.XXXXXX"))
        return;
    if (!start_target(&t, target, build)) {
        fprintf(stderr, "query_bench: %s did not start (logs in %s)\n", t.name, t.dir);
        st_bench_stop(&t);
        return;
    }
    printf("%s: pids", t.name);
    for (int i = 0; i < t.npids; i++)
        printf(" %d", (int)t.pids[i]);
    double t0 = st_bench_now_s();
    long failed = st_bench_load(d, t.port, 5000, 4);
    printf("; loaded %ld lines in %.1f s (%ld failed requests)\n", d->nlines, st_bench_now_s() - t0,
           failed);
    fflush(stdout);
    if (target == TGT_VM)
        st_bench_one_request(t.port, "GET", "/internal/force_flush", NULL, NULL, 0);
    st_bench_sleep_ms(1000L * b->settle);
    struct st_bench_conn c = {.fd = -1};
    if (!st_bench_conn_open(&c, t.port)) {
        fprintf(stderr, "query_bench: %s: cannot connect\n", t.name);
        st_bench_stop(&t);
        return;
    }
    for (int type = 0; type < NTYPES; type++) {
        if (!b->want_type[type] || (target == TGT_VM && b->q[type][0].prom == NULL))
            continue;
        run_type(b, &c, target, type);
        struct stats *st = &b->st[target][type];
        printf("  %-27s %s\n", type_names[type], st->unsupported ? st->err : "ok");
        fflush(stdout);
    }
    st_bench_conn_close(&c);
    st_bench_stop(&t);
}

/* ---- the report ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median and p90 in ms; false when there is nothing to report. */
static bool quantiles(struct stats *st, double *med, double *p90)
{
    if (!st->ran || st->unsupported || st->n == 0)
        return false;
    qsort(st->lat, (size_t)st->n, sizeof(double), cmp_double);
    *med =
        1e3 * (st->n % 2 ? st->lat[st->n / 2] : (st->lat[st->n / 2 - 1] + st->lat[st->n / 2]) / 2);
    *p90 = 1e3 * st->lat[(int)((st->n - 1) * 0.9 + 0.5)];
    return true;
}

static void cell(struct stats *st, double *med)
{
    double p90;
    if (quantiles(st, med, &p90))
        printf(" %.2f / %.2f |", *med, p90);
    else if (st->unsupported)
        printf(" not supported |");
    else if (!st->ran)
        printf(" n/a |");
    else
        printf(" - |");
}

static void ratio(double a, double b)
{
    if (a > 0 && b > 0)
        printf(" %.2f |", a / b);
    else
        printf(" - |");
}

/* Compares the strata samples of @type with InfluxDB's; prints a line. */
static void check_type(struct bench *b, int target, int type, int *same, int *diff)
{
    struct stats *s = &b->st[target][type], *r = &b->st[TGT_INFLUXDB][type];
    int n = s->n < r->n ? s->n : r->n;
    if (n > b->check)
        n = b->check;
    for (int i = 0; i < n; i++) {
        json_error_t e;
        json_t *a = s->sample[i] ? json_loads(s->sample[i], 0, &e) : NULL;
        json_t *x = r->sample[i] ? json_loads(r->sample[i], 0, &e) : NULL;
        char why[600] = "unparsable JSON";
        if (a && x && json_same(a, x, why, sizeof(why), "$")) {
            (*same)++;
        } else {
            if (*diff == 0)
                printf("  mismatch %s %s #%d: %s\n    query: %s\n", tgt_names[target],
                       type_names[type], i, why, b->q[type][b->warmup + i].iql);
            (*diff)++;
        }
        json_decref(a);
        json_decref(x);
    }
}

static void report(struct bench *b)
{
    printf("\nmedian / p90 latency in ms, %d queries per type after %d warm-up queries\n\n", b->nq,
           b->warmup);
    printf("| type | strata 1 node | strata 3 nodes | InfluxDB | VictoriaMetrics | "
           "strata/InfluxDB | strata/VM | 3 nodes/1 node | target (<= 0.5x InfluxDB, <= 1x VM) "
           "|\n|---|---|---|---|---|---|---|---|---|\n");
    for (int type = 0; type < NTYPES; type++) {
        if (!b->want_type[type])
            continue;
        double m[NTARGETS] = {0};
        printf("| %s |", type_names[type]);
        for (int t = 0; t < NTARGETS; t++)
            cell(&b->st[t][type], &m[t]);
        ratio(m[TGT_STRATA1], m[TGT_INFLUXDB]);
        ratio(m[TGT_STRATA1], m[TGT_VM]);
        ratio(m[TGT_STRATA3], m[TGT_STRATA1]);
        if (m[TGT_STRATA1] <= 0 || m[TGT_INFLUXDB] <= 0)
            printf(" - |\n");
        else
            printf(" %s |\n", m[TGT_STRATA1] <= 0.5 * m[TGT_INFLUXDB] &&
                                      (m[TGT_VM] <= 0 || m[TGT_STRATA1] <= m[TGT_VM])
                                  ? "met"
                                  : "**not met**");
    }
    printf("\nanswers (strata vs InfluxDB, first %d of each type; empty = answers without "
           "series)\n",
           b->check);
    for (int type = 0; type < NTYPES; type++) {
        if (!b->want_type[type])
            continue;
        struct stats *vm = &b->st[TGT_VM][type];
        if (vm->ran)
            printf("  %-27s vm: %s; empty %d/%d\n", type_names[type],
                   vm->unsupported ? vm->err : "ok", vm->empty, vm->n);
        for (int t = TGT_STRATA1; t <= TGT_STRATA3; t++) {
            struct stats *s = &b->st[t][type];
            if (!s->ran)
                continue;
            if (s->unsupported) {
                printf("  %-27s %s: not supported yet: %s\n", type_names[type], tgt_names[t],
                       s->err);
                continue;
            }
            int same = 0, diff = 0;
            if (b->st[TGT_INFLUXDB][type].ran && !b->st[TGT_INFLUXDB][type].unsupported)
                check_type(b, t, type, &same, &diff);
            printf("  %-27s %s: %d equal, %d different; empty %d/%d (InfluxDB %d/%d)\n",
                   type_names[type], tgt_names[t], same, diff, s->empty, s->n,
                   b->st[TGT_INFLUXDB][type].empty, b->st[TGT_INFLUXDB][type].n);
        }
    }
}

static bool parse_list(const char *arg, const char *const *names, int n, bool *want)
{
    char *copy = strdup(arg), *save = NULL;
    bool ok = copy != NULL;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        int i = 0;
        while (i < n && strcmp(tok, names[i]) != 0)
            i++;
        if (i == n) {
            fprintf(stderr, "query_bench: unknown name %s\n", tok);
            ok = false;
        } else {
            want[i] = true;
        }
    }
    free(copy);
    return ok;
}

int main(int argc, char **argv)
{
    static struct bench b = {
        .hosts = 100, .nq = 50, .warmup = 5, .check = 10, .seed = 42, .settle = 5};
    const char *build = NULL, *only = NULL, *types = NULL;
    bool want_tgt[NTARGETS] = {0}, bad = false;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--vm-cache") == 0) {
            b.vm_cache = true;
            continue;
        }
        if (v == NULL) {
            bad = true;
            break;
        }
        if (strcmp(argv[i], "--strata") == 0)
            build = v;
        else if (strcmp(argv[i], "--hosts") == 0)
            b.hosts = atoi(v);
        else if (strcmp(argv[i], "--queries") == 0)
            b.nq = atoi(v);
        else if (strcmp(argv[i], "--warmup") == 0)
            b.warmup = atoi(v);
        else if (strcmp(argv[i], "--check") == 0)
            b.check = atoi(v);
        else if (strcmp(argv[i], "--seed") == 0)
            b.seed = strtoull(v, NULL, 10);
        else if (strcmp(argv[i], "--settle") == 0)
            b.settle = atoi(v);
        else if (strcmp(argv[i], "--only") == 0)
            only = v;
        else if (strcmp(argv[i], "--types") == 0)
            types = v;
        else
            bad = true;
        i++;
    }
    for (int t = 0; t < NTYPES; t++)
        b.want_type[t] = types == NULL;
    for (int t = 0; t < NTARGETS; t++)
        want_tgt[t] = only == NULL;
    if (only && !parse_list(only, tgt_names, NTARGETS, want_tgt))
        bad = true;
    if (types && !parse_list(types, type_names, NTYPES, b.want_type))
        bad = true;
    if (bad || build == NULL || b.hosts <= 0 || b.nq <= 0 || b.warmup < 0 || b.check < 0 ||
        b.settle < 0) {
        fprintf(stderr, "usage: query_bench --strata BUILD_DIR [--hosts 100] [--queries 50] "
                        "[--warmup 5] [--check 10] [--seed 42] [--settle 5] "
                        "[--only strata1,strata3,influxdb,vm] [--types T1,T2] [--vm-cache]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct st_bench_data d;
    long nlines = (long)b.hosts * 8640; /* 1 day at 10 s */
    if (st_bench_data_init(&d, b.hosts, nlines) != ST_OK)
        return 1;
    b.data_end = DATA_START + 86400;
    uint64_t rng = b.seed ? b.seed : 1;
    int per = b.warmup + b.nq;
    for (int type = 0; type < NTYPES; type++) {
        b.q[type] = calloc((size_t)per, sizeof(struct query));
        if (b.q[type] == NULL)
            return 1;
        for (int i = 0; i < per; i++)
            if (make_query(&b, &rng, type, &b.q[type][i]) != ST_OK)
                return 1;
        for (int t = 0; t < NTARGETS; t++) {
            b.st[t][type].lat = calloc((size_t)b.nq, sizeof(double));
            b.st[t][type].sample = calloc((size_t)b.check + 1, sizeof(char *));
            if (b.st[t][type].lat == NULL || b.st[t][type].sample == NULL)
                return 1;
        }
    }
    printf("query_bench: %d hosts x 1 day at 10 s (%ld lines), %d queries per type, seed %" PRIu64
           "\n",
           b.hosts, nlines, b.nq, b.seed);
    for (int type = 0; type < NTYPES; type++)
        if (b.want_type[type])
            printf("  %-27s %s\n  %-27s %s\n", type_names[type], b.q[type][0].iql, "",
                   b.q[type][0].prom ? b.q[type][0].prom : "(no PromQL equivalent)");
    fflush(stdout);
    for (int t = 0; t < NTARGETS; t++)
        if (want_tgt[t])
            run_target(&b, t, build, &d);
    report(&b);
    for (int type = 0; type < NTYPES; type++) {
        for (int i = 0; i < per; i++) {
            free(b.q[type][i].iql);
            free(b.q[type][i].path);
            free(b.q[type][i].prom);
        }
        free(b.q[type]);
        for (int t = 0; t < NTARGETS; t++) {
            for (int i = 0; i < b.check; i++)
                free(b.st[t][type].sample[i]);
            free(b.st[t][type].sample);
            free(b.st[t][type].lat);
        }
    }
    st_bench_data_fini(&d);
    return 0;
}
