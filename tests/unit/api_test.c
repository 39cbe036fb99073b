/* api_test.c - the embedding API, driven through include/mantle.h only.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Usage: api_test api.wasm   (api.wasm is built from tests/unit/api.wat)
 * Ends with "api: N passed, M failed"; exit 1 if any check failed.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mantle.h"
#include "../check.h"


static mantle_instance *g_inst;
static int host_calls;

static int host_add(mantle_caller *c, void *env, const mantle_val *args,
                    mantle_val *results)
{
    (void)c;
    host_calls++;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32 + *(int *)env;
    return MANTLE_OK;
}

static int host_fail(mantle_caller *c, void *env, const mantle_val *args,
                     mantle_val *results)
{
    (void)env, (void)args, (void)results;
    mantle_caller_set_error(c, "the host said no");
    return MANTLE_EINVAL;
}

/* Calls the guest's "twice" from inside a host call. */
static int host_reenter(mantle_caller *c, void *env, const mantle_val *args,
                        mantle_val *results)
{
    (void)env;
    mantle_func *twice;
    if (mantle_instance_func(mantle_caller_instance(c), "twice", &twice))
        return MANTLE_ENOTFOUND;
    mantle_val arg = {.kind = MANTLE_I32, .of.i32 = args[0].of.i32 + 1};
    return mantle_func_call(twice, &arg, 1, results, 1, NULL);
}

static void *interrupter(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    mantle_instance_interrupt(arg);
    return NULL;
}

static int call1(const char *name, const mantle_val *args, size_t nargs,
                 mantle_val *res, size_t nres, mantle_diag *d)
{
    mantle_func *f;
    int st = mantle_instance_func(g_inst, name, &f);
    if (st != MANTLE_OK)
        return st;
    return mantle_func_call(f, args, nargs, res, nres, d);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: api_test api.wasm\n");
        return 2;
    }
    mantle_config cfg;
    mantle_config_init(&cfg);
    cfg.max_call_depth = 500;
    mantle_engine *e;
    if (mantle_engine_new(&cfg, &e) != MANTLE_OK)
        return 1;
    mantle_diag d;
    mantle_module *m;
    int st = mantle_module_load(e, argv[1], &m, &d);
    CHECK(st == MANTLE_OK, "load: %s", d.message);
    if (st != MANTLE_OK)
        return 1;

    /* Imports are described, and unlinkable without the host module. */
    CHECK(mantle_module_import_count(m) == 3, "%zu imports",
          mantle_module_import_count(m));
    mantle_linker *l;
    CHECK(mantle_linker_new(e, &l) == MANTLE_OK, "linker");
    mantle_instance *inst = NULL;
    st = mantle_instance_new(l, m, &inst, &d);
    CHECK(st == MANTLE_EUNLINKABLE && strstr(d.message, "\"host\" \"add\""),
          "unlinkable: %d %s", st, d.message);

    static int bias = 100;
    const mantle_valkind ii[] = {MANTLE_I32, MANTLE_I32};
    const mantle_valkind i[] = {MANTLE_I32};
    mantle_functype add_t = {2, ii, 1, i}, fail_t = {0, NULL, 0, NULL},
                    re_t = {1, i, 1, i};
    CHECK(mantle_linker_define_func(l, "host", "add", &add_t, host_add, &bias,
                                    NULL) == MANTLE_OK, "define add");
    CHECK(mantle_linker_define_func(l, "host", "fail", &fail_t, host_fail,
                                    NULL, NULL) == MANTLE_OK, "define fail");
    CHECK(mantle_linker_define_func(l, "host", "reenter", &re_t, host_reenter,
                                    NULL, NULL) == MANTLE_OK, "define reenter");
    /* A wrongly typed definition shadows the right one: unlinkable. */
    mantle_linker *l2;
    CHECK(mantle_linker_new(e, &l2) == MANTLE_OK, "linker 2");
    CHECK(mantle_linker_define_func(l2, "host", "add", &fail_t, host_fail,
                                    NULL, NULL) == MANTLE_OK, "define bad");
    st = mantle_instance_new(l2, m, &inst, &d);
    CHECK(st == MANTLE_EUNLINKABLE && strstr(d.message, "incompatible"),
          "incompatible: %d %s", st, d.message);
    mantle_linker_free(l2);

    st = mantle_instance_new(l, m, &inst, &d);
    CHECK(st == MANTLE_OK, "instantiate: %s", d.message);
    if (st != MANTLE_OK)
        return 1;
    g_inst = inst;

    /* Host function with env, typed results. */
    mantle_val a2[2] = {{.kind = MANTLE_I32, .of.i32 = 2},
                        {.kind = MANTLE_I32, .of.i32 = 3}};
    mantle_val r;
    st = call1("call_host", a2, 2, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.kind == MANTLE_I32 && r.of.i32 == 105 &&
              host_calls == 1, "call_host: %d %d", st, r.of.i32);

    /* Argument type and count mismatches are refused, not run. */
    mantle_val bad = {.kind = MANTLE_I64, .of.i64 = 1};
    st = call1("twice", &bad, 1, &r, 1, &d);
    CHECK(st == MANTLE_ETYPE, "type mismatch: %d", st);
    st = call1("twice", a2, 2, &r, 1, &d);
    CHECK(st == MANTLE_ETYPE, "arity mismatch: %d", st);

    /* A failing host function traps with its message. */
    st = call1("call_fail", NULL, 0, NULL, 0, &d);
    CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_HOST &&
              strstr(d.message, "the host said no"),
          "host failure: %d %s", st, d.message);

    /* Re-entry: host -> guest on the same thread. */
    mantle_val a1 = {.kind = MANTLE_I32, .of.i32 = 20};
    st = call1("call_reenter", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.of.i32 == 42, "reenter: %d %d %s", st,
          r.of.i32, d.message);

    /* Call depth: a clean trap with a backtrace, never a host overflow. */
    a1.of.i32 = 0;
    st = call1("deep", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_STACK_EXHAUSTED &&
              d.nframes == MANTLE_BACKTRACE_MAX && d.frames_omitted > 0,
          "depth: %d trap %d frames %u", st, d.trap, d.nframes);
    char bt[4096];
    mantle_diag_backtrace(&d, m, bt, sizeof bt);
    CHECK(strstr(bt, "deep") != NULL, "backtrace names: %s", bt);
    /* The instance is usable after a trap. */
    st = call1("twice", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.of.i32 == 0, "after trap: %d", st);

    /* Fuel: a budget stops an endless loop; the remainder is reported. */
    mantle_instance_set_fuel(inst, 100000);
    st = call1("spin", NULL, 0, NULL, 0, &d);
    CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_OUT_OF_FUEL,
          "fuel: %d %s", st, d.message);
    CHECK(mantle_instance_fuel(inst) == 0, "fuel left %llu",
          (unsigned long long)mantle_instance_fuel(inst));
    /* Enough fuel for a bounded loop, and fuel is consumed. */
    mantle_instance_set_fuel(inst, 1000000);
    a1.of.i32 = 1000;
    st = call1("sum", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.of.i64 == 500500, "sum: %d %lld", st,
          (long long)r.of.i64);
    uint64_t left = mantle_instance_fuel(inst);
    CHECK(left < 1000000 - 1000 && left > 0, "fuel consumed: %llu",
          (unsigned long long)left);
    /* Too little fuel for the same loop traps. */
    mantle_instance_set_fuel(inst, 500);
    st = call1("sum", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_OUT_OF_FUEL,
          "short fuel: %d", st);
    mantle_instance_set_fuel(inst, UINT64_MAX);

    /* Interruption from another thread. */
    pthread_t th;
    pthread_create(&th, NULL, interrupter, inst);
    st = call1("spin", NULL, 0, NULL, 0, &d);
    pthread_join(th, NULL);
    CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_INTERRUPTED &&
              strstr(d.message, "spin"),
          "interrupt: %d %s", st, d.message);
    mantle_instance_clear_interrupt(inst);
    st = call1("twice", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.of.i32 == 2000, "after interrupt: %d", st);

    /* Memory: data segment visible, bounds-checked access, growth to the
     * declared maximum and no further. */
    mantle_memory *mem;
    CHECK(mantle_instance_memory(inst, "memory", &mem) == MANTLE_OK, "mem");
    char buf[7] = {0};
    CHECK(mantle_memory_read(mem, 16, buf, 6) == MANTLE_OK &&
              strcmp(buf, "mantle") == 0, "data: %s", buf);
    CHECK(mantle_memory_read(mem, 65536 - 2, buf, 4) == MANTLE_EBOUNDS,
          "read past the end");
    CHECK(mantle_memory_data(mem, UINT64_MAX - 1, 4) == NULL, "huge offset");
    CHECK(mantle_memory_write(mem, 100, "Z", 1) == MANTLE_OK, "write");
    a1.of.i32 = 100;
    st = call1("load", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.of.i32 == 'Z', "guest sees host write");
    a1.of.i32 = 3;
    st = call1("grow", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.of.i32 == 1 &&
              mantle_memory_size(mem) == 4 * 65536, "grow to max");
    a1.of.i32 = 1;
    st = call1("grow", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_OK && r.of.i32 == -1, "grow past max fails");
    a1.of.i32 = 4 * 65536;
    st = call1("load", &a1, 1, &r, 1, &d);
    CHECK(st == MANTLE_ETRAP && d.trap == MANTLE_TRAP_OUT_OF_BOUNDS &&
              d.offset != UINT32_MAX,
          "oob: %d %s", st, d.message);

    /* Globals: exported, mutable, typed. */
    mantle_global *g;
    CHECK(mantle_instance_global(inst, "g", &g) == MANTLE_OK, "global");
    mantle_val gv = mantle_global_get(g);
    CHECK(gv.kind == MANTLE_I32 && gv.of.i32 == 7, "global value");
    gv.of.i32 = 9;
    CHECK(mantle_global_set(g, &gv) == MANTLE_OK &&
              mantle_global_get(g).of.i32 == 9, "global set");
    gv.kind = MANTLE_F64;
    CHECK(mantle_global_set(g, &gv) == MANTLE_ETYPE, "global type");
    CHECK(mantle_instance_func(inst, "nope", &(mantle_func *){0}) ==
              MANTLE_ENOTFOUND, "missing export");

    /* Malformed and invalid modules say where. */
    static const uint8_t junk[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
    mantle_module *bad_m;
    st = mantle_module_new(e, junk, sizeof junk, "junk.wasm", &bad_m, &d);
    CHECK(st == MANTLE_EMALFORMED && strstr(d.message, "junk.wasm"),
          "malformed: %d %s", st, d.message);

    mantle_instance_free(inst);
    mantle_linker_free(l);
    mantle_module_free(m);
    mantle_engine_free(e);
    return check_report("api");
}
