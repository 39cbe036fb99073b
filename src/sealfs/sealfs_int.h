/* sealfs_int.h - internals shared by sealfs.c (files and their trees),
 * cache.c (the page cache), commit.c (commits and mounting) and names.c
 * (the namespace).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_SEALFS_INT_H
#define MANTLE_SEALFS_INT_H

#include "sealfs/sealfs.h"
#include "tee/tee.h"

/* Where a data page's content is: zeros (past the committed tree, or cut
 * off by a truncation), the committed node lv[0][i], or a node written
 * since the last commit, cur[i]. A cached page that is dirty is newer than
 * any of them. */
enum { SFS_PG_ZERO = 0, SFS_PG_OLD = 1, SFS_PG_NEW = 2 };
/* Marks in `pend`: a data node written since the last commit (it stays
 * when a commit fails: the page refers to it), an index node written by
 * the commit in progress (released when it fails). */
enum { SFS_SLOT_DATA = 1, SFS_SLOT_INDEX = 2 };

struct sealfs_file {
    sealfs *fs;
    sealfs_entry ent;       /* path NULL once unlinked */
    unsigned refs;          /* open descriptors */
    bool loaded, changed;
    /* Per data page, npcap of them (SFS_PG_ZERO past the end of the file):
     * where its content is, and the node of an SFS_PG_NEW page. */
    uint8_t *pst;
    sealfs_ref *cur;
    uint64_t npcap;
    uint32_t ncached;       /* its pages in the mount's cache */
    uint64_t ra_next;       /* the page after the last run read: a miss
                               there is sequential (read-ahead) */
    sealfs_ref *lv[SEALFS_MAX_LEVELS];   /* committed tree, per level */
    uint64_t nlv[SEALFS_MAX_LEVELS];
    int hfd;                /* the node file, or -1 */
    uint8_t *used, *pend;   /* per slot: committed / SFS_SLOT_* */
    uint64_t nslots;        /* length of used and pend */
    uint64_t hint;          /* no free slot below this one */
    /* A commit in progress: the new tree, swapped in when it succeeds. */
    sealfs_ref *nl[SEALFS_MAX_LEVELS];
    uint64_t nn[SEALFS_MAX_LEVELS];
    uint8_t nlevels;
};

/* One cached data page of a file. */
typedef struct sfs_page {
    sealfs_file *f;         /* NULL: free */
    uint64_t index;
    struct sfs_page *hnext;            /* hash chain */
    struct sfs_page *prev, *next;      /* LRU list, most recent first */
    bool dirty;             /* newer than its node on disk */
    bool busy;              /* in the run written behind (sfs_wb): read
                               by the pool's threads until sfs_wb_reap */
    uint8_t *data;          /* SEALFS_PAGE bytes, zero past the file's end */
} sfs_page;

/* The decrypted pages of a mount, at most n, least recently used evicted
 * first (a dirty one is written to a free slot first: sfs_spill). */
typedef struct sfs_cache {
    sfs_page *pg;
    uint8_t *mem;           /* n pages; untouched ones cost no memory */
    size_t map_len;         /* mem's reservation */
    uint32_t n, used;       /* capacity, pages ever handed out */
    sfs_page **hash;
    uint32_t hmask;
    sfs_page *head, *tail, *free;
} sfs_cache;

struct sealfs {
    int dirfd, statefd;     /* the sealed directory, the state directory */
    bool dir_unsynced;      /* a node file was created since its fsync */
    bool legacy_dir, legacy_table;   /* read from the earlier layout */
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
    sfs_cache cache;
    uint8_t *rbuf, *wbuf;   /* runs of sealed nodes being read / written */
    struct sfs_pool *pool;  /* started by the first run read or sealed */
    struct sfs_wb *wb;      /* the run written behind, allocated at the first */
    bool pool_tried;
    bool threads_set;       /* sealfs_threads: `threads`, not the cores */
    bool pool_eager;        /* tests: the pool never backs off, so every
                               run goes to its threads (set before the
                               first run) */
    unsigned threads;
};

/* Sealed nodes read or written with one call when their slots are
 * consecutive. */
#define SFS_RUN 64u

/* One node of a run to open: read from fd at off into blob (fd >= 0;
 * neighbours in consecutive slots and buffers with one pread), then
 * sealfs_node_open of blob into out; and its result (-EIO when the read
 * failed, out untouched). Or, with pt set, one node to seal: pt sealed
 * under key (SEALFS_FRESH bytes, used once) into blob (fd unused). */
typedef struct sfs_open {
    const uint8_t *key;
    const uint8_t *pt;
    uint64_t index;
    unsigned level;
    int rc;
    int fd;
    uint64_t off;
    uint8_t *blob;
    uint8_t *out;
} sfs_open;

/* A run of dirty pages being sealed and written in the background
 * (sealfs.c, write_behind): its pages are busy, neither dirty nor yet
 * SFS_PG_NEW at their new nodes, until sfs_wb_reap. */
typedef struct sfs_wb {
    sealfs_file *f;          /* NULL: none in the pool */
    uint64_t first;          /* its first page; SFS_RUN of them */
    struct sfs_page *pg[SFS_RUN];
    sealfs_ref ref[SFS_RUN];
    sfs_open o[SFS_RUN];
    uint8_t fresh[SFS_RUN * SEALFS_FRESH];
    uint8_t *blob;           /* SFS_RUN sealed nodes */
} sfs_wb;

/* Wait for the run written behind, if any, and take its result: its pages
 * become SFS_PG_NEW at their new nodes, or, when sealing or writing it
 * failed, dirty again (the error comes back from the commit that seals
 * them once more, or from the eviction that spills them). Called before
 * anything else uses the pool, the run's pages or its file's slots and
 * host descriptor. */
void sfs_wb_reap(sealfs *fs);

/* Threads that open (or seal) runs of nodes with the caller (pool.c). NULL when
 * out of memory; a pool with no threads, or none, opens on the caller. */
typedef struct sfs_pool sfs_pool;
sfs_pool *sfs_pool_new(unsigned threads, bool eager);
void sfs_pool_free(sfs_pool *p);
/* Open run[0..n) of file `id`, the caller's share through g; every rc is
 * set. Returns the index of the first node that failed, n if none. */
size_t sfs_pool_open(sfs_pool *p, tee_gcm *g, const uint8_t id[SEALFS_ID],
                     sfs_open *run, size_t n);
/* The same in the background: start run[0..n) on the pool's threads
 * (without threads, here and now) and return; nothing else may use the
 * pool, the run or its buffers until sfs_pool_wait, which works on what
 * is left, waits for the rest and returns as sfs_pool_open. A node with pt
 * and fd >= 0 is also written at off (a group of consecutive ones with one
 * write). */
void sfs_pool_submit(sfs_pool *p, tee_gcm *g, const uint8_t id[SEALFS_ID],
                     sfs_open *run, size_t n);
size_t sfs_pool_wait(sfs_pool *p, tee_gcm *g, sfs_open *run, size_t n);

uint64_t sfs_now_ns(void);
void sfs_hex_id(const uint8_t id[SEALFS_ID], char out[2 * SEALFS_ID + 1]);
int sfs_write_all(int fd, const uint8_t *p, size_t n, uint64_t off);
/* n bytes at off, all of them (-EIO at the end of the file). */
int sfs_read_full(int fd, uint8_t *p, size_t n, uint64_t off);
/* Read and verify a file's index nodes (EIO on any failure); data pages
 * are read when they are used. */
int sfs_file_load(sealfs_file *f);
/* Drop a file's tree and cached pages (it stays in the namespace). */
void sfs_file_unload(sealfs_file *f);
void sfs_file_free(sealfs_file *f);
/* A file's last descriptor closed with nothing pending: keep its tree for
 * the next open within a budget, or drop it. */
void sfs_file_cache(sealfs_file *f);
void sfs_stat_of(const sealfs_entry *e, os_stat *out);
/* Append to the namespace. */
int sfs_ino_add(sealfs *fs, sealfs_file *f);

/* Committing a file's tree (sealfs.c): write its new nodes into free slots
 * and build the new tree (prepare), then make it the committed one (done)
 * or forget it (abort). */
int sfs_tree_prepare(sealfs_file *f);
void sfs_tree_done(sealfs_file *f);
void sfs_tree_abort(sealfs_file *f);
/* Write the dirty cached pages of f from index i on (a run of them) to free
 * slots, so that their cache pages can be reused. */
int sfs_spill(sealfs_file *f, uint64_t i);

/* The page cache (cache.c). */
int sfs_cache_init(sfs_cache *c, size_t bytes);
void sfs_cache_fini(sfs_cache *c);
/* Page i of f if cached (made most recently used when touch), or NULL. */
sfs_page *sfs_cache_find(sfs_cache *c, const sealfs_file *f, uint64_t i,
                         bool touch);
/* A cache page for (f, i), which is not cached: free or evicted. Its data
 * is whatever it held; it is clean and most recently used. */
int sfs_cache_take(sealfs *fs, sealfs_file *f, uint64_t i, sfs_page **out);
/* Forget f's pages from index `from` on (dirty ones too), wiped. */
void sfs_cache_drop(sfs_cache *c, const sealfs_file *f, uint64_t from);
/* Forget one page, wiped. */
void sfs_cache_release(sfs_cache *c, sfs_page *p);

#endif
