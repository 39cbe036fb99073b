/* tv.h - test helpers for the attestation tests: recorded vectors, the
 * independent expected.json oracle, checks.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Vectors are read at test time from the shared testvectors folder (argv[1]);
 * nothing from them is copied into the repository. Negative cases are built
 * by mutating the recorded bytes in memory.
 */
#ifndef MANTLE_TV_H
#define MANTLE_TV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mantle.h"

/* Skip (77, CTest SKIP_RETURN_CODE) when the vectors are absent. */
#define TV_SKIP 77

extern int tv_failures;
extern const char *tv_dir;   /* <testvectors>/<family> */

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            tv_failures++;                                                    \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,  \
                    #cond);                                                   \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

typedef struct tv_file {
    uint8_t *data;
    size_t len;
    char name[64];
} tv_file;

/* Set tv_dir to argv[1]/family; false (skip) if it is missing. */
bool tv_init(int argc, char **argv, const char *family);
/* Read tv_dir/name; aborts the test if unreadable. */
tv_file tv_read(const char *name);
tv_file tv_copy(const tv_file *f);
void tv_free(tv_file *f);
mantle_blob tv_blob(const tv_file *f);
/* expected.json of the family (a borrowed, process-lifetime object). */
json_t *tv_expected(void);
/* expected.json path lookup: "file.bin/verification/verify_at". */
json_t *tv_get(const char *path);
const char *tv_str(const char *path);
int64_t tv_int(const char *path);
int64_t tv_time(const char *rfc3339);
/* Compare bytes with a hex string from the oracle. */
bool tv_hex_eq(const uint8_t *p, size_t n, const char *hex);
/* The _negative_cases entry with this id (aborts if absent, so a renamed
 * oracle case cannot silently drop a test). */
json_t *tv_case(const char *id);
/* Verify with mantle_verify; returns the status, *reason, message. */
int tv_verify(const mantle_verify_input *in, mantle_claims *claims,
              mantle_verify_reason *reason, char *msg, size_t cap);
/* Expect a refusal with `want`; prints the case id on mismatch. */
void tv_expect_refused(const char *id, const mantle_verify_input *in,
                       mantle_verify_reason want);
int tv_done(const char *family);

#endif
