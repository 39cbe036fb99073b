/* linker.c - names for imports: host functions, and other instances' exports.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A later definition of the same module/name shadows an earlier one, so a
 * name can be re-registered (as the spec tests do).
 */
#include "vm.h"

typedef struct link_entry {
    char *module;
    char *name;
    uint8_t kind;   /* EXT_* */
    void *obj;      /* mantle_func / _table / _memory / _global */
    bool owned_func;
} link_entry;

struct mantle_linker {
    mantle_engine *engine;
    link_entry *entries;
    uint32_t n, cap;
};

int mantle_linker_new(mantle_engine *engine, mantle_linker **out_linker)
{
    if (!engine || !out_linker)
        return MANTLE_EINVAL;
    mantle_linker *l = mt_calloc(&engine->alloc, 1, sizeof *l);
    if (!l)
        return MANTLE_ENOMEM;
    l->engine = engine;
    *out_linker = l;
    return MANTLE_OK;
}

static void host_func_free(const mantle_allocator *a, mantle_func *f)
{
    if (f->env_free)
        f->env_free(f->env);
    mt_free(a, f->own_type.types);
    mt_free(a, (void *)f->api_type.params);
    mt_free(a, f);
}

void mantle_linker_free(mantle_linker *linker)
{
    if (!linker)
        return;
    const mantle_allocator *a = &linker->engine->alloc;
    for (uint32_t i = 0; i < linker->n; i++) {
        link_entry *e = &linker->entries[i];
        mt_free(a, e->module);
        mt_free(a, e->name);
        switch (e->kind) {
        case EXT_FUNC:
            if (e->owned_func && vm_unref(&((mantle_func *)e->obj)->refs))
                host_func_free(a, e->obj);
            break;
        case EXT_TABLE: vm_table_unref(e->obj); break;
        case EXT_MEMORY: vm_memory_unref(e->obj); break;
        case EXT_GLOBAL: vm_global_unref(e->obj); break;
        }
    }
    mt_free(a, linker->entries);
    mt_free(a, linker);
}

static int add(mantle_linker *l, const char *module, const char *name,
               uint8_t kind, void *obj, bool owned_func)
{
    const mantle_allocator *a = &l->engine->alloc;
    if (mt_grow(a, (void **)&l->entries, &l->cap, l->n + 1,
                sizeof *l->entries) != 0)
        return MANTLE_ENOMEM;
    link_entry *e = &l->entries[l->n];
    e->module = mt_strndup(a, module, strlen(module));
    e->name = mt_strndup(a, name, strlen(name));
    if (!e->module || !e->name) {
        mt_free(a, e->module);
        mt_free(a, e->name);
        return MANTLE_ENOMEM;
    }
    e->kind = kind;
    e->obj = obj;
    e->owned_func = owned_func;
    l->n++;
    return MANTLE_OK;
}

int mantle_linker_define_func(mantle_linker *linker, const char *module,
                              const char *name, const mantle_functype *type,
                              mantle_host_fn fn, void *env,
                              void (*env_free)(void *))
{
    if (!linker || !module || !name || !type || !fn ||
        (type->nparams && !type->params) ||
        (type->nresults && !type->results) ||
        type->nparams > WASM_MAX_PARAMS || type->nresults > WASM_MAX_PARAMS)
        return MANTLE_EINVAL;
    const mantle_allocator *a = &linker->engine->alloc;
    mantle_func *f = mt_calloc(a, 1, sizeof *f);
    size_t n = type->nparams + type->nresults;
    uint8_t *types = mt_alloc(a, n);
    mantle_valkind *kinds = mt_calloc(a, n ? n : 1, sizeof *kinds);
    if (!f || !types || !kinds) {
        mt_free(a, f);
        mt_free(a, types);
        mt_free(a, kinds);
        return MANTLE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        mantle_valkind k = i < type->nparams ? type->params[i]
                                             : type->results[i - type->nparams];
        kinds[i] = k;
        types[i] = vm_type_of(k);
        if (!types[i]) {
            mt_free(a, f);
            mt_free(a, types);
            mt_free(a, kinds);
            return MANTLE_EINVAL;
        }
    }
    f->own_type.nparams = (uint32_t)type->nparams;
    f->own_type.nresults = (uint32_t)type->nresults;
    f->own_type.types = types;
    f->type = &f->own_type;
    f->api_type.nparams = type->nparams;
    f->api_type.params = kinds;
    f->api_type.nresults = type->nresults;
    f->api_type.results = kinds + type->nparams;
    f->host = fn;
    f->env = env;
    f->env_free = env_free;
    f->refs = 1;
    f->index = UINT32_MAX;
    int st = add(linker, module, name, EXT_FUNC, f, true);
    if (st != MANTLE_OK) {
        f->env_free = NULL;  /* the caller keeps env on failure */
        host_func_free(a, f);
    }
    return st;
}

int mantle_linker_define_memory(mantle_linker *linker, const char *module,
                                const char *name, mantle_memory *memory)
{
    if (!linker || !module || !name || !memory)
        return MANTLE_EINVAL;
    int st = add(linker, module, name, EXT_MEMORY, memory, false);
    if (st == MANTLE_OK)
        vm_ref(&memory->refs);
    return st;
}

int mantle_linker_define_table(mantle_linker *linker, const char *module,
                               const char *name, mantle_table *table)
{
    if (!linker || !module || !name || !table)
        return MANTLE_EINVAL;
    int st = add(linker, module, name, EXT_TABLE, table, false);
    if (st == MANTLE_OK)
        vm_ref(&table->refs);
    return st;
}

int mantle_linker_define_global(mantle_linker *linker, const char *module,
                                const char *name, mantle_global *global)
{
    if (!linker || !module || !name || !global)
        return MANTLE_EINVAL;
    int st = add(linker, module, name, EXT_GLOBAL, global, false);
    if (st == MANTLE_OK)
        vm_ref(&global->refs);
    return st;
}

int mantle_linker_define_instance(mantle_linker *linker, const char *module,
                                  mantle_instance *inst)
{
    if (!linker || !module || !inst)
        return MANTLE_EINVAL;
    const wasm_module *w = inst->wasm;
    for (uint32_t i = 0; i < w->nexports; i++) {
        const wasm_export *ex = &w->exports[i];
        int st;
        switch (ex->kind) {
        case EXT_FUNC:
            st = add(linker, module, ex->name, EXT_FUNC, inst->funcs[ex->index],
                     false);
            break;
        case EXT_TABLE:
            st = mantle_linker_define_table(linker, module, ex->name,
                                            inst->tables[ex->index]);
            break;
        case EXT_MEMORY:
            st = mantle_linker_define_memory(linker, module, ex->name,
                                             inst->memories[ex->index]);
            break;
        default:
            st = mantle_linker_define_global(linker, module, ex->name,
                                             inst->globals[ex->index]);
            break;
        }
        if (st != MANTLE_OK)
            return st;
    }
    return MANTLE_OK;
}

/* Find the newest definition of module/name. */
void *vm_linker_lookup(const mantle_linker *l, const char *module,
                       const char *name, uint8_t *out_kind);
void *vm_linker_lookup(const mantle_linker *l, const char *module,
                       const char *name, uint8_t *out_kind)
{
    for (uint32_t i = l->n; i-- > 0;) {
        const link_entry *e = &l->entries[i];
        if (strcmp(e->module, module) == 0 && strcmp(e->name, name) == 0) {
            *out_kind = e->kind;
            return e->obj;
        }
    }
    return NULL;
}
