/* seidel2d.c - 2-D Gauss-Seidel stencil: T in-place sweeps of 9-point averaging.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check: as for Jacobi, values stay within the initial [min, max], and
 * the grid total by rows equals the total by columns (within rounding).
 */
#include <math.h>

#include "bench.h"

#define N 400

static double A[N][N];

int main(int argc, char **argv)
{
    long steps = bench_size(argc, argv, 450);
    double t0 = bench_now();
    double lo = 1e300, hi = -1e300, byrow = 0, bycol = 0;
    uint64_t sum = BENCH_MIX_INIT;
    long t;
    int i, j, ok = 1;

    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++) {
            A[i][j] = ((double)i * (j + 2) + 2) / N;
            lo = fmin(lo, A[i][j]);
            hi = fmax(hi, A[i][j]);
        }
    for (t = 0; t < steps; t++)
        for (i = 1; i <= N - 2; i++)
            for (j = 1; j <= N - 2; j++)
                A[i][j] = (A[i - 1][j - 1] + A[i - 1][j] + A[i - 1][j + 1] + A[i][j - 1] + A[i][j] +
                           A[i][j + 1] + A[i + 1][j - 1] + A[i + 1][j] + A[i + 1][j + 1]) / 9.0;
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++) {
            if (!(A[i][j] >= lo - 1e-9 && A[i][j] <= hi + 1e-9))
                ok = 0;
            byrow += A[i][j];
            bycol += A[j][i];
            sum = bench_mix_double(sum, A[i][j]);
        }
    if (fabs(byrow - bycol) > 1e-9 * fabs(byrow))
        ok = 0;
    return bench_finish("seidel2d", sum, ok, t0);
}
