/* simd_blur.c - 3x3 binomial blur of an 8-bit image with 128-bit SIMD.
 * SPDX-License-Identifier: Apache-2.0
 *
 * out = (p[-1][-1] + 2p[-1][0] + p[-1][1] + 2p[0][-1] + 4p[0][0] + ...
 *        + 8) >> 4 on the interior, T passes, ping-ponging two images.
 * The Wasm build works on eight pixels at a time in 16-bit lanes
 * (load8x8 widening, shifts, adds, saturating narrow, 64-bit lane store)
 * through wasm_simd128.h (-msimd128); the native build runs the scalar
 * loop, which gcc -O2 vectorises. Self-check: the last pass equals a
 * scalar recomputation of it, pixel for pixel.
 */
#include "bench.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static uint8_t px(const uint8_t *s, long w, long y, long x)
{
    const uint8_t *r0 = s + (y - 1) * w, *r1 = s + y * w, *r2 = s + (y + 1) * w;
    unsigned v = r0[x - 1] + 2u * r0[x] + r0[x + 1] + 2u * r1[x - 1] + 4u * r1[x] +
                 2u * r1[x + 1] + r2[x - 1] + 2u * r2[x] + r2[x + 1];
    return (uint8_t)((v + 8) >> 4);
}

#ifdef __wasm_simd128__
/* [1 2 1] of eight 16-bit lanes around p. */
static v128_t tap3(const uint8_t *p)
{
    v128_t l = wasm_u16x8_load8x8(p - 1), m = wasm_u16x8_load8x8(p),
           r = wasm_u16x8_load8x8(p + 1);
    return wasm_i16x8_add(wasm_i16x8_add(l, r), wasm_i16x8_shl(m, 1));
}
#endif

static void blur(uint8_t *d, const uint8_t *s, long w, long h)
{
    long y, x;
    for (y = 1; y < h - 1; y++) {
        x = 1;
#ifdef __wasm_simd128__
        const v128_t eight = wasm_i16x8_splat(8);
        for (; x + 8 <= w - 1; x += 8) {
            const uint8_t *p = s + y * w + x;
            v128_t v = wasm_i16x8_add(
                wasm_i16x8_add(tap3(p - w), tap3(p + w)),
                wasm_i16x8_shl(tap3(p), 1));
            v = wasm_u16x8_shr(wasm_i16x8_add(v, eight), 4);
            wasm_v128_store64_lane(d + y * w + x, wasm_u8x16_narrow_i16x8(v, v), 0);
        }
#endif
        for (; x < w - 1; x++)
            d[y * w + x] = px(s, w, y, x);
    }
}

int main(int argc, char **argv)
{
    long t = bench_size(argc, argv, 420), w = 1024, h = 768, i, y, x;
    double t0 = bench_now();
    uint8_t *a = malloc((size_t)(w * h)), *b = malloc((size_t)(w * h));
    uint64_t rng = 3, sum = BENCH_MIX_INIT;
    int ok = 1;

    if (!a || !b)
        return 2;
    for (i = 0; i < w * h; i++)
        a[i] = (uint8_t)bench_rand(&rng);
    memcpy(b, a, (size_t)(w * h));
    for (i = 0; i < t; i++) {
        if (i % 2 == 0)
            blur(b, a, w, h);
        else
            blur(a, b, w, h);
    }
    {
        const uint8_t *src = t % 2 ? a : b, *dst = t % 2 ? b : a;
        for (y = 1; y < h - 1 && ok; y++)
            for (x = 1; x < w - 1; x++)
                if (dst[y * w + x] != px(src, w, y, x)) {
                    fprintf(stderr, "simd_blur: pixel %ld,%ld differs\n", x, y);
                    ok = 0;
                    break;
                }
        for (i = 0; i < w * h; i += 8) {
            uint64_t v;
            memcpy(&v, (t % 2 ? b : a) + i, 8);
            sum = bench_mix(sum, v);
        }
    }
    free(a);
    free(b);
    return bench_finish("simd_blur", sum, ok, t0);
}
