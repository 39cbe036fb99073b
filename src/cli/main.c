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
        "              [--format cbor|x509]\n"
        "       mantle evidence show FILE\n"
        "       mantle evidence root [--tee=NAME] [--state-dir DIR] -o ROOT.pem\n"
#endif
#if MANTLE_ENABLE_ATTEST
        "       mantle verify --format snp|tdx|sgx|cca|tpm|mantle --evidence FILE\n"
        "              [--cert FILE]... [--root FILE] [--collateral DIR]\n"
        "              [--policy FILE [--ear-key KEY.pem]] [--time RFC3339]\n"
        "              [--report-data HEX]\n"
        "       mantle broker put --db DB REPO/TYPE/TAG --value @FILE --policy FILE\n"
        "       mantle broker serve --db DB --root ROOT.pem [--policy FILE]\n"
        "              --listen ADDR:PORT --cert CERT.pem --key KEY.pem\n"
        "       mantle broker audit --db DB\n"
        "       mantle verify-tls HOST:PORT [--root FILE] [--policy FILE] [--time RFC3339]\n"
        "              [--no-nonce] [--max-age SECONDS]\n"
#endif
#if MANTLE_ENABLE_AOT
        "       mantle compile FILE.wasm -o OUT.mantle [--target x86_64|aarch64|"
        "armv7|riscv64]\n"
        "              [-O1|-O2|-O3] [--cc CC] [--fuel]\n"
#endif
#if MANTLE_ENABLE_AGENT
        "       mantle node info AGENT\n"
        "       mantle module push AGENT [--name NAME] FILE.wasm\n"
        "       mantle module ls|rm AGENT [DIGEST]\n"
        "       mantle workload create AGENT NAME --module DIGEST|FILE.wasm\n"
        "              [--restart always|on-failure|never] [RUN-LIMITS]\n"
        "              [--cpu-seconds N] [--memory-limit SIZE]\n"
        "              [--http-route [--http-concurrency N]] [--secret NAME]...\n"
        "              [-- ARG...]\n"
        "       mantle workload ls AGENT\n"
        "       mantle workload inspect|start|stop|rm AGENT NAME\n"
        "       mantle workload logs AGENT NAME [--stderr] [--tail BYTES] "
        "[--follow]\n"
#endif
#if MANTLE_ENABLE_AGENT && MANTLE_ENABLE_ATTEST
        "       mantle deploy [LATTICE] FILE.yaml|FILE.json\n"
        "       mantle deploy [LATTICE] status|rm NAME\n"
        "       mantle deploy [LATTICE] ls\n"
        "       mantle invoke [LATTICE] NAME [--data TEXT|--file FILE] "
        "[--timeout D] [-v]\n"
        "              [--repeat N [--concurrency C]]\n"
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
#if MANTLE_ENABLE_TEE
        "  --dir-sealed HOST[::GUEST] the same, sealed: files encrypted and\n"
        "                          authenticated under the module's sealing\n"
        "                          key, rollback-protected (docs/sealfs.md);\n"
        "                          needs a TEE backend (--tee)\n"
        "  --sealed-cache SIZE     decrypted pages cached per sealed directory\n"
        "                          (default 1/64 of memory within 8M-256M,\n"
        "                          used only as pages are; from 1M)\n"
#endif
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
        "  --stats-json FILE       at exit, write {exit_status, max_rss_bytes,\n"
        "                          fuel_limit, fuel_used} (fuel with --fuel)\n"
        "                          to FILE, for a supervisor such as mantled\n"
#if MANTLE_ENABLE_TEE
        "  --tee=auto|soft|tpm|tsm provide the TEE services (module \"mantle\":\n"
        "                          evidence, identity, seal, secrets); auto\n"
        "                          (the default when FILE imports them) never\n"
        "                          falls back to soft; tpm:TCTI, tsm:DIR\n"
        "  --state-dir DIR         TEE state (default $MANTLE_STATE_DIR or\n"
        "                          ~/.local/state/mantle)\n"
        "  --secret NAME=@FILE     a secret the guest reads by NAME\n"
#if MANTLE_ENABLE_ATTEST
        "  --secret NAME=kbs:///REPO/TYPE/TAG\n"
        "                          a secret from the key broker, released\n"
        "                          after attesting this module (--broker)\n"
        "  --broker URL            the key broker (https://HOST:PORT)\n"
        "  --broker-ca FILE        its certificate authority (PEM)\n"
        "  --broker-trustee        attest as Trustee's attesters do, with the\n"
        "                          platform's own evidence (tsm: snp, tdx;\n"
        "                          soft: sample), for a Trustee KBS\n"
        "  --listen-tls ADDR:PORT  attested TLS (RA-TLS) in the runtime: the\n"
        "                          guest's sock_accept sees plaintext; the\n"
        "                          certificate carries this module's evidence\n"
#endif
        "attest    write evidence (a signed EAT) for FILE under the launch\n"
        "          configuration GRANTS (--dir, --dir-ro, --dir-sealed, --env,\n"
        "          --listen, as for run) binding --nonce (1 to 64 bytes of\n"
        "          hex) to OUT; --tee and --state-dir as for run (default\n"
        "          auto); --format x509: write the module's X.509 DICE chain\n"
        "          (PEM, leaf first, self-signed layer-0 root last) instead.\n"
        "evidence  show: print the claims of an evidence file: nonce, TEE\n"
        "          kind, debug status, measurements (not verified).\n"
        "          root: write the device's DICE root public key (PEM), the\n"
        "          --root that verify --format mantle trusts.\n"
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
        "verify-tls connect to an attested TLS server (RA-TLS: run --listen-tls)\n"
        "          and verify the evidence its certificate carries for its key\n"
        "          and for a nonce it sends (a certificate made for the connection;\n"
        "          --no-nonce: the server's standing one), within the certificate's\n"
        "          validity and --max-age seconds of its issue; --root, --policy\n"
        "          and exit status as for verify.\n"
        "broker    the key broker (KBS protocol 0.4.0 over HTTPS): put stores\n"
        "          a secret with the policy its receivers must meet; serve\n"
        "          releases it to workloads whose evidence chains to --root\n"
        "          and satisfies it; audit prints every release and refusal.\n"
#endif
#if MANTLE_ENABLE_AOT
        "compile   translate FILE to C, compile it with the system C compiler\n"
        "          ($MANTLE_CC or cc; <triple>-gcc for --target) and write a\n"
        "          native artifact OUT that `mantle run` accepts; prints the\n"
        "          compile time. -O2 is the default.\n"
#endif
#if MANTLE_ENABLE_AGENT
        "node, module, workload\n"
        "          talk to a node agent (mantled, docs/agent.md). AGENT is\n"
        "          --agent https://HOST:PORT ($MANTLE_AGENT), --cacert FILE\n"
        "          ($MANTLE_AGENT_CACERT), and --cert FILE --key FILE (a\n"
        "          client certificate from the operator CA) or --token-file\n"
        "          FILE (a bearer token); $MANTLE_AGENT_CERT, _KEY and\n"
        "          _TOKEN_FILE likewise. --agent-root ROOT.pem [--agent-policy\n"
        "          FILE] instead of --cacert: the agent's RA-TLS certificate\n"
        "          (mantled tls_attested) must verify against ROOT.pem.\n"
        "          RUN-LIMITS: --fuel, --max-memory,\n"
        "          --timeout, --tee, --tier, --env, --dir, --dir-ro,\n"
        "          --dir-sealed (HOST is relative to the workload's volume),\n"
        "          --listen, as for run.\n"
        "          --http-route serves the first --listen socket at the\n"
        "          agent's /w/NAME/, at most --http-concurrency (16) at once.\n"
        "          --secret NAME gives the guest the agent's stored secret NAME\n"
        "          (PUT /v1/secrets/NAME) through the TEE services.\n"
        "          Exit 1 when the agent refuses (its reason on stderr), 5\n"
        "          when it cannot be reached.\n"
#endif
#if MANTLE_ENABLE_AGENT && MANTLE_ENABLE_ATTEST
        "deploy    the fleet (docs/fleet.md): put a manifest (JSON or YAML;\n"
        "          a module path in it is uploaded to the object store by\n"
        "          digest), say where each replica runs or why it is pending\n"
        "          (status), remove (rm) or list (ls) deployments.\n"
        "invoke    send the request (--data, --file, or empty) to one replica\n"
        "          of NAME as its stdin; print its stdout, exit with its\n"
        "          status; -v names the node that answered. --repeat N sends\n"
        "          it N times (C at once) and prints latency and throughput.\n"
        "          LATTICE is --lattice nats://HOST:PORT[,...]\n"
        "          ($MANTLE_LATTICE), --lattice-ca, --lattice-cert,\n"
        "          --lattice-key, --lattice-creds, --lattice-domain (the hub's\n"
        "          JetStream domain), --lattice-replicas (of the buckets, when\n"
        "          this creates them; as mantled's lattice_replicas) or\n"
        "          $MANTLE_LATTICE_CA, ... _DOMAIN, _REPLICAS.\n"
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
    else if (strcmp(verb, "broker") == 0)
        rc = cli_broker(argc, argv);
    else if (strcmp(verb, "verify-tls") == 0)
        rc = cli_verify_tls(argc, argv);
#endif
#if MANTLE_ENABLE_AGENT
    else if (strcmp(verb, "node") == 0)
        rc = cli_node(argc, argv);
    else if (strcmp(verb, "module") == 0)
        rc = cli_module(argc, argv);
    else if (strcmp(verb, "workload") == 0)
        rc = cli_workload(argc, argv);
#endif
#if MANTLE_ENABLE_AGENT && MANTLE_ENABLE_ATTEST
    else if (strcmp(verb, "deploy") == 0)
        rc = cli_deploy(argc, argv);
    else if (strcmp(verb, "invoke") == 0)
        rc = cli_invoke(argc, argv);
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
