/* The executors of the catalogue statements: a meta command each, or a
 * read of the local catalogue copy.
 *
 * Commands go through st_mcli_apply(), which waits until the local copy
 * holds the change, so a SHOW later in the same query sees it. The checks
 * InfluxDB's statement executor makes before it reaches its meta store are
 * made here (name validity; CREATE USER of an existing user compares the
 * password); the others are the catalogue's, whose messages are
 * InfluxDB's and become the statement's error as they come.
 *
 * Refusals of the catalogue (NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT)
 * are ordinary statement errors. A command that found no leader or no
 * answer in time is QA_FAIL_META: the statement's error is the client
 * library's message and the HTTP status becomes 500 (qadmin.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "catalogue.h"
#include "err.h"
#include "qadmin_int.h"
#include "qjson.h"

static const char NO_CATALOGUE[] = "meta service unavailable: no catalogue received yet";

static int fail(struct qa_run *r, const char *msg)
{
    return st_buf_puts(&r->err, msg) == ST_OK ? QA_FAIL : ST_ENOMEM;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* InfluxDB's meta.ValidName, on bytes (the catalogue applies the same). */
static bool valid_name(const char *s)
{
    if (s[0] == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return false;
    return true;
}

static int apply(struct qa_run *r, const Strata__Command *cmd)
{
    char err[1024] = "";
    int rv = st_mcli_apply(r->ctx->meta, cmd, r->ctx->timeout_ms, NULL, err, sizeof err);
    switch (rv) {
    case ST_OK:
        return ST_OK;
    case ST_ENOMEM:
        return ST_ENOMEM;
    case ST_ENOTFOUND:
    case ST_EEXIST:
    case ST_EINVAL:
    case ST_ERANGE:
        return fail(r, err);
    default:
        return fail(r, err[0] ? err : st_strerror(rv)) == QA_FAIL ? QA_FAIL_META : ST_ENOMEM;
    }
}

/* Runs @fn on a fresh snapshot of the local catalogue copy. */
static int with_catalogue(struct qa_run *r, const struct st_iql_stmt *s,
                          int (*fn)(struct qa_run *r, const struct st_iql_stmt *s,
                                    const Strata__Catalogue *cat))
{
    const struct st_mcat *m = st_mcli_acquire(r->ctx->meta);
    if (m == NULL)
        return fail(r, NO_CATALOGUE) == QA_FAIL ? QA_FAIL_META : ST_ENOMEM;
    int rv = fn(r, s, m->cat);
    st_mcli_release(r->ctx->meta, m);
    return rv;
}

/* Series ---------------------------------------------------------------------- */

static struct st_qv qv_str(const char *p)
{
    struct st_qv v = {.kind = ST_QV_STRING, .s = {p, strlen(p)}};
    return v;
}

static struct st_qv qv_bool(bool b)
{
    struct st_qv v = {.kind = ST_QV_BOOL, .b = b};
    return v;
}

/* Databases --------------------------------------------------------------------- */

static int fill_from(const Strata__Catalogue *cat, const struct st_iql_stmt *s,
                     Strata__RetentionPolicy *rp)
{
    /* InfluxDB compares a WITH clause against the database's policy of
     * that name (autogen when unnamed) option by option, and an option
     * left out matches anything: the catalogue compares whole policies,
     * so options left out are taken from the existing policy. */
    const char *name = s->rp_name && s->rp_name[0] ? s->rp_name : "autogen";
    const Strata__RetentionPolicy *old =
        cat && st_cat_database(cat, s->name) ? st_cat_rp(cat, s->name, name) : NULL;
    rp->name = (char *)(s->rp_name ? s->rp_name : "");
    rp->duration_ns = s->rp.has_duration ? s->rp.duration_ns : old ? old->duration_ns : 0;
    rp->replication_factor = s->rp.has_replication ? (uint32_t)s->rp.replication
                             : old                 ? old->replication_factor
                                                   : 0;
    rp->shard_group_duration_ns = s->rp.has_shard_duration ? s->rp.shard_duration_ns : 0;
    return ST_OK;
}

static int create_database(struct qa_run *r, const struct st_iql_stmt *s)
{
    if (!valid_name(s->name))
        return fail(r, "invalid name");
    if (s->with && s->rp_name != NULL && s->rp_name[0] != '\0' && !valid_name(s->rp_name))
        return fail(r, "invalid name");
    Strata__CreateDatabase cd = STRATA__CREATE_DATABASE__INIT;
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    cd.name = (char *)s->name;
    if (s->with) {
        const struct st_mcat *m = st_mcli_acquire(r->ctx->meta);
        fill_from(m ? m->cat : NULL, s, &rp);
        if (m != NULL)
            st_mcli_release(r->ctx->meta, m);
        cd.default_rp = &rp; /* without WITH: NULL, the catalogue's autogen */
    }
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &cd;
    return apply(r, &cmd);
}

static int drop_database(struct qa_run *r, const struct st_iql_stmt *s)
{
    Strata__DropDatabase dd = STRATA__DROP_DATABASE__INIT;
    dd.name = (char *)s->name;
    dd.deleted_at_ns = now_ns();
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_DROP_DATABASE;
    cmd.drop_database = &dd;
    return apply(r, &cmd);
}

static int show_databases(struct qa_run *r, const struct st_iql_stmt *s,
                          const Strata__Catalogue *cat)
{
    (void)s;
    static const char *const cols[] = {"name"};
    int rv = st_qout_begin_series(r->out, "databases", NULL, 0, cols, 1);
    for (size_t i = 0; rv == ST_OK && i < cat->n_databases; i++) {
        const char *name = cat->databases[i]->name;
        if (r->viewer != NULL && !st_auth_may(r->viewer, name, ST_AUTH_NEED_READ) &&
            !st_auth_may(r->viewer, name, ST_AUTH_NEED_WRITE))
            continue;
        struct st_qv v = qv_str(name);
        rv = st_qout_row(r->out, &v, 1);
    }
    return rv == ST_OK ? st_qout_end_series(r->out) : rv;
}

/* SHOW QUERIES: InfluxDB's columns, the running queries of this router
 * (this one included), oldest first. */
struct sq {
    struct qa_run *r;
    struct st_buf dur;
};

static int one_query(void *arg, const struct st_qreg_query *q)
{
    struct sq *x = arg;
    st_buf_reset(&x->dur);
    int rv = st_qreg_duration(&x->dur, q->duration_ns);
    struct st_qv row[5] = {{.kind = ST_QV_INT, .i = (int64_t)q->qid},
                           qv_str(q->text),
                           qv_str(q->db),
                           {.kind = ST_QV_STRING, .s = {x->dur.p ? x->dur.p : "", x->dur.len}},
                           qv_str(q->killed ? "killed" : "running")};
    return rv == ST_OK ? st_qout_row(x->r->out, row, 5) : rv;
}

static int show_queries(struct qa_run *r)
{
    static const char *const cols[] = {"qid", "query", "database", "duration", "status"};
    struct sq x = {.r = r};
    st_buf_init(&x.dur);
    int rv = st_qout_begin_series(r->out, NULL, NULL, 0, cols, 5);
    if (rv == ST_OK)
        rv = st_qreg_each(r->ctx->qreg, one_query, &x);
    if (rv == ST_OK)
        rv = st_qout_end_series(r->out);
    st_buf_fini(&x.dur);
    return rv;
}

/* KILL QUERY n [ON host]: the id is the third word of the statement. */
static int kill_query(struct qa_run *r, const struct st_iql_stmt *s)
{
    const char *p = s->text;
    for (int w = 0; w < 2; w++) { /* skip KILL and QUERY */
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
    }
    uint64_t qid = strtoull(p, NULL, 10);
    if (st_qreg_kill(r->ctx->qreg, qid))
        return ST_OK;
    return st_buf_printf(&r->err, "no such query id: %" PRIu64, qid) == ST_OK ? QA_FAIL : ST_ENOMEM;
}

/* SHOW CONTINUOUS QUERIES: a series per database the viewer may see, with
 * InfluxDB's columns and no query. */
static int show_cqs(struct qa_run *r, const struct st_iql_stmt *s, const Strata__Catalogue *cat)
{
    (void)s;
    static const char *const cols[] = {"name", "query"};
    int rv = ST_OK;
    for (size_t i = 0; rv == ST_OK && i < cat->n_databases; i++) {
        const char *name = cat->databases[i]->name;
        if (r->viewer != NULL && !st_auth_may(r->viewer, name, ST_AUTH_NEED_READ) &&
            !st_auth_may(r->viewer, name, ST_AUTH_NEED_WRITE))
            continue;
        rv = st_qout_begin_series(r->out, name, NULL, 0, cols, 2);
        if (rv == ST_OK)
            rv = st_qout_end_series(r->out);
    }
    return rv;
}

/* Retention policies --------------------------------------------------------------- */

static int create_rp(struct qa_run *r, const struct st_iql_stmt *s)
{
    if (!valid_name(s->name))
        return fail(r, "invalid name");
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    rp.name = (char *)s->name;
    rp.duration_ns = s->rp.duration_ns;
    rp.shard_group_duration_ns = s->rp.has_shard_duration ? s->rp.shard_duration_ns : 0;
    rp.replication_factor = (uint32_t)s->rp.replication;
    Strata__CreateRetentionPolicy c = STRATA__CREATE_RETENTION_POLICY__INIT;
    c.database = (char *)s->db;
    c.rp = &rp;
    c.make_default = s->rp.is_default;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_RETENTION_POLICY;
    cmd.create_retention_policy = &c;
    return apply(r, &cmd);
}

static int alter_rp(struct qa_run *r, const struct st_iql_stmt *s)
{
    Strata__AlterRetentionPolicy a = STRATA__ALTER_RETENTION_POLICY__INIT;
    a.database = (char *)s->db;
    a.name = (char *)s->name;
    a.set_duration = s->rp.has_duration;
    a.duration_ns = s->rp.duration_ns;
    a.set_shard_group_duration = s->rp.has_shard_duration;
    a.shard_group_duration_ns = s->rp.shard_duration_ns;
    a.set_replication_factor = s->rp.has_replication;
    a.replication_factor = (uint32_t)s->rp.replication;
    a.make_default = s->rp.is_default;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_ALTER_RETENTION_POLICY;
    cmd.alter_retention_policy = &a;
    return apply(r, &cmd);
}

static int drop_rp(struct qa_run *r, const struct st_iql_stmt *s)
{
    Strata__DropRetentionPolicy d = STRATA__DROP_RETENTION_POLICY__INIT;
    d.database = (char *)s->db;
    d.name = (char *)s->name;
    d.deleted_at_ns = now_ns();
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_DROP_RETENTION_POLICY;
    cmd.drop_retention_policy = &d;
    return apply(r, &cmd);
}

/* The database SHOW RETENTION POLICIES is about: ON db, else db=. */
static const char *rps_db(const struct qa_run *r, const struct st_iql_stmt *s)
{
    return s->db != NULL && s->db[0] != '\0' ? s->db : r->ctx->db;
}

static int show_rps(struct qa_run *r, const struct st_iql_stmt *s, const Strata__Catalogue *cat)
{
    static const char *const cols[] = {"name", "duration", "shardGroupDuration", "replicaN",
                                       "default"};
    const char *name = rps_db(r, s);
    const Strata__Database *db = st_cat_database(cat, name);
    if (db == NULL) {
        int rv = st_buf_printf(&r->err, "database not found: %s", name);
        return rv == ST_OK ? QA_FAIL : ST_ENOMEM;
    }
    struct st_buf dur, sgd;
    st_buf_init(&dur);
    st_buf_init(&sgd);
    int rv = st_qout_begin_series(r->out, NULL, NULL, 0, cols, 5);
    for (size_t i = 0; rv == ST_OK && i < db->n_retention_policies; i++) {
        const Strata__RetentionPolicy *rp = db->retention_policies[i];
        st_buf_reset(&dur);
        st_buf_reset(&sgd);
        rv = st_iql_go_duration(&dur, rp->duration_ns);
        if (rv == ST_OK)
            rv = st_iql_go_duration(&sgd, rp->shard_group_duration_ns);
        if (rv != ST_OK)
            break;
        struct st_qv v[5] = {qv_str(rp->name),
                             qv_str(dur.p),
                             qv_str(sgd.p),
                             {.kind = ST_QV_INT, .i = rp->replication_factor},
                             qv_bool(strcmp(db->default_rp, rp->name) == 0)};
        rv = st_qout_row(r->out, v, 5);
    }
    st_buf_fini(&dur);
    st_buf_fini(&sgd);
    return rv == ST_OK ? st_qout_end_series(r->out) : rv;
}

/* Users ------------------------------------------------------------------------------- */

/* CREATE USER of an existing user succeeds when the password and the admin
 * flag are the same, as InfluxDB's meta client decides before proposing.
 * *@done: decided here. */
static int existing_user(struct qa_run *r, const struct st_iql_stmt *s, bool *done)
{
    *done = false;
    const struct st_mcat *m = st_mcli_acquire(r->ctx->meta);
    if (m == NULL)
        return ST_OK; /* the catalogue will decide */
    const Strata__User *u = st_auth_user(m->cat, s->name);
    int rv = ST_OK;
    if (u != NULL) {
        *done = true;
        if (u->admin != s->admin || !st_auth_verify(s->password, u->password_hash))
            rv = fail(r, "user already exists");
    }
    st_mcli_release(r->ctx->meta, m);
    return rv;
}

static int hash_password(struct qa_run *r, const char *password, char *out, size_t outlen)
{
    int rv = st_auth_hash(password, out, outlen);
    if (rv == ST_ENOMEM)
        return rv;
    if (rv != ST_OK) /* UNTESTED: bcrypt does not fail */
        return st_buf_printf(&r->err, "password hash: %s", st_strerror(rv)) == ST_OK ? QA_FAIL
                                                                                     : ST_ENOMEM;
    return ST_OK;
}

static int create_user(struct qa_run *r, const struct st_iql_stmt *s)
{
    if (s->name[0] == '\0')
        return fail(r, "username required");
    bool done;
    int rv = existing_user(r, s, &done);
    if (rv != ST_OK || done)
        return rv;
    char hash[128];
    if ((rv = hash_password(r, s->password, hash, sizeof hash)) != ST_OK)
        return rv;
    Strata__CreateUser c = STRATA__CREATE_USER__INIT;
    c.name = (char *)s->name;
    c.password_hash = hash;
    c.admin = s->admin;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_USER;
    cmd.create_user = &c;
    return apply(r, &cmd);
}

static int drop_user(struct qa_run *r, const struct st_iql_stmt *s)
{
    Strata__DropUser d = STRATA__DROP_USER__INIT;
    d.name = (char *)s->name;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_DROP_USER;
    cmd.drop_user = &d;
    return apply(r, &cmd);
}

static int set_password(struct qa_run *r, const struct st_iql_stmt *s)
{
    char hash[128];
    int rv = hash_password(r, s->password, hash, sizeof hash);
    if (rv != ST_OK)
        return rv;
    Strata__SetPassword sp = STRATA__SET_PASSWORD__INIT;
    sp.name = (char *)s->name;
    sp.password_hash = hash;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_SET_PASSWORD;
    cmd.set_password = &sp;
    return apply(r, &cmd);
}

static int grant_revoke(struct qa_run *r, const struct st_iql_stmt *s)
{
    Strata__Grant g = STRATA__GRANT__INIT;
    Strata__Revoke v = STRATA__REVOKE__INIT;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    if (s->kind == ST_IQL_GRANT) {
        g.user = (char *)s->name;
        g.database = (char *)s->db;
        g.privilege = (Strata__Privilege)s->priv;
        cmd.cmd_case = STRATA__COMMAND__CMD_GRANT;
        cmd.grant = &g;
    } else {
        v.user = (char *)s->name;
        v.database = (char *)s->db;
        v.privilege = (Strata__Privilege)s->priv;
        cmd.cmd_case = STRATA__COMMAND__CMD_REVOKE;
        cmd.revoke = &v;
    }
    return apply(r, &cmd);
}

static int set_admin(struct qa_run *r, const struct st_iql_stmt *s)
{
    Strata__SetAdmin a = STRATA__SET_ADMIN__INIT;
    a.user = (char *)s->name;
    a.admin = s->kind == ST_IQL_GRANT_ADMIN;
    Strata__Command cmd = STRATA__COMMAND__INIT;
    cmd.cmd_case = STRATA__COMMAND__CMD_SET_ADMIN;
    cmd.set_admin = &a;
    return apply(r, &cmd);
}

static int show_users(struct qa_run *r, const struct st_iql_stmt *s, const Strata__Catalogue *cat)
{
    (void)s;
    static const char *const cols[] = {"user", "admin"};
    int rv = st_qout_begin_series(r->out, NULL, NULL, 0, cols, 2);
    for (size_t i = 0; rv == ST_OK && i < cat->n_users; i++) {
        struct st_qv v[2] = {qv_str(cat->users[i]->name), qv_bool(cat->users[i]->admin)};
        rv = st_qout_row(r->out, v, 2);
    }
    return rv == ST_OK ? st_qout_end_series(r->out) : rv;
}

static int show_grants(struct qa_run *r, const struct st_iql_stmt *s, const Strata__Catalogue *cat)
{
    static const char *const cols[] = {"database", "privilege"};
    const Strata__User *u = st_auth_user(cat, s->name);
    if (u == NULL)
        return fail(r, "user not found");
    int rv = st_qout_begin_series(r->out, NULL, NULL, 0, cols, 2);
    for (size_t i = 0; rv == ST_OK && i < u->n_privileges; i++) {
        const Strata__UserPrivilege *p = u->privileges[i];
        struct st_qv v[2] = {qv_str(p->database),
                             qv_str(st_iql_priv_name((enum st_iql_priv)p->privilege))};
        rv = st_qout_row(r->out, v, 2);
    }
    return rv == ST_OK ? st_qout_end_series(r->out) : rv;
}

/* Dispatch ------------------------------------------------------------------------------- */

int qa_exec(struct qa_run *r, const struct st_iql_stmt *s)
{
    switch (s->kind) {
    case ST_IQL_SELECT:
        return qa_select(r, s);
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
        return qa_show_data(r, s);
    case ST_IQL_SHOW_SHARDS:
    case ST_IQL_SHOW_SHARD_GROUPS:
        return qa_show_shards(r, s);
    case ST_IQL_DROP_MEASUREMENT:
    case ST_IQL_DROP_SERIES:
    case ST_IQL_DELETE:
        return qa_delete(r, s);
    case ST_IQL_UNSUPPORTED: {
        /* strata has no continuous queries and no subscriptions: the
         * listings are InfluxDB's answers for none (tools ask for them). */
        if (strcmp(s->what, "SHOW CONTINUOUS QUERIES") == 0)
            return with_catalogue(r, s, show_cqs);
        if (strcmp(s->what, "SHOW SUBSCRIPTIONS") == 0)
            return ST_OK;
        if (strcmp(s->what, "SHOW QUERIES") == 0 && r->ctx->qreg != NULL)
            return show_queries(r);
        if (strcmp(s->what, "KILL QUERY") == 0 && r->ctx->qreg != NULL)
            return kill_query(r, s);
        int rv = st_buf_printf(&r->err, "not implemented yet: %s", s->what);
        return rv == ST_OK ? QA_FAIL : ST_ENOMEM;
    }
    case ST_IQL_CREATE_DATABASE:
        return create_database(r, s);
    case ST_IQL_DROP_DATABASE:
        return drop_database(r, s);
    case ST_IQL_SHOW_DATABASES:
        return with_catalogue(r, s, show_databases);
    case ST_IQL_CREATE_RP:
        return create_rp(r, s);
    case ST_IQL_ALTER_RP:
        return alter_rp(r, s);
    case ST_IQL_DROP_RP:
        return drop_rp(r, s);
    case ST_IQL_SHOW_RPS: {
        const char *db = rps_db(r, s);
        if (db == NULL || db[0] == '\0')
            return fail(r, "database name required");
        return with_catalogue(r, s, show_rps);
    }
    case ST_IQL_CREATE_USER:
        return create_user(r, s);
    case ST_IQL_DROP_USER:
        return drop_user(r, s);
    case ST_IQL_SET_PASSWORD:
        return set_password(r, s);
    case ST_IQL_GRANT:
    case ST_IQL_REVOKE:
        return grant_revoke(r, s);
    case ST_IQL_GRANT_ADMIN:
    case ST_IQL_REVOKE_ADMIN:
        return set_admin(r, s);
    case ST_IQL_SHOW_USERS:
        return with_catalogue(r, s, show_users);
    case ST_IQL_SHOW_GRANTS:
        return with_catalogue(r, s, show_grants);
    }
    return fail(r, "unknown statement"); /* UNTESTED: the parser makes no other kind */
}
