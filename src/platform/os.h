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
/* Make committed pages resident and writable now, in one call, rather
 * than one page fault per page at first touch (the same zeroing, without
 * a trap per page). Best effort: -1 when not supported, and the pages
 * fault in as they are touched. */
int os_mem_populate(void *addr, size_t size);

/* Whole-file read into a malloc'd buffer (freed with free()). Returns 0 or
 * -1 with errno set. */
int os_file_read_all(const char *path, uint8_t **out_data, size_t *out_size);

/* The running program's executable image, read whole (as
 * os_file_read_all): what the TEE layer measures as the runtime. */
int os_self_exe_read(uint8_t **out_data, size_t *out_size);

/* Online CPUs (at least 1) and physical memory in bytes (0 if unknown);
 * container limits are not applied. */
uint32_t os_cpu_count(void);
uint64_t os_mem_total(void);

/* Monotonic clock in nanoseconds. */
uint64_t os_clock_monotonic_ns(void);

/* One-time initialisation, as pthread_once. */
typedef struct os_once {
    int state;  /* 0 not run, 1 running, 2 done */
} os_once;
#define OS_ONCE_INIT {0}
void os_call_once(os_once *once, void (*fn)(void));

/* A mutex, for state one handle shares between threads (a TEE backend
 * used by the guest and by connection threads at once). NULL when out of
 * memory. */
typedef struct os_mutex os_mutex;
os_mutex *os_mutex_new(void);
void os_mutex_lock(os_mutex *m);
void os_mutex_unlock(os_mutex *m);
void os_mutex_free(os_mutex *m);
/* A condition variable, waited on with its mutex held (as pthread_cond):
 * wakeups may be spurious, so waiters loop on their predicate. NULL when
 * out of memory. */
typedef struct os_cond os_cond;
os_cond *os_cond_new(void);
void os_cond_wait(os_cond *c, os_mutex *m);
void os_cond_signal(os_cond *c);
void os_cond_broadcast(os_cond *c);
void os_cond_free(os_cond *c);
/* A thread running fn(arg), joined (and freed) by os_thread_join. Returns
 * 0 or a negative OS_E* code; signals are blocked in the new thread, so
 * they reach the threads that expect them. */
typedef struct os_thread os_thread;
int os_thread_start(os_thread **out, void *(*fn)(void *), void *arg);
void os_thread_join(os_thread *t);

/* ---- For the AOT tier (os_aot_linux.c) ---- */

/* Run a program (PATH search) with stdout/stderr redirected to files
 * (NULL: inherited). os_spawn starts it, os_spawn_wait reaps it and gives
 * its exit status (-1 if it died of a signal). Return 0 or -1. */
int os_spawn(const char *const argv[], const char *out_path,
             const char *err_path, long *out_pid);
int os_spawn_wait(long pid, int *out_status);
/* A private temporary directory (mkdtemp); removed with its files by
 * os_temp_dir_remove. */
int os_temp_dir_new(char *out, size_t outlen);
void os_temp_dir_remove(const char *dir);
int os_file_write_all(const char *path, const void *data, size_t size);
/* Write to path.tmp.<pid> and rename over path, creating parent dirs. */
int os_file_replace(const char *path, const void *data, size_t size);
int os_mkdir_p(const char *path);
/* Load a shared object from memory (memfd, else a private temp file). */
void *os_dl_open_bytes(const uint8_t *data, size_t size, char *err,
                       size_t errlen);
void *os_dl_sym(void *handle, const char *name);
void os_dl_close(void *handle);
/* The calling thread's stack, lowest address (0 if unknown). */
uintptr_t os_thread_stack_low(void);

/* Synchronous faults (SIGSEGV, SIGBUS). `fn` runs on an alternate signal
 * stack and either does not return (siglongjmp) or returns to let the
 * fault take its previous course. Install once per process; each thread
 * that may fault calls os_fault_thread_init (alternate stack). */
typedef void (*os_fault_fn)(void *addr);
int os_fault_handler_install(os_fault_fn fn);
int os_fault_thread_init(void);

/* The address range of a loaded object's executable code (os_dl_open_bytes
 * handle). Returns 0 or -1. */
int os_dl_text_range(void *handle, uintptr_t *lo, uintptr_t *hi);

/* Asynchronous interruption of a thread running native code. The
 * interrupter calls os_interrupt_thread with the target's id
 * (os_thread_id, taken by the target itself); `fn` then runs in the target
 * (signal context, alternate stack) with the interrupted program counter,
 * and either does not return (siglongjmp) or returns nonzero to be called
 * again about a millisecond later (the thread was outside the code it can
 * leave from) or zero to drop the request. Install once per process; each
 * thread that may be interrupted calls os_interrupt_thread_init first. */
typedef int (*os_interrupt_fn)(uintptr_t pc);
int os_interrupt_handler_install(os_interrupt_fn fn);
int os_interrupt_thread_init(void);
long os_thread_id(void);
void os_interrupt_thread(long tid);

/* Atomics on flags shared with other threads or signal handlers. */
/* A hint to the CPU inside a polling loop. */
static inline void os_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
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
