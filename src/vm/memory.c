/* memory.c - linear memories: reservation, growth, bounds-checked access.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A memory reserves address space for its whole effective maximum up front
 * (untouched, so it costs no RAM) and commits pages as it grows, so `base`
 * does not move on 64-bit hosts. Where the reservation cannot be had (a
 * 32-bit address space), it reserves what it needs and moves on growth.
 */
#include "vm.h"

static uint64_t round_pages(uint64_t bytes)
{
    uint64_t p = os_page_size();
    return (bytes + p - 1) / p * p;
}

int vm_memory_create(mantle_engine *e, uint32_t min, bool has_max,
                     uint32_t max, mantle_memory **out)
{
    uint32_t cap = e->cfg.max_memory_pages;
    uint32_t eff_max = has_max && max < cap ? max : cap;
    if (min > eff_max)
        return MANTLE_ELIMIT;
    mantle_memory *m = mt_calloc(&e->alloc, 1, sizeof *m);
    if (!m)
        return MANTLE_ENOMEM;
    m->engine = e;
    m->refs = 1;
    m->has_max = has_max;
    m->decl_max = max;
    m->max_pages = eff_max;
    uint64_t want = round_pages((uint64_t)eff_max * VM_PAGE_SIZE);
    uint64_t need = (uint64_t)min * VM_PAGE_SIZE;
#if UINTPTR_MAX > 0xFFFFFFFFu
    if (want < VM_GUARD_RESERVE)  /* 64-bit: room for the AOT guard region */
        want = VM_GUARD_RESERVE;
#endif
    if (want && (want > SIZE_MAX || !(m->base = os_mem_reserve((size_t)want)))) {
        want = round_pages(need);
        m->base = want ? os_mem_reserve((size_t)want) : NULL;
        if (want && !m->base) {
            mt_free(&e->alloc, m);
            return MANTLE_ENOMEM;
        }
    }
    m->reserved = want;
    if (need && os_mem_commit(m->base, (size_t)need) != 0) {
        os_mem_release(m->base, (size_t)m->reserved);
        mt_free(&e->alloc, m);
        return MANTLE_ENOMEM;
    }
    m->size = need;
    *out = m;
    return MANTLE_OK;
}

int vm_memory_grow(mantle_memory *m, uint32_t delta, uint32_t *out_old)
{
    uint32_t old = (uint32_t)(m->size / VM_PAGE_SIZE);
    if (out_old)
        *out_old = old;
    if (delta == 0)
        return MANTLE_OK;
    if ((uint64_t)old + delta > m->max_pages)
        return MANTLE_ELIMIT;
    uint64_t nsize = ((uint64_t)old + delta) * VM_PAGE_SIZE;
    if (nsize > m->reserved) {
        /* Move to a larger reservation (32-bit hosts only). */
        uint64_t want = round_pages((uint64_t)m->max_pages * VM_PAGE_SIZE);
        uint8_t *nb = want <= SIZE_MAX ? os_mem_reserve((size_t)want) : NULL;
        if (!nb) {
            want = round_pages(nsize);
            nb = want <= SIZE_MAX ? os_mem_reserve((size_t)want) : NULL;
        }
        if (!nb)
            return MANTLE_ENOMEM;
        if (os_mem_commit(nb, (size_t)nsize) != 0) {
            os_mem_release(nb, (size_t)want);
            return MANTLE_ENOMEM;
        }
        if (m->size)
            memcpy(nb, m->base, (size_t)m->size);
        os_mem_release(m->base, (size_t)m->reserved);
        m->base = nb;
        m->reserved = want;
    } else if (os_mem_commit(m->base + m->size, (size_t)(nsize - m->size)) != 0) {
        return MANTLE_ENOMEM;
    }
    m->size = nsize;
    return MANTLE_OK;
}

void vm_memory_unref(mantle_memory *m)
{
    if (!m || !vm_unref(&m->refs))
        return;
    os_mem_release(m->base, (size_t)m->reserved);
    mt_free(&m->engine->alloc, m);
}

int mantle_memory_new(mantle_engine *engine, mantle_limits pages,
                      mantle_memory **out_memory)
{
    if (!engine || !out_memory || pages.min > 65536 ||
        (pages.has_max && (pages.max > 65536 || pages.max < pages.min)))
        return MANTLE_EINVAL;
    return vm_memory_create(engine, pages.min, pages.has_max, pages.max,
                            out_memory);
}

void mantle_memory_free(mantle_memory *memory)
{
    vm_memory_unref(memory);
}

uint64_t mantle_memory_size(const mantle_memory *memory)
{
    return memory ? memory->size : 0;
}

int mantle_memory_read(const mantle_memory *memory, uint64_t offset,
                       void *out_buf, size_t len)
{
    if (!memory || offset > memory->size || len > memory->size - offset)
        return MANTLE_EBOUNDS;
    if (len)
        memcpy(out_buf, memory->base + offset, len);
    return MANTLE_OK;
}

int mantle_memory_write(mantle_memory *memory, uint64_t offset,
                        const void *buf, size_t len)
{
    if (!memory || offset > memory->size || len > memory->size - offset)
        return MANTLE_EBOUNDS;
    if (len)
        memcpy(memory->base + offset, buf, len);
    return MANTLE_OK;
}

void *mantle_memory_data(mantle_memory *memory, uint64_t offset, size_t len)
{
    if (!memory || offset > memory->size || len > memory->size - offset)
        return NULL;
    return memory->base + offset;
}

int mantle_memory_grow(mantle_memory *memory, uint32_t delta_pages,
                       uint32_t *out_old_pages)
{
    if (!memory)
        return MANTLE_EINVAL;
    return vm_memory_grow(memory, delta_pages, out_old_pages);
}
