/* sealed_ops.c - an ordinary WASI program doing every file operation, run on
 * a sealed directory by sealfs_test.sh.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: sealed_ops write DIR   do everything and leave a known state
 *        sealed_ops check DIR   the state `write` left, after a restart
 *        sealed_ops cat DIR FILE  print FILE; exit 3 with "EIO" on an I/O error
 *        sealed_ops ls DIR     print the names in DIR, sorted
 *        sealed_ops mk DIR FILE SIZE SEED  write SIZE bytes of pattern SEED
 *        sealed_ops osync DIR  write sync.txt through O_SYNC, say "written",
 *                              then wait to be killed without closing it
 * Nothing here knows the directory is sealed: plain libc calls only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "FAIL %s:%d: %s (errno %d %s)\n", __FILE__,         \
                    __LINE__, #c, errno, strerror(errno));                     \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static char path_buf[4][512];
static const char *P(int slot, const char *dir, const char *name)
{
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", dir, name);
    return path_buf[slot];
}

static unsigned char pat(size_t i)
{
    return (unsigned char)(i * 7 + i / 4096);
}

#define BIG (1024 * 1024 + 123)

static void put(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");

    CHECK(f && fputs(s, f) >= 0 && fclose(f) == 0);
}

static void expect(const char *path, const char *s)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    size_t n;

    CHECK(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    CHECK(fclose(f) == 0);
    if (n != strlen(s) || memcmp(buf, s, n) != 0) {
        fprintf(stderr, "FAIL: %s holds \"%s\", want \"%s\"\n", path, buf, s);
        exit(1);
    }
}

static long size_of(const char *path)
{
    struct stat st;

    CHECK(stat(path, &st) == 0);
    return (long)st.st_size;
}

static void check_big(const char *dir)
{
    static unsigned char buf[BIG];
    int fd = open(P(0, dir, "big.bin"), O_RDONLY);
    size_t got = 0;

    CHECK(fd >= 0);
    while (got < BIG) {
        ssize_t n = read(fd, buf + got, 10007);

        CHECK(n > 0);
        got += (size_t)n;
    }
    CHECK(read(fd, buf, 1) == 0);
    CHECK(close(fd) == 0);
    for (size_t i = 0; i < BIG; i++) {
        unsigned char want = i >= 300000 && i < 300005 ? "PATCH"[i - 300000]
                                                       : pat(i);
        if (buf[i] != want) {
            fprintf(stderr, "FAIL: big.bin byte %zu is %u, want %u\n", i,
                    buf[i], want);
            exit(1);
        }
    }
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ls(const char *dir, char *out, size_t cap)
{
    char *names[64];
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;

    CHECK(d);
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        CHECK(n < 64);
        names[n++] = strdup(e->d_name);
    }
    CHECK(closedir(d) == 0);
    qsort(names, (size_t)n, sizeof *names, cmp);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        strncat(out, names[i], cap - strlen(out) - 2);
        strcat(out, " ");
        free(names[i]);
    }
}

static void do_write(const char *dir)
{
    static unsigned char buf[BIG];
    char names[1024], small[64];
    int fd, fd2;
    struct stat st;

    /* create + write + read */
    put(P(0, dir, "hello.txt"), "hello, sealed world\n");
    expect(P(0, dir, "hello.txt"), "hello, sealed world\n");
    errno = 0;
    CHECK(open(P(0, dir, "hello.txt"), O_CREAT | O_EXCL | O_WRONLY, 0600) < 0 &&
          errno == EEXIST);
    errno = 0;
    CHECK(open(P(0, dir, "missing"), O_RDONLY) < 0 && errno == ENOENT);

    /* a file of several tree levels, written in odd-sized pieces */
    for (size_t i = 0; i < BIG; i++)
        buf[i] = pat(i);
    fd = open(P(0, dir, "big.bin"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd >= 0);
    for (size_t off = 0; off < BIG;) {
        size_t k = BIG - off < 5003 ? BIG - off : 5003;
        ssize_t n = write(fd, buf + off, k);

        CHECK(n == (ssize_t)k);
        off += k;
    }
    CHECK(pwrite(fd, "PATCH", 5, 300000) == 5);
    CHECK(fsync(fd) == 0);
    CHECK(pread(fd, small, 5, 300000) == 5 && memcmp(small, "PATCH", 5) == 0);
    CHECK(pread(fd, small, 10, BIG - 3) == 3);
    CHECK(close(fd) == 0);
    CHECK(size_of(P(0, dir, "big.bin")) == BIG);
    check_big(dir);

    /* A closed file's plaintext stays cached in the mount: renamed away and
     * replaced, each name reads its own bytes; truncated below the first
     * 1 MiB chunk and regrown, the regrown part (both chunks) is zeros. */
    fd = open(P(0, dir, "c1.bin"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd >= 0 && write(fd, buf, BIG) == BIG && close(fd) == 0);
    CHECK(rename(P(0, dir, "c1.bin"), P(1, dir, "c2.bin")) == 0);
    put(P(0, dir, "c1.bin"), "new");
    expect(P(0, dir, "c1.bin"), "new");
    fd = open(P(0, dir, "c2.bin"), O_RDWR);
    CHECK(fd >= 0 && pread(fd, small, 4, BIG - 4) == 4 &&
          memcmp(small, buf + BIG - 4, 4) == 0);
    CHECK(ftruncate(fd, 1000) == 0 && ftruncate(fd, BIG) == 0);
    CHECK(pread(fd, small, 4, 998) == 4 && memcmp(small, buf + 998, 2) == 0 &&
          small[2] == 0 && small[3] == 0);
    CHECK(pread(fd, small, 4, 1024 * 1024 - 2) == 4 &&
          memcmp(small, "\0\0\0\0", 4) == 0);
    CHECK(close(fd) == 0);
    CHECK(unlink(P(0, dir, "c1.bin")) == 0 && unlink(P(0, dir, "c2.bin")) == 0);
    errno = 0;
    CHECK(open(P(0, dir, "c2.bin"), O_RDONLY) < 0 && errno == ENOENT);

    /* seek: from the end, from here, and past the end (a hole of zeros) */
    fd = open(P(0, dir, "seek.bin"), O_CREAT | O_RDWR, 0600);
    CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10);
    CHECK(lseek(fd, -3, SEEK_END) == 7 && read(fd, small, 3) == 3 &&
          memcmp(small, "789", 3) == 0);
    CHECK(lseek(fd, 2, SEEK_SET) == 2 && lseek(fd, 3, SEEK_CUR) == 5);
    CHECK(read(fd, small, 2) == 2 && memcmp(small, "56", 2) == 0);
    CHECK(lseek(fd, 8200, SEEK_SET) == 8200 && write(fd, "X", 1) == 1);
    CHECK(pread(fd, small, 4, 8198) == 3 && small[0] == 0 && small[1] == 0 &&
          small[2] == 'X');
    errno = 0;
    CHECK(lseek(fd, -1, SEEK_SET) < 0 && errno == EINVAL);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 8201 && S_ISREG(st.st_mode));
    CHECK(close(fd) == 0);

    /* truncate down, then up: the regrown part reads as zeros */
    fd = open(P(0, dir, "trunc.bin"), O_CREAT | O_RDWR, 0600);
    CHECK(fd >= 0 && write(fd, buf, 10000) == 10000);
    CHECK(ftruncate(fd, 5000) == 0 && fstat(fd, &st) == 0 && st.st_size == 5000);
    CHECK(ftruncate(fd, 9000) == 0);
    CHECK(pread(fd, small, 8, 4996) == 8 && memcmp(small, buf + 4996, 4) == 0 &&
          small[4] == 0 && small[7] == 0);
    CHECK(close(fd) == 0);
    CHECK(truncate(P(0, dir, "trunc.bin"), 4097) == 0);

    /* append */
    fd = open(P(0, dir, "log.txt"), O_CREAT | O_WRONLY | O_APPEND, 0600);
    CHECK(fd >= 0 && write(fd, "one\n", 4) == 4 && close(fd) == 0);
    fd = open(P(0, dir, "log.txt"), O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, "two\n", 4) == 4);
    CHECK(close(fd) == 0);
    expect(P(0, dir, "log.txt"), "one\ntwo\n");

    /* rename, and rename over an existing file */
    put(P(0, dir, "tmp.txt"), "renamed\n");
    CHECK(rename(P(0, dir, "tmp.txt"), P(1, dir, "renamed.txt")) == 0);
    errno = 0;
    CHECK(open(P(0, dir, "tmp.txt"), O_RDONLY) < 0 && errno == ENOENT);
    put(P(0, dir, "victim.txt"), "old\n");
    put(P(0, dir, "new.txt"), "new\n");
    CHECK(rename(P(0, dir, "new.txt"), P(1, dir, "victim.txt")) == 0);
    expect(P(0, dir, "victim.txt"), "new\n");

    /* directories: nested, renamed with their contents, removed */
    CHECK(mkdir(P(0, dir, "sub"), 0700) == 0);
    CHECK(mkdir(P(0, dir, "sub/deeper"), 0700) == 0);
    errno = 0;
    CHECK(mkdir(P(0, dir, "sub"), 0700) < 0 && errno == EEXIST);
    put(P(0, dir, "sub/deeper/f.txt"), "deep\n");
    CHECK(rename(P(0, dir, "sub"), P(1, dir, "sub2")) == 0);
    expect(P(0, dir, "sub2/deeper/f.txt"), "deep\n");
    errno = 0;
    CHECK(rmdir(P(0, dir, "sub2")) < 0 && errno == ENOTEMPTY);
    CHECK(mkdir(P(0, dir, "empty"), 0700) == 0 && rmdir(P(0, dir, "empty")) == 0);
    CHECK(stat(P(0, dir, "sub2/deeper"), &st) == 0 && S_ISDIR(st.st_mode));

    /* unlink, also of a file still open: it stays readable until closed */
    put(P(0, dir, "gone.txt"), "bye\n");
    fd2 = open(P(0, dir, "gone.txt"), O_RDONLY);
    CHECK(fd2 >= 0 && unlink(P(0, dir, "gone.txt")) == 0);
    errno = 0;
    CHECK(stat(P(0, dir, "gone.txt"), &st) < 0 && errno == ENOENT);
    CHECK(read(fd2, small, 4) == 4 && memcmp(small, "bye\n", 4) == 0);
    CHECK(close(fd2) == 0);
    errno = 0;
    CHECK(unlink(P(0, dir, "sub2")) < 0 && (errno == EISDIR || errno == EPERM));

    /* the sandbox holds inside a sealed directory too */
    errno = 0;
    CHECK(open(P(0, dir, "../outside"), O_CREAT | O_WRONLY, 0600) < 0);

    /* readdir and stat: names and plaintext sizes */
    ls(dir, names, sizeof names);
    if (strcmp(names, "big.bin hello.txt log.txt renamed.txt seek.bin sub2 "
                      "trunc.bin victim.txt ") != 0) {
        fprintf(stderr, "FAIL: readdir: %s\n", names);
        exit(1);
    }
    ls(P(2, dir, "sub2"), names, sizeof names);
    CHECK(strcmp(names, "deeper ") == 0);
    CHECK(size_of(P(0, dir, "hello.txt")) == 20);
    CHECK(size_of(P(0, dir, "trunc.bin")) == 4097);
    printf("ok\n");
}

static void do_check(const char *dir)
{
    char names[1024];

    expect(P(0, dir, "hello.txt"), "hello, sealed world\n");
    expect(P(0, dir, "log.txt"), "one\ntwo\n");
    expect(P(0, dir, "renamed.txt"), "renamed\n");
    expect(P(0, dir, "victim.txt"), "new\n");
    expect(P(0, dir, "sub2/deeper/f.txt"), "deep\n");
    check_big(dir);
    CHECK(size_of(P(0, dir, "seek.bin")) == 8201);
    CHECK(size_of(P(0, dir, "trunc.bin")) == 4097);
    ls(dir, names, sizeof names);
    if (strcmp(names, "big.bin hello.txt log.txt renamed.txt seek.bin sub2 "
                      "trunc.bin victim.txt ") != 0) {
        fprintf(stderr, "FAIL: readdir: %s\n", names);
        exit(1);
    }
    printf("ok\n");
}

/* Print a file; an I/O error is reported as such (exit 3), anything else
 * fails (exit 1). */
static int do_cat(const char *dir, const char *name)
{
    static char buf[2 * 1024 * 1024];
    int fd = open(P(0, dir, name), O_RDONLY);
    ssize_t n, total = 0;

    if (fd < 0 && errno == EIO) {
        printf("EIO\n");
        return 3;
    }
    CHECK(fd >= 0);
    while ((n = read(fd, buf + total, sizeof buf - (size_t)total)) > 0)
        total += n;
    if (n < 0 && errno == EIO) {
        printf("EIO\n");
        return 3;
    }
    CHECK(n == 0 && close(fd) == 0);
    fwrite(buf, 1, (size_t)total, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "write") == 0)
        do_write(argv[2]);
    else if (argc == 3 && strcmp(argv[1], "check") == 0)
        do_check(argv[2]);
    else if (argc == 4 && strcmp(argv[1], "cat") == 0)
        return do_cat(argv[2], argv[3]);
    else if (argc == 6 && strcmp(argv[1], "mk") == 0) {
        size_t size = strtoul(argv[4], NULL, 0), seed = strtoul(argv[5], NULL, 0);
        FILE *f = fopen(P(0, argv[2], argv[3]), "w");

        CHECK(f);
        for (size_t i = 0; i < size; i++)
            CHECK(fputc((int)((i * 131 + seed * 17 + i / 4096) & 255), f) != EOF);
        CHECK(fclose(f) == 0);
    } else if (argc == 3 && strcmp(argv[1], "osync") == 0) {
        int fd = open(P(0, argv[2], "sync.txt"), O_CREAT | O_WRONLY | O_SYNC,
                      0600);

        CHECK(fd >= 0 && write(fd, "durable\n", 8) == 8);
        CHECK((fcntl(fd, F_GETFL) & O_SYNC) == O_SYNC);
        printf("written\n");
        fflush(stdout);
        for (;;)
            sleep(1);
    } else if (argc == 3 && strcmp(argv[1], "ls") == 0) {
        char names[1024];
        DIR *d = opendir(argv[2]);

        if (!d && errno == EIO) {
            printf("EIO\n");
            return 3;
        }
        if (d)
            closedir(d);
        ls(argv[2], names, sizeof names);
        printf("%s\n", names);
    } else {
        fprintf(stderr, "usage: sealed_ops write|check|ls DIR | cat DIR FILE"
                        " | mk DIR FILE SIZE SEED\n");
        return 2;
    }
    return 0;
}
