/* alloc.h - the library's allocation calls, through the engine's hook.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every allocation in the library goes through a mantle_allocator so an
 * embedder can cap or account memory; failure returns NULL and the caller
 * reports MANTLE_ENOMEM, never aborts.
 */
#ifndef MANTLE_ALLOC_H
#define MANTLE_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mantle.h"

/* The default allocator: the C library's realloc/free. */
extern const mantle_allocator mt_default_allocator;

static inline void *mt_alloc(const mantle_allocator *a, size_t n)
{
    return a->realloc(a->ud, NULL, n != 0 ? n : 1);
}

static inline void *mt_realloc(const mantle_allocator *a, void *p, size_t n)
{
    return a->realloc(a->ud, p, n ? n : 1);
}

static inline void mt_free(const mantle_allocator *a, void *p)
{
    if (p)
        a->realloc(a->ud, p, 0);
}

/* count * size with overflow check; NULL on overflow or failure. */
static inline void *mt_calloc(const mantle_allocator *a, size_t count,
                              size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = mt_alloc(a, count * size);
    if (p)
        memset(p, 0, (count * size) != 0 ? count * size : 1);
    return p;
}

/* Grow an array to hold at least `need` elements, doubling; returns 0 or -1. */
static inline int mt_grow(const mantle_allocator *a, void **arr, uint32_t *cap,
                          uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint64_t ncap = *cap ? (uint64_t)*cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX || ncap > SIZE_MAX / elem)
        return -1;
    void *p = mt_realloc(a, *arr, (size_t)ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = (uint32_t)ncap;
    return 0;
}

char *mt_strndup(const mantle_allocator *a, const char *s, size_t n);

#endif
