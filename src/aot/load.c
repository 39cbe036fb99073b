/* load.c - modules with native code: from an artifact, or compiled on
 * first use through the cache; mantle_aot_compile.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A module with native code is an ordinary module (decoded and validated
 * from the artifact's module bytes, so imports, exports, segments and the
 * interpreter's fallbacks all work) plus a vm_aot_code: the shared object,
 * loaded from memory, and its entry points bound by mantle_aot_bind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "aot.h"
#include "aot_rt.h"
#include "vm.h"

/* ---- Compiler identity (one `cc --version` per process) ------------------ */

static os_once ident_once = OS_ONCE_INIT;
static char host_ident[128];
static int host_ident_rc = -1;
static char host_cc[96];

static void host_ident_init(void)
{
    aot_options o;
    memset(&o, 0, sizeof o);
    o.target = aot_target_host();
    snprintf(host_cc, sizeof host_cc, "%s", o.target ? aot_cc_for(&o) : "cc");
    host_ident_rc = aot_cc_identity(host_cc, host_ident, sizeof host_ident);
}

static int cc_identity(const aot_options *o, char *out, size_t outlen)
{
    const char *cc = aot_cc_for(o);
    os_call_once(&ident_once, host_ident_init);
    if (!strcmp(cc, host_cc)) {
        snprintf(out, outlen, "%s", host_ident);
        return host_ident_rc;
    }
    return aot_cc_identity(cc, out, outlen);
}

/* ---- Binding ------------------------------------------------------------ */

void vm_aot_code_free(mantle_module *mod)
{
    struct vm_aot_code *c = mod ? mod->aot : NULL;
    if (!c)
        return;
    const mantle_allocator *a = &mod->engine->alloc;
    os_dl_close(c->dl);
    mt_free(a, c->fns);
    mt_free(a, c->tramps);
    mt_free(a, c->by_addr);
    mt_free(a, c);
    mod->aot = NULL;
}

static int by_addr_cmp(const void *x, const void *y)
{
    uintptr_t a = ((const struct aot_pc_func *)x)->addr;
    uintptr_t b = ((const struct aot_pc_func *)y)->addr;
    return a < b ? -1 : a > b;
}

static int attach(mantle_module *mod, const aot_artifact_info *ai,
                  mantle_diag *diag)
{
    const mantle_allocator *a = &mod->engine->alloc;
    const wasm_module *w = mod->wasm;
    uint32_t ndef = w->nfuncs - w->nfunc_imports;
    struct vm_aot_code *c = mt_calloc(a, 1, sizeof *c);
    if (!c)
        goto oom;
    c->fns = mt_calloc(a, ndef + 1, sizeof *c->fns);
    c->tramps = mt_calloc(a, ndef + 1, sizeof *c->tramps);
    c->nfuncs = ndef;
    c->guard = ai->guard;
    c->fuel = ai->fuel;
    mod->aot = c;
    if (!c->fns || !c->tramps)
        goto oom;
    char err[300];
    c->dl = os_dl_open_bytes(ai->so, ai->so_size, err, sizeof err);
    if (!c->dl) {
        vm_diag_set(diag, MANTLE_EIO, "%s: %s", mod->name, err);
        vm_aot_code_free(mod);
        return MANTLE_EIO;
    }
    union {
        void *p;
        int (*fn)(uint32_t, uint32_t, void **, void **);
    } bind;
    bind.p = os_dl_sym(c->dl, "mantle_aot_bind");
    if (!bind.p || bind.fn(AOT_ABI_VERSION, ndef, c->fns, c->tramps) != 0) {
        vm_diag_set(diag, MANTLE_EREFUSED,
                    "%s: refused: native code does not match the module "
                    "(entry points or ABI)", mod->name);
        vm_aot_code_free(mod);
        return MANTLE_EREFUSED;
    }
    if (os_dl_text_range(c->dl, &c->text_lo, &c->text_hi) != 0) {
        vm_diag_set(diag, MANTLE_EIO, "%s: cannot locate the loaded native "
                    "code (needed to interrupt it)", mod->name);
        vm_aot_code_free(mod);
        return MANTLE_EIO;
    }
    c->by_addr = mt_calloc(a, 2 * (size_t)ndef + 1, sizeof *c->by_addr);
    if (!c->by_addr)
        goto oom;
    for (uint32_t i = 0; i < ndef; i++) {
        c->by_addr[2 * i] = (struct aot_pc_func){(uintptr_t)c->fns[i],
                                                 w->nfunc_imports + i};
        c->by_addr[2 * i + 1] = (struct aot_pc_func){
            (uintptr_t)c->tramps[i], w->nfunc_imports + i};
    }
    c->nby_addr = 2 * ndef;
    qsort(c->by_addr, c->nby_addr, sizeof *c->by_addr, by_addr_cmp);
    return MANTLE_OK;
oom:
    vm_aot_code_free(mod);
    vm_diag_set(diag, MANTLE_ENOMEM, "%s: out of memory", mod->name);
    return MANTLE_ENOMEM;
}

int vm_module_new_wasm(mantle_engine *engine, const uint8_t *bytes,
                       size_t size, const char *name,
                       mantle_module **out_module, mantle_diag *diag);

int vm_aot_module_load(mantle_engine *engine, const uint8_t *bytes,
                       size_t size, const char *name,
                       mantle_module **out_module, mantle_diag *diag);
int vm_aot_module_load(mantle_engine *engine, const uint8_t *bytes,
                       size_t size, const char *name,
                       mantle_module **out_module, mantle_diag *diag)
{
    const char *label = name ? name : "artifact";
    aot_artifact_info ai;
    char err[300];
    if (aot_artifact_parse(bytes, size, &ai, err, sizeof err) != MANTLE_OK) {
        vm_diag_set(diag, MANTLE_EREFUSED, "%s: refused: %s", label, err);
        return MANTLE_EREFUSED;
    }
    if (ai.fuel != (engine->cfg.instance_fuel != 0)) {
        vm_diag_set(diag, MANTLE_EREFUSED,
                    "%s: refused: artifact compiled %s fuel metering, the "
                    "engine runs %s fuel", label, ai.fuel ? "with" : "without",
                    engine->cfg.instance_fuel ? "with" : "without");
        return MANTLE_EREFUSED;
    }
    mantle_module *mod = NULL;
    int st = vm_module_new_wasm(engine, ai.wasm, ai.wasm_size, label, &mod,
                                diag);
    if (st != MANTLE_OK)
        return st;
    st = attach(mod, &ai, diag);
    if (st != MANTLE_OK) {
        mantle_module_free(mod);
        return st;
    }
    *out_module = mod;
    return MANTLE_OK;
}

/* ---- Compiling ---------------------------------------------------------- */

static void options_from(const mantle_engine *e, const mantle_aot_options *in,
                         aot_options *o)
{
    memset(o, 0, sizeof *o);
    o->target = aot_target_find(in ? in->target : NULL);
    o->opt_level = in && in->opt_level ? (int)in->opt_level
                   : e->cfg.aot_opt_level ? (int)e->cfg.aot_opt_level
                                          : 2;
    o->fuel = in ? in->fuel : e->cfg.instance_fuel != 0;
    o->guard = o->target && o->target->guard;
    o->cc = in ? in->cc : NULL;
    uint32_t n = os_cpu_count();
    o->jobs = n < 1 ? 1 : n;
}

/* Compile `w` (bytes `wasm`) into a whole artifact. */
static int build(const wasm_module *w, const uint8_t *wasm, size_t size,
                 const aot_options *o, const char *label, uint8_t **out,
                 size_t *out_size, double *out_secs, mantle_diag *diag)
{
    aot_artifact_info ai;
    memset(&ai, 0, sizeof ai);
    char err[600];
    if (cc_identity(o, ai.compiler, sizeof ai.compiler) != 0) {
        vm_diag_set(diag, MANTLE_EIO,
                    "%s: no C compiler: \"%s --version\" failed (install "
                    "gcc, or set MANTLE_CC)", label, aot_cc_for(o));
        return MANTLE_EIO;
    }
    aot_flags_string(o, ai.flags, sizeof ai.flags);
    snprintf(ai.target, sizeof ai.target, "%s", o->target->name);
    ai.abi = AOT_ABI_VERSION;
    ai.guard = o->guard;
    ai.fuel = o->fuel;
    if (aot_sha256(wasm, size, ai.digest) != 0) {
        vm_diag_set(diag, MANTLE_ENOMEM, "%s: cannot hash the module", label);
        return MANTLE_ENOMEM;
    }
    uint8_t *so = NULL;
    size_t so_size = 0;
    int st = aot_compile_module(w, o, &so, &so_size, out_secs, err, sizeof err);
    if (st != MANTLE_OK) {
        vm_diag_set(diag, st, "%s: %s", label, err);
        return st;
    }
    ai.wasm = wasm;
    ai.wasm_size = size;
    ai.so = so;
    ai.so_size = so_size;
    st = aot_artifact_build(&ai, out, out_size);
    free(so);
    if (st != MANTLE_OK)
        vm_diag_set(diag, st, "%s: out of memory", label);
    return st;
}

int vm_aot_module_compile(mantle_module *mod, mantle_diag *diag);
int vm_aot_module_compile(mantle_module *mod, mantle_diag *diag)
{
    mantle_engine *e = mod->engine;
    const wasm_module *w = mod->wasm;
    aot_options o;
    options_from(e, NULL, &o);
    if (!o.target) {
        vm_diag_set(diag, MANTLE_EINVAL, "%s: no AOT support for this host",
                    mod->name);
        return MANTLE_EINVAL;
    }
    uint8_t digest[AOT_DIGEST_LEN];
    char ident[128], flags[128], path[4200];
    if (aot_sha256(w->bytes, w->size, digest) != 0 ||
        cc_identity(&o, ident, sizeof ident) != 0) {
        vm_diag_set(diag, MANTLE_EIO,
                    "%s: no C compiler: \"%s --version\" failed (install "
                    "gcc, or set MANTLE_CC)", mod->name, aot_cc_for(&o));
        return MANTLE_EIO;
    }
    aot_flags_string(&o, flags, sizeof flags);
    bool have_path = aot_cache_path(digest, ident, flags, path,
                                    sizeof path) == 0;
    uint8_t *art = NULL;
    size_t art_size = 0;
    aot_artifact_info ai;
    char err[300];
    int st;
    if (have_path && os_file_read_all(path, &art, &art_size) == 0) {
        if (aot_artifact_parse(art, art_size, &ai, err, sizeof err) ==
                MANTLE_OK &&
            memcmp(ai.digest, digest, AOT_DIGEST_LEN) == 0 &&
            ai.fuel == o.fuel && ai.guard == o.guard &&
            !strcmp(ai.compiler, ident) && !strcmp(ai.flags, flags)) {
            st = attach(mod, &ai, diag);
            free(art);
            return st;
        }
        free(art);  /* damaged or foreign: compile afresh, replace it */
        art = NULL;
    }
    st = build(w, w->bytes, w->size, &o, mod->name, &art, &art_size, NULL,
               diag);
    if (st != MANTLE_OK)
        return st;
    if (have_path)
        (void)os_file_replace(path, art, art_size);  /* a cache: best effort */
    st = aot_artifact_parse(art, art_size, &ai, err, sizeof err);
    if (st == MANTLE_OK)
        st = attach(mod, &ai, diag);
    else
        vm_diag_set(diag, st, "%s: %s", mod->name, err);
    free(art);
    return st;
}

/* ---- Public API ----------------------------------------------------------- */

int mantle_aot_compile(mantle_engine *engine, const uint8_t *wasm,
                       size_t size, const char *name,
                       const mantle_aot_options *opts, const char *out_path,
                       mantle_aot_stats *out_stats, mantle_diag *diag)
{
    if (!engine || !wasm || !out_path) {
        vm_diag_set(diag, MANTLE_EINVAL, "invalid argument");
        return MANTLE_EINVAL;
    }
    const char *label = name ? name : "module";
    aot_options o;
    options_from(engine, opts, &o);
    if (!o.target) {
        vm_diag_set(diag, MANTLE_EINVAL, "%s: unknown target \"%s\" (x86_64, "
                    "aarch64, armv7, riscv64)", label,
                    opts && opts->target ? opts->target : "host");
        return MANTLE_EINVAL;
    }
    mantle_module *mod = NULL;
    int st = vm_module_new_wasm(engine, wasm, size, label, &mod, diag);
    if (st != MANTLE_OK)
        return st;
    uint8_t *art = NULL;
    size_t art_size = 0;
    double secs = 0;
    st = build(mod->wasm, wasm, size, &o, label, &art, &art_size, &secs, diag);
    mantle_module_free(mod);
    if (st != MANTLE_OK)
        return st;
    if (os_file_write_all(out_path, art, art_size) != 0) {
        vm_diag_set(diag, MANTLE_EIO, "%s: cannot write: %s", out_path,
                    strerror(errno));
        st = MANTLE_EIO;
    } else if (out_stats) {
        out_stats->compile_seconds = secs;
        out_stats->artifact_size = art_size;
    }
    free(art);
    return st;
}

int mantle_aot_available(const char *target)
{
    aot_options o;
    memset(&o, 0, sizeof o);
    o.target = aot_target_find(target);
    if (!o.target)
        return MANTLE_EINVAL;
    char ident[128];
    return cc_identity(&o, ident, sizeof ident) == 0 ? MANTLE_OK : MANTLE_EIO;
}
