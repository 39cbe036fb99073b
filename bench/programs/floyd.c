/* floyd.c - Floyd-Warshall all-pairs shortest paths on a random sparse weighted digraph.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check: row 0 of the result equals a separate O(n^2) Dijkstra from
 * vertex 0, the diagonal is zero, and the triangle inequality holds on a
 * sample of triples.
 */
#include "bench.h"

#define INF 0x3fffffff

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 1100);
    double t0 = bench_now();
    int32_t *d = malloc(sizeof(int32_t) * n * n), *w = malloc(sizeof(int32_t) * n * n);
    int32_t *dist = malloc(sizeof(int32_t) * n);
    char *done = calloc((size_t)n, 1);
    uint64_t rng = 7, sum = BENCH_MIX_INIT;
    long i, j, k;
    int ok = 1;

    if (!d || !w || !dist || !done)
        return 2;
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            uint64_t r = bench_rand(&rng);
            w[i * n + j] = i == j ? 0 : (r % 100 < 8 ? (int32_t)((r >> 32) % 1000) + 1 : INF);
        }
    for (i = 0; i < n; i++) /* a ring keeps the graph strongly connected */
        if (w[i * n + (i + 1) % n] == INF)
            w[i * n + (i + 1) % n] = 5000;
    memcpy(d, w, sizeof(int32_t) * n * n);
    for (k = 0; k < n; k++)
        for (i = 0; i < n; i++) {
            int32_t dik = d[i * n + k];
            int32_t *di = d + i * n, *dk = d + k * n;
            for (j = 0; j < n; j++)
                if (dik + dk[j] < di[j])
                    di[j] = dik + dk[j];
        }

    for (i = 0; i < n; i++)
        dist[i] = INF;
    dist[0] = 0;
    for (;;) {
        long u = -1;
        for (i = 0; i < n; i++)
            if (!done[i] && (u < 0 || dist[i] < dist[u]))
                u = i;
        if (u < 0 || dist[u] == INF)
            break;
        done[u] = 1;
        for (j = 0; j < n; j++)
            if (w[u * n + j] != INF && dist[u] + w[u * n + j] < dist[j])
                dist[j] = dist[u] + w[u * n + j];
    }
    for (j = 0; j < n; j++)
        if (dist[j] != d[j])
            ok = 0;
    for (i = 0; i < n; i++)
        if (d[i * n + i] != 0)
            ok = 0;
    for (i = 0; i < 10000; i++) {
        long a = (long)(bench_rand(&rng) % (uint64_t)n), b = (long)(bench_rand(&rng) % (uint64_t)n),
             c = (long)(bench_rand(&rng) % (uint64_t)n);
        if (d[a * n + c] > d[a * n + b] + d[b * n + c])
            ok = 0;
    }
    for (i = 0; i < n * n; i++)
        sum = bench_mix(sum, (uint32_t)d[i]);
    return bench_finish("floyd", sum, ok, t0);
}
