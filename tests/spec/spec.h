/* spec.h - declarations shared by the files of the spec test runner (mantle-spec).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_SPEC_H
#define MANTLE_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mantle.h"

/* How an expected lane (or scalar) is compared. */
enum {
    SPEC_LANE_EXACT = 0,     /* bit for bit */
    SPEC_LANE_NAN_CANONICAL, /* "nan:canonical": any sign, quiet bit only */
    SPEC_LANE_NAN_ARITHMETIC /* "nan:arithmetic": any NaN with the quiet bit */
};

/* An expected result. Scalars i32/i64/f32/f64 are one lane of 4 or 8 bytes;
 * v128 is 16 bytes split into lanes of the JSON's lane_type. All bits are
 * stored little-endian, lane 0 first. */
typedef struct spec_expect {
    mantle_valkind kind;
    bool any;           /* no "value" given: only the type is checked */
    bool ref_nonnull;   /* funcref other than "null": any non-null ref */
    void *ref;          /* externref: the expected host pointer (NULL: null) */
    uint8_t lane_bytes; /* 1, 2, 4 or 8 */
    uint8_t nlanes;
    bool lane_float;    /* lanes are f32/f64, so NaN patterns may appear */
    uint8_t lane_mode[16];
    uint8_t bits[16];
} spec_expect;

/* The host pointer standing for the spec's (ref.extern n): distinct and
 * never NULL. */
void *spec_extern_ref(uint64_t n);

/* Parse a JSON argument value into *out. On failure returns false and
 * writes the reason to err. */
bool spec_val_parse(const json_t *v, mantle_val *out, char *err, size_t errlen);
/* Parse a JSON expected value into *out (may hold NaN patterns). */
bool spec_expect_parse(const json_t *v, spec_expect *out, char *err,
                       size_t errlen);
bool spec_expect_match(const spec_expect *e, const mantle_val *got);

/* Format for failure messages. spec_val_format shows a v128 with the lane
 * shape of `shape` when it is a v128 expectation (may be NULL). */
void spec_val_format(const mantle_val *v, const spec_expect *shape, char *buf,
                     size_t size);
void spec_expect_format(const spec_expect *e, char *buf, size_t size);

/* Abort-on-OOM helpers: the runner is a program, not the library. */
void *spec_xmalloc(size_t size);
void *spec_xcalloc(size_t n, size_t size);
char *spec_xstrdup(const char *s);
char *spec_xasprintf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
