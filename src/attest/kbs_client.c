/* kbs_client.c - the workload's side of the KBS protocol (broker.c): an
 * ephemeral P-256 key, the runtime data its evidence binds, the
 * attestation request, and opening the JWE the broker returns.
 * SPDX-License-Identifier: Apache-2.0
 *
 * No I/O here: the `mantle` program carries the requests (libcurl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "attest/kbs.h"

struct mantle_kbs_client {
    EVP_PKEY *key;        /* ephemeral: the broker encrypts to it */
    json_t *runtime;      /* {"nonce", "tee-pubkey"} once challenged */
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
    if (rt && kbs_runtime_digest(rt, out_report_data)) {
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

int mantle_kbs_client_open(mantle_kbs_client *c, const char *jwe, size_t len,
                           uint8_t **out, size_t *out_len, mantle_diag *diag)
{
    char why[200];

    if (jwe_open(c->key, jwe, len, out, out_len, why, sizeof why) != 0)
        return av_diag(diag, MANTLE_EREFUSED, "%s", why);
    return MANTLE_OK;
}
