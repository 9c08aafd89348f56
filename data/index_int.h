/* Private to data/index*.c: the index's structures and its log format. */
#ifndef ST_INDEX_INT_H
#define ST_INDEX_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "index.h"

/*
 * index.log format (docs/storage-index.md). All integers little-endian.
 *
 *   header, 64 bytes:
 *     0  magic "STIDXLOG"
 *     8  u32 version (1)
 *    12  u32 CRC32C of bytes 0..12
 *    16  sync slot 0: u64 seq, u64 synced length, u32 CRC32C of the 16
 *        bytes before it, u32 zero
 *    40  sync slot 1, the same
 *   records from offset 64, each:
 *     0  u32 CRC32C of bytes 4 .. 9+len
 *     4  u32 len, bytes of payload
 *     8  u8  type
 *     9  payload
 *   SERIES payload: u32 id, key bytes (canonical, escaped)
 *   FIELD payload:  u8 type, u32 measurement length, measurement bytes,
 *                   field name bytes (both unescaped)
 *
 * st_index_sync() writes the slot after the newer valid one (seq + 1), so a
 * torn slot write leaves the older slot. The synced length separates the
 * part of the log whose loss is corruption from a tail a crash may tear.
 */
#define ST_INDEX_LOG_NAME "index.log"
#define ST_INDEX_LOG_MAGIC "STIDXLOG"
#define ST_INDEX_LOG_VERSION 1
#define ST_INDEX_LOG_HEADER 64
#define ST_INDEX_LOG_SLOT0 16
#define ST_INDEX_LOG_SLOT_SIZE 24
#define ST_INDEX_LOG_RECORD_HEADER 9
#define ST_INDEX_LOG_MAX_PAYLOAD (5 + 2 * ST_INDEX_MAX_KEY)

_Static_assert(sizeof(ST_INDEX_LOG_MAGIC) - 1 == 8, "magic is 8 bytes");
_Static_assert(ST_INDEX_LOG_SLOT0 + 2 * ST_INDEX_LOG_SLOT_SIZE == ST_INDEX_LOG_HEADER,
               "two sync slots end the header");

enum {
    ST_INDEX_REC_SERIES = 1,
    ST_INDEX_REC_FIELD = 2,
};

/* A sorted id list. Most tag values of high-cardinality keys hold one
 * series, so up to one id lives inline (cap == 0) and costs no allocation. */
struct st_plist {
    union {
        uint32_t *ids; /* cap > 0 */
        uint32_t one;  /* cap == 0 and n == 1 */
    } u;
    uint32_t n, cap;
};

/* Open addressing, linear probing, load <= 3/4. A slot holds an entry
 * index + 1 (0: empty) and the low 32 bits of the name's hash, which place
 * the slot and reject most mismatches without touching the name. The
 * entries live in an array next to the dict; each begins with its name as
 * a struct st_slice. @order lists entries [0, nsorted) by name; entries
 * created since are the unsorted tail [nsorted, n), merged in when it grows
 * past an eighth, so listings sort only a small tail. */
struct st_dslot {
    uint32_t ent;
    uint32_t hash;
};
struct st_dict {
    struct st_dslot *slots;
    uint32_t mask; /* slots - 1; 0 when none */
    uint32_t n;    /* entries */
    uint32_t *order;
    uint32_t nsorted;
};

struct st_tvalue {
    struct st_slice name; /* unescaped, in the arena */
    struct st_plist ids;  /* postings; empty if its creation failed */
};

struct st_tkey {
    struct st_slice name;
    struct st_dict dict;
    struct st_tvalue *v; /* dict.n entries */
    uint32_t cap;
    uint32_t nlive; /* values with postings: listed when > 0 */
};

struct st_field {
    struct st_slice name;
    enum st_field_type type;
};

struct st_meas {
    struct st_slice name;
    struct st_plist series; /* listed when not empty */
    struct st_dict kdict;
    struct st_tkey *k;
    uint32_t kcap;
    struct st_dict fdict;
    struct st_field *f;
    uint32_t fcap;
};

struct st_chunk {
    struct st_chunk *next;
    size_t used, cap;
    char data[];
};

struct st_index {
    pthread_rwlock_t lock;   /* see index.h */
    pthread_mutex_t sync_mu; /* one st_index_sync() at a time */
    pthread_mutex_t err_mu;  /* errmsg */

    /* Under lock: */
    struct st_chunk *arena;  /* names and keys; never move until close */
    struct st_slice *series; /* series[id - 1] = its key */
    uint32_t nseries, series_cap;
    struct st_dict sdict; /* key -> series index */
    struct st_dict mdict; /* measurement -> index in m */
    struct st_meas *m;
    uint32_t mcap;
    size_t mem;              /* bytes of all the above */
    struct st_index_key key; /* scratch of creation */
    uint32_t *pend;          /* scratch of creation: (tag key, value) pairs */
    uint32_t pend_cap;
    struct st_buf rec; /* scratch of creation: one log record */

    /* The log. */
    int fd;
    char *path;
    _Atomic uint64_t size;   /* bytes written; changed under lock */
    atomic_bool broken;      /* a failed write could not be rolled back */
    uint64_t seq;            /* under sync_mu */
    _Atomic uint64_t synced; /* changed under sync_mu */
    uint64_t dropped;
    char errmsg[256]; /* under err_mu */
};

/* index.c: creation without logging, used by the log's replay. */
int st_index_apply_series(st_index *idx, uint32_t id, const char *key, uint32_t len);
int st_index_apply_field(st_index *idx, struct st_slice m, struct st_slice f,
                         enum st_field_type type);
void st_index_set_err(st_index *idx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* index.c: lookups shared with index_query.c. */
uint32_t st_index_dict_find(const struct st_dict *d, const void *ents, size_t stride,
                            struct st_slice name, uint32_t hash);
uint32_t st_index_name_hash(struct st_slice name);
const struct st_meas *st_index_meas(const st_index *idx, struct st_slice name);
void st_index_plist_view(const struct st_plist *pl, const uint32_t **ids, size_t *n);

/* index_query.c: visits the entries of @d in name order; @visit gets the
 * entry index. */
int st_index_dict_each(const struct st_dict *d, const void *ents, size_t stride,
                       int (*visit)(void *ctx, uint32_t ent), void *ctx);
/* index_query.c: merges the unsorted tail into d->order if it grew past
 * an eighth. ST_OK or ST_ENOMEM. */
int st_index_dict_order(struct st_dict *d, const void *ents, size_t stride, size_t *mem);

/* index_log.c */
int st_index_log_open(st_index *idx, const char *dir, char *err, size_t errlen);
void st_index_log_close(st_index *idx);
int st_index_log_series(st_index *idx, uint32_t id, struct st_slice key);
int st_index_log_field(st_index *idx, struct st_slice m, struct st_slice f,
                       enum st_field_type type);
int st_index_log_sync(st_index *idx);

#endif
