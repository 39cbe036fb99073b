/* loop_scan.c - what the emitter may do differently in a simple inner loop.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Two things keep gcc 12 from vectorizing the loops clang compiles to Wasm
 * (docs/aot.md, Loops): the empty asm after each load (the "keeper": a
 * load whose value is unused must still happen, it may be the access that
 * traps), and values clang carries from one iteration to the next in a
 * local (`v = A[j+1]` reused as `A[j]`), a first-order recurrence gcc 12
 * cannot vectorize. This pass reads one loop body ahead of the emitter and
 * says, with proofs it can make locally:
 *
 *  - which loads need no keeper: their value reaches (through arithmetic,
 *    the stack and locals) a store that gcc cannot delete, or the address
 *    of a load that keeps its keeper. A store is kept if its address moves
 *    every iteration (a statement inside a loop is removed only when it is
 *    dead in every iteration) and no later store of the body may be the
 *    same access (the one case where dead-store elimination applies);
 *  - which locals carry a loaded value into the next iteration and can be
 *    read again from memory instead: the local is set once, from a load
 *    whose address is affine in induction variables and invariants, and
 *    no store of the body can overlap that address in this or the next
 *    iteration. The reload reads bytes the previous iteration read, so it
 *    cannot trap. For the first iteration the local holds whatever it
 *    held before the loop: the emitter checks at run time that the bytes
 *    there are in bounds and equal to it, else runs the loop as it is
 *    (emit_c.c, carry_check).
 *
 * A simple loop has an empty block type, a straight-line body (no blocks,
 * branches, calls, SIMD, memory.grow/copy/fill/init) and ends with
 * `br_if 0; end`; a plan is made only where, with the carried locals read
 * again, every other local read before it is set is an induction variable
 * (what gcc can vectorize). Addresses are tracked as
 * affine forms modulo 2^32 over the locals' values at the top of the
 * iteration; an access that did not trap lies below 4 GiB, so its
 * effective address is (u32 address + offset) mod 2^32 exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "aot.h"
#include "instr.h"

enum { NT = 3, MAX_BODY_OPS = 400, MAX_ACC = 64 };

/* sum(coef[i] * entry(loc[i])) + k, mod 2^32; !known: anything. */
typedef struct lsym {
    bool known;
    uint8_t n;
    uint32_t k;
    uint32_t loc[NT];
    uint32_t coef[NT];
} lsym;

static lsym s_unknown(void)
{
    lsym s = {0};
    return s;
}

static lsym s_const(uint32_t k)
{
    lsym s = {0};
    s.known = true;
    s.k = k;
    return s;
}

static lsym s_local(uint32_t l)
{
    lsym s = s_const(0);
    s.n = 1;
    s.loc[0] = l;
    s.coef[0] = 1;
    return s;
}

/* a + m * b */
static lsym s_addm(lsym a, lsym b, uint32_t m)
{
    if (!a.known || !b.known)
        return s_unknown();
    a.k += m * b.k;
    for (uint8_t i = 0; i < b.n; i++) {
        uint32_t c = m * b.coef[i];
        uint8_t j = 0;
        while (j < a.n && a.loc[j] != b.loc[i])
            j++;
        if (j < a.n) {
            a.coef[j] += c;
            if (a.coef[j] == 0) {
                a.n--;
                a.loc[j] = a.loc[a.n];
                a.coef[j] = a.coef[a.n];
            }
        } else if (c) {
            if (a.n == NT)
                return s_unknown();
            a.loc[a.n] = b.loc[i];
            a.coef[a.n++] = c;
        }
    }
    return a;
}

static lsym s_scale(lsym a, uint32_t m)
{
    return s_addm(s_const(0), a, m);
}

/* b - a is a constant: *d = it. */
static bool s_diff(lsym a, lsym b, uint32_t *d)
{
    lsym x = s_addm(b, a, (uint32_t)-1);
    if (!x.known || x.n)
        return false;
    *d = x.k;
    return true;
}

/* [x, x+nx) and [y, y+ny) with y - x = d (mod 2^32) do not overlap. */
static bool disjoint(uint32_t d, uint32_t nx, uint32_t ny)
{
    return d >= nx && d <= (uint32_t)(0u - ny);
}

typedef struct slot {
    lsym s;
    uint64_t taint;  /* loads (bit = ordinal) this value depends on */
    int32_t load;    /* the load whose result this is, or -1 */
} slot;

typedef struct acc {
    lsym ea;         /* effective address: operand + offset */
    uint32_t size;
    uint64_t taint;  /* of the address (loads), or address and value (stores) */
    uint16_t op;
} acc;

typedef struct scan {
    const uint8_t *ltypes;
    uint32_t nlocals;
    slot *st;
    uint32_t sp, scap;
    lsym *lv;        /* current value of each local */
    uint64_t *lt;    /* its taint */
    uint8_t *lset;   /* times assigned in the body */
    int32_t *lfrom;  /* the load it was last set from, or -1 */
    uint8_t *lread;  /* read before its first assignment */
    acc loads[MAX_ACC], stores[MAX_ACC];
    uint32_t nloads, nstores;
    bool bad;
} scan;

static void spush(scan *s, lsym v, uint64_t t, int32_t load)
{
    if (s->sp == s->scap) {
        uint32_t cap = s->scap ? s->scap * 2 : 32;
        slot *p = realloc(s->st, cap * sizeof *p);
        if (!p) {
            s->bad = true;
            return;
        }
        s->st = p;
        s->scap = cap;
    }
    s->st[s->sp++] = (slot){v, t, load};
}

static slot spop(scan *s)
{
    if (s->sp == 0) {  /* below the loop's own height: not simple */
        s->bad = true;
        return (slot){s_unknown(), 0, -1};
    }
    return s->st[--s->sp];
}

/* One instruction; false: the loop is not simple. */
static bool step(scan *s, wasm_reader *r, uint16_t op)
{
    const wasm_opinfo *info = &wasm_opinfos[op];
    switch (op) {
    case OP_Nop:
        return true;
    case OP_Drop:
        spop(s);
        return true;
    case OP_Select: case OP_SelectT: {
        if (op == OP_SelectT)
            wasm_skip_imm(r, IMM_SELECT_T);
        slot c = spop(s), b = spop(s), a = spop(s);
        spush(s, s_unknown(), a.taint | b.taint | c.taint, -1);
        return true;
    }
    case OP_LocalGet: {
        uint32_t x = 0;
        if (!rd_u32(r, &x) || x >= s->nlocals)
            return false;
        if (!s->lset[x])
            s->lread[x] = 1;
        lsym v = s->ltypes[x] == VT_I32 ? s->lv[x] : s_unknown();
        spush(s, v, s->lt[x], -1);
        return true;
    }
    case OP_LocalSet: case OP_LocalTee: {
        uint32_t x = 0;
        if (!rd_u32(r, &x) || x >= s->nlocals)
            return false;
        slot v = spop(s);
        s->lv[x] = v.s;
        s->lt[x] = v.taint;
        s->lfrom[x] = v.load;
        if (s->lset[x] < 255)
            s->lset[x]++;
        if (op == OP_LocalTee)
            spush(s, v.s, v.taint, v.load);
        return true;
    }
    case OP_GlobalGet:
        wasm_skip_imm(r, IMM_GLOBAL);
        spush(s, s_unknown(), 0, -1);
        return true;
    case OP_GlobalSet:
        wasm_skip_imm(r, IMM_GLOBAL);
        spop(s);
        return true;
    case OP_I32Const: {
        int64_t v = 0;
        rd_sleb(r, 32, &v);
        spush(s, s_const((uint32_t)v), 0, -1);
        return true;
    }
    case OP_I64Const: case OP_F32Const: case OP_F64Const:
        wasm_skip_imm(r, info->imm);
        spush(s, s_unknown(), 0, -1);
        return true;
    case OP_MemorySize:
        wasm_skip_imm(r, IMM_MEMIDX);
        spush(s, s_unknown(), 0, -1);
        return true;
    case OP_I32Add: case OP_I32Sub: case OP_I32Mul: case OP_I32Shl: {
        slot b = spop(s), a = spop(s);
        lsym v = s_unknown();
        if (op == OP_I32Add)
            v = s_addm(a.s, b.s, 1);
        else if (op == OP_I32Sub)
            v = s_addm(a.s, b.s, (uint32_t)-1);
        else if (op == OP_I32Mul && b.s.known && b.s.n == 0)
            v = s_scale(a.s, b.s.k);
        else if (op == OP_I32Mul && a.s.known && a.s.n == 0)
            v = s_scale(b.s, a.s.k);
        else if (op == OP_I32Shl && b.s.known && b.s.n == 0)
            v = s_scale(a.s, 1u << (b.s.k & 31));
        spush(s, v, a.taint | b.taint, -1);
        return true;
    }
    default:
        break;
    }
    if (info->imm == IMM_MEMARG && info->code >> 8 != 0xFD) {
        uint32_t align = 0, off = 0;
        rd_u32(r, &align);
        rd_u32(r, &off);
        const char *res = wasm_sig_results[info->sig];
        bool is_load = res[0] != '\0';
        acc a = {.size = 1u << info->arg, .op = op};
        if (is_load) {
            slot ad = spop(s);
            a.ea = s_addm(ad.s, s_const(off), 1);
            a.taint = ad.taint;
            if (s->nloads == MAX_ACC)
                return false;
            uint32_t ord = s->nloads;
            s->loads[s->nloads++] = a;
            spush(s, s_unknown(), ad.taint | 1ull << ord, (int32_t)ord);
        } else {
            slot v = spop(s), ad = spop(s);
            a.ea = s_addm(ad.s, s_const(off), 1);
            a.taint = ad.taint | v.taint;
            if (s->nstores == MAX_ACC)
                return false;
            s->stores[s->nstores++] = a;
        }
        return true;
    }
    /* Plain operators: no immediate, not control, not SIMD. */
    if (info->imm != IMM_NONE || info->code >> 8 == 0xFD)
        return false;
    switch (op) {
    case OP_Unreachable: case OP_Return: case OP_Else:
        return false;
    default:
        break;
    }
    const char *ps = wasm_sig_params[info->sig];
    const char *rs = wasm_sig_results[info->sig];
    uint64_t t = 0;
    for (const char *p = ps; *p; p++)
        t |= spop(s).taint;
    for (const char *p = rs; *p; p++)
        spush(s, s_unknown(), t, -1);
    return true;
}

/* A local's value at the end of the iteration is its entry value plus a
 * constant (`*stepv`), or it is not assigned (step 0). */
static bool induction(const scan *s, uint32_t l, uint32_t *stepv)
{
    if (!s->lset[l]) {
        *stepv = 0;
        return true;
    }
    if (s->ltypes[l] != VT_I32)
        return false;
    lsym e = s_local(l);
    return s_diff(e, s->lv[l], stepv);
}

/* How far an affine address moves from one iteration to the next. */
static bool advance(const scan *s, lsym a, uint32_t *d)
{
    if (!a.known)
        return false;
    uint32_t sum = 0;
    for (uint8_t i = 0; i < a.n; i++) {
        uint32_t st;
        if (!induction(s, a.loc[i], &st))
            return false;
        sum += a.coef[i] * st;
    }
    *d = sum;
    return true;
}

/* gcc cannot delete store i: its address moves every iteration and no
 * later store of the body may be the same access. */
static bool store_kept(const scan *s, uint32_t i)
{
    const acc *a = &s->stores[i];
    uint32_t d;
    if (!advance(s, a->ea, &d) || d == 0)
        return false;
    for (uint32_t j = i + 1; j < s->nstores; j++) {
        uint32_t k;
        if (!s_diff(a->ea, s->stores[j].ea, &k) ||
            !disjoint(k, a->size, s->stores[j].size))
            return false;
    }
    /* gcc also deletes a store of the value memory already holds
     * (`*p = *p`): no load it depends on may read the stored bytes. */
    for (uint32_t j = 0; j < s->nloads; j++) {
        uint32_t k;
        if ((a->taint >> j & 1) &&
            (!s_diff(a->ea, s->loads[j].ea, &k) ||
             !disjoint(k, a->size, s->loads[j].size)))
            return false;
    }
    return true;
}

/* Can a local set once from load `ld` be read again from memory at the
 * top of the next iteration? */
static bool carriable(const scan *s, const acc *ld, uint32_t *adv)
{
    if (!advance(s, ld->ea, adv))
        return false;
    for (uint32_t i = 0; i < s->nstores; i++) {
        const acc *st = &s->stores[i];
        uint32_t d, sd;
        /* The store in the load's iteration and in the next one (before
         * the read, conservatively anywhere) must miss the loaded bytes. */
        if (!s_diff(ld->ea, st->ea, &d) || !advance(s, st->ea, &sd) ||
            !disjoint(d, ld->size, st->size) ||
            !disjoint(d + sd, ld->size, st->size))
            return false;
    }
    return true;
}

static void scan_free(scan *s)
{
    free(s->st);
    free(s->lv);
    free(s->lt);
    free(s->lset);
    free(s->lfrom);
    free(s->lread);
}

bool aot_loop_scan(const uint8_t *ltypes, uint32_t nlocals, const uint8_t *p,
                   const uint8_t *end, aot_loop_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    scan s = {.ltypes = ltypes, .nlocals = nlocals};
    uint32_t n = nlocals ? nlocals : 1;
    s.lv = malloc(n * sizeof *s.lv);
    s.lt = calloc(n, sizeof *s.lt);
    s.lset = calloc(n, 1);
    s.lfrom = malloc(n * sizeof *s.lfrom);
    s.lread = calloc(n, 1);
    bool ok = false;
    if (!s.lv || !s.lt || !s.lset || !s.lfrom || !s.lread)
        goto out;
    for (uint32_t l = 0; l < nlocals; l++) {
        s.lv[l] = s_local(l);
        s.lfrom[l] = -1;
    }
    wasm_reader r = {NULL, p, end, NULL};
    bool backedge = false;
    for (uint32_t nops = 0;; nops++) {
        uint16_t op;
        if (nops > MAX_BODY_OPS || r.err || r.p >= r.end ||
            !wasm_read_op(&r, &op))
            goto out;
        if (op == OP_End) {
            if (!backedge || s.sp != 0)
                goto out;
            break;
        }
        if (backedge)  /* br_if 0 must be the last instruction */
            goto out;
        if (op == OP_BrIf) {
            uint32_t d = 0;
            if (!rd_u32(&r, &d) || d != 0)  /* an early exit: see below */
                goto out;
            spop(&s);
            backedge = true;
            continue;
        }
        if (!step(&s, &r, op) || s.bad)
            goto out;
    }
    plan->nloads = s.nloads;
    /* Keepers. */
    uint64_t used = 0;
    for (uint32_t i = 0; i < s.nstores; i++)
        if (store_kept(&s, i))
            used |= s.stores[i].taint;
    /* A kept load's address inputs are used too; taints are transitive
     * (a load's result carries its address's taint). */
    for (uint32_t i = 0; i < s.nloads; i++)
        if (!(used >> i & 1))
            used |= s.loads[i].taint;
    plan->nokeep = used;
    /* Carried locals. */
    for (uint32_t l = 0; l < nlocals && plan->ncarry < AOT_MAX_CARRY; l++) {
        if (!s.lread[l] || s.lset[l] != 1 || s.lfrom[l] < 0 ||
            ltypes[l] == VT_V128)
            continue;
        const acc *ld = &s.loads[s.lfrom[l]];
        uint32_t adv;
        if (!carriable(&s, ld, &adv))
            continue;
        aot_carry *c = &plan->carry[plan->ncarry++];
        c->local = l;
        c->op = ld->op;
        /* The previous iteration's address, in this iteration's values. */
        c->k = ld->ea.k - adv;
        c->nterms = ld->ea.n;
        for (uint8_t i = 0; i < ld->ea.n; i++) {
            c->loc[i] = ld->ea.loc[i];
            c->coef[i] = ld->ea.coef[i];
        }
    }
    /* Only where gcc may then vectorize (it does not vectorize loops with
     * early exits, nor recurrences other than induction variables):
     * elsewhere the reloads only add loads (seidel2d 0.41 -> 0.44 s) and
     * without keepers gcc carries loaded values itself, through integer
     * registers (docs/aot.md). */
    for (uint32_t l = 0; l < nlocals; l++) {
        uint32_t st;
        bool carried = false;
        for (uint32_t i = 0; i < plan->ncarry; i++)
            carried |= plan->carry[i].local == l;
        if (s.lread[l] && s.lset[l] && !carried && !induction(&s, l, &st))
            goto out;
    }
    ok = plan->nokeep != 0 || plan->ncarry != 0;
out:
    scan_free(&s);
    return ok;
}
