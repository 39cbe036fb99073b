/* fuzz_aot_emit.c - libFuzzer target: the AOT emitter on any valid module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Bytes that decode and validate go through aot_emit (C text only, no C
 * compiler), which walks every function body, including the loop plans of
 * src/aot/loop_scan.c that read a loop ahead of the emitter. Refusals are
 * expected; crashes, sanitizer reports and hangs are bugs.
 */
#include <stdint.h>
#include <stdlib.h>

#include "aot.h"
#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wasm_module *m = NULL;
    wasm_error err;
    if (wasm_decode(&mt_default_allocator, data, size, &m, &err) != 0)
        return 0;
    if (wasm_validate(m, &err) == 0) {
        aot_emit_out out;
        char msg[256];
        if (aot_emit(m, 4, &out, msg, sizeof msg) == 0)
            aot_emit_free(&out);
    }
    wasm_module_free(m);
    return 0;
}
