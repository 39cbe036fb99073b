/* nussinov.c - Nussinov RNA folding: maximum base pairing by O(n^3) dynamic programming.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check: the table is filled twice on a prefix, once by rows from the
 * bottom and once by diagonals, and the two agree; on the full table every
 * entry is monotone (t[i][j] >= t[i+1][j] and t[i][j-1]).
 */
#include "bench.h"

static int pairs(char a, char b)
{
    return (a == 'A' && b == 'U') || (a == 'U' && b == 'A') || (a == 'C' && b == 'G') ||
           (a == 'G' && b == 'C') || (a == 'G' && b == 'U') || (a == 'U' && b == 'G');
}

static int max2(int a, int b)
{
    return a > b ? a : b;
}

/* Entry (i, j) from entries of shorter spans, whatever order filled them. */
static int cell(const int32_t *t, const char *s, long n, long i, long j)
{
    int v = 0;
    long k;

    if (j - 1 >= 0)
        v = max2(v, t[i * n + j - 1]);
    if (i + 1 < n)
        v = max2(v, t[(i + 1) * n + j]);
    if (j - 1 >= 0 && i + 1 < n) {
        if (i < j - 1)
            v = max2(v, t[(i + 1) * n + j - 1] + pairs(s[i], s[j]));
        else
            v = max2(v, t[(i + 1) * n + j - 1]);
    }
    for (k = i + 1; k < j; k++)
        v = max2(v, t[i * n + k] + t[(k + 1) * n + j]);
    return v;
}

static void fill_rows(int32_t *t, const char *s, long n)
{
    long i, j;

    for (i = n - 1; i >= 0; i--)
        for (j = i + 1; j < n; j++)
            t[i * n + j] = cell(t, s, n, i, j);
}

static void fill_diagonals(int32_t *t, const char *s, long n)
{
    long len, i;

    for (len = 1; len < n; len++)
        for (i = 0; i + len < n; i++)
            t[i * n + i + len] = cell(t, s, n, i, i + len);
}

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 1600), m = 150, i, j;
    double t0 = bench_now();
    char *s = malloc((size_t)n);
    int32_t *t = calloc((size_t)(n * n), sizeof(int32_t));
    int32_t *u = calloc((size_t)(m * m), sizeof(int32_t));
    int32_t *v = calloc((size_t)(m * m), sizeof(int32_t));
    uint64_t rng = 11, sum = BENCH_MIX_INIT;
    int ok = 1;

    if (!s || !t || !u || !v)
        return 2;
    for (i = 0; i < n; i++)
        s[i] = "ACGU"[bench_rand(&rng) % 4];
    if (m > n)
        m = n;
    fill_rows(u, s, m);
    fill_diagonals(v, s, m);
    if (memcmp(u, v, sizeof(int32_t) * m * m) != 0)
        ok = 0;
    fill_rows(t, s, n);
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (t[i * n + j] < t[i * n + j - 1] || (i + 1 < n && t[i * n + j] < t[(i + 1) * n + j]))
                ok = 0;
    for (i = 0; i < n * n; i += 7)
        sum = bench_mix(sum, (uint32_t)t[i]);
    sum = bench_mix(sum, (uint32_t)t[n - 1]);
    return bench_finish("nussinov", sum, ok, t0);
}
