/* lower.c - validated Wasm function bodies to register-style interpreter code.
 * SPDX-License-Identifier: Apache-2.0
 *
 * One forward pass over a validated body. The Wasm operand stack is kept
 * at lowering time as a virtual stack whose entries name the frame slot
 * holding each value: `local.get` and constants push a reference to the
 * local's or constant's slot and emit nothing; an instruction reads its
 * operands from wherever they are and writes its result to the "home" slot
 * of its stack height. See docs/interpreter.md for the design.
 *
 * Invariants:
 *  - At every label (block end, loop head, else) every value on the stack
 *    at or above the target block's height is in its home slot.
 *  - Entries of the virtual stack that refer to a local only exist above
 *    the innermost block's height: entering a block materialises them, so
 *    a `local.set` inside a block never has to reach below it.
 *  - Constants never change, so references to constant slots may stay
 *    anywhere.
 *
 * Map: frame layout and constants - copies - the virtual stack -
 *      branches - the main loop. The state (lw) and the emission
 *      primitives are in lower.h, the fusions in lower_fuse.c.
 */
#include <stdio.h>

#include "lower.h"

static uint32_t local_slot(const lw *l, uint32_t idx)
{
    return l->lslot[idx];
}

/* Slot offset of value `i` in a list of `types`. */
static uint32_t types_offset(const uint8_t *types, uint32_t i)
{
    return wasm_slot_count(types, i);
}

/* ---- Constants -------------------------------------------------------- */

static uint32_t hash64(uint64_t v)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdULL;
    v ^= v >> 33;
    return (uint32_t)v;
}

static int const_add(lw *l, uint64_t v)
{
    uint32_t i = hash64(v) & l->hash_mask;
    while (l->hash[i]) {
        if (l->consts[l->hash[i] - 1] == v)
            return 0;
        i = (i + 1) & l->hash_mask;
    }
    l->consts[l->nconsts] = v;
    l->hash[i] = ++l->nconsts;
    return 0;
}

uint32_t lw_const_slot(const lw *l, uint64_t v)
{
    uint32_t i = hash64(v) & l->hash_mask;
    while (l->consts[l->hash[i] - 1] != v)
        i = (i + 1) & l->hash_mask;
    return l->consts_start + l->hash[i] - 1;
}

static uint32_t hash_v128(const uint64_t *v)
{
    return hash64(v[0] ^ hash64(v[1] + 0x9e3779b97f4a7c15ULL));
}

static void vconst_add(lw *l, const uint8_t *bytes)
{
    uint64_t v[2];
    memcpy(v, bytes, 16);
    uint32_t i = hash_v128(v) & l->vhash_mask;
    while (l->vhash[i]) {
        if (!memcmp(&l->vconsts[2 * (l->vhash[i] - 1)], v, 16))
            return;
        i = (i + 1) & l->vhash_mask;
    }
    memcpy(&l->vconsts[2 * l->nvconsts], v, 16);
    l->vhash[i] = ++l->nvconsts;
}

#if MANTLE_ENABLE_SIMD
static uint32_t vconst_slot(const lw *l, const uint8_t *bytes)
{
    uint64_t v[2];
    memcpy(v, bytes, 16);
    uint32_t i = hash_v128(v) & l->vhash_mask;
    while (memcmp(&l->vconsts[2 * (l->vhash[i] - 1)], v, 16))
        i = (i + 1) & l->vhash_mask;
    return l->consts_start + l->vconst_base + 2 * (l->vhash[i] - 1);
}
#endif

/* Pre-pass: collect constants, and count the hidden slots that `if`
 * blocks with parameters need, so the frame layout is fixed before code
 * is emitted. */
static int prescan(lw *l)
{
    wasm_reader r = {l->w->bytes, l->w->bytes + l->fn->body.off,
                     l->w->bytes + l->fn->body.off + l->fn->body.len, NULL};
    uint32_t nconst_instrs = 0, nv128 = 0;
    bool need_zero = false;
    /* First count, to size the pool. */
    wasm_reader r2 = r;
    while (r2.p < r2.end && !r2.err) {
        uint16_t op;
        if (!wasm_read_op(&r2, &op))
            break;
        uint8_t imm = wasm_opinfos[op].imm;
        if (imm == IMM_I32 || imm == IMM_I64 || imm == IMM_F32 ||
            imm == IMM_F64 || op == OP_RefNull)
            nconst_instrs++;
        if (imm == IMM_V128)
            nv128++;
        if (op == OP_I32Load || op == OP_I64Load || op == OP_F64Load)
            need_zero = true;
        if (op == OP_If) {
            int64_t bt = 0;
            rd_sleb(&r2, 33, &bt);
            if (bt >= 0 && (uint64_t)bt < l->w->ntypes)
                l->nsave += wasm_slot_count(l->w->types[bt].types,
                                            l->w->types[bt].nparams);
            continue;
        }
        wasm_skip_imm(&r2, imm);
    }
    if (r2.err)
        return MANTLE_EINVALID;
    uint32_t hsize = 16;
    while (hsize < nconst_instrs * 2 + 2)
        hsize *= 2;
    uint32_t vsize = 16;
    while (vsize < nv128 * 2 + 2)
        vsize *= 2;
    l->consts = mt_calloc(l->a, (size_t)nconst_instrs + 1 + 2 * (size_t)nv128,
                          sizeof *l->consts);
    l->hash = mt_calloc(l->a, hsize, sizeof *l->hash);
    l->vconsts = mt_calloc(l->a, 2 * (size_t)nv128 + 2, sizeof *l->vconsts);
    l->vhash = mt_calloc(l->a, vsize, sizeof *l->vhash);
    if (!l->consts || !l->hash || !l->vconsts || !l->vhash)
        return MANTLE_ENOMEM;
    l->hash_mask = hsize - 1;
    l->vhash_mask = vsize - 1;
    if (need_zero)
        const_add(l, 0);  /* the zero addend of fused plain loads */
    while (r.p < r.end && !r.err) {
        uint16_t op;
        if (!wasm_read_op(&r, &op))
            break;
        int64_t s = 0;
        uint32_t f32 = 0;
        uint64_t f64 = 0;
        switch (op) {
        case OP_I32Const:
            rd_sleb(&r, 32, &s);
            const_add(l, (uint32_t)s);
            break;
        case OP_I64Const:
            rd_sleb(&r, 64, &s);
            const_add(l, (uint64_t)s);
            break;
        case OP_F32Const:
            rd_f32(&r, &f32);
            const_add(l, f32);
            break;
        case OP_F64Const:
            rd_f64(&r, &f64);
            const_add(l, f64);
            break;
        case OP_RefNull:
            wasm_skip_imm(&r, IMM_REFTYPE);
            const_add(l, 0);
            break;
        case OP_V128Const: {
            const uint8_t *p = NULL;
            if (rd_bytes(&r, 16, &p))
                vconst_add(l, p);
            break;
        }
        default:
            wasm_skip_imm(&r, wasm_opinfos[op].imm);
            break;
        }
    }
    /* The v128 pairs follow the scalar constants. */
    l->vconst_base = l->nconsts;
    memcpy(l->consts + l->nconsts, l->vconsts,
           2 * (size_t)l->nvconsts * sizeof *l->consts);
    l->nconsts += 2 * l->nvconsts;
    return r.err ? MANTLE_EINVALID : MANTLE_OK;
}


/* A label may follow: what the last instruction wrote is no longer
 * known to be what the next one sees. */
static void no_last(lw *l)
{
    l->last_dst_cell = NIL;
    l->link_cell = NIL;
    l->copy_end = NIL;
    l->tail_end = NIL;
}

/* ---- Copies (emission primitives: lower.h) ---------------------------- */

static void emit_copy(lw *l, uint8_t type, uint32_t dst, uint32_t src)
{
    if (dst == src)
        return;
    if (MANTLE_ENABLE_FUSION && type != VT_V128 && l->copy_end == l->ncode &&
        !l->oom) {
        /* Right after another copy, with no label between: one
         * instruction does both, in order. Copies cannot trap. */
        l->code[l->last_start] = op_cell(VOP_COPY2);
        l->last_op = VOP_COPY2;
        l->copy_end = NIL;
        emit(l, dst);
        emit(l, src);
        tail_note(l, l->last_start);
        return;
    }
    emit_op(l, type == VT_V128 ? VOP_COPY_V128 : VOP_COPY);
    emit(l, dst);
    emit(l, src);
    if (type != VT_V128)
        l->copy_end = l->ncode;
}

/* ---- The virtual stack ------------------------------------------------ */

static void push(lw *l, uint32_t slot, uint8_t type)
{
    if (l->height == l->capstack &&
        mt_grow(l->a, (void **)&l->stack, &l->capstack, l->height + 1,
                sizeof *l->stack) != 0) {
        l->oom = true;
        return;
    }
    uint32_t sh = sheight(l, l->height);
    l->stack[l->height].slot = slot;
    l->stack[l->height].sh = sh;
    l->stack[l->height].type = type;
    l->height++;
    if (sh + wasm_slot_width(type) > l->max_sh)
        l->max_sh = sh + wasm_slot_width(type);
}

/* Push a value that will be computed into its home slot. */
static uint32_t push_home(lw *l, uint8_t type)
{
    uint32_t slot = home(l, l->height);
    push(l, slot, type);
    return slot;
}

static lw_val pop(lw *l)
{
    /* Validated code never underflows a live block. */
    return l->stack[--l->height];
}

static void materialize(lw *l, uint32_t h)
{
    lw_val *v = &l->stack[h];
    uint32_t hs = home(l, h);
    if (v->slot != hs) {
        emit_copy(l, v->type, hs, v->slot);
        v->slot = hs;
    }
}

/* Copy every value at or above `from` that refers to local `slot` (or to
 * any local, when slot == UINT32_MAX) into its home slot. */
static void spill_locals(lw *l, uint32_t from, uint32_t slot)
{
    for (uint32_t h = from; h < l->height; h++) {
        uint32_t s = l->stack[h].slot;
        if (is_local_slot(l, s) && (slot == UINT32_MAX || s == slot))
            materialize(l, h);
    }
}

static lw_ctl *ctl_top(lw *l)
{
    return &l->ctls[l->nctls - 1];
}

/* ---- Branches ---------------------------------------------------------- */

/* Branches to a loop enter after its VOP_LOOP_CHECK: the interpreter
 * charges fuel on every backward jump itself, reading the cost from the
 * cell just before the target (the check's operand). */
static uint32_t loop_target(const lw_ctl *c)
{
    return c->loop_pc + 2;
}

/* Emit a jump operand to the label of ctl `c`: loops are known, block
 * ends are chained through the cell until patched. */
static void emit_target(lw *l, lw_ctl *c)
{
    if (c->kind == CTL_LOOP) {
        emit(l, loop_target(c));
    } else {
        emit(l, c->fixups);
        c->fixups = l->ncode - 1;
    }
}

/* Record that branches jump to `pc` (for vm_join_pairs). */
static void label_note(lw *l, uint32_t pc)
{
    if (!MANTLE_ENABLE_FUSION)
        return;
    if (mt_grow(l->a, (void **)&l->labels, &l->caplabels, l->nlabels + 1,
                sizeof *l->labels) != 0)
        l->oom = true; /* a label missed would let a pair span it */
    else
        l->labels[l->nlabels++] = pc;
}

static void patch_chain(lw *l, uint32_t chain, uint32_t pc)
{
    /* A label here: nothing before it may merge with what follows. */
    if (chain != NIL && pc == l->ncode)
        no_last(l);
    if (chain != NIL)
        label_note(l, pc);
    while (chain != NIL) {
        uint32_t next = l->code[chain];
        l->code[chain] = pc;
        chain = next;
    }
}

static uint32_t label_arity(const lw_ctl *c)
{
    return c->kind == CTL_LOOP ? c->nparams : c->nresults;
}

static uint8_t ctl_result(const lw_ctl *c, uint32_t i);

/* The home slot of value `i` of the label of `c` (its params for a loop,
 * its results otherwise): the block's slot height plus the slots of the
 * label values before it. */
static uint32_t label_home(const lw *l, const lw_ctl *c, uint32_t i)
{
    uint32_t s = l->temps_start + c->sh;
    for (uint32_t j = 0; j < i; j++)
        s += wasm_slot_width(c->kind == CTL_LOOP ? c->params[j]
                                                 : ctl_result(c, j));
    return s;
}

/* Do the values a branch to `c` carries need moving? */
static bool branch_needs_moves(const lw *l, const lw_ctl *c)
{
    uint32_t n = label_arity(c);
    for (uint32_t i = 0; i < n; i++)
        if (l->stack[l->height - n + i].slot != label_home(l, c, i))
            return true;
    return false;
}

/* Move the values a branch to `c` carries into the label's home slots.
 * Ascending order is safe: each destination is at or below its source's
 * home, and sources above it are read before they could be written. */
static void branch_moves(lw *l, const lw_ctl *c)
{
    uint32_t n = label_arity(c);
    for (uint32_t i = 0; i < n; i++) {
        const lw_val *v = &l->stack[l->height - n + i];
        emit_copy(l, v->type, label_home(l, c, i), v->slot);
    }
}

static void emit_return(lw *l);

static void emit_br(lw *l, uint32_t depth)
{
    lw_ctl *c = &l->ctls[l->nctls - 1 - depth];
    if (c->kind == CTL_FUNC) {
        emit_return(l);
        return;
    }
    branch_moves(l, c);
    emit_op(l, VOP_BR);
    emit_target(l, c);
}

static void mark_dead(lw *l)
{
    lw_ctl *c = ctl_top(l);
    c->dead = true;
    l->height = c->height;
    no_last(l);
}

/* Emit returning the top `nresults` values. */
static void emit_return(lw *l)
{
    uint32_t n = l->ft->nresults;
    const uint8_t *rt = WASM_FT_RESULTS(l->ft);
    if (n == 1 && rt[0] != VT_V128) {
        lw_val v = l->stack[l->height - 1];
        emit_op(l, VOP_RETURN1);
        emit(l, v.slot);
        return;
    }
    /* Sources inside the result area (slots 0 .. nresults-1) may be
     * overwritten by an earlier move: copy those to their homes (beyond
     * the area) first. A value already at its own place stays. */
    uint32_t base = l->height - n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t s = l->stack[base + i].slot;
        if (s < l->nresults && s != types_offset(rt, i))
            materialize(l, base + i);
    }
    for (uint32_t i = 0; i < n; i++) {
        const lw_val *v = &l->stack[base + i];
        emit_copy(l, v->type, types_offset(rt, i), v->slot);
    }
    emit_op(l, VOP_RETURN);
}

/* ---- Conditional branches -------------------------------------------- */

/* A conditional branch on `cond`. A compare just emitted for it is fused
 * into the branch. `when_true` selects br_if (jump if non-zero) versus
 * jump-if-zero (the `if` instruction's jump to else). */
static void emit_cond_jump(lw *l, lw_val cond, bool when_true, lw_ctl *c,
                           uint32_t *out_cell)
{
    uint32_t vop = 0;
    uint32_t a = 0, b = 0;
    bool fused = false;
    if (MANTLE_ENABLE_FUSION && l->last_dst_cell != NIL &&
        l->last_end == l->ncode &&
        cond.slot == home(l, l->height) &&
        l->code[l->last_dst_cell] == cond.slot) {
        switch (l->last_op) {
#define X(sym, T, e)                                                          \
    case OP_##sym:                                                            \
        vop = when_true ? VOP_BRIF_##sym : VOP_BRUNLESS_##sym;                \
        fused = true;                                                         \
        break;
            VM_FUSED_CMPS(X)
#undef X
        case OP_I32Sub: case OP_I32Xor:
            /* Tested for non-zero, a - b and a ^ b are a != b. */
            vop = when_true ? VOP_BRIF_I32Ne : VOP_BRUNLESS_I32Ne;
            fused = true;
            break;
        case OP_I32Eqz:
            vop = when_true ? VOP_BR_UNLESS : VOP_BR_IF;
            fused = true;
            break;
        default:
            break;
        }
    }
    if (fused) {
        /* The compare may have read the accumulator: the branch does. */
        unsigned kf = l->last_kflags & (VM_K_A | VM_K_B);
        uint16_t cmp = l->last_op == OP_I32Sub || l->last_op == OP_I32Xor
                           ? (uint16_t)OP_I32Ne
                           : l->last_op;
        a = l->code[l->last_start + 2];
        b = l->last_op == OP_I32Eqz ? 0 : l->code[l->last_start + 3];
        unemit(l);
        uint32_t at = l->ncode, addbr = 0;
        /* If the accumulator is an i32.add of two slots just before,
         * the add joins the branch (the usual loop increment and test). */
        if (kf && l->last_op == OP_I32Add && l->last_kflags == 0 &&
            l->link_cell != NIL && l->link_end == at && !l->oom)
            addbr = lw_add_branch_op(kf == VM_K_B ? lw_mirror_cmp(cmp) : cmp,
                                  when_true);
        if (addbr) {
            const vm_cell *p = &l->code[l->last_start];
            uint32_t d = p[1], x = p[2], y = p[3];
            unemit(l);
            /* To a loop, the jump is a back-edge: no direction test. */
            bool loop = addbr == VOP_ADDBRIF_I32Ne && c && c->kind == CTL_LOOP;
            uint32_t start = l->ncode;
            emit_op(l, loop ? VOP_ADDLOOP_I32Ne : addbr);
            emit(l, d);
            emit(l, x);
            emit(l, y);
            emit(l, kf == VM_K_A ? b : a);
            /* It may join the instruction before it (pairs.c); a label
             * between clears tail_end. */
            if (loop && l->tail_end == start && !l->oom)
                vm_join_tail(l->code, l->tail_start, start);
        } else {
            emit_op(l, vop);
            emit(l, a);
            if (vop != VOP_BR_IF && vop != VOP_BR_UNLESS)
                emit(l, b);
            lw_acc_inherit(l, kf, at, vop, 1, 2, false);
        }
    } else if (MANTLE_ENABLE_FUSION && l->link_cell != NIL &&
               l->link_end == l->ncode && l->last_start + 4 == l->ncode &&
               l->last_kflags == 0 && l->code[l->link_cell] == cond.slot &&
               (l->last_op == OP_I32Add || l->last_op == OP_I32Sub) &&
               !l->oom) {
        /* The add or sub just before wrote the local tested here (it was
         * retargeted, or the temp case above would have taken it): one
         * instruction computes, writes the local and branches. */
        const vm_cell *q = &l->code[l->last_start];
        uint32_t d = q[1], x = q[2], y = q[3];
        bool sub = l->last_op == OP_I32Sub;
        unemit(l);
        emit_op(l, sub ? (when_true ? VOP_OPBRNZ_I32Sub : VOP_OPBRZ_I32Sub)
                       : (when_true ? VOP_OPBRNZ_I32Add : VOP_OPBRZ_I32Add));
        emit(l, d);
        emit(l, x);
        emit(l, y);
    } else {
        lw_prev p = prev_of(l);
        uint32_t at = l->ncode;
        vop = when_true ? VOP_BR_IF : VOP_BR_UNLESS;
        emit_op(l, vop);
        emit(l, cond.slot);
        lw_acc_link(l, &p, at, vop, 1, 0, false);
    }
    if (c) {
        emit_target(l, c);
    } else {
        emit(l, NIL);
        *out_cell = l->ncode - 1;
    }
}

/* ---- Block types ------------------------------------------------------- */

static void block_type(lw *l, int64_t bt, lw_ctl *c)
{
    if (bt == -64) {  /* 0x40: empty */
        c->nparams = c->nresults = 0;
    } else if (bt < 0) {
        /* One result type, kept in the ctl itself: `results` stays NULL
         * so copies of the ctl do not point into the (growable) array. */
        c->single = (uint8_t)(bt & 0x7F);
        c->nparams = 0;
        c->nresults = 1;
        c->results = NULL;
    } else {
        const wasm_functype *t = &l->w->types[bt];
        c->nparams = t->nparams;
        c->params = WASM_FT_PARAMS(t);
        c->nresults = t->nresults;
        c->results = WASM_FT_RESULTS(t);
    }
}

static uint8_t ctl_result(const lw_ctl *c, uint32_t i)
{
    return c->results ? c->results[i] : c->single;
}

static lw_ctl *push_ctl(lw *l, uint8_t kind)
{
    if (mt_grow(l->a, (void **)&l->ctls, &l->capctls, l->nctls + 1,
                sizeof *l->ctls) != 0) {
        l->oom = true;
        return NULL;
    }
    lw_ctl *c = &l->ctls[l->nctls++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->fixups = NIL;
    c->else_cell = NIL;
    c->cost_owner = kind == CTL_LOOP || kind == CTL_FUNC
                        ? l->nctls - 1
                        : l->ctls[l->nctls - 2].cost_owner;
    return c;
}

/* Enter a block: its params must sit in their home slots, and no value
 * below may refer to a local (see the invariants above). */
static void enter_block(lw *l, lw_ctl *c)
{
    spill_locals(l, ctl_top(l) == c ? l->ctls[l->nctls - 2].height : 0,
                 UINT32_MAX);
    c->height = l->height - c->nparams;
    c->sh = sheight(l, c->height);
    for (uint32_t i = 0; i < c->nparams; i++)
        materialize(l, c->height + i);
}

/* Reaching a block's end (or else) by falling through: results home. */
static void fallthrough_results(lw *l, lw_ctl *c)
{
    for (uint32_t i = 0; i < c->nresults; i++)
        materialize(l, c->height + i);
}

/* After a block's end: the stack holds its results in their homes. */
static void push_results(lw *l, lw_ctl *c)
{
    l->height = c->height;
    for (uint32_t i = 0; i < c->nresults; i++)
        push(l, home(l, c->height + i), ctl_result(c, i));
}

/* ---- The main loop ----------------------------------------------------- */

static uint8_t sig_type(char ch)
{
    return wasm_sig_letter_type(ch);
}

/* Skip unreachable code up to the `else` or `end` that closes the current
 * block; returns the closing opcode. */
static uint16_t skip_dead(lw *l, wasm_reader *r)
{
    uint32_t depth = 0;
    while (r->p < r->end && !r->err) {
        l->cur_off = rd_offset(r);
        uint16_t op;
        if (!wasm_read_op(r, &op))
            break;
        switch (op) {
        case OP_Block: case OP_Loop: case OP_If:
            depth++;
            break;
        case OP_Else:
            if (depth == 0)
                return op;
            break;
        case OP_End:
            if (depth == 0)
                return op;
            depth--;
            break;
        default:
            break;
        }
        wasm_skip_imm(r, wasm_opinfos[op].imm);
    }
    return OP_Unreachable;
}

#if MANTLE_ENABLE_SIMD
/* A SIMD instruction (iops.h): operands where they are, the result to
 * its home; no fusion, no accumulator. v128.const is a constant slot
 * pair like any other constant. Handlers read every operand before they
 * write the result, which may share an operand's home. */
static void lower_simd(lw *l, wasm_reader *r, uint16_t op)
{
    const wasm_opinfo *info = &wasm_opinfos[op];
    const char *ps = wasm_sig_params[info->sig];
    const char *rs = wasm_sig_results[info->sig];
    uint32_t np = (uint32_t)strlen(ps), align = 0, offset = 0;
    uint8_t lane = 0;
    const uint8_t *bytes = NULL;
    switch (info->imm) {
    case IMM_V128:
        if (rd_bytes(r, 16, &bytes))
            push(l, vconst_slot(l, bytes), VT_V128);
        return;
    case IMM_MEMARG:
        rd_u32(r, &align);
        rd_u32(r, &offset);
        break;
    case IMM_MEMARG_LANE:
        rd_u32(r, &align);
        rd_u32(r, &offset);
        rd_u8(r, &lane);
        break;
    case IMM_LANE:
        rd_u8(r, &lane);
        break;
    case IMM_SHUFFLE:
        rd_bytes(r, 16, &bytes);
        break;
    default:
        break;
    }
    if (r->err)
        return;
    /* Lane operators: one instruction per list, the function an operand. */
    uint32_t vop = op, fn = 0;
    switch (op) {
#define X(sym) case OP_##sym: vop = VOP_SIMD_UN; fn = SIMD_UN_##sym; break;
        SIMD_UNOPS(X)
#undef X
#define X(sym) case OP_##sym: vop = VOP_SIMD_BIN; fn = SIMD_BIN_##sym; break;
        SIMD_BINOPS(X)
#undef X
#define X(sym) case OP_##sym: vop = VOP_SIMD_SHIFT; fn = SIMD_SHIFT_##sym; break;
        SIMD_SHIFTOPS(X)
#undef X
#define X(sym) case OP_##sym: vop = VOP_SIMD_RED; fn = SIMD_RED_##sym; break;
        SIMD_REDOPS(X)
#undef X
    default:
        break;
    }
    lw_val a[3];
    for (uint32_t i = np; i-- > 0;)
        a[i] = pop(l);
    uint32_t dst = rs[0] ? push_home(l, sig_type(rs[0])) : 0;
    emit_op(l, vop);
    uint32_t dst_cell = l->ncode;
    if (rs[0])
        emit(l, dst);
    for (uint32_t i = 0; i < np; i++)
        emit(l, a[i].slot);
    if (info->imm == IMM_MEMARG || info->imm == IMM_MEMARG_LANE)
        emit(l, offset);
    if (info->imm == IMM_MEMARG_LANE || info->imm == IMM_LANE)
        emit(l, lane);
    if (vop != op)
        emit(l, fn);
    if (info->imm == IMM_SHUFFLE)
        for (int i = 0; i < 16; i += 4)
            emit(l, (uint32_t)bytes[i] | (uint32_t)bytes[i + 1] << 8 |
                        (uint32_t)bytes[i + 2] << 16 |
                        (uint32_t)bytes[i + 3] << 24);
    if (rs[0])
        produced(l, dst_cell);
}
#endif

static int lower_body(lw *l, wasm_reader *r)
{
    lw_ctl *fc = push_ctl(l, CTL_FUNC);
    if (!fc)
        return MANTLE_ENOMEM;
    fc->nparams = 0;
    fc->nresults = l->ft->nresults;
    fc->results = WASM_FT_RESULTS(l->ft);
    fc->height = 0;

    while (l->nctls > 0) {
        if (l->oom)
            return MANTLE_ENOMEM;
        if (r->err || r->p >= r->end)
            return MANTLE_EINVALID;
        lw_ctl *c = ctl_top(l);
        uint16_t op;
        if (c->dead) {
            op = skip_dead(l, r);
            if (op == OP_Unreachable)
                return MANTLE_EINVALID;
        } else {
            l->cur_off = rd_offset(r);
            if (!wasm_read_op(r, &op))
                return MANTLE_EINVALID;
            l->ctls[c->cost_owner].cost++;
        }
        const wasm_opinfo *info = &wasm_opinfos[op];
        switch (op) {
        case OP_Nop:
            break;
        case OP_Unreachable:
            emit_op(l, VOP_UNREACHABLE);
            mark_dead(l);
            break;
        case OP_Block: case OP_Loop: case OP_If: {
            int64_t bt = 0;
            rd_sleb(r, 33, &bt);
            lw_val cond = {0, 0, 0};
            if (op == OP_If)
                cond = pop(l);
            lw_ctl *nc = push_ctl(l, op == OP_Block ? CTL_BLOCK
                                     : op == OP_Loop ? CTL_LOOP : CTL_IF);
            if (!nc)
                return MANTLE_ENOMEM;
            block_type(l, bt, nc);
            enter_block(l, nc);
            if (op == OP_Loop) {
                emit_op(l, VOP_LOOP_CHECK);
                emit(l, 0);
                nc->cost_cell = l->ncode - 1;
                nc->loop_pc = nc->cost_cell - 1;
                label_note(l, loop_target(nc));
            } else if (op == OP_If) {
                if (nc->nparams) {
                    nc->save = l->save_start + l->save_used;
                    l->save_used += wasm_slot_count(nc->params, nc->nparams);
                    for (uint32_t i = 0; i < nc->nparams; i++)
                        emit_copy(l, nc->params[i],
                                  nc->save + types_offset(nc->params, i),
                                  home(l, nc->height + i));
                }
                /* The condition, popped before entering, is read where
                 * it is: the copies above only write homes below it and
                 * save slots. */
                emit_cond_jump(l, cond, false, NULL, &nc->else_cell);
            }
            break;
        }
        case OP_Else: {
            /* c is the `if`. */
            if (!c->dead) {
                fallthrough_results(l, c);
                emit_op(l, VOP_BR);
                emit_target(l, c);
            }
            patch_chain(l, c->else_cell, l->ncode);
            c->else_cell = NIL;
            c->kind = CTL_ELSE;
            c->dead = false;
            l->height = c->height;
            for (uint32_t i = 0; i < c->nparams; i++) {
                push(l, home(l, c->height + i), c->params[i]);
                emit_copy(l, c->params[i], home(l, c->height + i),
                          c->save + types_offset(c->params, i));
            }
            no_last(l);
            break;
        }
        case OP_End: {
            bool reachable = !c->dead || c->fixups != NIL ||
                             c->else_cell != NIL;
            if (c->kind == CTL_FUNC) {
                if (!c->dead)
                    emit_return(l);
                patch_chain(l, c->fixups, l->ncode);
                if (c->fixups != NIL) {
                    /* Branches to the function's label carry the results
                     * into their homes; return from there. */
                    l->height = 0;
                    push_results(l, c);
                    emit_return(l);
                }
                l->nctls--;
                break;
            }
            if (!c->dead)
                fallthrough_results(l, c);
            if (c->kind == CTL_IF && c->else_cell != NIL && c->nparams) {
                /* if without else: the false path passes the params
                 * through as results; they were saved, restore them. */
                if (!c->dead) {
                    emit_op(l, VOP_BR);
                    emit_target(l, c);
                }
                patch_chain(l, c->else_cell, l->ncode);
                for (uint32_t i = 0; i < c->nparams; i++)
                    emit_copy(l, c->params[i], home(l, c->height + i),
                              c->save + types_offset(c->params, i));
                c->else_cell = NIL;
            }
            if (c->kind == CTL_LOOP)
                l->code[c->cost_cell] = c->cost;
            patch_chain(l, c->fixups, l->ncode);
            patch_chain(l, c->else_cell, l->ncode);
            lw_ctl done = *c;
            l->nctls--;
            push_results(l, &done);
            no_last(l);
            if (!reachable)
                mark_dead(l);
            break;
        }
        case OP_Br: {
            uint32_t depth = 0;
            rd_u32(r, &depth);
            emit_br(l, depth);
            mark_dead(l);
            break;
        }
        case OP_BrIf: {
            uint32_t depth = 0;
            rd_u32(r, &depth);
            lw_val cond = pop(l);
            lw_ctl *t = &l->ctls[l->nctls - 1 - depth];
            if (!branch_needs_moves(l, t)) {
                emit_cond_jump(l, cond, true, t, NULL);
            } else {
                uint32_t skip = 0;
                emit_cond_jump(l, cond, false, NULL, &skip);
                emit_br(l, depth);
                patch_chain(l, skip, l->ncode);
            }
            no_last(l);
            break;
        }
        case OP_BrTable: {
            uint32_t n = 0;
            rd_u32(r, &n);
            lw_val idx = pop(l);
            emit_op(l, VOP_BR_TABLE);
            emit(l, idx.slot);
            emit(l, n);
            uint32_t first = l->ncode;
            for (uint32_t i = 0; i <= n; i++)
                emit(l, NIL);
            if (l->oom)
                return MANTLE_ENOMEM;
            for (uint32_t i = 0; i <= n; i++) {
                uint32_t depth = 0;
                rd_u32(r, &depth);
                lw_ctl *t = &l->ctls[l->nctls - 1 - depth];
                if (!branch_needs_moves(l, t)) {
                    if (t->kind == CTL_LOOP) {
                        l->code[first + i] = loop_target(t);
                    } else {
                        l->code[first + i] = t->fixups;
                        t->fixups = first + i;
                    }
                } else {
                    l->code[first + i] = l->ncode;
                    label_note(l, l->ncode);
                    no_last(l);
                    emit_br(l, depth);
                }
            }
            mark_dead(l);
            break;
        }
        case OP_Return:
            emit_return(l);
            mark_dead(l);
            break;
        case OP_Call: case OP_CallIndirect: {
            uint32_t fidx = 0, tidx = 0, table = 0;
            const wasm_functype *t;
            lw_val elem = {0, 0, 0};
            if (op == OP_Call) {
                rd_u32(r, &fidx);
                t = &l->w->types[l->w->func_type[fidx]];
            } else {
                rd_u32(r, &tidx);
                rd_u32(r, &table);
                t = &l->w->types[tidx];
                elem = pop(l);
            }
            uint32_t base = l->height - t->nparams;
            for (uint32_t i = 0; i < t->nparams; i++)
                materialize(l, base + i);
            /* The elem index may live in a home the args now cover? No:
             * it was above them and popped, so its slot is untouched. */
            if (op == OP_Call) {
                emit_op(l, VOP_CALL);
                emit(l, fidx);
                emit(l, home(l, base));
            } else {
                emit_op(l, VOP_CALL_INDIRECT);
                emit(l, tidx);
                emit(l, table);
                emit(l, home(l, base));
                emit(l, elem.slot);
            }
            l->height = base;
            /* The callee's frame starts at the args: make sure our frame
             * covers its results too. */
            for (uint32_t i = 0; i < t->nresults; i++)
                push(l, home(l, base + i), WASM_FT_RESULTS(t)[i]);
            uint32_t area = wasm_slot_count(t->types, t->nparams);
            if (sheight(l, base) + area > l->max_sh)
                l->max_sh = sheight(l, base) + area;
            break;
        }
        case OP_Drop:
            pop(l);
            break;
        case OP_Select: case OP_SelectT: {
            if (op == OP_SelectT)
                wasm_skip_imm(r, IMM_SELECT_T);
            lw_val cond = pop(l);
            lw_val b = pop(l);
            lw_val a = pop(l);
            uint32_t dst = push_home(l, a.type);
            emit_op(l, a.type == VT_V128 ? VOP_SELECT_V128 : VOP_SELECT);
            emit(l, dst);
            emit(l, a.slot);
            emit(l, b.slot);
            emit(l, cond.slot);
            produced(l, l->ncode - 4);
            break;
        }
        case OP_LocalGet: {
            uint32_t idx = 0;
            rd_u32(r, &idx);
            uint8_t type = idx < l->ft->nparams
                               ? l->ft->types[idx]
                               : l->fn->local_types[idx - l->ft->nparams];
            push(l, local_slot(l, idx), type);
            break;
        }
        case OP_LocalSet: case OP_LocalTee: {
            uint32_t idx = 0;
            rd_u32(r, &idx);
            uint32_t ls = local_slot(l, idx);
            lw_val v = pop(l);
            bool others = false;
            for (uint32_t h = c->height; h < l->height; h++)
                if (l->stack[h].slot == ls)
                    others = true;
            if (!others && l->last_dst_cell != NIL &&
                l->last_end == l->ncode && v.slot == home(l, l->height) &&
                l->code[l->last_dst_cell] == v.slot) {
                /* Retarget the producer to write the local directly. */
                l->code[l->last_dst_cell] = ls;
                lw_merge_adds(l);
            } else {
                if (others)
                    spill_locals(l, c->height, ls);
                emit_copy(l, v.type, ls, v.slot);
            }
            l->last_dst_cell = NIL;
            if (op == OP_LocalTee)
                push(l, ls, v.type);
            break;
        }
        case OP_GlobalGet: {
            uint32_t idx = 0;
            rd_u32(r, &idx);
            uint8_t gt = l->w->global_types[idx].type;
            uint32_t dst = push_home(l, gt);
            emit_op(l, gt == VT_V128 ? VOP_GLOBAL_GET_V128 : VOP_GLOBAL_GET);
            emit(l, dst);
            emit(l, idx);
            produced(l, l->ncode - 2);
            break;
        }
        case OP_GlobalSet: {
            uint32_t idx = 0;
            rd_u32(r, &idx);
            lw_val v = pop(l);
            emit_op(l, v.type == VT_V128 ? VOP_GLOBAL_SET_V128
                                         : VOP_GLOBAL_SET);
            emit(l, v.slot);
            emit(l, idx);
            break;
        }
        case OP_TableGet: {
            uint32_t t = 0;
            rd_u32(r, &t);
            lw_val i = pop(l);
            uint32_t dst = push_home(l, l->w->tables[t].elemtype);
            emit_op(l, VOP_TABLE_GET);
            emit(l, dst);
            emit(l, t);
            emit(l, i.slot);
            produced(l, l->ncode - 3);
            break;
        }
        case OP_TableSet: {
            uint32_t t = 0;
            rd_u32(r, &t);
            lw_val v = pop(l);
            lw_val i = pop(l);
            emit_op(l, VOP_TABLE_SET);
            emit(l, t);
            emit(l, i.slot);
            emit(l, v.slot);
            break;
        }
        case OP_TableSize: {
            uint32_t t = 0;
            rd_u32(r, &t);
            uint32_t dst = push_home(l, VT_I32);
            emit_op(l, VOP_TABLE_SIZE);
            emit(l, dst);
            emit(l, t);
            produced(l, l->ncode - 2);
            break;
        }
        case OP_TableGrow: {
            uint32_t t = 0;
            rd_u32(r, &t);
            lw_val n = pop(l);
            lw_val init = pop(l);
            uint32_t dst = push_home(l, VT_I32);
            emit_op(l, VOP_TABLE_GROW);
            emit(l, dst);
            emit(l, t);
            emit(l, init.slot);
            emit(l, n.slot);
            produced(l, l->ncode - 4);
            break;
        }
        case OP_TableFill: {
            uint32_t t = 0;
            rd_u32(r, &t);
            lw_val n = pop(l);
            lw_val v = pop(l);
            lw_val d = pop(l);
            emit_op(l, VOP_TABLE_FILL);
            emit(l, t);
            emit(l, d.slot);
            emit(l, v.slot);
            emit(l, n.slot);
            break;
        }
        case OP_TableCopy: case OP_TableInit: {
            uint32_t x = 0, y = 0;
            rd_u32(r, &x);
            rd_u32(r, &y);
            lw_val n = pop(l);
            lw_val s = pop(l);
            lw_val d = pop(l);
            if (op == OP_TableCopy) {
                emit_op(l, VOP_TABLE_COPY);
                emit(l, x);
                emit(l, y);
            } else {
                emit_op(l, VOP_TABLE_INIT);
                emit(l, y);  /* table */
                emit(l, x);  /* elem */
            }
            emit(l, d.slot);
            emit(l, s.slot);
            emit(l, n.slot);
            break;
        }
        case OP_ElemDrop: case OP_DataDrop: {
            uint32_t x = 0;
            rd_u32(r, &x);
            emit_op(l, op == OP_ElemDrop ? VOP_ELEM_DROP : VOP_DATA_DROP);
            emit(l, x);
            break;
        }
        case OP_MemorySize: {
            wasm_skip_imm(r, IMM_MEMIDX);
            uint32_t dst = push_home(l, VT_I32);
            emit_op(l, VOP_MEMORY_SIZE);
            emit(l, dst);
            produced(l, l->ncode - 1);
            break;
        }
        case OP_MemoryGrow: {
            wasm_skip_imm(r, IMM_MEMIDX);
            lw_val d = pop(l);
            uint32_t dst = push_home(l, VT_I32);
            emit_op(l, VOP_MEMORY_GROW);
            emit(l, dst);
            emit(l, d.slot);
            produced(l, l->ncode - 2);
            break;
        }
        case OP_MemoryInit: {
            uint32_t x = 0;
            rd_u32(r, &x);
            wasm_skip_imm(r, IMM_MEMIDX);
            lw_val n = pop(l);
            lw_val s = pop(l);
            lw_val d = pop(l);
            emit_op(l, VOP_MEMORY_INIT);
            emit(l, x);
            emit(l, d.slot);
            emit(l, s.slot);
            emit(l, n.slot);
            break;
        }
        case OP_MemoryCopy: case OP_MemoryFill: {
            wasm_skip_imm(r, info->imm);
            lw_val n = pop(l);
            lw_val s = pop(l);
            lw_val d = pop(l);
            emit_op(l, op == OP_MemoryCopy ? VOP_MEMORY_COPY : VOP_MEMORY_FILL);
            emit(l, d.slot);
            emit(l, s.slot);
            emit(l, n.slot);
            break;
        }
        case OP_I32Const: case OP_I64Const: case OP_F32Const:
        case OP_F64Const: {
            int64_t s = 0;
            uint32_t f32 = 0;
            uint64_t v = 0;
            switch (op) {
            case OP_I32Const: rd_sleb(r, 32, &s); v = (uint32_t)s; break;
            case OP_I64Const: rd_sleb(r, 64, &s); v = (uint64_t)s; break;
            case OP_F32Const: rd_f32(r, &f32); v = f32; break;
            default: rd_f64(r, &v); break;
            }
            push(l, lw_const_slot(l, v), sig_type(wasm_sig_results[info->sig][0]));
            break;
        }
        case OP_RefNull: {
            uint8_t t = 0;
            rd_u8(r, &t);
            push(l, lw_const_slot(l, 0), t);
            break;
        }
        case OP_RefIsNull: {
            lw_val a = pop(l);
            uint32_t dst = push_home(l, VT_I32);
            emit_op(l, VOP_REF_IS_NULL);
            emit(l, dst);
            emit(l, a.slot);
            produced(l, l->ncode - 2);
            break;
        }
        case OP_RefFunc: {
            uint32_t f = 0;
            rd_u32(r, &f);
            uint32_t dst = push_home(l, VT_FUNCREF);
            emit_op(l, VOP_REF_FUNC);
            emit(l, dst);
            emit(l, f);
            produced(l, l->ncode - 2);
            break;
        }
        default: {
            /* Ordinary instructions: typed by their SIG, operands read
             * where they are, the result written to its home. */
            const char *ps = wasm_sig_params[info->sig];
            const char *rs = wasm_sig_results[info->sig];
            size_t np = strlen(ps);
            if (info->code >> 8 == 0xFD) {
#if MANTLE_ENABLE_SIMD
                lower_simd(l, r, op);
                break;
#else
                return MANTLE_EINVALID;  /* the decoder refused v128 */
#endif
            }
            if (info->imm == IMM_MEMARG) {
                uint32_t align = 0, offset = 0;
                rd_u32(r, &align);
                rd_u32(r, &offset);
                uint32_t a, b;
                unsigned kf = 0;
                if (rs[0]) {
                    lw_val addr = pop(l);
                    lw_prev p = prev_of(l);
                    bool fuse = lw_fuse_address(l, addr, l->height, &a, &b, &kf);
                    uint32_t dst = push_home(l, sig_type(rs[0]));
                    uint32_t at = l->ncode;
                    if (fuse) {
                        emit_op(l, lw_loadx_op(op));
                        emit(l, dst);
                        emit(l, a);
                        emit(l, b);
                        emit(l, offset);
                        lw_acc_inherit(l, kf, at, lw_loadx_op(op), 2, 3, true);
                        produced(l, l->ncode - 4);
                    } else {
                        emit_op(l, op);
                        emit(l, dst);
                        emit(l, addr.slot);
                        emit(l, offset);
                        lw_acc_link(l, &p, at, op, 2, 0, false);
                        produced(l, l->ncode - 3);
                    }
                } else {
                    lw_val v = pop(l);
                    lw_val addr = pop(l);
                    lw_prev p = prev_of(l);
                    uint32_t at;
                    if (lw_fuse_address(l, addr, l->height, &a, &b, &kf)) {
                        at = l->ncode;
                        emit_op(l, lw_storex_op(op));
                        emit(l, a);
                        emit(l, b);
                        emit(l, v.slot);
                        emit(l, offset);
                        lw_acc_inherit(l, kf, at, lw_storex_op(op), 1, 2, true);
                    } else if (!lw_fuse_opstore(l, op, addr, v, offset)) {
                        at = l->ncode;
                        emit_op(l, op);
                        emit(l, addr.slot);
                        emit(l, v.slot);
                        emit(l, offset);
                        lw_acc_link(l, &p, at, op, 1, 2, false);
                    }
                }
                break;
            }
            if (np == 1 && rs[0]) {
                lw_val a = pop(l);
                uint32_t dst = push_home(l, sig_type(rs[0]));
                emit_op(l, op);
                emit(l, dst);
                emit(l, a.slot);
                produced(l, l->ncode - 2);
            } else if (np == 2 && rs[0]) {
                lw_val b = pop(l);
                lw_val a = pop(l);
                if (lw_fuse_loadop(l, op, a, b, home(l, l->height))) {
                    push_home(l, sig_type(rs[0]));
                    break;
                }
                /* The last i32.add, if any, is not this operator's
                 * address or test (an i32 compare could still become an
                 * add-and-branch with it): it may join the add before,
                 * unless a label was bound after it (link_cell cleared):
                 * merging shortens the code that label points past. */
                if (lw_add_branch_op(op, true) == 0 && l->link_cell != NIL &&
                    l->link_end == l->ncode)
                    lw_merge_adds(l);
                uint32_t dst = push_home(l, sig_type(rs[0]));
                lw_prev p = prev_of(l);
                uint32_t at = l->ncode;
                emit_op(l, op);
                emit(l, dst);
                emit(l, a.slot);
                emit(l, b.slot);
                lw_acc_link(l, &p, at, op, 2, 3, false);
                produced(l, l->ncode - 3);
            } else {
                return MANTLE_EINVALID;  /* no such shape in opcodes.def */
            }
            break;
        }
        }
    }
    return l->oom ? MANTLE_ENOMEM : MANTLE_OK;
}

void vm_code_free(const mantle_allocator *a, vm_code *code)
{
    if (!code)
        return;
    mt_free(a, code->cells);
    mt_free(a, code->init);
    mt_free(a, code->pcmap);
    mt_free(a, code);
}

int vm_lower(mantle_module *mod, uint32_t func_index, vm_code **out_code,
             wasm_error *err)
{
    lw l;
    memset(&l, 0, sizeof l);
    l.mod = mod;
    l.w = mod->wasm;
    l.a = &mod->engine->alloc;
    l.func_index = func_index;
    l.fn = &l.w->funcs[func_index - l.w->nfunc_imports];
    l.ft = &l.w->types[l.fn->type_index];
    l.nparams = wasm_slot_count(l.ft->types, l.ft->nparams);
    l.nresults = wasm_slot_count(WASM_FT_RESULTS(l.ft), l.ft->nresults);
    l.locals_start = l.nparams > l.nresults ? l.nparams : l.nresults;
    vm_code *code = NULL;
    int st = MANTLE_ENOMEM;
    l.lslot = mt_calloc(l.a, (size_t)l.ft->nparams + l.fn->nlocals + 1,
                        sizeof *l.lslot);
    if (!l.lslot)
        goto out;
    {
        uint32_t s = 0, i = 0;
        for (; i < l.ft->nparams; i++) {
            l.lslot[i] = s;
            s += wasm_slot_width(l.ft->types[i]);
        }
        s = l.locals_start;
        for (uint32_t j = 0; j < l.fn->nlocals; j++, i++) {
            l.lslot[i] = s;
            s += wasm_slot_width(l.fn->local_types[j]);
        }
        l.nlocals = s - l.locals_start;
    }
    st = prescan(&l);
    if (st != MANTLE_OK)
        goto out;
    l.save_start = l.locals_start + l.nlocals;
    l.consts_start = l.save_start + l.nsave;
    l.temps_start = l.consts_start + l.nconsts;
    /* Cell 0 is never a fixup target: the chain terminator. */
    emit_op(&l, VOP_UNREACHABLE);
    wasm_reader r = {l.w->bytes, l.w->bytes + l.fn->body.off,
                     l.w->bytes + l.fn->body.off + l.fn->body.len, NULL};
    st = lower_body(&l, &r);
    if (st != MANTLE_OK)
        goto out;
    if (MANTLE_ENABLE_FUSION)
        vm_join_pairs(l.a, l.code, l.ncode, l.pcmap, l.npcmap, l.labels,
                      l.nlabels);
    code = mt_calloc(l.a, 1, sizeof *code);
    uint32_t ninit = l.consts_start + l.nconsts - l.locals_start;
    /* Entry copies whole chunks (VM_INIT_CHUNK): pad the template with
     * zeros, and the frame so the last chunk stays inside it. */
    uint32_t ninit_pad = (ninit + VM_INIT_CHUNK - 1) / VM_INIT_CHUNK *
                         VM_INIT_CHUNK;
    uint64_t *init = mt_calloc(l.a, ninit_pad ? ninit_pad : 1, sizeof *init);
    if (!code || !init) {
        mt_free(l.a, code);
        mt_free(l.a, init);
        code = NULL;
        st = MANTLE_ENOMEM;
        goto out;
    }
    if (l.nconsts)
        memcpy(init + (l.consts_start - l.locals_start), l.consts,
               (size_t)l.nconsts * sizeof *init);
    code->cells = l.code;
    code->ncells = l.ncode;
    code->nparams = l.nparams;
    code->nresults = l.nresults;
    code->locals_start = l.locals_start;
    code->nlocal_slots = l.nlocals;
    code->consts_start = l.consts_start;
    code->nconsts = l.nconsts;
    code->consts = init + (l.consts_start - l.locals_start);
    code->init = init;
    code->ninit = ninit;
    code->frame_slots = l.temps_start + l.max_sh + 1;
    if (code->frame_slots < l.locals_start + ninit_pad)
        code->frame_slots = l.locals_start + ninit_pad;
    code->entry_cost = l.ctls ? l.ctls[0].cost : 1;
    code->pcmap = l.pcmap;
    code->npcmap = l.npcmap;
    code->func_index = func_index;
    l.code = NULL;
    l.pcmap = NULL;
out:
    if (st != MANTLE_OK && err) {
        err->offset = l.cur_off;
        err->func = func_index;
        snprintf(err->msg, sizeof err->msg, "%s",
                 st == MANTLE_ENOMEM ? "out of memory"
                                     : "cannot lower function");
    }
    mt_free(l.a, l.code);
    mt_free(l.a, l.labels);
    mt_free(l.a, l.consts);
    mt_free(l.a, l.hash);
    mt_free(l.a, l.vconsts);
    mt_free(l.a, l.vhash);
    mt_free(l.a, l.lslot);
    mt_free(l.a, l.pcmap);
    mt_free(l.a, l.stack);
    mt_free(l.a, l.ctls);
    *out_code = code;
    return st;
}
