/* dice.c - the Open Profile for DICE: CDI derivation, key pairs, ids and
 * CBOR CDI certificates, with OpenSSL 3 (HKDF, SHA-512, Ed25519) and libcbor.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: hashes and HKDF - Ed25519 - CBOR helpers - the DICE step - CBOR
 * certificates.
 *
 * The derivation follows open-dice (src/dice.c) so that the known-answer
 * values in testvectors/dice/kat.json are reproduced byte for byte:
 *   input = code_hash || config || authority_hash || mode || hidden
 *   CDI_Attest' = HKDF(CDI_Attest, salt = SHA-512(input), "CDI_Attest")
 *   CDI_Seal'   = HKDF(CDI_Seal, salt = SHA-512(input[128..]), "CDI_Seal")
 * so the sealing CDI excludes code and configuration (Mantle puts the module
 * identity into `hidden` for that reason: tee.c).
 */
#include <string.h>

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "tee/tee.h"
#include "tee/tee_cbor.h"

/* The salts of open-dice's key pair and id derivations. */
static const uint8_t asym_salt[64] = {
    0x63, 0xb6, 0xa0, 0x4d, 0x2c, 0x07, 0x7f, 0xc1, 0x0f, 0x63, 0x9f, 0x21,
    0xda, 0x79, 0x38, 0x44, 0x35, 0x6c, 0xc2, 0xb0, 0xb4, 0x41, 0xb3, 0xa7,
    0x71, 0x24, 0x03, 0x5c, 0x03, 0xf8, 0xe1, 0xbe, 0x60, 0x35, 0xd3, 0x1f,
    0x28, 0x28, 0x21, 0xa7, 0x45, 0x0a, 0x02, 0x22, 0x2a, 0xb1, 0xb3, 0xcf,
    0xf1, 0x67, 0x9b, 0x05, 0xab, 0x1c, 0xa5, 0xd1, 0xaf, 0xfb, 0x78, 0x9c,
    0xcd, 0x2b, 0x0b, 0x3b};
static const uint8_t id_salt[64] = {
    0xdb, 0xdb, 0xae, 0xbc, 0x80, 0x20, 0xda, 0x9f, 0xf0, 0xdd, 0x5a, 0x24,
    0xc8, 0x3a, 0xa5, 0xa5, 0x42, 0x86, 0xdf, 0xc2, 0x63, 0x03, 0x1e, 0x32,
    0x9b, 0x4d, 0xa1, 0x48, 0x43, 0x06, 0x59, 0xfe, 0x62, 0xcd, 0xb5, 0xb7,
    0xe1, 0xe0, 0x0f, 0xc6, 0x80, 0x30, 0x67, 0x11, 0xeb, 0x44, 0x4a, 0xf7,
    0x72, 0x09, 0x35, 0x94, 0x96, 0xfc, 0xff, 0x1d, 0xb9, 0x52, 0x0b, 0xa5,
    0x1c, 0x7b, 0x29, 0xea};

/* ---- Hashes and HKDF ------------------------------------------------------ */

static int digest(const char *alg, const uint8_t *data, size_t len,
                  uint8_t *out)
{
    unsigned n = 0;

    return EVP_Digest(data, len, out, &n, EVP_get_digestbyname(alg), NULL) == 1
               ? 0
               : -1;
}

int tee_sha512(const uint8_t *data, size_t len, uint8_t out[64])
{
    return digest("SHA512", data, len, out);
}

int tee_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    return digest("SHA256", data, len, out);
}

int tee_hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
             size_t salt_len, const char *info, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM p[5], *q = p;
    static const uint8_t no_salt = 0;
    int rc = -1;

    if (!ctx)
        goto out;
    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                            (char *)"SHA512", 0);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm,
                                             ikm_len);
    *q++ = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_SALT, (void *)(salt ? salt : &no_salt),
        salt ? salt_len : 0);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                             strlen(info));
    *q = OSSL_PARAM_construct_end();
    rc = EVP_KDF_derive(ctx, out, out_len, p) == 1 ? 0 : -1;
out:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}

/* ---- Ed25519 ---------------------------------------------------------------- */

int tee_ed25519_pub(const uint8_t seed[TEE_SEED], uint8_t out_pub[TEE_PUB])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                               TEE_SEED);
    size_t n = TEE_PUB;
    int rc;

    if (!k)
        return -1;
    rc = EVP_PKEY_get_raw_public_key(k, out_pub, &n) == 1 && n == TEE_PUB
             ? 0
             : -1;
    EVP_PKEY_free(k);  /* OpenSSL cleanses the key material it frees */
    return rc;
}

int tee_ed25519_sign(const uint8_t seed[TEE_SEED], const uint8_t *msg,
                     size_t len, uint8_t out_sig[TEE_SIG])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                               TEE_SEED);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = TEE_SIG;
    int rc = -1;

    if (k && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
        EVP_DigestSign(md, out_sig, &n, msg, len) == 1 && n == TEE_SIG)
        rc = 0;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return rc;
}

int tee_ed25519_verify(const uint8_t pub[TEE_PUB], const uint8_t *msg,
                       size_t len, const uint8_t sig[TEE_SIG])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
                                              TEE_PUB);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = -1;

    if (k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
        EVP_DigestVerify(md, sig, TEE_SIG, msg, len) == 1)
        rc = 0;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return rc;
}

/* ---- CBOR helpers (tee_cbor.h) ----------------------------------------------- */

cbor_item_t *tee_cbor_int(int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) : (uint64_t)v;
    bool neg = v < 0;

    /* Preferred (shortest) serialisation, as RFC 8949 4.2.1 and open-dice. */
    if (u <= UINT8_MAX)
        return neg ? cbor_build_negint8((uint8_t)u) : cbor_build_uint8((uint8_t)u);
    if (u <= UINT16_MAX)
        return neg ? cbor_build_negint16((uint16_t)u)
                   : cbor_build_uint16((uint16_t)u);
    if (u <= UINT32_MAX)
        return neg ? cbor_build_negint32((uint32_t)u)
                   : cbor_build_uint32((uint32_t)u);
    return neg ? cbor_build_negint64(u) : cbor_build_uint64(u);
}

cbor_item_t *tee_cbor_bytes(const uint8_t *p, size_t n)
{
    static const uint8_t none = 0;

    return cbor_build_bytestring(p ? p : &none, n);
}

bool tee_cbor_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value)
{
    bool ok = map && key && value &&
              cbor_map_add(map, (struct cbor_pair){.key = key, .value = value});

    if (key)
        cbor_decref(&key);
    if (value)
        cbor_decref(&value);
    return ok;
}

bool tee_cbor_push(cbor_item_t *array, cbor_item_t *item)
{
    bool ok = array && item && cbor_array_push(array, item);

    if (item)
        cbor_decref(&item);
    return ok;
}

int tee_cbor_serialize(cbor_item_t *item, uint8_t **out, size_t *out_size)
{
    unsigned char *buf = NULL;
    size_t cap = 0, n;

    if (!item)
        return -1;
    n = cbor_serialize_alloc(item, &buf, &cap);
    if (n == 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_size = n;
    return 0;
}

/* The Sig_structure ["Signature1", protected, h'', payload] (RFC 9052). */
int tee_cose_tbs(const uint8_t *prot, size_t prot_size, const uint8_t *payload,
                 size_t payload_size, uint8_t **out, size_t *out_size)
{
    cbor_item_t *a = cbor_new_definite_array(4);
    int rc = -1;

    if (a && tee_cbor_push(a, cbor_build_stringn("Signature1", 10)) &&
        tee_cbor_push(a, tee_cbor_bytes(prot, prot_size)) &&
        tee_cbor_push(a, tee_cbor_bytes(NULL, 0)) &&
        tee_cbor_push(a, tee_cbor_bytes(payload, payload_size)))
        rc = tee_cbor_serialize(a, out, out_size);
    if (a)
        cbor_decref(&a);
    return rc;
}

/* ---- The DICE step ---------------------------------------------------------- */

/* code_hash(64) || config(64) || authority_hash(64) || mode(1) || hidden(64) */
#define INPUT_SIZE (4 * TEE_HASH + 1)

int dice_main_flow(const uint8_t cdi_attest[TEE_CDI],
                   const uint8_t cdi_seal[TEE_CDI], const dice_inputs *in,
                   uint8_t out_attest[TEE_CDI], uint8_t out_seal[TEE_CDI])
{
    uint8_t buf[INPUT_SIZE], ah[TEE_HASH], sh[TEE_HASH];
    uint8_t na[TEE_CDI], ns[TEE_CDI];
    int rc = -1;

    memcpy(buf, in->code_hash, TEE_HASH);
    if (in->config_type == DICE_CONFIG_DESCRIPTOR) {
        if (tee_sha512(in->config_descriptor, in->config_descriptor_size,
                       buf + TEE_HASH) != 0)
            goto out;
    } else {
        memcpy(buf + TEE_HASH, in->config_value, TEE_HASH);
    }
    memcpy(buf + 2 * TEE_HASH, in->authority_hash, TEE_HASH);
    buf[3 * TEE_HASH] = in->mode;
    memcpy(buf + 3 * TEE_HASH + 1, in->hidden, TEE_HASH);
    if (tee_sha512(buf, sizeof buf, ah) != 0 ||
        tee_sha512(buf + 2 * TEE_HASH, sizeof buf - 2 * TEE_HASH, sh) != 0 ||
        tee_hkdf(cdi_attest, TEE_CDI, ah, sizeof ah, "CDI_Attest", na,
                 sizeof na) != 0 ||
        tee_hkdf(cdi_seal, TEE_CDI, sh, sizeof sh, "CDI_Seal", ns,
                 sizeof ns) != 0)
        goto out;
    /* Outputs last, so that in and out may alias. */
    memcpy(out_attest, na, TEE_CDI);
    memcpy(out_seal, ns, TEE_CDI);
    rc = 0;
out:
    OPENSSL_cleanse(buf, sizeof buf);
    OPENSSL_cleanse(ah, sizeof ah);
    OPENSSL_cleanse(sh, sizeof sh);
    OPENSSL_cleanse(na, sizeof na);
    OPENSSL_cleanse(ns, sizeof ns);
    return rc;
}

int dice_keypair(const uint8_t cdi_attest[TEE_CDI], uint8_t out_seed[TEE_SEED],
                 uint8_t out_pub[TEE_PUB])
{
    uint8_t seed[TEE_SEED];
    int rc = -1;

    if (tee_hkdf(cdi_attest, TEE_CDI, asym_salt, sizeof asym_salt, "Key Pair",
                 seed, sizeof seed) == 0 &&
        tee_ed25519_pub(seed, out_pub) == 0) {
        memcpy(out_seed, seed, TEE_SEED);
        rc = 0;
    }
    OPENSSL_cleanse(seed, sizeof seed);
    return rc;
}

int dice_id(const uint8_t pub[TEE_PUB], uint8_t out_id[TEE_ID])
{
    if (tee_hkdf(pub, TEE_PUB, id_salt, sizeof id_salt, "ID", out_id,
                 TEE_ID) != 0)
        return -1;
    out_id[0] &= 0x7f;  /* a positive X.509 serial number */
    return 0;
}

size_t dice_cose_key(const uint8_t pub[TEE_PUB], uint8_t out[64])
{
    /* {1: 1 (OKP), 3: -8 (EdDSA), 4: [2 (verify)], -1: 6 (Ed25519), -2: x} */
    static const uint8_t head[] = {0xa5, 0x01, 0x01, 0x03, 0x27, 0x04, 0x81,
                                   0x02, 0x20, 0x06, 0x21, 0x58, 0x20};

    memcpy(out, head, sizeof head);
    memcpy(out + sizeof head, pub, TEE_PUB);
    return sizeof head + TEE_PUB;
}

/* ---- CBOR certificates ---------------------------------------------------------- */

void dice_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Open Profile for DICE CWT labels. */
enum {
    CWT_ISS = 1,
    CWT_SUB = 2,
    DICE_CODE_HASH = -4670545,
    DICE_CODE_DESC = -4670546,
    DICE_CONFIG_HASH = -4670547,
    DICE_CONFIG_DESC = -4670548,
    DICE_AUTH_HASH = -4670549,
    DICE_AUTH_DESC = -4670550,
    DICE_MODE = -4670551,
    DICE_SUBJECT_KEY = -4670552,
    DICE_KEY_USAGE = -4670553,
    DICE_PROFILE = -4670554,
};

/* The CWT payload, entries in open-dice's order. */
static cbor_item_t *cwt(const dice_inputs *in, const char *iss,
                        const char *sub, const uint8_t *cose_key,
                        size_t cose_key_size, const char *profile)
{
    size_t pairs = 8 + (in->code_descriptor_size > 0) +
                   (in->config_type == DICE_CONFIG_DESCRIPTOR) +
                   (in->authority_descriptor_size > 0) + (profile != NULL);
    cbor_item_t *m = cbor_new_definite_map(pairs);
    uint8_t mode = in->mode, usage = 0x20; /* keyCertSign (RFC 5280) */
    uint8_t ch[TEE_HASH];
    bool ok;

    ok = m && tee_cbor_put(m, tee_cbor_int(CWT_ISS), cbor_build_string(iss)) &&
         tee_cbor_put(m, tee_cbor_int(CWT_SUB), cbor_build_string(sub)) &&
         tee_cbor_put(m, tee_cbor_int(DICE_CODE_HASH),
                      tee_cbor_bytes(in->code_hash, TEE_HASH));
    if (ok && in->code_descriptor_size > 0)
        ok = tee_cbor_put(m, tee_cbor_int(DICE_CODE_DESC),
                          tee_cbor_bytes(in->code_descriptor,
                                         in->code_descriptor_size));
    if (ok && in->config_type == DICE_CONFIG_DESCRIPTOR)
        ok = tee_sha512(in->config_descriptor, in->config_descriptor_size,
                        ch) == 0 &&
             tee_cbor_put(m, tee_cbor_int(DICE_CONFIG_DESC),
                          tee_cbor_bytes(in->config_descriptor,
                                         in->config_descriptor_size)) &&
             tee_cbor_put(m, tee_cbor_int(DICE_CONFIG_HASH),
                          tee_cbor_bytes(ch, TEE_HASH));
    else if (ok)
        ok = tee_cbor_put(m, tee_cbor_int(DICE_CONFIG_DESC),
                          tee_cbor_bytes(in->config_value, TEE_HASH));
    ok = ok && tee_cbor_put(m, tee_cbor_int(DICE_AUTH_HASH),
                            tee_cbor_bytes(in->authority_hash, TEE_HASH));
    if (ok && in->authority_descriptor_size > 0)
        ok = tee_cbor_put(m, tee_cbor_int(DICE_AUTH_DESC),
                          tee_cbor_bytes(in->authority_descriptor,
                                         in->authority_descriptor_size));
    ok = ok &&
         tee_cbor_put(m, tee_cbor_int(DICE_MODE), tee_cbor_bytes(&mode, 1)) &&
         tee_cbor_put(m, tee_cbor_int(DICE_SUBJECT_KEY),
                      tee_cbor_bytes(cose_key, cose_key_size)) &&
         tee_cbor_put(m, tee_cbor_int(DICE_KEY_USAGE),
                      tee_cbor_bytes(&usage, 1));
    if (ok && profile)
        ok = tee_cbor_put(m, tee_cbor_int(DICE_PROFILE),
                          cbor_build_string(profile));
    if (!ok && m)
        cbor_decref(&m);
    return ok ? m : NULL;
}

int dice_cbor_cert(const uint8_t subject_seed[TEE_SEED],
                   const uint8_t authority_seed[TEE_SEED],
                   const dice_inputs *in, const char *profile,
                   uint8_t **out_cert, size_t *out_size)
{
    static const uint8_t prot[] = {0xa1, 0x01, 0x27}; /* {1: -8 (EdDSA)} */
    uint8_t spub[TEE_PUB], apub[TEE_PUB], sid[TEE_ID], aid[TEE_ID];
    uint8_t key[64], sig[TEE_SIG];
    char sid_hex[2 * TEE_ID + 1], aid_hex[2 * TEE_ID + 1];
    cbor_item_t *payload = NULL, *sign1 = NULL;
    uint8_t *pl = NULL, *tbs = NULL;
    size_t pl_size = 0, tbs_size = 0, key_size;
    int rc = -1;

    if (tee_ed25519_pub(subject_seed, spub) != 0 ||
        tee_ed25519_pub(authority_seed, apub) != 0 || dice_id(spub, sid) != 0 ||
        dice_id(apub, aid) != 0)
        goto out;
    dice_hex(sid, TEE_ID, sid_hex);
    dice_hex(aid, TEE_ID, aid_hex);
    key_size = dice_cose_key(spub, key);
    payload = cwt(in, aid_hex, sid_hex, key, key_size, profile);
    if (!payload || tee_cbor_serialize(payload, &pl, &pl_size) != 0 ||
        tee_cose_tbs(prot, sizeof prot, pl, pl_size, &tbs, &tbs_size) != 0 ||
        tee_ed25519_sign(authority_seed, tbs, tbs_size, sig) != 0)
        goto out;
    sign1 = cbor_new_definite_array(4);
    if (sign1 && tee_cbor_push(sign1, tee_cbor_bytes(prot, sizeof prot)) &&
        tee_cbor_push(sign1, cbor_new_definite_map(0)) &&
        tee_cbor_push(sign1, tee_cbor_bytes(pl, pl_size)) &&
        tee_cbor_push(sign1, tee_cbor_bytes(sig, sizeof sig)))
        rc = tee_cbor_serialize(sign1, out_cert, out_size);
out:
    if (payload)
        cbor_decref(&payload);
    if (sign1)
        cbor_decref(&sign1);
    free(pl);
    free(tbs);
    return rc;
}
