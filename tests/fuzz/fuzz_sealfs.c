/* fuzz_sealfs.c - libFuzzer target: mounting a corrupted sealed directory
 * and reading everything in it never crashes and never yields data that did
 * not authenticate.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: a mode byte, then the payload.
 *   mode 0: the payload is the host's manifest slot 1, as is (authentication
 *           must fail: the mount is refused).
 *   mode 1: the payload is a manifest's plaintext, sealed under the test key
 *           so that the decoder and its checks see it; the version table
 *           names its directory id and version, so a manifest that passes
 *           is mounted, listed and every file opened (their node files are
 *           missing: EIO).
 *   mode 2: a valid manifest with one file whose root index node holds the
 *           payload (sealed under the key the manifest gives), so that the
 *           tree walk parses hostile child references; the data nodes do
 *           not exist or do not authenticate.
 * Properties: no crash, no leak (ASan), and no successful read of a file
 * whose nodes could not all be verified.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealfs/sealfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir_root[64], state[96], sealed[96];
static const sealfs_keys keys = {
    .dir = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32},
    .table = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
              9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9},
};
static uint64_t counter = 7;

static int mem_counter(void *ctx, bool inc, uint64_t *out)
{
    (void)ctx;
    counter += inc;
    *out = counter;
    return 0;
}

static void put(const char *d, const char *name, const void *p, size_t n)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", d, name);
    if (!(f = fopen(path, "wb")) || (n && fwrite(p, 1, n, f) != n) ||
        fclose(f) != 0)
        abort();
}

/* Empty directory d (flat: the target makes no subdirectories), creating
 * it on first use. No shell: this runs for every input. */
static void clear(const char *d)
{
    DIR *dir;
    struct dirent *e;

    mkdir(dir_root, 0700);
    if (mkdir(d, 0700) != 0 && errno != EEXIST)
        abort();
    if (!(dir = opendir(d)))
        abort();
    while ((e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(dirfd(dir), e->d_name, 0);
    closedir(dir);
}

static void table(const uint8_t id[SEALFS_ID], uint64_t version)
{
    struct sealfs_table_row row;
    sealfs_table t = {counter, 1, &row};
    uint8_t *blob;
    size_t n;

    memcpy(row.dir_id, id, SEALFS_ID);
    row.version = version;
    if (sealfs_table_seal(keys.table, &t, &blob, &n) != 0)
        abort();
    put(state, counter % 2 ? SEALFS_TABLE_1 : SEALFS_TABLE_0, blob, n);
    free(blob);
}

static int visit(void *ud, const char *name, size_t len, uint8_t type,
                 uint64_t ino)
{
    char **names = ud;
    (void)ino;
    (void)type;
    if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2)))
        return 0;
    for (int i = 0; i < 64; i++)
        if (!names[i]) {
            names[i] = strndup(name, len);
            return 0;
        }
    return 0;
}

/* List and open everything beneath path; reading must fail for files
 * whose nodes are missing or forged. */
static void walk(sealfs *fs, const char *path, int depth)
{
    char *names[64] = {0};

    if (depth > 8 || sealfs_list(fs, path, visit, names) < 0)
        return;
    for (int i = 0; i < 64 && names[i]; i++) {
        char sub[SEALFS_PATH_MAX + 300];
        sealfs_file *f = NULL;
        uint8_t type = 0;
        os_stat st;

        snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "/" : "", names[i]);
        free(names[i]);
        if (sealfs_stat(fs, sub, &st) < 0)
            continue;
        if (sealfs_open(fs, sub, 0, &f, &type) == 0) {
            if (f) {
                uint8_t b[64];
                os_iovec iov = {b, sizeof b};

                /* No data node of this target verifies: an empty file
                 * reads nothing, any other read fails (opening reads only
                 * the index nodes, so it may succeed). */
                int64_t got = sealfs_pread(f, &iov, 1, 0);

                if (st.size == 0 ? got != 0 : got >= 0)
                    abort();
                sealfs_close(f);
            } else {
                walk(fs, sub, depth + 1);
            }
        }
    }
}

static void mount_and_walk(void)
{
    sealfs_anchor a = {SEALFS_ANCHOR_VERSION, false, NULL, mem_counter};
    sealfs *fs = NULL;
    char err[256];
    int fd = open(sealed, O_RDONLY | O_DIRECTORY);

    if (fd < 0)
        abort();
    if (sealfs_mount(fd, &keys, state, &a, &fs, err, sizeof err) == 0) {
        walk(fs, "", 0);
        sealfs_unmount(fs);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *blob = NULL;
    size_t n;

    if (!dir_root[0]) {
        struct stat st;

        /* tmpfs where there is one: the commits' fsyncs cost nothing */
        snprintf(dir_root, sizeof dir_root, "%s/fuzz_sealfs.%d",
                 stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp",
                 (int)getpid());
        snprintf(state, sizeof state, "%s/state", dir_root);
        snprintf(sealed, sizeof sealed, "%s/sealed", dir_root);
    }
    if (size < 1)
        return 0;
    clear(state);
    clear(sealed);
    switch (data[0] % 3) {
    case 0: {
        static const uint8_t any[SEALFS_ID];

        table(any, 1);   /* whatever id: the manifest never opens */
        put(sealed, SEALFS_MANIFEST_1, data + 1, size - 1);
        break;
    }
    case 1: {
        uint8_t id[SEALFS_ID] = {0};
        uint64_t version = 0;

        if (size >= 1 + 4 + SEALFS_ID + 8) {
            memcpy(id, data + 5, SEALFS_ID);
            for (int i = 0; i < 8; i++)
                version |= (uint64_t)data[5 + SEALFS_ID + i] << (8 * i);
        }
        table(id, version);
        /* The sealing is the test's; what it seals is the fuzzer's. */
        if (sealfs_manifest_seal_raw(keys.dir, data + 1, size - 1, &blob,
                                     &n) != 0)
            abort();
        /* the slot its version claims, as a commit writes it */
        put(sealed, version % 2 ? SEALFS_MANIFEST_1 : SEALFS_MANIFEST_0,
            blob, n);
        break;
    }
    default: {
        uint8_t id[SEALFS_ID] = {7}, fid[SEALFS_ID] = {8};
        uint8_t page[SEALFS_PAGE] = {0}, node[SEALFS_BLOB];
        uint8_t fresh[SEALFS_FRESH];
        sealfs_entry e = {0};
        sealfs_manifest m = {{0}, 1, &e, 1};
        uint64_t fsize = 1;
        char name[2 * SEALFS_ID + 1], fpath[] = "f";

        memcpy(page, data + 1, size - 1 < SEALFS_PAGE ? size - 1 : SEALFS_PAGE);
        for (int i = 0; i < 3 && i + 1 < (int)size; i++)
            fsize = fsize << 8 | data[1 + i];
        fsize %= (uint64_t)64 << 20;   /* up to three levels, quickly */
        e.type = OS_FT_REG;
        e.path = fpath;
        memcpy(e.id, fid, SEALFS_ID);
        e.size = fsize;
        e.levels = sealfs_levels(fsize);
        e.root.slot = 0;
        memcpy(m.dir_id, id, SEALFS_ID);
        /* a fixed key and nonce: this input's only node */
        memset(fresh, 0x5a, sizeof fresh);
        memcpy(e.root.key, fresh, 32);
        if (sealfs_node_seal(NULL, fid, e.levels - 1u, 0, page, fresh,
                             node) != 0 ||
            sealfs_manifest_seal(keys.dir, &m, &blob, &n) != 0)
            abort();
        for (int i = 0; i < SEALFS_ID; i++)
            snprintf(name + 2 * i, 3, "%02x", fid[i]);
        put(sealed, name, node, sizeof node);
        put(sealed, SEALFS_MANIFEST_1, blob, n);   /* version 1 */
        table(id, 1);
        break;
    }
    }
    free(blob);
    mount_and_walk();
    return 0;
}
