/* seal.c - sealing: AES-256-GCM (OpenSSL EVP) under a module's sealing key.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Blob: version (1 byte, authenticated as AAD too) || 96-bit random nonce
 * || ciphertext || 128-bit tag. Random nonces are safe for up to 2^32
 * blobs per key (NIST SP 800-38D 8.3); one key serves one module on one
 * node, far below that.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tee/tee.h"

#define NONCE 12
#define TAG 16

/* AES-256-GCM fetched from the default provider once: an implicit fetch
 * on every call (EVP_aes_256_gcm()) costs more than sealing a 4 KiB node.
 * Kept for the life of the process; racing first callers fetch twice and
 * the loser frees its copy. */
static const EVP_CIPHER *aes_gcm(void)
{
    static EVP_CIPHER *cached;
    EVP_CIPHER *c = __atomic_load_n(&cached, __ATOMIC_ACQUIRE), *expect = NULL;

    if (c)
        return c;
    if (!(c = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)))
        return EVP_aes_256_gcm();
    if (!__atomic_compare_exchange_n(&cached, &expect, c, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        EVP_CIPHER_free(c);
        return expect;
    }
    return c;
}

/* Contexts set up for AES-256-GCM with a 96-bit nonce, [0] decrypting and
 * [1] encrypting; each use only loads a key and a nonce. */
struct tee_gcm {
    EVP_CIPHER_CTX *c[2];
    /* The key whose schedule c[enc] holds, when `keyed`: a blob under the
     * same key as the one before (sealed storage seals a run of nodes
     * under one key, each with its own nonce) only sets the nonce. */
    uint8_t key[2][32];
    bool keyed[2];
};

static EVP_CIPHER_CTX *ctx_new(int enc)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

    if (c && (EVP_CipherInit_ex(c, aes_gcm(), NULL, NULL, NULL, enc) != 1 ||
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) !=
                  1)) {
        EVP_CIPHER_CTX_free(c);
        c = NULL;
    }
    return c;
}

tee_gcm *tee_gcm_new(void)
{
    tee_gcm *g = calloc(1, sizeof *g);

    if (g && (!(g->c[0] = ctx_new(0)) || !(g->c[1] = ctx_new(1)))) {
        tee_gcm_free(g);
        g = NULL;
    }
    return g;
}

void tee_gcm_free(tee_gcm *g)
{
    if (!g)
        return;
    EVP_CIPHER_CTX_free(g->c[0]);   /* cleanses the last key schedule */
    EVP_CIPHER_CTX_free(g->c[1]);
    OPENSSL_cleanse(g->key, sizeof g->key);
    free(g);
}

/* Run GCM over in[0..len) into out, with the version byte and the
 * caller's aad authenticated. enc: 1 encrypt, 0 decrypt (tag checked).
 * Through g's context when given, else a context of its own. */
static int gcm(tee_gcm *g, int enc, const uint8_t key[32],
               const uint8_t nonce[NONCE], uint8_t version,
               const uint8_t *aad, size_t aad_len, const uint8_t *in,
               size_t len, uint8_t *out, uint8_t tag[TAG])
{
    EVP_CIPHER_CTX *c = g ? g->c[enc] : ctx_new(enc);
    bool same = g && g->keyed[enc] && CRYPTO_memcmp(g->key[enc], key, 32) == 0;
    int n, ok;

    if (!c || len > INT32_MAX || aad_len > INT32_MAX)
        goto fail;
    if (g && !same) {
        g->keyed[enc] = false;   /* until the new schedule is in place */
        memcpy(g->key[enc], key, 32);
    }
    ok = EVP_CipherInit_ex(c, NULL, NULL, same ? NULL : key, nonce, enc) ==
             1 &&
         EVP_CipherUpdate(c, NULL, &n, &version, 1) == 1 &&
         (aad_len == 0 ||
          EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) == 1) &&
         (len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + len, &n) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag) == 1;
    if (g)
        g->keyed[enc] = ok;   /* after any failure: a whole new set-up */
    else
        EVP_CIPHER_CTX_free(c);  /* cleanses the key schedule */
    return ok ? 0 : -1;
fail:
    if (!g)
        EVP_CIPHER_CTX_free(c);
    return -1;
}

int tee_seal_nonce_gcm(tee_gcm *g, const uint8_t key[32],
                       const uint8_t nonce[NONCE], const uint8_t *aad,
                       size_t aad_len, const uint8_t *pt, size_t len,
                       uint8_t *out)
{
    if (len > TEE_SEAL_MAX)
        return MANTLE_ELIMIT;
    out[0] = TEE_SEAL_VERSION;
    memcpy(out + 1, nonce, NONCE);
    if (gcm(g, 1, key, out + 1, TEE_SEAL_VERSION, aad, aad_len, pt, len,
            out + 1 + NONCE, out + 1 + NONCE + len) != 0)
        return MANTLE_ENOTEE;
    return MANTLE_OK;
}

int tee_seal_nonce(const uint8_t key[32], const uint8_t nonce[NONCE],
                   const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                   size_t len, uint8_t *out)
{
    return tee_seal_nonce_gcm(NULL, key, nonce, aad, aad_len, pt, len, out);
}

int tee_seal(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
             const uint8_t *pt, size_t len, uint8_t *out)
{
    uint8_t nonce[NONCE];

    if (RAND_bytes(nonce, NONCE) != 1)
        return MANTLE_ENOTEE;
    return tee_seal_nonce(key, nonce, aad, aad_len, pt, len, out);
}

int tee_unseal(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
               const uint8_t *blob, size_t len, uint8_t *out)
{
    return tee_unseal_gcm(NULL, key, aad, aad_len, blob, len, out);
}

int tee_unseal_gcm(tee_gcm *g, const uint8_t key[32], const uint8_t *aad,
                   size_t aad_len, const uint8_t *blob, size_t len,
                   uint8_t *out)
{
    uint8_t tag[TAG], *tmp;
    size_t n;
    int rc;

    if (len < TEE_SEAL_OVERHEAD || blob[0] != TEE_SEAL_VERSION)
        return MANTLE_EAUTH;
    n = len - TEE_SEAL_OVERHEAD;
    /* Plaintext reaches `out` only once the tag has verified; the scratch
     * buffer holds the unverified output and is wiped either way. */
    tmp = malloc(n + TAG);
    if (!tmp)
        return MANTLE_ENOMEM;
    memcpy(tag, blob + 1 + NONCE + n, TAG);
    rc = gcm(g, 0, key, blob + 1, blob[0], aad, aad_len, blob + 1 + NONCE, n,
             tmp, tag) == 0
             ? MANTLE_OK
             : MANTLE_EAUTH;
    if (rc == MANTLE_OK)
        memcpy(out, tmp, n);
    OPENSSL_cleanse(tmp, n + TAG);
    free(tmp);
    return rc;
}

int tee_unseal_gcm_scratch(tee_gcm *g, const uint8_t key[32],
                           const uint8_t *aad, size_t aad_len,
                           const uint8_t *blob, size_t len, uint8_t *out)
{
    uint8_t tag[TAG];
    size_t n;

    if (len < TEE_SEAL_OVERHEAD || blob[0] != TEE_SEAL_VERSION)
        return MANTLE_EAUTH;
    n = len - TEE_SEAL_OVERHEAD;
    memcpy(tag, blob + 1 + NONCE + n, TAG);
    if (gcm(g, 0, key, blob + 1, blob[0], aad, aad_len, blob + 1 + NONCE, n,
            out, tag) == 0)
        return MANTLE_OK;
    OPENSSL_cleanse(out, n);
    return MANTLE_EAUTH;
}
