/* escape.c - attempts to leave the preopened directory. Every one must fail
 * with ENOTCAPABLE (or EPERM/EACCES), and run_tests.sh checks afterwards
 * that nothing outside the preopen changed.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Layout (made by the driver; T is a scratch directory):
 *   T/outside/secret.txt  "secret"      T/outside/emptydir/
 *   T/sandbox/            --dir T/sandbox::/sandbox
 *     inside.txt "inside", sub/file.txt "file"   (sub is also --dir ::/inner)
 *     etc_link -> /etc          etc_passwd -> /etc/passwd
 *     up -> ..                  outlink -> ../outside
 *     abs_out -> T/outside      (absolute)
 *     c1 -> c2 -> c3 -> ../outside/secret.txt          (a chain)
 *     d1 -> sub/d2link,  sub/d2link -> ../../outside   (a chain of dirs)
 *     newout -> ../outside/made_dangling.txt            (dangling, outside)
 *     abs_new -> T/outside/made_abs.txt                 (dangling, absolute)
 *     good -> sub/file.txt      sub/upgood -> ../inside.txt   (stay inside)
 *     loop1 -> loop2 -> loop1
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_test.h"

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define CREAT __WASI_OFLAGS_CREAT
#define TRUNC __WASI_OFLAGS_TRUNC

static __wasi_fd_t dir, inner;
static int checks;

/* Opening `path` from d, with or without following, for reading or for
 * creating + truncating, is refused. */
static void no_open(__wasi_fd_t d, const char *path)
{
    static const __wasi_oflags_t oflags[] = {0, CREAT, CREAT | TRUNC,
                                             __WASI_OFLAGS_DIRECTORY};
    for (size_t i = 0; i < sizeof oflags / sizeof oflags[0]; i++) {
        for (int follow = 0; follow < 2; follow++) {
            __wasi_fd_t fd;
            __wasi_errno_t e =
                wt_open(d, path, follow ? FOLLOW : 0, oflags[i], 0, &fd);
            if (e == 0)
                FAIL("path_open(%s, oflags %u, follow %d) succeeded", path,
                     oflags[i], follow);
            /* Without SYMLINK_FOLLOW, a path that is just the name of a
             * link in the preopen stops at the link itself, which is
             * inside: ELOOP (or ENOTDIR for a DIRECTORY open) is then a
             * fine answer, as the target is never reached. Never for a
             * path with a '/': its inner links are always followed. */
            int final_link = follow == 0 && strchr(path, '/') == NULL &&
                             (e == __WASI_ERRNO_LOOP ||
                              e == __WASI_ERRNO_NOTDIR);
            if (!wt_denied(e) && !final_link)
                FAIL("path_open(%s, oflags %u, follow %d): %s, want "
                     "NOTCAPABLE/PERM/ACCES",
                     path, oflags[i], follow, wt_errname(e));
            checks++;
        }
    }
}

static void no_stat(__wasi_fd_t d, const char *path)
{
    __wasi_filestat_t st;

    CHECK_DENIED(__wasi_path_filestat_get(d, FOLLOW, path, &st));
    checks++;
}

/* Every mutating path call aimed at `path` is refused (the link and rename
 * sources are a file that exists, in either preopen). */
static void no_mutate(__wasi_fd_t d, const char *path)
{
    const char *src = d == inner ? "file.txt" : "inside.txt";

    CHECK_DENIED(__wasi_path_create_directory(d, path));
    CHECK_DENIED(__wasi_path_symlink("x", d, path));
    CHECK_DENIED(__wasi_path_link(d, 0, src, d, path));
    CHECK_DENIED(__wasi_path_rename(d, src, d, path));
    checks += 4;
}

static void expect_inside(__wasi_fd_t d, const char *path,
                          __wasi_lookupflags_t lookup, const char *want)
{
    char got[64];
    __wasi_errno_t e = wt_get(d, path, lookup, got, sizeof got);

    if (e != 0)
        FAIL("open %s (inside the sandbox): %s", path, wt_errname(e));
    if (strcmp(got, want) != 0)
        FAIL("%s holds \"%s\", want \"%s\"", path, got, want);
}

int main(void)
{
    dir = wt_preopen("/sandbox");
    inner = wt_preopen("/inner");

    /* controls: these stay inside and must work, so the refusals below
     * are about leaving, not about "..", links or absolute paths as such */
    expect_inside(dir, "inside.txt", 0, "inside");
    expect_inside(dir, "sub/../inside.txt", 0, "inside");
    expect_inside(dir, "good", FOLLOW, "file");
    expect_inside(dir, "sub/upgood", FOLLOW, "inside");
    expect_inside(dir, "sub/./../sub/file.txt", 0, "file");
    expect_inside(inner, "file.txt", 0, "file");

    /* ../ */
    no_open(dir, "..");
    no_open(dir, "../outside/secret.txt");
    no_open(dir, "../outside/new.txt");
    no_open(dir, "sub/../../outside/secret.txt");
    no_open(dir, "sub/../../sandbox/inside.txt"); /* out and back in */
    no_open(dir, "./../outside");
    no_stat(dir, "../outside/secret.txt");
    no_mutate(dir, "../outside/new");
    no_mutate(dir, "sub/../../outside/new2");
    /* a second preopen cannot reach its parent, even though the parent is
     * itself a preopen */
    no_open(inner, "../inside.txt");
    no_open(inner, "..");
    no_stat(inner, "../inside.txt");
    no_mutate(inner, "../made_from_inner");

    /* absolute paths */
    no_open(dir, "/etc/passwd");
    no_open(dir, "/");
    no_open(dir, "/sandbox/inside.txt"); /* the guest name is not a path */
    no_stat(dir, "/etc/passwd");
    no_mutate(dir, "/tmp/mantle_escape_abs");

    /* symlinks that point out */
    no_open(dir, "etc_link/passwd");
    no_open(dir, "etc_passwd");
    no_open(dir, "up/outside/secret.txt");
    no_open(dir, "up/sandbox/inside.txt");
    no_open(dir, "outlink/secret.txt");
    no_open(dir, "outlink/brand_new.txt");
    no_open(dir, "abs_out/secret.txt");
    no_open(dir, "abs_out/brand_new.txt");
    no_stat(dir, "etc_link");
    no_stat(dir, "etc_passwd");
    no_stat(dir, "outlink/secret.txt");
    no_stat(dir, "abs_out");
    no_mutate(dir, "outlink/made");
    no_mutate(dir, "abs_out/made");
    no_mutate(dir, "up/outside/made");
    /* readlink itself is harmless: it shows the text, reaching nothing */
    {
        char buf[64];
        __wasi_size_t n;
        CHECK_OK(__wasi_path_readlink(dir, "etc_link", (uint8_t *)buf,
                                      sizeof buf, &n));
        CHECK(n == 4 && memcmp(buf, "/etc", 4) == 0);
    }

    /* chains that end outside */
    no_open(dir, "c1");
    no_open(dir, "c2");
    no_stat(dir, "c1");
    no_open(dir, "d1/secret.txt");
    no_open(dir, "d1/made.txt");
    no_mutate(dir, "d1/made");

    /* dangling links whose target is outside: CREAT must not make it */
    no_open(dir, "newout");
    no_open(dir, "abs_new");

    /* links to fd-relative paths and loops */
    {
        __wasi_fd_t fd;
        CHECK_ERR2(wt_open(dir, "loop1", FOLLOW, 0, 0, &fd),
                   __WASI_ERRNO_LOOP, __WASI_ERRNO_NOTCAPABLE);
        CHECK_ERR2(wt_open(dir, "loop1/x", 0, CREAT, 0, &fd),
                   __WASI_ERRNO_LOOP, __WASI_ERRNO_NOTCAPABLE);
    }

    /* the other path calls, aimed through each way out */
    static const char *const ways[] = {"../outside/secret.txt",
                                       "outlink/secret.txt",
                                       "abs_out/secret.txt", "c1",
                                       "d1/secret.txt"};
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        const char *w = ways[i];
        char buf[64];
        __wasi_size_t n;
        CHECK_DENIED(__wasi_path_filestat_set_times(
            dir, FOLLOW, w, 0, 1000000000ull * 1000000000ull,
            __WASI_FSTFLAGS_MTIM));
        if (strcmp(w, "c1") != 0) {
            /* c1 is itself inside: unlinking or renaming the link is fine,
             * so those are only tried on paths whose parent is outside */
            CHECK_DENIED(__wasi_path_unlink_file(dir, w));
            CHECK_DENIED(__wasi_path_rename(dir, w, dir, "stolen.txt"));
            CHECK_DENIED(__wasi_path_readlink(dir, w, (uint8_t *)buf,
                                              sizeof buf, &n));
        }
        /* hard links across the boundary, both directions */
        CHECK_DENIED(__wasi_path_link(dir, FOLLOW, w, dir, "stolen_hl"));
        checks += 5;
    }
    CHECK_DENIED(__wasi_path_remove_directory(dir, "../outside/emptydir"));
    CHECK_DENIED(__wasi_path_remove_directory(dir, "outlink/emptydir"));
    CHECK_DENIED(__wasi_path_remove_directory(dir, "abs_out/emptydir"));
    CHECK_DENIED(__wasi_path_link(dir, 0, "inside.txt", dir, "outlink/hl"));
    CHECK_DENIED(__wasi_path_link(dir, 0, "inside.txt", dir, "../outside/hl"));
    CHECK_DENIED(__wasi_path_rename(dir, "inside.txt", dir, "abs_out/mv"));
    /* renaming a link that points out is fine (it moves the link), but the
     * moved link still leads nowhere (abs_out: an absolute target points
     * out from anywhere) */
    CHECK_OK(__wasi_path_rename(dir, "abs_out", dir, "sub/abs_out2"));
    no_open(dir, "sub/abs_out2/secret.txt");
    no_open(inner, "abs_out2/secret.txt");
    no_mutate(inner, "abs_out2/made");

    /* links the guest makes itself: creating one may be refused; if it is
     * allowed, following it must be */
    static const char *const evil[] = {"../outside/secret.txt", "/etc/passwd",
                                       "..", "/", "sub/../../outside"};
    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "g_evil%zu", i);
        __wasi_errno_t e = __wasi_path_symlink(evil[i], dir, name);
        if (e == 0) {
            no_open(dir, name);
            no_stat(dir, name);
        } else if (!wt_denied(e)) {
            FAIL("path_symlink(%s): %s", evil[i], wt_errname(e));
        }
    }
    /* ... and a guest link to the parent, then a file created through it */
    if (__wasi_path_symlink("..", dir, "g_up") == 0) {
        no_open(dir, "g_up/outside/made_via_g_up.txt");
        no_mutate(dir, "g_up/outside/made_via_g_up");
    }

    /* libc: the same refusals surface as errno ENOTCAPABLE/EPERM/EACCES
     * (wasi-libc itself refuses paths outside every preopen) */
    int fd = open("/sandbox/../outside/secret.txt", O_RDONLY);
    CHECK(fd == -1 &&
          (errno == ENOTCAPABLE || errno == EPERM || errno == EACCES));
    fd = open("/sandbox/outlink2_missing/../../outside/x", O_CREAT | O_WRONLY,
              0644);
    CHECK(fd == -1);
    fd = open("/sandbox/sub/abs_out2/libc_made.txt", O_CREAT | O_WRONLY, 0644);
    CHECK(fd == -1 &&
          (errno == ENOTCAPABLE || errno == EPERM || errno == EACCES));
    CHECK(mkdir("/sandbox/outlink/libc_dir", 0755) == -1);
    CHECK(symlink("x", "/sandbox/outlink/libc_link") == -1);

    /* the controls still work after all that */
    expect_inside(dir, "inside.txt", 0, "inside");
    printf("%d refusals checked\nok\n", checks);
    return 0;
}
