/* sealer.c - a wasm32-wasi workload for tests/agent/sealed_test.sh: keeps a
 * diary in the directory argv[1] (a sealed volume), one marker line per
 * run. Each run counts the lines earlier runs left (so a restart shows it
 * read them back), prints only that count, appends its own line, then
 * burns argv[2] loop iterations of fuel and exits 0. "burn" as argv[1]
 * loops until the fuel runs out.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARKER "PLAINTEXT-MARKER-7f3a"

static volatile unsigned long sink;

int main(int argc, char **argv)
{
    char path[256], line[128];
    unsigned long n = 0, iters;
    FILE *f;

    if (argc == 2 && strcmp(argv[1], "burn") == 0)
        for (;;)
            sink++;
    if (argc != 3) {
        fputs("usage: sealer DIR ITERATIONS | burn\n", stderr);
        return 2;
    }
    snprintf(path, sizeof path, "%s/diary-secret-name.txt", argv[1]);
    if ((f = fopen(path, "r")) != NULL) {
        while (fgets(line, sizeof line, f))
            if (strncmp(line, MARKER, strlen(MARKER)) == 0)
                n++;
        fclose(f);
    }
    printf("lines=%lu\n", n);
    if ((f = fopen(path, "a")) == NULL || fprintf(f, MARKER " %lu\n", n) < 0 ||
        fclose(f) != 0) {
        perror("sealer: append");
        return 1;
    }
    iters = strtoul(argv[2], NULL, 10);
    for (unsigned long i = 0; i < iters; i++)
        sink += i;
    return 0;
}
