#!/usr/bin/env bash
# secrets_test.sh - secrets follow the attested placement: a JetStream
# nats-server, `mantle broker serve` and two mantled nodes with the soft TEE,
# on loopback. The broker trusts n1's device root only, and releases the
# secret only to the vault module (its digest in the resource's policy).
# Checks: the replica on n1 attests, gets the secret and answers its hash;
# n2's attestation is refused, its replica does not run, and deploy status
# says why on which node; a deployment of another module is refused on both
# nodes and stays pending with both reasons; in Trustee's encoding
# (broker.trustee) the soft TEE's "sample" evidence is refused at auth; a
# refusal holds for secret_retry_ms, then the node tries once more (no
# tight loop, counted in the broker's audit, which released the secret
# once); the secret's bytes appear in no JetStream file
# (KV buckets, object store), node state directory or log; bad secrets
# fields are refused with their field path. Without nats-server it fails.
# SPDX-License-Identifier: Apache-2.0
#
# usage: secrets_test.sh BUILD_DIR TEST_BIN_DIR WORK_DIR
set -uo pipefail
# shellcheck source=../agent/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent/lib.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BUILD=$1 BIN=$2 WORK=$3
MANTLE=$BUILD/mantle
MANTLED=$BUILD/mantled
fleet_work "$WORK"
t_start=$(date +%s%3N)

# ---- NATS with JetStream ---------------------------------------------------
fleet_nats "$BIN/tcpgate"

# ---- the key broker: n1's device root, the vault module's digest ----------
mkdir -p n1/tee n2/tee roots
for n in n1 n2; do
    "$MANTLE" evidence root --tee=soft --state-dir $n/tee -o roots/$n.pem >out.txt 2>&1 ||
        die "evidence root: $(cat out.txt)"
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout broker.key -out broker.pem 2>/dev/null || die "openssl"
SECRET="db-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
printf '%s' "$SECRET" >secret.bin
cp "$BIN/secret.wasm" vault.wasm
# Another module: one custom section more, another digest.
cp vault.wasm other.wasm && printf '\000\004\003abc' >>other.wasm
DIGEST=$(sha256sum vault.wasm | cut -d' ' -f1)
echo "{\"id\":\"vault\",\"tee\":[\"mantle\"],\"debug\":true,\"module_digests\":[\"$DIGEST\"]}" >policy.json
"$MANTLE" broker put --db kbs.db app/key/db --value @secret.bin --policy policy.json >out.txt 2>&1 ||
    die "broker put: $(cat out.txt)"
"$MANTLE" broker serve --db kbs.db --root roots/n1.pem --listen 127.0.0.1:0 \
    --cert broker.pem --key broker.key >broker.out 2>broker.err &
PIDS+=($!)
wait_for 10 grep -q "^listening on" broker.out || die "the broker did not start"
BPORT=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' broker.out)
BURL=https://127.0.0.1:$BPORT
# What the guest answers when it has the secret: the same module run
# locally with the secret given directly.
EXPECT=$(MANTLE_STATE_DIR=$WORK/local "$MANTLE" run --tee=soft --secret db-key=@secret.bin vault.wasm 2>/dev/null)
case $EXPECT in fnv1a64\ ????????????????) ;; *) die "the guest run locally said: $EXPECT" ;; esac
pass "NATS, the broker on $BURL and the expected answer ($EXPECT)"

# ---- invalid secrets fields: the field path and why -------------------------
bad() { # NAME YAML-TAIL EXPECTED
    printf 'name: x\nmodule: vault.wasm\nconstraints: {tee: soft, debug_ok: true}\n%b' "$2" >bad.yaml
    "$MANTLE" deploy bad.yaml >out.txt 2>&1
    check "invalid manifest, $1: exit 2" test $? = 2
    check "... $3" grep -qF "bad.yaml: $3" out.txt
}
bad "secrets without broker" 'secrets: {db-key: kbs:///app/key/db}\n' \
    "secrets: no broker"
bad "secret not a kbs URI" "broker: $BURL\nsecrets: {db-key: app/key/db}\n" \
    'secrets.db-key: "app/key/db" is not kbs:///REPO/TYPE/TAG'
bad "broker CA not PEM" "broker: {url: $BURL, ca: nope}\nsecrets: {k: kbs:///a/b/c}\n" \
    "broker.ca: not a PEM certificate"
printf 'name: x\nmodule: vault.wasm\nbroker: %s\nsecrets: {k: kbs:///a/b/c}\n' "$BURL" >bad.yaml
"$MANTLE" deploy bad.yaml >out.txt 2>&1
check "secrets without a TEE constraint: refused, saying why" \
    grep -qF "bad.yaml: secrets: constraints.tee must list only TEE kinds" out.txt

# ---- two nodes with the soft TEE; both trusted by the reconciler ------------
fleet_node_pki
start_node() { # NAME
    fleet_node_conf $1 <<EOF
tick_ms = 20ms
node_tee = soft
tee_roots = $WORK/roots
heartbeat_ms = 300ms
dead_after_ms = 3s
lease_ms = 1500ms
secret_retry_ms = 2500ms
EOF
    "$MANTLED" --config $1.conf >>$1.log 2>&1 &
    PIDS+=($!)
    eval "${1^^}_PID=$!"
}
start_node n1
start_node n2
for n in n1 n2; do
    wait_for 20 grep -q "fleet: node $n joined" $n.log || die "$n did not join"
done
pass "n1 and n2 joined"

# ---- the vault: admitted on n1, refused on n2 ------------------------------
manifest() { # NAME MODULE REPLICAS [TRUSTEE]
    cat <<EOF
name: $1
module: $2
replicas: $3
constraints: {tee: [soft], debug_ok: true, spread: node}
broker:
  url: $BURL
  trustee: ${4:-false}
  ca: |
$(sed 's/^/    /' broker.pem)
secrets:
  db-key: kbs:///app/key/db
EOF
}
manifest vault vault.wasm 2 >vault.yaml
t0=$(date +%s%3N)
"$MANTLE" deploy vault.yaml >out.txt 2>&1 || die "deploy vault: $(cat out.txt)"
check "n1: replica attested and started" \
    wait_for 20 grep -q "replica vault/[01] started .*attested, secrets released by the broker" n1.log
check "n2: replica not started, the broker's reason logged" \
    wait_for 20 grep -q "replica vault/[01] not started: secret db-key refused by broker: attestation refused (HTTP 401)" n2.log
status_has() { "$MANTLE" deploy status "$1" 2>/dev/null | grep -qE "$2"; }
check "deploy status: the refused replica, on n2, with the broker's reason" \
    wait_for 10 status_has vault "replica [01] on n2: secret db-key refused by broker: attestation refused \(HTTP 401\)"
check "deploy status: the other replica pending, n2 could not start it" \
    wait_for 10 status_has vault "pending: 2 nodes rejected: .*n2 could not start it: secret db-key refused by broker"
"$MANTLE" deploy status vault >status.txt 2>&1
echo "  placed and refused in $(( $(date +%s%3N) - t0 )) ms:"
sed 's/^/    /' status.txt
check "deploy status: one replica on n1" grep -qE "^  replica [01]: n1: " status.txt
ans=$("$MANTLE" invoke vault --data ping 2>out.txt)
check "invoke: the replica on n1 answers the hash of the secret" test "$ans" = "$EXPECT"

# ---- another module: refused on both nodes ----------------------------------
manifest other other.wasm 1 >other.yaml
"$MANTLE" deploy other.yaml >out.txt 2>&1 || die "deploy other: $(cat out.txt)"
check "other module: refused on n1 by the resource's policy" \
    wait_for 20 grep -q "replica other/0 not started: secret db-key refused by broker: .*module" n1.log
check "... and on n2 (its device is not trusted)" \
    wait_for 20 grep -q "replica other/0 not started: secret db-key refused by broker" n2.log
check "... pending, with both nodes' reasons" \
    wait_for 10 status_has other "pending: 2 nodes rejected: 1 n1 could not start it: .*1 n2 could not start it"
"$MANTLE" invoke other --data ping >out.txt 2>&1
check "... nothing serves it (no responders)" test $? != 0

# ---- Trustee's encoding: soft evidence is "sample", which this broker refuses --
manifest tvault vault.wasm 1 true >tvault.yaml
"$MANTLE" deploy tvault.yaml >out.txt 2>&1 || die "deploy tvault: $(cat out.txt)"
check "broker.trustee: the soft node's sample evidence refused at auth" \
    wait_for 20 sh -c "grep -q 'replica tvault/0 not started: secret db-key refused by broker: auth refused (HTTP 400)' n1.log n2.log"
"$MANTLE" deploy rm tvault >/dev/null 2>&1

# ---- a refusal holds for secret_retry_ms, then one more attempt --------------
check "n2 withdraws its refusal after secret_retry_ms" \
    wait_for 10 grep -q "vault: refusal withdrawn" n2.log
check "... is given the replica again and asks the broker once more" \
    wait_for 10 sh -c "[ \$(grep -c 'replica vault/[01] not started' n2.log) -ge 2 ]"
check "the replica on n1 still serves" test "$("$MANTLE" invoke vault --data again 2>/dev/null)" = "$EXPECT"
elapsed=$(( $(date +%s%3N) - t0 ))
"$MANTLE" broker audit --db kbs.db >audit.txt 2>&1
attests=$(awk '$3 == "attest"' audit.txt | wc -l)
released=$(awk '$3 == "resource" && $5 == "released"' audit.txt | wc -l)
refused_n2=$(grep -c "replica vault/[01] not started" n2.log)
# one attempt per 2.5 s retry period, per refused deployment and node, plus
# n1's admitted one: far from one per 300 ms heartbeat.
bound=$(( 3 * (elapsed / 2500 + 2) + 1 ))
echo "  $attests attestations in the broker's audit in $elapsed ms (bound $bound); n2 tried the vault $refused_n2 times"
check "no tight retry loop (attestations within the bound)" test "$attests" -le "$bound"
check "the secret released once: to n1's replica at its start, not per invocation" test "$released" = 1

# ---- the secret never leaves the broker and the replica's memory --------------
check "positive control: the deployment is found in JetStream's files" grep -rqF "kbs:///app/key/db" js
check "the secret's bytes are in no JetStream file (KV, object store)" sh -c "! grep -rqF '$SECRET' js"
check "... in no node state directory" sh -c "! grep -rqF '$SECRET' n1 n2"
check "... in no log" sh -c "! grep -qF '$SECRET' n1.log n2.log nats.log broker.out broker.err"

# ---- drain ------------------------------------------------------------------
"$MANTLE" deploy rm other >/dev/null 2>&1
"$MANTLE" deploy rm vault >/dev/null 2>&1
for n in n1 n2; do
    pid_var=${n^^}_PID
    kill -TERM "${!pid_var}"
    wait "${!pid_var}"
    check "$n drains (exit 0)" test $? = 0
done
check "no sanitizer report" sh -c "! grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' n1.log n2.log"
echo "lattice.secrets: $(( $(date +%s%3N) - t_start )) ms"
echo "$failures failure(s)"
test "$failures" = 0
