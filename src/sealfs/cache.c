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

#include "sealfs/sealfs_int.h"

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
    /* calloc of this size maps fresh pages: untouched ones cost nothing */
    c->mem = calloc(n, SEALFS_PAGE);
    if (!c->pg || !c->hash || !c->mem) {
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
    free(c->mem);
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
        p = &c->pg[c->used];
        p->data = c->mem + (size_t)c->used++ * SEALFS_PAGE;
    } else {
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
    for (uint32_t k = 0; k < c->used && f->ncached; k++)
        if (c->pg[k].f == f && c->pg[k].index >= from)
            sfs_cache_release(c, &c->pg[k]);
}
