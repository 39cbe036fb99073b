/* fleet_int.h - internals shared by src/fleet/: strict JSON readers with
 * field paths, manifest text (JSON or YAML) to a jansson tree, labels.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_FLEET_INT_H
#define MANTLE_FLEET_INT_H

#include <stdarg.h>

#include <jansson.h>

#include "fleet.h"

#define FL_PATH 160  /* field paths in messages ("constraints.labels.x") */

/* Where messages go: "origin: path: why" into buf. */
typedef struct fl_err {
    char *buf;
    size_t len;
    const char *origin;
} fl_err;

/* Record a failure at path (may be NULL or "") and return MANTLE_EINVAL. */
int fl_fail(fl_err *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "string", "integer", "boolean", ... for messages. */
const char *fl_type(const json_t *v);
/* child path: "parent.key" (or "key" at the top). */
void fl_path_key(char out[FL_PATH], const char *parent, const char *key);
void fl_path_index(char out[FL_PATH], const char *parent, size_t i);

/* JSON (first non-blank byte '{' or '[') or YAML (yaml.c) text to a tree.
 * JSON duplicates, NUL bytes and YAML aliases, tags and extra documents
 * are refused. NULL with a message on failure. */
json_t *fl_load(const char *text, size_t len, fl_err *e);
json_t *fl_yaml_load(const char *text, size_t len, fl_err *e);

/* obj must be an object whose keys are all in allowed (NULL-terminated). */
int fl_object(fl_err *e, const json_t *v, const char *path,
              const char *const *allowed);
/* v must be a string (length-limited, no control characters); *out is a
 * copy. */
int fl_string(fl_err *e, const json_t *v, const char *path, size_t max,
              char **out);
/* The same for multi-line text (PEM): newlines and tabs allowed. */
int fl_string_text(fl_err *e, const json_t *v, const char *path, size_t max,
                   char **out);
int fl_bool(fl_err *e, const json_t *v, const char *path, bool *out);
/* A name: [a-z0-9][a-z0-9_-]*, at most FLEET_MAX_NAME (safe as a NATS
 * subject token and KV key). */
bool fl_name_valid(const char *s);
/* A label key: [A-Za-z0-9][A-Za-z0-9_./-]*, at most FLEET_MAX_NAME. */
bool fl_label_key_valid(const char *s);

/* {"k": "v", ...} into a key-sorted array; key_ok checks each key and
 * key_rule says what it must look like. */
int fl_labels(fl_err *e, const json_t *v, const char *path,
              bool (*key_ok)(const char *), const char *key_rule,
              struct fleet_label **out, size_t *n);
json_t *fl_labels_json(const struct fleet_label *l, size_t n);
void fl_labels_free(struct fleet_label *l, size_t n);
bool fl_labels_equal(const struct fleet_label *a, size_t na,
                     const struct fleet_label *b, size_t nb);
void fl_strv_free(char **v, size_t n);

/* strdup that takes NULL to NULL; *ok cleared on allocation failure. */
char *fl_strdup(const char *s, bool *ok);
/* json_object_set_new that remembers a failure in *ok (v is stolen either
 * way; NULL v, from a failed constructor, is a failure). */
void fl_put(json_t *o, const char *key, json_t *v, bool *ok);
/* Compact JSON text in insertion order (malloc), stealing v. */
char *fl_dump(json_t *v);

#endif
