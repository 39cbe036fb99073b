/* intel.c - Intel DCAP pieces shared by the SGX and TDX verifiers: the
 * signature data, PCK certificates, the verification chain of trust and
 * TCB Info / QE Identity collateral.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: layouts - PCK extensions - collateral documents - TCB evaluation -
 *      QE identity - intel_verify (the order of checks)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "intel.h"

/* SHA-256 of the DER of the Intel SGX Root CA (certificates.trustedservices
 * .intel.com/Intel_SGX_Provisioning_Certification_RootCA). */
static const uint8_t intel_root_pin[][32] = {
    {0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49,
     0xe9, 0x5b, 0x80, 0x7a, 0x35, 0x0e, 0x74, 0x24, 0x96, 0x43, 0x99,
     0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3},
};

/* ---- Layouts ----------------------------------------------------------- */

void intel_header_parse(const uint8_t *p, intel_header *h)
{
    h->version = av_le16(p);
    h->att_key_type = av_le16(p + 2);
    h->tee_type = av_le32(p + 4);
    h->qe_svn = av_le16(p + 8);
    h->pce_svn = av_le16(p + 10);
    memcpy(h->qe_vendor_id, p + 12, 16);
    memcpy(h->user_data, p + 28, 20);
}

void sgx_report_body_parse(const uint8_t *p, sgx_report_body *b)
{
    memcpy(b->cpusvn, p, 16);
    memcpy(b->miscselect, p + 16, 4);
    memcpy(b->isv_ext_prod_id, p + 32, 16);
    memcpy(b->attributes, p + 48, 16);
    memcpy(b->mrenclave, p + 64, 32);
    memcpy(b->mrsigner, p + 128, 32);
    memcpy(b->config_id, p + 192, 64);
    b->isvprodid = av_le16(p + 256);
    b->isvsvn = av_le16(p + 258);
    b->config_svn = av_le16(p + 260);
    memcpy(b->isv_family_id, p + 304, 16);
    memcpy(b->report_data, p + 320, 64);
}

/* A bounds-checked cursor over [p, end). */
typedef struct cur {
    const uint8_t *p, *end;
} cur;

static bool take(cur *c, size_t n, const uint8_t **out)
{
    if ((size_t)(c->end - c->p) < n)
        return false;
    *out = c->p;
    c->p += n;
    return true;
}

int intel_sig_data_parse(const uint8_t *q, size_t len, size_t off,
                         bool qe_nested, intel_sig_data *out, av_err *e)
{
    intel_sig_data sd;
    const uint8_t *p;
    cur c, inner;
    uint32_t outer_len;

    memset(&sd, 0, sizeof sd);
    if (len < off || len - off < 4)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                       "quote: %zu bytes, no signature data length at %zu",
                       len, off);
    sd.len = av_le32(q + off);
    if ((uint64_t)off + 4 + sd.len > len)
        return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                       "quote: signature data of %u bytes at %zu exceeds the "
                       "%zu-byte quote",
                       sd.len, off + 4, len);
    c.p = q + off + 4;
    c.end = c.p + sd.len;
    sd.trailing = len - (off + 4 + sd.len);
    if (!take(&c, 64, &p))
        goto short_;
    memcpy(sd.sig, p, 64);
    if (!take(&c, 64, &p))
        goto short_;
    memcpy(sd.att_key, p, 64);
    if (qe_nested) {
        /* TDX: certification data type 6 wraps the QE report etc. */
        if (!take(&c, 6, &p))
            goto short_;
        if (av_le16(p) != INTEL_CERT_QE_REPORT)
            return av_fail(e, MANTLE_VERIFY_UNSUPPORTED,
                           "quote: certification data type %u (6, QE report, "
                           "supported)",
                           av_le16(p));
        outer_len = av_le32(p + 2);
        if (!take(&c, outer_len, &p))
            goto short_;
        inner.p = p;
        inner.end = p + outer_len;
    } else {
        inner = c;
    }
    if (!take(&inner, SGX_REPORT_BODY_SIZE, &sd.qe_report_raw))
        goto short_;
    sgx_report_body_parse(sd.qe_report_raw, &sd.qe_report);
    if (!take(&inner, 64, &p))
        goto short_;
    memcpy(sd.qe_report_sig, p, 64);
    if (!take(&inner, 2, &p))
        goto short_;
    sd.qe_auth_len = av_le16(p);
    if (!take(&inner, sd.qe_auth_len, &sd.qe_auth))
        goto short_;
    if (!take(&inner, 6, &p))
        goto short_;
    sd.cert_type = av_le16(p);
    sd.cert_len = av_le32(p + 2);
    if (!take(&inner, sd.cert_len, &sd.cert_data))
        goto short_;
    *out = sd;
    return MANTLE_VERIFY_OK;
short_:
    return av_fail(e, MANTLE_VERIFY_TRUNCATED,
                   "quote: signature data (%u bytes) ends inside a field",
                   sd.len);
}

/* ---- PCK extensions ---------------------------------------------------- */

#define SGX_EXT "1.2.840.113741.1.13.1"

static bool octets(const ASN1_TYPE *t, uint8_t *out, size_t n)
{
    if (t->type != V_ASN1_OCTET_STRING ||
        ASN1_STRING_length(t->value.octet_string) != (int)n)
        return false;
    memcpy(out, ASN1_STRING_get0_data(t->value.octet_string), n);
    return true;
}

/* A SEQUENCE value's elements. */
static STACK_OF(ASN1_TYPE) *seq_of(const ASN1_TYPE *t)
{
    const unsigned char *p;

    if (t->type != V_ASN1_SEQUENCE)
        return NULL;
    p = ASN1_STRING_get0_data(t->value.sequence);
    return d2i_ASN1_SEQUENCE_ANY(NULL, &p,
                                 ASN1_STRING_length(t->value.sequence));
}

/* The {OID, value} pair in a SEQUENCE element: the OID's last arc below
 * `base` (e.g. 4 for base.4), or -1. */
static int pair_arc(STACK_OF(ASN1_TYPE) *pair, const char *base)
{
    char oid[80];
    size_t n = strlen(base);
    ASN1_TYPE *t;

    if (sk_ASN1_TYPE_num(pair) != 2 ||
        (t = sk_ASN1_TYPE_value(pair, 0))->type != V_ASN1_OBJECT ||
        OBJ_obj2txt(oid, sizeof oid, t->value.object, 1) <= 0 ||
        strncmp(oid, base, n) != 0 || oid[n] != '.' ||
        strchr(oid + n + 1, '.') != NULL)
        return -1;
    return atoi(oid + n + 1);
}

static int pck_tcb(const ASN1_TYPE *t, intel_pck *pck)
{
    STACK_OF(ASN1_TYPE) *seq = seq_of(t);
    int found = 0;

    for (int i = 0; seq && i < sk_ASN1_TYPE_num(seq); i++) {
        STACK_OF(ASN1_TYPE) *pair = seq_of(sk_ASN1_TYPE_value(seq, i));
        int arc = pair ? pair_arc(pair, SGX_EXT ".2") : -1;
        ASN1_TYPE *v = arc > 0 ? sk_ASN1_TYPE_value(pair, 1) : NULL;
        long n = (v && v->type == V_ASN1_INTEGER)
                     ? ASN1_INTEGER_get(v->value.integer)
                     : -1;
        if (arc >= 1 && arc <= 16 && n >= 0 && n <= 255) {
            pck->comp[arc - 1] = (uint8_t)n;
            found |= 1;
        } else if (arc == 17 && n >= 0 && n <= 65535) {
            pck->pcesvn = (uint16_t)n;
            found |= 2;
        } else if (arc == 18 && v && octets(v, pck->cpusvn, 16)) {
            found |= 4;
        }
        sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
    }
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
    return found == 7;
}

int intel_pck_parse(X509 *x, intel_pck *out, av_err *e)
{
    const ASN1_OCTET_STRING *d = av_ext_data(x, SGX_EXT);
    const unsigned char *p;
    STACK_OF(ASN1_TYPE) *seq;
    intel_pck pck;
    int have = 0;

    if (d == NULL)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "PCK certificate: no SGX extension (" SGX_EXT ")");
    memset(&pck, 0, sizeof pck);
    pck.sgx_type = -1;
    p = ASN1_STRING_get0_data(d);
    seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(d));
    for (int i = 0; seq && i < sk_ASN1_TYPE_num(seq); i++) {
        STACK_OF(ASN1_TYPE) *pair = seq_of(sk_ASN1_TYPE_value(seq, i));
        int arc = pair ? pair_arc(pair, SGX_EXT) : -1;
        ASN1_TYPE *v = arc > 0 ? sk_ASN1_TYPE_value(pair, 1) : NULL;
        if (arc == 1 && octets(v, pck.ppid, 16))
            have |= 1;
        else if (arc == 2 && pck_tcb(v, &pck))
            have |= 2;
        else if (arc == 3 && octets(v, pck.pceid, 2))
            have |= 4;
        else if (arc == 4 && octets(v, pck.fmspc, 6))
            have |= 8;
        else if (arc == 5 && v->type == V_ASN1_ENUMERATED)
            pck.sgx_type = (int)ASN1_ENUMERATED_get(v->value.enumerated);
        sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
    }
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
    ERR_clear_error();
    if ((have & 14) != 14)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "PCK certificate: SGX extension lacks %s",
                       !(have & 2) ? "the TCB" : !(have & 4) ? "the PCE-ID"
                                                             : "the FMSPC");
    *out = pck;
    return MANTLE_VERIFY_OK;
}

/* ---- Collateral documents ---------------------------------------------- */

static const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

int intel_signed_json(const uint8_t *doc, size_t len, const char *key,
                      const uint8_t **out_body, size_t *out_len,
                      uint8_t out_sig[64], av_err *e)
{
    const uint8_t *end = doc + len, *p;
    size_t klen = strlen(key), body_len;
    json_error_t jerr;
    json_t *root = NULL, *body = NULL;
    const char *sig;
    int rc;

    /* Intel signs the value's text exactly as served, which PCS always
     * puts first: {"<key>": <value>, "signature": "<hex>"}. Find where the
     * value starts, and let jansson say where it ends. */
    p = skip_ws(doc, end);
    if (p == end || *p++ != '{')
        goto malformed;
    p = skip_ws(p, end);
    if ((size_t)(end - p) < klen + 2 || p[0] != '"' ||
        memcmp(p + 1, key, klen) != 0 || p[klen + 1] != '"')
        goto malformed;
    p = skip_ws(p + klen + 2, end);
    if (p == end || *p++ != ':')
        goto malformed;
    p = skip_ws(p, end);
    body = json_loadb((const char *)p, (size_t)(end - p),
                      JSON_DISABLE_EOF_CHECK, &jerr);
    if (body == NULL || !json_is_object(body))
        goto malformed;
    body_len = (size_t)jerr.position;
    root = json_loadb((const char *)doc, len, 0, &jerr);
    sig = json_string_value(json_object_get(root, "signature"));
    if (sig == NULL || !av_unhex(sig, out_sig, 64)) {
        rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                     "%s document: no 128-hex-digit \"signature\"", key);
        goto out;
    }
    *out_body = p;
    *out_len = body_len;
    rc = MANTLE_VERIFY_OK;
    goto out;
malformed:
    rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                 "collateral: not a {\"%s\": {...}, \"signature\": ...} "
                 "document",
                 key);
out:
    json_decref(body);
    json_decref(root);
    return rc;
}

mantle_tcb_status intel_tcb_status_parse(const char *s)
{
    static const struct {
        const char *name;
        mantle_tcb_status st;
    } map[] = {
        {"UpToDate", MANTLE_TCB_UP_TO_DATE},
        {"SWHardeningNeeded", MANTLE_TCB_SW_HARDENING_NEEDED},
        {"ConfigurationNeeded", MANTLE_TCB_CONFIGURATION_NEEDED},
        {"ConfigurationAndSWHardeningNeeded",
         MANTLE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED},
        {"OutOfDate", MANTLE_TCB_OUT_OF_DATE},
        {"OutOfDateConfigurationNeeded",
         MANTLE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
        {"Revoked", MANTLE_TCB_REVOKED},
    };
    for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i].name) == 0)
            return map[i].st;
    return MANTLE_TCB_UNKNOWN;
}

static mantle_tcb_status worse(mantle_tcb_status a, mantle_tcb_status b)
{
    return a > b ? a : b;
}

/* ---- TCB evaluation ----------------------------------------------------- */

static long svn_at(json_t *tcb, const char *array, int i)
{
    json_t *a = json_object_get(tcb, array), *v;
    char key[32];

    if (a != NULL) {
        v = json_object_get(json_array_get(a, (size_t)i), "svn");
    } else {
        /* TCB Info v2: "sgxtcbcomp01svn" ... */
        snprintf(key, sizeof key, "sgxtcbcomp%02dsvn", i + 1);
        v = json_object_get(tcb, key);
    }
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

/* hex field of n bytes equal to p masked by mask (when given). */
static bool masked_eq(json_t *obj, const char *key, const char *mask_key,
                      const uint8_t *p, size_t n)
{
    uint8_t want[64], mask[64];
    size_t i;

    if (n > sizeof want ||
        !av_unhex(json_string_value(json_object_get(obj, key)), want, n))
        return false;
    if (mask_key == NULL)
        memset(mask, 0xff, n);
    else if (!av_unhex(json_string_value(json_object_get(obj, mask_key)),
                       mask, n))
        return false;
    for (i = 0; i < n; i++)
        if ((p[i] & mask[i]) != (want[i] & mask[i]))
            return false;
    return true;
}

static int tdx_module(json_t *tcbinfo, const intel_tdx_tcb *tdx,
                      intel_eval *ev, av_err *e)
{
    json_t *mod = json_object_get(tcbinfo, "tdxModule");
    json_t *ids = json_object_get(tcbinfo, "tdxModuleIdentities"), *id, *lv;
    uint8_t major = tdx->tee_tcb_svn[1], minor = tdx->tee_tcb_svn[0];
    size_t i;

    if (mod != NULL &&
        (!masked_eq(mod, "mrsigner", NULL, tdx->mrsignerseam, 48) ||
         !masked_eq(mod, "attributes", "attributesMask",
                    tdx->seam_attributes, 8)))
        return av_fail(e, MANTLE_VERIFY_COLLATERAL_MISMATCH,
                       "TCB info: MRSIGNERSEAM or SEAM attributes differ "
                       "from tdxModule");
    ev->module = MANTLE_TCB_UNKNOWN;
    if (major == 0 || ids == NULL)
        return MANTLE_VERIFY_OK;
    snprintf(ev->module_id, sizeof ev->module_id, "TDX_%02X", major);
    json_array_foreach(ids, i, id) {
        const char *name = json_string_value(json_object_get(id, "id"));
        size_t k;
        if (name == NULL || strcmp(name, ev->module_id) != 0)
            continue;
        if (!masked_eq(id, "mrsigner", NULL, tdx->mrsignerseam, 48) ||
            !masked_eq(id, "attributes", "attributesMask",
                       tdx->seam_attributes, 8))
            return av_fail(e, MANTLE_VERIFY_COLLATERAL_MISMATCH,
                           "TCB info: %s: MRSIGNERSEAM or SEAM attributes "
                           "differ",
                           ev->module_id);
        json_array_foreach(json_object_get(id, "tcbLevels"), k, lv) {
            json_t *svn = json_object_get(json_object_get(lv, "tcb"),
                                          "isvsvn");
            if (json_is_integer(svn) && minor >= json_integer_value(svn)) {
                ev->module = intel_tcb_status_parse(
                    json_string_value(json_object_get(lv, "tcbStatus")));
                return MANTLE_VERIFY_OK;
            }
        }
        return av_fail(e, MANTLE_VERIFY_TCB,
                       "TCB not supported: no %s level for TDX module SVN %u",
                       ev->module_id, minor);
    }
    return av_fail(e, MANTLE_VERIFY_COLLATERAL_MISMATCH,
                   "TCB info: no TDX module identity %s", ev->module_id);
}

int intel_tcb_evaluate(json_t *tcbinfo, const intel_pck *pck,
                       const intel_tdx_tcb *tdx, intel_eval *out, av_err *e)
{
    intel_eval ev = *out;
    json_t *lv;
    size_t i;
    int rc;

    ev.tcb_evaluated = true;
    ev.level = -1;
    if (tdx != NULL && (rc = tdx_module(tcbinfo, tdx, &ev, e)))
        return rc;
    json_array_foreach(json_object_get(tcbinfo, "tcbLevels"), i, lv) {
        json_t *tcb = json_object_get(lv, "tcb");
        json_t *pce = json_object_get(tcb, "pcesvn");
        bool ok = json_is_integer(pce) &&
                  pck->pcesvn >= json_integer_value(pce);
        for (int k = 0; ok && k < 16; k++) {
            long s = svn_at(tcb, "sgxtcbcomponents", k);
            ok = s >= 0 && pck->comp[k] >= s;
        }
        /* TDX: TEE_TCB_SVN too; bytes 0-1 (the module's SVN) are judged
         * by the module identity when the major version is non-zero. */
        for (int k = 0; ok && tdx != NULL && k < 16; k++) {
            if (k < 2 && tdx->tee_tcb_svn[1] > 0)
                continue;
            long s = svn_at(tcb, "tdxtcbcomponents", k);
            ok = s >= 0 && tdx->tee_tcb_svn[k] >= s;
        }
        if (!ok)
            continue;
        ev.level = (int)i;
        ev.platform = intel_tcb_status_parse(
            json_string_value(json_object_get(lv, "tcbStatus")));
        snprintf(ev.tcb_date, sizeof ev.tcb_date, "%s",
                 json_string_value(json_object_get(lv, "tcbDate"))
                     ? json_string_value(json_object_get(lv, "tcbDate"))
                     : "");
        break;
    }
    if (ev.level < 0)
        return av_fail(e, MANTLE_VERIFY_TCB,
                       "TCB not supported: no TCB level of the TCB info "
                       "matches the platform (PCESVN %u)",
                       pck->pcesvn);
    if (ev.platform == MANTLE_TCB_UNKNOWN)
        return av_fail(e, MANTLE_VERIFY_MALFORMED,
                       "TCB info: level %d has an unknown tcbStatus", ev.level);
    ev.combined = worse(worse(ev.platform, ev.module), ev.qe);
    if (ev.combined == MANTLE_TCB_REVOKED)
        return av_fail(e, MANTLE_VERIFY_TCB, "TCB revoked (level %d)",
                       ev.level);
    *out = ev;
    return MANTLE_VERIFY_OK;
}

/* ---- QE identity -------------------------------------------------------- */

int intel_qe_identity_check(json_t *id, const sgx_report_body *qe,
                            intel_eval *out, av_err *e)
{
    json_t *prod = json_object_get(id, "isvprodid"), *lv, *levels;
    mantle_tcb_status st = MANTLE_TCB_UNKNOWN;
    size_t i;

    if (!masked_eq(id, "miscselect", "miscselectMask", qe->miscselect, 4))
        return av_fail(e, MANTLE_VERIFY_COLLATERAL_MISMATCH,
                       "QE identity: MISCSELECT differs");
    if (!masked_eq(id, "attributes", "attributesMask", qe->attributes, 16))
        return av_fail(e, MANTLE_VERIFY_COLLATERAL_MISMATCH,
                       "QE identity: ATTRIBUTES differ");
    if (!masked_eq(id, "mrsigner", NULL, qe->mrsigner, 32))
        return av_fail(e, MANTLE_VERIFY_COLLATERAL_MISMATCH,
                       "QE identity: MRSIGNER differs");
    if (!json_is_integer(prod) || json_integer_value(prod) != qe->isvprodid)
        return av_fail(e, MANTLE_VERIFY_COLLATERAL_MISMATCH,
                       "QE identity: ISVPRODID %u differs", qe->isvprodid);
    if ((levels = json_object_get(id, "tcbLevels")) != NULL) {
        json_array_foreach(levels, i, lv) {
            json_t *svn = json_object_get(json_object_get(lv, "tcb"),
                                          "isvsvn");
            if (json_is_integer(svn) && qe->isvsvn >= json_integer_value(svn)) {
                st = intel_tcb_status_parse(
                    json_string_value(json_object_get(lv, "tcbStatus")));
                break;
            }
        }
    } else {
        json_t *svn = json_object_get(id, "isvsvn");  /* v1 */
        if (json_is_integer(svn))
            st = qe->isvsvn >= json_integer_value(svn) ? MANTLE_TCB_UP_TO_DATE
                                                      : MANTLE_TCB_OUT_OF_DATE;
    }
    if (st == MANTLE_TCB_UNKNOWN)
        return av_fail(e, MANTLE_VERIFY_TCB,
                       "QE identity: no TCB level for QE ISVSVN %u",
                       qe->isvsvn);
    if (st == MANTLE_TCB_REVOKED)
        return av_fail(e, MANTLE_VERIFY_TCB, "QE identity: QE TCB revoked");
    out->qe_checked = true;
    out->qe = st;
    out->combined = worse(out->combined, st);
    return MANTLE_VERIFY_OK;
}

/* ---- intel_verify -------------------------------------------------------- */

typedef struct collateral {
    STACK_OF(X509) *certs;       /* signing chains */
    STACK_OF(X509_CRL) *crls;
    const mantle_blob *tcbinfo, *identity;
    json_t *tcbinfo_body, *identity_body;
    const char *identity_key;
    int identity_score;
} collateral;

static void collateral_free(collateral *c)
{
    sk_X509_pop_free(c->certs, X509_free);
    sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
    json_decref(c->tcbinfo_body);
    json_decref(c->identity_body);
}

static bool hex_ieq(const char *s, const uint8_t *p, size_t n)
{
    uint8_t v[16];

    return n <= sizeof v && av_unhex(s, v, n) && memcmp(v, p, n) == 0;
}

static bool fresh(json_t *body, int64_t t)
{
    int64_t issue, next;

    return av_time_parse(json_string_value(json_object_get(body, "issueDate")),
                         &issue) &&
           av_time_parse(
               json_string_value(json_object_get(body, "nextUpdate")),
               &next) &&
           issue <= t && t <= next;
}

/* Sort the collateral blobs: JSON documents by their top-level key (the
 * TCB info for this FMSPC and TEE; the QE identity for this QE, fresh
 * ones first), certificates, CRLs. Other blobs are ignored. */
static int collateral_sort(const mantle_verify_input *in, const intel_pck *pck,
                           bool tdx, collateral *c, av_err *e)
{
    bool saw_tcbinfo = false;

    for (size_t i = 0; i < in->ncollateral; i++) {
        const mantle_blob *b = &in->collateral[i];
        json_error_t jerr;
        json_t *doc = json_loadb((const char *)b->data, b->len, 0, &jerr);
        json_t *body;
        if (doc != NULL) {
            if ((body = json_object_get(doc, "tcbInfo")) != NULL) {
                const char *id = json_string_value(json_object_get(body, "id"));
                saw_tcbinfo = true;
                if (c->tcbinfo == NULL &&
                    hex_ieq(json_string_value(json_object_get(body, "fmspc")),
                            pck->fmspc, 6) &&
                    (tdx ? (id && strcmp(id, "TDX") == 0)
                         : (id == NULL || strcmp(id, "SGX") == 0))) {
                    c->tcbinfo = b;
                    c->tcbinfo_body = json_incref(body);
                }
            } else {
                const char *key = json_object_get(doc, "enclaveIdentity")
                                      ? "enclaveIdentity"
                                      : "qeIdentity";
                const char *want = tdx ? "TD_QE" : "QE";
                const char *id;
                body = json_object_get(doc, key);
                id = json_string_value(json_object_get(body, "id"));
                /* v1 qeIdentity has no id: an SGX QE's. Prefer fresh
                 * documents, then v2 (with an id) over v1. */
                int score = body == NULL ? 0
                            : id ? (strcmp(id, want) == 0 ? 2 : 0)
                                 : (tdx ? 0 : 1);
                if (score > 0 && fresh(body, in->time))
                    score += 4;
                if (score > c->identity_score) {
                    json_decref(c->identity_body);
                    c->identity = b;
                    c->identity_body = json_incref(body);
                    c->identity_key = key;
                    c->identity_score = score;
                }
            }
            json_decref(doc);
            continue;
        }
        if (av_certs_load(b->data, b->len, &c->certs) == 0)
            (void)av_crls_load(b->data, b->len, &c->crls);
    }
    if (saw_tcbinfo && c->tcbinfo == NULL) {
        char hex[13];
        av_hex(pck->fmspc, 6, hex);
        return av_fail(e, MANTLE_VERIFY_COLLATERAL_MISMATCH,
                       "no TCB info for FMSPC %s (%s)", hex,
                       tdx ? "TDX" : "SGX");
    }
    return MANTLE_VERIFY_OK;
}

/* Verify a document's signature with one of the collateral's end-entity
 * certificates, then that certificate's chain to the root. */
static int collateral_signature(const mantle_verify_input *in,
                                const mantle_blob *doc, const char *key,
                                json_t *body, collateral *c,
                                STACK_OF(X509) *roots, av_err *e)
{
    const uint8_t *signed_text;
    size_t signed_len;
    uint8_t sig[64];
    const char *name = doc->name ? doc->name : key;
    int rc, tried = 0;

    if ((rc = intel_signed_json(doc->data, doc->len, key, &signed_text,
                                &signed_len, sig, e)))
        return rc;
    for (int i = 0; i < sk_X509_num(c->certs); i++) {
        X509 *x = sk_X509_value(c->certs, i);
        EVP_PKEY *k;
        int ok;
        if (X509_check_ca(x) != 0)
            continue;
        tried++;
        if ((k = X509_get_pubkey(x)) == NULL)
            continue;
        ok = av_ecdsa_verify_rs(k, EVP_sha256(), signed_text, signed_len,
                                sig, 32);
        EVP_PKEY_free(k);
        if (ok != 1)
            continue;
        if ((rc = av_chain_verify(x, c->certs, roots, c->crls, in->time,
                                  "TCB signing chain", e)))
            return rc;
        if (!fresh(body, in->time))
            return av_fail(e, MANTLE_VERIFY_COLLATERAL_EXPIRED,
                           "%s: not valid at the verification time (issued "
                           "%s, next update %s)",
                           name,
                           json_string_value(json_object_get(body, "issueDate")),
                           json_string_value(
                               json_object_get(body, "nextUpdate")));
        return MANTLE_VERIFY_OK;
    }
    if (tried == 0)
        return av_fail(e, MANTLE_VERIFY_MISSING,
                       "%s: no TCB signing certificate in the collateral",
                       name);
    return av_fail(e, MANTLE_VERIFY_COLLATERAL_SIGNATURE,
                   "%s: signature over \"%s\" does not verify", name, key);
}

int intel_verify(const mantle_verify_input *in, const uint8_t *quote,
                 size_t signed_len, const intel_sig_data *sd,
                 const intel_tdx_tcb *tdx, intel_pck *out_pck,
                 intel_eval *out_eval, av_err *e)
{
    STACK_OF(X509) *pool = NULL, *roots = NULL;
    collateral col;
    EVP_PKEY *key = NULL, *ak = NULL;
    intel_pck pck;
    intel_eval ev;
    X509 *leaf;
    uint8_t h[32], *buf = NULL;
    int rc;

    memset(&col, 0, sizeof col);
    memset(&ev, 0, sizeof ev);
    /* 1. The PCK chain: the caller's, or the quote's own (type 5). */
    if (in->ncerts > 0) {
        for (size_t i = 0; i < in->ncerts; i++)
            if (av_certs_load(in->certs[i].data, in->certs[i].len, &pool) ==
                0) {
                rc = av_fail(e, MANTLE_VERIFY_MALFORMED, "%s: no certificate",
                             in->certs[i].name ? in->certs[i].name : "cert");
                goto out;
            }
    } else if (sd->cert_type == INTEL_CERT_PCK_CHAIN) {
        if (av_certs_load(sd->cert_data, sd->cert_len, &pool) == 0) {
            rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                         "quote: certification data type 5 holds no PEM "
                         "certificate");
            goto out;
        }
    } else {
        rc = av_fail(e, MANTLE_VERIFY_MISSING,
                     "quote: certification data type %u carries no PCK "
                     "certificate; give it with --cert",
                     sd->cert_type);
        goto out;
    }
    leaf = sk_X509_value(pool, 0);
    if ((rc = av_roots(&in->root, pool, intel_root_pin, 1, "Intel SGX Root CA",
                       &roots, e)))
        goto out;
    if ((rc = collateral_sort(in, &(intel_pck){0}, tdx != NULL, &col, e)) &&
        rc != MANTLE_VERIFY_COLLATERAL_MISMATCH)
        goto out;
    if ((rc = av_chain_verify(leaf, pool, roots, col.crls, in->time,
                              "PCK chain", e)))
        goto out;
    /* 2. The QE report, signed by the PCK key. */
    if ((key = X509_get_pubkey(leaf)) == NULL ||
        av_ecdsa_verify_rs(key, EVP_sha256(), sd->qe_report_raw,
                           SGX_REPORT_BODY_SIZE, sd->qe_report_sig, 32) != 1) {
        rc = av_fail(e, MANTLE_VERIFY_SIGNATURE,
                     "QE report signature does not verify with the PCK "
                     "certificate");
        goto out;
    }
    /* 3. The attestation key is the QE's: report_data = SHA-256(key ||
     * auth data) || 32 zero bytes. */
    if ((buf = malloc(64 + (size_t)sd->qe_auth_len)) == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_BINDING, "out of memory");
        goto out;
    }
    memcpy(buf, sd->att_key, 64);
    if (sd->qe_auth_len)
        memcpy(buf + 64, sd->qe_auth, sd->qe_auth_len);
    if (!av_digest(EVP_sha256(), buf, 64 + (size_t)sd->qe_auth_len, h) ||
        CRYPTO_memcmp(h, sd->qe_report.report_data, 32) != 0 ||
        !av_is_zero(sd->qe_report.report_data + 32, 32)) {
        rc = av_fail(e, MANTLE_VERIFY_BINDING,
                     "QE report data is not SHA-256(attestation key || QE "
                     "authentication data)");
        goto out;
    }
    /* 4. The quote, signed by the attestation key. */
    if ((ak = av_ec_key("P-256", sd->att_key, 32)) == NULL) {
        rc = av_fail(e, MANTLE_VERIFY_MALFORMED,
                     "attestation key is not a P-256 point");
        goto out;
    }
    if (av_ecdsa_verify_rs(ak, EVP_sha256(), quote, signed_len, sd->sig, 32) !=
        1) {
        rc = av_fail(e, MANTLE_VERIFY_SIGNATURE,
                     "quote signature does not verify with the attestation "
                     "key");
        goto out;
    }
    if ((rc = intel_pck_parse(leaf, &pck, e)))
        goto out;
    /* 5. Collateral, now that the PCK's FMSPC is known. */
    collateral_free(&col);
    memset(&col, 0, sizeof col);
    if ((rc = collateral_sort(in, &pck, tdx != NULL, &col, e)))
        goto out;
    if (col.identity != NULL) {
        if ((rc = collateral_signature(in, col.identity, col.identity_key,
                                       col.identity_body, &col, roots, e)) ||
            (rc = intel_qe_identity_check(col.identity_body, &sd->qe_report,
                                          &ev, e)))
            goto out;
    }
    if (col.tcbinfo != NULL) {
        if ((rc = collateral_signature(in, col.tcbinfo, "tcbInfo",
                                       col.tcbinfo_body, &col, roots, e)) ||
            (rc = intel_tcb_evaluate(col.tcbinfo_body, &pck, tdx, &ev, e)))
            goto out;
    }
    *out_pck = pck;
    *out_eval = ev;
    rc = MANTLE_VERIFY_OK;
out:
    free(buf);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ak);
    collateral_free(&col);
    sk_X509_pop_free(roots, X509_free);
    sk_X509_pop_free(pool, X509_free);
    return rc;
}

void intel_report_claims(const sgx_report_body *b, mantle_claims *c)
{
    c->measurement_len = 32;
    memcpy(c->measurement, b->mrenclave, 32);
    c->report_data_len = 64;
    memcpy(c->report_data, b->report_data, 64);
    c->debug = (b->attributes[0] & 0x02) != 0;
    c->svn = b->isvsvn;
    c->tcb_len = 16;
    memcpy(c->tcb, b->cpusvn, 16);
    av_claims_add(c, "mrsigner", b->mrsigner, 32);
    av_claims_add(c, "attributes", b->attributes, 16);
    av_claims_add(c, "config_id", b->config_id, 64);
    av_claims_add(c, "isv_family_id", b->isv_family_id, 16);
    uint8_t prod[2] = {(uint8_t)b->isvprodid, (uint8_t)(b->isvprodid >> 8)};
    av_claims_add(c, "isvprodid", prod, 2);
}
