/* compile.c - `mantle compile`: a module to a native artifact.
 * SPDX-License-Identifier: Apache-2.0
 *
 * mantle compile FILE.wasm -o OUT.mantle [--target T] [-O1|-O2|-O3]
 * The artifact records the module digest, target, compiler and flags and
 * the runtime ABI version; `mantle run OUT.mantle` checks all of them.
 * Prints the compile time in seconds and seconds per MB of Wasm.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config.h"
#include "cli.h"

int cli_compile(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"target", required_argument, NULL, 't'},
        {"cc", required_argument, NULL, 'c'},
        {"fuel", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    mantle_aot_options opts;
    const char *out = NULL, *path;
    int ch;

    memset(&opts, 0, sizeof opts);
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "o:O:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            if (out)
                return cli_usage_error("compile", "-o given twice");
            out = optarg;
            break;
        case 'O':
            if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '3')
                return cli_usage_error("compile", "-O%s: use -O1, -O2 or -O3",
                                       optarg);
            if (opts.opt_level)
                return cli_usage_error("compile", "-O given twice");
            opts.opt_level = optarg[0] == '0' ? 1 : (uint32_t)(optarg[0] - '0');
            break;
        case 't':
            if (strcmp(optarg, "x86_64") && strcmp(optarg, "aarch64") &&
                strcmp(optarg, "armv7") && strcmp(optarg, "riscv64"))
                return cli_usage_error("compile", "--target: \"%s\" is not "
                                       "x86_64, aarch64, armv7 or riscv64",
                                       optarg);
            opts.target = optarg;
            break;
        case 'c':
            opts.cc = optarg;
            break;
        case 'F':
            opts.fuel = true;
            break;
        default:
            return cli_usage_error("compile", "unknown option %s",
                                   argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("compile", "expected exactly one FILE.wasm");
    if (!out)
        return cli_usage_error("compile", "-o OUT.mantle is required");
    path = argv[optind];

    uint8_t *data = NULL;
    size_t size = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        if (fseek(f, 0, SEEK_END) == 0) {
            long n = ftell(f);
            if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
                size = (size_t)n;
                data = malloc(size ? size : 1);
                if (data && fread(data, 1, size, f) != size) {
                    free(data);
                    data = NULL;
                }
            }
        }
        fclose(f);
    }
    if (!data) {
        fprintf(stderr, "mantle: compile: %s: cannot read\n", path);
        return CLI_EXIT_IO;
    }
    mantle_engine *engine = NULL;
    int st = mantle_engine_new(NULL, &engine);
    if (st != MANTLE_OK) {
        free(data);
        fprintf(stderr, "mantle: engine: %s\n", mantle_strerror(st));
        return cli_exit_code(st);
    }
    mantle_diag diag;
    mantle_aot_stats stats;
    cli_diag_init(&diag);
    memset(&stats, 0, sizeof stats);
    st = mantle_aot_compile(engine, data, size, path, &opts, out, &stats,
                            &diag);
    mantle_engine_free(engine);
    if (st != MANTLE_OK) {
        free(data);
        fprintf(stderr, "mantle: compile: %s\n",
                diag.message[0] ? diag.message : mantle_strerror(st));
        return cli_exit_code(st);
    }
    double mb = (double)size / 1e6;
    fprintf(stderr, "%s: compiled to %s (%zu bytes) in %.2f s, %.2f s/MB\n",
            path, out, stats.artifact_size, stats.compile_seconds,
            mb > 0 ? stats.compile_seconds / mb : 0.0);
    free(data);
    return CLI_EXIT_OK;
}
