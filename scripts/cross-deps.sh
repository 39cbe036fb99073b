#!/usr/bin/env bash
# cross-deps.sh - build the target libraries a cross build needs (jansson).
# SPDX-License-Identifier: Apache-2.0
#
# usage: cross-deps.sh TOOLCHAIN-FILE PREFIX
#
# The spec runner links jansson. riscv64 is not a Debian 12 release
# architecture, so there is no libjansson-dev:riscv64 to install; rather
# than one way per target, every target gets the same: Debian's own source
# package (`apt-get source jansson`: checksums from the signed Sources
# index, Debian's patches applied) built as a static library with the
# cross compiler into PREFIX/{include,lib}. Nothing is copied into the
# repository, and the host's dpkg architectures are left alone.
#
# Idempotent: once PREFIX/.done exists this returns at once. Needs the
# deb-src entries that scripts/deps.sh adds.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 TOOLCHAIN-FILE PREFIX" >&2
    exit 2
fi
TOOLCHAIN=$(realpath "$1")
PREFIX=$(realpath -m "$2")
STAMP=$PREFIX/.done

if [ -f "$STAMP" ]; then
    exit 0
fi

work=$PREFIX/work
rm -rf "$PREFIX"
mkdir -p "$work"
echo "cross-deps.sh: building jansson from Debian's source package into $PREFIX"
(cd "$work" && apt-get source jansson) >"$work/source.log" 2>&1 ||
    { cat "$work/source.log" >&2; exit 1; }
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'jansson-*' | head -n 1)
if [ -z "$src" ] || [ ! -f "$src/CMakeLists.txt" ]; then
    echo "cross-deps.sh: apt-get source jansson failed (deb-src entries missing? run scripts/deps.sh)" >&2
    exit 1
fi
cmake -S "$src" -B "$work/build" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF \
    -DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" -j"$(nproc 2>/dev/null || echo 2)" --target install \
    >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
rm -rf "$work"
touch "$STAMP"
