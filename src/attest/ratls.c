/* ratls.c - attested TLS: X.509 certificates that carry Mantle evidence
 * bound to their own key, and their verification.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The certificate is self-signed by a fresh P-256 key. Its extension
 * 2.23.133.5.4.9 (TCG DICE tcg-dice-conceptual-message-wrapper, as used by
 * interoperable RA-TLS) holds a CBOR CMW record (draft-ietf-rats-msg-wrap)
 * [media type, evidence], the evidence being Mantle's EAT whose nonce is
 * SHA-512 of the certificate's SubjectPublicKeyInfo (DER): the TEE vouches
 * for the very key the TLS handshake proves possession of.
 *
 * Freshness: a certificate made for one connection binds the verifier's
 * nonce too, SHA-512(SPKI || nonce) (the `nonce` claim of interoperable
 * RA-TLS, pre-session freshness); without one, the verifier bounds the
 * evidence's age (iat) and the certificate's validity window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "attest/verify/av_cbor.h"
#include "tee/tee_cbor.h"

#define RATLS_OID "2.23.133.5.4.9"
#define RATLS_MEDIA_TYPE \
    "application/eat+cwt; eat_profile=\"tag:mantle.dev,2025:eat-v1\""

enum { NONCE_MIN = 8, NONCE_MAX = 64 };

/* SHA-512 of the key's SubjectPublicKeyInfo, then of the verifier's nonce
 * if any: the evidence's nonce. */
static bool key_nonce(X509_PUBKEY *xpk, EVP_PKEY *key, const uint8_t *nonce,
                      size_t nonce_len, uint8_t out[64])
{
    unsigned char *der = NULL;
    int n = xpk ? i2d_X509_PUBKEY(xpk, &der) : i2d_PUBKEY(key, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = n > 0 && md && EVP_DigestInit_ex(md, EVP_sha512(), NULL) == 1 &&
              EVP_DigestUpdate(md, der, (size_t)n) == 1 &&
              (!nonce_len || EVP_DigestUpdate(md, nonce, nonce_len) == 1) &&
              EVP_DigestFinal_ex(md, out, NULL) == 1;

    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok;
}

static char *pem_of(int (*write)(BIO *, void *), void *obj)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *p, *s = NULL;
    long n;

    if (bio && write(bio, obj) == 1 && (n = BIO_get_mem_data(bio, &p)) > 0 &&
        (s = malloc((size_t)n + 1))) {
        memcpy(s, p, (size_t)n);
        s[n] = '\0';
    }
    BIO_free(bio);
    return s;
}

static int write_cert(BIO *b, void *x)
{
    return PEM_write_bio_X509(b, x);
}

static int write_key(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

int mantle_ratls_certificate(mantle_tee *tee, const mantle_module *module,
                             const mantle_tee_launch *launch,
                             char **out_cert_pem, char **out_key_pem,
                             mantle_diag *diag)
{
    return mantle_ratls_certificate_fresh(tee, module, launch, NULL, 0,
                                          out_cert_pem, out_key_pem, diag);
}

int mantle_ratls_certificate_fresh(mantle_tee *tee, const mantle_module *module,
                                   const mantle_tee_launch *launch,
                                   const uint8_t *nonce, size_t nonce_len,
                                   char **out_cert_pem, char **out_key_pem,
                                   mantle_diag *diag)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    X509_EXTENSION *ext = NULL;
    ASN1_OBJECT *obj = OBJ_txt2obj(RATLS_OID, 1);
    ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new();
    cbor_item_t *cmw = cbor_new_definite_array(2);
    uint8_t binding[64], *ev = NULL, *cmwb = NULL, serial[16];
    size_t evn = 0, cmwn = 0;
    BIGNUM *bn = NULL;
    int rc;

    if (nonce_len && (!nonce || nonce_len < NONCE_MIN ||
                      nonce_len > NONCE_MAX)) {
        rc = av_diag(diag, MANTLE_EINVAL, "ratls: a nonce of %zu bytes (want "
                     "%d to %d)", nonce_len, NONCE_MIN, NONCE_MAX);
        goto out;
    }
    if (!key || !x || !obj || !data || !cmw ||
        !key_nonce(NULL, key, nonce, nonce_len, binding)) {
        rc = av_diag(diag, MANTLE_ENOMEM, "ratls: out of memory");
        goto out;
    }
    if ((rc = mantle_tee_evidence(tee, module, launch, binding, &ev, &evn,
                                  diag)) != MANTLE_OK)
        goto out;
    if (!tee_cbor_push(cmw, cbor_build_string(RATLS_MEDIA_TYPE)) ||
        !tee_cbor_push(cmw, tee_cbor_bytes(ev, evn)) ||
        tee_cbor_serialize(cmw, &cmwb, &cmwn) != 0 ||
        !ASN1_OCTET_STRING_set(data, cmwb, (int)cmwn) ||
        !(ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, data))) {
        rc = av_diag(diag, MANTLE_ENOMEM, "ratls: evidence extension");
        goto out;
    }
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    name = X509_get_subject_name(x);
    if (X509_set_version(x, X509_VERSION_3) != 1 ||
        !(bn = BN_bin2bn(serial, sizeof serial, NULL)) ||
        !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)"mantle RA-TLS", -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
        X509_add_ext(x, ext, -1) != 1 || X509_sign(x, key, EVP_sha256()) <= 0 ||
        !(*out_cert_pem = pem_of(write_cert, x))) {
        rc = av_diag(diag, MANTLE_ENOMEM, "ratls: certificate");
        goto out;
    }
    if (!(*out_key_pem = pem_of(write_key, key))) {
        free(*out_cert_pem);
        rc = av_diag(diag, MANTLE_ENOMEM, "ratls: key");
        goto out;
    }
    rc = MANTLE_OK;
out:
    BN_free(bn);
    if (cmw)
        cbor_decref(&cmw);
    free(cmwb);
    mantle_tee_evidence_free(ev);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
    X509_EXTENSION_free(ext);
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return rc;
}

int mantle_ratls_verify(const uint8_t *cert, size_t len,
                        const mantle_blob *root, int64_t time,
                        mantle_claims *out_claims,
                        mantle_verify_reason *out_reason, mantle_diag *diag)
{
    return mantle_ratls_verify_fresh(cert, len, root, time, NULL, 0, 0,
                                     out_claims, out_reason, diag);
}

/* notBefore <= time <= notAfter, or why not. */
static int validity(X509 *x, int64_t time, mantle_verify_reason *out_reason,
                    mantle_diag *diag)
{
    const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
    time_t t = (time_t)time;
    char when[64] = "?";
    BIO *b;
    int before = nb ? X509_cmp_time(nb, &t) : 0;
    int after = na ? X509_cmp_time(na, &t) : 0;

    if (before < 0 && after > 0)
        return MANTLE_OK;
    if ((b = BIO_new(BIO_s_mem()))) {
        int n;
        if (before != 0 && ASN1_TIME_print(b, before >= 0 ? nb : na) == 1 &&
            (n = BIO_read(b, when, sizeof when - 1)) > 0)
            when[n] = '\0';
        BIO_free(b);
    }
    if (out_reason)
        *out_reason = MANTLE_VERIFY_EXPIRED;
    if (before == 0 || after == 0)
        return av_diag(diag, MANTLE_EREFUSED, "ratls: the certificate's "
                       "validity dates do not parse");
    return av_diag(diag, MANTLE_EREFUSED, before >= 0
                   ? "ratls: the certificate is not valid before %s (the "
                     "verification time is %lld)"
                   : "ratls: the certificate expired at %s (the "
                     "verification time is %lld)",
                   when, (long long)time);
}

int mantle_ratls_verify_fresh(const uint8_t *cert, size_t len,
                              const mantle_blob *root, int64_t time,
                              const uint8_t *nonce, size_t nonce_len,
                              int64_t max_age, mantle_claims *out_claims,
                              mantle_verify_reason *out_reason,
                              mantle_diag *diag)
{
    STACK_OF(X509) *sk = NULL;
    X509 *x;
    const ASN1_OCTET_STRING *ext;
    cbor_item_t *cmw = NULL, *type, *ev;
    mantle_verify_input in;
    EVP_PKEY *k;
    uint8_t binding[64], keyonly[64];
    mantle_claims claims;
    mantle_verify_reason why = MANTLE_VERIFY_OK;
    int rc;

    if (out_reason)
        *out_reason = MANTLE_VERIFY_MALFORMED;
    if (nonce_len && (!nonce || nonce_len < NONCE_MIN || nonce_len > NONCE_MAX))
        return av_diag(diag, MANTLE_EINVAL, "ratls: a nonce of %zu bytes "
                       "(want %d to %d)", nonce_len, NONCE_MIN, NONCE_MAX);
    if (!cert || av_certs_load(cert, len, &sk) < 1) {
        sk_X509_pop_free(sk, X509_free);
        return av_diag(diag, MANTLE_EREFUSED, "ratls: not an X.509 certificate");
    }
    x = sk_X509_value(sk, 0);
    k = X509_get0_pubkey(x);
    if (!k || X509_verify(x, k) != 1) {
        if (out_reason)
            *out_reason = MANTLE_VERIFY_SIGNATURE;
        rc = av_diag(diag, MANTLE_EREFUSED, "ratls: the certificate is not "
                  "self-signed by its key");
        goto out;
    }
    if ((rc = validity(x, time, out_reason, diag)) != MANTLE_OK)
        goto out;
    if (!(ext = av_ext_data(x, RATLS_OID))) {
        if (out_reason)
            *out_reason = MANTLE_VERIFY_MISSING;
        rc = av_diag(diag, MANTLE_EREFUSED, "ratls: no evidence extension "
                  RATLS_OID " in the certificate");
        goto out;
    }
    cmw = av_cbor_load(ASN1_STRING_get0_data(ext),
                       (size_t)ASN1_STRING_length(ext));
    if (!cmw || !cbor_isa_array(cmw) || cbor_array_size(cmw) != 2 ||
        !(type = cbor_array_handle(cmw)[0]) || !cbor_isa_string(type) ||
        !cbor_string_is_definite(type) ||
        cbor_string_length(type) != strlen(RATLS_MEDIA_TYPE) ||
        memcmp(cbor_string_handle(type), RATLS_MEDIA_TYPE,
               strlen(RATLS_MEDIA_TYPE)) != 0 ||
        !av_cbor_is_bytes(ev = cbor_array_handle(cmw)[1])) {
        rc = av_diag(diag, MANTLE_EREFUSED, "ratls: the extension is not a CMW "
                  "record [\"" RATLS_MEDIA_TYPE "\", evidence]");
        goto out;
    }
    if (!key_nonce(X509_get_X509_PUBKEY(x), NULL, nonce, nonce_len,
                   binding) ||
        !key_nonce(X509_get_X509_PUBKEY(x), NULL, NULL, 0, keyonly)) {
        rc = av_diag(diag, MANTLE_ENOMEM, "ratls: hashing the key");
        goto out;
    }
    memset(&in, 0, sizeof in);
    in.format = MANTLE_TEE_MANTLE;
    in.evidence = (mantle_blob){cbor_bytestring_handle(ev),
                                cbor_bytestring_length(ev),
                                "certificate evidence"};
    if (root)
        in.root = *root;
    in.time = time;
    in.report_data = binding;  /* binds the TLS key (and our nonce) */
    in.report_data_len = sizeof binding;
    rc = mantle_verify(&in, &claims, &why, diag);
    if (out_reason)
        *out_reason = why;
    if (rc == MANTLE_EREFUSED && why == MANTLE_VERIFY_REPORT_DATA && nonce_len) {
        /* Say which freshness failed: a certificate made before (or for
         * another) connection, replayed by a server that holds its key. */
        in.report_data = keyonly;
        rc = mantle_verify(&in, &claims, &why, NULL) == MANTLE_OK
                 ? av_diag(diag, MANTLE_EREFUSED, "ratls: not fresh: the "
                           "certificate's evidence binds its key but not this "
                           "connection's nonce (a certificate made before "
                           "the connection, replayed, or a server that does "
                           "not answer the nonce extension)")
                 : av_diag(diag, MANTLE_EREFUSED, "ratls: not fresh: the "
                           "certificate's evidence binds neither this "
                           "connection's nonce nor its key alone (made for "
                           "another connection)");
        goto out;
    }
    if (rc != MANTLE_OK)
        goto out;
    if (max_age > 0 && (claims.issued_at == 0 ||
                        time - claims.issued_at > max_age)) {
        if (out_reason)
            *out_reason = claims.issued_at ? MANTLE_VERIFY_EXPIRED
                                           : MANTLE_VERIFY_MISSING;
        rc = claims.issued_at
                 ? av_diag(diag, MANTLE_EREFUSED, "ratls: the evidence was "
                           "issued at %lld, %lld s before the verification "
                           "time: older than the maximum age of %lld s",
                           (long long)claims.issued_at,
                           (long long)(time - claims.issued_at),
                           (long long)max_age)
                 : av_diag(diag, MANTLE_EREFUSED, "ratls: the evidence has "
                           "no issue time to check its age against");
        goto out;
    }
    *out_claims = claims;
out:
    if (cmw)
        cbor_decref(&cmw);
    sk_X509_pop_free(sk, X509_free);
    ERR_clear_error();
    return rc;
}
