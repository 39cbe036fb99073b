/* serial.c - one backend call at a time per handle.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A mantle_tee is shared between threads: the guest's own calls
 * (evidence, counters, sealing) and, with `run --listen-tls`, a thread per
 * TLS connection making that connection's certificate. The backends keep
 * per-handle state that is not safe to share — an ESYS context (tpm), the
 * report entry sequence (tsm) — so every handle's backend is wrapped here
 * and its stateful calls take the handle's mutex. Calls that only read
 * what open() fixed (caps, kind, mode) pass straight through.
 */
#include <stdlib.h>

#include "platform/os.h"
#include "tee/tee.h"

struct tee_backend {
    const tee_backend_ops *ops;   /* the wrapped backend's table */
    tee_backend *inner;
    os_mutex *lock;
};

static unsigned s_caps(const tee_backend *b)
{
    return b->ops->caps(b->inner);
}

static const char *s_kind(const tee_backend *b)
{
    return b->ops->kind(b->inner);
}

static uint8_t s_mode(const tee_backend *b)
{
    return b->ops->mode(b->inner);
}

static int s_evidence(tee_backend *b, const uint8_t rd[TEE_REPORT_DATA],
                      tee_platform_evidence *out, mantle_diag *diag)
{
    int rc;

    os_mutex_lock(b->lock);
    rc = b->ops->evidence(b->inner, rd, out, diag);
    os_mutex_unlock(b->lock);
    return rc;
}

static int s_extend(tee_backend *b, const uint8_t digest[TEE_DIGEST],
                    mantle_diag *diag)
{
    int rc;

    os_mutex_lock(b->lock);
    rc = b->ops->extend(b->inner, digest, diag);
    os_mutex_unlock(b->lock);
    return rc;
}

static int s_seal_root(tee_backend *b, uint8_t out[TEE_CDI], mantle_diag *diag)
{
    int rc;

    os_mutex_lock(b->lock);
    rc = b->ops->seal_root(b->inner, out, diag);
    os_mutex_unlock(b->lock);
    return rc;
}

static int s_counter(tee_backend *b, bool inc, uint64_t *out, mantle_diag *diag)
{
    int rc;

    os_mutex_lock(b->lock);
    rc = b->ops->counter(b->inner, inc, out, diag);
    os_mutex_unlock(b->lock);
    return rc;
}

static void s_close(tee_backend *b)
{
    if (!b)
        return;
    b->ops->close(b->inner);
    os_mutex_free(b->lock);
    free(b);
}

int tee_serialize(const tee_backend_ops *ops, tee_backend *inner,
                  tee_backend_ops *table, tee_backend **out)
{
    tee_backend *b = calloc(1, sizeof *b);

    if (!b || !(b->lock = os_mutex_new())) {
        free(b);
        return MANTLE_ENOMEM;
    }
    b->ops = ops;
    b->inner = inner;
    /* The same table shape: callers test the optional entries for NULL
     * and print the name. */
    *table = (tee_backend_ops){
        .version = ops->version,
        .name = ops->name,
        .probe = ops->probe,
        .open = ops->open,
        .caps = s_caps,
        .kind = s_kind,
        .mode = s_mode,
        .evidence = ops->evidence ? s_evidence : NULL,
        .extend = ops->extend ? s_extend : NULL,
        .seal_root = s_seal_root,
        .counter = ops->counter ? s_counter : NULL,
        .close = s_close,
    };
    *out = b;
    return MANTLE_OK;
}

tee_backend *tee_serial_enter(mantle_tee *tee, const tee_backend_ops *ops)
{
    tee_backend *b = tee->b;

    if (b->ops != ops)
        return NULL;
    os_mutex_lock(b->lock);
    return b->inner;
}

void tee_serial_leave(mantle_tee *tee)
{
    os_mutex_unlock(tee->b->lock);
}
