#!/usr/bin/env bash
# objstore_interop.sh - Mantle's ADR-20 object store (src/fleet/objstore.c)
# against nats.js's own, both ways, on one JetStream server: nats.js reads
# the module `mantle deploy` uploaded (checking the digest itself); Mantle
# reads a module nats.js stored (`mantle deploy` of its digest); a module
# stored under another module's name is refused. Fails (never skips)
# without nats-server, node or nats.js (scripts/deps.sh installs them).
# SPDX-License-Identifier: Apache-2.0
#
# usage: objstore_interop.sh BUILD_DIR TEST_BIN_DIR WORK_DIR
set -uo pipefail
# shellcheck source=../agent/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent/lib.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BUILD=$1 BIN=$2 WORK=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MANTLE=$BUILD/mantle
command -v node >/dev/null || { echo "FATAL node not found (scripts/deps.sh)"; exit 1; }
[ -d "$HERE/node_modules/nats" ] ||
    { echo "FATAL nats.js not installed in tests/lattice (scripts/deps.sh)"; exit 1; }
fleet_work "$WORK"
fleet_nats "$BIN/tcpgate"
js() { node "$HERE/objstore_interop.mjs" "$MANTLE_LATTICE" "$@"; }

# Mantle writes, nats.js reads (and checks the digest itself).
cp "$BIN/echo.wasm" .
printf 'name: a\nmodule: echo.wasm\n' >a.yaml
"$MANTLE" deploy a.yaml >out.txt 2>&1 || { cat out.txt; exit 1; }
hex=$(sha256sum echo.wasm | cut -c1-64)
js get "sha256:$hex" got.wasm >js.txt 2>&1
check "nats.js reads the object Mantle stored" cmp -s got.wasm echo.wasm || cat js.txt
check "... with the ADR-20 digest form" grep -q "meta digest SHA-256=" js.txt
# A module of 300 KiB: three chunks of at most 128 KiB each.
head -c 307200 /dev/urandom >big.bin
cat echo.wasm >big.wasm
printf '\0\x85\xe0\x12\x04blob' >>big.wasm # custom section "blob": 1+4+307200 bytes
cat big.bin >>big.wasm
"$MANTLE" validate big.wasm >/dev/null || { echo "FATAL big.wasm invalid"; exit 1; }
printf 'name: b\nmodule: big.wasm\n' >b.yaml
"$MANTLE" deploy b.yaml >out.txt 2>&1 || { cat out.txt; exit 1; }
bighex=$(sha256sum big.wasm | cut -c1-64)
js get "sha256:$bighex" gotbig.wasm >js.txt 2>&1
check "nats.js reads a 3-chunk object Mantle stored" cmp -s gotbig.wasm big.wasm || cat js.txt
check "... in 3 chunks" grep -q "in 3 chunk(s)" js.txt

# nats.js writes, Mantle reads: a deployment naming only the digest.
cp echo.wasm other.wasm
printf '\0\x06\x05other' >>other.wasm # a custom section: another digest
ohex=$(sha256sum other.wasm | cut -c1-64)
js put "sha256:$ohex" other.wasm >js.txt 2>&1 || { cat js.txt; exit 1; }
printf 'name: c\nmodule: sha256:%s\n' "$ohex" >c.yaml
"$MANTLE" deploy c.yaml >out.txt 2>&1
check "Mantle reads the object nats.js stored (deploy by digest)" test $? = 0 || cat out.txt

# Bytes stored under another module's name: refused with the reason.
fake=$(printf x | sha256sum | cut -c1-64)
js put "sha256:$fake" other.wasm >js.txt 2>&1 || { cat js.txt; exit 1; }
printf 'name: d\nmodule: sha256:%s\n' "$fake" >d.yaml
"$MANTLE" deploy d.yaml >out.txt 2>&1
check "bytes under another digest's name: refused" test $? = 1
check "... saying what they hash to" grep -q "holds bytes hashing to sha256:$ohex" out.txt
echo "$failures failure(s)"
test "$failures" = 0
