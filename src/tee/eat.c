/* eat.c - evidence: an Entity Attestation Token (RFC 9711) in CBOR, signed
 * as a tagged COSE_Sign1 (RFC 9052) by the module's attestation key.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Claims (docs/tee.md): eat_profile (265), eat_nonce (10, the 64 bytes of
 * caller data), iat (6), ueid (256), dbgstat (262), swname (271), and
 * private claims -70000.. for the TEE kind, the SHA-256 measurements of
 * runtime, module and launch configuration, isolation, the DICE chain
 * [layer-0 COSE_Key, layer-1 cert, layer-2 cert], the same chain in X.509,
 * and the platform's own
 * evidence, whose report data is tee_eat_binding() so that the platform
 * vouches for exactly this nonce, key and these measurements.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/crypto.h>

#include "platform/os_fs.h"
#include "tee/tee.h"
#include "tee/tee_cbor.h"

/* RFC 9711 claim keys. */
enum {
    EAT_IAT = 6,
    EAT_NONCE = 10,
    EAT_UEID = 256,
    EAT_DBGSTAT = 262,
    EAT_PROFILE = 265,
    EAT_SWNAME = 271,
};

int tee_eat_binding(const uint8_t nonce[TEE_REPORT_DATA],
                    const tee_module_keys *k, uint8_t out[64])
{
    uint8_t buf[13 + TEE_REPORT_DATA + TEE_PUB + 3 * TEE_DIGEST], *p = buf;

    memcpy(p, "mantle-eat-v1", 13), p += 13;
    memcpy(p, nonce, TEE_REPORT_DATA), p += TEE_REPORT_DATA;
    memcpy(p, k->attest_pub, TEE_PUB), p += TEE_PUB;
    memcpy(p, k->runtime_digest, TEE_DIGEST), p += TEE_DIGEST;
    memcpy(p, k->module_digest, TEE_DIGEST), p += TEE_DIGEST;
    memcpy(p, k->config_digest, TEE_DIGEST);
    return tee_sha512(buf, sizeof buf, out);
}

/* The DICE chain twice: in CBOR [layer-0 COSE_Key, cert(layer 1 by layer 0),
 * cert(layer 2 by layer 1)] and in X.509 [self-signed layer-0 cert, layer-1
 * cert, layer-2 cert] (same keys, same inputs), and the ueid (RAND type,
 * SHA-256 of the layer-0 public key). */
static bool dice_chains(const tee_module_keys *k, cbor_item_t **out_cbor,
                        cbor_item_t **out_x509, uint8_t ueid[33])
{
    uint8_t s0[TEE_SEED], p0[TEE_PUB], s1[TEE_SEED], p1[TEE_PUB], key[64];
    uint8_t *c[3] = {NULL, NULL, NULL}, *x[3] = {NULL, NULL, NULL};
    size_t n[3] = {0, 0, 0}, xn[3] = {0, 0, 0};
    dice_inputs in;
    cbor_item_t *a = NULL, *b = NULL;
    bool ok = false;

    if (dice_keypair(k->uds, s0, p0) != 0 ||
        dice_keypair(k->l1_attest, s1, p1) != 0 ||
        dice_x509_root(s0, &x[0], &xn[0]) != 0)
        goto out;
    tee_layer1_inputs(k->runtime_digest, k->mode, &in);
    if (dice_cbor_cert(s1, s0, &in, NULL, &c[1], &n[1]) != 0 ||
        dice_x509_cert(s1, s0, &in, &x[1], &xn[1]) != 0)
        goto out;
    tee_layer2_inputs(k->module_digest, k->config_digest, k->mode, &in);
    if (dice_cbor_cert(k->attest_seed, s1, &in, NULL, &c[2], &n[2]) != 0 ||
        dice_x509_cert(k->attest_seed, s1, &in, &x[2], &xn[2]) != 0)
        goto out;
    ueid[0] = 0x01;
    if (tee_sha256(p0, TEE_PUB, ueid + 1) != 0)
        goto out;
    n[0] = dice_cose_key(p0, key);
    a = cbor_new_definite_array(3);
    b = cbor_new_definite_array(3);
    ok = a && b && tee_cbor_push(a, tee_cbor_bytes(key, n[0]));
    for (int i = 0; ok && i < 3; i++)
        ok = (i == 0 || tee_cbor_push(a, tee_cbor_bytes(c[i], n[i]))) &&
             tee_cbor_push(b, tee_cbor_bytes(x[i], xn[i]));
out:
    if (!ok && a)
        cbor_decref(&a);
    if (!ok && b)
        cbor_decref(&b);
    *out_cbor = ok ? a : NULL;
    *out_x509 = ok ? b : NULL;
    OPENSSL_cleanse(s0, sizeof s0);
    OPENSSL_cleanse(s1, sizeof s1);
    OPENSSL_cleanse(&in, sizeof in);
    for (int i = 0; i < 3; i++) {
        free(c[i]);
        free(x[i]);
    }
    return ok;
}

int tee_eat_build(mantle_tee *tee, const tee_module_keys *k,
                  const uint8_t nonce[TEE_REPORT_DATA], uint8_t **out,
                  size_t *out_size, mantle_diag *diag)
{
    static const uint8_t prot[] = {0xa1, 0x01, 0x27}; /* {1: -8 (EdDSA)} */
    tee_platform_evidence pe;
    uint8_t binding[64], ueid[33] = {0}, sig[TEE_SIG];
    uint8_t *pl = NULL, *tbs = NULL;
    size_t pl_size = 0, tbs_size = 0;
    cbor_item_t *m = NULL, *chain, *x509, *sign1 = NULL, *tagged = NULL;
    uint64_t now = 0;
    unsigned caps = tee->ops->caps(tee->b);
    int dbgstat = 0; /* 0: debug enabled (soft); else the platform's */
    int rc = MANTLE_ENOMEM;
    bool ok;

    memset(&pe, 0, sizeof pe);
    if (tee_eat_binding(nonce, k, binding) != 0)
        return tee_fail(diag, MANTLE_ENOTEE, "tee: evidence: hashing failed");
    if (tee->ops->evidence && (caps & TEE_CAP_EVIDENCE)) {
        if ((rc = tee->ops->evidence(tee->b, binding, &pe, diag)) != MANTLE_OK)
            return rc;
        dbgstat = pe.dbgstat;
    }
    dice_chains(k, &chain, &x509, ueid);
    os_fs_clock_time(0, &now);
    m = cbor_new_definite_map(14 + (pe.data != NULL) + (pe.aux != NULL));
    ok = m &&
         tee_cbor_put(m, tee_cbor_int(EAT_PROFILE),
                      cbor_build_string(TEE_EAT_PROFILE)) &&
         tee_cbor_put(m, tee_cbor_int(EAT_NONCE),
                      tee_cbor_bytes(nonce, TEE_REPORT_DATA)) &&
         tee_cbor_put(m, tee_cbor_int(EAT_IAT),
                      tee_cbor_int((int64_t)(now / 1000000000u))) &&
         tee_cbor_put(m, tee_cbor_int(EAT_UEID), tee_cbor_bytes(ueid, 33)) &&
         tee_cbor_put(m, tee_cbor_int(EAT_DBGSTAT), tee_cbor_int(dbgstat)) &&
         tee_cbor_put(m, tee_cbor_int(EAT_SWNAME),
                      cbor_build_string("mantle " MANTLE_VERSION)) &&
         tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_TEE),
                      cbor_build_string(tee->ops->kind(tee->b))) &&
         tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_RUNTIME),
                      tee_cbor_bytes(k->runtime_digest, TEE_DIGEST)) &&
         tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_MODULE),
                      tee_cbor_bytes(k->module_digest, TEE_DIGEST)) &&
         tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_CONFIG),
                      tee_cbor_bytes(k->config_digest, TEE_DIGEST)) &&
         tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_ISOLATION),
                      cbor_build_bool((caps & TEE_CAP_ISOLATION) != 0)) &&
         tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_DICE_MODE),
                      tee_cbor_int(k->mode));
    /* always handed over: tee_cbor_put consumes its value either way */
    ok = tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_DICE_CHAIN), chain) && ok;
    ok = tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_DICE_X509), x509) && ok;
    chain = x509 = NULL;
    if (ok && pe.data)
        ok = tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_PLATFORM),
                          tee_cbor_bytes(pe.data, pe.size));
    if (ok && pe.aux)
        ok = tee_cbor_put(m, tee_cbor_int(TEE_CLAIM_PLATFORM_AUX),
                          tee_cbor_bytes(pe.aux, pe.aux_size));
    ok = ok && tee_cbor_serialize(m, &pl, &pl_size) == 0 &&
         tee_cose_tbs(prot, sizeof prot, pl, pl_size, &tbs, &tbs_size) == 0;
    if (ok && tee_ed25519_sign(k->attest_seed, tbs, tbs_size, sig) != 0) {
        rc = tee_fail(diag, MANTLE_ENOTEE, "tee: evidence: signing failed");
        goto out;
    }
    if (ok) {
        sign1 = cbor_new_definite_array(4);
        ok = sign1 && tee_cbor_push(sign1, tee_cbor_bytes(prot, sizeof prot)) &&
             tee_cbor_push(sign1, cbor_new_definite_map(0)) &&
             tee_cbor_push(sign1, tee_cbor_bytes(pl, pl_size)) &&
             tee_cbor_push(sign1, tee_cbor_bytes(sig, sizeof sig));
        tagged = ok ? cbor_build_tag(18, sign1) : NULL; /* COSE_Sign1 */
        ok = tagged && tee_cbor_serialize(tagged, out, out_size) == 0;
    }
    rc = ok ? MANTLE_OK
            : tee_fail(diag, MANTLE_ENOMEM, "tee: evidence: out of memory");
out:
    if (m)
        cbor_decref(&m);
    if (sign1)
        cbor_decref(&sign1);
    if (tagged)
        cbor_decref(&tagged);
    free(pl);
    free(tbs);
    free(pe.data);
    free(pe.aux);
    return rc;
}
