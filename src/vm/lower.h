/* lower.h - the lowering's state and emission primitives, shared by
 * lower.c (the pass) and lower_fuse.c (its fusions). Internal to src/vm.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_VM_LOWER_H
#define MANTLE_VM_LOWER_H

#include "../config.h" /* MANTLE_ENABLE_FUSION, MANTLE_ENABLE_SIMD */
#include "iops.h"
#include "instr.h"
#include "vm.h"


enum { CTL_FUNC, CTL_BLOCK, CTL_LOOP, CTL_IF, CTL_ELSE };

typedef struct lw_val {
    uint32_t slot;
    uint32_t sh;    /* slot height below the value (v128 takes two) */
    uint8_t type;
} lw_val;

typedef struct lw_ctl {
    uint8_t kind;
    uint32_t height;        /* stack height below the block's params */
    uint32_t sh;            /* the same in slots */
    uint32_t nparams, nresults;
    const uint8_t *params;  /* types */
    const uint8_t *results;
    uint8_t single;         /* storage for a one-type block type */
    uint32_t loop_pc;       /* loop: branch target */
    uint32_t fixups;        /* chain of cells waiting for the end pc */
    uint32_t else_cell;     /* if: cell of the jump to the else branch */
    uint32_t save;          /* if with params: first hidden save slot */
    uint32_t cost;          /* loop/func: Wasm instructions charged */
    uint32_t cost_cell;     /* loop: the cost operand of VOP_LOOP_CHECK */
    uint32_t cost_owner;    /* index of the ctl that pays for our code */
    bool dead;              /* the rest of the block is unreachable */
} lw_ctl;

/* What the previous instruction was, captured before emitting the next:
 * where it starts, and the cell and end of its result as the accumulator
 * linking sees it (link_cell/link_end of lw). */
typedef struct lw_prev {
    uint32_t start, end, dst_cell;
    uint16_t op;
    uint8_t kflags;
} lw_prev;

/* The peephole state of one instruction (see lw), saved so that removing
 * the last instruction restores the one before. */
typedef struct lw_last {
    uint32_t start, end, dst_cell, link_cell, link_end;
    uint16_t op;
    uint8_t kflags;
} lw_last;

typedef struct lw {
    mantle_module *mod;
    const wasm_module *w;
    const mantle_allocator *a;
    uint32_t func_index;
    const wasm_functype *ft;
    const wasm_func *fn;

    /* Frame layout, in slots (a v128 value takes two). */
    uint32_t nparams, nresults;
    uint32_t locals_start, nlocals;
    uint32_t *lslot;         /* slot of each local index, params first */
    uint32_t save_start, nsave, save_used;
    uint32_t consts_start, nconsts;
    uint32_t temps_start;
    uint32_t max_sh;         /* highest slot height of the stack */

    /* Constant pool: open-addressed hash of values to indices. */
    uint64_t *consts;
    uint32_t *hash;          /* const index + 1, 0 empty */
    uint32_t hash_mask;
    /* v128 constants: pairs of slots after the scalar ones, found by a
     * hash of their own (index + 1 into vconsts, 0 empty). */
    uint64_t *vconsts;
    uint32_t nvconsts, vconst_base;
    uint32_t *vhash;
    uint32_t vhash_mask;

    vm_cell *code;
    uint32_t ncode, capcode;
    vm_pcmap *pcmap;
    uint32_t npcmap, cappcmap;

    lw_val *stack;
    uint32_t height, capstack;
    lw_ctl *ctls;
    uint32_t nctls, capctls;

    /* Peephole state: the last emitted value-producing instruction. */
    uint32_t last_start;     /* its first cell */
    uint32_t last_end;       /* code size right after it */
    uint32_t last_dst_cell;  /* its destination operand cell, or 0 */
    uint16_t last_op;        /* its base instruction */
    uint8_t last_kflags;     /* its accumulator flags (VM_K_*) */
    uint32_t link_cell;      /* like last_dst_cell, but kept across a */
    uint32_t link_end;       /* local.set that retargets it */
    lw_last before_last;     /* the same of the instruction before it */
    uint32_t copy_end;       /* code size right after a last plain copy */
    uint32_t tail_start;     /* an instruction VM_TAILS lists, and the */
    uint32_t tail_end;       /* code size right after it (NIL: none) */
    uint32_t *labels;        /* code positions branches jump to */
    uint32_t nlabels, caplabels;

    uint32_t cur_off;        /* byte offset of the current instruction */
    bool oom;
} lw;

#define NIL 0u

/* Slot height below stack entry `h`: entries below it are live or were
 * just popped (pop keeps them), so their slot heights are current. */
static uint32_t sheight(const lw *l, uint32_t h)
{
    if (h == 0)
        return 0;
    const lw_val *v = &l->stack[h - 1];
    return v->sh + wasm_slot_width(v->type);
}

static uint32_t home(const lw *l, uint32_t h)
{
    return l->temps_start + sheight(l, h);
}

static bool is_local_slot(const lw *l, uint32_t slot)
{
    return slot < l->save_start;
}

/* ---- Emission --------------------------------------------------------- */

/* Plain `static`, not `inline`: both files use every one of these, and
 * `inline` would change gcc's inlining in lower.c (its minimal-build
 * object grew by a quarter). */

static void emit(lw *l, vm_cell c)
{
    if (l->ncode == l->capcode &&
        mt_grow(l->a, (void **)&l->code, &l->capcode, l->ncode + 1,
                sizeof *l->code) != 0) {
        l->oom = true;
        return;
    }
    l->code[l->ncode++] = c;
}

#define op_cell vm_op_cell

/* Map code position `pc` (and on, up to the next entry) to Wasm offset
 * `off`. */
static bool pcmap_add(lw *l, uint32_t pc, uint32_t off)
{
    if (l->npcmap == l->cappcmap &&
        mt_grow(l->a, (void **)&l->pcmap, &l->cappcmap, l->npcmap + 1,
                sizeof *l->pcmap) != 0) {
        l->oom = true;
        return false;
    }
    l->pcmap[l->npcmap].pc = pc;
    l->pcmap[l->npcmap].offset = off;
    l->npcmap++;
    return true;
}

/* Start an instruction: the handler cell, and a pc-to-offset entry. */
static void emit_op(lw *l, uint32_t op)
{
    if (!pcmap_add(l, l->ncode, l->cur_off))
        return;
    lw_last b = {l->last_start, l->last_end, l->last_dst_cell, l->link_cell,
                 l->link_end, l->last_op, l->last_kflags};
    l->before_last = b;
    l->last_dst_cell = NIL;
    l->link_cell = NIL;
    l->last_kflags = 0;
    emit(l, op_cell(op));
    l->last_start = l->ncode - 1;
    l->last_op = (uint16_t)op;
}

/* Note that the instruction just emitted wrote its result through the
 * operand cell `dst_cell`, so a following local.set may retarget it. */
static void produced(lw *l, uint32_t dst_cell)
{
    l->last_dst_cell = dst_cell;
    l->last_end = l->ncode;
    l->link_cell = dst_cell;
    l->link_end = l->ncode;
}

/* Remove the last instruction (a fusion took it over): the one before
 * becomes the last again. */
static void unemit(lw *l)
{
    const lw_last *b = &l->before_last;
    l->ncode = l->last_start;
    l->npcmap--;
    l->last_start = b->start;
    l->last_end = b->end;
    l->last_dst_cell = b->dst_cell;
    l->link_cell = b->link_cell;
    l->link_end = b->link_end;
    l->last_op = b->op;
    l->last_kflags = b->kflags;
    l->before_last.dst_cell = l->before_last.link_cell = NIL;
}

/* Note a candidate first half of a loop tail (iops.h VM_TAILS). */
static void tail_note(lw *l, uint32_t start)
{
    l->tail_start = start;
    l->tail_end = l->ncode;
}

static lw_prev prev_of(const lw *l)
{
    lw_prev p = {l->last_start, l->link_end, l->link_cell, l->last_op,
                 l->last_kflags};
    return p;
}

/* lower.c */
uint32_t lw_const_slot(const lw *l, uint64_t v);

/* lower_fuse.c; without fusion, stubs that decline (and compile away). */
#if MANTLE_ENABLE_FUSION
void lw_acc_link(lw *l, const lw_prev *p, uint32_t at, uint32_t op,
                 uint32_t ia, uint32_t ib, bool swap);
void lw_acc_inherit(lw *l, unsigned kf, uint32_t at, uint32_t op,
                    uint32_t ia, uint32_t ib, bool commute);
uint16_t lw_mirror_cmp(uint16_t op);
uint32_t lw_add_branch_op(uint16_t cmp, bool when_true);
bool lw_fuse_address(lw *l, lw_val addr, uint32_t h, uint32_t *a,
                     uint32_t *b, unsigned *kf);
uint32_t lw_loadx_op(uint16_t op);
uint32_t lw_storex_op(uint16_t op);
bool lw_fuse_loadop(lw *l, uint16_t op, lw_val a, lw_val b, uint32_t dst);
bool lw_fuse_opstore(lw *l, uint16_t op, lw_val addr, lw_val v,
                     uint32_t offset);
void lw_merge_adds(lw *l);
#else
static inline void lw_acc_link(lw *l, const lw_prev *p, uint32_t at,
                               uint32_t op, uint32_t ia, uint32_t ib,
                               bool swap)
{
}
static inline void lw_acc_inherit(lw *l, unsigned kf, uint32_t at,
                                  uint32_t op, uint32_t ia, uint32_t ib,
                                  bool commute)
{
}
static inline uint16_t lw_mirror_cmp(uint16_t op) { return op; }
static inline uint32_t lw_add_branch_op(uint16_t cmp, bool when_true)
{
    return 0;
}
static inline bool lw_fuse_address(lw *l, lw_val addr, uint32_t h,
                                   uint32_t *a, uint32_t *b, unsigned *kf)
{
    return false;
}
static inline uint32_t lw_loadx_op(uint16_t op) { return op; }
static inline uint32_t lw_storex_op(uint16_t op) { return op; }
static inline bool lw_fuse_loadop(lw *l, uint16_t op, lw_val a, lw_val b,
                                  uint32_t dst)
{
    return false;
}
static inline bool lw_fuse_opstore(lw *l, uint16_t op, lw_val addr,
                                   lw_val v, uint32_t offset)
{
    return false;
}
static inline void lw_merge_adds(lw *l) {}
#endif

#endif
