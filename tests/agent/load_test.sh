#!/usr/bin/env bash
# load_test.sh - bounded load test of an HTTP-triggered workload: wrk over
# loopback HTTPS against /w/web/ of a mantled, the guest (httpd.wasm) in the
# interpreter and then in the AOT tier. Prints requests/s and p99 latency;
# fails when a request fails or nothing gets through.
# SPDX-License-Identifier: Apache-2.0
#
# usage: load_test.sh BUILD_DIR WASM_DIR WORK_DIR WRK [SECONDS]
set -uo pipefail

BUILD=$1
WASM=$2
WORK=$3
WRK=$4
SECS=${5:-2}
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
die() {
    echo "FATAL $1"
    [ -f mantled.log ] && tail -20 mantled.log
    [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null
    exit 1
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
    -out server.pem -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
    2>/dev/null || die "openssl"
TOKEN=load-test-token-0123456789abcdef
echo "load $TOKEN" >tokens
echo "$TOKEN" >token
"$BUILD/mantled" --state-dir "$WORK/state" --listen 127.0.0.1:0 --tls-cert server.pem \
    --tls-key server.key --tokens-file tokens >mantled.log 2>&1 &
PID=$!
for _ in $(seq 100); do
    ADDR=$(sed -n 's/^mantled: serving https:\/\/\([^ ]*\) .*/\1/p' mantled.log)
    [ -n "$ADDR" ] && break
    sleep 0.05
done
[ -n "$ADDR" ] || die "mantled did not start"
export MANTLE_AGENT=https://$ADDR MANTLE_AGENT_CACERT=$WORK/server.pem MANTLE_AGENT_TOKEN_FILE=$WORK/token

failures=0
for tier in interp aot; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$BUILD/mantle" workload create web-$tier --module "$WASM/httpd.wasm" --tier $tier \
        --listen 127.0.0.1:$port --http-route --http-concurrency 64 --restart always \
        >/dev/null || die "create web-$tier"
    # The AOT tier compiles on first start (into state/cache): wait for it.
    for _ in $(seq 600); do
        grep -q serving "state/logs/web-$tier.stdout" 2>/dev/null && break
        sleep 0.1
    done
    grep -q serving "state/logs/web-$tier.stdout" || die "web-$tier did not start"
    "$WRK" -t2 -c8 -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" \
        "https://$ADDR/w/web-$tier/" >wrk-$tier.txt 2>&1
    rps=$(awk '/^Requests\/sec/ {print $2}' wrk-$tier.txt)
    p99=$(awk '$1 == "99%" {print $2}' wrk-$tier.txt)
    total=$(awk '/requests in/ {print $1}' wrk-$tier.txt)
    bad=$(awk '/Non-2xx or 3xx responses/ {print $NF}' wrk-$tier.txt)
    errs=$(awk '/Socket errors/ {print}' wrk-$tier.txt)
    printf 'load %-6s: %s requests in %ss, %s requests/s, p99 %s%s%s\n' "$tier" \
        "${total:-0}" "$SECS" "${rps:-0}" "${p99:-?}" "${bad:+, non-2xx $bad}" "${errs:+, $errs}"
    if [ -z "$total" ] || [ "$total" -lt 10 ] || [ -n "$bad" ]; then
        echo "FAIL load $tier"
        cat wrk-$tier.txt
        failures=$((failures + 1))
    fi
done
kill -TERM "$PID"
wait "$PID" || failures=$((failures + 1))
[ "$failures" -eq 0 ] || exit 1
echo "load_test: passed"
