/* sort.c - sorting 32-bit keys three ways: introsort-style quicksort, merge sort, radix sort.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check: each output is in order, is a permutation of the input (sum
 * and xor of a hash of every key match), and the three outputs are equal.
 */
#include "bench.h"

static void insertion(uint32_t *a, long n)
{
    long i, j;

    for (i = 1; i < n; i++) {
        uint32_t v = a[i];
        for (j = i; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

static void quick(uint32_t *a, long n)
{
    while (n > 16) {
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1], p, t;
        long i = 0, j = n - 1;

        p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        for (;;) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i >= j)
                break;
            t = a[i]; a[i] = a[j]; a[j] = t;
            i++;
            j--;
        }
        /* recurse on the smaller half, loop on the larger */
        if (j + 1 < n - j - 1) {
            quick(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            quick(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    insertion(a, n);
}

static void merge_sort(uint32_t *a, uint32_t *tmp, long n)
{
    long w, i;

    for (i = 0; i < n; i += 16)
        insertion(a + i, n - i < 16 ? n - i : 16);
    for (w = 16; w < n; w *= 2) {
        for (i = 0; i < n; i += 2 * w) {
            long lo = i, mid = i + w < n ? i + w : n, hi = i + 2 * w < n ? i + 2 * w : n;
            long p = lo, q = mid, k = lo;
            while (p < mid && q < hi)
                tmp[k++] = a[q] < a[p] ? a[q++] : a[p++];
            while (p < mid)
                tmp[k++] = a[p++];
            while (q < hi)
                tmp[k++] = a[q++];
        }
        memcpy(a, tmp, sizeof(uint32_t) * n);
    }
}

static void radix_sort(uint32_t *a, uint32_t *tmp, long n)
{
    long count[256], i;
    int shift, b;

    for (shift = 0; shift < 32; shift += 8) {
        memset(count, 0, sizeof count);
        for (i = 0; i < n; i++)
            count[(a[i] >> shift) & 0xff]++;
        for (b = 0, i = 0; b < 256; b++) {
            long c = count[b];
            count[b] = i;
            i += c;
        }
        for (i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 0xff]++] = a[i];
        memcpy(a, tmp, sizeof(uint32_t) * n);
    }
}

static int check(const uint32_t *a, long n, uint64_t want_sum, uint64_t want_xor)
{
    uint64_t s = 0, x = 0;
    long i;

    for (i = 0; i < n; i++) {
        uint64_t h = (a[i] + 1) * 0x9e3779b97f4a7c15ULL;
        s += h;
        x ^= h;
        if (i > 0 && a[i - 1] > a[i])
            return 0;
    }
    return s == want_sum && x == want_xor;
}

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 3000000), i;
    double t0 = bench_now();
    uint32_t *in = malloc(sizeof(uint32_t) * n), *a = malloc(sizeof(uint32_t) * n);
    uint32_t *b = malloc(sizeof(uint32_t) * n), *c = malloc(sizeof(uint32_t) * n);
    uint32_t *tmp = malloc(sizeof(uint32_t) * n);
    uint64_t rng = 99, hs = 0, hx = 0, sum = BENCH_MIX_INIT;
    int ok = 1;

    if (!in || !a || !b || !c || !tmp)
        return 2;
    for (i = 0; i < n; i++) {
        /* some duplicates, some runs: closer to real data than pure noise */
        uint64_t r = bench_rand(&rng);
        in[i] = (r & 7) == 0 ? (uint32_t)i : (uint32_t)(r >> 40);
        hs += (in[i] + 1) * 0x9e3779b97f4a7c15ULL;
        hx ^= (in[i] + 1) * 0x9e3779b97f4a7c15ULL;
    }
    memcpy(a, in, sizeof(uint32_t) * n);
    memcpy(b, in, sizeof(uint32_t) * n);
    memcpy(c, in, sizeof(uint32_t) * n);
    quick(a, n);
    merge_sort(b, tmp, n);
    radix_sort(c, tmp, n);
    ok = check(a, n, hs, hx) && check(b, n, hs, hx) && check(c, n, hs, hx) &&
         memcmp(a, b, sizeof(uint32_t) * n) == 0 && memcmp(a, c, sizeof(uint32_t) * n) == 0;
    for (i = 0; i < n; i += 97)
        sum = bench_mix(sum, a[i]);
    return bench_finish("sort", sum, ok, t0);
}
