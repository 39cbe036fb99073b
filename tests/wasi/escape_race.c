/* escape_race.c - path operations racing a host process that swaps a
 * directory inside the sandbox for a symlink pointing outside.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: escape_race SECONDS
 * Layout: /sandbox/race/a/ and /sandbox/race/b/, where the driver keeps
 * replacing b by a symlink to T/outside (absolute or relative) and back.
 * Whatever the timing, nothing may land in T/outside: run_tests.sh checks
 * that afterwards. The guest only checks that the race ran, and that an
 * operation that reports success really happened inside the sandbox.
 */
#include "wasi_test.h"

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

int main(int argc, char **argv)
{
    __wasi_fd_t dir = wt_preopen("/sandbox"), fd;
    unsigned long ops = 0, ok = 0, refused = 0;
    char name[64], back[64];

    CHECK(argc == 2);
    uint64_t end = wt_now() + strtoull(argv[1], NULL, 10) * 1000000000ull;

    while (wt_now() < end) {
        unsigned long i = ops;
        __wasi_errno_t e;

        /* create a file through b */
        snprintf(name, sizeof name, "race/b/c%lu.txt", i % 64);
        e = wt_open(dir, name, FOLLOW, __WASI_OFLAGS_CREAT, 0, &fd);
        if (e == 0) {
            __wasi_filestat_t st;
            CHECK_OK(wt_write_str(fd, "race"));
            CHECK_OK(__wasi_fd_filestat_get(fd, &st));
            CHECK(st.size >= 4);
            CHECK_OK(__wasi_fd_close(fd));
            ok++;
        } else {
            refused += wt_denied(e);
        }
        /* rename a file from a into b, then back */
        snprintf(name, sizeof name, "race/a/m%lu", i % 8);
        snprintf(back, sizeof back, "race/b/m%lu", i % 8);
        e = wt_open(dir, name, 0, __WASI_OFLAGS_CREAT, 0, &fd);
        if (e == 0)
            CHECK_OK(__wasi_fd_close(fd));
        e = __wasi_path_rename(dir, name, dir, back);
        if (e == 0) {
            ok++;
            (void)__wasi_path_rename(dir, back, dir, name);
        } else {
            refused += wt_denied(e);
        }
        /* a directory, a symlink and a hard link in b */
        snprintf(name, sizeof name, "race/b/d%lu", i % 8);
        e = __wasi_path_create_directory(dir, name);
        if (e == 0) {
            ok++;
            (void)__wasi_path_remove_directory(dir, name);
        }
        snprintf(name, sizeof name, "race/b/s%lu", i % 8);
        if (__wasi_path_symlink("x", dir, name) == 0) {
            ok++;
            (void)__wasi_path_unlink_file(dir, name);
        }
        snprintf(name, sizeof name, "race/b/h%lu", i % 8);
        if (__wasi_path_link(dir, 0, "race/a/m0", dir, name) == 0) {
            ok++;
            (void)__wasi_path_unlink_file(dir, name);
        }
        ops++;
        if (ops % 64 == 0)
            CHECK_OK(__wasi_sched_yield());
    }
    printf("rounds %lu succeeded %lu refused %lu\n", ops, ok, refused);
    CHECK(ops >= 50);
    CHECK(ok > 0); /* b was a real directory at least once */
    printf("ok\n");
    return 0;
}
