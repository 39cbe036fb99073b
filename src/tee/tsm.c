/* tsm.c - the configfs-tsm backend: SEV-SNP, TDX and Arm CCA confidential
 * VMs through Linux's /sys/kernel/config/tsm/report interface.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: the file-system seam (tee_tsm_fs; the default serves a configfs
 * directory through platform/os_fs.h, tests serve a fake tree) - one report
 * request - the backend table.
 *
 * Protocol (Documentation/ABI/testing/configfs-tsm): mkdir an entry, read
 * `provider`, read `generation`, write 64 bytes to `inblob`, read
 * `outblob` (and `auxblob`, the certificates some providers serve), read
 * `generation` again: if it moved past our own write, another writer raced
 * us and the report may not be ours, so the request fails. EBUSY is
 * retried a few times, an outblob over TSM_OUTBLOB_MAX is refused.
 *
 * What it protects: guest memory is isolated from the host by the CPU, and
 * the platform report (signed by AMD, Intel or Arm keys) binds our 64 bytes
 * of report data. The layer-0 root, however, is a secret in the state
 * directory: configfs-tsm offers no derived sealing key, so sealed data is
 * only as safe as the CVM's own (encrypted) storage (docs/tee.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "platform/os_fs.h"
#include "tee/tee.h"
#include "tee/tee_tsm.h"

#define TSM_DEFAULT_ROOT "/sys/kernel/config/tsm/report"
#define TSM_BUSY_RETRIES 3

/* ---- The default seam: a configfs directory --------------------------------- */

typedef struct dir_fs {
    char root[1024];
} dir_fs;

static int dir_path(const dir_fs *d, const char *entry, const char *attr,
                    char *buf, size_t cap)
{
    int n = attr ? snprintf(buf, cap, "%s/%s/%s", d->root, entry, attr)
                 : snprintf(buf, cap, "%s/%s", d->root, entry);

    return n > 0 && (size_t)n < cap ? 0 : -OS_ENAMETOOLONG;
}

static int dir_mkdir(void *ctx, const char *entry)
{
    char p[1200];
    int r = dir_path(ctx, entry, NULL, p, sizeof p);

    return r < 0 ? r : os_fs_mkdirat(OS_FD_CWD, p, 0700);
}

static int dir_rmdir(void *ctx, const char *entry)
{
    char p[1200];
    int r = dir_path(ctx, entry, NULL, p, sizeof p);

    return r < 0 ? r : os_fs_unlinkat(OS_FD_CWD, p, true);
}

static int dir_write(void *ctx, const char *entry, const char *attr,
                     const uint8_t *data, size_t len)
{
    char p[1200];
    int fd, r = dir_path(ctx, entry, attr, p, sizeof p);
    os_iovec iov = {(void *)data, len};
    int64_t n;

    if (r < 0)
        return r;
    /* configfs takes a binary attribute whole, at close */
    fd = os_fs_openat(OS_FD_CWD, p, OS_O_WRONLY | OS_O_NOFOLLOW, 0);
    if (fd < 0)
        return fd;
    n = os_fs_writev(fd, &iov, 1);
    r = os_fs_close(fd);
    if (n < 0)
        return (int)n;
    if ((size_t)n != len)
        return -OS_EIO;
    return r < 0 ? r : 0;
}

static int64_t dir_read(void *ctx, const char *entry, const char *attr,
                        uint8_t *buf, size_t cap)
{
    char p[1200];
    int fd, r = dir_path(ctx, entry, attr, p, sizeof p);
    size_t len = 0;

    if (r < 0)
        return r;
    fd = os_fs_openat(OS_FD_CWD, p, OS_O_RDONLY | OS_O_NOFOLLOW, 0);
    if (fd < 0)
        return fd;
    while (len < cap) {
        os_iovec iov = {buf + len, cap - len};
        int64_t n = os_fs_readv(fd, &iov, 1);

        if (n < 0) {
            os_fs_close(fd);
            return n;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    os_fs_close(fd);
    return (int64_t)len;
}

/* ---- One report request ------------------------------------------------------- */

struct tee_backend {
    tee_tsm_fs fs;
    dir_fs *dir;             /* the default seam's state, or NULL */
    char *state_dir;
    char kind[16];
    unsigned seq;
    uint32_t tag;            /* random: entries of concurrent users differ */
};

static void entry_name(tee_backend *b, char *buf, size_t cap)
{
    snprintf(buf, cap, "mantle-%08x-%u", (unsigned)b->tag, b->seq++);
}

static int64_t read_busy(tee_backend *b, const char *entry, const char *attr,
                         uint8_t *buf, size_t cap)
{
    int64_t n;

    for (int i = 0;; i++) {
        n = b->fs.read(b->fs.ctx, entry, attr, buf, cap);
        if (n != -OS_EBUSY || i == TSM_BUSY_RETRIES)
            return n;
        os_fs_poll(NULL, 0, (int64_t)1000000 << i);
    }
}

static int read_u64(tee_backend *b, const char *entry, const char *attr,
                    uint64_t *out)
{
    char buf[32];
    int64_t n = read_busy(b, entry, attr, (uint8_t *)buf, sizeof buf - 1);
    char *end;

    if (n < 0)
        return (int)n;
    buf[n] = '\0';
    *out = strtoull(buf, &end, 10);
    return end != buf && (*end == '\n' || *end == '\0') ? 0 : -OS_EINVAL;
}

static const char *provider_kind(const char *p)
{
    if (strcmp(p, "sev_guest") == 0)
        return "sev-snp";
    if (strcmp(p, "tdx_guest") == 0)
        return "tdx";
    if (strcmp(p, "arm_cca_guest") == 0)
        return "cca";
    return NULL;
}

/* RFC 9711 dbgstat from the report's own debug bit where its layout is
 * fixed: SNP policy bit 19, TDX TDATTRIBUTES bit 0. 1 = disabled. */
static int report_dbgstat(const char *kind, const uint8_t *r, size_t n)
{
    if (strcmp(kind, "sev-snp") == 0 && n >= 0x4a0)
        return (r[0x08 + 2] & 0x08) ? 0 : 1;  /* policy byte 2, bit 3 = 19 */
    if (strcmp(kind, "tdx") == 0 && n >= 0x36 + 0x80) {
        size_t body = (r[0] | r[1] << 8) >= 5 ? 0x36 : 0x30;

        return (r[body + 0x78] & 1) ? 0 : 1;
    }
    return 1;
}

static int tsm_fail(mantle_diag *diag, const char *what, int err)
{
    return tee_fail(diag, MANTLE_ENOTEE, "tee: tsm: %s: %s", what,
                    os_fs_strerror(err));
}

static int tsm_evidence(tee_backend *b, const uint8_t rd[TEE_REPORT_DATA],
                        tee_platform_evidence *out, mantle_diag *diag)
{
    char entry[64], prov[64];
    uint64_t g0, g1, g2;
    uint8_t *blob = NULL, *aux = NULL;
    int64_t n, an = 0;
    const char *kind;
    int r, rc = MANTLE_ENOTEE;

    entry_name(b, entry, sizeof entry);
    if ((r = b->fs.mkdir(b->fs.ctx, entry)) < 0)
        return tsm_fail(diag, "creating a report entry", r);
    n = read_busy(b, entry, "provider", (uint8_t *)prov, sizeof prov - 1);
    if (n < 0) {
        tsm_fail(diag, "reading provider", (int)n);
        goto out;
    }
    prov[n] = '\0';
    prov[strcspn(prov, "\n")] = '\0';
    if (!(kind = provider_kind(prov))) {
        tee_fail(diag, MANTLE_ENOTEE, "tee: tsm: unknown provider \"%s\"", prov);
        goto out;
    }
    if ((r = read_u64(b, entry, "generation", &g0)) < 0) {
        tsm_fail(diag, "reading generation", r);
        goto out;
    }
    for (int i = 0;; i++) {
        r = b->fs.write(b->fs.ctx, entry, "inblob", rd, TEE_REPORT_DATA);
        if (r != -OS_EBUSY || i == TSM_BUSY_RETRIES)
            break;
        os_fs_poll(NULL, 0, (int64_t)1000000 << i);
    }
    if (r < 0) {
        tsm_fail(diag, r == -OS_EBUSY ? "writing inblob (still busy after "
                                        "retries)" : "writing inblob", r);
        goto out;
    }
    if ((r = read_u64(b, entry, "generation", &g1)) < 0) {
        tsm_fail(diag, "reading generation", r);
        goto out;
    }
    blob = malloc(TSM_OUTBLOB_MAX + 1);
    aux = malloc(TSM_OUTBLOB_MAX + 1);
    if (!blob || !aux) {
        tee_fail(diag, MANTLE_ENOMEM, "tee: tsm: out of memory");
        goto out;
    }
    n = read_busy(b, entry, "outblob", blob, TSM_OUTBLOB_MAX + 1);
    if (n == -OS_EFBIG || n > TSM_OUTBLOB_MAX) {
        tee_fail(diag, MANTLE_ENOTEE, "tee: tsm: outblob larger than %d bytes",
                 TSM_OUTBLOB_MAX);
        goto out;
    }
    if (n <= 0) {
        tsm_fail(diag, "reading outblob", n < 0 ? (int)n : -OS_EIO);
        goto out;
    }
    an = read_busy(b, entry, "auxblob", aux, TSM_OUTBLOB_MAX + 1);
    if (an == -OS_EFBIG || an > TSM_OUTBLOB_MAX) {
        tee_fail(diag, MANTLE_ENOTEE, "tee: tsm: auxblob larger than %d bytes",
                 TSM_OUTBLOB_MAX);
        goto out;
    }
    if (an < 0)
        an = 0;  /* providers without certificates have no auxblob */
    if ((r = read_u64(b, entry, "generation", &g2)) < 0) {
        tsm_fail(diag, "reading generation", r);
        goto out;
    }
    if (g1 != g0 + 1 || g2 != g1) {
        tee_fail(diag, MANTLE_ENOTEE, "tee: tsm: generation changed (%llu, "
                 "%llu, %llu): another writer raced this report request",
                 (unsigned long long)g0, (unsigned long long)g1,
                 (unsigned long long)g2);
        goto out;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->kind, sizeof out->kind, "%s", kind);
    out->dbgstat = report_dbgstat(kind, blob, (size_t)n);
    out->data = blob;
    out->size = (size_t)n;
    blob = NULL;
    if (an > 0) {
        out->aux = aux;
        out->aux_size = (size_t)an;
        aux = NULL;
    }
    rc = MANTLE_OK;
out:
    free(blob);
    free(aux);
    b->fs.rmdir(b->fs.ctx, entry);
    return rc;
}

/* ---- The backend table --------------------------------------------------------- */

static bool tsm_probe(const char *arg)
{
    os_stat st;

    return os_fs_fstatat(OS_FD_CWD, arg ? arg : TSM_DEFAULT_ROOT, true, &st) >=
               0 &&
           st.type == OS_FT_DIR;
}

/* The provider names the kind; read it once at open from a scratch entry. */
static int tsm_start(tee_backend *b, const char *state_dir, mantle_diag *diag)
{
    char entry[64], prov[64];
    const char *kind;
    int64_t n;
    int r;

    if (!state_dir || !*state_dir)
        return tee_fail(diag, MANTLE_EINVAL, "tee: tsm: needs a state "
                        "directory for its sealing root");
    if (!(b->state_dir = strdup(state_dir)))
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    entry_name(b, entry, sizeof entry);
    if ((r = b->fs.mkdir(b->fs.ctx, entry)) < 0)
        return tsm_fail(diag, "creating a report entry", r);
    n = read_busy(b, entry, "provider", (uint8_t *)prov, sizeof prov - 1);
    b->fs.rmdir(b->fs.ctx, entry);
    if (n < 0)
        return tsm_fail(diag, "reading provider", (int)n);
    prov[n] = '\0';
    prov[strcspn(prov, "\n")] = '\0';
    if (!(kind = provider_kind(prov)))
        return tee_fail(diag, MANTLE_ENOTEE, "tee: tsm: unknown provider "
                        "\"%s\"", prov);
    snprintf(b->kind, sizeof b->kind, "%s", kind);
    return MANTLE_OK;
}

static void tsm_close(tee_backend *b)
{
    if (!b)
        return;
    free(b->dir);
    free(b->state_dir);
    free(b);
}

int tee_tsm_open_fs(const tee_tsm_fs *fs, const char *state_dir,
                    tee_backend **out, mantle_diag *diag)
{
    tee_backend *b = calloc(1, sizeof *b);
    int rc;

    if (!b)
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    b->fs = *fs;
    os_fs_random(&b->tag, sizeof b->tag);
    if ((rc = tsm_start(b, state_dir, diag)) != MANTLE_OK) {
        tsm_close(b);
        return rc;
    }
    *out = b;
    return MANTLE_OK;
}

static int tsm_open(const char *arg, const char *state_dir, tee_backend **out,
                    mantle_diag *diag)
{
    dir_fs *d = calloc(1, sizeof *d);
    tee_tsm_fs fs = {d, dir_mkdir, dir_rmdir, dir_write, dir_read};
    int rc;

    if (!d)
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    if (snprintf(d->root, sizeof d->root, "%s", arg ? arg : TSM_DEFAULT_ROOT) >=
        (int)sizeof d->root) {
        free(d);
        return tee_fail(diag, MANTLE_EINVAL, "tee: tsm: root path too long");
    }
    if (!tsm_probe(d->root)) {
        rc = tee_fail(diag, MANTLE_ENOTEE, "tee: tsm: %s: no configfs-tsm "
                      "report interface (not a confidential VM?)", d->root);
        free(d);
        return rc;
    }
    if ((rc = tee_tsm_open_fs(&fs, state_dir, out, diag)) != MANTLE_OK) {
        free(d);
        return rc;
    }
    (*out)->dir = d;
    return MANTLE_OK;
}

static unsigned tsm_caps(const tee_backend *b)
{
    (void)b;
    return TEE_CAP_EVIDENCE | TEE_CAP_ISOLATION;
}

static const char *tsm_kind(const tee_backend *b)
{
    return b->kind;
}

static uint8_t tsm_mode(const tee_backend *b)
{
    (void)b;
    return TEE_MODE_NORMAL;
}

static int tsm_seal_root(tee_backend *b, uint8_t out[TEE_CDI],
                         mantle_diag *diag)
{
    return tee_state_secret(b->state_dir, "tsm-root-secret", out, diag);
}

static int tsm_counter(tee_backend *b, bool inc, uint64_t *out,
                       mantle_diag *diag)
{
    return tee_state_counter(b->state_dir, "counter", inc, out, diag);
}

const tee_backend_ops tee_tsm_ops = {
    .version = TEE_BACKEND_VERSION,
    .name = "tsm",
    .probe = tsm_probe,
    .open = tsm_open,
    .caps = tsm_caps,
    .kind = tsm_kind,
    .mode = tsm_mode,
    .evidence = tsm_evidence,
    .extend = NULL,
    .seal_root = tsm_seal_root,
    .counter = tsm_counter,
    .close = tsm_close,
};
