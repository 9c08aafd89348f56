/* Shared parts of the HTTP benchmarks: start strata, InfluxDB and
 * VictoriaMetrics on free loopback ports, a keep-alive HTTP/1.1 client, the
 * TSBS data set and its parallel loader, per-process figures. */
#ifndef ST_BENCH_H
#define ST_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

#define ST_BENCH_MAXPROC 12 /* processes of one target (meta + data nodes + router) */

/* One system under test: its processes, HTTP port and scratch directory. */
struct st_bench_target {
    const char *name;             /* label in the output; borrowed */
    pid_t pids[ST_BENCH_MAXPROC]; /* started processes, in start order */
    int npids;                    /* entries in @pids */
    int port;                     /* HTTP port of its API */
    char dir[256];                /* temporary directory, removed by st_bench_stop() */
};

/* A keep-alive HTTP/1.1 connection; the last answer's body is in @body.
 * Start from {.fd = -1} (the rest zero); st_bench_conn_close() frees it. */
struct st_bench_conn {
    int fd;             /* socket, or -1 */
    int port;           /* loopback port */
    struct st_buf in;   /* bytes received and not yet consumed */
    struct st_buf body; /* body of the last answer (NUL-terminated) */
};

/* The TSBS cpu-only data set in memory, with the offset of every line. */
struct st_bench_data {
    struct st_buf text; /* the lines */
    size_t *line_off;   /* offset of line i in @text; owned */
    long nlines;        /* lines */
};

double st_bench_now_s(void);
void st_bench_sleep_ms(long ms);

/* Creates @t->dir from the mkdtemp template @tmpl ("/tmp/x.XXXXXX"). */
bool st_bench_make_dir(struct st_bench_target *t, const char *tmpl);

/* Starts strata: 1 meta, @ndata data nodes (each with --cache-max-bytes
 * @cache_max unless NULL), 1 router; waits until the router is healthy and
 * every data node is ready. Borrows @build (the build directory). */
bool st_bench_start_strata(struct st_bench_target *t, const char *build, int ndata,
                           const char *cache_max);
/* Starts influxd (InfluxDB 1.x from /usr/bin) with max-body-size 0. */
bool st_bench_start_influxdb(struct st_bench_target *t);
/* Starts /usr/bin/victoria-metrics with a 100-year retention. */
bool st_bench_start_vm(struct st_bench_target *t);
/* Stops every process (SIGTERM, then SIGKILL after 30 s) in reverse start
 * order and removes @t->dir. */
void st_bench_stop(struct st_bench_target *t);

/* Peak resident memory (VmHWM) in kB and CPU seconds of one process. */
long st_bench_vm_hwm_kb(pid_t pid);
double st_bench_cpu_s(pid_t pid);

/* Connects to 127.0.0.1:@port. false when the connection failed. */
bool st_bench_conn_open(struct st_bench_conn *c, int port);
void st_bench_conn_close(struct st_bench_conn *c);
/* Sends one request (borrows @body, @len bytes, may be NULL) and reads the
 * answer into c->body. Returns the HTTP status, or -1 when the connection
 * broke (then close and reopen it). Content-Length and chunked answers. */
int st_bench_request(struct st_bench_conn *c, const char *method, const char *path,
                     const char *body, size_t len);
/* One request on a fresh connection; the start of the answer's body goes to
 * @err (may be NULL). The status or -1. */
int st_bench_one_request(int port, const char *method, const char *path, const char *body,
                         char *err, size_t errlen);
/* Appends @s to @out percent-encoded for a query string. ST_OK or ST_ENOMEM. */
int st_bench_urlencode(struct st_buf *out, const char *s);

/* Generates @nlines TSBS cpu-only lines for @hosts hosts (seed 1, as
 * router_bench always did). ST_OK or ST_ENOMEM; free with
 * st_bench_data_fini(). */
int st_bench_data_init(struct st_bench_data *d, int hosts, long nlines);
void st_bench_data_fini(struct st_bench_data *d);

/* POSTs the data set to /write?db=bench in bodies of @batch lines over
 * @conns keep-alive connections. Returns the number of failed requests
 * (anything but 204); the first failure is printed. */
long st_bench_load(const struct st_bench_data *d, int port, long batch, int conns);

#endif
