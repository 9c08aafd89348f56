/* Line-protocol parser microbenchmark on TSBS cpu-only data.
 *
 *   lp_bench [--lines N] [--hosts H] [--seconds S | --passes P] [--keys]
 *   lp_bench --generate N [--hosts H]      (writes the data to stdout)
 *
 * Builds N lines in memory, then parses them again and again with one warm
 * batch (as a router does) for at least S seconds on one thread, and prints
 * MB/s and lines/s. --keys also builds each point's canonical series key
 * and hash, the rest of the router's per-point work before routing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "lineproto.h"
#include "tsbs.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long lines = 100000, generate = -1;
    int hosts = 100, keys = 0;
    double seconds = 3.0;
    long passes = 0; /* 0: run for --seconds */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc)
            lines = atol(argv[++i]);
        else if (strcmp(argv[i], "--hosts") == 0 && i + 1 < argc)
            hosts = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--generate") == 0 && i + 1 < argc)
            generate = atol(argv[++i]);
        else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
            passes = atol(argv[++i]);
        else if (strcmp(argv[i], "--keys") == 0)
            keys = 1;
        else {
            fprintf(stderr,
                    "usage: lp_bench [--lines N] [--hosts H] [--seconds S | --passes P] [--keys]\n"
                    "       lp_bench --generate N [--hosts H]\n");
            return 2;
        }
    }

    struct st_tsbs g;
    struct st_buf data;
    if (st_tsbs_init(&g, hosts, 42) != ST_OK)
        return 1;
    st_buf_init(&data);
    if (generate >= 0) {
        for (long k = 0; k < generate; k++) {
            if (st_tsbs_next(&g, &data) != ST_OK)
                return 1;
            if (data.len > (1 << 20) || k + 1 == generate) {
                fwrite(data.p, 1, data.len, stdout);
                st_buf_reset(&data);
            }
        }
        st_buf_fini(&data);
        st_tsbs_fini(&g);
        return 0;
    }
    for (long k = 0; k < lines; k++)
        if (st_tsbs_next(&g, &data) != ST_OK)
            return 1;
    st_tsbs_fini(&g);

    struct st_lp_batch b;
    struct st_buf key;
    st_lp_batch_init(&b);
    st_buf_init(&key);
    uint64_t sink = 0;
    long iters = 0;
    double t0 = now_s(), t;
    do {
        st_lp_batch_reset(&b);
        if (st_lp_parse(&b, data.p, data.len, ST_PRECISION_NS, 0) != ST_OK)
            return 1;
        if (b.nerrors || b.npoints != (size_t)lines) {
            fprintf(stderr, "lp_bench: %zu errors, %zu points\n", b.nerrors, b.npoints);
            return 1;
        }
        if (keys) {
            for (size_t p = 0; p < b.npoints; p++) {
                st_buf_reset(&key);
                st_lp_series_key(&key, &b, &b.points[p]);
                sink += st_series_hash(key.p, key.len);
            }
        }
        sink += (uint64_t)b.fields[b.nfields - 1].v.i;
        iters++;
        t = now_s();
    } while (passes ? iters < passes : t - t0 < seconds);
    double el = t - t0;
    double mb = (double)data.len * (double)iters / 1e6;
    printf("lp_bench: %ld lines x %ld passes, %.1f bytes/line%s\n", lines, iters,
           (double)data.len / (double)lines, keys ? ", with series keys + hash" : "");
    printf("parse: %.1f MB/s, %.0f lines/s, %.0f fields/s (sink %llu)\n", mb / el,
           (double)lines * (double)iters / el, (double)lines * 10.0 * (double)iters / el,
           (unsigned long long)(sink & 1));
    st_buf_fini(&key);
    st_lp_batch_fini(&b);
    st_buf_fini(&data);
    return 0;
}
