/* inspect.c - `mantle inspect`: what a module imports, exports and contains.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void print_stats(const mantle_module *module)
{
    mantle_module_stats s;

    mantle_module_stats_get(module, &s);
    printf("contents (function, table, memory, global counts include "
           "imports):\n");
    printf("  types             %" PRIu32 "\n", s.types);
    printf("  imports           %zu\n", mantle_module_import_count(module));
    printf("  functions         %" PRIu32 " (imported %" PRIu32 ")\n", s.funcs,
           s.func_imports);
    printf("  tables            %" PRIu32 "\n", s.tables);
    printf("  memories          %" PRIu32 "\n", s.memories);
    printf("  globals           %" PRIu32 "\n", s.globals);
    printf("  exports           %zu\n", mantle_module_export_count(module));
    printf("  start             %s\n", s.has_start ? "yes" : "no");
    printf("  element segments  %" PRIu32 "\n", s.elems);
    printf("  data segments     %" PRIu32 "\n", s.datas);
    printf("  code              %" PRIu64 " bytes\n", s.code_bytes);
    printf("  custom            %" PRIu32 "\n", s.customs);
}

/* Imports as "  KIND module.name: type"; the exit code. */
static int print_imports(const char *path, const mantle_module *module)
{
    size_t n = mantle_module_import_count(module);

    printf("imports (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        const char *mod, *name;
        mantle_externtype type;
        int st = mantle_module_import(module, i, &mod, &name, &type);

        if (st != MANTLE_OK) {
            fprintf(stderr, "%s: import %zu: %s\n", path, i,
                    mantle_strerror(st));
            return cli_exit_code(st);
        }
        printf("  %s.%s: ", mod, name);
        cli_externtype_print(stdout, &type);
        putchar('\n');
    }
    return CLI_EXIT_OK;
}

static int print_exports(const char *path, const mantle_module *module)
{
    size_t n = mantle_module_export_count(module);

    printf("exports (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        mantle_externtype type;
        int st = mantle_module_export(module, i, &name, &type);

        if (st != MANTLE_OK) {
            fprintf(stderr, "%s: export %zu: %s\n", path, i,
                    mantle_strerror(st));
            return cli_exit_code(st);
        }
        printf("  %s: ", name);
        cli_externtype_print(stdout, &type);
        putchar('\n');
    }
    return CLI_EXIT_OK;
}

static int print_customs(const char *path, const mantle_module *module)
{
    mantle_module_stats s;

    mantle_module_stats_get(module, &s);
    printf("custom sections (%" PRIu32 "):\n", s.customs);
    for (uint32_t i = 0; i < s.customs; i++) {
        const char *name;
        const uint8_t *data;
        size_t size;
        int st = mantle_module_custom(module, i, &name, &data, &size);

        if (st != MANTLE_OK) {
            fprintf(stderr, "%s: custom section %" PRIu32 ": %s\n", path, i,
                    mantle_strerror(st));
            return cli_exit_code(st);
        }
        printf("  %s: %zu bytes\n", name, size);
    }
    return CLI_EXIT_OK;
}

static int write_stdout(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    return fwrite(text, 1, len, stdout) == len ? 0 : MANTLE_EIO;
}

/* FUNC: a function index (imports first), in decimal. */
static int find_func(const mantle_module *module, const char *func,
                     uint32_t *out_index)
{
    mantle_module_stats s;
    char *end;
    unsigned long v = strtoul(func, &end, 10);

    mantle_module_stats_get(module, &s);
    if (*func < '0' || *func > '9' || *end != '\0' || v >= s.funcs)
        return -1;
    *out_index = (uint32_t)v;
    return 0;
}

/* `mantle inspect --disasm[=FUNC] FILE` (or `--disasm FUNC FILE`): every
 * function's code, or FUNC's. */
static int disasm(const char *path, const mantle_module *module,
                  const char *func)
{
    mantle_module_stats s;
    uint32_t first = 0, last;

    mantle_module_stats_get(module, &s);
    last = s.funcs;
    if (func) {
        if (find_func(module, func, &first) != 0) {
            fprintf(stderr, "%s: no function %s\n", path, func);
            return CLI_EXIT_USAGE;
        }
        last = first + 1;
    }
    for (uint32_t i = first; i < last; i++) {
        int st = mantle_module_disasm(module, i, write_stdout, NULL);
        if (st != MANTLE_OK) {
            fprintf(stderr, "%s: function %" PRIu32 ": %s\n", path, i,
                    mantle_strerror(st));
            return cli_exit_code(st);
        }
    }
    return CLI_EXIT_OK;
}

int cli_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"disasm", optional_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_module_stats s;
    const char *path = NULL, *name, *func = NULL;
    bool want_disasm = false;
    int rc, st, c;

    optind = 0; /* glibc: full reinitialisation */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (c != 'd')
            return cli_usage_error(argv[0], "unknown option %s",
                                   argv[optind - 1]);
        want_disasm = true;
        func = optarg;
    }
    if (want_disasm && !func && argc - optind == 2)
        func = argv[optind++];
    if (argc - optind != 1)
        return cli_usage_error(argv[0], "expected exactly one FILE.wasm");
    path = argv[optind];
    if ((st = mantle_engine_new(NULL, &engine)) != MANTLE_OK) {
        fprintf(stderr, "mantle: engine: %s\n", mantle_strerror(st));
        return cli_exit_code(st);
    }
    if ((rc = cli_load(engine, path, &module)) != CLI_EXIT_OK)
        goto out;
    if (want_disasm) {
        rc = disasm(path, module, func);
        goto out;
    }

    mantle_module_stats_get(module, &s);
    printf("%s: %zu bytes", path, s.bytes);
    if ((name = mantle_module_name(module)) != NULL)
        printf(", module name \"%s\"", name);
    putchar('\n');
    print_stats(module);
    if ((rc = print_imports(path, module)) != CLI_EXIT_OK)
        goto out;
    if ((rc = print_exports(path, module)) != CLI_EXIT_OK)
        goto out;
    rc = print_customs(path, module);
out:
    mantle_module_free(module);
    mantle_engine_free(engine);
    return rc;
}
