/* cache.c - the decrypted pages of a mounted sealed directory: a bounded
 * cache, least recently used evicted first.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Files are read and written a 4 KiB data page at a time through this
 * cache, so a mount holds at most its capacity of plaintext whatever the
 * size of its files. A clean page is dropped when evicted (its node on disk
 * has the same content); a dirty one is first sealed into a free slot of
 * its file (sfs_spill, sealfs.c), copy-on-write as at a commit, so the
 * committed state on disk is never touched before the commit.
 *
 * Invariant: a page is in the hash and on the LRU list exactly when its
 * `f` is not NULL; otherwise it is on the free list (or was never used:
 * index >= used).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "platform/os.h"
#include "sealfs/sealfs_int.h"

/* Cache pages are made resident this many at a time as they are first
 * handed out: one call instead of a page fault per page. Filling a large
 * cache (a file written in order into a cache that holds it) costs a fresh
 * zeroed page per 4 KiB, where a small cache reuses its pages; populating
 * takes the trap per page out of that (about 7% of such a write here), not
 * the allocation and zeroing. */
#define POPULATE SFS_RUN

static uint32_t slot_of(const sfs_cache *c, const sealfs_file *f, uint64_t i)
{
    uint64_t h = (uint64_t)(uintptr_t)f * 0x9e3779b97f4a7c15ull ^
                 i * 0xc2b2ae3d27d4eb4full;

    return (uint32_t)(h >> 32 ^ h) & c->hmask;
}

int sfs_cache_init(sfs_cache *c, size_t bytes)
{
    uint32_t n = (uint32_t)(bytes / SEALFS_PAGE), h = 16;

    memset(c, 0, sizeof *c);
    if (n < 4 * SFS_RUN)
        n = 4 * SFS_RUN;   /* a read-ahead run must not evict its first page */
    while (h < n)
        h *= 2;
    c->pg = calloc(n, sizeof *c->pg);
    c->hash = calloc(h, sizeof *c->hash);
    /* Address space only: a page costs memory when it is first handed out
     * (in order, c->used), so an idle mount commits nothing. */
    bytes = (size_t)n * SEALFS_PAGE;
    c->map_len = (bytes + os_page_size() - 1) / os_page_size() *
                 os_page_size();
    if (!c->pg || !c->hash || !(c->mem = os_mem_reserve(c->map_len)) ||
        os_mem_commit(c->mem, c->map_len) < 0) {
        sfs_cache_fini(c);
        return -OS_ENOMEM;
    }
    c->n = n;
    c->hmask = h - 1;
    return 0;
}

void sfs_cache_fini(sfs_cache *c)
{
    if (c->mem)
        OPENSSL_cleanse(c->mem, (size_t)c->used * SEALFS_PAGE);
    if (c->mem)
        os_mem_release(c->mem, c->map_len);
    free(c->pg);
    free(c->hash);
    memset(c, 0, sizeof *c);
}

static void lru_unlink(sfs_cache *c, sfs_page *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        c->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        c->tail = p->prev;
    p->prev = p->next = NULL;
}

static void lru_front(sfs_cache *c, sfs_page *p)
{
    p->prev = NULL;
    p->next = c->head;
    if (c->head)
        c->head->prev = p;
    c->head = p;
    if (!c->tail)
        c->tail = p;
}

sfs_page *sfs_cache_find(sfs_cache *c, const sealfs_file *f, uint64_t i,
                         bool touch)
{
    sfs_page *p;

    if (!c->hash)
        return NULL;
    for (p = c->hash[slot_of(c, f, i)]; p; p = p->hnext)
        if (p->f == f && p->index == i) {
            if (touch && c->head != p) {
                lru_unlink(c, p);
                lru_front(c, p);
            }
            return p;
        }
    return NULL;
}

/* Out of the hash and the LRU list. */
static void unhook(sfs_cache *c, sfs_page *p)
{
    sfs_page **pp = &c->hash[slot_of(c, p->f, p->index)];

    while (*pp != p)
        pp = &(*pp)->hnext;
    *pp = p->hnext;
    lru_unlink(c, p);
    p->f->ncached--;
    p->f = NULL;
    p->dirty = false;
}

void sfs_cache_release(sfs_cache *c, sfs_page *p)
{
    unhook(c, p);
    OPENSSL_cleanse(p->data, SEALFS_PAGE);
    p->hnext = c->free;
    c->free = p;
}

int sfs_cache_take(sealfs *fs, sealfs_file *f, uint64_t i, sfs_page **out)
{
    sfs_cache *c = &fs->cache;
    sfs_page *p;
    uint32_t h;
    int rc;

    if (c->free) {
        p = c->free;
        c->free = p->hnext;
    } else if (c->used < c->n) {
        if (c->used % POPULATE == 0)
            (void)os_mem_populate(c->mem + (size_t)c->used * SEALFS_PAGE,
                                  (size_t)(c->n - c->used < POPULATE
                                               ? c->n - c->used
                                               : POPULATE) *
                                      SEALFS_PAGE);
        p = &c->pg[c->used];
        p->data = c->mem + (size_t)c->used++ * SEALFS_PAGE;
    } else {
        if (c->tail->busy)   /* the run written behind: finish it first */
            sfs_wb_reap(fs);
        p = c->tail;
        if (p->dirty && (rc = sfs_spill(p->f, p->index)) < 0)
            return rc;
        /* Not wiped: the caller overwrites it at once, with plaintext of
         * this mount. */
        unhook(c, p);
    }
    p->f = f;
    f->ncached++;
    p->index = i;
    p->dirty = false;
    h = slot_of(c, f, i);
    p->hnext = c->hash[h];
    c->hash[h] = p;
    lru_front(c, p);
    *out = p;
    return 0;
}

void sfs_cache_drop(sfs_cache *c, const sealfs_file *f, uint64_t from)
{
    /* Callers (truncate, unload) reaped the run written behind first: no
     * page of it is busy. A file's pages all have indices below its npcap:
     * looked up one by one when that range is shorter than the cache (a
     * journal truncated at each transaction in a large cache), else one
     * pass over the cache. */
    if (f->npcap <= from)
        return;
    if (f->npcap - from < c->used) {
        for (uint64_t i = from; i < f->npcap && f->ncached; i++) {
            sfs_page *p = sfs_cache_find(c, f, i, false);

            if (p)
                sfs_cache_release(c, p);
        }
        return;
    }
    for (uint32_t k = 0; k < c->used && f->ncached; k++)
        if (c->pg[k].f == f && c->pg[k].index >= from)
            sfs_cache_release(c, &c->pg[k]);
}

/* A share of physical memory, like a kernel page cache that grows with the
 * machine, bounded both ways: a small board still caches a few read-ahead
 * runs, a large host does not hand one guest gigabytes. Only pages a guest
 * uses cost memory (sfs_cache_init reserves address space). */
size_t sealfs_cache_default(void)
{
    uint64_t share = os_mem_total() / SEALFS_CACHE_SHARE;

    if (share < SEALFS_CACHE_MIN)
        return SEALFS_CACHE_MIN;
    if (share > SEALFS_CACHE_MAX)
        return SEALFS_CACHE_MAX;
    return (size_t)share / SEALFS_PAGE * SEALFS_PAGE;
}
