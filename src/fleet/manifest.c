/* manifest.c - deployment manifests: strict parsing, canonical JSON.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A manifest (docs/fleet.md):
 *   name: filter
 *   module: sha256:<hex> | ./filter.wasm | {digest: ..., path: ...}
 *   replicas: 3
 *   constraints: {arch: [...], tee: [...], debug_ok: false,
 *                 labels: {tier: edge}, mem: 64Mi, cpu: 500m, spread: node}
 *   args: [...]   env: {KEY: value}   tier: interp | aot | auto
 *   broker: https://kbs:8443 | {url: ..., ca: PEM, trustee: false}
 *   secrets: {NAME: kbs:///REPO/TYPE/TAG}
 * Every error names the field and says why; constraints no node could ever
 * satisfy (tee kinds that exist on none of the listed architectures) are
 * errors, constraints today's nodes do not satisfy are not (pending).
 *
 * Map: units - lists of names - constraints - secrets and their broker -
 *      the manifest - canonical JSON - equality and release
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/kbs.h"
#include "fleet_int.h"

#define MAX_ARGS 256
#define MAX_ARG_LEN 4096
#define MAX_PATH_LEN 4096
#define MAX_CPU_MILLI 1024000u  /* 1024 cores */

/* ---- Units --------------------------------------------------------------- */

static const struct unit {
    const char *suffix;
    uint64_t factor;
} mem_units[] = {
    {"Ei", 1ull << 60}, {"Pi", 1ull << 50}, {"Ti", 1ull << 40},
    {"Gi", 1ull << 30}, {"Mi", 1ull << 20}, {"Ki", 1ull << 10},
    {"E", 1000000000000000000ull}, {"P", 1000000000000000ull},
    {"T", 1000000000000ull}, {"G", 1000000000ull}, {"M", 1000000ull},
    {"k", 1000ull},
};

static int unit_err(char *err, size_t errlen, const char *fmt, const char *s)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, s);
    return MANTLE_EINVAL;
}

int fleet_parse_mem(const char *s, uint64_t *out, char *err, size_t errlen)
{
    uint64_t v = 0, f = 1;
    size_t i = 0;

    if (s == NULL)
        return MANTLE_EINVAL;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        uint64_t digit = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return unit_err(err, errlen, "\"%s\" is too large", s);
        v = v * 10 + digit;
    }
    if (i == 0 || i > 20)
        return unit_err(err, errlen,
                        "\"%s\" is not a size: digits and an optional unit "
                        "(Ki Mi Gi Ti Pi Ei, k M G T P E)", s);
    if (s[i]) {
        size_t u;

        for (u = 0; u < sizeof mem_units / sizeof *mem_units; u++)
            if (strcmp(s + i, mem_units[u].suffix) == 0)
                break;
        if (u == sizeof mem_units / sizeof *mem_units)
            return unit_err(err, errlen,
                            "\"%s\": unknown unit (Ki Mi Gi Ti Pi Ei, "
                            "k M G T P E)", s);
        f = mem_units[u].factor;
    }
    if (v != 0 && f > UINT64_MAX / v)
        return unit_err(err, errlen, "\"%s\" is too large", s);
    *out = v * f;
    return MANTLE_OK;
}

void fleet_format_mem(uint64_t bytes, char *out, size_t outlen)
{
    /* The largest binary unit that divides exactly, else plain bytes:
     * parse(format(x)) == x. */
    for (size_t u = 0; bytes && u < 6; u++)
        if (bytes % mem_units[u].factor == 0) {
            snprintf(out, outlen, "%llu%s",
                     (unsigned long long)(bytes / mem_units[u].factor),
                     mem_units[u].suffix);
            return;
        }
    snprintf(out, outlen, "%llu", (unsigned long long)bytes);
}

int fleet_parse_cpu(const char *s, uint32_t *out, char *err, size_t errlen)
{
    uint64_t whole = 0, frac = 0;
    size_t i = 0, nw, nf = 0;

    if (s == NULL)
        return MANTLE_EINVAL;
    for (; s[i] >= '0' && s[i] <= '9' && i < 12; i++)
        whole = whole * 10 + (uint64_t)(s[i] - '0');
    nw = i;
    if (s[i] == 'm' && s[i + 1] == '\0' && nw) {
        if (whole > MAX_CPU_MILLI)
            return unit_err(err, errlen, "\"%s\": more than 1024 cores", s);
        *out = (uint32_t)whole;
        return MANTLE_OK;
    }
    if (s[i] == '.') {
        for (i++; s[i] >= '0' && s[i] <= '9'; i++, nf++) {
            if (nf >= 3) {
                if (s[i] != '0')
                    return unit_err(err, errlen,
                                    "\"%s\": finer than a millicore", s);
                continue;
            }
            frac = frac * 10 + (uint64_t)(s[i] - '0');
        }
        for (size_t k = nf; k < 3; k++)
            frac *= 10;
    }
    if (s[i] != '\0' || (nw == 0 && nf == 0))
        return unit_err(err, errlen,
                        "\"%s\" is not a CPU amount: cores (\"2\", \"0.5\") "
                        "or millicores (\"500m\")", s);
    if (nw >= 12 || whole * 1000 + frac > MAX_CPU_MILLI)
        return unit_err(err, errlen, "\"%s\": more than 1024 cores", s);
    *out = (uint32_t)(whole * 1000 + frac);
    return MANTLE_OK;
}

void fleet_format_cpu(uint32_t milli, char *out, size_t outlen)
{
    if (milli % 1000 == 0)
        snprintf(out, outlen, "%u", milli / 1000);
    else
        snprintf(out, outlen, "%um", milli);
}

/* mem: a size string or an integer number of bytes. */
static int read_mem(fl_err *e, const json_t *v, const char *path,
                    uint64_t *out)
{
    char why[160];

    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return fl_fail(e, path, "negative size %lld",
                           (long long)json_integer_value(v));
        *out = (uint64_t)json_integer_value(v);
        return MANTLE_OK;
    }
    if (!json_is_string(v))
        return fl_fail(e, path, "expected a size (\"64Mi\" or bytes), got %s",
                       fl_type(v));
    if (fleet_parse_mem(json_string_value(v), out, why, sizeof why))
        return fl_fail(e, path, "%s", why);
    return MANTLE_OK;
}

/* cpu: "500m", "2", "0.5", or a number of cores. */
static int read_cpu(fl_err *e, const json_t *v, const char *path,
                    uint32_t *out)
{
    char why[160];

    if (json_is_integer(v)) {
        json_int_t c = json_integer_value(v);
        if (c < 0 || c > (json_int_t)(MAX_CPU_MILLI / 1000))
            return fl_fail(e, path, "%lld cores: must be 0 to 1024",
                           (long long)c);
        *out = (uint32_t)c * 1000u;
        return MANTLE_OK;
    }
    if (json_is_real(v)) {
        double m = json_real_value(v) * 1000.0;
        if (!(m >= 0 && m <= MAX_CPU_MILLI))
            return fl_fail(e, path, "%g cores: must be 0 to 1024",
                           json_real_value(v));
        if (fabs(m - round(m)) > 1e-6)
            return fl_fail(e, path, "%g cores: finer than a millicore",
                           json_real_value(v));
        *out = (uint32_t)round(m);
        return MANTLE_OK;
    }
    if (!json_is_string(v))
        return fl_fail(e, path,
                       "expected cores or millicores (\"500m\"), got %s",
                       fl_type(v));
    if (fleet_parse_cpu(json_string_value(v), out, why, sizeof why))
        return fl_fail(e, path, "%s", why);
    return MANTLE_OK;
}

/* ---- Lists of names ------------------------------------------------------ */

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name or a list of names, each passing ok(); sorted, no duplicates. */
static int read_names(fl_err *e, const json_t *v, const char *path,
                      bool (*ok)(const char *), const char *what,
                      const char *(*hint)(const char *), char ***out,
                      size_t *n)
{
    json_t *one = NULL;
    size_t cnt, i;
    char **list = NULL;
    int rc = MANTLE_OK;

    if (json_is_string(v)) {
        if ((one = json_array()) == NULL ||
            json_array_append(one, (json_t *)v)) {
            json_decref(one);
            return MANTLE_ENOMEM;
        }
        v = one;
    }
    if (!json_is_array(v)) {
        rc = fl_fail(e, path, "expected a list of %s names, got %s", what,
                     fl_type(v));
        goto out;
    }
    cnt = json_array_size(v);
    if (cnt > 16) {
        rc = fl_fail(e, path, "%zu entries, at most 16", cnt);
        goto out;
    }
    if (cnt && (list = calloc(cnt, sizeof *list)) == NULL) {
        rc = MANTLE_ENOMEM;
        goto out;
    }
    for (i = 0; i < cnt; i++) {
        char at[FL_PATH];
        json_t *x = json_array_get(v, i);

        if (one)
            snprintf(at, sizeof at, "%s", path);
        else
            fl_path_index(at, path, i);
        if ((rc = fl_string(e, x, at, FLEET_MAX_NAME, &list[i])))
            goto out;
        if (!ok(list[i])) {
            const char *h = hint(list[i]);
            rc = fl_fail(e, at, "unknown %s \"%s\"%s", what, list[i], h);
            goto out;
        }
    }
    if (cnt > 1)
        qsort(list, cnt, sizeof *list, str_cmp);
    for (i = 1; i < cnt; i++)
        if (strcmp(list[i - 1], list[i]) == 0) {
            rc = fl_fail(e, path, "\"%s\" listed twice", list[i]);
            goto out;
        }
    *out = list;
    *n = cnt;
    list = NULL;
out:
    if (list)
        fl_strv_free(list, cnt);
    json_decref(one);
    return rc;
}

static const char *arch_hint(const char *s)
{
    if (!strcmp(s, "amd64") || !strcmp(s, "x86-64") || !strcmp(s, "x64"))
        return " (did you mean x86_64?)";
    if (!strcmp(s, "arm64"))
        return " (did you mean aarch64?)";
    if (!strcmp(s, "arm") || !strcmp(s, "armhf") || !strcmp(s, "armv7l"))
        return " (did you mean armv7?)";
    return " (expected x86_64, aarch64, armv7 or riscv64)";
}

static const char *tee_hint(const char *s)
{
    if (!strcmp(s, "sev-snp") || !strcmp(s, "sev"))
        return " (did you mean snp?)";
    if (!strcmp(s, "tsm"))
        return " (tsm is a backend, not a TEE kind: name the hardware, "
               "snp, tdx or cca)";
    if (!strcmp(s, "mantle"))
        return " (Mantle's software root is soft)";
    return " (expected none, soft, tpm, snp, tdx, sgx or cca)";
}

/* ---- Constraints --------------------------------------------------------- */

/* The architectures a TEE kind exists on; NULL: all of them. */
static const char *tee_arch(const char *tee)
{
    if (!strcmp(tee, "snp") || !strcmp(tee, "tdx") || !strcmp(tee, "sgx"))
        return "x86_64";
    if (!strcmp(tee, "cca"))
        return "aarch64";
    return NULL;
}

static bool tee_possible(const char *tee, char **arch, size_t n_arch)
{
    const char *need = tee_arch(tee);

    if (need == NULL || n_arch == 0)
        return true;
    for (size_t i = 0; i < n_arch; i++)
        if (!strcmp(arch[i], need))
            return true;
    return false;
}

/* Combinations no node can ever satisfy are errors (what a node lacks
 * today only makes replicas pending). */
static int check_possible(fl_err *e, const struct fleet_constraints *c)
{
    size_t i, possible = 0, nondebug = 0;
    char arches[96] = "", why[256] = "";
    size_t n = 0, w = 0;

    if (c->n_tee == 0)
        return MANTLE_OK;
    for (i = 0; i < c->n_arch; i++)
        n += (size_t)snprintf(arches + n, sizeof arches - n, "%s%s",
                              i ? ", " : "", c->arch[i]);
    for (i = 0; i < c->n_tee; i++) {
        if (tee_possible(c->tee[i], c->arch, c->n_arch)) {
            possible++;
            if (strcmp(c->tee[i], "soft") != 0)
                nondebug++;
        } else if (w < sizeof why) {
            w += (size_t)snprintf(why + w, sizeof why - w, "%s%s needs %s",
                                  w ? ", " : "", c->tee[i],
                                  tee_arch(c->tee[i]));
        }
    }
    if (possible == 0)
        return fl_fail(e, "constraints",
                       "impossible: no listed TEE kind exists on arch [%s] "
                       "(%s)", arches, why);
    if (nondebug == 0 && !c->debug_ok)
        return fl_fail(e, "constraints",
                       "impossible: soft evidence is always debug; set "
                       "debug_ok: true or ask for a hardware TEE");
    return MANTLE_OK;
}

static void constraints_free(struct fleet_constraints *c)
{
    fl_strv_free(c->arch, c->n_arch);
    fl_strv_free(c->tee, c->n_tee);
    fl_labels_free(c->labels, c->n_labels);
    free(c->spread_key);
    memset(c, 0, sizeof *c);
}

static bool listed_none(const struct fleet_constraints *c)
{
    for (size_t i = 0; i < c->n_tee; i++)
        if (!strcmp(c->tee[i], "none"))
            return true;
    return false;
}

static bool spread_ok(const char *s)
{
    return !strcmp(s, "node") || fl_label_key_valid(s);
}

static int read_constraints(fl_err *e, const json_t *v,
                            struct fleet_constraints *c)
{
    static const char *const keys[] = {"arch", "tee", "debug_ok", "labels",
                                       "mem", "cpu", "spread", NULL};
    const char *P = "constraints";
    char at[FL_PATH];
    json_t *x;
    int rc;

    if ((rc = fl_object(e, v, P, keys)))
        return rc;
    if ((x = json_object_get(v, "arch"))) {
        fl_path_key(at, P, "arch");
        if ((rc = read_names(e, x, at, fleet_arch_valid, "architecture",
                             arch_hint, &c->arch, &c->n_arch)))
            return rc;
    }
    if ((x = json_object_get(v, "tee"))) {
        fl_path_key(at, P, "tee");
        if ((rc = read_names(e, x, at, fleet_tee_valid, "TEE kind", tee_hint,
                             &c->tee, &c->n_tee)))
            return rc;
    }
    if ((x = json_object_get(v, "debug_ok"))) {
        fl_path_key(at, P, "debug_ok");
        if ((rc = fl_bool(e, x, at, &c->debug_ok)))
            return rc;
    }
    if ((x = json_object_get(v, "labels"))) {
        fl_path_key(at, P, "labels");
        if ((rc = fl_labels(e, x, at, fl_label_key_valid,
                            "letters, digits, _ . / -, at most 63",
                            &c->labels, &c->n_labels)))
            return rc;
    }
    if ((x = json_object_get(v, "mem"))) {
        fl_path_key(at, P, "mem");
        if ((rc = read_mem(e, x, at, &c->mem_bytes)))
            return rc;
    }
    if ((x = json_object_get(v, "cpu"))) {
        fl_path_key(at, P, "cpu");
        if ((rc = read_cpu(e, x, at, &c->cpu_milli)))
            return rc;
    }
    if ((x = json_object_get(v, "spread")) && !json_is_null(x)) {
        fl_path_key(at, P, "spread");
        if ((rc = fl_string(e, x, at, FLEET_MAX_NAME, &c->spread_key)))
            return rc;
        if (!spread_ok(c->spread_key))
            return fl_fail(e, at, "\"%s\": expected \"node\" or a label key",
                           c->spread_key);
    }
    return check_possible(e, c);
}

/* ---- Secrets and their broker -------------------------------------------- */

#define MAX_URL_LEN 1024
#define MAX_CA_LEN 65536

/* A secret's name as the guest asks tee_secret for it. */
static bool secret_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > FLEET_MAX_NAME || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

/* secrets: {NAME: "kbs:///R/T/G"}; stored as "R/T/G". */
static int read_secrets(fl_err *e, const json_t *v, struct fleet_deploy *d)
{
    int rc;

    if (json_is_object(v) && json_object_size(v) > FLEET_MAX_SECRETS)
        return fl_fail(e, "secrets", "%zu secrets, at most %d",
                       json_object_size(v), FLEET_MAX_SECRETS);
    if ((rc = fl_labels(e, v, "secrets", secret_name_ok,
                        "letters, digits, . _ -, at most 63 (the name the "
                        "guest asks tee_secret for)",
                        &d->secrets, &d->n_secrets)))
        return rc;
    for (size_t i = 0; i < d->n_secrets; i++) {
        struct fleet_label *s = &d->secrets[i];
        char at[FL_PATH];

        fl_path_key(at, "secrets", s->key);
        if (strncmp(s->value, "kbs:///", 7) != 0 ||
            !kbs_resource_path_ok(s->value + 7))
            return fl_fail(e, at, "\"%s\" is not kbs:///REPO/TYPE/TAG (three "
                           "segments of letters, digits, . _ -)", s->value);
        memmove(s->value, s->value + 7, strlen(s->value + 7) + 1);
    }
    return MANTLE_OK;
}

static int read_url(fl_err *e, const json_t *v, const char *at,
                    struct fleet_deploy *d)
{
    const char *u;
    size_t host;
    int rc;

    if ((rc = fl_string(e, v, at, MAX_URL_LEN, &d->broker_url)))
        return rc;
    u = d->broker_url;
    host = strncmp(u, "https://", 8) == 0 ? 8
           : strncmp(u, "http://", 7) == 0 ? 7 : 0;
    if (host == 0 || u[host] == '\0' || u[host] == '/' ||
        strpbrk(u, " \"'<>\\^`{|}") != NULL)
        return fl_fail(e, at, "\"%s\": expected the broker's https:// (or "
                       "http://) URL, such as https://kbs.example:8443", u);
    if (u[strlen(u) - 1] == '/')
        return fl_fail(e, at, "\"%s\": no trailing / (the client adds "
                       "/kbs/v0/...)", u);
    return MANTLE_OK;
}

/* The CA must be PEM with at least one certificate OpenSSL reads. */
static int read_ca(fl_err *e, const json_t *v, struct fleet_deploy *d)
{
    BIO *bio;
    X509 *x = NULL;
    int rc;

    if ((rc = fl_string_text(e, v, "broker.ca", MAX_CA_LEN, &d->broker_ca)))
        return rc;
    if ((bio = BIO_new_mem_buf(d->broker_ca, -1)) == NULL)
        return MANTLE_ENOMEM;
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (x == NULL)
        return fl_fail(e, "broker.ca", "not a PEM certificate (expected "
                       "-----BEGIN CERTIFICATE-----: the CA that signed the "
                       "broker's TLS certificate)");
    X509_free(x);
    return MANTLE_OK;
}

/* broker: "URL" or {url, ca, trustee}. */
static int read_broker(fl_err *e, const json_t *v, struct fleet_deploy *d)
{
    static const char *const keys[] = {"url", "ca", "trustee", NULL};
    json_t *x;
    int rc;

    if (json_is_string(v))
        return read_url(e, v, "broker", d);
    if (!json_is_object(v))
        return fl_fail(e, "broker", "expected the broker's URL or {url, ca, "
                       "trustee}, got %s", fl_type(v));
    if ((rc = fl_object(e, v, "broker", keys)))
        return rc;
    if (!(x = json_object_get(v, "url")))
        return fl_fail(e, "broker.url", "missing (the broker's https:// URL)");
    if ((rc = read_url(e, x, "broker.url", d)))
        return rc;
    if ((x = json_object_get(v, "ca")) && !json_is_null(x) &&
        (rc = read_ca(e, x, d)))
        return rc;
    if ((x = json_object_get(v, "trustee")) &&
        (rc = fl_bool(e, x, "broker.trustee", &d->broker_trustee)))
        return rc;
    return MANTLE_OK;
}

/* Secrets go only to replicas that attest: a node without a TEE cannot,
 * so a deployment with secrets must name the TEE kinds to place on. */
static int check_secrets(fl_err *e, const struct fleet_deploy *d)
{
    if (d->n_secrets && !d->broker_url)
        return fl_fail(e, "secrets", "no broker: secrets are released by a "
                       "key broker (broker: https://...) to replicas that "
                       "attest");
    if (d->broker_url && !d->n_secrets)
        return fl_fail(e, "broker", "given without secrets (secrets: {NAME: "
                       "kbs:///REPO/TYPE/TAG})");
    if (d->n_secrets && (d->c.n_tee == 0 || listed_none(&d->c)))
        return fl_fail(e, "secrets", "constraints.tee must list only TEE "
                       "kinds a node attests with (not none, not absent): "
                       "the broker releases secrets to attested replicas "
                       "only");
    return MANTLE_OK;
}

/* ---- The manifest -------------------------------------------------------- */

static int read_module(fl_err *e, const json_t *v, struct fleet_deploy *d)
{
    static const char *const keys[] = {"digest", "path", NULL};
    const json_t *dg = NULL, *path = NULL;
    char *s = NULL;
    int rc;

    if (json_is_string(v)) {
        if (strncmp(json_string_value(v), "sha256:", 7) == 0)
            dg = v;
        else
            path = v;
    } else if (json_is_object(v)) {
        if ((rc = fl_object(e, v, "module", keys)))
            return rc;
        dg = json_object_get(v, "digest");
        path = json_object_get(v, "path");
        if (!dg && !path)
            return fl_fail(e, "module", "give a digest, a path or both");
    } else {
        return fl_fail(e, "module", "expected \"sha256:<hex>\", a file path "
                       "or {digest, path}, got %s", fl_type(v));
    }
    if (dg) {
        const char *at = json_is_object(v) ? "module.digest" : "module";
        if ((rc = fl_string(e, dg, at, 128, &s)))
            return rc;
        if (!fleet_digest_valid(s)) {
            rc = fl_fail(e, at, "\"%s\" is not sha256: and 64 lower-case hex "
                         "digits", s);
            free(s);
            return rc;
        }
        memcpy(d->digest, s, FLEET_DIGEST_LEN + 1);
        free(s);
    }
    if (path) {
        const char *at = json_is_object(v) ? "module.path" : "module";
        if ((rc = fl_string(e, path, at, MAX_PATH_LEN, &d->module_path)))
            return rc;
        if (d->module_path[0] == '\0')
            return fl_fail(e, at, "empty path");
    }
    return MANTLE_OK;
}

static int read_args(fl_err *e, const json_t *v, struct fleet_deploy *d)
{
    size_t n;
    int rc;

    if (!json_is_array(v))
        return fl_fail(e, "args", "expected a list of strings, got %s",
                       fl_type(v));
    if ((n = json_array_size(v)) > MAX_ARGS)
        return fl_fail(e, "args", "%zu arguments, at most %d", n, MAX_ARGS);
    if (n && (d->args = calloc(n, sizeof *d->args)) == NULL)
        return MANTLE_ENOMEM;
    d->n_args = n;
    for (size_t i = 0; i < n; i++) {
        char at[FL_PATH];
        fl_path_index(at, "args", i);
        if ((rc = fl_string(e, json_array_get(v, i), at, MAX_ARG_LEN,
                            &d->args[i])))
            return rc;
    }
    return MANTLE_OK;
}

static bool env_key_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > FLEET_MAX_NAME || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static int read_manifest(fl_err *e, const json_t *root, struct fleet_deploy *d)
{
    static const char *const keys[] = {"name", "module", "replicas",
                                       "constraints", "args", "env", "tier",
                                       "broker", "secrets", NULL};
    json_t *x;
    int rc;

    if (!json_is_object(root))
        return fl_fail(e, NULL, "expected a mapping of fields (name, module, "
                       "replicas, ...), got %s", fl_type(root));
    if ((rc = fl_object(e, root, "", keys)))
        return rc;
    if (!(x = json_object_get(root, "name")))
        return fl_fail(e, "name", "missing (every deployment has a name)");
    if ((rc = fl_string(e, x, "name", 256, &d->name)))
        return rc;
    if (!fl_name_valid(d->name))
        return fl_fail(e, "name", "\"%s\": lower-case letters, digits, - and "
                       "_, starting with a letter or digit, at most %d",
                       d->name, FLEET_MAX_NAME);
    if (!(x = json_object_get(root, "module")))
        return fl_fail(e, "module", "missing (a digest or a file path)");
    if ((rc = read_module(e, x, d)))
        return rc;
    d->replicas = 1;
    if ((x = json_object_get(root, "replicas"))) {
        if (!json_is_integer(x))
            return fl_fail(e, "replicas", "expected an integer, got %s",
                           fl_type(x));
        if (json_integer_value(x) < 0 ||
            json_integer_value(x) > FLEET_MAX_REPLICAS)
            return fl_fail(e, "replicas", "%lld: must be 0 to %u",
                           (long long)json_integer_value(x),
                           FLEET_MAX_REPLICAS);
        d->replicas = (uint32_t)json_integer_value(x);
    }
    if ((x = json_object_get(root, "constraints")) &&
        (rc = read_constraints(e, x, &d->c)))
        return rc;
    if ((x = json_object_get(root, "args")) && (rc = read_args(e, x, d)))
        return rc;
    if ((x = json_object_get(root, "env")) &&
        (rc = fl_labels(e, x, "env", env_key_ok,
                        "letters, digits and _, not starting with a digit",
                        &d->env, &d->n_env)))
        return rc;
    if ((x = json_object_get(root, "tier"))) {
        if ((rc = fl_string(e, x, "tier", 16, &d->tier)))
            return rc;
        if (strcmp(d->tier, "interp") && strcmp(d->tier, "aot") &&
            strcmp(d->tier, "auto"))
            return fl_fail(e, "tier", "\"%s\": expected interp, aot or auto",
                           d->tier);
    } else if ((d->tier = strdup("auto")) == NULL) {
        return MANTLE_ENOMEM;
    }
    if ((x = json_object_get(root, "broker")) && (rc = read_broker(e, x, d)))
        return rc;
    if ((x = json_object_get(root, "secrets")) && (rc = read_secrets(e, x, d)))
        return rc;
    return check_secrets(e, d);
}

int fleet_manifest_parse(const char *text, size_t len, const char *origin,
                         struct fleet_deploy *out, char *err, size_t errlen)
{
    fl_err e = {err, errlen, origin ? origin : "manifest"};
    struct fleet_deploy d;
    json_t *root;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (out == NULL)
        return MANTLE_EINVAL;
    if ((root = fl_load(text, len, &e)) == NULL)
        return MANTLE_EINVAL;
    memset(&d, 0, sizeof d);
    rc = read_manifest(&e, root, &d);
    json_decref(root);
    if (rc) {
        if (rc == MANTLE_ENOMEM)
            fl_fail(&e, NULL, "out of memory");
        fleet_deploy_free(&d);
        return rc;
    }
    *out = d;
    return MANTLE_OK;
}

/* ---- Canonical JSON ------------------------------------------------------ */

static json_t *strv_json(char **v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

char *fleet_deploy_to_json(const struct fleet_deploy *d)
{
    json_t *o = json_object(), *m = json_object(), *c = json_object();
    char buf[32];
    bool ok = o && m && c;

    if (!ok || d == NULL || d->name == NULL) {
        json_decref(o);
        json_decref(m);
        json_decref(c);
        return NULL;
    }
    fl_put(o, "name", json_string(d->name), &ok);
    if (d->digest[0])
        fl_put(m, "digest", json_string(d->digest), &ok);
    if (d->module_path)
        fl_put(m, "path", json_string(d->module_path), &ok);
    fl_put(o, "module", m, &ok);
    fl_put(o, "replicas", json_integer(d->replicas), &ok);
    fl_put(c, "arch", strv_json(d->c.arch, d->c.n_arch), &ok);
    fl_put(c, "tee", strv_json(d->c.tee, d->c.n_tee), &ok);
    fl_put(c, "debug_ok", json_boolean(d->c.debug_ok), &ok);
    fl_put(c, "labels", fl_labels_json(d->c.labels, d->c.n_labels), &ok);
    fleet_format_mem(d->c.mem_bytes, buf, sizeof buf);
    fl_put(c, "mem", json_string(buf), &ok);
    fleet_format_cpu(d->c.cpu_milli, buf, sizeof buf);
    fl_put(c, "cpu", json_string(buf), &ok);
    if (d->c.spread_key)
        fl_put(c, "spread", json_string(d->c.spread_key), &ok);
    fl_put(o, "constraints", c, &ok);
    fl_put(o, "args", strv_json(d->args, d->n_args), &ok);
    fl_put(o, "env", fl_labels_json(d->env, d->n_env), &ok);
    fl_put(o, "tier", json_string(d->tier ? d->tier : "auto"), &ok);
    if (d->broker_url) { /* absent without secrets: older texts unchanged */
        json_t *b = json_object(), *sv = json_object();

        fl_put(b, "url", json_string(d->broker_url), &ok);
        if (d->broker_ca)
            fl_put(b, "ca", json_string(d->broker_ca), &ok);
        if (d->broker_trustee)
            fl_put(b, "trustee", json_true(), &ok);
        fl_put(o, "broker", b, &ok);
        for (size_t i = 0; sv && i < d->n_secrets; i++) {
            char uri[300];

            snprintf(uri, sizeof uri, "kbs:///%s", d->secrets[i].value);
            fl_put(sv, d->secrets[i].key, json_string(uri), &ok);
        }
        fl_put(o, "secrets", sv, &ok);
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return fl_dump(o);
}

/* ---- Equality and release ------------------------------------------------ */

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]))
            return false;
    return true;
}

bool fleet_deploy_equal(const struct fleet_deploy *a,
                        const struct fleet_deploy *b)
{
    return str_eq(a->name, b->name) && !strcmp(a->digest, b->digest) &&
           str_eq(a->module_path, b->module_path) &&
           a->replicas == b->replicas &&
           strv_eq(a->c.arch, a->c.n_arch, b->c.arch, b->c.n_arch) &&
           strv_eq(a->c.tee, a->c.n_tee, b->c.tee, b->c.n_tee) &&
           a->c.debug_ok == b->c.debug_ok &&
           fl_labels_equal(a->c.labels, a->c.n_labels, b->c.labels,
                           b->c.n_labels) &&
           a->c.mem_bytes == b->c.mem_bytes &&
           a->c.cpu_milli == b->c.cpu_milli &&
           str_eq(a->c.spread_key, b->c.spread_key) &&
           strv_eq(a->args, a->n_args, b->args, b->n_args) &&
           fl_labels_equal(a->env, a->n_env, b->env, b->n_env) &&
           str_eq(a->tier, b->tier) && str_eq(a->broker_url, b->broker_url) &&
           str_eq(a->broker_ca, b->broker_ca) &&
           a->broker_trustee == b->broker_trustee &&
           fl_labels_equal(a->secrets, a->n_secrets, b->secrets,
                           b->n_secrets);
}

void fleet_deploy_free(struct fleet_deploy *d)
{
    if (d == NULL)
        return;
    free(d->name);
    free(d->module_path);
    constraints_free(&d->c);
    fl_strv_free(d->args, d->n_args);
    fl_labels_free(d->env, d->n_env);
    free(d->tier);
    free(d->broker_url);
    free(d->broker_ca);
    fl_labels_free(d->secrets, d->n_secrets);
    memset(d, 0, sizeof *d);
}
