/* wasi.c - the WASI preview1 context: configuration, guest memory helpers
 * and registration of every import through the public linker API.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>

#include "wasi/wasi_int.h"

/* ---- Allocation -------------------------------------------------------- */

static void *libc_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

void *wasi_alloc(wasi_ctx *w, size_t n)
{
    return w->alloc.realloc(w->alloc.ud, NULL, n ? n : 1);
}

void *wasi_realloc(wasi_ctx *w, void *p, size_t n)
{
    return w->alloc.realloc(w->alloc.ud, p, n ? n : 1);
}

void wasi_free(wasi_ctx *w, void *p)
{
    if (p)
        w->alloc.realloc(w->alloc.ud, p, 0);
}

char *wasi_strndup(wasi_ctx *w, const char *s, size_t n)
{
    char *d = wasi_alloc(w, n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ---- Guest memory -------------------------------------------------------- */

uint8_t *wasi_mem(wasi_call *c, uint32_t off, uint64_t len)
{
    static uint8_t empty;

    if (c->mem == NULL)
        return NULL;
    if (len == 0)  /* nothing is touched; only the start must be inside */
        return (uint64_t)off <= mantle_memory_size(c->mem) ? &empty : NULL;
    if (len > SIZE_MAX)
        return NULL;
    return mantle_memory_data(c->mem, off, (size_t)len);
}

wasi_errno wasi_store_u32(wasi_call *c, uint32_t ptr, uint32_t v)
{
    uint8_t *p = wasi_mem(c, ptr, 4);

    if (!p)
        return OS_EFAULT;
    wasi_put_u32(p, v);
    return WASI_OK;
}

wasi_errno wasi_store_u64(wasi_call *c, uint32_t ptr, uint64_t v)
{
    uint8_t *p = wasi_mem(c, ptr, 8);

    if (!p)
        return OS_EFAULT;
    wasi_put_u64(p, v);
    return WASI_OK;
}

wasi_errno wasi_iovs(wasi_call *c, uint32_t iovs, uint32_t n, os_iovec *out,
                     int *out_n)
{
    const uint8_t *a;

    if (n > WASI_MAX_IOVS)
        n = WASI_MAX_IOVS;
    a = wasi_mem(c, iovs, (uint64_t)n * 8);
    if (!a)
        return OS_EFAULT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t buf = wasi_get_u32(a + 8 * i);
        uint32_t len = wasi_get_u32(a + 8 * i + 4);
        uint8_t *p = wasi_mem(c, buf, len);

        if (!p)
            return OS_EFAULT;
        out[i].base = p;
        out[i].len = len;
    }
    *out_n = (int)n;
    return WASI_OK;
}

/* filestat (64 bytes): dev u64 @0, ino u64 @8, filetype u8 @16, nlink u64
 * @24, size u64 @32, atim @40, mtim @48, ctim @56. */
wasi_errno wasi_store_filestat(wasi_call *c, uint32_t ptr, const os_stat *st)
{
    uint8_t *p = wasi_mem(c, ptr, 64);

    if (!p)
        return OS_EFAULT;
    memset(p, 0, 64);
    wasi_put_u64(p + 0, st->dev);
    wasi_put_u64(p + 8, st->ino);
    wasi_put_u8(p + 16, st->type);
    wasi_put_u64(p + 24, st->nlink);
    wasi_put_u64(p + 32, st->size);
    wasi_put_u64(p + 40, st->atim);
    wasi_put_u64(p + 48, st->mtim);
    wasi_put_u64(p + 56, st->ctim);
    return WASI_OK;
}

/* ---- Context --------------------------------------------------------------- */

void mantle_wasi_config_init(mantle_wasi_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->stdin_fd = 0;
    cfg->stdout_fd = 1;
    cfg->stderr_fd = 2;
}

static void diag_set(mantle_diag *diag, int status, const char *a,
                     const char *b, const char *d)
{
    if (!diag)
        return;
    memset(diag, 0, sizeof *diag);
    diag->status = status;
    diag->func_index = UINT32_MAX;
    diag->offset = UINT32_MAX;
    /* "wasi: preopen HOST: No such file or directory" */
    size_t n = 0, cap = sizeof diag->message - 1;
    const char *parts[3] = {a, b, d};

    for (int i = 0; i < 3 && parts[i]; i++) {
        for (const char *s = parts[i]; *s && n < cap; s++)
            diag->message[n++] = *s;
    }
    diag->message[n] = '\0';
}

/* Copy a string array into one allocation of pointers plus bytes. */
static int copy_strings(wasi_ctx *w, const char *const *src, size_t n,
                        char ***out, size_t *out_bytes)
{
    size_t bytes = 0;
    char **v;
    char *p;

    for (size_t i = 0; i < n; i++) {
        if (!src[i])
            return MANTLE_EINVAL;
        bytes += strlen(src[i]) + 1;
    }
    if (bytes > UINT32_MAX || n > UINT32_MAX / 4)
        return MANTLE_ELIMIT;
    v = wasi_alloc(w, n * sizeof *v + bytes);
    if (!v)
        return MANTLE_ENOMEM;
    p = (char *)(v + n);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(src[i]) + 1;

        memcpy(p, src[i], l);
        v[i] = p;
        p += l;
    }
    *out = v;
    *out_bytes = bytes;
    return MANTLE_OK;
}

/* stdio: rights as the host descriptor allows; ttys get no seek/tell, which
 * is how wasi-libc's isatty() recognises them. */
static int add_stdio(wasi_ctx *w, uint32_t want, int host)
{
    wasi_fd *e;
    int t;

    if (host < 0)
        return MANTLE_OK;
    t = os_fs_ftype(host);
    if (t < 0)
        return MANTLE_OK;  /* closed on the host: absent in the guest */
    if (want >= w->nfds) {
        wasi_fd *n = wasi_realloc(w, w->fds, (want + 1) * sizeof *n);

        if (!n)
            return MANTLE_ENOMEM;
        memset(n + w->nfds, 0, (want + 1 - w->nfds) * sizeof *n);
        w->fds = n;
        w->nfds = want + 1;
    }
    e = &w->fds[want];
    e->used = true;
    e->own = false;
    e->host = host;
    e->type = (uint8_t)t;
    e->rights_base = wasi_rights_for(e->type, os_fs_isatty(host));
    e->rights_inheriting = 0;
    return MANTLE_OK;
}

int mantle_wasi_new(const mantle_wasi_config *cfg, mantle_wasi **out_wasi,
                    mantle_diag *diag)
{
    mantle_wasi_config def;
    mantle_allocator al;
    wasi_ctx *w;
    int st;

    *out_wasi = NULL;
    if (!cfg) {
        mantle_wasi_config_init(&def);
        cfg = &def;
    }
    al = cfg->allocator;
    if (!al.realloc) {
        al.realloc = libc_realloc;
        al.ud = NULL;
    }
    w = al.realloc(al.ud, NULL, sizeof *w);
    if (!w) {
        diag_set(diag, MANTLE_ENOMEM, "wasi: out of memory", NULL, NULL);
        return MANTLE_ENOMEM;
    }
    memset(w, 0, sizeof *w);
    w->alloc = al;
    w->exit_code = -1;
    if ((st = copy_strings(w, cfg->argv, cfg->argc, &w->argv,
                           &w->argv_bytes)) != MANTLE_OK ||
        (st = copy_strings(w, cfg->envp, cfg->envc, &w->envp,
                           &w->envp_bytes)) != MANTLE_OK) {
        diag_set(diag, st, "wasi: arguments or environment: ",
                 mantle_strerror(st), NULL);
        goto fail;
    }
    w->argc = cfg->argc;
    w->envc = cfg->envc;
    if ((st = add_stdio(w, 0, cfg->stdin_fd)) != MANTLE_OK ||
        (st = add_stdio(w, 1, cfg->stdout_fd)) != MANTLE_OK ||
        (st = add_stdio(w, 2, cfg->stderr_fd)) != MANTLE_OK)
        goto fail_nomem;
    /* Preopened directories take 3, 4, ... even if a stdio fd is absent,
     * so that the guest's numbering does not depend on the host's. */
    if (w->nfds < 3) {
        wasi_fd *n = wasi_realloc(w, w->fds, 3 * sizeof *n);

        if (!n)
            goto fail_nomem;
        memset(n + w->nfds, 0, (3 - w->nfds) * sizeof *n);
        w->fds = n;
        w->nfds = 3;
    }
    for (size_t i = 0; i < cfg->npreopens; i++) {
        const mantle_wasi_preopen *p = &cfg->preopens[i];
        const char *gp = p->guest_path ? p->guest_path : p->host_path;
        uint64_t base, inh;
        uint32_t fd;
        int h;

        if (!p->host_path) {
            st = MANTLE_EINVAL;
            diag_set(diag, st, "wasi: preopen without a host path", NULL,
                     NULL);
            goto fail;
        }
        h = os_fs_openat(OS_FD_CWD, p->host_path,
                         OS_O_RDONLY | OS_O_DIRECTORY, 0);
        if (h < 0) {
            st = MANTLE_EIO;
            diag_set(diag, st, "wasi: preopen ", p->host_path, ": ");
            strncat(diag->message, os_fs_strerror(h),
                    sizeof diag->message - strlen(diag->message) - 1);
            goto fail;
        }
        base = wasi_rights_for(OS_FT_DIR, false);
        inh = WASI_RIGHTS_ALL & ~(uint64_t)(WASI_RIGHT_SOCK_ACCEPT |
                                            WASI_RIGHT_SOCK_SHUTDOWN);
        if (p->read_only)
            base &= ~WASI_RIGHTS_WRITING;
        if (wasi_fd_install(w, h, true, base, inh, &fd) != WASI_OK) {
            os_fs_close(h);
            goto fail_nomem;
        }
        w->fds[fd].preopen = true;
        w->fds[fd].read_only = p->read_only;
        w->fds[fd].sealed = p->sealed;
        w->fds[fd].guest_len = (uint32_t)strlen(gp);
        w->fds[fd].guest_path = wasi_strndup(w, gp, strlen(gp));
        if (!w->fds[fd].guest_path)
            goto fail_nomem;
    }
    for (size_t i = 0; i < cfg->nlisten; i++) {
        uint32_t fd;
        int t = os_fs_ftype(cfg->listen_fds[i]);

        if (t != OS_FT_SOCK_STREAM) {
            st = MANTLE_EINVAL;
            diag_set(diag, st, "wasi: a listening descriptor is not a "
                               "stream socket", NULL, NULL);
            goto fail;
        }
        if (wasi_fd_install(w, cfg->listen_fds[i], false,
                            WASI_RIGHT_SOCK_ACCEPT |
                                WASI_RIGHT_POLL_FD_READWRITE |
                                WASI_RIGHT_FD_FDSTAT_SET_FLAGS |
                                WASI_RIGHT_FD_FILESTAT_GET,
                            0, &fd) != WASI_OK)
            goto fail_nomem;
    }
    *out_wasi = w;
    return MANTLE_OK;

fail_nomem:
    st = MANTLE_ENOMEM;
    diag_set(diag, st, "wasi: out of memory", NULL, NULL);
fail:
    mantle_wasi_free(w);
    return st;
}

int mantle_wasi_exit_code(const mantle_wasi *wasi)
{
    return wasi ? wasi->exit_code : -1;
}

void mantle_wasi_free(mantle_wasi *w)
{
    if (!w)
        return;
    wasi_fdtable_free(w);    /* closes sealed files: they commit */
    wasi_vfs_unmount_all(w);
    wasi_free(w, w->argv);
    wasi_free(w, w->envp);
    w->alloc.realloc(w->alloc.ud, w, 0);
}

/* ---- Registration ------------------------------------------------------------ */

/* What each linker entry carries: the context and the function. */
typedef struct wasi_env {
    wasi_ctx *w;
    wasi_fn fn;
    mantle_allocator alloc;
} wasi_env;

static void env_free(void *p)
{
    wasi_env *e = p;

    e->alloc.realloc(e->alloc.ud, e, 0);
}

static int trampoline(mantle_caller *caller, void *env,
                      const mantle_val *args, mantle_val *results)
{
    wasi_env *e = env;
    wasi_call c;
    wasi_errno r;

    c.w = e->w;
    c.mem = mantle_caller_memory(caller);
    c.args = args;
    r = e->fn(&c);
    if (r == WASI_EXIT)
        return mantle_caller_exit(caller, e->w->exit_code);
    results[0].kind = MANTLE_I32;
    results[0].of.i32 = r;
    return MANTLE_OK;
}

static int define_table(wasi_ctx *w, mantle_linker *linker,
                        const wasi_func *t)
{
    static const mantle_valkind result[1] = {MANTLE_I32};

    for (; t->name; t++) {
        mantle_valkind params[16];
        mantle_functype ft;
        size_t n = strlen(t->params);
        wasi_env *e;
        int st;

        for (size_t i = 0; i < n; i++)
            params[i] = t->params[i] == 'I' ? MANTLE_I64 : MANTLE_I32;
        ft.nparams = n;
        ft.params = params;
        /* proc_exit is the one function without an errno result. */
        ft.nresults = strcmp(t->name, "proc_exit") == 0 ? 0 : 1;
        ft.results = result;
        e = w->alloc.realloc(w->alloc.ud, NULL, sizeof *e);
        if (!e)
            return MANTLE_ENOMEM;
        e->w = w;
        e->fn = t->fn;
        e->alloc = w->alloc;
        st = mantle_linker_define_func(linker, "wasi_snapshot_preview1",
                                       t->name, &ft, trampoline, e, env_free);
        if (st != MANTLE_OK) {
            env_free(e);
            return st;
        }
    }
    return MANTLE_OK;
}

int mantle_wasi_define(mantle_wasi *wasi, mantle_linker *linker)
{
    const wasi_func *tables[] = {wasi_fd_funcs, wasi_path_funcs,
                                 wasi_clock_funcs, wasi_proc_funcs,
                                 wasi_sock_funcs};
    int st;

    if (!wasi || !linker)
        return MANTLE_EINVAL;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if ((st = define_table(wasi, linker, tables[i])) != MANTLE_OK)
            return st;
    return MANTLE_OK;
}
