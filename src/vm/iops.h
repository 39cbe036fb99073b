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
 */
#ifndef MANTLE_VM_IOPS_H
#define MANTLE_VM_IOPS_H

#include "module.h"

/* i32/i64 comparisons that fuse with a following br_if / if. */
#define VM_FUSED_CMPS(X)                                                      \
    X(I32Eq) X(I32Ne) X(I32LtS) X(I32LtU) X(I32GtS) X(I32GtU) X(I32LeS)       \
    X(I32LeU) X(I32GeS) X(I32GeU) X(I64Eq) X(I64Ne) X(I64LtS) X(I64LtU)       \
    X(I64GtS) X(I64GtU) X(I64LeS) X(I64LeU) X(I64GeS) X(I64GeU)

/* Memory accesses: sym, C type moved, bytes, conversion (loads: of the
 * loaded v_ into a slot; stores: of the slot value s_ into the C type).
 * LE16/32/64 are defined where the list is expanded. */
#define VM_LOADS(X)                                                           \
    X(I32Load, uint32_t, 4, LE32(v_))                                         \
    X(I64Load, uint64_t, 8, LE64(v_))                                         \
    X(F32Load, uint32_t, 4, LE32(v_))                                         \
    X(F64Load, uint64_t, 8, LE64(v_))                                         \
    X(I32Load8S, int8_t, 1, (uint32_t)(int32_t)v_)                            \
    X(I32Load8U, uint8_t, 1, v_)                                              \
    X(I32Load16S, uint16_t, 2, (uint32_t)(int32_t)(int16_t)LE16(v_))          \
    X(I32Load16U, uint16_t, 2, LE16(v_))                                      \
    X(I64Load8S, int8_t, 1, (uint64_t)(int64_t)v_)                            \
    X(I64Load8U, uint8_t, 1, v_)                                              \
    X(I64Load16S, uint16_t, 2, (uint64_t)(int64_t)(int16_t)LE16(v_))          \
    X(I64Load16U, uint16_t, 2, LE16(v_))                                      \
    X(I64Load32S, uint32_t, 4, (uint64_t)(int64_t)(int32_t)LE32(v_))          \
    X(I64Load32U, uint32_t, 4, LE32(v_))
#define VM_STORES(X)                                                          \
    X(I32Store, uint32_t, 4, LE32((uint32_t)s_))                              \
    X(I64Store, uint64_t, 8, LE64(s_))                                        \
    X(F32Store, uint32_t, 4, LE32((uint32_t)s_))                              \
    X(F64Store, uint64_t, 8, LE64(s_))                                        \
    X(I32Store8, uint8_t, 1, (uint8_t)s_)                                     \
    X(I32Store16, uint16_t, 2, LE16((uint16_t)s_))                            \
    X(I64Store8, uint8_t, 1, (uint8_t)s_)                                     \
    X(I64Store16, uint16_t, 2, LE16((uint16_t)s_))                            \
    X(I64Store32, uint32_t, 4, LE32((uint32_t)s_))

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
    VOP_SELECT,          /* s:dst s:a s:b s:cond                  5 */
    VOP_GLOBAL_GET,      /* s:dst k:global                        3 */
    VOP_GLOBAL_SET,      /* s:src k:global                        3 */
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
    /* Fused compare-and-branch: s:a s:b t:target, 4 cells. */
#define X(sym) VOP_BRIF_##sym, VOP_BRUNLESS_##sym,
    VM_FUSED_CMPS(X)
#undef X
    /* Loads and stores whose address is an i32.add of two slots, fused:
     * ea = (uint32_t)(a + b) + offset (the add wraps, as in Wasm).
     *   load:  s:dst s:a s:b k:offset        5 cells
     *   store: s:a s:b s:value k:offset      5 cells */
#define X(sym, T, n, conv) VOP_LOADX_##sym,
    VM_LOADS(X)
#undef X
#define X(sym, T, n, conv) VOP_STOREX_##sym,
    VM_STORES(X)
#undef X
    VOP__COUNT
};

#endif
