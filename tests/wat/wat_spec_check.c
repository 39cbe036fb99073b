/* wat_spec_check.c - the text parser against wast2json: every module of a spec .wast, byte for byte.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: wat-spec-check [-v] SPECDIR NAME...
 *
 * For each command of NAME/NAME.json that names a .wasm file, the module
 * form at the command's line of NAME/NAME.wast (the command itself, or the
 * first (module ...) inside an assert_*) goes through wasm_wat_to_binary,
 * and the result must equal the .wasm that wast2json (wabt 1.0.32) wrote.
 * Commands naming a .wat file (assert_malformed of `module quote`) must
 * fail to parse, or parse to a module the decoder or validator rejects.
 * Prints "NAME: N same, M different" per file; exits 1 if any differ.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mantle.h"
#include "wat.h"

static int verbose;

static char *read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len == cap)
            buf = realloc(buf, cap *= 2);
        size_t n = fread(buf + len, 1, cap - len, f);
        if (!n)
            break;
        len += n;
    }
    fclose(f);
    *out_len = len;
    return buf;
}

static int check_file(const char *dir, const char *name, unsigned long *same,
                      unsigned long *diff)
{
    char path[4096];
    size_t wlen;
    snprintf(path, sizeof path, "%s/%s/%s.wast", dir, name, name);
    char *wast = read_file(path, &wlen);
    if (!wast) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    wat_token *toks;
    uint32_t nt, line, col;
    char msg[256];
    if (wat_lex(&mt_default_allocator, wast, wlen, &toks, &nt, &line, &col,
                msg, sizeof msg)) {
        fprintf(stderr, "%s:%u:%u: %s\n", path, line, col, msg);
        free(wast);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s/%s.json", dir, name, name);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!root) {
        fprintf(stderr, "%s: %s\n", path, jerr.text);
        free(toks);
        free(wast);
        return -1;
    }
    json_t *cmds = json_object_get(root, "commands");
    unsigned long s = 0, d = 0;
    for (size_t i = 0; i < json_array_size(cmds); i++) {
        json_t *c = json_array_get(cmds, i);
        const char *fn = json_string_value(json_object_get(c, "filename"));
        long cline = (long)json_integer_value(json_object_get(c, "line"));
        if (!fn)
            continue;
        /* The (module ...) on that line: wast2json gives the module's line
         * for assertions, the command's for modules. */
        uint32_t m = 0;
        while (m + 1 < nt &&
               !(toks[m].kind == WT_LPAR &&
                 (toks[m].line == (uint32_t)cline ||
                  toks[m + 1].line == (uint32_t)cline) &&
                 toks[m + 1].len == 6 &&
                 memcmp(wast + toks[m + 1].off, "module", 6) == 0))
            m++;
        const char *text = wast;
        size_t tlen = wlen;
        if (m + 1 < nt) {
            text = wast + toks[m].off;
            tlen = toks[toks[m].match].off + 1 - toks[m].off;
        } else if (strcmp(json_string_value(json_object_get(c, "type")),
                          "module") != 0) {
            printf("%s:%ld: no module at this line\n", name, cline);
            d++;
            continue;
        } /* else a file of bare module fields (inline-module.wast) */
        uint8_t *bin = NULL;
        size_t blen = 0;
        wasm_error err;
        int rc = wasm_wat_to_binary(&mt_default_allocator, text, tlen, &bin,
                                    &blen, &err);
        size_t fl = strlen(fn);
        if (fl > 4 && strcmp(fn + fl - 4, ".wat") == 0) {
            /* must be malformed: text error, or bytes that do not load */
            bool ok = rc != 0;
            if (!ok) {
                mantle_engine *e;
                mantle_module *mod;
                if (mantle_engine_new(NULL, &e) == MANTLE_OK) {
                    if (mantle_module_new(e, bin, blen, name, &mod, NULL) !=
                        MANTLE_OK)
                        ok = true;
                    else
                        mantle_module_free(mod);
                    mantle_engine_free(e);
                }
            }
            if (ok) {
                s++;
            } else {
                d++;
                printf("%s:%ld: %s: parsed, but must be malformed (%s)\n",
                       name, cline, fn,
                       json_string_value(json_object_get(c, "text")));
            }
            free(bin);
            continue;
        }
        size_t elen = 0;
        snprintf(path, sizeof path, "%s/%s/%s", dir, name, fn);
        char *want = read_file(path, &elen);
        if (rc != 0) {
            d++;
            printf("%s:%ld: %s: %s\n", name, cline, fn, err.msg);
        } else if (!want || elen != blen || memcmp(want, bin, blen) != 0) {
            d++;
            size_t at = 0;
            while (want && at < elen && at < blen && want[at] == (char)bin[at])
                at++;
            printf("%s:%ld: %s: bytes differ at 0x%zx (ours %zu, wabt %zu "
                   "bytes)\n",
                   name, cline, fn, at, blen, elen);
            if (verbose) {
                FILE *o = fopen("/tmp/wat-ours.wasm", "wb");
                if (o) {
                    fwrite(bin, 1, blen, o);
                    fclose(o);
                }
            }
        } else {
            s++;
        }
        free(want);
        free(bin);
    }
    printf("%s: %lu same, %lu different\n", name, s, d);
    *same += s;
    *diff += d;
    json_decref(root);
    free(toks);
    free(wast);
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i < argc && strcmp(argv[i], "-v") == 0) {
        verbose = 1;
        i++;
    }
    if (argc - i < 2) {
        fprintf(stderr, "usage: wat-spec-check [-v] SPECDIR NAME...\n");
        return 2;
    }
    const char *dir = argv[i++];
    unsigned long same = 0, diff = 0;
    int bad = 0;
    for (; i < argc; i++)
        if (check_file(dir, argv[i], &same, &diff))
            bad = 1;
    printf("wat-spec-check: %lu same, %lu different\n", same, diff);
    return bad || diff ? 1 : 0;
}
