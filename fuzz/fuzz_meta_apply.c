/* libFuzzer target: the catalogue state machine (meta/catalogue) on arbitrary
 * bytes. The first byte picks the mode:
 *   even: the rest is a sequence of commands, each one length byte and that
 *         many bytes of packed Strata__Command, applied to a catalogue that
 *         already holds nodes, databases, groups and users;
 *   odd:  the rest is a snapshot for st_cat_decode(); if it is accepted, a
 *         few commands are applied to it.
 * Either way the state must stay valid (st_cat_validate()) and
 * encode -> decode -> encode must give the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t next_index;

static void apply_cmd(st_cat *c, const Strata__Command *cmd)
{
    size_t n = strata__command__get_packed_size(cmd);
    uint8_t *buf = malloc(n + 1);
    struct st_cat_result r;
    if (buf == NULL)
        abort();
    strata__command__pack(cmd, buf);
    if (st_cat_apply(c, ++next_index, 1, buf, n, &r) != ST_OK)
        abort();
    free(buf);
}

/* Nodes 1..3, database "db" (autogen, 1 h groups in "h"), a few groups, a
 * user with a grant. */
static void populate(st_cat *c)
{
    Strata__Command cmd = STRATA__COMMAND__INIT;
    static const char *const addrs[] = {"tcp://a", "tcp://b", "tcp://c"};
    for (int i = 0; i < 3; i++) {
        Strata__AddDataNode m = STRATA__ADD_DATA_NODE__INIT;
        m.rpc_addr = (char *)addrs[i];
        cmd.cmd_case = STRATA__COMMAND__CMD_ADD_DATA_NODE;
        cmd.add_data_node = &m;
        apply_cmd(c, &cmd);
    }
    Strata__CreateDatabase db = STRATA__CREATE_DATABASE__INIT;
    db.name = (char *)"db";
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_DATABASE;
    cmd.create_database = &db;
    apply_cmd(c, &cmd);
    Strata__RetentionPolicy rp = STRATA__RETENTION_POLICY__INIT;
    rp.name = (char *)"h";
    rp.duration_ns = 24 * ST_CAT_HOUR_NS;
    rp.replication_factor = 2;
    Strata__CreateRetentionPolicy crp = STRATA__CREATE_RETENTION_POLICY__INIT;
    crp.database = (char *)"db";
    crp.rp = &rp;
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_RETENTION_POLICY;
    cmd.create_retention_policy = &crp;
    apply_cmd(c, &cmd);
    for (int i = 0; i < 4; i++) {
        Strata__CreateShardGroup sg = STRATA__CREATE_SHARD_GROUP__INIT;
        sg.database = (char *)"db";
        sg.retention_policy = (char *)(i % 2 ? "h" : "");
        sg.timestamp_ns = (i - 2) * ST_CAT_HOUR_NS;
        cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_SHARD_GROUP;
        cmd.create_shard_group = &sg;
        apply_cmd(c, &cmd);
    }
    Strata__CreateUser u = STRATA__CREATE_USER__INIT;
    u.name = (char *)"u";
    cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_USER;
    cmd.create_user = &u;
    apply_cmd(c, &cmd);
}

/* The invariants every reachable state keeps. */
static void check(st_cat *c)
{
    if (st_cat_validate(st_cat_catalogue(c), NULL, 0) != ST_OK)
        abort();
    struct st_buf a, b;
    st_buf_init(&a);
    st_buf_init(&b);
    st_cat *d = NULL;
    if (st_cat_encode(c, &a) != ST_OK || st_cat_new(&d) != ST_OK ||
        st_cat_decode(d, (const uint8_t *)a.p, a.len) != ST_OK || st_cat_encode(d, &b) != ST_OK)
        abort();
    if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
        abort();
    uint64_t ids[8];
    st_cat_expired_groups(st_cat_catalogue(c), 100 * ST_CAT_DAY_NS, ids, 8);
    st_cat_down_nodes(st_cat_catalogue(c), 0, 0, ids, 8);
    st_cat_group_for(st_cat_catalogue(c), "db", NULL, 0);
    st_cat_free(d);
    st_buf_fini(&a);
    st_buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    st_cat *c;
    if (st_cat_new(&c) != ST_OK)
        abort();
    next_index = 0;
    if (data[0] % 2 == 0) {
        populate(c);
        const uint8_t *p = data + 1, *end = data + size;
        while (p < end) {
            size_t n = *p++;
            if (n > (size_t)(end - p))
                n = (size_t)(end - p);
            struct st_cat_result r;
            if (st_cat_apply(c, ++next_index, 2, p, n, &r) != ST_OK)
                abort();
            p += n;
        }
    } else if (st_cat_decode(c, data + 1, size - 1) == ST_OK) {
        next_index = st_cat_index(c);
        check(c);
        /* Keep applying on the restored state. */
        Strata__Command cmd = STRATA__COMMAND__INIT;
        Strata__CreateShardGroup sg = STRATA__CREATE_SHARD_GROUP__INIT;
        const Strata__Catalogue *cat = st_cat_catalogue(c);
        sg.database = cat->n_databases ? cat->databases[0]->name : (char *)"db";
        cmd.cmd_case = STRATA__COMMAND__CMD_CREATE_SHARD_GROUP;
        cmd.create_shard_group = &sg;
        if (next_index < UINT64_MAX - 4) {
            apply_cmd(c, &cmd);
            Strata__TruncateShardGroups tr = STRATA__TRUNCATE_SHARD_GROUPS__INIT;
            cmd.cmd_case = STRATA__COMMAND__CMD_TRUNCATE_SHARD_GROUPS;
            cmd.truncate_shard_groups = &tr;
            apply_cmd(c, &cmd);
        }
    }
    check(c);
    st_cat_free(c);
    return 0;
}
