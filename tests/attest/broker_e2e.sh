#!/usr/bin/env bash
# broker_e2e.sh - the key broker end to end over HTTPS on loopback: the test
# starts `mantle broker serve` on a port the kernel picks, and a guest under
# `mantle run --broker` gets its secret only when its module digest and TEE
# kind match the policy; a modified module and debug evidence under a
# strict policy are refused and logged. The broker is stopped at the end.
# SPDX-License-Identifier: Apache-2.0
# usage: broker_e2e.sh MANTLE GUEST.wasm WORKDIR
set -u
mantle=$1 guest=$2 work=$3
. "$(dirname "$0")/testlib.sh"
server_workdir

export MANTLE_STATE_DIR="$work/state"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null ||
    { echo "FAIL: openssl cannot make a certificate"; exit 1; }
run 0 "device root" "$mantle" evidence root --tee=soft -o "$work/root.pem"
digest=$(sha256sum "$guest" | cut -d' ' -f1)
printf 'correct horse battery staple' >"$work/secret"
echo "{\"id\":\"dev\",\"tee\":[\"mantle\"],\"debug\":true,\"module_digests\":[\"$digest\"]}" >"$work/dev.json"
echo "{\"id\":\"prod\",\"tee\":[\"mantle\"],\"debug\":false,\"module_digests\":[\"$digest\"]}" >"$work/prod.json"
echo "{\"id\":\"hw\",\"tee\":[\"snp\",\"tdx\"],\"debug\":true}" >"$work/hw.json"
db="$work/broker.db"
run 0 "put dev secret" "$mantle" broker put --db "$db" app/key/db --value @"$work/secret" --policy "$work/dev.json"
run 0 "put prod secret" "$mantle" broker put --db "$db" app/key/prod --value @"$work/secret" --policy "$work/prod.json"
run 0 "put hardware-only secret" "$mantle" broker put --db "$db" app/key/hw --value @"$work/secret" --policy "$work/hw.json"
run 2 "put with a bad policy" "$mantle" broker put --db "$db" app/key/x --value @"$work/secret" --policy "$work/secret"

# the verifier's inputs: at least a root or evidence certificates, each read
run 2 "serve without a trust anchor" "$mantle" broker serve --db "$db" --listen 127.0.0.1:0 --cert "$work/cert.pem" --key "$work/key.pem"
run 5 "serve with an unreadable --evidence-cert" "$mantle" broker serve --db "$db" --evidence-cert "$work/no-ak.pem" --listen 127.0.0.1:0 --cert "$work/cert.pem" --key "$work/key.pem"
has err "no-ak.pem"
run 5 "serve with a missing --collateral dir" "$mantle" broker serve --db "$db" --root "$work/root.pem" --collateral "$work/no-dir" --listen 127.0.0.1:0 --cert "$work/cert.pem" --key "$work/key.pem"
has err "no-dir"
run 2 "--evidence-cert is for serve" "$mantle" broker audit --db "$db" --evidence-cert "$work/cert.pem"

"$mantle" broker serve --db "$db" --root "$work/root.pem" --listen 127.0.0.1:0 \
    --cert "$work/cert.pem" --key "$work/key.pem" >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
for _ in $(seq 100); do
    grep -q "^listening on" "$work/serve.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/serve.out")
[ -n "$port" ] || { echo "FAIL: the broker did not start"; cat "$work/serve.err"; exit 1; }
url="https://127.0.0.1:$port"
broker=(--tee=soft --broker "$url" --broker-ca "$work/cert.pem")

run 0 "attested guest gets its secret" "$mantle" run "${broker[@]}" --secret db=kbs:///app/key/db "$guest"
has out "correct horse battery staple"
# the same module under a strict policy: soft evidence is debug
run 1 "debug evidence under a no-debug policy" "$mantle" run "${broker[@]}" --secret db=kbs:///app/key/prod "$guest"
has err "policy: debug"
run 1 "TEE kind not allowed" "$mantle" run "${broker[@]}" --secret db=kbs:///app/key/hw "$guest"
has err "policy: tee"
# a modified module: one custom section more, another digest
cp "$guest" "$work/modified.wasm" && printf '\000\004\003abc' >>"$work/modified.wasm"
run 1 "modified module refused" "$mantle" run "${broker[@]}" --secret db=kbs:///app/key/db "$work/modified.wasm"
has err "policy: module"
# another device's DICE root
MANTLE_STATE_DIR="$work/other" run 1 "another device refused" "$mantle" run "${broker[@]}" --secret db=kbs:///app/key/db "$guest"
has err "refused (chain)"
# Trustee's encoding from the soft backend is "sample" evidence, which
# this broker does not accept (it proves nothing)
run 1 "--broker-trustee with soft: sample refused" "$mantle" run "${broker[@]}" --broker-trustee --secret db=kbs:///app/key/db "$guest"
has err "auth refused (HTTP 400)"
has err "not \"sample\""
# a Trustee client over HTTPS: the session remembers its "snp" tee, and
# genuine SNP evidence (the recorded report with its VCEK, in the fuzzer's
# seed behind its two selector bytes) reaches the SNP verifier, which wants
# the ASK/ARK this broker was not given - named by the broker's flag
jar="$work/trustee.jar"
nonce=$(curl -s -c "$jar" --cacert "$work/cert.pem" -H 'Content-Type: application/json' \
    -d '{"version":"0.4.0","tee":"snp","extra-params":{}}' "$url/kbs/v0/auth" |
    sed -n 's/.*"nonce":"\([^"]*\)".*/\1/p')
tail -c +3 "$(dirname "$0")/../fuzz/corpus-trustee/attest-snp" |
    sed "s/\"nonce\":\"AAAA\"/\"nonce\":\"$nonce\"/" >"$work/trustee-attest.json"
code=$(curl -s -b "$jar" -o "$work/trustee.out" -w '%{http_code}' --cacert "$work/cert.pem" \
    -H 'Content-Type: application/json' -d @"$work/trustee-attest.json" "$url/kbs/v0/attest")
if [ -n "$nonce" ] && [ "$code" = 401 ] && grep -q "evidence refused (missing input)" "$work/trustee.out" &&
    grep -q "AMD ARK root certificate with the chain (--evidence-cert)" "$work/trustee.out" &&
    ! grep -q -- "--root" "$work/trustee.out"; then
    echo "ok   Trustee snp evidence over HTTPS: no ASK/ARK (--evidence-cert)"
else
    echo "FAIL: Trustee snp evidence: HTTP $code $(cat "$work/trustee.out")"; fail=1
fi
# the broker's certificate is checked
run 1 "untrusted broker certificate" "$mantle" run --tee=soft --broker "$url" --secret db=kbs:///app/key/db "$guest"
has err "broker"
# a token without the attested session it was issued to: plain HTTPS
code=$(curl -s -o "$work/stolen" -w '%{http_code}' --cacert "$work/cert.pem" \
    -H "Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.e30.AAAA" "$url/kbs/v0/resource/app/key/db")
[ "$code" = 401 ] || { echo "FAIL: a token without a session got HTTP $code"; fail=1; }

kill "$pid" && wait "$pid"
pid=
run 0 "audit log" "$mantle" broker audit --db "$db"
has out "resource app/key/db released"
has out "policy: debug"
has out "policy: module"
has out "policy: tee"
has out "refused evidence refused (chain)"
has out "no session"
exit $fail
