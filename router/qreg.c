/* The running-query registry: a list under a mutex (a router runs few
 * queries at once; SHOW QUERIES walks them all anyway). */
#include "qreg.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

struct entry {
    struct entry *next;
    uint64_t qid;
    char *text, *db;
    int64_t start_ns;
    atomic_bool killed;
};

struct st_qreg {
    pthread_mutex_t mu;
    uint64_t next_qid;
    struct entry *head, *tail; /* oldest first */
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int st_qreg_open(st_qreg **out)
{
    st_qreg *r = calloc(1, sizeof *r);
    if (r == NULL)
        return ST_ENOMEM;
    pthread_mutex_init(&r->mu, NULL);
    r->next_qid = 1;
    *out = r;
    return ST_OK;
}

void st_qreg_close(st_qreg *r)
{
    if (r == NULL)
        return;
    while (r->head != NULL) { /* only after a bug: every query removes itself */
        struct entry *e = r->head;
        r->head = e->next;
        free(e->text);
        free(e->db);
        free(e);
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int st_qreg_add(st_qreg *r, const char *text, const char *db, uint64_t *qid,
                const atomic_bool **killed)
{
    struct entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return ST_ENOMEM;
    e->text = strdup(text);
    e->db = strdup(db != NULL ? db : "");
    if (e->text == NULL || e->db == NULL) {
        free(e->text);
        free(e->db);
        free(e);
        return ST_ENOMEM;
    }
    e->start_ns = mono_ns();
    atomic_init(&e->killed, false);
    pthread_mutex_lock(&r->mu);
    e->qid = r->next_qid++;
    if (r->tail != NULL)
        r->tail->next = e;
    else
        r->head = e;
    r->tail = e;
    pthread_mutex_unlock(&r->mu);
    *qid = e->qid;
    *killed = &e->killed;
    return ST_OK;
}

void st_qreg_remove(st_qreg *r, uint64_t qid)
{
    pthread_mutex_lock(&r->mu);
    struct entry *prev = NULL, *e = r->head;
    while (e != NULL && e->qid != qid) {
        prev = e;
        e = e->next;
    }
    if (e != NULL) {
        if (prev != NULL)
            prev->next = e->next;
        else
            r->head = e->next;
        if (r->tail == e)
            r->tail = prev;
    }
    pthread_mutex_unlock(&r->mu);
    if (e != NULL) {
        free(e->text);
        free(e->db);
        free(e);
    }
}

bool st_qreg_kill(st_qreg *r, uint64_t qid)
{
    pthread_mutex_lock(&r->mu);
    struct entry *e = r->head;
    while (e != NULL && e->qid != qid)
        e = e->next;
    if (e != NULL)
        atomic_store(&e->killed, true);
    pthread_mutex_unlock(&r->mu);
    return e != NULL;
}

int st_qreg_each(st_qreg *r, int (*fn)(void *arg, const struct st_qreg_query *q), void *arg)
{
    int rv = ST_OK;
    int64_t now = mono_ns();
    pthread_mutex_lock(&r->mu);
    for (struct entry *e = r->head; e != NULL && rv == ST_OK; e = e->next) {
        struct st_qreg_query q = {.qid = e->qid,
                                  .text = e->text,
                                  .db = e->db,
                                  .duration_ns = now - e->start_ns,
                                  .killed = atomic_load(&e->killed)};
        rv = fn(arg, &q);
    }
    pthread_mutex_unlock(&r->mu);
    return rv;
}

/* Appends @v / 10^@digits with its fraction, trailing zeros dropped. */
static int fixed(struct st_buf *out, uint64_t v, int digits)
{
    uint64_t pow = 1;
    for (int i = 0; i < digits; i++)
        pow *= 10;
    int rv = st_buf_printf(out, "%" PRIu64, v / pow);
    uint64_t frac = v % pow;
    if (rv != ST_OK || frac == 0)
        return rv;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    return st_buf_printf(out, ".%0*" PRIu64, digits, frac);
}

int st_qreg_duration(struct st_buf *out, int64_t ns)
{
    if (ns == 0)
        return st_buf_puts(out, "0s");
    int rv = ST_OK;
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0)
        rv = st_buf_putc(out, '-');
    if (rv != ST_OK)
        return rv;
    if (u < 1000)
        return st_buf_printf(out, "%" PRIu64 "ns", u);
    if (u < 1000000) {
        rv = fixed(out, u, 3);
        return rv == ST_OK ? st_buf_puts(out, "\xc2\xb5s") : rv; /* µs */
    }
    if (u < 1000000000) {
        rv = fixed(out, u, 6);
        return rv == ST_OK ? st_buf_puts(out, "ms") : rv;
    }
    uint64_t h = u / 3600000000000ULL, m = u / 60000000000ULL % 60;
    uint64_t s = u % 60000000000ULL; /* seconds and fraction, in ns */
    if (h > 0)
        rv = st_buf_printf(out, "%" PRIu64 "h%" PRIu64 "m", h, m);
    else if (m > 0)
        rv = st_buf_printf(out, "%" PRIu64 "m", m);
    if (rv == ST_OK)
        rv = fixed(out, s, 9);
    return rv == ST_OK ? st_buf_putc(out, 's') : rv;
}
