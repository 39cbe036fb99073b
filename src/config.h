/* config.h - build knobs: what this build of Mantle contains.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every knob is MANTLE_ENABLE_<X>, 0 or 1, tested with `#if` (never
 * `#ifdef`, so a misspelt knob is an error under -Wundef rather than
 * silently off). CMake sets them from options of the same name without
 * ENABLE_ (-DMANTLE_TEE=OFF -> MANTLE_ENABLE_TEE=0; see CMakeLists.txt);
 * -DMANTLE_MINIMAL=ON turns every optional part off. A build outside CMake
 * gets the defaults below. Contradictory combinations stop the build here.
 */
#ifndef MANTLE_CONFIG_H
#define MANTLE_CONFIG_H

/* Interpreter dispatch: computed goto (GNU C) or a portable switch. */
#ifndef MANTLE_ENABLE_COMPUTED_GOTO
#define MANTLE_ENABLE_COMPUTED_GOTO 1
#endif

/* WASI sockets: sock_accept/recv/send/shutdown and `mantle run --listen`.
 * Off, the sock_* imports still link but fail with ENOTSUP. */
#ifndef MANTLE_ENABLE_WASI_SOCKETS
#define MANTLE_ENABLE_WASI_SOCKETS 1
#endif

/* TEE backends (src/tee/), sealed files (src/sealfs/) and the guest
 * services in the `mantle` import namespace. */
#ifndef MANTLE_ENABLE_TEE
#define MANTLE_ENABLE_TEE 1
#endif

/* Evidence verifiers, policy appraisal, key broker (src/attest/; needs
 * OpenSSL and libcbor for the target). */
#ifndef MANTLE_ENABLE_ATTEST
#define MANTLE_ENABLE_ATTEST 1
#endif

/* The AOT tier: C emitter, compiler driver, artifact cache and loader
 * (src/aot/). Off, `mantle run --tier=aot` is refused. */
#ifndef MANTLE_ENABLE_AOT
#define MANTLE_ENABLE_AOT 1
#endif

/* CLI niceties beyond validate/run/version/help: `mantle inspect`. */
#ifndef MANTLE_ENABLE_CLI_EXTRAS
#define MANTLE_ENABLE_CLI_EXTRAS 1
#endif

/* The node agent mantled and the `mantle` verbs that talk to it (node,
 * module, workload; libcurl). */
#ifndef MANTLE_ENABLE_AGENT
#define MANTLE_ENABLE_AGENT 1
#endif

/* SIMD fast paths: the hot integer lane operators through GNU C vector
 * extensions (src/vm/simd_vec.h; SSE2 on x86-64, NEON on aarch64/armv7).
 * Off, every operator runs the portable reference in src/vm/simd.h. */
#ifndef MANTLE_ENABLE_SIMD_VECTOR
#if defined(__GNUC__)
#define MANTLE_ENABLE_SIMD_VECTOR 1
#else
#define MANTLE_ENABLE_SIMD_VECTOR 0
#endif
#endif

/* Instruction fusion and the register accumulator in the interpreter
 * (docs/interpreter.md, "Fusion", "Accumulator"). Off, the lowering emits
 * base instructions only and the fused handlers are compiled out: same
 * results, a much smaller vm_interp, slower code. */
#ifndef MANTLE_ENABLE_FUSION
#define MANTLE_ENABLE_FUSION 1
#endif

/* Fixed-width SIMD (v128, the 0xFD instructions). Off, the decoder refuses
 * a module that uses v128 ("this build has no SIMD"). */
#ifndef MANTLE_ENABLE_SIMD
#define MANTLE_ENABLE_SIMD 1
#endif

#if (MANTLE_ENABLE_COMPUTED_GOTO != 0 && MANTLE_ENABLE_COMPUTED_GOTO != 1) || \
    (MANTLE_ENABLE_WASI_SOCKETS != 0 && MANTLE_ENABLE_WASI_SOCKETS != 1) ||   \
    (MANTLE_ENABLE_TEE != 0 && MANTLE_ENABLE_TEE != 1) ||                     \
    (MANTLE_ENABLE_ATTEST != 0 && MANTLE_ENABLE_ATTEST != 1) ||               \
    (MANTLE_ENABLE_AOT != 0 && MANTLE_ENABLE_AOT != 1) ||                     \
    (MANTLE_ENABLE_CLI_EXTRAS != 0 && MANTLE_ENABLE_CLI_EXTRAS != 1) ||       \
    (MANTLE_ENABLE_AGENT != 0 && MANTLE_ENABLE_AGENT != 1) ||                 \
    (MANTLE_ENABLE_SIMD_VECTOR != 0 && MANTLE_ENABLE_SIMD_VECTOR != 1) ||     \
    (MANTLE_ENABLE_FUSION != 0 && MANTLE_ENABLE_FUSION != 1) ||               \
    (MANTLE_ENABLE_SIMD != 0 && MANTLE_ENABLE_SIMD != 1)
#error "config.h: every MANTLE_ENABLE_* knob is 0 or 1"
#endif

#if MANTLE_ENABLE_COMPUTED_GOTO && !defined(__GNUC__)
#error "config.h: MANTLE_ENABLE_COMPUTED_GOTO needs GNU C (gcc, clang)"
#endif

#if MANTLE_ENABLE_SIMD_VECTOR && !defined(__GNUC__)
#error "config.h: MANTLE_ENABLE_SIMD_VECTOR needs GNU C vector extensions (gcc, clang)"
#endif

/* Attested channels and the key broker bind to this node's own evidence. */
#if MANTLE_ENABLE_ATTEST && !MANTLE_ENABLE_TEE
#error "config.h: MANTLE_ENABLE_ATTEST needs MANTLE_ENABLE_TEE"
#endif

#endif
