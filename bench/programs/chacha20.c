/* chacha20.c - ChaCha20 (RFC 8439) in plain C: encrypt and decrypt a generated buffer.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check: the RFC 8439 section 2.4.2 test vector, and decrypting every
 * round's ciphertext gives back the plaintext.
 */
#include "bench.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d)                                                                         \
    do {                                                                                       \
        a += b; d ^= a; d = ROTL(d, 16);                                                       \
        c += d; b ^= c; b = ROTL(b, 12);                                                       \
        a += b; d ^= a; d = ROTL(d, 8);                                                        \
        c += d; b ^= c; b = ROTL(b, 7);                                                        \
    } while (0)

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void block(const uint32_t in[16], uint8_t out[64])
{
    uint32_t x[16];
    int i;

    memcpy(x, in, sizeof x);
    for (i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (i = 0; i < 16; i++) {
        uint32_t v = x[i] + in[i];
        out[4 * i] = (uint8_t)v;
        out[4 * i + 1] = (uint8_t)(v >> 8);
        out[4 * i + 2] = (uint8_t)(v >> 16);
        out[4 * i + 3] = (uint8_t)(v >> 24);
    }
}

static void chacha20_xor(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12],
                         const uint8_t *in, uint8_t *out, size_t n)
{
    uint32_t st[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    uint8_t ks[64];
    size_t i, j;

    for (i = 0; i < 8; i++)
        st[4 + i] = le32(key + 4 * i);
    st[12] = counter;
    for (i = 0; i < 3; i++)
        st[13 + i] = le32(nonce + 4 * i);
    for (i = 0; i < n; i += 64) {
        block(st, ks);
        st[12]++;
        for (j = 0; j < 64 && i + j < n; j++)
            out[i + j] = in[i + j] ^ ks[j];
    }
}

static const char sunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
    "future, sunscreen would be it.";

static const uint8_t rfc_ct[114] = {
    0x6e, 0x2e, 0x35, 0x9a, 0x25, 0x68, 0xf9, 0x80, 0x41, 0xba, 0x07, 0x28, 0xdd, 0x0d, 0x69, 0x81,
    0xe9, 0x7e, 0x7a, 0xec, 0x1d, 0x43, 0x60, 0xc2, 0x0a, 0x27, 0xaf, 0xcc, 0xfd, 0x9f, 0xae, 0x0b,
    0xf9, 0x1b, 0x65, 0xc5, 0x52, 0x47, 0x33, 0xab, 0x8f, 0x59, 0x3d, 0xab, 0xcd, 0x62, 0xb3, 0x57,
    0x16, 0x39, 0xd6, 0x24, 0xe6, 0x51, 0x52, 0xab, 0x8f, 0x53, 0x0c, 0x35, 0x9f, 0x08, 0x61, 0xd8,
    0x07, 0xca, 0x0d, 0xbf, 0x50, 0x0d, 0x6a, 0x61, 0x56, 0xa3, 0x8e, 0x08, 0x8a, 0x22, 0xb6, 0x5e,
    0x52, 0xbc, 0x51, 0x4d, 0x16, 0xcc, 0xf8, 0x06, 0x81, 0x8c, 0xe9, 0x1a, 0xb7, 0x79, 0x37, 0x36,
    0x5a, 0xf9, 0x0b, 0xbf, 0x74, 0xa3, 0x5b, 0xe6, 0xb4, 0x0b, 0x8e, 0xed, 0xf2, 0x78, 0x5e, 0x42,
    0x87, 0x4d,
};

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, 300), r;
    const size_t len = 1 << 20;
    double t0 = bench_now();
    uint8_t key[32], nonce[12] = {0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0}, ct[114];
    uint8_t *pt = malloc(len), *enc = malloc(len), *dec = malloc(len);
    uint64_t rng = 2, sum = BENCH_MIX_INIT;
    size_t i;
    int ok = 1;

    if (!pt || !enc || !dec)
        return 2;
    for (i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    chacha20_xor(key, 1, nonce, (const uint8_t *)sunscreen, ct, 114);
    if (memcmp(ct, rfc_ct, 114) != 0)
        ok = 0;
    for (i = 0; i < len; i++)
        pt[i] = (uint8_t)bench_rand(&rng);
    for (r = 0; r < rounds; r++) {
        nonce[0] = (uint8_t)r;
        chacha20_xor(key, (uint32_t)r, nonce, pt, enc, len);
        if (r % 8 == 0) {
            chacha20_xor(key, (uint32_t)r, nonce, enc, dec, len);
            if (memcmp(dec, pt, len) != 0)
                ok = 0;
        }
        memcpy(key, enc + (r % 1024) * 32, 32);
        sum = bench_mix(sum, le32(enc + len - 4) ^ (uint64_t)le32(enc) << 32);
    }
    return bench_finish("chacha20", sum, ok, t0);
}
