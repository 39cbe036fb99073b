/* vfs.c - WASI over a mounted file system (sealed directories): paths,
 * offsets and descriptors for preopens that are not host directories.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: mounts - paths - files - directories.
 *
 * The fd_* and path_* functions in fd.c and pathops.c check rights as for
 * host descriptors and then hand such descriptors here. Paths are resolved
 * lexically inside the mount (there are no symlinks in it): ".." above the
 * preopen is ENOTCAPABLE, as on the host. A sealed preopen whose mount is
 * missing or failed answers every operation with EIO, so a guest never
 * reads from a directory that did not authenticate.
 */
#include "wasi/wasi_int.h"

#define VFS_PATH_MAX WASI_PATH_MAX

/* ---- Mounts --------------------------------------------------------------------- */

uint32_t wasi_sealed_fd(wasi_ctx *w, size_t n)
{
    for (uint32_t fd = 0; fd < w->nfds; fd++)
        if (w->fds[fd].used && w->fds[fd].preopen && w->fds[fd].sealed &&
            n-- == 0)
            return fd;
    return UINT32_MAX;
}

int wasi_sealed_take_host(wasi_ctx *w, uint32_t fd)
{
    wasi_fd *e = wasi_fd_get(w, fd);
    int h;

    if (!e || !e->sealed || e->vfs || !e->own)
        return -1;
    h = e->host;
    e->host = -1;
    e->own = false;
    return h;
}

wasi_errno wasi_vfs_attach(wasi_ctx *w, uint32_t fd, const wasi_vfs_ops *ops,
                           void *fs)
{
    wasi_fd *e = wasi_fd_get(w, fd);
    wasi_mount *m;
    char *root;

    if (!e || !e->sealed || e->vfs || ops->version < 1)
        return OS_EINVAL;
    m = wasi_realloc(w, w->mounts, (w->nmounts + 1) * sizeof *m);
    if (!m)
        return OS_ENOMEM;
    w->mounts = m;
    if (!(root = wasi_strndup(w, "", 0)))
        return OS_ENOMEM;
    m[w->nmounts].ops = ops;
    m[w->nmounts++].fs = fs;
    e->vfs = ops;
    e->vfs_fs = fs;
    e->vfs_path = root;
    return WASI_OK;
}

void wasi_vfs_unmount_all(wasi_ctx *w)
{
    for (uint32_t i = 0; i < w->nmounts; i++)
        w->mounts[i].ops->unmount(w->mounts[i].fs);
    wasi_free(w, w->mounts);
    w->mounts = NULL;
    w->nmounts = 0;
}

static wasi_errno neg(int64_t r)
{
    return (wasi_errno)-r;
}

/* ---- Paths ---------------------------------------------------------------------- */

/* The mount path of the guest's path beneath directory dir; *out_slash:
 * the guest wrote a trailing '/'. */
static wasi_errno vfs_path(wasi_call *c, const wasi_fd *dir, uint32_t ptr,
                           uint32_t len, char out[VFS_PATH_MAX + 1],
                           bool *out_slash)
{
    char p[WASI_PATH_MAX + 1];
    size_t n, i = 0;
    wasi_errno err;

    if (!dir->vfs)
        return OS_EIO;
    if (dir->type != OS_FT_DIR || !dir->vfs_path)
        return OS_ENOTDIR;
    if ((err = wasi_path_copy(c, ptr, len, p)))
        return err;
    n = strlen(dir->vfs_path);
    memcpy(out, dir->vfs_path, n + 1);
    while (i < len) {
        size_t s = i, k;

        while (i < len && p[i] != '/')
            i++;
        k = i - s;
        while (i < len && p[i] == '/')
            i++;
        if (k == 0 || (k == 1 && p[s] == '.'))
            continue;
        if (k == 2 && p[s] == '.' && p[s + 1] == '.') {
            char *slash;

            if (n == 0)
                return OS_ENOTCAPABLE;
            slash = strrchr(out, '/');
            n = slash ? (size_t)(slash - out) : 0;
            out[n] = '\0';
            continue;
        }
        if (k > 255)
            return OS_ENAMETOOLONG;
        if (n + 1 + k > VFS_PATH_MAX)
            return OS_ENAMETOOLONG;
        if (n)
            out[n++] = '/';
        memcpy(out + n, p + s, k);
        n += k;
        out[n] = '\0';
    }
    *out_slash = p[len - 1] == '/';
    return WASI_OK;
}

/* A trailing slash must name a directory. */
static wasi_errno need_dir(wasi_fd *dir, const char *path, bool slash)
{
    os_stat st;
    int r;

    if (!slash)
        return WASI_OK;
    r = dir->vfs->stat(dir->vfs_fs, path, &st);
    if (r < 0)
        return r == -OS_ENOENT ? WASI_OK : neg(r);
    return st.type == OS_FT_DIR ? WASI_OK : OS_ENOTDIR;
}

wasi_errno wasi_vfs_path_open(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                              uint32_t len, int oflags, uint64_t base,
                              uint64_t inh, uint32_t *out_fd)
{
    char path[VFS_PATH_MAX + 1];
    const wasi_vfs_ops *ops = dir->vfs;
    void *fs = dir->vfs_fs, *file = NULL;
    char *dpath = NULL;
    uint8_t type;
    bool slash;
    wasi_errno err;
    wasi_fd *e;
    uint32_t fd;
    int r;

    if ((err = vfs_path(c, dir, ptr, len, path, &slash)))
        return err;
    if (slash)
        oflags |= OS_O_DIRECTORY;
    r = ops->open(fs, path, oflags & (OS_O_CREAT | OS_O_EXCL | OS_O_TRUNC |
                                      OS_O_DIRECTORY),
                  &file, &type);
    if (r < 0)
        return neg(r);
    if (type == OS_FT_DIR) {
        if ((oflags & OS_O_ACCMODE) != OS_O_RDONLY)
            return OS_EISDIR;
        if (!(dpath = wasi_strndup(c->w, path, strlen(path))))
            return OS_ENOMEM;
    }
    /* dir is stale from here: installing may move the table. */
    if ((err = wasi_fd_install(c->w, -1, false, 0, 0, &fd))) {
        wasi_free(c->w, dpath);
        if (file)
            ops->close(file);
        return err;
    }
    e = &c->w->fds[fd];
    e->type = type;
    e->rights_base = base & wasi_rights_for(type, false);
    e->rights_inheriting = type == OS_FT_DIR ? inh : 0;
    e->vfs = ops;
    e->vfs_fs = fs;
    e->vfs_file = file;
    e->vfs_path = dpath;
    e->append = (oflags & OS_O_APPEND) != 0;
    e->sync = oflags & (OS_O_DSYNC | OS_O_SYNC);
    *out_fd = fd;
    return WASI_OK;
}

wasi_errno wasi_vfs_path_stat(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                              uint32_t len, os_stat *out)
{
    char path[VFS_PATH_MAX + 1];
    bool slash;
    wasi_errno err;
    int r;

    if ((err = vfs_path(c, dir, ptr, len, path, &slash)))
        return err;
    if ((r = dir->vfs->stat(dir->vfs_fs, path, out)) < 0)
        return neg(r);
    return slash && out->type != OS_FT_DIR ? OS_ENOTDIR : WASI_OK;
}

wasi_errno wasi_vfs_path_mkdir(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                               uint32_t len)
{
    char path[VFS_PATH_MAX + 1];
    bool slash;
    wasi_errno err;
    int r;

    if ((err = vfs_path(c, dir, ptr, len, path, &slash)))
        return err;
    r = dir->vfs->mkdir(dir->vfs_fs, path);
    return r < 0 ? neg(r) : WASI_OK;
}

wasi_errno wasi_vfs_path_remove(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                                uint32_t len, bool rmdir)
{
    char path[VFS_PATH_MAX + 1];
    bool slash;
    wasi_errno err;
    int r;

    if ((err = vfs_path(c, dir, ptr, len, path, &slash)))
        return err;
    if (!rmdir && slash) {
        os_stat st;

        r = dir->vfs->stat(dir->vfs_fs, path, &st);
        if (r < 0)
            return neg(r);
        return st.type == OS_FT_DIR ? OS_EISDIR : OS_ENOTDIR;
    }
    r = rmdir ? dir->vfs->rmdir(dir->vfs_fs, path)
              : dir->vfs->unlink(dir->vfs_fs, path);
    return r < 0 ? neg(r) : WASI_OK;
}

wasi_errno wasi_vfs_path_rename(wasi_call *c, wasi_fd *od, uint32_t optr,
                                uint32_t olen, wasi_fd *nd, uint32_t nptr,
                                uint32_t nlen)
{
    char from[VFS_PATH_MAX + 1], to[VFS_PATH_MAX + 1];
    bool os, ns;
    wasi_errno err;
    int r;

    if ((err = vfs_path(c, od, optr, olen, from, &os)) ||
        (err = vfs_path(c, nd, nptr, nlen, to, &ns)))
        return err;
    /* Both ends inside the same mount; across file systems is EXDEV. */
    if (od->vfs_fs != nd->vfs_fs)
        return OS_EXDEV;
    if ((err = need_dir(od, from, os)))
        return err;
    if (ns) {
        os_stat st;

        if ((r = od->vfs->stat(od->vfs_fs, from, &st)) < 0)
            return neg(r);
        if (st.type != OS_FT_DIR)
            return OS_ENOTDIR;
    }
    r = od->vfs->rename(od->vfs_fs, from, to);
    return r < 0 ? neg(r) : WASI_OK;
}

/* ---- Files ---------------------------------------------------------------------- */

static wasi_errno need_file(const wasi_fd *e)
{
    if (!e->vfs)
        return OS_EIO;
    return e->vfs_file ? WASI_OK : OS_EISDIR;
}

wasi_errno wasi_vfs_read(wasi_call *c, wasi_fd *e, const os_iovec *iov,
                         int n, bool positional, uint64_t off,
                         uint32_t *out_n)
{
    wasi_errno err;
    int64_t r;

    (void)c;
    if ((err = need_file(e)))
        return err;
    r = e->vfs->pread(e->vfs_file, iov, n, positional ? off : e->pos);
    if (r < 0)
        return neg(r);
    if (!positional)
        e->pos += (uint64_t)r;
    *out_n = (uint32_t)r;
    return WASI_OK;
}

wasi_errno wasi_vfs_write(wasi_call *c, wasi_fd *e, const os_iovec *iov,
                          int n, bool positional, uint64_t off,
                          uint32_t *out_n)
{
    wasi_errno err;
    int64_t r;

    (void)c;
    if ((err = need_file(e)))
        return err;
    if (!positional) {
        off = e->pos;
        if (e->append) {
            os_stat st;
            int s = e->vfs->fstat(e->vfs_file, &st);

            if (s < 0)
                return neg(s);
            off = st.size;
        }
    }
    r = e->vfs->pwrite(e->vfs_file, iov, n, off);
    if (r < 0)
        return neg(r);
    if (!positional)
        e->pos = off + (uint64_t)r;
    /* O_SYNC / O_DSYNC: the write is durable when it returns. */
    if (e->sync && (err = wasi_vfs_sync(e)))
        return err;
    *out_n = (uint32_t)r;
    return WASI_OK;
}

wasi_errno wasi_vfs_seek(wasi_fd *e, int64_t off, int whence,
                         uint64_t *out_pos)
{
    uint64_t base = 0;
    wasi_errno err;

    if ((err = need_file(e)))
        return err;
    if (whence == 1) {
        base = e->pos;
    } else if (whence == 2) {
        os_stat st;
        int r = e->vfs->fstat(e->vfs_file, &st);

        if (r < 0)
            return neg(r);
        base = st.size;
    }
    if ((off < 0 && (uint64_t)-(off + 1) + 1 > base) ||
        (off > 0 && (uint64_t)off > INT64_MAX - base))
        return OS_EINVAL;
    e->pos = off < 0 ? base - ((uint64_t)-(off + 1) + 1) : base + (uint64_t)off;
    *out_pos = e->pos;
    return WASI_OK;
}

wasi_errno wasi_vfs_fstat(const wasi_fd *e, os_stat *out)
{
    int r;

    if (!e->vfs)
        return OS_EIO;
    r = e->vfs_file ? e->vfs->fstat(e->vfs_file, out)
                    : e->vfs->stat(e->vfs_fs, e->vfs_path, out);
    return r < 0 ? neg(r) : WASI_OK;
}

wasi_errno wasi_vfs_truncate(wasi_fd *e, uint64_t size)
{
    wasi_errno err;
    int r;

    if ((err = need_file(e)))
        return err;
    r = e->vfs->truncate(e->vfs_file, size);
    return r < 0 ? neg(r) : WASI_OK;
}

wasi_errno wasi_vfs_sync(wasi_fd *e)
{
    int r;

    if (!e->vfs)
        return OS_EIO;
    if (!e->vfs_file)
        return WASI_OK;   /* directory changes are committed as they happen */
    r = e->vfs->sync(e->vfs_file);
    return r < 0 ? neg(r) : WASI_OK;
}

wasi_errno wasi_vfs_close(wasi_fd *e)
{
    int r = 0;

    if (e->vfs_file)
        r = e->vfs->close(e->vfs_file);
    e->vfs_file = NULL;
    return r < 0 ? neg(r) : WASI_OK;
}

/* ---- Directories -------------------------------------------------------------------- */

struct fill {
    wasi_ctx *w;
    wasi_fd *e;
    uint64_t cap;
};

static int fill_one(void *ud, const char *name, size_t len, uint8_t type,
                    uint64_t ino)
{
    struct fill *f = ud;
    wasi_fd *e = f->e;
    wasi_dirent *de;

    if (e->ndir == f->cap) {
        uint64_t nc = f->cap ? f->cap * 2 : 16;
        wasi_dirent *n = wasi_realloc(f->w, e->dir, nc * sizeof *n);

        if (!n)
            return -OS_ENOMEM;
        e->dir = n;
        f->cap = nc;
    }
    de = &e->dir[e->ndir];
    if (!(de->name = wasi_strndup(f->w, name, len)))
        return -OS_ENOMEM;
    de->namelen = (uint32_t)len;
    de->ino = ino;
    de->type = type;
    e->ndir++;
    return 0;
}

wasi_errno wasi_vfs_readdir_fill(wasi_ctx *w, wasi_fd *e)
{
    struct fill f = {w, e, 0};
    int r;

    wasi_fd_dir_drop(w, e);
    if (!e->vfs)
        return OS_EIO;
    r = e->vfs->list(e->vfs_fs, e->vfs_path, fill_one, &f);
    return r < 0 ? neg(r) : WASI_OK;
}
