/* iops_simd.h - interpreter handlers of the SIMD instructions.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Included inside vm_interp (interp.c), where CASE/NEXT/TRAP, fp, pc,
 * mem and memsize are in scope; the lane semantics are in simd.h. A v128
 * occupies two consecutive frame slots (docs/interpreter.md) and is moved
 * in and out with memcpy. Every handler reads all its operands before it
 * writes its result, which may share an operand's home slot. Operand
 * layouts (lower.c, lower_simd): the result slot first, then the operand
 * slots in stack order, then the static offset, the lane index, or the
 * four cells of packed shuffle indices:
 *
 *   unary, splat, reduce  op s:dst s:a                     3 cells
 *   binary, shift         op s:dst s:a s:b                 4
 *   bitselect             op s:dst s:a s:b s:c             5
 *   extract lane          op s:dst s:a k:lane              4
 *   replace lane          op s:dst s:a s:x k:lane          5
 *   shuffle               op s:dst s:a s:b k[4]            8
 *   load                  op s:dst s:addr k:offset         4
 *   store                 op s:addr s:v k:offset           4
 *   load lane             op s:dst s:addr s:v k:off k:lane 6
 *   store lane            op s:addr s:v k:off k:lane       5
 */

#define VGET(i) simd_get(&fp[pc[i]])
#define VPUT(i, v) simd_put(&fp[pc[i]], (v))

/* The lane operators of simd.h's lists run out of line (interp.c,
 * simd_op_*), reading and writing the slots themselves. */
#define SIMD_UN(sym)                                                          \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        simd_op_##sym(&fp[pc[1]], &fp[pc[2]]);                                \
        NEXT(3);                                                              \
    }
#define SIMD_BIN(sym)                                                         \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        simd_op_##sym(&fp[pc[1]], &fp[pc[2]], &fp[pc[3]]);                    \
        NEXT(4);                                                              \
    }
#define SIMD_SHIFT(sym)                                                       \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        simd_op_##sym(&fp[pc[1]], &fp[pc[2]], U32(3));                        \
        NEXT(4);                                                              \
    }
#define SIMD_RED(sym)                                                         \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        R(1) = simd_op_##sym(&fp[pc[2]]);                                     \
        NEXT(3);                                                              \
    }
/* Splat of a scalar slot's low n bytes. */
#define SIMD_SPLAT(sym, n)                                                    \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        VPUT(1, simd_splat(R(2), n));                                         \
        NEXT(3);                                                              \
    }
/* Lane T of the vector, converted to slot form by conv (of v_). */
#define SIMD_EXTRACT(sym, T, conv)                                            \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        vm_v128 a_ = VGET(2);                                                 \
        T v_;                                                                 \
        memcpy(&v_, a_.b + pc[3] * sizeof v_, sizeof v_);                     \
        R(1) = (conv);                                                        \
        NEXT(4);                                                              \
    }
#define SIMD_REPLACE(sym, T)                                                  \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        vm_v128 a_ = VGET(2);                                                 \
        T v_ = (T)R(3);                                                       \
        memcpy(a_.b + pc[4] * sizeof v_, &v_, sizeof v_);                     \
        VPUT(1, a_);                                                          \
        NEXT(5);                                                              \
    }
/* Bounds check of an n-byte access at the address in cell `ai` plus the
 * static offset in cell `oi` (64-bit sum, no overflow). */
#define SIMD_EA(ai, oi, n)                                                    \
    uint64_t ea = (uint64_t)U32(ai) + pc[oi];                                 \
    if (UNLIKELY(ea + (n) > memsize))                                         \
        TRAP(MANTLE_TRAP_OUT_OF_BOUNDS)
/* Load of 8 bytes as N lanes of NT, each widened to WT. */
#define SIMD_LOAD_EXT(sym, NT, WT, N)                                         \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        SIMD_EA(2, 3, 8);                                                     \
        NT n_[N];                                                             \
        WT w_[N];                                                             \
        vm_v128 r_;                                                           \
        memcpy(n_, mem + ea, 8);                                              \
        for (int i = 0; i < (N); i++)                                         \
            w_[i] = n_[i];                                                    \
        memcpy(r_.b, w_, 16);                                                 \
        VPUT(1, r_);                                                          \
        NEXT(4);                                                              \
    }
#define SIMD_LOAD_SPLAT(sym, n)                                               \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        SIMD_EA(2, 3, n);                                                     \
        vm_v128 r_;                                                           \
        for (int i = 0; i < 16; i += (n))                                     \
            memcpy(r_.b + i, mem + ea, n);                                    \
        VPUT(1, r_);                                                          \
        NEXT(4);                                                              \
    }
#define SIMD_LOAD_ZERO(sym, n)                                                \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        SIMD_EA(2, 3, n);                                                     \
        vm_v128 r_;                                                           \
        memset(r_.b, 0, 16);                                                  \
        memcpy(r_.b, mem + ea, n);                                            \
        VPUT(1, r_);                                                          \
        NEXT(4);                                                              \
    }
#define SIMD_LOAD_LANE(sym, n)                                                \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        vm_v128 v_ = VGET(3);                                                 \
        SIMD_EA(2, 4, n);                                                     \
        memcpy(v_.b + pc[5] * (n), mem + ea, n);                              \
        VPUT(1, v_);                                                          \
        NEXT(6);                                                              \
    }
#define SIMD_STORE_LANE(sym, n)                                               \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        vm_v128 v_ = VGET(2);                                                 \
        SIMD_EA(1, 3, n);                                                     \
        memcpy(mem + ea, v_.b + pc[4] * (n), n);                              \
        NEXT(5);                                                              \
    }

/* Memory. */
CASE(OP_V128Load)
{
    SIMD_EA(2, 3, 16);
    vm_v128 r_;
    memcpy(r_.b, mem + ea, 16);
    VPUT(1, r_);
    NEXT(4);
}
CASE(OP_V128Store)
{
    vm_v128 v_ = VGET(2);
    SIMD_EA(1, 3, 16);
    memcpy(mem + ea, v_.b, 16);
    NEXT(4);
}
SIMD_LOAD_EXT(V128Load8x8S, int8_t, int16_t, 8)
SIMD_LOAD_EXT(V128Load8x8U, uint8_t, uint16_t, 8)
SIMD_LOAD_EXT(V128Load16x4S, int16_t, int32_t, 4)
SIMD_LOAD_EXT(V128Load16x4U, uint16_t, uint32_t, 4)
SIMD_LOAD_EXT(V128Load32x2S, int32_t, int64_t, 2)
SIMD_LOAD_EXT(V128Load32x2U, uint32_t, uint64_t, 2)
SIMD_LOAD_SPLAT(V128Load8Splat, 1)
SIMD_LOAD_SPLAT(V128Load16Splat, 2)
SIMD_LOAD_SPLAT(V128Load32Splat, 4)
SIMD_LOAD_SPLAT(V128Load64Splat, 8)
SIMD_LOAD_ZERO(V128Load32Zero, 4)
SIMD_LOAD_ZERO(V128Load64Zero, 8)
SIMD_LOAD_LANE(V128Load8Lane, 1)
SIMD_LOAD_LANE(V128Load16Lane, 2)
SIMD_LOAD_LANE(V128Load32Lane, 4)
SIMD_LOAD_LANE(V128Load64Lane, 8)
SIMD_STORE_LANE(V128Store8Lane, 1)
SIMD_STORE_LANE(V128Store16Lane, 2)
SIMD_STORE_LANE(V128Store32Lane, 4)
SIMD_STORE_LANE(V128Store64Lane, 8)

/* Lanes. */
SIMD_SPLAT(I8x16Splat, 1)
SIMD_SPLAT(I16x8Splat, 2)
SIMD_SPLAT(I32x4Splat, 4)
SIMD_SPLAT(I64x2Splat, 8)
SIMD_SPLAT(F32x4Splat, 4)
SIMD_SPLAT(F64x2Splat, 8)
SIMD_EXTRACT(I8x16ExtractLaneS, int8_t, (uint32_t)(int32_t)v_)
SIMD_EXTRACT(I8x16ExtractLaneU, uint8_t, (uint32_t)v_)
SIMD_EXTRACT(I16x8ExtractLaneS, int16_t, (uint32_t)(int32_t)v_)
SIMD_EXTRACT(I16x8ExtractLaneU, uint16_t, (uint32_t)v_)
SIMD_EXTRACT(I32x4ExtractLane, uint32_t, v_)
SIMD_EXTRACT(I64x2ExtractLane, uint64_t, v_)
SIMD_EXTRACT(F32x4ExtractLane, uint32_t, v_)
SIMD_EXTRACT(F64x2ExtractLane, uint64_t, v_)
SIMD_REPLACE(I8x16ReplaceLane, uint8_t)
SIMD_REPLACE(I16x8ReplaceLane, uint16_t)
SIMD_REPLACE(I32x4ReplaceLane, uint32_t)
SIMD_REPLACE(I64x2ReplaceLane, uint64_t)
SIMD_REPLACE(F32x4ReplaceLane, uint32_t)
SIMD_REPLACE(F64x2ReplaceLane, uint64_t)
CASE(OP_I8x16Shuffle)
{
    vm_v128 a_ = VGET(2), b_ = VGET(3);
    uint8_t idx_[16];
    for (int i = 0; i < 4; i++) {
        uint32_t w_ = pc[4 + i];
        idx_[4 * i] = (uint8_t)w_;
        idx_[4 * i + 1] = (uint8_t)(w_ >> 8);
        idx_[4 * i + 2] = (uint8_t)(w_ >> 16);
        idx_[4 * i + 3] = (uint8_t)(w_ >> 24);
    }
    VPUT(1, simd_shuffle(a_, b_, idx_));
    NEXT(8);
}
CASE(OP_V128Bitselect)
{
    vm_v128 a_ = VGET(2), b_ = VGET(3), c_ = VGET(4);
    VPUT(1, simd_V128Bitselect(a_, b_, c_));
    NEXT(5);
}

SIMD_UNOPS(SIMD_UN)
SIMD_BINOPS(SIMD_BIN)
SIMD_SHIFTOPS(SIMD_SHIFT)
SIMD_REDOPS(SIMD_RED)

#undef VGET
#undef VPUT
#undef SIMD_UN
#undef SIMD_BIN
#undef SIMD_SHIFT
#undef SIMD_RED
#undef SIMD_SPLAT
#undef SIMD_EXTRACT
#undef SIMD_REPLACE
#undef SIMD_EA
#undef SIMD_LOAD_EXT
#undef SIMD_LOAD_SPLAT
#undef SIMD_LOAD_ZERO
#undef SIMD_LOAD_LANE
#undef SIMD_STORE_LANE
