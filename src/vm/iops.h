/* iops.h - the interpreter's internal instruction set.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Numeric, conversion and memory instructions keep their opcodes.def
 * numbers (wasm_op) and have the operand layouts below; control flow,
 * variables and calls are rewritten into the VOP_* instructions that
 * follow OP__COUNT. Every instruction is a handler cell followed by
 * operand cells; "s" operands are frame slot indices, "t" are code
 * positions (cell indices), "k" are plain numbers.
 *
 *   unary  (sig x_y)        op s:dst s:a                    3 cells
 *   binary (sig xy_z)       op s:dst s:a s:b                4 cells
 *   load                    op s:dst s:addr k:offset        4 cells
 *   store                   op s:addr s:value k:offset      4 cells
 *
 * SIMD instructions (0xFD) have the layouts listed in iops_simd.h.
 *
 * Fused forms (loadx/storex, load-operators, add-and-branch, add2, copy2)
 * and the accumulator variants of hot instructions follow; see
 * docs/interpreter.md, "Fusion" and "Accumulator".
 */
#ifndef MANTLE_VM_IOPS_H
#define MANTLE_VM_IOPS_H

#include "module.h"

/* i32/i64 comparisons that fuse with a following br_if / if: sym, C type
 * of the operands a and b, condition. i32.and fuses as a bit test
 * (`if (flags & X)`); i32.sub and i32.xor tested for non-zero become
 * I32Ne (lower.c, emit_cond_jump). */
#define VM_FUSED_CMPS32(X)                                                    \
    X(I32Eq, uint32_t, a == b) X(I32Ne, uint32_t, a != b)                     \
    X(I32LtS, int32_t, a < b) X(I32LtU, uint32_t, a < b)                      \
    X(I32GtS, int32_t, a > b) X(I32GtU, uint32_t, a > b)                      \
    X(I32LeS, int32_t, a <= b) X(I32LeU, uint32_t, a <= b)                    \
    X(I32GeS, int32_t, a >= b) X(I32GeU, uint32_t, a >= b)
#define VM_FUSED_CMPS(X)                                                      \
    VM_FUSED_CMPS32(X)                                                        \
    X(I64Eq, uint64_t, a == b) X(I64Ne, uint64_t, a != b)                     \
    X(I64LtS, int64_t, a < b) X(I64LtU, uint64_t, a < b)                      \
    X(I64GtS, int64_t, a > b) X(I64GtU, uint64_t, a > b)                      \
    X(I64LeS, int64_t, a <= b) X(I64LeU, uint64_t, a <= b)                    \
    X(I64GeS, int64_t, a >= b) X(I64GeU, uint64_t, a >= b)                    \
    X(I32And, uint32_t, (a & b) != 0)

/* An i32 add or sub whose result, kept in a local (local.tee, or
 * local.set and local.get), a br_if / if tests right after: sym, C
 * operator. `op s:dst s:a s:b t:target`, dst = a OP b, branch if dst is
 * non-zero (OPBRNZ) or zero (OPBRZ); 5 cells. A countdown `n -= 1; if
 * (n) continue`. */
#define VM_OPBRS(X) X(I32Add, +) X(I32Sub, -)

/* Memory accesses: sym, accumulator class (see below), C type moved,
 * bytes, conversion (loads: of the loaded v_ into a slot; stores: of the
 * slot value s_ into the C type). LE16/32/64 are defined where the list
 * is expanded. */
#define VM_LOADS(X)                                                           \
    X(I32Load, I, uint32_t, 4, LE32(v_))                                      \
    X(I64Load, I, uint64_t, 8, LE64(v_))                                      \
    X(F32Load, I, uint32_t, 4, LE32(v_))                                      \
    X(F64Load, F, uint64_t, 8, LE64(v_))                                      \
    X(I32Load8S, I, int8_t, 1, (uint32_t)(int32_t)v_)                         \
    X(I32Load8U, I, uint8_t, 1, v_)                                           \
    X(I32Load16S, I, uint16_t, 2, (uint32_t)(int32_t)(int16_t)LE16(v_))       \
    X(I32Load16U, I, uint16_t, 2, LE16(v_))                                   \
    X(I64Load8S, I, int8_t, 1, (uint64_t)(int64_t)v_)                         \
    X(I64Load8U, I, uint8_t, 1, v_)                                           \
    X(I64Load16S, I, uint16_t, 2, (uint64_t)(int64_t)(int16_t)LE16(v_))       \
    X(I64Load16U, I, uint16_t, 2, LE16(v_))                                   \
    X(I64Load32S, I, uint32_t, 4, (uint64_t)(int64_t)(int32_t)LE32(v_))       \
    X(I64Load32U, I, uint32_t, 4, LE32(v_))
#define VM_STORES(X)                                                          \
    X(I32Store, I, uint32_t, 4, LE32((uint32_t)s_))                           \
    X(I64Store, I, uint64_t, 8, LE64(s_))                                     \
    X(F32Store, I, uint32_t, 4, LE32((uint32_t)s_))                           \
    X(F64Store, F, uint64_t, 8, LE64(s_))                                     \
    X(I32Store8, I, uint8_t, 1, (uint8_t)s_)                                  \
    X(I32Store16, I, uint16_t, 2, LE16((uint16_t)s_))                         \
    X(I64Store8, I, uint8_t, 1, (uint8_t)s_)                                  \
    X(I64Store16, I, uint16_t, 2, LE16((uint16_t)s_))                         \
    X(I64Store32, I, uint32_t, 4, LE32((uint32_t)s_))

/* SIMD lane operators (src/vm/simd.h, simd_<sym>) by operand layout. The
 * interpreter runs each list through one instruction, VOP_SIMD_UN ...
 * VOP_SIMD_RED, whose last operand indexes a table of out-of-line
 * functions (interp.c): 191 handlers of their own would make vm_interp
 * much larger (and slow to compile under the sanitizers) for nothing. */
#define SIMD_UNOPS(X)                                                 \
    X(V128Not) X(F32x4DemoteF64x2Zero) X(F64x2PromoteLowF32x4) X(I8x16Abs) \
    X(I8x16Neg) X(I8x16Popcnt) X(F32x4Ceil) X(F32x4Floor) X(F32x4Trunc)    \
    X(F32x4Nearest) X(F64x2Ceil) X(F64x2Floor) X(F64x2Trunc)               \
    X(I16x8ExtaddPairwiseI8x16S) X(I16x8ExtaddPairwiseI8x16U)              \
    X(I32x4ExtaddPairwiseI16x8S) X(I32x4ExtaddPairwiseI16x8U) X(I16x8Abs)  \
    X(I16x8Neg) X(I16x8ExtendLowI8x16S) X(I16x8ExtendHighI8x16S)           \
    X(I16x8ExtendLowI8x16U) X(I16x8ExtendHighI8x16U) X(F64x2Nearest)       \
    X(I32x4Abs) X(I32x4Neg) X(I32x4ExtendLowI16x8S)                        \
    X(I32x4ExtendHighI16x8S) X(I32x4ExtendLowI16x8U)                       \
    X(I32x4ExtendHighI16x8U) X(I64x2Abs) X(I64x2Neg)                       \
    X(I64x2ExtendLowI32x4S) X(I64x2ExtendHighI32x4S)                       \
    X(I64x2ExtendLowI32x4U) X(I64x2ExtendHighI32x4U) X(F32x4Abs)           \
    X(F32x4Neg) X(F32x4Sqrt) X(F64x2Abs) X(F64x2Neg) X(F64x2Sqrt)          \
    X(I32x4TruncSatF32x4S) X(I32x4TruncSatF32x4U) X(F32x4ConvertI32x4S)    \
    X(F32x4ConvertI32x4U) X(I32x4TruncSatF64x2SZero)                       \
    X(I32x4TruncSatF64x2UZero) X(F64x2ConvertLowI32x4S)                    \
    X(F64x2ConvertLowI32x4U)

#define SIMD_BINOPS(X)                                                \
    X(I8x16Swizzle) X(I8x16Eq) X(I8x16Ne) X(I8x16LtS) X(I8x16LtU)          \
    X(I8x16GtS) X(I8x16GtU) X(I8x16LeS) X(I8x16LeU) X(I8x16GeS)            \
    X(I8x16GeU) X(I16x8Eq) X(I16x8Ne) X(I16x8LtS) X(I16x8LtU) X(I16x8GtS)  \
    X(I16x8GtU) X(I16x8LeS) X(I16x8LeU) X(I16x8GeS) X(I16x8GeU) X(I32x4Eq) \
    X(I32x4Ne) X(I32x4LtS) X(I32x4LtU) X(I32x4GtS) X(I32x4GtU) X(I32x4LeS) \
    X(I32x4LeU) X(I32x4GeS) X(I32x4GeU) X(F32x4Eq) X(F32x4Ne) X(F32x4Lt)   \
    X(F32x4Gt) X(F32x4Le) X(F32x4Ge) X(F64x2Eq) X(F64x2Ne) X(F64x2Lt)      \
    X(F64x2Gt) X(F64x2Le) X(F64x2Ge) X(V128And) X(V128Andnot) X(V128Or)    \
    X(V128Xor) X(I8x16NarrowI16x8S) X(I8x16NarrowI16x8U) X(I8x16Add)       \
    X(I8x16AddSatS) X(I8x16AddSatU) X(I8x16Sub) X(I8x16SubSatS)            \
    X(I8x16SubSatU) X(I8x16MinS) X(I8x16MinU) X(I8x16MaxS) X(I8x16MaxU)    \
    X(I8x16AvgrU) X(I16x8Q15mulrSatS) X(I16x8NarrowI32x4S)                 \
    X(I16x8NarrowI32x4U) X(I16x8Add) X(I16x8AddSatS) X(I16x8AddSatU)       \
    X(I16x8Sub) X(I16x8SubSatS) X(I16x8SubSatU) X(I16x8Mul) X(I16x8MinS)   \
    X(I16x8MinU) X(I16x8MaxS) X(I16x8MaxU) X(I16x8AvgrU)                   \
    X(I16x8ExtmulLowI8x16S) X(I16x8ExtmulHighI8x16S)                       \
    X(I16x8ExtmulLowI8x16U) X(I16x8ExtmulHighI8x16U) X(I32x4Add)           \
    X(I32x4Sub) X(I32x4Mul) X(I32x4MinS) X(I32x4MinU) X(I32x4MaxS)         \
    X(I32x4MaxU) X(I32x4DotI16x8S) X(I32x4ExtmulLowI16x8S)                 \
    X(I32x4ExtmulHighI16x8S) X(I32x4ExtmulLowI16x8U)                       \
    X(I32x4ExtmulHighI16x8U) X(I64x2Add) X(I64x2Sub) X(I64x2Mul)           \
    X(I64x2Eq) X(I64x2Ne) X(I64x2LtS) X(I64x2GtS) X(I64x2LeS) X(I64x2GeS)  \
    X(I64x2ExtmulLowI32x4S) X(I64x2ExtmulHighI32x4S)                       \
    X(I64x2ExtmulLowI32x4U) X(I64x2ExtmulHighI32x4U) X(F32x4Add)           \
    X(F32x4Sub) X(F32x4Mul) X(F32x4Div) X(F32x4Min) X(F32x4Max)            \
    X(F32x4Pmin) X(F32x4Pmax) X(F64x2Add) X(F64x2Sub) X(F64x2Mul)          \
    X(F64x2Div) X(F64x2Min) X(F64x2Max) X(F64x2Pmin) X(F64x2Pmax)

#define SIMD_SHIFTOPS(X)                                              \
    X(I8x16Shl) X(I8x16ShrS) X(I8x16ShrU) X(I16x8Shl) X(I16x8ShrS)         \
    X(I16x8ShrU) X(I32x4Shl) X(I32x4ShrS) X(I32x4ShrU) X(I64x2Shl)         \
    X(I64x2ShrS) X(I64x2ShrU)

#define SIMD_REDOPS(X)                                                \
    X(V128AnyTrue) X(I8x16AllTrue) X(I8x16Bitmask) X(I16x8AllTrue)         \
    X(I16x8Bitmask) X(I32x4AllTrue) X(I32x4Bitmask) X(I64x2AllTrue)        \
    X(I64x2Bitmask)

#define X(sym) SIMD_UN_##sym,
enum { SIMD_UNOPS(X) SIMD_UN__COUNT };
#undef X
#define X(sym) SIMD_BIN_##sym,
enum { SIMD_BINOPS(X) SIMD_BIN__COUNT };
#undef X
#define X(sym) SIMD_SHIFT_##sym,
enum { SIMD_SHIFTOPS(X) SIMD_SHIFT__COUNT };
#undef X
#define X(sym) SIMD_RED_##sym,
enum { SIMD_REDOPS(X) SIMD_RED__COUNT };
#undef X

/* The accumulator (docs/interpreter.md, "Accumulator"). A value produced
 * by one instruction and consumed only by the very next one need not go
 * through its slot: the producer's variant with VM_K_DST writes it to a
 * register-held accumulator and the consumer's variant with VM_K_A or
 * VM_K_B reads its first or second source operand from there. Variants
 * keep the base instruction's layout; the cell of an accumulator operand
 * still names the slot but is not used. Class I values live in a uint64_t
 * in slot form, class F (f64) values in a double.
 *
 * Binary operators with accumulator variants: sym, class, C operand
 * type, result expression of operands x and y. */
enum { VM_K_DST = 1, VM_K_A = 2, VM_K_B = 4 };

#define VM_ACC_BINS(X)                                                        \
    X(I32Add, I, uint32_t, x + y)                                             \
    X(I32Sub, I, uint32_t, x - y)                                             \
    X(I32Mul, I, uint32_t, x * y)                                             \
    X(I32And, I, uint32_t, x & y)                                             \
    X(I32Or, I, uint32_t, x | y)                                              \
    X(I32Xor, I, uint32_t, x ^ y)                                             \
    X(I32Shl, I, uint32_t, x << (y & 31))                                     \
    X(I32ShrS, I, uint32_t, (uint32_t)((int32_t)x >> (y & 31)))               \
    X(I32ShrU, I, uint32_t, x >> (y & 31))                                    \
    X(I32Rotl, I, uint32_t, rotl32(x, y))                                     \
    X(I32Rotr, I, uint32_t, rotr32(x, y))                                     \
    X(I32Eq, I, uint32_t, x == y)                                             \
    X(I32Ne, I, uint32_t, x != y)                                             \
    X(I32LtS, I, uint32_t, (int32_t)x < (int32_t)y)                           \
    X(I32LtU, I, uint32_t, x < y)                                             \
    X(I32GtS, I, uint32_t, (int32_t)x > (int32_t)y)                           \
    X(I32GtU, I, uint32_t, x > y)                                             \
    X(I32LeS, I, uint32_t, (int32_t)x <= (int32_t)y)                          \
    X(I32LeU, I, uint32_t, x <= y)                                            \
    X(I32GeS, I, uint32_t, (int32_t)x >= (int32_t)y)                          \
    X(I32GeU, I, uint32_t, x >= y)                                            \
    X(I64Add, I, uint64_t, x + y)                                             \
    X(I64Sub, I, uint64_t, x - y)                                             \
    X(I64Mul, I, uint64_t, x * y)                                             \
    X(I64And, I, uint64_t, x & y)                                             \
    X(I64Or, I, uint64_t, x | y)                                              \
    X(I64Xor, I, uint64_t, x ^ y)                                             \
    X(I64Shl, I, uint64_t, x << (y & 63))                                     \
    X(I64ShrS, I, uint64_t, (uint64_t)((int64_t)x >> (y & 63)))               \
    X(I64ShrU, I, uint64_t, x >> (y & 63))                                    \
    X(I64Rotl, I, uint64_t, rotl64(x, y))                                     \
    X(I64Rotr, I, uint64_t, rotr64(x, y))                                     \
    X(I64Eq, I, uint64_t, x == y)                                             \
    X(I64Ne, I, uint64_t, x != y)                                             \
    X(I64LtS, I, uint64_t, (int64_t)x < (int64_t)y)                           \
    X(I64LtU, I, uint64_t, x < y)                                             \
    X(I64GtS, I, uint64_t, (int64_t)x > (int64_t)y)                           \
    X(I64GtU, I, uint64_t, x > y)                                             \
    X(I64LeS, I, uint64_t, (int64_t)x <= (int64_t)y)                          \
    X(I64LeU, I, uint64_t, x <= y)                                            \
    X(I64GeS, I, uint64_t, (int64_t)x >= (int64_t)y)                          \
    X(I64GeU, I, uint64_t, x >= y)                                            \
    X(F64Add, F, double, x + y)                                               \
    X(F64Sub, F, double, x - y)                                               \
    X(F64Mul, F, double, x * y)                                               \
    X(F64Div, F, double, x / y)

/* Binary operators fused with the load of their second operand (or of
 * either, when they commute): `op s:dst s:a s:x s:y k:offset`, dst = a op
 * load(x + y + offset), the address add wrapping as in Wasm; 6 cells.
 * sym, class, operand type, result expression (x: a, y: the loaded
 * value), C type loaded, bytes, conversion of the loaded v_, commutes. */
#define VM_LOADOPS(X)                                                         \
    X(F64Add, F, double, x + y, uint64_t, 8, f64_of(LE64(v_)), 1)             \
    X(F64Sub, F, double, x - y, uint64_t, 8, f64_of(LE64(v_)), 0)             \
    X(F64Mul, F, double, x * y, uint64_t, 8, f64_of(LE64(v_)), 1)             \
    X(F64Div, F, double, x / y, uint64_t, 8, f64_of(LE64(v_)), 0)             \
    X(I32Add, I, uint32_t, x + y, uint32_t, 4, LE32(v_), 1)                   \
    X(I32Sub, I, uint32_t, x - y, uint32_t, 4, LE32(v_), 0)                   \
    X(I32Mul, I, uint32_t, x * y, uint32_t, 4, LE32(v_), 1)                   \
    X(I32And, I, uint32_t, x & y, uint32_t, 4, LE32(v_), 1)                   \
    X(I32Or, I, uint32_t, x | y, uint32_t, 4, LE32(v_), 1)                    \
    X(I32Xor, I, uint32_t, x ^ y, uint32_t, 4, LE32(v_), 1)                   \
    X(I64Add, I, uint64_t, x + y, uint64_t, 8, LE64(v_), 1)                   \
    X(I64Sub, I, uint64_t, x - y, uint64_t, 8, LE64(v_), 0)                   \
    X(I64Mul, I, uint64_t, x * y, uint64_t, 8, LE64(v_), 1)                   \
    X(I64And, I, uint64_t, x & y, uint64_t, 8, LE64(v_), 1)                   \
    X(I64Or, I, uint64_t, x | y, uint64_t, 8, LE64(v_), 1)                    \
    X(I64Xor, I, uint64_t, x ^ y, uint64_t, 8, LE64(v_), 1)

/* The f64 load-operators also take their address operand x from the
 * integer accumulator (flag VM_K_B; the f64 one may still hold a), which
 * an `add2` writes from its first add (VOP_ADD2_x): a base address
 * computed at a loop's top then reaches the first load without a round
 * trip through its slot. */
#define VM_LOADOPS_XACC(X)                                                    \
    X(F64Add, x + y) X(F64Sub, x - y) X(F64Mul, x * y) X(F64Div, x / y)
/* The same for the f64 load-tees and lx2. Flags 6 (`_ab`) and 7
 * (`_dab`) take a from `facc` and x from `acc` at once: in a stencil's
 * sum the base address stays in `acc` from the first load-operator to
 * the last (link_xchain, lower_fuse.c). */
#define VM_LOADTEES_XACC(X) X(F64Add, x + y) X(F64Sub, x - y) X(F64Mul, x * y)

/* Two f64.add load-operators in a row, the second adding to the first's
 * result a value loaded from the same base slot x: `op s:dst s:a s:x
 * s:y1 k:off1 s:y2 k:off2`, dst = (a + load(x + y1 + off1)) + load(x +
 * y2 + off2); 8 cells (a stencil's sum). A trap in the second load
 * reports the position of y2, which the pc map gives its Wasm offset. */

/* Load-operators whose loaded value a `local.tee` (or `local.set` and
 * `local.get`) also keeps in a local: `op s:dst s:a s:x s:y k:offset
 * s:local`, local = v = load(x + y + offset), then dst = a op v (in that
 * order); 7 cells. sym, class, operand type, result expression (x: a, y:
 * v), C type loaded, bytes, slot form of the loaded v_, commutes. */
#define VM_LOADTEES(X)                                                        \
    X(F64Add, F, double, x + y, uint64_t, 8, LE64(v_), 1)                     \
    X(F64Sub, F, double, x - y, uint64_t, 8, LE64(v_), 0)                     \
    X(F64Mul, F, double, x * y, uint64_t, 8, LE64(v_), 1)                     \
    X(I32Add, I, uint32_t, x + y, uint32_t, 4, LE32(v_), 1)                   \
    X(I64Add, I, uint64_t, x + y, uint64_t, 8, LE64(v_), 1)

/* Binary operators whose result the next instruction stores, full width,
 * and nobody else reads: `op s:a s:b s:addr k:offset`, store(addr +
 * offset) = a op b; 5 cells. sym, class, operand type, result as slot
 * bits (x, y the operands), C type stored, bytes, conversion of s_. */
#define VM_OPSTORES_F64(X)                                                    \
    X(F64Add, F, double, bits_f64(x + y), uint64_t, 8, LE64(s_))              \
    X(F64Sub, F, double, bits_f64(x - y), uint64_t, 8, LE64(s_))              \
    X(F64Mul, F, double, bits_f64(x * y), uint64_t, 8, LE64(s_))              \
    X(F64Div, F, double, bits_f64(x / y), uint64_t, 8, LE64(s_))
#define VM_OPSTORES(X)                                                        \
    VM_OPSTORES_F64(X)                                                        \
    X(I32Add, I, uint32_t, x + y, uint32_t, 4, LE32((uint32_t)s_))            \
    X(I32Sub, I, uint32_t, x - y, uint32_t, 4, LE32((uint32_t)s_))            \
    X(I32And, I, uint32_t, x & y, uint32_t, 4, LE32((uint32_t)s_))            \
    X(I32Or, I, uint32_t, x | y, uint32_t, 4, LE32((uint32_t)s_))             \
    X(I32Xor, I, uint32_t, x ^ y, uint32_t, 4, LE32((uint32_t)s_))            \
    X(I64Add, I, uint64_t, x + y, uint64_t, 8, LE64(s_))                      \
    X(I64Sub, I, uint64_t, x - y, uint64_t, 8, LE64(s_))                      \
    X(I64And, I, uint64_t, x & y, uint64_t, 8, LE64(s_))                      \
    X(I64Or, I, uint64_t, x | y, uint64_t, 8, LE64(s_))                       \
    X(I64Xor, I, uint64_t, x ^ y, uint64_t, 8, LE64(s_))

/* Every accumulator variant, as VACC(name, base instruction, flags):
 * expand after defining a macro named VACC. */
#define VM_ACC_BIN_V_(sym, C, T, e)                                           \
    VACC(VOP_K_##sym##_d, OP_##sym, 1) VACC(VOP_K_##sym##_a, OP_##sym, 2)    \
    VACC(VOP_K_##sym##_da, OP_##sym, 3) VACC(VOP_K_##sym##_b, OP_##sym, 4)   \
    VACC(VOP_K_##sym##_db, OP_##sym, 5)
#define VM_ACC_LOAD_V_(sym, C, T, n, conv)                                    \
    VACC(VOP_K_##sym##_d, OP_##sym, 1) VACC(VOP_K_##sym##_a, OP_##sym, 2)    \
    VACC(VOP_K_##sym##_da, OP_##sym, 3)                                       \
    VACC(VOP_KX_##sym##_d, VOP_LOADX_##sym, 1)                                \
    VACC(VOP_KX_##sym##_a, VOP_LOADX_##sym, 2)                                \
    VACC(VOP_KX_##sym##_da, VOP_LOADX_##sym, 3)
#define VM_ACC_STORE_V_(sym, C, T, n, conv)                                   \
    VACC(VOP_K_##sym##_a, OP_##sym, 2) VACC(VOP_K_##sym##_b, OP_##sym, 4)    \
    VACC(VOP_KX_##sym##_a, VOP_STOREX_##sym, 2)                               \
    VACC(VOP_KX_##sym##_b, VOP_STOREX_##sym, 4)
#define VM_ACC_CMP_V_(sym, T, e)                                              \
    VACC(VOP_KBRIF_##sym##_a, VOP_BRIF_##sym, 2)                              \
    VACC(VOP_KBRIF_##sym##_b, VOP_BRIF_##sym, 4)                              \
    VACC(VOP_KBRUNLESS_##sym##_a, VOP_BRUNLESS_##sym, 2)                      \
    VACC(VOP_KBRUNLESS_##sym##_b, VOP_BRUNLESS_##sym, 4)
#define VM_ACC_LOADOP_V_(sym, C, T, e, LT, n, conv, comm)                     \
    VACC(VOP_LX_##sym##_d, VOP_LX_##sym, 1)                                   \
    VACC(VOP_LX_##sym##_a, VOP_LX_##sym, 2)                                   \
    VACC(VOP_LX_##sym##_da, VOP_LX_##sym, 3)
#define VM_ACC_LOADOP_XV_(sym, e)                                             \
    VACC(VOP_LX_##sym##_b, VOP_LX_##sym, 4)                                   \
    VACC(VOP_LX_##sym##_db, VOP_LX_##sym, 5)                                  \
    VACC(VOP_LX_##sym##_ab, VOP_LX_##sym, 6)                                  \
    VACC(VOP_LX_##sym##_dab, VOP_LX_##sym, 7)
#define VM_ACC_LOADTEE_XV_(sym, e)                                            \
    VACC(VOP_LT_##sym##_b, VOP_LT_##sym, 4)                                   \
    VACC(VOP_LT_##sym##_db, VOP_LT_##sym, 5)                                  \
    VACC(VOP_LT_##sym##_ab, VOP_LT_##sym, 6)                                  \
    VACC(VOP_LT_##sym##_dab, VOP_LT_##sym, 7)
#define VM_ACC_LOADTEE_V_(sym, C, T, e, LT, n, conv, comm)                    \
    VACC(VOP_LT_##sym##_d, VOP_LT_##sym, 1)                                   \
    VACC(VOP_LT_##sym##_a, VOP_LT_##sym, 2)                                   \
    VACC(VOP_LT_##sym##_da, VOP_LT_##sym, 3)
#define VM_ACC_OPSTORE_V_(sym, C, T, e, ST, n, conv)                          \
    VACC(VOP_OS_##sym##_a, VOP_OS_##sym, 2)                                   \
    VACC(VOP_OS_##sym##_b, VOP_OS_##sym, 4)
#define VM_ACC_VARIANTS                                                       \
    VM_ACC_BINS(VM_ACC_BIN_V_)                                                \
    VM_OPSTORES(VM_ACC_OPSTORE_V_)                                            \
    VM_LOADOPS(VM_ACC_LOADOP_V_)                                              \
    VM_LOADOPS_XACC(VM_ACC_LOADOP_XV_)                                        \
    VM_LOADTEES(VM_ACC_LOADTEE_V_)                                            \
    VM_LOADTEES_XACC(VM_ACC_LOADTEE_XV_)                                      \
    VM_LOADS(VM_ACC_LOAD_V_)                                                  \
    VM_STORES(VM_ACC_STORE_V_)                                                \
    VM_FUSED_CMPS(VM_ACC_CMP_V_)                                              \
    VACC(VOP_K_BR_IF_a, VOP_BR_IF, 2)                                         \
    VACC(VOP_K_BR_UNLESS_a, VOP_BR_UNLESS, 2)                                 \
    VACC(VOP_LX2_F64Add_d, VOP_LX2_F64Add, 1)                                 \
    VACC(VOP_LX2_F64Add_a, VOP_LX2_F64Add, 2)                                 \
    VACC(VOP_LX2_F64Add_da, VOP_LX2_F64Add, 3)                                \
    VACC(VOP_LX2_F64Add_b, VOP_LX2_F64Add, 4)                                 \
    VACC(VOP_LX2_F64Add_db, VOP_LX2_F64Add, 5)                                \
    VACC(VOP_LX2_F64Add_ab, VOP_LX2_F64Add, 6)                                \
    VACC(VOP_LX2_F64Add_dab, VOP_LX2_F64Add, 7)                               \
    VACC(VOP_ADD2_d, VOP_ADD2, 1)                                             \
    VACC(VOP_ADD2_x, VOP_ADD2, 2)

/* Loop tails: an instruction often found right before a loop's closing
 * `i += k; if (i != n) continue` (VOP_ADDLOOP_I32Ne), its length in
 * cells. The stencils end in an operator-store, loops with two induction
 * variables in add2, Gauss-Seidel's in copy2. */
#define VM_TAILS(X)                                                           \
    X(OS_F64Add_a, VOP_OS_F64Add_a, 5)                                        \
    X(OS_F64Sub_a, VOP_OS_F64Sub_a, 5)                                        \
    X(OS_F64Mul_a, VOP_OS_F64Mul_a, 5)                                        \
    X(OS_F64Div_a, VOP_OS_F64Div_a, 5)                                        \
    X(ADD2, VOP_ADD2, 7)                                                      \
    X(COPY2, VOP_COPY2, 5)

/* Pairs: two instructions in a row, the second no branch target, that
 * the lowering (vm_join_pairs, pairs.c) gives one handler, which runs the
 * first and goes straight to the second's handler: one dispatch fewer.
 * The most frequent pairs of sqlite's profile (opstats): values copied
 * for a branch or a call, a block result added before its branch, the
 * stack pointer update, a load or operator feeding a branch. `ctl`: 1
 * the second is a branch, call or return; these pairs are joined first,
 * as the only ones that measurably paid (docs/interpreter.md); 0 it is
 * not; 2 the second is a pair itself (a chain of three: the stack
 * pointer's update at entry and exit, a load before a byte compare,
 * the add before sqlite's opcode switch), joined last. */
#define VM_PAIRS(X)                                                           \
    X(COPY_BR, VOP_COPY, VOP_BR, 1)                                           \
    X(COPY_CALL, VOP_COPY, VOP_CALL, 1)                                       \
    X(COPY2_COPY, VOP_COPY2, VOP_COPY, 0)                                     \
    X(COPY2_CALL, VOP_COPY2, VOP_CALL, 1)                                     \
    X(I32Add_BR, OP_I32Add, VOP_BR, 1)                                        \
    X(I32Add_GLOBAL_SET, OP_I32Add, VOP_GLOBAL_SET, 0)                        \
    X(I32Sub_GLOBAL_SET, OP_I32Sub, VOP_GLOBAL_SET, 0)                        \
    X(ADD2_OPBRNZ_I32Sub, VOP_ADD2, VOP_OPBRNZ_I32Sub, 1)                     \
    X(I32Load8U_K_I32Load8U_d, OP_I32Load8U, VOP_K_I32Load8U_d, 0)            \
    X(I32Load_K_I32Load_d, OP_I32Load, VOP_K_I32Load_d, 0)                    \
    X(I32Load_I32Load, OP_I32Load, OP_I32Load, 0)                             \
    X(I32Load_BR_UNLESS, OP_I32Load, VOP_BR_UNLESS, 1)                        \
    X(I32Load8U_BR_TABLE, OP_I32Load8U, VOP_BR_TABLE, 1)                      \
    X(K_I32Load8U_d_KBRUNLESS_I32Eq_b,                                       \
      VOP_K_I32Load8U_d, VOP_KBRUNLESS_I32Eq_b, 1)                            \
    X(K_I32Load8U_d_K_BR_UNLESS_a, VOP_K_I32Load8U_d, VOP_K_BR_UNLESS_a, 1)   \
    X(K_I32Load_d_K_BR_UNLESS_a, VOP_K_I32Load_d, VOP_K_BR_UNLESS_a, 1)       \
    X(COPY_CALL_INDIRECT, VOP_COPY, VOP_CALL_INDIRECT, 1)                     \
    X(COPY_BR_UNLESS, VOP_COPY, VOP_BR_UNLESS, 1)                             \
    X(COPY_BR_IF, VOP_COPY, VOP_BR_IF, 1)                                     \
    X(I32And_BR_UNLESS, OP_I32And, VOP_BR_UNLESS, 1)                          \
    X(K_I32Load8S_d_KBRUNLESS_I32GeS_a,                                      \
      VOP_K_I32Load8S_d, VOP_KBRUNLESS_I32GeS_a, 1)                           \
    X(K_I32ShrS_da_KBRUNLESS_I32GeS_a,                                       \
      VOP_K_I32ShrS_da, VOP_KBRUNLESS_I32GeS_a, 1)                            \
    X(K_I32ShrS_da_KBRIF_I32GeS_a, VOP_K_I32ShrS_da, VOP_KBRIF_I32GeS_a, 1)   \
    X(KX_I32Load8U_d_KBRUNLESS_I32And_a,                                     \
      VOP_KX_I32Load8U_d, VOP_KBRUNLESS_I32And_a, 1)                          \
    X(K_I32And_a_BR_UNLESS, VOP_K_I32And_a, VOP_BR_UNLESS, 1)                 \
    X(K_I32Load_d_K_BR_IF_a, VOP_K_I32Load_d, VOP_K_BR_IF_a, 1)               \
    X(K_I64Load_d_KBRUNLESS_I64GtS_b,                                        \
      VOP_K_I64Load_d, VOP_KBRUNLESS_I64GtS_b, 1)                             \
    X(I32Add_CALL, OP_I32Add, VOP_CALL, 1)                                    \
    X(OS_I64Or_b_RETURN1, VOP_OS_I64Or_b, VOP_RETURN1, 1)                     \
    X(K_I32Load16U_d_KBRUNLESS_I32And_a,                                     \
      VOP_K_I32Load16U_d, VOP_KBRUNLESS_I32And_a, 1)                          \
    X(I32Load8U_BR_UNLESS, OP_I32Load8U, VOP_BR_UNLESS, 1)                    \
    X(GLOBAL_SET_RETURN1, VOP_GLOBAL_SET, VOP_RETURN1, 1)                   \
    X(K_I32ShrS_a_BR, VOP_K_I32ShrS_a, VOP_BR, 1)                             \
    X(ADD2_BRUNLESS_I32LtU, VOP_ADD2, VOP_BRUNLESS_I32LtU, 1)                 \
    X(ADD2_BRUNLESS_I32And, VOP_ADD2, VOP_BRUNLESS_I32And, 1)                 \
    X(K_I32Add_a_BRUNLESS_I32GeS, VOP_K_I32Add_a, VOP_BRUNLESS_I32GeS, 1)     \
    X(LOADX_I64Load8U_BR, VOP_LOADX_I64Load8U, VOP_BR, 1)                     \
    X(I32Load_BR, OP_I32Load, VOP_BR, 1)                                      \
    X(I32Load_BR_IF, OP_I32Load, VOP_BR_IF, 1)                                \
    X(I32Add_BRIF_I32LtS, OP_I32Add, VOP_BRIF_I32LtS, 1)                      \
    X(I32Load8U_BR_IF, OP_I32Load8U, VOP_BR_IF, 1)                            \
    X(I32And_BR_IF, OP_I32And, VOP_BR_IF, 1)                                  \
    X(LOADX_I32Load16U_BR_IF, VOP_LOADX_I32Load16U, VOP_BR_IF, 1)             \
    X(K_I32Load8S_d_KBRIF_I32GeS_a, VOP_K_I32Load8S_d, VOP_KBRIF_I32GeS_a, 1) \
    X(COPY2_CALL_INDIRECT, VOP_COPY2, VOP_CALL_INDIRECT, 1)                   \
    X(K_I32Load_d_KBRUNLESS_I32Eq_b,                                         \
      VOP_K_I32Load_d, VOP_KBRUNLESS_I32Eq_b, 1)                              \
    X(KX_I32Load8U_d_KBRIF_I32Ne_b,                                          \
      VOP_KX_I32Load8U_d, VOP_KBRIF_I32Ne_b, 1)                               \
    X(GLOBAL_GET_PAIR_I32Sub_GLOBAL_SET,                                     \
      VOP_GLOBAL_GET, VOP_PAIR_I32Sub_GLOBAL_SET, 2)                          \
    X(I32Add_PAIR_GLOBAL_SET_RETURN1,                                        \
      OP_I32Add, VOP_PAIR_GLOBAL_SET_RETURN1, 2)                              \
    X(I32Load8U_PAIR_K_I32Load8U_d_KBRUNLESS_I32Eq_b,                        \
      OP_I32Load8U, VOP_PAIR_K_I32Load8U_d_KBRUNLESS_I32Eq_b, 2)              \
    X(I64Add_PAIR_I32Load8U_BR_TABLE,                                        \
      OP_I64Add, VOP_PAIR_I32Load8U_BR_TABLE, 2)                              \
    X(K_I32Shl_da_PAIR_K_I32ShrS_da_KBRUNLESS_I32GeS_a, VOP_K_I32Shl_da,     \
      VOP_PAIR_K_I32ShrS_da_KBRUNLESS_I32GeS_a, 2)                            \
    X(K_I32Shl_da_PAIR_K_I32ShrS_da_KBRIF_I32GeS_a, VOP_K_I32Shl_da,         \
      VOP_PAIR_K_I32ShrS_da_KBRIF_I32GeS_a, 2)                                \
    X(K_I32Add_b_PAIR_K_I32Load8U_d_K_BR_UNLESS_a, VOP_K_I32Add_b,           \
      VOP_PAIR_K_I32Load8U_d_K_BR_UNLESS_a, 2)                                \
    X(K_I64Shl_da_PAIR_OS_I64Or_b_RETURN1, VOP_K_I64Shl_da,                  \
      VOP_PAIR_OS_I64Or_b_RETURN1, 2)                                         \
    X(COPY2_PAIR_COPY_CALL, VOP_COPY2, VOP_PAIR_COPY_CALL, 2)                 \
    X(K_I32Add_d_PAIR_K_I32ShrS_a_BR, VOP_K_I32Add_d,                        \
      VOP_PAIR_K_I32ShrS_a_BR, 2)                                             \
    X(K_I32Add_d_PAIR_K_I32Add_a_BRUNLESS_I32GeS, VOP_K_I32Add_d,            \
      VOP_PAIR_K_I32Add_a_BRUNLESS_I32GeS, 2)                                 \
    X(K_I64Store32_b_PAIR_ADD2_BRUNLESS_I32LtU, VOP_K_I64Store32_b,          \
      VOP_PAIR_ADD2_BRUNLESS_I32LtU, 2)                                       \
    X(I32Add_PAIR_LOADX_I64Load8U_BR, OP_I32Add,                             \
      VOP_PAIR_LOADX_I64Load8U_BR, 2)

enum {
    VOP_BR = OP__COUNT,  /* t:target                              2 */
    VOP_BR_IF,           /* s:cond t:target                       3 */
    VOP_BR_UNLESS,       /* s:cond t:target                       3 */
    VOP_BR_TABLE,        /* s:index k:n t[n+1] (last: default)  3+n+1 */
    VOP_LOOP_CHECK,      /* k:fuel cost (fuel and interrupt)      2 */
    VOP_RETURN,          /* results already in slots 0..n-1       1 */
    VOP_RETURN1,         /* s:result                              2 */
    VOP_CALL,            /* k:func k:base                         3 */
    VOP_CALL_INDIRECT,   /* k:type k:table k:base s:elem          5 */
    VOP_COPY,            /* s:dst s:src                           3 */
    VOP_COPY_V128,       /* s:dst s:src (two slots)               3 */
    VOP_COPY2,           /* s:d1 s:s1 s:d2 s:s2, in that order    5 */
    VOP_ADD2,            /* s:d1 s:a1 s:b1 s:d2 s:a2 s:b2: two
                          * i32.add in that order                 7 */
    VOP_SELECT,          /* s:dst s:a s:b s:cond                  5 */
    VOP_SELECT_V128,     /* the same, two-slot values             5 */
    VOP_GLOBAL_GET,      /* s:dst k:global                        3 */
    VOP_GLOBAL_SET,      /* s:src k:global                        3 */
    VOP_GLOBAL_GET_V128, /* s:dst k:global (two slots)            3 */
    VOP_GLOBAL_SET_V128, /* s:src k:global (two slots)            3 */
    VOP_TABLE_GET,       /* s:dst k:table s:index                 4 */
    VOP_TABLE_SET,       /* k:table s:index s:value               4 */
    VOP_TABLE_SIZE,      /* s:dst k:table                         3 */
    VOP_TABLE_GROW,      /* s:dst k:table s:init s:n              5 */
    VOP_TABLE_FILL,      /* k:table s:d s:value s:n               5 */
    VOP_TABLE_COPY,      /* k:dst k:src s:d s:s s:n               6 */
    VOP_TABLE_INIT,      /* k:table k:elem s:d s:s s:n            6 */
    VOP_ELEM_DROP,       /* k:elem                                2 */
    VOP_MEMORY_SIZE,     /* s:dst                                 2 */
    VOP_MEMORY_GROW,     /* s:dst s:delta                         3 */
    VOP_MEMORY_INIT,     /* k:data s:d s:s s:n                    5 */
    VOP_DATA_DROP,       /* k:data                                2 */
    VOP_MEMORY_COPY,     /* s:d s:s s:n                           4 */
    VOP_MEMORY_FILL,     /* s:d s:value s:n                       4 */
    VOP_REF_FUNC,        /* s:dst k:func                          3 */
    VOP_REF_IS_NULL,     /* s:dst s:a                             3 */
    VOP_UNREACHABLE,     /*                                       1 */
    VOP_SIMD_UN,         /* s:dst s:a k:fn (SIMD_UNOPS)           4 */
    VOP_SIMD_BIN,        /* s:dst s:a s:b k:fn (SIMD_BINOPS)      5 */
    VOP_SIMD_SHIFT,      /* s:dst s:a s:count k:fn (SIMD_SHIFTOPS) 5 */
    VOP_SIMD_RED,        /* s:dst s:a k:fn (SIMD_REDOPS)          4 */
    /* Fused compare-and-branch: s:a s:b t:target, 4 cells. */
#define X(sym, T, e) VOP_BRIF_##sym, VOP_BRUNLESS_##sym,
    VM_FUSED_CMPS(X)
#undef X
    /* Loads and stores whose address is an i32.add of two slots, fused:
     * ea = (uint32_t)(a + b) + offset (the add wraps, as in Wasm).
     *   load:  s:dst s:a s:b k:offset        5 cells
     *   store: s:a s:b s:value k:offset      5 cells */
#define X(sym, C, T, n, conv) VOP_LOADX_##sym,
    VM_LOADS(X)
#undef X
#define X(sym, C, T, n, conv) VOP_STOREX_##sym,
    VM_STORES(X)
#undef X
    /* Operator-stores (above), 5 cells. */
#define X(sym, C, T, e, ST, n, conv) VOP_OS_##sym,
    VM_OPSTORES(X)
#undef X
    /* An i32.add whose result a fused compare-and-branch on i32 tests:
     * s:dst s:a s:b s:c t:target, dst = a + b, branch if dst CMP c;
     * 6 cells. */
#define X(sym, T, e) VOP_ADDBRIF_##sym, VOP_ADDBRUNLESS_##sym,
    VM_FUSED_CMPS32(X)
#undef X
    /* Add or sub into a local, then a branch on it (above). */
#define X(sym, o) VOP_OPBRNZ_##sym, VOP_OPBRZ_##sym,
    VM_OPBRS(X)
#undef X
    /* Load-operators (above), 6 cells. */
#define X(sym, C, T, e, LT, n, conv, comm) VOP_LX_##sym,
    VM_LOADOPS(X)
#undef X
    /* Load-operators keeping the loaded value in a local (above), 7
     * cells. */
#define X(sym, C, T, e, LT, n, conv, comm) VOP_LT_##sym,
    VM_LOADTEES(X)
#undef X
    VOP_LX2_F64Add,      /* (above)                               8 */
    /* add_br_if.I32Ne to a loop, which always jumps backwards:
     * VOP_ADDBRIF_I32Ne's cells, 6. */
    VOP_ADDLOOP_I32Ne,
    /* Tails (VM_TAILS): an instruction that falls through, then the
     * VOP_ADDLOOP_I32Ne right after it, in one dispatch. The cells of both
     * stay as they were (the second handler cell is not read): len + 6. */
#define X(name, first, len) VOP_TAIL_##name,
    VM_TAILS(X)
#undef X
    /* Pairs (VM_PAIRS): the first instruction's handler cell; the cells
     * of both as they were. */
#define X(name, first, second, ctl) VOP_PAIR_##name,
    VM_PAIRS(X)
#undef X
    /* Accumulator variants (above), VOP_ACC_FIRST onwards. */
    VOP_ACC_BEFORE_,
#define VACC(name, base, flags) name,
    VM_ACC_VARIANTS
#undef VACC
    VOP__COUNT
};
#define VOP_ACC_FIRST (VOP_ACC_BEFORE_ + 1)

/* The accumulator variant of instruction `base` with flags VM_K_*, or 0
 * when there is none (flags 0: base itself). */
uint32_t vm_acc_variant(uint32_t base, unsigned flags);
/* The base instruction of any instruction (itself unless a variant). */
uint32_t vm_acc_base(uint32_t op);

#endif
