/* test_cca.c - Arm CCA token verifier against the recorded example token
 * and testvectors/cca/expected.json.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <string.h>

#include "cca.h"
#include "tv.h"

#define T "cca-example-token.cbor"

static void input(mantle_verify_input *in, const tv_file *tok,
                  const tv_file *anchor)
{
    memset(in, 0, sizeof *in);
    in->format = MANTLE_TEE_CCA;
    in->evidence = tv_blob(tok);
    in->root = tv_blob(anchor);
}

static void positive(void)
{
    tv_file tok = tv_read(T), ta = tv_read("tastore.json");
    tv_file jwk = tv_read("cpak-pub.json");
    mantle_verify_input in;
    mantle_claims c;
    cca_token t;
    av_err e;
    json_t *sw = tv_get(T "/platform_token/claims/2399 sw_components"), *s;
    size_t i;
    int rc;

    input(&in, &tok, &ta);
    rc = cca_verify(&in, &t, &c, &e);
    CHECK(rc == 0, "%s: %s", T, e.message);
    if (rc == 0) {
        CHECK(strcmp(t.profile, tv_str(T "/summary/platform_profile")) == 0,
              "profile");
        CHECK(tv_hex_eq(t.challenge, t.challenge_len,
                        tv_str(T "/summary/platform_challenge")),
              "platform challenge");
        CHECK(tv_hex_eq(t.implementation_id, t.implementation_id_len,
                        tv_str(T "/summary/platform_implementation_id")),
              "implementation id");
        CHECK(tv_hex_eq(t.instance_id, t.instance_id_len,
                        tv_str(T "/summary/platform_instance_id")),
              "instance id");
        CHECK(t.lifecycle == (uint64_t)tv_int(T "/summary/platform_lifecycle"),
              "lifecycle");
        CHECK(strcmp(t.platform_hash_algo,
                     tv_str(T "/summary/platform_hash_algo_id")) == 0,
              "platform hash");
        CHECK(t.nsw == (uint32_t)tv_int(T "/summary/platform_sw_components") &&
                  t.nsw == json_array_size(sw),
              "sw components");
        json_array_foreach(sw, i, s) {
            CHECK(i < t.nsw && strcmp(t.sw[i].type, json_string_value(json_object_get(s, "1"))) == 0 &&
                      tv_hex_eq(t.sw[i].measurement, t.sw[i].measurement_len,
                                json_string_value(json_object_get(s, "2"))) &&
                      tv_hex_eq(t.sw[i].signer_id, t.sw[i].signer_len,
                                json_string_value(json_object_get(s, "5"))),
                  "sw component %zu", i);
        }
        CHECK(tv_hex_eq(t.rim, t.rim_len,
                        tv_str(T "/summary/realm_initial_measurement")),
              "RIM");
        CHECK(tv_hex_eq(t.realm_challenge, t.realm_challenge_len,
                        tv_str(T "/summary/realm_challenge")),
              "realm challenge");
        CHECK(tv_hex_eq(t.personalization, t.personalization_len,
                        tv_str(T "/summary/realm_personalization_value")),
              "personalization");
        for (int k = 0; k < 4; k++) {
            char path[120];
            snprintf(path, sizeof path, T "/summary/realm_extensible_measurements/%d", k);
            CHECK(tv_hex_eq(t.rem[k], t.rem_len[k], tv_str(path)), "REM%d", k);
        }
        CHECK(strcmp(t.hash_algo, tv_str(T "/summary/realm_hash_algo_id")) == 0 &&
                  strcmp(t.rak_hash_algo,
                         tv_str(T "/summary/realm_public_key_hash_algo_id")) == 0,
              "hash algorithms");
        CHECK(tv_hex_eq(t.rak, t.rak_len, tv_str(T "/summary/rak_public_key")),
              "RAK");
        CHECK(c.tee == MANTLE_TEE_CCA && !c.debug &&
                  tv_hex_eq(c.measurement, c.measurement_len,
                            tv_str(T "/summary/realm_initial_measurement")) &&
                  tv_hex_eq(c.report_data, c.report_data_len,
                            tv_str(T "/summary/realm_challenge")),
              "claims");
        printf("ok   %-34s verifies with tastore.json (lifecycle 0x%llx)\n", T,
               (unsigned long long)t.lifecycle);
    }
    in.root = tv_blob(&jwk);
    mantle_verify_reason r;
    char msg[512];
    CHECK(tv_verify(&in, &c, &r, msg, sizeof msg) == MANTLE_OK,
          "with cpak-pub.json: %s", msg);
    in.root.data = NULL;
    tv_expect_refused("cca-no-cpak", &in, MANTLE_VERIFY_MISSING);
    tv_free(&tok);
    tv_free(&ta);
    tv_free(&jwk);
}

static void negative(const char *id)
{
    tv_file tok = tv_read(T), ta = tv_read("tastore.json"), m = tv_copy(&tok);
    mantle_verify_input in;

    input(&in, &m, &ta);
    if (strcmp(id, "cca-flip-platform-payload") == 0) {
        m.data[0x58e] ^= 1;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
    } else if (strcmp(id, "cca-flip-realm-payload") == 0) {
        m.data[0x857] ^= 1;
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
    } else if (strcmp(id, "cca-wrong-cpak") == 0) {
        /* The RAK as a JWK-less PEM public key: any key but the CPAK. */
        cca_token t;
        av_err e;
        CHECK(cca_token_parse(tok.data, tok.len, &t, &e) == 0, "parse");
        EVP_PKEY *rak = av_ec_key("P-384", t.rak + 1, 48);
        unsigned char *der = NULL;
        int n = i2d_PUBKEY(rak, &der);
        tv_file k = {der, (size_t)n, "rak.der"};
        in.root = tv_blob(&k);
        tv_expect_refused(id, &in, MANTLE_VERIFY_SIGNATURE);
        OPENSSL_free(der);
        EVP_PKEY_free(rak);
    } else if (strcmp(id, "cca-binding") == 0) {
        cca_token t;
        av_err e;
        CHECK(cca_token_parse(tok.data, tok.len, &t, &e) == 0, "parse");
        CHECK(cca_check_binding(t.challenge, t.challenge_len, t.rak, t.rak_len,
                                "sha-256", &e) == 0,
              "sha-256(RAK) binds");
        CHECK(cca_check_binding(t.challenge, t.challenge_len, t.rak, t.rak_len,
                                "sha-512", &e) == MANTLE_VERIFY_BINDING,
              "sha-512(RAK) must not bind");
        /* SHA-256 of the COSE_Key form (here: the bare X || Y) neither. */
        CHECK(cca_check_binding(t.challenge, t.challenge_len, t.rak + 1,
                                t.rak_len - 1, "sha-256", &e) ==
                  MANTLE_VERIFY_BINDING,
              "sha-256(X||Y) must not bind");
        printf("ok   %-34s only sha-256(0x04||X||Y) binds: %s\n", id, e.message);
    } else if (strcmp(id, "cca-truncated") == 0) {
        in.evidence.len = tok.len - 1;
        tv_expect_refused(id, &in, MANTLE_VERIFY_MALFORMED);
        in.evidence.len = tok.len;
        /* Tag 399 (0xd9 0x01 0x8f) -> 398. */
        CHECK(m.data[0] == 0xd9 && m.data[1] == 0x01 && m.data[2] == 0x8f,
              "outer tag encoding");
        m.data[2] = 0x8e;
        tv_expect_refused("cca-truncated (tag 398)", &in,
                          MANTLE_VERIFY_UNSUPPORTED);
    } else {
        CHECK(0, "unhandled negative case %s", id);
    }
    tv_free(&tok);
    tv_free(&ta);
    tv_free(&m);
}

int main(int argc, char **argv)
{
    json_t *c;
    size_t i;

    if (!tv_init(argc, argv, "cca"))
        return TV_SKIP;
    positive();
    json_array_foreach(json_object_get(tv_expected(), "_negative_cases"), i, c)
        negative(json_string_value(json_object_get(c, "id")));
    return tv_done("cca");
}
