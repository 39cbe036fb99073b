/* mantle.h - the one public embedding API of the Mantle WebAssembly runtime.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Handles are opaque. Every call that can fail returns an int status
 * (MANTLE_OK is 0); mantle_strerror() names each code. Detail (what, where,
 * why) goes into a caller-supplied mantle_diag, never into a global.
 * Freeing NULL is always a no-op.
 *
 * Ownership: "borrows" means the callee keeps no reference after return;
 * "copies" means the caller may free or reuse its buffer at once; "takes"
 * means the callee frees it.
 *
 * Threads: an engine and its modules may be shared between threads. An
 * instance runs on one thread at a time; only mantle_instance_interrupt()
 * may be called on it from another thread.
 *
 * Map:  status and diagnostics - engine - values and types - modules -
 *       linker and host functions - instances and calls - memory - fuel -
 *       attestation: verifying evidence, policy appraisal, EAR results
 */
#ifndef MANTLE_H
#define MANTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MANTLE_NODISCARD __attribute__((warn_unused_result))
#else
#define MANTLE_NODISCARD
#endif

#define MANTLE_VERSION "0.1.0"

/* ---- Status and diagnostics ------------------------------------------ */

enum {
    MANTLE_OK = 0,
    MANTLE_ENOMEM = 1,      /* allocation failed */
    MANTLE_EINVAL = 2,      /* bad argument from the embedder */
    MANTLE_EMALFORMED = 3,  /* module bytes do not decode */
    MANTLE_EINVALID = 4,    /* module decodes but fails validation */
    MANTLE_EUNLINKABLE = 5, /* an import is missing or has the wrong type */
    MANTLE_ETRAP = 6,       /* execution trapped (see mantle_diag.trap) */
    MANTLE_ENOTFOUND = 7,   /* no such export or name */
    MANTLE_ETYPE = 8,       /* value or signature does not match */
    MANTLE_EBOUNDS = 9,     /* memory access outside linear memory */
    MANTLE_EEXIT = 10,      /* the guest asked to exit (mantle_diag.exit_code) */
    MANTLE_EIO = 11,        /* reading a file failed */
    MANTLE_ELIMIT = 12,     /* an implementation or configured limit */
    MANTLE_ENOTEE = 13,     /* the TEE backend is absent or failed */
    MANTLE_EAUTH = 14,      /* authentication failed (unseal, sealed root) */
    MANTLE_EREFUSED = 15,   /* evidence or policy refused (mantle_verify_reason),
                             * or an AOT artifact refused (diag says why) */
};

/* Name of a status code ("out of memory", ...); never NULL. */
const char *mantle_strerror(int status);

/* Traps: a closed set, one meaning each. */
typedef enum mantle_trap_kind {
    MANTLE_TRAP_NONE = 0,
    MANTLE_TRAP_UNREACHABLE,       /* "unreachable" */
    MANTLE_TRAP_OUT_OF_BOUNDS,     /* memory access out of bounds */
    MANTLE_TRAP_TABLE_BOUNDS,      /* table index or element out of bounds */
    MANTLE_TRAP_DIV_BY_ZERO,       /* "integer divide by zero" */
    MANTLE_TRAP_INT_OVERFLOW,      /* "integer overflow" */
    MANTLE_TRAP_INVALID_CONVERSION,/* "invalid conversion to integer" */
    MANTLE_TRAP_INDIRECT_NULL,     /* "uninitialized element" */
    MANTLE_TRAP_INDIRECT_TYPE,     /* "indirect call type mismatch" */
    MANTLE_TRAP_STACK_EXHAUSTED,   /* "call stack exhausted" */
    MANTLE_TRAP_OUT_OF_FUEL,       /* "out of fuel" */
    MANTLE_TRAP_INTERRUPTED,       /* "interrupted" */
    MANTLE_TRAP_HOST,              /* a host function failed */
    MANTLE_TRAP__COUNT
} mantle_trap_kind;

/* The spec's message for a trap kind ("integer divide by zero", ...). */
const char *mantle_trap_message(mantle_trap_kind kind);

#define MANTLE_BACKTRACE_MAX 32

typedef struct mantle_frame {
    uint32_t func_index;   /* in the module's function index space */
    uint32_t offset;       /* byte offset of the instruction in the module */
} mantle_frame;

/* Filled by calls that can fail, when the caller passes one (may be NULL).
 * On MANTLE_OK its contents are unspecified. */
typedef struct mantle_diag {
    int status;
    mantle_trap_kind trap;       /* when status == MANTLE_ETRAP */
    int exit_code;               /* when status == MANTLE_EEXIT */
    uint32_t func_index;         /* where: function, or UINT32_MAX */
    uint32_t offset;             /* where: byte offset, or UINT32_MAX */
    char message[512];           /* what, where and why, one line */
    uint32_t nframes;            /* backtrace, innermost first */
    uint32_t frames_omitted;     /* frames beyond MANTLE_BACKTRACE_MAX */
    mantle_frame frames[MANTLE_BACKTRACE_MAX];
} mantle_diag;

/* ---- Engine ---------------------------------------------------------- */

/* Allocation hook, as in Lua: realloc(ud, NULL, n) allocates, realloc(ud,
 * p, n) resizes, realloc(ud, p, 0) frees and returns NULL. Must return NULL
 * on failure; the library then reports MANTLE_ENOMEM. */
typedef struct mantle_allocator {
    void *(*realloc)(void *ud, void *ptr, size_t size);
    void *ud;
} mantle_allocator;

/* Execution tiers. MANTLE_TIER_AOT: mantle_module_new translates each
 * module to C and compiles it with the system C compiler ($MANTLE_CC, else
 * cc) into native code, cached in $XDG_CACHE_HOME/mantle (else
 * ~/.cache/mantle) by module digest, compiler, flags and ABI version.
 * Native and interpreted code share instances and call each other. */
typedef enum mantle_tier {
    MANTLE_TIER_INTERP = 0,
    MANTLE_TIER_AOT = 1,
} mantle_tier;

typedef struct mantle_config {
    mantle_allocator allocator;   /* .realloc NULL: the C library's */
    uint32_t max_call_depth;      /* Wasm frames per call; 0: default 10000 */
    uint64_t max_stack_bytes;     /* interpreter value stack; 0: 8 MiB */
    uint32_t max_memory_pages;    /* cap on every linear memory; 0: 65536 */
    uint32_t max_table_elems;     /* cap on every table; 0: 10,000,000 */
    uint64_t instance_fuel;       /* fuel every new instance starts with,
                                     start function included; 0: unlimited */
    mantle_tier tier;             /* how modules run; 0: the interpreter */
    uint32_t aot_opt_level;       /* MANTLE_TIER_AOT: C compiler -O level;
                                     0: 2 */
} mantle_config;

typedef struct mantle_engine mantle_engine;

/* Defaults for every field (zeroes mean default, so {0} works too). */
void mantle_config_init(mantle_config *cfg);
/* Copies cfg (NULL for defaults). */
MANTLE_NODISCARD int mantle_engine_new(const mantle_config *cfg,
                                       mantle_engine **out_engine);
/* Modules, linkers and instances must be freed before their engine. */
void mantle_engine_free(mantle_engine *engine);

/* ---- Values and types ------------------------------------------------ */

typedef enum mantle_valkind {
    MANTLE_I32 = 0,
    MANTLE_I64,
    MANTLE_F32,
    MANTLE_F64,
    MANTLE_V128,
    MANTLE_FUNCREF,
    MANTLE_EXTERNREF,
} mantle_valkind;

typedef struct mantle_func mantle_func;  /* a function instance (funcref) */

/* A typed value. Floats are stored bit-exact: write of.i32/of.i64 to pass
 * a NaN with a particular payload. A null reference is of.ref == NULL. */
typedef struct mantle_val {
    mantle_valkind kind;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        uint8_t v128[16];
        mantle_func *func;   /* MANTLE_FUNCREF */
        void *ref;           /* MANTLE_EXTERNREF: the embedder's pointer */
    } of;
} mantle_val;

/* "i32", "funcref", ... */
const char *mantle_valkind_name(mantle_valkind kind);

typedef enum mantle_externkind {
    MANTLE_EXTERN_FUNC = 0,
    MANTLE_EXTERN_TABLE = 1,
    MANTLE_EXTERN_MEMORY = 2,
    MANTLE_EXTERN_GLOBAL = 3,
} mantle_externkind;

/* A function signature; the arrays are borrowed from whoever owns it. */
typedef struct mantle_functype {
    size_t nparams;
    const mantle_valkind *params;
    size_t nresults;
    const mantle_valkind *results;
} mantle_functype;

typedef struct mantle_limits {
    uint32_t min;
    uint32_t max;       /* meaningful when has_max */
    bool has_max;
} mantle_limits;

/* The type of an import or export. */
typedef struct mantle_externtype {
    mantle_externkind kind;
    mantle_functype func;               /* MANTLE_EXTERN_FUNC */
    mantle_limits limits;               /* TABLE (elements), MEMORY (pages) */
    mantle_valkind elem;                /* TABLE: FUNCREF or EXTERNREF */
    mantle_valkind global;              /* GLOBAL: value kind */
    bool mutable_global;                /* GLOBAL */
} mantle_externtype;

/* ---- Modules --------------------------------------------------------- */

typedef struct mantle_module mantle_module;

/* Decode and validate a binary module. Copies `bytes`. `name` (borrowed,
 * may be NULL) is used in diagnostics ("app.wasm: ..."). Returns
 * MANTLE_EMALFORMED or MANTLE_EINVALID with diag->offset and, for code,
 * diag->func_index set. */
MANTLE_NODISCARD int mantle_module_new(mantle_engine *engine,
                                       const uint8_t *bytes, size_t size,
                                       const char *name,
                                       mantle_module **out_module,
                                       mantle_diag *diag);
/* Read a file and call mantle_module_new (MANTLE_EIO if unreadable). */
MANTLE_NODISCARD int mantle_module_load(mantle_engine *engine,
                                        const char *path,
                                        mantle_module **out_module,
                                        mantle_diag *diag);
/* Instances keep their module alive; free it whenever convenient. */
void mantle_module_free(mantle_module *module);

size_t mantle_module_import_count(const mantle_module *module);
size_t mantle_module_export_count(const mantle_module *module);
/* Names and types are borrowed from the module and live as long as it. */
MANTLE_NODISCARD int mantle_module_import(const mantle_module *module,
                                          size_t index,
                                          const char **out_module_name,
                                          const char **out_name,
                                          mantle_externtype *out_type);
MANTLE_NODISCARD int mantle_module_export(const mantle_module *module,
                                          size_t index, const char **out_name,
                                          mantle_externtype *out_type);
/* The function's name from the "name" section, or NULL. */
const char *mantle_module_func_name(const mantle_module *module,
                                    uint32_t func_index);
/* The module's own name from the "name" section, or NULL. */
const char *mantle_module_name(const mantle_module *module);

/* Sizes for `mantle inspect`: counts of each section's entries. */
typedef struct mantle_module_stats {
    size_t bytes;
    uint32_t types, funcs, func_imports, tables, memories, globals;
    uint32_t elems, datas, customs;
    uint64_t code_bytes;
    bool has_start;
} mantle_module_stats;
void mantle_module_stats_get(const mantle_module *module,
                             mantle_module_stats *out_stats);
/* Custom section i: name and contents, borrowed. */
MANTLE_NODISCARD int mantle_module_custom(const mantle_module *module,
                                          size_t index, const char **out_name,
                                          const uint8_t **out_data,
                                          size_t *out_size);

/* Disassembly for `mantle inspect --disasm`: function func_index (in the
 * function index space, imports first; an import prints as one line) as
 * text-format instructions, flat, one per line, indented by block depth.
 * The text goes to `write` in pieces (not split inside a line's token);
 * a nonzero return from `write` stops the listing and is returned.
 * Returns MANTLE_OK, or MANTLE_EINVAL if there is no such function. */
typedef int (*mantle_write_fn)(void *ctx, const char *text, size_t len);
MANTLE_NODISCARD int mantle_module_disasm(const mantle_module *module,
                                          uint32_t func_index,
                                          mantle_write_fn write, void *ctx);

/* ---- Ahead-of-time compilation ---------------------------------------- */

/* mantle_module_new and mantle_module_load also accept a native artifact
 * (written by mantle_aot_compile): it is checked whole - checksum, module
 * digest, target, runtime ABI version, fuel metering - and refused with
 * MANTLE_EINVAL and a message saying which check failed; never loaded
 * otherwise. */
typedef struct mantle_aot_options {
    const char *target;     /* NULL: the host; x86_64, aarch64, armv7,
                               riscv64 (Debian cross compilers) */
    uint32_t opt_level;     /* C compiler -O level; 0: the engine's (2) */
    const char *cc;         /* NULL: $MANTLE_CC (host), cc, or
                               <triple>-gcc for another target */
    bool fuel;              /* compile fuel metering in */
} mantle_aot_options;

typedef struct mantle_aot_stats {
    double compile_seconds; /* emit + compile + link */
    size_t artifact_size;
} mantle_aot_stats;

/* Validate and compile a module to a native artifact at out_path.
 * MANTLE_EIO when no compiler runs or it fails (diag has its output). */
MANTLE_NODISCARD int mantle_aot_compile(mantle_engine *engine,
                                        const uint8_t *wasm, size_t size,
                                        const char *name,
                                        const mantle_aot_options *opts,
                                        const char *out_path,
                                        mantle_aot_stats *out_stats,
                                        mantle_diag *diag);
/* MANTLE_OK if a C compiler for the target (NULL: host) runs. */
int mantle_aot_available(const char *target);

/* ---- Linker and host functions --------------------------------------- */

typedef struct mantle_linker mantle_linker;
typedef struct mantle_instance mantle_instance;
typedef struct mantle_memory mantle_memory;
typedef struct mantle_table mantle_table;
typedef struct mantle_global mantle_global;

/* What a host function sees of the calling instance. */
typedef struct mantle_caller mantle_caller;

/* A host function. args/results are typed per its signature. Return
 * MANTLE_OK, or an error status: the guest call then traps with
 * MANTLE_TRAP_HOST (message from mantle_caller_set_error, if set), or ends
 * with MANTLE_EEXIT after mantle_caller_exit(). Never longjmp out. */
typedef int (*mantle_host_fn)(mantle_caller *caller, void *env,
                              const mantle_val *args, mantle_val *results);

/* The exporting instance's memory named "memory", or its first, or NULL. */
mantle_memory *mantle_caller_memory(mantle_caller *caller);
mantle_instance *mantle_caller_instance(mantle_caller *caller);
/* Set the message of the trap the failing host call will raise (copies). */
void mantle_caller_set_error(mantle_caller *caller, const char *msg);
/* End the whole guest call with exit status `code`; return MANTLE_EEXIT
 * from the host function after calling this. */
int mantle_caller_exit(mantle_caller *caller, int code);

MANTLE_NODISCARD int mantle_linker_new(mantle_engine *engine,
                                       mantle_linker **out_linker);
void mantle_linker_free(mantle_linker *linker);
/* Define a host function under module/name (both copied). The type's
 * arrays are copied. `env` is passed back on every call; if `env_free` is
 * not NULL the linker calls it on env when freed. */
MANTLE_NODISCARD int mantle_linker_define_func(mantle_linker *linker,
                                               const char *module,
                                               const char *name,
                                               const mantle_functype *type,
                                               mantle_host_fn fn, void *env,
                                               void (*env_free)(void *));
/* Define every export of an instance under `module` (the instance must
 * outlive the linker's use of it). */
MANTLE_NODISCARD int mantle_linker_define_instance(mantle_linker *linker,
                                                   const char *module,
                                                   mantle_instance *instance);
MANTLE_NODISCARD int mantle_linker_define_memory(mantle_linker *linker,
                                                 const char *module,
                                                 const char *name,
                                                 mantle_memory *memory);
MANTLE_NODISCARD int mantle_linker_define_table(mantle_linker *linker,
                                                const char *module,
                                                const char *name,
                                                mantle_table *table);
MANTLE_NODISCARD int mantle_linker_define_global(mantle_linker *linker,
                                                 const char *module,
                                                 const char *name,
                                                 mantle_global *global);

/* Host-created memories, tables and globals (for linking); they are owned
 * by the engine's store and freed with mantle_*_free or the engine. The
 * table's and global's initial value is copied. */
MANTLE_NODISCARD int mantle_memory_new(mantle_engine *engine,
                                       mantle_limits pages,
                                       mantle_memory **out_memory);
void mantle_memory_free(mantle_memory *memory);
MANTLE_NODISCARD int mantle_table_new(mantle_engine *engine,
                                      mantle_valkind elem,
                                      mantle_limits limits,
                                      mantle_table **out_table);
void mantle_table_free(mantle_table *table);
MANTLE_NODISCARD int mantle_global_new(mantle_engine *engine,
                                       const mantle_val *value, bool mutable_,
                                       mantle_global **out_global);
void mantle_global_free(mantle_global *global);
mantle_val mantle_global_get(const mantle_global *global);
MANTLE_NODISCARD int mantle_global_set(mantle_global *global,
                                       const mantle_val *value);

/* ---- Instances and calls --------------------------------------------- */

/* Resolve imports through the linker, allocate, initialise segments and
 * run the start function. MANTLE_EUNLINKABLE names the import;
 * MANTLE_ETRAP reports a segment out of bounds or a trap in start. */
MANTLE_NODISCARD int mantle_instance_new(mantle_linker *linker,
                                         mantle_module *module,
                                         mantle_instance **out_instance,
                                         mantle_diag *diag);
void mantle_instance_free(mantle_instance *instance);
mantle_module *mantle_instance_module(mantle_instance *instance);

/* Exports by name; MANTLE_ENOTFOUND if absent or of another kind. */
MANTLE_NODISCARD int mantle_instance_func(mantle_instance *instance,
                                          const char *name,
                                          mantle_func **out_func);
MANTLE_NODISCARD int mantle_instance_memory(mantle_instance *instance,
                                            const char *name,
                                            mantle_memory **out_memory);
MANTLE_NODISCARD int mantle_instance_table(mantle_instance *instance,
                                           const char *name,
                                           mantle_table **out_table);
MANTLE_NODISCARD int mantle_instance_global(mantle_instance *instance,
                                            const char *name,
                                            mantle_global **out_global);

/* Any export, by name bytes: Wasm names may contain U+0000, which the
 * C-string lookups above cannot express. */
typedef struct mantle_extern {
    mantle_externkind kind;
    union {
        mantle_func *func;
        mantle_table *table;
        mantle_memory *memory;
        mantle_global *global;
    } of;
} mantle_extern;
MANTLE_NODISCARD int mantle_instance_export(mantle_instance *instance,
                                            const char *name, size_t name_len,
                                            mantle_extern *out_extern);

/* The signature of a function (borrowed, lives as long as the function). */
void mantle_func_type(const mantle_func *func, mantle_functype *out_type);

/* Call a function with args typed per its signature; results receives
 * nresults values. MANTLE_ETYPE if the arguments do not match;
 * MANTLE_ETRAP with diag->trap, message and backtrace; MANTLE_EEXIT
 * with diag->exit_code. The calling thread's instance is the function's. */
MANTLE_NODISCARD int mantle_func_call(mantle_func *func,
                                      const mantle_val *args, size_t nargs,
                                      mantle_val *results, size_t nresults,
                                      mantle_diag *diag);

/* ---- Memory ---------------------------------------------------------- */

/* Current size in bytes. */
uint64_t mantle_memory_size(const mantle_memory *memory);
/* Bounds-checked copies; MANTLE_EBOUNDS if [offset, offset+len) is not
 * wholly inside the memory (nothing is copied then). */
MANTLE_NODISCARD int mantle_memory_read(const mantle_memory *memory,
                                        uint64_t offset, void *out_buf,
                                        size_t len);
MANTLE_NODISCARD int mantle_memory_write(mantle_memory *memory,
                                         uint64_t offset, const void *buf,
                                         size_t len);
/* A direct pointer to [offset, offset+len), or NULL if out of bounds. Valid
 * until the memory grows or the guest runs again. Little-endian data. */
void *mantle_memory_data(mantle_memory *memory, uint64_t offset, size_t len);
/* Grow by delta pages; out_old_pages (may be NULL) gets the old size.
 * MANTLE_ELIMIT if the maximum would be exceeded. */
MANTLE_NODISCARD int mantle_memory_grow(mantle_memory *memory,
                                        uint32_t delta_pages,
                                        uint32_t *out_old_pages);

/* ---- Tables ---------------------------------------------------------- */

uint32_t mantle_table_size(const mantle_table *table);
MANTLE_NODISCARD int mantle_table_get(const mantle_table *table,
                                      uint32_t index, mantle_val *out_val);

/* ---- Fuel and interruption ------------------------------------------- */

/* Limit execution to about `fuel` Wasm instructions (charged on loop
 * back-edges and calls); when spent, the call traps "out of fuel".
 * UINT64_MAX (the default) means unlimited. */
void mantle_instance_set_fuel(mantle_instance *instance, uint64_t fuel);
/* Fuel left (UINT64_MAX when unlimited). */
uint64_t mantle_instance_fuel(const mantle_instance *instance);
/* Ask a running call to stop: it traps "interrupted" at the next loop
 * back-edge or call (native code: where it is, through a signal to the
 * thread that runs it; docs/aot.md). Safe from any thread or a signal
 * handler. The flag stays set until mantle_instance_clear_interrupt(). */
void mantle_instance_interrupt(mantle_instance *instance);
void mantle_instance_clear_interrupt(mantle_instance *instance);

/* Format a diag's backtrace into buf, one frame a line, using function
 * names from the module's name section where present. Returns the length
 * it wanted, like snprintf. */
size_t mantle_diag_backtrace(const mantle_diag *diag,
                             const mantle_module *module, char *buf,
                             size_t size);

/* ---- WASI preview1 ---------------------------------------------------- */

/* A WASI preview1 context: arguments, environment, stdio, preopened
 * directories and sockets, and a per-instance table of descriptors. The
 * guest sees only small integers; host descriptors never reach it. Path
 * resolution can never leave a preopened directory: "..", absolute paths
 * and symlinks that would lead out fail with ENOTCAPABLE. A context serves
 * one instance (one thread) at a time and must outlive the instances
 * linked against it. */
typedef struct mantle_wasi mantle_wasi;

typedef struct mantle_wasi_preopen {
    const char *host_path;   /* a host directory, opened by mantle_wasi_new */
    const char *guest_path;  /* the name the guest sees ("/data", "."); NULL:
                                host_path */
    bool read_only;          /* no rights that create, change or remove */
    bool sealed;             /* a sealed directory (docs/sealfs.md): every
                                operation is EIO until
                                mantle_tee_mount_sealed mounts it */
} mantle_wasi_preopen;

typedef struct mantle_wasi_config {
    mantle_allocator allocator;        /* .realloc NULL: the C library's */
    const char *const *argv;           /* argv[0] is the program's name */
    size_t argc;
    const char *const *envp;           /* "KEY=VALUE" strings */
    size_t envc;
    const mantle_wasi_preopen *preopens;  /* guest fds 3, 4, ... in order */
    size_t npreopens;
    /* Host descriptors for guest fds 0, 1, 2 (borrowed, never closed); -1:
     * the guest fd is absent. mantle_wasi_config_init sets 0, 1, 2. */
    int stdin_fd, stdout_fd, stderr_fd;
    /* Listening stream sockets (borrowed) for sock_accept; they follow the
     * preopened directories in the guest's numbering. */
    const int *listen_fds;
    size_t nlisten;
} mantle_wasi_config;

/* Defaults: no arguments, environment or preopens; stdio 0, 1, 2. */
void mantle_wasi_config_init(mantle_wasi_config *cfg);
/* Copy cfg's strings and open its preopened directories. MANTLE_EIO names
 * a directory that cannot be opened in diag->message; MANTLE_EINVAL for a
 * malformed config; MANTLE_ENOMEM. */
MANTLE_NODISCARD int mantle_wasi_new(const mantle_wasi_config *cfg,
                                     mantle_wasi **out_wasi,
                                     mantle_diag *diag);
/* Define every wasi_snapshot_preview1 function in the linker. Each returns
 * a preview1 errno to the guest (a bad guest pointer is EFAULT, never a
 * trap); proc_exit ends the call with MANTLE_EEXIT. The linker borrows
 * wasi. */
MANTLE_NODISCARD int mantle_wasi_define(mantle_wasi *wasi,
                                        mantle_linker *linker);
/* The code the guest passed to proc_exit, or -1 if it has not exited. */
int mantle_wasi_exit_code(const mantle_wasi *wasi);
/* Close every descriptor the context opened (borrowed ones stay open). */
void mantle_wasi_free(mantle_wasi *wasi);

/* ---- TEE: measured launch, evidence, sealing, secrets ---------------- */

/* A TEE backend: the node's root of trust (docs/tee.md). Keys form DICE
 * layers: the backend's root, then the runtime, then each module under its
 * launch configuration; each module gets its own attestation and sealing
 * key, shared by no other module or configuration. A handle serves one
 * thread at a time and must outlive the linkers it defined services on. */
typedef struct mantle_tee mantle_tee;

/* Open a backend. name: "soft", "tpm", "tsm" or "auto", optionally with an
 * argument after a colon: "tpm:TCTI" (a tpm2-tss TCTI string such as
 * "swtpm:host=127.0.0.1,port=2321"; default: the device), "tsm:DIR" (the
 * configfs-tsm report directory). "auto" probes tsm then tpm and never
 * falls back to soft: MANTLE_ENOTEE when no hardware TEE is present.
 * "soft" is a software root for development: its evidence says debug and
 * no isolation. state_dir (copied; created 0700 when missing) keeps the
 * soft device secret, the TPM-sealed root and counters. MANTLE_ENOTEE when
 * the backend is absent or fails (diag says why), MANTLE_EAUTH when the
 * TPM refuses the sealed root (the PCRs it is bound to changed). */
MANTLE_NODISCARD int mantle_tee_open(const char *name, const char *state_dir,
                                     mantle_tee **out_tee, mantle_diag *diag);
void mantle_tee_free(mantle_tee *tee);
/* The evidence's TEE kind: "soft", "tpm", "sev-snp", "tdx" or "cca". */
const char *mantle_tee_backend(const mantle_tee *tee);
/* True when guest memory is not isolated from the host (soft, tpm). */
bool mantle_tee_debug(const mantle_tee *tee);

/* A secret the guest may read by name (mantle_tee_define copies it). */
typedef struct mantle_tee_secret {
    const char *name;
    const uint8_t *value;
    size_t size;
} mantle_tee_secret;

/* How a module is launched. The measured part (its SHA-256 is the launch
 * configuration digest) is what the guest is granted, in order: each
 * preopen's guest path and read-only flag (host paths are not measured),
 * the environment strings, and other grants ("listen:ADDR:PORT"). Secrets
 * are not measured. All borrowed. */
typedef struct mantle_tee_launch {
    const mantle_wasi_preopen *preopens;
    size_t npreopens;
    const char *const *envp;
    size_t envc;
    const char *const *grants;
    size_t ngrants;
    const mantle_tee_secret *secrets;
    size_t nsecrets;
} mantle_tee_launch;

/* Define the guest services (module "mantle", sdk/include/mantle/tee.h) for
 * `module` under `launch` in the linker, and extend the backend's
 * measurement register with the launch where it has one. The module's keys
 * are derived now; secrets are copied. Each service returns a WASI errno
 * to the guest (EFAULT for a bad pointer), never traps. */
MANTLE_NODISCARD int mantle_tee_define(mantle_tee *tee,
                                       const mantle_module *module,
                                       const mantle_tee_launch *launch,
                                       mantle_linker *linker,
                                       mantle_diag *diag);
/* Evidence for `module` under `launch` binding 64 bytes of caller data:
 * an RFC 9711 EAT in CBOR, COSE_Sign1 by the module's attestation key, with
 * the DICE chain and the platform's own evidence (docs/tee.md). The token
 * is the caller's, freed with mantle_tee_evidence_free. */
MANTLE_NODISCARD int mantle_tee_evidence(mantle_tee *tee,
                                         const mantle_module *module,
                                         const mantle_tee_launch *launch,
                                         const uint8_t nonce[64],
                                         uint8_t **out_evidence,
                                         size_t *out_size, mantle_diag *diag);
void mantle_tee_evidence_free(uint8_t *evidence);
/* The backend's DICE layer-0 public key (Ed25519, 32 bytes): the root a
 * verifier trusts for evidence without platform evidence (soft). */
MANTLE_NODISCARD int mantle_tee_root_key(mantle_tee *tee, uint8_t out_pub[32],
                                         mantle_diag *diag);
/* Mount the sealed preopens of `wasi` (launch->preopens must be the
 * preopens wasi was made with): each file's data is encrypted and
 * authenticated under keys derived from `module`'s sealing key, and the
 * directory's version is bound to the backend's monotonic counter through
 * a version table in the state directory (docs/sealfs.md). An empty host
 * directory becomes a new sealed directory. MANTLE_EAUTH when a directory
 * fails authentication or was rolled back (diag names it and says why):
 * that preopen then answers every guest operation with EIO, the others are
 * mounted. Call once, before the instance runs. */
/* The cache of decrypted pages of each directory mounted by later calls of
 * mantle_tee_mount_sealed (default 1/64 of physical memory within 8-256
 * MiB, committed only as pages are used; at least 1 MiB): memory for
 * speed when files are read again (docs/sealfs.md). MANTLE_EINVAL below 1
 * MiB or above 4 GiB. */
MANTLE_NODISCARD int mantle_tee_sealed_cache(mantle_tee *tee, size_t bytes);
MANTLE_NODISCARD int mantle_tee_mount_sealed(mantle_tee *tee,
                                             const mantle_module *module,
                                             const mantle_tee_launch *launch,
                                             mantle_wasi *wasi,
                                             mantle_diag *diag);
/* True when the backend's monotonic counter is hardware (a TPM NV
 * counter); false when it is a file in the state directory. */
bool mantle_tee_counter_hardware(const mantle_tee *tee);
/* Read (increment false) or increment and read the node's monotonic
 * counter; it never goes down. It shares one table with the guests'
 * counters (module "mantle", tee_counter), anchored in the backend's
 * counter: MANTLE_EAUTH when that table was rolled back or forged,
 * MANTLE_ENOTEE without a counter (tsm) or when the root is refused. */
MANTLE_NODISCARD int mantle_tee_counter(mantle_tee *tee, bool increment,
                                        uint64_t *out_value,
                                        mantle_diag *diag);

/* ---- Attestation: verifying evidence, policy appraisal --------------- */

/* Verifiers are pure: they take the evidence, the certificates, trust
 * anchors and collateral as bytes and the verification time as a number,
 * and do no I/O and read no clock. Nothing here needs an engine. */

typedef enum mantle_tee_kind {
    MANTLE_TEE_NONE = 0,
    MANTLE_TEE_SNP,     /* AMD SEV-SNP attestation report (VCEK or VLEK) */
    MANTLE_TEE_TDX,     /* Intel TDX DCAP quote, v4 or v5 */
    MANTLE_TEE_SGX,     /* Intel SGX DCAP ECDSA quote, v3 */
    MANTLE_TEE_CCA,     /* Arm CCA token (platform + realm COSE_Sign1) */
    MANTLE_TEE_TPM,     /* TPM 2.0 quote (TPMS_ATTEST + AK signature) */
    MANTLE_TEE_MANTLE,  /* Mantle's own EAT/DICE evidence */
    MANTLE_TEE__COUNT
} mantle_tee_kind;

/* "snp", "tdx", ...; mantle_tee_parse is its inverse (MANTLE_EINVAL). */
const char *mantle_tee_name(mantle_tee_kind kind);
MANTLE_NODISCARD int mantle_tee_parse(const char *name,
                                      mantle_tee_kind *out_kind);

/* Why evidence (or a policy) was refused; one meaning each. */
typedef enum mantle_verify_reason {
    MANTLE_VERIFY_OK = 0,
    MANTLE_VERIFY_TRUNCATED,     /* shorter than its layout or a length field */
    MANTLE_VERIFY_MALFORMED,     /* bad magic, CBOR, JSON, base64, PEM, ... */
    MANTLE_VERIFY_UNSUPPORTED,   /* version, key type or algorithm unknown */
    MANTLE_VERIFY_MISSING,       /* a certificate, key or root was not given */
    MANTLE_VERIFY_SIGNATURE,     /* a signature over the evidence fails */
    MANTLE_VERIFY_CHAIN,         /* no valid chain to the trusted root */
    MANTLE_VERIFY_EXPIRED,       /* a certificate is not valid at the time */
    MANTLE_VERIFY_REVOKED,       /* a certificate is on a CRL */
    MANTLE_VERIFY_CRL,           /* a CRL is stale, missing or unsigned */
    MANTLE_VERIFY_BINDING,       /* keys or values not bound as required */
    MANTLE_VERIFY_REPORT_DATA,   /* report data differs from the expected */
    MANTLE_VERIFY_COLLATERAL_SIGNATURE, /* TCB info / identity signature */
    MANTLE_VERIFY_COLLATERAL_EXPIRED,   /* collateral outside its dates */
    MANTLE_VERIFY_COLLATERAL_MISMATCH,  /* for another platform or enclave */
    MANTLE_VERIFY_TCB,           /* TCB not supported (no level) or revoked */
    MANTLE_VERIFY_POLICY_TEE,    /* policy: TEE kind not allowed */
    MANTLE_VERIFY_POLICY_DEBUG,  /* policy: debug evidence not allowed */
    MANTLE_VERIFY_POLICY_MEASUREMENT, /* policy: measurement not allowed */
    MANTLE_VERIFY_POLICY_MODULE, /* policy: module digest not allowed */
    MANTLE_VERIFY_POLICY_TCB,    /* policy: SVN below minimum, TCB status */
    MANTLE_VERIFY__COUNT
} mantle_verify_reason;

/* "signature", "chain", "expired", "policy: debug", ...; never NULL. */
const char *mantle_verify_reason_name(mantle_verify_reason reason);

/* TCB status from Intel collateral (MANTLE_TCB_UNKNOWN: not evaluated). */
typedef enum mantle_tcb_status {
    MANTLE_TCB_UNKNOWN = 0,
    MANTLE_TCB_UP_TO_DATE,
    MANTLE_TCB_SW_HARDENING_NEEDED,
    MANTLE_TCB_CONFIGURATION_NEEDED,
    MANTLE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    MANTLE_TCB_OUT_OF_DATE,
    MANTLE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    MANTLE_TCB_REVOKED,
} mantle_tcb_status;

/* Intel's spelling: "UpToDate", "OutOfDate", ...; "Unknown". */
const char *mantle_tcb_status_name(mantle_tcb_status status);

/* Bytes borrowed from the caller; `name` (a file name, may be NULL) is
 * only used in messages. */
typedef struct mantle_blob {
    const uint8_t *data;
    size_t len;
    const char *name;
} mantle_blob;

typedef struct mantle_verify_input {
    mantle_tee_kind format;
    mantle_blob evidence;
    /* snp: the VCEK or VLEK, then the ASK/ASVK + ARK chain. tdx, sgx: the
     * PCK certificate and its chain when the quote does not carry them.
     * tpm: the attestation key (public key or certificate) to verify with
     * instead of the one in the evidence. PEM (several) or DER. */
    const mantle_blob *certs;
    size_t ncerts;
    /* The trust anchor. snp: AMD ARK; tdx, sgx: Intel SGX Root CA; cca:
     * the CPAK (JWK, a Veraison tastore array, or PEM). Empty (data NULL):
     * snp and tdx/sgx accept only the genuine AMD and Intel roots (pinned
     * by fingerprint); cca, mantle need one. */
    mantle_blob root;
    /* tdx, sgx: TCB info and QE identity JSON, their signing chain, CRLs;
     * snp: ARK CRLs (checked against the ASK). Classified by content;
     * unrelated blobs are ignored. With TCB info the TCB is evaluated;
     * with CRLs every certificate of the chain is checked. */
    const mantle_blob *collateral;
    size_t ncollateral;
    int64_t time;                 /* verification time, Unix seconds UTC */
    const uint8_t *report_data;   /* expected report data prefix, or NULL */
    size_t report_data_len;
} mantle_verify_input;

#define MANTLE_CLAIMS_MAX_MEASUREMENTS 16

typedef struct mantle_measurement {
    char name[16];          /* "mrtd", "rtmr0", "host_data", "rak", ... */
    uint32_t len;
    uint8_t value[64];
} mantle_measurement;

/* The common view of verified evidence. */
typedef struct mantle_claims {
    mantle_tee_kind tee;
    uint32_t version;           /* the evidence format's version */
    /* The launch measurement a policy pins: snp MEASUREMENT, tdx MRTD, sgx
     * MRENCLAVE, cca realm initial measurement, tpm PCR digest, mantle the
     * runtime measurement. */
    uint32_t measurement_len;
    uint8_t measurement[64];
    uint32_t report_data_len;   /* the caller-chosen data (nonce, key hash) */
    uint8_t report_data[64];
    bool debug;                 /* debug VM/TD/enclave, or development key */
    uint32_t svn;               /* guest SVN, ISVSVN, ... (0 if none) */
    /* Security version numbers, one byte per component: snp REPORTED_TCB
     * bytes, tdx TEE_TCB_SVN, sgx CPUSVN; tcb_len 0 if none. */
    uint32_t tcb_len;
    uint8_t tcb[16];
    mantle_tcb_status tcb_status;
    bool has_module_digest;     /* mantle: SHA-256 of the module's bytes */
    uint8_t module_digest[32];
    uint32_t nmeasurements;     /* every other measurement, by name */
    mantle_measurement measurements[MANTLE_CLAIMS_MAX_MEASUREMENTS];
    int64_t issued_at;          /* mantle: the EAT's iat (Unix s); 0 if none */
} mantle_claims;

/* Verify evidence at in->time. MANTLE_OK: *out_claims filled. Otherwise
 * *out_claims is untouched; MANTLE_EREFUSED with *out_reason (may be NULL)
 * and diag->message saying what failed and why; MANTLE_EINVAL for a bad
 * input (unknown format, NULL evidence); MANTLE_ENOMEM. */
MANTLE_NODISCARD int mantle_verify(const mantle_verify_input *in,
                                   mantle_claims *out_claims,
                                   mantle_verify_reason *out_reason,
                                   mantle_diag *diag);

/* RFC 3339 time ("2025-06-01T00:00:00Z") to Unix seconds; MANTLE_EINVAL. */
MANTLE_NODISCARD int mantle_time_parse(const char *text, int64_t *out_time);

/* A policy: JSON reference values:
 *   {"id": "...", "tee": ["snp", "tdx"], "debug": false,
 *    "measurements": ["<hex>", ...], "module_digests": ["<hex>", ...],
 *    "min_svn": N, "min_tcb": {"snp": [b0, b1, ...], ...},
 *    "tcb_status": ["UpToDate", ...], "report_data": "<hex>"}
 * Absent keys accept anything, except "debug" (absent: refused) and
 * "tcb_status" (absent: UpToDate and Unknown). */
typedef struct mantle_policy mantle_policy;

/* Parse policy JSON (copied). MANTLE_EINVAL with diag->message naming the
 * key at fault; MANTLE_ENOMEM. */
MANTLE_NODISCARD int mantle_policy_new(const char *json, size_t len,
                                       mantle_policy **out_policy,
                                       mantle_diag *diag);
void mantle_policy_free(mantle_policy *policy);

/* EAR (draft-ietf-rats-ear) status tiers: one per claim and overall. */
typedef enum mantle_ear_status {
    MANTLE_EAR_NONE = 0,
    MANTLE_EAR_AFFIRMING = 2,
    MANTLE_EAR_WARNING = 32,
    MANTLE_EAR_CONTRAINDICATED = 96,
} mantle_ear_status;

#define MANTLE_APPRAISAL_MAX_CHECKS 8

typedef struct mantle_appraisal_check {
    const char *claim;         /* "tee", "debug", "measurement", ... */
    mantle_ear_status status;  /* NONE: the policy did not constrain it */
    char detail[128];
} mantle_appraisal_check;

/* An attestation result: per-claim status and the overall verdict (the
 * worst status); reason is the first refusal, MANTLE_VERIFY_OK if none. */
typedef struct mantle_appraisal {
    mantle_ear_status verdict;
    mantle_verify_reason reason;
    char policy_id[64];
    uint32_t nchecks;
    mantle_appraisal_check checks[MANTLE_APPRAISAL_MAX_CHECKS];
} mantle_appraisal;

/* Appraise verified claims against a policy; always fills *out. */
void mantle_policy_appraise(const mantle_policy *policy,
                            const mantle_claims *claims,
                            mantle_appraisal *out);

/* Sign the result as an EAR JWT (ES256/ES384 by the EC key's curve; key in
 * PEM, borrowed) issued at `iat`, into out (cap bytes, NUL-terminated).
 * MANTLE_ELIMIT if cap is too small; MANTLE_EINVAL for an unusable key. */
MANTLE_NODISCARD int mantle_ear_sign(const mantle_claims *claims,
                                     const mantle_appraisal *appraisal,
                                     int64_t iat, const uint8_t *key_pem,
                                     size_t key_len, char *out, size_t cap,
                                     mantle_diag *diag);
/* Check an EAR JWT's signature with the public key (PEM) and copy its JSON
 * payload into out (cap bytes, NUL-terminated). MANTLE_EREFUSED if the
 * signature or form is wrong (out untouched); MANTLE_ELIMIT; EINVAL. */
MANTLE_NODISCARD int mantle_ear_verify(const char *jwt, size_t len,
                                       const uint8_t *pub_pem,
                                       size_t pub_len, char *out, size_t cap,
                                       mantle_diag *diag);

/* ---- Key broker: secrets released after attestation (docs/attest.md) -- */

/* The broker side of the Confidential Containers KBS protocol (RCAR,
 * version 0.4.0) over Mantle's own evidence. State in a SQLite database:
 * resources with their policies, sessions, the audit log. */
typedef struct mantle_broker mantle_broker;

/* Open (creating) the database at db_path. root: the DICE root key that
 * evidence must chain to (PEM, DER or COSE_Key; copied; NULL with length 0
 * for administration, or when only hardware-backed evidence is to be
 * accepted, with mantle_broker_set_evidence_inputs). policy_json (may
 * be NULL): checked at every attestation, before any resource policy.
 * MANTLE_EIO for the database, MANTLE_EINVAL for a bad policy. */
MANTLE_NODISCARD int mantle_broker_open(const char *db_path,
                                        const uint8_t *root, size_t root_len,
                                        const char *policy_json,
                                        size_t policy_len,
                                        mantle_broker **out_broker,
                                        mantle_diag *diag);
void mantle_broker_free(mantle_broker *broker);
/* The verifier inputs for platform evidence under Mantle evidence, as
 * mantle_verify_input's certs and collateral (a TPM's trusted attestation
 * key, an SNP VCEK chain, TDX collateral); copied, replacing earlier ones. */
MANTLE_NODISCARD int mantle_broker_set_evidence_inputs(
    mantle_broker *broker, const mantle_blob *certs, size_t ncerts,
    const mantle_blob *collateral, size_t ncollateral, mantle_diag *diag);
/* Store (or replace) resource "REPO/TYPE/TAG" with the policy a session's
 * verified claims must satisfy to receive it. */
MANTLE_NODISCARD int mantle_broker_put(mantle_broker *broker,
                                       const char *resource,
                                       const uint8_t *value, size_t len,
                                       const char *policy_json,
                                       size_t policy_len, mantle_diag *diag);

/* One HTTP reply: status, JSON body (malloc'd), and a Set-Cookie value
 * ("" for none). */
typedef struct mantle_broker_reply {
    int status;
    char *body;
    char cookie[64];
} mantle_broker_reply;

/* Answer one request (path without query; cookie and authorization are the
 * request's Cookie and Authorization headers, or NULL) at time `now`.
 * Always fills *out; free it with mantle_broker_reply_free. */
void mantle_broker_handle(mantle_broker *broker, const char *method,
                          const char *path, const char *cookie,
                          const char *authorization, const uint8_t *body,
                          size_t len, int64_t now, mantle_broker_reply *out);
void mantle_broker_reply_free(mantle_broker_reply *reply);
/* Call each(ctx, line) for every audit record, oldest first: "TIME SESSION
 * OP RESOURCE VERDICT REASON"; stop when it returns non-zero. */
MANTLE_NODISCARD int mantle_broker_audit(mantle_broker *broker,
                                         int (*each)(void *ctx,
                                                     const char *line),
                                         void *ctx);

/* The workload side: an ephemeral P-256 key the broker encrypts to. */
typedef struct mantle_kbs_client mantle_kbs_client;
MANTLE_NODISCARD int mantle_kbs_client_new(mantle_kbs_client **out_client,
                                           mantle_diag *diag);
void mantle_kbs_client_free(mantle_kbs_client *client);
/* The body of POST /kbs/v0/auth (static). */
const char *mantle_kbs_auth_request(void);
/* From the broker's challenge, the 64 bytes of report data the evidence
 * must bind (SHA-512 of the runtime data: nonce and our key). */
MANTLE_NODISCARD int mantle_kbs_client_challenge(mantle_kbs_client *client,
                                                 const char *challenge,
                                                 size_t len,
                                                 uint8_t out_report_data[64],
                                                 mantle_diag *diag);
/* The body of POST /kbs/v0/attest carrying the evidence (malloc'd). */
MANTLE_NODISCARD int mantle_kbs_client_attestation(mantle_kbs_client *client,
                                                   const uint8_t *evidence,
                                                   size_t len,
                                                   char **out_json,
                                                   mantle_diag *diag);
/* Trustee mode: attest to a Trustee KBS as its own attesters do, with the
 * platform's evidence in Trustee's encoding (KBS 0.4.0 composite evidence)
 * instead of Mantle's EAT: the tsm backend's SEV-SNP report ("snp") or TDX
 * quote ("tdx"); the soft backend's "sample" (no hardware and no signature:
 * for development against a KBS that accepts it). The module's identity
 * is then not in the evidence. MANTLE_ENOTEE for other backends. */
MANTLE_NODISCARD int mantle_kbs_client_trustee(mantle_kbs_client *client,
                                               mantle_tee *tee,
                                               mantle_diag *diag);
/* The body of POST /kbs/v0/auth for this client (owned by it). */
const char *mantle_kbs_client_auth_request(const mantle_kbs_client *client);
/* Trustee mode, after the challenge: the body of POST /kbs/v0/attest with
 * the platform's evidence bound to it (malloc'd). */
MANTLE_NODISCARD int mantle_kbs_client_trustee_attestation(
    mantle_kbs_client *client, char **out_json, mantle_diag *diag);
/* Decrypt a resource reply (JWE); the plaintext is malloc'd.
 * MANTLE_EREFUSED if it is not for our key. */
MANTLE_NODISCARD int mantle_kbs_client_open(mantle_kbs_client *client,
                                            const char *jwe, size_t len,
                                            uint8_t **out, size_t *out_len,
                                            mantle_diag *diag);

/* ---- Attested TLS (docs/attest.md) ---------------------------------------- */

/* A self-signed certificate for a fresh P-256 key carrying evidence for
 * `module` under `launch` whose nonce is SHA-512 of the key's
 * SubjectPublicKeyInfo, in extension 2.23.133.5.4.9 (a CBOR CMW record).
 * Both PEM strings are malloc'd (free()). */
MANTLE_NODISCARD int mantle_ratls_certificate(mantle_tee *tee,
                                              const mantle_module *module,
                                              const mantle_tee_launch *launch,
                                              char **out_cert_pem,
                                              char **out_key_pem,
                                              mantle_diag *diag);
/* Verify such a certificate (DER or PEM) at `time`: the evidence in it,
 * chained to root (as for mantle_verify), must bind the certificate's
 * key. MANTLE_OK with the claims, else MANTLE_EREFUSED with the reason. */
MANTLE_NODISCARD int mantle_ratls_verify(const uint8_t *cert, size_t len,
                                         const mantle_blob *root,
                                         int64_t time,
                                         mantle_claims *out_claims,
                                         mantle_verify_reason *out_reason,
                                         mantle_diag *diag);
/* Freshness (docs/attest.md): a certificate made for one connection, its
 * evidence's nonce SHA-512(SubjectPublicKeyInfo || nonce) for the
 * verifier's nonce (8 to 64 bytes) from the TLS ClientHello. */
MANTLE_NODISCARD int mantle_ratls_certificate_fresh(
    mantle_tee *tee, const mantle_module *module,
    const mantle_tee_launch *launch, const uint8_t *nonce, size_t nonce_len,
    char **out_cert_pem, char **out_key_pem, mantle_diag *diag);
/* mantle_ratls_verify with freshness: the evidence must bind `nonce` (as
 * above; NULL: the key alone) and, max_age > 0, be at most max_age seconds
 * old at `time` (MANTLE_VERIFY_EXPIRED). Both check the certificate's
 * validity window against `time`. */
MANTLE_NODISCARD int mantle_ratls_verify_fresh(
    const uint8_t *cert, size_t len, const mantle_blob *root, int64_t time,
    const uint8_t *nonce, size_t nonce_len, int64_t max_age,
    mantle_claims *out_claims, mantle_verify_reason *out_reason,
    mantle_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
