/* module_api.c - loading modules and describing their imports and exports.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "vm.h"

mantle_valkind vm_kind_of(uint8_t vt)
{
    switch (vt) {
    case VT_I32: return MANTLE_I32;
    case VT_I64: return MANTLE_I64;
    case VT_F32: return MANTLE_F32;
    case VT_F64: return MANTLE_F64;
    case VT_V128: return MANTLE_V128;
    case VT_FUNCREF: return MANTLE_FUNCREF;
    default: return MANTLE_EXTERNREF;
    }
}

uint8_t vm_type_of(mantle_valkind k)
{
    switch (k) {
    case MANTLE_I32: return VT_I32;
    case MANTLE_I64: return VT_I64;
    case MANTLE_F32: return VT_F32;
    case MANTLE_F64: return VT_F64;
    case MANTLE_V128: return VT_V128;
    case MANTLE_FUNCREF: return VT_FUNCREF;
    case MANTLE_EXTERNREF: return VT_EXTERNREF;
    default: return 0;
    }
}

/* The API describes types with mantle_valkind arrays; build them once per
 * module so import/export queries hand out borrowed pointers. */
static int build_api_types(mantle_module *mod)
{
    const wasm_module *w = mod->wasm;
    const mantle_allocator *a = &mod->engine->alloc;
    size_t total = 0;
    for (uint32_t i = 0; i < w->ntypes; i++)
        total += (size_t)w->types[i].nparams + w->types[i].nresults;
    mod->kinds = mt_calloc(a, total ? total : 1, sizeof *mod->kinds);
    mod->functypes = mt_calloc(a, w->ntypes ? w->ntypes : 1,
                               sizeof *mod->functypes);
    if (!mod->kinds || !mod->functypes)
        return MANTLE_ENOMEM;
    size_t k = 0;
    for (uint32_t i = 0; i < w->ntypes; i++) {
        const wasm_functype *ft = &w->types[i];
        mantle_functype *t = &mod->functypes[i];
        t->nparams = ft->nparams;
        t->params = mod->kinds + k;
        for (uint32_t j = 0; j < ft->nparams; j++)
            mod->kinds[k++] = vm_kind_of(ft->types[j]);
        t->nresults = ft->nresults;
        t->results = mod->kinds + k;
        for (uint32_t j = 0; j < ft->nresults; j++)
            mod->kinds[k++] = vm_kind_of(ft->types[ft->nparams + j]);
    }
    return MANTLE_OK;
}

static void module_destroy(mantle_module *mod)
{
    const mantle_allocator *a = &mod->engine->alloc;
    if (mod->code && mod->wasm) {
        uint32_t n = mod->wasm->nfuncs - mod->wasm->nfunc_imports;
        for (uint32_t i = 0; i < n; i++)
            vm_code_free(a, mod->code[i]);
    }
#if MANTLE_ENABLE_AOT
    vm_aot_code_free(mod);
#endif
    mt_free(a, mod->code);
    mt_free(a, mod->kinds);
    mt_free(a, mod->functypes);
    mt_free(a, mod->name);
    wasm_module_free(mod->wasm);
    mt_free(a, mod);
}

int vm_module_new_wasm(mantle_engine *engine, const uint8_t *bytes,
                       size_t size, const char *name,
                       mantle_module **out_module, mantle_diag *diag);
int vm_aot_module_load(mantle_engine *engine, const uint8_t *bytes,
                       size_t size, const char *name,
                       mantle_module **out_module, mantle_diag *diag);
int vm_aot_module_compile(mantle_module *mod, mantle_diag *diag);
bool aot_is_artifact(const uint8_t *bytes, size_t size);

/* Bytes are a Wasm module, or (AOT builds) a native artifact; with
 * MANTLE_TIER_AOT a Wasm module is compiled to native code (src/aot/). */
int mantle_module_new(mantle_engine *engine, const uint8_t *bytes,
                      size_t size, const char *name,
                      mantle_module **out_module, mantle_diag *diag)
{
#if MANTLE_ENABLE_AOT
    if (engine && out_module && aot_is_artifact(bytes, size))
        return vm_aot_module_load(engine, bytes, size, name, out_module, diag);
    int st = vm_module_new_wasm(engine, bytes, size, name, out_module, diag);
    if (st == MANTLE_OK && engine->cfg.tier == MANTLE_TIER_AOT) {
        st = vm_aot_module_compile(*out_module, diag);
        if (st != MANTLE_OK) {
            mantle_module_free(*out_module);
            *out_module = NULL;
        }
    }
    return st;
#else
    if (engine && engine->cfg.tier == MANTLE_TIER_AOT) {
        vm_diag_set(diag, MANTLE_EINVAL, "this build has no AOT tier");
        return MANTLE_EINVAL;
    }
    return vm_module_new_wasm(engine, bytes, size, name, out_module, diag);
#endif
}

int vm_module_new_wasm(mantle_engine *engine, const uint8_t *bytes,
                       size_t size, const char *name,
                       mantle_module **out_module, mantle_diag *diag)
{
    if (!engine || (!bytes && size) || !out_module) {
        vm_diag_set(diag, MANTLE_EINVAL, "invalid argument");
        return MANTLE_EINVAL;
    }
    const mantle_allocator *a = &engine->alloc;
    const char *label = name ? name : "module";
    wasm_error err;
    memset(&err, 0, sizeof err);
    err.func = WASM_NO_INDEX;
    mantle_module *mod = mt_calloc(a, 1, sizeof *mod);
    if (!mod) {
        vm_diag_set(diag, MANTLE_ENOMEM, "%s: out of memory", label);
        return MANTLE_ENOMEM;
    }
    mod->engine = engine;
    mod->refs = 1;
    mod->name = mt_strndup(a, label, strlen(label));
    int st = MANTLE_OK;
    if (!mod->name) {
        st = MANTLE_ENOMEM;
        goto out;
    }
    if (size > UINT32_MAX) {
        vm_diag_set(diag, MANTLE_ELIMIT, "%s: module larger than 4 GiB", label);
        st = MANTLE_ELIMIT;
        goto fail;
    }
    /* Text format: anything not starting with the binary magic's NUL.
     * The text becomes binary, then decodes and validates as usual. */
    uint8_t *text_bin = NULL;
    if (size > 0 && bytes[0] != 0) {
        size_t bin_size;
        if (wasm_wat_to_binary(a, (const char *)bytes, size, &text_bin,
                               &bin_size, &err) != 0) {
            st = err.malformed ? MANTLE_EMALFORMED : MANTLE_ENOMEM;
            vm_diag_set(diag, st, "%s:%s", label, err.msg);
            if (diag)
                diag->offset = err.offset;
            goto fail;
        }
        bytes = text_bin;
        size = bin_size;
    }
    int dec = wasm_decode(a, bytes, size, &mod->wasm, &err);
    mt_free(a, text_bin);
    if (dec != 0) {
        /* The decoder clears `malformed` when it ran out of memory. */
        st = err.unsupported ? MANTLE_ELIMIT
             : err.malformed ? MANTLE_EMALFORMED
                             : MANTLE_ENOMEM;
        goto report;
    }
    if (wasm_validate(mod->wasm, &err) != 0) {
        st = err.unsupported ? MANTLE_ELIMIT
             : err.malformed ? MANTLE_EMALFORMED
                             : MANTLE_EINVALID;
        goto report;
    }
    uint32_t ndef = mod->wasm->nfuncs - mod->wasm->nfunc_imports;
    mod->code = mt_calloc(a, ndef ? ndef : 1, sizeof *mod->code);
    if (!mod->code) {
        st = MANTLE_ENOMEM;
        goto out;
    }
    st = build_api_types(mod);
    goto out;
report:
    if (diag) {
        char where[96] = "";
        if (err.func != WASM_NO_INDEX) {
            const char *fname = mod->wasm && mod->wasm->func_names &&
                                        err.func < mod->wasm->nfuncs
                                    ? mod->wasm->func_names[err.func]
                                    : NULL;
            if (fname)
                snprintf(where, sizeof where, "function %u (%s), ", err.func,
                         fname);
            else
                snprintf(where, sizeof where, "function %u, ", err.func);
        }
        vm_diag_set(diag, st, "%s: %s%soffset 0x%x: %s", label,
                    st == MANTLE_EMALFORMED  ? "malformed: "
                    : st == MANTLE_EINVALID ? "invalid: "
                                            : "",
                    where, err.offset, err.msg);
        diag->func_index = err.func;
        diag->offset = err.offset;
    }
    goto fail;
out:
    if (st == MANTLE_OK) {
        *out_module = mod;
        return MANTLE_OK;
    }
    vm_diag_set(diag, st, "%s: %s", label, mantle_strerror(st));
fail:
    module_destroy(mod);
    return st;
}

int mantle_module_load(mantle_engine *engine, const char *path,
                       mantle_module **out_module, mantle_diag *diag)
{
    uint8_t *data;
    size_t size;
    if (!engine || !path || !out_module) {
        vm_diag_set(diag, MANTLE_EINVAL, "invalid argument");
        return MANTLE_EINVAL;
    }
    if (os_file_read_all(path, &data, &size) != 0) {
        vm_diag_set(diag, MANTLE_EIO, "%s: cannot read: %s", path,
                    strerror(errno));
        return MANTLE_EIO;
    }
    int st = mantle_module_new(engine, data, size, path, out_module, diag);
    free(data);
    return st;
}

void vm_module_unref(mantle_module *mod);
void vm_module_unref(mantle_module *mod)
{
    if (mod && vm_unref(&mod->refs))
        module_destroy(mod);
}

void mantle_module_free(mantle_module *module)
{
    vm_module_unref(module);
}

size_t mantle_module_import_count(const mantle_module *module)
{
    return module ? module->wasm->nimports : 0;
}

size_t mantle_module_export_count(const mantle_module *module)
{
    return module ? module->wasm->nexports : 0;
}

static void describe(const mantle_module *mod, uint8_t kind, uint32_t index,
                     mantle_externtype *t)
{
    const wasm_module *w = mod->wasm;
    memset(t, 0, sizeof *t);
    t->kind = (mantle_externkind)kind;
    switch (kind) {
    case EXT_FUNC:
        t->func = mod->functypes[w->func_type[index]];
        break;
    case EXT_TABLE:
        t->elem = vm_kind_of(w->tables[index].elemtype);
        t->limits.min = w->tables[index].limits.min;
        t->limits.max = w->tables[index].limits.max;
        t->limits.has_max = w->tables[index].limits.has_max;
        break;
    case EXT_MEMORY:
        t->limits.min = w->memories[index].min;
        t->limits.max = w->memories[index].max;
        t->limits.has_max = w->memories[index].has_max;
        break;
    case EXT_GLOBAL:
        t->global = vm_kind_of(w->global_types[index].type);
        t->mutable_global = w->global_types[index].mut;
        break;
    }
}

int mantle_module_import(const mantle_module *module, size_t index,
                         const char **out_module_name, const char **out_name,
                         mantle_externtype *out_type)
{
    if (!module || index >= module->wasm->nimports)
        return MANTLE_ENOTFOUND;
    const wasm_module *w = module->wasm;
    const wasm_import *im = &w->imports[index];
    if (out_module_name)
        *out_module_name = im->module;
    if (out_name)
        *out_name = im->name;
    if (out_type) {
        /* The import's own entry in its index space. */
        uint32_t seen = 0;
        for (size_t i = 0; i < index; i++)
            if (w->imports[i].kind == im->kind)
                seen++;
        describe(module, im->kind, seen, out_type);
    }
    return MANTLE_OK;
}

int mantle_module_export(const mantle_module *module, size_t index,
                         const char **out_name, mantle_externtype *out_type)
{
    if (!module || index >= module->wasm->nexports)
        return MANTLE_ENOTFOUND;
    const wasm_export *ex = &module->wasm->exports[index];
    if (out_name)
        *out_name = ex->name;
    if (out_type)
        describe(module, ex->kind, ex->index, out_type);
    return MANTLE_OK;
}

const char *mantle_module_func_name(const mantle_module *module,
                                    uint32_t func_index)
{
    if (!module || !module->wasm->func_names ||
        func_index >= module->wasm->nfuncs)
        return NULL;
    return module->wasm->func_names[func_index];
}

const char *mantle_module_name(const mantle_module *module)
{
    return module ? module->wasm->module_name : NULL;
}

void mantle_module_stats_get(const mantle_module *module,
                             mantle_module_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!module)
        return;
    const wasm_module *w = module->wasm;
    s->bytes = w->size;
    s->types = w->ntypes;
    s->funcs = w->nfuncs;
    s->func_imports = w->nfunc_imports;
    s->tables = w->ntables;
    s->memories = w->nmemories;
    s->globals = w->nglobals;
    s->elems = w->nelems;
    s->datas = w->ndatas;
    s->customs = w->ncustoms;
    for (uint32_t i = 0; i < w->nfuncs - w->nfunc_imports; i++)
        s->code_bytes += w->funcs[i].body.len;
    s->has_start = w->start != WASM_NO_INDEX;
}

int mantle_module_custom(const mantle_module *module, size_t index,
                         const char **out_name, const uint8_t **out_data,
                         size_t *out_size)
{
    if (!module || index >= module->wasm->ncustoms)
        return MANTLE_ENOTFOUND;
    const wasm_custom *c = &module->wasm->customs[index];
    if (out_name)
        *out_name = c->name;
    if (out_data)
        *out_data = module->wasm->bytes + c->content.off;
    if (out_size)
        *out_size = c->content.len;
    return MANTLE_OK;
}

int mantle_module_disasm(const mantle_module *module, uint32_t func_index,
                         mantle_write_fn write, void *ctx)
{
    if (!module || !write || !module->wasm ||
        func_index >= module->wasm->nfuncs)
        return MANTLE_EINVAL;
    return wasm_disasm_func(module->wasm, func_index, write, ctx);
}
