/* badfd.c - every fd-taking call on a closed or never-opened fd is EBADF;
 * path calls through a file fd are ENOTDIR; stdio is not a preopen.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <unistd.h>

#include "wasi_test.h"

static void all_badf(__wasi_fd_t bad)
{
    uint8_t buf[64];
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_ciovec_t ciov = {buf, 1};
    __wasi_size_t n;
    __wasi_filesize_t off;
    __wasi_fdstat_t fs;
    __wasi_filestat_t st;
    __wasi_prestat_t ps;
    __wasi_fd_t fd;
    __wasi_roflags_t ro;
    const __wasi_errno_t B = __WASI_ERRNO_BADF;

    CHECK_ERR(__wasi_fd_advise(bad, 0, 1, __WASI_ADVICE_NORMAL), B);
    CHECK_ERR(__wasi_fd_allocate(bad, 0, 1), B);
    CHECK_ERR(__wasi_fd_close(bad), B);
    CHECK_ERR(__wasi_fd_datasync(bad), B);
    CHECK_ERR(__wasi_fd_fdstat_get(bad, &fs), B);
    CHECK_ERR(__wasi_fd_fdstat_set_flags(bad, 0), B);
    CHECK_ERR(__wasi_fd_fdstat_set_rights(bad, 0, 0), B);
    CHECK_ERR(__wasi_fd_filestat_get(bad, &st), B);
    CHECK_ERR(__wasi_fd_filestat_set_size(bad, 0), B);
    CHECK_ERR(__wasi_fd_filestat_set_times(bad, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
              B);
    CHECK_ERR(__wasi_fd_pread(bad, &iov, 1, 0, &n), B);
    CHECK_ERR(__wasi_fd_prestat_get(bad, &ps), B);
    CHECK_ERR(__wasi_fd_prestat_dir_name(bad, buf, sizeof buf), B);
    CHECK_ERR(__wasi_fd_pwrite(bad, &ciov, 1, 0, &n), B);
    CHECK_ERR(__wasi_fd_read(bad, &iov, 1, &n), B);
    CHECK_ERR(__wasi_fd_readdir(bad, buf, sizeof buf, 0, &n), B);
    CHECK_ERR(__wasi_fd_renumber(bad, 1), B);
    CHECK_ERR(__wasi_fd_seek(bad, 0, __WASI_WHENCE_SET, &off), B);
    CHECK_ERR(__wasi_fd_sync(bad), B);
    CHECK_ERR(__wasi_fd_tell(bad, &off), B);
    CHECK_ERR(__wasi_fd_write(bad, &ciov, 1, &n), B);
    CHECK_ERR(__wasi_path_create_directory(bad, "x"), B);
    CHECK_ERR(__wasi_path_filestat_get(bad, 0, "x", &st), B);
    CHECK_ERR(__wasi_path_filestat_set_times(bad, 0, "x", 0, 0,
                                             __WASI_FSTFLAGS_MTIM_NOW),
              B);
    CHECK_ERR(__wasi_path_link(bad, 0, "x", bad, "y"), B);
    CHECK_ERR(__wasi_path_open(bad, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0,
                               &fd),
              B);
    CHECK_ERR(__wasi_path_readlink(bad, "x", buf, sizeof buf, &n), B);
    CHECK_ERR(__wasi_path_remove_directory(bad, "x"), B);
    CHECK_ERR(__wasi_path_rename(bad, "x", bad, "y"), B);
    CHECK_ERR(__wasi_path_symlink("x", bad, "y"), B);
    CHECK_ERR(__wasi_path_unlink_file(bad, "x"), B);
    CHECK_ERR(__wasi_sock_accept(bad, 0, &fd), B);
    CHECK_ERR(__wasi_sock_recv(bad, &iov, 1, 0, &n, &ro), B);
    CHECK_ERR(__wasi_sock_send(bad, &ciov, 1, 0, &n), B);
    CHECK_ERR(__wasi_sock_shutdown(bad, __WASI_SDFLAGS_RD), B);
}

int main(void)
{
    __wasi_fd_t dir = wt_preopen("/sandbox"), fd, good;
    __wasi_filestat_t st;

    /* never opened: a small number past the preopens, a huge one, -1 */
    all_badf(60);
    all_badf(0x7fffffff);
    all_badf(0xffffffffu);

    /* a closed fd, and the fd number is not silently reused by a renumber */
    wt_put(dir, "f.txt", "data");
    CHECK_OK(wt_open(dir, "f.txt", 0, 0, 0, &fd));
    CHECK_OK(__wasi_fd_close(fd));
    all_badf(fd);

    /* renumber onto a valid fd from a bad one leaves the target open */
    CHECK_OK(wt_open(dir, "f.txt", 0, 0, 0, &good));
    CHECK_ERR(__wasi_fd_renumber(60, good), __WASI_ERRNO_BADF);
    CHECK_OK(__wasi_fd_filestat_get(good, &st));
    CHECK(st.size == 4);

    /* a file fd is not a directory for path calls (ENOTDIR; or ENOTCAPABLE
     * where the host gave the file no PATH_* rights, as the spec allows) */
    CHECK_ERR2(__wasi_path_open(good, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0,
                                &fd),
               __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERR2(__wasi_path_create_directory(good, "x"), __WASI_ERRNO_NOTDIR,
               __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERR2(__wasi_path_filestat_get(good, 0, "x", &st),
               __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOTCAPABLE);
    /* socket calls on a file: not a socket (or, by rights, not capable) */
    __wasi_fd_t a;
    CHECK_ERR2(__wasi_sock_accept(good, 0, &a), __WASI_ERRNO_NOTSOCK,
               __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERR2(__wasi_sock_shutdown(good, __WASI_SDFLAGS_WR),
               __WASI_ERRNO_NOTSOCK, __WASI_ERRNO_NOTCAPABLE);
    {
        uint8_t b[4];
        __wasi_iovec_t iov = {b, sizeof b};
        __wasi_ciovec_t ciov = {b, 1};
        __wasi_size_t n;
        __wasi_roflags_t ro;
        CHECK_ERR2(__wasi_sock_recv(good, &iov, 1, 0, &n, &ro),
                   __WASI_ERRNO_NOTSOCK, __WASI_ERRNO_NOTCAPABLE);
        CHECK_ERR2(__wasi_sock_send(good, &ciov, 1, 0, &n),
                   __WASI_ERRNO_NOTSOCK, __WASI_ERRNO_NOTCAPABLE);
    }
    CHECK_OK(__wasi_fd_close(good));

    /* no such fd through libc */
    char c;
    CHECK(read(60, &c, 1) == -1 && errno == EBADF);
    CHECK(write(60, &c, 1) == -1 && errno == EBADF);
    CHECK(close(60) == -1 && errno == EBADF);
    CHECK(lseek(60, 0, SEEK_SET) == -1 && errno == EBADF);

    /* stdio is there, and not a preopen */
    __wasi_fdstat_t fs;
    __wasi_prestat_t ps;
    for (__wasi_fd_t s = 0; s < 3; s++) {
        CHECK_OK(__wasi_fd_fdstat_get(s, &fs));
        CHECK_ERR(__wasi_fd_prestat_get(s, &ps), __WASI_ERRNO_BADF);
    }
    printf("ok\n");
    return 0;
}
