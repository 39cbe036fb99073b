/* legacy_test.c - a sealed directory in the layout before the two slots
 * (sealfs.root, sealfs-versions) opens, is migrated by its first commit
 * (the old files removed), and an old-layout manifest older than the table
 * is still refused.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: sealfs_legacy WORKDIR       exit 1 with "FAIL: ..." on any error
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealfs/sealfs.h"

static const sealfs_keys keys = {
    .dir = {5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5,
            4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4},
    .table = {8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
              8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8},
};
static uint64_t counter = 11;
static char base[400], sealed[512], state[512];

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

static void put(const char *dir, const char *name, const void *p, size_t n)
{
    char path[700];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "wb")) || (n && fwrite(p, 1, n, f) != n) ||
        fclose(f) != 0)
        fail("write a host file", -1);
}

static bool exists(const char *dir, const char *name)
{
    char path[700];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* The old layout: file "f" of 5000 bytes (two data nodes, slots 0 and 1,
 * under a root index node, slot 2), manifest version `version`, and a
 * version table at the counter recording `recorded`. */
static void make_legacy(uint64_t version, uint64_t recorded)
{
    static const uint8_t did[SEALFS_ID] = {1, 2, 3}, fid[SEALFS_ID] = {9, 9};
    uint8_t page[SEALFS_PAGE], node[3 * SEALFS_BLOB], fresh[3][SEALFS_FRESH];
    struct sealfs_table_row row;
    sealfs_table t = {counter, 1, &row};
    sealfs_entry e = {0};
    sealfs_manifest m = {{0}, version, &e, 1};
    char name[2 * SEALFS_ID + 1], path[] = "f";
    uint8_t *blob;
    size_t n;

    for (int i = 0; i < 3; i++)
        for (int j = 0; j < SEALFS_FRESH; j++)
            fresh[i][j] = (uint8_t)(i * 50 + j + 1);
    for (int i = 0; i < 2; i++) {
        memset(page, 0, sizeof page);
        memset(page, 'a' + i, i ? 5000 - SEALFS_PAGE : SEALFS_PAGE);
        if (sealfs_node_seal(NULL, fid, 0, (uint64_t)i, page, fresh[i],
                             node + i * SEALFS_BLOB) != 0)
            fail("seal a data node", i);
    }
    memset(page, 0, sizeof page);
    for (int i = 0; i < 2; i++) {
        page[i * SEALFS_REF] = (uint8_t)i;            /* slot i */
        memcpy(page + i * SEALFS_REF + 4, fresh[i], 32);
    }
    if (sealfs_node_seal(NULL, fid, 1, 0, page, fresh[2],
                         node + 2 * SEALFS_BLOB) != 0)
        fail("seal the index node", 0);
    for (int i = 0; i < SEALFS_ID; i++)
        snprintf(name + 2 * i, 3, "%02x", fid[i]);
    put(sealed, name, node, sizeof node);
    e.type = OS_FT_REG;
    e.path = path;
    memcpy(e.id, fid, SEALFS_ID);
    e.size = 5000;
    e.levels = 2;
    e.root.slot = 2;
    memcpy(e.root.key, fresh[2], 32);
    memcpy(m.dir_id, did, SEALFS_ID);
    if (sealfs_manifest_seal(keys.dir, &m, &blob, &n) != 0)
        fail("seal the manifest", 0);
    put(sealed, "sealfs.root", blob, n);
    free(blob);
    memcpy(row.dir_id, did, SEALFS_ID);
    row.version = recorded;
    if (sealfs_table_seal(keys.table, &t, &blob, &n) != 0)
        fail("seal the table", 0);
    put(state, "sealfs-versions", blob, n);
    free(blob);
}

static int mount_it(sealfs **fs)
{
    sealfs_anchor an = {SEALFS_ANCHOR_VERSION, false, NULL, mem_counter};
    char err[256];
    int fd = open(sealed, O_RDONLY | O_DIRECTORY), rc;

    if (fd < 0)
        fail("open the sealed directory", -1);
    rc = sealfs_mount(fd, &keys, state, &an, fs, err, sizeof err);
    if (rc < 0)
        printf("mount: %s\n", err);
    return rc;
}

/* f holds 4096 'a', then 'b' (the first of them `b0`). */
static void expect(sealfs *fs, uint8_t b0)
{
    sealfs_file *f;
    uint8_t type, buf[6000];
    os_iovec iov = {buf, sizeof buf};
    int64_t k;
    int rc;

    if ((rc = sealfs_open(fs, "f", 0, &f, &type)) < 0)
        fail("open f", rc);
    if ((k = sealfs_pread(f, &iov, 1, 0)) != 5000)
        fail("read f", k);
    for (int i = 0; i < 5000; i++)
        if (buf[i] != (i < (int)SEALFS_PAGE ? 'a'
                       : i == (int)SEALFS_PAGE ? b0 : 'b'))
            fail("f's contents at", i);
    sealfs_close(f);
}

static void dirs(const char *name)
{
    char cmd[1200];

    snprintf(cmd, sizeof cmd, "rm -rf '%s/%s'", base, name);
    if (system(cmd) != 0)
        fail("rm", -1);
    snprintf(sealed, sizeof sealed, "%s/%s/sealed", base, name);
    snprintf(state, sizeof state, "%s/%s/state", base, name);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", sealed, state);
    if (system(cmd) != 0)
        fail("mkdir", -1);
}

int main(int argc, char **argv)
{
    sealfs *fs;
    sealfs_file *f;
    uint8_t type, z = 'z';
    os_iovec iov = {&z, 1};
    char cmd[2400];
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: sealfs_legacy WORKDIR\n");
        return 2;
    }
    mkdir(argv[1], 0700);
    snprintf(base, sizeof base, "%.380s/legacy.XXXXXX", argv[1]);
    if (!mkdtemp(base))
        fail("mkdtemp", -1);

    /* Opens as it is, nothing rewritten before a change. */
    dirs("ok");
    make_legacy(3, 3);
    if ((rc = mount_it(&fs)) < 0)
        fail("mount the old layout", rc);
    expect(fs, 'b');
    if (!exists(sealed, "sealfs.root") || exists(sealed, SEALFS_MANIFEST_0))
        fail("the old layout was rewritten without a change", 0);
    snprintf(cmd, sizeof cmd, "cp '%s/sealfs.root' '%s/sealfs-versions' "
             "'%s/'", sealed, state, base);
    if (system(cmd) != 0)
        fail("save the old files", -1);
    /* The first commit writes the slots and removes the old files. */
    if ((rc = sealfs_open(fs, "f", 0, &f, &type)) < 0 ||
        (rc = (int)sealfs_pwrite(f, &iov, 1, SEALFS_PAGE)) != 1 ||
        (rc = sealfs_close(f)) < 0)
        fail("write f", rc);
    if (exists(sealed, "sealfs.root") || exists(state, "sealfs-versions") ||
        !exists(sealed, SEALFS_MANIFEST_0) ||   /* version 4 */
        !exists(state, counter % 2 ? SEALFS_TABLE_1 : SEALFS_TABLE_0))
        fail("the first commit did not migrate the layout", 0);
    sealfs_unmount(fs);
    if ((rc = mount_it(&fs)) < 0)
        fail("remount after the migration", rc);
    expect(fs, 'z');
    sealfs_unmount(fs);
    /* A migration that died after its commit, before it removed the old
     * files: they are stale (older than the table), removed at mount. */
    snprintf(cmd, sizeof cmd, "cp '%s/sealfs.root' '%s/' && "
             "cp '%s/sealfs-versions' '%s/'", base, sealed, base, state);
    if (system(cmd) != 0)
        fail("put the old files back", -1);
    if ((rc = mount_it(&fs)) < 0)
        fail("mount with stale old-layout files", rc);
    expect(fs, 'z');
    if (exists(sealed, "sealfs.root") || exists(state, "sealfs-versions"))
        fail("stale old-layout files were kept", 0);
    sealfs_unmount(fs);

    /* An old-layout manifest older than its table: refused. */
    dirs("old");
    make_legacy(2, 3);
    if (mount_it(&fs) != -OS_EIO)
        fail("an old-layout manifest older than the table opened", 0);
    /* ... and a tampered one. */
    dirs("flip");
    make_legacy(3, 3);
    snprintf(cmd, sizeof cmd, "printf x | dd of='%s/sealfs.root' bs=1 "
             "seek=40 conv=notrunc status=none", sealed);
    if (system(cmd) != 0)
        fail("flip", -1);
    if (mount_it(&fs) != -OS_EIO)
        fail("a tampered old-layout manifest opened", 0);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fail("cleanup", -1);
    printf("sealfs_legacy: the old layout opens, migrates at its first "
           "commit, and a stale or tampered one is refused\n");
    return 0;
}
