/* av_cbor.c - CBOR and COSE_Sign1 decoding for the verifiers (libcbor).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>
#include <string.h>

#include "av_cbor.h"

enum { COSE_SIGN1_TAG = 18 };

/* cbor_load allocates a definite array or map's declared size before
 * reading it, so a few bytes could ask for gigabytes. A first pass with
 * libcbor's streaming decoder refuses any collection that declares more
 * elements than there are bytes left. */
typedef struct guard {
    size_t left;
    bool bad;
} guard;

static void guard_array(void *ctx, size_t n)
{
    guard *g = ctx;
    g->bad |= n > g->left;
}

static void guard_map(void *ctx, size_t n)
{
    guard *g = ctx;
    g->bad |= n > g->left / 2;
}

static bool sane(const uint8_t *p, size_t n)
{
    struct cbor_callbacks cb = cbor_empty_callbacks;
    struct cbor_decoder_result r;
    guard g = {0, false};
    size_t off = 0;

    cb.array_start = guard_array;
    cb.map_start = guard_map;
    while (off < n) {
        g.left = n - off;
        r = cbor_stream_decode(p + off, n - off, &cb, &g);
        if (r.status != CBOR_DECODER_FINISHED || g.bad || r.read == 0)
            return false;
        off += r.read;
    }
    return true;
}

cbor_item_t *av_cbor_load(const uint8_t *p, size_t n)
{
    struct cbor_load_result r;
    cbor_item_t *it = n > 0 && sane(p, n) ? cbor_load(p, n, &r) : NULL;

    if (it != NULL && (r.error.code != CBOR_ERR_NONE || r.read != n))
        cbor_decref(&it);
    return it;
}

/* Give a one-byte tag head the equivalent two-byte head (0xd8 n). */
cbor_item_t *av_cbor_load_tagged(const uint8_t *p, size_t n)
{
    cbor_item_t *it;
    uint8_t *q;

    if (n == 0 || p[0] < 0xc6 || p[0] > 0xd4 || (q = malloc(n + 1)) == NULL)
        return av_cbor_load(p, n);
    q[0] = 0xd8;
    q[1] = (uint8_t)(p[0] - 0xc0);
    memcpy(q + 2, p + 1, n - 1);
    it = av_cbor_load(q, n + 1);
    free(q);
    return it;
}

bool av_cbor_is_bytes(const cbor_item_t *it)
{
    return it && cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

bool av_cbor_int(const cbor_item_t *it, int64_t *out)
{
    if (it == NULL)
        return false;
    if (cbor_isa_uint(it) && cbor_get_int(it) <= INT64_MAX) {
        *out = (int64_t)cbor_get_int(it);
        return true;
    }
    if (cbor_isa_negint(it) && cbor_get_int(it) < INT64_MAX) {
        *out = -1 - (int64_t)cbor_get_int(it);
        return true;
    }
    return false;
}

cbor_item_t *av_cbor_get(const cbor_item_t *map, int64_t k)
{
    struct cbor_pair *pairs;
    int64_t v;

    if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map))
        return NULL;
    pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++)
        if (av_cbor_int(pairs[i].key, &v) && v == k)
            return pairs[i].value;
    return NULL;
}

bool av_cbor_bytes(const cbor_item_t *map, int64_t k, uint8_t *out,
                   uint32_t *len, size_t cap)
{
    cbor_item_t *v = av_cbor_get(map, k);

    if (!av_cbor_is_bytes(v) || cbor_bytestring_length(v) > cap)
        return false;
    *len = (uint32_t)cbor_bytestring_length(v);
    memcpy(out, cbor_bytestring_handle(v), *len);
    return true;
}

bool av_cbor_text(const cbor_item_t *map, int64_t k, char *out, size_t cap)
{
    cbor_item_t *v = av_cbor_get(map, k);
    size_t n;

    if (v == NULL || !cbor_isa_string(v) || !cbor_string_is_definite(v))
        return false;
    n = cbor_string_length(v);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, cbor_string_handle(v), n);
    out[n] = '\0';
    return true;
}

void av_cose_free(av_cose *c)
{
    if (c->root)
        cbor_decref(&c->root);
    if (c->claims)
        cbor_decref(&c->claims);
    c->root = c->claims = NULL;
}

int av_cose_parse(const uint8_t *p, size_t n, const char *what, av_cose *out,
                  av_err *e)
{
    av_cose c;
    cbor_item_t *inner, *prot;
    int64_t alg;
    bool have_alg;

    memset(&c, 0, sizeof c);
    if ((c.root = av_cbor_load_tagged(p, n)) == NULL)
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "%s: not CBOR", what);
    inner = c.root;
    if (cbor_isa_tag(inner)) {
        uint64_t tag = cbor_tag_value(inner);
        if (tag != COSE_SIGN1_TAG) {
            av_cose_free(&c);
            return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                           "%s: CBOR tag %llu, not COSE_Sign1 (18)", what,
                           (unsigned long long)tag);
        }
        inner = cbor_tag_item(c.root);    /* a new reference: drop it, */
        cbor_intermediate_decref(inner);  /* the tag still owns the item */
    }
    if (!cbor_isa_array(inner) || !cbor_array_is_definite(inner) ||
        cbor_array_size(inner) != 4) {
        av_cose_free(&c);
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "%s: not a 4-element COSE_Sign1", what);
    }
    c.protected_ = cbor_array_handle(inner)[0];
    c.payload = cbor_array_handle(inner)[2];
    c.signature = cbor_array_handle(inner)[3];
    if (!av_cbor_is_bytes(c.protected_) || !av_cbor_is_bytes(c.payload) ||
        !av_cbor_is_bytes(c.signature) ||
        (prot = av_cbor_load(cbor_bytestring_handle(c.protected_),
                             cbor_bytestring_length(c.protected_))) == NULL) {
        av_cose_free(&c);
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "%s: bad COSE_Sign1 fields", what);
    }
    have_alg = av_cbor_int(av_cbor_get(prot, 1), &alg);
    cbor_decref(&prot);
    if (!have_alg) {
        av_cose_free(&c);
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "%s: no alg in the protected header", what);
    }
    c.alg = alg;
    if ((c.claims = av_cbor_load(cbor_bytestring_handle(c.payload),
                                 cbor_bytestring_length(c.payload))) == NULL ||
        !cbor_isa_map(c.claims)) {
        av_cose_free(&c);
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "%s: payload is not a CBOR map", what);
    }
    *out = c;
    return MANTLE_VERIFY_OK;
}
