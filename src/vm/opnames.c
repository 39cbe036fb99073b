/* opnames.c - names of the interpreter's internal instructions, for
 * profiles and code dumps.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <string.h>

#include "../config.h" /* MANTLE_ENABLE_FUSION */
#include "iops.h"
#include "vm.h"

static const char *const vop_names[VOP__COUNT - OP__COUNT] = {
    [VOP_BR - OP__COUNT] = "br",
    [VOP_BR_IF - OP__COUNT] = "br_if",
    [VOP_BR_UNLESS - OP__COUNT] = "br_unless",
    [VOP_BR_TABLE - OP__COUNT] = "br_table",
    [VOP_LOOP_CHECK - OP__COUNT] = "loop_check",
    [VOP_RETURN - OP__COUNT] = "return",
    [VOP_RETURN1 - OP__COUNT] = "return1",
    [VOP_CALL - OP__COUNT] = "call",
    [VOP_CALL_INDIRECT - OP__COUNT] = "call_indirect",
    [VOP_COPY - OP__COUNT] = "copy",
    [VOP_COPY_V128 - OP__COUNT] = "copy_v128",
    [VOP_SELECT - OP__COUNT] = "select",
    [VOP_SELECT_V128 - OP__COUNT] = "select_v128",
    [VOP_GLOBAL_GET - OP__COUNT] = "global_get",
    [VOP_GLOBAL_SET - OP__COUNT] = "global_set",
    [VOP_GLOBAL_GET_V128 - OP__COUNT] = "global_get_v128",
    [VOP_GLOBAL_SET_V128 - OP__COUNT] = "global_set_v128",
    [VOP_SIMD_UN - OP__COUNT] = "simd_un",
    [VOP_SIMD_BIN - OP__COUNT] = "simd_bin",
    [VOP_SIMD_SHIFT - OP__COUNT] = "simd_shift",
    [VOP_SIMD_RED - OP__COUNT] = "simd_red",
    [VOP_TABLE_GET - OP__COUNT] = "table_get",
    [VOP_TABLE_SET - OP__COUNT] = "table_set",
    [VOP_TABLE_SIZE - OP__COUNT] = "table_size",
    [VOP_TABLE_GROW - OP__COUNT] = "table_grow",
    [VOP_TABLE_FILL - OP__COUNT] = "table_fill",
    [VOP_TABLE_COPY - OP__COUNT] = "table_copy",
    [VOP_TABLE_INIT - OP__COUNT] = "table_init",
    [VOP_ELEM_DROP - OP__COUNT] = "elem_drop",
    [VOP_MEMORY_SIZE - OP__COUNT] = "memory_size",
    [VOP_MEMORY_GROW - OP__COUNT] = "memory_grow",
    [VOP_MEMORY_INIT - OP__COUNT] = "memory_init",
    [VOP_DATA_DROP - OP__COUNT] = "data_drop",
    [VOP_MEMORY_COPY - OP__COUNT] = "memory_copy",
    [VOP_MEMORY_FILL - OP__COUNT] = "memory_fill",
    [VOP_REF_FUNC - OP__COUNT] = "ref_func",
    [VOP_REF_IS_NULL - OP__COUNT] = "ref_is_null",
    [VOP_UNREACHABLE - OP__COUNT] = "unreachable",
#if MANTLE_ENABLE_FUSION
    [VOP_COPY2 - OP__COUNT] = "copy2",
    [VOP_ADD2 - OP__COUNT] = "add2",
#define X(sym, T, e)                                                          \
    [VOP_BRIF_##sym - OP__COUNT] = "br_if." #sym,                             \
    [VOP_BRUNLESS_##sym - OP__COUNT] = "br_unless." #sym,
    VM_FUSED_CMPS(X)
#undef X
#define X(sym, T, e)                                                          \
    [VOP_ADDBRIF_##sym - OP__COUNT] = "add_br_if." #sym,                      \
    [VOP_ADDBRUNLESS_##sym - OP__COUNT] = "add_br_unless." #sym,
    VM_FUSED_CMPS32(X)
#undef X
#define X(sym, o)                                                             \
    [VOP_OPBRNZ_##sym - OP__COUNT] = "op_br_nz." #sym,                        \
    [VOP_OPBRZ_##sym - OP__COUNT] = "op_br_z." #sym,
    VM_OPBRS(X)
#undef X
#define X(sym, C, T, n, conv) [VOP_LOADX_##sym - OP__COUNT] = "loadx." #sym,
    VM_LOADS(X)
#undef X
#define X(sym, C, T, n, conv) [VOP_STOREX_##sym - OP__COUNT] = "storex." #sym,
    VM_STORES(X)
#undef X
#define X(sym, C, T, e, ST, n, conv) [VOP_OS_##sym - OP__COUNT] = "os." #sym,
    VM_OPSTORES(X)
#undef X
#define X(sym, C, T, e, LT, n, conv, comm) [VOP_LX_##sym - OP__COUNT] = "lx." #sym,
    VM_LOADOPS(X)
#undef X
    [VOP_LX2_F64Add - OP__COUNT] = "lx2.F64Add",
    [VOP_ADDLOOP_I32Ne - OP__COUNT] = "add_loop.I32Ne",
#define X(name, first, len) [VOP_TAIL_##name - OP__COUNT] = "tail." #name,
    VM_TAILS(X)
#undef X
#define X(name, first, second, ctl)                                           \
    [VOP_PAIR_##name - OP__COUNT] = "pair." #name,
    VM_PAIRS(X)
#undef X
#define X(sym, C, T, e, LT, n, conv, comm) [VOP_LT_##sym - OP__COUNT] = "lt." #sym,
    VM_LOADTEES(X)
#undef X
#define VACC(name, base, flags) [name - OP__COUNT] = #name,
    VM_ACC_VARIANTS
#undef VACC
#endif
};

#if MANTLE_ENABLE_FUSION

/* Accumulator variants: base instruction and flags, both ways. */
static const struct {
    uint16_t base, flags;
} acc_info[VOP__COUNT - VOP_ACC_FIRST] = {
#define VACC(name, b, f) [name - VOP_ACC_FIRST] = {b, f},
    VM_ACC_VARIANTS
#undef VACC
};

static const uint16_t acc_fwd[VOP_ACC_FIRST][8] = {
#define VACC(name, b, f) [b][f] = name,
    VM_ACC_VARIANTS
#undef VACC
};

uint32_t vm_acc_variant(uint32_t base, unsigned flags)
{
    if (flags == 0)
        return base;
    if (base >= VOP_ACC_FIRST || flags > 7)
        return 0;
    return acc_fwd[base][flags];
}

uint32_t vm_acc_base(uint32_t op)
{
    if (op >= VOP_ACC_FIRST && op < VOP__COUNT)
        return acc_info[op - VOP_ACC_FIRST].base;
    return op;
}
#else
/* No fusion (config.h): the lowering emits no variant. */
uint32_t vm_acc_variant(uint32_t base, unsigned flags)
{
    return flags == 0 ? base : 0;
}

uint32_t vm_acc_base(uint32_t op)
{
    return op;
}
#endif

const char *vm_op_name(uint32_t op)
{
    if (op < OP__COUNT)
        return wasm_opinfos[op].text;
    if (op < VOP__COUNT && vop_names[op - OP__COUNT])
        return vop_names[op - OP__COUNT];
    return "?";
}

/* Cells an instruction occupies, handler included (code is validated). */
uint32_t vm_op_length(uint32_t op, const vm_cell *pc)
{
    op = vm_acc_base(op);
    if (op < OP__COUNT) {
        const wasm_opinfo *in = &wasm_opinfos[op];
        if (in->code >> 8 == 0xFD) {
            /* iops_simd.h: result, operands, then immediates. */
            uint32_t n = 1 + (wasm_sig_results[in->sig][0] != 0) +
                         (uint32_t)strlen(wasm_sig_params[in->sig]);
            if (in->imm == IMM_MEMARG || in->imm == IMM_MEMARG_LANE)
                n++;
            if (in->imm == IMM_LANE || in->imm == IMM_MEMARG_LANE)
                n++;
            if (in->imm == IMM_SHUFFLE)
                n += 4;
            return n;
        }
        if (in->imm == IMM_MEMARG)
            return 4;
        return wasm_sig_params[in->sig][1] ? 4 : 3;
    }
    switch (op) {
    case VOP_BR: case VOP_LOOP_CHECK: case VOP_RETURN1: case VOP_ELEM_DROP:
    case VOP_DATA_DROP: case VOP_MEMORY_SIZE:
        return 2;
    case VOP_RETURN: case VOP_UNREACHABLE:
        return 1;
    case VOP_BR_IF: case VOP_BR_UNLESS: case VOP_CALL: case VOP_COPY:
    case VOP_COPY_V128: case VOP_GLOBAL_GET: case VOP_GLOBAL_SET:
    case VOP_GLOBAL_GET_V128: case VOP_GLOBAL_SET_V128:
    case VOP_TABLE_SIZE: case VOP_MEMORY_GROW: case VOP_REF_FUNC:
    case VOP_REF_IS_NULL:
        return 3;
    case VOP_BR_TABLE:
        return 4 + pc[2];
    case VOP_TABLE_GET: case VOP_TABLE_SET: case VOP_MEMORY_COPY:
    case VOP_MEMORY_FILL: case VOP_SIMD_UN: case VOP_SIMD_RED:
        return 4;
    case VOP_ADD2:
        return 7;
    case VOP_CALL_INDIRECT: case VOP_SELECT: case VOP_SELECT_V128:
    case VOP_SIMD_BIN: case VOP_SIMD_SHIFT:
    case VOP_TABLE_GROW: case VOP_COPY2:
    case VOP_TABLE_FILL: case VOP_MEMORY_INIT:
        return 5;
    case VOP_TABLE_COPY: case VOP_TABLE_INIT:
        return 6;
    default:
        if (op == VOP_LX2_F64Add)
            return 8;
        if (op == VOP_ADDLOOP_I32Ne)
            return 6;
#if MANTLE_ENABLE_FUSION
#define X(name, first, len)                                                   \
    if (op == VOP_TAIL_##name)                                                \
        return (len) + 6;
        VM_TAILS(X)
#undef X
#define X(name, first, second, ctl)                                           \
    if (op == VOP_PAIR_##name)                                                \
        return vm_op_length(first, pc);
        VM_PAIRS(X)
#undef X
#endif
        if (op >= VOP_LT_F64Add && op < VOP_ACC_FIRST)
            return 7;
        if (op >= VOP_ADDBRIF_I32Eq && op < VOP_ACC_FIRST)
            return 6;
        return op >= VOP_BRIF_I32Eq && op < VOP_LOADX_I32Load ? 4 : 5;
    }
}

/* Print lowered code, one instruction a line: position, name, operands.
 * `ops` are the opcodes of the cells (the handler cells hold offsets in
 * computed-goto builds, so the caller passes a decoder). */
void vm_code_dump(FILE *out, const vm_code *code,
                  uint32_t (*op_of)(vm_cell cell))
{
    fprintf(out, "func %u: %u cells, params %u, results %u, locals at %u (%u), "
                 "consts at %u (%u), frame %u slots\n",
            code->func_index, code->ncells, code->nparams, code->nresults,
            code->locals_start, code->nlocal_slots, code->consts_start,
            code->nconsts, code->frame_slots);
    for (uint32_t pc = 0; pc < code->ncells;) {
        uint32_t op = op_of(code->cells[pc]);
        uint32_t n = vm_op_length(op, code->cells + pc);
        fprintf(out, "  %5u  %-22s", pc, vm_op_name(op));
        for (uint32_t i = 1; i < n && pc + i < code->ncells; i++)
            fprintf(out, " %u", code->cells[pc + i]);
        fputc('\n', out);
        pc += n;
    }
}
