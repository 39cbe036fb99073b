/* verify_inputs.c - reading what a verifier needs from files: the evidence
 * and trust anchors (`mantle verify`), the certificates and collateral
 * directory that platform evidence needs (`verify --cert --collateral`,
 * `broker serve --evidence-cert --collateral`).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

enum { CLI_MAX_FILE_BYTES = 16 << 20 };

int cli_read_file(const char *verb, const char *path, cli_file *out)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf;

    if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > CLI_MAX_FILE_BYTES) {
        fprintf(stderr, "mantle: %s: %s: read: %s\n", verb, path,
                f == NULL ? strerror(errno) : "not a regular file under 16 MiB");
        if (f)
            fclose(f);
        return CLI_EXIT_IO;
    }
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL ||
        fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        fprintf(stderr, "mantle: %s: %s: read failed\n", verb, path);
        free(buf);
        fclose(f);
        return CLI_EXIT_IO;
    }
    buf[st.st_size] = '\0';
    fclose(f);
    out->path = strdup(path);
    out->data = buf;
    out->len = (size_t)st.st_size;
    return out->path ? CLI_EXIT_OK : CLI_EXIT_IO;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order, appended to out[*n]. */
static int read_dir(const char *verb, const char *dir, cli_file *out,
                    size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char *names[CLI_MAX_FILES];
    size_t k = 0;
    int rc = CLI_EXIT_OK;

    if (d == NULL) {
        fprintf(stderr, "mantle: %s: %s: open directory: %s\n", verb, dir,
                strerror(errno));
        return CLI_EXIT_IO;
    }
    while ((de = readdir(d)) != NULL && k < CLI_MAX_FILES) {
        char path[4096];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            names[k++] = strdup(path);
    }
    closedir(d);
    qsort(names, k, sizeof names[0], cmp_names);
    for (size_t i = 0; i < k; i++) {
        if (rc == CLI_EXIT_OK && *n < CLI_MAX_FILES && names[i] &&
            (rc = cli_read_file(verb, names[i], &out[*n])) == CLI_EXIT_OK)
            (*n)++;
        free(names[i]);
    }
    return rc;
}

int cli_evidence_inputs_load(const char *verb, const char *const *cert_paths,
                             size_t ncert_paths, const char *coldir,
                             cli_evidence_inputs *out)
{
    int rc;

    memset(out, 0, sizeof *out);
    if (ncert_paths > CLI_MAX_FILES)
        return cli_usage_error(verb, "more than %d certificates",
                               CLI_MAX_FILES);
    for (size_t i = 0; i < ncert_paths; i++) {
        if ((rc = cli_read_file(verb, cert_paths[i], &out->certs[i])) !=
            CLI_EXIT_OK)
            return rc;
        out->cert_blobs[i] = (mantle_blob){out->certs[i].data,
                                           out->certs[i].len,
                                           out->certs[i].path};
        out->ncerts++;
    }
    if (coldir != NULL &&
        (rc = read_dir(verb, coldir, out->col, &out->ncol)) != CLI_EXIT_OK)
        return rc;
    for (size_t i = 0; i < out->ncol; i++)
        out->col_blobs[i] = (mantle_blob){out->col[i].data, out->col[i].len,
                                          out->col[i].path};
    return CLI_EXIT_OK;
}

void cli_evidence_inputs_free(cli_evidence_inputs *in)
{
    for (size_t i = 0; i < in->ncerts; i++) {
        free(in->certs[i].path);
        free(in->certs[i].data);
    }
    for (size_t i = 0; i < in->ncol; i++) {
        free(in->col[i].path);
        free(in->col[i].data);
    }
    memset(in, 0, sizeof *in);
}
