/* The catalogue state machine: lifecycle, command dispatch, snapshots.
 *
 * Happy path: st_cat_apply() unpacks one Strata__Command, advances index and
 * term, and hands the command to its handler (catalogue_apply.c,
 * catalogue_shard.c). A handler first checks the command against the state
 * and, only if it is valid, changes the state in place: sorted pointer
 * arrays grow by one slot before anything is linked, so a failed allocation
 * leaves the state as it was. Any change drops the cached encoding;
 * st_cat_encode() packs the state once and then serves copies of the bytes.
 *
 * Failure modes: a command that does not decode, or is invalid for the
 * state, is a result (res->code), never a failure, because every replica
 * must reach the same verdict. A snapshot that does not decode or breaks an
 * invariant is refused with ST_ECORRUPT and the state is kept. Out of memory
 * travels up as ST_ENOMEM.
 */
#include <stdio.h>
#include <stdlib.h>

#include "catalogue_int.h"

int cat_fail(struct st_cat_result *res, int code, const char *fmt, ...)
{
    va_list ap;
    res->code = code;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    return ST_OK;
}

char *cat_strdup(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return (char *)protobuf_c_empty_string;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

void cat_strfree(char *s)
{
    if (s != NULL && s != protobuf_c_empty_string)
        free(s);
}

void *cat_grow(void *arr, size_t n, size_t size)
{
    return realloc(arr, (n + 1) * size);
}

static Strata__Catalogue *empty_catalogue(void)
{
    Strata__Catalogue *cat = malloc(sizeof *cat);
    if (cat == NULL)
        return NULL;
    strata__catalogue__init(cat);
    cat->next_node_id = 1;
    cat->next_shard_group_id = 1;
    cat->next_shard_id = 1;
    return cat;
}

int st_cat_new(st_cat **out)
{
    st_cat *c = calloc(1, sizeof *c);
    if (c == NULL)
        return ST_ENOMEM;
    c->cat = empty_catalogue();
    if (c->cat == NULL) {
        free(c);
        return ST_ENOMEM;
    }
    st_buf_init(&c->enc);
    *out = c;
    return ST_OK;
}

void st_cat_free(st_cat *c)
{
    if (c == NULL)
        return;
    protobuf_c_message_free_unpacked(&c->cat->base, NULL);
    st_buf_fini(&c->enc);
    free(c);
}

uint64_t st_cat_index(const st_cat *c)
{
    return c->cat->index;
}

const Strata__Catalogue *st_cat_catalogue(const st_cat *c)
{
    return c->cat;
}

static int dispatch(Strata__Catalogue *cat, const Strata__Command *cmd, struct st_cat_result *res)
{
    switch (cmd->cmd_case) {
    case STRATA__COMMAND__CMD_CREATE_DATABASE:
        return cat_create_database(cat, cmd->create_database, res);
    case STRATA__COMMAND__CMD_DROP_DATABASE:
        return cat_drop_database(cat, cmd->drop_database, res);
    case STRATA__COMMAND__CMD_CREATE_RETENTION_POLICY:
        return cat_create_rp(cat, cmd->create_retention_policy, res);
    case STRATA__COMMAND__CMD_ALTER_RETENTION_POLICY:
        return cat_alter_rp(cat, cmd->alter_retention_policy, res);
    case STRATA__COMMAND__CMD_DROP_RETENTION_POLICY:
        return cat_drop_rp(cat, cmd->drop_retention_policy, res);
    case STRATA__COMMAND__CMD_CREATE_SHARD_GROUP:
        return cat_create_group(cat, cmd->create_shard_group, res);
    case STRATA__COMMAND__CMD_DELETE_SHARD_GROUP:
        return cat_delete_group(cat, cmd->delete_shard_group, res);
    case STRATA__COMMAND__CMD_TRUNCATE_SHARD_GROUPS:
        return cat_truncate_groups(cat, cmd->truncate_shard_groups, res);
    case STRATA__COMMAND__CMD_ADD_DATA_NODE:
        return cat_add_node(cat, cmd->add_data_node, res);
    case STRATA__COMMAND__CMD_REMOVE_DATA_NODE:
        return cat_remove_node(cat, cmd->remove_data_node, res);
    case STRATA__COMMAND__CMD_UPDATE_DATA_NODE:
        return cat_update_node(cat, cmd->update_data_node, res);
    case STRATA__COMMAND__CMD_SET_SHARD_OWNERS:
        return cat_set_owners(cat, cmd->set_shard_owners, res);
    case STRATA__COMMAND__CMD_CREATE_USER:
        return cat_create_user(cat, cmd->create_user, res);
    case STRATA__COMMAND__CMD_DROP_USER:
        return cat_drop_user(cat, cmd->drop_user, res);
    case STRATA__COMMAND__CMD_SET_PASSWORD:
        return cat_set_password(cat, cmd->set_password, res);
    case STRATA__COMMAND__CMD_GRANT:
        return cat_grant(cat, cmd->grant->user, cmd->grant->database, cmd->grant->privilege, false,
                         res);
    case STRATA__COMMAND__CMD_REVOKE:
        return cat_grant(cat, cmd->revoke->user, cmd->revoke->database, cmd->revoke->privilege,
                         true, res);
    case STRATA__COMMAND__CMD_SET_ADMIN:
        return cat_set_admin(cat, cmd->set_admin, res);
    case STRATA__COMMAND__CMD_ADD_META_MEMBER:
        return cat_add_member(cat, cmd->add_meta_member, res);
    case STRATA__COMMAND__CMD_REMOVE_META_MEMBER:
        return cat_remove_member(cat, cmd->remove_meta_member, res);
    default:
        return cat_fail(res, STRATA__ERROR_CODE__PROTOCOL_ERROR, "command: no command set");
    }
}

int st_cat_apply(st_cat *c, uint64_t index, uint64_t term, const uint8_t *cmd, size_t len,
                 struct st_cat_result *res)
{
    if (c == NULL || res == NULL || (cmd == NULL && len > 0) || index <= c->cat->index)
        return ST_EINVAL;
    memset(res, 0, sizeof *res);
    c->cat->index = index;
    c->cat->term = term;
    c->enc_ok = false;

    Strata__Command *m = strata__command__unpack(NULL, len, cmd);
    if (m == NULL)
        return cat_fail(res, STRATA__ERROR_CODE__PROTOCOL_ERROR, "command: cannot decode");
    int rv = dispatch(c->cat, m, res);
    strata__command__free_unpacked(m, NULL);
    if (rv != ST_OK) {
        /* UNTESTED: out of memory inside a handler (no fault injection). */
        memset(res, 0, sizeof *res);
        return rv;
    }
    if (res->code != STRATA__ERROR_CODE__OK) {
        res->changed = false;
        res->group = NULL;
        res->group_id = 0;
        res->assigned_id = 0;
    }
    return ST_OK;
}

int st_cat_encode(st_cat *c, struct st_buf *out)
{
    int rv;
    if (!c->enc_ok) {
        size_t n = strata__catalogue__get_packed_size(c->cat);
        st_buf_reset(&c->enc);
        if ((rv = st_buf_reserve(&c->enc, n)) != ST_OK)
            return rv;
        strata__catalogue__pack(c->cat, (uint8_t *)c->enc.p);
        c->enc.len = n;
        c->enc.p[n] = '\0';
        c->enc_ok = true;
    }
    return st_buf_append(out, c->enc.p, c->enc.len);
}

/* Frees the unknown fields protobuf-c kept in @m (not its sub-messages). */
static void drop_unknown(ProtobufCMessage *m)
{
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        free(m->unknown_fields[i].data);
    free(m->unknown_fields);
    m->unknown_fields = NULL;
    m->n_unknown_fields = 0;
}

/* Drops every unknown field of a decoded catalogue. A snapshot written by a
 * newer version loses what this one does not know, and what it encodes again
 * is always canonical and decodable (protobuf-c would otherwise write
 * unknown fields back verbatim, malformed ones included). */
static void drop_all_unknown(Strata__Catalogue *cat)
{
    drop_unknown(&cat->base);
    for (size_t i = 0; i < cat->n_nodes; i++)
        drop_unknown(&cat->nodes[i]->base);
    for (size_t i = 0; i < cat->n_databases; i++) {
        drop_unknown(&cat->databases[i]->base);
        for (size_t j = 0; j < cat->databases[i]->n_retention_policies; j++)
            drop_unknown(&cat->databases[i]->retention_policies[j]->base);
    }
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        drop_unknown(&cat->shard_groups[i]->base);
        for (size_t j = 0; j < cat->shard_groups[i]->n_shards; j++)
            drop_unknown(&cat->shard_groups[i]->shards[j]->base);
    }
    for (size_t i = 0; i < cat->n_users; i++) {
        drop_unknown(&cat->users[i]->base);
        for (size_t j = 0; j < cat->users[i]->n_privileges; j++)
            drop_unknown(&cat->users[i]->privileges[j]->base);
    }
    for (size_t i = 0; i < cat->n_meta_members; i++)
        drop_unknown(&cat->meta_members[i]->base);
}

int st_cat_decode(st_cat *c, const uint8_t *p, size_t len)
{
    if (c == NULL || (p == NULL && len > 0))
        return ST_EINVAL;
    Strata__Catalogue *cat = strata__catalogue__unpack(NULL, len, p);
    if (cat == NULL)
        return ST_ECORRUPT;
    if (st_cat_validate(cat, NULL, 0) != ST_OK) {
        strata__catalogue__free_unpacked(cat, NULL);
        return ST_ECORRUPT;
    }
    drop_all_unknown(cat);
    protobuf_c_message_free_unpacked(&c->cat->base, NULL);
    c->cat = cat;
    c->enc_ok = false;
    return ST_OK;
}

/* Snapshot validation ---------------------------------------------------- */

static bool valid_rp(const Strata__RetentionPolicy *rp)
{
    return rp->name[0] != '\0' && rp->duration_ns >= 0 && rp->shard_group_duration_ns > 0 &&
           rp->replication_factor >= 1;
}

static int check_databases(const Strata__Catalogue *cat, char *err, size_t errlen)
{
    for (size_t i = 0; i < cat->n_databases; i++) {
        const Strata__Database *db = cat->databases[i];
        if (db->name[0] == '\0' || (i > 0 && strcmp(cat->databases[i - 1]->name, db->name) >= 0))
            return st_errf(err, errlen, ST_ECORRUPT, "database %zu: bad or unsorted name", i);
        bool has_default = db->default_rp[0] == '\0';
        for (size_t j = 0; j < db->n_retention_policies; j++) {
            const Strata__RetentionPolicy *rp = db->retention_policies[j];
            if (!valid_rp(rp) ||
                (j > 0 && strcmp(db->retention_policies[j - 1]->name, rp->name) >= 0))
                return st_errf(err, errlen, ST_ECORRUPT, "database %s: bad policy %zu", db->name,
                               j);
            has_default |= strcmp(rp->name, db->default_rp) == 0;
        }
        if (!has_default)
            return st_errf(err, errlen, ST_ECORRUPT, "database %s: no default policy", db->name);
    }
    return ST_OK;
}

static int check_groups(const Strata__Catalogue *cat, char *err, size_t errlen)
{
    uint64_t prev_shard = 0;
    for (size_t i = 0; i < cat->n_shard_groups; i++) {
        const Strata__ShardGroup *g = cat->shard_groups[i];
        if (g->id == 0 || g->id >= cat->next_shard_group_id ||
            (i > 0 && cat->shard_groups[i - 1]->id >= g->id))
            return st_errf(err, errlen, ST_ECORRUPT, "shard group %zu: bad id", i);
        if (g->start_ns >= g->end_ns)
            return st_errf(err, errlen, ST_ECORRUPT, "shard group %" PRIu64 ": empty range", g->id);
        if (!g->deleted && st_cat_rp(cat, g->database, g->retention_policy) == NULL)
            return st_errf(err, errlen, ST_ECORRUPT, "shard group %" PRIu64 ": no policy", g->id);
        if (!g->deleted && (g->retention_policy[0] == '\0' || g->n_shards == 0))
            return st_errf(err, errlen, ST_ECORRUPT, "shard group %" PRIu64 ": bad", g->id);
        for (size_t j = 0; j < g->n_shards; j++) {
            const Strata__Shard *s = g->shards[j];
            /* Groups and their shards are created together, so shard ids
             * ascend across the whole id-sorted group list. */
            if (s->id <= prev_shard || s->id >= cat->next_shard_id || s->shard_group_id != g->id)
                return st_errf(err, errlen, ST_ECORRUPT, "shard group %" PRIu64 ": bad shard",
                               g->id);
            prev_shard = s->id;
            for (size_t k = 0; k < s->n_owners; k++) {
                if (st_cat_node(cat, s->owners[k]) == NULL)
                    return st_errf(err, errlen, ST_ECORRUPT, "shard %" PRIu64 ": unknown owner",
                                   s->id);
                for (size_t l = 0; l < k; l++)
                    if (s->owners[l] == s->owners[k])
                        return st_errf(err, errlen, ST_ECORRUPT,
                                       "shard %" PRIu64 ": repeated owner", s->id);
            }
        }
    }
    return ST_OK;
}

static int check_users(const Strata__Catalogue *cat, char *err, size_t errlen)
{
    for (size_t i = 0; i < cat->n_users; i++) {
        const Strata__User *u = cat->users[i];
        if (u->name[0] == '\0' || (i > 0 && strcmp(cat->users[i - 1]->name, u->name) >= 0))
            return st_errf(err, errlen, ST_ECORRUPT, "user %zu: bad or unsorted name", i);
        for (size_t j = 0; j < u->n_privileges; j++) {
            const Strata__UserPrivilege *p = u->privileges[j];
            if (p->privilege < STRATA__PRIVILEGE__READ || p->privilege > STRATA__PRIVILEGE__ALL ||
                (j > 0 && strcmp(u->privileges[j - 1]->database, p->database) >= 0))
                return st_errf(err, errlen, ST_ECORRUPT, "user %s: bad privilege", u->name);
        }
    }
    return ST_OK;
}

int st_cat_validate(const Strata__Catalogue *cat, char *err, size_t errlen)
{
    int rv;
    if (cat->next_node_id == 0 || cat->next_shard_group_id == 0 || cat->next_shard_id == 0)
        return st_errf(err, errlen, ST_ECORRUPT, "next ids must be >= 1");
    for (size_t i = 0; i < cat->n_nodes; i++) {
        const Strata__DataNode *n = cat->nodes[i];
        if (n->id == 0 || n->id >= cat->next_node_id || (i > 0 && cat->nodes[i - 1]->id >= n->id) ||
            n->status < STRATA__NODE_STATUS__UP || n->status > STRATA__NODE_STATUS__LEAVING ||
            n->rpc_addr[0] == '\0')
            return st_errf(err, errlen, ST_ECORRUPT, "data node %zu: bad", i);
    }
    for (size_t i = 0; i < cat->n_meta_members; i++)
        if (cat->meta_members[i]->id == 0 ||
            (i > 0 && cat->meta_members[i - 1]->id >= cat->meta_members[i]->id))
            return st_errf(err, errlen, ST_ECORRUPT, "meta member %zu: bad id", i);
    if ((rv = check_databases(cat, err, errlen)) != ST_OK ||
        (rv = check_groups(cat, err, errlen)) != ST_OK ||
        (rv = check_users(cat, err, errlen)) != ST_OK)
        return rv;
    return ST_OK;
}
