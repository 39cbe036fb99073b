/* wat_parse.c - text format modules: fields, abbreviations, names (spec 6.6).
 * SPDX-License-Identifier: Apache-2.0
 *
 *   helpers          errors with line:column, token tests, value types,
 *                    indices, type uses
 *   pass 1           binds every identifier of the module-level index
 *                    spaces and records explicit types (so uses may come
 *                    before definitions), and checks that imports precede
 *                    definitions
 *   pass 2           encodes each field into its section, in text order;
 *                    implicit types are appended as they appear
 *   entry point      wasm_wat_to_binary, `(module binary ...)` and
 *                    `(module quote ...)`
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wat.h"

/* ---- Helpers ------------------------------------------------------------ */

int wat_fail(wat_parser *P, uint32_t tok, const char *fmt, ...)
{
    if (P->failed)
        return -1;
    P->failed = true;
    const wat_token *t = &P->t[tok < P->nt ? tok : P->nt - 1];
    int n = snprintf(P->err->msg, sizeof P->err->msg, "%u:%u: ", t->line,
                     t->col);
    if (n < 0 || (size_t)n >= sizeof P->err->msg)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->err->msg + n, sizeof P->err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    P->err->offset = t->off;
    P->err->malformed = true;
    return -1;
}

static int oom(wat_parser *P)
{
    if (!P->failed) {
        P->failed = true;
        snprintf(P->err->msg, sizeof P->err->msg, "out of memory");
        P->err->malformed = false;
    }
    return -1;
}

bool wat_is_kw(const wat_parser *P, uint32_t tok, const char *kw)
{
    const wat_token *t = &P->t[tok < P->nt ? tok : P->nt - 1];
    size_t n = strlen(kw);
    return t->kind == WT_KEYWORD && t->len == n &&
           memcmp(P->src + t->off, kw, n) == 0;
}

bool wat_is_list(const wat_parser *P, uint32_t k, const char *kw)
{
    return wat_peek(P, k)->kind == WT_LPAR && wat_is_kw(P, P->pos + k + 1, kw);
}

static const char *tok_desc(const wat_parser *P, uint32_t tok, char *buf,
                            size_t n)
{
    const wat_token *t = &P->t[tok < P->nt ? tok : P->nt - 1];
    if (t->kind == WT_EOF)
        return "end of text";
    snprintf(buf, n, "'%.*s'", t->len > 40 ? 40 : (int)t->len, P->src + t->off);
    return buf;
}

static int unexpected(wat_parser *P, const char *what)
{
    char b[64];
    return wat_fail(P, P->pos, "unexpected token %s, expected %s",
                    tok_desc(P, P->pos, b, sizeof b), what);
}

int wat_expect(wat_parser *P, uint8_t kind, const char *what)
{
    if (wat_peek(P, 0)->kind != kind)
        return unexpected(P, what);
    P->pos++;
    return 0;
}

int wat_expect_kw(wat_parser *P, const char *kw)
{
    if (!wat_is_kw(P, P->pos, kw))
        return unexpected(P, kw);
    P->pos++;
    return 0;
}

int wat_expect_rpar(wat_parser *P)
{
    return wat_expect(P, WT_RPAR, "')'");
}

int wat_valtype(wat_parser *P, uint8_t *out)
{
    static const struct { const char *name; uint8_t vt; } types[] = {
        {"i32", VT_I32}, {"i64", VT_I64}, {"f32", VT_F32}, {"f64", VT_F64},
        {"v128", VT_V128}, {"funcref", VT_FUNCREF},
        {"externref", VT_EXTERNREF},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (wat_is_kw(P, P->pos, types[i].name)) {
            *out = types[i].vt;
            P->pos++;
            return 0;
        }
    return unexpected(P, "a value type");
}

int wat_reftype(wat_parser *P, uint8_t *out)
{
    if (wat_is_kw(P, P->pos, "funcref"))
        *out = VT_FUNCREF;
    else if (wat_is_kw(P, P->pos, "externref"))
        *out = VT_EXTERNREF;
    else
        return unexpected(P, "a reference type");
    P->pos++;
    return 0;
}

static const char *const ns_names[NS__COUNT] = {
    "type", "function", "table", "memory", "global", "elem segment",
    "data segment",
};

bool wat_at_index(const wat_parser *P)
{
    uint8_t k = wat_peek(P, 0)->kind;
    return k == WT_NUM || k == WT_ID;
}

int wat_index(wat_parser *P, int ns, uint32_t *out)
{
    const wat_token *t = wat_peek(P, 0);
    if (t->kind == WT_ID) {
        uint32_t v = wat_names_get(&P->names[ns], t->off, t->len);
        if (v == WASM_NO_INDEX)
            return wat_fail(P, P->pos, "unknown %s %.*s", ns_names[ns],
                            (int)t->len, P->src + t->off);
        *out = v;
        P->pos++;
        return 0;
    }
    if (t->kind == WT_NUM) {
        if (wat_u32(P->src + t->off, t->len, out))
            return wat_fail(P, P->pos, "malformed %s index", ns_names[ns]);
        P->pos++;
        return 0;
    }
    char b[64];
    return wat_fail(P, P->pos, "unexpected token %s, expected a %s index",
                    tok_desc(P, P->pos, b, sizeof b), ns_names[ns]);
}

void wat_opt_id(wat_parser *P, uint32_t *out_off, uint32_t *out_len)
{
    const wat_token *t = wat_peek(P, 0);
    if (t->kind == WT_ID) {
        *out_off = t->off;
        *out_len = t->len;
        P->pos++;
    } else {
        *out_off = 0;
        *out_len = 0;
    }
}

/* Bind an identifier in index space ns; duplicates are malformed. */
static int bind(wat_parser *P, int ns, uint32_t tok, uint32_t index)
{
    const wat_token *t = &P->t[tok];
    uint32_t old;
    if (wat_names_get(&P->names[ns], t->off, t->len) != WASM_NO_INDEX)
        return wat_fail(P, tok, "duplicate %s %.*s", ns_names[ns], (int)t->len,
                        P->src + t->off);
    if (wat_names_set(P->a, &P->names[ns], t->off, t->len, index, &old))
        return oom(P);
    return 0;
}

/* ---- Type uses ---------------------------------------------------------- */

int wat_sig_parse(wat_parser *P, int names, wat_sig *s)
{
    s->has_type = false;
    s->index = 0;
    s->tok = P->pos;
    s->params.len = s->results.len = 0;
    if (wat_is_list(P, 0, "type")) {
        P->pos += 2;
        s->tok = P->pos;
        if (wat_index(P, NS_TYPE, &s->index) || wat_expect_rpar(P))
            return -1;
        s->has_type = true;
    }
    while (wat_is_list(P, 0, "param")) {
        P->pos += 2;
        if (wat_peek(P, 0)->kind == WT_ID) {
            if (names == WAT_NAMES_FORBID)
                return unexpected(P, "a value type");
            uint32_t tok = P->pos++;
            uint8_t vt;
            if (wat_valtype(P, &vt))
                return -1;
            if (names == WAT_NAMES_BIND) {
                uint32_t old;
                const wat_token *t = &P->t[tok];
                if (wat_names_get(&P->locals, t->off, t->len) != WASM_NO_INDEX)
                    return wat_fail(P, tok, "duplicate local %.*s",
                                    (int)t->len, P->src + t->off);
                if (wat_names_set(P->a, &P->locals, t->off, t->len,
                                  (uint32_t)s->params.len, &old))
                    return oom(P);
            }
            wat_buf_byte(&s->params, vt);
        } else {
            while (wat_peek(P, 0)->kind != WT_RPAR) {
                uint8_t vt;
                if (wat_valtype(P, &vt))
                    return -1;
                wat_buf_byte(&s->params, vt);
            }
        }
        if (wat_expect_rpar(P))
            return -1;
    }
    while (wat_is_list(P, 0, "result")) {
        P->pos += 2;
        while (wat_peek(P, 0)->kind != WT_RPAR) {
            uint8_t vt;
            if (wat_valtype(P, &vt))
                return -1;
            wat_buf_byte(&s->results, vt);
        }
        P->pos++;
    }
    if (s->params.oom || s->results.oom)
        return oom(P);
    if (s->params.len > WASM_MAX_PARAMS || s->results.len > WASM_MAX_PARAMS)
        return wat_fail(P, s->tok, "too many parameters or results");
    return 0;
}

int wat_sig_resolve(wat_parser *P, const wat_sig *s, uint32_t *out_index)
{
    uint32_t np = (uint32_t)s->params.len, nr = (uint32_t)s->results.len;
    if (s->has_type) {
        /* Inline declarations must repeat the named type exactly. */
        if (np || nr) {
            if (s->index >= P->ntypes)
                return wat_fail(P, s->tok, "unknown type");
            const wat_type *t = &P->types[s->index];
            const uint8_t *b = wat_type_sig(P, t);
            if (t->nparams != np || t->nresults != nr ||
                (np && memcmp(b, s->params.p, np)) ||
                (nr && memcmp(b + np, s->results.p, nr)))
                return wat_fail(P, s->tok, "inline function type");
        }
        *out_index = s->index;
        return 0;
    }
    if (wat_type_use_sig(P, s->params.p, np, s->results.p, nr, out_index))
        return oom(P);
    return 0;
}

uint32_t wat_sig_nparams(const wat_parser *P, const wat_sig *s)
{
    if (s->has_type && s->params.len == 0 && s->results.len == 0)
        return s->index < P->ntypes ? P->types[s->index].nparams : 0;
    return (uint32_t)s->params.len;
}

void wat_sig_init(wat_sig *s, const mantle_allocator *a)
{
    memset(s, 0, sizeof *s);
    wat_buf_init(&s->params, a);
    wat_buf_init(&s->results, a);
}

void wat_sig_free(wat_sig *s)
{
    wat_buf_free(&s->params);
    wat_buf_free(&s->results);
}

/* ---- Pass 1: identifiers and explicit types ---------------------------- */

static int kind_ns(wat_parser *P, uint32_t tok)
{
    if (wat_is_kw(P, tok, "func"))
        return NS_FUNC;
    if (wat_is_kw(P, tok, "table"))
        return NS_TABLE;
    if (wat_is_kw(P, tok, "memory"))
        return NS_MEMORY;
    if (wat_is_kw(P, tok, "global"))
        return NS_GLOBAL;
    return -1;
}

/* `(type id? (func (param ...)* (result ...)*))` at P->pos == '(' */
static int type_field(wat_parser *P, wat_sig *sig)
{
    uint32_t end = P->t[P->pos].match;
    P->pos += 2;
    if (wat_peek(P, 0)->kind == WT_ID) {
        if (bind(P, NS_TYPE, P->pos, P->ntypes))
            return -1;
        P->pos++;
    }
    if (!wat_is_list(P, 0, "func"))
        return unexpected(P, "(func ...)");
    P->pos += 2;
    if (wat_is_list(P, 0, "type"))
        return unexpected(P, "(param ...) or (result ...)");
    if (wat_sig_parse(P, WAT_NAMES_ALLOW, sig) || wat_expect_rpar(P))
        return -1;
    if (P->pos != end)
        return unexpected(P, "')'");
    uint32_t idx;
    if (wat_type_add(P, sig->params.p, (uint32_t)sig->params.len,
                     sig->results.p, (uint32_t)sig->results.len, &idx))
        return oom(P);
    P->pos = end + 1;
    return 0;
}

static int pass1(wat_parser *P, uint32_t end)
{
    bool seen_def = false;
    const char *def_kind = "";
    wat_sig sig;
    int rc = -1;

    wat_sig_init(&sig, P->a);
    while (P->pos < end) {
        uint32_t f = P->pos;
        if (P->t[f].kind != WT_LPAR || P->t[f + 1].kind != WT_KEYWORD) {
            unexpected(P, "a module field");
            goto out;
        }
        uint32_t fend = P->t[f].match;
        uint32_t kw = f + 1, idtok = f + 2;
        bool has_id = P->t[idtok].kind == WT_ID;
        int ns = kind_ns(P, kw);
        if (wat_is_kw(P, kw, "type")) {
            if (type_field(P, &sig))
                goto out;
            continue;
        }
        if (wat_is_kw(P, kw, "import")) {
            /* (import "m" "n" (kind id? ...)) */
            uint32_t d = f + 4;
            if (P->t[f + 2].kind != WT_STRING || P->t[f + 3].kind != WT_STRING) {
                P->pos = f + 2;
                unexpected(P, "an import name");
                goto out;
            }
            if (P->t[d].kind != WT_LPAR || (ns = kind_ns(P, d + 1)) < 0) {
                P->pos = d;
                unexpected(P, "an import description");
                goto out;
            }
            if (seen_def) {
                wat_fail(P, f, "import after %s", def_kind);
                goto out;
            }
            if (P->t[d + 2].kind == WT_ID && bind(P, ns, d + 2, P->count[ns]))
                goto out;
            P->count[ns]++;
        } else if (ns >= 0) {
            /* func/table/memory/global id? (export ...)* (import ...)? */
            if (has_id && bind(P, ns, idtok, P->count[ns]))
                goto out;
            P->count[ns]++;
            uint32_t p = has_id ? idtok + 1 : idtok;
            while (P->t[p].kind == WT_LPAR && wat_is_kw(P, p + 1, "export"))
                p = P->t[p].match + 1;
            if (P->t[p].kind == WT_LPAR && wat_is_kw(P, p + 1, "import")) {
                if (seen_def) {
                    wat_fail(P, f, "import after %s", def_kind);
                    goto out;
                }
            } else {
                if (!seen_def)
                    def_kind = ns_names[ns];
                seen_def = true;
                /* Inline segments take an index too. */
                for (uint32_t q = p; q < fend;) {
                    if (P->t[q].kind != WT_LPAR) {
                        q++;
                        continue;
                    }
                    if (ns == NS_TABLE && wat_is_kw(P, q + 1, "elem"))
                        P->count[NS_ELEM]++;
                    if (ns == NS_MEMORY && wat_is_kw(P, q + 1, "data"))
                        P->count[NS_DATA]++;
                    q = P->t[q].match + 1;
                }
            }
        } else if (wat_is_kw(P, kw, "elem") || wat_is_kw(P, kw, "data")) {
            ns = wat_is_kw(P, kw, "elem") ? NS_ELEM : NS_DATA;
            if (has_id && bind(P, ns, idtok, P->count[ns]))
                goto out;
            P->count[ns]++;
        } else if (!wat_is_kw(P, kw, "export") && !wat_is_kw(P, kw, "start")) {
            char b[64];
            wat_fail(P, kw, "unknown module field %s",
                     tok_desc(P, kw, b, sizeof b));
            goto out;
        }
        P->pos = fend + 1;
    }
    rc = 0;
out:
    wat_sig_free(&sig);
    return rc;
}

/* ---- Pass 2: fields ----------------------------------------------------- */

typedef struct field_ctx {
    uint32_t index[NS__COUNT]; /* next index in each space */
    wat_sig sig;
    wat_buf tmp, tmp2;
} field_ctx;

/* A string token's bytes as a vec(byte) name into `out`. */
static int name_into(wat_parser *P, wat_buf *out)
{
    const wat_token *t = wat_peek(P, 0);
    if (t->kind != WT_STRING)
        return unexpected(P, "a string");
    wat_buf tmp;
    wat_buf_init(&tmp, P->a);
    wat_string(&tmp, P->src + t->off, t->len);
    wat_buf_name(out, tmp.p, tmp.len);
    bool bad = tmp.oom;
    bool utf8 = bad || wat_utf8_valid(tmp.p, tmp.len);
    wat_buf_free(&tmp);
    if (bad)
        return oom(P);
    if (!utf8)
        return wat_fail(P, P->pos, "malformed UTF-8 encoding");
    P->pos++;
    return 0;
}

/* (export "name")* after a func/table/memory/global id */
static int inline_exports(wat_parser *P, uint8_t kind, uint32_t index)
{
    while (wat_is_list(P, 0, "export")) {
        P->pos += 2;
        if (name_into(P, &P->sec[SEC_EXPORT]) || wat_expect_rpar(P))
            return -1;
        wat_buf_byte(&P->sec[SEC_EXPORT], kind);
        wat_buf_u32(&P->sec[SEC_EXPORT], index);
        P->nsec[SEC_EXPORT]++;
    }
    return 0;
}

static int limits(wat_parser *P, wat_buf *out)
{
    uint32_t min, max;
    const wat_token *t = wat_peek(P, 0);
    if (t->kind != WT_NUM)
        return unexpected(P, "limits");
    if (wat_u32(P->src + t->off, t->len, &min))
        return wat_fail(P, P->pos, "i32 constant out of range");
    P->pos++;
    t = wat_peek(P, 0);
    if (t->kind == WT_NUM) {
        if (wat_u32(P->src + t->off, t->len, &max))
            return wat_fail(P, P->pos, "i32 constant out of range");
        P->pos++;
        wat_buf_byte(out, 1);
        wat_buf_u32(out, min);
        wat_buf_u32(out, max);
    } else {
        wat_buf_byte(out, 0);
        wat_buf_u32(out, min);
    }
    return 0;
}

static int tabletype(wat_parser *P, wat_buf *out)
{
    wat_buf lim;
    uint8_t rt;
    wat_buf_init(&lim, P->a);
    int rc = limits(P, &lim) || wat_reftype(P, &rt) ? -1 : 0;
    if (rc == 0) {
        wat_buf_byte(out, rt);
        wat_buf_put(out, lim.p, lim.len);
    }
    wat_buf_free(&lim);
    return rc;
}

static int globaltype(wat_parser *P, wat_buf *out)
{
    uint8_t vt;
    if (wat_is_list(P, 0, "mut")) {
        P->pos += 2;
        if (wat_valtype(P, &vt) || wat_expect_rpar(P))
            return -1;
        wat_buf_byte(out, vt);
        wat_buf_byte(out, 1);
        return 0;
    }
    if (wat_valtype(P, &vt))
        return -1;
    wat_buf_byte(out, vt);
    wat_buf_byte(out, 0);
    return 0;
}

/* The description of an imported entity of space ns, into the import
 * section, at the token after its id. */
static int import_desc(wat_parser *P, field_ctx *C, int ns)
{
    wat_buf *out = &P->sec[SEC_IMPORT];
    switch (ns) {
    case NS_FUNC: {
        uint32_t ti;
        wat_func_begin(P);
        if (wat_sig_parse(P, WAT_NAMES_ALLOW, &C->sig) ||
            wat_sig_resolve(P, &C->sig, &ti))
            return -1;
        wat_buf_byte(out, EXT_FUNC);
        wat_buf_u32(out, ti);
        return 0;
    }
    case NS_TABLE:
        wat_buf_byte(out, EXT_TABLE);
        return tabletype(P, out);
    case NS_MEMORY:
        wat_buf_byte(out, EXT_MEMORY);
        return limits(P, out);
    default:
        wat_buf_byte(out, EXT_GLOBAL);
        return globaltype(P, out);
    }
}

static int import_field(wat_parser *P, field_ctx *C)
{
    P->pos += 2;
    if (name_into(P, &P->sec[SEC_IMPORT]) || name_into(P, &P->sec[SEC_IMPORT]))
        return -1;
    if (wat_peek(P, 0)->kind != WT_LPAR)
        return unexpected(P, "an import description");
    int ns = kind_ns(P, P->pos + 1);
    P->pos += 2;
    if (wat_peek(P, 0)->kind == WT_ID)
        P->pos++;
    if (import_desc(P, C, ns) || wat_expect_rpar(P) || wat_expect_rpar(P))
        return -1;
    P->nsec[SEC_IMPORT]++;
    C->index[ns]++;
    return 0;
}

/* (import "m" "n") inside a func/table/memory/global: returns 1 if found
 * (and encodes the import), 0 if absent, -1 on error. */
static int inline_import(wat_parser *P, field_ctx *C, int ns)
{
    if (!wat_is_list(P, 0, "import"))
        return 0;
    P->pos += 2;
    if (name_into(P, &P->sec[SEC_IMPORT]) ||
        name_into(P, &P->sec[SEC_IMPORT]) || wat_expect_rpar(P))
        return -1;
    if (import_desc(P, C, ns))
        return -1;
    P->nsec[SEC_IMPORT]++;
    C->index[ns]++;
    return 1;
}

static int func_field(wat_parser *P, field_ctx *C)
{
    P->pos += 2;
    if (wat_peek(P, 0)->kind == WT_ID)
        P->pos++;
    uint32_t index = C->index[NS_FUNC];
    if (inline_exports(P, EXT_FUNC, index))
        return -1;
    int r = inline_import(P, C, NS_FUNC);
    if (r)
        return r < 0 ? -1 : wat_expect_rpar(P);

    uint32_t ti;
    wat_func_begin(P);
    if (wat_sig_parse(P, WAT_NAMES_BIND, &C->sig) ||
        wat_sig_resolve(P, &C->sig, &ti))
        return -1;
    P->nlocals = wat_sig_nparams(P, &C->sig);

    /* Locals, then run-length encode them. */
    wat_buf *loc = &C->tmp;
    loc->len = 0;
    while (wat_is_list(P, 0, "local")) {
        P->pos += 2;
        if (wat_peek(P, 0)->kind == WT_ID) {
            uint32_t tok = P->pos++, old;
            const wat_token *t = &P->t[tok];
            uint8_t vt;
            if (wat_names_get(&P->locals, t->off, t->len) != WASM_NO_INDEX)
                return wat_fail(P, tok, "duplicate local %.*s", (int)t->len,
                                P->src + t->off);
            if (wat_names_set(P->a, &P->locals, t->off, t->len, P->nlocals,
                              &old))
                return oom(P);
            if (wat_valtype(P, &vt))
                return -1;
            wat_buf_byte(loc, vt);
            P->nlocals++;
        } else {
            while (wat_peek(P, 0)->kind != WT_RPAR) {
                uint8_t vt;
                if (wat_valtype(P, &vt))
                    return -1;
                wat_buf_byte(loc, vt);
                P->nlocals++;
            }
        }
        P->pos++;
        if (loc->len > WASM_MAX_LOCALS)
            return wat_fail(P, P->pos - 1, "too many locals");
    }
    wat_buf *body = &C->tmp2;
    body->len = 0;
    uint32_t runs = 0;
    for (size_t i = 0; i < loc->len; i++)
        if (i == 0 || loc->p[i] != loc->p[i - 1])
            runs++;
    wat_buf_u32(body, runs);
    for (size_t i = 0; i < loc->len;) {
        size_t j = i;
        while (j < loc->len && loc->p[j] == loc->p[i])
            j++;
        wat_buf_u32(body, (uint32_t)(j - i));
        wat_buf_byte(body, loc->p[i]);
        i = j;
    }
    if (wat_instrs(P, body) || wat_expect_rpar(P))
        return -1;
    wat_buf_byte(body, 0x0B);
    if (body->oom || loc->oom)
        return oom(P);
    wat_buf_u32(&P->sec[SEC_FUNCTION], ti);
    P->nsec[SEC_FUNCTION]++;
    wat_buf_u32(&P->sec[SEC_CODE], (uint32_t)body->len);
    wat_buf_put(&P->sec[SEC_CODE], body->p, body->len);
    P->nsec[SEC_CODE]++;
    C->index[NS_FUNC]++;
    return 0;
}

/* An offset: (offset instr*) or one folded instruction. */
static int offset_expr(wat_parser *P, wat_buf *out)
{
    if (wat_is_list(P, 0, "offset")) {
        P->pos += 2;
        return wat_const_expr(P, out) || wat_expect_rpar(P) ? -1 : 0;
    }
    if (wat_peek(P, 0)->kind != WT_LPAR)
        return unexpected(P, "an offset expression");
    if (wat_folded_instr(P, out))
        return -1;
    wat_buf_byte(out, 0x0B);
    return 0;
}

/* Is `e` exactly `ref.func x end`? */
static bool is_ref_func(const uint8_t *e, size_t n, uint32_t *out_x)
{
    if (n < 3 || e[0] != 0xD2 || e[n - 1] != 0x0B)
        return false;
    uint32_t v = 0;
    size_t i = 1;
    for (unsigned shift = 0; i < n - 1 && shift < 35; shift += 7, i++) {
        v |= (uint32_t)(e[i] & 0x7F) << shift;
        if (!(e[i] & 0x80)) {
            *out_x = v;
            return i + 2 == n;
        }
    }
    return false;
}

/* Element list items into C->tmp (expressions, each with `end`), counting
 * them; `funcs` means bare function indices. Stops at ')'. */
static int elem_items(wat_parser *P, bool funcs, wat_buf *exprs,
                      wat_buf *idxs, uint32_t *out_count, bool *out_all_funcs)
{
    uint32_t n = 0;
    bool all = true;
    while (wat_peek(P, 0)->kind != WT_RPAR) {
        if (funcs) {
            uint32_t x;
            if (wat_index(P, NS_FUNC, &x))
                return -1;
            wat_buf_byte(exprs, 0xD2);
            wat_buf_u32(exprs, x);
            wat_buf_byte(exprs, 0x0B);
            wat_buf_u32(idxs, x);
        } else {
            size_t start = exprs->len;
            if (wat_is_list(P, 0, "item")) {
                P->pos += 2;
                if (wat_const_expr(P, exprs) || wat_expect_rpar(P))
                    return -1;
            } else if (wat_peek(P, 0)->kind == WT_LPAR) {
                if (wat_folded_instr(P, exprs))
                    return -1;
                wat_buf_byte(exprs, 0x0B);
            } else {
                return unexpected(P, "an element expression");
            }
            uint32_t x;
            if (!exprs->oom &&
                is_ref_func(exprs->p + start, exprs->len - start, &x))
                wat_buf_u32(idxs, x);
            else
                all = false;
        }
        if (++n > WASM_MAX_TABLE_ELEMS)
            return wat_fail(P, P->pos, "too many elements");
    }
    *out_count = n;
    *out_all_funcs = all;
    return 0;
}

enum { ELEM_ACTIVE, ELEM_PASSIVE, ELEM_DECLARE };

/* Encode one element segment, choosing the flags as wabt does: function
 * indices when every item is a ref.func of a funcref segment, the explicit
 * table form when the table is not 0 or the type is not funcref. */
static void elem_encode(wat_parser *P, int mode, uint32_t table,
                        const wat_buf *offset, uint8_t rt, uint32_t count,
                        const wat_buf *exprs, const wat_buf *idxs,
                        bool all_funcs)
{
    wat_buf *o = &P->sec[SEC_ELEM];
    bool use_exprs = !(all_funcs && rt == VT_FUNCREF);
    uint8_t flags = use_exprs ? 4 : 0;
    if (mode == ELEM_PASSIVE)
        flags |= 1;
    else if (mode == ELEM_DECLARE)
        flags |= 3;
    else if (table != 0 || rt != VT_FUNCREF)
        flags |= 2;
    wat_buf_byte(o, flags);
    if (mode == ELEM_ACTIVE) {
        if (flags & 2)
            wat_buf_u32(o, table);
        wat_buf_put(o, offset->p, offset->len);
    }
    if (flags & 3)
        wat_buf_byte(o, use_exprs ? rt : 0x00);
    wat_buf_u32(o, count);
    if (use_exprs)
        wat_buf_put(o, exprs->p, exprs->len);
    else
        wat_buf_put(o, idxs->p, idxs->len);
    P->nsec[SEC_ELEM]++;
}

typedef struct seg_bufs {
    wat_buf offset, exprs, idxs;
} seg_bufs;

static void seg_init(seg_bufs *s, const mantle_allocator *a)
{
    wat_buf_init(&s->offset, a);
    wat_buf_init(&s->exprs, a);
    wat_buf_init(&s->idxs, a);
}

static void seg_free(seg_bufs *s)
{
    wat_buf_free(&s->offset);
    wat_buf_free(&s->exprs);
    wat_buf_free(&s->idxs);
}

static int elem_field(wat_parser *P, field_ctx *C)
{
    seg_bufs S;
    int mode = ELEM_PASSIVE, rc = -1;
    uint32_t table = 0, count;
    uint8_t rt = VT_FUNCREF;
    bool funcs = false, all;

    seg_init(&S, P->a);
    P->pos += 2;
    if (wat_peek(P, 0)->kind == WT_ID)
        P->pos++;
    if (wat_is_kw(P, P->pos, "declare")) {
        mode = ELEM_DECLARE;
        P->pos++;
    } else {
        bool has_table = false;
        if (wat_is_list(P, 0, "table")) {
            P->pos += 2;
            if (wat_index(P, NS_TABLE, &table) || wat_expect_rpar(P))
                goto out;
            has_table = true;
        }
        if (has_table || wat_peek(P, 0)->kind == WT_LPAR) {
            mode = ELEM_ACTIVE;
            if (offset_expr(P, &S.offset))
                goto out;
            /* (elem offset funcidx*): the MVP form without a list type */
            if (!has_table && !wat_is_kw(P, P->pos, "func") &&
                !wat_is_kw(P, P->pos, "funcref") &&
                !wat_is_kw(P, P->pos, "externref"))
                funcs = true;
        }
    }
    if (!funcs) {
        if (wat_is_kw(P, P->pos, "func")) {
            funcs = true;
            P->pos++;
        } else if (mode == ELEM_ACTIVE && wat_at_index(P)) {
            funcs = true; /* (elem (table x) offset funcidx*), as wabt allows */
        } else if (mode == ELEM_ACTIVE && wat_peek(P, 0)->kind == WT_RPAR) {
            funcs = true;
        } else if (wat_reftype(P, &rt)) {
            goto out;
        }
    }
    if (elem_items(P, funcs, &S.exprs, &S.idxs, &count, &all) ||
        wat_expect_rpar(P))
        goto out;
    elem_encode(P, mode, table, &S.offset, rt, count, &S.exprs, &S.idxs, all);
    C->index[NS_ELEM]++;
    rc = 0;
out:
    seg_free(&S);
    return rc;
}

static int table_field(wat_parser *P, field_ctx *C)
{
    P->pos += 2;
    if (wat_peek(P, 0)->kind == WT_ID)
        P->pos++;
    uint32_t index = C->index[NS_TABLE];
    if (inline_exports(P, EXT_TABLE, index))
        return -1;
    int r = inline_import(P, C, NS_TABLE);
    if (r)
        return r < 0 ? -1 : wat_expect_rpar(P);
    if (wat_peek(P, 0)->kind == WT_KEYWORD) {
        /* reftype (elem ...): a table exactly as large as the segment */
        uint8_t rt;
        seg_bufs S;
        uint32_t count;
        bool all, funcs;
        if (wat_reftype(P, &rt))
            return -1;
        if (!wat_is_list(P, 0, "elem"))
            return unexpected(P, "(elem ...)");
        P->pos += 2;
        funcs = wat_peek(P, 0)->kind != WT_LPAR;
        seg_init(&S, P->a);
        int rc = -1;
        if (elem_items(P, funcs, &S.exprs, &S.idxs, &count, &all) ||
            wat_expect_rpar(P) || wat_expect_rpar(P))
            goto seg_out;
        wat_buf *o = &P->sec[SEC_TABLE];
        wat_buf_byte(o, rt);
        wat_buf_byte(o, 1);
        wat_buf_u32(o, count);
        wat_buf_u32(o, count);
        P->nsec[SEC_TABLE]++;
        wat_buf_byte(&S.offset, 0x41);
        wat_buf_byte(&S.offset, 0x00);
        wat_buf_byte(&S.offset, 0x0B);
        elem_encode(P, ELEM_ACTIVE, index, &S.offset, rt, count, &S.exprs,
                    &S.idxs, all);
        C->index[NS_ELEM]++;
        rc = 0;
    seg_out:
        seg_free(&S);
        if (rc)
            return -1;
    } else {
        if (tabletype(P, &P->sec[SEC_TABLE]) || wat_expect_rpar(P))
            return -1;
        P->nsec[SEC_TABLE]++;
    }
    C->index[NS_TABLE]++;
    return 0;
}

/* Strings up to ')' concatenated into out. */
static int data_strings(wat_parser *P, wat_buf *out)
{
    while (wat_peek(P, 0)->kind == WT_STRING) {
        const wat_token *t = wat_peek(P, 0);
        wat_string(out, P->src + t->off, t->len);
        P->pos++;
    }
    return out->oom ? oom(P) : 0;
}

static void data_encode(wat_parser *P, bool active, uint32_t mem,
                        const wat_buf *offset, const wat_buf *bytes)
{
    wat_buf *o = &P->sec[SEC_DATA];
    if (!active) {
        wat_buf_byte(o, 1);
    } else if (mem != 0) {
        wat_buf_byte(o, 2);
        wat_buf_u32(o, mem);
        wat_buf_put(o, offset->p, offset->len);
    } else {
        wat_buf_byte(o, 0);
        wat_buf_put(o, offset->p, offset->len);
    }
    wat_buf_name(o, bytes->p, bytes->len);
    P->nsec[SEC_DATA]++;
}

static int memory_field(wat_parser *P, field_ctx *C)
{
    P->pos += 2;
    if (wat_peek(P, 0)->kind == WT_ID)
        P->pos++;
    uint32_t index = C->index[NS_MEMORY];
    if (inline_exports(P, EXT_MEMORY, index))
        return -1;
    int r = inline_import(P, C, NS_MEMORY);
    if (r)
        return r < 0 ? -1 : wat_expect_rpar(P);
    if (wat_is_list(P, 0, "data")) {
        seg_bufs S;
        int rc = -1;
        seg_init(&S, P->a);
        P->pos += 2;
        if (data_strings(P, &S.exprs) || wat_expect_rpar(P) ||
            wat_expect_rpar(P))
            goto seg_out;
        uint64_t pages = ((uint64_t)S.exprs.len + 65535) / 65536;
        wat_buf *o = &P->sec[SEC_MEMORY];
        wat_buf_byte(o, 1);
        wat_buf_u32(o, (uint32_t)pages);
        wat_buf_u32(o, (uint32_t)pages);
        P->nsec[SEC_MEMORY]++;
        wat_buf_byte(&S.offset, 0x41);
        wat_buf_byte(&S.offset, 0x00);
        wat_buf_byte(&S.offset, 0x0B);
        data_encode(P, true, index, &S.offset, &S.exprs);
        C->index[NS_DATA]++;
        rc = 0;
    seg_out:
        seg_free(&S);
        if (rc)
            return -1;
    } else {
        if (limits(P, &P->sec[SEC_MEMORY]) || wat_expect_rpar(P))
            return -1;
        P->nsec[SEC_MEMORY]++;
    }
    C->index[NS_MEMORY]++;
    return 0;
}

static int data_field(wat_parser *P, field_ctx *C)
{
    seg_bufs S;
    int rc = -1;
    uint32_t mem = 0;
    bool active = false;

    seg_init(&S, P->a);
    P->pos += 2;
    if (wat_peek(P, 0)->kind == WT_ID)
        P->pos++;
    if (wat_is_list(P, 0, "memory")) {
        P->pos += 2;
        if (wat_index(P, NS_MEMORY, &mem) || wat_expect_rpar(P))
            goto out;
        active = true;
    }
    if (active || wat_peek(P, 0)->kind == WT_LPAR) {
        active = true;
        if (offset_expr(P, &S.offset))
            goto out;
    }
    if (data_strings(P, &S.exprs) || wat_expect_rpar(P))
        goto out;
    data_encode(P, active, mem, &S.offset, &S.exprs);
    C->index[NS_DATA]++;
    rc = 0;
out:
    seg_free(&S);
    return rc;
}

static int global_field(wat_parser *P, field_ctx *C)
{
    P->pos += 2;
    if (wat_peek(P, 0)->kind == WT_ID)
        P->pos++;
    uint32_t index = C->index[NS_GLOBAL];
    if (inline_exports(P, EXT_GLOBAL, index))
        return -1;
    int r = inline_import(P, C, NS_GLOBAL);
    if (r)
        return r < 0 ? -1 : wat_expect_rpar(P);
    wat_func_begin(P);
    if (globaltype(P, &P->sec[SEC_GLOBAL]) ||
        wat_const_expr(P, &P->sec[SEC_GLOBAL]) || wat_expect_rpar(P))
        return -1;
    P->nsec[SEC_GLOBAL]++;
    C->index[NS_GLOBAL]++;
    return 0;
}

static int export_field(wat_parser *P)
{
    P->pos += 2;
    if (name_into(P, &P->sec[SEC_EXPORT]))
        return -1;
    if (wat_peek(P, 0)->kind != WT_LPAR)
        return unexpected(P, "an export description");
    int ns = kind_ns(P, P->pos + 1);
    if (ns < 0) {
        P->pos++;
        return unexpected(P, "func, table, memory or global");
    }
    P->pos += 2;
    uint32_t x;
    if (wat_index(P, ns, &x) || wat_expect_rpar(P) || wat_expect_rpar(P))
        return -1;
    static const uint8_t kinds[] = {0, EXT_FUNC, EXT_TABLE, EXT_MEMORY,
                                    EXT_GLOBAL};
    wat_buf_byte(&P->sec[SEC_EXPORT], kinds[ns]);
    wat_buf_u32(&P->sec[SEC_EXPORT], x);
    P->nsec[SEC_EXPORT]++;
    return 0;
}

static int start_field(wat_parser *P)
{
    uint32_t f = P->pos;
    P->pos += 2;
    uint32_t x;
    if (wat_index(P, NS_FUNC, &x) || wat_expect_rpar(P))
        return -1;
    if (P->has_start)
        return wat_fail(P, f, "multiple start sections");
    P->has_start = true;
    wat_buf_u32(&P->sec[SEC_START], x);
    return 0;
}

static int pass2(wat_parser *P, uint32_t begin, uint32_t end)
{
    field_ctx C;
    int rc = 0;
    memset(&C, 0, sizeof C);
    wat_sig_init(&C.sig, P->a);
    wat_buf_init(&C.tmp, P->a);
    wat_buf_init(&C.tmp2, P->a);
    P->pos = begin;
    while (rc == 0 && P->pos < end) {
        uint32_t f = P->pos, fend = P->t[f].match, kw = f + 1;
        if (wat_is_kw(P, kw, "type")) {
            P->pos = fend + 1;
            continue;
        }
        if (wat_is_kw(P, kw, "import"))
            rc = import_field(P, &C);
        else if (wat_is_kw(P, kw, "func"))
            rc = func_field(P, &C);
        else if (wat_is_kw(P, kw, "table"))
            rc = table_field(P, &C);
        else if (wat_is_kw(P, kw, "memory"))
            rc = memory_field(P, &C);
        else if (wat_is_kw(P, kw, "global"))
            rc = global_field(P, &C);
        else if (wat_is_kw(P, kw, "export"))
            rc = export_field(P);
        else if (wat_is_kw(P, kw, "start"))
            rc = start_field(P);
        else if (wat_is_kw(P, kw, "elem"))
            rc = elem_field(P, &C);
        else
            rc = data_field(P, &C);
        /* Every field parser consumes exactly its list. */
        if (rc == 0 && P->pos != fend + 1)
            rc = unexpected(P, "')'");
    }
    wat_sig_free(&C.sig);
    wat_buf_free(&C.tmp);
    wat_buf_free(&C.tmp2);
    return rc;
}

/* ---- Entry point -------------------------------------------------------- */

static void parser_free(wat_parser *P)
{
    for (int i = 0; i < NS__COUNT; i++)
        wat_names_free(P->a, &P->names[i]);
    wat_names_free(P->a, &P->locals);
    wat_names_free(P->a, &P->labelmap);
    mt_free(P->a, P->types);
    wat_buf_free(&P->types_bytes);
    mt_free(P->a, P->typemap);
    mt_free(P->a, P->labels);
    wat_buf_free(&P->scratch);
    wat_sig_free(&P->bsig);
    mt_free(P->a, P->opmap);
    for (int s = 0; s < SEC__COUNT; s++)
        wat_buf_free(&P->sec[s]);
    mt_free(P->a, P->t);
}

static int to_binary(const mantle_allocator *a, const char *text, size_t len,
                     uint32_t depth, uint8_t **out_bytes, size_t *out_size,
                     wasm_error *err);

/* (module id? binary|quote string*) */
static int module_strings(wat_parser *P, bool quote, uint8_t **out_bytes,
                          size_t *out_size)
{
    wat_buf b;
    wat_buf_init(&b, P->a);
    P->pos++;
    if (data_strings(P, &b) || wat_expect_rpar(P) ||
        wat_expect(P, WT_EOF, "end of text")) {
        wat_buf_free(&b);
        return -1;
    }
    if (!quote) {
        *out_bytes = b.p ? b.p : mt_alloc(P->a, 1);
        *out_size = b.len;
        return *out_bytes ? 0 : oom(P);
    }
    if (P->depth + 1 >= WAT_MAX_DEPTH) {
        wat_buf_free(&b);
        return wat_fail(P, P->pos, "nesting too deep");
    }
    int rc = to_binary(P->a, (const char *)(b.p ? b.p : (uint8_t *)""), b.len,
                       P->depth + 1, out_bytes, out_size, P->err);
    if (rc)
        P->failed = true;
    wat_buf_free(&b);
    return rc;
}

static int to_binary(const mantle_allocator *a, const char *text, size_t len,
                     uint32_t depth, uint8_t **out_bytes, size_t *out_size,
                     wasm_error *err)
{
    wat_parser P;
    uint32_t line, col;
    int rc = -1;

    memset(&P, 0, sizeof P);
    P.a = a;
    P.src = text;
    P.err = err;
    P.depth = depth;
    for (int i = 0; i < NS__COUNT; i++)
        wat_names_init(&P.names[i], text);
    wat_names_init(&P.locals, text);
    wat_names_init(&P.labelmap, text);
    wat_buf_init(&P.types_bytes, a);
    wat_buf_init(&P.scratch, a);
    wat_sig_init(&P.bsig, a);
    for (int s = 0; s < SEC__COUNT; s++)
        wat_buf_init(&P.sec[s], a);
    err->malformed = true;
    if (wat_lex(a, text, len, &P.t, &P.nt, &line, &col, err->msg,
                sizeof err->msg)) {
        if (line) {
            char m[sizeof err->msg];
            memcpy(m, err->msg, sizeof m);
            snprintf(err->msg, sizeof err->msg, "%u:%u: %.200s", line, col, m);
        } else {
            err->malformed = false;
        }
        P.t = NULL;
        goto out;
    }
    if (wat_ops_init(&P)) {
        oom(&P);
        goto out;
    }
    uint32_t begin = 0, end = P.nt - 1;
    if (wat_is_list(&P, 0, "module")) {
        P.pos = 2;
        if (wat_peek(&P, 0)->kind == WT_ID)
            P.pos++;
        if (wat_is_kw(&P, P.pos, "binary") || wat_is_kw(&P, P.pos, "quote")) {
            rc = module_strings(&P, wat_is_kw(&P, P.pos, "quote"), out_bytes,
                                out_size);
            goto out;
        }
        begin = P.pos;
        end = P.t[0].match;
        if (P.t[end + 1].kind != WT_EOF) {
            P.pos = end + 1;
            unexpected(&P, "end of text");
            goto out;
        }
    }
    P.pos = begin;
    if (pass1(&P, end) || pass2(&P, begin, end))
        goto out;
    if (wat_assemble(&P, out_bytes, out_size)) {
        oom(&P);
        goto out;
    }
    rc = 0;
out:
    parser_free(&P);
    return rc;
}

int wasm_wat_to_binary(const mantle_allocator *a, const char *text,
                       size_t len, uint8_t **out_bytes, size_t *out_size,
                       wasm_error *err)
{
    memset(err, 0, sizeof *err);
    err->func = WASM_NO_INDEX;
    if (!text && len)
        text = "";
    return to_binary(a, text ? text : "", len, 0, out_bytes, out_size, err);
}
