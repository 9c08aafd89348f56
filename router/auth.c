/* Authentication of requests and the cache of verified credentials.
 *
 * Happy path: the HTTP layer reads the credentials (st_auth_creds_parse),
 * takes a catalogue snapshot and calls st_auth_check(): the user is looked
 * up in the catalogue, the cache says whether this password was verified
 * against the user's current hash, and the privilege is checked. Only a
 * miss runs bcrypt (outside the lock, so other requests go on), then
 * records the pair.
 *
 * The cache holds, per user name, the catalogue hash the password was
 * verified against and SHA-256(secret || password), where the secret is
 * 32 random bytes drawn at st_auth_open(): a memory dump shows no
 * password, and a digest cannot be tried offline without the secret. An
 * entry whose hash differs from the catalogue's is stale (the password was
 * changed, or the user dropped and created again) and is dropped at once.
 * Wrong passwords are never cached. At most ST_AUTH_CACHE_MAX users are
 * kept, on an LRU list; a hash table finds them.
 */
#define _DEFAULT_SOURCE /* getentropy, explicit_bzero */
#include "auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth_int.h"
#include "err.h"

#define NBUCKETS 512 /* power of two */

struct entry {
    char *user;                /* key */
    char *hash;                /* the catalogue hash the password matched */
    unsigned char digest[32];  /* SHA-256(secret || password) */
    struct entry *hnext;       /* bucket chain */
    struct entry *prev, *next; /* LRU list, most recent first */
};

struct st_auth {
    pthread_mutex_t mu;
    unsigned char secret[32];
    struct entry *buckets[NBUCKETS];
    struct entry lru; /* sentinel of the LRU list */
    size_t n;
};

/* Credentials ----------------------------------------------------------------- */

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Standard base64 with padding, strictly (Go's StdEncoding). Returns the
 * decoded length, or -1. */
static long b64decode(const char *in, unsigned char *out, size_t cap)
{
    size_t len = strlen(in), o = 0;
    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad > 0 || (v[k] = b64val(c)) < 0) {
                return -1;
            }
        }
        unsigned long w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
                          (unsigned long)v[2] << 6 | (unsigned long)v[3];
        unsigned char bytes[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8),
                                  (unsigned char)w};
        for (int k = 0; k < 3 - pad; k++) {
            if (o == cap)
                return -1;
            out[o++] = bytes[k];
        }
    }
    return (long)o;
}

static int set_creds(struct st_auth_creds *out, const char *u, size_t ulen, const char *p,
                     size_t plen)
{
    if (ulen >= sizeof out->user || plen >= sizeof out->pass)
        return ST_ERANGE;
    memcpy(out->user, u, ulen);
    out->user[ulen] = '\0';
    memcpy(out->pass, p, plen);
    out->pass[plen] = '\0';
    out->present = true;
    return ST_OK;
}

/* "user:password" of @len bytes; false without a ':' or with a NUL. */
static int split_pair(struct st_auth_creds *out, const char *s, size_t len)
{
    if (memchr(s, '\0', len) != NULL)
        return ST_OK;
    const char *colon = memchr(s, ':', len);
    if (colon == NULL)
        return ST_OK;
    return set_creds(out, s, (size_t)(colon - s), colon + 1, len - (size_t)(colon - s) - 1);
}

static bool has_scheme(const char *h, const char *scheme)
{
    return strncasecmp(h, scheme, strlen(scheme)) == 0;
}

int st_auth_creds_parse(const char *authorization, const char *u, const char *p,
                        struct st_auth_creds *out)
{
    memset(out, 0, sizeof *out);
    if (u != NULL && p != NULL && u[0] != '\0' && p[0] != '\0')
        return set_creds(out, u, strlen(u), p, strlen(p));
    if (authorization == NULL)
        return ST_OK;
    if (has_scheme(authorization, "Basic ")) {
        unsigned char dec[600];
        long n = b64decode(authorization + 6, dec, sizeof dec);
        if (n < 0)
            return strlen(authorization + 6) * 3 / 4 > sizeof dec ? ST_ERANGE : ST_OK;
        int rv = split_pair(out, (const char *)dec, (size_t)n);
        explicit_bzero(dec, sizeof dec);
        return rv;
    }
    if (has_scheme(authorization, "Token ")) {
        const char *t = authorization + 6;
        return split_pair(out, t, strlen(t));
    }
    return ST_OK; /* Bearer (JWT) and anything else: not supported */
}

/* Users and privileges ----------------------------------------------------------- */

const Strata__User *st_auth_user(const Strata__Catalogue *cat, const char *name)
{
    size_t lo = 0, hi = cat->n_users;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cat->users[mid]->name, name);
        if (c == 0)
            return cat->users[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool st_auth_may(const Strata__User *u, const char *db, enum st_auth_need need)
{
    if (need == ST_AUTH_NEED_NONE || u->admin)
        return true;
    if (need == ST_AUTH_NEED_ADMIN || db == NULL)
        return false;
    unsigned bit = need == ST_AUTH_NEED_READ ? STRATA__PRIVILEGE__READ : STRATA__PRIVILEGE__WRITE;
    for (size_t i = 0; i < u->n_privileges; i++)
        if (strcmp(u->privileges[i]->database, db) == 0)
            return ((unsigned)u->privileges[i]->privilege & bit) != 0;
    return false;
}

/* The cache -------------------------------------------------------------------------- */

int st_auth_open(st_auth **out)
{
    st_auth *a = calloc(1, sizeof *a);
    if (a == NULL)
        return ST_ENOMEM;
    if (getentropy(a->secret, sizeof a->secret) != 0) {
        free(a); /* UNTESTED: the kernel has no random source */
        return ST_EIO;
    }
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a); /* UNTESTED */
        return ST_ENOMEM;
    }
    a->lru.prev = a->lru.next = &a->lru;
    *out = a;
    return ST_OK;
}

static void entry_free(struct entry *e)
{
    free(e->user);
    free(e->hash);
    explicit_bzero(e->digest, sizeof e->digest);
    free(e);
}

void st_auth_close(st_auth *a)
{
    if (a == NULL)
        return;
    for (struct entry *e = a->lru.next, *next; e != &a->lru; e = next) {
        next = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&a->mu);
    explicit_bzero(a->secret, sizeof a->secret);
    free(a);
}

size_t st_auth_cache_len(st_auth *a)
{
    pthread_mutex_lock(&a->mu);
    size_t n = a->n;
    pthread_mutex_unlock(&a->mu);
    return n;
}

static size_t bucket_of(const char *user)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)user; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h & (NBUCKETS - 1);
}

static void digest_of(const st_auth *a, const char *pass, unsigned char out[32])
{
    struct auth_sha256 s;
    auth_sha256_init(&s);
    auth_sha256_update(&s, a->secret, sizeof a->secret);
    auth_sha256_update(&s, pass, strlen(pass));
    auth_sha256_final(&s, out);
    explicit_bzero(&s, sizeof s);
}

/* Unlinks @e from its bucket and the LRU list (lock held). */
static void unlink_entry(st_auth *a, struct entry *e)
{
    struct entry **pp = &a->buckets[bucket_of(e->user)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    e->prev->next = e->next;
    e->next->prev = e->prev;
    a->n--;
}

static void link_front(st_auth *a, struct entry *e)
{
    e->next = a->lru.next;
    e->prev = &a->lru;
    a->lru.next->prev = e;
    a->lru.next = e;
}

/* Whether @user with @hash is cached with the digest @d; drops a stale
 * entry (lock held). */
static bool cache_hit(st_auth *a, const char *user, const char *hash, const unsigned char d[32])
{
    struct entry *e = a->buckets[bucket_of(user)];
    while (e != NULL && strcmp(e->user, user) != 0)
        e = e->hnext;
    if (e == NULL)
        return false;
    if (strcmp(e->hash, hash) != 0) {
        unlink_entry(a, e);
        entry_free(e);
        return false;
    }
    unsigned char diff = 0;
    for (int i = 0; i < 32; i++)
        diff |= (unsigned char)(e->digest[i] ^ d[i]);
    if (diff != 0)
        return false; /* another password: bcrypt decides */
    e->prev->next = e->next;
    e->next->prev = e->prev;
    link_front(a, e);
    return true;
}

/* Records a verified pair (lock held). Out of memory only skips caching. */
static void cache_put(st_auth *a, const char *user, const char *hash, const unsigned char d[32])
{
    size_t b = bucket_of(user);
    struct entry *e = a->buckets[b];
    while (e != NULL && strcmp(e->user, user) != 0)
        e = e->hnext;
    if (e != NULL) {
        unlink_entry(a, e);
        entry_free(e);
    }
    e = calloc(1, sizeof *e);
    if (e == NULL || (e->user = strdup(user)) == NULL || (e->hash = strdup(hash)) == NULL) {
        if (e != NULL)
            entry_free(e); /* UNTESTED: out of memory */
        return;
    }
    memcpy(e->digest, d, 32);
    e->hnext = a->buckets[b];
    a->buckets[b] = e;
    link_front(a, e);
    a->n++;
    if (a->n > ST_AUTH_CACHE_MAX) {
        struct entry *old = a->lru.prev;
        unlink_entry(a, old);
        entry_free(old);
    }
}

/* The check ---------------------------------------------------------------------------- */

/* Appends @s quoted as Go's %q does for the names we see: in double
 * quotes, with \" \\ and control bytes escaped. */
static size_t go_quote(char *out, size_t cap, const char *s)
{
    size_t o = 0;
#define PUT(c)            \
    do {                  \
        if (o + 1 < cap)  \
            out[o] = (c); \
        o++;              \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            PUT('\\');
            PUT((char)*p);
        } else if (*p < 0x20 || *p == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            PUT('\\');
            PUT('x');
            PUT(hex[*p >> 4]);
            PUT(hex[*p & 0xF]);
        } else {
            PUT((char)*p);
        }
    }
    PUT('"');
#undef PUT
    if (cap > 0)
        out[o < cap ? o : cap - 1] = '\0';
    return o;
}

static int fail(char *msg, size_t msglen, int rv, const char *text)
{
    if (msg != NULL && msglen > 0)
        snprintf(msg, msglen, "%s", text);
    return rv;
}

int st_auth_check(st_auth *a, const Strata__Catalogue *cat, const struct st_auth_creds *c,
                  const char *db, enum st_auth_need need, char *msg, size_t msglen)
{
    if (c == NULL || !c->present)
        return fail(msg, msglen, ST_EINVAL, "unable to parse authentication credentials");
    if (c->user[0] == '\0')
        return fail(msg, msglen, ST_EINVAL, "username required");
    const Strata__User *u = st_auth_user(cat, c->user);
    if (u == NULL)
        return fail(msg, msglen, ST_EINVAL, "authorization failed");

    unsigned char d[32];
    digest_of(a, c->pass, d);
    pthread_mutex_lock(&a->mu);
    bool ok = cache_hit(a, u->name, u->password_hash, d);
    pthread_mutex_unlock(&a->mu);
    if (!ok) {
        if (!st_auth_verify(c->pass, u->password_hash)) {
            explicit_bzero(d, sizeof d);
            return fail(msg, msglen, ST_EINVAL, "authorization failed");
        }
        pthread_mutex_lock(&a->mu);
        cache_put(a, u->name, u->password_hash, d);
        pthread_mutex_unlock(&a->mu);
    }
    explicit_bzero(d, sizeof d);

    if (st_auth_may(u, db, need))
        return ST_OK;
    char quser[600], qdb[600];
    go_quote(quser, sizeof quser, u->name);
    go_quote(qdb, sizeof qdb, db ? db : "");
    if (msg != NULL && msglen > 0) {
        if (need == ST_AUTH_NEED_WRITE)
            snprintf(msg, msglen, "%s user is not authorized to write to database %s", quser, qdb);
        else if (need == ST_AUTH_NEED_READ)
            snprintf(msg, msglen, "%s user is not authorized to read from database %s", quser, qdb);
        else
            snprintf(msg, msglen, "%s user is not an admin", quser);
    }
    return ST_EPERM;
}
