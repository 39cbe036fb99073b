/* simd_vec.h - host-vector fast paths of the hot integer SIMD operators.
 * SPDX-License-Identifier: Apache-2.0
 *
 * simd.h is the reference: portable C, every target. This header redoes
 * the integer and bitwise operators that dominate SIMD kernels with GNU C
 * vector extensions (__attribute__((vector_size(16)))), which gcc and
 * clang lower to SSE2 on x86-64 and NEON on aarch64 and armv7 (built with
 * -mfpu=neon, cmake/toolchains/armv7-linux-gnu.cmake); other targets get
 * the compiler's generic lowering, still correct. Each simdv_<sym> must
 * return the same 16 bytes as simd_<sym> for every input:
 * tests/unit/simd_vec_test.c checks that. Float operators stay on the
 * reference path: its NaN and rounding rules are the ones the spec suite
 * proves.
 *
 * Included after simd.h when MANTLE_ENABLE_SIMD_VECTOR is 1 (interp.c).
 * With SIMD_VEC_ROUTE 1 (the default) the reference names of the covered
 * operators are redirected here by macro, so the interpreter's tables and
 * handlers pick them up unchanged; the unit test sets it to 0 to call
 * both.
 *
 * GNU C has no vector `?:` in C, so selects are masks: a compare gives
 * all-ones lanes where true.
 */
#ifndef MANTLE_VM_SIMD_VEC_H
#define MANTLE_VM_SIMD_VEC_H

#include "simd.h"

typedef uint8_t simdv_u8 __attribute__((vector_size(16)));
typedef int8_t simdv_s8 __attribute__((vector_size(16)));
typedef uint16_t simdv_u16 __attribute__((vector_size(16)));
typedef int16_t simdv_s16 __attribute__((vector_size(16)));
typedef uint32_t simdv_u32 __attribute__((vector_size(16)));
typedef int32_t simdv_s32 __attribute__((vector_size(16)));
typedef uint64_t simdv_u64 __attribute__((vector_size(16)));
typedef int64_t simdv_s64 __attribute__((vector_size(16)));

/* memcpy in and out: vm_v128 has byte alignment, the vector types 16. */
#define SIMDV_IN(VT, v, x) VT x; memcpy(&x, (v).b, 16)
#define SIMDV_OUT(r)                                                          \
    vm_v128 o_;                                                               \
    memcpy(o_.b, &r, 16);                                                     \
    return o_

/* r = expr of x (and y), both VT; the result is cast to RT (the unsigned
 * type of the lane width: compares give signed lanes). */
#define SIMDV_MAP1(name, VT, RT, expr)                                        \
    static inline vm_v128 simdv_##name(vm_v128 va)                            \
    {                                                                         \
        SIMDV_IN(VT, va, x);                                                  \
        RT r_ = (RT)(expr);                                                   \
        SIMDV_OUT(r_);                                                        \
    }
#define SIMDV_MAP2(name, VT, RT, expr)                                        \
    static inline vm_v128 simdv_##name(vm_v128 va, vm_v128 vb)                \
    {                                                                         \
        SIMDV_IN(VT, va, x);                                                  \
        SIMDV_IN(VT, vb, y);                                                  \
        RT r_ = (RT)(expr);                                                   \
        SIMDV_OUT(r_);                                                        \
    }
/* Lanes of x where the mask m (a compare) is set, else of y. */
#define SIMDV_SEL(VT, m, x, y) (((VT)(m) & (x)) | (~(VT)(m) & (y)))

/* Per lane width: U/S the unsigned and signed vector types. */
#define SIMDV_INT(P, U, S)                                                    \
    SIMDV_MAP2(P##Add, U, U, x + y)                                           \
    SIMDV_MAP2(P##Sub, U, U, x - y)                                           \
    SIMDV_MAP1(P##Neg, U, U, -x)                                              \
    SIMDV_MAP2(P##Eq, U, U, x == y)                                           \
    SIMDV_MAP2(P##Ne, U, U, x != y)                                           \
    SIMDV_MAP2(P##LtS, S, U, x < y)                                           \
    SIMDV_MAP2(P##GtS, S, U, x > y)                                           \
    SIMDV_MAP2(P##LeS, S, U, x <= y)                                          \
    SIMDV_MAP2(P##GeS, S, U, x >= y)
/* 8, 16 and 32-bit lanes: unsigned compares, min and max. */
#define SIMDV_SMALL(P, U, S)                                                  \
    SIMDV_MAP2(P##LtU, U, U, x < y)                                           \
    SIMDV_MAP2(P##GtU, U, U, x > y)                                           \
    SIMDV_MAP2(P##LeU, U, U, x <= y)                                          \
    SIMDV_MAP2(P##GeU, U, U, x >= y)                                          \
    SIMDV_MAP2(P##MinS, S, U, SIMDV_SEL(S, x < y, x, y))                      \
    SIMDV_MAP2(P##MaxS, S, U, SIMDV_SEL(S, x > y, x, y))                      \
    SIMDV_MAP2(P##MinU, U, U, SIMDV_SEL(U, x < y, x, y))                      \
    SIMDV_MAP2(P##MaxU, U, U, SIMDV_SEL(U, x > y, x, y))
/* Unsigned saturation: a wrapped sum is below an operand, a wrapped
 * difference above the minuend (the idioms gcc and clang turn into
 * paddus/psubus and uqadd/uqsub). */
#define SIMDV_SATU(P, U)                                                      \
    SIMDV_MAP2(P##AddSatU, U, U, (x + y) | (U)(x + y < x))                    \
    SIMDV_MAP2(P##SubSatU, U, U, (x - y) & (U)(y <= x))

SIMDV_INT(I8x16, simdv_u8, simdv_s8)
SIMDV_INT(I16x8, simdv_u16, simdv_s16)
SIMDV_INT(I32x4, simdv_u32, simdv_s32)
SIMDV_INT(I64x2, simdv_u64, simdv_s64)
SIMDV_SMALL(I8x16, simdv_u8, simdv_s8)
SIMDV_SMALL(I16x8, simdv_u16, simdv_s16)
SIMDV_SMALL(I32x4, simdv_u32, simdv_s32)
SIMDV_SATU(I8x16, simdv_u8)
SIMDV_SATU(I16x8, simdv_u16)

SIMDV_MAP2(I16x8Mul, simdv_u16, simdv_u16, x * y)
SIMDV_MAP2(I32x4Mul, simdv_u32, simdv_u32, x * y)
SIMDV_MAP2(I64x2Mul, simdv_u64, simdv_u64, x * y)

SIMDV_MAP1(V128Not, simdv_u64, simdv_u64, ~x)
SIMDV_MAP2(V128And, simdv_u64, simdv_u64, x & y)
SIMDV_MAP2(V128Andnot, simdv_u64, simdv_u64, x & ~y)
SIMDV_MAP2(V128Or, simdv_u64, simdv_u64, x | y)
SIMDV_MAP2(V128Xor, simdv_u64, simdv_u64, x ^ y)

static inline vm_v128 simdv_V128Bitselect(vm_v128 va, vm_v128 vb, vm_v128 vc)
{
    SIMDV_IN(simdv_u64, va, a);
    SIMDV_IN(simdv_u64, vb, b);
    SIMDV_IN(simdv_u64, vc, c);
    simdv_u64 r = (a & c) | (b & ~c);
    SIMDV_OUT(r);
}

/* Shifts by a scalar, the count modulo the lane width (the lanes are not
 * promoted, so a count below the width is exact). */
#define SIMDV_SHIFTS(P, U, S, W)                                              \
    static inline vm_v128 simdv_##P##Shl(vm_v128 va, uint32_t c)              \
    {                                                                         \
        SIMDV_IN(U, va, x);                                                   \
        U r_ = x << (int)(c & ((W)-1));                                       \
        SIMDV_OUT(r_);                                                        \
    }                                                                         \
    static inline vm_v128 simdv_##P##ShrU(vm_v128 va, uint32_t c)             \
    {                                                                         \
        SIMDV_IN(U, va, x);                                                   \
        U r_ = x >> (int)(c & ((W)-1));                                       \
        SIMDV_OUT(r_);                                                        \
    }                                                                         \
    static inline vm_v128 simdv_##P##ShrS(vm_v128 va, uint32_t c)             \
    {                                                                         \
        SIMDV_IN(S, va, x);                                                   \
        S r_ = x >> (int)(c & ((W)-1));                                       \
        SIMDV_OUT(r_);                                                        \
    }
SIMDV_SHIFTS(I8x16, simdv_u8, simdv_s8, 8)
SIMDV_SHIFTS(I16x8, simdv_u16, simdv_s16, 16)
SIMDV_SHIFTS(I32x4, simdv_u32, simdv_s32, 32)
SIMDV_SHIFTS(I64x2, simdv_u64, simdv_s64, 64)

/* The low n bytes of v in every lane (n is a constant at every call). */
static inline vm_v128 simdv_splat(uint64_t v, unsigned n)
{
    vm_v128 o_;
    switch (n) {
    case 1: {
        simdv_u8 r = (simdv_u8){0} + (uint8_t)v;
        memcpy(o_.b, &r, 16);
        break;
    }
    case 2: {
        simdv_u16 r = (simdv_u16){0} + (uint16_t)v;
        memcpy(o_.b, &r, 16);
        break;
    }
    case 4: {
        simdv_u32 r = (simdv_u32){0} + (uint32_t)v;
        memcpy(o_.b, &r, 16);
        break;
    }
    default: {
        simdv_u64 r = (simdv_u64){0} + v;
        memcpy(o_.b, &r, 16);
        break;
    }
    }
    return o_;
}

/* Widening (extend_low/high and the 8x8-style loads) and saturating
 * narrowing: __builtin_convertvector between 8-byte halves and 16-byte
 * vectors (pmovzx/punpck and packus-style code instead of lane loops). */
typedef uint8_t simdv_u8h __attribute__((vector_size(8)));
typedef int8_t simdv_s8h __attribute__((vector_size(8)));
typedef uint16_t simdv_u16h __attribute__((vector_size(8)));
typedef int16_t simdv_s16h __attribute__((vector_size(8)));
typedef uint32_t simdv_u32h __attribute__((vector_size(8)));
typedef int32_t simdv_s32h __attribute__((vector_size(8)));

#define SIMDV_WIDEN_HALF(name, H, W, off)                                     \
    static inline vm_v128 simdv_##name(vm_v128 va)                            \
    {                                                                         \
        H h_;                                                                 \
        memcpy(&h_, va.b + (off), 8);                                         \
        W r_ = __builtin_convertvector(h_, W);                                \
        SIMDV_OUT(r_);                                                        \
    }
#define SIMDV_WIDEN(P, SUF, H, W)                                             \
    SIMDV_WIDEN_HALF(P##ExtendLow##SUF, H, W, 0)                              \
    SIMDV_WIDEN_HALF(P##ExtendHigh##SUF, H, W, 8)
SIMDV_WIDEN(I16x8, I8x16S, simdv_s8h, simdv_s16)
SIMDV_WIDEN(I16x8, I8x16U, simdv_u8h, simdv_u16)
SIMDV_WIDEN(I32x4, I16x8S, simdv_s16h, simdv_s32)
SIMDV_WIDEN(I32x4, I16x8U, simdv_u16h, simdv_u32)
SIMDV_WIDEN(I64x2, I32x4S, simdv_s32h, simdv_s64)
SIMDV_WIDEN(I64x2, I32x4U, simdv_u32h, simdv_u64)

/* v128.load8x8_s and friends: 8 bytes, widened (as extend_low). */
#define SIMDV_LOAD_EXT(name, H, W)                                            \
    static inline vm_v128 simdv_##name(const uint8_t *p)                      \
    {                                                                         \
        H h_;                                                                 \
        memcpy(&h_, p, 8);                                                    \
        W r_ = __builtin_convertvector(h_, W);                                \
        SIMDV_OUT(r_);                                                        \
    }
SIMDV_LOAD_EXT(V128Load8x8S, simdv_s8h, simdv_s16)
SIMDV_LOAD_EXT(V128Load8x8U, simdv_u8h, simdv_u16)
SIMDV_LOAD_EXT(V128Load16x4S, simdv_s16h, simdv_s32)
SIMDV_LOAD_EXT(V128Load16x4U, simdv_u16h, simdv_u32)
SIMDV_LOAD_EXT(V128Load32x2S, simdv_s32h, simdv_s64)
SIMDV_LOAD_EXT(V128Load32x2U, simdv_u32h, simdv_u64)

/* Lanes of a, then of b, each clamped to [LO, HI] and truncated. */
#define SIMDV_NARROW(name, W, H, LO, HI)                                      \
    static inline vm_v128 simdv_##name(vm_v128 va, vm_v128 vb)                \
    {                                                                         \
        SIMDV_IN(W, va, x);                                                   \
        SIMDV_IN(W, vb, y);                                                   \
        const W lo_ = (W){0} + (LO), hi_ = (W){0} + (HI);                     \
        x = SIMDV_SEL(W, x < lo_, lo_, x);                                    \
        x = SIMDV_SEL(W, x > hi_, hi_, x);                                    \
        y = SIMDV_SEL(W, y < lo_, lo_, y);                                    \
        y = SIMDV_SEL(W, y > hi_, hi_, y);                                    \
        H a_ = __builtin_convertvector(x, H), b_ = __builtin_convertvector(y, H); \
        vm_v128 o_;                                                           \
        memcpy(o_.b, &a_, 8);                                                 \
        memcpy(o_.b + 8, &b_, 8);                                             \
        return o_;                                                            \
    }
SIMDV_NARROW(I8x16NarrowI16x8S, simdv_s16, simdv_s8h, INT8_MIN, INT8_MAX)
SIMDV_NARROW(I8x16NarrowI16x8U, simdv_s16, simdv_u8h, 0, UINT8_MAX)
SIMDV_NARROW(I16x8NarrowI32x4S, simdv_s32, simdv_s16h, INT16_MIN, INT16_MAX)
SIMDV_NARROW(I16x8NarrowI32x4U, simdv_s32, simdv_u16h, 0, UINT16_MAX)

/* Every operator above by operand layout, for the unit test. */
#define SIMD_VEC_UNOPS(X)                                                     \
    X(V128Not) X(I8x16Neg) X(I16x8Neg) X(I32x4Neg) X(I64x2Neg)                \
    X(I16x8ExtendLowI8x16S) X(I16x8ExtendHighI8x16S)                          \
    X(I16x8ExtendLowI8x16U) X(I16x8ExtendHighI8x16U)                          \
    X(I32x4ExtendLowI16x8S) X(I32x4ExtendHighI16x8S)                          \
    X(I32x4ExtendLowI16x8U) X(I32x4ExtendHighI16x8U)                          \
    X(I64x2ExtendLowI32x4S) X(I64x2ExtendHighI32x4S)                          \
    X(I64x2ExtendLowI32x4U) X(I64x2ExtendHighI32x4U)
#define SIMD_VEC_BINOPS(X)                                                    \
    X(V128And) X(V128Andnot) X(V128Or) X(V128Xor)                             \
    X(I8x16Add) X(I8x16Sub) X(I8x16Eq) X(I8x16Ne) X(I8x16LtS) X(I8x16GtS)     \
    X(I8x16LeS) X(I8x16GeS) X(I8x16LtU) X(I8x16GtU) X(I8x16LeU) X(I8x16GeU)   \
    X(I8x16MinS) X(I8x16MaxS) X(I8x16MinU) X(I8x16MaxU) X(I8x16AddSatU)       \
    X(I8x16SubSatU)                                                           \
    X(I16x8Add) X(I16x8Sub) X(I16x8Mul) X(I16x8Eq) X(I16x8Ne) X(I16x8LtS)     \
    X(I16x8GtS) X(I16x8LeS) X(I16x8GeS) X(I16x8LtU) X(I16x8GtU) X(I16x8LeU)   \
    X(I16x8GeU) X(I16x8MinS) X(I16x8MaxS) X(I16x8MinU) X(I16x8MaxU)           \
    X(I16x8AddSatU) X(I16x8SubSatU)                                           \
    X(I32x4Add) X(I32x4Sub) X(I32x4Mul) X(I32x4Eq) X(I32x4Ne) X(I32x4LtS)     \
    X(I32x4GtS) X(I32x4LeS) X(I32x4GeS) X(I32x4LtU) X(I32x4GtU) X(I32x4LeU)   \
    X(I32x4GeU) X(I32x4MinS) X(I32x4MaxS) X(I32x4MinU) X(I32x4MaxU)           \
    X(I64x2Add) X(I64x2Sub) X(I64x2Mul) X(I64x2Eq) X(I64x2Ne) X(I64x2LtS)     \
    X(I64x2GtS) X(I64x2LeS) X(I64x2GeS)                                       \
    X(I8x16NarrowI16x8S) X(I8x16NarrowI16x8U) X(I16x8NarrowI32x4S)            \
    X(I16x8NarrowI32x4U)
#define SIMD_VEC_SHIFTOPS(X)                                                  \
    X(I8x16Shl) X(I8x16ShrS) X(I8x16ShrU) X(I16x8Shl) X(I16x8ShrS)            \
    X(I16x8ShrU) X(I32x4Shl) X(I32x4ShrS) X(I32x4ShrU) X(I64x2Shl)            \
    X(I64x2ShrS) X(I64x2ShrU)

#endif /* MANTLE_VM_SIMD_VEC_H */

/* Outside the include guard, so the unit test can include this again
 * with routing on and check every list entry is routed. */
#ifndef SIMD_VEC_ROUTE
#define SIMD_VEC_ROUTE 1
#endif
#if SIMD_VEC_ROUTE && !defined(MANTLE_VM_SIMD_VEC_ROUTED)
#define MANTLE_VM_SIMD_VEC_ROUTED
/* One line per entry of the lists above, plus bitselect and splat. */
#define simd_V128Not simdv_V128Not
#define simd_I8x16Neg simdv_I8x16Neg
#define simd_I16x8Neg simdv_I16x8Neg
#define simd_I32x4Neg simdv_I32x4Neg
#define simd_I64x2Neg simdv_I64x2Neg
#define simd_V128And simdv_V128And
#define simd_V128Andnot simdv_V128Andnot
#define simd_V128Or simdv_V128Or
#define simd_V128Xor simdv_V128Xor
#define simd_I8x16Add simdv_I8x16Add
#define simd_I8x16Sub simdv_I8x16Sub
#define simd_I8x16Eq simdv_I8x16Eq
#define simd_I8x16Ne simdv_I8x16Ne
#define simd_I8x16LtS simdv_I8x16LtS
#define simd_I8x16GtS simdv_I8x16GtS
#define simd_I8x16LeS simdv_I8x16LeS
#define simd_I8x16GeS simdv_I8x16GeS
#define simd_I8x16LtU simdv_I8x16LtU
#define simd_I8x16GtU simdv_I8x16GtU
#define simd_I8x16LeU simdv_I8x16LeU
#define simd_I8x16GeU simdv_I8x16GeU
#define simd_I8x16MinS simdv_I8x16MinS
#define simd_I8x16MaxS simdv_I8x16MaxS
#define simd_I8x16MinU simdv_I8x16MinU
#define simd_I8x16MaxU simdv_I8x16MaxU
#define simd_I8x16AddSatU simdv_I8x16AddSatU
#define simd_I8x16SubSatU simdv_I8x16SubSatU
#define simd_I16x8Add simdv_I16x8Add
#define simd_I16x8Sub simdv_I16x8Sub
#define simd_I16x8Mul simdv_I16x8Mul
#define simd_I16x8Eq simdv_I16x8Eq
#define simd_I16x8Ne simdv_I16x8Ne
#define simd_I16x8LtS simdv_I16x8LtS
#define simd_I16x8GtS simdv_I16x8GtS
#define simd_I16x8LeS simdv_I16x8LeS
#define simd_I16x8GeS simdv_I16x8GeS
#define simd_I16x8LtU simdv_I16x8LtU
#define simd_I16x8GtU simdv_I16x8GtU
#define simd_I16x8LeU simdv_I16x8LeU
#define simd_I16x8GeU simdv_I16x8GeU
#define simd_I16x8MinS simdv_I16x8MinS
#define simd_I16x8MaxS simdv_I16x8MaxS
#define simd_I16x8MinU simdv_I16x8MinU
#define simd_I16x8MaxU simdv_I16x8MaxU
#define simd_I16x8AddSatU simdv_I16x8AddSatU
#define simd_I16x8SubSatU simdv_I16x8SubSatU
#define simd_I32x4Add simdv_I32x4Add
#define simd_I32x4Sub simdv_I32x4Sub
#define simd_I32x4Mul simdv_I32x4Mul
#define simd_I32x4Eq simdv_I32x4Eq
#define simd_I32x4Ne simdv_I32x4Ne
#define simd_I32x4LtS simdv_I32x4LtS
#define simd_I32x4GtS simdv_I32x4GtS
#define simd_I32x4LeS simdv_I32x4LeS
#define simd_I32x4GeS simdv_I32x4GeS
#define simd_I32x4LtU simdv_I32x4LtU
#define simd_I32x4GtU simdv_I32x4GtU
#define simd_I32x4LeU simdv_I32x4LeU
#define simd_I32x4GeU simdv_I32x4GeU
#define simd_I32x4MinS simdv_I32x4MinS
#define simd_I32x4MaxS simdv_I32x4MaxS
#define simd_I32x4MinU simdv_I32x4MinU
#define simd_I32x4MaxU simdv_I32x4MaxU
#define simd_I64x2Add simdv_I64x2Add
#define simd_I64x2Sub simdv_I64x2Sub
#define simd_I64x2Mul simdv_I64x2Mul
#define simd_I64x2Eq simdv_I64x2Eq
#define simd_I64x2Ne simdv_I64x2Ne
#define simd_I64x2LtS simdv_I64x2LtS
#define simd_I64x2GtS simdv_I64x2GtS
#define simd_I64x2LeS simdv_I64x2LeS
#define simd_I64x2GeS simdv_I64x2GeS
#define simd_I8x16Shl simdv_I8x16Shl
#define simd_I8x16ShrS simdv_I8x16ShrS
#define simd_I8x16ShrU simdv_I8x16ShrU
#define simd_I16x8Shl simdv_I16x8Shl
#define simd_I16x8ShrS simdv_I16x8ShrS
#define simd_I16x8ShrU simdv_I16x8ShrU
#define simd_I32x4Shl simdv_I32x4Shl
#define simd_I32x4ShrS simdv_I32x4ShrS
#define simd_I32x4ShrU simdv_I32x4ShrU
#define simd_I64x2Shl simdv_I64x2Shl
#define simd_I64x2ShrS simdv_I64x2ShrS
#define simd_I64x2ShrU simdv_I64x2ShrU
#define simd_V128Bitselect simdv_V128Bitselect
#define simd_splat simdv_splat
#define simd_I16x8ExtendLowI8x16S simdv_I16x8ExtendLowI8x16S
#define simd_I16x8ExtendHighI8x16S simdv_I16x8ExtendHighI8x16S
#define simd_I16x8ExtendLowI8x16U simdv_I16x8ExtendLowI8x16U
#define simd_I16x8ExtendHighI8x16U simdv_I16x8ExtendHighI8x16U
#define simd_I32x4ExtendLowI16x8S simdv_I32x4ExtendLowI16x8S
#define simd_I32x4ExtendHighI16x8S simdv_I32x4ExtendHighI16x8S
#define simd_I32x4ExtendLowI16x8U simdv_I32x4ExtendLowI16x8U
#define simd_I32x4ExtendHighI16x8U simdv_I32x4ExtendHighI16x8U
#define simd_I64x2ExtendLowI32x4S simdv_I64x2ExtendLowI32x4S
#define simd_I64x2ExtendHighI32x4S simdv_I64x2ExtendHighI32x4S
#define simd_I64x2ExtendLowI32x4U simdv_I64x2ExtendLowI32x4U
#define simd_I64x2ExtendHighI32x4U simdv_I64x2ExtendHighI32x4U
#define simd_I8x16NarrowI16x8S simdv_I8x16NarrowI16x8S
#define simd_I8x16NarrowI16x8U simdv_I8x16NarrowI16x8U
#define simd_I16x8NarrowI32x4S simdv_I16x8NarrowI32x4S
#define simd_I16x8NarrowI32x4U simdv_I16x8NarrowI32x4U
#define simd_V128Load8x8S simdv_V128Load8x8S
#define simd_V128Load8x8U simdv_V128Load8x8U
#define simd_V128Load16x4S simdv_V128Load16x4S
#define simd_V128Load16x4U simdv_V128Load16x4U
#define simd_V128Load32x2S simdv_V128Load32x2S
#define simd_V128Load32x2U simdv_V128Load32x2U
#endif
