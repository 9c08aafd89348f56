/* CRC32C: known vectors, incremental use, hardware and table paths agree. */
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "testlib.h"

START_TEST(test_crc32c_known_vectors)
{
    ck_assert_uint_eq(st_crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(st_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(st_crc32c(0, "", 0), 0);
    unsigned char zeros[32] = {0};
    ck_assert_uint_eq(st_crc32c(0, zeros, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
}
END_TEST

START_TEST(test_crc32c_incremental_and_paths_agree)
{
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    for (size_t n = 0; n < sizeof(buf); n += 37) {
        uint32_t whole = st_crc32c(0, buf, n);
        ck_assert_uint_eq(whole, st_crc32c_sw(0, buf, n));
        for (size_t cut = 0; cut <= n; cut += 13)
            ck_assert_uint_eq(st_crc32c(st_crc32c(0, buf, cut), buf + cut, n - cut), whole);
    }
    /* Any flipped bit changes the CRC. */
    uint32_t c = st_crc32c(0, buf, sizeof(buf));
    buf[500] ^= 0x10;
    ck_assert_uint_ne(st_crc32c(0, buf, sizeof(buf)), c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crc32c");
    TCase *tc = tcase_create("crc32c");
    tcase_add_test(tc, test_crc32c_known_vectors);
    tcase_add_test(tc, test_crc32c_incremental_and_paths_agree);
    suite_add_tcase(s, tc);
    return t_run_suite(s);
}
