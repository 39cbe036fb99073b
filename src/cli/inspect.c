/* inspect.c - `mantle inspect`: what a module imports, exports and contains.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <inttypes.h>
#include <stdio.h>

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

int cli_inspect(int argc, char **argv)
{
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_module_stats s;
    const char *path = NULL, *name;
    int rc, st;

    if ((rc = cli_one_file(argc, argv, &path)) != CLI_EXIT_OK)
        return rc;
    if ((st = mantle_engine_new(NULL, &engine)) != MANTLE_OK) {
        fprintf(stderr, "mantle: engine: %s\n", mantle_strerror(st));
        return cli_exit_code(st);
    }
    if ((rc = cli_load(engine, path, &module)) != CLI_EXIT_OK)
        goto out;

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
