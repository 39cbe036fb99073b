/* os_linux.c - the platform layer on Linux (and other POSIX systems).
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE
#include "platform/os.h"
#include "platform/os_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint32_t os_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

uint64_t os_mem_total(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

size_t os_page_size(void)
{
    static size_t page;
    if (!page) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    return page;
}

void *os_mem_reserve(size_t size)
{
    void *p = mmap(NULL, size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int os_mem_commit(void *addr, size_t size)
{
    if (size == 0)
        return 0;
    return mprotect(addr, size, PROT_READ | PROT_WRITE);
}

int os_mem_decommit(void *addr, size_t size)
{
    if (size == 0)
        return 0;
    /* Replacing the mapping drops the pages and their contents. */
    void *p = mmap(addr, size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
                   -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}

void os_mem_release(void *addr, size_t size)
{
    if (addr)
        munmap(addr, size);
}

int os_mem_populate(void *addr, size_t size)
{
#ifdef MADV_POPULATE_WRITE
    return size ? madvise(addr, size, MADV_POPULATE_WRITE) : 0;
#else
    (void)addr;
    (void)size;
    return -1;
#endif
}

int os_file_read_all(const char *path, uint8_t **out_data, size_t *out_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    if (cap < 4096)
        cap = 4096;
    buf = malloc(cap);
    if (!buf)
        goto fail_nomem;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap * 2;
            uint8_t *nb = ncap > cap ? realloc(buf, ncap) : NULL;
            if (!nb)
                goto fail_nomem;
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    *out_data = buf;
    *out_size = len;
    return 0;
fail_nomem:
    free(buf);
    close(fd);
    errno = ENOMEM;
    return -1;
}

int os_self_exe_read(uint8_t **out_data, size_t *out_size)
{
    return os_file_read_all("/proc/self/exe", out_data, out_size);
}

uint64_t os_clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void os_call_once(os_once *once, void (*fn)(void))
{
    int expected = 0;
    if (__atomic_load_n(&once->state, __ATOMIC_ACQUIRE) == 2)
        return;
    if (__atomic_compare_exchange_n(&once->state, &expected, 1, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        fn();
        __atomic_store_n(&once->state, 2, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&once->state, __ATOMIC_ACQUIRE) != 2)
        sched_yield();
}

struct os_mutex {
    pthread_mutex_t m;
};

os_mutex *os_mutex_new(void)
{
    os_mutex *m = malloc(sizeof *m);

    if (m && pthread_mutex_init(&m->m, NULL) != 0) {
        free(m);
        m = NULL;
    }
    return m;
}

void os_mutex_lock(os_mutex *m)
{
    /* Only EINVAL/EDEADLK are possible, both programming errors. */
    if (pthread_mutex_lock(&m->m) != 0)
        abort();
}

void os_mutex_unlock(os_mutex *m)
{
    if (pthread_mutex_unlock(&m->m) != 0)
        abort();
}

void os_mutex_free(os_mutex *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->m);
    free(m);
}

struct os_cond {
    pthread_cond_t c;
};

os_cond *os_cond_new(void)
{
    os_cond *c = malloc(sizeof *c);

    if (c && pthread_cond_init(&c->c, NULL) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

void os_cond_wait(os_cond *c, os_mutex *m)
{
    if (pthread_cond_wait(&c->c, &m->m) != 0)
        abort();
}

void os_cond_signal(os_cond *c)
{
    pthread_cond_signal(&c->c);
}

void os_cond_broadcast(os_cond *c)
{
    pthread_cond_broadcast(&c->c);
}

void os_cond_free(os_cond *c)
{
    if (!c)
        return;
    pthread_cond_destroy(&c->c);
    free(c);
}

struct os_thread {
    pthread_t t;
};

int os_thread_start(os_thread **out, void *(*fn)(void *), void *arg)
{
    os_thread *t = malloc(sizeof *t);
    sigset_t all, old;
    int rc;

    *out = NULL;
    if (!t)
        return -OS_ENOMEM;
    /* The new thread inherits the mask: block everything while creating
     * it, so that process signals (SIGINT, the interpreter's timers) go to
     * the threads that handle them. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&t->t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        free(t);
        return rc == EAGAIN ? -OS_EAGAIN : -OS_ENOMEM;
    }
    *out = t;
    return 0;
}

void os_thread_join(os_thread *t)
{
    if (!t)
        return;
    pthread_join(t->t, NULL);
    free(t);
}
