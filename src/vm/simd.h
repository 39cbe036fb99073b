/* simd.h - lane semantics of the 128-bit SIMD instructions, portable C.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A v128 is 16 bytes in Wasm's (little-endian) lane order; every function
 * copies its operands into typed lane arrays with memcpy and its result
 * back, so there is no aliasing or alignment assumption, and loops of
 * 2-16 lanes are left to the compiler to vectorise.
 *
 * The scalar rules the float lanes share with the scalar instructions
 * come from the includer, which defines them first, so each edge case has
 * one definition per tier: SIMD_FMIN32/FMAX32/FMIN64/FMAX64 (Wasm fmin and
 * fmax), SIMD_CEIL32 ... SIMD_NEAREST64 (rounding that quiets NaNs),
 * SIMD_SQRT32/64, and SIMD_SAT_I32_S/U (saturating truncation of a
 * double). interp.c maps them to its helpers.
 *
 * Map: the type - generic lane maps - integer lanes - float lanes -
 *      conversions - whole-vector and cross-lane ops - lanes and memory -
 *      slots
 */
#ifndef MANTLE_VM_SIMD_H
#define MANTLE_VM_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Lane arrays are filled with memcpy, so lane i is at byte i*width only
 * on little-endian hosts (every supported target). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "simd.h: lane order assumes a little-endian host"
#endif

typedef struct vm_v128 {
    uint8_t b[16];
} vm_v128;

/* ---- Generic lane maps -------------------------------------------------
 * Each defines `static inline vm_v128 simd_<name>(...)`. T is the lane
 * type of the operands, R of the result, N the lane count; the body sees
 * the operand lanes as x (and y). */
#define SIMD_MAP1(name, T, R, N, expr)                                        \
    static inline vm_v128 simd_##name(vm_v128 va)                             \
    {                                                                         \
        T a_[N];                                                              \
        R r_[N];                                                              \
        vm_v128 o_;                                                           \
        memcpy(a_, va.b, 16);                                                 \
        for (int i_ = 0; i_ < (N); i_++) {                                    \
            T x = a_[i_];                                                     \
            r_[i_] = (R)(expr);                                               \
        }                                                                     \
        memcpy(o_.b, r_, 16);                                                 \
        return o_;                                                            \
    }
#define SIMD_MAP2(name, T, R, N, expr)                                        \
    static inline vm_v128 simd_##name(vm_v128 va, vm_v128 vb)                 \
    {                                                                         \
        T a_[N], b_[N];                                                       \
        R r_[N];                                                              \
        vm_v128 o_;                                                           \
        memcpy(a_, va.b, 16);                                                 \
        memcpy(b_, vb.b, 16);                                                 \
        for (int i_ = 0; i_ < (N); i_++) {                                    \
            T x = a_[i_], y = b_[i_];                                         \
            r_[i_] = (R)(expr);                                               \
        }                                                                     \
        memcpy(o_.b, r_, 16);                                                 \
        return o_;                                                            \
    }
/* Comparisons: all ones where true. */
#define SIMD_CMP(name, T, R, N, expr) SIMD_MAP2(name, T, R, N, (expr) ? (R)-1 : (R)0)

/* ---- Integer lanes ------------------------------------------------------ */

static inline int32_t simd_sat_s(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

#define SIMD_INT_SHAPE(P, S, U, N, SMIN, SMAX, UMAX, W)                       \
    SIMD_CMP(P##Eq, U, U, N, x == y)                                          \
    SIMD_CMP(P##Ne, U, U, N, x != y)                                          \
    SIMD_CMP(P##LtS, S, U, N, x < y)                                          \
    SIMD_CMP(P##GtS, S, U, N, x > y)                                          \
    SIMD_CMP(P##LeS, S, U, N, x <= y)                                         \
    SIMD_CMP(P##GeS, S, U, N, x >= y)                                         \
    SIMD_MAP2(P##Add, U, U, N, x + y)                                         \
    SIMD_MAP2(P##Sub, U, U, N, x - y)                                         \
    SIMD_MAP1(P##Neg, U, U, N, 0u - x)                                        \
    SIMD_MAP1(P##Abs, S, U, N, x < 0 ? 0u - (U)x : (U)x)

/* 8, 16 and 32-bit lanes have unsigned compares, min/max; 64-bit lanes
 * only the signed compares above. */
#define SIMD_INT_SMALL(P, S, U, N)                                            \
    SIMD_CMP(P##LtU, U, U, N, x < y)                                          \
    SIMD_CMP(P##GtU, U, U, N, x > y)                                          \
    SIMD_CMP(P##LeU, U, U, N, x <= y)                                         \
    SIMD_CMP(P##GeU, U, U, N, x >= y)                                         \
    SIMD_MAP2(P##MinS, S, S, N, x < y ? x : y)                                \
    SIMD_MAP2(P##MinU, U, U, N, x < y ? x : y)                                \
    SIMD_MAP2(P##MaxS, S, S, N, x > y ? x : y)                                \
    SIMD_MAP2(P##MaxU, U, U, N, x > y ? x : y)

SIMD_INT_SHAPE(I8x16, int8_t, uint8_t, 16, INT8_MIN, INT8_MAX, UINT8_MAX, 8)
SIMD_INT_SHAPE(I16x8, int16_t, uint16_t, 8, INT16_MIN, INT16_MAX, UINT16_MAX, 16)
SIMD_INT_SHAPE(I32x4, int32_t, uint32_t, 4, INT32_MIN, INT32_MAX, UINT32_MAX, 32)
SIMD_INT_SHAPE(I64x2, int64_t, uint64_t, 2, INT64_MIN, INT64_MAX, UINT64_MAX, 64)
SIMD_INT_SMALL(I8x16, int8_t, uint8_t, 16)
SIMD_INT_SMALL(I16x8, int16_t, uint16_t, 8)
SIMD_INT_SMALL(I32x4, int32_t, uint32_t, 4)

/* Saturating add/sub and rounding average: 8 and 16-bit lanes, computed
 * in int32_t, which holds every intermediate. */
#define SIMD_SAT(P, S, U, N, SMIN, SMAX, UMAX)                                \
    SIMD_MAP2(P##AddSatS, S, S, N, simd_sat_s((int32_t)x + y, SMIN, SMAX))    \
    SIMD_MAP2(P##SubSatS, S, S, N, simd_sat_s((int32_t)x - y, SMIN, SMAX))    \
    SIMD_MAP2(P##AddSatU, U, U, N, simd_sat_s((int32_t)x + y, 0, UMAX))       \
    SIMD_MAP2(P##SubSatU, U, U, N, simd_sat_s((int32_t)x - y, 0, UMAX))       \
    SIMD_MAP2(P##AvgrU, U, U, N, ((uint32_t)x + y + 1) >> 1)
SIMD_SAT(I8x16, int8_t, uint8_t, 16, INT8_MIN, INT8_MAX, UINT8_MAX)
SIMD_SAT(I16x8, int16_t, uint16_t, 8, INT16_MIN, INT16_MAX, UINT16_MAX)

SIMD_MAP2(I16x8Mul, uint16_t, uint16_t, 8, (uint32_t)x * y)
SIMD_MAP2(I32x4Mul, uint32_t, uint32_t, 4, x * y)
SIMD_MAP2(I64x2Mul, uint64_t, uint64_t, 2, x * y)
SIMD_MAP1(I8x16Popcnt, uint8_t, uint8_t, 16, __builtin_popcount(x))
/* (x*y + 2^14) >> 15, saturated: only -32768 * -32768 overflows. */
SIMD_MAP2(I16x8Q15mulrSatS, int16_t, int16_t, 8,
          simd_sat_s(((int32_t)x * y + 0x4000) >> 15, INT16_MIN, INT16_MAX))

/* Shifts take the count modulo the lane width; left shifts go through
 * uint64_t so promoted narrow lanes never shift into an int's sign bit.
 * Signed right shifts of
 * negative values are arithmetic on every compiler we support (gcc and
 * clang define it). */
#define SIMD_SHIFTS(P, S, U, N, W)                                            \
    static inline vm_v128 simd_##P##Shl(vm_v128 va, uint32_t c)               \
    {                                                                         \
        U a_[N];                                                              \
        memcpy(a_, va.b, 16);                                                 \
        c &= (W)-1;                                                           \
        for (int i = 0; i < (N); i++)                                         \
            a_[i] = (U)((uint64_t)a_[i] << c);                                          \
        memcpy(va.b, a_, 16);                                                 \
        return va;                                                            \
    }                                                                         \
    static inline vm_v128 simd_##P##ShrU(vm_v128 va, uint32_t c)              \
    {                                                                         \
        U a_[N];                                                              \
        memcpy(a_, va.b, 16);                                                 \
        c &= (W)-1;                                                           \
        for (int i = 0; i < (N); i++)                                         \
            a_[i] = (U)(a_[i] >> c);                                          \
        memcpy(va.b, a_, 16);                                                 \
        return va;                                                            \
    }                                                                         \
    static inline vm_v128 simd_##P##ShrS(vm_v128 va, uint32_t c)              \
    {                                                                         \
        S a_[N];                                                              \
        memcpy(a_, va.b, 16);                                                 \
        c &= (W)-1;                                                           \
        for (int i = 0; i < (N); i++)                                         \
            a_[i] = (S)(a_[i] >> c);                                          \
        memcpy(va.b, a_, 16);                                                 \
        return va;                                                            \
    }
SIMD_SHIFTS(I8x16, int8_t, uint8_t, 16, 8)
SIMD_SHIFTS(I16x8, int16_t, uint16_t, 8, 16)
SIMD_SHIFTS(I32x4, int32_t, uint32_t, 4, 32)
SIMD_SHIFTS(I64x2, int64_t, uint64_t, 2, 64)

/* all_true and bitmask (top bit of each lane, lane 0 in bit 0). */
#define SIMD_REDUCE(P, S, U, N)                                               \
    static inline uint32_t simd_##P##AllTrue(vm_v128 va)                      \
    {                                                                         \
        U a_[N];                                                              \
        memcpy(a_, va.b, 16);                                                 \
        uint32_t r = 1;                                                       \
        for (int i = 0; i < (N); i++)                                         \
            r &= a_[i] != 0;                                                  \
        return r;                                                             \
    }                                                                         \
    static inline uint32_t simd_##P##Bitmask(vm_v128 va)                      \
    {                                                                         \
        S a_[N];                                                              \
        memcpy(a_, va.b, 16);                                                 \
        uint32_t r = 0;                                                       \
        for (int i = 0; i < (N); i++)                                         \
            r |= (uint32_t)(a_[i] < 0) << i;                                  \
        return r;                                                             \
    }
SIMD_REDUCE(I8x16, int8_t, uint8_t, 16)
SIMD_REDUCE(I16x8, int16_t, uint16_t, 8)
SIMD_REDUCE(I32x4, int32_t, uint32_t, 4)
SIMD_REDUCE(I64x2, int64_t, uint64_t, 2)

/* Widening: extend the low or high half, extmul of halves, pairwise
 * add. NT/WT narrow and wide lane types, N the wide lane count. */
#define SIMD_WIDEN(P, SUF, NT, WT, N)                                         \
    static inline vm_v128 simd_##P##ExtendLow##SUF(vm_v128 va)                \
    {                                                                         \
        NT a_[2 * (N)];                                                       \
        WT r_[N];                                                             \
        memcpy(a_, va.b, 16);                                                 \
        for (int i = 0; i < (N); i++)                                         \
            r_[i] = a_[i];                                                    \
        memcpy(va.b, r_, 16);                                                 \
        return va;                                                            \
    }                                                                         \
    static inline vm_v128 simd_##P##ExtendHigh##SUF(vm_v128 va)               \
    {                                                                         \
        NT a_[2 * (N)];                                                       \
        WT r_[N];                                                             \
        memcpy(a_, va.b, 16);                                                 \
        for (int i = 0; i < (N); i++)                                         \
            r_[i] = a_[(N) + i];                                              \
        memcpy(va.b, r_, 16);                                                 \
        return va;                                                            \
    }                                                                         \
    static inline vm_v128 simd_##P##ExtmulLow##SUF(vm_v128 va, vm_v128 vb)    \
    {                                                                         \
        NT a_[2 * (N)], b_[2 * (N)];                                          \
        WT r_[N];                                                             \
        memcpy(a_, va.b, 16);                                                 \
        memcpy(b_, vb.b, 16);                                                 \
        for (int i = 0; i < (N); i++)                                         \
            r_[i] = (WT)((WT)a_[i] * (WT)b_[i]);                              \
        memcpy(va.b, r_, 16);                                                 \
        return va;                                                            \
    }                                                                         \
    static inline vm_v128 simd_##P##ExtmulHigh##SUF(vm_v128 va, vm_v128 vb)   \
    {                                                                         \
        NT a_[2 * (N)], b_[2 * (N)];                                          \
        WT r_[N];                                                             \
        memcpy(a_, va.b, 16);                                                 \
        memcpy(b_, vb.b, 16);                                                 \
        for (int i = 0; i < (N); i++)                                         \
            r_[i] = (WT)((WT)a_[(N) + i] * (WT)b_[(N) + i]);                  \
        memcpy(va.b, r_, 16);                                                 \
        return va;                                                            \
    }
SIMD_WIDEN(I16x8, I8x16S, int8_t, int16_t, 8)
SIMD_WIDEN(I16x8, I8x16U, uint8_t, uint16_t, 8)
SIMD_WIDEN(I32x4, I16x8S, int16_t, int32_t, 4)
SIMD_WIDEN(I32x4, I16x8U, uint16_t, uint32_t, 4)
SIMD_WIDEN(I64x2, I32x4S, int32_t, int64_t, 2)
SIMD_WIDEN(I64x2, I32x4U, uint32_t, uint64_t, 2)

#define SIMD_EXTADD(name, NT, WT, N)                                          \
    static inline vm_v128 simd_##name(vm_v128 va)                             \
    {                                                                         \
        NT a_[2 * (N)];                                                       \
        WT r_[N];                                                             \
        memcpy(a_, va.b, 16);                                                 \
        for (int i = 0; i < (N); i++)                                         \
            r_[i] = (WT)((WT)a_[2 * i] + (WT)a_[2 * i + 1]);                  \
        memcpy(va.b, r_, 16);                                                 \
        return va;                                                            \
    }
SIMD_EXTADD(I16x8ExtaddPairwiseI8x16S, int8_t, int16_t, 8)
SIMD_EXTADD(I16x8ExtaddPairwiseI8x16U, uint8_t, uint16_t, 8)
SIMD_EXTADD(I32x4ExtaddPairwiseI16x8S, int16_t, int32_t, 4)
SIMD_EXTADD(I32x4ExtaddPairwiseI16x8U, uint16_t, uint32_t, 4)

/* i32x4.dot_i16x8_s: the pair sums wrap only for 4 * (-32768)^2, which
 * is 2^31: computed in uint32_t so the wrap is defined. */
static inline vm_v128 simd_I32x4DotI16x8S(vm_v128 va, vm_v128 vb)
{
    int16_t a[8], b[8];
    uint32_t r[4];
    memcpy(a, va.b, 16);
    memcpy(b, vb.b, 16);
    for (int i = 0; i < 4; i++)
        r[i] = (uint32_t)((int32_t)a[2 * i] * b[2 * i]) +
               (uint32_t)((int32_t)a[2 * i + 1] * b[2 * i + 1]);
    memcpy(va.b, r, 16);
    return va;
}

/* Narrowing with saturation: lanes of a, then lanes of b. */
#define SIMD_NARROW(name, WT, NT, N, LO, HI)                                  \
    static inline vm_v128 simd_##name(vm_v128 va, vm_v128 vb)                 \
    {                                                                         \
        WT a_[N], b_[N];                                                      \
        NT r_[2 * (N)];                                                       \
        memcpy(a_, va.b, 16);                                                 \
        memcpy(b_, vb.b, 16);                                                 \
        for (int i = 0; i < (N); i++) {                                       \
            r_[i] = (NT)(a_[i] < (LO) ? (LO) : a_[i] > (HI) ? (HI) : a_[i]);  \
            r_[(N) + i] =                                                     \
                (NT)(b_[i] < (LO) ? (LO) : b_[i] > (HI) ? (HI) : b_[i]);      \
        }                                                                     \
        memcpy(va.b, r_, 16);                                                 \
        return va;                                                            \
    }
SIMD_NARROW(I8x16NarrowI16x8S, int16_t, int8_t, 8, INT8_MIN, INT8_MAX)
SIMD_NARROW(I8x16NarrowI16x8U, int16_t, uint8_t, 8, 0, UINT8_MAX)
SIMD_NARROW(I16x8NarrowI32x4S, int32_t, int16_t, 4, INT16_MIN, INT16_MAX)
SIMD_NARROW(I16x8NarrowI32x4U, int32_t, uint16_t, 4, 0, UINT16_MAX)

/* ---- Float lanes --------------------------------------------------------
 * abs and neg are sign-bit operations on the bits (NaN payloads kept);
 * arithmetic NaN results come from the hardware (arithmetic NaNs);
 * min/max share the scalar rules, pmin/pmax are the plain C compares the
 * spec defines them as (b < a ? b : a). */
#define SIMD_FLOAT(P, F, B, N, SIGN, MIN, MAX, CEIL, FLOOR, TRUNC, NEAR, SQRT) \
    SIMD_CMP(P##Eq, F, B, N, x == y)                                          \
    SIMD_CMP(P##Ne, F, B, N, x != y)                                          \
    SIMD_CMP(P##Lt, F, B, N, x < y)                                           \
    SIMD_CMP(P##Gt, F, B, N, x > y)                                           \
    SIMD_CMP(P##Le, F, B, N, x <= y)                                          \
    SIMD_CMP(P##Ge, F, B, N, x >= y)                                          \
    SIMD_MAP1(P##Abs, B, B, N, x & ~(SIGN))                                   \
    SIMD_MAP1(P##Neg, B, B, N, x ^ (SIGN))                                    \
    SIMD_MAP1(P##Sqrt, F, F, N, SQRT(x))                                      \
    SIMD_MAP1(P##Ceil, F, F, N, CEIL(x))                                      \
    SIMD_MAP1(P##Floor, F, F, N, FLOOR(x))                                    \
    SIMD_MAP1(P##Trunc, F, F, N, TRUNC(x))                                    \
    SIMD_MAP1(P##Nearest, F, F, N, NEAR(x))                                   \
    SIMD_MAP2(P##Add, F, F, N, x + y)                                         \
    SIMD_MAP2(P##Sub, F, F, N, x - y)                                         \
    SIMD_MAP2(P##Mul, F, F, N, x * y)                                         \
    SIMD_MAP2(P##Div, F, F, N, x / y)                                         \
    SIMD_MAP2(P##Min, F, F, N, MIN(x, y))                                     \
    SIMD_MAP2(P##Max, F, F, N, MAX(x, y))                                     \
    SIMD_MAP2(P##Pmin, F, F, N, y < x ? y : x)                                \
    SIMD_MAP2(P##Pmax, F, F, N, x < y ? y : x)
SIMD_FLOAT(F32x4, float, uint32_t, 4, UINT32_C(0x80000000), SIMD_FMIN32, SIMD_FMAX32,
           SIMD_CEIL32, SIMD_FLOOR32, SIMD_TRUNC32, SIMD_NEAREST32,
           SIMD_SQRT32)
SIMD_FLOAT(F64x2, double, uint64_t, 2, UINT64_C(0x8000000000000000), SIMD_FMIN64,
           SIMD_FMAX64, SIMD_CEIL64, SIMD_FLOOR64, SIMD_TRUNC64,
           SIMD_NEAREST64, SIMD_SQRT64)

/* ---- Conversions -------------------------------------------------------- */

SIMD_MAP1(I32x4TruncSatF32x4S, float, uint32_t, 4, SIMD_SAT_I32_S(x))
SIMD_MAP1(I32x4TruncSatF32x4U, float, uint32_t, 4, SIMD_SAT_I32_U(x))
SIMD_MAP1(F32x4ConvertI32x4S, int32_t, float, 4, (float)x)
SIMD_MAP1(F32x4ConvertI32x4U, uint32_t, float, 4, (float)x)

/* The f64x2 forms use the low two i32/f32 lanes, or fill them and zero
 * the high two. */
#define SIMD_ZERO2(name, R, expr)                                             \
    static inline vm_v128 simd_##name(vm_v128 va)                             \
    {                                                                         \
        double a_[2];                                                         \
        R r_[4] = {0, 0, 0, 0};                                               \
        memcpy(a_, va.b, 16);                                                 \
        for (int i_ = 0; i_ < 2; i_++) {                                      \
            double x = a_[i_];                                                \
            r_[i_] = (R)(expr);                                               \
        }                                                                     \
        memcpy(va.b, r_, 16);                                                 \
        return va;                                                            \
    }
SIMD_ZERO2(I32x4TruncSatF64x2SZero, uint32_t, SIMD_SAT_I32_S(x))
SIMD_ZERO2(I32x4TruncSatF64x2UZero, uint32_t, SIMD_SAT_I32_U(x))
SIMD_ZERO2(F32x4DemoteF64x2Zero, float, (float)x)
#define SIMD_LOW2(name, T, expr)                                              \
    static inline vm_v128 simd_##name(vm_v128 va)                             \
    {                                                                         \
        T a_[4];                                                              \
        double r_[2];                                                         \
        memcpy(a_, va.b, 16);                                                 \
        for (int i = 0; i < 2; i++) {                                         \
            T x = a_[i];                                                      \
            r_[i] = (expr);                                                   \
        }                                                                     \
        memcpy(va.b, r_, 16);                                                 \
        return va;                                                            \
    }
SIMD_LOW2(F64x2ConvertLowI32x4S, int32_t, (double)x)
SIMD_LOW2(F64x2ConvertLowI32x4U, uint32_t, (double)x)
SIMD_LOW2(F64x2PromoteLowF32x4, float, (double)x)

/* ---- Whole-vector and cross-lane operations ----------------------------- */

SIMD_MAP1(V128Not, uint64_t, uint64_t, 2, ~x)
SIMD_MAP2(V128And, uint64_t, uint64_t, 2, x & y)
SIMD_MAP2(V128Andnot, uint64_t, uint64_t, 2, x & ~y)
SIMD_MAP2(V128Or, uint64_t, uint64_t, 2, x | y)
SIMD_MAP2(V128Xor, uint64_t, uint64_t, 2, x ^ y)

static inline vm_v128 simd_V128Bitselect(vm_v128 va, vm_v128 vb, vm_v128 vc)
{
    uint64_t a[2], b[2], c[2];
    memcpy(a, va.b, 16);
    memcpy(b, vb.b, 16);
    memcpy(c, vc.b, 16);
    for (int i = 0; i < 2; i++)
        a[i] = (a[i] & c[i]) | (b[i] & ~c[i]);
    memcpy(va.b, a, 16);
    return va;
}

static inline uint32_t simd_V128AnyTrue(vm_v128 va)
{
    uint64_t a[2];
    memcpy(a, va.b, 16);
    return (a[0] | a[1]) != 0;
}

/* Indices of 16 and above select 0. */
static inline vm_v128 simd_I8x16Swizzle(vm_v128 va, vm_v128 vb)
{
    vm_v128 r;
    for (int i = 0; i < 16; i++)
        r.b[i] = vb.b[i] < 16 ? va.b[vb.b[i]] : 0;
    return r;
}

/* Indices (validated below 32) select from a's lanes, then b's. */
static inline vm_v128 simd_shuffle(vm_v128 va, vm_v128 vb, const uint8_t *idx)
{
    uint8_t ab[32];
    vm_v128 r;
    memcpy(ab, va.b, 16);
    memcpy(ab + 16, vb.b, 16);
    for (int i = 0; i < 16; i++)
        r.b[i] = ab[idx[i] & 31];
    return r;
}

/* A splat of the low `n` bytes of `v` (the little-endian bits of a scalar
 * lane) into every lane. */
static inline vm_v128 simd_splat(uint64_t v, unsigned n)
{
    uint8_t lane[8];
    vm_v128 r;
    for (unsigned i = 0; i < 8; i++)
        lane[i] = (uint8_t)(v >> (8 * i));
    for (unsigned i = 0; i < 16; i += n)
        memcpy(r.b + i, lane, n);
    return r;
}

/* ---- Lanes and memory ----------------------------------------------------
 * Lane `i` of width n bytes; memory accesses on bytes the caller has
 * bounds-checked. Scalars cross in slot form: the lane's bits, zero
 * extended. */

static inline uint64_t simd_lane_get(vm_v128 v, unsigned n, unsigned i)
{
    uint64_t x = 0;
    memcpy(&x, v.b + i * n, n);
    return x;
}

static inline vm_v128 simd_lane_set(vm_v128 v, unsigned n, unsigned i,
                                    uint64_t x)
{
    memcpy(v.b + i * n, &x, n);
    return v;
}

static inline vm_v128 simd_load(const uint8_t *p)
{
    vm_v128 v;
    memcpy(v.b, p, 16);
    return v;
}

static inline void simd_store(uint8_t *p, vm_v128 v)
{
    memcpy(p, v.b, 16);
}

static inline vm_v128 simd_load_splat(const uint8_t *p, unsigned n)
{
    vm_v128 v;
    for (unsigned i = 0; i < 16; i += n)
        memcpy(v.b + i, p, n);
    return v;
}

static inline vm_v128 simd_load_zero(const uint8_t *p, unsigned n)
{
    vm_v128 v;
    memset(v.b, 0, 16);
    memcpy(v.b, p, n);
    return v;
}

static inline vm_v128 simd_load_lane(vm_v128 v, const uint8_t *p, unsigned n,
                                     unsigned i)
{
    memcpy(v.b + i * n, p, n);
    return v;
}

static inline void simd_store_lane(uint8_t *p, vm_v128 v, unsigned n,
                                   unsigned i)
{
    memcpy(p, v.b + i * n, n);
}

/* 8 bytes as N lanes of NT, each widened to WT. */
#define SIMD_LOAD_EXT(name, NT, WT, N)                                        \
    static inline vm_v128 simd_##name(const uint8_t *p)                       \
    {                                                                         \
        NT n_[N];                                                             \
        WT w_[N];                                                             \
        vm_v128 r_;                                                           \
        memcpy(n_, p, 8);                                                     \
        for (int i_ = 0; i_ < (N); i_++)                                      \
            w_[i_] = n_[i_];                                                  \
        memcpy(r_.b, w_, 16);                                                 \
        return r_;                                                            \
    }
SIMD_LOAD_EXT(V128Load8x8S, int8_t, int16_t, 8)
SIMD_LOAD_EXT(V128Load8x8U, uint8_t, uint16_t, 8)
SIMD_LOAD_EXT(V128Load16x4S, int16_t, int32_t, 4)
SIMD_LOAD_EXT(V128Load16x4U, uint16_t, uint32_t, 4)
SIMD_LOAD_EXT(V128Load32x2S, int32_t, int64_t, 2)
SIMD_LOAD_EXT(V128Load32x2U, uint32_t, uint64_t, 2)

/* ---- Slots: a v128 in two 64-bit frame slots --------------------------- */

static inline vm_v128 simd_get(const uint64_t *slot)
{
    vm_v128 v;
    memcpy(v.b, slot, 16);
    return v;
}

static inline void simd_put(uint64_t *slot, vm_v128 v)
{
    memcpy(slot, v.b, 16);
}

#endif
