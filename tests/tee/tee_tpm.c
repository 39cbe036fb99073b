/* tee_tpm.c - the TPM backend against a software TPM (swtpm), driven by
 * tpm_test.sh, which starts and stops the TPM.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: tee_tpm TCTI STATE_DIR MODULE.wasm COUNTER_FILE before|after
 *   before: quotes verify (signature, nonce binding, PCR digest), the
 *           launch is measured into PCR 23, sealing round-trips across
 *           handles, the NV counter only goes up; module counters are
 *           separate and a rolled-back counter table is caught by the TPM;
 *           EK credential activation: a credential made (by the verifier's
 *           side, here TPM2_MakeCredential on its own connection) for this
 *           EK and AK is recovered, one for another key name or tampered
 *           is refused.
 *   after:  (tpm_test.sh extended PCR 7 in between) the sealed root is
 *           refused: no keys, no sealing, no evidence, no counters (their
 *           table's key comes from the root); the NV counter is still
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
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

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

#define CHECK_MSG(c, ...)                                                    \
    do {                                                                     \
        checks++;                                                            \
        if (!(c)) {                                                          \
            failures++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #c);     \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
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

/* The verifier's half of credential activation on its own connection:
 * load the EK's public part, TPM2_MakeCredential(credential, name), the
 * outputs marshalled. */
static bool make_credential(const char *tcti_conf, const uint8_t *ek,
                            size_t ek_size, const uint8_t *name,
                            size_t name_size, const uint8_t cred[32],
                            uint8_t *blob, size_t *blob_size, uint8_t *secret,
                            size_t *secret_size)
{
    TSS2_TCTI_CONTEXT *tcti = NULL;
    ESYS_CONTEXT *esys = NULL;
    ESYS_TR h = ESYS_TR_NONE;
    TPM2B_PUBLIC pub;
    TPM2B_DIGEST c = {.size = 32};
    TPM2B_NAME n = {.size = (UINT16)name_size};
    TPM2B_ID_OBJECT *id = NULL;
    TPM2B_ENCRYPTED_SECRET *enc = NULL;
    size_t off = 0, b = 0, s = 0;
    bool ok = false;

    memset(&pub, 0, sizeof pub);
    memcpy(c.buffer, cred, 32);
    memcpy(n.name, name, name_size);
    if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(ek, ek_size, &off, &pub) != 0 ||
        off != ek_size || Tss2_TctiLdr_Initialize(tcti_conf, &tcti) != 0 ||
        Esys_Initialize(&esys, tcti, NULL) != 0 ||
        Esys_LoadExternal(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
                          &pub, ESYS_TR_RH_NULL, &h) != 0 ||
        Esys_MakeCredential(esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                            &c, &n, &id, &enc) != 0 ||
        Tss2_MU_TPM2B_ID_OBJECT_Marshal(id, blob, 512, &b) != 0 ||
        Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(enc, secret, 512, &s) != 0)
        goto out;
    *blob_size = b;
    *secret_size = s;
    ok = true;
out:
    Esys_Free(id);
    Esys_Free(enc);
    if (h != ESYS_TR_NONE)
        Esys_FlushContext(esys, h);
    if (esys)
        Esys_Finalize(&esys);
    if (tcti)
        Tss2_TctiLdr_Finalize(&tcti);
    return ok;
}

static void test_ek_activation(mantle_tee *tee, const char *tcti_conf)
{
    mantle_diag diag;
    uint8_t *ek = NULL, name[TEE_TPM_NAME], cred[32], got[TEE_TPM_CREDENTIAL];
    uint8_t blob[512], secret[512];
    size_t ek_size = 0, name_size = 0, blob_size = 0, secret_size = 0;
    size_t got_size = 0;
    uint8_t *ek2 = NULL, name2[TEE_TPM_NAME];
    size_t ek2_size = 0, name2_size = 0;

    CHECK(tee_tpm_ek(tee, &ek, &ek_size, name, &name_size, &diag) == MANTLE_OK);
    if (!ek)
        return;
    CHECK(name_size == TEE_TPM_NAME && name[0] == 0x00 && name[1] == 0x0b);
    /* the EK is a primary: the same key every time */
    CHECK(tee_tpm_ek(tee, &ek2, &ek2_size, name2, &name2_size, &diag) == MANTLE_OK);
    CHECK(ek2 && ek2_size == ek_size && memcmp(ek, ek2, ek_size) == 0 &&
          memcmp(name, name2, name_size) == 0);
    free(ek2);
    for (int i = 0; i < 32; i++)
        cred[i] = (uint8_t)(0xc0 + i);
    CHECK(make_credential(tcti_conf, ek, ek_size, name, name_size, cred, blob,
                          &blob_size, secret, &secret_size));
    CHECK_MSG(tee_tpm_activate(tee, blob, blob_size, secret, secret_size, got,
                               &got_size, &diag) == MANTLE_OK,
              "activate: %s", diag.message);
    CHECK(got_size == 32 && memcmp(got, cred, 32) == 0);
    /* made for another key's name: refused, output untouched */
    name[TEE_TPM_NAME - 1] ^= 1;
    CHECK(make_credential(tcti_conf, ek, ek_size, name, name_size, cred, blob,
                          &blob_size, secret, &secret_size));
    memset(got, 0x44, sizeof got);
    CHECK(tee_tpm_activate(tee, blob, blob_size, secret, secret_size, got,
                           &got_size, &diag) == MANTLE_EAUTH);
    CHECK(got[0] == 0x44 && got[31] == 0x44);
    name[TEE_TPM_NAME - 1] ^= 1;
    /* tampered blob; malformed input */
    CHECK(make_credential(tcti_conf, ek, ek_size, name, name_size, cred, blob,
                          &blob_size, secret, &secret_size));
    blob[blob_size - 1] ^= 1;
    CHECK(tee_tpm_activate(tee, blob, blob_size, secret, secret_size, got,
                           &got_size, &diag) == MANTLE_EAUTH);
    CHECK(tee_tpm_activate(tee, blob, blob_size - 1, secret, secret_size, got,
                           &got_size, &diag) == MANTLE_EINVAL);
    CHECK(tee_tpm_activate(tee, blob, 1, secret, 1, got, &got_size, &diag) ==
          MANTLE_EINVAL);
    free(ek);
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
            /* ... naming the broker's flag for the AK, not verify's. */
            CHECK(ra.status == 401 && ra.body &&
                  strstr(ra.body, "missing input") &&
                  strstr(ra.body, "(--evidence-cert)") &&
                  !strstr(ra.body, "(--cert)"));
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
        test_ek_activation(tee, argv[1]);
        /* the NV counter only goes up */
        CHECK(mantle_tee_counter(tee, false, &c0, &diag) == MANTLE_OK);
        CHECK(mantle_tee_counter(tee, true, &c1, &diag) == MANTLE_OK);
        CHECK(mantle_tee_counter(tee2, true, &c2, &diag) == MANTLE_OK);
        CHECK(c1 > c0 && c2 > c1);
        /* module counters share the table anchored in the NV counter; a
         * state directory rolled back to an older table is refused */
        {
            uint8_t uds[32], a[32], *old = NULL, *cur = NULL;
            size_t old_n = 0, cur_n = 0;
            uint64_t v = 0, hw0 = 0, hw1 = 0;

            memset(a, 0xa1, sizeof a);
            CHECK(tee->ops->seal_root(tee->b, uds, &diag) == MANTLE_OK);
            CHECK(tee_counter(tee, uds, a, true, &v, &diag) == MANTLE_OK && v == 1);
            CHECK(tee_state_read(argv[2], "counters", &old, &old_n, &diag) ==
                  MANTLE_OK);
            CHECK(tee->ops->counter(tee->b, false, &hw0, &diag) == MANTLE_OK);
            CHECK(tee_counter(tee2, uds, a, true, &v, &diag) == MANTLE_OK && v == 2);
            CHECK(tee->ops->counter(tee->b, false, &hw1, &diag) == MANTLE_OK);
            CHECK(hw1 == hw0 + 1);  /* one NV increment per increment */
            CHECK(tee_state_read(argv[2], "counters", &cur, &cur_n, &diag) ==
                  MANTLE_OK);
            CHECK(old && tee_state_write(argv[2], "counters", old, old_n,
                                         &diag) == MANTLE_OK);
            CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_EAUTH);
            CHECK(mantle_tee_counter(tee, false, &v, &diag) == MANTLE_EAUTH);
            CHECK(cur && tee_state_write(argv[2], "counters", cur, cur_n,
                                         &diag) == MANTLE_OK);
            CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_OK && v == 2);
            CHECK(mantle_tee_counter(tee, true, &c2, &diag) == MANTLE_OK);
            tee_wipe(uds, sizeof uds);
            free(old);
            free(cur);
        }
        CHECK(tee->ops->counter(tee->b, false, &c2, &diag) == MANTLE_OK);
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
        /* the counter table needs the root: refused; the NV counter itself
         * kept its value */
        CHECK(mantle_tee_counter(tee, false, &c0, &diag) == MANTLE_EAUTH);
        CHECK(tee->ops->counter(tee->b, false, &c0, &diag) == MANTLE_OK);
        CHECK(c0 == saved);
    }
    mantle_linker_free(linker);
    mantle_tee_free(tee2);
    mantle_tee_free(tee);
    mantle_module_free(module);
    mantle_engine_free(engine);
    printf("tee_tpm %s: %d checks, %d failed\n", argv[5], checks, failures);
    return failures ? 1 : 0;
}
