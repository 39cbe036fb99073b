/* evidence.c - a node's TEE facts from its attestation evidence.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A node says which TEE it has; the reconciler believes it only after
 * verifying evidence (mantle_verify: Mantle's EAT/DICE format, which wraps
 * the platform's own evidence on hardware backends, or a hardware family's
 * evidence directly) whose caller data is fleet_node_nonce(node id,
 * challenge). Binding the node id stops one node from presenting another's
 * evidence as its own; the challenge (fresh from the verifier) stops
 * replaying old evidence. Mantle evidence must be of the fleet's identity
 * module, the empty module: guest code can ask its TEE for evidence over
 * any nonce, but only for its own module, so a workload cannot forge a
 * node's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fleet_int.h"

/* The fleet's identity module: a Wasm module with no sections. */
static const uint8_t identity_module[8] = {0x00, 0x61, 0x73, 0x6d,
                                           0x01, 0x00, 0x00, 0x00};

static const char nonce_tag[] = "mantle-fleet-node-v1";

void fleet_node_nonce(const char *node_id, const uint8_t *challenge,
                      size_t challenge_len, uint8_t out[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned n = 0;
    uint8_t len[8];
    size_t idlen = node_id ? strlen(node_id) : 0;
    bool ok;

    /* tag || 0 || len64(id) || id || challenge: unambiguous. */
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)idlen >> (56 - 8 * i));
    ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) &&
         EVP_DigestUpdate(ctx, nonce_tag, sizeof nonce_tag) &&
         EVP_DigestUpdate(ctx, len, sizeof len) &&
         EVP_DigestUpdate(ctx, node_id ? node_id : "", idlen) &&
         (challenge_len == 0 ||
          EVP_DigestUpdate(ctx, challenge, challenge_len)) &&
         EVP_DigestFinal_ex(ctx, out, &n) && n == 64;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        memset(out, 0, 64);  /* binds nothing a verifier would accept */
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int fleet_node_evidence(mantle_tee *tee, const char *node_id,
                        const uint8_t *challenge, size_t challenge_len,
                        uint8_t **out_evidence, size_t *out_len, char *err,
                        size_t errlen)
{
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_tee_launch launch;
    mantle_diag diag;
    uint8_t nonce[64], *ev = NULL;
    size_t evn = 0;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (tee == NULL || out_evidence == NULL || out_len == NULL ||
        (challenge == NULL && challenge_len))
        return MANTLE_EINVAL;
    if (!fl_name_valid(node_id))
        return fail(err, errlen, MANTLE_EINVAL,
                    "node evidence: \"%s\" is not a node id",
                    node_id ? node_id : "");
    memset(&diag, 0, sizeof diag);
    memset(&launch, 0, sizeof launch);
    if ((rc = mantle_engine_new(NULL, &engine)) ||
        (rc = mantle_module_new(engine, identity_module,
                                sizeof identity_module, "fleet-node",
                                &module, &diag))) {
        fail(err, errlen, rc, "node evidence: identity module: %s",
             diag.message[0] ? diag.message : mantle_strerror(rc));
        goto out;
    }
    fleet_node_nonce(node_id, challenge, challenge_len, nonce);
    if ((rc = mantle_tee_evidence(tee, module, &launch, nonce, &ev, &evn,
                                  &diag))) {
        fail(err, errlen, rc, "node evidence: %s",
             diag.message[0] ? diag.message : mantle_strerror(rc));
        goto out;
    }
    /* The caller frees with free(): copy out of the TEE's allocation. */
    if ((*out_evidence = malloc(evn ? evn : 1)) == NULL) {
        rc = MANTLE_ENOMEM;
        goto out;
    }
    memcpy(*out_evidence, ev, evn);
    *out_len = evn;
    rc = MANTLE_OK;
out:
    mantle_tee_evidence_free(ev);
    mantle_module_free(module);
    mantle_engine_free(engine);
    return rc;
}

/* The fleet's name for a verified evidence kind: Mantle evidence without
 * platform evidence is the soft backend's. */
static const char *kind_name(mantle_tee_kind k)
{
    switch (k) {
    case MANTLE_TEE_MANTLE: return "soft";
    case MANTLE_TEE_SNP: return "snp";
    case MANTLE_TEE_TDX: return "tdx";
    case MANTLE_TEE_SGX: return "sgx";
    case MANTLE_TEE_CCA: return "cca";
    case MANTLE_TEE_TPM: return "tpm";
    case MANTLE_TEE_NONE:
    case MANTLE_TEE__COUNT: break;
    }
    return NULL;
}

/* A raw 32-byte Ed25519 root (as mantle_tee_root_key gives it) as DER
 * SubjectPublicKeyInfo, which the Mantle verifier reads; NULL otherwise. */
static uint8_t *raw_root_der(const mantle_blob *root, int *out_len)
{
    EVP_PKEY *k;
    uint8_t *der = NULL;

    if (root->data == NULL || root->len != 32)
        return NULL;
    k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, root->data, 32);
    if (k == NULL)
        return NULL;
    *out_len = i2d_PUBKEY(k, &der);
    EVP_PKEY_free(k);
    if (*out_len <= 0) {
        OPENSSL_free(der);
        return NULL;
    }
    return der;
}

int fleet_node_verify_tee(struct fleet_node *n, const uint8_t *evidence,
                          size_t len, const struct fleet_verify_opts *o,
                          char *why, size_t whylen)
{
    mantle_verify_input in;
    mantle_verify_reason reason = MANTLE_VERIFY_OK;
    mantle_claims claims;
    mantle_diag diag;
    uint8_t nonce[64], md[32];
    uint8_t *der = NULL;
    int derlen = 0, rc;
    const char *kind, *id;
    char digest[FLEET_DIGEST_LEN + 1], *tee;

    if (why && whylen)
        why[0] = '\0';
    if (n == NULL || o == NULL || evidence == NULL || len == 0 ||
        (o->challenge == NULL && o->challenge_len))
        return fail(why, whylen, MANTLE_EINVAL, "bad arguments");
    n->tee_verified = false;
    id = n->id;
    if (!fl_name_valid(id))
        return fail(why, whylen, MANTLE_EINVAL, "\"%s\" is not a node id",
                    id ? id : "");
    fleet_node_nonce(id, o->challenge, o->challenge_len, nonce);
    memset(&in, 0, sizeof in);
    in.format = o->format == MANTLE_TEE_NONE ? MANTLE_TEE_MANTLE : o->format;
    in.evidence = (mantle_blob){evidence, len, "node evidence"};
    in.certs = o->certs;
    in.ncerts = o->ncerts;
    in.root = o->root;
    if (in.format == MANTLE_TEE_MANTLE &&
        (der = raw_root_der(&o->root, &derlen)) != NULL)
        in.root = (mantle_blob){der, (size_t)derlen,
                                o->root.name ? o->root.name : "root key"};
    in.collateral = o->collateral;
    in.ncollateral = o->ncollateral;
    in.time = o->time;
    /* Every family checks its caller data against this prefix (for SNP
     * and TDX the whole 64 bytes; SGX report data is 64 bytes too). */
    in.report_data = nonce;
    in.report_data_len = sizeof nonce;
    memset(&diag, 0, sizeof diag);
    rc = mantle_verify(&in, &claims, &reason, &diag);
    OPENSSL_free(der);
    if (rc) {
        if (reason == MANTLE_VERIFY_REPORT_DATA)
            return fail(why, whylen, rc,
                        "%s: evidence made for another node or challenge "
                        "(%s)", id, diag.message);
        return fail(why, whylen, rc, "%s: %s: %s", id,
                    mantle_verify_reason_name(reason),
                    diag.message[0] ? diag.message : mantle_strerror(rc));
    }
    if (in.format == MANTLE_TEE_MANTLE) {
        EVP_Digest(identity_module, sizeof identity_module, md, NULL,
                   EVP_sha256(), NULL);
        if (!claims.has_module_digest ||
            CRYPTO_memcmp(claims.module_digest, md, sizeof md) != 0)
            return fail(why, whylen, MANTLE_EREFUSED,
                        "%s: binding: evidence of a workload module, not of "
                        "the node (fleet_node_evidence)", id);
    }
    if ((kind = kind_name(claims.tee)) == NULL)
        return fail(why, whylen, MANTLE_EREFUSED,
                    "%s: unsupported: evidence of TEE %s", id,
                    mantle_tee_name(claims.tee));
    if ((rc = fleet_digest(evidence, len, digest)))
        return rc;
    if ((tee = strdup(kind)) == NULL)
        return MANTLE_ENOMEM;
    free(n->tee);
    n->tee = tee;
    n->debug = claims.debug;
    n->tee_verified = true;
    memcpy(n->evidence_digest, digest, sizeof digest);
    fail(why, whylen, MANTLE_OK, "%s: verified %s evidence%s", id, kind,
         claims.debug ? " (debug)" : "");
    return MANTLE_OK;
}
