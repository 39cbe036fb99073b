#!/usr/bin/env bash
# attested_test.sh - mantled serving an RA-TLS certificate (tls_attested):
# `mantle verify-tls` and `mantle node info --agent-root` accept it with the
# device root and refuse it with another root, another policy, or against
# an agent with an ordinary certificate; mutual TLS still authenticates.
# SPDX-License-Identifier: Apache-2.0
#
# usage: attested_test.sh BUILD_DIR WORK_DIR
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MANTLE=$1/mantle
MANTLED=$1/mantled
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1

printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
gen_ca opca && gen_cert server opca localhost san.ext && gen_cert alice opca alice ||
    die "openssl: cannot make certificates"
printf '# name token\nops 0123456789abcdef0123456789abcdef\n' >tokens

cat >mantled.conf <<EOF
state_dir = $WORK/state
client_ca = $WORK/opca.pem
tokens_file = $WORK/tokens
EOF

start_agent() { # start_agent FLAGS...
    : >mantled.log
    "$MANTLED" --config mantled.conf --listen 127.0.0.1:0 "$@" >>mantled.log 2>&1 &
    PID=$!
    wait_serving
}
stop_agent() {
    kill -TERM "$PID"
    wait "$PID"
    check "mantled exits 0" test $? = 0
}

# ---- configuration ---------------------------------------------------------------
"$MANTLED" --config mantled.conf --tls-attested=soft --tls-cert=server.pem \
    --tls-key=server.key >cfg.txt 2>&1
check "tls_attested with tls_cert refused (exit 2)" test $? = 2
check "... saying why" grep -q 'tls_attested replaces tls_cert and tls_key' cfg.txt
"$MANTLED" --config mantled.conf --tls-attested=nosuch >cfg.txt 2>&1
check "unknown TEE backend refused (exit 2)" test $? = 2
check "... naming it" grep -q 'tls_attested = nosuch' cfg.txt

# ---- the attested agent -----------------------------------------------------------
start_agent --tls-attested=soft
"$MANTLE" evidence root --tee=soft --state-dir state/tee -o root.pem 2>/dev/null ||
    die "mantle evidence root failed"
"$MANTLE" evidence root --tee=soft --state-dir other-tee -o other.pem 2>/dev/null ||
    die "mantle evidence root (other device) failed"
# mantled makes its certificate per context build, not per connection: it
# does not answer verify-tls's nonce (docs/attest.md), so the check is by age.
"$MANTLE" verify-tls "$ADDR" --root root.pem >vt.txt 2>&1
check "verify-tls with a nonce: refused as not fresh" grep -q "not fresh" vt.txt
"$MANTLE" verify-tls "$ADDR" --root root.pem --no-nonce --max-age 3600 >vt.txt 2>&1
check "verify-tls with the device root: accepted" test $? = 0
check "... the runtime claim is SHA-256 of mantled" \
    grep -q "$(sha256sum "$MANTLED" | cut -d' ' -f1)" vt.txt
check "... the module claim is the empty module's digest" \
    grep -q "$(printf '\0asm\1\0\0\0' | sha256sum | cut -d' ' -f1)" vt.txt
"$MANTLE" verify-tls "$ADDR" --root other.pem --no-nonce >vt.txt 2>&1
check "verify-tls with another root: refused (exit 1)" test $? = 1

AS_ALICE=(--agent "https://$ADDR" --cert alice.pem --key alice.key)
"$MANTLE" node info "${AS_ALICE[@]}" --agent-root root.pem >node.json 2>err.txt
check "node info --agent-root, mutual TLS: accepted" grep -q '"mantle_version"' node.json
"$MANTLE" node info "${AS_ALICE[@]}" --agent-root other.pem >node.json 2>err.txt
check "node info --agent-root OTHER: exit 5" test $? = 5
check "... saying the agent is not attested" grep -q "the agent's certificate: not attested" err.txt
EMPTY=$(printf '\0asm\1\0\0\0' | sha256sum | cut -d' ' -f1)
printf '{"id":"agent","tee":["mantle"],"debug":true,"module_digests":["%s"]}\n' "$EMPTY" >soft.json
printf '{"id":"tpm-only","tee":["tpm"]}\n' >tpm.json
"$MANTLE" node info "${AS_ALICE[@]}" --agent-root root.pem --agent-policy soft.json >node.json 2>err.txt
check "node info --agent-policy (its module digest, debug): accepted" grep -q '"mantle_version"' node.json
"$MANTLE" node info "${AS_ALICE[@]}" --agent-root root.pem --agent-policy tpm.json >node.json 2>err.txt
check "node info --agent-policy (tee tpm): exit 5" test $? = 5
check "... refused by the policy" grep -q "refused by tpm.json" err.txt
"$MANTLE" node info --agent "https://$ADDR" --agent-root root.pem >node.json 2>err.txt
check "attested but no credentials: the agent refuses (exit 1)" test $? = 1
"$MANTLE" node info "${AS_ALICE[@]}" --agent-root root.pem --cacert opca.pem >/dev/null 2>&1
check "--agent-root with --cacert: usage error (exit 2)" test $? = 2
stop_agent

# ---- an agent with an ordinary certificate ------------------------------------------
start_agent --tls-cert=server.pem --tls-key=server.key
"$MANTLE" node info --agent "https://$ADDR" --cert alice.pem --key alice.key \
    --cacert opca.pem >node.json 2>err.txt
check "ordinary agent, --cacert: accepted" grep -q '"mantle_version"' node.json
"$MANTLE" node info --agent "https://$ADDR" --cert alice.pem --key alice.key \
    --agent-root root.pem >node.json 2>err.txt
check "ordinary agent, --agent-root: exit 5" test $? = 5
check "... its certificate is not attested" grep -q "the agent's certificate: not attested" err.txt
"$MANTLE" verify-tls "$ADDR" --root root.pem >vt.txt 2>&1
check "verify-tls against the ordinary agent: refused (exit 1)" test $? = 1
stop_agent

if [ "$failures" -ne 0 ]; then
    printf '%d check(s) failed\n' "$failures"
    exit 1
fi
printf 'all checks passed\n'
