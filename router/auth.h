/* Users of the InfluxDB API: password hashes, request credentials, authentication and privilege
 * checks (st_auth_). */
#ifndef ST_AUTH_H
#define ST_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "meta.pb-c.h"

/*
 * The rules are InfluxDB 1.x's (docs/influxql.md, "Authentication"): a
 * request names a user with `Authorization: Basic base64(u:p)`,
 * `Authorization: Token u:p` (the 2.x compatibility form of InfluxDB 1.8),
 * or the u and p query parameters (both non-empty; they win over the
 * header). The user must exist in the catalogue and the password must
 * match its bcrypt hash; an admin may do everything, another user reads
 * (writes) a database it holds READ (WRITE) or ALL on.
 *
 * bcrypt is slow on purpose (~50 ms at cost 10), so st_auth keeps the
 * pairs it verified: per user, the catalogue hash it checked against and a
 * salted SHA-256 of the password (never the password). A pair is checked
 * again with bcrypt when the user's hash in the catalogue changes (SET
 * PASSWORD, DROP and CREATE USER) or after it fell out of the cache.
 */

/* Writes a crypt(3) bcrypt hash ("$2b$10$...", 60 characters) of
 * @password into @out (@outlen bytes, at least 61), with a random salt.
 * bcrypt reads at most the first 72 bytes of the password. ST_OK,
 * ST_ERANGE (@outlen too small), ST_EIO (no random bytes, crypt failed),
 * ST_ENOMEM. */
int st_auth_hash(const char *password, char *out, size_t outlen);

/* Whether @password matches the crypt(3) @hash (any method libxcrypt
 * knows). False for an empty or malformed hash. Runs bcrypt: slow. */
bool st_auth_verify(const char *password, const char *hash);

/* Credentials of one request. */
struct st_auth_creds {
    bool present;   /* some credentials were given and could be read */
    char user[256]; /* NUL-terminated */
    char pass[256];
};

/* Reads the credentials of a request from its Authorization header
 * (@authorization, may be NULL) and its u and p query parameters (may be
 * NULL), as InfluxDB does: u and p when both are non-empty, else a Basic
 * or Token header. Anything else (no credentials, a Bearer token, a header
 * that does not decode, a Basic value without ':') leaves present false
 * and returns ST_OK: st_auth_check() then answers 401. ST_ERANGE (present
 * false) when the user or password is longer than 255 bytes. */
int st_auth_creds_parse(const char *authorization, const char *u, const char *p,
                        struct st_auth_creds *out);

/* A thread-safe cache of verified (user, password) pairs, at most
 * ST_AUTH_CACHE_MAX users (least recently used go first). */
#define ST_AUTH_CACHE_MAX 1024
typedef struct st_auth st_auth;

/* Caller owns the result; free with st_auth_close(). ST_OK, ST_ENOMEM or
 * ST_EIO (no random bytes for the cache's salt). */
int st_auth_open(st_auth **out);
void st_auth_close(st_auth *a);

/* Users in the cache now (for metrics and tests). */
size_t st_auth_cache_len(st_auth *a);

/* What a request needs. */
enum st_auth_need {
    ST_AUTH_NEED_NONE,  /* authenticated, nothing more (/query checks each statement) */
    ST_AUTH_NEED_READ,  /* READ or ALL on @db */
    ST_AUTH_NEED_WRITE, /* WRITE or ALL on @db */
    ST_AUTH_NEED_ADMIN, /* an admin user */
};

/* Authenticates @c against @cat (borrowed) and checks @need on @db (may be
 * NULL for NONE and ADMIN). ST_OK. ST_EINVAL: not authenticated, answer
 * 401 with @msg, InfluxDB's words: "unable to parse authentication
 * credentials" (no credentials), "username required", "authorization
 * failed" (unknown user or wrong password). ST_EPERM: authenticated but not
 * allowed, answer 403 with @msg, e.g. "\"bob\" user is not authorized to
 * write to database \"db\"". @msg may be NULL. Thread-safe. */
int st_auth_check(st_auth *a, const Strata__Catalogue *cat, const struct st_auth_creds *c,
                  const char *db, enum st_auth_need need, char *msg, size_t msglen);

/* The user @name of @cat (borrowed from it), or NULL. Binary search. */
const Strata__User *st_auth_user(const Strata__Catalogue *cat, const char *name);

/* Whether @u may read (@need READ) or write (WRITE) @db, or is an admin
 * (ADMIN; also true for READ and WRITE). NONE is always true. */
bool st_auth_may(const Strata__User *u, const char *db, enum st_auth_need need);

#endif
