/* sealfs_io.c - file I/O throughput of a WASI guest, run by bench/sealfs.sh
 * on a plain (--dir) and a sealed (--dir-sealed) directory.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: sealfs_io DIR MIB
 * Phases (each timed from open to close, fsync included):
 *   seq-write   MIB MiB in 64 KiB writes, one fsync at the end
 *   seq-read    the same file back in 64 KiB reads
 *   rand-write  4 KiB writes at random pages (a quarter of the file), fsync
 *   rand-read   4 KiB reads at random pages (a quarter of the file)
 *   sqlite-tx   a 4 MiB database (file db) and a rollback journal: each
 *               transaction journals 4 pages, fsyncs, writes them in the
 *               database, fsyncs, and truncates the journal (as SQLite's
 *               DELETE mode)
 *   cold-read   run again on the same directory (data.bin exists): only
 *               the file written by the earlier run, read sequentially
 *               by a fresh process (sealed: a fresh mount, every node
 *               read and verified; plain: still the kernel's page cache)
 * Prints one line per phase: "PHASE VALUE UNIT" (MiB/s, or tx/s), and checks
 * what it reads (exit 1 on a mismatch).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define PAGE 4096

static unsigned char buf[CHUNK];
static char path[512], jpath[512], dbpath[512];

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t rng = 12345;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void fail(const char *what)
{
    fprintf(stderr, "sealfs_io: %s failed\n", what);
    exit(1);
}

int main(int argc, char **argv)
{
    size_t mib, size, pages;
    double t;
    int fd, jd;

    if (argc != 3 || !(mib = strtoul(argv[2], NULL, 10)))
        fail("usage: sealfs_io DIR MIB");
    size = mib << 20;
    pages = size / PAGE;
    snprintf(path, sizeof path, "%s/data.bin", argv[1]);
    snprintf(jpath, sizeof jpath, "%s/db-journal", argv[1]);
    snprintf(dbpath, sizeof dbpath, "%s/db", argv[1]);

    if (access(path, F_OK) == 0) {
        t = now();
        if ((fd = open(path, O_RDONLY)) < 0)
            fail("open");
        for (size_t off = 0; off < size; off += CHUNK)
            if (read(fd, buf, CHUNK) != CHUNK)
                fail("read");
        close(fd);
        printf("cold-read %.1f MiB/s\n", mib / (now() - t));
        return 0;
    }

    t = now();
    if ((fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600)) < 0)
        fail("open");
    for (size_t off = 0; off < size; off += CHUNK) {
        memset(buf, (int)(off / CHUNK), CHUNK);
        if (write(fd, buf, CHUNK) != CHUNK)
            fail("write");
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        fail("fsync");
    printf("seq-write %.1f MiB/s\n", mib / (now() - t));

    t = now();
    if ((fd = open(path, O_RDONLY)) < 0)
        fail("open");
    for (size_t off = 0; off < size; off += CHUNK)
        if (read(fd, buf, CHUNK) != CHUNK || buf[CHUNK - 1] != (unsigned char)(off / CHUNK))
            fail("read");
    close(fd);
    printf("seq-read %.1f MiB/s\n", mib / (now() - t));

    t = now();
    if ((fd = open(path, O_RDWR)) < 0)
        fail("open");
    for (size_t i = 0; i < pages / 4; i++) {
        size_t p = next() % pages;

        memset(buf, (int)(p & 255), PAGE);
        if (pwrite(fd, buf, PAGE, (off_t)(p * PAGE)) != PAGE)
            fail("pwrite");
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        fail("fsync");
    printf("rand-write %.1f MiB/s\n", (pages / 4) * (double)PAGE / (1 << 20) / (now() - t));

    t = now();
    if ((fd = open(path, O_RDONLY)) < 0)
        fail("open");
    for (size_t i = 0; i < pages / 4; i++)
        if (pread(fd, buf, PAGE, (off_t)((next() % pages) * PAGE)) != PAGE)
            fail("pread");
    close(fd);
    printf("rand-read %.1f MiB/s\n", (pages / 4) * (double)PAGE / (1 << 20) / (now() - t));

    /* sqlite-style transactions on a 4 MiB database of its own (data.bin
     * stays for the cold-read rerun), created and synced before timing */
    if ((fd = open(dbpath, O_CREAT | O_TRUNC | O_RDWR, 0600)) < 0 ||
        ftruncate(fd, 4 << 20) != 0 || fsync(fd) != 0)
        fail("db");
    t = now();
    for (int tx = 0; tx < 200; tx++) {
        size_t pg[4];

        if ((jd = open(jpath, O_CREAT | O_TRUNC | O_WRONLY, 0600)) < 0)
            fail("journal");
        for (int k = 0; k < 4; k++) {
            pg[k] = next() % 1024;
            if (pread(fd, buf, PAGE, (off_t)(pg[k] * PAGE)) != PAGE ||
                write(jd, buf, PAGE) != PAGE)
                fail("journal write");
        }
        if (fsync(jd) != 0)
            fail("journal fsync");
        for (int k = 0; k < 4; k++) {
            memset(buf, tx & 255, PAGE);
            if (pwrite(fd, buf, PAGE, (off_t)(pg[k] * PAGE)) != PAGE)
                fail("db write");
        }
        if (fsync(fd) != 0 || close(jd) != 0 || unlink(jpath) != 0)
            fail("commit");
    }
    close(fd);
    printf("sqlite-tx %.1f tx/s\n", 200 / (now() - t));
    return 0;
}
