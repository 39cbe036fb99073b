/* tv.c - test helpers for the attestation tests (see tv.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tv.h"

int tv_failures;
const char *tv_dir;
static char dir_buf[1024];
static json_t *expected;

bool tv_init(int argc, char **argv, const char *family)
{
    struct stat st;

    if (argc < 2) {
        fprintf(stderr, "usage: %s TESTVECTORS_DIR\n", argv[0]);
        exit(2);
    }
    snprintf(dir_buf, sizeof dir_buf, "%s/%s", argv[1], family);
    tv_dir = dir_buf;
    if (stat(dir_buf, &st) != 0) {
        fprintf(stderr, "%s: missing, skipping\n", dir_buf);
        return false;
    }
    return true;
}

tv_file tv_read(const char *name)
{
    char path[1280];
    tv_file f;
    FILE *fp;
    long n;

    memset(&f, 0, sizeof f);
    snprintf(f.name, sizeof f.name, "%s", name);
    snprintf(path, sizeof path, "%s/%s", tv_dir, name);
    if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
        (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
        (f.data = malloc((size_t)n + 1)) == NULL ||
        fread(f.data, 1, (size_t)n, fp) != (size_t)n) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(1);
    }
    fclose(fp);
    f.len = (size_t)n;
    return f;
}

tv_file tv_copy(const tv_file *f)
{
    tv_file c = *f;

    if ((c.data = malloc(f->len + 1)) == NULL)
        abort();
    memcpy(c.data, f->data, f->len);
    return c;
}

void tv_free(tv_file *f)
{
    free(f->data);
    f->data = NULL;
}

mantle_blob tv_blob(const tv_file *f)
{
    mantle_blob b = {f->data, f->len, f->name};
    return b;
}

json_t *tv_expected(void)
{
    char path[1280];
    json_error_t err;

    if (expected == NULL) {
        snprintf(path, sizeof path, "%s/expected.json", tv_dir);
        if ((expected = json_load_file(path, 0, &err)) == NULL) {
            fprintf(stderr, "%s: %s\n", path, err.text);
            exit(1);
        }
    }
    return expected;
}

json_t *tv_get(const char *path)
{
    json_t *v = tv_expected();
    char buf[256], *save = NULL, *tok;

    snprintf(buf, sizeof buf, "%s", path);
    for (tok = strtok_r(buf, "/", &save); tok && v;
         tok = strtok_r(NULL, "/", &save)) {
        if (json_is_array(v))
            v = json_array_get(v, (size_t)atoi(tok));
        else
            v = json_object_get(v, tok);
    }
    if (v == NULL) {
        fprintf(stderr, "expected.json: no %s\n", path);
        exit(1);
    }
    return v;
}

const char *tv_str(const char *path)
{
    json_t *v = tv_get(path);

    if (!json_is_string(v)) {
        fprintf(stderr, "expected.json: %s is not a string\n", path);
        exit(1);
    }
    return json_string_value(v);
}

int64_t tv_int(const char *path)
{
    json_t *v = tv_get(path);

    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 0);
    return json_integer_value(v);
}

int64_t tv_time(const char *rfc3339)
{
    int64_t t = 0;

    if (mantle_time_parse(rfc3339, &t) != MANTLE_OK) {
        fprintf(stderr, "bad time %s\n", rfc3339);
        exit(1);
    }
    return t;
}

bool tv_hex_eq(const uint8_t *p, size_t n, const char *hex)
{
    static const char d[] = "0123456789abcdef";

    if (hex == NULL || strlen(hex) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char hi = d[p[i] >> 4], lo = d[p[i] & 15];
        char a = hex[2 * i], b = hex[2 * i + 1];
        if (a >= 'A' && a <= 'F')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'F')
            b = (char)(b - 'A' + 'a');
        if (a != hi || b != lo)
            return false;
    }
    return true;
}

json_t *tv_case(const char *id)
{
    json_t *cases = json_object_get(tv_expected(), "_negative_cases"), *c;
    size_t i;

    json_array_foreach(cases, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
            return c;
    }
    fprintf(stderr, "expected.json: no negative case %s\n", id);
    exit(1);
}

int tv_verify(const mantle_verify_input *in, mantle_claims *claims,
              mantle_verify_reason *reason, char *msg, size_t cap)
{
    mantle_diag diag;
    int st;

    *reason = MANTLE_VERIFY_OK;
    st = mantle_verify(in, claims, reason, &diag);
    if (msg)
        snprintf(msg, cap, "%s", st == MANTLE_OK ? "" : diag.message);
    return st;
}

void tv_expect_refused(const char *id, const mantle_verify_input *in,
                       mantle_verify_reason want)
{
    mantle_claims c;
    mantle_verify_reason r;
    char msg[512];
    int st;

    memset(&c, 0xA5, sizeof c);
    st = tv_verify(in, &c, &r, msg, sizeof msg);
    CHECK(st == MANTLE_EREFUSED && r == want,
          "%s: expected refusal \"%s\", got status %d reason \"%s\": %s", id,
          mantle_verify_reason_name(want), st, mantle_verify_reason_name(r),
          msg);
    /* Outputs untouched on failure. */
    CHECK(st == MANTLE_OK || (((unsigned char *)&c)[0] == 0xA5 &&
                              ((unsigned char *)&c)[sizeof c - 1] == 0xA5),
          "%s: claims written on failure", id);
    if (st == MANTLE_EREFUSED && r == want)
        printf("ok   %-34s refused (%s): %s\n", id,
               mantle_verify_reason_name(r), msg);
}

int tv_done(const char *family)
{
    json_decref(expected);
    if (tv_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", family, tv_failures);
        return 1;
    }
    printf("%s: all checks passed\n", family);
    return 0;
}
