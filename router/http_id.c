/* Request ids: UUID v4 text from a per-thread xorshift128+ generator.
 *
 * The ids only have to differ between requests, not to be secret, so a fast
 * generator seeded once per thread from getrandom() is enough; reading
 * /dev/urandom per request would cost a system call each time. */
#define _DEFAULT_SOURCE /* getrandom() */

#include <stdbool.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#include "http_int.h"

struct rng {
    uint64_t s[2];
    bool seeded;
};

static _Thread_local struct rng rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void seed(struct rng *r)
{
    uint64_t x = 0;
    if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != (ssize_t)sizeof(x)) {
        /* UNTESTED: no entropy yet (early boot) or no getrandom(): the clock
         * and this thread's address still give every thread its own ids. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        x = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        x ^= (uint64_t)(uintptr_t)r;
    }
    r->s[0] = splitmix64(&x);
    r->s[1] = splitmix64(&x);
    if ((r->s[0] | r->s[1]) == 0) /* the one state xorshift never leaves */
        r->s[1] = 1;
    r->seeded = true;
}

static uint64_t next(struct rng *r)
{
    uint64_t s1 = r->s[0];
    const uint64_t s0 = r->s[1];
    r->s[0] = s0;
    s1 ^= s1 << 23;
    r->s[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return r->s[1] + s0;
}

void st_http_uuid(char out[ST_HTTP_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    struct rng *r = &rng;
    if (!r->seeded)
        seed(r);
    uint8_t b[16];
    for (int half = 0; half < 2; half++) {
        uint64_t v = next(r);
        for (int i = 0; i < 8; i++)
            b[half * 8 + i] = (uint8_t)(v >> (8 * i));
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10xx (RFC 4122) */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 0x0f];
    }
    *p = '\0';
}
