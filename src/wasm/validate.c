/* validate.c - WebAssembly 2.0 module validation.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Follows the core spec, section 3 (Validation) and the appendix
 * "Validation Algorithm": one pass over each code body with an operand
 * stack and a control stack, reading instructions in place from
 * module->bytes with the bounds-checked reader of read.h. Ordinary
 * instructions are typed from the SIG strings of opcodes.def; only those
 * whose signature is SPECIAL are typed by hand here.
 *
 * Map:  context and errors - operand/control stacks - constant expressions -
 *       module components (limits, imports, globals, segments, exports,
 *       start, declared function references) - code bodies - entry point
 *
 * Error classes: code bytes that do not decode (unknown opcode, bad LEB128,
 * truncation, a non-zero reserved byte, a missing data count section) are
 * reported with err->malformed set, as the spec calls them malformed;
 * everything else is "invalid".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../config.h" /* MANTLE_ENABLE_SIMD */
#include "module.h"
#include "read.h"

/* The bottom type of the spec's algorithm: what pops from the polymorphic
 * stack of unreachable code yield. No value type encodes as 0. */
#define VT_UNKNOWN 0

#define MAX_MEMORY_PAGES 65536u

/* ---- Context and errors ------------------------------------------------ */

/* A control frame. `params`/`results` point into module types or into
 * val_single, never into a growable array, so they stay valid while the
 * stacks grow. */
typedef struct val_frame {
    const uint8_t *params;
    const uint8_t *results;
    uint32_t nparams;
    uint32_t nresults;
    uint32_t height;    /* operand stack height when the frame opened */
    uint16_t op;        /* OP_Block (also the function body), OP_Loop,
                           OP_If, OP_Else */
    bool unreachable;   /* the rest of the block is stack-polymorphic */
} val_frame;

/* A SIG_* stack effect as value types, expanded once per wasm_validate
 * call from the strings of opcodes.def so the hot loop does no parsing. */
#define VAL_SIG_MAX 4
typedef struct val_sig {
    uint8_t nparams, nresults;
    uint8_t params[VAL_SIG_MAX];
    uint8_t results[VAL_SIG_MAX];
} val_sig;

typedef struct val_ctx {
    wasm_module *m;
    wasm_error *err;
    uint32_t func;          /* function being checked, or WASM_NO_INDEX */
    uint8_t *vals;          /* operand stack: value types or VT_UNKNOWN */
    uint32_t nvals, cap_vals;
    val_frame *ctrls;
    uint32_t nctrls, cap_ctrls;
    val_sig sigs[SIG__COUNT];
} val_ctx;

/* One-element type lists for block types `valtype`. */
static const uint8_t val_single[] = {VT_I32, VT_I64, VT_F32, VT_F64,
                                     VT_V128, VT_FUNCREF, VT_EXTERNREF};

static const uint8_t *single_type(uint8_t t)
{
    for (size_t i = 0; i < sizeof val_single; i++)
        if (val_single[i] == t)
            return &val_single[i];
    return NULL;
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int val_fail(val_ctx *v, uint32_t offset, bool malformed,
                    const char *fmt, ...)
{
    wasm_error *e = v->err;
    va_list ap;
    e->offset = offset;
    e->func = v->func;
    e->malformed = malformed;
    e->unsupported = false;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* v128 or a SIMD instruction at `offset` in a build without SIMD. */
static int val_no_simd(val_ctx *v, uint32_t offset)
{
    val_fail(v, offset, false, "%s", WASM_NO_SIMD_MSG);
    v->err->unsupported = true;
    return -1;
}

/* A reader error: the reader left the spec's text in r->err. */
static int val_fail_read(val_ctx *v, uint32_t offset, const wasm_reader *r)
{
    return val_fail(v, offset, true, "%s",
                    r->err ? r->err : "unexpected end");
}

static int val_oom(val_ctx *v, uint32_t offset)
{
    return val_fail(v, offset, false, "out of memory");
}

/* ---- Operand and control stacks --------------------------------------- */

static bool grow_vals(val_ctx *v, uint64_t need)
{
    if (need > UINT32_MAX)
        return false;
    void *p = v->vals;
    int rc = mt_grow(&v->m->alloc, &p, &v->cap_vals, (uint32_t)need, 1);
    v->vals = p;
    return rc == 0;
}

static inline bool push_val(val_ctx *v, uint8_t t)
{
    if (v->nvals == v->cap_vals && !grow_vals(v, (uint64_t)v->nvals + 1))
        return false;
    v->vals[v->nvals++] = t;
    return true;
}

static inline bool push_vals(val_ctx *v, const uint8_t *ts, uint32_t n)
{
    if (!n)
        return true;
    if (v->cap_vals - v->nvals < n &&
        !grow_vals(v, (uint64_t)v->nvals + n))
        return false;
    memcpy(v->vals + v->nvals, ts, n);
    v->nvals += n;
    return true;
}

/* Pops one operand expecting `expect` (VT_UNKNOWN: any type) and stores
 * the actual type in *out (VT_UNKNOWN from the polymorphic bottom).
 * Returns false on a type mismatch or an underflow. */
static inline bool pop_val(val_ctx *v, uint8_t expect, uint8_t *out)
{
    const val_frame *f = &v->ctrls[v->nctrls - 1];
    uint8_t t;
    if (v->nvals == f->height) {
        if (!f->unreachable)
            return false;
        t = VT_UNKNOWN;
    } else {
        t = v->vals[--v->nvals];
    }
    if (t != expect && t != VT_UNKNOWN && expect != VT_UNKNOWN)
        return false;
    if (out)
        *out = t;
    return true;
}

static inline bool pop_vals(val_ctx *v, const uint8_t *ts, uint32_t n)
{
    while (n--)
        if (!pop_val(v, ts[n], NULL))
            return false;
    return true;
}

/* Opens a frame whose params were already popped; pushes them back. */
static bool push_ctrl(val_ctx *v, uint16_t op, const uint8_t *params,
                      uint32_t nparams, const uint8_t *results,
                      uint32_t nresults)
{
    if (v->nctrls == v->cap_ctrls) {
        void *p = v->ctrls;
        int rc = mt_grow(&v->m->alloc, &p, &v->cap_ctrls, v->nctrls + 1,
                         sizeof(val_frame));
        v->ctrls = p;
        if (rc)
            return false;
    }
    val_frame *f = &v->ctrls[v->nctrls++];
    f->params = params;
    f->results = results;
    f->nparams = nparams;
    f->nresults = nresults;
    f->height = v->nvals;
    f->op = op;
    f->unreachable = false;
    return push_vals(v, params, nparams);
}

/* Checks the frame's results are exactly what is left above its height. */
static bool pop_ctrl(val_ctx *v, val_frame *out)
{
    val_frame *f = &v->ctrls[v->nctrls - 1];
    if (!pop_vals(v, f->results, f->nresults) || v->nvals != f->height)
        return false;
    *out = *f;
    v->nctrls--;
    return true;
}

static inline void label_types(const val_frame *f, const uint8_t **out_types,
                               uint32_t *out_n)
{
    if (f->op == OP_Loop) {
        *out_types = f->params;
        *out_n = f->nparams;
    } else {
        *out_types = f->results;
        *out_n = f->nresults;
    }
}

static inline void set_unreachable(val_ctx *v)
{
    val_frame *f = &v->ctrls[v->nctrls - 1];
    v->nvals = f->height;
    f->unreachable = true;
}

/* Numeric or vector: what untyped `select` accepts. */
static inline bool is_num(uint8_t t)
{
    return t == VT_I32 || t == VT_I64 || t == VT_F32 || t == VT_F64 ||
           t == VT_V128 || t == VT_UNKNOWN;
}

/* ---- Constant expressions --------------------------------------------- */

/* In a constant expression the context holds only the imported globals
 * (Wasm 2.0, section 3.4.10: context C'), and global.get must name an
 * immutable one. Every instruction must be constant; the expression must
 * leave exactly one value of type `expect`. Fills ce->op/type/value from
 * the (single) instruction. */
static int check_const(val_ctx *v, wasm_constexpr *ce, uint8_t expect)
{
    wasm_module *m = v->m;

    /* Forms the decoder already turned into ref.func (elem segments that
     * list function indices) carry no bytes. */
    if (ce->expr.len == 0 && ce->op == OP_RefFunc) {
        if (ce->value >= m->nfuncs)
            return val_fail(v, ce->expr.off, false, "unknown function %u",
                            (unsigned)ce->value);
        ce->type = VT_FUNCREF;
        if (expect != VT_FUNCREF)
            return val_fail(v, ce->expr.off, false, "type mismatch");
        return 0;
    }
    if ((uint64_t)ce->expr.off + ce->expr.len > m->size)
        return val_fail(v, ce->expr.off, true, "unexpected end");

    wasm_reader r = {m->bytes, m->bytes + ce->expr.off,
                     m->bytes + ce->expr.off + ce->expr.len, NULL};
    uint32_t count = 0;
    uint8_t type = 0;
    for (;;) {
        uint32_t at = rd_offset(&r);
        uint8_t b;
        if (!rd_u8(&r, &b))
            return val_fail_read(v, at, &r);
        if (b == 0x0B)
            break;
        uint16_t op = wasm_op_by_byte[b];
        uint64_t value = 0;
        uint8_t t;
        if (b == 0xFC || b == 0xFD) {
            uint32_t sub;
            if (!rd_u32(&r, &sub))
                return val_fail_read(v, at, &r);
            if (!MANTLE_ENABLE_SIMD && b == 0xFD)
                return val_no_simd(v, at);
            op = wasm_op_prefixed(b, sub);
        }
        switch (op) {
        case OP_V128Const: {
            /* The value is the offset of the 16 bytes in the module. */
            const uint8_t *p;
            value = rd_offset(&r);
            if (!rd_bytes(&r, 16, &p))
                return val_fail_read(v, at, &r);
            t = VT_V128;
            break;
        }
        case OP_I32Const: {
            int32_t x;
            if (!rd_s32(&r, &x))
                return val_fail_read(v, at, &r);
            value = (uint32_t)x;
            t = VT_I32;
            break;
        }
        case OP_I64Const: {
            int64_t x;
            if (!rd_s64(&r, &x))
                return val_fail_read(v, at, &r);
            value = (uint64_t)x;
            t = VT_I64;
            break;
        }
        case OP_F32Const: {
            uint32_t x;
            if (!rd_f32(&r, &x))
                return val_fail_read(v, at, &r);
            value = x;
            t = VT_F32;
            break;
        }
        case OP_F64Const:
            if (!rd_f64(&r, &value))
                return val_fail_read(v, at, &r);
            t = VT_F64;
            break;
        case OP_RefNull:
            if (!rd_u8(&r, &t))
                return val_fail_read(v, at, &r);
            if (!wasm_is_reftype(t))
                return val_fail(v, at, true, "malformed reference type");
            value = t;
            break;
        case OP_RefFunc: {
            uint32_t x;
            if (!rd_u32(&r, &x))
                return val_fail_read(v, at, &r);
            if (x >= m->nfuncs)
                return val_fail(v, at, false, "unknown function %u", x);
            value = x;
            t = VT_FUNCREF;
            break;
        }
        case OP_GlobalGet: {
            uint32_t x;
            if (!rd_u32(&r, &x))
                return val_fail_read(v, at, &r);
            if (x >= m->nglobal_imports)
                return val_fail(v, at, false, "unknown global %u", x);
            if (m->global_types[x].mut)
                return val_fail(v, at, false,
                                "constant expression required");
            value = x;
            t = m->global_types[x].type;
            break;
        }
        default:
            if (op == OP__COUNT)
                return val_fail(v, at, true, "illegal opcode");
            return val_fail(v, at, false, "constant expression required");
        }
        if (count++ == 0) {
            ce->op = op;
            ce->value = value;
        }
        type = t;
    }
    if (r.p != r.end)
        return val_fail(v, rd_offset(&r), true, "section size mismatch");
    if (count != 1 || type != expect)
        return val_fail(v, ce->expr.off, false, "type mismatch");
    ce->type = type;
    return 0;
}

static void declare_const(wasm_module *m, const wasm_constexpr *ce)
{
    if (ce->op == OP_RefFunc && ce->value < m->nfuncs)
        m->func_declared[ce->value] = true;
}

/* ---- Module components ------------------------------------------------- */

static int check_table_type(val_ctx *v, const wasm_tabletype *tt)
{
    if (tt->limits.has_max && tt->limits.min > tt->limits.max)
        return val_fail(v, 0, false,
                        "size minimum must not be greater than maximum");
    return 0;
}

static int check_memory_type(val_ctx *v, const wasm_limits *l)
{
    if (l->min > MAX_MEMORY_PAGES ||
        (l->has_max && l->max > MAX_MEMORY_PAGES))
        return val_fail(v, 0, false,
                        "memory size must be at most 65536 pages (4GiB)");
    if (l->has_max && l->min > l->max)
        return val_fail(v, 0, false,
                        "size minimum must not be greater than maximum");
    return 0;
}

static int check_types_and_imports(val_ctx *v)
{
    wasm_module *m = v->m;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->func_type[i] >= m->ntypes)
            return val_fail(v, 0, false, "unknown type %u", m->func_type[i]);
    for (uint32_t i = 0; i < m->ntables; i++)
        if (check_table_type(v, &m->tables[i]))
            return -1;
    for (uint32_t i = 0; i < m->nmemories; i++)
        if (check_memory_type(v, &m->memories[i]))
            return -1;
    if (m->nmemories > 1)
        return val_fail(v, 0, false, "multiple memories");
    return 0;
}

static int check_globals(val_ctx *v)
{
    wasm_module *m = v->m;
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        wasm_global *g = &m->globals[i - m->nglobal_imports];
        if (check_const(v, &g->init, g->type.type))
            return -1;
    }
    return 0;
}

static int check_elems(val_ctx *v)
{
    wasm_module *m = v->m;
    for (uint32_t i = 0; i < m->nelems; i++) {
        wasm_elem *e = &m->elems[i];
        for (uint32_t j = 0; j < e->count; j++)
            if (check_const(v, &e->items[j], e->elemtype))
                return -1;
        if (e->mode != SEG_ACTIVE)
            continue;
        if (e->table >= m->ntables)
            return val_fail(v, e->offset.expr.off, false, "unknown table %u",
                            e->table);
        if (check_const(v, &e->offset, VT_I32))
            return -1;
        if (m->tables[e->table].elemtype != e->elemtype)
            return val_fail(v, e->offset.expr.off, false, "type mismatch");
    }
    return 0;
}

static int check_datas(val_ctx *v)
{
    wasm_module *m = v->m;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        wasm_data *d = &m->datas[i];
        if (d->mode != SEG_ACTIVE)
            continue;
        if (d->memory >= m->nmemories)
            return val_fail(v, d->offset.expr.off, false,
                            "unknown memory %u", d->memory);
        if (check_const(v, &d->offset, VT_I32))
            return -1;
    }
    return 0;
}

/* An export name and its length: the name may hold U+0000, so strlen is
 * only a floor (for a decoder that leaves name_len zero). */
typedef struct val_name {
    const char *s;
    size_t len;
} val_name;

static int cmp_names(const void *a, const void *b)
{
    const val_name *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int check_exports(val_ctx *v)
{
    wasm_module *m = v->m;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *e = &m->exports[i];
        uint32_t n;
        const char *what;
        switch (e->kind) {
        case EXT_FUNC: n = m->nfuncs; what = "function"; break;
        case EXT_TABLE: n = m->ntables; what = "table"; break;
        case EXT_MEMORY: n = m->nmemories; what = "memory"; break;
        case EXT_GLOBAL: n = m->nglobals; what = "global"; break;
        default: return val_fail(v, 0, true, "malformed export kind");
        }
        if (e->index >= n)
            return val_fail(v, 0, false, "unknown %s %u", what, e->index);
    }
    if (m->nexports < 2)
        return 0;

    /* Sorting names finds duplicates in O(n log n). */
    val_name *names = mt_calloc(&m->alloc, m->nexports, sizeof *names);
    if (!names)
        return val_oom(v, 0);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *e = &m->exports[i];
        names[i].s = e->name ? e->name : "";
        names[i].len = strlen(names[i].s);
        if (e->name && e->name_len > names[i].len)
            names[i].len = e->name_len;
    }
    qsort(names, m->nexports, sizeof *names, cmp_names);
    int rc = 0;
    for (uint32_t i = 1; i < m->nexports; i++) {
        if (cmp_names(&names[i - 1], &names[i]) == 0) {
            rc = val_fail(v, 0, false, "duplicate export name");
            break;
        }
    }
    mt_free(&m->alloc, names);
    return rc;
}

static int check_start(val_ctx *v)
{
    wasm_module *m = v->m;
    if (m->start == WASM_NO_INDEX)
        return 0;
    if (m->start >= m->nfuncs)
        return val_fail(v, 0, false, "unknown function %u", m->start);
    const wasm_functype *ft = &m->types[m->func_type[m->start]];
    if (ft->nparams || ft->nresults)
        return val_fail(v, 0, false, "start function");
    return 0;
}

/* C.refs (section 3.4.10): the functions a ref.func in code may name are
 * those referenced anywhere in the module outside function bodies and the
 * start function: exports, global initialisers, element segments (and,
 * for completeness, segment offsets). Requires validated const exprs. */
static int compute_declared(val_ctx *v)
{
    wasm_module *m = v->m;
    mt_free(&m->alloc, m->func_declared);
    m->func_declared = mt_calloc(&m->alloc, m->nfuncs, sizeof(bool));
    if (!m->func_declared)
        return val_oom(v, 0);
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == EXT_FUNC)
            m->func_declared[m->exports[i].index] = true;
    for (uint32_t i = 0; i < m->nglobals - m->nglobal_imports; i++)
        declare_const(m, &m->globals[i].init);
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem *e = &m->elems[i];
        for (uint32_t j = 0; j < e->count; j++)
            declare_const(m, &e->items[j]);
        if (e->mode == SEG_ACTIVE)
            declare_const(m, &e->offset);
    }
    for (uint32_t i = 0; i < m->ndatas; i++)
        if (m->datas[i].mode == SEG_ACTIVE)
            declare_const(m, &m->datas[i].offset);
    return 0;
}

/* ---- Code bodies ------------------------------------------------------- */

/* Reads a block type: 0x40 (empty), a value type, or an s33 type index. */
static int read_blocktype(val_ctx *v, wasm_reader *r, uint32_t at,
                          val_frame *out)
{
    wasm_module *m = v->m;
    out->params = NULL;
    out->nparams = 0;
    out->results = NULL;
    out->nresults = 0;
    if (r->p >= r->end)
        return val_fail(v, at, true, "unexpected end");
    uint8_t b = *r->p;
    if (b == 0x40) {
        r->p++;
        return 0;
    }
    if (wasm_is_valtype(b)) {
        if (!MANTLE_ENABLE_SIMD && b == VT_V128)
            return val_no_simd(v, at);
        r->p++;
        out->results = single_type(b);
        out->nresults = 1;
        return 0;
    }
    int64_t x;
    if (!rd_sleb(r, 33, &x))
        return val_fail_read(v, at, r);
    if (x < 0)
        return val_fail(v, at, true, "malformed value type");
    if ((uint64_t)x >= m->ntypes)
        return val_fail(v, at, false, "unknown type %u", (unsigned)x);
    const wasm_functype *ft = &m->types[x];
    out->params = WASM_FT_PARAMS(ft);
    out->nparams = ft->nparams;
    out->results = WASM_FT_RESULTS(ft);
    out->nresults = ft->nresults;
    return 0;
}

/* A body that ends before its final `end`. The texts follow the reference
 * decoder, which reads on into what follows the body (binary.wast). */
static int fail_body_end(val_ctx *v, uint32_t fidx, uint32_t at)
{
    return val_fail(v, at, true, "%s",
                    fidx + 1 == v->m->nfuncs
                        ? "unexpected end of section or function"
                        : "END opcode expected");
}

/* Decodes a body without typing it. The spec decodes the whole module
 * before validating any of it, so a malformed encoding anywhere in the code
 * must win over an invalid instruction earlier on (binary.wast). Only runs
 * once validation has already failed. */
static int skim_code(val_ctx *v, uint32_t fidx)
{
    wasm_module *m = v->m;
    const wasm_func *fn = &m->funcs[fidx - m->nfunc_imports];
    uint32_t depth = 1, x;
    uint8_t b;

    v->func = fidx;
    if ((uint64_t)fn->body.off + fn->body.len > m->size)
        return val_fail(v, fn->body_start, true, "unexpected end");
    wasm_reader r = {m->bytes, m->bytes + fn->body.off,
                     m->bytes + fn->body.off + fn->body.len, NULL};
#define READ(call)                                                         \
    do {                                                                   \
        if (!(call))                                                       \
            return val_fail_read(v, at, &r);                               \
    } while (0)
#define ZERO()                                                             \
    do {                                                                   \
        READ(rd_u8(&r, &b));                                               \
        if (b != 0)                                                        \
            return val_fail(v, at, true, "zero byte expected");            \
    } while (0)
    for (;;) {
        uint32_t at = rd_offset(&r);
        if (r.p >= r.end)
            return fail_body_end(v, fidx, at);
        b = *r.p++;
        uint16_t op = wasm_op_by_byte[b];
        if (b == 0xFC || b == 0xFD) {
            READ(rd_u32(&r, &x));
            op = wasm_op_prefixed(b, x);
        }
        if (op >= OP__COUNT)
            return val_fail(v, at, true, "illegal opcode");
        switch (wasm_opinfos[op].imm) {
        case IMM_NONE:
            if (op == OP_End && --depth == 0) {
                if (r.p != r.end)
                    return val_fail(v, rd_offset(&r), true,
                                    "section size mismatch");
                return 0;
            }
            break;
        case IMM_BLOCKTYPE: {
            int64_t bt;
            if (r.p < r.end && (*r.p == 0x40 || wasm_is_valtype(*r.p))) {
                r.p++;
            } else {
                READ(rd_sleb(&r, 33, &bt));
                if (bt < 0)
                    return val_fail(v, at, true, "malformed value type");
            }
            depth++;
            break;
        }
        case IMM_BR_TABLE: {
            uint32_t n;
            READ(rd_u32(&r, &n));
            for (uint64_t i = 0; i <= n; i++)
                READ(rd_u32(&r, &x));
            break;
        }
        case IMM_SELECT_T: {
            uint32_t n;
            READ(rd_u32(&r, &n));
            for (uint32_t i = 0; i < n; i++) {
                READ(rd_u8(&r, &b));
                if (!wasm_is_valtype(b))
                    return val_fail(v, at, true, "malformed value type");
            }
            break;
        }
        case IMM_CALL_INDIRECT:
        case IMM_MEMARG:
        case IMM_TABLE_INIT:
        case IMM_TABLE_COPY:
            READ(rd_u32(&r, &x));
            READ(rd_u32(&r, &x));
            break;
        case IMM_MEMIDX:
            ZERO();
            break;
        case IMM_MEMORY_INIT:
            READ(rd_u32(&r, &x));
            ZERO();
            break;
        case IMM_MEMORY_COPY:
            ZERO();
            ZERO();
            break;
        case IMM_I64: {
            int64_t c;
            READ(rd_s64(&r, &c));
            break;
        }
        case IMM_F32:
        case IMM_F64: {
            const uint8_t *p;
            READ(rd_bytes(&r, wasm_opinfos[op].imm == IMM_F32 ? 4 : 8, &p));
            break;
        }
        case IMM_I32: {
            int32_t c;
            READ(rd_s32(&r, &c));
            break;
        }
        case IMM_REFTYPE:
            READ(rd_u8(&r, &b));
            if (!wasm_is_reftype(b))
                return val_fail(v, at, true, "malformed reference type");
            break;
        case IMM_V128:
        case IMM_SHUFFLE: {
            const uint8_t *p;
            READ(rd_bytes(&r, 16, &p));
            break;
        }
        case IMM_LANE:
            READ(rd_u8(&r, &b));
            break;
        case IMM_MEMARG_LANE:
            READ(rd_u32(&r, &x));
            READ(rd_u32(&r, &x));
            READ(rd_u8(&r, &b));
            break;
        default:  /* one u32 index */
            READ(rd_u32(&r, &x));
            break;
        }
    }
#undef READ
#undef ZERO
}

/* Validates the body of defined function `fidx` (full index space). */
static int check_code(val_ctx *v, uint32_t fidx)
{
    wasm_module *m = v->m;
    const wasm_func *fn = &m->funcs[fidx - m->nfunc_imports];
    const wasm_functype *ft = &m->types[m->func_type[fidx]];
    const uint32_t nparams = ft->nparams;
    const uint64_t nlocals = (uint64_t)nparams + fn->nlocals;
    const bool has_mem = m->nmemories > 0;

    v->func = fidx;
    v->nvals = 0;
    v->nctrls = 0;
    if ((uint64_t)fn->body.off + fn->body.len > m->size)
        return val_fail(v, fn->body_start, true, "unexpected end");
    if (!push_ctrl(v, OP_Block, NULL, 0, WASM_FT_RESULTS(ft), ft->nresults))
        return val_oom(v, fn->body.off);

    wasm_reader r = {m->bytes, m->bytes + fn->body.off,
                     m->bytes + fn->body.off + fn->body.len, NULL};
    uint32_t at = fn->body.off;  /* offset of the current instruction */
    uint32_t x, y;               /* index immediates */
    uint8_t t, t1, t2;
    val_frame bt, f;
    const uint8_t *lt;
    uint32_t ln;

/* Macros for the common failure exits of the loop below. */
#define READ(call)                                                         \
    do {                                                                   \
        if (!(call))                                                       \
            return val_fail_read(v, at, &r);                               \
    } while (0)
#define POP(ty)                                                            \
    do {                                                                   \
        if (!pop_val(v, (ty), NULL))                                       \
            goto mismatch;                                                 \
    } while (0)
#define PUSH(ty)                                                           \
    do {                                                                   \
        if (!push_val(v, (ty)))                                            \
            goto oom;                                                      \
    } while (0)
#define NEED_MEMORY()                                                      \
    do {                                                                   \
        if (!has_mem)                                                      \
            return val_fail(v, at, false, "unknown memory 0");             \
    } while (0)
#define NEED_TABLE(i)                                                      \
    do {                                                                   \
        if ((i) >= m->ntables)                                             \
            return val_fail(v, at, false, "unknown table %u", (i));        \
    } while (0)
#define NEED_ELEM(i)                                                       \
    do {                                                                   \
        if ((i) >= m->nelems)                                              \
            return val_fail(v, at, false, "unknown elem segment %u", (i)); \
    } while (0)
#define NEED_DATACOUNT()                                                   \
    do {                                                                   \
        if (!m->has_datacount)                                             \
            return val_fail(v, at, true, "data count section required");   \
    } while (0)
#define NEED_DATA(i)                                                       \
    do {                                                                   \
        if ((i) >= m->ndatas)                                              \
            return val_fail(v, at, false, "unknown data segment %u", (i)); \
    } while (0)
#define NEED_ZERO()                                                        \
    do {                                                                   \
        uint8_t z_;                                                        \
        READ(rd_u8(&r, &z_));                                              \
        if (z_ != 0)                                                       \
            return val_fail(v, at, true, "zero byte expected");            \
    } while (0)
#define LOCAL_TYPE(i)                                                      \
    ((i) < nparams ? ft->types[(i)] : fn->local_types[(i) - nparams])

    for (;;) {
        at = rd_offset(&r);
        if (r.p >= r.end)
            return fail_body_end(v, fidx, at);
        uint8_t b = *r.p++;
        uint16_t op = wasm_op_by_byte[b];
        if (b == 0xFC || b == 0xFD) {
            uint32_t sub;
            READ(rd_u32(&r, &sub));
            if (!MANTLE_ENABLE_SIMD && b == 0xFD)
                return val_no_simd(v, at);
            op = wasm_op_prefixed(b, sub);
        }
        if (op >= OP__COUNT)
            return val_fail(v, at, true, "illegal opcode");
        const wasm_opinfo *info = &wasm_opinfos[op];

        if (info->sig != SIG_SPECIAL) {
            switch (info->imm) {
            case IMM_NONE:
                break;
            case IMM_I32: {
                int32_t c;
                READ(rd_s32(&r, &c));
                break;
            }
            case IMM_I64: {
                int64_t c;
                READ(rd_s64(&r, &c));
                break;
            }
            case IMM_F32: {
                uint32_t c;
                READ(rd_f32(&r, &c));
                break;
            }
            case IMM_F64: {
                uint64_t c;
                READ(rd_f64(&r, &c));
                break;
            }
            case IMM_MEMARG: {
                uint32_t align, offset;
                READ(rd_u32(&r, &align));
                READ(rd_u32(&r, &offset));
                NEED_MEMORY();
                if (align > info->arg)
                    return val_fail(v, at, false,
                                    "alignment must not be larger than "
                                    "natural");
                break;
            }
            case IMM_MEMIDX:
                NEED_ZERO();
                NEED_MEMORY();
                break;
            case IMM_V128: {
                const uint8_t *p;
                READ(rd_bytes(&r, 16, &p));
                break;
            }
            case IMM_LANE: {
                uint8_t lane;
                READ(rd_u8(&r, &lane));
                if (lane >= 16u >> info->arg)
                    return val_fail(v, at, false, "invalid lane index");
                break;
            }
            case IMM_SHUFFLE: {
                const uint8_t *p;
                READ(rd_bytes(&r, 16, &p));
                for (int i = 0; i < 16; i++)
                    if (p[i] >= 32)
                        return val_fail(v, at, false, "invalid lane index");
                break;
            }
            case IMM_MEMARG_LANE: {
                uint32_t align, offset;
                uint8_t lane;
                READ(rd_u32(&r, &align));
                READ(rd_u32(&r, &offset));
                READ(rd_u8(&r, &lane));
                NEED_MEMORY();
                if (align > info->arg)
                    return val_fail(v, at, false,
                                    "alignment must not be larger than "
                                    "natural");
                if (lane >= 16u >> info->arg)
                    return val_fail(v, at, false, "invalid lane index");
                break;
            }
            /* A missing data count section is malformed (the reference
             * decoder's check), but wast2json omits the section from
             * modules without data, whose assert_invalid tests expect the
             * index errors: those come first. */
            case IMM_MEMORY_INIT:
                READ(rd_u32(&r, &x));
                NEED_ZERO();
                NEED_MEMORY();
                NEED_DATA(x);
                NEED_DATACOUNT();
                break;
            case IMM_DATA:
                READ(rd_u32(&r, &x));
                NEED_DATA(x);
                NEED_DATACOUNT();
                break;
            case IMM_MEMORY_COPY:
                NEED_ZERO();
                NEED_ZERO();
                NEED_MEMORY();
                break;
            case IMM_TABLE_INIT:
                READ(rd_u32(&r, &x));  /* elem */
                READ(rd_u32(&r, &y));  /* table */
                NEED_TABLE(y);
                NEED_ELEM(x);
                if (m->tables[y].elemtype != m->elems[x].elemtype)
                    goto mismatch;
                break;
            case IMM_ELEM:
                READ(rd_u32(&r, &x));
                NEED_ELEM(x);
                break;
            case IMM_TABLE_COPY:
                READ(rd_u32(&r, &x));  /* destination */
                READ(rd_u32(&r, &y));  /* source */
                NEED_TABLE(x);
                NEED_TABLE(y);
                if (m->tables[x].elemtype != m->tables[y].elemtype)
                    goto mismatch;
                break;
            default:
                /* opcodes.def pairs no other immediate with a plain sig */
                return val_fail(v, at, true, "illegal opcode");
            }
            const val_sig *sg = &v->sigs[info->sig];
            if (!pop_vals(v, sg->params, sg->nparams))
                goto mismatch;
            if (!push_vals(v, sg->results, sg->nresults))
                goto oom;
            continue;
        }

        switch (op) {
        case OP_Unreachable:
            set_unreachable(v);
            break;

        case OP_Block:
        case OP_Loop:
        case OP_If:
            if (read_blocktype(v, &r, at, &bt))
                return -1;
            if (op == OP_If)
                POP(VT_I32);
            if (!pop_vals(v, bt.params, bt.nparams))
                goto mismatch;
            if (!push_ctrl(v, op, bt.params, bt.nparams, bt.results,
                           bt.nresults))
                goto oom;
            break;

        case OP_Else:
            if (v->ctrls[v->nctrls - 1].op != OP_If)
                return val_fail(v, at, true, "illegal opcode");
            if (!pop_ctrl(v, &f))
                goto mismatch;
            if (!push_ctrl(v, OP_Else, f.params, f.nparams, f.results,
                           f.nresults))
                goto oom;
            break;

        case OP_End:
            if (!pop_ctrl(v, &f))
                goto mismatch;
            /* `if` without `else` has an empty else branch: [t1*] -> [t2*]
             * must then be an identity. */
            if (f.op == OP_If &&
                (f.nparams != f.nresults ||
                 (f.nparams && memcmp(f.params, f.results, f.nparams))))
                goto mismatch;
            if (v->nctrls == 0) {
                if (r.p != r.end)
                    return val_fail(v, rd_offset(&r), true,
                                    "section size mismatch");
                return 0;
            }
            if (!push_vals(v, f.results, f.nresults))
                goto oom;
            break;

        case OP_Br:
            READ(rd_u32(&r, &x));
            if (x >= v->nctrls)
                return val_fail(v, at, false, "unknown label");
            label_types(&v->ctrls[v->nctrls - 1 - x], &lt, &ln);
            if (!pop_vals(v, lt, ln))
                goto mismatch;
            set_unreachable(v);
            break;

        case OP_BrIf:
            READ(rd_u32(&r, &x));
            if (x >= v->nctrls)
                return val_fail(v, at, false, "unknown label");
            POP(VT_I32);
            label_types(&v->ctrls[v->nctrls - 1 - x], &lt, &ln);
            if (!pop_vals(v, lt, ln))
                goto mismatch;
            if (!push_vals(v, lt, ln))
                goto oom;
            break;

        case OP_BrTable: {
            uint32_t n, def, arity;
            READ(rd_u32(&r, &n));
            /* The default label follows the vector: skip to it, then
             * check the vector in a second pass over the same bytes. */
            wasm_reader labels = r;
            for (uint32_t i = 0; i < n; i++)
                READ(rd_u32(&r, &x));
            READ(rd_u32(&r, &def));
            if (def >= v->nctrls)
                return val_fail(v, at, false, "unknown label");
            POP(VT_I32);
            label_types(&v->ctrls[v->nctrls - 1 - def], &lt, &arity);
            for (uint32_t i = 0; i < n; i++) {
                const uint8_t *lt2;
                uint32_t ln2;
                if (!rd_u32(&labels, &x))
                    return val_fail_read(v, at, &labels);
                if (x >= v->nctrls)
                    return val_fail(v, at, false, "unknown label");
                label_types(&v->ctrls[v->nctrls - 1 - x], &lt2, &ln2);
                if (ln2 != arity)
                    goto mismatch;
                /* push_vals(pop_vals(...)): pops only lower the height
                 * and never overwrite, so restoring it pushes back
                 * exactly what was popped. */
                uint32_t h = v->nvals;
                if (!pop_vals(v, lt2, ln2))
                    goto mismatch;
                v->nvals = h;
            }
            if (!pop_vals(v, lt, arity))
                goto mismatch;
            set_unreachable(v);
            break;
        }

        case OP_Return:
            if (!pop_vals(v, WASM_FT_RESULTS(ft), ft->nresults))
                goto mismatch;
            set_unreachable(v);
            break;

        case OP_Call: {
            READ(rd_u32(&r, &x));
            if (x >= m->nfuncs)
                return val_fail(v, at, false, "unknown function %u", x);
            const wasm_functype *ct = &m->types[m->func_type[x]];
            if (!pop_vals(v, WASM_FT_PARAMS(ct), ct->nparams))
                goto mismatch;
            if (!push_vals(v, WASM_FT_RESULTS(ct), ct->nresults))
                goto oom;
            break;
        }

        case OP_CallIndirect: {
            READ(rd_u32(&r, &y));  /* type */
            READ(rd_u32(&r, &x));  /* table */
            NEED_TABLE(x);
            if (y >= m->ntypes)
                return val_fail(v, at, false, "unknown type %u", y);
            if (m->tables[x].elemtype != VT_FUNCREF)
                goto mismatch;
            const wasm_functype *ct = &m->types[y];
            POP(VT_I32);
            if (!pop_vals(v, WASM_FT_PARAMS(ct), ct->nparams))
                goto mismatch;
            if (!push_vals(v, WASM_FT_RESULTS(ct), ct->nresults))
                goto oom;
            break;
        }

        case OP_Drop:
            POP(VT_UNKNOWN);
            break;

        case OP_Select:
            POP(VT_I32);
            if (!pop_val(v, VT_UNKNOWN, &t1) || !pop_val(v, VT_UNKNOWN, &t2))
                goto mismatch;
            if (!is_num(t1) || !is_num(t2))
                goto mismatch;
            if (t1 != t2 && t1 != VT_UNKNOWN && t2 != VT_UNKNOWN)
                goto mismatch;
            PUSH(t1 == VT_UNKNOWN ? t2 : t1);
            break;

        case OP_SelectT:
            READ(rd_u32(&r, &x));
            if (x != 1)
                return val_fail(v, at, false, "invalid result arity");
            READ(rd_u8(&r, &t));
            if (!wasm_is_valtype(t))
                return val_fail(v, at, true, "malformed value type");
            if (!MANTLE_ENABLE_SIMD && t == VT_V128)
                return val_no_simd(v, at);
            POP(VT_I32);
            POP(t);
            POP(t);
            PUSH(t);
            break;

        case OP_LocalGet:
        case OP_LocalSet:
        case OP_LocalTee:
            READ(rd_u32(&r, &x));
            if (x >= nlocals)
                return val_fail(v, at, false, "unknown local %u", x);
            t = LOCAL_TYPE(x);
            if (op != OP_LocalGet)
                POP(t);
            if (op != OP_LocalSet)
                PUSH(t);
            break;

        case OP_GlobalGet:
        case OP_GlobalSet:
            READ(rd_u32(&r, &x));
            if (x >= m->nglobals)
                return val_fail(v, at, false, "unknown global %u", x);
            t = m->global_types[x].type;
            if (op == OP_GlobalGet) {
                PUSH(t);
            } else {
                if (!m->global_types[x].mut)
                    return val_fail(v, at, false, "global is immutable");
                POP(t);
            }
            break;

        case OP_TableGet:
            READ(rd_u32(&r, &x));
            NEED_TABLE(x);
            POP(VT_I32);
            PUSH(m->tables[x].elemtype);
            break;

        case OP_TableSet:
            READ(rd_u32(&r, &x));
            NEED_TABLE(x);
            POP(m->tables[x].elemtype);
            POP(VT_I32);
            break;

        case OP_TableSize:
            READ(rd_u32(&r, &x));
            NEED_TABLE(x);
            PUSH(VT_I32);
            break;

        case OP_TableGrow:
            READ(rd_u32(&r, &x));
            NEED_TABLE(x);
            POP(VT_I32);
            POP(m->tables[x].elemtype);
            PUSH(VT_I32);
            break;

        case OP_TableFill:
            READ(rd_u32(&r, &x));
            NEED_TABLE(x);
            POP(VT_I32);
            POP(m->tables[x].elemtype);
            POP(VT_I32);
            break;

        case OP_RefNull:
            READ(rd_u8(&r, &t));
            if (!wasm_is_reftype(t))
                return val_fail(v, at, true, "malformed reference type");
            PUSH(t);
            break;

        case OP_RefIsNull:
            if (!pop_val(v, VT_UNKNOWN, &t))
                goto mismatch;
            if (t != VT_UNKNOWN && !wasm_is_reftype(t))
                goto mismatch;
            PUSH(VT_I32);
            break;

        case OP_RefFunc:
            READ(rd_u32(&r, &x));
            if (x >= m->nfuncs)
                return val_fail(v, at, false, "unknown function %u", x);
            if (!m->func_declared[x])
                return val_fail(v, at, false,
                                "undeclared function reference");
            PUSH(VT_FUNCREF);
            break;

        default:
            /* A SPECIAL opcode without a case: a table/validator skew. */
            return val_fail(v, at, true, "illegal opcode");
        }
    }

mismatch:
    return val_fail(v, at, false, "type mismatch");
oom:
    return val_oom(v, at);

#undef READ
#undef POP
#undef PUSH
#undef NEED_MEMORY
#undef NEED_TABLE
#undef NEED_ELEM
#undef NEED_DATACOUNT
#undef NEED_DATA
#undef NEED_ZERO
#undef LOCAL_TYPE
}

/* ---- Entry point ------------------------------------------------------- */

static bool expand_sigs(val_ctx *v)
{
    for (unsigned i = 0; i < SIG__COUNT; i++) {
        const char *ps = wasm_sig_params[i], *rs = wasm_sig_results[i];
        size_t np = strlen(ps), nr = strlen(rs);
        if (np > VAL_SIG_MAX || nr > VAL_SIG_MAX)
            return false;
        val_sig *sg = &v->sigs[i];
        sg->nparams = (uint8_t)np;
        sg->nresults = (uint8_t)nr;
        for (size_t k = 0; k < np; k++)
            sg->params[k] = wasm_sig_letter_type(ps[k]);
        for (size_t k = 0; k < nr; k++)
            sg->results[k] = wasm_sig_letter_type(rs[k]);
    }
    return true;
}

int wasm_validate(wasm_module *m, wasm_error *err)
{
    wasm_error scratch;
    val_ctx v = {0};
    int rc = -1;

    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    err->func = WASM_NO_INDEX;
    v.m = m;
    v.err = err;
    v.func = WASM_NO_INDEX;
    m->validated = false;

    if (!expand_sigs(&v)) {
        val_fail(&v, 0, false, "internal error: opcode signature too long");
        goto out;
    }
    if (check_types_and_imports(&v) || check_globals(&v) ||
        check_elems(&v) || check_datas(&v) || check_exports(&v) ||
        check_start(&v) || compute_declared(&v))
        goto out;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        if (check_code(&v, i))
            goto out;
    m->validated = true;
    rc = 0;
out:
    if (rc && !err->malformed && !m->validated) {
        /* Malformed code anywhere outranks this error (see skim_code). */
        wasm_error first = *err;
        bool found = false;
        for (uint32_t i = m->nfunc_imports; i < m->nfuncs && !found; i++)
            found = skim_code(&v, i) != 0;
        if (!found)
            *err = first;
    }
    mt_free(&m->alloc, v.vals);
    mt_free(&m->alloc, v.ctrls);
    return rc;
}
