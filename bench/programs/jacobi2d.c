/* jacobi2d.c - 2-D Jacobi stencil: T time steps of 5-point averaging between two grids.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check: averaging obeys the maximum principle, so every value stays
 * within the initial grid's [min, max]; and the grid's total computed by
 * rows equals the total computed by columns (within rounding).
 */
#include <math.h>

#include "bench.h"

#define N 500

static double A[N][N], B[N][N];

int main(int argc, char **argv)
{
    long steps = bench_size(argc, argv, 1800);
    double t0 = bench_now();
    double lo = 1e300, hi = -1e300, byrow = 0, bycol = 0;
    uint64_t sum = BENCH_MIX_INIT;
    long t;
    int i, j, ok = 1;

    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++) {
            A[i][j] = ((double)i * (j + 2) + 2) / N;
            B[i][j] = ((double)i * (j + 3) + 3) / N;
            lo = fmin(lo, fmin(A[i][j], B[i][j]));
            hi = fmax(hi, fmax(A[i][j], B[i][j]));
        }
    for (t = 0; t < steps; t++) {
        for (i = 1; i < N - 1; i++)
            for (j = 1; j < N - 1; j++)
                B[i][j] = 0.2 * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i + 1][j] + A[i - 1][j]);
        for (i = 1; i < N - 1; i++)
            for (j = 1; j < N - 1; j++)
                A[i][j] = 0.2 * (B[i][j] + B[i][j - 1] + B[i][j + 1] + B[i + 1][j] + B[i - 1][j]);
    }
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
    return bench_finish("jacobi2d", sum, ok, t0);
}
