/* kbs_fetch.c - `mantle run --broker URL --secret NAME=kbs:///R/T/G`: attest
 * the module to the key broker and fetch its secrets (libcurl over HTTPS).
 * SPDX-License-Identifier: Apache-2.0
 *
 * One session for all of a run's secrets: auth, then evidence for this
 * module under this launch binding the broker's challenge and our
 * ephemeral key, then one resource request per secret, each a JWE only
 * our key opens. The protocol is the library's (mantle_kbs_client_*).
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"

static bool use_trustee;

void cli_kbs_use_trustee(void)
{
    use_trustee = true;
}

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    buf *b = arg;
    size_t add = size * n;

    if (b->n + add > (1u << 20))
        return 0;  /* more than any reply of ours: stop */
    if (!(b->p = realloc(b->p, b->n + add + 1)))
        abort();
    memcpy(b->p + b->n, data, add);
    b->n += add;
    b->p[b->n] = '\0';
    return add;
}

/* POST (body non-NULL) or GET url; the reply into *out; the HTTP status,
 * or -1 with a message when the request did not complete. */
static long request(CURL *h, const char *url, const char *body,
                    const char *bearer, buf *out)
{
    struct curl_slist *hdr = NULL;
    char auth[4096];
    long status = -1;
    CURLcode cc;

    out->n = 0;
    free(out->p);
    out->p = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        hdr = curl_slist_append(hdr, auth);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    if ((cc = curl_easy_perform(h)) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        fprintf(stderr, "mantle: run: broker %s: %s\n", url,
                curl_easy_strerror(cc));
    curl_slist_free_all(hdr);
    return status;
}

/* A string member of a JSON reply (malloc'd), or NULL. */
static char *member(const buf *b, const char *key)
{
    json_t *j = b->p ? json_loadb(b->p, b->n, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(j, key));
    char *s = v ? strdup(v) : NULL;

    json_decref(j);
    return s;
}

/* The broker's words for a refusal: its "detail". */
static void refused(const char *what, long status, const buf *b)
{
    char *d = member(b, "detail");

    fprintf(stderr, "mantle: run: broker: %s refused (HTTP %ld)%s%s\n", what,
            status, d ? ": " : "", d ? d : "");
    free(d);
}

int cli_kbs_fetch(const char *broker, const char *ca, mantle_tee *tee,
                  const mantle_module *module, const mantle_tee_launch *launch,
                  const cli_kbs_secret *want, size_t n,
                  mantle_tee_secret *out)
{
    mantle_kbs_client *kc = NULL;
    mantle_diag diag;
    CURL *h = NULL;
    buf b = {0};
    char url[4096], *token = NULL, *att = NULL;
    uint8_t rd[64], *ev = NULL;
    size_t evn = 0, got = 0;
    long status;
    int rc = CLI_EXIT_TRAP;

    cli_diag_init(&diag);
    if (mantle_kbs_client_new(&kc, &diag) != MANTLE_OK ||
        (use_trustee &&
         mantle_kbs_client_trustee(kc, tee, &diag) != MANTLE_OK) ||
        !(h = curl_easy_init())) {
        fprintf(stderr, "mantle: run: broker: %s\n", diag.message);
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");  /* session cookies */
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    if (ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    snprintf(url, sizeof url, "%s/kbs/v0/auth", broker);
    if ((status = request(h, url, mantle_kbs_client_auth_request(kc), NULL,
                          &b)) != 200) {
        if (status > 0)
            refused("auth", status, &b);
        goto out;
    }
    if (mantle_kbs_client_challenge(kc, b.p, b.n, rd, &diag) != MANTLE_OK ||
        (use_trustee
             ? mantle_kbs_client_trustee_attestation(kc, &att, &diag)
             : mantle_tee_evidence(tee, module, launch, rd, &ev, &evn,
                                   &diag) ||
                   mantle_kbs_client_attestation(kc, ev, evn, &att, &diag)) !=
            MANTLE_OK) {
        fprintf(stderr, "mantle: run: broker: %s\n", diag.message);
        goto out;
    }
    snprintf(url, sizeof url, "%s/kbs/v0/attest", broker);
    if ((status = request(h, url, att, NULL, &b)) != 200) {
        if (status > 0)
            refused("attestation", status, &b);
        goto out;
    }
    if (!(token = member(&b, "token"))) {
        fprintf(stderr, "mantle: run: broker: no token in its reply\n");
        goto out;
    }
    for (got = 0; got < n; got++) {
        snprintf(url, sizeof url, "%s/kbs/v0/resource/%s", broker,
                 want[got].resource);
        if ((status = request(h, url, NULL, token, &b)) != 200) {
            if (status > 0) {
                char what[300];
                snprintf(what, sizeof what, "secret %s (%s)", want[got].name,
                         want[got].resource);
                refused(what, status, &b);
            }
            goto out;
        }
        out[got].name = strdup(want[got].name);
        if (!out[got].name ||
            mantle_kbs_client_open(kc, b.p, b.n, (uint8_t **)&out[got].value,
                                   &out[got].size, &diag) != MANTLE_OK) {
            fprintf(stderr, "mantle: run: broker: secret %s: %s\n",
                    want[got].name, diag.message);
            free((void *)out[got].name);
            out[got].name = NULL;
            goto out;
        }
    }
    rc = CLI_EXIT_OK;
out:
    if (rc != CLI_EXIT_OK)
        for (size_t i = 0; i < got; i++)
            cli_secret_free(&out[i]);
    if (b.p)
        OPENSSL_cleanse(b.p, b.n);
    free(b.p);
    free(token);
    free(att);
    mantle_tee_evidence_free(ev);
    mantle_kbs_client_free(kc);
    if (h)
        curl_easy_cleanup(h);
    return rc;
}
