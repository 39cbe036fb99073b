#!/usr/bin/env bash
# sizes.sh - footprint: stripped size of `mantle` per target, and of the
# minimal interpreter-only armv7 build against its budget.
# SPDX-License-Identifier: Apache-2.0
#
# usage: bench/sizes.sh        (from `make bench`; builds each tree
#                               through scripts/cross.sh, incrementally)
#
# Prints one line per build: target, build, stripped bytes and KiB. Exit
# status 1 if the minimal armv7 `mantle` is over MIN_BUDGET_KIB (150).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MIN_BUDGET_KIB=${MIN_BUDGET_KIB:-150}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# size TARGET-LABEL BUILD-LABEL STRIP BINARY: print it; BYTES holds it.
BYTES=0
size() {
    local out=$tmp/$1.$RANDOM
    "$3" -o "$out" "$4"
    BYTES=$(stat -c %s "$out")
    awk -v t="$1" -v b="$2" -v n="$BYTES" \
        'BEGIN { printf "%-8s %-26s %8d bytes %7.1f KiB\n", t, b, n, n / 1024 }'
}

cd "$ROOT"
# Always through the build (incremental): a tree left from an older
# commit would report an old binary's size.
for a in aarch64 armv7 riscv64; do
    bash scripts/cross.sh build "$a" >/dev/null
done
bash scripts/cross.sh min armv7 >/dev/null
[ -x build/mantle ] || { echo "sizes.sh: build/mantle missing (make build)" >&2; exit 1; }

echo "sizes: stripped mantle (full: Release; minimal: MANTLE_MINIMAL=ON, MinSizeRel)"
size x86-64 "full (build/)" strip build/mantle
size aarch64 "full, no TEE/attest" aarch64-linux-gnu-strip build-cross-aarch64/mantle
size armv7 "full, no TEE/attest" arm-linux-gnueabihf-strip build-cross-armv7/mantle
size riscv64 "full, no TEE/attest" riscv64-linux-gnu-strip build-cross-riscv64/mantle
size armv7 "minimal, interpreter only" arm-linux-gnueabihf-strip \
    build-cross-armv7-min/mantle
if [ "$BYTES" -gt $((MIN_BUDGET_KIB * 1024)) ]; then
    echo "sizes: minimal armv7 mantle is $BYTES bytes, over the ${MIN_BUDGET_KIB} KiB budget"
    exit 1
fi
echo "sizes: minimal armv7 mantle within the ${MIN_BUDGET_KIB} KiB budget"
