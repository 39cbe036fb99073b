/* test_common.c - the fleet's names and module digests.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fleet.h"
#include "ft.h"

int main(void)
{
    char d[FLEET_DIGEST_LEN + 1];

    CHECK(fleet_arch_valid("x86_64") && fleet_arch_valid("riscv64"));
    CHECK(!fleet_arch_valid("x86-64") && !fleet_arch_valid(NULL));
    CHECK(fleet_tee_valid("none") && fleet_tee_valid("snp"));
    CHECK(!fleet_tee_valid("sev-snp") && !fleet_tee_valid(""));
    CHECK(fleet_arch_valid(fleet_arch_native()));
    /* SHA-256("abc"), FIPS 180-2 appendix B.1 */
    CHECK(fleet_digest((const uint8_t *)"abc", 3, d) == MANTLE_OK);
    CHECK_STR(d, "sha256:ba7816bf8f01cfea414140de5dae2223"
                 "b00361a396177a9cb410ff61f20015ad");
    CHECK(fleet_digest_valid(d));
    d[10] = 'A';
    CHECK(!fleet_digest_valid(d));
    CHECK(!fleet_digest_valid("sha256:abc"));
    CHECK(!fleet_digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223"
                              "b00361a396177a9cb410ff61f20015ad"));
    return ft_done("fleet_common");
}
