/* simd_vec_test.c - the vector fast paths (src/vm/simd_vec.h) against the
 * portable reference (src/vm/simd.h), byte for byte.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Both headers are compiled here with routing off, so simd_<sym> is the
 * reference and simdv_<sym> the vector version of every operator of
 * SIMD_VEC_*OPS, bitselect and splat. Inputs: vectors whose lanes (of a
 * random width) are edge values - 0, 1, all ones, the sign bit alone, the
 * largest positive, their neighbours - mixed with random bytes, from a
 * fixed seed; shift counts 0..(2*64+2) cover the modulo. Exit 0 when all
 * agree, 1 with the first disagreement printed. At the end the header
 * is included again with routing on, to check that the interpreter
 * really takes every operator tested here. The test is built even
 * when MANTLE_ENABLE_SIMD_VECTOR is 0 (it needs GNU C only).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The float rules simd.h takes from its includer; no float operator is
 * compared here, these only let the header compile. */
static inline uint32_t test_sat_i32(double x)
{
    return x != x ? 0u : (uint32_t)(int32_t)x;
}
#define SIMD_FMIN32 fminf
#define SIMD_FMAX32 fmaxf
#define SIMD_FMIN64 fmin
#define SIMD_FMAX64 fmax
#define SIMD_CEIL32 ceilf
#define SIMD_FLOOR32 floorf
#define SIMD_TRUNC32 truncf
#define SIMD_NEAREST32 nearbyintf
#define SIMD_CEIL64 ceil
#define SIMD_FLOOR64 floor
#define SIMD_TRUNC64 trunc
#define SIMD_NEAREST64 nearbyint
#define SIMD_SQRT32 sqrtf
#define SIMD_SQRT64 sqrt
#define SIMD_SAT_I32_S test_sat_i32
#define SIMD_SAT_I32_U test_sat_i32
#define SIMD_VEC_ROUTE 0
#include "simd.h"
#include "simd_vec.h"

#define ROUNDS 4000

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
    /* xorshift64*: reproducible, no libc state */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1du;
}

/* An edge value of a lane of w bytes (low w bytes of the result). */
static uint64_t edge(unsigned w)
{
    uint64_t ones = w == 8 ? ~0ull : (1ull << (8 * w)) - 1;
    uint64_t sign = 1ull << (8 * w - 1);
    static const int pick_count = 9;
    switch (next() % pick_count) {
    case 0: return 0;
    case 1: return 1;
    case 2: return ones;
    case 3: return sign;
    case 4: return sign - 1;
    case 5: return sign + 1;
    case 6: return ones - 1;
    case 7: return 2;
    default: return next() & ones;
    }
}

static vm_v128 input(void)
{
    vm_v128 v;
    if (next() % 4 == 0) { /* plain random bytes */
        for (int i = 0; i < 16; i++)
            v.b[i] = (uint8_t)next();
        return v;
    }
    unsigned w = 1u << (next() % 4);
    for (unsigned i = 0; i < 16; i += w) {
        uint64_t x = edge(w);
        memcpy(v.b + i, &x, w); /* little-endian host (simd.h) */
    }
    return v;
}

static int failures;

static void dump(const char *label, vm_v128 v)
{
    fprintf(stderr, "  %-9s", label);
    for (int i = 0; i < 16; i++)
        fprintf(stderr, " %02x", v.b[i]);
    fputc('\n', stderr);
}

static void check(const char *name, vm_v128 ref, vm_v128 vec, const vm_v128 *in,
                  int nin, uint64_t scalar)
{
    if (memcmp(ref.b, vec.b, 16) == 0)
        return;
    if (failures++ < 5) {
        fprintf(stderr, "simd_vec_test: %s: vector result differs "
                        "(scalar operand %llu)\n",
                name, (unsigned long long)scalar);
        for (int i = 0; i < nin; i++)
            dump(i == 0 ? "a" : i == 1 ? "b" : "c", in[i]);
        dump("reference", ref);
        dump("vector", vec);
    }
}

static int route_check(void);

int main(void)
{
    int ops = 0;
    long cases = 0;

#define X(sym)                                                                \
    ops++;                                                                    \
    for (int r_ = 0; r_ < ROUNDS; r_++, cases++) {                            \
        vm_v128 in_[1] = {input()};                                           \
        check(#sym, simd_##sym(in_[0]), simdv_##sym(in_[0]), in_, 1, 0);      \
    }
    SIMD_VEC_UNOPS(X)
#undef X
#define X(sym)                                                                \
    ops++;                                                                    \
    for (int r_ = 0; r_ < ROUNDS; r_++, cases++) {                            \
        vm_v128 in_[2] = {input(), input()};                                  \
        if (r_ % 8 == 0)                                                      \
            in_[1] = in_[0]; /* equal lanes: the <=, >= and == edges */       \
        check(#sym, simd_##sym(in_[0], in_[1]), simdv_##sym(in_[0], in_[1]),  \
              in_, 2, 0);                                                     \
    }
    SIMD_VEC_BINOPS(X)
#undef X
#define X(sym)                                                                \
    ops++;                                                                    \
    for (uint32_t c_ = 0; c_ < 131; c_++) {                                   \
        for (int r_ = 0; r_ < ROUNDS / 100; r_++, cases++) {                  \
            vm_v128 in_[1] = {input()};                                       \
            check(#sym, simd_##sym(in_[0], c_), simdv_##sym(in_[0], c_), in_, \
                  1, c_);                                                     \
        }                                                                     \
        vm_v128 in_[1] = {input()}; /* counts far beyond the width */         \
        uint32_t big_ = (uint32_t)next();                                     \
        check(#sym, simd_##sym(in_[0], big_), simdv_##sym(in_[0], big_), in_, \
              1, big_);                                                       \
    }
    SIMD_VEC_SHIFTOPS(X)
#undef X

    ops++;
    for (int r = 0; r < ROUNDS; r++, cases++) {
        vm_v128 in[3] = {input(), input(), input()};
        check("V128Bitselect", simd_V128Bitselect(in[0], in[1], in[2]),
              simdv_V128Bitselect(in[0], in[1], in[2]), in, 3, 0);
    }
    ops++;
    for (int r = 0; r < ROUNDS; r++, cases++) {
        uint64_t x = next() % 2 ? next() : edge(8);
        for (unsigned n = 1; n <= 8; n *= 2)
            check("splat", simd_splat(x, n), simdv_splat(x, n), NULL, 0, x);
    }

    failures += route_check();
    if (failures) {
        fprintf(stderr, "simd_vec_test: %d failures in %ld cases\n", failures,
                cases);
        return 1;
    }
    printf("simd_vec_test: %d operators, %ld cases, vector == reference\n", ops,
           cases);
    return 0;
}

/* With routing on, simd_<sym> of every listed operator must name
 * simdv_<sym>: a list entry without its #define would be tested here but
 * never run by the interpreter. */
#undef SIMD_VEC_ROUTE
#define SIMD_VEC_ROUTE 1
#include "simd_vec.h"
#define STR_(x) #x
#define STR(x) STR_(x)

static int route_check(void)
{
    int bad = 0;
#define X(sym)                                                                \
    if (strcmp(STR(simd_##sym), "simdv_" #sym) != 0) {                        \
        fprintf(stderr, "simd_vec_test: simd_%s is not routed to simdv_%s\n", \
                #sym, #sym);                                                  \
        bad++;                                                                \
    }
    SIMD_VEC_UNOPS(X) SIMD_VEC_BINOPS(X) SIMD_VEC_SHIFTOPS(X)
    X(V128Bitselect) X(splat)
#undef X
    return bad;
}
