/* format.c - the on-disk format of sealed directories: nodes, the manifest
 * and the version table (docs/sealfs.md).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: tree geometry - nodes - byte readers - the manifest - the table.
 *
 * Everything here goes through tee_seal/tee_unseal (AES-256-GCM, OpenSSL)
 * with a domain-separating AAD per kind of object, so that no sealed object
 * can be passed off as another. Decoders treat their input as hostile even
 * after authentication: the manifest's fuzz target feeds them directly.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sealfs/sealfs.h"
#include "tee/tee.h"

/* ---- Tree geometry ---------------------------------------------------------- */

uint64_t sealfs_level_count(uint64_t size, unsigned level)
{
    uint64_t n = (size + SEALFS_PAGE - 1) / SEALFS_PAGE;

    for (unsigned l = 0; l < level; l++)
        n = (n + SEALFS_FAN - 1) / SEALFS_FAN;
    return n;
}

uint8_t sealfs_levels(uint64_t size)
{
    uint64_t n = (size + SEALFS_PAGE - 1) / SEALFS_PAGE;
    uint8_t levels = 1;

    if (n == 0)
        return 0;
    /* At least one index level, so the root is always an index node. */
    do {
        n = (n + SEALFS_FAN - 1) / SEALFS_FAN;
        levels++;
    } while (n > 1);
    return levels;
}

/* ---- Nodes -------------------------------------------------------------------- */

#define NODE_AAD "mantle-sealfs-node-v1"

static void node_aad(const uint8_t id[SEALFS_ID], unsigned level,
                     uint64_t index, uint8_t out[sizeof NODE_AAD + 24])
{
    memcpy(out, NODE_AAD, sizeof NODE_AAD);
    memcpy(out + sizeof NODE_AAD, id, SEALFS_ID);
    out[sizeof NODE_AAD + 16] = (uint8_t)level;
    for (int i = 0; i < 7; i++)
        out[sizeof NODE_AAD + 17 + i] = (uint8_t)(index >> (8 * i));
}

int sealfs_node_seal(struct tee_gcm *g, const uint8_t id[SEALFS_ID],
                     unsigned level,
                     uint64_t index, const uint8_t pt[SEALFS_PAGE],
                     const uint8_t fresh[SEALFS_FRESH],
                     uint8_t out[SEALFS_BLOB])
{
    uint8_t aad[sizeof NODE_AAD + 24];

    /* A key and nonce never used before (a batch's key, a nonce per node
     * of the batch: fresh_batch, sealfs.c): no (key, nonce) pair is ever
     * reused, and an old copy of the node no longer opens under its
     * parent's key. */
    node_aad(id, level, index, aad);
    return tee_seal_nonce_gcm(g, fresh, fresh + 32, aad, sizeof aad, pt,
                              SEALFS_PAGE, out) == MANTLE_OK
               ? 0
               : -OS_EIO;
}

int sealfs_node_open(struct tee_gcm *g, const uint8_t key[32],
                     const uint8_t id[SEALFS_ID],
                     unsigned level, uint64_t index,
                     const uint8_t blob[SEALFS_BLOB], uint8_t out[SEALFS_PAGE])
{
    uint8_t aad[sizeof NODE_AAD + 24];

    node_aad(id, level, index, aad);
    /* out is the caller's scratch (a cache page, a buffer it wipes): wiped
     * here when the node does not verify, never used before it does. */
    return tee_unseal_gcm_scratch(g, key, aad, sizeof aad, blob, SEALFS_BLOB,
                                  out) ==
                   MANTLE_OK
               ? 0
               : -OS_EIO;
}

/* ---- Byte readers and writers -------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, pos;
    bool bad;
} rd;

static const uint8_t *take(rd *r, size_t k)
{
    const uint8_t *p;

    if (r->bad || r->n - r->pos < k) {
        r->bad = true;
        return NULL;
    }
    p = r->p + r->pos;
    r->pos += k;
    return p;
}

static uint64_t get_le(rd *r, unsigned k)
{
    const uint8_t *p = take(r, k);
    uint64_t v = 0;

    for (unsigned i = 0; p && i < k; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

typedef struct wr {
    uint8_t *p;
    size_t n, cap;
    bool bad;
} wr;

static void put(wr *w, const void *d, size_t k)
{
    if (w->bad || k == 0)
        return;
    if (w->cap - w->n < k) {
        size_t nc = (w->cap ? w->cap * 2 : 256) + k;
        uint8_t *np = realloc(w->p, nc);

        if (!np) {
            w->bad = true;
            return;
        }
        w->p = np;
        w->cap = nc;
    }
    memcpy(w->p + w->n, d, k);
    w->n += k;
}

static void put_le(wr *w, uint64_t v, unsigned k)
{
    uint8_t b[8];

    for (unsigned i = 0; i < k; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, k);
}

/* Seal w's bytes under key and aad into a malloc'd blob; frees w. */
static int seal_out(wr *w, const uint8_t key[32], const char *aad,
                    uint8_t **out, size_t *out_size)
{
    uint8_t *blob;
    int rc = -OS_ENOMEM;

    if (w->bad)
        goto out;
    blob = malloc(w->n + TEE_SEAL_OVERHEAD);
    if (!blob)
        goto out;
    if (tee_seal(key, (const uint8_t *)aad, strlen(aad), w->p, w->n, blob) !=
        MANTLE_OK) {
        free(blob);
        rc = -OS_EIO;
        goto out;
    }
    *out = blob;
    *out_size = w->n + TEE_SEAL_OVERHEAD;
    rc = 0;
out:
    if (w->p)
        OPENSSL_cleanse(w->p, w->n);
    free(w->p);
    return rc;
}

/* Unseal into a malloc'd plaintext. */
static int unseal_in(const uint8_t key[32], const char *aad,
                     const uint8_t *blob, size_t size, uint8_t **out,
                     size_t *out_n)
{
    uint8_t *pt;

    if (size < TEE_SEAL_OVERHEAD || size > TEE_SEAL_MAX)
        return -OS_EIO;
    pt = malloc(size - TEE_SEAL_OVERHEAD + 1);
    if (!pt)
        return -OS_ENOMEM;
    if (tee_unseal(key, (const uint8_t *)aad, strlen(aad), blob, size, pt) !=
        MANTLE_OK) {
        free(pt);
        return -OS_EIO;
    }
    *out = pt;
    *out_n = size - TEE_SEAL_OVERHEAD;
    return 0;
}

/* ---- The manifest ---------------------------------------------------------------- */

#define MANIFEST_MAGIC "MSF1"
#define MANIFEST_AAD "mantle-sealfs-manifest-v1"

bool sealfs_path_ok(const char *p, size_t n)
{
    size_t i = 0;

    if (n == 0 || n > SEALFS_PATH_MAX || memchr(p, '\0', n))
        return false;
    while (i < n) {
        size_t s = i;

        while (i < n && p[i] != '/')
            i++;
        if (i - s == 0 || i - s > 255 || (i - s == 1 && p[s] == '.') ||
            (i - s == 2 && p[s] == '.' && p[s + 1] == '.'))
            return false;
        if (i < n && ++i == n)
            return false;   /* trailing '/' */
    }
    return true;
}

int sealfs_manifest_encode(const sealfs_manifest *m, uint8_t **out,
                           size_t *out_size)
{
    wr w = {0};

    put(&w, MANIFEST_MAGIC, 4);
    put(&w, m->dir_id, SEALFS_ID);
    put_le(&w, m->version, 8);
    put_le(&w, m->n, 4);
    for (uint32_t i = 0; i < m->n; i++) {
        const sealfs_entry *e = &m->e[i];
        size_t pl = strlen(e->path);

        put_le(&w, e->type, 1);
        put_le(&w, pl, 2);
        put(&w, e->path, pl);
        put(&w, e->id, SEALFS_ID);
        put_le(&w, e->size, 8);
        put_le(&w, e->mtim, 8);
        put_le(&w, e->levels, 1);
        put_le(&w, e->root.slot, 4);
        put(&w, e->root.key, 32);
    }
    if (w.bad) {
        free(w.p);
        return -OS_ENOMEM;
    }
    *out = w.p;
    *out_size = w.n;
    return 0;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(((const sealfs_entry *)a)->path,
                  ((const sealfs_entry *)b)->path);
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b,
                  SEALFS_ID);
}

/* The invariants of a decoded manifest; entries end up sorted by path. */
static bool manifest_valid(sealfs_manifest *m)
{
    const uint8_t **ids;
    bool ok = true;

    qsort(m->e, m->n, sizeof *m->e, cmp_path);
    for (uint32_t i = 0; i + 1 < m->n; i++)
        if (strcmp(m->e[i].path, m->e[i + 1].path) == 0)
            return false;
    for (uint32_t i = 0; i < m->n; i++) {
        const sealfs_entry *e = &m->e[i];
        const char *slash = strrchr(e->path, '/');

        if (e->type == OS_FT_DIR) {
            if (e->size || e->levels)
                return false;
        } else if (e->size > SEALFS_FILE_MAX ||
                   e->levels != sealfs_levels(e->size)) {
            return false;
        }
        if (slash) {
            sealfs_entry key = {0};
            const sealfs_entry *p;
            char parent[SEALFS_PATH_MAX + 1];

            memcpy(parent, e->path, (size_t)(slash - e->path));
            parent[slash - e->path] = '\0';
            key.path = parent;
            p = bsearch(&key, m->e, m->n, sizeof *m->e, cmp_path);
            if (!p || p->type != OS_FT_DIR)
                return false;
        }
    }
    ids = malloc((m->n ? m->n : 1) * sizeof *ids);
    if (!ids)
        return false;
    for (uint32_t i = 0; i < m->n; i++)
        ids[i] = m->e[i].id;
    qsort(ids, m->n, sizeof *ids, cmp_id);
    for (uint32_t i = 0; i + 1 < m->n; i++)
        if (memcmp(ids[i], ids[i + 1], SEALFS_ID) == 0)
            ok = false;
    free(ids);
    return ok;
}

int sealfs_manifest_decode(const uint8_t *p, size_t n, sealfs_manifest *out)
{
    rd r = {p, n, 0, false};
    const uint8_t *magic = take(&r, 4), *did = take(&r, SEALFS_ID);
    sealfs_manifest m;
    uint64_t cnt;

    memset(out, 0, sizeof *out);
    memset(&m, 0, sizeof m);
    m.version = get_le(&r, 8);
    cnt = get_le(&r, 4);
    if (r.bad || memcmp(magic, MANIFEST_MAGIC, 4) != 0 ||
        cnt > SEALFS_MAX_ENTRIES || cnt > (n - r.pos) / 73)
        return -OS_EIO;
    memcpy(m.dir_id, did, SEALFS_ID);
    m.e = calloc(cnt ? cnt : 1, sizeof *m.e);
    if (!m.e)
        return -OS_ENOMEM;
    for (; m.n < cnt; m.n++) {
        sealfs_entry *e = &m.e[m.n];
        const uint8_t *path, *id, *key;
        size_t pl;

        e->type = (uint8_t)get_le(&r, 1);
        pl = (size_t)get_le(&r, 2);
        path = take(&r, pl);
        id = take(&r, SEALFS_ID);
        e->size = get_le(&r, 8);
        e->mtim = get_le(&r, 8);
        e->levels = (uint8_t)get_le(&r, 1);
        e->root.slot = (uint32_t)get_le(&r, 4);
        key = take(&r, 32);
        if (r.bad || (e->type != OS_FT_REG && e->type != OS_FT_DIR) ||
            !sealfs_path_ok((const char *)path, pl) ||
            !(e->path = malloc(pl + 1)))
            goto bad;
        memcpy(e->path, path, pl);
        e->path[pl] = '\0';
        memcpy(e->id, id, SEALFS_ID);
        memcpy(e->root.key, key, 32);
    }
    if (r.pos != n || !manifest_valid(&m))
        goto bad;
    *out = m;
    return 0;
bad:
    sealfs_manifest_free(&m);
    return -OS_EIO;
}

void sealfs_manifest_free(sealfs_manifest *m)
{
    for (uint32_t i = 0; m->e && i < m->n; i++) {
        free(m->e[i].path);
        OPENSSL_cleanse(m->e[i].root.key, 32);
    }
    free(m->e);
    memset(m, 0, sizeof *m);
}

int sealfs_manifest_seal(const uint8_t key[32], const sealfs_manifest *m,
                         uint8_t **out, size_t *out_size)
{
    wr w = {0};
    int rc = sealfs_manifest_encode(m, &w.p, &w.n);

    if (rc < 0)
        return rc;
    w.cap = w.n;
    return seal_out(&w, key, MANIFEST_AAD, out, out_size);
}

int sealfs_manifest_seal_raw(const uint8_t key[32], const uint8_t *pt,
                             size_t n, uint8_t **out, size_t *out_size)
{
    wr w = {0};

    put(&w, pt, n);
    return seal_out(&w, key, MANIFEST_AAD, out, out_size);
}

int sealfs_manifest_open(const uint8_t key[32], const uint8_t *blob,
                         size_t size, sealfs_manifest *out)
{
    uint8_t *pt;
    size_t n;
    int rc = unseal_in(key, MANIFEST_AAD, blob, size, &pt, &n);

    if (rc < 0)
        return rc;
    rc = sealfs_manifest_decode(pt, n, out);
    OPENSSL_cleanse(pt, n);
    free(pt);
    return rc;
}

/* ---- The version table ------------------------------------------------------------- */

#define TABLE_MAGIC "MSV1"
#define TABLE_AAD "mantle-sealfs-table-v1"

int sealfs_table_seal(const uint8_t key[32], const sealfs_table *t,
                      uint8_t **out, size_t *out_size)
{
    wr w = {0};

    put(&w, TABLE_MAGIC, 4);
    put_le(&w, t->counter, 8);
    put_le(&w, t->n, 4);
    for (uint32_t i = 0; i < t->n; i++) {
        put(&w, t->rows[i].dir_id, SEALFS_ID);
        put_le(&w, t->rows[i].version, 8);
    }
    return seal_out(&w, key, TABLE_AAD, out, out_size);
}

int sealfs_table_open(const uint8_t key[32], const uint8_t *blob, size_t size,
                      sealfs_table *out)
{
    uint8_t *pt;
    size_t n;
    rd r;
    uint64_t cnt;
    int rc = unseal_in(key, TABLE_AAD, blob, size, &pt, &n);

    memset(out, 0, sizeof *out);
    if (rc < 0)
        return rc;
    r = (rd){pt, n, 0, false};
    rc = -OS_EIO;
    if (!take(&r, 4) || memcmp(pt, TABLE_MAGIC, 4) != 0)
        goto out;
    out->counter = get_le(&r, 8);
    cnt = get_le(&r, 4);
    if (r.bad || cnt != (n - r.pos) / 24 || (n - r.pos) % 24)
        goto out;
    out->rows = calloc(cnt ? cnt : 1, sizeof *out->rows);
    if (!out->rows) {
        rc = -OS_ENOMEM;
        goto out;
    }
    for (; out->n < cnt; out->n++) {
        memcpy(out->rows[out->n].dir_id, take(&r, SEALFS_ID), SEALFS_ID);
        out->rows[out->n].version = get_le(&r, 8);
    }
    rc = 0;
out:
    free(pt);
    if (rc < 0)
        sealfs_table_free(out);
    return rc;
}

void sealfs_table_free(sealfs_table *t)
{
    free(t->rows);
    memset(t, 0, sizeof *t);
}
