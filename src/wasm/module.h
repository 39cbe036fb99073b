/* module.h - the decoded (and, after wasm_validate, validated) module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * wasm/ is pure: no OS calls, no execution. A module owns a private copy of
 * its bytes; every "range" below is an offset/length into those bytes, so
 * code bodies and constant expressions are read in place, never copied.
 *
 * Lifecycle: wasm_decode() fills a module from bytes (binary format only;
 * it reports "malformed"), wasm_validate() checks it (reports "invalid")
 * and fills the validated-only fields, wasm_module_free() releases it.
 */
#ifndef MANTLE_WASM_MODULE_H
#define MANTLE_WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

/* Value types, as encoded in the binary format. */
enum {
    VT_I32 = 0x7F,
    VT_I64 = 0x7E,
    VT_F32 = 0x7D,
    VT_F64 = 0x7C,
    VT_V128 = 0x7B,
    VT_FUNCREF = 0x70,
    VT_EXTERNREF = 0x6F,
};

/* External kinds, as encoded in import and export descriptors. */
enum { EXT_FUNC = 0, EXT_TABLE = 1, EXT_MEMORY = 2, EXT_GLOBAL = 3 };

/* Immediate kinds of opcodes.def. */
enum {
    IMM_NONE,
    IMM_BLOCKTYPE,     /* s33: -0x40 empty, valtype, or type index */
    IMM_LABEL,         /* u32 label depth */
    IMM_BR_TABLE,      /* vec(u32) then u32 default */
    IMM_FUNC,          /* u32 function index */
    IMM_CALL_INDIRECT, /* u32 type index, u32 table index */
    IMM_SELECT_T,      /* vec(valtype), length must be 1 */
    IMM_LOCAL,         /* u32 */
    IMM_GLOBAL,        /* u32 */
    IMM_TABLE,         /* u32 */
    IMM_MEMARG,        /* u32 align (log2), u32 offset */
    IMM_MEMIDX,        /* one byte, must be 0x00 */
    IMM_I32,           /* s32 */
    IMM_I64,           /* s64 */
    IMM_F32,           /* 4 bytes little-endian */
    IMM_F64,           /* 8 bytes little-endian */
    IMM_REFTYPE,       /* one byte reftype */
    IMM_MEMORY_INIT,   /* u32 data index, byte 0x00 */
    IMM_DATA,          /* u32 data index */
    IMM_MEMORY_COPY,   /* two bytes 0x00 0x00 */
    IMM_TABLE_INIT,    /* u32 elem index, u32 table index */
    IMM_ELEM,          /* u32 elem index */
    IMM_TABLE_COPY,    /* u32 dst table, u32 src table */
    IMM_V128,          /* 16 bytes (text: v128.const SHAPE lanes...) */
    IMM_LANE,          /* one byte lane index */
    IMM_SHUFFLE,       /* 16 lane index bytes (i8x16.shuffle) */
    IMM_MEMARG_LANE,   /* memarg, then one byte lane index */
};

/* Opcodes, expanded from the table. */
typedef enum {
#define OP(sym, text, code, imm, sig, arg) OP_##sym,
#include "opcodes.def"
    OP__COUNT
} wasm_op;

typedef enum {
#define SIG(name, params, results) SIG_##name,
#include "opcodes.def"
    SIG__COUNT
} wasm_sig;

typedef struct wasm_opinfo {
    const char *text;
    uint16_t code;   /* 0x00-0xFF, or 0xFC00 / 0xFD00 | sub-opcode */
    uint8_t imm;     /* IMM_* */
    uint8_t sig;     /* SIG_* */
    uint8_t arg;     /* log2 of access width for memory ops */
} wasm_opinfo;

extern const wasm_opinfo wasm_opinfos[OP__COUNT];
/* Stack-effect strings of each SIG_*, letters as in opcodes.def. */
extern const char *const wasm_sig_params[SIG__COUNT];
extern const char *const wasm_sig_results[SIG__COUNT];

/* Map an encoding to wasm_op: single-byte codes index wasm_op_by_byte, 0xFC
 * sub-opcodes index wasm_op_by_fc. Unused entries hold OP__COUNT. */
extern const uint16_t wasm_op_by_byte[256];
#define WASM_FC_COUNT 18
extern const uint16_t wasm_op_by_fc[WASM_FC_COUNT + 1];  /* + a spare */
#define WASM_FD_COUNT 256
extern const uint16_t wasm_op_by_fd[WASM_FD_COUNT + 1];
/* The op of prefix byte `prefix` (0xFC, 0xFD) and sub-opcode `sub`, or
 * OP__COUNT. */
uint16_t wasm_op_prefixed(uint8_t prefix, uint32_t sub);
/* Frame slots (64-bit) a value of type `vt` takes: v128 takes two. */
static inline uint32_t wasm_slot_width(uint8_t vt)
{
    return vt == VT_V128 ? 2u : 1u;
}
/* Slots of `n` values of types `types`, laid out in order. */
static inline uint32_t wasm_slot_count(const uint8_t *types, uint32_t n)
{
    uint32_t s = n;
    for (uint32_t i = 0; i < n; i++)
        s += types[i] == VT_V128;
    return s;
}

/* Translate a letter of a SIG string to a value type. */
uint8_t wasm_sig_letter_type(char c);
/* "i32", "funcref", ... for diagnostics; "?" for unknown. */
const char *wasm_valtype_name(uint8_t vt);
bool wasm_is_valtype(uint8_t b);
bool wasm_is_reftype(uint8_t b);

typedef struct wasm_range {
    uint32_t off;  /* offset into module->bytes */
    uint32_t len;
} wasm_range;

typedef struct wasm_functype {
    uint32_t nparams;
    uint32_t nresults;
    uint8_t *types;   /* nparams value types, then nresults */
} wasm_functype;

#define WASM_FT_PARAMS(ft) ((ft)->types)
#define WASM_FT_RESULTS(ft) ((ft)->types + (ft)->nparams)

typedef struct wasm_limits {
    uint32_t min;
    uint32_t max;    /* meaningful only when has_max */
    bool has_max;
} wasm_limits;

typedef struct wasm_tabletype {
    uint8_t elemtype;  /* VT_FUNCREF or VT_EXTERNREF */
    wasm_limits limits;
} wasm_tabletype;

typedef struct wasm_globaltype {
    uint8_t type;
    bool mut;
} wasm_globaltype;

/* A constant expression. The decoder records its bytes (including the
 * final `end`); the validator checks it and fills op/type/value. In Wasm 2.0
 * a valid constant expression is exactly one instruction then `end`. */
typedef struct wasm_constexpr {
    wasm_range expr;
    uint16_t op;      /* OP_I32Const, ..., OP_RefNull, OP_RefFunc, OP_GlobalGet */
    uint8_t type;     /* result value type */
    uint64_t value;   /* const bits, or a function/global index, or a
                         reftype byte for ref.null */
} wasm_constexpr;

typedef struct wasm_import {
    char *module;
    char *name;
    uint8_t kind;     /* EXT_* */
    union {
        uint32_t type_index;     /* EXT_FUNC */
        wasm_tabletype table;    /* EXT_TABLE */
        wasm_limits memory;      /* EXT_MEMORY (pages) */
        wasm_globaltype global;  /* EXT_GLOBAL */
    } u;
} wasm_import;

typedef struct wasm_export {
    char *name;
    uint8_t kind;     /* EXT_* */
    uint32_t index;   /* in the kind's index space (imports first) */
    uint32_t name_len; /* bytes in name: it may hold U+0000 */
} wasm_export;

typedef struct wasm_global {
    wasm_globaltype type;
    wasm_constexpr init;
} wasm_global;

/* Local declarations as they appear in the body: runs of one type. */
typedef struct wasm_localrun {
    uint32_t count;
    uint8_t type;
} wasm_localrun;

typedef struct wasm_func {
    uint32_t type_index;
    wasm_range body;        /* the instruction bytes after the local decls,
                               through the final `end` */
    uint32_t body_start;    /* offset of the body's size field, for errors */
    uint32_t nlocals;       /* declared locals, excluding params */
    uint8_t *local_types;   /* nlocals types, expanded */
} wasm_func;

enum { SEG_ACTIVE = 0, SEG_PASSIVE = 1, SEG_DECLARATIVE = 2 };

typedef struct wasm_elem {
    uint8_t mode;          /* SEG_* */
    uint8_t elemtype;      /* VT_FUNCREF or VT_EXTERNREF */
    uint32_t table;        /* active only */
    wasm_constexpr offset; /* active only */
    uint32_t count;
    wasm_constexpr *items; /* count items; function-index forms are
                              decoded as ref.func expressions */
} wasm_elem;

typedef struct wasm_data {
    uint8_t mode;          /* SEG_ACTIVE or SEG_PASSIVE */
    uint32_t memory;       /* active only */
    wasm_constexpr offset; /* active only */
    wasm_range init;
} wasm_data;

typedef struct wasm_custom {
    char *name;
    wasm_range content;
} wasm_custom;

#define WASM_NO_INDEX UINT32_MAX

/* Decoder limits: beyond these a module is refused (implementation limits
 * the spec allows), before any large allocation happens. */
#define WASM_MAX_LOCALS 50000u
#define WASM_MAX_FUNCS 1000000u
#define WASM_MAX_PARAMS 1000u
#define WASM_MAX_TABLE_ELEMS 10000000u
#define WASM_MAX_BR_TABLE 1000000u

typedef struct wasm_module {
    mantle_allocator alloc;
    uint8_t *bytes;
    uint32_t size;

    uint32_t ntypes;
    wasm_functype *types;

    uint32_t nimports;
    wasm_import *imports;

    /* Index spaces: imported entries first, then defined ones. */
    uint32_t nfuncs, nfunc_imports;
    uint32_t *func_type;        /* nfuncs type indices, imports included */
    wasm_func *funcs;           /* nfuncs - nfunc_imports defined functions */

    uint32_t ntables, ntable_imports;
    wasm_tabletype *tables;     /* ntables, imports included */

    uint32_t nmemories, nmemory_imports;
    wasm_limits *memories;      /* nmemories, imports included */

    uint32_t nglobals, nglobal_imports;
    wasm_globaltype *global_types; /* nglobals, imports included */
    wasm_global *globals;          /* nglobals - nglobal_imports defined */

    uint32_t nexports;
    wasm_export *exports;

    uint32_t start;             /* WASM_NO_INDEX if none */

    uint32_t nelems;
    wasm_elem *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    wasm_data *datas;

    uint32_t ncustoms;
    wasm_custom *customs;

    /* From the "name" custom section, when present and well formed (a bad
     * name section is ignored, as the spec requires). */
    char *module_name;
    char **func_names;          /* nfuncs entries, NULL where unnamed */

    /* Filled by wasm_validate. */
    bool validated;
    bool *func_declared;        /* nfuncs: may appear in ref.func in code */
} wasm_module;

/* Errors carry what, where and why. `offset` is a byte offset into the
 * module, `func` a function index or WASM_NO_INDEX. */
typedef struct wasm_error {
    uint32_t offset;
    uint32_t func;
    bool malformed;   /* set by the validator when code bytes do not decode
                         (bad opcode, LEB128, truncation): the spec calls
                         those malformed, not invalid */
    bool unsupported; /* well-formed, but uses what this build leaves out
                         (SIMD under MANTLE_SIMD=OFF): MANTLE_ELIMIT */
    char msg[256];
} wasm_error;

/* Why a module using v128 is refused when MANTLE_ENABLE_SIMD is 0
 * (config.h); the decoder and validator set `unsupported` with it. */
#define WASM_NO_SIMD_MSG                                                      \
    "v128 (SIMD) is not supported by this build of Mantle (MANTLE_SIMD=OFF)"

/* Decode bytes (copied) into a new module. Returns 0, or -1 with `err`
 * filled ("malformed" class: the spec's assert_malformed texts, such as
 * "unexpected end", "integer too large", "malformed UTF-8 encoding"). */
int wasm_decode(const mantle_allocator *alloc, const uint8_t *bytes,
                size_t size, wasm_module **out_module, wasm_error *err);

/* Validate a decoded module. Returns 0, or -1 with `err` filled ("invalid"
 * class: the spec's assert_invalid texts, such as "type mismatch"). */
int wasm_validate(wasm_module *m, wasm_error *err);

void wasm_module_free(wasm_module *m);

/* Translate the text format (a .wat module: `(module ...)`, bare module
 * fields, or `(module binary|quote ...)`) to the binary format, which the
 * caller then decodes and validates as usual. Returns 0 with *out_bytes
 * (allocated through `a`, the caller frees it) and *out_size, or -1 with
 * `err` filled: err->msg starts with "line:column: " and err->malformed is
 * set, or is clear when memory ran out. */
int wasm_wat_to_binary(const mantle_allocator *a, const char *text,
                       size_t len, uint8_t **out_bytes, size_t *out_size,
                       wasm_error *err);

/* Disassemble function `func` (imports included in the index space) as
 * flat text-format instructions (disasm.c), handing text to `write` in
 * pieces. Returns 0, -1 if there is no such function, or the first nonzero
 * value `write` returned. */
int wasm_disasm_func(const wasm_module *m, uint32_t func,
                     int (*write)(void *ctx, const char *text, size_t len),
                     void *ctx);

/* Export lookup by name bytes (names may contain U+0000); NULL if absent. */
const wasm_export *wasm_module_find_export(const wasm_module *m,
                                           const char *name, size_t len);

/* Function types compare structurally (call_indirect, import checks). */
bool wasm_functype_equal(const wasm_functype *a, const wasm_functype *b);

#endif
