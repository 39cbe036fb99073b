/* attest.c - `mantle attest` and `mantle evidence show`, and the TEE option
 * helpers `mantle run` shares (--tee, --state-dir, --secret).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Map: TEE helpers - attest - evidence show.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../config.h" /* MANTLE_ENABLE_ATTEST */
#include "cli.h"

/* ---- TEE helpers ------------------------------------------------------------- */

const char *cli_state_dir(void)
{
    static char buf[4096];
    const char *e;

    if ((e = getenv("MANTLE_STATE_DIR")) && *e)
        return e;
    if ((e = getenv("XDG_STATE_HOME")) && *e) {
        snprintf(buf, sizeof buf, "%s/mantle", e);
        return buf;
    }
    if ((e = getenv("HOME")) && *e) {
        snprintf(buf, sizeof buf, "%s/.local/state/mantle", e);
        return buf;
    }
    return ".mantle-state";
}

int cli_tee_open(const char *verb, const char *name, const char *state_dir,
                 mantle_tee **out)
{
    mantle_diag diag;
    int st;

    if (!state_dir)
        state_dir = cli_state_dir();
    cli_diag_init(&diag);
    st = mantle_tee_open(name, state_dir, out, &diag);
    if (st != MANTLE_OK) {
        fprintf(stderr, "mantle: %s: --tee=%s: %s\n", verb, name,
                diag.message[0] ? diag.message : mantle_strerror(st));
        return st == MANTLE_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_TRAP;
    }
    if (strcmp(mantle_tee_backend(*out), "soft") == 0)
        fprintf(stderr, "mantle: %s: TEE backend: soft (a software root of "
                        "trust for development; evidence is marked debug, "
                        "no hardware isolation; device secret in %s)\n",
                verb, state_dir);
    return CLI_EXIT_OK;
}

int cli_secret_load(const char *arg, mantle_tee_secret *out)
{
    const char *eq = strchr(arg, '=');
    FILE *f;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;

    if (!eq || eq == arg || eq[1] != '@' || eq[2] == '\0') {
        fprintf(stderr, "mantle: --secret: \"%s\" is not NAME=@FILE\n", arg);
        return CLI_EXIT_USAGE;
    }
    if (!(f = fopen(eq + 2, "rb"))) {
        fprintf(stderr, "mantle: --secret %.*s: %s: open: %s\n",
                (int)(eq - arg), arg, eq + 2, strerror(errno));
        return CLI_EXIT_IO;
    }
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            if (!(buf = realloc(buf, cap)))
                abort();
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "mantle: --secret: %s: read: %s\n", eq + 2,
                strerror(errno));
        fclose(f);
        free(buf);
        return CLI_EXIT_IO;
    }
    fclose(f);
    out->name = strndup(arg, (size_t)(eq - arg));
    if (!out->name)
        abort();
    out->value = buf;
    out->size = n;
    return CLI_EXIT_OK;
}

void cli_secret_free(mantle_tee_secret *s)
{
    if (s->value) {
        /* the program's copy of a secret: wipe before freeing */
        volatile uint8_t *p = (volatile uint8_t *)s->value;
        for (size_t i = 0; i < s->size; i++)
            p[i] = 0;
    }
    free((void *)s->value);
    free((void *)s->name);
}

/* ---- attest ------------------------------------------------------------------------ */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Up to 64 bytes of hex, zero-padded to 64. */
static int parse_nonce(const char *s, uint8_t out[64])
{
    size_t n = strlen(s);

    if (n == 0 || n % 2 || n > 128)
        return -1;
    memset(out, 0, 64);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)s[2 * i]);
        int lo = hexval((unsigned char)s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* Claim -70009 of an evidence token: the X.509 DICE chain (root, layer 1,
 * layer 2), written as PEM leaf first. The token is ours, just built. */
static int write_x509_chain(const uint8_t *ev, size_t n, FILE *f)
{
    struct cbor_load_result res;
    cbor_item_t *a = NULL, *claims = NULL;
    const cbor_item_t *chain = NULL;
    int rc = -1;

    if (n < 2 || ev[0] != 0xd2)  /* tag 18: see cli_evidence */
        return -1;
    a = cbor_load(ev + 1, n - 1, &res);
    if (a && cbor_isa_array(a) && cbor_array_size(a) == 4) {
        const cbor_item_t *pl = cbor_array_handle(a)[2];

        claims = cbor_load(cbor_bytestring_handle(pl),
                           cbor_bytestring_length(pl), &res);
    }
    for (size_t i = 0; claims && cbor_isa_map(claims) &&
                       i < cbor_map_size(claims); i++) {
        const struct cbor_pair *p = &cbor_map_handle(claims)[i];

        if (cbor_isa_negint(p->key) && cbor_get_int(p->key) == 70008)
            chain = p->value;  /* -70009 = -1 - 70008 */
    }
    if (chain && cbor_isa_array(chain) && cbor_array_size(chain) == 3) {
        rc = 0;
        for (size_t i = 3; rc == 0 && i-- > 0;) {
            const cbor_item_t *b = cbor_array_handle(chain)[i];
            const unsigned char *p = cbor_bytestring_handle(b);
            X509 *x = d2i_X509(NULL, &p, (long)cbor_bytestring_length(b));

            rc = x && PEM_write_X509(f, x) == 1 ? 0 : -1;
            X509_free(x);
        }
    }
    if (claims)
        cbor_decref(&claims);
    if (a)
        cbor_decref(&a);
    return rc;
}

int cli_attest(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tee", required_argument, NULL, 't'},
        {"state-dir", required_argument, NULL, 's'},
        {"nonce", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"dir", required_argument, NULL, 'd'},
        {"dir-ro", required_argument, NULL, 'r'},
        {"dir-sealed", required_argument, NULL, 'D'},
        {"env", required_argument, NULL, 'e'},
        {"listen", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char *tee_name = "auto", *format = "cbor", *state_dir = NULL, *out_path = NULL;
    const char *path = NULL, *nonce_text = NULL;
    mantle_wasi_preopen *dirs = NULL;
    const char **envs = NULL, **grants = NULL;
    size_t ndirs = 0, nenvs = 0, ngrants = 0;
    uint8_t nonce[64], *ev = NULL;
    size_t ev_size = 0;
    mantle_engine *engine = NULL;
    mantle_module *module = NULL;
    mantle_tee *tee = NULL;
    mantle_tee_launch launch;
    mantle_diag diag;
    FILE *f;
    int c, rc = CLI_EXIT_USAGE, st;
    bool tee_set = false, x509, bad_write;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (tee_set) {
                rc = cli_usage_error("attest", "--tee given twice");
                goto out;
            }
            tee_name = optarg;
            tee_set = true;
            break;
        case 's': state_dir = optarg; break;
        case 'n': nonce_text = optarg; break;
        case 'o': out_path = optarg; break;
        case 'f': format = optarg; break;
        case 'd':
        case 'r':
        case 'D': {
            mantle_wasi_preopen *p;
            const char *sep = strstr(optarg, "::");

            dirs = realloc(dirs, (ndirs + 1) * sizeof *dirs);
            if (!dirs)
                abort();
            p = &dirs[ndirs++];
            p->read_only = c == 'r';
            p->sealed = c == 'D';
            p->host_path = optarg;
            p->guest_path = sep ? sep + 2 : optarg;
            break;
        }
        case 'e':
            if (!strchr(optarg, '=') || *optarg == '=') {
                rc = cli_usage_error("attest", "--env: \"%s\" is not "
                                     "KEY=VALUE", optarg);
                goto out;
            }
            envs = realloc(envs, (nenvs + 1) * sizeof *envs);
            if (!envs)
                abort();
            envs[nenvs++] = optarg;
            break;
        case 'l': {
            char *g;

            if (asprintf(&g, "listen:%s", optarg) < 0)
                abort();
            grants = realloc(grants, (ngrants + 1) * sizeof *grants);
            if (!grants)
                abort();
            grants[ngrants++] = g;
            break;
        }
        case ':':
            rc = cli_usage_error("attest", "%s needs an argument",
                                 argv[optind - 1]);
            goto out;
        default:
            rc = cli_usage_error("attest", "unknown option %s",
                                 argv[optind - 1]);
            goto out;
        }
    }
    if (argc - optind != 1) {
        rc = cli_usage_error("attest", "expected exactly one FILE.wasm");
        goto out;
    }
    path = argv[optind];
    x509 = strcmp(format, "x509") == 0;
    if (!x509 && strcmp(format, "cbor") != 0) {
        rc = cli_usage_error("attest", "--format: \"%s\" is neither cbor nor "
                             "x509", format);
        goto out;
    }
    /* the X.509 chain does not depend on a nonce: it is optional there */
    if ((!nonce_text && !x509) || !out_path) {
        rc = cli_usage_error("attest", "--nonce HEX and -o FILE are required");
        goto out;
    }
    memset(nonce, 0, sizeof nonce);
    if (nonce_text && parse_nonce(nonce_text, nonce) != 0) {
        rc = cli_usage_error("attest", "--nonce: \"%s\" is not 1 to 64 bytes "
                             "of hex", nonce_text);
        goto out;
    }
    if ((st = mantle_engine_new(NULL, &engine)) != MANTLE_OK) {
        fprintf(stderr, "mantle: engine: %s\n", mantle_strerror(st));
        rc = cli_exit_code(st);
        goto out;
    }
    if ((rc = cli_load(engine, path, &module)) != CLI_EXIT_OK)
        goto out;
    if ((rc = cli_tee_open("attest", tee_name, state_dir, &tee)) != CLI_EXIT_OK)
        goto out;
    memset(&launch, 0, sizeof launch);
    launch.preopens = dirs;
    launch.npreopens = ndirs;
    launch.envp = envs;
    launch.envc = nenvs;
    launch.grants = grants;
    launch.ngrants = ngrants;
    cli_diag_init(&diag);
    st = mantle_tee_evidence(tee, module, &launch, nonce, &ev, &ev_size, &diag);
    if (st != MANTLE_OK) {
        fprintf(stderr, "%s: attest: %s\n", path,
                diag.message[0] ? diag.message : mantle_strerror(st));
        rc = CLI_EXIT_TRAP;
        goto out;
    }
    if (!(f = fopen(out_path, "wb"))) {
        fprintf(stderr, "mantle: attest: %s: open: %s\n", out_path,
                strerror(errno));
        rc = CLI_EXIT_IO;
        goto out;
    }
    if (x509 && write_x509_chain(ev, ev_size, f) != 0) {
        fclose(f);
        fprintf(stderr, "mantle: attest: %s: the evidence carries no X.509 "
                "DICE chain\n", out_path);
        rc = CLI_EXIT_TRAP;
        goto out;
    }
    /* fclose always, then judge the write and the close together */
    bad_write = !x509 && fwrite(ev, 1, ev_size, f) != ev_size;
    if (fclose(f) != 0 || bad_write) {
        fprintf(stderr, "mantle: attest: %s: write: %s\n", out_path,
                strerror(errno));
        rc = CLI_EXIT_IO;
        goto out;
    }
    if (x509)
        fprintf(stderr, "%s: X.509 DICE chain (tee %s) written to %s\n",
                path, mantle_tee_backend(tee), out_path);
    else
        fprintf(stderr, "%s: evidence (%zu bytes, tee %s) written to %s\n",
                path, ev_size, mantle_tee_backend(tee), out_path);
    rc = CLI_EXIT_OK;
out:
    mantle_tee_evidence_free(ev);
    mantle_tee_free(tee);
    mantle_module_free(module);
    mantle_engine_free(engine);
    for (size_t i = 0; i < ngrants; i++)
        free((char *)grants[i]);
    free(grants);
    free(envs);
    free(dirs);
    return rc;
}

/* ---- evidence show ----------------------------------------------------------------- */

static void print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static bool int_key(const cbor_item_t *k, int64_t *out)
{
    if (cbor_isa_uint(k)) {
        *out = (int64_t)cbor_get_int(k);
        return true;
    }
    if (cbor_isa_negint(k)) {
        *out = -1 - (int64_t)cbor_get_int(k);
        return true;
    }
    return false;
}

static void show_bytes(const char *label, const cbor_item_t *v)
{
    printf("  %-9s ", label);
    if (cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v))
        print_hex(cbor_bytestring_handle(v), cbor_bytestring_length(v));
    else
        printf("(not a byte string)");
    putchar('\n');
}

static void show_text(const char *label, const cbor_item_t *v)
{
    if (cbor_isa_string(v) && cbor_string_is_definite(v))
        printf("  %-9s %.*s\n", label, (int)cbor_string_length(v),
               (const char *)cbor_string_handle(v));
    else
        printf("  %-9s (not a text string)\n", label);
}

/* The X.509 DICE chain: one line per certificate, its subject. */
static void show_x509(const cbor_item_t *chain)
{
    printf("  %-9s %zu certificates (layer-0 root, runtime, module)\n", "x509",
           cbor_array_size(chain));
    for (size_t i = 0; i < cbor_array_size(chain); i++) {
        const cbor_item_t *b = cbor_array_handle(chain)[i];
        const unsigned char *p;
        X509 *x = NULL;
        char name[128] = "(not a certificate)";

        if (cbor_isa_bytestring(b) && cbor_bytestring_is_definite(b)) {
            p = cbor_bytestring_handle(b);
            x = d2i_X509(NULL, &p, (long)cbor_bytestring_length(b));
        }
        if (x)
            X509_NAME_oneline(X509_get_subject_name(x), name, sizeof name);
        printf("  %-9s layer %zu: %s\n", "", i, name);
        X509_free(x);
    }
}

static int show_claims(const char *path, const cbor_item_t *claims)
{
    static const char *const dbg[] = {
        "enabled (debug)", "disabled", "disabled since boot",
        "disabled permanently", "disabled fully and permanently"};
    struct cbor_pair *pairs = cbor_map_handle(claims);
    size_t n = cbor_map_size(claims);

    printf("%s: Entity Attestation Token (RFC 9711), COSE_Sign1 EdDSA\n", path);
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *v = pairs[i].value;
        int64_t k;

        if (!int_key(pairs[i].key, &k))
            continue;
        switch (k) {
        case 265: show_text("profile", v); break;
        case 10: show_bytes("nonce", v); break;
        case 6:
            if (cbor_isa_uint(v))
                printf("  %-9s %llu (Unix seconds)\n", "issued",
                       (unsigned long long)cbor_get_int(v));
            break;
        case 256: show_bytes("ueid", v); break;
        case 262:
            if (cbor_isa_uint(v) && cbor_get_int(v) < 5)
                printf("  %-9s %s\n", "debug", dbg[cbor_get_int(v)]);
            break;
        case 271: show_text("software", v); break;
        case -70000: show_text("tee", v); break;
        case -70001: show_bytes("runtime", v); break;
        case -70002: show_bytes("module", v); break;
        case -70003: show_bytes("config", v); break;
        case -70004:
            if (cbor_is_bool(v))
                printf("  %-9s %s\n", "isolated",
                       cbor_get_bool(v) ? "yes (hardware isolation)"
                                        : "no (no hardware isolation: "
                                          "development or measured boot only)");
            break;
        case -70008:
            if (cbor_isa_uint(v))
                printf("  %-9s %llu (%s)\n", "dicemode",
                       (unsigned long long)cbor_get_int(v),
                       cbor_get_int(v) == 2 ? "debug"
                       : cbor_get_int(v) == 1 ? "normal" : "other");
            break;
        case -70005:
            if (cbor_isa_array(v))
                printf("  %-9s %zu entries (layer-0 key, runtime and module "
                       "certificates)\n", "dice", cbor_array_size(v));
            break;
        case -70009:
            if (cbor_isa_array(v))
                show_x509(v);
            break;
        case -70006:
            if (cbor_isa_bytestring(v))
                printf("  %-9s %zu bytes of platform evidence\n", "platform",
                       cbor_bytestring_length(v));
            break;
        case -70007:
            if (cbor_isa_bytestring(v))
                printf("  %-9s %zu bytes of platform certificates\n",
                       "platcerts", cbor_bytestring_length(v));
            break;
        default:
            break;
        }
    }
    printf("  signature not checked here: verify with a verifier and a "
           "policy\n");
    return CLI_EXIT_OK;
}

/* `evidence root`: the device's DICE layer-0 public key as PEM, the root a
 * verifier trusts for this device's evidence without platform evidence. */
static int evidence_root(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tee", required_argument, NULL, 't'},
        {"state-dir", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *tee_name = "auto", *state_dir = NULL, *out_path = NULL;
    mantle_tee *tee = NULL;
    mantle_diag diag;
    uint8_t pub[32];
    EVP_PKEY *key;
    FILE *f;
    int c, rc, st;
    bool ok;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        switch (c) {
        case 't': tee_name = optarg; break;
        case 's': state_dir = optarg; break;
        case 'o': out_path = optarg; break;
        default:
            return cli_usage_error("evidence", "root: bad option %s",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc || !out_path)
        return cli_usage_error("evidence", "root: expected -o FILE only");
    if ((rc = cli_tee_open("evidence", tee_name, state_dir, &tee)) !=
        CLI_EXIT_OK)
        return rc;
    cli_diag_init(&diag);
    if ((st = mantle_tee_root_key(tee, pub, &diag)) != MANTLE_OK) {
        fprintf(stderr, "mantle: evidence: root: %s\n",
                diag.message[0] ? diag.message : mantle_strerror(st));
        mantle_tee_free(tee);
        return CLI_EXIT_TRAP;
    }
    mantle_tee_free(tee);
    key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    if (!key || !(f = fopen(out_path, "w"))) {
        fprintf(stderr, "mantle: evidence: %s: open: %s\n", out_path,
                key ? strerror(errno) : "no Ed25519 key");
        EVP_PKEY_free(key);
        return CLI_EXIT_IO;
    }
    ok = PEM_write_PUBKEY(f, key) == 1;
    EVP_PKEY_free(key);
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "mantle: evidence: %s: write: %s\n", out_path,
                strerror(errno));
        return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

int cli_evidence(int argc, char **argv)
{
    const char *path;
    FILE *f;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    struct cbor_load_result res;
    cbor_item_t *top = NULL, *claims = NULL, *inner;
    size_t skip;
    int rc = CLI_EXIT_MODULE;

    if (argc >= 2 && strcmp(argv[1], "root") == 0)
        return evidence_root(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "show") != 0)
        return cli_usage_error("evidence", "expected: evidence show FILE, or "
                               "evidence root -o FILE");
    if (argc != 3)
        return cli_usage_error("evidence", "expected exactly one FILE");
    path = argv[2];
    if (!(f = fopen(path, "rb"))) {
        fprintf(stderr, "mantle: evidence: %s: open: %s\n", path,
                strerror(errno));
        return CLI_EXIT_IO;
    }
    for (;;) {
        size_t r;

        if (n == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 65536)))
            abort();
        if ((r = fread(buf + n, 1, cap - n, f)) == 0)
            break;
        n += r;
    }
    fclose(f);
    /* Tag 18 (COSE_Sign1) is one byte, 0xd2; libcbor 0.8 (Debian 12)
     * rejects tags 6..20 as unassigned, so the tag is checked here and the
     * array decoded on its own. */
    skip = n > 0 && buf[0] == 0xd2;
    top = cbor_load(buf + skip, n - skip, &res);
    if (!top || res.error.code != CBOR_ERR_NONE || res.read != n - skip) {
        fprintf(stderr, "%s: evidence: not one CBOR item (error at byte "
                "%zu)\n", path, res.error.position + skip);
        goto out;
    }
    inner = top;
    if (cbor_isa_tag(top)) {
        if (cbor_tag_value(top) != 18) {
            fprintf(stderr, "%s: evidence: CBOR tag %llu, want 18 "
                    "(COSE_Sign1)\n", path,
                    (unsigned long long)cbor_tag_value(top));
            goto out;
        }
        inner = cbor_tag_item(top);
        cbor_decref(&inner);  /* cbor_tag_item took a reference */
    }
    if (!cbor_isa_array(inner) || cbor_array_size(inner) != 4 ||
        !cbor_isa_bytestring(cbor_array_handle(inner)[2]) ||
        !cbor_bytestring_is_definite(cbor_array_handle(inner)[2])) {
        fprintf(stderr, "%s: evidence: not a COSE_Sign1 array of 4 with a "
                "payload\n", path);
        goto out;
    }
    {
        const cbor_item_t *pl = cbor_array_handle(inner)[2];

        claims = cbor_load(cbor_bytestring_handle(pl),
                           cbor_bytestring_length(pl), &res);
        if (!claims || res.error.code != CBOR_ERR_NONE ||
            !cbor_isa_map(claims)) {
            fprintf(stderr, "%s: evidence: the payload is not a CBOR map of "
                    "claims\n", path);
            goto out;
        }
    }
    rc = show_claims(path, claims);
out:
    if (claims)
        cbor_decref(&claims);
    if (top)
        cbor_decref(&top);
    free(buf);
    return rc;
}

/* ---- run's TEE services ---------------------------------------------------------- */

static bool imports_mantle(const mantle_module *module)
{
    for (size_t i = 0; i < mantle_module_import_count(module); i++) {
        const char *mod, *name;
        mantle_externtype t;

        if (mantle_module_import(module, i, &mod, &name, &t) == MANTLE_OK &&
            strcmp(mod, "mantle") == 0)
            return true;
    }
    return false;
}

/* Mount the sealed directories and say on stderr what protects them
 * against rollback. A directory that does not open is reported and left
 * sealed: the guest gets EIO for it, never its data. */
static void mount_sealed(const char *path, mantle_tee *tee,
                         mantle_module *module, const mantle_tee_launch *launch,
                         mantle_wasi *wasi, const char *state_dir)
{
    bool hw = mantle_tee_counter_hardware(tee);
    mantle_diag diag;
    int st;

    for (size_t i = 0; i < launch->npreopens; i++) {
        const mantle_wasi_preopen *p = &launch->preopens[i];

        if (!p->sealed)
            continue;
        if (hw)
            fprintf(stderr, "mantle: run: sealed directory %s: rollback "
                            "protection by the %s backend's hardware "
                            "monotonic counter\n", p->guest_path,
                    mantle_tee_backend(tee));
        else
            fprintf(stderr, "mantle: run: sealed directory %s: the %s backend "
                            "has no hardware monotonic counter; a counter in "
                            "%s detects swapped, mixed and rolled-back files, "
                            "but not a rollback of that state directory "
                            "together with the data\n", p->guest_path,
                    mantle_tee_backend(tee), state_dir ? state_dir
                                                        : cli_state_dir());
    }
    cli_diag_init(&diag);
    st = cli_sealed_cache ? mantle_tee_sealed_cache(tee, cli_sealed_cache)
                          : MANTLE_OK;
    if (st == MANTLE_OK)
        st = mantle_tee_mount_sealed(tee, module, launch, wasi, &diag);
    if (st != MANTLE_OK)
        fprintf(stderr, "%s: run: %s; the guest gets EIO for it\n", path,
                diag.message[0] ? diag.message : mantle_strerror(st));
}

static bool kbs_trustee;

void cli_kbs_use_trustee(void)
{
    kbs_trustee = true;
}

int cli_tee_define(const char *path, const char *tee_name,
                   const char *state_dir, mantle_module *module,
                   const mantle_wasi_preopen *dirs, size_t ndirs,
                   const char **envv, size_t nenv, const char **listens,
                   size_t nlistens, const mantle_tee_secret *secrets,
                   size_t nsecrets, const char *broker, const char *broker_ca,
                   const cli_kbs_secret *kbs, size_t nkbs,
                   const char *listen_tls, char **out_tls_cert,
                   char **out_tls_key, mantle_linker *linker,
                   mantle_wasi *wasi,
                   mantle_tee **out)
{
    mantle_tee_launch launch;
    mantle_tee_secret *all = NULL;
    mantle_diag diag;
    char **grants;
    bool sealed = false;
    int rc, st;

    *out = NULL;
    for (size_t i = 0; i < ndirs; i++)
        sealed |= dirs[i].sealed;
    if (!tee_name) {
        if (!imports_mantle(module) && !listen_tls && !sealed)
            return CLI_EXIT_OK;  /* no TEE asked for, none needed */
        tee_name = "auto";
    }
    if ((rc = cli_tee_open("run", tee_name, state_dir, out)) != CLI_EXIT_OK)
        return rc;
    grants = calloc(nlistens + 1, sizeof *grants);
    if (!grants)
        abort();
    for (size_t i = 0; i < nlistens; i++)
        if (asprintf(&grants[i], "listen:%s", listens[i]) < 0)
            abort();
    if (listen_tls && asprintf(&grants[nlistens], "listen-tls:%s",
                               listen_tls) < 0)
        abort();
    memset(&launch, 0, sizeof launch);
    launch.preopens = dirs;
    launch.npreopens = ndirs;
    launch.envp = envv;
    launch.envc = nenv;
    launch.grants = (const char *const *)grants;
    launch.ngrants = nlistens + (listen_tls != NULL);
    launch.secrets = secrets;
    launch.nsecrets = nsecrets;
    st = MANTLE_OK;
#if MANTLE_ENABLE_ATTEST
    /* Secrets from the broker: released only to this module under this
     * launch configuration, after attestation (docs/attest.md). */
    if (nkbs > 0) {
        if (!(all = calloc(nsecrets + nkbs, sizeof *all)))
            abort();
        if (nsecrets)
            memcpy(all, secrets, nsecrets * sizeof *all);
        struct kbs_opts ko = {.url = broker, .ca_file = broker_ca,
                              .trustee = kbs_trustee};
        char why[1024];
        size_t at;

        if (kbs_fetch(&ko, *out, module, &launch, kbs, nkbs, all + nsecrets,
                      &at, why, sizeof why) != 0) {
            if (at < nkbs)
                fprintf(stderr, "mantle: run: broker: secret %s: %s\n",
                        kbs[at].name, why);
            else
                fprintf(stderr, "mantle: run: broker: %s\n", why);
            free(all);
            all = NULL;
            st = MANTLE_EREFUSED;
        }
        launch.secrets = all;
        launch.nsecrets = nsecrets + nkbs;
    }
#else
    (void)broker;
    (void)broker_ca;
    (void)kbs;
    (void)nkbs;
#endif
    cli_diag_init(&diag);
    if (st == MANTLE_OK)
        st = mantle_tee_define(*out, module, &launch, linker, &diag);
    else
        snprintf(diag.message, sizeof diag.message,
                 "secrets from the broker were refused");
#if MANTLE_ENABLE_ATTEST
    if (st == MANTLE_OK && listen_tls) {
        st = mantle_ratls_certificate(*out, module, &launch, out_tls_cert,
                                      out_tls_key, &diag);
        cli_ratls_fresh(*out, module, &launch);
    }
#else
    (void)out_tls_cert;
    (void)out_tls_key;
#endif
    if (st == MANTLE_OK && sealed)
        mount_sealed(path, *out, module, &launch, wasi, state_dir);
    if (all) {
        for (size_t i = nsecrets; i < nsecrets + nkbs; i++)
            kbs_secret_free(&all[i]);
        free(all);
    }
    for (size_t i = 0; i < nlistens + 1; i++)
        free(grants[i]);
    free(grants);
    if (st != MANTLE_OK) {
        fprintf(stderr, "%s: run: TEE services: %s\n", path,
                diag.message[0] ? diag.message : mantle_strerror(st));
        return CLI_EXIT_TRAP;
    }
    return CLI_EXIT_OK;
}
