/* poll.c - poll_oneoff on clocks (relative, absolute), on a file, on stdin
 * (a pipe the driver fills after a delay) and on a bad fd; sched_yield.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The driver runs: { sleep 0.5; printf 'ping\n'; } | poll
 * so stdin is empty for the first half second, then readable.
 */
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include "wasi_test.h"

#define MS 1000000ull

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud,
                                       __wasi_clockid_t id, uint64_t timeout,
                                       __wasi_subclockflags_t flags)
{
    __wasi_subscription_t s;

    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.precision = 0;
    s.u.u.clock.flags = flags;
    return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t t,
                                    __wasi_fd_t fd)
{
    __wasi_subscription_t s;

    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = t;
    if (t == __WASI_EVENTTYPE_FD_READ)
        s.u.u.fd_read.file_descriptor = fd;
    else
        s.u.u.fd_write.file_descriptor = fd;
    return s;
}

static const __wasi_event_t *find_event(const __wasi_event_t *ev, int n,
                                        __wasi_userdata_t ud)
{
    for (int i = 0; i < n; i++)
        if (ev[i].userdata == ud)
            return &ev[i];
    return NULL;
}

static void test_clocks(void)
{
    __wasi_subscription_t s[2];
    __wasi_event_t ev[2];
    __wasi_size_t n;
    uint64_t t0, t1;

    /* relative monotonic 30 ms */
    s[0] = clock_sub(0x1234567890abcdefull, __WASI_CLOCKID_MONOTONIC, 30 * MS,
                     0);
    t0 = wt_now();
    CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
    t1 = wt_now();
    CHECK(n == 1);
    CHECK(ev[0].userdata == 0x1234567890abcdefull);
    CHECK(ev[0].error == 0);
    CHECK(ev[0].type == __WASI_EVENTTYPE_CLOCK);
    if (t1 - t0 < 30 * MS)
        FAIL("30 ms poll returned after %llu ns", (unsigned long long)(t1 - t0));
    CHECK(t1 - t0 < 5000 * MS);

    /* absolute: now + 25 ms on the monotonic clock */
    t0 = wt_now();
    s[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, t0 + 25 * MS,
                     __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
    t1 = wt_now();
    CHECK(n == 1 && ev[0].userdata == 7 && ev[0].type == __WASI_EVENTTYPE_CLOCK);
    CHECK(t1 >= t0 + 25 * MS);
    /* an absolute time already past fires at once */
    s[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, 1,
                     __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    t0 = wt_now();
    CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
    CHECK(n == 1 && ev[0].userdata == 8);
    CHECK(wt_now() - t0 < 1000 * MS);
    /* realtime relative */
    s[0] = clock_sub(9, __WASI_CLOCKID_REALTIME, 10 * MS, 0);
    t0 = wt_now();
    CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
    CHECK(n == 1 && ev[0].userdata == 9 && ev[0].error == 0);
    CHECK(wt_now() - t0 >= 10 * MS);
    /* two clocks: the earlier fires (the later may not) */
    s[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 2000 * MS, 0);
    s[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 10 * MS, 0);
    t0 = wt_now();
    CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
    CHECK(n >= 1 && find_event(ev, n, 2) != NULL);
    CHECK(find_event(ev, n, 1) == NULL);
    CHECK(wt_now() - t0 < 1500 * MS);
    /* zero timeout: immediate */
    s[0] = clock_sub(3, __WASI_CLOCKID_MONOTONIC, 0, 0);
    CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
    CHECK(n == 1 && ev[0].userdata == 3);
    /* no subscriptions: EINVAL (it would block forever) */
    CHECK_ERR(__wasi_poll_oneoff(s, ev, 0, &n), __WASI_ERRNO_INVAL);
    /* a bad clock id is reported (as the call's or the event's error) */
    s[0] = clock_sub(4, 99, 10 * MS, 0);
    __wasi_errno_t e = __wasi_poll_oneoff(s, ev, 1, &n);
    CHECK(e == __WASI_ERRNO_INVAL ||
          (e == 0 && n == 1 && ev[0].userdata == 4 &&
           ev[0].error == __WASI_ERRNO_INVAL));
}

static void test_file_and_badfd(__wasi_fd_t dir)
{
    __wasi_subscription_t s[3];
    __wasi_event_t ev[3];
    __wasi_size_t n;
    __wasi_fd_t fd;
    uint64_t t0;

    wt_put(dir, "poll.txt", "0123456789");
    CHECK_OK(wt_open(dir, "poll.txt", 0, 0, 0, &fd));
    /* a regular file is always ready for reading and writing */
    s[0] = fd_sub(10, __WASI_EVENTTYPE_FD_READ, fd);
    s[1] = fd_sub(11, __WASI_EVENTTYPE_FD_WRITE, fd);
    s[2] = clock_sub(12, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
    t0 = wt_now();
    CHECK_OK(__wasi_poll_oneoff(s, ev, 3, &n));
    CHECK(wt_now() - t0 < 2000 * MS);
    CHECK(n == 2);
    const __wasi_event_t *r = find_event(ev, n, 10);
    const __wasi_event_t *w = find_event(ev, n, 11);
    CHECK(r && w && !find_event(ev, n, 12));
    CHECK(r->type == __WASI_EVENTTYPE_FD_READ && r->error == 0);
    CHECK(w->type == __WASI_EVENTTYPE_FD_WRITE && w->error == 0);
    /* nbytes for a file: what is left to read (hosts may report 0 or more
     * when they cannot tell; never more than the file holds) */
    CHECK(r->fd_readwrite.nbytes <= 10);
    CHECK_OK(__wasi_fd_close(fd));

    /* a closed fd: the event carries EBADF (or the call fails with it) */
    s[0] = fd_sub(20, __WASI_EVENTTYPE_FD_READ, fd);
    s[1] = clock_sub(21, __WASI_CLOCKID_MONOTONIC, 2000 * MS, 0);
    t0 = wt_now();
    __wasi_errno_t e = __wasi_poll_oneoff(s, ev, 2, &n);
    if (e == 0) {
        const __wasi_event_t *b = find_event(ev, n, 20);
        CHECK(b != NULL && b->error == __WASI_ERRNO_BADF);
        CHECK(wt_now() - t0 < 1500 * MS);
    } else {
        CHECK(e == __WASI_ERRNO_BADF);
    }
}

static void test_stdin(__wasi_fd_t dir)
{
    __wasi_subscription_t s[2];
    __wasi_event_t ev[2];
    __wasi_size_t n;
    char buf[16];

    /* nothing yet on stdin: only the 50 ms clock fires */
    s[0] = fd_sub(30, __WASI_EVENTTYPE_FD_READ, 0);
    s[1] = clock_sub(31, __WASI_CLOCKID_MONOTONIC, 50 * MS, 0);
    CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
    CHECK(n == 1 && ev[0].userdata == 31 && ev[0].type == __WASI_EVENTTYPE_CLOCK);

    /* then "ping\n" arrives: stdin becomes readable well before 10 s. The
     * harness writes it only once this file exists, so a slow start (qemu,
     * a loaded machine) cannot make it arrive during the poll above. */
    wt_put(dir, "stdin-wanted", "");
    uint64_t t0 = wt_now();
    s[1] = clock_sub(31, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
    CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
    CHECK(n >= 1);
    const __wasi_event_t *r = find_event(ev, n, 30);
    CHECK(r != NULL && r->error == 0 && r->type == __WASI_EVENTTYPE_FD_READ);
    CHECK(wt_now() - t0 < 9000 * MS);
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    CHECK_OK(__wasi_fd_read(0, &iov, 1, &n));
    CHECK(n == 5 && memcmp(buf, "ping\n", 5) == 0);

    /* after EOF, stdin polls readable (hang-up) at once */
    s[1] = clock_sub(31, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
    t0 = wt_now();
    CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
    r = find_event(ev, n, 30);
    CHECK(r != NULL);
    CHECK(wt_now() - t0 < 9000 * MS);
    iov.buf_len = sizeof buf;
    CHECK_OK(__wasi_fd_read(0, &iov, 1, &n));
    CHECK(n == 0);

    /* stdout (a pipe to the driver) is writable */
    s[0] = fd_sub(40, __WASI_EVENTTYPE_FD_WRITE, 1);
    s[1] = clock_sub(41, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
    CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
    r = find_event(ev, n, 40);
    CHECK(r != NULL && r->error == 0 && r->type == __WASI_EVENTTYPE_FD_WRITE);
}

static void test_yield_and_libc(void)
{
    for (int i = 0; i < 100; i++)
        CHECK_OK(__wasi_sched_yield());
    CHECK(sched_yield() == 0);
    /* libc usleep/poll on a timeout ride on poll_oneoff */
    uint64_t t0 = wt_now();
    CHECK(usleep(15000) == 0);
    CHECK(wt_now() - t0 >= 15 * MS);
    t0 = wt_now();
    CHECK(poll(NULL, 0, 20) == 0);
    CHECK(wt_now() - t0 >= 20 * MS);
}

int main(void)
{
    __wasi_fd_t dir = wt_preopen("/sandbox");

    test_stdin(dir);
    test_clocks();
    test_file_and_badfd(dir);
    test_yield_and_libc();
    printf("ok\n");
    return 0;
}
