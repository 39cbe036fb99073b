/* cca.c - verify Arm CCA attestation tokens with libcbor and OpenSSL.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Order: decode everything; the realm token's signature with its RAK; the
 * binding of the RAK to the platform challenge; the platform token's
 * signature with the CPAK from the trust anchor (JWK, Veraison tastore
 * array, or PEM), whose implementation and instance ids must match.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>

#include "cca.h"

enum {
    CCA_TAG_COLLECTION = 399,
    CCA_PLATFORM = 44234,
    CCA_REALM = 44241,
    COSE_SIGN1_TAG = 18,
};

typedef struct cose {
    cbor_item_t *root;          /* the whole COSE_Sign1 (owned) */
    cbor_item_t *protected_, *payload, *signature;  /* borrowed */
    int64_t alg;
    cbor_item_t *claims;        /* decoded payload (owned) */
} cose;

static void cose_free(cose *c)
{
    if (c->root)
        cbor_decref(&c->root);
    if (c->claims)
        cbor_decref(&c->claims);
}

/* cbor_load allocates a definite array or map's declared size before
 * reading it, so a few bytes could ask for gigabytes. A first pass with
 * libcbor's streaming decoder refuses any collection that declares more
 * elements than there are bytes left. */
typedef struct guard {
    size_t left;
    bool bad;
} guard;

static void guard_array(void *ctx, size_t n)
{
    guard *g = ctx;
    g->bad |= n > g->left;
}

static void guard_map(void *ctx, size_t n)
{
    guard *g = ctx;
    g->bad |= n > g->left / 2;
}

static bool sane(const uint8_t *p, size_t n)
{
    struct cbor_callbacks cb = cbor_empty_callbacks;
    struct cbor_decoder_result r;
    guard g = {0, false};
    size_t off = 0;

    cb.array_start = guard_array;
    cb.map_start = guard_map;
    while (off < n) {
        g.left = n - off;
        r = cbor_stream_decode(p + off, n - off, &cb, &g);
        if (r.status != CBOR_DECODER_FINISHED || g.bad || r.read == 0)
            return false;
        off += r.read;
    }
    return true;
}

static cbor_item_t *load(const uint8_t *p, size_t n)
{
    struct cbor_load_result r;
    cbor_item_t *it = sane(p, n) ? cbor_load(p, n, &r) : NULL;

    if (it != NULL && (r.error.code != CBOR_ERR_NONE || r.read != n))
        cbor_decref(&it);
    return it;
}

/* libcbor 0.8 (Debian 12) rejects the one-byte heads of tags 6..20
 * (0xc6..0xd4) as malformed, and COSE_Sign1 is tag 18 (0xd2). Give it
 * the equivalent two-byte head (0xd8 n) of the same tag. */
static cbor_item_t *load_tagged(const uint8_t *p, size_t n)
{
    cbor_item_t *it;
    uint8_t *q;

    if (n == 0 || p[0] < 0xc6 || p[0] > 0xd4 || (q = malloc(n + 1)) == NULL)
        return load(p, n);
    q[0] = 0xd8;
    q[1] = (uint8_t)(p[0] - 0xc0);
    memcpy(q + 2, p + 1, n - 1);
    it = load(q, n + 1);
    free(q);
    return it;
}

static bool is_bytes(const cbor_item_t *it)
{
    return it && cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

static bool int_of(const cbor_item_t *it, int64_t *out)
{
    if (it == NULL)
        return false;
    if (cbor_isa_uint(it) && cbor_get_int(it) <= INT64_MAX) {
        *out = (int64_t)cbor_get_int(it);
        return true;
    }
    if (cbor_isa_negint(it) && cbor_get_int(it) < INT64_MAX) {
        *out = -1 - (int64_t)cbor_get_int(it);
        return true;
    }
    return false;
}

/* The value of integer key k in a definite map (borrowed), or NULL. */
static cbor_item_t *get(const cbor_item_t *map, int64_t k)
{
    struct cbor_pair *pairs;
    int64_t v;

    if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map))
        return NULL;
    pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++)
        if (int_of(pairs[i].key, &v) && v == k)
            return pairs[i].value;
    return NULL;
}

static bool get_bytes(const cbor_item_t *map, int64_t k, uint8_t *out,
                      uint32_t *len, size_t cap)
{
    cbor_item_t *v = get(map, k);

    if (!is_bytes(v) || cbor_bytestring_length(v) > cap)
        return false;
    *len = (uint32_t)cbor_bytestring_length(v);
    memcpy(out, cbor_bytestring_handle(v), *len);
    return true;
}

static bool get_text(const cbor_item_t *map, int64_t k, char *out, size_t cap)
{
    cbor_item_t *v = get(map, k);
    size_t n;

    if (v == NULL || !cbor_isa_string(v) || !cbor_string_is_definite(v))
        return false;
    n = cbor_string_length(v);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, cbor_string_handle(v), n);
    out[n] = '\0';
    return true;
}

static int cose_parse(const cbor_item_t *bstr, const char *what, cose *out,
                      av_err *e)
{
    cose c;
    cbor_item_t *inner, *prot;
    int64_t alg;

    memset(&c, 0, sizeof c);
    if (!is_bytes(bstr))
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA %s token: not a byte string", what);
    c.root = load_tagged(cbor_bytestring_handle(bstr),
                         cbor_bytestring_length(bstr));
    if (c.root == NULL)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA %s token: not CBOR", what);
    inner = c.root;
    if (cbor_isa_tag(inner)) {
        uint64_t tag = cbor_tag_value(inner);
        if (tag != COSE_SIGN1_TAG) {
            cose_free(&c);
            return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                           "CCA %s token: CBOR tag %llu, not COSE_Sign1 (18)",
                           what, (unsigned long long)tag);
        }
        inner = cbor_tag_item(c.root);    /* a new reference: drop it, */
        cbor_intermediate_decref(inner);  /* the tag still owns the item */
    }
    if (!cbor_isa_array(inner) || !cbor_array_is_definite(inner) ||
        cbor_array_size(inner) != 4) {
        cose_free(&c);
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA %s token: not a 4-element COSE_Sign1", what);
    }
    c.protected_ = cbor_array_handle(inner)[0];
    c.payload = cbor_array_handle(inner)[2];
    c.signature = cbor_array_handle(inner)[3];
    if (!is_bytes(c.protected_) || !is_bytes(c.payload) ||
        !is_bytes(c.signature) ||
        (prot = load(cbor_bytestring_handle(c.protected_),
                     cbor_bytestring_length(c.protected_))) == NULL) {
        cose_free(&c);
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA %s token: bad COSE_Sign1 fields", what);
    }
    bool have_alg = int_of(get(prot, 1), &alg);
    cbor_decref(&prot);
    if (!have_alg) {
        cose_free(&c);
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA %s token: no alg in the protected header", what);
    }
    c.alg = alg;
    if ((c.claims = load(cbor_bytestring_handle(c.payload),
                         cbor_bytestring_length(c.payload))) == NULL ||
        !cbor_isa_map(c.claims)) {
        cose_free(&c);
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA %s token: payload is not a CBOR map", what);
    }
    *out = c;
    return MANTLE_VERIFY_OK;
}

/* COSE_Sign1 verification: Sig_structure = ["Signature1", protected,
 * h'', payload] (RFC 9052 4.4), ECDSA r || s. */
static int cose_verify(const cose *c, EVP_PKEY *key, const char *what,
                       av_err *e)
{
    static const unsigned char empty[1];
    const EVP_MD *md;
    size_t half;
    cbor_item_t *s = cbor_new_definite_array(4);
    unsigned char *buf = NULL;
    size_t cap = 0, n;
    int ok;

    switch (c->alg) {
    case -7: md = EVP_sha256(); half = 32; break;
    case -35: md = EVP_sha384(); half = 48; break;
    case -36: md = EVP_sha512(); half = 66; break;
    default:
        if (s)
            cbor_decref(&s);
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "CCA %s token: COSE alg %lld (ES256/384/512 only)",
                       what, (long long)c->alg);
    }
    if (s == NULL ||
        !cbor_array_push(s, cbor_move(cbor_build_string("Signature1"))) ||
        !cbor_array_push(s, c->protected_) ||
        !cbor_array_push(s, cbor_move(cbor_build_bytestring(empty, 0))) ||
        !cbor_array_push(s, c->payload) ||
        (n = cbor_serialize_alloc(s, &buf, &cap)) == 0) {
        if (s)
            cbor_decref(&s);
        free(buf);
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "out of memory");
    }
    cbor_decref(&s);
    ok = cbor_bytestring_length(c->signature) == 2 * half
             ? av_ecdsa_verify_rs(key, md, buf, n,
                                  cbor_bytestring_handle(c->signature), half)
             : 0;
    free(buf);
    if (ok != 1)
        return av_fail(e, MANTLE_VERIFY_SIGNATURE,
                       "CCA %s token signature does not verify with the %s",
                       what, strcmp(what, "realm") == 0 ? "RAK" : "CPAK");
    return MANTLE_VERIFY_OK;
}

static int platform_claims(const cbor_item_t *m, cca_token *t, av_err *e)
{
    cbor_item_t *sw = get(m, 2399), *lc = get(m, 2395);
    int64_t v;

    get_text(m, 265, t->profile, sizeof t->profile);
    if (!get_bytes(m, 10, t->challenge, &t->challenge_len, 64) ||
        !get_bytes(m, 2396, t->implementation_id, &t->implementation_id_len,
                   64) ||
        !get_bytes(m, 256, t->instance_id, &t->instance_id_len, 64) ||
        lc == NULL || !int_of(lc, &v) || v < 0)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA platform token: challenge, implementation id, "
                       "instance id or lifecycle missing");
    t->lifecycle = (uint64_t)v;
    get_bytes(m, 2401, t->config, &t->config_len, 64);
    get_text(m, 2402, t->platform_hash_algo, sizeof t->platform_hash_algo);
    get_text(m, 2400, t->verification_service, sizeof t->verification_service);
    if (sw != NULL && cbor_isa_array(sw) && cbor_array_is_definite(sw)) {
        for (size_t i = 0; i < cbor_array_size(sw) && t->nsw < CCA_MAX_SW;
             i++) {
            cbor_item_t *c = cbor_array_handle(sw)[i];
            cca_sw_component *s = &t->sw[t->nsw];
            if (!get_bytes(c, 2, s->measurement, &s->measurement_len, 64))
                return av_fail(e, MANTLE_VERIFY_MALFORMED,
                               "CCA platform token: software component %zu "
                               "has no measurement",
                               i);
            get_text(c, 1, s->type, sizeof s->type);
            get_bytes(c, 5, s->signer_id, &s->signer_len, 64);
            t->nsw++;
        }
    }
    return MANTLE_VERIFY_OK;
}

static int realm_claims(const cbor_item_t *m, cca_token *t, av_err *e)
{
    cbor_item_t *rems = get(m, 44239);

    if (!get_bytes(m, 10, t->realm_challenge, &t->realm_challenge_len, 64) ||
        !get_bytes(m, 44238, t->rim, &t->rim_len, 64) ||
        !get_bytes(m, 44237, t->rak, &t->rak_len, sizeof t->rak) ||
        !get_text(m, 44240, t->rak_hash_algo, sizeof t->rak_hash_algo))
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA realm token: challenge, RIM, RAK or RAK hash "
                       "algorithm missing");
    get_bytes(m, 44235, t->personalization, &t->personalization_len, 64);
    get_text(m, 44236, t->hash_algo, sizeof t->hash_algo);
    if (rems == NULL || !cbor_isa_array(rems) ||
        !cbor_array_is_definite(rems) || cbor_array_size(rems) != 4)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA realm token: not four REMs");
    for (int i = 0; i < 4; i++) {
        cbor_item_t *r = cbor_array_handle(rems)[i];
        if (!is_bytes(r) || cbor_bytestring_length(r) > 64)
            return av_fail(e, MANTLE_VERIFY_MALFORMED,
                           "CCA realm token: REM%d", i);
        t->rem_len[i] = (uint32_t)cbor_bytestring_length(r);
        memcpy(t->rem[i], cbor_bytestring_handle(r), t->rem_len[i]);
    }
    return MANTLE_VERIFY_OK;
}

static int parse_all(const uint8_t *buf, size_t len, cca_token *t,
                     cose *plat, cose *realm, av_err *e)
{
    cbor_item_t *root, *map;
    int rc;

    memset(t, 0, sizeof *t);
    memset(plat, 0, sizeof *plat);
    memset(realm, 0, sizeof *realm);
    if ((root = load(buf, len)) == NULL)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "CCA token: not a complete CBOR item (%zu bytes)", len);
    if (!cbor_isa_tag(root) || cbor_tag_value(root) != CCA_TAG_COLLECTION) {
        cbor_decref(&root);
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "CCA token: not a CBOR tag-399 CCA collection");
    }
    map = cbor_tag_item(root);
    if ((rc = cose_parse(get(map, CCA_PLATFORM), "platform", plat, e)) == 0 &&
        (rc = cose_parse(get(map, CCA_REALM), "realm", realm, e)) == 0 &&
        (rc = platform_claims(plat->claims, t, e)) == 0)
        rc = realm_claims(realm->claims, t, e);
    cbor_decref(&map);
    cbor_decref(&root);
    return rc;
}

int cca_token_parse(const uint8_t *buf, size_t len, cca_token *out,
                    av_err *e)
{
    cca_token t;
    cose p, r;
    int rc = parse_all(buf, len, &t, &p, &r, e);

    cose_free(&p);
    cose_free(&r);
    if (rc == 0)
        *out = t;
    return rc;
}

int cca_check_binding(const uint8_t *challenge, size_t challenge_len,
                      const uint8_t *rak, size_t rak_len, const char *alg,
                      av_err *e)
{
    const EVP_MD *md = strcmp(alg, "sha-256") == 0   ? EVP_sha256()
                       : strcmp(alg, "sha-384") == 0 ? EVP_sha384()
                       : strcmp(alg, "sha-512") == 0 ? EVP_sha512()
                                                     : NULL;
    uint8_t h[64];

    if (md == NULL)
        return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                       "CCA realm token: RAK hash algorithm \"%s\"", alg);
    if (!av_digest(md, rak, rak_len, h) ||
        challenge_len != (size_t)EVP_MD_get_size(md) ||
        CRYPTO_memcmp(h, challenge, challenge_len) != 0)
        return av_fail(e, MANTLE_VERIFY_BINDING,
                       "CCA platform challenge is not %s(RAK)", alg);
    return MANTLE_VERIFY_OK;
}

/* The CPAK from a JWK object. */
static EVP_PKEY *jwk_key(json_t *jwk)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *x = json_string_value(json_object_get(jwk, "x"));
    const char *y = json_string_value(json_object_get(jwk, "y"));
    uint8_t *bx = NULL, *by = NULL, xy[132];
    size_t nx, ny, n;
    EVP_PKEY *k = NULL;

    if (crv == NULL || x == NULL || y == NULL)
        return NULL;
    n = strcmp(crv, "P-256") == 0 ? 32 : strcmp(crv, "P-384") == 0 ? 48
        : strcmp(crv, "P-521") == 0 ? 66 : 0;
    if (n && av_base64(x, strlen(x), &bx, &nx) &&
        av_base64(y, strlen(y), &by, &ny) && nx == n && ny == n) {
        memcpy(xy, bx, n);
        memcpy(xy + n, by, n);
        k = av_ec_key(crv, xy, n);
    }
    free(bx);
    free(by);
    return k;
}

static bool hex_matches(json_t *v, const uint8_t *p, size_t n)
{
    uint8_t buf[64];

    return n <= sizeof buf && av_unhex(json_string_value(v), buf, n) &&
           memcmp(buf, p, n) == 0;
}

/* The CPAK for this platform from the trust anchor blob. */
static int cpak(const mantle_blob *root, const cca_token *t, EVP_PKEY **out,
                av_err *e)
{
    json_t *doc, *entry, *pick = NULL;
    size_t i;

    if (root->data == NULL)
        return av_fail(e, MANTLE_VERIFY_MISSING,
                       "CCA: no CPAK given (--root: JWK, tastore or PEM)");
    if ((doc = json_loadb((const char *)root->data, root->len, 0, NULL)) ==
        NULL) {
        if ((*out = av_pubkey_load(root->data, root->len)) == NULL)
            return av_fail(e, MANTLE_VERIFY_MALFORMED,
                           "%s: not a JWK, tastore or PEM public key",
                           root->name ? root->name : "root");
        return MANTLE_VERIFY_OK;
    }
    if (json_is_array(doc)) {
        /* A Veraison tastore: pick the platform's entry by instance id. */
        json_array_foreach(doc, i, entry) {
            json_t *inst = json_object_get(entry, "instance-id");
            if (inst == NULL ||
                hex_matches(inst, t->instance_id, t->instance_id_len)) {
                pick = entry;
                break;
            }
        }
        if (pick == NULL) {
            json_decref(doc);
            return av_fail(e, MANTLE_VERIFY_MISSING,
                           "CCA: no trust anchor for this instance id");
        }
        json_t *impl = json_object_get(pick, "implementation-id");
        if (impl != NULL &&
            !hex_matches(impl, t->implementation_id,
                         t->implementation_id_len)) {
            json_decref(doc);
            return av_fail(e, MANTLE_VERIFY_BINDING,
                           "CCA: implementation id differs from the trust "
                           "anchor's");
        }
        *out = jwk_key(json_object_get(pick, "pkey"));
    } else {
        *out = jwk_key(doc);
    }
    json_decref(doc);
    if (*out == NULL)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "%s: CPAK is not an EC JWK on its curve",
                       root->name ? root->name : "root");
    return MANTLE_VERIFY_OK;
}

int cca_verify(const mantle_verify_input *in, cca_token *out_token,
               mantle_claims *out_claims, av_err *e)
{
    static const char *const rem[4] = {"rem0", "rem1", "rem2", "rem3"};
    cca_token t;
    cose plat, realm;
    EVP_PKEY *rak = NULL, *cp = NULL;
    mantle_claims c;
    int rc;

    if ((rc = parse_all(in->evidence.data, in->evidence.len, &t, &plat,
                        &realm, e)))
        goto out;
    if (t.rak_len < 1 || t.rak[0] != 0x04 || (t.rak_len - 1) % 2 != 0 ||
        (rak = av_ec_key(t.rak_len == 97 ? "P-384"
                         : t.rak_len == 65 ? "P-256"
                                           : "P-521",
                         t.rak + 1, (t.rak_len - 1) / 2)) == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                     "CCA realm token: RAK is not an uncompressed EC point");
        goto out;
    }
    if ((rc = cose_verify(&realm, rak, "realm", e)) ||
        (rc = cca_check_binding(t.challenge, t.challenge_len, t.rak,
                                t.rak_len, t.rak_hash_algo, e)) ||
        (rc = cpak(&in->root, &t, &cp, e)) ||
        (rc = cose_verify(&plat, cp, "platform", e)))
        goto out;
    av_claims_init(&c, MANTLE_TEE_CCA);
    c.version = 1;
    c.measurement_len = t.rim_len;
    memcpy(c.measurement, t.rim, t.rim_len);
    c.report_data_len = t.realm_challenge_len;
    memcpy(c.report_data, t.realm_challenge, t.realm_challenge_len);
    /* Security lifecycle: only "secured" (0x3000-0x30ff) is production. */
    c.debug = !(t.lifecycle >= 0x3000 && t.lifecycle <= 0x30ff);
    for (int i = 0; i < 4; i++)
        av_claims_add(&c, rem[i], t.rem[i], t.rem_len[i]);
    av_claims_add(&c, "personalization", t.personalization,
                  t.personalization_len);
    av_claims_add(&c, "implementation", t.implementation_id,
                  t.implementation_id_len);
    av_claims_add(&c, "instance_id", t.instance_id, t.instance_id_len);
    av_claims_add(&c, "platform_config", t.config, t.config_len);
    if ((rc = av_check_report_data(in, &c, e)))
        goto out;
    if (out_token)
        *out_token = t;
    *out_claims = c;
out:
    EVP_PKEY_free(rak);
    EVP_PKEY_free(cp);
    cose_free(&plat);
    cose_free(&realm);
    return rc;
}

int av_verify_cca(const mantle_verify_input *in, mantle_claims *out,
                  av_err *e)
{
    return cca_verify(in, NULL, out, e);
}
