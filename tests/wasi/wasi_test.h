/* wasi_test.h - assertions and helpers shared by the WASI guest test programs.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each program under tests/wasi/ is compiled to wasm32-wasi at test time and
 * run by run_tests.sh under `mantle run`. A program checks its own results:
 * the first failed check prints "FAIL file:line: what (errno NAME)" on stderr
 * and exits 1; a program that finishes prints "ok" as its last line.
 *
 * Calls that wasi-libc does not reach go straight to the __wasi_* imports of
 * <wasi/api.h>, with a preopened directory's fd found by its guest name.
 */
#ifndef WASI_TEST_H
#define WASI_TEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

/* errno names, indexed by __wasi_errno_t (wasi_snapshot_preview1 order). */
static const char *const wt_errno_names[] = {
    "SUCCESS", "2BIG", "ACCES", "ADDRINUSE", "ADDRNOTAVAIL", "AFNOSUPPORT",
    "AGAIN", "ALREADY", "BADF", "BADMSG", "BUSY", "CANCELED", "CHILD",
    "CONNABORTED", "CONNREFUSED", "CONNRESET", "DEADLK", "DESTADDRREQ", "DOM",
    "DQUOT", "EXIST", "FAULT", "FBIG", "HOSTUNREACH", "IDRM", "ILSEQ",
    "INPROGRESS", "INTR", "INVAL", "IO", "ISCONN", "ISDIR", "LOOP", "MFILE",
    "MLINK", "MSGSIZE", "MULTIHOP", "NAMETOOLONG", "NETDOWN", "NETRESET",
    "NETUNREACH", "NFILE", "NOBUFS", "NODEV", "NOENT", "NOEXEC", "NOLCK",
    "NOLINK", "NOMEM", "NOMSG", "NOPROTOOPT", "NOSPC", "NOSYS", "NOTCONN",
    "NOTDIR", "NOTEMPTY", "NOTRECOVERABLE", "NOTSOCK", "NOTSUP", "NOTTY",
    "NXIO", "OVERFLOW", "OWNERDEAD", "PERM", "PIPE", "PROTO",
    "PROTONOSUPPORT", "PROTOTYPE", "RANGE", "ROFS", "SPIPE", "SRCH", "STALE",
    "TIMEDOUT", "TXTBSY", "XDEV", "NOTCAPABLE",
};

static inline const char *wt_errname(unsigned e)
{
    return e < sizeof wt_errno_names / sizeof wt_errno_names[0]
               ? wt_errno_names[e]
               : "?";
}

__attribute__((noreturn, format(printf, 3, 4))) static void
wt_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

#define FAIL(...) wt_fail(__FILE__, __LINE__, __VA_ARGS__)

/* CHECK(cond): a plain assertion. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            FAIL("%s", #cond);                                                 \
    } while (0)

/* CHECK_ERR(call, want): a __wasi_* call returns exactly errno `want`. */
#define CHECK_ERR(call, want)                                                  \
    do {                                                                       \
        unsigned wt_e_ = (call), wt_w_ = (want);                               \
        if (wt_e_ != wt_w_)                                                    \
            FAIL("%s: got %s, want %s", #call, wt_errname(wt_e_),              \
                 wt_errname(wt_w_));                                           \
    } while (0)

#define CHECK_OK(call) CHECK_ERR(call, __WASI_ERRNO_SUCCESS)

/* CHECK_ERR2(call, a, b): the call fails with either errno. Used where the
 * spec and POSIX hosts legitimately differ (e.g. unlink of a directory). */
#define CHECK_ERR2(call, a, b)                                                 \
    do {                                                                       \
        unsigned wt_e_ = (call);                                               \
        if (wt_e_ != (unsigned)(a) && wt_e_ != (unsigned)(b))                  \
            FAIL("%s: got %s, want %s or %s", #call, wt_errname(wt_e_),        \
                 wt_errname(a), wt_errname(b));                                \
    } while (0)

/* A sandbox refusal: ENOTCAPABLE, or EPERM/EACCES as the issue allows. */
static inline int wt_denied(unsigned e)
{
    return e == __WASI_ERRNO_NOTCAPABLE || e == __WASI_ERRNO_PERM ||
           e == __WASI_ERRNO_ACCES;
}

#define CHECK_DENIED(call)                                                     \
    do {                                                                       \
        unsigned wt_e_ = (call);                                               \
        if (!wt_denied(wt_e_))                                                 \
            FAIL("%s: got %s, want NOTCAPABLE, PERM or ACCES", #call,          \
                 wt_errname(wt_e_));                                           \
    } while (0)

/* The fd of the preopened directory whose guest name is `name`. */
static inline __wasi_fd_t wt_preopen(const char *name)
{
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        char buf[256];

        if (__wasi_fd_prestat_get(fd, &ps) != 0)
            continue;
        if (ps.tag != __WASI_PREOPENTYPE_DIR ||
            ps.u.dir.pr_name_len >= sizeof buf)
            continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf,
                                       ps.u.dir.pr_name_len) != 0)
            continue;
        buf[ps.u.dir.pr_name_len] = '\0';
        if (strcmp(buf, name) == 0)
            return fd;
    }
    FAIL("no preopened directory named %s", name);
}

/* The inheriting rights of a directory fd: what files opened under it may
 * ask for (as wasi-libc does). */
static inline __wasi_rights_t wt_inheriting(__wasi_fd_t dir)
{
    __wasi_fdstat_t st;

    CHECK_OK(__wasi_fd_fdstat_get(dir, &st));
    return st.fs_rights_inheriting;
}

/* path_open with every right the directory passes on (less the rights that
 * imply writing when asking for a directory, as wasi-libc's opendir does). */
static inline __wasi_errno_t wt_open(__wasi_fd_t dir, const char *path,
                                     __wasi_lookupflags_t lookup,
                                     __wasi_oflags_t oflags,
                                     __wasi_fdflags_t fdflags,
                                     __wasi_fd_t *out_fd)
{
    __wasi_rights_t inh = wt_inheriting(dir), base = inh;

    if (oflags & __WASI_OFLAGS_DIRECTORY)
        base &= ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_DATASYNC |
                  __WASI_RIGHTS_FD_ALLOCATE |
                  __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
    return __wasi_path_open(dir, lookup, path, oflags, base, inh, fdflags,
                            out_fd);
}

/* Write all of `s` at the current offset of fd. */
static inline __wasi_errno_t wt_write_str(__wasi_fd_t fd, const char *s)
{
    size_t len = strlen(s);

    while (len > 0) {
        __wasi_ciovec_t iov = {(const uint8_t *)s, len};
        __wasi_size_t n;
        __wasi_errno_t e = __wasi_fd_write(fd, &iov, 1, &n);

        if (e != 0)
            return e;
        if (n == 0)
            return __WASI_ERRNO_IO;
        s += n;
        len -= n;
    }
    return 0;
}

/* Create (or truncate) dir/path holding exactly `s`. */
static inline void wt_put(__wasi_fd_t dir, const char *path, const char *s)
{
    __wasi_fd_t fd;

    CHECK_OK(wt_open(dir, path, 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                     0, &fd));
    CHECK_OK(wt_write_str(fd, s));
    CHECK_OK(__wasi_fd_close(fd));
}

/* Read up to cap-1 bytes of dir/path into buf, NUL-terminated; the errno of
 * the open (the read itself must succeed). */
static inline __wasi_errno_t wt_get(__wasi_fd_t dir, const char *path,
                                    __wasi_lookupflags_t lookup, char *buf,
                                    size_t cap)
{
    __wasi_fd_t fd;
    __wasi_errno_t e = wt_open(dir, path, lookup, 0, 0, &fd);
    size_t len = 0;

    if (e != 0)
        return e;
    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buf + len, cap - 1 - len};
        __wasi_size_t n;

        CHECK_OK(__wasi_fd_read(fd, &iov, 1, &n));
        if (n == 0 || len + n == cap - 1) {
            len += n;
            break;
        }
        len += n;
    }
    buf[len] = '\0';
    CHECK_OK(__wasi_fd_close(fd));
    return 0;
}

/* Monotonic clock in nanoseconds. */
static inline uint64_t wt_now(void)
{
    __wasi_timestamp_t t;

    CHECK_OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t));
    return t;
}

#endif
