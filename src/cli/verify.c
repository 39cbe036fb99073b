/* verify.c - `mantle verify`: check TEE evidence, print the verified
 * claims and, with --policy, the appraisal and verdict.
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mantle verify-tls HOST:PORT`: the same for the evidence in a TLS
 * server's certificate (RA-TLS, docs/attest.md).
 * Exit: 0 verified (and accepted by the policy); 1 refused, with the reason
 * on stderr; 2 usage; 5 a file could not be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cli.h"

static void print_hex(const char *name, const uint8_t *p, size_t n)
{
    printf("  %-14s ", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

static void print_claims(const char *path, const mantle_claims *c)
{
    printf("%s: verified %s evidence\n", path, mantle_tee_name(c->tee));
    printf("  %-14s %u\n", "version", c->version);
    print_hex("measurement", c->measurement, c->measurement_len);
    print_hex("report_data", c->report_data, c->report_data_len);
    printf("  %-14s %s\n", "debug", c->debug ? "yes" : "no");
    printf("  %-14s %u\n", "svn", c->svn);
    print_hex("tcb", c->tcb, c->tcb_len);
    printf("  %-14s %s\n", "tcb_status", mantle_tcb_status_name(c->tcb_status));
    if (c->has_module_digest)
        print_hex("module_digest", c->module_digest, 32);
    for (uint32_t i = 0; i < c->nmeasurements; i++)
        print_hex(c->measurements[i].name, c->measurements[i].value,
                  c->measurements[i].len);
}

static const char *tier(mantle_ear_status s)
{
    return s == MANTLE_EAR_AFFIRMING   ? "affirming"
           : s == MANTLE_EAR_WARNING   ? "warning"
           : s == MANTLE_EAR_NONE      ? "none"
                                       : "contraindicated";
}

/* Print verified claims and, with a policy, each check and the verdict
 * (and a signed EAR with ear_key); the exit code. */
static int report(const char *verb, const char *what,
                  const mantle_claims *claims,
                  const mantle_policy *policy, const char *policy_path,
                  const cli_file *ear_key, int64_t when)
{
    mantle_appraisal ap;
    mantle_diag diag;
    int st;

    print_claims(what, claims);
    if (policy == NULL) {
        printf("verdict: verified (no policy)\n");
        return CLI_EXIT_OK;
    }
    mantle_policy_appraise(policy, claims, &ap);
    printf("policy %s%s%s%s\n", policy_path, ap.policy_id[0] ? " (" : "",
           ap.policy_id, ap.policy_id[0] ? ")" : "");
    for (uint32_t i = 0; i < ap.nchecks; i++)
        printf("  %-14s %-15s %s\n", ap.checks[i].claim,
               tier(ap.checks[i].status), ap.checks[i].detail);
    printf("verdict: %s\n", tier(ap.verdict));
    if (ear_key != NULL) {
        static char jwt[16384];
        if ((st = mantle_ear_sign(claims, &ap, when, ear_key->data,
                                  ear_key->len, jwt, sizeof jwt, &diag)) !=
            MANTLE_OK) {
            fprintf(stderr, "mantle: %s: %s: %s\n", verb, ear_key->path,
                    diag.message);
            return CLI_EXIT_USAGE;
        }
        printf("ear: %s\n", jwt);
    }
    if (ap.verdict == MANTLE_EAR_CONTRAINDICATED) {
        for (uint32_t i = 0; i < ap.nchecks; i++)
            if (ap.checks[i].status == MANTLE_EAR_CONTRAINDICATED) {
                fprintf(stderr, "mantle: %s: %s: refused by policy (%s): "
                        "%s\n", verb, what, mantle_verify_reason_name(ap.reason),
                        ap.checks[i].detail);
                break;
            }
        return CLI_EXIT_TRAP;
    }
    return CLI_EXIT_OK;
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    size_t len = strlen(s);

    if (len == 0 || len % 2 || len / 2 > cap)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    *n = len / 2;
    return 0;
}

int cli_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"evidence", required_argument, NULL, 'e'},
        {"cert", required_argument, NULL, 'c'},
        {"root", required_argument, NULL, 'r'},
        {"collateral", required_argument, NULL, 'C'},
        {"policy", required_argument, NULL, 'p'},
        {"time", required_argument, NULL, 't'},
        {"report-data", required_argument, NULL, 'd'},
        {"ear-key", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL, *evidence = NULL, *root = NULL, *coldir = NULL;
    const char *policy_path = NULL, *when = NULL, *rdata = NULL, *ear_key = NULL;
    const char *cert_paths[CLI_MAX_FILES];
    size_t ncert_paths = 0, rdlen = 0;
    cli_file ev = {0}, rootf = {0}, pol = {0}, key = {0};
    cli_evidence_inputs ei;
    mantle_verify_input in;
    mantle_claims claims;
    mantle_verify_reason reason = MANTLE_VERIFY_OK;
    mantle_policy *policy = NULL;
    mantle_diag diag;
    uint8_t rd[64];
    int opt, rc = CLI_EXIT_OK, st;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': format = optarg; break;
        case 'e': evidence = optarg; break;
        case 'c':
            if (ncert_paths == CLI_MAX_FILES)
                return cli_usage_error("verify", "too many --cert");
            cert_paths[ncert_paths++] = optarg;
            break;
        case 'r': root = optarg; break;
        case 'C': coldir = optarg; break;
        case 'p': policy_path = optarg; break;
        case 't': when = optarg; break;
        case 'd': rdata = optarg; break;
        case 'k': ear_key = optarg; break;
        default:
            return cli_usage_error("verify", "unknown or incomplete option %s",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("verify", "unexpected argument %s",
                               argv[optind]);
    memset(&in, 0, sizeof in);
    memset(&ei, 0, sizeof ei);
    if (format == NULL || mantle_tee_parse(format, &in.format) != MANTLE_OK)
        return cli_usage_error("verify",
                               "--format snp|tdx|sgx|cca|tpm|mantle is required");
    if (evidence == NULL)
        return cli_usage_error("verify", "--evidence FILE is required");
    if (when != NULL) {
        if (mantle_time_parse(when, &in.time) != MANTLE_OK)
            return cli_usage_error("verify", "--time %s: not RFC 3339", when);
    } else {
        in.time = (int64_t)time(NULL);
    }
    if (rdata != NULL && unhex(rdata, rd, sizeof rd, &rdlen) != 0)
        return cli_usage_error("verify", "--report-data: up to 64 bytes in hex");
    if (ear_key != NULL && policy_path == NULL)
        return cli_usage_error("verify", "--ear-key needs --policy");

    if ((rc = cli_read_file("verify", evidence, &ev)) != CLI_EXIT_OK)
        goto out;
    if ((rc = cli_evidence_inputs_load("verify", cert_paths, ncert_paths,
                                       coldir, &ei)) != CLI_EXIT_OK)
        goto out;
    if (root != NULL && (rc = cli_read_file("verify", root, &rootf)) != CLI_EXIT_OK)
        goto out;
    if (policy_path != NULL) {
        if ((rc = cli_read_file("verify", policy_path, &pol)) != CLI_EXIT_OK)
            goto out;
        if ((st = mantle_policy_new((const char *)pol.data, pol.len, &policy,
                                    &diag)) != MANTLE_OK) {
            fprintf(stderr, "mantle: verify: %s: %s\n", policy_path,
                    st == MANTLE_ENOMEM ? "out of memory" : diag.message);
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    }
    if (ear_key != NULL && (rc = cli_read_file("verify", ear_key, &key)) != CLI_EXIT_OK)
        goto out;

    in.evidence = (mantle_blob){ev.data, ev.len, ev.path};
    in.certs = ei.cert_blobs;
    in.ncerts = ei.ncerts;
    if (root != NULL)
        in.root = (mantle_blob){rootf.data, rootf.len, rootf.path};
    in.collateral = ei.col_blobs;
    in.ncollateral = ei.ncol;
    if (rdlen) {
        in.report_data = rd;
        in.report_data_len = rdlen;
    }
    st = mantle_verify(&in, &claims, &reason, &diag);
    if (st != MANTLE_OK) {
        if (st == MANTLE_EREFUSED)
            fprintf(stderr, "mantle: verify: refused (%s): %s\n",
                    mantle_verify_reason_name(reason), diag.message);
        else
            fprintf(stderr, "mantle: verify: %s: %s\n", evidence,
                    mantle_strerror(st));
        rc = CLI_EXIT_TRAP;
        goto out;
    }
    rc = report("verify", evidence, &claims, policy, policy_path, ear_key ? &key : NULL,
                in.time);
out:
    mantle_policy_free(policy);
    free(ev.path);
    free(ev.data);
    free(rootf.path);
    free(rootf.data);
    free(pol.path);
    free(pol.data);
    free(key.path);
    free(key.data);
    cli_evidence_inputs_free(&ei);
    return rc;
}

/* ---- verify-tls ------------------------------------------------------------ */

/* Connect to HOST:PORT ("[::1]:443" too); -1 after reporting. */
static int dial(const char *spec)
{
    const char *colon = strrchr(spec, ':');
    char host[256];
    size_t hl = colon ? (size_t)(colon - spec) : 0;
    const char *h = spec;
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, rc;

    if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (!colon || hl == 0 || hl >= sizeof host)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
        fprintf(stderr, "mantle: verify-tls: %s: %s\n", spec, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0)
        fprintf(stderr, "mantle: verify-tls: %s: connect: %s\n", spec,
                strerror(errno));
    freeaddrinfo(res);
    return fd;
}

/* Our nonce in the ClientHello (CLI_RATLS_NONCE_EXT). */
static int add_nonce(SSL *ssl, unsigned int type, unsigned int context,
                     const unsigned char **out, size_t *outlen, X509 *x,
                     size_t chainidx, int *alert, void *arg)
{
    (void)ssl, (void)type, (void)context, (void)x, (void)chainidx,
        (void)alert;
    *out = arg;
    *outlen = 32;
    return 1;
}

int cli_verify_tls(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'},
        {"policy", required_argument, NULL, 'p'},
        {"time", required_argument, NULL, 't'},
        {"no-nonce", no_argument, NULL, 'n'},
        {"max-age", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    const char *root = NULL, *policy_path = NULL, *when = NULL, *target;
    unsigned char nonce[32];
    bool use_nonce = true;
    long long max_age = 0;
    char *end;
    cli_file rootf = {0}, pol = {0};
    mantle_policy *policy = NULL;
    mantle_claims claims;
    mantle_verify_reason reason = MANTLE_VERIFY_OK;
    mantle_blob rb = {0};
    mantle_diag diag;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    X509 *peer = NULL;
    unsigned char *der = NULL;
    int64_t t = (int64_t)time(NULL);
    int opt, rc = CLI_EXIT_TRAP, fd = -1, n;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'r': root = optarg; break;
        case 'p': policy_path = optarg; break;
        case 't': when = optarg; break;
        case 'n': use_nonce = false; break;
        case 'm':
            max_age = strtoll(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || max_age <= 0)
                return cli_usage_error("verify-tls", "--max-age %s: want "
                                       "seconds > 0", optarg);
            break;
        default:
            return cli_usage_error("verify-tls", "unknown or incomplete "
                                   "option %s", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("verify-tls", "expected HOST:PORT");
    target = argv[optind];
    if (when && mantle_time_parse(when, &t) != MANTLE_OK)
        return cli_usage_error("verify-tls", "--time %s: not RFC 3339", when);
    if ((root && (rc = cli_read_file("verify", root, &rootf)) != CLI_EXIT_OK) ||
        (policy_path && (rc = cli_read_file("verify", policy_path, &pol)) != CLI_EXIT_OK))
        goto out;
    rc = CLI_EXIT_TRAP;
    if (policy_path &&
        mantle_policy_new((const char *)pol.data, pol.len, &policy, &diag) !=
            MANTLE_OK) {
        fprintf(stderr, "mantle: verify-tls: %s: %s\n", policy_path,
                diag.message);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if ((fd = dial(target)) < 0)
        goto out;
    /* No CA: the evidence in the certificate is what is trusted, and the
     * handshake proves the server holds the certificate's key. */
    if (!(ctx = SSL_CTX_new(TLS_client_method())) ||
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        (use_nonce &&
         (RAND_bytes(nonce, sizeof nonce) != 1 ||
          SSL_CTX_add_custom_ext(ctx, CLI_RATLS_NONCE_EXT,
                                 SSL_EXT_CLIENT_HELLO, add_nonce, NULL, nonce,
                                 NULL, NULL) != 1)) ||
        !(ssl = SSL_new(ctx)) || SSL_set_fd(ssl, fd) != 1 ||
        SSL_connect(ssl) != 1 || !(peer = SSL_get1_peer_certificate(ssl)) ||
        (n = i2d_X509(peer, &der)) <= 0) {
        fprintf(stderr, "mantle: verify-tls: %s: TLS handshake failed\n",
                target);
        goto out;
    }
    if (root)
        rb = (mantle_blob){rootf.data, rootf.len, rootf.path};
    cli_diag_init(&diag);
    if (mantle_ratls_verify_fresh(der, (size_t)n, root ? &rb : NULL, t,
                                  use_nonce ? nonce : NULL,
                                  use_nonce ? sizeof nonce : 0,
                                  (int64_t)max_age, &claims, &reason,
                                  &diag) != MANTLE_OK) {
        fprintf(stderr, "mantle: verify-tls: %s: refused (%s): %s\n", target,
                mantle_verify_reason_name(reason), diag.message);
        goto out;
    }
    rc = report("verify-tls", target, &claims, policy, policy_path, NULL, t);
out:
    OPENSSL_free(der);
    X509_free(peer);
    if (ssl)
        SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    mantle_policy_free(policy);
    free(rootf.path);
    free(rootf.data);
    free(pol.path);
    free(pol.data);
    return rc;
}
