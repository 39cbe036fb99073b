/* embed.c - the embedding API in one page: load, host function, call, trap.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: embed embed.wasm   (examples/embed.wat, built by CMake)
 */
#include <stdio.h>

#include "mantle.h"

/* host.log(ptr, len): print a string from the caller's memory. */
static int host_log(mantle_caller *caller, void *env, const mantle_val *args,
                    mantle_val *results)
{
    char buf[256];
    uint32_t len = (uint32_t)args[1].of.i32;
    mantle_memory *mem = mantle_caller_memory(caller);

    if (!mem || len >= sizeof buf ||
        mantle_memory_read(mem, (uint32_t)args[0].of.i32, buf, len) !=
            MANTLE_OK) {
        mantle_caller_set_error(caller, "log: string out of bounds");
        return MANTLE_EBOUNDS; /* the guest traps */
    }
    printf("guest says: %.*s\n", (int)len, buf);
    return MANTLE_OK;
}

int main(int argc, char **argv)
{
    static const mantle_valkind log_params[] = {MANTLE_I32, MANTLE_I32};
    const mantle_functype log_type = {2, log_params, 0, NULL};
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_linker *linker = NULL;
    mantle_instance *inst = NULL;
    mantle_func *greet, *divide;
    mantle_val args[2] = {{.kind = MANTLE_I32, .of.i32 = 84},
                          {.kind = MANTLE_I32, .of.i32 = 2}};
    mantle_val result;
    mantle_diag diag = {0};
    char trace[1024];
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: embed FILE.wasm\n");
        return 2;
    }
    if (mantle_engine_new(NULL, &engine) != MANTLE_OK ||
        mantle_module_load(engine, argv[1], &module, &diag) != MANTLE_OK ||
        mantle_linker_new(engine, &linker) != MANTLE_OK ||
        mantle_linker_define_func(linker, "host", "log", &log_type, host_log,
                                  NULL, NULL) != MANTLE_OK ||
        mantle_instance_new(linker, module, &inst, &diag) != MANTLE_OK ||
        mantle_instance_func(inst, "greet", &greet) != MANTLE_OK ||
        mantle_instance_func(inst, "divide", &divide) != MANTLE_OK)
        goto fail;

    if (mantle_func_call(greet, NULL, 0, &result, 1, &diag) != MANTLE_OK)
        goto fail;
    printf("greet() = %d\n", (int)result.of.i32);
    if (mantle_func_call(divide, args, 2, &result, 1, &diag) != MANTLE_OK)
        goto fail;
    printf("divide(84, 2) = %d\n", (int)result.of.i32);

    args[1].of.i32 = 0; /* now make it trap */
    if (mantle_func_call(divide, args, 2, &result, 1, &diag) != MANTLE_ETRAP)
        goto fail;
    mantle_diag_backtrace(&diag, module, trace, sizeof trace);
    printf("trap: %s\n%s", mantle_trap_message(diag.trap), trace);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "embed: %s: %s\n", argv[1],
            diag.message[0] ? diag.message : "failed");
out:
    mantle_instance_free(inst);
    mantle_linker_free(linker);
    mantle_module_free(module);
    mantle_engine_free(engine);
    return rc;
}
