/* jwe.c - JWE (RFC 7516) with ECDH-ES key agreement and A256GCM content
 * encryption (RFC 7518 4.6, 5.3), and EC P-256 JWKs, through OpenSSL 3.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The key broker encrypts a resource to the TEE's ephemeral key from its
 * attestation; the client opens it. Flattened JSON serialization, as the
 * Confidential Containers KBS returns it: {"protected", "encrypted_key"
 * (empty: direct agreement), "iv", "ciphertext", "tag"}. The content key is
 * the Concat KDF (NIST SP 800-56A, OpenSSL's SSKDF with SHA-256) of the
 * shared secret with AlgorithmID "A256GCM" and empty party infos.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "attest/kbs.h"

/* ---- JWKs ------------------------------------------------------------- */

json_t *jwe_jwk(EVP_PKEY *key)
{
    uint8_t pt[65];
    size_t n = 0;
    char *x, *y;
    json_t *j = NULL;

    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                        sizeof pt, &n) != 1 ||
        n != 65 || pt[0] != 0x04) {
        ERR_clear_error();
        return NULL;
    }
    x = av_b64url(pt + 1, 32);
    y = av_b64url(pt + 33, 32);
    if (x && y)
        j = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "x",
                      x, "y", y);
    free(x);
    free(y);
    return j;
}

EVP_PKEY *jwe_jwk_key(const json_t *jwk)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *x = json_string_value(json_object_get(jwk, "x"));
    const char *y = json_string_value(json_object_get(jwk, "y"));
    uint8_t *bx = NULL, *by = NULL, xy[64];
    size_t nx = 0, ny = 0;
    EVP_PKEY *k = NULL;

    if (kty && crv && x && y && strcmp(kty, "EC") == 0 &&
        strcmp(crv, "P-256") == 0 && av_base64(x, strlen(x), &bx, &nx) &&
        av_base64(y, strlen(y), &by, &ny) && nx == 32 && ny == 32) {
        memcpy(xy, bx, 32);
        memcpy(xy + 32, by, 32);
        k = av_ec_key("P-256", xy, 32);
    }
    free(bx);
    free(by);
    return k;
}

/* ---- Key agreement ------------------------------------------------------ */

/* The A256GCM content key from our private key and their public key. */
static bool cek(EVP_PKEY *mine, EVP_PKEY *theirs, uint8_t out[32])
{
    /* OtherInfo: AlgorithmID, PartyUInfo, PartyVInfo (length-prefixed),
     * SuppPubInfo (key length in bits, big-endian). */
    static const uint8_t info[] = {0, 0, 0, 7, 'A', '2', '5', '6', 'G', 'C',
                                   'M', 0, 0, 0, 0, 0, 0, 0, 0, 0,   0, 1,
                                   0};
    EVP_PKEY_CTX *dctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    uint8_t z[32];
    size_t zn = sizeof z;
    OSSL_PARAM p[4];
    bool ok;

    ok = dctx && kctx && EVP_PKEY_derive_init(dctx) == 1 &&
         EVP_PKEY_derive_set_peer(dctx, theirs) == 1 &&
         EVP_PKEY_derive(dctx, z, &zn) == 1 && zn == 32;
    if (ok) {
        p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                (char *)"SHA256", 0);
        p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, zn);
        p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                 (void *)info, sizeof info);
        p[3] = OSSL_PARAM_construct_end();
        ok = EVP_KDF_derive(kctx, out, 32, p) == 1;
    }
    OPENSSL_cleanse(z, sizeof z);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    EVP_PKEY_CTX_free(dctx);
    ERR_clear_error();
    return ok;
}

/* AES-256-GCM; enc true: encrypt in into out and write tag, else decrypt
 * and check tag. */
static bool gcm(bool enc, const uint8_t key[32], const uint8_t iv[12],
                const char *aad, const uint8_t *in, size_t n, uint8_t *out,
                uint8_t tag[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok;

    ok = c && n <= INT32_MAX &&
         EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1 &&
         EVP_CipherUpdate(c, NULL, &len, (const uint8_t *)aad,
                          (int)strlen(aad)) == 1 &&
         (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n) == 1) &&
         (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1) &&
         EVP_CipherFinal_ex(c, out + (n ? len : 0), &fin) == 1 &&
         (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
    EVP_CIPHER_CTX_free(c);
    ERR_clear_error();
    return ok;
}

/* ---- Sealing and opening ------------------------------------------------ */

char *jwe_seal(EVP_PKEY *recipient, const uint8_t *pt, size_t n)
{
    EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    uint8_t key[32], iv[12], tag[16], *ct = malloc(n ? n : 1);
    json_t *hdr = NULL, *epk = eph ? jwe_jwk(eph) : NULL, *out = NULL;
    char *h = NULL, *prot = NULL, *s_iv = NULL, *s_ct = NULL, *s_tag = NULL;
    char *res = NULL;

    if (!ct || !epk || !cek(eph, recipient, key) ||
        RAND_bytes(iv, sizeof iv) != 1)
        goto out;
    hdr = json_pack("{s:s,s:s,s:O}", "alg", "ECDH-ES", "enc", "A256GCM",
                    "epk", epk);
    if (!hdr || !(h = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS)) ||
        !(prot = av_b64url((const uint8_t *)h, strlen(h))) ||
        !gcm(true, key, iv, prot, pt, n, ct, tag) ||
        !(s_iv = av_b64url(iv, sizeof iv)) || !(s_ct = av_b64url(ct, n)) ||
        !(s_tag = av_b64url(tag, sizeof tag)))
        goto out;
    out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "protected", prot,
                    "encrypted_key", "", "iv", s_iv, "ciphertext", s_ct, "tag",
                    s_tag);
    if (out)
        res = json_dumps(out, JSON_COMPACT);
out:
    OPENSSL_cleanse(key, sizeof key);
    if (ct)
        OPENSSL_cleanse(ct, n);
    free(ct);
    free(h);
    free(prot);
    free(s_iv);
    free(s_ct);
    free(s_tag);
    json_decref(hdr);
    json_decref(epk);
    json_decref(out);
    EVP_PKEY_free(eph);
    return res;
}

int jwe_open(EVP_PKEY *mine, const char *jwe, size_t len, uint8_t **out,
             size_t *out_len, char *why, size_t cap)
{
    json_t *j = json_loadb(jwe, len, 0, NULL), *hdr = NULL;
    const char *prot = json_string_value(json_object_get(j, "protected"));
    const char *s_iv = json_string_value(json_object_get(j, "iv"));
    const char *s_ct = json_string_value(json_object_get(j, "ciphertext"));
    const char *s_tag = json_string_value(json_object_get(j, "tag"));
    const char *alg, *enc;
    uint8_t *h = NULL, *iv = NULL, *ct = NULL, *tag = NULL, *pt = NULL;
    size_t hn = 0, ivn = 0, ctn = 0, tagn = 0;
    uint8_t key[32];
    EVP_PKEY *epk = NULL;
    int rc = -1;

    if (!prot || !s_iv || !s_ct || !s_tag ||
        !av_base64(prot, strlen(prot), &h, &hn) ||
        !av_base64(s_iv, strlen(s_iv), &iv, &ivn) ||
        !av_base64(s_ct, strlen(s_ct), &ct, &ctn) ||
        !av_base64(s_tag, strlen(s_tag), &tag, &tagn) || ivn != 12 ||
        tagn != 16 || !(hdr = json_loadb((const char *)h, hn, 0, NULL))) {
        snprintf(why, cap, "not a flattened JWE (protected, iv, ciphertext, "
                 "tag)");
        goto out;
    }
    alg = json_string_value(json_object_get(hdr, "alg"));
    enc = json_string_value(json_object_get(hdr, "enc"));
    if (!alg || !enc || strcmp(alg, "ECDH-ES") != 0 ||
        strcmp(enc, "A256GCM") != 0 ||
        !(epk = jwe_jwk_key(json_object_get(hdr, "epk")))) {
        snprintf(why, cap, "JWE: want alg ECDH-ES, enc A256GCM and a P-256 "
                 "epk");
        goto out;
    }
    if (!(pt = malloc(ctn ? ctn : 1)) || !cek(mine, epk, key) ||
        !gcm(false, key, iv, prot, ct, ctn, pt, tag)) {
        snprintf(why, cap, "JWE: does not decrypt with our key");
        goto out;
    }
    *out = pt;
    *out_len = ctn;
    pt = NULL;
    rc = 0;
out:
    OPENSSL_cleanse(key, sizeof key);
    if (pt)
        OPENSSL_cleanse(pt, ctn);
    free(pt);
    free(h);
    free(iv);
    free(ct);
    free(tag);
    EVP_PKEY_free(epk);
    json_decref(hdr);
    json_decref(j);
    return rc;
}
