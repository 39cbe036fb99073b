/* common.c - helpers every evidence verifier shares: hex, time, keys,
 * signatures, certificate chains, claims.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "av.h"

int av_fail(av_err *e, mantle_verify_reason reason, const char *fmt, ...)
{
    va_list ap;

    e->reason = reason;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    ERR_clear_error();
    return (int)reason;
}

int av_diag(mantle_diag *diag, int status, const char *fmt, ...)
{
    va_list ap;

    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
        diag->status = status;
        diag->func_index = diag->offset = UINT32_MAX;
        va_start(ap, fmt);
        vsnprintf(diag->message, sizeof diag->message, fmt, ap);
        va_end(ap);
    }
    ERR_clear_error();
    return status;
}

/* ---- Digests and hex --------------------------------------------------- */

bool av_digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out)
{
    return EVP_Digest(data, len, out, NULL, md, NULL) == 1;
}

void av_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool av_unhex(const char *s, uint8_t *out, size_t n)
{
    if (s == NULL || strlen(s) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool av_is_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

bool av_base64(const char *s, size_t len, uint8_t **out, size_t *out_len)
{
    char *t;
    uint8_t *buf;
    size_t n = 0, pad;
    int got;

    /* Translate the URL alphabet and re-pad: EVP_DecodeBlock wants both. */
    if (len > SIZE_MAX / 2 || (t = malloc(len + 4)) == NULL)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '=')
            break;
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                   (c >= '0' && c <= '9') || c == '+' || c == '/')) {
            free(t);
            return false;
        }
        t[n++] = c;
    }
    if (n % 4 == 1) {
        free(t);
        return false;
    }
    pad = (4 - n % 4) % 4;
    for (size_t i = 0; i < pad; i++)
        t[n++] = '=';
    if ((buf = malloc(n / 4 * 3 + 1)) == NULL) {
        free(t);
        return false;
    }
    got = n ? EVP_DecodeBlock(buf, (const unsigned char *)t, (int)n) : 0;
    free(t);
    if (got < 0 || (size_t)got < pad) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = (size_t)got - pad;
    return true;
}

/* base64url without padding into a new string. */
char *av_b64url(const uint8_t *p, size_t n)
{
    char *s = malloc(4 * ((n + 2) / 3) + 1);
    int len;

    if (s == NULL)
        return NULL;
    len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);
    while (len > 0 && s[len - 1] == '=')
        len--;
    s[len] = '\0';
    for (int i = 0; i < len; i++)
        s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    return s;
}

/* ---- Time -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

bool av_time_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, n = 0;
    int64_t t;
    const char *p;

    if (s == NULL || sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d,
                            &h, &mi, &sec, &n) != 6 || n != 19)
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60 || h < 0 || mi < 0 || sec < 0)
        return false;
    t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
        mi * 60 + sec;
    p = s + n;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        *out = t;
        return true;
    }
    if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = (p[1] - '0') * 10 + (p[2] - '0');
        int om = (p[4] - '0') * 10 + (p[5] - '0');
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        t -= (*p == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
        *out = t;
        return true;
    }
    return false;
}

/* ---- Keys and signatures ------------------------------------------------ */

EVP_PKEY *av_ec_key(const char *curve, const uint8_t *xy, size_t n)
{
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    uint8_t point[1 + 2 * 66];

    if (n > 66)
        return NULL;
    point[0] = 0x04;
    memcpy(point + 1, xy, 2 * n);
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                         curve, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
                                          1 + 2 * n) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    if (key != NULL) {
        /* fromdata does not check the point is on the curve; do. */
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        if (c == NULL || EVP_PKEY_public_check(c) != 1) {
            EVP_PKEY_free(key);
            key = NULL;
        }
        EVP_PKEY_CTX_free(c);
    }
    ERR_clear_error();
    return key;
}

int av_sig_verify(EVP_PKEY *key, const EVP_MD *md, const void *data,
                  size_t len, const uint8_t *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int r = -1;

    if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1)
        r = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1 ? 1 : 0;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return r;
}

int av_ecdsa_verify_rs(EVP_PKEY *key, const EVP_MD *md, const void *data,
                       size_t len, const uint8_t *rs, size_t half)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(rs + half, (int)half, NULL);
    unsigned char *der = NULL;
    int derlen, ok = -1;

    if (sig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return -1;
    }
    if ((derlen = i2d_ECDSA_SIG(sig, &der)) > 0)
        ok = av_sig_verify(key, md, data, len, der, (size_t)derlen);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return ok;
}

/* ---- Certificates, chains and CRLs ------------------------------------ */

static bool is_pem(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i + 11 <= len; i++)
        if (memcmp(buf + i, "-----BEGIN ", 11) == 0)
            return true;
    return false;
}

int av_certs_load(const uint8_t *buf, size_t len, STACK_OF(X509) **sk)
{
    int n = 0;
    X509 *x;

    if (len > INT32_MAX)
        return 0;
    if (*sk == NULL && (*sk = sk_X509_new_null()) == NULL)
        return 0;
    if (is_pem(buf, len)) {
        BIO *bio = BIO_new_mem_buf(buf, (int)len);
        while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            if (!sk_X509_push(*sk, x)) {
                X509_free(x);
                break;
            }
            n++;
        }
        BIO_free(bio);
    } else {
        const unsigned char *p = buf;
        if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
            if (sk_X509_push(*sk, x))
                n++;
            else
                X509_free(x);
        }
    }
    ERR_clear_error();
    return n;
}

int av_crls_load(const uint8_t *buf, size_t len, STACK_OF(X509_CRL) **sk)
{
    int n = 0;
    X509_CRL *c;

    if (len > INT32_MAX)
        return 0;
    if (*sk == NULL && (*sk = sk_X509_CRL_new_null()) == NULL)
        return 0;
    if (is_pem(buf, len)) {
        BIO *bio = BIO_new_mem_buf(buf, (int)len);
        while (bio &&
               (c = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
            if (!sk_X509_CRL_push(*sk, c)) {
                X509_CRL_free(c);
                break;
            }
            n++;
        }
        BIO_free(bio);
    } else {
        const unsigned char *p = buf;
        if ((c = d2i_X509_CRL(NULL, &p, (long)len)) != NULL &&
            p == buf + len) {
            if (sk_X509_CRL_push(*sk, c))
                n++;
            else
                X509_CRL_free(c);
        } else {
            X509_CRL_free(c);
        }
    }
    ERR_clear_error();
    return n;
}

EVP_PKEY *av_pubkey_load(const uint8_t *buf, size_t len)
{
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *sk = NULL;

    if (len > INT32_MAX)
        return NULL;
    if (is_pem(buf, len)) {
        BIO *bio = BIO_new_mem_buf(buf, (int)len);
        if (bio)
            key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
    } else {
        const unsigned char *p = buf;
        key = d2i_PUBKEY(NULL, &p, (long)len);
    }
    if (key == NULL && av_certs_load(buf, len, &sk) > 0)
        key = X509_get_pubkey(sk_X509_value(sk, 0));
    sk_X509_pop_free(sk, X509_free);
    ERR_clear_error();
    return key;
}

bool av_is_self_signed(X509 *x)
{
    bool r = X509_check_issued(x, x) == X509_V_OK;
    ERR_clear_error();
    return r;
}

bool av_cert_fingerprint(X509 *x, uint8_t out[32])
{
    unsigned int n = 0;

    return X509_digest(x, EVP_sha256(), out, &n) == 1 && n == 32;
}

static mantle_verify_reason chain_reason(int err)
{
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return MANTLE_VERIFY_EXPIRED;
    case X509_V_ERR_CERT_REVOKED:
        return MANTLE_VERIFY_REVOKED;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
        return MANTLE_VERIFY_CRL;
    default:
        return MANTLE_VERIFY_CHAIN;
    }
}

int av_chain_verify(X509 *leaf, STACK_OF(X509) *untrusted,
                    STACK_OF(X509) *roots, STACK_OF(X509_CRL) *crls,
                    int64_t t, const char *what, av_err *e)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_VERIFY_PARAM *param;
    int rc, err = 0, depth = 0;
    char subject[160] = "?";

    if (store == NULL || ctx == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_CHAIN, "%s: out of memory", what);
        goto out;
    }
    for (int i = 0; i < sk_X509_num(roots); i++)
        X509_STORE_add_cert(store, sk_X509_value(roots, i));
    if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
        rc = av_fail(e, MANTLE_VERIFY_CHAIN, "%s: cannot set up", what);
        goto out;
    }
    param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)t);
    if (crls != NULL) {
        X509_STORE_CTX_set0_crls(ctx, crls);
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK |
                                               X509_V_FLAG_CRL_CHECK_ALL);
    }
    if (X509_verify_cert(ctx) == 1) {
        rc = MANTLE_VERIFY_OK;
        goto out;
    }
    err = X509_STORE_CTX_get_error(ctx);
    depth = X509_STORE_CTX_get_error_depth(ctx);
    X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
    if (bad != NULL)
        X509_NAME_oneline(X509_get_subject_name(bad), subject, sizeof subject);
    rc = av_fail(e, chain_reason(err), "%s: certificate %s (depth %d): %s",
                 what, subject, depth, X509_verify_cert_error_string(err));
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return rc;
}

int av_roots(const mantle_blob *root, STACK_OF(X509) *pool,
             const uint8_t (*pins)[32], size_t npins, const char *vendor,
             STACK_OF(X509) **out_roots, av_err *e)
{
    STACK_OF(X509) *roots = NULL;
    uint8_t fp[32];

    if (root != NULL && root->data != NULL) {
        if (av_certs_load(root->data, root->len, &roots) == 0) {
            sk_X509_free(roots);
            return av_fail(e, MANTLE_VERIFY_MALFORMED,
                           "%s: no certificate in the trusted root",
                           root->name ? root->name : "root");
        }
        *out_roots = roots;
        return MANTLE_VERIFY_OK;
    }
    if ((roots = sk_X509_new_null()) == NULL)
        return av_fail(e, MANTLE_VERIFY_MISSING, "out of memory");
    for (int i = 0; i < sk_X509_num(pool); i++) {
        X509 *x = sk_X509_value(pool, i);
        if (!av_is_self_signed(x) || !av_cert_fingerprint(x, fp))
            continue;
        for (size_t k = 0; k < npins; k++)
            if (memcmp(fp, pins[k], 32) == 0 && X509_up_ref(x) == 1 &&
                !sk_X509_push(roots, x))
                X509_free(x);
    }
    if (sk_X509_num(roots) == 0) {
        sk_X509_pop_free(roots, X509_free);
        return av_fail(e, MANTLE_VERIFY_MISSING,
                       "no trusted root: give --root, or the genuine %s root "
                       "certificate with the chain",
                       vendor);
    }
    *out_roots = roots;
    return MANTLE_VERIFY_OK;
}

const ASN1_OCTET_STRING *av_ext_data(X509 *x, const char *oid)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    int idx;
    const ASN1_OCTET_STRING *data = NULL;

    if (obj == NULL)
        return NULL;
    idx = X509_get_ext_by_OBJ(x, obj, -1);
    if (idx >= 0)
        data = X509_EXTENSION_get_data(X509_get_ext(x, idx));
    ASN1_OBJECT_free(obj);
    return data;
}

bool av_cert_cn(X509 *x, char *out, size_t cap)
{
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x),
                                      NID_commonName, out, (int)cap);
    ERR_clear_error();
    return n >= 0;
}

/* ---- Claims ------------------------------------------------------------- */

void av_claims_init(mantle_claims *c, mantle_tee_kind tee)
{
    memset(c, 0, sizeof *c);
    c->tee = tee;
}

void av_claims_add(mantle_claims *c, const char *name, const uint8_t *v,
                   size_t len)
{
    mantle_measurement *m;

    if (c->nmeasurements >= MANTLE_CLAIMS_MAX_MEASUREMENTS)
        return;
    m = &c->measurements[c->nmeasurements++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->len = (uint32_t)(len > sizeof m->value ? sizeof m->value : len);
    memcpy(m->value, v, m->len);
}

int av_check_report_data(const mantle_verify_input *in,
                         const mantle_claims *c, av_err *e)
{
    char want[129], got[129];

    if (in->report_data == NULL)
        return MANTLE_VERIFY_OK;
    if (in->report_data_len > c->report_data_len ||
        CRYPTO_memcmp(in->report_data, c->report_data,
                      in->report_data_len) != 0 ||
        !av_is_zero(c->report_data + in->report_data_len,
                    c->report_data_len - in->report_data_len)) {
        av_hex(in->report_data,
               in->report_data_len > 64 ? 64 : in->report_data_len, want);
        av_hex(c->report_data, c->report_data_len, got);
        return av_fail(e, MANTLE_VERIFY_REPORT_DATA,
                       "report data %s is not the expected %s", got, want);
    }
    return MANTLE_VERIFY_OK;
}
