/* One /query request: parse, authorize, run each statement, write the answer.
 *
 * The executors write their series into an st_qout writer, which makes the
 * body InfluxDB's handler would (JSON compact or pretty, CSV, chunked).
 *
 * Authorization is InfluxDB's: the whole query is checked before any of it
 * runs, and a refusal is a 403 for the query, not a statement error. With
 * no user in the catalogue, a query that starts by creating an admin user
 * is the only one allowed (the bootstrap); the rest of it runs as that
 * admin would. Otherwise the request must name a user (the HTTP layer has
 * authenticated it) and a non-admin user may run only the statements it
 * has the privileges for: SHOW DATABASES (filtered), SHOW RETENTION
 * POLICIES (READ on the database), DROP RETENTION POLICY (WRITE).
 *
 * Statements run in order. When one fails, the ones after it are answered
 * "not executed", as InfluxDB stops at the first error; a statement strata
 * does not run yet answers "not implemented yet: ..." without stopping the
 * others. If meta cannot be reached, the failing statement's result holds
 * the client library's message and the status is 500.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "catalogue.h"
#include "err.h"
#include "qadmin_int.h"
#include "qjson.h"

/* Writes the body of a query refused as a whole: {"error":@prefix@msg}. */
static int error_body(const struct st_qctx *ctx, struct st_buf *b, const char *prefix,
                      const char *msg, size_t len)
{
    struct st_buf full;
    st_buf_init(&full);
    int rv = st_buf_puts(&full, prefix != NULL ? prefix : "");
    if (rv == ST_OK)
        rv = st_buf_append(&full, msg, len);
    if (rv == ST_OK)
        rv = st_qout_error_body(ctx->format, ctx->pretty, full.p, b);
    st_buf_fini(&full);
    return rv;
}

/* Authorization ---------------------------------------------------------------- */

/* The privilege a non-admin needs for @s: ADMIN, READ or WRITE on *@db,
 * or NONE. */
static enum st_auth_need needs(const struct st_qctx *ctx, const struct st_iql_stmt *s,
                               const char **db)
{
    *db = NULL;
    if (qa_not_run(s) && strcmp(s->what, "KILL QUERY") == 0)
        return ST_AUTH_NEED_ADMIN;
    if (qa_not_run(s))
        return ST_AUTH_NEED_NONE; /* answered "not implemented yet": nothing to guard */
    switch (s->kind) {
    case ST_IQL_SHOW_DATABASES: /* filtered by privilege */
        return ST_AUTH_NEED_NONE;
    case ST_IQL_SHOW_RPS:
        *db = s->db != NULL && s->db[0] != '\0' ? s->db : ctx->db;
        return ST_AUTH_NEED_READ;
    case ST_IQL_SELECT:
        /* READ on the database of the first source (InfluxDB checks each;
         * sources naming other databases are checked the same way). */
        *db = s->sel != NULL && s->sel->nsources > 0 && s->sel->sources[0].db != NULL &&
                      s->sel->sources[0].db[0] != '\0'
                  ? s->sel->sources[0].db
                  : ctx->db;
        return ST_AUTH_NEED_READ;
    case ST_IQL_DROP_RP:
        *db = s->db;
        return ST_AUTH_NEED_WRITE;
    case ST_IQL_SHOW_MEASUREMENTS:
    case ST_IQL_SHOW_TAG_KEYS:
    case ST_IQL_SHOW_TAG_VALUES:
    case ST_IQL_SHOW_FIELD_KEYS:
    case ST_IQL_SHOW_SERIES:
    case ST_IQL_SHOW_SERIES_CARDINALITY:
    case ST_IQL_SHOW_MEASUREMENT_CARDINALITY:
    case ST_IQL_SHOW_TAG_KEY_CARDINALITY:
    case ST_IQL_SHOW_TAG_VALUES_CARDINALITY:
    case ST_IQL_SHOW_FIELD_KEY_CARDINALITY:
        /* InfluxDB 1.6: READ on the ON database, else db=. (For the
         * cardinality statements 1.6 asks READ on the databases of the FROM
         * sources only, so nothing without FROM; strata asks READ on the
         * database they read.) */
        *db = s->db != NULL && s->db[0] != '\0' ? s->db : ctx->db;
        return ST_AUTH_NEED_READ;
    case ST_IQL_DROP_SERIES:
    case ST_IQL_DELETE:
        /* InfluxDB 1.6: WRITE (on db=); DROP MEASUREMENT, SHOW SHARDS and
         * SHOW SHARD GROUPS need an admin. */
        *db = ctx->db;
        return ST_AUTH_NEED_WRITE;
    default:
        return ST_AUTH_NEED_ADMIN;
    }
}

/* "<user> not authorized to execute statement '<stmt>', requires ..." */
static int refusal(struct st_buf *msg, const Strata__User *u, const struct st_iql_stmt *s,
                   enum st_auth_need need, const char *db)
{
    int rv = st_buf_printf(msg, "%s not authorized to execute statement '", u->name);
    if (rv == ST_OK)
        rv = st_iql_stmt_string(s, msg);
    if (rv == ST_OK && need == ST_AUTH_NEED_ADMIN)
        rv = st_buf_puts(msg, "', requires admin privilege");
    else if (rv == ST_OK)
        rv = st_buf_printf(msg, "', requires %s on %s",
                           need == ST_AUTH_NEED_READ ? "READ" : "WRITE", db ? db : "");
    return rv;
}

/* Decides whether the query may run. ST_OK (r->viewer set), or a body
 * written to @out with *@status, or ST_ENOMEM. *@answered says which. */
static int authorize(struct qa_run *r, const Strata__Catalogue *cat, const struct st_iql_query *q,
                     struct st_buf *out, int *status, bool *answered)
{
    static const char PREFIX[] = "error authorizing query: ";
    const struct st_qctx *ctx = r->ctx;
    *answered = true;
    if (cat->n_users == 0) {
        if (q->n > 0 && q->stmts[0].kind == ST_IQL_CREATE_USER && q->stmts[0].admin) {
            *answered = false;
            return ST_OK;
        }
        static const char m[] = "create admin user first or disable authentication";
        *status = 403;
        return error_body(ctx, out, PREFIX, m, sizeof m - 1);
    }
    if (ctx->user == NULL) {
        *status = 403;
        return error_body(ctx, out, PREFIX, "no user provided", strlen("no user provided"));
    }
    const Strata__User *u = st_auth_user(cat, ctx->user);
    if (u == NULL) {
        /* Dropped since the HTTP layer authenticated it. */
        *status = 401;
        return error_body(ctx, out, NULL, "authorization failed", strlen("authorization failed"));
    }
    if (!u->admin) {
        for (size_t i = 0; i < q->n; i++) {
            const char *db;
            enum st_auth_need need = needs(ctx, &q->stmts[i], &db);
            const struct st_iql_select *sel = q->stmts[i].sel;
            if (st_auth_may(u, db, need) && q->stmts[i].kind == ST_IQL_SELECT && sel != NULL &&
                sel->into_measurement != NULL) {
                /* INTO: READ on the source and WRITE on the target */
                db = sel->into_db != NULL && sel->into_db[0] != '\0' ? sel->into_db : ctx->db;
                need = ST_AUTH_NEED_WRITE;
            }
            if (st_auth_may(u, db, need))
                continue;
            struct st_buf msg;
            st_buf_init(&msg);
            int rv = refusal(&msg, u, &q->stmts[i], need, db);
            if (rv == ST_OK)
                rv = error_body(ctx, out, PREFIX, msg.p, msg.len);
            st_buf_fini(&msg);
            *status = 403;
            return rv;
        }
        r->viewer = u;
    }
    *answered = false;
    return ST_OK;
}

/* Results -------------------------------------------------------------------------- */

/* Whether InfluxDB warns about @s in a GET request (it changes state). */
static bool is_command(const struct st_iql_stmt *s)
{
    if (qa_not_run(s))
        return false;
    switch (s->kind) {
    case ST_IQL_SHOW_DATABASES:
    case ST_IQL_SHOW_RPS:
    case ST_IQL_SHOW_USERS:
    case ST_IQL_SHOW_GRANTS:
    case ST_IQL_SHOW_MEASUREMENTS:
    case ST_IQL_SHOW_TAG_KEYS:
    case ST_IQL_SHOW_TAG_VALUES:
    case ST_IQL_SHOW_FIELD_KEYS:
    case ST_IQL_SHOW_SERIES:
    case ST_IQL_SHOW_SERIES_CARDINALITY:
    case ST_IQL_SHOW_MEASUREMENT_CARDINALITY:
    case ST_IQL_SHOW_TAG_KEY_CARDINALITY:
    case ST_IQL_SHOW_TAG_VALUES_CARDINALITY:
    case ST_IQL_SHOW_FIELD_KEY_CARDINALITY:
    case ST_IQL_SHOW_SHARDS:
    case ST_IQL_SHOW_SHARD_GROUPS:
        return false;
    case ST_IQL_SELECT: /* writes with INTO */
        return s->sel != NULL && s->sel->into_measurement != NULL;
    default:
        return true;
    }
}

/* How InfluxDB's executor cuts the answer of @s into results. */
static enum st_qout_shape shape(const struct st_iql_stmt *s)
{
    switch (s->kind) {
    case ST_IQL_SELECT:
    case ST_IQL_SHOW_SERIES:
    case ST_IQL_SHOW_FIELD_KEYS:
        return ST_QOUT_ROWS;
    case ST_IQL_SHOW_TAG_KEYS:
    case ST_IQL_SHOW_TAG_VALUES:
        return ST_QOUT_PER_SERIES;
    case ST_IQL_SHOW_SERIES_CARDINALITY:
    case ST_IQL_SHOW_MEASUREMENT_CARDINALITY:
    case ST_IQL_SHOW_TAG_KEY_CARDINALITY:
    case ST_IQL_SHOW_TAG_VALUES_CARDINALITY:
    case ST_IQL_SHOW_FIELD_KEY_CARDINALITY:
        /* InfluxDB runs them as SELECTs, but for its estimates. */
        return st_iql_card_estimate(s) ? ST_QOUT_WHOLE : ST_QOUT_ROWS;
    default:
        return ST_QOUT_WHOLE;
    }
}

/* @s as InfluxDB prints a SELECT ... INTO after normalizing it: the
 * target's and the sources' database and policy filled in (db= and the
 * database's default policy). */
static int into_string(const struct qa_run *r, const struct st_iql_stmt *s, struct st_buf *out)
{
    const struct st_qctx *ctx = r->ctx;
    struct st_iql_select sel = *s->sel;
    struct st_iql_source *src = calloc(sel.nsources ? sel.nsources : 1, sizeof(*src));
    if (src == NULL)
        return ST_ENOMEM;
    const struct st_mcat *mc = st_mcli_acquire(ctx->meta);
    const char *deflt = NULL;
    const char *db = sel.into_db != NULL && sel.into_db[0] != '\0' ? sel.into_db : ctx->db;
    const Strata__Database *d = mc != NULL && db != NULL ? st_cat_database(mc->cat, db) : NULL;
    if (d != NULL && d->default_rp != NULL && d->default_rp[0] != '\0')
        deflt = d->default_rp;
    sel.into_db = db;
    if (sel.into_rp == NULL || sel.into_rp[0] == '\0')
        sel.into_rp = deflt;
    for (size_t i = 0; i < sel.nsources; i++) {
        src[i] = sel.sources[i];
        if (src[i].sub != NULL)
            continue;
        const char *sdb = src[i].db != NULL && src[i].db[0] != '\0' ? src[i].db : ctx->db;
        const Strata__Database *sd =
            mc != NULL && sdb != NULL ? st_cat_database(mc->cat, sdb) : NULL;
        src[i].db = sdb;
        if ((src[i].rp == NULL || src[i].rp[0] == '\0') && sd != NULL && sd->default_rp != NULL &&
            sd->default_rp[0] != '\0')
            src[i].rp = sd->default_rp;
    }
    sel.sources = src;
    struct st_iql_stmt copy = *s;
    copy.sel = &sel;
    int rv = st_iql_stmt_string(&copy, out);
    if (mc != NULL)
        st_mcli_release(ctx->meta, mc);
    free(src);
    return rv;
}

/* InfluxDB's warning on a command sent with GET. */
static int deprecation(struct qa_run *r, const struct st_iql_stmt *s)
{
    struct st_buf text;
    st_buf_init(&text);
    int rv = st_buf_puts(&text, "deprecated use of '");
    if (rv == ST_OK)
        rv = s->kind == ST_IQL_SELECT ? into_string(r, s, &text) : st_iql_stmt_string(s, &text);
    if (rv == ST_OK)
        rv = st_buf_puts(&text, "' in a read only context, please use a POST request instead");
    if (rv == ST_OK)
        rv = st_qout_message(r->out, "warning", text.p);
    st_buf_fini(&text);
    return rv;
}

/* Runs every statement into r->out. */
static int run_all(struct qa_run *r, const struct st_iql_query *q, int *status)
{
    int rv = ST_OK;
    bool stopped = false;
    for (size_t i = 0; rv == ST_OK && i < q->n; i++) {
        const struct st_iql_stmt *s = &q->stmts[i];
        rv = st_qout_begin_result(r->out, (int)i, shape(s));
        if (rv != ST_OK)
            break;
        if (stopped) {
            rv = st_qout_error(r->out, "not executed");
        } else {
            st_buf_reset(&r->err);
            int x = qa_exec(r, s);
            if (x == ST_OK) {
                if (r->ctx->get && is_command(s))
                    rv = deprecation(r, s);
            } else if (x == QA_FAIL || x == QA_FAIL_META) {
                rv = st_qout_error(r->out, r->err.p != NULL ? r->err.p : "");
                stopped = !qa_not_run(s);
                if (x == QA_FAIL_META)
                    *status = 500;
            } else {
                rv = x;
            }
        }
        if (rv == ST_OK)
            rv = st_qout_end_result(r->out);
    }
    return rv;
}

/* params=: a JSON object of scalars, decoded as InfluxDB's handler does
 * (numbers with a '.' are floats, the others integers). *@params point
 * into *@root. ST_EINVAL with the reason in @msg. */
static int decode_params(const char *text, json_t **root, struct st_iql_param **params, size_t *n,
                         char *msg, size_t msglen)
{
    json_error_t je;
    *root = json_loads(text, JSON_DECODE_ANY, &je);
    if (*root == NULL) {
        snprintf(msg, msglen, "%s", je.text);
        return ST_EINVAL;
    }
    if (!json_is_object(*root)) {
        snprintf(msg, msglen,
                 "json: cannot unmarshal %s into Go value of type map[string]interface {}",
                 json_is_array(*root)    ? "array"
                 : json_is_string(*root) ? "string"
                                         : "number");
        return ST_EINVAL;
    }
    size_t cap = json_object_size(*root);
    *params = calloc(cap ? cap : 1, sizeof(**params));
    if (*params == NULL)
        return ST_ENOMEM;
    const char *key;
    json_t *v;
    json_object_foreach(*root, key, v)
    {
        struct st_iql_param *p = &(*params)[*n];
        p->name = key;
        if (json_is_string(v)) {
            p->kind = ST_IQL_PARAM_STRING;
            p->s = json_string_value(v);
        } else if (json_is_integer(v)) {
            p->kind = ST_IQL_PARAM_INTEGER;
            p->i = (int64_t)json_integer_value(v);
        } else if (json_is_real(v)) {
            p->kind = ST_IQL_PARAM_NUMBER;
            p->f = json_real_value(v);
        } else if (json_is_boolean(v)) {
            p->kind = ST_IQL_PARAM_BOOLEAN;
            p->b = json_is_true(v);
        } else {
            continue; /* null, arrays, objects: not bound ("missing parameter") */
        }
        (*n)++;
    }
    return ST_OK;
}

/* A query parsed and authorized, ready to run (st_qadmin_prepare). */
struct st_qrun {
    struct qa_run r;
    const char *text; /* the query as sent (for SHOW QUERIES) */
    struct st_iql_query *query;
    const struct st_mcat *cat; /* with auth: held while r.viewer points into it */
    struct st_iql_param *params;
    json_t *pj; /* params= decoded; @params point into it */
};

void st_qadmin_free(st_qrun *run)
{
    if (run == NULL)
        return;
    if (run->cat != NULL)
        st_mcli_release(run->r.ctx->meta, run->cat);
    st_qout_free(run->r.out);
    st_iql_free(run->query);
    free(run->params);
    json_decref(run->pj);
    st_buf_fini(&run->r.err);
    free(run);
}

int st_qadmin_prepare(const struct st_qctx *ctx, const char *q, struct st_buf *out, int *status,
                      st_qrun **out_run)
{
    *out_run = NULL;
    *status = 200;
    st_qrun *run = calloc(1, sizeof *run);
    if (run == NULL)
        return ST_ENOMEM;
    run->r.ctx = ctx;
    run->text = q;
    st_buf_init(&run->r.err);
    struct st_buf perr;
    st_buf_init(&perr);
    size_t nparams = 0;
    bool answered = false;
    int rv = ST_OK;
    if (ctx->params != NULL && ctx->params[0] != '\0') {
        char jmsg[300];
        rv = decode_params(ctx->params, &run->pj, &run->params, &nparams, jmsg, sizeof jmsg);
        if (rv == ST_EINVAL) {
            *status = 400;
            answered = true;
            rv = error_body(ctx, out, "error parsing query parameters: ", jmsg, strlen(jmsg));
            goto done;
        }
        if (rv != ST_OK)
            goto done;
    }
    rv = st_iql_parse_params(q, strlen(q), run->params, nparams, &run->query, &perr);
    if (rv == ST_EPARSE) {
        *status = 400;
        answered = true;
        rv = error_body(ctx, out, "error parsing query: ", perr.p, perr.len);
        goto done;
    }
    if (rv != ST_OK)
        goto done;

    if (ctx->auth) {
        /* The snapshot is held to the end: r.viewer points into it. */
        run->cat = st_mcli_acquire(ctx->meta);
        if (run->cat == NULL) {
            static const char m[] = "meta service unavailable: no catalogue received yet";
            *status = 500;
            answered = true;
            rv = error_body(ctx, out, NULL, m, sizeof m - 1);
            goto done;
        }
        rv = authorize(&run->r, run->cat->cat, run->query, out, status, &answered);
        if (rv != ST_OK || answered)
            goto done;
    }
    rv = st_qout_new(ctx->format, ctx->epoch, ctx->pretty, ctx->chunked, ctx->chunk_size,
                     &run->r.out);
done:
    st_buf_fini(&perr);
    if (rv != ST_OK || answered) {
        st_qadmin_free(run);
        return rv;
    }
    *out_run = run;
    return ST_OK;
}

int st_qadmin_exec(st_qrun *run, st_qout_sink sink, void *arg, struct st_buf *out, int *status)
{
    *status = 200;
    if (sink != NULL)
        st_qout_set_sink(run->r.out, sink, arg);
    st_qreg *reg = run->r.ctx->qreg;
    uint64_t qid = 0;
    int rv =
        reg != NULL ? st_qreg_add(reg, run->text, run->r.ctx->db, &qid, &run->r.killed) : ST_OK;
    if (rv == ST_OK)
        rv = run_all(&run->r, run->query, status);
    if (reg != NULL && qid != 0)
        st_qreg_remove(reg, qid);
    run->r.killed = NULL;
    return rv == ST_OK ? st_qout_finish(run->r.out, out) : rv;
}

int st_qadmin_run(const struct st_qctx *ctx, const char *q, struct st_buf *out, int *status)
{
    st_qrun *run;
    int rv = st_qadmin_prepare(ctx, q, out, status, &run);
    if (rv == ST_OK && run != NULL)
        rv = st_qadmin_exec(run, NULL, NULL, out, status);
    st_qadmin_free(run);
    return rv;
}
