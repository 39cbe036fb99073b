#!/usr/bin/env bash
# tpm_test.sh - run tee_tpm against a real software TPM: start `swtpm socket`
# on free loopback ports, run the checks, extend PCR 7 with tpm2_pcrextend,
# run the after-checks, stop the TPM. Never skips: without swtpm or
# tpm2-tools the test fails (scripts/deps.sh installs them).
# SPDX-License-Identifier: Apache-2.0
#
# With MANTLE and SECRET_GUEST.wasm, also the key broker end to end on the
# TPM: `mantle broker serve --evidence-cert AK` (the AK tee_tpm wrote) on
# loopback releases a secret to `mantle run --tee=tpm:... --broker`, and
# the same broker without the AK refuses it.
#
# usage: tpm_test.sh TEE_TPM WORKDIR MODULE.wasm [MANTLE SECRET_GUEST.wasm]
set -u
if [ $# -ne 3 ] && [ $# -ne 5 ]; then
    echo "usage: $0 TEE_TPM WORKDIR MODULE.wasm [MANTLE SECRET_GUEST.wasm]" >&2
    exit 2
fi
TEE_TPM=$1 WORK=$2 MODULE=$3 MANTLE=${4:-} GUEST=${5:-}
. "$(dirname "$0")/swtpm.sh"
rm -rf "$WORK" && mkdir -p "$WORK/state" || exit 1
BROKER_PID=
stop() {
    if [ -n "$BROKER_PID" ]; then
        kill "$BROKER_PID" 2>/dev/null
        wait "$BROKER_PID" 2>/dev/null
        BROKER_PID=
    fi
    swtpm_stop
}
trap stop EXIT
swtpm_start "$WORK/tpmstate" || exit 1

failed=0
"$TEE_TPM" "$TCTI" "$WORK/state" "$MODULE" "$WORK/counter" before || failed=1

# broker_round WITH_AK EXPECTED-STATUS: serve, run the guest, stop.
broker_round() {
    local work="$WORK/broker" port= args=()
    [ "$1" = with ] && args=(--evidence-cert "$WORK/counter.ak.der")
    [ "$1" = with ] || args=(--root "$work/cert.pem")  # not this device's
    "$MANTLE" broker serve --db "$work/kbs.db" "${args[@]}" \
        --listen 127.0.0.1:0 --cert "$work/cert.pem" --key "$work/key.pem" \
        >"$work/serve.out" 2>"$work/serve.err" &
    BROKER_PID=$!
    for _ in $(seq 100); do
        grep -q "^listening on" "$work/serve.out" 2>/dev/null && break
        kill -0 "$BROKER_PID" 2>/dev/null || break
        sleep 0.1
    done
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/serve.out")
    if [ -z "$port" ]; then
        echo "FAIL: the broker did not start:"; sed 's/^/    | /' "$work/serve.err"
        failed=1
    else
        MANTLE_STATE_DIR="$WORK/state" "$MANTLE" run --tee="tpm:$TCTI" \
            --broker "https://127.0.0.1:$port" --broker-ca "$work/cert.pem" \
            --secret db=kbs:///app/key/tpm "$GUEST" >"$work/run.out" 2>"$work/run.err"
        local st=$?
        if [ "$st" != "$2" ]; then
            echo "FAIL: broker round $1 the AK: run exit $st, expected $2"
            sed 's/^/    | /' "$work/run.out" "$work/run.err"
            failed=1
        elif [ "$2" = 0 ] && ! grep -q "tpm-bound secret" "$work/run.out"; then
            echo "FAIL: the guest did not print its secret"; failed=1
        elif [ "$2" != 0 ] && ! grep -q "refused (missing input)" "$work/run.err"; then
            echo "FAIL: no refusal reason"; cat "$work/run.err"; failed=1
        else
            echo "ok   broker round $1 the AK (exit $st)"
        fi
    fi
    kill "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
    BROKER_PID=
}
if [ -n "$MANTLE" ]; then
    mkdir -p "$WORK/broker"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$WORK/broker/key.pem" -out "$WORK/broker/cert.pem" 2>/dev/null ||
        { echo "FAIL: openssl cannot make a certificate"; failed=1; }
    printf 'tpm-bound secret' >"$WORK/broker/secret"
    echo '{"tee":["tpm"],"debug":false}' >"$WORK/broker/tpm.json"
    "$MANTLE" broker put --db "$WORK/broker/kbs.db" app/key/tpm \
        --value @"$WORK/broker/secret" --policy "$WORK/broker/tpm.json" || failed=1
    broker_round with 0
    broker_round without 1
fi
# change the PCR the root is sealed to, as a different boot chain would
if ! TPM2TOOLS_TCTI="$TCTI" tpm2_pcrextend \
        7:sha256=0101010101010101010101010101010101010101010101010101010101010101 \
        >"$WORK/pcrextend.log" 2>&1; then
    echo "FAIL: tpm2_pcrextend:"; sed 's/^/    | /' "$WORK/pcrextend.log"
    failed=1
fi
"$TEE_TPM" "$TCTI" "$WORK/state" "$MODULE" "$WORK/counter" after || failed=1
swtpm_stop
[ "$failed" -eq 0 ] && echo "tee.tpm: passed"
exit "$failed"
