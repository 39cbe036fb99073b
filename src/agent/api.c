/* api.c - the HTTPS API of mantled: routing, authentication, handlers.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: TLS connections - authentication (client certificate, bearer
 * token) - replies and the audit log - path routing - handlers for node,
 * modules, workloads, logs (with follow), runs, audit, metrics.
 *
 * Everything here treats the request as hostile: the path is split into
 * at most five segments of the [A-Za-z0-9._-] alphabet (no percent
 * escapes, no "." or ".."), bodies are bounded before they are read
 * (max_module_bytes by libevent, max_json_bytes here), and JSON goes
 * through spec.c. Every POST and DELETE, refused ones included, is one
 * audit row: who, what, the status and why.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "agent.h"

#define MAX_SEGS 5

struct follower {
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct workload *w;
    int stream;
    struct follower *next;
};

struct req {
    struct agent *ag;
    struct evhttp_request *req;
    const char *method;
    char path[256];
    char principal[128];
    bool mutating;
    double t0;
    struct evkeyvalq query;
    bool has_query;
    const char *seg[MAX_SEGS];
    int nseg;
    char segbuf[256];
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- TLS connections ----------------------------------------------------- */

static struct bufferevent *on_connection(struct event_base *base, void *arg)
{
    struct agent *ag = arg;
    SSL *ssl = SSL_new(ag->ssl_ctx);
    struct bufferevent *bev;

    if (ssl == NULL)
        return NULL;
    bev = bufferevent_openssl_socket_new(base, -1, ssl,
                                         BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (bev)
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

/* A reply is several TLS records; with Nagle's algorithm the last one
 * waits for the client's delayed ACK (40 ms) on a kept-alive connection. */
static void set_nodelay(struct evhttp_request *req)
{
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
    int one = 1;

    if (bev != NULL)
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
                   sizeof one);
}

static SSL *req_ssl(struct evhttp_request *req)
{
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;

    return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

/* ---- tokens ---------------------------------------------------------------- */

void api_tokens_free(struct agent *ag)
{
    for (size_t i = 0; i < ag->ntokens; i++) {
        OPENSSL_cleanse(ag->tokens[i], AGENT_DIGEST_HEX);
        free(ag->tokens[i]);
        free(ag->token_names[i]);
    }
    free(ag->tokens);
    free(ag->token_names);
    ag->tokens = ag->token_names = NULL;
    ag->ntokens = 0;
}

static int tokens_read(struct agent *ag, char *err, size_t errlen);

/* Keep only SHA-256 of each token: comparisons are then constant time
 * over a fixed length, and the secret is not kept in memory. A file that
 * does not parse leaves the tokens already loaded in force (SIGHUP). */
int api_tokens_load(struct agent *ag, char *err, size_t errlen)
{
    char **old = ag->tokens, **old_names = ag->token_names;
    size_t n = ag->ntokens;

    ag->tokens = ag->token_names = NULL;
    ag->ntokens = 0;
    if (tokens_read(ag, err, errlen) != 0) {
        api_tokens_free(ag);
        ag->tokens = old;
        ag->token_names = old_names;
        ag->ntokens = n;
        return -1;
    }
    struct agent prev = {.tokens = old, .token_names = old_names, .ntokens = n};
    api_tokens_free(&prev);
    return 0;
}

static int tokens_read(struct agent *ag, char *err, size_t errlen)
{
    FILE *f;
    char line[1024];
    int lineno = 0;

    if (ag->cfg.tokens_file[0] == '\0')
        return 0;
    if ((f = fopen(ag->cfg.tokens_file, "r")) == NULL) {
        snprintf(err, errlen, "%s: open: %m", ag->cfg.tokens_file);
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *name, *tok, *save = NULL;

        lineno++;
        name = strtok_r(line, " \t\r\n", &save);
        if (name == NULL || *name == '#')
            continue;
        tok = strtok_r(NULL, " \t\r\n", &save);
        if (tok == NULL || strlen(tok) < 16 ||
            strtok_r(NULL, " \t\r\n", &save) != NULL) {
            snprintf(err, errlen,
                     "%s:%d: expected \"NAME TOKEN\" with a token of at "
                     "least 16 characters",
                     ag->cfg.tokens_file, lineno);
            OPENSSL_cleanse(line, sizeof line);
            fclose(f);
            return -1;
        }
        ag->tokens = realloc(ag->tokens, (ag->ntokens + 1) * sizeof(char *));
        ag->token_names =
            realloc(ag->token_names, (ag->ntokens + 1) * sizeof(char *));
        if (!ag->tokens || !ag->token_names)
            abort();
        ag->tokens[ag->ntokens] = malloc(AGENT_DIGEST_HEX + 1);
        ag->token_names[ag->ntokens] = strdup(name);
        if (!ag->tokens[ag->ntokens] || !ag->token_names[ag->ntokens])
            abort();
        store_digest((const uint8_t *)tok, strlen(tok), ag->tokens[ag->ntokens]);
        ag->ntokens++;
        OPENSSL_cleanse(line, sizeof line);
    }
    fclose(f);
    return 0;
}

/* ---- authentication ------------------------------------------------------ */

/* Who is asking: "token:NAME", "cert:SUBJECT-CN", or NULL with why. */
static bool authenticate(struct req *r, const char **why)
{
    struct agent *ag = r->ag;
    const char *auth =
        evhttp_find_header(evhttp_request_get_input_headers(r->req),
                           "Authorization");
    SSL *ssl;
    X509 *peer;

    if (auth != NULL) {
        char h[AGENT_DIGEST_HEX + 1];
        bool ok = false;

        if (strncmp(auth, "Bearer ", 7) != 0) {
            *why = "Authorization: only \"Bearer TOKEN\" is accepted";
            return false;
        }
        store_digest((const uint8_t *)auth + 7, strlen(auth + 7), h);
        for (size_t i = 0; i < ag->ntokens; i++)
            if (CRYPTO_memcmp(h, ag->tokens[i], AGENT_DIGEST_HEX) == 0) {
                snprintf(r->principal, sizeof r->principal, "token:%s",
                         ag->token_names[i]);
                ok = true;
            }
        if (!ok)
            *why = "bearer token not recognised";
        return ok;
    }
    ssl = req_ssl(r->req);
    if (ssl != NULL && ag->cfg.client_ca[0] &&
        (peer = SSL_get1_peer_certificate(ssl)) != NULL) {
        char cn[96] = "";
        bool ok = SSL_get_verify_result(ssl) == X509_V_OK;

        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
                                  cn, sizeof cn);
        X509_free(peer);
        if (ok) {
            snprintf(r->principal, sizeof r->principal, "cert:%s", cn);
            return true;
        }
    }
    *why = "authentication required: a client certificate from the "
           "operator CA or a bearer token";
    return false;
}

/* ---- replies --------------------------------------------------------------- */

static void finish(struct req *r, int status, const char *detail)
{
    metrics_observe(&r->ag->stats, status, now_s() - r->t0);
    if (r->mutating)
        store_audit(r->ag->store, r->principal[0] ? r->principal : "-",
                    r->method, r->path, status, detail);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 414: return "URI Too Long";
    case 422: return "Unprocessable Entity";
    case 502: return "Bad Gateway";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static void reply_body(struct req *r, int status, const char *type,
                       const char *body, size_t len, const char *detail)
{
    struct evbuffer *buf = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evbuffer_add(buf, body, len);
    evhttp_send_reply(r->req, status, reason(status), buf);
    evbuffer_free(buf);
    finish(r, status, detail);
}

/* Takes a reference of `j`. */
static void reply_json(struct req *r, int status, json_t *j, const char *detail)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

    json_decref(j);
    if (text == NULL) {
        reply_body(r, 500, "text/plain", "out of memory\n", 14, "oom");
        return;
    }
    reply_body(r, status, "application/json", text, strlen(text), detail);
    free(text);
}

static void reply_error(struct req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_error(struct req *r, int status, const char *fmt, ...)
{
    char msg[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (status == 401)
        evhttp_add_header(evhttp_request_get_output_headers(r->req),
                          "WWW-Authenticate", "Bearer realm=\"mantled\"");
    reply_json(r, status,
               json_pack("{s:s,s:i}", "error", msg, "status", status), msg);
}

/* ---- paths ------------------------------------------------------------------- */

/* A path segment: a name or a digest; the [A-Za-z0-9._-] alphabet, no
 * "." or "..", so nothing in a path needs decoding or can climb. */
static bool seg_ok(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789._-");

    return n == strlen(s) && n >= 1 && n <= 80 && strcmp(s, ".") != 0 &&
           strcmp(s, "..") != 0;
}

/* Split the path into segments; false (and a reply) when it is hostile. */
static bool split_path(struct req *r, const char *path)
{
    char *p, *save = NULL;

    if (path == NULL || path[0] != '/' || strlen(path) >= sizeof r->segbuf) {
        reply_error(r, 400, "path: expected an absolute path shorter than "
                            "%zu bytes", sizeof r->segbuf);
        return false;
    }
    snprintf(r->segbuf, sizeof r->segbuf, "%s", path + 1);
    r->nseg = 0;
    if (r->segbuf[0] == '\0')
        return true;
    for (p = r->segbuf;; p = NULL) {
        char *seg = strtok_r(p, "/", &save);

        if (seg == NULL)
            break;
        if (r->nseg == MAX_SEGS || !seg_ok(seg)) {
            reply_error(r, 400, "path: segment %d is not a plain name "
                                "([A-Za-z0-9._-], no \"..\", no escapes)",
                        r->nseg + 1);
            return false;
        }
        r->seg[r->nseg++] = seg;
    }
    if (strstr(path, "//") != NULL) {
        reply_error(r, 400, "path: empty segment");
        return false;
    }
    return true;
}

static bool seg_is(const struct req *r, int i, const char *s)
{
    return i < r->nseg && strcmp(r->seg[i], s) == 0;
}

static const char *query(struct req *r, const char *key)
{
    return r->has_query ? evhttp_find_header(&r->query, key) : NULL;
}

/* The request body, NUL-terminated (freed by the caller); NULL and a reply
 * when it is larger than max. */
static char *body(struct req *r, size_t max, size_t *out_len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    char *b;

    if (len > max) {
        reply_error(r, 413, "body: %zu bytes, at most %zu accepted here", len,
                    max);
        return NULL;
    }
    if ((b = malloc(len + 1)) == NULL) {
        reply_error(r, 500, "body: out of memory");
        return NULL;
    }
    evbuffer_remove(in, b, len);
    b[len] = '\0';
    *out_len = len;
    return b;
}

/* ---- modules ------------------------------------------------------------- */

static void modules_post(struct req *r)
{
    struct agent *ag = r->ag;
    const char *claimed = query(r, "digest"), *name = query(r, "name");
    char digest[AGENT_DIGEST_HEX + 1], want[AGENT_DIGEST_HEX + 1], err[512];
    mantle_module *m = NULL;
    mantle_diag diag;
    size_t len;
    bool existed;
    char *b;
    int st;

    if (claimed == NULL)
        claimed = evhttp_find_header(evhttp_request_get_input_headers(r->req),
                                     "X-Mantle-Digest");
    if (claimed != NULL && !spec_digest_parse(claimed, want)) {
        reply_error(r, 400, "digest: expected sha256: and 64 lower-case hex "
                            "digits");
        return;
    }
    if (name != NULL && !spec_name_ok(name)) {
        reply_error(r, 400, "name: expected 1 to %d of [A-Za-z0-9._-]",
                    AGENT_NAME_MAX);
        return;
    }
    if ((b = body(r, (size_t)ag->cfg.max_module_bytes, &len)) == NULL)
        return;
    if (len == 0) {
        free(b);
        reply_error(r, 400, "body: empty; send the module's bytes");
        return;
    }
    store_digest((const uint8_t *)b, len, digest);
    if (claimed != NULL && strcmp(digest, want) != 0) {
        free(b);
        reply_error(r, 422, "digest mismatch: the body is sha256:%s, the "
                            "request says sha256:%s; nothing stored",
                    digest, want);
        return;
    }
    memset(&diag, 0, sizeof diag);
    st = mantle_module_new(ag->engine, (const uint8_t *)b, len, "module", &m,
                           &diag);
    mantle_module_free(m);
    if (st != MANTLE_OK) {
        free(b);
        reply_error(r, 422, "not a valid module (%s): %s; nothing stored",
                    mantle_strerror(st), diag.message);
        return;
    }
    st = store_module_put(ag->store, (const uint8_t *)b, len, name, digest,
                          &existed, err, sizeof err);
    free(b);
    if (st != 0) {
        reply_error(r, 500, "store: %s", err);
        return;
    }
    reply_json(r, existed ? 200 : 201, store_module_get(ag->store, digest),
               digest);
}

static void modules_one(struct req *r, const char *arg)
{
    char digest[AGENT_DIGEST_HEX + 1];
    json_t *m;

    if (!spec_digest_parse(arg, digest)) {
        reply_error(r, 400, "module: expected 64 lower-case hex digits");
        return;
    }
    if (!store_module_exists(r->ag->store, digest)) {
        reply_error(r, 404, "module sha256:%s is not stored", digest);
        return;
    }
    if (strcmp(r->method, "DELETE") == 0) {
        if (store_module_in_use(r->ag->store, digest)) {
            reply_error(r, 409, "module sha256:%s is used by a workload; "
                                "delete the workload first", digest);
            return;
        }
        store_module_delete(r->ag->store, digest);
        reply_json(r, 200, json_pack("{s:s}", "deleted", digest), digest);
        return;
    }
    m = store_module_get(r->ag->store, digest);
    reply_json(r, 200, m, NULL);
}

/* ---- secrets ----------------------------------------------------------------- */

#define SECRET_MAX 65536

static void secret_one(struct req *r, const char *name)
{
    char err[512];
    size_t len;
    char *b;

    if (!spec_name_ok(name)) {
        reply_error(r, 400, "secret: expected a name of [A-Za-z0-9._-]");
        return;
    }
    if (strcmp(r->method, "PUT") == 0) {
        if ((b = body(r, SECRET_MAX, &len)) == NULL)
            return;
        if (store_secret_put(r->ag->store, name, (const uint8_t *)b, len, err,
                             sizeof err) != 0) {
            OPENSSL_cleanse(b, len);
            free(b);
            reply_error(r, 500, "store: %s", err);
            return;
        }
        OPENSSL_cleanse(b, len);
        free(b);
        reply_json(r, 200, json_pack("{s:s,s:I}", "name", name, "size",
                                     (json_int_t)len), name);
    } else if (strcmp(r->method, "DELETE") == 0) {
        if (store_secret_delete(r->ag->store, name) != 0)
            reply_error(r, 404, "secret %s is not stored", name);
        else
            reply_json(r, 200, json_pack("{s:s}", "deleted", name), name);
    } else {
        reply_error(r, 405, "%s is not allowed on %s (values are write-only)",
                    r->method, r->path);
    }
}

/* ---- workloads ------------------------------------------------------------- */

static void workloads_post(struct req *r)
{
    struct agent *ag = r->ag;
    struct workload *w;
    char err[512];
    size_t len;
    char *b = body(r, (size_t)ag->cfg.max_json_bytes, &len);

    if (b == NULL)
        return;
    if ((w = calloc(1, sizeof *w)) == NULL)
        abort();
    w->out_fd = w->err_fd = w->out_log.fd = w->err_log.fd = -1;
    w->last_exit = -1;
    if (spec_parse(b, len, &w->spec, err, sizeof err) != 0) {
        free(b);
        free(w);
        reply_error(r, 400, "workload: %s", err);
        return;
    }
    free(b);
    if (agent_find(ag, w->spec.name) != NULL) {
        reply_error(r, 409, "workload %s exists; delete it first",
                    w->spec.name);
        wl_free(w);
        return;
    }
    if (agent_count(ag) >= (size_t)ag->cfg.max_workloads) {
        reply_error(r, 409, "this node holds its maximum of %lld workloads",
                    (long long)ag->cfg.max_workloads);
        wl_free(w);
        return;
    }
    if (!store_module_exists(ag->store, w->spec.digest)) {
        reply_error(r, 422, "module sha256:%s is not stored; push it first",
                    w->spec.digest);
        wl_free(w);
        return;
    }
    for (size_t i = 0; i < w->spec.nsecrets; i++)
        if (!store_secret_exists(ag->store, w->spec.secrets[i])) {
            reply_error(r, 422, "secret %s is not stored; PUT "
                                "/v1/secrets/%s first",
                        w->spec.secrets[i], w->spec.secrets[i]);
            wl_free(w);
            return;
        }
    w->spec_json = spec_to_json(&w->spec);
    w->want_running = true;
    if (store_workload_put(ag->store, w->spec.name, w->spec_json, true) != 0) {
        reply_error(r, 500, "store: cannot record workload %s", w->spec.name);
        wl_free(w);
        return;
    }
    agent_add(ag, w);
    reply_json(r, 201, wl_to_json(w), w->spec.name);
}

static void logs_get(struct req *r, struct workload *w);

static void workload_one(struct req *r, struct workload *w)
{
    struct agent *ag = r->ag;
    const char *action = r->nseg > 3 ? r->seg[3] : "";
    bool post = strcmp(r->method, "POST") == 0;

    if (!*action && strcmp(r->method, "GET") == 0) {
        reply_json(r, 200, wl_to_json(w), NULL);
    } else if (!*action && strcmp(r->method, "DELETE") == 0) {
        char name[AGENT_NAME_MAX + 1];

        snprintf(name, sizeof name, "%s", w->spec.name);
        store_workload_delete(ag->store, name);
        agent_remove(ag, w);
        reply_json(r, 200, json_pack("{s:s}", "deleted", name), name);
    } else if (post && strcmp(action, "stop") == 0 && r->nseg == 4) {
        store_workload_set_running(ag->store, w->spec.name, false);
        wl_stop(ag, w, false);
        reply_json(r, 202, wl_to_json(w), w->spec.name);
    } else if (post && strcmp(action, "start") == 0 && r->nseg == 4) {
        store_workload_set_running(ag->store, w->spec.name, true);
        w->want_running = true;
        w->backoff_ms = 0;
        if (w->pid == 0)
            wl_start(ag, w);
        reply_json(r, 202, wl_to_json(w), w->spec.name);
    } else if (strcmp(r->method, "GET") == 0 && strcmp(action, "logs") == 0 &&
               r->nseg == 4) {
        logs_get(r, w);
    } else if (strcmp(r->method, "GET") == 0 && strcmp(action, "runs") == 0 &&
               r->nseg == 4) {
        reply_json(r, 200, store_runs(ag->store, w->spec.name, 50), NULL);
    } else if (!*action || (r->nseg == 4 &&
                                  (!strcmp(action, "stop") ||
                                   !strcmp(action, "start") ||
                                   !strcmp(action, "logs") ||
                                   !strcmp(action, "runs")))) {
        reply_error(r, 405, "%s is not allowed on %s", r->method, r->path);
    } else {
        reply_error(r, 404, "no such resource: %s", r->path);
    }
}

/* ---- logs ---------------------------------------------------------------------- */

/* The client went away. libevent has detached the unfinished request from
 * the connection; ending it now frees it. */
static void follower_closed(struct evhttp_connection *evcon, void *arg)
{
    struct follower *f = arg, **pp;

    for (pp = &f->w->followers; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    evhttp_send_reply_end(f->req);
    free(f);
}

void api_log_chunk(struct agent *ag, struct workload *w, int stream,
                   const char *data, size_t len)
{
    for (struct follower *f = w->followers; f; f = f->next)
        if (f->stream == stream) {
            struct evbuffer *b = evbuffer_new();

            evbuffer_add(b, data, len);
            evhttp_send_reply_chunk(f->req, b);
            evbuffer_free(b);
        }
}

void api_followers_close(struct workload *w)
{
    while (w->followers) {
        struct follower *f = w->followers;

        w->followers = f->next;
        evhttp_connection_set_closecb(f->evcon, NULL, NULL);
        evhttp_send_reply_end(f->req);
        free(f);
    }
}

static void logs_get(struct req *r, struct workload *w)
{
    const char *stream = query(r, "stream"), *tail = query(r, "tail");
    const char *follow = query(r, "follow");
    const char *path;
    long long want = 65536;
    size_t len = 0;
    char *text, *end;
    int which;

    if (stream == NULL || strcmp(stream, "stdout") == 0)
        which = 1;
    else if (strcmp(stream, "stderr") == 0)
        which = 2;
    else {
        reply_error(r, 400, "stream: expected stdout or stderr");
        return;
    }
    if (tail != NULL) {
        want = strtoll(tail, &end, 10);
        if (*tail == '\0' || *end != '\0' || want < 0 || want > (1 << 20)) {
            reply_error(r, 400, "tail: expected a byte count from 0 to "
                                "1048576");
            return;
        }
    }
    path = which == 1 ? w->out_log.path : w->err_log.path;
    text = path[0] ? log_tail(path, want, &len) : strdup("");
    if (text == NULL) {
        reply_error(r, 500, "logs: out of memory");
        return;
    }
    if (follow == NULL || strcmp(follow, "1") != 0) {
        reply_body(r, 200, "text/plain; charset=utf-8", text, len, NULL);
        free(text);
        return;
    }
    struct follower *f = calloc(1, sizeof *f);
    struct evbuffer *b = evbuffer_new();

    if (f == NULL || b == NULL)
        abort();
    f->req = r->req;
    f->evcon = evhttp_request_get_connection(r->req);
    f->w = w;
    f->stream = which;
    f->next = w->followers;
    w->followers = f;
    evhttp_connection_set_closecb(f->evcon, follower_closed, f);
    evhttp_add_header(evhttp_request_get_output_headers(r->req),
                      "Content-Type", "text/plain; charset=utf-8");
    evhttp_send_reply_start(r->req, 200, "OK");
    evbuffer_add(b, text, len);
    evhttp_send_reply_chunk(r->req, b);
    evbuffer_free(b);
    free(text);
    finish(r, 200, NULL);
}

/* ---- HTTP-triggered workloads --------------------------------------------- */

/* /w/NAME[/REST][?QUERY] -> the workload's socket as /REST[?QUERY]. Data
 * plane: counted in metrics, not audited. */
static void proxy(struct req *r, const char *path, const char *q)
{
    char name[AGENT_NAME_MAX + 2], rest[2048], why[300];
    const char *p = path + 3;
    size_t n = strcspn(p, "/");
    struct workload *w;
    int st;

    r->mutating = false;
    if (n == 0 || n > AGENT_NAME_MAX) {
        reply_error(r, 400, "path: expected /w/NAME/...");
        return;
    }
    memcpy(name, p, n);
    name[n] = '\0';
    if (!spec_name_ok(name) || (w = agent_find(r->ag, name)) == NULL) {
        reply_error(r, 404, "no workload named %.64s", name);
        return;
    }
    if ((size_t)snprintf(rest, sizeof rest, "%s%s%s", p[n] ? p + n : "/",
                         q ? "?" : "", q ? q : "") >= sizeof rest) {
        reply_error(r, 414, "path and query: longer than %zu bytes",
                    sizeof rest - 1);
        return;
    }
    if ((st = proxy_forward(r->ag, w, r->req, rest, why, sizeof why)) != 0)
        reply_error(r, st, "%s", why);
}

/* ---- dispatch ------------------------------------------------------------------- */

static void route(struct req *r)
{
    struct agent *ag = r->ag;
    bool get = strcmp(r->method, "GET") == 0;
    bool post = strcmp(r->method, "POST") == 0;
    bool del = strcmp(r->method, "DELETE") == 0;

    if (r->nseg == 1 && seg_is(r, 0, "metrics")) {
        size_t len;
        char *text;

        if (!get) {
            reply_error(r, 405, "%s is not allowed on /metrics", r->method);
            return;
        }
        text = metrics_render(ag, &len);
        reply_body(r, 200, "text/plain; version=0.0.4", text, len, NULL);
        free(text);
        return;
    }
    if (!seg_is(r, 0, "v1") || r->nseg < 2) {
        reply_error(r, 404, "no such resource: %s (the API is under /v1)",
                    r->path);
        return;
    }
    if (seg_is(r, 1, "node") && r->nseg == 2) {
        if (get)
            reply_json(r, 200, node_facts(ag), NULL);
        else
            reply_error(r, 405, "%s is not allowed on %s", r->method, r->path);
    } else if (seg_is(r, 1, "audit") && r->nseg == 2) {
        if (get)
            reply_json(r, 200, store_audit_list(ag->store, 200), NULL);
        else
            reply_error(r, 405, "%s is not allowed on %s", r->method, r->path);
    } else if (seg_is(r, 1, "secrets") && r->nseg == 2) {
        if (get)
            reply_json(r, 200, store_secret_list(ag->store), NULL);
        else
            reply_error(r, 405, "%s is not allowed on %s", r->method, r->path);
    } else if (seg_is(r, 1, "secrets") && r->nseg == 3) {
        secret_one(r, r->seg[2]);
    } else if (seg_is(r, 1, "modules") && r->nseg == 2) {
        if (get)
            reply_json(r, 200, store_module_list(ag->store), NULL);
        else if (post)
            modules_post(r);
        else
            reply_error(r, 405, "%s is not allowed on %s", r->method, r->path);
    } else if (seg_is(r, 1, "modules") && r->nseg == 3) {
        if (get || del)
            modules_one(r, r->seg[2]);
        else
            reply_error(r, 405, "%s is not allowed on %s", r->method, r->path);
    } else if (seg_is(r, 1, "workloads") && r->nseg == 2) {
        if (get) {
            json_t *a = json_array();

            for (struct workload *w = ag->workloads; w; w = w->next)
                json_array_append_new(a, wl_to_json(w));
            reply_json(r, 200, a, NULL);
        } else if (post) {
            workloads_post(r);
        } else {
            reply_error(r, 405, "%s is not allowed on %s", r->method, r->path);
        }
    } else if (seg_is(r, 1, "workloads") && r->nseg <= 4) {
        struct workload *w = agent_find(ag, r->seg[2]);

        if (w == NULL)
            reply_error(r, 404, "no workload named %s", r->seg[2]);
        else
            workload_one(r, w);
    } else {
        reply_error(r, 404, "no such resource: %s", r->path);
    }
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct req r;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
    const char *why = NULL;

    memset(&r, 0, sizeof r);
    set_nodelay(req);
    r.ag = arg;
    r.req = req;
    r.t0 = now_s();
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: r.method = "GET"; break;
    case EVHTTP_REQ_POST: r.method = "POST"; break;
    case EVHTTP_REQ_DELETE: r.method = "DELETE"; break;
    case EVHTTP_REQ_PUT: r.method = "PUT"; break;
    case EVHTTP_REQ_HEAD: r.method = "HEAD"; break;
    default: r.method = "OTHER"; break;
    }
    r.mutating = strcmp(r.method, "GET") != 0 && strcmp(r.method, "HEAD") != 0;
    snprintf(r.path, sizeof r.path, "%s", path ? path : "?");
    if (path != NULL && strcmp(path, "/healthz") == 0) {
        r.mutating = false;
        if (r.ag->draining)
            reply_body(&r, 503, "text/plain", "draining\n", 9, NULL);
        else
            reply_body(&r, 200, "text/plain", "ok\n", 3, NULL);
        return;
    }
    if (!authenticate(&r, &why)) {
        r.ag->stats.auth_refused++;
        reply_error(&r, 401, "%s", why);
        return;
    }
    if (r.ag->draining && r.mutating) {
        reply_error(&r, 503, "mantled is draining (SIGTERM); try another "
                             "node or later");
        return;
    }
    if (path != NULL && strncmp(path, "/w/", 3) == 0) {
        proxy(&r, path, q);
        return;
    }
    if (q != NULL) {
        if (evhttp_parse_query_str(q, &r.query) != 0) {
            reply_error(&r, 400, "query: malformed");
            return;
        }
        r.has_query = true;
    }
    if (split_path(&r, path))
        route(&r);
    if (r.has_query)
        evhttp_clear_headers(&r.query);
}

/* ---- lifecycle -------------------------------------------------------------------- */

int api_start(struct agent *ag, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(ag->cfg.listen, ':');
    long port;
    char *end;

    if (colon == NULL || (size_t)(colon - ag->cfg.listen) >= sizeof host) {
        snprintf(err, errlen, "listen: \"%s\" is not HOST:PORT",
                 ag->cfg.listen);
        return -1;
    }
    memcpy(host, ag->cfg.listen, (size_t)(colon - ag->cfg.listen));
    host[colon - ag->cfg.listen] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
        snprintf(err, errlen, "listen: \"%s\": bad port", ag->cfg.listen);
        return -1;
    }
    if ((ag->http = evhttp_new(ag->base)) == NULL) {
        snprintf(err, errlen, "evhttp_new failed");
        return -1;
    }
    evhttp_set_bevcb(ag->http, on_connection, ag);
    evhttp_set_gencb(ag->http, on_request, ag);
    evhttp_set_max_body_size(ag->http, (ev_ssize_t)ag->cfg.max_module_bytes);
    /* An oversized body is read and discarded before the 413: closing at
     * once resets a client still sending it, which then sees no status. */
    evhttp_set_flags(ag->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_max_headers_size(ag->http, 16384);
    evhttp_set_timeout(ag->http, 60);
    evhttp_set_allowed_methods(ag->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                                             EVHTTP_REQ_DELETE |
                                             EVHTTP_REQ_PUT | EVHTTP_REQ_HEAD);
    ag->bound = evhttp_bind_socket_with_handle(ag->http, host, (ev_uint16_t)port);
    if (ag->bound == NULL) {
        snprintf(err, errlen, "listen: cannot bind %s: %m", ag->cfg.listen);
        return -1;
    }
    /* Port 0 picks a free one: say which, for tests and operators. */
    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    char h[128] = "?", p[16] = "?";

    if (getsockname(evhttp_bound_socket_get_fd(ag->bound),
                    (struct sockaddr *)&sa, &salen) == 0)
        getnameinfo((struct sockaddr *)&sa, salen, h, sizeof h, p, sizeof p,
                    NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(ag->bound_addr, sizeof ag->bound_addr, "%s%s%s:%s",
             strchr(h, ':') ? "[" : "", h, strchr(h, ':') ? "]" : "", p);
    return 0;
}

void api_stop_accepting(struct agent *ag)
{
    if (ag->http && ag->bound) {
        evhttp_del_accept_socket(ag->http, ag->bound);
        ag->bound = NULL;
    }
}
