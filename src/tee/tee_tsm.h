/* tee_tsm.h - the configfs-tsm backend's file-system seam (tsm.c).
 * SPDX-License-Identifier: Apache-2.0
 *
 * The backend reaches the report interface only through these calls, so
 * tests serve a fake tree (recorded SNP/TDX/CCA reports, injected kernel
 * errors). Each returns >= 0 or a negative OS_E* code (platform/os_fs.h),
 * as the kernel's errno would be: -OS_EBUSY while another request runs,
 * -OS_EFBIG for a report over the limit.
 */
#ifndef MANTLE_TEE_TSM_H
#define MANTLE_TEE_TSM_H

#include <stddef.h>
#include <stdint.h>

#include "tee/tee.h"

/* The kernel's limit on outblob and auxblob (TSM_OUTBLOB_MAX, 32 KiB). */
#define TSM_OUTBLOB_MAX (32 * 1024)

typedef struct tee_tsm_fs {
    void *ctx;
    /* Create / remove report entry `entry` (a directory under the root). */
    int (*mkdir)(void *ctx, const char *entry);
    int (*rmdir)(void *ctx, const char *entry);
    /* Write attribute `attr` of `entry` whole. */
    int (*write)(void *ctx, const char *entry, const char *attr,
                 const uint8_t *data, size_t len);
    /* Read up to cap bytes of `attr`; the byte count. */
    int64_t (*read)(void *ctx, const char *entry, const char *attr,
                    uint8_t *buf, size_t cap);
} tee_tsm_fs;

/* Open the tsm backend over a seam (copied; ctx is borrowed). */
int tee_tsm_open_fs(const tee_tsm_fs *fs, const char *state_dir,
                    tee_backend **out, mantle_diag *diag);
/* Wrap an opened backend of table `ops` in a handle (tests). */
int tee_wrap(const tee_backend_ops *ops, tee_backend *b, mantle_tee **out,
             mantle_diag *diag);

#endif
