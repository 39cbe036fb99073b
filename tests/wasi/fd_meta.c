/* fd_meta.c - fd_filestat_get/set_size/set_times, fd_fdstat_get/set_flags/
 * set_rights, fd_advise, fd_allocate, fd_prestat_get/dir_name.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_test.h"

#define SEC 1000000000ull

static __wasi_fd_t dir;

/* An operation the descriptor has no right to: ENOTCAPABLE or EBADF. */
#define CHECK_REFUSED(call)                                                    \
    CHECK_ERR2(call, __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_BADF)

static void test_filestat_and_truncate(void)
{
    __wasi_fd_t fd;
    __wasi_filestat_t st, st2;
    __wasi_size_t n;
    char buf[32];

    CHECK_OK(wt_open(dir, "meta.txt", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.filetype == __WASI_FILETYPE_REGULAR_FILE);
    CHECK(st.size == 0);
    CHECK(st.nlink == 1);
    CHECK(st.ino != 0);
    CHECK_OK(wt_write_str(fd, "0123456789"));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.size == 10);
    /* the path view agrees: same device and inode */
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "meta.txt", &st2));
    CHECK(st2.dev == st.dev && st2.ino == st.ino && st2.size == 10);

    /* shrink: the tail is gone, the offset is unchanged */
    CHECK_OK(__wasi_fd_filestat_set_size(fd, 4));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.size == 4);
    __wasi_filesize_t pos;
    CHECK_OK(__wasi_fd_tell(fd, &pos));
    CHECK(pos == 10);
    /* grow: zero-filled */
    CHECK_OK(__wasi_fd_filestat_set_size(fd, 8));
    __wasi_iovec_t r = {(uint8_t *)buf, sizeof buf};
    CHECK_OK(__wasi_fd_pread(fd, &r, 1, 0, &n));
    CHECK(n == 8 && memcmp(buf, "0123\0\0\0\0", 8) == 0);
    CHECK_OK(__wasi_fd_close(fd));

    /* libc ftruncate/truncate/fstat/stat */
    int lfd = open("/sandbox/meta.txt", O_RDWR);
    struct stat ls;
    CHECK(lfd >= 0);
    CHECK(ftruncate(lfd, 2) == 0);
    CHECK(fstat(lfd, &ls) == 0 && ls.st_size == 2 && S_ISREG(ls.st_mode));
    CHECK(close(lfd) == 0);
    CHECK(truncate("/sandbox/meta.txt", 100) == 0);
    CHECK(stat("/sandbox/meta.txt", &ls) == 0 && ls.st_size == 100);
    CHECK(stat("/sandbox", &ls) == 0 && S_ISDIR(ls.st_mode));
}

static void test_fd_times(void)
{
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    __wasi_timestamp_t now;

    CHECK_OK(wt_open(dir, "times.txt", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    /* explicit times, whole seconds so every host file system keeps them */
    CHECK_OK(__wasi_fd_filestat_set_times(
        fd, 1000000000ull * SEC, 1100000000ull * SEC,
        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.atim == 1000000000ull * SEC);
    CHECK(st.mtim == 1100000000ull * SEC);
    /* only mtim: atim stays */
    CHECK_OK(__wasi_fd_filestat_set_times(fd, 0, 1200000000ull * SEC,
                                          __WASI_FSTFLAGS_MTIM));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.atim == 1000000000ull * SEC);
    CHECK(st.mtim == 1200000000ull * SEC);
    /* sub-second precision survives (to the microsecond: every Linux file
     * system the tests run on keeps at least that) */
    CHECK_OK(__wasi_fd_filestat_set_times(fd, 0, 1200000000ull * SEC + 5000,
                                          __WASI_FSTFLAGS_MTIM));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.mtim > 1200000000ull * SEC + 4000 &&
          st.mtim < 1200000000ull * SEC + 6000);
    /* MTIM_NOW: within a minute of the realtime clock */
    CHECK_OK(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    CHECK_OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.mtim + 60 * SEC > now && st.mtim < now + 60 * SEC);
    CHECK(st.atim == 1000000000ull * SEC);
    /* ATIM and ATIM_NOW together is invalid */
    CHECK_ERR(__wasi_fd_filestat_set_times(
                  fd, 5, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
              __WASI_ERRNO_INVAL);
    CHECK_ERR(__wasi_fd_filestat_set_times(
                  fd, 0, 5, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
              __WASI_ERRNO_INVAL);
    /* writing moves mtim forward from an old value */
    CHECK_OK(__wasi_fd_filestat_set_times(fd, 0, 1000000000ull * SEC,
                                          __WASI_FSTFLAGS_MTIM));
    CHECK_OK(wt_write_str(fd, "x"));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.mtim > 1000000000ull * SEC);
    CHECK_OK(__wasi_fd_close(fd));

    /* libc futimens */
    int lfd = open("/sandbox/times.txt", O_RDWR);
    struct timespec ts[2] = {{1234567890, 0}, {1234567891, 0}};
    struct stat ls;
    CHECK(lfd >= 0);
    CHECK(futimens(lfd, ts) == 0);
    CHECK(fstat(lfd, &ls) == 0);
    CHECK(ls.st_atim.tv_sec == 1234567890 && ls.st_mtim.tv_sec == 1234567891);
    CHECK(close(lfd) == 0);
}

static void test_fdstat(void)
{
    __wasi_fd_t fd;
    __wasi_fdstat_t fs;
    __wasi_size_t n;

    /* the preopen is a directory */
    CHECK_OK(__wasi_fd_fdstat_get(dir, &fs));
    CHECK(fs.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    CHECK(fs.fs_rights_base & __WASI_RIGHTS_PATH_OPEN);

    wt_put(dir, "flags.txt", "abc");
    CHECK_OK(wt_open(dir, "flags.txt", 0, 0, 0, &fd));
    CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK(fs.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
    CHECK((fs.fs_flags & __WASI_FDFLAGS_APPEND) == 0);
    CHECK(fs.fs_rights_base & __WASI_RIGHTS_FD_READ);
    CHECK(fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE);

    /* turn append on: the next write lands at the end */
    CHECK_OK(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
    CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK(fs.fs_flags & __WASI_FDFLAGS_APPEND);
    CHECK_OK(wt_write_str(fd, "D"));
    /* and off again: writes go to the offset */
    CHECK_OK(__wasi_fd_fdstat_set_flags(fd, 0));
    CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK((fs.fs_flags & __WASI_FDFLAGS_APPEND) == 0);
    __wasi_filesize_t pos;
    CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    CHECK_OK(wt_write_str(fd, "Z"));
    char got[16];
    CHECK_OK(wt_get(dir, "flags.txt", 0, got, sizeof got));
    CHECK(strcmp(got, "ZbcD") == 0);

    /* libc fcntl F_GETFL/F_SETFL reach the same calls */
    int lfd = open("/sandbox/flags.txt", O_RDWR);
    CHECK(lfd >= 0);
    CHECK((fcntl(lfd, F_GETFL) & O_APPEND) == 0);
    CHECK(fcntl(lfd, F_SETFL, O_APPEND) == 0);
    CHECK(fcntl(lfd, F_GETFL) & O_APPEND);
    CHECK(write(lfd, "E", 1) == 1);
    CHECK(close(lfd) == 0);
    CHECK_OK(wt_get(dir, "flags.txt", 0, got, sizeof got));
    CHECK(strcmp(got, "ZbcDE") == 0);

    /* rights: drop FD_WRITE, then writing is refused: ENOTCAPABLE by the
     * rights model, or EBADF as POSIX and wasmtime report writing to a
     * descriptor not open for writing */
    CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
    __wasi_rights_t base = fs.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE;
    CHECK_OK(__wasi_fd_fdstat_set_rights(fd, base, fs.fs_rights_inheriting));
    CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK((fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE) == 0);
    __wasi_ciovec_t w = {(const uint8_t *)"no", 2};
    CHECK_REFUSED(__wasi_fd_write(fd, &w, 1, &n));
    CHECK_REFUSED(__wasi_fd_pwrite(fd, &w, 1, 0, &n));
    /* rights only shrink: asking for FD_WRITE back fails */
    CHECK_ERR(__wasi_fd_fdstat_set_rights(fd, base | __WASI_RIGHTS_FD_WRITE,
                                          fs.fs_rights_inheriting),
              __WASI_ERRNO_NOTCAPABLE);
    /* drop FD_READ and FD_SEEK too */
    base &= ~(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
              __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
    CHECK_OK(__wasi_fd_fdstat_set_rights(fd, base, fs.fs_rights_inheriting));
    char b[4];
    __wasi_iovec_t r = {(uint8_t *)b, sizeof b};
    CHECK_REFUSED(__wasi_fd_read(fd, &r, 1, &n));
    CHECK_REFUSED(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    CHECK_REFUSED(__wasi_fd_tell(fd, &pos));
    CHECK_REFUSED(__wasi_fd_filestat_set_size(fd, 0));
    CHECK_OK(__wasi_fd_close(fd));
    /* the file is untouched by the refused calls */
    CHECK_OK(wt_get(dir, "flags.txt", 0, got, sizeof got));
    CHECK(strcmp(got, "ZbcDE") == 0);

    /* a file opened with only FD_READ cannot write */
    CHECK_OK(__wasi_path_open(dir, 0, "flags.txt", 0, __WASI_RIGHTS_FD_READ, 0,
                              0, &fd));
    CHECK_REFUSED(__wasi_fd_write(fd, &w, 1, &n));
    CHECK_OK(__wasi_fd_read(fd, &r, 1, &n));
    CHECK(n == 4 && memcmp(b, "ZbcD", 4) == 0);
    CHECK_OK(__wasi_fd_close(fd));

    /* a directory fd without PATH_CREATE_FILE in its base cannot create */
    __wasi_fd_t sub;
    CHECK_OK(__wasi_path_create_directory(dir, "rsub"));
    CHECK_OK(wt_open(dir, "rsub", 0, __WASI_OFLAGS_DIRECTORY, 0, &sub));
    CHECK_OK(__wasi_fd_fdstat_get(sub, &fs));
    CHECK_OK(__wasi_fd_fdstat_set_rights(
        sub, fs.fs_rights_base & ~__WASI_RIGHTS_PATH_CREATE_FILE,
        fs.fs_rights_inheriting));
    CHECK_ERR(__wasi_path_open(sub, 0, "new.txt", __WASI_OFLAGS_CREAT,
                               __WASI_RIGHTS_FD_READ, 0, 0, &fd),
              __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERR(__wasi_path_filestat_get(dir, 0, "rsub/new.txt",
                                       &(__wasi_filestat_t){0}),
              __WASI_ERRNO_NOENT);
    CHECK_OK(__wasi_fd_close(sub));
}

static void test_advise_allocate(void)
{
    __wasi_fd_t fd;
    __wasi_filestat_t st;

    CHECK_OK(wt_open(dir, "alloc.bin", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    for (__wasi_advice_t a = __WASI_ADVICE_NORMAL; a <= __WASI_ADVICE_NOREUSE;
         a++)
        CHECK_OK(__wasi_fd_advise(fd, 0, 4096, a));
    CHECK_ERR(__wasi_fd_advise(fd, 0, 4096, 6), __WASI_ERRNO_INVAL);
    /* allocate grows the file to offset + len, never shrinks it */
    CHECK_OK(__wasi_fd_allocate(fd, 0, 1000));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.size == 1000);
    CHECK_OK(__wasi_fd_allocate(fd, 4000, 96));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.size == 4096);
    CHECK_OK(__wasi_fd_allocate(fd, 0, 10));
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.size == 4096);
    CHECK_OK(__wasi_fd_close(fd));
    /* libc posix_fadvise */
    int lfd = open("/sandbox/alloc.bin", O_RDONLY);
    CHECK(lfd >= 0);
    CHECK(posix_fadvise(lfd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
    CHECK(close(lfd) == 0);
}

static void test_prestat(void)
{
    __wasi_prestat_t ps;
    char name[32];

    CHECK_OK(__wasi_fd_prestat_get(dir, &ps));
    CHECK(ps.tag == __WASI_PREOPENTYPE_DIR);
    CHECK(ps.u.dir.pr_name_len == strlen("/sandbox"));
    memset(name, 0, sizeof name);
    CHECK_OK(__wasi_fd_prestat_dir_name(dir, (uint8_t *)name,
                                        ps.u.dir.pr_name_len));
    CHECK(strcmp(name, "/sandbox") == 0);
    /* a buffer too small for the name: an error (hosts differ on which),
     * and nothing past the buffer is written */
    memset(name, '#', sizeof name);
    __wasi_errno_t e = __wasi_fd_prestat_dir_name(dir, (uint8_t *)name, 3);
    if (e != __WASI_ERRNO_NAMETOOLONG && e != __WASI_ERRNO_INVAL &&
        e != __WASI_ERRNO_NOBUFS)
        FAIL("prestat_dir_name, short buffer: got %s", wt_errname(e));
    CHECK(name[3] == '#');
    /* stdio and ordinary files are not preopens */
    CHECK_ERR(__wasi_fd_prestat_get(1, &ps), __WASI_ERRNO_BADF);
    __wasi_fd_t fd;
    wt_put(dir, "np.txt", "x");
    CHECK_OK(wt_open(dir, "np.txt", 0, 0, 0, &fd));
    CHECK_ERR(__wasi_fd_prestat_get(fd, &ps), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, sizeof name),
              __WASI_ERRNO_BADF);
    CHECK_OK(__wasi_fd_close(fd));
}

int main(void)
{
    dir = wt_preopen("/sandbox");
    test_prestat();
    test_filestat_and_truncate();
    test_fd_times();
    test_fdstat();
    test_advise_allocate();
    printf("ok\n");
    return 0;
}
