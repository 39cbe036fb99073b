/* intel.h - what Intel SGX and TDX DCAP quotes share: the report body, the
 * ECDSA signature data, PCK certificates and TCB/QE-identity collateral.
 * SPDX-License-Identifier: Apache-2.0
 *
 * References: Intel SGX ECDSA Quote Library API (quote v3), Intel TDX DCAP
 * Quoting Library API (quote v4, v5); Intel PCS API v4 (TCB Info v2/v3,
 * Enclave Identity v2); SGX PCK Certificate and CRL Profile (extensions
 * under 1.2.840.113741.1.13.1).
 */
#ifndef MANTLE_AV_INTEL_H
#define MANTLE_AV_INTEL_H

#include <jansson.h>

#include "av.h"

enum {
    INTEL_HEADER_SIZE = 48,
    SGX_REPORT_BODY_SIZE = 384,
    INTEL_ATT_KEY_ECDSA_P256 = 2,
    INTEL_CERT_PCK_CHAIN = 5,     /* PEM: PCK leaf, Platform/Processor CA, root */
    INTEL_CERT_QE_REPORT = 6,     /* QE report certification data (TDX) */
};

typedef struct intel_header {
    uint16_t version, att_key_type;
    uint32_t tee_type;            /* 0 SGX, 0x81 TDX */
    uint16_t qe_svn, pce_svn;     /* reserved in TDX quotes */
    uint8_t qe_vendor_id[16], user_data[20];
} intel_header;

/* sgx_report_body_t: an enclave's REPORT body (ISV enclave, or the QE). */
typedef struct sgx_report_body {
    uint8_t cpusvn[16];
    uint8_t miscselect[4];        /* memory order */
    uint8_t isv_ext_prod_id[16];
    uint8_t attributes[16];       /* flags u64 LE (bit 1 DEBUG), xfrm u64 */
    uint8_t mrenclave[32], mrsigner[32], config_id[64];
    uint16_t isvprodid, isvsvn, config_svn;
    uint8_t isv_family_id[16];
    uint8_t report_data[64];
} sgx_report_body;

/* The ECDSA-256 quote signature data; pointers are into the quote. */
typedef struct intel_sig_data {
    uint32_t len;                 /* signature_data_len */
    uint8_t sig[64];              /* r || s over the signed region */
    uint8_t att_key[64];          /* x || y, P-256 */
    const uint8_t *qe_report_raw; /* 384 bytes, signed by the PCK key */
    sgx_report_body qe_report;
    uint8_t qe_report_sig[64];
    const uint8_t *qe_auth;
    uint16_t qe_auth_len;
    uint16_t cert_type;           /* of the PCK certification data */
    const uint8_t *cert_data;
    uint32_t cert_len;
    size_t trailing;              /* bytes after the signature data */
} intel_sig_data;

/* The SGX extensions of a PCK certificate. */
typedef struct intel_pck {
    uint8_t ppid[16];
    uint8_t comp[16];             /* SGX TCB components 1..16 */
    uint16_t pcesvn;
    uint8_t cpusvn[16];
    uint8_t pceid[2];
    uint8_t fmspc[6];
    int sgx_type;
} intel_pck;

/* The outcome of the collateral checks (zero when no collateral). */
typedef struct intel_eval {
    bool tcb_evaluated;
    int level;                    /* index into tcbLevels */
    char tcb_date[32];
    mantle_tcb_status platform;   /* from tcbLevels */
    mantle_tcb_status module;     /* TDX module identity, when applicable */
    char module_id[16];
    bool qe_checked;
    mantle_tcb_status qe;         /* QE identity's tcbLevels */
    mantle_tcb_status combined;   /* the worst of the three */
} intel_eval;

void intel_header_parse(const uint8_t *p, intel_header *out);
void sgx_report_body_parse(const uint8_t *p, sgx_report_body *out);
/* Parse the signature data at q[off..len): u32 length, then as above.
 * qe_nested: TDX (the QE report sits in certification data type 6). */
int intel_sig_data_parse(const uint8_t *q, size_t len, size_t off,
                         bool qe_nested, intel_sig_data *out, av_err *e);
int intel_pck_parse(X509 *x, intel_pck *out, av_err *e);

/* Everything after parsing: PCK chain (from the quote or in->certs) to the
 * Intel root, the QE report signature, the attestation key binding, the
 * quote signature, then collateral. TDX passes the TD's TEE_TCB_SVN,
 * MRSIGNERSEAM and SEAM attributes (NULL for SGX). */
typedef struct intel_tdx_tcb {
    const uint8_t *tee_tcb_svn, *mrsignerseam, *seam_attributes;
} intel_tdx_tcb;
int intel_verify(const mantle_verify_input *in, const uint8_t *quote,
                 size_t signed_len, const intel_sig_data *sd,
                 const intel_tdx_tcb *tdx, intel_pck *out_pck,
                 intel_eval *out_eval, av_err *e);

/* Collateral pieces, for tests and for intel_verify. */
/* The raw bytes of the value of `key` (the signed text, exactly as
 * served) and the 64-byte signature of a TCB info / identity document. */
int intel_signed_json(const uint8_t *doc, size_t len, const char *key,
                      const uint8_t **out_body, size_t *out_len,
                      uint8_t out_sig[64], av_err *e);
mantle_tcb_status intel_tcb_status_parse(const char *s);
/* Evaluate a TCB info body (the "tcbInfo" object) against the PCK (and
 * the TD's TCB for TDX); TCB if no level matches or one is Revoked. */
int intel_tcb_evaluate(json_t *tcbinfo, const intel_pck *pck,
                       const intel_tdx_tcb *tdx, intel_eval *out, av_err *e);
/* Check the QE report against an identity body ("enclaveIdentity" or v1
 * "qeIdentity"); COLLATERAL_MISMATCH or TCB. */
int intel_qe_identity_check(json_t *identity, const sgx_report_body *qe,
                            intel_eval *out, av_err *e);

void intel_report_claims(const sgx_report_body *b, mantle_claims *c);

#endif
