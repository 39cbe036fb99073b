/* os_aot_linux.c - the OS calls the AOT tier needs: processes, temporary
 * files, loading shared objects, and the fault handler.
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../os.h"

extern char **environ;

int os_spawn(const char *const argv[], const char *out_path,
             const char *err_path, long *out_pid)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    int rc = 0;
    if (out_path)
        rc |= posix_spawn_file_actions_addopen(&fa, 1, out_path,
                                               O_WRONLY | O_CREAT | O_TRUNC,
                                               0600);
    if (err_path)
        rc |= posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                               O_WRONLY | O_CREAT | O_TRUNC,
                                               0600);
    pid_t pid = -1;
    if (rc == 0)
        rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
                          environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    *out_pid = pid;
    return 0;
}

int os_spawn_wait(long pid, int *out_status)
{
    int ws = 0;
    while (waitpid((pid_t)pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    *out_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    return 0;
}

int os_temp_dir_new(char *out, size_t outlen)
{
    const char *t = getenv("TMPDIR");
    if (!t || !*t)
        t = "/tmp";
    int n = snprintf(out, outlen, "%s/mantle-aot-XXXXXX", t);
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    return mkdtemp(out) ? 0 : -1;
}

void os_temp_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[4096];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

int os_file_write_all(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    const uint8_t *p = data;
    while (size) {
        ssize_t w = write(fd, p, size);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        p += w;
        size -= (size_t)w;
    }
    return close(fd);
}

int os_mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int os_file_replace(const char *path, const void *data, size_t size)
{
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        char dir[4096];
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
        if (os_mkdir_p(dir) != 0)
            return -1;
    }
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    if (os_file_write_all(tmp, data, size) != 0) {
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* A loaded object. With memfd the descriptor stays open while the object
 * is loaded: dlopen identifies objects by path, and /proc/self/fd/N must
 * not name two live objects. */
typedef struct os_dl {
    void *h;
    int fd;
} os_dl;

void *os_dl_open_bytes(const uint8_t *data, size_t size, char *err,
                       size_t errlen)
{
    char path[4096];
    os_dl *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->fd = memfd_create("mantle-aot", MFD_CLOEXEC);
    if (d->fd >= 0) {
        const uint8_t *p = data;
        size_t left = size;
        while (left) {
            ssize_t w = write(d->fd, p, left);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            p += w;
            left -= (size_t)w;
        }
        if (left == 0) {
            snprintf(path, sizeof path, "/proc/self/fd/%d", d->fd);
            d->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        }
        if (d->h)
            return d;
        close(d->fd);
        d->fd = -1;
    }
    /* No memfd (or no /proc): a private temporary file, removed once
     * loaded (its directory name is unique, so is the path). */
    char dir[2048];
    if (os_temp_dir_new(dir, sizeof dir) != 0) {
        snprintf(err, errlen, "cannot create a temporary directory: %s",
                 strerror(errno));
        free(d);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/code.so", dir);
    if (os_file_write_all(path, data, size) == 0)
        d->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!d->h) {
        const char *e = dlerror();
        snprintf(err, errlen, "cannot load native code: %s",
                 e ? e : strerror(errno));
    }
    os_temp_dir_remove(dir);
    if (!d->h) {
        free(d);
        return NULL;
    }
    return d;
}

void *os_dl_sym(void *handle, const char *name)
{
    return handle ? dlsym(((os_dl *)handle)->h, name) : NULL;
}

void os_dl_close(void *handle)
{
    os_dl *d = handle;
    if (!d)
        return;
    dlclose(d->h);
    if (d->fd >= 0)
        close(d->fd);
    free(d);
}

uintptr_t os_thread_stack_low(void)
{
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return 0;
    int rc = pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    return rc == 0 ? (uintptr_t)addr : 0;
}

/* ---- Faults ----------------------------------------------------------- */

static os_fault_fn fault_fn;
static struct sigaction old_segv, old_bus;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    if (fault_fn)
        fault_fn(si->si_addr);  /* does not return when the fault is ours */
    /* Not ours: give the fault back to whoever handled it before. */
    const struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL);  /* the faulting instruction runs again and dies */
}

int os_fault_handler_install(os_fault_fn fn)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    /* SA_NODEFER: the handler leaves by siglongjmp to a sigsetjmp(.., 0)
     * buffer, which does not restore the mask; the signal must not stay
     * blocked. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    fault_fn = fn;
    if (sigaction(SIGSEGV, &sa, &old_segv) != 0 ||
        sigaction(SIGBUS, &sa, &old_bus) != 0)
        return -1;
    return 0;
}

/* The alternate stack we gave a thread is freed when the thread ends: a
 * thread-specific key's destructor (which runs on that thread) disables
 * it, then unmaps it. */
enum { ALT_STACK_SIZE = 65536 };
static pthread_key_t alt_key;
static pthread_once_t alt_once = PTHREAD_ONCE_INIT;
static int alt_key_status;

static void alt_stack_free(void *p)
{
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_flags = SS_DISABLE;
    if (sigaltstack(&ss, NULL) == 0)
        munmap(p, ALT_STACK_SIZE);
}

static void alt_key_create(void)
{
    alt_key_status = pthread_key_create(&alt_key, alt_stack_free);
}

int os_fault_thread_init(void)
{
    static _Thread_local bool done;
    if (done)
        return 0;
    stack_t cur;
    /* Someone (a sanitizer, the embedder) provided one: keep it. Our
     * handler needs little (a lookup, then siglongjmp), and replacing it
     * would leak it: its owner frees what is installed when the thread
     * ends. */
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
        cur.ss_size >= 16384) {
        done = true;
        return 0;
    }
    if (pthread_once(&alt_once, alt_key_create) != 0 || alt_key_status != 0)
        return -1;
    void *p = mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = p;
    ss.ss_size = ALT_STACK_SIZE;
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(p, ALT_STACK_SIZE);
        return -1;
    }
    if (pthread_setspecific(alt_key, p) != 0) {
        alt_stack_free(p);
        return -1;
    }
    done = true;
    return 0;
}
