/* kbs_client.c - the workload's side of the KBS protocol (broker.c): an
 * ephemeral P-256 key, the runtime data its evidence binds, the
 * attestation request, and opening the JWE the broker returns.
 * SPDX-License-Identifier: Apache-2.0
 *
 * No I/O here: the `mantle` program carries the requests (libcurl).
 *
 * Trustee mode (mantle_kbs_client_trustee) talks to a Trustee KBS as
 * guest-components' attester does: the platform's own evidence (tsm: an
 * SEV-SNP report or TDX quote; soft: Trustee's "sample") as KBS 0.4.0
 * composite evidence, bound to SHA-384 of the runtime data with
 * "additional-evidence": "" (trustee.c has the encodings).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "attest/kbs.h"
#include "tee/tee.h"

struct mantle_kbs_client {
    EVP_PKEY *key;        /* ephemeral: the broker encrypts to it */
    json_t *runtime;      /* {"nonce", "tee-pubkey"} once challenged */
    mantle_tee *tee;      /* Trustee mode: the platform, else NULL */
    mantle_tee_kind kind; /* ... its evidence (MANTLE_TEE_NONE: sample) */
    char auth[96];        /* the auth request for this client's tee */
    uint8_t rd[64];       /* the report data the evidence binds */
};

int mantle_kbs_client_new(mantle_kbs_client **out, mantle_diag *diag)
{
    mantle_kbs_client *c = calloc(1, sizeof *c);

    if (!c)
        return MANTLE_ENOMEM;
    if (!(c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"))) {
        free(c);
        return av_diag(diag, MANTLE_ENOMEM, "kbs: cannot make a P-256 key");
    }
    snprintf(c->auth, sizeof c->auth, "%s", mantle_kbs_auth_request());
    *out = c;
    return MANTLE_OK;
}

void mantle_kbs_client_free(mantle_kbs_client *c)
{
    if (!c)
        return;
    EVP_PKEY_free(c->key);
    json_decref(c->runtime);
    free(c);
}

const char *mantle_kbs_auth_request(void)
{
    return "{\"version\":\"" KBS_PROTOCOL_VERSION "\",\"tee\":\"" KBS_TEE
           "\",\"extra-params\":{}}";
}

const char *mantle_kbs_client_auth_request(const mantle_kbs_client *c)
{
    return c->auth;
}

int mantle_kbs_client_trustee(mantle_kbs_client *c, mantle_tee *tee,
                              mantle_diag *diag)
{
    const char *kind = tee ? tee->ops->kind(tee->b) : NULL;
    const char *name;

    if (!kind)
        return av_diag(diag, MANTLE_EINVAL, "kbs: no TEE");
    if (strcmp(kind, "sev-snp") == 0 && tee->ops->evidence) {
        c->kind = MANTLE_TEE_SNP;
        name = "snp";
    } else if (strcmp(kind, "tdx") == 0 && tee->ops->evidence) {
        c->kind = MANTLE_TEE_TDX;
        name = "tdx";
    } else if (strcmp(kind, "soft") == 0) {
        /* Trustee's sample verifier checks only the report data: no
         * hardware, no signature, like the soft backend. */
        c->kind = MANTLE_TEE_NONE;
        name = "sample";
    } else {
        return av_diag(diag, MANTLE_ENOTEE, "kbs: Trustee's encoding of %s "
                       "evidence is not supported (snp, tdx through tsm; "
                       "sample with soft)", kind);
    }
    c->tee = tee;
    snprintf(c->auth, sizeof c->auth, "{\"version\":\"" KBS_PROTOCOL_VERSION
             "\",\"tee\":\"%s\",\"extra-params\":{}}", name);
    return MANTLE_OK;
}

int mantle_kbs_client_challenge(mantle_kbs_client *c, const char *challenge,
                                size_t len, uint8_t out_report_data[64],
                                mantle_diag *diag)
{
    json_t *ch = json_loadb(challenge, len, 0, NULL), *rt, *jwk;
    const char *nonce = json_string_value(json_object_get(ch, "nonce"));
    int rc;

    if (!nonce || strlen(nonce) > 128) {
        json_decref(ch);
        return av_diag(diag, MANTLE_EREFUSED, "kbs: the challenge has no nonce");
    }
    jwk = jwe_jwk(c->key);
    /* Trustee's TeePubKey names the algorithm it is to encrypt with. */
    if (jwk && json_object_set_new(jwk, "alg", json_string(JWE_ALG)) != 0) {
        json_decref(jwk);
        jwk = NULL;
    }
    rt = jwk ? json_pack("{s:s,s:o}", "nonce", nonce, "tee-pubkey", jwk)
             : NULL;
    if (rt && c->tee) {
        /* Trustee's primary evidence binds the runtime data together with
         * the (here empty) additional device evidence. */
        json_t *bound = json_pack("{s:s,s:O,s:s}", "nonce", nonce,
                                  "tee-pubkey", json_object_get(rt,
                                                                "tee-pubkey"),
                                  "additional-evidence", "");
        bool ok = bound && kbs_runtime_digest(bound, c->rd);
        json_decref(bound);
        if (!ok) {
            json_decref(rt);
            rt = NULL;
        }
    }
    if (rt && (c->tee || kbs_runtime_digest(rt, c->rd))) {
        memcpy(out_report_data, c->rd, 64);
        json_decref(c->runtime);
        c->runtime = rt;
        rc = MANTLE_OK;
    } else {
        json_decref(rt);
        rc = av_diag(diag, MANTLE_ENOMEM, "kbs: runtime data");
    }
    json_decref(ch);
    return rc;
}

int mantle_kbs_client_attestation(mantle_kbs_client *c,
                                  const uint8_t *evidence, size_t len,
                                  char **out_json, mantle_diag *diag)
{
    char *ev = av_b64url(evidence, len);
    json_t *req;

    if (!c->runtime || !ev) {
        free(ev);
        return av_diag(diag, MANTLE_EINVAL, "kbs: no challenge answered yet");
    }
    req = json_pack("{s:O,s:s}", "runtime-data", c->runtime, "tee-evidence",
                    ev);
    free(ev);
    if (!req || !(*out_json = json_dumps(req, JSON_COMPACT))) {
        json_decref(req);
        return av_diag(diag, MANTLE_ENOMEM, "kbs: attestation request");
    }
    json_decref(req);
    return MANTLE_OK;
}

int mantle_kbs_client_trustee_attestation(mantle_kbs_client *c,
                                          char **out_json, mantle_diag *diag)
{
    tee_platform_evidence pe;
    json_t *primary = NULL, *req;
    char *rd64;
    int rc;

    if (!c->tee || !c->runtime)
        return av_diag(diag, MANTLE_EINVAL, "kbs: not in Trustee mode, or no "
                       "challenge answered yet");
    memset(&pe, 0, sizeof pe);
    if (c->kind == MANTLE_TEE_NONE) {
        /* Trustee's sample verifier compares report_data with the digest
         * itself (48 bytes), unpadded. */
        if ((rd64 = kbs_b64_std(c->rd, 48))) {
            primary = json_pack("{s:s,s:s}", "svn", "1", "report_data", rd64);
            free(rd64);
        }
    } else {
        if ((rc = c->tee->ops->evidence(c->tee->b, c->rd, &pe, diag)) !=
            MANTLE_OK)
            return rc;
        primary = kbs_trustee_encode(c->kind, pe.data, pe.size);
        free(pe.data);
        free(pe.aux);
        if (!primary)
            return av_diag(diag, MANTLE_ENOTEE, "kbs: the platform's %s "
                           "evidence does not fit Trustee's encoding",
                           mantle_tee_name(c->kind));
    }
    req = primary ? json_pack("{s:O,s:{s:o,s:s}}", "runtime-data", c->runtime,
                              "tee-evidence", "primary_evidence", primary,
                              "additional_evidence", "")
                  : NULL;
    if (!req || !(*out_json = json_dumps(req, JSON_COMPACT))) {
        json_decref(req);
        return av_diag(diag, MANTLE_ENOMEM, "kbs: attestation request");
    }
    json_decref(req);
    return MANTLE_OK;
}

int mantle_kbs_client_open(mantle_kbs_client *c, const char *jwe, size_t len,
                           uint8_t **out, size_t *out_len, mantle_diag *diag)
{
    char why[200];

    if (jwe_open(c->key, jwe, len, out, out_len, why, sizeof why) != 0)
        return av_diag(diag, MANTLE_EREFUSED, "%s", why);
    return MANTLE_OK;
}
