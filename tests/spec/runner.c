/* runner.c - mantle-spec: runs the WebAssembly core spec tests (wast2json JSON) against mantle.h.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: mantle-spec [--skip-group GROUP]... [-v] SPECDIR [FILE...]
 *
 * SPECDIR is a converted suite (wasm-spec/README.md). With no FILE every
 * file of SPECDIR/MANIFEST.tsv runs, in manifest order. Each JSON command
 * counts once as passed, failed or skipped; the last line is
 * "spec: N passed, M failed, K skipped" and the exit status is 0 iff M == 0
 * (2 on a usage error). Files of a feature group that this build of the
 * library leaves out (MANTLE_SIMD=OFF: group simd) are not run: their
 * modules must be refused for that reason, and their commands count as
 * "unsupported by this build" (the last line then ends ", U unsupported
 * by this build (KNOB)").
 *
 * Map:  options and reporting - the spectest host module - modules and
 *       instances of one file - actions - commands - files - manifest - main
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config.h" /* MANTLE_ENABLE_SIMD */
#include "spec.h"

/* ---- Options and reporting ------------------------------------------- */

static bool opt_verbose;
static mantle_tier opt_tier = MANTLE_TIER_INTERP; /* --tier */
static uint32_t opt_aot_opt = 1;  /* -O level of AOT code: fast compiles */
static char **opt_skip_groups;
static size_t opt_nskip_groups;

/* Trap messages that differed from the spec's text (informational). */
static unsigned long trap_text_mismatches;

enum { R_PASS, R_FAIL, R_SKIP };

/* A module instance of the current file; a failed load or instantiation
 * keeps its slot (instance NULL) so later commands can say why. */
typedef struct spec_inst {
    struct spec_inst *next; /* newer first */
    char *name;             /* "$M" or NULL */
    int line;
    mantle_module *module;
    mantle_instance *instance;
    char *error;            /* why instance is NULL */
} spec_inst;

/* One JSON file being run. */
typedef struct spec_file {
    const char *base;       /* "i32.json", for messages */
    char *dir;              /* where its .wasm files are */
    mantle_engine *engine;
    mantle_linker *linker;
    mantle_memory *memory;  /* spectest's, fresh per file */
    mantle_table *table;
    mantle_global *globals[4];
    spec_inst *insts;       /* every module of the file, newest first */
    spec_inst *current;
    unsigned long passed, failed, skipped, unsupported;
} spec_file;

/* The command being run, for messages. */
typedef struct spec_cmd {
    spec_file *f;
    const json_t *json;
    const char *type;
    long line;
} spec_cmd;

static void report(const spec_cmd *c, const char *tag, const char *fmt,
                   va_list ap)
{
    printf("%s:%ld: %s: %s", c->f->base, c->line, c->type, tag);
    vprintf(fmt, ap);
    putchar('\n');
}

/* Print why the command failed; returns R_FAIL. */
static int fail(const spec_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(const spec_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, "", fmt, ap);
    va_end(ap);
    return R_FAIL;
}

/* A remark on a passing command, shown with -v. */
static void note(const spec_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(const spec_cmd *c, const char *fmt, ...)
{
    if (!opt_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    report(c, "note: ", fmt, ap);
    va_end(ap);
}

static const char *status_name(int status)
{
    static const char *const names[] = {
        "OK",        "ENOMEM",      "EINVAL", "EMALFORMED", "EINVALID",
        "EUNLINKABLE", "ETRAP",     "ENOTFOUND", "ETYPE",   "EBOUNDS",
        "EEXIT",     "EIO",         "ELIMIT",
    };
    if (status >= 0 && (size_t)status < sizeof names / sizeof names[0])
        return names[status];
    return "E?";
}

/* "MANTLE_ETRAP (integer divide by zero): <diag message>" into buf. */
static const char *describe(int status, const mantle_diag *d, char *buf,
                            size_t size)
{
    if (status == MANTLE_OK) {
        snprintf(buf, size, "MANTLE_OK");
        return buf;
    }
    const char *msg = d && d->message[0] ? d->message : mantle_strerror(status);
    if (status == MANTLE_ETRAP && d)
        snprintf(buf, size, "MANTLE_ETRAP (trap %s): %s",
                 mantle_trap_message(d->trap), msg);
    else
        snprintf(buf, size, "MANTLE_%s: %s", status_name(status), msg);
    return buf;
}

static const char *str_field(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- The spectest host module ---------------------------------------- */

/* spectest's functions; each entry is its own host env. */
typedef struct spectest_func {
    const char *name;
    size_t nparams;
    mantle_valkind params[2];
} spectest_func;

static const spectest_func spectest_funcs[] = {
    {"print", 0, {MANTLE_I32, MANTLE_I32}},
    {"print_i32", 1, {MANTLE_I32, MANTLE_I32}},
    {"print_i64", 1, {MANTLE_I64, MANTLE_I32}},
    {"print_f32", 1, {MANTLE_F32, MANTLE_I32}},
    {"print_f64", 1, {MANTLE_F64, MANTLE_I32}},
    {"print_i32_f32", 2, {MANTLE_I32, MANTLE_F32}},
    {"print_f64_f64", 2, {MANTLE_F64, MANTLE_F64}},
};

static int spectest_print(mantle_caller *caller, void *env,
                          const mantle_val *args, mantle_val *results)
{
    const spectest_func *fn = env;
    (void)caller;
    (void)results;
    if (!opt_verbose)
        return MANTLE_OK;
    printf("spectest.%s(", fn->name);
    for (size_t i = 0; i < fn->nparams; i++) {
        char buf[128];
        mantle_val v = args[i];
        v.kind = fn->params[i];
        spec_val_format(&v, NULL, buf, sizeof buf);
        printf("%s%s", i ? ", " : "", buf);
    }
    printf(")\n");
    return MANTLE_OK;
}

static int spectest_define(spec_file *f)
{
    static const char *const global_names[4] = {"global_i32", "global_i64",
                                                "global_f32", "global_f64"};
    mantle_val gv[4];
    int st;

    memset(gv, 0, sizeof gv);
    gv[0].kind = MANTLE_I32, gv[0].of.i32 = 666;
    gv[1].kind = MANTLE_I64, gv[1].of.i64 = 666;
    gv[2].kind = MANTLE_F32, gv[2].of.f32 = 666.6f;
    gv[3].kind = MANTLE_F64, gv[3].of.f64 = 666.6;

    for (size_t i = 0; i < sizeof spectest_funcs / sizeof spectest_funcs[0];
         i++) {
        const spectest_func *fn = &spectest_funcs[i];
        mantle_functype ft = {fn->nparams, fn->params, 0, NULL};
        st = mantle_linker_define_func(f->linker, "spectest", fn->name, &ft,
                                       spectest_print, (void *)fn, NULL);
        if (st)
            return st;
    }
    for (int i = 0; i < 4; i++) {
        if ((st = mantle_global_new(f->engine, &gv[i], false, &f->globals[i])))
            return st;
        if ((st = mantle_linker_define_global(f->linker, "spectest",
                                              global_names[i], f->globals[i])))
            return st;
    }
    mantle_limits table_limits = {10, 20, true};
    mantle_limits memory_limits = {1, 2, true};
    if ((st = mantle_table_new(f->engine, MANTLE_FUNCREF, table_limits,
                               &f->table)))
        return st;
    if ((st = mantle_linker_define_table(f->linker, "spectest", "table",
                                         f->table)))
        return st;
    if ((st = mantle_memory_new(f->engine, memory_limits, &f->memory)))
        return st;
    return mantle_linker_define_memory(f->linker, "spectest", "memory",
                                       f->memory);
}

/* ---- Modules and instances of one file ------------------------------- */

static spec_inst *inst_add(spec_file *f, const char *name, long line)
{
    spec_inst *s = spec_xcalloc(1, sizeof *s);
    s->name = name ? spec_xstrdup(name) : NULL;
    s->line = (int)line;
    s->next = f->insts;
    f->insts = s;
    return s;
}

/* The newest module called `name`, or the current one when name is NULL. */
static spec_inst *inst_find(spec_file *f, const char *name)
{
    if (!name)
        return f->current;
    for (spec_inst *s = f->insts; s; s = s->next)
        if (s->name && strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* The instance a command refers to, or NULL after writing why to buf. */
static mantle_instance *inst_get(spec_file *f, const char *name, char *buf,
                                 size_t size)
{
    spec_inst *s = inst_find(f, name);
    if (!s) {
        if (name)
            snprintf(buf, size, "no module named %s", name);
        else
            snprintf(buf, size, "no current module");
        return NULL;
    }
    if (!s->instance) {
        snprintf(buf, size, "module %s%sat line %d failed: %s",
                 s->name ? s->name : "", s->name ? " " : "", s->line,
                 s->error);
        return NULL;
    }
    return s->instance;
}

static int module_load(const spec_cmd *c, mantle_module **out_module,
                       mantle_diag *d)
{
    const char *filename = str_field(c->json, "filename");
    *out_module = NULL;
    memset(d, 0, sizeof *d);
    if (!filename) {
        d->status = MANTLE_EINVAL;
        snprintf(d->message, sizeof d->message, "command has no filename");
        return MANTLE_EINVAL;
    }
    char *path = spec_xasprintf("%s/%s", c->f->dir, filename);
    int st = mantle_module_load(c->f->engine, path, out_module, d);
    free(path);
    if (st != MANTLE_OK) {
        mantle_module_free(*out_module);
        *out_module = NULL;
    }
    return st;
}

static int instantiate(spec_file *f, mantle_module *module,
                       mantle_instance **out_instance, mantle_diag *d)
{
    memset(d, 0, sizeof *d);
    *out_instance = NULL;
    int st = mantle_instance_new(f->linker, module, out_instance, d);
    if (st != MANTLE_OK) {
        mantle_instance_free(*out_instance);
        *out_instance = NULL;
    }
    return st;
}

/* Keep an instance that should not have been created until the file ends:
 * its functions may already sit in shared tables. */
static void keep_stray(spec_file *f, mantle_module *module,
                       mantle_instance *instance, long line)
{
    spec_inst *s = inst_add(f, NULL, line);
    s->module = module;
    s->instance = instance;
}

static void file_free_modules(spec_file *f)
{
    mantle_linker_free(f->linker);
    f->linker = NULL;
    for (spec_inst *s = f->insts; s; s = s->next)
        mantle_instance_free(s->instance);
    while (f->insts) {
        spec_inst *s = f->insts;
        f->insts = s->next;
        mantle_module_free(s->module);
        free(s->name);
        free(s->error);
        free(s);
    }
    f->current = NULL;
    for (int i = 0; i < 4; i++)
        mantle_global_free(f->globals[i]);
    mantle_table_free(f->table);
    mantle_memory_free(f->memory);
    mantle_engine_free(f->engine);
    memset(f->globals, 0, sizeof f->globals);
    f->table = NULL;
    f->memory = NULL;
    f->engine = NULL;
}

/* ---- Actions --------------------------------------------------------- */

/* What an invoke or get did. `status` is meaningful when ran. */
typedef struct spec_outcome {
    bool ran;              /* false: could not be attempted (see error) */
    char error[600];
    int status;
    mantle_diag diag;
    mantle_val *results;   /* nresults values when status == MANTLE_OK */
    size_t nresults;
} spec_outcome;

static bool outcome_error(spec_outcome *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool outcome_error(spec_outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
    o->ran = false;
    return false;
}

/* Run the command's "action". Returns o->ran. */
static bool action_run(const spec_cmd *c, spec_outcome *o)
{
    const json_t *action = json_object_get(c->json, "action");
    const char *type = str_field(action, "type");
    const json_t *field = json_object_get(action, "field");
    const char *name = json_string_value(field);
    char why[sizeof o->error - 64];

    memset(o, 0, sizeof *o);
    if (!json_is_object(action) || !type)
        return outcome_error(o, "command has no action");
    if (!name)
        return outcome_error(o, "action has no field name");
    size_t name_len = json_string_length(field);
    mantle_instance *inst = inst_get(c->f, str_field(action, "module"), why,
                                     sizeof why);
    if (!inst)
        return outcome_error(o, "%s", why);

    if (strcmp(type, "get") == 0) {
        mantle_extern ext;
        int st = mantle_instance_export(inst, name, name_len, &ext);
        if (st == MANTLE_OK && ext.kind != MANTLE_EXTERN_GLOBAL)
            st = MANTLE_ENOTFOUND;
        if (st != MANTLE_OK)
            return outcome_error(o, "no exported global \"%s\": %s", name,
                                 mantle_strerror(st));
        o->results = spec_xcalloc(1, sizeof *o->results);
        o->results[0] = mantle_global_get(ext.of.global);
        o->nresults = 1;
        o->ran = true;
        o->status = MANTLE_OK;
        return true;
    }
    if (strcmp(type, "invoke") != 0)
        return outcome_error(o, "unknown action type \"%s\"", type);

    mantle_extern ext;
    int st = mantle_instance_export(inst, name, name_len, &ext);
    if (st == MANTLE_OK && ext.kind != MANTLE_EXTERN_FUNC)
        st = MANTLE_ENOTFOUND;
    if (st != MANTLE_OK)
        return outcome_error(o, "no exported function \"%s\": %s", name,
                             mantle_strerror(st));
    mantle_func *fn = ext.of.func;
    const json_t *jargs = json_object_get(action, "args");
    if (jargs && !json_is_array(jargs))
        return outcome_error(o, "action args is not an array");
    size_t nargs = json_array_size(jargs);
    mantle_val *args = spec_xcalloc(nargs, sizeof *args);
    for (size_t i = 0; i < nargs; i++) {
        if (!spec_val_parse(json_array_get(jargs, i), &args[i], why,
                            sizeof why)) {
            free(args);
            return outcome_error(o, "argument %zu: %s", i, why);
        }
    }
    mantle_functype ft;
    mantle_func_type(fn, &ft);
    o->nresults = ft.nresults;
    o->results = spec_xcalloc(ft.nresults, sizeof *o->results);
    o->status = mantle_func_call(fn, args, nargs, o->results, o->nresults,
                                 &o->diag);
    o->ran = true;
    free(args);
    return true;
}

static void outcome_free(spec_outcome *o)
{
    free(o->results);
    o->results = NULL;
}

/* "returned (i32:1, f32:0 (0))" into buf. */
static void format_results(const spec_outcome *o, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "returned (");
    for (size_t i = 0; i < o->nresults && len < size; i++) {
        char v[256];
        spec_val_format(&o->results[i], NULL, v, sizeof v);
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
                                v);
    }
    if (len < size)
        snprintf(buf + len, size - len, ")");
}

/* ---- Commands -------------------------------------------------------- */

static int cmd_module(const spec_cmd *c)
{
    spec_file *f = c->f;
    mantle_diag d;
    char buf[700];
    spec_inst *s = inst_add(f, str_field(c->json, "name"), c->line);
    f->current = s;
    int st = module_load(c, &s->module, &d);
    if (st != MANTLE_OK) {
        s->error = spec_xasprintf("load: %s", describe(st, &d, buf, sizeof buf));
        return fail(c, "expected the module to load, got %s", buf);
    }
    st = instantiate(f, s->module, &s->instance, &d);
    if (st != MANTLE_OK) {
        s->error = spec_xasprintf("instantiate: %s",
                                  describe(st, &d, buf, sizeof buf));
        return fail(c, "expected the module to instantiate, got %s", buf);
    }
    return R_PASS;
}

static int cmd_register(const spec_cmd *c)
{
    const char *as = str_field(c->json, "as");
    char why[600];
    if (!as)
        return fail(c, "register has no \"as\" name");
    mantle_instance *inst = inst_get(c->f, str_field(c->json, "name"), why,
                                     sizeof why);
    if (!inst)
        return fail(c, "cannot register \"%s\": %s", as, why);
    int st = mantle_linker_define_instance(c->f->linker, as, inst);
    if (st != MANTLE_OK)
        return fail(c, "expected \"%s\" to register, got MANTLE_%s: %s", as,
                    status_name(st), mantle_strerror(st));
    return R_PASS;
}

static int cmd_action(const spec_cmd *c)
{
    spec_outcome o;
    char buf[700];
    int r = R_PASS;
    if (!action_run(c, &o))
        r = fail(c, "%s", o.error);
    else if (o.status != MANTLE_OK)
        r = fail(c, "expected no trap, got %s",
                 describe(o.status, &o.diag, buf, sizeof buf));
    outcome_free(&o);
    return r;
}

static int cmd_assert_return(const spec_cmd *c)
{
    const json_t *expected = json_object_get(c->json, "expected");
    spec_outcome o;
    char buf[1000], want[400], got[400];
    int r = R_PASS;

    if (!json_is_array(expected))
        return fail(c, "command has no expected array");
    if (!action_run(c, &o)) {
        r = fail(c, "%s", o.error);
        goto out;
    }
    if (o.status != MANTLE_OK) {
        r = fail(c, "expected results, got %s",
                 describe(o.status, &o.diag, buf, sizeof buf));
        goto out;
    }
    if (o.nresults != json_array_size(expected)) {
        format_results(&o, buf, sizeof buf);
        r = fail(c, "expected %zu results, %s", json_array_size(expected),
                 buf);
        goto out;
    }
    for (size_t i = 0; i < o.nresults; i++) {
        spec_expect e;
        if (!spec_expect_parse(json_array_get(expected, i), &e, buf,
                               sizeof buf)) {
            r = fail(c, "expected value %zu: %s", i, buf);
            goto out;
        }
        if (!spec_expect_match(&e, &o.results[i])) {
            spec_expect_format(&e, want, sizeof want);
            spec_val_format(&o.results[i], &e, got, sizeof got);
            r = fail(c, "result %zu: expected %s, got %s", i, want, got);
            goto out;
        }
    }
out:
    outcome_free(&o);
    return r;
}

/* The spec's trap text against ours: the spec text may carry a suffix
 * ("uninitialized element 2"), so either being a prefix of the other, or
 * the text appearing in the message, is a match. */
static void check_trap_text(const spec_cmd *c, const mantle_diag *d)
{
    const char *text = str_field(c->json, "text");
    const char *ours = mantle_trap_message(d->trap);
    if (!text || !ours)
        return;
    size_t nt = strlen(text), no = strlen(ours);
    if (strncmp(text, ours, no < nt ? no : nt) == 0 || strstr(d->message, text))
        return;
    trap_text_mismatches++;
    note(c, "trap message \"%s\" (%s) differs from \"%s\"", ours, d->message,
         text);
}

/* assert_trap and assert_uninstantiable on a module: load, then
 * instantiation must trap. */
static int expect_uninstantiable(const spec_cmd *c)
{
    mantle_module *m;
    mantle_instance *inst;
    mantle_diag d;
    char buf[700];
    int st = module_load(c, &m, &d);
    if (st != MANTLE_OK)
        return fail(c, "expected the module to load, got %s",
                    describe(st, &d, buf, sizeof buf));
    st = instantiate(c->f, m, &inst, &d);
    if (st == MANTLE_OK) {
        keep_stray(c->f, m, inst, c->line);
        return fail(c, "expected a trap (%s) while instantiating, got "
                       "MANTLE_OK", str_field(c->json, "text"));
    }
    mantle_module_free(m);
    if (st != MANTLE_ETRAP)
        return fail(c, "expected a trap (%s) while instantiating, got %s",
                    str_field(c->json, "text"),
                    describe(st, &d, buf, sizeof buf));
    check_trap_text(c, &d);
    return R_PASS;
}

static int cmd_assert_trap(const spec_cmd *c, bool exhaustion)
{
    const char *text = str_field(c->json, "text");
    spec_outcome o;
    char buf[1000];
    int r = R_PASS;

    if (!exhaustion && json_object_get(c->json, "filename"))
        return expect_uninstantiable(c);
    if (!text)
        text = "(no text)";
    if (!action_run(c, &o)) {
        r = fail(c, "%s", o.error);
    } else if (o.status == MANTLE_OK) {
        format_results(&o, buf, sizeof buf);
        r = fail(c, "expected trap \"%s\", %s", text, buf);
    } else if (o.status != MANTLE_ETRAP) {
        r = fail(c, "expected trap \"%s\", got %s", text,
                 describe(o.status, &o.diag, buf, sizeof buf));
    } else if (exhaustion && o.diag.trap != MANTLE_TRAP_STACK_EXHAUSTED) {
        r = fail(c, "expected trap \"%s\" (stack exhausted), got %s", text,
                 describe(o.status, &o.diag, buf, sizeof buf));
    } else {
        check_trap_text(c, &o.diag);
    }
    outcome_free(&o);
    return r;
}

/* assert_invalid and assert_malformed: loading must fail with `want`. The
 * module is a .wasm, or for `module quote` texts a .wat that goes through
 * the text parser (mantle_module_new takes both). The
 * other of EINVALID/EMALFORMED also passes (the line between them is
 * blurry in a few 2.0 tests) but is noted under -v. */
static int cmd_assert_load_fails(const spec_cmd *c, int want)
{
    const char *text = str_field(c->json, "text");
    int other = want == MANTLE_EINVALID ? MANTLE_EMALFORMED : MANTLE_EINVALID;
    mantle_module *m;
    mantle_diag d;
    char buf[700];

    if (!text)
        text = "(no text)";
    int st = module_load(c, &m, &d);
    if (st == MANTLE_OK) {
        mantle_module_free(m);
        return fail(c, "expected MANTLE_%s (%s), but the module loaded",
                    status_name(want), text);
    }
    if (st == other) {
        note(c, "expected MANTLE_%s (%s), got %s", status_name(want), text,
             describe(st, &d, buf, sizeof buf));
        return R_PASS;
    }
    if (st != want)
        return fail(c, "expected MANTLE_%s (%s), got %s", status_name(want),
                    text, describe(st, &d, buf, sizeof buf));
    return R_PASS;
}

static int cmd_assert_unlinkable(const spec_cmd *c)
{
    const char *text = str_field(c->json, "text");
    mantle_module *m;
    mantle_instance *inst;
    mantle_diag d;
    char buf[700];

    if (!text)
        text = "(no text)";
    int st = module_load(c, &m, &d);
    if (st != MANTLE_OK)
        return fail(c, "expected the module to load, got %s",
                    describe(st, &d, buf, sizeof buf));
    st = instantiate(c->f, m, &inst, &d);
    if (st == MANTLE_OK) {
        keep_stray(c->f, m, inst, c->line);
        return fail(c, "expected MANTLE_EUNLINKABLE (%s), but the module "
                       "instantiated", text);
    }
    mantle_module_free(m);
    if (st != MANTLE_EUNLINKABLE)
        return fail(c, "expected MANTLE_EUNLINKABLE (%s), got %s", text,
                    describe(st, &d, buf, sizeof buf));
    return R_PASS;
}

static int run_command(spec_file *f, const json_t *json)
{
    spec_cmd c = {f, json, str_field(json, "type"),
                  (long)json_integer_value(json_object_get(json, "line"))};
    if (!c.type) {
        c.type = "?";
        return fail(&c, json_is_object(json) ? "command has no type"
                                             : "command is not a JSON object");
    }
    if (strcmp(c.type, "module") == 0)
        return cmd_module(&c);
    if (strcmp(c.type, "register") == 0)
        return cmd_register(&c);
    if (strcmp(c.type, "action") == 0)
        return cmd_action(&c);
    if (strcmp(c.type, "assert_return") == 0)
        return cmd_assert_return(&c);
    if (strcmp(c.type, "assert_trap") == 0)
        return cmd_assert_trap(&c, false);
    if (strcmp(c.type, "assert_exhaustion") == 0)
        return cmd_assert_trap(&c, true);
    if (strcmp(c.type, "assert_invalid") == 0)
        return cmd_assert_load_fails(&c, MANTLE_EINVALID);
    if (strcmp(c.type, "assert_malformed") == 0)
        return cmd_assert_load_fails(&c, MANTLE_EMALFORMED);
    if (strcmp(c.type, "assert_unlinkable") == 0)
        return cmd_assert_unlinkable(&c);
    if (strcmp(c.type, "assert_uninstantiable") == 0)
        return expect_uninstantiable(&c);
    return fail(&c, "unknown command type");
}

/* ---- Files ----------------------------------------------------------- */

typedef struct spec_totals {
    unsigned long passed, failed, skipped, unsupported;
    const char *unsupported_why;
} spec_totals;

/* The knob that leaves feature group `group` out of this build, or NULL. */
static const char *group_unsupported(const char *group)
{
#if !MANTLE_ENABLE_SIMD
    if (group && strcmp(group, "simd") == 0)
        return "MANTLE_SIMD=OFF";
#endif
    (void)group;
    return NULL;
}

/* A file of a group this build leaves out (knob `why`): every binary
 * module must load, or be refused as unsupported naming `why`, and at
 * least one must be refused (otherwise the group is not what the build
 * lacks, and the file should run). Failures count in f->failed. */
static void check_unsupported(spec_file *f, const json_t *cmds, const char *why)
{
    unsigned refused = 0, loaded = 0;
    char buf[700];
    for (size_t i = 0; i < json_array_size(cmds); i++) {
        const json_t *json = json_array_get(cmds, i);
        spec_cmd c = {f, json, str_field(json, "type"),
                      (long)json_integer_value(json_object_get(json, "line"))};
        const char *mt = str_field(json, "module_type");
        if (!c.type || strcmp(c.type, "module") != 0 ||
            (mt && strcmp(mt, "binary") != 0))
            continue;
        mantle_module *m;
        mantle_diag d;
        int st = module_load(&c, &m, &d);
        if (st == MANTLE_OK) {
            loaded++;
            mantle_module_free(m);
        } else if (st == MANTLE_ELIMIT && strstr(d.message, why)) {
            refused++;
        } else {
            f->failed++;
            fail(&c, "expected the module to load or be refused (%s), got %s",
                 why, describe(st, &d, buf, sizeof buf));
        }
    }
    if (refused == 0) {
        spec_cmd c = {f, NULL, "file", 0};
        f->failed++;
        fail(&c, "no module refused as unsupported (%s), %u loaded", why,
             loaded);
    }
}

static void tally(spec_file *f, int r)
{
    if (r == R_PASS)
        f->passed++;
    else if (r == R_SKIP)
        f->skipped++;
    else
        f->failed++;
}

/* Run (or, when skip, only count; when `unsupported` names the knob
 * that leaves its group out, check_unsupported) one JSON file and print
 * its line. */
static void run_file(const char *path, const char *name, bool skip,
                     const char *unsupported, spec_totals *t)
{
    spec_file f;
    json_error_t jerr;
    const char *slash;
    size_t n;
    int st;

    memset(&f, 0, sizeof f);
    slash = strrchr(path, '/');
    f.base = slash ? slash + 1 : path;
    f.dir = slash ? spec_xasprintf("%.*s", (int)(slash - path), path)
                  : spec_xstrdup(".");

    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    const json_t *cmds = json_object_get(root, "commands");
    if (!root || !json_is_array(cmds)) {
        if (!root && jerr.line > 0)
            printf("%s:%d: cannot read JSON: %s\n", f.base, jerr.line,
                   jerr.text);
        else if (!root)
            printf("%s: cannot read JSON: %s\n", f.base, jerr.text);
        else
            printf("%s: no \"commands\" array\n", f.base);
        f.failed = 1; /* the file itself */
        goto out;
    }

    n = json_array_size(cmds);
    if (skip) {
        f.skipped = n;
        goto out;
    }

    mantle_config cfg;
    mantle_config_init(&cfg);
    cfg.tier = opt_tier;
    cfg.aot_opt_level = opt_aot_opt;
    st = mantle_engine_new(&cfg, &f.engine);
    if (st == MANTLE_OK)
        st = mantle_linker_new(f.engine, &f.linker);
    if (st == MANTLE_OK)
        st = spectest_define(&f);
    if (st != MANTLE_OK) {
        printf("%s: cannot set up the engine and spectest: MANTLE_%s: %s\n",
               f.base, status_name(st), mantle_strerror(st));
        f.failed = n;
        goto out;
    }
    if (unsupported) {
        f.unsupported = n;
        check_unsupported(&f, cmds, unsupported);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        tally(&f, run_command(&f, json_array_get(cmds, i)));

out:
    file_free_modules(&f);
    json_decref(root);
    free(f.dir);
    if (unsupported)
        printf("%s: %lu passed, %lu failed, %lu skipped, %lu unsupported by "
               "this build (%s)\n",
               name, f.passed, f.failed, f.skipped, f.unsupported, unsupported);
    else
        printf("%s: %lu passed, %lu failed, %lu skipped\n", name, f.passed,
               f.failed, f.skipped);
    fflush(stdout);
    t->passed += f.passed;
    t->failed += f.failed;
    t->skipped += f.skipped;
    t->unsupported += f.unsupported;
    if (f.unsupported)
        t->unsupported_why = unsupported;
}

/* ---- Manifest -------------------------------------------------------- */

typedef struct manifest_entry {
    char *name;
    char *group;
} manifest_entry;

typedef struct manifest {
    manifest_entry *entries;
    size_t n;
} manifest;

/* Read SPECDIR/MANIFEST.tsv (header line first: name, feature_group, ...).
 * Returns false if it cannot be opened. */
static bool manifest_load(const char *specdir, manifest *m)
{
    char *path = spec_xasprintf("%s/MANIFEST.tsv", specdir);
    FILE *fp = fopen(path, "r");
    char line[4096];
    size_t cap = 0;

    memset(m, 0, sizeof *m);
    free(path);
    if (!fp)
        return false;
    for (bool header = true; fgets(line, sizeof line, fp); header = false) {
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (header || !tab || tab == line)
            continue;
        *tab = '\0';
        char *group = tab + 1;
        group[strcspn(group, "\t")] = '\0';
        if (m->n == cap) {
            cap = cap ? 2 * cap : 256;
            manifest_entry *e = realloc(m->entries, cap * sizeof *e);
            if (!e) {
                fprintf(stderr, "mantle-spec: out of memory\n");
                abort();
            }
            m->entries = e;
        }
        m->entries[m->n].name = spec_xstrdup(line);
        m->entries[m->n].group = spec_xstrdup(group);
        m->n++;
    }
    fclose(fp);
    return true;
}

static void manifest_free(manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->entries[i].name);
        free(m->entries[i].group);
    }
    free(m->entries);
    memset(m, 0, sizeof *m);
}

static const char *manifest_group(const manifest *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->entries[i].name, name) == 0)
            return m->entries[i].group;
    return NULL;
}

static bool group_skipped(const char *group)
{
    for (size_t i = 0; group && i < opt_nskip_groups; i++)
        if (strcmp(group, opt_skip_groups[i]) == 0)
            return true;
    return false;
}

/* FILE is a manifest name ("i32") or a path to a .json file. */
static void run_arg(const char *specdir, const manifest *m, const char *arg,
                    spec_totals *t)
{
    size_t len = strlen(arg);
    bool is_path = strchr(arg, '/') ||
                   (len > 5 && strcmp(arg + len - 5, ".json") == 0);
    char *path, *name;

    if (is_path) {
        const char *slash = strrchr(arg, '/');
        const char *base = slash ? slash + 1 : arg;
        size_t blen = strlen(base);
        if (blen > 5 && strcmp(base + blen - 5, ".json") == 0)
            blen -= 5;
        path = spec_xstrdup(arg);
        name = spec_xasprintf("%.*s", (int)blen, base);
    } else {
        path = spec_xasprintf("%s/%s/%s.json", specdir, arg, arg);
        name = spec_xstrdup(arg);
    }
    const char *group = manifest_group(m, name);
    bool skip = group_skipped(group);
    run_file(path, name, skip, skip ? NULL : group_unsupported(group), t);
    free(path);
    free(name);
}

/* ---- Main ------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: mantle-spec [--skip-group GROUP]... [-v] SPECDIR [FILE...]\n"
            "  FILE: a name from SPECDIR/MANIFEST.tsv (\"i32\") or a path to "
            "a .json file;\n"
            "        none runs every file of the manifest.\n"
            "  --skip-group GROUP  count the commands of files whose "
            "feature_group is GROUP as skipped\n"
            "  -v                  print notes and spectest output\n"
            "  --tier=interp|aot   run modules in the interpreter (default) "
            "or compiled\n"
            "                      to native code (cached; -O1)\n"
            "exit status: 0 if no command failed, 1 if some did, 2 on usage "
            "errors\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"skip-group", required_argument, NULL, 'g'},
        {"verbose", no_argument, NULL, 'v'},
        {"tier", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    spec_totals t = {0, 0, 0, 0, NULL};
    manifest m;
    int ch;

    setvbuf(stdout, NULL, _IOLBF, 0); /* failure lines survive a crash */
    opt_skip_groups = spec_xcalloc((size_t)argc, sizeof *opt_skip_groups);
    while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'g':
            opt_skip_groups[opt_nskip_groups++] = optarg;
            break;
        case 'v':
            opt_verbose = true;
            break;
        case 'T':
            if (!strcmp(optarg, "interp")) {
                opt_tier = MANTLE_TIER_INTERP;
            } else if (!strcmp(optarg, "aot")) {
                opt_tier = MANTLE_TIER_AOT;
            } else {
                usage();
                free(opt_skip_groups);
                return 2;
            }
            break;
        case 'h':
            usage();
            free(opt_skip_groups);
            return 0;
        default:
            usage();
            free(opt_skip_groups);
            return 2;
        }
    }
    if (optind >= argc) {
        usage();
        free(opt_skip_groups);
        return 2;
    }
    const char *specdir = argv[optind++];
    bool have_manifest = manifest_load(specdir, &m);
    if (optind == argc) {
        if (!have_manifest) {
            fprintf(stderr, "mantle-spec: %s/MANIFEST.tsv: cannot open\n",
                    specdir);
            free(opt_skip_groups);
            return 2;
        }
        for (size_t i = 0; i < m.n; i++)
            run_arg(specdir, &m, m.entries[i].name, &t);
    } else {
        for (int i = optind; i < argc; i++)
            run_arg(specdir, &m, argv[i], &t);
    }
    manifest_free(&m);
    free(opt_skip_groups);

    if (opt_verbose && trap_text_mismatches)
        printf("spec: %lu trap messages differed from the spec's text\n",
               trap_text_mismatches);
    if (t.unsupported_why)
        printf("spec: %lu passed, %lu failed, %lu skipped, %lu unsupported "
               "by this build (%s)\n",
               t.passed, t.failed, t.skipped, t.unsupported, t.unsupported_why);
    else
        printf("spec: %lu passed, %lu failed, %lu skipped\n", t.passed,
               t.failed, t.skipped);
    return t.failed == 0 ? 0 : 1;
}
