/* stream_test.c - a sealed file much larger than the mount's page cache:
 * random reads, writes and truncations checked against a plain copy, across
 * commits and a remount, with the process's peak memory bounded.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: sealfs_stream WORKDIR [MIB]   (default 64 MiB, cache 1 MiB)
 * Prints what it did and the peak RSS; exits 1 with "FAIL: ..." on any
 * mismatch, error, or a peak RSS above half the file's size.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealfs/sealfs.h"

#define CACHE ((size_t)1 << 20)
#define BUF (256 * 1024)

static const sealfs_keys keys = {
    .dir = {7, 1, 7, 1, 7, 1, 7, 1, 7, 1, 7, 1, 7, 1, 7, 1,
            7, 1, 7, 1, 7, 1, 7, 1, 7, 1, 7, 1, 7, 1, 7, 1},
    .table = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
              3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3},
};
static uint64_t counter;
static uint8_t a[BUF], b[BUF];
static int plain = -1;
static uint64_t size;   /* of both copies */

static int mem_counter(void *ctx, bool inc, uint64_t *out)
{
    (void)ctx;
    counter += inc;
    *out = counter;
    return 0;
}

static void fail(const char *what, long long v)
{
    printf("FAIL: %s (%lld)\n", what, v);
    exit(1);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static sealfs *mount_it(const char *sealed, const char *state)
{
    sealfs_anchor an = {SEALFS_ANCHOR_VERSION, false, NULL, mem_counter};
    sealfs *fs = NULL;
    char err[256];
    int fd = open(sealed, O_RDONLY | O_DIRECTORY), rc;

    if (fd < 0)
        fail("open the sealed directory", -1);
    if ((rc = sealfs_mount(fd, &keys, state, &an, &fs, err, sizeof err)) < 0) {
        printf("mount: %s\n", err);
        fail("mount", rc);
    }
    if ((rc = sealfs_cache_size(fs, CACHE)) < 0)
        fail("cache size", rc);
    return fs;
}

static void put(sealfs_file *f, uint64_t off, size_t n)
{
    os_iovec iov = {a, n};
    int64_t k;

    for (size_t i = 0; i < n; i++)
        a[i] = (uint8_t)next();
    if ((k = sealfs_pwrite(f, &iov, 1, off)) != (int64_t)n)
        fail("sealed write", k);
    if (pwrite(plain, a, n, (off_t)off) != (ssize_t)n)
        fail("plain write", -1);
    if (off + n > size)
        size = off + n;
}

static void check(sealfs_file *f, uint64_t off, size_t n)
{
    os_iovec iov = {b, n};
    int64_t k = sealfs_pread(f, &iov, 1, off), want;

    want = off >= size ? 0 : (int64_t)(size - off < n ? size - off : n);
    if (k != want)
        fail("sealed read length", k);
    if (pread(plain, a, (size_t)want, (off_t)off) != want)
        fail("plain read", -1);
    if (memcmp(a, b, (size_t)want) != 0)
        fail("sealed and plain contents differ at", (long long)off);
}

static void check_all(sealfs_file *f)
{
    for (uint64_t off = 0; off < size; off += BUF)
        check(f, off, BUF);
}

int main(int argc, char **argv)
{
    char base[400], sealed[512], state[512], ppath[512], cmd[600];
    uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 10) : 64, total;
    sealfs *fs;
    sealfs_file *f;
    uint8_t type;
    struct rusage ru;
    long base_rss;
    int rc, ops = 0;

    if (argc < 2 || mib == 0 || mib > 1024) {
        fprintf(stderr, "usage: sealfs_stream WORKDIR [MIB]\n");
        return 2;
    }
    total = mib << 20;
    /* A directory of its own: runs in parallel do not collide. */
    snprintf(base, sizeof base, "%.380s/stream.XXXXXX", argv[1]);
    mkdir(argv[1], 0700);
    if (!mkdtemp(base))
        fail("mkdtemp", -1);
    snprintf(sealed, sizeof sealed, "%s/sealed", base);
    snprintf(state, sizeof state, "%s/state", base);
    snprintf(ppath, sizeof ppath, "%s/plain", base);
    if (mkdir(sealed, 0700) || mkdir(state, 0700) ||
        (plain = open(ppath, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
        fail("work directories", -1);

    /* Written in order, committed, read back: 64 times the cache. */
    fs = mount_it(sealed, state);
    getrusage(RUSAGE_SELF, &ru);
    base_rss = ru.ru_maxrss;   /* the process, OpenSSL, the empty mount */
    if ((rc = sealfs_open(fs, "big", OS_O_CREAT, &f, &type)) < 0)
        fail("create", rc);
    for (uint64_t off = 0; off < total; off += BUF)
        put(f, off, BUF);
    if ((rc = sealfs_sync(f)) < 0)
        fail("sync", rc);
    check_all(f);
    /* Random writes, reads and truncations, with a commit now and then
     * and dirty pages evicted (spilled) in between. */
    for (int i = 0; i < 3000; i++, ops++) {
        uint64_t r = next() % 100, off = next() % (total + total / 8);
        size_t n = 1 + (size_t)(next() % (next() % 8 ? 9000 : BUF));

        if (r < 45) {
            put(f, off, n);
        } else if (r < 90) {
            check(f, off, n);
        } else if (r < 93) {
            uint64_t to = next() % (total + total / 8);

            if ((rc = sealfs_truncate(f, to)) < 0)
                fail("truncate", rc);
            if (ftruncate(plain, (off_t)to) != 0)
                fail("plain truncate", -1);
            size = to;
        } else if (r < 94) {
            if ((rc = sealfs_sync(f)) < 0)
                fail("sync", rc);
        } else {
            /* a run of pages, for the read-ahead and the spill runs */
            uint64_t at = off & ~(uint64_t)4095;

            put(f, at, BUF);
            check(f, at > 8192 ? at - 8192 : 0, BUF);
        }
    }
    check_all(f);
    /* Uncommitted changes, then close (which commits) and remount. */
    put(f, next() % total, BUF);
    if ((rc = sealfs_close(f)) < 0)
        fail("close", rc);
    sealfs_unmount(fs);
    fs = mount_it(sealed, state);
    if ((rc = sealfs_open(fs, "big", 0, &f, &type)) < 0)
        fail("reopen", rc);
    check_all(f);
    sealfs_close(f);
    sealfs_unmount(fs);

    getrusage(RUSAGE_SELF, &ru);
    printf("sealfs_stream: %llu MiB file, cache %zu KiB, %d random "
           "operations, final size %llu: contents match; peak RSS %ld KiB "
           "(%ld KiB after the first mount)\n",
           (unsigned long long)mib, CACHE >> 10, ops,
           (unsigned long long)size, ru.ru_maxrss, base_rss);
    /* The plaintext never lives in memory in full: what the file work adds
     * is the cache, the trees (about 1% of the file), buffers and, under
     * ASan, shadow memory and a small quarantine. */
    if ((uint64_t)(ru.ru_maxrss - base_rss) * 1024 > total / 4)
        fail("peak RSS grew by more than a quarter of the file's size (KiB)",
             ru.ru_maxrss - base_rss);
    close(plain);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fail("cleanup", -1);
    return 0;
}
