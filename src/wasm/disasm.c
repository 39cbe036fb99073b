/* disasm.c - a function's code as flat text-format instructions, from opcodes.def.
 * SPDX-License-Identifier: Apache-2.0
 *
 * One instruction per line, indented two spaces per block level, names and
 * immediates in the text format's syntax (floats as exact hex literals), so
 * the output reads like wasm2wat's flat form. Works on any decoded module:
 * a body that does not decode ends the listing with a ";; malformed" line.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "module.h"
#include "read.h"

typedef struct dis_out {
    int (*write)(void *ctx, const char *text, size_t len);
    void *ctx;
    int status;          /* first nonzero write result */
    char buf[512];
    size_t len;
} dis_out;

static void flush(dis_out *o)
{
    if (o->len && o->status == 0)
        o->status = o->write(o->ctx, o->buf, o->len);
    o->len = 0;
}

static void put(dis_out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(dis_out *o, const char *fmt, ...)
{
    char tmp[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
    if (o->len + len > sizeof o->buf)
        flush(o);
    memcpy(o->buf + o->len, tmp, len);
    o->len += len;
}

static void put_f32(dis_out *o, uint32_t bits)
{
    const char *sign = bits >> 31 ? "-" : "";
    uint32_t mant = bits & 0x7FFFFF;
    if ((bits & 0x7F800000) == 0x7F800000) {
        if (!mant)
            put(o, " %sinf", sign);
        else if (mant == 0x400000)
            put(o, " %snan", sign);
        else
            put(o, " %snan:0x%" PRIx32, sign, mant);
        return;
    }
    float f;
    memcpy(&f, &bits, 4);
    put(o, " %a", (double)f);
}

static void put_f64(dis_out *o, uint64_t bits)
{
    const char *sign = bits >> 63 ? "-" : "";
    uint64_t mant = bits & UINT64_C(0xFFFFFFFFFFFFF);
    if ((bits & UINT64_C(0x7FF0000000000000)) == UINT64_C(0x7FF0000000000000)) {
        if (!mant)
            put(o, " %sinf", sign);
        else if (mant == UINT64_C(0x8000000000000))
            put(o, " %snan", sign);
        else
            put(o, " %snan:0x%" PRIx64, sign, mant);
        return;
    }
    double d;
    memcpy(&d, &bits, 8);
    put(o, " %a", d);
}

static void put_type(dis_out *o, const char *what, const uint8_t *t, uint32_t n)
{
    if (!n)
        return;
    put(o, " (%s", what);
    for (uint32_t i = 0; i < n; i++)
        put(o, " %s", wasm_valtype_name(t[i]));
    put(o, ")");
}

static void put_indent(dis_out *o, uint32_t depth)
{
    for (uint32_t i = 0; i < depth && i < 64; i++)
        put(o, "  ");
}

/* Immediates of `op`; false if the bytes do not decode. */
static bool immediates(dis_out *o, wasm_reader *r, uint16_t op)
{
    const wasm_opinfo *info = &wasm_opinfos[op];
    uint32_t x, y, n;
    uint8_t b;
    int32_t s32;
    int64_t s64;
    uint64_t u64;
    const uint8_t *p;
    switch (info->imm) {
    case IMM_NONE:
    case IMM_MEMIDX:
    case IMM_MEMORY_COPY:
        if (info->imm == IMM_MEMIDX && !rd_u8(r, &b))
            return false;
        if (info->imm == IMM_MEMORY_COPY && !(rd_u8(r, &b) && rd_u8(r, &b)))
            return false;
        return true;
    case IMM_BLOCKTYPE:
        if (r->p < r->end && *r->p == 0x40) {
            r->p++;
            return true;
        }
        if (r->p < r->end && wasm_is_valtype(*r->p)) {
            put(o, " (result %s)", wasm_valtype_name(*r->p++));
            return true;
        }
        if (!rd_sleb(r, 33, &s64))
            return false;
        put(o, " (type %" PRId64 ")", s64);
        return true;
    case IMM_BR_TABLE:
        if (!rd_u32(r, &n))
            return false;
        for (uint64_t i = 0; i <= n; i++) {
            if (!rd_u32(r, &x))
                return false;
            put(o, " %" PRIu32, x);
        }
        return true;
    case IMM_CALL_INDIRECT:
        if (!rd_u32(r, &x) || !rd_u32(r, &y))
            return false;
        if (y)
            put(o, " %" PRIu32, y);
        put(o, " (type %" PRIu32 ")", x);
        return true;
    case IMM_SELECT_T:
        if (!rd_u32(r, &n))
            return false;
        put(o, " (result");
        for (uint32_t i = 0; i < n; i++) {
            if (!rd_u8(r, &b))
                return false;
            put(o, " %s", wasm_valtype_name(b));
        }
        put(o, ")");
        return true;
    case IMM_MEMARG:
    case IMM_MEMARG_LANE:
        if (!rd_u32(r, &x) || !rd_u32(r, &y))
            return false;
        if (y)
            put(o, " offset=%" PRIu32, y);
        if (x != info->arg)
            put(o, " align=%" PRIu64, x < 64 ? UINT64_C(1) << x : 0);
        if (info->imm == IMM_MEMARG_LANE) {
            if (!rd_u8(r, &b))
                return false;
            put(o, " %u", b);
        }
        return true;
    case IMM_I32:
        if (!rd_s32(r, &s32))
            return false;
        put(o, " %" PRId32, s32);
        return true;
    case IMM_I64:
        if (!rd_s64(r, &s64))
            return false;
        put(o, " %" PRId64, s64);
        return true;
    case IMM_F32:
        if (!rd_f32(r, &x))
            return false;
        put_f32(o, x);
        return true;
    case IMM_F64:
        if (!rd_f64(r, &u64))
            return false;
        put_f64(o, u64);
        return true;
    case IMM_REFTYPE:
        if (!rd_u8(r, &b))
            return false;
        put(o, " %s", b == VT_FUNCREF ? "func" : b == VT_EXTERNREF ? "extern"
                                                                   : "?");
        return true;
    case IMM_MEMORY_INIT:
        if (!rd_u32(r, &x) || !rd_u8(r, &b))
            return false;
        put(o, " %" PRIu32, x);
        return true;
    case IMM_TABLE_INIT:
        if (!rd_u32(r, &x) || !rd_u32(r, &y))
            return false;
        if (y)
            put(o, " %" PRIu32, y);
        put(o, " %" PRIu32, x);
        return true;
    case IMM_TABLE_COPY:
        if (!rd_u32(r, &x) || !rd_u32(r, &y))
            return false;
        if (x || y)
            put(o, " %" PRIu32 " %" PRIu32, x, y);
        return true;
    case IMM_V128:
        if (!rd_bytes(r, 16, &p))
            return false;
        put(o, " i32x4");
        for (int i = 0; i < 16; i += 4)
            put(o, " 0x%08" PRIx32,
                (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
                    (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24);
        return true;
    case IMM_LANE:
        if (!rd_u8(r, &b))
            return false;
        put(o, " %u", b);
        return true;
    case IMM_SHUFFLE:
        if (!rd_bytes(r, 16, &p))
            return false;
        for (int i = 0; i < 16; i++)
            put(o, " %u", p[i]);
        return true;
    default: /* one u32 index: label, func, local, global, table, data, elem */
        if (!rd_u32(r, &x))
            return false;
        put(o, " %" PRIu32, x);
        return true;
    }
}

/* The opcode at r: single byte, or a prefix byte and LEB128 sub-opcode
 * matched against opcodes.def's code column. */
static uint16_t read_op(wasm_reader *r)
{
    uint8_t b;
    uint32_t sub;
    if (!rd_u8(r, &b))
        return OP__COUNT;
    if (wasm_op_by_byte[b] != OP__COUNT || b < 0xFB)
        return wasm_op_by_byte[b];
    if (!rd_u32(r, &sub))
        return OP__COUNT;
    if (b == 0xFC && sub < WASM_FC_COUNT)
        return wasm_op_by_fc[sub];
    /* other prefixes: search the table (0xPPnn or 0xPP0000|n codes) */
    for (uint16_t op = 0; op < OP__COUNT; op++) {
        uint32_t c = wasm_opinfos[op].code;
        if ((c > 0xFFFF && c >> 16 == b && (c & 0xFFFF) == sub) ||
            (c > 0xFF && c <= 0xFFFF && c >> 8 == b && (c & 0xFF) == sub))
            return op;
    }
    return OP__COUNT;
}

int wasm_disasm_func(const wasm_module *m, uint32_t func,
                     int (*write)(void *ctx, const char *text, size_t len),
                     void *ctx)
{
    dis_out o = {write, ctx, 0, {0}, 0};
    if (func >= m->nfuncs)
        return -1;
    uint32_t ti = m->func_type[func];
    const wasm_functype *ft = ti < m->ntypes ? &m->types[ti] : NULL;
    const char *name = m->func_names ? m->func_names[func] : NULL;

    put(&o, "(func");
    if (name)
        put(&o, " $%.100s", name);
    put(&o, " (;%" PRIu32 ";) (type %" PRIu32 ")", func, ti);
    if (ft) {
        put_type(&o, "param", WASM_FT_PARAMS(ft), ft->nparams);
        put_type(&o, "result", WASM_FT_RESULTS(ft), ft->nresults);
    }
    if (func < m->nfunc_imports) {
        put(&o, " (import))\n");
        flush(&o);
        return o.status;
    }
    put(&o, "\n");
    const wasm_func *f = &m->funcs[func - m->nfunc_imports];
    if (f->nlocals) {
        put(&o, "  (local");
        for (uint32_t i = 0; i < f->nlocals; i++)
            put(&o, " %s", wasm_valtype_name(f->local_types[i]));
        put(&o, ")\n");
    }
    wasm_reader r = {m->bytes, m->bytes + f->body.off,
                     m->bytes + f->body.off + f->body.len, NULL};
    uint32_t depth = 1;
    while (r.p < r.end && o.status == 0) {
        uint16_t op = read_op(&r);
        if (op >= OP__COUNT) {
            put(&o, "  ;; malformed opcode\n");
            break;
        }
        if (op == OP_End) {
            if (--depth == 0)
                break;
        }
        put_indent(&o, op == OP_Else ? depth - 1 : depth);
        put(&o, "%s", wasm_opinfos[op].text);
        if (!immediates(&o, &r, op)) {
            put(&o, " ;; malformed immediate\n");
            break;
        }
        put(&o, "\n");
        if (op == OP_Block || op == OP_Loop || op == OP_If)
            depth++;
    }
    put(&o, ")\n");
    flush(&o);
    return o.status;
}
