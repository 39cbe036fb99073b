/* wasi_int.h - internals shared by the WASI preview1 files.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: errno and rights constants - the context and its fd table - guest
 * memory access - path resolution - the per-area function tables.
 *
 * Every host function here returns a preview1 errno as its i32 result;
 * only proc_exit returns a non-OK mantle status (MANTLE_EEXIT). Guest
 * memory is little-endian and reached only through the checked helpers
 * below, so a bad pointer is EFAULT and never a crash.
 */
#ifndef MANTLE_WASI_INT_H
#define MANTLE_WASI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mantle.h"
#include "platform/os_fs.h"

/* ---- errno and rights (wasi_snapshot_preview1 witx) ------------------- */

/* The platform's OS_E* codes use preview1's numbering, so they are the
 * guest's errno values. */
typedef uint16_t wasi_errno;
#define WASI_OK 0

enum {
    WASI_RIGHT_FD_DATASYNC = 1u << 0,
    WASI_RIGHT_FD_READ = 1u << 1,
    WASI_RIGHT_FD_SEEK = 1u << 2,
    WASI_RIGHT_FD_FDSTAT_SET_FLAGS = 1u << 3,
    WASI_RIGHT_FD_SYNC = 1u << 4,
    WASI_RIGHT_FD_TELL = 1u << 5,
    WASI_RIGHT_FD_WRITE = 1u << 6,
    WASI_RIGHT_FD_ADVISE = 1u << 7,
    WASI_RIGHT_FD_ALLOCATE = 1u << 8,
    WASI_RIGHT_PATH_CREATE_DIRECTORY = 1u << 9,
    WASI_RIGHT_PATH_CREATE_FILE = 1u << 10,
    WASI_RIGHT_PATH_LINK_SOURCE = 1u << 11,
    WASI_RIGHT_PATH_LINK_TARGET = 1u << 12,
    WASI_RIGHT_PATH_OPEN = 1u << 13,
    WASI_RIGHT_FD_READDIR = 1u << 14,
    WASI_RIGHT_PATH_READLINK = 1u << 15,
    WASI_RIGHT_PATH_RENAME_SOURCE = 1u << 16,
    WASI_RIGHT_PATH_RENAME_TARGET = 1u << 17,
    WASI_RIGHT_PATH_FILESTAT_GET = 1u << 18,
    WASI_RIGHT_PATH_FILESTAT_SET_SIZE = 1u << 19,
    WASI_RIGHT_PATH_FILESTAT_SET_TIMES = 1u << 20,
    WASI_RIGHT_FD_FILESTAT_GET = 1u << 21,
    WASI_RIGHT_FD_FILESTAT_SET_SIZE = 1u << 22,
    WASI_RIGHT_FD_FILESTAT_SET_TIMES = 1u << 23,
    WASI_RIGHT_PATH_SYMLINK = 1u << 24,
    WASI_RIGHT_PATH_REMOVE_DIRECTORY = 1u << 25,
    WASI_RIGHT_PATH_UNLINK_FILE = 1u << 26,
    WASI_RIGHT_POLL_FD_READWRITE = 1u << 27,
    WASI_RIGHT_SOCK_SHUTDOWN = 1u << 28,
    WASI_RIGHT_SOCK_ACCEPT = 1u << 29,
};
#define WASI_RIGHTS_ALL ((uint64_t)((1u << 30) - 1))

/* Rights that create, change or remove anything: withheld under a
 * read-only preopen. */
#define WASI_RIGHTS_WRITING                                                 \
    ((uint64_t)(WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_WRITE |              \
                WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_PATH_CREATE_DIRECTORY | \
                WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE | \
                WASI_RIGHT_PATH_LINK_TARGET |                               \
                WASI_RIGHT_PATH_RENAME_SOURCE |                             \
                WASI_RIGHT_PATH_RENAME_TARGET |                             \
                WASI_RIGHT_PATH_FILESTAT_SET_SIZE |                         \
                WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                        \
                WASI_RIGHT_FD_FILESTAT_SET_SIZE |                           \
                WASI_RIGHT_FD_FILESTAT_SET_TIMES |                          \
                WASI_RIGHT_PATH_SYMLINK |                                   \
                WASI_RIGHT_PATH_REMOVE_DIRECTORY |                          \
                WASI_RIGHT_PATH_UNLINK_FILE))

/* fdflags */
enum {
    WASI_FDFLAG_APPEND = 1,
    WASI_FDFLAG_DSYNC = 2,
    WASI_FDFLAG_NONBLOCK = 4,
    WASI_FDFLAG_RSYNC = 8,
    WASI_FDFLAG_SYNC = 16,
};

/* ---- The context and its fd table ------------------------------------ */

/* A cached directory listing: fd_readdir's cookie n is entry n. */
typedef struct wasi_dirent {
    uint64_t ino;
    uint32_t namelen;
    uint8_t type;
    char *name;
} wasi_dirent;

typedef struct wasi_fd {
    bool used;
    bool own;              /* close host on fd_close / free */
    bool preopen;          /* a preopened directory (has prestat) */
    bool read_only;        /* beneath a read-only preopen: nothing opened
                              through it may write (rights_inheriting still
                              lists write rights, so guests ask for them and
                              are refused rather than silently given less) */
    int host;
    uint8_t type;          /* preview1 filetype (OS_FT_*) */
    uint64_t rights_base, rights_inheriting;
    char *guest_path;      /* preopens: the name the guest sees */
    uint32_t guest_len;
    wasi_dirent *dir;      /* fd_readdir cache, or NULL */
    uint64_t ndir;
    /* A descriptor of a mounted file system (vfs.c): host is -1 and every
     * operation goes through vfs. A sealed preopen that is not mounted
     * (yet, or its mount failed) has `sealed` set and vfs NULL: EIO. */
    bool sealed;
    const struct wasi_vfs_ops *vfs;
    void *vfs_fs;          /* the mount (owned by the context) */
    void *vfs_file;        /* an open file, or NULL for a directory */
    char *vfs_path;        /* a directory's path in the mount ("" its root) */
    uint64_t pos;          /* a file's offset */
    bool append;
    int sync;              /* OS_O_DSYNC / OS_O_SYNC: commit every write */
} wasi_fd;

/* A file system behind a preopen instead of the host's (sealed directories,
 * src/sealfs/). Paths are normalised relative paths in the mount, "" its
 * root; results are >= 0 or a negative OS_E*. The table only grows at its
 * end; WASI_VFS_VERSION is the version this tree writes. */
#define WASI_VFS_VERSION 1
typedef struct wasi_vfs_ops {
    int version;
    const char *name;
    /* oflags: OS_O_CREAT, EXCL, TRUNC, DIRECTORY. A directory opens with
     * *out_file NULL. */
    int (*open)(void *fs, const char *path, int oflags, void **out_file,
                uint8_t *out_type);
    int64_t (*pread)(void *file, const os_iovec *iov, int n, uint64_t off);
    int64_t (*pwrite)(void *file, const os_iovec *iov, int n, uint64_t off);
    int (*fstat)(void *file, os_stat *out);
    int (*truncate)(void *file, uint64_t size);
    int (*sync)(void *file);
    int (*close)(void *file);
    int (*stat)(void *fs, const char *path, os_stat *out);
    int (*mkdir)(void *fs, const char *path);
    int (*rmdir)(void *fs, const char *path);
    int (*unlink)(void *fs, const char *path);
    int (*rename)(void *fs, const char *from, const char *to);
    int (*list)(void *fs, const char *path,
                int (*fn)(void *ud, const char *name, size_t len, uint8_t type,
                          uint64_t ino),
                void *ud);
    void (*unmount)(void *fs);
} wasi_vfs_ops;

typedef struct wasi_mount {
    const wasi_vfs_ops *ops;
    void *fs;
} wasi_mount;

/* The per-instance descriptor limit (EMFILE beyond it). */
#define WASI_MAX_FDS 4096

struct mantle_wasi {
    mantle_allocator alloc;
    char **argv;
    size_t argc, argv_bytes;
    char **envp;
    size_t envc, envp_bytes;
    wasi_fd *fds;
    uint32_t nfds;         /* slots allocated */
    int exit_code;         /* -1 until proc_exit */
    wasi_mount *mounts;    /* unmounted after every descriptor is closed */
    uint32_t nmounts;
};
typedef struct mantle_wasi wasi_ctx;

void *wasi_alloc(wasi_ctx *w, size_t n);
void *wasi_realloc(wasi_ctx *w, void *p, size_t n);
void wasi_free(wasi_ctx *w, void *p);
char *wasi_strndup(wasi_ctx *w, const char *s, size_t n);

/* fdtable.c */
/* The entry for guest fd, or NULL (EBADF) when it is not open. */
wasi_fd *wasi_fd_get(wasi_ctx *w, uint32_t fd);
/* Look up fd and require every right in `need` (ENOTCAPABLE if one is
 * missing, EBADF if fd is not open). */
wasi_errno wasi_fd_lookup(wasi_ctx *w, uint32_t fd, uint64_t need,
                          wasi_fd **out);
/* Install host descriptor `host` (taken if own) at the lowest free guest
 * fd. The type is read from the host. The table may move: wasi_fd
 * pointers taken before this call are stale after it. */
wasi_errno wasi_fd_install(wasi_ctx *w, int host, bool own, uint64_t base,
                           uint64_t inheriting, uint32_t *out_fd);
/* Close guest fd (the host descriptor too if owned). */
wasi_errno wasi_fd_close(wasi_ctx *w, uint32_t fd);
/* Move `from` onto `to` (closing `to` first). */
wasi_errno wasi_fd_renumber(wasi_ctx *w, uint32_t from, uint32_t to);
void wasi_fd_dir_drop(wasi_ctx *w, wasi_fd *e);
/* Rights a descriptor of this type can ever have. */
uint64_t wasi_rights_for(uint8_t type, bool tty);
void wasi_fdtable_free(wasi_ctx *w);

/* ---- Guest memory ------------------------------------------------------ */

/* Host functions receive their context through `env` and reach memory
 * through the caller; wasi.c's trampoline fills this. */
typedef struct wasi_call {
    wasi_ctx *w;
    mantle_memory *mem;    /* may be NULL: every pointer is then EFAULT */
    const mantle_val *args;
} wasi_call;

/* A pointer to guest bytes [off, off+len), or NULL (EFAULT). A zero
 * length is valid when off is at most the memory size. */
uint8_t *wasi_mem(wasi_call *c, uint32_t off, uint64_t len);

static inline void wasi_put_u8(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void wasi_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void wasi_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wasi_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t wasi_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t wasi_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t wasi_get_u64(const uint8_t *p)
{
    return (uint64_t)wasi_get_u32(p) | (uint64_t)wasi_get_u32(p + 4) << 32;
}

/* Store a u32/u64 result at a guest pointer: EFAULT if out of bounds. */
wasi_errno wasi_store_u32(wasi_call *c, uint32_t ptr, uint32_t v);
wasi_errno wasi_store_u64(wasi_call *c, uint32_t ptr, uint64_t v);

/* Gather a guest iovec array (8 bytes each: buf u32, len u32) into host
 * iovecs pointing into guest memory. At most WASI_MAX_IOVS are used (a
 * shorter transfer is legal). */
#define WASI_MAX_IOVS 1024
wasi_errno wasi_iovs(wasi_call *c, uint32_t iovs, uint32_t n, os_iovec *out,
                     int *out_n);

/* The 64-byte filestat of os_stat at guest ptr. */
wasi_errno wasi_store_filestat(wasi_call *c, uint32_t ptr, const os_stat *st);

/* Argument accessors. */
#define ARG_I32(i) ((uint32_t)c->args[i].of.i32)
#define ARG_I64(i) ((uint64_t)c->args[i].of.i64)

/* fd.c: fstflags (ATIM 1, ATIM_NOW 2, MTIM 4, MTIM_NOW 8) and times to
 * os_fs_utimens's arguments; EINVAL for contradictory flags. */
wasi_errno wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst,
                      uint64_t *out_a, uint64_t *out_m);

/* ---- Path resolution (path.c) ------------------------------------------ */

/* A resolved path: the parent directory (a host descriptor, owned by this
 * struct) and the final component, which is never empty, never contains
 * '/', and is never ".." (a path ending in "." or ".." resolves to that
 * directory with name "."). */
typedef struct wasi_path {
    int dirfd;
    bool own;              /* dirfd is ours to close */
    char name[256];
    bool trailing_slash;   /* the guest path ended in '/' */
} wasi_path;

/* Copy and check the guest's path into out (room for WASI_PATH_MAX + 1):
 * no NUL bytes (EILSEQ), not empty (ENOENT), not absolute (ENOTCAPABLE),
 * at most WASI_PATH_MAX bytes (ENAMETOOLONG). */
#define WASI_PATH_MAX 4096
wasi_errno wasi_path_copy(wasi_call *c, uint32_t ptr, uint32_t len,
                          char *out);
/* Copy the guest's path bytes and resolve them beneath dir (a directory
 * entry). follow: a final symlink is expanded (inside the sandbox). */
wasi_errno wasi_path_resolve(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                             uint32_t len, bool follow, wasi_path *out);
void wasi_path_release(wasi_path *p);
/* Open a path beneath dir: the result never lies outside it. oflags are
 * OS_O_*; OS_O_NOFOLLOW is added when !follow. */
wasi_errno wasi_path_open(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                          uint32_t len, bool follow, int oflags,
                          int *out_host);

/* ---- Mounted file systems (vfs.c) ---------------------------------------- */

/* Sealed preopens in configuration order: the guest fd of the n-th one,
 * or UINT32_MAX. */
uint32_t wasi_sealed_fd(wasi_ctx *w, size_t n);
/* The host directory of the sealed preopen `fd`, which passes to the
 * caller (the entry keeps none); -1 if there is none. */
int wasi_sealed_take_host(wasi_ctx *w, uint32_t fd);
/* Mount fs behind the sealed preopen `fd` (the context takes fs and
 * unmounts it at the end; ops must outlive it). */
wasi_errno wasi_vfs_attach(wasi_ctx *w, uint32_t fd, const wasi_vfs_ops *ops,
                           void *fs);
void wasi_vfs_unmount_all(wasi_ctx *w);

/* Is e a descriptor of a mounted (or failed sealed) file system? */
static inline bool wasi_is_vfs(const wasi_fd *e)
{
    return e->vfs != NULL || e->sealed;
}
/* The fd_* and path_* functions for such descriptors; each takes the
 * entry already looked up with the rights checked. */
wasi_errno wasi_vfs_read(wasi_call *c, wasi_fd *e, const os_iovec *iov,
                         int n, bool positional, uint64_t off,
                         uint32_t *out_n);
wasi_errno wasi_vfs_write(wasi_call *c, wasi_fd *e, const os_iovec *iov,
                          int n, bool positional, uint64_t off,
                          uint32_t *out_n);
wasi_errno wasi_vfs_seek(wasi_fd *e, int64_t off, int whence,
                         uint64_t *out_pos);
wasi_errno wasi_vfs_fstat(const wasi_fd *e, os_stat *out);
wasi_errno wasi_vfs_truncate(wasi_fd *e, uint64_t size);
wasi_errno wasi_vfs_sync(wasi_fd *e);
wasi_errno wasi_vfs_readdir_fill(wasi_ctx *w, wasi_fd *e);
/* Close the file behind e (its commit status). */
wasi_errno wasi_vfs_close(wasi_fd *e);
/* Path functions: dir is the directory entry (rights checked); the
 * guest's path at (ptr, len). */
wasi_errno wasi_vfs_path_open(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                              uint32_t len, int oflags, uint64_t base,
                              uint64_t inh, uint32_t *out_fd);
wasi_errno wasi_vfs_path_stat(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                              uint32_t len, os_stat *out);
wasi_errno wasi_vfs_path_mkdir(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                               uint32_t len);
wasi_errno wasi_vfs_path_remove(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                                uint32_t len, bool rmdir);
wasi_errno wasi_vfs_path_rename(wasi_call *c, wasi_fd *od, uint32_t optr,
                                uint32_t olen, wasi_fd *nd, uint32_t nptr,
                                uint32_t nlen);

/* ---- The function tables ------------------------------------------------ */

typedef wasi_errno (*wasi_fn)(wasi_call *c);

/* One import: name, signature as a string of 'i' (i32) and 'I' (i64)
 * parameters, and whether it returns an errno (all but proc_exit). */
typedef struct wasi_func {
    const char *name;
    const char *params;
    wasi_fn fn;
} wasi_func;

extern const wasi_func wasi_fd_funcs[];
extern const wasi_func wasi_path_funcs[];
extern const wasi_func wasi_clock_funcs[];
extern const wasi_func wasi_proc_funcs[];
extern const wasi_func wasi_sock_funcs[];

/* proc_exit's code: the trampoline turns this return into MANTLE_EEXIT. */
#define WASI_EXIT 0xffff

#endif
