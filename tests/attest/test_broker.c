/* test_broker.c - the key broker's protocol handler, driven in-process by
 * the library's own KBS client with fresh soft-backend evidence: releases
 * to the right module, and each refusal with its precise reason, logged.
 * SPDX-License-Identifier: Apache-2.0
 *
 * argv: testvectors work-dir module.wasm other-module.wasm.
 * (tests/attest/broker_e2e.sh runs the same over HTTPS on loopback.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av.h"
#include "tee/tee.h"
#include "tv.h"

static mantle_broker *broker;
static int64_t now = 1800000000;

typedef struct sess {
    char cookie[64];
    char token[16384];
    mantle_kbs_client *kc;
    char *attestation;   /* the body sent, for replays */
} sess;

static mantle_broker_reply call(const char *method, const char *path,
                                const char *cookie, const char *auth,
                                const char *body)
{
    mantle_broker_reply r;

    mantle_broker_handle(broker, method, path, cookie, auth,
                         (const uint8_t *)body, body ? strlen(body) : 0, now,
                         &r);
    return r;
}

static bool has(const mantle_broker_reply *r, const char *s)
{
    return r->body && strstr(r->body, s);
}

/* auth + challenge: a session with its report data. */
static void open_session(sess *s, uint8_t rd[64])
{
    mantle_broker_reply r = call("POST", "/kbs/v0/auth", NULL, NULL,
                                 mantle_kbs_auth_request());
    mantle_diag diag;

    memset(s, 0, sizeof *s);
    CHECK(r.status == 200 && r.cookie[0], "auth: %d %s", r.status, r.body);
    snprintf(s->cookie, sizeof s->cookie, "%s", r.cookie);
    CHECK(mantle_kbs_client_new(&s->kc, &diag) == MANTLE_OK, "client");
    CHECK(mantle_kbs_client_challenge(s->kc, r.body, strlen(r.body), rd,
                                      &diag) == MANTLE_OK, "challenge");
    mantle_broker_reply_free(&r);
}

/* Evidence for module under no grants binding rd, sent as the session's
 * attestation; returns the reply. */
static mantle_broker_reply attest(sess *s, mantle_tee *tee,
                                  mantle_module *m, const uint8_t rd[64],
                                  int flip_at)
{
    uint8_t *ev = NULL;
    size_t n = 0;
    mantle_diag diag;
    mantle_broker_reply r;

    CHECK(mantle_tee_evidence(tee, m, NULL, rd, &ev, &n, &diag) == MANTLE_OK,
          "evidence: %s", diag.message);
    if (flip_at >= 0 && (size_t)flip_at < n)
        ev[flip_at] ^= 1;
    free(s->attestation);
    CHECK(mantle_kbs_client_attestation(s->kc, ev, n, &s->attestation,
                                        &diag) == MANTLE_OK, "attestation");
    r = call("POST", "/kbs/v0/attest", s->cookie, NULL, s->attestation);
    if (r.status == 200) {
        json_t *j = json_loads(r.body, 0, NULL);
        const char *t = json_string_value(json_object_get(j, "token"));
        if (t)
            snprintf(s->token, sizeof s->token, "%s", t);
        json_decref(j);
    }
    mantle_tee_evidence_free(ev);
    return r;
}

static void sess_free(sess *s)
{
    mantle_kbs_client_free(s->kc);
    free(s->attestation);
}

static mantle_broker_reply get(const sess *s, const char *res,
                               const char *token)
{
    char path[300], auth[16400];

    snprintf(path, sizeof path, "/kbs/v0/resource/%s", res);
    if (token)
        snprintf(auth, sizeof auth, "Bearer %s", token);
    return call("GET", path, s->cookie, token ? auth : NULL, NULL);
}

static int count_lines(void *ctx, const char *line)
{
    char *log = ctx;

    strncat(log, line, 16000 - strlen(log) - 2);
    strcat(log, "\n");
    return 0;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b;
    long len;

    if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) || !(b = malloc((size_t)len + 1)) ||
        fread(b, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(1);
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

int main(int argc, char **argv)
{
    char dir[4096], db[4096], other_dir[4096], policy[400], hex[65];
    static char log[16000];
    uint8_t *wasm, *wasm2, md[32], root[32], cose[64], rd[64], rd2[64];
    size_t n, n2;
    mantle_engine *engine = NULL;
    mantle_module *mod = NULL, *mod2 = NULL;
    mantle_tee *tee = NULL, *tee_other = NULL;
    mantle_diag diag;
    mantle_broker_reply r;
    sess a, b;

    if (argc != 5) {
        fprintf(stderr, "usage: test_attest_broker TV WORK A.wasm B.wasm\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s/dev", argv[2]);
    snprintf(other_dir, sizeof other_dir, "%s/other-dev", argv[2]);
    snprintf(db, sizeof db, "%s/broker.db", argv[2]);
    remove(db);
    wasm = slurp(argv[3], &n);
    wasm2 = slurp(argv[4], &n2);
    CHECK(mantle_engine_new(NULL, &engine) == MANTLE_OK, "engine");
    CHECK(mantle_module_new(engine, wasm, n, "a", &mod, NULL) == MANTLE_OK, "a");
    CHECK(mantle_module_new(engine, wasm2, n2, "b", &mod2, NULL) == MANTLE_OK,
          "b");
    CHECK(mantle_tee_open("soft", dir, &tee, &diag) == MANTLE_OK, "tee");
    CHECK(mantle_tee_open("soft", other_dir, &tee_other, &diag) == MANTLE_OK,
          "tee");
    CHECK(mantle_tee_root_key(tee, root, &diag) == MANTLE_OK, "root");
    if (tv_failures)
        return tv_done("broker");
    CHECK(mantle_broker_open(db, cose, dice_cose_key(root, cose), NULL, 0,
                             &broker, &diag) == MANTLE_OK, "open: %s",
          diag.message);

    /* Resources: one for module a (development evidence allowed), one
     * that demands production evidence. */
    tee_sha256(wasm, n, md);
    av_hex(md, 32, hex);
    snprintf(policy, sizeof policy,
             "{\"tee\":[\"mantle\"],\"debug\":true,\"module_digests\":[\"%s\"]}",
             hex);
    CHECK(mantle_broker_put(broker, "app/key/db", (const uint8_t *)"s3cret!", 7,
                            policy, strlen(policy), &diag) == MANTLE_OK,
          "put: %s", diag.message);
    snprintf(policy, sizeof policy,
             "{\"debug\":false,\"module_digests\":[\"%s\"]}", hex);
    CHECK(mantle_broker_put(broker, "app/key/prod", (const uint8_t *)"x", 1,
                            policy, strlen(policy), &diag) == MANTLE_OK, "put");
    CHECK(mantle_broker_put(broker, "../key/x", (const uint8_t *)"x", 1, "{}", 2,
                            &diag) == MANTLE_EINVAL, "bad resource path");
    CHECK(mantle_broker_put(broker, "a/b/c", (const uint8_t *)"x", 1, "{\"z\":1}",
                            7, &diag) == MANTLE_EINVAL, "bad policy");

    /* ---- The attested module gets its secret --------------------------- */
    open_session(&a, rd);
    r = attest(&a, tee, mod, rd, -1);
    CHECK(r.status == 200 && a.token[0], "attest: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    r = get(&a, "app/key/db", a.token);
    CHECK(r.status == 200, "release: %d %s", r.status, r.body);
    if (r.status == 200) {
        uint8_t *pt = NULL;
        size_t ptn = 0;
        CHECK(mantle_kbs_client_open(a.kc, r.body, strlen(r.body), &pt, &ptn,
                                     &diag) == MANTLE_OK &&
                  ptn == 7 && memcmp(pt, "s3cret!", 7) == 0,
              "the JWE opens to the secret");
        CHECK(!strstr(r.body, "s3cret"), "the secret is not in the clear");
        free(pt);
        /* only the attested key opens it */
        mantle_kbs_client *thief = NULL;
        CHECK(mantle_kbs_client_new(&thief, &diag) == MANTLE_OK, "thief");
        CHECK(mantle_kbs_client_open(thief, r.body, strlen(r.body), &pt, &ptn,
                                     &diag) == MANTLE_EREFUSED,
              "another key cannot open the JWE");
        mantle_kbs_client_free(thief);
    }
    mantle_broker_reply_free(&r);
    /* without a bearer token, the session cookie suffices */
    r = get(&a, "app/key/db", NULL);
    CHECK(r.status == 200, "release by cookie: %d", r.status);
    mantle_broker_reply_free(&r);

    /* ---- Refusals, each with its reason --------------------------------- */
    r = get(&a, "app/key/prod", NULL);
    CHECK(r.status == 403 && has(&r, "policy: debug"),
          "debug evidence under a no-debug policy: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    r = get(&a, "app/key/none", NULL);
    CHECK(r.status == 404, "unknown resource: %d", r.status);
    mantle_broker_reply_free(&r);

    /* replayed nonce: the same attestation again on its session... */
    r = call("POST", "/kbs/v0/attest", a.cookie, NULL, a.attestation);
    CHECK(r.status == 401 && has(&r, "NonceReplayed"), "replay: %d %s",
          r.status, r.body);
    mantle_broker_reply_free(&r);
    /* ...and on a fresh session, whose challenge it does not answer */
    open_session(&b, rd2);
    r = call("POST", "/kbs/v0/attest", b.cookie, NULL, a.attestation);
    CHECK(r.status == 401 && has(&r, "NonceMismatch"),
          "replay into another session: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    /* that session's nonce is spent by the failed attempt */
    r = attest(&b, tee, mod, rd2, -1);
    CHECK(r.status == 401 && has(&r, "NonceReplayed"), "spent nonce: %d %s",
          r.status, r.body);
    mantle_broker_reply_free(&r);
    sess_free(&b);

    /* a stolen token: useless on a session that did not attest */
    open_session(&b, rd2);
    r = get(&b, "app/key/db", a.token);
    CHECK(r.status == 401 && has(&r, "not attested"), "stolen token: %d %s",
          r.status, r.body);
    mantle_broker_reply_free(&r);
    /* ...and refused on a session that attested with its own key */
    r = attest(&b, tee, mod, rd2, -1);
    CHECK(r.status == 200, "second attestation: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    r = get(&b, "app/key/db", a.token);
    CHECK(r.status == 401 && has(&r, "TokenMismatch"),
          "token of another session: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    sess_free(&b);

    /* a modified module attests fine but is not the resource's module */
    open_session(&b, rd2);
    r = attest(&b, tee, mod2, rd2, -1);
    CHECK(r.status == 200, "module b attests: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    r = get(&b, "app/key/db", b.token);
    CHECK(r.status == 403 && has(&r, "policy: module"), "module b: %d %s",
          r.status, r.body);
    mantle_broker_reply_free(&r);
    sess_free(&b);

    /* tampered evidence: one byte of the token's signature */
    open_session(&b, rd2);
    r = attest(&b, tee, mod, rd2, 1300);
    CHECK(r.status == 401 && has(&r, "refused (signature)"),
          "tampered evidence: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    sess_free(&b);
    /* evidence for another nonce (its runtime data is not this one) */
    open_session(&b, rd2);
    r = attest(&b, tee, mod, rd, -1);
    CHECK(r.status == 401 && has(&r, "refused (report data)"),
          "evidence binding other runtime data: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    sess_free(&b);
    /* evidence from another device (another DICE root) */
    open_session(&b, rd2);
    r = attest(&b, tee_other, mod, rd2, -1);
    CHECK(r.status == 401 && has(&r, "refused (chain)"),
          "another device: %d %s", r.status, r.body);
    mantle_broker_reply_free(&r);
    sess_free(&b);
    /* an expired challenge */
    open_session(&b, rd2);
    now += 301;
    r = attest(&b, tee, mod, rd2, -1);
    CHECK(r.status == 401 && has(&r, "expired"), "expired: %d %s", r.status,
          r.body);
    mantle_broker_reply_free(&r);
    r = get(&a, "app/key/db", NULL);
    CHECK(r.status == 401 && has(&r, "expired"), "expired session: %d",
          r.status);
    mantle_broker_reply_free(&r);
    sess_free(&b);
    /* protocol errors */
    r = call("POST", "/kbs/v0/auth", NULL, NULL,
             "{\"version\":\"0.1.0\",\"tee\":\"mantle\"}");
    CHECK(r.status == 400 && has(&r, "ProtocolVersion"), "version");
    mantle_broker_reply_free(&r);
    r = call("POST", "/kbs/v0/auth", NULL, NULL,
             "{\"version\":\"0.4.0\",\"tee\":\"sample\"}");
    CHECK(r.status == 400 && has(&r, "UnsupportedTee"), "tee");
    mantle_broker_reply_free(&r);
    r = call("POST", "/kbs/v0/attest", "kbs-session-id=zz", NULL, "{}");
    CHECK(r.status == 401, "no session");
    mantle_broker_reply_free(&r);
    r = call("GET", "/kbs/v0/nope", NULL, NULL, NULL);
    CHECK(r.status == 404, "endpoint");
    mantle_broker_reply_free(&r);

    /* ---- A broker-wide policy, checked at attestation ------------------- */
    {
        mantle_broker *strict = NULL, *lax = broker;
        char db2[4200];
        snprintf(db2, sizeof db2, "%s.strict", db);
        remove(db2);
        CHECK(mantle_broker_open(db2, cose, dice_cose_key(root, cose),
                                 "{\"tee\":[\"snp\"]}", 15, &strict,
                                 &diag) == MANTLE_OK, "strict broker");
        broker = strict;
        open_session(&b, rd2);
        r = attest(&b, tee, mod, rd2, -1);
        CHECK(r.status == 401 && has(&r, "PolicyDeny") &&
                  has(&r, "policy: tee"),
              "broker policy: %d %s", r.status, r.body);
        mantle_broker_reply_free(&r);
        sess_free(&b);
        mantle_broker_free(strict);
        broker = lax;
        CHECK(mantle_broker_open(db2, cose, 45, "{\"nope\":1}", 10, &strict,
                                 &diag) == MANTLE_EINVAL, "bad broker policy");
    }

    /* ---- The audit log names every release and refusal ------------------ */
    CHECK(mantle_broker_audit(broker, count_lines, log) == MANTLE_OK, "audit");
    CHECK(strstr(log, "resource app/key/db released") != NULL, "release logged");
    CHECK(strstr(log, "nonce replayed") && strstr(log, "nonce mismatch") &&
              strstr(log, "foreign token") && strstr(log, "policy: module") &&
              strstr(log, "policy: debug") && strstr(log, "(signature)") &&
              strstr(log, "not attested"),
          "refusals logged:\n%s", log);

    sess_free(&a);
    mantle_broker_free(broker);
    mantle_tee_free(tee);
    mantle_tee_free(tee_other);
    mantle_module_free(mod);
    mantle_module_free(mod2);
    mantle_engine_free(engine);
    free(wasm);
    free(wasm2);
    return tv_done("broker");
}
