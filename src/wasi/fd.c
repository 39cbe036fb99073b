/* fd.c - the fd_* functions of wasi_snapshot_preview1.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: reads and writes - seeking - status and flags - file stats and
 * times - preopens - directory listing - the table of imports.
 */
#include "wasi/wasi_int.h"

static wasi_errno neg(int64_t r)
{
    return (wasi_errno)-r;
}

/* Missing read/write rights read as EBADF, as POSIX reports a descriptor
 * not open for reading or writing. */
static wasi_errno lookup_rw(wasi_call *c, uint32_t fd, uint64_t need,
                            wasi_fd **out)
{
    wasi_errno err = wasi_fd_lookup(c->w, fd, need, out);

    return err == OS_ENOTCAPABLE ? OS_EBADF : err;
}

/* Seeking on what cannot seek (pipes, ttys, sockets) is ESPIPE. */
static wasi_errno lookup_seek(wasi_call *c, uint32_t fd, uint64_t need,
                              wasi_fd **out)
{
    wasi_errno err = wasi_fd_lookup(c->w, fd, need, out);
    wasi_fd *e;

    if (err == OS_ENOTCAPABLE && (e = wasi_fd_get(c->w, fd)) != NULL &&
        e->type != OS_FT_REG && e->type != OS_FT_DIR &&
        e->type != OS_FT_BLOCK)
        return OS_ESPIPE;
    return err;
}

/* ---- Reads and writes ---------------------------------------------------- */

/* fd_read(fd, iovs, iovs_len, out nread) */
static wasi_errno fd_read(wasi_call *c)
{
    os_iovec iov[WASI_MAX_IOVS];
    wasi_fd *e;
    wasi_errno err;
    int n;
    int64_t r;

    if ((err = lookup_rw(c, ARG_I32(0), WASI_RIGHT_FD_READ, &e)) ||
        (err = wasi_iovs(c, ARG_I32(1), ARG_I32(2), iov, &n)))
        return err;
    if (!wasi_mem(c, ARG_I32(3), 4))
        return OS_EFAULT;
    if (wasi_is_vfs(e)) {
        uint32_t k = 0;

        return (err = wasi_vfs_read(c, e, iov, n, false, 0, &k))
                   ? err
                   : wasi_store_u32(c, ARG_I32(3), k);
    }
    r = os_fs_readv(e->host, iov, n);
    if (r < 0)
        return neg(r);
    return wasi_store_u32(c, ARG_I32(3), (uint32_t)r);
}

/* fd_write(fd, iovs, iovs_len, out nwritten) */
static wasi_errno fd_write(wasi_call *c)
{
    os_iovec iov[WASI_MAX_IOVS];
    wasi_fd *e;
    wasi_errno err;
    int n;
    int64_t r;

    if ((err = lookup_rw(c, ARG_I32(0), WASI_RIGHT_FD_WRITE, &e)) ||
        (err = wasi_iovs(c, ARG_I32(1), ARG_I32(2), iov, &n)))
        return err;
    if (!wasi_mem(c, ARG_I32(3), 4))
        return OS_EFAULT;
    if (wasi_is_vfs(e)) {
        uint32_t k = 0;

        return (err = wasi_vfs_write(c, e, iov, n, false, 0, &k))
                   ? err
                   : wasi_store_u32(c, ARG_I32(3), k);
    }
    r = os_fs_writev(e->host, iov, n);
    if (r < 0)
        return neg(r);
    return wasi_store_u32(c, ARG_I32(3), (uint32_t)r);
}

/* fd_pread(fd, iovs, iovs_len, offset, out nread) */
static wasi_errno fd_pread(wasi_call *c)
{
    os_iovec iov[WASI_MAX_IOVS];
    wasi_fd *e;
    wasi_errno err;
    int n;
    int64_t r;

    if ((err = lookup_rw(c, ARG_I32(0), WASI_RIGHT_FD_READ, &e)) ||
        (err = lookup_seek(c, ARG_I32(0), WASI_RIGHT_FD_SEEK, &e)) ||
        (err = wasi_iovs(c, ARG_I32(1), ARG_I32(2), iov, &n)))
        return err;
    if (!wasi_mem(c, ARG_I32(4), 4))
        return OS_EFAULT;
    if (wasi_is_vfs(e)) {
        uint32_t k = 0;

        return (err = wasi_vfs_read(c, e, iov, n, true, ARG_I64(3), &k))
                   ? err
                   : wasi_store_u32(c, ARG_I32(4), k);
    }
    r = os_fs_preadv(e->host, iov, n, ARG_I64(3));
    if (r < 0)
        return neg(r);
    return wasi_store_u32(c, ARG_I32(4), (uint32_t)r);
}

/* fd_pwrite(fd, iovs, iovs_len, offset, out nwritten) */
static wasi_errno fd_pwrite(wasi_call *c)
{
    os_iovec iov[WASI_MAX_IOVS];
    wasi_fd *e;
    wasi_errno err;
    int n;
    int64_t r;

    if ((err = lookup_rw(c, ARG_I32(0), WASI_RIGHT_FD_WRITE, &e)) ||
        (err = lookup_seek(c, ARG_I32(0), WASI_RIGHT_FD_SEEK, &e)) ||
        (err = wasi_iovs(c, ARG_I32(1), ARG_I32(2), iov, &n)))
        return err;
    if (!wasi_mem(c, ARG_I32(4), 4))
        return OS_EFAULT;
    if (wasi_is_vfs(e)) {
        uint32_t k = 0;

        return (err = wasi_vfs_write(c, e, iov, n, true, ARG_I64(3), &k))
                   ? err
                   : wasi_store_u32(c, ARG_I32(4), k);
    }
    r = os_fs_pwritev(e->host, iov, n, ARG_I64(3));
    if (r < 0)
        return neg(r);
    return wasi_store_u32(c, ARG_I32(4), (uint32_t)r);
}

/* ---- Seeking --------------------------------------------------------------- */

/* fd_seek(fd, offset i64, whence u8, out newoffset u64) */
static wasi_errno fd_seek(wasi_call *c)
{
    int64_t off = (int64_t)ARG_I64(1);
    uint32_t whence = ARG_I32(2);
    uint64_t need = WASI_RIGHT_FD_SEEK;
    wasi_fd *e;
    wasi_errno err;
    int64_t r;

    /* Asking where we are is fd_tell. */
    if (off == 0 && whence == 1)
        need = WASI_RIGHT_FD_TELL;
    if ((err = lookup_seek(c, ARG_I32(0), need, &e)))
        return err;
    if (whence > 2)
        return OS_EINVAL;
    if (!wasi_mem(c, ARG_I32(3), 8))
        return OS_EFAULT;
    if (wasi_is_vfs(e)) {
        uint64_t pos = 0;

        return (err = wasi_vfs_seek(e, off, (int)whence, &pos))
                   ? err
                   : wasi_store_u64(c, ARG_I32(3), pos);
    }
    r = os_fs_seek(e->host, off, (int)whence);
    if (r < 0)
        return neg(r);
    return wasi_store_u64(c, ARG_I32(3), (uint64_t)r);
}

/* fd_tell(fd, out offset u64) */
static wasi_errno fd_tell(wasi_call *c)
{
    wasi_fd *e;
    wasi_errno err;
    int64_t r;

    if ((err = lookup_seek(c, ARG_I32(0), WASI_RIGHT_FD_TELL, &e)))
        return err;
    if (!wasi_mem(c, ARG_I32(1), 8))
        return OS_EFAULT;
    if (wasi_is_vfs(e)) {
        uint64_t pos = 0;

        return (err = wasi_vfs_seek(e, 0, 1, &pos))
                   ? err
                   : wasi_store_u64(c, ARG_I32(1), pos);
    }
    r = os_fs_seek(e->host, 0, 1);
    if (r < 0)
        return neg(r);
    return wasi_store_u64(c, ARG_I32(1), (uint64_t)r);
}

/* ---- Status and flags -------------------------------------------------------- */

static uint16_t fdflags_of(int fl)
{
    uint16_t f = 0;

    if (fl & OS_O_APPEND) f |= WASI_FDFLAG_APPEND;
    if (fl & OS_O_NONBLOCK) f |= WASI_FDFLAG_NONBLOCK;
    if (fl & OS_O_DSYNC) f |= WASI_FDFLAG_DSYNC;
    if (fl & OS_O_SYNC) f |= WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC;
    return f;
}

/* fd_fdstat_get(fd, out fdstat): filetype u8 @0, flags u16 @2, rights_base
 * u64 @8, rights_inheriting u64 @16. */
static wasi_errno fd_fdstat_get(wasi_call *c)
{
    wasi_fd *e;
    uint8_t *p;
    int fl;

    if (!(e = wasi_fd_get(c->w, ARG_I32(0))))
        return OS_EBADF;
    if (!(p = wasi_mem(c, ARG_I32(1), 24)))
        return OS_EFAULT;
    fl = wasi_is_vfs(e) ? (e->append ? OS_O_APPEND : 0) | e->sync
                        : os_fs_getfl(e->host);
    memset(p, 0, 24);
    wasi_put_u8(p, e->type);
    wasi_put_u16(p + 2, fl < 0 ? 0 : fdflags_of(fl));
    wasi_put_u64(p + 8, e->rights_base);
    wasi_put_u64(p + 16, e->rights_inheriting);
    return WASI_OK;
}

/* fd_fdstat_set_flags(fd, fdflags u16): APPEND and NONBLOCK can change;
 * the sync flags are fixed at open. */
static wasi_errno fd_fdstat_set_flags(wasi_call *c)
{
    uint32_t want = ARG_I32(1);
    const uint32_t sync = WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC |
                          WASI_FDFLAG_SYNC;
    wasi_fd *e;
    wasi_errno err;
    int fl, r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0),
                              WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &e)))
        return err;
    if (want & ~(uint32_t)0x1f)
        return OS_EINVAL;
    if (wasi_is_vfs(e)) {
        if ((want & sync) && (want & sync) != (fdflags_of(e->sync) & sync))
            return OS_ENOTSUP;
        e->append = (want & WASI_FDFLAG_APPEND) != 0;
        return WASI_OK;
    }
    if ((fl = os_fs_getfl(e->host)) < 0)
        return neg(fl);
    if ((want & sync) && (want & sync) != (fdflags_of(fl) & sync))
        return OS_ENOTSUP;
    r = os_fs_setfl(e->host, ((want & WASI_FDFLAG_APPEND) ? OS_O_APPEND : 0) |
                                 ((want & WASI_FDFLAG_NONBLOCK) ? OS_O_NONBLOCK
                                                                : 0));
    return r < 0 ? neg(r) : WASI_OK;
}

/* fd_fdstat_set_rights(fd, base u64, inheriting u64): rights only shrink. */
static wasi_errno fd_fdstat_set_rights(wasi_call *c)
{
    uint64_t base = ARG_I64(1), inh = ARG_I64(2);
    wasi_fd *e;

    if (!(e = wasi_fd_get(c->w, ARG_I32(0))))
        return OS_EBADF;
    if ((base & ~e->rights_base) || (inh & ~e->rights_inheriting))
        return OS_ENOTCAPABLE;
    e->rights_base = base;
    e->rights_inheriting = inh;
    return WASI_OK;
}

/* fd_close(fd) */
static wasi_errno fd_close(wasi_call *c)
{
    return wasi_fd_close(c->w, ARG_I32(0));
}

/* fd_renumber(from, to) */
static wasi_errno fd_renumber(wasi_call *c)
{
    return wasi_fd_renumber(c->w, ARG_I32(0), ARG_I32(1));
}

/* fd_sync(fd) */
static wasi_errno fd_sync(wasi_call *c)
{
    wasi_fd *e;
    wasi_errno err;
    int r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_FD_SYNC, &e)))
        return err;
    if (wasi_is_vfs(e))
        return wasi_vfs_sync(e);
    r = os_fs_fsync(e->host);
    return r < 0 ? neg(r) : WASI_OK;
}

/* fd_datasync(fd) */
static wasi_errno fd_datasync(wasi_call *c)
{
    wasi_fd *e;
    wasi_errno err;
    int r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_FD_DATASYNC, &e)))
        return err;
    if (wasi_is_vfs(e))
        return wasi_vfs_sync(e);
    r = os_fs_fdatasync(e->host);
    return r < 0 ? neg(r) : WASI_OK;
}

/* fd_advise(fd, offset u64, len u64, advice u8) */
static wasi_errno fd_advise(wasi_call *c)
{
    wasi_fd *e;
    wasi_errno err;
    int r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_FD_ADVISE, &e)))
        return err;
    if (ARG_I32(3) > 5)
        return OS_EINVAL;
    if (e->type != OS_FT_REG || wasi_is_vfs(e))
        return WASI_OK;  /* advice is only a hint */
    r = os_fs_fadvise(e->host, ARG_I64(1), ARG_I64(2), (int)ARG_I32(3));
    return r < 0 ? neg(r) : WASI_OK;
}

/* fd_allocate(fd, offset u64, len u64) */
static wasi_errno fd_allocate(wasi_call *c)
{
    wasi_fd *e;
    wasi_errno err;
    int r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_FD_ALLOCATE, &e)))
        return err;
    if (wasi_is_vfs(e)) {
        os_stat st;
        uint64_t end = ARG_I64(1) + ARG_I64(2);

        if (end < ARG_I64(1))
            return OS_EFBIG;
        if ((err = wasi_vfs_fstat(e, &st)))
            return err;
        return end > st.size ? wasi_vfs_truncate(e, end) : WASI_OK;
    }
    r = os_fs_fallocate(e->host, ARG_I64(1), ARG_I64(2));
    return r < 0 ? neg(r) : WASI_OK;
}

/* ---- File stats and times ------------------------------------------------------ */

/* fd_filestat_get(fd, out filestat) */
static wasi_errno fd_filestat_get(wasi_call *c)
{
    wasi_fd *e;
    wasi_errno err;
    os_stat st;
    int r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_FD_FILESTAT_GET,
                              &e)))
        return err;
    if (!wasi_mem(c, ARG_I32(1), 64))
        return OS_EFAULT;
    if (wasi_is_vfs(e)) {
        if ((err = wasi_vfs_fstat(e, &st)))
            return err;
    } else if ((r = os_fs_fstat(e->host, &st)) < 0) {
        return neg(r);
    }
    /* Report the type the guest sees in fdstat (pipes are UNKNOWN). */
    st.type = e->type;
    return wasi_store_filestat(c, ARG_I32(1), &st);
}

/* fd_filestat_set_size(fd, size u64) */
static wasi_errno fd_filestat_set_size(wasi_call *c)
{
    wasi_fd *e;
    wasi_errno err;
    int r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0),
                              WASI_RIGHT_FD_FILESTAT_SET_SIZE, &e)))
        return err;
    if (wasi_is_vfs(e))
        return wasi_vfs_truncate(e, ARG_I64(1));
    r = os_fs_ftruncate(e->host, ARG_I64(1));
    return r < 0 ? neg(r) : WASI_OK;
}

wasi_errno wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst,
                      uint64_t *out_a, uint64_t *out_m)
{
    enum { ATIM = 1, ATIM_NOW = 2, MTIM = 4, MTIM_NOW = 8 };

    if (fst & ~(uint32_t)0xf)
        return OS_EINVAL;
    if (((fst & ATIM) && (fst & ATIM_NOW)) ||
        ((fst & MTIM) && (fst & MTIM_NOW)))
        return OS_EINVAL;
    /* Timestamps that collide with the special values are clamped. */
    if (atim >= OS_TIME_OMIT)
        atim = OS_TIME_OMIT - 1;
    if (mtim >= OS_TIME_OMIT)
        mtim = OS_TIME_OMIT - 1;
    *out_a = (fst & ATIM_NOW) ? OS_TIME_NOW : (fst & ATIM) ? atim : OS_TIME_OMIT;
    *out_m = (fst & MTIM_NOW) ? OS_TIME_NOW : (fst & MTIM) ? mtim : OS_TIME_OMIT;
    return WASI_OK;
}

/* fd_filestat_set_times(fd, atim u64, mtim u64, fstflags u16) */
static wasi_errno fd_filestat_set_times(wasi_call *c)
{
    uint64_t a, m;
    wasi_fd *e;
    wasi_errno err;
    int r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0),
                              WASI_RIGHT_FD_FILESTAT_SET_TIMES, &e)) ||
        (err = wasi_times(ARG_I64(1), ARG_I64(2), ARG_I32(3), &a, &m)))
        return err;
    if (wasi_is_vfs(e))
        return OS_ENOTSUP;   /* sealed files keep their modification time */
    r = os_fs_utimens(e->host, NULL, a, m);
    return r < 0 ? neg(r) : WASI_OK;
}

/* ---- Preopens ---------------------------------------------------------------- */

/* fd_prestat_get(fd, out prestat): tag u8 @0 (0: dir), name_len u32 @4. */
static wasi_errno fd_prestat_get(wasi_call *c)
{
    wasi_fd *e = wasi_fd_get(c->w, ARG_I32(0));
    uint8_t *p;

    if (!e || !e->preopen)
        return OS_EBADF;
    if (!(p = wasi_mem(c, ARG_I32(1), 8)))
        return OS_EFAULT;
    memset(p, 0, 8);
    wasi_put_u32(p + 4, e->guest_len);
    return WASI_OK;
}

/* fd_prestat_dir_name(fd, path, path_len): the name, not NUL-terminated. */
static wasi_errno fd_prestat_dir_name(wasi_call *c)
{
    wasi_fd *e = wasi_fd_get(c->w, ARG_I32(0));
    uint8_t *p;

    if (!e || !e->preopen)
        return OS_EBADF;
    if (ARG_I32(2) < e->guest_len)
        return OS_ENAMETOOLONG;
    if (!(p = wasi_mem(c, ARG_I32(1), e->guest_len)))
        return OS_EFAULT;
    memcpy(p, e->guest_path, e->guest_len);
    return WASI_OK;
}

/* ---- Directory listing ----------------------------------------------------------- */

/* Read the whole directory once; cookies index this snapshot, so a
 * listing resumed with a cookie neither skips nor repeats entries. */
static wasi_errno dir_fill(wasi_ctx *w, wasi_fd *e)
{
    os_dirbuf b;
    os_dirent d;
    uint64_t cap = 0;
    int r;

    wasi_fd_dir_drop(w, e);
    if ((r = os_fs_dir_rewind(e->host, &b)) < 0)
        return neg(r);
    while ((r = os_fs_dir_next(e->host, &b, &d)) > 0) {
        wasi_dirent *de;

        if (e->ndir == cap) {
            uint64_t ncap = cap ? cap * 2 : 16;
            wasi_dirent *n = wasi_realloc(w, e->dir, ncap * sizeof *n);

            if (!n)
                return OS_ENOMEM;
            e->dir = n;
            cap = ncap;
        }
        de = &e->dir[e->ndir];
        de->name = wasi_strndup(w, d.name, d.namelen);
        if (!de->name)
            return OS_ENOMEM;
        de->namelen = (uint32_t)d.namelen;
        de->ino = d.ino;
        de->type = d.type;
        e->ndir++;
    }
    return r < 0 ? neg(r) : WASI_OK;
}

/* fd_readdir(fd, buf, buf_len, cookie u64, out bufused). Each entry is a
 * 24-byte dirent (d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type
 * u8 @20) then the name; the last one is cut at buf_len, and bufused ==
 * buf_len tells the guest there may be more. */
static wasi_errno fd_readdir(wasi_call *c)
{
    uint32_t len = ARG_I32(2), used = 0;
    uint64_t cookie = ARG_I64(3);
    wasi_fd *e;
    wasi_errno err;
    uint8_t *buf;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_FD_READDIR, &e)))
        return err;
    if (e->type != OS_FT_DIR)
        return OS_ENOTDIR;
    if (!(buf = wasi_mem(c, ARG_I32(1), len)) || !wasi_mem(c, ARG_I32(4), 4))
        return OS_EFAULT;
    if (cookie == 0 || !e->dir)
        if ((err = wasi_is_vfs(e) ? wasi_vfs_readdir_fill(c->w, e)
                                  : dir_fill(c->w, e)))
            return err;
    for (uint64_t i = cookie; i < e->ndir && used < len; i++) {
        const wasi_dirent *d = &e->dir[i];
        uint8_t h[24];
        uint32_t k;

        memset(h, 0, sizeof h);
        wasi_put_u64(h, i + 1);
        wasi_put_u64(h + 8, d->ino);
        wasi_put_u32(h + 16, d->namelen);
        wasi_put_u8(h + 20, d->type);
        k = len - used < 24 ? len - used : 24;
        memcpy(buf + used, h, k);
        used += k;
        k = len - used < d->namelen ? len - used : d->namelen;
        memcpy(buf + used, d->name, k);
        used += k;
    }
    return wasi_store_u32(c, ARG_I32(4), used);
}

/* ---- The imports ------------------------------------------------------------------ */

const wasi_func wasi_fd_funcs[] = {
    {"fd_advise", "iIIi", fd_advise},
    {"fd_allocate", "iII", fd_allocate},
    {"fd_close", "i", fd_close},
    {"fd_datasync", "i", fd_datasync},
    {"fd_fdstat_get", "ii", fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", fd_filestat_get},
    {"fd_filestat_set_size", "iI", fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", fd_filestat_set_times},
    {"fd_pread", "iiiIi", fd_pread},
    {"fd_prestat_get", "ii", fd_prestat_get},
    {"fd_prestat_dir_name", "iii", fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", fd_pwrite},
    {"fd_read", "iiii", fd_read},
    {"fd_readdir", "iiiIi", fd_readdir},
    {"fd_renumber", "ii", fd_renumber},
    {"fd_seek", "iIii", fd_seek},
    {"fd_sync", "i", fd_sync},
    {"fd_tell", "ii", fd_tell},
    {"fd_write", "iiii", fd_write},
    {NULL, NULL, NULL},
};
