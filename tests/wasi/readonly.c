/* readonly.c - a --dir-ro preopen: reading works, every write is refused and
 * the host directory is unchanged (run_tests.sh compares it); a --dir
 * preopen beside it stays writable.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Layout: T/ro/data.txt "readonly data", T/ro/sub/, T/ro/link -> data.txt,
 *         --dir-ro T/ro::/ro  --dir T/rw::/rw
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_test.h"

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

/* A write refused: by rights (NOTCAPABLE), by the host (PERM/ACCES/ROFS),
 * or, on a descriptor not open for writing, EBADF as POSIX says. */
#define CHECK_RO(call)                                                         \
    do {                                                                       \
        unsigned e_ = (call);                                                  \
        if (!wt_denied(e_) && e_ != __WASI_ERRNO_ROFS &&                       \
            e_ != __WASI_ERRNO_BADF)                                           \
            FAIL("%s: got %s, want NOTCAPABLE, PERM, ACCES, ROFS or BADF",     \
                 #call, wt_errname(e_));                                       \
    } while (0)

/* The rights a reader needs, and nothing that writes. */
#define READ_RIGHTS                                                            \
    (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |   \
     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR |                \
     __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_FILESTAT_GET |               \
     __WASI_RIGHTS_PATH_READLINK)

/* Read dir/path (NUL-terminated into buf) with READ_RIGHTS only. */
static void ro_get(__wasi_fd_t dir, const char *path,
                   __wasi_lookupflags_t lookup, char *buf, size_t cap)
{
    __wasi_fd_t fd;
    __wasi_size_t n;
    __wasi_iovec_t iov = {(uint8_t *)buf, cap - 1};

    CHECK_OK(__wasi_path_open(dir, lookup, path, 0, READ_RIGHTS, 0, 0, &fd));
    CHECK_OK(__wasi_fd_read(fd, &iov, 1, &n));
    buf[n] = '\0';
    CHECK_OK(__wasi_fd_close(fd));
}

int main(void)
{
    __wasi_fd_t ro = wt_preopen("/ro"), rw = wt_preopen("/rw"), fd;
    __wasi_fdstat_t fs;
    __wasi_filestat_t st;
    __wasi_size_t n;
    char buf[64];

    /* the preopen itself carries no right to change its entries. (Its
     * inheriting rights are the host's choice: wasi-libc masks what it asks
     * for with them, so advertising FD_WRITE there and refusing it at
     * path_open is what makes open(O_WRONLY) fail at once, as it should.) */
    CHECK_OK(__wasi_fd_fdstat_get(ro, &fs));
    CHECK((fs.fs_rights_base &
           (__WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_CREATE_DIRECTORY |
            __WASI_RIGHTS_PATH_UNLINK_FILE | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |
            __WASI_RIGHTS_PATH_RENAME_TARGET | __WASI_RIGHTS_PATH_SYMLINK |
            __WASI_RIGHTS_PATH_LINK_TARGET)) == 0);

    /* reading: files, links, listing, stat */
    ro_get(ro, "data.txt", 0, buf, sizeof buf);
    CHECK(strcmp(buf, "readonly data") == 0);
    ro_get(ro, "link", FOLLOW, buf, sizeof buf);
    CHECK(strcmp(buf, "readonly data") == 0);
    CHECK_OK(__wasi_path_readlink(ro, "link", (uint8_t *)buf, sizeof buf, &n));
    CHECK(n == 8 && memcmp(buf, "data.txt", 8) == 0);
    CHECK_OK(__wasi_path_filestat_get(ro, 0, "sub", &st));
    CHECK(st.filetype == __WASI_FILETYPE_DIRECTORY);
    uint8_t dbuf[1024];
    CHECK_OK(__wasi_fd_readdir(ro, dbuf, sizeof dbuf, 0, &n));
    CHECK(n > 0);

    /* asking for write rights on open: refused, not silently narrowed */
    CHECK_RO(__wasi_path_open(ro, 0, "data.txt", 0,
                              __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0,
                              0, &fd));
    CHECK_RO(wt_open(ro, "new.txt", 0, __WASI_OFLAGS_CREAT, 0, &fd));
    CHECK_RO(wt_open(ro, "data.txt", 0, __WASI_OFLAGS_TRUNC, 0, &fd));
    CHECK_RO(wt_open(ro, "sub/new.txt", 0, __WASI_OFLAGS_CREAT, 0, &fd));
    CHECK_RO(__wasi_path_create_directory(ro, "newdir"));
    CHECK_RO(__wasi_path_remove_directory(ro, "sub"));
    CHECK_RO(__wasi_path_unlink_file(ro, "data.txt"));
    CHECK_RO(__wasi_path_unlink_file(ro, "link"));
    CHECK_RO(__wasi_path_rename(ro, "data.txt", ro, "moved.txt"));
    CHECK_RO(__wasi_path_rename(ro, "data.txt", rw, "moved.txt"));
    CHECK_RO(__wasi_path_symlink("data.txt", ro, "newlink"));
    CHECK_RO(__wasi_path_link(ro, 0, "data.txt", ro, "hard"));
    CHECK_RO(__wasi_path_filestat_set_times(ro, 0, "data.txt", 0, 0,
                                            __WASI_FSTFLAGS_MTIM_NOW));

    /* a file opened for reading cannot be written, truncated or retimed */
    CHECK_OK(__wasi_path_open(ro, 0, "data.txt", 0, READ_RIGHTS, 0, 0, &fd));
    __wasi_ciovec_t w = {(const uint8_t *)"x", 1};
    CHECK_RO(__wasi_fd_write(fd, &w, 1, &n));
    CHECK_RO(__wasi_fd_pwrite(fd, &w, 1, 0, &n));
    CHECK_RO(__wasi_fd_filestat_set_size(fd, 0));
    CHECK_RO(__wasi_fd_allocate(fd, 0, 100));
    CHECK_RO(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    /* and rights cannot be widened again */
    CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK_ERR(__wasi_fd_fdstat_set_rights(
                  fd, fs.fs_rights_base | __WASI_RIGHTS_FD_WRITE,
                  fs.fs_rights_inheriting),
              __WASI_ERRNO_NOTCAPABLE);
    CHECK_OK(__wasi_fd_close(fd));
    /* nor can a directory opened beneath it */
    __wasi_fd_t sub;
    CHECK_OK(__wasi_path_open(ro, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                              READ_RIGHTS, READ_RIGHTS, 0, &sub));
    CHECK_RO(wt_open(sub, "x.txt", 0, __WASI_OFLAGS_CREAT, 0, &fd));
    CHECK_OK(__wasi_fd_close(sub));

    /* libc */
    CHECK(open("/ro/data.txt", O_WRONLY) == -1);
    CHECK(open("/ro/data.txt", O_RDWR) == -1);
    CHECK(open("/ro/data.txt", O_RDONLY | O_TRUNC) == -1);
    CHECK(open("/ro/data.txt", O_WRONLY | O_APPEND) == -1);
    CHECK(open("/ro/libc.txt", O_CREAT | O_WRONLY, 0644) == -1);
    CHECK(mkdir("/ro/libc_dir", 0755) == -1);
    CHECK(unlink("/ro/data.txt") == -1);
    int lfd = open("/ro/data.txt", O_RDONLY);
    CHECK(lfd >= 0 && read(lfd, buf, 8) == 8 && close(lfd) == 0);

    /* the writable neighbour works, and can copy data out of /ro */
    ro_get(ro, "data.txt", 0, buf, sizeof buf);
    wt_put(rw, "copy.txt", buf);
    char got[64];
    CHECK_OK(wt_get(rw, "copy.txt", 0, got, sizeof got));
    CHECK(strcmp(got, "readonly data") == 0);
    printf("ok\n");
    return 0;
}
