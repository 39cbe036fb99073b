/* proc.c - arguments, environment, proc_exit and proc_raise.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "wasi/wasi_int.h"

/* Write n strings: pointers at `ptrs` (u32 each), bytes at `buf`. */
static wasi_errno put_strings(wasi_call *c, char *const *v, size_t n,
                              size_t bytes, uint32_t ptrs, uint32_t buf)
{
    uint8_t *pp = wasi_mem(c, ptrs, (uint64_t)n * 4);
    uint8_t *bp = wasi_mem(c, buf, bytes);
    uint32_t off = 0;

    if (!pp || !bp || (uint64_t)buf + bytes > UINT32_MAX + 1ull)
        return OS_EFAULT;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]) + 1;

        wasi_put_u32(pp + 4 * i, buf + off);
        memcpy(bp + off, v[i], l);
        off += (uint32_t)l;
    }
    return WASI_OK;
}

static wasi_errno put_sizes(wasi_call *c, size_t n, size_t bytes)
{
    if (!wasi_mem(c, ARG_I32(0), 4) || !wasi_mem(c, ARG_I32(1), 4))
        return OS_EFAULT;
    wasi_store_u32(c, ARG_I32(0), (uint32_t)n);
    return wasi_store_u32(c, ARG_I32(1), (uint32_t)bytes);
}

/* args_get(argv, argv_buf) */
static wasi_errno args_get(wasi_call *c)
{
    return put_strings(c, c->w->argv, c->w->argc, c->w->argv_bytes,
                       ARG_I32(0), ARG_I32(1));
}

/* args_sizes_get(out argc, out argv_buf_size) */
static wasi_errno args_sizes_get(wasi_call *c)
{
    return put_sizes(c, c->w->argc, c->w->argv_bytes);
}

/* environ_get(environ, environ_buf) */
static wasi_errno environ_get(wasi_call *c)
{
    return put_strings(c, c->w->envp, c->w->envc, c->w->envp_bytes,
                       ARG_I32(0), ARG_I32(1));
}

/* environ_sizes_get(out count, out buf_size) */
static wasi_errno environ_sizes_get(wasi_call *c)
{
    return put_sizes(c, c->w->envc, c->w->envp_bytes);
}

/* proc_exit(code): ends the whole guest call (MANTLE_EEXIT); no result. */
static wasi_errno proc_exit(wasi_call *c)
{
    c->w->exit_code = (int)ARG_I32(0);
    return WASI_EXIT;
}

/* proc_raise(sig): signals are not part of the sandbox. */
static wasi_errno proc_raise(wasi_call *c)
{
    (void)c;
    return OS_ENOSYS;
}

const wasi_func wasi_proc_funcs[] = {
    {"args_get", "ii", args_get},
    {"args_sizes_get", "ii", args_sizes_get},
    {"environ_get", "ii", environ_get},
    {"environ_sizes_get", "ii", environ_sizes_get},
    {"proc_exit", "i", proc_exit},
    {"proc_raise", "i", proc_raise},
    {NULL, NULL, NULL},
};
