/* module.c - freeing and querying decoded modules; mt_strndup.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <string.h>

#include "alloc.h"
#include "module.h"

char *mt_strndup(const mantle_allocator *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = mt_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Frees a module in any state the decoder can leave it in: arrays are
 * allocated zeroed, and each count matches its array once that exists. */
void wasm_module_free(wasm_module *m)
{
    if (!m)
        return;
    const mantle_allocator a = m->alloc;  /* m itself is freed through it */

    if (m->types)
        for (uint32_t i = 0; i < m->ntypes; i++)
            mt_free(&a, m->types[i].types);
    mt_free(&a, m->types);

    if (m->imports)
        for (uint32_t i = 0; i < m->nimports; i++) {
            mt_free(&a, m->imports[i].module);
            mt_free(&a, m->imports[i].name);
        }
    mt_free(&a, m->imports);

    mt_free(&a, m->func_type);
    if (m->funcs)
        for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
            mt_free(&a, m->funcs[i].local_types);
    mt_free(&a, m->funcs);
    mt_free(&a, m->tables);
    mt_free(&a, m->memories);
    mt_free(&a, m->global_types);
    mt_free(&a, m->globals);

    if (m->exports)
        for (uint32_t i = 0; i < m->nexports; i++)
            mt_free(&a, m->exports[i].name);
    mt_free(&a, m->exports);

    if (m->elems)
        for (uint32_t i = 0; i < m->nelems; i++)
            mt_free(&a, m->elems[i].items);
    mt_free(&a, m->elems);
    mt_free(&a, m->datas);

    if (m->customs)
        for (uint32_t i = 0; i < m->ncustoms; i++)
            mt_free(&a, m->customs[i].name);
    mt_free(&a, m->customs);

    mt_free(&a, m->module_name);
    if (m->func_names)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            mt_free(&a, m->func_names[i]);
    mt_free(&a, m->func_names);
    mt_free(&a, m->func_declared);

    mt_free(&a, m->bytes);
    mt_free(&a, m);
}

const wasm_export *wasm_module_find_export(const wasm_module *m,
                                           const char *name, size_t len)
{
    if (!m || !name)
        return NULL;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].name_len == len &&
            memcmp(m->exports[i].name, name, len) == 0)
            return &m->exports[i];
    return NULL;
}

bool wasm_functype_equal(const wasm_functype *a, const wasm_functype *b)
{
    if (a == b)
        return true;
    if (a->nparams != b->nparams || a->nresults != b->nresults)
        return false;
    size_t n = (size_t)a->nparams + a->nresults;
    return n == 0 || memcmp(a->types, b->types, n) == 0;
}
