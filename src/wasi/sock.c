/* sock.c - sock_accept, sock_recv, sock_send, sock_shutdown on the
 * listening sockets the embedder preopened and the connections they yield.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "config.h"
#include "wasi/wasi_int.h"

#if MANTLE_ENABLE_WASI_SOCKETS

#define RIFLAGS_RECV_PEEK 1
#define RIFLAGS_RECV_WAITALL 2

static bool is_socket(const wasi_fd *e)
{
    return e->type == OS_FT_SOCK_STREAM || e->type == OS_FT_SOCK_DGRAM;
}

/* sock_accept(fd, fdflags, out fd): only NONBLOCK may be asked for. */
static wasi_errno sock_accept(wasi_call *c)
{
    uint32_t flags = ARG_I32(1), fd;
    wasi_fd *e;
    wasi_errno err;
    int s;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_SOCK_ACCEPT, &e)))
        return err;
    if (!is_socket(e))
        return OS_ENOTSOCK;
    if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK)
        return OS_EINVAL;
    if (!wasi_mem(c, ARG_I32(2), 4))
        return OS_EFAULT;
    s = os_fs_accept(e->host, flags & WASI_FDFLAG_NONBLOCK);
    if (s < 0)
        return (wasi_errno)-s;
    if ((err = wasi_fd_install(c->w, s, true,
                               wasi_rights_for(OS_FT_SOCK_STREAM, false) &
                                   ~(uint64_t)WASI_RIGHT_SOCK_ACCEPT,
                               0, &fd))) {
        os_fs_close(s);
        return err;
    }
    return wasi_store_u32(c, ARG_I32(2), fd);
}

/* sock_recv(fd, ri_data, ri_data_len, ri_flags, out ro_datalen,
 * out ro_flags) */
static wasi_errno sock_recv(wasi_call *c)
{
    os_iovec iov[WASI_MAX_IOVS];
    uint32_t ri = ARG_I32(3);
    wasi_fd *e;
    wasi_errno err;
    int n;
    int64_t r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_FD_READ, &e)))
        return err;
    if (!is_socket(e))
        return OS_ENOTSOCK;
    if (ri & ~(uint32_t)(RIFLAGS_RECV_PEEK | RIFLAGS_RECV_WAITALL))
        return OS_EINVAL;
    if ((err = wasi_iovs(c, ARG_I32(1), ARG_I32(2), iov, &n)))
        return err;
    if (!wasi_mem(c, ARG_I32(4), 4) || !wasi_mem(c, ARG_I32(5), 2))
        return OS_EFAULT;
    r = os_fs_recv(e->host, iov, n,
                   ((ri & RIFLAGS_RECV_PEEK) ? OS_MSG_PEEK : 0) |
                       ((ri & RIFLAGS_RECV_WAITALL) ? OS_MSG_WAITALL : 0));
    if (r < 0)
        return (wasi_errno)-r;
    wasi_put_u16(wasi_mem(c, ARG_I32(5), 2), 0);
    return wasi_store_u32(c, ARG_I32(4), (uint32_t)r);
}

/* sock_send(fd, si_data, si_data_len, si_flags, out so_datalen) */
static wasi_errno sock_send(wasi_call *c)
{
    os_iovec iov[WASI_MAX_IOVS];
    wasi_fd *e;
    wasi_errno err;
    int n;
    int64_t r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_FD_WRITE, &e)))
        return err;
    if (!is_socket(e))
        return OS_ENOTSOCK;
    if (ARG_I32(3) != 0)
        return OS_EINVAL;
    if ((err = wasi_iovs(c, ARG_I32(1), ARG_I32(2), iov, &n)))
        return err;
    if (!wasi_mem(c, ARG_I32(4), 4))
        return OS_EFAULT;
    r = os_fs_send(e->host, iov, n);
    if (r < 0)
        return (wasi_errno)-r;
    return wasi_store_u32(c, ARG_I32(4), (uint32_t)r);
}

/* sock_shutdown(fd, sdflags): RD 1, WR 2. */
static wasi_errno sock_shutdown(wasi_call *c)
{
    uint32_t how = ARG_I32(1);
    wasi_fd *e;
    wasi_errno err;
    int r;

    if ((err = wasi_fd_lookup(c->w, ARG_I32(0), WASI_RIGHT_SOCK_SHUTDOWN,
                              &e)))
        return err;
    if (!is_socket(e))
        return OS_ENOTSOCK;
    if (how == 0 || how > 3)
        return OS_EINVAL;
    r = os_fs_shutdown(e->host, (int)how);
    return r < 0 ? (wasi_errno)-r : WASI_OK;
}

const wasi_func wasi_sock_funcs[] = {
    {"sock_accept", "iii", sock_accept},
    {"sock_recv", "iiiiii", sock_recv},
    {"sock_send", "iiiii", sock_send},
    {"sock_shutdown", "ii", sock_shutdown},
    {NULL, NULL, NULL},
};

#else /* !MANTLE_ENABLE_WASI_SOCKETS: the imports link, and fail. */

static wasi_errno sock_unsupported(wasi_call *c)
{
    (void)c;
    return OS_ENOTSUP;
}

const wasi_func wasi_sock_funcs[] = {
    {"sock_accept", "iii", sock_unsupported},
    {"sock_recv", "iiiiii", sock_unsupported},
    {"sock_send", "iiiii", sock_unsupported},
    {"sock_shutdown", "ii", sock_unsupported},
    {NULL, NULL, NULL},
};

#endif
