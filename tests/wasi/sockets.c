/* sockets.c - sock_accept on the socket `mantle run --listen` preopens,
 * sock_recv (with and without PEEK), sock_send, sock_shutdown, and fd_read/
 * fd_write on an accepted connection.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The driver connects twice, one after the other. Each time it sends one
 * line and expects back the line in upper case, a space and its length.
 */
#include <ctype.h>
#include <unistd.h>

#include "wasi_test.h"

#define MS 1000000ull

static __wasi_fd_t find_listener(void)
{
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_fdstat_t fs;
        if (__wasi_fd_fdstat_get(fd, &fs) == 0 &&
            fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM)
            return fd;
    }
    FAIL("no preopened stream socket (run with --listen)");
}

/* Wait (10 s at most) for fd to be readable, then accept. */
static __wasi_fd_t accept_one(__wasi_fd_t ls)
{
    for (int tries = 0; tries < 1000; tries++) {
        __wasi_subscription_t s[2];
        __wasi_event_t ev[2];
        __wasi_size_t n;
        __wasi_fd_t c;

        memset(s, 0, sizeof s);
        s[0].userdata = 1;
        s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
        s[0].u.u.fd_read.file_descriptor = ls;
        s[1].userdata = 2;
        s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
        s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        s[1].u.u.clock.timeout = 10000 * MS;
        CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
        CHECK(n >= 1);
        if (n == 1 && ev[0].userdata == 2)
            FAIL("no connection within 10 s");
        __wasi_errno_t e = __wasi_sock_accept(ls, 0, &c);
        if (e == __WASI_ERRNO_AGAIN)
            continue;
        CHECK_OK(e);
        return c;
    }
    FAIL("accept: EAGAIN 1000 times");
}

/* One line (without its '\n') from c, by sock_recv or by fd_read. */
static size_t recv_line(__wasi_fd_t c, char *buf, size_t cap, int use_read)
{
    size_t len = 0;

    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buf + len, 1};
        __wasi_size_t n;
        __wasi_roflags_t ro = 0;

        CHECK(len < cap - 1);
        if (use_read) {
            CHECK_OK(__wasi_fd_read(c, &iov, 1, &n));
        } else {
            CHECK_OK(__wasi_sock_recv(c, &iov, 1, 0, &n, &ro));
            CHECK(ro == 0);
        }
        CHECK(n == 1); /* the driver sends a whole line before any EOF */
        if (buf[len] == '\n')
            break;
        len++;
    }
    buf[len] = '\0';
    return len;
}

static void reply(__wasi_fd_t c, const char *line, size_t len, int use_write)
{
    char out[300];
    size_t i;

    for (i = 0; i < len; i++)
        out[i] = (char)toupper((unsigned char)line[i]);
    snprintf(out + len, sizeof out - len, " %zu\n", len);
    size_t total = strlen(out), off = 0;
    while (off < total) {
        __wasi_ciovec_t v = {(const uint8_t *)out + off, total - off};
        __wasi_size_t n;
        if (use_write)
            CHECK_OK(__wasi_fd_write(c, &v, 1, &n));
        else
            CHECK_OK(__wasi_sock_send(c, &v, 1, 0, &n));
        CHECK(n > 0);
        off += n;
    }
}

static void wait_eof(__wasi_fd_t c)
{
    char b[16];
    __wasi_iovec_t iov = {(uint8_t *)b, sizeof b};
    __wasi_size_t n;
    __wasi_roflags_t ro;

    /* the driver closes after reading the reply: recv returns 0 */
    CHECK_OK(__wasi_sock_recv(c, &iov, 1, 0, &n, &ro));
    CHECK(n == 0);
}

int main(void)
{
    __wasi_fd_t ls = find_listener(), c;
    __wasi_fdstat_t fs;
    __wasi_prestat_t ps;
    __wasi_filesize_t off;
    char line[256];
    size_t len;

    /* the listener is a socket, not a preopened directory */
    CHECK_ERR(__wasi_fd_prestat_get(ls, &ps), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_seek(ls, 0, __WASI_WHENCE_CUR, &off),
              __WASI_ERRNO_SPIPE);
    __wasi_fd_t bogus;
    CHECK_ERR2(__wasi_path_open(ls, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0,
                                &bogus),
               __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOTCAPABLE);

    /* client 1: sock_recv with PEEK first, then sock_recv/sock_send */
    c = accept_one(ls);
    CHECK(c != ls);
    CHECK_OK(__wasi_fd_fdstat_get(c, &fs));
    CHECK(fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
    {
        char p1[4], p2[4];
        __wasi_iovec_t iov = {(uint8_t *)p1, sizeof p1};
        __wasi_size_t n;
        __wasi_roflags_t ro;
        /* PEEK (with WAITALL, so all 4 bytes) leaves the data queued */
        CHECK_OK(__wasi_sock_recv(c, &iov, 1,
                                  __WASI_RIFLAGS_RECV_PEEK |
                                      __WASI_RIFLAGS_RECV_WAITALL,
                                  &n, &ro));
        CHECK(n == 4);
        iov.buf = (uint8_t *)p2;
        CHECK_OK(__wasi_sock_recv(c, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &n,
                                  &ro));
        CHECK(n >= 1 && memcmp(p1, p2, n) == 0);
        len = recv_line(c, line, sizeof line, 0);
        CHECK(len >= 4 && memcmp(line, p1, 4) == 0);
    }
    reply(c, line, len, 0);
    /* shut the write side: a later send fails with EPIPE (no SIGPIPE may
     * kill the runtime), and the peer sees EOF after the reply */
    CHECK_OK(__wasi_sock_shutdown(c, __WASI_SDFLAGS_WR));
    {
        __wasi_ciovec_t v = {(const uint8_t *)"late", 4};
        __wasi_size_t n;
        CHECK_ERR(__wasi_sock_send(c, &v, 1, 0, &n), __WASI_ERRNO_PIPE);
    }
    wait_eof(c);
    CHECK_OK(__wasi_fd_close(c));
    CHECK_ERR(__wasi_sock_shutdown(c, __WASI_SDFLAGS_RD), __WASI_ERRNO_BADF);

    /* client 2: plain fd_read/fd_write on the connection */
    c = accept_one(ls);
    len = recv_line(c, line, sizeof line, 1);
    reply(c, line, len, 1);
    CHECK_OK(__wasi_sock_shutdown(c, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR));
    CHECK_OK(__wasi_fd_close(c));

    /* a nonblocking accept with nobody waiting: EAGAIN, not a hang */
    {
        __wasi_fd_t ls2 = ls;
        CHECK_OK(__wasi_fd_fdstat_get(ls2, &fs));
        CHECK_OK(__wasi_fd_fdstat_set_flags(ls2, __WASI_FDFLAGS_NONBLOCK));
        CHECK_ERR(__wasi_sock_accept(ls2, 0, &c), __WASI_ERRNO_AGAIN);
    }
    printf("ok\n");
    return 0;
}
