/* test_manifest.c - deployment manifests: JSON and YAML, canonical output,
 * every error class with its message.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fleet.h"
#include "ft.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char yaml_full[] =
    "# an edge filter\n"
    "name: filter\n"
    "module:\n"
    "  digest: sha256:" D64 "\n"
    "  path: ./filter.wasm\n"
    "replicas: 3\n"
    "constraints:\n"
    "  arch: [x86_64, aarch64]\n"
    "  tee:\n"
    "    - snp\n"
    "    - cca\n"
    "  debug_ok: false\n"
    "  labels: {tier: edge, site: lyon-1}\n"
    "  mem: 64Mi\n"
    "  cpu: 0.5\n"
    "  spread: node\n"
    "args: [--threshold, \"3\"]\n"
    "env:\n"
    "  LOG: debug\n"
    "tier: aot\n";

static const char json_full[] =
    "{\"name\":\"filter\",\"module\":{\"digest\":\"sha256:" D64 "\","
    "\"path\":\"./filter.wasm\"},\"replicas\":3,\"constraints\":{"
    "\"arch\":[\"aarch64\",\"x86_64\"],\"tee\":[\"cca\",\"snp\"],"
    "\"debug_ok\":false,\"labels\":{\"site\":\"lyon-1\",\"tier\":\"edge\"},"
    "\"mem\":\"64Mi\",\"cpu\":\"500m\",\"spread\":\"node\"},"
    "\"args\":[\"--threshold\",\"3\"],\"env\":{\"LOG\":\"debug\"},"
    "\"tier\":\"aot\"}";

static void test_valid(void)
{
    struct fleet_deploy y, j, r;
    char err[512];
    char *a, *b;

    CHECK(fleet_manifest_parse(yaml_full, sizeof yaml_full - 1, "app.yaml",
                               &y, err, sizeof err) == MANTLE_OK);
    CHECK_STR(y.name, "filter");
    CHECK_STR(y.digest, "sha256:" D64);
    CHECK_STR(y.module_path, "./filter.wasm");
    CHECK(y.replicas == 3);
    CHECK(y.c.n_arch == 2 && !strcmp(y.c.arch[0], "aarch64"));
    CHECK(y.c.n_tee == 2 && !strcmp(y.c.tee[0], "cca"));
    CHECK(y.c.n_labels == 2 && !strcmp(y.c.labels[0].key, "site"));
    CHECK(y.c.mem_bytes == 64u << 20 && y.c.cpu_milli == 500);
    CHECK_STR(y.c.spread_key, "node");
    CHECK(y.n_args == 2 && !strcmp(y.args[1], "3"));
    CHECK(y.n_env == 1 && !strcmp(y.env[0].value, "debug"));
    CHECK_STR(y.tier, "aot");

    /* The canonical JSON of the YAML is the JSON; both parse equal, and
     * the round trip is exact. */
    a = fleet_deploy_to_json(&y);
    CHECK_STR(a, json_full);
    CHECK(fleet_manifest_parse(json_full, strlen(json_full), "app.json", &j,
                               err, sizeof err) == MANTLE_OK);
    CHECK(fleet_deploy_equal(&y, &j));
    CHECK(fleet_manifest_parse(a, strlen(a), NULL, &r, err, sizeof err) ==
          MANTLE_OK);
    b = fleet_deploy_to_json(&r);
    CHECK_STR(a, b);
    CHECK(fleet_deploy_equal(&r, &y));
    free(a);
    free(b);
    fleet_deploy_free(&r);
    /* Changing one field breaks equality. */
    j.c.cpu_milli++;
    CHECK(!fleet_deploy_equal(&y, &j));
    fleet_deploy_free(&y);
    fleet_deploy_free(&j);
    CHECK(y.name == NULL && y.c.arch == NULL);  /* zeroed */
    fleet_deploy_free(&y);                      /* twice is harmless */

    /* Minimal: defaults written out, module as a bare path. */
    CHECK(fleet_manifest_parse("name: a\nmodule: m.wasm\n", 23, NULL, &y, err,
                               sizeof err) == MANTLE_OK);
    a = fleet_deploy_to_json(&y);
    CHECK_STR(a, "{\"name\":\"a\",\"module\":{\"path\":\"m.wasm\"},"
                 "\"replicas\":1,\"constraints\":{\"arch\":[],\"tee\":[],"
                 "\"debug_ok\":false,\"labels\":{},\"mem\":\"0\","
                 "\"cpu\":\"0\"},\"args\":[],\"env\":{},\"tier\":\"auto\"}");
    free(a);
    fleet_deploy_free(&y);

    /* A bare digest, single names for lists, integer bytes and cores. */
    {
        const char *t = "{\"name\":\"b-2\",\"module\":\"sha256:" D64 "\","
                        "\"replicas\":0,\"constraints\":{\"arch\":\"riscv64\","
                        "\"tee\":\"soft\",\"debug_ok\":true,\"mem\":1000,"
                        "\"cpu\":2,\"spread\":\"site\"}}";
        CHECK(fleet_manifest_parse(t, strlen(t), NULL, &y, err, sizeof err) ==
              MANTLE_OK);
        CHECK(y.replicas == 0 && y.module_path == NULL);
        CHECK(y.c.n_arch == 1 && y.c.n_tee == 1 && y.c.debug_ok);
        CHECK(y.c.mem_bytes == 1000 && y.c.cpu_milli == 2000);
        a = fleet_deploy_to_json(&y);
        CHECK_HAS(a, "\"mem\":\"1000\",\"cpu\":\"2\",\"spread\":\"site\"");
        free(a);
        fleet_deploy_free(&y);
    }
}

static void test_units(void)
{
    static const struct {
        const char *s;
        uint64_t v;
    } mem[] = {{"0", 0},          {"1", 1},
               {"64Mi", 64ull << 20}, {"1Gi", 1ull << 30},
               {"1k", 1000},      {"512M", 512000000},
               {"3Ei", 3ull << 60}, {"18446744073709551614", UINT64_MAX - 1}};
    static const char *const bad_mem[] = {"", "Mi", "1.5Gi", "-1", "64MB",
                                          "64 Mi", "16Ei", "99999999999999999999999"};
    static const struct {
        const char *s;
        uint32_t v;
    } cpu[] = {{"500m", 500}, {"2", 2000}, {"0.5", 500}, {"1.25", 1250},
               {"0.1000", 100}, {"1024", 1024000}, {"0m", 0}};
    static const char *const bad_cpu[] = {"", "m", "0.0005", "1025", "1.5m",
                                          "-1", "2 cores", "1024001m"};
    char buf[32], err[160];
    uint64_t m;
    uint32_t c;

    for (size_t i = 0; i < sizeof mem / sizeof *mem; i++) {
        CHECK(fleet_parse_mem(mem[i].s, &m, err, sizeof err) == MANTLE_OK &&
              m == mem[i].v);
        fleet_format_mem(mem[i].v, buf, sizeof buf);
        CHECK(fleet_parse_mem(buf, &m, err, sizeof err) == MANTLE_OK &&
              m == mem[i].v);
    }
    fleet_format_mem(64ull << 20, buf, sizeof buf);
    CHECK_STR(buf, "64Mi");
    fleet_format_mem(1536, buf, sizeof buf);
    CHECK_STR(buf, "1536");  /* 1.5Ki: not a whole number of any unit */
    fleet_format_mem(3072, buf, sizeof buf);
    CHECK_STR(buf, "3Ki");
    fleet_format_mem(1000, buf, sizeof buf);
    CHECK_STR(buf, "1000");
    for (size_t i = 0; i < sizeof bad_mem / sizeof *bad_mem; i++)
        CHECK(fleet_parse_mem(bad_mem[i], &m, err, sizeof err) ==
              MANTLE_EINVAL);
    for (size_t i = 0; i < sizeof cpu / sizeof *cpu; i++) {
        CHECK(fleet_parse_cpu(cpu[i].s, &c, err, sizeof err) == MANTLE_OK &&
              c == cpu[i].v);
        fleet_format_cpu(cpu[i].v, buf, sizeof buf);
        CHECK(fleet_parse_cpu(buf, &c, err, sizeof err) == MANTLE_OK &&
              c == cpu[i].v);
    }
    fleet_format_cpu(1500, buf, sizeof buf);
    CHECK_STR(buf, "1500m");
    for (size_t i = 0; i < sizeof bad_cpu / sizeof *bad_cpu; i++)
        CHECK(fleet_parse_cpu(bad_cpu[i], &c, err, sizeof err) ==
              MANTLE_EINVAL);
}

/* Each error class: the text, and what the message must say. */
static const struct {
    const char *text, *msg;
} bad[] = {
    /* syntax */
    {"", "app: empty document"},
    {"{\"name\": \"a\",", "app: line 1, column"},
    {"{\"name\":\"a\",\"name\":\"b\",\"module\":\"m\"}", "duplicate"},
    {"name: [a\n", "app: line"},
    {"name: a\nname: b\nmodule: m\n", "app: name: line 2: duplicate key"},
    {"a: &x [1]\nb: *x\n", "aliases are not supported"},
    {"name: !!binary YQ==\nmodule: m\n", "app: name: line 1: tag"},
    {"name: a\nmodule: m\n---\nname: b\n", "more than one YAML document"},
    {"- name: a\n", "app: expected a mapping of fields"},
    {"{\"name\":\"a\\u0000\",\"module\":\"m\"}", "app: line 1"},
    /* unknown fields, at every level */
    {"name: a\nmodule: m\nreplica: 2\n",
     "app: replica: unknown field (expected one of: name, module, replicas"},
    {"name: a\nmodule: m\nconstraints: {archs: [x86_64]}\n",
     "app: constraints.archs: unknown field"},
    {"name: a\nmodule: {digest: sha256:" D64 ", sha: x}\n",
     "app: module.sha: unknown field"},
    /* missing and wrong types */
    {"module: m\n", "app: name: missing"},
    {"name: a\n", "app: module: missing"},
    {"name: 7\nmodule: m\n", "app: name: expected a string, got an integer"},
    {"name: a\nmodule: m\nreplicas: \"3\"\n",
     "app: replicas: expected an integer, got a string"},
    {"name: a\nmodule: m\nreplicas: 2.5\n",
     "app: replicas: expected an integer, got a number"},
    {"name: a\nmodule: m\nconstraints: {debug_ok: yes}\n",
     "app: constraints.debug_ok: expected true or false, got a string"},
    {"name: a\nmodule: m\nargs: [1]\n",
     "app: args[0]: expected a string, got an integer"},
    {"name: a\nmodule: m\nconstraints: {labels: [tier]}\n",
     "app: constraints.labels: expected an object"},
    {"name: a\nmodule: m\nconstraints: {labels: {tier: 1}}\n",
     "app: constraints.labels.tier: expected a string"},
    {"name: a\nmodule: 12\n", "app: module: expected \"sha256:<hex>\""},
    {"name: a\nmodule: {}\n", "app: module: give a digest, a path or both"},
    /* bad values */
    {"name: Filter\nmodule: m\n", "app: name: \"Filter\": lower-case"},
    {"name: a.b\nmodule: m\n", "app: name: \"a.b\""},
    {"name: a\nmodule: m\nreplicas: -1\n", "app: replicas: -1: must be 0 to 1000"},
    {"name: a\nmodule: m\nreplicas: 100000\n",
     "app: replicas: 100000: must be 0 to 1000"},
    {"name: a\nmodule: m\nreplicas: 99999999999999999999\n",
     "app: replicas: integer 99999999999999999999 out of range"},
    {"name: a\nmodule: sha256:abc\n", "app: module: \"sha256:abc\" is not"},
    {"name: a\nmodule: {digest: sha256:" D64 "0}\n", "app: module.digest:"},
    {"name: a\nmodule: \"\"\n", "app: module: empty path"},
    {"name: a\nmodule: m\nconstraints: {arch: [amd64]}\n",
     "app: constraints.arch[0]: unknown architecture \"amd64\" (did you mean "
     "x86_64?)"},
    {"name: a\nmodule: m\nconstraints: {tee: sev-snp}\n",
     "app: constraints.tee: unknown TEE kind \"sev-snp\" (did you mean snp?)"},
    {"name: a\nmodule: m\nconstraints: {tee: [snp, tsm]}\n",
     "tsm is a backend"},
    {"name: a\nmodule: m\nconstraints: {arch: [x86_64, x86_64]}\n",
     "app: constraints.arch: \"x86_64\" listed twice"},
    {"name: a\nmodule: m\nconstraints: {mem: 64MB}\n",
     "app: constraints.mem: \"64MB\": unknown unit"},
    {"name: a\nmodule: m\nconstraints: {mem: -5}\n",
     "app: constraints.mem: negative size -5"},
    {"name: a\nmodule: m\nconstraints: {cpu: 0.0001}\n",
     "app: constraints.cpu: 0.0001 cores: finer than a millicore"},
    {"name: a\nmodule: m\nconstraints: {cpu: 2000}\n",
     "app: constraints.cpu: 2000 cores: must be 0 to 1024"},
    {"name: a\nmodule: m\nconstraints: {spread: \"no de\"}\n",
     "app: constraints.spread: \"no de\": expected \"node\" or a label key"},
    {"name: a\nmodule: m\nconstraints: {labels: {\"-x\": y}}\n",
     "app: constraints.labels.-x: bad name"},
    {"name: a\nmodule: m\nenv: {1X: y}\n", "app: env.1X: bad name"},
    {"name: a\nmodule: m\ntier: jit\n",
     "app: tier: \"jit\": expected interp, aot or auto"},
    {"name: a\nmodule: m\nargs: [\"a\\tb\"]\n",
     "app: args[0]: control character 0x09"},
    /* impossible combinations */
    {"name: a\nmodule: m\nconstraints: {arch: [aarch64], tee: [snp, tdx]}\n",
     "app: constraints: impossible: no listed TEE kind exists on arch "
     "[aarch64] (snp needs x86_64, tdx needs x86_64)"},
    {"name: a\nmodule: m\nconstraints: {arch: x86_64, tee: cca}\n",
     "cca needs aarch64"},
    {"name: a\nmodule: m\nconstraints: {tee: soft}\n",
     "app: constraints: impossible: soft evidence is always debug"},
    /* secrets and their broker */
#define TS "name: a\nmodule: m\nconstraints: {tee: soft, debug_ok: true}\n"
    {TS "secrets: {db-key: kbs:///app/key/db}\n",
     "app: secrets: no broker: secrets are released by a key broker"},
    {TS "broker: https://kbs:8443\n",
     "app: broker: given without secrets"},
    {TS "broker: ftp://kbs\nsecrets: {k: kbs:///a/b/c}\n",
     "app: broker: \"ftp://kbs\": expected the broker's https:// (or "
     "http://) URL"},
    {TS "broker: \"https://\"\nsecrets: {k: kbs:///a/b/c}\n",
     "app: broker: \"https://\": expected"},
    {TS "broker: https://kbs/\nsecrets: {k: kbs:///a/b/c}\n",
     "app: broker: \"https://kbs/\": no trailing /"},
    {TS "broker: {url: https://kbs, cert: x}\nsecrets: {k: kbs:///a/b/c}\n",
     "app: broker.cert: unknown field (expected one of: url, ca, trustee)"},
    {TS "broker: {ca: x}\nsecrets: {k: kbs:///a/b/c}\n",
     "app: broker.url: missing"},
    {TS "broker: {url: https://kbs, ca: \"not a cert\"}\n"
        "secrets: {k: kbs:///a/b/c}\n",
     "app: broker.ca: not a PEM certificate"},
    {TS "broker: [https://kbs]\nsecrets: {k: kbs:///a/b/c}\n",
     "app: broker: expected the broker's URL or {url, ca, trustee}, got an "
     "array"},
    {TS "broker: {url: https://kbs, trustee: yes}\nsecrets: {k: kbs:///a/b/c}\n",
     "app: broker.trustee: expected true or false, got a string"},
    {TS "broker: https://kbs\nsecrets: [db-key]\n",
     "app: secrets: expected an object of names to strings"},
    {TS "broker: https://kbs\nsecrets: {db-key: 5}\n",
     "app: secrets.db-key: expected a string, got an integer"},
    {TS "broker: https://kbs\nsecrets: {db-key: app/key/db}\n",
     "app: secrets.db-key: \"app/key/db\" is not kbs:///REPO/TYPE/TAG"},
    {TS "broker: https://kbs\nsecrets: {db-key: kbs:///app/key}\n",
     "app: secrets.db-key: \"kbs:///app/key\" is not kbs:///REPO/TYPE/TAG"},
    {TS "broker: https://kbs\nsecrets: {db-key: kbs:///app/../db}\n",
     "is not kbs:///REPO/TYPE/TAG"},
    {TS "broker: https://kbs\nsecrets: {\"db key\": kbs:///a/b/c}\n",
     "app: secrets.db key: bad name"},
    {"name: a\nmodule: m\nbroker: https://kbs\n"
     "secrets: {k: kbs:///a/b/c}\n",
     "app: secrets: constraints.tee must list only TEE kinds a node attests "
     "with"},
    {"name: a\nmodule: m\nconstraints: {tee: [snp, none]}\n"
     "broker: https://kbs\nsecrets: {k: kbs:///a/b/c}\n",
     "app: secrets: constraints.tee must list only"},
#undef TS
};

static void test_errors(void)
{
    char err[512];
    struct fleet_deploy d;

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&d, 0x5a, sizeof d);
        err[0] = '\0';
        int rc = fleet_manifest_parse(bad[i].text, strlen(bad[i].text), "app",
                                      &d, err, sizeof err);
        CHECK(rc == MANTLE_EINVAL);
        CHECK(d.replicas == 0x5a5a5a5a);  /* untouched on failure */
        CHECK_HAS(err, bad[i].msg);
        if (getenv("FLEET_TEST_VERBOSE"))
            printf("%s\n", err);
    }
    /* Not errors: arch-neutral TEE kinds anywhere, more spread replicas
     * than nodes (pending at placement), a possible kind among others. */
    static const char *const fine[] = {
        "name: a\nmodule: m\nconstraints: {arch: armv7, tee: [tpm, none]}\n",
        "name: a\nmodule: m\nreplicas: 1000\nconstraints: {spread: node}\n",
        "name: a\nmodule: m\nconstraints: {arch: aarch64, tee: [snp, cca]}\n",
        "name: a\nmodule: m\nconstraints: {tee: soft, debug_ok: true}\n",
    };
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
        int rc = fleet_manifest_parse(fine[i], strlen(fine[i]), "app", &d, err,
                                      sizeof err);
        CHECK(rc == MANTLE_OK);
        if (rc)
            fprintf(stderr, "  %s\n", err);
        else
            fleet_deploy_free(&d);
    }
    /* A billion-laughs document stays small and is refused. */
    {
        const char *t = "a: &a [x, x, x, x, x, x, x, x, x]\n"
                        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                        "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
        CHECK(fleet_manifest_parse(t, strlen(t), "app", &d, err, sizeof err) ==
              MANTLE_EINVAL);
        CHECK_HAS(err, "aliases are not supported");
    }
    /* Deep nesting is refused before recursion can hurt. */
    {
        char t[400];
        size_t n = 0;
        n += (size_t)snprintf(t, sizeof t, "name: ");
        for (int i = 0; i < 100; i++)
            t[n++] = '[';
        for (int i = 0; i < 100; i++)
            t[n++] = ']';
        t[n] = '\0';
        CHECK(fleet_manifest_parse(t, n, "app", &d, err, sizeof err) ==
              MANTLE_EINVAL);
        CHECK_HAS(err, "nested deeper than");
    }
    /* A small buffer is cut, not overrun. */
    {
        char small[8];
        CHECK(fleet_manifest_parse("name: A\nmodule: m\n", 18, "app", &d, small,
                                   sizeof small) == MANTLE_EINVAL);
        CHECK(strlen(small) == 7);
    }
}

/* Secrets: both syntaxes parse equal; the canonical JSON writes the
 * broker and kbs:/// URIs and round-trips; a manifest without secrets
 * keeps its old canonical text (no broker or secrets keys). */
static void test_secrets(void)
{
    char y[2048], j[2048], err[512], *t1, *t2;
    struct fleet_deploy a, b, c;
    X509 *x = NULL;

    /* A real certificate, made here: the manifest check reads it. */
    {
        EVP_PKEY *k = EVP_EC_gen("P-256");
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem;
        long n;

        x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, k);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
                                   MBSTRING_ASC, (const unsigned char *)"ca",
                                   -1, -1, 0);
        X509_set_issuer_name(x, X509_get_subject_name(x));
        CHECK(X509_sign(x, k, EVP_sha256()) > 0);
        CHECK(PEM_write_bio_X509(bio, x) == 1);
        n = BIO_get_mem_data(bio, &pem);
        snprintf(y, sizeof y,
                 "name: vault\nmodule: sha256:" D64 "\n"
                 "constraints: {tee: [soft, snp], debug_ok: true}\n"
                 "broker:\n  url: https://kbs.example:8443\n  ca: |\n");
        for (long i = 0, o = (long)strlen(y); i < n && o < (long)sizeof y - 4;
             i++) {
            if (i == 0 || pem[i - 1] == '\n')
                y[o++] = ' ', y[o++] = ' ', y[o++] = ' ', y[o++] = ' ';
            y[o++] = pem[i];
            y[o] = '\0';
        }
        strncat(y, "secrets:\n  tls-key: kbs:///app/tls/key\n"
                   "  db-key: kbs:///app/key/db\n",
                sizeof y - strlen(y) - 1);
        BIO_free(bio);
        EVP_PKEY_free(k);
    }
    CHECK(fleet_manifest_parse(y, strlen(y), "app", &a, err, sizeof err) ==
          MANTLE_OK);
    if (err[0])
        fprintf(stderr, "  %s\n", err);
    CHECK(a.n_secrets == 2);
    CHECK_STR(a.secrets[0].key, "db-key");  /* sorted */
    CHECK_STR(a.secrets[0].value, "app/key/db");
    CHECK_STR(a.broker_url, "https://kbs.example:8443");
    CHECK(a.broker_ca && strstr(a.broker_ca, "-----BEGIN CERTIFICATE-----\n"));
    t1 = fleet_deploy_to_json(&a);
    CHECK(t1 && strstr(t1, "\"secrets\":{\"db-key\":\"kbs:///app/key/db\","
                           "\"tls-key\":\"kbs:///app/tls/key\"}"));
    CHECK(t1 && strstr(t1, "\"broker\":{\"url\":\"https://kbs.example:8443\","
                           "\"ca\":\"-----BEGIN CERTIFICATE-----\\n"));
    CHECK(fleet_manifest_parse(t1, strlen(t1), "canonical", &b, err,
                               sizeof err) == MANTLE_OK);
    CHECK(fleet_deploy_equal(&a, &b));
    t2 = fleet_deploy_to_json(&b);
    CHECK(t1 && t2 && strcmp(t1, t2) == 0);
    /* The JSON form, in Trustee's mode. */
    snprintf(j, sizeof j,
             "{\"name\":\"vault\",\"module\":\"sha256:" D64 "\","
             "\"constraints\":{\"tee\":\"tdx\"},"
             "\"broker\":{\"url\":\"http://127.0.0.1:8080\",\"trustee\":true},"
             "\"secrets\":{\"k\":\"kbs:///r/t/g\"}}");
    CHECK(fleet_manifest_parse(j, strlen(j), "app", &c, err, sizeof err) ==
          MANTLE_OK);
    CHECK(c.broker_ca == NULL && c.n_secrets == 1 && c.broker_trustee);
    CHECK(!a.broker_trustee);
    free(t1);
    t1 = fleet_deploy_to_json(&c);
    CHECK(t1 && strstr(t1, "\"broker\":{\"url\":\"http://127.0.0.1:8080\","
                           "\"trustee\":true}"));
    CHECK(!fleet_deploy_equal(&a, &c));
    free(t1);
    free(t2);
    fleet_deploy_free(&a);
    fleet_deploy_free(&b);
    fleet_deploy_free(&c);
    X509_free(x);
}

int main(void)
{
    test_valid();
    test_secrets();
    test_units();
    test_errors();
    return ft_done("fleet_manifest");
}
