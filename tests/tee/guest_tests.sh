#!/usr/bin/env bash
# guest_tests.sh - TEE services seen from guests under `mantle run`, and
# `mantle attest` / `mantle evidence show`.
# SPDX-License-Identifier: Apache-2.0
#
# usage: guest_tests.sh MANTLE CLANG SDK_INCLUDE WORKDIR HOSTILE.c DEMO.c
# Builds both guests with clang --target=wasm32-wasi, then checks: the
# hostile guest gets errnos (never a crash); the demo seals on its first run
# and unseals on the second; the seal cannot be opened by another module,
# by the same module under another launch configuration, or under another
# device secret; --tee=auto never falls back to soft; attest/evidence show.
set -u
if [ $# -ne 6 ]; then
    echo "usage: $0 MANTLE CLANG SDK_INCLUDE WORKDIR HOSTILE.c DEMO.c" >&2
    exit 2
fi
MANTLE=$1 CLANG=$2 SDK=$3 WORK=$4 HOSTILE=$5 DEMO=$6
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
failed=0
fail() { echo "FAIL: $*"; [ -f out ] && sed 's/^/    | /' out; failed=1; }
run() {  # run WANT_STATUS ARGS...: mantle ARGS, output in ./out
    local want=$1 st
    shift
    timeout 60 "$MANTLE" "$@" >out 2>&1
    st=$?
    if grep -Eq 'Sanitizer|runtime error:' out; then
        fail "sanitizer report: mantle $*"
    elif [ "$st" -ne "$want" ]; then
        fail "exit status $st, want $want: mantle $*"
    fi
    return 0
}

for g in hostile:"$HOSTILE" demo:"$DEMO"; do
    name=${g%%:*} src=${g#*:}
    if ! "$CLANG" --target=wasm32-wasi -O2 -Wall -Wextra -Werror -I"$SDK" \
            -o "$name.wasm" "$src" 2>cc.log; then
        echo "FAIL: clang --target=wasm32-wasi could not build $src:"
        sed 's/^/    | /' cc.log
        exit 1
    fi
done
printf hello >greeting.txt
mkdir -p data other

# hostile guest: errnos, never a crash or trap
run 0 run --tee=soft --state-dir st1 --secret greeting=@greeting.txt hostile.wasm
grep -qx ok out || fail "hostile guest did not finish with ok"
grep -q "TEE backend: soft" out || fail "soft backend not announced on stderr"

# the demo seals, then unseals
run 0 run --tee=soft --state-dir st1 --dir data::/data demo.wasm first
grep -q '^sealed ' out || fail "first demo run did not seal"
[ -s data/evidence.cbor ] || fail "no evidence written"
run 0 run --tee=soft --state-dir st1 --dir data::/data demo.wasm second
grep -q '^unsealed   "launch codes' out || fail "second run did not unseal"
grep -qx 'counter    2 (runs of this module here; only goes up)' out ||
    fail "demo: counter after two runs"
# another host directory for the same guest path: same configuration
cp -r data data2
run 0 run --tee=soft --state-dir st1 --dir data2::/data demo.wasm
grep -q '^unsealed' out || fail "host path changed the keys"
# same module, another configuration (an extra env var): refused
run 3 run --tee=soft --state-dir st1 --dir data::/data --env X=1 demo.wasm
grep -q 'unseal     refused' out || fail "other configuration opened the seal"
# same module, read-only grant: another configuration too
# same module, another device secret: refused
run 3 run --tee=soft --state-dir st2 --dir data::/data demo.wasm
grep -q 'unseal     refused' out || fail "other device secret opened the seal"
# another module, same everything else: refused
run 0 run --tee=soft --state-dir st1 --dir data::/data hostile.wasm unseal /data/sealed.bin
grep -qx BADMSG out || fail "another module opened the seal"

# counters: per module and configuration, persistent, only up; a host that
# rolls the counter table back is caught (STALE), as is a deleted table
run 0 run --tee=soft --state-dir st1 hostile.wasm count
c1=$(sed -n 's/^counter //p' out)
[ "$c1" = 33 ] || fail "counter after the hostile run: '$c1', want 33"
run 0 run --tee=soft --state-dir st1 hostile.wasm count
grep -qx 'counter 34' out || fail "counter did not go up by one"
run 0 run --tee=soft --state-dir st1 --env X=1 hostile.wasm count
grep -qx 'counter 1' out || fail "another configuration shares the counter"
cp st1/counters counters.old
run 0 run --tee=soft --state-dir st1 hostile.wasm count
grep -qx 'counter 35' out || fail "counter: third increment"
cp counters.old st1/counters
run 0 run --tee=soft --state-dir st1 hostile.wasm count
grep -qx STALE out || fail "a rolled-back counter table was accepted"
rm st1/counters
run 0 run --tee=soft --state-dir st1 hostile.wasm count
grep -qx STALE out || fail "a deleted counter table was accepted"

# auto never falls back to soft; a guest needing the services gets auto
if [ ! -e /dev/tpmrm0 ] && [ ! -d /sys/kernel/config/tsm/report ]; then
    run 1 run --tee=auto --state-dir st1 --dir data::/data demo.wasm
    grep -q -- '--tee=soft' out || fail "auto: no hint to ask for soft"
    run 1 run --state-dir st1 --dir data::/data demo.wasm
    grep -q 'no hardware TEE' out || fail "default for a TEE guest is not auto"
fi
run 2 run --tee=bogus demo.wasm
run 5 run --tee=soft --secret x=@missing.file demo.wasm
run 2 run --tee=soft --secret nofile demo.wasm

# attest + evidence show
run 0 attest --tee=soft --state-dir st1 --dir data::/data demo.wasm \
    --nonce 0011223344556677 -o ev.cbor
[ -s ev.cbor ] || fail "attest wrote no evidence"
run 0 evidence show ev.cbor
grep -q 'nonce     00112233445566770000' out || fail "show: nonce"
grep -q 'tee       soft' out || fail "show: tee kind"
grep -q 'debug     enabled' out || fail "show: debug status"
grep -Eq 'module    [0-9a-f]{64}' out || fail "show: module digest"
want=$(sha256sum demo.wasm | cut -c1-64)
grep -q "module    $want" out || fail "show: module digest is not SHA-256 of the file"
# attest's config digest equals what the guest saw under the same grants
run 0 run --tee=soft --state-dir st1 --dir data::/data demo.wasm
cfg=$(sed -n 's/^config     //p' out)
run 0 evidence show ev.cbor
grep -q "config    $cfg" out || fail "attest and run measure the configuration differently"
grep -q 'x509      3 certificates' out || fail "show: X.509 DICE chain"
# the X.509 DICE chain: PEM, leaf first; OpenSSL's path validation accepts
# it (OpenDiceInput is critical and unknown to OpenSSL: -ignore_critical)
run 0 attest --tee=soft --state-dir st1 --dir data::/data demo.wasm \
    --format x509 -o chain.pem
[ "$(grep -c 'BEGIN CERTIFICATE' chain.pem)" -eq 3 ] || fail "x509: not 3 certificates"
awk '/BEGIN/{n++} {print > ("x509-" n ".pem")}' chain.pem
openssl verify -x509_strict -ignore_critical -CAfile x509-3.pem \
    -untrusted x509-2.pem x509-1.pem >out 2>&1 || fail "x509: openssl verify"
openssl verify -ignore_critical -CAfile x509-2.pem x509-1.pem >out 2>&1 &&
    fail "x509: a chain without its root verified"
run 2 attest --tee=soft --state-dir st1 demo.wasm --format pem -o x.pem
run 2 attest --tee=soft --state-dir st1 demo.wasm --nonce zz -o x.cbor
run 2 attest --tee=soft --state-dir st1 demo.wasm -o x.cbor
run 2 attest --tee=soft --state-dir st1 demo.wasm --nonce \
    $(printf '%0130d' 0) -o x.cbor
printf 'garbage' >bad.cbor
run 3 evidence show bad.cbor
run 5 evidence show missing.cbor

[ "$failed" -eq 0 ] && echo "tee guest tests: passed"
exit "$failed"
