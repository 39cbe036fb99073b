/* dirs.c - path_create_directory, path_remove_directory, fd_readdir (". and
 * "..", d_type, cookies that resume), and libc opendir/readdir/mkdir/rmdir.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_test.h"

#define NFILES 40

static __wasi_fd_t dir;

struct entry {
    char name[64];
    __wasi_filetype_t type;
    __wasi_inode_t ino;
    __wasi_dircookie_t next;
};

/* Read every entry of fd from `cookie` on, with a buffer of bufsize bytes
 * (so small buffers force many calls and cut-off last entries). */
static int list_dir(__wasi_fd_t fd, __wasi_dircookie_t cookie, size_t bufsize,
                    struct entry *out, int cap)
{
    static uint8_t buf[8192];
    int n = 0;

    CHECK(bufsize <= sizeof buf);
    for (int calls = 0;; calls++) {
        __wasi_size_t used;
        size_t off = 0;

        CHECK(calls < 10000);
        CHECK_OK(__wasi_fd_readdir(fd, buf, bufsize, cookie, &used));
        CHECK(used <= bufsize);
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used)
                break; /* name cut off: resume from this entry */
            CHECK(d.d_namlen > 0 && d.d_namlen < sizeof out[0].name);
            CHECK(n < cap);
            memcpy(out[n].name, buf + off + sizeof d, d.d_namlen);
            out[n].name[d.d_namlen] = '\0';
            out[n].type = d.d_type;
            out[n].ino = d.d_ino;
            out[n].next = d.d_next;
            n++;
            cookie = d.d_next;
            off += sizeof d + d.d_namlen;
        }
        /* fewer bytes than the buffer: the end of the directory */
        if (used < bufsize)
            return n;
        /* a full buffer that held not even one whole entry: retry from the
         * same cookie with a bigger one, as wasi-libc's readdir does */
        if (off == 0) {
            bufsize *= 2;
            CHECK(bufsize <= sizeof buf);
        }
    }
}

static int find(const struct entry *e, int n, const char *name)
{
    int hits = -1;

    for (int i = 0; i < n; i++) {
        if (strcmp(e[i].name, name) == 0) {
            CHECK(hits < 0); /* each name exactly once */
            hits = i;
        }
    }
    return hits;
}

static void test_create_remove(void)
{
    __wasi_filestat_t st;
    __wasi_fd_t fd;

    CHECK_OK(__wasi_path_create_directory(dir, "d1"));
    CHECK_OK(__wasi_path_filestat_get(dir, 0, "d1", &st));
    CHECK(st.filetype == __WASI_FILETYPE_DIRECTORY);
    CHECK_ERR(__wasi_path_create_directory(dir, "d1"), __WASI_ERRNO_EXIST);
    CHECK_OK(__wasi_path_create_directory(dir, "d1/d2"));
    CHECK_OK(__wasi_path_create_directory(dir, "d1/d2/d3"));
    /* a missing parent */
    CHECK_ERR(__wasi_path_create_directory(dir, "nope/x"), __WASI_ERRNO_NOENT);
    /* a file in the way */
    wt_put(dir, "d1/file", "f");
    CHECK_ERR(__wasi_path_create_directory(dir, "d1/file"),
              __WASI_ERRNO_EXIST);
    CHECK_ERR(__wasi_path_create_directory(dir, "d1/file/x"),
              __WASI_ERRNO_NOTDIR);

    /* not empty */
    CHECK_ERR(__wasi_path_remove_directory(dir, "d1"), __WASI_ERRNO_NOTEMPTY);
    CHECK_ERR(__wasi_path_remove_directory(dir, "d1/d2"),
              __WASI_ERRNO_NOTEMPTY);
    /* a file is not a directory */
    CHECK_ERR(__wasi_path_remove_directory(dir, "d1/file"),
              __WASI_ERRNO_NOTDIR);
    CHECK_ERR(__wasi_path_remove_directory(dir, "d1/missing"),
              __WASI_ERRNO_NOENT);
    /* unlink_file on a directory */
    CHECK_ERR2(__wasi_path_unlink_file(dir, "d1/d2/d3"), __WASI_ERRNO_ISDIR,
               __WASI_ERRNO_PERM);
    CHECK_OK(__wasi_path_remove_directory(dir, "d1/d2/d3"));
    CHECK_ERR(__wasi_path_filestat_get(dir, 0, "d1/d2/d3", &st),
              __WASI_ERRNO_NOENT);
    CHECK_OK(__wasi_path_remove_directory(dir, "d1/d2"));
    CHECK_OK(__wasi_path_unlink_file(dir, "d1/file"));
    CHECK_ERR(__wasi_path_unlink_file(dir, "d1/file"), __WASI_ERRNO_NOENT);
    CHECK_OK(__wasi_path_remove_directory(dir, "d1"));
    CHECK_ERR(__wasi_path_filestat_get(dir, 0, "d1", &st), __WASI_ERRNO_NOENT);
    /* the directory itself cannot be removed through "." */
    CHECK(__wasi_path_remove_directory(dir, ".") != 0);
    CHECK_OK(__wasi_path_filestat_get(dir, 0, ".", &st));

    /* open a created directory and create inside it through the new fd */
    CHECK_OK(__wasi_path_create_directory(dir, "sub"));
    CHECK_OK(wt_open(dir, "sub", 0, __WASI_OFLAGS_DIRECTORY, 0, &fd));
    wt_put(fd, "inner.txt", "inner");
    CHECK_OK(__wasi_path_create_directory(fd, "deeper"));
    char got[16];
    CHECK_OK(wt_get(dir, "sub/inner.txt", 0, got, sizeof got));
    CHECK(strcmp(got, "inner") == 0);
    CHECK_OK(__wasi_fd_close(fd));

    /* libc */
    struct stat ls;
    CHECK(mkdir("/sandbox/lm", 0755) == 0);
    CHECK(mkdir("/sandbox/lm", 0755) == -1 && errno == EEXIST);
    CHECK(stat("/sandbox/lm", &ls) == 0 && S_ISDIR(ls.st_mode));
    CHECK(rmdir("/sandbox/lm") == 0);
    CHECK(rmdir("/sandbox/lm") == -1 && errno == ENOENT);
    CHECK(rmdir("/sandbox/sub") == -1 && errno == ENOTEMPTY);
}

static void test_readdir(void)
{
    static struct entry all[NFILES + 8], part[NFILES + 8];
    __wasi_fd_t fd;
    char name[64];
    int n, m;

    CHECK_OK(__wasi_path_create_directory(dir, "list"));
    CHECK_OK(wt_open(dir, "list", 0, __WASI_OFLAGS_DIRECTORY, 0, &fd));
    /* an empty directory lists exactly "." and ".." */
    n = list_dir(fd, 0, 4096, all, NFILES + 8);
    CHECK(n == 2);
    CHECK(find(all, n, ".") >= 0 && find(all, n, "..") >= 0);
    CHECK(all[find(all, n, ".")].type == __WASI_FILETYPE_DIRECTORY);
    CHECK(all[find(all, n, "..")].type == __WASI_FILETYPE_DIRECTORY);

    /* names of different lengths so entries straddle buffer ends */
    for (int i = 0; i < NFILES; i++) {
        snprintf(name, sizeof name, "f%0*d", 1 + i % 17, i);
        wt_put(fd, name, name);
    }
    CHECK_OK(__wasi_path_create_directory(fd, "subdir"));
    CHECK_OK(__wasi_path_symlink("f0", fd, "link"));

    n = list_dir(fd, 0, 8192, all, NFILES + 8);
    CHECK(n == NFILES + 4);
    CHECK(all[find(all, n, ".")].type == __WASI_FILETYPE_DIRECTORY);
    CHECK(all[find(all, n, "..")].type == __WASI_FILETYPE_DIRECTORY);
    CHECK(all[find(all, n, "subdir")].type == __WASI_FILETYPE_DIRECTORY);
    CHECK(all[find(all, n, "link")].type == __WASI_FILETYPE_SYMBOLIC_LINK);
    for (int i = 0; i < NFILES; i++) {
        snprintf(name, sizeof name, "f%0*d", 1 + i % 17, i);
        int k = find(all, n, name);
        if (k < 0)
            FAIL("readdir: %s missing", name);
        CHECK(all[k].type == __WASI_FILETYPE_REGULAR_FILE);
        /* d_ino is the file's inode */
        __wasi_filestat_t st;
        CHECK_OK(__wasi_path_filestat_get(fd, 0, name, &st));
        CHECK(all[k].ino == st.ino);
    }

    /* tiny buffers (smaller than one entry header, one header, odd sizes)
     * give the same listing in the same order */
    static const size_t sizes[] = {24, 25, 31, 37, 64, 100, 257};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        m = list_dir(fd, 0, sizes[s], part, NFILES + 8);
        if (m != n)
            FAIL("buffer %zu: %d entries, want %d", sizes[s], m, n);
        for (int i = 0; i < n; i++)
            CHECK(strcmp(part[i].name, all[i].name) == 0);
    }

    /* resuming from any entry's d_next gives exactly the rest */
    for (int k = 0; k < n; k++) {
        m = list_dir(fd, all[k].next, 8192, part, NFILES + 8);
        if (m != n - k - 1)
            FAIL("resume after entry %d: %d entries, want %d", k, m,
                 n - k - 1);
        for (int i = 0; i < m; i++)
            CHECK(strcmp(part[i].name, all[k + 1 + i].name) == 0);
    }
    /* the last cookie: nothing left */
    CHECK(list_dir(fd, all[n - 1].next, 8192, part, NFILES + 8) == 0);

    /* a file fd is not a directory (or, as a host may drop rights that do
     * not apply to a file, lacks FD_READDIR) */
    __wasi_fd_t ffd;
    uint8_t b[256];
    __wasi_size_t used;
    CHECK_OK(wt_open(fd, "f0", 0, 0, 0, &ffd));
    CHECK_ERR2(__wasi_fd_readdir(ffd, b, sizeof b, 0, &used),
               __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOTCAPABLE);
    CHECK_OK(__wasi_fd_close(ffd));

    /* libc's readdir sees the same names, and seekdir/telldir resume */
    DIR *d = opendir("/sandbox/list");
    struct dirent *de;
    int count = 0;
    long mid = -1;
    char after_mid[64] = "";
    CHECK(d != NULL);
    while ((de = readdir(d)) != NULL) {
        CHECK(find(all, n, de->d_name) >= 0);
        if (count == n / 2)
            mid = telldir(d);
        else if (count == n / 2 + 1)
            snprintf(after_mid, sizeof after_mid, "%s", de->d_name);
        count++;
    }
    CHECK(count == n);
    seekdir(d, mid);
    de = readdir(d);
    CHECK(de != NULL && strcmp(de->d_name, after_mid) == 0);
    rewinddir(d);
    count = 0;
    while (readdir(d) != NULL)
        count++;
    CHECK(count == n);
    CHECK(closedir(d) == 0);

    /* a removed entry disappears from a fresh listing */
    CHECK_OK(__wasi_path_unlink_file(fd, "f0"));
    m = list_dir(fd, 0, 8192, part, NFILES + 8);
    CHECK(m == n - 1 && find(part, m, "f0") < 0);
    CHECK_OK(__wasi_fd_close(fd));
}

int main(void)
{
    dir = wt_preopen("/sandbox");
    test_create_remove();
    test_readdir();
    printf("ok\n");
    return 0;
}
