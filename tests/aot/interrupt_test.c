/* interrupt_test.c - mantle_instance_interrupt on native code, which has
 * no loop polls: another thread's request stops a bare loop (a signal to
 * the running thread), the report names the function, a request made
 * before the call still stops it, and the instance runs again once the
 * flag is cleared.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mantle.h"

/* (module
 *   (func (export "f") (result i32) i32.const 42)
 *   (func (export "spin") (loop $l (br $l)))) */
static const uint8_t wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x60,
    0x00, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x03, 0x03, 0x02, 0x00, 0x01, 0x07,
    0x0c, 0x02, 0x01, 0x66, 0x00, 0x00, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00,
    0x01, 0x0a, 0x0e, 0x02, 0x04, 0x00, 0x41, 0x2a, 0x0b, 0x07, 0x00, 0x03,
    0x40, 0x0c, 0x00, 0x0b, 0x0b,
};

static int failures;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            printf("FAIL: " __VA_ARGS__);                                     \
            printf("\n");                                                     \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static void *interrupter(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    mantle_instance_interrupt(arg);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    mantle_config cfg;
    mantle_config_init(&cfg);
    cfg.tier = MANTLE_TIER_AOT;
    cfg.aot_opt_level = 1;
    mantle_engine *e = NULL;
    mantle_module *m = NULL;
    mantle_linker *l = NULL;
    mantle_instance *inst = NULL;
    mantle_func *f = NULL, *spin = NULL;
    mantle_diag d;
    memset(&d, 0, sizeof d);
    if (mantle_engine_new(&cfg, &e) != MANTLE_OK ||
        mantle_module_new(e, wasm, sizeof wasm, "intr.wasm", &m, &d) !=
            MANTLE_OK ||
        mantle_linker_new(e, &l) != MANTLE_OK ||
        mantle_instance_new(l, m, &inst, &d) != MANTLE_OK ||
        mantle_instance_func(inst, "f", &f) != MANTLE_OK ||
        mantle_instance_func(inst, "spin", &spin) != MANTLE_OK) {
        printf("FAIL setup: %s\n", d.message);
        return 1;
    }

    /* From another thread, while the loop runs. */
    pthread_t th;
    pthread_create(&th, NULL, interrupter, inst);
    double t0 = now();
    int st = mantle_func_call(spin, NULL, 0, NULL, 0, &d);
    double secs = now() - t0;
    pthread_join(th, NULL);
    CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_INTERRUPTED &&
              d.func_index == 1 && strstr(d.message, "function 1"),
          "interrupt while running: st %d trap %d func %u: %s", st, d.trap,
          d.func_index, d.message);
    CHECK(secs < 5.0, "interrupt took %.2f s", secs);

    /* Requested before the call (the flag stays set): stopped too. */
    t0 = now();
    st = mantle_func_call(spin, NULL, 0, NULL, 0, &d);
    secs = now() - t0;
    CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_INTERRUPTED,
          "interrupt requested before the call: st %d: %s", st, d.message);
    CHECK(secs < 5.0, "pending interrupt took %.2f s", secs);

    /* Cleared: the instance runs again. */
    mantle_instance_clear_interrupt(inst);
    mantle_val r;
    st = mantle_func_call(f, NULL, 0, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.of.i32 == 42, "after clear: st %d", st);

    mantle_instance_free(inst);
    mantle_linker_free(l);
    mantle_module_free(m);
    mantle_engine_free(e);
    printf("aot.interrupt: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
