#!/bin/bash
# fusion_trap.sh MANTLE WASM FUNC NTH [ARG...] - a trap inside a fused
# instruction must report the Wasm offset of the memory access that failed:
# runs the exported FUNC with ARGs and checks the reported offset is that
# of FUNC's NTH load or store (from 1) as `wasm-objdump -d` lists it.
# SPDX-License-Identifier: Apache-2.0
set -u
mantle=$1 wasm=$2 func=$3 nth=$4
shift 4
want=$(wasm-objdump -d "$wasm" |
       awk -v f="<$func>:" -v n="$nth" '
           $2 ~ /^func\[/ { in_f = ($3 == f); next }
           in_f && /[|] +[a-z0-9]+[.](load|store)/ && ++k == n { sub(/:$/, "", $1); print $1; exit }')
if [ -z "$want" ]; then
    echo "fusion_trap: no access $nth in $func" >&2
    exit 1
fi
want=$(printf '0x%x' "$((16#$want))")
out=$("$mantle" run "$wasm" --invoke "$func" "$@" 2>&1)
if ! grep -q "offset $want: out of bounds memory access" <<<"$out"; then
    echo "fusion_trap: $func $*: expected a trap at offset $want, got: $out" >&2
    exit 1
fi
echo "ok: $func $* traps at $want"
