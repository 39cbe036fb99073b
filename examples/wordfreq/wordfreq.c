/* wordfreq.c - count word frequencies over every file in a directory.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: wordfreq DIR [N]
 *
 * Reads each regular file directly in DIR, splits it into words (runs of
 * ASCII letters, with inner apostrophes kept: "don't"), lower-cases them,
 * counts them in an open-addressing hash table and prints the N most
 * frequent (default 10), ties broken alphabetically, then a total line.
 * The output does not depend on the order in which the directory lists its
 * files, so the native build and the wasm32-wasi build under `mantle run
 * --dir DIR::/data` print the same bytes. Plain C11 + POSIX dirent.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_WORD 64

struct word {
    char *text; /* NULL: empty slot */
    unsigned long count;
};

struct table {
    struct word *slots;
    size_t cap; /* a power of two */
    size_t used;
};

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);

    if (p == NULL) {
        fprintf(stderr, "wordfreq: out of memory\n");
        exit(1);
    }
    return p;
}

/* FNV-1a, 32 bits. */
static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static void table_grow(struct table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 1024;
    struct word *ns = xmalloc(ncap * sizeof *ns);

    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].text == NULL)
            continue;
        size_t j = hash(t->slots[i].text) & (ncap - 1);
        while (ns[j].text != NULL)
            j = (j + 1) & (ncap - 1);
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
}

static void table_add(struct table *t, const char *w)
{
    size_t i;

    /* keep the load factor under 1/2 */
    if (2 * (t->used + 1) > t->cap)
        table_grow(t);
    i = hash(w) & (t->cap - 1);
    while (t->slots[i].text != NULL) {
        if (strcmp(t->slots[i].text, w) == 0) {
            t->slots[i].count++;
            return;
        }
        i = (i + 1) & (t->cap - 1);
    }
    t->slots[i].text = xmalloc(strlen(w) + 1);
    strcpy(t->slots[i].text, w);
    t->slots[i].count = 1;
    t->used++;
}

/* Count the words of one stream; returns how many it had. */
static unsigned long count_stream(struct table *t, FILE *f)
{
    char w[MAX_WORD + 1];
    size_t len = 0;
    unsigned long words = 0;
    int c;

    for (;;) {
        c = getc(f);
        if (c != EOF && c < 128 && isalpha(c)) {
            if (len < MAX_WORD)
                w[len++] = (char)tolower(c);
            continue;
        }
        if (c == '\'' && len > 0) {
            /* an apostrophe counts only between letters */
            int next = getc(f);
            if (next != EOF && next < 128 && isalpha(next)) {
                if (len + 1 < MAX_WORD) {
                    w[len++] = '\'';
                    w[len++] = (char)tolower(next);
                }
                continue;
            }
            if (next != EOF)
                ungetc(next, f);
        }
        if (len > 0) {
            w[len] = '\0';
            table_add(t, w);
            words++;
            len = 0;
        }
        if (c == EOF)
            return words;
    }
}

static int by_count(const void *a, const void *b)
{
    const struct word *x = a, *y = b;

    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    struct table t = {NULL, 0, 0};
    unsigned long total = 0;
    long top = 10;
    char **names = NULL;
    size_t nnames = 0, capnames = 0;
    struct dirent *de;
    DIR *d;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: wordfreq DIR [N]\n");
        return 2;
    }
    if (argc == 3) {
        char *end;
        top = strtol(argv[2], &end, 10);
        if (*end != '\0' || top <= 0) {
            fprintf(stderr, "wordfreq: N must be a positive number: %s\n",
                    argv[2]);
            return 2;
        }
    }
    d = opendir(argv[1]);
    if (d == NULL) {
        fprintf(stderr, "wordfreq: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (nnames == capnames) {
            capnames = capnames ? capnames * 2 : 16;
            char **nn = xmalloc(capnames * sizeof *nn);
            if (nnames)
                memcpy(nn, names, nnames * sizeof *nn);
            free(names);
            names = nn;
        }
        names[nnames] = xmalloc(strlen(de->d_name) + 1);
        strcpy(names[nnames++], de->d_name);
    }
    closedir(d);
    /* a fixed order, so that per-file output is the same everywhere */
    if (nnames > 1)
        qsort(names, nnames, sizeof *names, by_name);

    size_t files = 0;
    for (size_t i = 0; i < nnames; i++) {
        char path[4096];
        struct stat st;
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        f = fopen(path, "r");
        if (f == NULL) {
            fprintf(stderr, "wordfreq: %s: %s\n", path, strerror(errno));
            return 1;
        }
        unsigned long n = count_stream(&t, f);
        if (ferror(f)) {
            fprintf(stderr, "wordfreq: %s: read error\n", path);
            return 1;
        }
        fclose(f);
        printf("%-24s %8lu words\n", names[i], n);
        total += n;
        files++;
    }

    /* compact the table and sort it */
    size_t n = 0;
    for (size_t i = 0; i < t.cap; i++)
        if (t.slots[i].text != NULL)
            t.slots[n++] = t.slots[i];
    if (n > 1)
        qsort(t.slots, n, sizeof *t.slots, by_count);

    printf("\n rank  word                  count  per mille\n");
    for (size_t i = 0; i < n && i < (size_t)top; i++) {
        unsigned long pm10 = total ? t.slots[i].count * 10000 / total : 0;
        printf("%5zu  %-20s %6lu  %4lu.%lu\n", i + 1, t.slots[i].text,
               t.slots[i].count, pm10 / 10, pm10 % 10);
    }
    printf("\ntotal: %lu words, %zu distinct, %zu files\n", total, n, files);

    for (size_t i = 0; i < n; i++)
        free(t.slots[i].text);
    free(t.slots);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    return 0;
}
