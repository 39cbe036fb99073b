#!/usr/bin/env bash
# jwe_interop.sh - the broker's JWE against an independent implementation
# (tests/attest/jwe_interop.mjs on Node's WebCrypto), both ways: node opens
# what jwe_seal wrote; jwe_open opens what node wrote as Trustee's KBS
# writes it. Fails (never skips) without node.
# SPDX-License-Identifier: Apache-2.0
# usage: jwe_interop.sh TEST_ATTEST_JWE WORKDIR
set -eu
jwe=$1 work=$2
command -v node >/dev/null || { echo "FAIL: node not found (scripts/deps.sh)"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
"$jwe" export "$work"
node "$(dirname "$0")/jwe_interop.mjs" "$work"
"$jwe" import "$work"
echo "attest_jwe_interop: passed"
