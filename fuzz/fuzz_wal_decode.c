/* libFuzzer target: the WAL segment scanner on arbitrary bytes. It must not
 * crash, every record it returns must lie inside the buffer with a CRC that
 * verifies, and cutting a torn tail where it says must leave a segment that
 * scans clean with the same records. The first byte picks whether a valid
 * segment header is put in front, so that mutations reach the batches. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "wal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Scans @n bytes at @p, checking every record; returns how many there were. */
static size_t check(const uint8_t *p, size_t n, struct st_wal_scan *s)
{
    struct st_wal_record r;
    size_t count = 0, prev_end = 0;
    st_wal_scan_init(s, p, n);
    while (st_wal_scan_next(s, &r)) {
        if (r.off < ST_WAL_HEADER_SIZE || r.off > n || n - r.off < ST_WAL_FRAME_HEADER ||
            n - r.off - ST_WAL_FRAME_HEADER < r.len)
            abort();
        if (r.payload != p + r.off + ST_WAL_FRAME_HEADER || r.off < prev_end)
            abort();
        const uint8_t *h = p + r.off;
        if (le32(h) != r.len || h[8] != r.type || r.type == 0 || r.type > ST_WAL_TYPE_MAX)
            abort();
        uint32_t c = st_crc32c(st_crc32c(0, h, 4), h + 8, 1);
        if (st_crc32c(c, r.payload, r.len) != le32(h + 4))
            abort();
        prev_end = r.off + ST_WAL_FRAME_HEADER + r.len;
        count++;
    }
    if (s->end == ST_WAL_END_NONE || s->end_off > n || s->end_off < prev_end)
        abort();
    if (s->end == ST_WAL_END_CLEAN && s->end_off != n)
        abort();
    if (s->end != ST_WAL_END_CLEAN && (s->reason == NULL || s->bad_off > n))
        abort();
    if (s->end == ST_WAL_END_CORRUPT && s->proof_off != 0 && s->proof_off <= s->bad_off)
        abort();
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct st_buf b;
    st_buf_init(&b);
    if ((data[0] & 1) && st_wal_encode_header(&b, 1) != 0)
        return 0;
    if (st_buf_append(&b, data + 1, size - 1) != 0) {
        st_buf_fini(&b);
        return 0;
    }
    /* A copy of exactly the input's size, so that ASan sees overreads. */
    uint8_t *p = malloc(b.len ? b.len : 1);
    if (p == NULL) {
        st_buf_fini(&b);
        return 0;
    }
    memcpy(p, b.p, b.len);
    size_t n = b.len;
    st_buf_fini(&b);

    struct st_wal_scan s, t;
    size_t count = check(p, n, &s);
    if (s.end == ST_WAL_END_TORN && s.end_off >= ST_WAL_HEADER_SIZE) {
        /* Replay cuts here: what is left must scan clean, same records. */
        if (check(p, s.end_off, &t) != count || t.end != ST_WAL_END_CLEAN)
            abort();
    }
    free(p);
    return 0;
}
