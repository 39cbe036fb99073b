/* fuzz_wat.c - libFuzzer target: the text format parser, then decode, validate and disassemble.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Any bytes go to wasm_wat_to_binary as text. What it accepts must be a
 * binary the decoder reads (a text module either loads, or fails as
 * malformed/invalid with a message: never a crash); what loads is then
 * disassembled function by function. Errors are expected; crashes,
 * sanitizer reports, hangs and quadratic blow-ups are bugs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mantle.h"
#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, const char *text, size_t len)
{
    (void)text;
    *(size_t *)ctx += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mantle_engine *engine;
    uint8_t *bin = NULL;
    size_t bin_size = 0;
    wasm_error err;

    if (!engine && mantle_engine_new(NULL, &engine) != MANTLE_OK)
        abort();
    if (wasm_wat_to_binary(&mt_default_allocator, (const char *)data, size,
                           &bin, &bin_size, &err) != 0) {
        /* the message always says where */
        if (err.malformed && err.msg[0] == '\0')
            abort();
        return 0;
    }
    mantle_module *module = NULL;
    mantle_diag diag;
    int st = mantle_module_new(engine, bin, bin_size, "fuzz.wat", &module,
                               &diag);
    mt_free(&mt_default_allocator, bin);
    if (st != MANTLE_OK)
        return 0;
    mantle_module_stats stats;
    mantle_module_stats_get(module, &stats);
    size_t total = 0;
    for (uint32_t i = 0; i < stats.funcs && i < 1000; i++)
        if (mantle_module_disasm(module, i, sink, &total) != MANTLE_OK)
            abort();
    mantle_module_free(module);
    return 0;
}
