/* call.c - entering Wasm from the host: execution contexts, argument
 * conversion, lazy compilation, mantle_func_call.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A thread that enters Wasm gets the entry instance's execution context
 * (value stack and frames, reserved on first use and faulted in by the
 * kernel as they are touched). A host function that calls back into Wasm
 * on the same thread continues on that context above the caller's frames,
 * so nesting needs no new stacks and the call-depth limit spans it all.
 */
#include <stdio.h>

#include "config.h"
#include "vm.h"

static _Thread_local vm_exec *tls_exec;

static vm_exec *exec_new(mantle_engine *e)
{
    vm_exec *ex = mt_calloc(&e->alloc, 1, sizeof *ex);
    if (!ex)
        return NULL;
    size_t page = os_page_size();
    size_t sbytes = ((size_t)e->cfg.max_stack_bytes + page - 1) / page * page;
    size_t fbytes = ((size_t)e->cfg.max_call_depth * sizeof(vm_frame) + page - 1) /
                    page * page;
    ex->stack = os_mem_reserve(sbytes);
    ex->frames = os_mem_reserve(fbytes);
    if (!ex->stack || !ex->frames || os_mem_commit(ex->stack, sbytes) != 0 ||
        os_mem_commit(ex->frames, fbytes) != 0) {
        os_mem_release(ex->stack, sbytes);
        os_mem_release(ex->frames, fbytes);
        mt_free(&e->alloc, ex);
        return NULL;
    }
    ex->stack_bytes = sbytes;
    ex->stack_end = ex->stack + sbytes / sizeof(uint64_t);
    ex->max_frames = e->cfg.max_call_depth;
    return ex;
}

void vm_exec_free(mantle_engine *e, vm_exec *ex);
void vm_exec_free(mantle_engine *e, vm_exec *ex)
{
    if (!ex)
        return;
    size_t page = os_page_size();
    size_t fbytes = ((size_t)e->cfg.max_call_depth * sizeof(vm_frame) + page - 1) /
                    page * page;
    os_mem_release(ex->stack, ex->stack_bytes);
    os_mem_release(ex->frames, fbytes);
    mt_free(&e->alloc, ex);
}

int vm_func_prepare(mantle_func *fn, mantle_diag *diag)
{
    if (fn->code || fn->host)
        return MANTLE_OK;
    mantle_module *mod = fn->inst->module;
    uint32_t i = fn->index - mod->wasm->nfunc_imports;
    vm_code *code = __atomic_load_n(&mod->code[i], __ATOMIC_ACQUIRE);
    if (!code) {
        wasm_error err;
        memset(&err, 0, sizeof err);
        int st = vm_lower(mod, fn->index, &code, &err);
        if (st != MANTLE_OK) {
            vm_diag_set(diag, st, "%s: function %u, offset 0x%x: %s",
                        mod->name, err.func, err.offset, err.msg);
            return st;
        }
        vm_code *expected = NULL;
        if (!__atomic_compare_exchange_n(&mod->code[i], &expected, code, false,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            vm_code_free(&mod->engine->alloc, code);  /* another thread won */
            code = expected;
        }
    }
    fn->code = code;
    return MANTLE_OK;
}

static int call_host(mantle_func *fn, vm_exec *ex, mantle_instance *inst,
                     uint64_t *slots, mantle_diag *diag);

int vm_invoke(mantle_func *fn, uint64_t *slots, mantle_diag *diag)
{
    vm_exec *ex = tls_exec;
    bool nested = ex && ex->active;
    mantle_instance *inst = fn->inst;
    int st;
    if (!nested) {
        mantle_instance *entry = inst;
        if (!entry) {  /* a host function called directly */
            vm_exec tmp;
            memset(&tmp, 0, sizeof tmp);
            return call_host(fn, &tmp, NULL, slots, diag);
        }
        if (!entry->exec && !(entry->exec = exec_new(entry->engine))) {
            vm_diag_set(diag, MANTLE_ENOMEM, "out of memory for the stack");
            return MANTLE_ENOMEM;
        }
        ex = entry->exec;
        ex->active = true;
        ex->depth = 0;
        ex->sp = ex->stack;
        ex->entry = entry;
        ex->interrupt = &entry->interrupt;
        ex->fuel = entry->fuel > (uint64_t)INT64_MAX ? INT64_MAX
                                                     : (int64_t)entry->fuel;
        tls_exec = ex;
    }
    mantle_diag *saved_diag = ex->diag;
    uint64_t *saved_sp = ex->sp;
    ex->diag = diag;
    if (fn->host) {
        st = call_host(fn, ex, ex->entry, slots, diag);
        goto out;
    }
#if MANTLE_ENABLE_AOT
    if (fn->aot_tramp) {  /* native code (src/aot/aot_call.c) */
        st = vm_aot_invoke(ex, fn, slots);
        if (st == MANTLE_EEXIT) {
            vm_diag_set(diag, MANTLE_EEXIT, "exit status %d", ex->exit_code);
            if (diag)
                diag->exit_code = ex->exit_code;
        }
        goto out;
    }
#endif
    st = vm_func_prepare(fn, diag);
    if (st != MANTLE_OK)
        goto out;
    const wasm_functype *ft = fn->type;
    uint32_t nps = wasm_slot_count(ft->types, ft->nparams);
    uint32_t nrs = wasm_slot_count(WASM_FT_RESULTS(ft), ft->nresults);
    uint32_t area = nps > nrs ? nps : nrs;
    uint64_t *fp = ex->sp;
    if (fp + area >= ex->stack_end) {
        vm_diag_set(diag, MANTLE_ETRAP, "%s: %s", inst->module->name,
                    mantle_trap_message(MANTLE_TRAP_STACK_EXHAUSTED));
        if (diag)
            diag->trap = MANTLE_TRAP_STACK_EXHAUSTED;
        st = MANTLE_ETRAP;
        goto out;
    }
    memcpy(fp, slots, (size_t)nps * sizeof(uint64_t));
    st = vm_interp(ex, fn, fp);
    if (st == MANTLE_OK)
        memcpy(slots, fp, (size_t)nrs * sizeof(uint64_t));
    else if (st == MANTLE_EEXIT) {
        vm_diag_set(diag, MANTLE_EEXIT, "exit status %d", ex->exit_code);
        if (diag)
            diag->exit_code = ex->exit_code;
    }
out:
    ex->diag = saved_diag;
    ex->sp = saved_sp;
    if (!nested) {
        ex->active = false;
        tls_exec = NULL;
        mantle_instance *entry = ex->entry;
        if (entry->fuel != UINT64_MAX)
            entry->fuel = ex->fuel < 0 ? 0 : (uint64_t)ex->fuel;
    }
    return st;
}


static int call_host(mantle_func *fn, vm_exec *ex, mantle_instance *inst,
                     uint64_t *slots, mantle_diag *diag)
{
    const wasm_functype *ft = fn->type;
    mantle_val small[16];
    size_t n = (size_t)ft->nparams + ft->nresults;
    const mantle_allocator *a = &mt_default_allocator;
    mantle_val *vals = n <= 16 ? small : mt_calloc(a, n, sizeof *vals);
    if (!vals) {
        vm_diag_set(diag, MANTLE_ENOMEM, "out of memory");
        return MANTLE_ENOMEM;
    }
    for (uint32_t i = 0, o = 0; i < ft->nparams;
         o += wasm_slot_width(ft->types[i]), i++)
        vm_slot_to_val(ft->types[i], &slots[o], &vals[i]);
    for (uint32_t i = 0; i < ft->nresults; i++) {
        memset(&vals[ft->nparams + i], 0, sizeof *vals);
        vals[ft->nparams + i].kind = vm_kind_of(ft->types[ft->nparams + i]);
    }
    struct mantle_caller caller = {ex, inst};
    ex->host_msg[0] = '\0';
    int st = fn->host(&caller, fn->env, vals, vals + ft->nparams);
    if (st == MANTLE_OK) {
        for (uint32_t i = 0, o = 0; i < ft->nresults;
             o += wasm_slot_width(ft->types[ft->nparams + i]), i++)
            vm_val_to_slot(&vals[ft->nparams + i], &slots[o]);
    } else if (st == MANTLE_EEXIT) {
        vm_diag_set(diag, MANTLE_EEXIT, "exit status %d", ex->exit_code);
        if (diag)
            diag->exit_code = ex->exit_code;
    } else {
        vm_diag_set(diag, MANTLE_ETRAP, "host function: %s",
                    ex->host_msg[0] ? ex->host_msg : mantle_strerror(st));
        if (diag)
            diag->trap = MANTLE_TRAP_HOST;
        st = MANTLE_ETRAP;
    }
    if (vals != small)
        mt_free(a, vals);
    return st;
}

int mantle_func_call(mantle_func *func, const mantle_val *args, size_t nargs,
                     mantle_val *results, size_t nresults, mantle_diag *diag)
{
    if (!func || (nargs && !args) || (nresults && !results)) {
        vm_diag_set(diag, MANTLE_EINVAL, "invalid argument");
        return MANTLE_EINVAL;
    }
    const wasm_functype *ft = func->type;
    if (nargs != ft->nparams || nresults != ft->nresults) {
        vm_diag_set(diag, MANTLE_ETYPE,
                    "function takes %u arguments and returns %u results; "
                    "given %zu and room for %zu",
                    ft->nparams, ft->nresults, nargs, nresults);
        return MANTLE_ETYPE;
    }
    for (size_t i = 0; i < nargs; i++) {
        if (vm_type_of(args[i].kind) != ft->types[i]) {
            vm_diag_set(diag, MANTLE_ETYPE, "argument %zu: expected %s, got %s",
                        i, wasm_valtype_name(ft->types[i]),
                        mantle_valkind_name(args[i].kind));
            return MANTLE_ETYPE;
        }
    }
    uint64_t small[32];
    size_t n = (nargs > nresults ? nargs : nresults) * 2 + 1;
    const mantle_allocator *a = &mt_default_allocator;
    uint64_t *slots = n <= 32 ? small : mt_calloc(a, n, sizeof *slots);
    if (!slots) {
        vm_diag_set(diag, MANTLE_ENOMEM, "out of memory");
        return MANTLE_ENOMEM;
    }
    /* Values take their slots in order, a v128 two (docs/interpreter.md). */
    for (size_t i = 0, o = 0; i < nargs; o += wasm_slot_width(ft->types[i]), i++)
        vm_val_to_slot(&args[i], &slots[o]);
    int st = vm_invoke(func, slots, diag);
    if (st == MANTLE_OK)
        for (size_t i = 0, o = 0; i < nresults;
             o += wasm_slot_width(ft->types[ft->nparams + i]), i++)
            vm_slot_to_val(ft->types[ft->nparams + i], &slots[o], &results[i]);
    if (slots != small)
        mt_free(a, slots);
    return st;
}
