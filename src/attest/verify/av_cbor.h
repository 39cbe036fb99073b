/* av_cbor.h - CBOR and COSE_Sign1 decoding shared by the CCA and Mantle
 * evidence verifiers (libcbor).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every loader refuses trailing bytes and collections that declare more
 * elements than the input could hold; getters take definite items only.
 */
#ifndef MANTLE_AV_CBOR_H
#define MANTLE_AV_CBOR_H

#include <cbor.h>

#include "av.h"

/* Exactly one CBOR item filling p[0..n), or NULL. */
cbor_item_t *av_cbor_load(const uint8_t *p, size_t n);
/* The same, also for a leading one-byte tag head 0xc6..0xd4 (COSE_Sign1 is
 * 0xd2), which libcbor 0.8 (Debian 12) rejects as malformed. */
cbor_item_t *av_cbor_load_tagged(const uint8_t *p, size_t n);
bool av_cbor_is_bytes(const cbor_item_t *it);
bool av_cbor_int(const cbor_item_t *it, int64_t *out);
/* The value of integer key k in a definite map (borrowed), or NULL. */
cbor_item_t *av_cbor_get(const cbor_item_t *map, int64_t k);
/* A definite byte string of at most cap bytes under key k. */
bool av_cbor_bytes(const cbor_item_t *map, int64_t k, uint8_t *out,
                   uint32_t *len, size_t cap);
/* A definite text string under key k, truncated to cap - 1 bytes. */
bool av_cbor_text(const cbor_item_t *map, int64_t k, char *out, size_t cap);

/* A decoded COSE_Sign1 (RFC 9052), tagged (18) or not. */
typedef struct av_cose {
    cbor_item_t *root;          /* the whole COSE_Sign1 (owned) */
    cbor_item_t *protected_, *payload, *signature;  /* borrowed */
    int64_t alg;                /* protected header 1 */
    cbor_item_t *claims;        /* decoded payload, a map (owned) */
} av_cose;

/* Decode p[0..n) as a COSE_Sign1 whose payload is a CBOR map; no
 * signature checked. `what` starts every message. MALFORMED,
 * UNSUPPORTED (another tag). */
int av_cose_parse(const uint8_t *p, size_t n, const char *what, av_cose *out,
                  av_err *e);
void av_cose_free(av_cose *c);

#endif
