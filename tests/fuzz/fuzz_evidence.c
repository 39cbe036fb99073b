/* fuzz_evidence.c - libFuzzer targets for the evidence parsers and
 * verifiers, one binary per format (FUZZ_FORMAT, see CMakeLists.txt).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each input goes to the format's parser and then through mantle_verify
 * with no certificates (so the parse and the checks that need no trust
 * anchor run). FUZZ_FORMAT 0 fuzzes the policy JSON parser instead.
 * Refusals are expected; crashes, sanitizer reports and hangs are bugs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cca.h"
#include "sgx.h"
#include "snp.h"
#include "tdx.h"
#include "tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mantle_verify_input in;
    mantle_claims claims;
    mantle_verify_reason reason;
    mantle_diag diag;
    av_err e;

    switch (FUZZ_FORMAT) {
    case 0: {
        mantle_policy *p = NULL;
        if (mantle_policy_new((const char *)data, size, &p, &diag) ==
            MANTLE_OK) {
            memset(&claims, 0, sizeof claims);
            mantle_appraisal a;
            mantle_policy_appraise(p, &claims, &a);
            mantle_policy_free(p);
        }
        return 0;
    }
    case MANTLE_TEE_SNP: {
        snp_report r;
        (void)snp_report_parse(data, size, &r, &e);
        break;
    }
    case MANTLE_TEE_TDX: {
        tdx_quote q;
        (void)tdx_quote_parse(data, size, &q, &e);
        break;
    }
    case MANTLE_TEE_SGX: {
        sgx_quote q;
        (void)sgx_quote_parse(data, size, &q, &e);
        break;
    }
    case MANTLE_TEE_CCA: {
        cca_token *t = malloc(sizeof *t);
        if (t != NULL)
            (void)cca_token_parse(data, size, t, &e);
        free(t);
        break;
    }
    case MANTLE_TEE_TPM: {
        tpm_quote *q = calloc(1, sizeof *q);
        if (q != NULL) {
            (void)tpm_attest_parse(data, size, q, &e);
            (void)tpm_signature_parse(data, size, q, &e);
        }
        free(q);
        break;
    }
    default: /* mantle: mantle_verify below is the whole parser */
        break;
    }
    memset(&in, 0, sizeof in);
    if (FUZZ_FORMAT == MANTLE_TEE_MANTLE) {
        /* The seeds' DICE root (tests/fuzz/corpus-mantle), as a COSE_Key,
         * so inputs that keep a valid chain reach the root comparison. */
        static const uint8_t root[] = {
            0xa5, 0x01, 0x01, 0x03, 0x27, 0x04, 0x81, 0x02, 0x20, 0x06, 0x21,
            0x58, 0x20, 0x00, 0x53, 0xe1, 0xbc, 0xc8, 0xbe, 0x9e, 0x27, 0xcc,
            0xfc, 0xcd, 0x9e, 0x6f, 0x61, 0x7b, 0xa2, 0xdc, 0x64, 0xa3, 0xd7,
            0x91, 0x1d, 0x5c, 0x44, 0xf8, 0x32, 0x97, 0x04, 0xc4, 0x1d, 0x9c,
            0xde};
        in.root = (mantle_blob){root, sizeof root, "root"};
    }
    in.format = (mantle_tee_kind)FUZZ_FORMAT;
    in.evidence.data = data;
    in.evidence.len = size;
    in.time = FUZZ_FORMAT == MANTLE_TEE_MANTLE ? 1900000000 /* 2030 */
                                               : 1780272000; /* 2026-06-01 */
    (void)mantle_verify(&in, &claims, &reason, &diag);
    return 0;
}
