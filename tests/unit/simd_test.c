/* simd_test.c - v128 values through the embedding API, host functions and
 * calls, driven through include/mantle.h only.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Usage: simd_test simd.wasm   (built from tests/unit/simd.wat)
 * Ends with "simd: N passed, M failed"; exit 1 if any check failed.
 */
#include <stdio.h>
#include <string.h>

#include "mantle.h"
#include "../check.h"


static void put_i32x4(mantle_val *v, int32_t a, int32_t b, int32_t c,
                      int32_t d)
{
    int32_t l[4] = {a, b, c, d};
    v->kind = MANTLE_V128;
    memcpy(v->of.v128, l, 16);  /* lanes little-endian, as on our hosts */
}

static int32_t lane(const mantle_val *v, int i)
{
    int32_t l[4];
    memcpy(l, v->of.v128, 16);
    return l[i];
}

static int mix_calls;
static double mix_d;

/* (i, v, d) -> (v + i in every lane, i + 1000), d recorded. */
static int host_mix(mantle_caller *c, void *env, const mantle_val *args,
                    mantle_val *results)
{
    (void)c, (void)env;
    mix_calls++;
    mix_d = args[2].of.f64;
    if (args[0].kind != MANTLE_I32 || args[1].kind != MANTLE_V128 ||
        args[2].kind != MANTLE_F64)
        return MANTLE_EINVAL;
    int32_t i = args[0].of.i32;
    put_i32x4(&results[0], lane(&args[1], 0) + i, lane(&args[1], 1) + i,
              lane(&args[1], 2) + i, lane(&args[1], 3) + i);
    results[1].of.i32 = i + 1000;
    return MANTLE_OK;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: simd_test simd.wasm\n");
        return 2;
    }
    mantle_config cfg;
    mantle_config_init(&cfg);
    mantle_engine *e;
    if (mantle_engine_new(&cfg, &e) != MANTLE_OK)
        return 1;
    mantle_diag d;
    mantle_module *m;
    int st = mantle_module_load(e, argv[1], &m, &d);
    CHECK(st == MANTLE_OK, "load: %s", d.message);
    if (st != MANTLE_OK)
        return 1;
    mantle_linker *l;
    CHECK(mantle_linker_new(e, &l) == MANTLE_OK, "linker");
    const mantle_valkind p[] = {MANTLE_I32, MANTLE_V128, MANTLE_F64};
    const mantle_valkind r[] = {MANTLE_V128, MANTLE_I32};
    mantle_functype mix_t = {3, p, 2, r};
    CHECK(mantle_linker_define_func(l, "host", "mix", &mix_t, host_mix, NULL,
                                    NULL) == MANTLE_OK, "define mix");
    mantle_instance *inst = NULL;
    st = mantle_instance_new(l, m, &inst, &d);
    CHECK(st == MANTLE_OK, "instantiate: %s", d.message);
    if (st != MANTLE_OK)
        return 1;

    /* Mixed widths in and out of the API. */
    mantle_func *f;
    CHECK(mantle_instance_func(inst, "shift", &f) == MANTLE_OK, "shift");
    mantle_val args[3], res[3];
    args[0].kind = MANTLE_I32;
    args[0].of.i32 = 5;
    put_i32x4(&args[1], 10, 20, 30, -40);
    args[2].kind = MANTLE_F64;
    args[2].of.f64 = 2.25;
    st = mantle_func_call(f, args, 3, res, 3, &d);
    CHECK(st == MANTLE_OK && res[0].kind == MANTLE_V128 &&
              lane(&res[0], 0) == 15 && lane(&res[0], 3) == -35 &&
              res[1].kind == MANTLE_I32 && res[1].of.i32 == 10 &&
              res[2].kind == MANTLE_F64 && res[2].of.f64 == 3.25,
          "shift: %d %s", st, d.message);

    /* Wasm calls, a v128 block, the host function and the global:
     * g = (1,2,3,4); shift(7, g, .5) = ((8,9,10,11), 14, 1.5); the block
     * multiplies by 3: (24,27,30,33); mix(14, that, 1.5) = ((38,41,44,47),
     * 1014); g = that vector; result 1014 + 47. */
    CHECK(mantle_instance_func(inst, "run", &f) == MANTLE_OK, "run");
    args[0].of.i32 = 7;
    st = mantle_func_call(f, args, 1, res, 1, &d);
    CHECK(st == MANTLE_OK && res[0].of.i32 == 1061 && mix_calls == 1 &&
              mix_d == 1.5,
          "run: %d %d calls %d d %g %s", st, res[0].of.i32, mix_calls, mix_d,
          d.message);
    mantle_global *g;
    CHECK(mantle_instance_global(inst, "g", &g) == MANTLE_OK, "global");
    mantle_val gv = mantle_global_get(g);
    CHECK(gv.kind == MANTLE_V128 && lane(&gv, 0) == 38 && lane(&gv, 3) == 47,
          "global: %d %d", lane(&gv, 0), lane(&gv, 3));

    /* select on v128, both ways. */
    CHECK(mantle_instance_func(inst, "pick", &f) == MANTLE_OK, "pick");
    put_i32x4(&args[1], 1, 2, 3, 4);
    put_i32x4(&args[2], 5, 6, 7, 8);
    args[0].of.i32 = 1;
    st = mantle_func_call(f, args, 3, res, 1, &d);
    CHECK(st == MANTLE_OK && lane(&res[0], 0) == 1 && lane(&res[0], 3) == 4,
          "pick x: %d", st);
    args[0].of.i32 = 0;
    st = mantle_func_call(f, args, 3, res, 1, &d);
    CHECK(st == MANTLE_OK && lane(&res[0], 0) == 5 && lane(&res[0], 3) == 8,
          "pick y: %d", st);

    mantle_instance_free(inst);
    mantle_linker_free(l);
    mantle_module_free(m);
    mantle_engine_free(e);
    return check_report("simd");
}
