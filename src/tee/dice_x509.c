/* dice_x509.c - X.509 DICE certificates in the Open Profile for DICE, built
 * with OpenSSL's X509 API and ASN.1 templates.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: the OpenDiceInput extension (an OpenSSL ASN.1 template) - one
 * certificate - CDI certificates - the layer-0 root.
 *
 * The profile is open-dice's (src/template_cert_op.c, mbedtls_cert_op.c), so
 * the known-answer certificates of testvectors/dice/kat.json come out byte
 * for byte (Ed25519 signatures are deterministic, RFC 8032):
 *   version 3; serial = the subject's DICE id (20 bytes, top bit clear);
 *   signature Ed25519; issuer/subject = one serialNumber RDN holding the
 *   lower-case hex of the authority/subject id (PrintableString); validity
 *   2018-03-22T23:59:59Z .. 9999-12-31T23:59:59Z; extensions in this order:
 *   authorityKeyIdentifier (keyid = authority id), subjectKeyIdentifier
 *   (subject id), keyUsage critical keyCertSign, basicConstraints critical
 *   CA, and the critical OpenDiceInput (1.3.6.1.4.1.11129.2.1.24):
 *
 *   OpenDiceInput ::= SEQUENCE {
 *     codeHash                [0] EXPLICIT OCTET STRING OPTIONAL,
 *     codeDescriptor          [1] EXPLICIT OCTET STRING OPTIONAL,
 *     configurationHash       [2] EXPLICIT OCTET STRING OPTIONAL,
 *     configurationDescriptor [3] EXPLICIT OCTET STRING,
 *     authorityHash           [4] EXPLICIT OCTET STRING OPTIONAL,
 *     authorityDescriptor     [5] EXPLICIT OCTET STRING OPTIONAL,
 *     mode                    [6] EXPLICIT ENUMERATED OPTIONAL }
 *
 * An inline configuration is carried as configurationDescriptor (its 64
 * bytes) without a hash; a descriptor configuration as both.
 */
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tee/tee.h"

/* ---- The OpenDiceInput extension ------------------------------------------ */

typedef struct dice_x509_input {
    ASN1_OCTET_STRING *code_hash;
    ASN1_OCTET_STRING *code_desc;
    ASN1_OCTET_STRING *config_hash;
    ASN1_OCTET_STRING *config_desc;
    ASN1_OCTET_STRING *auth_hash;
    ASN1_OCTET_STRING *auth_desc;
    ASN1_ENUMERATED *mode;
} DICE_X509_INPUT;

ASN1_SEQUENCE(DICE_X509_INPUT) = {
    ASN1_EXP_OPT(DICE_X509_INPUT, code_hash, ASN1_OCTET_STRING, 0),
    ASN1_EXP_OPT(DICE_X509_INPUT, code_desc, ASN1_OCTET_STRING, 1),
    ASN1_EXP_OPT(DICE_X509_INPUT, config_hash, ASN1_OCTET_STRING, 2),
    ASN1_EXP(DICE_X509_INPUT, config_desc, ASN1_OCTET_STRING, 3),
    ASN1_EXP_OPT(DICE_X509_INPUT, auth_hash, ASN1_OCTET_STRING, 4),
    ASN1_EXP_OPT(DICE_X509_INPUT, auth_desc, ASN1_OCTET_STRING, 5),
    ASN1_EXP_OPT(DICE_X509_INPUT, mode, ASN1_ENUMERATED, 6),
} static_ASN1_SEQUENCE_END(DICE_X509_INPUT)

#define INPUT_ITEM ASN1_ITEM_rptr(DICE_X509_INPUT)

static ASN1_OCTET_STRING *octets(const uint8_t *p, size_t n)
{
    ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();

    if (s && ASN1_OCTET_STRING_set(s, p, (int)n) != 1) {
        ASN1_OCTET_STRING_free(s);
        s = NULL;
    }
    return s;
}

/* The DER of the OpenDiceInput for `in`, malloc'd by OpenSSL. */
static int input_der(const dice_inputs *in, uint8_t **out, int *out_len)
{
    DICE_X509_INPUT *v = (DICE_X509_INPUT *)ASN1_item_new(INPUT_ITEM);
    uint8_t ch[TEE_HASH];
    bool ok;

    *out = NULL;
    if (!v)
        return -1;
    ok = (v->code_hash = octets(in->code_hash, TEE_HASH)) != NULL;
    if (ok && in->code_descriptor_size > 0)
        ok = (v->code_desc = octets(in->code_descriptor,
                                    in->code_descriptor_size)) != NULL;
    /* configurationDescriptor is not OPTIONAL: ASN1_item_new made it */
    if (ok && in->config_type == DICE_CONFIG_DESCRIPTOR)
        ok = tee_sha512(in->config_descriptor, in->config_descriptor_size,
                        ch) == 0 &&
             (v->config_hash = octets(ch, TEE_HASH)) != NULL &&
             ASN1_OCTET_STRING_set(v->config_desc, in->config_descriptor,
                                   (int)in->config_descriptor_size) == 1;
    else if (ok)
        ok = ASN1_OCTET_STRING_set(v->config_desc, in->config_value,
                                   TEE_HASH) == 1;
    ok = ok && (v->auth_hash = octets(in->authority_hash, TEE_HASH)) != NULL;
    if (ok && in->authority_descriptor_size > 0)
        ok = (v->auth_desc = octets(in->authority_descriptor,
                                    in->authority_descriptor_size)) != NULL;
    ok = ok && (v->mode = ASN1_ENUMERATED_new()) != NULL &&
         ASN1_ENUMERATED_set(v->mode, in->mode) == 1 &&
         (*out_len = ASN1_item_i2d((ASN1_VALUE *)v, out, INPUT_ITEM)) > 0;
    ASN1_item_free((ASN1_VALUE *)v, INPUT_ITEM);
    return ok ? 0 : -1;
}

/* ---- One certificate ---------------------------------------------------------- */

/* serialNumber=<hex id>: OpenSSL's string table makes it a PrintableString. */
static bool set_name(X509 *x, int (*set)(X509 *, const X509_NAME *),
                     const uint8_t id[TEE_ID])
{
    char text[2 * TEE_ID + 1];
    X509_NAME *name = X509_NAME_new();
    bool ok;

    dice_hex(id, TEE_ID, text);
    ok = name &&
         X509_NAME_add_entry_by_NID(name, NID_serialNumber, MBSTRING_ASC,
                                    (const unsigned char *)text, -1, -1,
                                    0) == 1 &&
         set(x, name) == 1;
    X509_NAME_free(name);
    return ok;
}

static bool set_validity(X509 *x)
{
    /* open-dice's fixed window; ASN1_TIME_set_string_X509 picks UTCTime
     * before 2050 and GeneralizedTime after, as RFC 5280 4.1.2.5 wants */
    ASN1_TIME *nb = ASN1_TIME_new(), *na = ASN1_TIME_new();
    bool ok = nb && na &&
              ASN1_TIME_set_string_X509(nb, "20180322235959Z") == 1 &&
              ASN1_TIME_set_string_X509(na, "99991231235959Z") == 1 &&
              X509_set1_notBefore(x, nb) == 1 &&
              X509_set1_notAfter(x, na) == 1;

    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    return ok;
}

static bool set_serial(X509 *x, const uint8_t id[TEE_ID])
{
    BIGNUM *bn = BN_bin2bn(id, TEE_ID, NULL);
    ASN1_INTEGER *s = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    bool ok = s && X509_set_serialNumber(x, s) == 1;

    ASN1_INTEGER_free(s);
    BN_free(bn);
    return ok;
}

static bool add_key_ids(X509 *x, const uint8_t sid[TEE_ID],
                        const uint8_t aid[TEE_ID])
{
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    ASN1_OCTET_STRING *skid = octets(sid, TEE_ID);
    bool ok = akid && skid && (akid->keyid = octets(aid, TEE_ID)) != NULL &&
              X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0,
                                X509V3_ADD_APPEND) == 1 &&
              X509_add1_ext_i2d(x, NID_subject_key_identifier, skid, 0,
                                X509V3_ADD_APPEND) == 1;

    AUTHORITY_KEYID_free(akid);
    ASN1_OCTET_STRING_free(skid);
    return ok;
}

static bool add_ca_usage(X509 *x)
{
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    bool ok;

    /* keyCertSign is bit 5 (RFC 5280 4.2.1.3); DER trims the rest */
    ok = ku && bc && ASN1_BIT_STRING_set_bit(ku, 5, 1) == 1 &&
         X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_APPEND) == 1;
    if (ok) {
        bc->ca = 0xff;
        ok = X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
                               X509V3_ADD_APPEND) == 1;
    }
    ASN1_BIT_STRING_free(ku);
    BASIC_CONSTRAINTS_free(bc);
    return ok;
}

static bool add_dice_input(X509 *x, const dice_inputs *in)
{
    ASN1_OBJECT *oid = OBJ_txt2obj(DICE_X509_INPUT_OID, 1);
    ASN1_OCTET_STRING *value = NULL;
    X509_EXTENSION *ext = NULL;
    uint8_t *der = NULL;
    int len = 0;
    bool ok;

    ok = oid && input_der(in, &der, &len) == 0 &&
         (value = octets(der, (size_t)len)) != NULL &&
         (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, value)) != NULL &&
         X509_add_ext(x, ext, -1) == 1;
    OPENSSL_free(der);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
    ASN1_OBJECT_free(oid);
    return ok;
}

/* The certificate of subject_pub, signed by authority_seed; `in` NULL for
 * a root (no OpenDiceInput). DER into *out (malloc'd). */
static int build(const uint8_t subject_pub[TEE_PUB],
                 const uint8_t authority_seed[TEE_SEED], const dice_inputs *in,
                 uint8_t **out, size_t *out_size)
{
    uint8_t apub[TEE_PUB], sid[TEE_ID], aid[TEE_ID];
    EVP_PKEY *skey = NULL, *akey = NULL;
    X509 *x = NULL;
    unsigned char *der = NULL;
    int len = 0, rc = -1;

    if (tee_ed25519_pub(authority_seed, apub) != 0 ||
        dice_id(subject_pub, sid) != 0 || dice_id(apub, aid) != 0)
        goto out;
    skey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, subject_pub,
                                       TEE_PUB);
    akey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
                                        authority_seed, TEE_SEED);
    x = X509_new();
    if (!skey || !akey || !x || X509_set_version(x, X509_VERSION_3) != 1 ||
        !set_serial(x, sid) ||
        !set_name(x, X509_set_issuer_name, aid) ||
        !set_validity(x) ||
        !set_name(x, X509_set_subject_name, sid) ||
        X509_set_pubkey(x, skey) != 1 || !add_key_ids(x, sid, aid) ||
        !add_ca_usage(x) || (in && !add_dice_input(x, in)) ||
        X509_sign(x, akey, NULL) <= 0 || /* Ed25519: no separate digest */
        (len = i2d_X509(x, &der)) <= 0)
        goto out;
    if (!(*out = malloc((size_t)len)))
        goto out;
    memcpy(*out, der, (size_t)len);
    *out_size = (size_t)len;
    rc = 0;
out:
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(skey);
    EVP_PKEY_free(akey);  /* OpenSSL cleanses the key material it frees */
    return rc;
}

/* ---- CDI certificates and the root ------------------------------------------- */

int dice_x509_cert(const uint8_t subject_seed[TEE_SEED],
                   const uint8_t authority_seed[TEE_SEED],
                   const dice_inputs *in, uint8_t **out_cert,
                   size_t *out_size)
{
    uint8_t spub[TEE_PUB];

    if (!in || tee_ed25519_pub(subject_seed, spub) != 0)
        return -1;
    return build(spub, authority_seed, in, out_cert, out_size);
}

int dice_x509_root(const uint8_t seed[TEE_SEED], uint8_t **out_cert,
                   size_t *out_size)
{
    uint8_t pub[TEE_PUB];

    if (tee_ed25519_pub(seed, pub) != 0)
        return -1;
    return build(pub, seed, NULL, out_cert, out_size);
}
