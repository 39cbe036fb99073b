/* wat.h - internals of the text format parser: tokens, buffers, names.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The text format (WebAssembly 2.0, spec section 6) becomes binary in three
 * steps: wat_lex.c cuts the text into tokens (every token keeps its line
 * and column, every '(' knows its matching ')'), wat_parse.c reads module
 * fields and wat_instr.c instructions, both appending binary encodings to
 * per-section buffers that wat_encode.c assembles into a module. The result
 * then goes through the ordinary decoder and validator: the text parser
 * checks syntax and resolves names, nothing more.
 *
 * Nothing here recurses on input structure except folded instructions and
 * `module quote`, both bounded by WAT_MAX_DEPTH. Names resolve through
 * hash maps, so work stays linear in the size of the text.
 */
#ifndef MANTLE_WASM_WAT_H
#define MANTLE_WASM_WAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "module.h"

/* Nesting limit for folded instructions and quoted modules: deep enough for
 * any real program, shallow enough for a 64 KiB thread stack. */
#define WAT_MAX_DEPTH 1000u

/* ---- Tokens (wat_lex.c) ------------------------------------------------ */

enum {
    WT_EOF,
    WT_LPAR,
    WT_RPAR,
    WT_KEYWORD,  /* starts with a-z: keywords, inf, nan, offset=... */
    WT_NUM,      /* starts with a digit, '+' or '-' */
    WT_ID,       /* $name */
    WT_STRING,   /* "...", escapes checked, decoded on demand */
    WT_RESERVED, /* any other run of idchars: always an error where used */
};

typedef struct wat_token {
    uint32_t off, len;  /* into the source text */
    uint32_t line, col; /* 1-based; col counts bytes */
    uint32_t match;     /* WT_LPAR: index of the matching WT_RPAR */
    uint8_t kind;
} wat_token;

/* Cut `text` into tokens, ending with one WT_EOF. Returns 0, or -1 with a
 * message in `msg` and the position in *out_line and *out_col (line 0: out of
 * memory). */
int wat_lex(const mantle_allocator *a, const char *text, size_t len,
            wat_token **out_toks, uint32_t *out_n, uint32_t *out_line,
            uint32_t *out_col, char *msg, size_t msgsize);

/* ---- Growable byte buffers (wat_encode.c) ----------------------------- */

/* A failed allocation sets `oom` and turns later appends into no-ops, so
 * callers check once at the end rather than after every byte. */
typedef struct wat_buf {
    const mantle_allocator *a;
    uint8_t *p;
    size_t len, cap;
    bool oom;
} wat_buf;

void wat_buf_init(wat_buf *b, const mantle_allocator *a);
void wat_buf_free(wat_buf *b);
void wat_buf_put(wat_buf *b, const void *p, size_t n);
void wat_buf_byte(wat_buf *b, uint8_t v);
void wat_buf_u32(wat_buf *b, uint32_t v);  /* unsigned LEB128 */
void wat_buf_s32(wat_buf *b, int32_t v);   /* signed LEB128 */
void wat_buf_s64(wat_buf *b, int64_t v);
void wat_buf_name(wat_buf *b, const uint8_t *p, size_t n); /* vec(byte) */
/* An opcode of opcodes.def's `code` column: one byte, or a prefix byte and
 * a LEB128 u32 sub-opcode (0xPPnn, or 0xPP0000|n for wider ones). */
void wat_buf_opcode(wat_buf *b, uint32_t code);

/* ---- Literals (wat_lex.c) ---------------------------------------------- */

/* Each returns 0, or -1 when the token is not a literal of that kind or
 * its value is out of range. */
int wat_u32(const char *s, size_t n, uint32_t *out);
int wat_u64(const char *s, size_t n, uint64_t *out);
int wat_i32(const char *s, size_t n, uint32_t *out);  /* -2^31 .. 2^32-1 */
int wat_i64(const char *s, size_t n, uint64_t *out);  /* -2^63 .. 2^64-1 */
int wat_i8(const char *s, size_t n, uint8_t *out);    /* -2^7 .. 2^8-1 */
int wat_i16(const char *s, size_t n, uint16_t *out);  /* -2^15 .. 2^16-1 */
int wat_f32(const mantle_allocator *a, const char *s, size_t n,
            uint32_t *out_bits);
int wat_f64(const mantle_allocator *a, const char *s, size_t n,
            uint64_t *out_bits);
bool wat_utf8_valid(const uint8_t *p, size_t n);
/* Append the bytes of a WT_STRING token (quotes and escapes removed). */
void wat_string(wat_buf *b, const char *s, size_t n);

/* ---- Name maps (wat_encode.c) ----------------------------------------- */

/* Identifier (source offset and length) -> u32, open addressing. Clearing
 * bumps a generation, so a per-function map costs nothing to reset. */
typedef struct wat_names {
    const char *src;
    struct wat_name_slot {
        uint32_t off, len, val, gen;
    } *slots;
    uint32_t cap, count, gen;
} wat_names;

void wat_names_init(wat_names *m, const char *src);
void wat_names_free(const mantle_allocator *a, wat_names *m);
void wat_names_clear(wat_names *m);
/* Returns the slot's value or WASM_NO_INDEX. */
uint32_t wat_names_get(const wat_names *m, uint32_t off, uint32_t len);
/* Insert or overwrite; *out_old gets the previous value (WASM_NO_INDEX if
 * none). Returns 0 or -1 (out of memory). */
int wat_names_set(const mantle_allocator *a, wat_names *m, uint32_t off,
                  uint32_t len, uint32_t val, uint32_t *out_old);

/* ---- The parser (wat_parse.c, wat_instr.c) ---------------------------- */

/* Index spaces with identifiers. */
enum { NS_TYPE, NS_FUNC, NS_TABLE, NS_MEMORY, NS_GLOBAL, NS_ELEM, NS_DATA,
       NS__COUNT };

/* Binary sections the parser fills, in binary order. */
enum { SEC_TYPE = 1, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY,
       SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEM, SEC_CODE, SEC_DATA,
       SEC_DATACOUNT, SEC__COUNT };

/* A type use: (type x)? (param ...)* (result ...)*, parsed in two steps
 * so callers can look at the parts before the type index is settled. */
enum { WAT_NAMES_FORBID, WAT_NAMES_ALLOW, WAT_NAMES_BIND };

typedef struct wat_sig {
    bool has_type;
    uint32_t index;       /* of (type x) */
    uint32_t tok;         /* for errors */
    wat_buf params, results;
} wat_sig;

typedef struct wat_type {
    uint32_t off;           /* into types_bytes: params then results */
    uint32_t nparams, nresults;
} wat_type;

typedef struct wat_label {
    uint32_t name_off, name_len; /* name_len 0: anonymous */
    uint32_t shadowed;           /* the name's previous depth mapping */
    uint8_t op;                  /* OP_Block, OP_Loop, OP_If (or Else) */
    size_t else_end;             /* OP_Else: body length just after `else` */
} wat_label;

typedef struct wat_parser {
    const mantle_allocator *a;
    const char *src;
    wat_token *t;
    uint32_t nt, pos;
    uint32_t depth;          /* folded-instruction / quote nesting */
    wasm_error *err;
    bool failed;

    wat_names names[NS__COUNT];
    uint32_t count[NS__COUNT];   /* entries in each index space so far */

    /* Function types, explicit ones first (pass 1), then implicit ones in
     * order of appearance (pass 2); `typemap` finds the first index of a
     * signature. */
    wat_type *types;
    uint32_t ntypes, types_cap;
    wat_buf types_bytes;
    uint32_t *typemap;       /* open addressing: type index + 1, 0 empty */
    uint32_t typemap_cap;

    /* The function being parsed. */
    wat_names locals;
    uint32_t nlocals;
    wat_names labelmap;      /* label name -> absolute depth */
    wat_label *labels;
    uint32_t nlabels, labels_cap;
    wat_buf scratch;         /* immediates of pending folded instructions */
    wat_sig bsig;            /* block types and call_indirect type uses */
    bool uses_data_count;    /* memory.init or data.drop seen */

    /* Op name lookup, built from opcodes.def per parse. */
    uint16_t *opmap;
    uint32_t opmap_cap;

    wat_buf sec[SEC__COUNT];
    uint32_t nsec[SEC__COUNT];   /* entries per section */
    bool has_start;
} wat_parser;

/* A type's params then results. (No pointer arithmetic on the buffer
 * while it is still empty: every type so far may be [] -> [].) */
static inline const uint8_t *wat_type_sig(const wat_parser *P,
                                          const wat_type *t)
{
    return P->types_bytes.p ? P->types_bytes.p + t->off : (const uint8_t *)"";
}

/* Move the bytes of P->scratch from `mark` on to the end of `out`. */
static inline void wat_scratch_take(wat_parser *P, size_t mark, wat_buf *out)
{
    if (P->scratch.len > mark)
        wat_buf_put(out, P->scratch.p + mark, P->scratch.len - mark);
    P->scratch.len = mark;
}

/* Record an error at token `tok` ("line:col: message"); returns -1. */
int wat_fail(wat_parser *P, uint32_t tok, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Token helpers. */
static inline const wat_token *wat_peek(const wat_parser *P, uint32_t k)
{
    uint32_t i = P->pos + k;
    return &P->t[i < P->nt ? i : P->nt - 1];
}
bool wat_is_kw(const wat_parser *P, uint32_t tok, const char *kw);
/* '(' followed by keyword kw at pos+k. */
bool wat_is_list(const wat_parser *P, uint32_t k, const char *kw);
int wat_expect(wat_parser *P, uint8_t kind, const char *what);
int wat_expect_kw(wat_parser *P, const char *kw);
int wat_expect_rpar(wat_parser *P);
int wat_valtype(wat_parser *P, uint8_t *out);    /* at a keyword */
int wat_reftype(wat_parser *P, uint8_t *out);
/* An index into space `ns`: a number or an identifier. */
int wat_index(wat_parser *P, int ns, uint32_t *out);
bool wat_at_index(const wat_parser *P);
/* Optional identifier binding; out: off/len, len 0 if none. */
void wat_opt_id(wat_parser *P, uint32_t *out_off, uint32_t *out_len);

/* Types. */
int wat_type_add(wat_parser *P, const uint8_t *params, uint32_t np,
                 const uint8_t *results, uint32_t nr, uint32_t *out_index);
/* Find or append (implicitly) a type. */
int wat_type_use_sig(wat_parser *P, const uint8_t *params, uint32_t np,
                     const uint8_t *results, uint32_t nr, uint32_t *out);

void wat_sig_init(wat_sig *s, const mantle_allocator *a);
void wat_sig_free(wat_sig *s);
/* names: whether parameters may carry identifiers; WAT_NAMES_BIND binds
 * them as locals 0, 1, ... of the current function. */
int wat_sig_parse(wat_parser *P, int names, wat_sig *s);
/* The type index: (type x), checked against inline parts when both are
 * given ("inline function type"), or the first type with the inline
 * signature, appended if there is none. */
int wat_sig_resolve(wat_parser *P, const wat_sig *s, uint32_t *out_index);
/* Parameter count of a parsed type use (0 if its type is unknown). */
uint32_t wat_sig_nparams(const wat_parser *P, const wat_sig *s);

/* Instructions (wat_instr.c). */
void wat_func_begin(wat_parser *P);
/* Instructions up to the enclosing ')' (not consumed), into `out`. */
int wat_instrs(wat_parser *P, wat_buf *out);
/* One folded instruction `( ... )`, into `out`. */
int wat_folded_instr(wat_parser *P, wat_buf *out);
/* A constant expression: instrs then end, into `out`. */
int wat_const_expr(wat_parser *P, wat_buf *out);
int wat_ops_init(wat_parser *P);

/* Assemble the sections into a module (wat_encode.c). */
int wat_assemble(wat_parser *P, uint8_t **out_bytes, size_t *out_size);

#endif
