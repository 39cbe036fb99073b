/* artifact_test.c - native artifacts: one that runs, and every kind the
 * loader must refuse with a clear message (never load).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot.h"
#include "aot_rt.h"
#include "mantle.h"
#include "../check.h"

/* (module (memory 1) (func (export "f") (result i32) i32.const 42)) */
static const uint8_t wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60,
    0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01,
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00,
    0x41, 0x2a, 0x0b,
};


/* Load `bytes` as a module; expect refusal mentioning `want` (or success
 * and f() == 42 when want is NULL). */
static void expect(const char *what, mantle_engine *e, const uint8_t *bytes,
                   size_t size, const char *want)
{
    mantle_module *m = NULL;
    mantle_diag d;
    memset(&d, 0, sizeof d);
    int st = mantle_module_new(e, bytes, size, what, &m, &d);
    if (want) {
        CHECK(st == MANTLE_EREFUSED,
              "%s: loaded (status %d) but must be refused", what, st);
        CHECK(strstr(d.message, want) != NULL, "%s: message \"%s\" lacks \"%s\"",
              what, d.message, want);
        printf("ok %s: %s\n", what, d.message);
        mantle_module_free(m);
        return;
    }
    CHECK(st == MANTLE_OK, "%s: %s", what, d.message);
    if (st != MANTLE_OK)
        return;
    mantle_instance *inst = NULL;
    mantle_func *f = NULL;
    mantle_val r;
    st = mantle_instance_new(NULL, m, &inst, &d);
    CHECK(st == MANTLE_OK, "%s: instantiate: %s", what, d.message);
    if (st == MANTLE_OK && mantle_instance_func(inst, "f", &f) == MANTLE_OK) {
        st = mantle_func_call(f, NULL, 0, &r, 1, &d);
        CHECK(st == MANTLE_OK && r.of.i32 == 42, "%s: f() = %d (%s)", what,
              r.of.i32, d.message);
        printf("ok %s: runs\n", what);
    }
    mantle_instance_free(inst);
    mantle_module_free(m);
}

/* Re-seal an artifact after changing a header field (so the checksum
 * passes and the later check under test is the one that fires). */
static void rebuild(const uint8_t *art, size_t size, void (*edit)(aot_artifact_info *),
                    uint8_t **out, size_t *out_size)
{
    aot_artifact_info ai;
    char err[300];
    if (aot_artifact_parse(art, size, &ai, err, sizeof err) != MANTLE_OK) {
        printf("FAIL parse of a good artifact: %s\n", err);
        exit(1);
    }
    edit(&ai);
    if (aot_artifact_build(&ai, out, out_size) != MANTLE_OK)
        exit(1);
}

static void bad_digest(aot_artifact_info *ai) { ai->digest[0] ^= 1; }
static void bad_target(aot_artifact_info *ai)
{
    snprintf(ai->target, sizeof ai->target, "%s",
             strcmp(aot_target_host()->name, "riscv64") ? "riscv64" : "x86_64");
}
static void bad_abi(aot_artifact_info *ai) { ai->abi = AOT_ABI_VERSION + 1; }
/* The header names this host, the object inside is for another machine. */
static uint8_t *edited_so;
static void bad_machine(aot_artifact_info *ai)
{
    edited_so = malloc(ai->so_size);
    if (!edited_so)
        exit(1);
    memcpy(edited_so, ai->so, ai->so_size);
    edited_so[18] ^= 0x01;  /* e_machine */
    ai->so = edited_so;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/test.mantle", dir);
    if (mantle_aot_available(NULL) != MANTLE_OK) {
        printf("SKIP: no C compiler\n");
        return 77;
    }
    mantle_engine *e = NULL;
    if (mantle_engine_new(NULL, &e) != MANTLE_OK)
        return 1;
    mantle_diag d;
    memset(&d, 0, sizeof d);
    mantle_aot_options o;
    memset(&o, 0, sizeof o);
    o.opt_level = 1;
    int st = mantle_aot_compile(e, wasm, sizeof wasm, "test.wasm", &o, path,
                                NULL, &d);
    if (st != MANTLE_OK) {
        printf("FAIL compile: %s\n", d.message);
        return 1;
    }
    uint8_t *art = NULL;
    size_t size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1;
    fseek(f, 0, SEEK_END);
    size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    art = malloc(size);
    if (!art || fread(art, 1, size, f) != size)
        return 1;
    fclose(f);

    expect("good", e, art, size, NULL);

    uint8_t *b = malloc(size);
    memcpy(b, art, size);
    b[size / 2] ^= 0x40;  /* a byte inside the shared object */
    expect("corrupt-byte", e, b, size, "corrupted");
    memcpy(b, art, size);
    b[30] ^= 0x01;        /* a byte of the recorded digest */
    expect("corrupt-header", e, b, size, "corrupted");
    free(b);

    expect("truncated", e, art, size - 100, "truncated");
    expect("truncated-header", e, art, 200, "truncated");

    uint8_t *r = NULL;
    size_t rn = 0;
    rebuild(art, size, bad_digest, &r, &rn);
    expect("wrong-digest", e, r, rn, "digest");
    free(r);
    rebuild(art, size, bad_target, &r, &rn);
    expect("wrong-target", e, r, rn, "built for");
    free(r);
    rebuild(art, size, bad_abi, &r, &rn);
    expect("wrong-abi", e, r, rn, "ABI");
    free(r);
    rebuild(art, size, bad_machine, &r, &rn);
    expect("wrong-machine", e, r, rn, "ELF machine");
    free(r);
    free(edited_so);

    /* An engine that meters fuel refuses code compiled without it. */
    mantle_config cfg;
    mantle_config_init(&cfg);
    cfg.instance_fuel = 1000;
    mantle_engine *fe = NULL;
    if (mantle_engine_new(&cfg, &fe) == MANTLE_OK) {
        expect("wrong-fuel", fe, art, size, "fuel");
        mantle_engine_free(fe);
    }
    free(art);
    mantle_engine_free(e);
    return check_report("aot.artifacts");
}
