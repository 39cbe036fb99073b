/* tee.c - the TEE layer's front: choosing a backend, the DICE layers of the
 * runtime and each module, the launch-configuration digest, and the public
 * mantle_tee_* calls.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: helpers - opening a backend (auto never picks soft) - layer inputs
 * and module keys - launch configuration - public API.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/crypto.h>

#include "platform/os.h"
#include "tee/tee.h"
#include "tee/tee_cbor.h"
#include "tee/tee_tsm.h"
#include "vm/vm.h"
#include "wasm/module.h"

/* ---- Helpers ------------------------------------------------------------------ */

int tee_fail(mantle_diag *diag, int status, const char *fmt, ...)
{
    va_list ap;

    if (!diag)
        return status;
    memset(diag, 0, sizeof *diag);
    diag->status = status;
    diag->func_index = UINT32_MAX;
    diag->offset = UINT32_MAX;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
    return status;
}

int tee_memcmp(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0 ? 0 : 1;
}

void tee_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}

/* ---- Opening a backend ------------------------------------------------------------ */

static const tee_backend_ops *const backends[] = {
    &tee_soft_ops, &tee_tpm_ops, &tee_tsm_ops,
};

/* The order --tee=auto tries hardware in; soft is never among them. */
static const tee_backend_ops *const hardware[] = {&tee_tsm_ops, &tee_tpm_ops};

static int runtime_digest(uint8_t out[TEE_DIGEST], mantle_diag *diag)
{
    uint8_t *exe = NULL;
    size_t size = 0;
    int rc;

    if (os_self_exe_read(&exe, &size) != 0)
        return tee_fail(diag, MANTLE_EIO, "tee: cannot read the running "
                        "executable to measure the runtime");
    rc = tee_sha256(exe, size, out) == 0 ? MANTLE_OK : MANTLE_ENOTEE;
    free(exe);
    return rc;
}

int tee_open_ops(const tee_backend_ops *ops, const char *arg,
                 const char *state_dir, mantle_tee **out, mantle_diag *diag)
{
    mantle_tee *t;
    int rc;

    if (ops->version < 1 || !ops->open || !ops->caps || !ops->kind ||
        !ops->mode || !ops->seal_root || !ops->close)
        return tee_fail(diag, MANTLE_EINVAL, "tee: backend %s: incomplete "
                        "table (version %d)", ops->name, ops->version);
    t = calloc(1, sizeof *t);
    if (!t)
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    t->ops = ops;
    if (state_dir && !(t->state_dir = strdup(state_dir))) {
        free(t);
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    }
    if ((rc = runtime_digest(t->runtime_digest, diag)) != MANTLE_OK ||
        (rc = ops->open(arg, state_dir, &t->b, diag)) != MANTLE_OK) {
        free(t->state_dir);
        free(t);
        return rc;
    }
    if (tee_serialize(ops, t->b, &t->serial, &t->b) != MANTLE_OK) {
        ops->close(t->b);
        free(t->state_dir);
        free(t);
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    }
    t->ops = &t->serial;
    *out = t;
    return MANTLE_OK;
}

int tee_wrap(const tee_backend_ops *ops, tee_backend *b, mantle_tee **out,
             mantle_diag *diag)
{
    mantle_tee *t = calloc(1, sizeof *t);
    int rc;

    if (!t) {
        ops->close(b);
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    }
    if (tee_serialize(ops, b, &t->serial, &t->b) != MANTLE_OK) {
        ops->close(b);
        free(t);
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    }
    t->ops = &t->serial;
    if ((rc = runtime_digest(t->runtime_digest, diag)) != MANTLE_OK) {
        mantle_tee_free(t);
        return rc;
    }
    *out = t;
    return MANTLE_OK;
}

int mantle_tee_open(const char *name, const char *state_dir,
                    mantle_tee **out_tee, mantle_diag *diag)
{
    char base[16];
    const char *colon, *arg = NULL;
    size_t n;

    *out_tee = NULL;
    if (!name)
        return tee_fail(diag, MANTLE_EINVAL, "tee: no backend name");
    colon = strchr(name, ':');
    n = colon ? (size_t)(colon - name) : strlen(name);
    if (colon)
        arg = colon + 1;
    if (n >= sizeof base)
        return tee_fail(diag, MANTLE_EINVAL, "tee: unknown backend \"%s\"",
                        name);
    memcpy(base, name, n);
    base[n] = '\0';
    if (strcmp(base, "auto") == 0) {
        if (arg)
            return tee_fail(diag, MANTLE_EINVAL, "tee: auto takes no "
                            "argument");
        for (size_t i = 0; i < sizeof hardware / sizeof hardware[0]; i++)
            if (hardware[i]->probe && hardware[i]->probe(NULL))
                return tee_open_ops(hardware[i], NULL, state_dir, out_tee,
                                    diag);
        return tee_fail(diag, MANTLE_ENOTEE,
                        "tee: auto: no hardware TEE found (no configfs-tsm "
                        "report interface, no TPM at /dev/tpmrm0); the "
                        "software backend must be asked for: --tee=soft");
    }
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(base, backends[i]->name) == 0)
            return tee_open_ops(backends[i], arg, state_dir, out_tee, diag);
    return tee_fail(diag, MANTLE_EINVAL, "tee: unknown backend \"%s\" (auto, "
                    "soft, tpm or tsm)", name);
}

void mantle_tee_free(mantle_tee *tee)
{
    if (!tee)
        return;
    tee->ops->close(tee->b);
    free(tee->state_dir);
    OPENSSL_cleanse(tee, sizeof *tee);
    free(tee);
}

const char *mantle_tee_backend(const mantle_tee *tee)
{
    return tee->ops->kind(tee->b);
}

bool mantle_tee_debug(const mantle_tee *tee)
{
    return !(tee->ops->caps(tee->b) & TEE_CAP_ISOLATION);
}

/* ---- Layer inputs and module keys ------------------------------------------------- */

/* Layer 1, the runtime: code = SHA-256 of the runtime (zero-extended to the
 * 64-byte DICE hash); no config, authority or hidden input. Its sealing
 * CDI therefore survives runtime upgrades (DICE seals exclude code). */
void tee_layer1_inputs(const uint8_t runtime[32], uint8_t mode,
                       dice_inputs *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->code_hash, runtime, TEE_DIGEST);
    out->config_type = DICE_CONFIG_INLINE;
    memcpy(out->config_value, "mantle-runtime", 14);
    out->mode = mode;
}

/* Layer 2, a module: code = SHA-256 of the module, config = SHA-256 of its
 * launch configuration, and hidden = SHA-512("mantle-module-v1" || both),
 * which puts the module's identity into its sealing CDI too. */
void tee_layer2_inputs(const uint8_t module[32], const uint8_t config[32],
                       uint8_t mode, dice_inputs *out)
{
    uint8_t buf[16 + 2 * TEE_DIGEST];

    memset(out, 0, sizeof *out);
    memcpy(out->code_hash, module, TEE_DIGEST);
    out->config_type = DICE_CONFIG_INLINE;
    memcpy(out->config_value, config, TEE_DIGEST);
    out->mode = mode;
    memcpy(buf, "mantle-module-v1", 16);
    memcpy(buf + 16, module, TEE_DIGEST);
    memcpy(buf + 16 + TEE_DIGEST, config, TEE_DIGEST);
    tee_sha512(buf, sizeof buf, out->hidden);
}

void tee_module_keys_wipe(tee_module_keys *k)
{
    OPENSSL_cleanse(k, sizeof *k);
}

int tee_module_keys_from_uds(const uint8_t uds[TEE_CDI], uint8_t mode,
                             const uint8_t runtime[32],
                             const uint8_t module[32],
                             const uint8_t config[32], tee_module_keys *out)
{
    tee_module_keys k;
    dice_inputs in;
    int rc = MANTLE_ENOTEE;

    memset(&k, 0, sizeof k);
    memcpy(k.uds, uds, TEE_CDI);
    memcpy(k.runtime_digest, runtime, TEE_DIGEST);
    memcpy(k.module_digest, module, TEE_DIGEST);
    memcpy(k.config_digest, config, TEE_DIGEST);
    k.mode = mode;
    tee_layer1_inputs(runtime, mode, &in);
    if (dice_main_flow(uds, uds, &in, k.l1_attest, k.l1_seal) != 0)
        goto out;
    tee_layer2_inputs(module, config, mode, &in);
    if (dice_main_flow(k.l1_attest, k.l1_seal, &in, k.l2_attest,
                       k.l2_seal) != 0 ||
        dice_keypair(k.l2_attest, k.attest_seed, k.attest_pub) != 0 ||
        tee_hkdf(k.l2_seal, TEE_CDI, NULL, 0, "mantle-seal-aes-256-gcm-v1",
                 k.seal_key, sizeof k.seal_key) != 0)
        goto out;
    *out = k;
    rc = MANTLE_OK;
out:
    OPENSSL_cleanse(&in, sizeof in);
    OPENSSL_cleanse(&k, sizeof k);
    return rc;
}

int tee_module_keys_derive(mantle_tee *tee, const uint8_t module[32],
                           const uint8_t config[32], tee_module_keys *out,
                           mantle_diag *diag)
{
    uint8_t uds[TEE_CDI];
    int rc;

    if ((rc = tee->ops->seal_root(tee->b, uds, diag)) != MANTLE_OK)
        return rc;
    rc = tee_module_keys_from_uds(uds, tee->ops->mode(tee->b),
                                  tee->runtime_digest, module, config, out);
    OPENSSL_cleanse(uds, sizeof uds);
    if (rc != MANTLE_OK)
        return tee_fail(diag, rc, "tee: deriving the module's keys failed");
    return MANTLE_OK;
}

/* ---- Launch configuration ------------------------------------------------------------ */

static cbor_item_t *str_array(const char *const *v, size_t n)
{
    cbor_item_t *a = cbor_new_definite_array(n);

    for (size_t i = 0; a && i < n; i++)
        if (!v[i] || !tee_cbor_push(a, cbor_build_string(v[i]))) {
            cbor_decref(&a);
            return NULL;
        }
    return a;
}

/* SHA-256 of the canonical CBOR ["mantle-launch-v1", [[guest path, read
 * only]...], [env...], [grants...]]: what the guest is given, in order. Host
 * paths are the host's business and are not measured. */
int tee_launch_digest(const mantle_tee_launch *l, uint8_t out[32])
{
    cbor_item_t *top = cbor_new_definite_array(4), *pre = NULL;
    uint8_t *buf = NULL;
    size_t size = 0, np = l ? l->npreopens : 0;
    int rc = -1;

    pre = cbor_new_definite_array(np);
    for (size_t i = 0; pre && i < np; i++) {
        const mantle_wasi_preopen *p = &l->preopens[i];
        const char *g = p->guest_path ? p->guest_path : p->host_path;

        /* [guest, read_only] or, sealed, [guest, read_only, "sealed"]:
         * digests of launches without sealed directories are unchanged. */
        cbor_item_t *e = cbor_new_definite_array(p->sealed ? 3 : 2);

        if (!g || !tee_cbor_push(e, cbor_build_string(g)) ||
            !tee_cbor_push(e, cbor_build_bool(p->read_only)) ||
            (p->sealed && !tee_cbor_push(e, cbor_build_string("sealed"))) ||
            !tee_cbor_push(pre, e))
            goto out;
    }
    if (top && pre && tee_cbor_push(top, cbor_build_string("mantle-launch-v1")) &&
        tee_cbor_push(top, pre) &&
        tee_cbor_push(top, str_array(l ? l->envp : NULL, l ? l->envc : 0)) &&
        tee_cbor_push(top, str_array(l ? l->grants : NULL, l ? l->ngrants : 0)) &&
        tee_cbor_serialize(top, &buf, &size) == 0 &&
        tee_sha256(buf, size, out) == 0)
        rc = 0;
    pre = NULL;  /* owned by top now */
out:
    if (pre)
        cbor_decref(&pre);
    if (top)
        cbor_decref(&top);
    free(buf);
    return rc;
}

int tee_launch_keys(mantle_tee *tee, const mantle_module *module,
                    const mantle_tee_launch *launch, tee_module_keys *out,
                    mantle_diag *diag)
{
    uint8_t md[32], cd[32];

    if (!tee || !module)
        return tee_fail(diag, MANTLE_EINVAL, "tee: no backend or module");
    if (tee_sha256(module->wasm->bytes, module->wasm->size, md) != 0 ||
        tee_launch_digest(launch, cd) != 0)
        return tee_fail(diag, MANTLE_EINVAL, "tee: cannot measure the module "
                        "or its launch configuration");
    return tee_module_keys_derive(tee, md, cd, out, diag);
}

/* ---- Public API ------------------------------------------------------------------------ */

int mantle_tee_evidence(mantle_tee *tee, const mantle_module *module,
                        const mantle_tee_launch *launch,
                        const uint8_t nonce[64], uint8_t **out_evidence,
                        size_t *out_size, mantle_diag *diag)
{
    tee_module_keys k;
    int rc;

    if (!nonce || !out_evidence || !out_size)
        return tee_fail(diag, MANTLE_EINVAL, "tee: evidence: bad arguments");
    if ((rc = tee_launch_keys(tee, module, launch, &k, diag)) != MANTLE_OK)
        return rc;
    rc = tee_eat_build(tee, &k, nonce, out_evidence, out_size, diag);
    tee_module_keys_wipe(&k);
    return rc;
}

void mantle_tee_evidence_free(uint8_t *evidence)
{
    free(evidence);
}

int mantle_tee_root_key(mantle_tee *tee, uint8_t out_pub[32], mantle_diag *diag)
{
    uint8_t uds[TEE_CDI], seed[TEE_SEED], pub[TEE_PUB];
    int rc;

    if (!tee || !out_pub)
        return tee_fail(diag, MANTLE_EINVAL, "tee: root key: bad arguments");
    if ((rc = tee->ops->seal_root(tee->b, uds, diag)) != MANTLE_OK)
        return rc;
    rc = dice_keypair(uds, seed, pub) == 0
             ? MANTLE_OK
             : tee_fail(diag, MANTLE_ENOTEE, "tee: root key: derivation failed");
    if (rc == MANTLE_OK)
        memcpy(out_pub, pub, TEE_PUB);
    OPENSSL_cleanse(uds, sizeof uds);
    OPENSSL_cleanse(seed, sizeof seed);
    return rc;
}

int mantle_tee_counter(mantle_tee *tee, bool increment, uint64_t *out_value,
                       mantle_diag *diag)
{
    static const uint8_t node[32];  /* the node's own entry */
    uint8_t uds[TEE_CDI];
    int rc;

    if (!tee || !out_value)
        return tee_fail(diag, MANTLE_EINVAL, "tee: counter: bad arguments");
    if (!tee->ops->counter)
        return tee_fail(diag, MANTLE_ENOTEE, "tee: %s: no monotonic counter",
                        tee->ops->name);
    if ((rc = tee->ops->seal_root(tee->b, uds, diag)) != MANTLE_OK)
        return rc;
    rc = tee_counter(tee, uds, node, increment, out_value, diag);
    OPENSSL_cleanse(uds, sizeof uds);
    return rc;
}
