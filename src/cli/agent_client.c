/* agent_client.c - `mantle node|module|workload`: mantled's API from the CLI.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: connection options - one HTTPS request (libcurl) - the verbs.
 *
 * Every verb takes --agent https://HOST:PORT ($MANTLE_AGENT), --cacert
 * FILE to check the agent's certificate ($MANTLE_AGENT_CACERT), and
 * credentials: --cert FILE --key FILE, a client certificate from the
 * operator CA ($MANTLE_AGENT_CERT, $MANTLE_AGENT_KEY), or --token-file
 * FILE holding a bearer token ($MANTLE_AGENT_TOKEN_FILE). --agent-root
 * ROOT.pem ($MANTLE_AGENT_ROOT) instead of --cacert requires an attested
 * agent (tls_attested): its RA-TLS certificate must verify against that
 * device root in the very handshake the request uses, and satisfy
 * --agent-policy FILE ($MANTLE_AGENT_POLICY) if given. Exit status: 0
 * done; 1 the agent refused (its message on stderr); 2 usage; 5 the agent
 * could not be reached or a file could not be read. API: docs/agent.md.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cli.h"

struct conn {
    const char *agent, *cacert, *cert, *key, *token_file;
    const char *agent_root, *agent_policy;
    char auth[600]; /* "Authorization: Bearer ..." */
    char why[700];          /* why the agent's certificate was refused */
};

enum {
    OPT_AGENT = 1000, OPT_CACERT, OPT_CERT, OPT_KEY, OPT_TOKEN, OPT_AROOT,
    OPT_APOLICY
};

#define CONN_OPTIONS                                                          \
    {"agent", required_argument, NULL, OPT_AGENT},                            \
        {"cacert", required_argument, NULL, OPT_CACERT},                      \
        {"cert", required_argument, NULL, OPT_CERT},                          \
        {"key", required_argument, NULL, OPT_KEY},                            \
        {"token-file", required_argument, NULL, OPT_TOKEN},                \
        {"agent-root", required_argument, NULL, OPT_AROOT},                   \
        {"agent-policy", required_argument, NULL, OPT_APOLICY}

static bool conn_opt(struct conn *c, int opt, const char *arg)
{
    switch (opt) {
    case OPT_AGENT: c->agent = arg; return true;
    case OPT_CACERT: c->cacert = arg; return true;
    case OPT_CERT: c->cert = arg; return true;
    case OPT_KEY: c->key = arg; return true;
    case OPT_TOKEN: c->token_file = arg; return true;
    case OPT_AROOT: c->agent_root = arg; return true;
    case OPT_APOLICY: c->agent_policy = arg; return true;
    default: return false;
    }
}

static void conn_init(struct conn *c)
{
    memset(c, 0, sizeof *c);
    c->agent = getenv("MANTLE_AGENT");
    c->cacert = getenv("MANTLE_AGENT_CACERT");
    c->cert = getenv("MANTLE_AGENT_CERT");
    c->key = getenv("MANTLE_AGENT_KEY");
    c->token_file = getenv("MANTLE_AGENT_TOKEN_FILE");
    c->agent_root = getenv("MANTLE_AGENT_ROOT");
    c->agent_policy = getenv("MANTLE_AGENT_POLICY");
}

#if MANTLE_ENABLE_ATTEST
/* --agent-root and --agent-policy, read once per process by conn_ready
 * and freed at exit (every verb returns straight from many places). */
static struct {
    cli_file root, pol;
    mantle_policy *policy;
} attest;

static void attest_free(void)
{
    mantle_policy_free(attest.policy);
    free(attest.root.path);
    free(attest.root.data);
    free(attest.pol.path);
    free(attest.pol.data);
}
#endif

/* Read --agent-root and --agent-policy; an exit code. */
static int conn_attest_ready(struct conn *c, const char *verb)
{
    if (c->agent_policy && !c->agent_root)
        return cli_usage_error(verb, "--agent-policy needs --agent-root");
    if (!c->agent_root)
        return CLI_EXIT_OK;
#if !MANTLE_ENABLE_ATTEST
    return cli_usage_error(verb, "--agent-root: this build has no attested "
                                 "TLS (MANTLE_ATTEST=OFF)");
#else
    mantle_diag diag;
    int rc;

    if (c->cacert)
        return cli_usage_error(verb, "--agent-root and --cacert exclude each "
                                     "other (an attested agent's certificate "
                                     "is self-signed)");
    atexit(attest_free);
    if ((rc = cli_read_file(verb, c->agent_root, &attest.root)) !=
            CLI_EXIT_OK ||
        (c->agent_policy && (rc = cli_read_file(verb, c->agent_policy,
                                                &attest.pol)) != CLI_EXIT_OK))
        return rc;
    cli_diag_init(&diag);
    if (c->agent_policy &&
        mantle_policy_new((const char *)attest.pol.data, attest.pol.len,
                          &attest.policy, &diag) != MANTLE_OK) {
        fprintf(stderr, "mantle: %s: %s: %s\n", verb, c->agent_policy,
                diag.message);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
#endif
}

#if MANTLE_ENABLE_ATTEST
/* In place of chain building: the agent's certificate is RA-TLS evidence
 * chained to --agent-root and binding the key the handshake proves. */
static int attested_cert(X509_STORE_CTX *sctx, void *arg)
{
    struct conn *c = arg;
    X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
    unsigned char *der = NULL;
    int n = leaf ? i2d_X509(leaf, &der) : -1;
    mantle_blob root = {attest.root.data, attest.root.len, attest.root.path};
    mantle_verify_reason reason = MANTLE_VERIFY_OK;
    mantle_claims claims;
    mantle_appraisal ap;
    mantle_diag diag;
    int ok = 0;

    cli_diag_init(&diag);
    if (n <= 0)
        snprintf(c->why, sizeof c->why, "no certificate");
    else if (mantle_ratls_verify(der, (size_t)n, &root, (int64_t)time(NULL),
                                 &claims, &reason, &diag) != MANTLE_OK)
        snprintf(c->why, sizeof c->why, "not attested (%s): %s",
                 mantle_verify_reason_name(reason), diag.message);
    else if (attest.policy &&
             (mantle_policy_appraise(attest.policy, &claims, &ap),
              ap.verdict == MANTLE_EAR_CONTRAINDICATED)) {
        snprintf(c->why, sizeof c->why, "refused by %s (%s)", c->agent_policy,
                 mantle_verify_reason_name(ap.reason));
        for (uint32_t i = 0; i < ap.nchecks; i++)
            if (ap.checks[i].status == MANTLE_EAR_CONTRAINDICATED) {
                snprintf(c->why, sizeof c->why, "refused by %s (%s): %s",
                         c->agent_policy, mantle_verify_reason_name(ap.reason),
                         ap.checks[i].detail);
                break;
            }
    } else
        ok = 1;
    OPENSSL_free(der);
    X509_STORE_CTX_set_error(sctx, ok ? X509_V_OK
                                      : X509_V_ERR_APPLICATION_VERIFICATION);
    return ok;
}

static CURLcode attested_ctx(CURL *h, void *ssl_ctx, void *arg)
{
    (void)h;
    SSL_CTX_set_cert_verify_callback(ssl_ctx, attested_cert, arg);
    return CURLE_OK;
}
#endif


/* Check the options and read the token; an exit code. */
static int conn_ready(struct conn *c, const char *verb)
{
    FILE *f;
    char tok[512];
    size_t n;
    int rc;

    if (c->agent == NULL)
        return cli_usage_error(verb, "--agent https://HOST:PORT is required "
                                     "(or $MANTLE_AGENT)");
    if (strncmp(c->agent, "https://", 8) != 0)
        return cli_usage_error(verb, "--agent: \"%s\" is not an https:// URL",
                               c->agent);
    if ((c->cert == NULL) != (c->key == NULL))
        return cli_usage_error(verb, "--cert and --key go together");
    if ((rc = conn_attest_ready(c, verb)) != CLI_EXIT_OK)
        return rc;
    if (c->token_file == NULL)
        return CLI_EXIT_OK;
    if ((f = fopen(c->token_file, "r")) == NULL) {
        fprintf(stderr, "mantle: %s: open: %m\n", c->token_file);
        return CLI_EXIT_IO;
    }
    if (fgets(tok, sizeof tok, f) == NULL)
        tok[0] = '\0';
    fclose(f);
    n = strcspn(tok, "\r\n");
    tok[n] = '\0';
    if (n == 0) {
        fprintf(stderr, "mantle: %s: empty token file\n", c->token_file);
        return CLI_EXIT_IO;
    }
    snprintf(c->auth, sizeof c->auth, "Authorization: Bearer %s", tok);
    memset(tok, 0, sizeof tok);
    return CLI_EXIT_OK;
}

/* ---- one request ----------------------------------------------------------- */

struct buf {
    char *data;
    size_t len;
    FILE *stream; /* non-NULL: write through (logs --follow) */
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t len = size * n;
    char *grown;

    if (b->stream != NULL) {
        fwrite(p, 1, len, b->stream);
        fflush(b->stream);
        return len;
    }
    if ((grown = realloc(b->data, b->len + len + 1)) == NULL)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

/* method PATH with an optional body; *out_body (malloc'ed, NUL-ended) and
 * the HTTP status, or an exit code when the agent cannot be reached. */
static int request(struct conn *c, const char *method, const char *path,
                   const char *type, const void *body, size_t len,
                   FILE *stream, char **out_body, long *out_status)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    struct buf b = {NULL, 0, stream};
    char url[2048], ctype[128], errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;

    *out_body = NULL;
    if (h == NULL) {
        fprintf(stderr, "mantle: curl: cannot initialise\n");
        return CLI_EXIT_IO;
    }
    snprintf(url, sizeof url, "%s%s", c->agent, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    if (c->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
#if MANTLE_ENABLE_ATTEST
    if (c->agent_root) {
        /* The RA-TLS certificate names no host: the evidence, not a name,
         * says what the agent is. */
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, attested_ctx);
        curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, c);
    }
#endif
    if (c->cert) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
    }
    if (c->auth[0])
        hdr = curl_slist_append(hdr, c->auth);
    if (body != NULL) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s", type);
        hdr = curl_slist_append(hdr, ctype);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, out_status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "mantle: %s: %s %s: %s\n", c->agent, method, path,
                errbuf[0] ? errbuf : curl_easy_strerror(rc));
        if (c->why[0])
            fprintf(stderr, "mantle: %s: the agent's certificate: %s\n",
                    c->agent, c->why);
        free(b.data);
        return CLI_EXIT_IO;
    }
    *out_body = b.data ? b.data : strdup("");
    return CLI_EXIT_OK;
}

/* Print the agent's refusal: "mantle: agent: 404: no workload named x". */
static int refused(long status, const char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "error"));

    fprintf(stderr, "mantle: agent: %ld: %s\n", status,
            msg ? msg : body);
    json_decref(j);
    return CLI_EXIT_TRAP;
}

/* A request whose JSON or text answer is printed as it comes. */
static int call_print(struct conn *c, const char *method, const char *path,
                      const char *type, const void *body, size_t len)
{
    char *out;
    long st = 0;
    int rc = request(c, method, path, type, body, len, NULL, &out, &st);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (st >= 300)
        rc = refused(st, out);
    else
        fputs(out, stdout), fputc('\n', stdout);
    free(out);
    return rc;
}

/* ---- node ------------------------------------------------------------------- */

int cli_node(int argc, char **argv)
{
    static const struct option opts[] = {CONN_OPTIONS, {NULL, 0, NULL, 0}};
    struct conn c;
    int opt, rc;

    conn_init(&c);
    if (argc < 2 || strcmp(argv[1], "info") != 0)
        return cli_usage_error("node", "expected \"node info\"");
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1)
        if (!conn_opt(&c, opt, optarg))
            return cli_usage_error("node info", "unknown option %s",
                                   argv[optind]);
    if (optind != argc - 1)
        return cli_usage_error("node info", "takes no arguments");
    if ((rc = conn_ready(&c, "node info")) != CLI_EXIT_OK)
        return rc;
    return call_print(&c, "GET", "/v1/node", NULL, NULL, 0);
}

/* ---- module ------------------------------------------------------------------ */

static uint8_t *slurp(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL, *g;
    size_t cap = 0, n = 0, r;

    if (f == NULL)
        return NULL;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            if ((g = realloc(b, cap)) == NULL) {
                free(b);
                fclose(f);
                return NULL;
            }
            b = g;
        }
        r = fread(b + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    if (ferror(f)) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *out_len = n;
    return b;
}

/* Push FILE; the digest into out ("sha256:..."), printed unless quiet. */
static int module_push(struct conn *c, const char *file, const char *name,
                       char *out, size_t outlen, bool quiet)
{
    size_t len = 0;
    uint8_t *bytes = slurp(file, &len);
    char path[256], *body;
    long st = 0;
    int rc;
    json_t *j;

    if (bytes == NULL) {
        fprintf(stderr, "mantle: %s: read: %m\n", file);
        return CLI_EXIT_IO;
    }
    snprintf(path, sizeof path, "/v1/modules%s%s", name ? "?name=" : "",
             name ? name : "");
    rc = request(c, "POST", path, "application/wasm", bytes, len, NULL, &body,
                 &st);
    free(bytes);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (st >= 300) {
        rc = refused(st, body);
        free(body);
        return rc;
    }
    j = json_loads(body, 0, NULL);
    snprintf(out, outlen, "%s",
             json_string_value(json_object_get(j, "digest"))
                 ? json_string_value(json_object_get(j, "digest"))
                 : "?");
    if (!quiet)
        printf("%s %s (%s)\n", out, file, st == 201 ? "stored" : "already stored");
    json_decref(j);
    free(body);
    return CLI_EXIT_OK;
}

int cli_module(int argc, char **argv)
{
    static const struct option opts[] = {
        CONN_OPTIONS, {"name", required_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
    const char *sub = argc > 1 ? argv[1] : "", *name = NULL;
    struct conn c;
    char digest[128], path[256];
    int opt, rc;

    conn_init(&c);
    optind = 0;
    opterr = 0;
    while (argc > 1 &&
           (opt = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (opt == 'n')
            name = optarg;
        else if (!conn_opt(&c, opt, optarg))
            return cli_usage_error("module", "unknown option %s",
                                   argv[optind]);
    }
    argc -= optind + 1;
    argv += optind + 1;
    if (strcmp(sub, "push") == 0 && argc == 1) {
        if ((rc = conn_ready(&c, "module push")) != CLI_EXIT_OK)
            return rc;
        return module_push(&c, argv[0], name, digest, sizeof digest, false);
    }
    if (strcmp(sub, "ls") == 0 && argc == 0) {
        if ((rc = conn_ready(&c, "module ls")) != CLI_EXIT_OK)
            return rc;
        return call_print(&c, "GET", "/v1/modules", NULL, NULL, 0);
    }
    if (strcmp(sub, "rm") == 0 && argc == 1) {
        if ((rc = conn_ready(&c, "module rm")) != CLI_EXIT_OK)
            return rc;
        snprintf(path, sizeof path, "/v1/modules/%s",
                 strncmp(argv[0], "sha256:", 7) ? argv[0] : argv[0] + 7);
        return call_print(&c, "DELETE", path, NULL, NULL, 0);
    }
    return cli_usage_error("module", "expected push FILE.wasm, ls, or rm "
                                     "DIGEST");
}

/* ---- workload ------------------------------------------------------------------ */

static bool plain_name(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
                                        "KLMNOPQRSTUVWXYZ0123456789._-") == n &&
           s[0] != '.' && s[0] != '-' && s[0] != '_';
}

static int workload_ls(struct conn *c)
{
    char *out;
    long st = 0;
    int rc = request(c, "GET", "/v1/workloads", NULL, NULL, 0, NULL, &out, &st);
    json_t *a, *w;
    size_t i;

    if (rc != CLI_EXIT_OK)
        return rc;
    if (st >= 300) {
        rc = refused(st, out);
        free(out);
        return rc;
    }
    a = json_loads(out, 0, NULL);
    free(out);
    printf("%-24s %-9s %8s %8s  %s\n", "NAME", "STATE", "RESTARTS", "PID",
           "MODULE");
    json_array_foreach(a, i, w) {
        const char *mod = json_string_value(
            json_object_get(json_object_get(w, "spec"), "module"));

        printf("%-24s %-9s %8lld %8lld  %.19s\n",
               json_string_value(json_object_get(w, "name")),
               json_string_value(json_object_get(w, "state")),
               json_integer_value(json_object_get(w, "restarts")),
               json_integer_value(json_object_get(w, "pid")),
               mod ? mod : "?");
    }
    json_decref(a);
    return CLI_EXIT_OK;
}

/* "HOST[::GUEST]" -> a dirs[] entry. */
static void add_dir(json_t *dirs, const char *arg, bool ro, bool sealed)
{
    const char *sep = strstr(arg, "::");
    char host[1024];

    snprintf(host, sizeof host, "%.*s", sep ? (int)(sep - arg) : (int)strlen(arg),
             arg);
    json_array_append_new(dirs, json_pack("{s:s,s:s,s:b,s:b}", "host", host,
                                          "guest", sep ? sep + 2 : host,
                                          "readonly", ro, "sealed", sealed));
}

static int workload_create(struct conn *c, int argc, char **argv)
{
    static const struct option opts[] = {
        CONN_OPTIONS,
        {"module", required_argument, NULL, 'm'},
        {"restart", required_argument, NULL, 'r'},
        {"fuel", required_argument, NULL, 'F'},
        {"max-memory", required_argument, NULL, 'M'},
        {"timeout", required_argument, NULL, 't'},
        {"tee", required_argument, NULL, 'E'},
        {"tier", required_argument, NULL, 'T'},
        {"env", required_argument, NULL, 'e'},
        {"dir", required_argument, NULL, 'd'},
        {"dir-ro", required_argument, NULL, 'D'},
        {"dir-sealed", required_argument, NULL, 'Z'},
        {"listen", required_argument, NULL, 'l'},
        {"cpu-seconds", required_argument, NULL, 'C'},
        {"memory-limit", required_argument, NULL, 'L'},
        {"http-route", no_argument, NULL, 'H'},
        {"secret", required_argument, NULL, 'S'},
        {"http-concurrency", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0}};
    json_t *spec = json_object(), *env = json_array(), *dirs = json_array(),
           *listen = json_array(), *args = json_array(),
           *secrets = json_array();
    const char *module = NULL;
    char digest[128], *text;
    uint32_t pages;
    uint64_t ns;
    int opt, rc = CLI_EXIT_OK;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        unsigned long long v;

        switch (opt) {
        case 'm': module = optarg; break;
        case 'r': json_object_set_new(spec, "restart", json_string(optarg)); break;
        case 'E': json_object_set_new(spec, "tee", json_string(optarg)); break;
        case 'T': json_object_set_new(spec, "tier", json_string(optarg)); break;
        case 'e': json_array_append_new(env, json_string(optarg)); break;
        case 'd': add_dir(dirs, optarg, false, false); break;
        case 'D': add_dir(dirs, optarg, true, false); break;
        case 'Z': add_dir(dirs, optarg, false, true); break;
        case 'l': json_array_append_new(listen, json_string(optarg)); break;
        case 'H': json_object_set_new(spec, "http_route", json_true()); break;
        case 'S': json_array_append_new(secrets, json_string(optarg)); break;
        case 'M':
        case 'L':
            if (cli_parse_size_pages(optarg, &pages) != 0) {
                rc = cli_usage_error("workload create", "--%s: \"%s\" is not "
                                     "a size from 64K to 4G",
                                     opt == 'M' ? "max-memory" : "memory-limit",
                                     optarg);
                goto out;
            }
            json_object_set_new(spec, opt == 'M' ? "max_memory" : "memory_limit",
                                json_integer((json_int_t)pages * 65536));
            break;
        case 't':
            if (cli_parse_duration(optarg, &ns) != 0) {
                rc = cli_usage_error("workload create", "--timeout: \"%s\" is "
                                     "not a duration (500ms, 10s)", optarg);
                goto out;
            }
            json_object_set_new(spec, "timeout_ms",
                                json_integer((json_int_t)((ns + 999999) / 1000000)));
            break;
        case 'F':
        case 'C':
        case 'c':
            v = strtoull(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end != '\0') {
                rc = cli_usage_error("workload create", "--%s: \"%s\" is not "
                                     "a number", opt == 'F' ? "fuel"
                                     : opt == 'C' ? "cpu-seconds"
                                                  : "http-concurrency", optarg);
                goto out;
            }
            json_object_set_new(spec, opt == 'F'   ? "fuel"
                                      : opt == 'C' ? "cpu_seconds"
                                                   : "http_concurrency",
                                json_integer((json_int_t)v));
            break;
        default:
            if (!conn_opt(c, opt, optarg)) {
                rc = cli_usage_error("workload create", "unknown option %s",
                                     argv[optind - 1]);
                goto out;
            }
        }
    }
    if (optind >= argc || !plain_name(argv[optind]) || module == NULL) {
        rc = cli_usage_error("workload create", "expected NAME (plain: "
                             "[A-Za-z0-9._-]) and --module DIGEST|FILE.wasm");
        goto out;
    }
    json_object_set_new(spec, "name", json_string(argv[optind]));
    for (int i = optind + 1; i < argc; i++)
        json_array_append_new(args, json_string(argv[i]));
    if ((rc = conn_ready(c, "workload create")) != CLI_EXIT_OK)
        goto out;
    if (strncmp(module, "sha256:", 7) == 0)
        snprintf(digest, sizeof digest, "%s", module);
    else if ((rc = module_push(c, module, NULL, digest, sizeof digest, true)) !=
             CLI_EXIT_OK)
        goto out;
    json_object_set_new(spec, "module", json_string(digest));
    json_object_set(spec, "args", args);
    json_object_set(spec, "env", env);
    json_object_set(spec, "dirs", dirs);
    json_object_set(spec, "listen", listen);
    json_object_set(spec, "secrets", secrets);
    text = json_dumps(spec, JSON_COMPACT);
    rc = call_print(c, "POST", "/v1/workloads", "application/json", text,
                    strlen(text));
    free(text);
out:
    json_decref(spec);
    json_decref(env);
    json_decref(dirs);
    json_decref(listen);
    json_decref(args);
    json_decref(secrets);
    return rc;
}

int cli_workload(int argc, char **argv)
{
    static const struct option opts[] = {
        CONN_OPTIONS,
        {"stderr", no_argument, NULL, 'E'},
        {"tail", required_argument, NULL, 't'},
        {"follow", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0}};
    const char *sub = argc > 1 ? argv[1] : "", *tail = "65536";
    struct conn c;
    bool err_stream = false, follow = false;
    char path[256];
    int opt, rc;

    conn_init(&c);
    if (strcmp(sub, "create") == 0)
        return workload_create(&c, argc - 1, argv + 1);
    optind = 0;
    opterr = 0;
    while (argc > 1 &&
           (opt = getopt_long(argc - 1, argv + 1, "f", opts, NULL)) != -1) {
        if (opt == 'E')
            err_stream = true;
        else if (opt == 't')
            tail = optarg;
        else if (opt == 'f')
            follow = true;
        else if (!conn_opt(&c, opt, optarg))
            return cli_usage_error("workload", "unknown option %s",
                                   argv[optind]);
    }
    argc -= optind + 1;
    argv += optind + 1;
    if (strcmp(sub, "ls") == 0 && argc == 0) {
        if ((rc = conn_ready(&c, "workload ls")) != CLI_EXIT_OK)
            return rc;
        return workload_ls(&c);
    }
    if (argc != 1 || !plain_name(argv[0]) ||
        (strcmp(sub, "logs") && strcmp(sub, "stop") && strcmp(sub, "start") &&
         strcmp(sub, "rm") && strcmp(sub, "inspect")))
        return cli_usage_error("workload", "expected create|ls|inspect|logs|"
                                           "start|stop|rm and a NAME");
    if ((rc = conn_ready(&c, "workload")) != CLI_EXIT_OK)
        return rc;
    if (strcmp(sub, "inspect") == 0) {
        snprintf(path, sizeof path, "/v1/workloads/%s", argv[0]);
        return call_print(&c, "GET", path, NULL, NULL, 0);
    }
    if (strcmp(sub, "rm") == 0) {
        snprintf(path, sizeof path, "/v1/workloads/%s", argv[0]);
        return call_print(&c, "DELETE", path, NULL, NULL, 0);
    }
    if (strcmp(sub, "stop") == 0 || strcmp(sub, "start") == 0) {
        snprintf(path, sizeof path, "/v1/workloads/%s/%s", argv[0], sub);
        return call_print(&c, "POST", path, "application/json", "", 0);
    }
    /* logs: the agent's bytes go straight to stdout. */
    char *out;
    long st = 0;

    snprintf(path, sizeof path, "/v1/workloads/%s/logs?stream=%s&tail=%s%s",
             argv[0], err_stream ? "stderr" : "stdout", tail,
             follow ? "&follow=1" : "");
    rc = request(&c, "GET", path, NULL, NULL, 0, follow ? stdout : NULL, &out,
                 &st);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (st >= 300)
        rc = refused(st, out);
    else if (!follow)
        fwrite(out, 1, strlen(out), stdout);
    free(out);
    return rc;
}
