/* tee.h - internals of the TEE layer: the backend vtable, DICE, EAT, sealing.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: sizes and capability bits - the backend vtable - the TEE handle and
 * module keys - DICE (dice.c) - sealing (seal.c) - EAT (eat.c) - state
 * directory files (state.c) - helpers (tee.c).
 *
 * Key hierarchy (docs/tee.md): layer 0 is the backend's 32-byte root (the
 * UDS: a soft device secret, a TPM-sealed secret); layer 1 is the Mantle
 * runtime; layer 2 each module under its launch configuration. Every layer
 * is one open-dice DICE step (HKDF-SHA512). Secrets live in fixed arrays
 * and are wiped with OPENSSL_cleanse on every path.
 */
#ifndef MANTLE_TEE_H
#define MANTLE_TEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mantle.h"

#define TEE_HASH 64        /* DICE hash size (SHA-512) */
#define TEE_CDI 32         /* CDI and UDS size */
#define TEE_DIGEST 32      /* Mantle measurements: SHA-256 */
#define TEE_ID 20          /* DICE certificate id */
#define TEE_PUB 32         /* Ed25519 public key */
#define TEE_SEED 32        /* Ed25519 private key (RFC 8032 seed) */
#define TEE_SIG 64         /* Ed25519 signature */
#define TEE_REPORT_DATA 64 /* caller data bound into platform evidence */

/* DICE modes (open-dice). */
enum { TEE_MODE_NOT_CONFIGURED = 0, TEE_MODE_NORMAL = 1, TEE_MODE_DEBUG = 2 };

/* ---- The backend vtable ------------------------------------------------ */

/* Capability bits: what a backend protects with hardware. */
enum {
    TEE_CAP_EVIDENCE = 1u << 0,   /* platform evidence binding 64 bytes */
    TEE_CAP_EXTEND = 1u << 1,     /* measurement registers Mantle extends */
    TEE_CAP_SEAL_ROOT = 1u << 2,  /* the layer-0 root is hardware-protected */
    TEE_CAP_COUNTER = 1u << 3,    /* a hardware monotonic counter */
    TEE_CAP_ISOLATION = 1u << 4,  /* guest memory isolated from the host */
};

/* The version this tree's tables are written for. A table only grows at
 * its end; tee.c checks `version` before using a member added later. */
#define TEE_BACKEND_VERSION 1

typedef struct tee_backend tee_backend;  /* one backend's private state */

/* Platform evidence from a backend (owned by the caller, freed with
 * free()). */
typedef struct tee_platform_evidence {
    char kind[16];      /* "tpm", "sev-snp", "tdx", "cca" */
    int dbgstat;        /* RFC 9711 dbgstat of the platform (0 = enabled) */
    uint8_t *data;      /* the report, quote or token (a CBOR map for tpm) */
    size_t size;
    uint8_t *aux;       /* certificates the platform served, or NULL */
    size_t aux_size;
} tee_platform_evidence;

typedef struct tee_backend_ops {
    int version;           /* TEE_BACKEND_VERSION */
    const char *name;      /* "soft", "tpm", "tsm" */
    /* Whether this machine has the backend's hardware, for --tee=auto;
     * touches no state. `arg` is the text after "name:" or NULL. */
    bool (*probe)(const char *arg);
    /* Open with the state directory (may be NULL for backends that keep
     * no state). Detail into diag. */
    int (*open)(const char *arg, const char *state_dir, tee_backend **out,
                mantle_diag *diag);
    unsigned (*caps)(const tee_backend *b);
    /* The evidence "tee" claim: "soft", "tpm", "sev-snp", "tdx", "cca". */
    const char *(*kind)(const tee_backend *b);
    /* DICE mode of this backend's layers. */
    uint8_t (*mode)(const tee_backend *b);
    /* Platform evidence whose report data binds `report_data`. NULL when
     * the backend has none (soft). */
    int (*evidence)(tee_backend *b, const uint8_t report_data[TEE_REPORT_DATA],
                    tee_platform_evidence *out, mantle_diag *diag);
    /* Extend a measurement register with a SHA-256 digest (NULL: none). */
    int (*extend)(tee_backend *b, const uint8_t digest[TEE_DIGEST],
                  mantle_diag *diag);
    /* The layer-0 root (UDS). Refused (MANTLE_EAUTH) when the platform's
     * state no longer matches the policy it was sealed to. */
    int (*seal_root)(tee_backend *b, uint8_t out_uds[TEE_CDI],
                     mantle_diag *diag);
    /* Read (increment false) or increment and read a monotonic counter. */
    int (*counter)(tee_backend *b, bool increment, uint64_t *out_value,
                   mantle_diag *diag);
    void (*close)(tee_backend *b);
} tee_backend_ops;

extern const tee_backend_ops tee_soft_ops;
extern const tee_backend_ops tee_tpm_ops;
extern const tee_backend_ops tee_tsm_ops;

/* Wrap an opened backend so that its stateful calls hold a mutex of the
 * handle's own (serial.c): `table` receives the wrapping table (same name
 * and optional entries), `out` the wrapper, which owns `inner` from then
 * on. MANTLE_ENOMEM leaves `inner` to the caller. */
int tee_serialize(const tee_backend_ops *ops, tee_backend *inner,
                  tee_backend_ops *table, tee_backend **out);
/* For a backend's own extra entry points (tee_tpm_ek): its state with the
 * handle's mutex held when `tee` runs backend `ops`, else NULL (nothing
 * held); tee_serial_leave releases it. */
tee_backend *tee_serial_enter(mantle_tee *tee, const tee_backend_ops *ops);
void tee_serial_leave(mantle_tee *tee);

/* ---- The handle and module keys ------------------------------------------ */

struct mantle_tee {
    const tee_backend_ops *ops;
    tee_backend *b;
    char *state_dir;                      /* owned; NULL when none */
    uint8_t runtime_digest[TEE_DIGEST];   /* SHA-256 of the runtime */
    tee_backend_ops serial;               /* ops points here (serial.c) */
    size_t sealed_cache;                  /* bytes per sealed mount; 0:
                                             sealfs_cache_default() */
};

/* Everything layer 2 gives one module under one launch configuration. */
typedef struct tee_module_keys {
    uint8_t runtime_digest[TEE_DIGEST];
    uint8_t module_digest[TEE_DIGEST];
    uint8_t config_digest[TEE_DIGEST];
    uint8_t mode;
    /* Secret: */
    uint8_t uds[TEE_CDI];
    uint8_t l1_attest[TEE_CDI], l1_seal[TEE_CDI];
    uint8_t l2_attest[TEE_CDI], l2_seal[TEE_CDI];
    uint8_t attest_seed[TEE_SEED];   /* the module's attestation key */
    uint8_t seal_key[32];            /* the module's AES-256-GCM key */
    /* Public: */
    uint8_t attest_pub[TEE_PUB];
} tee_module_keys;

/* SHA-256 of the canonical launch configuration (tee.c). */
int tee_launch_digest(const mantle_tee_launch *launch, uint8_t out[32]);
/* Measure module + launch and derive its keys. */
int tee_launch_keys(mantle_tee *tee, const mantle_module *module,
                    const mantle_tee_launch *launch, tee_module_keys *out,
                    mantle_diag *diag);
/* Derive a module's keys from the backend root. */
int tee_module_keys_derive(mantle_tee *tee, const uint8_t module_digest[32],
                           const uint8_t config_digest[32],
                           tee_module_keys *out, mantle_diag *diag);
/* Same, from an explicit root (tests, and the backends' own checks). */
int tee_module_keys_from_uds(const uint8_t uds[TEE_CDI], uint8_t mode,
                             const uint8_t runtime_digest[32],
                             const uint8_t module_digest[32],
                             const uint8_t config_digest[32],
                             tee_module_keys *out);
void tee_module_keys_wipe(tee_module_keys *k);

/* The DICE inputs of layer 1 and layer 2 (documented in docs/tee.md). */
struct dice_inputs;
void tee_layer1_inputs(const uint8_t runtime_digest[32], uint8_t mode,
                       struct dice_inputs *out);
void tee_layer2_inputs(const uint8_t module_digest[32],
                       const uint8_t config_digest[32], uint8_t mode,
                       struct dice_inputs *out);

/* ---- DICE (dice.c): the open-dice derivation --------------------------- */

enum { DICE_CONFIG_INLINE = 0, DICE_CONFIG_DESCRIPTOR = 1 };

typedef struct dice_inputs {
    uint8_t code_hash[TEE_HASH];
    const uint8_t *code_descriptor;      /* borrowed, may be NULL */
    size_t code_descriptor_size;
    int config_type;                     /* DICE_CONFIG_* */
    uint8_t config_value[TEE_HASH];      /* inline */
    const uint8_t *config_descriptor;    /* descriptor (borrowed) */
    size_t config_descriptor_size;
    uint8_t authority_hash[TEE_HASH];
    const uint8_t *authority_descriptor; /* borrowed, may be NULL */
    size_t authority_descriptor_size;
    uint8_t mode;
    uint8_t hidden[TEE_HASH];
} dice_inputs;

/* One DICE layer: the next CDIs from the current ones. 0 or -1. */
int dice_main_flow(const uint8_t cdi_attest[TEE_CDI],
                   const uint8_t cdi_seal[TEE_CDI], const dice_inputs *in,
                   uint8_t out_attest[TEE_CDI], uint8_t out_seal[TEE_CDI]);
/* The Ed25519 key pair of a CDI_Attest (the seed is the private key). */
int dice_keypair(const uint8_t cdi_attest[TEE_CDI], uint8_t out_seed[TEE_SEED],
                 uint8_t out_pub[TEE_PUB]);
/* Lower-case hex of p[0..n) into out (2n + 1 bytes): ids in certificates. */
void dice_hex(const uint8_t *p, size_t n, char *out);
/* The certificate id of a public key (top bit cleared). */
int dice_id(const uint8_t pub[TEE_PUB], uint8_t out_id[TEE_ID]);
/* The COSE_Key (RFC 9053 OKP, EdDSA, verify) of an Ed25519 public key, in
 * the open-dice encoding; returns its size (45). */
size_t dice_cose_key(const uint8_t pub[TEE_PUB], uint8_t out[64]);
/* An open-dice CBOR CDI certificate (an untagged COSE_Sign1 over a CWT)
 * for the layer `in` describes: subject key from subject_seed, signed by
 * authority_seed. profile: NULL, or a profile name ("android.18"). The
 * certificate is malloc'd. */
int dice_cbor_cert(const uint8_t subject_seed[TEE_SEED],
                   const uint8_t authority_seed[TEE_SEED],
                   const dice_inputs *in, const char *profile,
                   uint8_t **out_cert, size_t *out_size);

/* The X.509 twin of dice_cbor_cert (dice_x509.c): an open-dice X.509 CDI
 * certificate (DER, malloc'd) with the OpenDiceInput extension. */
#define DICE_X509_INPUT_OID "1.3.6.1.4.1.11129.2.1.24"
int dice_x509_cert(const uint8_t subject_seed[TEE_SEED],
                   const uint8_t authority_seed[TEE_SEED],
                   const dice_inputs *in, uint8_t **out_cert,
                   size_t *out_size);
/* A self-signed certificate of a layer-0 key in the same profile, without
 * OpenDiceInput: the trust anchor X.509 verifiers start from. */
int dice_x509_root(const uint8_t seed[TEE_SEED], uint8_t **out_cert,
                   size_t *out_size);

/* Ed25519 through OpenSSL. */
int tee_ed25519_pub(const uint8_t seed[TEE_SEED], uint8_t out_pub[TEE_PUB]);
int tee_ed25519_sign(const uint8_t seed[TEE_SEED], const uint8_t *msg,
                     size_t len, uint8_t out_sig[TEE_SIG]);
__attribute__((warn_unused_result)) int
tee_ed25519_verify(const uint8_t pub[TEE_PUB], const uint8_t *msg, size_t len,
                   const uint8_t sig[TEE_SIG]);
/* HKDF-SHA512 (RFC 5869) through EVP_KDF. 0 or -1. */
int tee_hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
             size_t salt_len, const char *info, uint8_t *out, size_t out_len);
int tee_sha512(const uint8_t *data, size_t len, uint8_t out[64]);
int tee_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

/* COSE Sig_structure for a COSE_Sign1 with empty external AAD (RFC 9052
 * 4.4), malloc'd. */
int tee_cose_tbs(const uint8_t *prot, size_t prot_size, const uint8_t *payload,
                 size_t payload_size, uint8_t **out, size_t *out_size);

/* ---- Counters (counter.c) ----------------------------------------------- */

/* The monotonic counter `id` (a module's, or all zeros for the node's):
 * read, or increment and read. All counters sit in one table in the state
 * directory, authenticated with a key from `uds` and anchored in the
 * backend's counter (docs/tee.md); MANTLE_EAUTH when the table was rolled
 * back, forged or deleted, MANTLE_ENOTEE when the backend has no counter. */
int tee_counter(mantle_tee *tee, const uint8_t uds[TEE_CDI],
                const uint8_t id[32], bool increment, uint64_t *out_value,
                mantle_diag *diag);

/* ---- TPM enrolment (tpm.c) ---------------------------------------------- */

#define TEE_TPM_NAME 34         /* nameAlg (2) + SHA-256 */
#define TEE_TPM_CREDENTIAL 64   /* largest credential activate returns */

/* The TPM's endorsement key (TCG EK profile, default ECC P-256 template) as
 * a marshalled TPM2B_PUBLIC (malloc'd), and the name of the attestation key
 * that signs quotes. MANTLE_EINVAL when tee is not a tpm backend. */
int tee_tpm_ek(mantle_tee *tee, uint8_t **out_ek, size_t *out_ek_size,
               uint8_t out_ak_name[TEE_TPM_NAME], size_t *out_ak_name_size,
               mantle_diag *diag);
/* TPM2_ActivateCredential: the credential a verifier sealed with
 * TPM2_MakeCredential(EK, AK name) -- blob and secret marshalled as
 * TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET. MANTLE_EAUTH when it was made
 * for another TPM or another key; out untouched then. */
__attribute__((warn_unused_result)) int
tee_tpm_activate(mantle_tee *tee, const uint8_t *blob, size_t blob_size,
                 const uint8_t *secret, size_t secret_size,
                 uint8_t out[TEE_TPM_CREDENTIAL], size_t *out_size,
                 mantle_diag *diag);

/* ---- Sealing (seal.c) --------------------------------------------------- */

/* Sealed blob: version (1) || nonce (12) || ciphertext || tag (16). */
#define TEE_SEAL_VERSION 1
#define TEE_SEAL_OVERHEAD (1 + 12 + 16)
#define TEE_SEAL_MAX ((size_t)64 << 20)   /* plaintext limit */

/* AES-256-GCM under key, aad authenticated. out has room for
 * len + TEE_SEAL_OVERHEAD. */
int tee_seal(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
             const uint8_t *pt, size_t len, uint8_t *out);
/* The same with the caller's nonce, which must never repeat under key
 * (sealed storage draws a fresh key and nonce per node in bulk). */
int tee_seal_nonce(const uint8_t key[32], const uint8_t nonce[12],
                   const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                   size_t len, uint8_t *out);
/* Authenticate and decrypt into out (room for len - TEE_SEAL_OVERHEAD).
 * MANTLE_EAUTH when the blob was not sealed under key and aad; out is
 * then untouched (decryption goes through a scratch buffer). */
__attribute__((warn_unused_result)) int
tee_unseal(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
           const uint8_t *blob, size_t len, uint8_t *out);

/* A reusable AES-256-GCM context for sealing many small blobs (sealed
 * storage's nodes) without setting one up per blob. One user at a time; it
 * holds the last key's schedule until its next use or tee_gcm_free, which
 * wipes it. */
typedef struct tee_gcm tee_gcm;
tee_gcm *tee_gcm_new(void);
void tee_gcm_free(tee_gcm *g);
/* tee_seal_nonce and tee_unseal through g (NULL: a context per call). */
int tee_seal_nonce_gcm(tee_gcm *g, const uint8_t key[32],
                       const uint8_t nonce[12], const uint8_t *aad,
                       size_t aad_len, const uint8_t *pt, size_t len,
                       uint8_t *out);
__attribute__((warn_unused_result)) int
tee_unseal_gcm(tee_gcm *g, const uint8_t key[32], const uint8_t *aad,
               size_t aad_len, const uint8_t *blob, size_t len, uint8_t *out);
/* As tee_unseal_gcm, but decrypting straight into out, which holds bytes
 * that have not verified until the tag checks and is wiped when it does
 * not: for a caller whose out is its own scratch that it discards on
 * failure (sealfs's cache pages), saving a buffer, a copy and a wipe. */
__attribute__((warn_unused_result)) int
tee_unseal_gcm_scratch(tee_gcm *g, const uint8_t key[32], const uint8_t *aad,
                       size_t aad_len, const uint8_t *blob, size_t len,
                       uint8_t *out);

/* ---- EAT (eat.c) ----------------------------------------------------------- */

/* Build and sign the evidence for one module: an RFC 9711 EAT, COSE_Sign1
 * by the module's attestation key. The token is malloc'd. */
int tee_eat_build(mantle_tee *tee, const tee_module_keys *keys,
                  const uint8_t nonce[TEE_REPORT_DATA], uint8_t **out,
                  size_t *out_size, mantle_diag *diag);
/* The report data platform evidence binds: SHA-512("mantle-eat-v1" ||
 * nonce || attestation public key || runtime || module || config). */
int tee_eat_binding(const uint8_t nonce[TEE_REPORT_DATA],
                    const tee_module_keys *keys, uint8_t out[64]);

/* Private EAT claim keys (RFC 9711 allows negative private keys). */
enum {
    TEE_CLAIM_TEE = -70000,           /* tstr: soft, tpm, sev-snp, tdx, cca */
    TEE_CLAIM_RUNTIME = -70001,       /* bstr: SHA-256 of the runtime */
    TEE_CLAIM_MODULE = -70002,        /* bstr: SHA-256 of the module */
    TEE_CLAIM_CONFIG = -70003,        /* bstr: SHA-256 of the launch config */
    TEE_CLAIM_ISOLATION = -70004,     /* bool: hardware isolation */
    TEE_CLAIM_DICE_CHAIN = -70005,    /* [root COSE_Key, cert L1, cert L2] */
    TEE_CLAIM_PLATFORM = -70006,      /* bstr: platform evidence */
    TEE_CLAIM_PLATFORM_AUX = -70007,  /* bstr: the platform's certificates */
    TEE_CLAIM_DICE_MODE = -70008,     /* uint: DICE mode of the layers */
    TEE_CLAIM_DICE_X509 = -70009,     /* [root cert, cert L1, cert L2] DER */
};
#define TEE_EAT_PROFILE "tag:mantle.dev,2025:eat-v1"

/* ---- State directory (state.c) ------------------------------------------ */

/* Create dir (and parents) 0700 if missing. */
int tee_state_mkdir(const char *dir, mantle_diag *diag);
/* Read dir/name whole (exactly `size` bytes when size != 0); -OS_ENOENT
 * when absent. Data malloc'd. */
int tee_state_read(const char *dir, const char *name, uint8_t **out,
                   size_t *out_size, mantle_diag *diag);
/* Write dir/name atomically (temporary, fsync, rename), mode 0600. */
int tee_state_write(const char *dir, const char *name, const uint8_t *data,
                    size_t size, mantle_diag *diag);
/* A 32-byte secret dir/name, created from the OS CSPRNG on first use
 * (O_EXCL, 0600: concurrent first users agree on one). */
int tee_state_secret(const char *dir, const char *name,
                     uint8_t out[TEE_CDI], mantle_diag *diag);
/* A file-backed counter dir/name: two checksummed records rewritten in
 * turn in place, one fdatasync per increment (state.c). */
int tee_state_counter(const char *dir, const char *name, bool increment,
                      uint64_t *out_value, mantle_diag *diag);

/* ---- Helpers (tee.c) ------------------------------------------------------- */

/* Fill diag (may be NULL) and return status. */
int tee_fail(mantle_diag *diag, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Constant-time comparison: 0 when equal. */
int tee_memcmp(const void *a, const void *b, size_t n);
void tee_wipe(void *p, size_t n);

/* Open a backend from its table (tests use it with their own tables). */
int tee_open_ops(const tee_backend_ops *ops, const char *arg,
                 const char *state_dir, mantle_tee **out, mantle_diag *diag);

#endif
