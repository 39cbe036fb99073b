/* test_snp.c - SEV-SNP verifier against the recorded vectors and the
 * independent oracle in testvectors/snp/expected.json.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "snp.h"
#include "tv.h"

static int64_t verify_at;

static void input(mantle_verify_input *in, const tv_file *report,
                  mantle_blob *certs, const tv_file *cert,
                  const tv_file *chain)
{
    memset(in, 0, sizeof *in);
    in->format = MANTLE_TEE_SNP;
    in->evidence = tv_blob(report);
    certs[0] = tv_blob(cert);
    certs[1] = tv_blob(chain);
    in->certs = certs;
    in->ncerts = 2;
    in->time = verify_at;
}

static void check_tcb(const char *name, const char *key, uint64_t raw)
{
    char path[160];
    snp_tcb t;

    snprintf(path, sizeof path, "%s/%s/raw_u64_hex", name, key);
    CHECK(raw == (uint64_t)strtoull(tv_str(path), NULL, 16),
          "%s %s raw", name, key);
    snp_tcb_decode(raw, false, &t);
#define F(field, json)                                                        \
    snprintf(path, sizeof path, "%s/%s/" json, name, key);                    \
    CHECK(t.field == tv_int(path), "%s %s " json, name, key)
    F(bootloader, "boot_loader");
    F(tee, "tee");
    F(snp, "snp");
    F(microcode, "microcode");
#undef F
}

/* Every field the oracle lists, for one recorded report. */
static void positive_report(const char *name)
{
    char p[160];
    tv_file rep, cert, chain;
    mantle_verify_input in;
    mantle_blob certs[2];
    snp_report r;
    mantle_claims c;
    av_err e;
    int rc;

#define S(key) (snprintf(p, sizeof p, "%s/%s", name, key), tv_str(p))
#define I(key) (snprintf(p, sizeof p, "%s/%s", name, key), tv_int(p))
    rep = tv_read(name);
    cert = tv_read(S("verification/signing_cert"));
    chain = tv_read(S("verification/ask_ark_chain"));
    input(&in, &rep, certs, &cert, &chain);
    in.time = tv_time(S("verification/verify_at"));
    memset(&r, 0, sizeof r);
    rc = snp_verify(&in, &r, &c, &e);
    CHECK(rc == MANTLE_VERIFY_OK, "%s: %s", name, e.message);
    if (rc != MANTLE_VERIFY_OK)
        goto out;
    CHECK(r.version == I("version"), "%s version", name);
    CHECK(r.guest_svn == I("guest_svn"), "%s guest_svn", name);
    CHECK(r.policy == (uint64_t)I("policy"), "%s policy", name);
    CHECK(tv_hex_eq(r.family_id, 16, S("family_id")), "%s family_id", name);
    CHECK(tv_hex_eq(r.image_id, 16, S("image_id")), "%s image_id", name);
    CHECK(r.vmpl == I("vmpl"), "%s vmpl", name);
    CHECK(r.signature_algo == I("signature_algo"), "%s sigalgo", name);
    CHECK(r.platform_info == (uint64_t)I("platform_info"), "%s pinfo", name);
    CHECK(r.signer_info == I("signer_info/raw"), "%s signer_info", name);
    CHECK(tv_hex_eq(r.report_data, 64, S("report_data")), "%s rd", name);
    CHECK(tv_hex_eq(r.measurement, 48, S("measurement")), "%s meas", name);
    CHECK(tv_hex_eq(r.host_data, 32, S("host_data")), "%s host", name);
    CHECK(tv_hex_eq(r.id_key_digest, 48, S("id_key_digest")), "%s idk", name);
    CHECK(tv_hex_eq(r.author_key_digest, 48, S("author_key_digest")),
          "%s author", name);
    CHECK(tv_hex_eq(r.report_id, 32, S("report_id")), "%s rid", name);
    CHECK(tv_hex_eq(r.report_id_ma, 32, S("report_id_ma")), "%s ridma", name);
    CHECK(tv_hex_eq(r.chip_id, 64, S("chip_id")), "%s chip", name);
    check_tcb(name, "current_tcb", r.current_tcb);
    check_tcb(name, "reported_tcb", r.reported_tcb);
    check_tcb(name, "committed_tcb", r.committed_tcb);
    check_tcb(name, "launch_tcb", r.launch_tcb);
    CHECK(r.current_build == I("current_build") &&
              r.current_minor == I("current_minor") &&
              r.current_major == I("current_major") &&
              r.committed_build == I("committed_build") &&
              r.committed_minor == I("committed_minor") &&
              r.committed_major == I("committed_major"),
          "%s firmware versions", name);
    if (r.version >= 3)
        CHECK(r.cpuid_fam_id == I("cpuid_fam_id") &&
                  r.cpuid_mod_id == I("cpuid_mod_id") &&
                  r.cpuid_step == I("cpuid_step"),
              "%s cpuid", name);
    CHECK(tv_hex_eq(r.sig_r, 48, S("signature/r_be_48_hex")), "%s R", name);
    CHECK(tv_hex_eq(r.sig_s, 48, S("signature/s_be_48_hex")), "%s S", name);
    /* The common view. */
    CHECK(c.tee == MANTLE_TEE_SNP && c.version == r.version, "%s tee", name);
    CHECK(c.measurement_len == 48 &&
              tv_hex_eq(c.measurement, 48, S("measurement")),
          "%s claims measurement", name);
    CHECK(tv_hex_eq(c.report_data, 64, S("report_data")), "%s claims rd",
          name);
    CHECK(c.debug == json_is_true(tv_get((snprintf(p, sizeof p,
                                                   "%s/policy_decoded/debug",
                                                   name),
                                          p))),
          "%s claims debug", name);
    CHECK(c.svn == r.guest_svn && c.tcb_len == 8, "%s claims svn/tcb", name);
    printf("ok   %-34s verifies (v%u, %s, debug %s)\n", name, r.version,
           (r.signer_info >> 2 & 7) ? "VLEK" : "VCEK",
           c.debug ? "yes" : "no");
out:
#undef S
#undef I
    tv_free(&rep);
    tv_free(&cert);
    tv_free(&chain);
}

/* Every VCEK/VLEK entry: the AMD extensions, and the chain verdict. */
static void certificate(const char *name, json_t *entry)
{
    tv_file f = tv_read(name), chain;
    const unsigned char *p = f.data;
    X509 *x = d2i_X509(NULL, &p, (long)f.len);
    STACK_OF(X509) *pool = NULL, *roots = NULL;
    json_t *ext = json_object_get(entry, "amd_extensions"), *hw;
    snp_cert_info ci;
    av_err e;
    int rc;

    CHECK(x != NULL, "%s parses", name);
    if (x == NULL)
        goto out;
    rc = snp_cert_parse(x, &ci, &e);
    CHECK(rc == MANTLE_VERIFY_OK, "%s: %s", name, e.message);
    if (rc != MANTLE_VERIFY_OK)
        goto out;
    CHECK(ci.spl.bootloader ==
              json_integer_value(json_object_get(
                  json_object_get(ext, "blSPL"), "value")) &&
              ci.spl.microcode ==
                  json_integer_value(json_object_get(
                      json_object_get(ext, "ucodeSPL"), "value")) &&
              ci.spl.snp ==
                  json_integer_value(json_object_get(
                      json_object_get(ext, "snpSPL"), "value")),
          "%s SPLs", name);
    CHECK(ci.turin == (json_object_get(ext, "fmcSPL") != NULL), "%s turin",
          name);
    if ((hw = json_object_get(ext, "hwID")) != NULL)
        CHECK(tv_hex_eq(ci.hwid, ci.hwid_len,
                        json_string_value(json_object_get(hw, "value"))),
              "%s hwID", name);
    else
        CHECK(ci.vlek && ci.hwid_len == 0, "%s VLEK without hwID", name);
    chain = tv_read(json_string_value(json_object_get(entry, "chain_file")));
    av_certs_load(chain.data, chain.len, &pool);
    CHECK(av_roots(NULL, pool, NULL, 0, "x", &roots, &e) ==
              MANTLE_VERIFY_MISSING,
          "no root without pins");
    rc = av_roots(&(mantle_blob){NULL, 0, NULL}, pool,
                  (const uint8_t(*)[32]) "", 0, "AMD", &roots, &e);
    /* Trust the chain file's self-signed ARK for this unit check. */
    roots = sk_X509_new_null();
    for (int i = 0; i < sk_X509_num(pool); i++)
        if (av_is_self_signed(sk_X509_value(pool, i))) {
            X509_up_ref(sk_X509_value(pool, i));
            sk_X509_push(roots, sk_X509_value(pool, i));
        }
    rc = av_chain_verify(x, pool, roots, NULL, verify_at, name, &e);
    bool want = json_is_true(json_object_get(
        json_object_get(entry, "chain_verifies_at"), "2025-06-01T00:00:00Z"));
    CHECK((rc == MANTLE_VERIFY_OK) == want, "%s chain: %s", name,
          rc ? e.message : "verified");
    if (!want)
        CHECK(rc == MANTLE_VERIFY_CHAIN, "%s: chain reason %d", name, rc);
    printf("ok   %-34s parses; chain %s\n", name,
           rc ? "refused as expected" : "verifies");
    sk_X509_pop_free(roots, X509_free);
    sk_X509_pop_free(pool, X509_free);
    tv_free(&chain);
out:
    X509_free(x);
    tv_free(&f);
}

/* steward: report_data[0:48] = SHA-384 of the CSR's SubjectPublicKeyInfo;
 * the ASK is checked against the ARK CRL, which expired 2023-05-09. */
static void steward(void)
{
    tv_file rep = tv_read("steward_report.bin");
    tv_file cert = tv_read("steward_vcek.der");
    tv_file chain = tv_read("ask_ark_milan.pem");
    tv_file csr = tv_read("steward_milan.signed.crl.csr");
    tv_file crl = tv_read("steward_crl_ark_milan.der");
    mantle_verify_input in;
    mantle_blob certs[2], coll[1];
    mantle_claims c;
    mantle_verify_reason r;
    char msg[512];
    uint8_t h[48];
    unsigned char *spki = NULL;
    int n;
    BIO *bio = BIO_new_mem_buf(csr.data, (int)csr.len);
    X509_REQ *req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
    if (req == NULL) {
        const unsigned char *p = csr.data;
        req = d2i_X509_REQ(NULL, &p, (long)csr.len);
    }
    CHECK(req != NULL, "steward CSR parses");
    n = req ? i2d_PUBKEY(X509_REQ_get0_pubkey(req), &spki) : 0;
    CHECK(n > 0 && av_digest(EVP_sha384(), spki, (size_t)n, h), "SPKI hash");
    input(&in, &rep, certs, &cert, &chain);
    in.report_data = h;
    in.report_data_len = 48;
    CHECK(tv_verify(&in, &c, &r, msg, sizeof msg) == MANTLE_OK,
          "steward with its CSR key hash as report data: %s", msg);
    h[0] ^= 1;
    tv_expect_refused("snp-steward-wrong-report-data", &in,
                      MANTLE_VERIFY_REPORT_DATA);
    in.report_data = NULL;
    coll[0] = tv_blob(&crl);
    in.collateral = coll;
    in.ncollateral = 1;
    in.time = tv_time("2023-01-01T00:00:00Z");
    CHECK(tv_verify(&in, &c, &r, msg, sizeof msg) == MANTLE_OK,
          "steward with the ARK CRL at 2023-01-01: %s", msg);
    in.time = tv_time("2023-06-01T00:00:00Z");
    tv_expect_refused("snp-ark-crl-expired", &in, MANTLE_VERIFY_CRL);
    OPENSSL_free(spki);
    X509_REQ_free(req);
    BIO_free(bio);
    tv_free(&rep);
    tv_free(&cert);
    tv_free(&chain);
    tv_free(&csr);
    tv_free(&crl);
}

static void negative(const char *id)
{
    tv_file rep = tv_read("gsg_attestation.bin"), mut;
    tv_file cert = tv_read("gsg_vcek.der");
    tv_file chain = tv_read("ask_ark_milan.pem");
    mantle_verify_input in;
    mantle_blob certs[2];

    mut = tv_copy(&rep);
    input(&in, &mut, certs, &cert, &chain);
    if (strcmp(id, "snp-flip-signed-byte") == 0) {
        mut.data[0x15] ^= 0x80;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
    } else if (strcmp(id, "snp-flip-measurement") == 0) {
        mut.data[0x90] ^= 0x01;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
    } else if (strcmp(id, "snp-flip-report-data") == 0) {
        mut.data[0x50] ^= 0x01;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
        mut.data[0x50] ^= 0x01;
        uint8_t want[64];
        memcpy(want, rep.data + 0x50, 64);
        want[0] ^= 1;
        in.report_data = want;
        in.report_data_len = 64;
        tv_expect_refused("snp-flip-report-data (expected)", &in,
                          MANTLE_VERIFY_REPORT_DATA);
    } else if (strcmp(id, "snp-flip-signature-r") == 0) {
        mut.data[0x2A0] ^= 0x01;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
    } else if (strcmp(id, "snp-debug-policy") == 0) {
        /* gsg's POLICY already has DEBUG (0xb0000): setting the bit is a
         * no-op there, so set it in a production report as well. */
        mut.data[0x0A] |= 0x08;
        CHECK(memcmp(mut.data, rep.data, rep.len) == 0, "gsg is DEBUG");
        tv_file vrep = tv_read("virtee_report_milan.bin"), vm;
        tv_file vcek = tv_read("virtee_vcek_milan.der");
        vm = tv_copy(&vrep);
        input(&in, &vm, certs, &vcek, &chain);
        mantle_claims cl;
        mantle_verify_reason why;
        CHECK(tv_verify(&in, &cl, &why, NULL, 0) == MANTLE_OK, "virtee");
        vm.data[0x0A] |= 0x08;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
        tv_free(&vm);
        tv_free(&vrep);
        tv_free(&vcek);
        /* The DEBUG check itself is the policy's (test_policy: the gsg
         * report is a genuine DEBUG guest). */
    } else if (strcmp(id, "snp-truncated") == 0) {
        in.evidence.len = 1183;
        tv_expect_refused(id, &in, MANTLE_VERIFY_TRUNCATED);
        in.evidence.len = 0x2A0;
        tv_expect_refused("snp-truncated (0x2A0)", &in,
                          MANTLE_VERIFY_TRUNCATED);
        in.evidence.len = 0;
        tv_expect_refused("snp-truncated (empty)", &in,
                          MANTLE_VERIFY_TRUNCATED);
    } else if (strcmp(id, "snp-wrong-vcek") == 0) {
        tv_file other = tv_read("trustee_test-vcek.der");
        certs[0] = tv_blob(&other);
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
        tv_free(&other);
    } else if (strcmp(id, "snp-wrong-product-root") == 0) {
        tv_file genoa = tv_read("ask_ark_genoa.pem");
        certs[1] = tv_blob(&genoa);
        tv_expect_refused(id, &in, MANTLE_VERIFY_CHAIN);
        /* And with the Milan chain but Genoa's ARK as the given root. */
        certs[1] = tv_blob(&chain);
        in.root = tv_blob(&genoa);
        tv_expect_refused("snp-wrong-product-root (--root)", &in,
                          MANTLE_VERIFY_CHAIN);
        tv_free(&genoa);
    } else if (strcmp(id, "snp-vlek-expired") == 0 ||
               strcmp(id, "snp-vlek-via-vcek-ask") == 0) {
        tv_file vrep = tv_read("trustee_test-vlek-report.bin");
        tv_file vlek = tv_read("trustee_test-vlek.der");
        tv_file asvk = tv_read(strcmp(id, "snp-vlek-expired") == 0
                                   ? "ask_ark_milan_vlek.pem"
                                   : "ask_ark_milan.pem");
        input(&in, &vrep, certs, &vlek, &asvk);
        if (strcmp(id, "snp-vlek-expired") == 0) {
            in.time = tv_time("2026-01-01T00:00:00Z");
            tv_expect_refused(id, &in, MANTLE_VERIFY_EXPIRED);
        } else {
            tv_expect_refused(id, &in, MANTLE_VERIFY_CHAIN);
        }
        tv_free(&vrep);
        tv_free(&vlek);
        tv_free(&asvk);
    } else if (strcmp(id, "snp-big-endian-rs") == 0 ||
               strcmp(id, "snp-wrong-range") == 0) {
        /* The classic bugs, reproduced: they must not verify. */
        const unsigned char *p = cert.data;
        X509 *x = d2i_X509(NULL, &p, (long)cert.len);
        EVP_PKEY *k = X509_get_pubkey(x);
        snp_report r;
        uint8_t rs[96];
        av_err e;
        CHECK(snp_report_parse(rep.data, rep.len, &r, &e) == 0, "parse");
        memcpy(rs, r.sig_r, 48);
        memcpy(rs + 48, r.sig_s, 48);
        CHECK(av_ecdsa_verify_rs(k, EVP_sha384(), rep.data, 0x2A0, rs, 48) ==
                  1,
              "the right way verifies");
        if (strcmp(id, "snp-big-endian-rs") == 0) {
            memcpy(rs, rep.data + 0x2A0, 48);
            memcpy(rs + 48, rep.data + 0x2E8, 48);
            CHECK(av_ecdsa_verify_rs(k, EVP_sha384(), rep.data, 0x2A0, rs,
                                     48) != 1,
                  "%s", id);
        } else {
            CHECK(av_ecdsa_verify_rs(k, EVP_sha384(), rep.data, 0x2A1, rs,
                                     48) != 1 &&
                      av_ecdsa_verify_rs(k, EVP_sha384(), rep.data, 0x4A0,
                                         rs, 48) != 1,
                  "%s", id);
        }
        printf("ok   %-34s does not verify\n", id);
        EVP_PKEY_free(k);
        X509_free(x);
    } else if (strcmp(id, "snp-legacy-hwid-cert") == 0 ||
               strcmp(id, "snp-new-hwid-cert") == 0) {
        /* Parsing is checked in certificate(); here the whole verifier. */
        tv_file trep = tv_read("trustee_test-report.bin");
        tv_file bad = tv_read(strcmp(id, "snp-legacy-hwid-cert") == 0
                                  ? "trustee_test-vcek-invalid-legacy.der"
                                  : "trustee_test-vcek-invalid-new.der");
        input(&in, &trep, certs, &bad, &chain);
        tv_expect_refused(id, &in, MANTLE_VERIFY_CHAIN);
        tv_free(&trep);
        tv_free(&bad);
    } else if (strcmp(id, "snp-tcb-mismatch") == 0) {
        tv_file trep = tv_read("trustee_test-report.bin");
        const unsigned char *p = cert.data;
        X509 *x = d2i_X509(NULL, &p, (long)cert.len);
        snp_report r;
        snp_cert_info ci;
        av_err e;
        input(&in, &trep, certs, &cert, &chain);
        /* The signature is checked first, and fails too. */
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
        CHECK(snp_report_parse(trep.data, trep.len, &r, &e) == 0 &&
                  snp_cert_parse(x, &ci, &e) == 0 &&
                  snp_check_binding(&r, &ci, &e) == MANTLE_VERIFY_BINDING,
              "%s: binding check", id);
        printf("ok   %-34s binding refused: %s\n", id, e.message);
        X509_free(x);
        tv_free(&trep);
    } else {
        CHECK(0, "unhandled negative case %s", id);
    }
    tv_free(&mut);
    tv_free(&rep);
    tv_free(&cert);
    tv_free(&chain);
}

int main(int argc, char **argv)
{
    const char *key;
    json_t *v, *cases, *c;
    size_t i;

    if (!tv_init(argc, argv, "snp"))
        return TV_SKIP;
    verify_at = tv_time("2025-06-01T00:00:00Z");
    json_object_foreach(tv_expected(), key, v) {
        const char *kind = json_string_value(json_object_get(v, "kind"));
        if (kind == NULL)
            continue;
        if (strcmp(kind, "snp_attestation_report") == 0)
            positive_report(key);
        else if (strcmp(kind, "amd_vcek") == 0 || strcmp(kind, "amd_vlek") == 0)
            certificate(key, v);
    }
    steward();
    cases = json_object_get(tv_expected(), "_negative_cases");
    json_array_foreach(cases, i, c)
        negative(json_string_value(json_object_get(c, "id")));
    return tv_done("snp");
}
