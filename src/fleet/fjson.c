/* fjson.c - strict readers over jansson trees, with field paths in errors.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Manifests and node facts arrive from users and from other nodes: every
 * reader checks the type, the size and the characters, and names the field
 * at fault ("constraints.tee[1]: ...").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_int.h"

int fl_fail(fl_err *e, const char *path, const char *fmt, ...)
{
    va_list ap;
    int n = 0;

    if (e == NULL || e->buf == NULL || e->len == 0)
        return MANTLE_EINVAL;
    if (e->origin)
        n = snprintf(e->buf, e->len, "%s: ", e->origin);
    if (n >= 0 && (size_t)n < e->len && path && *path)
        n += snprintf(e->buf + n, e->len - (size_t)n, "%s: ", path);
    if (n >= 0 && (size_t)n < e->len) {
        va_start(ap, fmt);
        vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return MANTLE_EINVAL;
}

const char *fl_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

void fl_path_key(char out[FL_PATH], const char *parent, const char *key)
{
    if (parent && *parent)
        snprintf(out, FL_PATH, "%s.%.60s", parent, key);
    else
        snprintf(out, FL_PATH, "%.60s", key);
}

void fl_path_index(char out[FL_PATH], const char *parent, size_t i)
{
    snprintf(out, FL_PATH, "%s[%zu]", parent ? parent : "", i);
}

static const char *first_byte(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' &&
            text[i] != '\n')
            return text + i;
    return NULL;
}

json_t *fl_load(const char *text, size_t len, fl_err *e)
{
    const char *p;
    json_error_t je;
    json_t *v;

    if (text == NULL || (p = first_byte(text, len)) == NULL) {
        fl_fail(e, NULL, "empty document");
        return NULL;
    }
    if (len > FLEET_MANIFEST_MAX) {
        fl_fail(e, NULL, "%zu bytes, more than the %u accepted", len,
                FLEET_MANIFEST_MAX);
        return NULL;
    }
    if (*p != '{' && *p != '[')
        return fl_yaml_load(text, len, e);
    v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL)
        fl_fail(e, NULL, "line %d, column %d: %s", je.line, je.column,
                je.text);
    return v;
}

int fl_object(fl_err *e, const json_t *v, const char *path,
              const char *const *allowed)
{
    const char *key;
    json_t *val;
    char list[256];
    size_t n = 0;

    if (!json_is_object(v))
        return fl_fail(e, path, "expected an object, got %s", fl_type(v));
    json_object_foreach((json_t *)v, key, val) {
        size_t i;
        char at[FL_PATH];

        for (i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                break;
        if (allowed[i])
            continue;
        list[0] = '\0';
        for (i = 0; allowed[i] && n < sizeof list; i++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
                                  i ? ", " : "", allowed[i]);
        fl_path_key(at, path, key);
        return fl_fail(e, at, "unknown field (expected one of: %s)", list);
    }
    return MANTLE_OK;
}

static int string_common(fl_err *e, const json_t *v, const char *path,
                         size_t max, bool lines, char **out)
{
    const char *s;
    size_t len;

    if (!json_is_string(v))
        return fl_fail(e, path, "expected a string, got %s", fl_type(v));
    s = json_string_value(v);
    len = json_string_length(v);
    if (len > max)
        return fl_fail(e, path, "%zu bytes long, at most %zu allowed", len,
                       max);
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] < 0x20 &&
             !(lines && (s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))) ||
            s[i] == 0x7f)
            return fl_fail(e, path, "control character 0x%02x at byte %zu",
                           (unsigned char)s[i], i);
    if ((*out = strdup(s)) == NULL)
        return MANTLE_ENOMEM;
    return MANTLE_OK;
}

int fl_string(fl_err *e, const json_t *v, const char *path, size_t max,
              char **out)
{
    return string_common(e, v, path, max, false, out);
}

int fl_string_text(fl_err *e, const json_t *v, const char *path, size_t max,
                   char **out)
{
    return string_common(e, v, path, max, true, out);
}

int fl_bool(fl_err *e, const json_t *v, const char *path, bool *out)
{
    if (!json_is_boolean(v))
        return fl_fail(e, path, "expected true or false, got %s",
                       fl_type(v));
    *out = json_is_true(v);
    return MANTLE_OK;
}

static bool lower_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool fl_name_valid(const char *s)
{
    size_t n;

    if (s == NULL || !lower_or_digit(s[0]))
        return false;
    for (n = 1; s[n]; n++)
        if (!lower_or_digit(s[n]) && s[n] != '-' && s[n] != '_')
            return false;
    return n <= FLEET_MAX_NAME;
}

bool fl_label_key_valid(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    for (n = 0; s[n]; n++) {
        char c = s[n];
        bool alnum = lower_or_digit(c) || (c >= 'A' && c <= 'Z');
        if (!alnum && (n == 0 || !strchr("_./-", c)))
            return false;
    }
    return n >= 1 && n <= FLEET_MAX_NAME;
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const struct fleet_label *)a)->key,
                  ((const struct fleet_label *)b)->key);
}

int fl_labels(fl_err *e, const json_t *v, const char *path,
              bool (*key_ok)(const char *), const char *key_rule,
              struct fleet_label **out, size_t *n)
{
    const char *key;
    json_t *val;
    struct fleet_label *l = NULL;
    size_t i = 0, cap;
    int rc = MANTLE_OK;

    if (!json_is_object(v))
        return fl_fail(e, path, "expected an object of names to strings, "
                       "got %s", fl_type(v));
    cap = json_object_size(v);
    if (cap > 256)
        return fl_fail(e, path, "%zu entries, at most 256", cap);
    if (cap && (l = calloc(cap, sizeof *l)) == NULL)
        return MANTLE_ENOMEM;
    json_object_foreach((json_t *)v, key, val) {
        char at[FL_PATH];

        fl_path_key(at, path, key);
        if (!key_ok(key)) {
            rc = fl_fail(e, at, "bad name: %s", key_rule);
            goto out;
        }
        if ((rc = fl_string(e, val, at, 255, &l[i].value)))
            goto out;
        if ((l[i].key = strdup(key)) == NULL) {
            rc = MANTLE_ENOMEM;
            goto out;
        }
        i++;
    }
    if (i > 1)
        qsort(l, i, sizeof *l, label_cmp);
    *out = l;
    *n = i;
    return MANTLE_OK;
out:
    fl_labels_free(l, cap);  /* calloc'd: unfilled entries are NULL */
    return rc;
}

json_t *fl_labels_json(const struct fleet_label *l, size_t n)
{
    json_t *o = json_object();

    for (size_t i = 0; o && i < n; i++)
        if (json_object_set_new(o, l[i].key, json_string(l[i].value))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

void fl_labels_free(struct fleet_label *l, size_t n)
{
    for (size_t i = 0; l && i < n; i++) {
        free(l[i].key);
        free(l[i].value);
    }
    free(l);
}

bool fl_labels_equal(const struct fleet_label *a, size_t na,
                     const struct fleet_label *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].key, b[i].key) || strcmp(a[i].value, b[i].value))
            return false;
    return true;
}

void fl_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

char *fl_strdup(const char *s, bool *ok)
{
    char *d;

    if (s == NULL)
        return NULL;
    if ((d = strdup(s)) == NULL)
        *ok = false;
    return d;
}

void fl_put(json_t *o, const char *key, json_t *v, bool *ok)
{
    if (v == NULL || json_object_set_new(o, key, v))
        *ok = false;
}

char *fl_dump(json_t *v)
{
    char *s;

    if (v == NULL)
        return NULL;
    s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    return s;
}
