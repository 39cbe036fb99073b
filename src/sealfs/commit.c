/* commit.c - committing a mounted sealed directory (manifest, version table,
 * counter) and mounting one (the rollback check, the earlier layout,
 * garbage).
 * SPDX-License-Identifier: Apache-2.0
 *
 * The commit protocol and why it is crash-safe are in docs/sealfs.md
 * ("Commits and crash consistency"); a file's own tree is committed by
 * sfs_tree_prepare/done/abort (sealfs.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sealfs/sealfs_int.h"
#include "tee/tee.h"

/* ---- Host files ---------------------------------------------------------------- */

static bool is_hex_name(const char *s, size_t n)
{
    if (n != 2 * SEALFS_ID)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

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

/* Write a slot, durably: a new one is created whole under a temporary name
 * and renamed (so a slot that exists was once complete), an existing one is
 * rewritten in place (it is the slot no committed state refers to:
 * docs/sealfs.md). *created: the name is new, its directory needs an fsync
 * before the commit point. */
static int write_slot(int dirfd, const char *name, const uint8_t *p, size_t n,
                      bool *created)
{
    char tmp[64];
    int fd = os_fs_openat(dirfd, name, OS_O_WRONLY | OS_O_NOFOLLOW, 0), r;

    *created = fd == -OS_ENOENT;
    if (*created) {
        snprintf(tmp, sizeof tmp, "%s.tmp", name);
        fd = os_fs_openat(dirfd, tmp, OS_O_WRONLY | OS_O_CREAT | OS_O_TRUNC |
                                          OS_O_NOFOLLOW, 0600);
    }
    if (fd < 0)
        return fd;
    r = sfs_write_all(fd, p, n, 0);
    if (r == 0 && !*created)
        r = os_fs_ftruncate(fd, n);
    if (r == 0)
        r = os_fs_fdatasync(fd);
    os_fs_close(fd);
    if (r == 0 && *created)
        r = os_fs_renameat(dirfd, tmp, dirfd, name);
    return r < 0 ? r : 0;
}

static const char *const manifest_slot[2] = {SEALFS_MANIFEST_0,
                                             SEALFS_MANIFEST_1};
static const char *const table_slot[2] = {SEALFS_TABLE_0, SEALFS_TABLE_1};
/* The layout before the two slots: one file each, and a staged successor
 * renamed over it (the staged one is current when the table says so). It
 * is read until the first commit writes the slots, then removed. */
static const char *const legacy_manifest[2] = {"sealfs.root", "sealfs.next"};
static const char *const legacy_table[2] = {"sealfs-versions",
                                            "sealfs-versions.next"};

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

/* The version table that matches the counter: the one in slot counter % 2
 * (a commit writes the other, then moves the counter). */
static int table_load(sealfs *fs, uint64_t counter, sealfs_table *out,
                      char *err, size_t err_size)
{
    sealfs_table t[2];
    bool p[2];
    int r[2];
    unsigned s = (unsigned)(counter % 2);

    fs->legacy_table = false;
    for (int k = 0; k < 2; k++)
        r[k] = table_path_read(fs->state_dir, table_slot[k], fs->keys.table,
                               &t[k], &p[k]);
    sealfs_table_free(&t[1 - s]);
    if (r[s] == 0 && t[s].counter == counter) {
        *out = t[s];
        return 0;
    }
    for (int k = 0; k < 2; k++) {
        sealfs_table lt;
        bool lp;

        /* Legacy tables hold counters up to the first commit in slots,
         * which moves the counter past them: only then can one match. */
        if (table_path_read(fs->state_dir, legacy_table[k], fs->keys.table,
                            &lt, &lp) == 0 && lt.counter == counter) {
            sealfs_table_free(&t[s]);
            fs->legacy_table = true;
            *out = lt;
            return 0;
        }
        sealfs_table_free(&lt);
        p[s] |= lp;   /* something was there: not a fresh state directory */
    }
    if (!p[0] && !p[1]) {
        memset(out, 0, sizeof *out);
        out->counter = counter;
        return 0;
    }
    if (r[s] == 0)
        snprintf(err, err_size, "the version table in %s is stale (counter "
                 "%llu, the backend's is %llu): the state was rolled back",
                 fs->state_dir, (unsigned long long)t[s].counter,
                 (unsigned long long)counter);
    else if (p[s])
        snprintf(err, err_size, "the version table %s/%s fails "
                 "authentication", fs->state_dir, table_slot[s]);
    else
        snprintf(err, err_size, "the version table for counter %llu (%s/%s) "
                 "is missing: deleted or rolled back",
                 (unsigned long long)counter, fs->state_dir, table_slot[s]);
    sealfs_table_free(&t[s]);
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
                 SEALFS_TABLE_LOCK) >= (int)sizeof path)
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

/* The protocol (docs/sealfs.md): nodes, the manifest into the slot the
 * committed one is not in, the version table likewise, the counter
 * increment. A crash before the increment opens the old state (the
 * committed slots were not touched), after it the new one: no renames, no
 * roll forward. */
int sealfs_commit(sealfs *fs)
{
    sealfs_manifest m = {0};
    sealfs_table t = {0};
    struct sealfs_table_row *row;
    uint8_t *blob = NULL;
    size_t n = 0;
    uint64_t c, c2;
    char err[256];
    bool any = fs->dirty, created;
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
            (rc = sfs_tree_prepare(f)) < 0)
            goto abort;
    }
    if ((rc = manifest_build(fs, fs->version + 1, &m)) < 0 ||
        (rc = sealfs_manifest_seal(fs->keys.dir, &m, &blob, &n)) < 0 ||
        (rc = write_slot(fs->dirfd, manifest_slot[(fs->version + 1) % 2],
                         blob, n, &created)) < 0)
        goto abort;
    /* New names (a node file, a manifest slot) must be durable before the
     * counter moves; rewritten files are durable by their own fsync. */
    if (created || fs->dir_unsynced) {
        if ((rc = os_fs_fsync(fs->dirfd)) < 0)
            goto abort;
        fs->dir_unsynced = false;
    }
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
    if ((rc = sealfs_table_seal(fs->keys.table, &t, &blob, &n)) < 0 ||
        (rc = write_slot(fs->statefd, table_slot[(c + 1) % 2], blob, n,
                         &created)) < 0 ||
        (created && (rc = os_fs_fsync(fs->statefd)) < 0))
        goto abort;
    /* The commit point: from here on the disk holds the new state. */
    rc = fs->anchor.counter(fs->anchor.ctx, true, &c2);
    if (rc < 0 || c2 != c + 1)
        goto broken;
    fs->version++;
    fs->dirty = false;
    for (uint32_t i = 0; i < fs->n; i++)
        if (fs->ino[i]->ent.type == OS_FT_REG && fs->ino[i]->changed)
            sfs_tree_done(fs->ino[i]);
    for (uint32_t i = 0; i < fs->ngarbage; i++) {
        char name[2 * SEALFS_ID + 1];

        sfs_hex_id(fs->garbage[i], name);
        os_fs_unlinkat(fs->dirfd, name, false);
    }
    fs->ngarbage = 0;
    /* The slots now hold the state: the old layout's files go. */
    for (int k = 0; k < 2; k++) {
        if (fs->legacy_dir)
            os_fs_unlinkat(fs->dirfd, legacy_manifest[k], false);
        if (fs->legacy_table)
            os_fs_unlinkat(fs->statefd, legacy_table[k], false);
    }
    fs->legacy_dir = fs->legacy_table = false;
    rc = 0;
    goto out;
broken:
    fs->broken = true;
    rc = -OS_EIO;
    goto out;
abort:
    for (uint32_t i = 0; i < fs->n; i++)
        sfs_tree_abort(fs->ino[i]);
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

/* Remove node files no manifest entry names (a crashed commit's new
 * files). Other host files are left alone. */
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
            sfs_hex_id(fs->ino[i]->ent.id, name);
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

/* Everything a mount holds, files and descriptors included. */
static void mount_free(sealfs *fs)
{
    sfs_wb_reap(fs);           /* before the files, cache and pool go */
    for (uint32_t i = 0; i < fs->n; i++)
        sfs_file_free(fs->ino[i]);
    free(fs->ino);
    free(fs->garbage);
    free(fs->state_dir);
    sfs_pool_free(fs->pool);   /* joins its threads */
    if (fs->wb) {
        free(fs->wb->blob);
        free(fs->wb);
    }
    tee_gcm_free(fs->gcm);
    sfs_cache_fini(&fs->cache);
    free(fs->rbuf);
    if (fs->wbuf)
        OPENSSL_cleanse(fs->wbuf, (size_t)SFS_RUN * SEALFS_BLOB);
    free(fs->wbuf);
    if (fs->statefd >= 0)
        os_fs_close(fs->statefd);
    os_fs_close(fs->dirfd);
    OPENSSL_cleanse(fs, sizeof *fs);
    free(fs);
}

int sealfs_mount(int host_dirfd, const sealfs_keys *keys, const char *state_dir,
                 const sealfs_anchor *anchor, sealfs **out, char *err,
                 size_t err_size)
{
    sealfs *fs = calloc(1, sizeof *fs);
    sealfs_manifest m[2], lm[2], *use = NULL, *known_legacy = NULL;
    sealfs_table t = {0};
    struct sealfs_table_row *row, *known = NULL;
    bool p[2], legacy = false;
    int r[2], rc, lock = -1;
    uint64_t c;

    *out = NULL;
    memset(m, 0, sizeof m);
    memset(lm, 0, sizeof lm);
    snprintf(err, err_size, "out of memory");
    if (!fs || !(fs->state_dir = strdup(state_dir))) {
        free(fs);
        os_fs_close(host_dirfd);
        return -OS_ENOMEM;
    }
    fs->dirfd = host_dirfd;
    fs->statefd = -1;
    fs->keys = *keys;
    fs->anchor = *anchor;
    fs->gcm = tee_gcm_new();   /* NULL only costs speed */
    if (sfs_cache_init(&fs->cache, sealfs_cache_default()) < 0 ||
        !(fs->rbuf = malloc((size_t)SFS_RUN * SEALFS_BLOB)) ||
        !(fs->wbuf = malloc((size_t)SFS_RUN * SEALFS_BLOB))) {
        rc = -OS_ENOMEM;
        goto fail;
    }
    if (anchor->version < 1 || !anchor->counter) {
        rc = -OS_EINVAL;
        snprintf(err, err_size, "bad rollback anchor");
        goto fail;
    }
    fs->statefd = os_fs_openat(OS_FD_CWD, state_dir,
                               OS_O_RDONLY | OS_O_DIRECTORY, 0);
    if (fs->statefd < 0 || (lock = table_lock(fs)) < 0) {
        rc = fs->statefd < 0 ? fs->statefd : lock;
        snprintf(err, err_size, "cannot open or lock the version table in %s",
                 state_dir);
        goto fail;
    }
    /* Names an earlier run created may not be durable yet (it died before
     * its directory fsync); commits only fsync the directories for names
     * they create. */
    os_fs_fsync(fs->dirfd);
    os_fs_fsync(fs->statefd);
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
    for (int k = 0; k < 2; k++) {
        char tmp[64];

        /* a slot's creation that stopped before its rename */
        snprintf(tmp, sizeof tmp, "%s.tmp", manifest_slot[k]);
        os_fs_unlinkat(fs->dirfd, tmp, false);
        snprintf(tmp, sizeof tmp, "%s.tmp", table_slot[k]);
        os_fs_unlinkat(fs->statefd, tmp, false);
        r[k] = manifest_read(fs, manifest_slot[k], &m[k], &p[k]);
    }
    rc = -OS_EIO;
    /* The manifest of version v is in slot v % 2; the other slot holds
     * version v - 1, or a commit that stopped before the counter moved. */
    for (int k = 0; k < 2; k++) {
        if (r[k] < 0 || !(row = table_find(&t, m[k].dir_id)))
            continue;
        known = row;
        if (row->version == m[k].version && m[k].version % 2 == (unsigned)k)
            use = &m[k];
    }
    for (int k = 0; k < 2 && !use; k++) {
        bool lp;

        sealfs_manifest_free(&lm[k]);
        if (manifest_read(fs, legacy_manifest[k], &lm[k], &lp) < 0) {
            legacy |= lp;
            continue;
        }
        legacy = true;
        if (!(row = table_find(&t, lm[k].dir_id)))
            continue;
        known = row;
        known_legacy = &lm[k];
        if (row->version == lm[k].version) {
            use = &lm[k];
            fs->legacy_dir = true;
        }
    }
    if (!use && known_legacy) {
        snprintf(err, err_size, "rollback detected: the version table says "
                 "version %llu, the manifest (%s, the earlier layout) has "
                 "version %llu", (unsigned long long)known->version,
                 legacy_manifest[known_legacy - lm],
                 (unsigned long long)known_legacy->version);
        goto fail;
    }
    if (!use && known) {
        snprintf(err, err_size, "rollback or tampering detected: the version "
                 "table says version %llu, and its manifest (%s) is %s",
                 (unsigned long long)known->version,
                 manifest_slot[known->version % 2],
                 !p[known->version % 2] ? "missing"
                 : r[known->version % 2] < 0 ? "not authentic"
                                             : "another version");
        goto fail;
    }
    if (!use) {
        /* No manifest of a registered directory. A slot is created whole
         * (write_slot), so one that does not open was tampered with or is
         * another module's. One of version 1 (the empty directory a first
         * mount commits) is that commit, stopped before the counter moved:
         * the directory starts again. Any later version was committed, so
         * its row is missing. */
        if (legacy) {
            snprintf(err, err_size, "the manifest of the earlier layout "
                     "(sealfs.root) fails authentication or is not in the "
                     "version table");
            goto fail;
        }
        for (int k = 0; k < 2; k++) {
            if (p[k] && r[k] < 0) {
                snprintf(err, err_size, "%s fails authentication (tampered, "
                         "or not sealed by this module and configuration)",
                         manifest_slot[k]);
                goto fail;
            }
            if (r[k] == 0 && m[k].version > 1) {
                snprintf(err, err_size, "the directory is not in the version "
                         "table (restored from elsewhere, or the table was "
                         "lost)");
                goto fail;
            }
        }
        if (p[0] || p[1]) {
            for (int k = 0; k < 2; k++)
                os_fs_unlinkat(fs->dirfd, manifest_slot[k], false);
            collect_garbage(fs);
        }
        if (dir_has_nodes(fs->dirfd)) {
            snprintf(err, err_size, "the manifest is missing but sealed "
                     "files are present");
            goto fail;
        }
        if (RAND_bytes(fs->dir_id, SEALFS_ID) != 1)
            goto fail;
        fs->dirty = true;    /* registered by the commit below */
    } else {
        /* A migration whose commit completed but that died before it
         * removed the earlier layout's files: they are stale now. */
        for (int k = 0; k < 2; k++) {
            if (!fs->legacy_dir)
                os_fs_unlinkat(fs->dirfd, legacy_manifest[k], false);
            if (!fs->legacy_table && t.n)
                os_fs_unlinkat(fs->statefd, legacy_table[k], false);
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
    for (int k = 0; k < 2; k++) {
        sealfs_manifest_free(&m[k]);
        sealfs_manifest_free(&lm[k]);
    }
    sealfs_table_free(&t);
    *out = fs;
    err[0] = '\0';
    return 0;
fail:
    if (lock >= 0)
        os_fs_close(lock);
    for (int k = 0; k < 2; k++) {
        sealfs_manifest_free(&m[k]);
        sealfs_manifest_free(&lm[k]);
    }
    sealfs_table_free(&t);
    mount_free(fs);
    return rc < 0 ? rc : -OS_EIO;
}

void sealfs_unmount(sealfs *fs)
{
    if (!fs)
        return;
    sealfs_commit(fs);
    mount_free(fs);
}

int sealfs_cache_size(sealfs *fs, size_t bytes)
{
    sfs_cache c;
    int rc;

    for (uint32_t i = 0; i < fs->n; i++)
        if (fs->ino[i]->ncached)
            return -OS_EBUSY;
    if ((rc = sfs_cache_init(&c, bytes)) < 0)
        return rc;
    sfs_cache_fini(&fs->cache);
    fs->cache = c;
    return 0;
}

int sealfs_threads(sealfs *fs, unsigned n)
{
    if (fs->pool_tried)
        return -OS_EBUSY;
    fs->threads_set = true;
    fs->threads = n;
    return 0;
}
