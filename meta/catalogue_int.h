/* Private helpers shared by meta/catalogue*.c and meta/placement.c. */
#ifndef ST_CATALOGUE_INT_H
#define ST_CATALOGUE_INT_H

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "catalogue.h"
#include "err.h"

/*
 * Memory rule of the state: every message, array and string reachable from
 * st_cat.cat is malloc'ed, except empty strings, which point at
 * protobuf_c_empty_string (the fields' default value). That is exactly what
 * protobuf_c_message_unpack() builds with the default allocator, so a
 * decoded snapshot can be mutated in place and the whole state is freed with
 * one protobuf_c_message_free_unpacked().
 */
struct st_cat {
    Strata__Catalogue *cat; /* the state (never NULL) */
    struct st_buf enc;      /* cached encoding of cat, valid when enc_ok */
    bool enc_ok;            /* enc matches cat */
};

/* Sets @res to an error result. Always returns ST_OK (the command applied). */
int cat_fail(struct st_cat_result *res, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A copy of @s for the state: malloc'ed, or protobuf_c_empty_string when
 * @s is NULL or empty. NULL only when out of memory. */
char *cat_strdup(const char *s);

/* Frees a string of the state (no-op for protobuf_c_empty_string). */
void cat_strfree(char *s);

/* Grows the pointer array @arr of @n elements of @size bytes by one slot;
 * returns the new array (the old one is then gone) or NULL (old untouched). */
void *cat_grow(void *arr, size_t n, size_t size);

/* Inserts @item at @pos of an array just grown with cat_grow(). */
#define CAT_INSERT(arr, n, pos, item)                                             \
    do {                                                                          \
        memmove(&(arr)[(pos) + 1], &(arr)[(pos)], ((n) - (pos)) * sizeof *(arr)); \
        (arr)[(pos)] = (item);                                                    \
        (n)++;                                                                    \
    } while (0)

/* Removes the element at @pos (not freeing it). */
#define CAT_REMOVE(arr, n, pos)                                                     \
    do {                                                                            \
        memmove(&(arr)[(pos)], &(arr)[(pos) + 1], ((n) - (pos)-1) * sizeof *(arr)); \
        (n)--;                                                                      \
    } while (0)

/* Position of the database @name in cat->databases, or where it would go;
 * *@found says whether it is there. Likewise for users, nodes, groups and
 * meta members (sorted by name or id). */
size_t cat_db_pos(const Strata__Catalogue *cat, const char *name, bool *found);
size_t cat_rp_pos(const Strata__Database *db, const char *name, bool *found);
size_t cat_user_pos(const Strata__Catalogue *cat, const char *name, bool *found);
size_t cat_node_pos(const Strata__Catalogue *cat, uint64_t id, bool *found);
size_t cat_group_pos(const Strata__Catalogue *cat, uint64_t id, bool *found);
size_t cat_member_pos(const Strata__Catalogue *cat, uint64_t id, bool *found);

/* Normalises a shard-group duration as InfluxDB does: 0 -> the default for
 * @duration_ns, below 1 h -> 1 h. */
int64_t cat_normalise_group_duration(int64_t group_ns, int64_t duration_ns);

/* Command handlers: catalogue_apply.c (databases, policies, users, meta
 * members) and catalogue_shard.c (shard groups, data nodes). Each validates
 * first and changes @cat only when the command is valid; ST_OK (also for an
 * invalid command, reported in @res) or ST_ENOMEM. */
int cat_create_database(Strata__Catalogue *cat, const Strata__CreateDatabase *m,
                        struct st_cat_result *res);
int cat_drop_database(Strata__Catalogue *cat, const Strata__DropDatabase *m,
                      struct st_cat_result *res);
int cat_create_rp(Strata__Catalogue *cat, const Strata__CreateRetentionPolicy *m,
                  struct st_cat_result *res);
int cat_alter_rp(Strata__Catalogue *cat, const Strata__AlterRetentionPolicy *m,
                 struct st_cat_result *res);
int cat_drop_rp(Strata__Catalogue *cat, const Strata__DropRetentionPolicy *m,
                struct st_cat_result *res);
int cat_create_user(Strata__Catalogue *cat, const Strata__CreateUser *m, struct st_cat_result *res);
int cat_drop_user(Strata__Catalogue *cat, const Strata__DropUser *m, struct st_cat_result *res);
int cat_set_password(Strata__Catalogue *cat, const Strata__SetPassword *m,
                     struct st_cat_result *res);
int cat_grant(Strata__Catalogue *cat, const char *user, const char *db, int priv, bool revoke,
              struct st_cat_result *res);
int cat_set_admin(Strata__Catalogue *cat, const Strata__SetAdmin *m, struct st_cat_result *res);
int cat_add_member(Strata__Catalogue *cat, const Strata__AddMetaMember *m,
                   struct st_cat_result *res);
int cat_remove_member(Strata__Catalogue *cat, const Strata__RemoveMetaMember *m,
                      struct st_cat_result *res);

int cat_create_group(Strata__Catalogue *cat, const Strata__CreateShardGroup *m,
                     struct st_cat_result *res);
int cat_delete_group(Strata__Catalogue *cat, const Strata__DeleteShardGroup *m,
                     struct st_cat_result *res);
int cat_truncate_groups(Strata__Catalogue *cat, const Strata__TruncateShardGroups *m,
                        struct st_cat_result *res);
int cat_add_node(Strata__Catalogue *cat, const Strata__AddDataNode *m, struct st_cat_result *res);
int cat_remove_node(Strata__Catalogue *cat, const Strata__RemoveDataNode *m,
                    struct st_cat_result *res);
int cat_update_node(Strata__Catalogue *cat, const Strata__UpdateDataNode *m,
                    struct st_cat_result *res);
int cat_set_owners(Strata__Catalogue *cat, const Strata__SetShardOwners *m,
                   struct st_cat_result *res);

/* Marks every live group of @db (and of policy @rp if not NULL) deleted at
 * @at. Returns how many it marked. */
size_t cat_mark_deleted(Strata__Catalogue *cat, const char *db, const char *rp, int64_t at);

/* Placement (placement.c): builds the shards of a new group @g of a policy
 * with replication factor @rf over the UP nodes of @cat, spreading replicas
 * so that every UP node owns the same number of live shard replicas +-1.
 * Allocates g->shards (ids from cat->next_shard_id, not advanced here);
 * ST_OK, ST_EUNAVAIL (no UP node) or ST_ENOMEM. */
int cat_place(const Strata__Catalogue *cat, uint32_t rf, Strata__ShardGroup *g);

#endif
