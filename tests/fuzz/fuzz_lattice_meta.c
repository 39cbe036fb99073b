/* fuzz_lattice_meta.c - libFuzzer target: the object store's meta parser.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The bytes are an ADR-20 meta message as anyone allowed to publish on
 * $O.mantle-modules.M.> could write it (src/fleet/objstore.c). Whatever
 * parses must be safe to use: the nuid a plain subject token, the digest
 * of the one form, chunks consistent with the size; every refusal says
 * why.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "lattice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lattice_obj_meta m;
    char err[256];

    err[0] = '\0';
    if (lattice_obj_meta_parse((const char *)data, size, &m, err,
                               sizeof err) != 0) {
        assert(err[0] != '\0');
        return 0;
    }
    if (m.deleted)
        return 0;
    assert(m.nuid[0] != '\0' && strpbrk(m.nuid, ".*> \t\r\n") == NULL);
    assert(strncmp(m.digest, "SHA-256=", 8) == 0 && strlen(m.digest) == 52);
    assert(m.chunks <= m.size && (m.chunks == 0) == (m.size == 0));
    return 0;
}
