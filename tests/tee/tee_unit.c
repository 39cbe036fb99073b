/* tee_unit.c - unit tests of the TEE layer: DICE known answers, key
 * separation, sealing, evidence, the soft backend and the tsm backend over
 * a fake configfs tree with injected kernel errors.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: tee_unit TESTVECTORS_DIR WORK_DIR GUEST.wasm
 * Links the static library and reaches internals through src/tee/.
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cbor.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mantle.h"
#include "platform/os_fs.h"
#include "tee/tee.h"
#include "tee/tee_tsm.h"

static int failures, checks;
static const char *vectors, *work, *guest_path;

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

/* ---- helpers ---------------------------------------------------------------- */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = s ? strlen(s) / 2 : 0;

    if (n > cap) {
        fprintf(stderr, "hex too long\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static uint8_t *read_file(const char *path, size_t *out_size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    fclose(f);
    *out_size = (size_t)n;
    return buf;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *mkwork(const char *name)
{
    char *p = malloc(4096);

    snprintf(p, 4096, "%s/%s", work, name);
    return p;
}

/* ---- DICE known answers ------------------------------------------------------- */

static void name_text(const X509_NAME *n, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    int len = b ? X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) : -1;

    len = len > 0 ? BIO_read(b, out, (int)cap - 1) : 0;
    out[len > 0 ? len : 0] = '\0';
    BIO_free(b);
}

static const ASN1_OCTET_STRING *dice_ext(const X509 *x, int *critical)
{
    ASN1_OBJECT *oid = OBJ_txt2obj(DICE_X509_INPUT_OID, 1);
    int i = X509_get_ext_by_OBJ(x, oid, -1);
    X509_EXTENSION *e = i >= 0 ? X509_get_ext(x, i) : NULL;

    ASN1_OBJECT_free(oid);
    *critical = e ? X509_EXTENSION_get_critical(e) : -1;
    return e ? X509_EXTENSION_get_data(e) : NULL;
}

/* One KAT X.509 certificate: ours equals the upstream bytes, and each field
 * the KAT lists is checked on its own so a difference says where. Returns
 * 1 when the certificate was compared. */
static int test_x509_kat(const char *name, json_t *kat, const dice_inputs *di,
                         const uint8_t sseed[32], const uint8_t aseed[32],
                         const uint8_t apub[32], const uint8_t spub[32])
{
    const char *hx = jstr(kat, "hex");
    uint8_t *mine = NULL, *ref, want[64], got[64], pub[32];
    size_t mine_size = 0, ref_size, n = sizeof pub;
    const unsigned char *p;
    X509 *x = NULL, *r = NULL;
    EVP_PKEY *ak, *bad;
    char text[256], want_text[256], serial[64];
    const ASN1_OCTET_STRING *ext, *rext;
    int crit = 0, rcrit = 0;
    BIGNUM *bn;
    char *bnhex;

    if (!hx)
        return 0;
    ref = malloc(strlen(hx) / 2);
    ref_size = unhex(hx, ref, strlen(hx) / 2);
    CHECK(ref_size == (size_t)json_integer_value(json_object_get(kat, "length")));
    CHECK(dice_x509_cert(sseed, aseed, di, &mine, &mine_size) == 0);
    CHECK_MSG(mine_size == ref_size && memcmp(mine, ref, ref_size) == 0,
              "%s: x509_ed25519: certificate differs (%zu vs %zu bytes)", name,
              mine_size, ref_size);
    unhex(jstr(kat, "sha256"), want, 32);
    CHECK(tee_sha256(mine, mine_size, got) == 0);
    CHECK_MSG(memcmp(got, want, 32) == 0, "%s: x509 sha256", name);

    p = mine;
    x = d2i_X509(NULL, &p, (long)mine_size);
    p = ref;
    r = d2i_X509(NULL, &p, (long)ref_size);
    CHECK_MSG(x && r, "%s: x509: OpenSSL cannot parse", name);
    if (!x || !r)
        goto out;
    CHECK(X509_get_version(x) == X509_VERSION_3);
    name_text(X509_get_subject_name(x), text, sizeof text);
    snprintf(want_text, sizeof want_text, "%s", jstr(kat, "subject"));
    CHECK_MSG(strcmp(text, want_text) == 0, "%s: subject %s", name, text);
    name_text(X509_get_issuer_name(x), text, sizeof text);
    CHECK_MSG(strcmp(text, jstr(kat, "issuer")) == 0, "%s: issuer %s", name,
              text);
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    bnhex = bn ? BN_bn2hex(bn) : NULL;
    snprintf(serial, sizeof serial, "%s", bnhex ? bnhex : "");
    for (char *c = serial; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    CHECK_MSG(strcmp(serial, jstr(kat, "serial_hex")) == 0, "%s: serial %s",
              name, serial);
    OPENSSL_free(bnhex);
    BN_free(bn);
    CHECK(EVP_PKEY_get_raw_public_key(X509_get0_pubkey(x), pub, &n) == 1 &&
          n == 32);
    unhex(jstr(kat, "subject_public_key"), want, 32);
    CHECK_MSG(memcmp(pub, want, 32) == 0 && memcmp(pub, spub, 32) == 0,
              "%s: subject public key", name);
    /* signed by the authority's key and by no other */
    ak = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, apub, 32);
    bad = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, spub, 32);
    CHECK_MSG(X509_verify(x, ak) == 1, "%s: signature", name);
    CHECK(X509_verify(x, bad) != 1);
    EVP_PKEY_free(ak);
    EVP_PKEY_free(bad);
    /* extensions: CA, keyCertSign only, key ids, OpenDiceInput critical */
    CHECK(X509_check_ca(x) == 1);
    CHECK(X509_get_key_usage(x) == KU_KEY_CERT_SIGN);
    CHECK(X509_get_extension_flags(x) & EXFLAG_CRITICAL);
    CHECK(X509_get_ext_count(x) == 5);
    CHECK(ASN1_STRING_cmp(X509_get0_subject_key_id(x),
                          X509_get0_subject_key_id(r)) == 0);
    CHECK(ASN1_STRING_cmp(X509_get0_authority_key_id(x),
                          X509_get0_authority_key_id(r)) == 0);
    ext = dice_ext(x, &crit);
    rext = dice_ext(r, &rcrit);
    CHECK_MSG(ext && rext && crit == 1 && rcrit == 1 &&
                  ASN1_STRING_cmp(ext, rext) == 0,
              "%s: OpenDiceInput extension differs", name);
    /* the extension carries the code hash and the mode (last 3 bytes) */
    if (ext) {
        const uint8_t *d = ASN1_STRING_get0_data(ext);
        int len = ASN1_STRING_length(ext);

        CHECK(len > 80 && memmem(d, (size_t)len, di->code_hash, 64) != NULL);
        CHECK(len > 3 && d[len - 3] == 0x0a && d[len - 2] == 1 &&
              d[len - 1] == di->mode);
    }
    /* another mode: another certificate, still signed by the authority */
    {
        dice_inputs m = *di;
        uint8_t *other = NULL;
        size_t other_size = 0;

        m.mode = TEE_MODE_DEBUG;
        CHECK(dice_x509_cert(sseed, aseed, &m, &other, &other_size) == 0);
        CHECK(other_size == mine_size && memcmp(other, mine, mine_size) != 0);
        free(other);
    }
out:
    X509_free(x);
    X509_free(r);
    free(mine);
    free(ref);
    return 1;
}

static void test_dice_kat(void)
{
    char path[4096];
    json_error_t err;
    json_t *root, *cases, *c;
    const char *name;
    int ncases = 0, ncerts = 0;

    snprintf(path, sizeof path, "%s/dice/kat.json", vectors);
    root = json_load_file(path, 0, &err);
    if (!root) {
        fprintf(stderr, "FAIL %s: %s\n", path, err.text);
        failures++;
        return;
    }
    cases = json_object_get(root, "cases");
    json_object_foreach(cases, name, c) {
        json_t *in = json_object_get(c, "inputs");
        json_t *ex = json_object_get(c, "expected");
        json_t *ed = json_object_get(json_object_get(c, "derived_here"), "ed25519");
        json_t *certs = json_object_get(c, "certificates");
        uint8_t ca[32], cs[32], na[32], ns[32], want[64];
        uint8_t cdesc[256], fdesc[256], adesc[256];
        uint8_t aseed[32], apub[32], sseed[32], spub[32], id[20];
        dice_inputs di;
        const char *profiles[2] = {NULL, "android.18"};
        const char *arrays[2] = {"cbor_ed25519", "cbor_ed25519_android"};

        ncases++;
        memset(&di, 0, sizeof di);
        unhex(jstr(in, "current_cdi_attest"), ca, 32);
        unhex(jstr(in, "current_cdi_seal"), cs, 32);
        unhex(jstr(in, "code_hash"), di.code_hash, 64);
        di.code_descriptor_size = unhex(jstr(in, "code_descriptor"), cdesc, sizeof cdesc);
        di.code_descriptor = cdesc;
        if (strcmp(jstr(in, "config_type"), "descriptor") == 0) {
            di.config_type = DICE_CONFIG_DESCRIPTOR;
            di.config_descriptor_size =
                unhex(jstr(in, "config_descriptor"), fdesc, sizeof fdesc);
            di.config_descriptor = fdesc;
        } else {
            di.config_type = DICE_CONFIG_INLINE;
            unhex(jstr(in, "config_value"), di.config_value, 64);
        }
        unhex(jstr(in, "authority_hash"), di.authority_hash, 64);
        di.authority_descriptor_size =
            unhex(jstr(in, "authority_descriptor"), adesc, sizeof adesc);
        di.authority_descriptor = adesc;
        di.mode = (uint8_t)json_integer_value(json_object_get(in, "mode"));
        unhex(jstr(in, "hidden"), di.hidden, 64);

        CHECK(dice_main_flow(ca, cs, &di, na, ns) == 0);
        unhex(jstr(ex, "next_cdi_attest"), want, 32);
        CHECK_MSG(memcmp(na, want, 32) == 0, "%s: CDI_Attest", name);
        unhex(jstr(ex, "next_cdi_seal"), want, 32);
        CHECK_MSG(memcmp(ns, want, 32) == 0, "%s: CDI_Seal", name);

        /* key pairs and ids of the authority (current) and subject (next) */
        CHECK(dice_keypair(ca, aseed, apub) == 0);
        CHECK(dice_keypair(na, sseed, spub) == 0);
        unhex(jstr(ed, "authority_private_key_seed"), want, 32);
        CHECK_MSG(memcmp(aseed, want, 32) == 0, "%s: authority seed", name);
        unhex(jstr(ed, "authority_public_key"), want, 32);
        CHECK_MSG(memcmp(apub, want, 32) == 0, "%s: authority key", name);
        unhex(jstr(ed, "subject_private_key_seed"), want, 32);
        CHECK_MSG(memcmp(sseed, want, 32) == 0, "%s: subject seed", name);
        unhex(jstr(ed, "subject_public_key"), want, 32);
        CHECK_MSG(memcmp(spub, want, 32) == 0, "%s: subject key", name);
        CHECK(dice_id(apub, id) == 0);
        unhex(jstr(ed, "authority_id"), want, 20);
        CHECK_MSG(memcmp(id, want, 20) == 0, "%s: authority id", name);
        CHECK(dice_id(spub, id) == 0);
        unhex(jstr(ed, "subject_id"), want, 20);
        CHECK_MSG(memcmp(id, want, 20) == 0, "%s: subject id", name);

        /* CBOR certificates, byte for byte (empty upstream arrays skipped) */
        for (int p = 0; p < 2; p++) {
            json_t *cert = json_object_get(certs, arrays[p]);
            const char *hx = jstr(cert, "hex");
            uint8_t *mine = NULL, *ref;
            size_t mine_size = 0, ref_size;

            if (!hx || json_integer_value(json_object_get(cert, "length")) == 0)
                continue;
            ref = malloc(strlen(hx) / 2);
            ref_size = unhex(hx, ref, strlen(hx) / 2);
            CHECK(dice_cbor_cert(sseed, aseed, &di, profiles[p], &mine,
                                 &mine_size) == 0);
            CHECK_MSG(mine_size == ref_size && memcmp(mine, ref, ref_size) == 0,
                      "%s: %s: certificate differs (%zu vs %zu bytes)", name,
                      arrays[p], mine_size, ref_size);
            ncerts++;
            free(mine);
            free(ref);
        }

        /* X.509 certificate, byte for byte, and each field on its own */
        ncerts += test_x509_kat(name, json_object_get(certs, "x509_ed25519"),
                                &di, sseed, aseed, apub, spub);

        /* negative cases (kat.json _negative_cases): mode and code */
        {
            dice_inputs m = di;
            uint8_t ma[32], ms[32];

            m.mode = 2;
            CHECK(dice_main_flow(ca, cs, &m, ma, ms) == 0);
            CHECK(memcmp(ma, na, 32) != 0 && memcmp(ms, ns, 32) != 0);
            m = di;
            m.code_hash[0] ^= 1;
            CHECK(dice_main_flow(ca, cs, &m, ma, ms) == 0);
            CHECK(memcmp(ma, na, 32) != 0 && memcmp(ms, ns, 32) == 0);
        }
    }
    CHECK(ncases == 3);
    /* 2 open-dice + 3 android CBOR Ed25519 certs, 3 X.509 Ed25519 certs */
    CHECK(ncerts == 8);
    json_decref(root);
}

/* ---- Key separation and sealing -------------------------------------------------- */

static void test_keys_and_sealing(void)
{
    uint8_t uds_a[32], uds_b[32], rt[32], mod_a[32], mod_b[32];
    uint8_t cfg_1[32], cfg_2[32];
    tee_module_keys a1, a2, b1, a1_other_dev, a1_again;
    static const uint8_t pt[] = "the guest's secret data";
    uint8_t blob[sizeof pt + TEE_SEAL_OVERHEAD], out[sizeof pt];
    mantle_tee_launch l1, l2;
    const char *env2[] = {"MODE=other"};
    mantle_wasi_preopen pre = {"/host/a", "/data", false, false};

    memset(uds_a, 0xa1, 32);
    memset(uds_b, 0xb2, 32);
    memset(rt, 0x11, 32);
    tee_sha256((const uint8_t *)"module A", 8, mod_a);
    tee_sha256((const uint8_t *)"module B", 8, mod_b);
    memset(&l1, 0, sizeof l1);
    l1.preopens = &pre;
    l1.npreopens = 1;
    l2 = l1;
    l2.envp = env2;
    l2.envc = 1;
    CHECK(tee_launch_digest(&l1, cfg_1) == 0);
    CHECK(tee_launch_digest(&l2, cfg_2) == 0);
    CHECK(memcmp(cfg_1, cfg_2, 32) != 0);
    /* the host path is not measured */
    {
        mantle_wasi_preopen other = {"/elsewhere", "/data", false, false};
        mantle_tee_launch l3 = l1;
        uint8_t cfg_3[32];

        l3.preopens = &other;
        CHECK(tee_launch_digest(&l3, cfg_3) == 0 && memcmp(cfg_1, cfg_3, 32) == 0);
        other.read_only = true;
        CHECK(tee_launch_digest(&l3, cfg_3) == 0 && memcmp(cfg_1, cfg_3, 32) != 0);
        /* a sealed preopen is measured as such (its data keys differ) */
        other.read_only = false;
        other.sealed = true;
        CHECK(tee_launch_digest(&l3, cfg_3) == 0 && memcmp(cfg_1, cfg_3, 32) != 0);
    }

    CHECK(tee_module_keys_from_uds(uds_a, 2, rt, mod_a, cfg_1, &a1) == 0);
    CHECK(tee_module_keys_from_uds(uds_a, 2, rt, mod_a, cfg_1, &a1_again) == 0);
    CHECK(tee_module_keys_from_uds(uds_a, 2, rt, mod_a, cfg_2, &a2) == 0);
    CHECK(tee_module_keys_from_uds(uds_a, 2, rt, mod_b, cfg_1, &b1) == 0);
    CHECK(tee_module_keys_from_uds(uds_b, 2, rt, mod_a, cfg_1, &a1_other_dev) == 0);
    /* deterministic */
    CHECK(memcmp(a1.seal_key, a1_again.seal_key, 32) == 0);
    CHECK(memcmp(a1.attest_pub, a1_again.attest_pub, 32) == 0);
    /* same module, other configuration: other keys */
    CHECK(memcmp(a1.seal_key, a2.seal_key, 32) != 0);
    CHECK(memcmp(a1.attest_pub, a2.attest_pub, 32) != 0);
    /* other module: other keys */
    CHECK(memcmp(a1.seal_key, b1.seal_key, 32) != 0);
    CHECK(memcmp(a1.attest_pub, b1.attest_pub, 32) != 0);
    /* other device secret: other keys */
    CHECK(memcmp(a1.seal_key, a1_other_dev.seal_key, 32) != 0);

    CHECK(tee_seal(a1.seal_key, NULL, 0, pt, sizeof pt, blob) == MANTLE_OK);
    memset(out, 0x5a, sizeof out);
    CHECK(tee_unseal(a1_again.seal_key, NULL, 0, blob, sizeof blob, out) == MANTLE_OK);
    CHECK(memcmp(out, pt, sizeof pt) == 0);
    memset(out, 0x5a, sizeof out);
    CHECK(tee_unseal(b1.seal_key, NULL, 0, blob, sizeof blob, out) == MANTLE_EAUTH);
    CHECK(tee_unseal(a2.seal_key, NULL, 0, blob, sizeof blob, out) == MANTLE_EAUTH);
    CHECK(tee_unseal(a1_other_dev.seal_key, NULL, 0, blob, sizeof blob, out) ==
          MANTLE_EAUTH);
    /* outputs untouched on failure */
    for (size_t i = 0; i < sizeof out; i++)
        CHECK(out[i] == 0x5a);
    /* aad is authenticated; any flipped byte fails */
    CHECK(tee_unseal(a1.seal_key, (const uint8_t *)"x", 1, blob, sizeof blob,
                     out) == MANTLE_EAUTH);
    for (size_t i = 0; i < sizeof blob; i++) {
        blob[i] ^= 0x40;
        if (tee_unseal(a1.seal_key, NULL, 0, blob, sizeof blob, out) != MANTLE_EAUTH) {
            CHECK_MSG(0, "flipped byte %zu still opens", i);
            break;
        }
        blob[i] ^= 0x40;
    }
    CHECK(tee_unseal(a1.seal_key, NULL, 0, blob, TEE_SEAL_OVERHEAD - 1, out) ==
          MANTLE_EAUTH);
    /* A reused context (sealed storage's): blobs interchange with the
     * per-call path, and a failed open (wrong key, flipped byte) leaves
     * nothing behind that affects the next one. */
    {
        tee_gcm *g = tee_gcm_new();
        static const uint8_t nonce[12] = {7};
        uint8_t blob2[sizeof blob];

        CHECK(g);
        CHECK(tee_seal_nonce_gcm(g, a1.seal_key, nonce, NULL, 0, pt, sizeof pt,
                                 blob2) == MANTLE_OK);
        CHECK(tee_seal_nonce(a1.seal_key, nonce, NULL, 0, pt, sizeof pt,
                             blob) == MANTLE_OK);
        CHECK(memcmp(blob, blob2, sizeof blob) == 0);
        for (int round = 0; round < 2; round++) {
            memset(out, 0x5a, sizeof out);
            CHECK(tee_unseal_gcm(g, b1.seal_key, NULL, 0, blob, sizeof blob,
                                 out) == MANTLE_EAUTH);
            blob[20] ^= 1;
            CHECK(tee_unseal_gcm(g, a1.seal_key, NULL, 0, blob, sizeof blob,
                                 out) == MANTLE_EAUTH);
            blob[20] ^= 1;
            CHECK(out[0] == 0x5a);
            CHECK(tee_unseal_gcm(g, a1.seal_key, NULL, 0, blob, sizeof blob,
                                 out) == MANTLE_OK);
            CHECK(memcmp(out, pt, sizeof pt) == 0);
        }
        /* One key, several nonces in a row (the context keeps the key's
         * schedule and only sets the nonce): the same blobs as the
         * per-call path, each opens, and so does the one before it; then
         * another key fails and the first opens again. */
        {
            uint8_t prev[sizeof blob], one[sizeof blob];

            for (int k = 0; k < 3; k++) {
                uint8_t nk[12] = {0};

                nk[0] = (uint8_t)(k + 1);
                CHECK(tee_seal_nonce_gcm(g, a1.seal_key, nk, NULL, 0, pt,
                                         sizeof pt, blob2) == MANTLE_OK);
                CHECK(tee_seal_nonce(a1.seal_key, nk, NULL, 0, pt, sizeof pt,
                                     one) == MANTLE_OK);
                CHECK(memcmp(one, blob2, sizeof one) == 0);
                CHECK(tee_unseal_gcm(g, a1.seal_key, NULL, 0, blob2,
                                     sizeof blob2, out) == MANTLE_OK);
                CHECK(memcmp(out, pt, sizeof pt) == 0);
                if (k)
                    CHECK(tee_unseal_gcm(g, a1.seal_key, NULL, 0, prev,
                                         sizeof prev, out) == MANTLE_OK);
                memcpy(prev, blob2, sizeof prev);
            }
            CHECK(tee_unseal_gcm(g, b1.seal_key, NULL, 0, prev, sizeof prev,
                                 out) == MANTLE_EAUTH);
            CHECK(tee_unseal_gcm(g, a1.seal_key, NULL, 0, prev, sizeof prev,
                                 out) == MANTLE_OK);
        }
        tee_gcm_free(g);
        tee_gcm_free(NULL);
    }
    tee_module_keys_wipe(&a1);
    tee_module_keys_wipe(&a2);
    tee_module_keys_wipe(&b1);
    tee_module_keys_wipe(&a1_again);
    tee_module_keys_wipe(&a1_other_dev);
}

/* ---- Evidence ----------------------------------------------------------------------- */

static const cbor_item_t *map_get(const cbor_item_t *m, int64_t key)
{
    struct cbor_pair *p = cbor_map_handle(m);

    for (size_t i = 0; i < cbor_map_size(m); i++) {
        const cbor_item_t *k = p[i].key;
        int64_t v;

        if (cbor_isa_uint(k))
            v = (int64_t)cbor_get_int(k);
        else if (cbor_isa_negint(k))
            v = -1 - (int64_t)cbor_get_int(k);
        else
            continue;
        if (v == key)
            return p[i].value;
    }
    return NULL;
}

/* Verify an untagged COSE_Sign1 (EdDSA) with pub; its payload decoded. */
static cbor_item_t *sign1_open(const uint8_t *data, size_t n, const uint8_t pub[32])
{
    struct cbor_load_result r;
    cbor_item_t *a = cbor_load(data, n, &r), *pl = NULL;
    cbor_item_t **h;
    uint8_t *tbs = NULL;
    size_t tbs_size = 0;

    if (!a || !cbor_isa_array(a) || cbor_array_size(a) != 4)
        goto out;
    h = cbor_array_handle(a);
    if (cbor_bytestring_length(h[3]) != 64 ||
        tee_cose_tbs(cbor_bytestring_handle(h[0]), cbor_bytestring_length(h[0]),
                     cbor_bytestring_handle(h[2]), cbor_bytestring_length(h[2]),
                     &tbs, &tbs_size) != 0 ||
        tee_ed25519_verify(pub, tbs, tbs_size, cbor_bytestring_handle(h[3])) != 0)
        goto out;
    pl = cbor_load(cbor_bytestring_handle(h[2]), cbor_bytestring_length(h[2]), &r);
out:
    free(tbs);
    if (a)
        cbor_decref(&a);
    return pl;
}

/* The X.509 DICE chain of a verified token: a self-signed root with the
 * layer-0 key, layer 1 by the root, layer 2 by layer 1 with the module key
 * and the module digest in its OpenDiceInput; OpenSSL's path validation
 * accepts it (OpenDiceInput is critical and unknown to OpenSSL, hence
 * IGNORE_CRITICAL). */
static void check_x509_chain(const cbor_item_t *claims, const uint8_t root[32],
                             const uint8_t leaf[32], const uint8_t module[32])
{
    const cbor_item_t *xc = map_get(claims, TEE_CLAIM_DICE_X509);
    X509 *x[3] = {NULL, NULL, NULL};
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *mid = sk_X509_new_null();
    uint8_t pub[32];
    size_t n;
    int crit;

    CHECK(xc && cbor_isa_array(xc) && cbor_array_size(xc) == 3);
    if (!xc || cbor_array_size(xc) != 3)
        goto out;
    for (int i = 0; i < 3; i++) {
        const cbor_item_t *b = cbor_array_handle(xc)[i];
        const unsigned char *p = cbor_bytestring_handle(b);

        x[i] = d2i_X509(NULL, &p, (long)cbor_bytestring_length(b));
        CHECK(x[i] != NULL);
        if (!x[i])
            goto out;
    }
    n = 32;
    CHECK(EVP_PKEY_get_raw_public_key(X509_get0_pubkey(x[0]), pub, &n) == 1 &&
          memcmp(pub, root, 32) == 0);
    n = 32;
    CHECK(EVP_PKEY_get_raw_public_key(X509_get0_pubkey(x[2]), pub, &n) == 1 &&
          memcmp(pub, leaf, 32) == 0);
    CHECK(X509_verify(x[0], X509_get0_pubkey(x[0])) == 1);
    CHECK(X509_verify(x[1], X509_get0_pubkey(x[0])) == 1);
    CHECK(X509_verify(x[2], X509_get0_pubkey(x[1])) == 1);
    CHECK(X509_verify(x[2], X509_get0_pubkey(x[0])) != 1);
    CHECK(dice_ext(x[0], &crit) == NULL);
    {
        const ASN1_OCTET_STRING *e = dice_ext(x[2], &crit);

        CHECK(e && crit == 1 &&
              memmem(ASN1_STRING_get0_data(e), (size_t)ASN1_STRING_length(e),
                     module, 32) != NULL);
    }
    CHECK(store && ctx && mid && X509_STORE_add_cert(store, x[0]) == 1 &&
          sk_X509_push(mid, x[1]) > 0);
    X509_STORE_set_flags(store, X509_V_FLAG_IGNORE_CRITICAL |
                                    X509_V_FLAG_X509_STRICT);
    CHECK(X509_STORE_CTX_init(ctx, store, x[2], mid) == 1);
    CHECK_MSG(X509_verify_cert(ctx) == 1, "X.509 DICE chain: %s",
              X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
    sk_X509_free(mid);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    for (int i = 0; i < 3; i++)
        X509_free(x[i]);
}

/* Check a token end to end: DICE chain from the layer-0 key to the module
 * key, the token's signature, nonce and measurements. Returns the claims
 * (caller frees) or NULL. */
static cbor_item_t *check_token(const uint8_t *tok, size_t n,
                                const uint8_t nonce[64], const char *kind,
                                const uint8_t module_digest[32])
{
    const cbor_item_t *chain, *v;
    cbor_item_t *c1 = NULL, *c2 = NULL, *claims = NULL;
    uint8_t root[32], l1[32], l2[32];
    struct cbor_load_result r;
    cbor_item_t *a;

    CHECK(n > 1 && tok[0] == 0xd2);  /* tag 18 */
    a = cbor_load(tok + 1, n - 1, &r);
    CHECK(a && cbor_isa_array(a) && cbor_array_size(a) == 4);
    if (!a)
        return NULL;
    {
        cbor_item_t *pl = cbor_array_handle(a)[2];
        cbor_item_t *unverified = cbor_load(cbor_bytestring_handle(pl),
                                            cbor_bytestring_length(pl), &r);

        chain = unverified ? map_get(unverified, TEE_CLAIM_DICE_CHAIN) : NULL;
        CHECK(chain && cbor_array_size(chain) == 3);
        if (!chain) {
            cbor_decref(&a);
            return NULL;
        }
        memcpy(root, cbor_bytestring_handle(cbor_array_handle(chain)[0]) + 13, 32);
        c1 = sign1_open(cbor_bytestring_handle(cbor_array_handle(chain)[1]),
                        cbor_bytestring_length(cbor_array_handle(chain)[1]), root);
        CHECK(c1 != NULL);  /* layer 1 signed by the root */
        if (c1) {
            v = map_get(c1, -4670552);
            memcpy(l1, cbor_bytestring_handle(v) + 13, 32);
            c2 = sign1_open(cbor_bytestring_handle(cbor_array_handle(chain)[2]),
                            cbor_bytestring_length(cbor_array_handle(chain)[2]), l1);
            CHECK(c2 != NULL);  /* layer 2 signed by layer 1 */
        }
        if (c2) {
            v = map_get(c2, -4670552);
            memcpy(l2, cbor_bytestring_handle(v) + 13, 32);
            /* the token is signed by the module key */
            claims = sign1_open(tok + 1, n - 1, l2);
            CHECK(claims != NULL);
            /* layer 2's code hash is the module digest */
            v = map_get(c2, -4670545);
            CHECK(v && memcmp(cbor_bytestring_handle(v), module_digest, 32) == 0);
        }
        cbor_decref(&unverified);
    }
    if (claims) {
        v = map_get(claims, 10);
        CHECK(v && cbor_bytestring_length(v) == 64 &&
              memcmp(cbor_bytestring_handle(v), nonce, 64) == 0);
        v = map_get(claims, TEE_CLAIM_TEE);
        CHECK(v && cbor_string_length(v) == strlen(kind) &&
              memcmp(cbor_string_handle(v), kind, strlen(kind)) == 0);
        v = map_get(claims, TEE_CLAIM_MODULE);
        CHECK(v && memcmp(cbor_bytestring_handle(v), module_digest, 32) == 0);
        check_x509_chain(claims, root, l2, module_digest);
    }
    if (c1)
        cbor_decref(&c1);
    if (c2)
        cbor_decref(&c2);
    cbor_decref(&a);
    return claims;
}

static void test_soft_backend(void)
{
    char *dir_a = mkwork("soft-a"), *dir_b = mkwork("soft-b");
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_tee *tee = NULL, *tee_b = NULL, *again = NULL;
    mantle_diag diag;
    uint8_t nonce[64], *tok = NULL, md[32];
    size_t n = 0, size;
    uint8_t *bytes = read_file(guest_path, &size);
    tee_module_keys ka, kb, ka2;
    uint64_t c0 = 0, c1 = 0, c2 = 0;
    os_stat st;

    for (int i = 0; i < 64; i++)
        nonce[i] = (uint8_t)i;
    CHECK(mantle_engine_new(NULL, &engine) == MANTLE_OK);
    CHECK(mantle_module_new(engine, bytes, size, "guest", &module, NULL) == MANTLE_OK);
    tee_sha256(bytes, size, md);

    /* auto never picks soft; soft needs a state directory */
    if (os_fs_fstatat(OS_FD_CWD, "/dev/tpmrm0", true, &st) < 0 &&
        os_fs_fstatat(OS_FD_CWD, "/sys/kernel/config/tsm/report", true, &st) < 0) {
        CHECK(mantle_tee_open("auto", dir_a, &tee, &diag) == MANTLE_ENOTEE);
        CHECK(tee == NULL && strstr(diag.message, "--tee=soft"));
    }
    CHECK(mantle_tee_open("soft", NULL, &tee, &diag) == MANTLE_EINVAL);
    CHECK(mantle_tee_open("nonesuch", dir_a, &tee, &diag) == MANTLE_EINVAL);

    CHECK(mantle_tee_open("soft", dir_a, &tee, &diag) == MANTLE_OK);
    CHECK(strcmp(mantle_tee_backend(tee), "soft") == 0 && mantle_tee_debug(tee));
    {
        char p[4096];

        snprintf(p, sizeof p, "%s/device-secret", dir_a);
        CHECK(os_fs_fstatat(OS_FD_CWD, p, false, &st) >= 0 && st.size == 32);
        CHECK(access(p, F_OK) == 0);
    }
    CHECK(mantle_tee_evidence(tee, module, NULL, nonce, &tok, &n, &diag) == MANTLE_OK);
    {
        cbor_item_t *claims = check_token(tok, n, nonce, "soft", md);

        if (claims) {
            const cbor_item_t *v = map_get(claims, 262);

            CHECK(v && cbor_get_int(v) == 0);  /* dbgstat: debug enabled */
            v = map_get(claims, TEE_CLAIM_ISOLATION);
            CHECK(v && !cbor_get_bool(v));
            CHECK(map_get(claims, TEE_CLAIM_PLATFORM) == NULL);
            cbor_decref(&claims);
        }
    }
    mantle_tee_evidence_free(tok);

    /* the same device secret on reopen; another directory, another one */
    CHECK(mantle_tee_open("soft", dir_a, &again, &diag) == MANTLE_OK);
    CHECK(mantle_tee_open("soft", dir_b, &tee_b, &diag) == MANTLE_OK);
    CHECK(tee_launch_keys(tee, module, NULL, &ka, &diag) == MANTLE_OK);
    CHECK(tee_launch_keys(again, module, NULL, &ka2, &diag) == MANTLE_OK);
    CHECK(tee_launch_keys(tee_b, module, NULL, &kb, &diag) == MANTLE_OK);
    CHECK(memcmp(ka.seal_key, ka2.seal_key, 32) == 0);
    CHECK(memcmp(ka.seal_key, kb.seal_key, 32) != 0);
    tee_module_keys_wipe(&ka);
    tee_module_keys_wipe(&ka2);
    tee_module_keys_wipe(&kb);

    /* the counter only goes up, across handles */
    CHECK(mantle_tee_counter(tee, false, &c0, &diag) == MANTLE_OK);
    CHECK(mantle_tee_counter(tee, true, &c1, &diag) == MANTLE_OK);
    CHECK(mantle_tee_counter(again, true, &c2, &diag) == MANTLE_OK);
    CHECK(c1 == c0 + 1 && c2 == c1 + 1);

    mantle_tee_free(tee);
    mantle_tee_free(again);
    mantle_tee_free(tee_b);
    mantle_tee_free(NULL);
    mantle_module_free(module);
    mantle_engine_free(engine);
    free(bytes);
    free(dir_a);
    free(dir_b);
}

/* ---- Counters: per module, anchored, rollback caught ------------------------- */

static void copy_file(const char *from, const char *to)
{
    size_t n;
    uint8_t *d = read_file(from, &n);
    FILE *f = fopen(to, "wb");

    CHECK(f && fwrite(d, 1, n, f) == n);
    if (f)
        fclose(f);
    free(d);
}

static void test_counters(void)
{
    char *dir = mkwork("counters"), path[4200], saved[4200];
    mantle_tee *tee = NULL;
    mantle_diag diag;
    uint8_t uds[32], a[32], b[32], node[32] = {0};
    uint64_t v = 0, w = 0, hw = 0;
    pid_t kids[4];

    memset(a, 0xaa, 32);
    memset(b, 0xbb, 32);
    CHECK(mantle_tee_open("soft", dir, &tee, &diag) == MANTLE_OK);
    if (!tee)
        return;
    CHECK(tee->ops->seal_root(tee->b, uds, &diag) == MANTLE_OK);
    /* fresh: every counter reads 0 and nothing is written by reading */
    CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_OK && v == 0);
    snprintf(path, sizeof path, "%s/counters", dir);
    CHECK(access(path, F_OK) != 0);
    /* each module has its own counter */
    CHECK(tee_counter(tee, uds, a, true, &v, &diag) == MANTLE_OK && v == 1);
    CHECK(tee_counter(tee, uds, a, true, &v, &diag) == MANTLE_OK && v == 2);
    CHECK(tee_counter(tee, uds, b, true, &w, &diag) == MANTLE_OK && w == 1);
    CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_OK && v == 2);
    CHECK(tee_counter(tee, uds, node, false, &v, &diag) == MANTLE_OK && v == 0);
    /* the backend counter moved once to start and once per increment */
    CHECK(tee->ops->counter(tee->b, false, &hw, &diag) == MANTLE_OK && hw == 4);

    /* a rolled-back table (an older copy) is refused, and stays refused */
    snprintf(saved, sizeof saved, "%s/counters.old", dir);
    copy_file(path, saved);
    CHECK(tee_counter(tee, uds, a, true, &v, &diag) == MANTLE_OK && v == 3);
    copy_file(saved, path);
    CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_EAUTH);
    CHECK_MSG(strstr(diag.message, "rolled back") != NULL, "%s", diag.message);
    CHECK(tee_counter(tee, uds, b, true, &v, &diag) == MANTLE_EAUTH);
    /* the public node counter shares the table: refused too */
    CHECK(mantle_tee_counter(tee, false, &v, &diag) == MANTLE_EAUTH);

    /* a crash between writing the table and moving the counter: the table
     * is one ahead, and the next operation completes the increment */
    {
        uint64_t before;

        CHECK(tee->ops->counter(tee->b, false, &before, &diag) == MANTLE_OK);
        /* saved is anchored at `before - 1`; make the counter lag it by
         * writing the backend counter file back by two */
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)((before - 2) >> (8 * i));
        CHECK(tee_state_write(dir, "counter", le, 8, &diag) == MANTLE_OK);
        CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_OK && v == 2);
        CHECK(tee->ops->counter(tee->b, false, &hw, &diag) == MANTLE_OK &&
              hw == before - 1);
    }

    /* a forged table: one flipped byte anywhere, or another root's key */
    {
        size_t n;
        uint8_t *d = read_file(path, &n);
        uint8_t other[32];
        FILE *f;

        d[20] ^= 1;  /* inside the first entry's id */
        f = fopen(path, "wb");
        CHECK(f && fwrite(d, 1, n, f) == n);
        fclose(f);
        CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_EAUTH);
        CHECK_MSG(strstr(diag.message, "forged") != NULL, "%s", diag.message);
        d[20] ^= 1;
        f = fopen(path, "wb");
        CHECK(f && fwrite(d, 1, n, f) == n);
        fclose(f);
        memcpy(other, uds, 32);
        other[0] ^= 1;
        CHECK(tee_counter(tee, other, a, false, &v, &diag) == MANTLE_EAUTH);
        CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_OK && v == 2);
        /* truncated */
        f = fopen(path, "wb");
        CHECK(f && fwrite(d, 1, 10, f) == 10);
        fclose(f);
        CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_EAUTH);
        /* deleted while the backend counter has moved */
        remove(path);
        CHECK(tee_counter(tee, uds, a, false, &v, &diag) == MANTLE_EAUTH);
        CHECK_MSG(strstr(diag.message, "deleted") != NULL, "%s", diag.message);
        free(d);
    }

    /* concurrent processes: every increment is seen exactly once */
    {
        char *fresh = mkwork("counters-race");
        mantle_tee *t2 = NULL;
        uint64_t seen = 0;

        CHECK(mantle_tee_open("soft", fresh, &t2, &diag) == MANTLE_OK);
        for (int k = 0; t2 && k < 4; k++) {
            kids[k] = fork();
            if (kids[k] == 0) {
                int bad = 0;

                for (int i = 0; i < 25; i++)
                    bad |= mantle_tee_counter(t2, true, &v, NULL) != MANTLE_OK;
                _exit(bad);
            }
        }
        for (int k = 0; t2 && k < 4; k++) {
            int status = -1;

            CHECK(kids[k] > 0 && waitpid(kids[k], &status, 0) == kids[k] &&
                  WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        CHECK(t2 && mantle_tee_counter(t2, false, &seen, &diag) == MANTLE_OK);
        CHECK_MSG(seen == 100, "%llu increments seen, 100 made",
                  (unsigned long long)seen);
        mantle_tee_free(t2);
        free(fresh);
    }

    /* a backend without a counter */
    {
        tee_backend_ops none = tee_soft_ops;
        mantle_tee *t3 = NULL;

        none.counter = NULL;
        CHECK(tee_open_ops(&none, NULL, dir, &t3, &diag) == MANTLE_OK);
        CHECK(t3 && mantle_tee_counter(t3, true, &v, &diag) == MANTLE_ENOTEE);
        mantle_tee_free(t3);
    }
    OPENSSL_cleanse(uds, sizeof uds);
    mantle_tee_free(tee);
    free(dir);
}

/* ---- tsm over a fake configfs tree ------------------------------------------------ */

enum fault { F_NONE, F_BUSY_ONCE, F_BUSY_ALWAYS, F_GEN_RACE, F_OVERSIZED, F_EFBIG,
             F_NO_ENTRY, F_EMPTY };

typedef struct fake_tree {
    const char *provider;
    uint8_t *report, *aux;
    size_t report_size, aux_size;
    uint64_t generation;
    enum fault fault;
    int busy_left;
    int entries;       /* live entries: must be 0 after each request */
    uint8_t inblob[64];
    int inside;        /* requests between mkdir and rmdir right now */
    int overlapped;    /* two were at once */
} fake_tree;

static int fk_mkdir(void *ctx, const char *entry)
{
    fake_tree *t = ctx;

    (void)entry;
    if (t->fault == F_NO_ENTRY)
        return -OS_ENOSPC;
    if (__atomic_add_fetch(&t->inside, 1, __ATOMIC_SEQ_CST) > 1)
        __atomic_store_n(&t->overlapped, 1, __ATOMIC_SEQ_CST);
    t->entries++;
    usleep(200);  /* widen the window another thread could enter */
    return 0;
}

static int fk_rmdir(void *ctx, const char *entry)
{
    fake_tree *t = ctx;

    (void)entry;
    t->entries--;
    __atomic_sub_fetch(&t->inside, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static int fk_write(void *ctx, const char *entry, const char *attr,
                    const uint8_t *data, size_t len)
{
    fake_tree *t = ctx;

    (void)entry;
    if (strcmp(attr, "inblob") != 0 || len > 64)
        return -OS_EINVAL;
    if (t->fault == F_BUSY_ALWAYS || (t->fault == F_BUSY_ONCE && t->busy_left-- > 0))
        return -OS_EBUSY;
    memcpy(t->inblob, data, len);
    t->generation++;
    return 0;
}

static int64_t fk_read(void *ctx, const char *entry, const char *attr,
                       uint8_t *buf, size_t cap)
{
    fake_tree *t = ctx;
    const uint8_t *src;
    size_t n;
    char tmp[32];

    (void)entry;
    if (strcmp(attr, "provider") == 0) {
        src = (const uint8_t *)t->provider;
        n = strlen(t->provider);
    } else if (strcmp(attr, "generation") == 0) {
        n = (size_t)snprintf(tmp, sizeof tmp, "%llu\n",
                             (unsigned long long)t->generation);
        src = (const uint8_t *)tmp;
    } else if (strcmp(attr, "outblob") == 0) {
        if (t->fault == F_EFBIG)
            return -OS_EFBIG;
        if (t->fault == F_EMPTY)
            return 0;
        if (t->fault == F_GEN_RACE)
            t->generation++;  /* another writer's inblob landed meanwhile */
        if (t->fault == F_OVERSIZED) {
            memset(buf, 0xee, cap);
            return (int64_t)cap;  /* as much as asked: more than the max */
        }
        src = t->report;
        n = t->report_size;
    } else if (strcmp(attr, "auxblob") == 0) {
        if (!t->aux)
            return -OS_ENOENT;
        src = t->aux;
        n = t->aux_size;
    } else {
        return -OS_ENOENT;
    }
    if (n > cap)
        n = cap;
    memcpy(buf, src, n);
    return (int64_t)n;
}

/* The file-backed counter (state.c): two checksummed records rewritten in
 * turn; a torn record falls back to the other (the old value), both torn is
 * an error, and the earlier 8-byte format still reads and is converted. */
static void test_state_counter(void)
{
    char *dir = mkwork("state-counter"), path[4200];
    mantle_diag diag = {0};
    uint8_t le[8] = {41}, *d;
    uint64_t v = 0;
    size_t n;
    FILE *f;

    CHECK(tee_state_mkdir(dir, &diag) == MANTLE_OK);
    snprintf(path, sizeof path, "%s/c", dir);
    CHECK(tee_state_write(dir, "c", le, 8, &diag) == MANTLE_OK);
    CHECK(tee_state_counter(dir, "c", false, &v, &diag) == MANTLE_OK &&
          v == 41);
    for (int i = 0; i < 3; i++)
        CHECK(tee_state_counter(dir, "c", true, &v, &diag) == MANTLE_OK);
    CHECK(v == 44);
    d = read_file(path, &n);
    CHECK(n == 1024);
    /* tear the record of 44 (slot 0): the value is 43 again */
    d[(44 % 2) * 512 + 6] ^= 1;
    CHECK((f = fopen(path, "wb")) && fwrite(d, 1, n, f) == n);
    fclose(f);
    CHECK(tee_state_counter(dir, "c", false, &v, &diag) == MANTLE_OK &&
          v == 43);
    CHECK(tee_state_counter(dir, "c", true, &v, &diag) == MANTLE_OK &&
          v == 44);
    CHECK(tee_state_counter(dir, "c", false, &v, &diag) == MANTLE_OK &&
          v == 44);
    /* both torn: refused, never a guess */
    free(d);
    d = read_file(path, &n);
    d[10] ^= 1;
    d[512 + 10] ^= 1;
    CHECK((f = fopen(path, "wb")) && fwrite(d, 1, n, f) == n);
    fclose(f);
    CHECK(tee_state_counter(dir, "c", false, &v, &diag) == MANTLE_EIO);
    free(d);
    free(dir);
}

static void test_tsm_one(const char *provider, const char *report_file,
                         const char *aux_file, const char *kind, int dbgstat)
{
    char p[4096];
    char *state = mkwork("tsm-state");
    fake_tree t;
    tee_tsm_fs fs = {&t, fk_mkdir, fk_rmdir, fk_write, fk_read};
    tee_backend *b = NULL;
    mantle_tee *tee = NULL;
    mantle_diag diag;
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    uint8_t nonce[64], *tok = NULL, md[32], binding[64];
    size_t n = 0, size;
    uint8_t *bytes = read_file(guest_path, &size);
    tee_module_keys k;

    memset(&t, 0, sizeof t);
    t.provider = provider;
    t.generation = 7;
    snprintf(p, sizeof p, "%s/%s", vectors, report_file);
    t.report = read_file(p, &t.report_size);
    if (aux_file) {
        snprintf(p, sizeof p, "%s/%s", vectors, aux_file);
        t.aux = read_file(p, &t.aux_size);
    }
    memset(nonce, 0x42, sizeof nonce);
    CHECK(mantle_engine_new(NULL, &engine) == MANTLE_OK);
    CHECK(mantle_module_new(engine, bytes, size, "guest", &module, NULL) == MANTLE_OK);
    tee_sha256(bytes, size, md);
    CHECK_MSG(tee_tsm_open_fs(&fs, state, &b, &diag) == MANTLE_OK, "%s", diag.message);
    CHECK(tee_wrap(&tee_tsm_ops, b, &tee, &diag) == MANTLE_OK);
    CHECK(strcmp(mantle_tee_backend(tee), kind) == 0 && !mantle_tee_debug(tee));
    CHECK(t.entries == 0);

    CHECK_MSG(mantle_tee_evidence(tee, module, NULL, nonce, &tok, &n, &diag) ==
              MANTLE_OK, "%s: %s", kind, diag.message);
    CHECK(t.entries == 0);
    /* the kernel got the binding of nonce, key and measurements */
    CHECK(tee_launch_keys(tee, module, NULL, &k, &diag) == MANTLE_OK);
    CHECK(tee_eat_binding(nonce, &k, binding) == 0);
    CHECK(memcmp(t.inblob, binding, 64) == 0);
    tee_module_keys_wipe(&k);
    {
        cbor_item_t *claims = tok ? check_token(tok, n, nonce, kind, md) : NULL;

        if (claims) {
            const cbor_item_t *v = map_get(claims, TEE_CLAIM_PLATFORM);

            /* the recorded report, byte for byte */
            CHECK(v && cbor_bytestring_length(v) == t.report_size &&
                  memcmp(cbor_bytestring_handle(v), t.report, t.report_size) == 0);
            v = map_get(claims, TEE_CLAIM_PLATFORM_AUX);
            CHECK(aux_file ? v && cbor_bytestring_length(v) == t.aux_size : v == NULL);
            v = map_get(claims, 262);
            CHECK_MSG(v && (int)cbor_get_int(v) == dbgstat, "%s dbgstat", kind);
            v = map_get(claims, TEE_CLAIM_ISOLATION);
            CHECK(v && cbor_get_bool(v));
            cbor_decref(&claims);
        }
    }
    mantle_tee_evidence_free(tok);
    tok = NULL;

    /* a busy kernel once: retried and fine */
    t.fault = F_BUSY_ONCE;
    t.busy_left = 1;
    CHECK(mantle_tee_evidence(tee, module, NULL, nonce, &tok, &n, &diag) == MANTLE_OK);
    mantle_tee_evidence_free(tok);
    tok = NULL;

    /* each injected kernel error fails cleanly, leaving no entry behind */
    {
        static const struct {
            enum fault f;
            const char *msg;
        } faults[] = {
            {F_BUSY_ALWAYS, "busy"},       {F_GEN_RACE, "generation changed"},
            {F_OVERSIZED, "larger than"},  {F_EFBIG, "larger than"},
            {F_NO_ENTRY, "report entry"},  {F_EMPTY, "outblob"},
        };

        for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
            int st;

            t.fault = faults[i].f;
            tok = (uint8_t *)&t;  /* must stay as it is on failure */
            n = 12345;
            st = mantle_tee_evidence(tee, module, NULL, nonce, &tok, &n, &diag);
            CHECK_MSG(st == MANTLE_ENOTEE && strstr(diag.message, faults[i].msg),
                      "%s: fault %s: status %d, \"%s\"", kind, faults[i].msg, st,
                      diag.message);
            CHECK(tok == (uint8_t *)&t && n == 12345);
            CHECK(t.entries == 0);
        }
        t.fault = F_NONE;
    }
    mantle_tee_free(tee);
    mantle_module_free(module);
    mantle_engine_free(engine);
    free(t.report);
    free(t.aux);
    free(bytes);
    free(state);
}

/* One handle, evidence from several threads at once (the guest and
 * --listen-tls connection threads do this): the backend sees one request
 * at a time, and each succeeds. */
typedef struct tsm_worker {
    mantle_tee *tee;
    const mantle_module *module;
    int ok;
} tsm_worker;

static void *tsm_work(void *arg)
{
    tsm_worker *w = arg;
    uint8_t nonce[64], *tok;
    size_t n;
    mantle_diag diag;

    memset(nonce, 0x17, sizeof nonce);
    for (int i = 0; i < 8; i++) {
        tok = NULL;
        if (mantle_tee_evidence(w->tee, w->module, NULL, nonce, &tok, &n,
                                &diag) == MANTLE_OK)
            w->ok++;
        mantle_tee_evidence_free(tok);
    }
    return NULL;
}

static void test_tsm_threads(void)
{
    fake_tree t;
    tee_tsm_fs fs = {&t, fk_mkdir, fk_rmdir, fk_write, fk_read};
    tee_backend *b = NULL;
    mantle_tee *tee = NULL;
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_diag diag;
    char p[4096], state[4200];
    size_t size;
    uint8_t *bytes = read_file(guest_path, &size);
    pthread_t th[4];
    tsm_worker w[4];

    memset(&t, 0, sizeof t);
    t.provider = "sev_guest\n";
    snprintf(p, sizeof p, "%s/snp/trustee_test-report.bin", vectors);
    t.report = read_file(p, &t.report_size);
    snprintf(state, sizeof state, "%s/tsm-threads", work);
    CHECK(tee_state_mkdir(state, NULL) == MANTLE_OK);
    CHECK(mantle_engine_new(NULL, &engine) == MANTLE_OK);
    CHECK(mantle_module_new(engine, bytes, size, "guest", &module, NULL) ==
          MANTLE_OK);
    CHECK_MSG(tee_tsm_open_fs(&fs, state, &b, &diag) == MANTLE_OK, "%s",
              diag.message);
    CHECK(tee_wrap(&tee_tsm_ops, b, &tee, &diag) == MANTLE_OK);
    if (tee && module) {
        for (int i = 0; i < 4; i++) {
            w[i] = (tsm_worker){tee, module, 0};
            CHECK(pthread_create(&th[i], NULL, tsm_work, &w[i]) == 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            CHECK_MSG(w[i].ok == 8, "thread %d: %d of 8 evidence calls", i,
                      w[i].ok);
        }
        CHECK_MSG(!t.overlapped, "two evidence requests were in the backend "
                  "at once");
        CHECK(t.entries == 0);
    }
    mantle_tee_free(tee);
    mantle_module_free(module);
    mantle_engine_free(engine);
    free(t.report);
    free(bytes);
}

static void test_tsm(void)
{
    fake_tree t;
    tee_tsm_fs fs = {&t, fk_mkdir, fk_rmdir, fk_write, fk_read};
    tee_backend *b = NULL;
    mantle_diag diag;

    test_tsm_one("sev_guest\n", "snp/trustee_test-report.bin",
                 "snp/trustee_test-vcek.der", "sev-snp", 1);
    test_tsm_one("tdx_guest\n", "tdx/trustee_tdx_quote_4.dat", NULL, "tdx", 0);
    test_tsm_one("tdx_guest\n", "tdx/gtg_quote_v5_sample.dat", NULL, "tdx", 1);
    test_tsm_one("arm_cca_guest\n", "cca/cca-example-token.cbor", NULL, "cca", 1);
    /* an unknown provider is refused at open */
    memset(&t, 0, sizeof t);
    t.provider = "mystery_guest\n";
    CHECK(tee_tsm_open_fs(&fs, work, &b, &diag) == MANTLE_ENOTEE &&
          strstr(diag.message, "mystery_guest"));
    /* a missing configfs: tsm fails, naming the directory */
    CHECK(mantle_tee_open("tsm:/nonexistent/tsm/report", work, (mantle_tee **)&b,
                          &diag) == MANTLE_ENOTEE &&
          strstr(diag.message, "/nonexistent/tsm/report"));
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s TESTVECTORS WORKDIR GUEST.wasm\n", argv[0]);
        return 2;
    }
    vectors = argv[1];
    work = argv[2];
    guest_path = argv[3];
    {
        /* a fresh work directory: counters must start from nothing */
        char cmd[4200];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
        if (strchr(work, '\'') || system(cmd) != 0)
            return 2;
    }
    if (tee_state_mkdir(work, NULL) != MANTLE_OK)
        return 2;
    test_dice_kat();
    test_keys_and_sealing();
    test_soft_backend();
    test_counters();
    test_state_counter();
    test_tsm();
    test_tsm_threads();
    printf("tee_unit: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
