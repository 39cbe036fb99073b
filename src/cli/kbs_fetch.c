/* kbs_fetch.c - attest to a key broker and fetch secrets (libcurl over
 * HTTPS): `mantle run --broker URL --secret NAME=kbs:///R/T/G` and the
 * fleet's replicas (kbs_fetch.h).
 * SPDX-License-Identifier: Apache-2.0
 *
 * One session for all of a run's secrets: auth, then evidence for this
 * module under this launch binding the broker's challenge and our
 * ephemeral key, then one resource request per secret, each a JWE only
 * our key opens. The protocol is the library's (mantle_kbs_client_*).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "kbs_fetch.h"

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

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
}

/* POST (body non-NULL) or GET url; the reply into *out; the HTTP status,
 * or -1 with the transport's error in err. */
static long request(CURL *h, const char *url, const char *body,
                    const char *bearer, buf *out, char *err, size_t errlen)
{
    struct curl_slist *hdr = NULL;
    char auth[4096];
    long status = -1;
    CURLcode cc;

    if (out->p) /* a previous reply may have been a secret's JWE */
        OPENSSL_cleanse(out->p, out->n);
    free(out->p);
    out->p = NULL;
    out->n = 0;
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
        say(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
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
static int refused(char *err, size_t errlen, const char *what, long status,
                   const buf *b)
{
    char *d = member(b, "detail");

    say(err, errlen, "%s refused (HTTP %ld)%s%s", what, status, d ? ": " : "",
        d ? d : "");
    free(d);
    return -2;
}

void kbs_secret_free(mantle_tee_secret *s)
{
    if (s->value)
        OPENSSL_cleanse((void *)s->value, s->size);
    free((void *)s->value);
    free((void *)s->name);
    s->value = NULL;
    s->name = NULL;
    s->size = 0;
}

int kbs_fetch(const struct kbs_opts *o, mantle_tee *tee,
              const mantle_module *module, const mantle_tee_launch *launch,
              const struct kbs_want *want, size_t n, mantle_tee_secret *out,
              size_t *failed, char *err, size_t errlen)
{
    mantle_kbs_client *kc = NULL;
    mantle_diag diag;
    CURL *h = NULL;
    buf b = {0};
    char url[4096], *token = NULL, *att = NULL;
    uint8_t rd[64], *ev = NULL;
    size_t evn = 0, got = 0;
    long status;
    int rc = -1;

    if (failed)
        *failed = (size_t)-1;
    memset(&diag, 0, sizeof diag);
    if (mantle_kbs_client_new(&kc, &diag) != MANTLE_OK ||
        (o->trustee &&
         mantle_kbs_client_trustee(kc, tee, &diag) != MANTLE_OK) ||
        !(h = curl_easy_init())) {
        say(err, errlen, "%s", diag.message[0] ? diag.message
                                               : "libcurl is not available");
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");  /* session cookies */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     o->timeout_ms > 0 ? o->timeout_ms : 30000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  /* threads: no SIGALRM */
    if (o->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
    if (o->ca_pem) {
        struct curl_blob blob = {(void *)o->ca_pem, strlen(o->ca_pem),
                                 CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    snprintf(url, sizeof url, "%s/kbs/v0/auth", o->url);
    if ((status = request(h, url, mantle_kbs_client_auth_request(kc), NULL,
                          &b, err, errlen)) != 200) {
        if (status > 0)
            rc = refused(err, errlen, "auth", status, &b);
        goto out;
    }
    if (mantle_kbs_client_challenge(kc, b.p, b.n, rd, &diag) != MANTLE_OK ||
        (o->trustee
             ? mantle_kbs_client_trustee_attestation(kc, &att, &diag)
             : mantle_tee_evidence(tee, module, launch, rd, &ev, &evn,
                                   &diag) ||
                   mantle_kbs_client_attestation(kc, ev, evn, &att, &diag)) !=
            MANTLE_OK) {
        say(err, errlen, "%s", diag.message);
        goto out;
    }
    snprintf(url, sizeof url, "%s/kbs/v0/attest", o->url);
    if ((status = request(h, url, att, NULL, &b, err, errlen)) != 200) {
        if (status > 0)
            rc = refused(err, errlen, "attestation", status, &b);
        goto out;
    }
    if (!(token = member(&b, "token"))) {
        say(err, errlen, "no token in the broker's reply");
        goto out;
    }
    for (got = 0; got < n; got++) {
        if (failed)
            *failed = got;
        snprintf(url, sizeof url, "%s/kbs/v0/resource/%s", o->url,
                 want[got].resource);
        if ((status = request(h, url, NULL, token, &b, err, errlen)) != 200) {
            if (status > 0) {
                char what[300];
                snprintf(what, sizeof what, "resource %s", want[got].resource);
                rc = refused(err, errlen, what, status, &b);
            }
            goto out;
        }
        out[got].name = strdup(want[got].name);
        if (!out[got].name ||
            mantle_kbs_client_open(kc, b.p, b.n, (uint8_t **)&out[got].value,
                                   &out[got].size, &diag) != MANTLE_OK) {
            say(err, errlen, "secret %s: %s", want[got].name, diag.message);
            free((void *)out[got].name);
            out[got].name = NULL;
            goto out;
        }
    }
    rc = 0;
out:
    if (rc != 0)
        for (size_t i = 0; i < got && i < n; i++)
            if (out[i].name)
                kbs_secret_free(&out[i]);
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
