/* WAL framing: encoding and scanning of segments in memory, no I/O.
 *
 * A segment is a header and then batches; a batch is a batch frame and the
 * record frames it announces (the layout is in wal.h). The scanner walks
 * batch by batch. It verifies a whole batch, every frame's length and CRC,
 * before it returns the batch's first record, so a caller replays a batch
 * completely or not at all, and a cut made at a batch boundary leaves a
 * segment that scans clean.
 *
 * The hard part is what to say when a batch does not verify at offset B:
 *
 * - TORN TAIL: a crash while the last writes were in flight. Writes reach
 *   the disk in any order, sector by sector, so a torn tail need not be a
 *   clean prefix: a batch can lose a middle sector and keep its last record;
 *   after a power cut in ST_WAL_SYNC_INTERVAL mode even whole later batches
 *   can be on disk while an earlier one is not. Preallocated or never
 *   written blocks read as zeros. None of that data was ever known durable.
 * - CORRUPTION: bytes that had been durable changed (media error, bit rot,
 *   a bad copy). They must be reported, never cut away.
 *
 * "A bad record followed by a valid record is corruption" is the rule of
 * thumb, and it is wrong for the torn batch above. The batch frame makes it
 * exact: it carries the durable offset, how many bytes of the segment the
 * writer knew to be on disk when it wrote this batch. The writer only ever
 * writes a batch after the fdatasync of the data it declares durable has
 * completed, so an intact batch frame after B declaring more than B durable
 * proves that B had been on disk before: the damage at B is CORRUPT. With no
 * such proof anywhere after B (zeros, garbage, nothing, or only batches that
 * were written before B was synced) the data from B on is a TORN tail.
 *
 * In ST_WAL_SYNC_ALWAYS mode every batch is written after the previous one
 * is synced, so any intact batch after the damage proves corruption: the
 * rule of thumb, at batch granularity. What no rule can catch is damage to
 * the very last batch of the last segment with nothing written after it; a
 * clean close appends an empty batch that declares everything durable, so
 * this is limited to the batches written after the last fdatasync that a
 * later batch recorded, i.e. to a crash.
 *
 * The search for proof looks at every offset after B, but only where the 4
 * length bytes and the type byte of a batch frame match does it compute a
 * CRC, over 21 bytes: linear in the size of the tail whatever it holds. */
#include "wal.h"

#include <string.h>

#include "crc32c.h"
#include "err.h"

_Static_assert(sizeof(ST_WAL_MAGIC) - 1 == 5, "magic is 5 bytes");
_Static_assert(ST_WAL_HEADER_SIZE == 5 + 1 + 2 + 8 + 4, "segment header layout");
_Static_assert(ST_WAL_FRAME_HEADER == 4 + 4 + 1, "frame header layout");
_Static_assert(ST_WAL_BATCH_PAYLOAD == 4 + 4 + 8, "batch payload layout");
_Static_assert(ST_WAL_TYPE_MAX < ST_WAL_TYPE_BATCH, "batch type is reserved");

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* The CRC of a frame: its length bytes, its type byte, its payload. */
static uint32_t frame_crc(const uint8_t *hdr, const void *payload, size_t len)
{
    uint32_t c = st_crc32c(0, hdr, 4);
    c = st_crc32c(c, hdr + 8, 1);
    return st_crc32c(c, payload, len);
}

void st_wal_frame_header(uint8_t *hdr, uint8_t type, const void *payload, uint32_t len)
{
    put_le32(hdr, len);
    hdr[8] = type;
    put_le32(hdr + 4, frame_crc(hdr, payload, len));
}

static int encode_frame(struct st_buf *b, uint8_t type, const void *payload, uint32_t len)
{
    uint8_t hdr[ST_WAL_FRAME_HEADER];
    st_wal_frame_header(hdr, type, payload, len);
    int rv = st_buf_reserve(b, sizeof(hdr) + len);
    if (rv != ST_OK)
        return rv;
    st_buf_append(b, hdr, sizeof(hdr));
    return st_buf_append(b, payload, len);
}

int st_wal_encode_header(struct st_buf *b, uint64_t seq)
{
    uint8_t h[ST_WAL_HEADER_SIZE];
    memcpy(h, ST_WAL_MAGIC, 5);
    h[5] = ST_WAL_VERSION;
    put_le16(h + 6, 0);
    put_le64(h + 8, seq);
    put_le32(h + 16, st_crc32c(0, h, 16));
    return st_buf_append(b, h, sizeof(h));
}

void st_wal_batch_frame(uint8_t *out, uint32_t count, uint32_t bytes, uint64_t durable)
{
    uint8_t *p = out + ST_WAL_FRAME_HEADER;
    put_le32(p, count);
    put_le32(p + 4, bytes);
    put_le64(p + 8, durable);
    st_wal_frame_header(out, ST_WAL_TYPE_BATCH, p, ST_WAL_BATCH_PAYLOAD);
}

int st_wal_encode_batch(struct st_buf *b, uint32_t count, uint32_t bytes, uint64_t durable)
{
    uint8_t f[ST_WAL_BATCH_FRAME];
    st_wal_batch_frame(f, count, bytes, durable);
    return st_buf_append(b, f, sizeof(f));
}

int st_wal_encode_record(struct st_buf *b, uint8_t type, const void *payload, size_t len)
{
    if (type == 0 || type > ST_WAL_TYPE_MAX || len > ST_WAL_MAX_PAYLOAD)
        return ST_EINVAL;
    return encode_frame(b, type, len ? payload : "", (uint32_t)len);
}

/* ---- Scanning ------------------------------------------------------------ */

void st_wal_scan_init(struct st_wal_scan *s, const void *p, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->p = p;
    s->len = len;
}

/* Checks the segment header. Returns NULL when it is valid, else why not. */
static const char *check_header(struct st_wal_scan *s, bool *fatal)
{
    const uint8_t *h = s->p;
    *fatal = false;
    if (s->len < ST_WAL_HEADER_SIZE)
        return "incomplete segment header";
    if (memcmp(h, ST_WAL_MAGIC, 5) != 0)
        return "bad segment magic";
    if (get_le32(h + 16) != st_crc32c(0, h, 16))
        return "segment header CRC mismatch";
    /* Intact but not ours to read: never mistaken for a torn tail. */
    *fatal = true;
    if (h[5] != ST_WAL_VERSION)
        return "unsupported segment version";
    if (get_le16(h + 6) != 0)
        return "unsupported segment flags";
    *fatal = false;
    s->seq = get_le64(h + 8);
    s->header_ok = true;
    return NULL;
}

/* Verifies the batch at @off. Returns NULL and sets *@count and *@end when
 * it is whole and intact; else sets *@bad to the first bad frame and returns
 * why it is bad. */
static const char *check_batch(const struct st_wal_scan *s, size_t off, uint32_t *count,
                               size_t *end, size_t *bad)
{
    const uint8_t *p = s->p + off;
    size_t avail = s->len - off;
    *bad = off;
    if (avail < ST_WAL_BATCH_FRAME)
        return "incomplete batch frame";
    if (get_le32(p) != ST_WAL_BATCH_PAYLOAD || p[8] != ST_WAL_TYPE_BATCH)
        return "not a batch frame";
    if (get_le32(p + 4) != frame_crc(p, p + ST_WAL_FRAME_HEADER, ST_WAL_BATCH_PAYLOAD))
        return "batch frame CRC mismatch";
    uint32_t n = get_le32(p + ST_WAL_FRAME_HEADER);
    uint32_t bytes = get_le32(p + ST_WAL_FRAME_HEADER + 4);
    uint64_t durable = get_le64(p + ST_WAL_FRAME_HEADER + 8);
    if (durable > off)
        return "batch frame declares data after it durable";
    if (bytes > avail - ST_WAL_BATCH_FRAME)
        return "incomplete batch";
    size_t o = off + ST_WAL_BATCH_FRAME, e = o + bytes;
    for (uint32_t i = 0; i < n; i++) {
        *bad = o;
        if (e - o < ST_WAL_FRAME_HEADER)
            return "record frame beyond the end of its batch";
        const uint8_t *r = s->p + o;
        uint32_t len = get_le32(r);
        if (len > ST_WAL_MAX_PAYLOAD || len > e - o - ST_WAL_FRAME_HEADER)
            return "impossible record length";
        if (r[8] == 0 || r[8] > ST_WAL_TYPE_MAX)
            return "invalid record type";
        if (get_le32(r + 4) != frame_crc(r, r + ST_WAL_FRAME_HEADER, len))
            return "record CRC mismatch";
        o += ST_WAL_FRAME_HEADER + len;
    }
    if (o != e) {
        *bad = o;
        return "batch length disagrees with its records";
    }
    *count = n;
    *end = e;
    return NULL;
}

/* Looks after @bad for an intact batch frame that declares more than @from
 * bytes durable. Returns its offset, or 0 when there is none. */
static size_t find_proof(const struct st_wal_scan *s, size_t from, size_t bad)
{
    if (s->len < ST_WAL_BATCH_FRAME)
        return 0;
    for (size_t o = bad + 1; o <= s->len - ST_WAL_BATCH_FRAME; o++) {
        const uint8_t *p = s->p + o;
        if (p[8] != ST_WAL_TYPE_BATCH || get_le32(p) != ST_WAL_BATCH_PAYLOAD)
            continue;
        if (get_le32(p + 4) != frame_crc(p, p + ST_WAL_FRAME_HEADER, ST_WAL_BATCH_PAYLOAD))
            continue;
        uint64_t durable = get_le64(p + ST_WAL_FRAME_HEADER + 8);
        if (durable > from && durable <= o)
            return o;
    }
    return 0;
}

static bool finish(struct st_wal_scan *s, size_t at, size_t bad, const char *reason, bool fatal)
{
    s->end_off = at;
    s->bad_off = bad;
    s->reason = reason;
    s->proof_off = fatal ? 0 : find_proof(s, at, bad);
    s->end = fatal || s->proof_off ? ST_WAL_END_CORRUPT : ST_WAL_END_TORN;
    return false;
}

bool st_wal_scan_next(struct st_wal_scan *s, struct st_wal_record *rec)
{
    if (s->end != ST_WAL_END_NONE)
        return false;
    if (!s->started) {
        s->started = true;
        bool fatal;
        const char *why = check_header(s, &fatal);
        if (why != NULL)
            return finish(s, 0, 0, why, fatal);
        s->off = ST_WAL_HEADER_SIZE;
    }
    while (s->left == 0) {
        if (s->off == s->len) {
            s->end = ST_WAL_END_CLEAN;
            s->end_off = s->off;
            return false;
        }
        size_t end, bad;
        uint32_t n;
        const char *why = check_batch(s, s->off, &n, &end, &bad);
        if (why != NULL)
            return finish(s, s->off, bad, why, false);
        s->batches++;
        s->left = n;
        s->off += ST_WAL_BATCH_FRAME;
    }
    const uint8_t *r = s->p + s->off;
    rec->len = get_le32(r);
    rec->type = r[8];
    rec->payload = r + ST_WAL_FRAME_HEADER;
    rec->off = s->off;
    s->off += ST_WAL_FRAME_HEADER + rec->len;
    s->left--;
    return true;
}
