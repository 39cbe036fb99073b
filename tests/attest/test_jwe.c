/* test_jwe.c - the broker's JWE (ECDH-ES+A256KW, A256GCM) as Trustee's KBS
 * writes it: the Concat KDF against RFC 7518 Appendix C, the layout of what
 * jwe_seal produces, a round trip, a refusal for every tampered field, and
 * the runtime-data digest against Trustee's own test vector.
 * `test_attest_jwe export|import DIR`: jwe_interop.sh's two halves.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "attest/kbs.h"
#include "tv.h"

/* Re-encode field `name` of the JWE after mutate() changed its bytes. */
static char *with_field(const char *jwe, const char *name,
                        void (*mutate)(uint8_t **b, size_t *n))
{
    json_t *j = json_loads(jwe, 0, NULL);
    const char *v = json_string_value(json_object_get(j, name));
    uint8_t *b = NULL;
    size_t n = 0;
    char *enc, *out = NULL;

    if (v && av_base64(v, strlen(v), &b, &n)) {
        mutate(&b, &n);
        if ((enc = av_b64url(b, n))) {
            json_object_set_new(j, name, json_string(enc));
            out = json_dumps(j, JSON_COMPACT);
            free(enc);
        }
    }
    free(b);
    json_decref(j);
    return out;
}

static void flip_first(uint8_t **b, size_t *n)
{
    if (*n)
        (*b)[0] ^= 1;
}

static void flip_last(uint8_t **b, size_t *n)
{
    if (*n)
        (*b)[*n - 1] ^= 0x80;
}

static void drop_last(uint8_t **b, size_t *n)
{
    (void)b;
    if (*n)
        (*n)--;
}

/* The same header with a space after the first brace: equal JSON, other
 * AAD. */
static void respace(uint8_t **b, size_t *n)
{
    uint8_t *c = malloc(*n + 1);

    c[0] = '{';
    c[1] = ' ';
    memcpy(c + 2, *b + 1, *n - 1);
    free(*b);
    *b = c;
    (*n)++;
}

static const char *hdr_text;   /* replacement header for replace_hdr */

static void replace_hdr(uint8_t **b, size_t *n)
{
    free(*b);
    *b = (uint8_t *)strdup(hdr_text);
    *n = strlen(hdr_text);
}

static bool opens(EVP_PKEY *k, const char *jwe, char *why, size_t cap)
{
    uint8_t *pt = NULL;
    size_t n = 0;
    bool ok = jwe && jwe_open(k, jwe, strlen(jwe), &pt, &n, why, cap) == 0;

    free(pt);
    return ok;
}

static const char interop_text[] = "secret for another implementation";

/* export DIR: a private key (PEM), a plaintext and its JWE for
 * jwe_interop.mjs; import DIR: open the JWE it wrote with that key. */
static int interop(const char *mode, const char *dir)
{
    char path[4096], why[200];
    FILE *f;
    EVP_PKEY *k = NULL;
    uint8_t *pt = NULL;
    size_t n = 0;
    long len;
    char *jwe = NULL;

    snprintf(path, sizeof path, "%s/key.pem", dir);
    if (strcmp(mode, "export") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        jwe = k ? jwe_seal(k, (const uint8_t *)interop_text,
                           strlen(interop_text)) : NULL;
        CHECK(jwe && (f = fopen(path, "w")) &&
                  PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1 &&
                  fclose(f) == 0, "write %s", path);
        snprintf(path, sizeof path, "%s/plaintext", dir);
        CHECK((f = fopen(path, "w")) && fputs(interop_text, f) >= 0 &&
                  fclose(f) == 0, "write %s", path);
        snprintf(path, sizeof path, "%s/seal.jwe", dir);
        CHECK(jwe && (f = fopen(path, "w")) && fputs(jwe, f) >= 0 &&
                  fclose(f) == 0, "write %s", path);
    } else {
        CHECK((f = fopen(path, "r")) &&
                  (k = PEM_read_PrivateKey(f, NULL, NULL, NULL)) &&
                  fclose(f) == 0, "read %s", path);
        snprintf(path, sizeof path, "%s/node.jwe", dir);
        CHECK((f = fopen(path, "r")) && fseek(f, 0, SEEK_END) == 0 &&
                  (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
                  (jwe = calloc(1, (size_t)len + 1)) &&
                  fread(jwe, 1, (size_t)len, f) == (size_t)len &&
                  fclose(f) == 0, "read %s", path);
        CHECK(k && jwe &&
                  jwe_open(k, jwe, strlen(jwe), &pt, &n, why, sizeof why) ==
                      0 &&
                  n == strlen(interop_text) &&
                  memcmp(pt, interop_text, n) == 0,
              "open node's JWE: %s", why);
        if (!tv_failures)
            printf("the broker's client opened node's JWE\n");
        free(pt);
    }
    free(jwe);
    EVP_PKEY_free(k);
    return tv_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    /* RFC 7518 Appendix C: Z, "A128GCM", apu "Alice", apv "Bob", 128 bits. */
    static const uint8_t z[32] = {
        158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,
        131, 191, 132, 38,  156, 251, 49,  110, 163, 218, 128,
        106, 72,  246, 218, 167, 121, 140, 254, 144, 196};
    static const uint8_t want[16] = {86, 170, 141, 234, 248, 35, 109, 32,
                                     92, 34,  40,  205, 113, 167, 16, 26};
    static const char *secret = "the database password";
    uint8_t k[16], *pt = NULL, *b = NULL, rd[64];
    size_t n = 0;
    char why[200], hex[97];
    EVP_PKEY *me, *other;
    char *jwe, *bad;
    json_t *j, *h;

    if (argc == 3)
        return interop(argv[1], argv[2]);
    me = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    CHECK(jwe_concat_kdf(z, sizeof z, "A128GCM", (const uint8_t *)"Alice", 5,
                         (const uint8_t *)"Bob", 3, k, sizeof k) &&
              memcmp(k, want, 16) == 0,
          "Concat KDF: RFC 7518 Appendix C");
    CHECK(jwe_concat_kdf(z, sizeof z, "A128GCM", NULL, 0, NULL, 0, k,
                         sizeof k) && memcmp(k, want, 16) != 0,
          "Concat KDF: the party infos count");

    /* ---- Layout: Trustee's flattened serialisation ---------------------- */
    jwe = jwe_seal(me, (const uint8_t *)secret, strlen(secret));
    CHECK(jwe != NULL, "seal");
    if (!jwe || !me || !other)
        return tv_done("jwe");
    j = json_loads(jwe, 0, NULL);
    CHECK(json_object_size(j) == 5 && json_object_get(j, "protected") &&
              json_object_get(j, "encrypted_key") && json_object_get(j, "iv") &&
              json_object_get(j, "ciphertext") && json_object_get(j, "tag"),
          "fields: %s", jwe);
    {
        const char *p = json_string_value(json_object_get(j, "protected"));
        CHECK(p && av_base64(p, strlen(p), &b, &n), "protected decodes");
        h = b ? json_loadb((const char *)b, n, 0, NULL) : NULL;
        json_t *epk = json_object_get(h, "epk");
        CHECK(json_object_size(h) == 3 &&
                  !strcmp(json_string_value(json_object_get(h, "alg")),
                          "ECDH-ES+A256KW") &&
                  !strcmp(json_string_value(json_object_get(h, "enc")),
                          "A256GCM") &&
                  json_object_size(epk) == 4 &&
                  !strcmp(json_string_value(json_object_get(epk, "kty")),
                          "EC") &&
                  !strcmp(json_string_value(json_object_get(epk, "crv")),
                          "P-256"),
              "protected header: %.*s", (int)n, (const char *)b);
        json_decref(h);
        free(b);
        b = NULL;
        const char *ek = json_string_value(json_object_get(j,
                                                           "encrypted_key"));
        CHECK(ek && av_base64(ek, strlen(ek), &b, &n) && n == 40,
              "encrypted_key: an A256KW-wrapped 256-bit key (40 bytes)");
        free(b);
    }
    json_decref(j);

    /* ---- Round trip ------------------------------------------------------ */
    CHECK(jwe_open(me, jwe, strlen(jwe), &pt, &n, why, sizeof why) == 0 &&
              n == strlen(secret) && memcmp(pt, secret, n) == 0,
          "round trip: %s", why);
    free(pt);
    CHECK(!opens(other, jwe, why, sizeof why) && strstr(why, "unwrap"),
          "another key: %s", why);
    {
        char *e = jwe_seal(me, (const uint8_t *)"", 0);
        pt = NULL;
        CHECK(e && jwe_open(me, e, strlen(e), &pt, &n, why, sizeof why) == 0 &&
                  n == 0, "empty plaintext round trip");
        free(pt);
        free(e);
    }

    /* ---- Every field tampered -------------------------------------------- */
    static const char *fields[] = {"protected", "encrypted_key", "iv",
                                   "ciphertext", "tag"};
    for (size_t i = 0; i < 5; i++) {
        bad = with_field(jwe, fields[i], flip_first);
        CHECK(bad && !opens(me, bad, why, sizeof why), "%s first byte",
              fields[i]);
        free(bad);
        bad = with_field(jwe, fields[i], flip_last);
        CHECK(bad && !opens(me, bad, why, sizeof why), "%s last byte",
              fields[i]);
        free(bad);
        bad = with_field(jwe, fields[i], drop_last);
        CHECK(bad && !opens(me, bad, why, sizeof why), "%s truncated",
              fields[i]);
        free(bad);
        /* the field missing */
        j = json_loads(jwe, 0, NULL);
        json_object_del(j, fields[i]);
        bad = json_dumps(j, JSON_COMPACT);
        CHECK(!opens(me, bad, why, sizeof why) && strstr(why, "flattened"),
              "%s missing: %s", fields[i], why);
        free(bad);
        json_decref(j);
    }
    bad = with_field(jwe, "encrypted_key", flip_last);
    CHECK(!opens(me, bad, why, sizeof why) && strstr(why, "unwrap"),
          "wrapped key integrity: %s", why);
    free(bad);
    bad = with_field(jwe, "ciphertext", flip_first);
    CHECK(!opens(me, bad, why, sizeof why) && strstr(why, "tag"),
          "ciphertext under the tag: %s", why);
    free(bad);
    bad = with_field(jwe, "protected", respace);
    CHECK(!opens(me, bad, why, sizeof why) && strstr(why, "tag"),
          "the protected header is the AAD: %s", why);
    free(bad);

    /* Another epk, alg or enc in the header. */
    {
        json_t *o = json_loads(jwe, 0, NULL), *hd;
        const char *p = json_string_value(json_object_get(o, "protected"));
        b = NULL;
        CHECK(av_base64(p, strlen(p), &b, &n), "header");
        hd = json_loadb((const char *)b, n, 0, NULL);
        free(b);
        struct { const char *key; json_t *val; const char *why; } cases[] = {
            {"epk", jwe_jwk(other), "unwrap"},
            {"alg", json_string("ECDH-ES"), "want alg"},
            {"alg", json_string("ECDH-ES+A128KW"), "want alg"},
            {"enc", json_string("A128GCM"), "want alg"},
        };
        for (size_t i = 0; i < 4; i++) {
            json_t *c = json_deep_copy(hd);
            char *t;
            json_object_set_new(c, cases[i].key, cases[i].val);
            t = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
            hdr_text = t;
            bad = with_field(jwe, "protected", replace_hdr);
            CHECK(!opens(me, bad, why, sizeof why) &&
                      strstr(why, cases[i].why),
                  "header %s replaced: %s", cases[i].key, why);
            free(bad);
            free(t);
            json_decref(c);
        }
        json_decref(hd);
        json_decref(o);
    }
    free(jwe);

    /* ---- Runtime data: Trustee's parse_runtime_data test vector ---------- */
    j = json_loads("{\"b\": 1, \"a\": \"test\", \"c\": {\"d\": \"e\"}}", 0,
                   NULL);
    memset(rd, 0xee, sizeof rd);
    CHECK(kbs_runtime_digest(j, rd), "runtime digest");
    av_hex(rd, 48, hex);
    CHECK(!strcmp(hex, "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f"
                       "3f525cd22c4597480a186427c813ca941da78870c3"),
          "SHA-384 of the canonical JSON: %s", hex);
    {
        static const uint8_t zero[16];
        CHECK(memcmp(rd + 48, zero, 16) == 0, "zero-padded to 64 bytes");
    }
    json_decref(j);

    EVP_PKEY_free(me);
    EVP_PKEY_free(other);
    return tv_done("jwe");
}
