/* simd_matmul.c - single-precision matrix multiply with 128-bit SIMD,
 * C = A * B, i-k-j order, four columns per vector.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The Wasm build uses wasm_simd128.h (-msimd128); the native build the
 * same loop in plain C, which gcc -O2 vectorises. Both accumulate every
 * element in the same order (k ascending, no fused multiply-add), so the
 * results are bit-identical. Self-check: sampled rows equal a scalar
 * recomputation exactly.
 */
#include "bench.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static void row_update(float *c, const float *b, float aik, long n)
{
    long j = 0;
#ifdef __wasm_simd128__
    v128_t s = wasm_f32x4_splat(aik);
    for (; j + 4 <= n; j += 4) {
        v128_t cv = wasm_v128_load(c + j);
        cv = wasm_f32x4_add(cv, wasm_f32x4_mul(s, wasm_v128_load(b + j)));
        wasm_v128_store(c + j, cv);
    }
#endif
    for (; j < n; j++)
        c[j] += aik * b[j];
}

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 1024);
    double t0 = bench_now();
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n);
    float *c = calloc((size_t)(n * n), sizeof(float));
    uint64_t rng = 7, sum = BENCH_MIX_INIT;
    long i, j, k;
    int ok = 1;

    if (!a || !b || !c)
        return 2;
    for (i = 0; i < n * n; i++) {
        a[i] = (float)(bench_rand(&rng) % 2001) / 1000.0f - 1.0f;
        b[i] = (float)(bench_rand(&rng) % 2001) / 1000.0f - 1.0f;
    }
    for (i = 0; i < n; i++)
        for (k = 0; k < n; k++)
            row_update(c + i * n, b + k * n, a[i * n + k], n);
    for (i = 0; i < n && ok; i += n / 7 + 1)
        for (j = 0; j < n; j++) {
            float s = 0;
            for (k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            if (s != c[i * n + j]) {
                fprintf(stderr, "simd_matmul: c[%ld][%ld] = %g, want %g\n", i, j,
                        (double)c[i * n + j], (double)s);
                ok = 0;
                break;
            }
        }
    for (i = 0; i < n * n; i++) {
        uint32_t bits;
        memcpy(&bits, &c[i], sizeof bits);
        sum = bench_mix(sum, bits);
    }
    free(a);
    free(b);
    free(c);
    return bench_finish("simd_matmul", sum, ok, t0);
}
