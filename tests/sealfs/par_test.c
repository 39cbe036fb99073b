/* par_test.c - the read paths that open runs of nodes on several threads:
 * straight into the reader's buffers (a read of whole pages that are not
 * cached) and into the cache (read-ahead), with 0, 1
 * and 3 decryption threads. Contents must match whatever the path; after a
 * byte of one data node is flipped on disk, every read that covers it
 * fails with EIO and leaves no plaintext in the buffers (they are wiped),
 * reads before and after it still work, and the outcome is the same with
 * any number of threads. And write-behind (runs of pages sealed on those
 * threads in the background before the commit) seals exactly the full
 * runs written in order; pages rewritten after it are sealed again under
 * fresh keys; a write error in the background is reported by fsync.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: sealfs_par WORKDIR     exits 1 with "FAIL: ..." on any mismatch
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/os.h"
#include "sealfs/sealfs_int.h"

#define CACHE ((size_t)1 << 20)       /* 256 pages, a quarter of the file */
#define PAGES 1024u                   /* a 4 MiB file */
#define BAD 300u                      /* the data page tampered with */
#define FILL 0xA5

static const sealfs_keys keys = {
    .dir = {9, 2, 9, 2, 9, 2, 9, 2, 9, 2, 9, 2, 9, 2, 9, 2,
            9, 2, 9, 2, 9, 2, 9, 2, 9, 2, 9, 2, 9, 2, 9, 2},
    .table = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
              4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4},
};
static uint64_t counter;
static char sealed[512], state[512];
static uint8_t buf[256 * 1024];

static int mem_counter(void *ctx, bool inc, uint64_t *out)
{
    (void)ctx;
    counter += inc;
    *out = counter;
    return 0;
}

static void fail(const char *what, long long v, unsigned threads)
{
    printf("FAIL: %s (%lld), %u thread(s)\n", what, v, threads);
    exit(1);
}

/* The byte at offset `off` of the file. */
static uint8_t byte_at(uint64_t off)
{
    uint64_t x = off * 0x9e3779b97f4a7c15ull;

    return (uint8_t)(x >> 56 ^ off >> 12);
}

static sealfs *mount_it(unsigned threads)
{
    sealfs_anchor an = {SEALFS_ANCHOR_VERSION, false, NULL, mem_counter};
    sealfs *fs = NULL;
    char err[256];
    int fd = open(sealed, O_RDONLY | O_DIRECTORY), rc;

    if (fd < 0)
        fail("open the sealed directory", -1, threads);
    if ((rc = sealfs_mount(fd, &keys, state, &an, &fs, err, sizeof err)) < 0) {
        printf("mount: %s\n", err);
        fail("mount", rc, threads);
    }
    if ((rc = sealfs_cache_size(fs, CACHE)) < 0 ||
        (rc = sealfs_threads(fs, threads)) < 0)
        fail("cache size, threads", rc, threads);
    return fs;
}

/* Read [off, off + len) into buf, prefilled, in one call of `parts`
 * iovecs of uneven sizes. */
static int64_t read_parts(sealfs_file *f, uint64_t off, size_t len,
                          int parts)
{
    os_iovec iov[4];
    size_t at = 0;

    for (int i = 0; i < parts; i++) {
        size_t n = i == parts - 1 ? len - at
                                  : len / (size_t)parts +
                                        len / (size_t)(4 * parts);

        iov[i] = (os_iovec){buf + at, n};
        at += n;
    }
    memset(buf, FILL, len);
    return sealfs_pread(f, iov, parts, off);
}

/* The read matches the pattern. */
static void check(sealfs_file *f, uint64_t off, size_t len, int parts,
                  unsigned threads)
{
    int64_t k = read_parts(f, off, len, parts);

    if (k != (int64_t)len)
        fail("read length", k, threads);
    for (size_t i = 0; i < len; i++)
        if (buf[i] != byte_at(off + i))
            fail("contents differ at", (long long)(off + i), threads);
}

/* A read covering the tampered page: EIO, and every byte of the buffers
 * wiped (none of the fill, none of the plaintext of other pages). */
static void check_bad(sealfs_file *f, uint64_t off, size_t len, int parts,
                      unsigned threads)
{
    int64_t k = read_parts(f, off, len, parts);

    if (k != -OS_EIO)
        fail("a read over the tampered node did not fail with EIO", k,
             threads);
    for (size_t i = 0; i < len; i++)
        if (buf[i] != 0)
            fail("a failed read left bytes in the buffer at",
                 (long long)(off + i), threads);
}

static void reads_ok(unsigned threads)
{
    const uint64_t size = (uint64_t)PAGES * SEALFS_PAGE;
    sealfs *fs = mount_it(threads);
    sealfs_file *f;
    uint8_t type;
    int rc;

    if ((rc = sealfs_open(fs, "f", 0, &f, &type)) < 0)
        fail("open", rc, threads);
    /* streaming, straight into the buffers: 64 KiB and 256 KiB reads,
     * one and three iovecs */
    for (uint64_t off = 0; off < size; off += 65536)
        check(f, off, 65536, 1, threads);
    for (uint64_t off = 0; off < size; off += sizeof buf)
        check(f, off, sizeof buf, 3, threads);
    /* through the cache with read-ahead: small unaligned reads in order */
    for (uint64_t off = 1000; off + 3000 < size; off += 3000)
        check(f, off, 3000, 1, threads);
    /* the last pages partly cached, partly not; unaligned starts */
    check(f, size - 200000, 200000 - 77, 2, threads);
    check(f, 4096 * 7 + 5, 200000, 4, threads);
    sealfs_close(f);
    sealfs_unmount(fs);
}

static void reads_bad(unsigned threads)
{
    const uint64_t bad = (uint64_t)BAD * SEALFS_PAGE;
    sealfs *fs = mount_it(threads);
    sealfs_file *f;
    uint8_t type;
    int rc;

    if ((rc = sealfs_open(fs, "f", 0, &f, &type)) < 0)
        fail("open", rc, threads);
    /* straight into the buffers: the bad node first, last, in the middle
     * of a run, and in the second of three iovecs */
    check_bad(f, bad, 65536, 1, threads);
    check_bad(f, bad - 65536 + 4096, 65536, 1, threads);
    check_bad(f, bad - 8 * 4096, sizeof buf, 1, threads);
    check_bad(f, bad - 20 * 4096, 40 * 4096, 3, threads);
    /* the pages around it still read, streaming */
    check(f, bad - 65536, 65536, 1, threads);
    check(f, bad + 4096, 65536, 1, threads);
    /* through the cache: read-ahead from 10 pages before runs over it; the
     * pages before it come from the cache, the bad one fails when used */
    for (uint64_t off = bad - 10 * 4096; off < bad; off += 1000) {
        size_t n = off + 1000 <= bad ? 1000 : (size_t)(bad - off);

        check(f, off, n, 1, threads);
    }
    check_bad(f, bad, 100, 1, threads);
    check_bad(f, bad - 50, 100, 2, threads);
    check(f, bad + 4096, 5000, 1, threads);
    check(f, bad + 4096 + 5000, 9000, 1, threads);
    sealfs_close(f);
    sealfs_unmount(fs);
}

/* A mount with a cache that holds the test files (16 MiB) and a new file
 * named prefix + threads in it (name: 16 bytes). Its pool never backs off
 * (pool_eager): every run written behind goes to the threads, whatever the
 * load, so that the background path itself runs here (and under ASan and
 * TSan), not only the caller's. */
static sealfs *mount_new_file(unsigned threads, const char *prefix,
                              char *name, sealfs_file **f)
{
    sealfs *fs = mount_it(threads);
    uint8_t type;
    int rc;

    fs->pool_eager = true;

    if ((rc = sealfs_cache_size(fs, (size_t)16 << 20)) < 0)
        fail("cache size", rc, threads);
    snprintf(name, 16, "%s%u", prefix, threads);
    if ((rc = sealfs_open(fs, name, OS_O_CREAT, f, &type)) < 0)
        fail("create", rc, threads);
    return fs;
}

/* Unmount fs, mount again and open `name`. */
static sealfs *remount(sealfs *fs, const char *name, sealfs_file **f,
                       unsigned threads)
{
    uint8_t type;
    int rc;

    sealfs_unmount(fs);
    fs = mount_it(threads);
    if ((rc = sealfs_open(fs, name, 0, f, &type)) < 0)
        fail("reopen", rc, threads);
    return fs;
}

/* Write-behind, sealing on `threads` threads: a file written in order
 * through a cache that holds all of it has each full aligned run of 64
 * pages sealed into new nodes as soon as its last page is written, the
 * pages staying cached and clean; a partial run stays dirty, and so does a
 * run written out of order (its last page was not the last written). The
 * commit and a fresh mount then read back every byte. */
static void writes_behind(unsigned threads)
{
    enum { RUNS = 3, TAIL = 10, N = RUNS * SFS_RUN + TAIL };
    char name[16];
    sealfs_file *f;
    sealfs *fs = mount_new_file(threads, "wb", name, &f);
    int rc;

    /* runs 0 and 2 in order, 16 KiB at a time; run 1 last page first */
    for (uint64_t p = 0; p < N; p += 4) {
        uint64_t q = p / SFS_RUN == 1 ? 2 * SFS_RUN - 4 - (p - SFS_RUN) : p;
        size_t len = (N - q < 4 ? N - q : 4) * SEALFS_PAGE;
        os_iovec iov = {buf, len};

        for (size_t i = 0; i < len; i++)
            buf[i] = byte_at(q * SEALFS_PAGE + i);
        if (sealfs_pwrite(f, &iov, 1, q * SEALFS_PAGE) != (int64_t)len)
            fail("write", (long long)q, threads);
    }
    /* The last full run is still with the threads (sealed in the
     * background while the guest went on): busy, neither dirty nor at its
     * new nodes yet; the reap takes its result. */
    if (!fs->wb || fs->wb->f != f || fs->wb->first != 2 * SFS_RUN)
        fail("the last run in order is not in the background", -1, threads);
    for (uint64_t i = 2 * SFS_RUN; i < 3 * SFS_RUN; i++) {
        sfs_page *pg = sfs_cache_find(&fs->cache, f, i, false);

        if (!pg || !pg->busy || pg->dirty || f->pst[i] == SFS_PG_NEW)
            fail("a page of the run in the background", (long long)i,
                 threads);
    }
    sfs_wb_reap(fs);
    for (uint64_t i = 0; i < N; i++) {
        sfs_page *pg = sfs_cache_find(&fs->cache, f, i, false);

        if (pg && pg->busy)
            fail("a page still busy after the reap", (long long)i, threads);
        bool behind = i / SFS_RUN == 0 || i / SFS_RUN == 2;

        if (!pg)
            fail("a written page is not cached", (long long)i, threads);
        if (pg->dirty == behind ||
            (f->pst[i] == SFS_PG_NEW) != behind)
            fail(behind ? "a full run in order was not written behind"
                        : "a page was written behind out of order",
                 (long long)i, threads);
        /* a run is one batch: one key, a nonce per node; runs differ */
        if (behind && i && f->pst[i - 1] == SFS_PG_NEW &&
            !memcmp(f->cur[i].key, f->cur[i - 1].key, 32) !=
                (i % SFS_RUN != 0))
            fail(i % SFS_RUN ? "a run was not sealed under one key"
                             : "two runs sealed under one key",
                 (long long)i, threads);
    }
    /* No (key, nonce) pair twice among the nodes written behind: the
     * nonce is in each node on disk. */
    for (uint64_t i = 0; i < N; i++)
        for (uint64_t j = 0; j < i; j++) {
            uint8_t ni[12], nj[12];

            if (f->pst[i] != SFS_PG_NEW || f->pst[j] != SFS_PG_NEW ||
                memcmp(f->cur[i].key, f->cur[j].key, 32))
                continue;
            if (pread(f->hfd, ni, 12, (off_t)(f->cur[i].slot * SEALFS_BLOB + 1)) !=
                    12 ||
                pread(f->hfd, nj, 12, (off_t)(f->cur[j].slot * SEALFS_BLOB + 1)) !=
                    12)
                fail("read a node's nonce", (long long)i, threads);
            if (!memcmp(ni, nj, 12))
                fail("two nodes sealed under one key and nonce", (long long)i,
                     threads);
        }
    if ((rc = sealfs_close(f)) < 0)
        fail("close", rc, threads);
    fs = remount(fs, name, &f, threads);
    for (uint64_t p = 0; p < N; p += SFS_RUN)
        check(f, p * SEALFS_PAGE,
              (size_t)(N - p < SFS_RUN ? N - p : SFS_RUN) * SEALFS_PAGE, 2,
              threads);
    sealfs_close(f);
    sealfs_unmount(fs);
}

/* Write [p0, p1) pages of the file in 16 KiB writes, bytes byte_at(off) ^
 * x. Returns the first error. */
static int64_t write_pages(sealfs_file *f, uint64_t p0, uint64_t p1,
                           uint8_t x)
{
    for (uint64_t p = p0; p < p1; p += 4) {
        size_t len = (p1 - p < 4 ? p1 - p : 4) * SEALFS_PAGE;
        os_iovec iov = {buf, len};
        int64_t k;

        for (size_t i = 0; i < len; i++)
            buf[i] = byte_at(p * SEALFS_PAGE + i) ^ x;
        if ((k = sealfs_pwrite(f, &iov, 1, p * SEALFS_PAGE)) != (int64_t)len)
            return k < 0 ? k : -OS_EIO;
    }
    return 0;
}

/* Pages [p0, p1) read back as byte_at ^ x. */
static void check_x(sealfs_file *f, uint64_t p0, uint64_t p1, uint8_t x,
                    unsigned threads)
{
    for (uint64_t p = p0; p < p1; p++) {
        os_iovec iov = {buf, SEALFS_PAGE};

        if (sealfs_pread(f, &iov, 1, p * SEALFS_PAGE) != SEALFS_PAGE)
            fail("read back", (long long)p, threads);
        for (size_t i = 0; i < SEALFS_PAGE; i++)
            if (buf[i] != (uint8_t)(byte_at(p * SEALFS_PAGE + i) ^ x))
                fail("bytes read back differ, page", (long long)p, threads);
    }
}

/* Pages sealed early, then written again: a page of a run already at its
 * new node (reaped), and a page of the run still in the background (the
 * write waits for it). Both are sealed again at the commit under a fresh
 * key into another slot, and the new bytes come back after a remount. */
static void rewrite_behind(unsigned threads)
{
    char name[16];
    sealfs_file *f;
    sealfs *fs = mount_new_file(threads, "rw", name, &f);
    sealfs_ref early[2];
    int rc;

    if ((rc = (int)write_pages(f, 0, 2 * SFS_RUN, 0)) < 0)
        fail("write", rc, threads);
    if (f->pst[5] != SFS_PG_NEW || !fs->wb || fs->wb->f != f ||
        !sfs_cache_find(&fs->cache, f, SFS_RUN + 7, false)->busy)
        fail("run 0 not sealed early, or run 1 not in the background", -1,
             threads);
    early[0] = f->cur[5];
    /* page 5 (sealed, reaped) and page SFS_RUN + 7 (in the background) */
    if ((rc = (int)write_pages(f, 5, 6, 0x5a)) < 0 ||
        (rc = (int)write_pages(f, SFS_RUN + 7, SFS_RUN + 8, 0x5a)) < 0)
        fail("rewrite", rc, threads);
    if (fs->wb->f || f->pst[SFS_RUN + 7] != SFS_PG_NEW)
        fail("a write into the run in the background did not wait for it",
             -1, threads);
    early[1] = f->cur[SFS_RUN + 7];
    if (!sfs_cache_find(&fs->cache, f, 5, false)->dirty ||
        !sfs_cache_find(&fs->cache, f, SFS_RUN + 7, false)->dirty)
        fail("a rewritten page is not dirty", -1, threads);
    if ((rc = sealfs_sync(f)) < 0)
        fail("sync", rc, threads);
    if (!memcmp(f->lv[0][5].key, early[0].key, 32) ||
        !memcmp(f->lv[0][SFS_RUN + 7].key, early[1].key, 32) ||
        f->lv[0][5].slot == early[0].slot ||
        f->lv[0][SFS_RUN + 7].slot == early[1].slot)
        fail("a page sealed early and rewritten reused its key or slot", -1,
             threads);
    if ((rc = sealfs_close(f)) < 0)
        fail("close", rc, threads);
    fs = remount(fs, name, &f, threads);
    check_x(f, 0, 5, 0, threads);
    check_x(f, 5, 6, 0x5a, threads);
    check_x(f, 6, SFS_RUN + 7, 0, threads);
    check_x(f, SFS_RUN + 7, SFS_RUN + 8, 0x5a, threads);
    check_x(f, SFS_RUN + 8, 2 * SFS_RUN, 0, threads);
    sealfs_close(f);
    sealfs_unmount(fs);
}

/* A run written behind that cannot be written (the node file may not
 * grow: RLIMIT_FSIZE, as a full disk): the write that handed it over
 * succeeded, the pages are dirty again, and the error comes back from the
 * fsync, again from a second one and from close while the disk stays full
 * (never lost: nothing was marked written). Once there is room the next
 * commit succeeds, and a remount reads every byte. */
static void error_behind(unsigned threads)
{
    enum { N = 3 * SFS_RUN };
    struct rlimit was, lim;
    char name[16];
    sealfs_file *f;
    sealfs *fs = mount_new_file(threads, "err", name, &f);
    int rc;

    if ((rc = (int)write_pages(f, 0, SFS_RUN, 0)) < 0)
        fail("write", rc, threads);
    sfs_wb_reap(fs);
    if (f->pst[0] != SFS_PG_NEW)
        fail("run 0 not written behind", -1, threads);
    /* room for run 0 and half of run 1 */
    getrlimit(RLIMIT_FSIZE, &was);
    lim = was;
    lim.rlim_cur = (rlim_t)(SFS_RUN + SFS_RUN / 2) * SEALFS_BLOB;
    if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
        fail("setrlimit", -1, threads);
    if ((rc = (int)write_pages(f, SFS_RUN, N, 0x33)) < 0)
        fail("a write failed for the background's error", rc, threads);
    sfs_wb_reap(fs);
    for (uint64_t i = SFS_RUN; i < N; i++) {
        sfs_page *pg = sfs_cache_find(&fs->cache, f, i, false);

        if (!pg || !pg->dirty || f->pst[i] == SFS_PG_NEW)
            fail("a page whose run failed is not dirty again", (long long)i,
                 threads);
    }
    if ((rc = sealfs_sync(f)) >= 0)
        fail("the background write's error was not reported by fsync", rc,
             threads);
    if ((rc = sealfs_sync(f)) >= 0)
        fail("a second fsync on a full disk succeeded", rc, threads);
    if ((rc = sealfs_close(f)) >= 0)
        fail("close on a full disk succeeded", rc, threads);
    if (setrlimit(RLIMIT_FSIZE, &was) < 0)
        fail("setrlimit", -1, threads);
    /* the closed file's writes are still pending: the next commit */
    if ((rc = sealfs_commit(fs)) < 0)
        fail("commit with room again", rc, threads);
    fs = remount(fs, name, &f, threads);
    check_x(f, 0, SFS_RUN, 0, threads);
    check_x(f, SFS_RUN, N, 0x33, threads);
    sealfs_close(f);
    sealfs_unmount(fs);
}

int main(int argc, char **argv)
{
    static const unsigned nthreads[] = {0, 1, 3};
    static const unsigned moved[] = {5, 17, 100, 101, 102, 250, 290, 299,
                                     301, 305, 700};
    char base[400], node[600], cmd[600], hex[2 * SEALFS_ID + 1];
    sealfs *fs;
    sealfs_file *f;
    uint8_t type, b = 0;
    uint64_t slot;
    int rc, fd;

    if (argc < 2) {
        fprintf(stderr, "usage: sealfs_par WORKDIR\n");
        return 2;
    }
    snprintf(base, sizeof base, "%.380s/par.XXXXXX", argv[1]);
    mkdir(argv[1], 0700);
    if (!mkdtemp(base))
        fail("mkdtemp", -1, 0);
    snprintf(sealed, sizeof sealed, "%s/sealed", base);
    snprintf(state, sizeof state, "%s/state", base);
    if (mkdir(sealed, 0700) || mkdir(state, 0700))
        fail("work directories", -1, 0);
    signal(SIGXFSZ, SIG_IGN);   /* error_behind: EFBIG, not a signal */
    {
        /* the default cache: a 64th of memory, within its bounds */
        size_t d = sealfs_cache_default();
        uint64_t share = os_mem_total() / SEALFS_CACHE_SHARE;

        if (d < SEALFS_CACHE_MIN || d > SEALFS_CACHE_MAX ||
            d % SEALFS_PAGE ||
            (share >= SEALFS_CACHE_MIN && share <= SEALFS_CACHE_MAX &&
             d != share / SEALFS_PAGE * SEALFS_PAGE) ||
            (share > SEALFS_CACHE_MAX && d != SEALFS_CACHE_MAX))
            fail("default cache size", -1, 0);
    }

    fs = mount_it(1);
    if ((rc = sealfs_open(fs, "f", OS_O_CREAT, &f, &type)) < 0)
        fail("create", rc, 1);
    for (uint64_t off = 0; off < (uint64_t)PAGES * SEALFS_PAGE;
         off += sizeof buf) {
        os_iovec iov = {buf, sizeof buf};

        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = byte_at(off + i);
        if (sealfs_pwrite(f, &iov, 1, off) != (int64_t)sizeof buf)
            fail("write", -1, 1);
    }
    if ((rc = sealfs_close(f)) < 0)
        fail("close", rc, 1);
    /* Some pages rewritten with the same bytes: their nodes move to other
     * slots (copy-on-write), so runs of pages span runs of slots. */
    if ((rc = sealfs_open(fs, "f", 0, &f, &type)) < 0)
        fail("open", rc, 1);
    for (size_t r = 0; r < sizeof moved / sizeof *moved; r++) {
        uint64_t off = (uint64_t)moved[r] * SEALFS_PAGE;
        os_iovec iov = {buf, SEALFS_PAGE};

        for (size_t i = 0; i < SEALFS_PAGE; i++)
            buf[i] = byte_at(off + i);
        if (sealfs_pwrite(f, &iov, 1, off) != SEALFS_PAGE)
            fail("rewrite", -1, 1);
    }
    if ((rc = sealfs_close(f)) < 0)
        fail("close", rc, 1);
    /* where the tampered page's node is (the committed tree) */
    if ((rc = sealfs_open(fs, "f", 0, &f, &type)) < 0)
        fail("open", rc, 1);
    slot = f->lv[0][BAD].slot;
    if (f->lv[0][BAD + 1].slot == slot + 1 ||
        f->lv[0][BAD - 1].slot + 1 == slot)
        fail("the pages around the tampered one did not move",
             (long long)slot, 1);
    sfs_hex_id(f->ent.id, hex);
    sealfs_close(f);
    sealfs_unmount(fs);

    for (size_t i = 0; i < sizeof nthreads / sizeof *nthreads; i++)
        reads_ok(nthreads[i]);
    for (size_t i = 0; i < sizeof nthreads / sizeof *nthreads; i++) {
        writes_behind(nthreads[i]);
        rewrite_behind(nthreads[i]);
        error_behind(nthreads[i]);
    }

    snprintf(node, sizeof node, "%s/%s", sealed, hex);
    if ((fd = open(node, O_RDWR)) < 0 ||
        pread(fd, &b, 1, (off_t)(slot * SEALFS_BLOB + 2000)) != 1)
        fail("read the node file", -1, 0);
    b ^= 0x10;
    if (pwrite(fd, &b, 1, (off_t)(slot * SEALFS_BLOB + 2000)) != 1)
        fail("tamper", -1, 0);
    close(fd);
    for (size_t i = 0; i < sizeof nthreads / sizeof *nthreads; i++)
        reads_bad(nthreads[i]);

    printf("sealfs_par: %u-page file, cache %zu KiB, 0/1/3 threads: "
           "contents match; full runs written in order are sealed behind "
           "(in the background on the threads), kept cached clean, and read "
           "back; pages rewritten after sealing early get fresh nodes; a "
           "background write error comes back from fsync; every read "
           "over tampered page %u: EIO, buffers wiped\n",
           PAGES, CACHE >> 10, BAD);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fail("cleanup", -1, 0);
    return 0;
}
