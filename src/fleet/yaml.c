/* yaml.c - YAML manifests (libyaml) to the jansson tree they are read from.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Only the JSON-shaped subset: one document of mappings, sequences and
 * scalars. Aliases are refused (a node reached twice: billion-laughs
 * expansion and cycles), as are explicit tags and non-scalar keys. Plain
 * scalars resolve as YAML 1.2's core schema does (null, true/false,
 * integers, floats, else strings); quoted and block scalars are strings.
 * So `replicas: "3"` is a string and fails validation, as in JSON.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "fleet_int.h"

#define YAML_MAX_DEPTH 32

typedef struct ycv {
    yaml_document_t *doc;
    uint8_t *seen;      /* per node index: reached already */
    size_t nnodes;
    fl_err *e;
} ycv;

static bool all_of(const char *s, const char *set)
{
    return *s && strspn(s, set) == strlen(s);
}

/* YAML 1.2 core schema resolution of a plain scalar. */
static json_t *plain(const char *s, size_t len, fl_err *e, const char *path,
                     bool *failed)
{
    const char *p = s;

    if (len == 0 || !strcmp(s, "~") || !strcmp(s, "null") ||
        !strcmp(s, "Null") || !strcmp(s, "NULL"))
        return json_null();
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return json_true();
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return json_false();
    if (*p == '-' || *p == '+')
        p++;
    if (all_of(p, "0123456789")) {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == ERANGE || *end) {
            *failed = true;
            fl_fail(e, path, "integer %s out of range", s);
            return NULL;
        }
        return json_integer(v);
    }
    {
        /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
        const char *q = p;
        size_t ip = strspn(q, "0123456789"), fp = 0;

        q += ip;
        if (*q == '.') {
            q++;
            fp = strspn(q, "0123456789");
            q += fp;
        }
        if ((ip || fp) && (*q == 'e' || *q == 'E')) {
            q++;
            if (*q == '-' || *q == '+')
                q++;
            if (!strspn(q, "0123456789"))
                goto string;
            q += strspn(q, "0123456789");
        }
        if ((ip || fp) && *q == '\0' && (p[0] == '.' || ip)) {
            double d = strtod(s, NULL);
            if (!isfinite(d)) {
                *failed = true;
                fl_fail(e, path, "number %s out of range", s);
                return NULL;
            }
            return json_real(d);
        }
    }
string:
    return json_stringn(s, len);
}

static json_t *conv(ycv *c, int index, const char *path, int depth)
{
    yaml_node_t *n = yaml_document_get_node(c->doc, index);
    json_t *out = NULL;
    bool failed = false;

    if (n == NULL) {
        fl_fail(c->e, path, "missing node");
        return NULL;
    }
    if ((size_t)index > c->nnodes || c->seen[index - 1]) {
        fl_fail(c->e, path, "line %zu: aliases are not supported",
                n->start_mark.line + 1);
        return NULL;
    }
    c->seen[index - 1] = 1;
    if (depth > YAML_MAX_DEPTH) {
        fl_fail(c->e, path, "line %zu: nested deeper than %d levels",
                n->start_mark.line + 1, YAML_MAX_DEPTH);
        return NULL;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)n->data.scalar.value;
        size_t len = n->data.scalar.length;

        if (strcmp((const char *)n->tag, YAML_STR_TAG) != 0) {
            fl_fail(c->e, path, "line %zu: tag %s is not supported",
                    n->start_mark.line + 1, (const char *)n->tag);
            return NULL;
        }
        if (memchr(s, '\0', len)) {
            fl_fail(c->e, path, "line %zu: NUL character in a string",
                    n->start_mark.line + 1);
            return NULL;
        }
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            out = plain(s, len, c->e, path, &failed);
        else
            out = json_stringn(s, len);
        if (out == NULL && !failed)
            fl_fail(c->e, path, "line %zu: not valid UTF-8 or out of memory",
                    n->start_mark.line + 1);
        return out;
    }
    case YAML_SEQUENCE_NODE: {
        size_t i = 0;

        if (strcmp((const char *)n->tag, YAML_SEQ_TAG) != 0)
            goto bad_tag;
        if ((out = json_array()) == NULL)
            return NULL;
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++, i++) {
            char at[FL_PATH];
            json_t *v;

            fl_path_index(at, path, i);
            if ((v = conv(c, *it, at, depth + 1)) == NULL ||
                json_array_append_new(out, v)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    case YAML_MAPPING_NODE:
        if (strcmp((const char *)n->tag, YAML_MAP_TAG) != 0)
            goto bad_tag;
        if ((out = json_object()) == NULL)
            return NULL;
        for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
             pr < n->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
            char at[FL_PATH];
            const char *key;
            json_t *v;

            if (k == NULL || k->type != YAML_SCALAR_NODE ||
                strcmp((const char *)k->tag, YAML_STR_TAG) != 0 ||
                c->seen[pr->key - 1]) {
                fl_fail(c->e, path, "line %zu: keys must be plain strings",
                        k ? k->start_mark.line + 1 : 0);
                json_decref(out);
                return NULL;
            }
            c->seen[pr->key - 1] = 1;
            key = (const char *)k->data.scalar.value;
            fl_path_key(at, path, key);
            if (strlen(key) != k->data.scalar.length) {
                fl_fail(c->e, path, "line %zu: NUL character in a key",
                        k->start_mark.line + 1);
                json_decref(out);
                return NULL;
            }
            if (json_object_get(out, key)) {
                fl_fail(c->e, at, "line %zu: duplicate key",
                        k->start_mark.line + 1);
                json_decref(out);
                return NULL;
            }
            if ((v = conv(c, pr->value, at, depth + 1)) == NULL) {
                json_decref(out);
                return NULL;
            }
            if (json_object_set_new(out, key, v)) {  /* steals v */
                fl_fail(c->e, at, "key is not valid UTF-8");
                json_decref(out);
                return NULL;
            }
        }
        return out;
    case YAML_NO_NODE:
        break;
    }
    fl_fail(c->e, path, "empty node");
    return NULL;
bad_tag:
    fl_fail(c->e, path, "line %zu: tag %s is not supported",
            n->start_mark.line + 1, (const char *)n->tag);
    return NULL;
}

json_t *fl_yaml_load(const char *text, size_t len, fl_err *e)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    json_t *out = NULL;
    ycv c = {&doc, NULL, 0, e};

    if (!yaml_parser_initialize(&parser)) {
        fl_fail(e, NULL, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        fl_fail(e, NULL, "line %zu, column %zu: %s%s%s",
                parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                parser.problem ? parser.problem : "YAML error",
                parser.context ? " " : "",
                parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return NULL;
    }
    if (yaml_document_get_root_node(&doc) == NULL) {
        fl_fail(e, NULL, "empty document");
        goto out;
    }
    c.nnodes = (size_t)(doc.nodes.top - doc.nodes.start);
    if ((c.seen = calloc(c.nnodes, 1)) == NULL) {
        fl_fail(e, NULL, "out of memory");
        goto out;
    }
    if ((out = conv(&c, 1, "", 0)) == NULL)
        goto out;
    /* A second document would be silently ignored: refuse it. */
    if (!yaml_parser_load(&parser, &extra)) {
        fl_fail(e, NULL, "line %zu, column %zu: %s",
                parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                parser.problem ? parser.problem : "YAML error");
        json_decref(out);
        out = NULL;
        goto out;
    }
    if (yaml_document_get_root_node(&extra) != NULL) {
        fl_fail(e, NULL, "line %zu: more than one YAML document",
                extra.start_mark.line + 1);
        json_decref(out);
        out = NULL;
    }
    yaml_document_delete(&extra);
out:
    free(c.seen);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return out;
}
