/* cca.h - Arm CCA attestation tokens (platform + realm).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Arm CCA Security Model / RMM specification: a CBOR tag-399 map
 * {44234: platform token, 44241: realm token}; each a byte string holding
 * a tag-18 COSE_Sign1 (RFC 9052). The realm token is signed by the RAK it
 * carries (claim 44237); the platform token by the CPAK; the platform
 * challenge (claim 10) is the hash of the RAK named by claim 44240.
 */
#ifndef MANTLE_AV_CCA_H
#define MANTLE_AV_CCA_H

#include "av.h"

enum { CCA_MAX_SW = 32 };

typedef struct cca_sw_component {
    char type[32];
    uint32_t measurement_len, signer_len;
    uint8_t measurement[64], signer_id[64];
} cca_sw_component;

typedef struct cca_token {
    /* platform */
    char profile[64];
    uint32_t challenge_len;
    uint8_t challenge[64];
    uint32_t implementation_id_len, instance_id_len, config_len;
    uint8_t implementation_id[64], instance_id[64], config[64];
    uint64_t lifecycle;
    char platform_hash_algo[16], verification_service[128];
    uint32_t nsw;
    cca_sw_component sw[CCA_MAX_SW];
    /* realm */
    uint32_t realm_challenge_len, personalization_len, rim_len, rak_len;
    uint8_t realm_challenge[64], personalization[64], rim[64], rak[133];
    uint8_t rem[4][64];
    uint32_t rem_len[4];
    char hash_algo[16], rak_hash_algo[16];
} cca_token;

/* Decode the collection and both COSE_Sign1 structures and their claims
 * (no signature checked). */
int cca_token_parse(const uint8_t *buf, size_t len, cca_token *out,
                    av_err *e);
/* challenge == H(rak), H named by alg ("sha-256", "sha-384", "sha-512"). */
int cca_check_binding(const uint8_t *challenge, size_t challenge_len,
                      const uint8_t *rak, size_t rak_len, const char *alg,
                      av_err *e);
int cca_verify(const mantle_verify_input *in, cca_token *out_token,
               mantle_claims *out_claims, av_err *e);

#endif
