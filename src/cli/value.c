/* value.c - text forms of Wasm values and types for the `mantle` command.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Integers: decimal (signed, or unsigned up to the type's width) or 0x hex.
 * Floats: whatever strtof/strtod take (decimal, hex float, inf, nan), plus
 * nan:0xPAYLOAD. Printing uses the shortest decimal that reads back exactly.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* An integer of `bits` bits: [-2^(bits-1), 2^bits - 1]. */
static int parse_int(const char *s, unsigned bits, uint64_t *out)
{
    uint64_t max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    uint64_t min_mag = UINT64_C(1) << (bits - 1); /* |most negative| */
    bool neg = false;
    int base = 10;
    char *end;
    uint64_t v;

    if (*s == '-') {
        neg = true;
        s++;
    }
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!isxdigit((unsigned char)*s))
            return -1;
    } else if (!isdigit((unsigned char)*s)) {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    if (neg ? v > min_mag : v > max)
        return -1;
    *out = neg ? (uint64_t)0 - v : v;
    return 0;
}

/* "nan:0xPAYLOAD", optionally signed: the NaN with that payload. */
static int parse_nan_payload(const char *s, unsigned mant_bits, uint64_t *out)
{
    uint64_t sign = 0, payload;
    unsigned total = mant_bits == 23 ? 32 : 64;

    if (*s == '-' || *s == '+')
        sign = *s++ == '-';
    if (strncmp(s, "nan:0x", 6) != 0)
        return 1; /* not this form */
    if (parse_int(s + 4, 64, &payload) != 0 || payload == 0 ||
        payload >> mant_bits != 0)
        return -1;
    *out = sign << (total - 1) |
           ((UINT64_C(1) << (total - 1 - mant_bits)) - 1) << mant_bits |
           payload;
    return 0;
}

int cli_value_parse(const char *s, mantle_valkind kind, mantle_val *out_val)
{
    mantle_val v;
    uint64_t u;
    char *end;
    int r;

    memset(&v, 0, sizeof v);
    v.kind = kind;
    switch (kind) {
    case MANTLE_I32:
        if (parse_int(s, 32, &u) != 0)
            return -1;
        v.of.i32 = (int32_t)(uint32_t)u;
        break;
    case MANTLE_I64:
        if (parse_int(s, 64, &u) != 0)
            return -1;
        v.of.i64 = (int64_t)u;
        break;
    case MANTLE_F32:
        if ((r = parse_nan_payload(s, 23, &u)) < 0)
            return -1;
        if (r == 0) {
            v.of.i32 = (int32_t)(uint32_t)u;
            break;
        }
        if (*s == '\0' || isspace((unsigned char)*s))
            return -1;
        errno = 0;
        v.of.f32 = strtof(s, &end);
        if (*end != '\0')
            return -1;
        break;
    case MANTLE_F64:
        if ((r = parse_nan_payload(s, 52, &u)) < 0)
            return -1;
        if (r == 0) {
            v.of.i64 = (int64_t)u;
            break;
        }
        if (*s == '\0' || isspace((unsigned char)*s))
            return -1;
        v.of.f64 = strtod(s, &end);
        if (*end != '\0')
            return -1;
        break;
    case MANTLE_FUNCREF:
    case MANTLE_EXTERNREF:
        if (strcmp(s, "null") != 0)
            return -1;
        break; /* of.ref stays NULL */
    default: /* v128 arguments: not from the command line (yet) */ return -1;
    }
    *out_val = v;
    return 0;
}

/* A NaN as "nan" (canonical payload) or "nan:0x..", with its sign. */
static void print_nan(FILE *f, bool neg, uint64_t payload, uint64_t canon)
{
    fputs(neg ? "-nan" : "nan", f);
    if (payload != canon)
        fprintf(f, ":0x%" PRIx64, payload);
}

static void print_f32(FILE *f, float x)
{
    char buf[64];
    uint32_t bits;

    memcpy(&bits, &x, sizeof bits);
    if (isnan(x)) {
        print_nan(f, bits >> 31, bits & 0x7fffff, 0x400000);
        return;
    }
    if (isinf(x)) {
        fputs(x < 0 ? "-inf" : "inf", f);
        return;
    }
    if (x == truncf(x) && fabsf(x) < 1e9f) {
        fprintf(f, "%.0f", (double)x); /* 100, not 1e+02 */
        return;
    }
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)x);
        if (strtof(buf, NULL) == x)
            break;
    }
    fputs(buf, f);
}

static void print_f64(FILE *f, double x)
{
    char buf[64];
    uint64_t bits;

    memcpy(&bits, &x, sizeof bits);
    if (isnan(x)) {
        print_nan(f, bits >> 63, bits & UINT64_C(0xfffffffffffff),
                  UINT64_C(0x8000000000000));
        return;
    }
    if (isinf(x)) {
        fputs(x < 0 ? "-inf" : "inf", f);
        return;
    }
    if (x == trunc(x) && fabs(x) < 1e17) {
        fprintf(f, "%.0f", x);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    fputs(buf, f);
}

void cli_value_print(FILE *f, const mantle_val *val)
{
    fprintf(f, "%s:", mantle_valkind_name(val->kind));
    switch (val->kind) {
    case MANTLE_I32: fprintf(f, "%" PRId32, val->of.i32); break;
    case MANTLE_I64: fprintf(f, "%" PRId64, val->of.i64); break;
    case MANTLE_F32: print_f32(f, val->of.f32); break;
    case MANTLE_F64: print_f64(f, val->of.f64); break;
    case MANTLE_V128:
        /* As WAT writes it: four little-endian i32 lanes. */
        fputs("i32x4", f);
        for (int i = 0; i < 4; i++) {
            const uint8_t *b = val->of.v128 + 4 * i;
            fprintf(f, " 0x%08" PRIx32,
                    (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                        (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
        }
        break;
    case MANTLE_FUNCREF: fputs(val->of.func ? "func" : "null", f); break;
    case MANTLE_EXTERNREF:
        if (val->of.ref)
            fprintf(f, "%p", val->of.ref);
        else
            fputs("null", f);
        break;
    }
    fputc('\n', f);
}

static void print_kinds(FILE *f, size_t n, const mantle_valkind *kinds)
{
    fputc('(', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? ", " : "", mantle_valkind_name(kinds[i]));
    fputc(')', f);
}

void cli_functype_print(FILE *f, const mantle_functype *type)
{
    print_kinds(f, type->nparams, type->params);
    fputs(" -> ", f);
    print_kinds(f, type->nresults, type->results);
}

static void print_limits(FILE *f, const mantle_limits *l)
{
    fprintf(f, "min %" PRIu32, l->min);
    if (l->has_max)
        fprintf(f, " max %" PRIu32, l->max);
}

void cli_externtype_print(FILE *f, const mantle_externtype *type)
{
    switch (type->kind) {
    case MANTLE_EXTERN_FUNC:
        fputs("func ", f);
        cli_functype_print(f, &type->func);
        break;
    case MANTLE_EXTERN_TABLE:
        fprintf(f, "table %s ", mantle_valkind_name(type->elem));
        print_limits(f, &type->limits);
        break;
    case MANTLE_EXTERN_MEMORY:
        fputs("memory pages ", f);
        print_limits(f, &type->limits);
        break;
    case MANTLE_EXTERN_GLOBAL:
        fprintf(f, "global %s%s", type->mutable_global ? "mut " : "",
                mantle_valkind_name(type->global));
        break;
    }
}
