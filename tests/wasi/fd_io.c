/* fd_io.c - fd_read/write (scatter/gather), pread/pwrite, seek/tell, append
 * mode, sync/datasync, renumber, close, and EOF behaviour, on a file in the
 * preopened /sandbox.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi_test.h"

static __wasi_fd_t dir;

static void test_libc_roundtrip(void)
{
    char buf[256];
    int fd = open("/sandbox/libc.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);

    CHECK(fd >= 0);
    CHECK(write(fd, "hello, ", 7) == 7);
    CHECK(write(fd, "world\n", 6) == 6);
    CHECK(close(fd) == 0);
    fd = open("/sandbox/libc.txt", O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof buf) == 13);
    CHECK(memcmp(buf, "hello, world\n", 13) == 0);
    CHECK(read(fd, buf, sizeof buf) == 0); /* EOF */
    CHECK(close(fd) == 0);
    CHECK(close(fd) == -1 && errno == EBADF);

    FILE *f = fopen("/sandbox/stdio.txt", "w");
    CHECK(f != NULL);
    for (int i = 0; i < 1000; i++)
        fprintf(f, "line %d\n", i);
    CHECK(fclose(f) == 0);
    f = fopen("/sandbox/stdio.txt", "r");
    CHECK(f != NULL);
    for (int i = 0; i < 1000; i++) {
        int v = -1;
        CHECK(fscanf(f, "line %d\n", &v) == 1 && v == i);
    }
    CHECK(fgetc(f) == EOF && feof(f));
    CHECK(fclose(f) == 0);
}

static void test_iovecs(void)
{
    __wasi_fd_t fd;
    __wasi_size_t n;
    char a[4], b[1], c[16];

    CHECK_OK(wt_open(dir, "iov.bin", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    __wasi_ciovec_t w[3] = {{(const uint8_t *)"abc", 3},
                            {(const uint8_t *)"", 0},
                            {(const uint8_t *)"defgh", 5}};
    CHECK_OK(__wasi_fd_write(fd, w, 3, &n));
    CHECK(n == 8);
    CHECK_OK(__wasi_fd_write(fd, w, 0, &n)); /* no vectors: writes nothing */
    CHECK(n == 0);

    __wasi_filesize_t pos;
    CHECK_OK(__wasi_fd_tell(fd, &pos));
    CHECK(pos == 8);
    CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    CHECK(pos == 0);
    /* scatter: 4 + 1 + rest */
    __wasi_iovec_t r[3] = {{(uint8_t *)a, 4}, {(uint8_t *)b, 1},
                           {(uint8_t *)c, sizeof c}};
    CHECK_OK(__wasi_fd_read(fd, r, 3, &n));
    CHECK(n == 8);
    CHECK(memcmp(a, "abcd", 4) == 0 && b[0] == 'e' && memcmp(c, "fgh", 3) == 0);
    CHECK_OK(__wasi_fd_read(fd, r, 3, &n));
    CHECK(n == 0); /* EOF */
    CHECK_OK(__wasi_fd_close(fd));
}

static void test_seek_tell(void)
{
    __wasi_fd_t fd;
    __wasi_filesize_t pos;
    __wasi_size_t n;
    char buf[32];

    CHECK_OK(wt_open(dir, "seek.txt", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    CHECK_OK(wt_write_str(fd, "0123456789"));
    CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos));
    CHECK(pos == 10);
    CHECK_OK(__wasi_fd_seek(fd, -3, __WASI_WHENCE_END, &pos));
    CHECK(pos == 7);
    CHECK_OK(__wasi_fd_tell(fd, &pos));
    CHECK(pos == 7);
    CHECK_OK(__wasi_fd_seek(fd, -2, __WASI_WHENCE_CUR, &pos));
    CHECK(pos == 5);
    __wasi_iovec_t r = {(uint8_t *)buf, 3};
    CHECK_OK(__wasi_fd_read(fd, &r, 1, &n));
    CHECK(n == 3 && memcmp(buf, "567", 3) == 0);
    CHECK_OK(__wasi_fd_tell(fd, &pos));
    CHECK(pos == 8);
    /* before the start: EINVAL, offset unchanged */
    CHECK_ERR(__wasi_fd_seek(fd, -100, __WASI_WHENCE_CUR, &pos),
              __WASI_ERRNO_INVAL);
    CHECK_ERR(__wasi_fd_seek(fd, -1, __WASI_WHENCE_SET, &pos),
              __WASI_ERRNO_INVAL);
    CHECK_OK(__wasi_fd_tell(fd, &pos));
    CHECK(pos == 8);
    /* a bad whence */
    CHECK_ERR(__wasi_fd_seek(fd, 0, 3, &pos), __WASI_ERRNO_INVAL);
    /* past the end, then write: the gap reads back as zeros */
    CHECK_OK(__wasi_fd_seek(fd, 4, __WASI_WHENCE_END, &pos));
    CHECK(pos == 14);
    CHECK_OK(wt_write_str(fd, "X"));
    CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    memset(buf, 0x55, sizeof buf);
    r.buf_len = sizeof buf;
    CHECK_OK(__wasi_fd_read(fd, &r, 1, &n));
    CHECK(n == 15);
    CHECK(memcmp(buf, "0123456789\0\0\0\0X", 15) == 0);
    /* libc lseek is the same import */
    int lfd = open("/sandbox/seek.txt", O_RDONLY);
    CHECK(lfd >= 0);
    CHECK(lseek(lfd, 3, SEEK_SET) == 3);
    CHECK(lseek(lfd, 0, SEEK_END) == 15);
    CHECK(lseek(lfd, -20, SEEK_CUR) == -1 && errno == EINVAL);
    CHECK(close(lfd) == 0);
    CHECK_OK(__wasi_fd_close(fd));
}

static void test_pread_pwrite(void)
{
    __wasi_fd_t fd;
    __wasi_filesize_t pos;
    __wasi_size_t n;
    char buf[32];

    CHECK_OK(wt_open(dir, "p.txt", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    CHECK_OK(wt_write_str(fd, "aaaaaaaaaa"));
    CHECK_OK(__wasi_fd_seek(fd, 2, __WASI_WHENCE_SET, &pos));
    __wasi_ciovec_t w[2] = {{(const uint8_t *)"XY", 2},
                            {(const uint8_t *)"Z", 1}};
    CHECK_OK(__wasi_fd_pwrite(fd, w, 2, 6, &n));
    CHECK(n == 3);
    /* pwrite leaves the offset alone */
    CHECK_OK(__wasi_fd_tell(fd, &pos));
    CHECK(pos == 2);
    __wasi_iovec_t r[2] = {{(uint8_t *)buf, 2}, {(uint8_t *)buf + 2, 3}};
    CHECK_OK(__wasi_fd_pread(fd, r, 2, 5, &n));
    CHECK(n == 5 && memcmp(buf, "aXYZa", 5) == 0);
    CHECK_OK(__wasi_fd_tell(fd, &pos));
    CHECK(pos == 2);
    /* pread at and past EOF reads nothing */
    CHECK_OK(__wasi_fd_pread(fd, r, 2, 10, &n));
    CHECK(n == 0);
    CHECK_OK(__wasi_fd_pread(fd, r, 2, 1000, &n));
    CHECK(n == 0);
    /* pwrite past EOF extends the file */
    CHECK_OK(__wasi_fd_pwrite(fd, w + 1, 1, 12, &n));
    CHECK(n == 1);
    __wasi_filestat_t st;
    CHECK_OK(__wasi_fd_filestat_get(fd, &st));
    CHECK(st.size == 13);
    /* the plain read continues from offset 2 */
    __wasi_iovec_t all = {(uint8_t *)buf, sizeof buf};
    CHECK_OK(__wasi_fd_read(fd, &all, 1, &n));
    CHECK(n == 11 && memcmp(buf, "aaaaXYZa\0\0Z", 11) == 0);
    /* libc */
    int lfd = open("/sandbox/p.txt", O_RDWR);
    CHECK(lfd >= 0);
    CHECK(pwrite(lfd, "Q", 1, 0) == 1);
    CHECK(pread(lfd, buf, 2, 0) == 2 && memcmp(buf, "Qa", 2) == 0);
    CHECK(lseek(lfd, 0, SEEK_CUR) == 0);
    CHECK(close(lfd) == 0);
    CHECK_OK(__wasi_fd_close(fd));
}

static void test_append(void)
{
    __wasi_fd_t fd;
    __wasi_filesize_t pos;
    __wasi_size_t n;
    char buf[32];

    wt_put(dir, "app.txt", "start:");
    CHECK_OK(wt_open(dir, "app.txt", 0, 0, __WASI_FDFLAGS_APPEND, &fd));
    __wasi_fdstat_t fs;
    CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK(fs.fs_flags & __WASI_FDFLAGS_APPEND);
    CHECK_OK(wt_write_str(fd, "one;"));
    /* seeking back does not stop writes going to the end */
    CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    CHECK(pos == 0);
    CHECK_OK(wt_write_str(fd, "two;"));
    CHECK_OK(__wasi_fd_tell(fd, &pos));
    CHECK(pos == 14);
    __wasi_iovec_t r = {(uint8_t *)buf, sizeof buf};
    CHECK_OK(__wasi_fd_pread(fd, &r, 1, 0, &n));
    CHECK(n == 14 && memcmp(buf, "start:one;two;", 14) == 0);
    CHECK_OK(__wasi_fd_close(fd));

    /* O_APPEND through libc */
    int lfd = open("/sandbox/app.txt", O_WRONLY | O_APPEND);
    CHECK(lfd >= 0);
    CHECK(lseek(lfd, 0, SEEK_SET) == 0);
    CHECK(write(lfd, "three", 5) == 5);
    CHECK(close(lfd) == 0);
    lfd = open("/sandbox/app.txt", O_RDONLY);
    CHECK(read(lfd, buf, sizeof buf) == 19);
    CHECK(memcmp(buf, "start:one;two;three", 19) == 0);
    CHECK(close(lfd) == 0);
}

static void test_sync(void)
{
    __wasi_fd_t fd;

    CHECK_OK(wt_open(dir, "sync.txt", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    CHECK_OK(wt_write_str(fd, "durable"));
    CHECK_OK(__wasi_fd_sync(fd));
    CHECK_OK(__wasi_fd_datasync(fd));
    CHECK_OK(__wasi_fd_close(fd));
    int lfd = open("/sandbox/sync.txt", O_RDWR);
    CHECK(lfd >= 0);
    CHECK(fsync(lfd) == 0);
    CHECK(fdatasync(lfd) == 0);
    CHECK(close(lfd) == 0);
    /* syncing a directory is allowed too */
    CHECK_OK(__wasi_fd_sync(dir));
}

static void test_renumber(void)
{
    __wasi_fd_t a, b;
    __wasi_size_t n;
    __wasi_filesize_t pos;
    char buf[8];

    wt_put(dir, "ra.txt", "AAAA");
    wt_put(dir, "rb.txt", "BBBB");
    CHECK_OK(wt_open(dir, "ra.txt", 0, 0, 0, &a));
    CHECK_OK(wt_open(dir, "rb.txt", 0, 0, 0, &b));
    CHECK(a != b);
    CHECK_OK(__wasi_fd_seek(a, 1, __WASI_WHENCE_SET, &pos));
    /* b now refers to a's open file (and offset); a is closed */
    CHECK_OK(__wasi_fd_renumber(a, b));
    __wasi_iovec_t r = {(uint8_t *)buf, sizeof buf};
    CHECK_OK(__wasi_fd_read(b, &r, 1, &n));
    CHECK(n == 3 && memcmp(buf, "AAA", 3) == 0);
    CHECK_ERR(__wasi_fd_read(a, &r, 1, &n), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_close(a), __WASI_ERRNO_BADF);
    /* to a closed fd, or from one: EBADF */
    CHECK_ERR(__wasi_fd_renumber(b, a), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_renumber(a, b), __WASI_ERRNO_BADF);
    /* to itself: nothing changes */
    CHECK_OK(__wasi_fd_renumber(b, b));
    CHECK_OK(__wasi_fd_tell(b, &pos));
    CHECK(pos == 4);
    CHECK_OK(__wasi_fd_close(b));
    CHECK_ERR(__wasi_fd_close(b), __WASI_ERRNO_BADF);
    /* the file rb.txt was not touched by the renumber */
    char got[16];
    CHECK_OK(wt_get(dir, "rb.txt", 0, got, sizeof got));
    CHECK(strcmp(got, "BBBB") == 0);
}

static void test_big(void)
{
    /* 1 MiB written in odd-sized pieces reads back identical */
    static uint8_t out[1 << 20], in[1 << 20];
    __wasi_fd_t fd;
    __wasi_size_t n;
    size_t done = 0;

    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i * 2654435761u >> 13);
    CHECK_OK(wt_open(dir, "big.bin", 0,
                     __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    while (done < sizeof out) {
        size_t chunk = sizeof out - done < 7777 ? sizeof out - done : 7777;
        __wasi_ciovec_t w = {out + done, chunk};
        CHECK_OK(__wasi_fd_write(fd, &w, 1, &n));
        CHECK(n > 0);
        done += n;
    }
    CHECK_OK(__wasi_fd_close(fd));
    CHECK_OK(wt_open(dir, "big.bin", 0, 0, 0, &fd));
    done = 0;
    for (;;) {
        __wasi_iovec_t r = {in + done, sizeof in - done};
        if (done == sizeof in)
            break;
        CHECK_OK(__wasi_fd_read(fd, &r, 1, &n));
        if (n == 0)
            break;
        done += n;
    }
    CHECK(done == sizeof in);
    CHECK(memcmp(in, out, sizeof in) == 0);
    CHECK_OK(__wasi_fd_close(fd));
}

int main(void)
{
    dir = wt_preopen("/sandbox");
    test_libc_roundtrip();
    test_iovecs();
    test_seek_tell();
    test_pread_pwrite();
    test_append();
    test_sync();
    test_renumber();
    test_big();
    printf("ok\n");
    return 0;
}
