#!/usr/bin/env bash
# tls_test.sh - the fleet over TLS: a JetStream nats-server that requires
# mutual TLS; `mantle deploy ls` and a mantled node join with lattice CA,
# certificate and key, and are refused with a clear error without them.
# SPDX-License-Identifier: Apache-2.0
#
# usage: tls_test.sh BUILD_DIR TEST_BIN_DIR WORK_DIR
set -uo pipefail
# shellcheck source=../agent/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent/lib.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BUILD=$1 BIN=$2 WORK=$3
MANTLE=$BUILD/mantle
command -v nats-server >/dev/null || { echo "FATAL nats-server not found (scripts/deps.sh)"; exit 1; }
fleet_work "$WORK"
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
gen_ca ca && gen_cert server ca localhost san.ext && gen_cert node ca n1 &&
    gen_ca rogue && gen_cert mallory rogue mallory || { echo "FATAL openssl"; exit 1; }
PORT=$("$BIN/tcpgate" --free-ports 1)
cat >tls.conf <<EOF
listen: 127.0.0.1:$PORT
jetstream { store_dir: "$WORK/js" }
tls { cert_file: "$WORK/server.pem", key_file: "$WORK/server.key",
      ca_file: "$WORK/ca.pem", verify: true, timeout: 2 }
EOF
nats-server -c tls.conf >server.log 2>&1 &
PIDS+=($!)
URL=tls://127.0.0.1:$PORT
TLS=(--lattice "$URL" --lattice-ca ca.pem --lattice-cert node.pem --lattice-key node.key)
check "mutual TLS: deploy ls works" wait_for 10 "$MANTLE" deploy ls "${TLS[@]}"
"$MANTLE" deploy ls --lattice "$URL" --lattice-ca ca.pem --timeout 2s >out.txt 2>&1
check "no client certificate: exit 1" test $? = 1
check "... cannot reach NATS, with the reason" grep -q "cannot reach NATS at $URL" out.txt
"$MANTLE" deploy ls --lattice "$URL" --lattice-ca rogue.pem --lattice-cert node.pem \
    --lattice-key node.key --timeout 2s >out.txt 2>&1
check "server not signed by the given CA: refused" test $? = 1
check "... saying the handshake failed" grep -qi "handshake" out.txt
"$MANTLE" deploy ls --lattice "$URL" --lattice-ca ca.pem --lattice-cert mallory.pem \
    --lattice-key mallory.key --timeout 2s >out.txt 2>&1
check "client certificate from another CA: refused" test $? = 1
"$MANTLE" deploy ls --lattice "$URL" --lattice-cert node.pem --timeout 2s >out.txt 2>&1
check "certificate without key: clear error" grep -q "needs both the certificate and its key" out.txt

# Settings that cannot work are refused before anything starts.
"$BUILD/mantled" --state-dir "$WORK/bad" --tls-cert server.pem --tls-key server.key \
    --tokens-file /dev/null --lattice "$URL" --heartbeat-ms 1s --dead-after-ms 1s >out.txt 2>&1
check "mantled: dead_after below two heartbeats refused (exit 2)" test $? = 2
check "... saying what is required" grep -q "dead_after_ms and lease_ms >= 2 heartbeats" out.txt

# A node joins over mutual TLS.
printf 'ops 0123456789abcdef0123456789abcdef\n' >tokens
cat >n1.conf <<EOF
state_dir = $WORK/n1
listen = 127.0.0.1:0
tls_cert = $WORK/server.pem
tls_key = $WORK/server.key
tokens_file = $WORK/tokens
lattice = $URL
lattice_ca = $WORK/ca.pem
lattice_cert = $WORK/node.pem
lattice_key = $WORK/node.key
node_id = n1
heartbeat_ms = 300ms
EOF
"$BUILD/mantled" --config n1.conf >n1.log 2>&1 &
N1=$!
PIDS+=($N1)
check "mantled joins over mutual TLS" wait_for 15 grep -q "fleet: node n1 joined via tls://" n1.log
kill -TERM $N1
wait $N1
check "... and drains (exit 0)" test $? = 0
check "no sanitizer report" sh -c "! grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' n1.log"
echo "$failures failure(s)"
test "$failures" = 0
