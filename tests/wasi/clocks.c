/* clocks.c - clock_res_get, clock_time_get: resolutions, realtime against the
 * host's time, monotonic moving forward, invalid clock ids.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: clocks HOST_EPOCH_SECONDS   (the driver's `date +%s` at launch)
 */
#include <time.h>

#include "wasi_test.h"

int main(int argc, char **argv)
{
    __wasi_timestamp_t res, t0, t1, prev;
    struct timespec ts;

    CHECK(argc == 2);
    uint64_t host = strtoull(argv[1], NULL, 10);
    CHECK(host > 1600000000ull); /* after 2020: the driver passed a real date */

    /* resolutions: realtime and monotonic are required, non-zero, <= 1 s */
    CHECK_OK(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res));
    CHECK(res > 0 && res <= 1000000000ull);
    CHECK_OK(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res));
    CHECK(res > 0 && res <= 1000000000ull);
    /* the CPU-time clocks: supported (then sane) or EINVAL/ENOTSUP */
    for (__wasi_clockid_t id = __WASI_CLOCKID_PROCESS_CPUTIME_ID;
         id <= __WASI_CLOCKID_THREAD_CPUTIME_ID; id++) {
        __wasi_errno_t e = __wasi_clock_res_get(id, &res);
        if (e == 0) {
            CHECK(res > 0);
            CHECK_OK(__wasi_clock_time_get(id, 1, &t0));
        } else {
            CHECK(e == __WASI_ERRNO_INVAL || e == __WASI_ERRNO_NOTSUP);
        }
    }
    /* clock ids past the four defined ones */
    CHECK_ERR(__wasi_clock_res_get(4, &res), __WASI_ERRNO_INVAL);
    CHECK_ERR(__wasi_clock_time_get(4, 1, &t0), __WASI_ERRNO_INVAL);
    CHECK_ERR(__wasi_clock_time_get(0xffffffffu, 1, &t0), __WASI_ERRNO_INVAL);

    /* realtime agrees with the host to within a minute */
    CHECK_OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t0));
    uint64_t secs = t0 / 1000000000ull;
    if (secs + 60 < host || secs > host + 60)
        FAIL("realtime %llu s, host said %llu s", (unsigned long long)secs,
             (unsigned long long)host);
    /* and through libc */
    CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0);
    CHECK((uint64_t)ts.tv_sec + 60 >= host && (uint64_t)ts.tv_sec <= host + 60);
    CHECK(time(NULL) + 60 >= (time_t)host);

    /* monotonic never goes back, and moves forward over a busy loop */
    prev = wt_now();
    t0 = prev;
    for (int i = 0; i < 100000; i++) {
        t1 = wt_now();
        CHECK(t1 >= prev);
        prev = t1;
    }
    /* spin until it has moved at least 5 ms (bounded by iterations) */
    for (long i = 0; i < 100000000L && prev - t0 < 5000000ull; i++)
        prev = wt_now();
    CHECK(prev - t0 >= 5000000ull);

    /* a 20 ms nanosleep (poll_oneoff underneath) lasts at least 20 ms */
    t0 = wt_now();
    ts.tv_sec = 0;
    ts.tv_nsec = 20000000;
    CHECK(nanosleep(&ts, NULL) == 0);
    t1 = wt_now();
    CHECK(t1 - t0 >= 20000000ull);
    CHECK(t1 - t0 < 5000000000ull);

    /* realtime did not go back over the same period (any precision) */
    CHECK_OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 0, &t1));
    CHECK(t1 / 1000000000ull >= secs);

    printf("ok\n");
    return 0;
}
