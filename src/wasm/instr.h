/* instr.h - reading instructions of a validated body: the opcode and the
 * immediates to skip, by the IMM_* kind of opcodes.def. Shared by the
 * lowering pass and the AOT emitter, which both re-walk validated code.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_WASM_INSTR_H
#define MANTLE_WASM_INSTR_H

#include "module.h"
#include "read.h"

/* Skip one instruction's immediates (the body is validated). */
static inline void wasm_skip_imm(wasm_reader *r, uint8_t imm)
{
    uint32_t u = 0, n = 0;
    uint64_t u64 = 0;
    int64_t s = 0;
    uint8_t b = 0;
    const uint8_t *p = NULL;
    switch (imm) {
    case IMM_NONE: break;
    case IMM_BLOCKTYPE: rd_sleb(r, 33, &s); break;
    case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL:
    case IMM_TABLE: case IMM_DATA: case IMM_ELEM:
        rd_u32(r, &u);
        break;
    case IMM_BR_TABLE:
        rd_u32(r, &n);
        for (uint32_t i = 0; i <= n && !r->err; i++)
            rd_u32(r, &u);
        break;
    case IMM_CALL_INDIRECT: case IMM_MEMARG: case IMM_TABLE_INIT:
    case IMM_TABLE_COPY:
        rd_u32(r, &u);
        rd_u32(r, &u);
        break;
    case IMM_SELECT_T:
        rd_u32(r, &n);
        for (uint32_t i = 0; i < n && !r->err; i++)
            rd_u8(r, &b);
        break;
    case IMM_MEMIDX: case IMM_REFTYPE: rd_u8(r, &b); break;
    case IMM_I32: rd_sleb(r, 32, &s); break;
    case IMM_I64: rd_sleb(r, 64, &s); break;
    case IMM_F32: rd_bytes(r, 4, &p); break;
    case IMM_F64: rd_bytes(r, 8, &p); break;
    case IMM_MEMORY_INIT: rd_u32(r, &u); rd_u8(r, &b); break;
    case IMM_MEMORY_COPY: rd_u8(r, &b); rd_u8(r, &b); break;
    case IMM_V128: case IMM_SHUFFLE: rd_bytes(r, 16, &p); break;
    case IMM_LANE: rd_u8(r, &b); break;
    case IMM_MEMARG_LANE:
        rd_u32(r, &u);
        rd_u32(r, &u);
        rd_u8(r, &b);
        break;
    default: rd_uleb(r, 64, &u64); break;
    }
}

static inline bool wasm_read_op(wasm_reader *r, uint16_t *out_op)
{
    uint8_t b = 0;
    if (!rd_u8(r, &b))
        return false;
    if (b == 0xFC || b == 0xFD) {
        uint32_t sub = 0;
        if (!rd_u32(r, &sub))
            return rd_fail(r, "illegal opcode");
        *out_op = wasm_op_prefixed(b, sub);
    } else {
        *out_op = wasm_op_by_byte[b];
    }
    if (*out_op >= OP__COUNT)
        return rd_fail(r, "illegal opcode");
    return true;
}

#endif
