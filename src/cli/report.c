/* report.c - loading a module file and reporting library failures.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_exit_code(int status)
{
    switch (status) {
    case MANTLE_OK: return CLI_EXIT_OK;
    case MANTLE_EMALFORMED:
    case MANTLE_EINVALID: return CLI_EXIT_MODULE;
    case MANTLE_EUNLINKABLE: return CLI_EXIT_LINK;
    case MANTLE_EIO: return CLI_EXIT_IO;
    case MANTLE_EREFUSED: return CLI_EXIT_REFUSED;
    case MANTLE_EINVAL:
    case MANTLE_ENOTFOUND:
    case MANTLE_ETYPE: return CLI_EXIT_USAGE;
    default: /* traps, limits, out of memory: the run failed */
        return CLI_EXIT_TRAP;
    }
}

void cli_diag_init(mantle_diag *diag)
{
    memset(diag, 0, sizeof *diag);
    diag->func_index = UINT32_MAX;
    diag->offset = UINT32_MAX;
}

/* The operation a failing status belongs to, as the report names it. */
static const char *what_failed(int status)
{
    switch (status) {
    case MANTLE_EMALFORMED: return "malformed module";
    case MANTLE_EINVALID: return "invalid module";
    case MANTLE_EUNLINKABLE: return "unlinkable";
    case MANTLE_ETRAP: return "trap";
    case MANTLE_EIO: return "read";
    case MANTLE_EREFUSED: return "artifact refused";
    default: return mantle_strerror(status);
    }
}

int cli_report(const char *path, const mantle_module *module, int status,
               const mantle_diag *diag)
{
    static const char *const kinds[] = {
        "malformed: ", "invalid: ", "unlinkable: ", "trap: ", "refused: "};
    const char *msg = diag ? diag->message : "";
    size_t n = strlen(path);
    const char *sep = "";

    /* The library prefixes messages with the module's name; we add our own
     * prefix so every line reads "path: operation: detail". */
    if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    /* ... and may name the kind of failure, which we name ourselves. */
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t k = strlen(kinds[i]);

        if (strncmp(msg, kinds[i], k) == 0) {
            msg += k;
            break;
        }
    }
    if (*msg == '\0' && status == MANTLE_ETRAP && diag)
        msg = mantle_trap_message(diag->trap);
    if (*msg == '\0')
        msg = mantle_strerror(status);

    fprintf(stderr, "%s: %s: %s", path, what_failed(status), msg);
    /* Where, if the message did not already say. */
    if (diag && diag->func_index != UINT32_MAX && !strstr(msg, "function")) {
        fprintf(stderr, " (function %u", (unsigned)diag->func_index);
        sep = ", ";
    }
    if (diag && diag->offset != UINT32_MAX && !strstr(msg, "offset")) {
        fprintf(stderr, "%soffset 0x%x", *sep ? sep : " (",
                (unsigned)diag->offset);
        sep = ", ";
    }
    if (*sep)
        fputc(')', stderr);
    fputc('\n', stderr);

    if (status == MANTLE_ETRAP && diag && diag->nframes > 0) {
        char small[4096], *buf = small;
        size_t want = mantle_diag_backtrace(diag, module, small, sizeof small);

        if (want >= sizeof small && (buf = malloc(want + 1)) != NULL)
            mantle_diag_backtrace(diag, module, buf, want + 1);
        else if (want >= sizeof small)
            buf = small; /* out of memory: print what fitted */
        fputs("backtrace:\n", stderr);
        fputs(buf, stderr);
        if (*buf && buf[strlen(buf) - 1] != '\n')
            fputc('\n', stderr);
        if (buf != small)
            free(buf);
    }
    return cli_exit_code(status);
}

/* Read a whole file; NULL with errno set and *out_op naming the step. */
static uint8_t *read_file(const char *path, size_t *out_size,
                          const char **out_op)
{
    FILE *f;
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0, got;
    int err = 0;

    *out_op = "open";
    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    *out_op = "read";
    for (;;) {
        if (size == cap) {
            uint8_t *p;

            cap = cap ? cap * 2 : 65536;
            if ((p = realloc(buf, cap)) == NULL) {
                err = ENOMEM;
                break;
            }
            buf = p;
        }
        got = fread(buf + size, 1, cap - size, f);
        size += got;
        if (got == 0) {
            if (ferror(f))
                err = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    *out_size = size;
    return buf;
}

int cli_load(mantle_engine *engine, const char *path,
             mantle_module **out_module)
{
    mantle_diag diag;
    const char *op;
    uint8_t *bytes;
    size_t size;
    int st;

    *out_module = NULL;
    if ((bytes = read_file(path, &size, &op)) == NULL) {
        fprintf(stderr, "%s: %s: %s\n", path, op, strerror(errno));
        return CLI_EXIT_IO;
    }
    cli_diag_init(&diag);
    st = mantle_module_new(engine, bytes, size, path, out_module, &diag);
    free(bytes);
    if (st != MANTLE_OK) {
        *out_module = NULL;
        return cli_report(path, NULL, st, &diag);
    }
    return CLI_EXIT_OK;
}
