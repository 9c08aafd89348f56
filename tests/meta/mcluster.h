/* strata-meta clusters of real processes for end-to-end tests, and meta RPC helpers (mc_). */
#ifndef ST_TEST_MCLUSTER_H
#define ST_TEST_MCLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "meta.pb-c.h"
#include "rpc.h"

/*
 * Every node of a cluster runs build/meta/strata-meta on free loopback ports,
 * with its directory, ready file and log under one temporary directory.
 * Start processes from the test's main thread only: they die with the
 * thread that started them (PR_SET_PDEATHSIG). Helpers that check a
 * precondition fail the Check test (ck_assert) rather than return an error.
 * Every Strata__MetaResponse returned is the caller's: mc_free_resp().
 */

#define MAXN 4
#define START_MS 20000      /* a node writes its ready file within this */
#define LEADER_MS 15000     /* a fresh cluster elects a leader within this */
#define CALL_MS 2000        /* one RPC in the tests' retry loops */
#define UNKNOWN_NODE 424242 /* a data node id no catalogue holds */

struct node {
    uint64_t id;
    char raft[64], url[64];
    char dir[512], ready[512], log[512];
    pid_t pid; /* 0 when not running */
    st_rpc_client *cli;
};

struct cluster {
    char *tmp;
    int n;     /* nodes configured (started or not) */
    int nboot; /* the first nboot nodes form --members */
    struct node nodes[MAXN];
    char members[1024];
    const char *extra[16]; /* extra arguments for every node */
    int nextra;
};

/* Sleeps @ms milliseconds. */
void mc_sleep_ms(long ms);

/* Configures @n nodes (the first @nboot bootstrap together through
 * --members, the others start empty) with @extra arguments for every node
 * (NULL-terminated, may be NULL; borrowed until mc_free()). Opens one RPC
 * client per node. Starts nothing. Free with mc_free(). */
struct cluster *mc_new(int n, int nboot, const char *const *extra);

/* Starts node @i (from its directory if it has one) and waits until it
 * listens. */
void mc_start_node(struct cluster *c, int i);

/* Stops node @i with @sig; SIGTERM must end it with exit status 0. */
void mc_stop_node(struct cluster *c, int i, int sig);

/* Starts every node. */
void mc_start(struct cluster *c);

/* SIGKILLs what runs, closes the clients, removes the directory, frees @c.
 * NULL is fine. */
void mc_free(struct cluster *c);

/* Sends @q (borrowed); the decoded answer, or NULL if none came in @ms. */
Strata__MetaResponse *mc_call(st_rpc_client *cli, const Strata__MetaRequest *q, int ms);

/* Frees an answer. NULL is fine. */
void mc_free_resp(Strata__MetaResponse *r);

/* The error code of @r (0: OK); -1 when there was no answer. */
int mc_code(const Strata__MetaResponse *r);

/* The error message of @r, "" if none; borrowed from @r. */
const char *mc_message(const Strata__MetaResponse *r);

/* Whether code @c is worth trying again, elsewhere or later. */
bool mc_retryable(int c);

/* One request of each kind (hops 0 unless given). */
Strata__MetaResponse *mc_apply(st_rpc_client *cli, const Strata__Command *cmd, int ms);
Strata__MetaResponse *mc_create_db(st_rpc_client *cli, const char *name, int ms);
Strata__MetaResponse *mc_heartbeat(st_rpc_client *cli, uint64_t id, uint32_t hops, int ms);
Strata__MetaResponse *mc_register(st_rpc_client *cli, uint64_t id, const char *rpc, int ms);
Strata__MetaResponse *mc_get_cat(st_rpc_client *cli, int ms);

/* The raw GetCatalogue answer into @out: equal bytes mean equal
 * catalogues. false when there was no answer. */
bool mc_get_cat_raw(st_rpc_client *cli, struct st_buf *out);

/* The catalogue index of node @cli, 0 when it does not answer. */
uint64_t mc_index(st_rpc_client *cli);

/* The node that leads now: the one answering a forwarded (hops=1) heartbeat
 * of an unknown node with NOT_FOUND, which only the leader does, without a
 * raft entry. Each probe waits @probe_ms. -1 if none within @ms. */
int mc_find_leader(struct cluster *c, int ms, int probe_ms);

/* Waits for a leader and for every running node's catalogue to record the
 * bootstrap members (the leader's first proposals), so that the catalogue
 * index moves only with the test's own changes from here on. Returns the
 * leader's index. */
int mc_ready(struct cluster *c);

/* Applies @cmd through any running node until it is answered by a leader
 * (not a retryable error) or @ms pass. */
Strata__MetaResponse *mc_apply_any(struct cluster *c, const Strata__Command *cmd, int ms);

/* What every running node holds, to stderr: for failure messages. */
void mc_dump(struct cluster *c);

/* Waits up to @ms until every running node's GetCatalogue answer is
 * byte-equal to each other's (and to @want if not NULL); leaves it in @out.
 * On failure dumps the nodes' state and returns false. */
bool mc_converge(struct cluster *c, const struct st_buf *want, struct st_buf *out, int ms);

/* The catalogue in a raw GetCatalogue answer; the caller owns it
 * (strata__catalogue__free_unpacked). */
Strata__Catalogue *mc_decode_cat(const struct st_buf *raw);

#endif
