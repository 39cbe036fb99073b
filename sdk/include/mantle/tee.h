/* mantle/tee.h - Mantle's TEE services for C guests (wasm32-wasi).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Imports from the "mantle" module, provided by `mantle run --tee=...`
 * (mantle_tee_define in the embedding API). Every call returns a WASI
 * errno (0 on success, __WASI_ERRNO_* numbering): FAULT for a pointer or
 * length outside linear memory, INVAL for a bad argument, NOBUFS when the
 * output buffer is too small (*out_len then holds the size needed),
 * BADMSG when a sealed blob does not authenticate, NOENT for an unknown
 * secret, NOTSUP when the host runs without a TEE or the TEE lacks the
 * service. Outputs are written only
 * on success (and *out_len on NOBUFS). Nothing here can crash the host.
 *
 * Keys belong to the module under its launch configuration (its bytes,
 * preopens, environment and grants): another module, the same module with
 * another configuration, or the same module on another node cannot open
 * what it seals.
 */
#ifndef MANTLE_SDK_TEE_H
#define MANTLE_SDK_TEE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MANTLE_IMPORT(name) \
    __attribute__((import_module("mantle"), import_name(name)))

/* Caller data bound into evidence: a nonce, a hash of a public key. */
#define MANTLE_TEE_REPORT_DATA 64
/* Bytes a sealed blob adds to its plaintext. */
#define MANTLE_TEE_SEAL_OVERHEAD 29
/* Largest plaintext seal accepts. */
#define MANTLE_TEE_SEAL_MAX (64u << 20)

/* mantle_tee_identity.tee_kind */
enum {
    MANTLE_TEE_SOFT = 0,
    MANTLE_TEE_TPM = 1,
    MANTLE_TEE_SEV_SNP = 2,
    MANTLE_TEE_TDX = 3,
    MANTLE_TEE_CCA = 4,
};
/* mantle_tee_identity.flags */
enum {
    MANTLE_TEE_DEBUG = 1,      /* evidence says debug: no hardware isolation */
};

/* What the module is, as its evidence states it (136 bytes). */
typedef struct mantle_tee_identity {
    uint8_t module_digest[32];    /* SHA-256 of the module's bytes */
    uint8_t config_digest[32];    /* SHA-256 of its launch configuration */
    uint8_t runtime_digest[32];   /* SHA-256 of the runtime */
    uint8_t attestation_key[32];  /* Ed25519 key that signs its evidence */
    uint32_t tee_kind;            /* MANTLE_TEE_* */
    uint32_t flags;               /* MANTLE_TEE_DEBUG */
} mantle_tee_identity;

/* Evidence (a signed EAT, RFC 9711, in CBOR) binding `data` (up to 64
 * bytes, zero-padded to 64) into out[0..out_cap); its size in *out_len. */
MANTLE_IMPORT("tee_evidence")
uint32_t mantle_tee_evidence(const void *data, size_t data_len, void *out,
                             size_t out_cap, size_t *out_len);

/* The module's identity. */
MANTLE_IMPORT("tee_identity")
uint32_t mantle_tee_identity_get(mantle_tee_identity *out);

/* Seal in[0..in_len) with aad authenticated (not stored) into out: its
 * size is in_len + MANTLE_TEE_SEAL_OVERHEAD. in and out may overlap. */
MANTLE_IMPORT("tee_seal")
uint32_t mantle_tee_seal(const void *in, size_t in_len, const void *aad,
                         size_t aad_len, void *out, size_t out_cap,
                         size_t *out_len);

/* Authenticate and open a sealed blob with the same aad; BADMSG when it
 * was not sealed by this module under this configuration on this node. */
MANTLE_IMPORT("tee_unseal")
uint32_t mantle_tee_unseal(const void *in, size_t in_len, const void *aad,
                           size_t aad_len, void *out, size_t out_cap,
                           size_t *out_len);

/* The secret called `name` (provisioned by the host: --secret NAME=@FILE). */
MANTLE_IMPORT("tee_secret")
uint32_t mantle_tee_secret(const char *name, size_t name_len, void *out,
                           size_t out_cap, size_t *out_len);

/* This module's monotonic counter: increment 0 reads it, 1 adds one and
 * reads the new value, into *out_value. It never goes down and belongs to
 * the module under its launch configuration on this node (another module
 * has its own). Store its value inside sealed data to notice a host that
 * hands back an older sealed file. NOTSUP when the TEE has no counter,
 * STALE when the host's counter table was rolled back or forged,
 * OVERFLOW when exhausted. How much it protects depends on the backend:
 * tpm anchors it in the TPM; soft and tsm in a file the host can roll
 * back (docs/tee.md). */
MANTLE_IMPORT("tee_counter")
uint32_t mantle_tee_counter(uint32_t increment, uint64_t *out_value);

#undef MANTLE_IMPORT

#ifdef __cplusplus
}
#endif
#endif
