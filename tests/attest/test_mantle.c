/* test_mantle.c - Mantle's own EAT/DICE evidence: produced fresh by the soft
 * backend, verified, appraised, and refused for the right reason after
 * every kind of tampering.
 * SPDX-License-Identifier: Apache-2.0
 *
 * argv: testvectors work-dir module.wasm. Tampered claims are re-signed
 * with the module's real attestation key (derived through the TEE layer),
 * so the refusals below come from the DICE certificates binding the claims,
 * not merely from a broken token signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "av_cbor.h"
#include "tee/tee.h"
#include "tee/tee_cbor.h"
#include "tv.h"

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)len + 1)) ||
        fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(1);
    }
    fclose(f);
    *n = (size_t)len;
    return buf;
}

typedef struct token {
    uint8_t *data;
    size_t len;
} token;

static int64_t now_ish = 1900000000;  /* any time after the token's iat */

static int verify(const token *t, const mantle_blob *root,
                  const uint8_t *rd, size_t rdlen, mantle_claims *c,
                  mantle_verify_reason *why, char *msg)
{
    mantle_verify_input in;
    mantle_diag diag;
    int st;

    memset(&in, 0, sizeof in);
    in.format = MANTLE_TEE_MANTLE;
    in.evidence = (mantle_blob){t->data, t->len, "ev"};
    if (root)
        in.root = *root;
    in.time = now_ish;
    in.report_data = rd;
    in.report_data_len = rdlen;
    *why = MANTLE_VERIFY_OK;
    st = mantle_verify(&in, c, why, &diag);
    if (msg)
        snprintf(msg, 480, "%.400s", st == MANTLE_OK ? "" : diag.message);
    return st;
}

static void expect(const char *what, const token *t, const mantle_blob *root,
                   mantle_verify_reason want)
{
    mantle_claims c;
    mantle_verify_reason why;
    char msg[480];
    int st = verify(t, root, NULL, 0, &c, &why, msg);

    CHECK(st == MANTLE_EREFUSED && why == want, "%s: status %d reason %s (%s), "
          "want %s", what, st, mantle_verify_reason_name(why), msg,
          mantle_verify_reason_name(want));
}

/* ---- Re-signing edited claims with the module key ------------------------ */

typedef void (*edit_fn)(cbor_item_t **claims, const void *arg);

/* Replace claim k (or add it) with v (consumed). */
static void put(cbor_item_t **m, int64_t k, cbor_item_t *v)
{
    struct cbor_pair *p = cbor_map_handle(*m);
    size_t n = cbor_map_size(*m);
    cbor_item_t *bigger;
    int64_t key;

    for (size_t i = 0; i < n; i++)
        if (av_cbor_int(p[i].key, &key) && key == k) {
            cbor_decref(&p[i].value);
            p[i].value = v;
            return;
        }
    bigger = cbor_new_definite_map(n + 1);
    for (size_t i = 0; i < n; i++)
        cbor_map_add(bigger, (struct cbor_pair){p[i].key, p[i].value});
    tee_cbor_put(bigger, tee_cbor_int(k), v);
    cbor_decref(m);
    *m = bigger;
}

static token sign_claims(cbor_item_t *claims, const uint8_t seed[32])
{
    static const uint8_t prot[] = {0xa1, 0x01, 0x27};
    uint8_t *pl = NULL, *tbs = NULL, *ser = NULL, sig[64];
    size_t pln = 0, tbsn = 0, sern = 0;
    cbor_item_t *a = cbor_new_definite_array(4);
    token t;

    CHECK(tee_cbor_serialize(claims, &pl, &pln) == 0 &&
          tee_cose_tbs(prot, sizeof prot, pl, pln, &tbs, &tbsn) == 0 &&
          tee_ed25519_sign(seed, tbs, tbsn, sig) == 0, "re-sign");
    tee_cbor_push(a, tee_cbor_bytes(prot, sizeof prot));
    tee_cbor_push(a, cbor_new_definite_map(0));
    tee_cbor_push(a, tee_cbor_bytes(pl, pln));
    tee_cbor_push(a, tee_cbor_bytes(sig, 64));
    CHECK(tee_cbor_serialize(a, &ser, &sern) == 0, "serialize");
    t.len = sern + 1;
    t.data = malloc(t.len);
    t.data[0] = 0xd2;
    memcpy(t.data + 1, ser, sern);
    cbor_decref(&a);
    free(pl);
    free(tbs);
    free(ser);
    return t;
}

static cbor_item_t *claims_of(const token *t)
{
    av_cose c;
    av_err e;
    cbor_item_t *m;

    if (av_cose_parse(t->data, t->len, "test", &c, &e) != 0) {
        fprintf(stderr, "cannot decode the fresh token: %s\n", e.message);
        exit(1);
    }
    m = c.claims;
    c.claims = NULL;
    av_cose_free(&c);
    return m;
}

static token edited(const token *t, const uint8_t seed[32], int64_t k,
                    cbor_item_t *v)
{
    cbor_item_t *m = claims_of(t);
    token out;

    put(&m, k, v);
    out = sign_claims(m, seed);
    cbor_decref(&m);
    return out;
}

/* The token with DICE chain entry i's last byte (its signature's) flipped,
 * or replaced by `with` when given. */
static token chain_edited(const token *t, const uint8_t seed[32], size_t i,
                          const uint8_t *with, size_t with_len)
{
    cbor_item_t *m = claims_of(t);
    cbor_item_t *chain = av_cbor_get(m, TEE_CLAIM_DICE_CHAIN);
    cbor_item_t *old = cbor_array_handle(chain)[i];
    size_t n = cbor_bytestring_length(old);
    uint8_t *b = malloc(n);
    token out;

    memcpy(b, cbor_bytestring_handle(old), n);
    b[n - 1] ^= 0x01;
    cbor_array_replace(chain, i, cbor_move(with ? tee_cbor_bytes(with, with_len)
                                                : tee_cbor_bytes(b, n)));
    out = sign_claims(m, seed);
    cbor_decref(&m);
    free(b);
    return out;
}

int main(int argc, char **argv)
{
    char dir_a[4096], dir_b[4096], msg[480];
    uint8_t *wasm, nonce[64], md[32], cd[32], root_a[32], root_b[32];
    size_t wasm_len;
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_tee *tee = NULL, *tee_b = NULL;
    mantle_diag diag;
    tee_module_keys k, kb;
    mantle_claims c;
    mantle_verify_reason why;
    token tok, tok_b, t;
    mantle_blob root, root_other, root_cose, root_junk;
    uint8_t cose_key[64], cose_key_b[64];
    int st;

    if (argc != 4) {
        fprintf(stderr, "usage: test_attest_mantle TESTVECTORS WORK MODULE\n");
        return 2;
    }
    snprintf(dir_a, sizeof dir_a, "%s/dev-a", argv[2]);
    snprintf(dir_b, sizeof dir_b, "%s/dev-b", argv[2]);
    wasm = slurp(argv[3], &wasm_len);
    for (int i = 0; i < 64; i++)
        nonce[i] = (uint8_t)(0xa0 ^ i);
    CHECK(mantle_engine_new(NULL, &engine) == MANTLE_OK, "engine");
    CHECK(mantle_module_new(engine, wasm, wasm_len, "m", &module, NULL) ==
              MANTLE_OK, "module");
    CHECK(mantle_tee_open("soft", dir_a, &tee, &diag) == MANTLE_OK, "%s",
          diag.message);
    CHECK(mantle_tee_open("soft", dir_b, &tee_b, &diag) == MANTLE_OK, "%s",
          diag.message);
    if (tv_failures)
        return tv_done("mantle");
    CHECK(mantle_tee_evidence(tee, module, NULL, nonce, &tok.data, &tok.len,
                              &diag) == MANTLE_OK, "%s", diag.message);
    CHECK(mantle_tee_evidence(tee_b, module, NULL, nonce, &tok_b.data,
                              &tok_b.len, &diag) == MANTLE_OK, "%s",
          diag.message);
    CHECK(mantle_tee_root_key(tee, root_a, &diag) == MANTLE_OK, "root a");
    CHECK(mantle_tee_root_key(tee_b, root_b, &diag) == MANTLE_OK, "root b");
    tee_sha256(wasm, wasm_len, md);
    tee_launch_digest(NULL, cd);
    CHECK(tee_module_keys_derive(tee, md, cd, &k, &diag) == MANTLE_OK, "keys");
    CHECK(tee_module_keys_derive(tee_b, md, cd, &kb, &diag) == MANTLE_OK,
          "keys b");
    /* Roots as COSE_Keys; a raw 32-byte key is no format we accept. */
    root = (mantle_blob){cose_key, dice_cose_key(root_a, cose_key), "root-a"};
    root_other = (mantle_blob){cose_key_b, dice_cose_key(root_b, cose_key_b),
                               "root-b"};
    root_cose = root;
    root_junk = (mantle_blob){root_a, 32, "raw"};

    /* ---- Accepted, with the claims the token carries ----------------- */
    st = verify(&tok, &root_cose, nonce, 64, &c, &why, msg);
    CHECK(st == MANTLE_OK, "fresh soft evidence: %s", msg);
    if (st == MANTLE_OK) {
        CHECK(c.tee == MANTLE_TEE_MANTLE && c.debug, "tee mantle, debug");
        CHECK(c.has_module_digest && memcmp(c.module_digest, md, 32) == 0,
              "module digest");
        CHECK(c.measurement_len == 32 &&
                  memcmp(c.measurement, k.runtime_digest, 32) == 0,
              "runtime measurement");
        CHECK(c.report_data_len == 64 && memcmp(c.report_data, nonce, 64) == 0,
              "nonce");
        CHECK(c.nmeasurements >= 4 && strcmp(c.measurements[2].name, "key") == 0 &&
                  memcmp(c.measurements[2].value, k.attest_pub, 32) == 0,
              "attestation key claim");
    }
    /* Policy appraisal, as for every family. */
    {
        static const struct {
            const char *json;
            mantle_ear_status verdict;
            mantle_verify_reason reason;
        } cases[] = {
            {"{\"tee\":[\"mantle\"],\"debug\":true}", MANTLE_EAR_WARNING,
             MANTLE_VERIFY_OK},
            {"{\"tee\":[\"mantle\"]}", MANTLE_EAR_CONTRAINDICATED,
             MANTLE_VERIFY_POLICY_DEBUG},
            {"{\"tee\":[\"snp\"],\"debug\":true}", MANTLE_EAR_CONTRAINDICATED,
             MANTLE_VERIFY_POLICY_TEE},
            {"{\"debug\":true,\"module_digests\":[\"00112233\"]}",
             MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_MODULE},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            mantle_policy *p = NULL;
            mantle_appraisal a;
            CHECK(mantle_policy_new(cases[i].json, strlen(cases[i].json), &p,
                                    &diag) == MANTLE_OK, "policy %zu", i);
            mantle_policy_appraise(p, &c, &a);
            CHECK(a.verdict == cases[i].verdict && a.reason == cases[i].reason,
                  "policy %s: verdict %d reason %s", cases[i].json, a.verdict,
                  mantle_verify_reason_name(a.reason));
            mantle_policy_free(p);
        }
        char json[200], hex[65];
        mantle_policy *p = NULL;
        mantle_appraisal a;
        av_hex(md, 32, hex);
        snprintf(json, sizeof json,
                 "{\"debug\":true,\"module_digests\":[\"%s\"]}", hex);
        CHECK(mantle_policy_new(json, strlen(json), &p, &diag) == MANTLE_OK,
              "policy");
        mantle_policy_appraise(p, &c, &a);
        CHECK(a.verdict == MANTLE_EAR_WARNING, "module digest allowed");
        mantle_policy_free(p);
    }
    /* PEM (as `mantle evidence root` writes) is tested by attest_cli. */

    /* ---- Anchors and nonce --------------------------------------------- */
    expect("no root", &tok, NULL, MANTLE_VERIFY_MISSING);
    expect("another device's root", &tok, &root_other, MANTLE_VERIFY_CHAIN);
    expect("another device's whole chain", &tok_b, &root, MANTLE_VERIFY_CHAIN);
    CHECK(verify(&tok_b, &root_other, NULL, 0, &c, &why, msg) == MANTLE_OK,
          "device b's evidence with device b's root: %s", msg);
    expect("a root that is no key", &tok, &root_junk, MANTLE_VERIFY_MALFORMED);
    {
        uint8_t other[64];
        memcpy(other, nonce, 64);
        other[63] ^= 1;
        CHECK(verify(&tok, &root, other, 64, &c, &why, msg) == MANTLE_EREFUSED &&
                  why == MANTLE_VERIFY_REPORT_DATA,
              "another nonce: %s", mantle_verify_reason_name(why));
    }

    /* ---- Every byte flipped, every truncation: never accepted ---------- */
    {
        size_t accepted = 0;
        t.data = malloc(tok.len);
        for (size_t i = 0; i < tok.len; i++) {
            memcpy(t.data, tok.data, tok.len);
            t.data[i] ^= 0x01;
            t.len = tok.len;
            if (verify(&t, &root, NULL, 0, &c, &why, NULL) != MANTLE_EREFUSED)
                accepted++;
        }
        for (size_t n = 0; n < tok.len; n++) {
            t.len = n;
            memcpy(t.data, tok.data, n);
            if (verify(&t, &root, NULL, 0, &c, &why, NULL) != MANTLE_EREFUSED)
                accepted++;
        }
        CHECK(accepted == 0, "%zu of %zu byte flips and truncations accepted",
              accepted, 2 * tok.len);
        free(t.data);
    }
    t = tok;
    t.data = malloc(tok.len);
    memcpy(t.data, tok.data, tok.len);
    t.data[t.len - 1] ^= 0x80;
    expect("token signature", &t, &root, MANTLE_VERIFY_SIGNATURE);
    free(t.data);

    /* ---- Chain links ---------------------------------------------------- */
    t = chain_edited(&tok, k.attest_seed, 1, NULL, 0);
    expect("runtime certificate signature", &t, &root, MANTLE_VERIFY_CHAIN);
    free(t.data);
    t = chain_edited(&tok, k.attest_seed, 2, NULL, 0);
    expect("module certificate signature", &t, &root, MANTLE_VERIFY_CHAIN);
    free(t.data);
    {
        uint8_t kb0[64];
        size_t n = dice_cose_key(root_b, kb0);
        /* the layer-0 key swapped for the trusted one's look-alike: the
         * runtime certificate no longer verifies */
        t = chain_edited(&tok, k.attest_seed, 0, kb0, n);
        expect("layer-0 key replaced", &t, &root_other, MANTLE_VERIFY_CHAIN);
        free(t.data);
    }
    {
        /* device b's module certificate under device a's runtime one */
        cbor_item_t *mb = claims_of(&tok_b);
        cbor_item_t *cb = cbor_array_handle(av_cbor_get(mb, TEE_CLAIM_DICE_CHAIN))[2];
        t = chain_edited(&tok, kb.attest_seed, 2, cbor_bytestring_handle(cb),
                         cbor_bytestring_length(cb));
        expect("module certificate from another device", &t, &root,
               MANTLE_VERIFY_CHAIN);
        free(t.data);
        cbor_decref(&mb);
    }
    /* a token signed by another key than the module certificate's */
    t = edited(&tok, kb.attest_seed, 271, cbor_build_string("mantle 0.1.0"));
    expect("token signed by another module key", &t, &root,
           MANTLE_VERIFY_SIGNATURE);
    free(t.data);

    /* ---- Claims tampered, re-signed by the module's own key ------------- */
    {
        uint8_t other[33];
        memset(other, 0x5a, sizeof other);
        t = edited(&tok, k.attest_seed, TEE_CLAIM_MODULE, tee_cbor_bytes(other, 32));
        expect("module digest", &t, &root, MANTLE_VERIFY_BINDING);
        free(t.data);
        t = edited(&tok, k.attest_seed, TEE_CLAIM_CONFIG, tee_cbor_bytes(other, 32));
        expect("launch configuration", &t, &root, MANTLE_VERIFY_BINDING);
        free(t.data);
        t = edited(&tok, k.attest_seed, TEE_CLAIM_RUNTIME, tee_cbor_bytes(other, 32));
        expect("runtime measurement", &t, &root, MANTLE_VERIFY_BINDING);
        free(t.data);
        t = edited(&tok, k.attest_seed, 256, tee_cbor_bytes(other, 33));
        expect("ueid", &t, &root, MANTLE_VERIFY_BINDING);
        free(t.data);
        t = edited(&tok, k.attest_seed, TEE_CLAIM_DICE_MODE, tee_cbor_int(1));
        expect("DICE mode claimed normal", &t, &root, MANTLE_VERIFY_BINDING);
        free(t.data);
        t = edited(&tok, k.attest_seed, 265, cbor_build_string("tag:x,2025:y"));
        expect("profile", &t, &root, MANTLE_VERIFY_UNSUPPORTED);
        free(t.data);
        t = edited(&tok, k.attest_seed, 10, tee_cbor_bytes(other, 32));
        expect("short nonce", &t, &root, MANTLE_VERIFY_MALFORMED);
        free(t.data);
        t = edited(&tok, k.attest_seed, TEE_CLAIM_TEE, cbor_build_string("sev-snp"));
        expect("hardware claimed without platform evidence", &t, &root,
               MANTLE_VERIFY_MISSING);
        free(t.data);
        t = edited(&tok, k.attest_seed, 6, tee_cbor_int(now_ish + 3600));
        expect("issued in the future", &t, &root, MANTLE_VERIFY_EXPIRED);
        free(t.data);
        /* dbgstat claimed "disabled": soft evidence stays debug */
        t = edited(&tok, k.attest_seed, 262, tee_cbor_int(1));
        CHECK(verify(&t, &root, NULL, 0, &c, &why, msg) == MANTLE_OK && c.debug,
              "soft evidence is debug whatever dbgstat says");
        free(t.data);
    }

    /* ---- Platform evidence that does not bind this token --------------- */
    if (tv_init(argc, argv, "snp")) {
        tv_file rep = tv_read("virtee_report_milan.bin");
        tv_file vcek = tv_read("virtee_vcek_milan.der");
        tv_file chain = tv_read("ask_ark_milan.pem");
        mantle_blob certs[2] = {tv_blob(&vcek), tv_blob(&chain)};
        mantle_verify_input in;
        cbor_item_t *m = claims_of(&tok);

        put(&m, TEE_CLAIM_TEE, cbor_build_string("sev-snp"));
        put(&m, TEE_CLAIM_PLATFORM, tee_cbor_bytes(rep.data, rep.len));
        put(&m, 6, tee_cbor_int(tv_time("2025-05-31T00:00:00Z")));
        t = sign_claims(m, k.attest_seed);
        cbor_decref(&m);
        memset(&in, 0, sizeof in);
        in.format = MANTLE_TEE_MANTLE;
        in.evidence = (mantle_blob){t.data, t.len, "ev"};
        in.certs = certs;
        in.ncerts = 2;
        in.time = tv_time("2025-06-01T00:00:00Z");
        st = mantle_verify(&in, &c, &why, &diag);
        CHECK(st == MANTLE_EREFUSED && why == MANTLE_VERIFY_BINDING &&
                  strstr(diag.message, "binding"),
              "SNP report not bound to the token: %s (%s)",
              mantle_verify_reason_name(why), diag.message);
        in.ncerts = 0;
        in.certs = NULL;
        st = mantle_verify(&in, &c, &why, &diag);
        CHECK(st == MANTLE_EREFUSED && why == MANTLE_VERIFY_MISSING,
              "SNP platform evidence without its VCEK: %s",
              mantle_verify_reason_name(why));
        free(t.data);
        tv_free(&rep);
        tv_free(&vcek);
        tv_free(&chain);
    }

    /* ---- RA-TLS: the evidence must bind the certificate's own key ----- */
    {
        char *cert = NULL, *key = NULL;
        BIO *bio;
        X509 *x = NULL, *y = NULL;
        EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        unsigned char *der = NULL;
        int dn = 0;
        mantle_verify_reason rwhy = MANTLE_VERIFY_OK;
        /* Certificates carry validity dates: verify at the real time. */
        int64_t tls_now = (int64_t)time(NULL);

        CHECK(mantle_ratls_certificate(tee, module, NULL, &cert, &key, &diag) ==
                  MANTLE_OK, "ratls certificate: %s", diag.message);
        CHECK(mantle_ratls_verify((const uint8_t *)cert, strlen(cert), &root,
                                  tls_now, &c, &rwhy, &diag) == MANTLE_OK &&
                  c.tee == MANTLE_TEE_MANTLE &&
                  memcmp(c.module_digest, md, 32) == 0,
              "ratls verifies: %s", diag.message);
        CHECK(mantle_ratls_verify((const uint8_t *)cert, strlen(cert),
                                  &root_other, tls_now, &c, &rwhy, &diag) ==
                      MANTLE_EREFUSED && rwhy == MANTLE_VERIFY_CHAIN,
              "ratls, another root: %s", mantle_verify_reason_name(rwhy));
        /* the same evidence extension on a certificate for another key */
        bio = BIO_new_mem_buf(cert, -1);
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        y = X509_dup(x);
        CHECK(y && X509_set_pubkey(y, other) == 1 &&
                  X509_sign(y, other, EVP_sha256()) > 0 &&
                  (dn = i2d_X509(y, &der)) > 0,
              "re-keyed certificate");
        CHECK(mantle_ratls_verify(der, (size_t)dn, &root, tls_now, &c, &rwhy,
                                  &diag) == MANTLE_EREFUSED &&
                  rwhy == MANTLE_VERIFY_REPORT_DATA,
              "evidence of another key: %s", mantle_verify_reason_name(rwhy));
        OPENSSL_free(der);
        der = NULL;
        /* the key kept but the certificate not self-signed by it */
        X509_free(y);
        y = X509_dup(x);
        CHECK(y && X509_sign(y, other, EVP_sha256()) > 0 &&
                  (dn = i2d_X509(y, &der)) > 0, "mis-signed certificate");
        CHECK(mantle_ratls_verify(der, (size_t)dn, &root, tls_now, &c, &rwhy,
                                  &diag) == MANTLE_EREFUSED &&
                  rwhy == MANTLE_VERIFY_SIGNATURE,
              "not self-signed: %s", mantle_verify_reason_name(rwhy));
        OPENSSL_free(der);
        der = NULL;
        /* no extension */
        X509_free(y);
        y = X509_dup(x);
        {
            ASN1_OBJECT *oid = OBJ_txt2obj("2.23.133.5.4.9", 1);
            int idx = X509_get_ext_by_OBJ(y, oid, -1);
            CHECK(idx >= 0, "the certificate has the evidence extension");
            X509_EXTENSION_free(X509_delete_ext(y, idx));
            ASN1_OBJECT_free(oid);
        }
        CHECK(X509_set_pubkey(y, other) == 1 &&
                  X509_sign(y, other, EVP_sha256()) > 0 &&
                  (dn = i2d_X509(y, &der)) > 0, "certificate without evidence");
        CHECK(mantle_ratls_verify(der, (size_t)dn, &root, tls_now, &c, &rwhy,
                                  &diag) == MANTLE_EREFUSED &&
                  rwhy == MANTLE_VERIFY_MISSING,
              "no evidence extension: %s", mantle_verify_reason_name(rwhy));
        OPENSSL_free(der);
        X509_free(x);
        X509_free(y);
        EVP_PKEY_free(other);

        /* ---- freshness: validity window, age, the verifier's nonce ---- */
        {
            static const uint8_t n1[32] = {1, 2, 3}, n2[32] = {9, 9, 9};
            char *fc = NULL, *fk = NULL;
            size_t cl = strlen(cert);
            const uint8_t *cb = (const uint8_t *)cert;

            CHECK(mantle_ratls_verify(cb, cl, &root, tls_now, &c, &rwhy,
                                      &diag) == MANTLE_OK &&
                      c.issued_at > tls_now - 60 && c.issued_at <= tls_now,
                  "issued_at is the EAT's iat: %lld",
                  (long long)c.issued_at);
            CHECK(mantle_ratls_verify(cb, cl, &root, tls_now + 8 * 86400, &c,
                                      &rwhy, &diag) == MANTLE_EREFUSED &&
                      rwhy == MANTLE_VERIFY_EXPIRED &&
                      strstr(diag.message, "expired at"),
                  "after notAfter: %s", diag.message);
            CHECK(mantle_ratls_verify(cb, cl, &root, tls_now - 2 * 3600, &c,
                                      &rwhy, &diag) == MANTLE_EREFUSED &&
                      rwhy == MANTLE_VERIFY_EXPIRED &&
                      strstr(diag.message, "not valid before"),
                  "before notBefore: %s", diag.message);
            CHECK(mantle_ratls_verify_fresh(cb, cl, &root, tls_now + 120, NULL,
                                            0, 60, &c, &rwhy, &diag) ==
                          MANTLE_EREFUSED &&
                      rwhy == MANTLE_VERIFY_EXPIRED &&
                      strstr(diag.message, "older than the maximum age of 60"),
                  "max age 60 s, 120 s later: %s", diag.message);
            CHECK(mantle_ratls_verify_fresh(cb, cl, &root, tls_now + 30, NULL,
                                            0, 60, &c, &rwhy, &diag) ==
                      MANTLE_OK,
                  "max age 60 s, 30 s later: %s", diag.message);
            /* the certificate made at start, replayed to a verifier that
             * sent a nonce */
            CHECK(mantle_ratls_verify_fresh(cb, cl, &root, tls_now, n1, 32, 0,
                                            &c, &rwhy, &diag) ==
                          MANTLE_EREFUSED &&
                      rwhy == MANTLE_VERIFY_REPORT_DATA &&
                      strstr(diag.message, "not fresh") &&
                      strstr(diag.message, "binds its key but not"),
                  "pre-made certificate, nonce asked: %s", diag.message);
            CHECK(mantle_ratls_certificate_fresh(tee, module, NULL, n1, 32, &fc,
                                                 &fk, &diag) == MANTLE_OK,
                  "fresh certificate: %s", diag.message);
            CHECK(fc && mantle_ratls_verify_fresh((const uint8_t *)fc,
                                                  strlen(fc), &root, tls_now,
                                                  n1, 32, 60, &c, &rwhy,
                                                  &diag) == MANTLE_OK &&
                      memcmp(c.module_digest, md, 32) == 0,
                  "fresh certificate for its nonce: %s", diag.message);
            /* replayed to another connection */
            CHECK(fc && mantle_ratls_verify_fresh((const uint8_t *)fc,
                                                  strlen(fc), &root, tls_now,
                                                  n2, 32, 0, &c, &rwhy,
                                                  &diag) == MANTLE_EREFUSED &&
                      rwhy == MANTLE_VERIFY_REPORT_DATA &&
                      strstr(diag.message, "made for another connection"),
                  "fresh certificate, another nonce: %s", diag.message);
            /* a nonce-bound certificate checked without a nonce */
            CHECK(fc && mantle_ratls_verify((const uint8_t *)fc, strlen(fc),
                                            &root, tls_now, &c, &rwhy,
                                            &diag) == MANTLE_EREFUSED &&
                      rwhy == MANTLE_VERIFY_REPORT_DATA,
                  "fresh certificate, no nonce: %s",
                  mantle_verify_reason_name(rwhy));
            CHECK(mantle_ratls_certificate_fresh(tee, module, NULL, n1, 7, &fc,
                                                 &fk, &diag) == MANTLE_EINVAL &&
                      mantle_ratls_verify_fresh(cb, cl, &root, tls_now, n1, 65,
                                                0, &c, &rwhy, &diag) ==
                          MANTLE_EINVAL,
                  "nonce lengths 7 and 65 refused");
            free(fc);
            free(fk);
        }
        free(cert);
        free(key);
    }

    tee_module_keys_wipe(&k);
    tee_module_keys_wipe(&kb);
    mantle_tee_evidence_free(tok.data);
    mantle_tee_evidence_free(tok_b.data);
    mantle_tee_free(tee);
    mantle_tee_free(tee_b);
    mantle_module_free(module);
    mantle_engine_free(engine);
    free(wasm);
    return tv_done("mantle");
}
