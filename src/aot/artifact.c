/* artifact.c - the native artifact format: header, module bytes, shared
 * object; building and checking it.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Layout (integers little-endian):
 *   0   magic "MANTLEAOT\0\r\n"          12 bytes
 *   12  format version (1)               u32
 *   16  runtime ABI version              u32 (aot_rt.h AOT_ABI_VERSION)
 *   20  flags: bit 0 guard, bit 1 fuel   u32
 *   24  module SHA-256                   32 bytes
 *   56  target name, NUL-padded          16 bytes
 *   72  compiler identity, NUL-padded    128 bytes
 *   200 compiler flags, NUL-padded       128 bytes
 *   328 module size                      u64
 *   336 shared object size               u64
 *   344 SHA-256 of the whole file with these 32 bytes zeroed
 *   376 module bytes, then the shared object
 *
 * A reader checks, in order: magic, size (truncation), checksum
 * (corruption), format and ABI versions, target, and that the module
 * bytes hash to the recorded digest. Nothing is loaded before all pass.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "aot.h"
#include "aot_rt.h"
#include "mantle.h"

#define HDR_SIZE 376u
#define OFF_CHECKSUM 344u
#define FORMAT_VERSION 1u

int aot_sha256(const uint8_t *data, size_t n, uint8_t out[AOT_DIGEST_LEN])
{
    unsigned int len = 0;
    if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 ||
        len != AOT_DIGEST_LEN)
        return -1;
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put_str(uint8_t *p, size_t n, const char *s)
{
    memset(p, 0, n);
    size_t l = strlen(s);
    memcpy(p, s, l < n - 1 ? l : n - 1);
}

static void get_str(char *out, const uint8_t *p, size_t n)
{
    memcpy(out, p, n);
    out[n - 1] = '\0';
}

bool aot_is_artifact(const uint8_t *bytes, size_t size)
{
    return bytes && size >= AOT_MAGIC_LEN &&
           memcmp(bytes, AOT_MAGIC, AOT_MAGIC_LEN) == 0;
}

int aot_artifact_build(const aot_artifact_info *in, uint8_t **out,
                       size_t *out_size)
{
    size_t total = HDR_SIZE + in->wasm_size + in->so_size;
    uint8_t *b = calloc(1, total);
    if (!b)
        return MANTLE_ENOMEM;
    memcpy(b, AOT_MAGIC, AOT_MAGIC_LEN);
    put32(b + 12, FORMAT_VERSION);
    put32(b + 16, in->abi);
    put32(b + 20, (in->guard ? 1u : 0u) | (in->fuel ? 2u : 0u));
    memcpy(b + 24, in->digest, AOT_DIGEST_LEN);
    put_str(b + 56, 16, in->target);
    put_str(b + 72, 128, in->compiler);
    put_str(b + 200, 128, in->flags);
    put64(b + 328, in->wasm_size);
    put64(b + 336, in->so_size);
    memcpy(b + HDR_SIZE, in->wasm, in->wasm_size);
    memcpy(b + HDR_SIZE + in->wasm_size, in->so, in->so_size);
    if (aot_sha256(b, total, b + OFF_CHECKSUM) != 0) {
        free(b);
        return MANTLE_ENOMEM;
    }
    *out = b;
    *out_size = total;
    return MANTLE_OK;
}

#define REFUSE(...)                                                           \
    do {                                                                      \
        snprintf(err, errlen, __VA_ARGS__);                                   \
        return MANTLE_EINVAL;                                                 \
    } while (0)

int aot_artifact_parse(const uint8_t *b, size_t size, aot_artifact_info *o,
                       char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!aot_is_artifact(b, size))
        REFUSE("not a Mantle native artifact (bad magic)");
    if (size < HDR_SIZE)
        REFUSE("truncated artifact: %zu bytes, the header alone is %u", size,
               HDR_SIZE);
    uint64_t wsz = get64(b + 328), ssz = get64(b + 336);
    if (wsz > size || ssz > size || HDR_SIZE + wsz + ssz != size)
        REFUSE("truncated or padded artifact: %zu bytes, header says %llu",
               size, (unsigned long long)(HDR_SIZE + wsz + ssz));
    /* Checksum over the whole file with the checksum field zeroed. */
    uint8_t want[AOT_DIGEST_LEN], got[AOT_DIGEST_LEN];
    memcpy(want, b + OFF_CHECKSUM, AOT_DIGEST_LEN);
    uint8_t *copy = malloc(size);
    if (!copy)
        REFUSE("out of memory while checking the artifact");
    memcpy(copy, b, size);
    memset(copy + OFF_CHECKSUM, 0, AOT_DIGEST_LEN);
    int hr = aot_sha256(copy, size, got);
    free(copy);
    if (hr != 0 || memcmp(want, got, AOT_DIGEST_LEN) != 0)
        REFUSE("corrupted artifact: checksum mismatch");
    uint32_t fmt = get32(b + 12);
    if (fmt != FORMAT_VERSION)
        REFUSE("artifact format version %u, this mantle reads %u", fmt,
               FORMAT_VERSION);
    o->abi = get32(b + 16);
    uint32_t flags = get32(b + 20);
    o->guard = flags & 1u;
    o->fuel = (flags & 2u) != 0;
    memcpy(o->digest, b + 24, AOT_DIGEST_LEN);
    get_str(o->target, b + 56, 16);
    get_str(o->compiler, b + 72, 128);
    get_str(o->flags, b + 200, 128);
    o->wasm = b + HDR_SIZE;
    o->wasm_size = (size_t)wsz;
    o->so = b + HDR_SIZE + wsz;
    o->so_size = (size_t)ssz;
    if (o->abi != AOT_ABI_VERSION)
        REFUSE("artifact built for runtime ABI %u, this mantle has ABI %u: "
               "recompile it", o->abi, AOT_ABI_VERSION);
    const aot_target *host = aot_target_host();
    if (!host || strcmp(o->target, host->name) != 0)
        REFUSE("artifact built for %s, this host is %s", o->target,
               host ? host->name : "unsupported");
    /* The code itself must be for this machine too: a header that says
     * aarch64 over an x86-64 object (a compile with the wrong compiler, or
     * a crafted file) is refused here, not by dlopen's vaguer error. */
    if (o->so_size < 20 || memcmp(o->so, "\177ELF", 4) != 0)
        REFUSE("artifact's native code is not an ELF object");
    unsigned mach = (unsigned)o->so[18] | (unsigned)o->so[19] << 8;
    if (mach != host->elf_machine)
        REFUSE("artifact's native code is for ELF machine %u, this host (%s) "
               "runs %u: built with the wrong compiler?", mach, host->name,
               (unsigned)host->elf_machine);
    if (aot_sha256(o->wasm, o->wasm_size, got) != 0 ||
        memcmp(got, o->digest, AOT_DIGEST_LEN) != 0)
        REFUSE("artifact's module digest does not match its module bytes");
    return MANTLE_OK;
}
