/* fuzz_wasi_path.c - libFuzzer target: WASI path resolution never leaves
 * its preopen.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: one flags byte (bit 0: follow a final symlink; bit 1: also open
 * the path) and the guest path bytes. The path is resolved beneath the
 * preopen of fuzz_tree.h, whose symlinks point out of it, loop, and climb.
 * Property checked on every success: the directory the resolver returns,
 * and any descriptor it opens, lie inside the box (by the kernel's own
 * name for the descriptor), and the final name is one plain component.
 * A violation aborts, which libFuzzer reports as a crash.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_tree.h"
#include "mantle.h"
#include "wasi/wasi_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char box_real[PATH_MAX];
static size_t box_len;

static void check_beneath(int fd, const char *what)
{
    char link[64], where[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, where, sizeof where - 1);
    if (n < 0)
        abort();
    where[n] = '\0';
    if (strncmp(where, box_real, box_len) != 0 ||
        (where[box_len] != '\0' && where[box_len] != '/')) {
        fprintf(stderr, "ESCAPE: %s resolved to %s (box %s)\n", what, where,
                box_real);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mantle_engine *engine;
    static mantle_memory *mem;
    static mantle_wasi *wasi;
    if (!engine) {
        if (mantle_engine_new(NULL, &engine) != MANTLE_OK ||
            mantle_memory_new(engine, (mantle_limits){1, 1, true}, &mem) !=
                MANTLE_OK ||
            !(wasi = fuzz_wasi_new()) || !realpath(fuzz_tree(), box_real))
            abort();
        box_len = strlen(box_real);
    }
    if (size < 1 || size - 1 > 4096)
        return 0;
    bool follow = data[0] & 1, open_too = data[0] & 2;
    uint32_t len = (uint32_t)(size - 1);
    if (mantle_memory_write(mem, 0, data + 1, len) != MANTLE_OK)
        abort();
    wasi_call c = {wasi, mem, NULL};
    wasi_fd *dir = wasi_fd_get(wasi, 3);
    if (!dir)
        abort();
    wasi_path out;
    if (wasi_path_resolve(&c, dir, 0, len, follow, &out) == 0) {
        check_beneath(out.dirfd, "parent directory");
        if (!out.name[0] || strchr(out.name, '/') ||
            strcmp(out.name, "..") == 0) {
            fprintf(stderr, "bad final component \"%s\"\n", out.name);
            abort();
        }
        wasi_path_release(&out);
    }
    if (open_too) {
        int host;
        if (wasi_path_open(&c, dir, 0, len, follow, OS_O_RDONLY, &host) == 0) {
            check_beneath(host, "opened path");
            os_fs_close(host);
        }
    }
    return 0;
}
