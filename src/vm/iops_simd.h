/* iops_simd.h - interpreter handlers of the SIMD instructions.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Included inside vm_interp (interp.c), where CASE/NEXT/TRAP, fp, pc,
 * mem and memlim are in scope; the lane semantics are in simd.h. A v128
 * occupies two consecutive frame slots (docs/interpreter.md) and is moved
 * in and out with memcpy. Every handler reads all its operands before it
 * writes its result, which may share an operand's home slot. Operand
 * layouts (lower.c, lower_simd): the result slot first, then the operand
 * slots in stack order, then the static offset, the lane index, or the
 * four cells of packed shuffle indices:
 *
 *   splat                 op s:dst s:a                     3 cells
 *   bitselect             op s:dst s:a s:b s:c             5
 *   extract lane          op s:dst s:a k:lane              4
 *   replace lane          op s:dst s:a s:x k:lane          5
 *   shuffle               op s:dst s:a s:b k[4]            8
 *   load                  op s:dst s:addr k:offset         4
 *   store                 op s:addr s:v k:offset           4
 *   load lane             op s:dst s:addr s:v k:off k:lane 6
 *   store lane            op s:addr s:v k:off k:lane       5
 *
 * The 191 lane operators of iops.h's lists (unary, binary, shifts,
 * reductions) are VOP_SIMD_UN/BIN/SHIFT/RED with the index of their
 * function as a last operand.
 */

#define VGET(i) simd_get(&fp[pc[i]])
#define VPUT(i, v) simd_put(&fp[pc[i]], (v))

/* Splat of a scalar slot's low n bytes. */
#define SIMD_SPLAT(sym, n)                                                    \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        VPUT(1, simd_splat(R(2), n));                                         \
        NEXT(3);                                                              \
    }
/* Lane of n bytes into slot form, converted by conv (of v_). */
#define SIMD_EXTRACT(sym, n, conv)                                            \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        uint64_t v_ = simd_lane_get(VGET(2), n, pc[3]);                       \
        R(1) = (conv);                                                        \
        NEXT(4);                                                              \
    }
#define SIMD_REPLACE(sym, n)                                                  \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        VPUT(1, simd_lane_set(VGET(2), n, pc[4], R(3)));                      \
        NEXT(5);                                                              \
    }
/* Bounds check of an n-byte access at the address in cell `ai` plus the
 * static offset in cell `oi` (64-bit sum, no overflow); p_ is its first
 * byte. */
#define SIMD_EA(ai, oi, n)                                                    \
    uint64_t ea_ = (uint64_t)U32(ai) + pc[oi];                                \
    if (UNLIKELY(OOB(ea_, n)))                                                \
        TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                      \
    uint8_t *p_ = mem + ea_
/* A load of the whole vector by fn(p_, args). */
#define SIMD_LOAD(sym, n, expr)                                               \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        SIMD_EA(2, 3, n);                                                     \
        VPUT(1, expr);                                                        \
        NEXT(4);                                                              \
    }
#define SIMD_LOAD_LANE(sym, n)                                                \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        vm_v128 v_ = VGET(3);                                                 \
        SIMD_EA(2, 4, n);                                                     \
        VPUT(1, simd_load_lane(v_, p_, n, pc[5]));                            \
        NEXT(6);                                                              \
    }
#define SIMD_STORE_LANE(sym, n)                                               \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        vm_v128 v_ = VGET(2);                                                 \
        SIMD_EA(1, 3, n);                                                     \
        simd_store_lane(p_, v_, n, pc[4]);                                    \
        NEXT(5);                                                              \
    }

/* Memory. */
SIMD_LOAD(V128Load, 16, simd_load(p_))
CASE(OP_V128Store)
{
    vm_v128 v_ = VGET(2);
    SIMD_EA(1, 3, 16);
    simd_store(p_, v_);
    NEXT(4);
}
SIMD_LOAD(V128Load8x8S, 8, simd_V128Load8x8S(p_))
SIMD_LOAD(V128Load8x8U, 8, simd_V128Load8x8U(p_))
SIMD_LOAD(V128Load16x4S, 8, simd_V128Load16x4S(p_))
SIMD_LOAD(V128Load16x4U, 8, simd_V128Load16x4U(p_))
SIMD_LOAD(V128Load32x2S, 8, simd_V128Load32x2S(p_))
SIMD_LOAD(V128Load32x2U, 8, simd_V128Load32x2U(p_))
SIMD_LOAD(V128Load8Splat, 1, simd_load_splat(p_, 1))
SIMD_LOAD(V128Load16Splat, 2, simd_load_splat(p_, 2))
SIMD_LOAD(V128Load32Splat, 4, simd_load_splat(p_, 4))
SIMD_LOAD(V128Load64Splat, 8, simd_load_splat(p_, 8))
SIMD_LOAD(V128Load32Zero, 4, simd_load_zero(p_, 4))
SIMD_LOAD(V128Load64Zero, 8, simd_load_zero(p_, 8))
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
SIMD_EXTRACT(I8x16ExtractLaneS, 1, (uint32_t)(int32_t)(int8_t)v_)
SIMD_EXTRACT(I8x16ExtractLaneU, 1, v_)
SIMD_EXTRACT(I16x8ExtractLaneS, 2, (uint32_t)(int32_t)(int16_t)v_)
SIMD_EXTRACT(I16x8ExtractLaneU, 2, v_)
SIMD_EXTRACT(I32x4ExtractLane, 4, v_)
SIMD_EXTRACT(I64x2ExtractLane, 8, v_)
SIMD_EXTRACT(F32x4ExtractLane, 4, v_)
SIMD_EXTRACT(F64x2ExtractLane, 8, v_)
SIMD_REPLACE(I8x16ReplaceLane, 1)
SIMD_REPLACE(I16x8ReplaceLane, 2)
SIMD_REPLACE(I32x4ReplaceLane, 4)
SIMD_REPLACE(I64x2ReplaceLane, 8)
SIMD_REPLACE(F32x4ReplaceLane, 4)
SIMD_REPLACE(F64x2ReplaceLane, 8)
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

/* The lane operators (iops.h lists), through interp.c's tables. */
CASE(VOP_SIMD_UN)
{
    simd_un_fns[pc[3]](&fp[pc[1]], &fp[pc[2]]);
    NEXT(4);
}
CASE(VOP_SIMD_BIN)
{
    simd_bin_fns[pc[4]](&fp[pc[1]], &fp[pc[2]], &fp[pc[3]]);
    NEXT(5);
}
CASE(VOP_SIMD_SHIFT)
{
    simd_shift_fns[pc[4]](&fp[pc[1]], &fp[pc[2]], U32(3));
    NEXT(5);
}
CASE(VOP_SIMD_RED)
{
    R(1) = simd_red_fns[pc[3]](&fp[pc[2]]);
    NEXT(4);
}

#undef VGET
#undef VPUT
#undef SIMD_SPLAT
#undef SIMD_EXTRACT
#undef SIMD_REPLACE
#undef SIMD_EA
#undef SIMD_LOAD
#undef SIMD_LOAD_LANE
#undef SIMD_STORE_LANE
