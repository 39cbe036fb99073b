/* mantle_ev.c - verify Mantle's own evidence (src/tee/eat.c): an RFC 9711
 * EAT signed as COSE_Sign1 (EdDSA) by the module's DICE attestation key.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Order: decode the token and its claims (unverified); walk the DICE chain
 * [layer-0 COSE_Key, runtime certificate, module certificate], each
 * certificate signed by the previous layer's key, naming it as issuer, and
 * carrying the measurements the token claims; verify the token with the
 * module key; then the anchor:
 *   - without platform evidence (soft): the layer-0 key must be the trusted
 *     root (in->root: the device's key, `mantle evidence root`);
 *   - with platform evidence (tpm, sev-snp, tdx, cca): the family verifier
 *     checks it with in->certs, in->root and in->collateral, and its report
 *     data must be tee_eat_binding() of this token, so the hardware vouches
 *     for the nonce, the module key and the measurements.
 * Claims: tee "mantle" for evidence without hardware (always debug), else
 * the platform's kind; measurement is the runtime digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "av_cbor.h"
#include "tee/tee.h"

/* RFC 9711 and open-dice CWT labels. */
enum {
    EAT_IAT = 6,
    EAT_NONCE = 10,
    EAT_UEID = 256,
    EAT_DBGSTAT = 262,
    EAT_PROFILE = 265,
    CWT_ISS = 1,
    CWT_SUB = 2,
    DICE_CODE_HASH = -4670545,
    DICE_CONFIG_DESC = -4670548,
    DICE_MODE = -4670551,
    DICE_SUBJECT_KEY = -4670552,
    COSE_ALG_EDDSA = -8,
    CLOCK_SKEW = 300,  /* seconds an iat may lie ahead of the time given */
};

/* The claims the token carries, borrowed from its decoded payload. */
typedef struct eat {
    const uint8_t *nonce, *ueid, *runtime, *module, *config;
    const uint8_t *platform, *platform_aux;
    size_t platform_len, platform_aux_len;
    char tee[16];
    int64_t iat, dbgstat, mode;
    bool isolation;
    const cbor_item_t *chain;
} eat;

static const uint8_t *bytes_n(const cbor_item_t *m, int64_t k, size_t n)
{
    cbor_item_t *v = av_cbor_get(m, k);

    return av_cbor_is_bytes(v) && cbor_bytestring_length(v) == n
               ? cbor_bytestring_handle(v)
               : NULL;
}

static int read_claims(const cbor_item_t *m, eat *t, av_err *e)
{
    char profile[64];
    cbor_item_t *v;

    memset(t, 0, sizeof *t);
    if (!av_cbor_text(m, EAT_PROFILE, profile, sizeof profile) ||
        strcmp(profile, TEE_EAT_PROFILE) != 0)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "mantle evidence: eat_profile is not \"%s\"",
                       TEE_EAT_PROFILE);
    t->nonce = bytes_n(m, EAT_NONCE, TEE_REPORT_DATA);
    t->ueid = bytes_n(m, EAT_UEID, 33);
    t->runtime = bytes_n(m, TEE_CLAIM_RUNTIME, TEE_DIGEST);
    t->module = bytes_n(m, TEE_CLAIM_MODULE, TEE_DIGEST);
    t->config = bytes_n(m, TEE_CLAIM_CONFIG, TEE_DIGEST);
    v = av_cbor_get(m, TEE_CLAIM_ISOLATION);
    t->chain = av_cbor_get(m, TEE_CLAIM_DICE_CHAIN);
    if (t->nonce == NULL || t->ueid == NULL || t->runtime == NULL ||
        t->module == NULL || t->config == NULL || v == NULL ||
        !cbor_is_bool(v) || !av_cbor_text(m, TEE_CLAIM_TEE, t->tee,
                                          sizeof t->tee) ||
        !av_cbor_int(av_cbor_get(m, EAT_IAT), &t->iat) ||
        !av_cbor_int(av_cbor_get(m, EAT_DBGSTAT), &t->dbgstat) ||
        !av_cbor_int(av_cbor_get(m, TEE_CLAIM_DICE_MODE), &t->mode) ||
        t->chain == NULL || !cbor_isa_array(t->chain) ||
        !cbor_array_is_definite(t->chain) || cbor_array_size(t->chain) != 3)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "mantle evidence: a required claim is missing or has "
                       "the wrong type (nonce, ueid, iat, dbgstat, tee, "
                       "runtime, module, config, isolation, DICE mode, "
                       "DICE chain of 3)");
    t->isolation = cbor_get_bool(v);
    if ((v = av_cbor_get(m, TEE_CLAIM_PLATFORM)) != NULL) {
        if (!av_cbor_is_bytes(v))
            return av_fail(e, MANTLE_VERIFY_MALFORMED,
                           "mantle evidence: platform evidence is not a "
                           "byte string");
        t->platform = cbor_bytestring_handle(v);
        t->platform_len = cbor_bytestring_length(v);
    }
    if ((v = av_cbor_get(m, TEE_CLAIM_PLATFORM_AUX)) != NULL &&
        av_cbor_is_bytes(v)) {
        t->platform_aux = cbor_bytestring_handle(v);
        t->platform_aux_len = cbor_bytestring_length(v);
    }
    return MANTLE_VERIFY_OK;
}

/* An Ed25519 COSE_Key {1: 1 (OKP), -1: 6 (Ed25519), -2: x}, alg EdDSA if
 * given. */
static bool cose_key(const uint8_t *p, size_t n, uint8_t pub[TEE_PUB])
{
    cbor_item_t *k = av_cbor_load(p, n);
    int64_t kty, crv, alg = COSE_ALG_EDDSA;
    const uint8_t *x;
    bool ok;

    ok = k != NULL && cbor_isa_map(k) &&
         av_cbor_int(av_cbor_get(k, 1), &kty) && kty == 1 &&
         av_cbor_int(av_cbor_get(k, -1), &crv) && crv == 6 &&
         (av_cbor_get(k, 3) == NULL || av_cbor_int(av_cbor_get(k, 3), &alg)) &&
         alg == COSE_ALG_EDDSA && (x = bytes_n(k, -2, TEE_PUB)) != NULL;
    if (ok)
        memcpy(pub, x, TEE_PUB);
    if (k)
        cbor_decref(&k);
    return ok;
}

/* Check an EdDSA COSE_Sign1 with pub. */
static bool sign1_ok(const av_cose *c, const uint8_t pub[TEE_PUB])
{
    uint8_t *tbs = NULL;
    size_t n = 0;
    bool ok;

    ok = c->alg == COSE_ALG_EDDSA &&
         cbor_bytestring_length(c->signature) == TEE_SIG &&
         tee_cose_tbs(cbor_bytestring_handle(c->protected_),
                      cbor_bytestring_length(c->protected_),
                      cbor_bytestring_handle(c->payload),
                      cbor_bytestring_length(c->payload), &tbs, &n) == 0 &&
         tee_ed25519_verify(pub, tbs, n,
                            cbor_bytestring_handle(c->signature)) == 0;
    free(tbs);
    return ok;
}

/* The certificate id of a key in lower-case hex, as open-dice names
 * issuers and subjects. */
static bool id_hex(const uint8_t pub[TEE_PUB], char out[2 * TEE_ID + 1])
{
    uint8_t id[TEE_ID];

    if (dice_id(pub, id) != 0)
        return false;
    av_hex(id, TEE_ID, out);
    return true;
}

/* A 32-byte digest zero-extended to DICE's 64 bytes equals cert[k]. */
static bool digest64(const cbor_item_t *cert, int64_t k,
                     const uint8_t *want, size_t len)
{
    const uint8_t *v = bytes_n(cert, k, TEE_HASH);

    return v != NULL && CRYPTO_memcmp(v, want, len) == 0 &&
           av_is_zero(v + len, TEE_HASH - len);
}

/* One DICE certificate: signed by issuer_pub, names it as issuer, and
 * carries the expected code, configuration and mode. Its subject key into
 * subject_pub. */
static int dice_cert(const cbor_item_t *bstr, const char *what,
                     const uint8_t issuer_pub[TEE_PUB], const uint8_t *code,
                     const uint8_t *config, size_t config_len, int64_t mode,
                     uint8_t subject_pub[TEE_PUB], av_err *e)
{
    char label[64], want[2 * TEE_ID + 1], iss[64], sub[64];
    const uint8_t *m;
    av_cose c;
    int rc;

    snprintf(label, sizeof label, "mantle evidence: DICE %s certificate",
             what);
    if (!av_cbor_is_bytes(bstr))
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "%s: not a byte string",
                       label);
    if ((rc = av_cose_parse(cbor_bytestring_handle(bstr),
                            cbor_bytestring_length(bstr), label, &c, e)))
        return rc;
    if (!sign1_ok(&c, issuer_pub)) {
        rc = av_fail(e, MANTLE_VERIFY_CHAIN,
                     "%s: signature does not verify with the %s key", label,
                     strcmp(what, "runtime") == 0 ? "layer-0" : "runtime");
        goto out;
    }
    {
        cbor_item_t *k = av_cbor_get(c.claims, DICE_SUBJECT_KEY);
        if (!av_cbor_is_bytes(k) ||
            !cose_key(cbor_bytestring_handle(k), cbor_bytestring_length(k),
                      subject_pub)) {
            rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                         "%s: no Ed25519 subject key", label);
            goto out;
        }
    }
    if (!id_hex(issuer_pub, want) ||
        !av_cbor_text(c.claims, CWT_ISS, iss, sizeof iss) ||
        strcmp(iss, want) != 0 || !id_hex(subject_pub, want) ||
        !av_cbor_text(c.claims, CWT_SUB, sub, sizeof sub) ||
        strcmp(sub, want) != 0) {
        rc = av_fail(e, MANTLE_VERIFY_CHAIN,
                     "%s: issuer or subject is not the id of its key", label);
        goto out;
    }
    m = bytes_n(c.claims, DICE_MODE, 1);
    if (!digest64(c.claims, DICE_CODE_HASH, code, TEE_DIGEST) ||
        !digest64(c.claims, DICE_CONFIG_DESC, config, config_len) ||
        m == NULL || *m != mode) {
        rc = av_fail(e, MANTLE_VERIFY_BINDING,
                     "%s: code, configuration or mode differ from the "
                     "token's claims", label);
        goto out;
    }
    rc = MANTLE_VERIFY_OK;
out:
    av_cose_free(&c);
    return rc;
}

/* The trusted layer-0 key: an Ed25519 public key in PEM or DER
 * (SubjectPublicKeyInfo), or a COSE_Key. */
static int root_key(const mantle_blob *root, uint8_t pub[TEE_PUB], av_err *e)
{
    EVP_PKEY *k;
    size_t n = TEE_PUB;
    bool ok;

    if (cose_key(root->data, root->len, pub))
        return MANTLE_VERIFY_OK;
    k = av_pubkey_load(root->data, root->len);
    ok = k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 &&
         EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == TEE_PUB;
    EVP_PKEY_free(k);
    if (!ok)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "%s: not an Ed25519 public key (PEM, DER or COSE_Key)",
                       root->name ? root->name : "root");
    return MANTLE_VERIFY_OK;
}

/* The tee backend's TPM evidence (a CBOR map: attest, sig, ak, pcrs) in
 * the JSON form the TPM verifier reads. */
static char *tpm_json(const uint8_t *p, size_t n, av_err *e)
{
    static const char *const keys[] = {"attest", "sig", "ak", "pcrs"};
    cbor_item_t *m = av_cbor_load(p, n), *v[4] = {0};
    json_t *doc = NULL, *pcrs = NULL;
    char *out = NULL, *b64[3] = {0};
    size_t hlen = 0;

    for (size_t i = 0; m && cbor_isa_map(m) && i < cbor_map_size(m); i++) {
        struct cbor_pair *pr = &cbor_map_handle(m)[i];
        for (size_t k = 0; k < 4; k++)
            if (cbor_isa_string(pr->key) && cbor_string_is_definite(pr->key) &&
                cbor_string_length(pr->key) == strlen(keys[k]) &&
                memcmp(cbor_string_handle(pr->key), keys[k],
                       strlen(keys[k])) == 0)
                v[k] = pr->value;
    }
    if (!v[0] || !v[1] || !v[2] || !av_cbor_is_bytes(v[0]) ||
        !av_cbor_is_bytes(v[1]) || !av_cbor_is_bytes(v[2]) ||
        !v[3] || !cbor_isa_array(v[3]) || !cbor_array_is_definite(v[3]))
        goto bad;
    pcrs = json_array();
    doc = json_object();
    for (size_t k = 0; k < 3; k++) {
        size_t len = cbor_bytestring_length(v[k]);
        if ((b64[k] = malloc(4 * (len / 3 + 1) + 1)) == NULL)
            goto bad;
        EVP_EncodeBlock((unsigned char *)b64[k], cbor_bytestring_handle(v[k]),
                        (int)len);
    }
    /* PCR values by index, unquoted ones as zeros of the same size. */
    for (size_t i = 0; i < cbor_array_size(v[3]); i++) {
        cbor_item_t *pr = cbor_array_handle(v[3])[i];
        int64_t idx;
        char hex[129];
        if (!cbor_isa_array(pr) || cbor_array_size(pr) != 2 ||
            !av_cbor_int(cbor_array_handle(pr)[0], &idx) || idx < 0 ||
            idx >= 24 || !av_cbor_is_bytes(cbor_array_handle(pr)[1]) ||
            cbor_bytestring_length(cbor_array_handle(pr)[1]) > 64 ||
            (hlen && hlen != cbor_bytestring_length(cbor_array_handle(pr)[1])))
            goto bad;
        hlen = cbor_bytestring_length(cbor_array_handle(pr)[1]);
        while (json_array_size(pcrs) < (size_t)idx) {
            uint8_t zero[64] = {0};
            av_hex(zero, hlen, hex);
            json_array_append_new(pcrs, json_string(hex));
        }
        if (json_array_size(pcrs) != (size_t)idx)
            goto bad;  /* PCRs out of order or repeated */
        av_hex(cbor_bytestring_handle(cbor_array_handle(pr)[1]), hlen, hex);
        json_array_append_new(pcrs, json_string(hex));
    }
    json_object_set_new(doc, "tpm_quote",
                        json_pack("{s:s,s:s,s:o}", "message", b64[0],
                                  "signature", b64[1], "pcrs", pcrs));
    pcrs = NULL;  /* the quote object owns it now */
    json_object_set_new(doc, "ak_public", json_string(b64[2]));
    out = json_dumps(doc, JSON_COMPACT);
    goto done;
bad:
    av_fail(e, MANTLE_VERIFY_MALFORMED,
            "mantle evidence: TPM platform evidence is not a map of attest, "
            "sig, ak and pcrs");
done:
    json_decref(pcrs);
    for (size_t k = 0; k < 3; k++)
        free(b64[k]);
    json_decref(doc);
    if (m)
        cbor_decref(&m);
    return out;
}

/* Verify the platform evidence; its report data must be the binding. */
static int platform(const mantle_verify_input *in, const eat *t,
                    const uint8_t binding[64], mantle_claims *pc, av_err *e)
{
    mantle_verify_input sub = *in;
    char *json = NULL;
    uint8_t rd32[32];
    int rc;

    if (strcmp(t->tee, "sev-snp") == 0)
        sub.format = MANTLE_TEE_SNP;
    else if (strcmp(t->tee, "tdx") == 0)
        sub.format = MANTLE_TEE_TDX;
    else if (strcmp(t->tee, "cca") == 0)
        sub.format = MANTLE_TEE_CCA;
    else if (strcmp(t->tee, "tpm") == 0)
        sub.format = MANTLE_TEE_TPM;
    else
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "mantle evidence: platform evidence of TEE \"%s\"",
                       t->tee);
    sub.evidence = (mantle_blob){t->platform, t->platform_len,
                                 "platform evidence"};
    sub.report_data = binding;
    sub.report_data_len = 64;
    if (sub.format == MANTLE_TEE_TPM) {
        /* The evidence carries its AK, but a quote by a key nobody vouched
         * for proves nothing: the caller must name the trusted AK. */
        if (in->ncerts == 0)
            return av_fail(e, MANTLE_VERIFY_MISSING,
                           "mantle evidence: TPM platform evidence needs the "
                           "trusted attestation key (--cert)");
        /* A TPM quotes 32 bytes: SHA-256 of the binding (docs/tee.md). */
        if ((json = tpm_json(t->platform, t->platform_len, e)) == NULL)
            return e->reason;
        sub.evidence = (mantle_blob){(const uint8_t *)json, strlen(json),
                                     "TPM platform evidence"};
        av_digest(EVP_sha256(), binding, 64, rd32);
        sub.report_data = rd32;
        sub.report_data_len = 32;
    }
    switch (sub.format) {
    case MANTLE_TEE_SNP: rc = av_verify_snp(&sub, pc, e); break;
    case MANTLE_TEE_TDX: rc = av_verify_tdx(&sub, pc, e); break;
    case MANTLE_TEE_CCA: rc = av_verify_cca(&sub, pc, e); break;
    default: rc = av_verify_tpm(&sub, pc, e); break;
    }
    free(json);
    if (rc == MANTLE_VERIFY_REPORT_DATA) {
        char msg[sizeof e->message];
        snprintf(msg, sizeof msg, "%s", e->message);
        return av_fail(e, MANTLE_VERIFY_BINDING,
                       "mantle evidence: the platform's report data is not "
                       "the binding of this token's nonce, key and "
                       "measurements (%s)", msg);
    }
    return rc;
}

int av_verify_mantle(const mantle_verify_input *in, mantle_claims *out,
                     av_err *e)
{
    static const uint8_t runtime_config[14] = "mantle-runtime";
    uint8_t root[TEE_PUB], trusted[TEE_PUB], l1[TEE_PUB], l2[TEE_PUB];
    uint8_t ueid[33], binding[64], bind_in[13 + 64 + TEE_PUB + 3 * 32];
    const cbor_item_t *k0;
    mantle_claims c, pc;
    av_cose tok;
    eat t;
    int rc;

    if (in->evidence.len == 0)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED, "mantle evidence: empty");
    if (in->evidence.data[0] != 0xd2)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "mantle evidence: does not start with tag 18 "
                       "(COSE_Sign1, byte 0xd2)");
    if ((rc = av_cose_parse(in->evidence.data, in->evidence.len,
                            "mantle evidence", &tok, e)))
        return rc;
    if ((rc = read_claims(tok.claims, &t, e)))
        goto out;
    /* The DICE chain, from its own layer-0 key to the module key. */
    k0 = cbor_array_handle(t.chain)[0];
    if (!av_cbor_is_bytes(k0) ||
        !cose_key(cbor_bytestring_handle(k0), cbor_bytestring_length(k0),
                  root)) {
        rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                     "mantle evidence: DICE chain entry 0 is not an Ed25519 "
                     "COSE_Key");
        goto out;
    }
    if ((rc = dice_cert(cbor_array_handle(t.chain)[1], "runtime", root,
                        t.runtime, runtime_config, sizeof runtime_config,
                        t.mode, l1, e)) ||
        (rc = dice_cert(cbor_array_handle(t.chain)[2], "module", l1, t.module,
                        t.config, TEE_DIGEST, t.mode, l2, e)))
        goto out;
    if (!sign1_ok(&tok, l2)) {
        rc = av_fail(e, MANTLE_VERIFY_SIGNATURE,
                     "mantle evidence: token signature does not verify with "
                     "the module's DICE key");
        goto out;
    }
    ueid[0] = 0x01;
    av_digest(EVP_sha256(), root, TEE_PUB, ueid + 1);
    if (CRYPTO_memcmp(ueid, t.ueid, sizeof ueid) != 0) {
        rc = av_fail(e, MANTLE_VERIFY_BINDING,
                     "mantle evidence: ueid is not the layer-0 key's");
        goto out;
    }
    if (t.iat > in->time + CLOCK_SKEW) {
        rc = av_fail(e, MANTLE_VERIFY_EXPIRED,
                     "mantle evidence: issued at %lld, after the "
                     "verification time %lld",
                     (long long)t.iat, (long long)in->time);
        goto out;
    }
    /* The anchor. */
    av_claims_init(&c, MANTLE_TEE_MANTLE);
    if (t.platform == NULL) {
        if (strcmp(t.tee, "soft") != 0) {
            rc = av_fail(e, MANTLE_VERIFY_MISSING,
                         "mantle evidence: TEE \"%s\" without platform "
                         "evidence", t.tee);
            goto out;
        }
        if (in->root.data == NULL) {
            rc = av_fail(e, MANTLE_VERIFY_MISSING,
                         "mantle evidence: no trusted root: give --root, "
                         "the device's DICE root key (mantle evidence root)");
            goto out;
        }
        if ((rc = root_key(&in->root, trusted, e)))
            goto out;
        if (CRYPTO_memcmp(trusted, root, TEE_PUB) != 0) {
            rc = av_fail(e, MANTLE_VERIFY_CHAIN,
                         "mantle evidence: the DICE chain's layer-0 key is "
                         "not the trusted root %s",
                         in->root.name ? in->root.name : "");
            goto out;
        }
        c.debug = true;  /* no hardware: development evidence */
    } else {
        memcpy(bind_in, "mantle-eat-v1", 13);
        memcpy(bind_in + 13, t.nonce, 64);
        memcpy(bind_in + 77, l2, TEE_PUB);
        memcpy(bind_in + 77 + TEE_PUB, t.runtime, 32);
        memcpy(bind_in + 77 + TEE_PUB + 32, t.module, 32);
        memcpy(bind_in + 77 + TEE_PUB + 64, t.config, 32);
        av_digest(EVP_sha512(), bind_in, sizeof bind_in, binding);
        if ((rc = platform(in, &t, binding, &pc, e)))
            goto out;
        c.tee = pc.tee;
        c.debug = pc.debug;
        c.svn = pc.svn;
        c.tcb_len = pc.tcb_len;
        memcpy(c.tcb, pc.tcb, sizeof c.tcb);
        c.tcb_status = pc.tcb_status;
        av_claims_add(&c, "platform", pc.measurement, pc.measurement_len);
    }
    c.debug |= t.dbgstat == 0 || t.mode != TEE_MODE_NORMAL;
    c.version = 1;
    c.measurement_len = TEE_DIGEST;
    memcpy(c.measurement, t.runtime, TEE_DIGEST);
    c.report_data_len = TEE_REPORT_DATA;
    memcpy(c.report_data, t.nonce, TEE_REPORT_DATA);
    c.has_module_digest = true;
    memcpy(c.module_digest, t.module, TEE_DIGEST);
    av_claims_add(&c, "runtime", t.runtime, TEE_DIGEST);
    av_claims_add(&c, "config", t.config, TEE_DIGEST);
    av_claims_add(&c, "key", l2, TEE_PUB);
    av_claims_add(&c, "ueid", t.ueid, 33);
    {
        uint8_t iso = t.isolation, mode = (uint8_t)t.mode;
        av_claims_add(&c, "isolation", &iso, 1);
        av_claims_add(&c, "dice_mode", &mode, 1);
    }
    if ((rc = av_check_report_data(in, &c, e)))
        goto out;
    c.issued_at = t.iat;
    *out = c;
    rc = MANTLE_VERIFY_OK;
out:
    av_cose_free(&tok);
    return rc;
}
