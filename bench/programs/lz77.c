/* lz77.c - an LZ77 compressor (hash-chain match finder) and decompressor over generated text.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The input is pseudo-English made from a small vocabulary, so it compresses.
 * Self-check: decompressing gives back the input byte for byte, and the
 * compressed size is smaller than the input.
 */
#include "bench.h"

#define WINDOW (1 << 16)
#define HBITS 15
#define MIN_MATCH 4
#define MAX_MATCH 258
#define MAX_CHAIN 32

static uint32_t hash4(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

    return (v * 2654435761u) >> (32 - HBITS);
}

/* Format: a token byte; 0..127 = literal run of (t + 1) bytes that follow;
 * 128..255 = match of length (t - 128 + MIN_MATCH) (long ones add a byte),
 * then a 2-byte little-endian distance. */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out, int32_t *head, int32_t *prev)
{
    size_t i = 0, o = 0, lit_start = 0;
    int k;

    for (k = 0; k < (1 << HBITS); k++)
        head[k] = -1;
    while (i < n) {
        size_t best_len = 0, best_dist = 0;
        if (i + MIN_MATCH <= n) {
            uint32_t h = hash4(in + i);
            int32_t cand = head[h];
            int chain = MAX_CHAIN;
            while (cand >= 0 && i - (size_t)cand < WINDOW && chain-- > 0) {
                size_t len = 0, lim = n - i < MAX_MATCH ? n - i : MAX_MATCH;
                while (len < lim && in[cand + len] == in[i + len])
                    len++;
                if (len > best_len) {
                    best_len = len;
                    best_dist = i - (size_t)cand;
                    if (len == lim)
                        break;
                }
                cand = prev[cand % WINDOW];
            }
            prev[i % WINDOW] = head[h];
            head[h] = (int32_t)i;
        }
        if (best_len >= MIN_MATCH) {
            size_t j;
            while (lit_start < i) { /* flush pending literals */
                size_t run = i - lit_start < 128 ? i - lit_start : 128;
                out[o++] = (uint8_t)(run - 1);
                memcpy(out + o, in + lit_start, run);
                o += run;
                lit_start += run;
            }
            if (best_len - MIN_MATCH < 127) {
                out[o++] = (uint8_t)(128 + best_len - MIN_MATCH);
            } else {
                out[o++] = 255;
                out[o++] = (uint8_t)(best_len - MIN_MATCH - 127);
            }
            out[o++] = (uint8_t)best_dist;
            out[o++] = (uint8_t)(best_dist >> 8);
            /* index the positions inside the match too */
            for (j = i + 1; j < i + best_len && j + MIN_MATCH <= n; j++) {
                uint32_t h = hash4(in + j);
                prev[j % WINDOW] = head[h];
                head[h] = (int32_t)j;
            }
            i += best_len;
            lit_start = i;
        } else {
            i++;
        }
    }
    while (lit_start < n) {
        size_t run = n - lit_start < 128 ? n - lit_start : 128;
        out[o++] = (uint8_t)(run - 1);
        memcpy(out + o, in + lit_start, run);
        o += run;
        lit_start += run;
    }
    return o;
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;

    while (i < n) {
        uint8_t t = in[i++];
        if (t < 128) {
            size_t run = (size_t)t + 1;
            if (o + run > cap)
                return 0;
            memcpy(out + o, in + i, run);
            i += run;
            o += run;
        } else {
            size_t len = (size_t)t - 128 + MIN_MATCH, dist, k;
            if (t == 255)
                len += in[i++];
            dist = (size_t)in[i] | (size_t)in[i + 1] << 8;
            i += 2;
            if (dist == 0 || dist > o || o + len > cap)
                return 0;
            for (k = 0; k < len; k++, o++) /* byte by byte: overlapping copies */
                out[o] = out[o - dist];
        }
    }
    return o;
}

int main(int argc, char **argv)
{
    static const char *words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ",
                                  "dog ", "and ", "runs ", "far ", "away ", "from ", "home. ",
                                  "Then ", "it ", "sleeps ", "under ", "a ", "tree, "};
    long rounds = bench_size(argc, argv, 6), r;
    const size_t n = 4u << 20;
    double t0 = bench_now();
    uint8_t *in = malloc(n), *comp = malloc(n + n / 64 + 64), *dec = malloc(n);
    int32_t *head = malloc(sizeof(int32_t) << HBITS), *prev = malloc(sizeof(int32_t) * WINDOW);
    uint64_t rng = 23, sum = BENCH_MIX_INIT;
    size_t i = 0, clen = 0, dlen;
    int ok = 1;

    if (!in || !comp || !dec || !head || !prev)
        return 2;
    while (i < n) {
        uint64_t x = bench_rand(&rng);
        const char *w = words[x % 20];
        if ((x >> 20) % 50 == 0) { /* some noise */
            in[i++] = (uint8_t)(x >> 32);
            continue;
        }
        while (*w && i < n)
            in[i++] = (uint8_t)*w++;
    }
    for (r = 0; r < rounds; r++) {
        in[(r * 7919) % n] ^= (uint8_t)r; /* each round's input differs a little */
        clen = compress(in, n, comp, head, prev);
        dlen = decompress(comp, clen, dec, n);
        if (dlen != n || memcmp(in, dec, n) != 0 || clen >= n)
            ok = 0;
        sum = bench_mix(sum, clen);
    }
    for (i = 0; i < clen; i += 61)
        sum = bench_mix(sum, comp[i]);
    return bench_finish("lz77", sum, ok, t0);
}
