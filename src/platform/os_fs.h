/* os_fs.h - the platform door for WASI: descriptors, paths, directories,
 * clocks, randomness, polling and sockets.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Thin wrappers over the host's *at() file API. Descriptors are host
 * descriptors (ints); names are NUL-terminated. Every call returns a value
 * >= 0 on success or a negative OS_E* code. The OS_E* codes are the POSIX
 * error names, numbered as WASI preview1's errno (a portable numbering the
 * WASI layer passes through unchanged); a port maps its own errors to them.
 * No call follows a symlink unless it says so, and no call allocates.
 */
#ifndef MANTLE_OS_FS_H
#define MANTLE_OS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Errors ---------------------------------------------------------- */

#define OS_ERRNO_LIST(X)                                                   \
    X(2BIG, 1) X(ACCES, 2) X(ADDRINUSE, 3) X(ADDRNOTAVAIL, 4)              \
    X(AFNOSUPPORT, 5) X(AGAIN, 6) X(ALREADY, 7) X(BADF, 8) X(BADMSG, 9)    \
    X(BUSY, 10) X(CANCELED, 11) X(CHILD, 12) X(CONNABORTED, 13)            \
    X(CONNREFUSED, 14) X(CONNRESET, 15) X(DEADLK, 16) X(DESTADDRREQ, 17)   \
    X(DOM, 18) X(DQUOT, 19) X(EXIST, 20) X(FAULT, 21) X(FBIG, 22)          \
    X(HOSTUNREACH, 23) X(IDRM, 24) X(ILSEQ, 25) X(INPROGRESS, 26)          \
    X(INTR, 27) X(INVAL, 28) X(IO, 29) X(ISCONN, 30) X(ISDIR, 31)          \
    X(LOOP, 32) X(MFILE, 33) X(MLINK, 34) X(MSGSIZE, 35) X(MULTIHOP, 36)   \
    X(NAMETOOLONG, 37) X(NETDOWN, 38) X(NETRESET, 39) X(NETUNREACH, 40)    \
    X(NFILE, 41) X(NOBUFS, 42) X(NODEV, 43) X(NOENT, 44) X(NOEXEC, 45)     \
    X(NOLCK, 46) X(NOLINK, 47) X(NOMEM, 48) X(NOMSG, 49)                   \
    X(NOPROTOOPT, 50) X(NOSPC, 51) X(NOSYS, 52) X(NOTCONN, 53)             \
    X(NOTDIR, 54) X(NOTEMPTY, 55) X(NOTRECOVERABLE, 56) X(NOTSOCK, 57)     \
    X(NOTSUP, 58) X(NOTTY, 59) X(NXIO, 60) X(OVERFLOW, 61)                 \
    X(OWNERDEAD, 62) X(PERM, 63) X(PIPE, 64) X(PROTO, 65)                  \
    X(PROTONOSUPPORT, 66) X(PROTOTYPE, 67) X(RANGE, 68) X(ROFS, 69)        \
    X(SPIPE, 70) X(SRCH, 71) X(STALE, 72) X(TIMEDOUT, 73) X(TXTBSY, 74)    \
    X(XDEV, 75)

enum {
    OS_ESUCCESS = 0,
#define OS_ERRNO_ENUM(name, num) OS_E##name = num,
    OS_ERRNO_LIST(OS_ERRNO_ENUM)
#undef OS_ERRNO_ENUM
    OS_ENOTCAPABLE = 76,   /* never produced by the host; WASI's own */
};

/* A one-line description of an OS_E* code (positive or negative). */
const char *os_fs_strerror(int err);

/* ---- Files and paths ------------------------------------------------- */

/* Open flags (a port translates them). */
enum {
    OS_O_RDONLY = 0x0,
    OS_O_WRONLY = 0x1,
    OS_O_RDWR = 0x2,
    OS_O_ACCMODE = 0x3,
    OS_O_CREAT = 0x4,
    OS_O_EXCL = 0x8,
    OS_O_TRUNC = 0x10,
    OS_O_DIRECTORY = 0x20,
    OS_O_NOFOLLOW = 0x40,   /* the final component must not be a symlink */
    OS_O_APPEND = 0x80,
    OS_O_NONBLOCK = 0x100,
    OS_O_DSYNC = 0x200,
    OS_O_SYNC = 0x400,
    OS_O_RSYNC = 0x800,
    OS_O_PATH = 0x1000,     /* a handle for *at() only, no I/O (if supported) */
};

/* File types, numbered as WASI's filetype. FIFOs read as UNKNOWN. */
enum {
    OS_FT_UNKNOWN = 0,
    OS_FT_BLOCK = 1,
    OS_FT_CHAR = 2,
    OS_FT_DIR = 3,
    OS_FT_REG = 4,
    OS_FT_SOCK_DGRAM = 5,
    OS_FT_SOCK_STREAM = 6,
    OS_FT_SYMLINK = 7,
};

typedef struct os_stat {
    uint64_t dev, ino, nlink, size;
    uint64_t atim, mtim, ctim;   /* nanoseconds since the epoch */
    uint8_t type;                /* OS_FT_* */
} os_stat;

typedef struct os_iovec {
    void *base;
    size_t len;
} os_iovec;

/* The current directory, for dirfd arguments. */
#define OS_FD_CWD (-100)

/* openat(dirfd, path) with close-on-exec. Follows symlinks anywhere in
 * path unless OS_O_NOFOLLOW (final component only): callers that must stay
 * inside a directory pass single components with OS_O_NOFOLLOW. */
int os_fs_openat(int dirfd, const char *path, int oflags, unsigned mode);
/* openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): like os_fs_openat, but
 * resolution can never leave dirfd (".." above it, absolute paths or
 * symlinks that point out fail with -OS_EXDEV). -OS_NOSYS when the kernel
 * lacks it (the answer is remembered). */
int os_fs_openat_beneath(int dirfd, const char *path, int oflags,
                         unsigned mode);
int os_fs_close(int fd);
int os_fs_fstat(int fd, os_stat *out);
/* fstatat(dirfd, name); follow: whether a final symlink is followed. */
int os_fs_fstatat(int dirfd, const char *name, bool follow, os_stat *out);
/* Byte counts as int64_t, or a negative OS_E*. */
int64_t os_fs_readv(int fd, const os_iovec *iov, int n);
int64_t os_fs_writev(int fd, const os_iovec *iov, int n);
int64_t os_fs_preadv(int fd, const os_iovec *iov, int n, uint64_t off);
int64_t os_fs_pwritev(int fd, const os_iovec *iov, int n, uint64_t off);
/* whence: 0 set, 1 current, 2 end. The new offset. */
int64_t os_fs_seek(int fd, int64_t off, int whence);
int os_fs_renameat(int olddir, const char *oldname, int newdir,
                   const char *newname);
/* Hard link; a symlink oldname is linked itself, never followed. */
int os_fs_linkat(int olddir, const char *oldname, int newdir,
                 const char *newname);
int os_fs_symlinkat(const char *target, int dir, const char *name);
/* The link's length (may exceed size; only size bytes are stored). */
int64_t os_fs_readlinkat(int dir, const char *name, char *buf, size_t size);
int os_fs_unlinkat(int dir, const char *name, bool rmdir);
int os_fs_mkdirat(int dir, const char *name, unsigned mode);
/* Special timestamps for os_fs_utimens. */
#define OS_TIME_NOW UINT64_MAX
#define OS_TIME_OMIT (UINT64_MAX - 1)
/* Set times of dir/name (never following a final symlink), or of the
 * open file dir itself when name is NULL. */
int os_fs_utimens(int dir, const char *name, uint64_t atim, uint64_t mtim);
int os_fs_ftruncate(int fd, uint64_t size);
int os_fs_fsync(int fd);
int os_fs_fdatasync(int fd);
/* Start writing [off, off + len) of fd's cached data to the device and
 * return without waiting (no durability: a later fdatasync still decides);
 * a hint, 0 where unsupported. */
int os_fs_writeback_start(int fd, uint64_t off, uint64_t len);
/* Take (lock) or drop an exclusive advisory lock on the whole open file,
 * waiting for it (flock: between processes and between open files). */
int os_fs_lock(int fd, bool lock);
/* advice numbered as WASI's (0 normal ... 5 noreuse). */
int os_fs_fadvise(int fd, uint64_t off, uint64_t len, int advice);
int os_fs_fallocate(int fd, uint64_t off, uint64_t len);
/* The descriptor's OS_O_* status flags (access mode, APPEND, NONBLOCK,
 * DSYNC, SYNC, RSYNC). */
int os_fs_getfl(int fd);
/* Set APPEND and NONBLOCK as given in flags (others are ignored). */
int os_fs_setfl(int fd, int flags);
bool os_fs_isatty(int fd);
/* The type of an open descriptor (OS_FT_*), or a negative OS_E*. */
int os_fs_ftype(int fd);
/* Bytes that can be read without blocking (pipes, sockets, ttys). */
int64_t os_fs_nread(int fd);

/* ---- Directories ------------------------------------------------------ */

typedef struct os_dirbuf {
    size_t pos, len;
    _Alignas(8) unsigned char data[4096];
} os_dirbuf;

typedef struct os_dirent {
    uint64_t ino;
    uint8_t type;       /* OS_FT_* (looked up when the listing lacks it) */
    size_t namelen;
    const char *name;   /* not NUL-terminated; valid until the next call */
} os_dirent;

/* Restart listing the open directory fd from its beginning ("." and ".."
 * included); b is the caller's scratch buffer. */
int os_fs_dir_rewind(int fd, os_dirbuf *b);
/* 1 and *out filled, 0 at the end, or a negative OS_E*. */
int os_fs_dir_next(int fd, os_dirbuf *b, os_dirent *out);

/* ---- Clocks, randomness, scheduling ---------------------------------- */

/* Clock ids numbered as WASI's: 0 realtime, 1 monotonic, 2 process CPU
 * time, 3 thread CPU time. Nanoseconds. */
int os_fs_clock_time(int id, uint64_t *out_ns);
int os_fs_clock_res(int id, uint64_t *out_ns);
/* Fill buf from the OS's CSPRNG. */
int os_fs_random(void *buf, size_t len);
void os_fs_yield(void);

/* ---- Polling ---------------------------------------------------------- */

enum {
    OS_POLLIN = 0x1,
    OS_POLLOUT = 0x2,
    OS_POLLERR = 0x4,
    OS_POLLHUP = 0x8,
    OS_POLLNVAL = 0x10,
};

typedef struct os_pollfd {
    int fd;
    int events, revents;   /* OS_POLL* */
} os_pollfd;

/* Wait for events or timeout_ns (< 0: forever). The number of ready
 * descriptors, 0 on timeout, or a negative OS_E* (-OS_EINTR on a signal).
 * n may be 0 to sleep. */
int os_fs_poll(os_pollfd *fds, size_t n, int64_t timeout_ns);

/* ---- Sockets ---------------------------------------------------------- */

enum {
    OS_MSG_PEEK = 0x1,
    OS_MSG_WAITALL = 0x2,
};

/* A connected socket, close-on-exec; nonblock sets O_NONBLOCK on it. */
int os_fs_accept(int fd, bool nonblock);
int64_t os_fs_recv(int fd, const os_iovec *iov, int n, int flags);
/* Never raises SIGPIPE; a closed peer is -OS_EPIPE. */
int64_t os_fs_send(int fd, const os_iovec *iov, int n);
/* how: 1 read side, 2 write side, 3 both. */
int os_fs_shutdown(int fd, int how);

#endif
