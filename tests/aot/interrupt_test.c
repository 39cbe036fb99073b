/* interrupt_test.c - mantle_instance_interrupt on native code, which has
 * no loop polls: another thread's request stops a bare loop (a signal to
 * the running thread), the report names the function, a request made
 * before the call still stops it, and the instance runs again once the
 * flag is cleared.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <pthread.h>
#include <time.h>

#include "../check.h"

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
    struct check_inst ci;
    mantle_func *f = NULL, *spin = NULL;
    mantle_diag d;
    memset(&d, 0, sizeof d);
    if (check_instantiate(&cfg, wasm, sizeof wasm, "intr.wasm", &ci) != 0)
        return 1;
    mantle_instance *inst = ci.inst;
    if (mantle_instance_func(inst, "f", &f) != MANTLE_OK ||
        mantle_instance_func(inst, "spin", &spin) != MANTLE_OK) {
        fprintf(stderr, "FAIL setup: the exports f and spin\n");
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

    check_inst_free(&ci);
    return check_report("aot.interrupt");
}
