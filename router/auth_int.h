/* Internals of router/auth: the SHA-256 of the credentials cache. */
#ifndef ST_AUTH_INT_H
#define ST_AUTH_INT_H

#include <stddef.h>
#include <stdint.h>

struct auth_sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    unsigned char buf[64];
    size_t nbuf;
};

void auth_sha256_init(struct auth_sha256 *s);
void auth_sha256_update(struct auth_sha256 *s, const void *data, size_t n);
void auth_sha256_final(struct auth_sha256 *s, unsigned char out[32]);

#endif
