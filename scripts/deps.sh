#!/usr/bin/env bash
# deps.sh - install the Debian packages Mantle's build, tests and demo need.
# SPDX-License-Identifier: Apache-2.0
#
# The one list of build dependencies. An installed machine does no apt work:
# each package is checked with dpkg -s first, and `apt-get update` runs once,
# only when something is missing. Run as root (as CI is) or with sudo around.
set -euo pipefail

PACKAGES=(
    build-essential            # gcc, make
    cmake
    clang                      # second compiler, sanitizers, libFuzzer
    libclang-rt-14-dev         # clang's ASan/UBSan/libFuzzer runtimes
    lld                        # wasm-ld, for C guests
    libjansson-dev             # spec-test JSON
    wabt                       # wat2wasm for tests, demo and examples
    binaryen
    wasi-libc
    libclang-rt-14-dev-wasm32  # compiler-rt builtins for wasm32-wasi
    pkg-config
    time                       # /usr/bin/time: peak RSS in make bench
)

# node runs the benchmarks' comparison; it may come from outside Debian, so
# only install the Debian package when no node is on the PATH at all.
if ! command -v node >/dev/null 2>&1; then
    PACKAGES+=(nodejs)
fi

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg -s "$p" >/dev/null 2>&1; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "deps.sh: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
