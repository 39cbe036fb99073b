/* objstore.c - module bytes in a JetStream object store (NATS ADR-20).
 * SPDX-License-Identifier: Apache-2.0
 *
 * nats.c 3.4.1 has key-value buckets but no object store, so this file
 * lays objects out exactly as ADR-20 does, with plain JetStream calls, and
 * the `nats object` tool and other clients read what we write:
 *   stream   OBJ_<bucket>, subjects $O.<bucket>.C.> and $O.<bucket>.M.>
 *   chunks   $O.<bucket>.C.<nuid>, 128 KiB each, in order
 *   meta     $O.<bucket>.M.<base64url(name)>, JSON {name, bucket, nuid,
 *            size, chunks, mtime, digest "SHA-256=<base64url>", options},
 *            published with "Nats-Rollup: sub" so one meta per name stays
 * A reader trusts nothing it fetched: it hashes the chunks as they arrive
 * and refuses the object unless size and digest match the meta (and the
 * caller then checks the digest against the name it asked for).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "lattice.h"

#define CHUNK (128 * 1024)

/* base64url with padding, as Go's base64.URLEncoding (ADR-20). */
static void b64url(const uint8_t *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    for (char *p = out; *p; p++)
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
}

static int meta_subject(const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    char enc[4 * 256 / 3 + 8];

    if (n == 0 || n > 255)
        return -1;
    b64url((const uint8_t *)name, n, enc);
    snprintf(out, outlen, "$O.%s.M.%s", LATTICE_MODULES, enc);
    return 0;
}

int lattice_obj_meta_parse(const char *json, size_t len,
                           struct lattice_obj_meta *out, char *err,
                           size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    json_t *nuid, *digest, *size, *chunks, *del;
    const char *n, *d;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "object meta: not a JSON object%s%s",
                 o ? "" : ": ", o ? "" : je.text);
        goto out;
    }
    nuid = json_object_get(o, "nuid");
    digest = json_object_get(o, "digest");
    size = json_object_get(o, "size");
    chunks = json_object_get(o, "chunks");
    del = json_object_get(o, "deleted");
    if ((del && !json_is_boolean(del))) {
        snprintf(err, errlen, "object meta: deleted: expected a boolean");
        goto out;
    }
    out->deleted = json_is_true(del);
    if (out->deleted) { /* a tombstone needs nothing else */
        rc = 0;
        goto out;
    }
    n = json_string_value(nuid);
    if (n == NULL || *n == '\0' || strlen(n) >= sizeof out->nuid ||
        strspn(n, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "abcdefghijklmnopqrstuvwxyz") != strlen(n)) {
        snprintf(err, errlen, "object meta: nuid: expected 1 to 64 letters "
                              "and digits");
        goto out;
    }
    d = json_string_value(digest);
    if (d == NULL || strncmp(d, "SHA-256=", 8) != 0 ||
        strlen(d) != sizeof out->digest - 1 ||
        strspn(d + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789-_=") != strlen(d + 8)) {
        snprintf(err, errlen, "object meta: digest: expected "
                              "\"SHA-256=<base64url>\"");
        goto out;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0 ||
        !json_is_integer(chunks) || json_integer_value(chunks) < 0 ||
        json_integer_value(chunks) > json_integer_value(size) ||
        ((json_integer_value(chunks) == 0) != (json_integer_value(size) == 0))) {
        snprintf(err, errlen, "object meta: size and chunks: expected "
                              "integers with 0 < chunks <= size (or both 0)");
        goto out;
    }
    memcpy(out->nuid, n, strlen(n) + 1);
    memcpy(out->digest, d, strlen(d) + 1);
    out->size = (uint64_t)json_integer_value(size);
    out->chunks = (uint64_t)json_integer_value(chunks);
    rc = 0;
out:
    json_decref(o);
    return rc;
}

/* The current meta of `name`: 0, 1 when there is none (or a tombstone),
 * -1 on error. */
static int meta_get(struct lattice *lt, const char *name,
                    struct lattice_obj_meta *out, char *err, size_t errlen)
{
    char subj[512], why[256];
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s;
    int rc;

    if (meta_subject(name, subj, sizeof subj) != 0) {
        snprintf(err, errlen, "object name: 1 to 255 bytes, please");
        return -1;
    }
    s = js_GetLastMsg(&m, lt->js, "OBJ_" LATTICE_MODULES, subj, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
        return 1;
    if (s != NATS_OK)
        return lattice_fail(err, errlen, s, name);
    rc = lattice_obj_meta_parse(natsMsg_GetData(m),
                                (size_t)natsMsg_GetDataLength(m), out, why,
                                sizeof why);
    natsMsg_Destroy(m);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", name, why);
        return -1;
    }
    return out->deleted ? 1 : 0;
}

static void sha256_digest_b64(const uint8_t *md, char out[64])
{
    char enc[48];

    b64url(md, 32, enc);
    snprintf(out, 64, "SHA-256=%s", enc);
}

int lattice_obj_put(struct lattice *lt, const char *name,
                    const uint8_t *bytes, size_t size, bool *out_existed,
                    char *err, size_t errlen)
{
    uint8_t md[32];
    char digest[64], subj[512], chunk_subj[160], mtime[40], *text = NULL;
    natsInbox *inbox = NULL;
    const char *nuid;
    struct lattice_obj_meta old;
    json_t *meta = NULL;
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s;
    size_t chunks = 0;
    int rc = -1, r;
    time_t now = time(NULL);
    struct tm tm;

    *out_existed = false;
    if (EVP_Digest(bytes, size, md, NULL, EVP_sha256(), NULL) != 1) {
        snprintf(err, errlen, "%s: SHA-256 failed", name);
        return -1;
    }
    sha256_digest_b64(md, digest);
    /* A garbled meta is replaced, not an error: this write repairs it. */
    if ((r = meta_get(lt, name, &old, err, errlen)) != 0)
        memset(&old, 0, sizeof old);
    if (r == 0 && strcmp(old.digest, digest) == 0) {
        *out_existed = true;
        return 0;
    }
    if ((s = natsInbox_Create(&inbox)) != NATS_OK) {
        lattice_fail(err, errlen, s, "nuid");
        goto out;
    }
    nuid = strrchr(inbox, '.') ? strrchr(inbox, '.') + 1 : inbox;
    snprintf(chunk_subj, sizeof chunk_subj, "$O.%s.C.%s", LATTICE_MODULES, nuid);
    for (size_t off = 0; off < size; off += CHUNK) {
        size_t n = size - off < CHUNK ? size - off : CHUNK;

        s = js_Publish(NULL, lt->js, chunk_subj, bytes + off, (int)n, NULL,
                       &jerr);
        if (s != NATS_OK) {
            lattice_fail(err, errlen, s, "object chunk");
            goto out;
        }
        chunks++;
    }
    gmtime_r(&now, &tm);
    strftime(mtime, sizeof mtime, "%Y-%m-%dT%H:%M:%SZ", &tm);
    meta = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:{s:i}}", "name",
                     name, "bucket", LATTICE_MODULES, "nuid", nuid, "size",
                     (json_int_t)size, "mtime", mtime, "chunks",
                     (json_int_t)chunks, "digest", digest, "options",
                     "max_chunk_size", CHUNK);
    text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    if (text == NULL || meta_subject(name, subj, sizeof subj) != 0) {
        snprintf(err, errlen, "%s: object meta: out of memory", name);
        goto out;
    }
    if ((s = natsMsg_Create(&m, subj, NULL, text, (int)strlen(text))) != NATS_OK ||
        (s = natsMsgHeader_Set(m, "Nats-Rollup", "sub")) != NATS_OK ||
        (s = js_PublishMsg(NULL, lt->js, m, NULL, &jerr)) != NATS_OK) {
        lattice_fail(err, errlen, s, "object meta");
        goto out;
    }
    /* The chunks of the object this one replaced are garbage now. */
    const char *old_nuid = old.nuid;
    if (old_nuid[0] && strcmp(old_nuid, nuid) != 0) {
        char old_subj[160];
        jsOptions jo;

        snprintf(old_subj, sizeof old_subj, "$O.%s.C.%s", LATTICE_MODULES,
                 old_nuid);
        jsOptions_Init(&jo);
        jo.Stream.Purge.Subject = old_subj;
        js_PurgeStream(lt->js, "OBJ_" LATTICE_MODULES, &jo, &jerr);
    }
    rc = 0;
out:
    natsMsg_Destroy(m);
    free(text);
    json_decref(meta);
    natsInbox_Destroy(inbox);
    return rc;
}

int lattice_obj_get(struct lattice *lt, const char *name, size_t max_size,
                    uint8_t **out, size_t *out_size, char *err,
                    size_t errlen)
{
    struct lattice_obj_meta meta;
    char subj[160], got[64];
    uint8_t md[32], *buf = NULL;
    size_t have = 0;
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsErrCode jerr = 0;
    EVP_MD_CTX *ctx = NULL;
    natsStatus s;
    int rc = -1, r;

    *out = NULL;
    *out_size = 0;
    if ((r = meta_get(lt, name, &meta, err, errlen)) != 0)
        return r;
    if (meta.size > max_size) {
        snprintf(err, errlen, "%s: object of %llu bytes exceeds the limit of "
                              "%zu", name, (unsigned long long)meta.size,
                 max_size);
        goto out;
    }
    if ((buf = malloc((size_t)meta.size + 1)) == NULL ||
        (ctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto out;
    }
    snprintf(subj, sizeof subj, "$O.%s.C.%s", LATTICE_MODULES, meta.nuid);
    jsSubOptions_Init(&so);
    so.Stream = "OBJ_" LATTICE_MODULES;
    so.Ordered = true;
    if (meta.chunks > 0 &&
        (s = js_SubscribeSync(&sub, lt->js, subj, NULL, &so, &jerr)) != NATS_OK) {
        lattice_fail(err, errlen, s, "object chunks");
        goto out;
    }
    for (uint64_t i = 0; i < meta.chunks; i++) {
        natsMsg *m = NULL;
        int n;

        if ((s = natsSubscription_NextMsg(&m, sub, lt->timeout_ms)) != NATS_OK) {
            lattice_fail(err, errlen, s, "object chunk");
            goto out;
        }
        n = natsMsg_GetDataLength(m);
        if ((uint64_t)have + (uint64_t)n > meta.size) {
            natsMsg_Destroy(m);
            snprintf(err, errlen, "%s: chunks exceed the size in the meta",
                     name);
            goto out;
        }
        memcpy(buf + have, natsMsg_GetData(m), (size_t)n);
        EVP_DigestUpdate(ctx, natsMsg_GetData(m), (size_t)n);
        have += (size_t)n;
        natsMsg_Destroy(m);
    }
    EVP_DigestFinal_ex(ctx, md, NULL);
    sha256_digest_b64(md, got);
    if (have != meta.size || strcmp(got, meta.digest) != 0) {
        snprintf(err, errlen, "%s: digest mismatch: the chunks hash to %s, "
                              "the meta says %s", name, got, meta.digest);
        goto out;
    }
    *out = buf;
    *out_size = have;
    buf = NULL;
    rc = 0;
out:
    if (sub) {
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
    }
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}
