/* args_env.c - args_get/args_sizes_get, environ_get/environ_sizes_get.
 * SPDX-License-Identifier: Apache-2.0
 *
 * usage: args_env explicit alpha "with space" "" "ünï"   (env FOO=bar,
 *            SPACED="a b c", EMPTY=, EQ=x=y, nothing else)
 *        args_env inherit        (--env-inherit; host sets MANTLE_WASI_INHERIT)
 *        args_env none           (no --env: the guest sees no environment)
 */
#include <stdlib.h>

#include "wasi_test.h"

extern char **environ;

/* The raw imports agree with what wasi-libc handed to main. */
static void check_args_raw(int argc, char **argv)
{
    __wasi_size_t count, size, total = 0;
    uint8_t **ptrs;
    uint8_t *buf;

    CHECK_OK(__wasi_args_sizes_get(&count, &size));
    CHECK(count == (__wasi_size_t)argc);
    for (int i = 0; i < argc; i++)
        total += strlen(argv[i]) + 1;
    CHECK(size == total);
    ptrs = calloc(count + 1, sizeof *ptrs);
    buf = malloc(size + 1);
    CHECK(ptrs && buf);
    CHECK_OK(__wasi_args_get(ptrs, buf));
    for (int i = 0; i < argc; i++) {
        CHECK(ptrs[i] >= buf && ptrs[i] < buf + size);
        CHECK(strcmp((char *)ptrs[i], argv[i]) == 0);
    }
    /* strings are packed, NUL-terminated, in order */
    CHECK(count == 0 || ptrs[0] == buf);
    free(ptrs);
    free(buf);
}

static void check_environ_raw(void)
{
    __wasi_size_t count, size, total = 0, n = 0;
    uint8_t **ptrs;
    uint8_t *buf;

    for (char **e = environ; e && *e; e++, n++)
        total += strlen(*e) + 1;
    CHECK_OK(__wasi_environ_sizes_get(&count, &size));
    CHECK(count == n);
    CHECK(size == total);
    ptrs = calloc(count + 1, sizeof *ptrs);
    buf = malloc(size + 1);
    CHECK(ptrs && buf);
    CHECK_OK(__wasi_environ_get(ptrs, buf));
    for (__wasi_size_t i = 0; i < count; i++) {
        CHECK(ptrs[i] >= buf && ptrs[i] < buf + size);
        CHECK(strcmp((char *)ptrs[i], environ[i]) == 0);
    }
    free(ptrs);
    free(buf);
}

static void check_env(const char *name, const char *want)
{
    const char *v = getenv(name);

    if (v == NULL)
        FAIL("getenv(%s) is NULL, want \"%s\"", name, want);
    if (strcmp(v, want) != 0)
        FAIL("getenv(%s) = \"%s\", want \"%s\"", name, v, want);
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2);
    CHECK(argv[0] != NULL && argv[argc] == NULL);
    check_args_raw(argc, argv);
    check_environ_raw();

    if (strcmp(argv[1], "explicit") == 0) {
        CHECK(argc == 6);
        CHECK(strcmp(argv[2], "alpha") == 0);
        CHECK(strcmp(argv[3], "with space") == 0);
        CHECK(strcmp(argv[4], "") == 0);
        CHECK(strcmp(argv[5], "\xc3\xbcn\xc3\xaf") == 0);
        check_env("FOO", "bar");
        check_env("SPACED", "a b c");
        check_env("EMPTY", "");
        check_env("EQ", "x=y");
        /* exactly the four variables given, nothing of the host's */
        int n = 0;
        for (char **e = environ; *e; e++)
            n++;
        CHECK(n == 4);
        CHECK(getenv("PATH") == NULL);
    } else if (strcmp(argv[1], "inherit") == 0) {
        CHECK(argc == 2);
        const char *v = getenv("MANTLE_WASI_INHERIT");
        CHECK(v != NULL && strncmp(v, "yes-", 4) == 0);
        CHECK(getenv("PATH") != NULL);
    } else if (strcmp(argv[1], "none") == 0) {
        CHECK(argc == 2);
        __wasi_size_t count, size;
        CHECK_OK(__wasi_environ_sizes_get(&count, &size));
        CHECK(count == 0 && size == 0);
        CHECK(environ == NULL || environ[0] == NULL);
    } else {
        FAIL("unknown mode %s", argv[1]);
    }
    printf("ok\n");
    return 0;
}
