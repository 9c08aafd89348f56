/* Unit tests of meta/catalogue: every command's success and error paths with
 * InfluxDB's messages, shard-group alignment and idempotence, placement
 * balance, snapshots, determinism under random command sequences, and the
 * retention and liveness helpers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalogue.h"
#include "err.h"
#include "testlib.h"

#define H ST_CAT_HOUR_NS
#define D ST_CAT_DAY_NS
#define OK STRATA__ERROR_CODE__OK

struct fixture {
    st_cat *c;
    uint64_t index;         /* raft index of the last apply */
    struct st_cat_result r; /* result of the last apply */
};
static struct fixture f;

static void setup(void)
{
    memset(&f, 0, sizeof f);
    ck_assert_int_eq(st_cat_new(&f.c), ST_OK);
}

static void teardown(void)
{
    st_cat_free(f.c);
    f.c = NULL;
}

static const Strata__Catalogue *CAT(void)
{
    return st_cat_catalogue(f.c);
}

/* Packs @cmd and applies it to @c at the next index; returns the code. */
static int apply_to(st_cat *c, uint64_t *index, const Strata__Command *cmd, struct st_cat_result *r)
{
    size_t n = strata__command__get_packed_size(cmd);
    uint8_t *buf = malloc(n + 1);
    ck_assert_ptr_nonnull(buf);
    strata__command__pack(cmd, buf);
    ck_assert_int_eq(st_cat_apply(c, ++*index, 3, buf, n, r), ST_OK);
    free(buf);
    return r->code;
}

static int APPLY(const Strata__Command *cmd)
{
    return apply_to(f.c, &f.index, cmd, &f.r);
}

/* Asserts the last result: @code and @msg. */
#define EXPECT(ec, text)                       \
    do {                                       \
        ck_assert_int_eq(f.r.code, (ec));      \
        ck_assert_str_eq(f.r.message, (text)); \
    } while (0)

#define CMD(field, CASE, msg)                    \
    Strata__Command cmd = STRATA__COMMAND__INIT; \
    cmd.cmd_case = STRATA__COMMAND__CMD_##CASE;  \
    cmd.field = (msg)

static int CREATE_DB(const char *name)
{
    Strata__CreateDatabase m = STRATA__CREATE_DATABASE__INIT;
    m.name = (char *)name;
    CMD(create_database, CREATE_DATABASE, &m);
    return APPLY(&cmd);
}

static int CREATE_DB_WITH(const char *name, const char *rp, int64_t dur, int64_t sgd, uint32_t rf)
{
    Strata__CreateDatabase m = STRATA__CREATE_DATABASE__INIT;
    Strata__RetentionPolicy p = STRATA__RETENTION_POLICY__INIT;
    m.name = (char *)name;
    m.default_rp = &p;
    p.name = (char *)rp;
    p.duration_ns = dur;
    p.shard_group_duration_ns = sgd;
    p.replication_factor = rf;
    CMD(create_database, CREATE_DATABASE, &m);
    return APPLY(&cmd);
}

static int DROP_DB(const char *name, int64_t at)
{
    Strata__DropDatabase m = STRATA__DROP_DATABASE__INIT;
    m.name = (char *)name;
    m.deleted_at_ns = at;
    CMD(drop_database, DROP_DATABASE, &m);
    return APPLY(&cmd);
}

static int CREATE_RP(const char *db, const char *rp, int64_t dur, int64_t sgd, uint32_t rf,
                     bool def)
{
    Strata__CreateRetentionPolicy m = STRATA__CREATE_RETENTION_POLICY__INIT;
    Strata__RetentionPolicy p = STRATA__RETENTION_POLICY__INIT;
    m.database = (char *)db;
    m.rp = &p;
    m.make_default = def;
    p.name = (char *)rp;
    p.duration_ns = dur;
    p.shard_group_duration_ns = sgd;
    p.replication_factor = rf;
    CMD(create_retention_policy, CREATE_RETENTION_POLICY, &m);
    return APPLY(&cmd);
}

static int DROP_RP(const char *db, const char *rp, int64_t at)
{
    Strata__DropRetentionPolicy m = STRATA__DROP_RETENTION_POLICY__INIT;
    m.database = (char *)db;
    m.name = (char *)rp;
    m.deleted_at_ns = at;
    CMD(drop_retention_policy, DROP_RETENTION_POLICY, &m);
    return APPLY(&cmd);
}

static int CREATE_SG(const char *db, const char *rp, int64_t t)
{
    Strata__CreateShardGroup m = STRATA__CREATE_SHARD_GROUP__INIT;
    m.database = (char *)db;
    m.retention_policy = (char *)rp;
    m.timestamp_ns = t;
    CMD(create_shard_group, CREATE_SHARD_GROUP, &m);
    return APPLY(&cmd);
}

static int DELETE_SG(const char *db, const char *rp, uint64_t id, int64_t at)
{
    Strata__DeleteShardGroup m = STRATA__DELETE_SHARD_GROUP__INIT;
    m.database = (char *)db;
    m.retention_policy = (char *)rp;
    m.shard_group_id = id;
    m.deleted_at_ns = at;
    CMD(delete_shard_group, DELETE_SHARD_GROUP, &m);
    return APPLY(&cmd);
}

static int TRUNCATE(int64_t t)
{
    Strata__TruncateShardGroups m = STRATA__TRUNCATE_SHARD_GROUPS__INIT;
    m.timestamp_ns = t;
    CMD(truncate_shard_groups, TRUNCATE_SHARD_GROUPS, &m);
    return APPLY(&cmd);
}

/* Adds a data node; returns its id. */
static uint64_t ADD_NODE(const char *addr, int64_t now)
{
    Strata__AddDataNode m = STRATA__ADD_DATA_NODE__INIT;
    m.rpc_addr = (char *)addr;
    m.http_addr = (char *)"h:8086";
    m.now_ns = now;
    CMD(add_data_node, ADD_DATA_NODE, &m);
    APPLY(&cmd);
    return f.r.assigned_id;
}

static int REMOVE_NODE(uint64_t id, bool force)
{
    Strata__RemoveDataNode m = STRATA__REMOVE_DATA_NODE__INIT;
    m.node_id = id;
    m.force = force;
    CMD(remove_data_node, REMOVE_DATA_NODE, &m);
    return APPLY(&cmd);
}

static int UPDATE_NODE(uint64_t id, int status, const char *rpc, int64_t hb)
{
    Strata__UpdateDataNode m = STRATA__UPDATE_DATA_NODE__INIT;
    m.node_id = id;
    m.status = (Strata__NodeStatus)status;
    if (rpc)
        m.rpc_addr = (char *)rpc;
    m.last_heartbeat_ns = hb;
    CMD(update_data_node, UPDATE_DATA_NODE, &m);
    return APPLY(&cmd);
}

static int SET_OWNERS(uint64_t shard, size_t n, uint64_t *owners)
{
    Strata__SetShardOwners m = STRATA__SET_SHARD_OWNERS__INIT;
    m.shard_id = shard;
    m.n_owners = n;
    m.owners = owners;
    CMD(set_shard_owners, SET_SHARD_OWNERS, &m);
    return APPLY(&cmd);
}

static int CREATE_USER(const char *name, const char *hash, bool admin)
{
    Strata__CreateUser m = STRATA__CREATE_USER__INIT;
    m.name = (char *)name;
    m.password_hash = (char *)hash;
    m.admin = admin;
    CMD(create_user, CREATE_USER, &m);
    return APPLY(&cmd);
}

static int DROP_USER(const char *name)
{
    Strata__DropUser m = STRATA__DROP_USER__INIT;
    m.name = (char *)name;
    CMD(drop_user, DROP_USER, &m);
    return APPLY(&cmd);
}

static int SET_PASSWORD(const char *name, const char *hash)
{
    Strata__SetPassword m = STRATA__SET_PASSWORD__INIT;
    m.name = (char *)name;
    m.password_hash = (char *)hash;
    CMD(set_password, SET_PASSWORD, &m);
    return APPLY(&cmd);
}

static int GRANT(const char *user, const char *db, int priv)
{
    Strata__Grant m = STRATA__GRANT__INIT;
    m.user = (char *)user;
    m.database = (char *)db;
    m.privilege = (Strata__Privilege)priv;
    CMD(grant, GRANT, &m);
    return APPLY(&cmd);
}

static int REVOKE(const char *user, const char *db, int priv)
{
    Strata__Revoke m = STRATA__REVOKE__INIT;
    m.user = (char *)user;
    m.database = (char *)db;
    m.privilege = (Strata__Privilege)priv;
    CMD(revoke, REVOKE, &m);
    return APPLY(&cmd);
}

static int SET_ADMIN(const char *user, bool admin)
{
    Strata__SetAdmin m = STRATA__SET_ADMIN__INIT;
    m.user = (char *)user;
    m.admin = admin;
    CMD(set_admin, SET_ADMIN, &m);
    return APPLY(&cmd);
}

/* The privilege of @user on @db (0 when none). */
static int PRIV(const char *user, const char *db)
{
    const Strata__Catalogue *cat = CAT();
    for (size_t i = 0; i < cat->n_users; i++) {
        if (strcmp(cat->users[i]->name, user) != 0)
            continue;
        for (size_t j = 0; j < cat->users[i]->n_privileges; j++)
            if (strcmp(cat->users[i]->privileges[j]->database, db) == 0)
                return cat->users[i]->privileges[j]->privilege;
    }
    return 0;
}

/* Encodes @c into a fresh malloc'ed buffer. */
static struct st_buf ENCODE(st_cat *c) {
    struct st_buf b;
    st_buf_init(&b);
    ck_assert_int_eq(st_cat_encode(c, &b), ST_OK);
    return b;
}

static bool
SAME(st_cat *a, st_cat *b)
{
    struct st_buf x = ENCODE(a), y = ENCODE(b);
    bool same = x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
    st_buf_fini(&x);
    st_buf_fini(&y);
    return same;
}

/* Lifecycle, protocol errors ----------------------------------------------- */

START_TEST(test_cat_new_empty)
{
    const Strata__Catalogue *cat = CAT();
    ck_assert_uint_eq(st_cat_index(f.c), 0);
    ck_assert_uint_eq(cat->next_node_id, 1);
    ck_assert_uint_eq(cat->next_shard_group_id, 1);
    ck_assert_uint_eq(cat->next_shard_id, 1);
    st_cat *d;
    ck_assert_int_eq(st_cat_new(&d), ST_OK);
    ck_assert(SAME(f.c, d));
    st_cat_free(d);
    st_cat_free(NULL);
}
END_TEST

START_TEST(test_cat_apply_protocol_errors)
{
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    ck_assert_int_eq(st_cat_apply(f.c, 5, 2, junk, sizeof junk, &f.r), ST_OK);
    EXPECT(STRATA__ERROR_CODE__PROTOCOL_ERROR, "command: cannot decode");
    ck_assert_uint_eq(st_cat_index(f.c), 5);
    ck_assert_uint_eq(CAT()->term, 2);
    /* An empty buffer decodes to a command with nothing set. */
    ck_assert_int_eq(st_cat_apply(f.c, 6, 2, NULL, 0, &f.r), ST_OK);
    EXPECT(STRATA__ERROR_CODE__PROTOCOL_ERROR, "command: no command set");
    /* Indexes only go up. */
    ck_assert_int_eq(st_cat_apply(f.c, 6, 2, NULL, 0, &f.r), ST_EINVAL);
    ck_assert_int_eq(st_cat_apply(f.c, 1, 2, NULL, 0, &f.r), ST_EINVAL);
    ck_assert_uint_eq(st_cat_index(f.c), 6);
}
END_TEST

/* Databases and retention policies ----------------------------------------- */

START_TEST(test_cat_create_database)
{
    ck_assert_int_eq(CREATE_DB("telegraf"), OK);
    ck_assert(f.r.changed);
    const Strata__RetentionPolicy *rp = st_cat_rp(CAT(), "telegraf", NULL);
    ck_assert_ptr_nonnull(rp);
    ck_assert_str_eq(rp->name, "autogen");
    ck_assert_int_eq(rp->duration_ns, 0);
    ck_assert_int_eq(rp->shard_group_duration_ns, 7 * D);
    ck_assert_uint_eq(rp->replication_factor, 1);
    ck_assert_str_eq(st_cat_database(CAT(), "telegraf")->default_rp, "autogen");

    /* Idempotent, also WITH the same default policy. */
    ck_assert_int_eq(CREATE_DB("telegraf"), OK);
    ck_assert(!f.r.changed);
    ck_assert_int_eq(CREATE_DB_WITH("telegraf", "autogen", 0, 0, 1), OK);
    ck_assert(!f.r.changed);
    ck_assert_int_eq(CREATE_DB_WITH("telegraf", "", 0, 7 * D, 0), OK);

    /* Other settings for the existing default conflict, as in InfluxDB. */
    CREATE_DB_WITH("telegraf", "autogen", 2 * D, 0, 1);
    EXPECT(STRATA__ERROR_CODE__ALREADY_EXISTS,
           "retention policy conflicts with an existing policy");
    CREATE_DB_WITH("telegraf", "other", 0, 0, 1);
    EXPECT(STRATA__ERROR_CODE__ALREADY_EXISTS,
           "retention policy conflicts with an existing policy");

    ck_assert_int_eq(CREATE_DB_WITH("plc", "week", 7 * D, 0, 2), OK);
    rp = st_cat_rp(CAT(), "plc", "");
    ck_assert_str_eq(rp->name, "week");
    ck_assert_int_eq(rp->shard_group_duration_ns, D);
    ck_assert_uint_eq(rp->replication_factor, 2);

    CREATE_DB("");
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "database name required");
    CREATE_DB("a/b");
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "invalid name");
    CREATE_DB("..");
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "invalid name");
    CREATE_DB_WITH("x", "short", H / 2, 0, 1);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT,
           "retention policy duration must be at least 1h0m0s");
    CREATE_DB_WITH("x", "r", 2 * H, D, 1);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT,
           "retention policy duration must be greater than the shard duration");
    ck_assert_ptr_null(st_cat_database(CAT(), "x"));
    ck_assert_uint_eq(CAT()->n_databases, 2);
    ck_assert_uint_eq(st_cat_index(f.c), f.index);
}
END_TEST

START_TEST(test_cat_group_duration_defaults)
{
    ck_assert_int_eq(st_cat_default_group_duration(0), 7 * D);
    ck_assert_int_eq(st_cat_default_group_duration(H), H);
    ck_assert_int_eq(st_cat_default_group_duration(2 * D - 1), H);
    ck_assert_int_eq(st_cat_default_group_duration(2 * D), D);
    ck_assert_int_eq(st_cat_default_group_duration(180 * D - 1), D);
    ck_assert_int_eq(st_cat_default_group_duration(180 * D), 7 * D);
    ck_assert_int_eq(st_cat_default_group_duration(365 * D), 7 * D);

    CREATE_DB("db");
    ck_assert_int_eq(CREATE_RP("db", "h", 24 * H, 0, 1, false), OK);
    ck_assert_int_eq(st_cat_rp(CAT(), "db", "h")->shard_group_duration_ns, H);
    ck_assert_int_eq(CREATE_RP("db", "m", 30 * D, 0, 1, false), OK);
    ck_assert_int_eq(st_cat_rp(CAT(), "db", "m")->shard_group_duration_ns, D);
    /* A group duration below 1h is raised to 1h, as InfluxDB does. */
    ck_assert_int_eq(CREATE_RP("db", "tiny", 0, 60LL * 1000000000, 1, false), OK);
    ck_assert_int_eq(st_cat_rp(CAT(), "db", "tiny")->shard_group_duration_ns, H);
    ck_assert_str_eq(st_cat_database(CAT(), "db")->default_rp, "autogen");
}
END_TEST

START_TEST(test_cat_create_rp)
{
    CREATE_DB("db");
    ck_assert_int_eq(CREATE_RP("db", "week", 7 * D, 0, 2, true), OK);
    ck_assert(f.r.changed);
    ck_assert_str_eq(st_cat_database(CAT(), "db")->default_rp, "week");
    /* Same settings again: fine. */
    ck_assert_int_eq(CREATE_RP("db", "week", 7 * D, D, 2, true), OK);
    ck_assert(!f.r.changed);
    CREATE_RP("db", "week", 7 * D, 0, 3, false);
    EXPECT(STRATA__ERROR_CODE__ALREADY_EXISTS, "retention policy already exists");
    CREATE_RP("db", "autogen", 0, 0, 1, true);
    EXPECT(STRATA__ERROR_CODE__ALREADY_EXISTS,
           "retention policy conflicts with an existing policy");
    CREATE_RP("nodb", "x", 0, 0, 1, false);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "database not found: nodb");
    CREATE_RP("db", "", 0, 0, 1, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "retention policy name required");
    CREATE_RP("db", "x", 0, 0, 0, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "replication factor must be greater than 0");
    CREATE_RP("db", "x", 59 * 60 * 1000000000LL, 0, 1, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT,
           "retention policy duration must be at least 1h0m0s");
    CREATE_RP("db", "x", -1, 0, 1, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT,
           "retention policy duration must be at least 1h0m0s");
    CREATE_RP("db", "x", 3 * H, 4 * H, 1, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT,
           "retention policy duration must be greater than the shard duration");

    Strata__CreateRetentionPolicy m = STRATA__CREATE_RETENTION_POLICY__INIT;
    m.database = (char *)"db";
    CMD(create_retention_policy, CREATE_RETENTION_POLICY, &m);
    APPLY(&cmd);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "retention policy required");
    ck_assert_uint_eq(st_cat_database(CAT(), "db")->n_retention_policies, 2);
}
END_TEST

static int ALTER(const char *db, const char *rp, int64_t *dur, int64_t *sgd, uint32_t *rf, bool def)
{
    Strata__AlterRetentionPolicy m = STRATA__ALTER_RETENTION_POLICY__INIT;
    m.database = (char *)db;
    m.name = (char *)rp;
    m.set_duration = dur != NULL;
    m.duration_ns = dur ? *dur : 0;
    m.set_shard_group_duration = sgd != NULL;
    m.shard_group_duration_ns = sgd ? *sgd : 0;
    m.set_replication_factor = rf != NULL;
    m.replication_factor = rf ? *rf : 0;
    m.make_default = def;
    CMD(alter_retention_policy, ALTER_RETENTION_POLICY, &m);
    return APPLY(&cmd);
}

START_TEST(test_cat_alter_rp)
{
    CREATE_DB("db");
    CREATE_RP("db", "r", 7 * D, 0, 1, false);
    int64_t dur = 30 * D, sgd = 2 * D, low = 10, zero = 0, tiny = 2 * H;
    uint32_t rf = 3, rf0 = 0;
    ck_assert_int_eq(ALTER("db", "r", &dur, &sgd, &rf, true), OK);
    ck_assert(f.r.changed);
    const Strata__RetentionPolicy *rp = st_cat_rp(CAT(), "db", "r");
    ck_assert_int_eq(rp->duration_ns, 30 * D);
    ck_assert_int_eq(rp->shard_group_duration_ns, 2 * D);
    ck_assert_uint_eq(rp->replication_factor, 3);
    ck_assert_str_eq(st_cat_database(CAT(), "db")->default_rp, "r");
    ck_assert_int_eq(ALTER("db", "r", NULL, NULL, NULL, false), OK);
    ck_assert(!f.r.changed);
    /* 0 = InfluxDB's default for the duration. */
    ck_assert_int_eq(ALTER("db", "r", NULL, &zero, NULL, false), OK);
    ck_assert_int_eq(st_cat_rp(CAT(), "db", "r")->shard_group_duration_ns, D);

    ALTER("nodb", "r", &dur, NULL, NULL, false);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "database not found: nodb");
    ALTER("db", "nope", &dur, NULL, NULL, false);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "retention policy not found: nope");
    ALTER("db", "r", &low, NULL, NULL, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT,
           "retention policy duration must be at least 1h0m0s");
    ALTER("db", "r", &tiny, NULL, NULL, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT,
           "retention policy duration must be greater than the shard duration");
    ALTER("db", "r", NULL, &dur, NULL, false);
    ck_assert_int_eq(f.r.code, OK); /* 30 d group in a 30 d policy */
    int64_t more = 31 * D;
    ALTER("db", "r", NULL, &more, NULL, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT,
           "retention policy duration must be greater than the shard duration");
    ALTER("db", "r", NULL, NULL, &rf0, false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "replication factor must be greater than 0");
    ck_assert_int_eq(st_cat_rp(CAT(), "db", "r")->shard_group_duration_ns, 30 * D);
}
END_TEST

START_TEST(test_cat_drop_database_and_rp)
{
    ADD_NODE("tcp://n1", 0);
    CREATE_DB("db");
    CREATE_RP("db", "r", 0, 0, 1, false);
    CREATE_USER("u", "h", false);
    GRANT("u", "db", STRATA__PRIVILEGE__READ);
    CREATE_SG("db", "", 0);
    uint64_t g1 = f.r.group_id;
    CREATE_SG("db", "r", 0);
    uint64_t g2 = f.r.group_id;

    ck_assert_int_eq(DROP_RP("db", "autogen", 77), OK);
    ck_assert(f.r.changed);
    ck_assert(st_cat_group(CAT(), g1)->deleted);
    ck_assert_int_eq(st_cat_group(CAT(), g1)->deleted_at_ns, 77);
    ck_assert(!st_cat_group(CAT(), g2)->deleted);
    ck_assert_str_eq(st_cat_database(CAT(), "db")->default_rp, "");
    CREATE_SG("db", "", 0);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "default retention policy not set for: db");
    /* Dropping what is not there succeeds, as in InfluxDB. */
    ck_assert_int_eq(DROP_RP("db", "autogen", 1), OK);
    ck_assert(!f.r.changed);
    ck_assert_int_eq(DROP_RP("nodb", "x", 1), OK);

    ck_assert_int_eq(DROP_DB("db", 88), OK);
    ck_assert(f.r.changed);
    ck_assert_ptr_null(st_cat_database(CAT(), "db"));
    ck_assert(st_cat_group(CAT(), g2)->deleted);
    ck_assert_int_eq(st_cat_group(CAT(), g2)->deleted_at_ns, 88);
    ck_assert_int_eq(st_cat_group(CAT(), g1)->deleted_at_ns, 77);
    ck_assert_int_eq(PRIV("u", "db"), 0);
    ck_assert_int_eq(DROP_DB("db", 99), OK);
    ck_assert(!f.r.changed);
    /* A new database of the same name starts empty. */
    CREATE_DB("db");
    ck_assert_ptr_null(st_cat_group_for(CAT(), "db", "", 0));
}
END_TEST

/* Shard groups ---------------------------------------------------------------- */

START_TEST(test_cat_shard_group_idempotent)
{
    ADD_NODE("tcp://n1", 0);
    CREATE_DB("db");
    int64_t t = 1700000000LL * 1000000000LL;
    ck_assert_int_eq(CREATE_SG("db", "", t), OK);
    ck_assert(f.r.changed);
    uint64_t id = f.r.group_id;
    ck_assert_ptr_nonnull(f.r.group);
    ck_assert_uint_eq(f.r.group->id, id);
    const Strata__Catalogue *cat = CAT();
    uint64_t ng = cat->next_shard_group_id, ns = cat->next_shard_id;
    ck_assert_int_eq(CREATE_SG("db", "autogen", t + H), OK);
    ck_assert(!f.r.changed);
    ck_assert_uint_eq(f.r.group_id, id);
    ck_assert_uint_eq(f.r.group->id, id);
    ck_assert_uint_eq(CAT()->next_shard_group_id, ng);
    ck_assert_uint_eq(CAT()->next_shard_id, ns);
    ck_assert_uint_eq(CAT()->n_shard_groups, 1);
    ck_assert_ptr_eq(st_cat_group_for(CAT(), "db", NULL, t), st_cat_group(CAT(), id));

    CREATE_SG("nodb", "", t);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "database not found: nodb");
    ck_assert_uint_eq(f.r.group_id, 0);
    ck_assert_ptr_null(f.r.group);
    CREATE_SG("db", "nope", t);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "retention policy not found: nope");
    CREATE_SG("db", "", INT64_MAX);
    EXPECT(STRATA__ERROR_CODE__OUT_OF_RANGE, "timestamp out of range: 9223372036854775807");
}
END_TEST

START_TEST(test_cat_shard_group_alignment)
{
    ADD_NODE("tcp://n1", 0);
    CREATE_DB_WITH("db", "h", 24 * H, 0, 1);   /* 1 h groups */
    CREATE_RP("db", "d", 30 * D, 0, 1, false); /* 1 d groups */
    CREATE_RP("db", "w", 0, 0, 1, false);      /* 7 d groups */

    ck_assert_int_eq(CREATE_SG("db", "h", 5 * H + 17), OK);
    ck_assert_int_eq(f.r.group->start_ns, 5 * H);
    ck_assert_int_eq(f.r.group->end_ns, 6 * H);
    /* Negative times round down, not towards zero. */
    ck_assert_int_eq(CREATE_SG("db", "h", -1), OK);
    ck_assert_int_eq(f.r.group->start_ns, -H);
    ck_assert_int_eq(f.r.group->end_ns, 0);
    ck_assert_int_eq(CREATE_SG("db", "h", -H), OK);
    ck_assert_int_eq(f.r.group->start_ns, -H);
    ck_assert_int_eq(CREATE_SG("db", "h", -H - 1), OK);
    ck_assert_int_eq(f.r.group->start_ns, -2 * H);
    ck_assert_int_eq(CREATE_SG("db", "d", -D + 5), OK);
    ck_assert_int_eq(f.r.group->start_ns, -D);
    ck_assert_int_eq(f.r.group->end_ns, 0);
    /* 7-day groups start on Mondays, as InfluxDB's (Go's Truncate counts from
     * 0001-01-01, a Monday): 1970-01-01 (Thursday) is in the group of
     * Monday 1969-12-29. */
    ck_assert_int_eq(CREATE_SG("db", "w", 0), OK);
    ck_assert_int_eq(f.r.group->start_ns, -3 * D);
    ck_assert_int_eq(f.r.group->end_ns, 4 * D);
    /* 2023-11-14T22:13:20Z (Tuesday) -> Monday 2023-11-13. */
    ck_assert_int_eq(CREATE_SG("db", "w", 1700000000LL * 1000000000LL), OK);
    ck_assert_int_eq(f.r.group->start_ns, 1699833600LL * 1000000000LL);
    ck_assert_int_eq(st_cat_align(INT64_MIN, 7 * D), INT64_MIN);
    ck_assert_int_eq(st_cat_align(INT64_MIN + 5, H), INT64_MIN);
    ck_assert_int_eq(st_cat_align(INT64_MAX, H), INT64_MAX - INT64_MAX % H);

    /* After an ALTER to wider groups, a new group is clipped against its
     * neighbours instead of overlapping them. */
    int64_t two = 2 * H;
    ALTER("db", "h", NULL, &two, NULL, false);
    ck_assert_int_eq(f.r.code, OK);
    ck_assert_int_eq(CREATE_SG("db", "h", 4 * H + 1), OK);
    ck_assert_int_eq(f.r.group->start_ns, 4 * H);
    ck_assert_int_eq(f.r.group->end_ns, 5 * H);
}
END_TEST

START_TEST(test_cat_truncate)
{
    ADD_NODE("tcp://n1", 0);
    CREATE_DB("db"); /* 7 d groups */
    ck_assert_int_eq(CREATE_SG("db", "", 0), OK);
    uint64_t g1 = f.r.group_id;
    ck_assert_int_eq(CREATE_SG("db", "", 5 * D), OK); /* the next week */
    uint64_t g2 = f.r.group_id;
    ck_assert_int_eq(TRUNCATE(D), OK);
    ck_assert(f.r.changed);
    const Strata__ShardGroup *a = st_cat_group(CAT(), g1), *b = st_cat_group(CAT(), g2);
    ck_assert_int_eq(a->truncated_at_ns, D);
    ck_assert_int_eq(a->end_ns, 4 * D);          /* end stays */
    ck_assert_int_eq(b->truncated_at_ns, 4 * D); /* a future group stops at its start */
    ck_assert(st_cat_group_covers(a, D - 1));
    ck_assert(!st_cat_group_covers(a, D));
    ck_assert(!st_cat_group_covers(b, 5 * D));
    ck_assert_ptr_eq(st_cat_group_for(CAT(), "db", "", D - 1), a);
    ck_assert_ptr_null(st_cat_group_for(CAT(), "db", "", D));
    /* Truncating again at a later time changes nothing. */
    ck_assert_int_eq(TRUNCATE(2 * D), OK);
    ck_assert(!f.r.changed);

    /* The group after a truncation starts at the truncation time. */
    ck_assert_int_eq(CREATE_SG("db", "", 2 * D), OK);
    ck_assert_uint_ne(f.r.group_id, g1);
    ck_assert_int_eq(f.r.group->start_ns, D);
    ck_assert_int_eq(f.r.group->end_ns, 4 * D);
    ck_assert_int_eq(CREATE_SG("db", "", 5 * D), OK);
    ck_assert_int_eq(f.r.group->start_ns, 4 * D);
    ck_assert_int_eq(f.r.group->end_ns, 11 * D);
    ck_assert_uint_eq(CAT()->n_shard_groups, 4);
    /* An earlier truncation moves the truncation time back, as in InfluxDB;
     * truncating at the epoch itself is stored as -1 (0 = not truncated). */
    ck_assert_int_eq(TRUNCATE(0), OK);
    ck_assert_int_eq(st_cat_group(CAT(), g1)->truncated_at_ns, -1);
}
END_TEST

START_TEST(test_cat_truncate_epoch)
{
    ADD_NODE("tcp://n1", 0);
    CREATE_DB_WITH("db", "h", 24 * H, 0, 1);
    CREATE_SG("db", "", -1);
    uint64_t g1 = f.r.group_id;
    CREATE_SG("db", "", 0);
    uint64_t g2 = f.r.group_id;
    ck_assert_int_eq(TRUNCATE(0), OK);
    ck_assert_int_eq(st_cat_group(CAT(), g1)->truncated_at_ns, 0); /* ends at 0 anyway */
    ck_assert_int_eq(st_cat_group(CAT(), g2)->truncated_at_ns, -1);
    ck_assert(!st_cat_group_covers(st_cat_group(CAT(), g2), 0));
    ck_assert(st_cat_group_covers(st_cat_group(CAT(), g1), -1));
}
END_TEST

START_TEST(test_cat_delete_group)
{
    ADD_NODE("tcp://n1", 0);
    CREATE_DB("db");
    CREATE_RP("db", "r", 0, 0, 1, false);
    CREATE_SG("db", "", 0);
    uint64_t id = f.r.group_id;
    DELETE_SG("db", "r", id, 5);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "shard group not found");
    DELETE_SG("db", "", 999, 5);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "shard group not found");
    DELETE_SG("nodb", "", id, 5);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "database not found: nodb");
    DELETE_SG("db", "zz", id, 5);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "retention policy not found: zz");
    ck_assert_int_eq(DELETE_SG("db", "autogen", id, 5), OK);
    ck_assert(f.r.changed);
    ck_assert(st_cat_group(CAT(), id)->deleted);
    ck_assert_int_eq(st_cat_group(CAT(), id)->deleted_at_ns, 5);
    ck_assert_int_eq(DELETE_SG("db", "", id, 6), OK);
    ck_assert(!f.r.changed);
    ck_assert_int_eq(st_cat_group(CAT(), id)->deleted_at_ns, 5);
    /* A deleted group no longer takes writes: a new one replaces it. */
    ck_assert_ptr_null(st_cat_group_for(CAT(), "db", "", 0));
    ck_assert_int_eq(CREATE_SG("db", "", 0), OK);
    ck_assert_uint_ne(f.r.group_id, id);
}
END_TEST

/* Placement -------------------------------------------------------------------- */

/* Live replicas per node id (index = id), for ids < 16. */
static void owner_counts(const Strata__Catalogue *cat, unsigned counts[16])
{
    memset(counts, 0, 16 * sizeof *counts);
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        for (size_t j = 0; !g->deleted && j < g->n_shards; j++) {
            const Strata__Shard *s = g->shards[j];
            for (size_t k = 0; k < s->n_owners; k++) {
                ck_assert_uint_lt(s->owners[k], 16);
                for (size_t l = 0; l < k; l++)
                    ck_assert_uint_ne(s->owners[l], s->owners[k]);
                counts[s->owners[k]]++;
            }
        }
    }
}

static void check_balance(const uint64_t *ids, size_t n, unsigned expect_total)
{
    unsigned counts[16], lo = ~0u, hi = 0, total = 0;
    owner_counts(CAT(), counts);
    for (size_t i = 0; i < n; i++) {
        lo = counts[ids[i]] < lo ? counts[ids[i]] : lo;
        hi = counts[ids[i]] > hi ? counts[ids[i]] : hi;
        total += counts[ids[i]];
    }
    ck_assert_uint_le(hi - lo, 1);
    ck_assert_uint_eq(total, expect_total);
}

START_TEST(test_cat_placement_3_nodes_rf2)
{
    uint64_t ids[3];
    for (int i = 0; i < 3; i++) {
        char a[32];
        snprintf(a, sizeof a, "tcp://n%d", i);
        ids[i] = ADD_NODE(a, 0);
    }
    CREATE_DB_WITH("db", "r", 0, H, 2);
    for (int i = 0; i < 30; i++) {
        ck_assert_int_eq(CREATE_SG("db", "", i * H), OK);
        ck_assert_uint_eq(f.r.group->n_shards, 3);
        for (size_t j = 0; j < 3; j++)
            ck_assert_uint_eq(f.r.group->shards[j]->n_owners, 2);
        check_balance(ids, 3, (unsigned)(i + 1) * 6);
    }
}
END_TEST

START_TEST(test_cat_placement_5_nodes_rf3)
{
    uint64_t ids[5];
    for (int i = 0; i < 5; i++) {
        char a[32];
        snprintf(a, sizeof a, "tcp://n%d", i);
        ids[i] = ADD_NODE(a, 0);
    }
    CREATE_DB_WITH("db", "r", 0, H, 3);
    CREATE_RP("db", "one", 0, H, 1, false);
    unsigned total = 0;
    for (int i = 0; i < 17; i++) {
        ck_assert_int_eq(CREATE_SG("db", i % 3 ? "r" : "one", i * H), OK);
        ck_assert_uint_eq(f.r.group->n_shards, 5);
        total += 5 * (i % 3 ? 3 : 1);
        check_balance(ids, 5, total);
    }
    /* RF above the node count: every UP node owns each shard. */
    CREATE_RP("db", "many", 0, H, 9, false);
    ck_assert_int_eq(CREATE_SG("db", "many", 0), OK);
    ck_assert_uint_eq(f.r.group->shards[0]->n_owners, 5);
}
END_TEST

START_TEST(test_cat_placement_skips_down_nodes)
{
    CREATE_DB_WITH("db", "r", 0, H, 2);
    CREATE_SG("db", "", 0);
    EXPECT(STRATA__ERROR_CODE__UNAVAILABLE, "at least one node required");
    ck_assert_uint_eq(CAT()->next_shard_group_id, 1);
    uint64_t a = ADD_NODE("tcp://a", 0), b = ADD_NODE("tcp://b", 0), c = ADD_NODE("tcp://c", 0);
    UPDATE_NODE(b, STRATA__NODE_STATUS__DOWN, NULL, 0);
    UPDATE_NODE(c, STRATA__NODE_STATUS__LEAVING, NULL, 0);
    ck_assert_int_eq(CREATE_SG("db", "", 0), OK);
    ck_assert_uint_eq(f.r.group->n_shards, 1);
    ck_assert_uint_eq(f.r.group->shards[0]->n_owners, 1);
    ck_assert_uint_eq(f.r.group->shards[0]->owners[0], a);
    UPDATE_NODE(a, STRATA__NODE_STATUS__DOWN, NULL, 0);
    CREATE_SG("db", "", H);
    EXPECT(STRATA__ERROR_CODE__UNAVAILABLE, "at least one node required");
    /* A node that comes back (or joins) gets new shards first. */
    UPDATE_NODE(a, STRATA__NODE_STATUS__UP, NULL, 0);
    UPDATE_NODE(b, STRATA__NODE_STATUS__UP, NULL, 0);
    ck_assert_int_eq(CREATE_SG("db", "", H), OK);
    ck_assert_uint_eq(f.r.group->n_shards, 2);
    ck_assert_uint_eq(f.r.group->shards[0]->owners[0], b);
}
END_TEST

/* Data nodes ---------------------------------------------------------------- */

START_TEST(test_cat_data_nodes)
{
    uint64_t a = ADD_NODE("tcp://a:8089", 100);
    ck_assert_uint_eq(a, 1);
    ck_assert(f.r.changed);
    const Strata__DataNode *n = st_cat_node(CAT(), a);
    ck_assert_int_eq(n->status, STRATA__NODE_STATUS__UP);
    ck_assert_int_eq(n->last_heartbeat_ns, 100);
    ck_assert_str_eq(n->http_addr, "h:8086");
    /* Re-registration of the same address: same id, no id consumed. */
    UPDATE_NODE(a, STRATA__NODE_STATUS__DOWN, NULL, 0);
    ck_assert_uint_eq(ADD_NODE("tcp://a:8089", 200), a);
    ck_assert_int_eq(st_cat_node(CAT(), a)->status, STRATA__NODE_STATUS__UP);
    ck_assert_int_eq(st_cat_node(CAT(), a)->last_heartbeat_ns, 200);
    ck_assert_uint_eq(CAT()->next_node_id, 2);
    uint64_t b = ADD_NODE("tcp://b:8089", 0);
    ck_assert_uint_eq(b, 2);
    ADD_NODE("", 0);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "data node rpc address required");

    ck_assert_int_eq(UPDATE_NODE(b, 0, "tcp://b2:1", 55), OK);
    ck_assert(f.r.changed);
    ck_assert_str_eq(st_cat_node(CAT(), b)->rpc_addr, "tcp://b2:1");
    ck_assert_int_eq(st_cat_node(CAT(), b)->last_heartbeat_ns, 55);
    ck_assert_int_eq(st_cat_node(CAT(), b)->status, STRATA__NODE_STATUS__UP);
    ck_assert_int_eq(UPDATE_NODE(b, 0, NULL, 0), OK);
    ck_assert(!f.r.changed);
    UPDATE_NODE(9, STRATA__NODE_STATUS__UP, NULL, 0);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "node not found");
    UPDATE_NODE(b, 7, NULL, 0);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "invalid node status: 7");

    /* Node a is the only owner of the shard of a RF 1 group. */
    UPDATE_NODE(b, STRATA__NODE_STATUS__DOWN, NULL, 0);
    CREATE_DB("db");
    CREATE_SG("db", "", 0);
    uint64_t gid = f.r.group_id, sid = f.r.group->shards[0]->id;
    REMOVE_NODE(a, false);
    ck_assert_int_eq(f.r.code, STRATA__ERROR_CODE__INVALID_ARGUMENT);
    ck_assert_str_eq(f.r.message, "shard not replicated: shard 1 has no other owner than node 1");
    REMOVE_NODE(42, false);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "node not found");
    ck_assert_int_eq(REMOVE_NODE(b, false), OK);
    ck_assert_ptr_null(st_cat_node(CAT(), b));
    ck_assert_int_eq(REMOVE_NODE(a, true), OK);
    ck_assert_uint_eq(CAT()->n_nodes, 0);
    ck_assert_uint_eq(st_cat_shard(CAT(), sid, NULL)->n_owners, 0);
    ck_assert_uint_eq(st_cat_group(CAT(), gid)->shards[0]->n_owners, 0);
    /* Ids are never reused. */
    ck_assert_uint_eq(ADD_NODE("tcp://c", 0), 3);
}
END_TEST

START_TEST(test_cat_set_shard_owners)
{
    uint64_t a = ADD_NODE("tcp://a", 0), b = ADD_NODE("tcp://b", 0);
    CREATE_DB("db");
    CREATE_SG("db", "", 0);
    uint64_t sid = f.r.group->shards[1]->id;
    const Strata__ShardGroup *g = NULL;
    ck_assert_ptr_nonnull(st_cat_shard(CAT(), sid, &g));
    ck_assert_uint_eq(g->id, f.r.group_id);
    uint64_t both[2] = {b, a}, dup[2] = {a, a}, bad[2] = {a, 77};
    ck_assert_int_eq(SET_OWNERS(sid, 2, both), OK);
    ck_assert(f.r.changed);
    const Strata__Shard *s = st_cat_shard(CAT(), sid, NULL);
    ck_assert_uint_eq(s->n_owners, 2);
    ck_assert_uint_eq(s->owners[0], b);
    ck_assert_uint_eq(s->owners[1], a);
    ck_assert_int_eq(SET_OWNERS(sid, 2, both), OK);
    ck_assert(!f.r.changed);
    SET_OWNERS(sid, 0, NULL);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "shard owners required");
    SET_OWNERS(sid, 2, dup);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "duplicate shard owner: 1");
    SET_OWNERS(sid, 2, bad);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "node not found: 77");
    SET_OWNERS(999, 1, both);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "shard not found: 999");
    ck_assert_uint_eq(st_cat_shard(CAT(), sid, NULL)->n_owners, 2);
    ck_assert_ptr_null(st_cat_shard(CAT(), 999, NULL));
}
END_TEST

/* Users, meta members -------------------------------------------------------- */

START_TEST(test_cat_users)
{
    ck_assert_int_eq(CREATE_USER("bob", "$2a$h1", false), OK);
    ck_assert(f.r.changed);
    ck_assert_int_eq(CREATE_USER("alice", "$2a$h2", true), OK);
    ck_assert_str_eq(CAT()->users[0]->name, "alice");          /* sorted by name */
    ck_assert_int_eq(CREATE_USER("bob", "$2a$h1", false), OK); /* replay */
    ck_assert(!f.r.changed);
    CREATE_USER("bob", "$2a$other", false);
    EXPECT(STRATA__ERROR_CODE__ALREADY_EXISTS, "user already exists");
    CREATE_USER("", "x", false);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "username required");

    ck_assert_int_eq(SET_PASSWORD("bob", "$2a$new"), OK);
    ck_assert_str_eq(CAT()->users[1]->password_hash, "$2a$new");
    SET_PASSWORD("carol", "x");
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "user not found");

    CREATE_DB("db");
    CREATE_DB("ab");
    ck_assert_int_eq(GRANT("bob", "db", STRATA__PRIVILEGE__ALL), OK);
    ck_assert_int_eq(PRIV("bob", "db"), STRATA__PRIVILEGE__ALL);
    ck_assert_int_eq(GRANT("bob", "ab", STRATA__PRIVILEGE__WRITE), OK);
    ck_assert_str_eq(CAT()->users[1]->privileges[0]->database, "ab"); /* sorted */
    ck_assert_int_eq(REVOKE("bob", "db", STRATA__PRIVILEGE__READ), OK);
    ck_assert_int_eq(PRIV("bob", "db"), STRATA__PRIVILEGE__WRITE);
    ck_assert_int_eq(REVOKE("bob", "db", STRATA__PRIVILEGE__READ), OK);
    ck_assert(!f.r.changed);
    ck_assert_int_eq(GRANT("bob", "db", STRATA__PRIVILEGE__READ), OK); /* replaces */
    ck_assert_int_eq(PRIV("bob", "db"), STRATA__PRIVILEGE__READ);
    ck_assert_int_eq(REVOKE("bob", "db", STRATA__PRIVILEGE__ALL), OK);
    ck_assert_int_eq(PRIV("bob", "db"), 0);
    ck_assert_uint_eq(CAT()->users[1]->n_privileges, 1);
    GRANT("carol", "db", STRATA__PRIVILEGE__READ);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "user not found");
    GRANT("bob", "nodb", STRATA__PRIVILEGE__READ);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "database not found: nodb");
    REVOKE("carol", "db", STRATA__PRIVILEGE__READ);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "user not found");
    GRANT("bob", "db", 9);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "invalid privilege: 9");

    ck_assert_int_eq(SET_ADMIN("bob", true), OK);
    ck_assert(CAT()->users[1]->admin);
    ck_assert_int_eq(SET_ADMIN("bob", true), OK);
    ck_assert(!f.r.changed);
    SET_ADMIN("carol", true);
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "user not found");

    ck_assert_int_eq(DROP_USER("bob"), OK);
    ck_assert_uint_eq(CAT()->n_users, 1);
    DROP_USER("bob");
    EXPECT(STRATA__ERROR_CODE__NOT_FOUND, "user not found");
}
END_TEST

static int ADD_MEMBER(uint64_t id, const char *raft, const char *rpc)
{
    Strata__AddMetaMember m = STRATA__ADD_META_MEMBER__INIT;
    Strata__MetaMember mm = STRATA__META_MEMBER__INIT;
    mm.id = id;
    mm.raft_addr = (char *)raft;
    mm.rpc_addr = (char *)rpc;
    m.member = &mm;
    CMD(add_meta_member, ADD_META_MEMBER, &m);
    return APPLY(&cmd);
}

static int REMOVE_MEMBER(uint64_t id)
{
    Strata__RemoveMetaMember m = STRATA__REMOVE_META_MEMBER__INIT;
    m.id = id;
    CMD(remove_meta_member, REMOVE_META_MEMBER, &m);
    return APPLY(&cmd);
}

START_TEST(test_cat_meta_members)
{
    ck_assert_int_eq(ADD_MEMBER(3, "m3:9000", "tcp://m3:9001"), OK);
    ck_assert_int_eq(ADD_MEMBER(1, "m1:9000", "tcp://m1:9001"), OK);
    ck_assert_uint_eq(CAT()->n_meta_members, 2);
    ck_assert_uint_eq(CAT()->meta_members[0]->id, 1);
    ck_assert_int_eq(ADD_MEMBER(1, "m1:9000", "tcp://m1:9001"), OK);
    ck_assert(!f.r.changed);
    ck_assert_int_eq(ADD_MEMBER(1, "m1b:9000", "tcp://m1:9001"), OK);
    ck_assert(f.r.changed);
    ck_assert_str_eq(CAT()->meta_members[0]->raft_addr, "m1b:9000");
    ADD_MEMBER(0, "x", "y");
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "meta member id required");
    Strata__AddMetaMember m = STRATA__ADD_META_MEMBER__INIT;
    CMD(add_meta_member, ADD_META_MEMBER, &m);
    APPLY(&cmd);
    EXPECT(STRATA__ERROR_CODE__INVALID_ARGUMENT, "meta member id required");
    ck_assert_int_eq(REMOVE_MEMBER(1), OK);
    ck_assert(f.r.changed);
    ck_assert_int_eq(REMOVE_MEMBER(1), OK);
    ck_assert(!f.r.changed);
    ck_assert_uint_eq(CAT()->n_meta_members, 1);
}
END_TEST

/* Snapshots, determinism ----------------------------------------------------- */

/* A small but complete catalogue. */
static void POPULATE(void)
{
    ADD_NODE("tcp://a", 10);
    ADD_NODE("tcp://b", 11);
    ADD_NODE("tcp://c", 12);
    ADD_MEMBER(1, "m1:1", "tcp://m1:2");
    CREATE_DB("telegraf");
    CREATE_DB_WITH("plc", "week", 7 * D, 0, 2);
    CREATE_RP("plc", "forever", 0, 0, 3, false);
    for (int i = 0; i < 5; i++)
        CREATE_SG("plc", i % 2 ? "forever" : "", i * D);
    CREATE_SG("telegraf", "", -5);
    TRUNCATE(2 * D + 1);
    DELETE_SG("plc", "week", 1, 99);
    CREATE_USER("admin", "$h", true);
    CREATE_USER("grafana", "$g", false);
    GRANT("grafana", "plc", STRATA__PRIVILEGE__READ);
}

START_TEST(test_cat_snapshot_round_trip)
{
    POPULATE();
    struct st_buf a = ENCODE(f.c);
    st_cat *d;
    ck_assert_int_eq(st_cat_new(&d), ST_OK);
    ck_assert_int_eq(st_cat_decode(d, (const uint8_t *)a.p, a.len), ST_OK);
    ck_assert_uint_eq(st_cat_index(d), f.index);
    ck_assert(SAME(f.c, d));
    /* The restored state keeps applying like the original. */
    struct st_cat_result r2;
    uint64_t i2 = f.index;
    Strata__CreateShardGroup m = STRATA__CREATE_SHARD_GROUP__INIT;
    m.database = (char *)"plc";
    m.timestamp_ns = 40 * D;
    CMD(create_shard_group, CREATE_SHARD_GROUP, &m);
    APPLY(&cmd);
    apply_to(d, &i2, &cmd, &r2);
    ck_assert_uint_eq(r2.group_id, f.r.group_id);
    ck_assert(SAME(f.c, d));

    /* Garbage and invalid catalogues are refused; the state stays. */
    ck_assert_int_eq(st_cat_decode(d, (const uint8_t *)"\xff\xff", 2), ST_ECORRUPT);
    Strata__Catalogue *bad = strata__catalogue__unpack(NULL, a.len, (const uint8_t *)a.p);
    ck_assert_ptr_nonnull(bad);
    ck_assert_int_eq(st_cat_validate(bad, NULL, 0), ST_OK);
    Strata__DataNode *tmp = bad->nodes[0];
    bad->nodes[0] = bad->nodes[1];
    bad->nodes[1] = tmp;
    char err[128];
    ck_assert_int_eq(st_cat_validate(bad, err, sizeof err), ST_ECORRUPT);
    ck_assert_str_eq(err, "data node 1: bad");
    size_t n = strata__catalogue__get_packed_size(bad);
    uint8_t *p = malloc(n);
    strata__catalogue__pack(bad, p);
    ck_assert_int_eq(st_cat_decode(d, p, n), ST_ECORRUPT);
    bad->nodes[1] = bad->nodes[0];
    bad->nodes[0] = tmp;
    uint64_t next = bad->next_shard_id;
    bad->next_shard_id = 2;
    ck_assert_int_eq(st_cat_validate(bad, err, sizeof err), ST_ECORRUPT);
    bad->next_shard_id = next;
    char *def = bad->databases[0]->default_rp;
    bad->databases[0]->default_rp = (char *)"nope";
    ck_assert_int_eq(st_cat_validate(bad, err, sizeof err), ST_ECORRUPT);
    ck_assert_str_eq(err, "database plc: no default policy");
    bad->databases[0]->default_rp = def;
    ck_assert_int_eq(st_cat_validate(bad, err, sizeof err), ST_OK);
    ck_assert(SAME(f.c, d));
    free(p);
    strata__catalogue__free_unpacked(bad, NULL);
    st_cat_free(d);
    st_buf_fini(&a);
}
END_TEST

/* Fills @cmd (whose sub-messages live in @s) with a random command over small
 * name pools, so that hits and misses both happen. */
struct rnd_cmd {
    Strata__Command cmd;
    Strata__CreateDatabase cdb;
    Strata__RetentionPolicy rp;
    Strata__DropDatabase ddb;
    Strata__CreateRetentionPolicy crp;
    Strata__AlterRetentionPolicy arp;
    Strata__DropRetentionPolicy drp;
    Strata__CreateShardGroup csg;
    Strata__DeleteShardGroup dsg;
    Strata__TruncateShardGroups tsg;
    Strata__AddDataNode adn;
    Strata__RemoveDataNode rdn;
    Strata__UpdateDataNode udn;
    Strata__SetShardOwners sso;
    uint64_t owners[3];
    Strata__CreateUser cu;
    Strata__Grant gr;
    Strata__Revoke rv;
    Strata__DropUser du;
};

static const char *const DBS[] = {"db0", "db1", "db2"};
static const char *const RPS[] = {"", "autogen", "r1", "r2"};
static const char *const ADDRS[] = {"tcp://n0", "tcp://n1", "tcp://n2", "tcp://n3"};
static const char *const USERS[] = {"u0", "u1"};
static const int64_t DURS[] = {0, H, 3 * H, 2 * D, 30 * D, 400 * D, 10};

#define PICK(a) (a)[rand() % (int)(sizeof(a) / sizeof *(a))]

static void random_command(struct rnd_cmd *s)
{
    memset(s, 0, sizeof *s);
    strata__command__init(&s->cmd);
    switch (rand() % 16) {
    case 0:
        strata__create_database__init(&s->cdb);
        s->cdb.name = (char *)PICK(DBS);
        if (rand() % 2) {
            strata__retention_policy__init(&s->rp);
            s->rp.name = (char *)PICK(RPS);
            s->rp.duration_ns = PICK(DURS);
            s->rp.replication_factor = (uint32_t)(rand() % 4);
            s->cdb.default_rp = &s->rp;
        }
        s->cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
        s->cmd.create_database = &s->cdb;
        break;
    case 1:
        strata__drop_database__init(&s->ddb);
        s->ddb.name = (char *)PICK(DBS);
        s->ddb.deleted_at_ns = rand();
        s->cmd.cmd_case = STRATA__COMMAND__CMD_DROP_DATABASE;
        s->cmd.drop_database = &s->ddb;
        break;
    case 2:
        strata__create_retention_policy__init(&s->crp);
        strata__retention_policy__init(&s->rp);
        s->crp.database = (char *)PICK(DBS);
        s->rp.name = (char *)PICK(RPS);
        s->rp.duration_ns = PICK(DURS);
        s->rp.shard_group_duration_ns = PICK(DURS);
        s->rp.replication_factor = (uint32_t)(rand() % 4);
        s->crp.rp = rand() % 8 ? &s->rp : NULL;
        s->crp.make_default = rand() % 2;
        s->cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_RETENTION_POLICY;
        s->cmd.create_retention_policy = &s->crp;
        break;
    case 3:
        strata__alter_retention_policy__init(&s->arp);
        s->arp.database = (char *)PICK(DBS);
        s->arp.name = (char *)PICK(RPS);
        s->arp.set_duration = rand() % 2;
        s->arp.duration_ns = PICK(DURS);
        s->arp.set_shard_group_duration = rand() % 2;
        s->arp.shard_group_duration_ns = PICK(DURS);
        s->arp.set_replication_factor = rand() % 2;
        s->arp.replication_factor = (uint32_t)(rand() % 4);
        s->arp.make_default = rand() % 2;
        s->cmd.cmd_case = STRATA__COMMAND__CMD_ALTER_RETENTION_POLICY;
        s->cmd.alter_retention_policy = &s->arp;
        break;
    case 4:
        strata__drop_retention_policy__init(&s->drp);
        s->drp.database = (char *)PICK(DBS);
        s->drp.name = (char *)PICK(RPS);
        s->cmd.cmd_case = STRATA__COMMAND__CMD_DROP_RETENTION_POLICY;
        s->cmd.drop_retention_policy = &s->drp;
        break;
    case 5:
    case 6:
    case 7:
        strata__create_shard_group__init(&s->csg);
        s->csg.database = (char *)PICK(DBS);
        s->csg.retention_policy = (char *)PICK(RPS);
        s->csg.timestamp_ns = (int64_t)(rand() % 2000 - 1000) * (H / 3);
        s->cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_SHARD_GROUP;
        s->cmd.create_shard_group = &s->csg;
        break;
    case 8:
        strata__delete_shard_group__init(&s->dsg);
        s->dsg.database = (char *)PICK(DBS);
        s->dsg.retention_policy = (char *)PICK(RPS);
        s->dsg.shard_group_id = (uint64_t)(rand() % 40);
        s->cmd.cmd_case = STRATA__COMMAND__CMD_DELETE_SHARD_GROUP;
        s->cmd.delete_shard_group = &s->dsg;
        break;
    case 9:
        strata__truncate_shard_groups__init(&s->tsg);
        s->tsg.timestamp_ns = (int64_t)(rand() % 2000 - 1000) * (H / 3);
        s->cmd.cmd_case = STRATA__COMMAND__CMD_TRUNCATE_SHARD_GROUPS;
        s->cmd.truncate_shard_groups = &s->tsg;
        break;
    case 10:
        strata__add_data_node__init(&s->adn);
        s->adn.rpc_addr = (char *)PICK(ADDRS);
        s->adn.now_ns = rand();
        s->cmd.cmd_case = STRATA__COMMAND__CMD_ADD_DATA_NODE;
        s->cmd.add_data_node = &s->adn;
        break;
    case 11:
        strata__remove_data_node__init(&s->rdn);
        s->rdn.node_id = (uint64_t)(rand() % 6);
        s->rdn.force = rand() % 2;
        s->cmd.cmd_case = STRATA__COMMAND__CMD_REMOVE_DATA_NODE;
        s->cmd.remove_data_node = &s->rdn;
        break;
    case 12:
        strata__update_data_node__init(&s->udn);
        s->udn.node_id = (uint64_t)(rand() % 6);
        s->udn.status = (Strata__NodeStatus)(rand() % 4);
        s->udn.last_heartbeat_ns = rand();
        s->cmd.cmd_case = STRATA__COMMAND__CMD_UPDATE_DATA_NODE;
        s->cmd.update_data_node = &s->udn;
        break;
    case 13:
        strata__set_shard_owners__init(&s->sso);
        s->sso.shard_id = (uint64_t)(rand() % 60);
        s->sso.n_owners = (size_t)(rand() % 4);
        for (size_t i = 0; i < s->sso.n_owners; i++)
            s->owners[i] = (uint64_t)(rand() % 6);
        s->sso.owners = s->owners;
        s->cmd.cmd_case = STRATA__COMMAND__CMD_SET_SHARD_OWNERS;
        s->cmd.set_shard_owners = &s->sso;
        break;
    case 14:
        strata__create_user__init(&s->cu);
        s->cu.name = (char *)PICK(USERS);
        s->cu.password_hash = (char *)"$h";
        s->cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_USER;
        s->cmd.create_user = &s->cu;
        break;
    default:
        if (rand() % 3 == 0) {
            strata__drop_user__init(&s->du);
            s->du.name = (char *)PICK(USERS);
            s->cmd.cmd_case = STRATA__COMMAND__CMD_DROP_USER;
            s->cmd.drop_user = &s->du;
        } else if (rand() % 2) {
            strata__grant__init(&s->gr);
            s->gr.user = (char *)PICK(USERS);
            s->gr.database = (char *)PICK(DBS);
            s->gr.privilege = (Strata__Privilege)(rand() % 4);
            s->cmd.cmd_case = STRATA__COMMAND__CMD_GRANT;
            s->cmd.grant = &s->gr;
        } else {
            strata__revoke__init(&s->rv);
            s->rv.user = (char *)PICK(USERS);
            s->rv.database = (char *)PICK(DBS);
            s->rv.privilege = (Strata__Privilege)(rand() % 4);
            s->cmd.cmd_case = STRATA__COMMAND__CMD_REVOKE;
            s->cmd.revoke = &s->rv;
        }
        break;
    }
}

START_TEST(test_cat_determinism_random)
{
    st_cat *b;
    ck_assert_int_eq(st_cat_new(&b), ST_OK);
    uint64_t ib = 0;
    struct st_cat_result rb;
    struct rnd_cmd s;
    srand(20240611);
    unsigned ok = 0, failed = 0;
    for (int step = 0; step < 3000; step++) {
        if (step % 97 == 0) {
            /* Undecodable input is a result too, on both. */
            uint8_t junk[8];
            for (size_t i = 0; i < sizeof junk; i++)
                junk[i] = (uint8_t)rand();
            ck_assert_int_eq(st_cat_apply(f.c, ++f.index, 1, junk, sizeof junk, &f.r), ST_OK);
            ck_assert_int_eq(st_cat_apply(b, ++ib, 1, junk, sizeof junk, &rb), ST_OK);
        } else {
            random_command(&s);
            apply_to(f.c, &f.index, &s.cmd, &f.r);
            apply_to(b, &ib, &s.cmd, &rb);
        }
        ck_assert_int_eq(f.r.code, rb.code);
        ck_assert_str_eq(f.r.message, rb.message);
        ck_assert_uint_eq(f.r.group_id, rb.group_id);
        ck_assert_uint_eq(f.r.assigned_id, rb.assigned_id);
        if (f.r.code == OK)
            ok++;
        else
            failed++;
        ck_assert_msg(SAME(f.c, b), "step %d", step);
        ck_assert_int_eq(st_cat_validate(CAT(), NULL, 0), ST_OK);
        if (step % 250 == 0) {
            /* A snapshot restored into a third instance encodes the same. */
            struct st_buf x = ENCODE(f.c);
            st_cat *d;
            ck_assert_int_eq(st_cat_new(&d), ST_OK);
            ck_assert_int_eq(st_cat_decode(d, (const uint8_t *)x.p, x.len), ST_OK);
            ck_assert(SAME(f.c, d));
            st_cat_free(d);
            st_buf_fini(&x);
        }
    }
    ck_assert_uint_gt(ok, 500);
    ck_assert_uint_gt(failed, 500);
    ck_assert_uint_gt(CAT()->n_shard_groups, 10);
    st_cat_free(b);
}
END_TEST

START_TEST(test_cat_two_instances_same_sequence)
{
    st_cat *b;
    ck_assert_int_eq(st_cat_new(&b), ST_OK);
    POPULATE();
    /* Replay the same commands into b by re-running POPULATE on it. */
    st_cat *save = f.c;
    uint64_t save_index = f.index;
    f.c = b;
    f.index = 0;
    POPULATE();
    f.c = save;
    f.index = save_index;
    ck_assert(SAME(f.c, b));
    st_cat_free(b);
}
END_TEST

START_TEST(test_cat_encode_large)
{
    for (int i = 0; i < 5; i++) {
        char a[32];
        snprintf(a, sizeof a, "tcp://n%d", i);
        ADD_NODE(a, 0);
    }
    CREATE_DB_WITH("db", "r", 0, H, 2);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(CREATE_SG("db", "", (int64_t)i * H), OK);
    struct timespec t0, t1;
    struct st_buf b;
    st_buf_init(&b);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(st_cat_encode(f.c, &b), ST_OK); /* packs */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double first_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    st_buf_reset(&b);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(st_cat_encode(f.c, &b), ST_OK); /* cached */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double again_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    fprintf(stderr, "encode 10000 groups (%zu bytes): %.2f ms, cached %.3f ms\n", b.len, first_ms,
            again_ms);
    ck_assert(first_ms < 200); /* a few ms here; generous for sanitizers */
    ck_assert_ptr_nonnull(st_cat_group_for(CAT(), "db", "", 9999 * H));
    st_buf_fini(&b);
}
END_TEST

/* Helpers ---------------------------------------------------------------------- */

START_TEST(test_cat_expired_groups)
{
    ADD_NODE("tcp://a", 0);
    CREATE_DB_WITH("db", "day", D, H, 1);
    CREATE_RP("db", "forever", 0, H, 1, false);
    for (int i = 0; i < 5; i++) {
        CREATE_SG("db", "day", i * H);
        CREATE_SG("db", "forever", i * H);
    }
    uint64_t ids[8];
    /* Group [0,1h) of "day" expires when now - 1 d >= 1 h. */
    ck_assert_uint_eq(st_cat_expired_groups(CAT(), D + H - 1, ids, 8), 0);
    ck_assert_uint_eq(st_cat_expired_groups(CAT(), D + H, ids, 8), 1);
    ck_assert_uint_eq(ids[0], 1);
    ck_assert_uint_eq(st_cat_expired_groups(CAT(), D + 3 * H, ids, 8), 3);
    ck_assert_uint_eq(ids[1], 3);
    ck_assert_uint_eq(ids[2], 5);
    ck_assert_uint_eq(st_cat_expired_groups(CAT(), 100 * D, ids, 2), 5); /* more than cap */
    DELETE_SG("db", "day", 1, 0);
    ck_assert_uint_eq(st_cat_expired_groups(CAT(), D + 3 * H, ids, 8), 2);
    ck_assert_uint_eq(st_cat_expired_groups(CAT(), INT64_MIN, ids, 8), 0);
}
END_TEST

START_TEST(test_cat_down_nodes)
{
    uint64_t a = ADD_NODE("tcp://a", 100), b = ADD_NODE("tcp://b", 500);
    ADD_NODE("tcp://c", 50);
    UPDATE_NODE(3, STRATA__NODE_STATUS__DOWN, NULL, 0);
    uint64_t ids[4];
    ck_assert_uint_eq(st_cat_down_nodes(CAT(), 600, 1000, ids, 4), 0);
    ck_assert_uint_eq(st_cat_down_nodes(CAT(), 1101, 1000, ids, 4), 1);
    ck_assert_uint_eq(ids[0], a);
    ck_assert_uint_eq(st_cat_down_nodes(CAT(), 1100, 1000, ids, 4), 0); /* not strictly older */
    ck_assert_uint_eq(st_cat_down_nodes(CAT(), 5000, 1000, ids, 4), 2);
    ck_assert_uint_eq(ids[1], b);
    UPDATE_NODE(a, 0, NULL, 4500);
    ck_assert_uint_eq(st_cat_down_nodes(CAT(), 5000, 1000, ids, 1), 1);
    ck_assert_uint_eq(ids[0], b);
}
END_TEST

START_TEST(test_cat_lookups)
{
    ADD_NODE("tcp://a", 0);
    ADD_NODE("tcp://b", 0);
    ADD_NODE("tcp://c", 0);
    CREATE_DB("b");
    CREATE_DB("a");
    CREATE_DB("c");
    ck_assert_str_eq(CAT()->databases[0]->name, "a");
    ck_assert_str_eq(CAT()->databases[2]->name, "c");
    ck_assert_ptr_null(st_cat_database(CAT(), "d"));
    ck_assert_ptr_null(st_cat_rp(CAT(), "d", NULL));
    ck_assert_ptr_null(st_cat_rp(CAT(), "a", "x"));
    ck_assert_ptr_null(st_cat_node(CAT(), 4));
    ck_assert_ptr_null(st_cat_group(CAT(), 1));
    CREATE_SG("b", "", 0);
    const Strata__ShardGroup *g = f.r.group;
    ck_assert_ptr_null(st_cat_group_for(CAT(), "a", "", 0));
    ck_assert_ptr_null(st_cat_group_for(CAT(), "b", "", 4 * D));
    ck_assert_ptr_eq(st_cat_group_for(CAT(), "b", "autogen", -3 * D), g);
    ck_assert_uint_eq(g->n_shards, 3);
    for (uint64_t h = 0; h < 6; h++)
        ck_assert_ptr_eq(st_cat_shard_for(g, h), g->shards[h % 3]);
}
END_TEST

/* One TCase per behaviour, each with the fixture and a timeout. */
#define ADD_TEST(s, name, fn)                           \
    do {                                                \
        TCase *tc = tcase_create(name);                 \
        tcase_add_checked_fixture(tc, setup, teardown); \
        tcase_set_timeout(tc, 120);                     \
        tcase_add_test(tc, fn);                         \
        suite_add_tcase(s, tc);                         \
    } while (0)

static Suite *catalogue_suite(void)
{
    Suite *s = suite_create("catalogue");
    ADD_TEST(s, "new", test_cat_new_empty);
    ADD_TEST(s, "apply", test_cat_apply_protocol_errors);
    ADD_TEST(s, "create_database", test_cat_create_database);
    ADD_TEST(s, "group_duration", test_cat_group_duration_defaults);
    ADD_TEST(s, "create_rp", test_cat_create_rp);
    ADD_TEST(s, "alter_rp", test_cat_alter_rp);
    ADD_TEST(s, "drop", test_cat_drop_database_and_rp);
    ADD_TEST(s, "shard_group", test_cat_shard_group_idempotent);
    ADD_TEST(s, "alignment", test_cat_shard_group_alignment);
    ADD_TEST(s, "truncate", test_cat_truncate);
    ADD_TEST(s, "truncate_epoch", test_cat_truncate_epoch);
    ADD_TEST(s, "delete_group", test_cat_delete_group);
    ADD_TEST(s, "placement_3_rf2", test_cat_placement_3_nodes_rf2);
    ADD_TEST(s, "placement_5_rf3", test_cat_placement_5_nodes_rf3);
    ADD_TEST(s, "placement_down", test_cat_placement_skips_down_nodes);
    ADD_TEST(s, "data_nodes", test_cat_data_nodes);
    ADD_TEST(s, "set_owners", test_cat_set_shard_owners);
    ADD_TEST(s, "users", test_cat_users);
    ADD_TEST(s, "meta_members", test_cat_meta_members);
    ADD_TEST(s, "snapshot", test_cat_snapshot_round_trip);
    ADD_TEST(s, "determinism", test_cat_determinism_random);
    ADD_TEST(s, "same_sequence", test_cat_two_instances_same_sequence);
    ADD_TEST(s, "encode_large", test_cat_encode_large);
    ADD_TEST(s, "expired", test_cat_expired_groups);
    ADD_TEST(s, "down_nodes", test_cat_down_nodes);
    ADD_TEST(s, "lookups", test_cat_lookups);
    return s;
}

int main(void)
{
    return t_run_suite(catalogue_suite());
}
