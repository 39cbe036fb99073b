/* sealfs_int.h - internals shared by sealfs.c (files, trees, commits,
 * mounting) and names.c (the namespace).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_SEALFS_INT_H
#define MANTLE_SEALFS_INT_H

#include "sealfs/sealfs.h"
#include "tee/tee.h"

struct sealfs_file {
    sealfs *fs;
    sealfs_entry ent;       /* path NULL once unlinked */
    unsigned refs;          /* open descriptors */
    bool loaded, changed;
    /* Plaintext, cap bytes, zero beyond ent.size, in SEALFS_CHUNK pieces
     * so that growing a file never copies it (chunk 0 alone may be
     * smaller, while cap < SEALFS_CHUNK). Reach it through sfs_at. */
    uint8_t **chunk;
    size_t cap, nchunk;
    uint8_t *dirty;         /* per data page, cap / SEALFS_PAGE entries */
    sealfs_ref *lv[SEALFS_MAX_LEVELS];   /* committed tree, per level */
    uint64_t nlv[SEALFS_MAX_LEVELS];
    int hfd;                /* the node file, or -1 */
    uint8_t *used, *pend;   /* per slot: committed / written this commit */
    uint64_t nslots;        /* length of used and pend */
    /* A commit in progress: the new tree, swapped in when it succeeds. */
    sealfs_ref *nl[SEALFS_MAX_LEVELS];
    uint64_t nn[SEALFS_MAX_LEVELS];
    uint8_t nlevels;
};

struct sealfs {
    int dirfd;
    sealfs_keys keys;
    tee_gcm *gcm;           /* for nodes; NULL if it could not be set up */
    char *state_dir;
    sealfs_anchor anchor;
    uint8_t dir_id[SEALFS_ID];
    uint64_t version;
    sealfs_file **ino;      /* the namespace: every file and directory */
    uint32_t n, cap;
    bool dirty, broken;
    uint8_t (*garbage)[SEALFS_ID];   /* node files to delete after commit */
    uint32_t ngarbage;
};

uint64_t sfs_now_ns(void);
/* Read and verify a file's whole tree into memory (EIO on any failure). */
int sfs_file_load(sealfs_file *f);
/* Drop a file's plaintext and tree (it stays in the namespace). */
void sfs_file_unload(sealfs_file *f);
void sfs_file_free(sealfs_file *f);
/* A file's last descriptor closed with nothing pending: keep its plaintext
 * for the next open within the cache budget, or drop it. */
void sfs_file_cache(sealfs_file *f);
void sfs_stat_of(const sealfs_entry *e, os_stat *out);
/* Append to the namespace. */
int sfs_ino_add(sealfs *fs, sealfs_file *f);

#endif
