/* policy.c - appraisal policies: reference values in JSON, and the
 * appraisal of verified claims into an EAR-style attestation result.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A policy constrains the common claims view only, so one policy can
 * cover several TEE kinds. Every check yields an EAR tier per claim; the
 * verdict is the worst of them (draft-ietf-rats-ear, AR4SI tiers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "verify/av.h"

enum { POLICY_MAX_VALUES = 64 };

typedef struct ref {
    uint32_t len;
    uint8_t v[64];
} ref;

struct mantle_policy {
    char id[64];
    unsigned tee_mask;          /* bit per mantle_tee_kind; 0: any */
    bool debug_allowed;
    size_t nmeasurements, nmodules;
    ref measurements[POLICY_MAX_VALUES], modules[POLICY_MAX_VALUES];
    int64_t min_svn;            /* -1: none */
    uint32_t min_tcb_len[MANTLE_TEE__COUNT];
    uint8_t min_tcb[MANTLE_TEE__COUNT][16];
    unsigned status_mask;       /* bit per mantle_tcb_status */
    ref report_data;            /* len 0: none */
};

static int bad(mantle_diag *diag, const char *fmt, const char *key)
{
    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
        diag->status = MANTLE_EINVAL;
        diag->func_index = diag->offset = UINT32_MAX;
        snprintf(diag->message, sizeof diag->message, fmt, key);
    }
    return MANTLE_EINVAL;
}

static bool hex_ref(json_t *v, ref *out)
{
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;

    if (s == NULL || n == 0 || n % 2 || n / 2 > sizeof out->v ||
        !av_unhex(s, out->v, n / 2))
        return false;
    out->len = (uint32_t)(n / 2);
    return true;
}

static bool hex_list(json_t *arr, ref *out, size_t *n)
{
    json_t *v;
    size_t i;

    if (!json_is_array(arr) || json_array_size(arr) > POLICY_MAX_VALUES)
        return false;
    json_array_foreach(arr, i, v) {
        if (!hex_ref(v, &out[i]))
            return false;
    }
    *n = json_array_size(arr);
    return true;
}

int mantle_policy_new(const char *json, size_t len, mantle_policy **out_policy,
                      mantle_diag *diag)
{
    static const char *const known[] = {
        "id", "tee", "debug", "measurements", "module_digests", "min_svn",
        "min_tcb", "tcb_status", "report_data",
    };
    json_error_t jerr;
    json_t *root, *v, *x;
    mantle_policy *p;
    const char *key;
    size_t i;
    int rc = MANTLE_EINVAL;

    if (json == NULL || out_policy == NULL)
        return bad(diag, "policy: %s", "no input");
    if ((root = json_loadb(json, len, 0, &jerr)) == NULL) {
        char msg[200];
        snprintf(msg, sizeof msg, "line %d: %s", jerr.line, jerr.text);
        return bad(diag, "policy: not JSON: %s", msg);
    }
    if ((p = calloc(1, sizeof *p)) == NULL) {
        json_decref(root);
        return MANTLE_ENOMEM;
    }
    p->min_svn = -1;
    p->status_mask = 1u << MANTLE_TCB_UP_TO_DATE | 1u << MANTLE_TCB_UNKNOWN;
    if (!json_is_object(root)) {
        bad(diag, "policy: %s", "not a JSON object");
        goto out;
    }
    json_object_foreach(root, key, v) {
        bool ok = false;
        for (i = 0; i < sizeof known / sizeof known[0]; i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok) {
            bad(diag, "policy: unknown key \"%s\"", key);
            goto out;
        }
    }
    if ((v = json_object_get(root, "id")) != NULL) {
        if (!json_is_string(v)) {
            bad(diag, "policy: \"%s\" must be a string", "id");
            goto out;
        }
        snprintf(p->id, sizeof p->id, "%s", json_string_value(v));
    }
    if ((v = json_object_get(root, "tee")) != NULL) {
        if (!json_is_array(v)) {
            bad(diag, "policy: \"%s\" must be an array of TEE names", "tee");
            goto out;
        }
        json_array_foreach(v, i, x) {
            mantle_tee_kind k;
            if (mantle_tee_parse(json_string_value(x), &k) != MANTLE_OK) {
                bad(diag, "policy: \"tee\": unknown TEE \"%s\"",
                    json_string_value(x) ? json_string_value(x) : "?");
                goto out;
            }
            p->tee_mask |= 1u << k;
        }
    }
    if ((v = json_object_get(root, "debug")) != NULL) {
        if (!json_is_boolean(v)) {
            bad(diag, "policy: \"%s\" must be true or false", "debug");
            goto out;
        }
        p->debug_allowed = json_is_true(v);
    }
    if ((v = json_object_get(root, "measurements")) != NULL &&
        !hex_list(v, p->measurements, &p->nmeasurements)) {
        bad(diag, "policy: \"%s\" must be an array of hex strings",
            "measurements");
        goto out;
    }
    if ((v = json_object_get(root, "module_digests")) != NULL &&
        !hex_list(v, p->modules, &p->nmodules)) {
        bad(diag, "policy: \"%s\" must be an array of hex strings",
            "module_digests");
        goto out;
    }
    if ((v = json_object_get(root, "min_svn")) != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            bad(diag, "policy: \"%s\" must be a non-negative integer",
                "min_svn");
            goto out;
        }
        p->min_svn = json_integer_value(v);
    }
    if ((v = json_object_get(root, "min_tcb")) != NULL) {
        if (!json_is_object(v)) {
            bad(diag, "policy: \"%s\" must map TEE names to SVN arrays",
                "min_tcb");
            goto out;
        }
        json_object_foreach(v, key, x) {
            mantle_tee_kind k;
            json_t *n;
            size_t j;
            if (mantle_tee_parse(key, &k) != MANTLE_OK || !json_is_array(x) ||
                json_array_size(x) > 16) {
                bad(diag, "policy: \"min_tcb\": bad entry \"%s\"", key);
                goto out;
            }
            json_array_foreach(x, j, n) {
                if (!json_is_integer(n) || json_integer_value(n) < 0 ||
                    json_integer_value(n) > 255) {
                    bad(diag, "policy: \"min_tcb\": \"%s\": SVNs are 0..255",
                        key);
                    goto out;
                }
                p->min_tcb[k][j] = (uint8_t)json_integer_value(n);
            }
            p->min_tcb_len[k] = (uint32_t)json_array_size(x);
        }
    }
    if ((v = json_object_get(root, "tcb_status")) != NULL) {
        if (!json_is_array(v)) {
            bad(diag, "policy: \"%s\" must be an array of statuses",
                "tcb_status");
            goto out;
        }
        p->status_mask = 0;
        json_array_foreach(v, i, x) {
            const char *s = json_string_value(x);
            int st;
            for (st = MANTLE_TCB_UNKNOWN; st <= MANTLE_TCB_REVOKED; st++)
                if (s && strcmp(s, mantle_tcb_status_name(st)) == 0)
                    break;
            if (st > MANTLE_TCB_REVOKED) {
                bad(diag, "policy: \"tcb_status\": unknown status \"%s\"",
                    s ? s : "?");
                goto out;
            }
            p->status_mask |= 1u << st;
        }
    }
    if ((v = json_object_get(root, "report_data")) != NULL &&
        !hex_ref(v, &p->report_data)) {
        bad(diag, "policy: \"%s\" must be a hex string of up to 64 bytes",
            "report_data");
        goto out;
    }
    *out_policy = p;
    p = NULL;
    rc = MANTLE_OK;
out:
    free(p);
    json_decref(root);
    return rc;
}

void mantle_policy_free(mantle_policy *policy)
{
    free(policy);
}

static void add(mantle_appraisal *a, const char *claim, mantle_ear_status st,
                mantle_verify_reason why, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add(mantle_appraisal *a, const char *claim, mantle_ear_status st,
                mantle_verify_reason why, const char *fmt, ...)
{
    mantle_appraisal_check *c;
    va_list ap;

    if (a->nchecks >= MANTLE_APPRAISAL_MAX_CHECKS)
        return;
    c = &a->checks[a->nchecks++];
    c->claim = claim;
    c->status = st;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    if (st > a->verdict)
        a->verdict = st;
    if (st == MANTLE_EAR_CONTRAINDICATED && a->reason == MANTLE_VERIFY_OK)
        a->reason = why;
}

static bool listed(const ref *refs, size_t n, const uint8_t *v, uint32_t len)
{
    for (size_t i = 0; i < n; i++)
        if (refs[i].len == len && CRYPTO_memcmp(refs[i].v, v, len) == 0)
            return true;
    return false;
}

void mantle_policy_appraise(const mantle_policy *p, const mantle_claims *c,
                            mantle_appraisal *out)
{
    const mantle_ear_status ok = MANTLE_EAR_AFFIRMING,
                            no = MANTLE_EAR_CONTRAINDICATED;
    mantle_appraisal a;
    const char *tee;

    memset(&a, 0, sizeof a);
    a.verdict = MANTLE_EAR_NONE;
    if (p == NULL || c == NULL) {
        add(&a, "policy", no, MANTLE_VERIFY_MISSING, "no policy or claims");
        *out = a;
        return;
    }
    snprintf(a.policy_id, sizeof a.policy_id, "%s", p->id);
    tee = mantle_tee_name(c->tee);
    if (p->tee_mask == 0)
        add(&a, "tee", ok, MANTLE_VERIFY_OK, "%s (any TEE allowed)", tee);
    else if (p->tee_mask & 1u << c->tee)
        add(&a, "tee", ok, MANTLE_VERIFY_OK, "%s allowed", tee);
    else
        add(&a, "tee", no, MANTLE_VERIFY_POLICY_TEE, "%s not allowed", tee);
    if (!c->debug)
        add(&a, "debug", ok, MANTLE_VERIFY_OK, "production evidence");
    else if (p->debug_allowed)
        add(&a, "debug", MANTLE_EAR_WARNING, MANTLE_VERIFY_OK,
            "debug evidence, allowed by the policy");
    else
        add(&a, "debug", no, MANTLE_VERIFY_POLICY_DEBUG,
            "debug evidence not allowed");
    if (p->nmeasurements > 0) {
        if (listed(p->measurements, p->nmeasurements, c->measurement,
                   c->measurement_len))
            add(&a, "measurement", ok, MANTLE_VERIFY_OK, "reference value");
        else
            add(&a, "measurement", no, MANTLE_VERIFY_POLICY_MEASUREMENT,
                "measurement not among the %zu allowed", p->nmeasurements);
    }
    if (p->nmodules > 0) {
        if (c->has_module_digest &&
            listed(p->modules, p->nmodules, c->module_digest, 32))
            add(&a, "module", ok, MANTLE_VERIFY_OK, "allowed module digest");
        else
            add(&a, "module", no, MANTLE_VERIFY_POLICY_MODULE,
                c->has_module_digest ? "module digest not allowed"
                                     : "evidence names no module digest");
    }
    if (p->min_svn >= 0) {
        if (c->svn >= p->min_svn)
            add(&a, "svn", ok, MANTLE_VERIFY_OK, "SVN %u >= %lld", c->svn,
                (long long)p->min_svn);
        else
            add(&a, "svn", no, MANTLE_VERIFY_POLICY_TCB, "SVN %u < %lld",
                c->svn, (long long)p->min_svn);
    }
    if (p->min_tcb_len[c->tee] > 0) {
        uint32_t n = p->min_tcb_len[c->tee], bad_at = UINT32_MAX;
        for (uint32_t i = 0; i < n && bad_at == UINT32_MAX; i++)
            if (i >= c->tcb_len || c->tcb[i] < p->min_tcb[c->tee][i])
                bad_at = i;
        if (bad_at == UINT32_MAX)
            add(&a, "tcb", ok, MANTLE_VERIFY_OK, "TCB at or above minimum");
        else
            add(&a, "tcb", no, MANTLE_VERIFY_POLICY_TCB,
                "TCB component %u is %u, below the minimum %u", bad_at,
                bad_at < c->tcb_len ? c->tcb[bad_at] : 0,
                p->min_tcb[c->tee][bad_at]);
    }
    if (p->status_mask & 1u << c->tcb_status)
        add(&a, "tcb_status", ok, MANTLE_VERIFY_OK, "%s",
            mantle_tcb_status_name(c->tcb_status));
    else
        add(&a, "tcb_status", no, MANTLE_VERIFY_POLICY_TCB,
            "TCB status %s not accepted",
            mantle_tcb_status_name(c->tcb_status));
    if (p->report_data.len > 0) {
        if (p->report_data.len <= c->report_data_len &&
            CRYPTO_memcmp(p->report_data.v, c->report_data,
                          p->report_data.len) == 0)
            add(&a, "report_data", ok, MANTLE_VERIFY_OK, "expected value");
        else
            add(&a, "report_data", no, MANTLE_VERIFY_REPORT_DATA,
                "report data is not the expected value");
    }
    *out = a;
}
