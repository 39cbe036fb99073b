/* mount.c - sealed directories behind WASI preopens: keys from the TEE
 * layer, the rollback anchor from its counter, the WASI file interface.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: the WASI adapter (wasi_vfs_ops over sealfs) - keys and anchor -
 * mantle_tee_mount_sealed.
 *
 * Key schedule (docs/sealfs.md): the directory key is HKDF-SHA512 of the
 * module's sealing key (module digest + launch configuration, which lists
 * the preopen as sealed, + device root) with the guest path as info; the
 * version table key is HKDF-SHA512 of the device root alone, since one
 * table serves every module on the node and shares one counter.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sealfs/sealfs.h"
#include "tee/tee.h"
#include "wasi/wasi_int.h"

/* ---- The WASI adapter ------------------------------------------------------------ */

static int v_open(void *fs, const char *path, int oflags, void **out_file,
                  uint8_t *out_type)
{
    sealfs_file *f = NULL;
    int r = sealfs_open(fs, path, oflags, &f, out_type);

    *out_file = f;
    return r;
}

static int64_t v_pread(void *f, const os_iovec *iov, int n, uint64_t off)
{
    return sealfs_pread(f, iov, n, off);
}

static int64_t v_pwrite(void *f, const os_iovec *iov, int n, uint64_t off)
{
    return sealfs_pwrite(f, iov, n, off);
}

static int v_fstat(void *f, os_stat *out) { return sealfs_fstat(f, out); }
static int v_truncate(void *f, uint64_t n) { return sealfs_truncate(f, n); }
static int v_sync(void *f) { return sealfs_sync(f); }
static int v_close(void *f) { return sealfs_close(f); }
static int v_stat(void *fs, const char *p, os_stat *out)
{
    return sealfs_stat(fs, p, out);
}
static int v_mkdir(void *fs, const char *p) { return sealfs_mkdir(fs, p); }
static int v_rmdir(void *fs, const char *p) { return sealfs_rmdir(fs, p); }
static int v_unlink(void *fs, const char *p) { return sealfs_unlink(fs, p); }
static int v_rename(void *fs, const char *a, const char *b)
{
    return sealfs_rename(fs, a, b);
}
static int v_list(void *fs, const char *p,
                  int (*fn)(void *, const char *, size_t, uint8_t, uint64_t),
                  void *ud)
{
    return sealfs_list(fs, p, fn, ud);
}
static void v_unmount(void *fs) { sealfs_unmount(fs); }

static const wasi_vfs_ops sealfs_vfs = {
    .version = WASI_VFS_VERSION,
    .name = "sealfs",
    .open = v_open,
    .pread = v_pread,
    .pwrite = v_pwrite,
    .fstat = v_fstat,
    .truncate = v_truncate,
    .sync = v_sync,
    .close = v_close,
    .stat = v_stat,
    .mkdir = v_mkdir,
    .rmdir = v_rmdir,
    .unlink = v_unlink,
    .rename = v_rename,
    .list = v_list,
    .unmount = v_unmount,
};

/* ---- Keys and anchor ---------------------------------------------------------------- */

/* Sealed storage's version counter is one entry of the TEE layer's counter
 * table (counter.c), not the backend's counter itself: that table is what
 * anchors every counter of the node (guests', the node's, this one) in the
 * one hardware counter, so that none of them moves another. The id cannot
 * collide with a module's, which is a digest. */
static int anchor_counter(void *ctx, bool inc, uint64_t *out)
{
    static const uint8_t id[32] = "mantle sealed-storage versions";
    mantle_tee *tee = ctx;
    uint8_t uds[TEE_CDI];
    int rc;

    rc = tee->ops->seal_root(tee->b, uds, NULL);
    if (rc == MANTLE_OK)
        rc = tee_counter(tee, uds, id, inc, out, NULL);
    OPENSSL_cleanse(uds, sizeof uds);
    if (rc == MANTLE_EAUTH)
        return -OS_ESTALE;  /* the counter table was rolled back or forged */
    return rc == MANTLE_OK ? 0 : -OS_EIO;
}

bool mantle_tee_counter_hardware(const mantle_tee *tee)
{
    return (tee->ops->caps(tee->b) & TEE_CAP_COUNTER) != 0;
}

static int dir_key(const tee_module_keys *k, const char *guest,
                   uint8_t out[32])
{
    char info[4200];
    int n = snprintf(info, sizeof info, "mantle-sealfs-dir-v1:%s", guest);

    if (n < 0 || (size_t)n >= sizeof info)
        return -1;
    return tee_hkdf(k->seal_key, sizeof k->seal_key, NULL, 0, info, out, 32);
}

/* ---- Mounting ------------------------------------------------------------------------- */

int mantle_tee_sealed_cache(mantle_tee *tee, size_t bytes)
{
    if (!tee || bytes < ((size_t)1 << 20) ||
        (uint64_t)bytes > (UINT64_C(4) << 30))
        return MANTLE_EINVAL;
    tee->sealed_cache = bytes;
    return MANTLE_OK;
}

int mantle_tee_mount_sealed(mantle_tee *tee, const mantle_module *module,
                            const mantle_tee_launch *launch, mantle_wasi *wasi,
                            mantle_diag *diag)
{
    sealfs_anchor anchor = {SEALFS_ANCHOR_VERSION, false, NULL, anchor_counter};
    tee_module_keys k;
    sealfs_keys keys;
    size_t nth = 0;
    int rc, first = MANTLE_OK;

    if (!tee || !module || !launch || !wasi)
        return tee_fail(diag, MANTLE_EINVAL, "sealfs: bad arguments");
    if (!tee->ops->counter || !tee->state_dir)
        return tee_fail(diag, MANTLE_ENOTEE, "sealfs: the %s backend has no "
                        "monotonic counter or state directory",
                        tee->ops->name);
    anchor.ctx = tee;
    anchor.hardware = mantle_tee_counter_hardware(tee);
    if ((rc = tee_launch_keys(tee, module, launch, &k, diag)) != MANTLE_OK)
        return rc;
    if (tee_hkdf(k.uds, sizeof k.uds, NULL, 0, "mantle-sealfs-table-v1",
                 keys.table, sizeof keys.table) != 0) {
        tee_module_keys_wipe(&k);
        return tee_fail(diag, MANTLE_ENOTEE, "sealfs: key derivation failed");
    }
    for (size_t i = 0; i < launch->npreopens; i++) {
        const mantle_wasi_preopen *p = &launch->preopens[i];
        const char *g = p->guest_path ? p->guest_path : p->host_path;
        uint32_t fd;
        char err[512];
        sealfs *fs = NULL;
        int host, r = MANTLE_OK;

        if (!p->sealed)
            continue;
        fd = wasi_sealed_fd(wasi, nth++);
        host = fd == UINT32_MAX ? -1 : wasi_sealed_take_host(wasi, fd);
        if (host < 0) {
            r = MANTLE_EINVAL;
            snprintf(err, sizeof err, "not a sealed preopen of this context");
        } else if (dir_key(&k, g, keys.dir) != 0) {
            os_fs_close(host);
            r = MANTLE_ENOTEE;
            snprintf(err, sizeof err, "key derivation failed");
        } else if (sealfs_mount(host, &keys, tee->state_dir, &anchor, &fs,
                                err, sizeof err) < 0) {
            r = MANTLE_EAUTH;   /* the preopen stays sealed: EIO */
        } else if (tee->sealed_cache &&
                   sealfs_cache_size(fs, tee->sealed_cache) < 0) {
            sealfs_unmount(fs);
            r = MANTLE_ENOMEM;
            snprintf(err, sizeof err, "out of memory for its page cache");
        } else if (wasi_vfs_attach(wasi, fd, &sealfs_vfs, fs) != WASI_OK) {
            sealfs_unmount(fs);
            r = MANTLE_ENOMEM;
            snprintf(err, sizeof err, "out of memory");
        }
        if (r != MANTLE_OK && first == MANTLE_OK) {
            first = r;
            tee_fail(diag, r, "sealed directory %s (%s): %s", g, p->host_path,
                     err);
        }
    }
    OPENSSL_cleanse(&keys, sizeof keys);
    tee_module_keys_wipe(&k);
    return first;
}
