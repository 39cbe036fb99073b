/* soft.c - the software backend: a device secret in the state directory.
 * SPDX-License-Identifier: Apache-2.0
 *
 * For development and for devices without a TEE. The root is a 32-byte
 * secret created 0600 on first use (state.c); anyone who can read the
 * state directory, or the process's memory, has every key. Its DICE mode
 * is "debug", its evidence says dbgstat enabled and no isolation, and it
 * has no platform evidence: verifiers reject it unless a policy allows
 * development evidence.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tee/tee.h"

struct tee_backend {
    char *dir;
};

static bool soft_probe(const char *arg)
{
    (void)arg;
    return true;
}

static int soft_open(const char *arg, const char *state_dir, tee_backend **out,
                     mantle_diag *diag)
{
    tee_backend *b;
    uint8_t uds[TEE_CDI];
    int rc;

    if (arg)
        return tee_fail(diag, MANTLE_EINVAL, "tee: soft takes no argument");
    if (!state_dir || !*state_dir)
        return tee_fail(diag, MANTLE_EINVAL, "tee: soft: needs a state "
                        "directory for its device secret");
    /* Create (or check) the device secret now, so a bad directory fails
     * at open rather than at the first guest call. */
    if ((rc = tee_state_secret(state_dir, "device-secret", uds, diag)) !=
        MANTLE_OK)
        return rc;
    OPENSSL_cleanse(uds, sizeof uds);
    b = calloc(1, sizeof *b);
    if (!b || !(b->dir = strdup(state_dir))) {
        free(b);
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    }
    *out = b;
    return MANTLE_OK;
}

static unsigned soft_caps(const tee_backend *b)
{
    (void)b;
    return 0;
}

static const char *soft_kind(const tee_backend *b)
{
    (void)b;
    return "soft";
}

static uint8_t soft_mode(const tee_backend *b)
{
    (void)b;
    return TEE_MODE_DEBUG;
}

static int soft_seal_root(tee_backend *b, uint8_t out[TEE_CDI],
                          mantle_diag *diag)
{
    return tee_state_secret(b->dir, "device-secret", out, diag);
}

static int soft_counter(tee_backend *b, bool inc, uint64_t *out,
                        mantle_diag *diag)
{
    return tee_state_counter(b->dir, "counter", inc, out, diag);
}

static void soft_close(tee_backend *b)
{
    if (!b)
        return;
    free(b->dir);
    free(b);
}

const tee_backend_ops tee_soft_ops = {
    .version = TEE_BACKEND_VERSION,
    .name = "soft",
    .probe = soft_probe,
    .open = soft_open,
    .caps = soft_caps,
    .kind = soft_kind,
    .mode = soft_mode,
    .evidence = NULL,
    .extend = NULL,
    .seal_root = soft_seal_root,
    .counter = soft_counter,
    .close = soft_close,
};
