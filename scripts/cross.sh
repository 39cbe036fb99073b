#!/usr/bin/env bash
# cross.sh - build Mantle for other targets and test it under qemu-user.
# SPDX-License-Identifier: Apache-2.0
#
# usage: cross.sh build|test|aot|min|node ARCH...  (ARCH: aarch64 armv7 riscv64)
#
#   build  configure and build build-cross-ARCH/ (Release, -Werror) with
#          cmake/toolchains/ARCH-linux-gnu.cmake; jansson and libcrypto for
#          the target come from scripts/cross-deps.sh. riscv64 is built with
#          MANTLE_SIMD_VECTOR=OFF: the portable SIMD reference. The TEE
#          services and the verifiers are off (their libraries are not built
#          for other targets yet): `mantle` is the interpreter with WASI and
#          the AOT tier.
#   test   for each ARCH, under qemu-ARCH -L /usr/TRIPLE: the whole spec
#          suite (SIMD included) in the interpreter and in the AOT tier
#          (CROSS_AOT_SPEC), the WASI tests (tests/wasi/run_tests.sh with
#          the cross-built mantle), the cross.* and aot.* tests
#          (ctest -L 'cross|aot', but aot.threads), and bench programs
#          compiled on the host with `mantle compile --target ARCH`
#          (CROSS_BENCH). Needs the host's build/mantle (make build) for
#          that last part.
#   aot    only the AOT part of `test` (spec files and bench programs).
#   node   build build-cross-ARCH-node/: the full mantled against Debian's
#          multiarch packages of ARCH (aarch64 only: scripts/deps.sh adds
#          arm64), which `test` then runs as a fleet node under qemu
#          (tests/cross/fleet_node.sh).
#   min    build build-cross-ARCH-min/: MANTLE_MINIMAL=ON, MinSizeRel (no
#          SIMD, no fusion: README's knob list). `test` runs the whole spec
#          suite there too when it has been built: every file passes but
#          the SIMD group's, which the runner must report, each refused, as
#          unsupported by this build - exactly the group's command count
#          from MANIFEST.tsv. It also runs cross.simd_vec (the SIMD headers
#          against each other; the full trees run every SIMD spec file).
#
# Environment: SHARED (conformance data, default ../shared), JOBS,
# HOST_MANTLE (default build/mantle), CROSS_AOT_SPEC (all, or spec file
# names; default: all on aarch64 and armv7, a subset on riscv64, see
# aot_spec_files), CROSS_BENCH (bench programs with their sizes).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

triple_of() {
    case $1 in
    aarch64) echo aarch64-linux-gnu ;;
    armv7) echo arm-linux-gnueabihf ;;
    riscv64) echo riscv64-linux-gnu ;;
    *) echo "cross.sh: unknown target \"$1\" (aarch64, armv7, riscv64)" >&2
       return 1 ;;
    esac
}

# The guest's environment under qemu -L /usr/TRIPLE: the cross toolchain's
# libc, next to its dynamic linker. Without it that ld.so would take the
# first libc.so.6 its search finds, and once Debian's own arm64 libc is
# installed (multiarch, for the fleet node tree) that is
# /lib/aarch64-linux-gnu's: a different build of glibc, with which the
# dynamic linker hangs at the first TLS access of a new thread. qemu reads
# QEMU_SET_ENV as its -E; ctest's emulator (the toolchain file) says the same.
guest_env() {
    export QEMU_SET_ENV="LD_LIBRARY_PATH=/usr/$(triple_of "$1")/lib"
}

qemu_of() {
    case $1 in
    aarch64) echo qemu-aarch64 ;;
    armv7) echo qemu-arm ;;
    riscv64) echo qemu-riscv64 ;;
    esac
}

configure() { # ARCH DIR EXTRA-CMAKE-ARGS...
    local arch=$1 dir=$2
    shift 2
    local tc=$ROOT/cmake/toolchains/$arch-linux-gnu.cmake
    bash "$ROOT/scripts/cross-deps.sh" "$tc" "$ROOT/build-cross-$arch/deps"
    cmake -S "$ROOT" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$tc" \
        -DMANTLE_CROSS_DEPS="$ROOT/build-cross-$arch/deps" \
        -DMANTLE_SHARED_DIR="$SHARED" -DMANTLE_WERROR=ON "$@" >"$dir/configure.log" 2>&1 ||
        { cat "$dir/configure.log" >&2; return 1; }
}

build() {
    local arch=$1 dir=$ROOT/build-cross-$1 simd_vec=ON
    triple_of "$arch" >/dev/null
    mkdir -p "$dir"
    # riscv64 (rv64gc) has no SIMD unit for the vector extensions to use:
    # it runs the portable SIMD reference, so the SIMD spec files exercise
    # that fallback under qemu (the minimal tree has no SIMD at all).
    # MANTLE_AOT=ON said: trees configured when it was off keep it cached.
    [ "$arch" = riscv64 ] && simd_vec=OFF
    configure "$arch" "$dir" -DCMAKE_BUILD_TYPE=Release \
        -DMANTLE_TEE=OFF -DMANTLE_ATTEST=OFF -DMANTLE_AGENT=OFF -DMANTLE_AOT=ON \
        -DMANTLE_SIMD_VECTOR="$simd_vec"
    cmake --build "$dir" -j"$JOBS"
}

build_min() {
    local arch=$1 dir=$ROOT/build-cross-$1-min
    triple_of "$arch" >/dev/null
    mkdir -p "$ROOT/build-cross-$arch" "$dir"
    configure "$arch" "$dir" -DCMAKE_BUILD_TYPE=MinSizeRel -DMANTLE_MINIMAL=ON
    cmake --build "$dir" -j"$JOBS" --target mantle mantle_static mantle-spec \
        simd_vec_test
}

# A fleet node for ARCH (aarch64: arm64 is the foreign architecture
# scripts/deps.sh adds): the full mantled (TEE backends, verifiers, the
# agent, the fleet over NATS; the interpreter, no AOT tier) and the mantle
# it starts replicas with, against
# Debian's arm64 packages (MANTLE_CROSS_MULTIARCH) and libevent built from
# source (cross-deps.sh), in build-cross-ARCH-node/. `test` then runs
# tests/cross/fleet_node.sh: this mantled under qemu joins a NATS server
# next to a native node.
build_node() {
    local arch=$1 dir=$ROOT/build-cross-$1-node tc
    triple_of "$arch" >/dev/null
    [ -d "/usr/lib/$(triple_of "$arch")/pkgconfig" ] || {
        echo "cross.sh: no $arch multiarch packages (scripts/deps.sh installs arm64's)" >&2
        return 1
    }
    tc=$ROOT/cmake/toolchains/$arch-linux-gnu.cmake
    mkdir -p "$dir"
    bash "$ROOT/scripts/cross-deps.sh" "$tc" "$dir/deps" libevent
    cmake -S "$ROOT" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$tc" \
        -DMANTLE_CROSS_DEPS="$dir/deps" -DMANTLE_CROSS_MULTIARCH=ON \
        -DMANTLE_SHARED_DIR="$SHARED" -DMANTLE_WERROR=ON \
        -DCMAKE_BUILD_TYPE=Release -DMANTLE_AOT=OFF >"$dir/configure.log" 2>&1 ||
        { cat "$dir/configure.log" >&2; return 1; }
    cmake --build "$dir" -j"$JOBS" --target mantled mantle
}

run_fleet_node() {
    local arch=$1 dir=$ROOT/build-cross-$1-node qemu wrapper rc=0
    qemu=$(qemu_of "$arch")
    echo "---- $arch: a fleet node (mantled under $qemu) next to a native one"
    # No -L: these binaries load Debian's arm64 libc (multiarch), which must
    # come with its own ld.so, not the cross toolchain's older one (the two
    # mixed hang in the dynamic linker at the first TLS access of libnats).
    for wrapper in mantled mantle; do
        printf '#!/bin/sh\nexec %s %s "$@"\n' "$qemu" "$dir/$wrapper" \
            >"$dir/$wrapper-qemu"
        chmod +x "$dir/$wrapper-qemu"
    done
    env -u QEMU_SET_ENV bash "$ROOT/tests/cross/fleet_node.sh" "${HOST_BUILD:-$ROOT/build}" "$arch" \
        "$dir/mantled-qemu" "$dir/mantle-qemu" "$dir/fleet-work" \
        >"$dir/fleet.log" 2>&1 || rc=1
    grep -v '^ok ' "$dir/fleet.log" | tail -n 40
    echo "$arch fleet node: $(grep -c '^ok ' "$dir/fleet.log") checks passed," \
        "$(grep -c '^FAIL' "$dir/fleet.log") failed"
    return "$rc"
}

# The whole spec suite through the minimal tree, which has no SIMD
# (MANTLE_SIMD=OFF): everything else must pass, and the runner must count
# exactly the commands of the simd group (MANIFEST.tsv column 3) as
# unsupported by this build, after checking each file's modules are
# refused for that reason. Nothing is skipped.
run_min_spec() {
    local arch=$1 dir=$ROOT/build-cross-$1-min triple qemu want last
    triple=$(triple_of "$arch")
    qemu=$(qemu_of "$arch")
    echo "---- $arch-min: spec suite (no SIMD in this build) under $qemu"
    want=$(awk -F'\t' '$2 == "simd" { n += $3 } END { print n + 0 }' \
        "$SHARED/wasm-spec/MANIFEST.tsv")
    if ! "$qemu" -L "/usr/$triple" "$dir/tests/spec/mantle-spec" \
            "$SHARED/wasm-spec" >"$dir/spec.log" 2>&1; then
        grep -v ' 0 failed' "$dir/spec.log" | tail -n 40
        return 1
    fi
    last=$(tail -n 1 "$dir/spec.log")
    echo "$arch-min $last"
    case $last in
    *" 0 failed, 0 skipped, $want unsupported by this build (MANTLE_SIMD=OFF)") ;;
    *)
        echo "cross.sh: $arch-min: expected exactly the $want commands of the" \
            "simd group unsupported (MANTLE_SIMD=OFF), nothing else" >&2
        return 1 ;;
    esac
    "$qemu" -L "/usr/$triple" "$dir/tests/cross/simd_vec_test"
}

# The spec files run through the AOT tier on ARCH. The whole suite on
# aarch64 (guard regions) and armv7 (explicit bounds checks); on riscv64,
# whose AOT code checks bounds explicitly like armv7's (src/aot/driver.c),
# a subset that keeps CI time down: memory (bounds, growth, traps), calls
# and stack exhaustion, integer and float arithmetic (division traps,
# NaNs, conversions), tables, bulk memory, and SIMD loads/stores and
# arithmetic.
RISCV64_AOT_SPEC="address align memory memory_grow memory_trap memory_size
    memory_fill memory_copy memory_init bulk call call_indirect fac
    skip-stack-guard-page func_ptrs int_exprs i32 i64 f32 f64 conversions
    traps float_exprs
    table_grow elem left-to-right select br_table unreachable
    simd_address simd_load simd_store simd_lane simd_splat
    simd_i32x4_arith simd_f32x4_arith simd_load8_lane simd_store8_lane"
CROSS_BENCH=${CROSS_BENCH:-"coremark:300 fib:24 indirect:20000 sha256:2
    chacha20:2 json:1 matmul:100 simd_blur:2 simd_matmul:100"}

aot_spec_files() {
    local arch=$1
    if [ -n "${CROSS_AOT_SPEC:-}" ] && [ "$CROSS_AOT_SPEC" != all ]; then
        echo "$CROSS_AOT_SPEC"
    elif [ -z "${CROSS_AOT_SPEC:-}" ] && [ "$arch" = riscv64 ]; then
        echo "$RISCV64_AOT_SPEC"
    else
        awk -F'\t' 'NR > 1 { print $1 }' "$SHARED/wasm-spec/MANIFEST.tsv"
    fi
}

# The spec files through the AOT tier: the emulated mantle-spec emits C
# and runs the target's cross gcc (natively: under qemu the "system
# compiler" must be given, MANTLE_CC) on first use of each module, into
# the cache build-cross-ARCH/aot-cache. One process per file, two at a
# time: a process compiles one module at a time, and qemu-user 7.2 keeps
# per-page state for every 8 GiB memory reservation it has seen, so one
# process for the whole suite grows to gigabytes and each compiler it
# starts (posix_spawn is a fork under qemu) copies all of that.
run_aot_spec() {
    local arch=$1 dir=$ROOT/build-cross-$1 triple qemu t0=$SECONDS
    triple=$(triple_of "$arch")
    qemu=$(qemu_of "$arch")
    local files f n=0 fails=0 logs=$dir/spec-aot
    files=$(aot_spec_files "$arch" | tr -s '[:space:]' '\n' | grep -v '^$')
    echo "---- $arch: spec files in the AOT tier under $qemu" \
        "($(echo "$files" | wc -l) files)"
    rm -rf "$logs"
    mkdir -p "$logs"
    for f in $files; do
        if [ "$n" -ge 2 ]; then
            wait -n || true
            n=$((n - 1))
        fi
        MANTLE_CC=$triple-gcc XDG_CACHE_HOME=$dir/aot-cache \
            "$qemu" -L "/usr/$triple" "$dir/tests/spec/mantle-spec" \
            --tier=aot "$SHARED/wasm-spec" "$f" >"$logs/$f.log" 2>&1 &
        n=$((n + 1))
    done
    wait
    for f in $files; do
        if ! grep -q '^spec: .* 0 failed' "$logs/$f.log"; then
            echo "$arch aot $f:"
            grep -v ' 0 failed' "$logs/$f.log" | tail -n 20
            fails=1
        fi
    done
    cat "$logs"/*.log >"$dir/spec-aot.log"
    awk -v a="$arch" '/^spec: / { p += $2; f += $4; s += $6 }
        END { printf "%s aot spec: %d passed, %d failed, %d skipped\n", a, p, f, s }' \
        "$dir/spec-aot.log"
    echo "$arch: AOT spec in $((SECONDS - t0)) s"
    return "$fails"
}

# The bench programs' Wasm and native builds and an x86_64 artifact, shared
# by every target: built once before targets run side by side.
prepare_bench() {
    local host=${HOST_MANTLE:-$ROOT/build/mantle} bench=$ROOT/build-cross-bench
    local item targets=() x86=$bench/fib.x86_64.mantle
    if [ ! -x "$host" ]; then
        echo "cross.sh: $host missing (make build, or set HOST_MANTLE)" >&2
        return 1
    fi
    for item in $CROSS_BENCH fib:0; do
        targets+=("$bench/wasm/${item%%:*}.wasm" "$bench/native/${item%%:*}")
    done
    mkdir -p "$bench"
    make --no-print-directory -f "$ROOT/bench/build.mk" -C "$ROOT" \
        OUT="$bench" -j"$JOBS" "${targets[@]}" >"$bench/build.log" 2>&1 ||
        { tail -n 20 "$bench/build.log" >&2; return 1; }
    if [ ! -f "$x86" ]; then
        "$host" compile --target x86_64 -O1 "$bench/wasm/fib.wasm" -o "$x86" \
            2>/dev/null || { echo "cross.sh: x86_64 compile of fib failed" >&2; return 1; }
    fi
}

# Bench programs (bench/programs/, wasm32-wasi) compiled on the host with
# `mantle compile --target ARCH -O2` and run by the cross-built mantle
# under qemu: each must pass its own self-check (exit 0) and print the
# same checksum as the native x86-64 build at the same size. An x86-64
# artifact must be refused (exit 6, "built for x86_64").
run_aot_bench() {
    local arch=$1 dir=$ROOT/build-cross-$1 triple qemu t0=$SECONDS
    triple=$(triple_of "$arch")
    qemu=$(qemu_of "$arch")
    local host=${HOST_MANTLE:-$ROOT/build/mantle} bench=$ROOT/build-cross-bench
    local fails=0 ok=0 item prog size want got
    echo "---- $arch: bench programs, mantle compile --target $arch, under $qemu"
    mkdir -p "$dir/bench"
    prepare_bench || return 1   # also checks $host
    for item in $CROSS_BENCH; do
        prog=${item%%:*} size=${item#*:}
        if ! "$host" compile --target "$arch" -O2 "$bench/wasm/$prog.wasm" \
                -o "$dir/bench/$prog.mantle" 2>"$dir/bench/$prog.log"; then
            echo "$arch $prog: mantle compile --target $arch failed:"
            cat "$dir/bench/$prog.log"
            fails=$((fails + 1))
            continue
        fi
        want=$("$bench/native/$prog" "$size" 2>/dev/null)
        if ! got=$("$qemu" -L "/usr/$triple" "$dir/mantle" run \
                "$dir/bench/$prog.mantle" "$size" 2>>"$dir/bench/$prog.log"); then
            echo "$arch $prog: FAILED (self-check or trap):"
            tail -n 5 "$dir/bench/$prog.log"
            fails=$((fails + 1))
        elif [ "$got" != "$want" ]; then
            echo "$arch $prog: FAILED: \"$got\", native \"$want\""
            fails=$((fails + 1))
        else
            ok=$((ok + 1))
        fi
    done
    # A mismatched target is refused, not loaded.
    local x86=$bench/fib.x86_64.mantle rc=0 msg
    msg=$("$qemu" -L "/usr/$triple" "$dir/mantle" run "$x86" 10 2>&1) || rc=$?
    if [ "$rc" -ne 6 ] || [[ $msg != *"built for x86_64, this host is $arch"* ]]; then
        echo "$arch: an x86_64 artifact was not refused as it must be (exit $rc): $msg"
        fails=$((fails + 1))
    else
        ok=$((ok + 1))
    fi
    echo "$arch aot bench: $ok passed, $fails failed ($((SECONDS - t0)) s)"
    return "$fails"
}

# The whole spec suite in the interpreter, SPEC_CHUNK files per process:
# on 64-bit targets each memory is an 8 GiB reservation, and qemu-user 7.2
# keeps state for every page of every reservation it has seen, so one
# process for the whole suite grows past 20 GiB (and the OOM killer ends
# it when targets run side by side; one file, align, takes 1.3 GiB). The
# summary line sums the chunks.
SPEC_CHUNK=${SPEC_CHUNK:-8}
run_interp_spec() {
    local arch=$1 dir=$ROOT/build-cross-$1 triple qemu files fails=0 i=0
    local logs=$dir/spec-interp batch=()
    triple=$(triple_of "$arch")
    qemu=$(qemu_of "$arch")
    files=$(awk -F'\t' 'NR > 1 { print $1 }' "$SHARED/wasm-spec/MANIFEST.tsv")
    echo "---- $arch: spec suite under $qemu ($SPEC_CHUNK files per process)"
    rm -rf "$logs"
    mkdir -p "$logs"
    for f in $files END; do
        [ "$f" != END ] && batch+=("$f")
        if [ "${#batch[@]}" -ge "$SPEC_CHUNK" ] || { [ "$f" = END ] && [ "${#batch[@]}" -gt 0 ]; }; then
            i=$((i + 1))
            if ! "$qemu" -L "/usr/$triple" "$dir/tests/spec/mantle-spec" \
                    "$SHARED/wasm-spec" "${batch[@]}" >"$logs/$i.log" 2>&1 ||
                    ! grep -q '^spec: .* 0 failed, 0 skipped$' "$logs/$i.log"; then
                echo "$arch spec, files ${batch[*]}:"
                grep -v ' 0 failed' "$logs/$i.log" | tail -n 40
                fails=1
            fi
            batch=()
        fi
    done
    cat $(ls "$logs"/*.log | sort -V) >"$dir/spec.log"
    awk -v a="$arch" '/^spec: / { p += $2; f += $4; s += $6 }
        END { printf "%s spec: %d passed, %d failed, %d skipped\n", a, p, f, s }' \
        "$dir/spec.log"
    return "$fails"
}

# The WASI tests that tests/wasi/CMakeLists.txt registers.
wasi_tests() {
    sed -n '/^set(MANTLE_WASI_TESTS/,/)/p' "$ROOT/tests/wasi/CMakeLists.txt" |
        sed 's/set(MANTLE_WASI_TESTS//; s/)//' | tr -s ' \n' '\n\n' | grep -v '^$'
}

run_tests() {
    local arch=$1 dir=$ROOT/build-cross-$1 triple qemu wrapper names
    triple=$(triple_of "$arch")
    qemu=$(qemu_of "$arch")
    local t0=$SECONDS fails=0
    guest_env "$arch"
    run_interp_spec "$arch" || fails=$((fails + 1))

    echo "---- $arch: WASI tests under $qemu"
    # run_tests.sh runs "$MANTLE run ...": give it mantle through qemu.
    wrapper=$dir/mantle-qemu
    printf '#!/bin/sh\nexec %s -L %s %s "$@"\n' "$qemu" "/usr/$triple" \
        "$dir/mantle" >"$wrapper"
    chmod +x "$wrapper"
    names=$(wasi_tests)
    if [ -z "$names" ]; then
        echo "cross.sh: no WASI tests found in tests/wasi/CMakeLists.txt" >&2
        return 1
    fi
    local wasi_log=$dir/wasi.log
    # shellcheck disable=SC2086  # one word per test name
    if ! bash "$ROOT/tests/wasi/run_tests.sh" "$wrapper" clang \
            "$dir/tests/wasi-cross" $names >"$wasi_log" 2>&1; then
        grep -v ': passed$' "$wasi_log" | head -n 60
        fails=$((fails + 1))
    fi
    echo "$arch wasi: $(grep -c ': passed$' "$wasi_log") passed," \
        "$(grep -c ': FAILED' "$wasi_log") failed"

    run_aot "$arch" || fails=$((fails + 1))

    # Not aot.threads: its leak check reads VmSize, which under qemu-user is
    # the emulator's, and qemu keeps ~200 KiB of its own per thread that
    # ever ran.
    echo "---- $arch: cross.* and aot.* tests (ctest -L 'cross|aot')"
    (cd "$dir" && MANTLE_CC=$triple-gcc ctest --output-on-failure \
        -L '^(cross|aot)$' -E '^aot[.]threads$') || fails=$((fails + 1))
    if [ -x "$ROOT/build-cross-$arch-min/tests/spec/mantle-spec" ]; then
        run_min_spec "$arch" || fails=$((fails + 1))
    fi
    if [ -x "$ROOT/build-cross-$arch-node/mantled" ]; then
        run_fleet_node "$arch" || fails=$((fails + 1))
    fi
    echo "$arch: $((SECONDS - t0)) s under emulation"
    return "$fails"
}

# Only the AOT part of `test`.
run_aot() {
    local fails=0
    guest_env "$1"
    run_aot_spec "$1" || fails=$((fails + 1))
    run_aot_bench "$1" || fails=$((fails + 1))
    return "$fails"
}

if [ $# -lt 2 ]; then
    echo "usage: $0 build|test|aot|min|node ARCH..." >&2
    exit 2
fi
verb=$1
shift
failed=()

# `test` with several targets runs them side by side: each spends much of
# its time in one emulated process (the interpreter spec run, the WASI
# tests, the bench programs), so one target alone leaves a core idle.
# Each target's output goes to build-cross-ARCH/test.log, printed whole
# when it ends, in the order given.
if [ "$verb" = test ] && [ $# -gt 1 ]; then
    for arch in "$@"; do triple_of "$arch" >/dev/null; done
    prepare_bench || exit 1
    pids=()
    for arch in "$@"; do
        mkdir -p "$ROOT/build-cross-$arch"
        { run_tests "$arch" || exit 1; } >"$ROOT/build-cross-$arch/test.log" 2>&1 &
        pids+=("$!")
    done
    i=0
    for arch in "$@"; do
        wait "${pids[$i]}" || failed+=("$arch")
        cat "$ROOT/build-cross-$arch/test.log"
        i=$((i + 1))
    done
    set -- # every target has run
fi
for arch in "$@"; do
    case $verb in
    build) build "$arch" ;;
    min) build_min "$arch" ;;
    node) build_node "$arch" ;;
    test) run_tests "$arch" || failed+=("$arch") ;;
    aot) run_aot "$arch" || failed+=("$arch") ;;
    *) echo "usage: $0 build|test|aot|min|node ARCH..." >&2; exit 2 ;;
    esac
done
if [ "${#failed[@]}" -ne 0 ]; then
    echo "cross.sh: failures on: ${failed[*]}" >&2
    exit 1
fi
