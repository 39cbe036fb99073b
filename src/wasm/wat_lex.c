/* wat_lex.c - text format tokens and literals (spec 6.3 lexical format, 6.3.1 numbers, 6.3.3 strings).
 * SPDX-License-Identifier: Apache-2.0
 *
 *   wat_lex         text -> tokens; comments skipped, parentheses matched,
 *                   strings checked (escapes, UTF-8)
 *   wat_u32 ...     integer literals: decimal or 0x hex, '_' between digits
 *   wat_f32/f64     float literals: decimal, hex (0x1.8p3), inf, nan,
 *                   nan:0x payloads; rounding to nearest even through
 *                   strtof/strtod on a copy without underscores
 *   wat_string      a string token's bytes
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat.h"

/* ---- Characters -------------------------------------------------------- */

static bool is_idchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of the UTF-8 sequence at s (1-4), or 0 if malformed (overlong,
 * surrogate, above U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF)
        return 0;
    return len;
}

bool wat_utf8_valid(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

/* ---- Strings ------------------------------------------------------------ */

/* Check the string starting at s[0] == '"'; returns its length including
 * both quotes, or 0 with *out_msg set. */
static size_t scan_string(const char *s, size_t n, const char **out_msg,
                          size_t *out_bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 1;
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"')
            return i + 1;
        *out_bad = i;
        if (c == '\\') {
            if (i + 1 >= n)
                break;
            unsigned char e = u[i + 1];
            if (strchr("tnr\"'\\", e) && e) {
                i += 2;
            } else if (e == 'u') {
                /* \u{hexnum}: a scalar value, underscores between digits */
                size_t j = i + 2;
                uint32_t cp = 0;
                bool digit = false;
                if (j >= n || u[j] != '{') {
                    *out_msg = "malformed escape in string";
                    return 0;
                }
                for (j++; j < n && u[j] != '}'; j++) {
                    if (u[j] == '_' && digit && j + 1 < n &&
                        hexval(u[j + 1]) >= 0)
                        continue;
                    int h = hexval(u[j]);
                    if (h < 0) {
                        *out_msg = "malformed escape in string";
                        return 0;
                    }
                    digit = true;
                    cp = cp * 16 + (uint32_t)h;
                    if (cp > 0x10FFFF) {
                        *out_msg = "malformed escape in string";
                        return 0;
                    }
                }
                if (j >= n || !digit || (cp >= 0xD800 && cp < 0xE000)) {
                    *out_msg = "malformed escape in string";
                    return 0;
                }
                i = j + 1;
            } else if (hexval(e) >= 0 && i + 2 < n && hexval(u[i + 2]) >= 0) {
                i += 3;
            } else {
                *out_msg = "malformed escape in string";
                return 0;
            }
        } else if (c < 0x20 || c == 0x7F) {
            *out_msg = "control character in string";
            return 0;
        } else {
            size_t l = utf8_len(u + i, n - i);
            if (!l) {
                *out_msg = "malformed UTF-8 encoding";
                return 0;
            }
            i += l;
        }
    }
    *out_msg = "unclosed string";
    *out_bad = 0;
    return 0;
}

static void put_utf8(wat_buf *b, uint32_t cp)
{
    uint8_t t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        t[0] = (uint8_t)(0xC0 | cp >> 6), t[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (uint8_t)(0xE0 | cp >> 12);
        t[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        t[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (uint8_t)(0xF0 | cp >> 18);
        t[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
        t[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        t[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    wat_buf_put(b, t, n);
}

/* The token was checked by scan_string, so decoding cannot fail. */
void wat_string(wat_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 1, end = n - 1, run = 1;
    while (i < end) {
        if (u[i] != '\\') {
            i++;
            continue;
        }
        wat_buf_put(b, u + run, i - run);
        unsigned char e = u[i + 1];
        switch (e) {
        case 't': wat_buf_byte(b, '\t'); i += 2; break;
        case 'n': wat_buf_byte(b, '\n'); i += 2; break;
        case 'r': wat_buf_byte(b, '\r'); i += 2; break;
        case '"': case '\'': case '\\': wat_buf_byte(b, e); i += 2; break;
        case 'u': {
            uint32_t cp = 0;
            for (i += 3; u[i] != '}'; i++)
                if (u[i] != '_')
                    cp = cp * 16 + (uint32_t)hexval(u[i]);
            i++;
            put_utf8(b, cp);
            break;
        }
        default:
            wat_buf_byte(b, (uint8_t)(hexval(e) * 16 + hexval(u[i + 2])));
            i += 3;
            break;
        }
        run = i;
    }
    wat_buf_put(b, u + run, end - run);
}

/* ---- Tokens ------------------------------------------------------------- */

typedef struct lexer {
    const mantle_allocator *a;
    const char *s;
    size_t n;
    wat_token *toks;
    uint32_t nt, cap;
    uint32_t *stack;   /* open '(' token indices */
    uint32_t nstack, stack_cap;
    uint32_t line;
    size_t line_start;
} lexer;

static int push_tok(lexer *L, uint8_t kind, size_t off, size_t len)
{
    if (mt_grow(L->a, (void **)&L->toks, &L->cap, L->nt + 1, sizeof *L->toks))
        return -1;
    wat_token *t = &L->toks[L->nt++];
    t->off = (uint32_t)off;
    t->len = (uint32_t)len;
    t->line = L->line;
    t->col = (uint32_t)(off - L->line_start + 1);
    t->match = 0;
    t->kind = kind;
    return 0;
}

static uint8_t classify(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c >= 'a' && c <= 'z')
        return WT_KEYWORD;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-')
        return WT_NUM;
    if (c == '$' && n > 1)
        return WT_ID;
    return WT_RESERVED;
}

int wat_lex(const mantle_allocator *a, const char *text, size_t len,
            wat_token **out_toks, uint32_t *out_n, uint32_t *out_line,
            uint32_t *out_col, char *msg, size_t msgsize)
{
    lexer L = {a, text, len, NULL, 0, 0, NULL, 0, 0, 1, 0};
    const char *why = NULL;
    size_t at = 0, i = 0;
    bool oom = false;

    if (len >= UINT32_MAX) {
        why = "text too large";
        goto fail;
    }
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            i++;
            L.line++;
            L.line_start = i;
            continue;
        }
        if (is_space(c)) {
            i++;
            continue;
        }
        if (c == ';' && i + 1 < len && text[i + 1] == ';') {
            while (i < len && text[i] != '\n') {
                size_t l = utf8_len((const unsigned char *)text + i, len - i);
                if (!l) {
                    at = i, why = "malformed UTF-8 encoding";
                    goto fail;
                }
                i += l;
            }
            continue;
        }
        if (c == '(' && i + 1 < len && text[i + 1] == ';') {
            /* Block comments nest. */
            size_t start = i, depth = 1;
            uint32_t sline = L.line;
            size_t sls = L.line_start;
            i += 2;
            while (depth && i < len) {
                if (text[i] == '(' && i + 1 < len && text[i + 1] == ';') {
                    depth++, i += 2;
                } else if (text[i] == ';' && i + 1 < len && text[i + 1] == ')') {
                    depth--, i += 2;
                } else if (text[i] == '\n') {
                    i++, L.line++, L.line_start = i;
                } else {
                    size_t l = utf8_len((const unsigned char *)text + i, len - i);
                    if (!l) {
                        at = i, why = "malformed UTF-8 encoding";
                        goto fail;
                    }
                    i += l;
                }
            }
            if (depth) {
                L.line = sline, L.line_start = sls;
                at = start, why = "unclosed comment";
                goto fail;
            }
            continue;
        }
        if (c == '(') {
            if (push_tok(&L, WT_LPAR, i, 1) ||
                mt_grow(a, (void **)&L.stack, &L.stack_cap, L.nstack + 1,
                        sizeof *L.stack)) {
                oom = true;
                goto fail;
            }
            L.stack[L.nstack++] = L.nt - 1;
            i++;
            continue;
        }
        if (c == ')') {
            if (L.nstack == 0) {
                at = i, why = "unexpected )";
                goto fail;
            }
            if (push_tok(&L, WT_RPAR, i, 1)) {
                oom = true;
                goto fail;
            }
            L.toks[L.stack[--L.nstack]].match = L.nt - 1;
            i++;
            continue;
        }
        size_t tl;
        uint8_t kind;
        if (c == '"') {
            size_t bad = 0;
            tl = scan_string(text + i, len - i, &why, &bad);
            if (!tl) {
                at = i + bad;
                goto fail;
            }
            kind = WT_STRING;
        } else if (is_idchar(c)) {
            tl = 0;
            while (i + tl < len && is_idchar((unsigned char)text[i + tl]))
                tl++;
            kind = classify(text + i, tl);
        } else {
            at = i;
            why = c >= 0x80 ? "malformed UTF-8 encoding" : "unexpected character";
            if (c >= 0x80 && utf8_len((const unsigned char *)text + i, len - i))
                why = "unexpected character";
            goto fail;
        }
        /* Tokens end at white space, a parenthesis or a comment. */
        size_t e = i + tl;
        if (e < len && !is_space((unsigned char)text[e]) && text[e] != '(' &&
            text[e] != ')' && !(text[e] == ';' && e + 1 < len && text[e + 1] == ';')) {
            at = e, why = "unknown operator";
            goto fail;
        }
        if (push_tok(&L, kind, i, tl)) {
            oom = true;
            goto fail;
        }
        i = e;
    }
    if (L.nstack) {
        at = len, why = "unexpected end";
        goto fail;
    }
    if (push_tok(&L, WT_EOF, len, 0)) {
        oom = true;
        goto fail;
    }
    mt_free(a, L.stack);
    *out_toks = L.toks;
    *out_n = L.nt;
    return 0;

fail:
    if (oom) {
        *out_line = 0;
        *out_col = 0;
        snprintf(msg, msgsize, "out of memory");
    } else {
        /* `at` lies on the current line, or at a token start we saved. */
        *out_line = L.line;
        *out_col = (uint32_t)(at >= L.line_start ? at - L.line_start + 1 : 1);
        snprintf(msg, msgsize, "%s", why);
    }
    mt_free(a, L.stack);
    mt_free(a, L.toks);
    return -1;
}

/* ---- Integers ----------------------------------------------------------- */

/* Digits with single '_' between them; returns chars consumed, 0 if none
 * or malformed. Digits go to out (if non-NULL) without the underscores. */
static size_t scan_digits(const char *s, size_t n, bool hex, char *out,
                          size_t *io_outlen)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        bool d = hex ? hexval(c) >= 0 : (c >= '0' && c <= '9');
        if (d) {
            if (out)
                out[(*io_outlen)++] = (char)c;
            i++;
            continue;
        }
        if (c == '_' && i > 0 && i + 1 < n) {
            unsigned char nx = (unsigned char)s[i + 1];
            if (hex ? hexval(nx) >= 0 : (nx >= '0' && nx <= '9')) {
                i++;
                continue;
            }
        }
        if (c == '_')
            return 0;
        break;
    }
    return i;
}

/* sign? (digits | 0x hexdigits), the magnitude in *out (at most 2^64-1). */
static int parse_int(const char *s, size_t n, bool allow_sign, bool *out_neg,
                     uint64_t *out)
{
    bool neg = false;
    size_t i = 0;
    if (n && (s[0] == '+' || s[0] == '-')) {
        if (!allow_sign)
            return -1;
        neg = s[0] == '-';
        i = 1;
    }
    bool hex = n - i > 2 && s[i] == '0' && s[i + 1] == 'x';
    if (hex)
        i += 2;
    size_t used = scan_digits(s + i, n - i, hex, NULL, NULL);
    if (used == 0 || i + used != n)
        return -1;
    uint64_t v = 0, base = hex ? 16 : 10;
    for (; i < n; i++) {
        if (s[i] == '_')
            continue;
        uint64_t d = (uint64_t)hexval((unsigned char)s[i]);
        if (v > (UINT64_MAX - d) / base)
            return -1;
        v = v * base + d;
    }
    *out_neg = neg;
    *out = v;
    return 0;
}

int wat_u64(const char *s, size_t n, uint64_t *out)
{
    bool neg;
    return parse_int(s, n, false, &neg, out);
}

int wat_u32(const char *s, size_t n, uint32_t *out)
{
    uint64_t v;
    if (wat_u64(s, n, &v) || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* A `bits`-wide integer literal, signed or unsigned view. */
static int parse_iN(const char *s, size_t n, unsigned bits, uint64_t *out)
{
    bool neg;
    uint64_t v;
    if (parse_int(s, n, true, &neg, &v))
        return -1;
    uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    uint64_t nmax = UINT64_C(1) << (bits - 1);
    if (neg ? v > nmax : v > umax)
        return -1;
    *out = neg ? (uint64_t)0 - v : v;
    if (bits < 64)
        *out &= umax;
    return 0;
}

int wat_i64(const char *s, size_t n, uint64_t *out)
{
    return parse_iN(s, n, 64, out);
}

int wat_i32(const char *s, size_t n, uint32_t *out)
{
    uint64_t v;
    if (parse_iN(s, n, 32, &v))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int wat_i16(const char *s, size_t n, uint16_t *out)
{
    uint64_t v;
    if (parse_iN(s, n, 16, &v))
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int wat_i8(const char *s, size_t n, uint8_t *out)
{
    uint64_t v;
    if (parse_iN(s, n, 8, &v))
        return -1;
    *out = (uint8_t)v;
    return 0;
}

/* ---- Floats ------------------------------------------------------------- */

/* Parse into sign, class and (for finite values) a clean C literal in buf:
 * no underscores, ready for strtof/strtod. Returns 0 or -1 (malformed). */
enum { FL_FINITE, FL_INF, FL_NAN, FL_NAN_PAYLOAD };

static int float_syntax(const char *s, size_t n, bool *out_neg, int *out_class,
                        uint64_t *out_payload, char *buf)
{
    size_t i = 0, o = 0;
    bool neg = false;
    if (n && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    *out_neg = neg;
    const char *r = s + i;
    size_t rn = n - i;
    if (rn == 3 && memcmp(r, "inf", 3) == 0) {
        *out_class = FL_INF;
        return 0;
    }
    if (rn == 3 && memcmp(r, "nan", 3) == 0) {
        *out_class = FL_NAN;
        return 0;
    }
    if (rn > 6 && memcmp(r, "nan:0x", 6) == 0) {
        bool ign;
        if (parse_int(r + 4, rn - 4, false, &ign, out_payload))
            return -1;
        *out_class = FL_NAN_PAYLOAD;
        return 0;
    }
    *out_class = FL_FINITE;
    if (neg)
        buf[o++] = '-';
    bool hex = rn > 2 && r[0] == '0' && r[1] == 'x';
    size_t k = 0;
    if (hex) {
        buf[o++] = '0', buf[o++] = 'x';
        k = 2;
    }
    size_t used = scan_digits(r + k, rn - k, hex, buf, &o);
    if (!used)
        return -1;
    k += used;
    if (k < rn && r[k] == '.') {
        buf[o++] = '.';
        k++;
        if (k < rn && (hex ? hexval((unsigned char)r[k]) >= 0
                           : (r[k] >= '0' && r[k] <= '9'))) {
            used = scan_digits(r + k, rn - k, hex, buf, &o);
            if (!used)
                return -1;
            k += used;
        }
    }
    if (k < rn && (hex ? (r[k] == 'p' || r[k] == 'P')
                       : (r[k] == 'e' || r[k] == 'E'))) {
        buf[o++] = hex ? 'p' : 'e';
        k++;
        if (k < rn && (r[k] == '+' || r[k] == '-'))
            buf[o++] = r[k++];
        used = scan_digits(r + k, rn - k, false, buf, &o);
        if (!used)
            return -1;
        k += used;
    } else if (hex) {
        /* strtod needs an exponent for hex floats only when there is a
         * '.', but always adding one is harmless. */
        buf[o++] = 'p', buf[o++] = '0';
    }
    if (k != rn)
        return -1;
    buf[o] = '\0';
    return 0;
}

static int parse_float(const mantle_allocator *a, const char *s, size_t n,
                       bool f32, uint64_t *out_bits)
{
    char small[128];
    char *buf = small;
    bool neg;
    int cls, rc = -1;
    uint64_t payload = 0;

    if (n + 4 > sizeof small) {
        buf = mt_alloc(a, n + 4);
        if (!buf)
            return -1;
    }
    if (float_syntax(s, n, &neg, &cls, &payload, buf))
        goto out;
    uint64_t sign = neg ? (f32 ? UINT64_C(1) << 31 : UINT64_C(1) << 63) : 0;
    uint64_t expmask = f32 ? 0x7F800000u : UINT64_C(0x7FF0000000000000);
    uint64_t mantbits = f32 ? 23 : 52;
    switch (cls) {
    case FL_INF:
        *out_bits = sign | expmask;
        rc = 0;
        break;
    case FL_NAN:
        *out_bits = sign | expmask | (UINT64_C(1) << (mantbits - 1));
        rc = 0;
        break;
    case FL_NAN_PAYLOAD:
        if (payload == 0 || payload >= UINT64_C(1) << mantbits)
            break;
        *out_bits = sign | expmask | payload;
        rc = 0;
        break;
    default:
        errno = 0;
        if (f32) {
            float f = strtof(buf, NULL);
            if (isinf(f))
                break;
            uint32_t b;
            memcpy(&b, &f, 4);
            *out_bits = b;
        } else {
            double d = strtod(buf, NULL);
            if (isinf(d))
                break;
            memcpy(out_bits, &d, 8);
        }
        rc = 0;
        break;
    }
out:
    if (buf != small)
        mt_free(a, buf);
    return rc;
}

int wat_f32(const mantle_allocator *a, const char *s, size_t n,
            uint32_t *out_bits)
{
    uint64_t b;
    if (parse_float(a, s, n, true, &b))
        return -1;
    *out_bits = (uint32_t)b;
    return 0;
}

int wat_f64(const mantle_allocator *a, const char *s, size_t n,
            uint64_t *out_bits)
{
    return parse_float(a, s, n, false, out_bits);
}
