/* One /query request: parse, authorize, run each statement, write the answer.
 *
 * The answer is built compact, in InfluxDB's key order ({"statement_id",
 * "series", "messages", "error"}), with Go's string escaping, then
 * re-indented for pretty=true, and ends with a newline, as InfluxDB's
 * handler writes it.
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
#include <string.h>

#include "auth.h"
#include "err.h"
#include "qadmin_int.h"
#include "qjson.h"

/* Writes {"error":@msg} (the whole body). */
static int error_body(struct st_buf *b, const char *prefix, const char *msg, size_t len)
{
    int rv = st_buf_puts(b, "{\"error\":");
    if (rv != ST_OK)
        return rv;
    if (prefix != NULL) {
        struct st_buf full;
        st_buf_init(&full);
        rv = st_buf_puts(&full, prefix);
        if (rv == ST_OK)
            rv = st_buf_append(&full, msg, len);
        if (rv == ST_OK)
            rv = st_qjson_str(b, full.p, full.len);
        st_buf_fini(&full);
    } else {
        rv = st_qjson_str(b, msg, len);
    }
    return rv == ST_OK ? st_buf_putc(b, '}') : rv;
}

/* Authorization ---------------------------------------------------------------- */

/* The privilege a non-admin needs for @s: ADMIN, READ or WRITE on *@db,
 * or NONE. */
static enum st_auth_need needs(const struct st_qctx *ctx, const struct st_iql_stmt *s,
                               const char **db)
{
    *db = NULL;
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
        return error_body(out, PREFIX, m, sizeof m - 1);
    }
    if (ctx->user == NULL) {
        *status = 403;
        return error_body(out, PREFIX, "no user provided", strlen("no user provided"));
    }
    const Strata__User *u = st_auth_user(cat, ctx->user);
    if (u == NULL) {
        /* Dropped since the HTTP layer authenticated it. */
        *status = 401;
        return error_body(out, NULL, "authorization failed", strlen("authorization failed"));
    }
    if (!u->admin) {
        for (size_t i = 0; i < q->n; i++) {
            const char *db;
            enum st_auth_need need = needs(ctx, &q->stmts[i], &db);
            if (st_auth_may(u, db, need))
                continue;
            struct st_buf msg;
            st_buf_init(&msg);
            int rv = refusal(&msg, u, &q->stmts[i], need, db);
            if (rv == ST_OK)
                rv = error_body(out, PREFIX, msg.p, msg.len);
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
    case ST_IQL_SELECT:
    case ST_IQL_SHOW_MEASUREMENTS:
    case ST_IQL_SHOW_TAG_KEYS:
    case ST_IQL_SHOW_TAG_VALUES:
    case ST_IQL_SHOW_FIELD_KEYS:
    case ST_IQL_SHOW_SERIES:
    case ST_IQL_SHOW_SHARDS:
    case ST_IQL_SHOW_SHARD_GROUPS:
        return false;
    default:
        return true;
    }
}

static int result_error(struct st_buf *b, size_t id, const char *msg, size_t len)
{
    int rv = st_buf_printf(b, "{\"statement_id\":%zu,\"error\":", id);
    if (rv == ST_OK)
        rv = st_qjson_str(b, msg, len);
    return rv == ST_OK ? st_buf_putc(b, '}') : rv;
}

static int result_ok(struct qa_run *r, struct st_buf *b, size_t id, const struct st_iql_stmt *s)
{
    int rv = st_buf_printf(b, "{\"statement_id\":%zu", id);
    if (rv == ST_OK && r->series.len > 0) {
        rv = st_buf_puts(b, ",\"series\":[");
        if (rv == ST_OK)
            rv = st_buf_append(b, r->series.p, r->series.len);
        if (rv == ST_OK)
            rv = st_buf_putc(b, ']');
    }
    if (rv == ST_OK && r->ctx->get && is_command(s)) {
        struct st_buf text;
        st_buf_init(&text);
        rv = st_buf_puts(&text, "deprecated use of '");
        if (rv == ST_OK)
            rv = st_iql_stmt_string(s, &text);
        if (rv == ST_OK)
            rv = st_buf_puts(&text, "' in a read only context, please use a POST request instead");
        if (rv == ST_OK)
            rv = st_buf_puts(b, ",\"messages\":[{\"level\":\"warning\",\"text\":");
        if (rv == ST_OK)
            rv = st_qjson_str(b, text.p, text.len);
        if (rv == ST_OK)
            rv = st_buf_puts(b, "}]");
        st_buf_fini(&text);
    }
    return rv == ST_OK ? st_buf_putc(b, '}') : rv;
}

/* Runs every statement; appends {"results":[...]} (or {}) to @b. */
static int run_all(struct qa_run *r, const struct st_iql_query *q, struct st_buf *b, int *status)
{
    if (q->n == 0)
        return st_buf_puts(b, "{}");
    int rv = st_buf_puts(b, "{\"results\":[");
    bool stopped = false;
    for (size_t i = 0; rv == ST_OK && i < q->n; i++) {
        const struct st_iql_stmt *s = &q->stmts[i];
        if (i > 0 && (rv = st_buf_putc(b, ',')) != ST_OK)
            break;
        if (stopped) {
            rv = result_error(b, i, "not executed", strlen("not executed"));
            continue;
        }
        st_buf_reset(&r->series);
        st_buf_reset(&r->err);
        int x = qa_exec(r, s);
        if (x == ST_OK) {
            rv = result_ok(r, b, i, s);
        } else if (x == QA_FAIL || x == QA_FAIL_META) {
            rv = result_error(b, i, r->err.p, r->err.len);
            stopped = !qa_not_run(s);
            if (x == QA_FAIL_META)
                *status = 500;
        } else {
            rv = x;
        }
    }
    return rv == ST_OK ? st_buf_puts(b, "]}") : rv;
}

int st_qadmin_run(const struct st_qctx *ctx, const char *q, struct st_buf *out, int *status)
{
    struct qa_run r = {.ctx = ctx};
    st_buf_init(&r.series);
    st_buf_init(&r.err);
    struct st_buf body, perr;
    st_buf_init(&body);
    st_buf_init(&perr);
    struct st_iql_query *query = NULL;
    const struct st_mcat *cat = NULL;
    *status = 200;

    int rv = st_iql_parse(q, strlen(q), &query, &perr);
    if (rv == ST_EPARSE) {
        *status = 400;
        rv = error_body(&body, "error parsing query: ", perr.p, perr.len);
        goto answer;
    }
    if (rv != ST_OK)
        goto done;

    if (ctx->auth) {
        /* The snapshot is held to the end: r.viewer points into it. */
        cat = st_mcli_acquire(ctx->meta);
        if (cat == NULL) {
            static const char m[] = "meta service unavailable: no catalogue received yet";
            *status = 500;
            rv = error_body(&body, NULL, m, sizeof m - 1);
            goto answer;
        }
        bool answered;
        rv = authorize(&r, cat->cat, query, &body, status, &answered);
        if (rv != ST_OK || answered)
            goto answer;
    }
    rv = run_all(&r, query, &body, status);

answer:
    if (rv == ST_OK)
        rv = ctx->pretty ? st_qjson_indent(out, body.p, body.len)
                         : st_buf_append(out, body.p, body.len);
    if (rv == ST_OK)
        rv = st_buf_putc(out, '\n');
done:
    if (cat != NULL)
        st_mcli_release(ctx->meta, cat);
    st_iql_free(query);
    st_buf_fini(&perr);
    st_buf_fini(&body);
    st_buf_fini(&r.series);
    st_buf_fini(&r.err);
    return rv;
}
