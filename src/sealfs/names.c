/* names.c - the namespace of a mounted sealed directory: open, close,
 * stat, mkdir, rmdir, unlink, rename, list.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Paths are manifest paths ("a/b", "" for the root) that the WASI layer has
 * already normalised. Changes to the namespace commit at once; file data
 * commits at sync and close (sealfs.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "sealfs/sealfs_int.h"

static sealfs_file *find(sealfs *fs, const char *path, uint32_t *out_i)
{
    for (uint32_t i = 0; i < fs->n; i++)
        if (strcmp(fs->ino[i]->ent.path, path) == 0) {
            if (out_i)
                *out_i = i;
            return fs->ino[i];
        }
    return NULL;
}

/* The parent of path must exist and be a directory. */
static int parent_ok(sealfs *fs, const char *path)
{
    const char *slash = strrchr(path, '/');
    char parent[SEALFS_PATH_MAX + 1];
    sealfs_file *p;

    if (!sealfs_path_ok(path, strlen(path)))
        return strlen(path) > SEALFS_PATH_MAX ? -OS_ENAMETOOLONG : -OS_EINVAL;
    if (!slash)
        return 0;
    memcpy(parent, path, (size_t)(slash - path));
    parent[slash - path] = '\0';
    if (!(p = find(fs, parent, NULL)))
        return -OS_ENOENT;
    return p->ent.type == OS_FT_DIR ? 0 : -OS_ENOTDIR;
}

static bool has_children(sealfs *fs, const char *path)
{
    size_t n = strlen(path);

    for (uint32_t i = 0; i < fs->n; i++)
        if (strncmp(fs->ino[i]->ent.path, path, n) == 0 &&
            fs->ino[i]->ent.path[n] == '/')
            return true;
    return false;
}

static int entry_new(sealfs *fs, const char *path, uint8_t type,
                     sealfs_file **out)
{
    sealfs_file *f;
    int rc;

    if (fs->n >= SEALFS_MAX_ENTRIES)
        return -OS_ENOSPC;
    if (!(f = calloc(1, sizeof *f)) || !(f->ent.path = strdup(path))) {
        free(f);
        return -OS_ENOMEM;
    }
    f->fs = fs;
    f->hfd = -1;
    f->ent.type = type;
    f->ent.mtim = sfs_now_ns();
    if (RAND_bytes(f->ent.id, SEALFS_ID) != 1 || (rc = sfs_ino_add(fs, f)) < 0) {
        sfs_file_free(f);
        return -OS_ENOMEM;
    }
    fs->dirty = true;
    *out = f;
    return 0;
}

/* Take entry i out of the namespace; an open file lives on unnamed. */
static int entry_remove(sealfs *fs, uint32_t i)
{
    sealfs_file *f = fs->ino[i];

    if (f->ent.type == OS_FT_REG) {
        void *g = realloc(fs->garbage, (fs->ngarbage + 1) * sizeof *fs->garbage);

        if (!g)
            return -OS_ENOMEM;
        fs->garbage = g;
        memcpy(fs->garbage[fs->ngarbage++], f->ent.id, SEALFS_ID);
    }
    fs->ino[i] = fs->ino[--fs->n];
    fs->dirty = true;
    free(f->ent.path);
    f->ent.path = NULL;
    f->changed = false;
    if (f->refs == 0)
        sfs_file_free(f);
    return 0;
}

int sealfs_open(sealfs *fs, const char *path, int oflags,
                sealfs_file **out_file, uint8_t *out_type)
{
    sealfs_file *f;
    int rc;

    *out_file = NULL;
    if (fs->broken)
        return -OS_EIO;
    f = path[0] ? find(fs, path, NULL) : NULL;
    if (!path[0] || (f && f->ent.type == OS_FT_DIR)) {
        if ((oflags & OS_O_CREAT) && (oflags & OS_O_EXCL))
            return -OS_EEXIST;
        if (oflags & OS_O_TRUNC)
            return -OS_EISDIR;
        *out_type = OS_FT_DIR;
        return 0;
    }
    if (f) {
        if ((oflags & OS_O_CREAT) && (oflags & OS_O_EXCL))
            return -OS_EEXIST;
        if (oflags & OS_O_DIRECTORY)
            return -OS_ENOTDIR;
        if ((rc = sfs_file_load(f)) < 0)
            return rc;
        if ((oflags & OS_O_TRUNC) && (rc = sealfs_truncate(f, 0)) < 0)
            return rc;
    } else {
        if (!(oflags & OS_O_CREAT))
            return -OS_ENOENT;
        if (oflags & OS_O_DIRECTORY)
            return -OS_EINVAL;
        if ((rc = parent_ok(fs, path)) < 0 ||
            (rc = entry_new(fs, path, OS_FT_REG, &f)) < 0)
            return rc;
        f->loaded = true;
        f->changed = true;
    }
    f->refs++;
    *out_type = OS_FT_REG;
    *out_file = f;
    return 0;
}

int sealfs_sync(sealfs_file *f)
{
    if (!f->ent.path)
        return f->fs->broken ? -OS_EIO : 0;   /* unlinked: nothing to keep */
    return sealfs_commit(f->fs);
}

int sealfs_close(sealfs_file *f)
{
    sealfs *fs = f->fs;
    int rc = 0;

    if (f->ent.path && (f->changed || fs->dirty))
        rc = sealfs_commit(fs);
    if (--f->refs == 0) {
        if (!f->ent.path)
            sfs_file_free(f);
        else if (!f->changed)
            sfs_file_cache(f);
    }
    return rc;
}

int sealfs_stat(sealfs *fs, const char *path, os_stat *out)
{
    sealfs_file *f;

    if (fs->broken)
        return -OS_EIO;
    if (!path[0]) {
        sealfs_entry root = {0};

        root.type = OS_FT_DIR;
        memcpy(root.id, fs->dir_id, SEALFS_ID);
        sfs_stat_of(&root, out);
        return 0;
    }
    if (!(f = find(fs, path, NULL)))
        return -OS_ENOENT;
    sfs_stat_of(&f->ent, out);
    return 0;
}

int sealfs_mkdir(sealfs *fs, const char *path)
{
    sealfs_file *f;
    int rc;

    if (fs->broken)
        return -OS_EIO;
    if (!path[0] || find(fs, path, NULL))
        return -OS_EEXIST;
    if ((rc = parent_ok(fs, path)) < 0 ||
        (rc = entry_new(fs, path, OS_FT_DIR, &f)) < 0)
        return rc;
    return sealfs_commit(fs);
}

/* rmdir (dir true) or unlink: the errors of rmdir(2) and unlink(2). */
static int remove_entry(sealfs *fs, const char *path, bool dir)
{
    sealfs_file *f;
    uint32_t i;
    int rc;

    if (fs->broken)
        return -OS_EIO;
    if (!path[0])
        return dir ? -OS_EBUSY : -OS_EISDIR;
    if (!(f = find(fs, path, &i)))
        return -OS_ENOENT;
    if (dir && f->ent.type != OS_FT_DIR)
        return -OS_ENOTDIR;
    if (!dir && f->ent.type == OS_FT_DIR)
        return -OS_EISDIR;
    if (dir && has_children(fs, path))
        return -OS_ENOTEMPTY;
    if ((rc = entry_remove(fs, i)) < 0)
        return rc;
    return sealfs_commit(fs);
}

int sealfs_rmdir(sealfs *fs, const char *path)
{
    return remove_entry(fs, path, true);
}

int sealfs_unlink(sealfs *fs, const char *path)
{
    return remove_entry(fs, path, false);
}

int sealfs_rename(sealfs *fs, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    sealfs_file *f, *t;
    uint32_t ti;
    int rc;

    if (fs->broken)
        return -OS_EIO;
    if (!from[0] || !to[0])
        return -OS_EBUSY;
    if (!(f = find(fs, from, NULL)))
        return -OS_ENOENT;
    if (strcmp(from, to) == 0)
        return 0;
    if (f->ent.type == OS_FT_DIR && tl > fl && strncmp(to, from, fl) == 0 &&
        to[fl] == '/')
        return -OS_EINVAL;
    if ((rc = parent_ok(fs, to)) < 0)
        return rc;
    if ((t = find(fs, to, &ti))) {
        if (f->ent.type == OS_FT_DIR && t->ent.type != OS_FT_DIR)
            return -OS_ENOTDIR;
        if (f->ent.type != OS_FT_DIR && t->ent.type == OS_FT_DIR)
            return -OS_EISDIR;
        if (t->ent.type == OS_FT_DIR && has_children(fs, to))
            return -OS_ENOTEMPTY;
        if ((rc = entry_remove(fs, ti)) < 0)
            return rc;
    }
    /* The entry and, for a directory, everything beneath it. */
    for (uint32_t i = 0; i < fs->n; i++) {
        sealfs_entry *e = &fs->ino[i]->ent;
        size_t el = strlen(e->path);
        char *np;

        if (!(el == fl && strcmp(e->path, from) == 0) &&
            !(el > fl && strncmp(e->path, from, fl) == 0 && e->path[fl] == '/'))
            continue;
        if (tl + (el - fl) > SEALFS_PATH_MAX)
            return -OS_ENAMETOOLONG;
        if (!(np = malloc(tl + (el - fl) + 1)))
            return -OS_ENOMEM;
        memcpy(np, to, tl);
        memcpy(np + tl, e->path + fl, el - fl + 1);
        free(e->path);
        e->path = np;
    }
    fs->dirty = true;
    return sealfs_commit(fs);
}

int sealfs_list(sealfs *fs, const char *path, sealfs_list_fn fn, void *ud)
{
    size_t n = strlen(path);
    sealfs_file *d = NULL;
    int rc;

    if (fs->broken)
        return -OS_EIO;
    if (path[0] && (!(d = find(fs, path, NULL)) || d->ent.type != OS_FT_DIR))
        return d ? -OS_ENOTDIR : -OS_ENOENT;
    if ((rc = fn(ud, ".", 1, OS_FT_DIR, 0)) < 0 ||
        (rc = fn(ud, "..", 2, OS_FT_DIR, 0)) < 0)
        return rc;
    for (uint32_t i = 0; i < fs->n; i++) {
        const sealfs_entry *e = &fs->ino[i]->ent;
        const char *name = e->path;
        os_stat st;

        if (n) {
            if (strncmp(name, path, n) != 0 || name[n] != '/')
                continue;
            name += n + 1;
        }
        if (strchr(name, '/'))
            continue;
        sfs_stat_of(e, &st);
        if ((rc = fn(ud, name, strlen(name), e->type, st.ino)) < 0)
            return rc;
    }
    return 0;
}
