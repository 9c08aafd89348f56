/* st_qadmin_run against a real strata-meta on loopback: every catalogue
 * statement, the JSON bodies byte for byte (as recorded from InfluxDB
 * 1.6.7 where strata answers the same; docs/influxql.md lists where it
 * does not), the authorization rules, and meta being unreachable.
 *
 * Each TCase starts its own strata-meta in the parent process (an
 * unchecked fixture); each test opens its own meta client in its forked
 * child. Expected bodies are written with ` for " to keep them readable. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "client.h"
#include "err.h"
#include "proc.h"
#include "qadmin.h"
#include "testlib.h"

struct meta {
    char *dir;
    char url[64], raft[64];
    pid_t pid;
};
static struct meta M;

static void meta_up(void)
{
    memset(&M, 0, sizeof M);
    M.dir = t_tmpdir("strata-qadmin");
    ck_assert_ptr_nonnull(M.dir);
    snprintf(M.url, sizeof M.url, "tcp://127.0.0.1:%d", t_free_port());
    snprintf(M.raft, sizeof M.raft, "127.0.0.1:%d", t_free_port());
    char dir[4200], ready[4200], log[4200], members[256];
    snprintf(dir, sizeof dir, "%s/meta", M.dir);
    snprintf(ready, sizeof ready, "%s/meta.ready", M.dir);
    snprintf(log, sizeof log, "%s/meta.log", M.dir);
    snprintf(members, sizeof members, "1=%s=%s", M.raft, M.url);
    char *argv[] = {(char *)t_build_path("meta/strata-meta"),
                    "--id",
                    "1",
                    "--dir",
                    dir,
                    "--raft",
                    M.raft,
                    "--listen",
                    M.url,
                    "--members",
                    members,
                    "--election-timeout-ms",
                    "300",
                    "--ready-file",
                    ready,
                    NULL};
    M.pid = t_proc_start(argv, log);
    ck_assert_msg(t_wait_file(ready, M.pid, 20000), "strata-meta did not start (see %s)", log);
}

static void meta_down(void)
{
    if (M.pid > 0)
        t_proc_kill(M.pid, SIGTERM, true);
    if (M.dir != NULL && getenv("ST_KEEP_TMP") == NULL)
        t_rmtree(M.dir);
    free(M.dir);
    M.dir = NULL;
}

struct fixture {
    st_mcli *mc;
    struct st_qctx ctx;
    struct st_buf out;
    char want[8192];
    int status;
};
static struct fixture f;

static void open_client(const char *url, bool wait)
{
    memset(&f, 0, sizeof f);
    st_buf_init(&f.out);
    const char *addrs[] = {url};
    struct st_mcli_opts o = {.addrs = addrs, .naddrs = 1, .watch_ms = 1000};
    char err[256] = "";
    ck_assert_msg(st_mcli_open(&o, &f.mc, err, sizeof err) == ST_OK, "%s", err);
    if (wait)
        ck_assert_int_eq(st_mcli_wait(f.mc, 1, 20000), ST_OK);
    f.ctx.meta = f.mc;
    f.ctx.timeout_ms = 10000;
}

static void setup(void)
{
    open_client(M.url, true);
}

static void teardown(void)
{
    st_mcli_close(f.mc);
    st_buf_fini(&f.out);
}

/* Runs @q; the body is returned, the status left in f.status. */
static const char *RUN(const char *q)
{
    st_buf_reset(&f.out);
    f.status = -1;
    ck_assert_int_eq(st_qadmin_run(&f.ctx, q, &f.out, &f.status), ST_OK);
    return f.out.p;
}

/* @json with ` for ", plus the final newline. */
static const char *J(const char *json)
{
    size_t n = strlen(json);
    ck_assert_uint_lt(n + 2, sizeof f.want);
    for (size_t i = 0; i < n; i++)
        f.want[i] = json[i] == '`' ? '"' : json[i];
    f.want[n] = '\n';
    f.want[n + 1] = '\0';
    return f.want;
}

#define EXPECT_STATUS(code, q, json)                                                     \
    do {                                                                                 \
        const char *got_ = RUN(q);                                                       \
        const char *want_ = J(json);                                                     \
        ck_assert_msg(strcmp(got_, want_) == 0, "%s:\n got %s want %s", q, got_, want_); \
        ck_assert_msg(f.status == (code), "%s: status %d", q, f.status);                 \
    } while (0)
#define EXPECT(q, json) EXPECT_STATUS(200, q, json)

/* A command answered {"statement_id":0}. */
#define OK0 "{`results`:[{`statement_id`:0}]}"
/* A one-statement error. */
#define ERR0(msg) "{`results`:[{`statement_id`:0,`error`:`" msg "`}]}"
#define RPS_COLS "`columns`:[`name`,`duration`,`shardGroupDuration`,`replicaN`,`default`]"

START_TEST(test_databases)
{
    EXPECT("SHOW DATABASES",
           "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,`columns`:[`name`]}]}]}");
    EXPECT("CREATE DATABASE db1", OK0);
    EXPECT("CREATE DATABASE db1", OK0);
    EXPECT("CREATE DATABASE \"\"", ERR0("invalid name"));
    EXPECT("CREATE DATABASE \"a/b\"", ERR0("invalid name"));
    EXPECT("CREATE DATABASE \".\"", ERR0("invalid name"));
    EXPECT("CREATE DATABASE x WITH NAME \"r/s\"", ERR0("invalid name"));
    EXPECT("SHOW DATABASES", "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,"
                             "`columns`:[`name`],`values`:[[`db1`]]}]}]}");
    EXPECT("SHOW RETENTION POLICIES ON db1", "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
                                             ",`values`:[[`autogen`,`0s`,`168h0m0s`,1,true]]}]}]}");

    /* WITH: created once, then the same again is fine; options left out
     * match the existing policy's only where InfluxDB's would. */
    EXPECT("CREATE DATABASE e2 WITH DURATION 1d REPLICATION 2 SHARD DURATION 2h NAME rr", OK0);
    EXPECT("SHOW RETENTION POLICIES ON e2", "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
                                            ",`values`:[[`rr`,`24h0m0s`,`2h0m0s`,2,true]]}]}]}");
    EXPECT("CREATE DATABASE e2 WITH DURATION 1d REPLICATION 2 SHARD DURATION 2h NAME rr", OK0);
    EXPECT("CREATE DATABASE e2 WITH SHARD DURATION 2h NAME rr", OK0);
    EXPECT("CREATE DATABASE e2", OK0);
    EXPECT("CREATE DATABASE e2 WITH NAME rr",
           ERR0("retention policy conflicts with an existing policy"));
    EXPECT("CREATE DATABASE e2 WITH DURATION 1d NAME rr",
           ERR0("retention policy conflicts with an existing policy"));
    EXPECT("CREATE DATABASE e2 WITH REPLICATION 2 NAME rr",
           ERR0("retention policy conflicts with an existing policy"));
    EXPECT("CREATE DATABASE e2 WITH DURATION 1d",
           ERR0("retention policy conflicts with an existing policy"));
    /* A policy that matches but is not the default conflicts too. */
    EXPECT("CREATE RETENTION POLICY r2 ON e2 DURATION 2d REPLICATION 1", OK0);
    EXPECT("CREATE DATABASE e2 WITH DURATION 2d REPLICATION 1 NAME r2",
           ERR0("retention policy conflicts with an existing policy"));
    EXPECT("CREATE DATABASE e9 WITH DURATION 30m",
           ERR0("retention policy duration must be at least 1h0m0s"));
    EXPECT("CREATE DATABASE e9 WITH DURATION 1h SHARD DURATION 2h",
           ERR0("retention policy duration must be greater than the shard duration"));
    EXPECT("CREATE DATABASE e3 WITH NAME x", OK0);
    EXPECT("SHOW RETENTION POLICIES ON e3", "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
                                            ",`values`:[[`x`,`0s`,`168h0m0s`,1,true]]}]}]}");
    EXPECT("CREATE DATABASE e4 WITH SHARD DURATION 30m", OK0);
    EXPECT("SHOW RETENTION POLICIES ON e4", "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
                                            ",`values`:[[`autogen`,`0s`,`1h0m0s`,1,true]]}]}]}");
    EXPECT("DROP DATABASE nodb", OK0);
    EXPECT("DROP DATABASE e2", OK0);
    EXPECT("SHOW DATABASES", "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,"
                             "`columns`:[`name`],`values`:[[`db1`],[`e3`],[`e4`]]}]}]}");

    /* SHOW RETENTION POLICIES without ON uses db= */
    EXPECT("SHOW RETENTION POLICIES", ERR0("database name required"));
    f.ctx.db = "e3";
    EXPECT("SHOW RETENTION POLICIES", "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
                                      ",`values`:[[`x`,`0s`,`168h0m0s`,1,true]]}]}]}");
    f.ctx.db = "nope";
    EXPECT("SHOW RETENTION POLICIES", ERR0("database not found: nope"));
    EXPECT("SHOW RETENTION POLICIES ON e4", "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
                                            ",`values`:[[`autogen`,`0s`,`1h0m0s`,1,true]]}]}]}");
    /* DROP RETENTION POLICY of the only policy leaves none */
    EXPECT("DROP RETENTION POLICY x ON e3", OK0);
    EXPECT("SHOW RETENTION POLICIES ON e3",
           "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS "}]}]}");
}
END_TEST

START_TEST(test_retention_policies)
{
    EXPECT("CREATE DATABASE e1", OK0);
    EXPECT("CREATE RETENTION POLICY r1 ON e1 DURATION 1d REPLICATION 1", OK0);
    EXPECT("CREATE RETENTION POLICY r2 ON e1 DURATION 90m REPLICATION 3 SHARD DURATION 30m DEFAULT",
           OK0);
    EXPECT("CREATE RETENTION POLICY r3 ON e1 DURATION 1w REPLICATION 1 SHARD DURATION 1ms", OK0);
    EXPECT("CREATE RETENTION POLICY r4 ON e1 DURATION 1h REPLICATION 1 SHARD DURATION 2h",
           ERR0("retention policy duration must be greater than the shard duration"));
    EXPECT("CREATE RETENTION POLICY r5 ON e1 DURATION 200d REPLICATION 1", OK0);
    EXPECT("CREATE RETENTION POLICY r6 ON e1 DURATION 3d REPLICATION 1", OK0);
    EXPECT("CREATE RETENTION POLICY r7 ON e1 DURATION 1h30m15s REPLICATION 1", OK0);
    EXPECT("CREATE RETENTION POLICY r8 ON e1 DURATION INF REPLICATION 1 SHARD DURATION 1500ms",
           OK0);
    /* InfluxDB 1.6 answers exactly this (its order is creation order, ours
     * the name order; they agree here). */
    EXPECT("SHOW RETENTION POLICIES ON e1",
           "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
           ",`values`:[[`autogen`,`0s`,`168h0m0s`,1,false],[`r1`,`24h0m0s`,`1h0m0s`,1,false],"
           "[`r2`,`1h30m0s`,`1h0m0s`,3,true],[`r3`,`168h0m0s`,`1h0m0s`,1,false],"
           "[`r5`,`4800h0m0s`,`168h0m0s`,1,false],[`r6`,`72h0m0s`,`24h0m0s`,1,false],"
           "[`r7`,`1h30m15s`,`1h0m0s`,1,false],[`r8`,`0s`,`1h0m0s`,1,false]]}]}]}");
    EXPECT("CREATE RETENTION POLICY r1 ON e1 DURATION 2d REPLICATION 1",
           ERR0("retention policy already exists"));
    EXPECT("CREATE RETENTION POLICY r1 ON e1 DURATION 1d REPLICATION 1", OK0);
    EXPECT("CREATE RETENTION POLICY r1 ON e1 DURATION 1d REPLICATION 1 DEFAULT",
           ERR0("retention policy conflicts with an existing policy"));
    EXPECT("CREATE RETENTION POLICY r1 ON nodb DURATION 1d REPLICATION 1",
           ERR0("database not found: nodb"));
    EXPECT("CREATE RETENTION POLICY r1 ON e1 DURATION 30m REPLICATION 1",
           ERR0("retention policy duration must be at least 1h0m0s"));
    EXPECT("CREATE RETENTION POLICY \"\" ON e1 DURATION 1d REPLICATION 1", ERR0("invalid name"));
    EXPECT("CREATE RETENTION POLICY \"x/y\" ON e1 DURATION 1d REPLICATION 1", ERR0("invalid name"));
    EXPECT("ALTER RETENTION POLICY nope ON e1 DURATION 1d",
           ERR0("retention policy not found: nope"));
    EXPECT("ALTER RETENTION POLICY r1 ON nodb DURATION 1d", ERR0("database not found: nodb"));
    EXPECT("ALTER RETENTION POLICY r1 ON e1 DURATION 1h", OK0);
    EXPECT("ALTER RETENTION POLICY r1 ON e1 DURATION 30m",
           ERR0("retention policy duration must be at least 1h0m0s"));
    EXPECT("ALTER RETENTION POLICY r1 ON e1 SHARD DURATION 1w",
           ERR0("retention policy duration must be greater than the shard duration"));
    EXPECT("ALTER RETENTION POLICY r1 ON e1 DURATION 2d REPLICATION 2 SHARD DURATION 2h DEFAULT",
           OK0);
    EXPECT("ALTER RETENTION POLICY default ON e1 DURATION 2d",
           ERR0("retention policy not found: default"));
    EXPECT("SHOW RETENTION POLICIES ON e1",
           "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
           ",`values`:[[`autogen`,`0s`,`168h0m0s`,1,false],[`r1`,`48h0m0s`,`2h0m0s`,2,true],"
           "[`r2`,`1h30m0s`,`1h0m0s`,3,false],[`r3`,`168h0m0s`,`1h0m0s`,1,false],"
           "[`r5`,`4800h0m0s`,`168h0m0s`,1,false],[`r6`,`72h0m0s`,`24h0m0s`,1,false],"
           "[`r7`,`1h30m15s`,`1h0m0s`,1,false],[`r8`,`0s`,`1h0m0s`,1,false]]}]}]}");
    EXPECT("DROP RETENTION POLICY nope ON e1", OK0);
    EXPECT("DROP RETENTION POLICY r1 ON nodb", OK0);
    EXPECT("DROP RETENTION POLICY r1 ON e1", OK0);
    EXPECT("SHOW RETENTION POLICIES ON e1",
           "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
           ",`values`:[[`autogen`,`0s`,`168h0m0s`,1,false],"
           "[`r2`,`1h30m0s`,`1h0m0s`,3,false],[`r3`,`168h0m0s`,`1h0m0s`,1,false],"
           "[`r5`,`4800h0m0s`,`168h0m0s`,1,false],[`r6`,`72h0m0s`,`24h0m0s`,1,false],"
           "[`r7`,`1h30m15s`,`1h0m0s`,1,false],[`r8`,`0s`,`1h0m0s`,1,false]]}]}]}");
}
END_TEST

/* Whether @pw matches user @name's hash in the local catalogue copy. */
static bool PASSWORD_IS(const char *name, const char *pw)
{
    const struct st_mcat *m = st_mcli_acquire(f.mc);
    ck_assert_ptr_nonnull(m);
    const Strata__User *u = st_auth_user(m->cat, name);
    bool ok = u != NULL && st_auth_verify(pw, u->password_hash);
    st_mcli_release(f.mc, m);
    return ok;
}

START_TEST(test_users_and_grants)
{
    EXPECT("SHOW USERS",
           "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`user`,`admin`]}]}]}");
    EXPECT("CREATE DATABASE e1; CREATE DATABASE db1; CREATE DATABASE db2; CREATE DATABASE dbg",
           "{`results`:[{`statement_id`:0},{`statement_id`:1},{`statement_id`:2},"
           "{`statement_id`:3}]}");
    EXPECT("CREATE USER u1 WITH PASSWORD 'a'", OK0);
    ck_assert(PASSWORD_IS("u1", "a"));
    EXPECT("CREATE USER u1 WITH PASSWORD 'a'", OK0);
    EXPECT("CREATE USER u1 WITH PASSWORD 'b'", ERR0("user already exists"));
    EXPECT("CREATE USER u1 WITH PASSWORD 'a' WITH ALL PRIVILEGES", ERR0("user already exists"));
    EXPECT("CREATE USER u0 WITH PASSWORD 'b' WITH ALL PRIVILEGES", OK0);
    EXPECT("CREATE USER \"\" WITH PASSWORD 'x'", ERR0("username required"));
    EXPECT("SHOW USERS", "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`user`,`admin`],"
                         "`values`:[[`u0`,true],[`u1`,false]]}]}]}");
    EXPECT("SHOW GRANTS FOR u1",
           "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`database`,`privilege`]}]}]}");
    EXPECT("GRANT READ ON e1 TO u1", OK0);
    EXPECT("GRANT WRITE ON db1 TO u1", OK0);
    EXPECT("GRANT ALL ON db2 TO u1", OK0);
    EXPECT("SHOW GRANTS FOR u1",
           "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`database`,`privilege`],"
           "`values`:[[`db1`,`WRITE`],[`db2`,`ALL PRIVILEGES`],[`e1`,`READ`]]}]}]}");
    EXPECT("GRANT WRITE ON e1 TO u1", OK0); /* replaces READ */
    EXPECT("REVOKE READ ON e1 FROM u1", OK0);
    EXPECT("REVOKE WRITE ON dbg FROM u1", OK0);
    EXPECT("REVOKE READ ON db2 FROM u1", OK0); /* ALL minus READ */
    EXPECT("SHOW GRANTS FOR u1",
           "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`database`,`privilege`],"
           "`values`:[[`db1`,`WRITE`],[`db2`,`WRITE`],[`e1`,`WRITE`]]}]}]}");
    EXPECT("REVOKE ALL ON db2 FROM u1", OK0);
    EXPECT("REVOKE ALL PRIVILEGES ON e1 FROM u1", OK0);
    EXPECT("SHOW GRANTS FOR u1",
           "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`database`,`privilege`],"
           "`values`:[[`db1`,`WRITE`]]}]}]}");
    EXPECT("GRANT READ ON nodb TO u1", ERR0("database not found: nodb"));
    EXPECT("GRANT READ ON e1 TO nouser", ERR0("user not found"));
    EXPECT("REVOKE READ ON e1 FROM nouser", ERR0("user not found"));
    EXPECT("REVOKE READ ON nodb FROM u1", ERR0("database not found: nodb"));
    EXPECT("GRANT ALL PRIVILEGES TO nouser", ERR0("user not found"));
    EXPECT("REVOKE ALL PRIVILEGES FROM nouser", ERR0("user not found"));
    EXPECT("GRANT ALL PRIVILEGES TO u1", OK0);
    EXPECT("SHOW USERS", "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`user`,`admin`],"
                         "`values`:[[`u0`,true],[`u1`,true]]}]}]}");
    EXPECT("REVOKE ALL PRIVILEGES FROM u1", OK0);
    EXPECT("SHOW GRANTS FOR nouser", ERR0("user not found"));
    EXPECT("SET PASSWORD FOR nouser = 'x'", ERR0("user not found"));
    EXPECT("SET PASSWORD FOR u1 = 'x'", OK0);
    ck_assert(PASSWORD_IS("u1", "x"));
    ck_assert(!PASSWORD_IS("u1", "a"));
    EXPECT("DROP USER nouser", ERR0("user not found"));
    EXPECT("DROP USER u1", OK0);
    EXPECT("SHOW USERS", "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`user`,`admin`],"
                         "`values`:[[`u0`,true]]}]}]}");
    /* DROP DATABASE takes the privileges on it away */
    EXPECT("CREATE USER u2 WITH PASSWORD 'p'; GRANT READ ON dbg TO u2; DROP DATABASE dbg; "
           "SHOW GRANTS FOR u2",
           "{`results`:[{`statement_id`:0},{`statement_id`:1},{`statement_id`:2},"
           "{`statement_id`:3,`series`:[{`columns`:[`database`,`privilege`]}]}]}");
}
END_TEST

START_TEST(test_statement_order_and_errors)
{
    /* The first error stops the query; strata keeps that statement's error
     * (InfluxDB 1.6 replaces it with "not executed": docs/influxql.md). */
    EXPECT("SHOW USERS; DROP USER nope; CREATE DATABASE zz; SHOW USERS",
           "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`user`,`admin`]}]},"
           "{`statement_id`:1,`error`:`user not found`},{`statement_id`:2,`error`:`not executed`},"
           "{`statement_id`:3,`error`:`not executed`}]}");
    EXPECT("SHOW DATABASES",
           "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,`columns`:[`name`]}]}]}");
    /* Statements strata does not run yet do not stop the others. */
    EXPECT("SHOW STATS; CREATE DATABASE zz; SHOW QUERIES; SHOW DATABASES",
           "{`results`:[{`statement_id`:0,`error`:`not implemented yet: SHOW "
           "STATS`},"
           "{`statement_id`:1},"
           "{`statement_id`:2,`error`:`not implemented yet: SHOW QUERIES`},"
           "{`statement_id`:3,`series`:[{`name`:`databases`,`columns`:[`name`],"
           "`values`:[[`zz`]]}]}]}");
    /* No continuous queries and no subscriptions: InfluxDB's answers for
     * none (a series per database for the queries). */
    EXPECT("SHOW SUBSCRIPTIONS; SHOW CONTINUOUS QUERIES",
           "{`results`:[{`statement_id`:0},{`statement_id`:1,`series`:[{`name`:`zz`,"
           "`columns`:[`name`,`query`]}]}]}");
    /* Nothing runs when the query does not parse. */
    EXPECT_STATUS(400, "DROP DATABASE zz; SHOW FOO",
                  "{`error`:`error parsing query: found FOO, expected CONTINUOUS, DATABASES, "
                  "DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, QUERIES, RETENTION, "
                  "SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, TAG, USERS at line 1, char 24`}");
    EXPECT_STATUS(400, "CREATE DATABASE db WITH DURATION 1h REPLICATION 0",
                  "{`error`:`error parsing query: invalid value 0: must be 1 \\u003c= n \\u003c= "
                  "2147483647 at line 1, char 49`}");
    EXPECT_STATUS(400, "CREATE DATABASE \001",
                  "{`error`:`error parsing query: found \\u0001, expected identifier at line 1, "
                  "char 17`}");
    EXPECT("SHOW DATABASES",
           "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,`columns`:[`name`],"
           "`values`:[[`zz`]]}]}]}");
    EXPECT(";", "{}");
    EXPECT("", "{}");
    /* Go's escaping: < > & as \u003c \u003e \u0026 */
    EXPECT("CREATE DATABASE \"a<b&c>\303\251\"", OK0);
    EXPECT("SHOW DATABASES",
           "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,`columns`:[`name`],"
           "`values`:[[`a\\u003cb\\u0026c\\u003e\303\251`],[`zz`]]}]}]}");
}
END_TEST

START_TEST(test_pretty_and_get)
{
    f.ctx.pretty = true;
    EXPECT("CREATE DATABASE db1; SHOW DATABASES; DROP USER x",
           "{\n"
           "    `results`: [\n"
           "        {\n"
           "            `statement_id`: 0\n"
           "        },\n"
           "        {\n"
           "            `statement_id`: 1,\n"
           "            `series`: [\n"
           "                {\n"
           "                    `name`: `databases`,\n"
           "                    `columns`: [\n"
           "                        `name`\n"
           "                    ],\n"
           "                    `values`: [\n"
           "                        [\n"
           "                            `db1`\n"
           "                        ]\n"
           "                    ]\n"
           "                }\n"
           "            ]\n"
           "        },\n"
           "        {\n"
           "            `statement_id`: 2,\n"
           "            `error`: `user not found`\n"
           "        }\n"
           "    ]\n"
           "}");
    EXPECT(";", "{}");
    EXPECT_STATUS(
        400, "SHOW DATABASES x",
        "{\n    `error`: `error parsing query: found x, expected ; at line 1, char 16`\n}");
    f.ctx.pretty = false;
    /* GET: commands run, with InfluxDB's deprecation warning each. */
    f.ctx.get = true;
    EXPECT("CREATE USER gg WITH PASSWORD 'x'; GRANT READ ON db1 TO gg; SHOW USERS; DROP USER gg; "
           "DROP USER gg; SHOW USERS",
           "{`results`:[{`statement_id`:0,`messages`:[{`level`:`warning`,`text`:`deprecated use "
           "of 'CREATE USER gg WITH PASSWORD [REDACTED]' in a read only context, please use a "
           "POST request instead`}]},"
           "{`statement_id`:1,`messages`:[{`level`:`warning`,`text`:`deprecated use of 'GRANT "
           "READ ON db1 TO gg' in a read only context, please use a POST request instead`}]},"
           "{`statement_id`:2,`series`:[{`columns`:[`user`,`admin`],`values`:[[`gg`,false]]}]},"
           "{`statement_id`:3,`messages`:[{`level`:`warning`,`text`:`deprecated use of 'DROP "
           "USER gg' in a read only context, please use a POST request instead`}]},"
           "{`statement_id`:4,`error`:`user not found`},"
           "{`statement_id`:5,`error`:`not executed`}]}");
}
END_TEST

/* Authorization ------------------------------------------------------------------------ */

#define FORBIDDEN(msg) "{`error`:`error authorizing query: " msg "`}"

START_TEST(test_auth_bootstrap)
{
    f.ctx.auth = true;
    EXPECT_STATUS(403, "SHOW DATABASES",
                  FORBIDDEN("create admin user first or disable authentication"));
    EXPECT_STATUS(403, "CREATE USER bob WITH PASSWORD 'x'",
                  FORBIDDEN("create admin user first or disable authentication"));
    EXPECT_STATUS(403, "SHOW USERS; CREATE USER a WITH PASSWORD 'x' WITH ALL PRIVILEGES",
                  FORBIDDEN("create admin user first or disable authentication"));
    EXPECT_STATUS(403, ";", FORBIDDEN("create admin user first or disable authentication"));
    /* Parse errors come first. */
    EXPECT_STATUS(400, "SHOW",
                  "{`error`:`error parsing query: found EOF, expected CONTINUOUS, "
                  "DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, "
                  "QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, "
                  "TAG, USERS at line 1, char 6`}");
    /* The bootstrap: the rest of the query runs as the new admin. */
    EXPECT("CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES; CREATE DATABASE x; "
           "SHOW DATABASES",
           "{`results`:[{`statement_id`:0},{`statement_id`:1},{`statement_id`:2,`series`:[{`name`:"
           "`databases`,`columns`:[`name`],`values`:[[`x`]]}]}]}");
    /* Now a user is required. */
    EXPECT_STATUS(403, "SHOW DATABASES", FORBIDDEN("no user provided"));
    EXPECT_STATUS(403, "CREATE USER b WITH PASSWORD 'x' WITH ALL PRIVILEGES",
                  FORBIDDEN("no user provided"));
    f.ctx.user = "ghost";
    EXPECT_STATUS(401, "SHOW DATABASES", "{`error`:`authorization failed`}");
    f.ctx.user = "admin";
    EXPECT("SHOW USERS", "{`results`:[{`statement_id`:0,`series`:[{`columns`:[`user`,`admin`],"
                         "`values`:[[`admin`,true]]}]}]}");
}
END_TEST

START_TEST(test_auth_non_admin)
{
    f.ctx.auth = true;
    f.ctx.user = NULL;
    EXPECT("CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES", OK0);
    f.ctx.user = "admin";
    EXPECT("CREATE DATABASE x; CREATE DATABASE y; CREATE DATABASE z; "
           "CREATE USER bob WITH PASSWORD 'pw'; GRANT READ ON x TO bob; GRANT WRITE ON y TO bob; "
           "CREATE USER nobody WITH PASSWORD 'pw'",
           "{`results`:[{`statement_id`:0},{`statement_id`:1},{`statement_id`:2},"
           "{`statement_id`:3},{`statement_id`:4},{`statement_id`:5},{`statement_id`:6}]}");

    f.ctx.user = "bob";
    EXPECT("SHOW DATABASES", "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,"
                             "`columns`:[`name`],`values`:[[`x`],[`y`]]}]}]}");
    EXPECT("SHOW RETENTION POLICIES ON x", "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
                                           ",`values`:[[`autogen`,`0s`,`168h0m0s`,1,true]]}]}]}");
    EXPECT_STATUS(403, "SHOW RETENTION POLICIES ON y",
                  FORBIDDEN("bob not authorized to execute statement 'SHOW RETENTION POLICIES ON "
                            "y', requires READ on y"));
    EXPECT_STATUS(403, "SHOW RETENTION POLICIES",
                  FORBIDDEN("bob not authorized to execute statement 'SHOW RETENTION POLICIES', "
                            "requires READ on "));
    f.ctx.db = "z";
    EXPECT_STATUS(403, "SHOW RETENTION POLICIES",
                  FORBIDDEN("bob not authorized to execute statement 'SHOW RETENTION POLICIES', "
                            "requires READ on z"));
    f.ctx.db = "x";
    EXPECT("SHOW RETENTION POLICIES", "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS
                                      ",`values`:[[`autogen`,`0s`,`168h0m0s`,1,true]]}]}]}");
    f.ctx.db = NULL;
    /* The whole query is refused before anything runs. */
    EXPECT_STATUS(403, "SHOW DATABASES; CREATE DATABASE q",
                  FORBIDDEN("bob not authorized to execute statement 'CREATE DATABASE q', "
                            "requires admin privilege"));
    static const struct {
        const char *q, *stmt; /* the statement as printed, JSON-escaped */
    } admin_only[] = {
        {"CREATE DATABASE q WITH DURATION 1d NAME r",
         "CREATE DATABASE q WITH DURATION 24h0m0s NAME r"},
        {"DROP DATABASE x", "DROP DATABASE x"},
        {"CREATE RETENTION POLICY r ON x DURATION 1d REPLICATION 1 DEFAULT",
         "CREATE RETENTION POLICY r ON x DURATION 1d REPLICATION 1 DEFAULT"},
        {"ALTER RETENTION POLICY autogen ON x DURATION 1d",
         "ALTER RETENTION POLICY autogen ON x DURATION 1d"},
        {"CREATE USER \"a b\" WITH PASSWORD 'p' WITH ALL PRIVILEGES",
         "CREATE USER \\\"a b\\\" WITH PASSWORD [REDACTED] WITH ALL PRIVILEGES"},
        {"DROP USER nobody", "DROP USER nobody"},
        {"SET PASSWORD FOR bob = 'new'", "SET PASSWORD FOR bob = [REDACTED]"},
        {"GRANT ALL ON x TO bob", "GRANT ALL PRIVILEGES ON x TO bob"},
        {"GRANT ALL PRIVILEGES TO bob", "GRANT ALL PRIVILEGES TO bob"},
        {"REVOKE READ ON x FROM bob", "REVOKE READ ON x FROM bob"},
        {"REVOKE ALL FROM bob", "REVOKE ALL PRIVILEGES FROM bob"},
        {"SHOW USERS", "SHOW USERS"},
        {"SHOW GRANTS FOR bob", "SHOW GRANTS FOR bob"},
    };
    for (size_t i = 0; i < sizeof admin_only / sizeof admin_only[0]; i++) {
        char want[512];
        snprintf(want, sizeof want,
                 FORBIDDEN("bob not authorized to execute statement '%s', requires admin "
                           "privilege"),
                 admin_only[i].stmt);
        EXPECT_STATUS(403, admin_only[i].q, want);
    }
    EXPECT_STATUS(403, "DROP RETENTION POLICY autogen ON x",
                  FORBIDDEN("bob not authorized to execute statement 'DROP RETENTION POLICY "
                            "autogen ON x', requires WRITE on x"));
    /* WRITE on y is enough to drop its policies, as in InfluxDB 1.x. */
    EXPECT("DROP RETENTION POLICY autogen ON y", OK0);
    /* SELECT needs READ on its database; with no db= that is "" (as
     * InfluxDB 1.x words it), and WRITE on y is not READ. */
    EXPECT_STATUS(403, "SELECT * FROM m",
                  FORBIDDEN("bob not authorized to execute statement 'SELECT * FROM m', "
                            "requires READ on "));
    f.ctx.db = "y";
    EXPECT_STATUS(403, "SELECT * FROM m",
                  FORBIDDEN("bob not authorized to execute statement 'SELECT * FROM m', "
                            "requires READ on y"));
    f.ctx.db = NULL;

    f.ctx.user = "nobody";
    EXPECT("SHOW DATABASES",
           "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,`columns`:[`name`]}]}]}");
    f.ctx.user = "admin";
    EXPECT("SHOW DATABASES", "{`results`:[{`statement_id`:0,`series`:[{`name`:`databases`,"
                             "`columns`:[`name`],`values`:[[`x`],[`y`],[`z`]]}]}]}");
    EXPECT("SHOW RETENTION POLICIES ON y",
           "{`results`:[{`statement_id`:0,`series`:[{" RPS_COLS "}]}]}");
}
END_TEST

/* Meta unreachable ------------------------------------------------------------------------ */

static void setup_no_meta(void)
{
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", t_free_port());
    open_client(url, false);
    f.ctx.timeout_ms = 1500;
}

START_TEST(test_meta_unreachable)
{
    const char *body = RUN("SHOW DATABASES");
    ck_assert_int_eq(f.status, 500);
    ck_assert_str_eq(body, J("{`results`:[{`statement_id`:0,`error`:`meta service unavailable: no "
                             "catalogue received yet`}]}"));
    body = RUN("CREATE DATABASE x; SHOW DATABASES");
    ck_assert_int_eq(f.status, 500);
    ck_assert_msg(
        strstr(body, "{\"results\":[{\"statement_id\":0,\"error\":\"meta client: apply: ") == body,
        "%s", body);
    ck_assert_msg(strstr(body, "},{\"statement_id\":1,\"error\":\"not executed\"}]}\n") != NULL,
                  "%s", body);
    /* Parsing needs no meta. */
    EXPECT_STATUS(400, "SHOW",
                  "{`error`:`error parsing query: found EOF, expected CONTINUOUS, "
                  "DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, "
                  "QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, "
                  "TAG, USERS at line 1, char 6`}");
    f.ctx.auth = true;
    EXPECT_STATUS(500, "SHOW DATABASES",
                  "{`error`:`meta service unavailable: no catalogue received yet`}");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("qadmin");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"databases", test_databases},
        {"retention_policies", test_retention_policies},
        {"users_and_grants", test_users_and_grants},
        {"statement_order", test_statement_order_and_errors},
        {"pretty_and_get", test_pretty_and_get},
        {"auth_bootstrap", test_auth_bootstrap},
        {"auth_non_admin", test_auth_non_admin},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_unchecked_fixture(tc, meta_up, meta_down);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    TCase *tc = tcase_create("meta_unreachable");
    tcase_add_checked_fixture(tc, setup_no_meta, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_meta_unreachable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return t_run_suite(suite());
}
