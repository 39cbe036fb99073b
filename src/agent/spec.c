/* spec.c - workload specs, names and digests from untrusted JSON.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Everything a client sends that names or configures a workload passes
 * through here (and tests/fuzz/fuzz_agent_spec.c fuzzes it). Parsing is
 * jansson's; this file only checks shapes and ranges, refuses unknown
 * fields (a typo must not silently drop a limit), and turns a spec into
 * the argv of `mantle run`, so a workload runs exactly as `mantle run`
 * would run it by hand.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define fail agent_fail

#define MAX_ITEMS 256      /* args, env, dirs, listen: each */
#define MAX_STRING 4096    /* any one string */

int agent_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

bool spec_name_ok(const char *s)
{
    size_t n = 0;

    if (s == NULL || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (; s[n]; n++) {
        char c = s[n];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9');

        if (!alnum && (n == 0 || (c != '.' && c != '_' && c != '-')))
            return false;
    }
    return n >= 1 && n <= AGENT_NAME_MAX;
}

bool spec_digest_parse(const char *s, char out[AGENT_DIGEST_HEX + 1])
{
    if (s == NULL)
        return false;
    if (strncmp(s, "sha256:", 7) == 0)
        s += 7;
    if (strlen(s) != AGENT_DIGEST_HEX)
        return false;
    for (size_t i = 0; i < AGENT_DIGEST_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    memcpy(out, s, AGENT_DIGEST_HEX + 1);
    return true;
}

/* A relative path without "..", "." or empty components: stays below the
 * directory it is joined to. */
static bool rel_path_ok(const char *p)
{
    const char *seg = p;

    if (*p == '\0' || *p == '/')
        return false;
    for (;;) {
        size_t n = strcspn(seg, "/");

        if (n == 0 || (n == 1 && seg[0] == '.') ||
            (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (seg[n] == '\0')
            return true;
        seg += n + 1;
    }
}

static bool str_ok(const char *s)
{
    return strlen(s) <= MAX_STRING;
}

static int get_strings(const json_t *root, const char *key, char ***out,
                       size_t *out_n, char *err, size_t errlen)
{
    const json_t *a = json_object_get(root, key);
    size_t i;
    const json_t *v;

    if (a == NULL)
        return 0;
    if (!json_is_array(a))
        return fail(err, errlen, "%s: expected an array of strings", key);
    if (json_array_size(a) > MAX_ITEMS)
        return fail(err, errlen, "%s: more than %d items", key, MAX_ITEMS);
    *out = calloc(json_array_size(a) + 1, sizeof **out);
    if (*out == NULL)
        return fail(err, errlen, "%s: out of memory", key);
    json_array_foreach(a, i, v) {
        if (!json_is_string(v) || !str_ok(json_string_value(v)))
            return fail(err, errlen, "%s[%zu]: expected a string (at most %d "
                                     "bytes)", key, i, MAX_STRING);
        if (strlen(json_string_value(v)) != json_string_length(v))
            return fail(err, errlen, "%s[%zu]: contains a NUL byte", key, i);
        if (((*out)[i] = strdup(json_string_value(v))) == NULL)
            return fail(err, errlen, "%s: out of memory", key);
        *out_n = i + 1;
    }
    return 0;
}

static int get_uint(const json_t *root, const char *key, uint64_t max,
                    uint64_t *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, key);

    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return fail(err, errlen, "%s: expected an integer from 0 to %llu",
                    key, (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_choice(const json_t *root, const char *key,
                      const char *const *choices, char *out, size_t outlen,
                      char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, key);

    if (v == NULL)
        return 0;
    if (json_is_string(v))
        for (size_t i = 0; choices[i]; i++)
            if (strcmp(json_string_value(v), choices[i]) == 0 &&
                strlen(choices[i]) < outlen) {
                strcpy(out, choices[i]);
                return 0;
            }
    char list[128] = "";
    for (size_t i = 0; choices[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    return fail(err, errlen, "%s: expected one of %s", key, list);
}

static int get_dirs(const json_t *root, struct wl_spec *s, char *err,
                    size_t errlen)
{
    const json_t *a = json_object_get(root, "dirs"), *d;
    size_t i;

    if (a == NULL)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > MAX_ITEMS)
        return fail(err, errlen, "dirs: expected an array of at most %d "
                                 "{\"host\", \"guest\", \"readonly\", "
                                 "\"sealed\"}",
                    MAX_ITEMS);
    if ((s->dirs = calloc(json_array_size(a) + 1, sizeof *s->dirs)) == NULL)
        return fail(err, errlen, "dirs: out of memory");
    json_array_foreach(a, i, d) {
        const char *host, *guest, *key;
        const json_t *ro, *sealed, *v;

        if (!json_is_object(d))
            return fail(err, errlen, "dirs[%zu]: expected an object", i);
        json_object_foreach((json_t *)d, key, v) {
            if (strcmp(key, "host") && strcmp(key, "guest") &&
                strcmp(key, "readonly") && strcmp(key, "sealed"))
                return fail(err, errlen, "dirs[%zu]: unknown field \"%s\"", i,
                            key);
        }
        host = json_string_value(json_object_get(d, "host"));
        guest = json_string_value(json_object_get(d, "guest"));
        ro = json_object_get(d, "readonly");
        sealed = json_object_get(d, "sealed");
        if (host == NULL || !str_ok(host) || !rel_path_ok(host) ||
            strstr(host, "::"))
            return fail(err, errlen, "dirs[%zu].host: expected a relative "
                                     "path inside the workload's volume (no "
                                     "\"..\", no leading \"/\")", i);
        if (guest != NULL && (!str_ok(guest) || *guest == '\0'))
            return fail(err, errlen, "dirs[%zu].guest: expected a non-empty "
                                     "string", i);
        if (ro != NULL && !json_is_boolean(ro))
            return fail(err, errlen, "dirs[%zu].readonly: expected true or "
                                     "false", i);
        if (sealed != NULL && !json_is_boolean(sealed))
            return fail(err, errlen, "dirs[%zu].sealed: expected true or "
                                     "false", i);
        /* `mantle run` has no read-only sealed directory. */
        if (json_is_true(ro) && json_is_true(sealed))
            return fail(err, errlen, "dirs[%zu]: a sealed volume cannot be "
                                     "read-only", i);
        s->dirs[i].host = strdup(host);
        s->dirs[i].guest = strdup(guest ? guest : host);
        s->dirs[i].readonly = ro && json_is_true(ro);
        s->dirs[i].sealed = sealed && json_is_true(sealed);
        s->ndirs = i + 1;
        if (!s->dirs[i].host || !s->dirs[i].guest)
            return fail(err, errlen, "dirs: out of memory");
    }
    return 0;
}

int spec_from_json(const json_t *root, struct wl_spec *s, char *err,
                   size_t errlen)
{
    static const char *const known[] = {
        "name",   "module",     "args",        "env",         "dirs",
        "listen", "fuel",       "max_memory",  "timeout_ms",  "tee",
        "tier",   "restart",    "cpu_seconds", "memory_limit", "cpu_percent",
        "nofile", "http_route", "http_concurrency", "secrets", NULL};
    static const char *const tees[] = {"", "auto", "soft", "tpm", "tsm", NULL};
    static const char *const tiers[] = {"", "interp", "aot", "auto", NULL};
    static const char *const policies[] = {"always", "on-failure", "never",
                                           NULL};
    const char *key, *name, *module;
    const json_t *v;
    char policy[16] = "on-failure";
    uint64_t u;

    memset(s, 0, sizeof *s);
    if (!json_is_object(root))
        return fail(err, errlen, "expected a JSON object");
    json_object_foreach((json_t *)root, key, v) {
        size_t i;

        for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
            ;
        if (known[i] == NULL)
            return fail(err, errlen, "unknown field \"%.64s\"", key);
    }
    name = json_string_value(json_object_get(root, "name"));
    if (!spec_name_ok(name))
        return fail(err, errlen, "name: expected 1 to %d of [A-Za-z0-9._-], "
                                 "starting with a letter or digit",
                    AGENT_NAME_MAX);
    strcpy(s->name, name);
    module = json_string_value(json_object_get(root, "module"));
    if (!spec_digest_parse(module, s->digest))
        return fail(err, errlen, "module: expected \"sha256:\" and 64 "
                                 "lower-case hex digits");
    if (get_strings(root, "args", &s->args, &s->nargs, err, errlen) ||
        get_strings(root, "env", &s->env, &s->nenv, err, errlen) ||
        get_strings(root, "listen", &s->listen, &s->nlisten, err, errlen) ||
        get_strings(root, "secrets", &s->secrets, &s->nsecrets, err, errlen) ||
        get_dirs(root, s, err, errlen))
        return -1;
    for (size_t i = 0; i < s->nenv; i++)
        if (strchr(s->env[i], '=') == NULL || s->env[i][0] == '=')
            return fail(err, errlen, "env[%zu]: expected \"KEY=VALUE\"", i);
    for (size_t i = 0; i < s->nsecrets; i++)
        if (!spec_name_ok(s->secrets[i]))
            return fail(err, errlen, "secrets[%zu]: expected a secret's name "
                                     "([A-Za-z0-9._-])", i);
    for (size_t i = 0; i < s->nlisten; i++)
        if (strchr(s->listen[i], ':') == NULL)
            return fail(err, errlen, "listen[%zu]: expected \"ADDR:PORT\"", i);
    if (get_uint(root, "fuel", UINT64_MAX >> 1, &s->fuel, err, errlen) ||
        get_uint(root, "max_memory", UINT64_C(4) << 30, &s->max_memory, err,
                 errlen) ||
        get_uint(root, "timeout_ms", UINT64_C(1) << 40, &s->timeout_ms, err,
                 errlen) ||
        get_uint(root, "cpu_seconds", UINT64_C(1) << 32, &s->cpu_seconds, err,
                 errlen) ||
        get_uint(root, "memory_limit", UINT64_C(1) << 50, &s->memory_limit,
                 err, errlen))
        return -1;
    if (s->max_memory && (s->max_memory < 65536 || s->max_memory % 65536))
        return fail(err, errlen, "max_memory: expected a multiple of 65536 "
                                 "from 65536 to 4G bytes");
    u = 0;
    if (get_uint(root, "cpu_percent", 100000, &u, err, errlen))
        return -1;
    s->cpu_percent = (uint32_t)u;
    u = 0;
    if (get_uint(root, "nofile", 65536, &u, err, errlen))
        return -1;
    s->nofile = (uint32_t)u;
    u = 16;
    if (get_uint(root, "http_concurrency", 10000, &u, err, errlen))
        return -1;
    if (u == 0)
        return fail(err, errlen, "http_concurrency: expected 1 to 10000");
    s->http_concurrency = (uint32_t)u;
    v = json_object_get(root, "http_route");
    if (v != NULL && !json_is_boolean(v))
        return fail(err, errlen, "http_route: expected true or false");
    s->http_route = v != NULL && json_is_true(v);
    if (s->http_route && s->nlisten == 0)
        return fail(err, errlen, "http_route: needs a listen address "
                                 "(\"listen\": [\"127.0.0.1:PORT\"])");
    if (get_choice(root, "tee", tees, s->tee, sizeof s->tee, err, errlen) ||
        get_choice(root, "tier", tiers, s->tier, sizeof s->tier, err,
                   errlen) ||
        get_choice(root, "restart", policies, policy, sizeof policy, err,
                   errlen))
        return -1;
    s->restart = strcmp(policy, "always") == 0   ? RESTART_ALWAYS
                 : strcmp(policy, "never") == 0 ? RESTART_NEVER
                                                : RESTART_ON_FAILURE;
    return 0;
}

int spec_parse(const char *json, size_t len, struct wl_spec *out, char *err,
               size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    int rc;

    memset(out, 0, sizeof *out);
    if (root == NULL)
        return fail(err, errlen, "malformed JSON at line %d, column %d: %s",
                    je.line, je.column, je.text);
    rc = spec_from_json(root, out, err, errlen);
    json_decref(root);
    if (rc != 0)
        spec_free(out);
    return rc;
}

static json_t *strings_json(char **v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *spec_to_json(const struct wl_spec *s)
{
    static const char *const policies[] = {"always", "on-failure", "never"};
    json_t *o = json_object(), *dirs = json_array();
    char digest[80];

    snprintf(digest, sizeof digest, "sha256:%s", s->digest);
    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "module", json_string(digest));
    json_object_set_new(o, "args", strings_json(s->args, s->nargs));
    json_object_set_new(o, "env", strings_json(s->env, s->nenv));
    for (size_t i = 0; i < s->ndirs; i++)
        json_array_append_new(dirs, json_pack("{s:s,s:s,s:b,s:b}", "host",
                                              s->dirs[i].host, "guest",
                                              s->dirs[i].guest, "readonly",
                                              s->dirs[i].readonly, "sealed",
                                              s->dirs[i].sealed));
    json_object_set_new(o, "dirs", dirs);
    json_object_set_new(o, "listen", strings_json(s->listen, s->nlisten));
    json_object_set_new(o, "secrets", strings_json(s->secrets, s->nsecrets));
    json_object_set_new(o, "fuel", json_integer((json_int_t)s->fuel));
    json_object_set_new(o, "max_memory",
                        json_integer((json_int_t)s->max_memory));
    json_object_set_new(o, "timeout_ms",
                        json_integer((json_int_t)s->timeout_ms));
    json_object_set_new(o, "tee", json_string(s->tee));
    json_object_set_new(o, "tier", json_string(s->tier));
    json_object_set_new(o, "restart", json_string(policies[s->restart]));
    json_object_set_new(o, "cpu_seconds",
                        json_integer((json_int_t)s->cpu_seconds));
    json_object_set_new(o, "memory_limit",
                        json_integer((json_int_t)s->memory_limit));
    json_object_set_new(o, "cpu_percent", json_integer(s->cpu_percent));
    json_object_set_new(o, "nofile", json_integer(s->nofile));
    json_object_set_new(o, "http_route", json_boolean(s->http_route));
    json_object_set_new(o, "http_concurrency",
                        json_integer(s->http_concurrency));
    return o;
}

static void free_strings(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void spec_free(struct wl_spec *s)
{
    free_strings(s->args, s->nargs);
    free_strings(s->env, s->nenv);
    free_strings(s->listen, s->nlisten);
    free_strings(s->secrets, s->nsecrets);
    if (s->dirs != NULL)
        for (size_t i = 0; i < s->ndirs; i++) {
            free(s->dirs[i].host);
            free(s->dirs[i].guest);
        }
    free(s->dirs);
    memset(s, 0, sizeof *s);
}

/* Append a formatted, malloc'ed string; abort on OOM as programs may. */
static void push(char ***argv, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void push(char ***argv, size_t *n, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    *argv = realloc(*argv, (*n + 2) * sizeof **argv);
    if (*argv == NULL)
        abort();
    (*argv)[(*n)++] = s;
    (*argv)[*n] = NULL;
}

char **spec_argv(const struct wl_spec *s, const char *mantle_bin,
                 const char *volumes_dir, const char *secrets_dir,
                 const char *module_path, const char *stats_path)
{
    char **argv = NULL;
    size_t n = 0;

    push(&argv, &n, "%s", mantle_bin);
    push(&argv, &n, "run");
    if (s->fuel)
        push(&argv, &n, "--fuel=%llu", (unsigned long long)s->fuel);
    if (s->max_memory)
        push(&argv, &n, "--max-memory=%lluK",
             (unsigned long long)(s->max_memory / 1024));
    if (s->timeout_ms)
        push(&argv, &n, "--timeout=%llums", (unsigned long long)s->timeout_ms);
    if (s->tier[0])
        push(&argv, &n, "--tier=%s", s->tier);
    if (s->tee[0])
        push(&argv, &n, "--tee=%s", s->tee);
    for (size_t i = 0; i < s->nenv; i++)
        push(&argv, &n, "--env=%s", s->env[i]);
    for (size_t i = 0; i < s->ndirs; i++)
        push(&argv, &n, "--dir%s=%s/%s/%s::%s",
             s->dirs[i].sealed     ? "-sealed"
             : s->dirs[i].readonly ? "-ro"
                                   : "",
             volumes_dir, s->name,
             s->dirs[i].host, s->dirs[i].guest);
    for (size_t i = 0; i < s->nlisten; i++)
        push(&argv, &n, "--listen=%s", s->listen[i]);
    for (size_t i = 0; i < s->nsecrets; i++)
        push(&argv, &n, "--secret=%s=@%s/%s", s->secrets[i], secrets_dir,
             s->secrets[i]);
    if (stats_path != NULL)
        push(&argv, &n, "--stats-json=%s", stats_path);
    push(&argv, &n, "%s", module_path);
    push(&argv, &n, "--");
    for (size_t i = 0; i < s->nargs; i++)
        push(&argv, &n, "%s", s->args[i]);
    return argv;
}

void spec_argv_free(char **argv)
{
    if (argv == NULL)
        return;
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}
