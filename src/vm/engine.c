/* engine.c - engine configuration and lifetime.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "vm.h"

void mantle_config_init(mantle_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->allocator = mt_default_allocator;
    cfg->max_call_depth = 10000;
    cfg->max_stack_bytes = 8u << 20;
    cfg->max_memory_pages = 65536;
    cfg->max_table_elems = 10000000;
}

static os_once interp_once = OS_ONCE_INIT;

int mantle_engine_new(const mantle_config *cfg, mantle_engine **out_engine)
{
    mantle_config c;
    mantle_config_init(&c);
    if (cfg) {
        if (cfg->allocator.realloc)
            c.allocator = cfg->allocator;
        if (cfg->max_call_depth)
            c.max_call_depth = cfg->max_call_depth;
        if (cfg->max_stack_bytes)
            c.max_stack_bytes = cfg->max_stack_bytes;
        if (cfg->max_memory_pages)
            c.max_memory_pages = cfg->max_memory_pages;
        if (cfg->max_table_elems)
            c.max_table_elems = cfg->max_table_elems;
        c.instance_fuel = cfg->instance_fuel;
        c.tier = cfg->tier;
        c.aot_opt_level = cfg->aot_opt_level;
    }
    if (!out_engine || c.max_memory_pages > 65536 ||
        (c.tier != MANTLE_TIER_INTERP && c.tier != MANTLE_TIER_AOT) ||
        c.max_stack_bytes < 4096 || c.max_stack_bytes > ((uint64_t)1 << 32))
        return MANTLE_EINVAL;
    os_call_once(&interp_once, vm_interp_init);
    mantle_engine *e = mt_alloc(&c.allocator, sizeof *e);
    if (!e)
        return MANTLE_ENOMEM;
    memset(e, 0, sizeof *e);
    e->cfg = c;
    e->alloc = c.allocator;
    *out_engine = e;
    return MANTLE_OK;
}

void mantle_engine_free(mantle_engine *engine)
{
    if (!engine)
        return;
    for (mantle_instance *z = engine->zombies, *next; z; z = next) {
        next = z->next_zombie;
        mantle_instance_free(z);
    }
    mantle_allocator a = engine->alloc;
    mt_free(&a, engine);
}
