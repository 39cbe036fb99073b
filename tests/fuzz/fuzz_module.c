/* fuzz_module.c - libFuzzer target: decode, validate, instantiate and run.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Any bytes go to mantle_module_new. A valid module is instantiated against
 * stubs for every import (functions return zeros; memories, tables and
 * globals are made to match the import's type), then every exported
 * function is called with zero arguments under a small fuel budget. Errors
 * and traps are expected; crashes, sanitizer reports and hangs are bugs.
 *
 * WASI imports get the real WASI implementation, with stdio on /dev/null
 * and one read-only preopen of a small tree (fuzz_tree.h) that holds
 * symlinks pointing out of it, so guests reach the sandboxed resolver.
 * The engine's instance_fuel bounds start functions too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tree.h"
#include "mantle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    FUZZ_FUEL = 10000,
    FUZZ_MAX_PAGES = 16, /* 1 MiB per memory */
    FUZZ_MAX_TABLE = 10000,
    FUZZ_MAX_DEPTH = 1000,
    FUZZ_MAX_RESULTS = 64,
};

/* A stub function's env: its result kinds, copied from the import type. */
struct stub {
    size_t nresults;
    mantle_valkind results[];
};

static int stub_fn(mantle_caller *caller, void *env, const mantle_val *args,
                   mantle_val *results)
{
    const struct stub *s = env;

    (void)caller;
    (void)args;
    for (size_t i = 0; i < s->nresults; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].kind = s->results[i];
    }
    return MANTLE_OK;
}

static mantle_val zero_of(mantle_valkind kind)
{
    mantle_val v;

    memset(&v, 0, sizeof v);
    v.kind = kind;
    return v;
}

/* What define_stub created, freed after the instance and linker. */
struct made {
    mantle_memory *mem;
    mantle_table *tab;
    mantle_global *glob;
};

static void made_free(const struct made *m)
{
    mantle_memory_free(m->mem);
    mantle_table_free(m->tab);
    mantle_global_free(m->glob);
}

/* Define a stub for import i; returns the linker's status. Failures are
 * fine: instantiation then fails as unlinkable, a path worth fuzzing too. */
static int define_stub(mantle_engine *engine, mantle_linker *linker,
                       const mantle_module *module, size_t i,
                       struct made *out_made)
{
    const char *mod, *name;
    mantle_externtype t;
    struct stub *s;
    mantle_val v;
    int st = MANTLE_ENOMEM;

    memset(out_made, 0, sizeof *out_made);
    if (mantle_module_import(module, i, &mod, &name, &t) != MANTLE_OK)
        return MANTLE_EINVAL;
    switch (t.kind) {
    case MANTLE_EXTERN_FUNC:
        s = malloc(sizeof *s + t.func.nresults * sizeof s->results[0]);
        if (s == NULL)
            break;
        s->nresults = t.func.nresults;
        if (t.func.nresults)
            memcpy(s->results, t.func.results,
                   t.func.nresults * sizeof s->results[0]);
        st = mantle_linker_define_func(linker, mod, name, &t.func, stub_fn, s,
                                       free);
        if (st != MANTLE_OK)
            free(s); /* the caller keeps env on failure */
        break;
    case MANTLE_EXTERN_MEMORY:
        st = mantle_memory_new(engine, t.limits, &out_made->mem);
        if (st == MANTLE_OK)
            st = mantle_linker_define_memory(linker, mod, name, out_made->mem);
        break;
    case MANTLE_EXTERN_TABLE:
        st = mantle_table_new(engine, t.elem, t.limits, &out_made->tab);
        if (st == MANTLE_OK)
            st = mantle_linker_define_table(linker, mod, name, out_made->tab);
        break;
    case MANTLE_EXTERN_GLOBAL:
        v = zero_of(t.global);
        st = mantle_global_new(engine, &v, t.mutable_global, &out_made->glob);
        if (st == MANTLE_OK)
            st = mantle_linker_define_global(linker, mod, name, out_made->glob);
        break;
    }
    return st;
}

static void call_exports(mantle_instance *inst, const mantle_module *module)
{
    mantle_val args[FUZZ_MAX_RESULTS], results[FUZZ_MAX_RESULTS];
    size_t n = mantle_module_export_count(module);

    for (size_t i = 0; i < n; i++) {
        const char *name;
        mantle_externtype t;
        mantle_func *f;
        mantle_functype ft;
        mantle_diag diag;

        if (mantle_module_export(module, i, &name, &t) != MANTLE_OK ||
            t.kind != MANTLE_EXTERN_FUNC ||
            mantle_instance_func(inst, name, &f) != MANTLE_OK)
            continue;
        mantle_func_type(f, &ft);
        if (ft.nparams > FUZZ_MAX_RESULTS || ft.nresults > FUZZ_MAX_RESULTS)
            continue;
        for (size_t k = 0; k < ft.nparams; k++)
            args[k] = zero_of(ft.params[k]);
        mantle_instance_set_fuel(inst, FUZZ_FUEL);
        if (mantle_func_call(f, args, ft.nparams, results, ft.nresults,
                             &diag) != MANTLE_OK)
            continue; /* traps and fuel exhaustion are expected */
    }
}

/* One WASI context for the whole run: its preopen is read-only, so runs
 * cannot change what later runs see. */
static mantle_wasi *wasi;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mantle_config cfg;
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_linker *linker = NULL;
    mantle_instance *inst = NULL;
    mantle_diag diag;
    struct made *made = NULL;
    size_t nimports = 0;

    mantle_config_init(&cfg);
    cfg.max_memory_pages = FUZZ_MAX_PAGES;
    cfg.max_table_elems = FUZZ_MAX_TABLE;
    cfg.max_call_depth = FUZZ_MAX_DEPTH;
    cfg.max_stack_bytes = 1 << 20;
    cfg.instance_fuel = FUZZ_FUEL;  /* bounds the start function too */
    if (mantle_engine_new(&cfg, &engine) != MANTLE_OK)
        return 0;
    if (mantle_module_new(engine, data, size, "fuzz.wasm", &module, &diag) !=
        MANTLE_OK)
        goto out;
    if (mantle_linker_new(engine, &linker) != MANTLE_OK)
        goto out;
    nimports = mantle_module_import_count(module);
    if ((made = calloc(nimports ? nimports : 1, sizeof *made)) == NULL)
        goto out;
    if (!wasi && !(wasi = fuzz_wasi_new()))
        goto out;
    if (mantle_wasi_define(wasi, linker) != MANTLE_OK)
        goto out;
    for (size_t i = 0; i < nimports; i++) {
        const char *mod;
        if (mantle_module_import(module, i, &mod, NULL, NULL) == MANTLE_OK &&
            strcmp(mod, "wasi_snapshot_preview1") == 0)
            continue;
        define_stub(engine, linker, module, i, &made[i]);
    }
    if (mantle_instance_new(linker, module, &inst, &diag) != MANTLE_OK) {
        inst = NULL;
        goto out;
    }
    call_exports(inst, module);
out:
    mantle_instance_free(inst);
    mantle_linker_free(linker);
    for (size_t i = 0; made && i < nimports; i++)
        made_free(&made[i]);
    free(made);
    mantle_module_free(module);
    mantle_engine_free(engine);
    return 0;
}
