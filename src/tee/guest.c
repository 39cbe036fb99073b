/* guest.c - the TEE services for guests: imports in the "mantle" module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Declared for C guests in sdk/include/mantle/tee.h. Each service takes
 * i32 pointers and lengths and returns a WASI errno; pointers are checked
 * against linear memory before anything runs (EFAULT), outputs are built
 * host-side and copied only on success, so overlapping or hostile buffers
 * can neither crash the host nor see partial results.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "platform/os_fs.h"
#include "tee/tee.h"

typedef struct guest_secret {
    char *name;
    size_t name_len;
    uint8_t *value;
    size_t size;
} guest_secret;

/* Shared by every service of one mantle_tee_define; freed with the last. */
typedef struct guest_ctx {
    unsigned refs;
    mantle_tee *tee;           /* borrowed */
    tee_module_keys keys;
    uint8_t counter_id[32];    /* this module's entry in the counter table */
    guest_secret *secrets;
    size_t nsecrets;
} guest_ctx;

static void ctx_unref(void *p)
{
    guest_ctx *c = p;

    if (!c || --c->refs > 0)
        return;
    for (size_t i = 0; i < c->nsecrets; i++) {
        free(c->secrets[i].name);
        if (c->secrets[i].value) {
            OPENSSL_cleanse(c->secrets[i].value, c->secrets[i].size);
            free(c->secrets[i].value);
        }
    }
    free(c->secrets);
    tee_module_keys_wipe(&c->keys);
    free(c);
}

/* ---- Guest memory ----------------------------------------------------------- */

/* [off, off+len) inside memory, or NULL. A zero length needs only a start
 * inside (or at the end of) memory. */
static uint8_t *gmem(mantle_memory *mem, uint32_t off, uint32_t len)
{
    static uint8_t empty;

    if (!mem)
        return NULL;
    if (len == 0)
        return (uint64_t)off <= mantle_memory_size(mem) ? &empty : NULL;
    return mantle_memory_data(mem, off, len);
}

static int ret(mantle_val *results, int err)
{
    results[0].kind = MANTLE_I32;
    results[0].of.i32 = err;
    return MANTLE_OK;
}

/* Hand host-built bytes to the guest: NOBUFS (with the size) when they do
 * not fit. The output region was checked by the caller. */
static int give(mantle_memory *mem, uint32_t out, uint32_t cap,
                uint32_t out_len, const uint8_t *data, size_t size)
{
    uint8_t *o, *l = gmem(mem, out_len, 4);

    if (!l)
        return OS_EFAULT;
    if (size > UINT32_MAX)
        return OS_E2BIG;
    if (size > cap) {
        uint32_t v = (uint32_t)size;

        memcpy(l, &v, 4);  /* wasm32 is little-endian, as is the host */
        return OS_ENOBUFS;
    }
    o = gmem(mem, out, (uint32_t)size);
    if (!o)
        return OS_EFAULT;
    memcpy(o, data, size);
    {
        uint32_t v = (uint32_t)size;

        memcpy(l, &v, 4);
    }
    return OS_ESUCCESS;
}

#define U32(i) ((uint32_t)args[i].of.i32)

/* ---- Services ---------------------------------------------------------------- */

/* tee_evidence(data, data_len, out, out_cap, out_len) */
static int svc_evidence(mantle_caller *caller, void *env,
                        const mantle_val *args, mantle_val *results)
{
    guest_ctx *c = env;
    mantle_memory *mem = mantle_caller_memory(caller);
    uint8_t nonce[TEE_REPORT_DATA] = {0}, *d, *tok = NULL;
    size_t size = 0;
    int e;

    if (U32(1) > TEE_REPORT_DATA)
        return ret(results, OS_EINVAL);
    if (!(d = gmem(mem, U32(0), U32(1))) || !gmem(mem, U32(2), U32(3)) ||
        !gmem(mem, U32(4), 4))
        return ret(results, OS_EFAULT);
    memcpy(nonce, d, U32(1));
    if (tee_eat_build(c->tee, &c->keys, nonce, &tok, &size, NULL) != MANTLE_OK)
        return ret(results, OS_EIO);
    e = give(mem, U32(2), U32(3), U32(4), tok, size);
    free(tok);
    return ret(results, e);
}

static uint32_t kind_id(const char *k)
{
    static const char *const names[] = {"soft", "tpm", "sev-snp", "tdx", "cca"};

    for (uint32_t i = 0; i < 5; i++)
        if (strcmp(k, names[i]) == 0)
            return i;
    return UINT32_MAX;
}

/* tee_identity(out): 136 bytes, sdk/include/mantle/tee.h */
static int svc_identity(mantle_caller *caller, void *env,
                        const mantle_val *args, mantle_val *results)
{
    guest_ctx *c = env;
    uint8_t *o = gmem(mantle_caller_memory(caller), U32(0), 136);
    uint8_t buf[136];
    uint32_t kind = kind_id(mantle_tee_backend(c->tee));
    uint32_t flags = mantle_tee_debug(c->tee) ? 1 : 0;

    if (!o)
        return ret(results, OS_EFAULT);
    memcpy(buf, c->keys.module_digest, 32);
    memcpy(buf + 32, c->keys.config_digest, 32);
    memcpy(buf + 64, c->keys.runtime_digest, 32);
    memcpy(buf + 96, c->keys.attest_pub, 32);
    memcpy(buf + 128, &kind, 4);
    memcpy(buf + 132, &flags, 4);
    memcpy(o, buf, sizeof buf);
    return ret(results, OS_ESUCCESS);
}

/* tee_seal / tee_unseal(in, in_len, aad, aad_len, out, out_cap, out_len) */
static int seal_common(mantle_caller *caller, guest_ctx *c, bool open,
                       const mantle_val *args, mantle_val *results)
{
    mantle_memory *mem = mantle_caller_memory(caller);
    uint8_t *in, *aad, *buf;
    size_t n;
    int e, rc;

    if (!(in = gmem(mem, U32(0), U32(1))) || !(aad = gmem(mem, U32(2), U32(3))) ||
        !gmem(mem, U32(4), U32(5)) || !gmem(mem, U32(6), 4))
        return ret(results, OS_EFAULT);
    if (open) {
        if (U32(1) < TEE_SEAL_OVERHEAD)
            return ret(results, OS_EBADMSG);
        n = U32(1) - TEE_SEAL_OVERHEAD;
    } else {
        if (U32(1) > TEE_SEAL_MAX)
            return ret(results, OS_E2BIG);
        n = (size_t)U32(1) + TEE_SEAL_OVERHEAD;
    }
    if (n > U32(5)) {
        uint32_t v = (uint32_t)n;

        memcpy(gmem(mem, U32(6), 4), &v, 4);
        return ret(results, OS_ENOBUFS);
    }
    /* Host-side output: in and out may overlap in guest memory. */
    buf = malloc(n ? n : 1);
    if (!buf)
        return ret(results, OS_ENOMEM);
    if (open)
        rc = tee_unseal(c->keys.seal_key, aad, U32(3), in, U32(1), buf);
    else
        rc = tee_seal(c->keys.seal_key, aad, U32(3), in, U32(1), buf);
    if (rc == MANTLE_OK)
        e = give(mem, U32(4), U32(5), U32(6), buf, n);
    else
        e = rc == MANTLE_EAUTH ? OS_EBADMSG : OS_EIO;
    OPENSSL_cleanse(buf, n);
    free(buf);
    return ret(results, e);
}

static int svc_seal(mantle_caller *caller, void *env, const mantle_val *args,
                    mantle_val *results)
{
    return seal_common(caller, env, false, args, results);
}

static int svc_unseal(mantle_caller *caller, void *env, const mantle_val *args,
                      mantle_val *results)
{
    return seal_common(caller, env, true, args, results);
}

/* tee_secret(name, name_len, out, out_cap, out_len) */
static int svc_secret(mantle_caller *caller, void *env, const mantle_val *args,
                      mantle_val *results)
{
    guest_ctx *c = env;
    mantle_memory *mem = mantle_caller_memory(caller);
    const uint8_t *name = gmem(mem, U32(0), U32(1));

    if (!name || !gmem(mem, U32(2), U32(3)) || !gmem(mem, U32(4), 4))
        return ret(results, OS_EFAULT);
    for (size_t i = 0; i < c->nsecrets; i++) {
        const guest_secret *s = &c->secrets[i];

        if (s->name_len == U32(1) && memcmp(s->name, name, s->name_len) == 0)
            return ret(results, give(mem, U32(2), U32(3), U32(4), s->value,
                                     s->size));
    }
    return ret(results, OS_ENOENT);
}

/* tee_counter(increment, out_value): this module's monotonic counter; a u64
 * at out_value. */
static int svc_counter(mantle_caller *caller, void *env,
                       const mantle_val *args, mantle_val *results)
{
    guest_ctx *c = env;
    uint8_t *o = gmem(mantle_caller_memory(caller), U32(1), 8);
    uint64_t v = 0;
    int rc;

    if (!o)
        return ret(results, OS_EFAULT);
    if (U32(0) > 1)
        return ret(results, OS_EINVAL);
    if (!c->tee->ops->counter)
        return ret(results, OS_ENOTSUP);
    rc = tee_counter(c->tee, c->keys.uds, c->counter_id, U32(0) == 1, &v, NULL);
    if (rc != MANTLE_OK)
        return ret(results, rc == MANTLE_ELIMIT ? OS_EOVERFLOW
                            : rc == MANTLE_EAUTH ? OS_ESTALE
                                                 : OS_EIO);
    memcpy(o, &v, 8);  /* wasm32 is little-endian, as is the host */
    return ret(results, OS_ESUCCESS);
}

/* ---- Definition ------------------------------------------------------------------ */

static int copy_secrets(guest_ctx *c, const mantle_tee_launch *l)
{
    size_t n = l ? l->nsecrets : 0;

    if (n == 0)
        return MANTLE_OK;
    c->secrets = calloc(n, sizeof *c->secrets);
    if (!c->secrets)
        return MANTLE_ENOMEM;
    c->nsecrets = n;
    for (size_t i = 0; i < n; i++) {
        const mantle_tee_secret *s = &l->secrets[i];
        guest_secret *d = &c->secrets[i];

        if (!s->name || (s->size && !s->value))
            return MANTLE_EINVAL;
        d->name_len = strlen(s->name);
        d->name = strdup(s->name);
        d->value = malloc(s->size ? s->size : 1);
        if (!d->name || !d->value)
            return MANTLE_ENOMEM;
        if (s->size)
            memcpy(d->value, s->value, s->size);
        d->size = s->size;
    }
    return MANTLE_OK;
}

int mantle_tee_define(mantle_tee *tee, const mantle_module *module,
                      const mantle_tee_launch *launch, mantle_linker *linker,
                      mantle_diag *diag)
{
    static const mantle_valkind i32s[7] = {MANTLE_I32, MANTLE_I32, MANTLE_I32,
                                           MANTLE_I32, MANTLE_I32, MANTLE_I32,
                                           MANTLE_I32};
    static const struct {
        const char *name;
        size_t nparams;
        mantle_host_fn fn;
    } svcs[] = {
        {"tee_evidence", 5, svc_evidence}, {"tee_identity", 1, svc_identity},
        {"tee_seal", 7, svc_seal},         {"tee_unseal", 7, svc_unseal},
        {"tee_secret", 5, svc_secret},     {"tee_counter", 2, svc_counter},
    };
    guest_ctx *c;
    uint8_t m[13 + 3 * TEE_DIGEST], digest[TEE_DIGEST];
    int rc;

    if (!tee || !module || !linker)
        return tee_fail(diag, MANTLE_EINVAL, "tee: define: bad arguments");
    c = calloc(1, sizeof *c);
    if (!c)
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    c->refs = 1;
    c->tee = tee;
    if ((rc = tee_launch_keys(tee, module, launch, &c->keys, diag)) != MANTLE_OK)
        goto out;
    /* the counter follows the module and its configuration, like its
     * sealing key, so it survives runtime upgrades */
    memcpy(m, "mantle-counter", 14);
    memcpy(m + 14, c->keys.module_digest, TEE_DIGEST);
    memcpy(m + 14 + TEE_DIGEST, c->keys.config_digest, TEE_DIGEST);
    if (tee_sha256(m, 14 + 2 * TEE_DIGEST, c->counter_id) != 0) {
        rc = tee_fail(diag, MANTLE_ENOTEE, "tee: hashing failed");
        goto out;
    }
    if ((rc = copy_secrets(c, launch)) != MANTLE_OK) {
        tee_fail(diag, rc, "tee: secrets: %s", mantle_strerror(rc));
        goto out;
    }
    /* Measured launch: extend the platform's register with this launch. */
    if (tee->ops->extend && (tee->ops->caps(tee->b) & TEE_CAP_EXTEND)) {
        memcpy(m, "mantle-launch", 13);
        memcpy(m + 13, c->keys.runtime_digest, TEE_DIGEST);
        memcpy(m + 13 + TEE_DIGEST, c->keys.module_digest, TEE_DIGEST);
        memcpy(m + 13 + 2 * TEE_DIGEST, c->keys.config_digest, TEE_DIGEST);
        if (tee_sha256(m, sizeof m, digest) != 0) {
            rc = tee_fail(diag, MANTLE_ENOTEE, "tee: hashing failed");
            goto out;
        }
        if ((rc = tee->ops->extend(tee->b, digest, diag)) != MANTLE_OK)
            goto out;
    }
    for (size_t i = 0; i < sizeof svcs / sizeof svcs[0]; i++) {
        mantle_functype t = {svcs[i].nparams, i32s, 1, i32s};

        rc = mantle_linker_define_func(linker, "mantle", svcs[i].name, &t,
                                       svcs[i].fn, c, ctx_unref);
        if (rc != MANTLE_OK) {
            tee_fail(diag, rc, "tee: defining mantle.%s: %s", svcs[i].name,
                     mantle_strerror(rc));
            goto out;
        }
        c->refs++;
    }
out:
    ctx_unref(c);
    return rc;
}
