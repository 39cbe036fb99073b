/* fib.c - call-heavy: doubly recursive Fibonacci and Ackermann-style recursion.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Self-check: the recursive results equal the iterative ones.
 */
#include "bench.h"

/* noinline keeps the call sequence honest under both compilers */
__attribute__((noinline)) static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint32_t tak(uint32_t x, uint32_t y, uint32_t z)
{
    return y < x ? tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y)) : z;
}

static uint32_t fib_iter(uint32_t n)
{
    uint32_t a = 0, b = 1, t;

    while (n--) {
        t = a + b;
        a = b;
        b = t;
    }
    return a;
}

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 42);
    double t0 = bench_now();
    uint64_t sum = BENCH_MIX_INIT;
    uint32_t f = fib((uint32_t)n), t = tak(18, 12, 6);
    int ok = f == fib_iter((uint32_t)n) && t == 7;

    sum = bench_mix(sum, f);
    sum = bench_mix(sum, t);
    return bench_finish("fib", sum, ok, t0);
}
