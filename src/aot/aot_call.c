/* aot_call.c - entering and leaving AOT code: the call wrapper, traps, the
 * runtime entry points generated code calls, and the fault handler.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: layout checks - the wrapper chain - traps and faults - the aot_api
 *      table - vm_aot_invoke - instance binding.
 *
 * Invariants:
 * - Every entry into native code goes through vm_aot_invoke, which pushes
 *   a wrapper (a sigsetjmp buffer) on this thread's chain. A trap - raised
 *   by generated code through AOT_TRAP, by a fault in a guard region, or
 *   propagated from a callee - siglongjmps to the innermost wrapper only,
 *   so wrappers nest for host-to-guest re-entry and no native frame is
 *   ever unwound past a host frame.
 * - While native code of an instance runs, its aot_* fields hold the run's
 *   fuel, call depth and limits; they are copied in from and back to the
 *   execution context (vm_exec) at every wrapper and every runtime call,
 *   so fuel and the depth limit span interpreted and native frames alike.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>

#include "aot.h"
#include "aot_rt.h"
#include "bulk.h"
#include "vm.h"

/* ---- Layout checks: aot_rt.h mirrors vm.h ------------------------------ */

#define SAME(A, B, f) _Static_assert(offsetof(A, f) == offsetof(B, f), #f)
SAME(aot_functype, wasm_functype, nparams);
SAME(aot_functype, wasm_functype, types);
_Static_assert(sizeof(aot_functype) == sizeof(wasm_functype), "functype");
SAME(aot_func, struct mantle_func, type);
SAME(aot_func, struct mantle_func, inst);
SAME(aot_func, struct mantle_func, aot_fn);
SAME(aot_func, struct mantle_func, aot_tramp);
SAME(aot_memory, struct mantle_memory, base);
SAME(aot_memory, struct mantle_memory, size);
SAME(aot_table, struct mantle_table, size);
SAME(aot_table, struct mantle_table, elems);
SAME(aot_inst, struct mantle_instance, funcs);
SAME(aot_inst, struct mantle_instance, tables);
SAME(aot_inst, struct mantle_instance, memories);
SAME(aot_inst, struct mantle_instance, global_slots);
SAME(aot_inst, struct mantle_instance, aot_api);
SAME(aot_inst, struct mantle_instance, aot_types);
SAME(aot_inst, struct mantle_instance, aot_fuel);
SAME(aot_inst, struct mantle_instance, aot_interrupt);
SAME(aot_inst, struct mantle_instance, aot_depth);
SAME(aot_inst, struct mantle_instance, aot_max_depth);
SAME(aot_inst, struct mantle_instance, aot_stack_limit);
SAME(aot_inst, struct mantle_instance, aot_mem0);
_Static_assert((int)AOT_TRAP_OUT_OF_BOUNDS == (int)MANTLE_TRAP_OUT_OF_BOUNDS &&
                   (int)AOT_TRAP_INTERRUPTED == (int)MANTLE_TRAP_INTERRUPTED &&
                   (int)AOT_TRAP_TABLE_BOUNDS == (int)MANTLE_TRAP_TABLE_BOUNDS,
               "trap kinds");

/* ---- The wrapper chain ----------------------------------------------- */

enum { J_TRAP = 1, J_STATUS = 2 };

typedef struct aot_wrapper {
    sigjmp_buf jb;
    struct aot_wrapper *prev;
    mantle_instance *inst;   /* whose native code runs (fault check) */
    vm_exec *ex;
    mantle_trap_kind trap;   /* J_TRAP: what and where */
    uint32_t func;
    int status;              /* J_STATUS: diag already filled */
    volatile bool in_call;   /* in rt_call (see on_interrupt) */
} aot_wrapper;

static _Thread_local aot_wrapper *tls_top;
static _Thread_local uintptr_t tls_stack_limit;

/* Host stack kept free below native frames: host functions (WASI) and
 * the runtime run there. */
#define AOT_STACK_RESERVE (256u << 10)

/* ---- Traps and faults ---------------------------------------------------- */

__attribute__((noreturn)) static void rt_trap(aot_inst *c, int kind,
                                              uint32_t func)
{
    (void)c;
    aot_wrapper *w = tls_top;
    w->trap = (mantle_trap_kind)kind;
    w->func = func;
    siglongjmp(w->jb, J_TRAP);
}

static bool in_memory(const mantle_instance *inst, uintptr_t a)
{
    for (uint32_t i = 0; i < inst->wasm->nmemories; i++) {
        const mantle_memory *m = inst->memories[i];
        if (m && a >= (uintptr_t)m->base &&
            a - (uintptr_t)m->base < m->reserved)
            return true;
    }
    return false;
}

/* Async-signal context: reads only, then siglongjmp. */
static void on_fault(void *addr)
{
    aot_wrapper *w = tls_top;
    if (!w || !in_memory(w->inst, (uintptr_t)addr))
        return;  /* not a guard-region access of running AOT code */
    w->trap = MANTLE_TRAP_OUT_OF_BOUNDS;
    w->func = UINT32_MAX;
    siglongjmp(w->jb, J_TRAP);
}

/* The function whose code holds `pc` (the entry point at or below it),
 * or UINT32_MAX. */
static uint32_t func_at(const struct vm_aot_code *code, uintptr_t pc)
{
    uint32_t lo = 0, hi = code->nby_addr;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (code->by_addr[mid].addr <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? code->by_addr[lo - 1].func : UINT32_MAX;
}

/* Interruption (signal context). Native code has no loop polls: the
 * interrupter signals the thread (vm_aot_interrupt) and, when the thread
 * is inside this run's generated code, it leaves from there as from a
 * trap. Elsewhere it must not (the runtime, libc): ask to be called again
 * in a millisecond, unless the thread is in a callee reached through
 * rt_call: the generated code checks the flag when it returns
 * (AOT_CHECK_INTR), and interpreted callees poll it themselves. */
static int on_interrupt(uintptr_t pc)
{
    aot_wrapper *w = tls_top;
    if (!w || !w->ex->interrupt || !os_atomic_load_u32(w->ex->interrupt))
        return 0;
    if (w->in_call)
        return 0;
    const struct vm_aot_code *code = w->inst->module->aot;
    if (pc < code->text_lo || pc >= code->text_hi)
        return 1;
    w->trap = MANTLE_TRAP_INTERRUPTED;
    w->func = func_at(code, pc);
    siglongjmp(w->jb, J_TRAP);
}

static os_once fault_once = OS_ONCE_INIT;
static int fault_status;

static void fault_install(void)
{
    fault_status = os_fault_handler_install(on_fault);
    if (fault_status == 0)
        fault_status = os_interrupt_handler_install(on_interrupt);
}

void vm_aot_interrupt(mantle_instance *inst)
{
    long tid = __atomic_load_n(&inst->aot_thread, __ATOMIC_SEQ_CST);
    if (tid)
        os_interrupt_thread(tid);
}

/* ---- Runtime entry points (aot_api) ------------------------------------- */

static void rt_call(aot_inst *ci, aot_func *fi, uint64_t *slots)
{
    mantle_instance *c = (mantle_instance *)ci;
    mantle_func *f = (mantle_func *)fi;
    aot_wrapper *w = tls_top;
    vm_exec *ex = w->ex;
    uint32_t saved_depth = ex->depth;
    ex->fuel = c->aot_fuel;
    ex->depth = c->aot_depth;
    w->in_call = true;
    int st = vm_invoke(f, slots, ex->diag);
    w->in_call = false;
    c->aot_fuel = ex->fuel;
    ex->depth = saved_depth;
    if (st != MANTLE_OK) {
        w->status = st;
        siglongjmp(w->jb, J_STATUS);
    }

}

static int rt_sig_eq(const aot_functype *a, const aot_functype *b)
{
    return wasm_functype_equal((const wasm_functype *)a,
                               (const wasm_functype *)b);
}

static uint32_t rt_memory_grow(aot_inst *c, uint32_t delta)
{
    uint32_t old = 0;
    mantle_memory *m = ((mantle_instance *)c)->memories[0];
    return vm_memory_grow(m, delta, &old) == MANTLE_OK ? old : UINT32_MAX;
}

static int rt_memory_init(aot_inst *c, uint32_t seg, uint32_t d, uint32_t s,
                          uint32_t n)
{
    return (int)vm_memory_init((mantle_instance *)c, seg, d, s, n);
}

static void rt_data_drop(aot_inst *c, uint32_t seg)
{
    ((mantle_instance *)c)->data_dropped[seg] = true;
}

static int rt_table_init(aot_inst *c, uint32_t t, uint32_t seg, uint32_t d,
                         uint32_t s, uint32_t n)
{
    return (int)vm_table_init((mantle_instance *)c, t, seg, d, s, n);
}

static void rt_elem_drop(aot_inst *c, uint32_t seg)
{
    ((mantle_instance *)c)->elem_dropped[seg] = true;
}

static int rt_table_copy(aot_inst *c, uint32_t dt, uint32_t st, uint32_t d,
                         uint32_t s, uint32_t n)
{
    return (int)vm_table_copy((mantle_instance *)c, dt, st, d, s, n);
}

static uint32_t rt_table_grow(aot_inst *c, uint32_t t, void *init, uint32_t n)
{
    uint32_t old = 0;
    mantle_table *tab = ((mantle_instance *)c)->tables[t];
    return vm_table_grow(tab, n, init, &old) == MANTLE_OK ? old : UINT32_MAX;
}

static int rt_table_fill(aot_inst *c, uint32_t t, uint32_t d, void *val,
                         uint32_t n)
{
    return (int)vm_table_fill((mantle_instance *)c, t, d, val, n);
}

static const aot_api rt_api = {
    1,
    rt_trap,
    rt_call,
    rt_sig_eq,
    rt_memory_grow,
    rt_memory_init,
    rt_data_drop,
    rt_table_init,
    rt_elem_drop,
    rt_table_copy,
    rt_table_grow,
    rt_table_fill,
};

/* ---- Entering native code ------------------------------------------------ */

static void report(vm_exec *ex, mantle_instance *inst, mantle_trap_kind k,
                   uint32_t func)
{
    mantle_diag *d = ex->diag;
    if (!d)
        return;
    const char *msg = mantle_trap_message(k);
    if (func == UINT32_MAX) {
        vm_diag_set(d, MANTLE_ETRAP, "%s: native code: %s",
                    inst->module->name, msg);
    } else {
        const char *fname = mantle_module_func_name(inst->module, func);
        if (fname)
            vm_diag_set(d, MANTLE_ETRAP, "%s: function %u (%s): %s",
                        inst->module->name, func, fname, msg);
        else
            vm_diag_set(d, MANTLE_ETRAP, "%s: function %u: %s",
                        inst->module->name, func, msg);
    }
    d->trap = k;
    d->func_index = func;
    d->offset = UINT32_MAX;
    d->nframes = func == UINT32_MAX ? 0 : 1;
    d->frames_omitted = 0;
    if (d->nframes) {
        d->frames[0].func_index = func;
        d->frames[0].offset = UINT32_MAX;
    }
}

int vm_aot_invoke(vm_exec *ex, mantle_func *fn, uint64_t *slots)
{
    mantle_instance *c = fn->inst;
    if (!tls_stack_limit) {
        uintptr_t low = os_thread_stack_low();
        tls_stack_limit = low ? low + AOT_STACK_RESERVE : 1;
        os_fault_thread_init();
        os_interrupt_thread_init();
    }
    /* Saved for re-entry into the same instance from a host function. */
    int64_t s_fuel = c->aot_fuel;
    uint32_t s_depth = c->aot_depth, s_max = c->aot_max_depth;
    volatile uint32_t *s_intr = c->aot_interrupt;
    uintptr_t s_limit = c->aot_stack_limit;
    uint64_t *s_sp = ex->sp;
    /* Arguments on the value stack (a call from the interpreter): keep a
     * nested interpreter run above them. */
    const wasm_functype *ft = fn->type;
    uint32_t nps = wasm_slot_count(ft->types, ft->nparams);
    uint32_t nrs = wasm_slot_count(WASM_FT_RESULTS(ft), ft->nresults);
    uint32_t area = nps > nrs ? nps : nrs;
    if (slots >= ex->stack && slots < ex->stack_end && slots + area > ex->sp)
        ex->sp = slots + area;

    c->aot_fuel = ex->fuel;
    c->aot_depth = ex->depth;
    c->aot_max_depth = ex->max_frames;
    c->aot_interrupt = ex->interrupt;
    c->aot_stack_limit = tls_stack_limit;

    aot_wrapper w;
    w.prev = tls_top;
    w.inst = c;
    w.ex = ex;
    w.status = MANTLE_OK;
    w.in_call = false;
    int st = MANTLE_OK;
    /* volatile: read after siglongjmp */
    aot_wrapper *volatile wp = &w;
    tls_top = &w;
    /* The outermost wrapper of a run publishes this thread to the
     * interrupter; then an interrupt requested before it is re-sent, once
     * the handler can find this wrapper (the store and the load pair with
     * mantle_instance_interrupt's). */
    mantle_instance *entry = ex->entry;
    if (ex->aot_nest++ == 0 && entry) {
        long tid = os_thread_id();
        __atomic_store_n(&entry->aot_thread, tid, __ATOMIC_SEQ_CST);
        if (ex->interrupt && __atomic_load_n(ex->interrupt, __ATOMIC_SEQ_CST))
            os_interrupt_thread(tid);
    }
    int j = sigsetjmp(w.jb, 0);
    if (j == 0) {
        fn->aot_tramp(c, slots);
    } else if (j == J_TRAP) {
        report(ex, c, wp->trap, wp->func);
        st = MANTLE_ETRAP;
    } else {
        st = wp->status;
    }
    tls_top = wp->prev;
    if (--ex->aot_nest == 0 && entry)
        __atomic_store_n(&entry->aot_thread, 0, __ATOMIC_SEQ_CST);
    ex->fuel = c->aot_fuel;
    c->aot_fuel = s_fuel;
    c->aot_depth = s_depth;
    c->aot_max_depth = s_max;
    c->aot_interrupt = s_intr;
    c->aot_stack_limit = s_limit;
    ex->sp = s_sp;
    return st;
}

/* ---- Binding an instance to native code ---------------------------------- */

int vm_aot_instance_init(mantle_instance *inst, mantle_diag *diag)
{
    struct vm_aot_code *code = inst->module->aot;
    if (!code)
        return MANTLE_OK;
    const wasm_module *w = inst->wasm;
    if (code->guard) {
        for (uint32_t i = 0; i < w->nmemories; i++) {
#if UINTPTR_MAX > 0xFFFFFFFFu
            bool guarded = inst->memories[i]->reserved >= VM_GUARD_RESERVE;
#else
            bool guarded = false;  /* no room in a 32-bit address space */
#endif
            if (!guarded) {
                vm_diag_set(diag, MANTLE_ENOMEM,
                            "%s: memory %u lacks the guard region native "
                            "code needs (address space exhausted?)",
                            inst->module->name, i);
                return MANTLE_ENOMEM;
            }
        }
    }
    os_call_once(&fault_once, fault_install);
    if (fault_status != 0) {
        vm_diag_set(diag, MANTLE_EIO, "%s: cannot install the fault and "
                    "interrupt handlers native code needs", inst->module->name);
        return MANTLE_EIO;
    }
    inst->aot_api = &rt_api;
    inst->aot_types = w->types;
    /* With guard regions memory 0 never moves: generated code reads its
     * base here, one load instead of three at every function entry. */
    inst->aot_mem0 = code->guard && w->nmemories ? inst->memories[0]->base
                                                 : NULL;
    inst->aot_max_depth = 0;  /* set at entry */
    uint32_t ndef = w->nfuncs - w->nfunc_imports;
    for (uint32_t i = 0; i < ndef; i++) {
        inst->own_funcs[i].aot_fn = code->fns[i];
        inst->own_funcs[i].aot_tramp =
            (void (*)(mantle_instance *, uint64_t *))code->tramps[i];
        /* The interpreter calls only functions with lowered code and
         * tests for native code when there is none (interp.c do_call). */
        if (code->tramps[i])
            inst->own_funcs[i].code = NULL;
    }
    return MANTLE_OK;
}
