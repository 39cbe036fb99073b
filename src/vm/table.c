/* table.c - tables and globals as runtime objects.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "vm.h"

int vm_table_create(mantle_engine *e, uint8_t elemtype, uint32_t min,
                    bool has_max, uint32_t max, mantle_table **out)
{
    uint32_t cap = e->cfg.max_table_elems;
    uint32_t eff_max = has_max && max < cap ? max : cap;
    if (min > eff_max)
        return MANTLE_ELIMIT;
    mantle_table *t = mt_calloc(&e->alloc, 1, sizeof *t);
    if (!t)
        return MANTLE_ENOMEM;
    t->engine = e;
    t->refs = 1;
    t->elemtype = elemtype;
    t->has_max = has_max;
    t->decl_max = max;
    t->max = eff_max;
    t->elems = mt_calloc(&e->alloc, min ? min : 1, sizeof *t->elems);
    if (!t->elems) {
        mt_free(&e->alloc, t);
        return MANTLE_ENOMEM;
    }
    t->size = min;
    t->cap = min ? min : 1;
    *out = t;
    return MANTLE_OK;
}

int vm_table_grow(mantle_table *t, uint32_t delta, void *init,
                  uint32_t *out_old)
{
    uint32_t old = t->size;
    if (out_old)
        *out_old = old;
    if ((uint64_t)old + delta > t->max)
        return MANTLE_ELIMIT;
    uint32_t nsize = old + delta;
    if (nsize > t->cap) {
        uint64_t ncap = (uint64_t)t->cap * 2;
        if (ncap < nsize)
            ncap = nsize;
        if (ncap > t->max)
            ncap = t->max;
        void **ne = ncap <= SIZE_MAX / sizeof(void *)
                        ? mt_realloc(&t->engine->alloc, t->elems,
                                     (size_t)ncap * sizeof(void *))
                        : NULL;
        if (!ne)
            return MANTLE_ENOMEM;
        t->elems = ne;
        t->cap = (uint32_t)ncap;
    }
    for (uint32_t i = old; i < nsize; i++)
        t->elems[i] = init;
    t->size = nsize;
    return MANTLE_OK;
}

void vm_table_unref(mantle_table *t)
{
    if (!t || !vm_unref(&t->refs))
        return;
    mt_free(&t->engine->alloc, t->elems);
    mt_free(&t->engine->alloc, t);
}

int mantle_table_new(mantle_engine *engine, mantle_valkind elem,
                     mantle_limits limits, mantle_table **out_table)
{
    if (!engine || !out_table ||
        (elem != MANTLE_FUNCREF && elem != MANTLE_EXTERNREF) ||
        (limits.has_max && limits.max < limits.min))
        return MANTLE_EINVAL;
    return vm_table_create(engine, vm_type_of(elem), limits.min,
                           limits.has_max, limits.max, out_table);
}

void mantle_table_free(mantle_table *table)
{
    vm_table_unref(table);
}

uint32_t mantle_table_size(const mantle_table *table)
{
    return table ? table->size : 0;
}

int mantle_table_get(const mantle_table *table, uint32_t index,
                     mantle_val *out_val)
{
    if (!table || !out_val)
        return MANTLE_EINVAL;
    if (index >= table->size)
        return MANTLE_EBOUNDS;
    out_val->kind = vm_kind_of(table->elemtype);
    out_val->of.ref = table->elems[index];
    return MANTLE_OK;
}

/* ---- Globals --------------------------------------------------------- */

void vm_val_to_slot(const mantle_val *v, uint64_t *slot)
{
    switch (v->kind) {
    case MANTLE_I32: slot[0] = (uint32_t)v->of.i32; break;
    case MANTLE_I64: slot[0] = (uint64_t)v->of.i64; break;
    case MANTLE_F32: {
        uint32_t b;
        memcpy(&b, &v->of.f32, 4);
        slot[0] = b;
        break;
    }
    case MANTLE_F64: memcpy(&slot[0], &v->of.f64, 8); break;
    case MANTLE_V128: memcpy(slot, v->of.v128, 16); break;
    case MANTLE_FUNCREF: slot[0] = (uintptr_t)v->of.func; break;
    case MANTLE_EXTERNREF: slot[0] = (uintptr_t)v->of.ref; break;
    }
}

void vm_slot_to_val(uint8_t type, const uint64_t *slot, mantle_val *v)
{
    memset(v, 0, sizeof *v);
    v->kind = vm_kind_of(type);
    switch (type) {
    case VT_I32: v->of.i32 = (int32_t)(uint32_t)slot[0]; break;
    case VT_I64: v->of.i64 = (int64_t)slot[0]; break;
    case VT_F32: {
        uint32_t b = (uint32_t)slot[0];
        memcpy(&v->of.f32, &b, 4);
        break;
    }
    case VT_F64: memcpy(&v->of.f64, &slot[0], 8); break;
    case VT_V128: memcpy(v->of.v128, slot, 16); break;
    case VT_FUNCREF: v->of.func = (mantle_func *)(uintptr_t)slot[0]; break;
    default: v->of.ref = (void *)(uintptr_t)slot[0]; break;
    }
}

int mantle_global_new(mantle_engine *engine, const mantle_val *value,
                      bool mutable_, mantle_global **out_global)
{
    if (!engine || !value || !out_global || !vm_type_of(value->kind))
        return MANTLE_EINVAL;
    mantle_global *g = mt_calloc(&engine->alloc, 1, sizeof *g);
    if (!g)
        return MANTLE_ENOMEM;
    g->engine = engine;
    g->refs = 1;
    g->type = vm_type_of(value->kind);
    g->mut = mutable_;
    vm_val_to_slot(value, g->value);
    *out_global = g;
    return MANTLE_OK;
}

void vm_global_unref(mantle_global *g)
{
    if (g && vm_unref(&g->refs))
        mt_free(&g->engine->alloc, g);
}

void mantle_global_free(mantle_global *global)
{
    vm_global_unref(global);
}

mantle_val mantle_global_get(const mantle_global *global)
{
    mantle_val v;
    memset(&v, 0, sizeof v);
    if (global)
        vm_slot_to_val(global->type, global->value, &v);
    return v;
}

int mantle_global_set(mantle_global *global, const mantle_val *value)
{
    if (!global || !value)
        return MANTLE_EINVAL;
    if (!global->mut)
        return MANTLE_EINVAL;
    if (vm_type_of(value->kind) != global->type)
        return MANTLE_ETYPE;
    vm_val_to_slot(value, global->value);
    return MANTLE_OK;
}
