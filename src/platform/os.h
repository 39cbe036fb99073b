/* os.h - the only door to the operating system.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Library code calls the OS only through these functions; each target has
 * one implementation file (linux/ first). Failures return -1 or NULL and
 * never abort.
 */
#ifndef MANTLE_OS_H
#define MANTLE_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Virtual memory. Reserve address space with no access (nothing is
 * committed or touched), then commit ranges read-write as they are used.
 * Sizes are multiples of os_page_size(). */
size_t os_page_size(void);
void *os_mem_reserve(size_t size);
int os_mem_commit(void *addr, size_t size);
/* Give committed pages back (they read as zero if committed again). */
int os_mem_decommit(void *addr, size_t size);
void os_mem_release(void *addr, size_t size);

/* Whole-file read into a malloc'd buffer (freed with free()). Returns 0 or
 * -1 with errno set. */
int os_file_read_all(const char *path, uint8_t **out_data, size_t *out_size);

/* The running program's executable image, read whole (as
 * os_file_read_all): what the TEE layer measures as the runtime. */
int os_self_exe_read(uint8_t **out_data, size_t *out_size);

/* Monotonic clock in nanoseconds. */
uint64_t os_clock_monotonic_ns(void);

/* One-time initialisation, as pthread_once. */
typedef struct os_once {
    int state;  /* 0 not run, 1 running, 2 done */
} os_once;
#define OS_ONCE_INIT {0}
void os_call_once(os_once *once, void (*fn)(void));

/* Atomics on flags shared with other threads or signal handlers. */
static inline void os_atomic_store_u32(volatile uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline uint32_t os_atomic_load_u32(const volatile uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline uint32_t os_atomic_add_u32(volatile uint32_t *p, int32_t d)
{
    return __atomic_add_fetch(p, (uint32_t)d, __ATOMIC_ACQ_REL);
}

#endif
