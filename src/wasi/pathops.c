/* pathops.c - the path_* functions of wasi_snapshot_preview1.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each resolves its paths through path.c (never by host path) and then
 * acts on the parent descriptor and final name with *at() calls that do
 * not follow a final symlink.
 */
#include "wasi/wasi_int.h"

#define LOOKUP_SYMLINK_FOLLOW 1u

enum {
    OFLAG_CREAT = 1,
    OFLAG_DIRECTORY = 2,
    OFLAG_EXCL = 4,
    OFLAG_TRUNC = 8,
};

static wasi_errno neg(int64_t r)
{
    return (wasi_errno)-r;
}

/* Look up dir fd `fd` with rights `need` and resolve path (ptr, len). */
static wasi_errno resolve_at(wasi_call *c, uint32_t fd, uint64_t need,
                             uint32_t ptr, uint32_t len, bool follow,
                             wasi_path *out)
{
    wasi_fd *e;
    wasi_errno err;

    out->dirfd = -1;
    out->own = false;
    if ((err = wasi_fd_lookup(c->w, fd, need, &e)))
        return err;
    return wasi_path_resolve(c, e, ptr, len, follow, out);
}

/* Look up dir fd `fd` with rights `need`: *out is the entry when it is a
 * mounted file system's directory (vfs.c handles the call), else NULL. */
static wasi_errno lookup_vfs(wasi_call *c, uint32_t fd, uint64_t need,
                             wasi_fd **out)
{
    wasi_fd *e;
    wasi_errno err = wasi_fd_lookup(c->w, fd, need, &e);

    *out = NULL;
    if (err)
        return err;
    if (wasi_is_vfs(e))
        *out = e;
    return WASI_OK;
}

/* A path written with a trailing slash must name a directory. */
static wasi_errno check_trailing(const wasi_path *p)
{
    os_stat st;

    if (p->trailing_slash && os_fs_fstatat(p->dirfd, p->name, false, &st) == 0 &&
        st.type != OS_FT_DIR)
        return OS_ENOTDIR;
    return WASI_OK;
}

/* path_create_directory(fd, path, path_len) */
static wasi_errno path_create_directory(wasi_call *c)
{
    wasi_path p;
    wasi_errno err;
    wasi_fd *v;
    int r;

    if ((err = lookup_vfs(c, ARG_I32(0), WASI_RIGHT_PATH_CREATE_DIRECTORY,
                          &v)))
        return err;
    if (v)
        return wasi_vfs_path_mkdir(c, v, ARG_I32(1), ARG_I32(2));
    if ((err = resolve_at(c, ARG_I32(0), WASI_RIGHT_PATH_CREATE_DIRECTORY,
                          ARG_I32(1), ARG_I32(2), false, &p)))
        return err;
    r = os_fs_mkdirat(p.dirfd, p.name, 0777);
    wasi_path_release(&p);
    return r < 0 ? neg(r) : WASI_OK;
}

/* path_filestat_get(fd, lookupflags, path, path_len, out filestat) */
static wasi_errno path_filestat_get(wasi_call *c)
{
    wasi_path p;
    wasi_fd *v;
    wasi_errno err;
    os_stat st;
    int r;

    if (!wasi_mem(c, ARG_I32(4), 64))
        return OS_EFAULT;
    if ((err = lookup_vfs(c, ARG_I32(0), WASI_RIGHT_PATH_FILESTAT_GET, &v)))
        return err;
    if (v)
        return (err = wasi_vfs_path_stat(c, v, ARG_I32(2), ARG_I32(3), &st))
                   ? err
                   : wasi_store_filestat(c, ARG_I32(4), &st);
    if ((err = resolve_at(c, ARG_I32(0), WASI_RIGHT_PATH_FILESTAT_GET,
                          ARG_I32(2), ARG_I32(3),
                          ARG_I32(1) & LOOKUP_SYMLINK_FOLLOW, &p)))
        return err;
    r = os_fs_fstatat(p.dirfd, p.name, false, &st);
    if (r == 0 && p.trailing_slash && st.type != OS_FT_DIR)
        r = -OS_ENOTDIR;
    wasi_path_release(&p);
    if (r < 0)
        return neg(r);
    return wasi_store_filestat(c, ARG_I32(4), &st);
}

/* path_filestat_set_times(fd, lookupflags, path, path_len, atim, mtim,
 * fstflags) */
static wasi_errno path_filestat_set_times(wasi_call *c)
{
    uint64_t a, m;
    wasi_fd *v;
    wasi_path p;
    wasi_errno err;
    int r;

    if ((err = wasi_times(ARG_I64(4), ARG_I64(5), ARG_I32(6), &a, &m)))
        return err;
    if ((err = lookup_vfs(c, ARG_I32(0), WASI_RIGHT_PATH_FILESTAT_SET_TIMES,
                          &v)))
        return err;
    if (v)
        return OS_ENOTSUP;   /* sealed files keep their modification time */
    if ((err = resolve_at(c, ARG_I32(0), WASI_RIGHT_PATH_FILESTAT_SET_TIMES,
                          ARG_I32(2), ARG_I32(3),
                          ARG_I32(1) & LOOKUP_SYMLINK_FOLLOW, &p)))
        return err;
    r = os_fs_utimens(p.dirfd, p.name, a, m);
    wasi_path_release(&p);
    return r < 0 ? neg(r) : WASI_OK;
}

/* path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path,
 * new_len): both ends are resolved beneath their own preopens, so a link
 * can neither reach out nor be planted outside. */
static wasi_errno path_link(wasi_call *c)
{
    wasi_path o, n;
    wasi_errno err;
    wasi_fd *v, *v2;
    int r;

    /* Sealed directories have no hard links. */
    if ((err = lookup_vfs(c, ARG_I32(0), WASI_RIGHT_PATH_LINK_SOURCE, &v)) ||
        (err = lookup_vfs(c, ARG_I32(4), WASI_RIGHT_PATH_LINK_TARGET, &v2)))
        return err;
    if (v || v2)
        return OS_ENOTSUP;

    if ((err = resolve_at(c, ARG_I32(0), WASI_RIGHT_PATH_LINK_SOURCE,
                          ARG_I32(2), ARG_I32(3),
                          ARG_I32(1) & LOOKUP_SYMLINK_FOLLOW, &o)))
        return err;
    if ((err = resolve_at(c, ARG_I32(4), WASI_RIGHT_PATH_LINK_TARGET,
                          ARG_I32(5), ARG_I32(6), false, &n))) {
        wasi_path_release(&o);
        return err;
    }
    r = os_fs_linkat(o.dirfd, o.name, n.dirfd, n.name);
    wasi_path_release(&o);
    wasi_path_release(&n);
    return r < 0 ? neg(r) : WASI_OK;
}

/* path_open(fd, dirflags, path, path_len, oflags, rights_base u64,
 * rights_inheriting u64, fdflags, out fd). The new descriptor's rights are
 * those asked for within the directory's inheriting rights; rights that
 * would write are refused outright (ENOTCAPABLE) when the directory cannot
 * pass them on or lies beneath a read-only preopen, so such a preopen never
 * yields a writable file (nor a file that merely seems open for writing). */
static wasi_errno path_open(wasi_call *c)
{
    uint32_t dirfd = ARG_I32(0), oflags = ARG_I32(4), fdflags = ARG_I32(7);
    uint64_t base = ARG_I64(5), inh = ARG_I64(6);
    uint64_t need = WASI_RIGHT_PATH_OPEN;
    const uint64_t writing = WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |
                             WASI_RIGHT_FD_FILESTAT_SET_SIZE;
    bool rd, wr, ro;
    wasi_fd *e;
    wasi_errno err;
    int os = 0, host;
    uint32_t fd;

    if (oflags & ~(uint32_t)0xf || fdflags & ~(uint32_t)0x1f)
        return OS_EINVAL;
    if (oflags & OFLAG_CREAT)
        need |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & OFLAG_TRUNC)
        need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    if ((err = wasi_fd_lookup(c->w, dirfd, need, &e)))
        return err;
    if (!wasi_mem(c, ARG_I32(8), 4))
        return OS_EFAULT;
    if ((base & writing & ~e->rights_inheriting) ||
        ((fdflags & WASI_FDFLAG_APPEND) &&
         !(e->rights_inheriting & WASI_RIGHT_FD_WRITE)))
        return OS_ENOTCAPABLE;
    if (e->read_only && ((base & writing) || (fdflags & WASI_FDFLAG_APPEND) ||
                         (oflags & (OFLAG_CREAT | OFLAG_TRUNC))))
        return OS_ENOTCAPABLE;
    ro = e->read_only;
    base &= e->rights_inheriting;
    inh &= e->rights_inheriting;
    rd = (base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR)) != 0;
    wr = (base & writing) != 0 || (fdflags & WASI_FDFLAG_APPEND);
    if (oflags & OFLAG_DIRECTORY) {
        os |= OS_O_DIRECTORY;
        wr = false;
    }
    os |= rd && wr ? OS_O_RDWR : wr ? OS_O_WRONLY : OS_O_RDONLY;
    if (oflags & OFLAG_CREAT) os |= OS_O_CREAT;
    if (oflags & OFLAG_EXCL) os |= OS_O_EXCL;
    if (oflags & OFLAG_TRUNC) os |= OS_O_TRUNC;
    if (fdflags & WASI_FDFLAG_APPEND) os |= OS_O_APPEND;
    if (fdflags & WASI_FDFLAG_NONBLOCK) os |= OS_O_NONBLOCK;
    if (fdflags & WASI_FDFLAG_DSYNC) os |= OS_O_DSYNC;
    if (fdflags & WASI_FDFLAG_SYNC) os |= OS_O_SYNC;
    if (fdflags & WASI_FDFLAG_RSYNC) os |= OS_O_RSYNC;
    if (wasi_is_vfs(e)) {
        if ((err = wasi_vfs_path_open(c, e, ARG_I32(2), ARG_I32(3), os, base,
                                      inh, &fd)))
            return err;
    } else {
        if ((err = wasi_path_open(c, e, ARG_I32(2), ARG_I32(3),
                                  ARG_I32(1) & LOOKUP_SYMLINK_FOLLOW, os,
                                  &host)))
            return err;
        /* e is stale from here: installing may move the table. */
        if ((err = wasi_fd_install(c->w, host, true, base, inh, &fd))) {
            os_fs_close(host);
            return err;
        }
    }
    if (ro) {
        e = wasi_fd_get(c->w, fd);
        e->read_only = true;
        e->rights_base &= ~WASI_RIGHTS_WRITING;
    }
    return wasi_store_u32(c, ARG_I32(8), fd);
}

/* path_readlink(fd, path, path_len, buf, buf_len, out bufused): the
 * contents, cut at buf_len, not NUL-terminated. */
static wasi_errno path_readlink(wasi_call *c)
{
    uint32_t len = ARG_I32(4);
    wasi_path p;
    wasi_errno err;
    wasi_fd *v;
    uint8_t *buf;
    int64_t r;

    if (!(buf = wasi_mem(c, ARG_I32(3), len)) || !wasi_mem(c, ARG_I32(5), 4))
        return OS_EFAULT;
    if ((err = lookup_vfs(c, ARG_I32(0), WASI_RIGHT_PATH_READLINK, &v)))
        return err;
    if (v) {
        os_stat st;

        /* No symlinks in a sealed directory: whatever exists is not one. */
        return (err = wasi_vfs_path_stat(c, v, ARG_I32(1), ARG_I32(2), &st))
                   ? err
                   : OS_EINVAL;
    }
    if ((err = resolve_at(c, ARG_I32(0), WASI_RIGHT_PATH_READLINK, ARG_I32(1),
                          ARG_I32(2), false, &p)))
        return err;
    r = os_fs_readlinkat(p.dirfd, p.name, (char *)buf, len);
    wasi_path_release(&p);
    if (r < 0)
        return neg(r);
    return wasi_store_u32(c, ARG_I32(5), (uint64_t)r < len ? (uint32_t)r : len);
}

/* path_remove_directory(fd, path, path_len) */
static wasi_errno path_remove_directory(wasi_call *c)
{
    wasi_path p;
    wasi_errno err;
    wasi_fd *v;
    int r;

    if ((err = lookup_vfs(c, ARG_I32(0), WASI_RIGHT_PATH_REMOVE_DIRECTORY,
                          &v)))
        return err;
    if (v)
        return wasi_vfs_path_remove(c, v, ARG_I32(1), ARG_I32(2), true);

    if ((err = resolve_at(c, ARG_I32(0), WASI_RIGHT_PATH_REMOVE_DIRECTORY,
                          ARG_I32(1), ARG_I32(2), false, &p)))
        return err;
    r = os_fs_unlinkat(p.dirfd, p.name, true);
    wasi_path_release(&p);
    return r < 0 ? neg(r) : WASI_OK;
}

/* path_rename(fd, old_path, old_len, new_fd, new_path, new_len) */
static wasi_errno path_rename(wasi_call *c)
{
    wasi_path o, n;
    wasi_errno err;
    wasi_fd *v, *v2;
    int r;

    if ((err = lookup_vfs(c, ARG_I32(0), WASI_RIGHT_PATH_RENAME_SOURCE, &v)) ||
        (err = lookup_vfs(c, ARG_I32(3), WASI_RIGHT_PATH_RENAME_TARGET, &v2)))
        return err;
    if (v && v2)
        return wasi_vfs_path_rename(c, v, ARG_I32(1), ARG_I32(2), v2,
                                    ARG_I32(4), ARG_I32(5));
    if (v || v2)
        return OS_EXDEV;   /* into or out of a sealed directory */

    if ((err = resolve_at(c, ARG_I32(0), WASI_RIGHT_PATH_RENAME_SOURCE,
                          ARG_I32(1), ARG_I32(2), false, &o)))
        return err;
    if ((err = resolve_at(c, ARG_I32(3), WASI_RIGHT_PATH_RENAME_TARGET,
                          ARG_I32(4), ARG_I32(5), false, &n))) {
        wasi_path_release(&o);
        return err;
    }
    if ((err = check_trailing(&o)) == WASI_OK) {
        os_stat st;

        /* "file" -> "dir/" is ENOTDIR, as rename(2) says. */
        if (n.trailing_slash &&
            os_fs_fstatat(o.dirfd, o.name, false, &st) == 0 &&
            st.type != OS_FT_DIR)
            err = OS_ENOTDIR;
    }
    r = err ? 0 : os_fs_renameat(o.dirfd, o.name, n.dirfd, n.name);
    wasi_path_release(&o);
    wasi_path_release(&n);
    if (err)
        return err;
    return r < 0 ? neg(r) : WASI_OK;
}

/* Depth change of a relative path's components; false if it climbs above
 * its start at any point (*depth is the starting depth, updated). */
static bool lexical_walk(const char *p, size_t n, long *depth, bool last)
{
    size_t i = 0;

    while (i < n) {
        size_t s = i;

        while (i < n && p[i] != '/')
            i++;
        if (i - s == 2 && p[s] == '.' && p[s + 1] == '.') {
            if (--*depth < 0)
                return false;
        } else if (!(i - s == 0 || (i - s == 1 && p[s] == '.'))) {
            if (!last || i < n)
                ++*depth;
        }
        while (i < n && p[i] == '/')
            i++;
    }
    return true;
}

/* path_symlink(old_path, old_len, fd, new_path, new_len). The link's
 * contents are stored as given, but may be neither absolute nor climb out
 * of the preopen as read from where the link is made: such a link could
 * never be followed (resolution refuses it anyway), and refusing it here
 * keeps escape hatches from being planted for other programs. */
static wasi_errno path_symlink(wasi_call *c)
{
    uint32_t tlen = ARG_I32(1);
    const uint8_t *t = wasi_mem(c, ARG_I32(0), tlen);
    char target[4097];
    wasi_path p;
    wasi_errno err;
    int r;

    if (!t)
        return OS_EFAULT;
    if (tlen > 4096)
        return OS_ENAMETOOLONG;
    if (memchr(t, '\0', tlen))
        return OS_EILSEQ;
    {
        wasi_fd *v;

        if ((err = lookup_vfs(c, ARG_I32(2), WASI_RIGHT_PATH_SYMLINK, &v)))
            return err;
        if (v)
            return OS_ENOTSUP;   /* no symlinks in a sealed directory */
    }
    memcpy(target, t, tlen);
    target[tlen] = '\0';
    if ((err = resolve_at(c, ARG_I32(2), WASI_RIGHT_PATH_SYMLINK, ARG_I32(3),
                          ARG_I32(4), false, &p)))
        return err;
    {
        /* The link's own directory: its path minus the final component. */
        const char *lp = (const char *)wasi_mem(c, ARG_I32(3), ARG_I32(4));
        size_t ln = ARG_I32(4);
        long depth = 0;

        while (ln > 0 && lp[ln - 1] == '/')
            ln--;
        if (!lexical_walk(lp, ln, &depth, true) ||
            !lexical_walk(target, tlen, &depth, false))
            tlen = UINT32_MAX;  /* marks an escape */
    }
    if (tlen == 0)
        r = -OS_ENOENT;
    else if (tlen == UINT32_MAX || target[0] == '/')
        r = -OS_ENOTCAPABLE;
    else
        r = os_fs_symlinkat(target, p.dirfd, p.name);
    wasi_path_release(&p);
    return r < 0 ? neg(r) : WASI_OK;
}

/* path_unlink_file(fd, path, path_len) */
static wasi_errno path_unlink_file(wasi_call *c)
{
    wasi_path p;
    wasi_errno err;
    wasi_fd *v;
    int r;

    if ((err = lookup_vfs(c, ARG_I32(0), WASI_RIGHT_PATH_UNLINK_FILE, &v)))
        return err;
    if (v)
        return wasi_vfs_path_remove(c, v, ARG_I32(1), ARG_I32(2), false);

    if ((err = resolve_at(c, ARG_I32(0), WASI_RIGHT_PATH_UNLINK_FILE,
                          ARG_I32(1), ARG_I32(2), false, &p)))
        return err;
    if (p.trailing_slash) {
        os_stat st;

        r = os_fs_fstatat(p.dirfd, p.name, false, &st);
        if (r == 0)
            r = st.type == OS_FT_DIR ? -OS_EISDIR : -OS_ENOTDIR;
    } else {
        r = os_fs_unlinkat(p.dirfd, p.name, false);
    }
    wasi_path_release(&p);
    return r < 0 ? neg(r) : WASI_OK;
}

const wasi_func wasi_path_funcs[] = {
    {"path_create_directory", "iii", path_create_directory},
    {"path_filestat_get", "iiiii", path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", path_filestat_set_times},
    {"path_link", "iiiiiii", path_link},
    {"path_open", "iiiiiIIii", path_open},
    {"path_readlink", "iiiiii", path_readlink},
    {"path_remove_directory", "iii", path_remove_directory},
    {"path_rename", "iiiiii", path_rename},
    {"path_symlink", "iiiii", path_symlink},
    {"path_unlink_file", "iii", path_unlink_file},
    {NULL, NULL, NULL},
};
