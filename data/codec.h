/* Block codecs of segment files: one (series, field) block of up to
 * ST_BLOCK_MAX_POINTS timestamps and values, compressed to bytes and back.
 *
 * A block is two columns, timestamps then values, and every column starts
 * with a one-byte tag (high nibble: column kind, low nibble: encoding) and
 * its point count as a varint, so a reader can size its arrays before it
 * decodes (st_codec_count). The byte layouts are in docs/storage-codecs.md.
 *
 * Encoders append to a struct st_buf; on error they leave its length as it
 * was. Decoders borrow the input, write into caller-owned arrays, and treat
 * the input as hostile: anything malformed is ST_ECORRUPT, never a crash or
 * an out-of-bounds access. Every function is pure (no I/O; its only state
 * is a per-thread cache of tables derived from the input, invisible in the
 * results) and safe to call from any number of threads at once; each uses up
 * to about 40 KiB of stack (scratch arrays of ST_BLOCK_MAX_POINTS words), and
 * a thread that decodes keeps about 80 KiB of Huffman tables (allocated for
 * its first Huffman-coded column, freed when it exits). */
#ifndef ST_CODEC_H
#define ST_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "lineproto.h"

/* Points of one block at most; the encoders refuse more (ST_EINVAL). */
#define ST_BLOCK_MAX_POINTS 1000

/* Bytes of all strings of one block (plus a length varint each) at most.
 * InfluxDB caps one string field at 64 KiB, so 1000 of them fit; a block
 * writer cuts a block early when its strings would pass this. */
#define ST_CODEC_MAX_STR_BYTES (64u << 20)

/* Column kinds, the high nibble of a tag. */
enum st_codec_kind {
    ST_CODEC_KIND_BLOCK = 0x0,
    ST_CODEC_KIND_TIME = 0x1,
    ST_CODEC_KIND_FLOAT = 0x2,
    ST_CODEC_KIND_INT = 0x3,
    ST_CODEC_KIND_UINT = 0x4,
    ST_CODEC_KIND_BOOL = 0x5,
    ST_CODEC_KIND_STRING = 0x6,
};

/* Low nibbles of the integer-like kinds (time, int, uint, bool): raw 8-byte
 * words, or the values' differences of order 0, 1 or 2 bit-packed. */
enum st_codec_enc {
    ST_CODEC_RAW = 0x0,
    ST_CODEC_DIFF0 = 0x1, /* the values packed */
    ST_CODEC_DIFF1 = 0x2, /* the first value, then the deltas packed */
    ST_CODEC_DIFF2 = 0x3, /* the first value and delta, then delta-of-deltas packed */
};

/* The other tags a decoder accepts (docs/storage-codecs.md). */
enum st_codec_tag {
    ST_CODEC_BLOCK = 0x01,          /* timestamps column + values column */
    ST_CODEC_FLOAT_RAW = 0x20,      /* n IEEE-754 bit patterns */
    ST_CODEC_FLOAT_GORILLA = 0x21,  /* XOR with the previous value, as in Gorilla */
    ST_CODEC_FLOAT_INTEGRAL = 0x22, /* integers in +-2^53: an int column follows */
    ST_CODEC_STR_RAW = 0x60,        /* lengths then bytes */
    ST_CODEC_STR_ZSTD = 0x61,       /* the same, as one zstd frame */
};

/* ---- Columns -------------------------------------------------------------
 *
 * Each _encode appends one column of @n (<= ST_BLOCK_MAX_POINTS) values
 * borrowed from @v (NULL is fine when @n is 0) to @out: ST_OK, ST_EINVAL
 * (too many values) or ST_ENOMEM. Each _decode reads the column at @p (@len
 * bytes, borrowed; it must be the whole column, nothing after it) into @v
 * (caller-owned, room for @cap values) and sets *@n: ST_OK, ST_ECORRUPT (the
 * bytes are not such a column) or ST_ERANGE (a column that says it holds
 * more than @cap values; @cap = ST_BLOCK_MAX_POINTS always suffices). On
 * error the content of @v is unspecified. */

/* Timestamps (nanoseconds): any sequence, sorted or not, round-trips. A fixed
 * interval costs about 18 bytes per block whatever the count. */
int st_codec_ts_encode(struct st_buf *out, const int64_t *v, size_t n);
int st_codec_ts_decode(const uint8_t *p, size_t len, int64_t *v, size_t cap, size_t *n);

/* Doubles, bit-exact: NaN payloads, infinities and -0.0 survive. */
int st_codec_float_encode(struct st_buf *out, const double *v, size_t n);
int st_codec_float_decode(const uint8_t *p, size_t len, double *v, size_t cap, size_t *n);

/* Signed and unsigned 64-bit integers. */
int st_codec_int_encode(struct st_buf *out, const int64_t *v, size_t n);
int st_codec_int_decode(const uint8_t *p, size_t len, int64_t *v, size_t cap, size_t *n);
int st_codec_uint_encode(struct st_buf *out, const uint64_t *v, size_t n);
int st_codec_uint_decode(const uint8_t *p, size_t len, uint64_t *v, size_t cap, size_t *n);

/* Booleans. */
int st_codec_bool_encode(struct st_buf *out, const bool *v, size_t n);
int st_codec_bool_decode(const uint8_t *p, size_t len, bool *v, size_t cap, size_t *n);

/* A decoded string: @len bytes at arena->p + @off. Offsets, not pointers,
 * so they stay valid when the arena grows. The bytes may contain NULs. */
struct st_codec_str {
    size_t off;
    uint32_t len;
};

/* Strings: the bytes borrowed from each @v[i] are copied. ST_EINVAL also when
 * their lengths add up to more than ST_CODEC_MAX_STR_BYTES. Compressed with
 * zstd when that makes the column smaller. */
int st_codec_str_encode(struct st_buf *out, const struct st_slice *v, size_t n);

/* Appends the strings' bytes, one after another, to @arena (caller-owned; not
 * reset first, so one arena can collect many blocks) and describes them in
 * @v. On error @arena keeps its old length. ST_ENOMEM is possible too. */
int st_codec_str_decode(const uint8_t *p, size_t len, struct st_buf *arena, struct st_codec_str *v,
                        size_t cap, size_t *n);

/* The point count of the column or block at @p (@len bytes, borrowed),
 * without decoding it: ST_OK or ST_ECORRUPT (unknown tag, bad count). */
int st_codec_count(const uint8_t *p, size_t len, size_t *n);

/* ---- Any field type --------------------------------------------------------- */

/* Borrowed input values of one field type: the member of that type. */
union st_codec_in {
    const double *f;          /* ST_FIELD_FLOAT */
    const int64_t *i;         /* ST_FIELD_INTEGER */
    const uint64_t *u;        /* ST_FIELD_UNSIGNED */
    const struct st_slice *s; /* ST_FIELD_STRING */
    const bool *b;            /* ST_FIELD_BOOLEAN */
};

/* Caller-owned output arrays of one field type: the member of that type. */
union st_codec_out {
    double *f;
    int64_t *i;
    uint64_t *u;
    struct st_codec_str *s; /* with an arena, see st_codec_str_decode */
    bool *b;
};

/* The column encoder or decoder of @type, with its ownership and errors;
 * ST_EINVAL for an unknown type. @arena (caller-owned) is used for strings
 * only and may be NULL otherwise. */
int st_codec_values_encode(struct st_buf *out, enum st_field_type type, union st_codec_in v,
                           size_t n);
int st_codec_values_decode(const uint8_t *p, size_t len, enum st_field_type type,
                           union st_codec_out v, struct st_buf *arena, size_t cap, size_t *n);

/* ---- Blocks ---------------------------------------------------------------- */

/* Appends a whole block: ST_CODEC_BLOCK, the length of the timestamps column
 * as a varint, the timestamps column, the values column. Borrows @ts and @v,
 * @n values each. Same errors as the column encoders. */
int st_codec_block_encode(struct st_buf *out, enum st_field_type type, const int64_t *ts,
                          union st_codec_in v, size_t n);

/* The two columns of the block at @p (borrowed): *@ts and *@vals point into
 * @p (valid while it is), *@n is the count both columns agree on. Checks the
 * values column is of @type but decodes nothing. ST_OK or ST_ECORRUPT. */
int st_codec_block_split(const uint8_t *p, size_t len, enum st_field_type type, const uint8_t **ts,
                         size_t *ts_len, const uint8_t **vals, size_t *vals_len, size_t *n);

/* Decodes a whole block into @ts and @v (caller-owned, room for @cap each)
 * and @arena for strings. Errors as the column decoders, ST_ECORRUPT also
 * when the columns disagree on the count. */
int st_codec_block_decode(const uint8_t *p, size_t len, enum st_field_type type, int64_t *ts,
                          union st_codec_out v, struct st_buf *arena, size_t cap, size_t *n);

#endif
