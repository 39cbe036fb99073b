/* cca.c - verify Arm CCA attestation tokens with libcbor and OpenSSL.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Order: decode everything; the realm token's signature with its RAK; the
 * binding of the RAK to the platform challenge; the platform token's
 * signature with the CPAK from the trust anchor (JWK, Veraison tastore
 * array, or PEM), whose implementation and instance ids must match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>

#include "av_cbor.h"
#include "cca.h"

enum {
    CCA_TAG_COLLECTION = 399,
    CCA_PLATFORM = 44234,
    CCA_REALM = 44241,
};

/* A COSE_Sign1 in a byte string of the collection. */
static int cose_parse(const cbor_item_t *bstr, const char *what, av_cose *out,
                      av_err *e)
{
    char label[32];

    snprintf(label, sizeof label, "CCA %s token", what);
    if (!av_cbor_is_bytes(bstr))
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "%s: not a byte string",
                       label);
    return av_cose_parse(cbor_bytestring_handle(bstr),
                         cbor_bytestring_length(bstr), label, out, e);
}

/* COSE_Sign1 verification: Sig_structure = ["Signature1", protected,
 * h'', payload] (RFC 9052 4.4), ECDSA r || s. */
static int cose_verify(const av_cose *c, EVP_PKEY *key, const char *what,
                       av_err *e)
{
    static const unsigned char empty[1];
    const EVP_MD *md;
    size_t half;
    cbor_item_t *s = cbor_new_definite_array(4);
    unsigned char *buf = NULL;
    size_t cap = 0, n;
    int ok;

    switch (c->alg) {
    case -7: md = EVP_sha256(); half = 32; break;
    case -35: md = EVP_sha384(); half = 48; break;
    case -36: md = EVP_sha512(); half = 66; break;
    default:
        if (s)
            cbor_decref(&s);
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "CCA %s token: COSE alg %lld (ES256/384/512 only)",
                       what, (long long)c->alg);
    }
    if (s == NULL ||
        !cbor_array_push(s, cbor_move(cbor_build_string("Signature1"))) ||
        !cbor_array_push(s, c->protected_) ||
        !cbor_array_push(s, cbor_move(cbor_build_bytestring(empty, 0))) ||
        !cbor_array_push(s, c->payload) ||
        (n = cbor_serialize_alloc(s, &buf, &cap)) == 0) {
        if (s)
            cbor_decref(&s);
        free(buf);
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "out of memory");
    }
    cbor_decref(&s);
    ok = cbor_bytestring_length(c->signature) == 2 * half
             ? av_ecdsa_verify_rs(key, md, buf, n,
                                  cbor_bytestring_handle(c->signature), half)
             : 0;
    free(buf);
    if (ok != 1)
        return av_fail(e, MANTLE_VERIFY_SIGNATURE,
                       "CCA %s token signature does not verify with the %s",
                       what, strcmp(what, "realm") == 0 ? "RAK" : "CPAK");
    return MANTLE_VERIFY_OK;
}

static int platform_claims(const cbor_item_t *m, cca_token *t, av_err *e)
{
    cbor_item_t *sw = av_cbor_get(m, 2399), *lc = av_cbor_get(m, 2395);
    int64_t v;

    av_cbor_text(m, 265, t->profile, sizeof t->profile);
    if (!av_cbor_bytes(m, 10, t->challenge, &t->challenge_len, 64) ||
        !av_cbor_bytes(m, 2396, t->implementation_id, &t->implementation_id_len,
                   64) ||
        !av_cbor_bytes(m, 256, t->instance_id, &t->instance_id_len, 64) ||
        lc == NULL || !av_cbor_int(lc, &v) || v < 0)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA platform token: challenge, implementation id, "
                       "instance id or lifecycle missing");
    t->lifecycle = (uint64_t)v;
    av_cbor_bytes(m, 2401, t->config, &t->config_len, 64);
    av_cbor_text(m, 2402, t->platform_hash_algo, sizeof t->platform_hash_algo);
    av_cbor_text(m, 2400, t->verification_service, sizeof t->verification_service);
    if (sw != NULL && cbor_isa_array(sw) && cbor_array_is_definite(sw)) {
        for (size_t i = 0; i < cbor_array_size(sw) && t->nsw < CCA_MAX_SW;
             i++) {
            cbor_item_t *c = cbor_array_handle(sw)[i];
            cca_sw_component *s = &t->sw[t->nsw];
            if (!av_cbor_bytes(c, 2, s->measurement, &s->measurement_len, 64))
                return av_fail(e, MANTLE_VERIFY_MALFORMED,
                               "CCA platform token: software component %zu "
                               "has no measurement",
                               i);
            av_cbor_text(c, 1, s->type, sizeof s->type);
            av_cbor_bytes(c, 5, s->signer_id, &s->signer_len, 64);
            t->nsw++;
        }
    }
    return MANTLE_VERIFY_OK;
}

static int realm_claims(const cbor_item_t *m, cca_token *t, av_err *e)
{
    cbor_item_t *rems = av_cbor_get(m, 44239);

    if (!av_cbor_bytes(m, 10, t->realm_challenge, &t->realm_challenge_len, 64) ||
        !av_cbor_bytes(m, 44238, t->rim, &t->rim_len, 64) ||
        !av_cbor_bytes(m, 44237, t->rak, &t->rak_len, sizeof t->rak) ||
        !av_cbor_text(m, 44240, t->rak_hash_algo, sizeof t->rak_hash_algo))
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA realm token: challenge, RIM, RAK or RAK hash "
                       "algorithm missing");
    av_cbor_bytes(m, 44235, t->personalization, &t->personalization_len, 64);
    av_cbor_text(m, 44236, t->hash_algo, sizeof t->hash_algo);
    if (rems == NULL || !cbor_isa_array(rems) ||
        !cbor_array_is_definite(rems) || cbor_array_size(rems) != 4)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA realm token: not four REMs");
    for (int i = 0; i < 4; i++) {
        cbor_item_t *r = cbor_array_handle(rems)[i];
        if (!av_cbor_is_bytes(r) || cbor_bytestring_length(r) > 64)
            return av_fail(e, MANTLE_VERIFY_MALFORMED,
                           "CCA realm token: REM%d", i);
        t->rem_len[i] = (uint32_t)cbor_bytestring_length(r);
        memcpy(t->rem[i], cbor_bytestring_handle(r), t->rem_len[i]);
    }
    return MANTLE_VERIFY_OK;
}

static int parse_all(const uint8_t *buf, size_t len, cca_token *t,
                     av_cose *plat, av_cose *realm, av_err *e)
{
    cbor_item_t *root, *map;
    int rc;

    memset(t, 0, sizeof *t);
    memset(plat, 0, sizeof *plat);
    memset(realm, 0, sizeof *realm);
    if ((root = av_cbor_load(buf, len)) == NULL)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA token: not a complete CBOR item (%zu bytes)", len);
    if (!cbor_isa_tag(root) || cbor_tag_value(root) != CCA_TAG_COLLECTION) {
        cbor_decref(&root);
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "CCA token: not a CBOR tag-399 CCA collection");
    }
    map = cbor_tag_item(root);
    if ((rc = cose_parse(av_cbor_get(map, CCA_PLATFORM), "platform", plat, e)) == 0 &&
        (rc = cose_parse(av_cbor_get(map, CCA_REALM), "realm", realm, e)) == 0 &&
        (rc = platform_claims(plat->claims, t, e)) == 0)
        rc = realm_claims(realm->claims, t, e);
    cbor_decref(&map);
    cbor_decref(&root);
    return rc;
}

int cca_token_parse(const uint8_t *buf, size_t len, cca_token *out,
                    av_err *e)
{
    cca_token t;
    av_cose p, r;
    int rc = parse_all(buf, len, &t, &p, &r, e);

    av_cose_free(&p);
    av_cose_free(&r);
    if (rc == 0)
        *out = t;
    return rc;
}

int cca_check_binding(const uint8_t *challenge, size_t challenge_len,
                      const uint8_t *rak, size_t rak_len, const char *alg,
                      av_err *e)
{
    const EVP_MD *md = strcmp(alg, "sha-256") == 0   ? EVP_sha256()
                       : strcmp(alg, "sha-384") == 0 ? EVP_sha384()
                       : strcmp(alg, "sha-512") == 0 ? EVP_sha512()
                                                     : NULL;
    uint8_t h[64];

    if (md == NULL)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "CCA realm token: RAK hash algorithm \"%s\"", alg);
    if (!av_digest(md, rak, rak_len, h) ||
        challenge_len != (size_t)EVP_MD_get_size(md) ||
        CRYPTO_memcmp(h, challenge, challenge_len) != 0)
        return av_fail(e, MANTLE_VERIFY_BINDING,
                       "CCA platform challenge is not %s(RAK)", alg);
    return MANTLE_VERIFY_OK;
}

/* The CPAK from a JWK object. */
static EVP_PKEY *jwk_key(json_t *jwk)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *x = json_string_value(json_object_get(jwk, "x"));
    const char *y = json_string_value(json_object_get(jwk, "y"));
    uint8_t *bx = NULL, *by = NULL, xy[132];
    size_t nx, ny, n;
    EVP_PKEY *k = NULL;

    if (crv == NULL || x == NULL || y == NULL)
        return NULL;
    n = strcmp(crv, "P-256") == 0 ? 32 : strcmp(crv, "P-384") == 0 ? 48
        : strcmp(crv, "P-521") == 0 ? 66 : 0;
    if (n && av_base64(x, strlen(x), &bx, &nx) &&
        av_base64(y, strlen(y), &by, &ny) && nx == n && ny == n) {
        memcpy(xy, bx, n);
        memcpy(xy + n, by, n);
        k = av_ec_key(crv, xy, n);
    }
    free(bx);
    free(by);
    return k;
}

static bool hex_matches(json_t *v, const uint8_t *p, size_t n)
{
    uint8_t buf[64];

    return n <= sizeof buf && av_unhex(json_string_value(v), buf, n) &&
           memcmp(buf, p, n) == 0;
}

/* The CPAK for this platform from the trust anchor blob. */
static int cpak(const mantle_blob *root, const cca_token *t, EVP_PKEY **out,
                av_err *e)
{
    json_t *doc, *entry, *pick = NULL;
    size_t i;

    if (root->data == NULL)
        return av_fail(e, MANTLE_VERIFY_MISSING,
                       "CCA: no CPAK given (--root: JWK, tastore or PEM)");
    if ((doc = json_loadb((const char *)root->data, root->len, 0, NULL)) ==
        NULL) {
        if ((*out = av_pubkey_load(root->data, root->len)) == NULL)
            return av_fail(e, MANTLE_VERIFY_MALFORMED,
                           "%s: not a JWK, tastore or PEM public key",
                           root->name ? root->name : "root");
        return MANTLE_VERIFY_OK;
    }
    if (json_is_array(doc)) {
        /* A Veraison tastore: pick the platform's entry by instance id. */
        json_array_foreach(doc, i, entry) {
            json_t *inst = json_object_get(entry, "instance-id");
            if (inst == NULL ||
                hex_matches(inst, t->instance_id, t->instance_id_len)) {
                pick = entry;
                break;
            }
        }
        if (pick == NULL) {
            json_decref(doc);
            return av_fail(e, MANTLE_VERIFY_MISSING,
                           "CCA: no trust anchor for this instance id");
        }
        json_t *impl = json_object_get(pick, "implementation-id");
        if (impl != NULL &&
            !hex_matches(impl, t->implementation_id,
                         t->implementation_id_len)) {
            json_decref(doc);
            return av_fail(e, MANTLE_VERIFY_BINDING,
                           "CCA: implementation id differs from the trust "
                           "anchor's");
        }
        *out = jwk_key(json_object_get(pick, "pkey"));
    } else {
        *out = jwk_key(doc);
    }
    json_decref(doc);
    if (*out == NULL)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "%s: CPAK is not an EC JWK on its curve",
                       root->name ? root->name : "root");
    return MANTLE_VERIFY_OK;
}

int cca_verify(const mantle_verify_input *in, cca_token *out_token,
               mantle_claims *out_claims, av_err *e)
{
    static const char *const rem[4] = {"rem0", "rem1", "rem2", "rem3"};
    cca_token t;
    av_cose plat, realm;
    EVP_PKEY *rak = NULL, *cp = NULL;
    mantle_claims c;
    int rc;

    if ((rc = parse_all(in->evidence.data, in->evidence.len, &t, &plat,
                        &realm, e)))
        goto out;
    if (t.rak_len < 1 || t.rak[0] != 0x04 || (t.rak_len - 1) % 2 != 0 ||
        (rak = av_ec_key(t.rak_len == 97 ? "P-384"
                         : t.rak_len == 65 ? "P-256"
                                           : "P-521",
                         t.rak + 1, (t.rak_len - 1) / 2)) == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                     "CCA realm token: RAK is not an uncompressed EC point");
        goto out;
    }
    if ((rc = cose_verify(&realm, rak, "realm", e)) ||
        (rc = cca_check_binding(t.challenge, t.challenge_len, t.rak,
                                t.rak_len, t.rak_hash_algo, e)) ||
        (rc = cpak(&in->root, &t, &cp, e)) ||
        (rc = cose_verify(&plat, cp, "platform", e)))
        goto out;
    av_claims_init(&c, MANTLE_TEE_CCA);
    c.version = 1;
    c.measurement_len = t.rim_len;
    memcpy(c.measurement, t.rim, t.rim_len);
    c.report_data_len = t.realm_challenge_len;
    memcpy(c.report_data, t.realm_challenge, t.realm_challenge_len);
    /* Security lifecycle: only "secured" (0x3000-0x30ff) is production. */
    c.debug = !(t.lifecycle >= 0x3000 && t.lifecycle <= 0x30ff);
    for (int i = 0; i < 4; i++)
        av_claims_add(&c, rem[i], t.rem[i], t.rem_len[i]);
    av_claims_add(&c, "personalization", t.personalization,
                  t.personalization_len);
    av_claims_add(&c, "implementation", t.implementation_id,
                  t.implementation_id_len);
    av_claims_add(&c, "instance_id", t.instance_id, t.instance_id_len);
    av_claims_add(&c, "platform_config", t.config, t.config_len);
    if ((rc = av_check_report_data(in, &c, e)))
        goto out;
    if (out_token)
        *out_token = t;
    *out_claims = c;
out:
    EVP_PKEY_free(rak);
    EVP_PKEY_free(cp);
    av_cose_free(&plat);
    av_cose_free(&realm);
    return rc;
}

int av_verify_cca(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e)
{
    return cca_verify(in, NULL, out, e);
}
