#!/usr/bin/env bash
# cli_verify.sh - `mantle verify`: output and exit status (0 verified and
# accepted, 1 refused with the reason on stderr, 2 usage, 5 I/O).
# SPDX-License-Identifier: Apache-2.0
# usage: cli_verify.sh MANTLE TESTVECTORS WORKDIR
set -u
mantle=$1 tv=$2 work=$3
[ -d "$tv/snp" ] || { echo "no test vectors, skipping"; exit 77; }
rm -rf "$work" && mkdir -p "$work"
. "$(dirname "$0")/testlib.sh"

snp="--format snp --evidence $tv/snp/virtee_report_milan.bin --cert $tv/snp/virtee_vcek_milan.der --cert $tv/snp/ask_ark_milan.pem --time 2025-06-01T00:00:00Z"
run 0 "snp verifies" "$mantle" verify $snp
has out "verified snp evidence"
has out "measurement    7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d"
echo '{"id":"prod","tee":["snp"],"min_tcb":{"snp":[3,0,0,0,0,0,8,115]}}' >"$work/ok.json"
run 0 "snp accepted by policy" "$mantle" verify $snp --policy "$work/ok.json"
has out "verdict: affirming"
echo '{"min_tcb":{"snp":[3,0,0,0,0,0,8,116]}}' >"$work/low.json"
run 1 "snp TCB too low" "$mantle" verify $snp --policy "$work/low.json"
has err "refused by policy (policy: tcb)"
run 1 "snp debug guest refused by policy" "$mantle" verify --format snp \
    --evidence "$tv/snp/gsg_attestation.bin" --cert "$tv/snp/gsg_vcek.der" \
    --cert "$tv/snp/ask_ark_milan.pem" --time 2025-06-01T00:00:00Z --policy "$work/ok.json"
has err "policy: debug"
run 1 "snp wrong VCEK" "$mantle" verify --format snp \
    --evidence "$tv/snp/gsg_attestation.bin" --cert "$tv/snp/trustee_test-vcek.der" \
    --cert "$tv/snp/ask_ark_milan.pem" --time 2025-06-01T00:00:00Z
has err "refused (signature)"
run 1 "snp VLEK expired" "$mantle" verify --format snp \
    --evidence "$tv/snp/trustee_test-vlek-report.bin" --cert "$tv/snp/trustee_test-vlek.der" \
    --cert "$tv/snp/ask_ark_milan_vlek.pem" --time 2026-01-01T00:00:00Z
has err "refused (expired)"
mkdir -p "$work/col"
for f in gtg_sample_tcbInfo_response gtg_sample_qeIdentity_response gtg_tcb_signing_chain.pem gtg_pckcrl gtg_rootcrl.der; do
    cp "$tv/tdx/$f" "$work/col/"
done
run 0 "tdx with collateral" "$mantle" verify --format tdx --evidence "$tv/tdx/trustee_tdx_quote_4.dat" \
    --root "$tv/tdx/trusted_root.pem" --collateral "$work/col" --time 2023-07-01T01:00:00Z
has out "tcb_status     UpToDate"
has out "debug          yes"
run 1 "tdx collateral stale" "$mantle" verify --format tdx --evidence "$tv/tdx/trustee_tdx_quote_4.dat" \
    --collateral "$work/col" --time 2023-08-01T00:00:00Z
has err "refused (crl)"
run 0 "sgx" "$mantle" verify --format sgx --evidence "$tv/sgx/trustee_occlum_quote.dat" --time 2025-06-01T00:00:00Z
run 0 "cca" "$mantle" verify --format cca --evidence "$tv/cca/cca-example-token.cbor" --root "$tv/cca/tastore.json"
run 1 "cca without a CPAK" "$mantle" verify --format cca --evidence "$tv/cca/cca-example-token.cbor"
has err "refused (missing input)"
run 0 "tpm" "$mantle" verify --format tpm --evidence "$tv/tpm/tpm_evidence.json" \
    --report-data a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537bea393ef0e41a18b3569ab678f1497fbc5c120
run 1 "tpm wrong nonce" "$mantle" verify --format tpm --evidence "$tv/tpm/tpm_evidence.json" --report-data 00
has err "refused (report data)"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ear.pem" 2>/dev/null
run 0 "signed EAR" "$mantle" verify $snp --policy "$work/ok.json" --ear-key "$work/ear.pem"
has out "^ear: eyJ"
# Mantle's own evidence, fresh from the soft backend; the device's DICE root
# from `mantle evidence root` (PEM), and another device's root refused.
wat=$(dirname "$0")/../tee/tiny.wat
export MANTLE_STATE_DIR="$work/state-a"
run 0 "mantle attest (soft)" "$mantle" attest --tee=soft "$wat" --nonce 00c0ffee -o "$work/ev.cbor"
run 0 "mantle evidence root" "$mantle" evidence root --tee=soft -o "$work/root.pem"
has_root=$(grep -c "BEGIN PUBLIC KEY" "$work/root.pem")
[ "$has_root" = 1 ] || { echo "FAIL: root.pem is not PEM"; fail=1; }
MANTLE_STATE_DIR="$work/state-b" run 0 "another device's root" "$mantle" evidence root --tee=soft -o "$work/root-b.pem"
unset MANTLE_STATE_DIR
mev="--format mantle --evidence $work/ev.cbor"
run 0 "mantle evidence verifies" "$mantle" verify $mev --root "$work/root.pem" --report-data 00c0ffee
has out "verified mantle evidence"
has out "debug          yes"
run 1 "mantle evidence without a root" "$mantle" verify $mev
has err "refused (missing input)"
run 1 "mantle evidence, another device's root" "$mantle" verify $mev --root "$work/root-b.pem"
has err "refused (chain)"
run 1 "mantle evidence, wrong nonce" "$mantle" verify $mev --root "$work/root.pem" --report-data 00c0ffef
has err "refused (report data)"
echo '{"tee":["mantle"],"debug":false}' >"$work/nodebug.json"
run 1 "mantle soft evidence under a no-debug policy" "$mantle" verify $mev --root "$work/root.pem" --policy "$work/nodebug.json"
has err "refused by policy (policy: debug)"
echo '{"tee":["mantle"],"debug":true}' >"$work/dev.json"
run 0 "mantle soft evidence under a development policy" "$mantle" verify $mev --root "$work/root.pem" --policy "$work/dev.json"
has out "verdict: warning"
head -c 600 "$work/ev.cbor" >"$work/ev-short.cbor"
run 1 "mantle evidence truncated" "$mantle" verify --format mantle --evidence "$work/ev-short.cbor" --root "$work/root.pem"
has err "refused (malformed)"

run 2 "no --format" "$mantle" verify --evidence x
run 2 "bad --format" "$mantle" verify --format sev --evidence x
run 2 "bad --time" "$mantle" verify $snp --time yesterday
run 2 "bad policy" "$mantle" verify $snp --policy "$work/col/gtg_pckcrl"
run 5 "unreadable evidence" "$mantle" verify --format snp --evidence "$work/none"
exit $fail
