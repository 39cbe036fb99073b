/* broker.c - `mantle broker`: the key broker's administration and its
 * HTTPS server (libevent's evhttp over OpenSSL bufferevents).
 * SPDX-License-Identifier: Apache-2.0
 *
 *   mantle broker put --db DB REPO/TYPE/TAG --value @FILE --policy FILE
 *   mantle broker serve --db DB [--root ROOT.pem] [--policy FILE]
 *                       [--evidence-cert FILE]... [--collateral DIR]
 *                       --listen ADDR:PORT --cert CERT.pem --key KEY.pem
 * (--cert/--key are the broker's TLS identity; the verifier's certificates
 * and collateral, as `mantle verify --cert --collateral`, are
 * --evidence-cert and --collateral.)
 *   mantle broker audit --db DB
 * serve prints "listening on ADDR:PORT" (the port the kernel chose for
 * port 0) once it accepts connections, and stops on SIGINT or SIGTERM.
 * The protocol itself is mantle_broker_handle (src/attest/broker.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cli.h"

enum { BROKER_MAX_BODY = 1 << 20, BROKER_MAX_FILE = 16 << 20 };

static int slurp(const char *path, uint8_t **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, r;

    if (!f) {
        fprintf(stderr, "mantle: broker: %s: open: %s\n", path,
                strerror(errno));
        return CLI_EXIT_IO;
    }
    do {
        if (len == cap && !(buf = realloc(buf, (cap = cap ? 2 * cap : 4096) + 1)))
            abort();
        r = fread(buf + len, 1, cap - len, f);
        len += r;
    } while (r > 0 && len <= BROKER_MAX_FILE);
    fclose(f);
    if (len > BROKER_MAX_FILE) {
        fprintf(stderr, "mantle: broker: %s: larger than 16 MiB\n", path);
        free(buf);
        return CLI_EXIT_IO;
    }
    buf[len] = '\0';
    *out = buf;
    *n = len;
    return CLI_EXIT_OK;
}

/* ---- serve ---------------------------------------------------------------- */

static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
    SSL *ssl = SSL_new(arg);

    return ssl ? bufferevent_openssl_socket_new(base, -1, ssl,
                                                BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE)
               : NULL;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    mantle_broker *b = arg;
    struct evkeyvalq *hin = evhttp_request_get_input_headers(req);
    struct evkeyvalq *hout = evhttp_request_get_output_headers(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    struct evhttp_uri *uri = evhttp_uri_parse(evhttp_request_get_uri(req));
    const char *method, *path = uri ? evhttp_uri_get_path(uri) : NULL;
    size_t len = evbuffer_get_length(in);
    uint8_t *body = malloc(len + 1);
    struct evbuffer *out = evbuffer_new();
    mantle_broker_reply r;

    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: method = "GET"; break;
    case EVHTTP_REQ_POST: method = "POST"; break;
    default: method = "OTHER"; break;
    }
    if (!body || !out || !path) {
        evhttp_send_error(req, 400, "Bad Request");
        goto out;
    }
    evbuffer_copyout(in, body, len);
    mantle_broker_handle(b, method, path, evhttp_find_header(hin, "Cookie"),
                         evhttp_find_header(hin, "Authorization"), body, len,
                         (int64_t)time(NULL), &r);
    evhttp_add_header(hout, "Content-Type", "application/json");
    if (r.cookie[0])
        evhttp_add_header(hout, "Set-Cookie", r.cookie);
    if (r.body)
        evbuffer_add(out, r.body, strlen(r.body));
    evhttp_send_reply(req, r.status, r.status == 200 ? "OK" : "Refused", out);
    mantle_broker_reply_free(&r);
out:
    if (out)
        evbuffer_free(out);
    if (uri)
        evhttp_uri_free(uri);
    free(body);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

static int serve(mantle_broker *b, const char *listen, const char *cert,
                 const char *key)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    struct event_base *base = NULL;
    struct evhttp *http = NULL;
    struct evhttp_bound_socket *sock;
    struct event *sigint = NULL, *sigterm = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    SSL_CTX *ctx = NULL;
    long port;
    int rc = CLI_EXIT_TRAP;

    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host ||
        (port = strtol(colon + 1, NULL, 10)) < 0 || port > 65535)
        return cli_usage_error("broker", "--listen %s: not ADDR:PORT", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (!(ctx = SSL_CTX_new(TLS_server_method())) ||
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        fprintf(stderr, "mantle: broker: %s, %s: not a usable certificate "
                "and key (PEM)\n", cert, key);
        goto out;
    }
    if (!(base = event_base_new()) || !(http = evhttp_new(base))) {
        fprintf(stderr, "mantle: broker: libevent: out of memory\n");
        goto out;
    }
    evhttp_set_max_body_size(http, BROKER_MAX_BODY);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_bevcb(http, tls_bev, ctx);
    evhttp_set_gencb(http, on_request, b);
    if (!(sock = evhttp_bind_socket_with_handle(http, host, (uint16_t)port))) {
        fprintf(stderr, "mantle: broker: %s: listen: %s\n", listen,
                strerror(errno));
        goto out;
    }
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss,
                    &sl) == 0)
        port = ntohs(ss.ss_family == AF_INET6
                         ? ((struct sockaddr_in6 *)&ss)->sin6_port
                         : ((struct sockaddr_in *)&ss)->sin_port);
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    if (!sigint || !sigterm || event_add(sigint, NULL) || event_add(sigterm, NULL))
        goto out;
    printf("listening on %s:%ld\n", host, port);
    fflush(stdout);
    event_base_dispatch(base);
    rc = CLI_EXIT_OK;
out:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (http)
        evhttp_free(http);
    if (base)
        event_base_free(base);
    SSL_CTX_free(ctx);
    return rc;
}

/* ---- the verb ------------------------------------------------------------- */

static int print_line(void *ctx, const char *line)
{
    (void)ctx;
    puts(line);
    return 0;
}

int cli_broker(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"root", required_argument, NULL, 'r'},
        {"policy", required_argument, NULL, 'p'},
        {"listen", required_argument, NULL, 'l'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"value", required_argument, NULL, 'v'},
        {"evidence-cert", required_argument, NULL, 'e'},
        {"collateral", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    const char *sub, *db = NULL, *root = NULL, *policy = NULL, *listen = NULL;
    const char *cert = NULL, *key = NULL, *value = NULL, *resource = NULL;
    const char *ev_certs[CLI_MAX_FILES], *coldir = NULL;
    size_t nev_certs = 0;
    cli_evidence_inputs ei;
    uint8_t *rootb = NULL, *polb = NULL, *valb = NULL;
    size_t rootn = 0, poln = 0, valn = 0;
    mantle_broker *b = NULL;
    mantle_diag diag;
    int c, rc, st;

    if (argc < 2)
        return cli_usage_error("broker", "expected put, serve or audit");
    sub = argv[1];
    argc--;
    argv++;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': root = optarg; break;
        case 'p': policy = optarg; break;
        case 'l': listen = optarg; break;
        case 'c': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'v': value = optarg; break;
        case 'e':
            if (nev_certs == CLI_MAX_FILES)
                return cli_usage_error("broker", "too many --evidence-cert");
            ev_certs[nev_certs++] = optarg;
            break;
        case 'C': coldir = optarg; break;
        default:
            return cli_usage_error("broker", "unknown or incomplete option %s",
                                   argv[optind - 1]);
        }
    }
    if (strcmp(sub, "put") == 0) {
        if (argc - optind != 1 || !db || !value || value[0] != '@' || !policy)
            return cli_usage_error("broker", "put --db DB REPO/TYPE/TAG "
                                   "--value @FILE --policy FILE");
        resource = argv[optind];
    } else if (strcmp(sub, "serve") == 0) {
        if (optind != argc || !db || (!root && !nev_certs && !coldir) ||
            !listen || !cert || !key)
            return cli_usage_error("broker", "serve --db DB [--root ROOT.pem] "
                                   "[--evidence-cert FILE]... [--collateral "
                                   "DIR] (at least one) --listen ADDR:PORT "
                                   "--cert CERT --key KEY");
    } else if (strcmp(sub, "audit") == 0) {
        if (optind != argc || !db)
            return cli_usage_error("broker", "audit --db DB");
    } else {
        return cli_usage_error("broker", "unknown subcommand \"%s\"", sub);
    }
    if ((nev_certs || coldir) && strcmp(sub, "serve") != 0)
        return cli_usage_error("broker", "--evidence-cert and --collateral "
                               "are for serve");
    memset(&ei, 0, sizeof ei);
    if ((root && (rc = slurp(root, &rootb, &rootn))) ||
        (policy && (rc = slurp(policy, &polb, &poln))) ||
        (value && (rc = slurp(value + 1, &valb, &valn))) ||
        (rc = cli_evidence_inputs_load("broker", ev_certs, nev_certs, coldir,
                                       &ei)) != CLI_EXIT_OK)
        goto out;
    cli_diag_init(&diag);
    st = mantle_broker_open(db, rootb, rootn,
                            strcmp(sub, "serve") == 0 ? (char *)polb : NULL,
                            poln, &b, &diag);
    if (st != MANTLE_OK) {
        fprintf(stderr, "mantle: broker: %s: %s\n", db,
                diag.message[0] ? diag.message : mantle_strerror(st));
        rc = st == MANTLE_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_IO;
        goto out;
    }
    if (strcmp(sub, "put") == 0) {
        st = mantle_broker_put(b, resource, valb, valn, (char *)polb, poln,
                               &diag);
        if (st != MANTLE_OK)
            fprintf(stderr, "mantle: broker: put %s: %s\n", resource,
                    diag.message);
        rc = st == MANTLE_OK ? CLI_EXIT_OK
             : st == MANTLE_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_IO;
    } else if (strcmp(sub, "audit") == 0) {
        rc = mantle_broker_audit(b, print_line, NULL) == MANTLE_OK
                 ? CLI_EXIT_OK
                 : CLI_EXIT_IO;
    } else if ((st = mantle_broker_set_evidence_inputs(
                    b, ei.cert_blobs, ei.ncerts, ei.col_blobs, ei.ncol,
                    &diag)) != MANTLE_OK) {
        fprintf(stderr, "mantle: broker: %s\n", diag.message);
        rc = CLI_EXIT_TRAP;
    } else {
        rc = serve(b, listen, cert, key);
    }
out:
    cli_evidence_inputs_free(&ei);
    mantle_broker_free(b);
    if (valb)
        OPENSSL_cleanse(valb, valn);
    free(valb);
    free(rootb);
    free(polb);
    return rc;
}
