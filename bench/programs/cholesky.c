/* cholesky.c - Cholesky factorisation A = L * L^T of a symmetric positive-definite matrix.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A is built as M * M^T + n * I. Self-check: (L * L^T)[i][j] equals the
 * saved A[i][j] within a relative tolerance on a sample of entries.
 */
#include <math.h>

#include "bench.h"

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 1000);
    double t0 = bench_now();
    double *m = malloc(sizeof(double) * n * n), *a = malloc(sizeof(double) * n * n);
    double *l = malloc(sizeof(double) * n * n);
    uint64_t rng = 3, sum = BENCH_MIX_INIT;
    long i, j, k, s;
    int ok = 1, rep, reps = 3;

    if (!m || !a || !l)
        return 2;
    for (i = 0; i < n * n; i++)
        m[i] = (double)(bench_rand(&rng) % 1000) / 500.0 - 1.0;
    for (i = 0; i < n; i++)
        for (j = 0; j <= i; j++) {
            double acc = 0;
            for (k = 0; k < n; k++)
                acc += m[i * n + k] * m[j * n + k];
            if (i == j)
                acc += (double)n;
            a[i * n + j] = a[j * n + i] = acc;
        }
    for (rep = 0; rep < reps; rep++) {
        memcpy(l, a, sizeof(double) * n * n);
        for (i = 0; i < n; i++) {
            for (j = 0; j < i; j++) {
                double acc = l[i * n + j];
                for (k = 0; k < j; k++)
                    acc -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = acc / l[j * n + j];
            }
            {
                double acc = l[i * n + i];
                for (k = 0; k < i; k++)
                    acc -= l[i * n + k] * l[i * n + k];
                if (acc <= 0)
                    ok = 0;
                l[i * n + i] = sqrt(acc);
            }
            for (j = i + 1; j < n; j++)
                l[i * n + j] = 0;
        }
    }
    for (s = 0; s < 2000; s++) {
        double acc = 0;
        i = (long)(bench_rand(&rng) % (uint64_t)n);
        j = (long)(bench_rand(&rng) % (uint64_t)n);
        for (k = 0; k <= (i < j ? i : j); k++)
            acc += l[i * n + k] * l[j * n + k];
        if (fabs(acc - a[i * n + j]) > 1e-9 * (fabs(a[i * n + j]) + (double)n))
            ok = 0;
    }
    for (i = 0; i < n * n; i++)
        sum = bench_mix_double(sum, l[i]);
    return bench_finish("cholesky", sum, ok, t0);
}
