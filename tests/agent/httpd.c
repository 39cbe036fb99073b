/* httpd.c - a tiny HTTP/1.0 responder for wasm32-wasi: the HTTP-triggered
 * workload of tests/agent. It serves the socket `mantle run --listen`
 * preopens, one connection at a time: reads the request head, answers
 * "hello from wasm: METHOD PATH" and closes.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static __wasi_fd_t listener(void)
{
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_fdstat_t fs;

        if (__wasi_fd_fdstat_get(fd, &fs) == 0 &&
            fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM)
            return fd;
    }
    fputs("httpd: no listening socket (--listen)\n", stderr);
    __wasi_proc_exit(2);
}

/* Block until fd is readable (poll_oneoff, no timeout). */
static void wait_readable(__wasi_fd_t fd)
{
    __wasi_subscription_t s;
    __wasi_event_t ev;
    __wasi_size_t n;

    memset(&s, 0, sizeof s);
    s.u.tag = __WASI_EVENTTYPE_FD_READ;
    s.u.u.fd_read.file_descriptor = fd;
    (void)!__wasi_poll_oneoff(&s, &ev, 1, &n);
}

static void serve(__wasi_fd_t c)
{
    char req[4096], body[512], head[256];
    size_t len = 0;
    __wasi_size_t got, sent;
    __wasi_roflags_t flags;

    while (len < sizeof req - 1) {
        __wasi_iovec_t iov = {(uint8_t *)req + len, sizeof req - 1 - len};
        __wasi_errno_t e = __wasi_sock_recv(c, &iov, 1, 0, &got, &flags);

        if (e == __WASI_ERRNO_AGAIN) {
            wait_readable(c);
            continue;
        }
        if (e != 0 || got == 0)
            break;
        len += got;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[len] = '\0';
    char method[16] = "?", path[256] = "?";
    sscanf(req, "%15s %255s", method, path);
    int n = snprintf(body, sizeof body, "hello from wasm: %s %s\n", method,
                     path);
    int h = snprintf(head, sizeof head,
                     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %d\r\nConnection: close\r\n\r\n",
                     n);
    __wasi_ciovec_t out[2] = {{(const uint8_t *)head, (size_t)h},
                              {(const uint8_t *)body, (size_t)n}};
    (void)!__wasi_sock_send(c, out, 2, 0, &sent); /* best effort */
    (void)!__wasi_sock_shutdown(c, __WASI_SDFLAGS_WR);
    (void)!__wasi_fd_close(c);
}

int main(void)
{
    __wasi_fd_t ls = listener();

    printf("httpd: serving\n");
    fflush(stdout);
    for (;;) {
        __wasi_fd_t c;
        __wasi_errno_t e = __wasi_sock_accept(ls, 0, &c);

        if (e == __WASI_ERRNO_AGAIN) {
            wait_readable(ls);
            continue;
        }
        if (e != 0)
            return 1;
        serve(c);
    }
}
