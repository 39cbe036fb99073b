#!/usr/bin/env bash
# tpm_test.sh - node TEE facts on the TPM backend: start a swtpm on
# loopback (tests/tee/swtpm.sh), run test_fleet_tpm against it, stop it.
# Never skips: without swtpm the test fails (scripts/deps.sh installs it).
# SPDX-License-Identifier: Apache-2.0
#
# usage: tpm_test.sh TEST_FLEET_TPM WORKDIR SWTPM_SH
set -u
if [ $# -ne 3 ]; then
    echo "usage: $0 TEST_FLEET_TPM WORKDIR SWTPM_SH" >&2
    exit 2
fi
TEST=$1 WORK=$2
. "$3"
rm -rf "$WORK" && mkdir -p "$WORK/state" || exit 1
trap swtpm_stop EXIT
swtpm_start "$WORK/tpmstate" || exit 1
"$TEST" "$TCTI" "$WORK/state"
