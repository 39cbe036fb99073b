/* node.c - node facts: strict JSON in, canonical JSON out, the local node's.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Facts travel from each node to the KV bucket "mantle-nodes". A node's
 * word on its TEE is a claim: tee_verified and debug are only meaningful
 * when the reconciler set them itself with fleet_node_verify_tee.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_int.h"
#include "platform/os.h"

static int read_u64(fl_err *e, const json_t *v, const char *path,
                    uint64_t max, uint64_t *out)
{
    if (!json_is_integer(v))
        return fl_fail(e, path, "expected an integer, got %s", fl_type(v));
    if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return fl_fail(e, path, "%lld: must be 0 to %llu",
                       (long long)json_integer_value(v),
                       (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return MANTLE_OK;
}

static int refusal_cmp(const void *a, const void *b)
{
    const struct fleet_refusal *x = a, *y = b;
    int r = strcmp(x->deploy, y->deploy);

    return r ? r : x->replica < y->replica ? -1 : x->replica > y->replica;
}

/* "refused": [{"deploy", "replica", "digest", "why"}] */
static int read_refused(fl_err *e, const json_t *v, struct fleet_node *n)
{
    static const char *const keys[] = {"deploy", "replica", "digest", "why",
                                       NULL};
    size_t cnt;
    int rc;

    if (!json_is_array(v))
        return fl_fail(e, "refused", "expected a list, got %s", fl_type(v));
    if ((cnt = json_array_size(v)) > FLEET_MAX_REFUSALS)
        return fl_fail(e, "refused", "%zu entries, at most %d", cnt,
                       FLEET_MAX_REFUSALS);
    if (cnt && (n->refused = calloc(cnt, sizeof *n->refused)) == NULL)
        return MANTLE_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        const json_t *r = json_array_get(v, i), *x;
        struct fleet_refusal *f = &n->refused[i];
        char at[FL_PATH], at2[FL_PATH], *dg = NULL;
        uint64_t u;

        n->n_refused = i + 1;
        fl_path_index(at, "refused", i);
        if ((rc = fl_object(e, r, at, keys)))
            return rc;
        fl_path_key(at2, at, "deploy");
        if (!(x = json_object_get(r, "deploy")))
            return fl_fail(e, at2, "missing");
        if ((rc = fl_string(e, x, at2, FLEET_MAX_NAME, &f->deploy)))
            return rc;
        if (!fl_name_valid(f->deploy))
            return fl_fail(e, at2, "\"%s\" is not a deployment name",
                           f->deploy);
        fl_path_key(at2, at, "replica");
        if ((x = json_object_get(r, "replica")) &&
            (rc = read_u64(e, x, at2, FLEET_MAX_REPLICAS, &u)))
            return rc;
        f->replica = x ? (uint32_t)u : 0;
        fl_path_key(at2, at, "digest");
        if (!(x = json_object_get(r, "digest")))
            return fl_fail(e, at2, "missing");
        if ((rc = fl_string(e, x, at2, 128, &dg)))
            return rc;
        if (!fleet_digest_valid(dg)) {
            free(dg);
            return fl_fail(e, at2, "not sha256: and 64 lower-case hex digits");
        }
        memcpy(f->digest, dg, FLEET_DIGEST_LEN + 1);
        free(dg);
        fl_path_key(at2, at, "why");
        if (!(x = json_object_get(r, "why")))
            return fl_fail(e, at2, "missing");
        if ((rc = fl_string(e, x, at2, 512, &f->why)))
            return rc;
    }
    if (cnt > 1)
        qsort(n->refused, cnt, sizeof *n->refused, refusal_cmp);
    return MANTLE_OK;
}

static int read_node(fl_err *e, const json_t *root, struct fleet_node *n)
{
    static const char *const keys[] = {
        "id", "arch", "tee", "tee_verified", "debug", "labels", "mem_bytes",
        "cpu_milli", "agent_version", "address", "evidence_digest",
        "last_seen_ms", "refused", NULL};
    json_t *x;
    uint64_t u;
    int rc;

    if ((rc = fl_object(e, root, "", keys)))
        return rc;
    if (!(x = json_object_get(root, "id")))
        return fl_fail(e, "id", "missing");
    if ((rc = fl_string(e, x, "id", 256, &n->id)))
        return rc;
    if (!fl_name_valid(n->id))
        return fl_fail(e, "id", "\"%s\": lower-case letters, digits, - and "
                       "_, starting with a letter or digit, at most %d",
                       n->id, FLEET_MAX_NAME);
    if (!(x = json_object_get(root, "arch")))
        return fl_fail(e, "arch", "missing");
    if ((rc = fl_string(e, x, "arch", FLEET_MAX_NAME, &n->arch)))
        return rc;
    if (!fleet_arch_valid(n->arch))
        return fl_fail(e, "arch", "unknown architecture \"%s\"", n->arch);
    if ((x = json_object_get(root, "tee"))) {
        if ((rc = fl_string(e, x, "tee", FLEET_MAX_NAME, &n->tee)))
            return rc;
        if (!fleet_tee_valid(n->tee))
            return fl_fail(e, "tee", "unknown TEE kind \"%s\"", n->tee);
    } else if ((n->tee = strdup("none")) == NULL) {
        return MANTLE_ENOMEM;
    }
    if ((x = json_object_get(root, "tee_verified")) &&
        (rc = fl_bool(e, x, "tee_verified", &n->tee_verified)))
        return rc;
    if ((x = json_object_get(root, "debug")) &&
        (rc = fl_bool(e, x, "debug", &n->debug)))
        return rc;
    if ((x = json_object_get(root, "labels")) &&
        (rc = fl_labels(e, x, "labels", fl_label_key_valid,
                        "letters, digits, _ . / -, at most 63", &n->labels,
                        &n->n_labels)))
        return rc;
    if ((x = json_object_get(root, "mem_bytes")) &&
        (rc = read_u64(e, x, "mem_bytes", INT64_MAX, &n->mem_bytes)))
        return rc;
    if ((x = json_object_get(root, "cpu_milli"))) {
        if ((rc = read_u64(e, x, "cpu_milli", UINT32_MAX, &u)))
            return rc;
        n->cpu_milli = (uint32_t)u;
    }
    if ((x = json_object_get(root, "agent_version")) &&
        (rc = fl_string(e, x, "agent_version", 64, &n->agent_version)))
        return rc;
    if ((x = json_object_get(root, "address")) &&
        (rc = fl_string(e, x, "address", 256, &n->address)))
        return rc;
    if ((x = json_object_get(root, "evidence_digest"))) {
        char *s = NULL;
        if ((rc = fl_string(e, x, "evidence_digest", 128, &s)))
            return rc;
        if (!fleet_digest_valid(s)) {
            free(s);
            return fl_fail(e, "evidence_digest",
                           "not sha256: and 64 lower-case hex digits");
        }
        memcpy(n->evidence_digest, s, FLEET_DIGEST_LEN + 1);
        free(s);
    }
    if ((x = json_object_get(root, "last_seen_ms"))) {
        if (!json_is_integer(x))
            return fl_fail(e, "last_seen_ms", "expected an integer, got %s",
                           fl_type(x));
        n->last_seen_ms = json_integer_value(x);
    }
    if ((x = json_object_get(root, "refused")) && (rc = read_refused(e, x, n)))
        return rc;
    return MANTLE_OK;
}

int fleet_node_from_json(const char *text, size_t len, struct fleet_node *out,
                         char *err, size_t errlen)
{
    fl_err e = {err, errlen, "node facts"};
    struct fleet_node n;
    json_t *root;
    json_error_t je;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (out == NULL || text == NULL)
        return MANTLE_EINVAL;
    if (len > FLEET_MANIFEST_MAX)
        return fl_fail(&e, NULL, "%zu bytes, too long", len);
    if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
        return fl_fail(&e, NULL, "line %d, column %d: %s", je.line, je.column,
                       je.text);
    memset(&n, 0, sizeof n);
    rc = read_node(&e, root, &n);
    json_decref(root);
    if (rc) {
        if (rc == MANTLE_ENOMEM)
            fl_fail(&e, NULL, "out of memory");
        fleet_node_free(&n);
        return rc;
    }
    *out = n;
    return MANTLE_OK;
}

char *fleet_node_to_json(const struct fleet_node *n)
{
    json_t *o;
    bool ok = true;

    if (n == NULL || n->id == NULL || n->arch == NULL ||
        (o = json_object()) == NULL)
        return NULL;
    fl_put(o, "id", json_string(n->id), &ok);
    fl_put(o, "arch", json_string(n->arch), &ok);
    fl_put(o, "tee", json_string(n->tee ? n->tee : "none"), &ok);
    fl_put(o, "tee_verified", json_boolean(n->tee_verified), &ok);
    fl_put(o, "debug", json_boolean(n->debug), &ok);
    fl_put(o, "labels", fl_labels_json(n->labels, n->n_labels), &ok);
    fl_put(o, "mem_bytes", json_integer((json_int_t)n->mem_bytes), &ok);
    fl_put(o, "cpu_milli", json_integer(n->cpu_milli), &ok);
    if (n->agent_version)
        fl_put(o, "agent_version", json_string(n->agent_version), &ok);
    if (n->address)
        fl_put(o, "address", json_string(n->address), &ok);
    if (n->evidence_digest[0])
        fl_put(o, "evidence_digest", json_string(n->evidence_digest), &ok);
    fl_put(o, "last_seen_ms", json_integer(n->last_seen_ms), &ok);
    if (n->n_refused) { /* absent when empty: older texts unchanged */
        json_t *a = json_array();

        for (size_t i = 0; a && i < n->n_refused; i++) {
            const struct fleet_refusal *f = &n->refused[i];
            json_t *r = json_object();

            fl_put(r, "deploy", json_string(f->deploy), &ok);
            fl_put(r, "replica", json_integer(f->replica), &ok);
            fl_put(r, "digest", json_string(f->digest), &ok);
            fl_put(r, "why", json_string(f->why), &ok);
            if (r == NULL || json_array_append_new(a, r))
                ok = false;
        }
        fl_put(o, "refused", a, &ok);
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return fl_dump(o);
}

void fleet_node_free(struct fleet_node *n)
{
    if (n == NULL)
        return;
    free(n->id);
    free(n->arch);
    free(n->tee);
    fl_labels_free(n->labels, n->n_labels);
    free(n->agent_version);
    free(n->address);
    for (size_t i = 0; i < n->n_refused; i++) {
        free(n->refused[i].deploy);
        free(n->refused[i].why);
    }
    free(n->refused);
    memset(n, 0, sizeof *n);
}

/* The backend's evidence kind (mantle_tee_backend) as a fleet TEE kind. */
static const char *tee_kind(const mantle_tee *tee)
{
    const char *b;

    if (tee == NULL)
        return "none";
    b = mantle_tee_backend(tee);
    if (b && !strcmp(b, "sev-snp"))
        return "snp";
    return b && fleet_tee_valid(b) ? b : NULL;
}

int fleet_node_local(const char *id, const mantle_tee *tee,
                     const struct fleet_label *labels, size_t n_labels,
                     struct fleet_node *out, char *err, size_t errlen)
{
    fl_err e = {err, errlen, "node facts"};
    struct fleet_node n;
    const char *kind = tee_kind(tee);
    bool ok = true;

    if (err && errlen)
        err[0] = '\0';
    if (out == NULL || (labels == NULL && n_labels))
        return MANTLE_EINVAL;
    if (!fl_name_valid(id))
        return fl_fail(&e, "id", "\"%s\": lower-case letters, digits, - and "
                       "_, starting with a letter or digit, at most %d",
                       id ? id : "", FLEET_MAX_NAME);
    if (kind == NULL)
        return fl_fail(&e, "tee", "backend \"%s\" has no fleet TEE kind",
                       mantle_tee_backend(tee));
    for (size_t i = 0; i < n_labels; i++)
        if (!fl_label_key_valid(labels[i].key) || labels[i].value == NULL)
            return fl_fail(&e, "labels", "bad label \"%s\"",
                           labels[i].key ? labels[i].key : "");
    memset(&n, 0, sizeof n);
    n.id = fl_strdup(id, &ok);
    n.arch = fl_strdup(fleet_arch_native(), &ok);
    n.tee = fl_strdup(kind, &ok);
    /* What the backend says of itself; the reconciler replaces both from
     * verified evidence. */
    n.debug = tee ? mantle_tee_debug(tee) : false;
    n.mem_bytes = os_mem_total();
    n.cpu_milli = os_cpu_count() * 1000u;
    n.agent_version = fl_strdup(MANTLE_VERSION, &ok);
    if (n_labels && (n.labels = calloc(n_labels, sizeof *n.labels)) == NULL)
        ok = false;
    for (size_t i = 0; ok && i < n_labels; i++) {
        n.labels[i].key = fl_strdup(labels[i].key, &ok);
        n.labels[i].value = fl_strdup(labels[i].value, &ok);
        n.n_labels = i + 1;
    }
    for (size_t i = 1; ok && i < n.n_labels; i++) {
        /* insertion sort: callers pass a handful */
        struct fleet_label t = n.labels[i];
        size_t j = i;
        for (; j > 0 && strcmp(n.labels[j - 1].key, t.key) > 0; j--)
            n.labels[j] = n.labels[j - 1];
        n.labels[j] = t;
    }
    for (size_t i = 1; ok && i < n.n_labels; i++)
        if (!strcmp(n.labels[i - 1].key, n.labels[i].key)) {
            fleet_node_free(&n);
            return fl_fail(&e, "labels", "\"%s\" given twice",
                           labels[i].key);
        }
    if (!ok) {
        fleet_node_free(&n);
        return MANTLE_ENOMEM;
    }
    *out = n;
    return MANTLE_OK;
}
