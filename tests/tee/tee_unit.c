/* tee_unit.c - unit tests of the TEE layer: DICE known answers, key
 * separation, sealing, evidence, the soft backend and the tsm backend over
 * a fake configfs tree with injected kernel errors.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: tee_unit TESTVECTORS_DIR WORK_DIR GUEST.wasm
 * Links the static library and reaches internals through src/tee/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cbor.h>
#include <jansson.h>

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
    CHECK(ncerts == 5);  /* 2 open-dice + 3 android CBOR Ed25519 certs */
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
} fake_tree;

static int fk_mkdir(void *ctx, const char *entry)
{
    fake_tree *t = ctx;

    (void)entry;
    if (t->fault == F_NO_ENTRY)
        return -OS_ENOSPC;
    t->entries++;
    return 0;
}

static int fk_rmdir(void *ctx, const char *entry)
{
    fake_tree *t = ctx;

    (void)entry;
    t->entries--;
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
    if (tee_state_mkdir(work, NULL) != MANTLE_OK)
        return 2;
    test_dice_kat();
    test_keys_and_sealing();
    test_soft_backend();
    test_tsm();
    printf("tee_unit: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
