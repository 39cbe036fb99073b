/* check.h - what the C unit tests share: CHECK (count; on failure say
 * where, which condition, and why, then go on) and a module instantiated
 * from bytes with a given engine configuration.
 *
 *   CHECK(cond, "printf format", args...)   the message is required
 *   return check_report("name");            "name: N passed, M failed"
 *
 * The counters are atomic: tests check from several threads.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_TESTS_CHECK_H
#define MANTLE_TESTS_CHECK_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "mantle.h"

static atomic_int check_passed, check_failed;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            atomic_fetch_add(&check_passed, 1);                               \
        } else {                                                              \
            atomic_fetch_add(&check_failed, 1);                               \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

/* Prints the counts under `name`; the exit status: 1 if a check failed. */
static inline int check_report(const char *name)
{
    int failed = atomic_load(&check_failed);

    printf("%s: %d passed, %d failed\n", name, atomic_load(&check_passed),
           failed);
    return failed ? 1 : 0;
}

/* An engine, a module from bytes, an empty linker, and an instance. */
struct check_inst {
    mantle_engine *engine;
    mantle_module *module;
    mantle_linker *linker;
    mantle_instance *inst;
};

static inline void check_inst_free(struct check_inst *ci)
{
    mantle_instance_free(ci->inst);
    mantle_linker_free(ci->linker);
    mantle_module_free(ci->module);
    mantle_engine_free(ci->engine);
    memset(ci, 0, sizeof *ci);
}

/* 0, or -1 after printing why (and freeing what was made). */
static inline int check_instantiate(const mantle_config *cfg,
                                    const uint8_t *wasm, size_t len,
                                    const char *name, struct check_inst *ci)
{
    mantle_diag d;

    memset(ci, 0, sizeof *ci);
    memset(&d, 0, sizeof d);
    if (mantle_engine_new(cfg, &ci->engine) != MANTLE_OK ||
        mantle_module_new(ci->engine, wasm, len, name, &ci->module, &d) !=
            MANTLE_OK ||
        mantle_linker_new(ci->engine, &ci->linker) != MANTLE_OK ||
        mantle_instance_new(ci->linker, ci->module, &ci->inst, &d) !=
            MANTLE_OK) {
        fprintf(stderr, "FAIL setup of %s: %s\n", name, d.message);
        check_inst_free(ci);
        return -1;
    }
    return 0;
}

#endif
