/* bench.h - what every benchmark program shares: size argument, PRNG, timing, result line.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each program is one .c file built twice, natively (gcc -O2) and to
 * wasm32-wasi (clang -O2). It prints exactly one line on stdout,
 * "NAME: checksum HEX", which must be identical in every runtime, and on
 * stderr "bench-time: SECONDS" for its own timed region (start-up excluded).
 * It exits 0 only if its self-check passed.
 */
#ifndef BENCH_H
#define BENCH_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The size parameter: argv[1] if given, else the program's default. */
static inline long bench_size(int argc, char **argv, long def)
{
    long v;

    if (argc < 2)
        return def;
    v = strtol(argv[1], NULL, 0);
    if (v <= 0) {
        fprintf(stderr, "%s: bad size '%s'\n", argv[0], argv[1]);
        exit(2);
    }
    return v;
}

/* Monotonic wall clock; WASI has it natively (no emulated clocks needed). */
static inline double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: a deterministic stream, the same in every runtime. */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* FNV-1a style mixing of a 64-bit word into a running checksum. */
static inline uint64_t bench_mix(uint64_t h, uint64_t v)
{
    int i;

    for (i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define BENCH_MIX_INIT 0xcbf29ce484222325ULL

static inline uint64_t bench_mix_double(uint64_t h, double d)
{
    uint64_t bits;

    memcpy(&bits, &d, sizeof bits);
    return bench_mix(h, bits);
}

/* Prints the result line and the timing line; returns the exit status. */
static inline int bench_finish(const char *name, uint64_t sum, int ok, double t0)
{
    double t = bench_now() - t0;

    printf("%s: checksum %016" PRIx64 "\n", name, sum);
    fflush(stdout);
    fprintf(stderr, "bench-time: %.6f\n", t);
    if (!ok) {
        fprintf(stderr, "%s: SELF-CHECK FAILED\n", name);
        return 1;
    }
    return 0;
}

#endif
