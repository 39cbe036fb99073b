/* tee_cbor.h - small libcbor helpers shared by dice.c, eat.c and tpm.c.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Builders return NULL on allocation failure; tee_cbor_put/push take the
 * references they are given (on failure too), so a chain of them needs one
 * check at its end.
 */
#ifndef MANTLE_TEE_CBOR_H
#define MANTLE_TEE_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

/* An integer in its shortest encoding (RFC 8949 preferred serialisation). */
cbor_item_t *tee_cbor_int(int64_t v);
/* A definite byte string (p may be NULL when n is 0). */
cbor_item_t *tee_cbor_bytes(const uint8_t *p, size_t n);
/* Add key: value to a definite map; consumes key and value. */
bool tee_cbor_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value);
/* Append to a definite array; consumes item. */
bool tee_cbor_push(cbor_item_t *array, cbor_item_t *item);
/* Serialise into a malloc'd buffer. 0 or -1. */
int tee_cbor_serialize(cbor_item_t *item, uint8_t **out, size_t *out_size);

#endif
