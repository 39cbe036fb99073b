/* av.h - internals shared by the evidence verifiers in src/attest/verify/.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every verifier is a pure function: bytes, trust anchors and a time in,
 * claims or a reason out. No network, no clock, no globals. Crypto, X.509,
 * CBOR and JSON go through OpenSSL 3, libcbor and jansson; only fixed-layout
 * binary structures (SNP report, DCAP quotes, TPMS_ATTEST) are read here,
 * field by field, with explicit bounds checks.
 *
 * Map: failure reporting - byte readers - digests and hex - time - keys and
 *      signatures - certificates, chains and CRLs - per-family entry points
 */
#ifndef MANTLE_AV_H
#define MANTLE_AV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mantle.h"

/* ---- Failure reporting ------------------------------------------------ */

/* Why a verifier refused, in words: "<what>: <why>", one line. */
typedef struct av_err {
    mantle_verify_reason reason;
    char message[480];
} av_err;

/* Record a refusal and return `reason` (so `return av_fail(...)` reads). */
int av_fail(av_err *e, mantle_verify_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fill diag (may be NULL) with status and a printf message, clear
 * OpenSSL's error queue, and return status: for the calls outside the
 * verifiers (policies, EAR, broker, RA-TLS) that report through a diag. */
int av_diag(mantle_diag *diag, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Byte readers (little- and big-endian, caller checked the bounds) -- */

static inline uint16_t av_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t av_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t av_le64(const uint8_t *p)
{
    return (uint64_t)av_le32(p) | (uint64_t)av_le32(p + 4) << 32;
}
static inline uint16_t av_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t av_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}
static inline uint64_t av_be64(const uint8_t *p)
{
    return (uint64_t)av_be32(p) << 32 | av_be32(p + 4);
}

/* ---- Digests and hex --------------------------------------------------- */

/* out receives EVP_MD_get_size(md) bytes; false only on an OpenSSL error. */
bool av_digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void av_hex(const uint8_t *p, size_t n, char *out);
/* Decode exactly n bytes of hex (either case) from s; false otherwise. */
bool av_unhex(const char *s, uint8_t *out, size_t n);
bool av_is_zero(const uint8_t *p, size_t n);
/* Base64 (standard or URL alphabet, padding optional) into *out (malloc). */
bool av_base64(const char *s, size_t len, uint8_t **out, size_t *out_len);

/* base64url without padding, a new string (malloc); NULL on failure. */
char *av_b64url(const uint8_t *p, size_t n);

/* ---- Time -------------------------------------------------------------- */

/* RFC 3339 ("2025-06-01T00:00:00Z", fractions and offsets allowed). */
bool av_time_parse(const char *s, int64_t *out);

/* ---- Keys and signatures ------------------------------------------------ */

/* An EC public key from an uncompressed point (x || y, each n bytes) on
 * the curve named ("P-256", "P-384"); NULL if not a point on it. */
EVP_PKEY *av_ec_key(const char *curve, const uint8_t *xy, size_t n);
/* Verify a raw r || s ECDSA signature (each `half` bytes, big-endian) over
 * data with digest md. 1 verified, 0 not, -1 key unusable. */
int av_ecdsa_verify_rs(EVP_PKEY *key, const EVP_MD *md, const void *data,
                       size_t len, const uint8_t *rs, size_t half);
/* Verify a DER-encoded or RSA signature with the key's default padding. */
int av_sig_verify(EVP_PKEY *key, const EVP_MD *md, const void *data,
                  size_t len, const uint8_t *sig, size_t siglen);

/* ---- Certificates, chains and CRLs ------------------------------------ */

/* Append every certificate in buf (PEM, several; or one DER) to *sk,
 * creating it if NULL. Returns the number added (0: none parsed). */
int av_certs_load(const uint8_t *buf, size_t len, STACK_OF(X509) **sk);
/* Append every CRL in buf (PEM, several; or one DER). */
int av_crls_load(const uint8_t *buf, size_t len, STACK_OF(X509_CRL) **sk);
/* A public key: PEM/DER SubjectPublicKeyInfo, or a certificate's key. */
EVP_PKEY *av_pubkey_load(const uint8_t *buf, size_t len);
bool av_is_self_signed(X509 *x);
/* SHA-256 of the certificate's DER. */
bool av_cert_fingerprint(X509 *x, uint8_t out[32]);
/* Verify leaf -> untrusted... -> one of roots at time t, with CRL checks
 * of every certificate when crls is non-NULL. `what` names the chain in
 * messages. Reasons: CHAIN, EXPIRED, REVOKED, CRL. */
int av_chain_verify(X509 *leaf, STACK_OF(X509) *untrusted,
                    STACK_OF(X509) *roots, STACK_OF(X509_CRL) *crls,
                    int64_t t, const char *what, av_err *e);
/* The trust anchors for a chain: the caller's root blob if given, or else
 * the self-signed certificates in `pool` whose fingerprint is one of the
 * `pins` (n of them). MISSING if neither. */
int av_roots(const mantle_blob *root, STACK_OF(X509) *pool,
             const uint8_t (*pins)[32], size_t npins, const char *vendor,
             STACK_OF(X509) **out_roots, av_err *e);
/* The raw DER contents of extension `oid` (dotted), or NULL. */
const ASN1_OCTET_STRING *av_ext_data(X509 *x, const char *oid);
/* The subject's commonName into out (cap bytes); false if absent. */
bool av_cert_cn(X509 *x, char *out, size_t cap);

/* ---- Claims ------------------------------------------------------------- */

void av_claims_init(mantle_claims *c, mantle_tee_kind tee);
/* Append a named measurement (truncated to 64 bytes). */
void av_claims_add(mantle_claims *c, const char *name, const uint8_t *v,
                   size_t len);
/* The expected-report-data check shared by every family: in->report_data
 * must equal the claim's first bytes, and the rest of the claim be zero. */
int av_check_report_data(const mantle_verify_input *in,
                         const mantle_claims *c, av_err *e);

/* ---- Per-family entry points (claims written only on success) ----------- */

int av_verify_snp(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e);
int av_verify_tdx(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e);
int av_verify_sgx(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e);
int av_verify_cca(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e);
int av_verify_tpm(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e);
int av_verify_mantle(const mantle_verify_input *in, mantle_claims *out,
                     av_err *e);

#endif
