/* aot.h - the AOT tier's internal API: emitter, compiler driver, artifacts,
 * cache, loader and the runtime that enters and leaves native code.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Flow: a validated module -> aot_emit (C units, pure) -> aot_compile (the
 * system or a cross C compiler, in parallel) -> aot_artifact_write (header
 * + wasm + shared object) -> aot_artifact_read (checks everything) ->
 * aot_load (dlopen, bind entry points). See docs/aot.md.
 */
#ifndef MANTLE_AOT_H
#define MANTLE_AOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"

/* A module's loaded native code (mantle_module.aot). */
struct vm_aot_code {
    void *dl;               /* os_dl_open_bytes handle */
    void **fns;             /* per defined function: typed entry */
    void **tramps;          /* per defined function: slot-form entry */
    uint32_t nfuncs;
    bool guard, fuel;
    /* Where the code lies, and its entry points sorted by address with
     * their function indices: an interrupted program counter to the
     * function it is in (aot_call.c). */
    uintptr_t text_lo, text_hi;
    struct aot_pc_func {
        uintptr_t addr;
        uint32_t func;
    } *by_addr;
    uint32_t nby_addr;
};

/* ---- Growable text buffer -------------------------------------------- */

typedef struct aot_buf {
    char *p;
    size_t n, cap;
    bool oom;
} aot_buf;

void aot_buf_printf(aot_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void aot_buf_put(aot_buf *b, const char *s, size_t n);
void aot_buf_free(aot_buf *b);

/* ---- Emitter (emit_c.c, emit_module.c): pure, no OS ------------------ */

/* One C translation unit of a module. */
typedef struct aot_unit {
    aot_buf text;
} aot_unit;

typedef struct aot_emit_out {
    aot_buf header;       /* "module.h": types and prototypes, all units */
    aot_unit *units;      /* units[0] also holds the bind function */
    uint32_t nunits;
} aot_emit_out;

/* Translate a validated module. `max_units` bounds the split (>= 1).
 * Returns 0, or -1 with `err` filled (out of memory). */
int aot_emit(const wasm_module *w, uint32_t max_units, aot_emit_out *out,
             char *err, size_t errlen);
void aot_emit_free(aot_emit_out *out);

/* Emit one defined function (index in the function index space) into b. */
int aot_emit_func(const wasm_module *w, uint32_t func_index, aot_buf *b);

/* A simple inner loop's plan (loop_scan.c): loads that need no keeper,
 * locals that carry a loaded value into the next iteration and can be
 * reloaded from (u32)(sum coef[i] * l<loc[i]> + k) at the loop's top. */
#define AOT_MAX_CARRY 4
typedef struct aot_carry {
    uint32_t local;
    uint16_t op;          /* the load that sets it */
    uint32_t k;
    uint8_t nterms;
    uint32_t loc[3], coef[3];
} aot_carry;
typedef struct aot_loop_plan {
    uint32_t nloads;
    uint64_t nokeep;      /* bit i: the body's i-th load (i < 64) */
    uint32_t ncarry;
    aot_carry carry[AOT_MAX_CARRY];
} aot_loop_plan;
/* `p` points after the loop's block type; true: a plan worth using. */
bool aot_loop_scan(const uint8_t *ltypes, uint32_t nlocals, const uint8_t *p,
                   const uint8_t *end, aot_loop_plan *plan);

/* Shared naming: the C type of a Wasm value type. */
const char *aot_ctype(uint8_t vt);

/* The embedded text of aot_rt.h (aot_rt_text.c, generated at build time). */
extern const char aot_rt_h_text[];

/* ---- Targets and compiler driver (target.c, driver.c) ----------------- */

typedef struct aot_target {
    const char *name;      /* x86_64, aarch64, armv7, riscv64 */
    const char *triple;    /* Debian cross prefix, e.g. aarch64-linux-gnu */
    bool guard;            /* guard regions: a 64-bit address space, and
                              stores the compiler emits whole (see driver.c) */
    uint16_t elf_machine;  /* e_machine of its shared objects */
} aot_target;

/* NULL or "" for the host. */
const aot_target *aot_target_find(const char *name);
const aot_target *aot_target_host(void);

/* Version of the emitter's output: part of every cache key. */
#define AOT_GEN_VERSION 9u

typedef struct aot_options {
    const aot_target *target;
    int opt_level;          /* 0..3 */
    bool fuel;              /* fuel metering compiled in */
    bool guard;             /* guard regions (64-bit targets only) */
    const char *cc;         /* NULL: $MANTLE_CC, then the target's default */
    uint32_t jobs;          /* parallel compiler processes; 0: 2 */
} aot_options;

/* The compiler command for a target (static storage or opts->cc). */
const char *aot_cc_for(const aot_options *opts);
/* Identity of the compiler: its `--version` first line. Returns 0 or -1. */
int aot_cc_identity(const char *cc, char *out, size_t outlen);
/* The flags used, as one string (recorded in artifacts and cache keys). */
void aot_flags_string(const aot_options *opts, char *out, size_t outlen);

/* Emit and compile a module into a shared object (bytes in *out_so, freed
 * with free()). Detail of failures goes into err. Returns MANTLE_* codes. */
int aot_compile_module(const wasm_module *w, const aot_options *opts,
                       uint8_t **out_so, size_t *out_size, double *out_secs,
                       char *err, size_t errlen);

/* ---- Artifacts (artifact.c) ------------------------------------------- */

#define AOT_MAGIC "MANTLEAOT\0\r\n"
#define AOT_MAGIC_LEN 12
#define AOT_DIGEST_LEN 32

typedef struct aot_artifact_info {
    uint8_t digest[AOT_DIGEST_LEN];  /* SHA-256 of the module bytes */
    char target[16];
    char compiler[128];
    char flags[128];
    uint32_t abi;
    bool guard, fuel;
    const uint8_t *wasm;             /* borrowed from the artifact bytes */
    size_t wasm_size;
    const uint8_t *so;
    size_t so_size;
} aot_artifact_info;

bool aot_is_artifact(const uint8_t *bytes, size_t size);
int aot_sha256(const uint8_t *data, size_t n, uint8_t out[AOT_DIGEST_LEN]);
/* Build an artifact in memory (freed with free()). */
int aot_artifact_build(const aot_artifact_info *info, uint8_t **out,
                       size_t *out_size);
/* Parse and check an artifact: structure, lengths, checksum, module
 * digest, ABI version and target (against the host). On failure returns
 * MANTLE_EARTIFACT-class codes (MANTLE_EINVAL) with a clear message. */
int aot_artifact_parse(const uint8_t *bytes, size_t size,
                       aot_artifact_info *out, char *err, size_t errlen);

/* ---- Cache (cache.c) ---------------------------------------------------- */

/* $XDG_CACHE_HOME/mantle, else $HOME/.cache/mantle; created if missing.
 * Returns 0 or -1. */
int aot_cache_dir(char *out, size_t outlen);
/* Path of the artifact for a module digest + compiler + flags + ABI. */
int aot_cache_path(const uint8_t digest[AOT_DIGEST_LEN], const char *compiler,
                   const char *flags, char *out, size_t outlen);

#endif
