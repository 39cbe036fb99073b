/* ratls_proxy.c - `mantle run --listen-tls ADDR:PORT`: terminate attested
 * TLS in the runtime and hand plaintext to the guest's sock_accept socket.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The guest is given a loopback listener; one thread accepts TLS
 * connections on ADDR:PORT with the RA-TLS certificate (its evidence binds
 * the certificate's key to this module and launch), connects each to the
 * guest's listener and copies bytes both ways until both sides are done.
 * Connections are served one at a time, as simple guest servers are.
 *
 * A client that sends a nonce in the CLI_RATLS_NONCE_EXT ClientHello
 * extension (`mantle verify-tls`) gets a certificate made for its
 * connection, whose evidence binds the key and that nonce; others get the
 * certificate made at start, which binds the key alone.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "cli.h"

typedef struct proxy {
    int tls_fd;
    uint16_t port;   /* the guest's loopback listener */
    SSL_CTX *ctx;
} proxy;

/* What a per-connection certificate is made for (cli_ratls_fresh); the
 * strings and arrays owned, for the life of the process. */
static struct {
    mantle_tee *tee;
    const mantle_module *module;
    mantle_tee_launch launch;
} fresh;

static char *xstrdup(const char *s)
{
    char *d = s ? strdup(s) : NULL;

    if (s && !d)
        abort();
    return d;
}

static const char **strv_copy(const char *const *v, size_t n)
{
    const char **d = calloc(n + 1, sizeof *d);

    if (!d)
        abort();
    for (size_t i = 0; i < n; i++)
        d[i] = xstrdup(v[i]);
    return d;
}

void cli_ratls_fresh(mantle_tee *tee, const mantle_module *module,
                     const mantle_tee_launch *launch)
{
    mantle_wasi_preopen *pre;
    size_t n = launch ? launch->npreopens : 0;

    if (!(pre = calloc(n + 1, sizeof *pre)))
        abort();
    for (size_t i = 0; i < n; i++) {
        pre[i] = launch->preopens[i];
        pre[i].host_path = xstrdup(launch->preopens[i].host_path);
        pre[i].guest_path = xstrdup(launch->preopens[i].guest_path);
    }
    fresh.tee = tee;
    fresh.module = module;
    memset(&fresh.launch, 0, sizeof fresh.launch);
    fresh.launch.preopens = pre;
    fresh.launch.npreopens = n;
    if (launch) {
        fresh.launch.envp = strv_copy(launch->envp, launch->envc);
        fresh.launch.envc = launch->envc;
        fresh.launch.grants = strv_copy(launch->grants, launch->ngrants);
        fresh.launch.ngrants = launch->ngrants;
    }
}

/* OpenSSL keeps a ClientHello extension for SSL_client_hello_get0_ext only
 * when one is registered for its type; hello() reads it. */
static int nonce_seen(SSL *ssl, unsigned int type, unsigned int context,
                      const unsigned char *in, size_t inlen, X509 *x,
                      size_t chainidx, int *alert, void *arg)
{
    (void)ssl, (void)type, (void)context, (void)in, (void)inlen, (void)x,
        (void)chainidx, (void)alert, (void)arg;
    return 1;
}

/* ClientHello: with the nonce extension, this connection's certificate. */
static int hello(SSL *ssl, int *alert, void *arg)
{
    const unsigned char *nonce;
    size_t len;
    char *cert = NULL, *key = NULL;
    BIO *cb = NULL, *kb = NULL;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    mantle_diag diag;
    bool ok;

    (void)arg;
    if (!fresh.tee ||
        SSL_client_hello_get0_ext(ssl, CLI_RATLS_NONCE_EXT, &nonce, &len) != 1)
        return SSL_CLIENT_HELLO_SUCCESS;
    cli_diag_init(&diag);
    ok = mantle_ratls_certificate_fresh(fresh.tee, fresh.module, &fresh.launch,
                                        nonce, len, &cert, &key, &diag) ==
             MANTLE_OK &&
         (cb = BIO_new_mem_buf(cert, -1)) && (kb = BIO_new_mem_buf(key, -1)) &&
         (x = PEM_read_bio_X509(cb, NULL, NULL, NULL)) &&
         (k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL)) &&
         SSL_use_certificate(ssl, x) == 1 && SSL_use_PrivateKey(ssl, k) == 1;
    if (!ok) {
        fprintf(stderr, "mantle: run: --listen-tls: no certificate for the "
                "connection's nonce: %s\n",
                diag.message[0] ? diag.message : "TLS setup failed");
        *alert = len < 8 || len > 64 ? SSL_AD_ILLEGAL_PARAMETER
                                     : SSL_AD_INTERNAL_ERROR;
    }
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    free(cert);
    if (key)
        OPENSSL_cleanse(key, strlen(key));
    free(key);
    return ok ? SSL_CLIENT_HELLO_SUCCESS : SSL_CLIENT_HELLO_ERROR;
}

/* Whether a connection is being relayed: the run waits for it to drain
 * before exiting, or a guest that answers and exits would lose its last
 * reply in the relay. */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t busy_done = PTHREAD_COND_INITIALIZER;
static bool busy;

static void set_busy(bool b)
{
    pthread_mutex_lock(&busy_lock);
    busy = b;
    pthread_cond_broadcast(&busy_done);
    pthread_mutex_unlock(&busy_lock);
}

void cli_ratls_drain(void)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&busy_lock);
    while (busy &&
           pthread_cond_timedwait(&busy_done, &busy_lock, &until) == 0)
        ;
    pthread_mutex_unlock(&busy_lock);
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void pump(SSL *ssl, int c, int u)
{
    char buf[16384];
    bool c_open = true;

    for (;;) {
        struct pollfd p[2] = {{c_open ? c : -1, POLLIN, 0}, {u, POLLIN, 0}};
        if (!(c_open && SSL_pending(ssl) > 0) && poll(p, 2, 30000) <= 0)
            return;  /* idle for 30 s, or poll failed */
        if (c_open && (SSL_pending(ssl) > 0 || p[0].revents)) {
            int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) {
                int e = SSL_get_error(ssl, n);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                    c_open = false;
                    shutdown(u, SHUT_WR);
                }
            } else if (!write_all(u, buf, (size_t)n)) {
                return;
            }
        }
        if (p[1].revents) {
            ssize_t n = read(u, buf, sizeof buf);
            if (n <= 0) {
                SSL_shutdown(ssl);
                return;
            }
            if (SSL_write(ssl, buf, (int)n) <= 0)
                return;
        }
    }
}

static void *serve(void *arg)
{
    proxy *px = arg;

    for (;;) {
        struct sockaddr_in to;
        int c = accept(px->tls_fd, NULL, NULL), u = -1;
        SSL *ssl;

        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL;
        }
        set_busy(true);
        memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        to.sin_port = htons(px->port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if ((ssl = SSL_new(px->ctx)) && SSL_set_fd(ssl, c) == 1 &&
            SSL_accept(ssl) == 1 &&
            (u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
            connect(u, (struct sockaddr *)&to, sizeof to) == 0)
            pump(ssl, c, u);
        ERR_clear_error();
        SSL_free(ssl);
        if (u >= 0)
            close(u);
        close(c);
        set_busy(false);
    }
}

int cli_ratls_start(const char *spec, int tls_fd, uint16_t guest_port,
                    const char *cert_pem, const char *key_pem)
{
    proxy *px = calloc(1, sizeof *px);
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    pthread_t t;
    bool ok;

    ok = px && x && k && (px->ctx = SSL_CTX_new(TLS_server_method())) &&
         SSL_CTX_set_min_proto_version(px->ctx, TLS1_2_VERSION) == 1 &&
         SSL_CTX_use_certificate(px->ctx, x) == 1 &&
         SSL_CTX_use_PrivateKey(px->ctx, k) == 1;
    if (ok) {
        SSL_CTX_set_client_hello_cb(px->ctx, hello, NULL);
        ok = SSL_CTX_add_custom_ext(px->ctx, CLI_RATLS_NONCE_EXT,
                                    SSL_EXT_CLIENT_HELLO, NULL, NULL, NULL,
                                    nonce_seen, NULL) == 1;
    }
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    if (ok) {
        /* A peer that hangs up must not kill the runtime mid-write. */
        signal(SIGPIPE, SIG_IGN);
        px->tls_fd = tls_fd;
        px->port = guest_port;
        ok = pthread_create(&t, NULL, serve, px) == 0 && pthread_detach(t) == 0;
    }
    if (!ok) {
        fprintf(stderr, "mantle: run: --listen-tls %s: cannot start TLS\n",
                spec);
        if (px)
            SSL_CTX_free(px->ctx);
        free(px);
        return CLI_EXIT_TRAP;
    }
    {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        unsigned port = 0;

        if (getsockname(tls_fd, (struct sockaddr *)&ss, &sl) == 0)
            port = ntohs(ss.ss_family == AF_INET6
                             ? ((struct sockaddr_in6 *)&ss)->sin6_port
                             : ((struct sockaddr_in *)&ss)->sin_port);
        fprintf(stderr, "mantle: run: --listen-tls %s: attested TLS on port "
                "%u for the guest's listener\n", spec, port);
    }
    return CLI_EXIT_OK;  /* px lives as long as the process */
}
