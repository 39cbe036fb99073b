/* fdtable.c - the per-instance capability table: guest fds to host
 * descriptors and their rights.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Invariant: a guest fd names an entry of this table only; the host
 * descriptor inside never reaches the guest, and every operation checks
 * the entry's rights before it touches the host.
 */
#include "wasi/wasi_int.h"

#define RIGHTS_FILE                                                         \
    ((uint64_t)(WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ |               \
                WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |       \
                WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL |                   \
                WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE |                \
                WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_GET |       \
                WASI_RIGHT_FD_FILESTAT_SET_SIZE |                           \
                WASI_RIGHT_FD_FILESTAT_SET_TIMES |                          \
                WASI_RIGHT_POLL_FD_READWRITE))

#define RIGHTS_DIR                                                          \
    ((uint64_t)(WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC |       \
                WASI_RIGHT_FD_ADVISE | WASI_RIGHT_PATH_CREATE_DIRECTORY |   \
                WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE | \
                WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |        \
                WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK |          \
                WASI_RIGHT_PATH_RENAME_SOURCE |                             \
                WASI_RIGHT_PATH_RENAME_TARGET |                             \
                WASI_RIGHT_PATH_FILESTAT_GET |                              \
                WASI_RIGHT_PATH_FILESTAT_SET_SIZE |                         \
                WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                        \
                WASI_RIGHT_FD_FILESTAT_GET |                                \
                WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK | \
                WASI_RIGHT_PATH_REMOVE_DIRECTORY |                          \
                WASI_RIGHT_PATH_UNLINK_FILE | WASI_RIGHT_POLL_FD_READWRITE))

#define RIGHTS_SOCKET                                                       \
    ((uint64_t)(WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE |                  \
                WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET | \
                WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN | \
                WASI_RIGHT_SOCK_ACCEPT))

uint64_t wasi_rights_for(uint8_t type, bool tty)
{
    switch (type) {
    case OS_FT_DIR: return RIGHTS_DIR;
    case OS_FT_SOCK_STREAM:
    case OS_FT_SOCK_DGRAM: return RIGHTS_SOCKET;
    case OS_FT_CHAR:
        /* wasi-libc's isatty(): a character device without seek/tell. */
        return tty ? RIGHTS_FILE & ~(uint64_t)(WASI_RIGHT_FD_SEEK |
                                               WASI_RIGHT_FD_TELL)
                   : RIGHTS_FILE;
    case OS_FT_UNKNOWN: /* pipes */
        return RIGHTS_FILE & ~(uint64_t)(WASI_RIGHT_FD_SEEK |
                                         WASI_RIGHT_FD_TELL);
    default: return RIGHTS_FILE;
    }
}

wasi_fd *wasi_fd_get(wasi_ctx *w, uint32_t fd)
{
    if (fd >= w->nfds || !w->fds[fd].used)
        return NULL;
    return &w->fds[fd];
}

wasi_errno wasi_fd_lookup(wasi_ctx *w, uint32_t fd, uint64_t need,
                          wasi_fd **out)
{
    wasi_fd *e = wasi_fd_get(w, fd);

    if (!e)
        return OS_EBADF;
    if ((e->rights_base & need) != need)
        return OS_ENOTCAPABLE;
    *out = e;
    return WASI_OK;
}

wasi_errno wasi_fd_install(wasi_ctx *w, int host, bool own, uint64_t base,
                           uint64_t inheriting, uint32_t *out_fd)
{
    uint32_t fd;
    wasi_fd *e;
    int t;

    for (fd = 0; fd < w->nfds; fd++)
        if (!w->fds[fd].used)
            break;
    if (fd == w->nfds) {
        uint32_t n = w->nfds ? w->nfds * 2 : 8;
        wasi_fd *nf;

        if (w->nfds >= WASI_MAX_FDS)
            return OS_EMFILE;
        if (n > WASI_MAX_FDS)
            n = WASI_MAX_FDS;
        nf = wasi_realloc(w, w->fds, n * sizeof *nf);
        if (!nf)
            return OS_ENOMEM;
        memset(nf + w->nfds, 0, (n - w->nfds) * sizeof *nf);
        w->fds = nf;
        w->nfds = n;
    }
    t = os_fs_ftype(host);
    e = &w->fds[fd];
    memset(e, 0, sizeof *e);
    e->used = true;
    e->own = own;
    e->host = host;
    e->type = t < 0 ? OS_FT_UNKNOWN : (uint8_t)t;
    e->rights_base = base & wasi_rights_for(e->type, false);
    e->rights_inheriting = e->type == OS_FT_DIR ? inheriting : 0;
    *out_fd = fd;
    return WASI_OK;
}

void wasi_fd_dir_drop(wasi_ctx *w, wasi_fd *e)
{
    for (uint64_t i = 0; i < e->ndir; i++)
        wasi_free(w, e->dir[i].name);
    wasi_free(w, e->dir);
    e->dir = NULL;
    e->ndir = 0;
}

static void entry_clear(wasi_ctx *w, wasi_fd *e)
{
    if (e->own)
        os_fs_close(e->host);
    wasi_vfs_close(e);
    wasi_free(w, e->vfs_path);
    wasi_fd_dir_drop(w, e);
    wasi_free(w, e->guest_path);
    memset(e, 0, sizeof *e);
}

wasi_errno wasi_fd_close(wasi_ctx *w, uint32_t fd)
{
    wasi_fd *e = wasi_fd_get(w, fd);
    wasi_errno err;

    if (!e)
        return OS_EBADF;
    /* Closing a sealed file commits it: a failure is the guest's EIO. */
    err = wasi_vfs_close(e);
    entry_clear(w, e);
    return err;
}

wasi_errno wasi_fd_renumber(wasi_ctx *w, uint32_t from, uint32_t to)
{
    wasi_fd *f = wasi_fd_get(w, from), *t = wasi_fd_get(w, to);

    if (!f || !t)
        return OS_EBADF;
    if (from == to)
        return WASI_OK;
    entry_clear(w, t);
    *t = *f;
    memset(f, 0, sizeof *f);
    return WASI_OK;
}

void wasi_fdtable_free(wasi_ctx *w)
{
    for (uint32_t i = 0; i < w->nfds; i++)
        if (w->fds[i].used)
            entry_clear(w, &w->fds[i]);
    wasi_free(w, w->fds);
    w->fds = NULL;
    w->nfds = 0;
}
