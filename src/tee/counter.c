/* counter.c - monotonic counters for each module and for the node, all
 * anchored in the backend's one counter.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: the table file - loading and anchoring - the counter operation.
 *
 * A backend has one monotonic counter (a TPM NV counter, a file for soft);
 * guests need one each, or another module's increments would look like a
 * rollback. So the counters live in a table in the state directory,
 *
 *   "MCT1" | anchor (u64) | n (u32) | n x (id (32) | value (u64)) | HMAC
 *
 * (little-endian; HMAC-SHA256 under a key derived from the layer-0 root),
 * and the table records the backend counter's value: `anchor` must equal it.
 * Every increment writes the table with anchor + 1 first and then
 * increments the backend counter, so an old copy of the table (a rollback)
 * no longer matches, and a crash between the two steps leaves a table one
 * ahead, which the next operation completes. A missing table is accepted
 * only while the backend counter has never moved. Every operation holds an
 * exclusive lock on STATE/counters.lock, so concurrent processes serialise.
 *
 * What this protects is what the backend's counter protects: on tpm the
 * anchor is in the TPM and a host that rolls the state directory back is
 * caught; on soft the anchor is another file in the same directory, so it
 * only keeps guests apart and catches accidents, not a host that rolls
 * back both files.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "platform/os_fs.h"
#include "tee/tee.h"

#define TABLE_NAME "counters"
#define LOCK_NAME "counters.lock"
#define HEAD 16       /* magic, anchor, n */
#define ENTRY 40      /* id, value */
#define MAC 32
#define MAX_ENTRIES 16384

typedef struct table {
    uint64_t anchor;
    uint32_t n;
    uint8_t *entries;   /* n * ENTRY bytes */
} table;

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int table_mac(const uint8_t uds[TEE_CDI], const uint8_t *data,
                     size_t len, uint8_t out[MAC])
{
    uint8_t key[32];
    size_t n = 0;
    int rc;

    if (tee_hkdf(uds, TEE_CDI, NULL, 0, "mantle-counter-table-v1", key,
                 sizeof key) != 0)
        return -1;
    rc = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, sizeof key, data,
                   len, out, MAC, &n) != NULL && n == MAC
             ? 0
             : -1;
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

/* ---- Loading and anchoring -------------------------------------------------- */

/* Load and authenticate the table; a missing one is empty, anchor 0 and
 * `*absent` set. */
static int table_load(const char *dir, const uint8_t uds[TEE_CDI], table *t,
                      bool *absent, mantle_diag *diag)
{
    uint8_t *data = NULL, mac[MAC];
    size_t size = 0;
    uint32_t n;
    int rc;

    memset(t, 0, sizeof *t);
    rc = tee_state_read(dir, TABLE_NAME, &data, &size, diag);
    *absent = rc == -OS_ENOENT;
    if (*absent)
        return MANTLE_OK;
    if (rc != MANTLE_OK)
        return rc;
    rc = tee_fail(diag, MANTLE_EAUTH, "tee: %s/%s: damaged or forged counter "
                  "table", dir, TABLE_NAME);
    if (size < HEAD + MAC || memcmp(data, "MCT1", 4) != 0)
        goto out;
    n = get32(data + 12);
    if (n > MAX_ENTRIES || size != HEAD + (size_t)n * ENTRY + MAC ||
        table_mac(uds, data, size - MAC, mac) != 0 ||
        tee_memcmp(mac, data + size - MAC, MAC) != 0)
        goto out;
    t->anchor = get64(data + 4);
    t->n = n;
    if (n && !(t->entries = malloc((size_t)n * ENTRY))) {
        rc = tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
        goto out;
    }
    if (n)
        memcpy(t->entries, data + HEAD, (size_t)n * ENTRY);
    rc = MANTLE_OK;
out:
    free(data);
    return rc;
}

static int table_store(const char *dir, const uint8_t uds[TEE_CDI],
                       const table *t, mantle_diag *diag)
{
    size_t size = HEAD + (size_t)t->n * ENTRY + MAC;
    uint8_t *data = malloc(size);
    int rc;

    if (!data)
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    memcpy(data, "MCT1", 4);
    put64(data + 4, t->anchor);
    put32(data + 12, t->n);
    if (t->n)
        memcpy(data + HEAD, t->entries, (size_t)t->n * ENTRY);
    if (table_mac(uds, data, size - MAC, data + size - MAC) != 0)
        rc = tee_fail(diag, MANTLE_ENOTEE, "tee: counter table: HMAC failed");
    else
        rc = tee_state_write(dir, TABLE_NAME, data, size, diag);
    free(data);
    return rc;
}

/* The table must be exactly as new as the backend counter: one ahead is an
 * increment a crash interrupted (finish it), anything else a rollback. */
static int anchor_check(mantle_tee *tee, const table *t, bool absent,
                        mantle_diag *diag)
{
    uint64_t hw;
    int rc;

    if ((rc = tee->ops->counter(tee->b, false, &hw, diag)) != MANTLE_OK)
        return rc;
    if (absent && hw != 0)
        return tee_fail(diag, MANTLE_EAUTH, "tee: %s/%s is missing but the "
                        "%s counter is at %llu: deleted or rolled back",
                        tee->state_dir, TABLE_NAME, tee->ops->name,
                        (unsigned long long)hw);
    if (absent || t->anchor == hw)
        return MANTLE_OK;
    if (t->anchor == hw + 1)
        return tee->ops->counter(tee->b, true, &hw, diag);
    return tee_fail(diag, MANTLE_EAUTH, "tee: %s/%s records counter %llu but "
                    "the %s counter is at %llu: the table was rolled back",
                    tee->state_dir, TABLE_NAME,
                    (unsigned long long)t->anchor, tee->ops->name,
                    (unsigned long long)hw);
}

/* ---- The counter operation ---------------------------------------------------- */

static int locked(mantle_tee *tee, const uint8_t uds[TEE_CDI],
                  const uint8_t id[32], bool increment, uint64_t *out_value,
                  mantle_diag *diag)
{
    table t;
    bool absent;
    uint8_t *e = NULL;
    uint64_t v = 0, hw;
    int rc;

    if ((rc = table_load(tee->state_dir, uds, &t, &absent, diag)) != MANTLE_OK ||
        (rc = anchor_check(tee, &t, absent, diag)) != MANTLE_OK)
        goto out;
    for (uint32_t i = 0; i < t.n; i++)
        if (memcmp(t.entries + (size_t)i * ENTRY, id, 32) == 0)
            e = t.entries + (size_t)i * ENTRY;
    if (e)
        v = get64(e + 32);
    if (increment && absent) {
        /* First use: initialise the backend counter (a TPM starts an NV
         * counter at the highest value any of its counters had) and anchor
         * an empty table there. A crash right here leaves the counter
         * moved and no table, which reads as a deletion: refused. */
        if ((rc = tee->ops->counter(tee->b, true, &hw, diag)) != MANTLE_OK)
            goto out;
        t.anchor = hw;
        absent = false;
    }
    if (increment) {
        if (v == UINT64_MAX || t.anchor == UINT64_MAX) {
            rc = tee_fail(diag, MANTLE_ELIMIT, "tee: counter exhausted");
            goto out;
        }
        if (!e) {
            uint8_t *grown;

            if (t.n >= MAX_ENTRIES) {
                rc = tee_fail(diag, MANTLE_ELIMIT, "tee: counter table full "
                              "(%d modules)", MAX_ENTRIES);
                goto out;
            }
            grown = realloc(t.entries, (size_t)(t.n + 1) * ENTRY);
            if (!grown) {
                rc = tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
                goto out;
            }
            t.entries = grown;
            e = t.entries + (size_t)t.n++ * ENTRY;
            memcpy(e, id, 32);
        }
        put64(e + 32, ++v);
        t.anchor++;  /* table first, then the counter: see the top */
        if ((rc = table_store(tee->state_dir, uds, &t, diag)) != MANTLE_OK ||
            (rc = tee->ops->counter(tee->b, true, &hw, diag)) != MANTLE_OK)
            goto out;
        if (hw != t.anchor) {
            rc = tee_fail(diag, MANTLE_EAUTH, "tee: the %s counter moved "
                          "outside the counter table (%llu, want %llu)",
                          tee->ops->name, (unsigned long long)hw,
                          (unsigned long long)t.anchor);
            goto out;
        }
    }
    *out_value = v;
    rc = MANTLE_OK;
out:
    free(t.entries);
    return rc;
}

int tee_counter(mantle_tee *tee, const uint8_t uds[TEE_CDI],
                const uint8_t id[32], bool increment, uint64_t *out_value,
                mantle_diag *diag)
{
    char path[4096];
    int fd, rc;

    if (!tee->ops->counter)
        return tee_fail(diag, MANTLE_ENOTEE, "tee: %s: no monotonic counter",
                        tee->ops->name);
    if (!tee->state_dir)
        return tee_fail(diag, MANTLE_ENOTEE, "tee: counters need a state "
                        "directory");
    if ((rc = tee_state_mkdir(tee->state_dir, diag)) != MANTLE_OK)
        return rc;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", tee->state_dir,
                         LOCK_NAME) >= sizeof path)
        return tee_fail(diag, MANTLE_EINVAL, "tee: %s: path too long",
                        tee->state_dir);
    fd = os_fs_openat(OS_FD_CWD, path,
                      OS_O_RDWR | OS_O_CREAT | OS_O_NOFOLLOW, 0600);
    if (fd < 0)
        return tee_fail(diag, MANTLE_EIO, "tee: %s: open: %s", path,
                        os_fs_strerror(fd));
    if ((rc = os_fs_lock(fd, true)) < 0) {
        os_fs_close(fd);
        return tee_fail(diag, MANTLE_EIO, "tee: %s: lock: %s", path,
                        os_fs_strerror(rc));
    }
    rc = locked(tee, uds, id, increment, out_value, diag);
    os_fs_close(fd);  /* drops the lock */
    return rc;
}
