/* member.c - mantled as a member of a fleet (mantled --lattice URL).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: shared state - the fleet thread (module fetch, secrets from the
 * key broker, assignments, evidence, facts, reconciler) - the lease
 * thread - the event loop's side (replicas, their queue subscriptions,
 * invocations as one-shot runs) - start and stop.
 *
 * Threads: NATS calls block for up to a request timeout, so they all run
 * on one fleet thread, never on the libevent loop, except the lease's
 * renewals, which have a thread of their own (lease_thread, why there).
 * nats.c's own threads
 * deliver invocation requests. Both hand work to the loop through
 * `shared` (under mu) and a byte on a pipe the loop watches; the loop
 * alone touches the agent (store, supervisor) and the replica list.
 *
 * Link loss: nothing the loop runs depends on the link. Replicas keep
 * their subscriptions (nats.c resubscribes after a reconnect; on a leaf
 * node server they keep serving local clients while the leaf's own link
 * is down), and the set of replicas changes only when a complete read of
 * mantle-assign says so. After a reconnect the fleet thread is woken at
 * once: facts are re-published and assignments re-read (resynchronised).
 *
 * Secrets: a replica whose deployment names secrets starts only after the
 * fleet thread attested it to the deployment's key broker (evidence of the
 * replica's module under its launch, from this node's TEE) and the broker
 * released them. They stay in this process's memory (wiped when freed)
 * and reach each run through sealed memfds; they never go to NATS, the
 * store or a log. A refusal is published in this node's facts (no secret
 * in it), so the reconciler places the replica elsewhere, and withdrawn
 * after secret_retry_ms: one attempt per period, not per heartbeat.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "fleet.h"
#include "kbs_fetch.h"
#include "lattice.h"

/* A replica this node should run, as the fleet thread last read it. */
struct want {
    char deploy[FLEET_MAX_NAME + 1];
    uint32_t replica;
    char *manifest; /* canonical JSON from mantle-deploy */
    mantle_tee_secret *secrets; /* released by the broker to this replica */
    size_t nsecrets;
};

/* A deployment the broker refused here, until retry_at_ms. */
struct refusal {
    char deploy[FLEET_MAX_NAME + 1];
    uint32_t replica;
    char digest[FLEET_DIGEST_LEN + 1];
    char why[512];
    int64_t retry_at_ms;
};

struct fetched { /* module bytes fetched and verified, to store */
    char digest[FLEET_DIGEST_LEN + 1];
    uint8_t *bytes;
    size_t size;
};

struct job { /* an invocation request waiting for the loop */
    natsMsg *msg;
    char deploy[FLEET_MAX_NAME + 1];
    struct job *next;
};

struct replica { /* loop side */
    char deploy[FLEET_MAX_NAME + 1];
    uint32_t replica;
    char *manifest;
    struct wl_spec spec;
    mantle_tee_secret *secrets;
    size_t nsecrets;
    natsSubscription *sub;
    uint32_t inflight;
    uint64_t served;
    struct replica *next;
};

struct call { /* one invocation being run */
    struct member *m;
    char deploy[FLEET_MAX_NAME + 1];
    uint32_t replica;
    char *reply; /* subject */
};

struct member {
    struct agent *ag;
    struct lattice *lt;
    char id[FLEET_MAX_NAME + 1];
    mantle_tee *tee;
    char *facts;  /* fleet_node_to_json of this node */
    pthread_t thr;
    bool thr_started;
    pthread_t lease_thr; /* renews the reconciler lease (lease_thread) */
    bool lease_started;
    int pipe[2];
    struct event *ev;
    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, kick;
    bool link_lost; /* the connection dropped since the last round */
    pthread_cond_t lease_cv;
    bool buckets;        /* opened: the lease thread may use them */
    bool holds;          /* this node holds the reconciler lease ... */
    int64_t holds_until; /* ... until this (the expiry it wrote) */
    struct want *wants;
    size_t nwants;
    bool wants_new;
    struct fetched *mods;
    size_t nmods;
    char **have; /* digests in the agent's store */
    size_t nhave;
    struct job *jobs, **jobs_tail;
    size_t njobs;
    /* fleet thread only */
    bool linked;       /* the last heartbeat went through */
    bool joined;       /* one ever did */
    bool leader;
    struct reconcile_cache *verdicts; /* on nodes' TEE evidence */
    natsSubscription *changes[2]; /* $KV.mantle-deploy.>, ...-assign.> */
    int64_t ev_window; /* the TEE window our evidence is for */
    struct refusal *refusals; /* published in our facts */
    size_t nrefusals;
    char last_err[256];
    /* loop only */
    struct replica *replicas;
    struct job *pending, **pending_tail; /* waiting for a free slot */
    size_t npending;
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait on cv (mu held) for at most ms, or until signalled. */
static void wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(cv, mu, &ts);
}

static void wake_loop(struct member *m)
{
    char c = 1;

    /* A full pipe already means "wake up": EAGAIN is fine. */
    if (write(m->pipe[1], &c, 1) < 0 && errno != EAGAIN)
        fprintf(stderr, "mantled: fleet: wake: %s\n", strerror(errno));
}

/* Say an error once, not every heartbeat while it lasts. */
static void note(struct member *m, const char *what, const char *err)
{
    char line[256];

    snprintf(line, sizeof line, "%s: %s", what, err);
    if (strcmp(line, m->last_err) != 0)
        fprintf(stderr, "mantled: fleet: %s\n", line);
    snprintf(m->last_err, sizeof m->last_err, "%s", line);
}

/* ---- the fleet thread -------------------------------------------------- */

static bool have_module(struct member *m, const char *digest)
{
    bool found = false;

    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nhave && !found; i++)
        found = strcmp(m->have[i], digest) == 0;
    for (size_t i = 0; i < m->nmods && !found; i++)
        found = strcmp(m->mods[i].digest, digest) == 0;
    pthread_mutex_unlock(&m->mu);
    return found;
}

/* A module's bytes from the object store, checked against the digest
 * the deployment names. */
static int obj_module(struct member *m, const char *digest, uint8_t **bytes,
                      size_t *size, char *err, size_t errlen)
{
    char got[FLEET_DIGEST_LEN + 1] = "";
    int r;

    r = lattice_obj_get(m->lt, digest, (size_t)m->ag->cfg.max_module_bytes,
                        bytes, size, err, errlen);
    if (r == 1)
        snprintf(err, errlen, "module %s: not in the object store", digest);
    if (r != 0)
        return -1;
    if (fleet_digest(*bytes, *size, got) != 0 || strcmp(got, digest) != 0) {
        snprintf(err, errlen, "module %s: the object store's bytes hash to "
                              "%s; refused", digest, got);
        free(*bytes);
        *bytes = NULL;
        return -1;
    }
    return 0;
}

/* Fetch a module, verified, and queue it for the loop to store. */
static int fetch_module(struct member *m, const char *digest, char *err,
                        size_t errlen)
{
    uint8_t *bytes = NULL;
    size_t size = 0;

    if (obj_module(m, digest, &bytes, &size, err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&m->mu);
    struct fetched *grown = realloc(m->mods, sizeof *grown * (m->nmods + 1));
    if (grown == NULL)
        abort();
    m->mods = grown;
    snprintf(m->mods[m->nmods].digest, sizeof m->mods[0].digest, "%s", digest);
    m->mods[m->nmods].bytes = bytes;
    m->mods[m->nmods].size = size;
    m->nmods++;
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static void secrets_free(mantle_tee_secret *sv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kbs_secret_free(&sv[i]);
    free(sv);
}

static mantle_tee_secret *secrets_dup(const mantle_tee_secret *sv, size_t n)
{
    mantle_tee_secret *d;

    if (n == 0)
        return NULL;
    if ((d = calloc(n, sizeof *d)) == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        uint8_t *v = malloc(sv[i].size ? sv[i].size : 1);

        if (v == NULL || (d[i].name = strdup(sv[i].name)) == NULL)
            abort();
        if (sv[i].size)
            memcpy(v, sv[i].value, sv[i].size);
        d[i].value = v;
        d[i].size = sv[i].size;
    }
    return d;
}

static void wants_free(struct want *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(w[i].manifest);
        secrets_free(w[i].secrets, w[i].nsecrets);
    }
    free(w);
}

static bool wants_same(const struct want *a, size_t na, const struct want *b,
                       size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].deploy, b[i].deploy) || a[i].replica != b[i].replica ||
            strcmp(a[i].manifest, b[i].manifest))
            return false;
    return true;
}

/* ---- secrets from the key broker (fleet thread) ------------------------ */

static const struct refusal *refusal_find(const struct member *m,
                                          const char *deploy,
                                          const char *digest)
{
    for (size_t i = 0; i < m->nrefusals; i++)
        if (!strcmp(m->refusals[i].deploy, deploy) &&
            !strcmp(m->refusals[i].digest, digest))
            return &m->refusals[i];
    return NULL;
}

static void refusal_add(struct member *m, const struct fleet_deploy *d,
                        uint32_t replica, const char *why)
{
    struct refusal *r;

    if (m->nrefusals >= FLEET_MAX_REFUSALS)
        return; /* the oldest withdraw first; this one is retried then */
    if ((r = realloc(m->refusals, sizeof *r * (m->nrefusals + 1))) == NULL)
        abort();
    m->refusals = r;
    r = &m->refusals[m->nrefusals++];
    memset(r, 0, sizeof *r);
    snprintf(r->deploy, sizeof r->deploy, "%s", d->name);
    r->replica = replica;
    snprintf(r->digest, sizeof r->digest, "%s", d->digest);
    snprintf(r->why, sizeof r->why, "%s", why);
    r->retry_at_ms = wall_ms() + m->ag->cfg.secret_retry_ms;
    fprintf(stderr, "mantled: fleet: replica %s/%u not started: %s (not "
            "taken again for %lld ms)\n", d->name, replica, why,
            (long long)m->ag->cfg.secret_retry_ms);
}

/* Withdraw refusals whose time is up: the reconciler may place the
 * deployment here again and the next start attests again. */
static void refusals_expire(struct member *m, int64_t now)
{
    for (size_t i = 0; i < m->nrefusals;) {
        if (m->refusals[i].retry_at_ms > now) {
            i++;
            continue;
        }
        fprintf(stderr, "mantled: fleet: %s: refusal withdrawn; this node "
                "may take it again\n", m->refusals[i].deploy);
        m->refusals[i] = m->refusals[--m->nrefusals];
    }
}

/* The facts to publish: this node's, with its refusals. NULL: no memory. */
static char *facts_with_refusals(struct member *m, const char *facts)
{
    struct fleet_node n;
    char err[256], *json;

    if (m->nrefusals == 0)
        return strdup(facts);
    if (fleet_node_from_json(facts, strlen(facts), &n, err, sizeof err) !=
        MANTLE_OK)
        return strdup(facts);
    if ((n.refused = calloc(m->nrefusals, sizeof *n.refused)) == NULL)
        abort();
    for (size_t i = 0; i < m->nrefusals; i++) {
        n.refused[i].deploy = strdup(m->refusals[i].deploy);
        n.refused[i].replica = m->refusals[i].replica;
        memcpy(n.refused[i].digest, m->refusals[i].digest,
               sizeof n.refused[i].digest);
        n.refused[i].why = strdup(m->refusals[i].why);
        n.n_refused = i + 1;
        if (!n.refused[i].deploy || !n.refused[i].why)
            abort();
    }
    json = fleet_node_to_json(&n);
    fleet_node_free(&n);
    return json;
}

/* Attest replica `replica` of d to d's broker - evidence from this node's
 * TEE for the replica's module under the launch its runs get (its
 * environment), binding the broker's challenge and an ephemeral key - and
 * fetch its secrets into *out. 0, or -1 with why, naming the secret. */
static int replica_secrets(struct member *m, const struct fleet_deploy *d,
                           mantle_tee_secret **out, char *why,
                           size_t whylen)
{
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_tee_launch launch;
    mantle_diag diag;
    struct kbs_want *want = NULL;
    mantle_tee_secret *sv = NULL;
    char **envp = NULL, err[1024];
    uint8_t *bytes = NULL;
    size_t size = 0, failed = (size_t)-1;
    int64_t t = m->ag->cfg.dead_after_ms / 3;
    int r, rc = -1;

    *out = NULL;
    if (m->tee == NULL) {
        snprintf(why, whylen, "secret %s: this node has no TEE (node_tee) to "
                 "attest with", d->secrets[0].key);
        return -1;
    }
    if (obj_module(m, d->digest, &bytes, &size, err, sizeof err) != 0) {
        snprintf(why, whylen, "secret %s: %s", d->secrets[0].key, err);
        return -1;
    }
    memset(&diag, 0, sizeof diag);
    if ((r = mantle_engine_new(NULL, &engine)) != MANTLE_OK ||
        (r = mantle_module_new(engine, bytes, size, d->name, &module,
                               &diag)) != MANTLE_OK) {
        snprintf(why, whylen, "secret %s: module: %s", d->secrets[0].key,
                 diag.message[0] ? diag.message : mantle_strerror(r));
        goto out;
    }
    /* The launch `mantle run --env K=V ...` measures (replica_spec). */
    if ((envp = calloc(d->n_env + 1, sizeof *envp)) == NULL ||
        (want = calloc(d->n_secrets, sizeof *want)) == NULL ||
        (sv = calloc(d->n_secrets, sizeof *sv)) == NULL)
        abort();
    for (size_t i = 0; i < d->n_env; i++)
        if (asprintf(&envp[i], "%s=%s", d->env[i].key, d->env[i].value) < 0)
            abort();
    memset(&launch, 0, sizeof launch);
    launch.envp = (const char **)envp;
    launch.envc = d->n_env;
    for (size_t i = 0; i < d->n_secrets; i++) {
        want[i].name = d->secrets[i].key;
        want[i].resource = d->secrets[i].value;
    }
    /* The fleet thread waits for the broker: not so long that the node
     * misses its own heartbeats. */
    struct kbs_opts ko = {.url = d->broker_url, .ca_pem = d->broker_ca,
                          .trustee = d->broker_trustee,
                          .timeout_ms = t < 2000 ? 2000 : t > 10000 ? 10000
                                                                    : t};
    r = kbs_fetch(&ko, m->tee, module, &launch, want, d->n_secrets, sv,
                  &failed, err, sizeof err);
    if (r != 0) {
        snprintf(why, whylen, "secret %s %s: %s",
                 want[failed < d->n_secrets ? failed : 0].name,
                 r == -2 ? "refused by broker" : "not fetched from broker",
                 err);
        free(sv);
        sv = NULL;
        goto out;
    }
    *out = sv;
    sv = NULL;
    rc = 0;
out:
    for (size_t i = 0; envp && i < d->n_env; i++)
        free(envp[i]);
    free(envp);
    free(want);
    free(sv);
    mantle_module_free(module);
    mantle_engine_free(engine);
    free(bytes);
    return rc;
}

/* This node's copy of the secrets of a replica it already runs (same
 * manifest): no second attestation while it keeps running. */
static bool secrets_held(struct member *m, const char *deploy,
                         uint32_t replica, const char *manifest,
                         mantle_tee_secret **out)
{
    bool found = false;

    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nwants && !found; i++)
        if (!strcmp(m->wants[i].deploy, deploy) &&
            m->wants[i].replica == replica &&
            !strcmp(m->wants[i].manifest, manifest) && m->wants[i].secrets) {
            *out = secrets_dup(m->wants[i].secrets, m->wants[i].nsecrets);
            found = true;
        }
    pthread_mutex_unlock(&m->mu);
    return found;
}

/* Read every assignment; collect this node's replicas with their
 * manifests, fetching missing modules. Only a complete read replaces what
 * the loop runs: a partial one (timeouts during a partition) changes
 * nothing. */
static int sync_assignments(struct member *m, char *err, size_t errlen)
{
    char **keys = NULL;
    size_t nk = 0, nw = 0;
    struct want *w = NULL;
    int rc = -1;

    if (lattice_kv_keys(m->lt->assign, &keys, &nk, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < nk; k++) {
        char *text = NULL, *man = NULL, why[512];
        size_t len, na = 0, mlen;
        struct fleet_assign *a = NULL;
        struct fleet_deploy d = {0};
        int r;

        r = lattice_kv_get(m->lt->assign, keys[k], &text, &len, NULL, NULL,
                           err, errlen);
        if (r < 0)
            goto out;
        if (r == 1)
            continue;
        if (fleet_assigns_from_json(text, len, &a, &na, why, sizeof why)) {
            note(m, keys[k], why);
            free(text);
            continue;
        }
        free(text);
        bool parsed = false;

        for (size_t i = 0; i < na; i++) {
            mantle_tee_secret *sv = NULL;

            if (a[i].node == NULL || strcmp(a[i].node, m->id) != 0)
                continue;
            if (man == NULL) {
                r = lattice_kv_get(m->lt->deploy, keys[k], &man, &mlen, NULL,
                                   NULL, err, errlen);
                if (r < 0) {
                    fleet_assign_free(a, na);
                    goto out;
                }
                /* Deleted meanwhile: its assignment goes next. a is
                 * freed once, after the loop. */
                if (r == 1)
                    break;
                if (fleet_manifest_parse(man, mlen, keys[k], &d, why,
                                         sizeof why) != MANTLE_OK) {
                    note(m, keys[k], why);
                    free(man);
                    man = NULL;
                    break;
                }
                parsed = true;
                if (!have_module(m, d.digest) &&
                    fetch_module(m, d.digest, err, errlen) != 0) {
                    fleet_deploy_free(&d);
                    fleet_assign_free(a, na);
                    free(man);
                    goto out;
                }
            }
            if (d.n_secrets > 0) {
                /* Refused here lately: not started, not asked again. */
                if (refusal_find(m, d.name, d.digest))
                    continue;
                if (!secrets_held(m, keys[k], a[i].replica, man, &sv) &&
                    replica_secrets(m, &d, &sv, why, sizeof why) != 0) {
                    refusal_add(m, &d, a[i].replica, why);
                    pthread_mutex_lock(&m->mu);
                    m->kick = true; /* publish the refusal at once */
                    pthread_mutex_unlock(&m->mu);
                    continue;
                }
            }
            struct want *grown = realloc(w, sizeof *w * (nw + 1));
            if (grown == NULL)
                abort();
            w = grown;
            snprintf(w[nw].deploy, sizeof w[nw].deploy, "%s", keys[k]);
            w[nw].replica = a[i].replica;
            w[nw].manifest = strdup(man);
            w[nw].secrets = sv;
            w[nw].nsecrets = sv ? d.n_secrets : 0;
            nw++;
        }
        if (parsed)
            fleet_deploy_free(&d);
        free(man);
        fleet_assign_free(a, na);
    }
    pthread_mutex_lock(&m->mu);
    if (!wants_same(w, nw, m->wants, m->nwants)) {
        wants_free(m->wants, m->nwants);
        m->wants = w;
        m->nwants = nw;
        m->wants_new = true;
        w = NULL;
        nw = 0;
    }
    bool wake = m->wants_new || m->nmods > 0;
    pthread_mutex_unlock(&m->mu);
    if (wake)
        wake_loop(m);
    rc = 0;
out:
    wants_free(w, nw);
    lattice_keys_free(keys, nk);
    return rc;
}

/* Evidence for this window, once per window. */
static void publish_evidence(struct member *m, int64_t now_ms)
{
    int64_t window = now_ms / 1000 / LATTICE_TEE_WINDOW_S;
    char chal[64], err[512];
    uint8_t *ev = NULL;
    size_t evlen = 0, cl;
    natsStatus s;

    if (m->tee == NULL || window == m->ev_window)
        return;
    m->ev_window = window; /* one attempt a window, failed or not */
    cl = lattice_tee_challenge(window, chal, sizeof chal);
    if (fleet_node_evidence(m->tee, m->id, (const uint8_t *)chal, cl, &ev,
                            &evlen, err, sizeof err) != MANTLE_OK) {
        note(m, "evidence", err);
        return;
    }
    s = kvStore_Put(NULL, m->lt->evidence, m->id, ev, (int)evlen);
    free(ev);
    if (s != NATS_OK) {
        lattice_fail(err, sizeof err, s, "evidence");
        note(m, "heartbeat", err);
        m->ev_window = 0; /* the link, not the evidence: try again */
    }
}

static void fleet_round(struct member *m)
{
    struct agent_config *cfg = &m->ag->cfg;
    char err[512];
    int64_t now = wall_ms();
    natsStatus s;
    bool was_leader = m->leader;

    if (lattice_buckets(m->lt, err, sizeof err) != 0) {
        note(m, "buckets", err);
        return;
    }
    pthread_mutex_lock(&m->mu);
    if (!m->buckets) {
        m->buckets = true;
        pthread_cond_signal(&m->lease_cv);
    }
    bool holding = m->holds && now < m->holds_until;
    pthread_mutex_unlock(&m->mu);
    publish_evidence(m, now);
    refusals_expire(m, now);
    pthread_mutex_lock(&m->mu); /* member_reload may replace the facts */
    char *facts = facts_with_refusals(m, m->facts);
    pthread_mutex_unlock(&m->mu);
    if (facts == NULL)
        abort();
    s = kvStore_PutString(NULL, m->lt->nodes, m->id, facts);
    free(facts);
    if (s != NATS_OK) {
        lattice_fail(err, sizeof err, s, "heartbeat");
        note(m, "lattice", err);
        m->linked = false;
        return;
    }
    struct reconcile_opts ro = {
        .self = m->id, .lease_ms = cfg->lease_ms,
        .dead_after_ms = cfg->dead_after_ms, .tee_roots = cfg->tee_roots,
        .cache = &m->verdicts, .holding = &holding};
    if (reconcile_round(m->lt, &ro, now, &m->leader, err, sizeof err) != 0)
        note(m, "reconcile", err);
    if (m->leader != was_leader)
        fprintf(stderr, "mantled: fleet: %s the reconciler\n",
                m->leader ? "this node is now" : "this node is no longer");
    if (sync_assignments(m, err, sizeof err) != 0) {
        note(m, "assignments", err);
        m->linked = false;
        return;
    }
    m->last_err[0] = '\0';
    /* The first complete round after a failed one: facts published and
     * assignments read again, so this node is in step with the fleet. */
    if (!m->linked) {
        char url[256] = "";

        natsConnection_GetConnectedUrl(m->lt->nc, url, sizeof url);
        fprintf(stderr, "mantled: fleet: node %s %s via %s\n", m->id,
                m->joined ? "resynchronised" : "joined", url);
    }
    m->linked = m->joined = true;
}

static void *fleet_thread(void *arg)
{
    struct member *m = arg;

    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        /* After a reconnect the next good round is a resynchronisation. */
        if (m->link_lost)
            m->linked = false;
        m->link_lost = false;
        pthread_mutex_unlock(&m->mu);
        if (lattice_connected(m->lt))
            fleet_round(m);
        else
            m->linked = false;
        pthread_mutex_lock(&m->mu);
        if (m->stop)
            break;
        if (!m->kick)
            wait_ms(&m->cv, &m->mu, m->ag->cfg.heartbeat_ms);
        m->kick = false;
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* The reconciler's lease, on a thread of its own: a round can take
 * seconds when requests time out (a NATS server restarting, JetStream
 * electing leaders), and a holder that renewed only once a round would
 * lose the lease to another node and take it back a round later. Here it
 * renews every min(heartbeat, lease / 3), each request waiting at most a
 * third of the lease (lease_timeout_ms), so renewals keep coming while
 * rounds stall; a renewal whose outcome is unknown keeps the lease until
 * the expiry last written (no other node may take it before). Another
 * node's expired lease is taken over only after it stayed so for two
 * periods while its bucket was served: after an outage longer than the
 * lease the holder, renewing every period, keeps it instead of losing it
 * to the fastest node. A dead holder's lease moves lease_ms plus two or
 * three periods after its last renewal. */
static void *lease_thread(void *arg)
{
    struct member *m = arg;
    struct agent_config *cfg = &m->ag->cfg;
    int64_t period = cfg->heartbeat_ms < cfg->lease_ms / 3
                         ? cfg->heartbeat_ms
                         : cfg->lease_ms / 3;
    struct reconcile_watch watch = {0, 0};
    struct reconcile_opts ro = {.self = m->id, .lease_ms = cfg->lease_ms,
                                .dead_after_ms = cfg->dead_after_ms,
                                .watch = &watch, .grace_ms = 2 * period};
    char err[512], last[512] = "";

    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        int64_t now = wall_ms();

        if (m->buckets && lattice_connected(m->lt)) {
            pthread_mutex_unlock(&m->mu);
            int r = reconcile_lease(m->lt, &ro, now, err, sizeof err);
            pthread_mutex_lock(&m->mu);
            bool was = m->holds && wall_ms() < m->holds_until;
            if (r == 1) {
                m->holds = true;
                m->holds_until = now + cfg->lease_ms;
            } else if (r == 0) {
                m->holds = false;
            }
            if (r < 0 && strcmp(err, last) != 0)
                fprintf(stderr, "mantled: fleet: %s%s\n", err,
                        m->holds ? " (this node keeps the lease until the "
                                   "expiry it wrote)" : "");
            snprintf(last, sizeof last, "%s", r < 0 ? err : "");
            if (!was && m->holds) { /* place at once, not a heartbeat later */
                m->kick = true;
                pthread_cond_signal(&m->cv);
            }
        }
        if (m->stop)
            break;
        wait_ms(&m->lease_cv, &m->mu, period);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* On a NATS thread: only note it and wake the fleet thread. */
static void on_link(void *arg, enum lattice_event ev)
{
    struct member *m = arg;

    char url[256] = "";

    if (ev == LATTICE_UP && m->lt)
        natsConnection_GetConnectedUrl(m->lt->nc, url, sizeof url);
    fprintf(stderr, "mantled: fleet: NATS link %s%s\n",
            ev == LATTICE_UP ? "up via " : ev == LATTICE_DOWN
                                                ? "lost; reconnecting"
                                                : "closed",
            url);
    pthread_mutex_lock(&m->mu);
    m->kick = true;
    if (ev != LATTICE_UP)
        m->link_lost = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

/* On a NATS thread: a deployment or an assignment was written. Run a
 * round now rather than at the next heartbeat; the round reads the
 * buckets, so a lost or denied notification (a leaf site) only costs
 * latency, never correctness. */
static void on_kv_change(natsConnection *nc, natsSubscription *sub,
                         natsMsg *msg, void *arg)
{
    struct member *m = arg;

    (void)nc;
    (void)sub;
    natsMsg_Destroy(msg);
    pthread_mutex_lock(&m->mu);
    m->kick = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

/* On a NATS thread: queue the request for the loop. */
static void on_request(natsConnection *nc, natsSubscription *sub,
                       natsMsg *msg, void *arg)
{
    struct member *m = arg;
    struct job *j = calloc(1, sizeof *j);
    const char *subj = natsMsg_GetSubject(msg);

    (void)nc;
    (void)sub;
    if (j == NULL)
        abort();
    j->msg = msg;
    snprintf(j->deploy, sizeof j->deploy, "%s",
             subj + strlen(LATTICE_INVOKE_PREFIX));
    pthread_mutex_lock(&m->mu);
    *m->jobs_tail = j;
    m->jobs_tail = &j->next;
    m->njobs++;
    pthread_mutex_unlock(&m->mu);
    wake_loop(m);
}

/* ---- the loop's side: replicas and invocations ------------------------ */

static void reply(struct member *m, const char *subject, const char *data,
                  size_t len, int exit_code, const char *error)
{
    natsMsg *r = NULL;
    char code[16];

    if (subject == NULL || *subject == '\0')
        return; /* a publish, not a request: nobody waits */
    if (natsMsg_Create(&r, subject, NULL, data, (int)len) != NATS_OK)
        return;
    snprintf(code, sizeof code, "%d", exit_code);
    natsMsgHeader_Set(r, "Mantle-Node", m->id);
    natsMsgHeader_Set(r, "Mantle-Exit", code);
    if (error) {
        char line[300];
        size_t i;

        /* A header is one line of text. */
        for (i = 0; error[i] && i < sizeof line - 1; i++)
            line[i] = error[i] == '\r' || error[i] == '\n' ? ' ' : error[i];
        line[i] = '\0';
        natsMsgHeader_Set(r, "Mantle-Error", line);
    }
    natsConnection_PublishMsg(m->lt->nc, r);
    natsMsg_Destroy(r);
}

static struct replica *find_replica(struct member *m, const char *deploy,
                                    bool free_slot)
{
    struct replica *best = NULL;

    for (struct replica *r = m->replicas; r; r = r->next)
        if (strcmp(r->deploy, deploy) == 0 &&
            (!free_slot ||
             r->inflight < (uint32_t)m->ag->cfg.invoke_concurrency) &&
            (best == NULL || r->inflight < best->inflight))
            best = r;
    return best;
}

static void run_job(struct member *m, struct job *j);

static void call_done(struct agent *ag, void *arg, int exit_code, int sig,
                      bool timed_out, const char *out, size_t out_len,
                      const char *err_text)
{
    struct call *c = arg;
    struct member *m = c->m;
    char why[512];

    why[0] = '\0';
    if (timed_out)
        snprintf(why, sizeof why, "timed out after %lld ms",
                 (long long)ag->cfg.invoke_timeout_ms);
    else if (sig == SIGXFSZ)
        snprintf(why, sizeof why, "answer larger than the limit (%lld bytes "
                 "or the NATS message size)", (long long)ag->cfg.invoke_max_bytes);
    else if (sig)
        snprintf(why, sizeof why, "killed by signal %d", sig);
    else if (exit_code != 0 && err_text[0])
        snprintf(why, sizeof why, "%s", err_text);
    reply(m, c->reply, out, out_len, exit_code, why[0] ? why : NULL);
    for (struct replica *r = m->replicas; r; r = r->next)
        if (strcmp(r->deploy, c->deploy) == 0 && r->replica == c->replica) {
            r->inflight--;
            r->served++;
        }
    free(c->reply);
    free(c);
    /* A slot is free: the oldest waiting request goes first. */
    while (m->pending && find_replica(m, m->pending->deploy, true)) {
        struct job *j = m->pending;

        m->pending = j->next;
        if (m->pending == NULL)
            m->pending_tail = &m->pending;
        m->npending--;
        run_job(m, j);
    }
}

static void run_job(struct member *m, struct job *j)
{
    struct replica *r = find_replica(m, j->deploy, true);
    const char *rs = natsMsg_GetReply(j->msg);
    struct call *c;
    char err[512];

    if (r == NULL && find_replica(m, j->deploy, false) != NULL &&
        m->npending < 256) { /* all busy: wait for a slot */
        j->next = NULL;
        *m->pending_tail = j;
        m->pending_tail = &j->next;
        m->npending++;
        return;
    }
    if (r == NULL) {
        snprintf(err, sizeof err, "%s on node %s: %s", j->deploy, m->id,
                 find_replica(m, j->deploy, false)
                     ? "busy (256 requests waiting)"
                     : "no replica here any more (moved or removed)");
        reply(m, rs, "", 0, -1, err);
        goto out;
    }
    if ((c = calloc(1, sizeof *c)) == NULL)
        abort();
    c->m = m;
    snprintf(c->deploy, sizeof c->deploy, "%s", r->deploy);
    c->replica = r->replica;
    c->reply = strdup(rs ? rs : "");
    /* The answer must fit one NATS message, headers included. */
    uint64_t max_out = (uint64_t)m->ag->cfg.invoke_max_bytes;
    int64_t max_payload = natsConnection_GetMaxPayload(m->lt->nc);
    if (max_payload > 4096 && (uint64_t)max_payload - 4096 < max_out)
        max_out = (uint64_t)max_payload - 4096;
    if (wl_oneshot(m->ag, &r->spec, natsMsg_GetData(j->msg),
                   (size_t)natsMsg_GetDataLength(j->msg), r->secrets,
                   r->nsecrets, (uint64_t)m->ag->cfg.invoke_timeout_ms, max_out, call_done,
                   c, err, sizeof err) != 0) {
        reply(m, rs, "", 0, -1, err);
        free(c->reply);
        free(c);
        goto out;
    }
    r->inflight++;
out:
    natsMsg_Destroy(j->msg);
    free(j);
}

/* The supervisor's view of a replica: `mantle run` of the module with the
 * manifest's arguments, environment and tier. */
static int replica_spec(struct member *m, const struct fleet_deploy *d,
                        struct wl_spec *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (!spec_name_ok(d->name) || !spec_digest_parse(d->digest, s->digest))
        return agent_fail(err, errlen, "%s: name or digest not usable",
                          d->name);
    snprintf(s->name, sizeof s->name, "%s", d->name);
    if ((s->args = calloc(d->n_args + 1, sizeof *s->args)) == NULL ||
        (s->env = calloc(d->n_env + 1, sizeof *s->env)) == NULL)
        abort();
    for (size_t i = 0; i < d->n_args; i++)
        s->args[s->nargs++] = strdup(d->args[i]);
    for (size_t i = 0; i < d->n_env; i++)
        if (asprintf(&s->env[s->nenv++], "%s=%s", d->env[i].key,
                     d->env[i].value) < 0)
            abort();
    snprintf(s->tier, sizeof s->tier, "%s", d->tier ? d->tier : "");
    /* A replica placed for its TEE gets the TEE's services. */
    if (d->c.n_tee > 0 && m->tee != NULL)
        snprintf(s->tee, sizeof s->tee, "%s", m->ag->cfg.node_tee);
    s->restart = RESTART_NEVER;
    return 0;
}

/* Unsubscribe and wait (up to 1 s) until no callback of sub runs any
 * more: after this, nats.c will not touch what the callback uses. */
static void sub_end(natsSubscription *sub)
{
    if (sub == NULL)
        return;
    if (natsSubscription_Drain(sub) == NATS_OK)
        natsSubscription_WaitForDrainCompletion(sub, 1000);
    else
        natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
}

/* A replica stopped while the member lives need not wait for its
 * callbacks (they only queue work on the member); at stop it must. */
static void replica_free(struct replica *r, bool wait)
{
    if (wait)
        sub_end(r->sub);
    else if (r->sub) {
        natsSubscription_Unsubscribe(r->sub);
        natsSubscription_Destroy(r->sub);
    }
    spec_free(&r->spec);
    secrets_free(r->secrets, r->nsecrets);
    free(r->manifest);
    free(r);
}

static void replica_start(struct member *m, const struct want *w)
{
    struct replica *r = calloc(1, sizeof *r);
    struct fleet_deploy d;
    char err[512], subj[160];
    natsStatus s;

    if (r == NULL)
        abort();
    if (fleet_manifest_parse(w->manifest, strlen(w->manifest), w->deploy, &d,
                             err, sizeof err) != MANTLE_OK) {
        fprintf(stderr, "mantled: fleet: replica %s/%u: %s\n", w->deploy,
                w->replica, err);
        free(r);
        return;
    }
    if (replica_spec(m, &d, &r->spec, err, sizeof err) != 0 ||
        !store_module_exists(m->ag->store, r->spec.digest)) {
        fprintf(stderr, "mantled: fleet: replica %s/%u: %s\n", w->deploy,
                w->replica, err[0] ? err : "module not stored");
        fleet_deploy_free(&d);
        spec_free(&r->spec);
        free(r);
        return;
    }
    fleet_deploy_free(&d);
    snprintf(r->deploy, sizeof r->deploy, "%s", w->deploy);
    r->replica = w->replica;
    r->manifest = strdup(w->manifest);
    r->secrets = secrets_dup(w->secrets, w->nsecrets);
    r->nsecrets = w->nsecrets;
    /* One queue group per deployment: each request reaches one replica,
     * wherever it runs, and the servers prefer one near the caller. */
    snprintf(subj, sizeof subj, LATTICE_INVOKE_PREFIX "%s", w->deploy);
    s = natsConnection_QueueSubscribe(&r->sub, m->lt->nc, subj, subj,
                                      on_request, m);
    if (s != NATS_OK) {
        lattice_fail(err, sizeof err, s, subj);
        fprintf(stderr, "mantled: fleet: replica %s/%u: %s\n", w->deploy,
                w->replica, err);
        r->sub = NULL;
    }
    r->next = m->replicas;
    m->replicas = r;
    fprintf(stderr, "mantled: fleet: replica %s/%u started (module "
            "sha256:%.12s...%s)\n", w->deploy, w->replica, r->spec.digest,
            r->nsecrets ? "; attested, secrets released by the broker" : "");
}

static void apply_wants(struct member *m, struct want *w, size_t nw)
{
    /* Stop what is no longer wanted here (or whose manifest changed). */
    for (struct replica **pp = &m->replicas; *pp;) {
        struct replica *r = *pp;
        bool keep = false;

        for (size_t i = 0; i < nw && !keep; i++)
            keep = !strcmp(w[i].deploy, r->deploy) &&
                   w[i].replica == r->replica &&
                   !strcmp(w[i].manifest, r->manifest);
        if (keep) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        fprintf(stderr, "mantled: fleet: replica %s/%u stopped (served %llu)\n",
                r->deploy, r->replica, (unsigned long long)r->served);
        replica_free(r, false); /* runs in flight finish; replies still go */
    }
    for (size_t i = 0; i < nw; i++) {
        bool running = false;

        for (struct replica *r = m->replicas; r && !running; r = r->next)
            running = !strcmp(w[i].deploy, r->deploy) &&
                      w[i].replica == r->replica;
        if (!running)
            replica_start(m, &w[i]);
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct member *m = arg;
    char buf[256];
    struct want *w = NULL;
    size_t nw = 0, nmods;
    bool new_wants;
    struct fetched *mods;
    struct job *jobs;

    (void)what;
    while (read(fd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&m->mu);
    mods = m->mods;
    nmods = m->nmods;
    m->mods = NULL;
    m->nmods = 0;
    /* Modules are stored (below) before the wants that need them apply;
     * until then the fleet thread still counts them as present. */
    if ((new_wants = m->wants_new)) {
        nw = m->nwants;
        if ((w = calloc(nw + 1, sizeof *w)) == NULL)
            abort();
        for (size_t i = 0; i < nw; i++) {
            w[i] = m->wants[i];
            w[i].manifest = strdup(m->wants[i].manifest);
            w[i].secrets = secrets_dup(m->wants[i].secrets,
                                       m->wants[i].nsecrets);
        }
        m->wants_new = false;
    }
    jobs = m->jobs;
    m->jobs = NULL;
    m->jobs_tail = &m->jobs;
    m->njobs = 0;
    pthread_mutex_unlock(&m->mu);

    for (size_t i = 0; i < nmods; i++) {
        char hex[AGENT_DIGEST_HEX + 1], err[512];
        bool existed;

        if (store_module_put(m->ag->store, mods[i].bytes, mods[i].size, "fleet",
                             hex, &existed, err, sizeof err) != 0 ||
            strcmp(hex, mods[i].digest + 7) != 0)
            fprintf(stderr, "mantled: fleet: module %s: not stored: %s\n",
                    mods[i].digest, err);
        else {
            pthread_mutex_lock(&m->mu);
            char **grown = realloc(m->have, sizeof *grown * (m->nhave + 1));
            if (grown == NULL)
                abort();
            m->have = grown;
            m->have[m->nhave++] = strdup(mods[i].digest);
            pthread_mutex_unlock(&m->mu);
        }
        free(mods[i].bytes);
    }
    free(mods);
    if (new_wants)
        apply_wants(m, w, nw);
    wants_free(w, nw);
    while (jobs) {
        struct job *j = jobs;

        jobs = j->next;
        run_job(m, j);
    }
}

/* ---- start and stop ---------------------------------------------------- */

static int parse_labels(const char *text, struct fleet_label **out,
                        size_t *out_n, char *err, size_t errlen)
{
    char *dup = strdup(text), *save = NULL, *tok;
    struct fleet_label *v = NULL;
    size_t n = 0;

    *out = NULL;
    *out_n = 0;
    if (dup == NULL)
        abort();
    for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');

        if (eq == NULL || eq == tok) {
            agent_fail(err, errlen, "node_labels: \"%s\": expected key=value",
                       tok);
            for (size_t i = 0; i < n; i++)
                free(v[i].key), free(v[i].value);
            free(v);
            free(dup);
            return -1;
        }
        *eq = '\0';
        if ((v = realloc(v, sizeof *v * (n + 1))) == NULL)
            abort();
        v[n].key = strdup(tok);
        v[n].value = strdup(eq + 1);
        n++;
    }
    free(dup);
    *out = v;
    *out_n = n;
    return 0;
}

static int node_id(const struct agent_config *cfg, char *out, size_t outlen,
                   char *err, size_t errlen)
{
    char host[256] = "";

    if (cfg->node_id[0])
        snprintf(out, outlen, "%s", cfg->node_id);
    else {
        gethostname(host, sizeof host - 1);
        for (char *p = host; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        snprintf(out, outlen, "%s", host);
    }
    if (!spec_name_ok(out) || strlen(out) > FLEET_MAX_NAME)
        return agent_fail(err, errlen, "node_id: \"%s\" is not a node id "
                                       "([a-z0-9][a-z0-9_.-]*, at most 63); "
                                       "set node_id", out);
    return 0;
}

/* This node's facts JSON with these labels; NULL with err. */
static char *local_facts(struct member *m, const char *labels_text,
                         char *err, size_t errlen)
{
    struct fleet_label *labels = NULL;
    size_t nlabels = 0;
    struct fleet_node facts;
    char *json = NULL;

    if (parse_labels(labels_text, &labels, &nlabels, err, errlen) != 0)
        return NULL;
    if (fleet_node_local(m->id, m->tee, labels, nlabels, &facts, err,
                         errlen) == MANTLE_OK) {
        if ((json = fleet_node_to_json(&facts)) == NULL)
            abort();
        fleet_node_free(&facts);
    }
    for (size_t i = 0; i < nlabels; i++)
        free(labels[i].key), free(labels[i].value);
    free(labels);
    return json;
}

void member_reload(struct agent *ag)
{
    struct member *m = ag->member;
    char err[512], *facts;

    if (m == NULL)
        return;
    if ((facts = local_facts(m, ag->cfg.node_labels, err, sizeof err)) == NULL) {
        fprintf(stderr, "mantled: fleet: reload: %s (the facts before stay)\n",
                err);
        return;
    }
    pthread_mutex_lock(&m->mu);
    bool changed = strcmp(facts, m->facts) != 0;
    free(m->facts);
    m->facts = facts;
    m->kick = true; /* publish at once: the reconciler re-places */
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (changed)
        fprintf(stderr, "mantled: fleet: node %s: facts changed (%s)\n", m->id,
                ag->cfg.node_labels);
}

int member_start(struct agent *ag, char *err, size_t errlen)
{
    struct agent_config *cfg = &ag->cfg;
    struct member *m;
    mantle_diag diag;
    char tee_dir[700];
    int rc = -1;

    if (cfg->lattice[0] == '\0')
        return 0;
    if ((m = calloc(1, sizeof *m)) == NULL)
        abort();
    m->ag = ag;
    m->pipe[0] = m->pipe[1] = -1;
    m->jobs_tail = &m->jobs;
    m->pending_tail = &m->pending;
    m->ev_window = 0;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    pthread_cond_init(&m->lease_cv, NULL);
    if (node_id(cfg, m->id, sizeof m->id, err, errlen) != 0)
        goto out;
    if (cfg->node_tee[0]) {
        snprintf(tee_dir, sizeof tee_dir, "%s/tee", cfg->state_dir);
        memset(&diag, 0, sizeof diag);
        if (mantle_tee_open(cfg->node_tee, tee_dir, &m->tee, &diag) !=
            MANTLE_OK) {
            agent_fail(err, errlen, "node_tee: %s: %s", cfg->node_tee,
                       diag.message);
            goto out;
        }
    }
    if ((m->facts = local_facts(m, cfg->node_labels, err, errlen)) == NULL)
        goto out;
    struct lattice_opts lo = {
        .urls = cfg->lattice, .ca = cfg->lattice_ca, .cert = cfg->lattice_cert,
        .key = cfg->lattice_key, .creds = cfg->lattice_creds, .name = m->id,
        .domain = cfg->lattice_domain,
        .replicas = (int)cfg->lattice_replicas,
        .timeout_ms = cfg->heartbeat_ms < 2000 ? 2000 : cfg->heartbeat_ms,
        .lease_timeout_ms = cfg->lease_ms / 3,
        .reconnect_max_ms = cfg->reconnect_max_ms, .keep_trying = true,
        .on_event = on_link, .ctx = m};
    if (lattice_open(&lo, &m->lt, err, errlen) != 0)
        goto out;
    /* Plain subscriptions on the buckets' subjects: the servers route
     * them like any message and nats.c renews them after a reconnect. */
    natsConnection_Subscribe(&m->changes[0], m->lt->nc,
                             "$KV." LATTICE_DEPLOY ".>", on_kv_change, m);
    natsConnection_Subscribe(&m->changes[1], m->lt->nc,
                             "$KV." LATTICE_ASSIGN ".>", on_kv_change, m);
    if (pipe2(m->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        agent_fail(err, errlen, "pipe: %s", strerror(errno));
        goto out;
    }
    m->ev = event_new(ag->base, m->pipe[0], EV_READ | EV_PERSIST, on_wake, m);
    if (m->ev == NULL || event_add(m->ev, NULL) != 0 ||
        pthread_create(&m->thr, NULL, fleet_thread, m) != 0) {
        agent_fail(err, errlen, "fleet thread: cannot start");
        goto out;
    }
    m->thr_started = true;
    if (pthread_create(&m->lease_thr, NULL, lease_thread, m) != 0) {
        agent_fail(err, errlen, "fleet lease thread: cannot start");
        goto out;
    }
    m->lease_started = true;
    fprintf(stderr, "mantled: fleet: node %s joining %s (%s)\n", m->id,
            cfg->lattice, m->facts);
    ag->member = m;
    m = NULL;
    rc = 0;
out:
    if (m) {
        ag->member = m;
        member_stop(ag);
    }
    return rc;
}

static void stop_threads(struct member *m)
{
    pthread_mutex_lock(&m->mu);
    m->stop = true;
    pthread_cond_signal(&m->cv);
    pthread_cond_signal(&m->lease_cv);
    pthread_mutex_unlock(&m->mu);
    if (m->thr_started) {
        pthread_join(m->thr, NULL);
        m->thr_started = false;
    }
    if (m->lease_started) {
        pthread_join(m->lease_thr, NULL);
        m->lease_started = false;
    }
}

/* Drain: leave the queue groups so requests go to other replicas, and
 * withdraw our facts so the reconciler moves our replicas at once. */
void member_drain(struct agent *ag)
{
    struct member *m = ag->member;

    if (m == NULL)
        return;
    for (struct replica *r = m->replicas; r; r = r->next) {
        sub_end(r->sub);
        r->sub = NULL;
    }
    stop_threads(m);
    if (lattice_connected(m->lt) && m->lt->nodes)
        kvStore_Delete(m->lt->nodes, m->id);
    /* A holder hands the lease over at once rather than after lease_ms:
     * no other node may write it before our expiry, so the record we
     * delete is ours. */
    if (lattice_connected(m->lt) && m->lt->lease && m->holds &&
        wall_ms() < m->holds_until)
        kvStore_Delete(m->lt->lease, "reconciler");
}

void member_stop(struct agent *ag)
{
    struct member *m = ag->member;

    if (m == NULL)
        return;
    stop_threads(m);
    /* Invocations in flight end with us: their callers time out. */
    for (struct oneshot **pp = &ag->oneshots; *pp;) {
        struct oneshot *o = *pp;

        if (o->done != call_done) {
            pp = &o->next;
            continue;
        }
        *pp = o->next;
        kill(-o->pid, SIGKILL);
        close(o->out_fd);
        close(o->err_fd);
        free(((struct call *)o->ctx)->reply);
        free(o->ctx);
        free(o);
    }
    while (m->replicas) {
        struct replica *r = m->replicas;

        m->replicas = r->next;
        replica_free(r, true);
    }
    for (int i = 0; i < 2; i++)
        sub_end(m->changes[i]);
    /* Close before freeing what nats.c's callbacks use. */
    lattice_close(m->lt);
    while (m->jobs) {
        struct job *j = m->jobs;

        m->jobs = j->next;
        natsMsg_Destroy(j->msg);
        free(j);
    }
    while (m->pending) {
        struct job *j = m->pending;

        m->pending = j->next;
        natsMsg_Destroy(j->msg);
        free(j);
    }
    if (m->ev)
        event_free(m->ev);
    for (int i = 0; i < 2; i++)
        if (m->pipe[i] >= 0)
            close(m->pipe[i]);
    wants_free(m->wants, m->nwants);
    for (size_t i = 0; i < m->nmods; i++)
        free(m->mods[i].bytes);
    free(m->mods);
    for (size_t i = 0; i < m->nhave; i++)
        free(m->have[i]);
    free(m->have);
    free(m->facts);
    free(m->refusals);
    reconcile_cache_free(m->verdicts);
    mantle_tee_free(m->tee);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    pthread_cond_destroy(&m->lease_cv);
    free(m);
    ag->member = NULL;
}
