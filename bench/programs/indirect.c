/* indirect.c - call-heavy through a table: a bytecode VM whose handlers are function pointers.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A small stack machine runs a program (sieve-free prime counting by trial
 * division, plus a polynomial hash) by calling one handler per instruction
 * through a table, as a Wasm call_indirect does. Self-check: its results
 * equal the same computation written directly in C.
 */
#include "bench.h"

struct vm;
typedef void (*op_fn)(struct vm *);

struct vm {
    const int32_t *pc;
    int64_t stack[64];
    int sp;
    int64_t reg[8];
    int halted;
};

enum { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_REM, OP_LT, OP_LE, OP_JZ, OP_JMP,
       OP_XOR, OP_AND, OP_HALT, OP_N };

static void op_push(struct vm *m) { m->stack[m->sp++] = m->pc[1]; m->pc += 2; }
static void op_load(struct vm *m) { m->stack[m->sp++] = m->reg[m->pc[1]]; m->pc += 2; }
static void op_store(struct vm *m) { m->reg[m->pc[1]] = m->stack[--m->sp]; m->pc += 2; }
static void op_add(struct vm *m) { m->sp--; m->stack[m->sp - 1] += m->stack[m->sp]; m->pc++; }
static void op_sub(struct vm *m) { m->sp--; m->stack[m->sp - 1] -= m->stack[m->sp]; m->pc++; }
static void op_mul(struct vm *m) { m->sp--; m->stack[m->sp - 1] *= m->stack[m->sp]; m->pc++; }
static void op_rem(struct vm *m) { m->sp--; m->stack[m->sp - 1] %= m->stack[m->sp]; m->pc++; }
static void op_lt(struct vm *m) { m->sp--; m->stack[m->sp - 1] = m->stack[m->sp - 1] < m->stack[m->sp]; m->pc++; }
static void op_le(struct vm *m) { m->sp--; m->stack[m->sp - 1] = m->stack[m->sp - 1] <= m->stack[m->sp]; m->pc++; }
static void op_jz(struct vm *m) { m->pc = m->stack[--m->sp] ? m->pc + 2 : m->pc + m->pc[1]; }
static void op_jmp(struct vm *m) { m->pc += m->pc[1]; }
static void op_xor(struct vm *m) { m->sp--; m->stack[m->sp - 1] ^= m->stack[m->sp]; m->pc++; }
static void op_and(struct vm *m) { m->sp--; m->stack[m->sp - 1] &= m->stack[m->sp]; m->pc++; }
static void op_halt(struct vm *m) { m->halted = 1; }

static op_fn const table[OP_N] = {op_push, op_load, op_store, op_add, op_sub, op_mul, op_rem,
                                  op_lt,   op_le,   op_jz,    op_jmp, op_xor, op_and, op_halt};

/* A tiny assembler with backpatched labels. */
static int32_t code[256];
static int ncode;

static int emit(int32_t op) { code[ncode] = op; return ncode++; }
static int emit2(int32_t op, int32_t arg) { code[ncode] = op; code[ncode + 1] = arg; ncode += 2; return ncode - 2; }

/* A jump back to label. */
static void emit_jmp_to(int label)
{
    int at = emit2(OP_JMP, 0);

    code[at + 1] = label - at;
}

/* r0 = limit, r1 = n, r2 = d, r3 = count, r4 = hash
 * for n = 2; n < limit; n++: d = 2; while d*d <= n && n%d: d++;
 *   if d*d > n: count++, hash = (hash*31 ^ n) & 0xffffff */
static void assemble(void)
{
    int outer, inner, inner_exit, not_prime, done, j;

    emit2(OP_PUSH, 2); emit2(OP_STORE, 1);
    outer = emit2(OP_LOAD, 1); emit2(OP_LOAD, 0); emit(OP_LT);
    done = emit2(OP_JZ, 0);
    emit2(OP_PUSH, 2); emit2(OP_STORE, 2);
    inner = emit2(OP_LOAD, 2); emit2(OP_LOAD, 2); emit(OP_MUL); emit2(OP_LOAD, 1); emit(OP_LE);
    inner_exit = emit2(OP_JZ, 0);
    emit2(OP_LOAD, 1); emit2(OP_LOAD, 2); emit(OP_REM);
    j = emit2(OP_JZ, 0); /* divisible: leave the loop */
    emit2(OP_LOAD, 2); emit2(OP_PUSH, 1); emit(OP_ADD); emit2(OP_STORE, 2);
    emit_jmp_to(inner);
    code[inner_exit + 1] = ncode - inner_exit;
    code[j + 1] = ncode - j;
    emit2(OP_LOAD, 2); emit2(OP_LOAD, 2); emit(OP_MUL); emit2(OP_LOAD, 1); emit(OP_LE);
    not_prime = emit2(OP_JZ, 0);
    /* d*d <= n here means a divisor was found */
    j = emit2(OP_JMP, 0);
    code[not_prime + 1] = ncode - not_prime;
    emit2(OP_LOAD, 3); emit2(OP_PUSH, 1); emit(OP_ADD); emit2(OP_STORE, 3);
    emit2(OP_LOAD, 4); emit2(OP_PUSH, 31); emit(OP_MUL); emit2(OP_LOAD, 1); emit(OP_XOR);
    emit2(OP_PUSH, 0xffffff); emit(OP_AND); emit2(OP_STORE, 4);
    code[j + 1] = ncode - j;
    emit2(OP_LOAD, 1); emit2(OP_PUSH, 1); emit(OP_ADD); emit2(OP_STORE, 1);
    emit_jmp_to(outer);
    code[done + 1] = ncode - done;
    emit(OP_HALT);
}

int main(int argc, char **argv)
{
    long limit = bench_size(argc, argv, 300000), n, d;
    double t0 = bench_now();
    struct vm m;
    int64_t count = 0, hash = 0;
    uint64_t sum = BENCH_MIX_INIT;
    int ok;

    assemble();
    memset(&m, 0, sizeof m);
    m.reg[0] = limit;
    m.pc = code;
    while (!m.halted)
        table[*m.pc](&m);
    for (n = 2; n < limit; n++) {
        for (d = 2; d * d <= n && n % d; d++)
            ;
        if (d * d > n) {
            count++;
            hash = ((hash * 31) ^ n) & 0xffffff;
        }
    }
    ok = m.reg[3] == count && m.reg[4] == hash && m.sp == 0;
    sum = bench_mix(sum, (uint64_t)m.reg[3]);
    sum = bench_mix(sum, (uint64_t)m.reg[4]);
    return bench_finish("indirect", sum, ok, t0);
}
