/* cli.h - shared pieces of the `mantle` command: exit codes, loading, reports.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The program is built on include/mantle.h only. Every verb returns one of
 * the exit codes below (or a guest's own exit code); every failure message
 * names the file and the operation that failed.
 */
#ifndef MANTLE_CLI_H
#define MANTLE_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "mantle.h"
#include "kbs_fetch.h"

/* Exit statuses, documented in usage() and README.md. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_TRAP = 1,   /* trap, or another runtime failure */
    CLI_EXIT_USAGE = 2,  /* bad command line */
    CLI_EXIT_MODULE = 3, /* malformed or invalid module */
    CLI_EXIT_LINK = 4,   /* an import cannot be satisfied */
    CLI_EXIT_IO = 5,     /* a file could not be read */
    CLI_EXIT_REFUSED = 6, /* an AOT artifact was refused, never loaded */
};

/* main.c */
void cli_usage(FILE *f);
/* Print "mantle: <verb>: <msg>" and the usage to stderr; CLI_EXIT_USAGE. */
int cli_usage_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Options of a verb that takes only FILE.wasm: *out_path, or a usage
 * error's exit code. */
int cli_one_file(int argc, char **argv, const char **out_path);
/* The exit code for a library status that ends the command. */
int cli_exit_code(int status);
/* Report a failed library call on `path`: "path: what: detail", with the
 * diag's message (minus a leading "path: " it may carry) and, for traps,
 * the backtrace. `module` may be NULL. Returns cli_exit_code(status). */
int cli_report(const char *path, const mantle_module *module, int status,
               const mantle_diag *diag);
/* Read `path` whole and decode+validate it; on failure report and return
 * the exit code (the engine is the caller's). */
int cli_load(mantle_engine *engine, const char *path,
             mantle_module **out_module);
/* Reset a diag before a call so unset "where" fields read as unknown. */
void cli_diag_init(mantle_diag *diag);

/* value.c: text forms of values and types. */
/* Parse a command-line argument as a value of `kind`; 0 or -1. */
int cli_value_parse(const char *s, mantle_valkind kind, mantle_val *out_val);
/* "i32:42", "f64:0.5", "f32:nan:0x200000", "funcref:null". */
void cli_value_print(FILE *f, const mantle_val *val);
/* "(i32, i64) -> (f64)" */
void cli_functype_print(FILE *f, const mantle_functype *type);
/* "func (i32) -> ()", "memory pages min 1 max 2", "global mut i64", ... */
void cli_externtype_print(FILE *f, const mantle_externtype *type);

/* run.c: --max-memory SIZE (64K..4G; K, M, G) in 64 KiB pages, and
 * --timeout DURATION (ns, us, ms, s, m, h; bare: s) in ns; 0 or -1. Shared
 * with the workload verbs so both accept the same forms. */
int cli_parse_size_pages(const char *s, uint32_t *out_pages);
int cli_parse_duration(const char *s, uint64_t *out_ns);

/* The verbs: argv[0] is the verb itself. */
int cli_validate(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_compile(int argc, char **argv); /* compile.c */
int cli_attest(int argc, char **argv);
int cli_evidence(int argc, char **argv);
int cli_verify(int argc, char **argv);  /* verify.c */
int cli_deploy(int argc, char **argv);  /* fleet_client.c */
int cli_invoke(int argc, char **argv);

/* verify_inputs.c: files a verifier reads (at most 16 MiB each). */
enum { CLI_MAX_FILES = 64 };
typedef struct cli_file {
    char *path;
    uint8_t *data;   /* NUL-terminated */
    size_t len;
} cli_file;
/* CLI_EXIT_OK, or CLI_EXIT_IO with "mantle: VERB: PATH: why" on stderr. */
int cli_read_file(const char *verb, const char *path, cli_file *out);
/* --cert FILE... and --collateral DIR (every regular file, in name order),
 * as mantle_verify_input's certs and collateral. */
typedef struct cli_evidence_inputs {
    cli_file certs[CLI_MAX_FILES], col[CLI_MAX_FILES];
    mantle_blob cert_blobs[CLI_MAX_FILES], col_blobs[CLI_MAX_FILES];
    size_t ncerts, ncol;
} cli_evidence_inputs;
int cli_evidence_inputs_load(const char *verb, const char *const *cert_paths,
                             size_t ncert_paths, const char *coldir,
                             cli_evidence_inputs *out);
void cli_evidence_inputs_free(cli_evidence_inputs *in);
int cli_broker(int argc, char **argv);  /* broker.c */
int cli_verify_tls(int argc, char **argv);  /* verify.c */
/* ratls_proxy.c: serve TLS on tls_fd with the RA-TLS certificate, each
 * connection relayed to the guest's listener on 127.0.0.1:guest_port. */
int cli_ratls_start(const char *spec, int tls_fd, uint16_t guest_port,
                    const char *cert_pem, const char *key_pem);
/* Wait (5 s at most) for the connection being relayed, if any. */
void cli_ratls_drain(void);
/* The TLS extension in which `verify-tls` sends its nonce (ClientHello; a
 * private-use codepoint, docs/attest.md) and the proxy answers with a
 * certificate made for that connection. */
#define CLI_RATLS_NONCE_EXT 0xffa7
/* ratls_proxy.c: make those per-connection certificates for `module` under
 * `launch` (copied; its secrets are not, the evidence does not measure
 * them) with `tee`; before cli_ratls_start. */
void cli_ratls_fresh(mantle_tee *tee, const mantle_module *module,
                     const mantle_tee_launch *launch);

/* A secret to fetch from the key broker: --secret NAME=kbs:///R/T/G
 * (name, resource "R/T/G"; kbs_fetch.c does the fetching). */
typedef struct kbs_want cli_kbs_secret;
/* attest.c: attest with the platform's evidence in Trustee's encoding
 * (mantle_kbs_client_trustee) instead of Mantle's EAT: run --broker-trustee. */
void cli_kbs_use_trustee(void);
/* agent_client.c: talk to mantled */
int cli_node(int argc, char **argv);
int cli_module(int argc, char **argv);
int cli_workload(int argc, char **argv);

/* attest.c: TEE options shared with run. The default state directory
 * ($MANTLE_STATE_DIR, else $XDG_STATE_HOME/mantle, else
 * ~/.local/state/mantle). */
const char *cli_state_dir(void);
/* --sealed-cache of `mantle run`, in bytes (0: the library's default). */
extern size_t cli_sealed_cache;
/* Open --tee=NAME (state_dir NULL: the default), saying on stderr when it
 * is the soft backend; an exit code after reporting. */
int cli_tee_open(const char *verb, const char *name, const char *state_dir,
                 mantle_tee **out);
/* --secret NAME=@FILE: read FILE; freed with cli_secret_free. */
int cli_secret_load(const char *arg, mantle_tee_secret *out);
void cli_secret_free(mantle_tee_secret *s);
/* For run: open the TEE (tee_name NULL: auto if the module imports from
 * "mantle", listen_tls is set or a directory is sealed, else none),
 * define its services for this launch (measuring "listen-tls:ADDR" for
 * listen_tls, and then making its RA-TLS certificate and key into
 * *out_tls_cert/key) and mount the sealed directories of wasi. */
int cli_tee_define(const char *path, const char *tee_name,
                   const char *state_dir, mantle_module *module,
                   const mantle_wasi_preopen *dirs, size_t ndirs,
                   const char **envv, size_t nenv, const char **listens,
                   size_t nlistens, const mantle_tee_secret *secrets,
                   size_t nsecrets, const char *broker, const char *broker_ca,
                   const cli_kbs_secret *kbs, size_t nkbs,
                   const char *listen_tls, char **out_tls_cert,
                   char **out_tls_key, mantle_linker *linker,
                   mantle_wasi *wasi,
                   mantle_tee **out);

#endif
