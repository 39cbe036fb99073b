/* os_fs_linux.c - os_fs.h on Linux: *at() files, openat2, getdents64,
 * clocks, getrandom, ppoll and sockets.
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE
#include "platform/os_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Build knob: 0 forces the portable resolver (tests of the fallback). */
#ifndef MANTLE_ENABLE_OPENAT2
#define MANTLE_ENABLE_OPENAT2 1
#endif

#if MANTLE_ENABLE_OPENAT2 && defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2_H 1
#endif
#endif

_Static_assert(OS_FD_CWD == AT_FDCWD, "OS_FD_CWD is AT_FDCWD");

/* Host errno -> OS_E*, from the one list in os_fs.h. */
static int err_of(int e)
{
    switch (e) {
#define OS_ERRNO_CASE(name, num) case E##name: return -OS_E##name;
        OS_ERRNO_LIST(OS_ERRNO_CASE)
#undef OS_ERRNO_CASE
    default: return -OS_EIO;
    }
}

#define CHECK(expr) ((expr) < 0 ? err_of(errno) : 0)

const char *os_fs_strerror(int err)
{
    if (err < 0)
        err = -err;
    switch (err) {
    case OS_ESUCCESS: return "success";
    case OS_ENOTCAPABLE: return "not capable (outside the granted access)";
#define OS_ERRNO_STR(name, num) case OS_E##name: return strerror(E##name);
        OS_ERRNO_LIST(OS_ERRNO_STR)
#undef OS_ERRNO_STR
    default: return "unknown error";
    }
}

static int host_oflags(int f)
{
    int o = O_CLOEXEC | O_NOCTTY;

    switch (f & OS_O_ACCMODE) {
    case OS_O_WRONLY: o |= O_WRONLY; break;
    case OS_O_RDWR: o |= O_RDWR; break;
    default: o |= O_RDONLY; break;
    }
    if (f & OS_O_CREAT) o |= O_CREAT;
    if (f & OS_O_EXCL) o |= O_EXCL;
    if (f & OS_O_TRUNC) o |= O_TRUNC;
    if (f & OS_O_DIRECTORY) o |= O_DIRECTORY;
    if (f & OS_O_NOFOLLOW) o |= O_NOFOLLOW;
    if (f & OS_O_APPEND) o |= O_APPEND;
    if (f & OS_O_NONBLOCK) o |= O_NONBLOCK;
    if (f & OS_O_DSYNC) o |= O_DSYNC;
    if (f & OS_O_SYNC) o |= O_SYNC;
    if (f & OS_O_RSYNC) o |= O_RSYNC;
    if (f & OS_O_PATH) o = (o & (O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW)) | O_PATH;
    return o;
}

int os_fs_openat(int dirfd, const char *path, int oflags, unsigned mode)
{
    int fd;

    do
        fd = openat(dirfd, path, host_oflags(oflags), (mode_t)mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? err_of(errno) : fd;
}

int os_fs_openat_beneath(int dirfd, const char *path, int oflags,
                         unsigned mode)
{
#if defined(SYS_openat2) && defined(HAVE_OPENAT2_H)
    static volatile int missing; /* benign race: every thread finds the same */
    struct open_how how;
    int fd, tries = 0;

    if (missing)
        return -OS_ENOSYS;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)host_oflags(oflags);
    how.mode = ((how.flags & O_CREAT) ||
                (how.flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (;;) {
        fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0)
            return fd;
        /* EAGAIN: a concurrent rename made the kernel distrust ".."; the
         * lookup is safe to retry. */
        if (errno == EINTR || (errno == EAGAIN && ++tries < 64))
            continue;
        break;
    }
    if (errno == ENOSYS) {
        missing = 1;
        return -OS_ENOSYS;
    }
    return err_of(errno);
#else
    (void)dirfd; (void)path; (void)oflags; (void)mode;
    return -OS_ENOSYS;
#endif
}

int os_fs_close(int fd)
{
    /* Linux closes the descriptor even when close() reports EINTR. */
    if (close(fd) < 0 && errno != EINTR)
        return err_of(errno);
    return 0;
}

static uint8_t ftype_of_mode(mode_t m)
{
    if (S_ISREG(m)) return OS_FT_REG;
    if (S_ISDIR(m)) return OS_FT_DIR;
    if (S_ISCHR(m)) return OS_FT_CHAR;
    if (S_ISBLK(m)) return OS_FT_BLOCK;
    if (S_ISLNK(m)) return OS_FT_SYMLINK;
    if (S_ISSOCK(m)) return OS_FT_SOCK_STREAM;
    return OS_FT_UNKNOWN;
}

static uint64_t ts_ns(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void fill_stat(const struct stat *st, os_stat *out)
{
    out->dev = (uint64_t)st->st_dev;
    out->ino = (uint64_t)st->st_ino;
    out->nlink = (uint64_t)st->st_nlink;
    out->size = (uint64_t)st->st_size;
    out->atim = ts_ns(st->st_atim);
    out->mtim = ts_ns(st->st_mtim);
    out->ctim = ts_ns(st->st_ctim);
    out->type = ftype_of_mode(st->st_mode);
}

static uint8_t sock_type(int fd)
{
    int t = 0;
    socklen_t len = sizeof t;

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) == 0 && t == SOCK_DGRAM)
        return OS_FT_SOCK_DGRAM;
    return OS_FT_SOCK_STREAM;
}

int os_fs_fstat(int fd, os_stat *out)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return err_of(errno);
    fill_stat(&st, out);
    if (S_ISSOCK(st.st_mode))
        out->type = sock_type(fd);
    return 0;
}

int os_fs_fstatat(int dirfd, const char *name, bool follow, os_stat *out)
{
    struct stat st;

    if (fstatat(dirfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
        return err_of(errno);
    fill_stat(&st, out);
    return 0;
}

int os_fs_ftype(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return err_of(errno);
    if (S_ISSOCK(st.st_mode))
        return sock_type(fd);
    return ftype_of_mode(st.st_mode);
}

/* os_iovec and struct iovec have the same members; copy rather than cast. */
#define IOV_CHUNK 64
static int to_iov(const os_iovec *iov, int n, struct iovec *out)
{
    if (n > IOV_CHUNK)
        n = IOV_CHUNK;
    for (int i = 0; i < n; i++) {
        out[i].iov_base = iov[i].base;
        out[i].iov_len = iov[i].len;
    }
    return n;
}

/* Larger arrays are transferred in chunks; a short transfer ends it. */
#define IOV_LOOP(call)                                                       \
    int64_t total = 0;                                                       \
    while (n > 0) {                                                          \
        struct iovec v[IOV_CHUNK];                                           \
        int k = to_iov(iov, n, v);                                           \
        size_t want = 0;                                                     \
        ssize_t r;                                                           \
        for (int i = 0; i < k; i++)                                          \
            want += v[i].iov_len;                                            \
        do                                                                   \
            r = (call);                                                      \
        while (r < 0 && errno == EINTR);                                     \
        if (r < 0)                                                           \
            return total > 0 ? total : err_of(errno);                        \
        total += r;                                                          \
        if ((size_t)r < want)                                                \
            break;                                                           \
        iov += k;                                                            \
        n -= k;                                                              \
    }                                                                        \
    return total;

int64_t os_fs_readv(int fd, const os_iovec *iov, int n)
{
    IOV_LOOP(readv(fd, v, k))
}

int64_t os_fs_writev(int fd, const os_iovec *iov, int n)
{
    IOV_LOOP(writev(fd, v, k))
}

int64_t os_fs_preadv(int fd, const os_iovec *iov, int n, uint64_t off)
{
    if (off > INT64_MAX)
        return -OS_EINVAL;
    IOV_LOOP(preadv(fd, v, k, (off_t)(off + (uint64_t)total)))
}

int64_t os_fs_pwritev(int fd, const os_iovec *iov, int n, uint64_t off)
{
    if (off > INT64_MAX)
        return -OS_EINVAL;
    IOV_LOOP(pwritev(fd, v, k, (off_t)(off + (uint64_t)total)))
}

int64_t os_fs_seek(int fd, int64_t off, int whence)
{
    static const int w[3] = {SEEK_SET, SEEK_CUR, SEEK_END};
    off_t r;

    if (whence < 0 || whence > 2)
        return -OS_EINVAL;
    r = lseek(fd, (off_t)off, w[whence]);
    return r < 0 ? err_of(errno) : (int64_t)r;
}

int os_fs_renameat(int olddir, const char *oldname, int newdir,
                   const char *newname)
{
    return CHECK(renameat(olddir, oldname, newdir, newname));
}

int os_fs_linkat(int olddir, const char *oldname, int newdir,
                 const char *newname)
{
    return CHECK(linkat(olddir, oldname, newdir, newname, 0));
}

int os_fs_symlinkat(const char *target, int dir, const char *name)
{
    return CHECK(symlinkat(target, dir, name));
}

int64_t os_fs_readlinkat(int dir, const char *name, char *buf, size_t size)
{
    char tmp[4096];
    ssize_t r = readlinkat(dir, name, tmp, sizeof tmp);

    if (r < 0)
        return err_of(errno);
    memcpy(buf, tmp, (size_t)r < size ? (size_t)r : size);
    return r;
}

int os_fs_unlinkat(int dir, const char *name, bool rmdir)
{
    return CHECK(unlinkat(dir, name, rmdir ? AT_REMOVEDIR : 0));
}

int os_fs_mkdirat(int dir, const char *name, unsigned mode)
{
    return CHECK(mkdirat(dir, name, (mode_t)mode));
}

static struct timespec ts_of(uint64_t t)
{
    struct timespec ts;

    if (t == OS_TIME_NOW) {
        ts.tv_sec = 0;
        ts.tv_nsec = UTIME_NOW;
    } else if (t == OS_TIME_OMIT) {
        ts.tv_sec = 0;
        ts.tv_nsec = UTIME_OMIT;
    } else {
        ts.tv_sec = (time_t)(t / 1000000000u);
        ts.tv_nsec = (long)(t % 1000000000u);
    }
    return ts;
}

int os_fs_utimens(int dir, const char *name, uint64_t atim, uint64_t mtim)
{
    struct timespec ts[2];

    ts[0] = ts_of(atim);
    ts[1] = ts_of(mtim);
    if (name == NULL)
        return CHECK(futimens(dir, ts));
    return CHECK(utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW));
}

int os_fs_ftruncate(int fd, uint64_t size)
{
    if (size > INT64_MAX)
        return -OS_EFBIG;
    return CHECK(ftruncate(fd, (off_t)size));
}

int os_fs_fsync(int fd)
{
    return CHECK(fsync(fd));
}

int os_fs_fdatasync(int fd)
{
    return CHECK(fdatasync(fd));
}

int os_fs_writeback_start(int fd, uint64_t off, uint64_t len)
{
    return CHECK(sync_file_range(fd, (off_t)off, (off_t)len,
                                 SYNC_FILE_RANGE_WRITE));
}

int os_fs_lock(int fd, bool lock)
{
    int r;

    do
        r = flock(fd, lock ? LOCK_EX : LOCK_UN);
    while (r < 0 && errno == EINTR);
    return CHECK(r);
}

int os_fs_fadvise(int fd, uint64_t off, uint64_t len, int advice)
{
    static const int a[6] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL,
                             POSIX_FADV_RANDOM, POSIX_FADV_WILLNEED,
                             POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    int r;

    if (advice < 0 || advice > 5 || off > INT64_MAX || len > INT64_MAX)
        return -OS_EINVAL;
    r = posix_fadvise(fd, (off_t)off, (off_t)len, a[advice]);
    return r ? err_of(r) : 0;
}

int os_fs_fallocate(int fd, uint64_t off, uint64_t len)
{
    int r;

    if (off > INT64_MAX || len > INT64_MAX || off + len > INT64_MAX)
        return -OS_EFBIG;
    r = posix_fallocate(fd, (off_t)off, (off_t)len);
    return r ? err_of(r) : 0;
}

int os_fs_getfl(int fd)
{
    int fl = fcntl(fd, F_GETFL), o = 0;

    if (fl < 0)
        return err_of(errno);
    switch (fl & O_ACCMODE) {
    case O_WRONLY: o = OS_O_WRONLY; break;
    case O_RDWR: o = OS_O_RDWR; break;
    default: o = OS_O_RDONLY; break;
    }
    if (fl & O_APPEND) o |= OS_O_APPEND;
    if (fl & O_NONBLOCK) o |= OS_O_NONBLOCK;
    /* O_SYNC includes the O_DSYNC bit on Linux. */
    if ((fl & O_SYNC) == O_SYNC)
        o |= OS_O_SYNC;
    else if (fl & O_DSYNC)
        o |= OS_O_DSYNC;
    return o;
}

int os_fs_setfl(int fd, int flags)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return err_of(errno);
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & OS_O_APPEND) fl |= O_APPEND;
    if (flags & OS_O_NONBLOCK) fl |= O_NONBLOCK;
    return CHECK(fcntl(fd, F_SETFL, fl));
}

bool os_fs_isatty(int fd)
{
    return isatty(fd) == 1;
}

int64_t os_fs_nread(int fd)
{
    int n = 0;

    if (ioctl(fd, FIONREAD, &n) < 0)
        return err_of(errno);
    return n;
}

/* ---- Directories ------------------------------------------------------ */

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

int os_fs_dir_rewind(int fd, os_dirbuf *b)
{
    b->pos = b->len = 0;
    return lseek(fd, 0, SEEK_SET) < 0 ? err_of(errno) : 0;
}

int os_fs_dir_next(int fd, os_dirbuf *b, os_dirent *out)
{
    struct linux_dirent64 *d;

    if (b->pos >= b->len) {
        long r = syscall(SYS_getdents64, fd, b->data, sizeof b->data);

        if (r < 0)
            return err_of(errno);
        if (r == 0)
            return 0;
        b->pos = 0;
        b->len = (size_t)r;
    }
    d = (struct linux_dirent64 *)(void *)(b->data + b->pos);
    b->pos += d->d_reclen;
    out->ino = d->d_ino;
    out->name = d->d_name;
    out->namelen = strlen(d->d_name);
    switch (d->d_type) {
    case DT_REG: out->type = OS_FT_REG; break;
    case DT_DIR: out->type = OS_FT_DIR; break;
    case DT_LNK: out->type = OS_FT_SYMLINK; break;
    case DT_CHR: out->type = OS_FT_CHAR; break;
    case DT_BLK: out->type = OS_FT_BLOCK; break;
    case DT_SOCK: out->type = OS_FT_SOCK_STREAM; break;
    case DT_FIFO: out->type = OS_FT_UNKNOWN; break;
    default: {
        struct stat st;

        out->type = fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
                        ? ftype_of_mode(st.st_mode)
                        : OS_FT_UNKNOWN;
        break;
    }
    }
    return 1;
}

/* ---- Clocks, randomness, scheduling ---------------------------------- */

static int clock_of(int id, clockid_t *out)
{
    static const clockid_t ids[4] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                     CLOCK_PROCESS_CPUTIME_ID,
                                     CLOCK_THREAD_CPUTIME_ID};

    if (id < 0 || id > 3)
        return -OS_EINVAL;
    *out = ids[id];
    return 0;
}

int os_fs_clock_time(int id, uint64_t *out_ns)
{
    struct timespec ts;
    clockid_t c;

    if (clock_of(id, &c) < 0)
        return -OS_EINVAL;
    if (clock_gettime(c, &ts) < 0)
        return err_of(errno);
    *out_ns = ts_ns(ts);
    return 0;
}

int os_fs_clock_res(int id, uint64_t *out_ns)
{
    struct timespec ts;
    clockid_t c;

    if (clock_of(id, &c) < 0)
        return -OS_EINVAL;
    if (clock_getres(c, &ts) < 0)
        return err_of(errno);
    *out_ns = ts_ns(ts);
    return 0;
}

int os_fs_random(void *buf, size_t len)
{
    unsigned char *p = buf;

    while (len > 0) {
        long r = syscall(SYS_getrandom, p, len, 0);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return err_of(errno);
        }
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

void os_fs_yield(void)
{
    sched_yield();
}

/* ---- Polling ---------------------------------------------------------- */

int os_fs_poll(os_pollfd *fds, size_t n, int64_t timeout_ns)
{
    struct pollfd p[64];
    struct timespec ts, *tsp = NULL;
    int r;

    if (n > sizeof p / sizeof p[0])
        return -OS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        p[i].fd = fds[i].fd;
        p[i].events = (short)(((fds[i].events & OS_POLLIN) ? POLLIN : 0) |
                              ((fds[i].events & OS_POLLOUT) ? POLLOUT : 0));
        p[i].revents = 0;
    }
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        tsp = &ts;
    }
    r = ppoll(p, (nfds_t)n, tsp, NULL);
    if (r < 0)
        return err_of(errno);
    for (size_t i = 0; i < n; i++) {
        int v = p[i].revents, o = 0;

        if (v & POLLIN) o |= OS_POLLIN;
        if (v & POLLOUT) o |= OS_POLLOUT;
        if (v & POLLERR) o |= OS_POLLERR;
        if (v & POLLHUP) o |= OS_POLLHUP;
        if (v & POLLNVAL) o |= OS_POLLNVAL;
        fds[i].revents = o;
    }
    return r;
}

/* ---- Sockets ---------------------------------------------------------- */

int os_fs_accept(int fd, bool nonblock)
{
    int s;

    do
        s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
    while (s < 0 && errno == EINTR);
    return s < 0 ? err_of(errno) : s;
}

int64_t os_fs_recv(int fd, const os_iovec *iov, int n, int flags)
{
    struct iovec v[IOV_CHUNK];
    struct msghdr mh;
    ssize_t r;

    memset(&mh, 0, sizeof mh);
    mh.msg_iov = v;
    mh.msg_iovlen = (size_t)to_iov(iov, n, v);
    do
        r = recvmsg(fd, &mh, ((flags & OS_MSG_PEEK) ? MSG_PEEK : 0) |
                                 ((flags & OS_MSG_WAITALL) ? MSG_WAITALL : 0));
    while (r < 0 && errno == EINTR);
    return r < 0 ? err_of(errno) : (int64_t)r;
}

int64_t os_fs_send(int fd, const os_iovec *iov, int n)
{
    struct iovec v[IOV_CHUNK];
    struct msghdr mh;
    ssize_t r;

    memset(&mh, 0, sizeof mh);
    mh.msg_iov = v;
    mh.msg_iovlen = (size_t)to_iov(iov, n, v);
    do
        r = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return r < 0 ? err_of(errno) : (int64_t)r;
}

int os_fs_shutdown(int fd, int how)
{
    int h = how == 1 ? SHUT_RD : how == 2 ? SHUT_WR : SHUT_RDWR;

    return CHECK(shutdown(fd, h));
}
