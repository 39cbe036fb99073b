/* paths.c - path_open (CREAT, EXCL, TRUNC, DIRECTORY, symlink following),
 * path_rename, path_unlink_file, path_link, path_symlink, path_readlink,
 * path_filestat_get, path_filestat_set_times; ENOENT/ENOTDIR/EEXIST/ELOOP.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_test.h"

#define SEC 1000000000ull
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static __wasi_fd_t dir;

static void expect_content(const char *path, const char *want)
{
    char got[256];
    __wasi_errno_t e = wt_get(dir, path, FOLLOW, got, sizeof got);

    if (e != 0)
        FAIL("open %s: %s", path, wt_errname(e));
    if (strcmp(got, want) != 0)
        FAIL("%s holds \"%s\", want \"%s\"", path, got, want);
}

static void expect_missing(const char *path)
{
    __wasi_filestat_t st;

    CHECK_ERR(__wasi_path_filestat_get(dir, 0, path, &st), __WASI_ERRNO_NOENT);
}

static void test_open_flags(void)
{
    __wasi_fd_t fd;

    /* missing file, missing parent, empty path */
    CHECK_ERR(wt_open(dir, "absent.txt", 0, 0, 0, &fd), __WASI_ERRNO_NOENT);
    CHECK_ERR(wt_open(dir, "absent/x.txt", 0, __WASI_OFLAGS_CREAT, 0, &fd),
              __WASI_ERRNO_NOENT);
    CHECK_ERR2(wt_open(dir, "", 0, 0, 0, &fd), __WASI_ERRNO_NOENT,
               __WASI_ERRNO_INVAL);

    /* CREAT|EXCL: creates once, then EEXIST */
    CHECK_OK(wt_open(dir, "excl.txt", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd));
    CHECK_OK(wt_write_str(fd, "first"));
    CHECK_OK(__wasi_fd_close(fd));
    CHECK_ERR(wt_open(dir, "excl.txt", 0,
                      __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd),
              __WASI_ERRNO_EXIST);
    expect_content("excl.txt", "first");
    /* CREAT alone opens the existing file without truncating */
    CHECK_OK(wt_open(dir, "excl.txt", 0, __WASI_OFLAGS_CREAT, 0, &fd));
    CHECK_OK(__wasi_fd_close(fd));
    expect_content("excl.txt", "first");
    /* TRUNC empties it */
    CHECK_OK(wt_open(dir, "excl.txt", 0, __WASI_OFLAGS_TRUNC, 0, &fd));
    __wasi_filestat_t st;
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.size == 0);
    CHECK_OK(__wasi_fd_close(fd));

    /* DIRECTORY on a file: ENOTDIR; a file used as a path component too */
    CHECK_ERR(wt_open(dir, "excl.txt", 0, __WASI_OFLAGS_DIRECTORY, 0, &fd),
              __WASI_ERRNO_NOTDIR);
    CHECK_ERR(wt_open(dir, "excl.txt/x", 0, 0, 0, &fd), __WASI_ERRNO_NOTDIR);
    /* CREAT|EXCL on an existing directory */
    CHECK_OK(__wasi_path_create_directory(dir, "adir"));
    CHECK_ERR(wt_open(dir, "adir", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL,
                      0, &fd),
              __WASI_ERRNO_EXIST);
    /* DIRECTORY on a directory: a directory fd; trailing slash and "." ok */
    CHECK_OK(wt_open(dir, "adir", 0, __WASI_OFLAGS_DIRECTORY, 0, &fd));
    __wasi_fdstat_t fs;
    CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK(fs.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    CHECK_OK(__wasi_fd_close(fd));
    CHECK_OK(wt_open(dir, "adir/", 0, __WASI_OFLAGS_DIRECTORY, 0, &fd));
    CHECK_OK(__wasi_fd_close(fd));
    CHECK_OK(wt_open(dir, ".", 0, __WASI_OFLAGS_DIRECTORY, 0, &fd));
    CHECK_OK(__wasi_fd_close(fd));
    /* ".." inside the preopen is fine */
    wt_put(dir, "adir/in.txt", "in");
    expect_content("adir/../adir/./in.txt", "in");
    /* a trailing slash on a file */
    CHECK_ERR(wt_open(dir, "adir/in.txt/", 0, 0, 0, &fd), __WASI_ERRNO_NOTDIR);
    /* embedded NUL ends the path early for C callers, so test a long name */
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_ERR(wt_open(dir, longname, 0, __WASI_OFLAGS_CREAT, 0, &fd),
              __WASI_ERRNO_NAMETOOLONG);

    /* libc open(2) errnos */
    CHECK(open("/sandbox/excl.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 &&
          errno == EEXIST);
    CHECK(open("/sandbox/excl.txt", O_RDONLY | O_DIRECTORY) == -1 &&
          errno == ENOTDIR);
    CHECK(open("/sandbox/nothing", O_RDONLY) == -1 && errno == ENOENT);
}

static void test_rename(void)
{
    __wasi_filestat_t st, st2;
    __wasi_fd_t sub;

    wt_put(dir, "r1.txt", "one");
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "r1.txt", &st));
    CHECK_OK(__wasi_path_rename(dir, "r1.txt", dir, "r2.txt"));
    expect_missing("r1.txt");
    expect_content("r2.txt", "one");
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "r2.txt", &st2));
    CHECK(st.ino == st2.ino); /* the same file, moved */
    /* over an existing file: replaced */
    wt_put(dir, "r3.txt", "three");
    CHECK_OK(__wasi_path_rename(dir, "r2.txt", dir, "r3.txt"));
    expect_content("r3.txt", "one");
    expect_missing("r2.txt");
    /* into a directory through a second directory fd */
    CHECK_OK(__wasi_path_create_directory(dir, "rdir"));
    CHECK_OK(wt_open(dir, "rdir", 0, __WASI_OFLAGS_DIRECTORY, 0, &sub));
    CHECK_OK(__wasi_path_rename(dir, "r3.txt", sub, "moved.txt"));
    expect_content("rdir/moved.txt", "one");
    expect_missing("r3.txt");
    /* missing source; missing target directory */
    CHECK_ERR(__wasi_path_rename(dir, "r9.txt", dir, "r10.txt"),
              __WASI_ERRNO_NOENT);
    CHECK_ERR(__wasi_path_rename(sub, "moved.txt", dir, "nodir/x.txt"),
              __WASI_ERRNO_NOENT);
    expect_content("rdir/moved.txt", "one");
    /* directories: rename, then onto a non-empty directory */
    CHECK_OK(__wasi_path_create_directory(dir, "da"));
    wt_put(dir, "da/f", "f");
    CHECK_OK(__wasi_path_rename(dir, "da", dir, "db"));
    expect_content("db/f", "f");
    expect_missing("da");
    CHECK_ERR2(__wasi_path_rename(dir, "rdir", dir, "db"),
               __WASI_ERRNO_NOTEMPTY, __WASI_ERRNO_EXIST);
    /* onto an empty directory: replaces it */
    CHECK_OK(__wasi_path_create_directory(dir, "dempty"));
    CHECK_OK(__wasi_path_rename(dir, "db", dir, "dempty"));
    expect_content("dempty/f", "f");
    /* file onto directory, directory onto file */
    wt_put(dir, "plain", "p");
    CHECK_ERR(__wasi_path_rename(dir, "plain", dir, "dempty"),
              __WASI_ERRNO_ISDIR);
    CHECK_ERR(__wasi_path_rename(dir, "dempty", dir, "plain"),
              __WASI_ERRNO_NOTDIR);
    /* a directory into itself */
    CHECK_ERR(__wasi_path_rename(dir, "dempty", dir, "dempty/inner"),
              __WASI_ERRNO_INVAL);
    /* the open directory fd still works after its entry moved */
    CHECK_OK(__wasi_path_rename(dir, "rdir", dir, "rdir2"));
    wt_put(sub, "after.txt", "after");
    expect_content("rdir2/after.txt", "after");
    CHECK_OK(__wasi_fd_close(sub));
    /* libc rename */
    CHECK(rename("/sandbox/plain", "/sandbox/plain2") == 0);
    expect_content("plain2", "p");
    CHECK(rename("/sandbox/plain", "/sandbox/plain3") == -1 && errno == ENOENT);
}

static void test_unlink_link(void)
{
    __wasi_filestat_t st, st2;
    __wasi_fd_t fd;

    wt_put(dir, "orig.txt", "shared");
    CHECK_OK(__wasi_path_link(dir, 0, "orig.txt", dir, "hard.txt"));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "orig.txt", &st));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "hard.txt", &st2));
    CHECK(st.ino == st2.ino && st.dev == st2.dev);
    CHECK(st.nlink == 2 && st2.nlink == 2);
    /* a write through one name is seen through the other */
    CHECK_OK(wt_open(dir, "hard.txt", 0, 0, 0, &fd));
    CHECK_OK(wt_write_str(fd, "SH"));
    CHECK_OK(__wasi_fd_close(fd));
    expect_content("orig.txt", "SHared");
    /* the target exists; the source is missing; the source is a directory */
    CHECK_ERR(__wasi_path_link(dir, 0, "orig.txt", dir, "hard.txt"),
              __WASI_ERRNO_EXIST);
    CHECK_ERR(__wasi_path_link(dir, 0, "none.txt", dir, "h2.txt"),
              __WASI_ERRNO_NOENT);
    CHECK_OK(__wasi_path_create_directory(dir, "ldir"));
    CHECK_ERR2(__wasi_path_link(dir, 0, "ldir", dir, "ldir2"),
               __WASI_ERRNO_PERM, __WASI_ERRNO_NOTSUP);
    /* unlinking one name leaves the other */
    CHECK_OK(__wasi_path_unlink_file(dir, "orig.txt"));
    expect_missing("orig.txt");
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "hard.txt", &st2));
    CHECK(st2.nlink == 1);
    expect_content("hard.txt", "SHared");
    /* an open file outlives its last name */
    CHECK_OK(wt_open(dir, "hard.txt", 0, 0, 0, &fd));
    CHECK_OK(__wasi_path_unlink_file(dir, "hard.txt"));
    expect_missing("hard.txt");
    char buf[16];
    __wasi_iovec_t r = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n;
    CHECK_OK(__wasi_fd_read(fd, &r, 1, &n));
    CHECK(n == 6 && memcmp(buf, "SHared", 6) == 0);
    CHECK_OK(__wasi_fd_close(fd));
    /* errors */
    CHECK_ERR(__wasi_path_unlink_file(dir, "hard.txt"), __WASI_ERRNO_NOENT);
    CHECK_ERR(__wasi_path_unlink_file(dir, "nodir/x"), __WASI_ERRNO_NOENT);
    /* libc link/unlink */
    wt_put(dir, "l1", "L");
    CHECK(link("/sandbox/l1", "/sandbox/l2") == 0);
    struct stat ls;
    CHECK(stat("/sandbox/l2", &ls) == 0 && ls.st_nlink == 2);
    CHECK(unlink("/sandbox/l1") == 0);
    CHECK(unlink("/sandbox/l1") == -1 && errno == ENOENT);
    expect_content("l2", "L");
}

static void test_symlinks(void)
{
    __wasi_filestat_t st;
    __wasi_fd_t fd;
    __wasi_size_t n;
    char buf[64];

    CHECK_OK(__wasi_path_create_directory(dir, "sdir"));
    wt_put(dir, "sdir/target.txt", "target");
    CHECK_OK(__wasi_path_symlink("sdir/target.txt", dir, "sl"));
    CHECK_OK(__wasi_path_symlink("target.txt", dir, "sdir/rel"));
    CHECK_OK(__wasi_path_symlink("../sdir/target.txt", dir, "sdir/up"));
    CHECK_OK(__wasi_path_symlink("sdir", dir, "sldir"));
    CHECK_OK(__wasi_path_symlink("missing.txt", dir, "dangling"));
    CHECK_OK(__wasi_path_symlink("loop2", dir, "loop1"));
    CHECK_OK(__wasi_path_symlink("loop1", dir, "loop2"));
    CHECK_OK(__wasi_path_symlink("sl", dir, "chain")); /* -> sl -> target */
    /* the name exists already */
    CHECK_ERR(__wasi_path_symlink("x", dir, "sl"), __WASI_ERRNO_EXIST);
    CHECK_ERR(__wasi_path_symlink("x", dir, "sdir"), __WASI_ERRNO_EXIST);

    /* readlink returns the stored text, without a NUL */
    memset(buf, '#', sizeof buf);
    CHECK_OK(__wasi_path_readlink(dir, "sl", (uint8_t *)buf, sizeof buf, &n));
    CHECK(n == strlen("sdir/target.txt"));
    CHECK(memcmp(buf, "sdir/target.txt", n) == 0);
    CHECK_OK(__wasi_path_readlink(dir, "sdir/up", (uint8_t *)buf, sizeof buf,
                                  &n));
    CHECK(n == 18 && memcmp(buf, "../sdir/target.txt", n) == 0);
    /* a short buffer: truncated to its size as POSIX readlink does (or,
     * as some hosts do, refused); never written past its end */
    memset(buf, '#', sizeof buf);
    __wasi_errno_t e = __wasi_path_readlink(dir, "sl", (uint8_t *)buf, 4, &n);
    if (e == 0)
        CHECK(n == 4 && memcmp(buf, "sdir#", 5) == 0);
    else if (e == __WASI_ERRNO_NOBUFS || e == __WASI_ERRNO_RANGE)
        CHECK(buf[4] == '#');
    else
        FAIL("readlink into 4 bytes: %s", wt_errname(e));
    /* not a link; missing */
    CHECK_ERR(__wasi_path_readlink(dir, "sdir/target.txt", (uint8_t *)buf,
                                   sizeof buf, &n),
              __WASI_ERRNO_INVAL);
    CHECK_ERR(__wasi_path_readlink(dir, "nothere", (uint8_t *)buf, sizeof buf,
                                   &n),
              __WASI_ERRNO_NOENT);

    /* following: through a link, a relative link in a subdirectory, a link
     * with "..", a link to a directory, and a chain */
    expect_content("sl", "target");
    expect_content("sdir/rel", "target");
    expect_content("sdir/up", "target");
    expect_content("sldir/target.txt", "target");
    expect_content("chain", "target");
    /* without SYMLINK_FOLLOW the final link is not followed: ELOOP */
    CHECK_ERR(wt_open(dir, "sl", 0, 0, 0, &fd), __WASI_ERRNO_LOOP);
    /* but intermediate components are always followed */
    CHECK_OK(wt_open(dir, "sldir/target.txt", 0, 0, 0, &fd));
    CHECK_OK(__wasi_fd_close(fd));
    /* dangling and looping */
    CHECK_ERR(wt_open(dir, "dangling", FOLLOW, 0, 0, &fd), __WASI_ERRNO_NOENT);
    CHECK_ERR(wt_open(dir, "loop1", FOLLOW, 0, 0, &fd), __WASI_ERRNO_LOOP);
    CHECK_ERR(wt_open(dir, "loop1/x", 0, 0, 0, &fd), __WASI_ERRNO_LOOP);
    /* CREAT through a dangling link inside the sandbox creates its target */
    CHECK_OK(wt_open(dir, "dangling", FOLLOW, __WASI_OFLAGS_CREAT, 0, &fd));
    CHECK_OK(wt_write_str(fd, "made"));
    CHECK_OK(__wasi_fd_close(fd));
    expect_content("missing.txt", "made");

    /* filestat: follow vs not */
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "sl", &st));
    CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    CHECK(st.size == strlen("sdir/target.txt"));
    CHECK_OK(__wasi_path_filestat_get(dir, FOLLOW, "sl", &st));
    CHECK(st.filetype == __WASI_FILETYPE_REGULAR_FILE && st.size == 6);
    CHECK_OK(__wasi_path_filestat_get(dir, FOLLOW, "sldir", &st));
    CHECK(st.filetype == __WASI_FILETYPE_DIRECTORY);
    CHECK_ERR(__wasi_path_filestat_get(dir, FOLLOW, "loop1", &st),
              __WASI_ERRNO_LOOP);

    /* removing: unlink removes the link, not the target; a link to a
     * directory is not a directory to path_remove_directory */
    CHECK_ERR(__wasi_path_remove_directory(dir, "sldir"), __WASI_ERRNO_NOTDIR);
    CHECK_OK(__wasi_path_unlink_file(dir, "sldir"));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "sdir", &st));
    CHECK_OK(__wasi_path_unlink_file(dir, "chain"));
    expect_content("sl", "target");
    /* rename moves the link itself */
    CHECK_OK(__wasi_path_rename(dir, "sl", dir, "sl2"));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "sl2", &st));
    CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    expect_content("sl2", "target");

    /* libc symlink/readlink/lstat */
    char lb[64];
    struct stat ls;
    CHECK(symlink("sdir/target.txt", "/sandbox/lsl") == 0);
    CHECK(readlink("/sandbox/lsl", lb, sizeof lb) == 15);
    CHECK(memcmp(lb, "sdir/target.txt", 15) == 0);
    CHECK(lstat("/sandbox/lsl", &ls) == 0 && S_ISLNK(ls.st_mode));
    CHECK(stat("/sandbox/lsl", &ls) == 0 && S_ISREG(ls.st_mode));
    CHECK(symlink("x", "/sandbox/lsl") == -1 && errno == EEXIST);
}

static void test_path_times(void)
{
    __wasi_filestat_t st, lst;
    __wasi_timestamp_t now;

    wt_put(dir, "pt.txt", "t");
    CHECK_OK(__wasi_path_symlink("pt.txt", dir, "pt.lnk"));
    /* set both on the file, through the link (FOLLOW) */
    CHECK_OK(__wasi_path_filestat_set_times(
        dir, FOLLOW, "pt.lnk", 1300000000ull * SEC, 1300000001ull * SEC,
        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "pt.txt", &st));
    CHECK(st.atim == 1300000000ull * SEC && st.mtim == 1300000001ull * SEC);
    /* without FOLLOW the link's own times change, the file's do not */
    CHECK_OK(__wasi_path_filestat_set_times(
        dir, 0, "pt.lnk", 1400000000ull * SEC, 1400000001ull * SEC,
        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "pt.lnk", &lst));
    CHECK(lst.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    CHECK(lst.mtim == 1400000001ull * SEC);
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "pt.txt", &st));
    CHECK(st.mtim == 1300000001ull * SEC);
    /* ATIM_NOW on the file: atim near now, mtim untouched */
    CHECK_OK(__wasi_path_filestat_set_times(dir, 0, "pt.txt", 0, 0,
                                            __WASI_FSTFLAGS_ATIM_NOW));
    CHECK_OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "pt.txt", &st));
    CHECK(st.atim + 60 * SEC > now && st.atim < now + 60 * SEC);
    CHECK(st.mtim == 1300000001ull * SEC);
    /* a directory's times */
    CHECK_OK(__wasi_path_create_directory(dir, "tdir"));
    CHECK_OK(__wasi_path_filestat_set_times(dir, 0, "tdir", 0,
                                            1000000000ull * SEC,
                                            __WASI_FSTFLAGS_MTIM));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "tdir", &st));
    CHECK(st.mtim == 1000000000ull * SEC);
    /* creating an entry updates the directory's mtime */
    wt_put(dir, "tdir/new", "n");
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "tdir", &st));
    CHECK(st.mtim > 1000000000ull * SEC);
    /* errors */
    CHECK_ERR(__wasi_path_filestat_set_times(dir, 0, "nofile", 0, 0,
                                             __WASI_FSTFLAGS_MTIM_NOW),
              __WASI_ERRNO_NOENT);
    CHECK_ERR(__wasi_path_filestat_set_times(
                  dir, 0, "pt.txt", 1, 0,
                  __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
              __WASI_ERRNO_INVAL);
    /* libc utimensat */
    struct timespec ts[2] = {{1111111111, 0}, {1222222222, 0}};
    struct stat ls;
    CHECK(utimensat(AT_FDCWD, "/sandbox/pt.txt", ts, 0) == 0);
    CHECK(stat("/sandbox/pt.txt", &ls) == 0);
    CHECK(ls.st_atim.tv_sec == 1111111111 && ls.st_mtim.tv_sec == 1222222222);
}

int main(void)
{
    dir = wt_preopen("/sandbox");
    test_open_flags();
    test_rename();
    test_unlink_link();
    test_symlinks();
    test_path_times();
    printf("ok\n");
    return 0;
}
