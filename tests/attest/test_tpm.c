/* test_tpm.c - TPM 2.0 quote verifier against the recorded trustee
 * evidence and testvectors/tpm/expected.json.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "tpm.h"
#include "tv.h"

#define E "tpm_evidence.json"

static json_t *doc;

static char *b64(const uint8_t *p, size_t n)
{
    char *s = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)s, p, (int)n);
    return s;
}

static uint8_t *field(const char *key, size_t *n)
{
    const char *s = json_string_value(
        json_object_get(json_object_get(doc, "tpm_quote"), key));
    uint8_t *out;
    CHECK(av_base64(s, strlen(s), &out, n), "base64 %s", key);
    return out;
}

/* Evidence JSON with tpm_quote.<key> replaced by these bytes. */
static tv_file with(const char *key, const uint8_t *p, size_t n)
{
    json_t *d = json_deep_copy(doc);
    char *s = b64(p, n);
    tv_file f;

    json_object_set_new(json_object_get(d, "tpm_quote"), key, json_string(s));
    memset(&f, 0, sizeof f);
    f.data = (uint8_t *)json_dumps(d, JSON_COMPACT);
    f.len = strlen((char *)f.data);
    snprintf(f.name, sizeof f.name, "%s(%s edited)", E, key);
    free(s);
    json_decref(d);
    return f;
}

static void input(mantle_verify_input *in, const tv_file *f)
{
    memset(in, 0, sizeof *in);
    in->format = MANTLE_TEE_TPM;
    in->evidence = tv_blob(f);
}

static void positive(const tv_file *ev)
{
    mantle_verify_input in;
    tpm_quote q;
    mantle_claims c;
    av_err e;
    uint8_t h[32];
    size_t n;
    uint8_t *msg = field("message", &n);
    int rc;

    input(&in, ev);
    rc = tpm_verify(&in, &q, &c, &e);
    CHECK(rc == 0, "%s: %s", E, e.message);
    if (rc == 0) {
        CHECK(n == (size_t)tv_int(E "/tpms_attest/length"), "length");
        av_digest(EVP_sha256(), msg, n, h);
        CHECK(tv_hex_eq(h, 32, tv_str(E "/tpms_attest/sha256")), "sha256");
        CHECK(q.magic == (uint32_t)tv_int(E "/tpms_attest/magic") &&
                  q.type == tv_int(E "/tpms_attest/type"),
              "magic/type");
        CHECK(tv_hex_eq(q.qualified_signer, q.signer_len,
                        tv_str(E "/tpms_attest/qualified_signer")),
              "signer");
        CHECK(tv_hex_eq(q.extra_data, q.extra_len,
                        json_string_value(json_object_get(
                            tv_get(E "/tpms_attest"),
                            "extra_data(nonce/qualifying_data)"))),
              "extra data");
        CHECK(q.clock == (uint64_t)tv_int(E "/tpms_attest/clock_info/clock") &&
                  q.reset_count == tv_int(E "/tpms_attest/clock_info/reset_count") &&
                  q.restart_count ==
                      tv_int(E "/tpms_attest/clock_info/restart_count") &&
                  q.safe == 1,
              "clock info");
        CHECK(q.firmware_version ==
                  (uint64_t)strtoull(tv_str(E "/tpms_attest/firmware_version"), NULL, 16),
              "firmware");
        CHECK(q.pcr_hash == tv_int(E "/tpms_attest/pcr_selection/0/hash_alg_id") &&
                  q.pcr_select == 0xffffff,
              "selection");
        CHECK(tv_hex_eq(q.pcr_digest, q.pcr_digest_len,
                        tv_str(E "/tpms_attest/pcr_digest")),
              "pcr digest");
        CHECK(q.sig_alg == tv_int(E "/tpmt_signature/sigAlg") &&
                  q.sig_hash == tv_int(E "/tpmt_signature/hash") &&
                  q.sig_len == tv_int(E "/tpmt_signature/size"),
              "signature header");
        CHECK(q.npcrs == 24, "24 PCRs");
        for (int k = 0; k < 24; k++) {
            char path[80];
            snprintf(path, sizeof path, E "/pcr_values/%d", k);
            CHECK(tv_hex_eq(q.pcrs[k], 32, tv_str(path)), "PCR %d", k);
        }
        CHECK(c.tee == MANTLE_TEE_TPM && c.report_data_len == 64 &&
                  tv_hex_eq(c.measurement, 32, tv_str(E "/tpms_attest/pcr_digest")),
              "claims");
        printf("ok   %-34s verifies (RSASSA-SHA256, 24 PCRs)\n", E);
    }
    free(msg);
}

/* Sign msg with a key made here; the evidence then carries that key. */
static tv_file resigned(const uint8_t *msg, size_t n, EVP_PKEY *k)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t sig[4 + 2 + 256];
    size_t sl = 256;
    unsigned char *der = NULL;
    int dl;
    json_t *d;
    tv_file f = with("message", msg, n);
    char *s;

    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k);
    EVP_DigestSign(ctx, sig + 6, &sl, msg, n);
    EVP_MD_CTX_free(ctx);
    sig[0] = 0x00, sig[1] = 0x14, sig[2] = 0x00, sig[3] = 0x0b;
    sig[4] = (uint8_t)(sl >> 8), sig[5] = (uint8_t)sl;
    d = json_loadb((const char *)f.data, f.len, 0, NULL);
    s = b64(sig, 6 + sl);
    json_object_set_new(json_object_get(d, "tpm_quote"), "signature",
                        json_string(s));
    free(s);
    dl = i2d_PUBKEY(k, &der);
    s = b64(der, (size_t)dl);
    json_object_set_new(d, "ak_public", json_string(s));
    free(s);
    OPENSSL_free(der);
    free(f.data);
    f.data = (uint8_t *)json_dumps(d, JSON_COMPACT);
    f.len = strlen((char *)f.data);
    json_decref(d);
    return f;
}

static void negative(const char *id, const tv_file *ev)
{
    mantle_verify_input in;
    size_t n, sn;
    uint8_t *msg = field("message", &n), *sig = field("signature", &sn);
    tv_file m = {0};

    input(&in, ev);
    if (strcmp(id, "tpm-flip-extra-data") == 0 ||
        strcmp(id, "tpm-flip-pcr-digest") == 0) {
        msg[strcmp(id, "tpm-flip-extra-data") == 0 ? 0x2c : n - 1] ^= 1;
        m = with("message", msg, n);
        input(&in, &m);
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
    } else if (strcmp(id, "tpm-edit-pcr-value") == 0) {
        json_t *d = json_deep_copy(doc);
        json_array_set_new(json_object_get(json_object_get(d, "tpm_quote"), "pcrs"), 0,
                           json_string("0100000000000000000000000000000000000000000000000000000000000000"));
        m.data = (uint8_t *)json_dumps(d, JSON_COMPACT);
        m.len = strlen((char *)m.data);
        json_decref(d);
        input(&in, &m);
        tv_expect_refused(id, &in, MANTLE_VERIFY_BINDING);
    } else if (strcmp(id, "tpm-wrong-nonce") == 0) {
        uint8_t nonce[48];
        mantle_claims c;
        mantle_verify_reason r;
        memcpy(nonce, msg + 0x2c, 48);
        in.report_data = nonce;
        in.report_data_len = 48;
        CHECK(tv_verify(&in, &c, &r, NULL, 0) == MANTLE_OK,
              "the right nonce (48 bytes + 16 zero) is accepted");
        nonce[47] ^= 1;
        tv_expect_refused(id, &in, MANTLE_VERIFY_REPORT_DATA);
    } else if (strcmp(id, "tpm-wrong-ak") == 0) {
        EVP_PKEY *k = EVP_RSA_gen(2048);
        unsigned char *der = NULL;
        int dl = i2d_PUBKEY(k, &der);
        tv_file kf = {der, (size_t)dl, "test-ak.der"};
        mantle_blob cert = tv_blob(&kf);
        in.certs = &cert;
        in.ncerts = 1;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
        OPENSSL_free(der);
        EVP_PKEY_free(k);
    } else if (strcmp(id, "tpm-truncated") == 0) {
        m = with("message", msg, n - 1);
        input(&in, &m);
        tv_expect_refused(id, &in, MANTLE_VERIFY_TRUNCATED);
        tv_free(&m);
        sig[4] = 0x02;  /* TPM2B size 0x0200 > the 256 bytes present */
        m = with("signature", sig, sn);
        input(&in, &m);
        tv_expect_refused("tpm-truncated (signature size)", &in,
                          MANTLE_VERIFY_TRUNCATED);
        tv_free(&m);
        json_t *d = json_deep_copy(doc);
        json_object_set_new(json_object_get(d, "tpm_quote"), "message",
                            json_string("!!not base64!!"));
        m.data = (uint8_t *)json_dumps(d, JSON_COMPACT);
        m.len = strlen((char *)m.data);
        json_decref(d);
        input(&in, &m);
        tv_expect_refused("tpm-truncated (bad base64)", &in,
                          MANTLE_VERIFY_MALFORMED);
    } else if (strcmp(id, "tpm-bad-magic-or-type") == 0) {
        EVP_PKEY *k = EVP_RSA_gen(2048);
        tv_file good = resigned(msg, n, k);
        mantle_claims c;
        mantle_verify_reason r;
        input(&in, &good);
        CHECK(tv_verify(&in, &c, &r, NULL, 0) == MANTLE_OK,
              "re-signed with a test AK verifies");
        tv_free(&good);
        msg[0] ^= 1;
        m = resigned(msg, n, k);
        input(&in, &m);
        tv_expect_refused(id, &in, MANTLE_VERIFY_MALFORMED);
        tv_free(&m);
        msg[0] ^= 1;
        msg[5] ^= 1;  /* type 0x8018 -> 0x8019 */
        m = resigned(msg, n, k);
        input(&in, &m);
        tv_expect_refused("tpm-bad-type (re-signed)", &in,
                          MANTLE_VERIFY_UNSUPPORTED);
        EVP_PKEY_free(k);
    } else {
        CHECK(0, "unhandled negative case %s", id);
    }
    tv_free(&m);
    free(msg);
    free(sig);
}

int main(int argc, char **argv)
{
    tv_file ev;
    json_t *c;
    size_t i;

    if (!tv_init(argc, argv, "tpm"))
        return TV_SKIP;
    ev = tv_read(E);
    doc = json_loadb((const char *)ev.data, ev.len, 0, NULL);
    positive(&ev);
    json_array_foreach(json_object_get(tv_expected(), "_negative_cases"), i, c)
        negative(json_string_value(json_object_get(c, "id")), &ev);
    json_decref(doc);
    tv_free(&ev);
    return tv_done("tpm");
}
