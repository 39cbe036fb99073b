/* tls.c - the API's TLS server context: certificate, key, operator CA.
 * SPDX-License-Identifier: Apache-2.0
 *
 * TLS 1.2 or later only. With client_ca set, clients are asked for a
 * certificate and one that does not chain to that CA fails the handshake;
 * a client without a certificate may still present a bearer token
 * (api.c decides). SIGHUP builds a new context; connections already open
 * keep the one they started with.
 */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>
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

struct ssl_ctx_st *tls_server_ctx(const struct agent_config *cfg, char *err,
                                  size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL)
        return fail(ctx, err, errlen, "SSL_CTX_new", "tls");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1)
        return fail(ctx, err, errlen, "certificate", cfg->tls_cert);
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1)
        return fail(ctx, err, errlen, "private key", cfg->tls_key);
    if (SSL_CTX_check_private_key(ctx) != 1)
        return fail(ctx, err, errlen, "key does not match the certificate",
                    cfg->tls_key);
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
