/* lower_fuse.c - the lowering's peephole fusions and accumulator links.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Called by lower.c as it emits: each looks at the instruction just
 * emitted (the peephole state of lw) and, when no label lies between,
 * rewrites it and the one being emitted into a fused instruction or
 * their accumulator variants (iops.h; docs/interpreter.md, "Fusion" and
 * "Accumulator"). With MANTLE_ENABLE_FUSION off this file is empty and
 * lower.h's stubs decline: the minimal build emits plain instructions.
 */
#include "../config.h" /* MANTLE_ENABLE_FUSION */

#if MANTLE_ENABLE_FUSION

#include "lower.h"

/* The instruction just emitted at `at` (base `op`, source operands in
 * cells at+ia and at+ib, 0 for none) reads the slot the previous
 * instruction `p` wrote: if both have accumulator variants, it reads the
 * value from the accumulator, which `p` then writes besides the slot.
 * It runs only right after `p`: no label lies between the two (labels
 * clear link_cell). With `swap`, the operands commute and only the first
 * may be the accumulator. */
void lw_acc_link(lw *l, const lw_prev *p, uint32_t at, uint32_t op,
                     uint32_t ia, uint32_t ib, bool swap)
{
    if (!MANTLE_ENABLE_FUSION || p->dst_cell == NIL || p->end != at || l->oom)
        return;
    uint32_t s = l->code[p->dst_cell];
    uint32_t pv = vm_acc_variant(p->op, p->kflags | VM_K_DST);
    if (!pv)
        return;
    unsigned src;
    if (ia && l->code[at + ia] == s) {
        src = VM_K_A;
    } else if (ib && l->code[at + ib] == s) {
        src = VM_K_B;
        if (swap) {
            l->code[at + ib] = l->code[at + ia];
            l->code[at + ia] = s;
            src = VM_K_A;
        }
    } else {
        return;
    }
    uint32_t dv = vm_acc_variant(op, src);
    if (!dv)
        return;
    l->code[p->start] = op_cell(pv);
    l->code[at] = op_cell(dv);
    l->last_kflags = (uint8_t)src;
}

/* An instruction `op` just emitted at `at` took the operands (cells
 * at+ia, at+ib) of a removed one that read the accumulator (flags `kf`):
 * it reads it instead. With `commute` (a fused address add), an operand
 * B becomes A by swapping the cells: B of a fused store is its value. */
void lw_acc_inherit(lw *l, unsigned kf, uint32_t at, uint32_t op,
                        uint32_t ia, uint32_t ib, bool commute)
{
    unsigned src = kf & (VM_K_A | VM_K_B);
    if (!MANTLE_ENABLE_FUSION || !src || l->oom)
        return;
    if (src == VM_K_B && commute) {
        uint32_t t = l->code[at + ib];
        l->code[at + ib] = l->code[at + ia];
        l->code[at + ia] = t;
        src = VM_K_A;
    }
    l->code[at] = op_cell(vm_acc_variant(op, src));
    l->last_kflags = (uint8_t)src;
}

/* The i32 compare that tests b CMP a when `op` tests a CMP b. */
uint16_t lw_mirror_cmp(uint16_t op)
{
    switch (op) {
    case OP_I32LtS: return OP_I32GtS;
    case OP_I32LtU: return OP_I32GtU;
    case OP_I32GtS: return OP_I32LtS;
    case OP_I32GtU: return OP_I32LtU;
    case OP_I32LeS: return OP_I32GeS;
    case OP_I32LeU: return OP_I32GeU;
    case OP_I32GeS: return OP_I32LeS;
    case OP_I32GeU: return OP_I32LeU;
    default: return op;  /* eq, ne; i64 compares have no add form */
    }
}

uint32_t lw_add_branch_op(uint16_t cmp, bool when_true)
{
    switch (cmp) {
#define X(sym, T, e)                                                          \
    case OP_##sym:                                                            \
        return when_true ? VOP_ADDBRIF_##sym : VOP_ADDBRUNLESS_##sym;
        VM_FUSED_CMPS32(X)
#undef X
    default:
        return 0;
    }
}

/* A load or store whose address was computed by the instruction just
 * emitted, an i32.add consumed only here, takes the add's two operands
 * instead: the add is removed. */
bool lw_fuse_address(lw *l, lw_val addr, uint32_t h, uint32_t *a,
                         uint32_t *b, unsigned *kf)
{
    if (!MANTLE_ENABLE_FUSION || l->last_dst_cell == NIL ||
        l->last_end != l->ncode || l->last_op != OP_I32Add ||
        addr.slot != home(l, h) ||
        l->code[l->last_dst_cell] != addr.slot)
        return false;
    *a = l->code[l->last_start + 2];
    *b = l->code[l->last_start + 3];
    *kf = l->last_kflags;
    unemit(l);
    return true;
}

uint32_t lw_loadx_op(uint16_t op)
{
    switch (op) {
#define X(sym, C, T, n, conv) case OP_##sym: return VOP_LOADX_##sym;
        VM_LOADS(X)
#undef X
    default: return op;
    }
}

uint32_t lw_storex_op(uint16_t op)
{
    switch (op) {
#define X(sym, C, T, n, conv) case OP_##sym: return VOP_STOREX_##sym;
        VM_STORES(X)
#undef X
    default: return op;
    }
}

/* The load-operator `lx` just emitted at `at` adds its address from
 * slots x and y (cells at+3, at+4). If it reads no accumulator and the
 * instruction `p` just before wrote x (or y: the sum commutes), p also
 * writes the integer accumulator and lx takes x from there (iops.h
 * VM_LOADOPS_XACC), if both have those variants. For an add2 that is its
 * first add (VOP_ADD2_x), unless the second overwrites it. */
static void link_address(lw *l, const lw_prev *p, uint32_t at, uint32_t lx)
{
    if (!MANTLE_ENABLE_FUSION || l->last_kflags || p->dst_cell == NIL ||
        p->end != at || l->oom)
        return;
    uint32_t dv = vm_acc_variant(lx, VM_K_B), d1, pv;
    vm_cell *c = &l->code[p->start];
    if (p->op == VOP_ADD2) {
        d1 = c[1];
        pv = d1 == c[4] ? 0 : VOP_ADD2_x;
    } else {
        d1 = l->code[p->dst_cell];
        pv = vm_acc_variant(p->op, p->kflags | VM_K_DST);
    }
    if (!dv || !pv)
        return;
    if (l->code[at + 3] != d1) {
        if (l->code[at + 4] != d1)
            return;
        l->code[at + 4] = l->code[at + 3];
        l->code[at + 3] = d1;
    }
    c[0] = op_cell(pv);
    l->code[at] = op_cell(dv);
    l->last_kflags = VM_K_B;
}

/* Whether `op` is an f64 load-operator whose VM_K_B variants take the
 * address operand x (cell 3) from the integer accumulator. */
static bool xacc_loadop(uint32_t op)
{
    switch (op) {
#define X(sym, e) case VOP_LX_##sym:
        VM_LOADOPS_XACC(X)
#undef X
#define X(sym, e) case VOP_LT_##sym:
        VM_LOADTEES_XACC(X)
#undef X
    case VOP_LX2_F64Add:
        return true;
    default:
        return false;
    }
}

/* The load-operator `lx` just emitted at `at` adds its address from
 * slots x and y (cells at+3, at+4). If the f64 load-operator `p` just
 * before took the same x from the integer accumulator (flag VM_K_B) and
 * wrote neither that slot nor the accumulator (f64 results go to facc),
 * the accumulator still holds x: lx takes it from there too, whatever
 * it reads from facc. A stencil's loads off one base then all skip the
 * base's slot, which the store-to-load forwarding put on each load's
 * path. */
static void link_xchain(lw *l, const lw_prev *p, uint32_t at, uint32_t lx)
{
    if (p->end != at || !(p->kflags & VM_K_B) || (l->last_kflags & VM_K_B) ||
        !xacc_loadop(p->op) || !xacc_loadop(lx) || l->oom)
        return;
    const vm_cell *c = &l->code[p->start];
    uint32_t px = c[3];
    /* A load-tee also writes its local (cell 6). */
    bool lt = false;
#define X(sym, e) lt = lt || p->op == VOP_LT_##sym;
    VM_LOADTEES_XACC(X)
#undef X
    if (c[1] == px || (lt && c[6] == px))
        return;
    unsigned kf = l->last_kflags | VM_K_B;
    uint32_t dv = vm_acc_variant(lx, kf);
    if (!dv)
        return;
    if (l->code[at + 3] != px) {
        if (l->code[at + 4] != px)
            return;
        l->code[at + 4] = l->code[at + 3];
        l->code[at + 3] = px;
    }
    l->code[at] = op_cell(dv);
    l->last_kflags = (uint8_t)kf;
}

/* An f64.add load-operator, dst = other + load(ax + ay + off), about to
 * be emitted at `at`, whose `other` is the temp that the f64.add
 * load-operator `p` just before computed, on the same base slot: p
 * becomes one VOP_LX2_F64Add doing both. The temp is read by nobody
 * else (a value on the Wasm stack is consumed once). The second load's
 * Wasm offset `woff` maps from the cell of its y. */
static bool merge_loadop(lw *l, const lw_prev *p, uint32_t at, uint32_t other,
                         uint32_t ax, uint32_t ay, uint32_t off,
                         uint32_t woff, uint32_t dst)
{
    if (p->op != VOP_LX_F64Add || p->dst_cell == NIL || p->end != at ||
        (p->kflags & ~(VM_K_A | VM_K_B)) || l->oom)
        return false;
    vm_cell *c = &l->code[p->start];
    if (other != c[1] || is_local_slot(l, other) || ax != c[3] ||
        other == ax || other == ay)
        return false;
    if (!pcmap_add(l, at, woff))
        return true;
    c[0] = op_cell(vm_acc_variant(VOP_LX2_F64Add, p->kflags));
    c[1] = dst;
    emit(l, ay);
    emit(l, off);
    l->last_op = VOP_LX2_F64Add;
    l->before_last.dst_cell = l->before_last.link_cell = NIL;
    produced(l, p->start + 1);
    return true;
}

/* The load-operator keeping its loaded value in a local (iops.h
 * VM_LOADTEES) for binary operator `op`, or 0. */
static uint32_t loadtee_op(uint16_t op)
{
    switch (op) {
#define X(sym, C, T, e, LT, n, conv, cm) case OP_##sym: return VOP_LT_##sym;
        VM_LOADTEES(X)
#undef X
    default:
        return 0;
    }
}

/* A binary operator one of whose operands (the second, or either when
 * it commutes) was loaded, with the full width of its type, by the
 * instruction just emitted and is consumed only here, becomes a
 * load-operator (iops.h VM_LOADOPS): the load is removed. A load that
 * a local.tee/local.set retargeted to a local, read here from that
 * local, becomes a load-operator that writes the local too
 * (VM_LOADTEES). The stack holds the operands' heights, popped; `dst`
 * is the result's home. */
bool lw_fuse_loadop(lw *l, uint16_t op, lw_val a, lw_val b, uint32_t dst)
{
    uint32_t lx;
    bool comm;
    if (!MANTLE_ENABLE_FUSION)
        return false;
    switch (op) {
#define X(sym, C, T, e, LT, n, conv, cm)                                      \
    case OP_##sym: lx = VOP_LX_##sym; comm = cm; break;
        VM_LOADOPS(X)
#undef X
    default:
        return false;
    }
    uint32_t s;
    bool tee = false;
    if (l->last_dst_cell != NIL && l->last_end == l->ncode) {
        s = l->code[l->last_dst_cell];
    } else if (l->link_cell != NIL && l->link_end == l->ncode &&
               is_local_slot(l, l->code[l->link_cell]) && loadtee_op(op)) {
        /* Retargeted: the local is the load's only destination. */
        s = l->code[l->link_cell];
        tee = true;
        lx = loadtee_op(op);
    } else {
        return false;
    }
    if (l->last_kflags || l->oom)
        return false;
    uint16_t want = b.type == VT_F64   ? OP_F64Load
                    : b.type == VT_I64 ? OP_I64Load
                                       : OP_I32Load;
    bool x = l->last_op == lw_loadx_op(want);
    if (!x && l->last_op != want)
        return false;
    uint32_t ha = home(l, l->height), hb = home(l, l->height + 1), other;
    if (tee) {
        /* Either operand may be the local (both: not fused, the other
         * operand would be read before the local is written). */
        if (b.slot == s && a.slot != s)
            other = a.slot;
        else if (comm && a.slot == s && b.slot != s)
            other = b.slot;
        else
            return false;
    } else if (b.slot == hb && s == hb) {
        other = a.slot;
    } else if (comm && a.slot == ha && s == ha) {
        other = b.slot;
    } else {
        return false;
    }
    const vm_cell *c = &l->code[l->last_start];
    uint32_t ax = c[2], ay = x ? c[3] : lw_const_slot(l, 0), off = c[x ? 4 : 3];
    /* A trap here is the load's: keep its Wasm offset. */
    uint32_t woff = l->pcmap[l->npcmap - 1].offset;
    unemit(l);
    lw_prev p = prev_of(l);
    uint32_t at = l->ncode;
    if (lx == VOP_LX_F64Add &&
        merge_loadop(l, &p, at, other, ax, ay, off, woff, dst))
        return true;
    emit_op(l, lx);
    if (l->oom)
        return true;
    l->pcmap[l->npcmap - 1].offset = woff;
    emit(l, dst);
    emit(l, other);
    emit(l, ax);
    emit(l, ay);
    emit(l, off);
    if (tee)
        emit(l, s);
    lw_acc_link(l, &p, at, lx, 2, 0, false);
    link_address(l, &p, at, lx);
    link_xchain(l, &p, at, lx);
    produced(l, at + 1);
    return true;
}

/* A full-width store of a value that a binary operator just computed
 * into its temp (read by nobody else) becomes an operator-store
 * (iops.h VM_OPSTORES): the operator is removed, and the store takes its
 * operands, accumulator ones included. The stack holds the address's
 * height, popped. A trap is the store's, whose Wasm offset is current. */
bool lw_fuse_opstore(lw *l, uint16_t op, lw_val addr, lw_val v,
                         uint32_t offset)
{
    uint32_t os;
    uint16_t want;
    if (!MANTLE_ENABLE_FUSION)
        return false;
    switch (l->last_op) {
#define X(sym, C, T, e, ST, n, conv)                                          \
    case OP_##sym: os = VOP_OS_##sym; break;
        VM_OPSTORES(X)
#undef X
    default:
        return false;
    }
    uint8_t t = wasm_sig_letter_type(
        wasm_sig_results[wasm_opinfos[l->last_op].sig][0]);
    want = t == VT_F64 ? OP_F64Store : t == VT_I64 ? OP_I64Store : OP_I32Store;
    if (op != want || l->last_dst_cell == NIL || l->last_end != l->ncode ||
        v.slot != home(l, l->height + 1) ||
        l->code[l->last_dst_cell] != v.slot || addr.slot == v.slot || l->oom)
        return false;
    unsigned kf = l->last_kflags & (VM_K_A | VM_K_B);
    uint32_t a = l->code[l->last_start + 2], b = l->code[l->last_start + 3];
    unemit(l);
    lw_prev p = prev_of(l);
    uint32_t at = l->ncode;
    emit_op(l, os);
    emit(l, a);
    emit(l, b);
    emit(l, addr.slot);
    emit(l, offset);
    if (kf)
        lw_acc_inherit(l, kf, at, os, 1, 2, false);
    else
        lw_acc_link(l, &p, at, os, 1, 2, false);
    tail_note(l, at);
    return true;
}

/* The last instruction, an i32.add that no fusion will take any more
 * (its result just retargeted to a local, or the next instruction, a
 * binary operator, does not read it through a fusion), follows another
 * i32.add of two slots with no label between: one instruction does both,
 * in order. The first writes its slot, so the second may read it there
 * (whatever accumulator link the two had is dropped). Adds cannot trap. */
void lw_merge_adds(lw *l)
{
    const lw_last *p = &l->before_last;
    uint32_t at = l->last_start;
    if (!MANTLE_ENABLE_FUSION || l->last_op != OP_I32Add ||
        p->op != OP_I32Add || p->kflags != 0 ||
        p->link_cell == NIL || p->link_end != at || l->ncode != at + 4 ||
        l->oom)
        return;
    l->code[p->start] = op_cell(VOP_ADD2);
    l->code[at] = l->code[at + 1];
    l->code[at + 1] = l->code[at + 2];
    l->code[at + 2] = l->code[at + 3];
    l->ncode = at + 3;
    l->npcmap--;
    l->last_start = p->start;
    l->last_op = VOP_ADD2;
    l->last_kflags = 0;
    l->before_last.dst_cell = l->before_last.link_cell = NIL;
    produced(l, at);
    tail_note(l, p->start);
}

#endif /* MANTLE_ENABLE_FUSION */
