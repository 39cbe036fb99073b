#!/bin/bash
# fusion_fuel.sh MANTLE WASM - fuel stays exact through pairs and chains
# (iops.h VM_PAIRS): fusion.wat's chain_loop runs most of them. Each loop
# iteration costs the Wasm instructions of the loop body: 42 in
# chain_loop, less the two `end`s reached only as dead code (after
# br_table and br), so 40. A budget of exactly what a run used suffices;
# one less traps at the loop's back-edge (its br_if).
# SPDX-License-Identifier: Apache-2.0
set -u
mantle=$1 wasm=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
used() {  # n -> fuel_used of chain_loop over n bytes
    "$mantle" run --fuel 100000 --stats-json "$tmp/s.json" "$wasm" --invoke chain_loop 128 "$1" \
        >/dev/null || return 1
    sed -n 's/.*"fuel_used": *\([0-9]*\).*/\1/p' "$tmp/s.json"
}
u8=$(used 8) && u16=$(used 16) || { echo "fusion_fuel: chain_loop failed" >&2; exit 1; }
if [ "$((u16 - u8))" -ne $((8 * 40)) ]; then
    echo "fusion_fuel: 8 more iterations used $((u16 - u8)) fuel, expected 320" >&2
    exit 1
fi
out=$("$mantle" run --fuel "$u8" "$wasm" --invoke chain_loop 128 8 2>&1)
if [ "$out" != "i32:96" ]; then
    echo "fusion_fuel: with fuel $u8 (what it used): $out" >&2
    exit 1
fi
want=$(wasm-objdump -d "$wasm" |
       awk '$2 ~ /^func\[/ { in_f = ($3 == "<chain_fused>:"); next }
            in_f && /[|] +br_if/ { at = $1 } END { sub(/:$/, "", at); print at }')
want=$(printf '0x%x' "$((16#$want))")
out=$("$mantle" run --fuel "$((u8 - 1))" "$wasm" --invoke chain_loop 128 8 2>&1)
if ! grep -q "offset $want: out of fuel" <<<"$out"; then
    echo "fusion_fuel: with fuel $((u8 - 1)): expected out of fuel at $want, got: $out" >&2
    exit 1
fi
echo "ok: 40 fuel an iteration; $u8 suffices, $((u8 - 1)) traps at $want"
