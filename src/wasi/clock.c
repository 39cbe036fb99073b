/* clock.c - clocks, randomness, sched_yield and poll_oneoff.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "wasi/wasi_int.h"

#define CLOCK_REALTIME_ID 0
#define CLOCK_MONOTONIC_ID 1

enum {
    EVENTTYPE_CLOCK = 0,
    EVENTTYPE_FD_READ = 1,
    EVENTTYPE_FD_WRITE = 2,
};

#define SUBCLOCK_ABSTIME 1
#define EVENTRW_HANGUP 1
#define POLL_MAX_FDS 64

/* clock_res_get(id, out resolution u64) */
static wasi_errno clock_res_get(wasi_call *c)
{
    uint64_t ns;
    int r;

    if (!wasi_mem(c, ARG_I32(1), 8))
        return OS_EFAULT;
    if ((r = os_fs_clock_res((int)ARG_I32(0), &ns)) < 0)
        return (wasi_errno)-r;
    return wasi_store_u64(c, ARG_I32(1), ns);
}

/* clock_time_get(id, precision u64, out time u64) */
static wasi_errno clock_time_get(wasi_call *c)
{
    uint64_t ns;
    int r;

    if (!wasi_mem(c, ARG_I32(2), 8))
        return OS_EFAULT;
    if ((r = os_fs_clock_time((int)ARG_I32(0), &ns)) < 0)
        return (wasi_errno)-r;
    return wasi_store_u64(c, ARG_I32(2), ns);
}

/* random_get(buf, len) */
static wasi_errno random_get(wasi_call *c)
{
    uint8_t *p = wasi_mem(c, ARG_I32(0), ARG_I32(1));
    int r;

    if (!p)
        return OS_EFAULT;
    r = os_fs_random(p, ARG_I32(1));
    return r < 0 ? (wasi_errno)-r : WASI_OK;
}

/* sched_yield() */
static wasi_errno sched_yield_(wasi_call *c)
{
    (void)c;
    os_fs_yield();
    return WASI_OK;
}

static uint64_t now_mono(void)
{
    uint64_t t = 0;

    (void)os_fs_clock_time(CLOCK_MONOTONIC_ID, &t);
    return t;
}

/* event (32 bytes): userdata u64 @0, error u16 @8, type u8 @10,
 * fd_readwrite.nbytes u64 @16, fd_readwrite.flags u16 @24. */
static void put_event(uint8_t *ev, uint64_t userdata, uint16_t error,
                      uint8_t type, uint64_t nbytes, uint16_t flags)
{
    memset(ev, 0, 32);
    wasi_put_u64(ev, userdata);
    wasi_put_u16(ev + 8, error);
    wasi_put_u8(ev + 10, type);
    wasi_put_u64(ev + 16, nbytes);
    wasi_put_u16(ev + 24, flags);
}

/* A clock subscription's deadline on the monotonic clock; start and real
 * are the monotonic and realtime clocks when poll_oneoff began. */
static uint64_t clock_deadline(const uint8_t *s, uint64_t start, uint64_t real)
{
    uint32_t id = wasi_get_u32(s + 16);
    uint64_t timeout = wasi_get_u64(s + 24);
    uint16_t fl = wasi_get_u16(s + 40);

    if (!(fl & SUBCLOCK_ABSTIME))
        return start + timeout < start ? UINT64_MAX : start + timeout;
    if (id == CLOCK_MONOTONIC_ID)
        return timeout;
    if (timeout <= real)
        return start;
    return start + (timeout - real) < start ? UINT64_MAX
                                            : start + (timeout - real);
}

/* Bytes ready to read: what is left of a file, or what a pipe holds. */
static uint64_t readable(const wasi_fd *e)
{
    if (e->type == OS_FT_REG && wasi_is_vfs(e)) {
        os_stat st;

        if (wasi_vfs_fstat(e, &st) == WASI_OK && st.size > e->pos)
            return st.size - e->pos;
        return 0;
    }
    if (e->type == OS_FT_REG) {
        os_stat st;
        int64_t pos = os_fs_seek(e->host, 0, 1);

        if (pos >= 0 && os_fs_fstat(e->host, &st) == 0 &&
            st.size > (uint64_t)pos)
            return st.size - (uint64_t)pos;
        return 0;
    }
    int64_t n = os_fs_nread(e->host);
    return n > 0 ? (uint64_t)n : 0;
}

/* poll_oneoff(in subscriptions, out events, nsubscriptions, out nevents).
 * subscription (48 bytes): userdata u64 @0, tag u8 @8, then at @16 either
 * clock {id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40} or
 * fd_readwrite {fd u32 @16}. Regular files are always ready. */
static wasi_errno poll_oneoff(wasi_call *c)
{
    uint32_t nsubs = ARG_I32(2), nev = 0, npoll = 0;
    const uint8_t *in;
    uint8_t *out;
    os_pollfd pfd[POLL_MAX_FDS];
    uint32_t psub[POLL_MAX_FDS];
    uint64_t start = now_mono(), deadline = UINT64_MAX, real = 0;
    bool have_clock = false;
    int r;

    if (nsubs == 0)
        return OS_EINVAL;
    (void)os_fs_clock_time(CLOCK_REALTIME_ID, &real);
    in = wasi_mem(c, ARG_I32(0), (uint64_t)nsubs * 48);
    out = wasi_mem(c, ARG_I32(1), (uint64_t)nsubs * 32);
    if (!in || !out || !wasi_mem(c, ARG_I32(3), 4))
        return OS_EFAULT;

    /* Pass 1: validate, note the earliest clock, collect descriptors;
     * errors and always-ready files become events at once. */
    for (uint32_t i = 0; i < nsubs; i++) {
        const uint8_t *s = in + 48 * (size_t)i;
        uint64_t ud = wasi_get_u64(s);
        uint8_t tag = s[8];

        if (tag == EVENTTYPE_CLOCK) {
            uint32_t id = wasi_get_u32(s + 16);
            uint64_t d;

            if (id != CLOCK_REALTIME_ID && id != CLOCK_MONOTONIC_ID) {
                put_event(out + 32 * (size_t)nev++, ud, OS_EINVAL, tag, 0, 0);
                continue;
            }
            d = clock_deadline(s, start, real);
            if (d < deadline)
                deadline = d;
            have_clock = true;
        } else if (tag == EVENTTYPE_FD_READ || tag == EVENTTYPE_FD_WRITE) {
            wasi_fd *e;
            wasi_errno err = wasi_fd_lookup(c->w, wasi_get_u32(s + 16),
                                            WASI_RIGHT_POLL_FD_READWRITE, &e);

            if (err) {
                put_event(out + 32 * (size_t)nev++, ud, err, tag, 0, 0);
            } else if (e->type == OS_FT_REG || e->type == OS_FT_DIR) {
                put_event(out + 32 * (size_t)nev++, ud, 0, tag,
                          tag == EVENTTYPE_FD_READ ? readable(e) : 0, 0);
            } else if (npoll == POLL_MAX_FDS) {
                put_event(out + 32 * (size_t)nev++, ud, OS_ENOMEM, tag, 0, 0);
            } else {
                pfd[npoll].fd = e->host;
                pfd[npoll].events =
                    tag == EVENTTYPE_FD_READ ? OS_POLLIN : OS_POLLOUT;
                pfd[npoll].revents = 0;
                psub[npoll++] = i;
            }
        } else {
            return OS_EINVAL;
        }
    }

    /* Pass 2: wait, unless something is already ready. */
    for (;;) {
        int64_t timeout;
        uint64_t now = now_mono();

        if (nev > 0)
            timeout = 0;
        else if (!have_clock)
            timeout = -1;
        else
            timeout = deadline > now ? (int64_t)(deadline - now) : 0;
        if (timeout > INT64_MAX / 2)
            timeout = INT64_MAX / 2;
        r = os_fs_poll(pfd, npoll, timeout);
        if (r == -OS_EINTR)
            continue;
        if (r < 0)
            return (wasi_errno)-r;
        break;
    }
    for (uint32_t k = 0; k < npoll; k++) {
        const uint8_t *s = in + 48 * (size_t)psub[k];
        uint8_t tag = s[8];
        int rev = pfd[k].revents;
        wasi_fd *e;

        if (!rev)
            continue;
        if (rev & OS_POLLNVAL) {
            put_event(out + 32 * (size_t)nev++, wasi_get_u64(s), OS_EBADF,
                      tag, 0, 0);
            continue;
        }
        e = wasi_fd_get(c->w, wasi_get_u32(s + 16));
        put_event(out + 32 * (size_t)nev++, wasi_get_u64(s), 0, tag,
                  tag == EVENTTYPE_FD_READ && e ? readable(e) : 0,
                  (rev & OS_POLLHUP) ? EVENTRW_HANGUP : 0);
    }
    /* Every clock whose time has come fires. */
    if (have_clock) {
        uint64_t now = now_mono();

        for (uint32_t i = 0; i < nsubs; i++) {
            const uint8_t *s = in + 48 * (size_t)i;
            uint32_t id = wasi_get_u32(s + 16);
            uint64_t d;

            if (s[8] != EVENTTYPE_CLOCK ||
                (id != CLOCK_REALTIME_ID && id != CLOCK_MONOTONIC_ID))
                continue;
            d = clock_deadline(s, start, real);
            /* The earliest fires even if the wait ended a hair early. */
            if (d <= now || (d == deadline && nev == 0))
                put_event(out + 32 * (size_t)nev++, wasi_get_u64(s), 0,
                          EVENTTYPE_CLOCK, 0, 0);
        }
    }
    return wasi_store_u32(c, ARG_I32(3), nev);
}

const wasi_func wasi_clock_funcs[] = {
    {"clock_res_get", "ii", clock_res_get},
    {"clock_time_get", "iIi", clock_time_get},
    {"random_get", "ii", random_get},
    {"sched_yield", "", sched_yield_},
    {"poll_oneoff", "iiii", poll_oneoff},
    {NULL, NULL, NULL},
};
