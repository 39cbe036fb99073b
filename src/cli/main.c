/* main.c - the `mantle` command: usage, verb dispatch, validate and version.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Verbs live one per file (inspect.c, run.c); loading and error reports
 * shared between them are in report.c. Exit codes: cli.h.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../config.h" /* build knobs: MANTLE_ENABLE_CLI_EXTRAS */
#include "cli.h"

void cli_usage(FILE *f)
{
    fputs(
        "usage: mantle validate FILE.wasm\n"
#if MANTLE_ENABLE_CLI_EXTRAS
        "       mantle inspect [--disasm[=FUNC]] FILE.wasm\n"
#endif
        "       mantle run [OPTIONS] FILE.wasm [--] [ARG...]\n"
#if MANTLE_ENABLE_TEE
        "       mantle attest [--tee=NAME] [GRANTS] FILE.wasm --nonce HEX -o OUT\n"
        "       mantle evidence show FILE\n"
#endif
#if MANTLE_ENABLE_ATTEST
        "       mantle verify --format snp|tdx|sgx|cca|tpm|mantle --evidence FILE\n"
        "              [--cert FILE]... [--root FILE] [--collateral DIR]\n"
        "              [--policy FILE [--ear-key KEY.pem]] [--time RFC3339]\n"
        "              [--report-data HEX]\n"
#endif
#if MANTLE_ENABLE_AOT
        "       mantle compile FILE.wasm -o OUT.mantle [--target x86_64|aarch64|"
        "armv7|riscv64]\n"
        "              [-O1|-O2|-O3] [--cc CC] [--fuel]\n"
#endif
        "       mantle version\n"
        "       mantle help\n"
        "\n"
        "validate  decode and validate FILE; print \"FILE: valid\".\n"
#if MANTLE_ENABLE_CLI_EXTRAS
        "inspect   print imports, exports, section counts, custom sections.\n"
        "          With --disasm, print the code of every function (or of\n"
        "          function index FUNC) as text-format instructions.\n"
#endif
        "run       run FILE as a WASI command: call its _start with ARGs as\n"
        "          its arguments (argv[0] is FILE) and stdin, stdout, stderr\n"
        "          passed through; exit with its proc_exit code (0 if _start\n"
        "          returns). With --invoke NAME, call the export NAME instead\n"
        "          with ARGs parsed per its parameter types: i32/i64 in\n"
        "          decimal or 0x hex, f32/f64 in decimal (or inf, nan,\n"
        "          nan:0xPAYLOAD), references as null; each result is printed\n"
        "          on its own line as TYPE:VALUE, e.g. i32:42. Options may\n"
        "          come before or after FILE; after FILE, the first argument\n"
        "          that is not a mantle option starts the ARGs (or use --).\n"
        "  -i, --invoke NAME       the exported function to call\n"
        "  -F, --fuel N            trap \"out of fuel\" after about N steps\n"
        "  --dir HOST[::GUEST]     grant directory HOST, seen by the guest as\n"
        "                          GUEST (default HOST); repeatable\n"
        "  --dir-ro HOST[::GUEST]  the same, read-only\n"
        "  --env KEY=VALUE         set a guest environment variable\n"
        "  --env-inherit           pass the whole host environment\n"
#if MANTLE_ENABLE_WASI_SOCKETS
        "  --listen ADDR:PORT      a listening TCP socket for sock_accept\n"
#endif
        "  --max-memory SIZE       cap each linear memory (64K..4G; K, M, G)\n"
        "  --timeout DURATION      trap \"interrupted\" after DURATION (500ms,\n"
        "                          10s, 2m; a bare number is seconds)\n"
        "  --tier=interp|aot|auto  execution tier: interp (default, also\n"
        "                          auto), or aot: compile to native code on\n"
        "                          first use, cached in $XDG_CACHE_HOME/mantle;\n"
        "                          FILE may also be an artifact (compile)\n"
#if MANTLE_ENABLE_TEE
        "  --tee=auto|soft|tpm|tsm provide the TEE services (module \"mantle\":\n"
        "                          evidence, identity, seal, secrets); auto\n"
        "                          (the default when FILE imports them) never\n"
        "                          falls back to soft; tpm:TCTI, tsm:DIR\n"
        "  --state-dir DIR         TEE state (default $MANTLE_STATE_DIR or\n"
        "                          ~/.local/state/mantle)\n"
        "  --secret NAME=@FILE     a secret the guest reads by NAME\n"
        "attest    write evidence (a signed EAT) for FILE under the launch\n"
        "          configuration GRANTS (--dir, --dir-ro, --env, --listen, as\n"
        "          for run) binding --nonce (1 to 64 bytes of hex) to OUT;\n"
        "          --tee and --state-dir as for run (default auto).\n"
        "evidence  show: print the claims of an evidence file: nonce, TEE\n"
        "          kind, debug status, measurements (not verified).\n"
#endif
#if MANTLE_ENABLE_ATTEST
        "verify    check TEE evidence at --time (default now) and print the\n"
        "          verified claims; --cert: the certificates it needs (snp: the\n"
        "          VCEK or VLEK, then the ASK/ARK chain); --root: the trust\n"
        "          anchor (default: the pinned AMD/Intel roots; cca: the CPAK);\n"
        "          --collateral: TCB info, QE identity, signing chain, CRLs;\n"
        "          --policy: appraise, print each check and the verdict, and\n"
        "          with --ear-key sign it as an EAR JWT. Exit 0 verified and\n"
        "          accepted, 1 refused (the reason on stderr), 2 usage, 5 I/O.\n"
#endif
#if MANTLE_ENABLE_AOT
        "compile   translate FILE to C, compile it with the system C compiler\n"
        "          ($MANTLE_CC or cc; <triple>-gcc for --target) and write a\n"
        "          native artifact OUT that `mantle run` accepts; prints the\n"
        "          compile time. -O2 is the default.\n"
#endif
        "\n"
        "exit status: 0 success; 1 trap (message and backtrace on stderr) or\n"
        "other runtime failure; 2 usage error; 3 malformed or invalid module;\n"
        "4 unlinkable (an import cannot be satisfied); 5 I/O error; 6 AOT\n"
        "artifact refused. A guest that exits returns its own exit code.\n",
        f);
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "mantle: %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cli_usage(stderr);
    return CLI_EXIT_USAGE;
}

int cli_one_file(int argc, char **argv, const char **out_path)
{
    static const struct option none[] = {{NULL, 0, NULL, 0}};

    optind = 0; /* glibc: full reinitialisation */
    opterr = 0;
    if (getopt_long(argc, argv, "+", none, NULL) != -1)
        return cli_usage_error(argv[0], "unknown option %s", argv[optind - 1]);
    if (argc - optind != 1)
        return cli_usage_error(argv[0], "expected exactly one FILE.wasm");
    *out_path = argv[optind];
    return CLI_EXIT_OK;
}

int cli_validate(int argc, char **argv)
{
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    const char *path = NULL;
    int rc, st;

    if ((rc = cli_one_file(argc, argv, &path)) != CLI_EXIT_OK)
        return rc;
    if ((st = mantle_engine_new(NULL, &engine)) != MANTLE_OK) {
        fprintf(stderr, "mantle: engine: %s\n", mantle_strerror(st));
        return cli_exit_code(st);
    }
    rc = cli_load(engine, path, &module);
    if (rc == CLI_EXIT_OK)
        printf("%s: valid\n", path);
    mantle_module_free(module);
    mantle_engine_free(engine);
    return rc;
}

int main(int argc, char **argv)
{
    const char *verb;
    int rc;

    if (argc < 2) {
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    verb = argv[1];
    argc--;
    argv++; /* argv[0] is now the verb, as getopt expects */

    if (strcmp(verb, "validate") == 0)
        rc = cli_validate(argc, argv);
#if MANTLE_ENABLE_CLI_EXTRAS
    else if (strcmp(verb, "inspect") == 0)
        rc = cli_inspect(argc, argv);
#endif
    else if (strcmp(verb, "run") == 0)
        rc = cli_run(argc, argv);
#if MANTLE_ENABLE_AOT
    else if (strcmp(verb, "compile") == 0)
        rc = cli_compile(argc, argv);
#endif
#if MANTLE_ENABLE_TEE
    else if (strcmp(verb, "attest") == 0)
        rc = cli_attest(argc, argv);
    else if (strcmp(verb, "evidence") == 0)
        rc = cli_evidence(argc, argv);
#endif
#if MANTLE_ENABLE_ATTEST
    else if (strcmp(verb, "verify") == 0)
        rc = cli_verify(argc, argv);
#endif
    else if (strcmp(verb, "version") == 0 || strcmp(verb, "--version") == 0) {
        if (argc != 1)
            return cli_usage_error("version", "takes no arguments");
        printf("mantle %s\n", MANTLE_VERSION);
        rc = CLI_EXIT_OK;
    } else if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0 ||
               strcmp(verb, "-h") == 0) {
        cli_usage(stdout);
        rc = CLI_EXIT_OK;
    } else {
        fprintf(stderr, "mantle: unknown command \"%s\"\n", verb);
        cli_usage(stderr);
        rc = CLI_EXIT_USAGE;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("mantle: stdout: write");
        if (rc == CLI_EXIT_OK)
            rc = CLI_EXIT_IO;
    }
    return rc;
}
