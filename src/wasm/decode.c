/* decode.c - the binary-format decoder: bytes to wasm_module (Wasm 2.0).
 * SPDX-License-Identifier: Apache-2.0
 *
 * It follows the reference interpreter's decoder (spec interpreter/binary/
 * decode.ml) closely enough that malformed modules fail with the spec's
 * message (the assert_malformed texts, which are prefixes of it):
 *
 *  - Section contents are read up to the end of the module, not of the
 *    section, as decode.ml does; a section whose entries stop short of or
 *    run past its declared size is a "section size mismatch".
 *  - Every length (vector count, name, section, body or segment size) is
 *    first checked against the bytes left in the module ("length out of
 *    bounds"). Every entry takes at least one byte, so no count can make the
 *    decoder allocate more than a small multiple of the module's size.
 *  - Code bodies are not decoded: the decoder expands local declarations
 *    and records the instruction bytes; the validator decodes them.
 *    Constant expressions are scanned instruction by instruction so that a
 *    bad encoding in them is reported here, and recorded as bytes.
 *
 * Map: errors and reading; types and names; instructions and constant
 * expressions; sections; the name section; wasm_decode().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../config.h" /* MANTLE_ENABLE_SIMD */
#include "module.h"
#include "read.h"

/* Local declarations are expanded (one byte per local), so a few bytes of
 * body can ask for WASM_MAX_LOCALS bytes of memory. Capping the module's
 * total keeps that amplification bounded: a fixed allowance plus a small
 * multiple of the module's size. */
#define DEC_LOCALS_BASE (UINT64_C(4) << 20)
#define DEC_LOCALS_PER_BYTE 8

/* Section ids in the order they must appear (custom sections aside); the
 * data count section (12) comes between element (9) and code (10). */
enum { SEC_CUSTOM = 0, SEC_TYPE, SEC_IMPORT, SEC_FUNC, SEC_TABLE, SEC_MEMORY,
       SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEM, SEC_CODE, SEC_DATA,
       SEC_DATACOUNT, SEC__COUNT };

static const uint8_t dec_rank[SEC__COUNT] = {
    [SEC_TYPE] = 1,  [SEC_IMPORT] = 2, [SEC_FUNC] = 3,       [SEC_TABLE] = 4,
    [SEC_MEMORY] = 5, [SEC_GLOBAL] = 6, [SEC_EXPORT] = 7,    [SEC_START] = 8,
    [SEC_ELEM] = 9,  [SEC_DATACOUNT] = 10, [SEC_CODE] = 11,  [SEC_DATA] = 12,
};

typedef struct dec {
    wasm_module *m;
    const mantle_allocator *a;  /* &m->alloc */
    wasm_reader r;              /* the whole module */
    wasm_error *err;
    uint32_t func;              /* function index for errors */
    bool in_section;            /* past a section's size field */
    bool has_code;
    bool spaces_done[4];        /* index space allocated, per EXT_* */
    uint32_t ndefined_funcs;    /* entries of the function section */
    uint64_t locals_left;       /* budget, see DEC_LOCALS_BASE */
    uint32_t name_section;      /* index in customs, or WASM_NO_INDEX */
    uint32_t customs_cap;       /* allocated entries of m->customs */
} dec;

/* ---- Errors and reading ------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int dec_fail(dec *d, uint32_t off, const char *fmt, ...)
{
    va_list ap;
    d->err->offset = off;
    d->err->func = d->func;
    d->err->malformed = true;
    d->err->unsupported = false;
    va_start(ap, fmt);
    vsnprintf(d->err->msg, sizeof d->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Out of memory is not a property of the module: `malformed` stays false so
 * a caller can tell it apart. */
static int dec_oom(dec *d)
{
    dec_fail(d, rd_offset(&d->r), "out of memory");
    d->err->malformed = false;
    return -1;
}

/* A reader failure at `off`. decode.ml calls every truncation "unexpected
 * end of section or function"; the header and section framing keep the
 * shorter "unexpected end", which prefixes it. */
static int dec_rdfail(dec *d, uint32_t off)
{
    const char *msg = d->r.err ? d->r.err : "unexpected end";
    if (d->in_section && strcmp(msg, "unexpected end") == 0)
        msg = "unexpected end of section or function";
    return dec_fail(d, off, "%s", msg);
}

static bool dec_eof(const dec *d)
{
    return d->r.p >= d->r.end;
}

static int dec_u8(dec *d, uint8_t *out)
{
    uint32_t off = rd_offset(&d->r);
    return rd_u8(&d->r, out) ? 0 : dec_rdfail(d, off);
}

static int dec_u32(dec *d, uint32_t *out)
{
    uint32_t off = rd_offset(&d->r);
    return rd_u32(&d->r, out) ? 0 : dec_rdfail(d, off);
}

static int dec_bytes(dec *d, uint32_t n, const uint8_t **out)
{
    uint32_t off = rd_offset(&d->r);
    return rd_bytes(&d->r, n, out) ? 0 : dec_rdfail(d, off);
}

/* A length or count. It may not exceed the bytes left in the module,
 * counted from the length field itself (decode.ml's len32); readers still
 * check every byte they take. */
static int dec_len(dec *d, uint32_t *out)
{
    uint32_t off = rd_offset(&d->r);
    if (dec_u32(d, out))
        return -1;
    if (*out > d->m->size - off)
        return dec_fail(d, off, "length out of bounds");
    return 0;
}

/* Allocate `count` zeroed elements; counts were bounded by dec_len. */
static void *dec_calloc(dec *d, uint32_t count, size_t size)
{
    return mt_calloc(d->a, count, size);
}

/* ---- Types and names --------------------------------------------------- */

/* Well-formed UTF-8 (Unicode 3.9, table 3-7): no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t more;
        uint8_t lo = 0x80, hi = 0xBF;  /* range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (n - i - 1 < more)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (uint32_t k = 2; k <= more; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += more + 1;
    }
    return true;
}

/* A name: a UTF-8 string, copied NUL-terminated. `out_len` (optional) gets
 * its byte length, which an embedded U+0000 would hide from strlen. */
static int dec_name(dec *d, char **out, uint32_t *out_len)
{
    uint32_t off = rd_offset(&d->r);
    uint32_t n = 0;
    const uint8_t *s = NULL;
    if (dec_len(d, &n) || dec_bytes(d, n, &s))
        return -1;
    if (!utf8_valid(s, n))
        return dec_fail(d, off, "malformed UTF-8 encoding");
    *out = mt_strndup(d->a, (const char *)s, n);
    if (!*out)
        return dec_oom(d);
    if (out_len)
        *out_len = n;
    return 0;
}

/* decode.ml reads type bytes as 7-bit signed LEB128, so a set continuation
 * bit is "integer representation too long" whatever follows. */
static int dec_typebyte(dec *d, uint8_t *out, uint32_t *out_off)
{
    *out_off = rd_offset(&d->r);
    if (dec_u8(d, out))
        return -1;
    if (*out & 0x80)
        return dec_fail(d, *out_off, "integer representation too long");
    return 0;
}

static bool dec_is_valtype(uint8_t b)
{
    return wasm_is_valtype(b);
}

/* v128 or a SIMD instruction at `off` in a build without SIMD. */
static int dec_no_simd(dec *d, uint32_t off)
{
    dec_fail(d, off, "%s", WASM_NO_SIMD_MSG);
    d->err->unsupported = true;
    return -1;
}

static int dec_valtype(dec *d, uint8_t *out)
{
    uint32_t off;
    if (dec_typebyte(d, out, &off))
        return -1;
    if (!dec_is_valtype(*out))
        return dec_fail(d, off, "malformed value type");
    if (!MANTLE_ENABLE_SIMD && *out == VT_V128)
        return dec_no_simd(d, off);
    return 0;
}

static int dec_reftype(dec *d, uint8_t *out)
{
    uint32_t off;
    if (dec_typebyte(d, out, &off))
        return -1;
    if (!wasm_is_reftype(*out))
        return dec_fail(d, off, "malformed reference type");
    return 0;
}

/* Limits: a flag that decode.ml reads as a 1-bit LEB128 (value checked
 * before length), min, then max when the flag is 1. The 65536-page bound
 * of memories is the validator's. */
static int dec_limits(dec *d, wasm_limits *out)
{
    uint32_t off = rd_offset(&d->r);
    uint8_t flag = 0;
    if (dec_u8(d, &flag))
        return -1;
    if ((flag & 0x7F) > 1)
        return dec_fail(d, off, "integer too large");
    if (flag & 0x80)
        return dec_fail(d, off, "integer representation too long");
    out->has_max = flag == 1;
    out->max = 0;
    if (dec_u32(d, &out->min))
        return -1;
    if (out->has_max && dec_u32(d, &out->max))
        return -1;
    return 0;
}

static int dec_tabletype(dec *d, wasm_tabletype *out)
{
    if (dec_reftype(d, &out->elemtype))
        return -1;
    return dec_limits(d, &out->limits);
}

static int dec_globaltype(dec *d, wasm_globaltype *out)
{
    uint8_t mut = 0;
    if (dec_valtype(d, &out->type))
        return -1;
    uint32_t off = rd_offset(&d->r);
    if (dec_u8(d, &mut))
        return -1;
    if (mut > 1)
        return dec_fail(d, off, "malformed mutability");
    out->mut = mut == 1;
    return 0;
}

/* ---- Instructions and constant expressions ----------------------------- */

static int dec_zero(dec *d)
{
    uint32_t off = rd_offset(&d->r);
    uint8_t b = 0;
    if (dec_u8(d, &b))
        return -1;
    if (b != 0)
        return dec_fail(d, off, "zero byte expected");
    return 0;
}

/* Skip one instruction, checking the encoding of its opcode and immediates
 * as opcodes.def describes them. `*out_op` gets the wasm_op. */
static int dec_skip_instr(dec *d, uint16_t *out_op)
{
    uint32_t off = rd_offset(&d->r);
    uint8_t b = 0;
    uint16_t op;
    uint32_t n = 0, x = 0;
    if (dec_u8(d, &b))
        return -1;
    if (b == 0xFC || b == 0xFD) {
        if (dec_u32(d, &n))
            return -1;
        if (!MANTLE_ENABLE_SIMD && b == 0xFD)
            return dec_no_simd(d, off);
        op = wasm_op_prefixed(b, n);
        if (op == OP__COUNT)
            return dec_fail(d, off, "illegal opcode %02x %02x", b, n);
    } else {
        op = wasm_op_by_byte[b];
        if (op == OP__COUNT)
            return dec_fail(d, off, "illegal opcode %02x", b);
    }
    *out_op = op;

    switch (wasm_opinfos[op].imm) {
    case IMM_NONE:
        return 0;
    case IMM_BLOCKTYPE: {
        /* 0x40 (empty), a value type, or a type index as s33. */
        if (!dec_eof(d) && *d->r.p == 0x40) {
            d->r.p++;
            return 0;
        }
        if (!dec_eof(d) && (*d->r.p & 0xC0) == 0x40) {
            uint8_t t;
            return dec_valtype(d, &t);
        }
        int64_t idx;
        uint32_t ioff = rd_offset(&d->r);
        return rd_sleb(&d->r, 33, &idx) ? 0 : dec_rdfail(d, ioff);
    }
    case IMM_LABEL:
    case IMM_FUNC:
    case IMM_LOCAL:
    case IMM_GLOBAL:
    case IMM_TABLE:
    case IMM_DATA:
    case IMM_ELEM:
        return dec_u32(d, &x);
    case IMM_CALL_INDIRECT:
    case IMM_TABLE_INIT:
    case IMM_TABLE_COPY:
    case IMM_MEMARG:
        return dec_u32(d, &x) || dec_u32(d, &x) ? -1 : 0;
    case IMM_BR_TABLE:
        if (dec_len(d, &n))
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (dec_u32(d, &x))
                return -1;
        return dec_u32(d, &x);
    case IMM_SELECT_T:
        if (dec_len(d, &n))
            return -1;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t t;
            if (dec_valtype(d, &t))
                return -1;
        }
        return 0;
    case IMM_MEMIDX:
        return dec_zero(d);
    case IMM_MEMORY_INIT:
        return dec_u32(d, &x) || dec_zero(d) ? -1 : 0;
    case IMM_MEMORY_COPY:
        return dec_zero(d) || dec_zero(d) ? -1 : 0;
    case IMM_I32: {
        int32_t v;
        uint32_t ioff = rd_offset(&d->r);
        return rd_s32(&d->r, &v) ? 0 : dec_rdfail(d, ioff);
    }
    case IMM_I64: {
        int64_t v;
        uint32_t ioff = rd_offset(&d->r);
        return rd_s64(&d->r, &v) ? 0 : dec_rdfail(d, ioff);
    }
    case IMM_F32: {
        const uint8_t *p;
        return dec_bytes(d, 4, &p);
    }
    case IMM_F64: {
        const uint8_t *p;
        return dec_bytes(d, 8, &p);
    }
    case IMM_REFTYPE: {
        uint8_t t;
        return dec_reftype(d, &t);
    }
    case IMM_V128:
    case IMM_SHUFFLE: {
        const uint8_t *p;
        return dec_bytes(d, 16, &p);
    }
    case IMM_LANE:
        return dec_u8(d, &b);
    case IMM_MEMARG_LANE:
        return dec_u32(d, &x) || dec_u32(d, &x) || dec_u8(d, &b) ? -1 : 0;
    default:
        return dec_fail(d, off, "internal error: immediate kind %u",
                        (unsigned)wasm_opinfos[op].imm);
    }
}

/* A constant expression: instructions then `end` (decode.ml's `const`).
 * Only the encoding is checked; the bytes through `end` are recorded and
 * the validator types and evaluates them. Nested blocks are followed so
 * that their `end`s do not end the expression early. */
static int dec_constexpr(dec *d, wasm_constexpr *out)
{
    uint32_t start = rd_offset(&d->r);
    uint32_t depth = 0;
    memset(out, 0, sizeof *out);
    for (;;) {
        uint32_t off = rd_offset(&d->r);
        uint16_t op = OP__COUNT;
        if (dec_eof(d))
            return dec_rdfail(d, off);
        if (*d->r.p == 0x0B) {
            d->r.p++;
            if (depth == 0)
                break;
            depth--;
            continue;
        }
        if (*d->r.p == 0x05) {  /* else */
            if (depth == 0)
                return dec_fail(d, off, "END opcode expected");
            d->r.p++;
            continue;
        }
        if (dec_skip_instr(d, &op))
            return -1;
        if (op == OP_Block || op == OP_Loop || op == OP_If)
            depth++;
    }
    out->expr.off = start;
    out->expr.len = rd_offset(&d->r) - start;
    return 0;
}

/* ---- Sections ----------------------------------------------------------- */

/* Allocate the index space of `kind`, imported entries first, with `ndef`
 * more defined by the module. Runs once per kind: at the kind's section,
 * or after the last section when the module defines none. */
static int dec_space(dec *d, uint8_t kind, uint32_t ndef)
{
    wasm_module *m = d->m;
    uint32_t nimp = 0, j = 0;
    uint64_t total;
    d->spaces_done[kind] = true;
    switch (kind) {
    case EXT_FUNC:
        nimp = m->nfunc_imports;
        total = (uint64_t)nimp + ndef;
        if (total > WASM_MAX_FUNCS)
            return dec_fail(d, rd_offset(&d->r), "too many functions");
        /* nfuncs first: wasm_module_free frees nfuncs - nfunc_imports
         * bodies once funcs exists. */
        m->nfuncs = (uint32_t)total;
        m->func_type = dec_calloc(d, (uint32_t)total, sizeof *m->func_type);
        m->funcs = dec_calloc(d, ndef, sizeof *m->funcs);
        if (!m->func_type || !m->funcs)
            return dec_oom(d);
        d->ndefined_funcs = ndef;
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == EXT_FUNC)
                m->func_type[j++] = m->imports[i].u.type_index;
        return 0;
    case EXT_TABLE:
        nimp = m->ntable_imports;
        total = (uint64_t)nimp + ndef;
        if (total > UINT32_MAX)
            return dec_fail(d, rd_offset(&d->r), "too many tables");
        m->tables = dec_calloc(d, (uint32_t)total, sizeof *m->tables);
        if (!m->tables)
            return dec_oom(d);
        m->ntables = (uint32_t)total;
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == EXT_TABLE)
                m->tables[j++] = m->imports[i].u.table;
        return 0;
    case EXT_MEMORY:
        nimp = m->nmemory_imports;
        total = (uint64_t)nimp + ndef;
        if (total > UINT32_MAX)
            return dec_fail(d, rd_offset(&d->r), "too many memories");
        m->memories = dec_calloc(d, (uint32_t)total, sizeof *m->memories);
        if (!m->memories)
            return dec_oom(d);
        m->nmemories = (uint32_t)total;
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == EXT_MEMORY)
                m->memories[j++] = m->imports[i].u.memory;
        return 0;
    default: /* EXT_GLOBAL */
        nimp = m->nglobal_imports;
        total = (uint64_t)nimp + ndef;
        if (total > UINT32_MAX)
            return dec_fail(d, rd_offset(&d->r), "too many globals");
        m->global_types = dec_calloc(d, (uint32_t)total,
                                     sizeof *m->global_types);
        m->globals = dec_calloc(d, ndef, sizeof *m->globals);
        if (!m->global_types || !m->globals)
            return dec_oom(d);
        m->nglobals = (uint32_t)total;
        for (uint32_t i = 0; i < m->nimports; i++)
            if (m->imports[i].kind == EXT_GLOBAL)
                m->global_types[j++] = m->imports[i].u.global;
        return 0;
    }
}

static int dec_type_section(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (dec_len(d, &n))
        return -1;
    if (!(m->types = dec_calloc(d, n, sizeof *m->types)))
        return dec_oom(d);
    m->ntypes = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_functype *ft = &m->types[i];
        uint32_t off, np, nr;
        uint8_t form = 0, t = 0;
        const uint8_t *params, *results;
        if (dec_typebyte(d, &form, &off))
            return -1;
        if (form != 0x60)
            return dec_fail(d, off, "malformed function type");
        /* Each value type is one byte, so the vectors are their bytes. */
        off = rd_offset(&d->r);
        if (dec_len(d, &np))
            return -1;
        if (np > WASM_MAX_PARAMS)
            return dec_fail(d, off, "too many parameters");
        params = d->r.p;
        for (uint32_t k = 0; k < np; k++)
            if (dec_valtype(d, &t))
                return -1;
        off = rd_offset(&d->r);
        if (dec_len(d, &nr))
            return -1;
        if (nr > WASM_MAX_PARAMS)
            return dec_fail(d, off, "too many results");
        results = d->r.p;
        for (uint32_t k = 0; k < nr; k++)
            if (dec_valtype(d, &t))
                return -1;
        if (!(ft->types = mt_alloc(d->a, (size_t)np + nr)))
            return dec_oom(d);
        if (np)
            memcpy(ft->types, params, np);
        if (nr)
            memcpy(ft->types + np, results, nr);
        ft->nparams = np;
        ft->nresults = nr;
    }
    return 0;
}

static int dec_import_section(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (dec_len(d, &n))
        return -1;
    if (!(m->imports = dec_calloc(d, n, sizeof *m->imports)))
        return dec_oom(d);
    m->nimports = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_import *im = &m->imports[i];
        if (dec_name(d, &im->module, NULL) || dec_name(d, &im->name, NULL))
            return -1;
        uint32_t off = rd_offset(&d->r);
        if (dec_u8(d, &im->kind))
            return -1;
        switch (im->kind) {
        case EXT_FUNC:
            if (dec_u32(d, &im->u.type_index))
                return -1;
            m->nfunc_imports++;
            break;
        case EXT_TABLE:
            if (dec_tabletype(d, &im->u.table))
                return -1;
            m->ntable_imports++;
            break;
        case EXT_MEMORY:
            if (dec_limits(d, &im->u.memory))
                return -1;
            m->nmemory_imports++;
            break;
        case EXT_GLOBAL:
            if (dec_globaltype(d, &im->u.global))
                return -1;
            m->nglobal_imports++;
            break;
        default:
            return dec_fail(d, off, "malformed import kind");
        }
    }
    return 0;
}

static int dec_func_section(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (dec_len(d, &n) || dec_space(d, EXT_FUNC, n))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t *ti = &m->funcs[i].type_index;
        if (dec_u32(d, ti))
            return -1;
        m->func_type[m->nfunc_imports + i] = *ti;
    }
    return 0;
}

static int dec_table_section(dec *d)
{
    uint32_t n;
    if (dec_len(d, &n) || dec_space(d, EXT_TABLE, n))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (dec_tabletype(d, &d->m->tables[d->m->ntable_imports + i]))
            return -1;
    return 0;
}

static int dec_memory_section(dec *d)
{
    uint32_t n;
    if (dec_len(d, &n) || dec_space(d, EXT_MEMORY, n))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (dec_limits(d, &d->m->memories[d->m->nmemory_imports + i]))
            return -1;
    return 0;
}

static int dec_global_section(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (dec_len(d, &n) || dec_space(d, EXT_GLOBAL, n))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        wasm_global *g = &m->globals[i];
        if (dec_globaltype(d, &g->type) || dec_constexpr(d, &g->init))
            return -1;
        m->global_types[m->nglobal_imports + i] = g->type;
    }
    return 0;
}

static int dec_export_section(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (dec_len(d, &n))
        return -1;
    if (!(m->exports = dec_calloc(d, n, sizeof *m->exports)))
        return dec_oom(d);
    m->nexports = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_export *ex = &m->exports[i];
        if (dec_name(d, &ex->name, &ex->name_len))
            return -1;
        uint32_t off = rd_offset(&d->r);
        if (dec_u8(d, &ex->kind))
            return -1;
        if (ex->kind > EXT_GLOBAL)
            return dec_fail(d, off, "malformed export kind");
        if (dec_u32(d, &ex->index))
            return -1;
    }
    return 0;
}

/* Element segments: flags 0-7. Bit 0: passive or declarative (bit 1 says
 * which); else active, with an explicit table when bit 1 is set. Bit 2:
 * items are expressions with a reftype, else function indices with an
 * elemkind (absent from the forms 0 and 4, which imply funcref). */
static int dec_elem(dec *d, wasm_elem *e)
{
    uint32_t off = rd_offset(&d->r);
    uint32_t flags, n;
    if (dec_u32(d, &flags))
        return -1;
    if (flags > 7)
        return dec_fail(d, off, "malformed elements segment kind");
    bool exprs = flags & 4;
    e->elemtype = VT_FUNCREF;
    if (flags & 1) {
        e->mode = flags & 2 ? SEG_DECLARATIVE : SEG_PASSIVE;
    } else {
        e->mode = SEG_ACTIVE;
        if ((flags & 2) && dec_u32(d, &e->table))
            return -1;
        if (dec_constexpr(d, &e->offset))
            return -1;
    }
    if (flags & 3) {
        if (exprs) {
            if (dec_reftype(d, &e->elemtype))
                return -1;
        } else {
            uint8_t kind = 0;
            off = rd_offset(&d->r);
            if (dec_u8(d, &kind))
                return -1;
            if (kind != 0x00)
                return dec_fail(d, off, "malformed element kind");
        }
    }
    if (dec_len(d, &n))
        return -1;
    if (!(e->items = dec_calloc(d, n, sizeof *e->items)))
        return dec_oom(d);
    e->count = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_constexpr *it = &e->items[i];
        if (exprs) {
            if (dec_constexpr(d, it))
                return -1;
            continue;
        }
        /* A function index stands for ref.func; the empty range says the
         * validator need not decode it. */
        uint32_t x;
        it->expr.off = rd_offset(&d->r);
        it->expr.len = 0;
        if (dec_u32(d, &x))
            return -1;
        it->op = OP_RefFunc;
        it->type = VT_FUNCREF;
        it->value = x;
    }
    return 0;
}

static int dec_elem_section(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (dec_len(d, &n))
        return -1;
    if (!(m->elems = dec_calloc(d, n, sizeof *m->elems)))
        return dec_oom(d);
    m->nelems = n;
    for (uint32_t i = 0; i < n; i++)
        if (dec_elem(d, &m->elems[i]))
            return -1;
    return 0;
}

/* Local declarations at the start of a body (d->r.end is the body's end
 * while they are read): runs of (count, type). Read once to check and sum
 * them (the u32 sum must not overflow, as decode.ml requires, and must stay
 * within WASM_MAX_LOCALS), then again to expand them. */
static int dec_locals(dec *d, wasm_func *f)
{
    uint32_t off = rd_offset(&d->r);
    const uint8_t *decls;
    uint32_t nruns, count;
    uint64_t total = 0;
    uint8_t t;
    if (dec_len(d, &nruns))
        return -1;
    decls = d->r.p;
    for (uint32_t i = 0; i < nruns; i++) {
        if (dec_u32(d, &count) || dec_valtype(d, &t))
            return -1;
        total += count;
    }
    if (total > WASM_MAX_LOCALS || total > d->locals_left)
        return dec_fail(d, off, "too many locals");
    d->locals_left -= total;
    if (!(f->local_types = mt_alloc(d->a, (size_t)total)))
        return dec_oom(d);
    f->nlocals = (uint32_t)total;

    wasm_reader again = {d->r.base, decls, d->r.p, NULL};
    uint32_t k = 0;
    for (uint32_t i = 0; i < nruns; i++) {
        (void)rd_u32(&again, &count);
        (void)rd_u8(&again, &t);
        memset(f->local_types + k, t, count);
        k += count;
    }
    return 0;
}

static int dec_code_section(dec *d)
{
    wasm_module *m = d->m;
    uint32_t off = rd_offset(&d->r);
    uint32_t n;
    if (dec_len(d, &n))
        return -1;
    if (!d->spaces_done[EXT_FUNC] && dec_space(d, EXT_FUNC, 0))
        return -1;
    if (n != d->ndefined_funcs)
        return dec_fail(d, off,
                        "function and code section have inconsistent lengths");
    d->has_code = true;
    for (uint32_t i = 0; i < n; i++) {
        wasm_func *f = &m->funcs[i];
        uint32_t size;
        d->func = m->nfunc_imports + i;
        f->body_start = rd_offset(&d->r);
        if (dec_len(d, &size))
            return -1;
        /* Locals are read within the body; the instructions are left to
         * the validator. */
        uint64_t body_end = (uint64_t)rd_offset(&d->r) + size;
        const uint8_t *file_end = d->r.end;
        if (body_end > m->size)
            return dec_fail(d, m->size,
                            "unexpected end of section or function");
        d->r.end = d->r.base + body_end;
        int rc = dec_locals(d, f);
        d->r.end = file_end;
        if (rc)
            return -1;
        f->body.off = rd_offset(&d->r);
        f->body.len = (uint32_t)body_end - f->body.off;
        d->r.p = d->r.base + body_end;
    }
    d->func = WASM_NO_INDEX;
    return 0;
}

static int dec_data_section(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (dec_len(d, &n))
        return -1;
    if (!(m->datas = dec_calloc(d, n, sizeof *m->datas)))
        return dec_oom(d);
    m->ndatas = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_data *s = &m->datas[i];
        uint32_t off = rd_offset(&d->r);
        uint32_t flags, len;
        const uint8_t *bytes;
        if (dec_u32(d, &flags))
            return -1;
        if (flags > 2)
            return dec_fail(d, off, "malformed data segment kind");
        s->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
        if (flags == 2 && dec_u32(d, &s->memory))
            return -1;
        if (flags != 1 && dec_constexpr(d, &s->offset))
            return -1;
        if (dec_len(d, &len))
            return -1;
        s->init.off = rd_offset(&d->r);
        s->init.len = len;
        if (dec_bytes(d, len, &bytes))
            return -1;
    }
    return 0;
}

/* A custom section: a name, then uninterpreted bytes to the section end.
 * A name longer than the section is a truncation, as in decode.ml. */
static int dec_custom_section(dec *d, uint32_t start, uint32_t size)
{
    wasm_module *m = d->m;
    uint32_t len = 0;
    char *name = NULL;
    if (dec_name(d, &name, &len))
        return -1;
    if (rd_offset(&d->r) - start > size ||
        (uint64_t)start + size > m->size) {
        mt_free(d->a, name);
        return dec_fail(d, start, "unexpected end of section or function");
    }
    void *arr = m->customs;
    if (mt_grow(d->a, &arr, &d->customs_cap, m->ncustoms + 1,
                sizeof *m->customs)) {
        mt_free(d->a, name);
        return dec_oom(d);
    }
    m->customs = arr;
    wasm_custom *c = &m->customs[m->ncustoms++];
    c->name = name;
    c->content.off = rd_offset(&d->r);
    c->content.len = start + size - c->content.off;
    d->r.p = d->r.base + start + size;
    if (d->name_section == WASM_NO_INDEX && len == 4 &&
        memcmp(name, "name", 4) == 0)
        d->name_section = m->ncustoms - 1;
    return 0;
}

static int dec_section(dec *d, uint8_t id, uint32_t start, uint32_t size)
{
    switch (id) {
    case SEC_CUSTOM: return dec_custom_section(d, start, size);
    case SEC_TYPE: return dec_type_section(d);
    case SEC_IMPORT: return dec_import_section(d);
    case SEC_FUNC: return dec_func_section(d);
    case SEC_TABLE: return dec_table_section(d);
    case SEC_MEMORY: return dec_memory_section(d);
    case SEC_GLOBAL: return dec_global_section(d);
    case SEC_EXPORT: return dec_export_section(d);
    case SEC_START: return dec_u32(d, &d->m->start);
    case SEC_ELEM: return dec_elem_section(d);
    case SEC_CODE: return dec_code_section(d);
    case SEC_DATA: return dec_data_section(d);
    default: /* SEC_DATACOUNT */
        d->m->has_datacount = true;
        return dec_u32(d, &d->m->datacount);
    }
}

/* ---- The name section --------------------------------------------------- */

/* Reading here never fails the module (a malformed name section is
 * ignored, spec appendix 7.4): these return false to stop parsing. */
static bool names_name(wasm_reader *r, const uint8_t **out, uint32_t *out_len)
{
    uint32_t n;
    if (!rd_u32(r, &n) || !rd_bytes(r, n, out) || !utf8_valid(*out, n))
        return false;
    *out_len = n;
    return true;
}

/* Subsection 1: a name map, indices strictly increasing. */
static int names_funcs(dec *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n, idx, len;
    uint64_t prev = 0;
    bool first = true;
    const uint8_t *s;
    if (!rd_u32(r, &n))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!rd_u32(r, &idx) || !names_name(r, &s, &len))
            return 0;
        if ((!first && idx <= prev) || idx >= m->nfuncs)
            return 0;
        first = false;
        prev = idx;
        if (!m->func_names &&
            !(m->func_names = dec_calloc(d, m->nfuncs, sizeof(char *))))
            return dec_oom(d);
        if (!(m->func_names[idx] = mt_strndup(d->a, (const char *)s, len)))
            return dec_oom(d);
    }
    return 0;
}

/* Parse the first "name" custom section into module_name and func_names,
 * keeping what was read before anything malformed. Fails only when out of
 * memory. */
static int dec_names(dec *d)
{
    if (d->name_section == WASM_NO_INDEX)
        return 0;
    wasm_module *m = d->m;
    wasm_range c = m->customs[d->name_section].content;
    wasm_reader r = {m->bytes, m->bytes + c.off, m->bytes + c.off + c.len,
                     NULL};
    int last = -1;
    while (r.p < r.end) {
        uint8_t id;
        uint32_t size, len;
        const uint8_t *sub, *s;
        if (!rd_u8(&r, &id) || !rd_u32(&r, &size) ||
            !rd_bytes(&r, size, &sub) || (int)id <= last)
            return 0;
        last = id;
        wasm_reader sr = {m->bytes, sub, sub + size, NULL};
        if (id == 0) {
            if (!names_name(&sr, &s, &len) || sr.p != sr.end)
                return 0;
            if (!(m->module_name = mt_strndup(d->a, (const char *)s, len)))
                return dec_oom(d);
        } else if (id == 1) {
            if (names_funcs(d, &sr))
                return -1;
        }
    }
    return 0;
}

/* ---- wasm_decode -------------------------------------------------------- */

static int dec_module(dec *d)
{
    wasm_module *m = d->m;
    uint8_t last = 0;

    /* The header, read as decode.ml reads it: magic, then version. */
    if (m->size < 4)
        return dec_fail(d, 0, "unexpected end");
    if (memcmp(m->bytes, "\0asm", 4) != 0)
        return dec_fail(d, 0, "magic header not detected");
    if (m->size < 8)
        return dec_fail(d, 4, "unexpected end");
    if (rd_le32(m->bytes + 4) != 1)
        return dec_fail(d, 4, "unknown binary version");
    d->r.p += 8;

    while (!dec_eof(d)) {
        uint32_t off = rd_offset(&d->r), size = 0, start;
        uint8_t id = *d->r.p;
        if (id >= SEC__COUNT)
            return dec_fail(d, off, "malformed section id");
        if (id != SEC_CUSTOM && dec_rank[id] <= last)
            return dec_fail(d, off, "unexpected content after last section");
        d->r.p++;
        d->in_section = false;
        if (dec_len(d, &size))
            return -1;
        start = rd_offset(&d->r);
        d->in_section = true;
        if (dec_section(d, id, start, size))
            return -1;
        if (rd_offset(&d->r) - start != size)
            return dec_fail(d, start, "section size mismatch");
        if (id != SEC_CUSTOM)
            last = dec_rank[id];
    }
    d->in_section = false;

    if (d->ndefined_funcs && !d->has_code)
        return dec_fail(d, m->size,
                        "function and code section have inconsistent lengths");
    if (m->has_datacount && m->datacount != m->ndatas)
        return dec_fail(d, m->size,
                        "data count and data section have inconsistent lengths");
    for (uint8_t k = EXT_FUNC; k <= EXT_GLOBAL; k++)
        if (!d->spaces_done[k] && dec_space(d, k, 0))
            return -1;
    return dec_names(d);
}

int wasm_decode(const mantle_allocator *alloc, const uint8_t *bytes,
                size_t size, wasm_module **out_module, wasm_error *err)
{
    wasm_error scratch;
    wasm_module *m;
    dec d;

    *out_module = NULL;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    err->func = WASM_NO_INDEX;
    if (!alloc || !alloc->realloc)
        alloc = &mt_default_allocator;
    if (!bytes && size) {
        snprintf(err->msg, sizeof err->msg, "invalid argument");
        return -1;
    }
    if (size > UINT32_MAX) {
        snprintf(err->msg, sizeof err->msg, "module larger than 4 GiB");
        return -1;
    }
    if (!(m = mt_calloc(alloc, 1, sizeof *m))) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return -1;
    }
    m->alloc = *alloc;
    m->start = WASM_NO_INDEX;
    m->size = (uint32_t)size;

    memset(&d, 0, sizeof d);
    d.m = m;
    d.a = &m->alloc;
    d.err = err;
    d.func = WASM_NO_INDEX;
    d.name_section = WASM_NO_INDEX;
    d.locals_left = DEC_LOCALS_BASE + (uint64_t)DEC_LOCALS_PER_BYTE * size;

    if (!(m->bytes = mt_alloc(d.a, size))) {
        dec_oom(&d);
        goto out;
    }
    if (size)
        memcpy(m->bytes, bytes, size);
    d.r.base = d.r.p = m->bytes;
    d.r.end = m->bytes + size;

    if (dec_module(&d) == 0) {
        *out_module = m;
        return 0;
    }
out:
    wasm_module_free(m);
    return -1;
}
