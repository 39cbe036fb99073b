/* interp.c - the interpreter: executes code produced by lower.c.
 * SPDX-License-Identifier: Apache-2.0
 *
 * One function, one loop. Instruction bodies are written once under
 * CASE/NEXT macros that compile to computed-goto threading (each handler
 * cell holds the handler's offset from a base label) or, for portability,
 * to a switch. Wasm-to-Wasm calls do not recurse on the C stack: frames
 * live in vm_exec, so call depth is bounded by configuration, never by the
 * host stack.
 *
 * Map: value helpers - numeric semantics - dispatch macros - vm_interp:
 *      control, calls, variables, memory, tables, numeric - traps
 */
#include <math.h>
#include <stdio.h>

#include "../config.h" /* MANTLE_ENABLE_SIMD, _SIMD_VECTOR, _FUSION */
#include "bulk.h"
#include "iops.h"
#include "vm.h"

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#endif

/* Linear memory is little-endian; loads and stores go through memcpy and
 * these, so a big-endian port only has to change them. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LE16(x) __builtin_bswap16(x)
#define LE32(x) __builtin_bswap32(x)
#define LE64(x) __builtin_bswap64(x)
#else
#define LE16(x) (x)
#define LE32(x) (x)
#define LE64(x) (x)
#endif

/* ---- Value helpers ---------------------------------------------------- */

static inline float f32_of(uint64_t s)
{
    uint32_t b = (uint32_t)s;
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static inline double f64_of(uint64_t s)
{
    double d;
    memcpy(&d, &s, 8);
    return d;
}

static inline uint64_t bits_f32(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static inline uint64_t bits_f64(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* ---- Numeric semantics (spec 4.3) -------------------------------------- */

static inline uint32_t rotl32(uint32_t a, uint32_t b)
{
    b &= 31;
    return b ? (a << b) | (a >> (32 - b)) : a;
}
static inline uint32_t rotr32(uint32_t a, uint32_t b)
{
    b &= 31;
    return b ? (a >> b) | (a << (32 - b)) : a;
}
static inline uint64_t rotl64(uint64_t a, uint64_t b)
{
    b &= 63;
    return b ? (a << b) | (a >> (64 - b)) : a;
}
static inline uint64_t rotr64(uint64_t a, uint64_t b)
{
    b &= 63;
    return b ? (a >> b) | (a << (64 - b)) : a;
}

/* NaN in, NaN out; -0 < +0 (spec fmin/fmax). */
static inline float wmin32(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline float wmax32(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}
static inline double wmin64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline double wmax64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* Rounding functions of libm may return a signalling NaN unchanged; Wasm
 * wants an arithmetic (quiet) NaN. Adding quiets it. */
#define ROUND32(fn, x) (isnan(x) ? (x) + (x) : fn(x))
#define ROUND64(fn, x) (isnan(x) ? (x) + (x) : fn(x))

static inline float round32_ceil(float x)
{
    return ROUND32(ceilf, x);
}
static inline double round64_ceil(double x)
{
    return ROUND64(ceil, x);
}
static inline float round32_floor(float x)
{
    return ROUND32(floorf, x);
}
static inline double round64_floor(double x)
{
    return ROUND64(floor, x);
}
static inline float round32_trunc(float x)
{
    return ROUND32(truncf, x);
}
static inline double round64_trunc(double x)
{
    return ROUND64(trunc, x);
}
static inline float round32_nearbyint(float x)
{
    return ROUND32(nearbyintf, x);
}
static inline double round64_nearbyint(double x)
{
    return ROUND64(nearbyint, x);
}

/* Saturating truncations (0xFC 0-7). */
static inline uint64_t sat_i32_s(double x)
{
    if (isnan(x))
        return 0;
    if (x <= -2147483648.0)
        return (uint32_t)INT32_MIN;
    if (x >= 2147483647.0)
        return (uint32_t)INT32_MAX;
    return (uint32_t)(int32_t)x;
}
static inline uint64_t sat_i32_u(double x)
{
    if (isnan(x) || x <= -1.0)
        return 0;
    if (x >= 4294967295.0)
        return UINT32_MAX;
    return (uint32_t)x;
}
static inline uint64_t sat_i64_s(double x)
{
    if (isnan(x))
        return 0;
    if (x < -9223372036854775808.0)
        return (uint64_t)INT64_MIN;
    if (x >= 9223372036854775808.0)
        return (uint64_t)INT64_MAX;
    return (uint64_t)(int64_t)x;
}
static inline uint64_t sat_i64_u(double x)
{
    if (isnan(x) || x <= -1.0)
        return 0;
    if (x >= 18446744073709551616.0)
        return UINT64_MAX;
    return (uint64_t)x;
}

#if MANTLE_ENABLE_SIMD
/* SIMD lane semantics, built on the scalar helpers above. */
#define SIMD_FMIN32 wmin32
#define SIMD_FMAX32 wmax32
#define SIMD_FMIN64 wmin64
#define SIMD_FMAX64 wmax64
#define SIMD_CEIL32 round32_ceil
#define SIMD_FLOOR32 round32_floor
#define SIMD_TRUNC32 round32_trunc
#define SIMD_NEAREST32 round32_nearbyint
#define SIMD_CEIL64 round64_ceil
#define SIMD_FLOOR64 round64_floor
#define SIMD_TRUNC64 round64_trunc
#define SIMD_NEAREST64 round64_nearbyint
#define SIMD_SQRT32 sqrtf
#define SIMD_SQRT64 sqrt
#define SIMD_SAT_I32_S sat_i32_s
#define SIMD_SAT_I32_U sat_i32_u
#include "simd.h"
#if MANTLE_ENABLE_SIMD_VECTOR
#include "simd_vec.h" /* routes the hot integer operators to vector code */
#endif

/* The lane operators run out of line, one small function each on the
 * slots of their operands, called through the tables below by the four
 * VOP_SIMD_* handlers (iops.h): a handler each would make vm_interp much
 * larger for the sake of one indirect call per SIMD instruction, and a
 * smaller vm_interp leaves the scalar handlers alone. */
#if defined(__GNUC__)
#define SIMD_OOL static __attribute__((noinline))
#else
#define SIMD_OOL static
#endif
#define X(sym)                                                                \
    SIMD_OOL void simd_op_##sym(uint64_t *d, const uint64_t *a)               \
    {                                                                         \
        simd_put(d, simd_##sym(simd_get(a)));                                 \
    }
SIMD_UNOPS(X)
#undef X
#define X(sym)                                                                \
    SIMD_OOL void simd_op_##sym(uint64_t *d, const uint64_t *a,               \
                                const uint64_t *b)                            \
    {                                                                         \
        simd_put(d, simd_##sym(simd_get(a), simd_get(b)));                    \
    }
SIMD_BINOPS(X)
#undef X
#define X(sym)                                                                \
    SIMD_OOL void simd_op_##sym(uint64_t *d, const uint64_t *a, uint32_t n)   \
    {                                                                         \
        simd_put(d, simd_##sym(simd_get(a), n));                              \
    }
SIMD_SHIFTOPS(X)
#undef X
#define X(sym)                                                                \
    SIMD_OOL uint32_t simd_op_##sym(const uint64_t *a)                        \
    {                                                                         \
        return simd_##sym(simd_get(a));                                       \
    }
SIMD_REDOPS(X)
#undef X

typedef void (*simd_un_fn)(uint64_t *, const uint64_t *);
typedef void (*simd_bin_fn)(uint64_t *, const uint64_t *, const uint64_t *);
typedef void (*simd_shift_fn)(uint64_t *, const uint64_t *, uint32_t);
typedef uint32_t (*simd_red_fn)(const uint64_t *);
#define X(sym) [SIMD_UN_##sym] = simd_op_##sym,
static const simd_un_fn simd_un_fns[SIMD_UN__COUNT] = {SIMD_UNOPS(X)};
#undef X
#define X(sym) [SIMD_BIN_##sym] = simd_op_##sym,
static const simd_bin_fn simd_bin_fns[SIMD_BIN__COUNT] = {SIMD_BINOPS(X)};
#undef X
#define X(sym) [SIMD_SHIFT_##sym] = simd_op_##sym,
static const simd_shift_fn simd_shift_fns[SIMD_SHIFT__COUNT] = {
    SIMD_SHIFTOPS(X)};
#undef X
#define X(sym) [SIMD_RED_##sym] = simd_op_##sym,
static const simd_red_fn simd_red_fns[SIMD_RED__COUNT] = {SIMD_REDOPS(X)};
#undef X
#endif /* MANTLE_ENABLE_SIMD */

/* ---- Dispatch ---------------------------------------------------------- */

int32_t vm_handler_offset[VOP__COUNT];

#if MANTLE_ENABLE_OPSTATS
/* Profiling aid for lowering work (switch builds only): how often each
 * instruction and each pair of consecutive instructions ran, printed to
 * stderr at exit. */
#include <stdlib.h>
static uint64_t opstats[VOP__COUNT];
static uint64_t pairstats[VOP__COUNT][VOP__COUNT];
static uint32_t opstats_prev;

static void opstats_print(void)
{
    uint64_t total = 0;
    for (int i = 0; i < VOP__COUNT; i++)
        total += opstats[i];
    fprintf(stderr, "opstats: %llu instructions\n", (unsigned long long)total);
    for (int k = 0; k < 40; k++) {
        uint64_t best = 0;
        int bi = -1, bj = -1;
        for (int i = 0; i < VOP__COUNT; i++)
            for (int j = 0; j < VOP__COUNT; j++)
                if (pairstats[i][j] > best) {
                    best = pairstats[i][j];
                    bi = i;
                    bj = j;
                }
        if (bi < 0)
            break;
        fprintf(stderr, "pair %5.2f%% %s %s\n", 100.0 * best / total,
                vm_op_name((uint32_t)bi), vm_op_name((uint32_t)bj));
        pairstats[bi][bj] = 0;
    }
    for (int k = 0; k < 40; k++) {
        uint64_t best = 0;
        int bi = -1;
        for (int i = 0; i < VOP__COUNT; i++)
            if (opstats[i] > best) {
                best = opstats[i];
                bi = i;
            }
        if (bi < 0)
            break;
        fprintf(stderr, "op %5.2f%% %s\n", 100.0 * best / total,
                vm_op_name((uint32_t)bi));
        opstats[bi] = 0;
    }
}

static void vm_opstats_count(uint32_t op)
{
    static bool registered;
    if (!registered) {
        registered = true;
        atexit(opstats_print);
    }
    opstats[op]++;
    pairstats[opstats_prev][op]++;
    opstats_prev = op;
}
#endif

#define R(i) fp[pc[i]]
#define U32(i) ((uint32_t)R(i))
#define I32(i) ((int32_t)(uint32_t)R(i))
#define U64(i) (R(i))
#define I64(i) ((int64_t)R(i))
#define F32(i) f32_of(R(i))
#define F64(i) f64_of(R(i))

#if MANTLE_ENABLE_COMPUTED_GOTO
#define CASE(op) L_##op:
#define DISPATCH() goto *(const void *)((const char *)&&L_base + (int32_t)*pc)
#define NEXT(n)                                                               \
    do {                                                                      \
        pc += (n);                                                            \
        DISPATCH();                                                           \
    } while (0)
#else
#define CASE(op) case op:
#define DISPATCH() goto dispatch
#define NEXT(n)                                                               \
    do {                                                                      \
        pc += (n);                                                            \
        goto dispatch;                                                        \
    } while (0)
#endif

/* Jump to code position `t`. A backward jump is a loop back-edge: charge
 * the loop's cost (the operand of the VOP_LOOP_CHECK just before every
 * loop target) and poll the interrupt flag, without a dispatch of its own. */
#define JUMP(t)                                                               \
    do {                                                                      \
        const vm_cell *np_ = cells + (t);                                     \
        if (np_ <= pc) {                                                      \
            fuel -= np_[-1];                                                  \
            if (UNLIKELY(fuel < 0))                                           \
                TRAP(MANTLE_TRAP_OUT_OF_FUEL);                                \
            if (UNLIKELY(*intr))                                              \
                TRAP(MANTLE_TRAP_INTERRUPTED);                                \
        }                                                                     \
        pc = np_;                                                             \
        DISPATCH();                                                           \
    } while (0)

/* The end of a pair's first half (iops.h VM_PAIRS): on to the second's
 * handler by a direct jump. A switch build dispatches it as usual. */
#if MANTLE_ENABLE_COMPUTED_GOTO
#define THEN(n, second)                                                       \
    do {                                                                      \
        pc += (n);                                                            \
        goto L_##second;                                                      \
    } while (0)
#else
#define THEN(n, second) NEXT(n)
#endif

/* An accumulator binary operator's body for a pair (x, y: operands). */
#define KB(T, ga, gb, put, e)                                                 \
    {                                                                         \
        T x = (ga), y = (gb);                                                 \
        put(T, e);                                                            \
        THEN_P(4);                                                            \
    }

/* Jump to the loop target in cell k: a back-edge, known at lowering. */
#define JUMP_BACK(k)                                                          \
    do {                                                                      \
        const vm_cell *np_ = cells + pc[k];                                   \
        fuel -= np_[-1];                                                      \
        if (UNLIKELY(fuel < 0))                                               \
            TRAP(MANTLE_TRAP_OUT_OF_FUEL);                                    \
        if (UNLIKELY(*intr))                                                  \
            TRAP(MANTLE_TRAP_INTERRUPTED);                                    \
        pc = np_;                                                             \
        DISPATCH();                                                           \
    } while (0)

#define TRAP(kind)                                                            \
    do {                                                                      \
        tk = (kind);                                                          \
        goto trap;                                                            \
    } while (0)

#define RELOAD_INSTANCE()                                                     \
    do {                                                                      \
        funcs = inst->funcs;                                                  \
        gslots = inst->global_slots;                                          \
        RELOAD_MEMORY();                                                      \
    } while (0)

#define RELOAD_MEMORY()                                                       \
    do {                                                                      \
        mantle_memory *m0_ = inst->memories[0];                               \
        mem = m0_ ? m0_->base : NULL;                                         \
        memlim = (int64_t)(m0_ ? m0_->size : 0) - 8;                          \
    } while (0)

/* Accumulator access by class (iops.h): I values in `acc` in slot form,
 * F (f64) values in the double `facc`. A result sent to the accumulator
 * is written to its slot as well (KPUT, LPUT). */
#define KI_GET(T, i) ((T)R(i))
#define KI_ACC(T) ((T)acc)
#define KI_PUT(T, e) R(1) = (T)(e)
#define KI_KPUT(T, e) R(1) = acc = (T)(e)
#define KF_GET(T, i) F64(i)
#define KF_ACC(T) facc
#define KF_PUT(T, e) R(1) = bits_f64(e)
#define KF_KPUT(T, e) R(1) = bits_f64(facc = (e))
#define KI_LPUT(v) R(1) = acc = (v)
#define KF_LPUT(v)                                                            \
    do {                                                                      \
        uint64_t t_ = (v);                                                    \
        R(1) = t_;                                                            \
        facc = f64_of(t_);                                                    \
    } while (0)
#define KI_SVAL acc
#define KF_SVAL bits_f64(facc)
#define SLOT_LPUT(v) R(1) = (v)

/* A binary operator and its accumulator variants (iops.h VM_ACC_BINS). */
#define ACC_BIN(sym, C, T, e)                                                 \
    CASE(OP_##sym)                                                            \
    {                                                                         \
        T x = K##C##_GET(T, 2), y = K##C##_GET(T, 3);                         \
        K##C##_PUT(T, e);                                                     \
        NEXT(4);                                                              \
    }                                                                         \
    ACC_BIN_VARIANTS(sym, C, T, e)
#if MANTLE_ENABLE_FUSION
#define ACC_BIN_VARIANTS(sym, C, T, e)                                        \
    CASE(VOP_K_##sym##_d)                                                     \
    {                                                                         \
        T x = K##C##_GET(T, 2), y = K##C##_GET(T, 3);                         \
        K##C##_KPUT(T, e);                                                    \
        NEXT(4);                                                              \
    }                                                                         \
    CASE(VOP_K_##sym##_a)                                                     \
    {                                                                         \
        T x = K##C##_ACC(T), y = K##C##_GET(T, 3);                            \
        K##C##_PUT(T, e);                                                     \
        NEXT(4);                                                              \
    }                                                                         \
    CASE(VOP_K_##sym##_da)                                                    \
    {                                                                         \
        T x = K##C##_ACC(T), y = K##C##_GET(T, 3);                            \
        K##C##_KPUT(T, e);                                                    \
        NEXT(4);                                                              \
    }                                                                         \
    CASE(VOP_K_##sym##_b)                                                     \
    {                                                                         \
        T x = K##C##_GET(T, 2), y = K##C##_ACC(T);                            \
        K##C##_PUT(T, e);                                                     \
        NEXT(4);                                                              \
    }                                                                         \
    CASE(VOP_K_##sym##_db)                                                    \
    {                                                                         \
        T x = K##C##_GET(T, 2), y = K##C##_ACC(T);                            \
        K##C##_KPUT(T, e);                                                    \
        NEXT(4);                                                              \
    }
#else
#define ACC_BIN_VARIANTS(sym, C, T, e)
#endif

/* Bounds checks. An access of n bytes at ea (a 64-bit sum of 32-bit
 * parts, so far below 2^63) is out of bounds iff ea + n > size, that is
 * ea - (8 - n) > size - 8. Keeping memlim = size - 8 (signed: -8 for no
 * memory) makes the check of the common 8-byte access (and the fused
 * f64/i64 ones) one compare, without computing ea + 8 next to ea. */
#define OOB(ea, n) ((int64_t)(ea) - (8 - (int64_t)(n)) > memlim)
#define OOBN(a, n) OOB((uint64_t)(a) + (n), 0)

/* Memory access bodies: effective address expression (64-bit, no
 * overflow), where the value goes (loads) or comes from (stores). */
#define LD(T, n, conv, ea_expr, put, len)                                     \
    LDT(T, n, conv, ea_expr, put, len, NEXT)
#define LDT(T, n, conv, ea_expr, put, len, then)                              \
    {                                                                         \
        uint64_t ea = (ea_expr);                                              \
        if (UNLIKELY(OOB(ea, n)))                                             \
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                  \
        T v_;                                                                 \
        memcpy(&v_, mem + ea, n);                                             \
        put(conv);                                                            \
        then(len);                                                            \
    }
#define ST(T, n, conv, ea_expr, sval, len)                                    \
    {                                                                         \
        uint64_t ea = (ea_expr);                                              \
        if (UNLIKELY(OOB(ea, n)))                                             \
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                  \
        uint64_t s_ = (sval);                                                 \
        T v_ = conv;                                                          \
        memcpy(mem + ea, &v_, n);                                             \
        NEXT(len);                                                            \
    }
/* Addresses: plain (slot or accumulator, static offset in cell 3) and
 * fused i32.add of two operands (the add wraps; offset in cell 4). */
#define EA_S (uint64_t)U32(2) + pc[3]
#define EA_K (uint64_t)(uint32_t)acc + pc[3]
#define EAX_S (uint64_t)(uint32_t)(U32(2) + U32(3)) + pc[4]
#define EAX_K (uint64_t)(uint32_t)((uint32_t)acc + U32(3)) + pc[4]
#define SEA_S (uint64_t)U32(1) + pc[3]
#define SEA_K (uint64_t)(uint32_t)acc + pc[3]
#define SEAX_S (uint64_t)(uint32_t)(U32(1) + U32(2)) + pc[4]
#define SEAX_K (uint64_t)(uint32_t)((uint32_t)acc + U32(2)) + pc[4]

/* A load-operator (iops.h VM_LOADOPS) and its accumulator variants. */
#define LOP(T, e, LT, n, conv, geta, put)                                     \
    {                                                                         \
        uint64_t ea = (uint64_t)(uint32_t)(U32(3) + U32(4)) + pc[5];          \
        if (UNLIKELY(OOB(ea, n)))                                             \
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                  \
        LT v_;                                                                \
        memcpy(&v_, mem + ea, n);                                             \
        T x = (geta), y = conv;                                               \
        put(T, e);                                                            \
        NEXT(6);                                                              \
    }
#define LOADOP(sym, C, T, e, LT, n, conv, comm)                               \
    CASE(VOP_LX_##sym) LOP(T, e, LT, n, conv, K##C##_GET(T, 2), K##C##_PUT)   \
    CASE(VOP_LX_##sym##_d)                                                    \
    LOP(T, e, LT, n, conv, K##C##_GET(T, 2), K##C##_KPUT)                     \
    CASE(VOP_LX_##sym##_a) LOP(T, e, LT, n, conv, K##C##_ACC(T), K##C##_PUT)  \
    CASE(VOP_LX_##sym##_da)                                                   \
    LOP(T, e, LT, n, conv, K##C##_ACC(T), K##C##_KPUT)

/* An f64 load-operator whose address operand x is the integer
 * accumulator (iops.h VM_LOADOPS_XACC). */
#define LOPK(geta, e, put)                                                    \
    {                                                                         \
        uint64_t ea = (uint64_t)(uint32_t)((uint32_t)acc + U32(4)) + pc[5];   \
        if (UNLIKELY(OOB(ea, 8)))                                             \
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                  \
        uint64_t v_;                                                          \
        memcpy(&v_, mem + ea, 8);                                             \
        double x = (geta), y = f64_of(LE64(v_));                              \
        put(double, e);                                                       \
        NEXT(6);                                                              \
    }
#define LOADOP_XACC(sym, e)                                                   \
    CASE(VOP_LX_##sym##_b) LOPK(F64(2), e, KF_PUT)                            \
    CASE(VOP_LX_##sym##_db) LOPK(F64(2), e, KF_KPUT)                          \
    CASE(VOP_LX_##sym##_ab) LOPK(facc, e, KF_PUT)                             \
    CASE(VOP_LX_##sym##_dab) LOPK(facc, e, KF_KPUT)

/* Two f64.add load-operators on one base (iops.h VOP_LX2_F64Add). */
#define LOP2(geta, xget, put)                                                 \
    {                                                                         \
        uint32_t xb_ = (xget);                                                \
        uint64_t ea = (uint64_t)(uint32_t)(xb_ + U32(4)) + pc[5];             \
        if (UNLIKELY(OOB(ea, 8)))                                             \
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                  \
        uint64_t eb = (uint64_t)(uint32_t)(xb_ + U32(6)) + pc[7];             \
        if (UNLIKELY(OOB(eb, 8))) {                                           \
            pc += 6; /* the second load's entry in the pc map */              \
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                  \
        }                                                                     \
        uint64_t v_, w_;                                                      \
        memcpy(&v_, mem + ea, 8);                                             \
        memcpy(&w_, mem + eb, 8);                                             \
        double x = (geta) + f64_of(LE64(v_)), y = f64_of(LE64(w_));           \
        put(double, x + y);                                                   \
        NEXT(8);                                                              \
    }

/* A load-operator that keeps the loaded value in a local (iops.h
 * VM_LOADTEES): the local is written before operand a is read and before
 * dst, as the Wasm order has it. */
#define KI_OF(T, s) ((T)(s))
#define KF_OF(T, s) f64_of(s)
#define LTE(C, T, e, LT, n, conv, geta, put, then)                            \
    LTEX(C, T, e, LT, n, conv, geta, U32(3), put, then)
/* The same with the address operand x from `xget` (iops.h
 * VM_LOADTEES_XACC: the integer accumulator). */
#define LTEX(C, T, e, LT, n, conv, geta, xget, put, then)                     \
    {                                                                         \
        uint64_t ea = (uint64_t)(uint32_t)((xget) + U32(4)) + pc[5];          \
        if (UNLIKELY(OOB(ea, n)))                                             \
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                  \
        LT v_;                                                                \
        memcpy(&v_, mem + ea, n);                                             \
        uint64_t s_ = conv;                                                   \
        R(6) = s_;                                                            \
        T x = (geta), y = K##C##_OF(T, s_);                                   \
        put(T, e);                                                            \
        then(7);                                                              \
    }
#define LOADTEE(sym, C, T, e, LT, n, conv, comm)                              \
    CASE(VOP_LT_##sym)                                                        \
    LTE(C, T, e, LT, n, conv, K##C##_GET(T, 2), K##C##_PUT, NEXT)             \
    CASE(VOP_LT_##sym##_d)                                                    \
    LTE(C, T, e, LT, n, conv, K##C##_GET(T, 2), K##C##_KPUT, NEXT)            \
    CASE(VOP_LT_##sym##_a)                                                    \
    LTE(C, T, e, LT, n, conv, K##C##_ACC(T), K##C##_PUT, NEXT)                \
    CASE(VOP_LT_##sym##_da)                                                   \
    LTE(C, T, e, LT, n, conv, K##C##_ACC(T), K##C##_KPUT, NEXT)
#define LOADTEE_XACC(sym, e)                                                  \
    CASE(VOP_LT_##sym##_b)                                                    \
    LTEX(F, double, e, uint64_t, 8, LE64(v_), F64(2), (uint32_t)acc, KF_PUT,  \
         NEXT)                                                                \
    CASE(VOP_LT_##sym##_db)                                                   \
    LTEX(F, double, e, uint64_t, 8, LE64(v_), F64(2), (uint32_t)acc, KF_KPUT, \
         NEXT)                                                                \
    CASE(VOP_LT_##sym##_ab)                                                   \
    LTEX(F, double, e, uint64_t, 8, LE64(v_), facc, (uint32_t)acc, KF_PUT,    \
         NEXT)                                                                \
    CASE(VOP_LT_##sym##_dab)                                                  \
    LTEX(F, double, e, uint64_t, 8, LE64(v_), facc, (uint32_t)acc, KF_KPUT,   \
         NEXT)

/* An operator-store (iops.h VM_OPSTORES) and its accumulator variants. */
#define OPST_DO(T, e, ST, n, conv, ga, gb)                                    \
    {                                                                         \
        T x = (ga), y = (gb);                                                 \
        uint64_t ea = (uint64_t)U32(3) + pc[4];                               \
        if (UNLIKELY(OOB(ea, n)))                                             \
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);                                  \
        uint64_t s_ = (e);                                                    \
        ST v_ = conv;                                                         \
        memcpy(mem + ea, &v_, n);                                             \
    }
#define OPST(T, e, ST, n, conv, ga, gb)                                       \
    {                                                                         \
        OPST_DO(T, e, ST, n, conv, ga, gb)                                    \
        NEXT(5);                                                              \
    }
#define OPSTORE(sym, C, T, e, ST, n, conv)                                    \
    CASE(VOP_OS_##sym)                                                        \
    OPST(T, e, ST, n, conv, K##C##_GET(T, 1), K##C##_GET(T, 2))               \
    CASE(VOP_OS_##sym##_a)                                                    \
    OPST(T, e, ST, n, conv, K##C##_ACC(T), K##C##_GET(T, 2))                  \
    CASE(VOP_OS_##sym##_b)                                                    \
    OPST(T, e, ST, n, conv, K##C##_GET(T, 1), K##C##_ACC(T))

#if MANTLE_ENABLE_FUSION
#define LOAD(op, C, T, n, conv)                                               \
    CASE(OP_##op) LD(T, n, conv, EA_S, SLOT_LPUT, 4)                          \
    CASE(VOP_K_##op##_d) LD(T, n, conv, EA_S, K##C##_LPUT, 4)                 \
    CASE(VOP_K_##op##_a) LD(T, n, conv, EA_K, SLOT_LPUT, 4)                   \
    CASE(VOP_K_##op##_da) LD(T, n, conv, EA_K, K##C##_LPUT, 4)                \
    CASE(VOP_LOADX_##op) LD(T, n, conv, EAX_S, SLOT_LPUT, 5)                  \
    CASE(VOP_KX_##op##_d) LD(T, n, conv, EAX_S, K##C##_LPUT, 5)               \
    CASE(VOP_KX_##op##_a) LD(T, n, conv, EAX_K, SLOT_LPUT, 5)                 \
    CASE(VOP_KX_##op##_da) LD(T, n, conv, EAX_K, K##C##_LPUT, 5)

#define STORE(op, C, T, n, conv)                                              \
    CASE(OP_##op) ST(T, n, conv, SEA_S, R(2), 4)                              \
    CASE(VOP_K_##op##_a) ST(T, n, conv, SEA_K, R(2), 4)                       \
    CASE(VOP_K_##op##_b) ST(T, n, conv, SEA_S, K##C##_SVAL, 4)                \
    CASE(VOP_STOREX_##op) ST(T, n, conv, SEAX_S, R(3), 5)                     \
    CASE(VOP_KX_##op##_a) ST(T, n, conv, SEAX_K, R(3), 5)                     \
    CASE(VOP_KX_##op##_b) ST(T, n, conv, SEAX_S, K##C##_SVAL, 5)
#else
#define LOAD(op, C, T, n, conv) CASE(OP_##op) LD(T, n, conv, EA_S, SLOT_LPUT, 4)
#define STORE(op, C, T, n, conv) CASE(OP_##op) ST(T, n, conv, SEA_S, R(2), 4)
#endif

#define UN(op, expr)                                                          \
    CASE(OP_##op)                                                             \
    {                                                                         \
        R(1) = (expr);                                                        \
        NEXT(3);                                                              \
    }

#define BIN(op, expr)                                                         \
    CASE(OP_##op)                                                             \
    {                                                                         \
        uint64_t r_ = (expr);                                                 \
        R(1) = r_;                                                            \
        NEXT(4);                                                              \
    }

/* Trapping float-to-int: in range iff lo < x < hi (exclusive bounds chosen
 * per target type so the truncation is exact). */
#define TRUNC(op, FT, get, lo, hi, T, UT)                                     \
    CASE(OP_##op)                                                             \
    {                                                                         \
        FT x_ = get(2);                                                       \
        if (UNLIKELY(isnan(x_)))                                              \
            TRAP(MANTLE_TRAP_INVALID_CONVERSION);                             \
        if (UNLIKELY(!(x_ > (lo) && x_ < (hi))))                              \
            TRAP(MANTLE_TRAP_INT_OVERFLOW);                                   \
        R(1) = (UT)(T)x_;                                                     \
        NEXT(3);                                                              \
    }

#define BR_CMP1(name, neg, T, expr, ga, gb)                                   \
    CASE(name)                                                                \
    {                                                                         \
        T a = (T)(ga), b = (T)(gb);                                           \
        if (neg(expr))                                                        \
            JUMP(pc[3]);                                                      \
        NEXT(4);                                                              \
    }
/* i32.add, then a compare-and-branch on its result (iops.h). */
#define ADD_BR1(name, neg, T, expr)                                           \
    CASE(name)                                                                \
    {                                                                         \
        uint32_t r_ = U32(2) + U32(3);                                        \
        R(1) = r_;                                                            \
        T a = (T)r_, b = (T)R(4);                                             \
        if (neg(expr))                                                        \
            JUMP(pc[5]);                                                      \
        NEXT(6);                                                              \
    }
/* The same for add_br_if.I32Ne to a loop (VOP_ADDLOOP_I32Ne). */
#define LOOP_ADD_NE                                                           \
    {                                                                         \
        uint32_t r_ = U32(2) + U32(3);                                        \
        R(1) = r_;                                                            \
        if (r_ != (uint32_t)R(4))                                             \
            JUMP_BACK(5);                                                     \
        NEXT(6);                                                              \
    }
/* An i32 add or sub into a local, then a branch on it (iops.h). */
#define OP_BR1(name, neg, o)                                                  \
    CASE(name)                                                                \
    {                                                                         \
        uint32_t r_ = U32(2) o U32(3);                                        \
        R(1) = r_;                                                            \
        if (neg(r_ != 0))                                                     \
            JUMP(pc[4]);                                                      \
        NEXT(5);                                                              \
    }
#define OP_BR(sym, o)                                                         \
    OP_BR1(VOP_OPBRNZ_##sym, , o)                                             \
    OP_BR1(VOP_OPBRZ_##sym, !, o)
#define ADD_BR(sym, T, expr)                                                  \
    ADD_BR1(VOP_ADDBRIF_##sym, , T, expr)                                     \
    ADD_BR1(VOP_ADDBRUNLESS_##sym, !, T, expr)

#define BR_CMP(sym, T, expr)                                                  \
    BR_CMP1(VOP_BRIF_##sym, , T, expr, R(1), R(2))                            \
    BR_CMP1(VOP_KBRIF_##sym##_a, , T, expr, acc, R(2))                        \
    BR_CMP1(VOP_KBRIF_##sym##_b, , T, expr, R(1), acc)                        \
    BR_CMP1(VOP_BRUNLESS_##sym, !, T, expr, R(1), R(2))                       \
    BR_CMP1(VOP_KBRUNLESS_##sym##_a, !, T, expr, acc, R(2))                   \
    BR_CMP1(VOP_KBRUNLESS_##sym##_b, !, T, expr, R(1), acc)

/* Fill diag for a trap at `pc` in `code`, with the backtrace of ex. */
static void trap_report(vm_exec *ex, mantle_trap_kind tk, const vm_code *code,
                        const vm_cell *pc, mantle_instance *inst,
                        uint32_t base_depth, const char *detail);

__attribute__((noinline))
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noclone))
#endif
int vm_interp(vm_exec *ex, mantle_func *fn, uint64_t *fp)
{
#if MANTLE_ENABLE_COMPUTED_GOTO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Winitializer-overrides"
#endif
    /* Offsets from L_base, as vm_handler_offset holds them: constants,
     * so the table needs no relocation in a position-independent build. */
    static const int32_t labels[VOP__COUNT] = {
        [0 ... VOP__COUNT - 1] = &&L_bad - &&L_base,
#define OP(sym, text, code, imm, sig, arg)                                    \
    [OP_##sym] = &&L_OP_##sym - &&L_base,
#if !MANTLE_ENABLE_SIMD
#define OPV(sym, text, code, imm, sig, arg) /* L_bad */
#endif
#include "opcodes.def"
        [VOP_BR] = &&L_VOP_BR - &&L_base,
        [VOP_BR_IF] = &&L_VOP_BR_IF - &&L_base,
        [VOP_BR_UNLESS] = &&L_VOP_BR_UNLESS - &&L_base,
        [VOP_BR_TABLE] = &&L_VOP_BR_TABLE - &&L_base,
        [VOP_LOOP_CHECK] = &&L_VOP_LOOP_CHECK - &&L_base,
        [VOP_RETURN] = &&L_VOP_RETURN - &&L_base,
        [VOP_RETURN1] = &&L_VOP_RETURN1 - &&L_base,
        [VOP_CALL] = &&L_VOP_CALL - &&L_base,
        [VOP_CALL_INDIRECT] = &&L_VOP_CALL_INDIRECT - &&L_base,
        [VOP_COPY] = &&L_VOP_COPY - &&L_base,
        [VOP_SELECT] = &&L_VOP_SELECT - &&L_base,
        [VOP_GLOBAL_GET] = &&L_VOP_GLOBAL_GET - &&L_base,
        [VOP_GLOBAL_SET] = &&L_VOP_GLOBAL_SET - &&L_base,
        [VOP_TABLE_GET] = &&L_VOP_TABLE_GET - &&L_base,
        [VOP_TABLE_SET] = &&L_VOP_TABLE_SET - &&L_base,
        [VOP_TABLE_SIZE] = &&L_VOP_TABLE_SIZE - &&L_base,
        [VOP_TABLE_GROW] = &&L_VOP_TABLE_GROW - &&L_base,
        [VOP_TABLE_FILL] = &&L_VOP_TABLE_FILL - &&L_base,
        [VOP_TABLE_COPY] = &&L_VOP_TABLE_COPY - &&L_base,
        [VOP_TABLE_INIT] = &&L_VOP_TABLE_INIT - &&L_base,
        [VOP_ELEM_DROP] = &&L_VOP_ELEM_DROP - &&L_base,
        [VOP_MEMORY_SIZE] = &&L_VOP_MEMORY_SIZE - &&L_base,
        [VOP_MEMORY_GROW] = &&L_VOP_MEMORY_GROW - &&L_base,
        [VOP_MEMORY_INIT] = &&L_VOP_MEMORY_INIT - &&L_base,
        [VOP_DATA_DROP] = &&L_VOP_DATA_DROP - &&L_base,
        [VOP_MEMORY_COPY] = &&L_VOP_MEMORY_COPY - &&L_base,
        [VOP_MEMORY_FILL] = &&L_VOP_MEMORY_FILL - &&L_base,
        [VOP_REF_FUNC] = &&L_VOP_REF_FUNC - &&L_base,
        [VOP_REF_IS_NULL] = &&L_VOP_REF_IS_NULL - &&L_base,
        [VOP_UNREACHABLE] = &&L_VOP_UNREACHABLE - &&L_base,
#if MANTLE_ENABLE_SIMD
        [VOP_SIMD_UN] = &&L_VOP_SIMD_UN - &&L_base,
        [VOP_SIMD_BIN] = &&L_VOP_SIMD_BIN - &&L_base,
        [VOP_SIMD_SHIFT] = &&L_VOP_SIMD_SHIFT - &&L_base,
        [VOP_SIMD_RED] = &&L_VOP_SIMD_RED - &&L_base,
        [VOP_SELECT_V128] = &&L_VOP_SELECT_V128 - &&L_base,
        [VOP_COPY_V128] = &&L_VOP_COPY_V128 - &&L_base,
        [VOP_GLOBAL_GET_V128] = &&L_VOP_GLOBAL_GET_V128 - &&L_base,
        [VOP_GLOBAL_SET_V128] = &&L_VOP_GLOBAL_SET_V128 - &&L_base,
#endif
#if MANTLE_ENABLE_FUSION
        [VOP_COPY2] = &&L_VOP_COPY2 - &&L_base,
        [VOP_ADD2] = &&L_VOP_ADD2 - &&L_base,
#define X(sym, T, e)                                                          \
    [VOP_BRIF_##sym] = &&L_VOP_BRIF_##sym - &&L_base,                         \
    [VOP_BRUNLESS_##sym] = &&L_VOP_BRUNLESS_##sym - &&L_base,
        VM_FUSED_CMPS(X)
#undef X
#define X(sym, T, e)                                                          \
    [VOP_ADDBRIF_##sym] = &&L_VOP_ADDBRIF_##sym - &&L_base,                   \
    [VOP_ADDBRUNLESS_##sym] = &&L_VOP_ADDBRUNLESS_##sym - &&L_base,
        VM_FUSED_CMPS32(X)
#undef X
#define X(sym, o)                                                             \
    [VOP_OPBRNZ_##sym] = &&L_VOP_OPBRNZ_##sym - &&L_base,                     \
    [VOP_OPBRZ_##sym] = &&L_VOP_OPBRZ_##sym - &&L_base,
        VM_OPBRS(X)
#undef X
#define X(sym, C, T, n, conv)                                                 \
    [VOP_LOADX_##sym] = &&L_VOP_LOADX_##sym - &&L_base,
        VM_LOADS(X)
#undef X
#define X(sym, C, T, n, conv)                                                 \
    [VOP_STOREX_##sym] = &&L_VOP_STOREX_##sym - &&L_base,
        VM_STORES(X)
#undef X
#define X(sym, C, T, e, ST, n, conv)                                          \
    [VOP_OS_##sym] = &&L_VOP_OS_##sym - &&L_base,
        VM_OPSTORES(X)
#undef X
#define X(sym, C, T, e, LT, n, conv, comm)                                    \
    [VOP_LX_##sym] = &&L_VOP_LX_##sym - &&L_base,
        VM_LOADOPS(X)
#undef X
#define X(sym, C, T, e, LT, n, conv, comm)                                    \
    [VOP_LT_##sym] = &&L_VOP_LT_##sym - &&L_base,
        VM_LOADTEES(X)
#undef X
        [VOP_LX2_F64Add] = &&L_VOP_LX2_F64Add - &&L_base,
        [VOP_ADDLOOP_I32Ne] = &&L_VOP_ADDLOOP_I32Ne - &&L_base,
#define X(name, first, len) [VOP_TAIL_##name] = &&L_VOP_TAIL_##name - &&L_base,
        VM_TAILS(X)
#undef X
#define X(name, first, second, ctl)                                           \
    [VOP_PAIR_##name] = &&L_VOP_PAIR_##name - &&L_base,
        VM_PAIRS(X)
#undef X
#define VACC(name, base, flags) [name] = &&L_##name - &&L_base,
        VM_ACC_VARIANTS
#undef VACC
#endif
    };
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    if (!ex) {
        for (int i = 0; i < VOP__COUNT; i++)
            vm_handler_offset[i] = labels[i];
        return 0;
    }
#else
    if (!ex)
        return 0;
#endif

    mantle_instance *inst = fn->inst;
    vm_code *code = fn->code;
    const vm_cell *cells = code->cells;
    const vm_cell *pc;
    mantle_func **funcs;
    uint64_t **gslots;
    uint8_t *mem;
    int64_t memlim; /* memory size - 8: see OOB */
    int64_t fuel = ex->fuel;
    const uint32_t base_depth = ex->depth;
    mantle_trap_kind tk = MANTLE_TRAP_NONE;
    const char *detail = NULL;
    mantle_func *callee;
    uint64_t *newfp;
    const vm_cell *retpc;
    int status = MANTLE_OK;
    /* The accumulators: see iops.h. Only read by the instruction right
     * after the one that wrote them, so never live across a call. */
#if MANTLE_ENABLE_FUSION
    uint64_t acc = 0;
    double facc = 0;
#endif
    /* Set when the outermost call entered; nested entries keep it. */
    volatile uint32_t *const intr = ex->interrupt;

    RELOAD_INSTANCE();
    /* The entry frame: the caller placed args at fp and checked room. */
    goto enter;

#if MANTLE_ENABLE_COMPUTED_GOTO
    DISPATCH();
#else
dispatch:
#if MANTLE_ENABLE_OPSTATS
    vm_opstats_count((uint32_t)*pc);
#endif
    switch ((uint32_t)*pc) {
#endif

#if MANTLE_ENABLE_COMPUTED_GOTO
L_base:
#endif
    CASE(VOP_UNREACHABLE)
    {
        TRAP(MANTLE_TRAP_UNREACHABLE);
    }

    /* ---- Control ---- */
    CASE(VOP_BR)
    {
        JUMP(pc[1]);
    }
    CASE(VOP_BR_IF)
    {
        if (U32(1))
            JUMP(pc[2]);
        NEXT(3);
    }
    CASE(VOP_BR_UNLESS)
    {
        if (!U32(1))
            JUMP(pc[2]);
        NEXT(3);
    }
    CASE(VOP_BR_TABLE)
    {
        uint32_t i = U32(1), n = pc[2];
        JUMP(pc[3 + (i < n ? i : n)]);
    }
#if MANTLE_ENABLE_FUSION
    CASE(VOP_K_BR_IF_a)
    {
        if ((uint32_t)acc)
            JUMP(pc[2]);
        NEXT(3);
    }
    CASE(VOP_K_BR_UNLESS_a)
    {
        if (!(uint32_t)acc)
            JUMP(pc[2]);
        NEXT(3);
    }
    VM_FUSED_CMPS(BR_CMP)
    VM_FUSED_CMPS32(ADD_BR)
    VM_OPBRS(OP_BR)
#endif
    CASE(VOP_LOOP_CHECK)
    {
        fuel -= pc[1];
        if (UNLIKELY(fuel < 0))
            TRAP(MANTLE_TRAP_OUT_OF_FUEL);
        if (UNLIKELY(*intr))
            TRAP(MANTLE_TRAP_INTERRUPTED);
        NEXT(2);
    }
    CASE(VOP_RETURN1)
    {
        fp[0] = R(1);
        goto do_return;
    }
    CASE(VOP_RETURN)
    {
    do_return:
        if (ex->depth == base_depth)
            goto done;
        {
            vm_frame *f = &ex->frames[--ex->depth];
            pc = f->pc;
            fp = f->fp;
            code = f->code;
            cells = code->cells;
            /* Same instance: mem and memlim are current (memory.grow
             * and host calls reload them where they happen). */
            if (f->inst != inst) {
                inst = f->inst;
                RELOAD_INSTANCE();
            }
        }
        DISPATCH();
    }
    CASE(VOP_CALL)
    {
        callee = funcs[pc[1]];
        newfp = fp + pc[2];
        retpc = pc + 3;
        goto do_call;
    }
    CASE(VOP_CALL_INDIRECT)
    {
        mantle_table *t = inst->tables[pc[2]];
        uint32_t i = U32(4);
        if (UNLIKELY(i >= t->size)) {
            detail = "undefined element";
            TRAP(MANTLE_TRAP_TABLE_BOUNDS);
        }
        callee = t->elems[i];
        if (UNLIKELY(!callee))
            TRAP(MANTLE_TRAP_INDIRECT_NULL);
        const wasm_functype *want = &inst->wasm->types[pc[1]];
        if (UNLIKELY(callee->type != want &&
                     !wasm_functype_equal(callee->type, want)))
            TRAP(MANTLE_TRAP_INDIRECT_TYPE);
        newfp = fp + pc[3];
        retpc = pc + 5;
        goto do_call;
    }

do_call:
    /* Only a callee with lowered code is called here: native (AOT) code,
     * host functions and first calls, which need lowering, have none
     * (vm_aot_instance_init clears it for native code), so one test sends
     * them all to call_slow. */
    if (UNLIKELY(!callee->code))
        goto call_slow;
call_code:
    if (UNLIKELY(ex->depth >= ex->max_frames))
        TRAP(MANTLE_TRAP_STACK_EXHAUSTED);
    {
        vm_frame *f = &ex->frames[ex->depth++];
        f->pc = retpc;
        f->fp = fp;
        f->code = code;
        f->inst = inst;
    }
    fp = newfp;
    code = callee->code;
    cells = code->cells;
    if (callee->inst != inst) {
        inst = callee->inst;
        RELOAD_INSTANCE();
    }
enter:
    pc = cells;  /* for trap reports before the first instruction */
    if (UNLIKELY(fp + code->frame_slots > ex->stack_end)) {
        if (ex->depth > base_depth) {
            /* Report the caller as the place of the trap. */
            vm_frame *f = &ex->frames[--ex->depth];
            pc = f->pc - 1;
            fp = f->fp;
            code = f->code;
            cells = code->cells;
            inst = f->inst;
        }
        TRAP(MANTLE_TRAP_STACK_EXHAUSTED);
    }
    /* Zeroed locals and if-saves, then the constants: one copy of the
     * template. A plain loop for the usual few slots; above that whole
     * chunks (lower.c pads the template and the frame), not memcpy: the
     * libc call spilled the interpreter's registers around it, and
     * SQLite's hot functions have 17-40 slots to copy. */
    {
        uint64_t *d_ = fp + code->locals_start;
        const uint64_t *s_ = code->init;
        uint32_t n_ = code->ninit;
        if (n_ <= 16) {
            for (uint32_t i = 0; i < n_; i++)
                d_[i] = s_[i];
        } else {
            for (const uint64_t *e_ = s_ + n_; s_ < e_;
                 s_ += VM_INIT_CHUNK, d_ += VM_INIT_CHUNK)
                memcpy(d_, s_, VM_INIT_CHUNK * sizeof *d_);
        }
    }
    fuel -= code->entry_cost;
    if (UNLIKELY((fuel < 0) | (*intr != 0))) {
        if (fuel < 0)
            TRAP(MANTLE_TRAP_OUT_OF_FUEL);
        TRAP(MANTLE_TRAP_INTERRUPTED);
    }
    pc = cells + 1;
    DISPATCH();

    /* The calls do_call does not take: see there. */
call_slow:
#if MANTLE_ENABLE_AOT
    /* ---- AOT hook: a callee with native code runs through its own call
     * wrapper (src/aot/aot_call.c); a trap there has filled the diag. */
    if (UNLIKELY(callee->aot_tramp != NULL)) {
        ex->fuel = fuel;
        int st_ = vm_aot_invoke(ex, callee, newfp);
        fuel = ex->fuel;
        if (UNLIKELY(st_ != MANTLE_OK)) {
            status = st_;
            goto unwind;
        }
        RELOAD_MEMORY();
        pc = retpc;
        DISPATCH();
    }
#endif
    if (callee->host) {
        /* Host call: values are passed as mantle_val arrays placed on the
         * value stack above the arguments, so a host function that calls
         * back into Wasm finds the stack above them free. */
        const wasm_functype *ft = callee->type;
        uint32_t np = ft->nparams, nr = ft->nresults;
        uint32_t nps = wasm_slot_count(ft->types, np);
        uint32_t nrs = wasm_slot_count(ft->types + np, nr);
        uint32_t area = nps > nrs ? nps : nrs;
        size_t vslots = ((size_t)(np + nr) * sizeof(mantle_val) + 7) / 8;
        mantle_val *args = (mantle_val *)(void *)(newfp + area);
        mantle_val *res = args + np;
        uint64_t *saved_sp = ex->sp;
        if (UNLIKELY(newfp + area + vslots + 1 > ex->stack_end))
            TRAP(MANTLE_TRAP_STACK_EXHAUSTED);
        for (uint32_t i = 0, o = 0; i < np; o += wasm_slot_width(ft->types[i]), i++)
            vm_slot_to_val(ft->types[i], &newfp[o], &args[i]);
        for (uint32_t i = 0; i < nr; i++) {
            memset(&res[i], 0, sizeof res[i]);
            res[i].kind = vm_kind_of(ft->types[np + i]);
        }
        ex->sp = newfp + area + vslots + 1;
        ex->fuel = fuel;
        ex->host_msg[0] = '\0';
        struct mantle_caller caller = {ex, inst};
        int st = callee->host(&caller, callee->env, args, res);
        ex->sp = saved_sp;
        fuel = ex->fuel;
        if (UNLIKELY(st != MANTLE_OK)) {
            if (st == MANTLE_EEXIT) {
                status = MANTLE_EEXIT;
                goto unwind;
            }
            detail = ex->host_msg[0] ? ex->host_msg : mantle_strerror(st);
            TRAP(MANTLE_TRAP_HOST);
        }
        for (uint32_t i = 0; i < nr; i++) {
            if (UNLIKELY(res[i].kind != vm_kind_of(ft->types[np + i]))) {
                detail = "host function returned a value of the wrong type";
                TRAP(MANTLE_TRAP_HOST);
            }
        }
        /* Results overwrite the argument area: copy out of `res` first
         * (it lies above the area, so the order is safe). */
        for (uint32_t i = 0, o = 0; i < nr; o += wasm_slot_width(ft->types[np + i]), i++)
            vm_val_to_slot(&res[i], &newfp[o]);
        RELOAD_MEMORY();
        pc = retpc;
        DISPATCH();
    }
    if (vm_func_prepare(callee, ex->diag) != MANTLE_OK) {
        detail = "out of memory while compiling the callee";
        TRAP(MANTLE_TRAP_STACK_EXHAUSTED);
    }
    goto call_code;

    /* ---- Variables and parametric ---- */
    CASE(VOP_COPY)
    {
        R(1) = R(2);
        NEXT(3);
    }
#if MANTLE_ENABLE_FUSION
    CASE(VOP_COPY2)
    {
        R(1) = R(2);
        R(3) = R(4);
        NEXT(5);
    }
    CASE(VOP_ADD2)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        R(4) = (uint32_t)(U32(5) + U32(6));
        NEXT(7);
    }
    CASE(VOP_ADD2_d)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        R(4) = acc = (uint32_t)(U32(5) + U32(6));
        NEXT(7);
    }
    CASE(VOP_ADD2_x)
    {
        R(1) = acc = (uint32_t)(U32(2) + U32(3));
        R(4) = (uint32_t)(U32(5) + U32(6));
        NEXT(7);
    }
#endif
#if MANTLE_ENABLE_SIMD
    CASE(VOP_COPY_V128)
    {
        uint64_t lo_ = fp[pc[2]], hi_ = fp[pc[2] + 1];
        fp[pc[1]] = lo_;
        fp[pc[1] + 1] = hi_;
        NEXT(3);
    }
#endif
    CASE(VOP_SELECT)
    {
        R(1) = U32(4) ? R(2) : R(3);
        NEXT(5);
    }
    CASE(VOP_GLOBAL_GET)
    {
        R(1) = *gslots[pc[2]];
        NEXT(3);
    }
    CASE(VOP_GLOBAL_SET)
    {
        *gslots[pc[2]] = R(1);
        NEXT(3);
    }
#if MANTLE_ENABLE_SIMD
    CASE(VOP_SELECT_V128)
    {
        /* The result's home may be a's: read both halves first. */
        uint32_t s_ = U32(4) ? pc[2] : pc[3];
        uint64_t lo_ = fp[s_], hi_ = fp[s_ + 1];
        fp[pc[1]] = lo_;
        fp[pc[1] + 1] = hi_;
        NEXT(5);
    }
    CASE(VOP_GLOBAL_GET_V128)
    {
        fp[pc[1]] = gslots[pc[2]][0];
        fp[pc[1] + 1] = gslots[pc[2]][1];
        NEXT(3);
    }
    CASE(VOP_GLOBAL_SET_V128)
    {
        gslots[pc[2]][0] = fp[pc[1]];
        gslots[pc[2]][1] = fp[pc[1] + 1];
        NEXT(3);
    }
#endif

    /* ---- References and tables ---- */
    CASE(VOP_REF_FUNC)
    {
        R(1) = (uintptr_t)funcs[pc[2]];
        NEXT(3);
    }
    CASE(VOP_REF_IS_NULL)
    {
        R(1) = R(2) == 0;
        NEXT(3);
    }
    CASE(VOP_TABLE_GET)
    {
        mantle_table *t = inst->tables[pc[2]];
        uint32_t i = U32(3);
        if (UNLIKELY(i >= t->size))
            TRAP(MANTLE_TRAP_TABLE_BOUNDS);
        R(1) = (uintptr_t)t->elems[i];
        NEXT(4);
    }
    CASE(VOP_TABLE_SET)
    {
        mantle_table *t = inst->tables[pc[1]];
        uint32_t i = U32(2);
        if (UNLIKELY(i >= t->size))
            TRAP(MANTLE_TRAP_TABLE_BOUNDS);
        t->elems[i] = (void *)(uintptr_t)R(3);
        NEXT(4);
    }
    CASE(VOP_TABLE_SIZE)
    {
        R(1) = inst->tables[pc[2]]->size;
        NEXT(3);
    }
    CASE(VOP_TABLE_GROW)
    {
        void *init = (void *)(uintptr_t)R(3);
        uint32_t n = U32(4), old;
        if (vm_table_grow(inst->tables[pc[2]], n, init, &old) == MANTLE_OK)
            R(1) = old;
        else
            R(1) = UINT32_MAX;
        NEXT(5);
    }
    CASE(VOP_TABLE_FILL)
    {
        tk = vm_table_fill(inst, pc[1], U32(2), (void *)(uintptr_t)R(3),
                           U32(4));
        if (UNLIKELY(tk != MANTLE_TRAP_NONE))
            goto trap;
        NEXT(5);
    }
    CASE(VOP_TABLE_COPY)
    {
        tk = vm_table_copy(inst, pc[1], pc[2], U32(3), U32(4), U32(5));
        if (UNLIKELY(tk != MANTLE_TRAP_NONE))
            goto trap;
        NEXT(6);
    }
    CASE(VOP_TABLE_INIT)
    {
        tk = vm_table_init(inst, pc[1], pc[2], U32(3), U32(4), U32(5));
        if (UNLIKELY(tk != MANTLE_TRAP_NONE))
            goto trap;
        NEXT(6);
    }
    CASE(VOP_ELEM_DROP)
    {
        inst->elem_dropped[pc[1]] = true;
        NEXT(2);
    }

    /* ---- Memory ---- */
    CASE(VOP_MEMORY_SIZE)
    {
        R(1) = (uint32_t)((uint64_t)(memlim + 8) / VM_PAGE_SIZE);
        NEXT(2);
    }
    CASE(VOP_MEMORY_GROW)
    {
        uint32_t delta = U32(2), old;
        if (vm_memory_grow(inst->memories[0], delta, &old) == MANTLE_OK)
            R(1) = old;
        else
            R(1) = UINT32_MAX;
        RELOAD_MEMORY();
        NEXT(3);
    }
    CASE(VOP_MEMORY_INIT)
    {
        tk = vm_memory_init(inst, pc[1], U32(2), U32(3), U32(4));
        if (UNLIKELY(tk != MANTLE_TRAP_NONE))
            goto trap;
        NEXT(5);
    }
    CASE(VOP_DATA_DROP)
    {
        inst->data_dropped[pc[1]] = true;
        NEXT(2);
    }
    CASE(VOP_MEMORY_COPY)
    {
        uint32_t d = U32(1), s = U32(2), n = U32(3);
        if (UNLIKELY(OOBN(d, n) || OOBN(s, n)))
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);
        memmove(mem + d, mem + s, n);
        NEXT(4);
    }
    CASE(VOP_MEMORY_FILL)
    {
        uint32_t d = U32(1), n = U32(3);
        if (UNLIKELY(OOBN(d, n)))
            TRAP(MANTLE_TRAP_OUT_OF_BOUNDS);
        memset(mem + d, (int)(uint8_t)U32(2), n);
        NEXT(4);
    }

    VM_LOADS(LOAD)
    VM_STORES(STORE)
    VM_ACC_BINS(ACC_BIN)
#if MANTLE_ENABLE_FUSION
    VM_LOADOPS(LOADOP)
    VM_LOADOPS_XACC(LOADOP_XACC)
    CASE(VOP_LX2_F64Add) LOP2(F64(2), U32(3), KF_PUT)
    CASE(VOP_LX2_F64Add_d) LOP2(F64(2), U32(3), KF_KPUT)
    CASE(VOP_LX2_F64Add_a) LOP2(facc, U32(3), KF_PUT)
    CASE(VOP_LX2_F64Add_da) LOP2(facc, U32(3), KF_KPUT)
    CASE(VOP_LX2_F64Add_b) LOP2(F64(2), (uint32_t)acc, KF_PUT)
    CASE(VOP_LX2_F64Add_db) LOP2(F64(2), (uint32_t)acc, KF_KPUT)
    CASE(VOP_LX2_F64Add_ab) LOP2(facc, (uint32_t)acc, KF_PUT)
    CASE(VOP_LX2_F64Add_dab) LOP2(facc, (uint32_t)acc, KF_KPUT)
    VM_LOADTEES(LOADTEE)
    VM_LOADTEES_XACC(LOADTEE_XACC)
    VM_OPSTORES(OPSTORE)
    CASE(VOP_ADDLOOP_I32Ne) LOOP_ADD_NE
    /* Loop tails (iops.h VM_TAILS): the first instruction's body, then
     * the add_br_if's, whose cells follow it; a trap in either reports
     * its own Wasm offset, as pc has moved on to the second. */
    CASE(VOP_TAIL_ADD2)
    {
        R(1) = (uint32_t)(U32(2) + U32(3));
        R(4) = (uint32_t)(U32(5) + U32(6));
        pc += 7;
        LOOP_ADD_NE
    }
    CASE(VOP_TAIL_COPY2)
    {
        R(1) = R(2);
        R(3) = R(4);
        pc += 5;
        LOOP_ADD_NE
    }
#define X(sym, C, T, e, ST, n, conv)                                          \
    CASE(VOP_TAIL_OS_##sym##_a)                                               \
    {                                                                         \
        OPST_DO(T, e, ST, n, conv, K##C##_ACC(T), K##C##_GET(T, 2))           \
        pc += 5;                                                              \
        LOOP_ADD_NE                                                           \
    }
    VM_OPSTORES_F64(X)
#undef X
    /* Pairs (iops.h VM_PAIRS). */
#include "iops_pairs.h"
#endif

    /* ---- Numeric ---- */
    UN(I32Eqz, U32(2) == 0)
    UN(I64Eqz, U64(2) == 0)
    BIN(F32Eq, F32(2) == F32(3))
    BIN(F32Ne, F32(2) != F32(3))
    BIN(F32Lt, F32(2) < F32(3))
    BIN(F32Gt, F32(2) > F32(3))
    BIN(F32Le, F32(2) <= F32(3))
    BIN(F32Ge, F32(2) >= F32(3))
    BIN(F64Eq, F64(2) == F64(3))
    BIN(F64Ne, F64(2) != F64(3))
    BIN(F64Lt, F64(2) < F64(3))
    BIN(F64Gt, F64(2) > F64(3))
    BIN(F64Le, F64(2) <= F64(3))
    BIN(F64Ge, F64(2) >= F64(3))

    UN(I32Clz, U32(2) ? (uint32_t)__builtin_clz(U32(2)) : 32u)
    UN(I32Ctz, U32(2) ? (uint32_t)__builtin_ctz(U32(2)) : 32u)
    UN(I32Popcnt, (uint32_t)__builtin_popcount(U32(2)))
    CASE(OP_I32DivS)
    {
        int32_t a = I32(2), b = I32(3);
        if (UNLIKELY(b == 0))
            TRAP(MANTLE_TRAP_DIV_BY_ZERO);
        if (UNLIKELY(a == INT32_MIN && b == -1))
            TRAP(MANTLE_TRAP_INT_OVERFLOW);
        R(1) = (uint32_t)(a / b);
        NEXT(4);
    }
    CASE(OP_I32DivU)
    {
        uint32_t a = U32(2), b = U32(3);
        if (UNLIKELY(b == 0))
            TRAP(MANTLE_TRAP_DIV_BY_ZERO);
        R(1) = a / b;
        NEXT(4);
    }
    CASE(OP_I32RemS)
    {
        int32_t a = I32(2), b = I32(3);
        if (UNLIKELY(b == 0))
            TRAP(MANTLE_TRAP_DIV_BY_ZERO);
        R(1) = b == -1 ? 0 : (uint32_t)(a % b);
        NEXT(4);
    }
    CASE(OP_I32RemU)
    {
        uint32_t a = U32(2), b = U32(3);
        if (UNLIKELY(b == 0))
            TRAP(MANTLE_TRAP_DIV_BY_ZERO);
        R(1) = a % b;
        NEXT(4);
    }

    UN(I64Clz, U64(2) ? (uint64_t)__builtin_clzll(U64(2)) : 64u)
    UN(I64Ctz, U64(2) ? (uint64_t)__builtin_ctzll(U64(2)) : 64u)
    UN(I64Popcnt, (uint64_t)__builtin_popcountll(U64(2)))
    CASE(OP_I64DivS)
    {
        int64_t a = I64(2), b = I64(3);
        if (UNLIKELY(b == 0))
            TRAP(MANTLE_TRAP_DIV_BY_ZERO);
        if (UNLIKELY(a == INT64_MIN && b == -1))
            TRAP(MANTLE_TRAP_INT_OVERFLOW);
        R(1) = (uint64_t)(a / b);
        NEXT(4);
    }
    CASE(OP_I64DivU)
    {
        uint64_t a = U64(2), b = U64(3);
        if (UNLIKELY(b == 0))
            TRAP(MANTLE_TRAP_DIV_BY_ZERO);
        R(1) = a / b;
        NEXT(4);
    }
    CASE(OP_I64RemS)
    {
        int64_t a = I64(2), b = I64(3);
        if (UNLIKELY(b == 0))
            TRAP(MANTLE_TRAP_DIV_BY_ZERO);
        R(1) = b == -1 ? 0 : (uint64_t)(a % b);
        NEXT(4);
    }
    CASE(OP_I64RemU)
    {
        uint64_t a = U64(2), b = U64(3);
        if (UNLIKELY(b == 0))
            TRAP(MANTLE_TRAP_DIV_BY_ZERO);
        R(1) = a % b;
        NEXT(4);
    }

    /* Sign and magnitude are bit operations (NaN payloads preserved). */
    UN(F32Abs, U32(2) & 0x7fffffffu)
    UN(F32Neg, U32(2) ^ 0x80000000u)
    UN(F32Ceil, bits_f32(round32_ceil(F32(2))))
    UN(F32Floor, bits_f32(round32_floor(F32(2))))
    UN(F32Trunc, bits_f32(round32_trunc(F32(2))))
    UN(F32Nearest, bits_f32(round32_nearbyint(F32(2))))
    UN(F32Sqrt, bits_f32(sqrtf(F32(2))))
    BIN(F32Add, bits_f32(F32(2) + F32(3)))
    BIN(F32Sub, bits_f32(F32(2) - F32(3)))
    BIN(F32Mul, bits_f32(F32(2) * F32(3)))
    BIN(F32Div, bits_f32(F32(2) / F32(3)))
    BIN(F32Min, bits_f32(wmin32(F32(2), F32(3))))
    BIN(F32Max, bits_f32(wmax32(F32(2), F32(3))))
    BIN(F32Copysign, (U32(2) & 0x7fffffffu) | (U32(3) & 0x80000000u))
    UN(F64Abs, U64(2) & 0x7fffffffffffffffull)
    UN(F64Neg, U64(2) ^ 0x8000000000000000ull)
    UN(F64Ceil, bits_f64(round64_ceil(F64(2))))
    UN(F64Floor, bits_f64(round64_floor(F64(2))))
    UN(F64Trunc, bits_f64(round64_trunc(F64(2))))
    UN(F64Nearest, bits_f64(round64_nearbyint(F64(2))))
    UN(F64Sqrt, bits_f64(sqrt(F64(2))))
    BIN(F64Min, bits_f64(wmin64(F64(2), F64(3))))
    BIN(F64Max, bits_f64(wmax64(F64(2), F64(3))))
    BIN(F64Copysign, (U64(2) & 0x7fffffffffffffffull) |
                         (U64(3) & 0x8000000000000000ull))

    /* ---- Conversions ---- */
    UN(I32WrapI64, (uint32_t)U64(2))
    TRUNC(I32TruncF32S, float, F32, -2147483904.0f, 2147483648.0f, int32_t, uint32_t)
    TRUNC(I32TruncF32U, float, F32, -1.0f, 4294967296.0f, uint32_t, uint32_t)
    TRUNC(I32TruncF64S, double, F64, -2147483649.0, 2147483648.0, int32_t, uint32_t)
    TRUNC(I32TruncF64U, double, F64, -1.0, 4294967296.0, uint32_t, uint32_t)
    UN(I64ExtendI32S, (uint64_t)(int64_t)I32(2))
    UN(I64ExtendI32U, (uint64_t)U32(2))
    TRUNC(I64TruncF32S, float, F32, -9223373136366403584.0f, 9223372036854775808.0f, int64_t, uint64_t)
    TRUNC(I64TruncF32U, float, F32, -1.0f, 18446744073709551616.0f, uint64_t, uint64_t)
    TRUNC(I64TruncF64S, double, F64, -9223372036854777856.0, 9223372036854775808.0, int64_t, uint64_t)
    TRUNC(I64TruncF64U, double, F64, -1.0, 18446744073709551616.0, uint64_t, uint64_t)
    UN(F32ConvertI32S, bits_f32((float)I32(2)))
    UN(F32ConvertI32U, bits_f32((float)U32(2)))
    UN(F32ConvertI64S, bits_f32((float)I64(2)))
    UN(F32ConvertI64U, bits_f32((float)U64(2)))
    UN(F32DemoteF64, bits_f32((float)F64(2)))
    UN(F64ConvertI32S, bits_f64((double)I32(2)))
    UN(F64ConvertI32U, bits_f64((double)U32(2)))
    UN(F64ConvertI64S, bits_f64((double)I64(2)))
    UN(F64ConvertI64U, bits_f64((double)U64(2)))
    UN(F64PromoteF32, bits_f64((double)F32(2)))
    UN(I32ReinterpretF32, U32(2))
    UN(I64ReinterpretF64, U64(2))
    UN(F32ReinterpretI32, U32(2))
    UN(F64ReinterpretI64, U64(2))
    UN(I32Extend8S, (uint32_t)(int32_t)(int8_t)U32(2))
    UN(I32Extend16S, (uint32_t)(int32_t)(int16_t)U32(2))
    UN(I64Extend8S, (uint64_t)(int64_t)(int8_t)U64(2))
    UN(I64Extend16S, (uint64_t)(int64_t)(int16_t)U64(2))
    UN(I64Extend32S, (uint64_t)(int64_t)(int32_t)U64(2))
    UN(I32TruncSatF32S, sat_i32_s(F32(2)))
    UN(I32TruncSatF32U, sat_i32_u(F32(2)))
    UN(I32TruncSatF64S, sat_i32_s(F64(2)))
    UN(I32TruncSatF64U, sat_i32_u(F64(2)))
    UN(I64TruncSatF32S, sat_i64_s(F32(2)))
    UN(I64TruncSatF32U, sat_i64_u(F32(2)))
    UN(I64TruncSatF64S, sat_i64_s(F64(2)))
    UN(I64TruncSatF64U, sat_i64_u(F64(2)))

#if MANTLE_ENABLE_SIMD
    /* ---- SIMD ---- */
#include "iops_simd.h"
#endif

    /* Structured control never reaches the interpreter: lowering
     * rewrites it into VOP_* instructions. */
    CASE(OP_Unreachable) CASE(OP_Nop) CASE(OP_Block) CASE(OP_Loop)
    CASE(OP_If) CASE(OP_Else) CASE(OP_End) CASE(OP_Br) CASE(OP_BrIf)
    CASE(OP_BrTable) CASE(OP_Return) CASE(OP_Call) CASE(OP_CallIndirect)
    CASE(OP_Drop) CASE(OP_Select) CASE(OP_SelectT) CASE(OP_LocalGet)
    CASE(OP_LocalSet) CASE(OP_LocalTee) CASE(OP_GlobalGet)
    CASE(OP_GlobalSet) CASE(OP_TableGet) CASE(OP_TableSet)
    CASE(OP_MemorySize) CASE(OP_MemoryGrow) CASE(OP_I32Const)
    CASE(OP_I64Const) CASE(OP_F32Const) CASE(OP_F64Const)
    CASE(OP_RefNull) CASE(OP_RefIsNull) CASE(OP_RefFunc)
    CASE(OP_MemoryInit) CASE(OP_DataDrop) CASE(OP_MemoryCopy)
    CASE(OP_MemoryFill) CASE(OP_TableInit) CASE(OP_ElemDrop)
    CASE(OP_TableCopy) CASE(OP_TableGrow) CASE(OP_TableSize)
    CASE(OP_TableFill)
#if MANTLE_ENABLE_SIMD
    CASE(OP_V128Const)
    /* SIMD lane operators run as VOP_SIMD_* (iops.h). */
#define X(sym) CASE(OP_##sym)
    SIMD_UNOPS(X) SIMD_BINOPS(X) SIMD_SHIFTOPS(X) SIMD_REDOPS(X)
#undef X
#endif
#if MANTLE_ENABLE_COMPUTED_GOTO
    L_bad:
#else
    default:
#endif
    {
        detail = "corrupt interpreter code";
        TRAP(MANTLE_TRAP_UNREACHABLE);
    }
#if !MANTLE_ENABLE_COMPUTED_GOTO
    }
#endif

trap:
    trap_report(ex, tk, code, pc, inst, base_depth, detail);
    status = MANTLE_ETRAP;
unwind:
    ex->depth = base_depth;
    ex->fuel = fuel < 0 ? 0 : fuel;
    return status;
done:
    ex->fuel = fuel;
    return MANTLE_OK;
}

static uint32_t pc_offset(const vm_code *code, uint32_t pc)
{
    uint32_t lo = 0, hi = code->npcmap;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (code->pcmap[mid].pc <= pc)
            lo = mid;
        else
            hi = mid;
    }
    return code->npcmap ? code->pcmap[lo].offset : 0;
}

static void trap_report(vm_exec *ex, mantle_trap_kind tk, const vm_code *code,
                        const vm_cell *pc, mantle_instance *inst,
                        uint32_t base_depth, const char *detail)
{
    mantle_diag *d = ex->diag;
    if (!d)
        return;
    uint32_t off = pc_offset(code, (uint32_t)(pc - code->cells));
    const char *mname = inst->module->name;
    const char *fname = mantle_module_func_name(inst->module, code->func_index);
    char where[160];
    if (fname)
        snprintf(where, sizeof where, "function %u (%s)", code->func_index,
                 fname);
    else
        snprintf(where, sizeof where, "function %u", code->func_index);
    vm_diag_set(d, MANTLE_ETRAP, "%s: %s, offset 0x%x: %s", mname, where, off,
                detail ? detail : mantle_trap_message(tk));
    d->trap = tk;
    d->func_index = code->func_index;
    d->offset = off;
    d->frames[0].func_index = code->func_index;
    d->frames[0].offset = off;
    d->nframes = 1;
    for (uint32_t i = ex->depth; i-- > base_depth;) {
        const vm_frame *f = &ex->frames[i];
        if (d->nframes == MANTLE_BACKTRACE_MAX) {
            d->frames_omitted++;
            continue;
        }
        mantle_frame *fr = &d->frames[d->nframes++];
        fr->func_index = f->code->func_index;
        fr->offset = pc_offset(f->code, (uint32_t)(f->pc - f->code->cells) - 1);
    }
}

void vm_interp_init(void)
{
    vm_interp(NULL, NULL, NULL);
}

/* ---- Host-side caller API ---------------------------------------------- */

mantle_memory *mantle_caller_memory(mantle_caller *caller)
{
    if (!caller || !caller->inst)
        return NULL;
    mantle_memory *m = NULL;
    if (mantle_instance_memory(caller->inst, "memory", &m) == MANTLE_OK)
        return m;
    return caller->inst->wasm->nmemories ? caller->inst->memories[0] : NULL;
}

mantle_instance *mantle_caller_instance(mantle_caller *caller)
{
    return caller ? caller->inst : NULL;
}

void mantle_caller_set_error(mantle_caller *caller, const char *msg)
{
    if (caller && msg)
        snprintf(caller->ex->host_msg, sizeof caller->ex->host_msg, "%s", msg);
}

int mantle_caller_exit(mantle_caller *caller, int code)
{
    if (caller)
        caller->ex->exit_code = code;
    return MANTLE_EEXIT;
}
