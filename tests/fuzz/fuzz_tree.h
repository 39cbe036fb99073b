/* fuzz_tree.h - the sandbox the fuzz targets give to WASI: a directory
 * tree with symlinks that point out of it, next to a file that must never
 * be reachable.
 * SPDX-License-Identifier: Apache-2.0
 *
 *   ROOT/outside/secret
 *   ROOT/box/{file, a/b/c/, a/f}
 *   ROOT/box/out -> ../outside     ROOT/box/abs -> /etc
 *   ROOT/box/loop1 -> loop2        ROOT/box/loop2 -> loop1
 *   ROOT/box/up -> ..              ROOT/box/a/inner -> ../file
 *   ROOT/box/deep -> a/b/../../..  ROOT/box/selfdir -> .
 */
#ifndef MANTLE_FUZZ_TREE_H
#define MANTLE_FUZZ_TREE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mantle.h"

static char fuzz_root[64];
static char fuzz_box[96];

static void fuzz_tree_file(const char *dir, const char *name)
{
    char p[160];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("fuzz\n", f);
        fclose(f);
    }
}

static void fuzz_tree_link(const char *target, const char *name)
{
    char p[160];
    snprintf(p, sizeof p, "%s/%s", fuzz_box, name);
    if (symlink(target, p) != 0)
        abort();
}

/* Create the tree once per process (in TMPDIR or /tmp). */
static const char *fuzz_tree(void)
{
    if (fuzz_box[0])
        return fuzz_box;
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_root, sizeof fuzz_root, "%s/mantle-fuzz-XXXXXX",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(fuzz_root))
        abort();
    char p[160];
    snprintf(p, sizeof p, "%s/outside", fuzz_root);
    mkdir(p, 0700);
    fuzz_tree_file(p, "secret");
    snprintf(fuzz_box, sizeof fuzz_box, "%s/box", fuzz_root);
    mkdir(fuzz_box, 0700);
    fuzz_tree_file(fuzz_box, "file");
    snprintf(p, sizeof p, "%s/a", fuzz_box);
    mkdir(p, 0700);
    fuzz_tree_file(p, "f");
    snprintf(p, sizeof p, "%s/a/b", fuzz_box);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/a/b/c", fuzz_box);
    mkdir(p, 0700);
    fuzz_tree_link("../outside", "out");
    fuzz_tree_link("/etc", "abs");
    fuzz_tree_link("loop2", "loop1");
    fuzz_tree_link("loop1", "loop2");
    fuzz_tree_link("..", "up");
    fuzz_tree_link("../file", "a/inner");
    fuzz_tree_link("a/b/../../..", "deep");
    fuzz_tree_link(".", "selfdir");
    return fuzz_box;
}

/* A WASI context with the tree's box as guest "/box" (read-only unless
 * `writable`), stdio on /dev/null. */
static mantle_wasi *fuzz_wasi_new_opt(int writable)
{
    static int devnull = -1;
    if (devnull < 0)
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    mantle_wasi_preopen pre = {fuzz_tree(), "/box", !writable, false};
    mantle_wasi_config cfg;
    mantle_wasi_config_init(&cfg);
    cfg.preopens = &pre;
    cfg.npreopens = 1;
    cfg.stdin_fd = devnull;
    cfg.stdout_fd = devnull;
    cfg.stderr_fd = devnull;
    mantle_wasi *w = NULL;
    if (mantle_wasi_new(&cfg, &w, NULL) != MANTLE_OK)
        return NULL;
    return w;
}

static inline mantle_wasi *fuzz_wasi_new(void)
{
    return fuzz_wasi_new_opt(0);
}

#endif
