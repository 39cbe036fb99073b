/* lattice.h - the fleet's NATS side: connection, KV buckets, object store.
 * SPDX-License-Identifier: Apache-2.0
 *
 * "The lattice" is the NATS system the nodes join (docs/fleet.md). This
 * header is what mantled and the `mantle deploy|invoke` verbs share:
 *   lattice.c    connect (URLs, TLS, credentials, reconnect with backoff)
 *                and the JetStream buckets, created on first use;
 *   objstore.c   module bytes in the JetStream object-store layout of NATS
 *                ADR-20 (stream OBJ_<bucket>), built on plain JetStream
 *                publish and subscribe because nats.c 3.4.1 has no object
 *                store of its own;
 *   reconcile.c  the reconciler's lease and one placement round.
 * The pure parts (manifests, node facts, placement, TEE facts) are
 * fleet.h's. Every call here may block for up to the request timeout; the
 * agent makes them from its fleet thread, never from its event loop.
 */
#ifndef MANTLE_FLEET_LATTICE_H
#define MANTLE_FLEET_LATTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#define LATTICE_NODES "mantle-nodes"   /* node id -> facts JSON */
#define LATTICE_DEPLOY "mantle-deploy" /* deployment name -> manifest JSON */
#define LATTICE_ASSIGN "mantle-assign" /* deployment name -> replicas JSON */
#define LATTICE_LEASE "mantle-lease"   /* "reconciler" -> holder JSON */
#define LATTICE_EVIDENCE "mantle-evidence" /* node id -> attestation evidence */
#define LATTICE_MODULES "mantle-modules" /* object store: module bytes */
#define LATTICE_INVOKE_PREFIX "mantle.invoke." /* + deployment name */
/* A node's evidence binds fleet_node_nonce(id, "mantle-fleet-window:<N>")
 * with N = Unix time / LATTICE_TEE_WINDOW_S: fresh within two windows,
 * with no round trip between the reconciler and the node. */
#define LATTICE_TEE_WINDOW_S 60

/* Connection events, delivered on a NATS thread (the callee must only
 * hand them on, e.g. through a pipe to an event loop). */
enum lattice_event { LATTICE_UP, LATTICE_DOWN, LATTICE_CLOSED };

struct lattice_opts {
    const char *urls;  /* "nats://h:p[,nats://h2:p2...]" (tls:// too) */
    const char *ca;    /* PEM trust anchors for the servers; NULL/"" none */
    const char *cert;  /* client certificate chain (PEM) for mutual TLS */
    const char *key;   /* its private key */
    const char *creds; /* NATS credentials file (JWT + NKey seed) */
    const char *name;  /* connection name shown by the servers */
    const char *domain; /* JetStream domain of the hub ("" none): needed
                           when connecting through a leaf node server */
    int replicas;      /* JetStream replicas of buckets we create (1..5) */
    int64_t timeout_ms;      /* connect and request timeout */
    int64_t lease_timeout_ms; /* requests on the lease bucket: below the
                                 lease period, so a holder whose request
                                 hangs learns it in time to renew; 0:
                                 timeout_ms */
    int64_t reconnect_max_ms; /* backoff ceiling; 0: 5 s */
    bool keep_trying;  /* mantled: never give up, connect in background */
    void (*on_event)(void *ctx, enum lattice_event ev);
    void *ctx;
};

struct lattice {
    natsConnection *nc;
    jsCtx *js;
    jsCtx *js_lease; /* the same with lease_timeout_ms; lease is bound to it */
    kvStore *nodes, *deploy, *assign, *lease, *evidence;
    bool ready; /* buckets opened */
    int replicas;
    int64_t timeout_ms;
    int64_t reconnect_max_ms;
    struct relay *relay; /* connection events to on_event (lattice.c) */
};

/* Connect. With keep_trying a server that is down is not an error: the
 * client connects (and reconnects, with doubling delays up to
 * reconnect_max_ms) in the background. 0, or -1 with "what: why" in err. */
int lattice_open(const struct lattice_opts *o, struct lattice **out,
                 char *err, size_t errlen);
/* Close and wait (up to 2 s) for nats.c's last connection event. */
void lattice_close(struct lattice *lt);
bool lattice_connected(struct lattice *lt);
/* Open (creating when missing) the KV buckets and the object store's
 * stream. Idempotent; 0 or -1 with err. */
int lattice_buckets(struct lattice *lt, char *err, size_t errlen);
/* Describe a failed status with nats.c's detail: "what: text (detail)". */
int lattice_fail(char *err, size_t errlen, natsStatus s, const char *what);

/* ---- KV helpers ------------------------------------------------------ */

/* Value of key: 0 (out is malloc'ed and NUL-terminated), 1 when the key
 * does not exist or was deleted, -1 on error. rev and created_ms (server
 * time of the write, ms since the epoch) may be NULL. */
int lattice_kv_get(kvStore *kv, const char *key, char **out, size_t *out_len,
                   uint64_t *out_rev, int64_t *out_created_ms, char *err,
                   size_t errlen);
/* All live keys, malloc'ed array of malloc'ed strings (free with
 * lattice_keys_free). An empty bucket is 0 keys, not an error. */
int lattice_kv_keys(kvStore *kv, char ***out, size_t *out_n, char *err,
                    size_t errlen);
void lattice_keys_free(char **keys, size_t n);
int lattice_kv_put(kvStore *kv, const char *key, const char *val, char *err,
                   size_t errlen);

/* ---- objstore.c: ADR-20 objects -------------------------------------- */

/* An object's meta, as read from $O.<bucket>.M.<name>: untrusted (anyone
 * allowed to publish there wrote it), so checked before any use: nuid
 * 1-64 base62 characters (it becomes a subject token), digest
 * "SHA-256=" + 44 base64url characters, 0 < chunks <= size unless both
 * are 0. */
struct lattice_obj_meta {
    char nuid[65];
    char digest[53];
    uint64_t size, chunks;
    bool deleted;
};
int lattice_obj_meta_parse(const char *json, size_t len,
                           struct lattice_obj_meta *out, char *err,
                           size_t errlen);

/* Store bytes as object `name` (chunks of 128 KiB, then the meta with the
 * SHA-256 digest, rolled up so only the latest meta per name remains). An
 * object whose meta already names the same digest is not uploaded again
 * (out_existed true). */
int lattice_obj_put(struct lattice *lt, const char *name,
                    const uint8_t *bytes, size_t size, bool *out_existed,
                    char *err, size_t errlen);
/* Fetch object `name`: its chunks are re-assembled and the SHA-256 over
 * them must equal the meta's digest, else -1 ("digest mismatch"). 1 when
 * there is no such object; max_size bounds what we accept. */
int lattice_obj_get(struct lattice *lt, const char *name, size_t max_size,
                    uint8_t **out, size_t *out_size, char *err,
                    size_t errlen);

/* The challenge of window N into out (>= 48 bytes); its length. */
size_t lattice_tee_challenge(int64_t window, char *out, size_t outlen);

/* ---- reconcile.c: the reconciler ------------------------------------- */

struct fleet_verify_opts;
struct reconcile_cache; /* verdicts on nodes' evidence, between rounds */

struct reconcile_opts {
    const char *self;        /* this node's id: the lease holder's name */
    int64_t lease_ms;        /* a holder that stops renewing loses it after */
    int64_t dead_after_ms;   /* a node silent this long loses its replicas */
    const char *tee_roots;   /* directory of trust anchors for TEE evidence
                                (each file one root); NULL: TEE claims stay
                                unverified */
    struct reconcile_cache **cache; /* the caller's, kept across rounds
                                       (NULL: verify every round); free
                                       with reconcile_cache_free */
    const bool *holding;     /* NULL: reconcile_round takes the lease
                                itself; else whether the caller holds it */
    struct reconcile_watch *watch; /* NULL: an expired lease is taken over
                                      at once; else only when seen expired
                                      at the same revision for grace_ms */
    int64_t grace_ms;
};

/* What reconcile_lease saw of another node's expired lease: after a
 * NATS outage every node finds the lease expired at once; waiting longer
 * than the holder's renewal period, counted from the last time JetStream
 * said nobody serves the bucket (the holder could not renew then either),
 * lets the holder keep it rather than lose it to whichever node's request
 * came first. */
struct reconcile_watch {
    uint64_t rev;
    int64_t since_ms;
};
void reconcile_cache_free(struct reconcile_cache *c);

/* Hold the reconciler's lease: create it, renew ours, or take over an
 * expired one, each a revision-checked write, so of two nodes racing only
 * one succeeds. 1: this node holds it until now_ms + lease_ms; 0: another
 * live node holds it, or won the race; -1: unknown (a request failed or
 * timed out: err), so the caller keeps what it knew - a lease it wrote
 * stays its own until the expiry it wrote, as no other node may take it
 * before. */
int reconcile_lease(struct lattice *lt, const struct reconcile_opts *o,
                    int64_t now_ms, char *err, size_t errlen);

/* One placement round when this node holds the lease: read nodes
 * (verifying TEE evidence), deployments and assignments, fleet_place them
 * and write the assignments that changed (each write conditioned on the
 * revision read). Without o->holding it first calls reconcile_lease; with
 * it, the caller keeps the lease itself (mantled renews it on a thread of
 * its own, so a slow round cannot delay a renewal) and says whether it
 * holds it. now_ms: wall clock, ms since the epoch (compared with the
 * servers' write times of the facts, so the nodes' clocks must agree
 * within a fraction of dead_after_ms). *out_leader says whether this node
 * holds the lease. 0 or -1 with err. */
int reconcile_round(struct lattice *lt, const struct reconcile_opts *o,
                    int64_t now_ms, bool *out_leader, char *err,
                    size_t errlen);

#endif
