/* stdin_echo.c - stdin piping: read all of stdin in odd-sized pieces.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: stdin_echo cksum   print "CRC LENGTH" as POSIX cksum(1) does; the
 *                           driver compares with the host's cksum
 *        stdin_echo cat     copy stdin to stdout byte for byte
 */
#include <unistd.h>

#include "wasi_test.h"

/* POSIX cksum: CRC-32 (poly 0x04c11db7, MSB first) over the data and then
 * the length's bytes, least significant first; complemented. */
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i << 24;
        for (int k = 0; k < 8; k++)
            c = c & 0x80000000u ? (c << 1) ^ 0x04c11db7u : c << 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n--)
        crc = (crc << 8) ^ crc_table[(crc >> 24) ^ *p++];
    return crc;
}

int main(int argc, char **argv)
{
    static uint8_t buf[65536];
    static const size_t sizes[] = {1, 7, 4096, 65536, 3, 1000};
    uint64_t total = 0;
    uint32_t crc = 0;
    int cat;

    CHECK(argc == 2);
    cat = strcmp(argv[1], "cat") == 0;
    CHECK(cat || strcmp(argv[1], "cksum") == 0);
    crc_init();
    for (size_t i = 0;; i++) {
        __wasi_iovec_t iov = {buf, sizes[i % 6]};
        __wasi_size_t n;

        CHECK_OK(__wasi_fd_read(0, &iov, 1, &n));
        CHECK(n <= iov.buf_len);
        if (n == 0)
            break;
        total += n;
        if (cat) {
            size_t off = 0;
            while (off < n) {
                __wasi_ciovec_t o = {buf + off, n - off};
                __wasi_size_t w;
                CHECK_OK(__wasi_fd_write(1, &o, 1, &w));
                CHECK(w > 0);
                off += w;
            }
        } else {
            crc = crc_update(crc, buf, n);
        }
    }
    /* EOF stays EOF */
    __wasi_iovec_t iov = {buf, 16};
    __wasi_size_t n;
    CHECK_OK(__wasi_fd_read(0, &iov, 1, &n));
    CHECK(n == 0);
    if (cat)
        return 0;
    for (uint64_t len = total; len != 0; len >>= 8) {
        uint8_t b = (uint8_t)len;
        crc = crc_update(crc, &b, 1);
    }
    printf("%lu %llu\n", (unsigned long)(uint32_t)~crc,
           (unsigned long long)total);
    return 0;
}
