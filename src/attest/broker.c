/* broker.c - the key broker: releases secrets only to attested workloads,
 * speaking the Confidential Containers KBS protocol (RCAR: request,
 * challenge, attestation, response; protocol version 0.4.0).
 * SPDX-License-Identifier: Apache-2.0
 *
 *   POST /kbs/v0/auth      {"version","tee","extra-params"} -> a session
 *                          cookie and {"nonce", "extra-params"}
 *   POST /kbs/v0/attest    {"runtime-data": {"nonce", "tee-pubkey"},
 *                          "tee-evidence"}: the evidence must bind
 *                          SHA-384(runtime-data) and verify against the
 *                          broker's DICE root or, with platform evidence,
 *                          its certs and collateral -> {"token"} (an EAR
 *                          JWT)
 *   GET  /kbs/v0/resource/REPO/TYPE/TAG -> the resource as a JWE to the
 *                          session's tee-pubkey, if the resource's policy
 *                          accepts the session's verified claims
 * Each nonce is used once: the attestation consumes it whatever its outcome.
 * State (resources and their policies, sessions, the audit log of every
 * release and refusal) is in SQLite. The handler does no network I/O; the
 * `mantle broker` program serves it over HTTPS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "attest/kbs.h"

enum { SESSION_TTL = 300 };  /* seconds from the challenge */
enum { S_CHALLENGED = 0, S_ATTESTED = 1, S_CONSUMED = 2 };

struct mantle_broker {
    sqlite3 *db;
    uint8_t *root;
    size_t root_len;
    mantle_policy *policy;   /* applied at attestation, or NULL */
    mantle_blob *certs;      /* verifier inputs for platform evidence; */
    size_t ncerts;           /* each blob's data and name owned */
    mantle_blob *collateral;
    size_t ncollateral;
    char *ear_key;           /* PEM: signs the tokens */
    size_t ear_key_len;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS resources(path TEXT PRIMARY KEY, value BLOB "
    "NOT NULL, policy TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions(id TEXT PRIMARY KEY, nonce TEXT NOT "
    "NULL, created INTEGER NOT NULL, state INTEGER NOT NULL, pubkey TEXT, "
    "claims BLOB, token TEXT, tee TEXT);"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, time INTEGER, "
    "session TEXT, op TEXT, resource TEXT, verdict TEXT, reason TEXT);";

int mantle_broker_open(const char *db_path, const uint8_t *root,
                       size_t root_len, const char *policy_json,
                       size_t policy_len, mantle_broker **out_broker,
                       mantle_diag *diag)
{
    mantle_broker *b;
    EVP_PKEY *k = NULL;
    BIO *bio = NULL;
    char *pem;
    long n;
    int rc;

    if (!db_path || (!root && root_len) || !out_broker)
        return av_diag(diag, MANTLE_EINVAL, "broker: %s", "bad arguments");
    if (!(b = calloc(1, sizeof *b)) ||
        !(b->root = malloc(root_len ? root_len : 1))) {
        free(b);
        return MANTLE_ENOMEM;
    }
    if (root_len)
        memcpy(b->root, root, root_len);
    b->root_len = root_len;
    if (sqlite3_open_v2(db_path, &b->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(b->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        rc = av_diag(diag, MANTLE_EIO, "broker: database: %s",
                  b->db ? sqlite3_errmsg(b->db) : "cannot open");
        goto bad;
    }
    sqlite3_busy_timeout(b->db, 2000);
    /* Databases from before sessions named their tee: add the column (an
     * error here only means it is there already). */
    sqlite3_exec(b->db, "ALTER TABLE sessions ADD COLUMN tee TEXT", NULL,
                 NULL, NULL);
    if (policy_json &&
        (rc = mantle_policy_new(policy_json, policy_len, &b->policy, diag)))
        goto bad;
    /* A fresh token key per run: tokens only matter to this broker. */
    if (!(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) ||
        !(bio = BIO_new(BIO_s_mem())) ||
        PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) != 1 ||
        (n = BIO_get_mem_data(bio, &pem)) <= 0 ||
        !(b->ear_key = malloc((size_t)n))) {
        rc = av_diag(diag, MANTLE_ENOMEM, "broker: %s", "token key");
        goto bad;
    }
    memcpy(b->ear_key, pem, (size_t)n);
    b->ear_key_len = (size_t)n;
    BIO_free(bio);
    EVP_PKEY_free(k);
    *out_broker = b;
    return MANTLE_OK;
bad:
    BIO_free(bio);
    EVP_PKEY_free(k);
    mantle_broker_free(b);
    return rc;
}

static void blobs_free(mantle_blob *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free((void *)v[i].data);
        free((void *)v[i].name);
    }
    free(v);
}

/* Deep copies of n blobs into *out (NULL for none); false on ENOMEM. */
static bool blobs_copy(const mantle_blob *in, size_t n, mantle_blob **out)
{
    mantle_blob *v = n ? calloc(n, sizeof *v) : NULL;

    *out = NULL;
    if (n && !v)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t *d = malloc(in[i].len ? in[i].len : 1);
        char *name = strdup(in[i].name ? in[i].name : "input");
        if (!d || !name || (!in[i].data && in[i].len)) {
            free(d);
            free(name);
            blobs_free(v, i);
            return false;
        }
        if (in[i].len)
            memcpy(d, in[i].data, in[i].len);
        v[i] = (mantle_blob){d, in[i].len, name};
    }
    *out = v;
    return true;
}

int mantle_broker_set_evidence_inputs(mantle_broker *b,
                                      const mantle_blob *certs, size_t ncerts,
                                      const mantle_blob *collateral,
                                      size_t ncollateral, mantle_diag *diag)
{
    mantle_blob *c = NULL, *col = NULL;

    if (!b || (!certs && ncerts) || (!collateral && ncollateral))
        return av_diag(diag, MANTLE_EINVAL, "broker: %s", "bad arguments");
    if (!blobs_copy(certs, ncerts, &c) ||
        !blobs_copy(collateral, ncollateral, &col)) {
        blobs_free(c, ncerts);
        return av_diag(diag, MANTLE_ENOMEM, "broker: %s", "evidence inputs");
    }
    blobs_free(b->certs, b->ncerts);
    blobs_free(b->collateral, b->ncollateral);
    b->certs = c;
    b->ncerts = ncerts;
    b->collateral = col;
    b->ncollateral = ncollateral;
    return MANTLE_OK;
}

void mantle_broker_free(mantle_broker *b)
{
    if (!b)
        return;
    blobs_free(b->certs, b->ncerts);
    blobs_free(b->collateral, b->ncollateral);
    sqlite3_close(b->db);
    mantle_policy_free(b->policy);
    if (b->ear_key)
        OPENSSL_cleanse(b->ear_key, b->ear_key_len);
    free(b->ear_key);
    free(b->root);
    free(b);
}

/* REPO/TYPE/TAG, each segment [A-Za-z0-9._-]+ and not "." or "..". */
bool kbs_resource_path_ok(const char *p)
{
    int segs = 0;
    size_t len = 0;

    for (const char *s = p;; s++) {
        if (*s == '/' || *s == '\0') {
            if (len == 0 || (len <= 2 && strncmp(s - len, "..", len) == 0))
                return false;
            segs++;
            len = 0;
            if (*s == '\0')
                break;
            continue;
        }
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
            return false;
        len++;
    }
    return segs == 3 && strlen(p) < 256;
}

int mantle_broker_put(mantle_broker *b, const char *resource,
                      const uint8_t *value, size_t len,
                      const char *policy_json, size_t policy_len,
                      mantle_diag *diag)
{
    mantle_policy *p = NULL;
    sqlite3_stmt *st = NULL;
    int rc;

    if (!b || !resource || !value || !policy_json)
        return av_diag(diag, MANTLE_EINVAL, "broker: %s", "bad arguments");
    if (!kbs_resource_path_ok(resource))
        return av_diag(diag, MANTLE_EINVAL,
                    "broker: resource \"%s\" is not REPO/TYPE/TAG", resource);
    if ((rc = mantle_policy_new(policy_json, policy_len, &p, diag)))
        return rc;
    mantle_policy_free(p);
    rc = sqlite3_prepare_v2(b->db, "INSERT OR REPLACE INTO resources VALUES"
                            "(?,?,?)", -1, &st, NULL) == SQLITE_OK &&
                 sqlite3_bind_text(st, 1, resource, -1, SQLITE_STATIC) == 0 &&
                 sqlite3_bind_blob(st, 2, value, (int)len, SQLITE_STATIC) == 0 &&
                 sqlite3_bind_text(st, 3, policy_json, (int)policy_len,
                                   SQLITE_STATIC) == 0 &&
                 sqlite3_step(st) == SQLITE_DONE
             ? MANTLE_OK
             : av_diag(diag, MANTLE_EIO, "broker: database: %s",
                    sqlite3_errmsg(b->db));
    sqlite3_finalize(st);
    return rc;
}

/* ---- Replies and the audit log ------------------------------------------ */

static void reply(mantle_broker_reply *r, int status, json_t *body)
{
    r->status = status;
    r->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
}

/* A KBS error: {"type": ".../errors/KIND", "detail": "..."}. */
static void error(mantle_broker_reply *r, int status, const char *kind,
                  const char *detail)
{
    char type[128];

    snprintf(type, sizeof type,
             "https://github.com/confidential-containers/kbs/errors/%s", kind);
    reply(r, status, json_pack("{s:s,s:s}", "type", type, "detail", detail));
}

static void audit(mantle_broker *b, int64_t now, const char *session,
                  const char *op, const char *resource, const char *verdict,
                  const char *reason)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(b->db, "INSERT INTO audit(time, session, op, "
                           "resource, verdict, reason) VALUES(?,?,?,?,?,?)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_text(st, 2, session, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, op, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, resource, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, verdict, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
}

/* The detail of the first refused check. */
static const char *refusal(const mantle_appraisal *a)
{
    for (uint32_t i = 0; i < a->nchecks; i++)
        if (a->checks[i].status == MANTLE_EAR_CONTRAINDICATED)
            return a->checks[i].detail;
    return "";
}

/* ---- Sessions ----------------------------------------------------------- */

typedef struct session {
    char id[2 * 16 + 1];
    char nonce[64];
    int64_t created;
    int state;
    json_t *pubkey;          /* owned, or NULL */
    mantle_claims claims;
    char *token;             /* owned, or NULL */
    char tee[16];            /* the KBS "tee" of the auth request */
} session;

/* The session named by the Cookie header; false if none or unknown. */
static bool session_load(mantle_broker *b, const char *cookie, session *s)
{
    const char *p = cookie ? strstr(cookie, KBS_COOKIE "=") : NULL;
    sqlite3_stmt *st = NULL;
    bool ok = false;
    size_t n;

    memset(s, 0, sizeof *s);
    if (!p)
        return false;
    p += strlen(KBS_COOKIE "=");
    n = strspn(p, "0123456789abcdef");
    if (n != 32)
        return false;
    memcpy(s->id, p, 32);
    if (sqlite3_prepare_v2(b->db, "SELECT nonce, created, state, pubkey, "
                           "claims, token, ifnull(tee, '" KBS_TEE "') FROM "
                           "sessions WHERE id=?", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *nonce = (const char *)sqlite3_column_text(st, 0);
        snprintf(s->nonce, sizeof s->nonce, "%s", nonce ? nonce : "");
        s->created = sqlite3_column_int64(st, 1);
        s->state = sqlite3_column_int(st, 2);
        if (sqlite3_column_type(st, 3) == SQLITE_TEXT)
            s->pubkey = json_loads((const char *)sqlite3_column_text(st, 3),
                                   0, NULL);
        if (sqlite3_column_bytes(st, 4) == (int)sizeof s->claims)
            memcpy(&s->claims, sqlite3_column_blob(st, 4), sizeof s->claims);
        if (sqlite3_column_type(st, 5) == SQLITE_TEXT)
            s->token = strdup((const char *)sqlite3_column_text(st, 5));
        snprintf(s->tee, sizeof s->tee, "%s",
                 (const char *)sqlite3_column_text(st, 6));
        ok = true;
    }
    sqlite3_finalize(st);
    return ok;
}

static void session_free(session *s)
{
    json_decref(s->pubkey);
    free(s->token);
}

static bool session_state(mantle_broker *b, const session *s, int state,
                          const char *pubkey, const mantle_claims *claims,
                          const char *token)
{
    sqlite3_stmt *st = NULL;
    bool ok;

    ok = sqlite3_prepare_v2(b->db, "UPDATE sessions SET state=?, pubkey=?, "
                            "claims=?, token=? WHERE id=?", -1, &st,
                            NULL) == SQLITE_OK &&
         sqlite3_bind_int(st, 1, state) == 0 &&
         sqlite3_bind_text(st, 2, pubkey, -1, SQLITE_STATIC) == 0 &&
         (claims ? sqlite3_bind_blob(st, 3, claims, (int)sizeof *claims,
                                     SQLITE_STATIC)
                 : sqlite3_bind_null(st, 3)) == 0 &&
         sqlite3_bind_text(st, 4, token, -1, SQLITE_STATIC) == 0 &&
         sqlite3_bind_text(st, 5, s->id, -1, SQLITE_STATIC) == 0 &&
         sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok;
}

/* ---- The three requests -------------------------------------------------- */

static void do_auth(mantle_broker *b, const uint8_t *body, size_t len,
                    int64_t now, mantle_broker_reply *r)
{
    json_t *req = json_loadb((const char *)body, len, 0, NULL);
    const char *ver = json_string_value(json_object_get(req, "version"));
    const char *tee = json_string_value(json_object_get(req, "tee"));
    uint8_t id[16], nonce[KBS_NONCE_BYTES];
    char *n64 = NULL;
    sqlite3_stmt *st = NULL;
    mantle_tee_kind kind;
    session s;

    if (!json_is_object(req) || !ver || !tee) {
        error(r, 400, "InvalidRequest", "auth: want {\"version\", \"tee\", "
              "\"extra-params\"}");
    } else if (strcmp(ver, KBS_PROTOCOL_VERSION) != 0) {
        error(r, 400, "ProtocolVersion", "auth: this broker speaks KBS "
              "protocol " KBS_PROTOCOL_VERSION);
    } else if (strcmp(tee, KBS_TEE) != 0 && !kbs_trustee_tee(tee, &kind)) {
        error(r, 400, "UnsupportedTee", "auth: the broker verifies \""
              KBS_TEE "\" (Mantle's EAT) and Trustee's \"snp\", \"tdx\" and "
              "\"sgx\" evidence (not \"sample\", which proves nothing, nor "
              "vTPM, device or other kinds)");
    } else if (RAND_bytes(id, sizeof id) != 1 ||
               RAND_bytes(nonce, sizeof nonce) != 1 ||
               !(n64 = av_b64url(nonce, sizeof nonce))) {
        error(r, 500, "Internal", "auth: no randomness");
    } else {
        av_hex(id, sizeof id, s.id);
        if (sqlite3_prepare_v2(b->db, "INSERT INTO sessions(id, nonce, "
                               "created, state, tee) VALUES(?,?,?,0,?)", -1,
                               &st, NULL) != SQLITE_OK ||
            sqlite3_bind_text(st, 1, s.id, -1, SQLITE_STATIC) ||
            sqlite3_bind_text(st, 2, n64, -1, SQLITE_STATIC) ||
            sqlite3_bind_int64(st, 3, now) ||
            sqlite3_bind_text(st, 4, tee, -1, SQLITE_STATIC) ||
            sqlite3_step(st) != SQLITE_DONE) {
            error(r, 500, "Internal", "auth: database");
        } else {
            snprintf(r->cookie, sizeof r->cookie, KBS_COOKIE "=%s", s.id);
            reply(r, 200, json_pack("{s:s,s:{}}", "nonce", n64,
                                    "extra-params"));
        }
        sqlite3_finalize(st);
    }
    free(n64);
    json_decref(req);
}

bool kbs_runtime_digest(const json_t *runtime_data, uint8_t out[64])
{
    /* As Trustee's attestation service: SHA-384 of the canonical JSON
     * (compact, keys sorted, as serde_json writes it), zero-padded to the
     * 64 bytes of report data. */
    char *s = json_dumps(runtime_data, JSON_COMPACT | JSON_SORT_KEYS);
    bool ok = s && av_digest(EVP_sha384(), s, strlen(s), out);

    if (ok)
        memset(out + 48, 0, 16);
    free(s);
    return ok;
}

/* The verifiers' messages name `mantle verify`'s flags; the broker takes the
 * same inputs under its own names (its --cert is its TLS identity, and its
 * --root, Mantle's DICE root, does not anchor Trustee's hardware evidence),
 * so a refusal tells the operator the flag to give this program. */
static void broker_flags(const char *in, bool trustee, char *out, size_t cap)
{
    static const struct { const char *from, *to; bool trustee; } map[] = {
        {"--cert", "--evidence-cert", false},
        {"give --root, or ", "give ", true},
        {"with the chain", "with the chain (--evidence-cert)", true},
    };
    size_t n = 0;

    while (*in && n + 1 < cap) {
        size_t i, fl = 0, tl = 0;
        for (i = 0; i < sizeof map / sizeof map[0]; i++) {
            fl = strlen(map[i].from);
            tl = strlen(map[i].to);
            /* A pattern ending in a letter must end a word there
             * ("--cert", not "--certs" or "--cert-x"). */
            bool open_end = map[i].from[fl - 1] < 'a';
            if ((!map[i].trustee || trustee) &&
                strncmp(in, map[i].from, fl) == 0 &&
                (open_end ||
                 (!(in[fl] >= 'a' && in[fl] <= 'z') && in[fl] != '-')) &&
                n + tl + 1 < cap)
                break;
        }
        if (i < sizeof map / sizeof map[0]) {
            memcpy(out + n, map[i].to, tl);
            n += tl;
            in += fl;
            continue;
        }
        out[n++] = *in++;
    }
    out[n] = '\0';
}

static void do_attest(mantle_broker *b, const char *cookie,
                      const uint8_t *body, size_t len, int64_t now,
                      mantle_broker_reply *r)
{
    json_t *req = NULL, *rt, *jwk, *tev, *bound = NULL;
    const json_t *primary = NULL;
    const char *nonce, *ev64 = NULL, *additional = NULL;
    uint8_t rd[64], *ev = NULL;
    size_t evn = 0;
    char msg[800], *pub = NULL, *token = malloc(16384);
    mantle_verify_input in;
    mantle_verify_reason why = MANTLE_VERIFY_OK;
    mantle_claims c;
    mantle_appraisal a;
    mantle_diag diag;
    EVP_PKEY *k = NULL;
    mantle_tee_kind kind = MANTLE_TEE_MANTLE;
    bool trustee;
    session s;

    if (!token || !session_load(b, cookie, &s)) {
        error(r, 401, "UnAuthenticated", "attest: no session: POST "
              "/kbs/v0/auth first");
        free(token);
        return;
    }
    if (now - s.created > SESSION_TTL || now < s.created) {
        error(r, 401, "ExpiredSession", "attest: the challenge expired");
        audit(b, now, s.id, "attest", NULL, "refused", "expired challenge");
        goto out;
    }
    if (s.state != S_CHALLENGED) {
        error(r, 401, "NonceReplayed", "attest: this session's nonce was "
              "already used");
        audit(b, now, s.id, "attest", NULL, "refused", "nonce replayed");
        goto out;
    }
    /* The nonce is spent now, whatever follows. */
    session_state(b, &s, S_CONSUMED, NULL, NULL, NULL);
    req = json_loadb((const char *)body, len, 0, NULL);
    rt = json_object_get(req, "runtime-data");
    nonce = json_string_value(json_object_get(rt, "nonce"));
    jwk = json_object_get(rt, "tee-pubkey");
    tev = json_object_get(req, "tee-evidence");
    /* Trustee's clients send KBS 0.4.0 composite evidence, whose primary
     * evidence binds the runtime data with the additional evidence; ours
     * send the EAT as a string and bind the runtime data alone. */
    trustee = kbs_trustee_tee(s.tee, &kind);
    if (trustee) {
        primary = json_object_get(tev, "primary_evidence");
        additional = json_string_value(json_object_get(tev,
                                                       "additional_evidence"));
        if (json_is_object(jwk) && nonce && additional)
            bound = json_pack("{s:s,s:{s:O*,s:O*,s:O*,s:O*,s:O*},s:s}",
                              "nonce", nonce, "tee-pubkey",
                              "kty", json_object_get(jwk, "kty"),
                              "crv", json_object_get(jwk, "crv"),
                              "alg", json_object_get(jwk, "alg"),
                              "x", json_object_get(jwk, "x"),
                              "y", json_object_get(jwk, "y"),
                              "additional-evidence", additional);
    } else {
        ev64 = json_string_value(tev);
        bound = json_incref(rt);
    }
    if (!json_is_object(rt) || !nonce || !bound ||
        (trustee ? !json_is_object(primary)
                 : !ev64 || !av_base64(ev64, strlen(ev64), &ev, &evn)) ||
        !(k = jwe_jwk_key(jwk)) ||
        !json_is_string(json_object_get(jwk, "alg")) ||
        strcmp(json_string_value(json_object_get(jwk, "alg")), JWE_ALG) != 0 ||
        !kbs_runtime_digest(bound, rd)) {
        error(r, 400, "InvalidRequest", trustee
              ? "attest: want {\"runtime-data\": {\"nonce\", \"tee-pubkey\" "
                "(P-256 JWK, alg " JWE_ALG ")}, \"tee-evidence\": "
                "{\"primary_evidence\": {...}, \"additional_evidence\": "
                "\"\"}} (KBS protocol " KBS_PROTOCOL_VERSION ")"
              : "attest: want {\"runtime-data\": {\"nonce\", \"tee-pubkey\" "
                "(P-256 JWK, alg " JWE_ALG ")}, \"tee-evidence\" "
                "(base64url)}");
        audit(b, now, s.id, "attest", NULL, "refused", "malformed request");
        goto out;
    }
    if (json_object_get(req, "init-data") &&
        !json_is_null(json_object_get(req, "init-data"))) {
        /* Trustee checks it against HOST_DATA/MRCONFIGID; we do not, and
         * accepting it unchecked would drop a binding the client asked
         * for. */
        error(r, 400, "InvalidRequest", "attest: init-data is not supported "
              "by this broker");
        audit(b, now, s.id, "attest", NULL, "refused", "init-data");
        goto out;
    }
    if (additional && *additional) {
        error(r, 401, "EvidenceRefused", "attest: additional (device) "
              "evidence is not verified by this broker");
        audit(b, now, s.id, "attest", NULL, "refused", "additional evidence");
        goto out;
    }
    if (strlen(nonce) != strlen(s.nonce) ||
        CRYPTO_memcmp(nonce, s.nonce, strlen(s.nonce)) != 0) {
        error(r, 401, "NonceMismatch", "attest: runtime-data nonce is not "
              "this session's challenge (replayed?)");
        audit(b, now, s.id, "attest", NULL, "refused", "nonce mismatch");
        goto out;
    }
    memset(&in, 0, sizeof in);
    in.format = MANTLE_TEE_MANTLE;
    in.evidence = (mantle_blob){ev, evn, "tee-evidence"};
    /* --root is the DICE root of Mantle evidence; Trustee's hardware
     * evidence chains to the pinned genuine AMD and Intel roots. */
    if (b->root_len && !trustee)
        in.root = (mantle_blob){b->root, b->root_len, "broker root"};
    in.certs = b->certs;
    in.ncerts = b->ncerts;
    in.collateral = b->collateral;
    in.ncollateral = b->ncollateral;
    in.time = now;
    in.report_data = rd;
    in.report_data_len = sizeof rd;
    if ((trustee ? kbs_trustee_verify(kind, primary, &in, rd, &c, &why, &diag)
                 : mantle_verify(&in, &c, &why, &diag)) != MANTLE_OK) {
        char said[sizeof diag.message + 64];
        broker_flags(diag.message, trustee, said, sizeof said);
        snprintf(msg, sizeof msg, "attest: evidence refused (%s): %s",
                 mantle_verify_reason_name(why), said);
        error(r, 401, "EvidenceRefused", msg);
        audit(b, now, s.id, "attest", NULL, "refused", msg + 8);
        goto out;
    }
    mantle_policy_appraise(b->policy, &c, &a);
    if (!b->policy) {
        memset(&a, 0, sizeof a);
        a.verdict = MANTLE_EAR_AFFIRMING;
    }
    if (a.verdict == MANTLE_EAR_CONTRAINDICATED) {
        const char *d = refusal(&a);
        snprintf(msg, sizeof msg, "attest: refused by the broker policy "
                 "(%s): %s", mantle_verify_reason_name(a.reason), d);
        error(r, 401, "PolicyDeny", msg);
        audit(b, now, s.id, "attest", NULL, "refused", msg + 8);
        goto out;
    }
    if (mantle_ear_sign(&c, &a, now, (const uint8_t *)b->ear_key,
                        b->ear_key_len, token, 16384, &diag) != 0 ||
        !(pub = json_dumps(jwk, JSON_COMPACT)) ||
        !session_state(b, &s, S_ATTESTED, pub, &c, token)) {
        error(r, 500, "Internal", "attest: cannot record the session");
        goto out;
    }
    audit(b, now, s.id, "attest", NULL, "accepted", "");
    reply(r, 200, json_pack("{s:s}", "token", token));
out:
    EVP_PKEY_free(k);
    free(token);
    free(pub);
    free(ev);
    json_decref(bound);
    json_decref(req);
    session_free(&s);
}

static void do_resource(mantle_broker *b, const char *cookie,
                        const char *auth, const char *path, int64_t now,
                        mantle_broker_reply *r)
{
    sqlite3_stmt *st = NULL;
    mantle_policy *p = NULL;
    mantle_appraisal a;
    mantle_diag diag;
    EVP_PKEY *k = NULL;
    char msg[400], *jwe;
    session s;

    if (!session_load(b, cookie, &s)) {
        error(r, 401, "UnAuthenticated", "resource: no session (attest first)");
        audit(b, now, NULL, "resource", path, "refused", "no session");
        return;
    }
    if (s.state != S_ATTESTED || now - s.created > SESSION_TTL) {
        error(r, 401, "UnAuthenticated", s.state != S_ATTESTED
                                             ? "resource: session not attested"
                                             : "resource: session expired");
        audit(b, now, s.id, "resource", path, "refused",
              s.state != S_ATTESTED ? "not attested" : "expired");
        goto out;
    }
    if (auth && (strncmp(auth, "Bearer ", 7) != 0 || !s.token ||
                 strlen(auth + 7) != strlen(s.token) ||
                 CRYPTO_memcmp(auth + 7, s.token, strlen(s.token)) != 0)) {
        error(r, 401, "TokenMismatch", "resource: the bearer token was not "
              "issued to this session");
        audit(b, now, s.id, "resource", path, "refused", "foreign token");
        goto out;
    }
    if (!kbs_resource_path_ok(path)) {
        error(r, 400, "InvalidRequest", "resource: want REPO/TYPE/TAG");
        goto out;
    }
    if (sqlite3_prepare_v2(b->db, "SELECT value, policy FROM resources "
                           "WHERE path=?", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        error(r, 404, "ResourceNotFound", "resource: no such resource");
        audit(b, now, s.id, "resource", path, "refused", "not found");
        goto out;
    }
    if (mantle_policy_new((const char *)sqlite3_column_text(st, 1),
                          (size_t)sqlite3_column_bytes(st, 1), &p,
                          &diag) != MANTLE_OK) {
        error(r, 500, "Internal", "resource: its policy does not parse");
        goto out;
    }
    mantle_policy_appraise(p, &s.claims, &a);
    if (a.verdict == MANTLE_EAR_CONTRAINDICATED) {
        const char *d = refusal(&a);
        snprintf(msg, sizeof msg, "resource: refused by its policy (%s): %s",
                 mantle_verify_reason_name(a.reason), d);
        error(r, 403, "PolicyDeny", msg);
        audit(b, now, s.id, "resource", path, "refused", msg + 10);
        goto out;
    }
    if (!(k = jwe_jwk_key(s.pubkey)) ||
        !(jwe = jwe_seal(k, sqlite3_column_blob(st, 0),
                         (size_t)sqlite3_column_bytes(st, 0)))) {
        error(r, 500, "Internal", "resource: cannot encrypt to the TEE key");
        goto out;
    }
    r->status = 200;
    r->body = jwe;
    audit(b, now, s.id, "resource", path, "released", "");
out:
    EVP_PKEY_free(k);
    mantle_policy_free(p);
    sqlite3_finalize(st);
    session_free(&s);
}

void mantle_broker_handle(mantle_broker *b, const char *method,
                          const char *path, const char *cookie,
                          const char *authorization, const uint8_t *body,
                          size_t len, int64_t now, mantle_broker_reply *out)
{
    static const char res[] = "/kbs/v0/resource/";

    memset(out, 0, sizeof *out);
    if (!b || !method || !path || (!body && len)) {
        error(out, 400, "InvalidRequest", "bad request");
        return;
    }
    if (strcmp(path, "/kbs/v0/auth") == 0 && strcmp(method, "POST") == 0)
        do_auth(b, body, len, now, out);
    else if (strcmp(path, "/kbs/v0/attest") == 0 &&
             strcmp(method, "POST") == 0)
        do_attest(b, cookie, body, len, now, out);
    else if (strncmp(path, res, sizeof res - 1) == 0 &&
             strcmp(method, "GET") == 0)
        do_resource(b, cookie, authorization, path + sizeof res - 1, now,
                    out);
    else
        error(out, 404, "NotFound", "no such endpoint");
    if (!out->body)  /* json_dumps ran out of memory */
        out->status = 500;
}

void mantle_broker_reply_free(mantle_broker_reply *r)
{
    if (r)
        free(r->body);
}

int mantle_broker_audit(mantle_broker *b, int (*each)(void *ctx,
                        const char *line), void *ctx)
{
    sqlite3_stmt *st = NULL;
    char line[1024];
    int rc = 0;

    if (sqlite3_prepare_v2(b->db, "SELECT time, ifnull(session,'-'), op, "
                           "ifnull(resource,'-'), verdict, reason FROM audit "
                           "ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return MANTLE_EIO;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(line, sizeof line, "%lld %s %s %s %s %s",
                 (long long)sqlite3_column_int64(st, 0),
                 sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
                 sqlite3_column_text(st, 3), sqlite3_column_text(st, 4),
                 sqlite3_column_text(st, 5));
        rc = each(ctx, line);
    }
    sqlite3_finalize(st);
    return MANTLE_OK;
}
