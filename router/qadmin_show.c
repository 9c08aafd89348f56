/* The data statements other than SELECT in /query: the SHOW statements
 * about series, tags and fields and DROP MEASUREMENT / DROP SERIES /
 * DELETE through the query engine (query_show.c, query_delete.c), and SHOW
 * SHARDS / SHARD GROUPS from the local catalogue copy, with InfluxDB 1.6's
 * series and columns (docs/show-statements.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalogue.h"
#include "err.h"
#include "qadmin_int.h"
#include "query_show.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int unavailable(struct qa_run *r, const char *what)
{
    int rv = st_buf_printf(&r->err, "not implemented yet: %s", what);
    return rv == ST_OK ? QA_FAIL : rv;
}

static void engine(const struct qa_run *r, struct st_query_env *env, struct st_query_req *req)
{
    const struct st_qctx *ctx = r->ctx;
    *env = (struct st_query_env){.meta = ctx->meta,
                                 .owners = ctx->owners,
                                 .timeout_ms = ctx->query_timeout_ms,
                                 .max_points = ctx->max_points};
    *req = (struct st_query_req){.db = ctx->db, .rp = ctx->rp, .now_ns = now_ns()};
}

static int verdict(int rv)
{
    if (rv == ST_EINVAL)
        return QA_FAIL;
    if (rv == ST_EUNAVAIL)
        return QA_FAIL_META;
    return rv;
}

int qa_show_data(struct qa_run *r, const struct st_iql_stmt *s)
{
    if (r->ctx->owners == NULL)
        return unavailable(r, s->what);
    struct st_query_env env;
    struct st_query_req req;
    engine(r, &env, &req);
    struct st_qres *res = NULL;
    int rv = st_query_show(&env, &req, s, &res, &r->err);
    if (rv != ST_OK)
        return verdict(rv);
    for (size_t i = 0; rv == ST_OK && i < res->nseries; i++) {
        const struct st_qseries *q = &res->series[i];
        rv = st_qout_begin_series(r->out, q->name, q->tags, q->ntags, q->columns, q->ncolumns);
        for (size_t row = 0; rv == ST_OK && row < q->nrows; row++)
            rv = st_qout_row(r->out, &q->values[row * q->ncolumns], q->ncolumns);
        if (rv == ST_OK)
            rv = st_qout_end_series(r->out);
    }
    st_qres_free(res);
    return rv;
}

int qa_delete(struct qa_run *r, const struct st_iql_stmt *s)
{
    if (r->ctx->owners == NULL)
        return unavailable(r, s->what);
    struct st_query_env env;
    struct st_query_req req;
    engine(r, &env, &req);
    return verdict(st_query_delete(&env, &req, s, &r->err));
}

/* SHOW SHARDS, SHOW SHARD GROUPS --------------------------------------------------------- */

/* Go's time.RFC3339 of @ns, whole seconds, UTC. */
static void rfc3339(int64_t ns, char *out, size_t len)
{
    time_t t = (time_t)(ns / 1000000000 - (ns % 1000000000 < 0));
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static struct st_qv qv_str(const char *p)
{
    struct st_qv v = {.kind = ST_QV_STRING, .s = {p, strlen(p)}};
    return v;
}

static struct st_qv qv_u(uint64_t u)
{
    struct st_qv v = {.kind = ST_QV_INT, .i = (int64_t)u};
    return v;
}

/* The group's times: start, end and expiry (end + the policy's duration). */
static void group_times(const Strata__ShardGroup *g, const Strata__RetentionPolicy *rp,
                        char t[3][40])
{
    rfc3339(g->start_ns, t[0], sizeof t[0]);
    rfc3339(g->end_ns, t[1], sizeof t[1]);
    int64_t exp = g->end_ns;
    if (rp->duration_ns > 0 && exp <= INT64_MAX - rp->duration_ns)
        exp += rp->duration_ns;
    rfc3339(exp, t[2], sizeof t[2]);
}

static bool in_rp(const Strata__ShardGroup *g, const Strata__Database *db,
                  const Strata__RetentionPolicy *rp)
{
    return !g->deleted && strcmp(g->database, db->name) == 0 &&
           strcmp(g->retention_policy, rp->name) == 0;
}

static int shards(struct qa_run *r, const Strata__Catalogue *cat)
{
    static const char *const cols[] = {"id",         "database", "retention_policy", "shard_group",
                                       "start_time", "end_time", "expiry_time",      "owners"};
    struct st_buf owners;
    st_buf_init(&owners);
    int rv = ST_OK;
    for (size_t d = 0; rv == ST_OK && d < cat->n_databases; d++) {
        const Strata__Database *db = cat->databases[d];
        rv = st_qout_begin_series(r->out, db->name, NULL, 0, cols, 8);
        for (size_t p = 0; rv == ST_OK && p < db->n_retention_policies; p++) {
            const Strata__RetentionPolicy *rp = db->retention_policies[p];
            for (size_t i = 0; rv == ST_OK && i < cat->n_shard_groups; i++) {
                const Strata__ShardGroup *g = cat->shard_groups[i];
                if (!in_rp(g, db, rp))
                    continue;
                char t[3][40];
                group_times(g, rp, t);
                for (size_t k = 0; rv == ST_OK && k < g->n_shards; k++) {
                    const Strata__Shard *sh = g->shards[k];
                    st_buf_reset(&owners);
                    for (size_t o = 0; rv == ST_OK && o < sh->n_owners; o++)
                        rv = st_buf_printf(&owners, "%s%" PRIu64, o ? "," : "", sh->owners[o]);
                    if (rv != ST_OK)
                        break;
                    struct st_qv v[8] = {qv_u(sh->id),     qv_str(db->name),
                                         qv_str(rp->name), qv_u(g->id),
                                         qv_str(t[0]),     qv_str(t[1]),
                                         qv_str(t[2]),     qv_str(owners.p ? owners.p : "")};
                    rv = st_qout_row(r->out, v, 8);
                }
            }
        }
        if (rv == ST_OK)
            rv = st_qout_end_series(r->out);
    }
    st_buf_fini(&owners);
    return rv;
}

static int shard_groups(struct qa_run *r, const Strata__Catalogue *cat)
{
    static const char *const cols[] = {"id",         "database", "retention_policy",
                                       "start_time", "end_time", "expiry_time"};
    int rv = st_qout_begin_series(r->out, "shard groups", NULL, 0, cols, 6);
    for (size_t d = 0; rv == ST_OK && d < cat->n_databases; d++) {
        const Strata__Database *db = cat->databases[d];
        for (size_t p = 0; rv == ST_OK && p < db->n_retention_policies; p++) {
            const Strata__RetentionPolicy *rp = db->retention_policies[p];
            for (size_t i = 0; rv == ST_OK && i < cat->n_shard_groups; i++) {
                const Strata__ShardGroup *g = cat->shard_groups[i];
                if (!in_rp(g, db, rp))
                    continue;
                char t[3][40];
                group_times(g, rp, t);
                struct st_qv v[6] = {qv_u(g->id),  qv_str(db->name), qv_str(rp->name),
                                     qv_str(t[0]), qv_str(t[1]),     qv_str(t[2])};
                rv = st_qout_row(r->out, v, 6);
            }
        }
    }
    return rv == ST_OK ? st_qout_end_series(r->out) : rv;
}

int qa_show_shards(struct qa_run *r, const struct st_iql_stmt *s)
{
    const struct st_mcat *m = st_mcli_acquire(r->ctx->meta);
    if (m == NULL) {
        int rv = st_buf_puts(&r->err, "meta service unavailable: no catalogue received yet");
        return rv == ST_OK ? QA_FAIL_META : rv;
    }
    int rv = s->kind == ST_IQL_SHOW_SHARDS ? shards(r, m->cat) : shard_groups(r, m->cat);
    st_mcli_release(r->ctx->meta, m);
    return rv;
}
