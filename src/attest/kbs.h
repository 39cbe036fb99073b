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

/* The report data evidence binds for a KBS attestation, as Trustee: SHA-384
 * of the runtime-data object serialised compactly with sorted keys, then 16
 * zero bytes. */
bool kbs_runtime_digest(const json_t *runtime_data, uint8_t out[64]);

#endif
