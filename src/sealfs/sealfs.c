/* sealfs.c - the files of a mounted sealed directory: trees of sealed
 * nodes, read and written a page at a time through the page cache
 * (cache.c), and committed copy-on-write.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: helpers - slots - loading a file (its index nodes) - data pages
 * (read, write, spill) - read, write, truncate - committing a file's tree.
 * Committing the directory and mounting are in commit.c, the namespace
 * (open, close, mkdir, rename, ...) in names.c.
 *
 * Invariants:
 *  - An open file holds its tree's references (all levels, about 1% of its
 *    size), verified when it was first opened in this mount; its data pages
 *    are read, and verified, when used, and kept in the mount's bounded
 *    cache, or, for a read streaming through a large file, decrypted
 *    straight into the guest's buffer (read_direct). No byte of a page that
 *    does not verify reaches the guest: a failed read wipes its buffers.
 *  - Nodes are written only into slots the committed manifest does not
 *    reference (`used` is the committed set, `pend` what was written since),
 *    whether a dirty page is evicted (spilled) or committed, so until the
 *    new manifest is renamed into place the old tree is intact: a crash at
 *    any point opens the old or the new state (docs/sealfs.md).
 *  - Page contents past the end of the file are zero, in the cache and in
 *    the nodes; pst[i] is SFS_PG_ZERO for every page past the end.
 *  - After a commit fails half way the mount is `broken`: every operation
 *    is EIO, and the next mount rolls forward or back from what is on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "platform/os.h"
#include "sealfs/sealfs_int.h"
#include "tee/tee.h"

static const uint8_t zero_page[SEALFS_PAGE];

void sfs_hex_id(const uint8_t id[SEALFS_ID], char out[2 * SEALFS_ID + 1])
{
    static const char h[] = "0123456789abcdef";

    for (int i = 0; i < SEALFS_ID; i++) {
        out[2 * i] = h[id[i] >> 4];
        out[2 * i + 1] = h[id[i] & 15];
    }
    out[2 * SEALFS_ID] = '\0';
}

uint64_t sfs_now_ns(void)
{
    uint64_t t = 0;

    os_fs_clock_time(0, &t);
    return t;
}

int sfs_write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        os_iovec iov = {(void *)p, n};
        int64_t k = os_fs_pwritev(fd, &iov, 1, off);

        if (k <= 0)
            return k < 0 ? (int)k : -OS_EIO;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

int sfs_read_full(int fd, uint8_t *p, size_t n, uint64_t off)
{
    for (size_t got = 0; got < n;) {
        os_iovec iov = {p + got, n - got};
        int64_t k = os_fs_preadv(fd, &iov, 1, off + got);

        if (k <= 0)
            return -OS_EIO;
        got += (size_t)k;
    }
    return 0;
}

static void tree_free(sealfs_ref **lv, uint64_t *n)
{
    for (int l = 0; l < SEALFS_MAX_LEVELS; l++) {
        if (lv[l])
            OPENSSL_cleanse(lv[l], n[l] * sizeof *lv[l]);
        free(lv[l]);
        lv[l] = NULL;
        n[l] = 0;
    }
}

static uint64_t pages_of(uint64_t size)
{
    return (size + SEALFS_PAGE - 1) / SEALFS_PAGE;
}

/* Room for n pages' state (new ones SFS_PG_ZERO). */
static int pages_reserve(sealfs_file *f, uint64_t n)
{
    uint64_t nn = f->npcap ? f->npcap : 16;
    uint8_t *st;
    sealfs_ref *cur;

    if (n <= f->npcap)
        return 0;
    while (nn < n)
        nn *= 2;
    if (!(st = calloc(nn, 1)) || !(cur = calloc(nn, sizeof *cur))) {
        free(st);
        return -OS_ENOMEM;
    }
    if (f->npcap) {
        memcpy(st, f->pst, f->npcap);
        memcpy(cur, f->cur, f->npcap * sizeof *cur);
        OPENSSL_cleanse(f->cur, f->npcap * sizeof *cur);
    }
    free(f->pst);
    free(f->cur);
    f->pst = st;
    f->cur = cur;
    f->npcap = nn;
    return 0;
}

void sfs_file_unload(sealfs_file *f)
{
    sfs_wb_reap(f->fs);   /* before its pages and descriptor go */
    sfs_cache_drop(&f->fs->cache, f, 0);
    if (f->cur)
        OPENSSL_cleanse(f->cur, f->npcap * sizeof *f->cur);
    free(f->pst);
    free(f->cur);
    free(f->used);
    free(f->pend);
    f->pst = NULL;
    f->cur = NULL;
    f->used = f->pend = NULL;
    f->npcap = f->nslots = f->hint = 0;
    tree_free(f->lv, f->nlv);
    tree_free(f->nl, f->nn);
    if (f->hfd >= 0)
        os_fs_close(f->hfd);
    f->hfd = -1;
    f->loaded = false;
}

void sfs_file_free(sealfs_file *f)
{
    if (!f)
        return;
    sfs_file_unload(f);
    free(f->ent.path);
    OPENSSL_cleanse(&f->ent, sizeof f->ent);
    free(f);
}

static uint64_t tree_bytes(const sealfs_file *f)
{
    uint64_t n = f->npcap * (1 + sizeof(sealfs_ref)) + 2 * f->nslots;

    for (int l = 0; l < SEALFS_MAX_LEVELS; l++)
        n += f->nlv[l] * sizeof(sealfs_ref);
    return n;
}

/* A closed file keeps its verified tree (and its pages stay in the cache
 * until evicted), as the kernel keeps a plain file's pages, so that opening
 * it again in this mount reads and verifies no index node: the tree is what
 * this process verified or wrote, and the committed tree on disk is the
 * same. Closed files' trees take at most SEALFS_TREES_MAX bytes per mount
 * (others are dropped, in namespace order), and no host descriptor. */
void sfs_file_cache(sealfs_file *f)
{
    sealfs *fs = f->fs;
    uint64_t held = 0, mine = tree_bytes(f);

    sfs_wb_reap(fs);   /* a thread may still write to f->hfd */
    if (f->hfd >= 0)
        os_fs_close(f->hfd);
    f->hfd = -1;
    if (mine > SEALFS_TREES_MAX) {
        sfs_file_unload(f);
        return;
    }
    for (uint32_t i = 0; i < fs->n; i++) {
        sealfs_file *g = fs->ino[i];

        if (g != f && g->loaded && g->refs == 0 && !g->changed)
            held += tree_bytes(g);
    }
    for (uint32_t i = 0; i < fs->n && held + mine > SEALFS_TREES_MAX; i++) {
        sealfs_file *g = fs->ino[i];

        if (g != f && g->loaded && g->refs == 0 && !g->changed) {
            held -= tree_bytes(g);
            sfs_file_unload(g);
        }
    }
}

/* ---- Slots ------------------------------------------------------------------ */

static int slots_reserve(sealfs_file *f, uint64_t n)
{
    uint8_t *u, *p;
    uint64_t nn = f->nslots ? f->nslots : 64;

    if (n <= f->nslots)
        return 0;
    while (nn < n)
        nn *= 2;
    if (!(u = calloc(1, nn)) || !(p = calloc(1, nn))) {
        free(u);
        return -OS_ENOMEM;
    }
    if (f->nslots) {
        memcpy(u, f->used, f->nslots);
        memcpy(p, f->pend, f->nslots);
    }
    free(f->used);
    free(f->pend);
    f->used = u;
    f->pend = p;
    f->nslots = nn;
    return 0;
}

/* A slot neither the committed tree nor anything written since uses. */
static int64_t slot_alloc(sealfs_file *f, uint8_t mark)
{
    uint64_t s = f->hint;

    for (;; s++) {
        if (s >= f->nslots && slots_reserve(f, s + 1) < 0)
            return -OS_ENOMEM;
        if (!f->used[s] && !f->pend[s])
            break;
    }
    if (s > UINT32_MAX)
        return -OS_EFBIG;
    f->pend[s] = mark;
    f->hint = s + 1;
    return (int64_t)s;
}

static void slot_release(sealfs_file *f, uint64_t s)
{
    f->pend[s] = 0;
    if (s < f->hint)
        f->hint = s;
}

static int open_node_file(sealfs_file *f, bool create)
{
    char name[2 * SEALFS_ID + 1];
    int fd;

    if (f->hfd >= 0)
        return 0;
    sfs_hex_id(f->ent.id, name);
    fd = os_fs_openat(f->fs->dirfd, name, OS_O_RDWR | OS_O_NOFOLLOW, 0);
    if (fd == -OS_ENOENT && create) {
        fd = os_fs_openat(f->fs->dirfd, name,
                          OS_O_RDWR | OS_O_NOFOLLOW | OS_O_CREAT, 0600);
        /* its name must be durable before the commit point */
        f->fs->dir_unsynced |= fd >= 0;
    }
    if (fd < 0)
        return fd == -OS_ENOENT ? -OS_EIO : fd;  /* deleted on the host */
    f->hfd = fd;
    return 0;
}

/* Key material (SEALFS_FRESH bytes each: key, nonce) for n <= SFS_RUN
 * nodes sealed together: one key drawn from the CSPRNG for the batch, and
 * for its k-th node the nonce k. Each (key, nonce) pair seals one node
 * once: a batch holds each (level, index) of its file at most once, its
 * key is never drawn again (256 random bits) nor used after the batch, and
 * a node written again goes into another batch. Sharing the key lets the
 * GCM context keep one key schedule for the batch, when sealing and when
 * the run is read back (tee_gcm), instead of one per 4 KiB node; a parent
 * still holds each child's key, so a node copied from another batch or an
 * older copy of a node does not open under it (docs/sealfs.md). */
static int fresh_batch(uint8_t *fresh, unsigned n)
{
    uint8_t key[32];

    if (RAND_bytes(key, sizeof key) != 1)
        return -OS_EIO;
    for (unsigned k = 0; k < n; k++) {
        uint8_t *f = fresh + (size_t)k * SEALFS_FRESH;

        memcpy(f, key, 32);
        memset(f + 32, 0, SEALFS_FRESH - 32);
        f[32] = (uint8_t)k;
        f[33] = (uint8_t)(k >> 8);
    }
    OPENSSL_cleanse(key, sizeof key);
    return 0;
}

/* Nodes sealed into free slots and written with one call per run of
 * consecutive slots (fs->wbuf), under keys drawn a batch of SFS_RUN at a
 * time. */
typedef struct sealer {
    sealfs_file *f;
    uint64_t first;      /* slot of the buffer's first node */
    unsigned n, nfresh;
    uint8_t fresh[SFS_RUN * SEALFS_FRESH];
} sealer;

static int sealer_flush(sealer *w)
{
    int rc = w->n ? sfs_write_all(w->f->hfd, w->f->fs->wbuf,
                                  (size_t)w->n * SEALFS_BLOB,
                                  w->first * SEALFS_BLOB)
                  : 0;

    w->n = 0;
    return rc;
}

/* Seal node (level, index) from pt into a new slot marked `mark`; out gets
 * its reference. The node reaches the disk at the next flush. */
static int sealer_put(sealer *w, unsigned level, uint64_t index,
                      const uint8_t pt[SEALFS_PAGE], uint8_t mark,
                      sealfs_ref *out)
{
    sealfs_file *f = w->f;
    int64_t slot = slot_alloc(f, mark);
    uint8_t *key;
    int rc;

    if (slot < 0)
        return (int)slot;
    if (w->n && (w->n == SFS_RUN || (uint64_t)slot != w->first + w->n) &&
        (rc = sealer_flush(w)) < 0)
        goto fail;
    if (w->nfresh == 0) {
        if ((rc = fresh_batch(w->fresh, SFS_RUN)) < 0)
            goto fail;
        w->nfresh = SFS_RUN;
    }
    if (w->n == 0)
        w->first = (uint64_t)slot;
    key = w->fresh + (size_t)--w->nfresh * SEALFS_FRESH;
    rc = sealfs_node_seal(f->fs->gcm, f->ent.id, level, index, pt, key,
                          f->fs->wbuf + (size_t)w->n * SEALFS_BLOB);
    out->slot = (uint32_t)slot;
    memcpy(out->key, key, 32);
    OPENSSL_cleanse(key, SEALFS_FRESH);   /* used once */
    if (rc < 0)
        goto fail;
    w->n++;
    return 0;
fail:
    slot_release(f, (uint64_t)slot);
    return rc;
}

static void sealer_end(sealer *w)
{
    OPENSSL_cleanse(w->fresh, sizeof w->fresh);
}

static sfs_pool *pool_of(sealfs *fs);

/* Write data pages idx[0..n) (n <= SFS_RUN) from src[] into new nodes,
 * sealed on all cores (the pool: a key and nonce per node drawn here,
 * fresh_batch, so none is ever used twice) and written with one call per run of
 * consecutive slots; on success each is SFS_PG_NEW at its new node (the
 * node written since the last commit that it replaces is released), on
 * failure nothing changed. */
static int data_write(sealfs_file *f, const uint64_t *idx,
                      const uint8_t *const *src, unsigned n)
{
    sealfs *fs = f->fs;
    uint8_t fresh[SFS_RUN * SEALFS_FRESH];
    sealfs_ref ref[SFS_RUN];
    sfs_open o[SFS_RUN];
    unsigned k = 0;
    int rc;

    if (n == 0)
        return 0;
    sfs_wb_reap(fs);   /* one run in the pool at a time */
    if ((rc = open_node_file(f, true)) < 0)
        return rc;
    if ((rc = fresh_batch(fresh, n)) < 0)
        return rc;
    for (; k < n; k++) {
        int64_t slot = slot_alloc(f, SFS_SLOT_DATA);

        if (slot < 0) {
            rc = (int)slot;
            goto out;
        }
        ref[k].slot = (uint32_t)slot;
        memcpy(ref[k].key, fresh + (size_t)k * SEALFS_FRESH, 32);
        o[k] = (sfs_open){.key = fresh + (size_t)k * SEALFS_FRESH,
                          .pt = src[k],
                          .index = idx[k],
                          .level = 0,
                          .fd = -1,
                          .blob = fs->wbuf + (size_t)k * SEALFS_BLOB};
    }
    if (sfs_pool_open(pool_of(fs), fs->gcm, f->ent.id, o, n) < n) {
        rc = -OS_EIO;
        goto out;
    }
    for (unsigned a = 0, m; a < n && rc == 0; a += m) {
        for (m = 1; a + m < n && ref[a + m].slot == ref[a].slot + m; m++)
            ;
        rc = sfs_write_all(f->hfd, fs->wbuf + (size_t)a * SEALFS_BLOB,
                           (size_t)m * SEALFS_BLOB,
                           (uint64_t)ref[a].slot * SEALFS_BLOB);
    }
out:
    if (rc < 0) {
        while (k--)
            slot_release(f, ref[k].slot);
    } else {
        for (k = 0; k < n; k++) {
            if (f->pst[idx[k]] == SFS_PG_NEW)
                slot_release(f, f->cur[idx[k]].slot);
            f->cur[idx[k]] = ref[k];
            f->pst[idx[k]] = SFS_PG_NEW;
        }
    }
    OPENSSL_cleanse(fresh, sizeof fresh);
    OPENSSL_cleanse(ref, sizeof ref);
    return rc;
}

int sfs_spill(sealfs_file *f, uint64_t i)
{
    uint64_t idx[SFS_RUN];
    const uint8_t *src[SFS_RUN];
    sfs_page *pg[SFS_RUN];
    unsigned n = 0;
    int rc;

    /* The pages after it were most likely written after it (a file written
     * in order): one run, one write. */
    while (n < SFS_RUN && i + n < f->npcap &&
           (pg[n] = sfs_cache_find(&f->fs->cache, f, i + n, false)) &&
           pg[n]->dirty) {
        idx[n] = i + n;
        src[n] = pg[n]->data;
        n++;
    }
    if ((rc = data_write(f, idx, src, n)) < 0)
        return rc;
    while (n--)
        pg[n]->dirty = false;
    return 0;
}

/* ---- Loading a file ----------------------------------------------------------- */

/* Each slot belongs to one node: a reference to a slot seen before, or
 * beyond the node file, is tampering. */
static int slot_claim(sealfs_file *f, const sealfs_ref *ref, uint64_t nraw)
{
    if (ref->slot >= nraw || f->used[ref->slot])
        return -OS_EIO;
    f->used[ref->slot] = 1;
    return 0;
}

/* Read and verify the index levels, a run of nodes at a time. */
int sfs_file_load(sealfs_file *f)
{
    const sealfs_entry *e = &f->ent;
    uint8_t *raw = f->fs->rbuf, pt[SEALFS_PAGE];
    uint64_t nraw = 0, wfirst = 0, wn = 0;   /* raw holds slots wfirst.. */
    os_stat st;
    int rc;

    if (f->loaded)
        return 0;
    f->hfd = -1;
    if (e->levels == 0) {
        f->loaded = true;
        return 0;
    }
    if ((rc = open_node_file(f, false)) < 0 ||
        (rc = os_fs_fstat(f->hfd, &st)) < 0)
        goto fail;
    nraw = st.size / SEALFS_BLOB;
    rc = -OS_ENOMEM;
    if (nraw > (uint64_t)UINT32_MAX + 1 || slots_reserve(f, nraw) < 0)
        goto fail;
    for (int l = 0; l < e->levels; l++) {
        f->nlv[l] = sealfs_level_count(e->size, (unsigned)l);
        if (!(f->lv[l] = calloc(f->nlv[l], sizeof *f->lv[l])))
            goto fail;
    }
    if (pages_reserve(f, f->nlv[0]) < 0)
        goto fail;
    f->lv[e->levels - 1][0] = e->root;
    rc = -OS_EIO;
    for (int l = e->levels - 1; l >= 1; l--) {
        for (uint64_t i = 0; i < f->nlv[l]; i++) {
            const sealfs_ref *ref = &f->lv[l][i];

            if (slot_claim(f, ref, nraw) < 0)
                goto fail;
            if (ref->slot < wfirst || ref->slot >= wfirst + wn) {
                /* The run of this level's next nodes in consecutive slots
                 * (a file written in order: SFS_RUN at a time). */
                unsigned k = 1;

                while (k < SFS_RUN && i + k < f->nlv[l] &&
                       f->lv[l][i + k].slot == (uint64_t)ref->slot + k &&
                       (uint64_t)ref->slot + k < nraw)
                    k++;
                if (sfs_read_full(f->hfd, raw, (size_t)k * SEALFS_BLOB,
                              (uint64_t)ref->slot * SEALFS_BLOB) < 0)
                    goto fail;
                wfirst = ref->slot;
                wn = k;
            }
            if (sealfs_node_open(f->fs->gcm, ref->key, e->id, (unsigned)l, i,
                                 raw + (size_t)(ref->slot - wfirst) *
                                           SEALFS_BLOB,
                                 pt) < 0)
                goto fail;
            for (uint64_t j = 0; j < SEALFS_FAN; j++) {
                const uint8_t *c = pt + j * SEALFS_REF;
                uint64_t child = i * SEALFS_FAN + j;

                if (child < f->nlv[l - 1]) {
                    sealfs_ref *r = &f->lv[l - 1][child];

                    r->slot = (uint32_t)c[0] | (uint32_t)c[1] << 8 |
                              (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
                    memcpy(r->key, c + 4, 32);
                }
            }
        }
    }
    for (uint64_t i = 0; i < f->nlv[0]; i++) {
        if (slot_claim(f, &f->lv[0][i], nraw) < 0)
            goto fail;
        f->pst[i] = SFS_PG_OLD;
    }
    rc = 0;
    f->loaded = true;
fail:
    OPENSSL_cleanse(pt, sizeof pt);
    if (rc < 0)
        sfs_file_unload(f);
    return rc;
}

/* ---- Data pages --------------------------------------------------------------- */

static const sealfs_ref *page_ref(const sealfs_file *f, uint64_t i)
{
    return f->pst[i] == SFS_PG_NEW ? &f->cur[i] : &f->lv[0][i];
}

/* The mount's crypto threads, started by the first run read or sealed:
 * one per core besides the caller's. */
static sfs_pool *pool_of(sealfs *fs)
{
    if (!fs->pool_tried) {
        unsigned n = fs->threads_set ? fs->threads : os_cpu_count() - 1;

        fs->pool_tried = true;
        if (n > 0)
            fs->pool = sfs_pool_new(n, fs->pool_eager);   /* NULL: alone */
    }
    return fs->pool;
}

/* Read the nodes of pages i..i+k-1 (k <= SFS_RUN) and open each into
 * out[j], on all cores: each thread reads its share of the run too, one
 * pread per run of nodes in consecutive slots, so that the copy out of the
 * kernel's page cache is spread as well. Returns how many opened in order
 * before the first that did not (k: all); out[j] of a node that did not
 * open is wiped, or untouched if it could not be read. */
static int64_t run_open(sealfs_file *f, uint64_t i, unsigned k,
                        uint8_t *const *out)
{
    sfs_open o[SFS_RUN];
    uint8_t *raw = f->fs->rbuf;

    sfs_wb_reap(f->fs);   /* one run in the pool at a time */
    for (unsigned j = 0; j < k; j++)
        o[j] = (sfs_open){.key = page_ref(f, i + j)->key,
                          .index = i + j,
                          .level = 0,
                          .fd = f->hfd,
                          .off = (uint64_t)page_ref(f, i + j)->slot *
                                 SEALFS_BLOB,
                          .blob = raw + (size_t)j * SEALFS_BLOB,
                          .out = out[j]};
    return (int64_t)sfs_pool_open(pool_of(f->fs), f->fs->gcm, f->ent.id, o,
                                  k);
}

/* Page i, from the cache or read and verified. A miss where the last one
 * ended (reading in order) also reads the pages after it that are not
 * cached (read-ahead, SFS_RUN at most, one pread per run of consecutive
 * slots); a miss elsewhere reads one node. With `whole` the caller
 * overwrites all of it: nothing is read. */
static int page_get(sealfs_file *f, uint64_t i, bool whole, sfs_page **out)
{
    sfs_cache *c = &f->fs->cache;
    sfs_page *pg[SFS_RUN];
    uint8_t *dst[SFS_RUN];
    unsigned k = 1, n;
    int64_t ok;
    int rc;

    if ((*out = sfs_cache_find(c, f, i, true)))
        return 0;
    if (whole || f->pst[i] == SFS_PG_ZERO) {
        if ((rc = sfs_cache_take(f->fs, f, i, out)) < 0)
            return rc;
        if (!whole)
            memset((*out)->data, 0, SEALFS_PAGE);
        return 0;
    }
    if ((rc = open_node_file(f, false)) < 0)
        return rc;
    while (i == f->ra_next && k < SFS_RUN && i + k < f->npcap &&
           f->pst[i + k] != SFS_PG_ZERO &&
           !sfs_cache_find(c, f, i + k, false))
        k++;
    /* The cache holds at least 4 runs: taking these evicts none of them. */
    for (n = 0; n < k; n++) {
        if ((rc = sfs_cache_take(f->fs, f, i + n, &pg[n])) < 0) {
            if (n == 0)
                return rc;
            break;   /* less read-ahead */
        }
        dst[n] = pg[n]->data;
    }
    ok = run_open(f, i, n, dst);
    /* Read-ahead stops before a node that does not open (the page fails
     * when it is used); the pages from it on are dropped, wiped. */
    for (unsigned j = ok < 0 ? 0 : (unsigned)ok; j < n; j++)
        sfs_cache_release(c, pg[j]);
    if (ok <= 0)
        return ok < 0 ? (int)ok : -OS_EIO;
    f->ra_next = i + (uint64_t)ok;
    *out = sfs_cache_find(c, f, i, true);
    return 0;
}

/* ---- Read, write, truncate ------------------------------------------------------ */

/* Copy len bytes between a page and the iovecs at (vi, vo), advancing. */
static void iov_copy(const os_iovec *iov, int n, int *vi, size_t *vo,
                     uint8_t *page, size_t len, bool to_iov)
{
    while (len && *vi < n) {
        size_t room = iov[*vi].len - *vo, k = len < room ? len : room;
        uint8_t *b = (uint8_t *)iov[*vi].base + *vo;

        if (to_iov)
            memcpy(b, page, k);
        else
            memcpy(page, b, k);
        page += k;
        len -= k;
        *vo += k;
        if (*vo == iov[*vi].len) {
            ++*vi;
            *vo = 0;
        }
    }
}

/* The next len bytes of the iovecs at (vi, vo) if they are contiguous,
 * and (vi, vo) moved past them; NULL (nothing moved) if they are not. */
static uint8_t *iov_take(const os_iovec *iov, int n, int *vi, size_t *vo,
                         size_t len)
{
    int i = *vi;
    size_t o = *vo;

    while (i < n && o == iov[i].len) {
        i++;
        o = 0;
    }
    if (i >= n || iov[i].len - o < len)
        return NULL;
    *vi = i;
    *vo = o + len;
    return (uint8_t *)iov[i].base + o;
}

static void iov_zero(const os_iovec *iov, int n, uint64_t len)
{
    for (int i = 0; i < n && len; i++) {
        size_t k = iov[i].len < len ? iov[i].len : (size_t)len;

        memset(iov[i].base, 0, k);
        len -= k;
    }
}

/* A run of whole pages from page i on, for a read of at least two whole
 * pages: pages that are not cached (up to SFS_RUN), each of whose
 * destination is contiguous in the iovecs. Their nodes are opened straight
 * into the guest's memory (no cache page, no copy, no first-touch fault of
 * cache memory, no eviction of pages that are worth keeping), whatever the
 * size of the file against the cache: a cache that could hold the file
 * would only make its first read slower (cached pages, written or read in
 * small pieces, are still read from the cache). A node that does not verify
 * is wiped there and the caller wipes the rest. Returns how many pages it
 * read (0: none qualify, use the cache), or a negative error. */
static int64_t read_direct(sealfs_file *f, uint64_t i, uint64_t end_page,
                           const os_iovec *iov, int n, int *vi, size_t *vo)
{
    sfs_cache *c = &f->fs->cache;
    uint8_t *dst[SFS_RUN];
    int v = *vi;
    size_t o = *vo;
    unsigned k = 0;
    int64_t ok;
    int rc;

    if (end_page - i < 2)
        return 0;
    for (; k < SFS_RUN && i + k < end_page; k++)
        if (f->pst[i + k] == SFS_PG_ZERO ||
            sfs_cache_find(c, f, i + k, false) ||
            !(dst[k] = iov_take(iov, n, &v, &o, SEALFS_PAGE)))
            break;
    if (k < 2)
        return 0;
    if ((rc = open_node_file(f, false)) < 0)
        return rc;
    if ((ok = run_open(f, i, k, dst)) < 0)
        return ok;
    if (ok < (int64_t)k)
        return -OS_EIO;
    f->ra_next = i + k;
    *vi = v;
    *vo = o;
    return k;
}

int64_t sealfs_pread(sealfs_file *f, const os_iovec *iov, int n, uint64_t off)
{
    uint64_t len = 0, end;
    int vi = 0;
    size_t vo = 0;
    int rc;

    if (f->fs->broken || !f->loaded)
        return -OS_EIO;
    for (int i = 0; i < n; i++)
        len += iov[i].len;
    if (off >= f->ent.size)
        return 0;
    end = len < f->ent.size - off ? off + len : f->ent.size;
    /* All or nothing: an error anywhere fails the whole read and wipes
     * what it had put in the guest's buffers, so a guest never holds part
     * of a range that did not verify. */
    for (uint64_t at = off; at < end;) {
        uint64_t pi = at / SEALFS_PAGE;
        size_t a = (size_t)(at % SEALFS_PAGE);
        size_t k = SEALFS_PAGE - a < end - at ? SEALFS_PAGE - a
                                               : (size_t)(end - at);
        sfs_page *p;
        int64_t d;

        if (a == 0 && (d = read_direct(f, pi, pi + (end - at) / SEALFS_PAGE,
                                       iov, n, &vi, &vo)) != 0) {
            if (d < 0) {
                rc = (int)d;
                goto fail;
            }
            at += (uint64_t)d * SEALFS_PAGE;
            continue;
        }
        if ((rc = page_get(f, pi, false, &p)) < 0)
            goto fail;
        iov_copy(iov, n, &vi, &vo, p->data + a, k, true);
        at += k;
    }
    return (int64_t)(end - off);
fail:
    iov_zero(iov, n, end - off);
    return rc;
}

/* Write-behind: a file written in order leaves runs of dirty pages that
 * nothing will change again soon. Once the SFS_RUN pages from i on are all
 * dirty they are handed to the pool's threads, which seal them under fresh
 * keys drawn here and write them copy-on-write into free slots, exactly as
 * an eviction would (sfs_spill), while the guest goes on filling the next
 * run; the next write-behind (or anything else that needs the pool, these
 * pages, or this file's slots: sfs_wb_reap) waits for it, working on what
 * is left itself. The commit at fsync/close then has only the index nodes,
 * the last partial run and the last run in flight left to seal, whatever
 * the size of the cache, and a cache that holds the whole file does not
 * turn fsync into one long serial encryption. Nothing becomes visible
 * before the commit. Best effort: a run that fails is dirty again, and the
 * commit (or an eviction) seals it once more and reports the error. */
static void write_behind(sealfs_file *f, uint64_t i)
{
    sealfs *fs = f->fs;
    sfs_page *pg[SFS_RUN];
    sfs_wb *w;
    unsigned k;

    sfs_wb_reap(fs);
    for (k = 0; k < SFS_RUN; k++)
        if (!(pg[k] = sfs_cache_find(&fs->cache, f, i + k, false)) ||
            !pg[k]->dirty)
            return;
    if (!fs->wb && !(fs->wb = calloc(1, sizeof *fs->wb)))
        return;
    w = fs->wb;
    if ((!w->blob && !(w->blob = malloc((size_t)SFS_RUN * SEALFS_BLOB))) ||
        open_node_file(f, true) < 0 ||
        fresh_batch(w->fresh, SFS_RUN) < 0)
        return;
    for (k = 0; k < SFS_RUN; k++) {
        int64_t slot = slot_alloc(f, SFS_SLOT_DATA);

        if (slot < 0) {
            while (k--)
                slot_release(f, w->ref[k].slot);
            OPENSSL_cleanse(w->fresh, sizeof w->fresh);
            return;
        }
        w->ref[k].slot = (uint32_t)slot;
        memcpy(w->ref[k].key, w->fresh + (size_t)k * SEALFS_FRESH, 32);
        w->o[k] = (sfs_open){.key = w->fresh + (size_t)k * SEALFS_FRESH,
                             .pt = pg[k]->data,
                             .index = i + k,
                             .level = 0,
                             .fd = f->hfd,
                             .off = (uint64_t)slot * SEALFS_BLOB,
                             .blob = w->blob + (size_t)k * SEALFS_BLOB};
    }
    for (k = 0; k < SFS_RUN; k++) {
        w->pg[k] = pg[k];
        pg[k]->dirty = false;
        pg[k]->busy = true;
    }
    w->f = f;
    w->first = i;
    sfs_pool_submit(pool_of(fs), fs->gcm, f->ent.id, w->o, SFS_RUN);
}

void sfs_wb_reap(sealfs *fs)
{
    sfs_wb *w = fs->wb;
    sealfs_file *f;
    uint64_t lo = UINT64_MAX, hi = 0;
    bool ok;

    if (!w || !w->f)
        return;
    f = w->f;
    ok = sfs_pool_wait(fs->pool, fs->gcm, w->o, SFS_RUN) == SFS_RUN;
    for (unsigned k = 0; k < SFS_RUN; k++) {
        uint64_t j = w->first + k;

        w->pg[k]->busy = false;
        if (!ok) {
            slot_release(f, w->ref[k].slot);
            w->pg[k]->dirty = true;
            continue;
        }
        if (f->pst[j] == SFS_PG_NEW)
            slot_release(f, f->cur[j].slot);
        f->cur[j] = w->ref[k];
        f->pst[j] = SFS_PG_NEW;
        lo = w->ref[k].slot < lo ? w->ref[k].slot : lo;
        hi = w->ref[k].slot + 1u > hi ? w->ref[k].slot + 1u : hi;
    }
    /* The device starts on the run now, while the guest writes the next:
     * the commit's fdatasync then waits for the tail only (as plain files
     * get from the kernel's own writeback, which starts later). */
    if (ok)
        (void)os_fs_writeback_start(f->hfd, lo * SEALFS_BLOB,
                                    (hi - lo) * SEALFS_BLOB);
    OPENSSL_cleanse(w->fresh, sizeof w->fresh);
    OPENSSL_cleanse(w->ref, sizeof w->ref);
    w->f = NULL;
}

int64_t sealfs_pwrite(sealfs_file *f, const os_iovec *iov, int n, uint64_t off)
{
    uint64_t len = 0, at;
    int vi = 0;
    size_t vo = 0;
    int rc = 0;

    if (f->fs->broken || !f->loaded)
        return -OS_EIO;
    for (int i = 0; i < n; i++)
        len += iov[i].len;
    if (len == 0)
        return 0;
    if (off > SEALFS_FILE_MAX || len > SEALFS_FILE_MAX - off)
        return -OS_EFBIG;
    if ((rc = pages_reserve(f, pages_of(off + len))) < 0)
        return rc;
    for (at = off; at < off + len;) {
        uint64_t pi = at / SEALFS_PAGE;
        size_t a = (size_t)(at % SEALFS_PAGE);
        size_t k = SEALFS_PAGE - a < off + len - at ? SEALFS_PAGE - a
                                                     : (size_t)(off + len - at);
        sfs_page *p;

        if ((rc = page_get(f, pi, k == SEALFS_PAGE, &p)) < 0)
            break;
        if (p->busy)   /* being sealed: the new bytes go in a new node */
            sfs_wb_reap(f->fs);
        iov_copy(iov, n, &vi, &vo, p->data + a, k, false);
        p->dirty = true;
        f->changed = true;
        at += k;
        /* The size follows each page, so that what is past it stays zero
         * whatever page fails next. */
        if (at > f->ent.size)
            f->ent.size = at;
        if (a + k == SEALFS_PAGE && (pi + 1) % SFS_RUN == 0)
            write_behind(f, pi + 1 - SFS_RUN);
    }
    if (at == off)
        return rc;
    f->ent.mtim = sfs_now_ns();
    return (int64_t)(at - off);
}

int sealfs_truncate(sealfs_file *f, uint64_t size)
{
    uint64_t np = pages_of(size), op = pages_of(f->ent.size);
    int rc;

    if (f->fs->broken || !f->loaded)
        return -OS_EIO;
    if (size == f->ent.size)
        return 0;
    sfs_wb_reap(f->fs);
    if (size > SEALFS_FILE_MAX)
        return -OS_EFBIG;
    if ((rc = pages_reserve(f, np)) < 0)
        return rc;
    if (size < f->ent.size) {
        if (size % SEALFS_PAGE) {
            size_t a = (size_t)(size % SEALFS_PAGE);
            sfs_page *p;

            if ((rc = page_get(f, size / SEALFS_PAGE, false, &p)) < 0)
                return rc;
            memset(p->data + a, 0, SEALFS_PAGE - a);
            p->dirty = true;
        }
        for (uint64_t i = np; i < op; i++) {
            if (f->pst[i] == SFS_PG_NEW)
                slot_release(f, f->cur[i].slot);
            f->pst[i] = SFS_PG_ZERO;
        }
        sfs_cache_drop(&f->fs->cache, f, np);
    }
    /* Growing: the pages past the old end are SFS_PG_ZERO already, and the
     * old last page is zero past the old end. */
    f->ent.size = size;
    f->ent.mtim = sfs_now_ns();
    f->changed = true;
    return 0;
}

void sfs_stat_of(const sealfs_entry *e, os_stat *out)
{
    memset(out, 0, sizeof *out);
    out->type = e->type;
    out->size = e->size;
    out->nlink = 1;
    for (int i = 0; i < 8; i++)
        out->ino = out->ino << 8 | e->id[i];
    out->atim = out->mtim = out->ctim = e->mtim;
}

int sealfs_fstat(sealfs_file *f, os_stat *out)
{
    if (f->fs->broken)
        return -OS_EIO;
    sfs_stat_of(&f->ent, out);
    return 0;
}

/* ---- Committing a file's tree ------------------------------------------------------ */

/* Seal what changed into free slots and build the new tree in nl/nn; the
 * committed tree is untouched. Data pages first: each dirty or all-zero
 * page becomes SFS_PG_NEW, as if it had been spilled, so that a commit that
 * fails later loses nothing. Then every index node with a changed child. */
int sfs_tree_prepare(sealfs_file *f)
{
    uint8_t levels = sealfs_levels(f->ent.size);
    uint8_t pt[SEALFS_PAGE], *dirty[SEALFS_MAX_LEVELS] = {0};
    uint64_t idx[SFS_RUN];
    const uint8_t *src[SFS_RUN];
    sfs_page *pg[SFS_RUN];
    unsigned k = 0;
    sealer w = {.f = f};
    int rc;

    sfs_wb_reap(f->fs);
    tree_free(f->nl, f->nn);
    f->nlevels = levels;
    if (levels == 0)
        return 0;
    if (levels > SEALFS_MAX_LEVELS)
        return -OS_EFBIG;
    if ((rc = open_node_file(f, true)) < 0)
        return rc;
    f->nn[0] = sealfs_level_count(f->ent.size, 0);
    for (uint64_t i = 0; i <= f->nn[0]; i++) {
        sfs_page *p = i < f->nn[0] ? sfs_cache_find(&f->fs->cache, f, i, false)
                                   : NULL;

        if (i < f->nn[0] && ((p && p->dirty) || f->pst[i] == SFS_PG_ZERO)) {
            idx[k] = i;
            src[k] = p ? p->data : zero_page;
            pg[k++] = p;
        }
        if (k == SFS_RUN || (k && i == f->nn[0])) {
            if ((rc = data_write(f, idx, src, k)) < 0)
                goto out;
            while (k--)
                if (pg[k])
                    pg[k]->dirty = false;
            k = 0;
        }
    }
    rc = -OS_ENOMEM;
    for (int l = 0; l < levels; l++) {
        f->nn[l] = sealfs_level_count(f->ent.size, (unsigned)l);
        if (!(f->nl[l] = calloc(f->nn[l], sizeof *f->nl[l])) ||
            !(dirty[l] = calloc(f->nn[l], 1)))
            goto out;
        for (uint64_t i = 0; i < f->nn[l]; i++) {
            bool old = i < f->nlv[l];

            if (l == 0) {
                f->nl[0][i] = *page_ref(f, i);
                dirty[0][i] = f->pst[i] == SFS_PG_NEW;
                continue;
            }
            if (old)
                f->nl[l][i] = f->lv[l][i];
            /* A node whose set of children changed is rewritten too. */
            uint64_t lo = i * SEALFS_FAN, hi = lo + SEALFS_FAN;
            uint64_t cn = f->nn[l - 1] < hi ? f->nn[l - 1] : hi;
            uint64_t co = f->nlv[l - 1] < hi ? f->nlv[l - 1] : hi;

            dirty[l][i] = !old || cn != co;
            for (uint64_t c = lo; c < cn && !dirty[l][i]; c++)
                dirty[l][i] = dirty[l - 1][c];
            if (!dirty[l][i])
                continue;
            memset(pt, 0, SEALFS_PAGE);
            for (uint64_t c = lo; c < cn; c++) {
                uint8_t *d = pt + (c - lo) * SEALFS_REF;

                for (int b = 0; b < 4; b++)
                    d[b] = (uint8_t)(f->nl[l - 1][c].slot >> (8 * b));
                memcpy(d + 4, f->nl[l - 1][c].key, 32);
            }
            if ((rc = sealer_put(&w, (unsigned)l, i, pt, SFS_SLOT_INDEX,
                                 &f->nl[l][i])) < 0)
                goto out;
            rc = -OS_ENOMEM;
        }
    }
    if ((rc = sealer_flush(&w)) == 0)
        rc = os_fs_fdatasync(f->hfd);
out:
    for (int l = 0; l < SEALFS_MAX_LEVELS; l++)
        free(dirty[l]);
    OPENSSL_cleanse(pt, sizeof pt);
    sealer_end(&w);
    return rc < 0 ? rc : 0;
}

/* The commit is durable: the new tree becomes the committed one and the
 * slots only the old tree used are free again. */
void sfs_tree_done(sealfs_file *f)
{
    uint64_t top = 0;

    tree_free(f->lv, f->nlv);
    memcpy(f->lv, f->nl, sizeof f->lv);
    memcpy(f->nlv, f->nn, sizeof f->nlv);
    memset(f->nl, 0, sizeof f->nl);
    memset(f->nn, 0, sizeof f->nn);
    f->ent.levels = f->nlevels;
    if (f->nlevels)
        f->ent.root = f->lv[f->nlevels - 1][0];
    else
        memset(&f->ent.root, 0, sizeof f->ent.root);
    if (f->nslots) {
        memset(f->used, 0, f->nslots);
        memset(f->pend, 0, f->nslots);
    }
    f->hint = 0;
    for (int l = 0; l < f->nlevels; l++)
        for (uint64_t i = 0; i < f->nlv[l]; i++) {
            f->used[f->lv[l][i].slot] = 1;
            if (f->lv[l][i].slot + 1u > top)
                top = f->lv[l][i].slot + 1u;
        }
    for (uint64_t i = 0; i < f->nlv[0]; i++)
        f->pst[i] = SFS_PG_OLD;
    if (f->hfd >= 0)
        os_fs_ftruncate(f->hfd, top * SEALFS_BLOB);
    f->changed = false;
}

void sfs_tree_abort(sealfs_file *f)
{
    tree_free(f->nl, f->nn);
    for (uint64_t s = 0; s < f->nslots; s++)
        if (f->pend[s] == SFS_SLOT_INDEX)
            slot_release(f, s);
}
