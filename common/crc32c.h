/* CRC32C (Castagnoli), the checksum of WAL records and segment files. */
#ifndef ST_CRC32C_H
#define ST_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends @crc (0 to start) over @n bytes at @p (borrowed) and returns the
 * new value: st_crc32c(0, "123456789", 9) == 0xE3069283. Uses the SSE4.2
 * instruction when the CPU has it, a table otherwise; both give the same. */
uint32_t st_crc32c(uint32_t crc, const void *p, size_t n);

/* The table version alone, for tests that compare both paths. */
uint32_t st_crc32c_sw(uint32_t crc, const void *p, size_t n);

#endif
