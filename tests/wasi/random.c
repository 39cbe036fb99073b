/* random.c - random_get: fills buffers of any size with fresh bytes.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <unistd.h>

#include "wasi_test.h"

static uint8_t big[1 << 16];

int main(void)
{
    uint8_t a[64], b[64], guard[80];
    unsigned seen[256] = {0};
    int zeros = 0;

    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_OK(__wasi_random_get(a, sizeof a));
    CHECK_OK(__wasi_random_get(b, sizeof b));
    /* two 512-bit draws are equal, or all zero, with probability ~2^-512 */
    CHECK(memcmp(a, b, sizeof a) != 0);
    for (size_t i = 0; i < sizeof a; i++)
        zeros += a[i] == 0;
    CHECK(zeros < 16);

    /* zero length is fine and writes nothing */
    memset(guard, 0xa5, sizeof guard);
    CHECK_OK(__wasi_random_get(guard, 0));
    for (size_t i = 0; i < sizeof guard; i++)
        CHECK(guard[i] == 0xa5);
    /* exactly len bytes are written: the tail stays untouched */
    CHECK_OK(__wasi_random_get(guard, 64));
    for (size_t i = 64; i < sizeof guard; i++)
        CHECK(guard[i] == 0xa5);

    /* 64 KiB at once: every byte value turns up, none dominates */
    CHECK_OK(__wasi_random_get(big, sizeof big));
    for (size_t i = 0; i < sizeof big; i++)
        seen[big[i]]++;
    for (int v = 0; v < 256; v++) {
        /* mean 256; these bounds are > 10 sigma away */
        if (seen[v] < 96 || seen[v] > 460)
            FAIL("byte %d seen %u times in 65536", v, seen[v]);
    }

    /* libc's getentropy/arc4random sit on it too */
    uint8_t c[32] = {0}, d[32] = {0};
    CHECK(getentropy(c, sizeof c) == 0);
    CHECK(getentropy(d, sizeof d) == 0);
    CHECK(memcmp(c, d, sizeof c) != 0);
    CHECK(arc4random() != arc4random() || arc4random() != arc4random());

    printf("ok\n");
    return 0;
}
