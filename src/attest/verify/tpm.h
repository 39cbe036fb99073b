/* tpm.h - TPM 2.0 quotes: TPMS_ATTEST, TPMT_SIGNATURE, PCR digest.
 * SPDX-License-Identifier: Apache-2.0
 *
 * TPM 2.0 Library Part 2: TPMS_ATTEST (big-endian; magic 0xff544347,
 * type TPM_ST_ATTEST_QUOTE 0x8018) with TPMS_QUOTE_INFO. Evidence is the
 * Confidential Containers (trustee) JSON form: {"ak_public": base64 SPKI,
 * "tpm_quote": {"message": base64 TPMS_ATTEST, "signature": base64
 * TPMT_SIGNATURE, "pcrs": [hex, PCR 0..n]}}.
 */
#ifndef MANTLE_AV_TPM_H
#define MANTLE_AV_TPM_H

#include "av.h"

enum {
    TPM_GENERATED_VALUE = 0xff544347,
    TPM_ST_ATTEST_QUOTE = 0x8018,
    TPM_ALG_RSASSA = 0x0014,
    TPM_ALG_RSAPSS = 0x0016,
    TPM_ALG_ECDSA = 0x0018,
    TPM_ALG_SHA1 = 0x0004,
    TPM_ALG_SHA256 = 0x000b,
    TPM_ALG_SHA384 = 0x000c,
    TPM_ALG_SHA512 = 0x000d,
    TPM_MAX_PCRS = 24,
};

typedef struct tpm_quote {
    uint32_t magic;
    uint16_t type;
    uint16_t signer_len, extra_len;
    uint8_t qualified_signer[68], extra_data[64];
    uint64_t clock;
    uint32_t reset_count, restart_count;
    uint8_t safe;
    uint64_t firmware_version;
    uint16_t pcr_hash;            /* the one selected bank */
    uint32_t pcr_select;          /* bit i: PCR i */
    uint16_t pcr_digest_len;
    uint8_t pcr_digest[64];
    uint16_t sig_alg, sig_hash;
    uint16_t sig_len;             /* RSA: the signature; ECDSA: r and s */
    uint8_t sig[512];
    uint16_t ecdsa_half;
    uint32_t npcrs;               /* values given in the evidence */
    uint8_t pcrs[TPM_MAX_PCRS][64];
} tpm_quote;

/* Parse TPMS_ATTEST bytes (exactly; TRUNCATED / MALFORMED). */
int tpm_attest_parse(const uint8_t *p, size_t len, tpm_quote *q, av_err *e);
/* Parse TPMT_SIGNATURE bytes into q. */
int tpm_signature_parse(const uint8_t *p, size_t len, tpm_quote *q,
                        av_err *e);
int tpm_verify(const mantle_verify_input *in, tpm_quote *out_quote,
               mantle_claims *out_claims, av_err *e);

#endif
