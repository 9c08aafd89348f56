/* Commands on databases, retention policies, users and meta members.
 *
 * Each handler checks the command in InfluxDB's order and with InfluxDB's
 * words (services/meta/data.go, client.go, errors.go of InfluxDB 1.x), and
 * changes the state only once the command is known to be valid. New objects
 * are built completely, and the array that will hold them grown, before
 * anything is linked into the state, so ST_ENOMEM leaves it unchanged.
 */
#include <stdlib.h>

#include "catalogue_int.h"

#define E_INVALID STRATA__ERROR_CODE__INVALID_ARGUMENT
#define E_NOTFOUND STRATA__ERROR_CODE__NOT_FOUND
#define E_EXISTS STRATA__ERROR_CODE__ALREADY_EXISTS

static const char MSG_DURATION_LOW[] = "retention policy duration must be at least 1h0m0s";
static const char MSG_INCOMPATIBLE[] =
    "retention policy duration must be greater than the shard duration";
static const char MSG_CONFLICT[] = "retention policy conflicts with an existing policy";
static const char MSG_RF_LOW[] = "replication factor must be greater than 0";

/* InfluxDB's meta.ValidName, on bytes: printable, not "." or "..", no
 * slashes (names become paths in InfluxDB; strata keeps the rule). */
static bool valid_name(const char *s)
{
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return false;
    return true;
}

static Strata__RetentionPolicy *new_rp(const char *name, int64_t duration, int64_t group,
                                       uint32_t rf)
{
    Strata__RetentionPolicy *rp = malloc(sizeof *rp);
    if (rp == NULL)
        return NULL;
    strata__retention_policy__init(rp);
    rp->name = cat_strdup(name);
    if (rp->name == NULL) {
        free(rp);
        return NULL;
    }
    rp->duration_ns = duration;
    rp->shard_group_duration_ns = group;
    rp->replication_factor = rf;
    return rp;
}

/* Checks the durations of a policy about to be created; the normalised
 * group duration goes to *@group. False: an error result was set. */
static bool check_durations(int64_t duration, int64_t *group, struct st_cat_result *res)
{
    if (duration != 0 && duration < ST_CAT_HOUR_NS) {
        cat_fail(res, E_INVALID, "%s", MSG_DURATION_LOW);
        return false;
    }
    *group = cat_normalise_group_duration(*group, duration);
    if (duration > 0 && duration < *group) {
        cat_fail(res, E_INVALID, "%s", MSG_INCOMPATIBLE);
        return false;
    }
    return true;
}

/* Links @rp into @db at its sorted place; the array must have been grown. */
static void link_rp(Strata__Database *db, Strata__RetentionPolicy *rp)
{
    bool found;
    size_t pos = cat_rp_pos(db, rp->name, &found);
    CAT_INSERT(db->retention_policies, db->n_retention_policies, pos, rp);
}

/* Sets @db's default policy name to @name. ST_OK or ST_ENOMEM. */
static int set_default(Strata__Database *db, const char *name)
{
    char *s = cat_strdup(name);
    if (s == NULL)
        return ST_ENOMEM;
    cat_strfree(db->default_rp);
    db->default_rp = s;
    return ST_OK;
}

int cat_create_database(Strata__Catalogue *cat, const Strata__CreateDatabase *m,
                        struct st_cat_result *res)
{
    const Strata__RetentionPolicy *spec = m->default_rp;
    const char *rp_name = spec && spec->name[0] ? spec->name : "autogen";
    int64_t duration = spec ? spec->duration_ns : 0;
    int64_t group = spec ? spec->shard_group_duration_ns : 0;
    uint32_t rf = spec && spec->replication_factor ? spec->replication_factor : 1;

    if (m->name[0] == '\0')
        return cat_fail(res, E_INVALID, "database name required");
    if (!valid_name(m->name) || !valid_name(rp_name))
        return cat_fail(res, E_INVALID, "invalid name");
    if (!check_durations(duration, &group, res))
        return ST_OK;

    bool found;
    size_t pos = cat_db_pos(cat, m->name, &found);
    if (found) {
        Strata__Database *db = cat->databases[pos];
        if (spec == NULL)
            return ST_OK; /* CREATE DATABASE of an existing one: no-op */
        if (db->n_retention_policies > 0) {
            /* InfluxDB: WITH ... must name the existing default policy with
             * the same settings. */
            const Strata__RetentionPolicy *rp = st_cat_rp(cat, db->name, rp_name);
            if (rp == NULL || rp->duration_ns != duration || rp->replication_factor != rf ||
                rp->shard_group_duration_ns != group || strcmp(db->default_rp, rp_name) != 0)
                return cat_fail(res, E_EXISTS, "%s", MSG_CONFLICT);
            return ST_OK;
        }
        Strata__RetentionPolicy *rp = new_rp(rp_name, duration, group, rf);
        void *arr = rp ? cat_grow(db->retention_policies, 0, sizeof *db->retention_policies) : NULL;
        if (arr == NULL) {
            if (rp != NULL)
                protobuf_c_message_free_unpacked(&rp->base, NULL);
            return ST_ENOMEM;
        }
        db->retention_policies = arr;
        if (set_default(db, rp_name) != ST_OK) {
            protobuf_c_message_free_unpacked(&rp->base, NULL);
            return ST_ENOMEM;
        }
        link_rp(db, rp);
        res->changed = true;
        return ST_OK;
    }

    Strata__Database *db = malloc(sizeof *db);
    if (db == NULL)
        return ST_ENOMEM;
    strata__database__init(db);
    Strata__RetentionPolicy *rp = NULL;
    if ((db->name = cat_strdup(m->name)) == NULL || (db->default_rp = cat_strdup(rp_name)) == NULL)
        goto err_db;
    if ((rp = new_rp(rp_name, duration, group, rf)) == NULL)
        goto err_db;
    if ((db->retention_policies = malloc(sizeof *db->retention_policies)) == NULL)
        goto err_rp;
    db->retention_policies[0] = rp;
    db->n_retention_policies = 1;
    void *arr = cat_grow(cat->databases, cat->n_databases, sizeof *cat->databases);
    if (arr == NULL)
        goto err_db; /* rp belongs to db now */
    cat->databases = arr;
    CAT_INSERT(cat->databases, cat->n_databases, pos, db);
    res->changed = true;
    return ST_OK;

err_rp:
    protobuf_c_message_free_unpacked(&rp->base, NULL);
err_db:
    if (db->default_rp == NULL)
        db->default_rp = (char *)protobuf_c_empty_string;
    if (db->name == NULL)
        db->name = (char *)protobuf_c_empty_string;
    protobuf_c_message_free_unpacked(&db->base, NULL);
    return ST_ENOMEM;
}

/* Removes every privilege on database @db (InfluxDB does on DROP DATABASE). */
static void drop_privileges(Strata__Catalogue *cat, const char *db)
{
    for (size_t i = 0; i < cat->n_users; i++) {
        Strata__User *u = cat->users[i];
        for (size_t j = 0; j < u->n_privileges; j++) {
            if (strcmp(u->privileges[j]->database, db) == 0) {
                protobuf_c_message_free_unpacked(&u->privileges[j]->base, NULL);
                CAT_REMOVE(u->privileges, u->n_privileges, j);
                break;
            }
        }
    }
}

int cat_drop_database(Strata__Catalogue *cat, const Strata__DropDatabase *m,
                      struct st_cat_result *res)
{
    bool found;
    size_t pos = cat_db_pos(cat, m->name, &found);
    if (!found)
        return ST_OK; /* InfluxDB: dropping a missing database succeeds */
    Strata__Database *db = cat->databases[pos];
    cat_mark_deleted(cat, db->name, NULL, m->deleted_at_ns);
    drop_privileges(cat, db->name);
    CAT_REMOVE(cat->databases, cat->n_databases, pos);
    protobuf_c_message_free_unpacked(&db->base, NULL);
    res->changed = true;
    return ST_OK;
}

int cat_create_rp(Strata__Catalogue *cat, const Strata__CreateRetentionPolicy *m,
                  struct st_cat_result *res)
{
    const Strata__RetentionPolicy *spec = m->rp;
    if (spec == NULL)
        return cat_fail(res, E_INVALID, "retention policy required");
    if (spec->name[0] == '\0')
        return cat_fail(res, E_INVALID, "retention policy name required");
    if (!valid_name(spec->name))
        return cat_fail(res, E_INVALID, "invalid name");
    if (spec->replication_factor < 1)
        return cat_fail(res, E_INVALID, "%s", MSG_RF_LOW);
    int64_t group = spec->shard_group_duration_ns;
    if (!check_durations(spec->duration_ns, &group, res))
        return ST_OK;
    bool found;
    size_t pos = cat_db_pos(cat, m->database, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "database not found: %s", m->database);
    Strata__Database *db = cat->databases[pos];
    cat_rp_pos(db, spec->name, &found);
    if (found) {
        const Strata__RetentionPolicy *rp = st_cat_rp(cat, db->name, spec->name);
        if (rp->replication_factor != spec->replication_factor ||
            rp->duration_ns != spec->duration_ns || rp->shard_group_duration_ns != group)
            return cat_fail(res, E_EXISTS, "retention policy already exists");
        if (m->make_default && strcmp(db->default_rp, spec->name) != 0)
            return cat_fail(res, E_EXISTS, "%s", MSG_CONFLICT);
        return ST_OK;
    }
    Strata__RetentionPolicy *rp =
        new_rp(spec->name, spec->duration_ns, group, spec->replication_factor);
    void *arr = rp ? cat_grow(db->retention_policies, db->n_retention_policies,
                              sizeof *db->retention_policies)
                   : NULL;
    if (arr == NULL)
        goto err;
    db->retention_policies = arr;
    if (m->make_default && set_default(db, spec->name) != ST_OK)
        goto err;
    link_rp(db, rp);
    res->changed = true;
    return ST_OK;
err:
    if (rp != NULL)
        protobuf_c_message_free_unpacked(&rp->base, NULL);
    return ST_ENOMEM;
}

int cat_alter_rp(Strata__Catalogue *cat, const Strata__AlterRetentionPolicy *m,
                 struct st_cat_result *res)
{
    bool found;
    size_t pos = cat_db_pos(cat, m->database, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "database not found: %s", m->database);
    Strata__Database *db = cat->databases[pos];
    size_t rpos = cat_rp_pos(db, m->name, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "retention policy not found: %s", m->name);
    Strata__RetentionPolicy *rp = db->retention_policies[rpos];

    int64_t duration = m->set_duration ? m->duration_ns : rp->duration_ns;
    if (m->set_duration && duration != 0 && duration < ST_CAT_HOUR_NS)
        return cat_fail(res, E_INVALID, "%s", MSG_DURATION_LOW);
    int64_t group = m->set_shard_group_duration
                        ? cat_normalise_group_duration(m->shard_group_duration_ns, duration)
                        : rp->shard_group_duration_ns;
    if ((m->set_duration || m->set_shard_group_duration) && duration > 0 && duration < group)
        return cat_fail(res, E_INVALID, "%s", MSG_INCOMPATIBLE);
    uint32_t rf = m->set_replication_factor ? m->replication_factor : rp->replication_factor;
    if (rf < 1)
        return cat_fail(res, E_INVALID, "%s", MSG_RF_LOW);
    bool make_default = m->make_default && strcmp(db->default_rp, rp->name) != 0;
    if (make_default && set_default(db, rp->name) != ST_OK)
        return ST_ENOMEM;
    res->changed = make_default || duration != rp->duration_ns ||
                   group != rp->shard_group_duration_ns || rf != rp->replication_factor;
    rp->duration_ns = duration;
    rp->shard_group_duration_ns = group;
    rp->replication_factor = rf;
    return ST_OK;
}

int cat_drop_rp(Strata__Catalogue *cat, const Strata__DropRetentionPolicy *m,
                struct st_cat_result *res)
{
    /* InfluxDB 1.x: dropping a missing policy, or one of a missing
     * database, succeeds and changes nothing. */
    bool found;
    size_t pos = cat_db_pos(cat, m->database, &found);
    if (!found)
        return ST_OK;
    Strata__Database *db = cat->databases[pos];
    size_t rpos = cat_rp_pos(db, m->name, &found);
    if (!found)
        return ST_OK;
    Strata__RetentionPolicy *rp = db->retention_policies[rpos];
    if (strcmp(db->default_rp, rp->name) == 0) {
        /* The database is left without a default, as InfluxDB leaves it;
         * writes without rp= then fail until one is made default. */
        cat_strfree(db->default_rp);
        db->default_rp = (char *)protobuf_c_empty_string;
    }
    cat_mark_deleted(cat, db->name, rp->name, m->deleted_at_ns);
    CAT_REMOVE(db->retention_policies, db->n_retention_policies, rpos);
    protobuf_c_message_free_unpacked(&rp->base, NULL);
    res->changed = true;
    return ST_OK;
}

/* Users ------------------------------------------------------------------ */

int cat_create_user(Strata__Catalogue *cat, const Strata__CreateUser *m, struct st_cat_result *res)
{
    if (m->name[0] == '\0')
        return cat_fail(res, E_INVALID, "username required");
    bool found;
    size_t pos = cat_user_pos(cat, m->name, &found);
    if (found) {
        const Strata__User *u = cat->users[pos];
        /* A replayed identical command is not an error. */
        if (u->admin == m->admin && strcmp(u->password_hash, m->password_hash) == 0)
            return ST_OK;
        return cat_fail(res, E_EXISTS, "user already exists");
    }
    Strata__User *u = malloc(sizeof *u);
    if (u == NULL)
        return ST_ENOMEM;
    strata__user__init(u);
    u->admin = m->admin;
    void *arr = NULL;
    if ((u->name = cat_strdup(m->name)) == NULL ||
        (u->password_hash = cat_strdup(m->password_hash)) == NULL ||
        (arr = cat_grow(cat->users, cat->n_users, sizeof *cat->users)) == NULL) {
        if (u->name == NULL)
            u->name = (char *)protobuf_c_empty_string;
        if (u->password_hash == NULL)
            u->password_hash = (char *)protobuf_c_empty_string;
        protobuf_c_message_free_unpacked(&u->base, NULL);
        return ST_ENOMEM;
    }
    cat->users = arr;
    CAT_INSERT(cat->users, cat->n_users, pos, u);
    res->changed = true;
    return ST_OK;
}

int cat_drop_user(Strata__Catalogue *cat, const Strata__DropUser *m, struct st_cat_result *res)
{
    bool found;
    size_t pos = cat_user_pos(cat, m->name, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "user not found");
    Strata__User *u = cat->users[pos];
    CAT_REMOVE(cat->users, cat->n_users, pos);
    protobuf_c_message_free_unpacked(&u->base, NULL);
    res->changed = true;
    return ST_OK;
}

int cat_set_password(Strata__Catalogue *cat, const Strata__SetPassword *m,
                     struct st_cat_result *res)
{
    bool found;
    size_t pos = cat_user_pos(cat, m->name, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "user not found");
    char *h = cat_strdup(m->password_hash);
    if (h == NULL)
        return ST_ENOMEM;
    cat_strfree(cat->users[pos]->password_hash);
    cat->users[pos]->password_hash = h;
    res->changed = true;
    return ST_OK;
}

int cat_grant(Strata__Catalogue *cat, const char *user, const char *db, int priv, bool revoke,
              struct st_cat_result *res)
{
    bool found;
    size_t upos = cat_user_pos(cat, user, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "user not found");
    if (st_cat_database(cat, db) == NULL)
        return cat_fail(res, E_NOTFOUND, "database not found: %s", db);
    if (priv < STRATA__PRIVILEGE__PRIVILEGE_NONE || priv > STRATA__PRIVILEGE__ALL)
        return cat_fail(res, E_INVALID, "invalid privilege: %d", priv);
    Strata__User *u = cat->users[upos];
    size_t pos = 0;
    while (pos < u->n_privileges && strcmp(u->privileges[pos]->database, db) < 0)
        pos++;
    bool have = pos < u->n_privileges && strcmp(u->privileges[pos]->database, db) == 0;
    int old = have ? (int)u->privileges[pos]->privilege : 0;
    /* GRANT replaces; REVOKE clears bits (InfluxDB: priv &^ revoked). */
    int now = revoke ? (old & ~priv) : priv;
    if (now == old)
        return ST_OK;
    res->changed = true;
    if (now == STRATA__PRIVILEGE__PRIVILEGE_NONE) {
        protobuf_c_message_free_unpacked(&u->privileges[pos]->base, NULL);
        CAT_REMOVE(u->privileges, u->n_privileges, pos);
        return ST_OK;
    }
    if (have) {
        u->privileges[pos]->privilege = (Strata__Privilege)now;
        return ST_OK;
    }
    Strata__UserPrivilege *p = malloc(sizeof *p);
    void *arr = p ? cat_grow(u->privileges, u->n_privileges, sizeof *u->privileges) : NULL;
    if (arr == NULL) {
        free(p);
        res->changed = false;
        return ST_ENOMEM;
    }
    u->privileges = arr;
    strata__user_privilege__init(p);
    p->privilege = (Strata__Privilege)now;
    if ((p->database = cat_strdup(db)) == NULL) {
        p->database = (char *)protobuf_c_empty_string;
        protobuf_c_message_free_unpacked(&p->base, NULL);
        res->changed = false;
        return ST_ENOMEM;
    }
    CAT_INSERT(u->privileges, u->n_privileges, pos, p);
    return ST_OK;
}

int cat_set_admin(Strata__Catalogue *cat, const Strata__SetAdmin *m, struct st_cat_result *res)
{
    bool found;
    size_t pos = cat_user_pos(cat, m->user, &found);
    if (!found)
        return cat_fail(res, E_NOTFOUND, "user not found");
    res->changed = cat->users[pos]->admin != m->admin;
    cat->users[pos]->admin = m->admin;
    return ST_OK;
}

/* Meta members ----------------------------------------------------------- */

int cat_add_member(Strata__Catalogue *cat, const Strata__AddMetaMember *m,
                   struct st_cat_result *res)
{
    const Strata__MetaMember *in = m->member;
    if (in == NULL || in->id == 0)
        return cat_fail(res, E_INVALID, "meta member id required");
    bool found;
    size_t pos = cat_member_pos(cat, in->id, &found);
    char *raft = cat_strdup(in->raft_addr), *rpc = cat_strdup(in->rpc_addr);
    Strata__MetaMember *mm = found ? cat->meta_members[pos] : malloc(sizeof *mm);
    void *arr = found ? NULL : cat_grow(cat->meta_members, cat->n_meta_members, sizeof *mm);
    if (raft == NULL || rpc == NULL || mm == NULL || (!found && arr == NULL)) {
        cat_strfree(raft);
        cat_strfree(rpc);
        if (!found) {
            free(mm);
            if (arr != NULL)
                cat->meta_members = arr;
        }
        return ST_ENOMEM;
    }
    if (found) {
        /* Re-adding updates the addresses (idempotent). */
        res->changed = strcmp(mm->raft_addr, raft) != 0 || strcmp(mm->rpc_addr, rpc) != 0;
        cat_strfree(mm->raft_addr);
        cat_strfree(mm->rpc_addr);
    } else {
        strata__meta_member__init(mm);
        mm->id = in->id;
        cat->meta_members = arr;
        CAT_INSERT(cat->meta_members, cat->n_meta_members, pos, mm);
        res->changed = true;
    }
    mm->raft_addr = raft;
    mm->rpc_addr = rpc;
    return ST_OK;
}

int cat_remove_member(Strata__Catalogue *cat, const Strata__RemoveMetaMember *m,
                      struct st_cat_result *res)
{
    bool found;
    size_t pos = cat_member_pos(cat, m->id, &found);
    if (!found)
        return ST_OK; /* idempotent: the raft change may be replayed */
    Strata__MetaMember *mm = cat->meta_members[pos];
    CAT_REMOVE(cat->meta_members, cat->n_meta_members, pos);
    protobuf_c_message_free_unpacked(&mm->base, NULL);
    res->changed = true;
    return ST_OK;
}
