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
. "$(dirname "$0")/swtpm.sh"
rm -rf "$WORK" && mkdir -p "$WORK/state" || exit 1
trap swtpm_stop EXIT
swtpm_start "$WORK/tpmstate" || exit 1

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
swtpm_stop
[ "$failed" -eq 0 ] && echo "tee.tpm: passed"
exit "$failed"
