/* Password hashes: bcrypt through libxcrypt's reentrant crypt_rn(), as
 * InfluxDB stores bcrypt hashes (golang.org/x/crypto/bcrypt, cost 10).
 * crypt_gensalt_rn() takes the salt from the kernel's random source. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "err.h"

#define BCRYPT_PREFIX "$2b$"
#define BCRYPT_COST 10

int st_auth_hash(const char *password, char *out, size_t outlen)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn(BCRYPT_PREFIX, BCRYPT_COST, NULL, 0, salt, sizeof salt) == NULL)
        return errno == ENOMEM ? ST_ENOMEM : ST_EIO; /* UNTESTED: no kernel randomness */
    struct crypt_data *data = calloc(1, sizeof *data);
    if (data == NULL)
        return ST_ENOMEM;
    int rv = ST_OK;
    const char *h = crypt_rn(password, salt, data, sizeof *data);
    if (h == NULL || h[0] == '*')
        rv = ST_EIO; /* UNTESTED: bcrypt does not fail on a salt it made */
    else if (strlen(h) >= outlen)
        rv = ST_ERANGE;
    else
        memcpy(out, h, strlen(h) + 1);
    explicit_bzero(data, sizeof *data);
    free(data);
    return rv;
}

bool st_auth_verify(const char *password, const char *hash)
{
    if (hash == NULL || hash[0] == '\0' || hash[0] == '*')
        return false;
    struct crypt_data *data = calloc(1, sizeof *data);
    if (data == NULL)
        return false; /* UNTESTED: out of memory refuses the login */
    const char *h = crypt_rn(password, hash, data, sizeof *data);
    bool ok = false;
    if (h != NULL && h[0] != '*') {
        size_t n = strlen(hash);
        if (strlen(h) == n) {
            unsigned char diff = 0; /* constant time in the hash's length */
            for (size_t i = 0; i < n; i++)
                diff |= (unsigned char)(h[i] ^ hash[i]);
            ok = diff == 0;
        }
    }
    explicit_bzero(data, sizeof *data);
    free(data);
    return ok;
}
