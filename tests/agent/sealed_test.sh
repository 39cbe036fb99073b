#!/usr/bin/env bash
# sealed_test.sh - mantled workloads with a sealed volume and a fuel budget,
# driven through the API and the client verbs: the guest's file names and
# plaintext never appear in the state directory, each restart reads back
# what earlier runs wrote, and /metrics counts the fuel runs used
# (`mantle run --stats-json`), exactly the budget for a run that ran out.
# SPDX-License-Identifier: Apache-2.0
#
# usage: sealed_test.sh BUILD_DIR WASM_DIR WORK_DIR
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MANTLE=$1/mantle
MANTLED=$1/mantled
WASM=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
MARKER=PLAINTEXT-MARKER-7f3a

# ---- mantle run --stats-json, on its own --------------------------------------------
"$MANTLE" run --fuel 1000000 --stats-json burn.json "$WASM/sealer.wasm" burn 2>/dev/null
check "run --stats-json: out of fuel exits 1" test $? = 1
check "... the report says so, fuel used = the budget" grep -q \
    '"exit_status": 1, "max_rss_bytes": [1-9][0-9]*, "fuel_limit": 1000000, "fuel_used": 1000000}' burn.json
"$MANTLE" run --stats-json plain.json "$WASM/sealer.wasm" 2>/dev/null
check "run --stats-json without --fuel: exit status, no fuel" bash -c \
    "grep -q '\"exit_status\": 2' plain.json && ! grep -q fuel plain.json"
"$MANTLE" run --stats-json /nonexistent/dir/x.json "$WASM/sealer.wasm" 2>err.txt
check "run --stats-json to an unwritable place: says so" grep -q 'stats-json /nonexistent/dir/x.json' err.txt

# ---- mantled --------------------------------------------------------------------------
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
gen_ca opca && gen_cert server opca localhost san.ext || die "openssl: cannot make certificates"
TOKEN=0123456789abcdef0123456789abcdef
printf 'ops %s\n' "$TOKEN" >tokens
printf '%s\n' "$TOKEN" >ops.token
cat >mantled.conf <<EOF
state_dir = $WORK/state
tls_cert = $WORK/server.pem
tls_key = $WORK/server.key
tokens_file = $WORK/tokens
tick_ms = 20ms
backoff_min_ms = 50ms
backoff_max_ms = 200ms
EOF
: >mantled.log
"$MANTLED" --config mantled.conf --listen 127.0.0.1:0 >>mantled.log 2>&1 &
PID=$!
wait_serving
URL=https://$ADDR
export MANTLE_AGENT=$URL MANTLE_AGENT_CACERT=$WORK/opca.pem MANTLE_AGENT_TOKEN_FILE=$WORK/ops.token
CURL=(curl -sS --max-time 10 --cacert opca.pem -H "Authorization: Bearer $TOKEN")
fuel() { # fuel WORKLOAD: its mantled_workload_fuel_used_total
    "${CURL[@]}" "$URL/metrics" |
        sed -n "s/^mantled_workload_fuel_used_total{workload=\"$1\"} \([0-9]*\)$/\1/p"
}

SEALER=$("$MANTLE" module push "$WASM/sealer.wasm" | cut -c8-71)
# ---- the spec: sealed volumes follow the plain volumes' rules -----------------------
bad() { # bad NAME DIRS-JSON REGEX
    local code
    code=$("${CURL[@]}" -o body.txt -w '%{http_code}' -X POST "$URL/v1/workloads" \
        -d "{\"name\":\"x\",\"module\":\"sha256:$SEALER\",\"dirs\":$2}")
    if [ "$code" = 400 ] && grep -Eq -- "$3" body.txt; then pass "$1 (400)"; else
        fail "$1: got $code $(head -c 200 body.txt)"; fi
}
bad "sealed volume: traversal refused" '[{"host":"../x","sealed":true}]' 'dirs\[0\].host'
bad "sealed volume: absolute path refused" '[{"host":"/etc","sealed":true}]' 'dirs\[0\].host'
bad "sealed volume: not a boolean" '[{"host":"d","sealed":"yes"}]' 'dirs\[0\].sealed: expected true or false'
bad "sealed volume: read-only refused" '[{"host":"d","sealed":true,"readonly":true}]' 'cannot be read-only'

# ---- a workload on a sealed volume, restarted -------------------------------------
"$MANTLE" workload create vault --module "sha256:$SEALER" --tee soft --dir-sealed data::/data \
    --fuel 50000000 --restart always -- /data 200000 >create.txt
check "workload create --dir-sealed" grep -q '"sealed": true' create.txt
check "... run with --dir-sealed" wait_for 5 bash -c \
    "grep -q 'sealed directory /data' state/logs/vault.stderr"
check "restarts read back what earlier runs wrote (lines=3)" wait_for 8 grep -q '^lines=3$' state/logs/vault.stdout
check "... every run saw all earlier ones (lines=0,1,2,3 in order)" bash -c \
    "head -4 state/logs/vault.stdout | tr '\n' ' ' | grep -q '^lines=0 lines=1 lines=2 lines=3 $'"
check "the volume holds sealed files" test -f state/volumes/vault/data/sealfs.1
# (state/modules holds the guest's code, which spells both strings.)
check "no plaintext anywhere in the state directory" bash -c \
    "! grep -rqa --exclude-dir=modules '$MARKER' state"
check "no guest file name anywhere in the state directory" bash -c \
    "! find state | grep -q diary && ! grep -rqa --exclude-dir=modules diary-secret-name state"
# The control: the same guest on a plain volume leaves both in the clear.
"$MANTLE" workload create plain --module "sha256:$SEALER" --dir data::/data --restart never \
    -- /data 1 >/dev/null
check "control: a plain volume shows the plaintext" wait_for 5 \
    grep -rqa "$MARKER" state/volumes/plain/data/diary-secret-name.txt
F1=$(fuel vault)
check "metrics: fuel used is positive (${F1:-none})" test "${F1:-0}" -gt 0
more() { F2=$(fuel vault); [ "${F2:-0}" -gt "$F1" ]; }
check "metrics: ... and increases as runs end" wait_for 5 more
echo "     fuel used by vault: $F1, then ${F2:-none}"
"$MANTLE" workload stop vault >/dev/null
stopped() { [ "$("${CURL[@]}" "$URL/v1/workloads/vault" | grep -c '"state": "stopped"')" = 1 ]; }
check "vault stopped" wait_for 5 stopped
N=$(grep -c '^lines=' state/logs/vault.stdout)
"$MANTLE" workload start vault >/dev/null
check "started again: reads back all $N earlier lines" wait_for 5 grep -q "^lines=$N\$" state/logs/vault.stdout
"$MANTLE" workload stop vault >/dev/null
wait_for 5 stopped

# ---- out of fuel: the run reports exactly its budget ---------------------------------
"$MANTLE" workload create burn --module "sha256:$SEALER" --fuel 3000000 --restart never -- burn >/dev/null
exited() { "${CURL[@]}" "$URL/v1/workloads/burn" | grep -q '"state": "exited"'; }
check "burn runs out of fuel and exits" wait_for 5 exited
check "metrics: burn used exactly its budget (3000000)" test "$(fuel burn)" = 3000000
"$MANTLE" workload create idle --module "sha256:$SEALER" --restart never -- /nowhere >/dev/null
idle_done() { "${CURL[@]}" "$URL/v1/workloads/idle" | grep -q '"state": "exited"'; }
wait_for 5 idle_done
check "metrics: a workload without --fuel reports 0" test "$(fuel idle)" = 0

kill -TERM "$PID"
wait "$PID"
check "mantled exits 0" test $? = 0
check "no sanitizer reports" bash -c "! grep -rlE 'AddressSanitizer|LeakSanitizer|runtime error' \
    mantled.log state/logs err.txt"
if [ "$failures" -ne 0 ]; then
    echo "sealed_test: $failures check(s) failed"
    sed 's/^/  mantled: /' mantled.log | tail -30
    exit 1
fi
echo "sealed_test: all checks passed"
