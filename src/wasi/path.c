/* path.c - sandboxed path resolution: every path_* call comes through here.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A guest path is resolved beneath a directory descriptor and can never
 * leave it: absolute paths, ".." above the base and symlinks that lead
 * out fail with ENOTCAPABLE. Two resolvers give the same answers:
 *
 *  - openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the kernel has
 *    it: the kernel walks the path and refuses to leave the base, atomically.
 *  - otherwise a walk of our own, one component at a time with
 *    openat(O_NOFOLLOW | O_DIRECTORY), keeping a stack of open directories
 *    so ".." is physical and bounded by the base, and expanding symlinks
 *    ourselves (at most WASI_MAX_LINKS of them).
 *
 * Neither resolver checks a name and then uses it by path: each step holds
 * a descriptor of the directory it looks in, and the final component is
 * used with *at() calls that do not follow symlinks (open adds O_NOFOLLOW),
 * so a rename or symlink swapped in between check and use cannot lead out.
 */
#include "wasi/wasi_int.h"

#define WASI_MAX_LINKS 40
#define WALK_MAX_DEPTH 512
#define BUF_MAX (2 * WASI_PATH_MAX + 2)

wasi_errno wasi_path_copy(wasi_call *c, uint32_t ptr, uint32_t len,
                          char *out)
{
    const uint8_t *p = wasi_mem(c, ptr, len);

    if (!p)
        return OS_EFAULT;
    if (len == 0)
        return OS_ENOENT;
    if (len > WASI_PATH_MAX)
        return OS_ENAMETOOLONG;
    if (memchr(p, '\0', len))
        return OS_EILSEQ;
    memcpy(out, p, len);
    out[len] = '\0';
    if (out[0] == '/')
        return OS_ENOTCAPABLE;
    return WASI_OK;
}

/* Map the beneath resolver's refusal to the capability error. */
static wasi_errno beneath_err(int r)
{
    return (wasi_errno)(r == -OS_EXDEV ? OS_ENOTCAPABLE : -r);
}

/* The portable walk: open directory `path` beneath base. *links counts
 * symlinks expanded so far. */
static wasi_errno walk(int base, const char *path, int *links, int *out_fd,
                       bool *out_own)
{
    char buf[BUF_MAX], tgt[WASI_PATH_MAX + 1];
    int stack[WALK_MAX_DEPTH];
    int depth = 0;   /* stack[0..depth-1] are owned; cur is the top */
    size_t pos = 0;
    wasi_errno err = WASI_OK;

    if (strlen(path) >= sizeof buf)
        return OS_ENAMETOOLONG;
    strcpy(buf, path);
    for (;;) {
        int cur = depth ? stack[depth - 1] : base, fd;
        size_t start, n;
        char comp[256];

        while (buf[pos] == '/')
            pos++;
        if (buf[pos] == '\0')
            break;
        start = pos;
        while (buf[pos] && buf[pos] != '/')
            pos++;
        n = pos - start;
        if (n > 255) {
            err = OS_ENAMETOOLONG;
            goto fail;
        }
        memcpy(comp, buf + start, n);
        comp[n] = '\0';
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            if (depth == 0) {
                err = OS_ENOTCAPABLE;
                goto fail;
            }
            os_fs_close(stack[--depth]);
            continue;
        }
        fd = os_fs_openat(cur, comp, OS_O_PATH | OS_O_DIRECTORY |
                                         OS_O_NOFOLLOW, 0);
        if (fd >= 0) {
            if (depth == WALK_MAX_DEPTH) {
                os_fs_close(fd);
                err = OS_ENAMETOOLONG;
                goto fail;
            }
            stack[depth++] = fd;
            continue;
        }
        if (fd == -OS_ENOTDIR || fd == -OS_ELOOP) {
            int64_t l = os_fs_readlinkat(cur, comp, tgt, sizeof tgt - 1);
            size_t rest;

            if (l < 0) {
                err = (wasi_errno)-fd;
                goto fail;
            }
            if ((size_t)l >= sizeof tgt - 1) {
                err = OS_ENAMETOOLONG;
                goto fail;
            }
            tgt[l] = '\0';
            if (++*links > WASI_MAX_LINKS) {
                err = OS_ELOOP;
                goto fail;
            }
            if (tgt[0] == '/') {
                err = OS_ENOTCAPABLE;
                goto fail;
            }
            /* Replace the link by its target in front of what remains. */
            rest = strlen(buf + pos);
            if ((size_t)l + 1 + rest >= sizeof buf) {
                err = OS_ENAMETOOLONG;
                goto fail;
            }
            memmove(buf + l + 1, buf + pos, rest + 1);
            memcpy(buf, tgt, (size_t)l);
            buf[l] = '/';
            pos = 0;
            continue;
        }
        err = (wasi_errno)-fd;
        goto fail;
    }
    /* Keep the top, close the rest. */
    for (int i = 0; i + 1 < depth; i++)
        os_fs_close(stack[i]);
    *out_fd = depth ? stack[depth - 1] : base;
    *out_own = depth > 0;
    return WASI_OK;
fail:
    while (depth > 0)
        os_fs_close(stack[--depth]);
    return err;
}

/* Open directory `path` (relative, may be "" or ".") beneath base. */
static wasi_errno open_dir(int base, const char *path, int *links,
                           int *out_fd, bool *out_own)
{
    int fd;

    if (path[0] == '\0' || strcmp(path, ".") == 0) {
        *out_fd = base;
        *out_own = false;
        return WASI_OK;
    }
    fd = os_fs_openat_beneath(base, path, OS_O_PATH | OS_O_DIRECTORY, 0);
    if (fd >= 0) {
        *out_fd = fd;
        *out_own = true;
        return WASI_OK;
    }
    if (fd != -OS_ENOSYS)
        return beneath_err(fd);
    return walk(base, path, links, out_fd, out_own);
}

/* Resolve the NUL-terminated relative path in buf (which it may rewrite). */
static wasi_errno resolve(int base, char *buf, bool follow, wasi_path *out)
{
    int links = 0;

    out->dirfd = -1;
    out->own = false;
    for (;;) {
        char dirpart[BUF_MAX], tgt[WASI_PATH_MAX + 1];
        size_t n = strlen(buf), cut;
        const char *last;
        wasi_errno err;
        int64_t l;

        out->trailing_slash = false;
        while (n > 1 && buf[n - 1] == '/') {
            buf[--n] = '\0';
            out->trailing_slash = true;
        }
        last = strrchr(buf, '/');
        last = last ? last + 1 : buf;
        if (strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
            memcpy(dirpart, buf, n + 1);
            strcpy(out->name, ".");
        } else {
            if (strlen(last) > 255)
                return OS_ENAMETOOLONG;
            cut = (size_t)(last - buf);
            memcpy(dirpart, buf, cut);
            dirpart[cut] = '\0';
            strcpy(out->name, last);
        }
        err = open_dir(base, dirpart, &links, &out->dirfd, &out->own);
        if (err != WASI_OK)
            return err;
        /* A trailing slash follows a final symlink, as POSIX says. */
        if ((!follow && !out->trailing_slash) || strcmp(out->name, ".") == 0)
            return WASI_OK;
        l = os_fs_readlinkat(out->dirfd, out->name, tgt, sizeof tgt - 1);
        if (l < 0)
            return WASI_OK;  /* not a symlink (or absent): use as is */
        if ((size_t)l >= sizeof tgt - 1)
            goto toolong;
        tgt[l] = '\0';
        wasi_path_release(out);
        if (++links > WASI_MAX_LINKS)
            return OS_ELOOP;
        if (tgt[0] == '/')
            return OS_ENOTCAPABLE;
        /* Continue from the link's directory with its target. */
        if (strlen(dirpart) + (size_t)l + 2 >= BUF_MAX)
            return OS_ENAMETOOLONG;
        {
            size_t dl = strlen(dirpart);
            bool slash = out->trailing_slash;

            memcpy(buf, dirpart, dl);
            memcpy(buf + dl, tgt, (size_t)l);
            n = dl + (size_t)l;
            if (slash)
                buf[n++] = '/';
            buf[n] = '\0';
        }
    }
toolong:
    wasi_path_release(out);
    return OS_ENAMETOOLONG;
}

wasi_errno wasi_path_resolve(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                             uint32_t len, bool follow, wasi_path *out)
{
    char buf[BUF_MAX];
    wasi_errno err;

    out->dirfd = -1;
    out->own = false;
    if (dir->type != OS_FT_DIR)
        return OS_ENOTDIR;
    if ((err = wasi_path_copy(c, ptr, len, buf)) != WASI_OK)
        return err;
    return resolve(dir->host, buf, follow, out);
}

void wasi_path_release(wasi_path *p)
{
    if (p->own && p->dirfd >= 0)
        os_fs_close(p->dirfd);
    p->dirfd = -1;
    p->own = false;
}

wasi_errno wasi_path_open(wasi_call *c, wasi_fd *dir, uint32_t ptr,
                          uint32_t len, bool follow, int oflags,
                          int *out_host)
{
    char buf[BUF_MAX];
    wasi_path p;
    wasi_errno err;
    int fd;

    if (dir->type != OS_FT_DIR)
        return OS_ENOTDIR;
    if ((err = wasi_path_copy(c, ptr, len, buf)) != WASI_OK)
        return err;
    if (!follow)
        oflags |= OS_O_NOFOLLOW;
    /* The kernel's beneath resolution covers the final symlink too. */
    fd = os_fs_openat_beneath(dir->host, buf, oflags, 0666);
    if (fd != -OS_ENOSYS) {
        if (fd < 0)
            return beneath_err(fd);
        *out_host = fd;
        return WASI_OK;
    }
    if ((err = resolve(dir->host, buf, follow, &p)) != WASI_OK)
        return err;
    if (p.trailing_slash)
        oflags |= OS_O_DIRECTORY;
    /* The final component was expanded above if it was a symlink; if one
     * appears now, O_NOFOLLOW refuses it (ELOOP) rather than follow it. */
    fd = os_fs_openat(p.dirfd, p.name, oflags | OS_O_NOFOLLOW, 0666);
    wasi_path_release(&p);
    if (fd < 0)
        return (wasi_errno)-fd;
    *out_host = fd;
    return WASI_OK;
}
