/* iops_pairs.h - interpreter handlers of the pairs (iops.h VM_PAIRS).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Included inside vm_interp (interp.c, fusion builds), where CASE, THEN,
 * the body macros (LDT, OPST_DO, KB) and the accumulators are in scope.
 * Each handler is the first instruction's body ending in THEN: on to the
 * second instruction's own handler, whose cells follow
 * (docs/interpreter.md, Fusion).
 */
    CASE(VOP_PAIR_COPY_BR)
    {
        R(1) = R(2);
        THEN(3, VOP_BR);
    }
    CASE(VOP_PAIR_COPY_CALL)
    {
        R(1) = R(2);
        THEN(3, VOP_CALL);
    }
    CASE(VOP_PAIR_COPY2_COPY)
    {
        R(1) = R(2);
        R(3) = R(4);
        THEN(5, VOP_COPY);
    }
    CASE(VOP_PAIR_COPY2_CALL)
    {
        R(1) = R(2);
        R(3) = R(4);
        THEN(5, VOP_CALL);
    }
    CASE(VOP_PAIR_I32Add_BR)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        THEN(4, VOP_BR);
    }
    CASE(VOP_PAIR_I32Add_GLOBAL_SET)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        THEN(4, VOP_GLOBAL_SET);
    }
    CASE(VOP_PAIR_I32Sub_GLOBAL_SET)
    {
        R(1) = (uint32_t)(U32(2) - U32(3));
        THEN(4, VOP_GLOBAL_SET);
    }
    CASE(VOP_PAIR_ADD2_OPBRNZ_I32Sub)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        R(4) = (uint32_t)(U32(5) + U32(6));
        THEN(7, VOP_OPBRNZ_I32Sub);
    }
#define THEN_P(n) THEN(n, VOP_K_BR_UNLESS_a)
    CASE(VOP_PAIR_K_I32Load_d_K_BR_UNLESS_a)
    LDT(uint32_t, 4, LE32(v_), EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_CALL_INDIRECT)
    CASE(VOP_PAIR_COPY_CALL_INDIRECT)
    {
        R(1) = R(2);
        THEN_P(3);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BR_UNLESS)
    CASE(VOP_PAIR_COPY_BR_UNLESS)
    {
        R(1) = R(2);
        THEN_P(3);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BR_IF)
    CASE(VOP_PAIR_COPY_BR_IF)
    {
        R(1) = R(2);
        THEN_P(3);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BR_UNLESS)
    CASE(VOP_PAIR_I32And_BR_UNLESS)
    {
        R(1) = U32(2) & U32(3);
        THEN_P(4);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRUNLESS_I32GeS_a)
    CASE(VOP_PAIR_K_I32Load8S_d_KBRUNLESS_I32GeS_a)
    LDT(int8_t, 1, (uint32_t)(int32_t)v_, EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRUNLESS_I32GeS_a)
    CASE(VOP_PAIR_K_I32ShrS_da_KBRUNLESS_I32GeS_a)
    KB(uint32_t, acc, U32(3), KI_KPUT, (uint32_t)((int32_t)x >> (y & 31)))
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRIF_I32GeS_a)
    CASE(VOP_PAIR_K_I32ShrS_da_KBRIF_I32GeS_a)
    KB(uint32_t, acc, U32(3), KI_KPUT, (uint32_t)((int32_t)x >> (y & 31)))
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRUNLESS_I32And_a)
    CASE(VOP_PAIR_KX_I32Load8U_d_KBRUNLESS_I32And_a)
    LDT(uint8_t, 1, v_, EAX_S, KI_LPUT, 5, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BR_UNLESS)
    CASE(VOP_PAIR_K_I32And_a_BR_UNLESS)
    KB(uint32_t, acc, U32(3), KI_PUT, x & y)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_K_BR_IF_a)
    CASE(VOP_PAIR_K_I32Load_d_K_BR_IF_a)
    LDT(uint32_t, 4, LE32(v_), EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRUNLESS_I64GtS_b)
    CASE(VOP_PAIR_K_I64Load_d_KBRUNLESS_I64GtS_b)
    LDT(uint64_t, 8, LE64(v_), EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_CALL)
    CASE(VOP_PAIR_I32Add_CALL)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        THEN_P(4);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_RETURN1)
    CASE(VOP_PAIR_OS_I64Or_b_RETURN1)
    {
        OPST_DO(uint64_t, x | y, uint64_t, 8, LE64(s_), KI_GET(uint64_t, 1),
                KI_ACC(uint64_t))
        THEN_P(5);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRUNLESS_I32And_a)
    CASE(VOP_PAIR_K_I32Load16U_d_KBRUNLESS_I32And_a)
    LDT(uint16_t, 2, LE16(v_), EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BR_UNLESS)
    CASE(VOP_PAIR_I32Load8U_BR_UNLESS)
    LDT(uint8_t, 1, v_, EA_S, SLOT_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_RETURN1)
    CASE(VOP_PAIR_GLOBAL_SET_RETURN1)
    {
        *gslots[pc[2]] = R(1);
        THEN_P(3);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_K_I32Load8U_d)
    CASE(VOP_PAIR_I32Load8U_K_I32Load8U_d)
    LDT(uint8_t, 1, v_, EA_S, SLOT_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_K_I32Load_d)
    CASE(VOP_PAIR_I32Load_K_I32Load_d)
    LDT(uint32_t, 4, LE32(v_), EA_S, SLOT_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, OP_I32Load)
    CASE(VOP_PAIR_I32Load_I32Load)
    LDT(uint32_t, 4, LE32(v_), EA_S, SLOT_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BR_UNLESS)
    CASE(VOP_PAIR_I32Load_BR_UNLESS)
    LDT(uint32_t, 4, LE32(v_), EA_S, SLOT_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BR_TABLE)
    CASE(VOP_PAIR_I32Load8U_BR_TABLE)
    LDT(uint8_t, 1, v_, EA_S, SLOT_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRUNLESS_I32Eq_b)
    CASE(VOP_PAIR_K_I32Load8U_d_KBRUNLESS_I32Eq_b)
    LDT(uint8_t, 1, v_, EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_K_BR_UNLESS_a)
    CASE(VOP_PAIR_K_I32Load8U_d_K_BR_UNLESS_a)
    LDT(uint8_t, 1, v_, EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
/* Fifth round: more pairs into a branch or call, from sqlite's profile,
 * and the byte compare of lz77's match loop. */
#define THEN_P(n) THEN(n, VOP_BR)
    CASE(VOP_PAIR_K_I32ShrS_a_BR)
    KB(uint32_t, acc, U32(3), KI_PUT, (uint32_t)((int32_t)x >> (y & 31)))
    CASE(VOP_PAIR_LOADX_I64Load8U_BR)
    LDT(uint8_t, 1, v_, EAX_S, SLOT_LPUT, 5, THEN_P)
    CASE(VOP_PAIR_I32Load_BR)
    LDT(uint32_t, 4, LE32(v_), EA_S, SLOT_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BRUNLESS_I32LtU)
    CASE(VOP_PAIR_ADD2_BRUNLESS_I32LtU)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        R(4) = (uint32_t)(U32(5) + U32(6));
        THEN_P(7);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BRUNLESS_I32And)
    CASE(VOP_PAIR_ADD2_BRUNLESS_I32And)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        R(4) = (uint32_t)(U32(5) + U32(6));
        THEN_P(7);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BRUNLESS_I32GeS)
    CASE(VOP_PAIR_K_I32Add_a_BRUNLESS_I32GeS)
    KB(uint32_t, acc, U32(3), KI_PUT, x + y)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BR_IF)
    CASE(VOP_PAIR_I32Load_BR_IF)
    LDT(uint32_t, 4, LE32(v_), EA_S, SLOT_LPUT, 4, THEN_P)
    CASE(VOP_PAIR_I32Load8U_BR_IF)
    LDT(uint8_t, 1, v_, EA_S, SLOT_LPUT, 4, THEN_P)
    CASE(VOP_PAIR_LOADX_I32Load16U_BR_IF)
    LDT(uint16_t, 2, LE16(v_), EAX_S, SLOT_LPUT, 5, THEN_P)
    CASE(VOP_PAIR_I32And_BR_IF)
    {
        R(1) = U32(2) & U32(3);
        THEN_P(4);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_BRIF_I32LtS)
    CASE(VOP_PAIR_I32Add_BRIF_I32LtS)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        THEN_P(4);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRIF_I32GeS_a)
    CASE(VOP_PAIR_K_I32Load8S_d_KBRIF_I32GeS_a)
    LDT(int8_t, 1, (uint32_t)(int32_t)v_, EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_CALL_INDIRECT)
    CASE(VOP_PAIR_COPY2_CALL_INDIRECT)
    {
        R(1) = R(2);
        R(3) = R(4);
        THEN_P(5);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRUNLESS_I32Eq_b)
    CASE(VOP_PAIR_K_I32Load_d_KBRUNLESS_I32Eq_b)
    LDT(uint32_t, 4, LE32(v_), EA_S, KI_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_KBRIF_I32Ne_b)
    CASE(VOP_PAIR_KX_I32Load8U_d_KBRIF_I32Ne_b)
    LDT(uint8_t, 1, v_, EAX_S, KI_LPUT, 5, THEN_P)
#undef THEN_P
/* Chains (ctl 2): on to the pair that follows. */
#define THEN_P(n) THEN(n, VOP_PAIR_I32Sub_GLOBAL_SET)
    CASE(VOP_PAIR_GLOBAL_GET_PAIR_I32Sub_GLOBAL_SET)
    {
        R(1) = *gslots[pc[2]];
        THEN_P(3);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_GLOBAL_SET_RETURN1)
    CASE(VOP_PAIR_I32Add_PAIR_GLOBAL_SET_RETURN1)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        THEN_P(4);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_K_I32Load8U_d_KBRUNLESS_I32Eq_b)
    CASE(VOP_PAIR_I32Load8U_PAIR_K_I32Load8U_d_KBRUNLESS_I32Eq_b)
    LDT(uint8_t, 1, v_, EA_S, SLOT_LPUT, 4, THEN_P)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_I32Load8U_BR_TABLE)
    CASE(VOP_PAIR_I64Add_PAIR_I32Load8U_BR_TABLE)
    {
        R(1) = U64(2) + U64(3);
        THEN_P(4);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_K_I32ShrS_da_KBRUNLESS_I32GeS_a)
    CASE(VOP_PAIR_K_I32Shl_da_PAIR_K_I32ShrS_da_KBRUNLESS_I32GeS_a)
    KB(uint32_t, acc, U32(3), KI_KPUT, x << (y & 31))
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_K_I32ShrS_da_KBRIF_I32GeS_a)
    CASE(VOP_PAIR_K_I32Shl_da_PAIR_K_I32ShrS_da_KBRIF_I32GeS_a)
    KB(uint32_t, acc, U32(3), KI_KPUT, x << (y & 31))
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_K_I32Load8U_d_K_BR_UNLESS_a)
    CASE(VOP_PAIR_K_I32Add_b_PAIR_K_I32Load8U_d_K_BR_UNLESS_a)
    KB(uint32_t, U32(2), acc, KI_PUT, x + y)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_OS_I64Or_b_RETURN1)
    CASE(VOP_PAIR_K_I64Shl_da_PAIR_OS_I64Or_b_RETURN1)
    KB(uint64_t, acc, U64(3), KI_KPUT, x << (y & 63))
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_COPY_CALL)
    CASE(VOP_PAIR_COPY2_PAIR_COPY_CALL)
    {
        R(1) = R(2);
        R(3) = R(4);
        THEN_P(5);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_K_I32ShrS_a_BR)
    CASE(VOP_PAIR_K_I32Add_d_PAIR_K_I32ShrS_a_BR)
    KB(uint32_t, U32(2), U32(3), KI_KPUT, x + y)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_K_I32Add_a_BRUNLESS_I32GeS)
    CASE(VOP_PAIR_K_I32Add_d_PAIR_K_I32Add_a_BRUNLESS_I32GeS)
    KB(uint32_t, U32(2), U32(3), KI_KPUT, x + y)
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_ADD2_BRUNLESS_I32LtU)
    CASE(VOP_PAIR_K_I64Store32_b_PAIR_ADD2_BRUNLESS_I32LtU)
    {
        uint64_t ea = SEA_S;
        if (UNLIKELY(OOB(ea, 4)))
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);
        uint32_t v_ = LE32((uint32_t)acc);
        memcpy(mem + ea, &v_, 4);
        THEN_P(4);
    }
#undef THEN_P
#define THEN_P(n) THEN(n, VOP_PAIR_LOADX_I64Load8U_BR)
    CASE(VOP_PAIR_I32Add_PAIR_LOADX_I64Load8U_BR)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        THEN_P(4);
    }
#undef THEN_P
