/* emit_module.c - a validated module to C: the shared header, the split
 * into translation units, slot-form trampolines and the bind function.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every unit includes "module.h" (aot_rt.h, result structs and function
 * pointer types per type index, prototypes of every function). Functions
 * are hidden symbols, so units call each other directly and the shared
 * object exports one symbol: mantle_aot_bind, which hands the loader the
 * typed entry (for direct and call_indirect calls from other AOT code) and
 * the slot-form trampoline (for the interpreter and the host) of each
 * defined function. Nothing in the generated code is a global variable.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aot.h"

static void emit_types(const wasm_module *w, aot_buf *h)
{
    for (uint32_t t = 0; t < w->ntypes; t++) {
        const wasm_functype *ft = &w->types[t];
        uint32_t np = ft->nparams, nr = ft->nresults;
        if (nr > 1) {
            aot_buf_printf(h, "struct r_t%u {", t);
            for (uint32_t i = 0; i < nr; i++)
                aot_buf_printf(h, " %s v%u;", aot_ctype(ft->types[np + i]), i);
            aot_buf_printf(h, " };\n");
        }
        if (nr == 0)
            aot_buf_printf(h, "typedef void (*t%u)(aot_inst *", t);
        else if (nr == 1)
            aot_buf_printf(h, "typedef %s (*t%u)(aot_inst *",
                           aot_ctype(ft->types[np]), t);
        else
            aot_buf_printf(h, "typedef struct r_t%u (*t%u)(aot_inst *",
                           t, t);
        for (uint32_t i = 0; i < np; i++)
            aot_buf_printf(h, ", %s", aot_ctype(ft->types[i]));
        aot_buf_printf(h, ");\n");
    }
}

static void emit_proto(const wasm_module *w, uint32_t fi, aot_buf *h)
{
    uint32_t ty = w->func_type[fi];
    const wasm_functype *ft = &w->types[ty];
    uint32_t np = ft->nparams, nr = ft->nresults;
    if (nr == 0)
        aot_buf_printf(h, "AOT_HIDDEN void fn%u(aot_inst *", fi);
    else if (nr == 1)
        aot_buf_printf(h, "AOT_HIDDEN %s fn%u(aot_inst *",
                       aot_ctype(ft->types[np]), fi);
    else
        aot_buf_printf(h, "AOT_HIDDEN struct r_t%u fn%u(aot_inst *", ty,
                       fi);
    for (uint32_t i = 0; i < np; i++)
        aot_buf_printf(h, ", %s", aot_ctype(ft->types[i]));
    aot_buf_printf(h, ");\nAOT_HIDDEN void w%u(aot_inst *, u64 *);\n", fi);
}

/* The slot-form entry: arguments from s[0], results to s[0], each value
 * taking its slots in order (a v128 two, as in the interpreter). */
static void emit_tramp(const wasm_module *w, uint32_t fi, aot_buf *b)
{
    uint32_t ty = w->func_type[fi];
    const wasm_functype *ft = &w->types[ty];
    uint32_t np = ft->nparams, nr = ft->nresults;
    aot_buf_printf(b, "AOT_HIDDEN void w%u(aot_inst *c, u64 *s)\n{\n  ", fi);
    if (nr == 1)
        aot_buf_printf(b, "%s r_ = ", aot_ctype(ft->types[np]));
    else if (nr > 1)
        aot_buf_printf(b, "struct r_t%u r_ = ", ty);
    aot_buf_printf(b, "fn%u(c", fi);
    for (uint32_t i = 0, o = 0; i < np; o += wasm_slot_width(ft->types[i]), i++) {
        switch (ft->types[i]) {
        case VT_I32: aot_buf_printf(b, ", (u32)s[%u]", o); break;
        case VT_I64: aot_buf_printf(b, ", s[%u]", o); break;
        case VT_F32: aot_buf_printf(b, ", aot_f32((u32)s[%u])", o); break;
        case VT_F64: aot_buf_printf(b, ", aot_f64(s[%u])", o); break;
        case VT_V128: aot_buf_printf(b, ", simd_get(&s[%u])", o); break;
        default: aot_buf_printf(b, ", (void *)(uintptr_t)s[%u]", o); break;
        }
    }
    aot_buf_printf(b, ");\n");
    for (uint32_t i = 0, o = 0; i < nr; o += wasm_slot_width(ft->types[np + i]), i++) {
        char v[16];
        if (nr == 1)
            snprintf(v, sizeof v, "r_");
        else
            snprintf(v, sizeof v, "r_.v%u", i);
        switch (ft->types[np + i]) {
        case VT_I32: aot_buf_printf(b, "  s[%u] = (u64)%s;\n", o, v); break;
        case VT_I64: aot_buf_printf(b, "  s[%u] = %s;\n", o, v); break;
        case VT_F32: aot_buf_printf(b, "  s[%u] = aot_b32(%s);\n", o, v); break;
        case VT_F64: aot_buf_printf(b, "  s[%u] = aot_b64(%s);\n", o, v); break;
        case VT_V128: aot_buf_printf(b, "  simd_put(&s[%u], %s);\n", o, v); break;
        default: aot_buf_printf(b, "  s[%u] = (u64)(uintptr_t)%s;\n", o, v); break;
        }
    }
    aot_buf_printf(b, "}\n\n");
}

static void emit_bind(const wasm_module *w, aot_buf *b)
{
    uint32_t ndef = w->nfuncs - w->nfunc_imports;
    aot_buf_printf(b,
                   "AOT_EXPORT int mantle_aot_bind(u32 abi, u32 n, void **fns, "
                   "void **tramps)\n{\n"
                   "  if (abi != AOT_ABI_VERSION || n != %uu)\n    return -1;\n",
                   ndef);
    for (uint32_t i = 0; i < ndef; i++) {
        uint32_t fi = w->nfunc_imports + i;
        aot_buf_printf(b, "  fns[%u] = (void *)fn%u; tramps[%u] = (void *)w%u;\n",
                       i, fi, i, fi);
    }
    aot_buf_printf(b, "  return 0;\n}\n");
}

int aot_emit(const wasm_module *w, uint32_t max_units, aot_emit_out *out,
             char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    uint32_t ndef = w->nfuncs - w->nfunc_imports;
    uint64_t total = 0;
    for (uint32_t i = 0; i < ndef; i++)
        total += w->funcs[i].body.len;
    /* About 64 KiB of Wasm code per unit: small modules stay one unit. */
    uint64_t want = total / 65536 + 1;
    if (max_units < 1)
        max_units = 1;
    out->nunits = want < max_units ? (uint32_t)want : max_units;
    out->units = calloc(out->nunits, sizeof *out->units);
    if (!out->units) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    aot_buf *h = &out->header;
    aot_buf_printf(h, "/* Generated by mantle: do not edit. */\n"
                      "#include \"aot_rt.h\"\n");
    emit_types(w, h);
    for (uint32_t i = 0; i < ndef; i++)
        emit_proto(w, w->nfunc_imports + i, h);
    for (uint32_t u = 0; u < out->nunits; u++)
        aot_buf_printf(&out->units[u].text, "#include \"module.h\"\n\n");
    uint64_t per = total / out->nunits + 1, acc = 0;
    uint32_t u = 0;
    for (uint32_t i = 0; i < ndef; i++) {
        uint32_t fi = w->nfunc_imports + i;
        aot_buf *b = &out->units[u].text;
        if (aot_emit_func(w, fi, b) != 0) {
            snprintf(err, errlen, "function %u: cannot translate to C", fi);
            aot_emit_free(out);
            return -1;
        }
        emit_tramp(w, fi, b);
        acc += w->funcs[i].body.len;
        if (acc >= per * (u + 1) && u + 1 < out->nunits)
            u++;
    }
    emit_bind(w, &out->units[0].text);
    bool oom = h->oom;
    for (uint32_t k = 0; k < out->nunits; k++)
        oom |= out->units[k].text.oom;
    if (oom) {
        snprintf(err, errlen, "out of memory");
        aot_emit_free(out);
        return -1;
    }
    return 0;
}

void aot_emit_free(aot_emit_out *out)
{
    if (!out)
        return;
    aot_buf_free(&out->header);
    for (uint32_t k = 0; k < out->nunits; k++)
        aot_buf_free(&out->units[k].text);
    free(out->units);
    memset(out, 0, sizeof *out);
}
