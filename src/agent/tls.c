/* tls.c - the API's TLS server context: certificate, key, operator CA.
 * SPDX-License-Identifier: Apache-2.0
 *
 * TLS 1.2 or later only. With client_ca set, clients are asked for a
 * certificate and one that does not chain to that CA fails the handshake;
 * a client without a certificate may still present a bearer token
 * (api.c decides). SIGHUP builds a new context; connections already open
 * keep the one they started with.
 *
 * With tls_attested = BACKEND the certificate is an RA-TLS one
 * (mantle_ratls_certificate, docs/attest.md) made at each context build
 * for a fresh key: the TEE's evidence measures the running executable
 * (mantled) as the runtime, and as the "module" the empty Wasm module
 * under the launch grants {"mantled", "listen-tls:<listen>"} - mantled is
 * not Wasm, so that constant stands for "the agent itself" (docs/agent.md).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "agent.h"

static SSL_CTX *fail(SSL_CTX *ctx, char *err, size_t errlen, const char *what,
                     const char *file)
{
    char ossl[256] = "unknown error";
    unsigned long e = ERR_get_error();

    if (e)
        ERR_error_string_n(e, ossl, sizeof ossl);
    ERR_clear_error();
    snprintf(err, errlen, "%s: %s: %s", file, what, ossl);
    SSL_CTX_free(ctx);
    return NULL;
}

/* The empty module (magic, version 1): the agent's stand-in identity. */
static const uint8_t empty_module[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

/* Load the RA-TLS certificate and key from PEM strings into ctx. */
static int use_pem(SSL_CTX *ctx, const char *cert_pem, const char *key_pem)
{
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    int ok = x && k && SSL_CTX_use_certificate(ctx, x) == 1 &&
             SSL_CTX_use_PrivateKey(ctx, k) == 1;

    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    return ok ? 0 : -1;
}

/* An RA-TLS certificate from the backend cfg->tls_attested, whose state
 * (device secret, counters) is <state_dir>/tee - the same the workloads
 * use, so one `mantle evidence root` covers both. 0, or -1 with err. */
static int use_attested(SSL_CTX *ctx, const struct agent_config *cfg,
                        char *err, size_t errlen)
{
#if !MANTLE_ENABLE_ATTEST
    (void)ctx;
    (void)cfg;
    (void)use_pem;
    (void)empty_module;
    snprintf(err, errlen, "tls_attested: this build has no attested TLS "
                          "(MANTLE_ATTEST=OFF)");
    return -1;
#else
    char tee_dir[600], *grant = NULL, *cert = NULL, *key = NULL;
    const char *grants[2] = {"mantled", NULL};
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_tee *tee = NULL;
    mantle_tee_launch launch;
    mantle_diag diag;
    int rc = -1;

    memset(&diag, 0, sizeof diag);
    snprintf(tee_dir, sizeof tee_dir, "%s/tee", cfg->state_dir);
    if (asprintf(&grant, "listen-tls:%s", cfg->listen) < 0) {
        grant = NULL;
        snprintf(err, errlen, "tls_attested: out of memory");
        goto out;
    }
    grants[1] = grant;
    memset(&launch, 0, sizeof launch);
    launch.grants = grants;
    launch.ngrants = 2;
    if (mantle_engine_new(NULL, &engine) != MANTLE_OK ||
        mantle_module_new(engine, empty_module, sizeof empty_module,
                          "mantled", &module, &diag) != MANTLE_OK) {
        snprintf(err, errlen, "tls_attested: the identity module: %s",
                 diag.message);
        goto out;
    }
    if (mantle_tee_open(cfg->tls_attested, tee_dir, &tee, &diag) !=
            MANTLE_OK ||
        mantle_ratls_certificate(tee, module, &launch, &cert, &key, &diag) !=
            MANTLE_OK) {
        snprintf(err, errlen, "tls_attested = %s (state %s): %s",
                 cfg->tls_attested, tee_dir, diag.message);
        goto out;
    }
    if (use_pem(ctx, cert, key) != 0) {
        snprintf(err, errlen, "tls_attested: the RA-TLS certificate does not "
                              "load");
        goto out;
    }
    rc = 0;
out:
    if (key) {
        OPENSSL_cleanse(key, strlen(key));
        free(key);
    }
    free(cert);
    free(grant);
    mantle_tee_free(tee);
    mantle_module_free(module);
    mantle_engine_free(engine);
    ERR_clear_error();
    return rc;
#endif
}

struct ssl_ctx_st *tls_server_ctx(const struct agent_config *cfg, char *err,
                                  size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL)
        return fail(ctx, err, errlen, "SSL_CTX_new", "tls");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (cfg->tls_attested[0]) {
        if (use_attested(ctx, cfg, err, errlen) != 0) {
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
        return fail(ctx, err, errlen, "certificate", cfg->tls_cert);
    } else if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key,
                                           SSL_FILETYPE_PEM) != 1) {
        return fail(ctx, err, errlen, "private key", cfg->tls_key);
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        return fail(ctx, err, errlen, "key does not match the certificate",
                    cfg->tls_attested[0] ? "tls_attested" : cfg->tls_key);
    if (cfg->client_ca[0]) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca);

        if (names == NULL ||
            SSL_CTX_load_verify_locations(ctx, cfg->client_ca, NULL) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return fail(ctx, err, errlen, "operator CA", cfg->client_ca);
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_verify_depth(ctx, 4);
    }
    return ctx;
}
