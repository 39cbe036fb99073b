/* trustee.c - hardware evidence as Trustee's attesters encode it in the KBS
 * protocol 0.4.0 (guest-components' attester crate, verified by Trustee's
 * attestation-service `verifier` crate), for the broker (broker.c) and the
 * KBS client (kbs_client.c).
 * SPDX-License-Identifier: Apache-2.0
 *
 *   snp  {"attestation_report": <the sev crate's AttestationReport, serde:
 *         every field of the 1184-byte report by name, byte arrays as arrays
 *         of numbers>, "cert_chain": [{"cert_type": "VCEK", "data": [..]}]
 *         or null}; the report as sev 1.x-4.x name its fields (reserved
 *         bytes included, as Trustee's bincode-based verifier needs) or as
 *         sev 5+ do (key_info, cpuid_*, current/committed versions, Turin's
 *         fmc; reserved bytes omitted: they are zero)
 *   tdx  {"cc_eventlog": base64 or null, "quote": base64}
 *   sgx  {"quote": base64}
 *
 * The SNP report is rebuilt byte for byte from its fields (Trustee signs
 * over `bincode::serialize(report)[..0x2a0]`, the same bytes), so the
 * family verifiers check exactly what the hardware signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/kbs.h"

/* ---- The SEV-SNP report as the sev crate names its fields ----------------- */

enum {
    F_U8, F_U32, F_U64, F_BYTES, F_TCB, F_SIG,     /* sev 1.x-4.x */
    F_OPT_U8, F_OPT_U64, F_NULL, F_TCB6, F_VER, F_SIG6,  /* sev 5+ */
};

typedef struct snp_field {
    const char *name;
    int kind;
    uint16_t off;
    uint16_t len;   /* F_BYTES only */
} snp_field;

/* In report order; offsets from the SNP firmware ABI (Table 23). */
static const snp_field snp_fields[] = {
    {"version", F_U32, 0x00, 0},         {"guest_svn", F_U32, 0x04, 0},
    {"policy", F_U64, 0x08, 0},          {"family_id", F_BYTES, 0x10, 16},
    {"image_id", F_BYTES, 0x20, 16},     {"vmpl", F_U32, 0x30, 0},
    {"sig_algo", F_U32, 0x34, 0},        {"current_tcb", F_TCB, 0x38, 0},
    {"plat_info", F_U64, 0x40, 0},       {"_author_key_en", F_U32, 0x48, 0},
    {"_reserved_0", F_U32, 0x4c, 0},     {"report_data", F_BYTES, 0x50, 64},
    {"measurement", F_BYTES, 0x90, 48},  {"host_data", F_BYTES, 0xc0, 32},
    {"id_key_digest", F_BYTES, 0xe0, 48},
    {"author_key_digest", F_BYTES, 0x110, 48},
    {"report_id", F_BYTES, 0x140, 32},   {"report_id_ma", F_BYTES, 0x160, 32},
    {"reported_tcb", F_TCB, 0x180, 0},   {"_reserved_1", F_BYTES, 0x188, 24},
    {"chip_id", F_BYTES, 0x1a0, 64},     {"committed_tcb", F_TCB, 0x1e0, 0},
    {"current_build", F_U8, 0x1e8, 0},   {"current_minor", F_U8, 0x1e9, 0},
    {"current_major", F_U8, 0x1ea, 0},   {"_reserved_2", F_U8, 0x1eb, 0},
    {"committed_build", F_U8, 0x1ec, 0}, {"committed_minor", F_U8, 0x1ed, 0},
    {"committed_major", F_U8, 0x1ee, 0}, {"_reserved_3", F_U8, 0x1ef, 0},
    {"launch_tcb", F_TCB, 0x1f0, 0},     {"_reserved_4", F_BYTES, 0x1f8, 168},
    {"signature", F_SIG, 0x2a0, 0},
};

/* The sev crate's TcbVersion and Signature, as (name, offset, length)
 * within their 8 and 512 bytes; length 0 is one byte as a number. */
static const snp_field tcb_fields[] = {
    {"bootloader", F_U8, 0, 0}, {"tee", F_U8, 1, 0},
    {"_reserved", F_BYTES, 2, 4}, {"snp", F_U8, 6, 0},
    {"microcode", F_U8, 7, 0},
};
static const snp_field sig_fields[] = {
    {"r", F_BYTES, 0, 72}, {"s", F_BYTES, 72, 72},
    {"_reserved", F_BYTES, 144, 368},
};

/* The later sev crate: no reserved fields, optional fields of newer report
 * versions null or absent (zero bytes), TcbVersion with Turin's fmc. */
static const snp_field snp6_fields[] = {
    {"version", F_U32, 0x00, 0},         {"guest_svn", F_U32, 0x04, 0},
    {"policy", F_U64, 0x08, 0},          {"family_id", F_BYTES, 0x10, 16},
    {"image_id", F_BYTES, 0x20, 16},     {"vmpl", F_U32, 0x30, 0},
    {"sig_algo", F_U32, 0x34, 0},        {"current_tcb", F_TCB6, 0x38, 0},
    {"plat_info", F_U64, 0x40, 0},       {"key_info", F_U32, 0x48, 0},
    {"report_data", F_BYTES, 0x50, 64},  {"measurement", F_BYTES, 0x90, 48},
    {"host_data", F_BYTES, 0xc0, 32},    {"id_key_digest", F_BYTES, 0xe0, 48},
    {"author_key_digest", F_BYTES, 0x110, 48},
    {"report_id", F_BYTES, 0x140, 32},   {"report_id_ma", F_BYTES, 0x160, 32},
    {"reported_tcb", F_TCB6, 0x180, 0},  {"cpuid_fam_id", F_OPT_U8, 0x188, 0},
    {"cpuid_mod_id", F_OPT_U8, 0x189, 0}, {"cpuid_step", F_OPT_U8, 0x18a, 0},
    {"chip_id", F_BYTES, 0x1a0, 64},     {"committed_tcb", F_TCB6, 0x1e0, 0},
    {"current", F_VER, 0x1e8, 0},        {"committed", F_VER, 0x1ec, 0},
    {"launch_tcb", F_TCB6, 0x1f0, 0},
    {"launch_mit_vector", F_OPT_U64, 0x1f8, 0},
    {"current_mit_vector", F_OPT_U64, 0x200, 0},
    {"signature", F_SIG6, 0x2a0, 0},
};
/* TCB_VERSION: Milan and Genoa (fmc null), Turin (fmc a number). */
static const snp_field tcb6_fields[] = {
    {"fmc", F_NULL, 0, 0}, {"bootloader", F_U8, 0, 0}, {"tee", F_U8, 1, 0},
    {"snp", F_U8, 6, 0}, {"microcode", F_U8, 7, 0},
};
static const snp_field tcb6_turin_fields[] = {
    {"fmc", F_U8, 0, 0}, {"bootloader", F_U8, 1, 0}, {"tee", F_U8, 2, 0},
    {"snp", F_U8, 3, 0}, {"microcode", F_U8, 7, 0},
};
static const snp_field ver_fields[] = {
    {"build", F_U8, 0, 0}, {"minor", F_U8, 1, 0}, {"major", F_U8, 2, 0},
};
static const snp_field sig6_fields[] = {
    {"r", F_BYTES, 0, 72}, {"s", F_BYTES, 72, 72},
};

#define NFIELDS(a) (sizeof(a) / sizeof (a)[0])

/* An array of exactly n numbers 0..255 into out. */
static bool json_bytes(const json_t *a, uint8_t *out, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 255)
            return false;
        out[i] = (uint8_t)json_integer_value(v);
    }
    return true;
}

static bool json_uint(const json_t *v, uint64_t max, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Whether field kind k may be null or absent. */
static bool optional(int k)
{
    return k == F_OPT_U8 || k == F_OPT_U64 || k == F_NULL;
}

/* One struct's fields from the object o into base; what names it. Every
 * member must be a field of the table, and every field not optional be
 * there. */
static int struct_decode(const json_t *o, const snp_field *f, size_t nf,
                         uint8_t *base, const char *what, av_err *e)
{
    size_t present = 0;

    for (size_t i = 0; json_is_object(o) && i < nf; i++)
        present += json_object_get(o, f[i].name) != NULL;
    if (!json_is_object(o) || json_object_size(o) != present)
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: %s is not an "
                       "object of the fields of the sev crate's encoding",
                       what);
    for (size_t i = 0; i < nf; i++) {
        const json_t *v = json_object_get(o, f[i].name);
        const snp_field *sub = NULL;
        size_t nsub = 0;
        uint64_t u = 0;
        bool ok = true;
        int rc;

        if (optional(f[i].kind) && (!v || json_is_null(v)))
            continue;  /* zero bytes, as calloc left them */
        switch (f[i].kind) {
        case F_U8: case F_OPT_U8: ok = json_uint(v, 0xff, &u);
            put_le(base + f[i].off, u, 1);
            break;
        case F_U32: ok = json_uint(v, 0xffffffffu, &u);
            put_le(base + f[i].off, u, 4);
            break;
        case F_U64: case F_OPT_U64: ok = json_uint(v, UINT64_MAX, &u);
            put_le(base + f[i].off, u, 8);
            break;
        case F_BYTES: ok = json_bytes(v, base + f[i].off, f[i].len);
            break;
        case F_NULL: ok = false;  /* not null: another table applies */
            break;
        case F_TCB: sub = tcb_fields; nsub = NFIELDS(tcb_fields); break;
        case F_SIG: sub = sig_fields; nsub = NFIELDS(sig_fields); break;
        case F_VER: sub = ver_fields; nsub = NFIELDS(ver_fields); break;
        case F_SIG6: sub = sig6_fields; nsub = NFIELDS(sig6_fields); break;
        default: {  /* F_TCB6 */
            const json_t *fmc = json_object_get(v, "fmc");
            bool turin = fmc && !json_is_null(fmc);
            sub = turin ? tcb6_turin_fields : tcb6_fields;
            nsub = turin ? NFIELDS(tcb6_turin_fields) : NFIELDS(tcb6_fields);
            break;
        }
        }
        if (sub && (rc = struct_decode(v, sub, nsub, base + f[i].off,
                                       f[i].name, e)))
            return rc;
        if (!ok)
            return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: %s.%s "
                           "missing or not %s", what, f[i].name,
                           f[i].kind == F_BYTES ? "an array of bytes of its "
                                                  "length"
                                                : "an integer of its width");
    }
    return MANTLE_VERIFY_OK;
}

static json_t *struct_encode(const snp_field *f, size_t nf, const uint8_t *base)
{
    json_t *o = json_object();

    for (size_t i = 0; o && i < nf; i++) {
        const uint8_t *p = base + f[i].off;
        json_t *v = NULL;

        switch (f[i].kind) {
        case F_U8: v = json_integer(p[0]); break;
        case F_U32: v = json_integer((json_int_t)av_le32(p)); break;
        case F_U64: v = json_integer((json_int_t)av_le64(p)); break;
        case F_BYTES:
            v = json_array();
            for (size_t k = 0; v && k < f[i].len; k++)
                if (json_array_append_new(v, json_integer(p[k])) != 0) {
                    json_decref(v);
                    v = NULL;
                }
            break;
        case F_TCB: v = struct_encode(tcb_fields, NFIELDS(tcb_fields), p);
            break;
        default: v = struct_encode(sig_fields, NFIELDS(sig_fields), p); break;
        }
        if (!v || json_object_set_new(o, f[i].name, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* ---- Decoding ------------------------------------------------------------ */

bool kbs_trustee_tee(const char *tee, mantle_tee_kind *out)
{
    static const struct { const char *name; mantle_tee_kind kind; } map[] = {
        {"snp", MANTLE_TEE_SNP}, {"tdx", MANTLE_TEE_TDX},
        {"sgx", MANTLE_TEE_SGX},
    };

    for (size_t i = 0; tee && i < NFIELDS(map); i++)
        if (strcmp(tee, map[i].name) == 0) {
            *out = map[i].kind;
            return true;
        }
    return false;
}

void kbs_trustee_evidence_free(kbs_trustee_evidence *t)
{
    if (!t)
        return;
    free(t->bytes);
    for (size_t i = 0; i < t->ncerts; i++)
        free((void *)t->certs[i].data);
    memset(t, 0, sizeof *t);
}

/* The cert_chain: VCEK or VLEK first (the verifier's leaf), then ASK/ARK.
 * Exactly one endorsement key, as Trustee; none is allowed (the broker's
 * --evidence-cert supplies it, where Trustee would ask AMD's KDS). */
static int snp_chain(const json_t *chain, kbs_trustee_evidence *t, av_err *e)
{
    size_t i, n = json_is_array(chain) ? json_array_size(chain) : 0, keys = 0;

    if (!json_is_null(chain) && chain && !json_is_array(chain))
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: cert_chain "
                       "is neither null nor an array");
    for (int pass = 0; pass < 2; pass++)
        for (i = 0; i < n; i++) {
            const json_t *ent = json_array_get(chain, i);
            const char *type = json_string_value(json_object_get(ent,
                                                                 "cert_type"));
            const json_t *data = json_object_get(ent, "data");
            bool key = type && (strcmp(type, "VCEK") == 0 ||
                                strcmp(type, "VLEK") == 0);
            size_t len = json_array_size(data);
            uint8_t *der;

            if (!type || !json_is_array(data))
                return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: "
                               "cert_chain[%zu] is not {\"cert_type\", "
                               "\"data\": [bytes]}", i);
            /* Pass 0 takes the endorsement key, pass 1 ASK, ASVK and ARK;
             * CRLs and vendor-defined entries are not certificates. */
            if (pass == 0 ? !key
                          : key || (strcmp(type, "ASK") != 0 &&
                                    strcmp(type, "ARK") != 0 &&
                                    strcmp(type, "ASVK") != 0))
                continue;
            if (t->ncerts == KBS_TRUSTEE_MAX_CERTS)
                return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: "
                               "more than %d certificates",
                               KBS_TRUSTEE_MAX_CERTS);
            if (len == 0 || len > 65536 || !(der = malloc(len)))
                return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: "
                               "cert_chain[%zu] data empty or too large", i);
            if (!json_bytes(data, der, len)) {
                free(der);
                return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: "
                               "cert_chain[%zu] data is not bytes", i);
            }
            t->certs[t->ncerts++] = (mantle_blob){der, len,
                                                  key ? "evidence VCEK/VLEK"
                                                      : "evidence ASK/ARK"};
            keys += key;
        }
    if (keys > 1)
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: cert_chain "
                       "has %zu VCEK/VLEK entries, want one", keys);
    return MANTLE_VERIFY_OK;
}

/* A base64 member (standard alphabet, as Trustee; URL-safe accepted). */
static int b64_member(const json_t *ev, const char *key, const char *tee,
                      kbs_trustee_evidence *t, av_err *e)
{
    const char *s = json_string_value(json_object_get(ev, key));

    if (!s || !av_base64(s, strlen(s), &t->bytes, &t->len) || t->len == 0)
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "%s evidence: \"%s\" "
                       "missing or not base64", tee, key);
    return MANTLE_VERIFY_OK;
}

int kbs_trustee_decode(mantle_tee_kind kind, const json_t *ev,
                       kbs_trustee_evidence *t, av_err *e)
{
    const json_t *rep;
    int rc;

    memset(t, 0, sizeof *t);
    if (!json_is_object(ev))
        return av_fail(e, MANTLE_VERIFY_MALFORMED, "%s evidence: not a JSON "
                       "object (Trustee's encoding)", mantle_tee_name(kind));
    switch (kind) {
    case MANTLE_TEE_SNP:
        rep = json_object_get(ev, "attestation_report");
        if (!(t->bytes = calloc(1, KBS_SNP_REPORT_BYTES)))
            return av_fail(e, MANTLE_VERIFY_MALFORMED, "snp evidence: %s",
                           "out of memory");
        t->len = KBS_SNP_REPORT_BYTES;
        /* key_info is sev 5+'s name for what older ones split into
         * _author_key_en and _reserved_0. */
        if ((rc = json_object_get(rep, "key_info")
                      ? struct_decode(rep, snp6_fields, NFIELDS(snp6_fields),
                                      t->bytes, "attestation_report", e)
                      : struct_decode(rep, snp_fields, NFIELDS(snp_fields),
                                      t->bytes, "attestation_report", e)) ||
            (rc = snp_chain(json_object_get(ev, "cert_chain"), t, e)))
            break;
        return MANTLE_VERIFY_OK;
    case MANTLE_TEE_TDX: {
        const json_t *log = json_object_get(ev, "cc_eventlog");
        if (log && !json_is_null(log) && !json_is_string(log)) {
            rc = av_fail(e, MANTLE_VERIFY_MALFORMED, "tdx evidence: "
                         "cc_eventlog is neither null nor base64");
            break;
        }
        if ((rc = b64_member(ev, "quote", "tdx", t, e)))
            break;
        return MANTLE_VERIFY_OK;
    }
    case MANTLE_TEE_SGX:
        if ((rc = b64_member(ev, "quote", "sgx", t, e)))
            break;
        return MANTLE_VERIFY_OK;
    default:
        rc = av_fail(e, MANTLE_VERIFY_UNSUPPORTED, "%s evidence: not a "
                     "Trustee encoding the broker verifies",
                     mantle_tee_name(kind));
        break;
    }
    kbs_trustee_evidence_free(t);
    return rc;
}

/* One verification with the evidence's certificates and n of the base's. */
static int verify_with(const kbs_trustee_evidence *t, mantle_tee_kind kind,
                       const mantle_verify_input *base, size_t n,
                       const uint8_t report_data[64], mantle_claims *out,
                       mantle_verify_reason *why, mantle_diag *diag)
{
    mantle_verify_input in = *base;
    mantle_blob *certs = calloc(t->ncerts + n + 1, sizeof *certs);
    int rc;

    if (!certs)
        return av_diag(diag, MANTLE_ENOMEM, "tee-evidence: out of memory");
    memcpy(certs, t->certs, t->ncerts * sizeof *certs);
    if (n)
        memcpy(certs + t->ncerts, base->certs, n * sizeof *certs);
    in.format = kind;
    in.evidence = (mantle_blob){t->bytes, t->len, "tee-evidence"};
    in.certs = certs;
    in.ncerts = t->ncerts + n;
    in.report_data = report_data;
    in.report_data_len = 64;
    rc = mantle_verify(&in, out, why, diag);
    free(certs);
    return rc;
}

int kbs_trustee_verify(mantle_tee_kind kind, const json_t *ev,
                       const mantle_verify_input *base,
                       const uint8_t report_data[64], mantle_claims *out,
                       mantle_verify_reason *why, mantle_diag *diag)
{
    kbs_trustee_evidence t;
    av_err e;
    int rc;

    *why = MANTLE_VERIFY_OK;
    if (kbs_trustee_decode(kind, ev, &t, &e) != MANTLE_VERIFY_OK) {
        *why = e.reason;
        return av_diag(diag, MANTLE_EREFUSED, "tee-evidence: %s", e.message);
    }
    if (kind == MANTLE_TEE_SNP) {
        /* The evidence's own certificates first (the leaf comes from there
         * unless the operator supplied it), then the operator's. */
        rc = verify_with(&t, kind, base, base->ncerts, report_data, out, why,
                         diag);
    } else {
        /* A DCAP quote normally carries its PCK chain, which given
         * certificates would replace (intel.c): the operator's serve only
         * a quote that carries none, where Trustee would ask a PCCS. */
        rc = verify_with(&t, kind, base, 0, report_data, out, why, diag);
        if (rc == MANTLE_EREFUSED && *why == MANTLE_VERIFY_MISSING &&
            base->ncerts)
            rc = verify_with(&t, kind, base, base->ncerts, report_data, out,
                             why, diag);
    }
    kbs_trustee_evidence_free(&t);
    return rc;
}

/* ---- Encoding (the client's side) --------------------------------------- */

char *kbs_b64_std(const uint8_t *p, size_t n)
{
    char *s = malloc(4 * ((n + 2) / 3) + 1);

    if (s)
        EVP_EncodeBlock((unsigned char *)s, p, (int)n);
    return s;
}

json_t *kbs_trustee_encode(mantle_tee_kind kind, const uint8_t *ev, size_t n)
{
    json_t *rep, *out = NULL;
    char *q;

    switch (kind) {
    case MANTLE_TEE_SNP:
        /* cert_chain null: a Trustee verifier then asks AMD's KDS for the
         * VCEK, as it does for attesters without an extended report. */
        if (n != KBS_SNP_REPORT_BYTES ||
            !(rep = struct_encode(snp_fields, NFIELDS(snp_fields), ev)))
            return NULL;
        return json_pack("{s:o,s:n}", "attestation_report", rep,
                         "cert_chain");
    case MANTLE_TEE_TDX:
    case MANTLE_TEE_SGX:
        if (n == 0 || n > (1u << 24) || !(q = kbs_b64_std(ev, n)))
            return NULL;
        out = kind == MANTLE_TEE_TDX
                  ? json_pack("{s:n,s:s}", "cc_eventlog", "quote", q)
                  : json_pack("{s:s}", "quote", q);
        free(q);
        return out;
    default:
        return NULL;
    }
}
