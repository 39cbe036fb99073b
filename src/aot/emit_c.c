/* emit_c.c - one validated Wasm function to one C function.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: buffers - value stack model - control stack - operators (from the
 *      one opcode table) - the function walk - aot_emit_func.
 *
 * The Wasm operand stack becomes C locals: the value at height h of type t
 * lives in `<t><h>` (i: i32, j: i64, f: f32, d: f64, r: references), so the
 * C compiler sees plain SSA-friendly scalars. Blocks become labels; a
 * branch assigns the carried values to the target's heights and jumps.
 * `if` with parameters saves them (`P<label>_<i>`) for the `else` arm.
 * Unreachable code (after br, br_table, return, unreachable) is skipped up
 * to the matching else/end, as in the interpreter's lowering pass. Fuel is
 * counted exactly as src/vm/lower.c counts it: every reachable instruction
 * charges the innermost loop (charged at its header) or the function
 * (charged at entry).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "aot.h"
#include "instr.h"

/* ---- Buffers ------------------------------------------------------------ */

void aot_buf_put(aot_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void aot_buf_printf(aot_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        aot_buf_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    aot_buf_put(b, big, (size_t)n);
    free(big);
}

void aot_buf_free(aot_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

const char *aot_ctype(uint8_t vt)
{
    switch (vt) {
    case VT_I32: return "u32";
    case VT_I64: return "u64";
    case VT_F32: return "f32";
    case VT_F64: return "f64";
    case VT_V128: return "vm_v128";
    default: return "void *";
    }
}

static char tchar(uint8_t vt)
{
    switch (vt) {
    case VT_I32: return 'i';
    case VT_I64: return 'j';
    case VT_F32: return 'f';
    case VT_F64: return 'd';
    case VT_V128: return 'v';
    default: return 'r';
    }
}

/* The C initialiser of a zero value of type vt. */
static const char *czero(uint8_t vt)
{
    return vt == VT_V128 ? "{{0}}" : "0";
}

/* ---- Function state ------------------------------------------------------ */

enum { K_FUNC, K_BLOCK, K_LOOP, K_IF };

typedef struct ectl {
    uint8_t kind;
    bool dead;          /* the rest of this block is unreachable */
    bool has_else;
    uint32_t label;
    uint32_t height;    /* stack height below the block's parameters */
    uint32_t nparams, nresults;
    const uint8_t *ptypes, *rtypes;
    uint32_t cost;      /* loop/func: instructions charged */
    uint32_t cost_owner;
} ectl;

typedef struct efn {
    const wasm_module *w;
    uint32_t index;
    uint32_t type_index;
    const wasm_functype *ft;
    uint32_t nlocals;          /* params + declared */
    uint8_t *ltypes;
    uint8_t *stack;            /* value types by height */
    uint32_t sp, scap;
    uint32_t maxh[6];          /* per type class: heights used (count) */
    ectl *ctls;
    uint32_t nctls, ccap;
    uint32_t nlabels;
    aot_buf body, decls;
    bool oom;
    bool has_loops;
    bool has_indirect;         /* declares tab0_ and types_ */
    /* A simple inner loop with a plan (loop_scan.c). With carried locals
     * its body is emitted twice from `lp_start`: the first iteration
     * peeled (pass 1, the locals as they are), then the loop (pass 2,
     * the locals read again from memory until set). */
    bool in_lp;
    int lp_pass;
    uint32_t lp_label, lp_height, lp_load;
    const uint8_t *lp_start;
    bool lp_set[AOT_MAX_CARRY];
    aot_loop_plan lp;
} efn;

static int tclass(uint8_t vt)
{
    switch (vt) {
    case VT_I32: return 0;
    case VT_I64: return 1;
    case VT_F32: return 2;
    case VT_F64: return 3;
    case VT_V128: return 5;
    default: return 4;
    }
}

#define OUT(...) aot_buf_printf(&f->body, __VA_ARGS__)

/* Name of the stack variable at height h (type from the model). */
typedef struct vname {
    char s[16];
} vname;

static vname vn(const efn *f, uint32_t h)
{
    vname v;
    snprintf(v.s, sizeof v.s, "s%c%u", tchar(f->stack[h]), h);
    return v;
}
#define V(h) (vn(f, (h)).s)
#define TOP(k) V(f->sp - 1 - (k))

static void push(efn *f, uint8_t vt)
{
    if (f->sp == f->scap) {
        uint32_t cap = f->scap ? f->scap * 2 : 64;
        uint8_t *p = realloc(f->stack, cap);
        if (!p) {
            f->oom = true;
            return;
        }
        f->stack = p;
        f->scap = cap;
    }
    f->stack[f->sp++] = vt;
    int k = tclass(vt);
    if (f->sp > f->maxh[k])
        f->maxh[k] = f->sp;
}

static void pop(efn *f, uint32_t n)
{
    f->sp = n > f->sp ? 0 : f->sp - n;
}

/* ---- Control stack -------------------------------------------------------- */

static ectl *push_ctl(efn *f, uint8_t kind)
{
    if (f->nctls == f->ccap) {
        uint32_t cap = f->ccap ? f->ccap * 2 : 16;
        ectl *p = realloc(f->ctls, cap * sizeof *p);
        if (!p) {
            f->oom = true;
            return NULL;
        }
        f->ctls = p;
        f->ccap = cap;
    }
    ectl *c = &f->ctls[f->nctls++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->label = f->nlabels++;
    c->cost_owner = kind == K_LOOP || kind == K_FUNC ? f->nctls - 1
                                                     : f->ctls[f->nctls - 2].cost_owner;
    return c;
}

/* Storage for one-result block types: rtypes must not point into the ctl
 * itself, which moves when the control stack grows. */
static const uint8_t one_type[256] = {
    [VT_I32] = VT_I32, [VT_I64] = VT_I64, [VT_F32] = VT_F32,
    [VT_F64] = VT_F64, [VT_V128] = VT_V128, [VT_FUNCREF] = VT_FUNCREF,
    [VT_EXTERNREF] = VT_EXTERNREF,
};

static void block_type(efn *f, int64_t bt, ectl *c)
{
    if (bt == -64) {
        c->nparams = c->nresults = 0;
    } else if (bt < 0) {
        c->nresults = 1;
        c->rtypes = &one_type[bt & 0x7F];
    } else {
        const wasm_functype *ft = &f->w->types[bt];
        c->nparams = ft->nparams;
        c->ptypes = WASM_FT_PARAMS(ft);
        c->nresults = ft->nresults;
        c->rtypes = WASM_FT_RESULTS(ft);
    }
}

/* Branch to the label at depth `d`: assign carried values, jump. */
static void branch(efn *f, uint32_t d)
{
    ectl *t = &f->ctls[f->nctls - 1 - d];
    if (t->kind == K_LOOP) {
        /* Values land where the loop's parameters live; their types match. */
        uint32_t from = f->sp - t->nparams;
        for (uint32_t i = 0; i < t->nparams && from != t->height; i++)
            OUT("s%c%u = %s; ", tchar(t->ptypes[i]), t->height + i,
                V(from + i));
        /* In the reloading copy of a planned loop (carry_check). */
        bool re = f->in_lp && f->lp_pass == 2 && f->lp.ncarry &&
                  t->label == f->lp_label;
        OUT("goto %c%u;", re ? 'R' : 'L', t->label);
    } else {
        uint32_t from = f->sp - t->nresults;
        for (uint32_t i = 0; i < t->nresults && from != t->height; i++)
            OUT("s%c%u = %s; ", tchar(t->rtypes[i]), t->height + i,
                V(from + i));
        OUT("goto L%u;", t->label);
    }
}

/* Heights are assigned by type: make sure a typed variable is declared. */
static void note_var(efn *f, uint8_t vt, uint32_t h)
{
    int k = tclass(vt);
    if (h + 1 > f->maxh[k])
        f->maxh[k] = h + 1;
}

/* ---- Operators ------------------------------------------------------------ */

/* Result expression of a plain numeric operator; $a and $b are replaced by
 * the operands. NULL for operators handled by hand. */
static const char *num_template(uint16_t op)
{
    switch (op) {
    case OP_I32Eqz: return "($a == 0)";
    case OP_I32Eq: case OP_I64Eq: case OP_F32Eq: case OP_F64Eq:
        return "($a == $b)";
    case OP_I32Ne: case OP_I64Ne: case OP_F32Ne: case OP_F64Ne:
        return "($a != $b)";
    case OP_I32LtS: return "((int32_t)$a < (int32_t)$b)";
    case OP_I32LtU: case OP_I64LtU: case OP_F32Lt: case OP_F64Lt:
        return "($a < $b)";
    case OP_I32GtS: return "((int32_t)$a > (int32_t)$b)";
    case OP_I32GtU: case OP_I64GtU: case OP_F32Gt: case OP_F64Gt:
        return "($a > $b)";
    case OP_I32LeS: return "((int32_t)$a <= (int32_t)$b)";
    case OP_I32LeU: case OP_I64LeU: case OP_F32Le: case OP_F64Le:
        return "($a <= $b)";
    case OP_I32GeS: return "((int32_t)$a >= (int32_t)$b)";
    case OP_I32GeU: case OP_I64GeU: case OP_F32Ge: case OP_F64Ge:
        return "($a >= $b)";
    case OP_I64Eqz: return "($a == 0)";
    case OP_I64LtS: return "((int64_t)$a < (int64_t)$b)";
    case OP_I64GtS: return "((int64_t)$a > (int64_t)$b)";
    case OP_I64LeS: return "((int64_t)$a <= (int64_t)$b)";
    case OP_I64GeS: return "((int64_t)$a >= (int64_t)$b)";

    case OP_I32Clz: return "aot_clz32($a)";
    case OP_I32Ctz: return "aot_ctz32($a)";
    case OP_I32Popcnt: return "(u32)__builtin_popcount($a)";
    case OP_I32Add: case OP_I64Add: case OP_F32Add: case OP_F64Add:
        return "$a + $b";
    case OP_I32Sub: case OP_I64Sub: case OP_F32Sub: case OP_F64Sub:
        return "$a - $b";
    case OP_I32Mul: case OP_I64Mul: case OP_F32Mul: case OP_F64Mul:
        return "$a * $b";
    case OP_F32Div: case OP_F64Div: return "$a / $b";
    case OP_I32DivS: return "AOT_DIV_S(u32, int32_t, 0x80000000u, $a, $b)";
    case OP_I32DivU: return "AOT_DIV_U(u32, $a, $b)";
    case OP_I32RemS: return "AOT_REM_S(u32, int32_t, $a, $b)";
    case OP_I32RemU: return "AOT_REM_U(u32, $a, $b)";
    case OP_I64DivS:
        return "AOT_DIV_S(u64, int64_t, 0x8000000000000000ull, $a, $b)";
    case OP_I64DivU: return "AOT_DIV_U(u64, $a, $b)";
    case OP_I64RemS: return "AOT_REM_S(u64, int64_t, $a, $b)";
    case OP_I64RemU: return "AOT_REM_U(u64, $a, $b)";
    case OP_I32And: case OP_I64And: return "$a & $b";
    case OP_I32Or: case OP_I64Or: return "$a | $b";
    case OP_I32Xor: case OP_I64Xor: return "$a ^ $b";
    case OP_I32Shl: return "$a << ($b & 31)";
    case OP_I32ShrS: return "(u32)((int32_t)$a >> ($b & 31))";
    case OP_I32ShrU: return "$a >> ($b & 31)";
    case OP_I32Rotl: return "aot_rotl32($a, $b)";
    case OP_I32Rotr: return "aot_rotr32($a, $b)";
    case OP_I64Clz: return "aot_clz64($a)";
    case OP_I64Ctz: return "aot_ctz64($a)";
    case OP_I64Popcnt: return "(u64)__builtin_popcountll($a)";
    case OP_I64Shl: return "$a << ($b & 63)";
    case OP_I64ShrS: return "(u64)((int64_t)$a >> ($b & 63))";
    case OP_I64ShrU: return "$a >> ($b & 63)";
    case OP_I64Rotl: return "aot_rotl64($a, $b)";
    case OP_I64Rotr: return "aot_rotr64($a, $b)";

    case OP_F32Abs: return "aot_fabs32($a)";
    case OP_F32Neg: return "aot_fneg32($a)";
    case OP_F32Ceil: return "aot_ceil32($a)";
    case OP_F32Floor: return "aot_floor32($a)";
    case OP_F32Trunc: return "aot_trunc32($a)";
    case OP_F32Nearest: return "aot_nearest32($a)";
    case OP_F32Sqrt: return "aot_sqrt32($a)";
    case OP_F32Min: return "aot_fmin32($a, $b)";
    case OP_F32Max: return "aot_fmax32($a, $b)";
    case OP_F32Copysign: return "aot_copysign32($a, $b)";
    case OP_F64Abs: return "aot_fabs64($a)";
    case OP_F64Neg: return "aot_fneg64($a)";
    case OP_F64Ceil: return "aot_ceil64($a)";
    case OP_F64Floor: return "aot_floor64($a)";
    case OP_F64Trunc: return "aot_trunc64($a)";
    case OP_F64Nearest: return "aot_nearest64($a)";
    case OP_F64Sqrt: return "aot_sqrt64($a)";
    case OP_F64Min: return "aot_fmin64($a, $b)";
    case OP_F64Max: return "aot_fmax64($a, $b)";
    case OP_F64Copysign: return "aot_copysign64($a, $b)";

    case OP_I32WrapI64: return "(u32)$a";
    case OP_I32TruncF32S: case OP_I32TruncF64S:
        return "AOT_TRUNC(int32_t, u32, $a, -2147483649.0, 2147483648.0)";
    case OP_I32TruncF32U: case OP_I32TruncF64U:
        return "AOT_TRUNC(u32, u32, $a, -1.0, 4294967296.0)";
    case OP_I64ExtendI32S: return "(u64)(int64_t)(int32_t)$a";
    case OP_I64ExtendI32U: return "(u64)$a";
    case OP_I64TruncF32S: case OP_I64TruncF64S:
        return "AOT_TRUNC(int64_t, u64, $a, -9223372036854777856.0, "
               "9223372036854775808.0)";
    case OP_I64TruncF32U: case OP_I64TruncF64U:
        return "AOT_TRUNC(u64, u64, $a, -1.0, 18446744073709551616.0)";
    case OP_F32ConvertI32S: return "(f32)(int32_t)$a";
    case OP_F32ConvertI32U: return "(f32)$a";
    case OP_F32ConvertI64S: return "(f32)(int64_t)$a";
    case OP_F32ConvertI64U: return "(f32)$a";
    case OP_F32DemoteF64: return "aot_demote($a)";
    case OP_F64ConvertI32S: return "(f64)(int32_t)$a";
    case OP_F64ConvertI32U: return "(f64)$a";
    case OP_F64ConvertI64S: return "(f64)(int64_t)$a";
    case OP_F64ConvertI64U: return "(f64)$a";
    case OP_F64PromoteF32: return "(f64)$a";
    case OP_I32ReinterpretF32: return "aot_b32($a)";
    case OP_I64ReinterpretF64: return "aot_b64($a)";
    case OP_F32ReinterpretI32: return "aot_f32($a)";
    case OP_F64ReinterpretI64: return "aot_f64($a)";
    case OP_I32Extend8S: return "(u32)(int32_t)(int8_t)$a";
    case OP_I32Extend16S: return "(u32)(int32_t)(int16_t)$a";
    case OP_I64Extend8S: return "(u64)(int64_t)(int8_t)$a";
    case OP_I64Extend16S: return "(u64)(int64_t)(int16_t)$a";
    case OP_I64Extend32S: return "(u64)(int64_t)(int32_t)$a";
    case OP_I32TruncSatF32S: case OP_I32TruncSatF64S: return "aot_sat_i32_s($a)";
    case OP_I32TruncSatF32U: case OP_I32TruncSatF64U: return "aot_sat_i32_u($a)";
    case OP_I64TruncSatF32S: case OP_I64TruncSatF64S: return "aot_sat_i64_s($a)";
    case OP_I64TruncSatF32U: case OP_I64TruncSatF64U: return "aot_sat_i64_u($a)";
    default: return NULL;
    }
}

/* Memory accesses: loads give the C expression around AOT_LD(T, a, off),
 * stores the stored C type. */
static bool load_form(uint16_t op, const char **T, const char **pre,
                      const char **post)
{
    *pre = "";
    *post = "";
    switch (op) {
    case OP_I32Load: *T = "u32"; return true;
    case OP_I64Load: *T = "u64"; return true;
    case OP_F32Load: *T = "f32"; return true;
    case OP_F64Load: *T = "f64"; return true;
    case OP_I32Load8S: *T = "int8_t"; *pre = "(u32)(int32_t)"; return true;
    case OP_I32Load8U: *T = "u8"; *pre = "(u32)"; return true;
    case OP_I32Load16S: *T = "int16_t"; *pre = "(u32)(int32_t)"; return true;
    case OP_I32Load16U: *T = "uint16_t"; *pre = "(u32)"; return true;
    case OP_I64Load8S: *T = "int8_t"; *pre = "(u64)(int64_t)"; return true;
    case OP_I64Load8U: *T = "u8"; *pre = "(u64)"; return true;
    case OP_I64Load16S: *T = "int16_t"; *pre = "(u64)(int64_t)"; return true;
    case OP_I64Load16U: *T = "uint16_t"; *pre = "(u64)"; return true;
    case OP_I64Load32S: *T = "int32_t"; *pre = "(u64)(int64_t)"; return true;
    case OP_I64Load32U: *T = "u32"; *pre = "(u64)"; return true;
    default: return false;
    }
}

static const char *store_type(uint16_t op)
{
    switch (op) {
    case OP_I32Store: return "u32";
    case OP_I64Store: return "u64";
    case OP_F32Store: return "f32";
    case OP_F64Store: return "f64";
    case OP_I32Store8: case OP_I64Store8: return "u8";
    case OP_I32Store16: case OP_I64Store16: return "uint16_t";
    case OP_I64Store32: return "u32";
    default: return NULL;
    }
}

/* Expand a template with operand names. */
static void expand(efn *f, const char *tpl, const char *a, const char *b)
{
    for (const char *p = tpl; *p; p++) {
        if (p[0] == '$' && (p[1] == 'a' || p[1] == 'b')) {
            const char *s = p[1] == 'a' ? a : b;
            aot_buf_put(&f->body, s, strlen(s));
            p++;
        } else {
            aot_buf_put(&f->body, p, 1);
        }
    }
}

/* ---- SIMD ----------------------------------------------------------------
 * Each instruction calls the lane function of src/vm/simd.h (embedded
 * in the runtime header) named after its opcodes.def symbol, the same
 * code the interpreter runs, inlined here for the C compiler to
 * vectorise. */

static void from_slot(efn *f, uint8_t vt, const char *s);

static const char *const op_sym[OP__COUNT] = {
#define OP(sym, text, code, imm, sig, arg) #sym,
#include "opcodes.def"
};

/* A scalar operand in slot form (the u64 of its bits), for splats and
 * replace_lane. */
static void scalar_bits(efn *f, uint8_t vt, const char *v)
{
    switch (vt) {
    case VT_F32: OUT("(u64)aot_b32(%s)", v); break;
    case VT_F64: OUT("aot_b64(%s)", v); break;
    default: OUT("(u64)%s", v); break;
    }
}

static void emit_simd(efn *f, wasm_reader *r, uint16_t op)
{
    const wasm_opinfo *info = &wasm_opinfos[op];
    const char *ps = wasm_sig_params[info->sig];
    const char *rs = wasm_sig_results[info->sig];
    uint32_t np = (uint32_t)strlen(ps), align = 0, off = 0;
    unsigned lw = 1u << info->arg;  /* lane or access width in bytes */
    uint8_t lane = 0;
    const uint8_t *bytes = NULL;
    switch (info->imm) {
    case IMM_V128: case IMM_SHUFFLE: rd_bytes(r, 16, &bytes); break;
    case IMM_LANE: rd_u8(r, &lane); break;
    case IMM_MEMARG: rd_u32(r, &align); rd_u32(r, &off); break;
    case IMM_MEMARG_LANE:
        rd_u32(r, &align);
        rd_u32(r, &off);
        rd_u8(r, &lane);
        break;
    default: break;
    }
    if (r->err)
        return;
    if (op == OP_V128Const) {
        push(f, VT_V128);
        OUT("%s = (vm_v128){{", TOP(0));
        for (int i = 0; i < 16; i++)
            OUT("%s%u", i ? "," : "", bytes[i]);
        OUT("}};");
        return;
    }
    vname a[3];
    for (uint32_t i = 0; i < np; i++)
        a[i] = vn(f, f->sp - np + i);
    uint8_t t0 = np ? f->stack[f->sp - np] : 0;
    uint8_t t1 = np > 1 ? f->stack[f->sp - np + 1] : 0;
    pop(f, np);
    if (rs[0])
        push(f, wasm_sig_letter_type(rs[0]));
    const char *sym = op_sym[op];
    switch (info->imm) {
    case IMM_MEMARG:
        if (!rs[0]) {  /* v128.store */
            OUT("simd_store(AOT_VEA(%s, %uu, 16), %s);", a[0].s, off, a[1].s);
        } else if (op == OP_V128Load) {
            OUT("%s = simd_load(AOT_VEA(%s, %uu, 16));", TOP(0), a[0].s, off);
        } else if (op >= OP_V128Load8x8S && op <= OP_V128Load32x2U) {
            OUT("%s = simd_%s(AOT_VEA(%s, %uu, 8));", TOP(0), sym, a[0].s,
                off);
        } else {
            bool zero = op == OP_V128Load32Zero || op == OP_V128Load64Zero;
            OUT("%s = simd_load_%s(AOT_VEA(%s, %uu, %u), %u);", TOP(0),
                zero ? "zero" : "splat", a[0].s, off, lw, lw);
        }
        if (rs[0])
            OUT(" AOT_FORCE_V(%s);", TOP(0));
        return;
    case IMM_MEMARG_LANE:
        if (rs[0])
            OUT("%s = simd_load_lane(%s, AOT_VEA(%s, %uu, %u), %u, %u);"
                " AOT_FORCE_V(%s);",
                TOP(0), a[1].s, a[0].s, off, lw, lw, lane, TOP(0));
        else
            OUT("simd_store_lane(AOT_VEA(%s, %uu, %u), %s, %u, %u);", a[0].s,
                off, lw, a[1].s, lw, lane);
        return;
    case IMM_LANE:
        if (np == 1) {  /* extract_lane: slot-form bits to the scalar */
            char g[64];
            snprintf(g, sizeof g, "simd_lane_get(%s, %u, %u)", a[0].s, lw,
                     lane);
            OUT("%s = ", TOP(0));
            if (op == OP_I8x16ExtractLaneS)
                OUT("(u32)(int32_t)(int8_t)%s;", g);
            else if (op == OP_I16x8ExtractLaneS)
                OUT("(u32)(int32_t)(int16_t)%s;", g);
            else
                from_slot(f, f->stack[f->sp - 1], g), OUT(";");
        } else {
            OUT("%s = simd_lane_set(%s, %u, %u, ", TOP(0), a[0].s, lw, lane);
            scalar_bits(f, t1, a[1].s);
            OUT(");");
        }
        return;
    case IMM_SHUFFLE:
        OUT("{ static const u8 x_[16] = {");
        for (int i = 0; i < 16; i++)
            OUT("%s%u", i ? "," : "", bytes[i]);
        OUT("}; %s = simd_shuffle(%s, %s, x_); }", TOP(0), a[0].s, a[1].s);
        return;
    default:
        break;
    }
    if (ps[0] != 'V') {  /* splat: the lane width from the shape */
        unsigned n = op == OP_I8x16Splat ? 1 : op == OP_I16x8Splat ? 2
                   : op == OP_I32x4Splat || op == OP_F32x4Splat ? 4 : 8;
        OUT("%s = simd_splat(", TOP(0));
        scalar_bits(f, t0, a[0].s);
        OUT(", %u);", n);
        return;
    }
    OUT("%s = simd_%s(", TOP(0), sym);
    for (uint32_t i = 0; i < np; i++)
        OUT("%s%s", i ? ", " : "", a[i].s);
    OUT(");");
}

/* Value in slot form (u64) and back, for calls through the runtime. A
 * v128 takes two slots: it is moved with simd_put/simd_get instead. */
static void to_slot(efn *f, uint8_t vt, const char *v)
{
    switch (vt) {
    case VT_I32: OUT("(u64)%s", v); break;
    case VT_I64: OUT("%s", v); break;
    case VT_F32: OUT("(u64)aot_b32(%s)", v); break;
    case VT_F64: OUT("aot_b64(%s)", v); break;
    default: OUT("(u64)(uintptr_t)%s", v); break;
    }
}

static void from_slot(efn *f, uint8_t vt, const char *s)
{
    switch (vt) {
    case VT_I32: OUT("(u32)%s", s); break;
    case VT_I64: OUT("%s", s); break;
    case VT_F32: OUT("aot_f32((u32)%s)", s); break;
    case VT_F64: OUT("aot_f64(%s)", s); break;
    default: OUT("(void *)(uintptr_t)%s", s); break;
    }
}

/* A call through the runtime: arguments at the stack top, in slot form. */
static void call_slow(efn *f, const wasm_functype *ft, const char *fexpr)
{
    uint32_t np = ft->nparams, nr = ft->nresults;
    uint32_t nps = wasm_slot_count(ft->types, np);
    uint32_t nrs = wasm_slot_count(ft->types + np, nr);
    uint32_t n = nps > nrs ? nps : nrs;
    uint32_t base = f->sp - np;
    OUT("{ u64 s_[%u]; ", n ? n : 1);
    for (uint32_t i = 0, o = 0; i < np; o += wasm_slot_width(ft->types[i]), i++) {
        if (ft->types[i] == VT_V128) {
            OUT("simd_put(&s_[%u], %s); ", o, V(base + i));
            continue;
        }
        OUT("s_[%u] = ", o);
        to_slot(f, ft->types[i], V(base + i));
        OUT("; ");
    }
    OUT("c->aot_api->call(c, %s, s_); AOT_CHECK_INTR(); ", fexpr);
    pop(f, np);
    for (uint32_t i = 0, o = 0; i < nr; o += wasm_slot_width(ft->types[np + i]), i++) {
        push(f, ft->types[np + i]);
        if (ft->types[np + i] == VT_V128) {
            OUT("%s = simd_get(&s_[%u]); ", V(f->sp - 1), o);
            continue;
        }
        char s[24];
        snprintf(s, sizeof s, "s_[%u]", o);
        OUT("%s = ", V(f->sp - 1));
        from_slot(f, ft->types[np + i], s);
        OUT("; ");
    }
    OUT("}");
}

/* A direct typed call: `callee` is a C function expression. */
static void call_direct(efn *f, uint32_t ty, const char *callee)
{
    const wasm_functype *ft = &f->w->types[ty];
    uint32_t np = ft->nparams, nr = ft->nresults;
    uint32_t base = f->sp - np;
    char args[64];
    if (nr == 1) {
        /* result goes to height base */
        note_var(f, ft->types[np], base);
        OUT("s%c%u = ", tchar(ft->types[np]), base);
    } else if (nr > 1) {
        OUT("{ struct r_t%u r_ = ", ty);
    }
    OUT("%s(c", callee);
    for (uint32_t i = 0; i < np; i++) {
        snprintf(args, sizeof args, ", %s", V(base + i));
        OUT("%s", args);
    }
    OUT(");");
    pop(f, np);
    for (uint32_t i = 0; i < nr; i++)
        push(f, ft->types[np + i]);
    if (nr > 1) {
        for (uint32_t i = 0; i < nr; i++)
            OUT(" %s = r_.v%u;", V(base + i), i);
        OUT(" }");
    }
}

/* ---- Planned loops (loop_scan.c) ------------------------------------------- */

/* At the loop's top: where each carried local's value was loaded in the
 * previous iteration. */
static void carry_addrs(efn *f, bool declare)
{
    for (uint32_t i = 0; i < f->lp.ncarry; i++) {
        const aot_carry *cr = &f->lp.carry[i];
        if (declare)
            aot_buf_printf(&f->decls, "  u32 ra%u_%u = 0;\n", f->lp_label, i);
        OUT(" ra%u_%u = 0x%" PRIx32 "u", f->lp_label, i, cr->k);
        for (uint8_t t = 0; t < cr->nterms; t++)
            OUT(" + 0x%" PRIx32 "u * l%u", cr->coef[t], cr->loc[t]);
        OUT(";");
    }
}

/* Before a loop with carried locals: the loop reads them from memory
 * (copy R) when, for the first iteration, the bytes at their addresses are
 * in bounds and hold exactly their values (typically the code before the
 * loop loaded them from there); otherwise the loop as it is runs (copy L).
 * Peeling the first iteration instead needs no check, but leaves an odd
 * trip count that gcc -O2 (very cheap cost model) will not vectorize. */
static void carry_check(efn *f)
{
    carry_addrs(f, true);
    OUT("\n  if (");
    for (uint32_t i = 0; i < f->lp.ncarry; i++) {
        const aot_carry *cr = &f->lp.carry[i];
        const char *T = "u8", *pre = "", *post = "";
        load_form(cr->op, &T, &pre, &post);
        uint8_t vt = f->ltypes[cr->local];
        const char *bits = vt == VT_F32 ? "aot_b32" : vt == VT_F64 ? "aot_b64"
                                                                  : "";
        OUT("%s(uint64_t)ra%u_%u + sizeof(%s) <= aot_msize(c) && "
            "%s(%sAOT_LD%sN(%s, ra%u_%u, 0u)) == %s(l%u)",
            i ? " && " : "", f->lp_label, i, T, bits, pre,
            T[0] == 'f' ? "F" : "", T, f->lp_label, i, bits, cr->local);
    }
    OUT(") goto R%u;\n  ", f->lp_label);
}

/* local.get of a carried local before its assignment in the loop proper:
 * the same load again (it read these bytes one iteration ago: it cannot
 * trap, needs no keeper), which leaves gcc no recurrence. */
static bool carry_get(efn *f, uint32_t x)
{
    if (!f->in_lp || f->lp_pass != 2)
        return false;
    for (uint32_t i = 0; i < f->lp.ncarry; i++) {
        const aot_carry *cr = &f->lp.carry[i];
        const char *T, *pre, *post;
        if (cr->local != x || f->lp_set[i] || !load_form(cr->op, &T, &pre, &post))
            continue;
        OUT("%s = %sAOT_LD%sN(%s, ra%u_%u, 0u)%s;", TOP(0), pre,
            T[0] == 'f' ? "F" : "", T, f->lp_label, i, post);
        return true;
    }
    return false;
}

/* ---- The walk ------------------------------------------------------------- */

static uint16_t skip_dead(wasm_reader *r);

static int emit_body(efn *f, wasm_reader *r)
{
    const wasm_module *w = f->w;
    ectl *fc = push_ctl(f, K_FUNC);
    if (!fc)
        return -1;
    fc->nresults = f->ft->nresults;
    fc->rtypes = WASM_FT_RESULTS(f->ft);
    fc->height = 0;

    while (f->nctls > 0) {
        if (f->oom || f->body.oom)
            return -1;
        if (r->err || r->p >= r->end)
            return -1;
        ectl *c = &f->ctls[f->nctls - 1];
        uint16_t op;
        if (c->dead) {
            op = skip_dead(r);
            if (op == OP_Unreachable)
                return -1;
        } else {
            if (!wasm_read_op(r, &op))
                return -1;
            if (!(f->in_lp && f->lp_pass == 2 && f->lp.ncarry))
                f->ctls[c->cost_owner].cost++;  /* counted in pass 1 */
        }
        OUT("\n  ");
        switch (op) {
        case OP_Nop:
            break;
        case OP_Unreachable:
            OUT("AOT_TRAP(AOT_TRAP_UNREACHABLE);");
            c->dead = true;
            break;
        case OP_Block: case OP_Loop: case OP_If: {
            int64_t bt = 0;
            rd_sleb(r, 33, &bt);
            const char *cond = NULL;
            vname cv;
            if (op == OP_If) {
                cv = vn(f, f->sp - 1);
                cond = cv.s;
                pop(f, 1);
            }
            ectl *nc = push_ctl(f, op == OP_Block ? K_BLOCK
                                   : op == OP_Loop ? K_LOOP : K_IF);
            if (!nc)
                return -1;
            block_type(f, bt, nc);
            nc->height = f->sp - nc->nparams;
            if (op == OP_Loop) {
                f->has_loops = true;
                if (!f->in_lp && nc->nparams == 0 && nc->nresults == 0 &&
                    aot_loop_scan(f->ltypes, f->nlocals, r->p, r->end,
                                  &f->lp)) {
                    f->in_lp = true;
                    f->lp_label = nc->label;
                    f->lp_height = f->sp;
                    f->lp_start = r->p;
                    f->lp_load = 0;
                    memset(f->lp_set, 0, sizeof f->lp_set);
                    f->lp_pass = f->lp.ncarry ? 1 : 2;
                    if (f->lp.ncarry)
                        carry_check(f);
                }
                OUT("L%u:; AOT_LOOP(K%u);", nc->label, nc->label);
            } else if (op == OP_If) {
                for (uint32_t i = 0; i < nc->nparams; i++) {
                    aot_buf_printf(&f->decls, "  %s P%u_%u;\n",
                                   aot_ctype(nc->ptypes[i]), nc->label, i);
                    OUT("P%u_%u = %s; ", nc->label, i, V(nc->height + i));
                }
                OUT("if (!%s) goto E%u;", cond, nc->label);
            }
            break;
        }
        case OP_Else: {
            /* then-arm done: its results are in place. */
            if (!c->dead)
                OUT("goto L%u;", c->label);
            OUT("\nE%u:;", c->label);
            c->has_else = true;
            c->dead = false;
            f->sp = c->height;
            for (uint32_t i = 0; i < c->nparams; i++) {
                push(f, c->ptypes[i]);
                OUT(" %s = P%u_%u;", V(f->sp - 1), c->label, i);
            }
            break;
        }
        case OP_End: {
            if (f->in_lp && c->kind == K_LOOP && c->label == f->lp_label) {
                if (f->lp_pass == 1) {
                    /* The loop as it is done; now the one that reloads. */
                    OUT("goto X%u;\n  R%u:; AOT_LOOP(K%u);", c->label,
                        c->label, c->label);
                    carry_addrs(f, false);
                    f->lp_pass = 2;
                    f->lp_load = 0;
                    memset(f->lp_set, 0, sizeof f->lp_set);
                    f->sp = f->lp_height;
                    r->p = f->lp_start;
                    break;
                }
                if (f->lp.ncarry)
                    OUT("X%u:;", c->label);
                f->in_lp = false;
            }
            ectl done = *c;
            f->nctls--;
            f->sp = done.height;
            for (uint32_t i = 0; i < done.nresults; i++)
                push(f, done.rtypes[i]);
            if (done.kind == K_IF && !done.has_else)
                OUT("E%u:;", done.label);
            if (done.kind == K_LOOP) {
                aot_buf_printf(&f->decls, "  enum { K%u = %u };\n", done.label,
                               done.cost);
                break;
            }
            OUT("L%u:;", done.label);
            if (done.kind == K_FUNC) {
                aot_buf_printf(&f->decls, "  enum { K%u = %u };\n", done.label,
                               done.cost);
                if (done.nresults == 1)
                    OUT("\n  return %s;", V(0));
                else if (done.nresults > 1) {
                    OUT("\n  { struct r_t%u r_;", f->type_index);
                    for (uint32_t i = 0; i < done.nresults; i++)
                        OUT(" r_.v%u = %s;", i, V(i));
                    OUT(" return r_; }");
                }
            }
            break;
        }
        case OP_Br: {
            uint32_t d = 0;
            rd_u32(r, &d);
            branch(f, d);
            c->dead = true;
            break;
        }
        case OP_BrIf: {
            uint32_t d = 0;
            rd_u32(r, &d);
            vname cv = vn(f, f->sp - 1);
            pop(f, 1);
            OUT("if (%s) { ", cv.s);
            branch(f, d);
            OUT(" }");
            break;
        }
        case OP_BrTable: {
            uint32_t n = 0, d = 0;
            rd_u32(r, &n);
            vname iv = vn(f, f->sp - 1);
            pop(f, 1);
            OUT("switch (%s) {", iv.s);
            for (uint32_t i = 0; i <= n; i++) {
                rd_u32(r, &d);
                if (i < n)
                    OUT("\n  case %u: ", i);
                else
                    OUT("\n  default: ");
                branch(f, d);
            }
            OUT("\n  }");
            c->dead = true;
            break;
        }
        case OP_Return:
            branch(f, f->nctls - 1);
            c->dead = true;
            break;
        case OP_Call: {
            uint32_t fi = 0;
            rd_u32(r, &fi);
            const wasm_functype *ft = &w->types[w->func_type[fi]];
            if (fi < w->nfunc_imports) {
                char fe[48];
                snprintf(fe, sizeof fe, "c->funcs[%u]", fi);
                call_slow(f, ft, fe);
            } else {
                char callee[24];
                snprintf(callee, sizeof callee, "fn%u", fi);
                call_direct(f, w->func_type[fi], callee);
            }
            if (w->nmemories)
                OUT(" AOT_MEM_RELOAD();");
            break;
        }
        case OP_CallIndirect: {
            uint32_t ty = 0, ti = 0;
            rd_u32(r, &ty);
            rd_u32(r, &ti);
            const wasm_functype *ft = &w->types[ty];
            vname iv = vn(f, f->sp - 1);
            pop(f, 1);
            uint32_t np = ft->nparams, nr = ft->nresults;
            uint32_t base = f->sp - np;
            char tab[32];
            if (ti == 0)
                snprintf(tab, sizeof tab, "tab0_");
            else
                snprintf(tab, sizeof tab, "c->tables[%u]", ti);
            f->has_indirect = true;
            OUT("{ aot_func *g_ = AOT_TABLE_FUNC(%s, %s, types_ + %u);\n  ",
                tab, iv.s, ty);
            OUT("if (AOT_LIKELY(g_->inst == c && g_->aot_fn)) { ");
            if (nr == 1) {
                note_var(f, ft->types[np], base);
                OUT("s%c%u = ", tchar(ft->types[np]), base);
            } else if (nr > 1) {
                OUT("struct r_t%u r_ = ", ty);
            }
            OUT("((t%u)g_->aot_fn)(c", ty);
            for (uint32_t i = 0; i < np; i++)
                OUT(", %s", V(base + i));
            OUT(");");
            if (nr > 1) {
                for (uint32_t i = 0; i < nr; i++) {
                    note_var(f, ft->types[np + i], base + i);
                    OUT(" s%c%u = r_.v%u;", tchar(ft->types[np + i]), base + i,
                        i);
                }
            }
            OUT(" } else ");
            call_slow(f, ft, "g_");  /* pops params, pushes results */
            OUT("%s }", w->nmemories ? " AOT_MEM_RELOAD();" : "");
            break;
        }
        case OP_Drop:
            pop(f, 1);
            break;
        case OP_Select: case OP_SelectT: {
            if (op == OP_SelectT)
                wasm_skip_imm(r, IMM_SELECT_T);
            vname cv = vn(f, f->sp - 1), bv = vn(f, f->sp - 2),
                  av = vn(f, f->sp - 3);
            pop(f, 2);
            OUT("if (!%s) %s = %s;", cv.s, av.s, bv.s);
            break;
        }
        case OP_LocalGet: {
            uint32_t x = 0;
            rd_u32(r, &x);
            push(f, f->ltypes[x]);
            if (carry_get(f, x))
                break;
            OUT("%s = l%u;", TOP(0), x);
            break;
        }
        case OP_LocalSet: case OP_LocalTee: {
            uint32_t x = 0;
            rd_u32(r, &x);
            for (uint32_t i = 0; f->in_lp && i < f->lp.ncarry; i++)
                if (f->lp.carry[i].local == x)
                    f->lp_set[i] = true;
            OUT("l%u = %s;", x, TOP(0));
            if (op == OP_LocalSet)
                pop(f, 1);
            break;
        }
        case OP_GlobalGet: {
            uint32_t g = 0;
            rd_u32(r, &g);
            uint8_t vt = w->global_types[g].type;
            push(f, vt);
            if (vt == VT_V128) {
                OUT("%s = simd_get(c->global_slots[%u]);", TOP(0), g);
                break;
            }
            OUT("%s = ", TOP(0));
            char s[32];
            snprintf(s, sizeof s, "AOT_GLOBAL(%u)", g);
            from_slot(f, vt, s);
            OUT(";");
            break;
        }
        case OP_GlobalSet: {
            uint32_t g = 0;
            rd_u32(r, &g);
            if (w->global_types[g].type == VT_V128) {
                OUT("simd_put(c->global_slots[%u], %s);", g, TOP(0));
                pop(f, 1);
                break;
            }
            OUT("AOT_GLOBAL(%u) = ", g);
            to_slot(f, w->global_types[g].type, TOP(0));
            OUT(";");
            pop(f, 1);
            break;
        }
        case OP_TableGet: {
            uint32_t t = 0;
            rd_u32(r, &t);
            vname iv = vn(f, f->sp - 1);
            pop(f, 1);
            push(f, w->tables[t].elemtype);
            OUT("%s = AOT_TABLE_GET(%u, %s);", TOP(0), t, iv.s);
            break;
        }
        case OP_TableSet: {
            uint32_t t = 0;
            rd_u32(r, &t);
            OUT("AOT_TABLE_SET(%u, %s, %s);", t, TOP(1), TOP(0));
            pop(f, 2);
            break;
        }
        case OP_TableSize: {
            uint32_t t = 0;
            rd_u32(r, &t);
            push(f, VT_I32);
            OUT("%s = c->tables[%u]->size;", TOP(0), t);
            break;
        }
        case OP_TableGrow: {
            uint32_t t = 0;
            rd_u32(r, &t);
            vname nv = vn(f, f->sp - 1), iv = vn(f, f->sp - 2);
            pop(f, 2);
            push(f, VT_I32);
            OUT("%s = c->aot_api->table_grow(c, %u, %s, %s);", TOP(0), t, iv.s,
                nv.s);
            break;
        }
        case OP_TableFill: {
            uint32_t t = 0;
            rd_u32(r, &t);
            OUT("AOT_RT(c->aot_api->table_fill(c, %u, %s, %s, %s));", t,
                TOP(2), TOP(1), TOP(0));
            pop(f, 3);
            break;
        }
        case OP_TableCopy: {
            uint32_t dt = 0, st = 0;
            rd_u32(r, &dt);
            rd_u32(r, &st);
            OUT("AOT_RT(c->aot_api->table_copy(c, %u, %u, %s, %s, %s));", dt,
                st, TOP(2), TOP(1), TOP(0));
            pop(f, 3);
            break;
        }
        case OP_TableInit: {
            uint32_t seg = 0, t = 0;
            rd_u32(r, &seg);
            rd_u32(r, &t);
            OUT("AOT_RT(c->aot_api->table_init(c, %u, %u, %s, %s, %s));", t,
                seg, TOP(2), TOP(1), TOP(0));
            pop(f, 3);
            break;
        }
        case OP_ElemDrop: {
            uint32_t seg = 0;
            rd_u32(r, &seg);
            OUT("c->aot_api->elem_drop(c, %u);", seg);
            break;
        }
        case OP_MemorySize:
            wasm_skip_imm(r, IMM_MEMIDX);
            push(f, VT_I32);
            OUT("%s = (u32)(aot_msize(c) >> 16);", TOP(0));
            break;
        case OP_MemoryGrow:
            wasm_skip_imm(r, IMM_MEMIDX);
            OUT("%s = c->aot_api->memory_grow(c, %s); AOT_MEM_RELOAD();",
                TOP(0), TOP(0));
            break;
        case OP_MemoryInit: {
            uint32_t seg = 0;
            rd_u32(r, &seg);
            wasm_skip_imm(r, IMM_MEMIDX);
            OUT("AOT_RT(c->aot_api->memory_init(c, %u, %s, %s, %s));", seg,
                TOP(2), TOP(1), TOP(0));
            pop(f, 3);
            break;
        }
        case OP_DataDrop: {
            uint32_t seg = 0;
            rd_u32(r, &seg);
            OUT("c->aot_api->data_drop(c, %u);", seg);
            break;
        }
        case OP_MemoryCopy:
            wasm_skip_imm(r, IMM_MEMORY_COPY);
            OUT("AOT_MEMORY_COPY(%s, %s, %s);", TOP(2), TOP(1), TOP(0));
            pop(f, 3);
            break;
        case OP_MemoryFill:
            wasm_skip_imm(r, IMM_MEMIDX);
            OUT("AOT_MEMORY_FILL(%s, %s, %s);", TOP(2), TOP(1), TOP(0));
            pop(f, 3);
            break;
        case OP_I32Const: {
            int64_t v = 0;
            rd_sleb(r, 32, &v);
            push(f, VT_I32);
            OUT("%s = 0x%" PRIx32 "u;", TOP(0), (uint32_t)v);
            break;
        }
        case OP_I64Const: {
            int64_t v = 0;
            rd_sleb(r, 64, &v);
            push(f, VT_I64);
            OUT("%s = 0x%" PRIx64 "ull;", TOP(0), (uint64_t)v);
            break;
        }
        case OP_F32Const: {
            uint32_t b = 0;
            rd_f32(r, &b);
            push(f, VT_F32);
            OUT("%s = aot_f32(0x%" PRIx32 "u);", TOP(0), b);
            break;
        }
        case OP_F64Const: {
            uint64_t b = 0;
            rd_f64(r, &b);
            push(f, VT_F64);
            OUT("%s = aot_f64(0x%" PRIx64 "ull);", TOP(0), b);
            break;
        }
        case OP_RefNull:
            wasm_skip_imm(r, IMM_REFTYPE);
            push(f, VT_FUNCREF);
            OUT("%s = 0;", TOP(0));
            break;
        case OP_RefIsNull: {
            vname rv = vn(f, f->sp - 1);
            pop(f, 1);
            push(f, VT_I32);
            OUT("%s = %s == 0;", TOP(0), rv.s);
            break;
        }
        case OP_RefFunc: {
            uint32_t fi = 0;
            rd_u32(r, &fi);
            push(f, VT_FUNCREF);
            OUT("%s = c->funcs[%u];", TOP(0), fi);
            break;
        }
        default: {
            const wasm_opinfo *info = &wasm_opinfos[op];
            const char *T, *pre, *post;
            if (info->code >> 8 == 0xFD) {
                emit_simd(f, r, op);
                break;
            }
            if (info->imm == IMM_MEMARG) {
                uint32_t align = 0, off = 0;
                rd_u32(r, &align);
                rd_u32(r, &off);
                if (load_form(op, &T, &pre, &post)) {
                    vname av = vn(f, f->sp - 1);
                    pop(f, 1);
                    push(f, wasm_sig_letter_type(
                                wasm_sig_results[info->sig][0]));
                    /* Keepers stay in the peeled iteration (straight-line
                     * code, where no loop argument holds). */
                    bool nk = f->in_lp && f->lp_pass == 2 &&
                              f->lp_load < 64 &&
                              (f->lp.nokeep >> f->lp_load & 1);
                    if (f->in_lp)
                        f->lp_load++;
                    OUT("%s = %sAOT_LD%s%s(%s, %s, %uu)%s;", TOP(0), pre,
                        T[0] == 'f' ? "F" : "", nk ? "N" : "", T, av.s, off,
                        post);
                } else {
                    const char *ST = store_type(op);
                    OUT("AOT_ST(%s, %s, %uu, %s);", ST ? ST : "u8", TOP(1), off,
                        TOP(0));
                    pop(f, 2);
                }
                break;
            }
            const char *tpl = num_template(op);
            if (!tpl)
                return -1;  /* not a Wasm 2.0 operator */
            const char *ps = wasm_sig_params[info->sig];
            const char *rs = wasm_sig_results[info->sig];
            uint32_t np = (uint32_t)strlen(ps);
            vname a = vn(f, f->sp - np);
            vname b = np > 1 ? vn(f, f->sp - 1) : a;
            pop(f, np);
            push(f, wasm_sig_letter_type(rs[0]));
            OUT("%s = ", TOP(0));
            expand(f, tpl, a.s, b.s);
            OUT(";");
            break;
        }
        }
    }
    return f->oom || f->body.oom ? -1 : 0;
}

static uint16_t skip_dead(wasm_reader *r)
{
    uint32_t depth = 0;
    while (r->p < r->end && !r->err) {
        uint16_t op;
        if (!wasm_read_op(r, &op))
            break;
        switch (op) {
        case OP_Block: case OP_Loop: case OP_If:
            depth++;
            break;
        case OP_Else:
            if (depth == 0)
                return op;
            break;
        case OP_End:
            if (depth == 0)
                return op;
            depth--;
            break;
        default:
            break;
        }
        wasm_skip_imm(r, wasm_opinfos[op].imm);
    }
    return OP_Unreachable;
}

/* ---- One function ------------------------------------------------------------ */

int aot_emit_func(const wasm_module *w, uint32_t fi, aot_buf *out)
{
    efn fs;
    efn *f = &fs;
    memset(f, 0, sizeof *f);
    f->w = w;
    f->index = fi;
    const wasm_func *fn = &w->funcs[fi - w->nfunc_imports];
    f->type_index = fn->type_index;
    f->ft = &w->types[fn->type_index];
    uint32_t np = f->ft->nparams;
    f->nlocals = np + fn->nlocals;
    f->ltypes = malloc(f->nlocals ? f->nlocals : 1);
    if (!f->ltypes)
        return -1;
    memcpy(f->ltypes, f->ft->types, np);
    if (fn->nlocals)
        memcpy(f->ltypes + np, fn->local_types, fn->nlocals);

    wasm_reader r = {w->bytes, w->bytes + fn->body.off,
                     w->bytes + fn->body.off + fn->body.len, NULL};
    int st = emit_body(f, &r);
    if (st == 0) {
        /* Signature. */
        uint32_t nr = f->ft->nresults;
        if (nr == 0)
            aot_buf_printf(out, "AOT_HIDDEN void fn%u(aot_inst *c",
                           fi);
        else if (nr == 1)
            aot_buf_printf(out, "AOT_HIDDEN %s fn%u(aot_inst *c",
                           aot_ctype(f->ft->types[np]), fi);
        else
            aot_buf_printf(out,
                           "AOT_HIDDEN struct r_t%u fn%u(aot_inst *c",
                           fn->type_index, fi);
        for (uint32_t i = 0; i < np; i++)
            aot_buf_printf(out, ", %s l%u", aot_ctype(f->ltypes[i]), i);
        aot_buf_printf(out, ")\n{\n  const u32 FN_ = %u; (void)FN_;\n", fi);
        for (uint32_t i = np; i < f->nlocals; i++)
            aot_buf_printf(out, "  %s l%u = %s;\n", aot_ctype(f->ltypes[i]), i,
                           czero(f->ltypes[i]));
        static const char cls[6] = {'i', 'j', 'f', 'd', 'r', 'v'};
        static const char *const cty[6] = {"u32", "u64", "f32", "f64",
                                           "void", "vm_v128"};
        for (int k = 0; k < 6; k++) {
            if (!f->maxh[k])
                continue;
            aot_buf_printf(out, "  %s", cty[k]);
            for (uint32_t h = 0; h < f->maxh[k]; h++)
                aot_buf_printf(out, "%s%ss%c%u = %s", h ? ", " : " ",
                               k == 4 ? "*" : "", cls[k], h,
                               k == 5 ? "{{0}}" : "0");
            aot_buf_printf(out, ";\n");
        }
        if (f->decls.p)
            aot_buf_put(out, f->decls.p, f->decls.n);
        if (f->has_loops)
            aot_buf_printf(out, "  AOT_INTR_DECL();\n");
        if (w->nmemories)
            aot_buf_printf(out, "  AOT_MEM_DECL();\n");
        if (f->has_indirect)
            aot_buf_printf(out, "  const aot_functype *const types_ = "
                                "c->aot_types;\n  aot_table *const tab0_ = "
                                "c->tables[0]; (void)tab0_;\n");
        aot_buf_printf(out, "  AOT_ENTER(K0);");
        if (f->body.p)
            aot_buf_put(out, f->body.p, f->body.n);
        aot_buf_printf(out, "\n}\n\n");
    }
    aot_buf_free(&f->body);
    aot_buf_free(&f->decls);
    free(f->stack);
    free(f->ctls);
    free(f->ltypes);
    return st == 0 && !out->oom ? 0 : -1;
}
