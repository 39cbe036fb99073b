/* json.c - a JSON tokenizer and recursive-descent parser over a generated document.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The generator writes an array of records (integers, decimals, escaped
 * strings, nested arrays and objects, booleans, null) and keeps its own
 * totals; the parser builds a small DOM in an arena and the program folds it.
 * Self-check: the parser's totals (integer sum, string bytes, value count,
 * maximum depth) equal the generator's.
 */
#include "bench.h"

/* ---- generator ---- */
struct gen {
    char *p, *end;
    uint64_t rng;
    int64_t int_sum;
    uint64_t str_bytes, values, keys;
    int max_depth;
};

static void put(struct gen *g, const char *s)
{
    size_t n = strlen(s);

    if (g->p + n >= g->end)
        exit(2);
    memcpy(g->p, s, n);
    g->p += n;
}

static void gen_value(struct gen *g, int depth);

static void gen_string(struct gen *g)
{
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "tab\\t", "quote\\\"",
                                  "uni\\u00e9", "slash\\/", "back\\\\", "epsilon"};
    static const int wlen[] = {5, 4, 5, 5, 4, 6, 5, 6, 5, 7}; /* decoded lengths in bytes */
    int n = (int)(bench_rand(&g->rng) % 4) + 1, i;

    put(g, "\"");
    for (i = 0; i < n; i++) {
        int w = (int)(bench_rand(&g->rng) % 10);
        put(g, words[w]);
        g->str_bytes += (uint64_t)wlen[w];
    }
    put(g, "\"");
}

static void gen_value(struct gen *g, int depth)
{
    char num[40];
    int kind = (int)(bench_rand(&g->rng) % (depth >= 6 ? 5 : 8)), i, n;

    g->values++;
    if (depth > g->max_depth)
        g->max_depth = depth;
    switch (kind) {
    case 0:
    case 1: {
        int64_t v = (int64_t)(bench_rand(&g->rng) % 2000001) - 1000000;
        snprintf(num, sizeof num, "%lld", (long long)v);
        g->int_sum += v;
        put(g, num);
        break;
    }
    case 2: {
        uint64_t r = bench_rand(&g->rng);
        snprintf(num, sizeof num, "%u.%03ue%d", (unsigned)(r % 1000), (unsigned)(r >> 20) % 1000,
                 (int)((r >> 40) % 7) - 3);
        put(g, num);
        break;
    }
    case 3:
        gen_string(g);
        break;
    case 4:
        put(g, (bench_rand(&g->rng) & 1) ? "true" : ((bench_rand(&g->rng) & 1) ? "false" : "null"));
        break;
    case 5:
    case 6:
        n = (int)(bench_rand(&g->rng) % 5);
        put(g, "{");
        for (i = 0; i < n; i++) {
            if (i)
                put(g, ",");
            gen_string(g);
            g->keys++;
            put(g, ": ");
            gen_value(g, depth + 1);
        }
        put(g, "}");
        break;
    default:
        n = (int)(bench_rand(&g->rng) % 5);
        put(g, "[ ");
        for (i = 0; i < n; i++) {
            if (i)
                put(g, ", ");
            gen_value(g, depth + 1);
        }
        put(g, "]");
        break;
    }
}

/* ---- parser: values into an arena ---- */
enum { J_NULL, J_TRUE, J_FALSE, J_INT, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
    int type;
    int n;              /* children (array/object members) or string length */
    int64_t i;          /* J_INT */
    double d;           /* J_NUM */
    const char *s;      /* J_STR: decoded bytes in the string arena */
    struct jval *first; /* J_ARR/J_OBJ: children, linked by next */
    struct jval *next;
    struct jval *key;   /* object member's key */
};

struct parser {
    const char *p;
    struct jval *vals;
    size_t nvals, cap;
    char *str;
    size_t nstr, strcap;
    int err;
};

static struct jval *new_val(struct parser *ps, int type)
{
    struct jval *v;

    if (ps->nvals == ps->cap) {
        ps->err = 1;
        return NULL;
    }
    v = &ps->vals[ps->nvals++];
    memset(v, 0, sizeof *v);
    v->type = type;
    return v;
}

static void ws(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r')
        ps->p++;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static struct jval *parse_string(struct parser *ps)
{
    struct jval *v = new_val(ps, J_STR);
    char *out;

    if (!v)
        return NULL;
    ps->p++; /* opening quote */
    out = ps->str + ps->nstr;
    v->s = out;
    while (*ps->p != '"') {
        char c = *ps->p++;
        if (ps->nstr + 4 >= ps->strcap || c == '\0') {
            ps->err = 1;
            return NULL;
        }
        if (c == '\\') {
            c = *ps->p++;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                int k, cp = 0;
                for (k = 0; k < 4; k++) {
                    int h = hexval(*ps->p++);
                    if (h < 0) {
                        ps->err = 1;
                        return NULL;
                    }
                    cp = cp * 16 + h;
                }
                if (cp < 0x80) {
                    c = (char)cp;
                } else if (cp < 0x800) {
                    out[v->n++] = (char)(0xc0 | (cp >> 6));
                    c = (char)(0x80 | (cp & 0x3f));
                } else {
                    out[v->n++] = (char)(0xe0 | (cp >> 12));
                    out[v->n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    c = (char)(0x80 | (cp & 0x3f));
                }
                break;
            }
            default: break; /* '"', '\\', '/' stand for themselves */
            }
        }
        out[v->n++] = c;
    }
    ps->p++;
    ps->nstr += (size_t)v->n;
    return v;
}

static struct jval *parse_number(struct parser *ps)
{
    const char *s = ps->p;
    int neg = 0, isint = 1, esign = 1, e = 0;
    int64_t mant = 0;
    double d;
    struct jval *v;

    if (*s == '-') {
        neg = 1;
        s++;
    }
    while (*s >= '0' && *s <= '9')
        mant = mant * 10 + (*s++ - '0');
    d = (double)mant;
    if (*s == '.') {
        double scale = 0.1;
        isint = 0;
        for (s++; *s >= '0' && *s <= '9'; s++, scale *= 0.1)
            d += (*s - '0') * scale;
    }
    if (*s == 'e' || *s == 'E') {
        isint = 0;
        s++;
        if (*s == '-' || *s == '+')
            esign = *s++ == '-' ? -1 : 1;
        while (*s >= '0' && *s <= '9')
            e = e * 10 + (*s++ - '0');
        while (e-- > 0)
            d = esign > 0 ? d * 10 : d / 10;
    }
    ps->p = s;
    v = new_val(ps, isint ? J_INT : J_NUM);
    if (v) {
        v->i = neg ? -mant : mant;
        v->d = neg ? -d : d;
    }
    return v;
}

static struct jval *parse_value(struct parser *ps);

static struct jval *parse_container(struct parser *ps, int type)
{
    struct jval *v = new_val(ps, type), **tail, *c, *k = NULL;
    char close = type == J_ARR ? ']' : '}';

    if (!v)
        return NULL;
    tail = &v->first;
    ps->p++;
    ws(ps);
    if (*ps->p == close) {
        ps->p++;
        return v;
    }
    for (;;) {
        ws(ps);
        if (type == J_OBJ) {
            if (*ps->p != '"' || !(k = parse_string(ps)))
                goto bad;
            ws(ps);
            if (*ps->p++ != ':')
                goto bad;
        }
        if (!(c = parse_value(ps)))
            return NULL;
        c->key = k;
        *tail = c;
        tail = &c->next;
        v->n++;
        ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p++ == close)
            return v;
        goto bad;
    }
bad:
    ps->err = 1;
    return NULL;
}

static struct jval *parse_value(struct parser *ps)
{
    ws(ps);
    switch (*ps->p) {
    case '{': return parse_container(ps, J_OBJ);
    case '[': return parse_container(ps, J_ARR);
    case '"': return parse_string(ps);
    case 't': ps->p += 4; return new_val(ps, J_TRUE);
    case 'f': ps->p += 5; return new_val(ps, J_FALSE);
    case 'n': ps->p += 4; return new_val(ps, J_NULL);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps);
        ps->err = 1;
        return NULL;
    }
}

struct totals {
    int64_t int_sum;
    uint64_t str_bytes, values, hash;
    int max_depth;
    double num_sum;
};

static void fold(const struct jval *v, int depth, struct totals *t)
{
    const struct jval *c;
    int i;

    t->values++;
    if (depth > t->max_depth)
        t->max_depth = depth;
    t->hash = bench_mix(t->hash, (uint64_t)v->type);
    switch (v->type) {
    case J_INT:
        t->int_sum += v->i;
        break;
    case J_NUM:
        t->num_sum += v->d;
        break;
    case J_STR:
        t->str_bytes += (uint64_t)v->n;
        for (i = 0; i < v->n; i++)
            t->hash = (t->hash ^ (uint8_t)v->s[i]) * 0x100000001b3ULL;
        break;
    case J_ARR:
    case J_OBJ:
        for (c = v->first; c; c = c->next) {
            if (c->key)
                t->str_bytes += (uint64_t)c->key->n;
            fold(c, depth + 1, t);
        }
        break;
    default:
        break;
    }
}

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, 30), r;
    const size_t cap = 4u << 20;
    double t0 = bench_now();
    char *doc = malloc(cap);
    struct gen g = {doc, doc + cap, 77, 0, 0, 0, 0, 0};
    struct parser ps;
    uint64_t sum = BENCH_MIX_INIT;
    int ok = 1, recs = 0;

    if (!doc)
        return 2;
    put(&g, "[\n");
    while (g.p - doc < (long)cap - 4096) {
        if (recs++)
            put(&g, ",\n");
        gen_value(&g, 1);
    }
    put(&g, "\n]");
    *g.p = '\0';
    g.values++; /* the outer array */

    memset(&ps, 0, sizeof ps);
    ps.cap = g.values + g.keys + 16;
    ps.vals = malloc(sizeof(struct jval) * ps.cap);
    ps.strcap = cap;
    ps.str = malloc(ps.strcap);
    if (!ps.vals || !ps.str)
        return 2;
    for (r = 0; r < rounds; r++) {
        struct totals t = {0, 0, 0, BENCH_MIX_INIT, 0, 0};
        struct jval *root;

        ps.p = doc;
        ps.nvals = ps.nstr = 0;
        ps.err = 0;
        root = parse_value(&ps);
        if (!root || ps.err) {
            ok = 0;
            break;
        }
        fold(root, 0, &t);
        if (t.int_sum != g.int_sum || t.str_bytes != g.str_bytes || t.values != g.values ||
            t.max_depth != g.max_depth)
            ok = 0;
        sum = bench_mix(sum, t.hash);
        sum = bench_mix_double(sum, t.num_sum);
    }
    return bench_finish("json", sum, ok, t0);
}
