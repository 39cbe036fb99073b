/* thread_test.c - AOT code called from many short-lived threads: each
 * thread's alternate signal stack (for guard-region faults) is freed when
 * the thread ends, and a fault on any of them still traps cleanly.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <pthread.h>
#include <stdlib.h>

#include "../check.h"

/* (module (memory 1)
 *   (func (export "f") (result i32) i32.const 42)
 *   (func (export "oob") (result i32) i32.const 65536 i32.load)) */
static const uint8_t wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60,
    0x00, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00,
    0x01, 0x07, 0x0b, 0x02, 0x01, 0x66, 0x00, 0x00, 0x03, 0x6f, 0x6f, 0x62,
    0x00, 0x01, 0x0a, 0x10, 0x02, 0x04, 0x00, 0x41, 0x2a, 0x0b, 0x09, 0x00,
    0x41, 0x80, 0x80, 0x04, 0x28, 0x02, 0x00, 0x0b,
};

enum { THREADS = 200 };

static mantle_func *fn_ok, *fn_oob;

static void *run(void *arg)
{
    int k = *(int *)arg;
    mantle_val r;
    mantle_diag d;
    memset(&d, 0, sizeof d);
    /* Every 10th thread faults in the guard region: the handler runs on
     * this thread's alternate stack. */
    int st = mantle_func_call(k % 10 ? fn_ok : fn_oob, NULL, 0, &r, 1, &d);
    if (k % 10)
        CHECK(st == MANTLE_OK && r.of.i32 == 42, "thread %d: st %d", k, st);
    else
        CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_OUT_OF_BOUNDS,
              "thread %d (out of bounds): st %d trap %d", k, st, d.trap);
    return NULL;
}

/* Virtual size of this process in KiB (VmSize), or -1. */
static long vm_size_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld kB", &v) == 1)
            break;
    fclose(f);
    return v;
}

static long run_threads(int n)
{
    for (int k = 0; k < n; k++) {
        pthread_t t;
        if (pthread_create(&t, NULL, run, &k) != 0 || pthread_join(t, NULL))
            return -1;
    }
    return vm_size_kib();
}

int main(void)
{
    mantle_config cfg;
    mantle_config_init(&cfg);
    cfg.tier = MANTLE_TIER_AOT;
    cfg.aot_opt_level = 1;
    struct check_inst ci;
    if (check_instantiate(&cfg, wasm, sizeof wasm, "thread.wasm", &ci) != 0)
        return 1;
    if (mantle_instance_func(ci.inst, "f", &fn_ok) != MANTLE_OK ||
        mantle_instance_func(ci.inst, "oob", &fn_oob) != MANTLE_OK) {
        fprintf(stderr, "FAIL setup: the exports f and oob\n");
        return 1;
    }
    /* Warm up (thread stacks cached by the C library, the fault handler),
     * then the virtual size must not grow with the number of threads that
     * ran native code: a leaked 64 KiB stack each would add 12.5 MiB. */
    long before = run_threads(20);
    long after = run_threads(THREADS);
    printf("VmSize %ld KiB after 20 threads, %ld KiB after %d more\n", before,
           after, THREADS);
    CHECK(before >= 0 && after >= 0 && after - before <= 2048,
          "alternate signal stacks leak (%ld KiB)", after - before);
    check_inst_free(&ci);
    return check_report("aot.threads");
}
