/* jwe.c - JWE (RFC 7516) with ECDH-ES+A256KW key agreement and wrapping
 * and A256GCM content encryption (RFC 7518 4.6, 5.3), and EC P-256 JWKs,
 * through OpenSSL 3.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The key broker encrypts a resource to the TEE's ephemeral key from its
 * attestation; the client opens it. Flattened JSON serialization, as the
 * Confidential Containers KBS (Trustee) returns it to an EC tee-pubkey:
 * {"protected", "encrypted_key", "iv", "ciphertext", "tag"}, the protected
 * header {"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{P-256 JWK}} and
 * its base64url form the GCM AAD. A random 256-bit content key is wrapped
 * (RFC 3394, 40 bytes) under the Concat KDF (NIST SP 800-56A, OpenSSL's
 * SSKDF with SHA-256) of the ECDH secret with AlgorithmID "ECDH-ES+A256KW",
 * empty party infos and 256 bits. Only this algorithm is accepted.
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

/* ---- Key agreement and key wrapping ------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

bool jwe_concat_kdf(const uint8_t *z, size_t zn, const char *alg,
                    const uint8_t *apu, size_t apun, const uint8_t *apv,
                    size_t apvn, uint8_t *out, size_t outn)
{
    /* OtherInfo (RFC 7518 4.6.2): AlgorithmID, PartyUInfo, PartyVInfo as
     * 32-bit-length-prefixed octets, SuppPubInfo the key length in bits. */
    size_t an = strlen(alg), n = 4 + an + 4 + apun + 4 + apvn + 4, o = 0;
    uint8_t *info = malloc(n);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM p[4];
    bool ok = info && kctx && an < 256 && apun < 65536 && apvn < 65536 &&
              outn < (1u << 28);

    if (ok) {
        const struct { const uint8_t *b; size_t n; } parts[3] = {
            {(const uint8_t *)alg, an}, {apu, apun}, {apv, apvn}};
        for (int i = 0; i < 3; i++) {
            put32(info + o, (uint32_t)parts[i].n);
            if (parts[i].n)
                memcpy(info + o + 4, parts[i].b, parts[i].n);
            o += 4 + parts[i].n;
        }
        put32(info + o, (uint32_t)(outn * 8));
        p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                (char *)"SHA256", 0);
        p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                 (void *)z, zn);
        p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
                                                 n);
        p[3] = OSSL_PARAM_construct_end();
        ok = EVP_KDF_derive(kctx, out, outn, p) == 1;
    }
    free(info);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    ERR_clear_error();
    return ok;
}

/* The A256KW key-wrapping key from our private key and their public key:
 * ECDH, then the Concat KDF with AlgorithmID "ECDH-ES+A256KW" and empty
 * party infos, as Trustee's KBS derives it. */
static bool kek(EVP_PKEY *mine, EVP_PKEY *theirs, uint8_t out[32])
{
    EVP_PKEY_CTX *dctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
    uint8_t z[32];
    size_t zn = sizeof z;
    bool ok;

    ok = dctx && EVP_PKEY_derive_init(dctx) == 1 &&
         EVP_PKEY_derive_set_peer(dctx, theirs) == 1 &&
         EVP_PKEY_derive(dctx, z, &zn) == 1 && zn == 32 &&
         jwe_concat_kdf(z, zn, JWE_ALG, NULL, 0, NULL, 0, out, 32);
    OPENSSL_cleanse(z, sizeof z);
    EVP_PKEY_CTX_free(dctx);
    ERR_clear_error();
    return ok;
}

/* AES key wrap (RFC 3394) of a 32-byte CEK under a 32-byte KEK: enc true
 * wraps in (32 bytes) to out (40), else unwraps in (40) to out (32), which
 * fails unless the integrity check value matches. */
static bool kw(bool enc, const uint8_t key[32], const uint8_t *in, size_t n,
               uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok;

    ok = c && n == (enc ? 32u : 40u);
    if (ok) {
        EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
        ok = EVP_CipherInit_ex(c, EVP_aes_256_wrap(), NULL, key, NULL, enc) ==
                 1 &&
             EVP_CipherUpdate(c, out, &len, in, (int)n) == 1 &&
             EVP_CipherFinal_ex(c, out + len, &fin) == 1 &&
             (size_t)(len + fin) == (enc ? 40u : 32u);
    }
    EVP_CIPHER_CTX_free(c);
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
    uint8_t wk[32], cek[32], ek[40], iv[12], tag[16], *ct = malloc(n ? n : 1);
    json_t *hdr = NULL, *epk = eph ? jwe_jwk(eph) : NULL, *out = NULL;
    char *h = NULL, *prot = NULL, *s_ek = NULL, *s_iv = NULL, *s_ct = NULL;
    char *s_tag = NULL, *res = NULL;

    /* A fresh random CEK encrypts the content; the key agreed with the
     * recipient only wraps it (ECDH-ES+A256KW). */
    if (!ct || !epk || !kek(eph, recipient, wk) ||
        RAND_bytes(cek, sizeof cek) != 1 || RAND_bytes(iv, sizeof iv) != 1 ||
        !kw(true, wk, cek, sizeof cek, ek))
        goto out;
    hdr = json_pack("{s:s,s:s,s:O}", "alg", JWE_ALG, "enc", JWE_ENC, "epk",
                    epk);
    if (!hdr || !(h = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS)) ||
        !(prot = av_b64url((const uint8_t *)h, strlen(h))) ||
        !gcm(true, cek, iv, prot, pt, n, ct, tag) ||
        !(s_ek = av_b64url(ek, sizeof ek)) ||
        !(s_iv = av_b64url(iv, sizeof iv)) || !(s_ct = av_b64url(ct, n)) ||
        !(s_tag = av_b64url(tag, sizeof tag)))
        goto out;
    out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "protected", prot,
                    "encrypted_key", s_ek, "iv", s_iv, "ciphertext", s_ct,
                    "tag", s_tag);
    if (out)
        res = json_dumps(out, JSON_COMPACT);
out:
    OPENSSL_cleanse(wk, sizeof wk);
    OPENSSL_cleanse(cek, sizeof cek);
    if (ct)
        OPENSSL_cleanse(ct, n);
    free(ct);
    free(h);
    free(prot);
    free(s_ek);
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
    const char *s_ek = json_string_value(json_object_get(j, "encrypted_key"));
    const char *s_iv = json_string_value(json_object_get(j, "iv"));
    const char *s_ct = json_string_value(json_object_get(j, "ciphertext"));
    const char *s_tag = json_string_value(json_object_get(j, "tag"));
    const char *alg, *enc;
    uint8_t *h = NULL, *ek = NULL, *iv = NULL, *ct = NULL, *tag = NULL;
    uint8_t *pt = NULL, wk[32], cek[32];
    size_t hn = 0, ekn = 0, ivn = 0, ctn = 0, tagn = 0;
    EVP_PKEY *epk = NULL;
    int rc = -1;

    memset(wk, 0, sizeof wk);
    memset(cek, 0, sizeof cek);
    if (!prot || !s_ek || !s_iv || !s_ct || !s_tag ||
        !av_base64(prot, strlen(prot), &h, &hn) ||
        !av_base64(s_ek, strlen(s_ek), &ek, &ekn) ||
        !av_base64(s_iv, strlen(s_iv), &iv, &ivn) ||
        !av_base64(s_ct, strlen(s_ct), &ct, &ctn) ||
        !av_base64(s_tag, strlen(s_tag), &tag, &tagn) || ekn != 40 ||
        ivn != 12 || tagn != 16 ||
        !(hdr = json_loadb((const char *)h, hn, 0, NULL))) {
        snprintf(why, cap, "not a flattened JWE (protected, encrypted_key of "
                 "40 bytes, iv of 12, ciphertext, tag of 16)");
        goto out;
    }
    alg = json_string_value(json_object_get(hdr, "alg"));
    enc = json_string_value(json_object_get(hdr, "enc"));
    if (!alg || !enc || strcmp(alg, JWE_ALG) != 0 ||
        strcmp(enc, JWE_ENC) != 0 ||
        !(epk = jwe_jwk_key(json_object_get(hdr, "epk")))) {
        snprintf(why, cap, "JWE: want alg " JWE_ALG ", enc " JWE_ENC
                 " and a P-256 epk");
        goto out;
    }
    if (!kek(mine, epk, wk) || !kw(false, wk, ek, ekn, cek)) {
        snprintf(why, cap, "JWE: the content key does not unwrap with our "
                 "key");
        goto out;
    }
    if (!(pt = malloc(ctn ? ctn : 1)) ||
        !gcm(false, cek, iv, prot, ct, ctn, pt, tag)) {
        snprintf(why, cap, "JWE: the content does not decrypt (tag)");
        goto out;
    }
    *out = pt;
    *out_len = ctn;
    pt = NULL;
    rc = 0;
out:
    OPENSSL_cleanse(wk, sizeof wk);
    OPENSSL_cleanse(cek, sizeof cek);
    if (pt)
        OPENSSL_cleanse(pt, ctn);
    free(pt);
    free(h);
    free(ek);
    free(iv);
    free(ct);
    free(tag);
    EVP_PKEY_free(epk);
    json_decref(hdr);
    json_decref(j);
    return rc;
}
