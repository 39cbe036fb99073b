/* state.c - files in a node's TEE state directory: secrets, blobs, counters.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every file is 0600 in a 0700 directory and written atomically (a
 * temporary, fsync, rename, fsync of the directory), through the platform's
 * file door (platform/os_fs.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "platform/os_fs.h"
#include "tee/tee.h"

#define STATE_FILE_MAX (1u << 20)

static int join(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);

    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int tee_state_mkdir(const char *dir, mantle_diag *diag)
{
    char path[4096];
    size_t n = strlen(dir);
    int r;

    if (n == 0 || n >= sizeof path)
        return tee_fail(diag, MANTLE_EINVAL, "tee: state directory \"%s\": "
                        "empty or too long", dir);
    memcpy(path, dir, n + 1);
    /* each prefix in turn, then the whole path */
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        r = os_fs_mkdirat(OS_FD_CWD, path, 0700);
        path[i] = i < n ? '/' : '\0';
        if (r < 0 && r != -OS_EEXIST)
            return tee_fail(diag, MANTLE_EIO, "tee: state directory %s: "
                            "mkdir: %s", dir, os_fs_strerror(r));
    }
    return MANTLE_OK;
}

int tee_state_read(const char *dir, const char *name, uint8_t **out,
                   size_t *out_size, mantle_diag *diag)
{
    char path[4096];
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int fd, rc = MANTLE_EIO;

    if (join(path, sizeof path, dir, name) != 0)
        return tee_fail(diag, MANTLE_EINVAL, "tee: %s/%s: path too long", dir,
                        name);
    fd = os_fs_openat(OS_FD_CWD, path, OS_O_RDONLY | OS_O_NOFOLLOW, 0);
    if (fd < 0) {
        if (fd == -OS_ENOENT)
            return -OS_ENOENT;
        return tee_fail(diag, MANTLE_EIO, "tee: %s: open: %s", path,
                        os_fs_strerror(fd));
    }
    for (;;) {
        os_iovec iov;
        int64_t n;

        if (len == cap) {
            uint8_t *nb;

            if (cap >= STATE_FILE_MAX) {
                tee_fail(diag, MANTLE_ELIMIT, "tee: %s: larger than %u bytes",
                         path, STATE_FILE_MAX);
                rc = MANTLE_ELIMIT;
                goto out;
            }
            cap = cap ? cap * 2 : 256;
            nb = realloc(buf, cap);
            if (!nb) {
                rc = tee_fail(diag, MANTLE_ENOMEM, "tee: %s: out of memory",
                              path);
                goto out;
            }
            buf = nb;
        }
        iov.base = buf + len;
        iov.len = cap - len;
        n = os_fs_readv(fd, &iov, 1);
        if (n < 0) {
            tee_fail(diag, MANTLE_EIO, "tee: %s: read: %s", path,
                     os_fs_strerror((int)n));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *out = buf;
    *out_size = len;
    buf = NULL;
    rc = MANTLE_OK;
out:
    if (buf) {
        OPENSSL_cleanse(buf, cap);
        free(buf);
    }
    os_fs_close(fd);
    return rc;
}

int tee_state_write(const char *dir, const char *name, const uint8_t *data,
                    size_t size, mantle_diag *diag)
{
    char path[4096], tmp[4096];
    int fd, r, dfd;
    size_t done = 0;

    if (join(path, sizeof path, dir, name) != 0 ||
        snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return tee_fail(diag, MANTLE_EINVAL, "tee: %s/%s: path too long", dir,
                        name);
    fd = os_fs_openat(OS_FD_CWD, tmp,
                      OS_O_WRONLY | OS_O_CREAT | OS_O_TRUNC | OS_O_NOFOLLOW,
                      0600);
    if (fd < 0)
        return tee_fail(diag, MANTLE_EIO, "tee: %s: create: %s", tmp,
                        os_fs_strerror(fd));
    while (done < size) {
        os_iovec iov = {(void *)(data + done), size - done};
        int64_t n = os_fs_writev(fd, &iov, 1);

        if (n <= 0) {
            os_fs_close(fd);
            os_fs_unlinkat(OS_FD_CWD, tmp, false);
            return tee_fail(diag, MANTLE_EIO, "tee: %s: write: %s", tmp,
                            os_fs_strerror(n < 0 ? (int)n : -OS_EIO));
        }
        done += (size_t)n;
    }
    r = os_fs_fsync(fd);
    os_fs_close(fd);
    if (r < 0 || (r = os_fs_renameat(OS_FD_CWD, tmp, OS_FD_CWD, path)) < 0) {
        os_fs_unlinkat(OS_FD_CWD, tmp, false);
        return tee_fail(diag, MANTLE_EIO, "tee: %s: fsync or rename: %s", path,
                        os_fs_strerror(r));
    }
    dfd = os_fs_openat(OS_FD_CWD, dir, OS_O_RDONLY | OS_O_DIRECTORY, 0);
    if (dfd >= 0) {
        os_fs_fsync(dfd);
        os_fs_close(dfd);
    }
    return MANTLE_OK;
}

int tee_state_secret(const char *dir, const char *name, uint8_t out[TEE_CDI],
                     mantle_diag *diag)
{
    char path[4096];
    uint8_t fresh[TEE_CDI], *data = NULL;
    size_t size = 0;
    int rc, fd;

    if ((rc = tee_state_mkdir(dir, diag)) != MANTLE_OK)
        return rc;
    if (join(path, sizeof path, dir, name) != 0)
        return tee_fail(diag, MANTLE_EINVAL, "tee: %s/%s: path too long", dir,
                        name);
    /* Create it exclusively when missing: of two racing first users, one
     * writes and both then read the same secret. */
    fd = os_fs_openat(OS_FD_CWD, path,
                      OS_O_WRONLY | OS_O_CREAT | OS_O_EXCL | OS_O_NOFOLLOW,
                      0600);
    if (fd >= 0) {
        os_iovec iov = {fresh, sizeof fresh};
        int64_t n = -OS_EIO;

        if (os_fs_random(fresh, sizeof fresh) >= 0)
            n = os_fs_writev(fd, &iov, 1);
        if (n == (int64_t)sizeof fresh)
            n = os_fs_fsync(fd);
        os_fs_close(fd);
        OPENSSL_cleanse(fresh, sizeof fresh);
        if (n < 0) {
            os_fs_unlinkat(OS_FD_CWD, path, false);
            return tee_fail(diag, MANTLE_EIO, "tee: %s: creating the device "
                            "secret: %s", path, os_fs_strerror((int)n));
        }
    } else if (fd != -OS_EEXIST) {
        return tee_fail(diag, MANTLE_EIO, "tee: %s: create: %s", path,
                        os_fs_strerror(fd));
    }
    rc = tee_state_read(dir, name, &data, &size, diag);
    if (rc == -OS_ENOENT)
        rc = tee_fail(diag, MANTLE_EIO, "tee: %s: vanished", path);
    if (rc != MANTLE_OK)
        return rc;
    if (size != TEE_CDI) {
        rc = tee_fail(diag, MANTLE_EIO, "tee: %s: %zu bytes, want %d "
                      "(damaged device secret)", path, size, TEE_CDI);
    } else {
        memcpy(out, data, TEE_CDI);
    }
    OPENSSL_cleanse(data, size);
    free(data);
    return rc;
}

/* A counter file holds two records, in separate 512-byte sectors,
 *   "MCN1" | value (u64 LE) | SHA-256 of those 12 bytes, first 16 bytes,
 * and an increment rewrites, in place, the one not holding the current
 * value, then fdatasyncs: one flush and no rename or directory fsync per
 * increment. An increment torn by a crash leaves a record that does not
 * check, and the other one, the old value: as if it had not happened. (The
 * checksum detects tearing only; the file is as trusted as its directory.)
 * An 8-byte file (the earlier format) is read as it is and rewritten whole
 * at its next increment. */
#define CNT_REC 28
#define CNT_SECTOR 512
#define CNT_FILE (2 * CNT_SECTOR)

static int cnt_record(uint64_t v, uint8_t out[CNT_REC])
{
    uint8_t md[32];
    unsigned n = 0;

    memcpy(out, "MCN1", 4);
    for (int i = 0; i < 8; i++)
        out[4 + i] = (uint8_t)(v >> (8 * i));
    if (EVP_Digest(out, 12, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -1;
    memcpy(out + 12, md, 16);
    return 0;
}

static bool cnt_parse(const uint8_t *p, uint64_t *out)
{
    uint8_t want[CNT_REC];
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[4 + i];
    if (cnt_record(v, want) != 0 || memcmp(want, p, CNT_REC) != 0)
        return false;
    *out = v;
    return true;
}

int tee_state_counter(const char *dir, const char *name, bool increment,
                      uint64_t *out_value, mantle_diag *diag)
{
    uint8_t *data = NULL, file[CNT_FILE] = {0};
    size_t size = 0;
    uint64_t v = 0, w;
    bool any = false;
    char path[4096];
    int rc, fd;

    if ((rc = tee_state_mkdir(dir, diag)) != MANTLE_OK)
        return rc;
    rc = tee_state_read(dir, name, &data, &size, diag);
    if (rc == MANTLE_OK) {
        if (size == 8) {
            for (int i = 7; i >= 0; i--)
                v = v << 8 | data[i];
            any = true;
        } else if (size == CNT_FILE) {
            for (int k = 0; k < 2; k++)
                if (cnt_parse(data + k * CNT_SECTOR, &w) && (!any || w > v)) {
                    v = w;
                    any = true;
                }
        }
        free(data);
        if (!any)
            return tee_fail(diag, MANTLE_EIO, "tee: %s/%s: damaged counter",
                            dir, name);
    } else if (rc != -OS_ENOENT) {
        return rc;
    }
    if (increment) {
        if (v == UINT64_MAX)
            return tee_fail(diag, MANTLE_ELIMIT, "tee: counter exhausted");
        v++;
        if (cnt_record(v, file + (v % 2) * CNT_SECTOR) != 0 ||
            cnt_record(v - 1, file + ((v - 1) % 2) * CNT_SECTOR) != 0)
            return tee_fail(diag, MANTLE_ENOTEE, "tee: SHA-256 failed");
        if (size != CNT_FILE) {
            /* new, or the earlier format: the whole file, atomically */
            if ((rc = tee_state_write(dir, name, file, CNT_FILE, diag)) !=
                MANTLE_OK)
                return rc;
        } else {
            os_iovec iov = {file + (v % 2) * CNT_SECTOR, CNT_REC};

            if (join(path, sizeof path, dir, name) != 0)
                return tee_fail(diag, MANTLE_EINVAL, "tee: %s/%s: path too "
                                "long", dir, name);
            fd = os_fs_openat(OS_FD_CWD, path, OS_O_WRONLY | OS_O_NOFOLLOW,
                              0);
            rc = fd;
            if (fd >= 0) {
                int64_t n = os_fs_pwritev(fd, &iov, 1,
                                          (v % 2) * CNT_SECTOR);

                rc = n == CNT_REC ? os_fs_fdatasync(fd)
                                  : (n < 0 ? (int)n : -OS_EIO);
                os_fs_close(fd);
            }
            if (rc < 0)
                return tee_fail(diag, MANTLE_EIO, "tee: %s: write: %s", path,
                                os_fs_strerror(rc));
        }
    }
    *out_value = v;
    return MANTLE_OK;
}
