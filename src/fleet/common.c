/* common.c - the fleet's names (architectures, TEE kinds) and module digests.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <string.h>

#include <openssl/evp.h>

#include "fleet.h"

static const char *const arches[] = {"x86_64", "aarch64", "armv7", "riscv64"};
static const char *const tees[] = {"none", "soft", "tpm", "snp",
                                   "tdx",  "sgx",  "cca"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    if (s == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

bool fleet_arch_valid(const char *arch)
{
    return in_list(arch, arches, sizeof arches / sizeof *arches);
}

bool fleet_tee_valid(const char *tee)
{
    return in_list(tee, tees, sizeof tees / sizeof *tees);
}

const char *fleet_arch_native(void)
{
#if defined(__x86_64__)
    return "x86_64";
#elif defined(__aarch64__)
    return "aarch64";
#elif defined(__arm__)
    return "armv7";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#else
#error "fleet: unknown architecture (src/fleet/common.c)"
#endif
}

int fleet_digest(const uint8_t *data, size_t len,
                 char out[FLEET_DIGEST_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t md[32];
    unsigned mdlen = 0;

    if (data == NULL && len != 0)
        return MANTLE_EINVAL;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return MANTLE_ENOMEM;
    memcpy(out, "sha256:", 7);
    for (size_t i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[FLEET_DIGEST_LEN] = '\0';
    return MANTLE_OK;
}

bool fleet_digest_valid(const char *s)
{
    if (s == NULL || strncmp(s, "sha256:", 7) != 0 ||
        strlen(s) != FLEET_DIGEST_LEN)
        return false;
    for (const char *p = s + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}
