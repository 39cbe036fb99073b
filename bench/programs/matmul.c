/* matmul.c - dense double-precision matrix multiply, C = A * B, i-k-j order.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check (Freivalds): for a random vector x, C*x must equal A*(B*x)
 * within a relative tolerance.
 */
#include <math.h>

#include "bench.h"

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 1150);
    double t0 = bench_now();
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n);
    double *c = calloc((size_t)(n * n), sizeof(double));
    double *x = malloc(sizeof(double) * n), *bx = malloc(sizeof(double) * n);
    uint64_t rng = 42, sum = BENCH_MIX_INIT;
    long i, j, k;
    int ok = 1;

    if (!a || !b || !c || !x || !bx)
        return 2;
    for (i = 0; i < n * n; i++) {
        a[i] = (double)(bench_rand(&rng) % 2001) / 1000.0 - 1.0;
        b[i] = (double)(bench_rand(&rng) % 2001) / 1000.0 - 1.0;
    }
    for (i = 0; i < n; i++)
        for (k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (j = 0; j < n; j++)
                c[i * n + j] += aik * b[k * n + j];
        }
    for (i = 0; i < n; i++)
        x[i] = (double)(bench_rand(&rng) % 100) / 10.0;
    for (i = 0; i < n; i++) {
        double s = 0;
        for (j = 0; j < n; j++)
            s += b[i * n + j] * x[j];
        bx[i] = s;
    }
    for (i = 0; i < n; i++) {
        double cx = 0, abx = 0;
        for (j = 0; j < n; j++) {
            cx += c[i * n + j] * x[j];
            abx += a[i * n + j] * bx[j];
        }
        if (fabs(cx - abx) > 1e-9 * (fabs(cx) + fabs(abx) + 1.0) * (double)n)
            ok = 0;
    }
    for (i = 0; i < n * n; i++)
        sum = bench_mix_double(sum, c[i]);
    return bench_finish("matmul", sum, ok, t0);
}
