#!/bin/sh
# wat2wasm_compare.sh - our text parser against wabt's wat2wasm, byte for byte.
# SPDX-License-Identifier: Apache-2.0
#
# usage: wat2wasm_compare.sh WAT2BIN WAT2WASM FILE.wat...
# Each file must convert under both tools (wat2wasm with its defaults, which
# are the Wasm 2.0 features) to identical bytes.
set -u
wat2bin=$1 wat2wasm=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
for f in "$@"; do
    n=$((n + 1))
    if ! "$wat2wasm" "$f" -o "$tmp/ref.wasm"; then
        echo "FAIL $f: wat2wasm rejects it"; fail=1; continue
    fi
    if ! "$wat2bin" "$f" "$tmp/ours.wasm"; then
        echo "FAIL $f: wat2bin rejects it"; fail=1; continue
    fi
    if ! cmp "$tmp/ref.wasm" "$tmp/ours.wasm"; then
        echo "FAIL $f: bytes differ"; fail=1; continue
    fi
done
echo "wat2wasm_compare: $n files, $([ $fail = 0 ] && echo all same || echo some differ)"
exit $fail
