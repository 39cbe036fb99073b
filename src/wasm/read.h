/* read.h - bounds-checked reading of the binary format (LEB128, bytes).
 * SPDX-License-Identifier: Apache-2.0
 *
 * A reader never reads past `end`. Each function returns false on malformed
 * input and leaves a spec error text in r->err ("unexpected end",
 * "integer representation too long", "integer too large"); the position is
 * then undefined. Shared by the decoder, the validator and the lowering
 * pass, so all three agree on every encoding.
 */
#ifndef MANTLE_WASM_READ_H
#define MANTLE_WASM_READ_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct wasm_reader {
    const uint8_t *base;  /* start of the module: offsets are relative to it */
    const uint8_t *p;
    const uint8_t *end;
    const char *err;
} wasm_reader;

static inline uint32_t rd_offset(const wasm_reader *r)
{
    return (uint32_t)(r->p - r->base);
}

static inline bool rd_fail(wasm_reader *r, const char *msg)
{
    if (!r->err)
        r->err = msg;
    return false;
}

static inline bool rd_u8(wasm_reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return rd_fail(r, "unexpected end");
    *out = *r->p++;
    return true;
}

static inline bool rd_bytes(wasm_reader *r, uint32_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n)
        return rd_fail(r, "unexpected end");
    *out = r->p;
    r->p += n;
    return true;
}

/* Unsigned LEB128 of at most `bits` bits (32 or 64): at most ceil(bits/7)
 * bytes, and the unused bits of the last byte must be zero. */
static inline bool rd_uleb(wasm_reader *r, unsigned bits, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    unsigned maxbytes = (bits + 6) / 7;
    for (unsigned i = 0;; i++) {
        if (r->p >= r->end)
            return rd_fail(r, "unexpected end");
        uint8_t b = *r->p++;
        if (i == maxbytes - 1) {
            if (b & 0x80)
                return rd_fail(r, "integer representation too long");
            unsigned used = bits - shift;  /* bits left for this byte */
            if (used < 7 && (b >> used) != 0)
                return rd_fail(r, "integer too large");
            v |= (uint64_t)b << shift;
            break;
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    *out = v;
    return true;
}

/* Signed LEB128 of at most `bits` bits (32, 33 or 64). The unused bits of
 * the last byte must all equal the sign bit. */
static inline bool rd_sleb(wasm_reader *r, unsigned bits, int64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    unsigned maxbytes = (bits + 6) / 7;
    uint8_t b;
    for (unsigned i = 0;; i++) {
        if (r->p >= r->end)
            return rd_fail(r, "unexpected end");
        b = *r->p++;
        if (i == maxbytes - 1) {
            if (b & 0x80)
                return rd_fail(r, "integer representation too long");
            unsigned used = bits - shift;  /* value bits in this byte, 1..7 */
            if (used < 7) {
                /* Bits from `used-1` (the sign) up to bit 6 must agree. */
                int8_t rest = (int8_t)(uint8_t)(b << 1) >> (used);
                if (rest != 0 && rest != -1)
                    return rd_fail(r, "integer too large");
            }
            v |= (uint64_t)(b & 0x7F) << shift;
            shift += 7;
            break;
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    *out = (int64_t)v;
    return true;
}

static inline bool rd_u32(wasm_reader *r, uint32_t *out)
{
    uint64_t v;
    if (!rd_uleb(r, 32, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static inline bool rd_s32(wasm_reader *r, int32_t *out)
{
    int64_t v;
    if (!rd_sleb(r, 32, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

static inline bool rd_s64(wasm_reader *r, int64_t *out)
{
    return rd_sleb(r, 64, out);
}

/* Fixed-width little-endian loads: assembled byte by byte, so the result
 * does not depend on host byte order or alignment. */
static inline uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t rd_le64(const uint8_t *p)
{
    return (uint64_t)rd_le32(p) | (uint64_t)rd_le32(p + 4) << 32;
}

static inline bool rd_f32(wasm_reader *r, uint32_t *out_bits)
{
    const uint8_t *p;
    if (!rd_bytes(r, 4, &p))
        return false;
    *out_bits = rd_le32(p);
    return true;
}

static inline bool rd_f64(wasm_reader *r, uint64_t *out_bits)
{
    const uint8_t *p;
    if (!rd_bytes(r, 8, &p))
        return false;
    *out_bits = rd_le64(p);
    return true;
}

#endif
