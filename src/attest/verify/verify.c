/* verify.c - mantle_verify(): the public entry, dispatching by format.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdio.h>
#include <string.h>

#include "av.h"

static const char *const tee_names[MANTLE_TEE__COUNT] = {
    [MANTLE_TEE_NONE] = "none", [MANTLE_TEE_SNP] = "snp",
    [MANTLE_TEE_TDX] = "tdx",   [MANTLE_TEE_SGX] = "sgx",
    [MANTLE_TEE_CCA] = "cca",   [MANTLE_TEE_TPM] = "tpm",
    [MANTLE_TEE_MANTLE] = "mantle",
};

const char *mantle_tee_name(mantle_tee_kind kind)
{
    return (unsigned)kind < MANTLE_TEE__COUNT ? tee_names[kind] : "unknown";
}

int mantle_tee_parse(const char *name, mantle_tee_kind *out_kind)
{
    for (int k = MANTLE_TEE_SNP; k < MANTLE_TEE__COUNT; k++)
        if (name != NULL && strcmp(name, tee_names[k]) == 0) {
            *out_kind = (mantle_tee_kind)k;
            return MANTLE_OK;
        }
    return MANTLE_EINVAL;
}

const char *mantle_verify_reason_name(mantle_verify_reason reason)
{
    switch (reason) {
    case MANTLE_VERIFY_OK: return "ok";
    case MANTLE_VERIFY_TRUNCATED: return "truncated";
    case MANTLE_VERIFY_MALFORMED: return "malformed";
    case MANTLE_VERIFY_UNSUPPORTED: return "unsupported";
    case MANTLE_VERIFY_MISSING: return "missing input";
    case MANTLE_VERIFY_SIGNATURE: return "signature";
    case MANTLE_VERIFY_CHAIN: return "chain";
    case MANTLE_VERIFY_EXPIRED: return "expired";
    case MANTLE_VERIFY_REVOKED: return "revoked";
    case MANTLE_VERIFY_CRL: return "crl";
    case MANTLE_VERIFY_BINDING: return "binding";
    case MANTLE_VERIFY_REPORT_DATA: return "report data";
    case MANTLE_VERIFY_COLLATERAL_SIGNATURE: return "collateral signature";
    case MANTLE_VERIFY_COLLATERAL_EXPIRED: return "collateral expired";
    case MANTLE_VERIFY_COLLATERAL_MISMATCH: return "collateral mismatch";
    case MANTLE_VERIFY_TCB: return "tcb";
    case MANTLE_VERIFY_POLICY_TEE: return "policy: tee";
    case MANTLE_VERIFY_POLICY_DEBUG: return "policy: debug";
    case MANTLE_VERIFY_POLICY_MEASUREMENT: return "policy: measurement";
    case MANTLE_VERIFY_POLICY_MODULE: return "policy: module";
    case MANTLE_VERIFY_POLICY_TCB: return "policy: tcb";
    case MANTLE_VERIFY__COUNT: break;
    }
    return "unknown";
}

const char *mantle_tcb_status_name(mantle_tcb_status status)
{
    switch (status) {
    case MANTLE_TCB_UNKNOWN: return "Unknown";
    case MANTLE_TCB_UP_TO_DATE: return "UpToDate";
    case MANTLE_TCB_SW_HARDENING_NEEDED: return "SWHardeningNeeded";
    case MANTLE_TCB_CONFIGURATION_NEEDED: return "ConfigurationNeeded";
    case MANTLE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
        return "ConfigurationAndSWHardeningNeeded";
    case MANTLE_TCB_OUT_OF_DATE: return "OutOfDate";
    case MANTLE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED:
        return "OutOfDateConfigurationNeeded";
    case MANTLE_TCB_REVOKED: return "Revoked";
    }
    return "Unknown";
}

int mantle_time_parse(const char *text, int64_t *out_time)
{
    int64_t t;

    if (!av_time_parse(text, &t))
        return MANTLE_EINVAL;
    *out_time = t;
    return MANTLE_OK;
}

int mantle_verify(const mantle_verify_input *in, mantle_claims *out_claims,
                  mantle_verify_reason *out_reason, mantle_diag *diag)
{
    static int (*const verifiers[MANTLE_TEE__COUNT])(
        const mantle_verify_input *, mantle_claims *, av_err *) = {
        [MANTLE_TEE_SNP] = av_verify_snp, [MANTLE_TEE_TDX] = av_verify_tdx,
        [MANTLE_TEE_SGX] = av_verify_sgx, [MANTLE_TEE_CCA] = av_verify_cca,
        [MANTLE_TEE_TPM] = av_verify_tpm,
        [MANTLE_TEE_MANTLE] = av_verify_mantle,
    };
    mantle_claims claims;
    av_err e;
    int rc;

    e.reason = MANTLE_VERIFY_OK;
    e.message[0] = '\0';
    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
        diag->func_index = diag->offset = UINT32_MAX;
    }
    if (in == NULL || out_claims == NULL ||
        (unsigned)in->format >= MANTLE_TEE__COUNT ||
        verifiers[in->format] == NULL ||
        (in->evidence.data == NULL && in->evidence.len != 0) ||
        (in->ncerts && in->certs == NULL) ||
        (in->ncollateral && in->collateral == NULL)) {
        if (diag != NULL) {
            diag->status = MANTLE_EINVAL;
            snprintf(diag->message, sizeof diag->message,
                     "mantle_verify: bad input");
        }
        return MANTLE_EINVAL;
    }
    rc = verifiers[in->format](in, &claims, &e);
    if (rc == MANTLE_VERIFY_OK) {
        *out_claims = claims;
        return MANTLE_OK;
    }
    if (out_reason != NULL)
        *out_reason = e.reason;
    if (diag != NULL) {
        diag->status = MANTLE_EREFUSED;
        snprintf(diag->message, sizeof diag->message, "%s%s%s",
                 in->evidence.name ? in->evidence.name : "",
                 in->evidence.name ? ": " : "", e.message);
    }
    return MANTLE_EREFUSED;
}
