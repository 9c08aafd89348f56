/* Version 2 block entries of the segment index: varints and deltas (the
 * layout is in format.h). */
#include "err.h"
#include "format.h"

static int put_uvarint(struct st_buf *b, uint64_t v)
{
    uint8_t x[10];
    size_t n = 0;
    while (v >= 0x80) {
        x[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    x[n++] = (uint8_t)v;
    return st_buf_append(b, x, n);
}

static uint64_t get_uvarint(struct st_cur *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        const uint8_t *p = st_get_bytes(c, 1);
        if (p == NULL)
            return 0;
        if (shift == 63 && *p > 1)
            break; /* more than 64 bits */
        v |= (uint64_t)(*p & 0x7f) << shift;
        if (!(*p & 0x80))
            return v;
    }
    c->err = true;
    return 0;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* The double sum integers and unsigned would give on their own: the exact
 * 128-bit sum rounded once. */
static double exact_sum(enum st_field_type type, uint64_t lo, int64_t hi)
{
    if (type == ST_FIELD_UNSIGNED)
        return (double)hi * 18446744073709551616.0 + (double)lo;
    unsigned __int128 u = ((unsigned __int128)(uint64_t)hi << 64) | lo;
    return (double)(__int128)u; /* two's complement (GCC and clang define it) */
}

int st_seg_entry_put_v2(struct st_buf *b, enum st_field_type type, const struct st_block_entry *e,
                        int64_t prev_max)
{
    const struct st_block_stats *s = &e->stats;
    int rv = put_uvarint(b, zigzag((int64_t)((uint64_t)s->min_time - (uint64_t)prev_max)));
    rv |= put_uvarint(b, (uint64_t)s->max_time - (uint64_t)s->min_time);
    rv |= put_uvarint(b, e->size);
    rv |= put_uvarint(b, s->count);
    switch (type) {
    case ST_FIELD_FLOAT:
        rv |= st_put_f64(b, s->sum);
        rv |= st_put_u64(b, s->min.u);
        rv |= st_put_u64(b, s->max.u);
        rv |= st_put_u64(b, s->first.u);
        rv |= st_put_u64(b, s->last.u);
        break;
    case ST_FIELD_INTEGER:
    case ST_FIELD_UNSIGNED:
    case ST_FIELD_BOOLEAN: {
        bool own_sum = st_f64_bits(s->sum) != st_f64_bits(exact_sum(type, s->isum_lo, s->isum_hi));
        int64_t sign = type == ST_FIELD_INTEGER ? (int64_t)s->isum_lo >> 63 : 0;
        rv |= st_put_u8(b, own_sum ? 1 : 0);
        rv |= put_uvarint(b, type == ST_FIELD_INTEGER ? zigzag((int64_t)s->isum_lo) : s->isum_lo);
        rv |= put_uvarint(b, zigzag((int64_t)((uint64_t)s->isum_hi - (uint64_t)sign)));
        if (own_sum)
            rv |= st_put_f64(b, s->sum);
        rv |= put_uvarint(b, type == ST_FIELD_INTEGER ? zigzag(s->min.i) : s->min.u);
        rv |= put_uvarint(b, s->max.u - s->min.u);
        rv |= put_uvarint(b, s->first.u - s->min.u);
        rv |= put_uvarint(b, s->last.u - s->min.u);
        break;
    }
    case ST_FIELD_STRING:
        break;
    }
    return rv ? ST_ENOMEM : ST_OK;
}

void st_seg_entry_get_v2(struct st_cur *c, enum st_field_type type, struct st_block_entry *e,
                         int64_t prev_max, uint64_t offset)
{
    struct st_block_stats *s = &e->stats;
    memset(e, 0, sizeof(*e));
    e->offset = offset;
    s->min_time = (int64_t)((uint64_t)prev_max + (uint64_t)unzigzag(get_uvarint(c)));
    s->max_time = (int64_t)((uint64_t)s->min_time + get_uvarint(c));
    uint64_t size = get_uvarint(c), count = get_uvarint(c);
    if (size > UINT32_MAX || count > UINT32_MAX || s->max_time < s->min_time)
        c->err = true;
    e->size = (uint32_t)size;
    s->count = (uint32_t)count;
    switch (type) {
    case ST_FIELD_FLOAT:
        s->sum = st_get_f64(c);
        s->min.u = st_get_u64(c);
        s->max.u = st_get_u64(c);
        s->first.u = st_get_u64(c);
        s->last.u = st_get_u64(c);
        break;
    case ST_FIELD_INTEGER:
    case ST_FIELD_UNSIGNED:
    case ST_FIELD_BOOLEAN: {
        uint8_t flags = st_get_u8(c);
        uint64_t lo = get_uvarint(c);
        s->isum_lo = type == ST_FIELD_INTEGER ? (uint64_t)unzigzag(lo) : lo;
        int64_t sign = type == ST_FIELD_INTEGER ? (int64_t)s->isum_lo >> 63 : 0;
        s->isum_hi = (int64_t)((uint64_t)unzigzag(get_uvarint(c)) + (uint64_t)sign);
        s->sum = flags & 1 ? st_get_f64(c) : exact_sum(type, s->isum_lo, s->isum_hi);
        if (flags > 1)
            c->err = true;
        uint64_t min = get_uvarint(c);
        s->min.u = type == ST_FIELD_INTEGER ? (uint64_t)unzigzag(min) : min;
        s->max.u = s->min.u + get_uvarint(c);
        s->first.u = s->min.u + get_uvarint(c);
        s->last.u = s->min.u + get_uvarint(c);
        break;
    }
    case ST_FIELD_STRING:
        break;
    }
}
