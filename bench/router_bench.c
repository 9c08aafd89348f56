/* Write benchmark through the HTTP API: strata (1 meta, 1 data, 1 router)
 * side by side with InfluxDB 1.x and VictoriaMetrics, same data, same loader.
 *
 *   router_bench --strata BUILD_DIR [--hosts 100] [--lines 864000]
 *                [--batch 5000] [--conns 4] [--only strata|influxdb|vm]
 *                [--cache-max-bytes N]   (the data node's, default its own)
 *
 * For each target: start it on free loopback ports in a fresh temporary
 * directory, CREATE DATABASE bench, send the TSBS cpu-only data set (100
 * hosts x 1 day at 10 s = 864,000 lines, 10 fields each) in --batch-line
 * POST /write bodies over --conns keep-alive connections, and print lines/s,
 * fields/s, failed requests, the peak resident memory of the target's
 * processes summed (VmHWM) and their CPU seconds. Then stop it. Not a
 * test: the numbers go to docs/bench-router.md. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "err.h"

static const char *cache_max; /* --cache-max-bytes of the data node, or NULL: its default */

struct result {
    const char *name;
    double lines_s, fields_s, mem_mb, cpu;
    long failures;
    bool ran;
};

static void run(struct st_bench_target *t, const struct st_bench_data *d, const char *build,
                long batch, int conns, struct result *res)
{
    if (!st_bench_make_dir(t, "/tmp/router_bench.XXXXXX"))
        return;
    bool ok = strcmp(t->name, "strata") == 0     ? st_bench_start_strata(t, build, 1, cache_max)
              : strcmp(t->name, "influxdb") == 0 ? st_bench_start_influxdb(t)
                                                 : st_bench_start_vm(t);
    char err[512] = "";
    if (ok && strcmp(t->name, "vm") != 0) {
        int st = st_bench_one_request(t->port, "POST", "/query?q=CREATE+DATABASE+bench", NULL, err,
                                      sizeof(err));
        ok = st == 200;
        if (!ok)
            fprintf(stderr, "router_bench: %s: CREATE DATABASE: %d %s\n", t->name, st, err);
    }
    if (!ok) {
        fprintf(stderr, "router_bench: %s did not start (logs in %s)\n", t->name, t->dir);
        return;
    }
    double cpu0 = 0;
    for (int i = 0; i < t->npids; i++)
        cpu0 += st_bench_cpu_s(t->pids[i]);
    double t0 = st_bench_now_s();
    long failures = st_bench_load(d, t->port, batch, conns);
    double secs = st_bench_now_s() - t0;
    if (strcmp(t->name, "vm") == 0)
        st_bench_one_request(t->port, "GET", "/internal/force_flush", NULL, NULL, 0);
    double cpu = 0;
    long kb = 0;
    printf("%s:", t->name);
    for (int i = 0; i < t->npids; i++) {
        long k = st_bench_vm_hwm_kb(t->pids[i]);
        kb += k;
        cpu += st_bench_cpu_s(t->pids[i]);
        printf(" pid %d peak %.1f MB;", (int)t->pids[i], (double)k / 1024);
    }
    printf("\n");
    res->name = t->name;
    res->lines_s = (double)d->nlines / secs;
    res->fields_s = res->lines_s * 10;
    res->failures = failures;
    res->mem_mb = (double)kb / 1024;
    res->cpu = cpu - cpu0;
    res->ran = true;
    st_bench_stop(t);
}

int main(int argc, char **argv)
{
    const char *build = NULL, *only = NULL;
    int hosts = 100, conns = 4;
    long nlines = 864000, batch = 5000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--strata") == 0)
            build = argv[i + 1];
        else if (strcmp(argv[i], "--hosts") == 0)
            hosts = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--lines") == 0)
            nlines = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--conns") == 0)
            conns = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--only") == 0)
            only = argv[i + 1];
        else if (strcmp(argv[i], "--cache-max-bytes") == 0)
            cache_max = argv[i + 1];
    }
    if (build == NULL || hosts <= 0 || nlines <= 0 || batch <= 0 || conns <= 0 || conns > 64) {
        fprintf(stderr, "usage: router_bench --strata BUILD_DIR [--hosts 100] [--lines 864000] "
                        "[--batch 5000] [--conns 4] [--only strata|influxdb|vm] "
                        "[--cache-max-bytes N]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct st_bench_data data;
    if (st_bench_data_init(&data, hosts, nlines) != ST_OK)
        return 1;
    printf("router_bench: %ld lines (%ld fields, %.1f MB) in batches of %ld over %d keep-alive "
           "connections\n",
           nlines, nlines * 10, (double)data.text.len / 1e6, batch, conns);
    const char *names[] = {"strata", "influxdb", "vm"};
    struct result res[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        if (only && strcmp(only, names[i]) != 0)
            continue;
        struct st_bench_target t = {.name = names[i]};
        run(&t, &data, build, batch, conns, &res[i]);
    }
    printf("\n| target | lines/s | fields/s | failed requests | peak RSS (MB, all processes) | CPU "
           "s |\n|---|---|---|---|---|---|\n");
    for (int i = 0; i < 3; i++)
        if (res[i].ran)
            printf("| %s | %.0f | %.0f | %ld | %.0f | %.1f |\n", res[i].name, res[i].lines_s,
                   res[i].fields_s, res[i].failures, res[i].mem_mb, res[i].cpu);
    for (int i = 1; i < 3; i++)
        if (res[0].ran && res[i].ran)
            printf("strata / %s: fields/s %.2fx, peak memory %.2fx\n", res[i].name,
                   res[0].fields_s / res[i].fields_s, res[0].mem_mb / res[i].mem_mb);
    st_bench_data_fini(&data);
    return 0;
}
