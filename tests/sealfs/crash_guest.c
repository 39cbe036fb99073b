/* crash_guest.c - a write-heavy WASI program for the crash test: it is
 * killed (SIGKILL) at random points, and `verify` checks after each kill
 * that the sealed directory holds one committed state, not a mix.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: crash_guest churn DIR N [MIB]  N transactions from the stored
 *                                       generation
 *        crash_guest verify DIR [MIB]   print the generation it holds
 *
 * MIB: a.bin is that many MiB instead of 40 KiB, more than a mount's page
 * cache, so dirty pages are evicted (spilled to free slots) before the
 * transaction commits, and a kill lands among spills too.
 *
 * Transaction g rewrites a.bin (fixed 40 KiB, in place) and b.bin (its size
 * depends on g: grown or truncated), both filled with the byte g, and
 * renames a new file holding "g" over c.txt, which commits all three at
 * once. Whatever the kill interrupts, verify must find a, b and c at
 * one and the same generation, each file uniform and b of its size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long a_size = 40 * 1024;

static char pa[512], pb[512], pc[512], pt[512];
static unsigned char buf[64 * 1024], pattern[8];

static size_t b_size(unsigned g)
{
    return 4096 * (1 + g % 9) + (g * 37) % 4096;
}

static void die(const char *what)
{
    fprintf(stderr, "FAIL: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* The generation byte of a uniform file of the expected size, or exit 1;
 * -1 when it does not exist. */
static int gen_of(const char *path, long want_size, unsigned *out)
{
    int fd = open(path, O_RDONLY);
    ssize_t n, total = 0;
    int first = -1;

    if (fd < 0) {
        if (errno == ENOENT)
            return -1;
        die(path);
    }
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        ssize_t i = 0;

        if (first < 0) {
            first = buf[0];
            memset(pattern, first, sizeof pattern);
        }
        /* a word at a time where it matches (the interpreter is slow) */
        while (i + 8 <= n && memcmp(buf + i, pattern, 8) == 0)
            i += 8;
        for (; i < n; i++)
            if (buf[i] != first) {
                fprintf(stderr, "FAIL: %s mixes generations %d and %u at "
                        "%zd\n", path, first, buf[i], total + i);
                exit(1);
            }
        total += n;
    }
    if (n < 0)
        die(path);
    close(fd);
    if (total == 0) {
        fprintf(stderr, "FAIL: %s is empty\n", path);
        exit(1);
    }
    if (total != want_size) {
        fprintf(stderr, "FAIL: %s: %zd bytes, want %ld for generation %d\n",
                path, total, want_size, first);
        exit(1);
    }
    *out = (unsigned)first;
    return 0;
}

static unsigned verify(void)
{
    unsigned ga, gb, gc = 0;
    FILE *f = fopen(pc, "r");

    if (!f) {
        if (errno != ENOENT)
            die(pc);
        /* nothing committed yet: then neither a nor b holds data */
        if (gen_of(pa, a_size, &ga) == 0) {
            fprintf(stderr, "FAIL: a.bin has data but c.txt is missing\n");
            exit(1);
        }
        return 0;
    }
    if (fscanf(f, "%u", &gc) != 1) {
        fprintf(stderr, "FAIL: c.txt does not hold a generation\n");
        exit(1);
    }
    fclose(f);
    if (gen_of(pa, a_size, &ga) < 0 || gen_of(pb, (long)b_size(gc), &gb) < 0) {
        fprintf(stderr, "FAIL: c.txt exists without a.bin and b.bin\n");
        exit(1);
    }
    if (ga != gb || ga != gc % 256) {
        fprintf(stderr, "FAIL: a mix: a.bin %u, b.bin %u, c.txt %u\n", ga, gb,
                gc);
        exit(1);
    }
    return gc;
}

static void churn(unsigned n)
{
    unsigned g = verify();
    int fa = open(pa, O_CREAT | O_RDWR, 0600);
    int fb = open(pb, O_CREAT | O_RDWR, 0600);

    if (fa < 0 || fb < 0)
        die("open");
    for (unsigned k = 0; k < n; k++) {
        char num[16];
        int ft, len;

        g++;
        memset(buf, (int)(g & 255), sizeof buf);
        /* piecewise, so a kill can land between pieces */
        for (size_t off = 0; off < (size_t)a_size; off += 10000) {
            size_t len = (size_t)a_size - off < 10000 ? (size_t)a_size - off
                                                       : 10000;

            if (pwrite(fa, buf, len, (off_t)off) != (ssize_t)len)
                die("pwrite a");
        }
        if (ftruncate(fb, (off_t)b_size(g)) != 0 ||
            pwrite(fb, buf, b_size(g), 0) != (ssize_t)b_size(g))
            die("write b");
        /* The rename is the one commit point of the transaction (a sealed
         * directory commits every pending write with it); the close and
         * the fsync after it find nothing left to commit. */
        if ((ft = open(pt, O_CREAT | O_TRUNC | O_WRONLY, 0600)) < 0)
            die("open tmp");
        len = snprintf(num, sizeof num, "%u", g);
        if (write(ft, num, (size_t)len) != len)
            die("write tmp");
        if (rename(pt, pc) != 0)
            die("rename");
        if (close(ft) != 0 || fsync(fa) != 0)
            die("close, fsync");
    }
    close(fa);
    close(fb);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: crash_guest churn DIR N [MIB] | verify DIR "
                "[MIB]\n");
        return 2;
    }
    if (strcmp(argv[1], "churn") == 0 && argc == 5)
        a_size = strtol(argv[4], NULL, 0) << 20;
    if (strcmp(argv[1], "verify") == 0 && argc == 4)
        a_size = strtol(argv[3], NULL, 0) << 20;
    snprintf(pa, sizeof pa, "%s/a.bin", argv[2]);
    snprintf(pb, sizeof pb, "%s/b.bin", argv[2]);
    snprintf(pc, sizeof pc, "%s/c.txt", argv[2]);
    snprintf(pt, sizeof pt, "%s/c.tmp", argv[2]);
    if (strcmp(argv[1], "churn") == 0 && (argc == 4 || argc == 5))
        churn((unsigned)strtoul(argv[3], NULL, 0));
    else if (strcmp(argv[1], "verify") == 0)
        printf("%u\n", verify());
    else
        return 2;
    return 0;
}
