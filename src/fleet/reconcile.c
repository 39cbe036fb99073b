/* reconcile.c - the reconciler: one lease holder places every replica.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every node calls reconcile_round once a heartbeat. The lease is the key
 * "reconciler" in bucket mantle-lease, holding {"holder", "expires_ms"}:
 * it is created with kvStore_Create (fails if it exists) and renewed or
 * taken over with kvStore_Update against the revision just read (fails if
 * anyone wrote in between), so two nodes never both believe they hold it
 * for the same revision. A holder that dies stops renewing; after
 * lease_ms another node's Update wins.
 *
 * The holder reads the whole desired and observed state each round (small
 * fleets: a few hundred keys at most), verifies TEE evidence, runs
 * fleet_place (pure, deterministic, stable: live assignments stay) and
 * writes only the per-deployment assignment lists whose JSON changed.
 * Nothing here keeps state between rounds: a new holder picks up exactly
 * where the old one stopped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fleet.h"
#include "lattice.h"

#define LEASE_KEY "reconciler"

int reconcile_lease(struct lattice *lt, const struct reconcile_opts *o,
                    int64_t now_ms, char *err, size_t errlen)
{
    char *cur = NULL, *mine;
    uint64_t rev = 0;
    natsStatus s;
    int r;

    json_t *lj = json_pack("{s:s, s:I}", "holder", o->self, "expires_ms",
                           (json_int_t)(now_ms + o->lease_ms));

    mine = lj ? json_dumps(lj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(lj);
    if (mine == NULL) {
        snprintf(err, errlen, "lease: out of memory");
        return -1;
    }
    r = lattice_kv_get(lt->lease, LEASE_KEY, &cur, NULL, &rev, NULL, err,
                       errlen);
    if (r < 0) {
        free(mine);
        return -1;
    }
    if (r == 1) {
        s = kvStore_CreateString(NULL, lt->lease, LEASE_KEY, mine);
    } else {
        json_t *j = json_loads(cur, 0, NULL);
        const char *holder = json_string_value(json_object_get(j, "holder"));
        json_int_t exp = json_integer_value(json_object_get(j, "expires_ms"));
        bool ours = holder && strcmp(holder, o->self) == 0;

        bool expired = holder == NULL || exp < now_ms;
        struct reconcile_watch *w = o->watch;

        /* Another node's expired lease: taken over once it has stayed
         * expired at this revision for grace_ms (its holder, renewing
         * more often than that, would have changed it). */
        if (!ours && expired && w) {
            if (w->rev != rev) {
                w->rev = rev;
                w->since_ms = now_ms;
            }
            expired = now_ms - w->since_ms >= o->grace_ms;
        }
        /* A garbled lease counts as expired: someone must hold it. */
        if (ours || expired)
            s = kvStore_UpdateString(NULL, lt->lease, LEASE_KEY, mine, rev);
        else
            s = NATS_ERR; /* held by a live holder */
        if (!ours && s == NATS_OK)
            fprintf(stderr, "mantled: fleet: reconciler lease taken over "
                            "from %s\n", holder ? holder : "(garbled)");
        json_decref(j);
    }
    free(cur);
    free(mine);
    if (s == NATS_OK)
        return 1;
    /* A lost race (wrong last sequence) is not an error: the other won.
     * A request that failed or timed out says nothing: the write may or
     * may not have happened. */
    if (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS ||
        s == NATS_CONNECTION_CLOSED || s == NATS_CONNECTION_DISCONNECTED ||
        s == NATS_NO_SERVER || s == NATS_IO_ERROR) {
        lattice_fail(err, errlen, s, "lease");
        /* JetStream answered that nobody serves the bucket (its stream
         * has no leader): the holder cannot renew either, so the grace
         * starts again once writes go through. Not on a timeout: under
         * load one may come any time, and a dead holder's lease must
         * still move. */
        if (o->watch && s == NATS_NO_RESPONDERS)
            o->watch->since_ms = now_ms;
        return -1;
    }
    return 0;
}

/* Read a trust anchor per file of dir; verify against each in turn. */
static int verify_node(struct fleet_node *n, const uint8_t *ev, size_t len,
                       const char *dir, int64_t now_ms, char *why,
                       size_t whylen)
{
    DIR *d = dir && *dir ? opendir(dir) : NULL;
    struct dirent *de;
    int rc = MANTLE_EREFUSED;

    if (d == NULL) {
        snprintf(why, whylen, "no trust anchors (tee_roots) to verify with");
        return rc;
    }
    snprintf(why, whylen, "no trust anchor in %s", dir);
    while (rc != MANTLE_OK && (de = readdir(d)) != NULL) {
        char path[1024], chal[64];
        FILE *f;
        uint8_t buf[16384];
        size_t nb;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if ((f = fopen(path, "rb")) == NULL)
            continue;
        nb = fread(buf, 1, sizeof buf, f);
        fclose(f);
        /* The current window or the one before: evidence is renewed each
         * window, and the window may turn between making and checking. */
        for (int64_t w = 0; w < 2 && rc != MANTLE_OK; w++) {
            struct fleet_verify_opts vo;
            size_t cl = lattice_tee_challenge(
                now_ms / 1000 / LATTICE_TEE_WINDOW_S - w, chal, sizeof chal);

            memset(&vo, 0, sizeof vo);
            vo.format = MANTLE_TEE_MANTLE;
            vo.time = now_ms / 1000;
            vo.root.data = buf;
            vo.root.len = nb;
            vo.root.name = path;
            vo.challenge = (const uint8_t *)chal;
            vo.challenge_len = cl;
            rc = fleet_node_verify_tee(n, ev, len, &vo, why, whylen);
        }
    }
    closedir(d);
    return rc;
}

/* A verdict holds for the same evidence bytes within the same window:
 * verifying (signatures, chains) is not redone every round, and a refusal
 * is logged once, not every heartbeat. */
struct verdict {
    char id[FLEET_MAX_NAME + 1];
    char digest[FLEET_DIGEST_LEN + 1]; /* of the evidence */
    int64_t window;
    bool ok, debug;
    char tee[16];
    char evidence_digest[FLEET_DIGEST_LEN + 1];
};

struct reconcile_cache {
    struct verdict *v;
    size_t n;
};

void reconcile_cache_free(struct reconcile_cache *c)
{
    if (c == NULL)
        return;
    free(c->v);
    free(c);
}

static void verify_cached(struct fleet_node *n, const uint8_t *ev, size_t len,
                          const struct reconcile_opts *o, int64_t now_ms)
{
    struct reconcile_cache *c = o->cache ? *o->cache : NULL;
    int64_t window = now_ms / 1000 / LATTICE_TEE_WINDOW_S;
    char digest[FLEET_DIGEST_LEN + 1], why[512];
    struct verdict *v = NULL;

    if (fleet_digest(ev, len, digest) != 0)
        return;
    if (o->cache && c == NULL && (c = *o->cache = calloc(1, sizeof *c)) == NULL)
        return;
    for (size_t i = 0; c && i < c->n && v == NULL; i++)
        if (strcmp(c->v[i].id, n->id) == 0)
            v = &c->v[i];
    if (v && v->window == window && strcmp(v->digest, digest) == 0) {
        char *tee;

        if (v->ok && (tee = strdup(v->tee)) != NULL) {
            free(n->tee);
            n->tee = tee;
            n->debug = v->debug;
            n->tee_verified = true;
            memcpy(n->evidence_digest, v->evidence_digest,
                   sizeof n->evidence_digest);
        }
        return;
    }
    bool ok = verify_node(n, ev, len, o->tee_roots, now_ms, why,
                          sizeof why) == MANTLE_OK;
    if (!ok && (v == NULL || v->ok || strcmp(v->digest, digest) != 0))
        fprintf(stderr, "mantled: fleet: node %s: TEE evidence refused: %s\n",
                n->id, why);
    if (c == NULL)
        return;
    if (v == NULL) {
        struct verdict *grown = realloc(c->v, sizeof *grown * (c->n + 1));

        if (grown == NULL)
            return;
        c->v = grown;
        v = &c->v[c->n++];
    }
    memset(v, 0, sizeof *v);
    snprintf(v->id, sizeof v->id, "%s", n->id);
    memcpy(v->digest, digest, sizeof v->digest);
    v->window = window;
    v->ok = ok;
    if (ok) {
        snprintf(v->tee, sizeof v->tee, "%s", n->tee);
        v->debug = n->debug;
        memcpy(v->evidence_digest, n->evidence_digest,
               sizeof v->evidence_digest);
    }
}

struct state {
    struct fleet_node *nodes;
    size_t nn;
    struct fleet_deploy *deps;
    size_t nd;
    struct fleet_assign *cur;
    size_t ncur;
    char **assign_keys; /* and, for each, the text and revision read */
    char **assign_text;
    uint64_t *assign_rev;
    size_t nak;
};

static void state_free(struct state *st)
{
    for (size_t i = 0; i < st->nn; i++)
        fleet_node_free(&st->nodes[i]);
    free(st->nodes);
    for (size_t i = 0; i < st->nd; i++)
        fleet_deploy_free(&st->deps[i]);
    free(st->deps);
    fleet_assign_free(st->cur, st->ncur);
    for (size_t i = 0; st->assign_text && i < st->nak; i++)
        free(st->assign_text[i]);
    free(st->assign_text);
    free(st->assign_rev);
    lattice_keys_free(st->assign_keys, st->nak);
}

static int read_nodes(struct lattice *lt, const struct reconcile_opts *o,
                      int64_t now_ms, struct state *st, char *err,
                      size_t errlen)
{
    char **keys;
    size_t nk;

    if (lattice_kv_keys(lt->nodes, &keys, &nk, err, errlen) != 0)
        return -1;
    st->nodes = calloc(nk ? nk : 1, sizeof *st->nodes);
    for (size_t i = 0; st->nodes && i < nk; i++) {
        char *text = NULL, why[512], *ev = NULL;
        size_t len, evlen = 0;
        int64_t seen = 0;
        struct fleet_node *n = &st->nodes[st->nn];

        int r = lattice_kv_get(lt->nodes, keys[i], &text, &len, NULL, &seen,
                               err, errlen);

        if (r < 0) { /* a partial view would move replicas needlessly */
            lattice_keys_free(keys, nk);
            return -1;
        }
        if (r == 1) /* gone since the listing */
            continue;
        if (fleet_node_from_json(text, len, n, why, sizeof why) != MANTLE_OK) {
            fprintf(stderr, "mantled: fleet: node %s: %s; ignored\n", keys[i],
                    why);
            free(text);
            continue;
        }
        free(text);
        n->last_seen_ms = seen;
        n->tee_verified = false;
        if (n->tee && strcmp(n->tee, "none") != 0 &&
            lattice_kv_get(lt->evidence, keys[i], &ev, &evlen, NULL, NULL, err,
                           errlen) == 0) {
            verify_cached(n, (const uint8_t *)ev, evlen, o, now_ms);
        }
        free(ev);
        st->nn++;
    }
    lattice_keys_free(keys, nk);
    return st->nodes ? 0 : -1;
}

static int read_deploys(struct lattice *lt, struct state *st, char *err,
                        size_t errlen)
{
    char **keys;
    size_t nk;

    if (lattice_kv_keys(lt->deploy, &keys, &nk, err, errlen) != 0)
        return -1;
    st->deps = calloc(nk ? nk : 1, sizeof *st->deps);
    for (size_t i = 0; st->deps && i < nk; i++) {
        char *text = NULL, origin[128], why[512];
        size_t len;

        int r = lattice_kv_get(lt->deploy, keys[i], &text, &len, NULL, NULL,
                               err, errlen);

        if (r < 0) { /* ... or drop a deployment's assignments */
            lattice_keys_free(keys, nk);
            return -1;
        }
        if (r == 1)
            continue;
        snprintf(origin, sizeof origin, LATTICE_DEPLOY "/%s", keys[i]);
        if (fleet_manifest_parse(text, len, origin, &st->deps[st->nd], why,
                                 sizeof why) != MANTLE_OK)
            fprintf(stderr, "mantled: fleet: %s; ignored\n", why);
        else
            st->nd++;
        free(text);
    }
    lattice_keys_free(keys, nk);
    return st->deps ? 0 : -1;
}

static int read_assigns(struct lattice *lt, struct state *st, char *err,
                        size_t errlen)
{
    if (lattice_kv_keys(lt->assign, &st->assign_keys, &st->nak, err, errlen))
        return -1;
    if ((st->assign_text = calloc(st->nak + 1, sizeof *st->assign_text)) ==
            NULL ||
        (st->assign_rev = calloc(st->nak + 1, sizeof *st->assign_rev)) == NULL)
        return -1;
    for (size_t i = 0; i < st->nak; i++) {
        char *text = NULL, why[256];
        size_t len, n = 0;
        struct fleet_assign *a = NULL, *grown;
        int r = lattice_kv_get(lt->assign, st->assign_keys[i], &text, &len,
                               &st->assign_rev[i], NULL, err, errlen);

        if (r < 0) /* placing without them would move replicas */
            return -1;
        if (r == 1)
            continue;
        if (fleet_assigns_from_json(text, len, &a, &n, why, sizeof why) ==
                MANTLE_OK &&
            (grown = realloc(st->cur, sizeof *grown * (st->ncur + n + 1)))) {
            st->cur = grown;
            memcpy(st->cur + st->ncur, a, sizeof *a * n);
            st->ncur += n;
            free(a); /* the strings moved into st->cur */
        } else {
            fleet_assign_free(a, n);
        }
        st->assign_text[i] = text;
    }
    return 0;
}

/* Write a deployment's assignments [a, a+n) when they differ from what
 * this round read, conditioned on the revision it read: a holder that
 * lost the lease meanwhile cannot overwrite its successor's decision. */
static void write_assign(struct lattice *lt, const struct state *st,
                         const char *deploy, const struct fleet_assign *a,
                         size_t n)
{
    char *json = fleet_assigns_to_json(a, n), err[256];
    const char *cur = NULL;
    uint64_t rev = 0;
    natsStatus s;

    if (json == NULL)
        return;
    for (size_t k = 0; k < st->nak; k++)
        if (strcmp(st->assign_keys[k], deploy) == 0) {
            cur = st->assign_text[k];
            rev = st->assign_rev[k];
        }
    if (cur == NULL || strcmp(cur, json) != 0) {
        s = rev ? kvStore_UpdateString(NULL, lt->assign, deploy, json, rev)
                : kvStore_CreateString(NULL, lt->assign, deploy, json);
        if (s != NATS_OK) {
            lattice_fail(err, sizeof err, s, deploy);
            fprintf(stderr, "mantled: fleet: assignment not written (%s); the "
                            "next round reads it again\n", err);
        }
    }
    free(json);
}

int reconcile_round(struct lattice *lt, const struct reconcile_opts *o,
                    int64_t now_ms, bool *out_leader, char *err,
                    size_t errlen)
{
    struct state st;
    struct fleet_assign *out = NULL;
    size_t nout = 0;
    int r, rc = -1;

    *out_leader = false;
    if (o->holding) {
        if (!*o->holding)
            return 0;
    } else if ((r = reconcile_lease(lt, o, now_ms, err, errlen)) <= 0) {
        return r;
    }
    *out_leader = true;
    memset(&st, 0, sizeof st);
    if (read_nodes(lt, o, now_ms, &st, err, errlen) != 0 ||
        read_deploys(lt, &st, err, errlen) != 0 ||
        read_assigns(lt, &st, err, errlen) != 0)
        goto out;
    r = fleet_place(st.deps, st.nd, st.nodes, st.nn, st.cur, st.ncur, now_ms,
                    o->dead_after_ms, &out, &nout);
    if (r != MANTLE_OK) {
        snprintf(err, errlen, "placement of %zu deployments on %zu nodes: %s",
                 st.nd, st.nn, mantle_strerror(r));
        goto out;
    }
    for (size_t k = 0; k < st.nd; k++) { /* out is sorted by deployment */
        size_t i = 0, j;

        while (i < nout && strcmp(out[i].deploy, st.deps[k].name) != 0)
            i++;
        for (j = i; j < nout && strcmp(out[j].deploy, st.deps[k].name) == 0;)
            j++;
        write_assign(lt, &st, st.deps[k].name, out + i, j - i);
    }
    /* Assignments of deployments that are gone. */
    for (size_t k = 0; k < st.nak; k++) {
        bool live = false;

        for (size_t i = 0; i < st.nd && !live; i++)
            live = strcmp(st.deps[i].name, st.assign_keys[k]) == 0;
        if (!live)
            kvStore_Delete(lt->assign, st.assign_keys[k]);
    }
    rc = 0;
out:
    fleet_assign_free(out, nout);
    state_free(&st);
    return rc;
}
