#!/usr/bin/env bash
# cross.sh - build Mantle for other targets and test it under qemu-user.
# SPDX-License-Identifier: Apache-2.0
#
# usage: cross.sh build|test|min ARCH...     (ARCH: aarch64 armv7 riscv64)
#
#   build  configure and build build-cross-ARCH/ (Release, -Werror) with
#          cmake/toolchains/ARCH-linux-gnu.cmake; jansson for the target
#          comes from scripts/cross-deps.sh. riscv64 is built with
#          MANTLE_SIMD_VECTOR=OFF: the portable SIMD reference. The TEE services and the
#          verifiers are off (their libraries are not built for other
#          targets yet): `mantle` is the interpreter with WASI.
#   test   for each ARCH, under qemu-ARCH -L /usr/TRIPLE: the whole spec
#          suite (SIMD included), the WASI tests
#          (tests/wasi/run_tests.sh with the cross-built mantle), and the
#          cross.* regression tests (ctest -L cross).
#   min    build build-cross-ARCH-min/: MANTLE_MINIMAL=ON, MinSizeRel (no
#          SIMD, no fusion, no text format: README's knob list). `test`
#          runs the whole spec suite there too when it has been built:
#          every file passes but the SIMD group's, which the runner must
#          report, each refused, as unsupported by this build - exactly
#          the group's command count from MANIFEST.tsv. It also runs
#          cross.simd_vec (the SIMD headers against each other; the full
#          trees run every SIMD spec file).
#
# Environment: SHARED (conformance data, default ../shared), JOBS.
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
    [ "$arch" = riscv64 ] && simd_vec=OFF
    configure "$arch" "$dir" -DCMAKE_BUILD_TYPE=Release \
        -DMANTLE_TEE=OFF -DMANTLE_ATTEST=OFF -DMANTLE_AOT=OFF -DMANTLE_AGENT=OFF \
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
    echo "---- $arch: spec suite under $qemu"
    if ! "$qemu" -L "/usr/$triple" "$dir/tests/spec/mantle-spec" \
            "$SHARED/wasm-spec" >"$dir/spec.log" 2>&1; then
        grep -v ' 0 failed' "$dir/spec.log" | tail -n 40
        fails=$((fails + 1))
    fi
    tail -n 1 "$dir/spec.log" | sed "s/^/$arch /"
    if tail -n 1 "$dir/spec.log" | grep -q unsupported; then
        echo "cross.sh: $arch: the full build must run every spec file" >&2
        fails=$((fails + 1))
    fi

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

    echo "---- $arch: cross.* regression tests (ctest -L cross)"
    (cd "$dir" && ctest --output-on-failure -L cross) || fails=$((fails + 1))
    if [ -x "$ROOT/build-cross-$arch-min/tests/spec/mantle-spec" ]; then
        run_min_spec "$arch" || fails=$((fails + 1))
    fi
    echo "$arch: $((SECONDS - t0)) s under emulation"
    return "$fails"
}

if [ $# -lt 2 ]; then
    echo "usage: $0 build|test|min ARCH..." >&2
    exit 2
fi
verb=$1
shift
failed=()
for arch in "$@"; do
    case $verb in
    build) build "$arch" ;;
    min) build_min "$arch" ;;
    test) run_tests "$arch" || failed+=("$arch") ;;
    *) echo "usage: $0 build|test|min ARCH..." >&2; exit 2 ;;
    esac
done
if [ "${#failed[@]}" -ne 0 ]; then
    echo "cross.sh: failures on: ${failed[*]}" >&2
    exit 1
fi
