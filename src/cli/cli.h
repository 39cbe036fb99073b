/* cli.h - shared pieces of the `mantle` command: exit codes, loading, reports.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The program is built on include/mantle.h only. Every verb returns one of
 * the exit codes below (or a guest's own exit code); every failure message
 * names the file and the operation that failed.
 */
#ifndef MANTLE_CLI_H
#define MANTLE_CLI_H

#include <stdio.h>

#include "mantle.h"

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

/* The verbs: argv[0] is the verb itself. */
int cli_validate(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_compile(int argc, char **argv); /* compile.c */
int cli_attest(int argc, char **argv);
int cli_evidence(int argc, char **argv);
int cli_verify(int argc, char **argv);  /* verify.c */

/* attest.c: TEE options shared with run. The default state directory
 * ($MANTLE_STATE_DIR, else $XDG_STATE_HOME/mantle, else
 * ~/.local/state/mantle). */
const char *cli_state_dir(void);
/* Open --tee=NAME (state_dir NULL: the default), saying on stderr when it
 * is the soft backend; an exit code after reporting. */
int cli_tee_open(const char *verb, const char *name, const char *state_dir,
                 mantle_tee **out);
/* --secret NAME=@FILE: read FILE; freed with cli_secret_free. */
int cli_secret_load(const char *arg, mantle_tee_secret *out);
void cli_secret_free(mantle_tee_secret *s);
/* For run: open the TEE (tee_name NULL: auto if the module imports from
 * "mantle", else none) and define its services for this launch. */
int cli_tee_define(const char *path, const char *tee_name,
                   const char *state_dir, mantle_module *module,
                   const mantle_wasi_preopen *dirs, size_t ndirs,
                   const char **envv, size_t nenv, const char **listens,
                   size_t nlistens, const mantle_tee_secret *secrets,
                   size_t nsecrets, mantle_linker *linker, mantle_tee **out);

#endif
