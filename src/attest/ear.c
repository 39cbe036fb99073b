/* ear.c - attestation results as signed EAR JWTs (draft-ietf-rats-ear).
 * SPDX-License-Identifier: Apache-2.0
 *
 * The payload carries the verdict ("ear.status"), an AR4SI trustworthiness
 * vector derived from the per-claim checks, the policy id and the verified
 * claims; it is signed as a compact JWS with ES256 or ES384 (RFC 7515,
 * RFC 7518 3.4: the signature is r || s, not DER).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "verify/av.h"

#define EAR_PROFILE "tag:github.com,2023:veraison/ear"

static const char *tier(mantle_ear_status s)
{
    switch (s) {
    case MANTLE_EAR_AFFIRMING: return "affirming";
    case MANTLE_EAR_WARNING: return "warning";
    case MANTLE_EAR_CONTRAINDICATED: return "contraindicated";
    case MANTLE_EAR_NONE: break;
    }
    return "none";
}

static json_t *hexv(const uint8_t *p, size_t n)
{
    char buf[129];

    av_hex(p, n > 64 ? 64 : n, buf);
    return json_string(buf);
}

/* Worst status of the checks on these claims (NONE if none ran). */
static mantle_ear_status of(const mantle_appraisal *a, const char *const *names)
{
    mantle_ear_status st = MANTLE_EAR_NONE;

    for (uint32_t i = 0; i < a->nchecks; i++)
        for (const char *const *n = names; *n; n++)
            if (strcmp(a->checks[i].claim, *n) == 0 && a->checks[i].status > st)
                st = a->checks[i].status;
    return st;
}

static json_t *payload(const mantle_claims *c, const mantle_appraisal *a,
                       int64_t iat)
{
    static const char *const hw[] = {"tee", "svn", "tcb", "tcb_status", NULL};
    static const char *const cfg[] = {"debug", NULL};
    static const char *const exe[] = {"measurement", "module", NULL};
    static const char *const inst[] = {"report_data", NULL};
    json_t *tv = json_object(), *claims = json_object(), *checks = json_object();
    json_t *sub = json_object(), *submods = json_object(), *root = json_object();
    json_t *vid = json_object(), *meas = json_object();

    json_object_set_new(tv, "hardware", json_integer(of(a, hw)));
    json_object_set_new(tv, "configuration", json_integer(of(a, cfg)));
    json_object_set_new(tv, "executables", json_integer(of(a, exe)));
    json_object_set_new(tv, "instance-identity", json_integer(of(a, inst)));
    json_object_set_new(claims, "tee", json_string(mantle_tee_name(c->tee)));
    json_object_set_new(claims, "version", json_integer(c->version));
    json_object_set_new(claims, "measurement",
                        hexv(c->measurement, c->measurement_len));
    json_object_set_new(claims, "report_data",
                        hexv(c->report_data, c->report_data_len));
    json_object_set_new(claims, "debug", json_boolean(c->debug));
    json_object_set_new(claims, "svn", json_integer(c->svn));
    json_object_set_new(claims, "tcb", hexv(c->tcb, c->tcb_len));
    json_object_set_new(claims, "tcb_status",
                        json_string(mantle_tcb_status_name(c->tcb_status)));
    if (c->has_module_digest)
        json_object_set_new(claims, "module_digest", hexv(c->module_digest, 32));
    for (uint32_t i = 0; i < c->nmeasurements; i++)
        json_object_set_new(meas, c->measurements[i].name,
                            hexv(c->measurements[i].value,
                                 c->measurements[i].len));
    json_object_set_new(claims, "measurements", meas);
    for (uint32_t i = 0; i < a->nchecks; i++)
        json_object_set_new(checks, a->checks[i].claim,
                            json_pack("{s:s,s:s}", "status",
                                      tier(a->checks[i].status), "detail",
                                      a->checks[i].detail));
    json_object_set_new(sub, "ear.status", json_string(tier(a->verdict)));
    json_object_set_new(sub, "ear.trustworthiness-vector", tv);
    json_object_set_new(sub, "ear.appraisal-policy-id",
                        json_string(a->policy_id[0] ? a->policy_id
                                                    : "policy:mantle"));
    json_object_set_new(sub, "mantle.claims", claims);
    json_object_set_new(sub, "mantle.checks", checks);
    if (a->reason != MANTLE_VERIFY_OK)
        json_object_set_new(sub, "mantle.reason",
                            json_string(mantle_verify_reason_name(a->reason)));
    json_object_set_new(submods, mantle_tee_name(c->tee), sub);
    json_object_set_new(vid, "developer", json_string("mantle"));
    json_object_set_new(vid, "build", json_string("mantle " MANTLE_VERSION));
    json_object_set_new(root, "eat_profile", json_string(EAR_PROFILE));
    json_object_set_new(root, "iat", json_integer(iat));
    json_object_set_new(root, "ear.verifier-id", vid);
    json_object_set_new(root, "submods", submods);
    return root;
}

/* ES256 for P-256 keys, ES384 for P-384; half = scalar bytes. */
static const char *alg_of(EVP_PKEY *key, const EVP_MD **md, size_t *half)
{
    char group[32];
    size_t n = 0;

    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        !EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &n))
        return NULL;
    if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
        *md = EVP_sha256();
        *half = 32;
        return "ES256";
    }
    if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
        *md = EVP_sha384();
        *half = 48;
        return "ES384";
    }
    return NULL;
}

int mantle_ear_sign(const mantle_claims *claims,
                    const mantle_appraisal *appraisal, int64_t iat,
                    const uint8_t *key_pem, size_t key_len, char *out,
                    size_t cap, mantle_diag *diag)
{
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = NULL;
    const EVP_MD *md;
    size_t half, siglen = 0;
    const char *alg;
    char hdr[64], *h64 = NULL, *p64 = NULL, *s64 = NULL, *body = NULL;
    char *input = NULL;
    unsigned char *der = NULL;
    const unsigned char *dp;
    ECDSA_SIG *sig = NULL;
    uint8_t rs[96];
    json_t *pl = NULL;
    int rc;
    BIO *bio;

    if (claims == NULL || appraisal == NULL || key_pem == NULL || out == NULL ||
        key_len > INT32_MAX)
        return av_diag(diag, MANTLE_EINVAL, "mantle_ear_sign: bad argument");
    if ((bio = BIO_new_mem_buf(key_pem, (int)key_len)) != NULL)
        key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL || (alg = alg_of(key, &md, &half)) == NULL) {
        rc = av_diag(diag, MANTLE_EINVAL,
                  "EAR key: not a P-256 or P-384 private key in PEM");
        goto out;
    }
    snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    pl = payload(claims, appraisal, iat);
    if (pl == NULL || (body = json_dumps(pl, JSON_COMPACT | JSON_SORT_KEYS)) ==
                          NULL ||
        (h64 = av_b64url((const uint8_t *)hdr, strlen(hdr))) == NULL ||
        (p64 = av_b64url((const uint8_t *)body, strlen(body))) == NULL ||
        (input = malloc(strlen(h64) + strlen(p64) + 2)) == NULL) {
        rc = av_diag(diag, MANTLE_ENOMEM, "out of memory");
        goto out;
    }
    sprintf(input, "%s.%s", h64, p64);
    if ((ctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input,
                       strlen(input)) != 1 ||
        (der = OPENSSL_malloc(siglen)) == NULL ||
        EVP_DigestSign(ctx, der, &siglen, (const unsigned char *)input,
                       strlen(input)) != 1 ||
        (dp = der, sig = d2i_ECDSA_SIG(NULL, &dp, (long)siglen)) == NULL ||
        BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, (int)half) != (int)half ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + half, (int)half) !=
            (int)half ||
        (s64 = av_b64url(rs, 2 * half)) == NULL) {
        rc = av_diag(diag, MANTLE_EINVAL, "EAR: signing failed");
        goto out;
    }
    if (strlen(input) + 1 + strlen(s64) + 1 > cap) {
        rc = av_diag(diag, MANTLE_ELIMIT, "EAR: output buffer too small");
        goto out;
    }
    sprintf(out, "%s.%s", input, s64);
    rc = MANTLE_OK;
out:
    ECDSA_SIG_free(sig);
    OPENSSL_free(der);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    json_decref(pl);
    free(body);
    free(h64);
    free(p64);
    free(s64);
    free(input);
    ERR_clear_error();
    return rc;
}

int mantle_ear_verify(const char *jwt, size_t len, const uint8_t *pub_pem,
                      size_t pub_len, char *out, size_t cap, mantle_diag *diag)
{
    const char *dot1, *dot2;
    uint8_t *hdr = NULL, *body = NULL, *sig = NULL;
    size_t hlen, blen, slen, half;
    EVP_PKEY *key = NULL;
    const EVP_MD *md;
    const char *alg;
    json_t *h = NULL;
    int rc;

    if (jwt == NULL || pub_pem == NULL || out == NULL)
        return av_diag(diag, MANTLE_EINVAL, "mantle_ear_verify: bad argument");
    if ((key = av_pubkey_load(pub_pem, pub_len)) == NULL ||
        (alg = alg_of(key, &md, &half)) == NULL) {
        rc = av_diag(diag, MANTLE_EINVAL, "EAR: not a P-256/P-384 public key");
        goto out;
    }
    if ((dot1 = memchr(jwt, '.', len)) == NULL ||
        (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt))) ==
            NULL ||
        !av_base64(jwt, (size_t)(dot1 - jwt), &hdr, &hlen) ||
        !av_base64(dot1 + 1, (size_t)(dot2 - dot1 - 1), &body, &blen) ||
        !av_base64(dot2 + 1, len - (size_t)(dot2 + 1 - jwt), &sig, &slen) ||
        (h = json_loadb((const char *)hdr, hlen, 0, NULL)) == NULL) {
        rc = av_diag(diag, MANTLE_EREFUSED, "EAR: not a compact JWS");
        goto out;
    }
    if (json_string_value(json_object_get(h, "alg")) == NULL ||
        strcmp(json_string_value(json_object_get(h, "alg")), alg) != 0 ||
        slen != 2 * half) {
        rc = av_diag(diag, MANTLE_EREFUSED, "EAR: algorithm is not the key's");
        goto out;
    }
    if (av_ecdsa_verify_rs(key, md, jwt, (size_t)(dot2 - jwt), sig, half) != 1) {
        rc = av_diag(diag, MANTLE_EREFUSED, "EAR: signature does not verify");
        goto out;
    }
    if (blen + 1 > cap) {
        rc = av_diag(diag, MANTLE_ELIMIT, "EAR: output buffer too small");
        goto out;
    }
    memcpy(out, body, blen);
    out[blen] = '\0';
    rc = MANTLE_OK;
out:
    json_decref(h);
    free(hdr);
    free(body);
    free(sig);
    EVP_PKEY_free(key);
    return rc;
}
