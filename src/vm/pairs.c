/* pairs.c - loop tails and pairs: two interpreter instructions in a row
 * given one handler (iops.h VM_TAILS, VM_PAIRS; docs/interpreter.md).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../alloc.h"
#include "../config.h" /* MANTLE_ENABLE_FUSION */
#include "iops.h"
#include "vm.h"

/* A VOP_ADDLOOP_I32Ne at `start` right after the instruction at
 * `tail_start`, with no label between (the caller checks): when VM_TAILS
 * lists that instruction, its handler cell becomes the tail's. Its cells
 * and the loop close's stay where they are. */
bool vm_join_tail(vm_cell *code, uint32_t tail_start, uint32_t start)
{
    vm_cell *c = &code[tail_start];
#define X(name, first, len)                                                   \
    if (*c == vm_op_cell(first) && tail_start + (len) == start) {             \
        *c = vm_op_cell(VOP_TAIL_##name);                                     \
        return true;                                                          \
    }
    VM_TAILS(X)
#undef X
    return false;
}

/* The pair instruction for `a` followed by `b` (VM_PAIRS) of class
 * `ctl` (iops.h: 1 the second is a branch, call or return, 0 not, 2 the
 * second is itself a pair); or 0. */
static uint32_t pair_op(vm_cell a, vm_cell b, int ctl)
{
#define X(name, first, second, c)                                             \
    if ((c) == ctl && a == vm_op_cell(first) && b == vm_op_cell(second))      \
        return VOP_PAIR_##name;
    VM_PAIRS(X)
#undef X
    return 0;
}

static unsigned is_lx2(vm_cell c)
{
    return c == vm_op_cell(VOP_LX2_F64Add) ||
           c == vm_op_cell(VOP_LX2_F64Add_d) ||
           c == vm_op_cell(VOP_LX2_F64Add_a) ||
           c == vm_op_cell(VOP_LX2_F64Add_da);
}

/* Join the pairs VM_PAIRS lists in a function's final code (every
 * accumulator variant decided): an instruction whose successor is no
 * branch target (`labels`, the positions branches jump to) gets the
 * pair's handler cell, which runs its own body and then goes straight to
 * the successor's handler, one dispatch fewer. The cells stay where they
 * are. Instruction starts are the pc map's entries, but for the one lx2
 * adds for its second load. Pairs into a branch, call or return are
 * joined first, then the others; an instruction is the first of one pair
 * at most and the second of one at most. Last, chains: an instruction
 * not yet in a pair joins the pair that follows it (ctl 2), so three
 * instructions run with one dispatch. Only an optimisation: without
 * memory for its bitmaps it does nothing. */
void vm_join_pairs(const mantle_allocator *a, vm_cell *code, uint32_t ncode,
                   const vm_pcmap *pcmap, uint32_t npcmap,
                   const uint32_t *labels, uint32_t nlabels)
{
    if (!MANTLE_ENABLE_FUSION || npcmap < 2)
        return;
    uint32_t *is_label = mt_calloc(a, ncode / 32 + 1, sizeof *is_label);
    uint8_t *used = mt_calloc(a, npcmap, 1);
    if (!is_label || !used) {
        mt_free(a, is_label);
        mt_free(a, used);
        return;
    }
    for (uint32_t i = 0; i < nlabels; i++)
        if (labels[i] < ncode)
            is_label[labels[i] / 32] |= 1u << (labels[i] % 32);
    /* used: 1 first of a pair, 2 second of one, 3 both (a chain). */
    static const int order[] = {1, 0, 2};
    for (unsigned k = 0; k < sizeof order / sizeof order[0]; k++) {
        int ctl = order[k];
        uint32_t i = 0;
        while (i < npcmap) {
            uint32_t at = pcmap[i].pc;
            uint32_t j = i + 1 + is_lx2(code[at]);
            if (j >= npcmap)
                break;
            uint32_t b = pcmap[j].pc, p;
            bool free_j = ctl == 2 ? used[j] == 1 : !used[j];
            if (!used[i] && free_j && !(is_label[b / 32] >> (b % 32) & 1) &&
                (p = pair_op(code[at], code[b], ctl)) != 0) {
                code[at] = vm_op_cell(p);
                used[i] = 1;
                used[j] |= 2;
            }
            i = j;
        }
    }
    mt_free(a, is_label);
    mt_free(a, used);
}
