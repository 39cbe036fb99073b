/* assign.c - assignments (fleet_place's output) as JSON: KV, deploy status.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdlib.h>
#include <string.h>

#include "fleet_int.h"

#define MAX_ASSIGNS 100000u
#define MAX_WHY 2048

void fleet_assign_free(struct fleet_assign *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].deploy);
        free(a[i].node);
        free(a[i].why);
    }
    free(a);
}

char *fleet_assigns_to_json(const struct fleet_assign *a, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = json_pack("{s:s?,s:I,s:s?,s:s?}", "deploy", a[i].deploy,
                              "replica", (json_int_t)a[i].replica, "node",
                              a[i].node, "why", a[i].why ? a[i].why : "");
        if (o == NULL || a[i].deploy == NULL || json_array_append_new(arr, o)) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return fl_dump(arr);
}

static int read_one(fl_err *e, const json_t *v, const char *path,
                    struct fleet_assign *a)
{
    static const char *const keys[] = {"deploy", "replica", "node", "why",
                                       NULL};
    char at[FL_PATH];
    json_t *x;
    int rc;

    if ((rc = fl_object(e, v, path, keys)))
        return rc;
    fl_path_key(at, path, "deploy");
    if (!(x = json_object_get(v, "deploy")))
        return fl_fail(e, at, "missing");
    if ((rc = fl_string(e, x, at, FLEET_MAX_NAME, &a->deploy)))
        return rc;
    if (!fl_name_valid(a->deploy))
        return fl_fail(e, at, "\"%s\" is not a deployment name", a->deploy);
    fl_path_key(at, path, "replica");
    if (!(x = json_object_get(v, "replica")))
        return fl_fail(e, at, "missing");
    if (!json_is_integer(x) || json_integer_value(x) < 0 ||
        json_integer_value(x) >= FLEET_MAX_REPLICAS)
        return fl_fail(e, at, "expected an integer 0 to %u",
                       FLEET_MAX_REPLICAS - 1);
    a->replica = (uint32_t)json_integer_value(x);
    fl_path_key(at, path, "node");
    if ((x = json_object_get(v, "node")) && !json_is_null(x)) {
        if ((rc = fl_string(e, x, at, FLEET_MAX_NAME, &a->node)))
            return rc;
        if (!fl_name_valid(a->node))
            return fl_fail(e, at, "\"%s\" is not a node id", a->node);
    }
    fl_path_key(at, path, "why");
    if ((x = json_object_get(v, "why")) &&
        (rc = fl_string(e, x, at, MAX_WHY, &a->why)))
        return rc;
    return MANTLE_OK;
}

int fleet_assigns_from_json(const char *text, size_t len,
                            struct fleet_assign **out, size_t *nout,
                            char *err, size_t errlen)
{
    fl_err e = {err, errlen, "assignments"};
    struct fleet_assign *a = NULL;
    json_error_t je;
    json_t *root;
    size_t n = 0;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (text == NULL || out == NULL || nout == NULL)
        return MANTLE_EINVAL;
    if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
        return fl_fail(&e, NULL, "line %d, column %d: %s", je.line, je.column,
                       je.text);
    if (!json_is_array(root)) {
        rc = fl_fail(&e, NULL, "expected an array, got %s", fl_type(root));
        goto out;
    }
    if ((n = json_array_size(root)) > MAX_ASSIGNS) {
        rc = fl_fail(&e, NULL, "%zu entries, at most %u", n, MAX_ASSIGNS);
        goto out;
    }
    if (n && (a = calloc(n, sizeof *a)) == NULL) {
        rc = MANTLE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char at[FL_PATH];
        fl_path_index(at, "", i);
        if ((rc = read_one(&e, json_array_get(root, i), at, &a[i])))
            goto out;
    }
    *out = a;
    *nout = n;
    a = NULL;
    rc = MANTLE_OK;
out:
    fleet_assign_free(a, n);
    json_decref(root);
    return rc;
}
