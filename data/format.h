/* strata's on-disk formats: magic numbers, versions, fixed sizes and the
 * little-endian encode/decode helpers every file format in data/ uses. The
 * prose description of the segment format is docs/storage-segments.md. */
#ifndef ST_FORMAT_H
#define ST_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "crc32c.h"
#include "segment.h"

_Static_assert(sizeof(double) == sizeof(uint64_t), "doubles are stored as their 64 bits");

/* ---- Little-endian stores and loads into raw memory ---------------------- */

/* Each writes exactly 2, 4 or 8 bytes at @p, least significant first,
 * whatever the host's byte order. */
static inline void st_store_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void st_store_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void st_store_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t st_load_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t st_load_le32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t st_load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* The bits of a double, and back: NaN payloads and -0.0 survive. */
static inline uint64_t st_f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static inline double st_f64_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

/* int64 <-> uint64 two's complement without implementation-defined casts. */
static inline uint64_t st_i64_bits(int64_t v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    return u;
}

static inline int64_t st_i64_from_bits(uint64_t u)
{
    int64_t v;
    memcpy(&v, &u, sizeof(v));
    return v;
}

/* ---- Appending encoded values to a st_buf -------------------------------- */

/* Each appends one little-endian value to @b: ST_OK or ST_ENOMEM. */
static inline int st_put_u8(struct st_buf *b, uint8_t v)
{
    return st_buf_append(b, &v, 1);
}

static inline int st_put_u16(struct st_buf *b, uint16_t v)
{
    uint8_t x[2];
    st_store_le16(x, v);
    return st_buf_append(b, x, sizeof(x));
}

static inline int st_put_u32(struct st_buf *b, uint32_t v)
{
    uint8_t x[4];
    st_store_le32(x, v);
    return st_buf_append(b, x, sizeof(x));
}

static inline int st_put_u64(struct st_buf *b, uint64_t v)
{
    uint8_t x[8];
    st_store_le64(x, v);
    return st_buf_append(b, x, sizeof(x));
}

static inline int st_put_i64(struct st_buf *b, int64_t v)
{
    return st_put_u64(b, st_i64_bits(v));
}

static inline int st_put_f64(struct st_buf *b, double v)
{
    return st_put_u64(b, st_f64_bits(v));
}

/* ---- A bounds-checked read cursor ----------------------------------------- */

/* Reads never go past @len: a read that would sets @err, returns zero (or
 * NULL) and leaves the cursor where it was, so a decoder checks @err once
 * after a run of reads instead of after each. */
struct st_cur {
    const uint8_t *p; /* borrowed input */
    size_t len;       /* bytes in @p */
    size_t off;       /* next byte to read */
    bool err;         /* a read ran past the end */
};

static inline void st_cur_init(struct st_cur *c, const void *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->off = 0;
    c->err = false;
}

static inline size_t st_cur_left(const struct st_cur *c)
{
    return c->len - c->off;
}

/* Returns @n bytes inside the input (borrowed) and advances, or NULL. */
static inline const uint8_t *st_get_bytes(struct st_cur *c, size_t n)
{
    if (c->err || n > c->len - c->off) {
        c->err = true;
        return NULL;
    }
    const uint8_t *p = c->p + c->off;
    c->off += n;
    return p;
}

static inline uint8_t st_get_u8(struct st_cur *c)
{
    const uint8_t *p = st_get_bytes(c, 1);
    return p ? p[0] : 0;
}

static inline uint16_t st_get_u16(struct st_cur *c)
{
    const uint8_t *p = st_get_bytes(c, 2);
    return p ? st_load_le16(p) : 0;
}

static inline uint32_t st_get_u32(struct st_cur *c)
{
    const uint8_t *p = st_get_bytes(c, 4);
    return p ? st_load_le32(p) : 0;
}

static inline uint64_t st_get_u64(struct st_cur *c)
{
    const uint8_t *p = st_get_bytes(c, 8);
    return p ? st_load_le64(p) : 0;
}

static inline int64_t st_get_i64(struct st_cur *c)
{
    return st_i64_from_bits(st_get_u64(c));
}

static inline double st_get_f64(struct st_cur *c)
{
    return st_f64_from_bits(st_get_u64(c));
}

/* ---- Segment files (data/segment.h) --------------------------------------
 *
 *   header | data: blocks, each [payload][u32 CRC32C of payload] | index | footer
 *
 * All integers little-endian; doubles as their IEEE-754 bits. */

#define ST_SEG_MAGIC "STSEG" /* at the start of the header and in the footer */
#define ST_SEG_MAGIC_LEN 5
/* Version 1 (fixed 96-byte index entries) was never released: not read. */
#define ST_SEG_VERSION 2     /* written and read */
#define ST_SEG_VERSION_MIN 2 /* the oldest version read */

/* Header, at offset 0. */
enum {
    ST_SEG_HDR_MAGIC = 0,   /* 5 bytes ST_SEG_MAGIC */
    ST_SEG_HDR_VERSION = 5, /* u8 ST_SEG_VERSION */
    ST_SEG_HDR_FLAGS = 6,   /* u16, 0 in version 1 (a reader refuses unknown flags) */
    ST_SEG_HDR_CRC = 8,     /* u32 CRC32C of bytes [0, 8) */
    ST_SEG_HEADER_SIZE = 12,
};
_Static_assert(ST_SEG_HDR_MAGIC + ST_SEG_MAGIC_LEN == ST_SEG_HDR_VERSION, "header layout");
_Static_assert(ST_SEG_HDR_CRC + 4 == ST_SEG_HEADER_SIZE, "header layout");

/* Each block is its payload followed by this many bytes: the CRC32C of the
 * payload. An index entry's size counts the payload only. */
#define ST_SEG_BLOCK_TRAILER 4

/* Index: one record per (series, field), sorted by series id then field name
 * bytes (st_seg_key_cmp), each followed by its block entries in time order:
 *   u32 series | u8 field type | u16 name length (>= 1) | name | u32 n (>= 1)
 *   | n entries (variable-length, below) */
enum {
    ST_SEG_KEY_SERIES = 0,   /* u32 series id */
    ST_SEG_KEY_TYPE = 4,     /* u8 enum st_field_type */
    ST_SEG_KEY_NAME_LEN = 5, /* u16 field name length, then the name */
    ST_SEG_KEY_FIXED = 11,   /* fixed bytes of a key record: the above + u32 n after the name */
    ST_SEG_MAX_FIELD_NAME = UINT16_MAX,
};
_Static_assert(ST_SEG_KEY_NAME_LEN + 2 + 4 == ST_SEG_KEY_FIXED, "key record layout");

/* Version 2 entries are variable-length (data/segment_entry.c):
 *   uvarint zigzag(min_time - previous entry's max_time, 0 for the first)
 *   uvarint max_time - min_time | uvarint payload size | uvarint count
 *   then by type: FLOAT: f64 sum, min, max, first, last (no integer sum);
 *   INTEGER, UNSIGNED, BOOLEAN (as unsigned 0/1): u8 flags (bit 0: f64 sum follows, else the sum is
 *     the exact sum as a double), uvarint zigzag(isum_lo) (INTEGER) or
 *     isum_lo (others), uvarint zigzag(isum_hi - sign of isum_lo), [f64
 *     sum], value min (zigzag for INTEGER), uvarint max - min, first - min,
 *     last - min (64-bit wrapping differences);
 *   STRING: nothing.
 * The offset is implicit: blocks tile the data section in index order. A
 * TSBS-like integer block takes about 20 bytes instead of 96. */
#define ST_SEG_ENTRY_V2_MIN 4 /* bytes of the smallest version 2 entry */
#define ST_SEG_ENTRY_V2_MAX \
    112 /* and of the largest (4 varints, then 1 + 2 varints + 8 + 4 varints) */

/* Appends the version 2 entry of @e (a block of @type) to @b; @prev_max is
 * the previous entry's max_time in its key, 0 for the first. */
int st_seg_entry_put_v2(struct st_buf *b, enum st_field_type type, const struct st_block_entry *e,
                        int64_t prev_max);
/* Reads one; @offset is where its block starts. Sets c->err when the
 * entry is truncated or a varint is malformed. */
void st_seg_entry_get_v2(struct st_cur *c, enum st_field_type type, struct st_block_entry *e,
                         int64_t prev_max, uint64_t offset);

/* Footer, the last ST_SEG_FOOTER_SIZE bytes of the file. */
enum {
    ST_SEG_FTR_INDEX_OFFSET = 0, /* u64 offset of the index section = end of data */
    ST_SEG_FTR_INDEX_SIZE = 8,   /* u64 bytes of the index section */
    ST_SEG_FTR_NENTRIES = 16,    /* u64 block entries in the index */
    ST_SEG_FTR_NKEYS = 24,       /* u32 (series, field) records in the index */
    ST_SEG_FTR_NSERIES = 28,     /* u32 distinct series ids */
    ST_SEG_FTR_MIN_TIME = 32,    /* i64 smallest time, INT64_MAX if no blocks */
    ST_SEG_FTR_MAX_TIME = 40,    /* i64 largest time, INT64_MIN if no blocks */
    ST_SEG_FTR_INDEX_CRC = 48,   /* u32 CRC32C of the index section */
    ST_SEG_FTR_MAGIC = 52,       /* 5 bytes ST_SEG_MAGIC */
    ST_SEG_FTR_VERSION = 57,     /* u8 ST_SEG_VERSION */
    ST_SEG_FTR_FLAGS = 58,       /* u16, 0 in version 1 */
    ST_SEG_FTR_CRC = 60,         /* u32 CRC32C of bytes [0, 60) of the footer */
    ST_SEG_FOOTER_SIZE = 64,
};
_Static_assert(ST_SEG_FTR_MAGIC + ST_SEG_MAGIC_LEN == ST_SEG_FTR_VERSION, "footer layout");
_Static_assert(ST_SEG_FTR_CRC + 4 == ST_SEG_FOOTER_SIZE, "footer layout");

/* The smallest valid file: header, no blocks, an empty index, footer. */
#define ST_SEG_MIN_FILE_SIZE (ST_SEG_HEADER_SIZE + ST_SEG_FOOTER_SIZE)

/* The order of index records: series id, then field name bytes (a prefix
 * sorts first). Negative, zero or positive like memcmp. */
static inline int st_seg_key_cmp(uint32_t s1, const char *f1, size_t n1, uint32_t s2,
                                 const char *f2, size_t n2)
{
    if (s1 != s2)
        return s1 < s2 ? -1 : 1;
    size_t n = n1 < n2 ? n1 : n2;
    int c = n ? memcmp(f1, f2, n) : 0;
    if (c != 0)
        return c;
    return n1 < n2 ? -1 : n1 > n2;
}

/* The footer's fields, decoded. */
struct st_seg_footer {
    uint64_t index_offset, index_size, nentries;
    uint32_t nkeys, nseries, index_crc;
    int64_t min_time, max_time;
};

/* Encodes the header: magic, version, no flags, CRC. */
static inline void st_seg_header_encode(uint8_t h[ST_SEG_HEADER_SIZE])
{
    memcpy(h + ST_SEG_HDR_MAGIC, ST_SEG_MAGIC, ST_SEG_MAGIC_LEN);
    h[ST_SEG_HDR_VERSION] = ST_SEG_VERSION;
    st_store_le16(h + ST_SEG_HDR_FLAGS, 0);
    st_store_le32(h + ST_SEG_HDR_CRC, st_crc32c(0, h, ST_SEG_HDR_CRC));
}

/* Encodes @f with magic, version and CRC. */
static inline void st_seg_footer_encode(uint8_t p[ST_SEG_FOOTER_SIZE],
                                        const struct st_seg_footer *f)
{
    st_store_le64(p + ST_SEG_FTR_INDEX_OFFSET, f->index_offset);
    st_store_le64(p + ST_SEG_FTR_INDEX_SIZE, f->index_size);
    st_store_le64(p + ST_SEG_FTR_NENTRIES, f->nentries);
    st_store_le32(p + ST_SEG_FTR_NKEYS, f->nkeys);
    st_store_le32(p + ST_SEG_FTR_NSERIES, f->nseries);
    st_store_le64(p + ST_SEG_FTR_MIN_TIME, st_i64_bits(f->min_time));
    st_store_le64(p + ST_SEG_FTR_MAX_TIME, st_i64_bits(f->max_time));
    st_store_le32(p + ST_SEG_FTR_INDEX_CRC, f->index_crc);
    memcpy(p + ST_SEG_FTR_MAGIC, ST_SEG_MAGIC, ST_SEG_MAGIC_LEN);
    p[ST_SEG_FTR_VERSION] = ST_SEG_VERSION;
    st_store_le16(p + ST_SEG_FTR_FLAGS, 0);
    st_store_le32(p + ST_SEG_FTR_CRC, st_crc32c(0, p, ST_SEG_FTR_CRC));
}

/* Decodes the fields of a footer; checks nothing (magic, version, flags and
 * CRC are the reader's business). */
static inline void st_seg_footer_decode(const uint8_t p[ST_SEG_FOOTER_SIZE],
                                        struct st_seg_footer *f)
{
    f->index_offset = st_load_le64(p + ST_SEG_FTR_INDEX_OFFSET);
    f->index_size = st_load_le64(p + ST_SEG_FTR_INDEX_SIZE);
    f->nentries = st_load_le64(p + ST_SEG_FTR_NENTRIES);
    f->nkeys = st_load_le32(p + ST_SEG_FTR_NKEYS);
    f->nseries = st_load_le32(p + ST_SEG_FTR_NSERIES);
    f->min_time = st_i64_from_bits(st_load_le64(p + ST_SEG_FTR_MIN_TIME));
    f->max_time = st_i64_from_bits(st_load_le64(p + ST_SEG_FTR_MAX_TIME));
    f->index_crc = st_load_le32(p + ST_SEG_FTR_INDEX_CRC);
}

#endif
