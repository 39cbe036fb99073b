/* wat_instr.c - text format instructions, flat and folded (spec 6.5).
 * SPDX-License-Identifier: Apache-2.0
 *
 *   op names         a per-parse hash of opcodes.def's text names
 *   labels           a stack plus a name -> depth map (shadowing restored
 *                    on pop), so every lookup is O(1)
 *   immediates       one case per IMM_* kind: a new opcode in opcodes.def
 *                    parses with no change here; a new immediate kind adds
 *                    a case
 *   instructions     flat sequences with block/loop/if ... end, and folded
 *                    `(op imm* folded*)` forms, whose immediates wait in
 *                    P->scratch while their operands are encoded
 */
#include <string.h>

#include "wat.h"

/* ---- Op names ----------------------------------------------------------- */

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

int wat_ops_init(wat_parser *P)
{
    uint32_t cap = 64;
    while (cap < 4u * OP__COUNT)
        cap *= 2;
    P->opmap = mt_calloc(P->a, cap, sizeof *P->opmap);
    if (!P->opmap)
        return -1;
    P->opmap_cap = cap;
    for (uint32_t op = 0; op < OP__COUNT; op++) {
        const char *name = wasm_opinfos[op].text;
        size_t n = strlen(name);
        uint32_t i = name_hash(name, n) & (cap - 1);
        /* The first entry of a name wins (select, then typed select). */
        while (P->opmap[i] && strcmp(wasm_opinfos[P->opmap[i] - 1].text, name))
            i = (i + 1) & (cap - 1);
        if (!P->opmap[i])
            P->opmap[i] = (uint16_t)(op + 1);
    }
    return 0;
}

static uint32_t op_lookup(const wat_parser *P, const char *s, size_t n)
{
    uint32_t i = name_hash(s, n) & (P->opmap_cap - 1);
    while (P->opmap[i]) {
        const char *name = wasm_opinfos[P->opmap[i] - 1].text;
        if (strlen(name) == n && memcmp(name, s, n) == 0)
            return P->opmap[i] - 1u;
        i = (i + 1) & (P->opmap_cap - 1);
    }
    return OP__COUNT;
}

/* ---- Labels and locals ------------------------------------------------- */

void wat_func_begin(wat_parser *P)
{
    wat_names_clear(&P->locals);
    wat_names_clear(&P->labelmap);
    P->nlocals = 0;
    P->nlabels = 0;
}

static int fail_oom(wat_parser *P)
{
    if (!P->failed) {
        P->failed = true;
        memcpy(P->err->msg, "out of memory", sizeof "out of memory");
        P->err->malformed = false;
    }
    return -1;
}

static int label_push(wat_parser *P, uint32_t name_tok, uint8_t op)
{
    if (mt_grow(P->a, (void **)&P->labels, &P->labels_cap, P->nlabels + 1,
                sizeof *P->labels))
        return fail_oom(P);
    wat_label *l = &P->labels[P->nlabels];
    l->op = op;
    l->name_len = 0;
    l->shadowed = WASM_NO_INDEX;
    if (name_tok) {
        const wat_token *t = &P->t[name_tok];
        l->name_off = t->off;
        l->name_len = t->len;
        if (wat_names_set(P->a, &P->labelmap, t->off, t->len, P->nlabels,
                          &l->shadowed))
            return fail_oom(P);
    }
    P->nlabels++;
    return 0;
}

/* Pop the innermost label; `end $x` / `else $x` must repeat its name. */
static int label_check(wat_parser *P, uint32_t id_tok)
{
    const wat_label *l = &P->labels[P->nlabels - 1];
    if (!id_tok)
        return 0;
    const wat_token *t = &P->t[id_tok];
    if (l->name_len != t->len ||
        memcmp(P->src + l->name_off, P->src + t->off, t->len) != 0)
        return wat_fail(P, id_tok, "mismatching label");
    return 0;
}

/* `else` starts the else branch of the innermost if. */
static void else_begin(wat_parser *P, wat_buf *out)
{
    wat_label *l = &P->labels[P->nlabels - 1];
    wat_buf_byte(out, 0x05);
    l->op = OP_Else;
    l->else_end = out->len;
}

/* `end`: an empty else branch is dropped, as wabt does. */
static void block_end(wat_parser *P, wat_buf *out)
{
    const wat_label *l = &P->labels[P->nlabels - 1];
    if (l->op == OP_Else && !out->oom && out->len == l->else_end)
        out->len--;
    wat_buf_byte(out, 0x0B);
}

static void label_pop(wat_parser *P)
{
    const wat_label *l = &P->labels[--P->nlabels];
    uint32_t old;
    if (l->name_len)
        /* cannot fail: the slot exists */
        (void)wat_names_set(P->a, &P->labelmap, l->name_off, l->name_len,
                            l->shadowed, &old);
}

static int label_index(wat_parser *P, uint32_t *out)
{
    const wat_token *t = wat_peek(P, 0);
    if (t->kind == WT_ID) {
        uint32_t d = wat_names_get(&P->labelmap, t->off, t->len);
        if (d == WASM_NO_INDEX)
            return wat_fail(P, P->pos, "unknown label %.*s", (int)t->len,
                            P->src + t->off);
        *out = P->nlabels - 1 - d;
        P->pos++;
        return 0;
    }
    if (t->kind == WT_NUM) {
        if (wat_u32(P->src + t->off, t->len, out))
            return wat_fail(P, P->pos, "malformed label index");
        P->pos++;
        return 0;
    }
    return wat_fail(P, P->pos, "expected a label");
}

static int local_index(wat_parser *P, uint32_t *out)
{
    const wat_token *t = wat_peek(P, 0);
    if (t->kind == WT_ID) {
        uint32_t v = wat_names_get(&P->locals, t->off, t->len);
        if (v == WASM_NO_INDEX)
            return wat_fail(P, P->pos, "unknown local %.*s", (int)t->len,
                            P->src + t->off);
        *out = v;
        P->pos++;
        return 0;
    }
    if (t->kind == WT_NUM) {
        if (wat_u32(P->src + t->off, t->len, out))
            return wat_fail(P, P->pos, "malformed local index");
        P->pos++;
        return 0;
    }
    return wat_fail(P, P->pos, "expected a local");
}

/* ---- Immediates --------------------------------------------------------- */

/* block type: empty, one result, or a type index (s33) */
static int blocktype(wat_parser *P, wat_buf *out)
{
    wat_sig *s = &P->bsig;
    if (wat_sig_parse(P, WAT_NAMES_FORBID, s))
        return -1;
    if (!s->has_type && s->params.len == 0 && s->results.len == 0) {
        wat_buf_byte(out, 0x40);
        return 0;
    }
    if (!s->has_type && s->params.len == 0 && s->results.len == 1) {
        wat_buf_byte(out, s->results.p[0]);
        return 0;
    }
    uint32_t idx;
    if (wat_sig_resolve(P, s, &idx))
        return -1;
    /* A named type of shape [] -> [t?] is written inline, as wabt does. */
    if (idx < P->ntypes && P->types[idx].nparams == 0 &&
        P->types[idx].nresults <= 1) {
        const wat_type *t = &P->types[idx];
        wat_buf_byte(out, t->nresults ? P->types_bytes.p[t->off] : 0x40);
        return 0;
    }
    wat_buf_s64(out, idx);
    return 0;
}

static int memarg(wat_parser *P, unsigned natural, wat_buf *out)
{
    uint32_t offset = 0, align = 1u << natural;
    const wat_token *t = wat_peek(P, 0);
    if (t->kind == WT_KEYWORD && t->len > 7 &&
        memcmp(P->src + t->off, "offset=", 7) == 0) {
        if (wat_u32(P->src + t->off + 7, t->len - 7, &offset))
            return wat_fail(P, P->pos, "i32 constant out of range");
        P->pos++;
        t = wat_peek(P, 0);
    }
    if (t->kind == WT_KEYWORD && t->len > 6 &&
        memcmp(P->src + t->off, "align=", 6) == 0) {
        if (wat_u32(P->src + t->off + 6, t->len - 6, &align))
            return wat_fail(P, P->pos, "i32 constant out of range");
        if (align == 0 || (align & (align - 1)))
            return wat_fail(P, P->pos, "alignment must be a power of two");
        P->pos++;
    }
    uint32_t log2 = 0;
    while ((1u << log2) < align)
        log2++;
    wat_buf_u32(out, log2);
    wat_buf_u32(out, offset);
    return 0;
}

static int lane(wat_parser *P, wat_buf *out)
{
    const wat_token *t = wat_peek(P, 0);
    uint32_t v;
    if (t->kind != WT_NUM)
        return wat_fail(P, P->pos, "expected a lane index");
    if (wat_u32(P->src + t->off, t->len, &v) || v > 255)
        return wat_fail(P, P->pos, "malformed lane index");
    wat_buf_byte(out, (uint8_t)v);
    P->pos++;
    return 0;
}

static void put_le(wat_buf *out, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        wat_buf_byte(out, (uint8_t)(v >> (8 * i)));
}

/* A numeric literal of value type (or lane type) vt, little-endian; lane
 * widths 1 and 2 are integer lanes of i8x16 and i16x8. */
static int literal(wat_parser *P, char kind, wat_buf *out, bool leb)
{
    const wat_token *t = wat_peek(P, 0);
    const char *s = P->src + t->off;
    if (t->kind != WT_NUM && t->kind != WT_KEYWORD)
        return wat_fail(P, P->pos, "expected a number");
    bool bad;
    switch (kind) {
    case 'b': {
        uint8_t v;
        bad = t->kind != WT_NUM || wat_i8(s, t->len, &v);
        if (!bad)
            wat_buf_byte(out, v);
        break;
    }
    case 'h': {
        uint16_t v;
        bad = t->kind != WT_NUM || wat_i16(s, t->len, &v);
        if (!bad)
            put_le(out, v, 2);
        break;
    }
    case 'i': {
        uint32_t v;
        bad = t->kind != WT_NUM || wat_i32(s, t->len, &v);
        if (!bad && leb)
            wat_buf_s32(out, (int32_t)v);
        else if (!bad)
            put_le(out, v, 4);
        break;
    }
    case 'I': {
        uint64_t v;
        bad = t->kind != WT_NUM || wat_i64(s, t->len, &v);
        if (!bad && leb)
            wat_buf_s64(out, (int64_t)v);
        else if (!bad)
            put_le(out, v, 8);
        break;
    }
    case 'f': {
        uint32_t v;
        bad = wat_f32(P->a, s, t->len, &v) != 0;
        if (!bad)
            put_le(out, v, 4);
        break;
    }
    default: {
        uint64_t v;
        bad = wat_f64(P->a, s, t->len, &v) != 0;
        if (!bad)
            put_le(out, v, 8);
        break;
    }
    }
    if (bad) {
        static const char *const names[] = {"i8", "i16", "i32", "i64",
                                            "f32", "f64"};
        const char *n = kind == 'b' ? names[0] : kind == 'h' ? names[1]
                      : kind == 'i' ? names[2] : kind == 'I' ? names[3]
                      : kind == 'f' ? names[4] : names[5];
        return wat_fail(P, P->pos, "malformed or out of range %s constant",
                        n);
    }
    P->pos++;
    return 0;
}

static int v128_const(wat_parser *P, wat_buf *out)
{
    static const struct { const char *shape; char kind; unsigned lanes; }
        shapes[] = {{"i8x16", 'b', 16}, {"i16x8", 'h', 8}, {"i32x4", 'i', 4},
                    {"i64x2", 'I', 2},  {"f32x4", 'f', 4}, {"f64x2", 'F', 2}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        if (!wat_is_kw(P, P->pos, shapes[k].shape))
            continue;
        P->pos++;
        for (unsigned i = 0; i < shapes[k].lanes; i++)
            if (literal(P, shapes[k].kind, out, false))
                return -1;
        return 0;
    }
    return wat_fail(P, P->pos, "expected a v128 shape");
}

/* Count consecutive index tokens ahead. */
static uint32_t indices_ahead(const wat_parser *P)
{
    uint32_t n = 0;
    while (wat_peek(P, n)->kind == WT_NUM || wat_peek(P, n)->kind == WT_ID) {
        n++;
        if (P->pos + n >= P->nt)
            break;
    }
    return n;
}

/* The immediates of `op` (not block types) from the tokens at P->pos. */
static int immediates(wat_parser *P, uint32_t op, wat_buf *out)
{
    const wasm_opinfo *info = &wasm_opinfos[op];
    uint32_t x, y;
    switch (info->imm) {
    case IMM_NONE:
        return 0;
    case IMM_LABEL:
        if (label_index(P, &x))
            return -1;
        wat_buf_u32(out, x);
        return 0;
    case IMM_BR_TABLE: {
        uint32_t n = indices_ahead(P);
        if (n == 0)
            return wat_fail(P, P->pos, "expected a label");
        if (n - 1 > WASM_MAX_BR_TABLE)
            return wat_fail(P, P->pos, "br_table too long");
        wat_buf_u32(out, n - 1);
        for (uint32_t i = 0; i < n; i++) {
            if (label_index(P, &x))
                return -1;
            wat_buf_u32(out, x);
        }
        return 0;
    }
    case IMM_FUNC:
        if (wat_index(P, NS_FUNC, &x))
            return -1;
        wat_buf_u32(out, x);
        return 0;
    case IMM_CALL_INDIRECT:
        y = 0;
        if (wat_at_index(P) && wat_index(P, NS_TABLE, &y))
            return -1;
        if (wat_sig_parse(P, WAT_NAMES_FORBID, &P->bsig) ||
            wat_sig_resolve(P, &P->bsig, &x))
            return -1;
        wat_buf_u32(out, x);
        wat_buf_u32(out, y);
        return 0;
    case IMM_SELECT_T: {
        /* (result t*)*, reached from `select` when a result list follows */
        wat_buf types;
        wat_buf_init(&types, P->a);
        while (wat_is_list(P, 0, "result")) {
            P->pos += 2;
            while (wat_peek(P, 0)->kind != WT_RPAR) {
                uint8_t vt;
                if (wat_valtype(P, &vt)) {
                    wat_buf_free(&types);
                    return -1;
                }
                wat_buf_byte(&types, vt);
            }
            P->pos++;
        }
        wat_buf_name(out, types.p, types.len);
        wat_buf_free(&types);
        return 0;
    }
    case IMM_LOCAL:
        if (local_index(P, &x))
            return -1;
        wat_buf_u32(out, x);
        return 0;
    case IMM_GLOBAL:
        if (wat_index(P, NS_GLOBAL, &x))
            return -1;
        wat_buf_u32(out, x);
        return 0;
    case IMM_TABLE:
        x = 0;
        if (wat_at_index(P) && wat_index(P, NS_TABLE, &x))
            return -1;
        wat_buf_u32(out, x);
        return 0;
    case IMM_MEMARG:
        return memarg(P, info->arg, out);
    case IMM_MEMIDX:
        wat_buf_byte(out, 0);
        return 0;
    case IMM_I32:
        return literal(P, 'i', out, true);
    case IMM_I64:
        return literal(P, 'I', out, true);
    case IMM_F32:
        return literal(P, 'f', out, false);
    case IMM_F64:
        return literal(P, 'F', out, false);
    case IMM_REFTYPE:
        if (wat_is_kw(P, P->pos, "func"))
            wat_buf_byte(out, VT_FUNCREF);
        else if (wat_is_kw(P, P->pos, "extern"))
            wat_buf_byte(out, VT_EXTERNREF);
        else
            return wat_fail(P, P->pos, "expected func or extern");
        P->pos++;
        return 0;
    case IMM_MEMORY_INIT:
        if (wat_index(P, NS_DATA, &x))
            return -1;
        wat_buf_u32(out, x);
        wat_buf_byte(out, 0);
        P->uses_data_count = true;
        return 0;
    case IMM_DATA:
        if (wat_index(P, NS_DATA, &x))
            return -1;
        wat_buf_u32(out, x);
        P->uses_data_count = true;
        return 0;
    case IMM_MEMORY_COPY:
        wat_buf_byte(out, 0);
        wat_buf_byte(out, 0);
        return 0;
    case IMM_TABLE_INIT:
        /* table.init x? y: the table is optional and comes first */
        y = 0;
        if (indices_ahead(P) >= 2 && wat_index(P, NS_TABLE, &y))
            return -1;
        if (wat_index(P, NS_ELEM, &x))
            return -1;
        wat_buf_u32(out, x);
        wat_buf_u32(out, y);
        return 0;
    case IMM_ELEM:
        if (wat_index(P, NS_ELEM, &x))
            return -1;
        wat_buf_u32(out, x);
        return 0;
    case IMM_TABLE_COPY:
        x = y = 0;
        if (wat_at_index(P) &&
            (wat_index(P, NS_TABLE, &x) || wat_index(P, NS_TABLE, &y)))
            return -1;
        wat_buf_u32(out, x);
        wat_buf_u32(out, y);
        return 0;
    case IMM_V128:
        return v128_const(P, out);
    case IMM_LANE:
        return lane(P, out);
    case IMM_SHUFFLE:
        for (int i = 0; i < 16; i++)
            if (lane(P, out))
                return -1;
        return 0;
    case IMM_MEMARG_LANE:
        return memarg(P, info->arg, out) || lane(P, out) ? -1 : 0;
    default:
        return wat_fail(P, P->pos, "internal error: immediate kind %u",
                        (unsigned)info->imm);
    }
}

/* ---- Instructions ------------------------------------------------------- */

/* The op named by the keyword at P->pos (consumed), or -1. */
static int op_at(wat_parser *P, uint32_t *out)
{
    const wat_token *t = wat_peek(P, 0);
    if (t->kind != WT_KEYWORD) {
        if (t->kind == WT_RESERVED || t->kind == WT_NUM || t->kind == WT_ID)
            return wat_fail(P, P->pos, "unknown operator %.*s",
                            t->len > 40 ? 40 : (int)t->len, P->src + t->off);
        return wat_fail(P, P->pos, "expected an instruction");
    }
    uint32_t op = op_lookup(P, P->src + t->off, t->len);
    if (op == OP__COUNT)
        return wat_fail(P, P->pos, "unknown operator %.*s",
                        t->len > 40 ? 40 : (int)t->len, P->src + t->off);
    P->pos++;
    /* select (result t*)+ is the typed select, except that wabt writes an
     * empty result list as the untyped one; so do we. */
    if (op == OP_Select && wat_is_list(P, 0, "result")) {
        for (uint32_t k = 0; wat_is_list(P, k, "result");
             k = P->t[P->pos + k].match + 1 - P->pos)
            if (P->t[P->pos + k + 2].kind != WT_RPAR) {
                op = OP_SelectT;
                break;
            }
        if (op == OP_Select)
            while (wat_is_list(P, 0, "result"))
                P->pos = P->t[P->pos].match + 1;
    }
    *out = op;
    return 0;
}

static bool is_block_op(uint32_t op)
{
    return op == OP_Block || op == OP_Loop || op == OP_If;
}

static uint32_t opt_label_tok(wat_parser *P)
{
    if (wat_peek(P, 0)->kind == WT_ID)
        return P->pos++;
    return 0;
}

int wat_instrs(wat_parser *P, wat_buf *out)
{
    uint32_t base = P->nlabels;
    for (;;) {
        const wat_token *t = wat_peek(P, 0);
        if (t->kind == WT_RPAR || t->kind == WT_EOF)
            break;
        if (t->kind == WT_LPAR) {
            if (wat_folded_instr(P, out))
                return -1;
            continue;
        }
        if (wat_is_kw(P, P->pos, "end") || wat_is_kw(P, P->pos, "else")) {
            bool is_end = wat_is_kw(P, P->pos, "end");
            uint32_t at = P->pos++;
            if (P->nlabels == base ||
                (!is_end && P->labels[P->nlabels - 1].op != OP_If))
                return wat_fail(P, at, "unexpected %s", is_end ? "end" : "else");
            if (label_check(P, opt_label_tok(P)))
                return -1;
            if (is_end) {
                block_end(P, out);
                label_pop(P);
            } else {
                else_begin(P, out);
            }
            continue;
        }
        uint32_t op;
        if (op_at(P, &op))
            return -1;
        wat_buf_opcode(out, wasm_opinfos[op].code);
        if (is_block_op(op)) {
            uint32_t label = opt_label_tok(P);
            if (blocktype(P, out) || label_push(P, label, (uint8_t)op))
                return -1;
        } else if (immediates(P, op, out)) {
            return -1;
        }
    }
    if (P->nlabels != base)
        return wat_fail(P, P->pos, "missing end");
    if (out->oom || P->scratch.oom)
        return fail_oom(P);
    return 0;
}

static int folded(wat_parser *P, wat_buf *out)
{
    uint32_t op;
    P->pos++; /* '(' */
    if (op_at(P, &op))
        return -1;
    if (op == OP_Block || op == OP_Loop) {
        wat_buf_opcode(out, wasm_opinfos[op].code);
        uint32_t label = opt_label_tok(P);
        if (blocktype(P, out) || label_push(P, label, (uint8_t)op) ||
            wat_instrs(P, out) || wat_expect_rpar(P))
            return -1;
        label_pop(P);
        wat_buf_byte(out, 0x0B);
        return 0;
    }
    if (op == OP_If) {
        /* (if label? bt folded* (then instr*) (else instr*)?): the
         * condition comes first in the binary. */
        uint32_t label = opt_label_tok(P);
        size_t mark = P->scratch.len;
        if (blocktype(P, &P->scratch))
            return -1;
        while (wat_peek(P, 0)->kind == WT_LPAR && !wat_is_list(P, 0, "then"))
            if (wat_folded_instr(P, out))
                return -1;
        if (!wat_is_list(P, 0, "then"))
            return wat_fail(P, P->pos, "expected (then ...)");
        P->pos += 2;
        wat_buf_opcode(out, wasm_opinfos[op].code);
        wat_scratch_take(P, mark, out);
        if (label_push(P, label, OP_If) || wat_instrs(P, out) ||
            wat_expect_rpar(P))
            return -1;
        if (wat_is_list(P, 0, "else")) {
            P->pos += 2;
            else_begin(P, out);
            if (wat_instrs(P, out) || wat_expect_rpar(P))
                return -1;
        }
        if (wat_expect_rpar(P))
            return -1;
        block_end(P, out);
        label_pop(P);
        return 0;
    }
    size_t mark = P->scratch.len;
    if (immediates(P, op, &P->scratch))
        return -1;
    while (wat_peek(P, 0)->kind == WT_LPAR)
        if (wat_folded_instr(P, out))
            return -1;
    if (wat_expect_rpar(P))
        return -1;
    wat_buf_opcode(out, wasm_opinfos[op].code);
    wat_scratch_take(P, mark, out);
    return 0;
}

int wat_folded_instr(wat_parser *P, wat_buf *out)
{
    if (P->depth >= WAT_MAX_DEPTH)
        return wat_fail(P, P->pos, "nesting too deep (more than %u levels)",
                        WAT_MAX_DEPTH);
    P->depth++;
    int rc = folded(P, out);
    P->depth--;
    return rc;
}

int wat_const_expr(wat_parser *P, wat_buf *out)
{
    wat_func_begin(P);
    if (wat_instrs(P, out))
        return -1;
    wat_buf_byte(out, 0x0B);
    return 0;
}
