/* sealfs.c - a mounted sealed directory: files as trees of sealed nodes,
 * copy-on-write commits, the rollback check at mount.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: host files - files (load, read, write, truncate) - committing a
 * file's tree - committing the directory - mounting. The namespace (open,
 * close, mkdir, rename, ...) is in names.c.
 *
 * Invariants:
 *  - A file that is open holds its whole plaintext in memory (`chunk`, zero
 *    beyond `size` up to `cap`), verified node by node when it was first
 *    opened in this mount (closed files keep it within SEALFS_CACHE_MAX);
 *    reads never touch the host, so tampering after that cannot reach them.
 *  - Nodes are written only into slots the committed manifest does not
 *    reference (`used` is the committed set, `pend` this commit's), so until
 *    the new manifest is renamed into place the old tree is intact: a crash
 *    at any point opens the old or the new state (docs/sealfs.md).
 *  - After a commit fails half way the mount is `broken`: every operation
 *    is EIO, and the next mount rolls forward or back from what is on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sealfs/sealfs_int.h"
#include "tee/tee.h"

static void hex_id(const uint8_t id[SEALFS_ID], char out[2 * SEALFS_ID + 1])
{
    static const char h[] = "0123456789abcdef";

    for (int i = 0; i < SEALFS_ID; i++) {
        out[2 * i] = h[id[i] >> 4];
        out[2 * i + 1] = h[id[i] & 15];
    }
    out[2 * SEALFS_ID] = '\0';
}

static bool is_hex_name(const char *s, size_t n)
{
    if (n != 2 * SEALFS_ID)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

uint64_t sfs_now_ns(void)
{
    uint64_t t = 0;

    os_fs_clock_time(0, &t);
    return t;
}

/* ---- Host files ---------------------------------------------------------------- */

static int read_at(int dirfd, const char *name, uint8_t **out, size_t *out_n)
{
    os_stat st;
    uint8_t *buf;
    size_t got = 0;
    int fd = os_fs_openat(dirfd, name, OS_O_RDONLY | OS_O_NOFOLLOW, 0), r;

    if (fd < 0)
        return fd;
    if ((r = os_fs_fstat(fd, &st)) < 0 || st.type != OS_FT_REG ||
        st.size > TEE_SEAL_MAX) {
        os_fs_close(fd);
        return r < 0 ? r : -OS_EIO;
    }
    buf = malloc(st.size ? st.size : 1);
    if (!buf) {
        os_fs_close(fd);
        return -OS_ENOMEM;
    }
    while (got < st.size) {
        os_iovec iov = {buf + got, st.size - got};
        int64_t k = os_fs_preadv(fd, &iov, 1, got);

        if (k <= 0)
            break;
        got += (size_t)k;
    }
    os_fs_close(fd);
    *out = buf;
    *out_n = got;
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
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

/* Create or replace dirfd/name with data, durably (not atomically: the
 * names written this way are staging names). */
static int write_at(int dirfd, const char *name, const uint8_t *p, size_t n)
{
    int fd = os_fs_openat(dirfd, name, OS_O_WRONLY | OS_O_CREAT | OS_O_TRUNC |
                                            OS_O_NOFOLLOW, 0600);
    int r;

    if (fd < 0)
        return fd;
    r = write_all(fd, p, n, 0);
    if (r == 0)
        r = os_fs_fsync(fd);
    os_fs_close(fd);
    return r < 0 ? r : 0;
}

/* ---- Files --------------------------------------------------------------------- */

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

static size_t chunk_size(const sealfs_file *f, size_t i)
{
    return i == 0 && f->cap < SEALFS_CHUNK ? f->cap : SEALFS_CHUNK;
}

/* The plaintext at off (< cap); contiguous up to the chunk's end, and a
 * page never straddles chunks. */
static uint8_t *sfs_at(const sealfs_file *f, uint64_t off)
{
    return f->chunk[off / SEALFS_CHUNK] + off % SEALFS_CHUNK;
}

/* Bytes from off to the end of its chunk, at most len. */
static size_t run_len(uint64_t off, size_t len)
{
    size_t room = SEALFS_CHUNK - (size_t)(off % SEALFS_CHUNK);

    return len < room ? len : room;
}

static void plain_zero(sealfs_file *f, uint64_t off, size_t len)
{
    while (len) {
        size_t r = run_len(off, len);

        memset(sfs_at(f, off), 0, r);
        off += r;
        len -= r;
    }
}

void sfs_file_unload(sealfs_file *f)
{
    for (size_t i = 0; i < f->nchunk; i++) {
        OPENSSL_cleanse(f->chunk[i], chunk_size(f, i));
        free(f->chunk[i]);
    }
    free(f->chunk);
    free(f->dirty);
    free(f->used);
    free(f->pend);
    f->chunk = NULL;
    f->dirty = f->used = f->pend = NULL;
    f->cap = f->nchunk = 0;
    f->nslots = 0;
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

/* A closed file keeps its verified plaintext, as the kernel keeps a plain
 * file's pages, so that opening it again in this mount costs no reading and
 * no verifying: the plaintext is what this process verified or wrote, and
 * the committed tree on disk is the same. Closed files hold at most
 * SEALFS_CACHE_MAX bytes per mount (others are dropped, in namespace order),
 * and no host descriptor. */
void sfs_file_cache(sealfs_file *f)
{
    sealfs *fs = f->fs;
    uint64_t held = 0;

    if (f->hfd >= 0)
        os_fs_close(f->hfd);
    f->hfd = -1;
    if (f->cap > SEALFS_CACHE_MAX) {
        sfs_file_unload(f);
        return;
    }
    for (uint32_t i = 0; i < fs->n; i++) {
        sealfs_file *g = fs->ino[i];

        if (g != f && g->loaded && g->refs == 0 && !g->changed)
            held += g->cap;
    }
    for (uint32_t i = 0; i < fs->n && held + f->cap > SEALFS_CACHE_MAX; i++) {
        sealfs_file *g = fs->ino[i];

        if (g != f && g->loaded && g->refs == 0 && !g->changed) {
            held -= g->cap;
            sfs_file_unload(g);
        }
    }
}

/* Room for `size` bytes of plaintext (whole pages, zero-filled). Below
 * SEALFS_CHUNK, chunk 0 doubles (copied, the old copy wiped: realloc would
 * leave it behind); above, whole chunks are added and nothing moves. */
static int file_reserve(sealfs_file *f, uint64_t size)
{
    size_t want, cap, nch;
    uint8_t *dd, **ch = NULL, *c0 = NULL;

    if (size > SEALFS_FILE_MAX)
        return -OS_EFBIG;
    want = (size_t)((size + SEALFS_PAGE - 1) / SEALFS_PAGE) * SEALFS_PAGE;
    if (want <= f->cap)
        return 0;
    if (want < SEALFS_CHUNK) {
        cap = f->cap * 2 < SEALFS_CHUNK ? f->cap * 2 : SEALFS_CHUNK;
        cap = cap > want ? cap : want;
        nch = 1;
    } else {
        nch = (want + SEALFS_CHUNK - 1) / SEALFS_CHUNK;
        cap = nch * SEALFS_CHUNK;
    }
    if (!(dd = calloc(1, cap / SEALFS_PAGE)) ||
        !(ch = calloc(nch, sizeof *ch)))
        goto nomem;
    /* Chunk 0 moves only while it is short of SEALFS_CHUNK. */
    if (f->nchunk == 0 || f->cap < SEALFS_CHUNK) {
        if (!(c0 = calloc(1, nch == 1 ? cap : SEALFS_CHUNK)))
            goto nomem;
        ch[0] = c0;
    } else {
        ch[0] = f->chunk[0];
    }
    for (size_t i = 1; i < nch; i++) {
        if (i < f->nchunk)
            ch[i] = f->chunk[i];
        else if (!(ch[i] = calloc(1, SEALFS_CHUNK)))
            goto nomem;
    }
    if (f->nchunk) {
        memcpy(dd, f->dirty, f->cap / SEALFS_PAGE);
        if (c0) {
            memcpy(c0, f->chunk[0], f->cap);
            OPENSSL_cleanse(f->chunk[0], f->cap);
            free(f->chunk[0]);
        }
    }
    free(f->chunk);
    free(f->dirty);
    f->chunk = ch;
    f->nchunk = nch;
    f->dirty = dd;
    f->cap = cap;
    return 0;
nomem:
    if (ch)
        for (size_t i = f->nchunk ? f->nchunk : 1; i < nch; i++)
            free(ch[i]);
    free(c0);
    free(ch);
    free(dd);
    return -OS_ENOMEM;
}

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

static int open_node_file(sealfs_file *f, bool create)
{
    char name[2 * SEALFS_ID + 1];
    int fd;

    if (f->hfd >= 0)
        return 0;
    hex_id(f->ent.id, name);
    fd = os_fs_openat(f->fs->dirfd, name,
                      OS_O_RDWR | OS_O_NOFOLLOW | (create ? OS_O_CREAT : 0),
                      0600);
    if (fd < 0)
        return fd;
    f->hfd = fd;
    return 0;
}

/* Sealed nodes read with one call when they sit in consecutive slots. */
#define LOAD_WINDOW 64u

/* n bytes at off, all of them (EIO at the end of the file). */
static int read_full(int fd, uint8_t *p, size_t n, uint64_t off)
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

/* Read and verify the whole tree into memory, a run of nodes at a time. */
int sfs_file_load(sealfs_file *f)
{
    const sealfs_entry *e = &f->ent;
    uint8_t *raw = NULL, *pt = NULL;   /* raw: LOAD_WINDOW sealed nodes */
    uint64_t nraw = 0, wfirst = 0, wn = 0;   /* raw holds slots wfirst.. */
    int rc;

    if (f->loaded)
        return 0;
    f->hfd = -1;
    if (e->levels == 0) {
        if ((rc = file_reserve(f, e->size)) < 0)
            return rc;
        f->loaded = true;
        return 0;
    }
    if ((rc = open_node_file(f, false)) < 0) {
        rc = rc == -OS_ENOENT ? -OS_EIO : rc;   /* a file deleted on the host */
        goto fail;
    }
    {
        os_stat st;

        if ((rc = os_fs_fstat(f->hfd, &st)) < 0)
            goto fail;
        nraw = st.size / SEALFS_BLOB;
        if (nraw > (uint64_t)UINT32_MAX ||
            !(raw = malloc((size_t)LOAD_WINDOW * SEALFS_BLOB))) {
            rc = -OS_ENOMEM;
            goto fail;
        }
    }
    if ((rc = slots_reserve(f, nraw)) < 0 || !(pt = malloc(SEALFS_PAGE))) {
        rc = rc < 0 ? rc : -OS_ENOMEM;
        goto fail;
    }
    for (int l = 0; l < e->levels; l++) {
        f->nlv[l] = sealfs_level_count(e->size, (unsigned)l);
        if (!(f->lv[l] = calloc(f->nlv[l], sizeof *f->lv[l]))) {
            rc = -OS_ENOMEM;
            goto fail;
        }
    }
    f->lv[e->levels - 1][0] = e->root;
    rc = -OS_EIO;
    for (int l = e->levels - 1; l >= 0; l--) {
        /* The plaintext buffer only once every index node verified. */
        if (l == 0 && (rc = file_reserve(f, e->size)) < 0)
            goto fail;
        rc = -OS_EIO;
        for (uint64_t i = 0; i < f->nlv[l]; i++) {
            const sealfs_ref *ref = &f->lv[l][i];
            uint8_t *dst = l == 0 ? sfs_at(f, i * SEALFS_PAGE) : pt;

            /* Each slot belongs to one node: a reference to a slot seen
             * before, or beyond the file, is tampering. */
            if (ref->slot >= nraw || f->used[ref->slot])
                goto fail;
            f->used[ref->slot] = 1;
            if (ref->slot < wfirst || ref->slot >= wfirst + wn) {
                /* The run of this level's next nodes in consecutive slots
                 * (a file written in order: LOAD_WINDOW at a time). */
                unsigned k = 1;

                while (k < LOAD_WINDOW && i + k < f->nlv[l] &&
                       f->lv[l][i + k].slot == (uint64_t)ref->slot + k &&
                       (uint64_t)ref->slot + k < nraw)
                    k++;
                if (read_full(f->hfd, raw, (size_t)k * SEALFS_BLOB,
                              (uint64_t)ref->slot * SEALFS_BLOB) < 0)
                    goto fail;
                wfirst = ref->slot;
                wn = k;
            }
            if (sealfs_node_open(f->fs->gcm, ref->key, e->id, (unsigned)l, i,
                                 raw + (size_t)(ref->slot - wfirst) *
                                           SEALFS_BLOB,
                                 dst) < 0)
                goto fail;
            if (l == 0)
                continue;
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
    /* Bytes past the end stay zero for a later extension. */
    plain_zero(f, e->size, f->cap - e->size);
    rc = 0;
    f->loaded = true;
fail:
    if (pt)
        OPENSSL_cleanse(pt, SEALFS_PAGE);
    free(pt);
    free(raw);
    if (rc < 0)
        sfs_file_unload(f);
    return rc;
}

static void mark_dirty(sealfs_file *f, uint64_t off, uint64_t len)
{
    if (len == 0)
        return;
    for (uint64_t p = off / SEALFS_PAGE; p <= (off + len - 1) / SEALFS_PAGE;
         p++)
        f->dirty[p] = 1;
}

int64_t sealfs_pread(sealfs_file *f, const os_iovec *iov, int n, uint64_t off)
{
    int64_t total = 0;

    if (f->fs->broken || !f->loaded)
        return -OS_EIO;
    for (int i = 0; i < n && off < f->ent.size; i++) {
        size_t k = iov[i].len;

        if (k > f->ent.size - off)
            k = (size_t)(f->ent.size - off);
        for (size_t done = 0; done < k;) {
            size_t r = run_len(off + done, k - done);

            memcpy((uint8_t *)iov[i].base + done, sfs_at(f, off + done), r);
            done += r;
        }
        off += k;
        total += (int64_t)k;
    }
    return total;
}

int64_t sealfs_pwrite(sealfs_file *f, const os_iovec *iov, int n, uint64_t off)
{
    uint64_t len = 0;
    int64_t total = 0;
    int rc;

    if (f->fs->broken || !f->loaded)
        return -OS_EIO;
    for (int i = 0; i < n; i++)
        len += iov[i].len;
    if (len == 0)
        return 0;
    if (off > SEALFS_FILE_MAX || len > SEALFS_FILE_MAX - off)
        return -OS_EFBIG;
    if ((rc = file_reserve(f, off + len)) < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        for (size_t done = 0; done < iov[i].len;) {
            uint64_t at = off + (uint64_t)total + done;
            size_t r = run_len(at, iov[i].len - done);

            memcpy(sfs_at(f, at), (const uint8_t *)iov[i].base + done, r);
            done += r;
        }
        total += (int64_t)iov[i].len;
    }
    mark_dirty(f, off, len);
    if (off + len > f->ent.size)
        f->ent.size = off + len;
    f->ent.mtim = sfs_now_ns();
    f->changed = true;
    return total;
}

int sealfs_truncate(sealfs_file *f, uint64_t size)
{
    int rc;

    if (f->fs->broken || !f->loaded)
        return -OS_EIO;
    if (size == f->ent.size)
        return 0;
    if ((rc = file_reserve(f, size)) < 0)
        return rc;
    if (size < f->ent.size) {
        plain_zero(f, size, (size_t)(f->ent.size - size));
        if (size % SEALFS_PAGE)
            f->dirty[size / SEALFS_PAGE] = 1;
    } else {
        mark_dirty(f, f->ent.size, size - f->ent.size);
    }
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

static int64_t slot_alloc(sealfs_file *f, uint64_t *hint)
{
    uint64_t s = *hint;

    for (;; s++) {
        if (s >= f->nslots && slots_reserve(f, s + 1) < 0)
            return -OS_ENOMEM;
        if (!f->used[s] && !f->pend[s])
            break;
    }
    if (s > UINT32_MAX)
        return -OS_EFBIG;
    f->pend[s] = 1;
    *hint = s + 1;
    return (int64_t)s;
}

/* Sealed nodes bound for consecutive slots, written with one call. */
#define BATCH 64
typedef struct batch {
    uint8_t *buf;        /* BATCH * SEALFS_BLOB */
    uint64_t first;      /* slot of buf's first node */
    unsigned n;
} batch;

static int batch_flush(sealfs_file *f, batch *b)
{
    int rc = b->n ? write_all(f->hfd, b->buf, (size_t)b->n * SEALFS_BLOB,
                              b->first * SEALFS_BLOB)
                  : 0;

    b->n = 0;
    return rc;
}

/* Room for the node bound for `slot`, flushing what cannot join it. */
static int batch_slot(sealfs_file *f, batch *b, uint64_t slot,
                      uint8_t **out)
{
    int rc;

    if (b->n && (b->n == BATCH || slot != b->first + b->n) &&
        (rc = batch_flush(f, b)) < 0)
        return rc;
    if (b->n == 0)
        b->first = slot;
    *out = b->buf + (size_t)b->n++ * SEALFS_BLOB;
    return 0;
}

/* Write the nodes that changed into free slots and build the new tree in
 * nl/nn; the committed tree is untouched. */
static int tree_prepare(sealfs_file *f)
{
    uint8_t levels = sealfs_levels(f->ent.size);
    uint8_t *pt = NULL, *blob, *dirty[SEALFS_MAX_LEVELS] = {0};
    /* Fresh keys and nonces, drawn from the CSPRNG BATCH at a time: one
     * call per node costs as much as sealing it. */
    uint8_t fresh[BATCH * SEALFS_FRESH];
    unsigned nfresh = 0;
    batch b = {0};
    uint64_t hint = 0;
    int rc = -OS_ENOMEM;

    tree_free(f->nl, f->nn);
    f->nlevels = levels;
    if (levels == 0)
        return 0;
    if (levels > SEALFS_MAX_LEVELS)
        return -OS_EFBIG;
    if ((rc = open_node_file(f, true)) < 0)
        return rc;
    rc = -OS_ENOMEM;
    if (!(pt = malloc(SEALFS_PAGE)) || !(b.buf = malloc(BATCH * SEALFS_BLOB)))
        goto out;
    for (int l = 0; l < levels; l++) {
        f->nn[l] = sealfs_level_count(f->ent.size, (unsigned)l);
        if (!(f->nl[l] = calloc(f->nn[l], sizeof *f->nl[l])) ||
            !(dirty[l] = calloc(f->nn[l], 1)))
            goto out;
        for (uint64_t i = 0; i < f->nn[l]; i++) {
            bool old = l < SEALFS_MAX_LEVELS && i < f->nlv[l];

            if (old)
                f->nl[l][i] = f->lv[l][i];
            if (l == 0) {
                dirty[l][i] = !old || f->dirty[i];
            } else {
                /* A node whose set of children changed is rewritten too. */
                uint64_t lo = i * SEALFS_FAN, hi = lo + SEALFS_FAN;
                uint64_t cn = f->nn[l - 1] < hi ? f->nn[l - 1] : hi;
                uint64_t co = f->nlv[l - 1] < hi ? f->nlv[l - 1] : hi;

                dirty[l][i] = !old || cn != co;
                for (uint64_t c = lo; c < cn && !dirty[l][i]; c++)
                    dirty[l][i] = dirty[l - 1][c];
            }
        }
    }
    for (int l = 0; l < levels; l++) {
        for (uint64_t i = 0; i < f->nn[l]; i++) {
            const uint8_t *src = pt;
            uint8_t *key;
            int64_t slot;

            if (!dirty[l][i])
                continue;
            if (l == 0) {
                src = sfs_at(f, i * SEALFS_PAGE);
            } else {
                memset(pt, 0, SEALFS_PAGE);
                for (uint64_t j = 0; j < SEALFS_FAN; j++) {
                    uint64_t c = i * SEALFS_FAN + j;
                    uint8_t *d = pt + j * SEALFS_REF;

                    if (c >= f->nn[l - 1])
                        break;
                    for (int k = 0; k < 4; k++)
                        d[k] = (uint8_t)(f->nl[l - 1][c].slot >> (8 * k));
                    memcpy(d + 4, f->nl[l - 1][c].key, 32);
                }
            }
            if ((slot = slot_alloc(f, &hint)) < 0) {
                rc = (int)slot;
                goto out;
            }
            f->nl[l][i].slot = (uint32_t)slot;
            if (nfresh == 0) {
                if (RAND_bytes(fresh, sizeof fresh) != 1) {
                    rc = -OS_EIO;
                    goto out;
                }
                nfresh = BATCH;
            }
            key = fresh + (size_t)--nfresh * SEALFS_FRESH;
            memcpy(f->nl[l][i].key, key, 32);
            if ((rc = batch_slot(f, &b, (uint64_t)slot, &blob)) < 0 ||
                (rc = sealfs_node_seal(f->fs->gcm, f->ent.id, (unsigned)l, i,
                                       src, key,
                                       blob)) < 0)
                goto out;
            OPENSSL_cleanse(key, SEALFS_FRESH);   /* used once */
        }
    }
    if ((rc = batch_flush(f, &b)) == 0)
        rc = os_fs_fdatasync(f->hfd);
out:
    for (int l = 0; l < SEALFS_MAX_LEVELS; l++)
        free(dirty[l]);
    if (pt)
        OPENSSL_cleanse(pt, SEALFS_PAGE);
    OPENSSL_cleanse(fresh, sizeof fresh);
    free(pt);
    free(b.buf);
    return rc < 0 ? rc : 0;
}

/* The commit is durable: the new tree becomes the committed one and the
 * slots only the old tree used are free again. */
static void tree_done(sealfs_file *f)
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
    for (int l = 0; l < f->nlevels; l++)
        for (uint64_t i = 0; i < f->nlv[l]; i++) {
            f->used[f->lv[l][i].slot] = 1;
            if (f->lv[l][i].slot + 1u > top)
                top = f->lv[l][i].slot + 1u;
        }
    if (f->dirty)
        memset(f->dirty, 0, f->cap / SEALFS_PAGE);
    if (f->hfd >= 0)
        os_fs_ftruncate(f->hfd, top * SEALFS_BLOB);
    f->changed = false;
}

static void tree_abort(sealfs_file *f)
{
    tree_free(f->nl, f->nn);
    if (f->nslots)
        memset(f->pend, 0, f->nslots);
}

/* ---- Committing the directory --------------------------------------------------------- */

static int table_path_read(const char *dir, const char *name,
                           const uint8_t key[32], sealfs_table *out,
                           bool *present)
{
    uint8_t *blob = NULL;
    size_t n = 0;
    int r = tee_state_read(dir, name, &blob, &n, NULL);

    memset(out, 0, sizeof *out);
    *present = r != -OS_ENOENT;
    if (r == -OS_ENOENT)
        return -OS_ENOENT;
    if (r != MANTLE_OK)
        return -OS_EIO;
    r = sealfs_table_open(key, blob, n, out);
    free(blob);
    return r;
}

/* The version table that matches the counter, rolling a staged one forward
 * (a commit that stopped between the increment and the rename). */
static int table_load(sealfs *fs, uint64_t counter, sealfs_table *out,
                      char *err, size_t err_size)
{
    sealfs_table cur, next;
    bool pc, pn;
    int rc = table_path_read(fs->state_dir, SEALFS_TABLE_NAME, fs->keys.table,
                             &cur, &pc);
    int rn = table_path_read(fs->state_dir, SEALFS_TABLE_NEXT, fs->keys.table,
                             &next, &pn);
    char a[4096], b[4096];

    snprintf(a, sizeof a, "%s/%s", fs->state_dir, SEALFS_TABLE_NEXT);
    snprintf(b, sizeof b, "%s/%s", fs->state_dir, SEALFS_TABLE_NAME);
    if (rn == 0 && next.counter == counter) {
        sealfs_table_free(&cur);
        if (os_fs_renameat(OS_FD_CWD, a, OS_FD_CWD, b) < 0) {
            sealfs_table_free(&next);
            snprintf(err, err_size, "cannot roll the version table forward");
            return -OS_EIO;
        }
        *out = next;
        return 0;
    }
    sealfs_table_free(&next);
    if (pn)
        os_fs_unlinkat(OS_FD_CWD, a, false);
    if (rc == 0 && cur.counter == counter) {
        *out = cur;
        return 0;
    }
    if (!pc) {
        memset(out, 0, sizeof *out);
        out->counter = counter;
        return 0;
    }
    if (rc == 0)
        snprintf(err, err_size, "the version table in %s is stale (counter "
                 "%llu, the backend's is %llu): the state was rolled back",
                 fs->state_dir, (unsigned long long)cur.counter,
                 (unsigned long long)counter);
    else
        snprintf(err, err_size, "the version table in %s fails "
                 "authentication", fs->state_dir);
    sealfs_table_free(&cur);
    return -OS_EIO;
}

/* The version table is shared by every sealed directory on the node, and
 * perhaps by several processes: reading it, moving the counter and
 * replacing it happen under this lock. A descriptor, or a negative OS_E*. */
static int table_lock(const sealfs *fs)
{
    char path[4096];
    int fd, r;

    if (snprintf(path, sizeof path, "%s/%s", fs->state_dir,
                 SEALFS_TABLE_NAME ".lock") >= (int)sizeof path)
        return -OS_ENAMETOOLONG;
    fd = os_fs_openat(OS_FD_CWD, path, OS_O_RDWR | OS_O_CREAT | OS_O_NOFOLLOW,
                      0600);
    if (fd < 0)
        return fd;
    if ((r = os_fs_lock(fd, true)) < 0) {
        os_fs_close(fd);
        return r;
    }
    return fd;
}

static struct sealfs_table_row *table_find(sealfs_table *t,
                                           const uint8_t id[SEALFS_ID])
{
    for (uint32_t i = 0; i < t->n; i++)
        if (memcmp(t->rows[i].dir_id, id, SEALFS_ID) == 0)
            return &t->rows[i];
    return NULL;
}

static int manifest_build(sealfs *fs, uint64_t version, sealfs_manifest *m)
{
    memcpy(m->dir_id, fs->dir_id, SEALFS_ID);
    m->version = version;
    m->n = fs->n;
    m->e = calloc(fs->n ? fs->n : 1, sizeof *m->e);
    if (!m->e)
        return -OS_ENOMEM;
    for (uint32_t i = 0; i < fs->n; i++) {
        sealfs_file *f = fs->ino[i];

        m->e[i] = f->ent;    /* borrowed path; not freed */
        if (f->ent.type == OS_FT_REG && f->changed) {
            m->e[i].levels = f->nlevels;
            if (f->nlevels)
                m->e[i].root = f->nl[f->nlevels - 1][0];
            else
                memset(&m->e[i].root, 0, sizeof m->e[i].root);
        }
    }
    return 0;
}

static void fsync_dir(int dirfd)
{
    os_fs_fsync(dirfd);
}

/* The protocol (docs/sealfs.md): nodes, staged manifest, staged table,
 * counter increment, table rename, manifest rename. A crash before the
 * increment opens the old state; after it, the next mount rolls forward. */
int sealfs_commit(sealfs *fs)
{
    sealfs_manifest m = {0};
    sealfs_table t = {0};
    struct sealfs_table_row *row;
    uint8_t *blob = NULL;
    size_t n = 0;
    uint64_t c, c2;
    char err[256], a[4096], b[4096];
    bool any = fs->dirty;
    int rc, lock = -1;

    if (fs->broken)
        return -OS_EIO;
    for (uint32_t i = 0; i < fs->n && !any; i++)
        any = fs->ino[i]->changed;
    if (!any)
        return 0;
    for (uint32_t i = 0; i < fs->n; i++) {
        sealfs_file *f = fs->ino[i];

        if (f->ent.type == OS_FT_REG && f->changed &&
            (rc = tree_prepare(f)) < 0)
            goto abort;
    }
    if ((rc = manifest_build(fs, fs->version + 1, &m)) < 0 ||
        (rc = sealfs_manifest_seal(fs->keys.dir, &m, &blob, &n)) < 0 ||
        (rc = write_at(fs->dirfd, SEALFS_NEXT_NAME, blob, n)) < 0)
        goto abort;
    fsync_dir(fs->dirfd);
    free(blob);
    blob = NULL;
    if ((lock = table_lock(fs)) < 0) {
        rc = lock;
        goto abort;
    }
    if ((rc = fs->anchor.counter(fs->anchor.ctx, false, &c)) < 0 ||
        (rc = table_load(fs, c, &t, err, sizeof err)) < 0)
        goto abort;
    if (!(row = table_find(&t, fs->dir_id))) {
        struct sealfs_table_row *nr = realloc(t.rows, (t.n + 1) * sizeof *nr);

        if (!nr) {
            rc = -OS_ENOMEM;
            goto abort;
        }
        t.rows = nr;
        row = &t.rows[t.n++];
        memcpy(row->dir_id, fs->dir_id, SEALFS_ID);
    }
    row->version = fs->version + 1;
    t.counter = c + 1;
    if ((rc = sealfs_table_seal(fs->keys.table, &t, &blob, &n)) < 0)
        goto abort;
    if (tee_state_write(fs->state_dir, SEALFS_TABLE_NEXT, blob, n, NULL) !=
        MANTLE_OK) {
        rc = -OS_EIO;
        goto abort;
    }
    /* From here on the disk may hold the new state: no way back. */
    rc = fs->anchor.counter(fs->anchor.ctx, true, &c2);
    if (rc < 0 || c2 != c + 1)
        goto broken;
    snprintf(a, sizeof a, "%s/%s", fs->state_dir, SEALFS_TABLE_NEXT);
    snprintf(b, sizeof b, "%s/%s", fs->state_dir, SEALFS_TABLE_NAME);
    /* Neither rename needs to be durable before the other or before we
     * return: the staged files are, and a mount that finds them next to a
     * counter that moved rolls forward. */
    if (os_fs_renameat(OS_FD_CWD, a, OS_FD_CWD, b) < 0 ||
        os_fs_renameat(fs->dirfd, SEALFS_NEXT_NAME, fs->dirfd,
                       SEALFS_ROOT_NAME) < 0)
        goto broken;
    fs->version++;
    fs->dirty = false;
    for (uint32_t i = 0; i < fs->n; i++)
        if (fs->ino[i]->ent.type == OS_FT_REG && fs->ino[i]->changed)
            tree_done(fs->ino[i]);
    for (uint32_t i = 0; i < fs->ngarbage; i++) {
        char name[2 * SEALFS_ID + 1];

        hex_id(fs->garbage[i], name);
        os_fs_unlinkat(fs->dirfd, name, false);
    }
    fs->ngarbage = 0;
    rc = 0;
    goto out;
broken:
    fs->broken = true;
    rc = -OS_EIO;
    goto out;
abort:
    for (uint32_t i = 0; i < fs->n; i++)
        tree_abort(fs->ino[i]);
out:
    if (lock >= 0)
        os_fs_close(lock);
    free(m.e);   /* paths were borrowed */
    free(blob);
    sealfs_table_free(&t);
    return rc;
}

/* ---- Mounting ---------------------------------------------------------------------------- */

int sfs_ino_add(sealfs *fs, sealfs_file *f)
{
    if (fs->n == fs->cap) {
        uint32_t nc = fs->cap ? fs->cap * 2 : 16;
        sealfs_file **n = realloc(fs->ino, nc * sizeof *n);

        if (!n)
            return -OS_ENOMEM;
        fs->ino = n;
        fs->cap = nc;
    }
    fs->ino[fs->n++] = f;
    return 0;
}

static int manifest_read(sealfs *fs, const char *name, sealfs_manifest *m,
                         bool *present)
{
    uint8_t *blob;
    size_t n;
    int r = read_at(fs->dirfd, name, &blob, &n);

    *present = r != -OS_ENOENT;
    if (r < 0)
        return r;
    r = sealfs_manifest_open(fs->keys.dir, blob, n, m);
    free(blob);
    return r;
}

/* Remove node files no manifest entry names (a crashed commit's new files)
 * and the staged manifest. Other host files are left alone. */
static void collect_garbage(sealfs *fs)
{
    os_dirbuf b;
    os_dirent d;
    char (*dead)[2 * SEALFS_ID + 1] = NULL;
    size_t ndead = 0;

    if (os_fs_dir_rewind(fs->dirfd, &b) < 0)
        return;
    while (os_fs_dir_next(fs->dirfd, &b, &d) > 0) {
        char name[2 * SEALFS_ID + 1];
        bool live = false;

        if (!is_hex_name(d.name, d.namelen))
            continue;
        for (uint32_t i = 0; i < fs->n && !live; i++) {
            hex_id(fs->ino[i]->ent.id, name);
            live = memcmp(name, d.name, d.namelen) == 0;
        }
        if (!live) {
            void *nd = realloc(dead, (ndead + 1) * sizeof *dead);

            if (!nd)
                break;
            dead = nd;
            memcpy(dead[ndead], d.name, d.namelen);
            dead[ndead++][2 * SEALFS_ID] = '\0';
        }
    }
    for (size_t i = 0; i < ndead; i++)
        os_fs_unlinkat(fs->dirfd, dead[i], false);
    free(dead);
}

static bool dir_has_nodes(int dirfd)
{
    os_dirbuf b;
    os_dirent d;

    if (os_fs_dir_rewind(dirfd, &b) < 0)
        return true;
    while (os_fs_dir_next(dirfd, &b, &d) > 0)
        if (is_hex_name(d.name, d.namelen))
            return true;
    return false;
}

int sealfs_mount(int host_dirfd, const sealfs_keys *keys, const char *state_dir,
                 const sealfs_anchor *anchor, sealfs **out, char *err,
                 size_t err_size)
{
    sealfs *fs = calloc(1, sizeof *fs);
    sealfs_manifest root = {0}, next = {0}, *use = NULL;
    sealfs_table t = {0};
    struct sealfs_table_row *row;
    bool proot, pnext;
    int rr, rn, rc, lock = -1;
    uint64_t c;

    *out = NULL;
    snprintf(err, err_size, "out of memory");
    if (!fs || !(fs->state_dir = strdup(state_dir))) {
        free(fs);
        os_fs_close(host_dirfd);
        return -OS_ENOMEM;
    }
    fs->dirfd = host_dirfd;
    fs->keys = *keys;
    fs->anchor = *anchor;
    fs->gcm = tee_gcm_new();   /* NULL only costs speed */
    if (anchor->version < 1 || !anchor->counter) {
        rc = -OS_EINVAL;
        snprintf(err, err_size, "bad rollback anchor");
        goto fail;
    }
    if ((lock = table_lock(fs)) < 0) {
        rc = lock;
        snprintf(err, err_size, "cannot lock the version table in %s",
                 state_dir);
        goto fail;
    }
    if ((rc = anchor->counter(anchor->ctx, false, &c)) < 0) {
        if (rc == -OS_ESTALE)
            snprintf(err, err_size, "the counter table in %s is stale or "
                     "forged against the monotonic counter (rolled back?)",
                     state_dir);
        else
            snprintf(err, err_size, "cannot read the monotonic counter");
        goto fail;
    }
    if ((rc = table_load(fs, c, &t, err, err_size)) < 0)
        goto fail;
    rr = manifest_read(fs, SEALFS_ROOT_NAME, &root, &proot);
    rn = manifest_read(fs, SEALFS_NEXT_NAME, &next, &pnext);
    rc = -OS_EIO;
    /* Only a staged manifest, of a directory the table does not know: the
     * commit that was creating the directory stopped before the counter
     * moved (nothing was ever committed), so it starts again empty. A
     * registered directory cannot be reset this way: its row stays. */
    if (!proot && pnext && (rn < 0 || !table_find(&t, next.dir_id))) {
        os_fs_unlinkat(fs->dirfd, SEALFS_NEXT_NAME, false);
        if (rn == 0)
            collect_garbage(fs);   /* a torn one proves nothing: see below */
        pnext = false;
    }
    if (!proot && !pnext) {
        if (dir_has_nodes(fs->dirfd)) {
            snprintf(err, err_size, "the manifest is missing but sealed "
                     "files are present");
            goto fail;
        }
        if (RAND_bytes(fs->dir_id, SEALFS_ID) != 1)
            goto fail;
        fs->dirty = true;    /* registered by the commit below */
    } else {
        /* A staged manifest that fails to open was torn by a crash before
         * the counter moved; it is ignored. The committed one must open. */
        if (rr < 0 && proot) {
            snprintf(err, err_size, "%s fails authentication (tampered, or "
                     "not sealed by this module and configuration)",
                     SEALFS_ROOT_NAME);
            goto fail;
        }
        row = table_find(&t, rr == 0 ? root.dir_id : next.dir_id);
        if (!row) {
            snprintf(err, err_size, "the directory is not in the version "
                     "table (restored from elsewhere, or the table was lost)");
            goto fail;
        }
        if (rr == 0 && root.version == row->version) {
            use = &root;
            if (pnext)
                os_fs_unlinkat(fs->dirfd, SEALFS_NEXT_NAME, false);
        } else if (rn == 0 && next.version == row->version &&
                   (rr != 0 ||
                    memcmp(root.dir_id, next.dir_id, SEALFS_ID) == 0)) {
            if (os_fs_renameat(fs->dirfd, SEALFS_NEXT_NAME, fs->dirfd,
                               SEALFS_ROOT_NAME) < 0)
                goto fail;
            fsync_dir(fs->dirfd);
            use = &next;
        } else {
            snprintf(err, err_size, "rollback detected: the manifest has "
                     "version %llu, the version table says %llu",
                     (unsigned long long)(rr == 0 ? root.version : 0),
                     (unsigned long long)row->version);
            goto fail;
        }
        memcpy(fs->dir_id, use->dir_id, SEALFS_ID);
        fs->version = use->version;
        for (uint32_t i = 0; i < use->n; i++) {
            sealfs_file *f = calloc(1, sizeof *f);

            if (!f || (rc = sfs_ino_add(fs, f)) < 0) {
                free(f);
                rc = -OS_ENOMEM;
                goto fail;
            }
            f->fs = fs;
            f->hfd = -1;
            f->ent = use->e[i];
            use->e[i].path = NULL;   /* moved */
        }
        collect_garbage(fs);
    }
    os_fs_close(lock);   /* the commit takes it again */
    lock = -1;
    if ((rc = sealfs_commit(fs)) < 0) {
        snprintf(err, err_size, "cannot write the new directory's manifest");
        goto fail;
    }
    sealfs_manifest_free(&root);
    sealfs_manifest_free(&next);
    sealfs_table_free(&t);
    *out = fs;
    err[0] = '\0';
    return 0;
fail:
    if (lock >= 0)
        os_fs_close(lock);
    sealfs_manifest_free(&root);
    sealfs_manifest_free(&next);
    sealfs_table_free(&t);
    for (uint32_t i = 0; i < fs->n; i++)
        sfs_file_free(fs->ino[i]);
    free(fs->ino);
    free(fs->garbage);
    free(fs->state_dir);
    tee_gcm_free(fs->gcm);
    os_fs_close(fs->dirfd);
    OPENSSL_cleanse(fs, sizeof *fs);
    free(fs);
    return rc < 0 ? rc : -OS_EIO;
}

void sealfs_unmount(sealfs *fs)
{
    if (!fs)
        return;
    sealfs_commit(fs);
    for (uint32_t i = 0; i < fs->n; i++)
        sfs_file_free(fs->ino[i]);
    free(fs->ino);
    free(fs->garbage);
    free(fs->state_dir);
    tee_gcm_free(fs->gcm);
    os_fs_close(fs->dirfd);
    OPENSSL_cleanse(fs, sizeof *fs);
    free(fs);
}
