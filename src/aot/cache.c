/* cache.c - where compiled artifacts are kept between runs.
 * SPDX-License-Identifier: Apache-2.0
 *
 * $XDG_CACHE_HOME/mantle (else $HOME/.cache/mantle), one file per key:
 * SHA-256 over module digest, compiler identity, flags and runtime ABI
 * version, so changing any of them compiles afresh. Entries are written
 * whole and renamed into place; a damaged entry fails the artifact checks
 * on load and is replaced.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aot.h"
#include "aot_rt.h"
#include "platform/os.h"

int aot_cache_dir(char *out, size_t outlen)
{
    const char *x = getenv("XDG_CACHE_HOME");
    int n;
    if (x && *x == '/')
        n = snprintf(out, outlen, "%s/mantle", x);
    else {
        const char *h = getenv("HOME");
        if (!h || !*h)
            return -1;
        n = snprintf(out, outlen, "%s/.cache/mantle", h);
    }
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    return os_mkdir_p(out);
}

int aot_cache_path(const uint8_t digest[AOT_DIGEST_LEN], const char *compiler,
                   const char *flags, char *out, size_t outlen)
{
    char dir[4096];
    if (aot_cache_dir(dir, sizeof dir) != 0)
        return -1;
    char key[512];
    int kn = snprintf(key, sizeof key, "%s\n%s\nabi %u\n", compiler, flags,
                      AOT_ABI_VERSION);
    if (kn < 0 || (size_t)kn >= sizeof key)
        return -1;
    uint8_t buf[AOT_DIGEST_LEN + sizeof key], h[AOT_DIGEST_LEN];
    memcpy(buf, digest, AOT_DIGEST_LEN);
    memcpy(buf + AOT_DIGEST_LEN, key, (size_t)kn);
    if (aot_sha256(buf, AOT_DIGEST_LEN + (size_t)kn, h) != 0)
        return -1;
    char hex[2 * AOT_DIGEST_LEN + 1];
    for (int i = 0; i < AOT_DIGEST_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    int n = snprintf(out, outlen, "%s/%s.mantle", dir, hex);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
