/* vm.h - runtime structures shared by instances, the lowering pass and the
 * interpreter.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: engine and module - runtime objects (func, memory, table, global) -
 *      instance - lowered code - execution context - internal API
 */
#ifndef MANTLE_VM_H
#define MANTLE_VM_H

#include <setjmp.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "config.h" /* MANTLE_ENABLE_COMPUTED_GOTO (vm_op_cell) */
#include "mantle.h"
#include "module.h"
#include "platform/os.h"

#define VM_PAGE_SIZE 65536u

/* On 64-bit hosts every linear memory reserves at least this much address
 * space (untouched, PROT_NONE): a u32 address plus a u32 static offset plus
 * an 8-byte access stays inside it, so AOT code can leave bounds to the
 * guard region and the fault handler (docs/aot.md). The interpreter keeps
 * its explicit checks. */
#if UINTPTR_MAX > 0xFFFFFFFFu
#define VM_GUARD_RESERVE (((uint64_t)8 << 30) + VM_PAGE_SIZE)
#else
#define VM_GUARD_RESERVE 0
#endif

/* ---- Engine and module ------------------------------------------------ */

struct mantle_engine {
    mantle_config cfg;       /* defaults filled in */
    mantle_allocator alloc;
    /* Instances whose instantiation trapped after segments began to be
     * written: their functions may sit in imported tables (spec 2.0 keeps
     * partial initialisation), so they live until the engine is freed. */
    mantle_instance *zombies;
};

typedef struct vm_code vm_code;

struct mantle_module {
    mantle_engine *engine;
    wasm_module *wasm;
    char *name;                  /* for diagnostics; never NULL */
    uint32_t refs;               /* instances keep their module alive */
    vm_code **code;              /* per defined function, lowered lazily */
    mantle_valkind *kinds;       /* every type's value kinds, for the API */
    mantle_functype *functypes;  /* per type index, arrays into `kinds` */
    struct vm_aot_code *aot;     /* native code (src/aot/), or NULL */
};

/* ---- Runtime objects ------------------------------------------------- */

/* A function instance: either Wasm code of an instance, or a host
 * function. Function references (funcref values, table elements) are
 * pointers to these. */
struct mantle_func {
    const wasm_functype *type;
    mantle_instance *inst;   /* owning instance (Wasm functions) */
    uint32_t index;          /* function index within inst's module */
    vm_code *code;           /* lowered code, NULL until first call */
    /* AOT code (src/aot/; aot_rt.h mirrors the fields up to here): */
    void *aot_fn;            /* typed native entry, or NULL */
    void (*aot_tramp)(mantle_instance *, uint64_t *); /* slot-form entry */
    /* Host functions: */
    mantle_host_fn host;
    void *env;
    void (*env_free)(void *);
    mantle_functype api_type;     /* host: the kinds, owned */
    wasm_functype own_type;       /* host: the wasm types, owned */
    uint32_t refs;
};

/* Linear memory. `base` never moves while reserved space suffices; the
 * interpreter reloads base and size after every call and memory.grow. */
struct mantle_memory {
    mantle_engine *engine;
    uint8_t *base;
    uint64_t size;        /* bytes, a multiple of VM_PAGE_SIZE */
    uint64_t reserved;    /* bytes of address space reserved at base */
    uint32_t max_pages;   /* effective maximum (declared, capped by config) */
    bool has_max;
    uint32_t decl_max;    /* declared maximum, for import type checks */
    uint32_t refs;
};

struct mantle_table {
    mantle_engine *engine;
    uint8_t elemtype;     /* VT_FUNCREF or VT_EXTERNREF */
    uint32_t size;
    uint32_t cap;
    uint32_t max;         /* effective maximum */
    bool has_max;
    uint32_t decl_max;
    void **elems;         /* mantle_func* or externref pointers */
    uint32_t refs;
};

struct mantle_global {
    mantle_engine *engine;
    uint8_t type;
    bool mut;
    uint64_t value[2];    /* one slot; two for v128 */
    uint32_t refs;
};

/* ---- Instance -------------------------------------------------------- */

struct mantle_instance {
    mantle_engine *engine;
    mantle_module *module;
    const wasm_module *wasm;
    mantle_func **funcs;        /* nfuncs; imports point to foreign funcs */
    mantle_func *own_funcs;     /* the module's defined functions */
    mantle_table **tables;
    mantle_memory **memories;
    mantle_global **globals;
    uint64_t **global_slots;    /* &globals[i]->value[0], for the interpreter */
    /* Run state of AOT code (src/aot/aot_rt.h mirrors the fields up to
     * here; src/aot/aot_call.c sets them when native code is entered). */
    const struct aot_api *aot_api;
    const wasm_functype *aot_types;
    int64_t aot_fuel;
    volatile uint32_t *aot_interrupt;
    uint32_t aot_depth;
    uint32_t aot_max_depth;
    uintptr_t aot_stack_limit;
    uint8_t *aot_mem0;          /* memory 0's base when it never moves
                                 * (guard regions), set at binding */
    bool *elem_dropped;
    bool *data_dropped;
    uint64_t fuel;              /* UINT64_MAX: unlimited */
    volatile uint32_t interrupt;
    long aot_thread;            /* thread running native code for a call
                                 * that began here (os_thread_id), or 0:
                                 * mantle_instance_interrupt signals it */
    struct vm_exec *exec;       /* stacks, created on first call */
    mantle_instance *next_zombie;
};

/* ---- Lowered code (the interpreter's format, see docs/interpreter.md) -- */

typedef uint32_t vm_cell;

/* Map from a code position to the Wasm byte offset it came from. */
typedef struct vm_pcmap {
    uint32_t pc;
    uint32_t offset;
} vm_pcmap;

/* Function entry copies the template (vm_code.init) in chunks of this
 * many slots; templates and frames are padded to whole chunks. */
#define VM_INIT_CHUNK 8u

struct vm_code {
    vm_cell *cells;
    uint32_t ncells;
    uint32_t nparams;
    uint32_t nresults;
    uint32_t locals_start;   /* slot of the first declared local */
    uint32_t nlocal_slots;   /* declared locals (zeroed at entry) */
    uint32_t consts_start;   /* slot of the first constant */
    uint32_t nconsts;
    uint64_t *consts;        /* points into init */
    /* What entry writes at locals_start: zeros for the locals and if-save
     * slots, then the constants; ninit slots, one copy. */
    uint64_t *init;          /* padded to whole VM_INIT_CHUNKs */
    uint32_t ninit;
    uint32_t frame_slots;    /* slots the frame needs, temps included */
    uint32_t entry_cost;     /* fuel charged on entry */
    vm_pcmap *pcmap;
    uint32_t npcmap;
    uint32_t func_index;
};

/* ---- Execution context ----------------------------------------------- */

typedef struct vm_frame {
    const vm_cell *pc;       /* where to continue in the caller */
    uint64_t *fp;
    vm_code *code;
    mantle_instance *inst;
} vm_frame;

typedef struct vm_exec {
    uint64_t *stack;         /* value stack: slots */
    uint64_t *stack_end;
    size_t stack_bytes;
    vm_frame *frames;        /* call frames, for returns and backtraces */
    uint32_t max_frames;
    uint32_t depth;          /* frames in use */
    uint64_t *sp;            /* first free slot (for re-entry from host) */
    bool active;
    mantle_instance *entry;  /* instance whose call began this run */
    int64_t fuel;            /* remaining; INT64_MAX when unlimited */
    volatile uint32_t *interrupt;
    uint32_t aot_nest;       /* native-code wrappers active in this run */
    /* Trap or exit detail, filled where it happens. */
    mantle_diag *diag;
    int exit_code;
    char host_msg[256];
} vm_exec;

/* What a host function sees of its caller (mantle.h's mantle_caller). */
struct mantle_caller {
    vm_exec *ex;
    mantle_instance *inst;
};

/* ---- Internal API ---------------------------------------------------- */

void vm_diag_set(mantle_diag *diag, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Lower a validated function to interpreter code. */
int vm_lower(mantle_module *mod, uint32_t func_index, vm_code **out_code,
             wasm_error *err);
void vm_code_free(const mantle_allocator *a, vm_code *code);

/* Make sure a function's code exists (lowering on first use). */
int vm_func_prepare(mantle_func *fn, mantle_diag *diag);

/* Run `fn` with args/results in slot form. Returns MANTLE_OK,
 * MANTLE_ETRAP or MANTLE_EEXIT (diag filled). */
int vm_invoke(mantle_func *fn, uint64_t *args_results, mantle_diag *diag);

/* The interpreter proper. With code == NULL it only fills the handler
 * table (computed-goto builds). */
int vm_interp(vm_exec *ex, mantle_func *fn, uint64_t *fp);
extern int32_t vm_handler_offset[];
/* Name of an interpreter instruction (wasm_op or VOP_*). */
const char *vm_op_name(uint32_t op);
uint32_t vm_op_length(uint32_t op, const vm_cell *pc);
/* Print lowered code; op_of maps a handler cell back to its opcode. */
void vm_code_dump(FILE *out, const vm_code *code,
                  uint32_t (*op_of)(vm_cell cell));

void vm_interp_init(void);

/* The handler cell of instruction `op`: its handler's offset in
 * computed-goto builds, the opcode in switch builds. */
static inline vm_cell vm_op_cell(uint32_t op)
{
#if MANTLE_ENABLE_COMPUTED_GOTO
    return (vm_cell)vm_handler_offset[op];
#else
    return op;
#endif
}

/* Loop tails and pairs (pairs.c, iops.h VM_TAILS and VM_PAIRS). */
bool vm_join_tail(vm_cell *code, uint32_t tail_start, uint32_t start);
void vm_join_pairs(const mantle_allocator *a, vm_cell *code, uint32_t ncode,
                   const vm_pcmap *pcmap, uint32_t npcmap,
                   const uint32_t *labels, uint32_t nlabels);

/* The AOT tier (src/aot/aot_call.c, load.c): run native code of `fn` with
 * args/results in slot form (as vm_invoke); free a module's native code;
 * bind an instance's functions to it (refused if its memories lack the
 * guard regions the code relies on). */
int vm_aot_invoke(vm_exec *ex, mantle_func *fn, uint64_t *slots);
void vm_aot_code_free(mantle_module *mod);
/* mantle_instance_interrupt's half for native code, which has no polls. */
void vm_aot_interrupt(mantle_instance *inst);
int vm_aot_instance_init(mantle_instance *inst, mantle_diag *diag);

/* Slot conversions between mantle_val and the 64-bit slot form. */
void vm_val_to_slot(const mantle_val *v, uint64_t *slot);
void vm_slot_to_val(uint8_t type, const uint64_t *slot, mantle_val *v);
mantle_valkind vm_kind_of(uint8_t vt);
uint8_t vm_type_of(mantle_valkind k);

/* Runtime objects. */
int vm_memory_create(mantle_engine *e, uint32_t min, bool has_max,
                     uint32_t max, mantle_memory **out);
int vm_memory_grow(mantle_memory *m, uint32_t delta, uint32_t *out_old);
int vm_table_create(mantle_engine *e, uint8_t elemtype, uint32_t min,
                    bool has_max, uint32_t max, mantle_table **out);
int vm_table_grow(mantle_table *t, uint32_t delta, void *init,
                  uint32_t *out_old);
void vm_memory_unref(mantle_memory *m);
void vm_table_unref(mantle_table *t);
void vm_global_unref(mantle_global *g);

static inline void vm_ref(uint32_t *refs)
{
    os_atomic_add_u32(refs, 1);
}
static inline bool vm_unref(uint32_t *refs)
{
    return os_atomic_add_u32(refs, -1) == 0;
}

#endif
