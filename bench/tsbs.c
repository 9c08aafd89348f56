/* TSBS cpu-only line generator. The tag values follow TSBS's devops tables
 * (regions, datacenters, OS names, teams...); each host has its own ten
 * random walks in 0..100 with normally distributed steps (sigma 1), written
 * truncated to integers with the 'i' suffix, like TSBS's cpu-only data. */
#include "tsbs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"

static const char *const regions[] = {"us-east-1",      "us-west-1",      "us-west-2",
                                      "eu-west-1",      "eu-central-1",   "ap-southeast-1",
                                      "ap-southeast-2", "ap-northeast-1", "sa-east-1"};
static const char *const oses[] = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
static const char *const arches[] = {"x64", "x86"};
static const char *const teams[] = {"SF", "NYC", "LON", "CHI"};
static const char *const envs[] = {"production", "staging", "test"};
static const char *const fields[] = {
    "usage_user", "usage_system",  "usage_idle",  "usage_nice",  "usage_iowait",
    "usage_irq",  "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t next_rand(struct st_tsbs *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

int st_tsbs_init(struct st_tsbs *g, int hosts, uint64_t seed)
{
    g->rng = seed ? seed : 0x9E3779B97F4A7C15ull;
    g->hosts = hosts > 0 ? hosts : 1;
    g->start_ns = 1451606400000000000LL;
    g->step_ns = 10000000000LL;
    g->line = 0;
    g->usage = malloc((size_t)g->hosts * 10 * sizeof(*g->usage));
    if (g->usage == NULL)
        return ST_ENOMEM;
    for (int k = 0; k < g->hosts * 10; k++)
        g->usage[k] = (double)(next_rand(g) % 101);
    return ST_OK;
}

void st_tsbs_fini(struct st_tsbs *g)
{
    free(g->usage);
    g->usage = NULL;
}

/* A standard normal step (Irwin-Hall: twelve uniforms minus six). */
static double normal(struct st_tsbs *g)
{
    double s = 0;
    for (int k = 0; k < 12; k++)
        s += (double)(next_rand(g) >> 11) / 9007199254740992.0;
    return s - 6.0;
}

int st_tsbs_next(struct st_tsbs *g, struct st_buf *out)
{
    int host = (int)(g->line % g->hosts);
    int64_t t = g->start_ns + (g->line / g->hosts) * g->step_ns;
    /* Per-host tag values derive from the host number, as TSBS fixes them. */
    uint64_t h = (uint64_t)host * 0x9E3779B97F4A7C15ull + 1;
    const char *region = regions[h % N(regions)];
    int rv = st_buf_printf(out,
                           "cpu,hostname=host_%d,region=%s,datacenter=%s%c,rack=%d,os=%s,arch=%s,"
                           "team=%s,service=%d,service_version=%d,service_environment=%s ",
                           host, region, region, (char)('a' + (h >> 8) % 3), (int)((h >> 12) % 100),
                           oses[(h >> 20) % N(oses)], arches[(h >> 24) % N(arches)],
                           teams[(h >> 28) % N(teams)], (int)((h >> 32) % 20), (int)((h >> 40) % 2),
                           envs[(h >> 44) % N(envs)]);
    double *u = g->usage + (size_t)host * 10;
    for (int k = 0; rv == ST_OK && k < 10; k++) {
        double v = u[k] + normal(g);
        u[k] = v < 0 ? 0 : v > 100 ? 100 : v;
        rv = st_buf_printf(out, "%s%s=%" PRId64 "i", k ? "," : "", fields[k], (int64_t)u[k]);
    }
    if (rv == ST_OK)
        rv = st_buf_printf(out, " %" PRId64 "\n", t);
    g->line++;
    return rv;
}
