/* wat2bin.c - test tool: a .wat file to a .wasm file through wasm_wat_to_binary.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: wat2bin IN.wat OUT.wasm    (exit 1 with "IN:line:col: why")
 */
#include <stdio.h>
#include <stdlib.h>

#include "module.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: wat2bin IN.wat OUT.wasm\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1 << 16, len = 0, n;
    char *text = malloc(cap);
    while (text && (n = fread(text + len, 1, cap - len, f)) > 0)
        if ((len += n) == cap)
            text = realloc(text, cap *= 2);
    fclose(f);
    if (!text)
        return 1;
    uint8_t *bin;
    size_t size;
    wasm_error err;
    if (wasm_wat_to_binary(&mt_default_allocator, text, len, &bin, &size,
                           &err) != 0) {
        fprintf(stderr, "%s:%s\n", argv[1], err.msg);
        free(text);
        return 1;
    }
    free(text);
    FILE *o = fopen(argv[2], "wb");
    if (!o || fwrite(bin, 1, size, o) != size || fclose(o) != 0) {
        perror(argv[2]);
        return 1;
    }
    mt_free(&mt_default_allocator, bin);
    return 0;
}
