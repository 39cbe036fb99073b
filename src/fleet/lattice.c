/* lattice.c - connecting to the NATS system and opening its buckets.
 * SPDX-License-Identifier: Apache-2.0
 *
 * nats.c runs its own threads (reader, flusher, reconnect, callbacks);
 * connection events reach the owner only through o->on_event, which must
 * not block. Reconnects use doubling delays from 100 ms up to
 * reconnect_max_ms with no attempt limit when keep_trying is set (mantled
 * keeps its workloads running through any outage); the NATS client
 * resubscribes and buffers publishes meanwhile.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lattice.h"

int lattice_fail(char *err, size_t errlen, natsStatus s, const char *what)
{
    natsStatus ls = NATS_OK;
    const char *detail = nats_GetLastError(&ls);

    /* nats.c prefixes its detail with "(file.c:123): "; users need not. */
    if (detail != NULL && *detail == '(' && strstr(detail, "): "))
        detail = strstr(detail, "): ") + 3;
    if (detail != NULL && *detail && strcmp(detail, natsStatus_GetText(s)))
        snprintf(err, errlen, "%s: %s (%s)", what, natsStatus_GetText(s),
                 detail);
    else
        snprintf(err, errlen, "%s: %s", what, natsStatus_GetText(s));
    return -1;
}

/* nats.c delivers connection events on its own thread, and may still
 * deliver some after natsConnection_Close returns: they go through this
 * separately allocated relay, which lattice_close mutes, then waits for
 * the closed event (always the last one) before freeing it. Should that
 * not come in time the relay is abandoned and the closed event frees it.
 * (Not nats_Close: it also tears down OpenSSL state that OpenSSL's own
 * exit handler then frees again, crashing mantled at exit.) */
struct relay {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*on_event)(void *ctx, enum lattice_event ev);
    void *ctx;
    bool closed, abandoned;
};

static void relay(struct relay *r, enum lattice_event ev)
{
    pthread_mutex_lock(&r->mu);
    if (r->on_event)
        r->on_event(r->ctx, ev);
    pthread_mutex_unlock(&r->mu);
}

static void on_up(natsConnection *nc, void *arg)
{
    (void)nc;
    relay(arg, LATTICE_UP);
}

static void on_down(natsConnection *nc, void *arg)
{
    (void)nc;
    relay(arg, LATTICE_DOWN);
}

static void relay_free(struct relay *r)
{
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

static void on_closed(natsConnection *nc, void *arg)
{
    struct relay *r = arg;
    bool abandoned;

    (void)nc;
    relay(r, LATTICE_CLOSED);
    pthread_mutex_lock(&r->mu);
    r->closed = true;
    abandoned = r->abandoned;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (abandoned)
        relay_free(r);
}

/* 100 ms, 200 ms, ... up to the ceiling: a flapping link is not hammered,
 * a short outage is over quickly. */
static int64_t reconnect_delay(natsConnection *nc, int attempts, void *arg)
{
    int64_t max = (int64_t)(intptr_t)arg, d = 100;

    (void)nc;
    for (int i = 1; i < attempts && d < max; i++)
        d *= 2;
    return d < max ? d : max;
}

/* "a,b,c" -> an array of the URLs. */
static int split_urls(const char *urls, char ***out, int *out_n)
{
    char *dup = strdup(urls), *save = NULL, *tok;
    char **v = NULL;
    int n = 0;

    if (dup == NULL)
        return -1;
    for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (*tok == '\0')
            continue;
        char **nv = realloc(v, sizeof *v * (size_t)(n + 1));
        if (nv == NULL)
            break;
        v = nv;
        v[n++] = strdup(tok);
    }
    free(dup);
    *out = v;
    *out_n = n;
    return 0;
}

int lattice_open(const struct lattice_opts *o, struct lattice **out,
                 char *err, size_t errlen)
{
    struct lattice *lt = calloc(1, sizeof *lt);
    natsOptions *opts = NULL;
    char **urls = NULL;
    int nurls = 0, rc = -1;
    natsStatus s;

    *out = NULL;
    if (lt == NULL) {
        snprintf(err, errlen, "lattice: out of memory");
        return -1;
    }
    lt->replicas = o->replicas > 0 ? o->replicas : 1;
    lt->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    lt->reconnect_max_ms = o->reconnect_max_ms > 0 ? o->reconnect_max_ms : 5000;
    if (o->urls == NULL || split_urls(o->urls, &urls, &nurls) != 0 ||
        nurls == 0) {
        snprintf(err, errlen, "lattice: no NATS URL given (nats://HOST:PORT)");
        goto out;
    }
    if ((s = natsOptions_Create(&opts)) != NATS_OK) {
        lattice_fail(err, errlen, s, "lattice: options");
        goto out;
    }
    s = natsOptions_SetServers(opts, (const char **)urls, nurls);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(opts, lt->timeout_ms);
    if (s == NATS_OK && o->name)
        s = natsOptions_SetName(opts, o->name);
    if (s != NATS_OK) {
        lattice_fail(err, errlen, s, o->urls);
        goto out;
    }
    if (o->ca && *o->ca) {
        if ((s = natsOptions_SetSecure(opts, true)) != NATS_OK ||
            (s = natsOptions_LoadCATrustedCertificates(opts, o->ca)) != NATS_OK) {
            lattice_fail(err, errlen, s, o->ca);
            goto out;
        }
    }
    if ((o->cert && *o->cert) || (o->key && *o->key)) {
        if (!o->cert || !*o->cert || !o->key || !*o->key) {
            snprintf(err, errlen, "lattice: a client certificate needs both "
                                  "the certificate and its key");
            goto out;
        }
        if ((s = natsOptions_SetSecure(opts, true)) != NATS_OK ||
            (s = natsOptions_LoadCertificatesChain(opts, o->cert, o->key)) !=
                NATS_OK) {
            lattice_fail(err, errlen, s, o->cert);
            goto out;
        }
    }
    if (o->creds && *o->creds &&
        (s = natsOptions_SetUserCredentialsFromFiles(opts, o->creds, NULL)) !=
            NATS_OK) {
        lattice_fail(err, errlen, s, o->creds);
        goto out;
    }
    if ((lt->relay = calloc(1, sizeof *lt->relay)) == NULL) {
        snprintf(err, errlen, "lattice: out of memory");
        goto out;
    }
    pthread_mutex_init(&lt->relay->mu, NULL);
    pthread_cond_init(&lt->relay->cv, NULL);
    lt->relay->on_event = o->on_event;
    lt->relay->ctx = o->ctx;
    natsOptions_SetDisconnectedCB(opts, on_down, lt->relay);
    natsOptions_SetReconnectedCB(opts, on_up, lt->relay);
    natsOptions_SetClosedCB(opts, on_closed, lt->relay);
    natsOptions_SetCustomReconnectDelay(opts, reconnect_delay,
                                        (void *)(intptr_t)lt->reconnect_max_ms);
    /* Two missed pings (1 s apart) notice a dead link within ~3 s, not
     * the default 4 minutes. */
    natsOptions_SetPingInterval(opts, 1000);
    natsOptions_SetMaxPingsOut(opts, 2);
    if (o->keep_trying) {
        natsOptions_SetMaxReconnect(opts, -1);
        natsOptions_SetRetryOnFailedConnect(opts, true, on_up, lt->relay);
    }
    s = natsConnection_Connect(&lt->nc, opts);
    if (s != NATS_OK && !(o->keep_trying && s == NATS_NOT_YET_CONNECTED)) {
        char what[300];

        snprintf(what, sizeof what, "cannot reach NATS at %s", o->urls);
        lattice_fail(err, errlen, s, what);
        /* nats.c keeps no reason for a failed handshake: say where to look. */
        if (s == NATS_NO_SERVER && ((o->ca && *o->ca) || (o->cert && *o->cert)))
            snprintf(err + strlen(err), errlen - strlen(err),
                     " (down, or the TLS handshake failed: check the CA, the "
                     "client certificate and that the server's certificate "
                     "names the host)");
        goto out;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = lt->timeout_ms;
    if (o->domain && *o->domain)
        jo.Domain = o->domain;
    if ((s = natsConnection_JetStream(&lt->js, lt->nc, &jo)) != NATS_OK) {
        lattice_fail(err, errlen, s, "lattice: JetStream context");
        goto out;
    }
    jo.Wait = o->lease_timeout_ms > 0 ? o->lease_timeout_ms : lt->timeout_ms;
    if ((s = natsConnection_JetStream(&lt->js_lease, lt->nc, &jo)) !=
        NATS_OK) {
        lattice_fail(err, errlen, s, "lattice: JetStream context");
        goto out;
    }
    *out = lt;
    lt = NULL;
    rc = 0;
out:
    for (int i = 0; i < nurls; i++)
        free(urls[i]);
    free(urls);
    natsOptions_Destroy(opts);
    lattice_close(lt);
    return rc;
}

void lattice_close(struct lattice *lt)
{
    if (lt == NULL)
        return;
    kvStore_Destroy(lt->nodes);
    kvStore_Destroy(lt->deploy);
    kvStore_Destroy(lt->assign);
    kvStore_Destroy(lt->lease);
    kvStore_Destroy(lt->evidence);
    jsCtx_Destroy(lt->js);
    jsCtx_Destroy(lt->js_lease);
    struct relay *r = lt->relay;

    if (r) { /* no more events: the owner is going away */
        pthread_mutex_lock(&r->mu);
        r->on_event = NULL;
        pthread_mutex_unlock(&r->mu);
    }
    if (lt->nc) {
        struct timespec ts;
        bool closed;

        natsConnection_Close(lt->nc);
        natsConnection_Destroy(lt->nc);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 2;
        pthread_mutex_lock(&r->mu);
        while (!r->closed &&
               pthread_cond_timedwait(&r->cv, &r->mu, &ts) == 0)
            ;
        closed = r->closed;
        r->abandoned = !closed;
        pthread_mutex_unlock(&r->mu);
        if (closed)
            relay_free(r);
    } else if (r) {
        relay_free(r);
    }
    free(lt);
}

bool lattice_connected(struct lattice *lt)
{
    return lt && lt->nc && natsConnection_Status(lt->nc) == NATS_CONN_STATUS_CONNECTED;
}

/* Open a KV bucket, creating it when it does not exist. history 1: only
 * the latest value matters; ttl_ms 0: none. */
static int open_kv(struct lattice *lt, const char *bucket, int64_t ttl_ms,
                   kvStore **out, char *err, size_t errlen)
{
    natsStatus s;
    kvConfig kc;

    if (*out)
        return 0;
    if (out == &lt->lease) { /* its requests wait lease_timeout_ms */
        kvStore *kv = NULL;

        if (open_kv(lt, bucket, ttl_ms, &kv, err, errlen) != 0)
            return -1;
        kvStore_Destroy(kv);
        s = js_KeyValue(out, lt->js_lease, bucket);
        return s == NATS_OK ? 0 : lattice_fail(err, errlen, s, bucket);
    }
    s = js_KeyValue(out, lt->js, bucket);
    if (s == NATS_OK)
        return 0;
    if (s != NATS_NOT_FOUND)
        return lattice_fail(err, errlen, s, bucket);
    kvConfig_Init(&kc);
    kc.Bucket = bucket;
    kc.History = 1;
    kc.TTL = ttl_ms;
    kc.Replicas = lt->replicas;
    s = js_CreateKeyValue(out, lt->js, &kc);
    if (s != NATS_OK) /* another node may have created it just now */
        s = js_KeyValue(out, lt->js, bucket);
    return s == NATS_OK ? 0 : lattice_fail(err, errlen, s, bucket);
}

static int open_objstore(struct lattice *lt, const char *bucket, char *err,
                         size_t errlen)
{
    char stream[128], chunks[160], metas[160];
    const char *subjects[2] = {chunks, metas};
    jsStreamConfig sc;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    snprintf(stream, sizeof stream, "OBJ_%s", bucket);
    s = js_GetStreamInfo(&si, lt->js, stream, NULL, &jerr);
    jsStreamInfo_Destroy(si);
    if (s == NATS_OK)
        return 0;
    if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr)
        return lattice_fail(err, errlen, s, stream);
    /* ADR-20: chunks on $O.<bucket>.C.<nuid>, meta on $O.<bucket>.M.<name
     * in base64url>, rollups allowed, discard new when full. */
    snprintf(chunks, sizeof chunks, "$O.%s.C.>", bucket);
    snprintf(metas, sizeof metas, "$O.%s.M.>", bucket);
    jsStreamConfig_Init(&sc);
    sc.Name = stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 2;
    sc.Storage = js_FileStorage;
    sc.Replicas = lt->replicas;
    sc.Discard = js_DiscardNew;
    sc.AllowRollup = true;
    sc.AllowDirect = true;
    si = NULL;
    s = js_AddStream(&si, lt->js, &sc, NULL, &jerr);
    jsStreamInfo_Destroy(si);
    if (s != NATS_OK) { /* lost a race with another creator? */
        si = NULL;
        s = js_GetStreamInfo(&si, lt->js, stream, NULL, &jerr);
        jsStreamInfo_Destroy(si);
    }
    return s == NATS_OK ? 0 : lattice_fail(err, errlen, s, stream);
}

int lattice_buckets(struct lattice *lt, char *err, size_t errlen)
{
    if (lt->ready)
        return 0;
    if (open_kv(lt, LATTICE_NODES, 0, &lt->nodes, err, errlen) ||
        open_kv(lt, LATTICE_DEPLOY, 0, &lt->deploy, err, errlen) ||
        open_kv(lt, LATTICE_ASSIGN, 0, &lt->assign, err, errlen) ||
        open_kv(lt, LATTICE_LEASE, 0, &lt->lease, err, errlen) ||
        open_kv(lt, LATTICE_EVIDENCE, 0, &lt->evidence, err, errlen) ||
        open_objstore(lt, LATTICE_MODULES, err, errlen))
        return -1;
    lt->ready = true;
    return 0;
}

/* ---- KV helpers ------------------------------------------------------ */

int lattice_kv_get(kvStore *kv, const char *key, char **out, size_t *out_len,
                   uint64_t *out_rev, int64_t *out_created_ms, char *err,
                   size_t errlen)
{
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, kv, key);
    int n;

    *out = NULL;
    if (s == NATS_NOT_FOUND)
        return 1;
    if (s != NATS_OK)
        return lattice_fail(err, errlen, s, key);
    n = kvEntry_ValueLen(e);
    if ((*out = malloc((size_t)n + 1)) == NULL) {
        kvEntry_Destroy(e);
        snprintf(err, errlen, "%s: out of memory", key);
        return -1;
    }
    memcpy(*out, kvEntry_Value(e), (size_t)n);
    (*out)[n] = '\0';
    if (out_len)
        *out_len = (size_t)n;
    if (out_rev)
        *out_rev = kvEntry_Revision(e);
    if (out_created_ms)
        *out_created_ms = kvEntry_Created(e) / 1000000;
    kvEntry_Destroy(e);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int lattice_kv_keys(kvStore *kv, char ***out, size_t *out_n, char *err,
                    size_t errlen)
{
    kvKeysList l = {0};
    natsStatus s = kvStore_Keys(&l, kv, NULL);

    *out = NULL;
    *out_n = 0;
    if (s == NATS_NOT_FOUND) /* nats.c: "no keys found" */
        return 0;
    if (s != NATS_OK)
        return lattice_fail(err, errlen, s, kvStore_Bucket(kv));
    /* nats.c lists keys with a watcher: a key written while it runs can
     * come twice. Sorted and unique, callers may treat them as a set. */
    if (l.Count > 0 && (*out = calloc((size_t)l.Count, sizeof **out)) != NULL) {
        qsort(l.Keys, (size_t)l.Count, sizeof *l.Keys, cmp_str);
        for (int i = 0; i < l.Count; i++)
            if (*out_n == 0 || strcmp((*out)[*out_n - 1], l.Keys[i]) != 0)
                (*out)[(*out_n)++] = strdup(l.Keys[i]);
    }
    kvKeysList_Destroy(&l);
    return 0;
}

void lattice_keys_free(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

int lattice_kv_put(kvStore *kv, const char *key, const char *val, char *err,
                   size_t errlen)
{
    natsStatus s = kvStore_PutString(NULL, kv, key, val);

    return s == NATS_OK ? 0 : lattice_fail(err, errlen, s, key);
}

size_t lattice_tee_challenge(int64_t window, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "mantle-fleet-window:%lld", (long long)window);

    return n > 0 && (size_t)n < outlen ? (size_t)n : 0;
}
