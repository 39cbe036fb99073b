/* tee_tpm.c - the TPM backend against a software TPM (swtpm), driven by
 * tpm_test.sh, which starts and stops the TPM.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: tee_tpm TCTI STATE_DIR MODULE.wasm COUNTER_FILE before|after
 *   before: quotes verify (signature, nonce binding, PCR digest), the
 *           launch is measured into PCR 23, sealing round-trips across
 *           handles, the NV counter only goes up.
 *   after:  (tpm_test.sh extended PCR 7 in between) the sealed root is
 *           refused: no keys, no sealing, no evidence; the counter is still
 *           above what `before` saw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "mantle.h"
#include "tee/tee.h"

static int failures, checks;

#define CHECK(c)                                                             \
    do {                                                                     \
        checks++;                                                            \
        if (!(c)) {                                                          \
            failures++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);     \
        }                                                                    \
    } while (0)

static const cbor_item_t *get(const cbor_item_t *m, int64_t ikey, const char *skey)
{
    struct cbor_pair *p = cbor_map_handle(m);

    for (size_t i = 0; i < cbor_map_size(m); i++) {
        const cbor_item_t *k = p[i].key;

        if (skey && cbor_isa_string(k) && cbor_string_length(k) == strlen(skey) &&
            memcmp(cbor_string_handle(k), skey, strlen(skey)) == 0)
            return p[i].value;
        if (!skey && cbor_isa_negint(k) && -1 - (int64_t)cbor_get_int(k) == ikey)
            return p[i].value;
    }
    return NULL;
}

/* The platform evidence map of a token (claims are not re-verified here:
 * tee_unit does that); caller frees. */
static cbor_item_t *platform_of(const uint8_t *tok, size_t n)
{
    struct cbor_load_result r;
    cbor_item_t *a = cbor_load(tok + 1, n - 1, &r), *claims, *pe = NULL;
    const cbor_item_t *v;

    if (!a)
        return NULL;
    claims = cbor_load(cbor_bytestring_handle(cbor_array_handle(a)[2]),
                       cbor_bytestring_length(cbor_array_handle(a)[2]), &r);
    if (claims && (v = get(claims, TEE_CLAIM_PLATFORM, NULL)))
        pe = cbor_load(cbor_bytestring_handle(v), cbor_bytestring_length(v), &r);
    if (claims)
        cbor_decref(&claims);
    cbor_decref(&a);
    return pe;
}

/* Verify a TPM quote as a verifier would. Returns PCR 23's value. */
static int verify_quote(const cbor_item_t *pe, const uint8_t binding[64],
                        uint8_t out_pcr23[32], bool tamper)
{
    const cbor_item_t *att = get(pe, 0, "attest"), *sig = get(pe, 0, "sig");
    const cbor_item_t *ak = get(pe, 0, "ak"), *pcrs = get(pe, 0, "pcrs");
    TPMS_ATTEST a;
    TPMT_SIGNATURE s;
    size_t off = 0;
    uint8_t q[32], cat[64], digest[32], *att_bytes;
    const unsigned char *p;
    EVP_PKEY *key = NULL;
    ECDSA_SIG *es = NULL;
    unsigned char *der = NULL;
    EVP_MD_CTX *md = NULL;
    int derlen, ok = 0;
    size_t att_len;

    if (!att || !sig || !ak || !pcrs || cbor_array_size(pcrs) != 2)
        return 0;
    att_len = cbor_bytestring_length(att);
    att_bytes = malloc(att_len);
    memcpy(att_bytes, cbor_bytestring_handle(att), att_len);
    if (tamper)
        att_bytes[att_len - 1] ^= 1;
    if (Tss2_MU_TPMS_ATTEST_Unmarshal(att_bytes, att_len, &off, &a) != 0 ||
        a.magic != TPM2_GENERATED_VALUE || a.type != TPM2_ST_ATTEST_QUOTE)
        goto out;
    tee_sha256(binding, 64, q);
    if (a.extraData.size != 32 || memcmp(a.extraData.buffer, q, 32) != 0)
        goto out;
    /* pcrDigest = SHA-256(PCR 7 || PCR 23), in index order */
    for (int i = 0; i < 2; i++) {
        const cbor_item_t *e = cbor_array_handle(pcrs)[i];

        memcpy(cat + 32 * i, cbor_bytestring_handle(cbor_array_handle(e)[1]), 32);
    }
    tee_sha256(cat, 64, digest);
    if (a.attested.quote.pcrDigest.size != 32 ||
        memcmp(a.attested.quote.pcrDigest.buffer, digest, 32) != 0)
        goto out;
    memcpy(out_pcr23, cat + 32, 32);
    off = 0;
    if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(cbor_bytestring_handle(sig),
                                         cbor_bytestring_length(sig), &off, &s) != 0 ||
        s.sigAlg != TPM2_ALG_ECDSA)
        goto out;
    p = cbor_bytestring_handle(ak);
    key = d2i_PUBKEY(NULL, &p, (long)cbor_bytestring_length(ak));
    es = ECDSA_SIG_new();
    if (!key || !es ||
        !ECDSA_SIG_set0(es,
                        BN_bin2bn(s.signature.ecdsa.signatureR.buffer,
                                  s.signature.ecdsa.signatureR.size, NULL),
                        BN_bin2bn(s.signature.ecdsa.signatureS.buffer,
                                  s.signature.ecdsa.signatureS.size, NULL)) ||
        (derlen = i2d_ECDSA_SIG(es, &der)) <= 0)
        goto out;
    md = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
         EVP_DigestVerify(md, der, (size_t)derlen, att_bytes, att_len) == 1;
out:
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    EVP_PKEY_free(key);
    free(att_bytes);
    return ok;
}

/* The key broker appraises TPM-backed Mantle evidence with the trusted
 * attestation key given as its evidence input (`mantle broker serve
 * --evidence-cert`), and refuses it without: a full KBS round on the
 * broker's handler, the secret opened from its JWE. */
static void broker_round(mantle_tee *tee, mantle_module *module,
                         const mantle_blob *ak, const char *db)
{
    static const char pol[] = "{\"tee\":[\"tpm\"]}";
    mantle_broker *b = NULL;
    mantle_diag diag;

    remove(db);
    CHECK(mantle_broker_open(db, NULL, 0, NULL, 0, &b, &diag) == MANTLE_OK);
    if (!b)
        return;
    CHECK(mantle_broker_put(b, "app/key/tpm", (const uint8_t *)"tpm-secret",
                            10, pol, strlen(pol), &diag) == MANTLE_OK);
    for (int with_ak = 0; with_ak < 2; with_ak++) {
        const char *req = mantle_kbs_auth_request();
        mantle_broker_reply r, ra, rr;
        mantle_kbs_client *kc = NULL;
        uint8_t rd[64], *ev = NULL, *pt = NULL;
        size_t n = 0, ptn = 0;
        char *att = NULL;

        if (with_ak)
            CHECK(mantle_broker_set_evidence_inputs(b, ak, 1, NULL, 0,
                                                    &diag) == MANTLE_OK);
        mantle_broker_handle(b, "POST", "/kbs/v0/auth", NULL, NULL,
                             (const uint8_t *)req, strlen(req), 1800000000,
                             &r);
        CHECK(r.status == 200 && mantle_kbs_client_new(&kc, &diag) == MANTLE_OK);
        CHECK(kc && r.body &&
              mantle_kbs_client_challenge(kc, r.body, strlen(r.body), rd,
                                          &diag) == MANTLE_OK);
        CHECK(mantle_tee_evidence(tee, module, NULL, rd, &ev, &n, &diag) ==
              MANTLE_OK);
        CHECK(kc && ev &&
              mantle_kbs_client_attestation(kc, ev, n, &att, &diag) ==
                  MANTLE_OK);
        mantle_broker_handle(b, "POST", "/kbs/v0/attest", r.cookie, NULL,
                             (const uint8_t *)att, att ? strlen(att) : 0,
                             1800000001, &ra);
        if (!with_ak) {
            CHECK(ra.status == 401 && ra.body &&
                  strstr(ra.body, "missing input"));
        } else {
            CHECK(ra.status == 200);
            mantle_broker_handle(b, "GET", "/kbs/v0/resource/app/key/tpm",
                                 r.cookie, NULL, NULL, 0, 1800000002, &rr);
            CHECK(rr.status == 200 && rr.body &&
                  mantle_kbs_client_open(kc, rr.body, strlen(rr.body), &pt,
                                         &ptn, &diag) == MANTLE_OK &&
                  ptn == 10 && memcmp(pt, "tpm-secret", 10) == 0);
            if (rr.status != 200)
                fprintf(stderr, "broker: %d %s\n", rr.status, rr.body);
            free(pt);
            mantle_broker_reply_free(&rr);
        }
        if (ra.status != (with_ak ? 200 : 401))
            fprintf(stderr, "broker attest: %d %s\n", ra.status, ra.body);
        mantle_broker_reply_free(&ra);
        mantle_broker_reply_free(&r);
        mantle_tee_evidence_free(ev);
        free(att);
        mantle_kbs_client_free(kc);
    }
    mantle_broker_free(b);
}

int main(int argc, char **argv)
{
    char name[512];
    mantle_tee *tee = NULL, *tee2 = NULL;
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_linker *linker = NULL;
    mantle_diag diag;
    uint8_t nonce[64], *tok = NULL, binding[64], pcr_a[32], pcr_b[32];
    size_t n = 0;
    tee_module_keys k, k2;
    uint64_t c0 = 0, c1 = 0, c2 = 0, saved = 0;
    bool after;
    char db[4096];
    FILE *f;

    if (argc != 6) {
        fprintf(stderr, "usage: %s TCTI STATE MODULE COUNTER_FILE before|after\n",
                argv[0]);
        return 2;
    }
    after = strcmp(argv[5], "after") == 0;
    snprintf(name, sizeof name, "tpm:%s", argv[1]);
    memset(nonce, 0x5c, sizeof nonce);
    CHECK(mantle_engine_new(NULL, &engine) == MANTLE_OK);
    if (mantle_module_load(engine, argv[3], &module, &diag) != MANTLE_OK) {
        fprintf(stderr, "%s: %s\n", argv[3], diag.message);
        return 2;
    }
    if (mantle_tee_open(name, argv[2], &tee, &diag) != MANTLE_OK) {
        fprintf(stderr, "FAIL: open %s: %s\n", name, diag.message);
        return 1;
    }
    CHECK(strcmp(mantle_tee_backend(tee), "tpm") == 0);

    if (!after) {
        /* a quote that verifies and binds the nonce, key and measurements */
        CHECK(mantle_tee_evidence(tee, module, NULL, nonce, &tok, &n, &diag) ==
              MANTLE_OK);
        CHECK(tee_launch_keys(tee, module, NULL, &k, &diag) == MANTLE_OK);
        CHECK(tee_eat_binding(nonce, &k, binding) == 0);
        {
            cbor_item_t *pe = tok ? platform_of(tok, n) : NULL;

            CHECK(pe != NULL);
            if (pe) {
                CHECK(verify_quote(pe, binding, pcr_a, false));
                CHECK(!verify_quote(pe, binding, pcr_b, true));  /* tampered */
                binding[0] ^= 1;  /* another nonce */
                CHECK(!verify_quote(pe, binding, pcr_b, false));
                binding[0] ^= 1;
                /* the verifier: TPM-backed Mantle evidence, with the AK */
                {
                    const cbor_item_t *ak = get(pe, 0, "ak");
                    mantle_blob akb = {cbor_bytestring_handle(ak),
                                       cbor_bytestring_length(ak), "ak"};
                    mantle_verify_input in;
                    mantle_claims c;
                    mantle_verify_reason why = MANTLE_VERIFY_OK;

                    memset(&in, 0, sizeof in);
                    in.format = MANTLE_TEE_MANTLE;
                    in.evidence = (mantle_blob){tok, n, "tpm evidence"};
                    in.time = 4000000000;
                    in.report_data = nonce;
                    in.report_data_len = 64;
                    CHECK(mantle_verify(&in, &c, &why, &diag) == MANTLE_EREFUSED &&
                          why == MANTLE_VERIFY_MISSING);  /* no trusted AK */
                    in.certs = &akb;
                    in.ncerts = 1;
                    CHECK(mantle_verify(&in, &c, &why, &diag) == MANTLE_OK &&
                          c.tee == MANTLE_TEE_TPM && !c.debug &&
                          memcmp(c.report_data, nonce, 64) == 0);
                    tok[n - 1] ^= 1;  /* the token's signature */
                    CHECK(mantle_verify(&in, &c, &why, &diag) == MANTLE_EREFUSED &&
                          why == MANTLE_VERIFY_SIGNATURE);
                    tok[n - 1] ^= 1;
                    snprintf(db, sizeof db, "%s.broker.db", argv[4]);
                    broker_round(tee, module, &akb, db);
                    /* the trusted AK, for tpm_test.sh's broker */
                    snprintf(db, sizeof db, "%s.ak.der", argv[4]);
                    CHECK((f = fopen(db, "wb")) != NULL &&
                          fwrite(akb.data, 1, akb.len, f) == akb.len &&
                          fclose(f) == 0);
                }
                cbor_decref(&pe);
            }
        }
        mantle_tee_evidence_free(tok);
        tok = NULL;
        /* measured launch: defining the services extends PCR 23 */
        CHECK(mantle_linker_new(engine, &linker) == MANTLE_OK);
        CHECK(mantle_tee_define(tee, module, NULL, linker, &diag) == MANTLE_OK);
        CHECK(mantle_tee_evidence(tee, module, NULL, nonce, &tok, &n, &diag) ==
              MANTLE_OK);
        {
            cbor_item_t *pe = tok ? platform_of(tok, n) : NULL;

            CHECK(pe && verify_quote(pe, binding, pcr_b, false));
            CHECK(memcmp(pcr_a, pcr_b, 32) != 0);
            if (pe)
                cbor_decref(&pe);
        }
        mantle_tee_evidence_free(tok);
        /* the root unseals the same on another connection */
        CHECK(mantle_tee_open(name, argv[2], &tee2, &diag) == MANTLE_OK);
        CHECK(tee_launch_keys(tee2, module, NULL, &k2, &diag) == MANTLE_OK);
        CHECK(memcmp(k.seal_key, k2.seal_key, 32) == 0);
        {
            static const uint8_t msg[] = "sealed under PCR 7";
            uint8_t blob[sizeof msg + TEE_SEAL_OVERHEAD], back[sizeof msg];

            CHECK(tee_seal(k.seal_key, NULL, 0, msg, sizeof msg, blob) == 0);
            CHECK(tee_unseal(k2.seal_key, NULL, 0, blob, sizeof blob, back) == 0);
            CHECK(memcmp(back, msg, sizeof msg) == 0);
        }
        tee_module_keys_wipe(&k);
        tee_module_keys_wipe(&k2);
        /* the NV counter only goes up */
        CHECK(mantle_tee_counter(tee, false, &c0, &diag) == MANTLE_OK);
        CHECK(mantle_tee_counter(tee, true, &c1, &diag) == MANTLE_OK);
        CHECK(mantle_tee_counter(tee2, true, &c2, &diag) == MANTLE_OK);
        CHECK(c1 > c0 && c2 > c1);
        f = fopen(argv[4], "w");
        CHECK(f && fprintf(f, "%llu\n", (unsigned long long)c2) > 0);
        if (f)
            fclose(f);
    } else {
        /* PCR 7 changed: the TPM refuses the root; nothing can be derived */
        CHECK(tee_launch_keys(tee, module, NULL, &k, &diag) == MANTLE_EAUTH);
        CHECK(strstr(diag.message, "unseal") != NULL);
        tok = NULL;
        CHECK(mantle_tee_evidence(tee, module, NULL, nonce, &tok, &n, &diag) ==
              MANTLE_EAUTH && tok == NULL);
        CHECK(mantle_linker_new(engine, &linker) == MANTLE_OK);
        CHECK(mantle_tee_define(tee, module, NULL, linker, &diag) == MANTLE_EAUTH);
        f = fopen(argv[4], "r");
        unsigned long long sv = 0;
        CHECK(f && fscanf(f, "%llu", &sv) == 1);
        saved = sv;
        if (f)
            fclose(f);
        CHECK(mantle_tee_counter(tee, false, &c0, &diag) == MANTLE_OK);
        CHECK(mantle_tee_counter(tee, true, &c1, &diag) == MANTLE_OK);
        CHECK(c0 >= saved && c1 > c0);
    }
    mantle_linker_free(linker);
    mantle_tee_free(tee2);
    mantle_tee_free(tee);
    mantle_module_free(module);
    mantle_engine_free(engine);
    printf("tee_tpm %s: %d checks, %d failed\n", argv[5], checks, failures);
    return failures ? 1 : 0;
}
