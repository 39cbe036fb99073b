/* kbs.h - internals of the key broker (broker.c), its client side
 * (kbs_client.c) and JWE (jwe.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_KBS_H
#define MANTLE_KBS_H

#include <jansson.h>
#include <openssl/evp.h>

#include "verify/av.h"

#define KBS_PROTOCOL_VERSION "0.4.0"
#define KBS_TEE "mantle"            /* the "tee" of Mantle's EAT evidence */
#define KBS_COOKIE "kbs-session-id"
#define KBS_NONCE_BYTES 32
#define JWE_ALG "ECDH-ES+A256KW"    /* Trustee's algorithm for EC keys */
#define JWE_ENC "A256GCM"

/* An EC P-256 public key as a JWK {"kty","crv","x","y"} (new reference). */
json_t *jwe_jwk(EVP_PKEY *key);
/* The key of a P-256 JWK, or NULL. */
EVP_PKEY *jwe_jwk_key(const json_t *jwk);
/* The Concat KDF of RFC 7518 4.6.2 (SHA-256): outn bytes from the shared
 * secret z, AlgorithmID alg and the party infos (NULL, 0 when absent). */
bool jwe_concat_kdf(const uint8_t *z, size_t zn, const char *alg,
                    const uint8_t *apu, size_t apun, const uint8_t *apv,
                    size_t apvn, uint8_t *out, size_t outn);
/* A flattened JWE of pt to recipient (ECDH-ES+A256KW, A256GCM); malloc'd
 * JSON. */
char *jwe_seal(EVP_PKEY *recipient, const uint8_t *pt, size_t n);
/* Open a JWE with our private key; plaintext malloc'd. 0, or -1 with why. */
int jwe_open(EVP_PKEY *mine, const char *jwe, size_t len, uint8_t **out,
             size_t *out_len, char *why, size_t cap);

/* A resource path the broker serves: REPO/TYPE/TAG, each segment
 * [A-Za-z0-9._-]+ and not "." or "..", under 256 bytes (broker.c; fleet
 * manifests check their secrets with it too). */
bool kbs_resource_path_ok(const char *p);

/* The report data evidence binds for a KBS attestation, as Trustee: SHA-384
 * of the runtime-data object serialised compactly with sorted keys, then 16
 * zero bytes. */
bool kbs_runtime_digest(const json_t *runtime_data, uint8_t out[64]);

/* ---- Trustee's evidence encodings (trustee.c) ----------------------------- */

#define KBS_SNP_REPORT_BYTES 1184
#define KBS_TRUSTEE_MAX_CERTS 8

/* Evidence decoded from Trustee's JSON: the bytes the family verifier
 * reads, and the certificates it carried (data owned). */
typedef struct kbs_trustee_evidence {
    uint8_t *bytes;
    size_t len;
    mantle_blob certs[KBS_TRUSTEE_MAX_CERTS];
    size_t ncerts;
} kbs_trustee_evidence;

/* The family of a Trustee KBS "tee" value the broker verifies: "snp",
 * "tdx", "sgx". */
bool kbs_trustee_tee(const char *tee, mantle_tee_kind *out);
/* Decode Trustee's primary evidence of that family; an av reason. */
int kbs_trustee_decode(mantle_tee_kind kind, const json_t *evidence,
                       kbs_trustee_evidence *out, av_err *e);
void kbs_trustee_evidence_free(kbs_trustee_evidence *t);
/* Decode and verify: base gives the time, certificates, collateral and
 * root; the evidence must bind report_data (64 bytes, as Trustee pads).
 * MANTLE_OK with claims, or MANTLE_EREFUSED with *why and diag. */
int kbs_trustee_verify(mantle_tee_kind kind, const json_t *evidence,
                       const mantle_verify_input *base,
                       const uint8_t report_data[64], mantle_claims *out,
                       mantle_verify_reason *why, mantle_diag *diag);
/* Standard base64 with padding, as Trustee writes bytes (malloc'd). */
char *kbs_b64_std(const uint8_t *p, size_t n);
/* Platform evidence (an SNP report, a TDX or SGX quote) as Trustee's
 * attester sends it; NULL if the bytes do not fit the family. */
json_t *kbs_trustee_encode(mantle_tee_kind kind, const uint8_t *ev, size_t n);

#endif
