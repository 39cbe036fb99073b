/* sha256.c - SHA-256 (FIPS 180-4) in plain C, hashing a generated buffer many times.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check: the FIPS 180-2 test vectors "abc" and the two-block message;
 * and hashing the buffer in one call equals hashing it in odd-sized pieces.
 */
#include "bench.h"

struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
};

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
    int i;

    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
    for (i = 0; i < 64; i++) {
        t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha_init(struct sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->fill = 0;
}

static void sha_update(struct sha256 *s, const uint8_t *p, size_t n)
{
    s->len += n;
    while (n > 0) {
        if (s->fill == 0 && n >= 64) {
            compress(s->h, p);
            p += 64;
            n -= 64;
            continue;
        }
        {
            size_t take = 64 - s->fill < n ? 64 - s->fill : n;
            memcpy(s->buf + s->fill, p, take);
            s->fill += take;
            p += take;
            n -= take;
            if (s->fill == 64) {
                compress(s->h, s->buf);
                s->fill = 0;
            }
        }
    }
}

static void sha_final(struct sha256 *s, uint8_t out[32])
{
    uint64_t bits = s->len * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (s->fill < 56 ? 56 : 120) - s->fill;
    int i;

    for (i = 0; i < 8; i++)
        pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(s, pad, padlen + 8);
    for (i = 0; i < 32; i++)
        out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

static void sha(const void *p, size_t n, uint8_t out[32])
{
    struct sha256 s;

    sha_init(&s);
    sha_update(&s, p, n);
    sha_final(&s, out);
}

static int hex_eq(const uint8_t d[32], const char *hex)
{
    char buf[65];
    int i;

    for (i = 0; i < 32; i++)
        snprintf(buf + 2 * i, 3, "%02x", d[i]);
    return strcmp(buf, hex) == 0;
}

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, 150), r;
    const size_t len = 1 << 20;
    double t0 = bench_now();
    uint8_t *buf = malloc(len), d[32], d2[32];
    uint64_t rng = 1, sum = BENCH_MIX_INIT;
    struct sha256 s;
    size_t i, step;
    int ok = 1;

    if (!buf)
        return 2;
    sha("abc", 3, d);
    ok &= hex_eq(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
    ok &= hex_eq(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    for (i = 0; i < len; i++)
        buf[i] = (uint8_t)bench_rand(&rng);
    for (r = 0; r < rounds; r++) {
        sha(buf, len, d);
        memcpy(buf + (r % 1000) * 32, d, 32); /* chain: each round depends on the last */
        sum = bench_mix(sum, (uint64_t)d[0] << 56 | (uint64_t)d[7] << 32 | d[31]);
    }
    sha(buf, len, d);
    sha_init(&s);
    for (i = 0, step = 1; i < len; i += step, step = step * 3 % 1021 + 1)
        sha_update(&s, buf + i, i + step <= len ? step : len - i);
    sha_final(&s, d2);
    if (memcmp(d, d2, 32) != 0)
        ok = 0;
    for (i = 0; i < 32; i += 8)
        sum = bench_mix(sum, (uint64_t)d[i] << 24 | (uint64_t)d[i + 1] << 16 | d[i + 2]);
    return bench_finish("sha256", sum, ok, t0);
}
