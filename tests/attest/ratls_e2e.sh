#!/usr/bin/env bash
# ratls_e2e.sh - attested TLS on loopback: a WASI server under `mantle run
# --listen-tls` (the test starts and stops it) is checked by `mantle
# verify-tls` against policies and roots, and serves plaintext through TLS.
# SPDX-License-Identifier: Apache-2.0
# usage: ratls_e2e.sh MANTLE SERVER.wasm WORKDIR
set -u
mantle=$1 guest=$2 work=$3
. "$(dirname "$0")/testlib.sh"
server_workdir

export MANTLE_STATE_DIR="$work/state"
run 0 "device root" "$mantle" evidence root --tee=soft -o "$work/root.pem"
MANTLE_STATE_DIR="$work/other" run 0 "another device's root" "$mantle" evidence root --tee=soft -o "$work/other.pem"
digest=$(sha256sum "$guest" | cut -d' ' -f1)
echo "{\"tee\":[\"mantle\"],\"debug\":true,\"module_digests\":[\"$digest\"]}" >"$work/dev.json"
echo "{\"tee\":[\"mantle\"],\"debug\":false}" >"$work/prod.json"

"$mantle" run --tee=soft --listen-tls 127.0.0.1:0 "$guest" >"$work/srv.out" 2>"$work/srv.err" &
pid=$!
for _ in $(seq 100); do
    grep -q "attested TLS on port" "$work/srv.err" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
port=$(sed -n 's/.*attested TLS on port \([0-9]*\).*/\1/p' "$work/srv.err")
[ -n "$port" ] || { echo "FAIL: the server did not start"; cat "$work/srv.err"; exit 1; }

run 0 "RA-TLS accepted by the module's policy" "$mantle" verify-tls "127.0.0.1:$port" --root "$work/root.pem" --policy "$work/dev.json"
has out "verified mantle evidence"
has out "module_digest  $digest"
has out "verdict: warning"
run 1 "RA-TLS refused: debug under a no-debug policy" "$mantle" verify-tls "127.0.0.1:$port" --root "$work/root.pem" --policy "$work/prod.json"
has err "refused by policy (policy: debug)"
run 1 "RA-TLS refused: another device's root" "$mantle" verify-tls "127.0.0.1:$port" --root "$work/other.pem"
has err "refused (chain)"
# freshness: each verify-tls sends a nonce the certificate must bind (the
# runs above); without one, the certificate made at start, bounded by age
run 0 "RA-TLS without a nonce (certificate made at start)" "$mantle" verify-tls "127.0.0.1:$port" --root "$work/root.pem" --no-nonce --max-age 600
later=$(date -u -d @$(( $(date +%s) + 120 )) +%Y-%m-%dT%H:%M:%SZ)
run 1 "RA-TLS refused: evidence older than --max-age" "$mantle" verify-tls "127.0.0.1:$port" --root "$work/root.pem" --time "$later" --max-age 60
has err "refused (expired): ratls: the evidence was issued at"
has err "older than the maximum age of 60 s"
week=$(date -u -d @$(( $(date +%s) + 8 * 86400 )) +%Y-%m-%dT%H:%M:%SZ)
run 1 "RA-TLS refused: certificate past notAfter" "$mantle" verify-tls "127.0.0.1:$port" --root "$work/root.pem" --time "$week"
has err "refused (expired): ratls: the certificate expired at"
run 2 "--max-age wants seconds" "$mantle" verify-tls "127.0.0.1:$port" --max-age 0
# the guest's plaintext, through TLS
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -quiet -ign_eof </dev/null 2>/dev/null)
case "$out" in
*"hello from the enclave"*) echo "ok   plaintext served through TLS" ;;
*) echo "FAIL: through TLS got \"$out\""; fail=1 ;;
esac
wait "$pid"; st=$?; pid=
[ "$st" = 0 ] || { echo "FAIL: the server exited $st"; cat "$work/srv.err"; fail=1; }
# a plain TLS server (no evidence extension) is refused
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=plain -keyout "$work/k.pem" -out "$work/c.pem" 2>/dev/null
openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$work/c.pem" -key "$work/k.pem" \
    >"$work/plain.out" 2>&1 < <(sleep 20) &
pid=$!
for _ in $(seq 100); do
    grep -q "^ACCEPT" "$work/plain.out" 2>/dev/null && break
    sleep 0.1
done
pport=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$work/plain.out" | head -1)
if [ -n "$pport" ]; then
    run 1 "plain TLS refused" "$mantle" verify-tls "127.0.0.1:$pport" --root "$work/root.pem"
    has err "refused (missing input)"
else
    echo "FAIL: openssl s_server did not start"; cat "$work/plain.out"; fail=1
fi
exit $fail
