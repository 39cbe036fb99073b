#!/usr/bin/env bash
# tpm_test.sh - run tee_tpm against a real software TPM: start `swtpm socket`
# on free loopback ports, run the checks, extend PCR 7 with tpm2_pcrextend,
# run the after-checks, stop the TPM. Never skips: without swtpm or
# tpm2-tools the test fails (scripts/deps.sh installs them).
# SPDX-License-Identifier: Apache-2.0
#
# usage: tpm_test.sh TEE_TPM WORKDIR MODULE.wasm
set -u
if [ $# -ne 3 ]; then
    echo "usage: $0 TEE_TPM WORKDIR MODULE.wasm" >&2
    exit 2
fi
TEE_TPM=$1 WORK=$2 MODULE=$3
for tool in swtpm tpm2_pcrextend; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL: $tool not found: install swtpm, swtpm-tools and tpm2-tools" \
             "(scripts/deps.sh)"
        exit 1
    fi
done
rm -rf "$WORK" && mkdir -p "$WORK/tpmstate" "$WORK/state" || exit 1
SWTPM_PID=
stop() {
    if [ -n "$SWTPM_PID" ]; then
        kill "$SWTPM_PID" 2>/dev/null
        wait "$SWTPM_PID" 2>/dev/null
        SWTPM_PID=
    fi
}
trap stop EXIT

# free_port: a TCP port nobody listens on, with the next one free too
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
started=0
for attempt in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 40000))
    port_free "$PORT" && port_free $((PORT + 1)) || continue
    swtpm socket --tpm2 --tpmstate dir="$WORK/tpmstate" \
        --server type=tcp,port="$PORT",bindaddr=127.0.0.1 \
        --ctrl type=tcp,port=$((PORT + 1)),bindaddr=127.0.0.1 \
        --flags not-need-init,startup-clear >"$WORK/swtpm.log" 2>&1 &
    SWTPM_PID=$!
    for _ in $(seq 50); do
        if ! kill -0 "$SWTPM_PID" 2>/dev/null; then break; fi
        if ! port_free "$PORT"; then started=1; break; fi
        sleep 0.1
    done
    [ "$started" -eq 1 ] && break
    stop
done
if [ "$started" -ne 1 ]; then
    echo "FAIL: swtpm did not start:"; sed 's/^/    | /' "$WORK/swtpm.log"
    exit 1
fi
TCTI="swtpm:host=127.0.0.1,port=$PORT"
echo "swtpm on 127.0.0.1:$PORT (pid $SWTPM_PID)"

failed=0
"$TEE_TPM" "$TCTI" "$WORK/state" "$MODULE" "$WORK/counter" before || failed=1
# change the PCR the root is sealed to, as a different boot chain would
if ! TPM2TOOLS_TCTI="$TCTI" tpm2_pcrextend \
        7:sha256=0101010101010101010101010101010101010101010101010101010101010101 \
        >"$WORK/pcrextend.log" 2>&1; then
    echo "FAIL: tpm2_pcrextend:"; sed 's/^/    | /' "$WORK/pcrextend.log"
    failed=1
fi
"$TEE_TPM" "$TCTI" "$WORK/state" "$MODULE" "$WORK/counter" after || failed=1
stop
[ "$failed" -eq 0 ] && echo "tee.tpm: passed"
exit "$failed"
