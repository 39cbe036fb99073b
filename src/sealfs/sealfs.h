/* sealfs.h - sealed directories: encrypted, authenticated, rollback-protected
 * files behind a WASI preopen.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: sizes - the rollback anchor - the on-disk format (format.c) - a
 * mounted directory: its files (sealfs.c) through a bounded page cache
 * (cache.c), commits and mounting (commit.c), its namespace (names.c) - the
 * WASI and TEE glue (mount.c).
 *
 * The format and the threat model are in docs/sealfs.md. In short: each file
 * is a tree of nodes holding 4 KiB of plaintext each, every node sealed with
 * AES-256-GCM under a fresh random key that only its parent holds; the
 * directory's manifest (sealed under the directory key) holds each file's
 * path, size and root; the manifest's version is recorded in a version table
 * in the TEE state directory, whose freshness is bound to the backend's
 * monotonic counter. Writes are copy-on-write: nothing the committed
 * manifest references is overwritten (the manifest and the table live in
 * two slots each, the new one written into the unused slot), so a crash
 * before the counter moves leaves the old state, after it the new one.
 *
 * Every function returns >= 0 or a negative OS_E* code (platform/os_fs.h);
 * anything that fails authentication is -OS_EIO.
 */
#ifndef MANTLE_SEALFS_H
#define MANTLE_SEALFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/os_fs.h"

#define SEALFS_PAGE 4096u                 /* plaintext bytes per node */
#define SEALFS_BLOB (SEALFS_PAGE + 29u)   /* a sealed node: TEE_SEAL_OVERHEAD */
#define SEALFS_REF 36u                    /* child reference: slot u32, key */
#define SEALFS_FAN (SEALFS_PAGE / SEALFS_REF)  /* children per index node */
#define SEALFS_MAX_LEVELS 8
#define SEALFS_ID 16
#define SEALFS_FILE_MAX ((uint64_t)1 << 30)     /* bytes per sealed file */
#define SEALFS_MAX_ENTRIES 65536
/* Decrypted pages per mount by default: physical memory / SEALFS_CACHE_SHARE
 * within [MIN, MAX] (sealfs_cache_default; sealfs_cache_size changes it),
 * and the trees (node references, about 1% of a file's size) closed files
 * keep. */
#define SEALFS_CACHE_SHARE 64
#define SEALFS_CACHE_MIN ((size_t)8 << 20)
#define SEALFS_CACHE_MAX ((size_t)256 << 20)
#define SEALFS_TREES_MAX ((size_t)64 << 20)
#define SEALFS_PATH_MAX 1024

/* Host names in a sealed directory: the two manifest slots (version v is in
 * slot v % 2) and one node file per sealed file named by 32 hex digits of a
 * random id. */
#define SEALFS_MANIFEST_0 "sealfs.0"
#define SEALFS_MANIFEST_1 "sealfs.1"
/* In the TEE state directory: the two version table slots (the table for
 * counter c is in slot c % 2), and the lock. */
#define SEALFS_TABLE_0 "sealfs-versions.0"
#define SEALFS_TABLE_1 "sealfs-versions.1"
#define SEALFS_TABLE_LOCK "sealfs-versions.lock"

/* ---- The rollback anchor -------------------------------------------------- */

/* A monotonic counter (the TEE backend's). `hardware`: it survives a copy of
 * the host's disks being put back (a TPM NV counter); otherwise it lives in
 * the state directory and only detects rollbacks that leave it alone. */
#define SEALFS_ANCHOR_VERSION 1
typedef struct sealfs_anchor {
    int version;   /* SEALFS_ANCHOR_VERSION */
    bool hardware;
    void *ctx;
    /* Read (increment false) or increment and read. 0 or a negative OS_E*. */
    int (*counter)(void *ctx, bool increment, uint64_t *out_value);
} sealfs_anchor;

/* Keys of one mount (wiped by sealfs_open's caller after the call). */
typedef struct sealfs_keys {
    uint8_t dir[32];     /* the manifest's key: module sealing key + path */
    uint8_t table[32];   /* the node's version table key */
} sealfs_keys;

/* ---- The on-disk format (format.c) ----------------------------------------- */

typedef struct sealfs_ref {
    uint32_t slot;       /* node index in the file's node file */
    uint8_t key[32];     /* the key it was sealed under (fresh per write) */
} sealfs_ref;

/* One manifest entry: a file or a directory. */
typedef struct sealfs_entry {
    uint8_t type;        /* OS_FT_REG or OS_FT_DIR */
    char *path;          /* "a/b" within the mount, malloc'd */
    uint8_t id[SEALFS_ID];
    uint64_t size, mtim;
    uint8_t levels;      /* tree levels including the data level; 0: empty */
    sealfs_ref root;
} sealfs_entry;

typedef struct sealfs_manifest {
    uint8_t dir_id[SEALFS_ID];
    uint64_t version;
    sealfs_entry *e;
    uint32_t n;
} sealfs_manifest;

typedef struct sealfs_table {
    uint64_t counter;
    uint32_t n;
    struct sealfs_table_row {
        uint8_t dir_id[SEALFS_ID];
        uint64_t version;
    } *rows;
} sealfs_table;

/* The tree levels a file of `size` bytes has (0 for an empty file). */
uint8_t sealfs_levels(uint64_t size);
/* Nodes on `level` (0: data) of a file of `size` bytes. */
uint64_t sealfs_level_count(uint64_t size, unsigned level);
/* Whether a manifest path is well formed: components of 1..255 bytes, no
 * "." or "..", no NUL, no leading, trailing or double '/'. */
bool sealfs_path_ok(const char *p, size_t n);

/* Seal / open a manifest (malloc'd blob). Open checks every field and
 * every invariant (unique paths and ids, parents exist and are
 * directories, levels match sizes); -OS_EIO on any failure. */
int sealfs_manifest_seal(const uint8_t key[32], const sealfs_manifest *m,
                         uint8_t **out, size_t *out_size);
__attribute__((warn_unused_result)) int
sealfs_manifest_open(const uint8_t key[32], const uint8_t *blob, size_t size,
                     sealfs_manifest *out);
/* Seal manifest plaintext as it is (sealfs_manifest_seal encodes first;
 * the fuzz target seals its own bytes). */
int sealfs_manifest_seal_raw(const uint8_t key[32], const uint8_t *pt,
                             size_t n, uint8_t **out, size_t *out_size);
/* The plaintext encoding alone. */
int sealfs_manifest_encode(const sealfs_manifest *m, uint8_t **out,
                           size_t *out_size);
int sealfs_manifest_decode(const uint8_t *p, size_t n, sealfs_manifest *out);
void sealfs_manifest_free(sealfs_manifest *m);

int sealfs_table_seal(const uint8_t key[32], const sealfs_table *t,
                      uint8_t **out, size_t *out_size);
__attribute__((warn_unused_result)) int
sealfs_table_open(const uint8_t key[32], const uint8_t *blob, size_t size,
                  sealfs_table *out);
void sealfs_table_free(sealfs_table *t);

/* A node: seal 4 KiB of plaintext bound to (file id, level, index) under
 * `fresh`, a key (32 bytes) and nonce (12) that have never sealed anything
 * else (a key drawn from the CSPRNG for a batch of nodes, a nonce per node
 * of the batch); open checks the binding, and
 * decrypts straight into out, which it wipes when the node does not verify
 * (out is the caller's scratch). Both go through g, the mount's reusable
 * GCM context (NULL: one per call). */
#define SEALFS_FRESH 44
struct tee_gcm;
int sealfs_node_seal(struct tee_gcm *g, const uint8_t id[SEALFS_ID],
                     unsigned level,
                     uint64_t index, const uint8_t pt[SEALFS_PAGE],
                     const uint8_t fresh[SEALFS_FRESH],
                     uint8_t out[SEALFS_BLOB]);
__attribute__((warn_unused_result)) int
sealfs_node_open(struct tee_gcm *g, const uint8_t key[32],
                 const uint8_t id[SEALFS_ID],
                 unsigned level, uint64_t index,
                 const uint8_t blob[SEALFS_BLOB], uint8_t out[SEALFS_PAGE]);

/* ---- A mounted directory (sealfs.c, names.c) ---------------------------------- */

typedef struct sealfs sealfs;
typedef struct sealfs_file sealfs_file;

/* Mount the sealed directory open at host_dirfd (taken: closed by
 * sealfs_unmount, or here on failure), recording its version in the table in
 * state_dir (copied). An empty host directory becomes a new sealed directory.
 * -OS_EIO with a reason in err when the directory or the table fails
 * authentication or is older than the counter says. */
int sealfs_mount(int host_dirfd, const sealfs_keys *keys, const char *state_dir,
                 const sealfs_anchor *anchor, sealfs **out, char *err,
                 size_t err_size);
/* The page cache's capacity in bytes (at least 256 pages), before any file
 * is read or written; -OS_EBUSY after. */
int sealfs_cache_size(sealfs *fs, size_t bytes);
/* The capacity a mount starts with (see SEALFS_CACHE_SHARE). */
size_t sealfs_cache_default(void);
/* Threads that decrypt runs of nodes with the reading thread (default:
 * one per core besides it, at most 3; 0: the reading thread alone), before
 * the first read; -OS_EBUSY after. */
int sealfs_threads(sealfs *fs, unsigned n);
/* Commit what is pending and free everything (open files too). */
void sealfs_unmount(sealfs *fs);
/* Commit every pending change: after it returns 0 a crash leaves the new
 * state; before, the old one. */
int sealfs_commit(sealfs *fs);

/* Paths are manifest paths; "" is the root. oflags: OS_O_* (CREAT, EXCL,
 * TRUNC, DIRECTORY; the access mode is the caller's business). A directory
 * opens with *out_file NULL. */
int sealfs_open(sealfs *fs, const char *path, int oflags,
                sealfs_file **out_file, uint8_t *out_type);
int64_t sealfs_pread(sealfs_file *f, const os_iovec *iov, int n, uint64_t off);
int64_t sealfs_pwrite(sealfs_file *f, const os_iovec *iov, int n, uint64_t off);
int sealfs_fstat(sealfs_file *f, os_stat *out);
int sealfs_truncate(sealfs_file *f, uint64_t size);
int sealfs_sync(sealfs_file *f);
/* Close: commits when the file has unsynced writes. */
int sealfs_close(sealfs_file *f);

int sealfs_stat(sealfs *fs, const char *path, os_stat *out);
int sealfs_mkdir(sealfs *fs, const char *path);
int sealfs_rmdir(sealfs *fs, const char *path);
int sealfs_unlink(sealfs *fs, const char *path);
int sealfs_rename(sealfs *fs, const char *from, const char *to);
typedef int (*sealfs_list_fn)(void *ud, const char *name, size_t len,
                              uint8_t type, uint64_t ino);
int sealfs_list(sealfs *fs, const char *path, sealfs_list_fn fn, void *ud);

#endif
