/* TSBS "cpu-only" shaped line protocol, generated deterministically. */
#ifndef ST_TSBS_H
#define ST_TSBS_H

#include <stdint.h>

#include "buf.h"

/* Generator state: hosts are visited round-robin, one line per host per
 * interval, like TSBS's devops cpu-only use case (10 tags, 10 fields). */
struct st_tsbs {
    uint64_t rng;     /* xorshift state */
    int hosts;        /* number of hosts (series) */
    int64_t start_ns; /* first timestamp */
    int64_t step_ns;  /* interval between two lines of one host */
    int64_t line;     /* lines generated so far */
    double *usage;    /* per host, 10 random-walk field values (owned) */
};

/* Initializes with TSBS's defaults: start 2016-01-01T00:00:00Z, 10 s step.
 * ST_OK or ST_ENOMEM; free with st_tsbs_fini(). */
int st_tsbs_init(struct st_tsbs *g, int hosts, uint64_t seed);
void st_tsbs_fini(struct st_tsbs *g);

/* Appends the next line (with its newline) to @out. ST_OK or ST_ENOMEM. */
int st_tsbs_next(struct st_tsbs *g, struct st_buf *out);

#endif
