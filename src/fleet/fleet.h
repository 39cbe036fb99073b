/* fleet.h - the fleet's pure half: manifests, node facts, placement, TEE facts.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Nothing here talks to NATS, reads a clock or opens a socket: times are
 * parameters, JSON is text in and out (jansson, libyaml for YAML). The NATS
 * half (lattice*.c, the reconciler, `mantle deploy|invoke`) builds on this.
 * docs/fleet.md describes the manifest format and the placement rules.
 *
 * Conventions: functions return MANTLE_OK (0) or a MANTLE_E* code from
 * mantle.h; detail goes into the caller's err/why buffer ("what: where:
 * why", field paths like "constraints.tee[1]"). Structs filled by a parse
 * own their strings and are released with the matching _free, which frees
 * the members (not the struct) and leaves it zeroed; freeing a zeroed
 * struct is a no-op. Output strings (to_json) are malloc'd, freed with
 * free(); NULL only when out of memory.
 *
 * Map: limits and names - manifests (manifest.c) - node facts (node.c) -
 *      placement (place.c) - TEE facts from evidence (evidence.c)
 */
#ifndef MANTLE_FLEET_H
#define MANTLE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mantle.h"

/* ---- Limits and names ---------------------------------------------------- */

#define FLEET_MAX_REPLICAS 1000u   /* more is a manifest error */
#define FLEET_MAX_NAME 63          /* deployment names, label keys, node ids */
#define FLEET_DIGEST_LEN 71        /* "sha256:" + 64 lower-case hex */
#define FLEET_MANIFEST_MAX (1u << 20)  /* bytes of manifest text accepted */
#define FLEET_MAX_SECRETS 16       /* secrets per deployment */

/* Architectures: "x86_64", "aarch64", "armv7", "riscv64".
 * TEE kinds: "none", "soft" (Mantle's software root: always debug), "tpm",
 * "snp", "tdx", "sgx", "cca". A node's kind comes from verified evidence
 * (fleet_node_verify_tee); "none" needs no evidence. */
bool fleet_arch_valid(const char *arch);
bool fleet_tee_valid(const char *tee);
/* The architecture this binary was built for (one of the above). */
const char *fleet_arch_native(void);

/* "sha256:<hex>" of bytes into out (FLEET_DIGEST_LEN + 1 bytes): how the
 * CLI names a local module and every node checks what it fetched. */
int fleet_digest(const uint8_t *data, size_t len,
                 char out[FLEET_DIGEST_LEN + 1]);
/* True when s is exactly "sha256:" and 64 lower-case hex digits. */
bool fleet_digest_valid(const char *s);

/* ---- Manifests (manifest.c) --------------------------------------------- */

struct fleet_label {
    char *key, *value;
};

struct fleet_constraints {
    char **arch;                /* empty = any; sorted, no duplicates */
    size_t n_arch;
    char **tee;                 /* empty = any, "none" included; sorted */
    size_t n_tee;
    bool debug_ok;              /* debug evidence acceptable (default no) */
    struct fleet_label *labels; /* node must carry each; sorted by key */
    size_t n_labels;
    uint64_t mem_bytes;         /* per replica; 0 = no need */
    uint32_t cpu_milli;         /* per replica; 0 = no need */
    char *spread_key;           /* NULL none; "node": one replica per node;
                                   else a label key: one per label value */
};

/* A deployment: the desired state (JSON in KV bucket "mantle-deploy",
 * key = name). */
struct fleet_deploy {
    char *name;                       /* [a-z0-9][a-z0-9_-]*, <= 63 */
    char digest[FLEET_DIGEST_LEN + 1];  /* "" when only a path was given */
    char *module_path;                /* local file the CLI hashes, or NULL */
    uint32_t replicas;                /* 0 .. FLEET_MAX_REPLICAS, default 1 */
    struct fleet_constraints c;
    char **args;                      /* argv[1..] of the module */
    size_t n_args;
    struct fleet_label *env;          /* sorted by key */
    size_t n_env;
    char *tier;                       /* "interp", "aot" or "auto" (default) */
    /* Secrets a key broker releases to each replica after attesting it
     * (docs/fleet.md): key = the name the guest asks tee_secret for, value
     * = the broker's resource "REPO/TYPE/TAG" (written kbs:///R/T/G).
     * Sorted by name; none without a broker. */
    char *broker_url;                 /* https:// or http://; NULL: none */
    char *broker_ca;                  /* PEM CA of its TLS certificate, or
                                         NULL for the node's system CAs */
    bool broker_trustee;              /* attest with the platform's evidence
                                         in Trustee's encoding (a Trustee
                                         KBS) instead of Mantle's EAT */
    struct fleet_label *secrets;
    size_t n_secrets;
};

/* Parse a manifest, JSON or YAML (told apart by content: JSON starts with
 * '{'). origin names the text in messages (a file name; may be NULL).
 * Strict: unknown fields, wrong types, bad values and impossible
 * constraint combinations are MANTLE_EINVAL with err = "origin: field
 * path: why". *out is written only on success; release with
 * fleet_deploy_free. */
MANTLE_NODISCARD int fleet_manifest_parse(const char *text, size_t len,
                                          const char *origin,
                                          struct fleet_deploy *out,
                                          char *err, size_t errlen);
/* Canonical JSON: fixed key order, defaults written out, units normalised
 * ("64Mi", "500m"). fleet_manifest_parse of it gives an equal struct and
 * to_json of that the same text. */
char *fleet_deploy_to_json(const struct fleet_deploy *d);
bool fleet_deploy_equal(const struct fleet_deploy *a,
                        const struct fleet_deploy *b);
void fleet_deploy_free(struct fleet_deploy *d);

/* "64Mi", "1G", "1048576" -> bytes; "500m", "2", "0.5" -> millicores.
 * MANTLE_EINVAL (err says why) on bad text or overflow. */
int fleet_parse_mem(const char *s, uint64_t *out, char *err, size_t errlen);
int fleet_parse_cpu(const char *s, uint32_t *out, char *err, size_t errlen);
/* Canonical text of the above into out (>= 32 bytes). */
void fleet_format_mem(uint64_t bytes, char *out, size_t outlen);
void fleet_format_cpu(uint32_t milli, char *out, size_t outlen);

/* ---- Node facts (node.c) ------------------------------------------------ */

/* A deployment this node could not start and will not take again for a
 * while (the key broker refused its attestation: docs/fleet.md). The node
 * says it itself, as it could decline anything; placement moves the
 * replica elsewhere until the node withdraws the refusal. */
struct fleet_refusal {
    char *deploy;
    uint32_t replica;                   /* the replica that was refused */
    char digest[FLEET_DIGEST_LEN + 1];  /* of the module: another is tried */
    char *why;                          /* "secret db-key refused by ..." */
};
#define FLEET_MAX_REFUSALS 64

/* JSON in KV bucket "mantle-nodes", key = id. */
struct fleet_node {
    char *id;                   /* [a-z0-9][a-z0-9_-]*, <= 63 */
    char *arch;                 /* fleet_arch_valid */
    char *tee;                  /* fleet_tee_valid; claimed until verified */
    bool tee_verified;          /* set only by fleet_node_verify_tee; a
                                   reconciler must not trust a node's word */
    bool debug;                 /* evidence says debug (from verification) */
    struct fleet_label *labels; /* sorted by key */
    size_t n_labels;
    uint64_t mem_bytes;         /* memory offered to workloads */
    uint32_t cpu_milli;         /* CPU offered, 1000 per core */
    char *agent_version;        /* mantled's version, or NULL */
    char *address;              /* how to reach the node (free text), or NULL */
    char evidence_digest[FLEET_DIGEST_LEN + 1];  /* of its last evidence, "" */
    int64_t last_seen_ms;       /* heartbeat time, filled by the caller */
    struct fleet_refusal *refused;  /* sorted by deploy; "refused" in JSON */
    size_t n_refused;
};

/* Parse facts JSON; strict like manifests. *out written only on success. */
MANTLE_NODISCARD int fleet_node_from_json(const char *text, size_t len,
                                          struct fleet_node *out, char *err,
                                          size_t errlen);
/* Canonical JSON (round-trips with fleet_node_from_json). */
char *fleet_node_to_json(const struct fleet_node *n);
void fleet_node_free(struct fleet_node *n);

/* The local node's facts: id (copied), arch of this build, TEE kind of the
 * open backend tee (NULL: "none") - claimed, not verified -, memory and
 * CPUs from the platform, labels (copied, n of them), agent version
 * MANTLE_VERSION. */
MANTLE_NODISCARD int fleet_node_local(const char *id, const mantle_tee *tee,
                                      const struct fleet_label *labels,
                                      size_t n_labels, struct fleet_node *out,
                                      char *err, size_t errlen);

/* ---- Placement (place.c) ------------------------------------------------- */

/* One replica's place. node NULL: pending. why: a sentence for
 * `mantle deploy status`. */
struct fleet_assign {
    char *deploy;
    uint32_t replica;           /* 0 .. replicas-1 */
    char *node;
    char *why;
};

/* Assign every replica of every deployment. Deterministic (same input,
 * same output, whatever the order of d and n) and stable: a current
 * assignment stays while its node is alive (now_ms - last_seen_ms <=
 * dead_after_ms), still satisfies the constraints, and still has room.
 * New replicas go to the least loaded eligible node (fewest replicas, then
 * id). *out: one entry per replica, sorted by deployment name and replica,
 * released with fleet_assign_free. MANTLE_ENOMEM or MANTLE_EINVAL (NULL
 * arguments, duplicate deployment or node names). */
MANTLE_NODISCARD int fleet_place(const struct fleet_deploy *d, size_t nd,
                                 const struct fleet_node *n, size_t nn,
                                 const struct fleet_assign *cur, size_t ncur,
                                 int64_t now_ms, int64_t dead_after_ms,
                                 struct fleet_assign **out, size_t *nout);
/* Frees each entry's strings and the array. */
void fleet_assign_free(struct fleet_assign *a, size_t n);

/* Assignments as a JSON array [{"deploy","replica","node"|null,"why"}]
 * and back (for the KV bucket the reconciler writes, and deploy status). */
char *fleet_assigns_to_json(const struct fleet_assign *a, size_t n);
MANTLE_NODISCARD int fleet_assigns_from_json(const char *text, size_t len,
                                             struct fleet_assign **out,
                                             size_t *nout, char *err,
                                             size_t errlen);

/* ---- TEE facts from evidence (evidence.c) ------------------------------- */

/* The 64 bytes a node's evidence must bind: SHA-512 over a domain tag, the
 * node id and the verifier's challenge, so that evidence made for one node
 * (or one challenge) does not pass for another. */
void fleet_node_nonce(const char *node_id, const uint8_t *challenge,
                      size_t challenge_len, uint8_t out[64]);

/* Evidence for the local node: Mantle EAT evidence (mantle_tee_evidence)
 * of the fleet's identity module (an empty module: no guest code can make
 * it) binding fleet_node_nonce(node_id, challenge). Freed with free(). */
MANTLE_NODISCARD int fleet_node_evidence(mantle_tee *tee, const char *node_id,
                                         const uint8_t *challenge,
                                         size_t challenge_len,
                                         uint8_t **out_evidence,
                                         size_t *out_len, char *err,
                                         size_t errlen);

/* What the verifier trusts, all borrowed. */
struct fleet_verify_opts {
    mantle_tee_kind format;     /* MANTLE_TEE_MANTLE (default when NONE), or
                                   a hardware family whose report data is
                                   the node nonce */
    int64_t time;               /* verification time, Unix seconds */
    mantle_blob root;           /* trust anchor (mantle_verify_input.root) */
    const mantle_blob *certs;
    size_t ncerts;
    const mantle_blob *collateral;
    size_t ncollateral;
    const uint8_t *challenge;   /* what the node was asked to bind */
    size_t challenge_len;
};

/* Verify node n's evidence. MANTLE_OK: n->tee, n->debug, n->tee_verified
 * and n->evidence_digest set from the verified claims (Mantle evidence
 * without platform evidence is "soft"), why = "ID: verified KIND evidence
 * [(debug)]". Otherwise MANTLE_EREFUSED (or EINVAL/ENOMEM),
 * n->tee_verified false, n otherwise untouched, why = "ID: REASON: ..."
 * with the verifier's reason name and message ("node-a: chain: ...") or
 * "ID: evidence made for another node or challenge (...)" when the
 * caller data is not this node's nonce. A raw 32-byte root is taken as
 * the soft backend's Ed25519 root key (mantle_tee_root_key). */
MANTLE_NODISCARD int fleet_node_verify_tee(struct fleet_node *n,
                                           const uint8_t *evidence,
                                           size_t len,
                                           const struct fleet_verify_opts *o,
                                           char *why, size_t whylen);

#endif
