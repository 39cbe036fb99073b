/* bulk.c - segment and bulk operations shared by instantiation and the
 * interpreter: table.init/copy/fill, memory.init, element evaluation.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each returns MANTLE_TRAP_NONE or the trap to raise; bounds are checked
 * in 64 bits before anything is written (Wasm 2.0 bulk semantics).
 */
#include "bulk.h"

void vm_eval_const(const mantle_instance *inst, const wasm_constexpr *c,
                   uint64_t *slot);

mantle_trap_kind vm_table_init(mantle_instance *inst, uint32_t table_idx,
                               uint32_t elem_idx, uint32_t d, uint32_t s,
                               uint32_t n)
{
    mantle_table *t = inst->tables[table_idx];
    const wasm_elem *seg = &inst->wasm->elems[elem_idx];
    uint32_t seglen = inst->elem_dropped[elem_idx] ? 0 : seg->count;
    if ((uint64_t)s + n > seglen || (uint64_t)d + n > t->size)
        return MANTLE_TRAP_TABLE_BOUNDS;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v[2] = {0, 0};
        vm_eval_const(inst, &seg->items[s + i], v);
        t->elems[d + i] = (void *)(uintptr_t)v[0];
    }
    return MANTLE_TRAP_NONE;
}

mantle_trap_kind vm_memory_init(mantle_instance *inst, uint32_t data_idx,
                                uint32_t d, uint32_t s, uint32_t n)
{
    mantle_memory *m = inst->memories[0];
    const wasm_data *seg = &inst->wasm->datas[data_idx];
    uint32_t seglen = inst->data_dropped[data_idx] ? 0 : seg->init.len;
    if ((uint64_t)s + n > seglen || (uint64_t)d + n > m->size)
        return MANTLE_TRAP_OUT_OF_BOUNDS;
    if (n)
        memcpy(m->base + d, inst->wasm->bytes + seg->init.off + s, n);
    return MANTLE_TRAP_NONE;
}

mantle_trap_kind vm_table_copy(mantle_instance *inst, uint32_t dst_idx,
                               uint32_t src_idx, uint32_t d, uint32_t s,
                               uint32_t n)
{
    mantle_table *dt = inst->tables[dst_idx];
    mantle_table *st = inst->tables[src_idx];
    if ((uint64_t)s + n > st->size || (uint64_t)d + n > dt->size)
        return MANTLE_TRAP_TABLE_BOUNDS;
    if (n)
        memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(void *));
    return MANTLE_TRAP_NONE;
}

mantle_trap_kind vm_table_fill(mantle_instance *inst, uint32_t table_idx,
                               uint32_t d, void *val, uint32_t n)
{
    mantle_table *t = inst->tables[table_idx];
    if ((uint64_t)d + n > t->size)
        return MANTLE_TRAP_TABLE_BOUNDS;
    for (uint32_t i = 0; i < n; i++)
        t->elems[d + i] = val;
    return MANTLE_TRAP_NONE;
}

/* Active and declarative segments at instantiation (spec 4.5.4 steps
 * 14-15): elements first, then data, in order; the first out-of-bounds
 * segment traps and earlier ones stay applied. */
int vm_segments_init(mantle_instance *inst, mantle_diag *diag)
{
    const wasm_module *w = inst->wasm;
    for (uint32_t i = 0; i < w->nelems; i++) {
        const wasm_elem *seg = &w->elems[i];
        if (seg->mode == SEG_ACTIVE) {
            uint64_t off[2] = {0, 0};
            vm_eval_const(inst, &seg->offset, off);
            mantle_trap_kind k = vm_table_init(inst, seg->table, i,
                                               (uint32_t)off[0], 0, seg->count);
            if (k != MANTLE_TRAP_NONE) {
                vm_diag_set(diag, MANTLE_ETRAP,
                            "%s: element segment %u: %s", inst->module->name,
                            i, mantle_trap_message(k));
                if (diag)
                    diag->trap = k;
                return MANTLE_ETRAP;
            }
        }
        if (seg->mode != SEG_PASSIVE)
            inst->elem_dropped[i] = true;
    }
    for (uint32_t i = 0; i < w->ndatas; i++) {
        const wasm_data *seg = &w->datas[i];
        if (seg->mode != SEG_ACTIVE)
            continue;
        uint64_t off[2] = {0, 0};
        vm_eval_const(inst, &seg->offset, off);
        mantle_trap_kind k = vm_memory_init(inst, i, (uint32_t)off[0], 0,
                                            seg->init.len);
        if (k != MANTLE_TRAP_NONE) {
            vm_diag_set(diag, MANTLE_ETRAP, "%s: data segment %u: %s",
                        inst->module->name, i, mantle_trap_message(k));
            if (diag)
                diag->trap = k;
            return MANTLE_ETRAP;
        }
        inst->data_dropped[i] = true;
    }
    return MANTLE_OK;
}
