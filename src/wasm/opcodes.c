/* opcodes.c - tables expanded from opcodes.def.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "module.h"

const wasm_opinfo wasm_opinfos[OP__COUNT] = {
#define OP(sym, text, code, imm, sig, arg) {text, code, imm, SIG_##sig, arg},
#include "opcodes.def"
};

const char *const wasm_sig_params[SIG__COUNT] = {
#define SIG(name, params, results) params,
#include "opcodes.def"
};

const char *const wasm_sig_results[SIG__COUNT] = {
#define SIG(name, params, results) results,
#include "opcodes.def"
};

/* Designated initialisers fill in the known codes; the rest are set to
 * OP__COUNT ("unknown") by the range initialiser first (GNU extension,
 * supported by gcc and clang; later initialisers override earlier ones). */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Winitializer-overrides"
#endif
const uint16_t wasm_op_by_byte[256] = {
    [0 ... 255] = OP__COUNT,
#define OP(sym, text, code, imm, sig, arg) [(code) < 0x100 ? (code) : 0xFC] = (code) < 0x100 ? OP_##sym : OP__COUNT,
#include "opcodes.def"
};

/* Ops of other prefixes write the spare last entry, which stays unused. */
const uint16_t wasm_op_by_fc[WASM_FC_COUNT + 1] = {
    [0 ... WASM_FC_COUNT] = OP__COUNT,
#define OP(sym, text, code, imm, sig, arg) [((code) >> 8) == 0xFC ? (code) & 0xFF : WASM_FC_COUNT] = ((code) >> 8) == 0xFC ? OP_##sym : OP__COUNT,
#include "opcodes.def"
};

const uint16_t wasm_op_by_fd[WASM_FD_COUNT + 1] = {
    [0 ... WASM_FD_COUNT] = OP__COUNT,
#define OP(sym, text, code, imm, sig, arg) [((code) >> 8) == 0xFD ? (code) & 0xFF : WASM_FD_COUNT] = ((code) >> 8) == 0xFD ? OP_##sym : OP__COUNT,
#include "opcodes.def"
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

uint16_t wasm_op_prefixed(uint8_t prefix, uint32_t sub)
{
    if (prefix == 0xFC)
        return sub < WASM_FC_COUNT ? wasm_op_by_fc[sub] : OP__COUNT;
    if (prefix == 0xFD)
        return sub < WASM_FD_COUNT ? wasm_op_by_fd[sub] : OP__COUNT;
    return OP__COUNT;
}

uint8_t wasm_sig_letter_type(char c)
{
    switch (c) {
    case 'i': return VT_I32;
    case 'I': return VT_I64;
    case 'f': return VT_F32;
    case 'F': return VT_F64;
    case 'V': return VT_V128;
    default: return 0;
    }
}

const char *wasm_valtype_name(uint8_t vt)
{
    switch (vt) {
    case VT_I32: return "i32";
    case VT_I64: return "i64";
    case VT_F32: return "f32";
    case VT_F64: return "f64";
    case VT_V128: return "v128";
    case VT_FUNCREF: return "funcref";
    case VT_EXTERNREF: return "externref";
    default: return "?";
    }
}

bool wasm_is_reftype(uint8_t b)
{
    return b == VT_FUNCREF || b == VT_EXTERNREF;
}

bool wasm_is_valtype(uint8_t b)
{
    return b == VT_I32 || b == VT_I64 || b == VT_F32 || b == VT_F64 ||
           b == VT_V128 || wasm_is_reftype(b);
}
