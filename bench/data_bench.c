/* Write benchmark of one strata-data through its RPC, TSBS cpu-only data.
 *
 *   data_bench STRATA_DATA [--hosts 100] [--lines 864000] [--batch 5000] [--clients 4]
 *
 * Starts strata-data on a free loopback port in a temporary directory,
 * generates the data set (100 hosts x 1 day at 10 s = 864,000 lines, 8.64 M
 * fields by default), sends it in batches of --batch lines from --clients
 * threads (each batch is one WriteBatch, acknowledged after fdatasync), and
 * prints points/s and fields/s. Then it stops the node with SIGTERM (which
 * flushes the cache into segment files) and prints the bytes per field of
 * the shard's segment files, index and WAL. Not a test: numbers go to docs/. */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "data.pb-c.h"
#include "err.h"
#include "rpc.h"
#include "tsbs.h"

static struct st_buf data;
static size_t *line_off; /* start of each line */
static long nlines, batch = 5000;
static atomic_long next_batch;
static atomic_long failed;
static char url[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *client(void *arg)
{
    (void)arg;
    st_rpc_client *c;
    struct st_buf req, resp;
    st_buf_init(&req);
    st_buf_init(&resp);
    if (st_rpc_client_open(url, &c) != ST_OK)
        return NULL;
    for (;;) {
        long b = atomic_fetch_add(&next_batch, 1);
        long first = b * batch;
        if (first >= nlines)
            break;
        long last = first + batch < nlines ? first + batch : nlines;
        size_t end = last < nlines ? line_off[last] : data.len;
        Strata__WriteBatch wb = STRATA__WRITE_BATCH__INIT;
        wb.shard_id = 1;
        wb.database = "bench";
        wb.retention_policy = "autogen";
        wb.points.data = (uint8_t *)data.p + line_off[first];
        wb.points.len = end - line_off[first];
        Strata__DataRequest dr = STRATA__DATA_REQUEST__INIT;
        dr.req_case = STRATA__DATA_REQUEST__REQ_WRITE_BATCH;
        dr.write_batch = &wb;
        st_buf_reset(&req);
        st_buf_reserve(&req, strata__data_request__get_packed_size(&dr));
        req.len = strata__data_request__pack(&dr, (uint8_t *)req.p);
        Strata__DataResponse *r = NULL;
        if (st_rpc_call(c, req.p, req.len, 60000, &resp) != ST_OK ||
            (r = strata__data_response__unpack(NULL, resp.len, (uint8_t *)resp.p)) == NULL ||
            (r->error && r->error->code != STRATA__ERROR_CODE__OK))
            atomic_fetch_add(&failed, 1);
        if (r)
            strata__data_response__free_unpacked(r, NULL);
    }
    st_rpc_client_close(c);
    st_buf_fini(&req);
    st_buf_fini(&resp);
    return NULL;
}

static long long dir_bytes(const char *path, const char *prefix)
{
    long long total = 0;
    DIR *d = opendir(path);
    struct dirent *de;
    char p[1024];
    struct stat st;
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            total += dir_bytes(p, prefix);
        else if (prefix == NULL || strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            total += st.st_size;
    }
    if (d)
        closedir(d);
    return total;
}

int main(int argc, char **argv)
{
    int hosts = 100, clients = 4;
    nlines = 864000;
    if (argc < 2) {
        fprintf(stderr, "usage: data_bench STRATA_DATA [--hosts H] [--lines N] [--batch B] "
                        "[--clients C]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--hosts") == 0)
            hosts = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--lines") == 0)
            nlines = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--clients") == 0)
            clients = atoi(argv[i + 1]);
    }
    signal(SIGPIPE, SIG_IGN);
    struct st_tsbs g;
    if (st_tsbs_init(&g, hosts, 42) != ST_OK)
        return 1;
    st_buf_init(&data);
    line_off = malloc((size_t)nlines * sizeof(*line_off));
    for (long k = 0; k < nlines; k++) {
        line_off[k] = data.len;
        if (st_tsbs_next(&g, &data) != ST_OK)
            return 1;
    }
    st_tsbs_fini(&g);

    char dir[] = "/tmp/strata-bench-XXXXXX", ready[128], ddir[128];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(ready, sizeof(ready), "%s/ready", dir);
    snprintf(ddir, sizeof(ddir), "%s/data", dir);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &alen);
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ntohs(a.sin_port));
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        execl(argv[1], argv[1], "--dir", ddir, "--listen", url, "--ready-file", ready,
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000 && access(ready, F_OK) != 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }

    double t0 = now_s();
    pthread_t th[64];
    clients = clients < 1 ? 1 : clients > 64 ? 64 : clients;
    for (int i = 0; i < clients; i++)
        pthread_create(&th[i], NULL, client, NULL);
    for (int i = 0; i < clients; i++)
        pthread_join(th[i], NULL);
    double el = now_s() - t0;
    long fields = nlines * 10;
    printf("data_bench: %ld lines (%.1f MB), batches of %ld, %d clients, %ld failed batches\n",
           nlines, (double)data.len / 1e6, batch, clients, (long)atomic_load(&failed));
    printf("write: %.2f s, %.0f points/s, %.0f fields/s\n", el, (double)nlines / el,
           (double)fields / el);

    double t1 = now_s();
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char sdir[200];
    snprintf(sdir, sizeof(sdir), "%s/shards/1", ddir);
    long long seg = dir_bytes(sdir, "seg-"), idx = dir_bytes(sdir, "index"),
              all = dir_bytes(sdir, NULL);
    printf("shutdown (flush): %.2f s\n", now_s() - t1);
    printf("disk: segments %lld B = %.3f B/field; index %lld B; shard total %lld B = %.3f "
           "B/field\n",
           seg, (double)seg / (double)fields, idx, all, (double)all / (double)fields);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
