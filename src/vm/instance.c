/* instance.c - instantiation: import resolution, runtime objects, segments,
 * the start function (Wasm 2.0 semantics, spec 4.5.4).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>

#include "config.h"
#include "vm.h"

void *vm_linker_lookup(const mantle_linker *l, const char *module,
                       const char *name, uint8_t *out_kind);
void vm_module_unref(mantle_module *mod);
void vm_exec_free(mantle_engine *e, vm_exec *ex);
int vm_segments_init(mantle_instance *inst, mantle_diag *diag);

/* Limits subtyping (spec 4.5.3): the provided object must be at least as
 * large and, if the import declares a maximum, no more growable. */
static bool limits_match(uint32_t min, bool has_max, uint32_t max,
                         const wasm_limits *want)
{
    if (min < want->min)
        return false;
    if (want->has_max && (!has_max || max > want->max))
        return false;
    return true;
}

static int link_imports(mantle_instance *inst, const mantle_linker *l,
                        mantle_diag *diag)
{
    const wasm_module *w = inst->wasm;
    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < w->nimports; i++) {
        const wasm_import *im = &w->imports[i];
        uint8_t kind = 0;
        void *obj = l ? vm_linker_lookup(l, im->module, im->name, &kind) : NULL;
        const char *why = NULL;
        if (!obj) {
            why = "unknown import";
        } else if (kind != im->kind) {
            why = "incompatible import type";
        } else {
            switch (kind) {
            case EXT_FUNC: {
                mantle_func *f = obj;
                if (!wasm_functype_equal(f->type, &w->types[im->u.type_index]))
                    why = "incompatible import type";
                else
                    inst->funcs[nf++] = f;
                break;
            }
            case EXT_TABLE: {
                mantle_table *t = obj;
                if (t->elemtype != im->u.table.elemtype ||
                    !limits_match(t->size, t->has_max, t->decl_max,
                                  &im->u.table.limits))
                    why = "incompatible import type";
                else {
                    vm_ref(&t->refs);
                    inst->tables[nt++] = t;
                }
                break;
            }
            case EXT_MEMORY: {
                mantle_memory *m = obj;
                if (!limits_match((uint32_t)(m->size / VM_PAGE_SIZE),
                                  m->has_max, m->decl_max, &im->u.memory))
                    why = "incompatible import type";
                else {
                    vm_ref(&m->refs);
                    inst->memories[nm++] = m;
                }
                break;
            }
            default: {
                mantle_global *g = obj;
                if (g->type != im->u.global.type || g->mut != im->u.global.mut)
                    why = "incompatible import type";
                else {
                    vm_ref(&g->refs);
                    inst->globals[ng++] = g;
                }
                break;
            }
            }
        }
        if (why) {
            vm_diag_set(diag, MANTLE_EUNLINKABLE, "%s: import %u \"%s\" \"%s\": %s",
                        inst->module->name, i, im->module, im->name, why);
            return MANTLE_EUNLINKABLE;
        }
    }
    return MANTLE_OK;
}

/* Evaluate a validated constant expression into a slot. */
void vm_eval_const(const mantle_instance *inst, const wasm_constexpr *c,
                   uint64_t *slot);
void vm_eval_const(const mantle_instance *inst, const wasm_constexpr *c,
                   uint64_t *slot)
{
    switch (c->op) {
    case OP_GlobalGet:
        slot[0] = inst->globals[c->value]->value[0];
        slot[1] = inst->globals[c->value]->value[1];
        break;
    case OP_RefFunc:
        slot[0] = (uintptr_t)inst->funcs[c->value];
        break;
    case OP_RefNull:
        slot[0] = 0;
        break;
    case OP_V128Const:  /* value: offset of the 16 bytes in the module */
        memcpy(slot, inst->wasm->bytes + c->value, 16);
        break;
    default:
        slot[0] = c->value;
        break;
    }
}

static int create_objects(mantle_instance *inst, mantle_diag *diag)
{
    const wasm_module *w = inst->wasm;
    mantle_engine *e = inst->engine;
    uint32_t ndef = w->nfuncs - w->nfunc_imports;
    for (uint32_t i = 0; i < ndef; i++) {
        mantle_func *f = &inst->own_funcs[i];
        f->inst = inst;
        f->index = w->nfunc_imports + i;
        f->type = &w->types[w->funcs[i].type_index];
        f->code = inst->module->code[i];
        inst->funcs[f->index] = f;
    }
    for (uint32_t i = w->ntable_imports; i < w->ntables; i++) {
        const wasm_tabletype *tt = &w->tables[i];
        int st = vm_table_create(e, tt->elemtype, tt->limits.min,
                                 tt->limits.has_max, tt->limits.max,
                                 &inst->tables[i]);
        if (st != MANTLE_OK) {
            vm_diag_set(diag, st, "%s: table %u: cannot create %u elements: %s",
                        inst->module->name, i, tt->limits.min,
                        mantle_strerror(st));
            return st;
        }
    }
    for (uint32_t i = w->nmemory_imports; i < w->nmemories; i++) {
        const wasm_limits *ml = &w->memories[i];
        int st = vm_memory_create(e, ml->min, ml->has_max, ml->max,
                                  &inst->memories[i]);
        if (st != MANTLE_OK) {
            vm_diag_set(diag, st, "%s: memory %u: cannot create %u pages: %s",
                        inst->module->name, i, ml->min, mantle_strerror(st));
            return st;
        }
    }
    for (uint32_t i = w->nglobal_imports; i < w->nglobals; i++) {
        mantle_global *g = mt_calloc(&e->alloc, 1, sizeof *g);
        if (!g) {
            vm_diag_set(diag, MANTLE_ENOMEM, "out of memory");
            return MANTLE_ENOMEM;
        }
        g->engine = e;
        g->refs = 1;
        g->type = w->global_types[i].type;
        g->mut = w->global_types[i].mut;
        vm_eval_const(inst, &w->globals[i - w->nglobal_imports].init, g->value);
        inst->globals[i] = g;
    }
    for (uint32_t i = 0; i < w->nglobals; i++)
        inst->global_slots[i] = inst->globals[i]->value;
    return MANTLE_OK;
}

int mantle_instance_new(mantle_linker *linker, mantle_module *module,
                        mantle_instance **out_instance, mantle_diag *diag)
{
    if (!module || !out_instance) {
        vm_diag_set(diag, MANTLE_EINVAL, "invalid argument");
        return MANTLE_EINVAL;
    }
    mantle_engine *e = module->engine;
    const mantle_allocator *a = &e->alloc;
    const wasm_module *w = module->wasm;
    mantle_instance *inst = mt_calloc(a, 1, sizeof *inst);
    if (!inst) {
        vm_diag_set(diag, MANTLE_ENOMEM, "out of memory");
        return MANTLE_ENOMEM;
    }
    inst->engine = e;
    inst->module = module;
    vm_ref(&module->refs);
    inst->wasm = w;
    inst->fuel = e->cfg.instance_fuel ? e->cfg.instance_fuel : UINT64_MAX;
    inst->funcs = mt_calloc(a, w->nfuncs + 1, sizeof *inst->funcs);
    inst->own_funcs = mt_calloc(a, w->nfuncs - w->nfunc_imports + 1,
                                sizeof *inst->own_funcs);
    inst->tables = mt_calloc(a, w->ntables + 1, sizeof *inst->tables);
    inst->memories = mt_calloc(a, w->nmemories + 1, sizeof *inst->memories);
    inst->globals = mt_calloc(a, w->nglobals + 1, sizeof *inst->globals);
    inst->global_slots = mt_calloc(a, w->nglobals + 1, sizeof *inst->global_slots);
    inst->elem_dropped = mt_calloc(a, w->nelems + 1, sizeof(bool));
    inst->data_dropped = mt_calloc(a, w->ndatas + 1, sizeof(bool));
    int st;
    if (!inst->funcs || !inst->own_funcs || !inst->tables ||
        !inst->memories || !inst->globals || !inst->global_slots ||
        !inst->elem_dropped || !inst->data_dropped) {
        vm_diag_set(diag, MANTLE_ENOMEM, "out of memory");
        st = MANTLE_ENOMEM;
        goto fail;
    }
    st = link_imports(inst, linker, diag);
    if (st != MANTLE_OK)
        goto fail;
    st = create_objects(inst, diag);
    if (st != MANTLE_OK)
        goto fail;
#if MANTLE_ENABLE_AOT
    st = vm_aot_instance_init(inst, diag);  /* native code, if the module has it */
    if (st != MANTLE_OK)
        goto fail;
#endif
    st = vm_segments_init(inst, diag);
    if (st != MANTLE_OK)
        goto zombie;
    if (w->start != WASM_NO_INDEX) {
        uint64_t none[1];
        st = vm_invoke(inst->funcs[w->start], none, diag);
        if (st != MANTLE_OK)
            goto zombie;
    }
    *out_instance = inst;
    return MANTLE_OK;
zombie:
    inst->next_zombie = __atomic_load_n(&e->zombies, __ATOMIC_ACQUIRE);
    while (!__atomic_compare_exchange_n(&e->zombies, &inst->next_zombie, inst,
                                        true, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
        ;
    return st;
fail:
    mantle_instance_free(inst);
    return st;
}

void mantle_instance_free(mantle_instance *inst)
{
    if (!inst)
        return;
    const mantle_allocator *a = &inst->engine->alloc;
    const wasm_module *w = inst->wasm;
    if (inst->tables)
        for (uint32_t i = 0; i < w->ntables; i++)
            vm_table_unref(inst->tables[i]);
    if (inst->memories)
        for (uint32_t i = 0; i < w->nmemories; i++)
            vm_memory_unref(inst->memories[i]);
    if (inst->globals)
        for (uint32_t i = 0; i < w->nglobals; i++)
            vm_global_unref(inst->globals[i]);
    vm_exec_free(inst->engine, inst->exec);
    mt_free(a, inst->funcs);
    mt_free(a, inst->own_funcs);
    mt_free(a, inst->tables);
    mt_free(a, inst->memories);
    mt_free(a, inst->globals);
    mt_free(a, inst->global_slots);
    mt_free(a, inst->elem_dropped);
    mt_free(a, inst->data_dropped);
    vm_module_unref(inst->module);
    mt_free(a, inst);
}

mantle_module *mantle_instance_module(mantle_instance *instance)
{
    return instance ? instance->module : NULL;
}

static const wasm_export *find(mantle_instance *inst, const char *name,
                               uint8_t kind)
{
    if (!inst || !name)
        return NULL;
    const wasm_export *ex = wasm_module_find_export(inst->wasm, name,
                                                    strlen(name));
    return ex && ex->kind == kind ? ex : NULL;
}

int mantle_instance_export(mantle_instance *instance, const char *name,
                           size_t name_len, mantle_extern *out_extern)
{
    if (!instance || !name || !out_extern)
        return MANTLE_EINVAL;
    const wasm_export *ex = wasm_module_find_export(instance->wasm, name,
                                                    name_len);
    if (!ex)
        return MANTLE_ENOTFOUND;
    out_extern->kind = (mantle_externkind)ex->kind;
    switch (ex->kind) {
    case EXT_FUNC: out_extern->of.func = instance->funcs[ex->index]; break;
    case EXT_TABLE: out_extern->of.table = instance->tables[ex->index]; break;
    case EXT_MEMORY:
        out_extern->of.memory = instance->memories[ex->index];
        break;
    default: out_extern->of.global = instance->globals[ex->index]; break;
    }
    return MANTLE_OK;
}

int mantle_instance_func(mantle_instance *instance, const char *name,
                         mantle_func **out_func)
{
    const wasm_export *ex = find(instance, name, EXT_FUNC);
    if (!ex)
        return MANTLE_ENOTFOUND;
    *out_func = instance->funcs[ex->index];
    return MANTLE_OK;
}

int mantle_instance_memory(mantle_instance *instance, const char *name,
                           mantle_memory **out_memory)
{
    const wasm_export *ex = find(instance, name, EXT_MEMORY);
    if (!ex)
        return MANTLE_ENOTFOUND;
    *out_memory = instance->memories[ex->index];
    return MANTLE_OK;
}

int mantle_instance_table(mantle_instance *instance, const char *name,
                          mantle_table **out_table)
{
    const wasm_export *ex = find(instance, name, EXT_TABLE);
    if (!ex)
        return MANTLE_ENOTFOUND;
    *out_table = instance->tables[ex->index];
    return MANTLE_OK;
}

int mantle_instance_global(mantle_instance *instance, const char *name,
                           mantle_global **out_global)
{
    const wasm_export *ex = find(instance, name, EXT_GLOBAL);
    if (!ex)
        return MANTLE_ENOTFOUND;
    *out_global = instance->globals[ex->index];
    return MANTLE_OK;
}

void mantle_func_type(const mantle_func *func, mantle_functype *out_type)
{
    if (func->host)
        *out_type = func->api_type;
    else
        *out_type = func->inst->module->functypes[
            func->inst->wasm->func_type[func->index]];
}

void mantle_instance_set_fuel(mantle_instance *instance, uint64_t fuel)
{
    if (instance)
        instance->fuel = fuel;
}

uint64_t mantle_instance_fuel(const mantle_instance *instance)
{
    return instance ? instance->fuel : 0;
}

void mantle_instance_interrupt(mantle_instance *instance)
{
    if (!instance)
        return;
    os_atomic_store_u32(&instance->interrupt, 1);
#if MANTLE_ENABLE_AOT
    vm_aot_interrupt(instance);  /* native code has no loop polls */
#endif
}

void mantle_instance_clear_interrupt(mantle_instance *instance)
{
    if (instance)
        os_atomic_store_u32(&instance->interrupt, 0);
}
