/* wat_test.c - text format parser: errors with line:column, limits, literals, API, disassembly.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mantle.h"
#include "module.h"
#include "../check.h"


/* Parse text; returns 0 or -1, the message in err. Output bytes freed. */
static int parse(const char *text, size_t len, wasm_error *err,
                 size_t *out_size)
{
    uint8_t *bin = NULL;
    size_t size = 0;
    int rc = wasm_wat_to_binary(&mt_default_allocator, text, len, &bin, &size,
                                err);
    if (rc == 0)
        mt_free(&mt_default_allocator, bin);
    if (out_size)
        *out_size = size;
    return rc;
}

static void expect_error(const char *text, const char *want)
{
    wasm_error err;
    int rc = parse(text, strlen(text), &err, NULL);
    CHECK(rc != 0, "accepted: %s", text);
    if (rc != 0)
        CHECK(strstr(err.msg, want) != NULL && err.malformed,
              "%s: got \"%s\", want \"%s\"", text, err.msg, want);
}

static void expect_ok(const char *text)
{
    wasm_error err;
    int rc = parse(text, strlen(text), &err, NULL);
    CHECK(rc == 0, "rejected: %s: %s", text, err.msg);
}

/* Load through the public API: status and message. */
static int load(mantle_engine *e, const char *text, const char *name,
                mantle_diag *d, mantle_module **out)
{
    *out = NULL;
    return mantle_module_new(e, (const uint8_t *)text, strlen(text), name,
                             out, d);
}

static void test_errors(void)
{
    expect_error("(module\n  (func (call $foo)))", "2:15: unknown function $foo");
    expect_error("(module (func (local.get $x)))", "1:26: unknown local $x");
    expect_error("(module (func (br $l)))", "unknown label $l");
    expect_error("(module (func $f) (func $f))", "1:25: duplicate function $f");
    expect_error("(module (func (param $a i32) (local $a i32)))",
                 "duplicate local $a");
    expect_error("(module (func block $a end $b))", "mismatching label");
    expect_error("(module (func end))", "unexpected end");
    expect_error("(module (func block))", "missing end");
    expect_error("(module (func i32.foo))", "unknown operator i32.foo");
    expect_error("(module (func) (import \"a\" \"b\" (func)))",
                 "import after function");
    expect_error("(module (type $t (func)) (func (type $t) (param i32)))",
                 "inline function type");
    expect_error("(module (start 0) (start 0) (func))",
                 "multiple start sections");
    expect_error("(module (memory 1) (func (i32.load align=3 (i32.const 0))))",
                 "alignment");
    expect_error("(module (func (block (param $x i32))))", "unexpected token");
    expect_error("(module\n\n   \"unterminated", "3:4: unclosed string");
    expect_error("(module (; never closed", "1:9: unclosed comment");
    expect_error("(module (func)", "unexpected end");
    expect_error("(module (func)))", "unexpected )");
    expect_error("(module (export \"\\ff\" (func 0)) (func))",
                 "malformed UTF-8");
    expect_error("(module (func (i32.const 1)x))", "unknown operator");
    expect_error("(module \"\\q\")", "malformed escape");
    expect_error("(module) (module)", "unexpected token");
}

static void test_literals(void)
{
    static const char *const good[] = {
        "i32.const 4294967295", "i32.const -2147483648", "i32.const 0x1_0",
        "i64.const -9223372036854775808", "i64.const 0xffff_ffff_ffff_ffff",
        "f32.const 0x1.fffffep127", "f32.const -0x1p-149", "f32.const nan:0x1",
        "f32.const nan:0x7fffff", "f64.const nan:0xfffffffffffff",
        "f64.const 1e308", "f64.const 0x1p-1074", "f32.const 1e-50",
        "f32.const +inf", "f64.const -nan", "f32.const 1.", "f32.const 1.e1",
        "f64.const 1_0.0_1e0_1",
    };
    static const char *const bad[] = {
        "i32.const 4294967296", "i32.const -2147483649", "i32.const 1_",
        "i32.const _1", "i32.const 1__0", "i32.const 0x", "i32.const 1.0",
        "i64.const 18446744073709551616", "f32.const 0x1p128",
        "f32.const 1e39", "f64.const 1e309", "f32.const nan:0x0",
        "f32.const nan:0x800000", "f64.const nan:0x10000000000000",
        "f32.const .5", "f32.const 0x.8", "f32.const 1e", "f32.const infinity",
        "f32.const 0x1.0p", "i32.const +-1",
    };
    char text[128];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(text, sizeof text, "(module (func (drop (%s))))", good[i]);
        expect_ok(text);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wasm_error err;
        snprintf(text, sizeof text, "(module (func (drop (%s))))", bad[i]);
        CHECK(parse(text, strlen(text), &err, NULL) != 0, "accepted %s",
              bad[i]);
    }
}

/* Exact bytes for small inputs: literals encode as the spec says. */
static void test_bytes(void)
{
    static const struct {
        const char *text;
        size_t n;
        const uint8_t bytes[24];
    } cases[] = {
        /* SIMD: 0xFD prefix, LEB128 sub-opcodes (0xEC takes two bytes),
         * lane and memarg-lane immediates. */
        {"(func (result v128) v128.const i16x8 1 2 3 4 5 6 7 -1)", 19,
         {0xfd, 0x0c, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0xff, 0xff,
          0x0b}},
        {"(func (result v128) v128.const i64x2 0 0 f64x2.abs)", 22,
         {0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfd,
          0xec, 0x01, 0x0b}},
        {"(func (param v128) (result i32) local.get 0 i8x16.extract_lane_u 15)",
         6, {0x20, 0x00, 0xfd, 0x16, 0x0f, 0x0b}},
        {"(func (param i32 v128) (result v128) local.get 0 local.get 1 "
         "v128.load16_lane offset=2 7)",
         10, {0x20, 0x00, 0x20, 0x01, 0xfd, 0x55, 0x01, 0x02, 0x07, 0x0b}},
        /* f32.const 0x1.000001p0 rounds to even: 1.0 */
        {"(func (result f32) f32.const 0x1.000001p0)", 6,
         {0x43, 0x00, 0x00, 0x80, 0x3f, 0x0b}},
        {"(func (result f32) f32.const -nan:0x1)", 6,
         {0x43, 0x01, 0x00, 0x80, 0xff, 0x0b}},
        {"(func (result i32) i32.const 0xffffffff)", 3, {0x41, 0x7f, 0x0b}},
        {"(func (result i64) i64.const -0x8000000000000000)", 12,
         {0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f,
          0x0b}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *bin;
        size_t size;
        wasm_error err;
        if (wasm_wat_to_binary(&mt_default_allocator, cases[i].text,
                               strlen(cases[i].text), &bin, &size, &err)) {
            CHECK(0, "%s: %s", cases[i].text, err.msg);
            continue;
        }
        /* The body is the last bytes: code ends the module. */
        size_t n = cases[i].n;
        CHECK(size >= n && memcmp(bin + size - n, cases[i].bytes, n) == 0,
              "%s: wrong encoding", cases[i].text);
        mt_free(&mt_default_allocator, bin);
    }
}

static char *repeat(const char *pre, size_t n, const char *mid,
                    const char *post, size_t *out_len)
{
    size_t lp = strlen(pre), lm = strlen(mid), lq = strlen(post);
    size_t len = lp * n + lm + lq * n;
    char *s = malloc(len + 1), *p = s;
    for (size_t i = 0; i < n; i++, p += lp)
        memcpy(p, pre, lp);
    memcpy(p, mid, lm);
    p += lm;
    for (size_t i = 0; i < n; i++, p += lq)
        memcpy(p, post, lq);
    *p = '\0';
    *out_len = len;
    return s;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_limits(void)
{
    wasm_error err;
    size_t len;
    char *s;

    /* 10,000 nested folded blocks: a clear error, not a stack overflow. */
    s = repeat("(block ", 10000, "", ")", &len);
    {
        char *full = malloc(len + 64);
        snprintf(full, len + 64, "(module (func %s))", s);
        CHECK(parse(full, strlen(full), &err, NULL) != 0 &&
                  strstr(err.msg, "nesting too deep"),
              "deep folded nesting: %s", err.msg);
        free(full);
    }
    free(s);

    /* 100,000 flat nested blocks are fine: labels live on the heap. */
    s = repeat("block $l ", 100000, "br $l ", "end ", &len);
    {
        char *full = malloc(len + 64);
        snprintf(full, len + 64, "(module (func %s))", s);
        double t0 = now();
        CHECK(parse(full, strlen(full), &err, NULL) == 0, "flat nesting: %s",
              err.msg);
        CHECK(now() - t0 < 5.0, "flat nesting took %.1fs", now() - t0);
        free(full);
    }
    free(s);

    /* A million open parentheses: an error, no recursion. */
    s = repeat("(", 1000000, "", "", &len);
    CHECK(parse(s, len, &err, NULL) != 0, "open parens accepted");
    free(s);
    s = repeat("(", 1000000, "", ")", &len);
    CHECK(parse(s, len, &err, NULL) != 0, "nested parens accepted");
    free(s);

    /* Nested quote modules are bounded too. */
    {
        char *q = strdup("(module)");
        for (int i = 0; i < 12; i++) {
            /* escape the previous text as a string */
            size_t n = strlen(q), k = 0;
            char *e = malloc(n * 2 + 32);
            k += (size_t)sprintf(e, "(module quote \"");
            for (size_t j = 0; j < n; j++) {
                if (q[j] == '"' || q[j] == '\\')
                    e[k++] = '\\';
                e[k++] = q[j];
            }
            strcpy(e + k, "\")");
            free(q);
            q = e;
        }
        CHECK(parse(q, strlen(q), &err, NULL) == 0, "quote nesting: %s",
              err.msg);
        free(q);
    }

    /* Large modules parse in linear time: 50,000 functions calling each
     * other by name, each with named locals and a br_table. */
    {
        size_t cap = 50000 * 160 + 64, n = 0;
        char *m = malloc(cap);
        n += (size_t)sprintf(m, "(module\n");
        for (int i = 0; i < 50000; i++)
            n += (size_t)sprintf(m + n,
                                 "(func $f%d (param $a i32) (local $b i32) "
                                 "(block $x (br_table $x $x (local.get $a))) "
                                 "(call $f%d (local.get $b)))\n",
                                 i, (i + 1) % 50000);
        n += (size_t)sprintf(m + n, ")");
        double t0 = now();
        size_t size;
        CHECK(parse(m, n, &err, &size) == 0, "large module: %s", err.msg);
        CHECK(now() - t0 < 5.0, "large module took %.1fs", now() - t0);
        free(m);
    }
}

static void test_forms(void)
{
    expect_ok("");
    expect_ok(";; only a comment\n(; and a block ;)");
    expect_ok("(module $m)");
    expect_ok("(module binary \"\\00asm\" \"\\01\\00\\00\\00\")");
    expect_ok("(module quote \"(func (export \\\"f\\\"))\")");
    expect_ok("(func) (memory 1) (export \"m\" (memory 0))");
    expect_ok("(module (func $f (param $x i32) (result i32) "
              "(local.get $x)) (elem declare func $f) "
              "(func (drop (ref.func $f))))");
    /* shadowed labels */
    expect_ok("(module (func block $l block $l br $l end br $l end))");
    expect_error("(module (func (drop (i8x16.extract_lane_s 256 (v128.const "
                 "i32x4 1 2 3 4)))))", "lane");
}

static int collect(void *ctx, const char *text, size_t len)
{
    char **buf = ctx;
    size_t have = *buf ? strlen(*buf) : 0;
    *buf = realloc(*buf, have + len + 1);
    memcpy(*buf + have, text, len);
    (*buf)[have + len] = '\0';
    return 0;
}

static void test_api(void)
{
    mantle_engine *e;
    mantle_module *m;
    mantle_diag d;
    if (mantle_engine_new(NULL, &e) != MANTLE_OK) {
        CHECK(0, "engine");
        return;
    }
    int st = load(e, "(module\n  (func (call $foo)))", "app.wat", &d, &m);
    CHECK(st == MANTLE_EMALFORMED, "status %d", st);
    CHECK(strstr(d.message, "app.wat:2:15: unknown function $foo") != NULL,
          "message: %s", d.message);

    /* text that parses but does not validate is invalid, as in binary */
    st = load(e, "(module (func (result i32) (i64.const 0)))", "t.wat", &d, &m);
    CHECK(st == MANTLE_EINVALID, "status %d", st);

    st = load(e,
              "(module (func $add (export \"add\") (param i32 i32) (result i32)"
              " (block (result i32) (i32.add (local.get 0) (local.get 1)))))",
              "add.wat", &d, &m);
    CHECK(st == MANTLE_OK, "load: %s", d.message);
    if (st == MANTLE_OK) {
        char *text = NULL;
        CHECK(mantle_module_disasm(m, 0, collect, &text) == MANTLE_OK,
              "disasm");
        CHECK(text && strstr(text, "  block (result i32)\n    local.get 0\n"
                                   "    local.get 1\n    i32.add\n  end\n"),
              "disasm text: %s", text ? text : "(none)");
        free(text);
        CHECK(mantle_module_disasm(m, 1, collect, &text) == MANTLE_EINVAL,
              "disasm out of range");
        mantle_module_free(m);
    }
    mantle_engine_free(e);
}

int main(void)
{
    test_errors();
    test_literals();
    test_bytes();
    test_forms();
    test_limits();
    test_api();
    return check_report("wat_test");
}
