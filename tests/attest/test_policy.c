/* test_policy.c - policy appraisal and signed EAR results over claims
 * verified from the recorded vectors.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "tv.h"

static int targc;
static char **targv;

static mantle_claims verified(const char *family, const char *evidence,
                              const char *cert, const char *chain,
                              const char *root, const char *when)
{
    tv_file ev, c1 = {0}, c2 = {0}, r = {0};
    mantle_blob certs[2];
    mantle_verify_input in;
    mantle_claims claims;
    mantle_verify_reason why;
    char msg[512];

    tv_init(targc, targv, family);
    memset(&in, 0, sizeof in);
    CHECK(mantle_tee_parse(family, &in.format) == MANTLE_OK, "%s", family);
    ev = tv_read(evidence);
    in.evidence = tv_blob(&ev);
    if (cert) {
        c1 = tv_read(cert);
        c2 = tv_read(chain);
        certs[0] = tv_blob(&c1);
        certs[1] = tv_blob(&c2);
        in.certs = certs;
        in.ncerts = 2;
    }
    if (root) {
        r = tv_read(root);
        in.root = tv_blob(&r);
    }
    in.time = tv_time(when);
    memset(&claims, 0, sizeof claims);
    CHECK(tv_verify(&in, &claims, &why, msg, sizeof msg) == MANTLE_OK,
          "%s verifies: %s", evidence, msg);
    tv_free(&ev);
    if (cert) {
        tv_free(&c1);
        tv_free(&c2);
    }
    if (root)
        tv_free(&r);
    return claims;
}

static mantle_appraisal appraise(const char *json, const mantle_claims *c)
{
    mantle_policy *p = NULL;
    mantle_diag diag;
    mantle_appraisal a;

    memset(&a, 0, sizeof a);
    if (mantle_policy_new(json, strlen(json), &p, &diag) != MANTLE_OK) {
        CHECK(0, "policy %s: %s", json, diag.message);
        return a;
    }
    mantle_policy_appraise(p, c, &a);
    mantle_policy_free(p);
    return a;
}

static void expect(const char *what, const char *json, const mantle_claims *c,
                   mantle_ear_status verdict, mantle_verify_reason reason)
{
    mantle_appraisal a = appraise(json, c);

    CHECK(a.verdict == verdict && a.reason == reason,
          "%s: verdict %d reason %s, expected %d %s", what, a.verdict,
          mantle_verify_reason_name(a.reason), verdict,
          mantle_verify_reason_name(reason));
    printf("ok   %-40s verdict %-3d %s\n", what, a.verdict,
           mantle_verify_reason_name(a.reason));
}

static void ear(const mantle_claims *c)
{
    EVP_PKEY *k = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-384");
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem()),
        *pub2 = BIO_new(BIO_s_mem());
    char *privp, *pubp, *pub2p, jwt[16384], payload[16384];
    long privn, pubn, pub2n;
    mantle_appraisal a = appraise("{\"id\":\"strict\",\"debug\":false}", c);
    mantle_diag diag;
    int st;

    PEM_write_bio_PrivateKey(priv, k, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_PUBKEY(pub, k);
    PEM_write_bio_PUBKEY(pub2, other);
    privn = BIO_get_mem_data(priv, &privp);
    pubn = BIO_get_mem_data(pub, &pubp);
    pub2n = BIO_get_mem_data(pub2, &pub2p);
    st = mantle_ear_sign(c, &a, 1748736000, (const uint8_t *)privp,
                         (size_t)privn, jwt, sizeof jwt, &diag);
    CHECK(st == MANTLE_OK, "EAR sign: %s", diag.message);
    st = mantle_ear_verify(jwt, strlen(jwt), (const uint8_t *)pubp,
                           (size_t)pubn, payload, sizeof payload, &diag);
    CHECK(st == MANTLE_OK, "EAR verify: %s", diag.message);
    CHECK(strstr(payload, "\"ear.status\":\"contraindicated\"") &&
              strstr(payload, "\"eat_profile\":\"tag:github.com,2023:veraison/ear\"") &&
              strstr(payload, "\"ear.appraisal-policy-id\":\"strict\""),
          "EAR payload: %s", payload);
    printf("ok   %-40s signed ES256, verifies (%zu bytes)\n", "ear",
           strlen(jwt));
    jwt[strlen(jwt) / 2] ^= 1;  /* a payload character */
    CHECK(mantle_ear_verify(jwt, strlen(jwt), (const uint8_t *)pubp,
                            (size_t)pubn, payload, sizeof payload, &diag) ==
              MANTLE_EREFUSED,
          "tampered EAR refused");
    jwt[strlen(jwt) / 2] ^= 1;
    CHECK(mantle_ear_verify(jwt, strlen(jwt), (const uint8_t *)pub2p,
                            (size_t)pub2n, payload, sizeof payload, &diag) ==
              MANTLE_EREFUSED,
          "EAR with another key refused");
    CHECK(mantle_ear_sign(c, &a, 0, (const uint8_t *)privp, (size_t)privn, jwt,
                          16, &diag) == MANTLE_ELIMIT,
          "small buffer");
    printf("ok   %-40s tampered / wrong key / small buffer refused\n", "ear");
    BIO_free(priv);
    BIO_free(pub);
    BIO_free(pub2);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

int main(int argc, char **argv)
{
    mantle_claims gsg, virtee, trustee, q4, occlum, fake;
    mantle_policy *p = NULL;
    mantle_diag diag;
    char json[512], hex[97];

    targc = argc;
    targv = argv;
    if (!tv_init(argc, argv, "snp"))
        return TV_SKIP;
    gsg = verified("snp", "gsg_attestation.bin", "gsg_vcek.der",
                   "ask_ark_milan.pem", NULL, "2025-06-01T00:00:00Z");
    virtee = verified("snp", "virtee_report_milan.bin", "virtee_vcek_milan.der",
                      "ask_ark_milan.pem", NULL, "2025-06-01T00:00:00Z");
    trustee = verified("snp", "trustee_test-report.bin", "trustee_test-vcek.der",
                       "ask_ark_milan.pem", NULL, "2025-06-01T00:00:00Z");
    q4 = verified("tdx", "trustee_tdx_quote_4.dat", NULL, NULL,
                  "trusted_root.pem", "2026-06-01T00:00:00Z");
    occlum = verified("sgx", "trustee_occlum_quote.dat", NULL, NULL, NULL,
                      "2025-06-01T00:00:00Z");

    /* Debug evidence: refused unless the policy allows it. */
    expect("snp-debug refused (gsg DEBUG guest)", "{\"debug\":false}", &gsg,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_DEBUG);
    expect("snp-debug refused by default", "{}", &gsg,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_DEBUG);
    expect("snp-debug allowed: warning", "{\"debug\":true}", &gsg,
           MANTLE_EAR_WARNING, MANTLE_VERIFY_OK);
    expect("tdx-debug-td refused", "{\"tee\":[\"tdx\"]}", &q4,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_DEBUG);
    expect("sgx-debug-enclave refused", "{}", &occlum,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_DEBUG);
    expect("production snp accepted", "{\"tee\":[\"snp\",\"tdx\"]}", &virtee,
           MANTLE_EAR_AFFIRMING, MANTLE_VERIFY_OK);
    /* TEE kind. */
    expect("tee kind not allowed", "{\"tee\":[\"tdx\"]}", &virtee,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_TEE);
    /* TCB too low: virtee's REPORTED_TCB microcode is 115 (byte 7). */
    expect("tcb too low (ucode 116 required)",
           "{\"min_tcb\":{\"snp\":[3,0,0,0,0,0,8,116]}}", &virtee,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_TCB);
    expect("tcb at minimum", "{\"min_tcb\":{\"snp\":[3,0,0,0,0,0,8,115]}}",
           &virtee, MANTLE_EAR_AFFIRMING, MANTLE_VERIFY_OK);
    expect("min_tcb of another TEE ignored", "{\"min_tcb\":{\"tdx\":[9,9]}}",
           &virtee, MANTLE_EAR_AFFIRMING, MANTLE_VERIFY_OK);
    expect("svn too low (guest svn 4)", "{\"min_svn\":5}", &trustee,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_TCB);
    expect("svn at minimum", "{\"min_svn\":4}", &trustee, MANTLE_EAR_AFFIRMING,
           MANTLE_VERIFY_OK);
    /* Reference measurements and module digests. */
    for (int i = 0; i < 48; i++)
        sprintf(hex + 2 * i, "%02x", virtee.measurement[i]);
    snprintf(json, sizeof json, "{\"measurements\":[\"00\",\"%s\"]}", hex);
    expect("measurement allowed", json, &virtee, MANTLE_EAR_AFFIRMING,
           MANTLE_VERIFY_OK);
    expect("measurement not allowed", json, &trustee,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_MEASUREMENT);
    expect("module digest required", "{\"module_digests\":[\"abcd\"]}",
           &virtee, MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_MODULE);
    fake = virtee;
    fake.has_module_digest = true;
    memset(fake.module_digest, 0xab, 32);
    snprintf(json, sizeof json, "{\"module_digests\":[\"%s\"]}",
             "abababababababababababababababababababababababababababababababab");
    expect("module digest allowed", json, &fake, MANTLE_EAR_AFFIRMING,
           MANTLE_VERIFY_OK);
    /* TCB status from collateral. */
    fake.tcb_status = MANTLE_TCB_OUT_OF_DATE;
    expect("tcb status OutOfDate refused", "{}", &fake,
           MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_POLICY_TCB);
    expect("tcb status OutOfDate accepted",
           "{\"tcb_status\":[\"UpToDate\",\"OutOfDate\"]}", &fake,
           MANTLE_EAR_AFFIRMING, MANTLE_VERIFY_OK);
    /* Expected report data. */
    expect("report data matches", "{\"report_data\":\"0102030405\",\"debug\":true}",
           &gsg, MANTLE_EAR_WARNING, MANTLE_VERIFY_OK);
    expect("report data differs", "{\"report_data\":\"0102030406\",\"debug\":true}",
           &gsg, MANTLE_EAR_CONTRAINDICATED, MANTLE_VERIFY_REPORT_DATA);
    /* Malformed policies name the key at fault. */
    static const char *const bad[] = {
        "[]", "{\"tee\":[\"sev\"]}", "{\"debug\":1}", "{\"measurements\":[\"xyz\"]}",
        "{\"min_svn\":-1}", "{\"unknown\":1}", "{\"tcb_status\":[\"Fine\"]}",
        "{\"min_tcb\":{\"snp\":[256]}}", "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(mantle_policy_new(bad[i], strlen(bad[i]), &p, &diag) ==
                  MANTLE_EINVAL,
              "bad policy accepted: %s", bad[i]);
        printf("ok   %-40s %s\n", bad[i], diag.message);
    }
    ear(&gsg);
    return tv_done("policy");
}
