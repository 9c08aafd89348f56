/* TEMPORARY stub until the auth module lands. */
#ifndef ST_AUTH_H
#define ST_AUTH_H
#include <stdbool.h>
#include <stddef.h>
#include "meta.pb-c.h"
struct st_auth_creds {
    bool present;
    char user[256];
    char pass[256];
};
int st_auth_creds_parse(const char *authorization, const char *u, const char *p,
                        struct st_auth_creds *out);
typedef struct st_auth st_auth;
int st_auth_open(st_auth **out);
void st_auth_close(st_auth *a);
enum st_auth_need { ST_AUTH_NEED_NONE, ST_AUTH_NEED_READ, ST_AUTH_NEED_WRITE, ST_AUTH_NEED_ADMIN };
int st_auth_check(st_auth *a, const Strata__Catalogue *cat, const struct st_auth_creds *c,
                  const char *db, enum st_auth_need need, char *msg, size_t msglen);
#endif
