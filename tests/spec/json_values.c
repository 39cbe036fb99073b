/* json_values.c - wast2json values: parsing arguments and expectations, comparing, printing.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Value encoding (wasm-spec/README.md): scalars are unsigned decimal strings
 * of the bit pattern; v128 is {lane_type, value: [lanes]} with lane 0 first;
 * expected float lanes may be "nan:canonical" or "nan:arithmetic"; refs are
 * "null" or, for externref, a host-reference number.
 *
 * Map:  allocation helpers - numbers and lanes - arguments - expectations -
 *       matching - formatting
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* ---- Allocation helpers ---------------------------------------------- */

void *spec_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        fprintf(stderr, "mantle-spec: out of memory\n");
        abort();
    }
    return p;
}

void *spec_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "mantle-spec: out of memory\n");
        abort();
    }
    return p;
}

char *spec_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = spec_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

char *spec_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = spec_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void *spec_extern_ref(uint64_t n)
{
    return (void *)(uintptr_t)(n + 1);
}

/* ---- Numbers and lanes ----------------------------------------------- */

/* Strict unsigned decimal: digits only, no sign, no spaces, <= max. */
static bool parse_udec(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static uint64_t width_max(unsigned bytes)
{
    return bytes >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * bytes)) - 1;
}

static void put_le(uint8_t *p, unsigned bytes, uint64_t v)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool kind_from_name(const char *s, mantle_valkind *out)
{
    static const struct {
        const char *name;
        mantle_valkind kind;
    } kinds[] = {
        {"i32", MANTLE_I32},         {"i64", MANTLE_I64},
        {"f32", MANTLE_F32},         {"f64", MANTLE_F64},
        {"v128", MANTLE_V128},       {"funcref", MANTLE_FUNCREF},
        {"externref", MANTLE_EXTERNREF},
    };
    for (size_t i = 0; s && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(s, kinds[i].name) == 0) {
            *out = kinds[i].kind;
            return true;
        }
    }
    return false;
}

static const char *kind_name(mantle_valkind k)
{
    switch (k) {
    case MANTLE_I32: return "i32";
    case MANTLE_I64: return "i64";
    case MANTLE_F32: return "f32";
    case MANTLE_F64: return "f64";
    case MANTLE_V128: return "v128";
    case MANTLE_FUNCREF: return "funcref";
    case MANTLE_EXTERNREF: return "externref";
    }
    return "?";
}

/* v128 lane shape from "i8".."f64". */
static bool lane_shape(const char *s, uint8_t *out_bytes, bool *out_float)
{
    if (!s)
        return false;
    if (strcmp(s, "i8") == 0) *out_bytes = 1, *out_float = false;
    else if (strcmp(s, "i16") == 0) *out_bytes = 2, *out_float = false;
    else if (strcmp(s, "i32") == 0) *out_bytes = 4, *out_float = false;
    else if (strcmp(s, "i64") == 0) *out_bytes = 8, *out_float = false;
    else if (strcmp(s, "f32") == 0) *out_bytes = 4, *out_float = true;
    else if (strcmp(s, "f64") == 0) *out_bytes = 8, *out_float = true;
    else return false;
    return true;
}

/* Parse one lane (or scalar) string into bits[0..bytes) and its mode. NaN
 * patterns are allowed only where allow_nan (float expectations). */
static bool parse_lane(const char *s, unsigned bytes, bool allow_nan,
                       uint8_t *bits, uint8_t *mode, char *err, size_t errlen)
{
    uint64_t v;
    *mode = SPEC_LANE_EXACT;
    if (s && allow_nan && strcmp(s, "nan:canonical") == 0) {
        *mode = SPEC_LANE_NAN_CANONICAL;
        memset(bits, 0, bytes);
        return true;
    }
    if (s && allow_nan && strcmp(s, "nan:arithmetic") == 0) {
        *mode = SPEC_LANE_NAN_ARITHMETIC;
        memset(bits, 0, bytes);
        return true;
    }
    if (!parse_udec(s, width_max(bytes), &v)) {
        snprintf(err, errlen, "bad %u-bit value \"%s\"", 8 * bytes,
                 s ? s : "(not a string)");
        return false;
    }
    put_le(bits, bytes, v);
    return true;
}

/* Shared by arguments and expectations: fills e from {"type", "value",
 * "lane_type"}. */
static bool parse_value(const json_t *v, bool expectation, spec_expect *e,
                        char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    if (!json_is_object(v)) {
        snprintf(err, errlen, "value is not a JSON object");
        return false;
    }
    const char *type = json_string_value(json_object_get(v, "type"));
    if (!kind_from_name(type, &e->kind)) {
        snprintf(err, errlen, "unknown value type \"%s\"",
                 type ? type : "(missing)");
        return false;
    }
    const json_t *val = json_object_get(v, "value");
    if (!val) {
        if (!expectation) {
            snprintf(err, errlen, "%s argument has no value", type);
            return false;
        }
        e->any = true;
        return true;
    }

    switch (e->kind) {
    case MANTLE_I32:
    case MANTLE_I64:
    case MANTLE_F32:
    case MANTLE_F64: {
        bool is64 = e->kind == MANTLE_I64 || e->kind == MANTLE_F64;
        e->lane_bytes = is64 ? 8 : 4;
        e->nlanes = 1;
        e->lane_float = e->kind == MANTLE_F32 || e->kind == MANTLE_F64;
        return parse_lane(json_string_value(val), e->lane_bytes,
                          expectation && e->lane_float, e->bits,
                          &e->lane_mode[0], err, errlen);
    }
    case MANTLE_V128: {
        const char *lt = json_string_value(json_object_get(v, "lane_type"));
        if (!lane_shape(lt, &e->lane_bytes, &e->lane_float)) {
            snprintf(err, errlen, "bad v128 lane_type \"%s\"",
                     lt ? lt : "(missing)");
            return false;
        }
        e->nlanes = (uint8_t)(16 / e->lane_bytes);
        if (!json_is_array(val) || json_array_size(val) != e->nlanes) {
            snprintf(err, errlen, "v128 %s needs %u lanes", lt, e->nlanes);
            return false;
        }
        for (unsigned i = 0; i < e->nlanes; i++) {
            const char *s = json_string_value(json_array_get(val, i));
            if (!parse_lane(s, e->lane_bytes, expectation && e->lane_float,
                            e->bits + i * e->lane_bytes, &e->lane_mode[i],
                            err, errlen))
                return false;
        }
        return true;
    }
    case MANTLE_FUNCREF:
    case MANTLE_EXTERNREF: {
        const char *s = json_string_value(val);
        uint64_t n;
        if (s && strcmp(s, "null") == 0)
            return true;
        if (e->kind == MANTLE_FUNCREF && expectation && s) {
            /* The JSON cannot name a function; any non-null one matches. */
            e->ref_nonnull = true;
            return true;
        }
        if (e->kind == MANTLE_EXTERNREF && parse_udec(s, UINT64_MAX - 1, &n)) {
            e->ref = spec_extern_ref(n);
            return true;
        }
        snprintf(err, errlen, "bad %s value \"%s\"", type,
                 s ? s : "(not a string)");
        return false;
    }
    }
    snprintf(err, errlen, "unhandled value type \"%s\"", type);
    return false;
}

/* ---- Arguments ------------------------------------------------------- */

bool spec_val_parse(const json_t *v, mantle_val *out, char *err, size_t errlen)
{
    spec_expect e;
    if (!parse_value(v, false, &e, err, errlen))
        return false;
    memset(out, 0, sizeof *out);
    out->kind = e.kind;
    switch (e.kind) {
    case MANTLE_I32:
    case MANTLE_F32:
        /* Through the integer member so NaN payloads survive. */
        out->of.i32 = (int32_t)(uint32_t)get_le(e.bits, 4);
        break;
    case MANTLE_I64:
    case MANTLE_F64:
        out->of.i64 = (int64_t)get_le(e.bits, 8);
        break;
    case MANTLE_V128:
        memcpy(out->of.v128, e.bits, 16);
        break;
    case MANTLE_FUNCREF:
        if (e.ref_nonnull) {
            snprintf(err, errlen, "a funcref argument can only be null");
            return false;
        }
        out->of.func = NULL;
        break;
    case MANTLE_EXTERNREF:
        out->of.ref = e.ref;
        break;
    }
    return true;
}

/* ---- Expectations and matching --------------------------------------- */

bool spec_expect_parse(const json_t *v, spec_expect *out, char *err,
                       size_t errlen)
{
    return parse_value(v, true, out, err, errlen);
}

/* The bits of a scalar or v128 result, little-endian. */
static void val_bits(const mantle_val *v, uint8_t bits[16])
{
    memset(bits, 0, 16);
    switch (v->kind) {
    case MANTLE_I32:
    case MANTLE_F32:
        put_le(bits, 4, (uint32_t)v->of.i32);
        break;
    case MANTLE_I64:
    case MANTLE_F64:
        put_le(bits, 8, (uint64_t)v->of.i64);
        break;
    case MANTLE_V128:
        memcpy(bits, v->of.v128, 16);
        break;
    default:
        break;
    }
}

static bool lane_match(uint8_t mode, unsigned bytes, const uint8_t *want,
                       const uint8_t *got)
{
    uint64_t g = get_le(got, bytes);
    uint64_t quiet = bytes == 4 ? UINT64_C(0x7fc00000)
                                : UINT64_C(0x7ff8000000000000);
    uint64_t nosign = bytes == 4 ? UINT64_C(0x7fffffff)
                                 : UINT64_C(0x7fffffffffffffff);
    switch (mode) {
    case SPEC_LANE_NAN_CANONICAL:
        return (g & nosign) == quiet;
    case SPEC_LANE_NAN_ARITHMETIC:
        return (g & quiet) == quiet;
    default:
        return memcmp(want, got, bytes) == 0;
    }
}

bool spec_expect_match(const spec_expect *e, const mantle_val *got)
{
    if (got->kind != e->kind)
        return false;
    if (e->any)
        return true;
    switch (e->kind) {
    case MANTLE_FUNCREF:
        return e->ref_nonnull ? got->of.func != NULL : got->of.func == NULL;
    case MANTLE_EXTERNREF:
        return got->of.ref == e->ref;
    default: {
        uint8_t bits[16];
        val_bits(got, bits);
        for (unsigned i = 0; i < e->nlanes; i++) {
            unsigned at = i * e->lane_bytes;
            if (!lane_match(e->lane_mode[i], e->lane_bytes, e->bits + at,
                            bits + at))
                return false;
        }
        return true;
    }
    }
}

/* ---- Formatting ------------------------------------------------------ */

static const char *lane_type_name(uint8_t bytes, bool is_float)
{
    switch (bytes) {
    case 1: return "i8";
    case 2: return "i16";
    case 4: return is_float ? "f32" : "i32";
    default: return is_float ? "f64" : "i64";
    }
}

/* Appends to buf at *len, never past size. */
static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n;
}

/* One lane as decimal bits plus, for floats, a readable value. */
static void add_lane(char *buf, size_t size, size_t *len, unsigned bytes,
                     bool is_float, const uint8_t *p)
{
    uint64_t v = get_le(p, bytes);
    add(buf, size, len, "%llu", (unsigned long long)v);
    if (is_float && bytes == 4) {
        uint32_t u = (uint32_t)v;
        float f;
        memcpy(&f, &u, 4);
        add(buf, size, len, " (%.9g)", (double)f);
    } else if (is_float && bytes == 8) {
        double d;
        memcpy(&d, &v, 8);
        add(buf, size, len, " (%.17g)", d);
    }
}

static void add_ref(char *buf, size_t size, size_t *len, mantle_valkind kind,
                    const void *p)
{
    if (!p)
        add(buf, size, len, "%s:null", kind_name(kind));
    else if (kind == MANTLE_EXTERNREF)
        add(buf, size, len, "externref:%llu",
            (unsigned long long)((uintptr_t)p - 1));
    else
        add(buf, size, len, "funcref:%p", p);
}

void spec_val_format(const mantle_val *v, const spec_expect *shape, char *buf,
                     size_t size)
{
    size_t len = 0;
    uint8_t bits[16];
    if (size)
        buf[0] = '\0';
    switch (v->kind) {
    case MANTLE_I32:
    case MANTLE_I64:
    case MANTLE_F32:
    case MANTLE_F64: {
        bool is64 = v->kind == MANTLE_I64 || v->kind == MANTLE_F64;
        bool fl = v->kind == MANTLE_F32 || v->kind == MANTLE_F64;
        val_bits(v, bits);
        add(buf, size, &len, "%s:", kind_name(v->kind));
        add_lane(buf, size, &len, is64 ? 8 : 4, fl, bits);
        break;
    }
    case MANTLE_V128: {
        uint8_t lb = 4;
        bool fl = false;
        if (shape && shape->kind == MANTLE_V128 && !shape->any)
            lb = shape->lane_bytes, fl = shape->lane_float;
        val_bits(v, bits);
        add(buf, size, &len, "v128:%s[", lane_type_name(lb, fl));
        for (unsigned i = 0; i < 16u / lb; i++) {
            add(buf, size, &len, i ? " " : "");
            add_lane(buf, size, &len, lb, fl, bits + i * lb);
        }
        add(buf, size, &len, "]");
        break;
    }
    case MANTLE_FUNCREF:
        add_ref(buf, size, &len, v->kind, (const void *)v->of.func);
        break;
    case MANTLE_EXTERNREF:
        add_ref(buf, size, &len, v->kind, v->of.ref);
        break;
    default:
        add(buf, size, &len, "(value of unknown kind %d)", (int)v->kind);
        break;
    }
}

void spec_expect_format(const spec_expect *e, char *buf, size_t size)
{
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    if (e->any) {
        add(buf, size, &len, "%s:any", kind_name(e->kind));
        return;
    }
    if (e->kind == MANTLE_FUNCREF || e->kind == MANTLE_EXTERNREF) {
        if (e->ref_nonnull)
            add(buf, size, &len, "funcref:non-null");
        else
            add_ref(buf, size, &len, e->kind, e->ref);
        return;
    }
    if (e->kind == MANTLE_V128)
        add(buf, size, &len, "v128:%s[",
            lane_type_name(e->lane_bytes, e->lane_float));
    else
        add(buf, size, &len, "%s:", kind_name(e->kind));
    for (unsigned i = 0; i < e->nlanes; i++) {
        if (i)
            add(buf, size, &len, " ");
        if (e->lane_mode[i] == SPEC_LANE_NAN_CANONICAL)
            add(buf, size, &len, "nan:canonical");
        else if (e->lane_mode[i] == SPEC_LANE_NAN_ARITHMETIC)
            add(buf, size, &len, "nan:arithmetic");
        else
            add_lane(buf, size, &len, e->lane_bytes, e->lane_float,
                     e->bits + i * e->lane_bytes);
    }
    if (e->kind == MANTLE_V128)
        add(buf, size, &len, "]");
}
