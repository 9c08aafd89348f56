/* libFuzzer target: any bytes as a segment file, through st_segment_open_mem()
 * (the same header, footer and index checks as st_segment_open()). Each
 * input is tried twice: as it is, and with its header, index and footer
 * checksums recomputed so that mutations reach the structure checks behind
 * them. An accepted file must be self-consistent, and reading each of its
 * blocks must give ST_OK or ST_ECORRUPT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "err.h"
#include "format.h"
#include "segment.h"

/* Checks the invariants of an accepted segment; aborts on a violation. */
static void check(st_segment *r, const uint8_t *img, size_t len)
{
    struct st_segment_info info;
    st_segment_info(r, &info);
    if (info.file_size != len || (info.nblocks == 0) != (info.nkeys == 0) ||
        info.nseries > info.nkeys || info.nkeys > info.nblocks)
        abort();
    uint8_t *dst = malloc(len);
    if (dst == NULL)
        return;
    size_t blocks = 0, series = 0;
    for (size_t i = 0; i < info.nkeys; i++) {
        const struct st_segment_key *k = st_segment_key_at(r, i), *found;
        if (k->nentries == 0 || k->field.len == 0 ||
            st_segment_find(r, k->series, k->field, &found) != ST_OK || found != k)
            abort();
        if (i > 0) {
            const struct st_segment_key *p = st_segment_key_at(r, i - 1);
            if (st_seg_key_cmp(p->series, p->field.p, p->field.len, k->series, k->field.p,
                               k->field.len) >= 0)
                abort();
            series += p->series != k->series;
        } else {
            series = 1;
        }
        size_t first, n = st_segment_key_range(k, INT64_MIN, INT64_MAX, &first);
        if (first != 0 || n != k->nentries)
            abort();
        for (size_t j = 0; j < k->nentries; j++) {
            const struct st_block_entry *e = &k->entries[j];
            if (e->offset < ST_SEG_HEADER_SIZE || e->offset > len ||
                len - e->offset < (uint64_t)e->size + ST_SEG_BLOCK_TRAILER ||
                e->stats.min_time > e->stats.max_time || e->stats.count == 0 ||
                e->stats.min_time < info.min_time || e->stats.max_time > info.max_time)
                abort();
            struct st_block_ref ref = {e, dst};
            int rv = st_segment_read_blocks(r, NULL, &ref, 1, NULL, 0);
            if (rv != ST_OK && rv != ST_ECORRUPT)
                abort();
            if (rv == ST_OK && memcmp(dst, img + e->offset, e->size) != 0)
                abort();
        }
        blocks += k->nentries;
    }
    if (blocks != info.nblocks || series != info.nseries)
        abort();
    free(dst);
}

static void try_open(const uint8_t *img, size_t len)
{
    st_segment *r;
    char err[256];
    int rv = st_segment_open_mem(img, len, &r, err, sizeof(err));
    if (rv == ST_OK) {
        check(r, img, len);
        st_segment_close(r);
    } else if (rv != ST_ECORRUPT && rv != ST_EPROTO && rv != ST_ENOMEM) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size copy so ASan sees any read past the end. */
    uint8_t *img = malloc(size ? size : 1);
    if (img == NULL)
        return 0;
    memcpy(img, data, size);
    try_open(img, size);
    if (size >= ST_SEG_MIN_FILE_SIZE) {
        uint8_t *ftr = img + size - ST_SEG_FOOTER_SIZE;
        st_store_le32(img + ST_SEG_HDR_CRC, st_crc32c(0, img, ST_SEG_HDR_CRC));
        uint64_t off = st_load_le64(ftr + ST_SEG_FTR_INDEX_OFFSET);
        uint64_t n = st_load_le64(ftr + ST_SEG_FTR_INDEX_SIZE);
        if (off <= size && n <= size - off)
            st_store_le32(ftr + ST_SEG_FTR_INDEX_CRC, st_crc32c(0, img + off, n));
        st_store_le32(ftr + ST_SEG_FTR_CRC, st_crc32c(0, ftr, ST_SEG_FTR_CRC));
        try_open(img, size);
    }
    free(img);
    return 0;
}
