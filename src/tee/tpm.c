/* tpm.c - the TPM 2.0 backend through tpm2-tss (ESYS).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: connection - the sealing root (sealed to a PCR policy) - measured
 * launch (PCR extend) - quotes - the NV counter - EK credential activation
 * - the backend table.
 *
 * - Root: 32 random bytes sealed under an owner-hierarchy storage primary
 *   to PolicyPCR(sha256: TPM_SEAL_PCR) as it was on first use; the blobs
 *   (TPM2B_PUBLIC, TPM2B_PRIVATE) live in the state directory. Every key
 *   derivation unseals afresh, so once that PCR changes (another boot
 *   chain, a tampered platform) the TPM refuses and nothing can be sealed
 *   or opened: MANTLE_EAUTH.
 * - Measured launch: each launch (runtime, module, configuration) is
 *   extended into TPM_LAUNCH_PCR.
 * - Evidence: TPM2_Quote over TPM_SEAL_PCR and TPM_LAUNCH_PCR by an ECDSA
 *   P-256 attestation key (an owner-hierarchy primary, so the same key on
 *   every start), qualifyingData = SHA-256 of the EAT binding (32 bytes, a
 *   size every TPM accepts). The EAT carries a CBOR map {"attest": TPMS_ATTEST,
 *   "sig": TPMT_SIGNATURE, "ak": SubjectPublicKeyInfo DER, "pcrs": [[index,
 *   value]...]}. Proving the AK belongs to a genuine TPM: tee_tpm_ek gives
 *   the EK (TCG default ECC template) and the AK's name; a verifier that
 *   trusts the EK (its certificate) runs TPM2_MakeCredential for them, and
 *   tee_tpm_activate recovers the credential only on this TPM.
 * - Counter: an NV counter index (TPM_NV_COUNTER), owner auth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "platform/os_fs.h"
#include "tee/tee.h"
#include "tee/tee_cbor.h"

#define TPM_SEAL_PCR 7      /* secure boot policy: stable across boots */
#define TPM_LAUNCH_PCR 23   /* application PCR: Mantle's launches */
#define TPM_NV_COUNTER 0x01500017u
#define TPM_DEFAULT_DEVICE "/dev/tpmrm0"

struct tee_backend {
    TSS2_TCTI_CONTEXT *tcti;
    ESYS_CONTEXT *esys;
    /* The storage primary and the attestation key are re-created when
     * needed (primaries are deterministic) and flushed at once: a TPM has
     * as few as three transient object slots. */
    ESYS_TR srk;
    ESYS_TR ak;
    char *state_dir;
};

static int tpm_fail(mantle_diag *diag, int status, const char *what,
                    TSS2_RC rc)
{
    return tee_fail(diag, status, "tee: tpm: %s: %s", what,
                    Tss2_RC_Decode(rc));
}

static void pcr_select(TPML_PCR_SELECTION *s, int a, int b)
{
    memset(s, 0, sizeof *s);
    s->count = 1;
    s->pcrSelections[0].hash = TPM2_ALG_SHA256;
    s->pcrSelections[0].sizeofSelect = 3;
    s->pcrSelections[0].pcrSelect[a / 8] |= (uint8_t)(1u << (a % 8));
    if (b >= 0)
        s->pcrSelections[0].pcrSelect[b / 8] |= (uint8_t)(1u << (b % 8));
}

/* ---- Connection ---------------------------------------------------------------- */

/* An ECC P-256 restricted decryption (storage) key with AES-128-CFB: the
 * shape of the storage primary and of the TCG default EK. */
static void decrypt_template(TPM2B_PUBLIC *pub, TPMA_OBJECT extra)
{
    memset(pub, 0, sizeof *pub);
    pub->publicArea.type = TPM2_ALG_ECC;
    pub->publicArea.nameAlg = TPM2_ALG_SHA256;
    pub->publicArea.objectAttributes =
        TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
        TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_RESTRICTED |
        TPMA_OBJECT_DECRYPT | extra;
    pub->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    pub->publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
    pub->publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    pub->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    pub->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    pub->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

static int create_srk(tee_backend *b, mantle_diag *diag)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC pub;
    TPM2B_DATA outside = {0};
    TPML_PCR_SELECTION none = {0};
    TSS2_RC rc;

    memset(&sens, 0, sizeof sens);
    decrypt_template(&pub, TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA);
    rc = Esys_CreatePrimary(b->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
                            ESYS_TR_NONE, ESYS_TR_NONE, &sens, &pub, &outside,
                            &none, &b->srk, NULL, NULL, NULL, NULL);
    return rc == TSS2_RC_SUCCESS
               ? MANTLE_OK
               : tpm_fail(diag, MANTLE_ENOTEE, "creating the storage key", rc);
}

static void tpm_close(tee_backend *b)
{
    if (!b)
        return;
    if (b->esys) {
        if (b->ak != ESYS_TR_NONE)
            Esys_FlushContext(b->esys, b->ak);
        if (b->srk != ESYS_TR_NONE)
            Esys_FlushContext(b->esys, b->srk);
        Esys_Finalize(&b->esys);
    }
    if (b->tcti)
        Tss2_TctiLdr_Finalize(&b->tcti);
    free(b->state_dir);
    free(b);
}

static bool tpm_probe(const char *arg)
{
    os_stat st;

    (void)arg;
    return os_fs_fstatat(OS_FD_CWD, TPM_DEFAULT_DEVICE, true, &st) >= 0 &&
           st.type == OS_FT_CHAR;
}

static int tpm_open(const char *arg, const char *state_dir, tee_backend **out,
                    mantle_diag *diag)
{
    tee_backend *b;
    TSS2_RC rc;
    int st;

    if (!state_dir || !*state_dir)
        return tee_fail(diag, MANTLE_EINVAL, "tee: tpm: needs a state "
                        "directory for its sealed root");
    b = calloc(1, sizeof *b);
    if (!b)
        return tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
    b->srk = b->ak = ESYS_TR_NONE;
    if (!(b->state_dir = strdup(state_dir))) {
        st = tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
        goto fail;
    }
    rc = Tss2_TctiLdr_Initialize(arg ? arg : "device:" TPM_DEFAULT_DEVICE,
                                 &b->tcti);
    if (rc != TSS2_RC_SUCCESS) {
        st = tee_fail(diag, MANTLE_ENOTEE, "tee: tpm: cannot reach the TPM "
                      "(%s): %s", arg ? arg : TPM_DEFAULT_DEVICE,
                      Tss2_RC_Decode(rc));
        goto fail;
    }
    if ((rc = Esys_Initialize(&b->esys, b->tcti, NULL)) != TSS2_RC_SUCCESS) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "initialising ESYS", rc);
        goto fail;
    }
    /* A simulator just switched on needs TPM2_Startup; a booted TPM says
     * it is initialised already. */
    rc = Esys_Startup(b->esys, TPM2_SU_CLEAR);
    if (rc != TSS2_RC_SUCCESS && (rc & 0xfff) != TPM2_RC_INITIALIZE) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "TPM2_Startup", rc);
        goto fail;
    }
    if ((st = tee_state_mkdir(state_dir, diag)) != MANTLE_OK)
        goto fail;
    *out = b;
    return MANTLE_OK;
fail:
    tpm_close(b);
    return st;
}

/* ---- The sealing root ------------------------------------------------------------- */

static TSS2_RC policy_session(tee_backend *b, TPM2_SE type, ESYS_TR *out)
{
    TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_NULL};
    TPML_PCR_SELECTION sel;
    TSS2_RC rc;

    rc = Esys_StartAuthSession(b->esys, ESYS_TR_NONE, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
                               type, &sym, TPM2_ALG_SHA256, out);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    pcr_select(&sel, TPM_SEAL_PCR, -1);
    /* An empty pcrDigest: the TPM uses the PCRs' current values. */
    rc = Esys_PolicyPCR(b->esys, *out, ESYS_TR_NONE, ESYS_TR_NONE,
                        ESYS_TR_NONE, NULL, &sel);
    if (rc != TSS2_RC_SUCCESS)
        Esys_FlushContext(b->esys, *out);
    return rc;
}

/* Create the root and its sealed blobs on first use. */
static int root_create(tee_backend *b, mantle_diag *diag)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC tmpl;
    TPM2B_DATA outside = {0};
    TPML_PCR_SELECTION none = {0};
    TPM2B_DIGEST *policy = NULL;
    TPM2B_PRIVATE *priv = NULL;
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR trial;
    uint8_t buf[sizeof(TPM2B_PRIVATE) + sizeof(TPM2B_PUBLIC)];
    size_t off = 0;
    TSS2_RC rc;
    int st;

    memset(&sens, 0, sizeof sens);
    memset(&tmpl, 0, sizeof tmpl);
    if ((rc = policy_session(b, TPM2_SE_TRIAL, &trial)) != TSS2_RC_SUCCESS)
        return tpm_fail(diag, MANTLE_ENOTEE, "PolicyPCR (trial)", rc);
    rc = Esys_PolicyGetDigest(b->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE,
                              ESYS_TR_NONE, &policy);
    Esys_FlushContext(b->esys, trial);
    if (rc != TSS2_RC_SUCCESS)
        return tpm_fail(diag, MANTLE_ENOTEE, "PolicyGetDigest", rc);
    tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
    tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
    /* No USERWITHAUTH: only the PCR policy opens it. */
    tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM |
                                       TPMA_OBJECT_FIXEDPARENT |
                                       TPMA_OBJECT_NODA;
    tmpl.publicArea.authPolicy = *policy;
    tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
    sens.sensitive.data.size = TEE_CDI;
    if (os_fs_random(sens.sensitive.data.buffer, TEE_CDI) < 0) {
        st = tee_fail(diag, MANTLE_ENOTEE, "tee: tpm: no randomness");
        goto out;
    }
    rc = Esys_Create(b->esys, b->srk, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                     ESYS_TR_NONE, &sens, &tmpl, &outside, &none, &priv, &pub,
                     NULL, NULL, NULL);
    if (rc != TSS2_RC_SUCCESS) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "sealing the root", rc);
        goto out;
    }
    if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof buf, &off) != 0 ||
        Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, sizeof buf, &off) != 0) {
        st = tee_fail(diag, MANTLE_ENOTEE, "tee: tpm: marshalling failed");
        goto out;
    }
    st = tee_state_write(b->state_dir, "tpm-root.sealed", buf, off, diag);
out:
    OPENSSL_cleanse(&sens, sizeof sens);
    Esys_Free(policy);
    Esys_Free(priv);
    Esys_Free(pub);
    return st;
}

static int seal_root_with_srk(tee_backend *b, uint8_t out[TEE_CDI],
                              mantle_diag *diag);

static int tpm_seal_root(tee_backend *b, uint8_t out[TEE_CDI],
                         mantle_diag *diag)
{
    int st;

    if ((st = create_srk(b, diag)) != MANTLE_OK)
        return st;
    st = seal_root_with_srk(b, out, diag);
    Esys_FlushContext(b->esys, b->srk);
    b->srk = ESYS_TR_NONE;
    return st;
}

static int seal_root_with_srk(tee_backend *b, uint8_t out[TEE_CDI],
                              mantle_diag *diag)
{
    uint8_t *blob = NULL;
    size_t size = 0, off = 0;
    TPM2B_PUBLIC pub;
    TPM2B_PRIVATE priv;
    TPM2B_SENSITIVE_DATA *data = NULL;
    ESYS_TR obj = ESYS_TR_NONE, sess = ESYS_TR_NONE;
    TSS2_RC rc;
    int st;

    st = tee_state_read(b->state_dir, "tpm-root.sealed", &blob, &size, diag);
    if (st == -OS_ENOENT) {
        if ((st = root_create(b, diag)) != MANTLE_OK)
            return st;
        st = tee_state_read(b->state_dir, "tpm-root.sealed", &blob, &size,
                            diag);
    }
    if (st != MANTLE_OK)
        return st == -OS_ENOENT ? tee_fail(diag, MANTLE_EIO, "tee: tpm: "
                                           "sealed root vanished") : st;
    memset(&pub, 0, sizeof pub);
    memset(&priv, 0, sizeof priv);
    if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, size, &off, &pub) != 0 ||
        Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob, size, &off, &priv) != 0 ||
        off != size) {
        st = tee_fail(diag, MANTLE_EIO, "tee: tpm: %s/tpm-root.sealed: "
                      "damaged", b->state_dir);
        goto out;
    }
    rc = Esys_Load(b->esys, b->srk, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                   ESYS_TR_NONE, &priv, &pub, &obj);
    if (rc != TSS2_RC_SUCCESS) {
        st = tpm_fail(diag, MANTLE_EAUTH, "loading the sealed root (another "
                      "TPM or a cleared owner hierarchy?)", rc);
        goto out;
    }
    if ((rc = policy_session(b, TPM2_SE_POLICY, &sess)) != TSS2_RC_SUCCESS) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "PolicyPCR", rc);
        goto out;
    }
    rc = Esys_Unseal(b->esys, obj, sess, ESYS_TR_NONE, ESYS_TR_NONE, &data);
    if (rc != TSS2_RC_SUCCESS) {
        st = tpm_fail(diag, MANTLE_EAUTH, "the TPM refuses to unseal the "
                      "root (PCR " "7 changed since it was sealed)", rc);
        goto out;
    }
    if (data->size != TEE_CDI) {
        st = tee_fail(diag, MANTLE_EIO, "tee: tpm: sealed root has %u bytes",
                      data->size);
        goto out;
    }
    memcpy(out, data->buffer, TEE_CDI);
    st = MANTLE_OK;
out:
    if (data) {
        OPENSSL_cleanse(data, sizeof *data);
        Esys_Free(data);
    }
    if (sess != ESYS_TR_NONE)
        Esys_FlushContext(b->esys, sess);
    if (obj != ESYS_TR_NONE)
        Esys_FlushContext(b->esys, obj);
    free(blob);
    return st;
}

/* ---- Measured launch ------------------------------------------------------------------ */

static int tpm_extend(tee_backend *b, const uint8_t digest[TEE_DIGEST],
                      mantle_diag *diag)
{
    TPML_DIGEST_VALUES v;
    TSS2_RC rc;

    memset(&v, 0, sizeof v);
    v.count = 1;
    v.digests[0].hashAlg = TPM2_ALG_SHA256;
    memcpy(v.digests[0].digest.sha256, digest, TEE_DIGEST);
    rc = Esys_PCR_Extend(b->esys, ESYS_TR_PCR0 + TPM_LAUNCH_PCR,
                         ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v);
    return rc == TSS2_RC_SUCCESS
               ? MANTLE_OK
               : tpm_fail(diag, MANTLE_ENOTEE, "PCR_Extend", rc);
}

/* ---- Quotes ----------------------------------------------------------------------------- */

static int create_ak(tee_backend *b, mantle_diag *diag)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC pub;
    TPM2B_DATA outside = {0};
    TPML_PCR_SELECTION none = {0};
    TSS2_RC rc;

    memset(&sens, 0, sizeof sens);
    memset(&pub, 0, sizeof pub);
    pub.publicArea.type = TPM2_ALG_ECC;
    pub.publicArea.nameAlg = TPM2_ALG_SHA256;
    pub.publicArea.objectAttributes =
        TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
        TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
        TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA;
    pub.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    pub.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    pub.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg =
        TPM2_ALG_SHA256;
    pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    pub.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    /* "mantle-ak" in unique makes this primary distinct from others. */
    memcpy(pub.publicArea.unique.ecc.x.buffer, "mantle-ak", 9);
    pub.publicArea.unique.ecc.x.size = 9;
    rc = Esys_CreatePrimary(b->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
                            ESYS_TR_NONE, ESYS_TR_NONE, &sens, &pub, &outside,
                            &none, &b->ak, NULL, NULL, NULL, NULL);
    return rc == TSS2_RC_SUCCESS
               ? MANTLE_OK
               : tpm_fail(diag, MANTLE_ENOTEE, "creating the attestation key",
                          rc);
}

/* The AK's SubjectPublicKeyInfo (DER), malloc'd. */
static int ak_spki(tee_backend *b, uint8_t **out, size_t *out_size)
{
    TPM2B_PUBLIC *pub = NULL;
    uint8_t pt[65];
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *k = NULL;
    unsigned char *der = NULL;
    int n, rc = -1;

    if (Esys_ReadPublic(b->esys, b->ak, ESYS_TR_NONE, ESYS_TR_NONE,
                        ESYS_TR_NONE, &pub, NULL, NULL) != TSS2_RC_SUCCESS)
        return -1;
    if (pub->publicArea.unique.ecc.x.size != 32 ||
        pub->publicArea.unique.ecc.y.size != 32)
        goto out;
    pt[0] = 0x04;
    memcpy(pt + 1, pub->publicArea.unique.ecc.x.buffer, 32);
    memcpy(pt + 33, pub->publicArea.unique.ecc.y.buffer, 32);
    if (!(bld = OSSL_PARAM_BLD_new()) ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                         "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                          sizeof pt) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)) ||
        !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
        (n = i2d_PUBKEY(k, &der)) <= 0)
        goto out;
    *out = malloc((size_t)n);
    if (*out) {
        memcpy(*out, der, (size_t)n);
        *out_size = (size_t)n;
        rc = 0;
    }
out:
    OPENSSL_free(der);
    EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    Esys_Free(pub);
    return rc;
}

static int tpm_evidence(tee_backend *b, const uint8_t rd[TEE_REPORT_DATA],
                        tee_platform_evidence *out, mantle_diag *diag)
{
    TPM2B_DATA q;
    TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_NULL};
    TPML_PCR_SELECTION sel, *sel_out = NULL;
    TPM2B_ATTEST *quoted = NULL;
    TPMT_SIGNATURE *sig = NULL;
    TPML_DIGEST *vals = NULL;
    uint8_t sigbuf[sizeof(TPMT_SIGNATURE)], *spki = NULL;
    size_t sigsize = 0, spki_size = 0;
    cbor_item_t *m = NULL, *pcrs = NULL;
    UINT32 counter;
    TSS2_RC rc;
    int st = MANTLE_ENOTEE;
    bool ok;

    q.size = 32;
    if (tee_sha256(rd, TEE_REPORT_DATA, q.buffer) != 0)
        return tee_fail(diag, MANTLE_ENOTEE, "tee: tpm: hashing failed");
    if ((st = create_ak(b, diag)) != MANTLE_OK)
        return st;
    pcr_select(&sel, TPM_SEAL_PCR, TPM_LAUNCH_PCR);
    rc = Esys_Quote(b->esys, b->ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                    ESYS_TR_NONE, &q, &scheme, &sel, &quoted, &sig);
    if (rc != TSS2_RC_SUCCESS) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "Quote", rc);
        goto out;
    }
    rc = Esys_PCR_Read(b->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel,
                       &counter, &sel_out, &vals);
    if (rc != TSS2_RC_SUCCESS) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "PCR_Read", rc);
        goto out;
    }
    if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sigbuf, sizeof sigbuf, &sigsize) !=
            0 ||
        ak_spki(b, &spki, &spki_size) != 0 || vals->count != 2) {
        st = tee_fail(diag, MANTLE_ENOTEE, "tee: tpm: encoding the quote "
                      "failed");
        goto out;
    }
    m = cbor_new_definite_map(4);
    pcrs = cbor_new_definite_array(2);
    ok = m && pcrs;
    for (uint32_t i = 0; ok && i < 2; i++) {
        cbor_item_t *e = cbor_new_definite_array(2);

        ok = e && tee_cbor_push(e, tee_cbor_int(i ? TPM_LAUNCH_PCR : TPM_SEAL_PCR)) &&
             tee_cbor_push(e, tee_cbor_bytes(vals->digests[i].buffer,
                                             vals->digests[i].size)) &&
             tee_cbor_push(pcrs, e);
        if (!ok && e && !pcrs)
            cbor_decref(&e);
    }
    ok = ok &&
         tee_cbor_put(m, cbor_build_string("attest"),
                      tee_cbor_bytes(quoted->attestationData, quoted->size)) &&
         tee_cbor_put(m, cbor_build_string("sig"),
                      tee_cbor_bytes(sigbuf, sigsize)) &&
         tee_cbor_put(m, cbor_build_string("ak"),
                      tee_cbor_bytes(spki, spki_size)) &&
         tee_cbor_put(m, cbor_build_string("pcrs"), pcrs);
    pcrs = NULL;
    memset(out, 0, sizeof *out);
    if (!ok || tee_cbor_serialize(m, &out->data, &out->size) != 0) {
        st = tee_fail(diag, MANTLE_ENOMEM, "tee: tpm: out of memory");
        goto out;
    }
    snprintf(out->kind, sizeof out->kind, "tpm");
    out->dbgstat = 1;
    st = MANTLE_OK;
out:
    Esys_FlushContext(b->esys, b->ak);
    b->ak = ESYS_TR_NONE;
    if (m)
        cbor_decref(&m);
    if (pcrs)
        cbor_decref(&pcrs);
    free(spki);
    Esys_Free(quoted);
    Esys_Free(sig);
    Esys_Free(sel_out);
    Esys_Free(vals);
    return st;
}

/* ---- The NV counter ---------------------------------------------------------------------- */

static int nv_handle(tee_backend *b, ESYS_TR *out, mantle_diag *diag)
{
    TPM2B_AUTH auth = {0};
    TPM2B_NV_PUBLIC pub;
    TSS2_RC rc;

    rc = Esys_TR_FromTPMPublic(b->esys, TPM_NV_COUNTER, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, out);
    if (rc == TSS2_RC_SUCCESS)
        return MANTLE_OK;
    memset(&pub, 0, sizeof pub);
    pub.nvPublic.nvIndex = TPM_NV_COUNTER;
    pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
    pub.nvPublic.attributes = (TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) |
                              TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD |
                              TPMA_NV_NO_DA;
    pub.nvPublic.dataSize = 8;
    rc = Esys_NV_DefineSpace(b->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
                             ESYS_TR_NONE, ESYS_TR_NONE, &auth, &pub, out);
    return rc == TSS2_RC_SUCCESS
               ? MANTLE_OK
               : tpm_fail(diag, MANTLE_ENOTEE, "defining the NV counter", rc);
}

static int tpm_counter(tee_backend *b, bool inc, uint64_t *out_value,
                       mantle_diag *diag)
{
    TPM2B_MAX_NV_BUFFER *data = NULL;
    ESYS_TR nv;
    TSS2_RC rc;
    uint64_t v = 0;
    int st;

    if ((st = nv_handle(b, &nv, diag)) != MANTLE_OK)
        return st;
    if (inc) {
        rc = Esys_NV_Increment(b->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD,
                               ESYS_TR_NONE, ESYS_TR_NONE);
        if (rc != TSS2_RC_SUCCESS) {
            st = tpm_fail(diag, MANTLE_ENOTEE, "NV_Increment", rc);
            goto out;
        }
    }
    rc = Esys_NV_Read(b->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD,
                      ESYS_TR_NONE, ESYS_TR_NONE, 8, 0, &data);
    if ((rc & 0xfff) == TPM2_RC_NV_UNINITIALIZED) {
        v = 0;  /* never incremented */
    } else if (rc != TSS2_RC_SUCCESS || data->size != 8) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "NV_Read", rc);
        goto out;
    } else {
        for (int i = 0; i < 8; i++)
            v = v << 8 | data->buffer[i];  /* big-endian */
    }
    *out_value = v;
    st = MANTLE_OK;
out:
    Esys_Free(data);
    Esys_TR_Close(b->esys, &nv);
    return st;
}

/* ---- EK credential activation ---------------------------------------------------------------- */

/* The TCG EK Credential Profile's default ECC NIST P-256 template (L-2):
 * the EK is a primary of the endorsement hierarchy, the same key every time
 * and the key an EK certificate certifies; its policy is
 * PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t ek_policy[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
    0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
    0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

static int create_ek(tee_backend *b, ESYS_TR *out, mantle_diag *diag)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC pub;
    TPM2B_DATA outside = {0};
    TPML_PCR_SELECTION none = {0};
    TSS2_RC rc;

    memset(&sens, 0, sizeof sens);
    decrypt_template(&pub, TPMA_OBJECT_ADMINWITHPOLICY);
    pub.publicArea.authPolicy.size = sizeof ek_policy;
    memcpy(pub.publicArea.authPolicy.buffer, ek_policy, sizeof ek_policy);
    pub.publicArea.unique.ecc.x.size = 32;  /* zeros, as the profile says */
    pub.publicArea.unique.ecc.y.size = 32;
    rc = Esys_CreatePrimary(b->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
                            ESYS_TR_NONE, ESYS_TR_NONE, &sens, &pub, &outside,
                            &none, out, NULL, NULL, NULL, NULL);
    return rc == TSS2_RC_SUCCESS
               ? MANTLE_OK
               : tpm_fail(diag, MANTLE_ENOTEE, "creating the endorsement key",
                          rc);
}

static void flush(tee_backend *b, ESYS_TR *h)
{
    if (*h != ESYS_TR_NONE)
        Esys_FlushContext(b->esys, *h);
    *h = ESYS_TR_NONE;
}

static int tpm_ek(tee_backend *b, uint8_t **out_ek, size_t *out_ek_size,
                  uint8_t out_ak_name[TEE_TPM_NAME], size_t *out_ak_name_size,
                  mantle_diag *diag)
{
    ESYS_TR ek = ESYS_TR_NONE;
    TPM2B_PUBLIC *pub = NULL;
    TPM2B_NAME *name = NULL;
    uint8_t buf[sizeof(TPM2B_PUBLIC)];
    size_t off = 0;
    TSS2_RC rc;
    int st;

    if ((st = create_ek(b, &ek, diag)) != MANTLE_OK ||
        (st = create_ak(b, diag)) != MANTLE_OK)
        goto out;
    st = MANTLE_ENOTEE;
    if ((rc = Esys_ReadPublic(b->esys, ek, ESYS_TR_NONE, ESYS_TR_NONE,
                              ESYS_TR_NONE, &pub, NULL, NULL)) != 0 ||
        (rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof buf, &off)) != 0) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "reading the endorsement key", rc);
        goto out;
    }
    if ((rc = Esys_ReadPublic(b->esys, b->ak, ESYS_TR_NONE, ESYS_TR_NONE,
                              ESYS_TR_NONE, NULL, &name, NULL)) != 0 ||
        name->size > TEE_TPM_NAME) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "reading the attestation key", rc);
        goto out;
    }
    if (!(*out_ek = malloc(off))) {
        st = tee_fail(diag, MANTLE_ENOMEM, "tee: out of memory");
        goto out;
    }
    memcpy(*out_ek, buf, off);
    *out_ek_size = off;
    memcpy(out_ak_name, name->name, name->size);
    *out_ak_name_size = name->size;
    st = MANTLE_OK;
out:
    Esys_Free(pub);
    Esys_Free(name);
    flush(b, &ek);
    flush(b, &b->ak);
    return st;
}

static int tpm_activate(tee_backend *b, const uint8_t *blob, size_t blob_size,
                        const uint8_t *secret, size_t secret_size,
                        uint8_t out[TEE_TPM_CREDENTIAL], size_t *out_size,
                        mantle_diag *diag)
{
    TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_NULL};
    TPM2B_ID_OBJECT id;
    TPM2B_ENCRYPTED_SECRET enc;
    TPM2B_DIGEST *cred = NULL;
    ESYS_TR ek = ESYS_TR_NONE, sess = ESYS_TR_NONE;
    size_t o1 = 0, o2 = 0;
    TSS2_RC rc;
    int st;

    memset(&id, 0, sizeof id);
    memset(&enc, 0, sizeof enc);
    /* the verifier's TPM2_MakeCredential outputs, marshalled */
    if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(blob, blob_size, &o1, &id) != 0 ||
        o1 != blob_size ||
        Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(secret, secret_size, &o2,
                                                 &enc) != 0 ||
        o2 != secret_size)
        return tee_fail(diag, MANTLE_EINVAL, "tee: tpm: the credential blob "
                        "or its secret is not a marshalled TPM2B_ID_OBJECT "
                        "or TPM2B_ENCRYPTED_SECRET");
    if ((st = create_ek(b, &ek, diag)) != MANTLE_OK ||
        (st = create_ak(b, diag)) != MANTLE_OK)
        goto out;
    rc = Esys_StartAuthSession(b->esys, ESYS_TR_NONE, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
                               TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, &sess);
    if (rc == TSS2_RC_SUCCESS)
        rc = Esys_PolicySecret(b->esys, ESYS_TR_RH_ENDORSEMENT, sess,
                               ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                               NULL, NULL, NULL, 0, NULL, NULL);
    if (rc != TSS2_RC_SUCCESS) {
        st = tpm_fail(diag, MANTLE_ENOTEE, "the endorsement key's policy", rc);
        goto out;
    }
    rc = Esys_ActivateCredential(b->esys, b->ak, ek, ESYS_TR_PASSWORD, sess,
                                 ESYS_TR_NONE, &id, &enc, &cred);
    if (rc == TSS2_RC_SUCCESS)
        sess = ESYS_TR_NONE;  /* a policy session ends with its command */
    if (rc != TSS2_RC_SUCCESS || cred->size > TEE_TPM_CREDENTIAL) {
        /* integrity or value errors: made for another EK or AK, or forged */
        st = tpm_fail(diag, MANTLE_EAUTH, "ActivateCredential (the credential "
                      "was not made for this TPM's EK and attestation key)",
                      rc);
        goto out;
    }
    memcpy(out, cred->buffer, cred->size);
    *out_size = cred->size;
    st = MANTLE_OK;
out:
    if (cred)
        OPENSSL_cleanse(cred->buffer, cred->size);
    Esys_Free(cred);
    flush(b, &sess);
    flush(b, &ek);
    flush(b, &b->ak);
    return st;
}

/* ---- The backend table --------------------------------------------------------------------- */

static unsigned tpm_caps(const tee_backend *b)
{
    (void)b;
    return TEE_CAP_EVIDENCE | TEE_CAP_EXTEND | TEE_CAP_SEAL_ROOT |
           TEE_CAP_COUNTER;
}

static const char *tpm_kind(const tee_backend *b)
{
    (void)b;
    return "tpm";
}

static uint8_t tpm_mode(const tee_backend *b)
{
    (void)b;
    return TEE_MODE_NORMAL;
}

int tee_tpm_ek(mantle_tee *tee, uint8_t **out_ek, size_t *out_ek_size,
               uint8_t out_ak_name[TEE_TPM_NAME], size_t *out_ak_name_size,
               mantle_diag *diag)
{
    tee_backend *b = tee_serial_enter(tee, &tee_tpm_ops);
    int st;

    if (!b)
        return tee_fail(diag, MANTLE_EINVAL, "tee: %s: not a TPM",
                        tee->ops->name);
    st = tpm_ek(b, out_ek, out_ek_size, out_ak_name, out_ak_name_size, diag);
    tee_serial_leave(tee);
    return st;
}

int tee_tpm_activate(mantle_tee *tee, const uint8_t *blob, size_t blob_size,
                     const uint8_t *secret, size_t secret_size,
                     uint8_t out[TEE_TPM_CREDENTIAL], size_t *out_size,
                     mantle_diag *diag)
{
    tee_backend *b = tee_serial_enter(tee, &tee_tpm_ops);
    int st;

    if (!b)
        return tee_fail(diag, MANTLE_EINVAL, "tee: %s: not a TPM",
                        tee->ops->name);
    st = tpm_activate(b, blob, blob_size, secret, secret_size, out, out_size,
                      diag);
    tee_serial_leave(tee);
    return st;
}

const tee_backend_ops tee_tpm_ops = {
    .version = TEE_BACKEND_VERSION,
    .name = "tpm",
    .probe = tpm_probe,
    .open = tpm_open,
    .caps = tpm_caps,
    .kind = tpm_kind,
    .mode = tpm_mode,
    .evidence = tpm_evidence,
    .extend = tpm_extend,
    .seal_root = tpm_seal_root,
    .counter = tpm_counter,
    .close = tpm_close,
};
