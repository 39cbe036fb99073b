/* test_tpm.c - node TEE facts on the TPM backend (against a swtpm that
 * tpm_test.sh starts): the node claims tpm, its evidence verifies with its
 * attestation key as the trust anchor, the verified facts say tpm, and a
 * deployment that needs tpm lands there.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>
#include <time.h>

#include <cbor.h>

#include "fleet.h"
#include "ft.h"
#include "tee/tee.h"

/* The value under an integer (or text, when skey) key of a CBOR map. */
static const cbor_item_t *get(const cbor_item_t *m, int64_t ikey,
                              const char *skey)
{
    struct cbor_pair *p;

    if (m == NULL || !cbor_isa_map(m))
        return NULL;
    p = cbor_map_handle(m);
    for (size_t i = 0; i < cbor_map_size(m); i++) {
        const cbor_item_t *k = p[i].key;
        if (skey && cbor_isa_string(k) &&
            cbor_string_length(k) == strlen(skey) &&
            memcmp(cbor_string_handle(k), skey, strlen(skey)) == 0)
            return p[i].value;
        if (!skey && cbor_isa_negint(k) &&
            -1 - (int64_t)cbor_get_int(k) == ikey)
            return p[i].value;
    }
    return NULL;
}

/* The TPM attestation key the token's platform evidence carries (DER),
 * copied into out; what a verifier would have learnt out of band (EK
 * credential activation, docs/tee.md). 0 when absent. */
static size_t ak_of(const uint8_t *tok, size_t n, uint8_t *out, size_t cap)
{
    struct cbor_load_result r;
    cbor_item_t *a, *claims = NULL, *pe = NULL;
    const cbor_item_t *v;
    size_t len = 0;

    /* COSE_Sign1, tagged: skip the one-byte tag 18. */
    if (n < 2 || (a = cbor_load(tok + 1, n - 1, &r)) == NULL)
        return 0;
    if (cbor_isa_array(a) && cbor_array_size(a) == 4 &&
        cbor_isa_bytestring(cbor_array_handle(a)[2]))
        claims = cbor_load(cbor_bytestring_handle(cbor_array_handle(a)[2]),
                           cbor_bytestring_length(cbor_array_handle(a)[2]),
                           &r);
    if ((v = get(claims, TEE_CLAIM_PLATFORM, NULL)) && cbor_isa_bytestring(v))
        pe = cbor_load(cbor_bytestring_handle(v), cbor_bytestring_length(v),
                       &r);
    if ((v = get(pe, 0, "ak")) && cbor_isa_bytestring(v) &&
        cbor_bytestring_length(v) <= cap) {
        len = cbor_bytestring_length(v);
        memcpy(out, cbor_bytestring_handle(v), len);
    }
    if (pe)
        cbor_decref(&pe);
    if (claims)
        cbor_decref(&claims);
    cbor_decref(&a);
    return len;
}

int main(int argc, char **argv)
{
    static const uint8_t challenge[8] = "tpm-chal";
    mantle_tee *tee = NULL;
    mantle_diag diag;
    struct fleet_node n;
    struct fleet_verify_opts o;
    uint8_t *ev = NULL, ak[1024];
    size_t evn = 0, akn;
    char name[512], err[512], why[1024];

    if (argc != 3) {
        fprintf(stderr, "usage: test_fleet_tpm TCTI STATE_DIR\n");
        return 2;
    }
    snprintf(name, sizeof name, "tpm:%s", argv[1]);
    memset(&diag, 0, sizeof diag);
    if (mantle_tee_open(name, argv[2], &tee, &diag) != MANTLE_OK) {
        fprintf(stderr, "FAIL: open %s: %s\n", name, diag.message);
        return 1;
    }
    CHECK(fleet_node_local("tpm-node", tee, NULL, 0, &n, err, sizeof err) ==
          MANTLE_OK);
    CHECK_STR(n.tee, "tpm");
    CHECK(!n.tee_verified);
    CHECK(fleet_node_evidence(tee, "tpm-node", challenge, sizeof challenge,
                              &ev, &evn, err, sizeof err) == MANTLE_OK);
    akn = ev ? ak_of(ev, evn, ak, sizeof ak) : 0;
    CHECK(akn > 0);

    memset(&o, 0, sizeof o);
    o.time = (int64_t)time(NULL);
    o.challenge = challenge;
    o.challenge_len = sizeof challenge;
    /* Without the attestation key nothing vouches for the quote. */
    CHECK(fleet_node_verify_tee(&n, ev, evn, &o, why, sizeof why) ==
          MANTLE_EREFUSED);
    CHECK_HAS(why, "tpm-node: missing input:");
    CHECK(!n.tee_verified);
    {
        mantle_blob akb = {ak, akn, "ak.der"};
        o.certs = &akb;
        o.ncerts = 1;
        CHECK(fleet_node_verify_tee(&n, ev, evn, &o, why, sizeof why) ==
              MANTLE_OK);
        CHECK_STR(n.tee, "tpm");
        CHECK(n.tee_verified);
        CHECK_HAS(why, "tpm-node: verified tpm evidence");
        printf("%s\n", why);
        /* Presented by another node: refused at the binding. */
        {
            struct fleet_node other;
            const char *j = "{\"id\":\"other\",\"arch\":\"x86_64\"}";
            CHECK(fleet_node_from_json(j, strlen(j), &other, err,
                                       sizeof err) == MANTLE_OK);
            CHECK(fleet_node_verify_tee(&other, ev, evn, &o, why,
                                        sizeof why) == MANTLE_EREFUSED);
            CHECK_HAS(why, "other: evidence made for another node");
            fleet_node_free(&other);
        }
        o.certs = NULL;
        o.ncerts = 0;
    }
    /* The verified node takes a replica that needs tpm. */
    {
        static const char m[] = "name: sealed\nmodule: m.wasm\n"
                                "constraints: {tee: tpm, debug_ok: true}\n";
        struct fleet_deploy d;
        struct fleet_assign *a = NULL;
        size_t na = 0;

        CHECK(fleet_manifest_parse(m, sizeof m - 1, "m", &d, err,
                                   sizeof err) == MANTLE_OK);
        n.last_seen_ms = 1;
        CHECK(fleet_place(&d, 1, &n, 1, NULL, 0, 1, 1, &a, &na) ==
              MANTLE_OK);
        CHECK(na == 1 && a[0].node && !strcmp(a[0].node, "tpm-node"));
        fleet_assign_free(a, na);
        fleet_deploy_free(&d);
    }
    fleet_node_free(&n);
    free(ev);
    mantle_tee_free(tee);
    return ft_done("fleet_tpm");
}
